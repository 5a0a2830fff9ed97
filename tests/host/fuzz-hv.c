// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target over (hypercall number, registers, guest-memory image).
 *
 * Input: a header (setup flags, negotiated version and the records every
 * vCPU delegates, features), up to four hypercalls (vCPU, number,
 * argument registers drawn from encodings that favour interesting
 * addresses), and the rest is the guest RAM image.
 * Beyond ASan/UBSan, it checks the library's promises: every result is a
 * success or an error the call's checks document (fvm_call), no callback
 * runs under an internal lock, callbacks only see valid vCPUs, vectors
 * and lengths (fakevm.h), and the instance still serves a valid call at
 * the end.
 *
 * Racing mode (PVX_FUZZ_RACE=1): the last hypercall runs while a second
 * thread keeps rewriting the guest memory its arguments point at.  The
 * library is built with PVXHV_TEST_HOOKS, so every copy it takes of guest
 * memory is logged.  Then:
 *   1. no guest byte was fetched twice within one dispatch (one decision
 *      = one copy: no double fetch);
 *   2. replaying the same sequence on a quiet guest whose memory holds
 *      exactly the bytes the library copied gives the same result, the
 *      same callbacks and the same writes: every decision was made on
 *      that one consistent copy, never on live guest memory.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "fakevm.h"
#include "internal.h"

#define MAX_CALLS	4
#define LOG_BYTES	(2u << 20)
#define LOG_MAX		4096

struct call { uint32_t vcpu; uint64_t nr, a[PVX_HC_MAX_ARGS]; };
struct prog {
	uint8_t flags;
	uint32_t nr_vcpus, version, delegated;
	uint64_t features;
	unsigned int ncalls;
	struct call calls[MAX_CALLS];
	const uint8_t *image;
	size_t image_len;
};

struct in { const uint8_t *p; size_t n; };

static uint8_t rd8(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t rdn(struct in *in, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)rd8(in) << (8 * i);
	return v;
}

static uint64_t rd_arg(struct in *in)
{
	uint8_t sel = rd8(in);

	switch (sel & 7) {
	case 0: return 0;
	case 1: return rd8(in);
	case 2: return rdn(in, 2) * 4;				/* low RAM */
	case 3: return FVM_TOP_GPA + rdn(in, 2);		/* top of memory */
	case 4: return rdn(in, 8);				/* anything */
	case 5: return rd8(in) % FVM_MAX_VCPUS;		/* vCPU ids */
	case 6: return rdn(in, 1) * PVX_PAGE_SIZE - (sel >> 3);	/* near page ends */
	default: return 0 - rdn(in, 1);			/* near 2^64 */
	}
}

/* The numbers drawn: every hypercall's, up to one above the highest. */
static uint64_t nr_drawn(void)
{
	static const uint64_t nrs[] = {
#define NR(since, name, nr, ...) nr,
		PVX_HYPERCALLS(NR)
#undef NR
	};
	uint64_t n = 0;

	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (nrs[i] + 2 > n)
			n = nrs[i] + 2;
	return n;
}

static void decode(const uint8_t *data, size_t size, struct prog *p)
{
	static const uint32_t minors[] = { 0, 1, PVX_ABI_VERSION_MINOR, 7 };
	struct in in = { data, size };
	uint8_t v;

	memset(p, 0, sizeof(*p));
	p->flags = rd8(&in);
	p->nr_vcpus = 1 + ((p->flags >> 4) & 7);
	v = rd8(&in);
	p->version = PVX_ABI_VERSION(1, minors[v & 3]);
	p->delegated = (v >> 2) & ((1u << PVXHV_NR_RECORDS) - 1);
	p->features = rdn(&in, 1) | ((uint64_t)rd8(&in) << 56);
	p->ncalls = rd8(&in) % (MAX_CALLS + 1);
	for (unsigned int i = 0; i < p->ncalls; i++) {
		struct call *c = &p->calls[i];
		uint8_t b = rd8(&in), used = rd8(&in) % (PVX_HC_MAX_ARGS + 1);

		c->vcpu = rd8(&in) % p->nr_vcpus;
		c->nr = b < 0xf0 ? b % nr_drawn() : rdn(&in, 8);
		for (unsigned int j = 0; j < used; j++)
			c->a[j] = rd_arg(&in);
	}
	p->image = in.p;
	p->image_len = in.n;
}

static bool documented(int64_t r)
{
	if (r >= 0)
		return true;
	switch (-r) {
#define ERR(since, name, value, doc) case value:
	PVX_ERRORS(ERR)
#undef ERR
		return true;
	}
	return false;
}

/* Build the VM and run the prelude the header asks for. */
static void setup(struct fvm *vm, const struct prog *p, bool accessor)
{
	struct fvm_opts o = { .nr_vcpus = p->nr_vcpus, .accessor = accessor,
			      .tsc_khz = (p->flags & 0x80) ? 2500000 : 0 };

	if (fvm_init(vm, &o))
		abort();
	for (uint32_t v = 0; v < p->nr_vcpus; v++)
		FVM_ASSERT(vm, fvm_delegate(vm, v, p->delegated) == 0);
	memcpy(vm->low, p->image, p->image_len < FVM_LOW_SIZE ? p->image_len : FVM_LOW_SIZE);
	if (p->image_len)
		memcpy(vm->top + FVM_TOP_SIZE - PVX_PAGE_SIZE, p->image,
		       p->image_len < PVX_PAGE_SIZE ? p->image_len : PVX_PAGE_SIZE);
	if (p->flags & 1) {
		struct pvx_negotiate n = { .size = sizeof(n), .version = p->version,
					   .features = ~p->features };
		uint64_t gpa = FVM_LOW_SIZE - PVX_PAGE_SIZE;
		int64_t r;

		memcpy(vm->low + gpa, &n, sizeof(n));
		r = fvm_call(vm, 0, PVX_HC_negotiate, gpa, 0, 0, 0, 0);
		FVM_ASSERT(vm, r == 0);
	}
	if (p->flags & 4)
		fvm_call(vm, 0, PVX_HC_register_shared_page, FVM_LOW_SIZE - 2 * PVX_PAGE_SIZE, 0, 0, 0, 0);
	if (p->flags & 8 && p->nr_vcpus > 1)
		pvxhv_vcpu_preempt(vm->hv, 1);
}

static void finish(struct fvm *vm, const struct prog *p)
{
	/* Whatever happened, the instance still serves a valid call. */
	if (pvxhv_negotiated(vm->hv, NULL, NULL))
		FVM_ASSERT(vm, fvm_call(vm, 0, PVX_HC_sched_yield, 0, 0, 0, 0, 0) == 0);
	for (uint32_t v = 0; v < p->nr_vcpus; v++) {
		FVM_ASSERT(vm, pvxhv_vcpu_enter(vm->hv, v, 1) >= 0);
		pvxhv_timer_expired(vm->hv, v);
	}
	fvm_fini(vm);
}

/* ---- racing mode ---- */

static bool racing;

/* The fetch log of the current run. */
static struct {
	bool		on;		/* log fetches */
	bool		hash_stores;	/* hash what the library writes */
	uint64_t	store_hash;
	uint64_t	epoch;
	unsigned int	n;
	size_t		bytes;
	bool		overflow;
	struct { uint64_t epoch, gpa; size_t len, at; } e[LOG_MAX];
	uint8_t		data[LOG_BYTES];
} flog;

static void log_fetch(uint64_t gpa, const void *buf, size_t len)
{
	if (!flog.on)
		return;
	if (flog.n == LOG_MAX || LOG_BYTES - flog.bytes < len) {
		flog.overflow = true;
		return;
	}
	flog.e[flog.n].epoch = flog.epoch;
	flog.e[flog.n].gpa = gpa;
	flog.e[flog.n].len = len;
	flog.e[flog.n].at = flog.bytes;
	memcpy(flog.data + flog.bytes, buf, len);
	flog.bytes += len;
	flog.n++;
}

void pvxhv_test_fetch(void *opaque, uint64_t gpa, const void *copy, size_t len)
{
	(void)opaque;
	log_fetch(gpa, copy, len);
}

void pvxhv_test_store(void *opaque, uint64_t gpa, const void *src, size_t len)
{
	const uint8_t *b = src;

	(void)opaque;
	if (!flog.hash_stores)
		return;
	flog.store_hash = (flog.store_hash ^ gpa ^ (len << 48)) * 0x100000001b3ull;
	for (size_t i = 0; i < len; i++)
		flog.store_hash = (flog.store_hash ^ b[i]) * 0x100000001b3ull;
}

void pvxhv_test_dispatch(void *opaque, uint64_t nr)
{
	(void)opaque;
	(void)nr;
	flog.epoch++;
}

void pvxhv_test_point(void *opaque, int point, uint32_t vcpu)
{
	(void)opaque;
	(void)point;
	(void)vcpu;
}

/*
 * The mutator: while the flag is up it keeps changing one byte at a time
 * of the hot ranges (guest memory the arguments point at) and putting it
 * back, so the guest's structures stay mostly valid (the library gets far
 * into its checks) yet any byte may differ between two reads.
 */
static struct {
	pthread_t	thread;
	uint8_t *_Atomic mem;
	atomic_uint	run, busy;
	uint64_t	lo[PVX_HC_MAX_ARGS], hi[PVX_HC_MAX_ARGS];
	atomic_uint	nranges;
	atomic_ulong	flips;
} mut;

static void *mutator(void *unused)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	(void)unused;
	for (;;) {
		if (!atomic_load(&mut.run)) {
			atomic_store(&mut.busy, 0);
			nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
			continue;
		}
		atomic_store(&mut.busy, 1);
		if (!atomic_load(&mut.run))
			continue;
		uint8_t *mem = atomic_load(&mut.mem);
		unsigned int n = atomic_load(&mut.nranges);

		for (unsigned int r = 0; r < n && mem; r++) {
			for (uint64_t a = mut.lo[r]; a < mut.hi[r]; a++) {
				uint8_t old = __atomic_load_n(&mem[a], __ATOMIC_RELAXED);

				x ^= x << 13; x ^= x >> 7; x ^= x << 17;
				__atomic_store_n(&mem[a], (uint8_t)(old ^ (1u << (x & 7)) ^ (x >> 61)),
						 __ATOMIC_RELAXED);
				for (volatile int spin = 0; spin < (int)(x >> 58); spin++)
					;
				__atomic_store_n(&mem[a], old, __ATOMIC_RELAXED);
			}
		}
		atomic_fetch_add(&mut.flips, 1);
	}
	return NULL;
}

static void mutator_start(struct fvm *vm, const struct call *c)
{
	unsigned int n = 0;

	for (int i = 0; i < PVX_HC_MAX_ARGS; i++) {
		if (c->a[i] >= FVM_LOW_SIZE)
			continue;
		mut.lo[n] = c->a[i];
		mut.hi[n] = c->a[i] + 512 < FVM_LOW_SIZE ? c->a[i] + 512 : FVM_LOW_SIZE;
		n++;
	}
	atomic_store(&mut.nranges, n);
	atomic_store(&mut.mem, vm->low);
	atomic_store(&mut.run, 1);
	while (n && !atomic_load(&mut.busy))
		;
}

static void mutator_stop(void)
{
	atomic_store(&mut.run, 0);
	while (atomic_load(&mut.busy))
		;
	atomic_store(&mut.mem, NULL);
}

/* What a run did: compared between the racing run and its replay. */
struct outcome {
	int64_t result;
	uint64_t stores;
	struct fvm rec;
};

static void snapshot(struct outcome *o, const struct fvm *vm, int64_t r)
{
	o->result = r;
	o->stores = flog.store_hash;
	o->rec = *vm;
}

#define SAME(f) (a->rec.f == b->rec.f)
static bool same(const struct outcome *a, const struct outcome *b)
{
	bool ok = a->result == b->result && a->stores == b->stores && SAME(yields) && SAME(blocks) &&
		  SAME(block_deadline) && SAME(injects) && SAME(timer_calls) &&
		  SAME(console_len) && SAME(console_calls) && SAME(shutdowns) &&
		  SAME(shutdown_reason) && SAME(shutdown_code) && SAME(records_calls);

	ok = ok && !memcmp(a->rec.kicks, b->rec.kicks, sizeof(a->rec.kicks)) &&
	     !memcmp(a->rec.flushes, b->rec.flushes, sizeof(a->rec.flushes)) &&
	     !memcmp(a->rec.timer, b->rec.timer, sizeof(a->rec.timer)) &&
	     !memcmp(a->rec.inject_vcpu, b->rec.inject_vcpu, sizeof(a->rec.inject_vcpu)) &&
	     !memcmp(a->rec.inject_vec, b->rec.inject_vec, sizeof(a->rec.inject_vec)) &&
	     !memcmp(a->rec.records, b->rec.records, sizeof(a->rec.records)) &&
	     !memcmp(a->rec.console, b->rec.console, a->rec.console_len);
	return ok;
}

static void check_no_double_fetch(void)
{
	for (unsigned int i = 0; i < flog.n; i++) {
		for (unsigned int j = i + 1; j < flog.n && flog.e[j].epoch == flog.e[i].epoch; j++) {
			if (flog.e[i].gpa < flog.e[j].gpa + flog.e[j].len &&
			    flog.e[j].gpa < flog.e[i].gpa + flog.e[i].len) {
				fprintf(stderr, "double fetch in one dispatch: [%#lx+%zu] and [%#lx+%zu]\n",
					(unsigned long)flog.e[i].gpa, flog.e[i].len,
					(unsigned long)flog.e[j].gpa, flog.e[j].len);
				abort();
			}
		}
	}
}

/* Put the bytes the racing run copied into the replay's memory. */
static bool patch_fetched(struct fvm *vm)
{
	for (unsigned int i = 0; i < flog.n; i++) {
		uint8_t *h;

		h = fvm_host(vm, flog.e[i].gpa, flog.e[i].len);
		FVM_ASSERT(vm, h);
		/* Two dispatches (multicall entries) copied one byte differently. */
		for (unsigned int j = 0; j < i; j++)
			if (flog.e[j].gpa < flog.e[i].gpa + flog.e[i].len &&
			    flog.e[i].gpa < flog.e[j].gpa + flog.e[j].len)
				return false;
		memcpy(h, flog.data + flog.e[i].at, flog.e[i].len);
	}
	return true;
}

static struct outcome raced, replayed;
static unsigned long race_runs, race_replays;

static void run_racing(const struct prog *p)
{
	static struct fvm vm;
	unsigned int last = p->ncalls - 1;

	if (!p->ncalls)
		return;
	/* The racing run: quiet prefix, then the last call under mutation. */
	setup(&vm, p, false);
	for (unsigned int i = 0; i < last; i++)
		fvm_call_n(&vm, p->calls[i].vcpu, p->calls[i].nr, p->calls[i].a, PVX_HC_MAX_ARGS);
	memset(&flog, 0, offsetof(__typeof__(flog), e));
	flog.on = flog.hash_stores = true;
	mutator_start(&vm, &p->calls[last]);
	int64_t r = fvm_call_n(&vm, p->calls[last].vcpu, p->calls[last].nr, p->calls[last].a,
			       PVX_HC_MAX_ARGS);
	mutator_stop();
	flog.on = flog.hash_stores = false;
	snapshot(&raced, &vm, r);
	FVM_ASSERT(&vm, documented(r));
	fvm_fini(&vm);
	race_runs++;
	if (flog.overflow)
		return;
	check_no_double_fetch();

	/* The replay: same prefix on a quiet guest, then the copied bytes. */
	setup(&vm, p, false);
	for (unsigned int i = 0; i < last; i++)
		fvm_call_n(&vm, p->calls[i].vcpu, p->calls[i].nr, p->calls[i].a, PVX_HC_MAX_ARGS);
	if (!patch_fetched(&vm)) {
		fvm_fini(&vm);
		return;
	}
	flog.store_hash = 0;
	flog.hash_stores = true;
	r = fvm_call_n(&vm, p->calls[last].vcpu, p->calls[last].nr, p->calls[last].a, PVX_HC_MAX_ARGS);
	flog.hash_stores = false;
	snapshot(&replayed, &vm, r);
	fvm_fini(&vm);
	race_replays++;
	if (!same(&raced, &replayed)) {
		fprintf(stderr, "racing: nr %lu decided %ld on live memory, %ld on its copy\n",
			(unsigned long)p->calls[last].nr, (long)raced.result, (long)replayed.result);
		abort();
	}
}

static void report(void)
{
	if (racing)
		fprintf(stderr, "racing: %lu racing runs, %lu replayed and identical, %lu mutator passes\n",
			race_runs, race_replays, (unsigned long)atomic_load(&mut.flips));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	racing = getenv("PVX_FUZZ_RACE") && atoi(getenv("PVX_FUZZ_RACE"));
	if (racing && pthread_create(&mut.thread, NULL, mutator, NULL))
		abort();
	atexit(report);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fvm vm;
	struct prog p;

	decode(data, size, &p);
	if (racing) {
		run_racing(&p);
		return 0;
	}
	setup(&vm, &p, p.flags & 2);
	for (unsigned int i = 0; i < p.ncalls; i++) {
		int64_t r = fvm_call_n(&vm, p.calls[i].vcpu, p.calls[i].nr, p.calls[i].a,
				       PVX_HC_MAX_ARGS);

		FVM_ASSERT(&vm, documented(r));
	}
	finish(&vm, &p);
	return 0;
}
