// SPDX-License-Identifier: GPL-2.0
/*
 * pvx core: backend selection, the live ops table, the hooks mainline
 * already has, and the boot step that patches every site.
 *
 * Boot order:
 *  1. early boot runs with every site in its native form;
 *  2. mainline's hypervisor detection calls pvx_detect(), which asks each
 *     backend's detect() (or obeys pvx=) and picks a candidate;
 *  3. pvx_init_platform() lets the candidate fill struct pvx_ops, falling
 *     back to native on any failure;
 *  4. alternative_instructions() calls pvx_apply() before secondary CPUs
 *     start: hooks are installed and every site is patched once.
 */
#define pr_fmt(fmt) "pvx: " fmt

#include <linux/console.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/notifier.h>
#include <linux/reboot.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>
#include <pvx/abi.h>
#include <asm/hypervisor.h>
#include <asm/paravirt.h>
#include <asm/pvx_backend.h>
#include <asm/sections.h>
#include <asm/tsc.h>
#ifdef CONFIG_PARAVIRT_SPINLOCKS
#include <asm/qspinlock.h>
#endif

/**
 * DOC: pvx_ops
 *
 * The live ops table: what the patcher patched the sites for.  Filled once
 * at boot by the chosen backend; nothing calls through it.
 */
struct pvx_ops pvx_ops __ro_after_init;
EXPORT_SYMBOL_IF_KUNIT(pvx_ops);

static const struct pvx_backend *const pvx_backends[] = {
	&pvx_native_backend,
};

static const struct pvx_backend *pvx_backend __ro_after_init;
static const struct pvx_backend *pvx_candidate;
static u32 pvx_abi __ro_after_init;
static struct pvx_patch_stats pvx_boot_stats __ro_after_init;
static u64 pvx_boot_ns __ro_after_init;

static char pvx_param[16] __initdata;

static int __init pvx_setup(char *arg)
{
	if (arg)
		strscpy(pvx_param, arg, sizeof(pvx_param));
	return 0;
}
early_param("pvx", pvx_setup);

static void pvx_warn_param(const struct pvx_backend *const *list,
			   unsigned int n, const char *param)
{
	char names[96];
	unsigned int i, len = 0;

	for (i = 0; i < n; i++)
		len += scnprintf(names + len, sizeof(names) - len, ", %s",
				 list[i]->name);
	pr_warn("unknown pvx=%s (valid: auto%s); using auto selection\n",
		param, names);
}

/**
 * pvx_choose() - pick the backend to run on
 * @list: the backends
 * @n: how many
 * @param: the pvx= value: "auto", a backend name, or NULL/empty for auto
 * @prio: set to the winner's priority (U32_MAX when forced by @param)
 *
 * Auto selection asks each backend's detect() and takes the highest
 * priority (the first one on a tie); nothing above 0 means native.
 * An unknown @param is warned about, naming the valid values, and ignored.
 *
 * Return: the chosen backend, never NULL.
 */
const struct pvx_backend *pvx_choose(const struct pvx_backend *const *list,
				     unsigned int n, const char *param,
				     u32 *prio)
{
	const struct pvx_backend *best = &pvx_native_backend;
	u32 p, best_prio = 0;
	unsigned int i;

	if (param && *param && strcmp(param, "auto")) {
		for (i = 0; i < n; i++) {
			if (!strcmp(list[i]->name, param)) {
				*prio = U32_MAX;
				return list[i];
			}
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
EXPORT_SYMBOL_IF_KUNIT(pvx_choose);

/**
 * pvx_init_backend() - let a backend fill the ops table
 * @b: the backend
 * @ops: filled with the native ops plus @b's overrides
 * @abi: set to the ABI version @b negotiated (major << 16 | minor), or 0
 *
 * The backend works on a copy preloaded with the native ops, so a failing
 * init() leaves nothing half-done behind.
 *
 * Return: @b, or the native backend if @b's init() failed.
 */
const struct pvx_backend *pvx_init_backend(const struct pvx_backend *b,
					   struct pvx_ops *ops, u32 *abi)
{
	struct pvx_ops tmp = pvx_native_ops;
	u32 v = 0;
	int ret;

	*abi = 0;
	*ops = pvx_native_ops;
	if (b->init) {
		ret = b->init(&tmp, &v);
		if (ret) {
			pr_err("backend %s failed to initialize (%d); running native\n",
			       b->name, ret);
			return &pvx_native_backend;
		}
	}
	*ops = tmp;
	*abi = v;
	return b;
}
EXPORT_SYMBOL_IF_KUNIT(pvx_init_backend);

static u32 __init pvx_detect(void)
{
	u32 prio;

	pvx_candidate = pvx_choose(pvx_backends, ARRAY_SIZE(pvx_backends),
				   pvx_param, &prio);
	return pvx_candidate == &pvx_native_backend ? 0 : prio;
}

static void __init pvx_init_platform(void)
{
	pvx_backend = pvx_init_backend(pvx_candidate, &pvx_ops, &pvx_abi);
}

const __initconst struct hypervisor_x86 x86_hyper_pvx = {
	.name			= "pvx",
	.detect			= pvx_detect,
	.type			= X86_HYPER_PVX,
	.init.init_platform	= pvx_init_platform,
};

/* Ops reached through static calls, not sites. */
DEFINE_STATIC_CALL(pvx_console_write, pvx_native_console_write);
DEFINE_STATIC_CALL(pvx_shutdown, pvx_native_shutdown);
DEFINE_STATIC_CALL(pvx_vcpu_is_preempted, pvx_native_vcpu_is_preempted);

static bool pvx_console_on __ro_after_init;

static void pvx_console_write(struct console *con, const char *s,
			      unsigned int n)
{
	static_call(pvx_console_write)(s, n);
}

static struct console pvx_console = {
	.name	= "pvx",
	.write	= pvx_console_write,
	.flags	= CON_PRINTBUFFER | CON_ANYTIME,
	.index	= -1,
};

static bool pvx_shutdown_on __ro_after_init;

/* Power-off and restart go to the backend's shutdown op. */
static int pvx_sys_off(struct sys_off_data *data)
{
	static_call(pvx_shutdown)(data->mode == SYS_OFF_MODE_RESTART ?
				  PVX_SHUTDOWN_REBOOT : PVX_SHUTDOWN_POWEROFF, 0);
	return NOTIFY_DONE;
}

#ifdef CONFIG_PARAVIRT_SPINLOCKS
__visible bool pvx_vcpu_is_preempted_call(long cpu);
__visible bool pvx_vcpu_is_preempted_call(long cpu)
{
	return static_call(pvx_vcpu_is_preempted)(cpu);
}

PV_CALLEE_SAVE_REGS_THUNK(pvx_vcpu_is_preempted_call);
#endif

#define pvx_changed(ops, g, n) ((ops)->g.n != pvx_native_ops.g.n)

/* The pv_ops hooks have the names and types of the pvx ops they take. */
#define pvx_install_pv_op(ops, g, n)					\
	do {								\
		if (pvx_changed(ops, g, n))				\
			pv_ops.g.n = (ops)->g.n;			\
	} while (0)

/*
 * Hand the backend's functions to the hooks mainline already has.  pv_ops
 * call sites are turned into direct calls by apply_alternatives(), which
 * runs right after pvx_apply(); the static calls patch themselves.
 */
static void __init pvx_install_hooks(const struct pvx_ops *ops)
{
	pvx_install_pv_op(ops, irq, safe_halt);
	pvx_install_pv_op(ops, irq, halt);
	pvx_install_pv_op(ops, cpu, io_delay);
	pvx_install_pv_op(ops, mmu, flush_tlb_user);
	pvx_install_pv_op(ops, mmu, flush_tlb_kernel);
	pvx_install_pv_op(ops, mmu, flush_tlb_one_user);
	pvx_install_pv_op(ops, mmu, flush_tlb_multi);
	if (pvx_changed(ops, time, sched_clock))
		paravirt_set_sched_clock(ops->time.sched_clock);
	if (pvx_changed(ops, time, steal_clock)) {
		static_call_update(pv_steal_clock, ops->time.steal_clock);
		static_key_slow_inc(&paravirt_steal_enabled);
		static_key_slow_inc(&paravirt_steal_rq_enabled);
	}
#ifdef CONFIG_PARAVIRT_SPINLOCKS
	if (pvx_changed(ops, lock, wait) && pvx_changed(ops, lock, kick)) {
		__pv_init_lock_hash();
		pv_ops.lock.queued_spin_lock_slowpath =
			__pv_queued_spin_lock_slowpath;
		pv_ops.lock.queued_spin_unlock =
			PV_CALLEE_SAVE(__pv_queued_spin_unlock);
		pv_ops.lock.wait = ops->lock.wait;
		pv_ops.lock.kick = ops->lock.kick;
	}
	if (pvx_changed(ops, lock, vcpu_is_preempted)) {
		static_call_update(pvx_vcpu_is_preempted,
				   ops->lock.vcpu_is_preempted);
		pv_ops.lock.vcpu_is_preempted =
			PV_CALLEE_SAVE(pvx_vcpu_is_preempted_call);
	}
#endif
	if (pvx_changed(ops, platform, console_write)) {
		static_call_update(pvx_console_write,
				   ops->platform.console_write);
		pvx_console_on = true;
	}
	if (pvx_changed(ops, platform, shutdown)) {
		static_call_update(pvx_shutdown, ops->platform.shutdown);
		pvx_shutdown_on = true;
	}
}

/**
 * pvx_apply() - install the chosen backend and patch every core site
 *
 * Called once from alternative_instructions(), before secondary CPUs
 * start, and prints the one pvx line of the boot log.
 */
void __init pvx_apply(void)
{
	struct pvx_site *sites;
	unsigned int n;
	u64 t0, c0;

	t0 = rdtsc_ordered();
	c0 = local_clock();
	if (!pvx_backend) {
		/* Detection chose native, or another hypervisor won it. */
		if (!pvx_candidate || x86_hyper_type != X86_HYPER_NATIVE)
			pvx_candidate = &pvx_native_backend;
		pvx_backend = pvx_init_backend(pvx_candidate, &pvx_ops,
					       &pvx_abi);
	}
	pvx_install_hooks(&pvx_ops);

	sites = pvx_core_sites(&n);
	pvx_patch_sites(sites, sites + n, &pvx_ops, true, &pvx_boot_stats);
	/* local_clock() may still tick in jiffies here: prefer the TSC. */
	if (tsc_khz)
		pvx_boot_ns = mul_u64_u32_div(rdtsc_ordered() - t0,
					      NSEC_PER_MSEC, tsc_khz);
	else
		pvx_boot_ns = local_clock() - c0;

	pvx_print_status(NULL);
}

/**
 * pvx_print_status() - the pvx boot line
 * @m: a seq_file to print to, or NULL for the kernel log
 */
void pvx_print_status(struct seq_file *m)
{
	const struct pvx_patch_stats *st = &pvx_boot_stats;
	char line[160];

	scnprintf(line, sizeof(line),
		  "backend=%s abi=%u.%u sites=%u inline=%u direct=%u nop=%u unpatched=%u time_us=%llu",
		  pvx_backend ? pvx_backend->name : "none",
		  pvx_abi >> 16, pvx_abi & 0xffff, st->sites,
		  st->state[PVX_SITE_INLINE], st->state[PVX_SITE_DIRECT],
		  st->state[PVX_SITE_NOP], st->state[PVX_SITE_UNPATCHED],
		  div_u64(pvx_boot_ns, NSEC_PER_USEC));
	if (!m) {
		pr_info("%s\n", line);
		return;
	}
	seq_printf(m, "%s\n", line);
	/* The PVX ABI these headers describe (a backend negotiates down). */
	seq_printf(m, "abi_headers=%u.%u\n", PVX_ABI_VERSION_MAJOR,
		   PVX_ABI_VERSION_MINOR);
}

/**
 * pvx_boot_stats_get() - the counts of the boot-time patching pass
 *
 * Return: the counts pvx_apply() printed.
 */
const struct pvx_patch_stats *pvx_boot_stats_get(void)
{
	return &pvx_boot_stats;
}
EXPORT_SYMBOL_IF_KUNIT(pvx_boot_stats_get);

static int __init pvx_console_init(void)
{
	if (pvx_console_on)
		register_console(&pvx_console);
	return 0;
}
console_initcall(pvx_console_init);

static int __init pvx_sys_off_init(void)
{
	if (!pvx_shutdown_on)
		return 0;
	register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_FIRMWARE,
				 pvx_sys_off, NULL);
	register_sys_off_handler(SYS_OFF_MODE_RESTART, SYS_OFF_PRIO_FIRMWARE,
				 pvx_sys_off, NULL);
	return 0;
}
arch_initcall(pvx_sys_off_init);

/**
 * pvx_walk_sites() - visit every site, core and modules
 * @v: the visitor
 *
 * Return: what the last @v->visit() call returned.
 */
int pvx_walk_sites(struct pvx_site_visitor *v)
{
	struct pvx_site *s, *sites;
	unsigned long addr;
	unsigned int n;
	bool gone;
	int ret = 0;

	sites = pvx_core_sites(&n);
	for (s = sites; s < sites + n && !ret; s++) {
		addr = (unsigned long)pvx_site_addr(s);
		gone = system_state >= SYSTEM_FREEING_INITMEM &&
		       is_kernel_inittext(addr);
		ret = v->visit(v, s, gone);
	}
	return ret ?: pvx_walk_module_sites(v);
}
EXPORT_SYMBOL_IF_KUNIT(pvx_walk_sites);

static bool pvx_insn_hits_table(const u8 *p)
{
	const unsigned long lo = (unsigned long)&pvx_ops;
	const unsigned long hi = lo + sizeof(pvx_ops);
	unsigned long t;

	if (p[0] != 0xff)
		return false;
	/* call/jmp *disp32(%rip) */
	if (p[1] == 0x15 || p[1] == 0x25) {
		t = (unsigned long)(p + 6) + (long)get_unaligned((s32 *)(p + 2));
		return t >= lo && t < hi;
	}
	/* call/jmp *disp32 (absolute, sign-extended) */
	if ((p[1] == 0x14 || p[1] == 0x24) && p[2] == 0x25) {
		t = (unsigned long)(long)get_unaligned((s32 *)(p + 3));
		return t >= lo && t < hi;
	}
	return false;
}

/**
 * pvx_count_table_calls() - indirect calls or jumps through pvx_ops
 *
 * Scans the kernel's text for call/jmp instructions whose memory operand
 * lies inside pvx_ops.  pvx never emits one: after patching, every site
 * is inline, a direct call or NOPs.
 *
 * Return: how many were found.
 */
unsigned int pvx_count_table_calls(void)
{
	const u8 *p;
	unsigned int found = 0;

	for (p = (const u8 *)_stext; p + 7 <= (const u8 *)_etext; p++)
		found += pvx_insn_hits_table(p);
	return found;
}
EXPORT_SYMBOL_IF_KUNIT(pvx_count_table_calls);
