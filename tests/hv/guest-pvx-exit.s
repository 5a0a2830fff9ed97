# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: negotiate PVX 1.0, then shutdown(POWEROFF, 42).
# Needs personality pvx or both; the hypercall port comes from CPUID.
	.code32
	.include "abi.inc"		# made from abi/ by tests/hv/abi-consts.c
	.include "negotiate.inc"
	.set NEG, 0x200000		# struct pvx_negotiate, in guest RAM
	pvx_negotiate 0
	test %eax, %eax
	jnz 1f
	mov $PVX_HC_SHUTDOWN, %eax
	mov $PVX_SHUTDOWN_POWEROFF, %ebx
	mov $42, %ecx			# exit code
	outl %eax, %dx
1:	ud2				# negotiate failed: triple fault
