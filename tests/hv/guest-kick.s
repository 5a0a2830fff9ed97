# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: kicks that wake a blocked vCPU. vCPU 1 (started
# with INIT/SIPI) blocks with interrupts on, again and again; vCPU 0
# kicks it KICKS times, a long spin apart, so that each kick finds it
# blocked, then shuts down through PVX with code 45. Each kick ends one
# block: pvx-hv's "block: N returned at once" counts the blocks that a
# kick ended at once, and a kick some earlier block already took must
# not end another (check-hv, case kick). Needs personality pvx, 2 vCPUs.
	.code32
	.include "abi.inc"		# made from abi/ by tests/hv/abi-consts.c
	.include "negotiate.inc"
	.include "ap.inc"
	.set NEG, 0x200000		# struct pvx_negotiate, in guest RAM
	.set STACKS, 0x80000		# vCPU n's stack: below STACKS - n * 4K
	.set TRAMP, 0x8000		# the AP starts here (SIPI vector 0x08)
	.set KICKS, 20
	.set SPIN, 5000000		# loops between two kicks
	mov $STACKS, %esp
	pvx_negotiate 0
	test %eax, %eax
	jnz fail
	mov %edx, port

	ap_start TRAMP			# the AP: INIT, SIPI, SIPI
	mov $200000000, %ecx		# wait for it, bounded
3:	cmpl $0, started
	jne 4f
	pause
	loop 3b
	jmp fail

4:	mov $KICKS, %edi
5:	mov $SPIN, %ecx			# time for it to block again
6:	pause
	loop 6b
	mov $PVX_HC_KICK_VCPU, %eax
	mov $1, %ebx
	xor %ecx, %ecx
	xor %esi, %esi
	push %edi
	xor %edi, %edi
	mov port, %edx
	outl %eax, %dx
	pop %edi
	test %eax, %eax
	jnz fail
	dec %edi
	jnz 5b
	mov $SPIN, %ecx
7:	pause
	loop 7b
	mov $PVX_HC_SHUTDOWN, %eax
	mov $PVX_SHUTDOWN_POWEROFF, %ebx
	mov $45, %ecx			# exit code
	mov port, %edx
	outl %eax, %dx
fail:	ud2				# triple fault

	ap_trampoline

# The AP: its local APIC stays disabled and nothing is routed to it, so
# with interrupts on nothing but a kick ends its block.
ap_entry:
	mov $STACKS - 0x1000, %esp
	movl $1, started
	mov port, %edx
	sti
8:	mov $PVX_HC_BLOCK, %eax
	xor %ebx, %ebx			# no deadline
	xor %ecx, %ecx
	xor %esi, %esi
	xor %edi, %edi
	outl %eax, %dx
	jmp 8b

	.p2align 2
port:		.long 0
started:	.long 0
