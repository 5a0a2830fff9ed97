// SPDX-License-Identifier: GPL-2.0
/*
 * The pvx fake backend, for tests only (CONFIG_PVX_FAKE_BACKEND): chosen
 * with pvx=fake on bare metal or plain QEMU, it takes over one op of each
 * kind of hook, so the pvx_boot KUnit suite can check that every boot step
 * really installs its ops:
 *
 *  sched_clock    the native clock one hour ahead (the core's offset must
 *                 hide the jump)
 *  steal_clock    no steal
 *  console_write  QEMU's debug console, port 0xe9
 *  shutdown       QEMU's isa-debug-exit at port 0xf4: exit status
 *                 (reason << 1) | 1
 *  wait, kick, vcpu_is_preempted
 *                 a spinning wait, counted kicks, never preempted
 *  read_cr2       (PARAVIRT_XXL) the native register, counted
 *
 * pvx_fake=fail|badabi|badfeat|noclock makes its init() fail, answer an
 * ABI above the one offered, grant a feature never offered, or withhold
 * the clock feature.
 */
#include <linux/atomic.h>
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/processor.h>
#include <linux/string.h>
#include <asm/io.h>
#include <asm/pvx.h>
#include <asm/special_insns.h>
#include <asm/timer.h>
#include "fake.h"

atomic_t pvx_fake_read_cr2_calls = ATOMIC_INIT(0);
atomic_t pvx_fake_console_chars = ATOMIC_INIT(0);
atomic_t pvx_fake_cpu_online_calls = ATOMIC_INIT(0);
atomic_t pvx_fake_cpu_offline_calls = ATOMIC_INIT(0);

static noinstr u64 pvx_fake_sched_clock(void)
{
	return native_sched_clock() + PVX_FAKE_CLOCK_AHEAD_NS;
}

static u64 pvx_fake_steal_clock(int cpu)
{
	return 0;
}

static void pvx_fake_console_write(const char *s, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		outb(s[i], PVX_FAKE_DEBUGCON_PORT);
	atomic_add(n, &pvx_fake_console_chars);
}

static void pvx_fake_shutdown(enum pvx_shutdown_reason why, int code)
{
	outl(why, PVX_FAKE_EXIT_PORT);
}

#ifdef CONFIG_PARAVIRT_SPINLOCKS
static void pvx_fake_wait(u8 *ptr, u8 val)
{
	/* A wait may return early: the slow path checks again. */
	if (READ_ONCE(*ptr) == val)
		cpu_relax();
}

static void pvx_fake_kick(int cpu)
{
}

__visible bool pvx_fake_vcpu_is_preempted(long cpu);
__visible bool pvx_fake_vcpu_is_preempted(long cpu)
{
	return false;
}

PV_CALLEE_SAVE_REGS_THUNK(pvx_fake_vcpu_is_preempted);
#endif

#ifdef CONFIG_PARAVIRT_XXL
/* Called from the page fault entry: no instrumentation. */
__visible noinstr unsigned long pvx_fake_read_cr2(void);
__visible noinstr unsigned long pvx_fake_read_cr2(void)
{
	raw_atomic_inc(&pvx_fake_read_cr2_calls);
	return native_read_cr2();
}

__PV_CALLEE_SAVE_REGS_THUNK(pvx_fake_read_cr2, ".noinstr.text");
#endif

static const struct pvx_op_impl pvx_fake_ops[] = {
	PVX_OP_IMPL(sched_clock, PVX_FAKE_CLOCK, pvx_fake_sched_clock),
	PVX_OP_IMPL(steal_clock, PVX_FAKE_CLOCK, pvx_fake_steal_clock),
	PVX_OP_IMPL(console_write, 0, pvx_fake_console_write),
	PVX_OP_IMPL(shutdown, 0, pvx_fake_shutdown),
#ifdef CONFIG_PARAVIRT_SPINLOCKS
	PVX_OP_IMPL(wait, PVX_FAKE_LOCK, pvx_fake_wait),
	PVX_OP_IMPL(kick, PVX_FAKE_LOCK, pvx_fake_kick),
	PVX_OP_IMPL(vcpu_is_preempted, PVX_FAKE_LOCK,
		    PV_CALLEE_SAVE(pvx_fake_vcpu_is_preempted)),
#endif
#ifdef CONFIG_PARAVIRT_XXL
	PVX_OP_IMPL(read_cr2, PVX_FAKE_MMU, PV_CALLEE_SAVE(pvx_fake_read_cr2)),
#endif
};

static char pvx_fake_mode[16] __ro_after_init;

/* Put pvx_fake= before earlycon=pvx: that one negotiates early. */
static int __init pvx_fake_param(char *arg)
{
	if (arg)
		strscpy(pvx_fake_mode, arg, sizeof(pvx_fake_mode));
	return 0;
}
early_param("pvx_fake", pvx_fake_param);

static int pvx_fake_init(struct pvx_negotiated *neg)
{
	const char *mode = pvx_fake_mode;

	if (!strcmp(mode, "fail"))
		return -EIO;
	neg->transport = "none";
	neg->features = PVX_FAKE_ALL;
	if (!strcmp(mode, "badabi"))
		neg->abi = 1 << 16;
	else if (!strcmp(mode, "badfeat"))
		neg->features |= BIT_ULL(63);
	else if (!strcmp(mode, "noclock"))
		neg->features &= ~PVX_FAKE_CLOCK;
	atomic_inc(&pvx_fake_cpu_online_calls);	/* the boot CPU */
	return 0;
}

static int pvx_fake_cpu_online(unsigned int cpu)
{
	atomic_inc(&pvx_fake_cpu_online_calls);
	return 0;
}

static void pvx_fake_cpu_offline(void)
{
	atomic_inc(&pvx_fake_cpu_offline_calls);
}

const struct pvx_backend pvx_fake_backend = {
	.name		= "fake",
	.init		= pvx_fake_init,
	.abi_max	= 0,
	.features	= PVX_FAKE_ALL,
	.ops		= pvx_fake_ops,
	.nr_ops		= ARRAY_SIZE(pvx_fake_ops),
	.cpu_online	= pvx_fake_cpu_online,
	.cpu_offline	= pvx_fake_cpu_offline,
};
