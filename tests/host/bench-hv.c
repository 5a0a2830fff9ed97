// SPDX-License-Identifier: GPL-2.0
/*
 * Dispatch one kind of hypercall N times through pvxhv_hypercall(), or
 * enter a vCPU N times through pvxhv_vcpu_enter(), for callgrind
 * (tests/host/bench.sh counts instructions inside the function `list`
 * names for the kind).
 * Usage: bench-hv KIND N     bench-hv list  (lines "KIND<tab>FUNCTION")
 */
#include "fakevm.h"

struct kind {
	const char *name;
	uint64_t nr, a[PVX_HC_MAX_ARGS];
	int64_t expect;
};

#define MC_GPA	0x6000ull
#define MC_N	8

static const struct kind kinds[] = {
	{ "sched_yield",          PVX_HC_sched_yield,          { 0 }, 0 },
	{ "kick_vcpu",            PVX_HC_kick_vcpu,            { 1 }, 0 },
	{ "block",                PVX_HC_block,                { 0 }, 0 },
	{ "register_shared_page", PVX_HC_register_shared_page, { 0x8000 }, 0 },
	{ "flush_tlb",            PVX_HC_flush_tlb,            { 0x3000, 4 }, 0 },
	{ "console_write(64B)",   PVX_HC_console_write,        { 0x5000, 64 }, 64 },
	{ "set_timer",            PVX_HC_set_timer,            { 5000000000ull, 0xec }, 0 },
	{ "send_ipi",             PVX_HC_send_ipi,             { 0x6, 0, 0xf0 }, 2 },
	{ "shutdown",             PVX_HC_shutdown,             { PVX_SHUTDOWN_POWEROFF, 0 }, 0 },
	{ "multicall(8x yield)",  PVX_HC_multicall,            { MC_GPA, MC_N }, 0 },
	{ "negotiate(EALREADY)",  PVX_HC_negotiate,            { FVM_NEG_GPA }, -PVX_EALREADY },
	{ "unknown(ENOSYS)",      0x1234,                      { 0 }, -PVX_ENOSYS },
	{ "reserved-arg(EINVAL)", PVX_HC_sched_yield,          { 1 }, -PVX_EINVAL },
	{ "bad-gpa(EFAULT)",      PVX_HC_console_write,        { FVM_LOW_SIZE, 8 }, -PVX_EFAULT },
};

/*
 * The entry kind: a run loop's entry with its shared page registered; the
 * clock and the steal time move on every entry (1 us, 100 ns), the TSC
 * pair is reused (under a second old).
 */
static const char enter_kind[] = "vcpu_enter(steady)";

#define SHARED_GPA	0x8000ull

/* The enter kind: N entries of vCPU 0, each expected to return 0. */
static int bench_enter(struct fvm *vm, long n)
{
	uint64_t steal = 0;

	if (fvm_call(vm, 0, PVX_HC_register_shared_page, SHARED_GPA, 0, 0, 0, 0))
		return 1;
	for (long i = 0; i < n; i++) {
		int r;

		vm->now += 1000;
		steal += 100;
		r = pvxhv_vcpu_enter(vm->hv, 0, steal);
		if (r) {
			fprintf(stderr, "bench: vcpu_enter returned %d, expected 0\n", r);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fvm_opts o = { 0 };
	const struct kind *k = NULL;
	bool enter;
	struct fvm vm;
	uint64_t mask = 0xf;
	long n;

	if (argc == 2 && !strcmp(argv[1], "list")) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			printf("%s\tpvxhv_hypercall\n", kinds[i].name);
		printf("%s\tpvxhv_vcpu_enter\n", enter_kind);
		return 0;
	}
	if (argc != 3)
		return 2;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(argv[1], kinds[i].name))
			k = &kinds[i];
	enter = !strcmp(argv[1], enter_kind);
	n = atol(argv[2]);
	if (enter)
		o.tsc_khz = 2000000;	/* a TSC scale, as a KVM VMM gives */
	if ((!k && !enter) || n <= 0 || fvm_init(&vm, &o) || fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull))
		return 2;
	memcpy(vm.low + 0x3000, &mask, sizeof(mask));
	memset(vm.low + 0x5000, 'x', 64);
	for (int i = 0; i < MC_N; i++) {
		struct pvx_multicall_entry e = { .nr = PVX_HC_sched_yield };

		memcpy(vm.low + MC_GPA + i * sizeof(e), &e, sizeof(e));
	}
	if (enter) {
		int ret = bench_enter(&vm, n);

		fvm_fini(&vm);
		return ret;
	}
	for (long i = 0; i < n; i++) {
		int64_t r = fvm_call(&vm, 0, k->nr, k->a[0], k->a[1], k->a[2], k->a[3], k->a[4]);

		if (r != k->expect) {
			fprintf(stderr, "bench: %s returned %lld, expected %lld\n", k->name,
				(long long)r, (long long)k->expect);
			return 1;
		}
	}
	fvm_fini(&vm);
	return 0;
}
