// SPDX-License-Identifier: GPL-2.0
/*
 * --stats: the exits to userspace by reason, the port I/O by device and
 * the unclaimed ports, the hypercalls by number, what the run loop and the
 * library glue counted, and KVM's own counters (kvmstats.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvx/abi.h>

#include "pvx-hv.h"

static const char *const exit_names[STAT_EXITS] = {
	[KVM_EXIT_IO] = "io", [KVM_EXIT_MMIO] = "mmio", [KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_SHUTDOWN] = "shutdown", [KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr", [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event", [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window",
};
static const char *const io_names[IO_KINDS] = {
	[IO_SERIAL] = "serial", [IO_HYPERCALL] = "hypercall",
	[IO_KBD] = "i8042/reset", [IO_RTC] = "rtc", [IO_ACPI] = "acpi pm",
	[IO_DELAY] = "port 0x80 (delay)", [IO_OTHER] = "unclaimed",
};

#define STAT_TOP_PORTS	8

static int by_count(const void *a, const void *b)
{
	const struct port_count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : x->port - y->port;
}

/* The unclaimed ports, summed over the vCPUs' tables, most used first. */
static void print_ports(const struct vm *vm)
{
	static struct port_count all[MAX_CPUS * STAT_PORTS];
	uint64_t rest = 0;
	int n = 0;

	for (int i = 0; i < vm->ncpus; i++) {
		const struct stats *s = &vm->cpus[i].st;

		rest += s->ports_more;
		for (int k = 0; k < s->nports; k++) {
			int j;

			for (j = 0; j < n && all[j].port != s->ports[k].port; j++)
				;
			if (j == n)
				all[n++] = (struct port_count){ .port = s->ports[k].port };
			all[j].n += s->ports[k].n;
		}
	}
	qsort(all, n, sizeof(all[0]), by_count);
	for (int j = 0; j < n; j++) {
		if (j < STAT_TOP_PORTS)
			fprintf(stderr, "      port 0x%04x %17llu\n", all[j].port,
				(unsigned long long)all[j].n);
		else
			rest += all[j].n;
	}
	if (rest)
		fprintf(stderr, "      other ports %16llu\n", (unsigned long long)rest);
}

/*
 * KVM's counters: its "exits" counts every VM exit, those it handled
 * itself and those it passed to us (user); the rest break them down.
 */
static void print_kvm_stats(const struct vm *vm, uint64_t user)
{
	static struct kvm_counters k;
	uint64_t all;

	if (kvm_stats_read(vm, &k) < 0) {
		fprintf(stderr, "pvx-hv kvm stats: not available (KVM_GET_STATS_FD)\n");
		return;
	}
	all = kvm_stat(&k, "exits");
	fprintf(stderr, "pvx-hv kvm stats: %llu VM exits, %llu handled inside KVM\n",
		(unsigned long long)all, (unsigned long long)(all > user ? all - user : 0));
	for (int i = 0; i < k.n; i++)
		if (k.val[i] && strcmp(k.name[i], "exits"))
			fprintf(stderr, "  kvm %-26s %12llu\n", k.name[i],
				(unsigned long long)k.val[i]);
}

/* --stats: what the run loop and KVM counted, summed over the vCPUs (stderr). */
void print_stats(struct vm *vm, double seconds)
{
	struct stats t = { 0 };
	uint64_t total = 0, hc = 0;

	for (int i = 0; i < vm->ncpus; i++) {
		struct stats *s = &vm->cpus[i].st;

		for (int k = 0; k <= STAT_EXITS; k++)
			t.exits[k] += s->exits[k];
		for (int k = 0; k < IO_KINDS; k++)
			t.io[k] += s->io[k];
		for (int k = 0; k <= STAT_HCALLS; k++)
			t.hcalls[k] += s->hcalls[k];
		t.timers += s->timers;
		t.blocks_at_once += s->blocks_at_once;
		t.batches += s->batches;
		t.batched += s->batched;
		t.batched_yields += s->batched_yields;
	}
	for (int k = 0; k <= STAT_EXITS; k++)
		total += t.exits[k];
	fprintf(stderr, "pvx-hv stats: %d vcpu(s), %.2f s, %llu exits to userspace\n",
		vm->ncpus, seconds, (unsigned long long)total);
	for (int k = 0; k <= STAT_EXITS; k++) {
		if (!t.exits[k])
			continue;
		if (k < STAT_EXITS && exit_names[k])
			fprintf(stderr, "  exit %-22s %12llu\n", exit_names[k],
				(unsigned long long)t.exits[k]);
		else
			fprintf(stderr, "  exit reason %-15d %12llu\n", k,
				(unsigned long long)t.exits[k]);
		if (k == KVM_EXIT_IO)
			for (int i = 0; i < IO_KINDS; i++) {
				if (!t.io[i])
					continue;
				fprintf(stderr, "    io %-20s %12llu\n", io_names[i],
					(unsigned long long)t.io[i]);
				if (i == IO_OTHER)
					print_ports(vm);
			}
	}
	for (int k = 0; k <= STAT_HCALLS; k++) {
		if (!t.hcalls[k])
			continue;
		hc += t.hcalls[k];
		fprintf(stderr, "  hypercall %-3d %-16s %10llu\n", k,
			k < STAT_HCALLS ? hypercall_name(k) : "(out of range)",
			(unsigned long long)t.hcalls[k]);
	}
	fprintf(stderr, "  hypercalls total %22llu\n", (unsigned long long)hc);
	if (t.timers)
		fprintf(stderr, "  set_timer expiries injected %11llu\n",
			(unsigned long long)t.timers);
	if (vm->reinstanced)
		fprintf(stderr, "  libpvxhv reinstanced %u times (saved, destroyed, restored)\n",
			vm->reinstanced);
	if (t.hcalls[PVX_HC_block])
		fprintf(stderr, "  block: %llu returned at once (a kick was pending)\n",
			(unsigned long long)t.blocks_at_once);
	/* n calls in one exit save n - 1 */
	if (t.batches)
		fprintf(stderr, "  multicall: %llu calls in %llu exits (%llu exits saved), %llu of them sched_yield\n",
			(unsigned long long)t.batched, (unsigned long long)t.batches,
			(unsigned long long)(t.batched - t.batches),
			(unsigned long long)t.batched_yields);
	if (vm->flush_tlb) {
		unsigned long long deferred = 0, kicked = 0;

		for (int i = 0; i < vm->ncpus; i++) {
			deferred += atomic_load(&vm->cpus[i].flush_deferred);
			kicked += atomic_load(&vm->cpus[i].flush_kicked);
		}
		fprintf(stderr, "  flush_tlb: %llu left to KVM (preempted), %llu kicked out of KVM_RUN\n",
			deferred, kicked);
	}
	if (vm->hv)
		kvm_records_print(vm, "  ", true);
	print_kvm_stats(vm, total);
}
