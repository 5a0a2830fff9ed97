/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake VMM for the host tests, fuzzers and bench: guest RAM in two
 * regions (low RAM at 0 and one 64 KiB region ending at the top of the
 * address space), callbacks that record what the library asked for, and
 * clocks the test sets.
 */
#ifndef PVX_TESTS_FAKEVM_H
#define PVX_TESTS_FAKEVM_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvxhv.h>

#define FVM_LOW_SIZE	(256 * 1024ull)			/* gpa 0 .. 256 KiB */
#define FVM_TOP_SIZE	(64 * 1024ull)
#define FVM_TOP_GPA	(0ull - FVM_TOP_SIZE)		/* last 64 KiB of 2^64 */
#define FVM_MAX_VCPUS	8
#define FVM_LOG		64

struct fvm {
	struct pvxhv		*hv;
	struct pvxhv_config	cfg;
	struct pvxhv_ops	ops;
	struct pvxhv_mem_region	regions[2];
	uint8_t			*low, *top;
	bool			accessor;	/* memory through read/write callbacks */
	int			fail_reads;	/* accessor: fail this many reads */
	int			fail_writes;	/* accessor: fail this many writes */
	uint64_t		rom_lo, rom_hi;	/* accessor: readable, not writable: not RAM */
	/* Tests may run code inside callbacks (re-entrancy, races). */
	void			(*on_block)(struct fvm *vm, uint32_t v, uint64_t deadline,
					    uint64_t token);
	void			(*on_kick)(struct fvm *vm, uint32_t v);
	void			(*on_write)(struct fvm *vm, uint64_t gpa);

	uint64_t		now;
	uint64_t		realtime;	/* wall-clock ns since 1970 */
	uint64_t		tsc;
	uint64_t		tsc_read_ns;	/* the next TSC read takes this long */
	int			fail_tsc;	/* fail this many TSC reads (< 0: all) */
	uint64_t		rflags;		/* fvm_call()'s guest RFLAGS (IF set) */
	/* What the library asked for. */
	unsigned int		yields, blocks, kicks[FVM_MAX_VCPUS];
	uint64_t		block_deadline;
	bool			block_masked;
	unsigned int		flushes[FVM_MAX_VCPUS];	/* by flush_tlb or flush_tlb_many */
	unsigned int		flush_calls, flush_many_calls;	/* calls of each */
	unsigned int		injects;
	uint32_t		inject_vcpu[FVM_LOG];
	uint8_t			inject_vec[FVM_LOG];
	uint64_t		timer[FVM_MAX_VCPUS];
	unsigned int		timer_calls;
	char			console[8192];
	size_t			console_len;
	unsigned int		console_calls;
	unsigned int		shutdowns;
	uint32_t		shutdown_reason, shutdown_code;
	unsigned int		reads, writes, ram_checks;
	uint64_t		block_token;
	/* Delegation (fvm_delegate()) and what ops->records was told. */
	uint32_t		delegated[FVM_MAX_VCPUS];
	unsigned int		records_calls;
	uint32_t		records_vcpu;			/* of the last call */
	uint64_t		records[FVM_MAX_VCPUS][PVXHV_NR_RECORDS];	/* last told */
	bool			records_told[FVM_MAX_VCPUS];	/* ever, since fvm_init */
};

static inline uint8_t *fvm_host(struct fvm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa < FVM_LOW_SIZE && len <= FVM_LOW_SIZE - gpa)
		return vm->low + gpa;
	if (gpa >= FVM_TOP_GPA && len <= 0 - gpa)
		return vm->top + (gpa - FVM_TOP_GPA);
	return NULL;
}

static inline bool fvm_in_rom(const struct fvm *vm, uint64_t gpa, uint64_t len)
{
	return vm->rom_hi && gpa < vm->rom_hi && gpa + len > vm->rom_lo;
}

static bool fvm_ram(void *o, uint64_t gpa, uint64_t len)
{
	struct fvm *vm = o;

	vm->ram_checks++;
	return fvm_host(vm, gpa, len) != NULL && !fvm_in_rom(vm, gpa, len);
}

static int fvm_read(void *o, uint64_t gpa, void *dst, size_t len)
{
	struct fvm *vm = o;
	uint8_t *p = fvm_host(vm, gpa, len);

	vm->reads++;
	if (!p || (vm->fail_reads && vm->fail_reads-- > 0))
		return -1;
	memcpy(dst, p, len);
	return 0;
}

static int fvm_write(void *o, uint64_t gpa, const void *src, size_t len)
{
	struct fvm *vm = o;
	uint8_t *p = fvm_host(vm, gpa, len);

	vm->writes++;
	if (vm->on_write)
		vm->on_write(vm, gpa);
	/* All or nothing (pvxhv.h): a failing write writes no byte. */
	if (!p || fvm_in_rom(vm, gpa, len) || (vm->fail_writes && vm->fail_writes-- > 0))
		return -1;
	memcpy(p, src, len);
	return 0;
}

/*
 * The library promised never to pass a vCPU id, vector or length outside
 * the ABI's bounds: a broken promise stops the test (and the fuzzer) here.
 */
#define FVM_ASSERT(vm, c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "fakevm: library broke a promise: %s\n", #c);	\
		abort();						\
	}								\
} while (0)
#define FVM_VCPU_OK(vm, v)	FVM_ASSERT(vm, (v) < (vm)->cfg.nr_vcpus)

static uint64_t fvm_clock(void *o) { return ((struct fvm *)o)->now; }
static uint64_t fvm_realtime(void *o) { return ((struct fvm *)o)->realtime; }
static int fvm_tsc(void *o, uint32_t v, uint64_t *tsc)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	if (vm->fail_tsc) {
		vm->fail_tsc -= vm->fail_tsc > 0;
		return -1;
	}
	vm->now += vm->tsc_read_ns;	/* a VMM preempted in its TSC read */
	vm->tsc_read_ns = 0;
	*tsc = vm->tsc;
	return 0;
}
static void fvm_yield(void *o, uint32_t v)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	vm->yields++;
}

static void fvm_block(void *o, uint32_t v, uint64_t deadline, uint64_t token, bool irqs_masked)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	vm->blocks++;
	vm->block_deadline = deadline;
	vm->block_masked = irqs_masked;
	vm->block_token = token;
	if (vm->on_block)
		vm->on_block(vm, v, deadline, token);
}

static void fvm_kick(void *o, uint32_t v)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	if (v < FVM_MAX_VCPUS)
		vm->kicks[v]++;
	if (vm->on_kick)
		vm->on_kick(vm, v);
}

static void fvm_inject(void *o, uint32_t v, uint8_t vec)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	FVM_ASSERT(vm, vec >= PVX_VECTOR_MIN);
	if (vm->injects < FVM_LOG) {
		vm->inject_vcpu[vm->injects] = v;
		vm->inject_vec[vm->injects] = vec;
	}
	vm->injects++;
}

static void fvm_set_timer(void *o, uint32_t v, uint64_t deadline)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	vm->timer_calls++;
	if (v < FVM_MAX_VCPUS)
		vm->timer[v] = deadline;
}

static void fvm_flush(void *o, uint32_t v)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	vm->flush_calls++;
	if (v < FVM_MAX_VCPUS)
		vm->flushes[v]++;
}

/* Not in the default ops: a test that wants the batched form sets it. */
static inline void fvm_flush_many(void *o, const uint32_t *vcpus, uint32_t n)
{
	struct fvm *vm = o;

	FVM_ASSERT(vm, n >= 1 && n <= vm->cfg.nr_vcpus);
	vm->flush_many_calls++;
	for (uint32_t i = 0; i < n; i++) {
		FVM_VCPU_OK(vm, vcpus[i]);
		for (uint32_t j = 0; j < i; j++)
			FVM_ASSERT(vm, vcpus[j] != vcpus[i]);	/* distinct */
		if (vcpus[i] < FVM_MAX_VCPUS)
			vm->flushes[vcpus[i]]++;
	}
}

static void fvm_console(void *o, uint32_t v, const char *buf, size_t len)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	FVM_ASSERT(vm, len >= 1 && len <= PVX_CONSOLE_MAX);
	vm->console_calls++;
	if (len > sizeof(vm->console) - vm->console_len)
		vm->console_len = 0;
	memcpy(vm->console + vm->console_len, buf, len);
	vm->console_len += len;
}

/* The library promised gpa[r] PVX_GPA_NONE for every record not delegated. */
static void fvm_records(void *o, uint32_t v, const uint64_t gpa[PVXHV_NR_RECORDS])
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	vm->records_calls++;
	vm->records_vcpu = v;
	for (int r = 0; r < PVXHV_NR_RECORDS; r++) {
		if (v < FVM_MAX_VCPUS) {
			FVM_ASSERT(vm, gpa[r] == PVX_GPA_NONE || (vm->delegated[v] & (1u << r)));
			vm->records[v][r] = gpa[r];
		}
	}
	if (v < FVM_MAX_VCPUS)
		vm->records_told[v] = true;
}

static void fvm_shutdown(void *o, uint32_t v, uint32_t reason, uint32_t code)
{
	struct fvm *vm = o;

	FVM_VCPU_OK(vm, v);
	FVM_ASSERT(vm, reason <= PVX_SHUTDOWN_CRASH && code <= 255);
	vm->shutdowns++;
	vm->shutdown_reason = reason;
	vm->shutdown_code = code;
}

struct fvm_opts {
	uint32_t	nr_vcpus;	/* 0: 4 */
	uint32_t	abi_version;	/* 0: latest */
	uint64_t	features;	/* 0: all */
	bool		accessor;
	uint32_t	tsc_khz;
};

/* Set up vm (memory zeroed); returns 0 or -1. */
static inline int fvm_init(struct fvm *vm, const struct fvm_opts *o)
{
	memset(vm, 0, sizeof(*vm));
	vm->low = calloc(1, FVM_LOW_SIZE);
	vm->top = calloc(1, FVM_TOP_SIZE);
	if (!vm->low || !vm->top)
		return -1;
	vm->accessor = o->accessor;
	vm->now = 1000000000ull;
	vm->realtime = 1700000000ull * 1000000000ull + 123456789;
	vm->rflags = 0x202;		/* IF and the always-one bit 1 */
	vm->ops = (struct pvxhv_ops){
		.guest_ram = fvm_ram, .read_guest = fvm_read, .write_guest = fvm_write,
		.clock_ns = fvm_clock, .guest_tsc = fvm_tsc,
		.block = fvm_block, .kick = fvm_kick, .yield = fvm_yield,
		.inject = fvm_inject, .set_timer = fvm_set_timer,
		.flush_tlb = fvm_flush, .console = fvm_console,
		.shutdown = fvm_shutdown, .realtime_ns = fvm_realtime, .records = fvm_records,
	};
	vm->regions[0] = (struct pvxhv_mem_region){ 0, FVM_LOW_SIZE, vm->low };
	vm->regions[1] = (struct pvxhv_mem_region){ FVM_TOP_GPA, FVM_TOP_SIZE, vm->top };
	vm->cfg = (struct pvxhv_config){
		.nr_vcpus = o->nr_vcpus ? o->nr_vcpus : 4,
		.transport = PVX_TRANSPORT_IOPORT,
		.io_port = 0x5650,
		.abi_version = o->abi_version,
		.features = o->features ? o->features : ~0ull,
		.tsc_khz = o->tsc_khz,
		.regions = o->accessor ? NULL : vm->regions,
		.nr_regions = o->accessor ? 0 : 2,
		.ops = &vm->ops,
		.opaque = vm,
	};
	vm->hv = pvxhv_create(&vm->cfg);
	return vm->hv ? 0 : -1;
}

/* Re-create the instance after a test changed vm->cfg or vm->ops; 0 or -1. */
static inline int fvm_recreate(struct fvm *vm)
{
	pvxhv_destroy(vm->hv);
	vm->hv = pvxhv_create(&vm->cfg);
	return vm->hv ? 0 : -1;
}

/* Delegate vcpu's records in mask (PVXHV_RECORD()); pvxhv_vcpu_delegate()'s result. */
static inline int fvm_delegate(struct fvm *vm, uint32_t vcpu, uint32_t mask)
{
	uint32_t old = vcpu < FVM_MAX_VCPUS ? vm->delegated[vcpu] : 0;
	int ret;

	/* Both, meanwhile: the library tells ops->records of the new set at once. */
	if (vcpu < FVM_MAX_VCPUS)
		vm->delegated[vcpu] = old | mask;
	ret = pvxhv_vcpu_delegate(vm->hv, vcpu, mask);
	if (vcpu < FVM_MAX_VCPUS)
		vm->delegated[vcpu] = ret ? old : mask;
	return ret;
}

static inline void fvm_fini(struct fvm *vm)
{
	pvxhv_destroy(vm->hv);
	free(vm->low);
	free(vm->top);
	vm->hv = NULL;
}

/*
 * Whether r is a result hypercall nr may return: a success, a common error
 * (PVX_COMMON_CHECKS) or a code its checks in PVX_HYPERCALLS name
 * ("GUEST" names EFAULT and EINVAL).  An unknown
 * number may only be ENOSYS.
 */
static inline bool fvm_documented(uint64_t nr, int64_t r)
{
	static const struct { uint64_t nr; const char *checks; } hcs[] = {
#define FVM_HC(since, name, nr, nargs, feature, flags, args, ret, checks, summary) { nr, checks },
		PVX_HYPERCALLS(FVM_HC)
#undef FVM_HC
	};
	static const struct { const char *name; int64_t value; } errs[] = {
#define FVM_ERR(since, name, value, doc) { &#name[4], value },	/* without "PVX_" */
		PVX_ERRORS(FVM_ERR)
#undef FVM_ERR
	};
	const char *checks = NULL, *name = NULL, *p;

	if (r >= 0 || r == -PVX_ENOSYS)
		return true;
	for (size_t i = 0; i < sizeof(hcs) / sizeof(hcs[0]); i++)
		if (hcs[i].nr == nr)
			checks = hcs[i].checks;
	if (!checks)
		return false;
#define FVM_COMMON(since, err, cond) if (r == -err) return true;
	PVX_COMMON_CHECKS(FVM_COMMON)
#undef FVM_COMMON
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].value == -r)
			name = errs[i].name;
	if (!name)
		return false;
	for (p = checks; *p; ) {
		size_t n = strcspn(p, ":");

		if ((n == strlen(name) && !strncmp(p, name, n)) ||
		    (n == 5 && !strncmp(p, "GUEST", 5) && r == -PVX_EFAULT))
			return true;
		p = strstr(p, "; ");
		if (!p)
			break;
		p += 2;
	}
	return false;
}

static inline int64_t fvm_call(struct fvm *vm, uint32_t vcpu, uint64_t nr, uint64_t a0,
			       uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct pvxhv_regs r = { .rax = nr, .rbx = a0, .rcx = a1, .rsi = a2, .rdi = a3, .r8 = a4,
				.rflags = vm->rflags };
	int64_t ret = pvxhv_hypercall(vm->hv, vcpu, &r);

	/* Code and the generated error lists agree, in every test. */
	if (!fvm_documented(nr, ret)) {
		fprintf(stderr, "fakevm: %s returned %lld (%s), not in its documented errors\n",
			pvxhv_hypercall_name(nr), (long long)ret, pvxhv_error_name(ret));
		abort();
	}
	return ret;
}

#define FVM_CALL(vm, nr, ...)	fvm_call_n(vm, 0, nr, (uint64_t[]){ __VA_ARGS__ }, \
					   sizeof((uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))
#define FVM_CALL0(vm, nr)	fvm_call(vm, 0, nr, 0, 0, 0, 0, 0)

static inline int64_t fvm_call_n(struct fvm *vm, uint32_t vcpu, uint64_t nr,
				 const uint64_t *a, size_t n)
{
	uint64_t x[PVX_HC_MAX_ARGS] = { 0 };

	for (size_t i = 0; i < n && i < PVX_HC_MAX_ARGS; i++)
		x[i] = a[i];
	return fvm_call(vm, vcpu, nr, x[0], x[1], x[2], x[3], x[4]);
}

/* Negotiate through a struct at gpa 0x1000; returns the hypercall result. */
#define FVM_NEG_GPA	0x1000ull
static inline int64_t fvm_negotiate(struct fvm *vm, uint32_t version, uint64_t features)
{
	struct pvx_negotiate n = { .size = sizeof(n), .version = version, .features = features };

	memcpy(vm->low + FVM_NEG_GPA, &n, sizeof(n));
	return FVM_CALL(vm, PVX_HC_negotiate, FVM_NEG_GPA);
}

#endif /* PVX_TESTS_FAKEVM_H */
