// SPDX-License-Identifier: GPL-2.0
/*
 * libpvxhv unit tests: every hypercall with valid, boundary and hostile
 * arguments, every bad-input case of the ABI spec, version skew.
 * Built with ASan + UBSan.  Prints one "PASS name" / "FAIL name -- why"
 * line per test; tests/host/check.sh records them.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fakevm.h"
#include "harness.h"

static struct fvm vm;

/* A VM negotiated by a guest of version that asked for features. */
static void up_with(const struct fvm_opts *o, uint32_t version, uint64_t features)
{
	struct fvm_opts def = { 0 };

	if (fvm_init(&vm, o ? o : &def)) {
		snprintf(cur_fail, sizeof(cur_fail), "fvm_init failed");
		return;
	}
	EXPECT_EQ(fvm_negotiate(&vm, version, features), 0);
}

/* A negotiated VM with all features (the usual starting point). */
static void up(const struct fvm_opts *o)
{
	up_with(o, PVX_ABI_VERSION_LATEST, ~0ull);
}

static void up_raw(const struct fvm_opts *o)
{
	struct fvm_opts def = { 0 };

	if (fvm_init(&vm, o ? o : &def))
		snprintf(cur_fail, sizeof(cur_fail), "fvm_init failed");
}

/* After hostile calls the instance must still serve a valid call. */
static void still_works(void)
{
	uint64_t gpa = 0x3000;

	memcpy(vm.low + gpa, "ok", 2);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, gpa, 2), 2);
}

/* ---- ABI constants and names ---- */

static void test_errno_compatible(void)
{
	EXPECT_EQ(PVX_EPERM, EPERM);
	EXPECT_EQ(PVX_ESRCH, ESRCH);
	EXPECT_EQ(PVX_E2BIG, E2BIG);
	EXPECT_EQ(PVX_EFAULT, EFAULT);
	EXPECT_EQ(PVX_EINVAL, EINVAL);
	EXPECT_EQ(PVX_ELOOP, ELOOP);
	EXPECT_EQ(PVX_ENOSYS, ENOSYS);
	EXPECT_EQ(PVX_EPROTONOSUPPORT, EPROTONOSUPPORT);
	EXPECT_EQ(PVX_EOPNOTSUPP, EOPNOTSUPP);
	EXPECT_EQ(PVX_ETIMEDOUT, ETIMEDOUT);
	EXPECT_EQ(PVX_EALREADY, EALREADY);
}

static void test_names(void)
{
	EXPECT(!strcmp(pvxhv_hypercall_name(PVX_HC_flush_tlb), "flush_tlb"));
	EXPECT(!strcmp(pvxhv_hypercall_name(1ull << 40), "?"));
	EXPECT(!strcmp(pvxhv_error_name(-PVX_EINVAL), "EINVAL"));
	EXPECT(!strcmp(pvxhv_error_name(0), "OK"));
	EXPECT(!strcmp(pvxhv_error_name(12345), "?"));
}

/* ---- create / cpuid ---- */

static void test_create_rejects_bad_config(void)
{
	struct fvm_opts o = { 0 };
	struct pvxhv_config c;
	struct pvxhv_ops ops;
	struct pvxhv_mem_region wrap;
	struct pvxhv *hv;

	up_raw(&o);
	c = vm.cfg;
	c.nr_vcpus = 0;
	EXPECT(!pvxhv_create(&c));
	c.nr_vcpus = PVX_MAX_VCPUS + 1;
	EXPECT(!pvxhv_create(&c));
	c = vm.cfg;
	c.transport = 7;
	EXPECT(!pvxhv_create(&c));
	c = vm.cfg;
	c.io_port = 0;			/* no guest may use these ports */
	EXPECT(!pvxhv_create(&c));
	c.io_port = PVX_IOPORT_MAX + 1;
	EXPECT(!pvxhv_create(&c));
	c.io_port = PVX_IOPORT_MAX;
	hv = pvxhv_create(&c);
	EXPECT(hv);
	pvxhv_destroy(hv);
	c = vm.cfg;
	c.cpuid_base = 0x40000080;
	EXPECT(!pvxhv_create(&c));
	c = vm.cfg;
	c.abi_version = PVX_ABI_VERSION(2, 0);
	EXPECT(!pvxhv_create(&c));
	c.abi_version = PVX_ABI_VERSION(1, PVX_ABI_VERSION_MINOR + 1);
	EXPECT(!pvxhv_create(&c));
	c = vm.cfg;
	wrap = (struct pvxhv_mem_region){ 0xfffffffffffff000ull, 0x2000, vm.low };
	c.regions = &wrap;
	c.nr_regions = 1;
	EXPECT(!pvxhv_create(&c));
	c = vm.cfg;
	ops = vm.ops;
	ops.shutdown = NULL;
	c.ops = &ops;
	EXPECT(!pvxhv_create(&c));
	c = vm.cfg;
	c.regions = NULL;
	c.nr_regions = 0;
	ops = vm.ops;
	ops.read_guest = NULL;
	c.ops = &ops;
	EXPECT(!pvxhv_create(&c));
	EXPECT(!pvxhv_create(NULL));
	fvm_fini(&vm);
}

static void test_features_follow_callbacks(void)
{
	struct pvxhv_ops ops;
	struct pvxhv_config c;
	struct pvxhv *hv;

	up_raw(NULL);
	EXPECT_EQ(pvxhv_features(vm.hv), pvx_features_known_in(PVX_ABI_VERSION_LATEST));
	ops = vm.ops;
	ops.console = NULL;
	ops.inject = NULL;
	c = vm.cfg;
	c.ops = &ops;
	hv = pvxhv_create(&c);
	EXPECT(hv);
	if (hv) {
		uint64_t f = pvxhv_features(hv);

		EXPECT(!(f & PVX_FEATURE(CONSOLE)));
		EXPECT(!(f & PVX_FEATURE(TIMER)));
		EXPECT(!(f & PVX_FEATURE(PV_IPI)));
		EXPECT(f & PVX_FEATURE(MULTICALL));
		pvxhv_destroy(hv);
	}
	fvm_fini(&vm);
}

static void test_cpuid_leaves(void)
{
	uint32_t r[4];
	char sig[13];

	up_raw(NULL);
	EXPECT(pvxhv_cpuid(vm.hv, 0x40000000, r));
	EXPECT_EQ(r[0], 0x40000002);
	memcpy(sig, &r[1], 4);
	memcpy(sig + 4, &r[2], 4);
	memcpy(sig + 8, &r[3], 4);
	sig[12] = 0;
	EXPECT(!strcmp(sig, "PVXPVXPVXPVX"));
	EXPECT(pvxhv_cpuid(vm.hv, 0x40000001, r));
	EXPECT_EQ(r[0], PVX_ABI_VERSION_LATEST);
	EXPECT_EQ(r[1] | ((uint64_t)r[2] << 32), pvxhv_features(vm.hv));
	EXPECT_EQ(r[3], 4);
	EXPECT(pvxhv_cpuid(vm.hv, 0x40000002, r));
	EXPECT_EQ(r[0], PVX_TRANSPORT_IOPORT);
	EXPECT_EQ(r[1], 0x5650);
	EXPECT(!pvxhv_cpuid(vm.hv, 0x40000003, r));
	EXPECT(!pvxhv_cpuid(vm.hv, 0x3fffffff, r));
	fvm_fini(&vm);
}

static void test_cpuid_custom_base(void)
{
	struct pvxhv_config c;
	struct pvxhv *hv;
	uint32_t r[4];

	up_raw(NULL);
	c = vm.cfg;
	c.cpuid_base = 0x40000100;
	c.transport = PVX_TRANSPORT_VMMCALL;
	hv = pvxhv_create(&c);
	EXPECT(hv);
	if (hv) {
		EXPECT(!pvxhv_cpuid(hv, 0x40000000, r));
		EXPECT(pvxhv_cpuid(hv, 0x40000100, r));
		EXPECT_EQ(r[0], 0x40000102);
		EXPECT(pvxhv_cpuid(hv, 0x40000102, r));
		EXPECT_EQ(r[0], PVX_TRANSPORT_VMMCALL);
		EXPECT_EQ(r[1], 0);
		pvxhv_destroy(hv);
	}
	fvm_fini(&vm);
}

/* ---- common dispatch checks ---- */

/* The first number above every hypercall's. */
static uint64_t unused_nr(void)
{
	static const uint64_t nrs[] = {
#define NR(since, name, nr, ...) nr,
		PVX_HYPERCALLS(NR)
#undef NR
	};
	uint64_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(nrs); i++)
		if (nrs[i] >= n)
			n = nrs[i] + 1;
	return n;
}

static void test_unknown_hypercall(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL0(&vm, unused_nr()), -PVX_ENOSYS);
	EXPECT_EQ(FVM_CALL0(&vm, 0xffff), -PVX_ENOSYS);
	/* The number is 64 bits: high bits must not alias a real call. */
	EXPECT_EQ(FVM_CALL0(&vm, (1ull << 32) | PVX_HC_sched_yield), -PVX_ENOSYS);
	EXPECT_EQ(FVM_CALL0(&vm, ~0ull), -PVX_ENOSYS);
	EXPECT_EQ(vm.yields, 0);
	still_works();
	fvm_fini(&vm);
}

static void test_before_negotiate(void)
{
	struct pvxhv_regs r = { .rax = PVX_HC_console_write, .rbx = 0x3000, .rcx = 1 };

	up_raw(NULL);
	EXPECT_EQ(pvxhv_hypercall(vm.hv, 0, &r), -PVX_EPERM);
	EXPECT_EQ((int64_t)r.rax, -PVX_EPERM);
	EXPECT_EQ(r.rbx, 0x3000);	/* nothing but rax changes */
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_sched_yield), -PVX_EPERM);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_shutdown, 0, 0), -PVX_EPERM);
	EXPECT_EQ(vm.shutdowns, 0);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	fvm_fini(&vm);
}

/* Every hypercall refuses a non-zero unused argument register. */
static void test_reserved_argument_registers(void)
{
	static const struct { uint64_t nr, nargs; } calls[] = {
#define ONE(since, name, nr, nargs, ...) { nr, nargs },
		PVX_HYPERCALLS(ONE)
#undef ONE
	};
	up(NULL);
	for (size_t i = 0; i < ARRAY_SIZE(calls); i++) {
		for (uint64_t a = calls[i].nargs; a < PVX_HC_MAX_ARGS; a++) {
			uint64_t x[PVX_HC_MAX_ARGS] = { 0 };

			x[a] = 1ull << 63;
			EXPECT_EQ(fvm_call(&vm, 0, calls[i].nr, x[0], x[1], x[2], x[3], x[4]), -PVX_EINVAL);
		}
	}
	EXPECT_EQ(vm.shutdowns + vm.yields + vm.blocks, 0);
	still_works();
	fvm_fini(&vm);
}

static void test_vmm_bad_vcpu(void)
{
	struct pvxhv_regs r = { .rax = PVX_HC_sched_yield };

	up(NULL);
	EXPECT_EQ(pvxhv_hypercall(vm.hv, 4, &r), -PVX_ESRCH);
	EXPECT_EQ(r.rax, PVX_HC_sched_yield);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 99, 0), -PVX_ESRCH);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 4), -PVX_ESRCH);
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, ~0u), -PVX_ESRCH);
	EXPECT_EQ(pvxhv_kick(vm.hv, 4), -PVX_ESRCH);
	fvm_fini(&vm);
}

/* ---- negotiate ---- */

static struct pvx_negotiate neg_at(uint64_t gpa)
{
	struct pvx_negotiate n;

	memcpy(&n, fvm_host(&vm, gpa, sizeof(n)), sizeof(n));
	return n;
}

static void put_neg(uint64_t gpa, uint32_t size, uint32_t version, uint64_t features)
{
	struct pvx_negotiate n = { .size = size, .version = version, .features = features };

	memcpy(fvm_host(&vm, gpa, 16), &n, 16);
}

static void test_negotiate_valid(void)
{
	struct pvx_negotiate n;
	uint32_t v;
	uint64_t f;

	up_raw(NULL);
	put_neg(0x2000, sizeof(n), PVX_ABI_VERSION_LATEST, ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.size, sizeof(n));
	EXPECT_EQ(n.version, PVX_ABI_VERSION_LATEST);
	EXPECT_EQ(n.features, pvxhv_features(vm.hv));
	EXPECT_EQ(n.nr_vcpus, 4);
	EXPECT_EQ(n.max_multicall, PVX_MULTICALL_MAX);
	EXPECT(pvxhv_negotiated(vm.hv, &v, &f));
	EXPECT_EQ(v, PVX_ABI_VERSION_LATEST);
	EXPECT_EQ(f, n.features);
	/* Twice: EALREADY, state unchanged. */
	put_neg(0x2000, sizeof(n), PVX_ABI_VERSION(1, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EALREADY);
	EXPECT(pvxhv_negotiated(vm.hv, &v, &f));
	EXPECT_EQ(v, PVX_ABI_VERSION_LATEST);
	still_works();
	fvm_fini(&vm);
}

static void test_negotiate_at_top_of_memory(void)
{
	uint64_t gpa = 0ull - 24;	/* the struct ends at the last byte of 2^64 */

	up_raw(NULL);
	put_neg(gpa, 24, PVX_ABI_VERSION_LATEST, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, gpa), 0);
	fvm_fini(&vm);
}

static void test_negotiate_bad_struct(void)
{
	uint8_t before[32];

	up_raw(NULL);
	/* misaligned */
	put_neg(0x2004, 24, PVX_ABI_VERSION_LATEST, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2004), -PVX_EINVAL);
	/* crossing a page: 16 bytes fit, the declared 24 do not */
	put_neg(0x2ff0, 24, PVX_ABI_VERSION_LATEST, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2ff0), -PVX_EINVAL);
	put_neg(0x2ff8, 24, PVX_ABI_VERSION_LATEST, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2ff8), -PVX_EINVAL);
	/* too small, absurdly large */
	put_neg(0x2000, 15, PVX_ABI_VERSION_LATEST, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EINVAL);
	put_neg(0x2000, 0xffffffffu, PVX_ABI_VERSION_LATEST, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EINVAL);
	/* not RAM, wrapping */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, FVM_LOW_SIZE), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, FVM_LOW_SIZE - 8), -PVX_EINVAL); /* crosses page */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0xfffffffffffffff8ull), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x123456789000ull), -PVX_EFAULT);
	/* Nothing negotiated, nothing written. */
	memcpy(before, vm.low + 0x2000, sizeof(before));
	put_neg(0x2000, 15, PVX_ABI_VERSION_LATEST, 0);
	memcpy(before, vm.low + 0x2000, sizeof(before));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EINVAL);
	EXPECT(!memcmp(before, vm.low + 0x2000, sizeof(before)));
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	/* And a good one still works. */
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, 0), 0);
	fvm_fini(&vm);
}

static void test_negotiate_unknown_major(void)
{
	uint8_t before[24];

	up_raw(NULL);
	put_neg(0x2000, 24, PVX_ABI_VERSION(2, 0), ~0ull);
	memcpy(before, vm.low + 0x2000, sizeof(before));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EPROTONOSUPPORT);
	EXPECT(!memcmp(before, vm.low + 0x2000, sizeof(before)));
	put_neg(0x2000, 24, PVX_ABI_VERSION(0, 9), ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EPROTONOSUPPORT);
	put_neg(0x2000, 24, 0xffffffffu, ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EPROTONOSUPPORT);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_sched_yield), -PVX_EPERM);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, 0), 0);
	fvm_fini(&vm);
}

static void test_negotiate_accessor_mode(void)
{
	struct fvm_opts o = { .accessor = true };

	up_raw(&o);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT(vm.reads >= 1);
	still_works();
	fvm_fini(&vm);
	up_raw(&o);
	vm.fail_reads = 1;
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), -PVX_EFAULT);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	fvm_fini(&vm);
}

/* ---- version skew ---- */

static void test_skew_older_guest_minor(void)
{
	struct pvx_negotiate n;

	up_raw(NULL);
	/* A 1.0 guest: 16-byte struct; the host must not write past it. */
	memset(vm.low + 0x2000, 0xa5, 32);
	put_neg(0x2000, 16, PVX_ABI_VERSION(1, 0), ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.size, 16);
	EXPECT_EQ(n.version, PVX_ABI_VERSION(1, 0));
	EXPECT_EQ(n.features, pvx_features_known_in(PVX_ABI_VERSION(1, 0)) & pvxhv_features(vm.hv));
	EXPECT(!(n.features & PVX_FEATURE(PV_IPI)));
	EXPECT_EQ(vm.low[0x2000 + 16], 0xa5);
	/* 1.1 calls are not there for it. */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 1, 0, 40), -PVX_ENOSYS);
	EXPECT_EQ(vm.injects, 0);
	fvm_fini(&vm);
}

static void test_skew_newer_guest_minor(void)
{
	struct pvx_negotiate n;
	uint8_t big[64];

	up_raw(NULL);
	/* A 1.7 guest with a 40-byte struct and unknown feature bits. */
	memset(big, 0x5a, sizeof(big));
	memcpy(vm.low + 0x2000, big, sizeof(big));
	put_neg(0x2000, 40, PVX_ABI_VERSION(1, 7), ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.size, sizeof(n));
	EXPECT_EQ(n.version, PVX_ABI_VERSION_LATEST);
	EXPECT_EQ(n.features, pvxhv_features(vm.hv));
	EXPECT_EQ(vm.low[0x2000 + sizeof(n)], 0x5a);	/* its extra fields untouched */
	fvm_fini(&vm);
}

static void test_skew_older_host(void)
{
	struct fvm_opts o = { .abi_version = PVX_ABI_VERSION(1, 0) };
	struct pvx_negotiate n;
	uint32_t r[4];

	up_raw(&o);
	EXPECT(pvxhv_cpuid(vm.hv, 0x40000001, r));
	EXPECT_EQ(r[0], PVX_ABI_VERSION(1, 0));
	EXPECT(!(pvxhv_features(vm.hv) & PVX_FEATURE(PV_IPI)));
	put_neg(0x2000, sizeof(n), PVX_ABI_VERSION(1, 1), ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.version, PVX_ABI_VERSION(1, 0));
	EXPECT(!(n.features & PVX_FEATURE(PV_IPI)));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 1, 0, 40), -PVX_ENOSYS);
	fvm_fini(&vm);
}

static void test_skew_unknown_feature_bits(void)
{
	struct pvx_negotiate n;

	up_raw(NULL);
	put_neg(0x2000, sizeof(n), PVX_ABI_VERSION_LATEST,
		PVX_FEATURE(CONSOLE) | (1ull << 63) | (1ull << 40));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.features, PVX_FEATURE(CONSOLE));
	/* Features not accepted are refused with EOPNOTSUPP. */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_timer, 5, 40), -PVX_EOPNOTSUPP);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 1), -PVX_EOPNOTSUPP);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x3000, 1), -PVX_EOPNOTSUPP);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x4000), -PVX_EOPNOTSUPP);
	still_works();
	fvm_fini(&vm);
}

static void test_reset(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	pvxhv_reset(vm.hv);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_sched_yield), -PVX_EPERM);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION(1, 0), 0), 0);
	memset(vm.low + 0x8000, 0, 64);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);		/* page was forgotten: no write */
	EXPECT_EQ(vm.low[0x8000], 0);
	fvm_fini(&vm);
}

/* ---- register_shared_page and the shared page ---- */

static struct pvx_vcpu_shared shared_at(uint64_t gpa)
{
	struct pvx_vcpu_shared s;

	memcpy(&s, fvm_host(&vm, gpa, sizeof(s)), sizeof(s));
	return s;
}

/* A 1.1 guest's page: the 1.1 record (64 bytes), its steal fields. */
static void test_shared_page_valid(void)
{
	const uint32_t size_1_1 = shared_size_in(PVX_ABI_VERSION(1, 1));
	struct pvx_vcpu_shared s;
	uint32_t ver;

	up_with(NULL, PVX_ABI_VERSION(1, 1), ~0ull);
	vm.now = 5000;
	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	s = shared_at(0x8000);
	EXPECT_EQ(s.size, size_1_1);
	EXPECT_EQ(size_1_1, offsetof(struct pvx_vcpu_shared, steal));
	EXPECT_EQ(s.vcpu_id, 2);
	EXPECT_EQ(s.flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_VALID);
	EXPECT_EQ(s.time.system_time, 5000);
	EXPECT_EQ(s.time.version & 1, 0);
	EXPECT(s.time.version);
	EXPECT_EQ(s.time.tsc_to_system_mul, 0);
	ver = s.time.version;
	vm.now = 7000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 1234), 0);
	s = shared_at(0x8000);
	EXPECT_EQ(s.time.version, ver + 2);
	EXPECT_EQ(s.time.system_time, 7000);
	EXPECT_EQ(s.steal_ns, 1234);
	EXPECT_EQ(s.steal_version & 1, 0);
	EXPECT_EQ(s.preempted, 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 2), 0);
	EXPECT_EQ(shared_at(0x8000).preempted, 1);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 1500), 0);
	EXPECT_EQ(shared_at(0x8000).preempted, 0);
	/* the host never writes past the struct */
	for (uint32_t i = size_1_1; i < PVX_PAGE_SIZE; i++)
		EXPECT_EQ(vm.low[0x8000 + i], 0);
	/* unregister: no more updates */
	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_register_shared_page, PVX_GPA_NONE, 0, 0, 0, 0), 0);
	vm.now = 9000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), 0);
	EXPECT_EQ(shared_at(0x8000).time.system_time, 7000);
	/* the last page of guest memory is fine */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0ull - 4096), 0);
	EXPECT_EQ(shared_at(0ull - 4096).vcpu_id, 0);
	fvm_fini(&vm);
}

static void test_shared_page_tsc_scale(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000 };	/* 2 GHz */
	struct pvx_vcpu_shared s;
	uint64_t delta = 2000000000ull, ns;

	up(&o);
	vm.tsc = 123456;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	s = shared_at(0x8000);
	EXPECT_EQ(s.time.tsc_timestamp, 123456);
	EXPECT_EQ(s.time.flags, 0);		/* STABLE_TIME: see stable_time_flag */
	/* 2e9 cycles at 2 GHz are one second. */
	ns = s.time.tsc_shift < 0 ? delta >> -s.time.tsc_shift : delta << s.time.tsc_shift;
	ns = (uint64_t)(((unsigned __int128)ns * s.time.tsc_to_system_mul) >> 32);
	EXPECT(ns > 999999000ull && ns < 1000001000ull);
	fvm_fini(&vm);
}

/*
 * A TSC read preempted for 30 ms: the pair comes from a tight read (the
 * clock at the TSC), not from the clock read 30 ms before; then it is
 * reused until a second old, and read again on re-registration.
 */
static void test_shared_page_tsc_pair(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000 };

	up(&o);
	vm.now = 5000000;
	vm.tsc = 777;
	vm.tsc_read_ns = 30000000;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(shared_at(0x8000).time.system_time, 35000000);
	EXPECT_EQ(shared_at(0x8000).time.tsc_timestamp, 777);
	vm.tsc = 888;
	vm.now += 999000000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	EXPECT_EQ(shared_at(0x8000).time.tsc_timestamp, 777);
	vm.now += 2000000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	EXPECT_EQ(shared_at(0x8000).time.tsc_timestamp, 888);
	EXPECT_EQ(shared_at(0x8000).time.system_time, vm.now);
	vm.tsc = 999;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(shared_at(0x8000).time.tsc_timestamp, 999);
	fvm_fini(&vm);
}

static void test_shared_page_hostile(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8008), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8800), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, FVM_LOW_SIZE), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x7ffffffff000ull), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0xfffffffffffff001ull), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0xffffffffffffeffeull), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000, 1), -PVX_EINVAL);
	/* nothing registered, nothing written */
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	for (int i = 0; i < 64; i++)
		EXPECT_EQ(vm.low[0x8000 + i], 0);
	still_works();
	fvm_fini(&vm);
}

/* ---- sched_yield, block, kick ---- */

static void test_sched_yield(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_sched_yield), 0);
	EXPECT_EQ(vm.yields, 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_sched_yield, 1), -PVX_EINVAL);
	EXPECT_EQ(vm.yields, 1);
	fvm_fini(&vm);
}

static void test_block(void)
{
	up(NULL);
	vm.now = 1000;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(vm.blocks, 1);
	EXPECT_EQ(vm.block_deadline, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 1001), 0);
	EXPECT_EQ(vm.blocks, 2);
	EXPECT_EQ(vm.block_deadline, 1001);
	/* deadline now or past: ETIMEDOUT, no block */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 1000), -PVX_ETIMEDOUT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 1), -PVX_ETIMEDOUT);
	EXPECT_EQ(vm.blocks, 2);
	/* a kick before the block makes it return at once, once */
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_kick_vcpu, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(vm.blocks, 2);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, ~0ull), 0);
	EXPECT_EQ(vm.blocks, 3);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0, 5), -PVX_EINVAL);
	fvm_fini(&vm);
}

static void test_kick_vcpu(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_kick_vcpu, 3), 0);
	EXPECT_EQ(vm.kicks[3], 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_kick_vcpu, 0), 0);
	EXPECT_EQ(vm.kicks[0], 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_kick_vcpu, 4), -PVX_ESRCH);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_kick_vcpu, (1ull << 32) | 1), -PVX_ESRCH);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_kick_vcpu, ~0ull), -PVX_ESRCH);
	EXPECT_EQ(vm.kicks[1], 0);
	still_works();
	fvm_fini(&vm);
}

/* ---- flush_tlb ---- */

static void put_mask(uint64_t gpa, uint64_t m0)
{
	memcpy(fvm_host(&vm, gpa, 8), &m0, 8);
}

static void test_flush_tlb_valid(void)
{
	up(NULL);
	put_mask(0x3000, 0xf);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 4), 0);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(vm.flushes[i], 1);
	/* vCPU 2 preempted: skipped, flushed on its next entry */
	pvxhv_vcpu_preempt(vm.hv, 2);
	put_mask(0x3000, 0x6);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 64), 1);
	EXPECT_EQ(vm.flushes[1], 2);
	EXPECT_EQ(vm.flushes[2], 1);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), PVXHV_ENTER_FLUSH_TLB);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), 0);
	/* the largest mask, only known vCPUs set */
	memset(vm.low + 0x3000, 0, 128);
	put_mask(0x3000, 0x1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, PVX_MAX_VCPUS), 0);
	EXPECT_EQ(vm.flushes[0], 2);
	/* an empty mask is fine */
	put_mask(0x3000, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 1), 0);
	fvm_fini(&vm);
}

static void test_flush_tlb_hostile(void)
{
	up(NULL);
	put_mask(0x3000, 0x1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 0), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, PVX_MAX_VCPUS + 1), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, ~0ull), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3004, 4), -PVX_EINVAL);	/* misaligned */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3ff8, 65), -PVX_EINVAL);	/* crosses */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, FVM_LOW_SIZE, 4), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0xfffffffffffffff8ull, 65), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0xfffffffffffffff8ull, 64), 0); /* ends at 2^64 */
	/* a bit beyond nbits (reserved), a vCPU that does not exist */
	put_mask(0x3000, 0x11);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 4), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 8), -PVX_ESRCH);
	put_mask(0x3008, 1);
	put_mask(0x3000, 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 128), -PVX_ESRCH);
	/* refused masks flush nobody */
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(vm.flushes[i], 0);
	still_works();
	fvm_fini(&vm);
}

/* ---- console_write ---- */

static void test_console_write(void)
{
	up(NULL);
	memcpy(vm.low + 0x5000, "hello", 5);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5000, 5), 5);
	EXPECT(vm.console_len == 5 && !memcmp(vm.console, "hello", 5));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5000, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0xdead000000ull, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5000, PVX_CONSOLE_MAX), PVX_CONSOLE_MAX);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5fff, 1), 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0ull - 1, 1), 1);
	EXPECT_EQ(vm.console_calls, 4);
	fvm_fini(&vm);
}

static void test_console_write_hostile(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5000, PVX_CONSOLE_MAX + 1), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5000, 1ull << 63), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5fff, 2), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5001, PVX_CONSOLE_MAX), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, FVM_LOW_SIZE, 16), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0ull - 1, 2), -PVX_EFAULT);	/* wraps */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0ull - 0x20000, 16), -PVX_EFAULT);
	EXPECT_EQ(vm.console_calls, 0);
	still_works();
	fvm_fini(&vm);
}

/* ---- set_timer ---- */

static void test_set_timer(void)
{
	up(NULL);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_set_timer, 5000, 0xec, 0, 0, 0), 0);
	EXPECT_EQ(vm.timer[1], 5000);
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 1), 1);
	EXPECT_EQ(vm.injects, 1);
	EXPECT_EQ(vm.inject_vcpu[0], 1);
	EXPECT_EQ(vm.inject_vec[0], 0xec);
	/* one-shot: a second expiry injects nothing */
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 1), 0);
	EXPECT_EQ(vm.injects, 1);
	/* arm then cancel */
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_set_timer, 6000, PVX_VECTOR_MIN, 0, 0, 0), 0);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_set_timer, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(vm.timer[1], 0);
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 1), 0);
	EXPECT_EQ(vm.injects, 1);
	fvm_fini(&vm);
}

static void test_set_timer_hostile(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_timer, 5000, PVX_VECTOR_MIN - 1), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_timer, 5000, 256), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_timer, 5000, (1ull << 32) | 0x40), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_timer, 0, 0x40), -PVX_EINVAL);
	EXPECT_EQ(vm.timer_calls, 0);
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 0), 0);
	fvm_fini(&vm);
}

/* ---- multicall ---- */

static void put_entry(uint64_t gpa, uint32_t i, uint32_t nr, uint32_t flags,
		      uint64_t a0, uint64_t a1)
{
	struct pvx_multicall_entry e = { .nr = nr, .flags = flags, .args = { a0, a1 }, .result = 0x77 };

	memcpy(fvm_host(&vm, gpa + i * sizeof(e), sizeof(e)), &e, sizeof(e));
}

static int64_t result_of(uint64_t gpa, uint32_t i)
{
	struct pvx_multicall_entry e;

	memcpy(&e, fvm_host(&vm, gpa + i * sizeof(e), sizeof(e)), sizeof(e));
	return e.result;
}

static void test_multicall_valid(void)
{
	const uint64_t m = 0x6000;

	up(NULL);
	memcpy(vm.low + 0x5000, "abc", 3);
	put_entry(m, 0, PVX_HC_console_write, 0, 0x5000, 3);
	put_entry(m, 1, PVX_HC_kick_vcpu, 0, 2, 0);
	put_entry(m, 2, PVX_HC_sched_yield, 0, 0, 0);
	put_entry(m, 3, PVX_HC_kick_vcpu, 0, 9, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, m, 4), 0);
	EXPECT_EQ(result_of(m, 0), 3);
	EXPECT_EQ(result_of(m, 1), 0);
	EXPECT_EQ(result_of(m, 2), 0);
	EXPECT_EQ(result_of(m, 3), -PVX_ESRCH);
	EXPECT_EQ(vm.kicks[2], 1);
	EXPECT_EQ(vm.yields, 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, m, 0), 0);
	/* the largest batch */
	for (uint32_t i = 0; i < PVX_MULTICALL_MAX; i++)
		put_entry(0x7000, i, PVX_HC_sched_yield, 0, 0, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x7000, PVX_MULTICALL_MAX), 0);
	EXPECT_EQ(vm.yields, 1 + PVX_MULTICALL_MAX);
	EXPECT_EQ(result_of(0x7000, PVX_MULTICALL_MAX - 1), 0);
	fvm_fini(&vm);
}

static void test_multicall_hostile_entries(void)
{
	const uint64_t m = 0x6000;

	up(NULL);
	put_entry(m, 0, PVX_HC_multicall, 0, m, 1);		/* nested */
	put_entry(m, 1, PVX_HC_block, 0, 0, 0);			/* not batchable */
	put_entry(m, 2, PVX_HC_negotiate, 0, FVM_NEG_GPA, 0);
	put_entry(m, 3, PVX_HC_shutdown, 0, 0, 0);
	put_entry(m, 4, 0xbad, 0, 0, 0);			/* unknown */
	put_entry(m, 5, PVX_HC_sched_yield, 1, 0, 0);		/* reserved flags */
	put_entry(m, 6, PVX_HC_sched_yield, 0, 7, 0);		/* reserved arg */
	put_entry(m, 7, PVX_HC_console_write, 0, FVM_LOW_SIZE, 4);	/* bad pointer */
	put_entry(m, 8, PVX_HC_sched_yield, 0, 0, 0);		/* still runs */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, m, 9), 0);
	EXPECT_EQ(result_of(m, 0), -PVX_ELOOP);
	EXPECT_EQ(result_of(m, 1), -PVX_ELOOP);
	EXPECT_EQ(result_of(m, 2), -PVX_ELOOP);
	EXPECT_EQ(result_of(m, 3), -PVX_ELOOP);
	EXPECT_EQ(result_of(m, 4), -PVX_ENOSYS);
	EXPECT_EQ(result_of(m, 5), -PVX_EINVAL);
	EXPECT_EQ(result_of(m, 6), -PVX_EINVAL);
	EXPECT_EQ(result_of(m, 7), -PVX_EFAULT);
	EXPECT_EQ(result_of(m, 8), 0);
	EXPECT_EQ(vm.yields, 1);
	EXPECT_EQ(vm.blocks + vm.shutdowns, 0);
	still_works();
	fvm_fini(&vm);
}

static void test_multicall_hostile_array(void)
{
	up(NULL);
	put_entry(0x6000, 0, PVX_HC_sched_yield, 0, 0, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6000, PVX_MULTICALL_MAX + 1), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6000, ~0ull), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6004, 1), -PVX_EINVAL);
	put_entry(0x6fc8, 0, PVX_HC_sched_yield, 0, 0, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6fc8, 1), 0);		/* ends at 0x7000 */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6fd0, 1), -PVX_EINVAL);	/* crosses */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6800, 40), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, FVM_LOW_SIZE, 1), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0xffffffffffffffc8ull, 2), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6000, 1, 1), -PVX_EINVAL);
	EXPECT_EQ(vm.yields, 1);
	still_works();
	fvm_fini(&vm);
}

/* ---- shutdown ---- */

static void test_shutdown(void)
{
	static const uint32_t reasons[] = {
#define R(since, name, value, doc) name,
		PVX_SHUTDOWN_REASONS(R)
#undef R
	};

	up(NULL);
	for (size_t i = 0; i < ARRAY_SIZE(reasons); i++) {
		EXPECT_EQ(FVM_CALL(&vm, PVX_HC_shutdown, reasons[i], 255 - i), 0);
		EXPECT_EQ(vm.shutdown_reason, reasons[i]);
		EXPECT_EQ(vm.shutdown_code, 255 - i);
	}
	EXPECT_EQ(vm.shutdowns, ARRAY_SIZE(reasons));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_shutdown, ARRAY_SIZE(reasons), 0), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_shutdown, 1ull << 32, 0), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_shutdown, PVX_SHUTDOWN_POWEROFF, 256), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_shutdown, PVX_SHUTDOWN_POWEROFF, 1ull << 32), -PVX_EINVAL);
	EXPECT_EQ(vm.shutdowns, ARRAY_SIZE(reasons));
	fvm_fini(&vm);
}

/* ---- send_ipi (1.1) ---- */

static void test_send_ipi(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x5, 1, 0xf0), 2);
	EXPECT_EQ(vm.injects, 2);
	EXPECT_EQ(vm.inject_vcpu[0], 1);
	EXPECT_EQ(vm.inject_vcpu[1], 3);
	EXPECT_EQ(vm.inject_vec[1], 0xf0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0, 0, 0xf0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x8, 0, 0xf0), 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x10, 0, 0xf0), -PVX_ESRCH);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x1, 4, 0xf0), -PVX_ESRCH);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x1, ~0ull, 0xf0), -PVX_ESRCH);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 1ull << 63, 0, 0xf0), -PVX_ESRCH);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x1, 0, 31), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x1, 0, 0x1f0), -PVX_EINVAL);
	EXPECT_EQ(vm.injects, 3);
	fvm_fini(&vm);
}

/* ==== One test per documented rule (Documentation/abi, pvxhv.h) ==== */

/* ---- corner 1: a structure in two adjacent memory regions is RAM ---- */

static void test_rule_adjacent_regions(void)
{
	static uint8_t a[0x2800], b[0x2800];
	/* [0x1000, 0x3800) and [0x3800, 0x6000), two host buffers, given out of order */
	struct pvxhv_mem_region r[2] = { { 0x3800, sizeof(b), b }, { 0x1000, sizeof(a), a } };
	struct pvx_negotiate n = { .size = sizeof(n), .version = PVX_ABI_VERSION_LATEST, .features = ~0ull };
	struct pvx_multicall_entry e[2] = {
		{ .nr = PVX_HC_sched_yield }, { .nr = PVX_HC_kick_vcpu, .args = { 9 } },
	};
	struct pvx_vcpu_shared sh;

	up_raw(NULL);
	vm.cfg.regions = r;
	vm.cfg.nr_regions = 2;
	EXPECT_EQ(fvm_recreate(&vm), 0);
	vm.cfg.regions = vm.regions;
	if (!vm.hv)
		return;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memcpy(a, &n, sizeof(n));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x1000), 0);
	/* console bytes 0x37fc..0x3803: four in each region */
	memcpy(a + 0x27fc, "abcd", 4);
	memcpy(b, "efgh", 4);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x37fc, 8), 8);
	EXPECT(vm.console_len == 8 && !memcmp(vm.console, "abcdefgh", 8));
	/* a multicall array split at the boundary: entry 0 in a, entry 1 in b */
	memcpy(a + sizeof(a) - sizeof(e[0]), &e[0], sizeof(e[0]));
	memcpy(b, &e[1], sizeof(e[1]));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x3800 - sizeof(e[0]), 2), 0);
	memcpy(&e[0], a + sizeof(a) - sizeof(e[0]), sizeof(e[0]));
	memcpy(&e[1], b, sizeof(e[1]));
	EXPECT_EQ(e[0].result, 0);			/* results written into both */
	EXPECT_EQ(e[1].result, -PVX_ESRCH);
	EXPECT_EQ(vm.yields, 1);
	/* a shared page across the boundary: its record lands in a, the page is RAM */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x3000), 0);
	memcpy(&sh, a + 0x2000, sizeof(sh));
	EXPECT_EQ(sh.size, sizeof(sh));
	/* what is past the last region is not RAM */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x6000, 4), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0xff8, 8), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x6000), -PVX_EFAULT);
}

/* ---- corner 8: regions may end at 2^64, must not overlap ---- */

static void test_rule_regions_top_and_overlap(void)
{
	static uint8_t buf[0x4000];
	struct pvxhv_mem_region r[2];
	struct pvxhv *hv;

	up_raw(NULL);
	vm.cfg.regions = r;
	vm.cfg.nr_regions = 1;
	r[0] = (struct pvxhv_mem_region){ 0ull - sizeof(buf), sizeof(buf), buf };	/* ends at 2^64 */
	hv = pvxhv_create(&vm.cfg);
	EXPECT(hv);
	pvxhv_destroy(hv);
	r[0].gpa++;							/* last byte wraps */
	EXPECT(!pvxhv_create(&vm.cfg));
	vm.cfg.nr_regions = 2;
	r[0] = (struct pvxhv_mem_region){ 0x10000, 0x2000, buf };
	r[1] = (struct pvxhv_mem_region){ 0x11000, 0x2000, buf };	/* overlaps */
	errno = 0;
	EXPECT(!pvxhv_create(&vm.cfg));
	EXPECT_EQ(errno, EINVAL);
	r[1].gpa = 0x10000;						/* same start */
	EXPECT(!pvxhv_create(&vm.cfg));
	r[1] = (struct pvxhv_mem_region){ 0xf000, 0x1001, buf };	/* before, one byte into r[0] */
	EXPECT(!pvxhv_create(&vm.cfg));
	r[1].size = 0x1000;						/* adjacent: fine */
	hv = pvxhv_create(&vm.cfg);
	EXPECT(hv);
	pvxhv_destroy(hv);
	vm.cfg.regions = vm.regions;
	vm.cfg.nr_regions = 2;
}

/* ---- corner 2: several faults at once, one answer each ---- */

static void test_order_second_negotiate_bad_struct(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2004), -PVX_EALREADY);		/* misaligned */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, FVM_LOW_SIZE), -PVX_EALREADY);	/* not RAM */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0ull - 8), -PVX_EALREADY);		/* wraps */
	put_neg(0x2000, 15, PVX_ABI_VERSION(2, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EALREADY);		/* bad size, major */
	EXPECT_EQ(vm.reads + vm.ram_checks, 0);						/* not looked at */
}

static void test_order_negotiate_range_before_major(void)
{
	uint8_t before[32];

	up_raw(NULL);
	put_neg(0x2000, 15, PVX_ABI_VERSION(2, 0), 0);			/* size too small */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EINVAL);
	put_neg(0x2ff0, 24, PVX_ABI_VERSION(2, 0), 0);			/* declared size crosses a page */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2ff0), -PVX_EINVAL);
	put_neg(0x2000, 0xffffffffu, PVX_ABI_VERSION(0, 1), 0);	/* absurd size */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, FVM_LOW_SIZE), -PVX_EFAULT);	/* not RAM */
	/* a good range with the wrong major: only now EPROTONOSUPPORT */
	put_neg(0x2000, 24, PVX_ABI_VERSION(2, 0), 0);
	memcpy(before, vm.low + 0x2000, sizeof(before));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EPROTONOSUPPORT);
	EXPECT(!memcmp(before, vm.low + 0x2000, sizeof(before)));
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
}

static void test_order_flush_nbits_before_gpa(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0ull - 4, 0), -PVX_EINVAL);		/* 0, wraps */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, FVM_LOW_SIZE, 0), -PVX_EINVAL);	/* 0, not RAM */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0ull - 4, PVX_MAX_VCPUS + 1), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3004, PVX_MAX_VCPUS + 1), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, FVM_LOW_SIZE, ~0ull), -PVX_E2BIG);
	/* and in range, the bitmap's own order: wrap, alignment, page, RAM */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0ull - 4, 64), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, FVM_LOW_SIZE + 4, 64), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, FVM_LOW_SIZE, 64), -PVX_EFAULT);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(vm.flushes[i], 0);
}

static void test_order_flush_reserved_bits_before_missing_vcpus(void)
{
	up(NULL);	/* 4 vCPUs */
	put_mask(0x3000, (1ull << 5) | (1ull << 9));	/* vCPU 5 missing, bit 9 >= nbits 8 */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 8), -PVX_EINVAL);
	/* across words: word 0 names a missing vCPU, word 1 a bit >= nbits */
	put_mask(0x3000, 1ull << 10);
	put_mask(0x3008, 1ull << 3);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 67), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 68), -PVX_ESRCH);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(vm.flushes[i], 0);
}

static void test_order_console_length_before_gpa(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0ull - 1, PVX_CONSOLE_MAX + 1), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0ull - 1, ~0ull), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0ull - 1, 0), 0);	/* 0: address not looked at */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0ull - 1, 2), -PVX_EFAULT);
	EXPECT_EQ(vm.console_calls, 0);
}

static void test_order_multicall_count_before_gpa(void)
{
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0ull - 8, PVX_MULTICALL_MAX + 1), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6004, PVX_MULTICALL_MAX + 1), -PVX_E2BIG);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0ull - 8, 0), 0);	/* count 0: nothing read */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6004, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, FVM_LOW_SIZE, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0ull - 8, 1), -PVX_EFAULT);
}

static void test_order_entry_flags_first(void)
{
	const uint64_t m = 0x6000;

	up(NULL);
	put_entry(m, 0, 0xbad, 1, 0, 0);			/* unknown number */
	put_entry(m, 1, PVX_HC_multicall, 2, m, 1);		/* nested */
	put_entry(m, 2, PVX_HC_block, 4, 0, 0);			/* not batchable */
	put_entry(m, 3, PVX_HC_console_write, 8, FVM_LOW_SIZE, 1ull << 40);	/* E2BIG and EFAULT */
	put_entry(m, 4, PVX_HC_sched_yield, 1u << 31, 7, 0);	/* reserved argument */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, m, 5), 0);
	for (uint32_t i = 0; i < 5; i++)
		EXPECT_EQ(result_of(m, i), -PVX_EINVAL);
	EXPECT_EQ(vm.yields + vm.blocks + vm.console_calls, 0);
}

static void test_order_send_ipi(void)
{
	up(NULL);	/* 4 vCPUs */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, ~0ull, 100, 5), -PVX_EINVAL);	/* bad vector first */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x1, ~0ull, 256), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0, 100, 0xf0), 0);		/* empty: nobody */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0, ~0ull, 0xf0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0, 0, 5), -PVX_EINVAL);	/* empty, bad vector */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0x1, 4, 0xf0), -PVX_ESRCH);
	EXPECT_EQ(vm.injects, 0);
}

/* The common checks (PVX_COMMON_CHECKS): each pair that can meet, the earlier wins. */
static void test_order_common_checks(void)
{
	struct fvm_opts o = { .abi_version = PVX_ABI_VERSION(1, 0) };
	const uint64_t m = 0x6000;

	/* newer than the host vs not negotiated; with a bad argument register too */
	up_raw(&o);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0, 0, 0, 1), -PVX_ENOSYS);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0, 0, 1), -PVX_EPERM);	/* EPERM before EINVAL */
	fvm_fini(&vm);
	/* newer than negotiated vs feature vs argument registers */
	up_raw(NULL);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION(1, 0), PVX_FEATURE(MULTICALL)), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 0, 0, 0, 1), -PVX_ENOSYS);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0, 0, 1), -PVX_EOPNOTSUPP);
	/* argument registers before the call's own checks */
	fvm_fini(&vm);
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0, PVX_CONSOLE_MAX + 1, 1), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_kick_vcpu, 99, 1), -PVX_EINVAL);
	/* in an entry: flags, then the number, then batchable, then the rest */
	put_entry(m, 0, 0xbad, 1, 0, 0);
	put_entry(m, 1, 0xbad, 0, 0, 0);
	put_entry(m, 2, PVX_HC_block, 0, 0, 7);			/* ELOOP before EINVAL */
	put_entry(m, 3, PVX_HC_kick_vcpu, 0, 99, 7);		/* EINVAL before ESRCH */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, m, 4), 0);
	EXPECT_EQ(result_of(m, 0), -PVX_EINVAL);
	EXPECT_EQ(result_of(m, 1), -PVX_ENOSYS);
	EXPECT_EQ(result_of(m, 2), -PVX_ELOOP);
	EXPECT_EQ(result_of(m, 3), -PVX_EINVAL);
	EXPECT_EQ(vm.console_calls + vm.blocks, 0);
}

/* ---- corner 3: negotiate against an older host: its struct, its size ---- */

static void test_rule_negotiate_answer_is_accepted_version(void)
{
	struct fvm_opts o = { .abi_version = PVX_ABI_VERSION(1, 0) };
	struct pvx_negotiate n;

	/* a 1.1 guest (24 bytes) on a host serving 1.0: 16 bytes back, size 16 */
	up_raw(&o);
	memset(vm.low + 0x2000, 0xa5, 32);
	put_neg(0x2000, 24, PVX_ABI_VERSION(1, 1), ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.size, 16);
	EXPECT_EQ(n.version, PVX_ABI_VERSION(1, 0));
	for (int i = 16; i < 32; i++)
		EXPECT_EQ(vm.low[0x2000 + i], 0xa5);
	fvm_fini(&vm);
	/* a guest that speaks 1.0 with a bigger struct gets a 1.0 answer too */
	up_raw(NULL);
	memset(vm.low + 0x2000, 0xa5, 32);
	put_neg(0x2000, 24, PVX_ABI_VERSION(1, 0), ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.size, 16);
	EXPECT_EQ(vm.low[0x2000 + 16], 0xa5);
}

/* ---- corner 4: a number newer than the host's version, before negotiate ---- */

static void test_rule_newer_number_is_enosys_before_negotiate(void)
{
	struct fvm_opts o = { .abi_version = PVX_ABI_VERSION(1, 0) };

	up_raw(&o);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 1, 0, 0xf0), -PVX_ENOSYS);	/* 1.1 call, 1.0 host */
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_sched_yield), -PVX_EPERM);		/* a 1.0 call */
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION(1, 1), ~0ull), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 1, 0, 0xf0), -PVX_ENOSYS);
	fvm_fini(&vm);
	up_raw(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_send_ipi, 1, 0, 0xf0), -PVX_EPERM);	/* served: EPERM */
	EXPECT_EQ(vm.injects, 0);
}

/* ---- corner 5: register_shared_page ---- */

static void test_rule_shared_page_all_ram(void)
{
	struct pvxhv_mem_region r = { 0, 0x8800, NULL };

	up(NULL);
	r.hva = vm.low;
	vm.cfg.regions = &r;
	vm.cfg.nr_regions = 1;
	EXPECT_EQ(fvm_recreate(&vm), 0);
	vm.cfg.regions = vm.regions;
	vm.cfg.nr_regions = 2;
	if (!vm.hv)
		return;
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), -PVX_EFAULT);	/* half RAM */
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	for (int i = 0; i < 64; i++)
		EXPECT_EQ(vm.low[0x8000 + i], 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x7000), 0);
}

static void test_rule_shared_page_one_owner(void)
{
	up(NULL);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), -PVX_EINVAL);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_register_shared_page, 0x9000, 0, 0, 0, 0), 0);
	EXPECT_EQ(shared_at(0x8000).vcpu_id, 0);	/* vCPU 1's refusal wrote nothing */
	/* the same vCPU again: fine, refilled */
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	/* freed by its owner, the page can be taken */
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, PVX_GPA_NONE, 0, 0, 0, 0), 0);
	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	EXPECT_EQ(shared_at(0x8000).vcpu_id, 2);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x9000, 0, 0, 0, 0), -PVX_EINVAL);
	/* a reset frees them all */
	pvxhv_reset(vm.hv);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x9000, 0, 0, 0, 0), 0);
}

static void test_rule_shared_page_old_record_retired(void)
{
	struct pvx_vcpu_shared s;
	uint32_t ver;

	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 5), 0);
	ver = shared_at(0x8000).time.version;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x9000), 0);
	s = shared_at(0x8000);
	EXPECT_EQ(s.flags, 0);				/* no longer maintained */
	EXPECT_EQ(s.time.version & 1, 0);		/* a complete seqlock write */
	EXPECT(s.time.version != ver);
	EXPECT_EQ(shared_at(0x9000).flags & PVX_VCPU_TIME_VALID, PVX_VCPU_TIME_VALID);
	/* never written again */
	memcpy(&s, vm.low + 0x8000, sizeof(s));
	vm.now += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 7), 0);
	pvxhv_vcpu_preempt(vm.hv, 0);
	EXPECT(!memcmp(&s, vm.low + 0x8000, sizeof(s)));
	/* unregistering retires it too */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, PVX_GPA_NONE), 0);
	EXPECT_EQ(shared_at(0x9000).flags, 0);
	/* a refused registration changes nothing */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0xa000), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, FVM_LOW_SIZE), -PVX_EFAULT);
	EXPECT_EQ(shared_at(0xa000).flags & PVX_VCPU_TIME_VALID, PVX_VCPU_TIME_VALID);
	/* a reset forgets without writing */
	memcpy(&s, vm.low + 0xa000, sizeof(s));
	pvxhv_reset(vm.hv);
	EXPECT(!memcmp(&s, vm.low + 0xa000, sizeof(s)));
}

/* ---- corner 6: accessor mode answers as region mode does ---- */

struct parity_case { const char *what; uint64_t nr, a0, a1; };

/* The same negotiation in both modes: accessor mode has no STEAL_RECORD. */
static void parity_setup(bool accessor)
{
	struct fvm_opts o = { .accessor = accessor };
	struct pvx_multicall_entry e = { .nr = PVX_HC_sched_yield };
	const uint64_t features = ~PVX_FEATURE(STEAL_RECORD);

	up_with(&o, PVX_ABI_VERSION_LATEST, features);
	memcpy(vm.low + 0x30000, &e, sizeof(e));	/* a multicall array in "ROM" */
	memcpy(vm.low + 0x5000, "hi", 2);
	memcpy(vm.low + 0x31000, &e, sizeof(e));
	if (!accessor) {	/* region mode: the ROM page is simply not a region */
		static struct pvxhv_mem_region r[3];

		r[0] = (struct pvxhv_mem_region){ 0, 0x30000, vm.low };
		r[1] = (struct pvxhv_mem_region){ 0x31000, FVM_LOW_SIZE - 0x31000, vm.low + 0x31000 };
		r[2] = vm.regions[1];
		vm.cfg.regions = r;
		vm.cfg.nr_regions = 3;
		if (!fvm_recreate(&vm))
			fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, features);
		vm.cfg.regions = vm.regions;
		vm.cfg.nr_regions = 2;
	} else {
		vm.rom_lo = 0x30000;
		vm.rom_hi = 0x31000;
	}
}

static void test_rule_accessor_parity(void)
{
	static const struct parity_case cases[] = {
		{ "shared page not RAM", PVX_HC_register_shared_page, FVM_LOW_SIZE, 0 },
		{ "shared page in ROM", PVX_HC_register_shared_page, 0x30000, 0 },
		{ "shared page ok", PVX_HC_register_shared_page, 0x8000, 0 },
		{ "multicall array in ROM", PVX_HC_multicall, 0x30000, 1 },
		{ "multicall ok", PVX_HC_multicall, 0x31000, 1 },
		{ "console not RAM", PVX_HC_console_write, FVM_LOW_SIZE - 1, 2 },
		{ "console in ROM", PVX_HC_console_write, 0x30000, 2 },
		{ "console ok", PVX_HC_console_write, 0x5000, 2 },
		{ "flush mask in ROM", PVX_HC_flush_tlb, 0x30000, 4 },
		{ "flush top of memory", PVX_HC_flush_tlb, 0ull - 8, 4 },
	};
	int64_t res[2][ARRAY_SIZE(cases)];
	unsigned int yields[2], console[2];
	uint8_t page[2][sizeof(struct pvx_vcpu_shared)];

	for (int mode = 0; mode < 2; mode++) {
		parity_setup(mode);
		for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
			res[mode][i] = FVM_CALL(&vm, cases[i].nr, cases[i].a0, cases[i].a1);
		yields[mode] = vm.yields;
		console[mode] = vm.console_calls;
		EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
		memcpy(page[mode], vm.low + 0x8000, sizeof(page[mode]));
		fvm_fini(&vm);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (res[0][i] != res[1][i])
			FAILF("%s: regions %lld, accessors %lld", cases[i].what,
			      (long long)res[0][i], (long long)res[1][i]);
	EXPECT_EQ(res[0][0], -PVX_EFAULT);
	EXPECT_EQ(res[0][1], -PVX_EFAULT);
	EXPECT_EQ(res[0][3], -PVX_EFAULT);
	EXPECT_EQ(yields[0], 1);		/* the ROM multicall ran nothing */
	EXPECT_EQ(yields[1], 1);
	EXPECT_EQ(console[0], console[1]);
	EXPECT(!memcmp(page[0], page[1], sizeof(page[0])));
}

static void test_rule_write_guest_all_or_nothing(void)
{
	struct fvm_opts o = { .accessor = true };
	struct pvx_negotiate n;

	/* A write-back that fails (the map changed under the call): EFAULT, nothing negotiated. */
	up_raw(&o);
	put_neg(0x2000, 24, PVX_ABI_VERSION_LATEST, ~0ull);
	vm.fail_writes = 1;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), -PVX_EFAULT);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	n = neg_at(0x2000);
	EXPECT_EQ(n.features, ~0ull);			/* the guest's struct untouched */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);	/* and it can try again */
}

/* ---- corner 7: block's deadline and pending kicks ---- */

static void test_rule_block_deadline_now(void)
{
	up(NULL);
	vm.now = 5000;
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_kick_vcpu, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 5000), -PVX_ETIMEDOUT);	/* equal to now: passed */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 4999), -PVX_ETIMEDOUT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 5001), 0);	/* the kick is still pending */
	EXPECT_EQ(vm.blocks, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 5001), 0);	/* consumed: now it blocks */
	EXPECT_EQ(vm.blocks, 1);
}

/* The VMM's block ends at its deadline; a kick came meanwhile. */
static bool observe_kick;
static void kick_during_block(struct fvm *v, uint32_t vcpu, uint64_t deadline, uint64_t token)
{
	(void)deadline;
	EXPECT_EQ(fvm_call(v, 1, PVX_HC_kick_vcpu, vcpu, 0, 0, 0, 0), 0);
	if (observe_kick)
		EXPECT(pvxhv_kicked(v->hv, vcpu, token));	/* it ends the block, consumed */
	/* else: it "times out" without looking: the kick stays pending */
}

static void test_rule_block_timeout_keeps_kick(void)
{
	up(NULL);
	vm.on_block = kick_during_block;
	observe_kick = false;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, vm.now + 100), 0);
	vm.on_block = NULL;
	EXPECT_EQ(vm.blocks, 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);		/* returns at once */
	EXPECT_EQ(vm.blocks, 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(vm.blocks, 2);
	/* a kick the VMM saw through pvxhv_kicked() is consumed by that block */
	vm.on_block = kick_during_block;
	observe_kick = true;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	vm.on_block = NULL;
	EXPECT_EQ(vm.blocks, 3);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(vm.blocks, 4);				/* no early return */
	EXPECT(!pvxhv_kicked(vm.hv, 0, vm.block_token));
}

/* ---- corner 9: the time scale's product is 96 bits ---- */

static void test_rule_scale_product_96_bits(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000 };	/* 2 GHz */
	const uint64_t delta = 3600ull * 2000000000ull;	/* one hour of cycles */
	struct pvx_vcpu_shared s;
	uint64_t d, ns96, ns64;

	up(&o);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	s = shared_at(0x8000);
	d = s.time.tsc_shift < 0 ? delta >> -s.time.tsc_shift : delta << s.time.tsc_shift;
	ns96 = (uint64_t)(((unsigned __int128)d * s.time.tsc_to_system_mul) >> 32);
	ns64 = (d * s.time.tsc_to_system_mul) >> 32;	/* the width the rule forbids */
	EXPECT(ns96 > 3600ull * 1000000000ull - 1000000 && ns96 < 3600ull * 1000000000ull + 1000000);
	EXPECT(ns64 != ns96);				/* so the width matters */
}

/* ---- corner 10: a flush done through ops->flush_tlb is not reported again ---- */

static void test_rule_flush_not_reported_twice(void)
{
	up(NULL);
	put_mask(0x3000, 0x3);
	pvxhv_vcpu_preempt(vm.hv, 1);
	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_flush_tlb, 0x3000, 4, 0, 0, 0), 1);
	EXPECT_EQ(vm.flushes[0], 1);			/* running: flushed now */
	EXPECT_EQ(vm.flushes[1], 0);			/* preempted: deferred */
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);	/* not again */
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 0), PVXHV_ENTER_FLUSH_TLB);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 0), 0);
	EXPECT_EQ(vm.flushes[1], 0);
}

/* ---- the deferred-flush order (pvxhv.c publish_then_read) ---- */

/*
 * vCPU 0 is preempted and being scheduled in; between the two steps of its
 * pvxhv_vcpu_enter(), vCPU 1 flushes it.  Whatever the interleaving, vCPU
 * 0 must not run unflushed: either enter reports the flush or the flusher
 * flushed it through ops->flush_tlb.  Swap the steps and it runs stale.
 */
static void flush_vcpu0(int point, uint32_t vcpu)
{
	EXPECT_EQ(point, PVXHV_TP_ENTER_STEP);
	EXPECT_EQ(vcpu, 0);
	put_mask(0x3000, 0x1);
	(void)fvm_call(&vm, 1, PVX_HC_flush_tlb, 0x3000, 1, 0, 0, 0);
}

static void test_enter_flush_order(void)
{
	int flags;

	up(NULL);
	pvxhv_vcpu_preempt(vm.hv, 0);
	test_point_at(PVXHV_TP_ENTER_STEP, flush_vcpu0);
	flags = pvxhv_vcpu_enter(vm.hv, 0, 0);
	EXPECT(!test_point_fn);				/* the point was reached */
	if ((flags & PVXHV_ENTER_FLUSH_TLB) == 0 && vm.flushes[0] == 0)
		FAILF("vCPU 0 entered unflushed: the flush was deferred and not taken");
}

/* The mirror: vCPU 0 is scheduled in between the two steps of the flush. */
static int enter_flags;
static void enter_vcpu0(int point, uint32_t vcpu)
{
	EXPECT_EQ(point, PVXHV_TP_FLUSH_STEP);
	EXPECT_EQ(vcpu, 0);
	enter_flags = pvxhv_vcpu_enter(vm.hv, 0, 0);
}

static void flush_enter_order(bool batched)
{
	up_raw(NULL);
	if (batched) {
		vm.ops.flush_tlb_many = fvm_flush_many;
		EXPECT_EQ(fvm_recreate(&vm), 0);
	}
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	pvxhv_vcpu_preempt(vm.hv, 0);
	put_mask(0x3000, 0x1);
	enter_flags = -1;
	test_point_at(PVXHV_TP_FLUSH_STEP, enter_vcpu0);
	(void)fvm_call(&vm, 1, PVX_HC_flush_tlb, 0x3000, 1, 0, 0, 0);
	EXPECT(!test_point_fn);
	EXPECT(enter_flags >= 0);
	if ((enter_flags & PVXHV_ENTER_FLUSH_TLB) == 0 && vm.flushes[0] == 0)
		FAILF("vCPU 0 entered unflushed: the flusher saw it preempted, it missed the flag");
	EXPECT_EQ(vm.flush_many_calls, batched && vm.flushes[0]);
}

static void test_flush_enter_order(void)
{
	flush_enter_order(false);
}

/* The same with ops->flush_tlb_many: the flush it decides on is batched, never lost. */
static void test_flush_enter_order_batched(void)
{
	flush_enter_order(true);
}

/* ==== API 3 (pvxhv.h): what a VMM used to get wrong or dig out itself ==== */

/* block gets RFLAGS.IF from pvxhv_regs.rflags, inverted. */
static void test_api_block_irqs_masked(void)
{
	up(NULL);
	vm.rflags = 0x2;				/* IF clear */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(vm.blocks, 1);
	EXPECT(vm.block_masked);
	vm.rflags = 0x202;				/* IF set */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(vm.blocks, 2);
	EXPECT(!vm.block_masked);
}

/*
 * A failing guest_tsc is no reading: without a good pair the record has
 * no TSC scale; with one, the pair stays (pvxhv.h, guest_tsc).
 */
static void test_api_guest_tsc_fails(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000 };
	struct pvx_vcpu_shared s;

	/* Without STABLE_TIME, so that PVX_TIME_TSC_STABLE says a pair is there. */
	up_with(&o, PVX_ABI_VERSION_LATEST, ~PVX_FEATURE(STABLE_TIME));
	vm.tsc = 555;
	vm.fail_tsc = -1;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	s = shared_at(0x8000);
	EXPECT_EQ(s.flags & PVX_VCPU_TIME_VALID, PVX_VCPU_TIME_VALID);
	EXPECT_EQ(s.time.tsc_to_system_mul, 0);
	EXPECT_EQ(s.time.flags & PVX_TIME_TSC_STABLE, 0);
	EXPECT_EQ(s.time.tsc_timestamp, 0);
	EXPECT_EQ(s.time.system_time, vm.now);
	/* The TSC reads again: the next refresh has the pair. */
	vm.fail_tsc = 0;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	s = shared_at(0x8000);
	EXPECT_EQ(s.time.tsc_timestamp, 555);
	EXPECT(s.time.tsc_to_system_mul);
	EXPECT_EQ(s.time.flags, PVX_TIME_TSC_STABLE);
	/* Failing again, on a forced re-read and once the pair is old: it stays. */
	vm.fail_tsc = -1;
	vm.tsc = 777;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(shared_at(0x8000).time.tsc_timestamp, 555);
	vm.now += 5000000000ull;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	s = shared_at(0x8000);
	EXPECT_EQ(s.time.tsc_timestamp, 555);
	EXPECT(s.time.tsc_to_system_mul);
	EXPECT_EQ(s.time.version & 1, 0);
}

/* A refresh that changes nothing writes nothing; one that changes steal time, only that. */
static void test_api_enter_writes_only_changes(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000, .accessor = true };
	struct pvx_vcpu_shared s0, s1;
	unsigned int writes;

	up(&o);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 10), 0);
	s0 = shared_at(0x8000);
	writes = vm.writes;
	vm.now += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 10), 0);
	EXPECT_EQ(vm.writes, writes);			/* the pair is reused, steal the same */
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 20), 0);
	EXPECT(vm.writes > writes);
	s1 = shared_at(0x8000);
	EXPECT_EQ(s1.time.version, s0.time.version);	/* the time record untouched */
	EXPECT_EQ(s1.steal_version, s0.steal_version + 2);
	EXPECT_EQ(s1.steal_ns, 20);
	/* preempted and back: both written, under the steal seqlock */
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 0), 0);
	EXPECT_EQ(shared_at(0x8000).preempted, 1);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 20), 0);
	s1 = shared_at(0x8000);
	EXPECT_EQ(s1.preempted, 0);
	EXPECT_EQ(s1.steal_version, s0.steal_version + 6);
	/* a failed write (the map changed) is written again in full */
	vm.fail_writes = 1;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 30), 0);
	memset(vm.low + 0x8000, 0, sizeof(s1));
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 30), 0);
	s1 = shared_at(0x8000);
	EXPECT_EQ(s1.size, sizeof(s1));
	EXPECT_EQ(s1.time.tsc_to_system_mul, s0.time.tsc_to_system_mul);
	EXPECT_EQ(s1.steal_ns, 30);
}

/* Bad maps are refused, the old one staying in force. */
static void test_api_set_regions_refuses_bad_maps(void)
{
	static uint8_t buf[0x4000];
	struct pvxhv_mem_region r[2];
	struct fvm_opts acc = { .accessor = true };
	uint32_t ver;

	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	ver = shared_at(0x8000).time.version;
	errno = 0;
	EXPECT_EQ(pvxhv_set_regions(vm.hv, NULL, 1), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(pvxhv_set_regions(vm.hv, vm.regions, 0), -1);
	r[0] = (struct pvxhv_mem_region){ 0x10000, 0x2000, buf };
	r[1] = (struct pvxhv_mem_region){ 0x11000, 0x2000, buf };	/* overlaps */
	errno = 0;
	EXPECT_EQ(pvxhv_set_regions(vm.hv, r, 2), -1);
	EXPECT_EQ(errno, EINVAL);
	r[1] = (struct pvxhv_mem_region){ 0ull - 0x1000, 0x2000, buf };	/* wraps */
	EXPECT_EQ(pvxhv_set_regions(vm.hv, r, 2), -1);
	r[1] = (struct pvxhv_mem_region){ 0x20000, 0, buf };		/* empty */
	EXPECT_EQ(pvxhv_set_regions(vm.hv, r, 2), -1);
	r[1] = (struct pvxhv_mem_region){ 0x20000, 0x1000, NULL };	/* no host memory */
	EXPECT_EQ(pvxhv_set_regions(vm.hv, r, 2), -1);
	/* The old map: the page is still RAM and still maintained, calls see the old memory. */
	vm.now += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	EXPECT(shared_at(0x8000).time.version != ver);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x10000, 8), 8);	/* not buf */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, FVM_TOP_GPA, 8), 8);
	still_works();
	fvm_fini(&vm);
	/* Accessor mode has no map to replace. */
	up(&acc);
	EXPECT_EQ(pvxhv_set_regions(vm.hv, vm.regions, 2), -1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_console_write, 0x5000, 2), 2);
}

/*
 * A page that leaves RAM is dropped unwritten; one whose host mapping
 * moved is written at its new host address, never again at the old.
 */
static void test_api_set_regions_page_leaves_ram(void)
{
	struct pvxhv_mem_region r[2];
	uint8_t *moved = calloc(1, FVM_LOW_SIZE - 0x9000);
	uint8_t before[PVX_PAGE_SIZE], old9[sizeof(struct pvx_vcpu_shared)];
	struct pvx_vcpu_shared s;

	up(NULL);
	if (!moved)
		return;
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_register_shared_page, 0x9000, 0, 0, 0, 0), 0);
	memcpy(before, vm.low + 0x8000, sizeof(before));
	memcpy(old9, vm.low + 0x9000, sizeof(old9));
	/* [0, 0x8000) as before, 0x8000 gone, [0x9000, end) at another host address */
	r[0] = (struct pvxhv_mem_region){ 0x9000, FVM_LOW_SIZE - 0x9000, moved };
	r[1] = (struct pvxhv_mem_region){ 0, 0x8000, vm.low };
	EXPECT_EQ(pvxhv_set_regions(vm.hv, r, 2), 0);
	EXPECT(!memcmp(before, vm.low + 0x8000, sizeof(before)));	/* nothing written */
	vm.now += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 5), 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 0), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 5), 0);
	EXPECT(!memcmp(before, vm.low + 0x8000, sizeof(before)));	/* dropped: never written */
	EXPECT(!memcmp(old9, vm.low + 0x9000, sizeof(old9)));		/* the old host address: not written */
	memcpy(&s, moved, sizeof(s));
	EXPECT_EQ(s.size, sizeof(s));				/* the new one: the whole record */
	EXPECT_EQ(s.vcpu_id, 1);
	EXPECT_EQ(s.time.system_time, vm.now);
	EXPECT_EQ(s.steal.steal, 5);
	EXPECT_EQ(s.time.version & 1, 0);
	/* vCPU 0 has no page: it may register one in RAM, not the one gone */
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), -PVX_EFAULT);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x7000, 0, 0, 0, 0), 0);
	EXPECT_EQ(shared_at(0x7000).vcpu_id, 0);
	fvm_fini(&vm);
	free(moved);
}

/* PVXHV_MAX_REGIONS is the limit, for create and set_regions alike. */
static void test_api_max_regions(void)
{
	static struct pvxhv_mem_region r[PVXHV_MAX_REGIONS + 1];
	struct pvxhv *hv;

	up_raw(NULL);
	for (uint32_t i = 0; i < PVXHV_MAX_REGIONS + 1; i++)
		r[i] = (struct pvxhv_mem_region){ (uint64_t)i * PVX_PAGE_SIZE, PVX_PAGE_SIZE,
						  vm.low + (uint64_t)i * PVX_PAGE_SIZE % FVM_LOW_SIZE };
	vm.cfg.regions = r;
	vm.cfg.nr_regions = PVXHV_MAX_REGIONS;
	hv = pvxhv_create(&vm.cfg);
	EXPECT(hv);
	vm.cfg.nr_regions = PVXHV_MAX_REGIONS + 1;
	EXPECT(!pvxhv_create(&vm.cfg));
	vm.cfg.regions = vm.regions;
	vm.cfg.nr_regions = 2;
	EXPECT_EQ(pvxhv_set_regions(vm.hv, r, PVXHV_MAX_REGIONS + 1), -1);
	EXPECT_EQ(pvxhv_set_regions(vm.hv, r, PVXHV_MAX_REGIONS), 0);
	pvxhv_destroy(hv);
}

/* flush_tlb_many: one call for all the running targets of one flush_tlb. */
static void test_api_flush_tlb_many(void)
{
	struct fvm_opts o = { .nr_vcpus = FVM_MAX_VCPUS };

	up(&o);
	put_mask(0x3000, 0xff);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, FVM_MAX_VCPUS), 0);
	EXPECT_EQ(vm.flush_calls, FVM_MAX_VCPUS);		/* without it: one call each */
	EXPECT_EQ(vm.flush_many_calls, 0);
	fvm_fini(&vm);

	up_raw(&o);
	vm.ops.flush_tlb_many = fvm_flush_many;
	EXPECT_EQ(fvm_recreate(&vm), 0);
	if (!vm.hv)
		return;
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	put_mask(0x3000, 0xff);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, FVM_MAX_VCPUS), 0);
	EXPECT_EQ(vm.flush_many_calls, 1);
	EXPECT_EQ(vm.flush_calls, 0);
	for (int i = 0; i < FVM_MAX_VCPUS; i++)
		EXPECT_EQ(vm.flushes[i], 1);
	/* a preempted target is deferred, not batched; none running: no call */
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 2), 0);
	put_mask(0x3000, 0x6);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, FVM_MAX_VCPUS), 1);
	EXPECT_EQ(vm.flush_many_calls, 2);
	EXPECT_EQ(vm.flushes[1], 2);
	EXPECT_EQ(vm.flushes[2], 1);
	put_mask(0x3000, 0x4);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, FVM_MAX_VCPUS), 1);
	EXPECT_EQ(vm.flush_many_calls, 2);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), PVXHV_ENTER_FLUSH_TLB);
	fvm_fini(&vm);

	/* flush_tlb_many alone is enough for FLUSH_TLB */
	up_raw(&o);
	vm.ops.flush_tlb = NULL;
	vm.ops.flush_tlb_many = fvm_flush_many;
	EXPECT_EQ(fvm_recreate(&vm), 0);
	if (vm.hv)
		EXPECT(pvxhv_features(vm.hv) & PVX_FEATURE(FLUSH_TLB));
}

/*
 * negotiate writes back min(size, the accepted version's struct) bytes
 * (Documentation/abi/versioning.rst): an older-minor guest that declared a
 * bigger struct gets the accepted version's bytes, no more.
 */
static void test_rule_negotiate_writeback_size(void)
{
	const uint32_t size_1_0 = offsetof(struct pvx_negotiate, nr_vcpus);	/* 1.1's first field */
	struct fvm_opts host_1_0 = { .abi_version = PVX_ABI_VERSION(1, 0) };
	struct pvx_negotiate n;

	up_raw(NULL);
	memset(vm.low + 0x2000, 0xa5, 64);
	put_neg(0x2000, 40, PVX_ABI_VERSION(1, 0), ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.size, size_1_0);
	EXPECT_EQ(n.version, PVX_ABI_VERSION(1, 0));
	for (uint32_t i = size_1_0; i < 40; i++)
		EXPECT_EQ(vm.low[0x2000 + i], 0xa5);
	fvm_fini(&vm);
	/* a host serving 1.0 and a guest of the latest minor: the same */
	up_raw(&host_1_0);
	memset(vm.low + 0x2000, 0xa5, 64);
	put_neg(0x2000, sizeof(n), PVX_ABI_VERSION_LATEST, ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	EXPECT_EQ(neg_at(0x2000).size, size_1_0);
	for (uint32_t i = size_1_0; i < sizeof(n); i++)
		EXPECT_EQ(vm.low[0x2000 + i], 0xa5);
}


/* ==== PVX 1.2: set_time_record, the records, delegation, soft_reset ==== */

#define ALL_RECORDS	((1u << PVXHV_NR_RECORDS) - 1)
#define OFF(f)		offsetof(struct pvx_vcpu_shared, f)
#define POISON		0xa5

static void poison(uint64_t gpa, size_t len)
{
	memset(fvm_host(&vm, gpa, len), POISON, len);
}

/* Whether [gpa, gpa + len) still holds the poison: nothing wrote there. */
static bool poisoned(uint64_t gpa, size_t len)
{
	const uint8_t *p = fvm_host(&vm, gpa, len);

	for (size_t i = 0; i < len; i++)
		if (p[i] != POISON)
			return false;
	return true;
}

static struct pvx_time_info time_at(uint64_t gpa)
{
	struct pvx_time_info t;

	memcpy(&t, fvm_host(&vm, gpa, sizeof(t)), sizeof(t));
	return t;
}

/* The stores the library makes through host addresses, in order (test_store_fn). */
static struct { uint64_t gpa, val; } stores[256];
static unsigned int nstores;

static void log_store(uint64_t gpa, const void *src, size_t len)
{
	if (nstores < ARRAY_SIZE(stores)) {
		stores[nstores].gpa = gpa;
		stores[nstores].val = 0;
		memcpy(&stores[nstores].val, src, len < 8 ? len : 8);
	}
	nstores++;
}

/*
 * The logged store to field (a gpa) lies inside the seqlock at version:
 * the store to version before it made it odd, the one after even again.
 */
static bool in_seqlock(uint64_t version, uint64_t field)
{
	int before = -1, at = -1, after = -1;

	for (unsigned int i = 0; i < nstores && i < ARRAY_SIZE(stores); i++) {
		if (stores[i].gpa == field && at < 0)
			at = (int)i;
		else if (stores[i].gpa == version && at < 0)
			before = (int)i;
		else if (stores[i].gpa == version && after < 0)
			after = (int)i;
	}
	return before >= 0 && at > before && after > at && (stores[before].val & 1) &&
	       stores[after].val == stores[before].val + 1;
}

/* Offered: each 1.2 feature where its callbacks and memory allow; none by a 1.1 host. */
static void test_features_1_2(void)
{
	const uint64_t new_1_2 = pvx_features_known_in(PVX_ABI_VERSION(1, 2)) &
				 ~pvx_features_known_in(PVX_ABI_VERSION(1, 1));
	struct fvm_opts acc = { .accessor = true }, o11 = { .abi_version = PVX_ABI_VERSION(1, 1) };
	uint32_t r[4];

	EXPECT_EQ(new_1_2, PVX_FEATURE(STABLE_TIME) | PVX_FEATURE(STEAL_RECORD) | PVX_FEATURE(PV_EOI) |
		  PVX_FEATURE(WALL_CLOCK) | PVX_FEATURE(SOFT_RESET));
	up_raw(NULL);
	EXPECT_EQ(pvxhv_features(vm.hv) & new_1_2, new_1_2);
	vm.ops.realtime_ns = NULL;
	EXPECT_EQ(fvm_recreate(&vm), 0);
	if (vm.hv)
		EXPECT_EQ(pvxhv_features(vm.hv) & new_1_2, new_1_2 & ~PVX_FEATURE(WALL_CLOCK));
	fvm_fini(&vm);
	/* Accessor mode cannot exchange the steal record's byte in place. */
	up_raw(&acc);
	EXPECT_EQ(pvxhv_features(vm.hv) & new_1_2, new_1_2 & ~PVX_FEATURE(STEAL_RECORD));
	fvm_fini(&vm);
	/* cfg.abi_version 1.1: none of 1.2, whatever cfg.features asks. */
	up_raw(&o11);
	EXPECT_EQ(pvxhv_features(vm.hv) & new_1_2, 0);
	EXPECT(pvxhv_cpuid(vm.hv, 0x40000001, r));
	EXPECT_EQ(r[0], PVX_ABI_VERSION(1, 1));
	EXPECT_EQ((r[1] | (uint64_t)r[2] << 32) & new_1_2, 0);
}

/* A 1.1 guest on a 1.2 host: 1.1's struct sizes, features and calls, and 1.1's time flag. */
static void test_skew_1_1_guest_on_1_2_host(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000 };
	const uint32_t v11 = PVX_ABI_VERSION(1, 1), size = shared_size_in(v11);
	struct pvx_negotiate n;
	struct pvx_vcpu_shared s;
	uint64_t f;

	up_raw(&o);
	memset(vm.low + 0x2000, POISON, 64);
	put_neg(0x2000, negotiate_size_in(v11), v11, ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.size, negotiate_size_in(v11));
	EXPECT_EQ(n.version, v11);
	EXPECT_EQ(n.features, pvxhv_features(vm.hv) & pvx_features_known_in(v11));
	EXPECT(pvxhv_negotiated(vm.hv, NULL, &f));
	EXPECT_EQ(f & ~pvx_features_known_in(v11), 0);
	poison(0x8000, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 7), 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 0), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 9), 0);
	s = shared_at(0x8000);
	EXPECT_EQ(s.size, size);
	EXPECT_EQ(s.flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_VALID);
	EXPECT_EQ(s.steal_ns, 9);
	EXPECT_EQ(s.time.flags, PVX_TIME_TSC_STABLE);
	EXPECT(poisoned(0x8000 + size, PVX_PAGE_SIZE - size));
	/* 1.2's calls are not there for it. */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5040), -PVX_ENOSYS);
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_soft_reset), -PVX_ENOSYS);
	EXPECT(pvxhv_negotiated(vm.hv, NULL, NULL));
}

/* A 1.2 guest on a host serving 1.1: the same, and 1.2's calls ENOSYS even before negotiate. */
static void test_skew_1_2_guest_on_1_1_host(void)
{
	struct fvm_opts o = { .abi_version = PVX_ABI_VERSION(1, 1) };
	const uint32_t size = shared_size_in(PVX_ABI_VERSION(1, 1));
	struct pvx_negotiate n;

	up_raw(&o);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5040), -PVX_ENOSYS);
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_soft_reset), -PVX_ENOSYS);
	put_neg(0x2000, sizeof(n), PVX_ABI_VERSION_LATEST, ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	n = neg_at(0x2000);
	EXPECT_EQ(n.version, PVX_ABI_VERSION(1, 1));
	EXPECT_EQ(n.features & ~pvx_features_known_in(PVX_ABI_VERSION(1, 1)), 0);
	poison(0x8000, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(shared_at(0x8000).size, size);
	EXPECT_EQ(shared_at(0x8000).flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_VALID);
	EXPECT(poisoned(0x8000 + size, PVX_PAGE_SIZE - size));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5040), -PVX_ENOSYS);
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_soft_reset), -PVX_ENOSYS);
}

/* set_time_record's checks, each in the order of its "checks" column. */
static void test_set_time_record_checks(void)
{
	up_raw(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5040), -PVX_EPERM);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~PVX_FEATURE(STABLE_TIME)), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5040), -PVX_EOPNOTSUPP);
	fvm_fini(&vm);

	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5040, 1), -PVX_EINVAL);	/* a1 */
	/* 1. no registered page: EINVAL, whatever a0 is */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, PVX_GPA_NONE), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5040), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, FVM_LOW_SIZE + 8), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_set_time_record, 0x5040, 0, 0, 0, 0), -PVX_EINVAL);
	/* 2. PVX_GPA_NONE: 0 */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, PVX_GPA_NONE), 0);
	/* 3. misaligned: EINVAL before the record is looked at, where it is no RAM or wraps */
	poison(0x5000, 0x100);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5020), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5048), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, FVM_LOW_SIZE + 32), -PVX_EINVAL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0ull - 32), -PVX_EINVAL);
	/* 4. the record as a guest structure: not RAM */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, FVM_LOW_SIZE), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, FVM_TOP_GPA - 64), -PVX_EFAULT);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x123456789000ull), -PVX_EFAULT);
	/* Refused: nothing moved, nothing written. */
	EXPECT(poisoned(0x5000, 0x100));
	EXPECT(shared_at(0x8000).flags & PVX_VCPU_TIME_VALID);
	/* The last 64 bytes of the address space are a record like any other. */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0ull - 64), 0);
	EXPECT_EQ(time_at(0ull - 64).version & 1, 0);
	EXPECT(time_at(0ull - 64).version);
	/* Not batchable. */
	put_entry(0x6000, 0, PVX_HC_set_time_record, 0, 0x5040, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, 0x6000, 1), 0);
	EXPECT_EQ(result_of(0x6000, 0), -PVX_ELOOP);
	EXPECT(poisoned(0x5000, 0x100));
}

/*
 * The time record moves to a0, its seqlock continuing; the page's time
 * field is then left alone and TIME_VALID clear; PVX_GPA_NONE brings it
 * back; a new page keeps it moved; unregistering drops both.
 */
static void test_set_time_record_moves(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000 };
	const uint64_t page = 0x8000, rec = 0x5040, rec2 = 0x6000;
	struct pvx_vcpu_shared before;
	struct pvx_time_info t, old;

	up(&o);
	vm.tsc = 111;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, page), 0);
	before = shared_at(page);
	poison(0x5000, 0x100);
	poison(rec2, PVX_TIME_RECORD_ALIGN);
	vm.now += 1000;
	vm.tsc = 222;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, rec), 0);
	t = time_at(rec);
	EXPECT_EQ(t.version & 1, 0);
	EXPECT(t.version > before.time.version);	/* one record, one seqlock */
	EXPECT_EQ(t.system_time, vm.now);		/* filled at once, a fresh pair */
	EXPECT_EQ(t.tsc_timestamp, 222);
	EXPECT_EQ(t.tsc_to_system_mul, before.time.tsc_to_system_mul);
	EXPECT(poisoned(0x5000, rec - 0x5000));
	EXPECT(poisoned(rec + sizeof(t), 0x100 - (rec - 0x5000) - sizeof(t)));
	EXPECT_EQ(shared_at(page).flags & PVX_VCPU_TIME_VALID, 0);
	EXPECT(shared_at(page).flags & PVX_VCPU_STEAL_RECORD);
	/* While moved, the page's time field is not written. */
	vm.now += 2000000000ull;
	vm.tsc = 333;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 5), 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 0), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 6), 0);
	EXPECT(!memcmp(fvm_host(&vm, page + OFF(time), sizeof(t)), &before.time, sizeof(t)));
	EXPECT_EQ(time_at(rec).tsc_timestamp, 333);
	EXPECT_EQ(time_at(rec).system_time, vm.now);
	/* Elsewhere: the old place is no longer written. */
	old = time_at(rec);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, rec2), 0);
	EXPECT_EQ(time_at(rec2).version, old.version + 2);
	vm.now += 2 * NSEC_PER_SEC;	/* past the pair's age: the record changes */
	vm.tsc += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 6), 0);
	EXPECT_EQ(time_at(rec2).system_time, vm.now);
	EXPECT(!memcmp(fvm_host(&vm, rec, sizeof(old)), &old, sizeof(old)));
	/* Back into the page: its time and TIME_VALID again, under its seqlock. */
	old = time_at(rec2);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, PVX_GPA_NONE), 0);
	EXPECT(shared_at(page).flags & PVX_VCPU_TIME_VALID);
	EXPECT_EQ(shared_at(page).time.version, old.version + 2);
	vm.now += 2 * NSEC_PER_SEC;	/* past the pair's age: the record changes */
	vm.tsc += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 6), 0);
	EXPECT_EQ(shared_at(page).time.system_time, vm.now);
	EXPECT(!memcmp(fvm_host(&vm, rec2, sizeof(old)), &old, sizeof(old)));
	/* A new page keeps a moved record where it is; its own time field stays unwritten. */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, rec), 0);
	poison(0x9000, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x9000), 0);
	EXPECT_EQ(shared_at(0x9000).flags & PVX_VCPU_TIME_VALID, 0);
	EXPECT_EQ(shared_at(0x9000).size, sizeof(struct pvx_vcpu_shared));
	EXPECT(poisoned(0x9000 + OFF(time), sizeof(t)));
	vm.now += 2 * NSEC_PER_SEC;	/* past the pair's age: the record changes */
	vm.tsc += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 6), 0);
	EXPECT_EQ(time_at(rec).system_time, vm.now);
	EXPECT(poisoned(0x9000 + OFF(time), sizeof(t)));
	/* Unregistering drops both: neither is written again. */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, PVX_GPA_NONE), 0);
	old = time_at(rec);
	before = shared_at(0x9000);
	EXPECT_EQ(before.flags, 0);
	vm.now += 2 * NSEC_PER_SEC;	/* past the pair's age: the record changes */
	vm.tsc += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 8), 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 0), 0);
	EXPECT(!memcmp(fvm_host(&vm, rec, sizeof(old)), &old, sizeof(old)));
	EXPECT(!memcmp(fvm_host(&vm, 0x9000, sizeof(before)), &before, sizeof(before)));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, rec), -PVX_EINVAL);
}

/* Under STABLE_TIME the library's per-vCPU pairs are no master pair: no PVX_TIME_TSC_STABLE. */
static void test_stable_time_flag(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000 };

	up(&o);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT(shared_at(0x8000).time.tsc_to_system_mul);	/* a pair: it could say so */
	EXPECT_EQ(shared_at(0x8000).time.flags, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, 0x5040), 0);
	EXPECT_EQ(time_at(0x5040).flags, 0);
	fvm_fini(&vm);
	up_with(&o, PVX_ABI_VERSION_LATEST, ~PVX_FEATURE(STABLE_TIME));
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(shared_at(0x8000).time.flags, PVX_TIME_TSC_STABLE);
}

/*
 * The steal record replaces the 1.0 fields: steal under its seqlock (odd,
 * steal, even, only when it changes), preempted marked outside it and
 * exchanged for 0 at the next entry.
 */
static void test_steal_record(void)
{
	const uint64_t page = 0x8000, ver = page + OFF(steal.version);
	struct pvx_vcpu_shared s;
	uint8_t *pre;
	uint32_t v0;

	up(NULL);
	pre = vm.low + page + OFF(steal.preempted);
	poison(page, PVX_PAGE_SIZE);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_register_shared_page, page, 0, 0, 0, 0), 0);
	s = shared_at(page);
	EXPECT(s.flags & PVX_VCPU_STEAL_RECORD);
	EXPECT_EQ(s.flags & PVX_VCPU_STEAL_VALID, 0);
	EXPECT(poisoned(page + OFF(steal_version), OFF(steal) - OFF(steal_version)));	/* 1.0's */
	EXPECT(poisoned(page + OFF(steal.pad0), sizeof(s.steal) - OFF(steal.pad0) + OFF(steal)));
	EXPECT_EQ(s.steal.steal, 0);
	EXPECT_EQ(s.steal.flags, 0);
	EXPECT_EQ(s.steal.version & 1, 0);
	EXPECT(s.steal.version);
	v0 = s.steal.version;
	/* The byte the guest left is the entry's to clear: the vCPU never runs seeing it. */
	EXPECT_EQ(*pre, POISON);
	nstores = 0;
	test_store_fn = log_store;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 100), 0);
	test_store_fn = NULL;
	s = shared_at(page);
	EXPECT_EQ(*pre, 0);
	EXPECT_EQ(s.steal.steal, 100);
	EXPECT_EQ(s.steal.version, v0 + 2);
	EXPECT(in_seqlock(ver, page + OFF(steal.steal)));
	EXPECT(poisoned(page + OFF(steal_version), OFF(steal) - OFF(steal_version)));
	/* No change, no write. */
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 100), 0);
	EXPECT_EQ(shared_at(page).steal.version, v0 + 2);
	/* Preempted: marked, outside the seqlock; the entry clears it. */
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 1), 0);
	EXPECT_EQ(*pre, PVX_STEAL_PREEMPTED);
	EXPECT_EQ(shared_at(page).steal.version, v0 + 2);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 100), 0);
	EXPECT_EQ(*pre, 0);
	/* So does a block. */
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_block, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(*pre, PVX_STEAL_PREEMPTED);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 250), 0);
	EXPECT_EQ(*pre, 0);
	EXPECT_EQ(shared_at(page).steal.steal, 250);
	EXPECT_EQ(shared_at(page).steal.version, v0 + 4);
}

/*
 * The guest's flush request: with its compare-and-exchange of a preempted
 * vCPU's byte, PREEMPTED -> PREEMPTED | FLUSH_TLB; the next entry reports
 * it and leaves 0.  A running vCPU's byte is 0 and the exchange fails.
 */
static void test_steal_record_flush_request(void)
{
	uint8_t *pre, want;

	up(NULL);
	pre = vm.low + 0x8000 + OFF(steal.preempted);
	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), 0);
	want = PVX_STEAL_PREEMPTED;
	EXPECT(!__atomic_compare_exchange_n(pre, &want, PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB,
					    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 2), 0);
	want = PVX_STEAL_PREEMPTED;
	EXPECT(__atomic_compare_exchange_n(pre, &want, PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB,
					   false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	/* Marked again meanwhile (a block, the VMM): the request stays. */
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 2), 0);
	EXPECT_EQ(*pre, PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), PVXHV_ENTER_FLUSH_TLB);
	EXPECT_EQ(*pre, 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), 0);		/* once */
	/* flush_tlb's own deferral for a preempted vCPU is as before. */
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 2), 0);
	put_mask(0x3000, 1u << 2);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 4), 1);
	EXPECT_EQ(vm.flushes[2], 0);
	EXPECT_EQ(*pre, PVX_STEAL_PREEMPTED);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), PVXHV_ENTER_FLUSH_TLB);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), 0);
}

/* PV_EOI: 0 at registration and ever after; not written unless negotiated. */
static void test_pv_eoi(void)
{
	up(NULL);
	poison(0x8000, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT(shared_at(0x8000).flags & PVX_VCPU_PV_EOI);
	EXPECT_EQ(shared_at(0x8000).eoi, 0);
	EXPECT(poisoned(0x8000 + OFF(pad2), sizeof(uint32_t)));
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 1), 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 2), 0);
	EXPECT_EQ(shared_at(0x8000).eoi, 0);
	fvm_fini(&vm);
	up_with(NULL, PVX_ABI_VERSION_LATEST, ~PVX_FEATURE(PV_EOI));
	poison(0x8000, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(shared_at(0x8000).flags & PVX_VCPU_PV_EOI, 0);
	EXPECT(poisoned(0x8000 + OFF(eoi), sizeof(uint32_t)));
}

/*
 * WALL_CLOCK: at registration, the wall clock when the time record's
 * clock read 0, under its seqlock; not at an entry; not offered without
 * ops->realtime_ns.
 */
static void test_wall_clock(void)
{
	const uint64_t page = 0x8000, real = 1700000000123456789ull;
	struct pvx_vcpu_shared s;
	uint64_t at0;

	up_raw(NULL);
	vm.realtime = real;
	vm.now = 5 * NSEC_PER_SEC + 1000;
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	poison(page, PVX_PAGE_SIZE);
	nstores = 0;
	test_store_fn = log_store;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, page), 0);
	test_store_fn = NULL;
	s = shared_at(page);
	at0 = real - vm.now;
	EXPECT(s.flags & PVX_VCPU_WALL_CLOCK);
	EXPECT_EQ(s.wall_clock.sec, at0 / NSEC_PER_SEC);
	EXPECT_EQ(s.wall_clock.nsec, at0 % NSEC_PER_SEC);
	EXPECT_EQ(s.wall_clock.version & 1, 0);
	EXPECT(s.wall_clock.version);
	/* pvclock_read_wallclock(): the record plus the time record's clock is now */
	EXPECT_EQ(s.wall_clock.sec * NSEC_PER_SEC + s.wall_clock.nsec + s.time.system_time, real);
	EXPECT(in_seqlock(page + OFF(wall_clock.version), page + OFF(wall_clock.sec)));
	EXPECT(in_seqlock(page + OFF(wall_clock.version), page + OFF(wall_clock.nsec)));
	EXPECT(poisoned(page + OFF(pad3), sizeof(uint32_t)));
	/* Not at an entry, even when the wall clock was stepped. */
	vm.realtime += 7 * NSEC_PER_SEC;
	vm.now += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	EXPECT(!memcmp(fvm_host(&vm, page + OFF(wall_clock), sizeof(s.wall_clock)), &s.wall_clock,
		       sizeof(s.wall_clock)));
	/* At the next registration. */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, page), 0);
	EXPECT_EQ(shared_at(page).wall_clock.version, s.wall_clock.version + 2);
	EXPECT_EQ(shared_at(page).wall_clock.sec, (vm.realtime - vm.now) / NSEC_PER_SEC);
	fvm_fini(&vm);
	up_raw(NULL);
	vm.ops.realtime_ns = NULL;
	EXPECT_EQ(fvm_recreate(&vm), 0);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	poison(page, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, page), 0);
	EXPECT_EQ(shared_at(page).flags & PVX_VCPU_WALL_CLOCK, 0);
	EXPECT(poisoned(page + OFF(wall_clock), sizeof(s.wall_clock)));
}

static void test_delegate_arguments(void)
{
	up(NULL);
	EXPECT_EQ(pvxhv_vcpu_delegate(NULL, 0, 0), -PVX_ESRCH);
	EXPECT_EQ(pvxhv_vcpu_delegate(vm.hv, 4, 0), -PVX_ESRCH);
	EXPECT_EQ(fvm_delegate(&vm, 0, 1u << PVXHV_NR_RECORDS), -PVX_EINVAL);
	EXPECT_EQ(fvm_delegate(&vm, 0, ~0u), -PVX_EINVAL);
	EXPECT_EQ(fvm_delegate(&vm, 0, ALL_RECORDS), 0);
	EXPECT_EQ(vm.records_calls, 0);			/* nothing registered: nothing to tell */
	EXPECT_EQ(fvm_delegate(&vm, 0, 0), 0);
	fvm_fini(&vm);
	/* Without ops->records, nothing can be delegated. */
	up_raw(NULL);
	vm.ops.records = NULL;
	EXPECT_EQ(fvm_recreate(&vm), 0);
	EXPECT_EQ(fvm_delegate(&vm, 0, PVXHV_RECORD(TIME)), -PVX_EINVAL);
	EXPECT_EQ(fvm_delegate(&vm, 0, 0), 0);
}

/* Each delegated record of vcpu 0's page at page, as ops->records last heard. */
static void expect_told(uint32_t vcpu, uint64_t page, uint64_t time)
{
	const uint64_t off[PVXHV_NR_RECORDS] = {
		[PVXHV_RECORD_TIME] = OFF(time), [PVXHV_RECORD_STEAL] = OFF(steal),
		[PVXHV_RECORD_EOI] = OFF(eoi), [PVXHV_RECORD_WALL_CLOCK] = OFF(wall_clock),
	};

	for (int r = 0; r < PVXHV_NR_RECORDS; r++) {
		uint64_t want = page == PVX_GPA_NONE || !(vm.delegated[vcpu] & (1u << r)) ?
				PVX_GPA_NONE : page + off[r];

		if (r == PVXHV_RECORD_TIME && want != PVX_GPA_NONE && time != PVX_GPA_NONE)
			want = time;
		if (vm.records[vcpu][r] != want)
			FAILF("record %d of vCPU %u told at %#llx, expected %#llx", r, vcpu,
			      (unsigned long long)vm.records[vcpu][r], (unsigned long long)want);
	}
}

/* Every byte of the records themselves (not the header), delegated all. */
static bool records_poisoned(uint64_t page)
{
	return poisoned(page + OFF(time), OFF(steal_version) - OFF(time)) &&
	       poisoned(page + OFF(steal_version), OFF(steal.preempted) - OFF(steal_version)) &&
	       poisoned(page + OFF(steal.pad0), sizeof(struct pvx_vcpu_shared) - OFF(steal.pad0));
}

/*
 * Delegated records are the kernel's: the library never writes them, sets
 * their flags all the same, and tells ops->records where they are at
 * registration, set_time_record and unregistration.
 */
static void test_delegate_never_writes(void)
{
	const uint64_t page = 0x8000, rec = 0x5040;
	uint8_t *pre;
	unsigned int calls;

	up(NULL);
	pre = vm.low + page + OFF(steal.preempted);
	EXPECT_EQ(fvm_delegate(&vm, 0, ALL_RECORDS), 0);
	poison(page, PVX_PAGE_SIZE);
	poison(0x5000, 0x100);
	*pre = PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB;	/* the kernel's to take */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, page), 0);
	EXPECT_EQ(vm.records_calls, 1);
	expect_told(0, page, PVX_GPA_NONE);
	EXPECT_EQ(shared_at(page).size, sizeof(struct pvx_vcpu_shared));
	EXPECT_EQ(shared_at(page).vcpu_id, 0);
	EXPECT_EQ(shared_at(page).flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_RECORD |
		  PVX_VCPU_PV_EOI | PVX_VCPU_WALL_CLOCK);
	EXPECT(records_poisoned(page));
	vm.now += NSEC_PER_SEC;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 50), 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 60), 0);
	EXPECT(records_poisoned(page));
	EXPECT_EQ(*pre, PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB);
	/* set_time_record: the kernel moves it; the page's header says so. */
	calls = vm.records_calls;
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, rec), 0);
	EXPECT_EQ(vm.records_calls, calls + 1);
	expect_told(0, page, rec);
	EXPECT(poisoned(0x5000, 0x100));
	EXPECT_EQ(shared_at(page).flags & PVX_VCPU_TIME_VALID, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, rec), 0);	/* nothing moved: nothing told */
	EXPECT_EQ(vm.records_calls, calls + 1);
	/* the same page again: told again (an INIT may have cleared them) */
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, page), 0);
	EXPECT_EQ(vm.records_calls, calls + 2);
	expect_told(0, page, rec);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_set_time_record, PVX_GPA_NONE), 0);
	EXPECT_EQ(vm.records_calls, calls + 3);
	expect_told(0, page, PVX_GPA_NONE);
	EXPECT(shared_at(page).flags & PVX_VCPU_TIME_VALID);
	/* Another page: told at once; unregistering: told PVX_GPA_NONE, the header retired. */
	poison(0x9000, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x9000), 0);
	EXPECT_EQ(vm.records_calls, calls + 4);
	expect_told(0, 0x9000, PVX_GPA_NONE);
	EXPECT_EQ(shared_at(page).flags, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, PVX_GPA_NONE), 0);
	EXPECT_EQ(vm.records_calls, calls + 5);
	expect_told(0, PVX_GPA_NONE, PVX_GPA_NONE);
	EXPECT_EQ(shared_at(0x9000).flags, 0);
	EXPECT(records_poisoned(page));
	EXPECT(records_poisoned(0x9000));
	/* Other vCPUs delegate nothing: never told. */
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_register_shared_page, page, 0, 0, 0, 0), 0);
	EXPECT_EQ(vm.records_calls, calls + 5);
	EXPECT(!vm.records_told[1]);
}

/* Some delegated, some kept; and a 1.1 guest, which has only the time record. */
static void test_delegate_some(void)
{
	const uint64_t page = 0x8000;

	up(NULL);
	EXPECT_EQ(fvm_delegate(&vm, 0, PVXHV_RECORD(TIME) | PVXHV_RECORD(EOI)), 0);
	poison(page, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, page), 0);
	expect_told(0, page, PVX_GPA_NONE);
	EXPECT(poisoned(page + OFF(time), sizeof(struct pvx_time_info)));
	EXPECT(poisoned(page + OFF(eoi), sizeof(uint32_t)));
	EXPECT(shared_at(page).steal.version);
	EXPECT(shared_at(page).wall_clock.version);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 77), 0);
	EXPECT_EQ(shared_at(page).steal.steal, 77);
	EXPECT(poisoned(page + OFF(time), sizeof(struct pvx_time_info)));
	fvm_fini(&vm);
	up_with(NULL, PVX_ABI_VERSION(1, 1), ~0ull);
	EXPECT_EQ(fvm_delegate(&vm, 0, ALL_RECORDS), 0);
	poison(page, PVX_PAGE_SIZE);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, page), 0);
	EXPECT_EQ(vm.records[0][PVXHV_RECORD_TIME], page + OFF(time));
	for (int r = PVXHV_RECORD_TIME + 1; r < PVXHV_NR_RECORDS; r++)
		EXPECT_EQ(vm.records[0][r], PVX_GPA_NONE);
	EXPECT(poisoned(page + OFF(time), sizeof(struct pvx_time_info)));
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 5), 0);
	EXPECT_EQ(shared_at(page).steal_ns, 5);
	EXPECT_EQ(shared_at(page).flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_VALID);
}

/* The life-cycle calls that move delegated records tell ops->records too. */
static void test_delegate_life_cycle(void)
{
	struct pvxhv_mem_region r[2];
	uint32_t ver;

	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(fvm_delegate(&vm, 0, PVXHV_RECORD(TIME)), 0);	/* a registered page: at once */
	EXPECT_EQ(vm.records_calls, 1);
	expect_told(0, 0x8000, PVX_GPA_NONE);
	EXPECT_EQ(fvm_delegate(&vm, 0, PVXHV_RECORD(TIME)), 0);
	EXPECT_EQ(vm.records_calls, 1);
	/* Back to the library: told nowhere, and written again at the next entry. */
	ver = shared_at(0x8000).time.version;
	EXPECT_EQ(fvm_delegate(&vm, 0, 0), 0);
	EXPECT_EQ(vm.records_calls, 2);
	expect_told(0, PVX_GPA_NONE, PVX_GPA_NONE);
	vm.now += 1000;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	EXPECT(shared_at(0x8000).time.version != ver);
	EXPECT_EQ(shared_at(0x8000).time.system_time, vm.now);
	/* A reset: nowhere; the delegation stays. */
	EXPECT_EQ(fvm_delegate(&vm, 0, PVXHV_RECORD(TIME)), 0);
	EXPECT_EQ(vm.records_calls, 3);
	pvxhv_reset(vm.hv);
	EXPECT_EQ(vm.records_calls, 4);
	expect_told(0, PVX_GPA_NONE, PVX_GPA_NONE);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(vm.records_calls, 5);
	expect_told(0, 0x8000, PVX_GPA_NONE);
	/* A page that left RAM: nowhere. */
	r[0] = (struct pvxhv_mem_region){ 0, 0x8000, vm.low };
	r[1] = vm.regions[1];
	EXPECT_EQ(pvxhv_set_regions(vm.hv, r, 2), 0);
	EXPECT_EQ(vm.records_calls, 6);
	expect_told(0, PVX_GPA_NONE, PVX_GPA_NONE);
}

static void test_soft_reset_checks(void)
{
	const uint64_t m = 0x6000;

	up_raw(NULL);
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_soft_reset), -PVX_EPERM);
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~PVX_FEATURE(SOFT_RESET)), 0);
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_soft_reset), -PVX_EOPNOTSUPP);
	EXPECT(pvxhv_negotiated(vm.hv, NULL, NULL));
	fvm_fini(&vm);
	up(NULL);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_soft_reset, 1), -PVX_EINVAL);
	put_entry(m, 0, PVX_HC_soft_reset, 0, 0, 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_multicall, m, 1), 0);
	EXPECT_EQ(result_of(m, 0), -PVX_ELOOP);
	EXPECT(pvxhv_negotiated(vm.hv, NULL, NULL));
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_soft_reset), 0);
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_soft_reset), -PVX_EPERM);	/* only negotiate now */
}

/*
 * soft_reset forgets the negotiation, every page and moved time record
 * (unwritten), armed timers (cancelled), pending kicks and deferred
 * flushes, and tells ops->records; it keeps the delegation and the VMM's
 * preempted flags.
 */
static void test_soft_reset_forgets(void)
{
	const uint64_t rec = 0x5040;
	uint8_t p8[PVX_PAGE_SIZE], p9[PVX_PAGE_SIZE], r5[PVX_TIME_RECORD_ALIGN];
	unsigned int timers, calls, blocks;

	up(NULL);
	EXPECT_EQ(fvm_delegate(&vm, 0, ALL_RECORDS), 0);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_register_shared_page, 0x9000, 0, 0, 0, 0), 0);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_set_time_record, rec, 0, 0, 0, 0), 0);
	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_set_timer, 5000000000ull, 0xec, 0, 0, 0), 0);
	EXPECT_EQ(pvxhv_kick(vm.hv, 3), 0);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 3), 0);
	put_mask(0x3000, 1u << 3);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 4), 1);
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 1), 0);
	memcpy(p8, vm.low + 0x8000, sizeof(p8));
	memcpy(p9, vm.low + 0x9000, sizeof(p9));
	memcpy(r5, vm.low + rec, sizeof(r5));
	timers = vm.timer_calls;
	calls = vm.records_calls;

	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_soft_reset, 0, 0, 0, 0, 0), 0);
	/* The negotiation: only negotiate succeeds. */
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	EXPECT_EQ(FVM_CALL0(&vm, PVX_HC_sched_yield), -PVX_EPERM);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_set_time_record, PVX_GPA_NONE, 0, 0, 0, 0), -PVX_EPERM);
	/* The armed timer: cancelled; its expiry injects nothing. */
	EXPECT_EQ(vm.timer_calls, timers + 1);
	EXPECT_EQ(vm.timer[2], 0);
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 2), 0);
	EXPECT_EQ(vm.injects, 0);
	/* The delegated records: nowhere, told for vCPU 0, the one that had some. */
	EXPECT_EQ(vm.records_calls, calls + 1);
	EXPECT_EQ(vm.records_vcpu, 0);
	expect_told(0, PVX_GPA_NONE, PVX_GPA_NONE);
	/* The pages and the moved record: never written, not even to retire them. */
	for (uint32_t v = 0; v < 4; v++) {
		EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, v), 0);
		if (v != 1)
			EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, v, 99), 0);	/* 3: no deferred flush */
	}
	EXPECT(!memcmp(p8, vm.low + 0x8000, sizeof(p8)));
	EXPECT(!memcmp(p9, vm.low + 0x9000, sizeof(p9)));
	EXPECT(!memcmp(r5, vm.low + rec, sizeof(r5)));
	/* A new negotiation: the kick is gone, the pages are free, the record went with its page. */
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	blocks = vm.blocks;
	EXPECT_EQ(fvm_call(&vm, 3, PVX_HC_block, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(vm.blocks, blocks + 1);
	EXPECT_EQ(fvm_call(&vm, 1, PVX_HC_set_time_record, rec, 0, 0, 0, 0), -PVX_EINVAL);
	EXPECT_EQ(fvm_call(&vm, 2, PVX_HC_register_shared_page, 0x8000, 0, 0, 0, 0), 0);
	/* Kept: vCPU 1 is still preempted (a flush of it is deferred), vCPU 0's delegation. */
	put_mask(0x3000, 1u << 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_flush_tlb, 0x3000, 4), 1);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 0), PVXHV_ENTER_FLUSH_TLB);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, 0x9000, 0, 0, 0, 0), 0);
	expect_told(0, 0x9000, PVX_GPA_NONE);
}

/* ---- threads and re-entrancy: no callback under a lock ---- */

/* The check bites: a callback made with a lock counted as held stops the process. */
static void test_callback_under_lock_is_caught(void)
{
	pid_t pid;
	int status = 0;

	up(NULL);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		pvxhv_test_locks_held = 1;
		close(2);
		(void)FVM_CALL0(&vm, PVX_HC_sched_yield);	/* calls ops->yield */
		_exit(0);
	}
	EXPECT(pid > 0);
	waitpid(pid, &status, 0);
	EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

/*
 * Callbacks that re-enter the library the way pvxhv.h allows: write_guest
 * starts a negotiate on another vCPU (the deadlock of a lock held across
 * write_guest), kick and block make any-time calls.  A deadlock ends the
 * test binary through alarm().
 */
static int reentries;
static void reenter_on_write(struct fvm *v, uint64_t gpa)
{
	uint32_t r[4];

	if (gpa != 0x2000 || reentries++)
		return;
	EXPECT_EQ(fvm_call(v, 1, PVX_HC_negotiate, 0x2000, 0, 0, 0, 0), -PVX_EALREADY);
	EXPECT(!pvxhv_negotiated(v->hv, NULL, NULL));
	EXPECT(pvxhv_cpuid(v->hv, 0x40000001, r));
	EXPECT_EQ(pvxhv_kick(v->hv, 2), 0);
}

static void reenter_on_kick(struct fvm *v, uint32_t vcpu)
{
	EXPECT_EQ(pvxhv_timer_expired(v->hv, vcpu), 0);
	(void)pvxhv_features(v->hv);
}

static void reenter_on_block(struct fvm *v, uint32_t vcpu, uint64_t deadline, uint64_t token)
{
	(void)deadline;
	EXPECT(!pvxhv_kicked(v->hv, vcpu, token));
	EXPECT_EQ(pvxhv_kick(v->hv, vcpu), 0);		/* a kick from inside block */
	EXPECT(pvxhv_kicked(v->hv, vcpu, token));
}

static void test_callbacks_reenter(void)
{
	struct fvm_opts o = { .accessor = true };

	alarm(20);
	up_raw(&o);
	reentries = 0;
	vm.on_write = reenter_on_write;
	vm.on_kick = reenter_on_kick;
	vm.on_block = reenter_on_block;
	put_neg(0x2000, 24, PVX_ABI_VERSION_LATEST, ~0ull);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_negotiate, 0x2000), 0);
	EXPECT_EQ(reentries, 1);
	EXPECT_EQ(vm.kicks[2], 1);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_register_shared_page, 0x8000), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);
	EXPECT_EQ(FVM_CALL(&vm, PVX_HC_block, 0), 0);	/* the kick was consumed: blocks */
	EXPECT_EQ(vm.blocks, 2);
	alarm(0);
}

static const struct test tests[] = {
	T(errno_compatible), T(names),
	T(create_rejects_bad_config), T(features_follow_callbacks),
	T(cpuid_leaves), T(cpuid_custom_base),
	T(unknown_hypercall), T(before_negotiate), T(reserved_argument_registers),
	T(vmm_bad_vcpu),
	T(negotiate_valid), T(negotiate_at_top_of_memory), T(negotiate_bad_struct),
	T(negotiate_unknown_major), T(negotiate_accessor_mode),
	T(skew_older_guest_minor), T(skew_newer_guest_minor), T(skew_older_host),
	T(skew_unknown_feature_bits), T(reset),
	T(shared_page_valid), T(shared_page_tsc_scale), T(shared_page_tsc_pair),
	T(shared_page_hostile),
	T(sched_yield), T(block), T(kick_vcpu),
	T(flush_tlb_valid), T(flush_tlb_hostile),
	T(console_write), T(console_write_hostile),
	T(set_timer), T(set_timer_hostile),
	T(multicall_valid), T(multicall_hostile_entries), T(multicall_hostile_array),
	T(shutdown), T(send_ipi),
	/* one per documented rule */
	T(rule_adjacent_regions), T(rule_regions_top_and_overlap),
	T(order_second_negotiate_bad_struct), T(order_negotiate_range_before_major),
	T(order_flush_nbits_before_gpa), T(order_flush_reserved_bits_before_missing_vcpus),
	T(order_console_length_before_gpa), T(order_multicall_count_before_gpa),
	T(order_entry_flags_first), T(order_send_ipi), T(order_common_checks),
	T(rule_negotiate_answer_is_accepted_version), T(rule_newer_number_is_enosys_before_negotiate),
	T(rule_shared_page_all_ram), T(rule_shared_page_one_owner),
	T(rule_shared_page_old_record_retired),
	T(rule_accessor_parity), T(rule_write_guest_all_or_nothing),
	T(rule_block_deadline_now), T(rule_block_timeout_keeps_kick),
	T(rule_scale_product_96_bits), T(rule_flush_not_reported_twice),
	T(enter_flush_order), T(flush_enter_order), T(flush_enter_order_batched),
	T(api_block_irqs_masked), T(api_guest_tsc_fails), T(api_enter_writes_only_changes),
	T(api_set_regions_refuses_bad_maps), T(api_set_regions_page_leaves_ram),
	T(api_max_regions), T(api_flush_tlb_many), T(rule_negotiate_writeback_size),
	T(callback_under_lock_is_caught), T(callbacks_reenter),
	/* PVX 1.2 */
	T(features_1_2), T(skew_1_1_guest_on_1_2_host), T(skew_1_2_guest_on_1_1_host),
	T(set_time_record_checks), T(set_time_record_moves), T(stable_time_flag),
	T(steal_record), T(steal_record_flush_request), T(pv_eoi), T(wall_clock),
	T(delegate_arguments), T(delegate_never_writes), T(delegate_some), T(delegate_life_cycle),
	T(soft_reset_checks), T(soft_reset_forgets),
};

static void after(void)
{
	if (vm.hv)
		fvm_fini(&vm);
}

int main(int argc, char **argv)
{
	return run_tests(tests, ARRAY_SIZE(tests), "unit", argc, argv, after);
}
