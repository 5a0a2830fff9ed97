// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvx_boot: what the boot made of mainline's hooks, whichever
 * hypervisor entry installed them (none natively, kvm.c, refhv).  Each
 * case checks that what the pvx report reads back is consistent with what
 * the boot patched: ops installed before alternatives decided their call
 * sites, pv spinlocks whole, steal time's keys, no indirect pv_ops call
 * left.  The same suite runs in every boot of the same kernel.
 */
#include <kunit/test.h>
#include <linux/jump_label.h>
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

enum site_form { SITE_NATIVE, SITE_CALL, SITE_OTHER };

/*
 * Decode the start of a small function up to its return and say what its
 * one pv_ops site became: @native (the inline instruction) or a direct
 * call to @target.
 */
static enum site_form pvx_site_form(const void *fn, const void *target,
				    const u8 *native, unsigned int len)
{
	const u8 *p = fn, *end;
	const void *dest;
	struct insn insn;

	/* not a constant: p + 64 would be a relocation into another function */
	OPTIMIZER_HIDE_VAR(p);
	end = p + 64;

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
		KUNIT_EXPECT_STRNEQ(test, pvx_op_hook(a), "?");
		for (b = 0; b < a; b++)
			KUNIT_EXPECT_STRNEQ(test, pvx_op_name(a), pvx_op_name(b));
	}
	KUNIT_EXPECT_STREQ(test, pvx_op_name(PVX_NR_OPS), "?");
	KUNIT_EXPECT_FALSE(test, pvx_op_is_pv(PVX_NR_OPS));
}

/* With no hypervisor entry, nothing is paravirtualized. */
static void pvx_boot_native_is_native(struct kunit *test)
{
	unsigned int op;

	if (x86_hyper_type != X86_HYPER_NATIVE)
		kunit_skip(test, "a hypervisor entry won detection");
	for (op = 0; op < PVX_NR_OPS; op++)
		KUNIT_EXPECT_FALSE_MSG(test, pvx_op_is_pv(op), "%s", pvx_op_name(op));
}

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
	bool pv = pvx_op_is_pv(PVX_OP_wait) && pvx_op_is_pv(PVX_OP_kick);
	bool pvunlock, vcpupreempt;
	enum site_form form;

	form = pvx_site_form(pvx_boot_unlock_site,
			     pv_ops.lock.queued_spin_unlock.func,
			     movb_0_rdi, sizeof(movb_0_rdi));
	pvunlock = boot_cpu_has(X86_FEATURE_PVUNLOCK);
	vcpupreempt = boot_cpu_has(X86_FEATURE_VCPUPREEMPT);
	KUNIT_EXPECT_EQ(test, pvunlock, pv);
	KUNIT_EXPECT_EQ(test, form, pv ? SITE_CALL : SITE_NATIVE);
	KUNIT_EXPECT_EQ(test, vcpupreempt, pvx_op_is_pv(PVX_OP_vcpu_is_preempted));
}

/*
 * pv spinlocks go in whole: wait and kick with the pv slow path and
 * unlock, and then no test-and-set virt_spin_lock().
 */
static void pvx_boot_pv_spinlocks_whole(struct kunit *test)
{
	bool wait = pvx_op_is_pv(PVX_OP_wait);

	KUNIT_EXPECT_EQ(test, pvx_op_is_pv(PVX_OP_kick), wait);
	KUNIT_EXPECT_EQ(test, pv_ops.lock.queued_spin_lock_slowpath ==
			__pv_queued_spin_lock_slowpath, wait);
	KUNIT_EXPECT_EQ(test, !pv_is_native_spin_unlock(), wait);
	if (wait)
		KUNIT_EXPECT_FALSE(test, static_key_enabled(&virt_spin_lock_key));
}
#endif

/* Steal time as kvm.c does it: no-steal-acc keeps it out of the rq clock. */
static void pvx_boot_steal_keys(struct kunit *test)
{
	bool pv = pvx_op_is_pv(PVX_OP_steal_clock);
	bool acc = !cmdline_find_option_bool(saved_command_line, "no-steal-acc");

	KUNIT_EXPECT_EQ(test, static_key_enabled(&paravirt_steal_rq_enabled),
			pv && acc);
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
	KUNIT_CASE(pvx_boot_native_is_native),
#ifdef CONFIG_PARAVIRT_SPINLOCKS
	KUNIT_CASE(pvx_boot_unlock_site_form),
	KUNIT_CASE(pvx_boot_pv_spinlocks_whole),
#endif
	KUNIT_CASE(pvx_boot_steal_keys),
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
