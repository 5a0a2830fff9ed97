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
 * TSC scale; everything else fails with EBADF as on a closed fd.  With
 * start_kvm() a fake KVM answers too: it keeps every record PVX 1.2 can
 * leave to it (KVM_GET_SUPPORTED_CPUID), its clock runs 100 s ahead of
 * pvx-hv's own (KVM_GET_CLOCK), and KVM_SET_MSRS notes the records' MSRs
 * of each vCPU, and whether each write came from the vCPU's thread or
 * while the vCPU was out of KVM_RUN, as kvmrecords.c must.
 */
#include <asm/kvm_para.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

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
#define KVM_FD		900		/* the fake KVM's /dev/kvm ... */
#define VM_FD		901		/* ... and VM */
#define KVMCLOCK_AHEAD	(100 * SEC)	/* its clock against pvx-hv's own */

static struct vm vm = { .kvm = -1, .fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };
static struct vcpu cpus[CPUS];
static uint64_t fake_tsc = 1000000;
static bool tested[HOSTILE_COUNT];

/* The fake KVM: the MSRs of the records, per vCPU, as last written. */
static bool fake_kvm;
static struct {
	uint64_t time, steal, eoi, wall;
	unsigned int writes, wall_writes;	/* KVM_SET_MSRS entries, and of the wall clock */
} msrs[CPUS];
static int vcpu_tid[CPUS];		/* the thread each vCPU runs on */
static int bad_writes;			/* MSR writes into a vCPU inside KVM_RUN by another */
static const uint32_t all_records = (1u << HV_RECORDS) - 1;

#define MSR(cpu, f)	__atomic_load_n(&msrs[cpu].f, __ATOMIC_SEQ_CST)

static void fake_set_msr(int cpu, const struct kvm_msr_entry *e)
{
	uint64_t *at = e->index == MSR_KVM_SYSTEM_TIME_NEW ? &msrs[cpu].time :
		       e->index == MSR_KVM_STEAL_TIME ? &msrs[cpu].steal :
		       e->index == MSR_KVM_PV_EOI_EN ? &msrs[cpu].eoi :
		       e->index == MSR_KVM_WALL_CLOCK_NEW ? &msrs[cpu].wall : NULL;

	if (at)
		__atomic_store_n(at, e->data, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&msrs[cpu].writes, 1, __ATOMIC_SEQ_CST);
	if (e->index == MSR_KVM_WALL_CLOCK_NEW)
		__atomic_add_fetch(&msrs[cpu].wall_writes, 1, __ATOMIC_SEQ_CST);
}

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
	if (fake_kvm && fd >= VCPU_FD && fd < VCPU_FD + CPUS && req == KVM_SET_MSRS) {
		struct kvm_msrs *m = arg;
		int cpu = fd - VCPU_FD;

		if (syscall(SYS_gettid) != __atomic_load_n(&vcpu_tid[cpu], __ATOMIC_SEQ_CST) &&
		    (atomic_load(&cpus[cpu].run_seq) & 1))
			__atomic_add_fetch(&bad_writes, 1, __ATOMIC_SEQ_CST);
		for (uint32_t i = 0; i < m->nmsrs; i++)
			fake_set_msr(cpu, &m->entries[i]);
		return m->nmsrs;
	}
	if (fake_kvm && fd == KVM_FD && req == KVM_GET_SUPPORTED_CPUID) {
		struct kvm_cpuid2 *c = arg;

		c->nent = 1;
		c->entries[0] = (struct kvm_cpuid_entry2){
			.function = KVM_CPUID_FEATURES,
			.eax = 1u << KVM_FEATURE_CLOCKSOURCE2 | 1u << KVM_FEATURE_STEAL_TIME |
			       1u << KVM_FEATURE_PV_EOI | 1u << KVM_FEATURE_PV_TLB_FLUSH |
			       1u << KVM_FEATURE_CLOCKSOURCE_STABLE_BIT,
		};
		return 0;
	}
	if (fake_kvm && fd == VM_FD && req == KVM_GET_CLOCK) {
		struct kvm_clock_data *d = arg;

		d->clock = now_ns() - vm.t0_ns + KVMCLOCK_AHEAD;
		return 0;
	}
	errno = EBADF;
	return -1;
}

/* A VM with mode, on the fake KVM (kvm) or on none; --keep-records (keep). */
static void start_on(enum hostile mode, bool kvm, bool keep)
{
	tested[mode] = true;
	memset(vm.ram, 0, RAM);
	vm.hostile = mode;
	fake_kvm = kvm;
	vm.kvm = kvm ? KVM_FD : -1;
	vm.fd = kvm ? VM_FD : -1;
	vm.keep_records = keep;
	atomic_store(&vm.done, false);
	vm.status = 0;
	memset(msrs, 0, sizeof(msrs));
	bad_writes = 0;
	for (int i = 0; i < CPUS; i++) {
		struct kvm_run *run = cpus[i].run;

		memset(run, 0, RUN_SIZE);
		cpus[i] = (struct vcpu){
			.id = i, .fd = VCPU_FD + i, .stats_fd = -1, .schedstat = -1,
			.vm = &vm, .run = run, .steal_ns = 5000,
		};
		pthread_mutex_init(&cpus[i].msr_lock, NULL);
		vcpu_tid[i] = syscall(SYS_gettid);	/* this thread plays every vCPU */
	}
	if (hypercall_init(&vm))
		abort();
}

static void start(enum hostile mode)
{
	start_on(mode, false, false);
}

static void start_kvm(enum hostile mode)
{
	start_on(mode, true, false);
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

/* A guest of version that asks for everything. */
static int64_t negotiate_at(uint32_t version)
{
	*neg() = (struct pvx_negotiate){
		.size = sizeof(struct pvx_negotiate), .version = version, .features = ~0ull,
	};
	return call(0, PVX_HC_negotiate, NEG_GPA, 0, 0);
}

/* ... of the latest version (1.2), and of 1.1, which reads 1.0's steal fields. */
static int64_t negotiate(void)
{
	return negotiate_at(PVX_ABI_VERSION_LATEST);
}

static int64_t negotiate_11(void)
{
	return negotiate_at(PVX_ABI_VERSION(1, 1));
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

/* What the library serves without --hostile: to a 1.2 guest, a 1.1 guest. */
static uint32_t base_cpuid[3][4];
static struct pvx_negotiate base_neg;
static struct pvx_vcpu_shared base_rec, base_rec11;

/* The 1.2 records, each behind its flag. */
#define FLAGS_1_2	(PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_RECORD | PVX_VCPU_PV_EOI | \
			 PVX_VCPU_WALL_CLOCK)

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
	EXPECT_EQ(base_rec.flags, FLAGS_1_2);
	EXPECT(base_rec.time.tsc_to_system_mul != 0);
	EXPECT_EQ(base_rec.steal.steal, 5000);
	EXPECT_EQ(base_rec.steal.version & 1, 0);
	EXPECT_EQ(base_rec.steal.preempted, 0);
	EXPECT_EQ(base_rec.eoi, 0);
	EXPECT(base_rec.wall_clock.sec > 1600000000u);	/* CLOCK_REALTIME: after 2020 */
	EXPECT_EQ(call(0, PVX_HC_kick_vcpu, 1, 0, 0), 0);
	stop();

	start(HOSTILE_NONE);
	EXPECT_EQ(negotiate_11(), 0);
	EXPECT_EQ(register_page(0), 0);
	base_rec11 = *page(0);
	EXPECT_EQ(base_rec11.flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_VALID);
	EXPECT_EQ(base_rec11.steal_ns, 5000);
	EXPECT_EQ(base_rec11.preempted, 0);
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
	/* the feature bit above the latest minor's last: unknown to every guest */
	start(HOSTILE_FUTURE_MINOR);
	read_cpuid(got);
	EXPECT_EQ(got[1][0], PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR + 1));
	EXPECT_EQ(base_cpuid[1][1] & 1u << (PVX_FEATURE_BIT_SOFT_RESET + 1), 0);
	EXPECT_EQ(got[1][1], base_cpuid[1][1] | 1u << (PVX_FEATURE_BIT_SOFT_RESET + 1));
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

/* The record differs from the library's only in the fields named (1.2, 1.1 guest). */
#define SAME(f)		EXPECT_EQ(r->f, base_rec.f)
#define SAME11(f)	EXPECT_EQ(r->f, base_rec11.f)

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

	/* 1.0's steal fields: a 1.1 guest's (a 1.2 guest has the steal record) */
	start(HOSTILE_STEAL_ODD);
	EXPECT_EQ(negotiate_11(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->steal_version & 1, 1);
	SAME11(steal_ns);
	hypercall_enter(&cpus[0]);
	EXPECT_EQ(r->steal_version & 1, 1);
	stop();

	start(HOSTILE_PREEMPTED_GARBAGE);
	EXPECT_EQ(negotiate_11(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->preempted, 0xff);
	EXPECT_EQ(r->steal_version & 1, 0);
	SAME11(steal_ns);
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
	EXPECT_EQ(negotiate_11(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->steal_ns, 5000 + SEC);
	later();
	hypercall_enter(&cpus[0]);
	EXPECT_EQ(r->steal_ns, 5000);
	stop();
	/* and in a 1.2 guest's steal record, which then stays with the library */
	start_kvm(HOSTILE_STEAL_BACKWARDS);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->steal.steal, 5000 + SEC);
	later();
	hypercall_enter(&cpus[0]);
	EXPECT_EQ(r->steal.steal, 5000);
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

/* Where pvx_vcpu_shared's records lie, as KVM's MSRs name them. */
#define AT(cpu, field)	(PAGE_GPA + (cpu) * PVX_PAGE_SIZE + offsetof(struct pvx_vcpu_shared, field))

/* Each record KVM keeps for cpu, armed at its place in the page. */
static uint32_t armed(int cpu)
{
	return (MSR(cpu, time) == (AT(cpu, time) | 1) ? PVXHV_RECORD(TIME) : 0) |
	       (MSR(cpu, steal) == (AT(cpu, steal) | KVM_MSR_ENABLED) ? PVXHV_RECORD(STEAL) : 0) |
	       (MSR(cpu, eoi) == (AT(cpu, eoi) | KVM_MSR_ENABLED) ? PVXHV_RECORD(EOI) : 0) |
	       (MSR(cpu, wall) == AT(cpu, wall_clock) ? PVXHV_RECORD(WALL_CLOCK) : 0);
}

/*
 * KVM keeps every record it can: the MSRs armed at each registration,
 * also of the same page again (an INIT clears them in KVM), disarmed when
 * the page goes; --keep-records leaves them all to the library.
 */
static void test_records(void)
{
	const uint64_t want = PVX_FEATURE(STABLE_TIME) | PVX_FEATURE(STEAL_RECORD) |
			      PVX_FEATURE(PV_EOI) | PVX_FEATURE(WALL_CLOCK) | PVX_FEATURE(SOFT_RESET);
	struct pvx_vcpu_shared *r = page(0);
	unsigned int wall;

	start_kvm(HOSTILE_NONE);
	EXPECT_EQ(vm.records, all_records);
	EXPECT(vm.kvmclock);
	EXPECT_EQ(cpus[1].records, all_records);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(neg()->features & want, want);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(armed(0), all_records);
	EXPECT_EQ(msrs[1].writes, 0);
	EXPECT_EQ(r->flags, FLAGS_1_2);
	/* KVM writes them, not the library (the fake KVM: nothing) */
	EXPECT_EQ(r->time.version, 0);
	EXPECT_EQ(r->steal.version, 0);
	EXPECT_EQ(r->wall_clock.version, 0);
	EXPECT(kvm_records_steal_kept(&cpus[0]));
	/* INIT: KVM forgets the MSRs; the same page registered again re-arms them */
	memset(&msrs[0], 0, sizeof(msrs[0]));
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(armed(0), all_records);
	/* unregistered: KVM stops; the wall clock, written once, has nothing to stop */
	wall = msrs[0].wall_writes;
	EXPECT_EQ(call(0, PVX_HC_register_shared_page, PVX_GPA_NONE, 0, 0), 0);
	EXPECT_EQ(MSR(0, time), 0);
	EXPECT_EQ(MSR(0, steal), 0);
	EXPECT_EQ(MSR(0, eoi), 0);
	EXPECT_EQ(msrs[0].wall_writes, wall);
	EXPECT(!kvm_records_steal_kept(&cpus[0]));
	EXPECT_EQ(bad_writes, 0);
	stop();

	/* a guest of 1.1: KVM keeps its time record, the rest is 1.0's and the library's */
	start_kvm(HOSTILE_NONE);
	EXPECT_EQ(negotiate_11(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(armed(0), PVXHV_RECORD(TIME));
	EXPECT_EQ(MSR(0, steal), 0);
	EXPECT_EQ(r->flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_VALID);
	EXPECT_EQ(r->steal_ns, 5000);
	stop();

	start_on(HOSTILE_NONE, true, true);
	EXPECT_EQ(vm.records, 0);
	EXPECT(!vm.kvmclock);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(msrs[0].writes, 0);
	EXPECT_EQ(r->flags, FLAGS_1_2);
	EXPECT(r->time.tsc_to_system_mul != 0);
	EXPECT(r->time.version != 0 && !(r->time.version & 1));
	EXPECT_EQ(r->steal.steal, 5000);
	EXPECT(r->wall_clock.sec > 1600000000u);
	EXPECT(!kvm_records_steal_kept(&cpus[0]));
	stop();
}

/*
 * With the time record KVM's, guest time is KVM's clock (100 s ahead of
 * pvx-hv's own here): the library's clock and block's deadline go by it.
 */
static void test_records_clock(void)
{
	int64_t left;

	start_kvm(HOSTILE_NONE);
	EXPECT_EQ(negotiate(), 0);
	/* 50 s: past on KVM's clock */
	EXPECT_EQ(call(0, PVX_HC_block, guest_now() + 50 * SEC, 0, 0), -PVX_ETIMEDOUT);
	/* a second ahead on KVM's clock: a second ahead on CLOCK_MONOTONIC */
	EXPECT_EQ(call(0, PVX_HC_block, guest_now() + KVMCLOCK_AHEAD + SEC, 0, 0), 0);
	EXPECT(cpus[0].block);
	left = (int64_t)(cpus[0].block_deadline - now_ns());
	if (left <= (int64_t)SEC / 2 || left > (int64_t)SEC)
		FAILF("a deadline 1 s ahead of KVM's clock is %lld ns from now", (long long)left);
	stop();

	/* without: pvx-hv's own clock */
	start(HOSTILE_NONE);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(call(0, PVX_HC_block, guest_now() + 50 * SEC, 0, 0), 0);
	left = (int64_t)(cpus[0].block_deadline - now_ns());
	EXPECT(left > 49 * (int64_t)SEC && left <= 50 * (int64_t)SEC);
	stop();
}

/*
 * vCPU 1's thread, with KVM_RUN faked: inside it (run_seq odd) until
 * kicked (immediate_exit), as KVM returns at a signal; deaf: not even then.
 */
static atomic_bool sim_stop, sim_deaf;

static void *sim_vcpu1(void *arg)
{
	struct vcpu *c = &cpus[1];

	(void)arg;
	__atomic_store_n(&vcpu_tid[1], (int)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	while (!atomic_load(&sim_stop)) {
		if (!tlbflush_run_begin(c))
			abort();
		while (!atomic_load(&sim_stop) &&
		       (atomic_load(&sim_deaf) || !__atomic_load_n(&c->run->immediate_exit, __ATOMIC_SEQ_CST)))
			usleep(100);
		tlbflush_run_end(c);
		__atomic_store_n(&c->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	}
	return NULL;
}

/* Both vCPUs registered, vCPU 1 inside its (faked) KVM_RUN. */
static void start_two(bool deaf)
{
	start_kvm(HOSTILE_NONE);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(register_page(1), 0);
	EXPECT_EQ(armed(1), all_records);
	atomic_store(&sim_stop, false);
	atomic_store(&sim_deaf, deaf);
	if (pthread_create(&cpus[1].thread, NULL, sim_vcpu1, NULL))
		abort();
	cpus[1].started = true;
	while (!(atomic_load(&cpus[1].run_seq) & 1))
		usleep(100);
}

static void stop_two(void)
{
	atomic_store(&sim_stop, true);
	pthread_join(cpus[1].thread, NULL);
	cpus[1].started = false;
	stop();
}

/*
 * soft_reset on vCPU 0 withdraws vCPU 1's records too: written on vCPU
 * 1's thread or while it is out of KVM_RUN, and before soft_reset returns.
 */
static void test_records_other_vcpu(void)
{
	start_two(false);
	EXPECT_EQ(call(0, PVX_HC_soft_reset, 0, 0, 0), 0);
	EXPECT_EQ(MSR(1, time), 0);
	EXPECT_EQ(MSR(1, steal), 0);
	EXPECT_EQ(MSR(1, eoi), 0);
	EXPECT_EQ(MSR(0, time), 0);
	EXPECT(atomic_load(&cpus[1].rec_kicked) >= 1);
	EXPECT_EQ(bad_writes, 0);
	EXPECT(!atomic_load(&vm.done));
	/* afterwards only negotiate succeeds */
	EXPECT_EQ(call(0, PVX_HC_kick_vcpu, 1, 0, 0), -PVX_EPERM);
	stop_two();
}

/* A vCPU that never leaves KVM_RUN: the wait ends, and so does the VM. */
static void test_records_wait_bounded(void)
{
	uint64_t t0, took;

	start_two(true);
	t0 = now_ns();
	call(0, PVX_HC_soft_reset, 0, 0, 0);
	took = now_ns() - t0;
	if (took < 4 * SEC || took > 10 * SEC)
		FAILF("soft_reset returned after %llu ms", (unsigned long long)(took / 1000000));
	EXPECT(atomic_load(&vm.done));
	EXPECT_EQ(vm.status, HV_EINTERNAL);
	EXPECT_EQ(armed(1), all_records);	/* not written while inside KVM_RUN */
	EXPECT_EQ(bad_writes, 0);
	stop_two();
}

/* A record a mode bends stays with the library; KVM keeps the others. */
static void test_records_bent(void)
{
	const uint32_t time = PVXHV_RECORD(TIME) | PVXHV_RECORD(WALL_CLOCK);
	static const struct { enum hostile m; uint32_t kept; } t[] = {
		{ HOSTILE_STEAL_RECORD_ODD, PVXHV_RECORD(STEAL) },
		{ HOSTILE_FLUSH_NO_PREEMPTED, PVXHV_RECORD(STEAL) },
		{ HOSTILE_STEAL_BACKWARDS, PVXHV_RECORD(STEAL) },
		{ HOSTILE_EOI_GARBAGE, PVXHV_RECORD(EOI) },
		{ HOSTILE_WALL_CLOCK_1970, PVXHV_RECORD(WALL_CLOCK) },
		{ HOSTILE_WALL_CLOCK_2106, PVXHV_RECORD(WALL_CLOCK) },
		{ HOSTILE_TIME_MUL0, time }, { HOSTILE_TIME_SHIFT127, time },
		{ HOSTILE_TIME_BACKWARDS, time }, { HOSTILE_TIME_JUMP, time },
		{ HOSTILE_SIZE_SHORT, time }, { HOSTILE_RECORD_RETIRED, time },
		{ HOSTILE_STEAL_ODD, 0 }, { HOSTILE_PREEMPTED_GARBAGE, 0 },
		{ HOSTILE_SOFT_RESET_REFUSED, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		start_kvm(t[i].m);
		EXPECT_EQ(negotiate(), 0);
		EXPECT_EQ(register_page(0), 0);
		if (vm.records != (all_records & ~t[i].kept) || armed(0) != vm.records)
			FAILF("%s: KVM keeps %#x, armed %#x", hostile_name(t[i].m), vm.records, armed(0));
		stop();
	}
}

/* Each 1.2 record's bend, and nothing else of the record. */
static void test_records_fields(void)
{
	struct pvx_vcpu_shared *r = page(0);
	struct pvx_wall_clock w;
	unsigned int writes;

	start_kvm(HOSTILE_STEAL_RECORD_ODD);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->steal.version & 1, 1);
	EXPECT_EQ(r->steal.steal, 5000);
	EXPECT_EQ(r->steal.preempted, 0);
	EXPECT_EQ(r->flags, FLAGS_1_2);
	hypercall_enter(&cpus[0]);
	EXPECT_EQ(r->steal.version & 1, 1);
	stop();

	start_kvm(HOSTILE_FLUSH_NO_PREEMPTED);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->steal.preempted, PVX_STEAL_FLUSH_TLB);
	EXPECT_EQ(r->steal.version & 1, 0);
	EXPECT_EQ(r->steal.steal, 5000);
	/* no flush for pvx-hv's own lie ... */
	hypercall_enter(&cpus[0]);
	EXPECT(!atomic_load(&cpus[0].flush_req));
	EXPECT_EQ(r->steal.preempted, PVX_STEAL_FLUSH_TLB);
	/* ... but for the guest's request, beside PREEMPTED */
	__atomic_store_n(&r->steal.preempted, PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB,
			 __ATOMIC_SEQ_CST);
	hypercall_enter(&cpus[0]);
	EXPECT(atomic_load(&cpus[0].flush_req));
	EXPECT_EQ(r->steal.preempted, PVX_STEAL_FLUSH_TLB);
	stop();

	start_kvm(HOSTILE_EOI_GARBAGE);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(r->eoi, 0xdeadbeef);
	EXPECT_EQ(r->flags, FLAGS_1_2);
	EXPECT_EQ(r->steal.version, 0);		/* KVM's */
	stop();

	for (int y2106 = 0; y2106 < 2; y2106++) {
		start_kvm(y2106 ? HOSTILE_WALL_CLOCK_2106 : HOSTILE_WALL_CLOCK_1970);
		EXPECT_EQ(negotiate(), 0);
		EXPECT_EQ(call(0, PVX_HC_register_shared_page, PAGE_GPA, 0, 0), 0);
		w = r->wall_clock;			/* the library's, not yet bent */
		EXPECT(w.sec > 1600000000u && w.nsec < SEC && !(w.version & 1));
		hypercall_enter(&cpus[0]);
		EXPECT_EQ(r->wall_clock.sec, y2106 ? 0xffffffffu : 0);
		EXPECT_EQ(r->wall_clock.nsec, y2106 ? w.nsec : 0);
		EXPECT(r->wall_clock.version > w.version && !(r->wall_clock.version & 1));
		EXPECT_EQ(r->flags, FLAGS_1_2);
		stop();
	}

	start_kvm(HOSTILE_SOFT_RESET_REFUSED);
	EXPECT_EQ(negotiate(), 0);
	EXPECT_EQ(register_page(0), 0);
	EXPECT_EQ(register_page(1), 0);
	writes = msrs[0].writes + msrs[1].writes;
	EXPECT_EQ(call(0, PVX_HC_soft_reset, 0, 0, 0), -PVX_EPERM);
	EXPECT_EQ(msrs[0].writes + msrs[1].writes, writes);
	EXPECT_EQ(armed(0), all_records);
	EXPECT_EQ(armed(1), all_records);
	EXPECT_EQ(page(0)->flags, FLAGS_1_2);
	EXPECT_EQ(page(1)->flags, FLAGS_1_2);
	EXPECT_EQ(negotiate(), -PVX_EALREADY);
	EXPECT_EQ(call(0, PVX_HC_kick_vcpu, 1, 0, 0), 0);
	stop();
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
		T(register), T(shared_page), T(records), T(records_clock),
		T(records_other_vcpu), T(records_wait_bounded), T(records_bent),
		T(records_fields), T(all_modes),
	};
	struct sigaction kick = { .sa_handler = vcpu_signal };

	/* a kick interrupts vCPU 1's thread; a VM that ends tells this one */
	sigaction(SIG_KICK, &kick, NULL);
	signal(SIG_DONE, SIG_IGN);
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
