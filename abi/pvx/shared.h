/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The per-vCPU shared page.
 *
 * Each vCPU registers one page of its own with register_shared_page.  The
 * host writes struct pvx_vcpu_shared at the start of that page; it never
 * touches the rest of the page and never reads anything the guest writes
 * there.  All fields are written by the host only.
 *
 * Time: a pvclock-style record.  The host makes time.version odd, updates
 * the record, then makes it even again (with write barriers in between).
 * The guest reads:
 *
 *	do {
 *		v = READ_ONCE(t->version);	(retry while odd)
 *		rmb();
 *		delta = rdtsc() - t->tsc_timestamp;
 *		ns = t->system_time + pvx_scale_delta(delta, mul, shift);
 *		rmb();
 *	} while ((v & 1) || v != READ_ONCE(t->version));
 *
 * with pvx_scale_delta(d) = (d' * tsc_to_system_mul) >> 32, where
 * d' = shift < 0 ? d >> -shift : d << shift (64 bits) and the product
 * d' * tsc_to_system_mul is a 64 x 32 -> 96-bit product (at least 96 bits,
 * e.g. unsigned __int128; pvclock's mul_u64_u32_shr), of which the result
 * keeps bits 95:32.  A 64-bit product would overflow within seconds.
 * tsc_shift MUST lie in PVX_TIME_SHIFT_MIN..PVX_TIME_SHIFT_MAX; a record
 * with a shift outside is unusable and a guest MUST NOT use the time it
 * gives.  tsc_to_system_mul 0 is valid: the host has no TSC scale, and the
 * time is system_time, refreshed when the host enters the vCPU; it gives
 * no TSC rate, so a guest that needs one MAY decline the time ops.
 *
 * size: a host MUST set it to at least the size of this struct in the
 * version it negotiated; a guest MUST NOT read a field that lies, wholly or
 * partly, beyond size.  flags: a bit the host clears after registration
 * retires that part of the record; the guest MUST stop using it from its
 * next read.  Documentation/abi/shared-page.rst has the whole set of rules.
 *
 * Steal time and the preempted flag are guarded by steal_version in the
 * same way.  preempted is non-zero while the vCPU is not running on a
 * physical CPU: a guest may then skip waiting for it (flush_tlb does).
 */
#ifndef _UAPI_PVX_SHARED_H
#define _UAPI_PVX_SHARED_H

#include <linux/types.h>
#include <pvx/version.h>

/* The range of pvx_time_info.tsc_shift (pvclock's users shift either way). */
#define PVX_TIME_SHIFT_MIN	(-32)
#define PVX_TIME_SHIFT_MAX	32

/* pvx_time_info.flags */
#define PVX_TIME_TSC_STABLE	0x01	/* TSC is synchronised across vCPUs */

/* pvx_vcpu_shared.flags */
#define PVX_VCPU_TIME_VALID	0x01	/* time record is maintained */
#define PVX_VCPU_STEAL_VALID	0x02	/* steal_ns and preempted are maintained */

/* Same layout as the pvclock vcpu time record. */
struct pvx_time_info {
	__u32		version;
	__u32		pad0;
	__aligned_u64	tsc_timestamp;
	__aligned_u64	system_time;
	__u32		tsc_to_system_mul;
	__s8		tsc_shift;
	__u8		flags;
	__u8		pad[2];
};

struct pvx_vcpu_shared {
	__u32		size;		/* bytes of this struct the host maintains */
	__u32		vcpu_id;
	__u32		flags;		/* PVX_VCPU_* */
	__u32		pad0;
	struct pvx_time_info time;
	__u32		steal_version;	/* seqlock for preempted and steal_ns */
	__u8		preempted;
	__u8		pad1[3];
	__aligned_u64	steal_ns;	/* total ns this vCPU was runnable but not running */
};

#endif /* _UAPI_PVX_SHARED_H */
