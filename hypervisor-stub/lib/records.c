/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpvxhv: the shared page and its records (Documentation/abi/
 * shared-page.rst): where each lies, what the library writes and when,
 * the records a VMM's kernel keeps instead (pvxhv_vcpu_delegate()), and
 * how a vCPU's calls keep out of soft_reset's way.
 */
#include <sched.h>
#include <stddef.h>
#include <string.h>

#include "internal.h"

/*
 * The records a VMM's kernel may keep, by enum pvxhv_record: the feature
 * that puts the record in the page, its PVX_VCPU_* flag and its offset
 * (the time record's while it is in the page).
 */
static const struct {
	uint64_t	feature;
	uint32_t	flag;
	uint32_t	offset;
} records[PVXHV_NR_RECORDS] = {
	[PVXHV_RECORD_TIME] = { PVX_FEATURE(SHARED_PAGE), PVX_VCPU_TIME_VALID,
				offsetof(struct pvx_vcpu_shared, time) },
	[PVXHV_RECORD_STEAL] = { PVX_FEATURE(STEAL_RECORD), PVX_VCPU_STEAL_RECORD,
				 offsetof(struct pvx_vcpu_shared, steal) },
	[PVXHV_RECORD_EOI] = { PVX_FEATURE(PV_EOI), PVX_VCPU_PV_EOI,
			       offsetof(struct pvx_vcpu_shared, eoi) },
	[PVXHV_RECORD_WALL_CLOCK] = { PVX_FEATURE(WALL_CLOCK), PVX_VCPU_WALL_CLOCK,
				      offsetof(struct pvx_vcpu_shared, wall_clock) },
};

/* Soft reset against the other vCPUs ----------------------------------------- */

/*
 * soft_reset (hc_soft_reset()) moves neg_state DONE -> BUSY, waits until
 * no other vCPU holds itself, forgets, and publishes NONE.  A vCPU call
 * publishes held, then reads neg_state (Dekker's protocol, sequentially
 * consistent, as publish_then_read() in pvxhv.c): either it reads DONE
 * and soft_reset sees it held and waits for its release, or it reads
 * BUSY or NONE and leaves the state alone.  So nothing a call did before
 * the reset lands after it, and soft_reset touches the own fields only
 * while no call can.  Only that waits, for calls that hold briefly; a
 * held vCPU never waits for anything of the library.  The test point
 * between the steps lets tests/host/test-threads.c (soft_reset_hold_order)
 * run a reset there; it fails if the steps are swapped.
 */
bool vcpu_hold(struct pvxhv *hv, uint32_t vcpu)
{
	atomic_store(&hv->vcpus[vcpu].held, 1);		/* 1. publish held */
	pvxhv_test_point(hv->opaque, PVXHV_TP_HOLD_STEP, vcpu);
	return atomic_load(&hv->neg_state) == NEG_DONE;	/* 2. then read the state */
}

void vcpu_release(struct pvxhv *hv, uint32_t vcpu)
{
	atomic_store_explicit(&hv->vcpus[vcpu].held, 0, memory_order_release);
}

void vcpus_wait_released(struct pvxhv *hv, uint32_t vcpu)
{
	for (uint32_t i = 0; i < hv->nr_vcpus; i++)
		while (i != vcpu && atomic_load(&hv->vcpus[i].held))
			sched_yield();
}

/* Where the records lie ------------------------------------------------------ */

/*
 * vcpu's page moves to gpa (PVX_GPA_NONE: none, and a moved time record
 * goes with it): where it lies in host memory, and nothing of it written
 * yet.  Region mode caches the host address when the record lies in one
 * region and is aligned for its fields; otherwise (accessor mode
 * included) every write goes through copy_to_guest().  Calls no callback
 * (reset runs it under reg_lock).
 */
void shared_page_attach(struct pvxhv *hv, uint32_t vcpu, uint64_t gpa)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	const uint64_t preempted = offsetof(struct pvx_vcpu_shared, steal.preempted);

	v->shared_gpa = gpa;
	v->stale = STALE_ALL;
	v->shared_host = NULL;
	v->steal_preempted = NULL;
	if (gpa == PVX_GPA_NONE) {
		time_record_attach(hv, vcpu, PVX_GPA_NONE);
		return;
	}
	v->shared_host = host_address(hv, gpa, sizeof(*v->shared_host), alignof(struct pvx_vcpu_shared));
	v->steal_preempted = host_address(hv, gpa + preempted, 1, 1);
}

/* vcpu's time record moves to gpa (PVX_GPA_NONE: into the page). */
void time_record_attach(struct pvxhv *hv, uint32_t vcpu, uint64_t gpa)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];

	v->time_gpa = gpa;
	v->time_host = gpa == PVX_GPA_NONE ? NULL :
		host_address(hv, gpa, sizeof(*v->time_host), alignof(struct pvx_time_info));
	/* The page's flags say where it is. */
	v->stale |= STALE_TIME | STALE_HEADER;
}

/*
 * Forget vcpu's page and records, without a write: the seqlocks start
 * from 0 again.  Under reg_lock; records_tell() then says so.
 */
void records_forget(struct pvxhv *hv, uint32_t vcpu)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];

	shared_page_attach(hv, vcpu, PVX_GPA_NONE);
	v->shared_claim = PVX_GPA_NONE;
	memset(&v->shadow, 0, sizeof(v->shadow));
	v->steal_marked = false;
}

/* Whether the library keeps record r of vcpu: negotiated, not delegated. */
static bool keeps(const struct pvxhv *hv, const struct pvxhv_vcpu *v, enum pvxhv_record r)
{
	return (hv->neg_features & records[r].feature) && !(v->delegated & (1u << r));
}

/* The 1.0 steal fields: STEAL_TIME, unless the steal record replaces them. */
static bool keeps_steal_1_0(const struct pvxhv *hv)
{
	return (hv->neg_features & (PVX_FEATURE(STEAL_TIME) | PVX_FEATURE(STEAL_RECORD))) ==
	       PVX_FEATURE(STEAL_TIME);
}

/* The page's flags: every negotiated record, kept by whomever. */
static uint32_t page_flags(const struct pvxhv *hv, const struct pvxhv_vcpu *v)
{
	uint32_t flags = keeps_steal_1_0(hv) ? PVX_VCPU_STEAL_VALID : 0;

	for (int r = 0; r < PVXHV_NR_RECORDS; r++)
		if (hv->neg_features & records[r].feature)
			flags |= records[r].flag;
	if (v->time_gpa != PVX_GPA_NONE)
		flags &= ~PVX_VCPU_TIME_VALID;
	return flags;
}

/*
 * Tell ops->records where vcpu's delegated records are now, if that
 * changed since it was last told, or always (a registration: an INIT
 * since may have cleared the kernel's records).  Under no lock: a
 * callback.
 */
void records_tell(struct pvxhv *hv, uint32_t vcpu, bool always)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	uint64_t gpa[PVXHV_NR_RECORDS];
	bool moved = false;

	for (int r = 0; r < PVXHV_NR_RECORDS; r++) {
		gpa[r] = PVX_GPA_NONE;
		if (v->shared_gpa != PVX_GPA_NONE && (v->delegated & (1u << r)) &&
		    (hv->neg_features & records[r].feature))
			gpa[r] = r == PVXHV_RECORD_TIME && v->time_gpa != PVX_GPA_NONE ?
				 v->time_gpa : v->shared_gpa + records[r].offset;
		moved |= gpa[r] != v->told[r];
	}
	if (!moved && !(always && v->delegated))
		return;
	memcpy(v->told, gpa, sizeof(gpa));
	OP(hv, records)(hv->opaque, vcpu, gpa);
}

/* Writing them ------------------------------------------------------------- */

/* A record in guest memory: its address and, if cached, its host address. */
struct rec {
	uint64_t	gpa;
	void		*host;
};

static struct rec page_rec(const struct pvxhv_vcpu *v)
{
	return (struct rec){ v->shared_gpa, v->shared_host };
}

/* The part of the page at offset, as a record of its own. */
static struct rec page_part(const struct pvxhv_vcpu *v, size_t offset)
{
	return (struct rec){ v->shared_gpa + offset,
			     v->shared_host ? (char *)v->shared_host + offset : NULL };
}

static struct rec time_rec(const struct pvxhv_vcpu *v)
{
	if (v->time_gpa == PVX_GPA_NONE)
		return page_part(v, offsetof(struct pvx_vcpu_shared, time));
	return (struct rec){ v->time_gpa, v->time_host };
}

/*
 * Write field of the record r (a type) and note it in its shadow.  Through
 * the cached host address, a single store the guest cannot see torn
 * (guest memory changes under other threads: never a plain assignment).
 * A failing write_guest (the map changed) clears ok.
 */
#define REC_PUT(hv, ok, r, type, shadow, field, val) do {				\
	__typeof__((shadow)->field) x_ = (val);						\
	(shadow)->field = x_;								\
	if ((r).host) {									\
		pvxhv_test_store((hv)->opaque, (r).gpa + offsetof(type, field), &x_, sizeof(x_)); \
		__atomic_store_n(&((type *)(r).host)->field, x_, __ATOMIC_RELAXED);	\
	} else {									\
		ok &= !copy_to_guest(hv, gpa_ptr((r).gpa + offsetof(type, field)), &x_, sizeof(x_)); \
	}										\
} while (0)

/* ... only if it differs from what was written last, or full. */
#define REC_SET(hv, ok, full, r, type, shadow, field, val) do {			\
	__typeof__((shadow)->field) y_ = (val);						\
	if ((full) || (shadow)->field != y_)						\
		REC_PUT(hv, ok, r, type, shadow, field, y_);				\
} while (0)

/*
 * The fields under each seqlock, and the page's header, which lies under
 * the time seqlock while the library keeps the time record in the page.
 * A refresh that changes none of a group's fields leaves its seqlock alone.
 */
#define HEADER_FIELDS(X)	X(size) X(vcpu_id) X(flags)
#define TIME_FIELDS(X)		X(tsc_timestamp) X(system_time) X(tsc_to_system_mul) \
				X(tsc_shift) X(flags)
#define STEAL_FIELDS(X)		X(steal_ns) X(preempted)

#define HEADER_PUT(f)		REC_PUT(hv, ok, page, struct pvx_vcpu_shared, &v->shadow, f, header->f);
#define TIME_DIFFERS(f)		|| want->f != v->shadow.time.f
#define TIME_SET(f)		REC_SET(hv, ok, full, r, struct pvx_time_info, &v->shadow.time, f, want->f);
#define STEAL_DIFFERS(f)	|| want.f != v->shadow.f
#define STEAL_SET(f)		REC_SET(hv, ok, full, page, struct pvx_vcpu_shared, &v->shadow, f, want.f);

/* The stale header alone, field by field: nobody's seqlock is the library's. */
static bool write_header(struct pvxhv *hv, struct pvxhv_vcpu *v,
			 const struct pvx_vcpu_shared *header)
{
	const struct rec page = page_rec(v);
	bool ok = true;

	HEADER_FIELDS(HEADER_PUT)
	return ok;
}

/*
 * The time record wherever it is, and the stale header if given (the
 * record is in the page): all of both.  Seqlock: odd, fence, body,
 * fence, even; the guest retries around odd values.
 */
static bool write_time(struct pvxhv *hv, struct pvxhv_vcpu *v, const struct pvx_time_info *want,
		       const struct pvx_vcpu_shared *header)
{
	const struct rec r = time_rec(v), page = page_rec(v);
	const bool full = header || (v->stale & STALE_TIME);
	bool ok = true;

	if (!full && !(0 TIME_FIELDS(TIME_DIFFERS)))
		return true;
	REC_PUT(hv, ok, r, struct pvx_time_info, &v->shadow.time, version, v->shadow.time.version | 1);
	atomic_thread_fence(memory_order_release);
	if (header) {
		HEADER_FIELDS(HEADER_PUT)
	}
	TIME_FIELDS(TIME_SET)
	atomic_thread_fence(memory_order_release);
	REC_PUT(hv, ok, r, struct pvx_time_info, &v->shadow.time, version, v->shadow.time.version + 1);
	return ok;
}

/* The 1.0 steal fields, under steal_version. */
static bool write_steal(struct pvxhv *hv, struct pvxhv_vcpu *v, uint8_t preempted)
{
	const struct rec page = page_rec(v);
	const bool full = v->stale & STALE_STEAL;
	struct pvx_vcpu_shared want;
	bool ok = true;

	want.steal_ns = v->steal_ns;
	want.preempted = preempted;
	if (!full && !(0 STEAL_FIELDS(STEAL_DIFFERS)))
		return true;
	REC_PUT(hv, ok, page, struct pvx_vcpu_shared, &v->shadow, steal_version,
		v->shadow.steal_version | 1);
	atomic_thread_fence(memory_order_release);
	STEAL_FIELDS(STEAL_SET)
	atomic_thread_fence(memory_order_release);
	REC_PUT(hv, ok, page, struct pvx_vcpu_shared, &v->shadow, steal_version,
		v->shadow.steal_version + 1);
	return ok;
}

/*
 * The steal record's steal, under its version as KVM writes it.  Its
 * preempted byte is not written here: the guest changes it too
 * (shared_page_preempted(), steal_record_take()).
 */
static bool write_steal_record(struct pvxhv *hv, struct pvxhv_vcpu *v)
{
	const struct rec r = page_part(v, offsetof(struct pvx_vcpu_shared, steal));
	struct pvx_steal_time *s = &v->shadow.steal;
	const bool full = v->stale & STALE_STEAL_REC;
	bool ok = true;

	if (!full && s->steal == v->steal_ns)
		return true;
	REC_PUT(hv, ok, r, struct pvx_steal_time, s, version, s->version | 1);
	atomic_thread_fence(memory_order_release);
	REC_SET(hv, ok, full, r, struct pvx_steal_time, s, steal, v->steal_ns);
	REC_SET(hv, ok, full, r, struct pvx_steal_time, s, flags, 0);
	atomic_thread_fence(memory_order_release);
	REC_PUT(hv, ok, r, struct pvx_steal_time, s, version, s->version + 1);
	return ok;
}

/*
 * The wall clock at the time record's clock 0: the wall-clock time now
 * less that clock now, under its version.
 */
static bool write_wall_clock(struct pvxhv *hv, struct pvxhv_vcpu *v)
{
	const struct rec r = page_part(v, offsetof(struct pvx_vcpu_shared, wall_clock));
	struct pvx_wall_clock *w = &v->shadow.wall_clock;
	const uint64_t now = OP(hv, realtime_ns)(hv->opaque), clock = OP(hv, clock_ns)(hv->opaque);
	const uint64_t at0 = now > clock ? now - clock : 0;
	bool ok = true;

	REC_PUT(hv, ok, r, struct pvx_wall_clock, w, version, w->version | 1);
	atomic_thread_fence(memory_order_release);
	REC_PUT(hv, ok, r, struct pvx_wall_clock, w, sec, (uint32_t)(at0 / NSEC_PER_SEC));
	REC_PUT(hv, ok, r, struct pvx_wall_clock, w, nsec, (uint32_t)(at0 % NSEC_PER_SEC));
	atomic_thread_fence(memory_order_release);
	REC_PUT(hv, ok, r, struct pvx_wall_clock, w, version, w->version + 1);
	return ok;
}

/*
 * The time record's (clock, guest TSC) pair.  The VMM reads each with a
 * system call a host scheduler may preempt in between, which would put
 * this vCPU's clock off by the time lost.  So the clock is read on both
 * sides of the TSC, the tightest of PAIR_TRIES tries kept (its middle),
 * and the pair reused (the TSC is stable) until it is PAIR_MAX_AGE_NS
 * old.  A try whose TSC read failed counts for nothing; if all fail the
 * last good pair stays (pvxhv.h, guest_tsc).
 */
#define PAIR_TRIES	8
#define PAIR_MAX_AGE_NS	1000000000ull

static void time_pair(struct pvxhv *hv, struct pvxhv_vcpu *v, uint32_t vcpu, uint64_t now)
{
	uint64_t best = UINT64_MAX;

	if (v->pair_valid && !v->pair_stale && now - v->pair_ns < PAIR_MAX_AGE_NS)
		return;
	for (int i = 0; i < PAIR_TRIES && best; i++) {
		uint64_t t0 = OP(hv, clock_ns)(hv->opaque), t1, tsc;

		if (OP(hv, guest_tsc)(hv->opaque, vcpu, &tsc))
			continue;
		t1 = OP(hv, clock_ns)(hv->opaque);
		if (t1 >= t0 && t1 - t0 < best) {
			best = t1 - t0;
			v->pair_ns = t0 + best / 2;
			v->pair_tsc = tsc;
		}
	}
	if (best != UINT64_MAX) {
		v->pair_valid = true;
		v->pair_stale = false;
	}
}

/*
 * The time record now.  PVX_TIME_TSC_STABLE promises one (ns, TSC) pair
 * for every vCPU under STABLE_TIME, which the library's pair per vCPU is
 * not; before 1.2 it said only that the TSC is synchronised.
 */
static void time_want(struct pvxhv *hv, struct pvxhv_vcpu *v, uint32_t vcpu,
		      struct pvx_time_info *t)
{
	t->system_time = OP(hv, clock_ns)(hv->opaque);
	t->tsc_timestamp = 0;
	t->tsc_to_system_mul = 0;
	t->tsc_shift = 0;
	t->flags = 0;
	if (!hv->tsc_khz)
		return;
	time_pair(hv, v, vcpu, t->system_time);
	if (!v->pair_valid)
		return;
	t->system_time = v->pair_ns;
	t->tsc_timestamp = v->pair_tsc;
	t->tsc_to_system_mul = hv->tsc_mul;
	t->tsc_shift = hv->tsc_shift;
	if (!(hv->neg_features & PVX_FEATURE(STABLE_TIME)))
		t->flags = PVX_TIME_TSC_STABLE;
}

/*
 * Write what changed of the records the library keeps, and in full the
 * stale parts.  Nothing beyond the negotiated version's size: each 1.2
 * record needs a 1.2 feature.  The header changes only where it is made
 * stale (a page, a move of the time record, a negotiation), so it is
 * written only then.  With vcpu held (negotiated).
 */
void shared_page_refresh(struct pvxhv *hv, uint32_t vcpu)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	struct pvx_vcpu_shared header, *h = NULL;
	struct pvx_time_info t;
	bool ok = true;

	if (v->shared_gpa == PVX_GPA_NONE)
		return;
	if (v->stale & STALE_HEADER) {
		header.size = shared_size_in(hv->neg_version);
		header.vcpu_id = vcpu;
		header.flags = page_flags(hv, v);
		h = &header;
	}
	if (!keeps(hv, v, PVXHV_RECORD_TIME)) {
		if (h)
			ok &= write_header(hv, v, h);
	} else {
		time_want(hv, v, vcpu, &t);
		if (v->time_gpa == PVX_GPA_NONE) {
			ok &= write_time(hv, v, &t, h);
		} else {
			if (h)
				ok &= write_header(hv, v, h);
			ok &= write_time(hv, v, &t, NULL);
		}
	}
	if (keeps_steal_1_0(hv))
		ok &= write_steal(hv, v, 0);
	if (keeps(hv, v, PVXHV_RECORD_STEAL))
		ok &= write_steal_record(hv, v);
	/* The library never knows an EOI it may skip: PVX_EOI_SKIP stays clear. */
	if (keeps(hv, v, PVXHV_RECORD_EOI) && (v->stale & STALE_EOI))
		REC_PUT(hv, ok, page_rec(v), struct pvx_vcpu_shared, &v->shadow, eoi, 0);
	if (keeps(hv, v, PVXHV_RECORD_WALL_CLOCK) && (v->stale & STALE_WALL))
		ok &= write_wall_clock(hv, v);
	/* A failed write (the map changed) leaves every record to be written again. */
	v->stale = ok ? 0 : STALE_ALL;
}

/*
 * The page stops being vcpu's: clear its flags, so a guest still reading
 * it sees it is not maintained; under the time seqlock if the library
 * keeps the time record there.  Called while vcpu still owns the page, so
 * no other vCPU writes it meanwhile.
 */
void shared_page_invalidate(struct pvxhv *hv, uint32_t vcpu)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	const struct rec r = time_rec(v), page = page_rec(v);
	bool ok = true;

	if (!keeps(hv, v, PVXHV_RECORD_TIME) || v->time_gpa != PVX_GPA_NONE) {
		REC_PUT(hv, ok, page, struct pvx_vcpu_shared, &v->shadow, flags, 0);
	} else {
		REC_PUT(hv, ok, r, struct pvx_time_info, &v->shadow.time, version,
			v->shadow.time.version | 1);
		atomic_thread_fence(memory_order_release);
		REC_PUT(hv, ok, page, struct pvx_vcpu_shared, &v->shadow, flags, 0);
		atomic_thread_fence(memory_order_release);
		REC_PUT(hv, ok, r, struct pvx_time_info, &v->shadow.time, version,
			v->shadow.time.version + 1);
	}
	(void)ok;		/* the page is being left: nothing to write again */
}

/*
 * vcpu stopped running.  The steal record's byte is marked once until the
 * next enter, as KVM marks it, outside its seqlock: marked again, it
 * would drop a PVX_STEAL_FLUSH_TLB the guest added meanwhile.
 */
void shared_page_preempted(struct pvxhv *hv, uint32_t vcpu)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	const uint8_t mark = PVX_STEAL_PREEMPTED;

	if (v->shared_gpa == PVX_GPA_NONE)
		return;
	/* A failed write leaves the whole record to be written again. */
	if (keeps_steal_1_0(hv) && !write_steal(hv, v, 1))
		v->stale = STALE_ALL;
	if (keeps(hv, v, PVXHV_RECORD_STEAL) && !v->steal_marked) {
		pvxhv_test_store(hv->opaque, v->shared_gpa +
				 offsetof(struct pvx_vcpu_shared, steal.preempted), &mark, 1);
		__atomic_store_n(v->steal_preempted, mark, __ATOMIC_RELAXED);
		v->steal_marked = true;
	}
}

/*
 * vcpu is about to run: exchange the steal record's preempted byte for 0
 * (STEAL_RECORD is offered in region mode only, where the page is mapped)
 * and report the guest's flush request.  KVM's protocol: a guest that
 * set PVX_STEAL_FLUSH_TLB with its compare-and-exchange saw the vCPU
 * preempted and skipped interrupting it, so the flush is done here, or
 * its compare-and-exchange failed on the 0 and it interrupts the vCPU.
 */
int steal_record_take(struct pvxhv *hv, uint32_t vcpu)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	const uint8_t zero = 0;
	uint8_t was;

	if (v->shared_gpa == PVX_GPA_NONE || !keeps(hv, v, PVXHV_RECORD_STEAL))
		return 0;
	pvxhv_test_store(hv->opaque, v->shared_gpa +
			 offsetof(struct pvx_vcpu_shared, steal.preempted), &zero, 1);
	was = __atomic_exchange_n(v->steal_preempted, zero, __ATOMIC_SEQ_CST);
	v->steal_marked = false;
	return was & PVX_STEAL_FLUSH_TLB ? PVXHV_ENTER_FLUSH_TLB : 0;
}
