/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvx op list: every privileged operation a hypervisor guest may take
 * over from mainline's native code, and the mainline hook it lands in,
 * declared once.  From it come enum pvx_op, the names of the boot line
 * and of /sys/kernel/debug/pvx/ops, and the op table of the pvx
 * documentation.  Whether an op is paravirtualized is read from its hook
 * (arch/x86/pvx/report.c), whichever hypervisor entry installed it.
 *
 * Each entry is X(op, hook): the op's name, and where mainline keeps it.
 */
#ifndef _ASM_X86_PVX_OPS_H
#define _ASM_X86_PVX_OPS_H

#define PVX_OPS_COMMON(X)						\
	X(sched_clock,		"the pv_sched_clock static call")	\
	X(clocksource,		"the clocksource timekeeping runs on")	\
	X(tsc_khz,		"x86_platform.calibrate_tsc")		\
	X(steal_clock,		"paravirt_steal_enabled (pv_steal_clock)") \
	X(setup_percpu_clockev,	"x86_init.timers.setup_percpu_clockev")	\
	X(safe_halt,		"pv_ops.irq.safe_halt")			\
	X(halt,			"pv_ops.irq.halt")			\
	X(flush_tlb_multi,	"pv_ops.mmu.flush_tlb_multi")		\
	X(send_ipi_mask,	"the APIC's send_IPI_mask")		\
	X(send_ipi_allbutself,	"the APIC's send_IPI_allbutself")	\
	X(console_write,	"a hypervisor console (pvx, hvc)")	\
	X(shutdown,		"machine_ops.restart, machine_ops.power_off") \
	X(eoi,			"the APIC's eoi")			\
	X(wallclock,		"x86_platform.get_wallclock")

#ifdef CONFIG_SMP
#define PVX_OPS_SMP(X)							\
	X(send_call_func_ipi,	"smp_ops.send_call_func_ipi")
#else
#define PVX_OPS_SMP(X)
#endif

#ifdef CONFIG_PARAVIRT_SPINLOCKS
#define PVX_OPS_LOCK(X)							\
	X(wait,			"pv_ops.lock.wait")			\
	X(kick,			"pv_ops.lock.kick")			\
	X(vcpu_is_preempted,	"pv_ops.lock.vcpu_is_preempted")
#else
#define PVX_OPS_LOCK(X)
#endif

#define PVX_OPS(X) PVX_OPS_COMMON(X) PVX_OPS_SMP(X) PVX_OPS_LOCK(X)

#endif /* _ASM_X86_PVX_OPS_H */
