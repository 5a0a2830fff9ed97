# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: negotiate PVX 1.0, then shutdown(POWEROFF, 42).
# Needs personality pvx or both; the hypercall port comes from CPUID.
	.code32
	.include "abi.inc"		# made from abi/ by tests/hv/abi-consts.c
	.set NEG, 0x200000		# struct pvx_negotiate, in guest RAM
	mov $PVX_CPUID_TRANSPORT_LEAF, %eax	# transport: port in EBX
	cpuid
	mov %ebx, %edx
	movl $PVX_NEGOTIATE_SIZE, NEG		# size (the 1.0 struct)
	movl $PVX_VERSION_1_0, NEG+PVX_NEGOTIATE_VERSION
	movl $0, NEG+PVX_NEGOTIATE_FEATURES	# features: none
	movl $0, NEG+PVX_NEGOTIATE_FEATURES+4
	mov $PVX_HC_NEGOTIATE, %eax
	mov $NEG, %ebx
	xor %ecx, %ecx
	xor %esi, %esi
	xor %edi, %edi
	outl %eax, %dx
	test %eax, %eax
	jnz 1f
	mov $PVX_HC_SHUTDOWN, %eax
	mov $PVX_SHUTDOWN_POWEROFF, %ebx
	mov $42, %ecx			# exit code
	outl %eax, %dx
1:	ud2				# negotiate failed: triple fault
