// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what KVM supports on this host, with the hypervisor range
 * (0x40000000..0x4000ffff) rebuilt for the chosen personality:
 *   none  nothing there, hypervisor bit clear: the guest sees bare metal;
 *   pvx   the PVX leaves at 0x40000000;
 *   kvm   KVM's own leaves at 0x40000000;
 *   both  PVX at 0x40000000 and KVM's at 0x40000100.
 * Guests scan the range in steps of 0x100 for a signature they know.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pvx-hv.h"

#define HV_BASE		0x40000000u
#define HV_END		0x40010000u
#define HV_STRIDE	0x100u
#define CPUID_MAX	256

static bool in_hv_range(uint32_t fn)
{
	return fn >= HV_BASE && fn < HV_END;
}

static void add(struct kvm_cpuid2 *c, const struct kvm_cpuid_entry2 *e)
{
	if (c->nent < CPUID_MAX)
		c->entries[c->nent++] = *e;
}

struct kvm_cpuid2 *cpuid_build(struct vm *vm)
{
	enum personality pers = vm->pers;
	size_t sz = sizeof(struct kvm_cpuid2) + CPUID_MAX * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *sup = calloc(1, sz), *c = calloc(1, sz);
	struct kvm_cpuid_entry2 kvm_leaves[2] = { 0 };
	int nkvm = 0;

	if (!sup || !c)
		goto fail;
	sup->nent = CPUID_MAX;
	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, sup) < 0)
		goto fail;

	for (uint32_t i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];

		if (!in_hv_range(e.function)) {
			if (e.function == 1 && pers != PERS_NONE)
				e.ecx |= 1u << 31;	/* "running on a hypervisor" */
			if (e.function == 1 && pers == PERS_NONE)
				e.ecx &= ~(1u << 31);
			add(c, &e);
		} else if (e.function - HV_BASE < 2 && nkvm < 2) {
			kvm_leaves[nkvm++] = e;		/* KVMKVMKVM, features */
		}
	}

	uint32_t kvm_base = pers == PERS_BOTH ? HV_BASE + HV_STRIDE : HV_BASE;

	if (pers == PERS_PVX || pers == PERS_BOTH)
		hypercall_cpuid(vm, c, add);	/* at HV_BASE */
	if (pers == PERS_KVM || pers == PERS_BOTH) {
		for (int i = 0; i < nkvm; i++) {
			struct kvm_cpuid_entry2 e = kvm_leaves[i];

			if (e.function == HV_BASE)
				e.eax = kvm_base + 1;	/* highest leaf of the range */
			e.function = e.function - HV_BASE + kvm_base;
			add(c, &e);
		}
	}
	free(sup);
	return c;
fail:
	PVX_HV_LOG("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	free(sup);
	free(c);
	return NULL;
}

/*
 * Per vCPU: the initial APIC id in leaves 1, 0xb and 0x1f. Also XCR0 =
 * every state component leaf 0xd offers, which is what Linux enables: KVM
 * then reports the matching XSAVE size in leaf 0xd from the start. (It
 * updates it when the guest writes XCR0, but KVM nested under QEMU TCG
 * never sees that write, and the guest would warn about the mismatch.)
 */
int cpuid_set(struct vcpu *c, const struct kvm_cpuid2 *tmpl)
{
	size_t sz = sizeof(*tmpl) + tmpl->nent * sizeof(tmpl->entries[0]);
	struct kvm_cpuid2 *mine = malloc(sz);
	struct kvm_xcrs xcrs = { .nr_xcrs = 1 };
	int r;

	if (!mine)
		return -1;
	memcpy(mine, tmpl, sz);
	for (uint32_t i = 0; i < mine->nent; i++) {
		struct kvm_cpuid_entry2 *e = &mine->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffff) | (uint32_t)c->id << 24;
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = c->id;
		if (e->function == 0xd && e->index == 0)
			xcrs.xcrs[0].value = e->eax | (uint64_t)e->edx << 32;
	}
	r = ioctl(c->fd, KVM_SET_CPUID2, mine);
	free(mine);
	if (!r && xcrs.xcrs[0].value)
		ioctl(c->fd, KVM_SET_XCRS, &xcrs);	/* best effort */
	return r;
}
