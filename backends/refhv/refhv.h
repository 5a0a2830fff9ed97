/* SPDX-License-Identifier: GPL-2.0 */
/* refhv's internals, for its KUnit suite (tests/refhv_kunit.c). */
#ifndef _PVX_REFHV_H
#define _PVX_REFHV_H

#include <linux/types.h>

struct pvx_vcpu_shared;

long refhv_hypercall(u64 nr, u64 a0, u64 a1);
struct pvx_vcpu_shared *refhv_shared_page(unsigned int cpu);

#endif /* _PVX_REFHV_H */
