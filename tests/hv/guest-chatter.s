# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: a chatty one, for the stdout tests. Negotiates PVX
# with CONSOLE and writes blocks of PVX_CONSOLE_MAX bytes of text, one
# console_write (one exit) each: as many blocks as the command line's
# leading number says, then shuts down with code 44; with 0 (or no
# number) it never stops. Needs personality pvx; the hypercall port
# comes from CPUID.
	.code32
	.include "abi.inc"		# made from abi/ by tests/hv/abi-consts.c
	.include "negotiate.inc"
	.set NEG, 0x200000		# struct pvx_negotiate, in guest RAM
	.set BUF, 0x201000		# one block of text, page-aligned
	.set LINE, 64			# bytes a line, with its newline
	.set STACK, 0x280000
	mov $STACK, %esp
	mov BP_CMD_LINE_PTR(%esi), %esi	# the count: the command line's number
	xor %ebp, %ebp
1:	movzbl (%esi), %eax
	sub $'0', %eax
	cmp $9, %eax
	ja 2f
	imul $10, %ebp
	add %eax, %ebp
	inc %esi
	jmp 1b
2:	xor %ecx, %ecx			# BUF: lines of 'x'
3:	mov $'x', %al
	mov %ecx, %edx
	and $LINE - 1, %edx
	cmp $LINE - 1, %edx
	jne 4f
	mov $'\n', %al
4:	mov %al, BUF(%ecx)
	inc %ecx
	cmp $PVX_CONSOLE_MAX, %ecx
	jb 3b
	pvx_negotiate PVX_FEATURE_CONSOLE	# the port in EDX from here on
	test %eax, %eax
	jnz 7f
	testl $PVX_FEATURE_CONSOLE, NEG+PVX_NEGOTIATE_FEATURES	# granted?
	jz 7f
	test %ebp, %ebp
	jz 6f
5:	call block			# count them down
	dec %ebp
	jnz 5b
	mov $PVX_HC_SHUTDOWN, %eax
	mov $PVX_SHUTDOWN_POWEROFF, %ebx
	mov $44, %ecx			# exit code
	outl %eax, %dx
	jmp 7f
6:	call block			# for ever
	jmp 6b
7:	ud2				# no PVX console: triple fault

block:	mov $PVX_HC_CONSOLE_WRITE, %eax
	mov $BUF, %ebx
	mov $PVX_CONSOLE_MAX, %ecx
	xor %esi, %esi
	xor %edi, %edi
	outl %eax, %dx
	cmp $PVX_CONSOLE_MAX, %eax	# all of it written?
	jne 7b
	ret
