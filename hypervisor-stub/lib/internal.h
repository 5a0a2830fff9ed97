/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpvxhv internals: instance state, guest-memory access, the dispatch
 * table type.  Not installed.
 */
#ifndef PVXHV_INTERNAL_H
#define PVXHV_INTERNAL_H

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include <pvxhv.h>

/* The library is built with -fvisibility=hidden; the API is exported. */
#define PVXHV_EXPORT	__attribute__((visibility("default")))

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC	1000000000ull

/*
 * Guest addresses.  A guest-physical address is carried as a pointer into
 * the __guest address space: sparse (make check-host) refuses to
 * dereference it or to turn it into a host pointer without __force, and
 * the only ways to touch what it names are copy_from_guest() and
 * copy_to_guest(), which validate the range and copy.
 */
#ifdef __CHECKER__
#define __guest		__attribute__((noderef, address_space(__guest)))
#define __force		__attribute__((force))
#else
#define __guest
#define __force
#endif

_Static_assert(sizeof(uintptr_t) == sizeof(uint64_t), "guest addresses need 64-bit host pointers");

static inline void __guest *gpa_ptr(uint64_t gpa)
{
	return (void __guest *)(uintptr_t)gpa;
}

static inline uint64_t gpa_of(const void __guest *p)
{
	return (uint64_t)(__force uintptr_t)p;
}

/*
 * Per-vCPU state, a cache line of its own (other vCPUs write kicks,
 * preempted and flush_pending).  Fields marked "own" are touched only by
 * that vCPU's calls (those soft_reset forgets only while the vCPU holds
 * itself: vcpu_hold()), by the life-cycle calls, which run alone, and by
 * soft_reset, once no other vCPU holds itself.
 */
struct pvxhv_vcpu {
	alignas(64)
	atomic_uint	preempted;	/* VMM: not running on a physical CPU */
	atomic_uint	flush_pending;	/* flush_tlb deferred while preempted */
	atomic_ullong	kicks;		/* kicks recorded so far (pvxhv_kick) */
	atomic_ullong	kicks_seen;	/* own: kicks consumed by blocks */
	atomic_uint	timer_vector;	/* armed one-shot timer's vector, 0: none */
	atomic_uint	held;		/* vcpu_hold(): a call works on state soft_reset forgets */
	uint64_t	shared_gpa;	/* registered page or PVX_GPA_NONE: written by
					   own calls under reg_lock (shared_page_attach()
					   only), read by them freely and by other vCPUs
					   under reg_lock */
	uint64_t	shared_claim;	/* under reg_lock: page being switched to */
	/*
	 * own: the record at shared_gpa in host memory (region mode, the
	 * record in one region, aligned), else NULL: written through
	 * copy_to_guest().  Set with shared_gpa, by shared_page_attach().
	 */
	struct pvx_vcpu_shared *shared_host;
	/* own: the steal record's preempted byte in host memory (region mode). */
	uint8_t		*steal_preempted;
	/* own: set_time_record's time record, PVX_GPA_NONE while in the page. */
	uint64_t	time_gpa;
	struct pvx_time_info *time_host;	/* own: as shared_host, for time_gpa */
	/*
	 * own: the records as last written (the time record wherever it is),
	 * their seqlock versions the last values written (they continue on
	 * the next page); a refresh writes only the fields that differ, and
	 * every field of the parts in stale (STALE_*: a new page, a failed
	 * write).
	 */
	struct pvx_vcpu_shared shadow;
	uint32_t	stale;
	bool		steal_marked;	/* own: PVX_STEAL_PREEMPTED written since the last enter */
	bool		pair_valid;	/* own: pair_ns/pair_tsc are a good reading */
	bool		pair_stale;	/* own: read them again at the next refresh */
	uint64_t	pair_ns;	/* own: the time record's clock ... */
	uint64_t	pair_tsc;	/* own: ... and guest TSC, read together */
	uint64_t	steal_ns;	/* own: from the last pvxhv_vcpu_enter() */
	uint32_t	delegated;	/* PVXHV_RECORD() mask: pvxhv_vcpu_delegate() */
	uint64_t	told[PVXHV_NR_RECORDS];	/* own: the GPAs ops->records last got */
};

/* Parts of the shared records (pvxhv_vcpu.stale). */
enum {
	STALE_TIME	= 0x01,		/* the time record, with the header in the page */
	STALE_HEADER	= 0x02,		/* size, vcpu_id, flags */
	STALE_STEAL	= 0x04,		/* 1.0: steal_version, steal_ns, preempted */
	STALE_STEAL_REC	= 0x08,		/* 1.2: the steal record */
	STALE_EOI	= 0x10,
	STALE_WALL	= 0x20,
	STALE_ALL	= 0x3f,
};

/* Negotiation states (neg_state). */
enum { NEG_NONE, NEG_BUSY, NEG_DONE };

struct pvxhv {
	struct pvxhv_ops	ops;
	void			*opaque;
	uint32_t		nr_vcpus;
	uint32_t		transport;
	uint16_t		io_port;
	uint32_t		cpuid_base;
	uint32_t		version;	/* ABI version served */
	uint64_t		features;	/* offered */
	uint32_t		tsc_khz;
	uint32_t		tsc_mul;
	int8_t			tsc_shift;

	/* Sorted by gpa, none overlapping (checked at create and set_regions). */
	struct pvxhv_mem_region	*regions;
	uint32_t		nr_regions;

	/*
	 * Negotiation, without a lock: one negotiate moves NONE -> BUSY, writes
	 * the guest's struct back (a callback in accessor mode), stores
	 * neg_version/neg_features and publishes DONE (release); any other
	 * negotiate meanwhile sees BUSY or DONE and returns EALREADY.
	 */
	atomic_uint		neg_state;
	uint32_t		neg_version;
	uint64_t		neg_features;

	/* Shared-page ownership (shared_gpa, shared_claim); no callback under it. */
	pthread_mutex_t		reg_lock;

	struct pvxhv_vcpu	vcpus[];
};

/* DONE: neg_version and neg_features may be read (pvxhv_negotiated() inline). */
static inline bool negotiated(const struct pvxhv *hv)
{
	return atomic_load_explicit(&hv->neg_state, memory_order_acquire) == NEG_DONE;
}

/*
 * Every callback is called through OP(): OP(hv, kick)(hv->opaque, vcpu).
 * Callbacks never run under an internal lock (pvxhv.h); test builds count
 * the locks a thread holds and stop at a callback made under one.
 */
#ifdef PVXHV_TEST_HOOKS
extern _Thread_local int pvxhv_test_locks_held;
void pvxhv_test_callback_under_lock(void);
#define OP(hv, op)	((pvxhv_test_locks_held ? pvxhv_test_callback_under_lock() : (void)0), \
			 (hv)->ops.op)
static inline void hv_lock(pthread_mutex_t *m)	{ pthread_mutex_lock(m); pvxhv_test_locks_held++; }
static inline void hv_unlock(pthread_mutex_t *m) { pvxhv_test_locks_held--; pthread_mutex_unlock(m); }
#else
#define OP(hv, op)	((hv)->ops.op)
static inline void hv_lock(pthread_mutex_t *m)	{ pthread_mutex_lock(m); }
static inline void hv_unlock(pthread_mutex_t *m) { pthread_mutex_unlock(m); }
#endif

/* Guest memory: 0 or -PVX_EFAULT.  len may be 0. */
int copy_from_guest(const struct pvxhv *hv, void *dst, const void __guest *src, size_t len);
int copy_to_guest(const struct pvxhv *hv, void __guest *dst, const void *src, size_t len);
/* Validate [gpa, gpa+len) as a guest struct: 0, -PVX_EINVAL or -PVX_EFAULT. */
int check_guest_struct(const struct pvxhv *hv, uint64_t gpa, uint64_t len, uint64_t align);
/* Whether [gpa, gpa+len) is guest RAM (no wrap). */
bool guest_range_is_ram(const struct pvxhv *hv, uint64_t gpa, uint64_t len);

/*
 * The host address of [gpa, gpa + len) if it lies in one region and is
 * aligned to align, else NULL (always in accessor mode).
 */
void *host_address(const struct pvxhv *hv, uint64_t gpa, uint64_t len, size_t align);

/* sizeof(struct s) in ABI version, from its field list (<pvx/layout.h>). */
#define LAYOUT_END_IN(since, s, f, off, sz)					\
	if (PVX_ABI_MAJOR(since) == PVX_ABI_MAJOR(version) && (since) <= version &&	\
	    (off) + (sz) > size)						\
		size = (off) + (sz);
static inline uint32_t negotiate_size_in(uint32_t version)
{
	uint32_t size = 0;

	PVX_LAYOUT_pvx_negotiate(LAYOUT_END_IN)
	return size;
}

static inline uint32_t shared_size_in(uint32_t version)
{
	uint32_t size = 0;

	PVX_LAYOUT_pvx_vcpu_shared(LAYOUT_END_IN)
	return size;
}

/*
 * soft_reset against the other vCPUs' calls (records.c).  A vCPU call
 * holds its vCPU while it changes what soft_reset forgets; vcpu_hold()
 * returns whether the guest is negotiated, and a call that finds it is
 * not acts as one that came after the reset.  Always vcpu_release().
 */
bool vcpu_hold(struct pvxhv *hv, uint32_t vcpu);
void vcpu_release(struct pvxhv *hv, uint32_t vcpu);
/* soft_reset: wait until no vCPU but vcpu holds itself. */
void vcpus_wait_released(struct pvxhv *hv, uint32_t vcpu);

/* The shared page and its records (records.c). */
void shared_page_attach(struct pvxhv *hv, uint32_t vcpu, uint64_t gpa);
void time_record_attach(struct pvxhv *hv, uint32_t vcpu, uint64_t gpa);
void records_forget(struct pvxhv *hv, uint32_t vcpu);
void shared_page_refresh(struct pvxhv *hv, uint32_t vcpu);
void shared_page_preempted(struct pvxhv *hv, uint32_t vcpu);
int steal_record_take(struct pvxhv *hv, uint32_t vcpu);
void shared_page_invalidate(struct pvxhv *hv, uint32_t vcpu);
void records_tell(struct pvxhv *hv, uint32_t vcpu, bool always);

/*
 * Deferred TLB flushes (pvxhv.c): defer target's flush (true), or false:
 * the caller flushes it now, through flush_now() before it returns.
 */
bool flush_defer(struct pvxhv *hv, uint32_t target);
void flush_now(struct pvxhv *hv, const uint32_t *targets, uint32_t n);

/*
 * Dispatch.  A handler's args[] holds the call's argument registers
 * (PVX_HC_MAX_ARGS), then at HC_ARG_RFLAGS the guest's RFLAGS at the
 * hypercall (a multicall's entries get the multicall's).
 */
#define HC_ARG_RFLAGS	PVX_HC_MAX_ARGS
#define HC_ARGS		(PVX_HC_MAX_ARGS + 1)
typedef int64_t hc_fn(struct pvxhv *hv, uint32_t vcpu, const uint64_t args[HC_ARGS]);

struct hc_desc {
	const char	*name;
	hc_fn		*fn;
	uint32_t	since;
	uint32_t	nargs;
	uint64_t	feature;
	uint32_t	flags;
};

int64_t hv_dispatch(struct pvxhv *hv, uint32_t vcpu, uint64_t nr,
		       const uint64_t args[HC_ARGS], bool batched);

/*
 * Test builds (-DPVXHV_TEST_HOOKS, the racing fuzzer) see every copy the
 * library takes of guest memory and every dispatch, to prove that no
 * guest byte is fetched twice for one decision.
 */
/*
 * Test points: between the two steps of each side of the flush protocol,
 * and of vcpu_hold() (soft_reset's other side).
 */
enum { PVXHV_TP_ENTER_STEP, PVXHV_TP_FLUSH_STEP, PVXHV_TP_HOLD_STEP };
#ifdef PVXHV_TEST_HOOKS
void pvxhv_test_fetch(void *opaque, uint64_t gpa, const void *copy, size_t len);
void pvxhv_test_store(void *opaque, uint64_t gpa, const void *src, size_t len);
void pvxhv_test_dispatch(void *opaque, uint64_t nr);
void pvxhv_test_point(void *opaque, int point, uint32_t vcpu);
#else
static inline void pvxhv_test_point(void *opaque, int point, uint32_t vcpu)
{
	(void)opaque; (void)point; (void)vcpu;
}
static inline void pvxhv_test_fetch(void *opaque, uint64_t gpa, const void *copy, size_t len)
{
	(void)opaque; (void)gpa; (void)copy; (void)len;
}
static inline void pvxhv_test_store(void *opaque, uint64_t gpa, const void *src, size_t len)
{
	(void)opaque; (void)gpa; (void)src; (void)len;
}
static inline void pvxhv_test_dispatch(void *opaque, uint64_t nr)
{
	(void)opaque; (void)nr;
}
#endif

#define HC_DECLARE(since, name, ...) hc_fn hc_##name;
PVX_HYPERCALLS(HC_DECLARE)
#undef HC_DECLARE

#endif /* PVXHV_INTERNAL_H */
