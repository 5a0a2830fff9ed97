# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: a hostile guest, bounded in time. Every vCPU (the
# APs are started with INIT/SIPI) hammers pvx-hv at once:
#   1. every I/O port 0..0xffff, shared out among the vCPUs, with a random
#      size, direction and value (the ports that end the VM by design,
#      reset, i8042 and ACPI PM1a control, and the PVX port are skipped);
#   2. rep ins/outs: 4 MiB into RAM in one instruction, and 4 Ki dwords
#      into and out of a buffer that straddles the end of RAM;
#   3. MMIO reads and writes from the end of RAM to 4 GiB, every 16 MiB;
#      every dword of the HPET page (none here) and the last page below
#      4G read and written, of the IOAPIC page read (a written IOAPIC
#      could send INIT or SMI to a vCPU); never the local APIC, which the
#      vCPUs need;
#   4. a CPUID storm: the base, hypervisor and extended ranges, then
#      random leaves and subleaves;
#   5. the PVX hypercall port with random registers, after a negotiate
#      (register_shared_page aimed into a scratch area, block and shutdown
#      left out: they would halt or end the VM by design);
# then the boot vCPU waits for the others, turns on paging, unmaps its
# own code in its own page directory and triple-faults: pvx-hv must end
# with its triple-fault status (69), neither crashing nor hanging.
# Needs personality pvx (the hypercall port comes from CPUID), --mem of
# 64M or more; runs with 1 to 8 vCPUs.
	.code32
	.include "abi.inc"		# made from abi/ by tests/hv/abi-consts.c
	.include "ap.inc"
	.set STACKS, 0x80000		# vCPU n's stack: below STACKS - n * 4K
	.set TRAMP, 0x8000		# the APs start here (SIPI vector 0x08)
	.set SCRATCH, 0x2000000		# 32 MiB: negotiate struct, shared pages, page dir
	.set PGDIR, 0x3000000
	.set BP_E820_ENTRIES, 0x1e8	# struct boot_params
	.set BP_E820_TABLE, 0x2d0
	.globl _start
_start:
	mov $STACKS, %esp
	# RAM's end: the highest end of an e820 RAM entry (all below 4G here)
	movzbl BP_E820_ENTRIES(%esi), %ecx
	lea BP_E820_TABLE(%esi), %esi
	xor %ebx, %ebx
1:	jecxz 3f
	cmpl $1, 16(%esi)
	jne 2f
	mov (%esi), %eax
	add 8(%esi), %eax
	cmp %ebx, %eax
	jbe 2f
	mov %eax, %ebx
2:	add $20, %esi
	dec %ecx
	jmp 1b
3:	mov %ebx, ram_end
	mov $PVX_CPUID_TRANSPORT_LEAF, %eax
	cpuid
	mov %ebx, pvx_port
	call start_aps
	mov started, %eax		# the APs that checked in, and this one
	inc %eax
	mov %eax, ncpus
	movl $1, go			# the APs wait for ncpus: their stride
	call hammer
	# wait for the APs, bounded: about a second's worth of spins each
	mov $200000000, %ecx
4:	mov done, %eax
	cmp ncpus, %eax
	jae 5f
	pause
	loop 4b
5:	jmp unmap_self

# --- the APs: INIT, SIPI to TRAMP, count them ---------------------------------
start_aps:
	ap_start TRAMP
	mov $20000000, %ecx		# time for the APs to check in
3:	pause
	loop 3b
	ret

	ap_trampoline

ap_entry:
	mov $1, %eax
	cpuid
	shr $24, %ebx			# APIC id
	mov %ebx, %eax
	shl $12, %eax
	mov $STACKS, %esp
	sub %eax, %esp
	lock incl started
2:	cmpl $0, go
	jne 3f
	pause
	jmp 2b
3:	call hammer
1:	hlt
	jmp 1b

# --- xorshift32 in %ebp: rand returns the next value in %eax --------------
rand:	mov %ebp, %eax
	shl $13, %eax
	xor %eax, %ebp
	mov %ebp, %eax
	shr $17, %eax
	xor %eax, %ebp
	mov %ebp, %eax
	shl $5, %eax
	xor %eax, %ebp
	mov %ebp, %eax
	ret

# --- what every vCPU does --------------------------------------------------------
hammer:
	mov $1, %eax
	cpuid
	shr $24, %ebx
	mov %ebx, %ebp
	imul $0x9e3779b9, %ebp
	or $1, %ebp			# the seed: never 0
	push %ebx			# this vCPU's id: its share of the ports

	# 1. every port (this vCPU's share), skipping those that end the VM
1:	cmp $RESET_PORT, %bx
	je 6f
	cmp $I8042_COMMAND_PORT, %bx
	je 6f
	cmp pvx_port, %bx
	je 6f
	mov %bx, %ax
	and $0xfff0, %ax
	cmp $ACPI_PM1A_EVT & 0xfff0, %ax
	je 6f
	call rand
	mov %bx, %dx
	mov %eax, %ecx
	shr $8, %ecx
	test $1, %cl
	jnz 4f
	and $3, %ecx			# in: 0, 1: byte; 2: word; 3: dword
	jz 2f
	dec %ecx
	jz 2f
	dec %ecx
	jz 3f
	inl %dx, %eax
	jmp 6f
2:	inb %dx, %al
	jmp 6f
3:	inw %dx, %ax
	jmp 6f
4:	and $6, %ecx			# out
	jz 5f
	cmp $2, %ecx
	je 5f
	cmp $4, %ecx
	je 7f
	outl %eax, %dx
	jmp 6f
7:	outw %ax, %dx
	jmp 6f
5:	outb %al, %dx
6:	add ncpus, %ebx
	cmp $0xffff, %ebx
	jbe 1b

	# 2. string I/O: 4 MiB into RAM at once, then straddling its end
	mov $0x80, %dx
	mov $SCRATCH, %edi
	mov $0x100000, %ecx
	cld
	rep insl
	mov ram_end, %edi
	sub $0x400, %edi
	mov %edi, %esi
	mov $0x1000, %ecx
	mov $0x1234, %dx		# nobody's port
	rep insl
	mov $0x1000, %ecx
	rep outsl

	# 3. MMIO: beyond RAM to 4G every 16 MiB; the top pages, every dword
	mov ram_end, %edi
	add $0xffffff, %edi
	and $0xff000000, %edi
1:	cmp $0xfec00000, %edi
	jae 2f
	mov (%edi), %eax
	call rand
	mov %eax, (%edi)
	add $0x1000000, %edi
	jmp 1b
2:	mov $0xfec00000, %edi		# IOAPIC: read only
	mov $1024, %ecx
3:	mov (%edi), %eax
	add $4, %edi
	loop 3b
	mov $0xfed00000, %edi		# HPET (none)
	call mmio_page
	mov $0xfffff000, %edi		# top of 4G
	call mmio_page

	# 4. CPUID storm
	xor %esi, %esi
	mov $0x20, %edx
	call cpuid_range
	mov $0x40000000, %esi
	mov $0x40000200, %edx
	call cpuid_range
	mov $0x80000000, %esi
	mov $0x80000020, %edx
	call cpuid_range
	mov $4096, %esi
1:	call rand
	mov %eax, %ecx
	call rand
	cpuid
	dec %esi
	jnz 1b

	# 5. the hypercall port: negotiate everything, then random registers
	cmpl $0, pvx_port
	je 9f
	pop %eax
	push %eax
	test %eax, %eax
	jnz 1f				# the boot vCPU negotiates, once
	movl $PVX_NEGOTIATE_SIZE, SCRATCH
	movl $PVX_VERSION_1_1, SCRATCH + PVX_NEGOTIATE_VERSION
	movl $0xffffffff, SCRATCH + PVX_NEGOTIATE_FEATURES
	movl $0xffffffff, SCRATCH + PVX_NEGOTIATE_FEATURES + 4
	mov $PVX_HC_NEGOTIATE, %eax
	mov $SCRATCH, %ebx
	xor %ecx, %ecx
	xor %esi, %esi
	xor %edi, %edi
	mov pvx_port, %edx
	outl %eax, %dx
1:	mov $4096, %ecx
2:	push %ecx
	call rand
	and $15, %eax
	cmp $PVX_HC_BLOCK, %eax
	je 4f
	cmp $PVX_HC_SHUTDOWN, %eax
	je 4f
	push %eax
	call rand
	mov %eax, %ebx
	call rand
	mov %eax, %ecx
	call rand
	mov %eax, %esi
	call rand
	mov %eax, %edi
	pop %eax
	cmp $PVX_HC_REGISTER_SHARED_PAGE, %eax
	jne 3f
	and $0x00fff000, %ebx		# a page in the scratch area
	or $SCRATCH, %ebx
3:	mov pvx_port, %edx
	outl %eax, %dx
4:	pop %ecx
	loop 2b
9:	pop %ebx
	lock incl done
	ret

# CPUID of every leaf from %esi up to %edx, subleaf 0.
cpuid_range:
	push %edx
	mov %esi, %eax
	xor %ecx, %ecx
	cpuid
	pop %edx
	inc %esi
	cmp %edx, %esi
	jb cpuid_range
	ret

# Read and write (a random value) every dword of the page at %edi.
mmio_page:
	mov $1024, %ecx
1:	mov (%edi), %eax
	call rand
	mov %eax, (%edi)
	add $4, %edi
	loop 1b
	ret

# --- the boot vCPU: paging on, its own code unmapped, a triple fault --------
unmap_self:
	mov $PGDIR, %edi		# 4 MiB pages, identity, the first 1G
	xor %eax, %eax
	or $0x83, %eax			# present, writable, 4M
	mov $256, %ecx
1:	mov %eax, (%edi)
	add $0x400000, %eax
	add $4, %edi
	loop 1b
	mov %cr4, %eax
	or $0x10, %eax			# PSE
	mov %eax, %cr4
	mov $PGDIR, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax		# PG
	mov %eax, %cr0
	lidt idt_none			# no IDT: the #PF becomes a triple fault
	movl $0xdeadbee0, PGDIR		# the PDE of 0..4M, where this code runs
	invlpg unmap_self
	ud2				# never reached

	.p2align 2
idt_none:
	.word 0
	.long 0
ram_end:	.long 0
pvx_port:	.long 0
ncpus:		.long 1
go:		.long 0
started:	.long 0
done:		.long 0
