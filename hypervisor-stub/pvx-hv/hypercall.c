// SPDX-License-Identifier: GPL-2.0
/*
 * The PVX hypercall transport, served by libpvxhv (not yet wired in).
 */
#include "pvx-hv.h"

bool hypercall_port(uint16_t port)
{
	(void)port;
	return false;
}

void hypercall_cpuid(struct kvm_cpuid2 *c, uint32_t base,
		     void (*add)(struct kvm_cpuid2 *, const struct kvm_cpuid_entry2 *))
{
	(void)c, (void)base, (void)add;
}

int hypercall_init(struct vm *vm)
{
	(void)vm;
	return 0;
}

void hypercall(struct vcpu *c)
{
	(void)c;
}

const char *hypercall_name(unsigned int nr)
{
	(void)nr;
	return "?";
}

void hypercall_exit(struct vm *vm)
{
	(void)vm;
}
