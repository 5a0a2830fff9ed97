// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvx_native: the pvx accessors, patched for the running
 * backend, do what the instructions they stand for do.
 */
#include <kunit/test.h>
#include <linux/irqflags.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/pvx_backend.h>
#include <asm/special_insns.h>

/* An MSR index no CPU implements: rdmsr/wrmsr raise #GP. */
#define PVX_TEST_BAD_MSR 0xdeadbeefu

static void pvx_native_irq_disable_clears_if(struct kunit *test)
{
	unsigned long flags;

	local_irq_save(flags);
	pvx_irq_enable();
	KUNIT_EXPECT_TRUE(test, native_save_fl() & X86_EFLAGS_IF);
	pvx_irq_disable();
	KUNIT_EXPECT_FALSE(test, native_save_fl() & X86_EFLAGS_IF);
	KUNIT_EXPECT_FALSE(test, pvx_save_fl() & X86_EFLAGS_IF);
	local_irq_restore(flags);
}

static void pvx_native_save_restore_round_trip(struct kunit *test)
{
	unsigned long outer, inner;

	outer = arch_local_irq_save();
	KUNIT_EXPECT_TRUE(test, arch_irqs_disabled());
	inner = arch_local_irq_save();
	KUNIT_EXPECT_TRUE(test, arch_irqs_disabled_flags(inner));
	arch_local_irq_restore(inner);
	KUNIT_EXPECT_TRUE(test, arch_irqs_disabled());
	arch_local_irq_restore(outer);
	KUNIT_EXPECT_EQ(test, pvx_save_fl() & X86_EFLAGS_IF,
			outer & X86_EFLAGS_IF);
	KUNIT_EXPECT_EQ(test, native_save_fl() & X86_EFLAGS_IF,
			outer & X86_EFLAGS_IF);
}

static void pvx_native_control_registers(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvx_read_cr3(), __native_read_cr3());
	KUNIT_EXPECT_EQ(test, __read_cr3(), __native_read_cr3());
	KUNIT_EXPECT_EQ(test, pvx_read_cr0(), native_read_cr0());
	KUNIT_EXPECT_EQ(test, pvx_read_cr4(), native_read_cr4());
	KUNIT_EXPECT_EQ(test, pvx_read_cr2(), native_read_cr2());
	/* Paging and protected mode are on: the values are live. */
	KUNIT_EXPECT_TRUE(test, pvx_read_cr0() & X86_CR0_PG);
	KUNIT_EXPECT_TRUE(test, pvx_read_cr4() & X86_CR4_PAE);
}

static void pvx_native_rdmsr(struct kunit *test)
{
	u64 efer = pvx_read_msr(MSR_EFER);
	u32 lo, hi;
	int err;

	KUNIT_EXPECT_EQ(test, efer, native_read_msr(MSR_EFER));
	KUNIT_EXPECT_TRUE(test, efer & EFER_LMA);	/* long mode */
	rdmsr(MSR_EFER, lo, hi);
	KUNIT_EXPECT_EQ(test, ((u64)hi << 32) | lo, efer);

	KUNIT_EXPECT_EQ(test, pvx_read_msr_safe(MSR_EFER, &err), efer);
	KUNIT_EXPECT_EQ(test, err, 0);
	KUNIT_EXPECT_EQ(test, rdmsr_safe(MSR_EFER, &lo, &hi), 0);
	KUNIT_EXPECT_EQ(test, ((u64)hi << 32) | lo, efer);
}

/*
 * An MSR no CPU implements raises #GP on hardware and under KVM, while
 * QEMU's TCG reads it as 0: either way the pvx accessor must agree with
 * the native one, error and value.
 */
static void pvx_native_msr_safe_bad_msr(struct kunit *test)
{
	int err, nerr;
	u64 val, nval;

	val = pvx_read_msr_safe(PVX_TEST_BAD_MSR, &err);
	nval = native_read_msr_safe(PVX_TEST_BAD_MSR, &nerr);
	KUNIT_EXPECT_EQ(test, err, nerr);
	KUNIT_EXPECT_EQ(test, val, nval);
	if (err)
		KUNIT_EXPECT_EQ(test, err, -EIO);
	kunit_info(test, "rdmsr 0x%x: err=%d\n", PVX_TEST_BAD_MSR, err);
}

static void pvx_native_cpuid_leaf0(struct kunit *test)
{
	unsigned int a = 0, b, c = 0, d;
	unsigned int na = 0, nb, nc = 0, nd;

	pvx_cpuid(&a, &b, &c, &d);
	native_cpuid(&na, &nb, &nc, &nd);
	KUNIT_EXPECT_EQ(test, a, na);
	KUNIT_EXPECT_EQ(test, b, nb);
	KUNIT_EXPECT_EQ(test, c, nc);
	KUNIT_EXPECT_EQ(test, d, nd);
	KUNIT_EXPECT_GE(test, a, 1u);	/* leaf 1 exists on x86_64 */
	KUNIT_EXPECT_EQ(test, cpuid_eax(0), a);
}

static struct kunit_case pvx_native_cases[] = {
	KUNIT_CASE(pvx_native_irq_disable_clears_if),
	KUNIT_CASE(pvx_native_save_restore_round_trip),
	KUNIT_CASE(pvx_native_control_registers),
	KUNIT_CASE(pvx_native_rdmsr),
	KUNIT_CASE(pvx_native_msr_safe_bad_msr),
	KUNIT_CASE(pvx_native_cpuid_leaf0),
	{}
};

static struct kunit_suite pvx_native_suite = {
	.name = "pvx_native",
	.test_cases = pvx_native_cases,
};

kunit_test_suite(pvx_native_suite);

MODULE_DESCRIPTION("KUnit tests for the pvx native backend");
MODULE_LICENSE("GPL");
