// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvx_selection: fake backends, priorities, the pvx= override,
 * and a failing init falling back to native.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <asm/paravirt.h>
#include <asm/pvx_backend.h>

static u32 prio_low(void) { return 5; }
static u32 prio_high(void) { return 10; }
static u32 prio_none(void) { return 0; }

static __used void pvx_test_sel_irq_disable(void)
{
	native_irq_disable();
}

PV_CALLEE_SAVE_REGS_THUNK(pvx_test_sel_irq_disable);

static int init_ok(struct pvx_ops *ops, u32 *abi)
{
	ops->irq.irq_disable = PVX_CALLEE_SAVE(pvx_test_sel_irq_disable);
	*abi = 1 << 16 | 2;
	return 0;
}

static int init_fail(struct pvx_ops *ops, u32 *abi)
{
	/* Scribble, then fail: none of it may survive. */
	ops->irq.irq_disable = PVX_NOP_CS;
	ops->cpu.wbinvd = PVX_NOP_CS;
	*abi = 7;
	return -ENODEV;
}

static const struct pvx_backend be_low = {
	.name = "low", .detect = prio_low, .init = init_ok,
};

static const struct pvx_backend be_high = {
	.name = "high", .detect = prio_high, .init = init_fail,
};

static const struct pvx_backend be_twin = {
	.name = "twin", .detect = prio_high, .init = init_ok,
};

static const struct pvx_backend be_absent = {
	.name = "absent", .detect = prio_none, .init = init_ok,
};

static const struct pvx_backend *const all[] = {
	&pvx_native_backend, &be_low, &be_high, &be_twin, &be_absent,
};

static void pvx_selection_highest_priority(struct kunit *test)
{
	const struct pvx_backend *const list[] = { &be_low, &be_high };
	u32 prio;

	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(list, 2, NULL, &prio), &be_high);
	KUNIT_EXPECT_EQ(test, prio, 10u);
	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(list, 2, "auto", &prio), &be_high);
	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(list, 2, "", &prio), &be_high);
}

static void pvx_selection_tie_takes_first(struct kunit *test)
{
	u32 prio;

	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(all, ARRAY_SIZE(all), NULL, &prio),
			    &be_high);
}

static void pvx_selection_nothing_detected(struct kunit *test)
{
	const struct pvx_backend *const list[] = {
		&pvx_native_backend, &be_absent,
	};
	u32 prio;

	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(list, 2, NULL, &prio),
			    &pvx_native_backend);
	KUNIT_EXPECT_EQ(test, prio, 0u);
}

static void pvx_selection_param_override(struct kunit *test)
{
	u32 prio;

	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(all, ARRAY_SIZE(all), "low", &prio),
			    &be_low);
	KUNIT_EXPECT_EQ(test, prio, U32_MAX);
	KUNIT_EXPECT_PTR_EQ(test,
			    pvx_choose(all, ARRAY_SIZE(all), "absent", &prio),
			    &be_absent);
	KUNIT_EXPECT_PTR_EQ(test,
			    pvx_choose(all, ARRAY_SIZE(all), "native", &prio),
			    &pvx_native_backend);
}

static void pvx_selection_unknown_param(struct kunit *test)
{
	u32 prio;

	/* Warned about, then auto selection. */
	KUNIT_EXPECT_PTR_EQ(test,
			    pvx_choose(all, ARRAY_SIZE(all), "bogus", &prio),
			    &be_high);
	KUNIT_EXPECT_EQ(test, prio, 10u);
}

static void pvx_selection_init_ok(struct kunit *test)
{
	struct pvx_ops ops;
	u32 abi;

	KUNIT_EXPECT_PTR_EQ(test, pvx_init_backend(&be_low, &ops, &abi),
			    &be_low);
	KUNIT_EXPECT_EQ(test, abi, 1u << 16 | 2);
	KUNIT_EXPECT_PTR_EQ(test, ops.irq.irq_disable.func,
			    (void *)__raw_callee_save_pvx_test_sel_irq_disable);
	/* Everything it did not override is still native. */
	KUNIT_EXPECT_PTR_EQ(test, ops.irq.irq_enable.func,
			    pvx_native_ops.irq.irq_enable.func);
	KUNIT_EXPECT_PTR_EQ(test, ops.cpu.read_msr, pvx_native_ops.cpu.read_msr);
}

static void pvx_selection_init_fails_to_native(struct kunit *test)
{
	struct pvx_ops ops;
	u32 abi;

	KUNIT_EXPECT_PTR_EQ(test, pvx_init_backend(&be_high, &ops, &abi),
			    &pvx_native_backend);
	KUNIT_EXPECT_EQ(test, abi, 0u);
	KUNIT_EXPECT_MEMEQ(test, &ops, &pvx_native_ops, sizeof(ops));
}

static void pvx_selection_native_init(struct kunit *test)
{
	struct pvx_ops ops;
	u32 abi = 99;

	KUNIT_EXPECT_PTR_EQ(test,
			    pvx_init_backend(&pvx_native_backend, &ops, &abi),
			    &pvx_native_backend);
	KUNIT_EXPECT_EQ(test, abi, 0u);
	KUNIT_EXPECT_MEMEQ(test, &ops, &pvx_native_ops, sizeof(ops));
}

static struct kunit_case pvx_selection_cases[] = {
	KUNIT_CASE(pvx_selection_highest_priority),
	KUNIT_CASE(pvx_selection_tie_takes_first),
	KUNIT_CASE(pvx_selection_nothing_detected),
	KUNIT_CASE(pvx_selection_param_override),
	KUNIT_CASE(pvx_selection_unknown_param),
	KUNIT_CASE(pvx_selection_init_ok),
	KUNIT_CASE(pvx_selection_init_fails_to_native),
	KUNIT_CASE(pvx_selection_native_init),
	{}
};

static struct kunit_suite pvx_selection_suite = {
	.name = "pvx_selection",
	.test_cases = pvx_selection_cases,
};

kunit_test_suite(pvx_selection_suite);

MODULE_DESCRIPTION("KUnit tests for pvx backend selection");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
