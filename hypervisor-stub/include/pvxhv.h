/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpvxhv: the PVX hypercall ABI implemented once for any VMM.
 *
 * The VMM describes the guest (vCPU count, guest RAM or memory accessors,
 * transport) and gives a table of callbacks.  On every hypercall exit it
 * copies the guest's registers into struct pvxhv_regs, calls
 * pvxhv_hypercall(), and writes regs.rax back.  The library decodes,
 * validates every guest value, copies guest memory in exactly once,
 * negotiates, dispatches and answers with the documented error codes
 * (Documentation/abi/).  Nothing a guest passes can make it abort, hang or
 * allocate.
 *
 * A typical KVM run loop:
 *
 *	hv = pvxhv_create(&cfg);
 *	for each leaf in [base, base+2]: pvxhv_cpuid(hv, leaf, r) -> KVM_SET_CPUID2
 *	loop:
 *		if (pvxhv_vcpu_enter(hv, id, steal_ns) & PVXHV_ENTER_FLUSH_TLB)
 *			flush id's TLB			(before KVM_RUN)
 *		KVM_RUN
 *		if exit is KVM_EXIT_IO on cfg.io_port (or vmcall/vmmcall):
 *			KVM_GET_REGS; copy rax rbx rcx rsi rdi r8 rflags -> regs
 *			pvxhv_hypercall(hv, id, &regs);
 *			kregs.rax = regs.rax; KVM_SET_REGS
 *			if it called ops->block: halt, unless pvxhv_kicked() (see block)
 *		when the vCPU thread is descheduled/blocked: pvxhv_vcpu_preempt()
 *		when a timer armed through ops->set_timer expires: pvxhv_timer_expired()
 *
 * Threads and re-entrancy.  The entry points fall in three groups:
 *
 *  vCPU calls      pvxhv_hypercall(), pvxhv_vcpu_enter(), pvxhv_vcpu_preempt()
 *                  and pvxhv_kicked() for vCPU n: one thread at a time per
 *                  n (normally n's own thread); different vCPUs may call
 *                  concurrently.
 *  any-time calls  pvxhv_kick(), pvxhv_timer_expired(), pvxhv_negotiated(),
 *                  pvxhv_features(), pvxhv_cpuid() and the name functions:
 *                  any thread, any time between create and destroy,
 *                  concurrently with anything, from inside callbacks too.
 *  life cycle      pvxhv_create(): any thread, calls no callback.
 *                  pvxhv_reset(): only while no vCPU call runs or is
 *                  blocked in ops->block for this instance (the VMM pauses
 *                  its vCPU threads first); any-time calls may race with
 *                  it and take effect before or after it.  Not from a
 *                  callback.
 *                  pvxhv_destroy(): only when no other call on the
 *                  instance runs or will run (vCPU threads joined, timers
 *                  that would call pvxhv_timer_expired() cancelled).  Not
 *                  from a callback.
 *
 * Callbacks run on the thread that made the call, synchronously, and
 * never while the library holds an internal lock: a callback may make any
 * any-time call, and ops->block may call pvxhv_kicked() for its vCPU.  A
 * callback must not make a vCPU call for the vCPU whose call is running
 * it (that breaks the one-thread-per-vCPU rule), nor reset or destroy.
 *
 * The soft_reset hypercall (PVX 1.2) is a vCPU call that acts on every
 * vCPU: it waits until the calls of other vCPUs that change what it
 * forgets have returned from these callbacks, so guest_ram, read_guest,
 * write_guest, clock_ns, guest_tsc, set_timer and records must not wait
 * for another vCPU's thread; and it cancels other vCPUs' timers
 * (ops->set_timer) and tells ops->records about other vCPUs from the
 * thread of the vCPU that called it.
 */
#ifndef PVXHV_H
#define PVXHV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvx/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this library API (not of the guest ABI). */
/*
 * 2: ops->block token, pvxhv_kicked(), ops->guest_ram.
 * 3: pvxhv_regs.rflags and ops->block's irqs_masked, ops->guest_tsc can
 *    fail, ops->flush_tlb_many, pvxhv_set_regions(), PVXHV_MAX_REGIONS,
 *    pvxhv_vcpu_enter()'s result must be used, pvxhv_save() and
 *    pvxhv_restore()
 *    (Documentation/abi/implementers.rst: "Migrating from API 2 to 3").
 */
/*
 * 4: PVX 1.2.  pvxhv_vcpu_delegate() and PVXHV_RECORD(), ops->records,
 *    ops->realtime_ns (WALL_CLOCK), pvxhv_vcpu_enter()'s flush also from
 *    the steal record's request, a save blob that holds set_time_record
 *    (Documentation/abi/implementers.rst: "Migrating from API 3 to 4").
 */
#define PVXHV_API_VERSION	4

/*
 * The records of a vCPU (PVX 1.2) that the VMM's kernel may keep instead
 * of the library: with KVM, the MSR that points KVM at each.
 */
enum pvxhv_record {
	PVXHV_RECORD_TIME,		/* struct pvx_time_info: MSR_KVM_SYSTEM_TIME_NEW */
	PVXHV_RECORD_STEAL,		/* struct pvx_steal_time: MSR_KVM_STEAL_TIME */
	PVXHV_RECORD_EOI,		/* pvx_vcpu_shared.eoi: MSR_KVM_PV_EOI_EN */
	PVXHV_RECORD_WALL_CLOCK,	/* struct pvx_wall_clock: MSR_KVM_WALL_CLOCK_NEW */
	PVXHV_NR_RECORDS
};
#define PVXHV_RECORD(name)	(1u << PVXHV_RECORD_##name)

/* A result the caller must not drop (pvxhv_vcpu_enter's deferred flush). */
#if defined(__GNUC__) || defined(__clang__)
#define PVXHV_MUST_CHECK	__attribute__((warn_unused_result))
#else
#define PVXHV_MUST_CHECK
#endif

/*
 * The registers of a hypercall, as the guest left them (see the register
 * convention in <pvx/hypercall.h>): nr in rax, arguments in rbx, rcx,
 * rsi, rdi, r8.  pvxhv_hypercall() writes the result to rax and changes
 * nothing else.  rdx is not part of the ABI (it holds the I/O port).
 */
struct pvxhv_regs {
	uint64_t rax;
	uint64_t rbx;
	uint64_t rcx;
	uint64_t rsi;
	uint64_t rdi;
	uint64_t r8;
	uint64_t rflags;	/* the guest's RFLAGS at the hypercall; the library
				   reads only IF (block's irqs_masked) */
};

/* Most regions pvxhv_create() and pvxhv_set_regions() take. */
#define PVXHV_MAX_REGIONS	256

/*
 * One range of guest RAM mapped into the VMM.  Guest RAM is memory the
 * guest can read and write (ROM and MMIO are not RAM).  Regions must not
 * overlap (pvxhv_create() refuses that); they may be adjacent, and a
 * guest range that spans adjacent regions is RAM like any other.
 */
struct pvxhv_mem_region {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;		/* bytes, > 0; the last byte, gpa + size - 1, must not
				   wrap: a region may end exactly at 2^64 */
	void *hva;		/* host address of gpa */
};

/*
 * Callbacks.  opaque is pvxhv_config.opaque.  vcpu is always < nr_vcpus.
 * Optional callbacks may be NULL; the features that need them are then
 * not offered to the guest.
 */
struct pvxhv_ops {
	/*
	 * Guest memory, used when pvxhv_config.regions is empty (accessor
	 * mode; all three are then required).  The guest sees the same
	 * answers as with regions: wherever the library would look a range
	 * up in the regions it asks guest_ram() instead, at the same point
	 * of the same checks.
	 *
	 * guest_ram: true if every byte of [gpa, gpa + len) is guest RAM
	 * (readable and writable); len >= 1, the range does not wrap.
	 *
	 * read_guest, write_guest: copy len bytes at gpa.  The library calls
	 * them only on ranges guest_ram() accepted earlier in the same call
	 * (or, for the shared page, at its registration), once per guest
	 * structure for reads.  Return 0 once all len bytes are copied.  They
	 * may fail (-1) only if the guest memory map changed since; a failing
	 * write_guest must have written nothing (all or nothing).  The call
	 * then returns -PVX_EFAULT (negotiate: nothing negotiated; multicall:
	 * the entries before took effect) or, for a shared page refresh,
	 * that refresh is dropped.
	 */
	bool (*guest_ram)(void *opaque, uint64_t gpa, uint64_t len);
	int (*read_guest)(void *opaque, uint64_t gpa, void *dst, size_t len);
	int (*write_guest)(void *opaque, uint64_t gpa, const void *src, size_t len);

	/* Required: guest time in ns, monotonic (the time record's clock). */
	uint64_t (*clock_ns)(void *opaque);
	/*
	 * Optional, with cfg.tsc_khz: store the guest TSC of vcpu now in *tsc
	 * and return 0, or return -1 if it cannot be read.  The library never
	 * publishes a time record built on a failed read: it keeps vcpu's
	 * last good (clock, TSC) pair, and without one (no read of vcpu's TSC
	 * succeeded since create or reset) that refresh gives no TSC scale
	 * (tsc_to_system_mul 0, as without cfg.tsc_khz) and the next refresh
	 * reads again.
	 */
	int (*guest_tsc)(void *opaque, uint32_t vcpu, uint64_t *tsc);

	/*
	 * Required: halt vcpu, like "sti; hlt", until an interrupt is
	 * pending, pvxhv_kicked(hv, vcpu, token) is true, or guest time
	 * reaches deadline_ns (0: no deadline).  The VMM may wait here, or
	 * note the token and wait after pvxhv_hypercall() returns (before
	 * vcpu's next vCPU call).
	 *
	 * The one rule that makes a lost wake-up impossible: check
	 * pvxhv_kicked() after the point from which ops->kick would wake
	 * this wait, and before every sleep of it.  E.g. with a mutex and a
	 * condition variable that ops->kick signals under the mutex:
	 *
	 *	lock(m);
	 *	while (!pvxhv_kicked(hv, vcpu, token) && !irq_pending(vcpu) &&
	 *	       !deadline_passed(deadline_ns))
	 *		cond_wait(c, m);	(or a timed wait until the deadline)
	 *	unlock(m);
	 *
	 * A kick is recorded (pvxhv_kicked() sees it) before ops->kick is
	 * called, so either the check sees it or the sleep is woken.
	 *
	 * irqs_masked: the guest's RFLAGS.IF was clear at the hypercall
	 * (pvxhv_regs.rflags), so no interrupt can be delivered to end the
	 * halt: a VMM that halts in its hypervisor (KVM's HLT state) must
	 * wait itself instead, for a kick, the deadline or an interrupt
	 * becoming pending.
	 */
	void (*block)(void *opaque, uint32_t vcpu, uint64_t deadline_ns, uint64_t token,
		      bool irqs_masked);
	/*
	 * Required: vcpu was kicked; it is already recorded.  Wake vcpu if it
	 * waits for a block (in or after ops->block); nothing else is needed:
	 * a kick of a vCPU that is not blocked is remembered by the library
	 * (sticky until consumed by a block) and its next block returns at
	 * once.  It may also make vcpu leave guest mode, if the VMM wants.
	 */
	void (*kick)(void *opaque, uint32_t vcpu);
	/* Optional: sched_yield. */
	void (*yield)(void *opaque, uint32_t vcpu);
	/* Optional (TIMER, PV_IPI): make vector pending on vcpu and kick it. */
	void (*inject)(void *opaque, uint32_t vcpu, uint8_t vector);
	/*
	 * Optional (TIMER): arm vcpu's one-shot timer; 0 cancels.  On vcpu's
	 * own thread, but for soft_reset, which cancels every armed timer
	 * from its caller's thread.
	 */
	void (*set_timer)(void *opaque, uint32_t vcpu, uint64_t deadline_ns);
	/*
	 * Optional (FLUSH_TLB): when this returns, vcpu must not execute guest
	 * code with its old translations: whatever it is doing (the library
	 * calls this for vCPUs that are running, but one may be descheduled
	 * meanwhile), it flushes its TLB before it next executes guest code.
	 * Usually a flush request for its next entry plus a kick out of guest
	 * mode, waiting until it left.  A flush the library defers instead
	 * (preempted vCPUs) is reported by pvxhv_vcpu_enter().
	 */
	void (*flush_tlb)(void *opaque, uint32_t vcpu);
	/*
	 * Optional (FLUSH_TLB): the same for n >= 1 distinct vCPUs at once:
	 * request every flush first, then wait once for all of them.  Given,
	 * it replaces flush_tlb: one flush_tlb hypercall makes one call with
	 * all the targets it found running.  FLUSH_TLB needs one of the two.
	 */
	void (*flush_tlb_many)(void *opaque, const uint32_t *vcpus, uint32_t n);
	/* Optional (CONSOLE): bytes from the guest, not NUL-terminated. */
	void (*console)(void *opaque, uint32_t vcpu, const char *buf, size_t len);
	/* Required: the guest asked to stop; reason is PVX_SHUTDOWN_*. */
	void (*shutdown)(void *opaque, uint32_t vcpu, uint32_t reason, uint32_t code);
	/*
	 * Optional (WALL_CLOCK): the wall-clock time now, ns since 1970 UTC,
	 * as the guest should see it.  The library writes the wall clock
	 * record from it and ops->clock_ns at each registration.
	 */
	uint64_t (*realtime_ns)(void *opaque);
	/*
	 * Required with pvxhv_vcpu_delegate(): vcpu's delegated records moved.
	 * gpa[r] is where the VMM's kernel must keep record r from now on,
	 * or PVX_GPA_NONE: it must stop keeping it (for KVM, write the MSR
	 * with its enable bit clear) before vcpu next runs guest code and,
	 * if vcpu is not the caller's vCPU, before this returns.  gpa[r] is
	 * PVX_GPA_NONE for every record not delegated.  Called from the vCPU
	 * call that moved them: a registration, an unregistration or a
	 * set_time_record of vcpu (on its thread), and soft_reset, once for
	 * every vCPU that had records (on the caller's thread); and from the
	 * life-cycle calls that move them: pvxhv_vcpu_delegate(),
	 * pvxhv_reset(), pvxhv_set_regions() (a page that left RAM) and
	 * pvxhv_restore() (where the restored pages put them).  At every
	 * successful registration, the same page again too (a guest
	 * registers a CPU's page after bringing it up, and the INIT on the
	 * way may have cleared the kernel's records: KVM clears these MSRs);
	 * otherwise only when something changed since the last call for
	 * vcpu.  Records that were not negotiated, or whose page is gone,
	 * are PVX_GPA_NONE.
	 */
	void (*records)(void *opaque, uint32_t vcpu, const uint64_t gpa[PVXHV_NR_RECORDS]);
};

struct pvxhv_config {
	uint32_t nr_vcpus;		/* 1..PVX_MAX_VCPUS */
	uint32_t transport;		/* enum pvx_transport */
	uint16_t io_port;		/* PVX_TRANSPORT_IOPORT: the port, PVX_IOPORT_MIN..MAX */
	uint32_t cpuid_base;		/* 0: 0x40000000 */
	uint32_t abi_version;		/* serve this 1.x (0: the latest) */
	uint64_t features;		/* features to offer; ~0: all possible */
	uint32_t tsc_khz;		/* guest TSC rate; 0: no TSC scale */
	const struct pvxhv_mem_region *regions;	/* guest RAM map, or NULL */
	uint32_t nr_regions;		/* 0 (accessor mode) .. PVXHV_MAX_REGIONS */
	const struct pvxhv_ops *ops;
	void *opaque;
};

struct pvxhv;

/* Create an instance; NULL (errno EINVAL/ENOMEM) on a bad config. */
struct pvxhv *pvxhv_create(const struct pvxhv_config *cfg);
void pvxhv_destroy(struct pvxhv *hv);
/*
 * Guest reset: forget negotiation, shared pages and moved time records
 * (without writing to them: guest memory is being reset), armed timers,
 * pending kicks and deferred flushes, and tell ops->records that no
 * delegated record is anywhere.  See the threading rules above.
 */
void pvxhv_reset(struct pvxhv *hv);
/*
 * Region mode: replace the guest RAM map (memory hot-plug, a remapped
 * ROM, a moved mapping).  The same life-cycle rule as pvxhv_reset(); the
 * map is checked exactly as pvxhv_create() checks cfg.regions.  Returns 0,
 * or -1 with errno EINVAL (a bad map, nr 0, or an instance in accessor
 * mode) or ENOMEM, and then the old map stays in force, unchanged.  A
 * registered shared page that is no longer RAM is dropped as if its vCPU
 * had unregistered it, without a write to it; one that still is RAM is
 * written through the new map from then on.
 */
int pvxhv_set_regions(struct pvxhv *hv, const struct pvxhv_mem_region *regions, uint32_t nr);

/*
 * Fill out[0..3] = EAX, EBX, ECX, EDX for CPUID leaf; returns true if leaf
 * is one of the PVX leaves (cpuid_base .. cpuid_base+2).
 */
bool pvxhv_cpuid(const struct pvxhv *hv, uint32_t leaf, uint32_t out[4]);

/*
 * Handle one hypercall exit of vcpu.  Returns the guest-visible result,
 * also stored in regs->rax.  Returns -PVX_ESRCH without touching regs only
 * if vcpu itself is out of range (a VMM bug).
 */
int64_t pvxhv_hypercall(struct pvxhv *hv, uint32_t vcpu, struct pvxhv_regs *regs);

/*
 * vcpu is about to run guest code: refresh the records of its shared page
 * the library keeps (time, steal time = steal_ns total, preempted = 0).
 * Returns PVXHV_ENTER_* flags the VMM must honour, or a negative PVX
 * error for a bad vcpu.  A steal record the library keeps (STEAL_RECORD)
 * has its preempted byte exchanged for 0 here, atomically, and a flush
 * request the guest set in it (PVX_STEAL_FLUSH_TLB) is reported as
 * PVXHV_ENTER_FLUSH_TLB.  That exchange needs guest RAM in regions:
 * accessor mode does not offer STEAL_RECORD.
 *
 * PVXHV_ENTER_FLUSH_TLB reports a flush the library deferred because vcpu
 * was preempted (pvxhv_vcpu_preempt()); a flush done through
 * ops->flush_tlb is not reported again.  Only when a flush_tlb races with
 * vcpu being scheduled in can both happen for one request (one redundant
 * flush; never a missed one).
 */
#define PVXHV_ENTER_FLUSH_TLB	0x1	/* flush the vCPU's TLB before running */
PVXHV_MUST_CHECK int pvxhv_vcpu_enter(struct pvxhv *hv, uint32_t vcpu, uint64_t steal_ns);
/*
 * Records a VMM's kernel keeps for vcpu: a mask of PVXHV_RECORD().  The
 * library then never writes them (and sets the page's PVX_VCPU_* flag
 * for them all the same, since the kernel keeps them), and tells
 * ops->records where they are.  0, the default, means the library keeps
 * every record itself.  A life-cycle call (pvxhv_reset()'s rules).
 * Returns 0, -PVX_ESRCH for a bad vcpu, -PVX_EINVAL for unknown bits or
 * a mask other than 0 without ops->records.  The delegation is
 * configuration: pvxhv_reset(), soft_reset and pvxhv_restore() keep it,
 * pvxhv_save() does not save it.
 *
 * What a delegated record's keeper must do (KVM does all of it):
 *   TIME	pvclock: version odd-even around each update, PVX_TIME_TSC_STABLE
 *		only with one master (ns, TSC) pair for the whole VM; its
 *		clock is guest time, so ops->clock_ns must read it too;
 *   STEAL	steal and version as pvclock's seqlock, PVX_STEAL_PREEMPTED
 *		while the vCPU is out of guest mode preempted, and a flush of
 *		its TLB before it runs if the guest set PVX_STEAL_FLUSH_TLB
 *		(exchanging preempted for 0);
 *   EOI	PVX_EOI_SKIP set only for an interrupt whose EOI may be skipped;
 *   WALL_CLOCK	the wall clock at the time record's clock 0.
 */
int pvxhv_vcpu_delegate(struct pvxhv *hv, uint32_t vcpu, uint32_t records);

/* vcpu stopped running (descheduled, blocked): set its preempted flag. */
int pvxhv_vcpu_preempt(struct pvxhv *hv, uint32_t vcpu);
/* The timer armed through ops->set_timer for vcpu expired: inject it. */
int pvxhv_timer_expired(struct pvxhv *hv, uint32_t vcpu);
/*
 * Kick vcpu from the VMM side (same as the guest's kick_vcpu): record the
 * kick, then call ops->kick.  Kicks are sticky: one that finds vcpu not
 * blocked makes its next block return at once.
 */
int pvxhv_kick(struct pvxhv *hv, uint32_t vcpu);
/*
 * Inside or after ops->block(..., token): true if vcpu was kicked since
 * the library handed out token, i.e. the block must not sleep (or must
 * end).  Returning true consumes those kicks: a later block does not
 * return early because of them.  A kick the VMM never saw here stays
 * pending for the next block (a block that ends at its deadline or on an
 * interrupt consumes none).  A vCPU call; false for a bad vcpu.
 */
bool pvxhv_kicked(struct pvxhv *hv, uint32_t vcpu, uint64_t token);

/* Negotiated state: false until the guest negotiated. */
bool pvxhv_negotiated(const struct pvxhv *hv, uint32_t *version, uint64_t *features);
/* The features this instance offers (CPUID base+1). */
uint64_t pvxhv_features(const struct pvxhv *hv);

/* Names for logs: "negotiate", "EINVAL"...; "?" if unknown. */
const char *pvxhv_hypercall_name(uint64_t nr);
const char *pvxhv_error_name(int64_t err);

/*
 * Save and restore, for snapshots and live migration (Documentation/abi/
 * implementers.rst, "Save and restore").  The state is what the guest set
 * up through the ABI: negotiation (version, features) and, per vCPU, its
 * shared page (gpa, seqlock versions, steal time, the steal record's
 * preempted mark), its moved time record (set_time_record), pending
 * kicks, armed timer's vector, deferred TLB flush and preempted flag.
 * Not the config (the delegation included), not host pointers, not the
 * timers' deadlines (the VMM's: it saves them and re-arms them).  The
 * blob is versioned and checksummed, fixed-width
 * little-endian fields; a library reads the blobs of older libraries of
 * the same ABI major.  Both are life-cycle calls with pvxhv_reset()'s
 * rules (vCPUs paused, not from a callback); pvxhv_kick() and
 * pvxhv_timer_expired() may race and land before or after, but not
 * pvxhv_negotiated() with a restore.
 *
 * pvxhv_save: write the blob to buf and return its size; if len is
 * smaller (len 0 queries, buf may then be NULL) write nothing and return
 * the size needed, which depends only on nr_vcpus.  -EINVAL for hv NULL
 * or buf NULL with len > 0, -EBUSY if a negotiate is running.
 *
 * pvxhv_restore: replace the state of hv, a fresh or used instance (as if
 * reset, then loaded), with the blob's.  Returns 0, or a negative errno
 * and hv unchanged:
 *	-EINVAL		hv or buf NULL
 *	-ENOMSG		not a libpvxhv state blob (magic)
 *	-EPROTONOSUPPORT a blob format this library does not read (newer),
 *			or another ABI major
 *	-EBADMSG	truncated or too long (len must be the size saved),
 *			checksum mismatch, or fields no library saves
 *	-ERANGE		saved with another nr_vcpus
 *	-EOPNOTSUPP	a negotiated version or feature hv does not offer
 *	-EFAULT		a shared page that is not a page of hv's guest RAM, or a
 *			moved time record that is not hv's guest RAM
 *	-ENOMEM		no memory for the temporary copy
 * It writes nothing to guest memory: each shared page is rewritten at its
 * vCPU's next pvxhv_vcpu_enter(), the time record from this host's
 * ops->clock_ns, which must continue the source's guest time.  Then it
 * tells ops->records where the records hv delegates are.
 */
int64_t pvxhv_save(const struct pvxhv *hv, void *buf, size_t len);
int pvxhv_restore(struct pvxhv *hv, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PVXHV_H */
