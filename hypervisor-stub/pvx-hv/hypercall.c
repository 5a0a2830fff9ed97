// SPDX-License-Identifier: GPL-2.0
/*
 * PVX hypercalls: the port-I/O transport on KVM, served by libpvxhv.
 *
 * The guest finds the PVX leaves in CPUID (personality pvx or both); leaf
 * base+2 names the transport (I/O port) and HYPERCALL_PORT. A hypercall
 * is "outl %eax, %dx": KVM exits with KVM_EXIT_IO on that port, and
 * KVM_CAP_SYNC_REGS has already put the guest's registers in kvm_run. We
 * hand them to pvxhv_hypercall(), which decodes, validates, copies guest
 * memory once and dispatches to the callbacks below; its result goes
 * back in RAX (kvm_dirty_regs) and KVM completes the OUT on re-entry.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <pvxhv.h>

#include "pvx-hv.h"

#define HYPERCALL_PORT	0x5058		/* "PX"; the guest reads it from CPUID */

bool hypercall_port(struct vm *vm, uint16_t port)
{
	return vm->hv && port == HYPERCALL_PORT;
}

/*
 * Guest time, the clock of the guest's time record, in ns.  The record
 * libpvxhv keeps counts CLOCK_MONOTONIC from t0.  The one KVM keeps
 * (kvmrecords.c) is kvmclock, which counts from the VM's creation (before
 * t0), at the rate of the host's raw clock rather than CLOCK_MONOTONIC's
 * NTP-slewed one, and on across a host suspend: the two part by
 * milliseconds at once and by up to 500 ppm after.  So then guest time is
 * KVM's clock as KVM_GET_CLOCK reads it, which is what the guest reads
 * (since Linux 4.9 where KVM runs a master clock).
 */
static uint64_t guest_now(struct vm *vm)
{
	struct kvm_clock_data clock = { 0 };

	if (vm->kvmclock && !ioctl(vm->fd, KVM_GET_CLOCK, &clock))
		return clock.clock;
	return now_ns() - vm->t0_ns;
}

/* Guest time as CLOCK_MONOTONIC; a deadline past the end of time saturates. */
static uint64_t host_ns(struct vm *vm, uint64_t guest_ns)
{
	uint64_t guest, now;

	if (!vm->kvmclock)
		return guest_ns > UINT64_MAX - vm->t0_ns ? UINT64_MAX : vm->t0_ns + guest_ns;
	guest = guest_now(vm);
	now = now_ns();
	if (guest_ns <= guest)
		return now;
	return guest_ns - guest > UINT64_MAX - now ? UINT64_MAX : now + (guest_ns - guest);
}

/* ---- libpvxhv's callbacks; opaque is the struct vm ---- */

static uint64_t cb_clock_ns(void *opaque)
{
	return guest_now(opaque);
}

/*
 * WALL_CLOCK, where libpvxhv writes it: the wall-clock time now.  It
 * subtracts the guest time it reads next (cb_clock_ns()), for the
 * wall-clock time at guest time 0, whichever clock guest time is: as
 * KVM writes CLOCK_REALTIME less kvmclock into a wall clock it keeps.
 */
static uint64_t cb_realtime_ns(void *opaque)
{
	struct timespec t;

	(void)opaque;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Where the records KVM keeps for vcpu are from now on (kvmrecords.c). */
static void cb_records(void *opaque, uint32_t vcpu, const uint64_t gpa[PVXHV_NR_RECORDS])
{
	kvm_records_moved(opaque, vcpu, gpa);
}

/* The calling vCPU's TSC, as the guest reads it (called on its thread). */
static int cb_guest_tsc(void *opaque, uint32_t vcpu, uint64_t *tsc)
{
	struct vm *vm = opaque;

	return vcpu_msr(vm->cpus[vcpu].fd, KVM_GET_MSRS, MSR_IA32_TSC, tsc) ? -1 : 0;
}

static void cb_block(void *opaque, uint32_t vcpu, uint64_t deadline_ns, uint64_t token,
		     bool irqs_masked)
{
	struct vcpu *c = &((struct vm *)opaque)->cpus[vcpu];

	/* Noted here, done by the run loop once the hypercall returns. */
	c->block = true;
	c->block_masked = irqs_masked;
	c->block_token = token;
	c->block_deadline = deadline_ns ? host_ns(c->vm, deadline_ns) : 0;
	c->block_injected = atomic_load(&c->injected);
}

static void cb_kick(void *opaque, uint32_t vcpu)
{
	struct vm *vm = opaque;

	vcpu_kick(&vm->cpus[vcpu]);
}

static void cb_yield(void *opaque, uint32_t vcpu)
{
	struct vcpu *c = &((struct vm *)opaque)->cpus[vcpu];

	/* on c's thread, RAX still the number of the call being served */
	if (c->run->s.regs.regs.rax == PVX_HC_multicall)
		c->st.batched_yields++;
	sched_yield();
}

/*
 * A fixed, edge-triggered interrupt through the in-kernel local APIC; it
 * also ends a block the vCPU waits out in pvx-hv (vcpu.c: vcpu_wait).
 */
static void cb_inject(void *opaque, uint32_t vcpu, uint8_t vector)
{
	struct vm *vm = opaque;
	struct vcpu *c = &vm->cpus[vcpu];
	struct kvm_msi msi = {
		.address_lo = LAPIC_ADDR | vcpu << 12,	/* physical destination */
		.data = vector,
	};

	ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);
	atomic_fetch_add(&c->injected, 1);
	if (atomic_load(&c->waiting))
		vcpu_kick(c);
}

/* The set_timer hypercall, on the vCPU's own thread; 0 cancels. */
static void cb_set_timer(void *opaque, uint32_t vcpu, uint64_t deadline_ns)
{
	struct vm *vm = opaque;

	vcpu_set_timer(&vm->cpus[vcpu], deadline_ns ? host_ns(vm, deadline_ns) : 0);
}

/* FLUSH_TLB: the vCPUs the library found running, all at once (tlbflush.c). */
static void cb_flush_tlb_many(void *opaque, const uint32_t *vcpus, uint32_t n)
{
	tlbflush_many(opaque, vcpus, n);
}

static void cb_console(void *opaque, uint32_t vcpu, const char *buf, size_t len)
{
	(void)vcpu;
	serial_print(opaque, buf, len);
}

static void cb_shutdown(void *opaque, uint32_t vcpu, uint32_t reason, uint32_t code)
{
	struct vm *vm = opaque;

	if (reason == PVX_SHUTDOWN_CRASH) {
		PVX_HV_LOG("vcpu %u: the guest reports a crash, code %u", vcpu, code);
		vm_finish(vm, HV_ECRASH);
		return;
	}
	vm_finish(vm, code > HV_GUEST_MAX ? HV_GUEST_MAX : (int)code);
}

static const struct pvxhv_ops ops = {
	.clock_ns = cb_clock_ns,
	.guest_tsc = cb_guest_tsc,
	.block = cb_block,
	.kick = cb_kick,
	.yield = cb_yield,
	.inject = cb_inject,
	.set_timer = cb_set_timer,
	.flush_tlb_many = cb_flush_tlb_many,
	.console = cb_console,
	.shutdown = cb_shutdown,
	.realtime_ns = cb_realtime_ns,
	.records = cb_records,
};

/* A libpvxhv instance for vm, as its flags configure it; NULL: refused (said why). */
static struct pvxhv *hv_create(struct vm *vm)
{
	struct pvxhv_mem_region ram = { .gpa = 0, .size = vm->ram_size, .hva = vm->ram };
	struct pvxhv_config cfg = {
		.nr_vcpus = vm->ncpus,
		.transport = PVX_TRANSPORT_IOPORT,
		.io_port = HYPERCALL_PORT,
		.cpuid_base = PVX_CPUID_SCAN_FIRST,
		.abi_version = vm->pvx_abi,
		.features = vm->pvx_features,
		.tsc_khz = vm->tsc_khz,		/* every vCPU's (tsc_setup()): the time record's scale */
		.regions = &ram,
		.nr_regions = 1,
		.ops = &ops,
		.opaque = vm,
	};
	struct pvxhv *hv;

	if (!vm->flush_tlb)
		cfg.features &= ~PVX_FEATURE(FLUSH_TLB);
	if (vm->hostile)
		hostile_config(vm, &cfg);
	hv = pvxhv_create(&cfg);
	if (!hv)
		PVX_HV_LOG("libpvxhv refused the configuration (%d vCPUs, ABI %u.%u, features %#llx, "
			   "TSC %u kHz, %llu MiB of RAM): %s", vm->ncpus,
			   PVX_ABI_MAJOR(cfg.abi_version), PVX_ABI_MINOR(cfg.abi_version),
			   (unsigned long long)cfg.features, cfg.tsc_khz,
			   (unsigned long long)(vm->ram_size >> 20), strerror(errno));
	/* the records KVM keeps, with every instance (libpvxhv does not save that) */
	if (hv && kvm_records_delegate(vm, hv)) {
		pvxhv_destroy(hv);
		hv = NULL;
	}
	return hv;
}

int hypercall_init(struct vm *vm)
{
	vm->t0_ns = now_ns();
	if (vm->pers != PERS_PVX && vm->pers != PERS_BOTH)
		return 0;
	vm->flush_tlb = (vm->pvx_features & PVX_FEATURE(FLUSH_TLB)) && tlbflush_supported(vm);
	kvm_records_init(vm);
	vm->hv = hv_create(vm);
	return vm->hv ? 0 : HV_EINTERNAL;
}

/*
 * --reinstance, with every vCPU paused (vm_pause()): save libpvxhv's
 * state, destroy the instance, create a new one and restore the state
 * into it, as a VMM does across a snapshot or a migration.  pvx-hv's own
 * state (armed set_timer deadlines, its clock's t0) stays as it is.
 */
int hypercall_reinstance(struct vm *vm)
{
	int64_t size = pvxhv_save(vm->hv, NULL, 0);
	void *blob = size > 0 ? malloc(size) : NULL;
	int err;

	int64_t saved = blob ? pvxhv_save(vm->hv, blob, size) : 0;

	if (saved != size || size <= 0) {
		PVX_HV_LOG("cannot save libpvxhv's state: %s", size < 0 ? strerror((int)-size) :
			   !blob ? "out of memory" : "its size changed");
		free(blob);
		return HV_EINTERNAL;
	}
	pvxhv_destroy(vm->hv);
	vm->hv = hv_create(vm);
	if (!vm->hv) {
		free(blob);
		return HV_EINTERNAL;
	}
	err = pvxhv_restore(vm->hv, blob, size);
	free(blob);
	if (err) {
		PVX_HV_LOG("libpvxhv refused its own state: %s", strerror(-err));
		return HV_EINTERNAL;
	}
	vm->reinstanced++;
	return 0;
}

/* The PVX leaves, from the library, at PVX_CPUID_SCAN_FIRST. */
void hypercall_cpuid(struct vm *vm, struct kvm_cpuid2 *c,
		     void (*add)(struct kvm_cpuid2 *, const struct kvm_cpuid_entry2 *))
{
	uint32_t r[4];

	for (uint32_t leaf = PVX_CPUID_SCAN_FIRST;
	     vm->hv && pvxhv_cpuid(vm->hv, leaf, r); leaf++) {
		if (vm->hostile)
			hostile_cpuid(vm, leaf - PVX_CPUID_SCAN_FIRST, r);
		struct kvm_cpuid_entry2 e = {
			.function = leaf, .eax = r[0], .ebx = r[1], .ecx = r[2], .edx = r[3],
		};
		add(c, &e);
	}
}

/* Before KVM_RUN: the library refreshes the vCPU's shared page; a deferred flush. */
void hypercall_enter(struct vcpu *c)
{
	struct vm *vm = c->vm;
	uint64_t steal;

	if (!vm->hv)
		return;
	if (vm->hostile)
		hostile_unbend(c);
	/* KVM accounts the steal time in a steal record it keeps itself */
	steal = kvm_records_steal_kept(c) ? 0 : steal_ns(c);
	if (vm->hostile)
		steal = hostile_steal(c, steal);
	if (pvxhv_vcpu_enter(vm->hv, c->id, steal) & PVXHV_ENTER_FLUSH_TLB)
		tlbflush_on_entry(c);
	if (vm->hostile)
		hostile_enter(c);
}

/* During or at the end of a block: a kick since the token ends it, and is consumed. */
bool hypercall_kicked(struct vcpu *c)
{
	return c->vm->hv && pvxhv_kicked(c->vm->hv, c->id, c->block_token);
}

/* c's set_timer deadline passed: the library injects its vector. */
void hypercall_timer_expired(struct vcpu *c)
{
	if (c->vm->hv && pvxhv_timer_expired(c->vm->hv, c->id) > 0)
		c->st.timers++;
}

void hypercall(struct vcpu *c)
{
	struct kvm_regs *k = &c->run->s.regs.regs;
	struct pvxhv_regs r = {
		.rax = k->rax, .rbx = k->rbx, .rcx = k->rcx,
		.rsi = k->rsi, .rdi = k->rdi, .r8 = k->r8, .rflags = k->rflags,
	};

	c->st.hcalls[r.rax < STAT_HCALLS ? r.rax : STAT_HCALLS]++;
	if (!c->vm->hostile || !hostile_before(c->vm, &r)) {
		struct pvxhv_regs call = r;

		pvxhv_hypercall(c->vm->hv, c->id, &r);
		/* a multicall that succeeded ran all its calls (RCX <= 64) */
		if (k->rax == PVX_HC_multicall && !r.rax && k->rcx) {
			c->st.batches++;
			c->st.batched += k->rcx;
		}
		/* FLUSH_TLB trusts KVM's record of a vCPU while its page is registered */
		if (c->vm->flush_tlb && k->rax == PVX_HC_register_shared_page && !r.rax)
			tlbflush_shared_page(c, k->rbx != PVX_GPA_NONE);
		if (c->vm->flush_tlb && k->rax == PVX_HC_soft_reset && !r.rax)
			tlbflush_soft_reset(c->vm);
		/* last: the bookkeeping above goes by what the library did */
		if (c->vm->hostile)
			hostile_after(c, &call, &r);
	}
	k->rax = r.rax;
	c->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

const char *hypercall_name(unsigned int nr)
{
	return pvxhv_hypercall_name(nr);
}

void hypercall_exit(struct vm *vm)
{
	pvxhv_destroy(vm->hv);
	vm->hv = NULL;
}
