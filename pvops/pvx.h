/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvx: the interface between the pvx core and its backends.
 *
 * A backend is a hypervisor pvx can run on.  It declares the ops it
 * implements (asm/pvx_ops.h), each with the feature it needs; the core
 * picks the backend at boot, lets it negotiate, and installs each op whose
 * feature was negotiated into mainline's hook at the op's boot step.
 * Everything else stays mainline-native.  A backend never writes a
 * mainline hook itself.
 */
#ifndef _ASM_X86_PVX_H
#define _ASM_X86_PVX_H

#include <linux/types.h>
#include <asm/paravirt_types.h>
#include <asm/pvx_ops.h>
/* enum pvx_shutdown_reason: the shutdown op speaks the ABI's reasons */
#include <pvx/hypercall.h>

struct clocksource;
struct cpumask;
struct flush_tlb_info;

#define __PVX_OP_ENUM(op, step, type)	PVX_OP_##op,
/* enum pvx_op: PVX_OP_<op> for each op of asm/pvx_ops.h, then PVX_NR_OPS. */
enum pvx_op {
	PVX_OPS(__PVX_OP_ENUM)
	PVX_NR_OPS
};

#undef __PVX_OP_ENUM

/**
 * enum pvx_step - the boot steps at which the core installs ops
 * @PVX_STEP_PLATFORM: setup_arch(), init_platform: right after negotiation
 * @PVX_STEP_APIC: x86_platform.apic_post_init, once the APIC driver is set
 * @PVX_STEP_SMP: smp_prepare_boot_cpu(), before paravirt_set_cap() decides
 *	PVUNLOCK and VCPUPREEMPT
 * @PVX_STEP_CONSOLE: console_init()
 * @PVX_STEP_LATE: arch_initcall, once memory can be allocated
 * @PVX_NR_STEPS: how many there are
 */
enum pvx_step {
	PVX_STEP_PLATFORM,
	PVX_STEP_APIC,
	PVX_STEP_SMP,
	PVX_STEP_CONSOLE,
	PVX_STEP_LATE,
	PVX_NR_STEPS
};

#define __PVX_OP_FN(op, step, type)	typeof(type) op;
/*
 * union pvx_op_fn: what a backend supplies for an op, one member per op,
 * named after it, of the type of the hook it lands in.
 */
union pvx_op_fn {
	PVX_OPS(__PVX_OP_FN)
};

#undef __PVX_OP_FN

/**
 * struct pvx_op_impl - one op a backend implements
 * @op: which op
 * @feature: the backend feature bits it needs (all of them), 0 for none
 * @fn: the function, in the member named after @op (use PVX_OP_IMPL())
 */
struct pvx_op_impl {
	enum pvx_op op;
	u64 feature;
	union pvx_op_fn fn;
};

#define PVX_OP_IMPL(_op, _feature, _fn)					\
	{ .op = PVX_OP_##_op, .feature = (_feature), .fn._op = (_fn) }

/**
 * struct pvx_negotiated - what a backend's init() agreed with its host
 * @abi: ABI version (major << 16 | minor), 0 if the backend has none.
 *	On entry to init(): the highest version it may offer.
 * @features: feature bits the host granted; must be a subset of the
 *	backend's @features
 * @transport: how hypercalls reach the host ("ioport", "vmcall", ...)
 */
struct pvx_negotiated {
	u32 abi;
	u64 features;
	const char *transport;
};

/**
 * struct pvx_backend - a platform pvx can run on
 * @name: as used by pvx= and the boot line
 * @detect: return a priority, 0 if the platform is absent; NULL for a
 *	backend that is only ever chosen by pvx=
 * @init: negotiate with the host, and nothing more; return 0 or a
 *	negative errno (then pvx runs native).  May be NULL.
 * @setup: once the core accepted what @init negotiated: register the boot
 *	CPU with the host and claim what the granted features need; it may
 *	take back from @neg->features what it could not set up.  May be NULL.
 * @abi_max: the highest ABI version @init may report
 * @features: every feature bit @init may report
 * @ops: the ops it implements
 * @nr_ops: how many
 * @cpu_online: register @cpu with the host (cpuhp, on that CPU); may be NULL
 * @cpu_offline: unregister the calling CPU, so the host stops writing its
 *	memory (cpuhp, reboot, kexec, crash); may be NULL
 */
struct pvx_backend {
	const char *name;
	u32 (*detect)(void);
	int (*init)(struct pvx_negotiated *neg);
	void (*setup)(struct pvx_negotiated *neg);
	u32 abi_max;
	u64 features;
	const struct pvx_op_impl *ops;
	unsigned int nr_ops;
	int (*cpu_online)(unsigned int cpu);
	void (*cpu_offline)(void);
};

#ifdef CONFIG_PVX_REFHV
extern const struct pvx_backend pvx_refhv_backend;
#endif
#ifdef CONFIG_PVX_FAKE_BACKEND
extern const struct pvx_backend pvx_fake_backend;
#endif

/* The core, also used by the KUnit suites (arch/x86/pvx/core.c). */
const struct pvx_backend *pvx_choose(const struct pvx_backend *const *list,
				     unsigned int n, const char *param,
				     u32 *prio);
int pvx_negotiate(const struct pvx_backend *b, struct pvx_negotiated *neg);
bool pvx_op_usable(const struct pvx_backend *b, const struct pvx_negotiated *neg,
		   const struct pvx_op_impl *impl);
const char *pvx_op_name(enum pvx_op op);
enum pvx_step pvx_op_step(enum pvx_op op);
const struct pvx_backend *pvx_active_backend(void);
const struct pvx_negotiated *pvx_active_negotiated(void);
const struct pvx_op_impl *pvx_usable_op(enum pvx_op op);
const struct pvx_op_impl *pvx_active_op(enum pvx_op op);

/**
 * struct pvx_clock_switch - sched_clock read on both sides of the switch
 * @before: the old sched_clock, just before
 * @after: the backend's, with the core's offset, just after
 */
struct pvx_clock_switch {
	u64 before;
	u64 after;
};

const struct pvx_clock_switch *pvx_clock_switch_get(void);

struct seq_file;
void pvx_print_status(struct seq_file *m);

#endif /* _ASM_X86_PVX_H */
