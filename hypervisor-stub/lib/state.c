/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpvxhv: save and restore (snapshots, live migration).  The blob's
 * layout is in state.h; pvxhv.h and Documentation/abi/implementers.rst
 * ("Save and restore") say how a VMM uses it.
 *
 * pvxhv_restore() parses and checks the whole blob into a temporary
 * first, and changes the instance only once every check passed: a
 * refused blob leaves the instance exactly as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "state.h"

uint32_t state_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = ~0u;

	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* One vCPU's saved state, parsed. */
struct saved_vcpu {
	uint64_t	shared_gpa;
	uint64_t	steal_ns;
	uint64_t	kicks;		/* pending */
	uint32_t	time_version;
	uint32_t	steal_version;
	uint32_t	timer_vector;
	uint32_t	flags;		/* STATE_VF_* */
	uint64_t	time_gpa;
	uint32_t	steal_rec_version;
	uint32_t	wall_version;
};

PVXHV_EXPORT int64_t pvxhv_save(const struct pvxhv *hv, void *buf, size_t len)
{
	uint8_t *b = buf;
	unsigned int neg;
	size_t size;

	if (!hv || (!buf && len))
		return -EINVAL;
	size = state_size(hv->nr_vcpus);
	if (len < size)
		return (int64_t)size;
	neg = atomic_load_explicit(&hv->neg_state, memory_order_acquire);
	if (neg == NEG_BUSY)		/* a negotiate runs: the vCPUs are not paused */
		return -EBUSY;

	memset(b, 0, size);
	STATE_PUT(b, 0, state_hdr, magic, STATE_MAGIC);
	STATE_PUT(b, 0, state_hdr, format, STATE_FORMAT);
	STATE_PUT(b, 0, state_hdr, length, size);
	STATE_PUT(b, 0, state_hdr, abi_version, hv->version);
	STATE_PUT(b, 0, state_hdr, nr_vcpus, hv->nr_vcpus);
	if (neg == NEG_DONE) {
		STATE_PUT(b, 0, state_hdr, negotiated, 1);
		STATE_PUT(b, 0, state_hdr, neg_version, hv->neg_version);
		STATE_PUT(b, 0, state_hdr, neg_features, hv->neg_features);
	}
	for (uint32_t i = 0; i < hv->nr_vcpus; i++) {
		const struct pvxhv_vcpu *v = &hv->vcpus[i];
		const size_t at = STATE_VCPU_AT(i);
		/* kicks_seen first: a racing kick only adds to what is pending. */
		uint64_t seen = atomic_load(&v->kicks_seen);
		uint32_t flags = 0;

		if (atomic_load(&v->preempted))
			flags |= STATE_VF_PREEMPTED;
		if (atomic_load(&v->flush_pending))
			flags |= STATE_VF_FLUSH_PENDING;
		if (v->steal_marked)
			flags |= STATE_VF_STEAL_MARKED;
		STATE_PUT(b, at, state_vcpu, shared_gpa, v->shared_gpa);
		STATE_PUT(b, at, state_vcpu, steal_ns, v->steal_ns);
		STATE_PUT(b, at, state_vcpu, kicks, atomic_load(&v->kicks) - seen);
		STATE_PUT(b, at, state_vcpu, time_version, v->shadow.time.version);
		STATE_PUT(b, at, state_vcpu, steal_version, v->shadow.steal_version);
		STATE_PUT(b, at, state_vcpu, timer_vector, atomic_load(&v->timer_vector));
		STATE_PUT(b, at, state_vcpu, flags, flags);
		STATE_PUT(b, at, state_vcpu, time_gpa, v->time_gpa);
		STATE_PUT(b, at, state_vcpu, steal_rec_version, v->shadow.steal.version);
		STATE_PUT(b, at, state_vcpu, wall_version, v->shadow.wall_clock.version);
	}
	state_put(b + size - STATE_CRC_SIZE, STATE_CRC_SIZE, state_crc32(b, size - STATE_CRC_SIZE));
	return (int64_t)size;
}

/*
 * The blob itself: magic, format, length, checksum, reserved fields, ABI
 * major, vCPU count.  0 or the error; *format and *nr_vcpus are the
 * blob's.
 */
static int check_envelope(const uint8_t *b, size_t len, uint32_t *format, uint32_t *nr_vcpus)
{
	const size_t length_end = offsetof(struct state_hdr, length) + STATE_WIDTH(state_hdr, length);

	if (len < (size_t)STATE_WIDTH(state_hdr, magic))
		return -EBADMSG;
	if (STATE_GET(b, 0, state_hdr, magic) != STATE_MAGIC)
		return -ENOMSG;
	if (len < length_end)
		return -EBADMSG;
	/* Magic, format and length mean the same in every format. */
	*format = (uint32_t)STATE_GET(b, 0, state_hdr, format);
	if (*format < 1 || *format > STATE_FORMAT)
		return -EPROTONOSUPPORT;
	if (STATE_GET(b, 0, state_hdr, length) != len || len < state_size_in(*format, 0))
		return -EBADMSG;
	if (state_get(b + len - STATE_CRC_SIZE, STATE_CRC_SIZE) != state_crc32(b, len - STATE_CRC_SIZE))
		return -EBADMSG;
	if (STATE_GET(b, 0, state_hdr, reserved0) || STATE_GET(b, 0, state_hdr, reserved1))
		return -EBADMSG;
	if (PVX_ABI_MAJOR(STATE_GET(b, 0, state_hdr, abi_version)) != PVX_ABI_VERSION_MAJOR)
		return -EPROTONOSUPPORT;
	*nr_vcpus = (uint32_t)STATE_GET(b, 0, state_hdr, nr_vcpus);
	if (*nr_vcpus < 1 || *nr_vcpus > PVX_MAX_VCPUS || len != state_size_in(*format, *nr_vcpus))
		return -EBADMSG;
	return 0;
}

/* A negotiation a guest could have made with the saving instance. */
static int parse_negotiation(const uint8_t *b, bool *negotiated, uint32_t *version,
			     uint64_t *features)
{
	const uint64_t neg = STATE_GET(b, 0, state_hdr, negotiated);
	const uint64_t served = STATE_GET(b, 0, state_hdr, abi_version);

	*version = (uint32_t)STATE_GET(b, 0, state_hdr, neg_version);
	*features = STATE_GET(b, 0, state_hdr, neg_features);
	if (neg > 1)
		return -EBADMSG;
	*negotiated = neg;
	if (!neg)
		return *version || *features ? -EBADMSG : 0;
	if (PVX_ABI_MAJOR(*version) != PVX_ABI_VERSION_MAJOR || *version > served ||
	    (*features & ~pvx_features_known_in(*version)))
		return -EBADMSG;
	return 0;
}

/* One vCPU record: fields in range and consistent with the negotiation. */
static int parse_vcpu(const uint8_t *b, uint32_t format, uint32_t i, bool negotiated,
		      uint64_t features, struct saved_vcpu *s)
{
	const size_t at = STATE_VCPU_AT_IN(format, i);

	s->shared_gpa = STATE_GET(b, at, state_vcpu, shared_gpa);
	s->steal_ns = STATE_GET(b, at, state_vcpu, steal_ns);
	s->kicks = STATE_GET(b, at, state_vcpu, kicks);
	s->time_version = (uint32_t)STATE_GET(b, at, state_vcpu, time_version);
	s->steal_version = (uint32_t)STATE_GET(b, at, state_vcpu, steal_version);
	s->timer_vector = (uint32_t)STATE_GET(b, at, state_vcpu, timer_vector);
	s->flags = (uint32_t)STATE_GET(b, at, state_vcpu, flags);
	s->time_gpa = PVX_GPA_NONE;
	s->steal_rec_version = s->wall_version = 0;
	if (format >= 2) {
		s->time_gpa = STATE_GET(b, at, state_vcpu, time_gpa);
		s->steal_rec_version = (uint32_t)STATE_GET(b, at, state_vcpu, steal_rec_version);
		s->wall_version = (uint32_t)STATE_GET(b, at, state_vcpu, wall_version);
	}

	if (s->flags & ~(format >= 2 ? STATE_VF_ALL : STATE_VF_ALL_1))
		return -EBADMSG;
	/* Seqlocks are even between calls, and saves happen between calls. */
	if ((s->time_version | s->steal_version | s->steal_rec_version | s->wall_version) & 1)
		return -EBADMSG;
	if (s->timer_vector && (s->timer_vector < PVX_VECTOR_MIN || s->timer_vector > 255))
		return -EBADMSG;
	/* Only hypercalls of negotiated features set these. */
	if (!negotiated)
		features = 0;
	if (s->shared_gpa != PVX_GPA_NONE && !(features & PVX_FEATURE(SHARED_PAGE)))
		return -EBADMSG;
	if (s->timer_vector && !(features & PVX_FEATURE(TIMER)))
		return -EBADMSG;
	if ((s->flags & STATE_VF_FLUSH_PENDING) && !(features & PVX_FEATURE(FLUSH_TLB)))
		return -EBADMSG;
	/* A moved time record belongs to a page; the mark, to a preempted vCPU's record. */
	if (s->time_gpa != PVX_GPA_NONE &&
	    (s->shared_gpa == PVX_GPA_NONE || !(features & PVX_FEATURE(STABLE_TIME))))
		return -EBADMSG;
	if ((s->flags & STATE_VF_STEAL_MARKED) &&
	    (s->shared_gpa == PVX_GPA_NONE || !(features & PVX_FEATURE(STEAL_RECORD)) ||
	     !(s->flags & STATE_VF_PREEMPTED)))
		return -EBADMSG;
	return 0;
}

/* Each page has one owner (the ABI's rule). */
static int check_owners(const struct saved_vcpu *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		for (uint32_t j = i + 1; j < n && s[i].shared_gpa != PVX_GPA_NONE; j++)
			if (s[i].shared_gpa == s[j].shared_gpa)
				return -EBADMSG;
	return 0;
}

/*
 * The blob is one a library saved; does it fit this instance?  The pages
 * and the moved time records are checked as register_shared_page and
 * set_time_record check them (in accessor mode guest_ram() runs here: no
 * lock is held).
 */
static int check_fits(const struct pvxhv *hv, uint32_t nr_vcpus, bool negotiated,
		      uint32_t version, uint64_t features, const struct saved_vcpu *s)
{
	if (nr_vcpus != hv->nr_vcpus)
		return -ERANGE;
	if (negotiated && (version > hv->version || (features & ~hv->features)))
		return -EOPNOTSUPP;
	for (uint32_t i = 0; i < nr_vcpus; i++) {
		if (s[i].shared_gpa != PVX_GPA_NONE &&
		    check_guest_struct(hv, s[i].shared_gpa, PVX_PAGE_SIZE, PVX_PAGE_SIZE))
			return -EFAULT;
		if (s[i].time_gpa != PVX_GPA_NONE &&
		    check_guest_struct(hv, s[i].time_gpa, PVX_TIME_RECORD_ALIGN, PVX_TIME_RECORD_ALIGN))
			return -EFAULT;
	}
	return 0;
}

/*
 * Commit: as pvxhv_reset() does, with the saved values.  No vCPU call
 * runs; pvxhv_kick() and pvxhv_timer_expired() may race and land before
 * or after.  The shared pages are not written now: each is attached as
 * register_shared_page attaches one (its host address looked up in this
 * instance's map, nothing of it written yet), so the next
 * pvxhv_vcpu_enter() of its vCPU writes the whole record, the seqlocks
 * continuing from the saved versions, the time from this host's clock
 * and TSC (no time pair of before survives).  Then ops->records hears
 * where the delegated records are (the delegation is this instance's).
 */
static void commit(struct pvxhv *hv, bool negotiated, uint32_t version, uint64_t features,
		   const struct saved_vcpu *s)
{
	atomic_store(&hv->neg_state, NEG_NONE);
	hv->neg_version = negotiated ? version : 0;
	hv->neg_features = negotiated ? features : 0;
	hv_lock(&hv->reg_lock);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++) {
		struct pvxhv_vcpu *v = &hv->vcpus[i];

		atomic_store(&v->preempted, !!(s[i].flags & STATE_VF_PREEMPTED));
		atomic_store(&v->flush_pending, !!(s[i].flags & STATE_VF_FLUSH_PENDING));
		/* A kick racing in after this load only adds one more pending kick. */
		atomic_store(&v->kicks_seen, atomic_load(&v->kicks) - s[i].kicks);
		atomic_store(&v->timer_vector, s[i].timer_vector);
		records_forget(hv, i);
		shared_page_attach(hv, i, s[i].shared_gpa);
		if (s[i].time_gpa != PVX_GPA_NONE)
			time_record_attach(hv, i, s[i].time_gpa);
		v->shadow.time.version = s[i].time_version;
		v->shadow.steal_version = s[i].steal_version;
		v->shadow.steal.version = s[i].steal_rec_version;
		v->shadow.wall_clock.version = s[i].wall_version;
		v->steal_marked = s[i].flags & STATE_VF_STEAL_MARKED;
		v->pair_valid = false;
		v->steal_ns = s[i].steal_ns;
	}
	hv_unlock(&hv->reg_lock);
	if (negotiated)
		atomic_store_explicit(&hv->neg_state, NEG_DONE, memory_order_release);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++)
		records_tell(hv, i, false);
}

/*
 * Checks in this order: the blob is one (ENOMSG), in a format this
 * library reads (EPROTONOSUPPORT), intact and consistent (EBADMSG); then
 * it fits this instance (ERANGE, EOPNOTSUPP, EFAULT).  Only then commit.
 */
PVXHV_EXPORT int pvxhv_restore(struct pvxhv *hv, const void *buf, size_t len)
{
	const uint8_t *b = buf;
	struct saved_vcpu *s;
	uint32_t format, nr_vcpus, version;
	uint64_t features;
	bool negotiated;
	int ret;

	if (!hv || !buf)
		return -EINVAL;
	ret = check_envelope(b, len, &format, &nr_vcpus);
	if (!ret)
		ret = parse_negotiation(b, &negotiated, &version, &features);
	if (ret)
		return ret;
	s = calloc(nr_vcpus, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < nr_vcpus && !ret; i++)
		ret = parse_vcpu(b, format, i, negotiated, features, &s[i]);
	if (!ret)
		ret = check_owners(s, nr_vcpus);
	if (!ret)
		ret = check_fits(hv, nr_vcpus, negotiated, version, features, s);
	if (!ret)
		commit(hv, negotiated, version, features, s);
	free(s);
	return ret;
}
