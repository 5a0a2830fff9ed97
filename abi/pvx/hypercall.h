/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * PVX hypercalls: numbers, register convention, error codes, feature bits,
 * and the structures hypercalls pass through guest memory.
 *
 * Every item is declared once, in one of the lists below.  Enums, names,
 * the host's dispatch table, the documentation tables and the layout
 * checks are all generated from these lists.
 *
 * Register convention (every transport, see <pvx/cpuid.h>):
 *
 *	RAX	hypercall number (bits 63:32 must be zero)
 *	RBX	argument 0
 *	RCX	argument 1
 *	RSI	argument 2
 *	RDI	argument 3
 *	R8	argument 4
 *	RAX	result: < 0 a negated PVX_E* code; >= 0 success, but only
 *		a value the call's "returns" allows: a call documented as
 *		returning 0 that returns anything else (a positive value
 *		too) has failed, a protocol error, as a negative result
 *
 * RDX is not an argument: the I/O-port transport needs DX for the port.
 * Argument registers a hypercall does not use (those >= its argument count)
 * are reserved and must be zero, so a later minor can give them a meaning
 * where zero keeps the old behaviour; otherwise -PVX_EINVAL.  The host
 * changes no register but RAX.
 *
 * Guest memory: every address is a guest-physical address (GPA).  A
 * structure passed by GPA must be naturally aligned (8 bytes unless stated)
 * and must lie within one PVX_PAGE_SIZE page; the host copies it in exactly
 * once before looking at it and writes results back at the end.
 */
#ifndef _UAPI_PVX_HYPERCALL_H
#define _UAPI_PVX_HYPERCALL_H

#include <linux/types.h>
#include <pvx/version.h>

#define PVX_PAGE_SIZE		4096u
#define PVX_HC_MAX_ARGS		5		/* RBX, RCX, RSI, RDI, R8 */
#define PVX_MAX_VCPUS		1024u		/* upper bound of any vCPU id + 1 */
#define PVX_MULTICALL_MAX	64u		/* entries per multicall */
#define PVX_CONSOLE_MAX		PVX_PAGE_SIZE	/* bytes per console_write */
#define PVX_GPA_NONE		(~(__u64)0)	/* "no page": unregisters */
#define PVX_VECTOR_MIN		32u		/* lowest injectable vector */
#define PVX_TIME_RECORD_ALIGN	64u		/* set_time_record's record */

/*
 * List entries carry full identifiers (PVX_EINVAL, not EINVAL): an entry
 * passes through several macros and a short name could be expanded on the
 * way by a macro of the same name (<errno.h> defines EINVAL).
 *
 * Error codes: X(since, name, value, description).  Values equal Linux
 * errno values; a hypercall returns the negated value, e.g. -PVX_EINVAL.
 */
#define PVX_ERRORS(X) \
	__PVX_ITEM(X, 1, 0, PVX_EPERM,            1, \
		"Not permitted now: any hypercall but negotiate before a successful negotiate.") \
	__PVX_ITEM(X, 1, 0, PVX_ESRCH,            3, \
		"A vCPU id is out of range (>= the number of vCPUs the host serves).") \
	__PVX_ITEM(X, 1, 0, PVX_E2BIG,            7, \
		"A length or count exceeds its documented maximum.") \
	__PVX_ITEM(X, 1, 0, PVX_EFAULT,          14, \
		"A guest-physical range wraps around or is not entirely guest RAM.") \
	__PVX_ITEM(X, 1, 0, PVX_EINVAL,          22, \
		"Reserved bits or unused argument registers are not zero, " \
			"a value is out of its domain, " \
			"a structure is misaligned or crosses a page, " \
			"or a shared page is another vCPU's.") \
	__PVX_ITEM(X, 1, 0, PVX_ELOOP,           40, \
		"A multicall entry is itself a multicall, or a call that may not be batched.") \
	__PVX_ITEM(X, 1, 0, PVX_ENOSYS,          38, \
		"Unknown hypercall number, or a hypercall newer than the negotiated version.") \
	__PVX_ITEM(X, 1, 0, PVX_EPROTONOSUPPORT, 93, \
		"negotiate: the host does not serve the requested major version.") \
	__PVX_ITEM(X, 1, 0, PVX_EOPNOTSUPP,      95, \
		"The hypercall needs a feature that was not negotiated.") \
	__PVX_ITEM(X, 1, 0, PVX_ETIMEDOUT,      110, \
		"block: the deadline is now or has passed.") \
	__PVX_ITEM(X, 1, 0, PVX_EALREADY,       114, \
		"negotiate: this guest has negotiated already, or another vCPU is negotiating.")

#define __PVX_ERROR_ENUM(since, name, value, doc)	name = value,
enum pvx_error {
	PVX_ERRORS(__PVX_ERROR_ENUM)
};

/*
 * Feature bits: X(since, name, bit, description); PVX_FEATURE(NAME) is
 * the mask.  The host advertises them in CPUID base+1 and negotiate
 * returns the accepted subset.
 */
#define PVX_FEATURES(X) \
	__PVX_ITEM(X, 1, 0, PVX_FEATURE_BIT_SHARED_PAGE, 0, \
		"register_shared_page and the per-vCPU time record.") \
	__PVX_ITEM(X, 1, 0, PVX_FEATURE_BIT_STEAL_TIME,  1, \
		"Steal time and the preempted flag in the shared page.") \
	__PVX_ITEM(X, 1, 0, PVX_FEATURE_BIT_FLUSH_TLB,   2, \
		"flush_tlb: remote TLB flush that skips preempted vCPUs.") \
	__PVX_ITEM(X, 1, 0, PVX_FEATURE_BIT_CONSOLE,     3, \
		"console_write.") \
	__PVX_ITEM(X, 1, 0, PVX_FEATURE_BIT_TIMER,       4, \
		"set_timer: a one-shot per-vCPU timer delivered as an interrupt vector.") \
	__PVX_ITEM(X, 1, 0, PVX_FEATURE_BIT_MULTICALL,   5, \
		"multicall: several hypercalls in one exit.") \
	__PVX_ITEM(X, 1, 1, PVX_FEATURE_BIT_PV_IPI,      6, \
		"send_ipi: interrupts to up to 64 vCPUs in one hypercall.") \
	__PVX_ITEM(X, 1, 2, PVX_FEATURE_BIT_STABLE_TIME, 7, \
		"set_time_record, and PVX_TIME_TSC_STABLE is set only while one (ns, TSC) " \
			"pair serves every vCPU: the guest may read the time from user mode.") \
	__PVX_ITEM(X, 1, 2, PVX_FEATURE_BIT_STEAL_RECORD, 8, \
		"The steal record (struct pvx_steal_time): steal, preempted and " \
			"the flush request, without a hypercall.") \
	__PVX_ITEM(X, 1, 2, PVX_FEATURE_BIT_PV_EOI,      9, \
		"The PV EOI word: the host says when an EOI may be skipped.") \
	__PVX_ITEM(X, 1, 2, PVX_FEATURE_BIT_WALL_CLOCK, 10, \
		"The wall clock record (struct pvx_wall_clock).") \
	__PVX_ITEM(X, 1, 2, PVX_FEATURE_BIT_SOFT_RESET, 11, \
		"soft_reset: a kexec or kdump kernel negotiates again.")

#define __PVX_FEATURE_ENUM(since, name, bit, doc)	name = bit,
enum pvx_feature_bit {
	PVX_FEATURES(__PVX_FEATURE_ENUM)
};

#define PVX_FEATURE(name)	((__u64)1 << PVX_FEATURE_BIT_##name)

#define __PVX_FEATURE_KNOWN(since, name, bit, doc)			\
	| (PVX_ABI_MAJOR(version) == PVX_ABI_MAJOR(since) &&		\
	   version >= (since) ? (__u64)1 << (bit) : 0)

/* The feature bits ABI @version defines: none for a major it is not. */
static __inline__ __u64 pvx_features_known_in(__u32 version)
{
	return 0 PVX_FEATURES(__PVX_FEATURE_KNOWN);
}

/*
 * The common checks every hypercall passes first, in this order; the first
 * that fails is the result: X(since, error, condition).  A call's own
 * checks (the "checks" column of PVX_HYPERCALLS) follow.  The entry-only
 * checks apply to the calls of a multicall.
 */
#define PVX_COMMON_CHECKS(X) \
	__PVX_ITEM(X, 1, 0, PVX_EINVAL, \
		"a multicall entry's flags is not zero (before any other check of the entry)") \
	__PVX_ITEM(X, 1, 0, PVX_ENOSYS, \
		"the number (all 64 bits of RAX) names no hypercall of the version the host " \
			"serves (CPUID base+1 EAX): a call newer than the host is ENOSYS " \
			"even before negotiate") \
	__PVX_ITEM(X, 1, 0, PVX_ELOOP, \
		"a multicall entry's call may not be batched") \
	__PVX_ITEM(X, 1, 0, PVX_EPERM, \
		"negotiate has not succeeded (every call but negotiate)") \
	__PVX_ITEM(X, 1, 0, PVX_ENOSYS, \
		"the call is newer than the negotiated version") \
	__PVX_ITEM(X, 1, 0, PVX_EOPNOTSUPP, \
		"the call's feature was not negotiated") \
	__PVX_ITEM(X, 1, 0, PVX_EINVAL, \
		"an argument register the call does not use is not zero")

/* Hypercall flags (column "flags" below). */
#define PVX_HCF_BATCH		0x1	/* may appear in a multicall entry */

/*
 * Hypercalls: X(since, name, nr, nargs, feature, flags, args, returns,
 * checks, summary).  "feature" is the feature the call needs (0: none).
 *
 * "checks" is the call's own checks, in the order the host makes them
 * after the common ones (PVX_COMMON_CHECKS); the first that applies
 * decides the result.  Items are separated by "; ", each "WHAT: when":
 *
 *	E<CODE>: cond	the call returns -PVX_E<CODE> if cond holds
 *	0: cond		the call succeeds at once (returns 0) if cond holds
 *	GUEST: what	"what" is checked as a guest structure: it wraps
 *			(EFAULT), is misaligned (EINVAL), crosses a page
 *			(EINVAL), is not entirely guest RAM (EFAULT)
 *
 * The codes a call can return beyond the common ones are exactly those
 * its checks name; the tests hold the host to that.
 */
#define PVX_HYPERCALLS(X) \
	__PVX_ITEM(X, 1, 0, negotiate, 0, 1, 0, 0, \
		"a0: GPA of struct pvx_negotiate", \
		"0; the struct holds the accepted version and features", \
		"EALREADY: a negotiate succeeded before (or is in progress on another vCPU); " \
		"GUEST: the struct's 1.0 part (its first 16 bytes, 8-aligned); " \
		"EINVAL: size is below the 1.0 size (16); " \
		"GUEST: the size bytes the guest declared; " \
		"EPROTONOSUPPORT: version is of another major than the host's", \
		"Offer a version and features; the host answers with what it accepts.") \
	__PVX_ITEM(X, 1, 0, register_shared_page, 1, 1, PVX_FEATURE(SHARED_PAGE), 0, \
		"a0: page-aligned GPA of the calling vCPU's struct pvx_vcpu_shared page, " \
			"or PVX_GPA_NONE to unregister", \
		"0", \
		"0: a0 is PVX_GPA_NONE (the old page, if any, is unregistered); " \
		"GUEST: the whole page (PVX_PAGE_SIZE bytes, PVX_PAGE_SIZE-aligned); " \
		"EINVAL: the page is another vCPU's registered page", \
		"Register the calling vCPU's shared page; the host fills it at once.") \
	__PVX_ITEM(X, 1, 0, sched_yield, 2, 0, 0, PVX_HCF_BATCH, \
		"none", \
		"0", \
		"", \
		"Give the physical CPU to another vCPU or task.") \
	__PVX_ITEM(X, 1, 0, block, 3, 1, 0, 0, \
		"a0: absolute deadline in guest time (ns, the time record's clock); 0: none", \
		"0 after an event, a kick or the deadline", \
		"ETIMEDOUT: a0 is not 0 and a0 <= now (a pending kick stays pending); " \
		"0: a kick is pending (it is consumed)", \
		"Halt the calling vCPU until an interrupt, a kick, or the deadline.") \
	__PVX_ITEM(X, 1, 0, kick_vcpu, 4, 1, 0, PVX_HCF_BATCH, \
		"a0: target vCPU id", \
		"0", \
		"ESRCH: a0 is not below the number of vCPUs (all 64 bits compared)", \
		"Wake a vCPU from block, or make its next block return at once.") \
	__PVX_ITEM(X, 1, 0, flush_tlb, 5, 2, PVX_FEATURE(FLUSH_TLB), PVX_HCF_BATCH, \
		"a0: GPA of a bitmap of __u64 words (bit n = vCPU n); " \
			"a1: number of bits, 1..PVX_MAX_VCPUS", \
		"number of vCPUs whose flush was deferred because they were preempted", \
		"EINVAL: a1 is 0; " \
		"E2BIG: a1 is above PVX_MAX_VCPUS; " \
		"GUEST: the bitmap (ceil(a1 / 64) words, 8-aligned); " \
		"EINVAL: a bit at or above a1 is set; " \
		"ESRCH: a bit of a vCPU that does not exist is set", \
		"Flush the TLBs of the vCPUs in the mask; " \
			"preempted vCPUs are not interrupted, they flush before they next run.") \
	__PVX_ITEM(X, 1, 0, console_write, 6, 2, PVX_FEATURE(CONSOLE), PVX_HCF_BATCH, \
		"a0: GPA of the bytes; a1: length, 0..PVX_CONSOLE_MAX, within one page", \
		"the number of bytes written", \
		"E2BIG: a1 is above PVX_CONSOLE_MAX; " \
		"0: a1 is 0 (a0 is not looked at); " \
		"GUEST: the a1 bytes (any alignment)", \
		"Write bytes to the hypervisor console.") \
	__PVX_ITEM(X, 1, 0, set_timer, 7, 2, PVX_FEATURE(TIMER), PVX_HCF_BATCH, \
		"a0: absolute deadline in guest time (ns), 0 cancels; " \
			"a1: vector, PVX_VECTOR_MIN..255 (0 when cancelling)", \
		"0", \
		"EINVAL: a0 is 0 and a1 is not; " \
		"EINVAL: a0 is not 0 and a1 is not in PVX_VECTOR_MIN..255", \
		"Arm (or cancel) the calling vCPU's one-shot timer; " \
			"at the deadline the vector is injected.") \
	__PVX_ITEM(X, 1, 0, multicall, 8, 2, PVX_FEATURE(MULTICALL), 0, \
		"a0: GPA of an array of struct pvx_multicall_entry; " \
			"a1: count, 0..PVX_MULTICALL_MAX", \
		"0; each entry's result field holds that call's result", \
		"E2BIG: a1 is above PVX_MULTICALL_MAX; " \
		"0: a1 is 0 (a0 is not looked at); " \
		"GUEST: the array (a1 entries, 8-aligned)", \
		"Run several hypercalls in order in one exit.") \
	__PVX_ITEM(X, 1, 0, shutdown, 9, 2, 0, 0, \
		"a0: reason (enum pvx_shutdown_reason); a1: exit code, 0..255", \
		"0 if the host lets the guest continue (it normally does not return)", \
		"EINVAL: a0 is not a shutdown reason; " \
		"EINVAL: a1 is above 255", \
		"Power off, reboot or report a crash, with an exit code.") \
	__PVX_ITEM(X, 1, 1, send_ipi, 10, 3, PVX_FEATURE(PV_IPI), PVX_HCF_BATCH, \
		"a0: bitmap, bit n = vCPU a1+n; a1: first vCPU id; " \
			"a2: vector, PVX_VECTOR_MIN..255", \
		"the number of vCPUs interrupted", \
		"EINVAL: a2 is not in PVX_VECTOR_MIN..255; " \
		"0: a0 is 0 (no vCPU is addressed, a1 is not looked at); " \
		"ESRCH: a1 is not below the number of vCPUs; " \
		"ESRCH: a set bit names a vCPU that does not exist", \
		"Inject a vector into up to 64 vCPUs.") \
	__PVX_ITEM(X, 1, 2, set_time_record, 11, 1, PVX_FEATURE(STABLE_TIME), 0, \
		"a0: GPA of the calling vCPU's struct pvx_time_info, " \
			"PVX_TIME_RECORD_ALIGN-aligned, " \
			"or PVX_GPA_NONE to go back to the shared page's", \
		"0", \
		"EINVAL: the calling vCPU has no registered shared page; " \
		"0: a0 is PVX_GPA_NONE (the time record is the shared page's again); " \
		"EINVAL: a0 is not PVX_TIME_RECORD_ALIGN-aligned; " \
		"GUEST: the record (PVX_TIME_RECORD_ALIGN bytes)", \
		"Keep the calling vCPU's time record at a0 (e.g. a page the vDSO maps); " \
			"the host fills it at once.") \
	__PVX_ITEM(X, 1, 2, soft_reset, 12, 0, PVX_FEATURE(SOFT_RESET), 0, \
		"none", \
		"0; afterwards only negotiate succeeds, as after a reset", \
		"", \
		"Forget the negotiation and every vCPU's records, so that a kexec or kdump " \
			"kernel can negotiate again.")

#define __PVX_HC_ENUM(since, name, nr, ...)	PVX_HC_##name = nr,
enum pvx_hypercall {
	PVX_HYPERCALLS(__PVX_HC_ENUM)
};

/* Shutdown reasons: X(since, name, value, description). */
#define PVX_SHUTDOWN_REASONS(X) \
	__PVX_ITEM(X, 1, 0, PVX_SHUTDOWN_POWEROFF, 0, \
		"Orderly power off; the exit code is the guest's verdict.") \
	__PVX_ITEM(X, 1, 0, PVX_SHUTDOWN_REBOOT,   1, \
		"Reboot: the host resets the guest (or exits with the code).") \
	__PVX_ITEM(X, 1, 0, PVX_SHUTDOWN_CRASH,    2, \
		"The guest crashed (panic); the exit code says why.")

#define __PVX_SHUTDOWN_ENUM(since, name, value, doc)	name = value,
enum pvx_shutdown_reason {
	PVX_SHUTDOWN_REASONS(__PVX_SHUTDOWN_ENUM)
};

/*
 * negotiate's argument.  The guest sets size = sizeof(its struct),
 * version = the PVX_ABI_VERSION it speaks and features = what it wants;
 * size must be at least the 1.0 size (16).  On success the host writes
 * back the struct of the accepted version: size = bytes it filled, the
 * accepted version (same major, min of the minors) and the accepted
 * features (offered & offered by the host & known in the accepted
 * version; unknown bits are dropped, not refused).  On error nothing is
 * written.  Which bytes the host reads and how many it writes back:
 * Documentation/abi/versioning.rst, "Negotiation".
 */
struct pvx_negotiate {
	__u32		size;
	__u32		version;
	__aligned_u64	features;
#if PVX_INTERFACE_HAS(1, 1)
	__u32		nr_vcpus;	/* out: vCPUs served, ids 0..nr_vcpus-1 */
	__u32		max_multicall;	/* out: PVX_MULTICALL_MAX */
#endif
};

/*
 * One multicall entry.  flags is reserved (zero); nr and args are as in
 * registers, args beyond the call's count must be zero.  The host writes
 * result only.
 */
struct pvx_multicall_entry {
	__u32		nr;
	__u32		flags;
	__aligned_u64	args[PVX_HC_MAX_ARGS];
	__s64		result;	/* at 48, behind args: 8-aligned everywhere */
};

#endif /* _UAPI_PVX_HYPERCALL_H */
