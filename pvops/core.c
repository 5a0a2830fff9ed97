// SPDX-License-Identifier: GPL-2.0
/*
 * pvx core: one x86 hypervisor entry for every pvx backend.
 *
 * Detection scans the backends (or obeys pvx=); init_platform lets the
 * chosen one negotiate and installs its ops into mainline's own hooks,
 * each at its boot step (asm/pvx_ops.h):
 *
 *  PLATFORM  init_platform: sched_clock (with an offset), steal clock,
 *            halt, TLB flush, the PARAVIRT_XXL ops and their group's
 *            native condition (X86_FEATURE_PV_*)
 *  APIC      x86_platform.apic_post_init: the IPI callbacks
 *  SMP       smp_prepare_boot_cpu: the call-function IPI, pv spinlocks and
 *            vcpu_is_preempted, before alternative_instructions() calls
 *            paravirt_set_cap()
 *  CONSOLE   console_init: the backend's console
 *  LATE      arch_initcall: shutdown, the steal-time keys, the boot line
 *
 * Mainline's alternatives then make every pv_ops call site the native
 * instruction or a direct call into the backend.  Any op the backend does
 * not implement, or whose feature the host did not grant, stays native.
 */
#define pr_fmt(fmt) "pvx: " fmt

#include <linux/bitmap.h>
#include <linux/clocksource.h>
#include <linux/console.h>
#include <linux/cpuhotplug.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/kexec.h>
#include <linux/notifier.h>
#include <linux/panic.h>
#include <linux/panic_notifier.h>
#include <linux/reboot.h>
#include <linux/sched/clock.h>
#include <linux/serial_core.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <pvx/version.h>
#include <asm/apic.h>
#include <asm/cmdline.h>
#include <asm/hypervisor.h>
#include <asm/paravirt.h>
#include <asm/pvx.h>
#include <asm/reboot.h>
#include <asm/setup.h>
#include <asm/smp.h>
#include <asm/timer.h>
#include <asm/tlb.h>
#include <asm/x86_init.h>
#ifdef CONFIG_PARAVIRT_SPINLOCKS
#include <asm/qspinlock.h>
#endif

static const struct pvx_backend *const pvx_backends[] = {
#ifdef CONFIG_PVX_REFHV
	&pvx_refhv_backend,
#endif
#ifdef CONFIG_PVX_FAKE_BACKEND
	&pvx_fake_backend,
#endif
};

#define __PVX_OP_NAME(op, step, type)	[PVX_OP_##op] = #op,
static const char *const pvx_op_names[PVX_NR_OPS] = {
	PVX_OPS(__PVX_OP_NAME)
};

#undef __PVX_OP_NAME

#define __PVX_OP_STEP(op, step, type)	[PVX_OP_##op] = PVX_STEP_##step,
static const u8 pvx_op_steps[PVX_NR_OPS] = {
	PVX_OPS(__PVX_OP_STEP)
};

#undef __PVX_OP_STEP

static const struct pvx_backend *pvx_candidate __ro_after_init;
static const struct pvx_backend *pvx_backend __ro_after_init;
static struct pvx_negotiated pvx_neg __ro_after_init;
static u32 pvx_abi_cap __ro_after_init;	/* pvx_abi=, 0: none */
static DECLARE_BITMAP(pvx_pv, PVX_NR_OPS) __ro_after_init;
static bool pvx_started __initdata;

/**
 * pvx_op_name() - the name of an op
 * @op: the op
 *
 * Return: its name in asm/pvx_ops.h, as used by the boot line and debugfs.
 */
const char *pvx_op_name(enum pvx_op op)
{
	return op < PVX_NR_OPS ? pvx_op_names[op] : "?";
}

/**
 * pvx_op_step() - the boot step at which an op is installed
 * @op: the op
 *
 * Return: its enum pvx_step, PVX_NR_STEPS for an unknown op.
 */
enum pvx_step pvx_op_step(enum pvx_op op)
{
	return op < PVX_NR_OPS ? pvx_op_steps[op] : PVX_NR_STEPS;
}

static void pvx_warn_param(const struct pvx_backend *const *list,
			   unsigned int n, const char *param)
{
	char names[96];
	unsigned int i, len = 0;

	for (i = 0; i < n; i++)
		len += scnprintf(names + len, sizeof(names) - len, ", %s",
				 list[i]->name);
	pr_warn("unknown pvx=%s (valid: auto, native%s); using auto selection\n",
		param, names);
}

/**
 * pvx_choose() - pick the backend to run on
 * @list: the backends
 * @n: how many
 * @param: the pvx= value: "auto", "native", a backend name, or NULL or
 *	empty for auto
 * @prio: set to the winner's priority, 0 for native
 *
 * Auto selection asks each backend's detect() and takes the highest
 * priority (the first on a tie); nothing above 0 means native.  A backend
 * named by @param is taken if its detect() finds its platform, or if it
 * has no detect(); otherwise pvx says so once and runs native.  An
 * unknown @param is warned about, naming the valid values, and ignored.
 *
 * Return: the chosen backend, or NULL for native.
 */
const struct pvx_backend *pvx_choose(const struct pvx_backend *const *list,
				     unsigned int n, const char *param,
				     u32 *prio)
{
	const struct pvx_backend *best = NULL;
	u32 p, best_prio = 0;
	unsigned int i;

	*prio = 0;
	if (param && !strcmp(param, "native"))
		return NULL;
	if (param && *param && strcmp(param, "auto")) {
		for (i = 0; i < n; i++) {
			if (strcmp(list[i]->name, param))
				continue;
			p = list[i]->detect ? list[i]->detect() : U32_MAX;
			if (!p) {
				pr_info("pvx=%s: no %s hypervisor found; running native\n",
					param, param);
				return NULL;
			}
			*prio = p;
			return list[i];
		}
		pvx_warn_param(list, n, param);
	}

	for (i = 0; i < n; i++) {
		p = list[i]->detect ? list[i]->detect() : 0;
		if (p > best_prio) {
			best = list[i];
			best_prio = p;
		}
	}
	*prio = best_prio;
	return best;
}

/**
 * pvx_negotiate() - let a backend negotiate, and check its answer
 * @b: the backend
 * @neg: filled with what it agreed with its host
 *
 * @b's init() finds in @neg->abi the highest version it may offer:
 * @b->abi_max, or less with pvx_abi=.  The host's answer is not trusted:
 * a version of another major (when @b speaks a PVX ABI version, not 0.0)
 * or above that, a feature @b never asks for or (on a PVX ABI version)
 * one that version does not define is refused like a failed init().
 * Only an answer that passes is handed to @b's setup(), so a refused one
 * leaves nothing registered with the host.
 *
 * Return: 0, or a negative errno (one message said why); @neg is then
 * zeroed and pvx runs native.
 */
int pvx_negotiate(const struct pvx_backend *b, struct pvx_negotiated *neg)
{
	u32 ceiling = pvx_abi_cap && pvx_abi_cap < b->abi_max ? pvx_abi_cap : b->abi_max;
	int ret = 0;

	memset(neg, 0, sizeof(*neg));
	neg->abi = ceiling;
	if (b->init)
		ret = b->init(neg);
	if (ret) {
		pr_err("%s: init failed (%d); running native\n", b->name, ret);
	} else if (ceiling && neg->abi >> 16 != ceiling >> 16) {
		pr_err("%s: host answered ABI %u.%u, not of major %u; running native\n",
		       b->name, neg->abi >> 16, neg->abi & 0xffff, ceiling >> 16);
		ret = -EPROTO;
	} else if (neg->abi > ceiling) {
		pr_err("%s: host answered ABI %u.%u, above the %u.%u offered; running native\n",
		       b->name, neg->abi >> 16, neg->abi & 0xffff,
		       ceiling >> 16, ceiling & 0xffff);
		ret = -EPROTO;
	} else if (neg->features & ~b->features) {
		pr_err("%s: host granted features %#llx never offered; running native\n",
		       b->name, neg->features & ~b->features);
		ret = -EPROTO;
	} else if (neg->abi && neg->features & ~pvx_features_known_in(neg->abi)) {
		pr_err("%s: host granted features %#llx that ABI %u.%u does not define; running native\n",
		       b->name, neg->features & ~pvx_features_known_in(neg->abi),
		       neg->abi >> 16, neg->abi & 0xffff);
		ret = -EPROTO;
	}
	if (ret)
		memset(neg, 0, sizeof(*neg));
	else if (b->setup)
		b->setup(neg);
	return ret;
}

/**
 * pvx_op_usable() - may an op of a backend be installed
 * @b: the backend
 * @neg: what it negotiated
 * @impl: one of @b's ops
 *
 * Return: true if @impl is a known op and every feature bit it needs was
 * granted.
 */
bool pvx_op_usable(const struct pvx_backend *b, const struct pvx_negotiated *neg,
		   const struct pvx_op_impl *impl)
{
	return impl->op < PVX_NR_OPS &&
	       (impl->feature & neg->features) == impl->feature;
}

static const struct pvx_op_impl *pvx_find_op(const struct pvx_backend *b,
					     enum pvx_op op)
{
	unsigned int i;

	for (i = 0; b && i < b->nr_ops; i++) {
		if (b->ops[i].op == op && pvx_op_usable(b, &pvx_neg, &b->ops[i]))
			return &b->ops[i];
	}
	return NULL;
}

/**
 * pvx_usable_op() - the backend's implementation of an op, if negotiated
 * @op: the op
 *
 * Return: the implementation, or NULL if the backend has none or the host
 * did not grant its feature.
 */
const struct pvx_op_impl *pvx_usable_op(enum pvx_op op)
{
	return pvx_find_op(pvx_backend, op);
}

/**
 * pvx_active_backend() - the backend pvx runs on
 *
 * Return: the backend, or NULL when pvx runs native (or another
 * hypervisor entry won detection).
 */
const struct pvx_backend *pvx_active_backend(void)
{
	return pvx_backend;
}

/**
 * pvx_active_negotiated() - what the active backend agreed with its host
 *
 * Return: the ABI version, features and transport; meaningful only
 * while pvx_active_backend() is not NULL.
 */
const struct pvx_negotiated *pvx_active_negotiated(void)
{
	return &pvx_neg;
}

/**
 * pvx_active_op() - the backend's implementation of an installed op
 * @op: the op
 *
 * Return: the implementation, or NULL if @op is mainline-native.
 */
const struct pvx_op_impl *pvx_active_op(enum pvx_op op)
{
	return op < PVX_NR_OPS && test_bit(op, pvx_pv) ? pvx_usable_op(op) : NULL;
}

/* pvx= and pvx_abi= are read from the command line by pvx_start(), which
 * earlycon=pvx may call before early parameters are parsed; this only
 * claims them.
 */
static int __init pvx_param(char *arg)
{
	return 0;
}
early_param("pvx", pvx_param);

static int __init pvx_abi_param(char *arg)
{
	return 0;
}
early_param("pvx_abi", pvx_abi_param);

/* pvx_abi=M.m as a version, 0 (no cap) if it is not one. */
static u32 __init pvx_parse_abi(const char *s)
{
	unsigned int major, minor;

	if (sscanf(s, "%u.%u", &major, &minor) != 2 || major > 0xffff || minor > 0xffff) {
		if (*s)
			pr_warn("pvx_abi=%s is not <major>.<minor>; ignored\n", s);
		return 0;
	}
	return major << 16 | minor;
}

static bool pvx_steal_acc __ro_after_init = true;

static int __init pvx_parse_no_stealacc(char *arg)
{
	pvx_steal_acc = false;
	return 0;
}
early_param("no-steal-acc", pvx_parse_no_stealacc);

/*
 * Choose the backend and negotiate, once: from detection, or earlier from
 * earlycon=pvx.  Return the backend's priority, 0 for native.
 */
static u32 __init pvx_start(void)
{
	static u32 prio __initdata;
	const struct pvx_backend *b;
	char param[16] = "";

	if (pvx_started)
		return prio;
	pvx_started = true;
	if (cmdline_find_option(boot_command_line, "pvx_abi", param, sizeof(param)) >= 0)
		pvx_abi_cap = pvx_parse_abi(param);
	param[0] = '\0';
	cmdline_find_option(boot_command_line, "pvx", param, sizeof(param));
	b = pvx_choose(pvx_backends, ARRAY_SIZE(pvx_backends), param, &prio);
	if (b && !pvx_negotiate(b, &pvx_neg))
		pvx_candidate = b;
	else
		prio = 0;
	return prio;
}

/* sched_clock: the backend's clock, offset so that time does not jump. */
DEFINE_STATIC_CALL_NULL(pvx_clock_read, native_sched_clock);
static u64 pvx_clock_offset __ro_after_init;
static struct pvx_clock_switch pvx_clock_switch __ro_after_init;

static noinstr u64 pvx_sched_clock(void)
{
	u64 t = static_call(pvx_clock_read)();

	return t - pvx_clock_offset;
}

static void __init pvx_set_sched_clock(u64 (*read)(void))
{
	u64 before = sched_clock();

	static_call_update(pvx_clock_read, read);
	pvx_clock_offset = read() - before;
	paravirt_set_sched_clock(pvx_sched_clock);
	pvx_clock_switch.before = before;
	pvx_clock_switch.after = sched_clock();
}

/**
 * pvx_clock_switch_get() - sched_clock on both sides of the switch
 *
 * Return: the two readings, both 0 if sched_clock stayed native.
 */
const struct pvx_clock_switch *pvx_clock_switch_get(void)
{
	return &pvx_clock_switch;
}

#ifdef CONFIG_PARAVIRT_SPINLOCKS
/*
 * wait and kick go together, with mainline's pv qspinlock slow path: the
 * first of the two to be installed decides for both, once.
 */
static void __init pvx_install_locks(void)
{
	const struct pvx_op_impl *wait = pvx_usable_op(PVX_OP_wait);
	const struct pvx_op_impl *kick = pvx_usable_op(PVX_OP_kick);
	static bool done __initdata;

	if (done || !wait || !kick)
		return;
	done = true;
	/*
	 * As kvm_spinlock_init(): with a host that can wait and kick, the
	 * test-and-set virt_spin_lock() is never wanted, pv spinlocks or
	 * not (nopvspin, a single CPU: native qspinlock).
	 */
	static_branch_disable(&virt_spin_lock_key);
	if (nopvspin || num_possible_cpus() == 1) {
		pr_info("PV spinlocks disabled (%s)\n",
			nopvspin ? "nopvspin" : "single CPU");
		return;
	}
	__pv_init_lock_hash();
	pv_ops.lock.queued_spin_lock_slowpath = __pv_queued_spin_lock_slowpath;
	pv_ops.lock.queued_spin_unlock = PV_CALLEE_SAVE(__pv_queued_spin_unlock);
	pv_ops.lock.wait = wait->fn.wait;
	pv_ops.lock.kick = kick->fn.kick;
	__set_bit(PVX_OP_wait, pvx_pv);
	__set_bit(PVX_OP_kick, pvx_pv);
}
#endif

/* Set by earlycon=pvx, then by the console step. */
static const struct pvx_op_impl *pvx_console_impl __ro_after_init;

static void pvx_console_write(struct console *con, const char *s,
			      unsigned int n)
{
	pvx_console_impl->fn.console_write(s, n);
}

static struct console pvx_console = {
	.name	= "pvx",
	.write	= pvx_console_write,
	.flags	= CON_PRINTBUFFER | CON_ANYTIME,
	.index	= -1,
};

static void pvx_do_shutdown(enum pvx_shutdown_reason why, int code)
{
	const struct pvx_op_impl *impl = pvx_active_op(PVX_OP_shutdown);

	if (impl)
		impl->fn.shutdown(why, code);
}

static int pvx_power_off(struct sys_off_data *data)
{
	pvx_do_shutdown(PVX_SHUTDOWN_POWEROFF, 0);
	return NOTIFY_DONE;	/* still here: the next handler tries (ACPI S5, ...) */
}

/*
 * The last power-off handler, reached only when the host's shutdown and
 * every other handler returned: halt, as a machine that cannot power off
 * does, rather than return to reboot(2), whose caller (init) would then
 * exit and panic.
 */
static int pvx_power_off_halt(struct sys_off_data *data)
{
	pr_err("the host did not power off; halting\n");
	machine_halt();
	return NOTIFY_DONE;
}

static void (*pvx_native_restart)(char *cmd) __ro_after_init;

static void pvx_restart(char *cmd)
{
	pvx_do_shutdown(PVX_SHUTDOWN_REBOOT, 0);
	pvx_native_restart(cmd);
}

static long (*pvx_next_blink)(int state);

/*
 * The end of a panic that halts: panic() calls panic_blink from its last
 * loop, after the "end Kernel panic" line and the last console flush,
 * when it would halt for ever (panic=0).  Only there is the host told of
 * the crash, once: by then kmsg_dump (pstore) ran and the console is
 * flushed.  A panic with a timeout (panic=N) restarts as it says, and a
 * crash kernel runs before panic() gets here.
 */
static long pvx_panic_blink(int state)
{
	static bool told;

	if (!panic_timeout && !told) {
		told = true;
		pvx_do_shutdown(PVX_SHUTDOWN_CRASH, 0);
	}
	return pvx_next_blink ? pvx_next_blink(state) : 0;
}

/* Last in the chain: put pvx_panic_blink() in front of any other blink. */
static int pvx_panic(struct notifier_block *nb, unsigned long event, void *p)
{
	if (panic_blink != pvx_panic_blink) {
		pvx_next_blink = panic_blink;
		panic_blink = pvx_panic_blink;
	}
	return NOTIFY_DONE;
}

static struct notifier_block pvx_panic_nb = {
	.notifier_call	= pvx_panic,
	.priority	= INT_MIN,	/* after everyone else has reported */
};

static void __init pvx_install_shutdown(void)
{
	register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_FIRMWARE,
				 pvx_power_off, NULL);
	register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_LOW,
				 pvx_power_off_halt, NULL);
	pvx_native_restart = machine_ops.restart;
	machine_ops.restart = pvx_restart;
	atomic_notifier_chain_register(&panic_notifier_list, &pvx_panic_nb);
}

/*
 * Install one op into its mainline hook.  Return true if it is now the
 * backend's, false if it stays native.
 */
static bool __init pvx_install(const struct pvx_op_impl *impl)
{
	const union pvx_op_fn *fn = &impl->fn;

	switch (impl->op) {
	case PVX_OP_sched_clock:
		pvx_set_sched_clock(fn->sched_clock);
		break;
	case PVX_OP_clocksource:
		clocksource_register_hz(fn->clocksource, NSEC_PER_SEC);
		break;
	case PVX_OP_tsc_khz:
		x86_platform.calibrate_tsc = fn->tsc_khz;
		x86_platform.calibrate_cpu = fn->tsc_khz;
		break;
	case PVX_OP_steal_clock:
		static_call_update(pv_steal_clock, fn->steal_clock);
		break;
	case PVX_OP_setup_percpu_clockev:
		/* the boot CPU's; the backend sets up the others' (cpu_online) */
		x86_init.timers.setup_percpu_clockev = fn->setup_percpu_clockev;
		break;
	case PVX_OP_safe_halt:
		pv_ops.irq.safe_halt = fn->safe_halt;
		break;
	case PVX_OP_halt:
		pv_ops.irq.halt = fn->halt;
		break;
	case PVX_OP_flush_tlb_multi:
		/*
		 * A flush that skips CPUs (preempted vCPUs) no longer holds off
		 * page-table freeing the way an IPI to every CPU does, which
		 * GUP-fast relies on: free page tables after RCU, as kvm.c does.
		 */
		pv_ops.mmu.flush_tlb_multi = fn->flush_tlb_multi;
		pv_ops.mmu.tlb_remove_table = tlb_remove_table;
		break;
	case PVX_OP_send_ipi_mask:
		apic_update_callback(send_IPI_mask, fn->send_ipi_mask);
		break;
	case PVX_OP_send_ipi_allbutself:
		apic_update_callback(send_IPI_allbutself, fn->send_ipi_allbutself);
		break;
#ifdef CONFIG_SMP
	case PVX_OP_send_call_func_ipi:
		smp_ops.send_call_func_ipi = fn->send_call_func_ipi;
		break;
#endif
	case PVX_OP_console_write:
		pvx_console_impl = impl;
		register_console(&pvx_console);
		break;
	case PVX_OP_shutdown:
		pvx_install_shutdown();
		break;
#ifdef CONFIG_PARAVIRT_SPINLOCKS
	case PVX_OP_wait:
	case PVX_OP_kick:
		/* pvx_install_locks() sets both ops' bits itself */
		pvx_install_locks();
		return false;
	case PVX_OP_vcpu_is_preempted:
		pv_ops.lock.vcpu_is_preempted = fn->vcpu_is_preempted;
		break;
#endif
#ifdef CONFIG_PARAVIRT_XXL
	/* The XXL ops keep their native condition unless their group's is set. */
	case PVX_OP_save_fl:
		pv_ops.irq.save_fl = fn->save_fl;
		setup_force_cpu_cap(X86_FEATURE_PV_IRQ);
		break;
	case PVX_OP_irq_disable:
		pv_ops.irq.irq_disable = fn->irq_disable;
		setup_force_cpu_cap(X86_FEATURE_PV_IRQ);
		break;
	case PVX_OP_irq_enable:
		pv_ops.irq.irq_enable = fn->irq_enable;
		setup_force_cpu_cap(X86_FEATURE_PV_IRQ);
		break;
	case PVX_OP_read_cr2:
		pv_ops.mmu.read_cr2 = fn->read_cr2;
		setup_force_cpu_cap(X86_FEATURE_PV_MMU);
		break;
	case PVX_OP_read_msr:
		pv_ops.cpu.read_msr = fn->read_msr;
		break;
	case PVX_OP_write_msr:
		pv_ops.cpu.write_msr = fn->write_msr;
		break;
#endif
	default:
		return false;
	}
	return true;
}

static void __init pvx_install_step(enum pvx_step step)
{
	unsigned int i;
	const struct pvx_op_impl *impl;

	for (i = 0; pvx_backend && i < pvx_backend->nr_ops; i++) {
		impl = &pvx_backend->ops[i];
		if (pvx_op_step(impl->op) != step || pvx_usable_op(impl->op) != impl)
			continue;
		if (pvx_install(impl))
			__set_bit(impl->op, pvx_pv);
	}
}

static bool __init pvx_has_step(enum pvx_step step)
{
	unsigned int i;

	for (i = 0; pvx_backend && i < pvx_backend->nr_ops; i++) {
		if (pvx_op_step(pvx_backend->ops[i].op) == step &&
		    pvx_usable_op(pvx_backend->ops[i].op))
			return true;
	}
	return false;
}

static void __init pvx_apic_post_init(void)
{
	pvx_install_step(PVX_STEP_APIC);
}

#ifdef CONFIG_SMP
static void __init pvx_smp_prepare_boot_cpu(void)
{
	native_smp_prepare_boot_cpu();
	pvx_install_step(PVX_STEP_SMP);
}
#endif

static int pvx_cpu_online(unsigned int cpu)
{
	return pvx_backend->cpu_online(cpu);
}

static int pvx_cpu_down_prepare(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	pvx_backend->cpu_offline();
	local_irq_restore(flags);
	return 0;
}

static void pvx_cpu_offline_ipi(void *unused)
{
	pvx_backend->cpu_offline();
}

/* Reboot and kexec: the host must stop writing memory the next kernel owns. */
static int pvx_reboot_notify(struct notifier_block *nb, unsigned long code,
			     void *unused)
{
	if (code == SYS_RESTART)
		on_each_cpu(pvx_cpu_offline_ipi, NULL, 1);
	return NOTIFY_DONE;
}

static struct notifier_block pvx_reboot_nb = {
	.notifier_call = pvx_reboot_notify,
};

#ifdef CONFIG_CRASH_DUMP
static void pvx_crash_shutdown(struct pt_regs *regs)
{
	pvx_backend->cpu_offline();
	native_machine_crash_shutdown(regs);
}
#endif

/* Detection chose pvx: its candidate becomes the backend. */
static void __init pvx_init_platform(void)
{
	pvx_start();
	pvx_backend = pvx_candidate;
	pvx_install_step(PVX_STEP_PLATFORM);
	if (pvx_has_step(PVX_STEP_APIC))
		x86_platform.apic_post_init = pvx_apic_post_init;
#ifdef CONFIG_SMP
	if (pvx_has_step(PVX_STEP_SMP))
		smp_ops.smp_prepare_boot_cpu = pvx_smp_prepare_boot_cpu;
#endif
}

static void __init pvx_guest_late_init(void)
{
	if (!pvx_backend || !pvx_backend->cpu_offline)
		return;
	if (pvx_backend->cpu_online &&
	    cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "x86/pvx:online",
				      pvx_cpu_online, pvx_cpu_down_prepare) < 0)
		pr_err("failed to install cpu hotplug callbacks\n");
	register_reboot_notifier(&pvx_reboot_nb);
#ifdef CONFIG_CRASH_DUMP
	machine_ops.crash_shutdown = pvx_crash_shutdown;
#endif
}

static u32 __init pvx_detect(void)
{
	return pvx_start();
}

const __initconst struct hypervisor_x86 x86_hyper_pvx = {
	.name			= "pvx",
	.detect			= pvx_detect,
	.type			= X86_HYPER_PVX,
	.init.init_platform	= pvx_init_platform,
	.init.guest_late_init	= pvx_guest_late_init,
};

#ifdef CONFIG_SERIAL_EARLYCON
static int __init pvx_earlycon_setup(struct earlycon_device *dev,
				     const char *opt)
{
	pvx_start();
	pvx_console_impl = pvx_find_op(pvx_candidate, PVX_OP_console_write);
	if (!pvx_console_impl)
		return -ENODEV;
	dev->con->write = pvx_console_write;
	return 0;
}

EARLYCON_DECLARE(pvx, pvx_earlycon_setup);
#endif

static int __init pvx_console_init(void)
{
	pvx_install_step(PVX_STEP_CONSOLE);
	return 0;
}
console_initcall(pvx_console_init);

/* The other x86 hypervisor entries, for the boot line. */
static const char *pvx_platform_name(void)
{
	if (pvx_backend)
		return pvx_backend->name;
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
	default:
		return "native";
	}
}

/**
 * pvx_print_status() - the pvx boot line
 * @m: a seq_file to print to, or NULL for the kernel log
 *
 * backend, negotiated ABI, transport and features, then the ops that are
 * the backend's (pv=) and those that stayed mainline-native (native=).
 */
void pvx_print_status(struct seq_file *m)
{
	char line[512];
	unsigned int op, len, pv = 0, native = 0;

	len = scnprintf(line, sizeof(line),
			"backend=%s abi=%u.%u transport=%s features=%#llx pv=",
			pvx_platform_name(), pvx_neg.abi >> 16,
			pvx_neg.abi & 0xffff, pvx_neg.transport ?: "none",
			pvx_neg.features);
	for (op = 0; op < PVX_NR_OPS; op++)
		if (test_bit(op, pvx_pv))
			len += scnprintf(line + len, sizeof(line) - len, "%s%s",
					 pv++ ? "," : "", pvx_op_name(op));
	len += scnprintf(line + len, sizeof(line) - len, "%s native=",
			 pv ? "" : "none");
	for (op = 0; op < PVX_NR_OPS; op++)
		if (!test_bit(op, pvx_pv))
			len += scnprintf(line + len, sizeof(line) - len, "%s%s",
					 native++ ? "," : "", pvx_op_name(op));
	if (!m)
		pr_info("%s%s\n", line, native ? "" : "none");
	else
		seq_printf(m, "%s%s\nabi_headers=%u.%u\n", line,
			   native ? "" : "none", PVX_ABI_VERSION_MAJOR,
			   PVX_ABI_VERSION_MINOR);
}

static int __init pvx_late_init(void)
{
	pvx_install_step(PVX_STEP_LATE);
	if (test_bit(PVX_OP_steal_clock, pvx_pv)) {
		static_key_slow_inc(&paravirt_steal_enabled);
		if (pvx_steal_acc)
			static_key_slow_inc(&paravirt_steal_rq_enabled);
	}
	pvx_print_status(NULL);
	return 0;
}
arch_initcall(pvx_late_init);
