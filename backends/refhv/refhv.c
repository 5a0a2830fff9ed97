// SPDX-License-Identifier: GPL-2.0
/*
 * refhv: the pvx backend for hypervisors that speak the PVX ABI
 * (include/uapi/pvx/, Documentation/virt/pvx/abi/), such as pvx-hv.
 *
 * Detection scans the CPUID hypervisor range for the PVX signature; the
 * transport named there (port I/O, vmcall or vmmcall) becomes the target
 * of one static call, so no hypercall branches on it.  Negotiation offers
 * ABI 1.1 and falls back to what the host accepts (1.0).  Each vCPU
 * registers a shared page, a pvclock-layout time record plus steal time
 * and the preempted flag; the host's answers are checked, with bounded
 * retries, and any surprise leaves the ops it affects native.
 *
 * Ops: sched_clock, a clocksource and the TSC frequency from the time
 * record; steal clock and vcpu_is_preempted from the shared page; pv
 * spinlocks on block/kick_vcpu; a per-CPU clockevent on set_timer;
 * remote TLB flushes on flush_tlb, which leave a preempted vCPU's flush
 * to the host; multi-target IPIs on send_ipi (ABI 1.1); the pvx console on
 * console_write; shutdown; a call-function IPI to a busy but preempted
 * vCPU yields, the yield batched with the IPI in one multicall.  HLT stays
 * native: under pvx-hv it is handled inside KVM, where a PVX hypercall
 * exits to userspace.
 */
#define pr_fmt(fmt) "pvx: refhv: " fmt

#include <linux/clockchips.h>
#include <linux/clocksource.h>
#include <linux/cpu.h>
#include <linux/gfp.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/spinlock.h>
#include <linux/static_call.h>
#include <pvx/abi.h>
#include <asm/apic.h>
#include <asm/hardirq.h>
#include <asm/idtentry.h>
#include <asm/irq_regs.h>
#include <asm/irq_vectors.h>
#include <asm/paravirt.h>
#include <asm/pgtable_types.h>
#include <asm/processor.h>
#include <asm/pvclock.h>
#include <asm/pvx.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>

#include "refhv.h"

#define REFHV_ABI	PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR)
#define REFHV_TIME	(PVX_FEATURE(SHARED_PAGE))
#define REFHV_STEAL	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(STEAL_TIME))
#define REFHV_CONSOLE	(PVX_FEATURE(CONSOLE))
#define REFHV_IPI	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(PV_IPI))
#define REFHV_TIMER	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(TIMER))
#define REFHV_FLUSH	(PVX_FEATURE(SHARED_PAGE) | PVX_FEATURE(FLUSH_TLB))
#define REFHV_YIELD	(REFHV_STEAL | REFHV_IPI | PVX_FEATURE(MULTICALL))
#define REFHV_WANTED	(REFHV_STEAL | REFHV_CONSOLE | REFHV_IPI | REFHV_TIMER | \
			 REFHV_FLUSH | REFHV_YIELD)
/* How often a reader retries a record the host is updating. */
#define REFHV_RETRIES	1000

static u16 refhv_port __ro_after_init;
static u32 refhv_base __ro_after_init;
static u32 refhv_transport __ro_after_init;
static bool refhv_pages __ro_after_init;	/* the host keeps shared pages */

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

/* The transport, chosen once at detection. */
DEFINE_STATIC_CALL(refhv_hc, refhv_hc_ioport);

/**
 * refhv_hypercall() - make a PVX hypercall on the transport refhv chose
 * @nr: hypercall number (RAX)
 * @a0: argument 0 (RBX)
 * @a1: argument 1 (RCX)
 * @a2: argument 2 (RSI); the other argument registers are zero
 *
 * For the pvx_refhv KUnit suite, which puts every hypercall to the host.
 *
 * Return: the host's result: >= 0, or a negated PVX_E* code.
 */
long refhv_hypercall(u64 nr, u64 a0, u64 a1, u64 a2)
{
	return static_call(refhv_hc)(nr, a0, a1, a2);
}

static const char *const refhv_transport_names[] = {
	[PVX_TRANSPORT_IOPORT]	= "ioport",
	[PVX_TRANSPORT_VMCALL]	= "vmcall",
	[PVX_TRANSPORT_VMMCALL]	= "vmmcall",
};

static u32 refhv_detect(void)
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
	    (eax == PVX_TRANSPORT_IOPORT ? !ebx || ebx > 0xffff : ebx)) {
		pr_info("unknown transport %u (%#x %#x %#x); running native\n",
			eax, ebx, ecx, edx);
		return 0;
	}
	refhv_base = base;
	refhv_transport = eax;
	refhv_port = ebx;
	/* A host that also offers other interfaces prefers its own ABI. */
	return PVX_CPUID_SCAN_LAST + PVX_CPUID_SCAN_STEP;
}

/* The boot CPU's page; the others are allocated as they come online. */
static struct pvx_vcpu_shared refhv_boot_page __page_aligned_bss;
static DEFINE_PER_CPU(struct pvx_vcpu_shared *, refhv_shared);
/* The CPUs whose page, and so whose vCPU id, the host has filled. */
static struct cpumask refhv_registered;
static struct pvx_negotiate refhv_negotiate __aligned(32);
/* What every CPU's page must hold: the time, and steal time if granted. */
static u32 refhv_page_flags __ro_after_init = PVX_VCPU_TIME_VALID;

/*
 * Register @s as the calling vCPU's page and check what the host wrote;
 * only then is it this CPU's record.  On failure the host is told to
 * forget it.
 */
static int refhv_register(struct pvx_vcpu_shared *s)
{
	unsigned int i;
	u32 v;
	long ret;

	ret = static_call(refhv_hc)(PVX_HC_register_shared_page, __pa(s), 0, 0);
	if (ret)
		return ret < 0 ? ret : -EPROTO;
	for (i = 0; i < REFHV_RETRIES; i++) {
		v = READ_ONCE(s->time.version);
		if (!(v & 1))
			break;
		cpu_relax();
	}
	if (i == REFHV_RETRIES ||
	    (READ_ONCE(s->flags) & refhv_page_flags) != refhv_page_flags) {
		static_call(refhv_hc)(PVX_HC_register_shared_page, PVX_GPA_NONE, 0, 0);
		return -EPROTO;
	}
	this_cpu_write(refhv_shared, s);
	cpumask_set_cpu(smp_processor_id(), &refhv_registered);
	return 0;
}

/* Negotiate; the core checks the answer before refhv_setup() acts on it. */
static int refhv_init(struct pvx_negotiated *neg)
{
	struct pvx_negotiate *n = &refhv_negotiate;
	long ret;

	if (refhv_transport == PVX_TRANSPORT_VMCALL)
		static_call_update(refhv_hc, refhv_hc_vmcall);
	else if (refhv_transport == PVX_TRANSPORT_VMMCALL)
		static_call_update(refhv_hc, refhv_hc_vmmcall);
	n->size = sizeof(*n);
	n->version = neg->abi;	/* REFHV_ABI, or less with pvx_abi= */
	n->features = REFHV_WANTED;
	ret = static_call(refhv_hc)(PVX_HC_negotiate, __pa(n), 0, 0);
	if (ret)
		return ret < 0 ? ret : -EPROTO;
	neg->abi = n->version;
	neg->features = n->features;
	neg->transport = refhv_transport_names[refhv_transport];
	return 0;
}

/*
 * The boot CPU's page, and the timer's vector, once the core accepted the
 * answer.  Still before setup_per_cpu_areas(): every CPU starts out with
 * the boot CPU's record, until its own page is registered.  __ref: only
 * init_hypervisor_platform() (or earlycon=pvx) calls it.
 */
static void __ref refhv_setup(struct pvx_negotiated *neg)
{
	int ret;

	if (!(neg->features & PVX_FEATURE(SHARED_PAGE)))
		return;
	if (neg->features & PVX_FEATURE(STEAL_TIME))
		refhv_page_flags |= PVX_VCPU_STEAL_VALID;
	per_cpu(refhv_shared, 0) = &refhv_boot_page;
	ret = refhv_register(&refhv_boot_page);
	refhv_pages = !ret;
	if (ret) {
		pr_warn("shared page refused (%d); clock and steal time stay native\n",
			ret);
		neg->features &= ~REFHV_STEAL;
	}
	/* before init_IRQ() fills the free system vectors and seals the IDT */
	if ((neg->features & REFHV_TIMER) == REFHV_TIMER)
		sysvec_install(HYPERVISOR_CALLBACK_VECTOR, sysvec_pvx_refhv_timer);
}

/**
 * refhv_shared_page() - a CPU's own shared page
 * @cpu: the CPU
 *
 * Return: the page @cpu registered (it may have unregistered it since,
 * going offline), NULL if none: a CPU that has not registered one reads
 * the boot CPU's time record, but has no vCPU id, steal time or preempted
 * flag of its own.
 */
struct pvx_vcpu_shared *refhv_shared_page(unsigned int cpu)
{
	struct pvx_vcpu_shared *s = per_cpu(refhv_shared, cpu);

	if (!refhv_pages || (cpu && s == &refhv_boot_page))
		return NULL;
	return s;
}

/* The calling CPU's time: its time record's clock (block and set_timer's). */
static noinstr u64 refhv_sched_clock(void)
{
	return pvclock_clocksource_read_nowd(refhv_time(this_cpu_read(refhv_shared)));
}

/*
 * The clockevent: set_timer arms the calling vCPU's one-shot timer at a
 * deadline on the time record's clock; the host injects
 * HYPERVISOR_CALLBACK_VECTOR at it.  Programmed in nanoseconds.
 */
static DEFINE_PER_CPU(struct clock_event_device, refhv_clockevent);

static int refhv_timer_next(unsigned long delta, struct clock_event_device *evt)
{
	if (static_call(refhv_hc)(PVX_HC_set_timer, refhv_sched_clock() + delta,
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

/* On @cpu: its own page (kept across offline), registered. */
static int refhv_cpu_online(unsigned int cpu)
{
	struct pvx_vcpu_shared *s = refhv_shared_page(cpu);
	bool fresh = !s;

	if (!refhv_pages)
		return 0;
	if (fresh) {
		s = (void *)get_zeroed_page(GFP_KERNEL);
		if (!s)
			return -ENOMEM;
	}
	if (refhv_register(s)) {
		pr_warn_once("CPU %u: shared page refused\n", cpu);
		if (fresh)
			free_page((unsigned long)s);
		return 0;
	}
	if (pvx_active_op(PVX_OP_setup_percpu_clockev))
		refhv_timer_register();
	return 0;
}

static void refhv_cpu_offline(void)
{
	if (!refhv_pages)
		return;
	cpumask_clear_cpu(smp_processor_id(), &refhv_registered);
	/*
	 * The timer stays armed: the tick runs on until the CPU dies (or the
	 * kernel restarts), and one last expiry is harmless to a dead CPU.
	 */
	static_call(refhv_hc)(PVX_HC_register_shared_page, PVX_GPA_NONE, 0, 0);
}

static u64 refhv_clock_read(struct clocksource *cs)
{
	u64 ret;

	preempt_disable_notrace();
	ret = pvclock_clocksource_read(refhv_time(this_cpu_read(refhv_shared)));
	preempt_enable_notrace();
	return ret;
}

static struct clocksource refhv_clocksource = {
	.name	= "pvx",
	.read	= refhv_clock_read,
	.rating	= 400,
	.mask	= CLOCKSOURCE_MASK(64),
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
};

/* The TSC frequency from the time record, if the host gave it a scale. */
static unsigned long refhv_tsc_khz(void)
{
	if (!READ_ONCE(refhv_boot_page.time.tsc_to_system_mul))
		return native_calibrate_tsc();
	return pvclock_tsc_khz(refhv_time(&refhv_boot_page));
}

/* 0 until @cpu has a page of its own: never another vCPU's, larger, steal. */
static u64 refhv_steal_clock(int cpu)
{
	struct pvx_vcpu_shared *s = refhv_shared_page(cpu);
	unsigned int i;
	u32 v;
	u64 steal = 0;

	for (i = 0; s && i < REFHV_RETRIES; i++) {
		v = READ_ONCE(s->steal_version);
		virt_rmb();	/* the version before the value, as pvclock does */
		steal = READ_ONCE(s->steal_ns);
		virt_rmb();	/* the value before the version's re-check */
		if (!(v & 1) && v == READ_ONCE(s->steal_version))
			break;
	}
	return steal;
}

__visible bool refhv_vcpu_is_preempted(long cpu);
__visible bool refhv_vcpu_is_preempted(long cpu)
{
	struct pvx_vcpu_shared *s = refhv_shared_page(cpu);

	return s && READ_ONCE(s->preempted);
}

PV_CALLEE_SAVE_REGS_THUNK(refhv_vcpu_is_preempted);

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
					      refhv_sched_clock() + REFHV_WAIT_NS, 0, 0);
		return;
	}
	local_irq_disable();
	deadline = refhv_sched_clock() + REFHV_WAIT_NS;
	if (READ_ONCE(*ptr) == val)
		refhv_safe_block(deadline);
	else
		local_irq_enable();
}

/* A CPU with no page yet has no vCPU id: its wait ends at REFHV_WAIT_NS. */
static void refhv_kick(int cpu)
{
	struct pvx_vcpu_shared *s = refhv_shared_page(cpu);

	if (s)
		static_call(refhv_hc)(PVX_HC_kick_vcpu, s->vcpu_id, 0, 0);
}
#endif

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
	return ret < 0 ? ret : READ_ONCE(b->e[0].result);
}

/*
 * One send_ipi: @bits names vCPUs @first.. of the CPUs in @mask but @self;
 * with @yield, batched with a sched_yield.  Should the host refuse it,
 * those CPUs get the IPI natively.
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
	if (ret >= 0)
		return;
	pr_warn_once("send_ipi refused (%ld); sending those IPIs natively\n", ret);
	for_each_cpu_and(cpu, mask, &refhv_registered) {
		id = per_cpu(refhv_shared, cpu)->vcpu_id - first;
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
		id = per_cpu(refhv_shared, cpu)->vcpu_id;
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
		id = per_cpu(refhv_shared, cpu)->vcpu_id;
		if (id >= PVX_MAX_VCPUS)
			goto native;
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

/* console_write takes guest-physical bytes within one page: a bounce page. */
static u8 refhv_console_page[PVX_PAGE_SIZE] __page_aligned_bss;
static DEFINE_RAW_SPINLOCK(refhv_console_lock);

/*
 * The host may take fewer bytes than offered: the rest goes again.  In an
 * oops the lock is only tried, as serial8250_console_write() does: its
 * holder may be a CPU that will never release it.
 */
static void refhv_console_write(const char *s, unsigned int n)
{
	unsigned long flags;
	unsigned int len;
	long ret;

	if (oops_in_progress) {
		if (!raw_spin_trylock_irqsave(&refhv_console_lock, flags))
			return;
	} else {
		raw_spin_lock_irqsave(&refhv_console_lock, flags);
	}
	while (n) {
		len = min(n, PVX_PAGE_SIZE);
		memcpy(refhv_console_page, s, len);
		ret = static_call(refhv_hc)(PVX_HC_console_write,
					    __pa(refhv_console_page), len, 0);
		if (ret <= 0 || ret > len)
			break;
		s += ret;
		n -= ret;
	}
	raw_spin_unlock_irqrestore(&refhv_console_lock, flags);
}

static void refhv_shutdown(enum pvx_shutdown_reason why, int code)
{
	static_call(refhv_hc)(PVX_HC_shutdown, why, code, 0);
}

static const struct pvx_op_impl refhv_ops[] = {
	PVX_OP_IMPL(sched_clock, REFHV_TIME, refhv_sched_clock),
	PVX_OP_IMPL(clocksource, REFHV_TIME, &refhv_clocksource),
	PVX_OP_IMPL(tsc_khz, REFHV_TIME, refhv_tsc_khz),
	PVX_OP_IMPL(steal_clock, REFHV_STEAL, refhv_steal_clock),
	PVX_OP_IMPL(setup_percpu_clockev, REFHV_TIMER, refhv_setup_percpu_clockev),
	PVX_OP_IMPL(flush_tlb_multi, REFHV_FLUSH, refhv_flush_tlb_multi),
	PVX_OP_IMPL(send_ipi_mask, REFHV_IPI, refhv_send_ipi_mask),
	PVX_OP_IMPL(send_ipi_allbutself, REFHV_IPI, refhv_send_ipi_allbutself),
#ifdef CONFIG_SMP
	PVX_OP_IMPL(send_call_func_ipi, REFHV_YIELD, refhv_send_call_func_ipi),
#endif
	PVX_OP_IMPL(console_write, REFHV_CONSOLE, refhv_console_write),
	PVX_OP_IMPL(shutdown, 0, refhv_shutdown),
#ifdef CONFIG_PARAVIRT_SPINLOCKS
	PVX_OP_IMPL(wait, REFHV_TIME, refhv_wait),	/* its deadline is on our clock */
	PVX_OP_IMPL(kick, REFHV_TIME, refhv_kick),
	PVX_OP_IMPL(vcpu_is_preempted, REFHV_STEAL,
		    PV_CALLEE_SAVE(refhv_vcpu_is_preempted)),
#endif
};

const struct pvx_backend pvx_refhv_backend = {
	.name		= "refhv",
	.detect		= refhv_detect,
	.init		= refhv_init,
	.setup		= refhv_setup,
	.abi_max	= REFHV_ABI,
	.features	= REFHV_WANTED,
	.ops		= refhv_ops,
	.nr_ops		= ARRAY_SIZE(refhv_ops),
	.cpu_online	= refhv_cpu_online,
	.cpu_offline	= refhv_cpu_offline,
};
