/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpvxhv: one handler per hypercall.  hv_dispatch() has already
 * checked the number, negotiation, version, feature and that unused
 * argument registers are zero; each handler validates its own arguments,
 * copies guest memory in once, and only then acts.
 */
#include <stddef.h>
#include <string.h>

#include "internal.h"

static bool vector_ok(uint64_t vector)
{
	return vector >= PVX_VECTOR_MIN && vector <= 255;
}

/*
 * The checks in the order of PVX_HYPERCALLS.  No lock: the state moves
 * NONE -> BUSY for the one negotiate that gets past its checks first, so
 * the write-back (a callback in accessor mode) runs under no lock.
 */
int64_t hc_negotiate(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t gpa = args[0];
	const uint32_t size_1_0 = negotiate_size_in(PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, 0));
	struct pvx_negotiate n;
	uint32_t version, size;
	uint64_t features;
	unsigned int state = NEG_NONE;
	int ret;

	(void)vcpu;
	if (atomic_load(&hv->neg_state) != NEG_NONE)
		return -PVX_EALREADY;
	/* Fetch the 1.0 part once; the size it holds decides the rest. */
	ret = check_guest_struct(hv, gpa, size_1_0, 8);
	if (ret)
		return ret;
	memset(&n, 0, sizeof(n));
	if (copy_from_guest(hv, &n, gpa_ptr(gpa), size_1_0))
		return -PVX_EFAULT;
	if (n.size < size_1_0)
		return -PVX_EINVAL;
	ret = check_guest_struct(hv, gpa, n.size, 8);
	if (ret)
		return ret;
	if (PVX_ABI_MAJOR(n.version) != PVX_ABI_MAJOR(hv->version))
		return -PVX_EPROTONOSUPPORT;

	/*
	 * The answer is a struct of the accepted version: as many bytes as
	 * that version has, or as the guest's struct has if it is smaller.
	 * Fields a newer guest appended that this host knows are output only.
	 */
	version = n.version < hv->version ? n.version : hv->version;
	features = n.features & hv->features & pvx_features_known_in(version);
	size = negotiate_size_in(version);
	if (n.size < size)
		size = n.size;

	if (!atomic_compare_exchange_strong(&hv->neg_state, &state, NEG_BUSY))
		return -PVX_EALREADY;
	n.size = size;
	n.version = version;
	n.features = features;
	n.nr_vcpus = hv->nr_vcpus;
	n.max_multicall = PVX_MULTICALL_MAX;
	if (copy_to_guest(hv, gpa_ptr(gpa), &n, size)) {
		atomic_store(&hv->neg_state, NEG_NONE);
		return -PVX_EFAULT;
	}
	hv->neg_version = version;
	hv->neg_features = features;
	atomic_store_explicit(&hv->neg_state, NEG_DONE, memory_order_release);
	return 0;
}

/* Whether another vCPU owns (or is switching to) page gpa; under reg_lock. */
static bool page_taken(const struct pvxhv *hv, uint32_t vcpu, uint64_t gpa)
{
	for (uint32_t i = 0; i < hv->nr_vcpus; i++)
		if (i != vcpu && (hv->vcpus[i].shared_gpa == gpa || hv->vcpus[i].shared_claim == gpa))
			return true;
	return false;
}

/*
 * The old page's record is invalidated while this vCPU still owns it
 * (claimed under reg_lock), so no other vCPU can have registered it and
 * be writing it; the writes themselves run under no lock.  With vcpu held.
 */
static int64_t register_page(struct pvxhv *hv, uint32_t vcpu, uint64_t gpa)
{
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	const uint64_t old = v->shared_gpa;

	v->pair_stale = true;
	if (gpa != PVX_GPA_NONE) {
		if (gpa == old) {		/* the same page again: refill it */
			v->stale = STALE_ALL;
			shared_page_refresh(hv, vcpu);
			records_tell(hv, vcpu, true);
			return 0;
		}
		hv_lock(&hv->reg_lock);
		if (page_taken(hv, vcpu, gpa)) {
			hv_unlock(&hv->reg_lock);
			return -PVX_EINVAL;
		}
		v->shared_claim = gpa;
		hv_unlock(&hv->reg_lock);
	}
	if (old != PVX_GPA_NONE)
		shared_page_invalidate(hv, vcpu);
	hv_lock(&hv->reg_lock);
	shared_page_attach(hv, vcpu, gpa);
	v->shared_claim = PVX_GPA_NONE;
	hv_unlock(&hv->reg_lock);
	v->steal_marked = false;	/* not in this page */
	shared_page_refresh(hv, vcpu);
	records_tell(hv, vcpu, true);
	return 0;
}

/*
 * A soft_reset that came between the checks and the hold makes the call
 * one that came after it: EPERM, as the common checks would say now.
 */
int64_t hc_register_shared_page(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t gpa = args[0];
	int64_t ret;

	if (gpa != PVX_GPA_NONE) {
		ret = check_guest_struct(hv, gpa, PVX_PAGE_SIZE, PVX_PAGE_SIZE);
		if (ret)
			return ret;
	}
	ret = vcpu_hold(hv, vcpu) ? register_page(hv, vcpu, gpa) : -PVX_EPERM;
	vcpu_release(hv, vcpu);
	return ret;
}

int64_t hc_sched_yield(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	(void)args;
	if (hv->ops.yield)
		OP(hv, yield)(hv->opaque, vcpu);
	return 0;
}

/*
 * A deadline now or past is ETIMEDOUT and leaves a pending kick pending; a
 * pending kick (kicks beyond kicks_seen) is consumed and returns at once.
 * Otherwise ops->block gets the kick count as its token: pvxhv_kicked()
 * tells it, race-free, whether a kick came since.
 */
#define RFLAGS_IF	(1ull << 9)

int64_t hc_block(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t deadline = args[0];
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	uint64_t k;

	if (deadline && deadline <= OP(hv, clock_ns)(hv->opaque))
		return -PVX_ETIMEDOUT;
	k = atomic_load(&v->kicks);
	if (k != atomic_load(&v->kicks_seen)) {
		atomic_store(&v->kicks_seen, k);
		return 0;
	}
	atomic_store(&v->preempted, 1);
	if (vcpu_hold(hv, vcpu))
		shared_page_preempted(hv, vcpu);
	vcpu_release(hv, vcpu);		/* a soft_reset on another vCPU need not wait */
	OP(hv, block)(hv->opaque, vcpu, deadline, k, !(args[HC_ARG_RFLAGS] & RFLAGS_IF));
	return 0;
}

int64_t hc_kick_vcpu(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	(void)vcpu;
	if (args[0] >= hv->nr_vcpus)
		return -PVX_ESRCH;
	return pvxhv_kick(hv, (uint32_t)args[0]);
}

int64_t hc_flush_tlb(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t gpa = args[0], nbits = args[1];
	uint64_t mask[PVX_MAX_VCPUS / 64];
	uint32_t words, deferred = 0, running[PVX_MAX_VCPUS], nr_running = 0;
	int ret;

	if (!nbits)
		return -PVX_EINVAL;
	if (nbits > PVX_MAX_VCPUS)
		return -PVX_E2BIG;
	words = (uint32_t)((nbits + 63) / 64);
	ret = check_guest_struct(hv, gpa, words * sizeof(uint64_t), sizeof(uint64_t));
	if (ret)
		return ret;
	if (copy_from_guest(hv, mask, gpa_ptr(gpa), words * sizeof(uint64_t)))
		return -PVX_EFAULT;

	/* Validate the whole mask before acting on any of it: bits >= nbits first. */
	if (nbits % 64 && (mask[words - 1] >> (nbits % 64)))
		return -PVX_EINVAL;
	for (uint32_t w = 0; w < words; w++) {
		if (!mask[w])
			continue;
		if (w * 64 >= hv->nr_vcpus)
			return -PVX_ESRCH;
		if (hv->nr_vcpus - w * 64 < 64 && (mask[w] >> (hv->nr_vcpus - w * 64)))
			return -PVX_ESRCH;
	}
	/* Deferred flushes are what soft_reset forgets; the flushes now are not. */
	if (!vcpu_hold(hv, vcpu)) {
		vcpu_release(hv, vcpu);
		return -PVX_EPERM;
	}
	for (uint32_t w = 0; w < words; w++) {
		for (uint64_t m = mask[w]; m; m &= m - 1) {
			uint32_t t = w * 64 + (uint32_t)__builtin_ctzll(m);

			if (flush_defer(hv, t))
				deferred++;
			else
				running[nr_running++] = t;
		}
	}
	vcpu_release(hv, vcpu);
	flush_now(hv, running, nr_running);
	return deferred;
}

int64_t hc_console_write(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t gpa = args[0], len = args[1];
	char buf[PVX_CONSOLE_MAX];
	int ret;

	if (len > PVX_CONSOLE_MAX)
		return -PVX_E2BIG;
	if (!len)
		return 0;
	ret = check_guest_struct(hv, gpa, len, 1);
	if (ret)
		return ret;
	if (copy_from_guest(hv, buf, gpa_ptr(gpa), len))
		return -PVX_EFAULT;
	OP(hv, console)(hv->opaque, vcpu, buf, len);
	return (int64_t)len;
}

/* Held: a timer armed before a soft_reset is one it cancels. */
int64_t hc_set_timer(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t deadline = args[0], vector = args[1];

	if (deadline ? !vector_ok(vector) : vector != 0)
		return -PVX_EINVAL;
	if (!vcpu_hold(hv, vcpu)) {
		vcpu_release(hv, vcpu);
		return -PVX_EPERM;
	}
	atomic_store(&hv->vcpus[vcpu].timer_vector, deadline ? (unsigned int)vector : 0);
	OP(hv, set_timer)(hv->opaque, vcpu, deadline);
	vcpu_release(hv, vcpu);
	return 0;
}

int64_t hc_multicall(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t gpa = args[0], count = args[1];
	struct pvx_multicall_entry e[PVX_MULTICALL_MAX];
	const size_t result_off = offsetof(struct pvx_multicall_entry, result);
	int ret;

	if (count > PVX_MULTICALL_MAX)
		return -PVX_E2BIG;
	if (!count)
		return 0;
	ret = check_guest_struct(hv, gpa, count * sizeof(e[0]), 8);
	if (ret)
		return ret;
	if (copy_from_guest(hv, e, gpa_ptr(gpa), count * sizeof(e[0])))
		return -PVX_EFAULT;

	for (uint32_t i = 0; i < count; i++) {
		uint64_t a[HC_ARGS];

		for (uint32_t j = 0; j < PVX_HC_MAX_ARGS; j++)
			a[j] = e[i].args[j];
		a[HC_ARG_RFLAGS] = args[HC_ARG_RFLAGS];
		if (e[i].flags)
			e[i].result = -PVX_EINVAL;
		else
			e[i].result = hv_dispatch(hv, vcpu, e[i].nr, a, true);
	}
	for (uint32_t i = 0; i < count; i++)
		if (copy_to_guest(hv, gpa_ptr(gpa + i * sizeof(e[0]) + result_off),
				  &e[i].result, sizeof(e[i].result)))
			return -PVX_EFAULT;
	return 0;
}

int64_t hc_shutdown(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t reason = args[0], code = args[1];

	switch (reason) {
#define REASON_CASE(since, name, value, doc) case value:
	PVX_SHUTDOWN_REASONS(REASON_CASE)
#undef REASON_CASE
		break;
	default:
		return -PVX_EINVAL;
	}
	if (code > 255)
		return -PVX_EINVAL;
	OP(hv, shutdown)(hv->opaque, vcpu, (uint32_t)reason, (uint32_t)code);
	return 0;
}

int64_t hc_send_ipi(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t bitmap = args[0], first = args[1], vector = args[2];
	int64_t sent = 0;

	(void)vcpu;
	if (!vector_ok(vector))
		return -PVX_EINVAL;
	if (!bitmap)
		return 0;
	if (first >= hv->nr_vcpus)
		return -PVX_ESRCH;
	/* first < PVX_MAX_VCPUS, so first + 63 cannot wrap. */
	if (63 - __builtin_clzll(bitmap) >= (int)(hv->nr_vcpus - first))
		return -PVX_ESRCH;
	for (uint64_t m = bitmap; m; m &= m - 1) {
		OP(hv, inject)(hv->opaque, (uint32_t)first + (uint32_t)__builtin_ctzll(m),
			       (uint8_t)vector);
		sent++;
	}
	return sent;
}

/*
 * The checks in the order of PVX_HYPERCALLS; the move writes the record
 * at its new place at once, and ops->records hears of a delegated one.
 */
static int64_t move_time_record(struct pvxhv *hv, uint32_t vcpu, uint64_t gpa)
{
	int ret;

	if (hv->vcpus[vcpu].shared_gpa == PVX_GPA_NONE)
		return -PVX_EINVAL;
	if (gpa != PVX_GPA_NONE) {
		if (gpa % PVX_TIME_RECORD_ALIGN)
			return -PVX_EINVAL;
		ret = check_guest_struct(hv, gpa, PVX_TIME_RECORD_ALIGN, PVX_TIME_RECORD_ALIGN);
		if (ret)
			return ret;
	}
	time_record_attach(hv, vcpu, gpa);
	hv->vcpus[vcpu].pair_stale = true;
	shared_page_refresh(hv, vcpu);
	records_tell(hv, vcpu, false);
	return 0;
}

int64_t hc_set_time_record(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	int64_t ret = vcpu_hold(hv, vcpu) ? move_time_record(hv, vcpu, args[0]) : -PVX_EPERM;

	vcpu_release(hv, vcpu);
	return ret;
}

/*
 * DONE -> BUSY, as negotiate moves NONE -> BUSY: a negotiate meanwhile is
 * EALREADY, a second soft_reset EPERM (it comes after this one), and
 * every other call that acts on what this forgets either finished before
 * (vcpus_wait_released()) or finds the guest not negotiated.  Then the
 * vCPUs' state is this call's alone until NONE is published.  What it
 * forgets and keeps: Documentation/abi/hypercalls.rst.
 */
int64_t hc_soft_reset(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	unsigned int state = NEG_DONE;

	(void)args;
	if (!atomic_compare_exchange_strong(&hv->neg_state, &state, NEG_BUSY))
		return -PVX_EPERM;
	vcpus_wait_released(hv, vcpu);
	hv_lock(&hv->reg_lock);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++)
		records_forget(hv, i);
	hv_unlock(&hv->reg_lock);
	for (uint32_t i = 0; i < hv->nr_vcpus; i++) {
		struct pvxhv_vcpu *v = &hv->vcpus[i];

		records_tell(hv, i, false);
		atomic_store(&v->flush_pending, 0);
		atomic_store(&v->kicks_seen, atomic_load(&v->kicks));
		if (atomic_exchange(&v->timer_vector, 0))
			OP(hv, set_timer)(hv->opaque, i, 0);
	}
	atomic_store_explicit(&hv->neg_state, NEG_NONE, memory_order_release);
	return 0;
}
