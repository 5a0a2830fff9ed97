// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: what KVM supports on this host, with the hypervisor range
 * (0x40000000..0x4000ffff) rebuilt for the chosen personality:
 *   none  nothing there, hypervisor bit clear: the guest sees bare metal;
 *   pvx   the PVX leaves at 0x40000000;
 *   kvm   KVM's own leaves at 0x40000000;
 *   both  PVX at 0x40000000 and KVM's at 0x40000100.
 * Guests scan the range in steps of 0x100 for a signature they know.
 * With KVM's leaves comes the timing leaf base+0x10 (TSC and local APIC
 * timer frequencies in kHz, as VMware defined it and QEMU offers it).
 *
 * The topology is one package of N cores, one thread each, APIC ids 0..N-1
 * (leaves 1, 0xb, 0x1f, 0x80000001, 0x80000008, 0x8000001e): that is what
 * the vCPUs are, sharing one TSC. (KVM passes on the host's topology, which
 * inside the L1 VM is one CPU: N vCPUs then looked like N packages, and
 * Linux assumes that an AMD system with several packages and no invariant
 * TSC has unsynchronized TSCs.) The TSC-deadline mode of the local APIC
 * timer, which KVM emulates but does not report, is reported.
 *
 * The TSC frequency (vm->tsc_khz) is in leaves 0x15 and 0x16 where KVM has
 * them (it zeroes them): Linux reads them on Intel CPUs only. Leaf 0x15's
 * "crystal" is the clock of KVM's local APIC timer, 1 GHz, and TSC/crystal
 * the closest fraction whose numerator keeps Linux's 32-bit product
 * crystal_khz * numerator from overflowing.
 */
#include <asm/kvm_para.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pvx-hv.h"

#define HV_BASE		0x40000000u
#define HV_END		0x40010000u
#define HV_STRIDE	0x100u
#define CPUID_MAX	256
#define CPUID_SIZE	(sizeof(struct kvm_cpuid2) + CPUID_MAX * sizeof(struct kvm_cpuid_entry2))
#define KVM_TIMING	0x10u		/* the timing leaf, from a KVM base */
#define APIC_BUS_KHZ	1000000u	/* KVM's local APIC timer: 1 GHz */
#define TOPO_LEVELS	3		/* leaf 0xb/0x1f subleaves: SMT, core, end */

enum {					/* CPUID bits */
	CPUID_1_ECX_TSC_DEADLINE	= 1u << 24,
	CPUID_1_ECX_HYPERVISOR		= 1u << 31,
	CPUID_1_EDX_HTT			= 1u << 28,
	CPUID_80000001_ECX_CMP_LEGACY	= 1u << 1,
};

static bool in_hv_range(uint32_t fn)
{
	return fn >= HV_BASE && fn < HV_END;
}

static void add(struct kvm_cpuid2 *c, const struct kvm_cpuid_entry2 *e)
{
	if (c->nent < CPUID_MAX)
		c->entries[c->nent++] = *e;
}

/* Leaf 0's vendor: "AuthenticAMD" or "HygonGenuine" (EBX "Auth", "Hygo"). */
static bool is_amd(const struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0)
			return !memcmp(&c->entries[i].ebx, "Auth", 4) ||
			       !memcmp(&c->entries[i].ebx, "Hygo", 4);
	return false;
}

/* Bits of APIC id that number the cores of the package. */
static uint32_t core_bits(int ncpus)
{
	uint32_t bits = 0;

	while ((1 << bits) < ncpus)
		bits++;
	return bits;
}

/*
 * The package's own view of itself, in the leaves that describe it. Leaves
 * 0xb and 0x1f are rebuilt whole (cpuid_build); the APIC id in them and in
 * leaf 1 is each vCPU's (cpuid_set).
 */
static void topology(struct kvm_cpuid_entry2 *e, int ncpus, bool amd)
{
	uint32_t bits = core_bits(ncpus);

	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0xff00ffff) | (1u << bits) << 16;	/* ids per package */
		e->edx = ncpus > 1 ? e->edx | CPUID_1_EDX_HTT : e->edx & ~CPUID_1_EDX_HTT;
		break;
	case 0x80000001:
		if (amd)
			e->ecx = ncpus > 1 ? e->ecx | CPUID_80000001_ECX_CMP_LEGACY :
					     e->ecx & ~CPUID_80000001_ECX_CMP_LEGACY;
		break;
	case 0x80000008:
		if (amd)
			e->ecx = (e->ecx & ~0xf0ffu) | bits << 12 | (ncpus - 1);
		break;
	}
}

/* The best p/q ~ num/den with p <= pmax (continued fractions). */
static void fraction(uint64_t num, uint64_t den, uint64_t pmax, uint32_t *p, uint32_t *q)
{
	uint64_t p0 = 0, q0 = 1, p1 = 1, q1 = 0;

	while (den) {			/* at most ~90 steps for 64-bit values */
		uint64_t a = num / den, t = num % den;
		uint64_t p2 = a * p1 + p0, q2 = a * q1 + q0;

		if (p2 > pmax)
			break;
		p0 = p1, q0 = q1, p1 = p2, q1 = q2;
		num = den, den = t;
	}
	*p = p1, *q = q1 ? q1 : 1;
}

static void tsc_leaves(struct kvm_cpuid_entry2 *e, uint32_t tsc_khz)
{
	if (e->function == 0x15) {	/* TSC = crystal * EBX / EAX, crystal in ECX (Hz) */
		fraction(tsc_khz, APIC_BUS_KHZ, UINT32_MAX / APIC_BUS_KHZ, &e->ebx, &e->eax);
		e->ecx = APIC_BUS_KHZ * 1000;
		e->edx = 0;
	} else if (e->function == 0x16) {	/* base, maximum and bus MHz */
		e->eax = e->ebx = tsc_khz / 1000;
		e->ecx = APIC_BUS_KHZ / 1000;
		e->edx = 0;
	}
}

/* Leaf 0xb or 0x1f, subleaf i: thread, core, then the end of the list. */
static struct kvm_cpuid_entry2 topology_leaf(uint32_t fn, uint32_t i, int ncpus)
{
	static const uint32_t type[TOPO_LEVELS] = { 1, 2, 0 };	/* SMT, core, invalid */
	struct kvm_cpuid_entry2 e = {
		.function = fn, .index = i, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		.ecx = type[i] << 8 | i,
	};

	if (i == 0)
		e.ebx = 1;
	if (i == 1)
		e.eax = core_bits(ncpus), e.ebx = ncpus;
	return e;
}

/* What KVM supports, CPUID_MAX entries at most; NULL (errno set) if unknown. */
static struct kvm_cpuid2 *cpuid_supported(struct vm *vm)
{
	struct kvm_cpuid2 *sup = calloc(1, CPUID_SIZE);

	if (!sup)
		return NULL;
	sup->nent = CPUID_MAX;
	if (ioctl(vm->kvm, KVM_GET_SUPPORTED_CPUID, sup) < 0) {
		free(sup);
		return NULL;
	}
	return sup;
}

/* KVM's own PV features (its leaf KVM_CPUID_FEATURES, EAX); 0 if none. */
uint32_t cpuid_kvm_features(struct vm *vm)
{
	struct kvm_cpuid2 *sup = cpuid_supported(vm);
	uint32_t eax = 0;

	for (uint32_t i = 0; sup && i < sup->nent; i++)
		if (sup->entries[i].function == KVM_CPUID_FEATURES)
			eax = sup->entries[i].eax;
	free(sup);
	return eax;
}

struct kvm_cpuid2 *cpuid_build(struct vm *vm)
{
	enum personality pers = vm->pers;
	struct kvm_cpuid2 *sup = cpuid_supported(vm), *c = calloc(1, CPUID_SIZE);
	struct kvm_cpuid_entry2 kvm_leaves[2] = { 0 };
	int nkvm = 0;
	bool deadline = ioctl(vm->kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	bool amd, topo_0xb = false, topo_0x1f = false;

	if (!sup || !c)
		goto fail;
	amd = is_amd(sup);

	for (uint32_t i = 0; i < sup->nent; i++) {
		struct kvm_cpuid_entry2 e = sup->entries[i];

		if (e.function == 0xb || e.function == 0x1f) {
			topo_0xb |= e.function == 0xb;
			topo_0x1f |= e.function == 0x1f;
		} else if (!in_hv_range(e.function)) {
			if (e.function == 1 && pers != PERS_NONE)
				e.ecx |= CPUID_1_ECX_HYPERVISOR;	/* "running on a hypervisor" */
			if (e.function == 1 && pers == PERS_NONE)
				e.ecx &= ~CPUID_1_ECX_HYPERVISOR;
			if (e.function == 1 && deadline)
				e.ecx |= CPUID_1_ECX_TSC_DEADLINE;
			topology(&e, vm->ncpus, amd);
			tsc_leaves(&e, vm->tsc_khz);
			add(c, &e);
		} else if (e.function - HV_BASE < 2 && nkvm < 2) {
			kvm_leaves[nkvm++] = e;		/* KVMKVMKVM, features */
		}
	}
	for (uint32_t i = 0; i < TOPO_LEVELS; i++) {
		struct kvm_cpuid_entry2 e0 = topology_leaf(0xb, i, vm->ncpus);
		struct kvm_cpuid_entry2 e1 = topology_leaf(0x1f, i, vm->ncpus);

		if (topo_0xb)
			add(c, &e0);
		if (topo_0x1f)
			add(c, &e1);
	}

	uint32_t kvm_base = pers == PERS_BOTH ? HV_BASE + HV_STRIDE : HV_BASE;

	if (pers == PERS_PVX || pers == PERS_BOTH)
		hypercall_cpuid(vm, c, add);	/* at HV_BASE */
	if (pers == PERS_KVM || pers == PERS_BOTH) {
		struct kvm_cpuid_entry2 timing = {
			.function = kvm_base + KVM_TIMING, .eax = vm->tsc_khz, .ebx = APIC_BUS_KHZ,
		};

		for (int i = 0; i < nkvm; i++) {
			struct kvm_cpuid_entry2 e = kvm_leaves[i];

			if (e.function == HV_BASE)
				e.eax = timing.function;	/* highest leaf of the range */
			e.function = e.function - HV_BASE + kvm_base;
			add(c, &e);
		}
		add(c, &timing);
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
		if (e->function == 0x8000001e) {	/* AMD TOPOEXT: core c->id, node 0 */
			e->eax = c->id;
			e->ebx = c->id;
			e->ecx = 0;
		}
		if (e->function == 0xd && e->index == 0)
			xcrs.xcrs[0].value = e->eax | (uint64_t)e->edx << 32;
	}
	r = ioctl(c->fd, KVM_SET_CPUID2, mine);
	free(mine);
	if (!r && xcrs.xcrs[0].value)
		ioctl(c->fd, KVM_SET_XCRS, &xcrs);	/* best effort */
	return r;
}
