// SPDX-License-Identifier: GPL-2.0
/*
 * refhv: Linux as a guest of a hypervisor that speaks the PVX ABI
 * (include/uapi/pvx/, Documentation/virt/pvx/abi/), such as pvx-hv.
 *
 * Shaped like arch/x86/kernel/kvm.c: one x86 hypervisor entry whose
 * detect() only reads the PVX CPUID leaves; init_platform negotiates (or
 * takes what earlycon=pvx negotiated) and installs each op whose feature
 * the host granted, by direct assignment to mainline's hook; the APIC,
 * SMP, console, cpuhp and late hooks install the rest.  Every op the host
 * did not grant, or whose answer failed a check, stays native.
 *
 * The transport named by CPUID (port I/O, vmcall or vmmcall) becomes the
 * target of one static call, so no hypercall branches on it.  Each vCPU
 * registers a shared page: a pvclock-layout time record, steal time and
 * the preempted flag.  The host's answers are checked, with bounded
 * retries, and a surprise leaves the ops it affects native, with one
 * message.
 *
 * Ops: sched_clock, a clocksource and the TSC frequency from the time
 * record (with ABI 1.2's STABLE_TIME, the boot CPU's record in a page the
 * vDSO maps); the steal clock and vcpu_is_preempted from the shared page;
 * a per-CPU clockevent on set_timer; remote TLB flushes that leave a
 * preempted vCPU's flush to the host (1.2: a flag in its steal record,
 * as kvm.c; before, the flush_tlb hypercall); PV EOI and the wall clock
 * from their 1.2 records; multi-target IPIs on send_ipi (ABI 1.1); a
 * call-function IPI to a busy but preempted vCPU batched with a
 * sched_yield in one multicall; pv spinlocks on block and kick_vcpu; the
 * pvx console on console_write; shutdown, reboot and crash.  A kexec'd
 * kernel negotiates again after a soft_reset.  HLT stays native: under
 * pvx-hv it is handled inside KVM, where a PVX hypercall exits to
 * userspace.
 */
#define pr_fmt(fmt) "pvx: refhv: " fmt

#include <linux/clockchips.h>
#include <linux/clocksource.h>
#include <linux/console.h>
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/notifier.h>
#include <linux/panic.h>
#include <linux/panic_notifier.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/serial_core.h>
#include <linux/spinlock.h>
#include <linux/static_call.h>
#include <linux/syscore_ops.h>
#include <pvx/abi.h>
#include <asm/apic.h>
#include <asm/cmdline.h>
#include <asm/hardirq.h>
#include <asm/hypervisor.h>
#include <asm/idtentry.h>
#include <asm/irq_regs.h>
#include <asm/irq_vectors.h>
#include <asm/paravirt.h>
#include <asm/pgtable_types.h>
#include <asm/processor.h>
#include <asm/pvclock.h>
#include <asm/pvx.h>
#include <asm/reboot.h>
#include <asm/setup.h>
#include <asm/smp.h>
#include <asm/tlb.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>
#include <asm/x86_init.h>
#ifdef CONFIG_PARAVIRT_SPINLOCKS
#include <asm/qspinlock.h>
#endif

#define REFHV_ABI	PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR)
#define REFHV_PAGES	(PVX_FEATURE(SHARED_PAGE))
#define REFHV_STEAL	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(STEAL_TIME))
#define REFHV_CONSOLE	(PVX_FEATURE(CONSOLE))
#define REFHV_IPI	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(PV_IPI))
#define REFHV_TIMER	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(TIMER))
#define REFHV_FLUSH	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(FLUSH_TLB))
#define REFHV_YIELD	(PVX_FEATURE(PV_IPI) | PVX_FEATURE(MULTICALL))
#define REFHV_STABLE	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(STABLE_TIME))
#define REFHV_STEAL_REC	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(STEAL_RECORD))
#define REFHV_EOI	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(PV_EOI))
#define REFHV_WALL	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(WALL_CLOCK))
/* What a CPU's page holds, which a refused page takes back. */
#define REFHV_RECORDS	(REFHV_STEAL | REFHV_STEAL_REC | REFHV_STABLE | REFHV_EOI | REFHV_WALL)
#define REFHV_WANTED	(REFHV_STEAL | REFHV_CONSOLE | REFHV_IPI | REFHV_TIMER | \
			 REFHV_FLUSH | REFHV_YIELD | REFHV_STABLE | REFHV_STEAL_REC | \
			 REFHV_EOI | REFHV_WALL | PVX_FEATURE(SOFT_RESET))
/* The wall clock refhv believes: 2000-01-01 up to 2100-01-01 (UTC). */
#define REFHV_WALL_MIN	946684800LL
#define REFHV_WALL_MAX	4102444800LL
/* How often a reader retries a record the host is updating. */
#define REFHV_RETRIES	1000
/* The longest a pv spinlock waiter sleeps without a kick or an interrupt. */
#define REFHV_WAIT_NS	(10 * NSEC_PER_MSEC)
/* How often console_write may make no progress before the console is given up. */
#define REFHV_CONSOLE_STALLS	3

static u16 refhv_port __ro_after_init;
static u32 refhv_base __ro_after_init;
static u32 refhv_transport __ro_after_init;
/* What the host granted and refhv set up: ops test it with refhv_has(). */
static u64 refhv_features __ro_after_init;
static u32 refhv_nr_vcpus __ro_after_init = PVX_MAX_VCPUS;
/* The boot CPU's time record has a usable scale: the time ops may go in. */
static bool refhv_time __ro_after_init;

static bool refhv_has(u64 features)
{
	return (refhv_features & features) == features;
}

/*
 * One hypercall: nr in RAX, arguments in RBX, RCX and RSI, the unused
 * argument registers RDI and R8 zero, RDX the port (port I/O) or zero.
 */
#define REFHV_HYPERCALL(insn, dx, nr, a0, a1, a2)			\
({									\
	register u64 __r8 asm("r8") = 0;				\
	long __ret;							\
									\
	asm volatile(insn						\
		     : "=a" (__ret)					\
		     : "a" (nr), "b" (a0), "c" (a1), "S" (a2), "D" (0UL), \
		       "r" (__r8), "d" (dx)				\
		     : "memory");					\
	__ret;								\
})

static long refhv_hc_ioport(u64 nr, u64 a0, u64 a1, u64 a2)
{
	return REFHV_HYPERCALL("outl %%eax, %%dx", (u64)refhv_port, nr, a0, a1, a2);
}

static long refhv_hc_vmcall(u64 nr, u64 a0, u64 a1, u64 a2)
{
	return REFHV_HYPERCALL("vmcall", 0UL, nr, a0, a1, a2);
}

static long refhv_hc_vmmcall(u64 nr, u64 a0, u64 a1, u64 a2)
{
	return REFHV_HYPERCALL("vmmcall", 0UL, nr, a0, a1, a2);
}

/* The transport, chosen once at negotiation. */
DEFINE_STATIC_CALL(refhv_hc, refhv_hc_ioport);

static const char *const refhv_transport_names[] = {
	[PVX_TRANSPORT_IOPORT]	= "ioport",
	[PVX_TRANSPORT_VMCALL]	= "vmcall",
	[PVX_TRANSPORT_VMMCALL]	= "vmmcall",
};

/*
 * The PVX leaves: the signature, a version of our major, and a transport
 * that can work (a port in PVX_IOPORT_MIN..PVX_IOPORT_MAX).
 * Only CPUID: nothing is asked of the host yet.
 */
static u32 __init refhv_find_leaves(void)
{
	u32 base, eax, ebx, ecx, edx, version;

	for (base = PVX_CPUID_SCAN_FIRST; base <= PVX_CPUID_SCAN_LAST;
	     base += PVX_CPUID_SCAN_STEP) {
		cpuid(base + PVX_CPUID_LEAF_SIGNATURE, &eax, &ebx, &ecx, &edx);
		if (ebx == PVX_CPUID_SIGNATURE_EBX && ecx == PVX_CPUID_SIGNATURE_ECX &&
		    edx == PVX_CPUID_SIGNATURE_EDX)
			break;
	}
	if (base > PVX_CPUID_SCAN_LAST)
		return 0;
	if (eax < base + PVX_CPUID_LEAF_TRANSPORT) {
		pr_info("PVX leaves at %#x end at %#x; running native\n", base, eax);
		return 0;
	}
	version = cpuid_eax(base + PVX_CPUID_LEAF_VERSION);
	if (version >> 16 != PVX_ABI_VERSION_MAJOR) {
		pr_info("host serves ABI %u.%u, not major %u; running native\n",
			version >> 16, version & 0xffff, PVX_ABI_VERSION_MAJOR);
		return 0;
	}
	cpuid(base + PVX_CPUID_LEAF_TRANSPORT, &eax, &ebx, &ecx, &edx);
	if (eax < PVX_TRANSPORT_IOPORT || eax > PVX_TRANSPORT_VMMCALL || ecx || edx ||
	    (eax == PVX_TRANSPORT_IOPORT ? ebx < PVX_IOPORT_MIN || ebx > PVX_IOPORT_MAX : ebx)) {
		pr_info("unusable transport %u (%#x %#x %#x); running native\n",
			eax, ebx, ecx, edx);
		return 0;
	}
	refhv_base = base;
	refhv_transport = eax;
	refhv_port = ebx;
	/* A host that also offers other interfaces prefers its own ABI. */
	return PVX_CPUID_SCAN_LAST + PVX_CPUID_SCAN_STEP;
}

/* Once, whether earlycon=pvx or the hypervisor table asks first. */
static u32 __init refhv_detect(void)
{
	static u32 prio __initdata = U32_MAX;

	if (prio == U32_MAX)
		prio = refhv_find_leaves();
	return prio;
}

/* pvx_abi=M.m: the highest version refhv offers; REFHV_ABI without it. */
static u32 __init refhv_abi_offer(void)
{
	unsigned int major, minor;
	char arg[16];

	if (cmdline_find_option(boot_command_line, "pvx_abi", arg, sizeof(arg)) < 0)
		return REFHV_ABI;
	if (sscanf(arg, "%u.%u", &major, &minor) != 2 || major > 0xffff || minor > 0xffff) {
		pr_warn("pvx_abi=%s is not <major>.<minor>; ignored\n", arg);
		return REFHV_ABI;
	}
	return min_t(u32, REFHV_ABI, PVX_ABI_VERSION(major, minor));
}

/* Read by refhv_abi_offer() from the command line, which earlycon=pvx needs early. */
static int __init refhv_abi_param(char *arg)
{
	return 0;
}
early_param("pvx_abi", refhv_abi_param);

/*
 * The host's answer is not trusted: another major, a version above the
 * one offered, a feature never asked for or one the answered version does
 * not define is refused.  Return NULL, or what is wrong with it.
 */
static const char *refhv_check_answer(u32 offered, u32 abi, u64 features)
{
	if (abi >> 16 != offered >> 16)
		return "not of the major offered";
	if (abi > offered)
		return "above the version offered";
	if (features & ~REFHV_WANTED)
		return "a feature never offered";
	if (features & ~pvx_features_known_in(abi))
		return "a feature that version does not define";
	return NULL;
}

static struct pvx_negotiate refhv_negotiation __aligned(32);

/*
 * Negotiate, once: from init_platform, or earlier from earlycon=pvx.
 * Return 0 (refhv_features holds the grant) or a negative errno.
 */
static int __init refhv_negotiate(void)
{
	static int ret __initdata = 1;
	struct pvx_negotiate *n = &refhv_negotiation;
	u32 offer = refhv_abi_offer();
	const char *why;
	long r;

	if (ret <= 0)
		return ret;
	if (refhv_transport == PVX_TRANSPORT_VMCALL)
		static_call_update(refhv_hc, refhv_hc_vmcall);
	else if (refhv_transport == PVX_TRANSPORT_VMMCALL)
		static_call_update(refhv_hc, refhv_hc_vmmcall);
	n->size = sizeof(*n);
	n->version = offer;
	n->features = REFHV_WANTED;
	r = static_call(refhv_hc)(PVX_HC_negotiate, __pa(n), 0, 0);
	if (r == -PVX_EALREADY) {
		/* A kernel before this one (kexec, kdump) negotiated: start over. */
		r = static_call(refhv_hc)(PVX_HC_soft_reset, 0, 0, 0);
		if (r) {
			ret = r < 0 ? r : -EPROTO;
			pr_err("negotiated before, and soft reset refused (%d); running native\n",
			       ret);
			return ret;
		}
		pr_info("negotiated before: soft reset\n");
		r = static_call(refhv_hc)(PVX_HC_negotiate, __pa(n), 0, 0);
	}
	if (r) {
		ret = r < 0 ? r : -EPROTO;
		pr_err("negotiate failed (%d); running native\n", ret);
		return ret;
	}
	why = refhv_check_answer(offer, n->version, n->features);
	if (why) {
		pr_err("host answered ABI %u.%u, features %#llx to %u.%u: %s; running native\n",
		       n->version >> 16, n->version & 0xffff, n->features,
		       offer >> 16, offer & 0xffff, why);
		ret = -EPROTO;
		return ret;
	}
	ret = 0;
	refhv_features = n->features;
	if (n->version >= PVX_ABI_VERSION(1, 1)) {
		if (n->max_multicall < 2 && refhv_has(PVX_FEATURE(MULTICALL))) {
			pr_warn("host takes multicalls of %u entries; no yield with IPIs\n",
				n->max_multicall);
			refhv_features &= ~PVX_FEATURE(MULTICALL);
		}
		refhv_nr_vcpus = min_t(u32, n->nr_vcpus, PVX_MAX_VCPUS);
	}
	pvx_negotiated.abi = n->version;
	pvx_negotiated.features = refhv_features;
	pvx_negotiated.transport = refhv_transport_names[refhv_transport];
	return 0;
}

/* The pvclock record in a shared page. */
static __always_inline struct pvclock_vcpu_time_info *refhv_page_time(struct pvx_vcpu_shared *s)
{
	return (struct pvclock_vcpu_time_info *)&s->time;
}

/*
 * The boot CPU's page; the others are allocated as they come online.
 * Until then a CPU reads the boot CPU's time record.
 */
static struct pvx_vcpu_shared refhv_boot_page __page_aligned_bss;
static DEFINE_PER_CPU(struct pvx_vcpu_shared *, refhv_shared) = &refhv_boot_page;
/*
 * Each CPU's time record: in its page, but with STABLE_TIME the boot
 * CPU's moves to the start of a page of its own, as kvmclock's
 * hv_clock_boot, which the vDSO maps for user mode to read.
 */
static struct pvclock_vsyscall_time_info
	refhv_vdso_time[PAGE_SIZE / sizeof(struct pvclock_vsyscall_time_info)]
	__bss_decrypted __aligned(PAGE_SIZE);
static DEFINE_PER_CPU(struct pvclock_vcpu_time_info *, refhv_time_rec) =
	(struct pvclock_vcpu_time_info *)&refhv_boot_page.time;
/*
 * The CPUs whose page the host has filled, and each one's vCPU id as it
 * was then: a host that changes it later cannot make refhv index past
 * its own bitmaps.
 */
static struct cpumask refhv_registered;
static DEFINE_PER_CPU(u32, refhv_vcpu_id);
/* The bytes of a page refhv reads: 1.0's record, or 1.2's. */
static u32 refhv_page_size __ro_after_init = offsetofend(struct pvx_vcpu_shared, steal_ns);
/* What every CPU's page must hold: the time, steal time if granted... */
static u32 refhv_page_flags __ro_after_init = PVX_VCPU_TIME_VALID;
/* ...in the 1.2 record (PVX_VCPU_STEAL_RECORD) or 1.0's fields (STEAL_VALID). */
static u32 refhv_steal_flag __ro_after_init;

/* Steal time and preempted: the host granted them and the pages. */
static bool refhv_steal(void)
{
	return refhv_has(REFHV_PAGES) && refhv_steal_flag;
}

/* A time scale the ABI allows, with a rate: mul 0 gives no TSC rate. */
static bool refhv_time_scale_ok(struct pvclock_vcpu_time_info *t)
{
	s8 shift = READ_ONCE(t->tsc_shift);

	return READ_ONCE(t->tsc_to_system_mul) &&
	       shift >= PVX_TIME_SHIFT_MIN && shift <= PVX_TIME_SHIFT_MAX;
}

/*
 * Register @s as the calling vCPU's page, with its time record at @time
 * (in @s, or moved there by set_time_record), and check what the host
 * wrote: a stable time record, the flags refhv needs, a size that covers
 * every field refhv reads, a vCPU id the host serves.  Only then is it
 * this CPU's record; on failure the host is told to forget it.
 */
static int refhv_register(struct pvx_vcpu_shared *s, struct pvclock_vcpu_time_info *time)
{
	u32 id, need = refhv_page_flags;
	unsigned int i;
	long ret;

	ret = static_call(refhv_hc)(PVX_HC_register_shared_page, __pa(s), 0, 0);
	if (ret)
		return ret < 0 ? ret : -EPROTO;
	if (time != refhv_page_time(s)) {
		ret = static_call(refhv_hc)(PVX_HC_set_time_record, __pa(time), 0, 0);
		if (ret)
			goto refused;
		need &= ~PVX_VCPU_TIME_VALID;
	}
	for (i = 0; i < REFHV_RETRIES; i++) {
		if (!(READ_ONCE(time->version) & 1))
			break;
		cpu_relax();
	}
	id = READ_ONCE(s->vcpu_id);
	if (i == REFHV_RETRIES || READ_ONCE(s->size) < refhv_page_size || id >= refhv_nr_vcpus ||
	    (READ_ONCE(s->flags) & need) != need || (refhv_time && !refhv_time_scale_ok(time)))
		goto refused;
	this_cpu_write(refhv_shared, s);
	this_cpu_write(refhv_time_rec, time);
	this_cpu_write(refhv_vcpu_id, id);
	cpumask_set_cpu(smp_processor_id(), &refhv_registered);
	return 0;
refused:
	static_call(refhv_hc)(PVX_HC_register_shared_page, PVX_GPA_NONE, 0, 0);
	return -EPROTO;
}

/*
 * A CPU's own shared page: the page @cpu registered (it may have
 * unregistered it since, going offline), NULL if none.  A CPU with none
 * reads the boot CPU's time record, but has no vCPU id, steal time or
 * preempted flag of its own.
 */
static struct pvx_vcpu_shared *refhv_shared_page(unsigned int cpu)
{
	struct pvx_vcpu_shared *s = per_cpu(refhv_shared, cpu);

	if (!refhv_has(REFHV_PAGES) || (cpu && s == &refhv_boot_page))
		return NULL;
	return s;
}

/*
 * The boot CPU's page, before setup_per_cpu_areas(): every CPU starts out
 * with it.  Take back what a refused page or a time record without a
 * usable scale cannot give.
 */
static void __init refhv_boot_page_init(void)
{
	struct pvclock_vcpu_time_info *time = refhv_page_time(&refhv_boot_page);
	int ret;

	if (!refhv_has(REFHV_PAGES))
		return;
	if (pvx_negotiated.abi >= PVX_ABI_VERSION(1, 2))
		refhv_page_size = sizeof(struct pvx_vcpu_shared);
	if (refhv_has(REFHV_STEAL_REC))
		refhv_steal_flag = PVX_VCPU_STEAL_RECORD;
	else if (refhv_has(REFHV_STEAL))
		refhv_steal_flag = PVX_VCPU_STEAL_VALID;
	refhv_page_flags |= refhv_steal_flag;
	if (refhv_has(REFHV_EOI))
		refhv_page_flags |= PVX_VCPU_PV_EOI;
	if (refhv_has(REFHV_WALL))
		refhv_page_flags |= PVX_VCPU_WALL_CLOCK;
	if (refhv_has(REFHV_STABLE))
		time = &refhv_vdso_time[0].pvti;
	ret = refhv_register(&refhv_boot_page, time);
	if (ret) {
		pr_warn("shared page refused (%d); clock and steal time stay native\n", ret);
		refhv_features &= ~REFHV_RECORDS;
		return;
	}
	refhv_time = refhv_time_scale_ok(time);
	if (!refhv_time)
		pr_warn("time record without a usable scale (mul %u, shift %d); time ops stay native\n",
			READ_ONCE(time->tsc_to_system_mul), READ_ONCE(time->tsc_shift));
}

/*
 * The clock: sched_clock, a clocksource and the TSC frequency from the
 * calling CPU's time record, as kvmclock does.  sched_clock starts where
 * the old one was, so time does not jump.
 */
static u64 refhv_sched_clock_offset __ro_after_init;

static noinstr u64 refhv_clock_now(void)
{
	return pvclock_clocksource_read_nowd(this_cpu_read(refhv_time_rec));
}

static noinstr u64 refhv_sched_clock_read(void)
{
	return refhv_clock_now() - refhv_sched_clock_offset;
}

static u64 refhv_clock_read(struct clocksource *cs)
{
	u64 ret;

	preempt_disable_notrace();
	ret = pvclock_clocksource_read(this_cpu_read(refhv_time_rec));
	preempt_enable_notrace();
	return ret;
}

/* As kvm_cs_enable(): the vDSO may map the boot CPU's record from now on. */
static int refhv_cs_enable(struct clocksource *cs)
{
	vclocks_set_used(VDSO_CLOCKMODE_PVCLOCK);
	return 0;
}

static struct clocksource refhv_clocksource = {
	.name	= "pvx",
	.read	= refhv_clock_read,
	.enable	= refhv_cs_enable,
	.rating	= 400,
	.mask	= CLOCKSOURCE_MASK(64),
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
	.id	= CSID_X86_PVX_CLK,
};

/*
 * The TSC frequency from the time record's scale (refhv_time: it has
 * one), which the host knows: no refinement, as kvm_get_tsc_khz().
 */
static unsigned long refhv_tsc_khz(void)
{
	setup_force_cpu_cap(X86_FEATURE_TSC_KNOWN_FREQ);
	return pvclock_tsc_khz(this_cpu_read(refhv_time_rec));
}

/*
 * As kvmclock_init().  With STABLE_TIME the host sets the record's
 * PVX_TIME_TSC_STABLE only while one (ns, TSC) pair serves every vCPU:
 * pvclock then skips its global last_value, and if it holds now the vDSO
 * reads the boot CPU's record (pvclock checks the bit at every read and
 * falls back to the system call without it).  Without STABLE_TIME the
 * bit is not trusted (1.1 hosts set it with a pair per vCPU).
 */
static void __init refhv_clock_init(void)
{
	struct pvclock_vcpu_time_info *time = this_cpu_read(refhv_time_rec);

	/* pvclock_read_flags() sees only the flags pvclock was told to trust */
	if (refhv_has(REFHV_STABLE))
		pvclock_set_flags(PVCLOCK_TSC_STABLE_BIT);
	if (pvclock_read_flags(time) & PVCLOCK_TSC_STABLE_BIT) {
		pvclock_set_pvti_cpu0_va(refhv_vdso_time);
		refhv_clocksource.vdso_clock_mode = VDSO_CLOCKMODE_PVCLOCK;
	} else {
		clear_sched_clock_stable();
	}
	refhv_sched_clock_offset = refhv_clock_now() - sched_clock();
	paravirt_set_sched_clock(refhv_sched_clock_read);
	/* An invariant TSC needs no pv clock: let it win, as kvmclock does. */
	if (boot_cpu_has(X86_FEATURE_CONSTANT_TSC) && boot_cpu_has(X86_FEATURE_NONSTOP_TSC) &&
	    !check_tsc_unstable())
		refhv_clocksource.rating = 299;
	clocksource_register_hz(&refhv_clocksource, NSEC_PER_SEC);
	x86_platform.calibrate_tsc = refhv_tsc_khz;
	x86_platform.calibrate_cpu = refhv_tsc_khz;
}

/*
 * The wall clock (WALL_CLOCK): the time when the boot CPU's time record
 * read 0, plus that record now, as pvclock_read_wallclock() computes it
 * but with bounded retries.  false for a page no longer registered, a
 * record mid-update or a time outside REFHV_WALL_MIN..REFHV_WALL_MAX.
 */
static bool refhv_read_wallclock(struct timespec64 *now)
{
	struct pvx_wall_clock *w = &refhv_boot_page.wall_clock;
	u32 v, sec, nsec, rem;
	unsigned int i;
	u64 ns;

	for (i = 0; i < REFHV_RETRIES; i++) {
		v = READ_ONCE(w->version);
		virt_rmb();	/* the version before the values, as pvclock does */
		sec = READ_ONCE(w->sec);
		nsec = READ_ONCE(w->nsec);
		virt_rmb();	/* the values before the version's re-check */
		if (!(v & 1) && v == READ_ONCE(w->version))
			break;
	}
	if (i == REFHV_RETRIES || nsec >= NSEC_PER_SEC || !cpumask_test_cpu(0, &refhv_registered))
		return false;
	preempt_disable_notrace();
	ns = pvclock_clocksource_read_nowd(per_cpu(refhv_time_rec, 0));
	preempt_enable_notrace();
	set_normalized_timespec64(now, (s64)sec + div_u64_rem(ns, NSEC_PER_SEC, &rem),
				  (s64)nsec + rem);
	return now->tv_sec >= REFHV_WALL_MIN && now->tv_sec < REFHV_WALL_MAX;
}

static void (*refhv_native_wallclock)(struct timespec64 *now) __ro_after_init;

static void refhv_get_wallclock(struct timespec64 *now)
{
	if (refhv_read_wallclock(now))
		return;
	pr_warn_once("wall clock record unusable; reading the RTC\n");
	refhv_native_wallclock(now);
}

/* The host keeps the wall clock: nothing to write back, as kvm_set_wallclock(). */
static int refhv_set_wallclock(const struct timespec64 *now)
{
	return -ENODEV;
}

/* From init_platform: a wall clock refhv believes, or none (one message). */
static void __init refhv_wallclock_init(void)
{
	struct timespec64 now;

	if (!refhv_read_wallclock(&now)) {
		pr_warn("wall clock record unusable; reading the RTC\n");
		return;
	}
	refhv_native_wallclock = x86_platform.get_wallclock;
	x86_platform.get_wallclock = refhv_get_wallclock;
	x86_platform.set_wallclock = refhv_set_wallclock;
}

/* The steal time last returned for each CPU: it never goes back. */
static DEFINE_PER_CPU(u64, refhv_steal_last);

/*
 * 0 until @cpu has a page of its own: never another vCPU's, larger,
 * steal.  Then the record's steal time, read under its version; a record
 * the host retired (its flag cleared), a version that stays odd, or a
 * value below the last one leaves the last value: steal stops, it never
 * runs backwards (the scheduler would take that as a huge delta).
 */
static u64 refhv_steal_clock(int cpu)
{
	struct pvx_vcpu_shared *s = refhv_shared_page(cpu);
	u64 steal, last = per_cpu(refhv_steal_last, cpu);
	bool record = refhv_steal_flag == PVX_VCPU_STEAL_RECORD;
	unsigned int i;
	u32 *version;
	u64 *value;
	u32 v;

	if (!s || !(READ_ONCE(s->flags) & refhv_steal_flag))
		return last;
	version = record ? &s->steal.version : &s->steal_version;
	value = record ? &s->steal.steal : &s->steal_ns;
	for (i = 0; i < REFHV_RETRIES; i++) {
		v = READ_ONCE(*version);
		virt_rmb();	/* the version before the value, as pvclock does */
		steal = READ_ONCE(*value);
		virt_rmb();	/* the value before the version's re-check */
		if (!(v & 1) && v == READ_ONCE(*version))
			break;
	}
	if (i == REFHV_RETRIES || steal < last) {
		printk_deferred_once(KERN_WARNING pr_fmt("steal time %s; it stops there\n"),
				     i == REFHV_RETRIES ? "stays mid-update" : "went back");
		return last;
	}
	per_cpu(refhv_steal_last, cpu) = steal;
	return steal;
}

/*
 * The preempted byte of @cpu's record, 0 for a CPU without a page or a
 * retired record.  Only the 1.2 record has PVX_STEAL_FLUSH_TLB in it.
 */
static u8 refhv_preempted(int cpu)
{
	struct pvx_vcpu_shared *s = refhv_shared_page(cpu);

	if (!s || !(READ_ONCE(s->flags) & refhv_steal_flag))
		return 0;
	if (refhv_steal_flag == PVX_VCPU_STEAL_RECORD)
		return READ_ONCE(s->steal.preempted);
	return READ_ONCE(s->preempted) ? PVX_STEAL_PREEMPTED : 0;
}

/* Only a hint: a retired record says no vCPU is preempted. */
__visible bool refhv_vcpu_is_preempted(long cpu);
__visible bool refhv_vcpu_is_preempted(long cpu)
{
	return refhv_preempted(cpu) & PVX_STEAL_PREEMPTED;
}

PV_CALLEE_SAVE_REGS_THUNK(refhv_vcpu_is_preempted);

/*
 * The clockevent: set_timer arms the calling vCPU's one-shot timer at a
 * deadline on the time record's clock; the host injects
 * HYPERVISOR_CALLBACK_VECTOR at it.  Programmed in nanoseconds.
 */
static DEFINE_PER_CPU(struct clock_event_device, refhv_clockevent);
/* set_timer answered the probe: the clockevent is in use. */
static bool refhv_timer __ro_after_init;

static int refhv_timer_next(unsigned long delta, struct clock_event_device *evt)
{
	if (static_call(refhv_hc)(PVX_HC_set_timer, refhv_clock_now() + delta,
				  HYPERVISOR_CALLBACK_VECTOR, 0))
		return -ETIME;
	return 0;
}

static int refhv_timer_shutdown(struct clock_event_device *evt)
{
	/* tick_shutdown() detaches a dead CPU's device without calling here */
	if (evt == this_cpu_ptr(&refhv_clockevent))
		static_call(refhv_hc)(PVX_HC_set_timer, 0, 0, 0);
	return 0;
}

DEFINE_IDTENTRY_SYSVEC(sysvec_pvx_refhv_timer)
{
	struct pt_regs *old_regs = set_irq_regs(regs);
	struct clock_event_device *evt = this_cpu_ptr(&refhv_clockevent);

	apic_eoi();
	inc_irq_stat(irq_hv_callback_count);
	if (evt->event_handler)
		evt->event_handler(evt);
	set_irq_regs(old_regs);
}

/*
 * On the calling CPU, once its time record is live: rated above the
 * LAPIC timer, the tick moves to it.
 */
static void refhv_timer_register(void)
{
	struct clock_event_device *evt = this_cpu_ptr(&refhv_clockevent);
	unsigned long flags;

	/* still in use: a failed offline brought this CPU back online */
	if (!clockevent_state_detached(evt))
		return;
	/* an expiry left from this CPU's last time online finds no handler */
	local_irq_save(flags);
	*evt = (struct clock_event_device) {
		.name			= "pvx",
		.features		= CLOCK_EVT_FEAT_ONESHOT,
		.rating			= 450,
		.set_next_event		= refhv_timer_next,
		.set_state_shutdown	= refhv_timer_shutdown,
		.set_state_oneshot_stopped = refhv_timer_shutdown,
		.cpumask		= cpumask_of(smp_processor_id()),
	};
	clockevents_config_and_register(evt, NSEC_PER_SEC, NSEC_PER_USEC, U32_MAX);
	local_irq_restore(flags);
}

/*
 * x86_init.timers.setup_percpu_clockev: the LAPIC timer (whose
 * calibration the other CPUs reuse until their pages are up), then the
 * boot CPU's clockevent.  The others register theirs in
 * refhv_cpu_online().
 */
static void __init refhv_setup_percpu_clockev(void)
{
	setup_boot_APIC_clock();
	refhv_timer_register();
}

/*
 * The timer, if set_timer takes a deadline and a cancel: a host that
 * fails either leaves the LAPIC timer in charge.  Before init_IRQ() fills
 * the free system vectors and seals the IDT.
 */
static void __init refhv_timer_init(void)
{
	long arm, cancel;

	arm = static_call(refhv_hc)(PVX_HC_set_timer, refhv_clock_now() + NSEC_PER_SEC,
				    HYPERVISOR_CALLBACK_VECTOR, 0);
	cancel = static_call(refhv_hc)(PVX_HC_set_timer, 0, 0, 0);
	if (arm || cancel) {
		pr_warn("set_timer refused (%ld, %ld); the LAPIC timer stays\n", arm, cancel);
		return;
	}
	refhv_timer = true;
	sysvec_install(HYPERVISOR_CALLBACK_VECTOR, sysvec_pvx_refhv_timer);
	x86_init.timers.setup_percpu_clockev = refhv_setup_percpu_clockev;
}

/* send_ipi then sched_yield, in one exit; a page never splits the pair. */
struct refhv_ipi_yield {
	struct pvx_multicall_entry e[2];
} __aligned(128);
static_assert(sizeof(struct refhv_ipi_yield) == 128);

static DEFINE_PER_CPU(struct refhv_ipi_yield, refhv_ipi_yield);

/* The multicall of send_ipi and sched_yield; send_ipi's result. */
static long refhv_send_ipi_yield(u64 bits, u32 first, int vector)
{
	struct refhv_ipi_yield *b = this_cpu_ptr(&refhv_ipi_yield);
	long ret;

	/* a host that writes no result back has not sent the IPI */
	b->e[0] = (struct pvx_multicall_entry) {
		.nr = PVX_HC_send_ipi, .args = { bits, first, vector },
		.result = -PVX_ENOSYS,
	};
	b->e[1] = (struct pvx_multicall_entry) { .nr = PVX_HC_sched_yield };
	ret = static_call(refhv_hc)(PVX_HC_multicall, slow_virt_to_phys(b),
				    ARRAY_SIZE(b->e), 0);
	return ret ? (ret < 0 ? ret : -PVX_EINVAL) : READ_ONCE(b->e[0].result);
}

/*
 * One send_ipi: @bits names vCPUs @first.. of the CPUs in @mask but @self;
 * with @yield, batched with a sched_yield.  send_ipi answers how many
 * vCPUs it reached: should that not be every one named, those CPUs get
 * the IPI natively (a second one is harmless, a lost one is not).
 */
static void refhv_send_ipi_window(const struct cpumask *mask, int self, u64 bits,
				  u32 first, int vector, bool yield)
{
	u32 id;
	int cpu;
	long ret;

	if (yield)
		ret = refhv_send_ipi_yield(bits, first, vector);
	else
		ret = static_call(refhv_hc)(PVX_HC_send_ipi, bits, first, vector);
	if (ret == hweight64(bits))
		return;
	pr_warn_once("send_ipi answered %ld for %u vCPUs; sending those IPIs natively\n",
		     ret, (unsigned int)hweight64(bits));
	for_each_cpu_and(cpu, mask, &refhv_registered) {
		id = per_cpu(refhv_vcpu_id, cpu) - first;
		if (cpu != self && id < 64 && (bits & BIT_ULL(id)))
			__apic_send_IPI(cpu, vector);
	}
}

/*
 * Like kvm_send_ipi_mask(): one hypercall per 64 consecutive vCPU ids, the
 * last one batched with a sched_yield if @yield.  An NMI (below
 * PVX_VECTOR_MIN, which send_ipi cannot carry) and a CPU whose vCPU id is
 * not known yet (coming online) go through the APIC.
 */
static void refhv_send_ipi(const struct cpumask *mask, int self, int vector,
			   bool yield)
{
	unsigned long flags;
	u64 bits = 0;
	u32 first = 0, id;
	int cpu;

	local_irq_save(flags);
	for_each_cpu(cpu, mask) {
		if (cpu == self)
			continue;
		if (vector < PVX_VECTOR_MIN || !cpumask_test_cpu(cpu, &refhv_registered)) {
			__apic_send_IPI(cpu, vector);
			continue;
		}
		id = per_cpu(refhv_vcpu_id, cpu);
		if (bits && (id < first || id - first >= 64)) {
			refhv_send_ipi_window(mask, self, bits, first, vector, false);
			bits = 0;
		}
		if (!bits)
			first = id;
		bits |= BIT_ULL(id - first);
	}
	if (bits)
		refhv_send_ipi_window(mask, self, bits, first, vector, yield);
	local_irq_restore(flags);
}

static void refhv_send_ipi_mask(const struct cpumask *mask, int vector)
{
	refhv_send_ipi(mask, -1, vector, false);
}

static void refhv_send_ipi_allbutself(int vector)
{
	preempt_disable();
	refhv_send_ipi(cpu_online_mask, smp_processor_id(), vector, false);
	preempt_enable();
}

/*
 * PV EOI (PV_EOI), as kvm_guest_apic_eoi_write(): the host set
 * PVX_EOI_SKIP in this CPU's word when the EOI it is about to get may
 * be skipped; clearing the bit stands for the EOI.  Test and clear are
 * one instruction: the host may clear the bit itself at any exit, and
 * then wants the real EOI.  Any other bit is a broken record: this CPU
 * stops reading it, with one message.  NULL until the CPU registered its
 * own page, and once it went offline.
 */
static DEFINE_PER_CPU(u32 *, refhv_eoi_word);

static notrace void refhv_apic_eoi(void)
{
	u32 *word = this_cpu_read(refhv_eoi_word);
	u32 v;

	if (word) {
		v = READ_ONCE(*word);
		if (likely(!(v & ~PVX_EOI_SKIP))) {
			/* the word and the pad behind it: 8 bytes, 8-aligned */
			if (__test_and_clear_bit(0, (unsigned long *)word))
				return;
		} else {
			this_cpu_write(refhv_eoi_word, NULL);
			apic_native_eoi();
			pr_warn_once("PV EOI word %#x has reserved bits; EOIs go to the APIC\n", v);
			return;
		}
	}
	apic_native_eoi();
}

/* After the calling CPU registered @s: use its EOI word. */
static void refhv_eoi_enable(struct pvx_vcpu_shared *s)
{
	if (refhv_has(REFHV_EOI))
		this_cpu_write(refhv_eoi_word, &s->eoi);
}

/* x86_platform.apic_post_init: once the APIC driver is chosen, as kvm_apic_init(). */
static void __init refhv_apic_init(void)
{
	apic_update_callback(send_IPI_mask, refhv_send_ipi_mask);
	apic_update_callback(send_IPI_allbutself, refhv_send_ipi_allbutself);
}

#ifdef CONFIG_SMP
/*
 * Like kvm_smp_send_call_func_ipi(): the sender may wait for its targets,
 * so if one is busy but its vCPU is preempted (under pvx-hv: in a block,
 * which the IPI ends), the sender gives up its physical CPU.  Unlike
 * KVM_HC_SCHED_YIELD, sched_yield names no target: the host yields to
 * whatever it runs next, which pays only where vCPUs outnumber physical
 * CPUs.  A hypercall here is an exit to the host's userspace, not one KVM
 * serves in the kernel, so the yield goes in one multicall with the IPI:
 * one exit, not two.  With one vCPU there is never a target.
 */
static void refhv_send_call_func_ipi(const struct cpumask *mask)
{
	bool yield = false;
	int cpu;

	for_each_cpu(cpu, mask) {
		if (!idle_cpu(cpu) && refhv_vcpu_is_preempted(cpu)) {
			yield = true;
			break;
		}
	}
	refhv_send_ipi(mask, -1, CALL_FUNCTION_VECTOR, yield);
}
#endif

/* flush_tlb's bitmap: one bit per possible vCPU id, never across a page. */
struct refhv_vcpu_bitmap {
	u64 bits[PVX_MAX_VCPUS / 64];
} __aligned(PVX_MAX_VCPUS / BITS_PER_BYTE);

static DEFINE_PER_CPU(struct refhv_vcpu_bitmap, refhv_flush_bitmap);

/*
 * Like kvm_flush_tlb_multi(), with the host deciding who is preempted:
 * one flush_tlb for the other CPUs, which the host flushes itself (a
 * preempted vCPU before it next runs, without waiting for it); this CPU
 * runs flush_tlb_func() through native_flush_tlb_multi().  Where a CPU's
 * vCPU id is not known yet (it is coming online) or the host refuses,
 * every CPU gets the native IPI.  Called with preemption disabled.
 */
static void refhv_flush_tlb_multi(const struct cpumask *cpus,
				  const struct flush_tlb_info *info)
{
	struct refhv_vcpu_bitmap *map = this_cpu_ptr(&refhv_flush_bitmap);
	int cpu, self = smp_processor_id();
	u32 id, nbits = 0;
	long ret;

	memset(map, 0, sizeof(*map));
	for_each_cpu(cpu, cpus) {
		/* as native_flush_tlb_multi(): lazy CPUs flush at their next switch */
		if (cpu == self ||
		    (!info->freed_tables && per_cpu(cpu_tlbstate_shared.is_lazy, cpu)))
			continue;
		if (!cpumask_test_cpu(cpu, &refhv_registered))
			goto native;
		id = per_cpu(refhv_vcpu_id, cpu);
		map->bits[id / 64] |= BIT_ULL(id % 64);
		nbits = max(nbits, id + 1);
	}
	if (nbits) {
		ret = static_call(refhv_hc)(PVX_HC_flush_tlb, slow_virt_to_phys(map), nbits, 0);
		if (ret < 0) {
			pr_warn_once("flush_tlb refused (%ld); flushing through IPIs\n", ret);
			goto native;
		}
	}
	if (cpumask_test_cpu(self, cpus))
		native_flush_tlb_multi(cpumask_of(self), info);
	return;
native:
	native_flush_tlb_multi(cpus, info);
}

/*
 * As kvm_flush_tlb_multi() (STEAL_RECORD): a target whose record says
 * preempted gets PVX_STEAL_FLUSH_TLB, set with a compare-and-exchange
 * from PVX_STEAL_PREEMPTED, the one write the ABI lets a guest make (the
 * host exchanges the byte for 0 as the vCPU comes back, and flushes if
 * the bit is there); nobody waits for it.  One whose flush is requested
 * already needs nothing more.  Every other target gets the native IPI,
 * this CPU its own flush (whatever its record says: a vCPU flushing is
 * running).  Anything else in the byte is the host's doing: the IPI, and
 * one message.  No hypercall.  The mask is allocated at arch_initcall
 * (refhv_late_init()), as kvm.c's; until then every target gets the IPI.
 */
static DEFINE_PER_CPU(cpumask_var_t, refhv_flush_mask);

static void refhv_flush_tlb_multi_record(const struct cpumask *cpus,
					 const struct flush_tlb_info *info)
{
	struct cpumask *mask = this_cpu_cpumask_var_ptr(refhv_flush_mask);
	int cpu, self = smp_processor_id();
	struct pvx_vcpu_shared *s;
	u8 state;

	if (!mask) {
		native_flush_tlb_multi(cpus, info);
		return;
	}
	cpumask_copy(mask, cpus);
	for_each_cpu(cpu, mask) {
		if (cpu == self)
			continue;
		state = refhv_preempted(cpu);
		if (state == (PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB)) {
			__cpumask_clear_cpu(cpu, mask);
		} else if (state == PVX_STEAL_PREEMPTED) {
			s = refhv_shared_page(cpu);
			if (try_cmpxchg(&s->steal.preempted, &state, state | PVX_STEAL_FLUSH_TLB))
				__cpumask_clear_cpu(cpu, mask);
		} else if (state) {
			pr_warn_once("CPU %d's steal record: preempted %#x; flushing it through IPIs\n",
				     cpu, state);
		}
	}
	native_flush_tlb_multi(mask, info);
}

#ifdef CONFIG_PARAVIRT_SPINLOCKS
/*
 * block with interrupts enabled on the way in, as native_safe_halt()'s
 * "sti; hlt": sti's shadow covers the hypercall instruction, so an
 * interrupt that comes after the caller's check is taken only once the
 * host saw the block, which the interrupt then ends.  Returns with
 * interrupts enabled.
 */
static void refhv_safe_block(u64 deadline)
{
	trace_hardirqs_on();
	if (refhv_transport == PVX_TRANSPORT_VMCALL)
		REFHV_HYPERCALL("sti; vmcall", 0UL, PVX_HC_block, deadline, 0, 0);
	else if (refhv_transport == PVX_TRANSPORT_VMMCALL)
		REFHV_HYPERCALL("sti; vmmcall", 0UL, PVX_HC_block, deadline, 0, 0);
	else
		REFHV_HYPERCALL("sti; outl %%eax, %%dx", (u64)refhv_port, PVX_HC_block,
				deadline, 0, 0);
}

/*
 * Like kvm_wait(): sleep only while *ptr still holds val, with
 * interrupts as the caller had them: masked, only a kick or the deadline
 * ends the sleep; enabled, an interrupt does too (refhv_safe_block()).
 * The deadline bounds the sleep should a kick go astray; the slow path
 * checks again.
 */
static void refhv_wait(u8 *ptr, u8 val)
{
	u64 deadline;

	if (in_nmi())
		return;
	if (irqs_disabled()) {
		if (READ_ONCE(*ptr) == val)
			static_call(refhv_hc)(PVX_HC_block,
					      refhv_clock_now() + REFHV_WAIT_NS, 0, 0);
		return;
	}
	local_irq_disable();
	deadline = refhv_clock_now() + REFHV_WAIT_NS;
	if (READ_ONCE(*ptr) == val)
		refhv_safe_block(deadline);
	else
		local_irq_enable();
}

/* A CPU with no page yet has no vCPU id: its wait ends at REFHV_WAIT_NS. */
static void refhv_kick(int cpu)
{
	if (cpumask_test_cpu(cpu, &refhv_registered))
		static_call(refhv_hc)(PVX_HC_kick_vcpu, per_cpu(refhv_vcpu_id, cpu), 0, 0);
}

/*
 * As kvm_spinlock_init(), from smp_prepare_boot_cpu, before
 * alternative_instructions() lets paravirt_set_cap() decide PVUNLOCK.
 * wait's deadline is on the time record's clock.  With a host that can
 * wait and kick, the test-and-set virt_spin_lock() is never wanted, pv
 * spinlocks or not (nopvspin, a single CPU: native qspinlock).
 */
static void __init refhv_spinlock_init(void)
{
	if (!refhv_time)
		return;
	static_branch_disable(&virt_spin_lock_key);
	if (nopvspin || num_possible_cpus() == 1) {
		pr_info("PV spinlocks disabled (%s)\n", nopvspin ? "nopvspin" : "single CPU");
		return;
	}
	__pv_init_lock_hash();
	pv_ops.lock.queued_spin_lock_slowpath = __pv_queued_spin_lock_slowpath;
	pv_ops.lock.queued_spin_unlock = PV_CALLEE_SAVE(__pv_queued_spin_unlock);
	pv_ops.lock.wait = refhv_wait;
	pv_ops.lock.kick = refhv_kick;
}
#else
static void __init refhv_spinlock_init(void)
{
}
#endif

/* console_write takes guest-physical bytes within one page: a bounce page. */
static u8 refhv_console_page[PVX_PAGE_SIZE] __page_aligned_bss;
static DEFINE_RAW_SPINLOCK(refhv_console_lock);
/* console_write made no progress REFHV_CONSOLE_STALLS times, or failed. */
static bool refhv_console_gone;

/*
 * The host may take fewer bytes than offered: the rest goes again.  A
 * host that fails, or takes nothing REFHV_CONSOLE_STALLS times in a row,
 * loses the console: its text is dropped from then on, said once on the
 * other consoles.  In an oops the lock is only tried, as
 * serial8250_console_write() does: its holder may be a CPU that will
 * never release it.
 */
static void refhv_console_write(struct console *con, const char *s, unsigned int n)
{
	unsigned int len, stalls = 0;
	unsigned long flags;
	long ret = 0;

	if (oops_in_progress) {
		if (!raw_spin_trylock_irqsave(&refhv_console_lock, flags))
			return;
	} else {
		raw_spin_lock_irqsave(&refhv_console_lock, flags);
	}
	while (n && !refhv_console_gone) {
		len = min(n, PVX_PAGE_SIZE);
		memcpy(refhv_console_page, s, len);
		ret = static_call(refhv_hc)(PVX_HC_console_write,
					    __pa(refhv_console_page), len, 0);
		if (ret < 0 || ret > len || (!ret && ++stalls == REFHV_CONSOLE_STALLS))
			refhv_console_gone = true;
		s += ret > 0 && ret <= len ? ret : 0;
		n -= ret > 0 && ret <= len ? ret : 0;
	}
	raw_spin_unlock_irqrestore(&refhv_console_lock, flags);
	if (n)
		pr_warn_once("console_write answered %ld; the pvx console is dropped\n", ret);
}

static struct console refhv_console = {
	.name	= "pvx",
	.write	= refhv_console_write,
	.flags	= CON_PRINTBUFFER | CON_ANYTIME,
	.index	= -1,
};

#ifdef CONFIG_SERIAL_EARLYCON
/*
 * earlycon=pvx: negotiate early, as the console needs (nothing else: the
 * pages, the timer's vector and the ops wait for init_platform, should
 * this entry win detection).  Not with nopv.
 */
static int __init refhv_earlycon_setup(struct earlycon_device *dev, const char *opt)
{
	if (cmdline_find_option_bool(boot_command_line, "nopv") || !refhv_detect() ||
	    refhv_negotiate() || !refhv_has(REFHV_CONSOLE))
		return -ENODEV;
	dev->con->write = refhv_console_write;
	return 0;
}

EARLYCON_DECLARE(pvx, refhv_earlycon_setup);
#endif

/* Not once earlycon=pvx found the host's console_write unusable. */
static int __init refhv_console_init(void)
{
	if (x86_hyper_type == X86_HYPER_PVX && refhv_has(REFHV_CONSOLE) &&
	    !READ_ONCE(refhv_console_gone))
		register_console(&refhv_console);
	return 0;
}
console_initcall(refhv_console_init);

static void refhv_shutdown(enum pvx_shutdown_reason why, int code)
{
	static_call(refhv_hc)(PVX_HC_shutdown, why, code, 0);
}

/* Power-off through the host; should it return, the next handler tries (ACPI S5, ...). */
static int refhv_power_off(struct sys_off_data *data)
{
	refhv_shutdown(PVX_SHUTDOWN_POWEROFF, 0);
	return NOTIFY_DONE;
}

/*
 * The last power-off handler, reached only when the host's shutdown and
 * every other handler returned: halt, as a machine that cannot power off
 * does, rather than return to reboot(2), whose caller (init) would then
 * exit and panic.
 */
static int refhv_power_off_halt(struct sys_off_data *data)
{
	pr_err("the host did not power off; halting\n");
	machine_halt();
	return NOTIFY_DONE;
}

static void (*refhv_native_restart)(char *cmd) __ro_after_init;

static void refhv_restart(char *cmd)
{
	refhv_shutdown(PVX_SHUTDOWN_REBOOT, 0);
	refhv_native_restart(cmd);
}

static long (*refhv_next_blink)(int state);

/*
 * The end of a panic that halts: panic() calls panic_blink from its last
 * loop, after the "end Kernel panic" line and the last console flush,
 * when it would halt for ever (panic=0).  Only there is the host told of
 * the crash, once: by then kmsg_dump (pstore) ran and the console is
 * flushed.  A panic with a timeout (panic=N) restarts as it says, and a
 * crash kernel runs before panic() gets here.
 */
static long refhv_panic_blink(int state)
{
	static bool told;

	if (!panic_timeout && !told) {
		told = true;
		refhv_shutdown(PVX_SHUTDOWN_CRASH, 0);
	}
	return refhv_next_blink ? refhv_next_blink(state) : 0;
}

/* Last in the chain: put refhv_panic_blink() in front of any other blink. */
static int refhv_panic(struct notifier_block *nb, unsigned long event, void *p)
{
	if (panic_blink != refhv_panic_blink) {
		refhv_next_blink = panic_blink;
		panic_blink = refhv_panic_blink;
	}
	return NOTIFY_DONE;
}

static struct notifier_block refhv_panic_nb = {
	.notifier_call	= refhv_panic,
	.priority	= INT_MIN,	/* after everyone else has reported */
};

/* On @cpu: its own page (kept across offline), registered; then its timer. */
static int refhv_cpu_online(unsigned int cpu)
{
	struct pvx_vcpu_shared *s = refhv_shared_page(cpu);
	unsigned long flags;
	bool fresh = !s;
	int ret;

	if (fresh) {
		s = (void *)get_zeroed_page(GFP_KERNEL);
		if (!s)
			return -ENOMEM;
	}
	/* the host may skip EOIs from the registration on: honour it at once */
	local_irq_save(flags);
	ret = refhv_register(s, refhv_page_time(s));
	if (!ret)
		refhv_eoi_enable(s);
	local_irq_restore(flags);
	if (ret) {
		pr_warn_once("CPU %u: shared page refused\n", cpu);
		if (fresh)
			free_page((unsigned long)s);
		return 0;
	}
	if (refhv_timer)
		refhv_timer_register();
	return 0;
}

/* The host must stop writing the calling CPU's page. */
static void refhv_cpu_offline(void)
{
	cpumask_clear_cpu(smp_processor_id(), &refhv_registered);
	this_cpu_write(refhv_eoi_word, NULL);
	/*
	 * The timer stays armed: the tick runs on until the CPU dies (or the
	 * kernel restarts), and one last expiry is harmless to a dead CPU.
	 */
	static_call(refhv_hc)(PVX_HC_register_shared_page, PVX_GPA_NONE, 0, 0);
}

static int refhv_cpu_down_prepare(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	refhv_cpu_offline();
	/* until its page is back, it reads the boot CPU's record, as at boot */
	this_cpu_write(refhv_time_rec, per_cpu(refhv_time_rec, 0));
	local_irq_restore(flags);
	return 0;
}

static void refhv_cpu_offline_ipi(void *unused)
{
	refhv_cpu_offline();
}

/* Reboot and kexec: the host must stop writing memory the next kernel owns. */
static int refhv_reboot_notify(struct notifier_block *nb, unsigned long code, void *unused)
{
	if (code == SYS_RESTART)
		on_each_cpu(refhv_cpu_offline_ipi, NULL, 1);
	return NOTIFY_DONE;
}

static struct notifier_block refhv_reboot_nb = {
	.notifier_call = refhv_reboot_notify,
};

/*
 * Suspend, hibernation and kexec jump (syscore, on the boot CPU alone):
 * the host stops writing the boot CPU's page, as across a reboot.
 */
static int refhv_suspend(void *data)
{
	refhv_cpu_offline();
	return 0;
}

/*
 * The page again, before timekeeping resumes (restore_processor_state(),
 * as kvmclock's restore_sched_clock_state); pvclock forgets the last value
 * it returned, which belongs to the time before.  A host that refuses the
 * page now leaves a clock that no longer moves: said, as nothing else
 * can be done this late.
 */
static void refhv_restore_sched_clock_state(void)
{
	if (cpumask_test_cpu(smp_processor_id(), &refhv_registered))
		return;
	if (refhv_register(this_cpu_read(refhv_shared), this_cpu_read(refhv_time_rec)))
		pr_err("shared page refused on resume; the clock stops\n");
	else
		refhv_eoi_enable(this_cpu_read(refhv_shared));
	pvclock_resume();
}

/* For the paths that do not restore the processor state. */
static void refhv_resume(void *data)
{
	refhv_restore_sched_clock_state();
}

static const struct syscore_ops refhv_syscore_ops = {
	.suspend	= refhv_suspend,
	.resume		= refhv_resume,
};

static struct syscore refhv_syscore = {
	.ops	= &refhv_syscore_ops,
};

#ifdef CONFIG_CRASH_DUMP
static void refhv_crash_shutdown(struct pt_regs *regs)
{
	refhv_cpu_offline();
	native_machine_crash_shutdown(regs);
}
#endif

#ifdef CONFIG_SMP
/*
 * As kvm_smp_prepare_boot_cpu(): after setup_per_cpu_areas(), so the
 * boot CPU's EOI word is its alone; interrupts are still off.
 */
static void __init refhv_smp_prepare_boot_cpu(void)
{
	native_smp_prepare_boot_cpu();
	if (cpumask_test_cpu(smp_processor_id(), &refhv_registered))
		refhv_eoi_enable(this_cpu_read(refhv_shared));
	refhv_spinlock_init();
}
#endif

/*
 * init_platform: negotiate (unless earlycon=pvx did), register the boot
 * CPU's page, and install each op the host granted.
 */
static void __init refhv_init_platform(void)
{
	if (refhv_negotiate())
		return;
	refhv_boot_page_init();
	if (refhv_time) {
		refhv_clock_init();
		if (refhv_has(REFHV_TIMER))
			refhv_timer_init();
		if (refhv_has(REFHV_WALL))
			refhv_wallclock_init();
	}
	if (refhv_steal()) {
		static_call_update(pv_steal_clock, refhv_steal_clock);
#ifdef CONFIG_PARAVIRT_SPINLOCKS
		pv_ops.lock.vcpu_is_preempted = PV_CALLEE_SAVE(refhv_vcpu_is_preempted);
#endif
	}
	/*
	 * A flush that skips CPUs (preempted vCPUs) no longer holds off
	 * page-table freeing the way an IPI to every CPU does, which
	 * GUP-fast relies on: free page tables after RCU, as kvm.c does.
	 */
	if (refhv_steal_flag == PVX_VCPU_STEAL_RECORD && refhv_steal()) {
		pv_ops.mmu.flush_tlb_multi = refhv_flush_tlb_multi_record;
		pv_ops.mmu.tlb_remove_table = tlb_remove_table;
	} else if (refhv_has(REFHV_FLUSH)) {
		pv_ops.mmu.flush_tlb_multi = refhv_flush_tlb_multi;
		pv_ops.mmu.tlb_remove_table = tlb_remove_table;
	}
	if (refhv_has(REFHV_IPI))
		x86_platform.apic_post_init = refhv_apic_init;
#ifdef CONFIG_SMP
	if (refhv_steal() && refhv_has(REFHV_IPI | REFHV_YIELD))
		smp_ops.send_call_func_ipi = refhv_send_call_func_ipi;
	smp_ops.smp_prepare_boot_cpu = refhv_smp_prepare_boot_cpu;
#endif
	pvx_negotiated.features = refhv_features;
}

/* guest_late_init: cpuhp, reboot, crash and suspend, as kvm_guest_init(). */
static void __init refhv_guest_init(void)
{
	if (!refhv_has(REFHV_PAGES))
		return;
	if (refhv_has(REFHV_EOI))
		apic_update_callback(eoi, refhv_apic_eoi);
	if (cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "x86/pvx:online",
				      refhv_cpu_online, refhv_cpu_down_prepare) < 0)
		pr_err("failed to install cpu hotplug callbacks\n");
	register_reboot_notifier(&refhv_reboot_nb);
#ifdef CONFIG_CRASH_DUMP
	machine_ops.crash_shutdown = refhv_crash_shutdown;
#endif
	register_syscore(&refhv_syscore);
	x86_platform.restore_sched_clock_state = refhv_restore_sched_clock_state;
}

static bool refhv_steal_acc __ro_after_init = true;

static int __init refhv_parse_no_stealacc(char *arg)
{
	refhv_steal_acc = false;
	return 0;
}
early_param("no-steal-acc", refhv_parse_no_stealacc);

/*
 * Once memory can be allocated (the sys-off handlers) and jump labels
 * can be changed (steal time), as kvm.c's activate_jump_labels().
 */
static int __init refhv_late_init(void)
{
	int cpu;

	if (x86_hyper_type != X86_HYPER_PVX || !pvx_negotiated.abi)
		return 0;
	if (pv_ops.mmu.flush_tlb_multi == refhv_flush_tlb_multi_record) {
		for_each_possible_cpu(cpu)
			zalloc_cpumask_var_node(per_cpu_ptr(&refhv_flush_mask, cpu), GFP_KERNEL,
						cpu_to_node(cpu));
	}
	if (refhv_steal()) {
		static_key_slow_inc(&paravirt_steal_enabled);
		if (refhv_steal_acc)
			static_key_slow_inc(&paravirt_steal_rq_enabled);
	}
	register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_FIRMWARE,
				 refhv_power_off, NULL);
	register_sys_off_handler(SYS_OFF_MODE_POWER_OFF, SYS_OFF_PRIO_LOW,
				 refhv_power_off_halt, NULL);
	refhv_native_restart = machine_ops.restart;
	machine_ops.restart = refhv_restart;
	atomic_notifier_chain_register(&panic_notifier_list, &refhv_panic_nb);
	return 0;
}
arch_initcall(refhv_late_init);

const __initconst struct hypervisor_x86 x86_hyper_pvx = {
	.name			= "PVX",
	.detect			= refhv_detect,
	.type			= X86_HYPER_PVX,
	.init.init_platform	= refhv_init_platform,
	.init.guest_late_init	= refhv_guest_init,
};

#ifdef CONFIG_PVX_REFHV_KUNIT_TEST
#include "tests/refhv_kunit.c"
#endif
