// SPDX-License-Identifier: GPL-2.0
/*
 * libpvxhv save and restore (lib/state.c): a round trip through a new
 * instance carries what the guest set up, every refused blob leaves the
 * instance exactly as it was (a save before and after the refusal are the
 * same bytes, and no callback but guest_ram ran), and no corruption of a
 * blob is accepted.  Built with ASan + UBSan.  Prints one "PASS name" /
 * "FAIL name -- why" line per test; tests/host/check.sh records them.
 */
#include <errno.h>

#include "fakevm.h"
#include "harness.h"
#include "state.h"
#include "state-api3.h"
#include "state-guest.h"

static struct fvm vm, src;

#define PAGE0	STATE_PAGE0
#define PAGE1	STATE_PAGE1
#define PAGE3	STATE_PAGE3
#define OFF(f)	offsetof(struct pvx_vcpu_shared, f)
#define ALL_RECORDS	((1u << PVXHV_NR_RECORDS) - 1)

/* A blob field: its offset and width, for patching blobs by hand. */
#define HDR(f)		offsetof(struct state_hdr, f), STATE_WIDTH(state_hdr, f)
#define VCPU(i, f)	STATE_VCPU_AT(i) + offsetof(struct state_vcpu, f), STATE_WIDTH(state_vcpu, f)

static struct pvx_vcpu_shared shared_at(struct fvm *m, uint64_t gpa)
{
	struct pvx_vcpu_shared s;

	memcpy(&s, fvm_host(m, gpa, sizeof(s)), sizeof(s));
	return s;
}

static struct pvx_time_info time_at(struct fvm *m, uint64_t gpa)
{
	struct pvx_time_info t;

	memcpy(&t, fvm_host(m, gpa, sizeof(t)), sizeof(t));
	return t;
}

/* A save of hv, malloc'ed (NULL and a FAIL if save fails). */
static uint8_t *save(struct pvxhv *hv, size_t *len)
{
	int64_t n = pvxhv_save(hv, NULL, 0);
	uint8_t *b;

	*len = 0;
	if (n <= 0 || !(b = malloc((size_t)n))) {
		FAILF("pvxhv_save(len 0) = %lld", (long long)n);
		return NULL;
	}
	EXPECT_EQ(pvxhv_save(hv, b, (size_t)n), n);
	*len = (size_t)n;
	return b;
}

/* Recompute the checksum of a patched blob. */
static void reseal(uint8_t *b, size_t len)
{
	state_put(b + len - STATE_CRC_SIZE, STATE_CRC_SIZE, state_crc32(b, len - STATE_CRC_SIZE));
}

static void guest_setup(struct fvm *m)
{
	EXPECT_EQ(state_guest_setup(m), 0);
}

static void up(struct fvm *m, const struct fvm_opts *o)
{
	struct fvm_opts def = { 0 };

	if (fvm_init(m, o ? o : &def))
		FAILF("fvm_init failed");
}

/*
 * Restore b into m->hv: it must be refused with expect, and m's instance
 * must be exactly as before: the same save, nothing written to guest
 * memory, no callback that acts (kick, inject, timer, block, flush).
 */
static void refused(struct fvm *m, const char *what, const uint8_t *b, size_t len, int expect)
{
	size_t n0, n1;
	uint8_t *before = save(m->hv, &n0), *after;
	unsigned int writes = m->writes, injects = m->injects, timers = m->timer_calls;
	unsigned int blocks = m->blocks, kicks = m->kicks[0] + m->kicks[1], flushes = m->flushes[2];
	unsigned int records = m->records_calls;
	int ret = pvxhv_restore(m->hv, b, len);

	if (ret != expect)
		FAILF("%s: pvxhv_restore = %d (%s), expected %d (%s)", what, ret,
		      strerror(-ret), expect, strerror(-expect));
	after = save(m->hv, &n1);
	if (before && after && (n0 != n1 || memcmp(before, after, n0)))
		FAILF("%s: the refused restore changed the instance", what);
	if (m->writes != writes || m->injects != injects || m->timer_calls != timers ||
	    m->blocks != blocks || m->kicks[0] + m->kicks[1] != kicks || m->flushes[2] != flushes ||
	    m->records_calls != records)
		FAILF("%s: the refused restore made a callback that acts", what);
	free(before);
	free(after);
}

/* Refuse a copy of b with field (off, width) set to value, resealed. */
static void refused_with(struct fvm *m, const uint8_t *b, size_t len, const char *what,
			 size_t off, int width, uint64_t value, int expect)
{
	uint8_t *c = malloc(len);

	if (!c)
		return;
	memcpy(c, b, len);
	state_put(c + off, width, value);
	reseal(c, len);
	refused(m, what, c, len, expect);
	free(c);
}

/* ---- the round trip ---- */

static void test_round_trip(void)
{
	const uint64_t steal = 98765;
	uint32_t version, version2;
	uint64_t features, features2, deadline;
	struct pvx_vcpu_shared s0;
	struct pvx_time_info t1;
	unsigned int writes, blocks, injects;
	struct pvx_vcpu_shared s;
	uint8_t *pre3, want;
	size_t n, n2;
	uint8_t *b, *b2;

	up(&vm, NULL);
	guest_setup(&vm);
	EXPECT(pvxhv_negotiated(vm.hv, &version, &features));
	s0 = shared_at(&vm, PAGE0);
	t1 = time_at(&vm, STATE_TIME1);
	deadline = vm.timer[1];			/* in the VMM's own migration stream */
	b = save(vm.hv, &n);
	EXPECT_EQ(n, state_size(vm.cfg.nr_vcpus));
	if (!b)
		return;

	/* Destroy, create a new instance on the same (migrated) RAM, restore. */
	EXPECT_EQ(fvm_recreate(&vm), 0);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	writes = vm.writes;
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	EXPECT_EQ(vm.writes, writes);		/* nothing written at restore */
	b2 = save(vm.hv, &n2);
	EXPECT(b2 && n2 == n && !memcmp(b, b2, n));	/* the same state, byte for byte */
	free(b2);
	EXPECT(pvxhv_negotiated(vm.hv, &version2, &features2));
	EXPECT_EQ(version2, version);
	EXPECT_EQ(features2, features);

	/* The shared page is rewritten at the next entry, from this host's clock. */
	memset(fvm_host(&vm, PAGE0, PVX_PAGE_SIZE), 0, PVX_PAGE_SIZE);
	vm.now += 3 * 1000000000ull;
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, steal), 0);
	s = shared_at(&vm, PAGE0);
	EXPECT_EQ(s.vcpu_id, 0);
	EXPECT_EQ(s.flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_RECORD | PVX_VCPU_PV_EOI |
		  PVX_VCPU_WALL_CLOCK);
	EXPECT_EQ(s.time.system_time, vm.now);
	EXPECT_EQ(s.time.version, s0.time.version + 2);	/* the seqlocks continue */
	EXPECT_EQ(s.steal.steal, steal);
	EXPECT_EQ(s.steal.version, s0.steal.version + 2);
	EXPECT_EQ(s.wall_clock.version, s0.wall_clock.version + 2);
	/* vCPU 1's time record is where it was moved, its page's time left alone. */
	memset(fvm_host(&vm, STATE_TIME1, sizeof(t1)), 0, sizeof(t1));
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 1, 0), 0);
	EXPECT_EQ(shared_at(&vm, PAGE1).vcpu_id, 1);
	EXPECT_EQ(shared_at(&vm, PAGE1).flags & PVX_VCPU_TIME_VALID, 0);
	EXPECT_EQ(time_at(&vm, STATE_TIME1).system_time, vm.now);
	EXPECT_EQ(time_at(&vm, STATE_TIME1).version, t1.version + 2);

	/* The kick pending at save is pending: the next block returns at once. */
	blocks = vm.blocks;
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_block, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(vm.blocks, blocks);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_block, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(vm.blocks, blocks + 1);	/* consumed: this one blocked */

	/* The VMM re-arms its timer at deadline; its expiry injects the vector. */
	EXPECT(deadline == STATE_DEADLINE);
	injects = vm.injects;
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 1), 1);
	EXPECT_EQ(vm.injects, injects + 1);
	EXPECT_EQ(vm.inject_vcpu[injects], 1);
	EXPECT_EQ(vm.inject_vec[injects], STATE_VECTOR);
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 0), 0);	/* vCPU 0 had none */

	/* The flush deferred for vCPU 2 is reported at its next entry. */
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), PVXHV_ENTER_FLUSH_TLB);
	/*
	 * vCPU 3's steal record was marked preempted, and stays marked: a
	 * guest's flush request survives the VMM preempting it once more
	 * before it first runs here.
	 */
	pre3 = fvm_host(&vm, PAGE3 + OFF(steal.preempted), 1);
	want = PVX_STEAL_PREEMPTED;
	EXPECT(__atomic_compare_exchange_n(pre3, &want, PVX_STEAL_PREEMPTED | PVX_STEAL_FLUSH_TLB,
					   false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	EXPECT_EQ(pvxhv_vcpu_preempt(vm.hv, 3), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 3, 0), PVXHV_ENTER_FLUSH_TLB);
	EXPECT_EQ(*pre3, 0);
	free(b);
}

/*
 * Accessor mode restores the same blob to the same state, asking
 * guest_ram(): one negotiated without STEAL_RECORD, which it cannot offer.
 */
static void test_round_trip_accessor(void)
{
	struct fvm_opts o = { .accessor = true };
	unsigned int checks;
	size_t n, n2;
	uint8_t *b, *b2;

	up(&src, NULL);
	EXPECT_EQ(state_guest_setup_with(&src, ~PVX_FEATURE(STEAL_RECORD)), 0);
	b = save(src.hv, &n);
	up(&vm, &o);
	checks = vm.ram_checks;
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	EXPECT(vm.ram_checks > checks);
	b2 = save(vm.hv, &n2);
	EXPECT(b && b2 && n2 == n && !memcmp(b, b2, n));
	free(b);
	free(b2);
	fvm_fini(&src);
}

/*
 * Restore into a used instance: as if reset, then loaded.  Its own page,
 * kick and timer are gone, and its old page is not written.
 */
static void test_restore_into_used_instance(void)
{
	const uint64_t old_page = 0xa000;
	unsigned int writes, blocks;
	size_t n, n2;
	uint8_t *b, *b2;

	up(&src, NULL);
	EXPECT_EQ(fvm_negotiate(&src, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	b = save(src.hv, &n);
	up(&vm, NULL);
	guest_setup(&vm);
	EXPECT_EQ(fvm_call(&vm, 3, PVX_HC_register_shared_page, old_page, 0, 0, 0, 0), 0);
	writes = vm.writes;
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	b2 = save(vm.hv, &n2);
	EXPECT(b && b2 && n2 == n && !memcmp(b, b2, n));
	for (uint32_t i = 0; i < vm.cfg.nr_vcpus; i++)
		EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, i, 0), 0);	/* no deferred flush left */
	EXPECT_EQ(vm.writes, writes);			/* no page registered, none written */
	blocks = vm.blocks;
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_block, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(vm.blocks, blocks + 1);		/* no kick pending */
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 1), 0);	/* no timer armed */
	free(b);
	free(b2);

	/* A blob saved before negotiation un-negotiates. */
	pvxhv_reset(src.hv);
	b = save(src.hv, &n);
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_sched_yield, 0, 0, 0, 0, 0), -PVX_EPERM);
	free(b);
	fvm_fini(&src);
}

/* The time record's (clock, TSC) pair is this host's: none survives a restore. */
static void test_no_time_pair_carried(void)
{
	struct fvm_opts o = { .tsc_khz = 2000000 };
	size_t n;
	uint8_t *b;

	up(&vm, &o);
	vm.tsc = 777;
	EXPECT_EQ(fvm_negotiate(&vm, PVX_ABI_VERSION_LATEST, ~0ull), 0);
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_register_shared_page, PAGE0, 0, 0, 0, 0), 0);
	EXPECT_EQ(shared_at(&vm, PAGE0).time.tsc_timestamp, 777);
	b = save(vm.hv, &n);
	/* Restored into the same instance, on a host whose guest TSC reads 555. */
	vm.tsc = 555;
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, 0), 0);
	EXPECT_EQ(shared_at(&vm, PAGE0).time.tsc_timestamp, 555);
	EXPECT_EQ(shared_at(&vm, PAGE0).time.system_time, vm.now);
	free(b);
}

/* ---- the calls' own arguments ---- */

static void test_save_arguments(void)
{
	int64_t n;
	uint8_t *b;

	up(&vm, NULL);
	n = pvxhv_save(vm.hv, NULL, 0);
	EXPECT_EQ(n, state_size(vm.cfg.nr_vcpus));
	EXPECT_EQ(pvxhv_save(NULL, NULL, 0), -EINVAL);
	EXPECT_EQ(pvxhv_save(vm.hv, NULL, (size_t)n), -EINVAL);
	b = malloc((size_t)n);
	if (!b)
		return;
	/* Too small: the size needed, and not a byte written. */
	memset(b, 0xa5, (size_t)n);
	EXPECT_EQ(pvxhv_save(vm.hv, b, (size_t)n - 1), n);
	for (int64_t i = 0; i < n; i++)
		if (b[i] != 0xa5)
			FAILF("a too-small save wrote byte %lld", (long long)i);
	EXPECT_EQ(pvxhv_save(vm.hv, b, (size_t)n), n);
	EXPECT_EQ(STATE_GET(b, 0, state_hdr, magic), STATE_MAGIC);
	EXPECT_EQ(STATE_GET(b, 0, state_hdr, format), STATE_FORMAT);
	EXPECT_EQ(STATE_GET(b, 0, state_hdr, length), n);
	EXPECT_EQ(STATE_GET(b, 0, state_hdr, nr_vcpus), vm.cfg.nr_vcpus);
	EXPECT_EQ(state_get(b + n - STATE_CRC_SIZE, STATE_CRC_SIZE), state_crc32(b, (size_t)n - STATE_CRC_SIZE));
	EXPECT_EQ(pvxhv_restore(NULL, b, (size_t)n), -EINVAL);
	refused(&vm, "buf NULL", NULL, (size_t)n, -EINVAL);
	free(b);
}

/* The checksum is CRC-32 as zlib computes it ("123456789" -> cbf43926). */
static void test_crc32_standard(void)
{
	EXPECT_EQ(state_crc32("123456789", 9), 0xcbf43926u);
	EXPECT_EQ(state_crc32("", 0), 0);
}

/* ---- refusals: each leaves the instance unchanged ---- */

static void test_refuse_corrupt(void)
{
	size_t n;
	uint8_t *b, *c;

	up(&src, NULL);
	guest_setup(&src);
	b = save(src.hv, &n);
	up(&vm, NULL);
	guest_setup(&vm);
	EXPECT_EQ(pvxhv_kick(vm.hv, 3), 0);	/* a target state of its own */
	c = calloc(1, n + 1);
	if (!b || !c)
		return;

	memcpy(c, b, n);
	memcpy(c, "QEMU", 4);
	refused(&vm, "foreign magic", c, n, -ENOMSG);
	for (size_t len = 0; len < n; len++)
		refused(&vm, "truncated", b, len, -EBADMSG);
	memcpy(c, b, n);
	refused(&vm, "a byte too long", c, n + 1, -EBADMSG);
	c[n - 1] ^= 1;
	refused(&vm, "checksum", c, n, -EBADMSG);

	/* Newer format: refused even before its length and checksum are read. */
	refused_with(&vm, b, n, "newer format", HDR(format), STATE_FORMAT + 1, -EPROTONOSUPPORT);
	memcpy(c, b, n);
	state_put(c + offsetof(struct state_hdr, format), STATE_WIDTH(state_hdr, format), STATE_FORMAT + 1);
	refused(&vm, "newer format, old checksum", c, n, -EPROTONOSUPPORT);
	refused_with(&vm, b, n, "other ABI major", HDR(abi_version),
		     PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR + 1, 0), -EPROTONOSUPPORT);

	/* Fields no library saves, with a valid checksum. */
	refused_with(&vm, b, n, "length field", HDR(length), n - 1, -EBADMSG);
	refused_with(&vm, b, n, "reserved0", HDR(reserved0), 1, -EBADMSG);
	refused_with(&vm, b, n, "reserved1", HDR(reserved1), 1, -EBADMSG);
	refused_with(&vm, b, n, "nr_vcpus vs length", HDR(nr_vcpus), src.cfg.nr_vcpus + 1, -EBADMSG);
	refused_with(&vm, b, n, "negotiated 2", HDR(negotiated), 2, -EBADMSG);
	refused_with(&vm, b, n, "negotiated version of another major", HDR(neg_version),
		     PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR + 1, 0), -EBADMSG);
	refused_with(&vm, b, n, "negotiated above served", HDR(neg_version),
		     STATE_GET(b, 0, state_hdr, abi_version) + 1, -EBADMSG);
	refused_with(&vm, b, n, "feature unknown in the version", HDR(neg_features),
		     STATE_GET(b, 0, state_hdr, neg_features) | (1ull << 63), -EBADMSG);
	refused_with(&vm, b, n, "vCPU flags", VCPU(0, flags), STATE_VF_ALL + 1, -EBADMSG);
	refused_with(&vm, b, n, "timer vector below the minimum", VCPU(1, timer_vector),
		     PVX_VECTOR_MIN - 1, -EBADMSG);
	refused_with(&vm, b, n, "timer vector above 255", VCPU(1, timer_vector), 256, -EBADMSG);
	refused_with(&vm, b, n, "odd time seqlock", VCPU(0, time_version),
		     STATE_GET(b, STATE_VCPU_AT(0), state_vcpu, time_version) | 1, -EBADMSG);
	refused_with(&vm, b, n, "odd steal seqlock", VCPU(0, steal_version),
		     STATE_GET(b, STATE_VCPU_AT(0), state_vcpu, steal_version) | 1, -EBADMSG);
	refused_with(&vm, b, n, "one page, two owners", VCPU(1, shared_gpa), PAGE0, -EBADMSG);
	refused_with(&vm, b, n, "odd steal record seqlock", VCPU(0, steal_rec_version),
		     STATE_GET(b, STATE_VCPU_AT(0), state_vcpu, steal_rec_version) | 1, -EBADMSG);
	refused_with(&vm, b, n, "odd wall clock seqlock", VCPU(0, wall_version),
		     STATE_GET(b, STATE_VCPU_AT(0), state_vcpu, wall_version) | 1, -EBADMSG);
	refused_with(&vm, b, n, "a time record without a page", VCPU(2, time_gpa), 0x5040, -EBADMSG);
	refused_with(&vm, b, n, "a steal mark without preempted", VCPU(3, flags),
		     STATE_VF_STEAL_MARKED, -EBADMSG);
	refused_with(&vm, b, n, "a steal mark without a page", VCPU(2, flags),
		     STATE_VF_ALL, -EBADMSG);
	refused_with(&vm, b, n, "format 0", HDR(format), 0, -EPROTONOSUPPORT);

	/* Features the blob did not negotiate. */
	refused_with(&vm, b, n, "timer without TIMER", HDR(neg_features),
		     STATE_GET(b, 0, state_hdr, neg_features) & ~PVX_FEATURE(TIMER), -EBADMSG);
	refused_with(&vm, b, n, "page without SHARED_PAGE", HDR(neg_features),
		     STATE_GET(b, 0, state_hdr, neg_features) & ~PVX_FEATURE(SHARED_PAGE), -EBADMSG);
	refused_with(&vm, b, n, "deferred flush without FLUSH_TLB", HDR(neg_features),
		     STATE_GET(b, 0, state_hdr, neg_features) & ~PVX_FEATURE(FLUSH_TLB), -EBADMSG);
	refused_with(&vm, b, n, "moved time record without STABLE_TIME", HDR(neg_features),
		     STATE_GET(b, 0, state_hdr, neg_features) & ~PVX_FEATURE(STABLE_TIME), -EBADMSG);
	refused_with(&vm, b, n, "steal mark without STEAL_RECORD", HDR(neg_features),
		     STATE_GET(b, 0, state_hdr, neg_features) & ~PVX_FEATURE(STEAL_RECORD), -EBADMSG);

	/* The blob itself is fine: each refusal was the patch's. */
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	free(b);

	/* A blob saved before negotiation has nothing a hypercall sets. */
	pvxhv_reset(src.hv);
	b = save(src.hv, &n);
	if (!b)
		return;
	refused_with(&vm, b, n, "not negotiated, a version", HDR(neg_version),
		     PVX_ABI_VERSION_LATEST, -EBADMSG);
	refused_with(&vm, b, n, "not negotiated, features", HDR(neg_features), 1, -EBADMSG);
	refused_with(&vm, b, n, "not negotiated, a page", VCPU(2, shared_gpa), PAGE0, -EBADMSG);
	refused_with(&vm, b, n, "not negotiated, a timer", VCPU(2, timer_vector), STATE_VECTOR, -EBADMSG);
	refused_with(&vm, b, n, "not negotiated, a deferred flush", VCPU(2, flags),
		     STATE_VF_FLUSH_PENDING, -EBADMSG);
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	free(b);
	free(c);
	fvm_fini(&src);
}

/* Blobs that are fine but do not fit the restoring instance. */
static void test_refuse_mismatch(void)
{
	struct fvm_opts two = { .nr_vcpus = 2 };
	struct fvm_opts older = { .abi_version = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR,
								  PVX_ABI_VERSION_MINOR - 1) };
	struct fvm_opts accessor = { .accessor = true };
	size_t n, n2;
	uint8_t *b, *b2;

	up(&src, NULL);
	guest_setup(&src);
	b = save(src.hv, &n);
	if (!b)
		return;

	up(&vm, &two);
	refused(&vm, "other nr_vcpus", b, n, -ERANGE);
	fvm_fini(&vm);

	/* A host serving an older minor than the guest negotiated. */
	EXPECT(PVX_ABI_VERSION_MINOR > 0);
	up(&vm, &older);
	refused(&vm, "negotiated version not offered", b, n, -EOPNOTSUPP);
	fvm_fini(&vm);

	/* A host that does not offer a negotiated feature. */
	up(&vm, NULL);
	vm.cfg.features = ~PVX_FEATURE(CONSOLE);
	EXPECT_EQ(fvm_recreate(&vm), 0);
	refused(&vm, "negotiated feature not offered", b, n, -EOPNOTSUPP);
	fvm_fini(&vm);

	/* A host that does not offer STEAL_RECORD: accessor mode. */
	up(&vm, &accessor);
	refused(&vm, "negotiated STEAL_RECORD, accessor mode", b, n, -EOPNOTSUPP);
	fvm_fini(&vm);

	/* A host whose guest RAM ends below vCPU 1's page, or its moved time record. */
	up(&vm, NULL);
	vm.regions[0].size = PAGE1;
	EXPECT_EQ(fvm_recreate(&vm), 0);
	refused(&vm, "page not RAM here", b, n, -EFAULT);
	vm.regions[0].size = STATE_TIME1 & ~(uint64_t)(PVX_PAGE_SIZE - 1);
	EXPECT_EQ(fvm_recreate(&vm), 0);
	refused(&vm, "time record not RAM here", b, n, -EFAULT);
	fvm_fini(&vm);

	/* Accessor mode: guest_ram() says no (ROM over vCPU 0's page). */
	fvm_fini(&src);
	up(&src, NULL);
	EXPECT_EQ(state_guest_setup_with(&src, ~PVX_FEATURE(STEAL_RECORD)), 0);
	b2 = save(src.hv, &n2);
	up(&vm, &accessor);
	vm.rom_lo = PAGE0;
	vm.rom_hi = PAGE0 + PVX_PAGE_SIZE;
	if (b2)
		refused(&vm, "page is ROM here", b2, n2, -EFAULT);
	free(b2);
	fvm_fini(&vm);

	/* Pages no instance has. */
	up(&vm, NULL);
	refused_with(&vm, b, n, "misaligned page", VCPU(0, shared_gpa), PAGE0 + 8, -EFAULT);
	refused_with(&vm, b, n, "page beyond RAM", VCPU(0, shared_gpa), FVM_LOW_SIZE, -EFAULT);
	refused_with(&vm, b, n, "page wraps", VCPU(0, shared_gpa), 0ull - PVX_PAGE_SIZE / 2, -EFAULT);
	refused_with(&vm, b, n, "misaligned time record", VCPU(1, time_gpa), STATE_TIME1 + 8, -EFAULT);
	refused_with(&vm, b, n, "time record beyond RAM", VCPU(1, time_gpa), FVM_LOW_SIZE, -EFAULT);
	free(b);
	fvm_fini(&src);
}

/*
 * A blob of API 3 (format 1): restored, it is the state it was, saved
 * again in this library's format with each of its fields as it was.
 */
static void test_restore_api3_blob(void)
{
	const size_t n1 = sizeof(state_api3_blob), hdr_same = offsetof(struct state_hdr, nr_vcpus);
	uint8_t c[sizeof(state_api3_blob)], *b;
	struct pvx_vcpu_shared s;
	uint32_t version;
	uint64_t features;
	unsigned int blocks, injects;
	size_t n;

	up(&vm, NULL);
	EXPECT_EQ(STATE_GET(state_api3_blob, 0, state_hdr, format), 1);
	EXPECT_EQ(n1, state_size_in(1, vm.cfg.nr_vcpus));
	EXPECT_EQ(pvxhv_restore(vm.hv, state_api3_blob, n1), 0);
	EXPECT(pvxhv_negotiated(vm.hv, &version, &features));
	EXPECT_EQ(version, PVX_ABI_VERSION(1, 1));
	EXPECT_EQ(features, pvx_features_known_in(PVX_ABI_VERSION(1, 1)));
	b = save(vm.hv, &n);
	if (!b)
		return;
	EXPECT_EQ(STATE_GET(b, 0, state_hdr, format), STATE_FORMAT);
	EXPECT(!memcmp(b + hdr_same, state_api3_blob + hdr_same, sizeof(struct state_hdr) - hdr_same));
	for (uint32_t i = 0; i < vm.cfg.nr_vcpus; i++) {
		EXPECT(!memcmp(b + STATE_VCPU_AT(i), state_api3_blob + STATE_VCPU_AT_IN(1, i),
			       STATE_VCPU_SIZE_1));
		EXPECT_EQ(STATE_GET(b, STATE_VCPU_AT(i), state_vcpu, time_gpa), PVX_GPA_NONE);
		EXPECT_EQ(STATE_GET(b, STATE_VCPU_AT(i), state_vcpu, steal_rec_version), 0);
		EXPECT_EQ(STATE_GET(b, STATE_VCPU_AT(i), state_vcpu, wall_version), 0);
	}
	free(b);
	/* It runs as the 1.1 guest it was. */
	memset(fvm_host(&vm, PAGE0, PVX_PAGE_SIZE), 0, PVX_PAGE_SIZE);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 0, STATE_STEAL), 0);
	s = shared_at(&vm, PAGE0);
	EXPECT_EQ(s.size, shared_size_in(PVX_ABI_VERSION(1, 1)));
	EXPECT_EQ(s.flags, PVX_VCPU_TIME_VALID | PVX_VCPU_STEAL_VALID);
	EXPECT_EQ(s.time.version, STATE_GET(state_api3_blob, STATE_VCPU_AT_IN(1, 0), state_vcpu,
					    time_version) + 2);
	EXPECT_EQ(s.steal_ns, STATE_STEAL);
	blocks = vm.blocks;
	EXPECT_EQ(fvm_call(&vm, 0, PVX_HC_block, 0, 0, 0, 0, 0), 0);
	EXPECT_EQ(vm.blocks, blocks);			/* its kick */
	injects = vm.injects;
	EXPECT_EQ(pvxhv_timer_expired(vm.hv, 1), 1);
	EXPECT_EQ(vm.inject_vec[injects], STATE_VECTOR);
	EXPECT_EQ(pvxhv_vcpu_enter(vm.hv, 2, 0), PVXHV_ENTER_FLUSH_TLB);

	/* Format 1 as format 1 was: no steal mark, its own length. */
	memcpy(c, state_api3_blob, n1);
	state_put(c + STATE_VCPU_AT_IN(1, 2) + offsetof(struct state_vcpu, flags), 4,
		  STATE_VF_ALL_1 | STATE_VF_STEAL_MARKED);
	reseal(c, n1);
	refused(&vm, "format 1 with a steal mark", c, n1, -EBADMSG);
	memcpy(c, state_api3_blob, n1);
	state_put(c + offsetof(struct state_hdr, format), 2, STATE_FORMAT);
	reseal(c, n1);
	refused(&vm, "format 1's length as this format", c, n1, -EBADMSG);
}

/*
 * The destination's delegation: restore tells ops->records where the
 * restored pages put those records; a refused blob tells nothing.
 */
static void test_restore_tells_records(void)
{
	size_t n, n0;
	uint8_t *b, *b0;
	unsigned int calls;

	up(&src, NULL);
	b0 = save(src.hv, &n0);			/* nothing negotiated */
	guest_setup(&src);
	b = save(src.hv, &n);
	up(&vm, NULL);
	EXPECT_EQ(fvm_delegate(&vm, 1, ALL_RECORDS), 0);
	EXPECT_EQ(fvm_delegate(&vm, 3, PVXHV_RECORD(STEAL)), 0);
	if (!b || !b0)
		return;
	refused_with(&vm, b, n, "reserved1, delegating", HDR(reserved1), 1, -EBADMSG);
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	EXPECT_EQ(vm.records_calls, 2);
	EXPECT_EQ(vm.records[1][PVXHV_RECORD_TIME], STATE_TIME1);
	EXPECT_EQ(vm.records[1][PVXHV_RECORD_STEAL], PAGE1 + OFF(steal));
	EXPECT_EQ(vm.records[1][PVXHV_RECORD_EOI], PAGE1 + OFF(eoi));
	EXPECT_EQ(vm.records[1][PVXHV_RECORD_WALL_CLOCK], PAGE1 + OFF(wall_clock));
	EXPECT_EQ(vm.records[3][PVXHV_RECORD_STEAL], PAGE3 + OFF(steal));
	EXPECT(!vm.records_told[0] && !vm.records_told[2]);
	calls = vm.records_calls;
	EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);	/* the same again: nothing moved */
	EXPECT_EQ(vm.records_calls, calls);
	EXPECT_EQ(pvxhv_restore(vm.hv, b0, n0), 0);	/* nothing registered: nowhere */
	EXPECT_EQ(vm.records_calls, calls + 2);
	for (int r = 0; r < PVXHV_NR_RECORDS; r++)
		EXPECT(vm.records[1][r] == PVX_GPA_NONE && vm.records[3][r] == PVX_GPA_NONE);
	free(b);
	free(b0);
}

/* A save after a soft_reset (nothing negotiated, pages forgotten) restores. */
static void test_save_after_soft_reset(void)
{
	size_t n;
	uint8_t *b;

	up(&src, NULL);
	guest_setup(&src);
	EXPECT_EQ(fvm_call(&src, 3, PVX_HC_soft_reset, 0, 0, 0, 0, 0), 0);
	b = save(src.hv, &n);
	up(&vm, NULL);
	guest_setup(&vm);
	if (b)
		EXPECT_EQ(pvxhv_restore(vm.hv, b, n), 0);
	EXPECT(!pvxhv_negotiated(vm.hv, NULL, NULL));
	EXPECT_EQ(STATE_GET(b, STATE_VCPU_AT(1), state_vcpu, time_gpa), PVX_GPA_NONE);
	EXPECT_EQ(STATE_GET(b, STATE_VCPU_AT(1), state_vcpu, shared_gpa), PVX_GPA_NONE);
	EXPECT_EQ(STATE_GET(b, STATE_VCPU_AT(2), state_vcpu, flags), STATE_VF_PREEMPTED);
	free(b);
	fvm_fini(&src);
}

/*
 * Every byte changed to each of its 255 other values: refused, instance
 * unchanged.  The checksum covers every byte before it (a CRC-32 catches
 * any change within 32 bits) and is itself compared, so no single-byte
 * corruption may be accepted silently.
 */
static void test_refuse_every_byte_changed(void)
{
	char what[64];
	size_t n;
	uint8_t *b, *c;

	up(&src, NULL);
	guest_setup(&src);
	b = save(src.hv, &n);
	up(&vm, NULL);
	guest_setup(&vm);
	c = malloc(n);
	if (!b || !c)
		return;
	for (size_t i = 0; i < n && !cur_fail[0]; i++) {
		for (unsigned int x = 1; x < 256; x++) {
			int ret;

			memcpy(c, b, n);
			c[i] ^= (uint8_t)x;
			snprintf(what, sizeof(what), "byte %zu ^ 0x%02x", i, x);
			ret = pvxhv_restore(vm.hv, c, n);
			if (ret >= 0)
				FAILF("%s: accepted", what);
			refused(&vm, what, c, n, ret);	/* and the instance is unchanged */
		}
	}
	free(b);
	free(c);
	fvm_fini(&src);
}

static const struct test tests[] = {
	T(round_trip), T(round_trip_accessor), T(restore_into_used_instance),
	T(no_time_pair_carried), T(save_arguments), T(crc32_standard),
	T(refuse_corrupt), T(refuse_mismatch), T(refuse_every_byte_changed),
	T(restore_api3_blob), T(restore_tells_records), T(save_after_soft_reset),
};

static void after(void)
{
	if (vm.hv)
		fvm_fini(&vm);
	if (src.hv)
		fvm_fini(&src);
}

int main(int argc, char **argv)
{
	return run_tests(tests, ARRAY_SIZE(tests), "state", argc, argv, after);
}
