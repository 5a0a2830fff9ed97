// SPDX-License-Identifier: GPL-2.0
/*
 * pvx: the report of what the kernel runs paravirtualized.
 *
 * Each op of asm/pvx_ops.h is read back from the mainline hook it lands
 * in, so the report is true whichever hypervisor entry installed it:
 * kvm.c, Xen, refhv, or none.  It is printed once, at late_initcall when
 * timekeeping has chosen its clocksource, as the pvx boot line:
 *
 *   pvx: backend=<entry> abi=M.m transport=<t> features=<f> pv=<ops> native=<ops>
 *
 * and again in /sys/kernel/debug/pvx/ (debugfs.c).
 */
#define pr_fmt(fmt) "pvx: " fmt

#include <linux/console.h>
#include <linux/init.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/seq_file.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <pvx/version.h>
#include <asm/apic.h>
#include <asm/hypervisor.h>
#include <asm/mc146818rtc.h>
#include <asm/paravirt.h>
#include <asm/pvx.h>
#include <asm/reboot.h>
#include <asm/smp.h>
#include <asm/timer.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>
#include <asm/x86_init.h>

struct pvx_negotiated pvx_negotiated __ro_after_init;

/*
 * For hooks whose native target cannot be named here (static in its
 * file, or an inline): native means mainline's native_* or pv_native_*.
 */
static bool __init pvx_native_fn(const void *fn)
{
	char name[KSYM_SYMBOL_LEN];

	sprint_symbol_no_offset(name, (unsigned long)fn);
	return str_has_prefix(name, "native_") || str_has_prefix(name, "pv_native_");
}

static bool __init pvx_pv_sched_clock(void)
{
	return static_call_query(pv_sched_clock) != native_sched_clock;
}

/*
 * By its id: the TSC's, and CSID_GENERIC (jiffies, HPET, ACPI PM) are
 * the native ones.  A hypervisor clocksource without an id of its own
 * reads as native.
 */
static bool __init pvx_pv_clocksource(void)
{
	struct system_time_snapshot snap;

	ktime_get_snapshot(&snap);
	return snap.cs_id != CSID_GENERIC && snap.cs_id != CSID_X86_TSC_EARLY &&
	       snap.cs_id != CSID_X86_TSC;
}

static bool __init pvx_pv_tsc_khz(void)
{
	return x86_platform.calibrate_tsc != native_calibrate_tsc;
}

static bool __init pvx_pv_steal_clock(void)
{
	return static_key_enabled(&paravirt_steal_enabled);
}

static bool __init pvx_pv_setup_percpu_clockev(void)
{
	return x86_init.timers.setup_percpu_clockev != setup_boot_APIC_clock;
}

static bool __init pvx_pv_safe_halt(void)
{
	return !pvx_native_fn(pv_ops.irq.safe_halt);
}

static bool __init pvx_pv_halt(void)
{
	return !pvx_native_fn(pv_ops.irq.halt);
}

static bool __init pvx_pv_flush_tlb_multi(void)
{
	return pv_ops.mmu.flush_tlb_multi != native_flush_tlb_multi;
}

/* The APIC callbacks a guest replaced are those apic_update_callback() set. */
static bool __init pvx_pv_send_ipi_mask(void)
{
	return __x86_apic_override.send_IPI_mask;
}

static bool __init pvx_pv_send_ipi_allbutself(void)
{
	return __x86_apic_override.send_IPI_allbutself;
}

static bool __init pvx_pv_eoi(void)
{
	return __x86_apic_override.eoi;
}

static bool __init pvx_pv_wallclock(void)
{
	return x86_platform.get_wallclock != mach_get_cmos_time;
}

/* The hypervisor consoles: pvx's, and hvc (Xen, virtio, ...). */
static bool __init pvx_pv_console_write(void)
{
	struct console *con;
	bool found = false;

	console_list_lock();
	for_each_console(con)
		found |= (con->flags & CON_ENABLED) &&
			 (!strcmp(con->name, "pvx") || !strcmp(con->name, "hvc"));
	console_list_unlock();
	return found;
}

static bool __init pvx_pv_shutdown(void)
{
	return !pvx_native_fn(machine_ops.restart) ||
	       !pvx_native_fn(machine_ops.power_off);
}

#ifdef CONFIG_SMP
static bool __init pvx_pv_send_call_func_ipi(void)
{
	return smp_ops.send_call_func_ipi != native_send_call_func_ipi;
}
#endif

#ifdef CONFIG_PARAVIRT_SPINLOCKS
static bool __init pvx_pv_wait(void)
{
	return pv_ops.lock.wait != paravirt_nop;
}

static bool __init pvx_pv_kick(void)
{
	return pv_ops.lock.kick != paravirt_nop;
}

static bool __init pvx_pv_vcpu_is_preempted(void)
{
	return !pv_is_native_vcpu_is_preempted();
}
#endif

static const struct {
	const char *name;
	const char *hook;
} pvx_ops[PVX_NR_OPS] = {
#define __PVX_OP_ROW(op, _hook)	[PVX_OP_##op] = { #op, _hook },
	PVX_OPS(__PVX_OP_ROW)
#undef __PVX_OP_ROW
};

static bool (*const pvx_op_readers[PVX_NR_OPS])(void) __initconst = {
#define __PVX_OP_READER(op, _hook)	[PVX_OP_##op] = pvx_pv_##op,
	PVX_OPS(__PVX_OP_READER)
#undef __PVX_OP_READER
};

/* The ops found paravirtualized, read once the boot has set every hook. */
static DECLARE_BITMAP(pvx_pv, PVX_NR_OPS) __ro_after_init;

/**
 * pvx_op_name() - the name of an op
 * @op: the op
 *
 * Return: its name in asm/pvx_ops.h, as the boot line and debugfs print
 * it; "?" for an op that does not exist.
 */
const char *pvx_op_name(enum pvx_op op)
{
	return op < PVX_NR_OPS ? pvx_ops[op].name : "?";
}

/**
 * pvx_op_hook() - where mainline keeps an op
 * @op: the op
 *
 * Return: the hook, in words; "?" for an op that does not exist.
 */
const char *pvx_op_hook(enum pvx_op op)
{
	return op < PVX_NR_OPS ? pvx_ops[op].hook : "?";
}

/**
 * pvx_op_is_pv() - is an op paravirtualized
 * @op: the op
 *
 * As read from its mainline hook at late_initcall: several hooks are
 * init data, and no hypervisor entry changes one after boot.
 *
 * Return: true if a hypervisor entry replaced mainline's native code.
 */
bool pvx_op_is_pv(enum pvx_op op)
{
	return op < PVX_NR_OPS && test_bit(op, pvx_pv);
}

/* The x86 hypervisor entry that won detection, as the boot line names it. */
static const char *pvx_platform_name(void)
{
	switch (x86_hyper_type) {
	case X86_HYPER_KVM:
		return "kvm";
	case X86_HYPER_XEN_PV:
		return "xen_pv";
	case X86_HYPER_XEN_HVM:
		return "xen_hvm";
	case X86_HYPER_VMWARE:
		return "vmware";
	case X86_HYPER_MS_HYPERV:
		return "hyperv";
	case X86_HYPER_JAILHOUSE:
		return "jailhouse";
	case X86_HYPER_ACRN:
		return "acrn";
#ifdef CONFIG_PVX_REFHV
	case X86_HYPER_PVX:
		return "refhv";
#endif
	default:
		return "native";
	}
}

/**
 * pvx_print_status() - the pvx boot line
 * @m: a seq_file to print to, or NULL for the kernel log
 *
 * The hypervisor entry, the ABI, transport and features it negotiated
 * (refhv), then the ops that are paravirtualized (pv=) and those that
 * run mainline's native code (native=).
 */
void pvx_print_status(struct seq_file *m)
{
	const struct pvx_negotiated *neg = &pvx_negotiated;
	unsigned int op, len, pv = 0, native = 0;
	char line[512];

	len = scnprintf(line, sizeof(line),
			"backend=%s abi=%u.%u transport=%s features=%#llx pv=",
			pvx_platform_name(), neg->abi >> 16, neg->abi & 0xffff,
			neg->transport ?: "none", neg->features);
	for_each_set_bit(op, pvx_pv, PVX_NR_OPS)
		len += scnprintf(line + len, sizeof(line) - len, "%s%s",
				 pv++ ? "," : "", pvx_op_name(op));
	len += scnprintf(line + len, sizeof(line) - len, "%s native=",
			 pv ? "" : "none");
	for_each_clear_bit(op, pvx_pv, PVX_NR_OPS)
		len += scnprintf(line + len, sizeof(line) - len, "%s%s",
				 native++ ? "," : "", pvx_op_name(op));
	if (!m)
		pr_info("%s%s\n", line, native ? "" : "none");
	else
		seq_printf(m, "%s%s\nabi_headers=%u.%u\n", line,
			   native ? "" : "none", PVX_ABI_VERSION_MAJOR,
			   PVX_ABI_VERSION_MINOR);
}

static int __init pvx_report_init(void)
{
	unsigned int op;

	for (op = 0; op < PVX_NR_OPS; op++)
		__assign_bit(op, pvx_pv, pvx_op_readers[op]());
	pvx_print_status(NULL);
	return 0;
}
late_initcall(pvx_report_init);
