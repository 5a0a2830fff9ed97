// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvx_selection: backend choice (priorities, pvx=, detect),
 * and negotiation answers the core must refuse.
 */
#include <kunit/test.h>
#include <linux/errno.h>
#include <pvx/abi.h>
#include <asm/pvx.h>

static u32 prio_low(void) { return 5; }
static u32 prio_high(void) { return 10; }
static u32 prio_none(void) { return 0; }

/* What the stub init() answers, set by each test case. */
static struct pvx_negotiated answer;
static int answer_ret;

static int init_stub(struct pvx_negotiated *neg)
{
	*neg = answer;
	return answer_ret;
}

static const struct pvx_backend be_low = {
	.name = "low", .detect = prio_low, .init = init_stub,
	.abi_max = 1 << 16 | 1, .features = 0x3,
};

/* A PVX ABI backend that asks for a feature of 1.1. */
static const struct pvx_backend be_ipi = {
	.name = "ipi", .init = init_stub,
	.abi_max = PVX_ABI_VERSION(1, 1), .features = PVX_FEATURE(PV_IPI),
};

static const struct pvx_backend be_high = {
	.name = "high", .detect = prio_high, .init = init_stub,
};

static const struct pvx_backend be_twin = {
	.name = "twin", .detect = prio_high, .init = init_stub,
};

static const struct pvx_backend be_absent = {
	.name = "absent", .detect = prio_none, .init = init_stub,
};

static const struct pvx_backend be_manual = {
	.name = "manual", .init = init_stub,
};

static const struct pvx_backend *const all[] = {
	&be_low, &be_high, &be_twin, &be_absent, &be_manual,
};

static void pvx_selection_highest_priority(struct kunit *test)
{
	u32 prio;

	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(all, 2, NULL, &prio), &be_high);
	KUNIT_EXPECT_EQ(test, prio, 10);
	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(all, 1, "auto", &prio), &be_low);
	KUNIT_EXPECT_EQ(test, prio, 5);
}

static void pvx_selection_tie_takes_first(struct kunit *test)
{
	u32 prio;

	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(all, ARRAY_SIZE(all), "", &prio),
			    &be_high);
}

static void pvx_selection_nothing_detected(struct kunit *test)
{
	u32 prio = 1;

	/* Neither an absent platform nor a detect()-less backend is taken. */
	KUNIT_EXPECT_NULL(test, pvx_choose(all + 3, 2, NULL, &prio));
	KUNIT_EXPECT_EQ(test, prio, 0);
}

static void pvx_selection_param_forces(struct kunit *test)
{
	u32 prio;

	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(all, ARRAY_SIZE(all), "low", &prio),
			    &be_low);
	KUNIT_EXPECT_EQ(test, prio, 5);
	KUNIT_EXPECT_PTR_EQ(test,
			    pvx_choose(all, ARRAY_SIZE(all), "manual", &prio),
			    &be_manual);
	KUNIT_EXPECT_EQ(test, prio, U32_MAX);
	KUNIT_EXPECT_NULL(test, pvx_choose(all, ARRAY_SIZE(all), "native", &prio));
	KUNIT_EXPECT_EQ(test, prio, 0);
}

static void pvx_selection_param_absent_is_native(struct kunit *test)
{
	u32 prio = 1;

	KUNIT_EXPECT_NULL(test,
			  pvx_choose(all, ARRAY_SIZE(all), "absent", &prio));
	KUNIT_EXPECT_EQ(test, prio, 0);
}

static void pvx_selection_unknown_param_is_auto(struct kunit *test)
{
	u32 prio;

	KUNIT_EXPECT_PTR_EQ(test, pvx_choose(all, 2, "bogus", &prio), &be_high);
	KUNIT_EXPECT_EQ(test, prio, 10);
}

static void pvx_selection_negotiate_ok(struct kunit *test)
{
	struct pvx_negotiated neg;

	answer = (struct pvx_negotiated){ 1 << 16 | 1, 0x2, "test" };
	answer_ret = 0;
	KUNIT_EXPECT_EQ(test, pvx_negotiate(&be_low, &neg), 0);
	KUNIT_EXPECT_EQ(test, neg.abi, 1 << 16 | 1);
	KUNIT_EXPECT_EQ(test, neg.features, 0x2);
	KUNIT_EXPECT_STREQ(test, neg.transport, "test");
}

static void pvx_selection_negotiate_fails(struct kunit *test)
{
	struct pvx_negotiated neg;

	/* A failing init may have scribbled: none of it survives. */
	answer = (struct pvx_negotiated){ 1, 0x1, "test" };
	answer_ret = -ENODEV;
	KUNIT_EXPECT_EQ(test, pvx_negotiate(&be_low, &neg), -ENODEV);
	KUNIT_EXPECT_EQ(test, neg.abi, 0);
	KUNIT_EXPECT_EQ(test, neg.features, 0);
	KUNIT_EXPECT_NULL(test, neg.transport);
}

static void pvx_selection_negotiate_abi_too_new(struct kunit *test)
{
	struct pvx_negotiated neg;

	answer = (struct pvx_negotiated){ 1 << 16 | 2, 0x1, "test" };
	answer_ret = 0;
	KUNIT_EXPECT_EQ(test, pvx_negotiate(&be_low, &neg), -EPROTO);
	KUNIT_EXPECT_EQ(test, neg.features, 0);
}

/* Below the version asked for, but of another major: refused too. */
static void pvx_selection_negotiate_other_major(struct kunit *test)
{
	struct pvx_negotiated neg;

	answer = (struct pvx_negotiated){ 0 << 16 | 5, 0x1, "test" };
	answer_ret = 0;
	KUNIT_EXPECT_EQ(test, pvx_negotiate(&be_low, &neg), -EPROTO);
	KUNIT_EXPECT_EQ(test, neg.abi, 0);
	KUNIT_EXPECT_EQ(test, neg.features, 0);
}

static void pvx_selection_negotiate_feature_not_offered(struct kunit *test)
{
	struct pvx_negotiated neg;

	answer = (struct pvx_negotiated){ 1 << 16, 0x4, "test" };
	answer_ret = 0;
	KUNIT_EXPECT_EQ(test, pvx_negotiate(&be_low, &neg), -EPROTO);
	KUNIT_EXPECT_EQ(test, neg.abi, 0);
}

/* A feature newer than the version agreed on, though asked for: refused. */
static void pvx_selection_negotiate_feature_too_new(struct kunit *test)
{
	struct pvx_negotiated neg;

	answer = (struct pvx_negotiated){ PVX_ABI_VERSION(1, 0), PVX_FEATURE(PV_IPI), "test" };
	answer_ret = 0;
	KUNIT_EXPECT_EQ(test, pvx_negotiate(&be_ipi, &neg), -EPROTO);
	KUNIT_EXPECT_EQ(test, neg.features, 0);
	answer.abi = PVX_ABI_VERSION(1, 1);
	KUNIT_EXPECT_EQ(test, pvx_negotiate(&be_ipi, &neg), 0);
	KUNIT_EXPECT_EQ(test, neg.features, PVX_FEATURE(PV_IPI));
}

static void pvx_selection_op_needs_every_feature(struct kunit *test)
{
	const struct pvx_negotiated neg = { .features = 0x1 };
	const struct pvx_op_impl none = { .op = PVX_OP_halt, .feature = 0 };
	const struct pvx_op_impl one = { .op = PVX_OP_halt, .feature = 0x1 };
	const struct pvx_op_impl two = { .op = PVX_OP_halt, .feature = 0x3 };
	const struct pvx_op_impl bad = { .op = PVX_NR_OPS, .feature = 0 };

	KUNIT_EXPECT_TRUE(test, pvx_op_usable(&be_low, &neg, &none));
	KUNIT_EXPECT_TRUE(test, pvx_op_usable(&be_low, &neg, &one));
	KUNIT_EXPECT_FALSE(test, pvx_op_usable(&be_low, &neg, &two));
	KUNIT_EXPECT_FALSE(test, pvx_op_usable(&be_low, &neg, &bad));
}

static struct kunit_case pvx_selection_cases[] = {
	KUNIT_CASE(pvx_selection_highest_priority),
	KUNIT_CASE(pvx_selection_tie_takes_first),
	KUNIT_CASE(pvx_selection_nothing_detected),
	KUNIT_CASE(pvx_selection_param_forces),
	KUNIT_CASE(pvx_selection_param_absent_is_native),
	KUNIT_CASE(pvx_selection_unknown_param_is_auto),
	KUNIT_CASE(pvx_selection_negotiate_ok),
	KUNIT_CASE(pvx_selection_negotiate_fails),
	KUNIT_CASE(pvx_selection_negotiate_abi_too_new),
	KUNIT_CASE(pvx_selection_negotiate_other_major),
	KUNIT_CASE(pvx_selection_negotiate_feature_not_offered),
	KUNIT_CASE(pvx_selection_negotiate_feature_too_new),
	KUNIT_CASE(pvx_selection_op_needs_every_feature),
	{}
};

static struct kunit_suite pvx_selection_suite = {
	.name = "pvx_selection",
	.test_cases = pvx_selection_cases,
};

kunit_test_suite(pvx_selection_suite);

MODULE_DESCRIPTION("KUnit tests for pvx backend selection");
MODULE_LICENSE("GPL");
