/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The per-vCPU shared page.
 *
 * Each vCPU registers one page of its own with register_shared_page.  The
 * host writes struct pvx_vcpu_shared at the start of that page; it never
 * touches the rest of the page.  All fields are written by the host only,
 * but for the steal record's preempted byte (1.2, below): the one byte a
 * guest writes and the host reads.
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
 *
 * 1.2 appends the records a host's kernel can keep (KVM's layouts), each
 * behind its feature and its PVX_VCPU_* flag:
 *
 *  steal	STEAL_RECORD replaces steal_version/preempted/steal_ns
 *		(PVX_VCPU_STEAL_VALID stays clear).  The host writes steal,
 *		version and PVX_STEAL_PREEMPTED; the only write a guest makes is
 *		a compare-and-exchange of preempted from PVX_STEAL_PREEMPTED to
 *		PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB, after which the host
 *		flushes that vCPU's TLB before it next runs guest code and
 *		exchanges preempted for 0.
 *  eoi		PV_EOI: the host sets PVX_EOI_SKIP when it delivers an
 *		interrupt whose EOI it needs not see; a guest whose EOI finds it
 *		set clears it instead of writing the APIC's EOI register.  Any
 *		other bit is reserved: a guest that sees one stops using eoi.
 *  wall_clock	WALL_CLOCK: written at registration, read with
 *		pvclock_read_wallclock() against the time record.
 *
 * With STABLE_TIME, set_time_record may move a vCPU's time record out of
 * this page (to a page the guest's vDSO maps, where it must be at offset
 * 0); PVX_VCPU_TIME_VALID is then clear here.
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
#define PVX_VCPU_STEAL_RECORD	0x04	/* 1.2: steal (struct pvx_steal_time) is maintained */
#define PVX_VCPU_PV_EOI		0x08	/* 1.2: eoi is maintained */
#define PVX_VCPU_WALL_CLOCK	0x10	/* 1.2: wall_clock is maintained */

/* pvx_steal_time.preempted (KVM_VCPU_PREEMPTED, KVM_VCPU_FLUSH_TLB) */
#define PVX_STEAL_PREEMPTED	0x01	/* host: the vCPU is not running */
#define PVX_STEAL_FLUSH_TLB	0x02	/* guest: flush its TLB before it next runs */

/* pvx_vcpu_shared.eoi (KVM_PV_EOI_ENABLED) */
#define PVX_EOI_SKIP		0x01	/* host: the next EOI may be skipped */

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

/*
 * 1.2, STEAL_RECORD: the layout of KVM's struct kvm_steal_time, so that a
 * KVM-based host can let KVM keep it (MSR_KVM_STEAL_TIME).  It lies at
 * offset 64 of the shared page, which is 64-byte aligned as KVM needs.
 */
struct pvx_steal_time {
	__aligned_u64	steal;		/* ns runnable but not running */
	__u32		version;	/* seqlock for steal (preempted is outside it) */
	__u32		flags;		/* 0 */
	__u8		preempted;	/* PVX_STEAL_* */
	__u8		pad0[3];
	__u32		pad[11];
};

/* 1.2, WALL_CLOCK: pvclock's wall clock (KVM's MSR_KVM_WALL_CLOCK_NEW). */
struct pvx_wall_clock {
	__u32		version;	/* seqlock, as time.version */
	__u32		sec;		/* the wall-clock time when the time */
	__u32		nsec;		/* record's clock read 0 (UTC, since 1970) */
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
#if PVX_INTERFACE_HAS(1, 2)
	struct pvx_steal_time steal;	/* STEAL_RECORD */
	__u32		eoi;		/* PV_EOI: PVX_EOI_SKIP */
	__u32		pad2;
	struct pvx_wall_clock wall_clock; /* WALL_CLOCK */
	__u32		pad3;
#endif
};

#endif /* _UAPI_PVX_SHARED_H */
