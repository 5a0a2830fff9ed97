# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: PVX set_timer. Negotiates 1.0 with TIMER, arms the
# timer for guest time 100 ms (the guest clock starts with pvx-hv) on
# vector PVX_VECTOR_MIN + 0x20 and halts with interrupts on; the
# interrupt's handler powers off with code 43.
# A timer that never fires ends in pvx-hv's watchdog instead (status 71).
# Needs personality pvx; the hypercall port comes from CPUID.
	.code32
	.include "abi.inc"		# made from abi/ by tests/hv/abi-consts.c
	.include "negotiate.inc"
	.set NEG, 0x200000		# struct pvx_negotiate, in guest RAM
	.set IDT, 0x201000		# 256 gates
	.set IDTR, 0x202000		# lidt operand
	.set GDT, 0x203000		# the boot protocol's 0x10 code, 0x18 data
	.set GDTR, 0x204000
	.set STACK, 0x280000
	.set VECTOR, PVX_VECTOR_MIN + 0x20
	.set DEADLINE, 100000000	# ns of guest time (since pvx-hv started)
	.set APIC_SVR, 0xf0		# spurious vector register: bit 8 enables
	mov $STACK, %esp
	pvx_negotiate PVX_FEATURE_TIMER	# the port in EDX from here on
	test %eax, %eax
	jnz fail
	testl $PVX_FEATURE_TIMER, NEG+PVX_NEGOTIATE_FEATURES	# granted?
	jz fail

	# pvx-hv loads flat segments but no GDT; delivery reads CS's descriptor.
	movl $0x0000ffff, GDT+0x10	# 0x10: code, base 0, 4 GiB, 32-bit
	movl $0x00cf9a00, GDT+0x14
	movl $0x0000ffff, GDT+0x18	# 0x18: data, base 0, 4 GiB
	movl $0x00cf9200, GDT+0x1c
	movw $0x20-1, GDTR
	movl $GDT, GDTR+2
	lgdt GDTR

	# A 32-bit interrupt gate for VECTOR, in the code segment we run in.
	mov $timer, %eax
	mov %ax, IDT+VECTOR*8
	mov %cs, %ax
	mov %ax, IDT+VECTOR*8+2
	movw $0x8e00, IDT+VECTOR*8+4	# present, DPL 0, 32-bit interrupt gate
	mov $timer, %eax
	shr $16, %eax
	mov %ax, IDT+VECTOR*8+6
	movw $256*8-1, IDTR
	movl $IDT, IDTR+2
	lidt IDTR
	movl $0x1ff, LAPIC_ADDR+APIC_SVR	# software-enable the local APIC

	mov $PVX_HC_SET_TIMER, %eax
	mov $DEADLINE, %ebx
	mov $VECTOR, %ecx
	outl %eax, %dx
	test %eax, %eax
	jnz fail
	sti
1:	hlt
	jmp 1b

timer:	mov $PVX_HC_SHUTDOWN, %eax
	mov $PVX_SHUTDOWN_POWEROFF, %ebx
	mov $43, %ecx			# exit code
	outl %eax, %dx
fail:	ud2				# triple fault
