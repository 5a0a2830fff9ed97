// SPDX-License-Identifier: GPL-2.0
/*
 * --hostile MODE: pvx-hv misbehaves on purpose, so the tests can show
 * that a guest survives a hypervisor that lies.  Each mode bends one
 * answer of the PVX ABI; everything else is served by libpvxhv as usual.
 * The modes and their one-line descriptions: HOSTILE_MODES in pvx-hv.h.
 * Where and when each bends:
 *
 * libpvxhv's configuration (hostile_config, at every instance):
 *   time-mul0       tsc_khz 0: the library publishes mul 0, shift 0,
 *                   tsc_timestamp 0 and the clock as system_time at every
 *                   entry (the spec's "no TSC scale", valid)
 *   set-timer-error TIMER offered (pvx-hv's default leaves it out)
 *
 * CPUID, as published (hostile_cpuid; pvx-hv's base is 0x40000000):
 *   cpuid-leaves-short     base+0 EAX = base+1
 *   cpuid-version-garbage  base+1 EAX = 0xffffffff
 *   cpuid-features-all     base+1 EBX = ECX = 0xffffffff
 *   cpuid-nr-vcpus0        base+1 EDX = 0
 *   cpuid-transport        base+2 EAX = PVX_TRANSPORT_VMMCALL + 1
 *   cpuid-port0            base+2 EBX = 0
 *   cpuid-port-high        base+2 EBX = 0xfffe
 *   future-minor           base+1 EAX = 1.(latest+1), EBX: one more bit
 *   other-major            base+1 EAX = (major+1).0
 *
 * Before the library (hostile_before): the call is answered here and
 * not served, or served with other arguments:
 *   other-major           negotiate: -PVX_EPROTONOSUPPORT
 *   shutdown-returns      shutdown(POWEROFF): 0, the VM runs on
 *   register-error        register_shared_page: -PVX_EINVAL
 *   time-odd              register_shared_page: 0, and a record whose
 *                         time.version is 1, never refreshed
 *   page-unfilled         register_shared_page: 0, the page untouched
 *   set-timer-error       set_timer: -PVX_EINVAL, nothing armed
 *   console-no-progress   console_write: 0, nothing written
 *   console-error         console_write: -PVX_EFAULT, nothing written
 *   send-ipi-short        send_ipi is served with an empty bitmap: no
 *                         vCPU interrupted, 0 (after the vector check)
 *   soft-reset-refused    soft_reset: -PVX_EPERM; the negotiation, the
 *                         pages and every record stay as they were
 *
 * After the library (hostile_after), on the answer it gave:
 *   abi-high              negotiate's version: 1.(latest+1)
 *   features-extra        negotiate's features: bit 63 added
 *   negotiate-major-low   negotiate's version: 0.1
 *   negotiate-size        negotiate's size: 0
 *   negotiate-size-large  negotiate's size: PVX_PAGE_SIZE
 *   negotiate-max-multicall0, negotiate-nr-vcpus0: that field 0, where
 *                         the library wrote it (an accepted 1.1 or later)
 *   negotiate-positive    negotiate's RAX: 1 where it was 0
 *   ret-positive          RAX 7 where it was 0, for every call but
 *                         negotiate whose "returns" (PVX_HYPERCALLS)
 *                         begins with 0; in a multicall, each entry's
 *                         result likewise
 *   ret-undocumented      RAX -9999 for every call but negotiate, after
 *                         it was served; every multicall entry's result
 *   set-timer-error, console-no-progress, console-error: a multicall
 *                         entry's call is served, its result bent as above
 *
 * The shared page, before every KVM_RUN (hostile_enter: the vCPU is out
 * of guest mode), on the record libpvxhv just refreshed, where the vCPU
 * registered it (its last successful register_shared_page).  Each bend
 * is written inside the record's seqlock (odd, change, even), counting
 * on from the version in the page; the library's next update of that
 * record counts on from its own copy, so the version may repeat.
 * "Later": 2 s of guest time after the VM began (HOSTILE_LATER_NS).
 *   time-shift127    time.tsc_shift 127
 *   time-backwards   later, time.system_time 1 s less than the library's
 *   time-jump        later, time.system_time 1 h more than the library's
 *   steal-backwards  steal_ns given to the library: the real one plus
 *                    1 s, later the real one (hostile_steal)
 *   steal-odd        steal_version made odd
 *   preempted-garbage preempted 0xff, as the vCPU is about to run
 *   size-short       size 16 (offsetof time): time and steal lie beyond
 *   record-retired   later, flags 0 (the record is no longer valid)
 * and, in the records 1.2 appends, each while the page's flag for it is
 * set (a guest that negotiated it):
 *   steal-record-odd    steal.version made odd (PVX_VCPU_STEAL_RECORD)
 *   flush-no-preempted  steal.preempted PVX_STEAL_FLUSH_TLB alone, a value
 *                       only a host can write: the guest sets the bit
 *                       with a compare-and-exchange from
 *                       PVX_STEAL_PREEMPTED; taken back to 0 before the
 *                       library's next refresh (hostile_unbend()), so
 *                       that pvx-hv does not flush for its own lie
 *   eoi-garbage         eoi 0xdeadbeef: reserved bits (PVX_VCPU_PV_EOI)
 *   wall-clock-1970     wall_clock.sec and .nsec 0 (PVX_VCPU_WALL_CLOCK):
 *                       1970-01-01, the earliest its u32 can say (KVM's
 *                       layout, so no year 1900)
 *   wall-clock-2106     wall_clock.sec 0xffffffff, .nsec the library's:
 *                       2106-02-07, the latest
 * The steal bends of 1.0's fields apply only while the library maintains
 * them (PVX_VCPU_STEAL_VALID: a guest before 1.2, or without
 * STEAL_RECORD).  A record a mode bends is never left to KVM
 * (hostile_records(): kvmrecords.c keeps it with the library): the time
 * record for the time modes, size-short and record-retired (all write
 * under its seqlock), the steal record for steal-backwards and the two
 * steal-record modes, the EOI word, the wall clock; the others KVM keeps
 * as without --hostile.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include <pvx/abi.h>

#include <pvxhv.h>

#include "pvx-hv.h"

#define HOSTILE_LATER_NS	(2 * 1000000000ull)
#define HOSTILE_BACK_NS		(1 * 1000000000ull)
#define HOSTILE_JUMP_NS		(3600 * 1000000000ull)
#define HOSTILE_STEAL_NS	(1 * 1000000000ull)
#define HOSTILE_POSITIVE	7
#define HOSTILE_UNDOCUMENTED	(-9999)
#define HOSTILE_EOI		0xdeadbeefu

#define HOSTILE_ROW(id, name, what)	[HOSTILE_##id] = { name, what },
static const struct { const char *name, *what; } modes[HOSTILE_COUNT] = {
	HOSTILE_MODES(HOSTILE_ROW)
};
#undef HOSTILE_ROW

/* The future minor's feature: the bit above the latest minor's last. */
static int future_feature_bit(void)
{
	int bit = 0;

#define FEATURE_ABOVE(since, name, b, doc)	if ((b) >= bit) bit = (b) + 1;
	PVX_FEATURES(FEATURE_ABOVE)
#undef FEATURE_ABOVE
	return bit;
}

int hostile_parse(const char *s, enum hostile *mode)
{
	for (int i = HOSTILE_NONE + 1; i < HOSTILE_COUNT; i++) {
		if (!strcmp(s, modes[i].name)) {
			*mode = i;
			return 0;
		}
	}
	return -1;
}

const char *hostile_name(enum hostile mode)
{
	return mode > HOSTILE_NONE && mode < HOSTILE_COUNT ? modes[mode].name : NULL;
}

const char *hostile_what(enum hostile mode)
{
	return mode > HOSTILE_NONE && mode < HOSTILE_COUNT ? modes[mode].what : NULL;
}

/* Each call's "returns" column: those documented as returning 0 begin with "0". */
#define HC_RETURNS(since, name, nr, nargs, feature, flags, args, returns, ...)	[nr] = returns,
static const char *const hc_returns[] = {
	PVX_HYPERCALLS(HC_RETURNS)
};
#undef HC_RETURNS

static bool returns_zero(uint64_t nr)
{
	const char *s = nr < sizeof(hc_returns) / sizeof(hc_returns[0]) ? hc_returns[nr] : NULL;

	return s && s[0] == '0' && !(s[1] >= '0' && s[1] <= '9');
}

/* The guest's bytes at gpa, or NULL unless all len of them are RAM. */
static void *guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

/* 2 s of guest time have passed (guest time: the time record's clock). */
static bool later(const struct vm *vm)
{
	return now_ns() - vm->t0_ns >= HOSTILE_LATER_NS;
}

void hostile_config(const struct vm *vm, struct pvxhv_config *cfg)
{
	if (vm->hostile == HOSTILE_TIME_MUL0)
		cfg->tsc_khz = 0;
	else if (vm->hostile == HOSTILE_SET_TIMER_ERROR)
		cfg->features |= PVX_FEATURE(TIMER);
}

/* The PVX leaves the guest sees, at offset from pvx-hv's base. */
void hostile_cpuid(struct vm *vm, uint32_t offset, uint32_t r[4])
{
	switch (offset) {
	case PVX_CPUID_LEAF_SIGNATURE:
		if (vm->hostile == HOSTILE_CPUID_LEAVES_SHORT)
			r[0] = PVX_CPUID_SCAN_FIRST + PVX_CPUID_LEAF_TRANSPORT - 1;
		break;
	case PVX_CPUID_LEAF_VERSION:
		if (vm->hostile == HOSTILE_FUTURE_MINOR) {
			r[0] = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR + 1);
			r[1] |= 1u << future_feature_bit();
		} else if (vm->hostile == HOSTILE_OTHER_MAJOR) {
			r[0] = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR + 1, 0);
		} else if (vm->hostile == HOSTILE_CPUID_VERSION_GARBAGE) {
			r[0] = 0xffffffff;
		} else if (vm->hostile == HOSTILE_CPUID_FEATURES_ALL) {
			r[1] = r[2] = 0xffffffff;
		} else if (vm->hostile == HOSTILE_CPUID_NR_VCPUS0) {
			r[3] = 0;
		}
		break;
	case PVX_CPUID_LEAF_TRANSPORT:
		if (vm->hostile == HOSTILE_CPUID_TRANSPORT)
			r[0] = PVX_TRANSPORT_VMMCALL + 1;
		else if (vm->hostile == HOSTILE_CPUID_PORT0)
			r[1] = 0;
		else if (vm->hostile == HOSTILE_CPUID_PORT_HIGH)
			r[1] = 0xfffe;
		break;
	}
}

/* Before the library: answer the call here (true), or change its arguments. */
bool hostile_before(struct vm *vm, struct pvxhv_regs *r)
{
	struct pvx_vcpu_shared s = { .size = sizeof(s), .flags = PVX_VCPU_TIME_VALID };
	enum hostile m = vm->hostile;
	void *page = NULL;
	int64_t ret;

	if (m == HOSTILE_OTHER_MAJOR && r->rax == PVX_HC_negotiate)
		ret = -PVX_EPROTONOSUPPORT;
	else if (m == HOSTILE_SHUTDOWN_RETURNS && r->rax == PVX_HC_shutdown &&
		 r->rbx == PVX_SHUTDOWN_POWEROFF)
		ret = 0;
	else if (m == HOSTILE_SET_TIMER_ERROR && r->rax == PVX_HC_set_timer)
		ret = -PVX_EINVAL;
	else if (m == HOSTILE_CONSOLE_NO_PROGRESS && r->rax == PVX_HC_console_write)
		ret = 0;
	else if (m == HOSTILE_CONSOLE_ERROR && r->rax == PVX_HC_console_write)
		ret = -PVX_EFAULT;
	else if (m == HOSTILE_SOFT_RESET_REFUSED && r->rax == PVX_HC_soft_reset)
		ret = -PVX_EPERM;
	else if (m == HOSTILE_SEND_IPI_SHORT && r->rax == PVX_HC_send_ipi) {
		r->rbx = 0;		/* nobody: the library answers 0 */
		return false;
	} else if (r->rax != PVX_HC_register_shared_page ||
		   (m != HOSTILE_REGISTER_ERROR && m != HOSTILE_TIME_ODD &&
		    m != HOSTILE_PAGE_UNFILLED))
		return false;
	else if (r->rbx == PVX_GPA_NONE)
		ret = 0;
	else if (m == HOSTILE_REGISTER_ERROR || !(page = guest_ptr(vm, r->rbx, sizeof(s))))
		ret = -PVX_EINVAL;
	else {
		if (m == HOSTILE_TIME_ODD) {
			s.time.version = 1;
			memcpy(page, &s, sizeof(s));
		}
		ret = 0;
	}
	r->rax = (uint64_t)ret;
	return true;
}

/* The result the guest gets for call nr, which the library answered ret. */
static int64_t bend_result(const struct vm *vm, uint64_t nr, int64_t ret)
{
	switch (vm->hostile) {
	case HOSTILE_NEGOTIATE_POSITIVE:
		return nr == PVX_HC_negotiate && !ret ? 1 : ret;
	case HOSTILE_RET_POSITIVE:
		return nr != PVX_HC_negotiate && !ret && returns_zero(nr) ? HOSTILE_POSITIVE : ret;
	case HOSTILE_RET_UNDOCUMENTED:
		return nr != PVX_HC_negotiate ? HOSTILE_UNDOCUMENTED : ret;
	/* direct calls of these never reach the library: multicall entries */
	case HOSTILE_SET_TIMER_ERROR:
		return nr == PVX_HC_set_timer ? -PVX_EINVAL : ret;
	case HOSTILE_CONSOLE_NO_PROGRESS:
		return nr == PVX_HC_console_write ? 0 : ret;
	case HOSTILE_CONSOLE_ERROR:
		return nr == PVX_HC_console_write ? -PVX_EFAULT : ret;
	default:
		return ret;
	}
}

/* A successful negotiate's answer, as the library wrote it back at gpa. */
static void bend_negotiate(struct vm *vm, uint64_t gpa)
{
	struct pvx_negotiate *n = guest_ptr(vm, gpa, offsetof(struct pvx_negotiate, features) +
					    sizeof(n->features));
	/* the 1.1 fields, if the library wrote them (it checked they are RAM) */
	bool v1_1 = n && n->size >= offsetof(struct pvx_negotiate, max_multicall) +
				    sizeof(n->max_multicall);

	if (!n)
		return;
	switch (vm->hostile) {
	case HOSTILE_ABI_HIGH:
		n->version = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR + 1);
		break;
	case HOSTILE_FEATURES_EXTRA:
		n->features |= 1ull << 63;
		break;
	case HOSTILE_NEGOTIATE_MAJOR_LOW:
		n->version = PVX_ABI_VERSION(PVX_ABI_VERSION_MAJOR - 1, 1);
		break;
	case HOSTILE_NEGOTIATE_SIZE:
		n->size = 0;
		break;
	case HOSTILE_NEGOTIATE_SIZE_LARGE:
		n->size = PVX_PAGE_SIZE;
		break;
	case HOSTILE_NEGOTIATE_MAX_MULTICALL0:
		if (v1_1)
			n->max_multicall = 0;
		break;
	case HOSTILE_NEGOTIATE_NR_VCPUS0:
		if (v1_1)
			n->nr_vcpus = 0;
		break;
	default:
		break;
	}
}

/* A successful multicall: each entry's result (count <= 64, checked). */
static void bend_multicall(struct vm *vm, uint64_t gpa, uint64_t count)
{
	struct pvx_multicall_entry *e = guest_ptr(vm, gpa, count * sizeof(*e));

	for (uint64_t i = 0; e && i < count; i++)
		e[i].result = bend_result(vm, e[i].nr, e[i].result);
}

/* After the library: call is what it was given, r its answer (RAX). */
void hostile_after(struct vcpu *c, const struct pvxhv_regs *call, struct pvxhv_regs *r)
{
	struct vm *vm = c->vm;
	int64_t ret = (int64_t)r->rax;

	if (ret == 0) {
		if (call->rax == PVX_HC_register_shared_page) {
			c->hostile_paged = call->rbx != PVX_GPA_NONE;
			c->hostile_page = call->rbx;
		} else if (call->rax == PVX_HC_negotiate) {
			bend_negotiate(vm, call->rbx);
		} else if (call->rax == PVX_HC_multicall && call->rcx <= PVX_MULTICALL_MAX) {
			bend_multicall(vm, call->rbx, call->rcx);
		}
	}
	r->rax = (uint64_t)bend_result(vm, call->rax, ret);
}

/*
 * The records a mode bends stay with libpvxhv (kvmrecords.c): KVM would
 * write over the bend, or (the time record's seqlock, which size-short
 * and record-retired write under) race with it.
 */
uint32_t hostile_records(const struct vm *vm)
{
	switch (vm->hostile) {
	case HOSTILE_TIME_ODD:
	case HOSTILE_TIME_MUL0:
	case HOSTILE_TIME_SHIFT127:
	case HOSTILE_TIME_BACKWARDS:
	case HOSTILE_TIME_JUMP:
	case HOSTILE_SIZE_SHORT:
	case HOSTILE_RECORD_RETIRED:
		return PVXHV_RECORD(TIME);
	case HOSTILE_STEAL_BACKWARDS:
	case HOSTILE_STEAL_RECORD_ODD:
	case HOSTILE_FLUSH_NO_PREEMPTED:
		return PVXHV_RECORD(STEAL);
	case HOSTILE_EOI_GARBAGE:
		return PVXHV_RECORD(EOI);
	case HOSTILE_WALL_CLOCK_1970:
	case HOSTILE_WALL_CLOCK_2106:
		return PVXHV_RECORD(WALL_CLOCK);
	default:
		return 0;
	}
}

/* The steal time pvx-hv gives the library at an entry. */
uint64_t hostile_steal(struct vcpu *c, uint64_t steal_ns)
{
	if (c->vm->hostile == HOSTILE_STEAL_BACKWARDS && !later(c->vm))
		return steal_ns + HOSTILE_STEAL_NS;
	return steal_ns;
}

#define LOAD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define STORE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

/* A seqlock write of our own: odd, fence, (the change), fence, even. */
static void seq_begin(uint32_t *version)
{
	STORE(*version, LOAD(*version) | 1);
	atomic_thread_fence(memory_order_release);
}

static void seq_end(uint32_t *version)
{
	atomic_thread_fence(memory_order_release);
	STORE(*version, (LOAD(*version) | 1) + 1);
}

#define TIME_BEND(s, field, val) do {		\
	seq_begin(&(s)->time.version);		\
	STORE((s)->field, (val));		\
	seq_end(&(s)->time.version);		\
} while (0)

/* c's record where it registered it, if it did; NULL if not RAM. */
static struct pvx_vcpu_shared *hostile_record(struct vcpu *c)
{
	return c->hostile_paged ? guest_ptr(c->vm, c->hostile_page, sizeof(struct pvx_vcpu_shared)) :
				  NULL;
}

/*
 * flush-no-preempted, before the library refreshes c's record and takes a
 * flush request from its steal record: the PVX_STEAL_FLUSH_TLB we left
 * there back to 0, so that no flush is done for it.  A request of the
 * guest's (it sets the bit only beside PVX_STEAL_PREEMPTED) stays.
 */
void hostile_unbend(struct vcpu *c)
{
	struct pvx_vcpu_shared *s = hostile_record(c);
	uint8_t bent = PVX_STEAL_FLUSH_TLB;

	if (c->vm->hostile == HOSTILE_FLUSH_NO_PREEMPTED && s &&
	    (LOAD(s->flags) & PVX_VCPU_STEAL_RECORD))
		__atomic_compare_exchange_n(&s->steal.preempted, &bent, 0, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Before KVM_RUN, after the library refreshed c's record: bend it. */
void hostile_enter(struct vcpu *c)
{
	struct vm *vm = c->vm;
	struct pvx_vcpu_shared *s = hostile_record(c);
	uint32_t flags = s ? LOAD(s->flags) : 0;
	bool steal = flags & PVX_VCPU_STEAL_VALID;
	bool record = flags & PVX_VCPU_STEAL_RECORD;
	uint64_t t, bent;

	if (!s)
		return;
	switch (vm->hostile) {
	case HOSTILE_TIME_SHIFT127:
		if (LOAD(s->time.tsc_shift) != 127)
			TIME_BEND(s, time.tsc_shift, 127);
		break;
	case HOSTILE_TIME_BACKWARDS:
	case HOSTILE_TIME_JUMP:
		t = LOAD(s->time.system_time);
		if (!later(vm) || t == c->hostile_time)
			break;		/* not yet, or the library left ours */
		if (vm->hostile == HOSTILE_TIME_JUMP)
			bent = t + HOSTILE_JUMP_NS;
		else
			bent = t > HOSTILE_BACK_NS ? t - HOSTILE_BACK_NS : 0;
		TIME_BEND(s, time.system_time, bent);
		c->hostile_time = bent;
		break;
	case HOSTILE_STEAL_ODD:
		if (steal && !(LOAD(s->steal_version) & 1))
			STORE(s->steal_version, LOAD(s->steal_version) | 1);
		break;
	case HOSTILE_PREEMPTED_GARBAGE:
		if (steal && LOAD(s->preempted) != 0xff) {
			seq_begin(&s->steal_version);
			STORE(s->preempted, 0xff);
			seq_end(&s->steal_version);
		}
		break;
	case HOSTILE_SIZE_SHORT:
		if (LOAD(s->size) != offsetof(struct pvx_vcpu_shared, time))
			TIME_BEND(s, size, offsetof(struct pvx_vcpu_shared, time));
		break;
	case HOSTILE_RECORD_RETIRED:
		if (later(vm) && LOAD(s->flags))
			TIME_BEND(s, flags, 0);
		break;
	case HOSTILE_STEAL_RECORD_ODD:
		if (record && !(LOAD(s->steal.version) & 1))
			STORE(s->steal.version, LOAD(s->steal.version) | 1);
		break;
	case HOSTILE_FLUSH_NO_PREEMPTED:
		if (record && LOAD(s->steal.preempted) != PVX_STEAL_FLUSH_TLB) {
			seq_begin(&s->steal.version);
			__atomic_store_n(&s->steal.preempted, PVX_STEAL_FLUSH_TLB, __ATOMIC_SEQ_CST);
			seq_end(&s->steal.version);
		}
		break;
	case HOSTILE_EOI_GARBAGE:
		if ((flags & PVX_VCPU_PV_EOI) && LOAD(s->eoi) != HOSTILE_EOI)
			__atomic_store_n(&s->eoi, HOSTILE_EOI, __ATOMIC_SEQ_CST);
		break;
	case HOSTILE_WALL_CLOCK_1970:
		if ((flags & PVX_VCPU_WALL_CLOCK) &&
		    (LOAD(s->wall_clock.sec) || LOAD(s->wall_clock.nsec))) {
			seq_begin(&s->wall_clock.version);
			STORE(s->wall_clock.sec, 0);
			STORE(s->wall_clock.nsec, 0);
			seq_end(&s->wall_clock.version);
		}
		break;
	case HOSTILE_WALL_CLOCK_2106:
		if ((flags & PVX_VCPU_WALL_CLOCK) && LOAD(s->wall_clock.sec) != UINT32_MAX) {
			seq_begin(&s->wall_clock.version);
			STORE(s->wall_clock.sec, UINT32_MAX);
			seq_end(&s->wall_clock.version);
		}
		break;
	default:
		break;
	}
}
