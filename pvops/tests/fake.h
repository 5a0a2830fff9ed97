/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvx fake backend (fake.c) and what the KUnit suites read of it.
 */
#ifndef _PVX_TESTS_FAKE_H
#define _PVX_TESTS_FAKE_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/time64.h>

/* The fake's feature bits. */
#define PVX_FAKE_CLOCK		BIT_ULL(0)
#define PVX_FAKE_LOCK		BIT_ULL(1)
#define PVX_FAKE_MMU		BIT_ULL(2)
#define PVX_FAKE_ALL		(PVX_FAKE_CLOCK | PVX_FAKE_LOCK | PVX_FAKE_MMU)

/* How far ahead of the native clock the fake's clock runs. */
#define PVX_FAKE_CLOCK_AHEAD_NS	(3600 * NSEC_PER_SEC)

/* QEMU's debug console and isa-debug-exit ports. */
#define PVX_FAKE_DEBUGCON_PORT	0xe9
#define PVX_FAKE_EXIT_PORT	0xf4

extern atomic_t pvx_fake_read_cr2_calls;
extern atomic_t pvx_fake_console_chars;
extern atomic_t pvx_fake_cpu_online_calls;
extern atomic_t pvx_fake_cpu_offline_calls;

#endif /* _PVX_TESTS_FAKE_H */
