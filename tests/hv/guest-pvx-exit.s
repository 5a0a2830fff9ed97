# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: negotiate PVX 1.0, then shutdown(POWEROFF, 42).
# Needs personality pvx or both; the hypercall port comes from CPUID.
	.code32
	.set NEG, 0x200000		# struct pvx_negotiate, in guest RAM
	mov $0x40000002, %eax		# PVX base+2: transport, port in EBX
	cpuid
	mov %ebx, %edx
	movl $16, NEG			# size (the 1.0 struct)
	movl $0x00010000, NEG+4		# version 1.0
	movl $0, NEG+8			# features: none
	movl $0, NEG+12
	xor %eax, %eax			# PVX_HC_negotiate
	mov $NEG, %ebx
	xor %ecx, %ecx
	xor %esi, %esi
	xor %edi, %edi
	outl %eax, %dx
	test %eax, %eax
	jnz 1f
	mov $9, %eax			# PVX_HC_shutdown
	xor %ebx, %ebx			# PVX_SHUTDOWN_POWEROFF
	mov $42, %ecx			# exit code
	outl %eax, %dx
1:	ud2				# negotiate failed: triple fault
