// SPDX-License-Identifier: GPL-2.0
/*
 * The records KVM keeps for libpvxhv (PVX 1.2, pvxhv_vcpu_delegate()).
 *
 * KVM maintains, for guests of its own ABI, the very records PVX 1.2 puts
 * in the shared page, in the same layouts, each where a KVM-specific MSR
 * of the vCPU points (Linux's Documentation/virt/kvm/x86/msr.rst):
 *
 *   TIME        the time record (pvclock)  MSR_KVM_SYSTEM_TIME_NEW = gpa | 1
 *   STEAL       struct pvx_steal_time      MSR_KVM_STEAL_TIME = gpa | KVM_MSR_ENABLED
 *   EOI         the PV EOI word            MSR_KVM_PV_EOI_EN = gpa | KVM_MSR_ENABLED
 *   WALL_CLOCK  struct pvx_wall_clock      MSR_KVM_WALL_CLOCK_NEW = gpa
 *
 * KVM then updates them inside the kernel, with no exit to pvx-hv: the
 * time at its clock updates, steal time and the preempted flag as it
 * schedules the vCPU thread (and a flush the guest asks for there), the
 * EOI bit as it injects, the wall clock once, when the MSR is written
 * (one MSR for the VM: each registration writes its own page's).
 *
 * kvm_records_init() picks what this KVM keeps (its supported CPUID:
 * cpuid_kvm_features()), less what --keep-records or a --hostile mode
 * keeps with libpvxhv; kvm_records_delegate() hands it to every libpvxhv
 * instance, before any vCPU runs.  With TIME, guest time is KVM's clock
 * (hypercall.c); the wall clock goes with it, as KVM writes it against
 * its own clock.
 *
 * libpvxhv says where the records are through ops->records
 * (kvm_records_moved()): at a registration, an unregistration or a
 * set_time_record of a vCPU, on that vCPU's thread, and at a soft_reset,
 * for every vCPU that had records, on the caller's thread.  PVX_GPA_NONE:
 * KVM must stop (the MSR written with its enable bit clear; the wall
 * clock, written once, has nothing to stop).
 *
 * INIT: KVM clears the per-vCPU MSRs at an INIT (kvm_vcpu_reset():
 * kvmclock, steal time, and PV EOI in the local APIC's reset), without
 * telling pvx-hv.  pvx-hv need not follow: a guest registers a CPU's page
 * after bringing the CPU up, and every successful registration writes
 * every delegated MSR again, also to the address it had (libpvxhv calls
 * ops->records at every registration).  A guest that sends INIT to a CPU
 * whose page it keeps registered loses KVM's records of that CPU until it
 * registers the page again.
 *
 * Who writes a vCPU's MSRs: its own thread, or another while the vCPU is
 * out of KVM_RUN and cannot enter it (a KVM_SET_MSRS into a vCPU that is
 * inside KVM_RUN would wait for it to return, however long it halts).
 * The move is posted in c->rec_want under c->msr_lock, then:
 *  - c's thread takes a posted move just before KVM_RUN, run_seq already
 *    odd (kvm_records_take(), from tlbflush_run_begin());
 *  - the caller, under msr_lock, finds run_seq even: c is not between
 *    kvm_records_take() and the end of its KVM_RUN, and its next
 *    kvm_records_take() waits for msr_lock, so the caller writes the MSRs
 *    itself (c's own thread, in a hypercall, always finds it even);
 *  - run_seq odd: c may be inside KVM_RUN.  The caller makes it leave
 *    (run_seq_kick(): immediate_exit and SIG_KICK), waits until that KVM_RUN
 *    has returned (run_seq_wait()) and looks again: by then c has taken the
 *    move itself, or is out of KVM_RUN.
 * rec_posted and run_seq are a Dekker pair, as flush_req and run_seq are
 * (tlbflush.c).  The wait is bounded: a vCPU thread leaves KVM_RUN at a
 * signal, whatever the guest does, and the wait ends when the VM stops;
 * a vCPU that has not left KVM_RUN after RECORDS_WAIT_NS stops the VM
 * (status 70) rather than let KVM write memory the guest took back.
 */
#include <asm/kvm_para.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <pvx/abi.h>
#include <pvxhv.h>

#include "pvx-hv.h"

_Static_assert(HV_RECORDS == PVXHV_NR_RECORDS, "pvx-hv.h's HV_RECORDS is enum pvxhv_record's");

#define RECORDS_WAIT_NS	(5 * 1000000000ull)

static const struct {
	const char *name;
	uint32_t msr;
} records[HV_RECORDS] = {
	[PVXHV_RECORD_TIME] = { "time", MSR_KVM_SYSTEM_TIME_NEW },
	[PVXHV_RECORD_STEAL] = { "steal", MSR_KVM_STEAL_TIME },
	[PVXHV_RECORD_EOI] = { "eoi", MSR_KVM_PV_EOI_EN },
	[PVXHV_RECORD_WALL_CLOCK] = { "wall_clock", MSR_KVM_WALL_CLOCK_NEW },
};

static bool kvm_has(uint32_t kvm_features, int bit)
{
	return kvm_features & 1u << bit;
}

/*
 * The records this KVM keeps, for every vCPU alike: TIME where KVM has
 * kvmclock's MSRs, says its TSC_STABLE flag means one clock for all
 * vCPUs (CLOCKSOURCE_STABLE_BIT) and reads its clock back (KVM_GET_CLOCK);
 * STEAL where it keeps steal time and takes flush requests from the
 * record (PV_TLB_FLUSH, which implies KVM_VCPU_PREEMPTED); EOI with
 * PV_EOI; WALL_CLOCK with TIME.
 */
void kvm_records_init(struct vm *vm)
{
	uint32_t kvm = vm->keep_records ? 0 : cpuid_kvm_features(vm), r = 0;
	uint32_t bent = vm->hostile ? hostile_records(vm) : 0;
	struct kvm_clock_data clock = { 0 };

	if (kvm_has(kvm, KVM_FEATURE_CLOCKSOURCE2) &&
	    kvm_has(kvm, KVM_FEATURE_CLOCKSOURCE_STABLE_BIT) && !ioctl(vm->fd, KVM_GET_CLOCK, &clock))
		r |= PVXHV_RECORD(TIME);
	if (kvm_has(kvm, KVM_FEATURE_STEAL_TIME) && kvm_has(kvm, KVM_FEATURE_PV_TLB_FLUSH))
		r |= PVXHV_RECORD(STEAL);
	if (kvm_has(kvm, KVM_FEATURE_PV_EOI))
		r |= PVXHV_RECORD(EOI);
	r &= ~bent;
	if (r & PVXHV_RECORD(TIME))
		r |= PVXHV_RECORD(WALL_CLOCK) & ~bent;
	vm->records = r;
	vm->kvmclock = r & PVXHV_RECORD(TIME);
}

/* Every vCPU of hv's instance: KVM keeps vm->records (no vCPU runs: at start, or paused). */
int kvm_records_delegate(struct vm *vm, struct pvxhv *hv)
{
	char names[64];

	for (int i = 0; i < vm->ncpus; i++) {
		int err = vm->records ? pvxhv_vcpu_delegate(hv, i, vm->records) : 0;

		if (err) {
			PVX_HV_LOG("libpvxhv refused to leave records %s of vcpu %d to KVM: %s",
				   kvm_records_names(vm->records, names, sizeof(names)), i,
				   pvxhv_error_name(err));
			return HV_EINTERNAL;
		}
		vm->cpus[i].records = vm->records;
	}
	return 0;
}

/* KVM refused an MSR that keeps one of c's records: stale records, the VM stops. */
static void kvm_records_refused(struct vcpu *c, uint32_t msr, uint64_t val)
{
	PVX_HV_LOG("vcpu %d: KVM refused MSR %#x = %#llx (%s): its records would go stale",
		   c->id, msr, (unsigned long long)val, strerror(errno));
	vm_finish(c->vm, HV_EINTERNAL);
}

/*
 * msr_lock held, on c's thread or with c out of KVM_RUN: the posted move,
 * one KVM_SET_MSRS for time, EOI and wall clock; steal time through
 * tlbflush.c, which defers flushes into the record KVM keeps.
 */
static void kvm_records_apply(struct vcpu *c)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[HV_RECORDS];
	} m = { 0 };
	const uint64_t *gpa = c->rec_want;
	const uint32_t steal = PVXHV_RECORD_STEAL;
	uint32_t live = 0;
	int n;

	atomic_store(&c->rec_posted, false);
	memcpy(c->rec_gpa, gpa, sizeof(c->rec_gpa));
	for (uint32_t r = 0; r < HV_RECORDS; r++) {
		bool on = gpa[r] != PVX_GPA_NONE;

		if (!(c->records & 1u << r) || r == steal ||
		    (r == PVXHV_RECORD_WALL_CLOCK && !on))
			continue;
		m.e[m.h.nmsrs].index = records[r].msr;
		m.e[m.h.nmsrs++].data = !on ? 0 :
			gpa[r] | (r == PVXHV_RECORD_WALL_CLOCK ? 0 : KVM_MSR_ENABLED);
		live |= on ? 1u << r : 0;
	}
	n = m.h.nmsrs ? ioctl(c->fd, KVM_SET_MSRS, &m) : 0;
	if (n != (int)m.h.nmsrs) {
		if (n >= 0)
			errno = EINVAL;	/* KVM refused entry n */
		if (n < 0 || n >= (int)m.h.nmsrs)
			n = 0;
		kvm_records_refused(c, m.e[n].index, m.e[n].data);
		return;
	}
	if (c->records & 1u << steal) {
		bool on = gpa[steal] != PVX_GPA_NONE;

		if (tlbflush_steal_record(c, on ? gpa[steal] : 0)) {
			kvm_records_refused(c, MSR_KVM_STEAL_TIME, on ? gpa[steal] | KVM_MSR_ENABLED : 0);
			return;
		}
		live |= on ? 1u << steal : 0;
	}
	atomic_store(&c->rec_live, live);
}

/*
 * ops->records: vcpu's delegated records are at gpa[] from now on.  Done
 * (the MSRs written) before this returns, by the caller or by vcpu's own
 * thread; see the head of this file.
 */
void kvm_records_moved(struct vm *vm, uint32_t vcpu, const uint64_t gpa[HV_RECORDS])
{
	const uint64_t until = now_ns() + RECORDS_WAIT_NS;
	struct vcpu *c;

	if (vcpu >= (uint32_t)vm->ncpus || !vm->cpus[vcpu].records)
		return;			/* KVM keeps nothing for it */
	c = &vm->cpus[vcpu];
	atomic_fetch_add(&c->rec_moves, 1);
	pthread_mutex_lock(&c->msr_lock);
	memcpy(c->rec_want, gpa, sizeof(c->rec_want));
	atomic_store(&c->rec_posted, true);
	while (atomic_load(&c->rec_posted) && !atomic_load(&vm->done)) {
		unsigned int seq = atomic_load(&c->run_seq);
		bool left;

		if (!(seq & 1)) {	/* out of KVM_RUN, and stays out */
			kvm_records_apply(c);
			break;
		}
		pthread_mutex_unlock(&c->msr_lock);
		atomic_fetch_add(&c->run_waiters, 1);
		left = !run_seq_kick(c, &seq) || run_seq_wait(c, seq, until);
		atomic_fetch_sub(&c->run_waiters, 1);
		if (seq & 1)
			atomic_fetch_add(&c->rec_kicked, 1);
		pthread_mutex_lock(&c->msr_lock);
		if (!left) {
			PVX_HV_LOG("vcpu %d: still in KVM_RUN %llu s after a kick: cannot move its records",
				   c->id, RECORDS_WAIT_NS / 1000000000ull);
			vm_finish(vm, HV_EINTERNAL);
			break;
		}
	}
	pthread_mutex_unlock(&c->msr_lock);
}

/* On c's thread, just before KVM_RUN, run_seq odd: a move posted to it. */
void kvm_records_take(struct vcpu *c)
{
	if (!atomic_load(&c->rec_posted))
		return;
	pthread_mutex_lock(&c->msr_lock);
	if (atomic_load(&c->rec_posted))
		kvm_records_apply(c);
	pthread_mutex_unlock(&c->msr_lock);
}

/* Does KVM keep c's steal record now (so that it reads schedstat itself)? */
bool kvm_records_steal_kept(struct vcpu *c)
{
	return atomic_load(&c->rec_live) & PVXHV_RECORD(STEAL);
}

/* "time,steal,eoi,wall_clock", or "none". */
const char *kvm_records_names(uint32_t mask, char *buf, size_t size)
{
	size_t n = 0;

	snprintf(buf, size, "none");
	for (uint32_t r = 0; r < HV_RECORDS && n < size; r++)
		if (mask & 1u << r)
			n += snprintf(buf + n, size - n, "%s%s", n ? "," : "", records[r].name);
	return buf;
}

/*
 * Who keeps each vCPU's records, vCPUs alike in one line, on stderr:
 * "records vcpus 0-1: time,steal,eoi,wall_clock kept by KVM"; with
 * counts (--stats) how often they moved, and how often a move had to
 * make the vCPU leave KVM_RUN.
 */
void kvm_records_print(const struct vm *vm, const char *prefix, bool counts)
{
	const uint32_t all = (1u << HV_RECORDS) - 1;
	char kvm[64], lib[64];

	for (int i = 0, j; i < vm->ncpus; i = j) {
		const uint32_t mask = vm->cpus[i].records;
		unsigned long moves = 0, kicked = 0;

		for (j = i; j < vm->ncpus && vm->cpus[j].records == mask; j++) {
			moves += atomic_load(&vm->cpus[j].rec_moves);
			kicked += atomic_load(&vm->cpus[j].rec_kicked);
		}
		fprintf(stderr, "%srecords vcpu%s %d", prefix, j - i > 1 ? "s" : "", i);
		if (j - i > 1)
			fprintf(stderr, "-%d", j - 1);
		kvm_records_names(mask, kvm, sizeof(kvm));
		kvm_records_names(all & ~mask, lib, sizeof(lib));
		if (!mask)
			fprintf(stderr, ": none kept by KVM, libpvxhv keeps them all (%s)",
				vm->keep_records ? "--keep-records" : "this KVM keeps none");
		else if (mask == all)
			fprintf(stderr, ": %s kept by KVM", kvm);
		else
			fprintf(stderr, ": %s kept by KVM, %s by libpvxhv", kvm, lib);
		if (counts)
			fprintf(stderr, "; %lu moves, %lu made a vcpu leave KVM_RUN", moves, kicked);
		fputc('\n', stderr);
	}
}
