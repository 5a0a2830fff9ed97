/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpvxhv: the PVX hypercall ABI implemented once for any VMM.
 *
 * The VMM describes the guest (vCPU count, guest RAM or memory accessors,
 * transport) and gives a table of callbacks.  On every hypercall exit it
 * copies the guest's registers into struct pvxhv_regs, calls
 * pvxhv_hypercall(), and writes regs.rax back.  The library decodes,
 * validates every guest value, copies guest memory in exactly once,
 * negotiates, dispatches and answers with the documented error codes
 * (Documentation/abi/).  Nothing a guest passes can make it abort, hang or
 * allocate.
 *
 * A typical KVM run loop:
 *
 *	hv = pvxhv_create(&cfg);
 *	for each leaf in [base, base+2]: pvxhv_cpuid(hv, leaf, r) -> KVM_SET_CPUID2
 *	loop:
 *		pvxhv_vcpu_enter(hv, id, steal_ns);	(before KVM_RUN)
 *		KVM_RUN
 *		if exit is KVM_EXIT_IO on cfg.io_port (or vmcall/vmmcall):
 *			KVM_GET_REGS; copy rax rbx rcx rsi rdi r8 -> regs
 *			pvxhv_hypercall(hv, id, &regs);
 *			kregs.rax = regs.rax; KVM_SET_REGS
 *		when the vCPU thread is descheduled/blocked: pvxhv_vcpu_preempt()
 *		when a timer armed through ops->set_timer expires: pvxhv_timer_expired()
 *
 * Threads: pvxhv_hypercall(), pvxhv_vcpu_enter() and pvxhv_vcpu_preempt()
 * for vCPU n must be called from one thread at a time (normally n's
 * thread); different vCPUs may call concurrently.  pvxhv_timer_expired()
 * and pvxhv_kick() may be called from any thread.  Callbacks run on the
 * calling thread.
 */
#ifndef PVXHV_H
#define PVXHV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvx/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this library API (not of the guest ABI). */
#define PVXHV_API_VERSION	1

/*
 * The registers of a hypercall, as the guest left them (see the register
 * convention in <pvx/hypercall.h>): nr in rax, arguments in rbx, rcx,
 * rsi, rdi, r8.  pvxhv_hypercall() writes the result to rax and changes
 * nothing else.  rdx is not part of the ABI (it holds the I/O port).
 */
struct pvxhv_regs {
	uint64_t rax;
	uint64_t rbx;
	uint64_t rcx;
	uint64_t rsi;
	uint64_t rdi;
	uint64_t r8;
};

/* One range of guest RAM mapped into the VMM. */
struct pvxhv_mem_region {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;		/* bytes; gpa + size must not wrap */
	void *hva;		/* host address of gpa */
};

/*
 * Callbacks.  opaque is pvxhv_config.opaque.  vcpu is always < nr_vcpus.
 * Optional callbacks may be NULL; the features that need them are then
 * not offered to the guest.
 */
struct pvxhv_ops {
	/*
	 * Guest memory, used when pvxhv_config.regions is empty.  Copy len
	 * bytes at gpa; return 0, or -1 if any byte is not guest RAM.  The
	 * library validates ranges before calling and calls read once per
	 * guest structure.  Without regions the library learns that a range
	 * is not RAM only when an access fails (register_shared_page then
	 * succeeds and later refreshes are dropped): prefer regions.
	 */
	int (*read_guest)(void *opaque, uint64_t gpa, void *dst, size_t len);
	int (*write_guest)(void *opaque, uint64_t gpa, const void *src, size_t len);

	/* Required: guest time in ns, monotonic (the time record's clock). */
	uint64_t (*clock_ns)(void *opaque);
	/* Optional, with cfg.tsc_khz: the guest TSC of vcpu now. */
	uint64_t (*guest_tsc)(void *opaque, uint32_t vcpu);

	/*
	 * Required: halt vcpu until an interrupt is pending, it is kicked,
	 * or guest time reaches deadline_ns (0: no deadline).  Like "sti;
	 * hlt".  The VMM may wait here or note it and wait after
	 * pvxhv_hypercall() returns.
	 */
	void (*block)(void *opaque, uint32_t vcpu, uint64_t deadline_ns);
	/* Required: wake vcpu if blocked (or make it leave guest mode). */
	void (*kick)(void *opaque, uint32_t vcpu);
	/* Optional: sched_yield. */
	void (*yield)(void *opaque, uint32_t vcpu);
	/* Optional (TIMER, PV_IPI): make vector pending on vcpu and kick it. */
	void (*inject)(void *opaque, uint32_t vcpu, uint8_t vector);
	/* Optional (TIMER): arm vcpu's one-shot timer; 0 cancels. */
	void (*set_timer)(void *opaque, uint32_t vcpu, uint64_t deadline_ns);
	/*
	 * Optional (FLUSH_TLB): vcpu (running) must flush its TLB before it
	 * next executes guest code; usually a kick plus a flush on re-entry.
	 */
	void (*flush_tlb)(void *opaque, uint32_t vcpu);
	/* Optional (CONSOLE): bytes from the guest, not NUL-terminated. */
	void (*console)(void *opaque, uint32_t vcpu, const char *buf, size_t len);
	/* Required: the guest asked to stop; reason is PVX_SHUTDOWN_*. */
	void (*shutdown)(void *opaque, uint32_t vcpu, uint32_t reason, uint32_t code);
};

struct pvxhv_config {
	uint32_t nr_vcpus;		/* 1..PVX_MAX_VCPUS */
	uint32_t transport;		/* enum pvx_transport */
	uint16_t io_port;		/* PVX_TRANSPORT_IOPORT: the port */
	uint32_t cpuid_base;		/* 0: 0x40000000 */
	uint32_t abi_version;		/* serve this 1.x (0: the latest) */
	uint64_t features;		/* features to offer; ~0: all possible */
	uint32_t tsc_khz;		/* guest TSC rate; 0: no TSC scale */
	const struct pvxhv_mem_region *regions;	/* guest RAM map, or NULL */
	uint32_t nr_regions;
	const struct pvxhv_ops *ops;
	void *opaque;
};

struct pvxhv;

/* Create an instance; NULL (errno EINVAL/ENOMEM) on a bad config. */
struct pvxhv *pvxhv_create(const struct pvxhv_config *cfg);
void pvxhv_destroy(struct pvxhv *hv);
/* Guest reset: forget negotiation, shared pages, timers. */
void pvxhv_reset(struct pvxhv *hv);

/*
 * Fill out[0..3] = EAX, EBX, ECX, EDX for CPUID leaf; returns true if leaf
 * is one of the PVX leaves (cpuid_base .. cpuid_base+2).
 */
bool pvxhv_cpuid(const struct pvxhv *hv, uint32_t leaf, uint32_t out[4]);

/*
 * Handle one hypercall exit of vcpu.  Returns the guest-visible result,
 * also stored in regs->rax.  Returns -PVX_ESRCH without touching regs only
 * if vcpu itself is out of range (a VMM bug).
 */
int64_t pvxhv_hypercall(struct pvxhv *hv, uint32_t vcpu, struct pvxhv_regs *regs);

/*
 * vcpu is about to run guest code: refresh its shared page (time, steal
 * time = steal_ns total, preempted = 0).  Returns PVXHV_ENTER_* flags the
 * VMM must honour, or a negative PVX error for a bad vcpu.
 */
#define PVXHV_ENTER_FLUSH_TLB	0x1	/* flush the vCPU's TLB before running */
int pvxhv_vcpu_enter(struct pvxhv *hv, uint32_t vcpu, uint64_t steal_ns);
/* vcpu stopped running (descheduled, blocked): set its preempted flag. */
int pvxhv_vcpu_preempt(struct pvxhv *hv, uint32_t vcpu);
/* The timer armed through ops->set_timer for vcpu expired: inject it. */
int pvxhv_timer_expired(struct pvxhv *hv, uint32_t vcpu);
/* Kick vcpu from the VMM side (same as the guest's kick_vcpu). */
int pvxhv_kick(struct pvxhv *hv, uint32_t vcpu);

/* Negotiated state: false until the guest negotiated. */
bool pvxhv_negotiated(const struct pvxhv *hv, uint32_t *version, uint64_t *features);
/* The features this instance offers (CPUID base+1). */
uint64_t pvxhv_features(const struct pvxhv *hv);

/* Names for logs: "negotiate", "EINVAL"...; "?" if unknown. */
const char *pvxhv_hypercall_name(uint64_t nr);
const char *pvxhv_error_name(int64_t err);

#ifdef __cplusplus
}
#endif

#endif /* PVXHV_H */
