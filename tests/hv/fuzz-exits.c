// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target over pvx-hv's exit handling: vcpu_handle_exit() and,
 * below it, the port-I/O and MMIO dispatch, the devices (8250, i8042,
 * RTC, ACPI PM, reset) and the PVX hypercall port (libpvxhv), fed exit
 * records of every kind KVM_RUN can return to it, with arbitrary values
 * wherever a guest chooses them and KVM's own guarantees (the I/O data
 * lies in the kvm_run mapping) kept.
 *
 * No KVM is needed: the VM has no fds (ioctls fail with EBADF, as they
 * may), 2 vCPUs that never run, and 4 MiB of RAM for the hypercalls.
 * Checked on every input besides ASan and UBSan: each record counts one
 * exit of its vCPU, and a guest-reachable path never ends pvx-hv.
 *
 * Input: records of [vcpu/kind byte][fields...] (see one_exit()).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pvx-hv.h"

#define FUZZ_RAM	(4u << 20)
#define FUZZ_CPUS	2
#define FUZZ_RUN_SIZE	(3 * 4096)	/* kvm_run, then the PIO data page */
#define FUZZ_PIO_OFFSET	4096		/* KVM_PIO_PAGE_OFFSET * PAGE_SIZE */
#define FUZZ_RECORDS	256

static struct vm vm = { .kvm = -1, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
static struct vcpu cpus[FUZZ_CPUS];

struct input {
	const uint8_t *p;
	size_t n;
};

static uint64_t take(struct input *in, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes && in->n; i++, in->n--)
		v |= (uint64_t)*in->p++ << (8 * i);
	return v;
}

/* Ports worth hitting more often than 1 in 65536. */
static const uint16_t ports[] = {
	0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff,	/* 8250 */
	0x60, 0x64, 0x70, 0x71, 0x80, 0xcf9,			/* i8042, RTC, delay, reset */
	ACPI_PM1A_EVT, ACPI_PM1A_EVT + 2, ACPI_PM1A_CNT, ACPI_PM_TMR,
	0x5058,							/* the PVX hypercall port */
};

static void fill_io(struct kvm_run *run, struct input *in)
{
	static const uint8_t sizes[] = { 1, 2, 4 };
	uint8_t sel = take(in, 1);
	uint32_t max;

	run->io.port = sel & 0x80 ? take(in, 2) : ports[sel % (sizeof(ports) / sizeof(ports[0]))];
	run->io.size = sizes[take(in, 1) % 3];
	run->io.direction = take(in, 1) & 1 ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	/* KVM: count * size bytes at data_offset, within the PIO page */
	max = (FUZZ_RUN_SIZE - FUZZ_PIO_OFFSET) / run->io.size;
	run->io.count = 1 + take(in, 2) % max;
	run->io.data_offset = FUZZ_PIO_OFFSET;
	for (uint32_t i = 0; i < run->io.count * run->io.size && in->n; i++)
		((uint8_t *)run + FUZZ_PIO_OFFSET)[i] = take(in, 1);
	/* the registers a hypercall reads (KVM_CAP_SYNC_REGS) */
	run->s.regs.regs.rax = take(in, 1) & 1 ? take(in, 1) : take(in, 8);
	run->s.regs.regs.rbx = take(in, 8);
	run->s.regs.regs.rcx = take(in, 8);
	run->s.regs.regs.rsi = take(in, 1) & 1 ? 0 : take(in, 8);
	run->s.regs.regs.rdi = 0;
	run->s.regs.regs.r8 = 0;
	/*
	 * Interrupts enabled: a block with them masked waits in pvx-hv for
	 * another thread's kick (vcpu_wait()), which no input here sends.
	 */
	run->s.regs.regs.rflags = RFLAGS_IF;
}

static void one_exit(struct input *in)
{
	uint8_t head = take(in, 1);
	struct vcpu *c = &cpus[head & 1];
	struct kvm_run *run = c->run;
	uint64_t before = 0, after = 0;

	memset(run, 0, FUZZ_RUN_SIZE);
	switch ((head >> 1) % 8) {
	case 0: case 1: case 2:
		run->exit_reason = KVM_EXIT_IO;
		fill_io(run, in);
		break;
	case 3:
		run->exit_reason = KVM_EXIT_MMIO;
		run->mmio.phys_addr = take(in, 8);
		run->mmio.len = 1 + take(in, 1) % 8;
		run->mmio.is_write = take(in, 1) & 1;
		for (int i = 0; i < 8; i++)
			run->mmio.data[i] = take(in, 1);
		break;
	case 4:
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		break;
	case 5:
		run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
		run->system_event.type = take(in, 4);
		break;
	case 6:
		run->exit_reason = take(in, 1) & 1 ? KVM_EXIT_INTERNAL_ERROR : KVM_EXIT_FAIL_ENTRY;
		run->internal.suberror = take(in, 4);
		break;
	default:
		run->exit_reason = take(in, 4);
		break;
	}
	for (int k = 0; k <= STAT_EXITS; k++)
		before += c->st.exits[k];
	vcpu_handle_exit(c);
	for (int k = 0; k <= STAT_EXITS; k++)
		after += c->st.exits[k];
	if (after != before + 1) {
		fprintf(stderr, "fuzz-exits: an exit counted %llu times\n",
			(unsigned long long)(after - before));
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	sigset_t set;
	int null = open("/dev/null", O_WRONLY);

	(void)argc;
	(void)argv;
	/* the guest's serial output */
	if (null >= 0)
		dup2(null, STDOUT_FILENO);
	sigemptyset(&set);
	sigaddset(&set, SIG_DONE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	vm.main_thread = pthread_self();
	vm.ram = calloc(1, FUZZ_RAM);
	vm.ram_size = FUZZ_RAM;
	vm.ncpus = FUZZ_CPUS;
	vm.cpus = cpus;
	vm.pers = PERS_PVX;
	vm.run_size = FUZZ_RUN_SIZE;
	for (int i = 0; i < FUZZ_CPUS; i++) {
		cpus[i] = (struct vcpu){ .id = i, .fd = -1, .stats_fd = -1, .schedstat = -1, .vm = &vm };
		cpus[i].run = aligned_alloc(4096, FUZZ_RUN_SIZE);
		if (!cpus[i].run)
			abort();
	}
	if (!vm.ram)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };

	/* every input starts from a fresh machine: devices, libpvxhv, stats */
	memset(&vm.serial, 0, sizeof(vm.serial));
	memset(&vm.kbd, 0, sizeof(vm.kbd));
	memset(&vm.pm, 0, sizeof(vm.pm));
	vm.rtc_index = 0;
	atomic_store(&vm.done, false);
	vm.status = 0;
	if (hypercall_init(&vm))
		abort();
	for (int i = 0; i < FUZZ_CPUS; i++) {
		memset(&cpus[i].st, 0, sizeof(cpus[i].st));
		cpus[i].block = false;
		atomic_store(&cpus[i].kicked, false);
	}
	for (int r = 0; r < FUZZ_RECORDS && in.n; r++)
		one_exit(&in);
	serial_flush(&vm);
	hypercall_exit(&vm);
	vm.hv = NULL;
	return 0;
}
