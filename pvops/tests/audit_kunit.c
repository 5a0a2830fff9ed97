// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvx_audit: the whole kernel as booted.  Every recorded site,
 * in the image and in loaded modules, was patched and holds exactly the
 * bytes its state promises for the live ops table; the boot counts add
 * up; no indirect call or jump through the ops table exists.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <asm/pvx_backend.h>

struct audit {
	struct pvx_site_visitor v;
	struct kunit *test;
	unsigned int sites, checked, gone;
	unsigned int state[PVX_SITE_NR_STATES];
};

static int audit_site(struct pvx_site_visitor *v, struct pvx_site *s,
		      bool gone)
{
	struct audit *a = container_of(v, struct audit, v);
	struct kunit *test = a->test;

	a->sites++;
	if (s->state < PVX_SITE_NR_STATES)
		a->state[s->state]++;
	KUNIT_EXPECT_TRUE_MSG(test, s->state == PVX_SITE_INLINE ||
			      s->state == PVX_SITE_DIRECT ||
			      s->state == PVX_SITE_NOP,
			      "site %pS (%s) is %s", pvx_site_addr(s),
			      pvx_op_name(s->op), pvx_state_name(s->state));
	if (gone) {
		a->gone++;
		return 0;
	}
	KUNIT_EXPECT_EQ_MSG(test, pvx_site_check(s, &pvx_ops), 0,
			    "site %pS (%s, %s): bytes %*ph", pvx_site_addr(s),
			    pvx_op_name(s->op), pvx_state_name(s->state),
			    s->len, pvx_site_addr(s));
	a->checked++;
	return 0;
}

static void pvx_audit_every_site_patched(struct kunit *test)
{
	struct audit a = { .v.visit = audit_site, .test = test };

	pvx_walk_sites(&a.v);
	kunit_info(test, "sites=%u checked=%u freed=%u inline=%u direct=%u nop=%u\n",
		   a.sites, a.checked, a.gone, a.state[PVX_SITE_INLINE],
		   a.state[PVX_SITE_DIRECT], a.state[PVX_SITE_NOP]);
	KUNIT_EXPECT_GT(test, a.checked, 0u);
	KUNIT_EXPECT_EQ(test, a.state[PVX_SITE_UNPATCHED], 0u);
	KUNIT_EXPECT_EQ(test, a.state[PVX_SITE_PENDING], 0u);
}

static void pvx_audit_boot_counts(struct kunit *test)
{
	const struct pvx_patch_stats *st = pvx_boot_stats_get();
	unsigned int n, sum = 0, i;

	pvx_core_sites(&n);
	for (i = 0; i < PVX_SITE_NR_STATES; i++)
		sum += st->state[i];
	KUNIT_EXPECT_EQ(test, st->sites, n);
	KUNIT_EXPECT_EQ(test, sum, n);
	KUNIT_EXPECT_EQ(test, st->state[PVX_SITE_UNPATCHED], 0u);
	KUNIT_EXPECT_EQ(test, st->state[PVX_SITE_PENDING], 0u);
	/* irq flags alone put hundreds of sites in any kernel. */
	KUNIT_EXPECT_GT(test, n, 100u);
}

static void pvx_audit_no_table_calls(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, pvx_count_table_calls(), 0u);
}

static struct kunit_case pvx_audit_cases[] = {
	KUNIT_CASE(pvx_audit_every_site_patched),
	KUNIT_CASE(pvx_audit_boot_counts),
	KUNIT_CASE(pvx_audit_no_table_calls),
	{}
};

static struct kunit_suite pvx_audit_suite = {
	.name = "pvx_audit",
	.test_cases = pvx_audit_cases,
};

kunit_test_suite(pvx_audit_suite);

MODULE_DESCRIPTION("KUnit audit of every pvx site");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
