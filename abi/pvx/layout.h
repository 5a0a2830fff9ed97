/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The layout of every PVX structure, declared once and checked at compile
 * time: size, alignment and the offset and size of every field.
 *
 * PVX_LAYOUT_STRUCTS lists the structures as S(since, name, align), each
 * with a field list PVX_LAYOUT_<name> of F(since, name, field, offset,
 * size).  The fields of a structure tile it exactly, padding included, so
 * its size is the sum of its fields' sizes.  The host tools dump the same
 * lists into the committed layout files (abi/layout/<major>.<minor>.txt)
 * and refuse a change to a frozen one.  A minor version may only append
 * fields (behind a size field) or add structures.
 */
#ifndef _UAPI_PVX_LAYOUT_H
#define _UAPI_PVX_LAYOUT_H

#include <pvx/version.h>
#include <pvx/hypercall.h>
#include <pvx/shared.h>

/* Field list entries (a wrapper of its own so lists can nest). */
#define __PVX_FIELD(F, major, minor, ...) \
	__PVX_IF_##major##_##minor(F(PVX_ABI_VERSION(major, minor), __VA_ARGS__))

#define PVX_LAYOUT_STRUCTS(S) \
	__PVX_ITEM(S, 1, 0, pvx_negotiate,       8) \
	__PVX_ITEM(S, 1, 0, pvx_multicall_entry, 8) \
	__PVX_ITEM(S, 1, 0, pvx_time_info,       8) \
	__PVX_ITEM(S, 1, 0, pvx_vcpu_shared,     8) \
	__PVX_ITEM(S, 1, 2, pvx_steal_time,      8) \
	__PVX_ITEM(S, 1, 2, pvx_wall_clock,      4)

#define PVX_LAYOUT_pvx_negotiate(F) \
	__PVX_FIELD(F, 1, 0, pvx_negotiate, size,           0, 4) \
	__PVX_FIELD(F, 1, 0, pvx_negotiate, version,        4, 4) \
	__PVX_FIELD(F, 1, 0, pvx_negotiate, features,       8, 8) \
	__PVX_FIELD(F, 1, 1, pvx_negotiate, nr_vcpus,      16, 4) \
	__PVX_FIELD(F, 1, 1, pvx_negotiate, max_multicall, 20, 4)

#define PVX_LAYOUT_pvx_multicall_entry(F) \
	__PVX_FIELD(F, 1, 0, pvx_multicall_entry, nr,      0,  4) \
	__PVX_FIELD(F, 1, 0, pvx_multicall_entry, flags,   4,  4) \
	__PVX_FIELD(F, 1, 0, pvx_multicall_entry, args,    8, 40) \
	__PVX_FIELD(F, 1, 0, pvx_multicall_entry, result, 48,  8)

#define PVX_LAYOUT_pvx_time_info(F) \
	__PVX_FIELD(F, 1, 0, pvx_time_info, version,            0, 4) \
	__PVX_FIELD(F, 1, 0, pvx_time_info, pad0,               4, 4) \
	__PVX_FIELD(F, 1, 0, pvx_time_info, tsc_timestamp,      8, 8) \
	__PVX_FIELD(F, 1, 0, pvx_time_info, system_time,       16, 8) \
	__PVX_FIELD(F, 1, 0, pvx_time_info, tsc_to_system_mul, 24, 4) \
	__PVX_FIELD(F, 1, 0, pvx_time_info, tsc_shift,         28, 1) \
	__PVX_FIELD(F, 1, 0, pvx_time_info, flags,             29, 1) \
	__PVX_FIELD(F, 1, 0, pvx_time_info, pad,               30, 2)

#define PVX_LAYOUT_pvx_vcpu_shared(F) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, size,           0,  4) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, vcpu_id,        4,  4) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, flags,          8,  4) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, pad0,          12,  4) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, time,          16, 32) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, steal_version, 48,  4) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, preempted,     52,  1) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, pad1,          53,  3) \
	__PVX_FIELD(F, 1, 0, pvx_vcpu_shared, steal_ns,      56,  8) \
	__PVX_FIELD(F, 1, 2, pvx_vcpu_shared, steal,         64, 64) \
	__PVX_FIELD(F, 1, 2, pvx_vcpu_shared, eoi,          128,  4) \
	__PVX_FIELD(F, 1, 2, pvx_vcpu_shared, pad2,         132,  4) \
	__PVX_FIELD(F, 1, 2, pvx_vcpu_shared, wall_clock,   136, 12) \
	__PVX_FIELD(F, 1, 2, pvx_vcpu_shared, pad3,         148,  4)

#define PVX_LAYOUT_pvx_steal_time(F) \
	__PVX_FIELD(F, 1, 2, pvx_steal_time, steal,      0,  8) \
	__PVX_FIELD(F, 1, 2, pvx_steal_time, version,    8,  4) \
	__PVX_FIELD(F, 1, 2, pvx_steal_time, flags,     12,  4) \
	__PVX_FIELD(F, 1, 2, pvx_steal_time, preempted, 16,  1) \
	__PVX_FIELD(F, 1, 2, pvx_steal_time, pad0,      17,  3) \
	__PVX_FIELD(F, 1, 2, pvx_steal_time, pad,       20, 44)

#define PVX_LAYOUT_pvx_wall_clock(F) \
	__PVX_FIELD(F, 1, 2, pvx_wall_clock, version, 0, 4) \
	__PVX_FIELD(F, 1, 2, pvx_wall_clock, sec,     4, 4) \
	__PVX_FIELD(F, 1, 2, pvx_wall_clock, nsec,    8, 4)

/*
 * The compile-time checks, generated from the lists above.  A list expands
 * to a run of checks with nothing between them, so each check brings the
 * ';' that ends the declaration before it: the run starts behind a first
 * assertion and the ';' after PVX_LAYOUT_STRUCTS() ends its last check.
 */
#ifdef __cplusplus
#define __PVX_STATIC_ASSERT(cond, msg)	static_assert(cond, msg)
#else
#define __PVX_STATIC_ASSERT(cond, msg)	_Static_assert(cond, msg)
#endif
#define __PVX_LAYOUT_CHECK(cond, msg)	; __PVX_STATIC_ASSERT(cond, msg)
#define __PVX_ASSERT_FIELD(since, s, f, off, sz)				\
	__PVX_LAYOUT_CHECK(__builtin_offsetof(struct s, f) == (off),		\
			   "PVX ABI: offset of " #s "." #f)			\
	__PVX_LAYOUT_CHECK(sizeof(((struct s *)0)->f) == (sz),			\
			   "PVX ABI: size of " #s "." #f)
#define __PVX_FIELD_SIZE(since, s, f, off, sz)	+ (sz)
#define __PVX_ASSERT_STRUCT(since, s, align)					\
	PVX_LAYOUT_##s(__PVX_ASSERT_FIELD)					\
	__PVX_LAYOUT_CHECK(sizeof(struct s) == 0 PVX_LAYOUT_##s(__PVX_FIELD_SIZE),	\
			   "PVX ABI: size of struct " #s " (a field is not listed)")	\
	__PVX_LAYOUT_CHECK(__alignof__(struct s) == (align),			\
			   "PVX ABI: alignment of struct " #s)

__PVX_STATIC_ASSERT(sizeof(__u64) == 8, "PVX ABI: __u64 is 8 bytes")
PVX_LAYOUT_STRUCTS(__PVX_ASSERT_STRUCT);

#endif /* _UAPI_PVX_LAYOUT_H */
