/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pvx operations: the single declaration of every op.
 *
 * Everything else is derived from this list: struct pvx_ops, the op ids,
 * the call-site wrappers pvx_<name>() (asm/pvx.h), the native backend, the
 * op names used by debugfs and the boot line, the native templates the
 * patcher writes, the Coccinelle conversion rules and the table in
 * Documentation/pvx/ops-table.rst (both made by scripts/pvx-ops-gen.sh).
 *
 * Each group list expands X(group, name, kind, ret, nargs, params, args,
 * native, header, template, extable):
 *
 * @kind:     SITE_CS  pvx call site, callee-save convention: the site clobbers
 *                     only %rax, so a backend is reached through a
 *                     callee-save thunk (PVX_CALLEE_SAVE()).
 *            SITE_C   pvx call site, C convention: arguments in %rdi, %rsi,
 *                     %rdx, %rcx, result in %rax, caller-saved registers
 *                     clobbered.
 *            HOOK     no pvx site: installed into the hook mainline already
 *                     has (pv_ops, static calls) when the backend is chosen.
 *            PLAT     pvx platform op, reached through a static call.
 * @native:   the mainline helper that implements the op natively.
 * @header:   the asm/ header that defines @native and the accessor
 *            pvx_<name>() (PVX_DEFINE_ACCESSORS()), or none.
 * @template: the native instruction bytes the patcher writes inline when the
 *            op stays native (in the op's register convention), or "": then
 *            the native site is a direct call to pvx_native_<name>().
 * @extable:  exception table type for the instruction labelled 7701 in the
 *            template (fixup at 7702), or 0.
 */
#ifndef _ASM_X86_PVX_OPS_H
#define _ASM_X86_PVX_OPS_H

#define PVX_OPS_irq(X)							\
	X(irq, save_fl, SITE_CS, unsigned long, 0, (void), (),		\
	  native_save_fl, irqflags, "pushf; pop %%rax", 0)			\
	X(irq, irq_disable, SITE_CS, void, 0, (void), (),		\
	  native_irq_disable, irqflags, "cli", 0)					\
	X(irq, irq_enable, SITE_CS, void, 0, (void), (),		\
	  native_irq_enable, irqflags, "sti", 0)					\
	X(irq, safe_halt, HOOK, void, 0, (void), (),			\
	  native_safe_halt, none, "", 0)					\
	X(irq, halt, HOOK, void, 0, (void), (), native_halt, none, "", 0)

#define PVX_OPS_cpu(X)							\
	X(cpu, cpuid, SITE_C, void, 4,					\
	  (unsigned int *ax, unsigned int *bx, unsigned int *cx,	\
	   unsigned int *dx), (ax, bx, cx, dx), native_cpuid, cpuid, "", 0)	\
	X(cpu, read_msr, SITE_C, u64, 1, (unsigned int msr), (msr),	\
	  native_read_msr, msr,						\
	  "mov %%edi, %%ecx\n7701: rdmsr\n7702: shl $0x20, %%rdx\n"	\
	  "or %%rdx, %%rax", EX_TYPE_RDMSR)				\
	X(cpu, write_msr, SITE_C, void, 3,				\
	  (unsigned int msr, u32 lo, u32 hi), (msr, lo, hi),		\
	  native_write_msr, msr,						\
	  "mov %%edi, %%ecx\nmov %%esi, %%eax\n7701: wrmsr\n7702:",	\
	  EX_TYPE_WRMSR)						\
	X(cpu, read_msr_safe, SITE_C, u64, 2,				\
	  (unsigned int msr, int *err), (msr, err),			\
	  native_read_msr_safe, msr, "", 0)					\
	X(cpu, write_msr_safe, SITE_C, int, 3,				\
	  (unsigned int msr, u32 lo, u32 hi), (msr, lo, hi),		\
	  native_write_msr_safe, msr, "", 0)					\
	X(cpu, read_cr0, SITE_CS, unsigned long, 0, (void), (),	\
	  native_read_cr0, special_insns, "mov %%cr0, %%rax", 0)			\
	X(cpu, read_cr2, SITE_CS, unsigned long, 0, (void), (),	\
	  native_read_cr2, special_insns, "mov %%cr2, %%rax", 0)			\
	X(cpu, read_cr3, SITE_CS, unsigned long, 0, (void), (),	\
	  __native_read_cr3, special_insns, "mov %%cr3, %%rax", 0)			\
	X(cpu, read_cr4, SITE_CS, unsigned long, 0, (void), (),	\
	  native_read_cr4, special_insns, "mov %%cr4, %%rax", 0)			\
	X(cpu, write_cr0, SITE_C, void, 1, (unsigned long val), (val),	\
	  native_write_cr0, special_insns, "", 0)					\
	X(cpu, write_cr3, SITE_CS, void, 1, (unsigned long val), (val),\
	  native_write_cr3, special_insns, "mov %%rdi, %%cr3", 0)			\
	X(cpu, write_cr4, SITE_C, void, 1, (unsigned long val), (val),	\
	  native_write_cr4, special_insns, "", 0)					\
	X(cpu, wbinvd, SITE_CS, void, 0, (void), (),			\
	  native_wbinvd, special_insns, "wbinvd", 0)					\
	X(cpu, io_delay, HOOK, void, 0, (void), (),			\
	  native_io_delay, none, "", 0)

#define PVX_OPS_mmu(X)							\
	X(mmu, flush_tlb_user, HOOK, void, 0, (void), (),		\
	  native_flush_tlb_local, none, "", 0)				\
	X(mmu, flush_tlb_kernel, HOOK, void, 0, (void), (),		\
	  native_flush_tlb_global, none, "", 0)				\
	X(mmu, flush_tlb_one_user, HOOK, void, 1, (unsigned long addr),\
	  (addr), native_flush_tlb_one_user, none, "", 0)			\
	X(mmu, flush_tlb_multi, HOOK, void, 2,				\
	  (const struct cpumask *cpus, const struct flush_tlb_info *info), \
	  (cpus, info), native_flush_tlb_multi, none, "", 0)

#define PVX_OPS_time(X)							\
	X(time, sched_clock, HOOK, u64, 0, (void), (),			\
	  native_sched_clock, none, "", 0)					\
	X(time, steal_clock, HOOK, u64, 1, (int cpu), (cpu),		\
	  pvx_no_steal_clock, none, "", 0)

#define PVX_OPS_lock(X)							\
	X(lock, wait, HOOK, void, 2, (u8 *ptr, u8 val), (ptr, val),	\
	  pvx_spin_wait, none, "", 0)						\
	X(lock, kick, HOOK, void, 1, (int cpu), (cpu),			\
	  pvx_spin_kick, none, "", 0)						\
	X(lock, vcpu_is_preempted, HOOK, bool, 1, (long cpu), (cpu),	\
	  pvx_vcpu_not_preempted, none, "", 0)

#define PVX_OPS_platform(X)						\
	X(platform, console_write, PLAT, void, 2,			\
	  (const char *buf, unsigned int len), (buf, len),		\
	  pvx_no_console_write, none, "", 0)					\
	X(platform, shutdown, PLAT, void, 2, (int reason, int code),	\
	  (reason, code), pvx_machine_shutdown, none, "", 0)

/*
 * The groups, in struct pvx_ops order, and all ops in that order.
 * asm/pvx_backend.h checks at build time that the two lists agree.
 */
#define PVX_GROUPS(G) G(irq) G(cpu) G(mmu) G(time) G(lock) G(platform)
#define PVX_OPS(X)							\
	PVX_OPS_irq(X) PVX_OPS_cpu(X) PVX_OPS_mmu(X)			\
	PVX_OPS_time(X) PVX_OPS_lock(X) PVX_OPS_platform(X)

#endif /* _ASM_X86_PVX_OPS_H */
