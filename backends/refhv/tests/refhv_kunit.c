// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvx_refhv: every PVX hypercall, put to the host refhv runs
 * on, with valid and hostile arguments; each must give the result the
 * ABI documents (include/uapi/pvx/hypercall.h).  The host is the unit
 * under test here as much as refhv: a host that mishandles a hostile
 * argument fails a case.  Skipped unless refhv won detection.
 *
 * The suite is #included at the end of refhv.c, as ext4's mballoc-test.c
 * is, so it reaches refhv's internals without refhv exporting any.
 *
 * Nothing here may end the guest or lose its clock: shutdown is put only
 * out-of-domain arguments, and the one valid re-registration puts the
 * calling CPU's own page back.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/preempt.h>
#include <linux/sched/clock.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <pvx/abi.h>
#include <asm/irq_vectors.h>
#include <asm/mc146818rtc.h>
#include <asm/pvclock.h>
#include <asm/pvx.h>
#include <asm/qspinlock.h>

#define HC3(nr, a0, a1, a2)	static_call(refhv_hc)(PVX_HC_##nr, a0, a1, a2)
#define HC(nr, a0, a1)		HC3(nr, a0, a1, 0)

static int pvx_refhv_test_init(struct kunit *test)
{
	if (x86_hyper_type != X86_HYPER_PVX || !pvx_negotiated.abi)
		kunit_skip(test, "refhv is not the active backend");
	return 0;
}

/* A hypercall newer than the negotiated version: ENOSYS, else its feature. */
static long pvx_refhv_unusable(u32 since, u64 feature)
{
	const struct pvx_negotiated *neg = &pvx_negotiated;

	if (neg->abi < since)
		return -PVX_ENOSYS;
	return neg->features & feature ? 0 : -PVX_EOPNOTSUPP;
}

/* The steal time in @s, as the host last wrote it (1.0's fields or 1.2's record). */
static u64 pvx_refhv_steal(struct pvx_vcpu_shared *s)
{
	if (refhv_steal_flag == PVX_VCPU_STEAL_RECORD)
		return READ_ONCE(s->steal.steal);
	return READ_ONCE(s->steal_ns);
}

/* negotiate succeeds once per guest; the boot did it. */
static void pvx_refhv_negotiate_again(struct kunit *test)
{
	struct pvx_negotiate *n = kunit_kzalloc(test, sizeof(*n), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, n);
	n->size = sizeof(*n);
	n->version = pvx_negotiated.abi;
	KUNIT_EXPECT_EQ(test, HC(negotiate, __pa(n), 0), -PVX_EALREADY);
}

/* All 64 bits of RAX name the call. */
static void pvx_refhv_unknown_number(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, static_call(refhv_hc)(0xffff, 0, 0, 0), -PVX_ENOSYS);
	KUNIT_EXPECT_EQ(test, static_call(refhv_hc)(BIT_ULL(32) | PVX_HC_sched_yield, 0, 0, 0),
			-PVX_ENOSYS);
	KUNIT_EXPECT_EQ(test, static_call(refhv_hc)(~0ULL, 0, 0, 0), -PVX_ENOSYS);
}

/* An argument register a call does not use must be zero. */
static void pvx_refhv_unused_argument(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, HC(sched_yield, 1, 0), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(sched_yield, 0, 1), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(kick_vcpu, 0, 1), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC3(sched_yield, 0, 0, 1), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC3(kick_vcpu, 0, 0, 1), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(sched_yield, 0, 0), 0);
}

static void pvx_refhv_kick_range(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, HC(kick_vcpu, PVX_MAX_VCPUS, 0), -PVX_ESRCH);
	KUNIT_EXPECT_EQ(test, HC(kick_vcpu, BIT_ULL(32), 0), -PVX_ESRCH);
	KUNIT_EXPECT_EQ(test, HC(kick_vcpu, ~0ULL, 0), -PVX_ESRCH);
}

/*
 * block: a passed deadline is refused (and keeps a pending kick), a
 * pending kick is consumed at once, a near deadline ends the block (or
 * is refused, if it passed on the way).
 */
static void pvx_refhv_block(struct kunit *test)
{
	struct pvx_vcpu_shared *s;
	unsigned long flags;
	long ret;
	u64 now;

	local_irq_save(flags);
	KUNIT_EXPECT_EQ(test, HC(block, 1, 0), -PVX_ETIMEDOUT);
	/* Without its page this CPU knows neither its vCPU id nor the time. */
	s = refhv_shared_page(smp_processor_id());
	if (s) {
		KUNIT_EXPECT_EQ(test, HC(kick_vcpu, s->vcpu_id, 0), 0);
		KUNIT_EXPECT_EQ(test, HC(block, 1, 0), -PVX_ETIMEDOUT);
		KUNIT_EXPECT_EQ(test, HC(block, 0, 0), 0);
		/*
		 * A deadline 1 ms ahead: 0 at the deadline, or ETIMEDOUT if
		 * the host saw it pass first (a vCPU preempted on the way).
		 */
		now = refhv_clock_now();
		ret = HC(block, now + NSEC_PER_MSEC, 0);
		if (ret)
			KUNIT_EXPECT_EQ(test, ret, -PVX_ETIMEDOUT);
		KUNIT_EXPECT_GE(test, refhv_clock_now(),
				ret ? now + NSEC_PER_MSEC : now);
	}
	local_irq_restore(flags);
}

struct pvx_refhv_blocker {
	u64 deadline;
	bool stop;
	long ret;
	struct completion done;
};

/*
 * On another CPU: block with interrupts masked, as refhv's spinlock wait
 * does, again after any event (its own timer's expiry, an IPI, which it
 * takes in between), until told to stop or the deadline passes.
 */
static int pvx_refhv_blocker_fn(void *arg)
{
	struct pvx_refhv_blocker *b = arg;
	unsigned long flags;

	do {
		local_irq_save(flags);
		b->ret = HC(block, b->deadline, 0);
		local_irq_restore(flags);
	} while (!b->ret && !READ_ONCE(b->stop));
	complete(&b->done);
	return 0;
}

/* A blocker on @cpu, blocking until @deadline; false if none started. */
static bool pvx_refhv_blocker_start(struct kunit *test, struct pvx_refhv_blocker *b,
				    unsigned int cpu, u64 deadline)
{
	struct task_struct *t;

	init_completion(&b->done);
	b->deadline = deadline;
	t = kthread_create_on_cpu(pvx_refhv_blocker_fn, b, cpu, "pvx_refhv_block/%u");
	if (IS_ERR(t)) {
		KUNIT_FAIL(test, "kthread_create_on_cpu: %ld", PTR_ERR(t));
		return false;
	}
	wake_up_process(t);
	return true;
}

/* Why the tests of a vCPU preempted in block skip with the 1.2 steal record. */
#define PVX_REFHV_BLOCK_MAY \
	"the steal record marks a vCPU in block preempted only if its host chooses (KVM does not)"

/* Until @end: true once @cpu's vCPU is preempted. */
static bool pvx_refhv_wait_preempted(unsigned int cpu, unsigned long end)
{
	bool seen;

	while (!(seen = refhv_vcpu_is_preempted(cpu)) && time_before(jiffies, end))
		usleep_range(500, 1000);
	return seen;
}

/* Stop the blocker on @s's vCPU: a kick ends its block (0) before @deadline. */
static void pvx_refhv_blocker_stop(struct kunit *test, struct pvx_refhv_blocker *b,
				   struct pvx_vcpu_shared *s)
{
	WRITE_ONCE(b->stop, true);
	KUNIT_EXPECT_EQ(test, HC(kick_vcpu, READ_ONCE(s->vcpu_id), 0), 0);
}

/* Wait for a stopped blocker: ended by the kick, not by the deadline. */
static void pvx_refhv_blocker_wait(struct kunit *test, struct pvx_refhv_blocker *b,
				   struct pvx_vcpu_shared *s)
{
	wait_for_completion(&b->done);
	KUNIT_EXPECT_EQ(test, b->ret, 0);
	KUNIT_EXPECT_LT(test, refhv_clock_now(), b->deadline);
}

/*
 * A vCPU in block is preempted (shared-page.rst): another CPU blocks with
 * interrupts masked until a deadline 2 s ahead; this CPU (which stays put:
 * the other could not run while it spins here) must see its preempted
 * flag within 1.5 s, a flush_tlb naming it only must be deferred (return
 * 1; tried again should the block have just ended on an event), and a
 * kick must end the block (0) before its deadline.
 */
static void pvx_refhv_block_preempted(struct kunit *test)
{
	struct pvx_refhv_blocker *b;
	struct pvx_vcpu_shared *s;
	unsigned int cpu, i;
	unsigned long end;
	long deferred = -1;
	bool seen, flush;
	u64 *map;

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	map = kunit_kzalloc(test, sizeof(*map), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, map);
	flush = !pvx_refhv_unusable(PVX_ABI_VERSION(1, 0), PVX_FEATURE(FLUSH_TLB));
	migrate_disable();
	cpu = cpumask_any_but(cpu_online_mask, smp_processor_id());
	s = cpu < nr_cpu_ids ? refhv_shared_page(cpu) : NULL;
	if (!s || !(READ_ONCE(s->flags) & refhv_steal_flag)) {
		migrate_enable();
		kunit_skip(test, "no other CPU with steal time and the preempted flag");
	}
	if (refhv_steal_flag == PVX_VCPU_STEAL_RECORD) {
		migrate_enable();
		kunit_skip(test, PVX_REFHV_BLOCK_MAY);
	}
	if (!pvx_refhv_blocker_start(test, b, cpu,
				     refhv_clock_now() +
				     2 * NSEC_PER_SEC)) {
		migrate_enable();
		return;
	}
	end = jiffies + msecs_to_jiffies(1500);
	for (i = 0; i < 5; i++) {
		seen = pvx_refhv_wait_preempted(cpu, end);
		if (!seen || !flush)
			break;
		*map = BIT_ULL(READ_ONCE(s->vcpu_id));
		deferred = HC(flush_tlb, __pa(map), 64);
		if (deferred == 1)
			break;
	}
	KUNIT_EXPECT_TRUE(test, seen);
	if (seen && flush)
		KUNIT_EXPECT_EQ(test, deferred, 1);
	pvx_refhv_blocker_stop(test, b, s);
	migrate_enable();
	pvx_refhv_blocker_wait(test, b, s);
}

static void pvx_refhv_count_call(void *calls)
{
	atomic_inc(calls);
}

/*
 * A call-function IPI to two busy CPUs whose vCPUs are preempted (each
 * blocks with interrupts masked, again after each event, until 3 s
 * ahead), five times: refhv sends it in one multicall with a sched_yield
 * (pvx-hv counts those; check-hv wants some), the IPI ends their blocks,
 * and both run the function each time, well before their deadlines.
 */
static void pvx_refhv_call_func_preempted(struct kunit *test)
{
	struct pvx_refhv_blocker *b;
	struct pvx_vcpu_shared *s[2];
	unsigned int cpu[2], i, n = 0, round;
	struct cpumask *mask;
	unsigned long end;
	atomic_t calls = ATOMIC_INIT(0);
	u64 deadline;
	bool seen = true;

	if (smp_ops.send_call_func_ipi != refhv_send_call_func_ipi)
		kunit_skip(test, "no pv call-function IPI");
	if (refhv_steal_flag == PVX_VCPU_STEAL_RECORD)
		kunit_skip(test, PVX_REFHV_BLOCK_MAY);
	b = kunit_kcalloc(test, 2, sizeof(*b), GFP_KERNEL);
	mask = kunit_kzalloc(test, cpumask_size(), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, mask);
	migrate_disable();
	for_each_online_cpu(i) {
		if (i == smp_processor_id() || !refhv_shared_page(i))
			continue;
		cpu[n] = i;
		s[n] = refhv_shared_page(i);
		if (++n == 2)
			break;
	}
	if (n < 2) {
		migrate_enable();
		kunit_skip(test, "fewer than two other CPUs with a shared page");
	}
	deadline = refhv_clock_now() + 3 * NSEC_PER_SEC;
	for (i = 0; i < 2; i++) {
		if (!pvx_refhv_blocker_start(test, &b[i], cpu[i], deadline)) {
			n = i;
			goto stop;
		}
		cpumask_set_cpu(cpu[i], mask);
	}
	for (round = 0; round < 5 && seen; round++) {
		end = jiffies + msecs_to_jiffies(300);
		for (i = 0; i < 2; i++)
			seen &= pvx_refhv_wait_preempted(cpu[i], end);
		on_each_cpu_mask(mask, pvx_refhv_count_call, &calls, true);
	}
	KUNIT_EXPECT_TRUE(test, seen);
	KUNIT_EXPECT_EQ(test, atomic_read(&calls), 2 * round);
	KUNIT_EXPECT_LT(test, refhv_clock_now(), deadline);
stop:
	for (i = 0; i < n; i++)
		pvx_refhv_blocker_stop(test, &b[i], s[i]);
	migrate_enable();
	for (i = 0; i < n; i++)
		pvx_refhv_blocker_wait(test, &b[i], s[i]);
}

/*
 * multicall: the calls run in order, each result in its own entry; an
 * entry with flags, a nested multicall or a call that may not be batched
 * fails alone.  The array's own checks fail the whole call, writing no
 * result.
 */
static void pvx_refhv_multicall(struct kunit *test)
{
	static const struct {
		struct pvx_multicall_entry e;
		long want;
	} calls[] = {
		/* no sched_yield runs here: pvx-hv counts refhv's, check-hv wants them */
		{ { .nr = PVX_HC_send_ipi, .args = { 0, 0, PVX_VECTOR_MIN } }, 0 },
		{ { .nr = PVX_HC_kick_vcpu, .args = { PVX_MAX_VCPUS } }, -PVX_ESRCH },
		{ { .nr = PVX_HC_sched_yield, .args = { 1 } }, -PVX_EINVAL },
		{ { .nr = PVX_HC_sched_yield, .flags = 1 }, -PVX_EINVAL },
		{ { .nr = 0xffff, .flags = 1 }, -PVX_EINVAL },
		{ { .nr = 0xffff }, -PVX_ENOSYS },
		/* arguments that would do no harm, should the host run them */
		{ { .nr = PVX_HC_block, .args = { 1 } }, -PVX_ELOOP },
		{ { .nr = PVX_HC_negotiate }, -PVX_ELOOP },
		{ { .nr = PVX_HC_shutdown, .args = { 99 } }, -PVX_ELOOP },
		{ { .nr = PVX_HC_multicall }, -PVX_ELOOP },
		{ { .nr = PVX_HC_console_write }, 0 },
	};
	struct pvx_multicall_entry *e;
	phys_addr_t pa;
	unsigned int i;
	long want;

	want = pvx_refhv_unusable(PVX_ABI_VERSION(1, 0), PVX_FEATURE(MULTICALL));
	if (want)
		kunit_skip(test, "MULTICALL was not negotiated");
	e = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);	/* page-aligned */
	KUNIT_ASSERT_NOT_NULL(test, e);
	pa = __pa(e);
	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		e[i] = calls[i].e;
		e[i].result = 0x5a5a;
	}
	KUNIT_EXPECT_EQ(test, HC(multicall, pa, ARRAY_SIZE(calls)), 0);
	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		want = calls[i].want;
		if (calls[i].e.nr == PVX_HC_console_write)
			want = pvx_refhv_unusable(PVX_ABI_VERSION(1, 0), PVX_FEATURE(CONSOLE));
		if (calls[i].e.nr == PVX_HC_send_ipi)
			want = pvx_refhv_unusable(PVX_ABI_VERSION(1, 1), PVX_FEATURE(PV_IPI));
		KUNIT_EXPECT_EQ_MSG(test, e[i].result, want, "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, e[i].nr, calls[i].e.nr, "entry %u", i);
	}
	e[0].result = 0x5a5a;
	KUNIT_EXPECT_EQ(test, HC(multicall, ~0ULL, 0), 0);
	KUNIT_EXPECT_EQ(test, HC(multicall, pa, PVX_MULTICALL_MAX + 1), -PVX_E2BIG);
	KUNIT_EXPECT_EQ(test, HC(multicall, pa + 4, 1), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(multicall, pa + PAGE_SIZE - sizeof(*e), 2), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(multicall, ~0ULL & ~7ULL, 1), -PVX_EFAULT);
	KUNIT_EXPECT_EQ(test, HC(multicall, BIT_ULL(52), 1), -PVX_EFAULT);
	KUNIT_EXPECT_EQ(test, e[0].result, 0x5a5a);
	KUNIT_EXPECT_EQ(test, HC3(multicall, pa, 1, 1), -PVX_EINVAL);
}

/* register_shared_page: hostile pages refused, the own page taken back. */
static void pvx_refhv_register_shared_page(struct kunit *test)
{
	struct pvx_vcpu_shared *s, *other = NULL;
	struct pvclock_vcpu_time_info *time;
	unsigned int cpu, o;
	unsigned long flags;
	long ret;

	local_irq_save(flags);
	cpu = smp_processor_id();
	s = refhv_shared_page(cpu);
	if (!s) {
		local_irq_restore(flags);
		kunit_skip(test, "no shared page (not granted, or refused at boot)");
	}
	for_each_online_cpu(o)
		if (o != cpu && refhv_shared_page(o))
			other = refhv_shared_page(o);
	KUNIT_EXPECT_EQ(test, HC(register_shared_page, __pa(s) + 8, 0), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(register_shared_page, BIT_ULL(46), 0), -PVX_EFAULT);
	KUNIT_EXPECT_EQ(test, HC(register_shared_page, ~0ULL << PAGE_SHIFT, 0), -PVX_EFAULT);
	KUNIT_EXPECT_EQ(test, HC(register_shared_page, 0, 1), -PVX_EINVAL);
	if (other)
		KUNIT_EXPECT_EQ(test, HC(register_shared_page, __pa(other), 0), -PVX_EINVAL);
	/* the own page again: the host fills it at once (the time record moved or not) */
	WRITE_ONCE(s->flags, 0);
	ret = HC(register_shared_page, __pa(s), 0);
	KUNIT_EXPECT_EQ(test, ret, 0);
	time = this_cpu_read(refhv_time_rec);
	KUNIT_EXPECT_EQ(test, !!(READ_ONCE(s->flags) & PVX_VCPU_TIME_VALID),
			time == refhv_page_time(s));
	KUNIT_EXPECT_EQ(test, READ_ONCE(time->version) & 1, 0);
	local_irq_restore(flags);
}

/*
 * cpuhp: CPU 1 goes offline and unregisters its page, which the host then
 * takes from another vCPU; back online, CPU 1 registers the same page
 * again and the host fills in its vCPU id and steal time once more.
 */
static void pvx_refhv_cpu_hotplug(struct kunit *test)
{
	struct pvx_vcpu_shared *s = refhv_shared_page(1), *own;
	unsigned long flags;
	long ret = 0, back = 0;
	u64 steal;
	u32 id;

	if (!cpu_online(1) || !s)
		kunit_skip(test, "no CPU 1 with a shared page");
	id = READ_ONCE(s->vcpu_id);
	steal = pvx_refhv_steal(s);
	KUNIT_ASSERT_EQ(test, remove_cpu(1), 0);
	/* this CPU takes the page for a moment, then puts its own back */
	local_irq_save(flags);
	own = refhv_shared_page(smp_processor_id());
	if (own) {
		ret = HC(register_shared_page, __pa(s), 0);
		back = HC(register_shared_page, __pa(own), 0);
	}
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, back, 0);
	KUNIT_ASSERT_EQ(test, add_cpu(1), 0);
	KUNIT_EXPECT_PTR_EQ(test, refhv_shared_page(1), s);
	KUNIT_EXPECT_EQ(test, READ_ONCE(s->vcpu_id), id);
	KUNIT_EXPECT_GE(test, pvx_refhv_steal(s), steal);
}

static void pvx_refhv_console_write(struct kunit *test)
{
	static const char msg[] = "pvx_refhv: console_write from KUnit\n";
	char *buf;

	if (!(pvx_negotiated.features & PVX_FEATURE(CONSOLE))) {
		KUNIT_EXPECT_EQ(test, HC(console_write, 0, 0), -PVX_EOPNOTSUPP);
		return;
	}
	buf = (char *)__get_free_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf, msg, sizeof(msg) - 1);
	KUNIT_EXPECT_EQ(test, HC(console_write, __pa(buf), sizeof(msg) - 1),
			sizeof(msg) - 1);
	KUNIT_EXPECT_EQ(test, HC(console_write, __pa(buf), PVX_CONSOLE_MAX + 1), -PVX_E2BIG);
	KUNIT_EXPECT_EQ(test, HC(console_write, ~0ULL, 0), 0);
	KUNIT_EXPECT_EQ(test, HC(console_write, BIT_ULL(46), 1), -PVX_EFAULT);
	KUNIT_EXPECT_EQ(test, HC(console_write, ~0ULL - 1, 4), -PVX_EFAULT);
	/* within one page: the last byte of buf's page and the first of the next */
	KUNIT_EXPECT_EQ(test, HC(console_write, __pa(buf) + PAGE_SIZE - 1, 2), -PVX_EINVAL);
	free_page((unsigned long)buf);
}

/* Out-of-domain reasons and codes are refused; the guest goes on. */
static void pvx_refhv_shutdown_refused(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, HC(shutdown, PVX_SHUTDOWN_CRASH + 1, 0), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(shutdown, ~0ULL, 0), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(shutdown, PVX_SHUTDOWN_POWEROFF, 256), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(shutdown, PVX_SHUTDOWN_CRASH, ~0ULL), -PVX_EINVAL);
}

/*
 * send_ipi (1.1, PV_IPI): a reschedule IPI to the calling vCPU reaches one
 * vCPU; bad vectors, first ids and bits are refused; no bit, no one.
 */
static void pvx_refhv_send_ipi(struct kunit *test)
{
	struct pvx_vcpu_shared *s;
	unsigned int nr_vcpus;
	u32 id;

	if (pvx_refhv_unusable(PVX_ABI_VERSION(1, 1), PVX_FEATURE(PV_IPI)))
		kunit_skip(test, "send_ipi was not negotiated");
	KUNIT_EXPECT_EQ(test, HC3(send_ipi, 1, 0, PVX_VECTOR_MIN - 1), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC3(send_ipi, 1, 0, 256), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC3(send_ipi, 1, 0, NMI_VECTOR), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC3(send_ipi, 0, ~0ULL, RESCHEDULE_VECTOR), 0);
	KUNIT_EXPECT_EQ(test, HC3(send_ipi, 1, PVX_MAX_VCPUS, RESCHEDULE_VECTOR), -PVX_ESRCH);
	KUNIT_EXPECT_EQ(test, HC3(send_ipi, 1, BIT_ULL(32), RESCHEDULE_VECTOR), -PVX_ESRCH);
	nr_vcpus = num_possible_cpus();
	if (nr_vcpus < 64)
		KUNIT_EXPECT_EQ(test, HC3(send_ipi, BIT_ULL(63), 0, RESCHEDULE_VECTOR),
				-PVX_ESRCH);
	preempt_disable();
	s = refhv_shared_page(smp_processor_id());
	if (s) {
		id = READ_ONCE(s->vcpu_id);
		KUNIT_EXPECT_EQ(test, HC3(send_ipi, 1, id, RESCHEDULE_VECTOR), 1);
	}
	preempt_enable();
}

/*
 * set_timer (TIMER): bad vectors and a vector with a cancel are refused;
 * a deadline 1 ms ahead on the clockevent's vector is taken (the tick
 * sees one early event and programs its own deadline again).
 */
static void pvx_refhv_set_timer(struct kunit *test)
{
	struct pvx_vcpu_shared *s;
	unsigned long flags;
	u64 now;

	if (pvx_refhv_unusable(PVX_ABI_VERSION(1, 0), PVX_FEATURE(TIMER)))
		kunit_skip(test, "set_timer was not negotiated");
	KUNIT_EXPECT_EQ(test, HC(set_timer, 0, HYPERVISOR_CALLBACK_VECTOR), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(set_timer, 1, PVX_VECTOR_MIN - 1), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(set_timer, 1, 256), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(set_timer, ~0ULL, ~0ULL), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC3(set_timer, 1, HYPERVISOR_CALLBACK_VECTOR, 1), -PVX_EINVAL);
	local_irq_save(flags);
	s = refhv_shared_page(smp_processor_id());
	if (s && refhv_timer) {
		now = refhv_clock_now();
		KUNIT_EXPECT_EQ(test, HC(set_timer, now + NSEC_PER_MSEC,
					 HYPERVISOR_CALLBACK_VECTOR), 0);
	}
	local_irq_restore(flags);
}

/*
 * flush_tlb (FLUSH_TLB): no bits, too many, a misaligned or page-crossing
 * bitmap, a bit at or past the count, a bit of a vCPU that does not
 * exist and a bitmap outside RAM are refused; a flush of every vCPU is
 * taken, with no more deferred than were named.
 */
static void pvx_refhv_flush_tlb(struct kunit *test)
{
	struct pvx_vcpu_shared *s;
	unsigned int cpu;
	long named = 0;
	u64 *map;
	long ret;

	if (pvx_refhv_unusable(PVX_ABI_VERSION(1, 0), PVX_FEATURE(FLUSH_TLB)))
		kunit_skip(test, "flush_tlb was not negotiated");
	map = (u64 *)get_zeroed_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, map);
	map[0] = 1;
	KUNIT_EXPECT_EQ(test, HC(flush_tlb, __pa(map), 0), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(flush_tlb, __pa(map), PVX_MAX_VCPUS + 1), -PVX_E2BIG);
	KUNIT_EXPECT_EQ(test, HC(flush_tlb, __pa(map) + 4, 1), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(flush_tlb, __pa(map) + PAGE_SIZE - 8, 65), -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, HC(flush_tlb, ~7ULL, 1), -PVX_EFAULT);
	KUNIT_EXPECT_EQ(test, HC3(flush_tlb, __pa(map), 1, 1), -PVX_EINVAL);
	map[0] = BIT_ULL(1);
	KUNIT_EXPECT_EQ(test, HC(flush_tlb, __pa(map), 1), -PVX_EINVAL);
	if (num_possible_cpus() < 64) {
		map[0] = BIT_ULL(63);
		KUNIT_EXPECT_EQ(test, HC(flush_tlb, __pa(map), 64), -PVX_ESRCH);
	}
	map[0] = 0;
	preempt_disable();
	for_each_online_cpu(cpu) {
		s = refhv_shared_page(cpu);
		if (s && READ_ONCE(s->vcpu_id) < 64) {
			map[0] |= BIT_ULL(READ_ONCE(s->vcpu_id));
			named++;
		}
	}
	if (named) {
		ret = HC(flush_tlb, __pa(map), 64);
		KUNIT_EXPECT_GE(test, ret, 0);
		KUNIT_EXPECT_LE(test, ret, named);
	}
	preempt_enable();
	free_page((unsigned long)map);
}

/*
 * The calls whose feature the host did not grant (refhv asks for all but
 * TIMER's set_timer only where offered), and send_ipi, newer than 1.0:
 * refused before any argument is looked at.
 */
static void pvx_refhv_not_negotiated(struct kunit *test)
{
	static const struct {
		u64 nr;
		u32 since;
		u64 feature;
	} calls[] = {
		{ PVX_HC_flush_tlb, PVX_ABI_VERSION(1, 0), PVX_FEATURE(FLUSH_TLB) },
		{ PVX_HC_set_timer, PVX_ABI_VERSION(1, 0), PVX_FEATURE(TIMER) },
		{ PVX_HC_multicall, PVX_ABI_VERSION(1, 0), PVX_FEATURE(MULTICALL) },
		{ PVX_HC_send_ipi, PVX_ABI_VERSION(1, 1), PVX_FEATURE(PV_IPI) },
	};
	unsigned int i;
	long want;

	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		want = pvx_refhv_unusable(calls[i].since, calls[i].feature);
		if (want)
			KUNIT_EXPECT_EQ_MSG(test, static_call(refhv_hc)(calls[i].nr, 0, 0, 0), want,
					    "hypercall %llu", calls[i].nr);
	}
}

#ifdef CONFIG_PARAVIRT_SPINLOCKS
struct pvx_refhv_wait_timer {
	struct hrtimer timer;
	u64 fired;			/* local_clock() in the handler, 0: not yet */
};

static enum hrtimer_restart pvx_refhv_wait_timer_fn(struct hrtimer *t)
{
	struct pvx_refhv_wait_timer *w = container_of(t, struct pvx_refhv_wait_timer, timer);

	WRITE_ONCE(w->fired, local_clock());
	return HRTIMER_NORESTART;
}

/*
 * How late a local timer due 100 us from now is taken while this CPU
 * waits with interrupts on, in @wait (a pv spinlock wait on a lock that
 * is never released) or, with @wait NULL, spinning.
 */
static s64 pvx_refhv_timer_lateness(struct kunit *test, void (*wait)(u8 *ptr, u8 val))
{
	struct pvx_refhv_wait_timer w = {};
	u8 lock = 1;
	u64 start, due;

	hrtimer_init(&w.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
	w.timer.function = pvx_refhv_wait_timer_fn;
	preempt_disable();
	start = local_clock();
	due = start + 100 * NSEC_PER_USEC;
	hrtimer_start(&w.timer, ns_to_ktime(100 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED_HARD);
	while (!READ_ONCE(w.fired) && local_clock() - start < 100 * NSEC_PER_MSEC) {
		if (wait)
			wait(&lock, 1);
		else
			cpu_relax();
	}
	preempt_enable();
	hrtimer_cancel(&w.timer);
	KUNIT_EXPECT_NE_MSG(test, READ_ONCE(w.fired), 0, "the timer never fired");
	return (s64)READ_ONCE(w.fired) - (s64)due;
}

/*
 * A pv spinlock waiter whose caller had interrupts on is woken by an
 * interrupt, as kvm_wait()'s safe_halt() is: a local timer is taken
 * within 3/4 of the wait's REFHV_WAIT_NS of its time, not when that
 * deadline ends a sleep with interrupts masked.  The best of a few tries
 * counts, as timers are late by milliseconds under nested TCG (a wait's
 * best measured 2 to 3.8 ms there); the same timer while spinning is
 * printed beside it.
 */
static void pvx_refhv_wait_irq_on(struct kunit *test)
{
	s64 spin = S64_MAX, waiting = S64_MAX;
	int i;

	if (!refhv_time)
		kunit_skip(test, "no pv spinlock wait");
	for (i = 0; i < 5; i++) {
		spin = min(spin, pvx_refhv_timer_lateness(test, NULL));
		waiting = min(waiting, pvx_refhv_timer_lateness(test, refhv_wait));
	}
	kunit_info(test, "a timer taken %lld us late spinning, %lld us late in a wait (best of 5)\n",
		   spin / (s64)NSEC_PER_USEC, waiting / (s64)NSEC_PER_USEC);
	KUNIT_EXPECT_LT(test, waiting, (s64)REFHV_WAIT_NS * 3 / 4);
}

/*
 * With refhv's wait and kick usable, virt_spin_lock()'s test-and-set lock
 * is off, as kvm.c leaves it, whether pv spinlocks went in or not
 * (nopvspin, a single CPU: native qspinlock then).
 */
static void pvx_refhv_virt_spin_lock_off(struct kunit *test)
{
	if (!refhv_time)
		kunit_skip(test, "no pv spinlock wait and kick");
	KUNIT_EXPECT_FALSE(test, static_key_enabled(&virt_spin_lock_key));
}
#endif

/* The host's negotiate answer: what refhv_check_answer() takes and refuses (NULL: taken). */
static void pvx_refhv_answer_ok(struct kunit *test)
{
	KUNIT_EXPECT_NULL(test, refhv_check_answer(PVX_ABI_VERSION(1, 1), PVX_ABI_VERSION(1, 1),
						   PVX_FEATURE(PV_IPI)));
	KUNIT_EXPECT_NULL(test, refhv_check_answer(PVX_ABI_VERSION(1, 1), PVX_ABI_VERSION(1, 0),
						   REFHV_WANTED &
						   pvx_features_known_in(PVX_ABI_VERSION(1, 0))));
}

static void pvx_refhv_answer_above_offered(struct kunit *test)
{
	KUNIT_EXPECT_NOT_NULL(test, refhv_check_answer(PVX_ABI_VERSION(1, 0),
						       PVX_ABI_VERSION(1, 1), 0));
}

/* Below the version asked for, but of another major: refused too. */
static void pvx_refhv_answer_other_major(struct kunit *test)
{
	KUNIT_EXPECT_NOT_NULL(test, refhv_check_answer(PVX_ABI_VERSION(1, 1),
						       PVX_ABI_VERSION(0, 5), 0));
	KUNIT_EXPECT_NOT_NULL(test, refhv_check_answer(PVX_ABI_VERSION(1, 1),
						       PVX_ABI_VERSION(2, 0), 0));
}

static void pvx_refhv_answer_feature_not_offered(struct kunit *test)
{
	u64 never = ~REFHV_WANTED & pvx_features_known_in(REFHV_ABI);

	KUNIT_EXPECT_NOT_NULL(test, refhv_check_answer(REFHV_ABI, REFHV_ABI, BIT_ULL(63)));
	if (never)
		KUNIT_EXPECT_NOT_NULL(test, refhv_check_answer(REFHV_ABI, REFHV_ABI, never));
}

/* A feature newer than the version agreed on, though asked for: refused. */
static void pvx_refhv_answer_feature_too_new(struct kunit *test)
{
	KUNIT_EXPECT_NOT_NULL(test, refhv_check_answer(PVX_ABI_VERSION(1, 1),
						       PVX_ABI_VERSION(1, 0), PVX_FEATURE(PV_IPI)));
}

/*
 * set_time_record (STABLE_TIME), on a CPU whose record is in its page
 * (not the boot CPU's, which the vDSO maps): a misaligned record or one
 * beyond RAM is refused; a record moved to a buffer is filled there at
 * once (an even version, the scale of the record it left), and the page's
 * header says it moved; PVX_GPA_NONE moves it back.  Should that fail,
 * the page is registered again, and the buffer, which the host may still
 * write, is never freed.
 */
static void pvx_refhv_set_time_record(struct kunit *test)
{
	struct pvclock_vcpu_time_info *moved;
	long bad, beyond, ret, back = -1;
	struct pvx_vcpu_shared *s;
	u32 v = 0, mul = 0, want;
	bool valid = true;
	unsigned long flags;

	if (pvx_refhv_unusable(PVX_ABI_VERSION(1, 2), PVX_FEATURE(STABLE_TIME)))
		kunit_skip(test, "set_time_record was not negotiated");
	moved = kzalloc(PVX_TIME_RECORD_ALIGN, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, moved);
	KUNIT_ASSERT_TRUE(test, IS_ALIGNED((unsigned long)moved, PVX_TIME_RECORD_ALIGN));
	local_irq_save(flags);
	s = this_cpu_read(refhv_shared);
	if (!cpumask_test_cpu(smp_processor_id(), &refhv_registered) ||
	    this_cpu_read(refhv_time_rec) != refhv_page_time(s)) {
		local_irq_restore(flags);
		kfree(moved);
		kunit_skip(test, "this CPU's time record is not in its own page");
	}
	want = READ_ONCE(s->time.tsc_to_system_mul);
	bad = HC(set_time_record, __pa(moved) + 8, 0);
	beyond = HC(set_time_record, BIT_ULL(52), 0);
	ret = HC(set_time_record, __pa(moved), 0);
	if (!ret) {
		v = READ_ONCE(moved->version);
		mul = READ_ONCE(moved->tsc_to_system_mul);
		valid = READ_ONCE(s->flags) & PVX_VCPU_TIME_VALID;
		back = HC(set_time_record, PVX_GPA_NONE, 0);
		if (back)
			refhv_register(s, refhv_page_time(s));
	}
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, bad, -PVX_EINVAL);
	KUNIT_EXPECT_EQ(test, beyond, -PVX_EFAULT);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, back, 0);
	KUNIT_EXPECT_NE(test, v, 0);
	KUNIT_EXPECT_EQ(test, v & 1, 0);
	KUNIT_EXPECT_EQ(test, mul, want);
	KUNIT_EXPECT_FALSE(test, valid);
	if (!back)
		kfree(moved);
}

/*
 * The wall clock refhv reads agrees with the RTC pvx-hv emulates (1 s
 * resolution), which refhv itself never reads once it has the record.
 */
static void pvx_refhv_wall_clock(struct kunit *test)
{
	struct timespec64 pv, rtc;

	if (x86_platform.get_wallclock != refhv_get_wallclock)
		kunit_skip(test, "the wall clock is not refhv's");
	KUNIT_ASSERT_TRUE(test, refhv_read_wallclock(&pv));
	mach_get_cmos_time(&rtc);
	KUNIT_EXPECT_LE(test, abs(pv.tv_sec - rtc.tv_sec), 2);
}

/*
 * Every op the host granted is in its mainline hook, by refhv's own
 * function, and no other: what the pvx report reads back.
 */
static void pvx_refhv_ops_follow_grant(struct kunit *test)
{
	bool record = refhv_steal() && refhv_has(REFHV_STEAL_REC);

	KUNIT_EXPECT_EQ(test, static_call_query(pv_sched_clock) == refhv_sched_clock_read,
			refhv_time);
	KUNIT_EXPECT_EQ(test, x86_platform.calibrate_tsc == refhv_tsc_khz, refhv_time);
	KUNIT_EXPECT_EQ(test, static_call_query(pv_steal_clock) == refhv_steal_clock,
			refhv_steal());
	KUNIT_EXPECT_EQ(test, pv_ops.mmu.flush_tlb_multi == refhv_flush_tlb_multi_record, record);
	KUNIT_EXPECT_EQ(test, pv_ops.mmu.flush_tlb_multi == refhv_flush_tlb_multi,
			refhv_has(REFHV_FLUSH) && !record);
	KUNIT_EXPECT_EQ(test, pvx_op_is_pv(PVX_OP_eoi),
			refhv_has(REFHV_EOI) && cpumask_test_cpu(0, &refhv_registered));
	if (!refhv_time || !refhv_has(REFHV_WALL))
		KUNIT_EXPECT_FALSE(test, x86_platform.get_wallclock == refhv_get_wallclock);
	KUNIT_EXPECT_EQ(test, pvx_op_is_pv(PVX_OP_wallclock),
			x86_platform.get_wallclock != mach_get_cmos_time);
	/* init data by now: as the report read them at late_initcall */
	KUNIT_EXPECT_EQ(test, pvx_op_is_pv(PVX_OP_send_ipi_mask), refhv_has(REFHV_IPI));
	KUNIT_EXPECT_EQ(test, pvx_op_is_pv(PVX_OP_send_ipi_allbutself), refhv_has(REFHV_IPI));
	KUNIT_EXPECT_EQ(test, pvx_op_is_pv(PVX_OP_setup_percpu_clockev), refhv_timer);
	KUNIT_EXPECT_EQ(test, pvx_op_is_pv(PVX_OP_clocksource), refhv_time);
	if (strstr(saved_command_line, "console=pvx"))
		KUNIT_EXPECT_EQ(test, pvx_op_is_pv(PVX_OP_console_write),
				refhv_has(REFHV_CONSOLE));
#ifdef CONFIG_SMP
	KUNIT_EXPECT_EQ(test, smp_ops.send_call_func_ipi == refhv_send_call_func_ipi,
			refhv_steal() && refhv_has(REFHV_IPI | REFHV_YIELD));
#endif
#ifdef CONFIG_PARAVIRT_SPINLOCKS
	KUNIT_EXPECT_EQ(test, pv_ops.lock.wait == refhv_wait,
			refhv_time && !nopvspin && num_possible_cpus() > 1);
	KUNIT_EXPECT_EQ(test, !pv_is_native_vcpu_is_preempted(), refhv_steal());
#endif
	KUNIT_EXPECT_EQ(test, pvx_negotiated.features, refhv_features);
}

static struct kunit_case pvx_refhv_cases[] = {
	KUNIT_CASE(pvx_refhv_negotiate_again),
	KUNIT_CASE(pvx_refhv_unknown_number),
	KUNIT_CASE(pvx_refhv_unused_argument),
	KUNIT_CASE(pvx_refhv_kick_range),
	KUNIT_CASE(pvx_refhv_block),
	KUNIT_CASE(pvx_refhv_block_preempted),
	KUNIT_CASE(pvx_refhv_call_func_preempted),
	KUNIT_CASE(pvx_refhv_multicall),
	KUNIT_CASE(pvx_refhv_register_shared_page),
	KUNIT_CASE(pvx_refhv_cpu_hotplug),
	KUNIT_CASE(pvx_refhv_console_write),
	KUNIT_CASE(pvx_refhv_shutdown_refused),
	KUNIT_CASE(pvx_refhv_send_ipi),
	KUNIT_CASE(pvx_refhv_set_timer),
	KUNIT_CASE(pvx_refhv_flush_tlb),
	KUNIT_CASE(pvx_refhv_not_negotiated),
#ifdef CONFIG_PARAVIRT_SPINLOCKS
	KUNIT_CASE(pvx_refhv_virt_spin_lock_off),
	KUNIT_CASE(pvx_refhv_wait_irq_on),
#endif
	KUNIT_CASE(pvx_refhv_answer_ok),
	KUNIT_CASE(pvx_refhv_answer_above_offered),
	KUNIT_CASE(pvx_refhv_answer_other_major),
	KUNIT_CASE(pvx_refhv_answer_feature_not_offered),
	KUNIT_CASE(pvx_refhv_answer_feature_too_new),
	KUNIT_CASE(pvx_refhv_set_time_record),
	KUNIT_CASE(pvx_refhv_wall_clock),
	KUNIT_CASE(pvx_refhv_ops_follow_grant),
	{}
};

static struct kunit_suite pvx_refhv_suite = {
	.name = "pvx_refhv",
	.init = pvx_refhv_test_init,
	.test_cases = pvx_refhv_cases,
};

kunit_test_suites(&pvx_refhv_suite);
