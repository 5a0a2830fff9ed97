// SPDX-License-Identifier: GPL-2.0
/*
 * FLUSH_TLB on KVM, from userspace.
 *
 * KVM has no ioctl named for a TLB flush.  Two things make one:
 *
 * 1. A change of CR4 through KVM_SET_SREGS2 resets the vCPU's MMU context
 *    and requests a flush of its guest TLB (KVM_REQ_TLB_FLUSH_GUEST),
 *    done before it next enters the guest.  Only the vCPU's own thread
 *    can do it while the vCPU is out of KVM_RUN: flush_now() toggles
 *    CR4.PGE and puts it back (two changes, two flushes).  SREGS2 hands
 *    back a PAE guest's PDPTRs as they are, not reloaded from memory.
 *    What the guest can see: KVM_SET_SREGS2 writes CR8 back, and CR8
 *    holds only bits 7:4 of the TPR, so TPR bits 3:0 (a priority
 *    sub-class Linux leaves at 0) are cleared.
 *
 * 2. KVM's steal-time record (MSR_KVM_STEAL_TIME, struct kvm_steal_time),
 *    as kvm.c's guests use it: when KVM schedules out a vCPU thread that
 *    was runnable in guest mode it sets KVM_VCPU_PREEMPTED in the
 *    record's preempted byte; whenever it loads the vCPU again it asks
 *    for a steal-time update, which, before the vCPU next runs guest
 *    code (vcpu_enter_guest()), exchanges that byte for 0 and flushes the
 *    vCPU's TLB if KVM_VCPU_FLUSH_TLB was set there.  KVM does so only
 *    while guest_pv_has(KVM_FEATURE_PV_TLB_FLUSH), which holds as pvx-hv
 *    never enables KVM_CAP_ENFORCE_PV_FEATURE_CPUID.
 *    KVM keeps one such record per vCPU, and pvx-hv points the MSR at
 *    one of two:
 *     - the guest's own, when KVM keeps the PVX 1.2 steal record
 *       (STEAL_RECORD delegated, kvmrecords.c: tlbflush_steal_record());
 *     - otherwise, for FLUSH_TLB, a record of pvx-hv's own in the
 *       reserved hole below 1 MiB (KVM_ST_ADDR), which the PVX
 *       personality does not tell the guest about.
 *
 * A flush of vCPU t (tlbflush_many(), any thread, which asks every
 * target first and then waits for those it must):
 *
 *  - t preempted inside KVM_RUN: KVM_VCPU_FLUSH_TLB is set with a
 *    compare-and-exchange against the KVM_VCPU_PREEMPTED that KVM wrote,
 *    exactly as kvm_flush_tlb_multi() does (CVE-2019-3016: never a plain
 *    write, and never a bit KVM did not see as preempted: KVM writes the
 *    byte without a lock when it schedules the vCPU out, and would drop
 *    any other bit).  KVM flushes before t runs again; nobody waits.
 *  - otherwise: t->flush_req is set and, if t is inside KVM_RUN, t is made
 *    to leave (SIG_KICK) and waited for.  Before its next KVM_RUN, t's
 *    thread sees flush_req and calls flush_now().
 *
 * t->run_seq is odd from just before t takes flush_req until its KVM_RUN
 * has returned.  It and flush_req are a Dekker pair: t makes run_seq odd,
 * then takes flush_req; the flusher publishes flush_req, then reads
 * run_seq.  At least one side sees the other's write: either t flushes
 * before it enters, or the flusher saw that odd value and waits until
 * run_seq moves on, i.e. until that very KVM_RUN has returned (after
 * which t runs guest code only through another KVM_RUN, which the flush
 * comes before).  One counter, read once: the flusher cannot mistake the
 * end of one KVM_RUN for another's, so its kick is never spent on a
 * KVM_RUN that has already returned.  kvmrecords.c posts its moves to a
 * vCPU the same way (run_seq_kick(), run_seq_wait()).
 *
 * The record a flusher may defer into is t->st_gpa, read and used under
 * t->msr_lock; whoever moves the MSR (on t's thread, or with t out of
 * KVM_RUN) changes st_gpa under the same lock, then looks in the record
 * KVM no longer reads for a KVM_VCPU_FLUSH_TLB set before: t flushes for
 * it before it runs again.  So no deferral is lost to a move, and no
 * flusher writes into a record after its move: a guest's page it has
 * taken back (unregistered, or forgotten by soft_reset) stays untouched.
 *
 * pvx-hv's own record is trusted for a vCPU only between a registration
 * of its PVX shared page (when pvx-hv arms the MSR on the vCPU's thread:
 * tlbflush_shared_page()) and its unregistration or a soft_reset, as an
 * INIT clears the MSR: a guest brings a CPU up (INIT, SIPI), then
 * registers its page, and unregisters it before the CPU goes down.  A
 * guest that sends INIT to a CPU whose page it keeps registered may leave
 * a KVM_VCPU_PREEMPTED in a record KVM no longer reads, and so lose every
 * later flush of that CPU until it registers the page again: its own
 * flushes, nobody else's.  The same holds for its own steal record.
 *
 * The wait is bounded: a vCPU thread leaves KVM_RUN at a signal, whatever
 * the guest does, and the wait ends when the VM stops.  FLUSH_TLB is
 * offered only where KVM reports steal time and PV TLB flush in its
 * supported CPUID.
 */
#include <asm/kvm_para.h>
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pvx-hv.h"

#define CR4_PGE		(1ull << 7)
#define WAIT_SLICE_NS	1000000		/* re-check vm->done this often */

_Static_assert(MAX_CPUS * sizeof(struct kvm_steal_time) <= KVM_ST_SIZE,
	       "a steal-time record for every vCPU");

/* c's own record (pvx-hv's, in the reserved hole): its guest-physical address. */
static uint64_t kvm_st_gpa(const struct vcpu *c)
{
	return KVM_ST_ADDR + c->id * sizeof(struct kvm_steal_time);
}

/* The steal-time record at gpa, where pvx-hv sees it; NULL for 0 or beyond RAM. */
static struct kvm_steal_time *steal_record(const struct vm *vm, uint64_t gpa)
{
	if (!gpa || gpa > vm->ram_size || sizeof(struct kvm_steal_time) > vm->ram_size - gpa)
		return NULL;
	return (struct kvm_steal_time *)(vm->ram + gpa);
}

/* Does KVM keep steal-time records, flush TLBs through them, and have SREGS2? */
bool tlbflush_supported(struct vm *vm)
{
	const uint32_t need = 1u << KVM_FEATURE_STEAL_TIME | 1u << KVM_FEATURE_PV_TLB_FLUSH;

	return (cpuid_kvm_features(vm) & need) == need &&
	       ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_SREGS2) > 0;
}

/*
 * msr_lock held, on c's thread or with c out of KVM_RUN: KVM's steal-time
 * MSR points at the record at gpa (0: off), flushes may defer into
 * trusted (0: into none).  Written every time, also for the record it
 * points at: an INIT may have cleared it (kvm_vcpu_reset()).  A flush
 * deferred into the record KVM no longer reads is c's to do before it
 * next runs.  0, or -1 with errno: KVM refused, the MSR is as it was.
 */
static int steal_point(struct vcpu *c, uint64_t gpa, uint64_t trusted)
{
	uint64_t val = gpa ? gpa | KVM_MSR_ENABLED : 0, old = c->st_msr;
	struct kvm_steal_time *st;
	int err = vcpu_msr(c->fd, KVM_SET_MSRS, MSR_KVM_STEAL_TIME, &val);

	if (!err)
		c->st_msr = gpa;
	c->st_gpa = err ? 0 : trusted;
	st = old != c->st_msr ? steal_record(c->vm, old) : NULL;
	if (st && (__atomic_load_n(&st->preempted, __ATOMIC_SEQ_CST) & KVM_VCPU_FLUSH_TLB))
		atomic_store(&c->flush_req, true);
	return err;
}

/*
 * On c's thread, after the guest registered (or unregistered) c's PVX
 * shared page: arm c's own steal-time record, trusted from then on (or no
 * longer), unless KVM keeps the guest's own record for c (kvmrecords.c).
 * The MSR stays armed after an unregistration: KVM goes on writing a
 * record nobody reads.
 */
void tlbflush_shared_page(struct vcpu *c, bool registered)
{
	const uint64_t own = kvm_st_gpa(c);

	pthread_mutex_lock(&c->msr_lock);
	if (c->st_msr && c->st_msr != own)
		;			/* the guest's record: flushes use it */
	else if (!registered)
		c->st_gpa = 0;
	else if (steal_point(c, own, own))
		PVX_HV_LOG("vcpu %d: MSR_KVM_STEAL_TIME: %s; its flushes kick it",
			   c->id, strerror(errno));
	pthread_mutex_unlock(&c->msr_lock);
}

/*
 * kvmrecords.c, msr_lock held, on c's thread or with c out of KVM_RUN: KVM
 * keeps the guest's own steal record at gpa (PVX 1.2 STEAL_RECORD), and
 * flushes defer into it; 0: KVM stops (the MSR off, until a registration
 * arms pvx-hv's own record again).  0, or -1 with errno (KVM refused).
 */
int tlbflush_steal_record(struct vcpu *c, uint64_t gpa)
{
	if (!gpa && c->st_msr == kvm_st_gpa(c))
		return 0;		/* pvx-hv's own: not the guest's to stop */
	return steal_point(c, gpa, gpa);
}

/*
 * Any thread, after a soft_reset: no vCPU's page is registered, so no
 * vCPU's own record is trusted until its next registration.  (The
 * guest's records are libpvxhv's to withdraw: kvmrecords.c.)
 */
void tlbflush_soft_reset(struct vm *vm)
{
	for (int i = 0; i < vm->ncpus; i++) {
		struct vcpu *c = &vm->cpus[i];

		pthread_mutex_lock(&c->msr_lock);
		if (c->st_msr == kvm_st_gpa(c))
			c->st_gpa = 0;
		pthread_mutex_unlock(&c->msr_lock);
	}
}

/* On c's thread, out of KVM_RUN: flush its guest TLB before it next runs. */
static bool flush_now(struct vcpu *c)
{
	struct kvm_sregs2 s;

	if (ioctl(c->fd, KVM_GET_SREGS2, &s) < 0)
		goto fail;
	s.cr4 ^= CR4_PGE;
	if (ioctl(c->fd, KVM_SET_SREGS2, &s) < 0)
		goto fail;
	s.cr4 ^= CR4_PGE;
	if (ioctl(c->fd, KVM_SET_SREGS2, &s) < 0)
		goto fail;
	return true;
fail:
	/* it would run on with stale translations: the run loop stops the VM */
	PVX_HV_LOG("vcpu %d: TLB flush through KVM_SET_SREGS2: %s", c->id, strerror(errno));
	return false;
}

/* On c's thread: a flush libpvxhv deferred to this entry. */
void tlbflush_on_entry(struct vcpu *c)
{
	atomic_store(&c->flush_req, true);
}

/*
 * On c's thread, just before KVM_RUN: run_seq odd, then what other
 * threads asked for: records to move (kvmrecords.c), a flush.  false: the
 * flush failed and the VM stops; do not enter.
 */
bool tlbflush_run_begin(struct vcpu *c)
{
	atomic_fetch_add(&c->run_seq, 1);
	kvm_records_take(c);
	return !atomic_exchange(&c->flush_req, false) || flush_now(c);
}

/* On c's thread, when KVM_RUN has returned (or was not entered): even again. */
void tlbflush_run_end(struct vcpu *c)
{
	atomic_fetch_add(&c->run_seq, 1);
	if (atomic_load(&c->run_waiters))
		syscall(SYS_futex, &c->run_seq, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/*
 * Another thread, having published its request to t (the caller counts
 * itself among t->run_waiters until run_seq_wait()): if t may be inside
 * KVM_RUN (run_seq odd, *seq), make it leave, and true: wait for it.
 * false: t takes the request before its next KVM_RUN.
 */
bool run_seq_kick(struct vcpu *t, unsigned int *seq)
{
	*seq = atomic_load(&t->run_seq);
	if (!(*seq & 1))
		return false;
	__atomic_store_n(&t->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(t->thread, SIG_KICK);
	return true;
}

/*
 * Wait until the KVM_RUN run_seq_kick() saw has returned (run_seq moved on
 * from seq) or the VM is done: true; false if until_ns (CLOCK_MONOTONIC,
 * 0: none) passed first.
 */
bool run_seq_wait(struct vcpu *t, unsigned int seq, uint64_t until_ns)
{
	const struct timespec slice = { 0, WAIT_SLICE_NS };

	while (atomic_load(&t->run_seq) == seq && !atomic_load(&t->vm->done)) {
		if (until_ns && now_ns() >= until_ns)
			return false;
		syscall(SYS_futex, &t->run_seq, FUTEX_WAIT_PRIVATE, seq, &slice, NULL, 0);
	}
	return true;
}

/*
 * Ask t for a flush, step 1 of 2: true if it must be waited for (with
 * *seq the KVM_RUN to wait out), false if it is done (KVM flushes a
 * preempted t at its next load, or t flushes before its next KVM_RUN).
 * Either way t counts this thread among its run_waiters until step 2.
 */
static bool flush_ask(struct vcpu *t, unsigned int *seq)
{
	struct kvm_steal_time *st;
	bool deferred = false;

	atomic_fetch_add(&t->run_waiters, 1);
	pthread_mutex_lock(&t->msr_lock);
	st = steal_record(t->vm, t->st_gpa);
	if (st) {
		uint8_t s = __atomic_load_n(&st->preempted, __ATOMIC_SEQ_CST);

		deferred = (s & KVM_VCPU_PREEMPTED) &&
			   __atomic_compare_exchange_n(&st->preempted, &s, s | KVM_VCPU_FLUSH_TLB,
						       false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&t->msr_lock);
	if (deferred) {
		atomic_fetch_add(&t->flush_deferred, 1);
		return false;
	}
	atomic_store(&t->flush_req, true);
	if (!run_seq_kick(t, seq))
		return false;
	atomic_fetch_add(&t->flush_kicked, 1);
	return true;
}

/* Step 2: wait until the KVM_RUN seen in step 1 has returned, if asked to. */
static void flush_wait(struct vcpu *t, bool wait, unsigned int seq)
{
	if (wait)
		run_seq_wait(t, seq, 0);
	atomic_fetch_sub(&t->run_waiters, 1);
}

/*
 * Any thread: when this returns, none of the n vCPUs in ids runs guest
 * code with the translations it had.  Every target is asked first, then
 * waited for: one round trip for all of them, not one each.
 */
void tlbflush_many(struct vm *vm, const uint32_t *ids, uint32_t n)
{
	unsigned int seq[MAX_CPUS];
	bool wait[MAX_CPUS];

	if (n > (uint32_t)vm->ncpus)	/* libpvxhv passes each target once */
		n = vm->ncpus;
	for (uint32_t i = 0; i < n; i++)
		wait[i] = flush_ask(&vm->cpus[ids[i]], &seq[i]);
	for (uint32_t i = 0; i < n; i++)
		flush_wait(&vm->cpus[ids[i]], wait[i], seq[i]);
}
