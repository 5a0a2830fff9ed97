// SPDX-License-Identifier: GPL-2.0
/*
 * libpvxhv's threaded tests, run twice by check-host: under ASan + UBSan
 * (gcc) and under TSan (clang), so a data race in the library fails too.
 *
 * The wake-up tests use a VMM written to the letter of pvxhv.h: ops->block
 * waits on a condition variable until pvxhv_kicked() is true, checking it
 * under the mutex that ops->kick signals under, exactly as the header's
 * example does.  Every wait is bounded (LOST_NS): a wait that runs out
 * with no kick seen is a lost wake-up, and fails the test.  A control VMM
 * written to the old header ("kick: wake vcpu if blocked", no token) must
 * lose the wake-up in the same schedule, which shows the test can fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "fakevm.h"
#include "harness.h"

#define NV		4
#define LOST_NS		(5 * 1000000000ll)	/* a block this long without its kick: lost */
#define CONTROL_NS	(200 * 1000000ll)

static struct fvm vm;

/* ---- the VMM written to the letter of pvxhv.h ---- */

static struct {
	pthread_mutex_t	m[NV];
	pthread_cond_t	c[NV];
	bool		control;		/* the old contract instead */
	bool		blocked[NV], woken[NV];	/* control only, under m */
	atomic_uint	lost;			/* waits that ran out */
	atomic_ulong	sleeps;			/* waits that slept at least once */
	void		(*before_wait)(uint32_t vcpu);	/* the worst point for a kick */
} vmm;

static void deadline_in(struct timespec *ts, long long ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (ns + ts->tv_nsec) / 1000000000;
	ts->tv_nsec = (ns + ts->tv_nsec) % 1000000000;
}

static void letter_block(void *o, uint32_t v, uint64_t deadline, uint64_t token, bool irqs_masked)
{
	struct fvm *f = o;
	struct timespec ts;
	void (*hook)(uint32_t) = vmm.before_wait;
	bool slept = false;

	(void)deadline;		/* the tests block without one */
	(void)irqs_masked;	/* nor does a kick care */
	if (hook) {
		vmm.before_wait = NULL;
		hook(v);
	}
	pthread_mutex_lock(&vmm.m[v]);
	if (vmm.control) {
		/* "wake vcpu if blocked": a kick that finds it not blocked is gone */
		vmm.blocked[v] = true;
		deadline_in(&ts, CONTROL_NS);
		while (!vmm.woken[v])
			if (pthread_cond_timedwait(&vmm.c[v], &vmm.m[v], &ts) == ETIMEDOUT) {
				atomic_fetch_add(&vmm.lost, 1);
				break;
			}
		vmm.blocked[v] = vmm.woken[v] = false;
	} else {
		deadline_in(&ts, LOST_NS);
		while (!pvxhv_kicked(f->hv, v, token)) {
			slept = true;
			if (pthread_cond_timedwait(&vmm.c[v], &vmm.m[v], &ts) == ETIMEDOUT) {
				if (!pvxhv_kicked(f->hv, v, token))
					atomic_fetch_add(&vmm.lost, 1);
				break;
			}
		}
	}
	pthread_mutex_unlock(&vmm.m[v]);
	if (slept)
		atomic_fetch_add(&vmm.sleeps, 1);
}

static void letter_kick(void *o, uint32_t v)
{
	(void)o;
	pthread_mutex_lock(&vmm.m[v]);
	if (vmm.control && vmm.blocked[v])
		vmm.woken[v] = true;
	pthread_cond_broadcast(&vmm.c[v]);
	pthread_mutex_unlock(&vmm.m[v]);
}

static void up_letter(bool control)
{
	struct fvm_opts o = { .nr_vcpus = NV };

	pthread_condattr_t ca;

	memset(&vmm, 0, sizeof(vmm));
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* deadline_in()'s clock */
	for (int i = 0; i < NV; i++) {
		pthread_mutex_init(&vmm.m[i], NULL);
		pthread_cond_init(&vmm.c[i], &ca);
	}
	pthread_condattr_destroy(&ca);
	vmm.control = control;
	if (fvm_init(&vm, &o)) {
		FAILF("fvm_init failed");
		return;
	}
	vm.ops.block = letter_block;
	vm.ops.kick = letter_kick;
	if (fvm_recreate(&vm)) {
		FAILF("pvxhv_create failed");
		return;
	}
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
}

/* ---- a kick at the worst point: after the library decided to block ---- */

static void *kick_thread(void *arg)
{
	/* from vCPU 3, as the guest's kick_vcpu */
	return (void *)(intptr_t)fvm_call(&vm, 3, PVX_HC_kick_vcpu, (uintptr_t)arg, 0, 0, 0, 0);
}

static void kick_now_from_another_thread(uint32_t vcpu)
{
	pthread_t t;
	void *r;

	pthread_create(&t, NULL, kick_thread, (void *)(uintptr_t)vcpu);
	pthread_join(t, &r);
	EXPECT_EQ((intptr_t)r, 0);
}

static void test_no_lost_wakeup_worst_point(void)
{
	/* The VMM of the new header: the kick is seen, the block returns. */
	up_letter(false);
	vmm.before_wait = kick_now_from_another_thread;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT(!vmm.before_wait);		/* the kick did land there */
	EXPECT_EQ(atomic_load(&vmm.lost), 0);
	fvm_fini(&vm);

	/* Control: the old contract loses exactly this kick. */
	up_letter(true);
	vmm.before_wait = kick_now_from_another_thread;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	if (atomic_load(&vmm.lost) != 1)
		FAILF("control VMM (old contract) did not lose the wake-up: the test cannot fail");
	fvm_fini(&vm);
}

/* ---- kick racing block: one blocker, one kicker, random timing ---- */

#define RACE_ROUNDS	2000

static atomic_uint race_round, race_done;

static void *race_kicker(void *unused)
{
	uint64_t x = 88172645463325252ull;

	(void)unused;
	for (unsigned int r = 1; r <= RACE_ROUNDS; r++) {
		while (atomic_load(&race_round) < r)
			;
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		for (volatile unsigned int spin = 0; spin < (x & 4095); spin++)
			;
		fvm_call(&vm, 1, PVX_HC_kick_vcpu, 0, 0, 0, 0, 0);
		while (atomic_load(&race_done) < r)
			;
	}
	return NULL;
}

static void test_no_lost_wakeup_race(void)
{
	pthread_t t;

	up_letter(false);
	atomic_store(&race_round, 0);
	atomic_store(&race_done, 0);
	pthread_create(&t, NULL, race_kicker, NULL);
	for (unsigned int r = 1; r <= RACE_ROUNDS && !atomic_load(&vmm.lost); r++) {
		atomic_store(&race_round, r);
		/* each round's kick ends exactly one block (or makes it return at once) */
		EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
		atomic_store(&race_done, r);
	}
	atomic_store(&race_done, RACE_ROUNDS);
	atomic_store(&race_round, RACE_ROUNDS);
	pthread_join(t, NULL);
	EXPECT_EQ(atomic_load(&vmm.lost), 0);
	fvm_fini(&vm);
}

/* ---- stress: two vCPUs blocking, two kicking, four threads ---- */

#define STRESS_KICKS	4000	/* per kicker */

static atomic_ulong posted[2];
static atomic_uint stop;

/* A guest idle loop: wait until work is posted, block meanwhile. */
static void *stress_blocker(void *arg)
{
	uint32_t v = (uint32_t)(uintptr_t)arg;
	unsigned long consumed = 0, blocks = 0;

	for (;;) {
		unsigned long p = atomic_load(&posted[v]);

		if (consumed < p) {
			consumed = p;
			continue;
		}
		if (atomic_load(&stop))
			break;
		fvm_call(&vm, v, PVX_HC_block, 0, 0, 0, 0, 0);
		blocks++;
	}
	return (void *)(uintptr_t)blocks;
}

/* Post work for a vCPU, then kick it: as the guest's kick_vcpu or pvxhv_kick(). */
static void *stress_kicker(void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg;	/* vCPU 2 or 3 */
	uint64_t x = 0x9e3779b97f4a7c15ull * me;

	for (unsigned int i = 0; i < STRESS_KICKS; i++) {
		uint32_t v;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		v = x & 1;
		atomic_fetch_add(&posted[v], 1);
		if (x & 2)
			fvm_call(&vm, me, PVX_HC_kick_vcpu, v, 0, 0, 0, 0);
		else
			pvxhv_kick(vm.hv, v);
		for (volatile unsigned int spin = 0; spin < ((x >> 8) & 1023); spin++)
			;
	}
	return NULL;
}

static void test_kick_block_stress_4_threads(void)
{
	pthread_t b[2], k[2];

	up_letter(false);
	atomic_store(&stop, 0);
	for (int i = 0; i < 2; i++) {
		atomic_store(&posted[i], 0);
		pthread_create(&b[i], NULL, stress_blocker, (void *)(uintptr_t)i);
	}
	for (int i = 0; i < 2; i++)
		pthread_create(&k[i], NULL, stress_kicker, (void *)(uintptr_t)(2 + i));
	for (int i = 0; i < 2; i++)
		pthread_join(k[i], NULL);
	atomic_store(&stop, 1);
	pvxhv_kick(vm.hv, 0);
	pvxhv_kick(vm.hv, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(b[i], NULL);
	EXPECT_EQ(atomic_load(&vmm.lost), 0);
	EXPECT(atomic_load(&vmm.sleeps) > 0);	/* the blockers did sleep, kicks did wake them */
	fvm_fini(&vm);
}

/* ---- negotiate on every vCPU at once: exactly one wins ---- */

static pthread_barrier_t bar;

static void *neg_thread(void *arg)
{
	uint32_t v = (uint32_t)(uintptr_t)arg;
	uint64_t gpa = 0x10000 + v * 0x1000;
	struct pvx_negotiate n = { .size = sizeof(n), .version = PVX_ABI_VERSION_LATEST };

	memcpy(vm.low + gpa, &n, sizeof(n));
	pthread_barrier_wait(&bar);
	return (void *)(intptr_t)fvm_call(&vm, v, PVX_HC_negotiate, gpa, 0, 0, 0, 0);
}

static void test_negotiate_concurrent(void)
{
	struct fvm_opts o = { .nr_vcpus = NV, .accessor = false };
	pthread_t t[NV];

	for (int round = 0; round < 50; round++) {
		int ok = 0, already = 0;

		if (fvm_init(&vm, &o)) {
			FAILF("fvm_init failed");
			return;
		}
		pthread_barrier_init(&bar, NULL, NV);
		for (int i = 0; i < NV; i++)
			pthread_create(&t[i], NULL, neg_thread, (void *)(uintptr_t)i);
		for (int i = 0; i < NV; i++) {
			void *r;

			pthread_join(t[i], &r);
			ok += (intptr_t)r == 0;
			already += (intptr_t)r == -PVX_EALREADY;
		}
		pthread_barrier_destroy(&bar);
		EXPECT_EQ(ok, 1);
		EXPECT_EQ(already, NV - 1);
		EXPECT(pvxhv_negotiated(vm.hv, NULL, NULL));
		fvm_fini(&vm);
	}
}

/* ---- one page, four vCPUs registering it at once: one owner ---- */

static void *claim_thread(void *arg)
{
	uint32_t v = (uint32_t)(uintptr_t)arg;

	pthread_barrier_wait(&bar);
	return (void *)(intptr_t)fvm_call(&vm, v, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0);
}

static void test_shared_page_claim_race(void)
{
	struct fvm_opts o = { .nr_vcpus = NV };
	pthread_t t[NV];

	if (fvm_init(&vm, &o)) {
		FAILF("fvm_init failed");
		return;
	}
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	for (int round = 0; round < 100; round++) {
		int ok = 0, refused = 0, owner = -1;

		pthread_barrier_init(&bar, NULL, NV);
		for (int i = 0; i < NV; i++)
			pthread_create(&t[i], NULL, claim_thread, (void *)(uintptr_t)i);
		for (int i = 0; i < NV; i++) {
			void *r;

			pthread_join(t[i], &r);
			if ((intptr_t)r == 0) {
				ok++;
				owner = i;
			}
			refused += (intptr_t)r == -PVX_EINVAL;
		}
		pthread_barrier_destroy(&bar);
		EXPECT_EQ(ok, 1);
		EXPECT_EQ(refused, NV - 1);
		if (owner < 0)
			break;
		EXPECT_EQ(((struct pvx_vcpu_shared *)(vm.low + 0x8000))->vcpu_id, owner);
		EXPECT_EQ(fvm_call(&vm, (uint32_t)owner, PVX_HC_register_shared_page,
				   PVX_GPA_NONE, 0, 0, 0, 0), 0);
	}
	fvm_fini(&vm);
}

/* ---- flush_tlb against a vCPU being scheduled in and out ---- */

static atomic_uint flush_stop;
static atomic_ulong ops_flushes, enter_flags_seen;

static void count_flush(void *o, uint32_t v)
{
	(void)o;
	(void)v;
	atomic_fetch_add(&ops_flushes, 1);
}

static void *sched_thread(void *unused)
{
	(void)unused;
	while (!atomic_load(&flush_stop)) {
		pvxhv_vcpu_preempt(vm.hv, 0);
		if (pvxhv_vcpu_enter(vm.hv, 0, 0) & PVXHV_ENTER_FLUSH_TLB)
			atomic_fetch_add(&enter_flags_seen, 1);
	}
	return NULL;
}

static void test_flush_enter_stress(void)
{
	struct fvm_opts o = { .nr_vcpus = NV };
	unsigned long deferred = 0;
	pthread_t t;

	if (fvm_init(&vm, &o)) {
		FAILF("fvm_init failed");
		return;
	}
	vm.ops.flush_tlb = count_flush;
	if (fvm_recreate(&vm)) {
		FAILF("pvxhv_create failed");
		return;
	}
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	memset(vm.low + 0x3000, 0, 8);
	vm.low[0x3000] = 1;
	atomic_store(&flush_stop, 0);
	atomic_store(&ops_flushes, 0);
	atomic_store(&enter_flags_seen, 0);
	pthread_create(&t, NULL, sched_thread, NULL);
	for (int i = 0; i < 20000; i++) {
		int64_t r = fvm_call(&vm, 1, PVX_HC_flush_tlb, 0x3000, 1, 0, 0, 0);

		EXPECT(r == 0 || r == 1);
		deferred += r == 1;
	}
	atomic_store(&flush_stop, 1);
	pthread_join(t, NULL);
	/* vCPU 0 ended running: every deferred flush was taken at some entry */
	EXPECT(!deferred || atomic_load(&enter_flags_seen) > 0);
	EXPECT_EQ(atomic_load(&ops_flushes) + deferred, 20000);
	fvm_fini(&vm);
}

/* ---- pvxhv_reset with kicks and timer expiries racing it (allowed) ---- */

static void *kick_spam(void *unused)
{
	(void)unused;
	while (!atomic_load(&flush_stop)) {
		pvxhv_kick(vm.hv, 1);
		pvxhv_timer_expired(vm.hv, 1);
		(void)pvxhv_negotiated(vm.hv, NULL, NULL);
	}
	return NULL;
}

static void test_reset_races_any_time_calls(void)
{
	struct fvm_opts o = { .nr_vcpus = NV };
	pthread_t t;

	up_letter(false);
	(void)o;
	atomic_store(&flush_stop, 0);
	pthread_create(&t, NULL, kick_spam, NULL);
	for (int i = 0; i < 300; i++) {
		pvxhv_reset(vm.hv);
		EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	}
	atomic_store(&flush_stop, 1);
	pthread_join(t, NULL);
	fvm_fini(&vm);
}

/* ---- soft_reset against the other vCPUs' calls ---- */

#define POISON		0xa5
#define WAIT_NS		(10 * 1000000000ll)	/* a bound on every wait below */

static atomic_uint reset_done;
static pthread_t reset_thread;

static void *soft_reset_on_vcpu0(void *unused)
{
	int64_t r;

	(void)unused;
	r = fvm_call(&vm, 0, PVX_HC_soft_reset, 0, 0, 0, 0, 0);
	atomic_store(&reset_done, 1);
	return (void *)(intptr_t)r;
}

static long long elapsed_ns(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000000000ll + now.tv_nsec - since->tv_nsec;
}

/*
 * Between vCPU 1's two steps of vcpu_hold(): a soft_reset on vCPU 0
 * starts (the guest is no longer negotiated) and must then wait for vCPU
 * 1, which published held first.
 */
static void reset_at_hold(int point, uint32_t vcpu)
{
	struct timespec t0, more = { .tv_nsec = 20 * 1000000 };

	(void)point;
	EXPECT_EQ(vcpu, 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_create(&reset_thread, NULL, soft_reset_on_vcpu0, NULL);
	while (pvxhv_negotiated(vm.hv, NULL, NULL) && elapsed_ns(&t0) < WAIT_NS)
		sched_yield();
	nanosleep(&more, NULL);
	if (atomic_load(&reset_done))
		FAILF("soft_reset returned while vCPU 1 held itself");
}

/*
 * A registration on vCPU 1 racing a soft_reset on vCPU 0 at the worst
 * point: it is one after the reset (EPERM), writes nothing and tells
 * ops->records nothing.  Swap vcpu_hold()'s two steps and the reset does
 * not wait: the registration lands after it and survives.
 */
static void test_soft_reset_hold_order(void)
{
	struct fvm_opts o = { .nr_vcpus = NV };
	const uint64_t page = 0x8000;
	int64_t reg;
	void *r;

	if (fvm_init(&vm, &o)) {
		FAILF("fvm_init failed");
		return;
	}
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT_EQ(fvm_delegate(&vm, 1, PVXHV_RECORD(EOI)), 0);
	memset(vm.low + page, POISON, PVX_PAGE_SIZE);
	atomic_store(&reset_done, 0);
	test_point_at(PVXHV_TP_HOLD_STEP, reset_at_hold);
	reg = fvm_call(&vm, 1, PVX_HC_register_shared_page, page, 0, 0, 0, 0);
	EXPECT(!test_point_fn);				/* the point was reached */
	pthread_join(reset_thread, &r);
	EXPECT_EQ((intptr_t)r, 0);
	EXPECT_EQ(reg, -PVX_EPERM);
	for (uint32_t i = 0; i < PVX_PAGE_SIZE; i++)
		if (vm.low[page + i] != POISON) {
			FAILF("byte %u of the page written: the registration survived the reset", i);
			break;
		}
	EXPECT_EQ(vm.records_calls, 0);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	/* Not registered: after a new negotiation another vCPU may take the page. */
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_register_shared_page, page, 0, 0, 0, 0), 0);
	fvm_fini(&vm);
}

/*
 * vCPU 1 registers, moves its time record, arms its timer, enters and is
 * preempted in a loop, while vCPU 0 negotiates and soft-resets.  Once a
 * soft_reset returned, until the next negotiation, nothing of vCPU 1's
 * is written, its timer is not armed again and ops->records last heard
 * "nowhere" for it; and the state saved at the end restores.
 */
#define RESET_ROUNDS	150

static atomic_uint loop_stop, loop_bad;
static atomic_ulong loop_rounds;

static void *vcpu1_loop(void *unused)
{
	(void)unused;
	for (uint64_t i = 0; !atomic_load(&loop_stop); i++) {
		int64_t r = fvm_call(&vm, 1, PVX_HC_register_shared_page, i & 1 ? 0x8000 : 0x9000,
				     0, 0, 0, 0);

		atomic_fetch_add(&loop_bad, r != 0 && r != -PVX_EPERM);
		/* EINVAL: a reset took the page since */
		r = fvm_call(&vm, 1, PVX_HC_set_time_record, 0x5040, 0, 0, 0, 0);
		atomic_fetch_add(&loop_bad, r != 0 && r != -PVX_EPERM && r != -PVX_EINVAL);
		r = fvm_call(&vm, 1, PVX_HC_set_timer, 5000000000ull + i, 0xec, 0, 0, 0);
		atomic_fetch_add(&loop_bad, r != 0 && r != -PVX_EPERM);
		atomic_fetch_add(&loop_bad, pvxhv_vcpu_enter(vm.hv, 1, i) < 0);
		atomic_fetch_add(&loop_bad, pvxhv_vcpu_preempt(vm.hv, 1) != 0);
		atomic_fetch_add(&loop_rounds, 1);
	}
	return NULL;
}

/* Until vCPU 1 made n more rounds (false: it did not, in WAIT_NS). */
static bool loop_advance(unsigned long n)
{
	unsigned long to = atomic_load(&loop_rounds) + n;
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load(&loop_rounds) < to)
		if (elapsed_ns(&t0) > WAIT_NS)
			return false;
		else
			sched_yield();
	return true;
}

static void test_soft_reset_races_vcpu_calls(void)
{
	struct fvm_opts o = { .nr_vcpus = NV };
	static uint8_t snap[3][sizeof(struct pvx_vcpu_shared)];
	const uint64_t at[3] = { 0x8000, 0x9000, 0x5040 };
	struct fvm fresh;
	uint8_t blob[4096];
	int64_t n;
	pthread_t t;

	if (fvm_init(&vm, &o)) {
		FAILF("fvm_init failed");
		return;
	}
	EXPECT_EQ(fvm_delegate(&vm, 1, PVXHV_RECORD(EOI)), 0);
	atomic_store(&loop_stop, 0);
	atomic_store(&loop_bad, 0);
	atomic_store(&loop_rounds, 0);
	pthread_create(&t, NULL, vcpu1_loop, NULL);
	for (int round = 0; round < RESET_ROUNDS && !cur_fail[0]; round++) {
		EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
		/* 2: the first round counted may have begun before the negotiate */
		EXPECT(loop_advance(2 + round % 3));
		EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_soft_reset, 0, 0, 0, 0, 0), 0);
		for (int r = 0; r < PVXHV_NR_RECORDS; r++)
			EXPECT_EQ(vm.records[1][r], PVX_GPA_NONE);
		EXPECT_EQ(vm.timer[1], 0);
		for (int i = 0; i < 3; i++)
			memcpy(snap[i], vm.low + at[i], sizeof(snap[i]));
		EXPECT(loop_advance(2));
		for (int i = 0; i < 3; i++)
			if (memcmp(snap[i], vm.low + at[i], sizeof(snap[i])))
				FAILF("round %d: %#llx written after the soft_reset returned", round,
				      (unsigned long long)at[i]);
		EXPECT_EQ(vm.timer[1], 0);
		EXPECT_EQ(pvxhv_timer_expired(vm.hv, 1), 0);
	}
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT(loop_advance(3));
	atomic_store(&loop_stop, 1);
	pthread_join(t, NULL);
	EXPECT_EQ(atomic_load(&loop_bad), 0);
	/* What the races left is a state a guest could have made. */
	n = pvxhv_save(vm.hv, blob, sizeof(blob));
	EXPECT(n > 0);
	if (fvm_init(&fresh, &o)) {
		FAILF("fvm_init failed");
	} else {
		EXPECT_EQ(pvxhv_restore(fresh.hv, blob, (size_t)n), 0);
		fvm_fini(&fresh);
	}
	fvm_fini(&vm);
}

static const struct test tests[] = {
	T(no_lost_wakeup_worst_point), T(no_lost_wakeup_race), T(kick_block_stress_4_threads),
	T(negotiate_concurrent), T(shared_page_claim_race), T(flush_enter_stress),
	T(reset_races_any_time_calls), T(soft_reset_hold_order), T(soft_reset_races_vcpu_calls),
};

static void after(void)
{
	if (vm.hv)
		fvm_fini(&vm);
}

int main(int argc, char **argv)
{
	const char *prefix = getenv("PVX_THREADS_PREFIX");

	return run_tests(tests, ARRAY_SIZE(tests), prefix ? prefix : "threads", argc, argv, after);
}
