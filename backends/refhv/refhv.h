/* SPDX-License-Identifier: GPL-2.0 */
/* refhv's internals, for its KUnit suite (tests/refhv_kunit.c). */
#ifndef _PVX_REFHV_H
#define _PVX_REFHV_H

#include <linux/compiler.h>
#include <linux/time64.h>
#include <linux/types.h>
#include <asm/pvclock-abi.h>
#include <pvx/abi.h>

long refhv_hypercall(u64 nr, u64 a0, u64 a1, u64 a2);
struct pvx_vcpu_shared *refhv_shared_page(unsigned int cpu);

/* The pvclock record in a shared page (inline: the noinstr sched_clock). */
static __always_inline struct pvclock_vcpu_time_info *refhv_time(struct pvx_vcpu_shared *s)
{
	return (struct pvclock_vcpu_time_info *)&s->time;
}

/* The longest a pv spinlock waiter sleeps without a kick or an interrupt. */
#define REFHV_WAIT_NS	(10 * NSEC_PER_MSEC)

#endif /* _PVX_REFHV_H */
