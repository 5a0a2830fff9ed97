/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpvxhv core: instance life cycle, CPUID leaves, guest memory access,
 * decode and dispatch, vCPU state from the VMM.  The shared page's
 * records: records.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#ifdef PVXHV_TEST_HOOKS
#include <stdio.h>
_Thread_local int pvxhv_test_locks_held;

void pvxhv_test_callback_under_lock(void)
{
	fprintf(stderr, "libpvxhv: a callback ran under an internal lock\n");
	abort();
}
#endif

/* The dispatch table, indexed by hypercall number, from PVX_HYPERCALLS. */
#define HC_ENTRY(since_, name_, nr_, nargs_, feature_, flags_, ...)	\
	[nr_] = { .name = #name_, .fn = hc_##name_, .since = since_,	\
		  .nargs = nargs_, .feature = feature_, .flags = flags_ },
static const struct hc_desc hc_table[] = {
	PVX_HYPERCALLS(HC_ENTRY)
};
#undef HC_ENTRY

#define HC_NARGS_OK(since, name, nr, nargs, ...) \
	_Static_assert(nargs <= PVX_HC_MAX_ARGS, "too many arguments: " #name);
PVX_HYPERCALLS(HC_NARGS_OK)
#undef HC_NARGS_OK

PVXHV_EXPORT const char *pvxhv_hypercall_name(uint64_t nr)
{
	if (nr < ARRAY_SIZE(hc_table) && hc_table[nr].name)
		return hc_table[nr].name;
	return "?";
}

PVXHV_EXPORT const char *pvxhv_error_name(int64_t err)
{
	switch (err) {
#define ERR_CASE(since, name, value, doc) case -(value): return &#name[4];	/* without "PVX_" */
	PVX_ERRORS(ERR_CASE)
#undef ERR_CASE
	case 0:
		return "OK";
	}
	return "?";
}

/* Guest memory ------------------------------------------------------------ */

/*
 * Region mode: the regions are sorted and do not overlap, so a range that
 * runs past the end of one region continues only in the next one.  Every
 * walk below is bounded by nr_regions.
 */
static inline const struct pvxhv_mem_region *region_at(const struct pvxhv *hv, uint64_t gpa)
{
	uint32_t lo = 0, hi = hv->nr_regions;

	while (lo < hi) {	/* first region starting above gpa */
		uint32_t mid = lo + (hi - lo) / 2;

		if (hv->regions[mid].gpa <= gpa)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* r->gpa + r->size - 1 does not wrap (checked at create). */
	return gpa - hv->regions[lo - 1].gpa < hv->regions[lo - 1].size ? &hv->regions[lo - 1] : NULL;
}

/*
 * Walk [gpa, gpa + len) (len >= 1, no wrap) through the regions, copying
 * each piece into in or out of out when given; false if some byte is not
 * in a region.  With neither it only checks.
 */
static bool regions_walk(const struct pvxhv *hv, uint64_t gpa, uint64_t len,
			 char *in, const char *out)
{
	const struct pvxhv_mem_region *r = region_at(hv, gpa), *end = hv->regions + hv->nr_regions;

	while (r) {
		uint64_t off = gpa - r->gpa, n = r->size - off < len ? r->size - off : len;

		if (in) {
			memcpy(in, (const char *)r->hva + off, n);
			in += n;
		}
		if (out) {
			memcpy((char *)r->hva + off, out, n);
			out += n;
		}
		len -= n;
		if (!len)
			return true;
		gpa += n;		/* = r->gpa + r->size: no wrap, the range does not */
		r = r + 1 < end && r[1].gpa == gpa ? r + 1 : NULL;
	}
	return false;
}

/*
 * The host address of [gpa, gpa + len) (len >= 1, no wrap) if it lies in
 * one region, as most ranges do; else NULL (regions_walk() decides).
 */
static void *region_span(const struct pvxhv *hv, uint64_t gpa, uint64_t len)
{
	const struct pvxhv_mem_region *r = region_at(hv, gpa);

	if (!r || len > r->size - (gpa - r->gpa))
		return NULL;
	return (char *)r->hva + (gpa - r->gpa);
}

void *host_address(const struct pvxhv *hv, uint64_t gpa, uint64_t len, size_t align)
{
	void *p = hv->regions ? region_span(hv, gpa, len) : NULL;

	return p && !((uintptr_t)p % align) ? p : NULL;
}

bool guest_range_is_ram(const struct pvxhv *hv, uint64_t gpa, uint64_t len)
{
	if (!len)
		return true;
	if (gpa + len - 1 < gpa)		/* wraps */
		return false;
	if (!hv->regions)			/* accessor mode: the VMM decides */
		return OP(hv, guest_ram)(hv->opaque, gpa, len);
	return regions_walk(hv, gpa, len, NULL, NULL);
}

/*
 * A guest structure, in the order of Documentation/abi/transport.rst:
 * wrap (EFAULT), alignment (EINVAL), page (EINVAL), RAM (EFAULT).
 */
int check_guest_struct(const struct pvxhv *hv, uint64_t gpa, uint64_t len, uint64_t align)
{
	if (len && gpa + len - 1 < gpa)
		return -PVX_EFAULT;
	if (gpa & (align - 1))
		return -PVX_EINVAL;
	if (len > PVX_PAGE_SIZE || (gpa & (PVX_PAGE_SIZE - 1)) + len > PVX_PAGE_SIZE)
		return -PVX_EINVAL;
	if (!guest_range_is_ram(hv, gpa, len))
		return -PVX_EFAULT;
	return 0;
}

/* All or nothing: nothing is copied unless every byte is RAM. */
int copy_from_guest(const struct pvxhv *hv, void *dst, const void __guest *src, size_t len)
{
	uint64_t gpa = gpa_of(src);
	const void *p;

	if (!len)
		return 0;
	if (gpa + len - 1 < gpa)
		return -PVX_EFAULT;
	if (!hv->regions) {
		if (OP(hv, read_guest)(hv->opaque, gpa, dst, len))
			return -PVX_EFAULT;
	} else if ((p = region_span(hv, gpa, len))) {
		memcpy(dst, p, len);
	} else {
		if (!regions_walk(hv, gpa, len, NULL, NULL))
			return -PVX_EFAULT;
		regions_walk(hv, gpa, len, dst, NULL);
	}
	pvxhv_test_fetch(hv->opaque, gpa, dst, len);
	return 0;
}

int copy_to_guest(const struct pvxhv *hv, void __guest *dst, const void *src, size_t len)
{
	uint64_t gpa = gpa_of(dst);
	void *p;

	if (!len)
		return 0;
	if (gpa + len - 1 < gpa)
		return -PVX_EFAULT;
	pvxhv_test_store(hv->opaque, gpa, src, len);
	if (!hv->regions)
		return OP(hv, write_guest)(hv->opaque, gpa, src, len) ? -PVX_EFAULT : 0;
	if ((p = region_span(hv, gpa, len))) {
		memcpy(p, src, len);
		return 0;
	}
	if (!regions_walk(hv, gpa, len, NULL, NULL))
		return -PVX_EFAULT;
	regions_walk(hv, gpa, len, NULL, src);
	return 0;
}

/* Life cycle -------------------------------------------------------------- */

/*
 * pvclock's scale, as KVM computes it: ns = (tsc_delta << shift) * mul >> 32
 * with a 64 x 32-bit product of 96 bits (<pvx/shared.h>).
 */
static void time_scale(uint64_t scaled_hz, uint64_t base_hz, int8_t *pshift, uint32_t *pmul)
{
	uint64_t tps64 = base_hz, scaled64 = scaled_hz;
	uint32_t tps32;
	int shift = 0;

	while (tps64 > scaled64 * 2 || (tps64 & 0xffffffff00000000ull)) {
		tps64 >>= 1;
		shift--;
	}
	tps32 = (uint32_t)tps64;
	while (tps32 <= scaled64 || (scaled64 & 0xffffffff00000000ull)) {
		if ((scaled64 & 0xffffffff00000000ull) || (tps32 & 0x80000000u))
			scaled64 >>= 1;
		else
			tps32 <<= 1;
		shift++;
	}
	*pshift = (int8_t)shift;
	*pmul = (uint32_t)((scaled64 << 32) / tps32);
}

static uint64_t possible_features(const struct pvxhv_config *cfg)
{
	const struct pvxhv_ops *ops = cfg->ops;
	uint64_t f = PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(STEAL_TIME) |
		     PVX_FEATURE(MULTICALL) | PVX_FEATURE(STABLE_TIME) |
		     PVX_FEATURE(PV_EOI) | PVX_FEATURE(SOFT_RESET);

	if (ops->flush_tlb || ops->flush_tlb_many)
		f |= PVX_FEATURE(FLUSH_TLB);
	if (ops->console)
		f |= PVX_FEATURE(CONSOLE);
	if (ops->set_timer && ops->inject)
		f |= PVX_FEATURE(TIMER);
	if (ops->inject)
		f |= PVX_FEATURE(PV_IPI);
	/* Its preempted byte is exchanged in place: guest RAM the library maps. */
	if (cfg->nr_regions)
		f |= PVX_FEATURE(STEAL_RECORD);
	if (ops->realtime_ns)
		f |= PVX_FEATURE(WALL_CLOCK);
	return f;
}

/* Sort the copied regions by gpa (at most PVXHV_MAX_REGIONS) and refuse overlaps. */
static bool regions_sort(struct pvxhv_mem_region *r, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		struct pvxhv_mem_region x = r[i];
		uint32_t j = i;

		for (; j && r[j - 1].gpa > x.gpa; j--)
			r[j] = r[j - 1];
		r[j] = x;
	}
	for (uint32_t i = 1; i < n; i++)
		if (r[i].gpa - r[i - 1].gpa < r[i - 1].size)	/* starts inside the previous one */
			return false;
	return true;
}

/* A map of n >= 1 regions, each checked on its own (overlaps: regions_sort). */
static bool regions_ok(const struct pvxhv_mem_region *regions, uint32_t n)
{
	if (!regions || !n || n > PVXHV_MAX_REGIONS)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		const struct pvxhv_mem_region *r = &regions[i];

		/* The last byte must not wrap: ending at 2^64 is fine. */
		if (!r->hva || !r->size || r->gpa + r->size - 1 < r->gpa)
			return false;
	}
	return true;
}

/*
 * The library's sorted copy of a map, or NULL with errno EINVAL (a bad
 * map) or ENOMEM.  Checks all of the map: pvxhv_create() and
 * pvxhv_set_regions() take a map only through here.
 */
static struct pvxhv_mem_region *regions_copy(const struct pvxhv_mem_region *regions, uint32_t n)
{
	struct pvxhv_mem_region *r;

	if (!regions_ok(regions, n)) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(n, sizeof(*r));
	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(r, regions, n * sizeof(*r));
	if (!regions_sort(r, n)) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	return r;
}

static bool config_ok(const struct pvxhv_config *cfg)
{
	const struct pvxhv_ops *ops = cfg->ops;
	uint32_t version = cfg->abi_version ? cfg->abi_version : PVX_ABI_VERSION_LATEST;

	if (!ops || !ops->clock_ns || !ops->block || !ops->kick || !ops->shutdown)
		return false;
	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > PVX_MAX_VCPUS)
		return false;
	if (PVX_ABI_MAJOR(version) != PVX_ABI_VERSION_MAJOR || version > PVX_ABI_VERSION_LATEST)
		return false;
	switch (cfg->transport) {
	case PVX_TRANSPORT_IOPORT:
	case PVX_TRANSPORT_VMCALL:
	case PVX_TRANSPORT_VMMCALL:
		break;
	default:
		return false;
	}
	/* a port no guest may use (Documentation/abi/discovery.rst) */
	if (cfg->transport == PVX_TRANSPORT_IOPORT &&
	    (cfg->io_port < PVX_IOPORT_MIN || cfg->io_port > PVX_IOPORT_MAX))
		return false;
	if (cfg->cpuid_base && (cfg->cpuid_base < PVX_CPUID_SCAN_FIRST ||
				cfg->cpuid_base > PVX_CPUID_SCAN_LAST ||
				cfg->cpuid_base % PVX_CPUID_SCAN_STEP))
		return false;
	if (cfg->tsc_khz > 100000000u)		/* 100 GHz */
		return false;
	if (cfg->nr_regions) {
		if (!regions_ok(cfg->regions, cfg->nr_regions))
			return false;
	} else if (!ops->guest_ram || !ops->read_guest || !ops->write_guest) {
		return false;
	}
	return true;
}

PVXHV_EXPORT struct pvxhv *pvxhv_create(const struct pvxhv_config *cfg)
{
	struct pvxhv *hv;
	size_t size;

	if (!cfg || !config_ok(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	/* vcpus[] is cache-line aligned: so is the instance, its size a multiple of it. */
	size = offsetof(struct pvxhv, vcpus) + cfg->nr_vcpus * sizeof(struct pvxhv_vcpu);
	size = (size + alignof(struct pvxhv) - 1) / alignof(struct pvxhv) * alignof(struct pvxhv);
	hv = aligned_alloc(alignof(struct pvxhv), size);
	if (!hv)
		return NULL;
	memset(hv, 0, size);
	if (cfg->nr_regions) {
		hv->regions = regions_copy(cfg->regions, cfg->nr_regions);
		if (!hv->regions) {
			free(hv);
			return NULL;
		}
		hv->nr_regions = cfg->nr_regions;
	}
	if (pthread_mutex_init(&hv->reg_lock, NULL)) {
		free(hv->regions);
		free(hv);
		errno = ENOMEM;
		return NULL;
	}
	hv->ops = *cfg->ops;
	hv->opaque = cfg->opaque;
	hv->nr_vcpus = cfg->nr_vcpus;
	hv->transport = cfg->transport;
	hv->io_port = cfg->io_port;
	hv->cpuid_base = cfg->cpuid_base ? cfg->cpuid_base : PVX_CPUID_SCAN_FIRST;
	hv->version = cfg->abi_version ? cfg->abi_version : PVX_ABI_VERSION_LATEST;
	hv->features = cfg->features & possible_features(cfg) & pvx_features_known_in(hv->version);
	hv->tsc_khz = (hv->ops.guest_tsc) ? cfg->tsc_khz : 0;
	if (hv->tsc_khz)
		time_scale(NSEC_PER_SEC, hv->tsc_khz * 1000ull, &hv->tsc_shift, &hv->tsc_mul);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++)		/* ops->records told nothing yet */
		for (int r = 0; r < PVXHV_NR_RECORDS; r++)
			hv->vcpus[i].told[r] = PVX_GPA_NONE;
	pvxhv_reset(hv);
	return hv;
}

PVXHV_EXPORT void pvxhv_destroy(struct pvxhv *hv)
{
	if (!hv)
		return;
	pthread_mutex_destroy(&hv->reg_lock);
	free(hv->regions);
	free(hv);
}

/*
 * No vCPU call runs (pvxhv.h): the "own" fields are ours.  Any-time calls
 * may race: they only touch atomics (kicks, timer_vector, neg_state).
 * neg_version and neg_features are left alone: they are read only in
 * state DONE, which a racing pvxhv_negotiated() may still have seen.
 * The delegation is configuration: it stays.
 */
PVXHV_EXPORT void pvxhv_reset(struct pvxhv *hv)
{
	atomic_store(&hv->neg_state, NEG_NONE);
	hv_lock(&hv->reg_lock);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++) {
		struct pvxhv_vcpu *v = &hv->vcpus[i];

		atomic_store(&v->preempted, 0);
		atomic_store(&v->flush_pending, 0);
		atomic_store(&v->kicks_seen, atomic_load(&v->kicks));	/* forget pending kicks */
		atomic_store(&v->timer_vector, 0);
		records_forget(hv, i);
		v->pair_valid = false;		/* the guest's TSC may be reset too */
		v->steal_ns = 0;
	}
	hv_unlock(&hv->reg_lock);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++)
		records_tell(hv, i, false);
}

/*
 * No vCPU call runs (pvxhv.h), so the map and the own fields are ours;
 * any-time calls do not look at either.  The new map is checked and copied
 * before anything changes.
 */
PVXHV_EXPORT int pvxhv_set_regions(struct pvxhv *hv, const struct pvxhv_mem_region *regions,
				   uint32_t nr)
{
	struct pvxhv_mem_region *r, *old;

	if (!hv || !hv->regions) {
		errno = EINVAL;
		return -1;
	}
	r = regions_copy(regions, nr);
	if (!r)
		return -1;
	old = hv->regions;
	hv->regions = r;
	hv->nr_regions = nr;
	free(old);
	hv_lock(&hv->reg_lock);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++) {
		uint64_t gpa = hv->vcpus[i].shared_gpa, time = hv->vcpus[i].time_gpa;

		if (gpa == PVX_GPA_NONE)
			continue;
		/*
		 * Still RAM, with a moved time record that still is: written
		 * through the new map; else dropped, both, unwritten.
		 */
		if (!guest_range_is_ram(hv, gpa, PVX_PAGE_SIZE) ||
		    (time != PVX_GPA_NONE && !guest_range_is_ram(hv, time, PVX_TIME_RECORD_ALIGN)))
			gpa = PVX_GPA_NONE;
		shared_page_attach(hv, i, gpa);
		if (gpa != PVX_GPA_NONE)
			time_record_attach(hv, i, time);
	}
	hv_unlock(&hv->reg_lock);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++)
		records_tell(hv, i, false);
	return 0;
}

PVXHV_EXPORT bool pvxhv_negotiated(const struct pvxhv *hv, uint32_t *version, uint64_t *features)
{
	if (!negotiated(hv))
		return false;
	if (version)
		*version = hv->neg_version;
	if (features)
		*features = hv->neg_features;
	return true;
}

PVXHV_EXPORT uint64_t pvxhv_features(const struct pvxhv *hv)
{
	return hv->features;
}

PVXHV_EXPORT bool pvxhv_cpuid(const struct pvxhv *hv, uint32_t leaf, uint32_t out[4])
{
	if (leaf < hv->cpuid_base || leaf - hv->cpuid_base > PVX_CPUID_LEAF_TRANSPORT)
		return false;
	switch (leaf - hv->cpuid_base) {
	case PVX_CPUID_LEAF_SIGNATURE:
		out[0] = hv->cpuid_base + PVX_CPUID_LEAF_TRANSPORT;
		out[1] = PVX_CPUID_SIGNATURE_EBX;
		out[2] = PVX_CPUID_SIGNATURE_ECX;
		out[3] = PVX_CPUID_SIGNATURE_EDX;
		break;
	case PVX_CPUID_LEAF_VERSION:
		out[0] = hv->version;
		out[1] = (uint32_t)hv->features;
		out[2] = (uint32_t)(hv->features >> 32);
		out[3] = hv->nr_vcpus;
		break;
	case PVX_CPUID_LEAF_TRANSPORT:
		out[0] = hv->transport;
		out[1] = hv->transport == PVX_TRANSPORT_IOPORT ? hv->io_port : 0;
		out[2] = 0;
		out[3] = 0;
		break;
	}
	return true;
}

/* Decode and dispatch ----------------------------------------------------- */

/*
 * The checks every hypercall passes, in this order (Documentation/abi/
 * transport.rst): number known in the version this host serves (ENOSYS),
 * batchable when batched (ELOOP), negotiated (EPERM), in the negotiated
 * version (ENOSYS), feature negotiated (EOPNOTSUPP), unused argument
 * registers zero (EINVAL); then the call's own checks (PVX_HYPERCALLS).
 */
int64_t hv_dispatch(struct pvxhv *hv, uint32_t vcpu, uint64_t nr,
		       const uint64_t args[HC_ARGS], bool batched)
{
	const struct hc_desc *d;
	uint32_t version;
	uint64_t features;

	pvxhv_test_dispatch(hv->opaque, nr);
	if (nr >= ARRAY_SIZE(hc_table) || !hc_table[nr].fn || hc_table[nr].since > hv->version)
		return -PVX_ENOSYS;
	d = &hc_table[nr];
	if (batched && !(d->flags & PVX_HCF_BATCH))
		return -PVX_ELOOP;
	if (nr != PVX_HC_negotiate) {
		if (!negotiated(hv))
			return -PVX_EPERM;
		version = hv->neg_version;
		features = hv->neg_features;
		if (d->since > version)
			return -PVX_ENOSYS;
		if (d->feature & ~features)
			return -PVX_EOPNOTSUPP;
	}
	for (uint32_t i = d->nargs; i < PVX_HC_MAX_ARGS; i++)
		if (args[i])
			return -PVX_EINVAL;
	return d->fn(hv, vcpu, args);
}

/* rbx, rcx, rsi, rdi, r8, rflags lie in struct pvxhv_regs as in args[]. */
#define REG_AT(reg, i)	(offsetof(struct pvxhv_regs, reg) == offsetof(struct pvxhv_regs, rbx) + (i) * 8)
_Static_assert(PVX_HC_MAX_ARGS == 5 && REG_AT(rcx, 1) && REG_AT(rsi, 2) && REG_AT(rdi, 3) &&
	       REG_AT(r8, 4) && REG_AT(rflags, HC_ARG_RFLAGS), "struct pvxhv_regs is not args[]");
#undef REG_AT

PVXHV_EXPORT int64_t pvxhv_hypercall(struct pvxhv *hv, uint32_t vcpu, struct pvxhv_regs *regs)
{
	uint64_t args[HC_ARGS];
	int64_t ret;

	if (!hv || !regs || vcpu >= hv->nr_vcpus)
		return -PVX_ESRCH;
	memcpy(args, (const char *)regs + offsetof(struct pvxhv_regs, rbx), sizeof(args));
	ret = hv_dispatch(hv, vcpu, regs->rax, args, false);
	regs->rax = (uint64_t)ret;
	return ret;
}

/* Deferred TLB flushes ------------------------------------------------------ */

/*
 * A flush of a preempted vCPU is deferred to its next pvxhv_vcpu_enter().
 * Two flags per vCPU and two sides, each of which writes its own flag and
 * then reads the other's (Dekker's protocol, sequentially consistent):
 *
 *	schedule in (pvxhv_vcpu_enter)		flush (flush_or_defer)
 *	  publish preempted = 0,		  publish flush_pending = 1,
 *	  then take flush_pending		  then read preempted: 1 defers
 *
 * At least one side sees the other's write, so either the vCPU takes the
 * flush before it runs, or the flusher sees it running and flushes it
 * through ops->flush_tlb (flush_now(), before the hypercall returns).  Read before publishing, on either side, and
 * both can miss: the vCPU runs guest code with stale translations while
 * the guest was told its flush was deferred.  So neither side writes the
 * two steps itself: both go through publish_then_read(), which holds the
 * order in one place.  The test point between the steps lets
 * tests/host/test-unit.c (enter_flush_order, flush_enter_order) run the
 * other side there; they fail if the steps are swapped.
 */
static unsigned int publish_then_read(struct pvxhv *hv, int point, uint32_t vcpu,
				      atomic_uint *mine, unsigned int value,
				      atomic_uint *theirs, bool take)
{
	atomic_store(mine, value);			/* 1. publish mine */
	pvxhv_test_point(hv->opaque, point, vcpu);
	return take ? atomic_exchange(theirs, 0)	/* 2. then read theirs */
		    : atomic_load(theirs);
}

bool flush_defer(struct pvxhv *hv, uint32_t target)
{
	struct pvxhv_vcpu *t = &hv->vcpus[target];

	/*
	 * Running: flush it now.  flush_pending is not set, so its next entry
	 * does not flush again (ops->flush_tlb covers it even if it is
	 * descheduled meanwhile).
	 */
	if (!atomic_load(&t->preempted))
		return false;
	/*
	 * Scheduled in meanwhile (preempted reads 0): it may or may not have
	 * taken the flag, so flush it now; if it did not take the flag it
	 * flushes once more on its next entry (the one redundant flush
	 * pvxhv.h mentions).
	 */
	return publish_then_read(hv, PVXHV_TP_FLUSH_STEP, target,
				 &t->flush_pending, 1, &t->preempted, false);
}

/* The targets flush_defer() left running, in one call if the VMM batches. */
void flush_now(struct pvxhv *hv, const uint32_t *targets, uint32_t n)
{
	if (!n)
		return;
	if (hv->ops.flush_tlb_many) {
		OP(hv, flush_tlb_many)(hv->opaque, targets, n);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		OP(hv, flush_tlb)(hv->opaque, targets[i]);
}

/* vCPU state from the VMM -------------------------------------------------- */

PVXHV_EXPORT int pvxhv_vcpu_enter(struct pvxhv *hv, uint32_t vcpu, uint64_t steal_ns)
{
	struct pvxhv_vcpu *v;
	int flags = 0;

	if (!hv || vcpu >= hv->nr_vcpus)
		return -PVX_ESRCH;
	v = &hv->vcpus[vcpu];
	v->steal_ns = steal_ns;
	/* Running from now on, then take what was deferred (see publish_then_read). */
	if (publish_then_read(hv, PVXHV_TP_ENTER_STEP, vcpu,
			      &v->preempted, 0, &v->flush_pending, true))
		flags |= PVXHV_ENTER_FLUSH_TLB;
	if (vcpu_hold(hv, vcpu)) {
		flags |= steal_record_take(hv, vcpu);
		shared_page_refresh(hv, vcpu);
	}
	vcpu_release(hv, vcpu);
	return flags;
}

PVXHV_EXPORT int pvxhv_vcpu_preempt(struct pvxhv *hv, uint32_t vcpu)
{
	if (!hv || vcpu >= hv->nr_vcpus)
		return -PVX_ESRCH;
	atomic_store(&hv->vcpus[vcpu].preempted, 1);
	if (vcpu_hold(hv, vcpu))
		shared_page_preempted(hv, vcpu);
	vcpu_release(hv, vcpu);
	return 0;
}

/*
 * A life-cycle call: no vCPU call runs.  The records it keeps now are
 * written in full at vcpu's next refresh; ops->records hears where those
 * it delegates now lie.
 */
PVXHV_EXPORT int pvxhv_vcpu_delegate(struct pvxhv *hv, uint32_t vcpu, uint32_t records)
{
	if (!hv || vcpu >= hv->nr_vcpus)
		return -PVX_ESRCH;
	if (records >> PVXHV_NR_RECORDS || (records && !hv->ops.records))
		return -PVX_EINVAL;
	hv->vcpus[vcpu].delegated = records;
	hv->vcpus[vcpu].stale = STALE_ALL;
	records_tell(hv, vcpu, false);
	return 0;
}

PVXHV_EXPORT int pvxhv_timer_expired(struct pvxhv *hv, uint32_t vcpu)
{
	unsigned int vector;

	if (!hv || vcpu >= hv->nr_vcpus)
		return -PVX_ESRCH;
	vector = atomic_exchange(&hv->vcpus[vcpu].timer_vector, 0);
	if (!vector || !hv->ops.inject)
		return 0;
	OP(hv, inject)(hv->opaque, vcpu, (uint8_t)vector);
	return 1;
}

/* Kicks ---------------------------------------------------------------------- */

/*
 * kicks counts every kick of a vCPU; kicks_seen is how many blocks have
 * consumed.  Recorded first, then ops->kick: a VMM that checks
 * pvxhv_kicked() after arming what ops->kick signals cannot miss one.
 */
PVXHV_EXPORT int pvxhv_kick(struct pvxhv *hv, uint32_t vcpu)
{
	if (!hv || vcpu >= hv->nr_vcpus)
		return -PVX_ESRCH;
	atomic_fetch_add(&hv->vcpus[vcpu].kicks, 1);
	OP(hv, kick)(hv->opaque, vcpu);
	return 0;
}

PVXHV_EXPORT bool pvxhv_kicked(struct pvxhv *hv, uint32_t vcpu, uint64_t token)
{
	uint64_t k;

	if (!hv || vcpu >= hv->nr_vcpus)
		return false;
	k = atomic_load(&hv->vcpus[vcpu].kicks);
	if (k == token)
		return false;
	atomic_store(&hv->vcpus[vcpu].kicks_seen, k);	/* consumed by this block */
	return true;
}
