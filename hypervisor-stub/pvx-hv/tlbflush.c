// SPDX-License-Identifier: GPL-2.0
/*
 * FLUSH_TLB on KVM, from userspace.
 *
 * KVM has no ioctl named for a TLB flush.  Two things make one:
 *
 * 1. A change of CR4 through KVM_SET_SREGS resets the vCPU's MMU context
 *    and requests a flush of its guest TLB (KVM_REQ_TLB_FLUSH_GUEST),
 *    done before it next enters the guest.  Only the vCPU's own thread
 *    can do it while the vCPU is out of KVM_RUN: flush_now() toggles
 *    CR4.PGE and puts it back (two changes, two flushes, nothing the guest
 *    can see).
 *
 * 2. KVM's steal-time record (MSR_KVM_STEAL_TIME, struct kvm_steal_time),
 *    as kvm.c's guests use it: when KVM schedules out a vCPU thread that
 *    was runnable in guest mode it sets KVM_VCPU_PREEMPTED in the
 *    record's preempted byte; whenever it loads the vCPU again it
 *    exchanges that byte for 0 before the vCPU runs guest code, and
 *    flushes the vCPU's TLB if KVM_VCPU_FLUSH_TLB was set there.
 *    pvx-hv points each vCPU's MSR at a record of its own in the reserved
 *    hole below 1 MiB (KVM_ST_ADDR), which the PVX personality does not
 *    tell the guest about.
 *
 * A flush of vCPU t (tlbflush(), any thread):
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
 * in_run and flush_req are a Dekker pair: t publishes in_run, then takes
 * flush_req; the flusher publishes flush_req, then reads in_run.  At
 * least one side sees the other's write: either t flushes before it
 * enters, or the flusher waits until t has left the KVM_RUN it is in
 * (after which t enters guest mode only through another KVM_RUN, which
 * the flush comes before).
 *
 * The record is trusted for a vCPU only between a registration of its
 * PVX shared page (when pvx-hv arms the MSR on the vCPU's thread:
 * tlbflush_shared_page()) and its unregistration, as an INIT clears the
 * MSR: a guest brings a CPU up (INIT, SIPI), then registers its page,
 * and unregisters it before the CPU goes down.  A guest that sends INIT
 * to a CPU whose page it keeps registered loses its own deferred
 * flushes, nobody else's.
 *
 * The wait is bounded: a vCPU thread leaves KVM_RUN at a signal, whatever
 * the guest does, and the wait ends when the VM stops.  FLUSH_TLB is
 * offered only where KVM reports steal time and PV TLB flush in its
 * supported CPUID.
 */
#include <asm/kvm_para.h>
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pvx-hv.h"

#define CR4_PGE		(1ull << 7)
#define WAIT_SLICE_NS	1000000		/* re-check vm->done this often */

_Static_assert(MAX_CPUS * sizeof(struct kvm_steal_time) <= KVM_ST_SIZE,
	       "a steal-time record for every vCPU");

static struct kvm_steal_time *kvm_st(const struct vcpu *c)
{
	return (struct kvm_steal_time *)(c->vm->ram + KVM_ST_ADDR) + c->id;
}

/* Does KVM keep steal-time records and flush TLBs through them? */
bool tlbflush_supported(struct vm *vm)
{
	const uint32_t need = 1u << KVM_FEATURE_STEAL_TIME | 1u << KVM_FEATURE_PV_TLB_FLUSH;
	const int n = 256;
	struct kvm_cpuid2 *sup;
	uint32_t eax = 0;

	sup = calloc(1, sizeof(*sup) + n * sizeof(sup->entries[0]));
	if (!sup)
		return false;
	sup->nent = n;
	if (!ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, sup))
		for (uint32_t i = 0; i < sup->nent; i++)
			if (sup->entries[i].function == KVM_CPUID_FEATURES)
				eax = sup->entries[i].eax;
	free(sup);
	return (eax & need) == need;
}

/*
 * On c's thread, after the guest registered (or unregistered) c's PVX
 * shared page: arm c's steal-time record, trusted from then on (or no
 * longer).  The MSR stays armed after an unregistration, so a racing
 * flusher's deferral is never written into a record KVM has stopped
 * reading.
 */
void tlbflush_shared_page(struct vcpu *c, bool registered)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} st = {
		.h.nmsrs = 1,
		.e.index = MSR_KVM_STEAL_TIME,
		.e.data = (KVM_ST_ADDR + c->id * sizeof(struct kvm_steal_time)) | KVM_MSR_ENABLED,
	};

	atomic_store(&c->st_live, false);
	if (!registered)
		return;
	if (ioctl(c->fd, KVM_SET_MSRS, &st) != 1) {
		PVX_HV_LOG("vcpu %d: MSR_KVM_STEAL_TIME: %s; its flushes kick it",
			   c->id, strerror(errno));
		return;
	}
	atomic_store(&c->st_live, true);
}

/* On c's thread, out of KVM_RUN: flush its guest TLB before it next runs. */
static void flush_now(struct vcpu *c)
{
	struct kvm_sregs s;

	if (ioctl(c->fd, KVM_GET_SREGS, &s) < 0)
		goto fail;
	s.cr4 ^= CR4_PGE;
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		goto fail;
	s.cr4 ^= CR4_PGE;
	if (ioctl(c->fd, KVM_SET_SREGS, &s) < 0)
		goto fail;
	return;
fail:
	/* it would run on with stale translations: stop */
	PVX_HV_LOG("vcpu %d: TLB flush through KVM_SET_SREGS: %s", c->id, strerror(errno));
	vm_finish(c->vm, HV_EKVM);
}

/* On c's thread: a flush libpvxhv deferred to this entry. */
void tlbflush_on_entry(struct vcpu *c)
{
	atomic_store(&c->flush_req, true);
}

/* On c's thread, just before KVM_RUN: in_run, then a flush asked for. */
void tlbflush_run_begin(struct vcpu *c)
{
	atomic_store(&c->in_run, true);
	if (atomic_exchange(&c->flush_req, false))
		flush_now(c);
}

/* On c's thread, when KVM_RUN has returned: wake whoever waits for it. */
void tlbflush_run_end(struct vcpu *c)
{
	atomic_store(&c->in_run, false);
	atomic_fetch_add(&c->runs, 1);
	if (atomic_load(&c->run_waiters))
		syscall(SYS_futex, &c->runs, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/*
 * Any thread: when this returns, t does not run guest code with the
 * translations it had.  Returns true if the flush was left to KVM's next
 * load of a preempted t, false if t flushes before its next KVM_RUN.
 */
bool tlbflush(struct vcpu *t)
{
	uint8_t *p = &kvm_st(t)->preempted;
	uint8_t s = __atomic_load_n(p, __ATOMIC_SEQ_CST);
	const struct timespec slice = { 0, WAIT_SLICE_NS };
	unsigned int gen;

	if (atomic_load(&t->st_live) && (s & KVM_VCPU_PREEMPTED) &&
	    __atomic_compare_exchange_n(p, &s, s | KVM_VCPU_FLUSH_TLB, false,
					__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		atomic_fetch_add(&t->flush_deferred, 1);
		return true;
	}
	atomic_fetch_add(&t->run_waiters, 1);
	atomic_store(&t->flush_req, true);
	if (atomic_load(&t->in_run)) {
		/* read after in_run: the count the KVM_RUN seen there ends */
		gen = atomic_load(&t->runs);
		atomic_fetch_add(&t->flush_kicked, 1);
		__atomic_store_n(&t->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(t->thread, SIG_KICK);
		while (atomic_load(&t->runs) == gen && !atomic_load(&t->vm->done))
			syscall(SYS_futex, &t->runs, FUTEX_WAIT_PRIVATE, gen, &slice, NULL, 0);
	}
	atomic_fetch_sub(&t->run_waiters, 1);
	return false;
}
