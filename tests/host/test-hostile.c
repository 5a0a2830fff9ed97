// SPDX-License-Identifier: GPL-2.0
/*
 * pvx-hv's --hostile modes without a guest or KVM: pvx-hv's own run-time
 * code (hypercall.c, hostile.c, vcpu.c, ...) and libpvxhv, driven as a
 * guest would drive them through the exit handler: CPUID leaves as
 * published, hypercalls through hypercall() (RAX in kvm_run), the shared
 * page as it stands before KVM_RUN (hypercall_enter()).  Each mode must
 * bend exactly what hostile.c says, and leave the rest as the library
 * served it (compared with a run without --hostile).
 *
 * ioctl() is wrapped (-Wl,--wrap=ioctl): KVM_GET_MSRS on a vCPU's fd
 * reads a TSC that advances 1000 per read, so the library publishes a
 * TSC scale; everything else fails with EBADF as on a closed fd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "harness.h"
#include "pvx-hv.h"

#define RAM		(1u << 20)
#define CPUS		2
#define RUN_SIZE	(3 * 4096)
#define VCPU_FD		1000		/* + id: fds only __wrap_ioctl knows */
#define NEG_GPA		0x1000ull
#define MC_GPA		0x2000ull
#define CON_GPA		0x3000ull
#define PAGE_GPA	0x10000ull	/* + id * PVX_PAGE_SIZE */
#define SEC		1000000000ull

static struct vm vm = { .kvm = -1, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
static struct vcpu cpus[CPUS];
static uint64_t fake_tsc = 1000000;
static bool tested[HOSTILE_COUNT];

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= VCPU_FD && fd < VCPU_FD + CPUS && req == KVM_GET_MSRS) {
		struct kvm_msrs *m = arg;

		m->entries[0].data = __atomic_add_fetch(&fake_tsc, 1000, __ATOMIC_RELAXED);
		return 1;
	}
	errno = EBADF;
	return -1;
}

static void start(enum hostile mode)
{
	tested[mode] = true;
	memset(vm.ram, 0, RAM);
	vm.hostile = mode;
	atomic_store(&vm.done, false);
	vm.status = 0;
	for (int i = 0; i < CPUS; i++) {
		struct kvm_run *run = cpus[i].run;

		memset(run, 0, RUN_SIZE);
		cpus[i] = (struct vcpu){
			.id = i, .fd = VCPU_FD + i, .stats_fd = -1, .schedstat = -1,
			.vm = &vm, .run = run, .steal_ns = 5000,
		};
	}
	if (hypercall_init(&vm))
		abort();
}

static void stop(void)
{
	hypercall_exit(&vm);
}

/* As if 3 s of guest time had passed: hostile.c's "later". */
static void later(void)
{
	vm.t0_ns -= 3 * SEC;
}

static uint64_t guest_now(void)
{
	return now_ns() - vm.t0_ns;
}

static int64_t call(int cpu, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct kvm_regs *k = &cpus[cpu].run->s.regs.regs;

	memset(k, 0, sizeof(*k));
	k->rax = nr;
	k->rbx = a0;
	k->rcx = a1;
	k->rsi = a2;
	k->rflags = RFLAGS_IF;
	hypercall(&cpus[cpu]);
	return (int64_t)k->rax;
}

static struct pvx_negotiate *neg(void)
{
	return (struct pvx_negotiate *)(vm.ram + NEG_GPA);
}

/* A 1.1 guest that asks for everything. */
static int64_t negotiate(void)
{
	*neg() = (struct pvx_negotiate){
		.size = sizeof(struct pvx_negotiate), .version = PVX_ABI_VERSION_LATEST,
		.features = ~0ull,
	};
	return call(0, PVX_HC_negotiate, NEG_GPA, 0, 0);
}

static struct pvx_vcpu_shared *page(int cpu)
{
	return (struct pvx_vcpu_shared *)(vm.ram + PAGE_GPA + cpu * PVX_PAGE_SIZE);
}

/* Register cpu's page; the record as the guest sees it at its next entry. */
static int64_t register_page(int cpu)
{
	int64_t ret = call(cpu, PVX_HC_register_shared_page, PAGE_GPA + cpu * PVX_PAGE_SIZE, 0, 0);

	hypercall_enter(&cpus[cpu]);
	return ret;
}

static uint32_t leaves[3][4];

static void add_leaf(struct kvm_cpuid2 *c, const struct kvm_cpuid_entry2 *e)
{
	uint32_t off = e->function - PVX_CPUID_SCAN_FIRST;

	(void)c;
	if (off < 3) {
		leaves[off][0] = e->eax;
		leaves[off][1] = e->ebx;
		leaves[off][2] = e->ecx;
		leaves[off][3] = e->edx;
	}
}

static void read_cpuid(uint32_t out[3][4])
{
	memset(leaves, 0, sizeof(leaves));
	hypercall_cpuid(&vm, NULL, add_leaf);
	memcpy(out, leaves, sizeof(leaves));
}

/* What the library serves without --hostile. */
static uint32_t base_cpuid[3][4];
static struct pvx_negotiate base_neg;
static struct pvx_vcpu_shared base_rec;

static void test_baseline(void)
{
	start(HOSTILE_NONE);
	read_cpuid(base_cpuid);
	EXPECT_EQ(base_cpuid[0][0], PVX_CPUID_SCAN_FIRST + PVX_CPUID_LEAF_TRANSPORT);
	EXPECT_EQ(base_cpuid[2][0], PVX_TRANSPORT_IOPORT);
	EXPECT(base_cpuid[2][1] != 0);
	EXPECT_EQ(negotiate(), 0);
	base_neg = *neg();
	EXPECT_EQ(base_neg.size, sizeof(struct pvx_negotiate));
	EXPECT_EQ(base_neg.nr_vcpus, CPUS);
	EXPECT_EQ(base_neg.max_multicall, PVX_MULTICALL_MAX);
	EXPECT_EQ(register_page(0), 0);
	base_rec = *page(0);
	EXPECT_EQ(base_rec.size, sizeof(struct pvx_vcpu_shared));
	EXPECT_EQ(base_rec.flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_VALID);
	EXPECT(base_rec.time.tsc_to_system_mul != 0);
	EXPECT_EQ(base_rec.steal_ns, 5000);
	EXPECT_EQ(base_rec.preempted, 0);
	EXPECT_EQ(call(0, PVX_HC_kick_vcpu, 1, 0, 0), 0);
	stop();
}

/* Every mode has a name --hostile takes, and its description. */
static void test_names(void)
{
	enum hostile m;

	EXPECT(!hostile_name(HOSTILE_NONE));
	EXPECT(hostile_parse("bogus", &m) < 0);
	EXPECT(hostile_parse("", &m) < 0);
	for (int i = HOSTILE_NONE + 1; i < HOSTILE_COUNT; i++) {
		EXPECT(hostile_name(i) && hostile_what(i) && *hostile_what(i));
		EXPECT_EQ(hostile_parse(hostile_name(i), &m), 0);
		EXPECT_EQ(m, i);
	}
}

/* CPUID: one register of one leaf bent, the rest as served. */
static void test_cpuid(void)
{
	static const struct { enum hostile m; int leaf, reg; uint32_t want; } t[] = {
		{ HOSTILE_CPUID_LEAVES_SHORT, 0, 0, PVX_CPUID_SCAN_FIRST + 1 },
		{ HOSTILE_CPUID_VERSION_GARBAGE, 1, 0, 0xffffffff },
		{ HOSTILE_CPUID_NR_VCPUS0, 1, 3, 0 },
		{ HOSTILE_CPUID_TRANSPORT, 2, 0, PVX_TRANSPORT_VMMCALL + 1 },
		{ HOSTILE_CPUID_PORT0, 2, 1, 0 },
		{ HOSTILE_CPUID_PORT_HIGH, 2, 1, 0xfffe },
		{ HOSTILE_OTHER_MAJOR, 1, 0, PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR + 1, 0) },
	};
	uint32_t got[3][4];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		start(t[i].m);
		read_cpuid(got);
		for (int l = 0; l < 3; l++)
			for (int r = 0; r < 4; r++)
				if (l == t[i].leaf && r == t[i].reg)
					EXPECT_EQ(got[l][r], t[i].want);
				else
					EXPECT_EQ(got[l][r], base_cpuid[l][r]);
		stop();
	}
	start(HOSTILE_CPUID_FEATURES_ALL);
	read_cpuid(got);
	EXPECT_EQ(got[1][1], 0xffffffff);
	EXPECT_EQ(got[1][2], 0xffffffff);
	EXPECT_EQ(negotiate(), 0);	/* still only what the library serves */
	EXPECT_EQ(neg()->features, base_neg.features);
	stop();
	start(HOSTILE_FUTURE_MINOR);
	read_cpuid(got);
	EXPECT_EQ(got[1][0], PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR + 1));
	EXPECT_EQ(got[1][1], base_cpuid[1][1] | 1u << (PVX_FEATURE_BIT_PV_IPI + 1));
	stop();
}

/* negotiate's answer: one field bent, or its result. */
static void test_negotiate(void)
{
	struct pvx_negotiate want;
	static const enum hostile t[] = {
		HOSTILE_ABI_HIGH, HOSTILE_FEATURES_EXTRA, HOSTILE_NEGOTIATE_MAJOR_LOW,
		HOSTILE_NEGOTIATE_SIZE, HOSTILE_NEGOTIATE_SIZE_LARGE,
		HOSTILE_NEGOTIATE_MAX_MULTICALL0, HOSTILE_NEGOTIATE_NR_VCPUS0,
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		start(t[i]);
		EXPECT_EQ(negotiate(), 0);
		want = base_neg;
		switch (t[i]) {
		case HOSTILE_ABI_HIGH:
			want.version = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR + 1);
			break;
		case HOSTILE_FEATURES_EXTRA:
			want.features |= 1ull << 63;
			break;
		case HOSTILE_NEGOTIATE_MAJOR_LOW:
			want.version = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR - 1, 1);
			break;
		case HOSTILE_NEGOTIATE_SIZE:
			want.size = 0;
			break;
		case HOSTILE_NEGOTIATE_SIZE_LARGE:
			want.size = PVX_PAGE_SIZE;
			break;
		case HOSTILE_NEGOTIATE_MAX_MULTICALL0:
			want.max_multicall = 0;
			break;
		default:
			want.nr_vcpus = 0;
			break;
		}
		if (memcmp(neg(), &want, sizeof(want)))
			FAILF("%s: negotiate's answer {%u, %#x, %#llx, %u, %u}", hostile_name(t[i]),
			      neg()->size, neg()->version, (unsigned long long)neg()->features,
			      neg()->nr_vcpus, neg()->max_multicall);
		stop();
	}
	/* a 1.0 guest gets no 1.1 fields: nothing beyond its 16 bytes is written */
	start(HOSTILE_NEGOTIATE_NR_VCPUS0);
	memset(neg(), 0xee, sizeof(*neg()));
	*neg() = (struct pvx_negotiate){ .size = 16, .version = PVX_ABI_VERSION(1, 0), .features = ~0ull,
					 .nr_vcpus = 0xeeeeeeee, .max_multicall = 0xeeeeeeee };
	EXPECT_EQ(call(0, PVX_HC_negotiate, NEG_GPA, 0, 0), 0);
	EXPECT_EQ(neg()->nr_vcpus, 0xeeeeeeee);
	stop();

	start(HOSTILE_NEGOTIATE_POSITIVE);
	EXPECT_EQ(negotiate(), 1);
	EXPECT(!memcmp(neg(), &base_neg, sizeof(base_neg)));
	EXPECT_EQ(call(0, PVX_HC_kick_vcpu, 1, 0, 0), 0);
	stop();

	start(HOSTILE_OTHER_MAJOR);
	EXPECT_EQ(negotiate(), -PVX_EPROTONOSUPPORT);
	stop();
}

static int64_t console(const char *s)
{
	memcpy(vm.ram + CON_GPA, s, strlen(s));
	return call(0, PVX_HC_console_write, CON_GPA, strlen(s), 0);
}

/* A multicall of kick_vcpu(1) and console_write("ab"); its own result. */
static int64_t multicall(struct pvx_multicall_entry **e)
{
	*e = (struct pvx_multicall_entry *)(vm.ram + MC_GPA);
	memcpy(vm.ram + CON_GPA, "ab", 2);
	(*e)[0] = (struct pvx_multicall_entry){ .nr = PVX_HC_kick_vcpu, .args = { 1 } };
	(*e)[1] = (struct pvx_multicall_entry){ .nr = PVX_HC_console_write, .args = { CON_GPA, 2 } };
	return call(0, PVX_HC_multicall, MC_GPA, 2, 0);
}

/* Hypercall results. */
static void test_returns(void)
{
	struct pvx_multicall_entry *e;

	start(HOSTILE_RET_POSITIVE);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(call(0, PVX_HC_kick_vcpu, 1, 0, 0), 7);
	EXPECT_EQ(call(0, PVX_HC_sched_yield, 0, 0, 0), 7);
	EXPECT_EQ(call(0, PVX_HC_kick_vcpu, 99, 0, 0), -PVX_ESRCH);	/* errors stay */
	EXPECT_EQ(console("abc"), 3);					/* a count stays */
	EXPECT_EQ(call(0, PVX_HC_send_ipi, 3, 0, 0xf0), 2);
	EXPECT_EQ(register_page(0), 7);
	EXPECT_EQ(page(0)->flags, base_rec.flags);		/* ... and was registered */
	EXPECT_EQ(multicall(&e), 7);
	EXPECT_EQ(e[0].result, 7);
	EXPECT_EQ(e[1].result, 2);
	stop();

	start(HOSTILE_RET_UNDOCUMENTED);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(call(0, PVX_HC_kick_vcpu, 1, 0, 0), -9999);
	EXPECT_EQ(console("abc"), -9999);
	EXPECT_EQ(register_page(0), -9999);
	EXPECT_EQ(page(0)->flags, base_rec.flags);		/* served */
	EXPECT_EQ(multicall(&e), -9999);
	EXPECT_EQ(e[0].result, -9999);
	EXPECT_EQ(e[1].result, -9999);
	stop();

	start(HOSTILE_SET_TIMER_ERROR);
	EXPECT_EQ(negotiate(), 0);
	EXPECT(neg()->features & PVX_FEATURE(TIMER));	/* offered, and accepted */
	EXPECT_EQ(call(0, PVX_HC_set_timer, guest_now() + SEC, 0xf0, 0), -PVX_EINVAL);
	EXPECT_EQ(call(0, PVX_HC_set_timer, 0, 0, 0), -PVX_EINVAL);
	e = (struct pvx_multicall_entry *)(vm.ram + MC_GPA);
	e[0] = (struct pvx_multicall_entry){ .nr = PVX_HC_set_timer };
	EXPECT_EQ(call(0, PVX_HC_multicall, MC_GPA, 1, 0), 0);
	EXPECT_EQ(e[0].result, -PVX_EINVAL);
	stop();

	start(HOSTILE_SEND_IPI_SHORT);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(call(0, PVX_HC_send_ipi, 3, 0, 0xf0), 0);
	EXPECT_EQ(call(0, PVX_HC_send_ipi, 3, 0, 1), -PVX_EINVAL);	/* the vector still checked */
	stop();

	start(HOSTILE_CONSOLE_NO_PROGRESS);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(console("abc"), 0);
	EXPECT_EQ(multicall(&e), 0);
	EXPECT_EQ(e[0].result, 0);
	EXPECT_EQ(e[1].result, 0);
	stop();

	start(HOSTILE_CONSOLE_ERROR);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(console("abc"), -PVX_EFAULT);
	EXPECT_EQ(multicall(&e), 0);
	EXPECT_EQ(e[1].result, -PVX_EFAULT);
	stop();

	start(HOSTILE_SHUTDOWN_RETURNS);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(call(0, PVX_HC_shutdown, PVX_SHUTDOWN_POWEROFF, 0, 0), 0);
	EXPECT(!atomic_load(&vm.done));
	stop();
}

/* The record differs from the library's only in the fields named. */
#define SAME(f)	EXPECT_EQ(r->f, base_rec.f)

static void test_register(void)
{
	struct pvx_vcpu_shared *r = page(0);

	start(HOSTILE_REGISTER_ERROR);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), -PVX_EINVAL);
	EXPECT_EQ(r->size, 0);
	stop();

	start(HOSTILE_PAGE_UNFILLED);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->size, 0);
	EXPECT_EQ(r->flags, 0);
	stop();

	start(HOSTILE_TIME_ODD);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	hypercall_enter(&cpus[0]);
	EXPECT_EQ(r->time.version, 1);
	EXPECT_EQ(r->flags, PVX_VCPU_TIME_VALID);
	stop();
}

static void test_shared_page(void)
{
	struct pvx_vcpu_shared *r = page(0);
	uint64_t st;

	start(HOSTILE_TIME_MUL0);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->time.tsc_to_system_mul, 0);
	EXPECT_EQ(r->time.tsc_shift, 0);
	EXPECT(r->time.system_time <= guest_now());
	SAME(flags);
	stop();

	start(HOSTILE_TIME_SHIFT127);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->time.tsc_shift, 127);
	EXPECT_EQ(r->time.version & 1, 0);
	SAME(time.tsc_to_system_mul);
	SAME(flags);
	stop();

	start(HOSTILE_SIZE_SHORT);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->size, 16);
	EXPECT_EQ(r->time.version & 1, 0);
	SAME(flags);
	SAME(time.tsc_shift);
	stop();

	start(HOSTILE_STEAL_ODD);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->steal_version & 1, 1);
	SAME(steal_ns);
	hypercall_enter(&cpus[0]);
	EXPECT_EQ(r->steal_version & 1, 1);
	stop();

	start(HOSTILE_PREEMPTED_GARBAGE);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->preempted, 0xff);
	EXPECT_EQ(r->steal_version & 1, 0);
	SAME(steal_ns);
	stop();

	start(HOSTILE_RECORD_RETIRED);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	SAME(flags);
	later();
	hypercall_enter(&cpus[0]);
	EXPECT_EQ(r->flags, 0);
	EXPECT_EQ(r->time.version & 1, 0);
	stop();

	start(HOSTILE_STEAL_BACKWARDS);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->steal_ns, 5000 + SEC);
	later();
	hypercall_enter(&cpus[0]);
	EXPECT_EQ(r->steal_ns, 5000);
	stop();

	for (int jump = 0; jump < 2; jump++) {
		start(jump ? HOSTILE_TIME_JUMP : HOSTILE_TIME_BACKWARDS);
		EXPECT_EQ(negotiate(), 0);
		EXPECT_EQ(register_page(0), 0);
		EXPECT(r->time.system_time <= guest_now());	/* not yet */
		later();
		hypercall_enter(&cpus[0]);
		st = r->time.system_time;
		EXPECT_EQ(r->time.version & 1, 0);
		if (jump)
			EXPECT(st > guest_now() + 3599 * SEC && st <= guest_now() + 3600 * SEC);
		else
			EXPECT(st < guest_now() - SEC + SEC / 10 && st > guest_now() - 2 * SEC);
		hypercall_enter(&cpus[0]);		/* bent once, not again */
		EXPECT_EQ(r->time.system_time, st);
		stop();
	}
}

/* Last: every mode of HOSTILE_MODES was exercised above. */
static void test_all_modes(void)
{
	for (int i = HOSTILE_NONE + 1; i < HOSTILE_COUNT; i++)
		if (!tested[i])
			FAILF("--hostile %s has no test here", hostile_name(i));
}

int main(int argc, char **argv)
{
	static const struct test tests[] = {
		T(baseline), T(names), T(cpuid), T(negotiate), T(returns),
		T(register), T(shared_page), T(all_modes),
	};

	vm.main_thread = pthread_self();
	vm.ram = aligned_alloc(PVX_PAGE_SIZE, RAM);
	vm.ram_size = RAM;
	vm.ncpus = CPUS;
	vm.cpus = cpus;
	vm.pers = PERS_PVX;
	vm.run_size = RUN_SIZE;
	vm.tsc_khz = 2000000;
	vm.pvx_features = ~(PVX_FEATURE(TIMER) | PVX_FEATURE(FLUSH_TLB));	/* pvx-hv's, less KVM's */
	for (int i = 0; i < CPUS; i++)
		cpus[i].run = aligned_alloc(4096, RUN_SIZE);
	if (!vm.ram || !cpus[0].run || !cpus[1].run)
		abort();
	return run_tests(tests, sizeof(tests) / sizeof(tests[0]), "hostile", argc, argv, NULL);
}
