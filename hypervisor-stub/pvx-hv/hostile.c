// SPDX-License-Identifier: GPL-2.0
/*
 * --hostile MODE: pvx-hv misbehaves on purpose, so the tests can show
 * that a guest survives a hypervisor that lies.  Each mode bends one
 * answer of the PVX ABI; everything else is served by libpvxhv as usual.
 *
 *   abi-high        negotiate answers a version above the one offered
 *   features-extra  negotiate grants a feature that was never offered
 *   register-error  register_shared_page fails with -PVX_EINVAL
 *   time-odd        the shared page's time record version stays odd
 *   page-unfilled   register_shared_page succeeds, the page stays empty
 *   shutdown-returns  shutdown(POWEROFF) returns 0 and the VM runs on
 *
 * and two hosts of other versions, for the version-skew tests:
 *
 *   future-minor    CPUID announces ABI 1.(latest+1) and a feature bit no
 *                   released minor defines; the rest is served as the
 *                   latest minor, which is all a guest of a released
 *                   minor can ask for (negotiate answers min(offered,
 *                   served), unknown calls are ENOSYS either way)
 *   other-major     CPUID announces ABI (major+1).0, and negotiate
 *                   refuses any other major with -PVX_EPROTONOSUPPORT
 */
#include <stddef.h>
#include <string.h>

#include <pvx/abi.h>

#include <pvxhv.h>

#include "pvx-hv.h"

static const char *const hostile_names[] = {
	[HOSTILE_ABI_HIGH] = "abi-high",
	[HOSTILE_FEATURES_EXTRA] = "features-extra",
	[HOSTILE_REGISTER_ERROR] = "register-error",
	[HOSTILE_TIME_ODD] = "time-odd",
	[HOSTILE_PAGE_UNFILLED] = "page-unfilled",
	[HOSTILE_SHUTDOWN_RETURNS] = "shutdown-returns",
	[HOSTILE_FUTURE_MINOR] = "future-minor",
	[HOSTILE_OTHER_MAJOR] = "other-major",
};

/* The future minor's feature: the bit above the latest minor's last. */
#define FUTURE_FEATURE_BIT	(PVX_FEATURE_BIT_PV_IPI + 1)

/* The PVX leaves the guest sees: bend base+1's version and features. */
void hostile_cpuid(struct vm *vm, uint32_t offset, uint32_t r[4])
{
	if (offset != PVX_CPUID_LEAF_VERSION)
		return;
	if (vm->hostile == HOSTILE_FUTURE_MINOR) {
		r[0] = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR + 1);
		r[1] |= 1u << FUTURE_FEATURE_BIT;
	} else if (vm->hostile == HOSTILE_OTHER_MAJOR) {
		r[0] = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR + 1, 0);
	}
}

int hostile_parse(const char *s, enum hostile *mode)
{
	for (size_t i = 1; i < sizeof(hostile_names) / sizeof(hostile_names[0]); i++) {
		if (!strcmp(s, hostile_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -1;
}

/* The guest's bytes at gpa, or NULL unless all len of them are RAM. */
static void *guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

/* Before the library: answer register_shared_page ourselves. */
bool hostile_before(struct vm *vm, struct pvxhv_regs *r)
{
	struct pvx_vcpu_shared s = { .size = sizeof(s), .flags = PVX_VCPU_TIME_VALID };
	void *page;

	if (vm->hostile == HOSTILE_OTHER_MAJOR && r->rax == PVX_HC_negotiate) {
		r->rax = (uint64_t)-PVX_EPROTONOSUPPORT;
		return true;
	}
	if (vm->hostile == HOSTILE_SHUTDOWN_RETURNS && r->rax == PVX_HC_shutdown &&
	    r->rbx == PVX_SHUTDOWN_POWEROFF) {
		r->rax = 0;
		return true;
	}
	if (r->rax != PVX_HC_register_shared_page ||
	    (vm->hostile != HOSTILE_REGISTER_ERROR && vm->hostile != HOSTILE_TIME_ODD &&
	     vm->hostile != HOSTILE_PAGE_UNFILLED))
		return false;
	if (r->rbx == PVX_GPA_NONE) {
		r->rax = 0;
		return true;
	}
	page = guest_ptr(vm, r->rbx, sizeof(s));
	if (vm->hostile == HOSTILE_REGISTER_ERROR || !page) {
		r->rax = (uint64_t)-PVX_EINVAL;
		return true;
	}
	if (vm->hostile == HOSTILE_TIME_ODD) {
		s.time.version = 1;
		memcpy(page, &s, sizeof(s));
	}
	r->rax = 0;
	return true;
}

/* After the library: bend a successful negotiate's answer in guest memory. */
void hostile_after(struct vm *vm, uint64_t nr, uint64_t gpa, int64_t ret)
{
	struct pvx_negotiate *n;

	if (nr != PVX_HC_negotiate || ret != 0)
		return;
	n = guest_ptr(vm, gpa, offsetof(struct pvx_negotiate, features) + sizeof(n->features));
	if (!n)
		return;
	if (vm->hostile == HOSTILE_ABI_HIGH)
		n->version = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR + 1);
	else if (vm->hostile == HOSTILE_FEATURES_EXTRA)
		n->features |= 1ull << 63;
}
