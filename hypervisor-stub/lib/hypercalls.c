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

#define NEGOTIATE_SIZE_1_0	offsetof(struct pvx_negotiate, nr_vcpus)

static bool vector_ok(uint64_t vector)
{
	return vector >= PVX_VECTOR_MIN && vector <= 255;
}

int64_t hc_negotiate(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t gpa = args[0];
	struct pvx_negotiate n;
	uint32_t version, size;
	uint64_t features;
	int ret;

	(void)vcpu;
	/* Fetch the 1.0 part once; the size it holds decides the rest. */
	ret = check_guest_struct(hv, gpa, NEGOTIATE_SIZE_1_0, 8);
	if (ret)
		return ret;
	memset(&n, 0, sizeof(n));
	if (copy_from_guest(hv, &n, gpa_ptr(gpa), NEGOTIATE_SIZE_1_0))
		return -PVX_EFAULT;
	if (n.size < NEGOTIATE_SIZE_1_0)
		return -PVX_EINVAL;
	ret = check_guest_struct(hv, gpa, n.size, 8);
	if (ret)
		return ret;
	if (PVX_ABI_MAJOR(n.version) != PVX_ABI_MAJOR(hv->version))
		return -PVX_EPROTONOSUPPORT;

	/* Fields a newer guest appended that this host knows are output only. */
	size = n.size < sizeof(n) ? n.size : (uint32_t)sizeof(n);
	version = n.version < hv->version ? n.version : hv->version;
	features = n.features & hv->features & features_known_in(version);

	pthread_mutex_lock(&hv->neg_lock);
	if (atomic_load(&hv->neg_done)) {
		pthread_mutex_unlock(&hv->neg_lock);
		return -PVX_EALREADY;
	}
	n.size = size;
	n.version = version;
	n.features = features;
	n.nr_vcpus = hv->nr_vcpus;
	n.max_multicall = PVX_MULTICALL_MAX;
	if (copy_to_guest(hv, gpa_ptr(gpa), &n, size)) {
		pthread_mutex_unlock(&hv->neg_lock);
		return -PVX_EFAULT;
	}
	hv->neg_version = version;
	hv->neg_features = features;
	atomic_store_explicit(&hv->neg_done, 1, memory_order_release);
	pthread_mutex_unlock(&hv->neg_lock);
	return 0;
}

int64_t hc_register_shared_page(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t gpa = args[0];
	struct pvxhv_vcpu *v = &hv->vcpus[vcpu];
	int ret;

	if (gpa == PVX_GPA_NONE) {
		v->shared_gpa = PVX_GPA_NONE;
		return 0;
	}
	ret = check_guest_struct(hv, gpa, PVX_PAGE_SIZE, PVX_PAGE_SIZE);
	if (ret)
		return ret;
	v->shared_gpa = gpa;
	shared_page_refresh(hv, vcpu);
	return 0;
}

int64_t hc_sched_yield(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	(void)args;
	if (hv->ops.yield)
		hv->ops.yield(hv->opaque, vcpu);
	return 0;
}

int64_t hc_block(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t deadline = args[0];

	if (deadline && deadline <= hv->ops.clock_ns(hv->opaque))
		return -PVX_ETIMEDOUT;
	/* A kick that came before the block makes it return at once. */
	if (atomic_exchange(&hv->vcpus[vcpu].kick_pending, 0))
		return 0;
	atomic_store(&hv->vcpus[vcpu].preempted, 1);
	shared_page_set_preempted(hv, vcpu, true);
	hv->ops.block(hv->opaque, vcpu, deadline);
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
	uint32_t words, deferred = 0;
	int ret;

	(void)vcpu;
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

	/* Validate the whole mask before acting on any of it. */
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
	for (uint32_t w = 0; w < words; w++) {
		for (uint64_t m = mask[w]; m; m &= m - 1) {
			uint32_t target = w * 64 + (uint32_t)__builtin_ctzll(m);
			struct pvxhv_vcpu *t = &hv->vcpus[target];

			/*
			 * Pending before looking at preempted; pvxhv_vcpu_enter()
			 * clears preempted before taking pending.  Either it sees
			 * our request or we see it running and flush it now.
			 */
			atomic_store(&t->flush_pending, 1);
			if (atomic_load(&t->preempted))
				deferred++;
			else
				hv->ops.flush_tlb(hv->opaque, target);
		}
	}
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
	hv->ops.console(hv->opaque, vcpu, buf, len);
	return (int64_t)len;
}

int64_t hc_set_timer(struct pvxhv *hv, uint32_t vcpu, const uint64_t *args)
{
	const uint64_t deadline = args[0], vector = args[1];

	if (!deadline) {
		if (vector)
			return -PVX_EINVAL;
		atomic_store(&hv->vcpus[vcpu].timer_vector, 0);
		hv->ops.set_timer(hv->opaque, vcpu, 0);
		return 0;
	}
	if (!vector_ok(vector))
		return -PVX_EINVAL;
	atomic_store(&hv->vcpus[vcpu].timer_vector, (unsigned int)vector);
	hv->ops.set_timer(hv->opaque, vcpu, deadline);
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
		uint64_t a[PVX_HC_MAX_ARGS];

		for (uint32_t j = 0; j < PVX_HC_MAX_ARGS; j++)
			a[j] = e[i].args[j];
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
	hv->ops.shutdown(hv->opaque, vcpu, (uint32_t)reason, (uint32_t)code);
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
		hv->ops.inject(hv->opaque, (uint32_t)first + (uint32_t)__builtin_ctzll(m),
			       (uint8_t)vector);
		sent++;
	}
	return sent;
}
