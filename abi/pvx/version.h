/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * PVX ABI version and the compile-time interface selector.
 *
 * The ABI is versioned major.minor.  A minor release only adds: new
 * hypercalls, new feature bits, new fields appended behind a size field.
 * Anything else (renumbering, changing a layout, changing the meaning of a
 * value) is a new major, and a host serves exactly one major.
 *
 * A consumer selects the interface it was written against by defining
 * __PVX_INTERFACE_VERSION__ before including <pvx/abi.h>, e.g.
 *
 *	#define __PVX_INTERFACE_VERSION__ PVX_ABI_VERSION(1, 0)
 *
 * (or -D__PVX_INTERFACE_VERSION__=0x00010000).  It then sees only the
 * hypercalls, feature bits and struct fields of that version, so a
 * consumer built against 1.0 keeps compiling, unchanged, against the
 * headers of any later 1.x.  Without a definition it gets the latest.
 */
#ifndef _UAPI_PVX_VERSION_H
#define _UAPI_PVX_VERSION_H

/* A version as one 32-bit number: major in bits 31:16, minor in 15:0. */
#define PVX_ABI_VERSION(major, minor)	((((major) & 0xffff) << 16) | ((minor) & 0xffff))
#define PVX_ABI_MAJOR(version)		(((version) >> 16) & 0xffff)
#define PVX_ABI_MINOR(version)		((version) & 0xffff)

/* The newest interface these headers describe. */
#define PVX_ABI_VERSION_MAJOR		1
#define PVX_ABI_VERSION_MINOR		2
#define PVX_ABI_VERSION_LATEST \
	PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR)

#ifndef __PVX_INTERFACE_VERSION__
#define __PVX_INTERFACE_VERSION__	PVX_ABI_VERSION_LATEST
#endif

#if __PVX_INTERFACE_VERSION__ > PVX_ABI_VERSION_LATEST
#error "__PVX_INTERFACE_VERSION__ is newer than these PVX ABI headers"
#endif
#if PVX_ABI_MAJOR(__PVX_INTERFACE_VERSION__) != PVX_ABI_VERSION_MAJOR
#error "__PVX_INTERFACE_VERSION__ names another major than these PVX ABI headers"
#endif

/* True when the selected interface includes version major.minor. */
#define PVX_INTERFACE_HAS(major, minor) \
	(PVX_ABI_VERSION(major, minor) <= __PVX_INTERFACE_VERSION__)

/*
 * Version-gated list entries.  Every list in these headers (hypercalls,
 * feature bits, struct fields...) tags each entry with the version that
 * introduced it; __PVX_IF_<major>_<minor>(x) keeps x only when the selected
 * interface includes that version.  A new minor adds one pair here.
 */
#define __PVX_IF(major, minor, ...)	__PVX_IF_##major##_##minor(__VA_ARGS__)
#define __PVX_IF_1_0(...)		__VA_ARGS__
#if PVX_INTERFACE_HAS(1, 1)
#define __PVX_IF_1_1(...)		__VA_ARGS__
#else
#define __PVX_IF_1_1(...)
#endif
#if PVX_INTERFACE_HAS(1, 2)
#define __PVX_IF_1_2(...)		__VA_ARGS__
#else
#define __PVX_IF_1_2(...)
#endif

/*
 * One list entry: X(since, <entry fields...>), kept only when the selected
 * interface includes version major.minor.  (A list's X callback must not
 * itself expand another PVX list: the preprocessor does not re-enter a
 * macro from inside its own expansion.)
 */
#define __PVX_ITEM(X, major, minor, ...) \
	__PVX_IF(major, minor, X(PVX_ABI_VERSION(major, minor), __VA_ARGS__))

#endif /* _UAPI_PVX_VERSION_H */
