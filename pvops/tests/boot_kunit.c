// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvx_boot: what the boot made of the op list, whatever the
 * platform.  Each case checks the installed state against the backend
 * pvx runs on (none natively, the fake one with pvx=fake), so the same
 * suite asserts the native form in a native boot and the backend's in a
 * pvx boot of the same kernel.
 */
#include <kunit/test.h>
#include <linux/console.h>
#include <linux/cpu.h>
#include <linux/jump_label.h>
#include <linux/sched/clock.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <asm/alternative.h>
#include <asm/cmdline.h>
#include <asm/hypervisor.h>
#include <asm/insn.h>
#include <asm/paravirt.h>
#include <asm/pvx.h>
#include <asm/sections.h>
#include <asm/setup.h>
#ifdef CONFIG_PARAVIRT_SPINLOCKS
#include <asm/qspinlock.h>
#endif
#include "fake.h"

/* Is this boot one whose pv hooks belong to pvx (or to nobody)? */
static bool pvx_owns_hooks(void)
{
	return pvx_active_backend() || x86_hyper_type == X86_HYPER_NATIVE;
}

static bool pvx_backend_is(const char *name)
{
	const struct pvx_backend *b = pvx_active_backend();

	return b && !strcmp(b->name, name);
}

static const struct pvx_op_impl *pvx_implemented(enum pvx_op op)
{
	const struct pvx_backend *b = pvx_active_backend();
	unsigned int i;

	for (i = 0; b && i < b->nr_ops; i++)
		if (b->ops[i].op == op)
			return &b->ops[i];
	return NULL;
}

enum site_form { SITE_NATIVE, SITE_CALL, SITE_OTHER };

/*
 * Decode the start of a small function up to its return and say what its
 * one pv_ops site became: @native (the inline instruction) or a direct
 * call to @target.
 */
static enum site_form pvx_site_form(const void *fn, const void *target,
				    const u8 *native, unsigned int len)
{
	const u8 *p = fn, *end = p + 64;
	const void *dest;
	struct insn insn;

	while (p < end && !insn_decode_kernel(&insn, p)) {
		if (insn.length >= len && !memcmp(p, native, len))
			return SITE_NATIVE;
		if (insn.opcode.bytes[0] == 0xe8) {
			dest = p + insn.length + insn.immediate.value;
			if (dest == target ||
			    dest == callthunks_translate_call_dest((void *)target))
				return SITE_CALL;
		}
		if (insn.opcode.bytes[0] == 0xc3 || insn.opcode.bytes[0] == 0xe9 ||
		    insn.opcode.bytes[0] == 0xcc)
			break;
		p += insn.length;
	}
	return SITE_OTHER;
}

static void pvx_boot_op_list(struct kunit *test)
{
	unsigned int a, b;

	for (a = 0; a < PVX_NR_OPS; a++) {
		KUNIT_EXPECT_STRNEQ(test, pvx_op_name(a), "?");
		KUNIT_EXPECT_LT(test, pvx_op_step(a), PVX_NR_STEPS);
		for (b = 0; b < a; b++)
			KUNIT_EXPECT_STRNEQ(test, pvx_op_name(a), pvx_op_name(b));
	}
	KUNIT_EXPECT_STREQ(test, pvx_op_name(PVX_NR_OPS), "?");
}

/* An op is the backend's exactly when it implements it and may use it. */
static void pvx_boot_ops_follow_negotiation(struct kunit *test)
{
	const struct pvx_op_impl *impl;
	bool locks_off = nopvspin || num_possible_cpus() == 1;
	unsigned int op;

	for (op = 0; op < PVX_NR_OPS; op++) {
		impl = pvx_implemented(op);
		if (!impl) {
			KUNIT_EXPECT_NULL_MSG(test, pvx_active_op(op), "%s",
					      pvx_op_name(op));
			continue;
		}
		/* Like kvm.c, pv spinlocks stay off on one CPU or with nopvspin. */
#ifdef CONFIG_PARAVIRT_SPINLOCKS
		if ((op == PVX_OP_wait || op == PVX_OP_kick) && locks_off) {
			KUNIT_EXPECT_NULL(test, pvx_active_op(op));
			continue;
		}
#endif
		KUNIT_EXPECT_EQ_MSG(test, !!pvx_active_op(op),
				    !!pvx_usable_op(op), "%s", pvx_op_name(op));
	}
	(void)locks_off;
}

#ifdef CONFIG_PARAVIRT_XXL
static noinline unsigned long pvx_boot_read_cr2_site(void)
{
	return read_cr2();
}

/* With PARAVIRT_XXL a backend owns read_cr2 through X86_FEATURE_PV_MMU. */
static void pvx_boot_read_cr2_site_form(struct kunit *test)
{
	static const u8 mov_cr2_rax[] = { 0x0f, 0x20, 0xd0 };
	const struct pvx_op_impl *impl = pvx_active_op(PVX_OP_read_cr2);
	enum site_form form;
	int calls;

	form = pvx_site_form(pvx_boot_read_cr2_site, pv_ops.mmu.read_cr2.func,
			     mov_cr2_rax, sizeof(mov_cr2_rax));
	if (!impl) {
		if (pvx_owns_hooks())
			KUNIT_EXPECT_EQ(test, form, SITE_NATIVE);
		return;
	}
	KUNIT_EXPECT_TRUE(test, boot_cpu_has(X86_FEATURE_PV_MMU));
	KUNIT_EXPECT_PTR_EQ(test, pv_ops.mmu.read_cr2.func, impl->fn.read_cr2.func);
	KUNIT_EXPECT_EQ(test, form, SITE_CALL);
	if (pvx_backend_is("fake")) {
		calls = atomic_read(&pvx_fake_read_cr2_calls);
		pvx_boot_read_cr2_site();
		KUNIT_EXPECT_EQ(test, atomic_read(&pvx_fake_read_cr2_calls),
				calls + 1);
	}
}
#endif

#ifdef CONFIG_PARAVIRT_SPINLOCKS
static noinline void pvx_boot_unlock_site(struct qspinlock *lock)
{
	queued_spin_unlock(lock);
}

/*
 * pv wait/kick must be in place before paravirt_set_cap() decides
 * PVUNLOCK: else unlock sites become the native store while waiters
 * sleep in the pv slow path, and nobody kicks them.
 */
static void pvx_boot_unlock_site_form(struct kunit *test)
{
	static const u8 movb_0_rdi[] = { 0xc6, 0x07, 0x00 };
	bool pv = pvx_active_op(PVX_OP_wait) && pvx_active_op(PVX_OP_kick);
	bool pvunlock, vcpupreempt;
	enum site_form form;

	form = pvx_site_form(pvx_boot_unlock_site,
			     pv_ops.lock.queued_spin_unlock.func,
			     movb_0_rdi, sizeof(movb_0_rdi));
	if (!pvx_owns_hooks())
		return;
	pvunlock = boot_cpu_has(X86_FEATURE_PVUNLOCK);
	vcpupreempt = boot_cpu_has(X86_FEATURE_VCPUPREEMPT);
	KUNIT_EXPECT_EQ(test, pvunlock, pv);
	KUNIT_EXPECT_EQ(test, form, pv ? SITE_CALL : SITE_NATIVE);
	KUNIT_EXPECT_EQ(test, vcpupreempt, !!pvx_active_op(PVX_OP_vcpu_is_preempted));
}
#endif

static bool pvx_console_registered(void)
{
	struct console *con;
	bool found = false;

	console_list_lock();
	for_each_console(con)
		found |= !strcmp(con->name, "pvx") && (con->flags & CON_ENABLED);
	console_list_unlock();
	return found;
}

/*
 * The pvx console is offered to register_console() at console_init (and
 * is enabled where console=pvx0 asks for it), and output reaches it.
 */
static void pvx_boot_console(struct kunit *test)
{
	bool pv = pvx_active_op(PVX_OP_console_write);
	bool wanted = strstr(saved_command_line, "console=pvx");
	int chars;

	KUNIT_EXPECT_EQ(test, pvx_console_registered(), pv && wanted);
	if (!pv || !wanted || !pvx_backend_is("fake"))
		return;
	chars = atomic_read(&pvx_fake_console_chars);
	pr_info("pvx_boot: to the pvx console\n");
	KUNIT_EXPECT_GT(test, atomic_read(&pvx_fake_console_chars), chars);
}

/* The switch to the backend's sched_clock neither jumps nor goes back. */
static void pvx_boot_sched_clock_switch(struct kunit *test)
{
	const struct pvx_clock_switch *sw = pvx_clock_switch_get();
	u64 now = sched_clock();

	if (!pvx_active_op(PVX_OP_sched_clock)) {
		KUNIT_EXPECT_EQ(test, sw->before, 0);
		KUNIT_EXPECT_EQ(test, sw->after, 0);
		return;
	}
	KUNIT_EXPECT_GE(test, sw->after, sw->before);
	KUNIT_EXPECT_LT(test, sw->after - sw->before, NSEC_PER_SEC / 100);
	KUNIT_EXPECT_GE(test, now, sw->after);
}

/* Steal time as kvm.c does it: no-steal-acc keeps it out of the rq clock. */
static void pvx_boot_steal_keys(struct kunit *test)
{
	bool pv = pvx_active_op(PVX_OP_steal_clock);
	bool acc = !cmdline_find_option_bool(saved_command_line, "no-steal-acc");

	if (!pvx_owns_hooks())
		return;
	KUNIT_EXPECT_EQ(test, static_key_enabled(&paravirt_steal_enabled), pv);
	KUNIT_EXPECT_EQ(test, static_key_enabled(&paravirt_steal_rq_enabled),
			pv && acc);
}

/* cpuhp: an offlined CPU unregisters, an onlined one registers. */
static void pvx_boot_cpu_hotplug(struct kunit *test)
{
	int on, off;

	if (!pvx_backend_is("fake") || num_online_cpus() < 2)
		return;
	on = atomic_read(&pvx_fake_cpu_online_calls);
	off = atomic_read(&pvx_fake_cpu_offline_calls);
	KUNIT_EXPECT_GE(test, on, (int)num_online_cpus());
	KUNIT_ASSERT_EQ(test, remove_cpu(1), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&pvx_fake_cpu_offline_calls), off + 1);
	KUNIT_ASSERT_EQ(test, add_cpu(1), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&pvx_fake_cpu_online_calls), on + 1);
}

/* call/jmp *disp32(%rip) or *disp32 into pv_ops: alternatives left one. */
static bool pvx_insn_hits_pv_ops(const u8 *p)
{
	const unsigned long lo = (unsigned long)&pv_ops;
	const unsigned long hi = lo + sizeof(pv_ops);
	unsigned long t;

	if (p[0] != 0xff)
		return false;
	if (p[1] == 0x15 || p[1] == 0x25) {
		t = (unsigned long)(p + 6) + (long)get_unaligned((s32 *)(p + 2));
		return t >= lo && t < hi;
	}
	if ((p[1] == 0x14 || p[1] == 0x24) && p[2] == 0x25) {
		t = (unsigned long)(long)get_unaligned((s32 *)(p + 3));
		return t >= lo && t < hi;
	}
	return false;
}

/* Every pv_ops call site is inline native code or a direct call. */
static void pvx_boot_no_indirect_pv_calls(struct kunit *test)
{
	const u8 *p;
	unsigned int found = 0;

	for (p = (const u8 *)_stext; p + 7 <= (const u8 *)_etext; p++)
		found += pvx_insn_hits_pv_ops(p);
	KUNIT_EXPECT_EQ(test, found, 0);
}

static struct kunit_case pvx_boot_cases[] = {
	KUNIT_CASE(pvx_boot_op_list),
	KUNIT_CASE(pvx_boot_ops_follow_negotiation),
#ifdef CONFIG_PARAVIRT_XXL
	KUNIT_CASE(pvx_boot_read_cr2_site_form),
#endif
#ifdef CONFIG_PARAVIRT_SPINLOCKS
	KUNIT_CASE(pvx_boot_unlock_site_form),
#endif
	KUNIT_CASE(pvx_boot_console),
	KUNIT_CASE(pvx_boot_sched_clock_switch),
	KUNIT_CASE(pvx_boot_steal_keys),
	KUNIT_CASE(pvx_boot_cpu_hotplug),
	KUNIT_CASE(pvx_boot_no_indirect_pv_calls),
	{}
};

static struct kunit_suite pvx_boot_suite = {
	.name = "pvx_boot",
	.test_cases = pvx_boot_cases,
};

kunit_test_suite(pvx_boot_suite);

MODULE_DESCRIPTION("KUnit tests for what pvx installed at boot");
MODULE_LICENSE("GPL");
