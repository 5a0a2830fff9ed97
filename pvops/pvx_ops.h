/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvx op list: every operation a pvx backend may take over, declared
 * once.  From it come enum pvx_op, union pvx_op_fn (the function a backend
 * supplies, typed as the mainline hook it lands in), the op names used by
 * the boot line and debugfs, the boot step of each op, the KUnit checks
 * and the table in the pvx documentation.
 *
 * Each entry is X(op, step, type):
 *
 * @op:   the name
 * @step: when the core installs it (enum pvx_step, without the prefix)
 * @type: what the backend supplies: the type of the mainline hook
 *
 * Where each op lands in mainline is pvx_install() in arch/x86/pvx/core.c;
 * an op the backend does not supply, or whose feature was not negotiated,
 * keeps mainline's native hook.
 */
#ifndef _ASM_X86_PVX_OPS_H
#define _ASM_X86_PVX_OPS_H

#define PVX_OPS_COMMON(X)						\
	X(sched_clock,		PLATFORM, u64 (*)(void))		\
	X(clocksource,		PLATFORM, struct clocksource *)		\
	X(tsc_khz,		PLATFORM, unsigned long (*)(void))	\
	X(steal_clock,		PLATFORM, u64 (*)(int cpu))		\
	X(setup_percpu_clockev,	PLATFORM, void (*)(void))		\
	X(safe_halt,		PLATFORM, void (*)(void))		\
	X(halt,			PLATFORM, void (*)(void))		\
	X(flush_tlb_multi,	PLATFORM, void (*)(const struct cpumask *cpus, \
					const struct flush_tlb_info *info)) \
	X(send_ipi_mask,	APIC, void (*)(const struct cpumask *mask, \
					int vector))			\
	X(send_ipi_allbutself,	APIC, void (*)(int vector))		\
	X(console_write,	CONSOLE, void (*)(const char *s,	\
					unsigned int n))		\
	X(shutdown,		LATE, void (*)(enum pvx_shutdown_reason why, \
					int code))

#ifdef CONFIG_SMP
#define PVX_OPS_SMP(X)							\
	X(send_call_func_ipi,	SMP, void (*)(const struct cpumask *mask))
#else
#define PVX_OPS_SMP(X)
#endif

#ifdef CONFIG_PARAVIRT_SPINLOCKS
#define PVX_OPS_LOCK(X)							\
	X(wait,			SMP, void (*)(u8 *ptr, u8 val))		\
	X(kick,			SMP, void (*)(int cpu))			\
	X(vcpu_is_preempted,	SMP, struct paravirt_callee_save)
#else
#define PVX_OPS_LOCK(X)
#endif

#ifdef CONFIG_PARAVIRT_XXL
#define PVX_OPS_XXL(X)							\
	X(save_fl,		PLATFORM, struct paravirt_callee_save)	\
	X(irq_disable,		PLATFORM, struct paravirt_callee_save)	\
	X(irq_enable,		PLATFORM, struct paravirt_callee_save)	\
	X(read_cr2,		PLATFORM, struct paravirt_callee_save)	\
	X(read_msr,		PLATFORM, u64 (*)(unsigned int msr))	\
	X(write_msr,		PLATFORM, void (*)(unsigned int msr,	\
					u32 low, u32 high))
#else
#define PVX_OPS_XXL(X)
#endif

#define PVX_OPS(X) PVX_OPS_COMMON(X) PVX_OPS_SMP(X) PVX_OPS_LOCK(X) PVX_OPS_XXL(X)

#endif /* _ASM_X86_PVX_OPS_H */
