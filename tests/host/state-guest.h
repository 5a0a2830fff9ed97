/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest state worth saving, for the save/restore test and fuzzer
 * (tests/host/test-state.c, fuzz-state.c).
 */
#ifndef PVX_TESTS_STATE_GUEST_H
#define PVX_TESTS_STATE_GUEST_H

#include "fakevm.h"

#define STATE_PAGE0	0x8000ull		/* vCPU 0's shared page */
#define STATE_PAGE1	0x9000ull		/* vCPU 1's */
#define STATE_PAGE3	0xa000ull		/* vCPU 3's */
#define STATE_TIME1	0xb040ull		/* vCPU 1's moved time record */
#define STATE_MASK	0x3000ull		/* a flush_tlb mask */
#define STATE_VECTOR	0xec			/* vCPU 1's timer */
#define STATE_DEADLINE	5000000000ull
#define STATE_STEAL	1234ull			/* vCPU 0's steal time */

/*
 * Bring m (4 vCPUs or more) up the way a guest would: negotiate the
 * latest version with features, shared pages on vCPUs 0 and 1, steal
 * time on 0, a kick pending on 0, a timer armed on 1, a flush deferred
 * for the preempted vCPU 2; with STABLE_TIME vCPU 1's time record moved
 * to STATE_TIME1, with STEAL_RECORD vCPU 3's page registered and its
 * steal record marked preempted.  0, or the line of the first step that
 * failed.
 */
static inline int state_guest_setup_with(struct fvm *m, uint64_t features)
{
	uint64_t mask = 1u << 2, f;

#define STATE_STEP(c)	do { if (!(c)) return __LINE__; } while (0)
	STATE_STEP(fvm_negotiate(m, PVX_ABI_VERSION_LATEST, features) == 0);
	STATE_STEP(pvxhv_negotiated(m->hv, NULL, &f));
	STATE_STEP(fvm_call(m, 0, PVX_HC_register_shared_page, STATE_PAGE0, 0, 0, 0, 0) == 0);
	STATE_STEP(fvm_call(m, 1, PVX_HC_register_shared_page, STATE_PAGE1, 0, 0, 0, 0) == 0);
	STATE_STEP(pvxhv_vcpu_enter(m->hv, 0, STATE_STEAL) == 0);
	STATE_STEP(pvxhv_kick(m->hv, 0) == 0);
	STATE_STEP(fvm_call(m, 1, PVX_HC_set_timer, STATE_DEADLINE, STATE_VECTOR, 0, 0, 0) == 0);
	STATE_STEP(m->timer[1] == STATE_DEADLINE);
	STATE_STEP(pvxhv_vcpu_preempt(m->hv, 2) == 0);
	memcpy(fvm_host(m, STATE_MASK, sizeof(mask)), &mask, sizeof(mask));
	STATE_STEP(fvm_call(m, 0, PVX_HC_flush_tlb, STATE_MASK, 4, 0, 0, 0) == 1);	/* deferred */
	if (f & PVX_FEATURE(STABLE_TIME))
		STATE_STEP(fvm_call(m, 1, PVX_HC_set_time_record, STATE_TIME1, 0, 0, 0, 0) == 0);
	if (f & PVX_FEATURE(STEAL_RECORD)) {
		STATE_STEP(fvm_call(m, 3, PVX_HC_register_shared_page, STATE_PAGE3, 0, 0, 0, 0) == 0);
		STATE_STEP(pvxhv_vcpu_preempt(m->hv, 3) == 0);
	}
#undef STATE_STEP
	return 0;
}

/* ... with every feature. */
static inline int state_guest_setup(struct fvm *m)
{
	return state_guest_setup_with(m, ~0ull);
}

#endif /* PVX_TESTS_STATE_GUEST_H */
