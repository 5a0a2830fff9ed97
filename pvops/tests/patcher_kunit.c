// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite pvx_patcher: test sites, in functions of their own text
 * section, patched to inline, direct and nop; their bytes checked; then
 * executed.  Each case puts its site back as the boot patched it.
 */
#include <kunit/test.h>
#include <linux/irqflags.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <asm/msr.h>
#include <asm/paravirt.h>
#include <asm/pvx_backend.h>

#define __pvx_test_text __section(".text.pvx_test") noinline

/* The test sites: one per function. */
static __pvx_test_text void test_site_irq_disable(void)
{
	pvx_irq_disable();
}

static __pvx_test_text unsigned long test_site_save_fl(void)
{
	return pvx_save_fl();
}

static __pvx_test_text u64 test_site_read_msr(unsigned int msr)
{
	return pvx_read_msr(msr);
}

static __pvx_test_text int test_site_write_msr_safe(unsigned int msr)
{
	return pvx_write_msr_safe(msr, 0, 0);
}

/* Fake backend functions. */
static unsigned int fake_irq_disable_calls;

static __used void pvx_test_fake_irq_disable(void)
{
	fake_irq_disable_calls++;
	native_irq_disable();
}

PV_CALLEE_SAVE_REGS_THUNK(pvx_test_fake_irq_disable);

#define FAKE_MSR_VALUE 0x1234567890abcdefULL

static u64 fake_read_msr(unsigned int msr)
{
	return FAKE_MSR_VALUE ^ msr;
}

struct site_ctx {
	struct pvx_site_visitor v;
	void *start;
	struct pvx_site *found;
};

static int find_site(struct pvx_site_visitor *v, struct pvx_site *s,
		     bool gone)
{
	struct site_ctx *c = container_of(v, struct site_ctx, v);
	u8 *addr = pvx_site_addr(s);

	if (addr >= (u8 *)c->start && addr < (u8 *)c->start + 64 &&
	    (!c->found || addr < (u8 *)pvx_site_addr(c->found)))
		c->found = s;
	return 0;
}

/* The (first) site inside a test function. */
static struct pvx_site *site_of(struct kunit *test, void *fn)
{
	struct site_ctx c = { .v.visit = find_site, .start = fn };

	pvx_walk_sites(&c.v);
	KUNIT_ASSERT_NOT_NULL_MSG(test, c.found, "no site in %ps", fn);
	return c.found;
}

static void restore_site(struct kunit *test, struct pvx_site *s)
{
	enum pvx_site_state st = pvx_patch_site(s, &pvx_ops, false);

	KUNIT_EXPECT_NE(test, st, PVX_SITE_UNPATCHED);
	KUNIT_EXPECT_EQ(test, pvx_site_check(s, &pvx_ops), 0);
}

static bool all_nops(const u8 *p, unsigned int len)
{
	unsigned int i;

	/* 0x90, or one of the multi-byte NOP encodings (0f 1f / 66 ...). */
	for (i = 0; i < len; i++)
		if (p[i] != 0x90 && p[i] != 0x0f && p[i] != 0x1f &&
		    p[i] != 0x66 && p[i] != 0x2e && p[i] != 0x00 &&
		    p[i] != 0x40 && p[i] != 0x44 && p[i] != 0x80 &&
		    p[i] != 0x84)
			return false;
	return true;
}

static void *call_target(const u8 *p)
{
	return (void *)(p + 5 + get_unaligned((s32 *)(p + 1)));
}

static void pvx_patcher_inline(struct kunit *test)
{
	struct pvx_site *s = site_of(test, test_site_irq_disable);
	struct pvx_ops ops = pvx_native_ops;
	u8 *p = pvx_site_addr(s);
	unsigned long flags;

	KUNIT_ASSERT_EQ(test, pvx_patch_site(s, &ops, false), PVX_SITE_INLINE);
	KUNIT_EXPECT_EQ(test, p[0], 0xfa);	/* cli */
	KUNIT_EXPECT_TRUE(test, all_nops(p + 1, s->len - 1));
	KUNIT_EXPECT_EQ(test, pvx_site_check(s, &ops), 0);

	local_irq_save(flags);
	native_irq_enable();
	test_site_irq_disable();
	KUNIT_EXPECT_FALSE(test, native_save_fl() & X86_EFLAGS_IF);
	local_irq_restore(flags);

	restore_site(test, s);
}

static void pvx_patcher_direct(struct kunit *test)
{
	struct pvx_site *s = site_of(test, test_site_irq_disable);
	struct pvx_ops ops = pvx_native_ops;
	u8 *p = pvx_site_addr(s);
	unsigned long flags;

	ops.irq.irq_disable = PVX_CALLEE_SAVE(pvx_test_fake_irq_disable);
	KUNIT_ASSERT_EQ(test, pvx_patch_site(s, &ops, false), PVX_SITE_DIRECT);
	KUNIT_EXPECT_EQ(test, p[0], 0xe8);
	KUNIT_EXPECT_PTR_EQ(test, call_target(p),
			    (void *)__raw_callee_save_pvx_test_fake_irq_disable);
	KUNIT_EXPECT_TRUE(test, all_nops(p + 5, s->len - 5));
	KUNIT_EXPECT_EQ(test, pvx_site_check(s, &ops), 0);

	fake_irq_disable_calls = 0;
	local_irq_save(flags);
	native_irq_enable();
	test_site_irq_disable();
	KUNIT_EXPECT_FALSE(test, native_save_fl() & X86_EFLAGS_IF);
	local_irq_restore(flags);
	KUNIT_EXPECT_EQ(test, fake_irq_disable_calls, 1);

	restore_site(test, s);
}

static void pvx_patcher_direct_c(struct kunit *test)
{
	struct pvx_site *s = site_of(test, test_site_read_msr);
	struct pvx_ops ops = pvx_native_ops;
	u8 *p = pvx_site_addr(s);

	ops.cpu.read_msr = fake_read_msr;
	KUNIT_ASSERT_EQ(test, pvx_patch_site(s, &ops, false), PVX_SITE_DIRECT);
	KUNIT_EXPECT_PTR_EQ(test, call_target(p), (void *)fake_read_msr);
	KUNIT_EXPECT_EQ(test, test_site_read_msr(MSR_EFER),
			FAKE_MSR_VALUE ^ MSR_EFER);

	restore_site(test, s);
	KUNIT_EXPECT_EQ(test, test_site_read_msr(MSR_EFER),
			native_read_msr(MSR_EFER));
}

static void pvx_patcher_nop(struct kunit *test)
{
	struct pvx_site *s = site_of(test, test_site_irq_disable);
	struct pvx_ops ops = pvx_native_ops;
	u8 *p = pvx_site_addr(s);
	unsigned long flags;

	ops.irq.irq_disable = PVX_NOP_CS;
	KUNIT_ASSERT_EQ(test, pvx_patch_site(s, &ops, false), PVX_SITE_NOP);
	KUNIT_EXPECT_TRUE(test, all_nops(p, s->len));
	KUNIT_EXPECT_EQ(test, pvx_site_check(s, &ops), 0);

	local_irq_save(flags);
	native_irq_enable();
	test_site_irq_disable();
	KUNIT_EXPECT_TRUE(test, native_save_fl() & X86_EFLAGS_IF);
	local_irq_restore(flags);

	restore_site(test, s);
}

static void pvx_patcher_nop_needs_void(struct kunit *test)
{
	struct pvx_site *s = site_of(test, test_site_save_fl);
	struct pvx_ops ops = pvx_native_ops;
	u8 before[PVX_SITE_MAX_LEN];
	u8 *p = pvx_site_addr(s);

	memcpy(before, p, s->len);
	ops.irq.save_fl = PVX_NOP_CS;
	KUNIT_EXPECT_EQ(test, pvx_patch_site(s, &ops, false),
			PVX_SITE_UNPATCHED);
	KUNIT_EXPECT_MEMEQ(test, p, before, s->len);
	/* Still the native pushf; pop. */
	KUNIT_EXPECT_EQ(test, test_site_save_fl() & X86_EFLAGS_IF,
			native_save_fl() & X86_EFLAGS_IF);

	restore_site(test, s);
}

static void pvx_patcher_native_call(struct kunit *test)
{
	struct pvx_site *s = site_of(test, test_site_write_msr_safe);
	u8 *p = pvx_site_addr(s);

	/* No template: natively a direct call to the native function. */
	KUNIT_EXPECT_EQ(test, s->state, PVX_SITE_DIRECT);
	KUNIT_EXPECT_PTR_EQ(test, call_target(p),
			    (void *)pvx_native_ops.cpu.write_msr_safe);
	/* Executing it reaches the native function: same answer. */
	KUNIT_EXPECT_EQ(test, test_site_write_msr_safe(0xdeadbeefu),
			native_write_msr_safe(0xdeadbeefu, 0, 0));
}

/* Records the patcher must refuse; they live in .data like real ones. */
static struct pvx_site bad_site;

static void pvx_patcher_bad_bytes(struct kunit *test)
{
	u8 *fn = (u8 *)pvx_test_fake_irq_disable;
	u8 before[8];

	/* Points at ordinary code: bytes are not a native site. */
	bad_site.addr = (long)fn - (long)&bad_site.addr;
	bad_site.op = PVX_OP_irq_disable;
	bad_site.len = 5;
	bad_site.clobbers = PVX_CLOBBER_SITE_CS;
	bad_site.state = PVX_SITE_PENDING;
	memcpy(before, fn, sizeof(before));

	KUNIT_EXPECT_EQ(test, pvx_patch_site(&bad_site, &pvx_ops, false),
			PVX_SITE_UNPATCHED);
	KUNIT_EXPECT_EQ(test, bad_site.state, PVX_SITE_UNPATCHED);
	KUNIT_EXPECT_MEMEQ(test, fn, before, sizeof(before));
}

static void pvx_patcher_bad_length(struct kunit *test)
{
	struct pvx_site *s = site_of(test, test_site_irq_disable);
	u8 *p = pvx_site_addr(s);
	u8 before[PVX_SITE_MAX_LEN];

	memcpy(before, p, s->len);
	bad_site = *s;
	bad_site.addr = (long)p - (long)&bad_site.addr;
	bad_site.len = 3;
	KUNIT_EXPECT_EQ(test, pvx_patch_site(&bad_site, &pvx_ops, false),
			PVX_SITE_UNPATCHED);
	bad_site.len = PVX_SITE_MAX_LEN + 1;
	KUNIT_EXPECT_EQ(test, pvx_patch_site(&bad_site, &pvx_ops, false),
			PVX_SITE_UNPATCHED);
	KUNIT_EXPECT_MEMEQ(test, p, before, s->len);
}

static void pvx_patcher_bad_clobbers(struct kunit *test)
{
	struct pvx_site *s = site_of(test, test_site_read_msr);
	u8 *p = pvx_site_addr(s);

	/* A C-convention op at a site that promises to keep registers. */
	bad_site = *s;
	bad_site.addr = (long)p - (long)&bad_site.addr;
	bad_site.clobbers = PVX_CLOBBER_SITE_CS;
	KUNIT_EXPECT_EQ(test, pvx_patch_site(&bad_site, &pvx_ops, false),
			PVX_SITE_UNPATCHED);

	bad_site = *s;
	bad_site.addr = (long)p - (long)&bad_site.addr;
	bad_site.op = PVX_NR_OPS;
	KUNIT_EXPECT_EQ(test, pvx_patch_site(&bad_site, &pvx_ops, false),
			PVX_SITE_UNPATCHED);
}

static struct kunit_case pvx_patcher_cases[] = {
	KUNIT_CASE(pvx_patcher_inline),
	KUNIT_CASE(pvx_patcher_direct),
	KUNIT_CASE(pvx_patcher_direct_c),
	KUNIT_CASE(pvx_patcher_nop),
	KUNIT_CASE(pvx_patcher_nop_needs_void),
	KUNIT_CASE(pvx_patcher_native_call),
	KUNIT_CASE(pvx_patcher_bad_bytes),
	KUNIT_CASE(pvx_patcher_bad_length),
	KUNIT_CASE(pvx_patcher_bad_clobbers),
	{}
};

static struct kunit_suite pvx_patcher_suite = {
	.name = "pvx_patcher",
	.test_cases = pvx_patcher_cases,
};

kunit_test_suite(pvx_patcher_suite);

MODULE_DESCRIPTION("KUnit tests for the pvx site patcher");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
