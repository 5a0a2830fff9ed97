// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop: one thread per vCPU, each calling KVM_RUN until the VM is
 * done. Every exit to userspace is counted by reason and handled here:
 *
 *   KVM_EXIT_IO        port I/O: the PVX hypercall port goes to libpvxhv,
 *                      the rest to the devices (serial, i8042, reset);
 *   KVM_EXIT_MMIO      nothing is mapped there: reads as all-ones;
 *   KVM_EXIT_SHUTDOWN  triple fault: dump registers, exit HV_ETRIPLE;
 *   KVM_EXIT_SYSTEM_EVENT  reset or power-off requested through KVM;
 *   anything else      dump registers, exit HV_EINTERNAL.
 *
 * KVM_RUN returns -EINTR when the vCPU is kicked (vcpu_kick: another vCPU's
 * PVX kick, the end of a PVX block, or main() pausing or stopping the VM): the kicker
 * sets run->immediate_exit, so a kick cannot be lost between our check and
 * KVM_RUN, and sends SIG_KICK, which interrupts a KVM_RUN in progress.
 * The block deadline's timer sends SIG_KICK alone; its handler sets the
 * receiving vCPU's immediate_exit, so a deadline that passes between
 * vcpu_block() and KVM_RUN is not lost either (as QEMU does for SIG_IPI).
 * A PVX flush_tlb sends SIG_KICK alone too, and waits until KVM_RUN has
 * returned (tlbflush.c), as does a move of another vCPU's records
 * (kvmrecords.c): each is taken just before the next KVM_RUN.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <pvx/abi.h>

#include "pvx-hv.h"

static void handle_io(struct vcpu *c)
{
	struct kvm_run *run = c->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	if (hypercall_port(c->vm, run->io.port) && run->io.direction == KVM_EXIT_IO_OUT) {
		bool block = run->s.regs.regs.rax == PVX_HC_block;

		c->st.io[IO_HYPERCALL]++;
		hypercall(c);
		/* 0 without ops->block: libpvxhv had a kick pending for it */
		if (block && !c->block && !run->s.regs.regs.rax)
			c->st.blocks_at_once++;
		return;
	}
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_IN) {
			io_in(c, run->io.port, data, run->io.size);
		} else if (io_out(c, run->io.port, data, run->io.size) != DEV_NONE) {
			vm_finish(c->vm, HV_OK);	/* reset or power-off: the VM ends */
			return;
		}
	}
}

/* CLOCK_MONOTONIC in ns: pvx-hv's one clock (guest time, deadlines). */
uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* The kvm_run of the vCPU this thread runs, for the SIG_KICK handler. */
static _Thread_local struct kvm_run *this_run;

/* SIG_KICK: leave KVM_RUN now, or do not enter it. */
void vcpu_signal(int sig)
{
	(void)sig;
	if (this_run)
		__atomic_store_n(&this_run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

/* Any thread: make c leave (or not enter) KVM_RUN. */
void vcpu_kick(struct vcpu *c)
{
	atomic_store(&c->kicked, true);
	__atomic_store_n(&c->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (c->started)
		pthread_kill(c->thread, SIG_KICK);
}

/*
 * One MSR of the vCPU behind fd: req is KVM_GET_MSRS (into *data) or
 * KVM_SET_MSRS (from *data).  0, or -1 with errno set.
 */
int vcpu_msr(int fd, unsigned long req, uint32_t index, uint64_t *data)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} msr = { .h.nmsrs = 1, .e.index = index, .e.data = *data };
	int n = ioctl(fd, req, &msr);

	if (n != 1) {
		if (n >= 0)
			errno = EINVAL;	/* KVM refused the MSR */
		return -1;
	}
	*data = msr.e.data;
	return 0;
}

static struct timespec timespec_of(uint64_t ns)
{
	return (struct timespec){ .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
}

/*
 * PVX set_timer, on c's own thread: SIG_KICK to it at at_ns
 * (CLOCK_MONOTONIC; 0 cancels), when it injects the vector
 * (vcpu_interrupted).
 */
void vcpu_set_timer(struct vcpu *c, uint64_t at_ns)
{
	struct itimerspec at = { .it_value = timespec_of(at_ns) };

	c->pvtimer_at = at_ns;
	if (c->has_pvtimer)
		timer_settime(c->pvtimer, TIMER_ABSTIME, &at, NULL);
}

/* On c's thread, out of KVM_RUN: inject an expired set_timer, once. */
static void vcpu_pvtimer(struct vcpu *c)
{
	if (c->pvtimer_at && now_ns() >= c->pvtimer_at) {
		c->pvtimer_at = 0;
		hypercall_timer_expired(c);
	}
}

/* The block's deadline, if it has one: SIG_KICK to c's thread then. */
static void vcpu_deadline_arm(struct vcpu *c)
{
	struct itimerspec at = { .it_value = timespec_of(c->block_deadline) };

	if (c->block_deadline && c->has_timer)
		timer_settime(c->timer, TIMER_ABSTIME, &at, NULL);
}

static void vcpu_deadline_disarm(struct vcpu *c)
{
	struct itimerspec off = { 0 };

	if (c->has_timer)
		timer_settime(c->timer, 0, &off, NULL);
}

/*
 * On c's thread: the kick that ended a wait or a KVM_RUN is taken.
 * immediate_exit goes first: a kick between the two stores then leaves
 * it set, and the next KVM_RUN returns at once, where the other order
 * would leave only kicked, for the next block to see.
 */
static void vcpu_kick_taken(struct vcpu *c)
{
	__atomic_store_n(&c->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	atomic_store(&c->kicked, false);
}

/*
 * On c's thread: pvx-hv ends a block before the guest ran again (a kick,
 * its deadline, a wait's end, or a halt that never began).  Every kick
 * libpvxhv recorded until now came while the guest was in this block:
 * pvxhv_kicked() consumes them, or the next block would return at once
 * for a kick already taken (Documentation/abi/hypercalls.rst: a kick is
 * consumed by the block it wakes).  Not after KVM itself ended the halt
 * for an interrupt: the guest ran on, and a kick since is for its next
 * block.
 */
static void vcpu_block_over(struct vcpu *c)
{
	hypercall_kicked(c);
}

/* Has a masked block's wait ended? */
static bool vcpu_wait_over(struct vcpu *c)
{
	uint64_t now = now_ns();

	return atomic_load(&c->kicked) || hypercall_kicked(c) || atomic_load(&c->vm->pausing) ||
	       atomic_load(&c->injected) != c->block_injected ||
	       (c->block_deadline && now >= c->block_deadline) ||
	       (c->pvtimer_at && now >= c->pvtimer_at) || atomic_load(&c->vm->done);
}

/*
 * A block with the guest's interrupts masked.  KVM wakes a halted vCPU
 * only for an interrupt it can take, so inside KVM nothing but a kick
 * would end this one; it is waited out here, where a kick, the deadline,
 * a vector libpvxhv injects (cb_inject) or this vCPU's set_timer ends it,
 * as "sti; hlt" would end.  The vCPU stays preempted for libpvxhv until
 * the run loop's next pvxhv_vcpu_enter(): flush_tlb leaves it alone, and
 * the guest sees it preempted.  SIG_KICK is blocked but for sigsuspend(),
 * so a kick after the check is not lost.
 */
static void vcpu_wait(struct vcpu *c)
{
	sigset_t kick, old;

	sigemptyset(&kick);
	sigaddset(&kick, SIG_KICK);
	pthread_sigmask(SIG_BLOCK, &kick, &old);
	atomic_store(&c->waiting, true);
	vcpu_deadline_arm(c);
	while (!vcpu_wait_over(c))
		sigsuspend(&old);
	atomic_store(&c->waiting, false);
	vcpu_deadline_disarm(c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* the kick that ended it, not one for a KVM_RUN to come */
	vcpu_kick_taken(c);
	vcpu_block_over(c);
	vcpu_pvtimer(c);
}

/*
 * After a PVX block hypercall: halt in KVM until an interrupt or a kick,
 * or, with the guest's interrupts masked, wait in pvx-hv.
 */
static void vcpu_block(struct vcpu *c)
{
	struct kvm_mp_state halted = { KVM_MP_STATE_HALTED };

	c->block = false;
	/*
	 * Kicked already (vcpu_kick sets immediate_exit from here on): do
	 * not sleep.  Both are asked: pvx-hv's flag alone would leave
	 * libpvxhv's kick pending.
	 */
	bool kicked = atomic_exchange(&c->kicked, false);

	if (hypercall_kicked(c) || kicked) {
		vcpu_block_over(c);
		return;
	}
	if (c->block_masked) {
		vcpu_wait(c);
		return;
	}
	vcpu_deadline_arm(c);
	c->halted = !ioctl(c->fd, KVM_SET_MP_STATE, &halted);
	if (!c->halted)
		vcpu_block_over(c);
}

/*
 * A halt we set up is over (KVM_RUN returned: a kick, the deadline, or
 * an exit after KVM woke it for an interrupt): its deadline timer goes.
 */
static void vcpu_unhalted(struct vcpu *c)
{
	if (c->halted)
		vcpu_deadline_disarm(c);
	c->halted = false;
}

/*
 * KVM_RUN was interrupted: end a block, see whether the VM is done.  Only
 * a vCPU KVM still holds halted is made runnable: one that KVM woke and
 * that since took an INIT, say, is left as it is.
 */
static void vcpu_interrupted(struct vcpu *c)
{
	struct kvm_mp_state mp, runnable = { KVM_MP_STATE_RUNNABLE };

	vcpu_kick_taken(c);
	if (c->halted && !ioctl(c->fd, KVM_GET_MP_STATE, &mp) &&
	    mp.mp_state == KVM_MP_STATE_HALTED) {
		ioctl(c->fd, KVM_SET_MP_STATE, &runnable);
		vcpu_block_over(c);	/* still in the block: it ends here */
	}
	vcpu_unhalted(c);
	vcpu_pvtimer(c);
}

void vm_finish(struct vm *vm, int status)
{
	pthread_mutex_lock(&vm->lock);
	if (!atomic_load(&vm->done)) {
		vm->status = status;
		atomic_store(&vm->done, true);
		pthread_kill(vm->main_thread, SIG_DONE);
	}
	pthread_mutex_unlock(&vm->lock);
}

void dump_vcpu(struct vcpu *c, const char *why)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(c->fd, KVM_GET_REGS, &r) < 0 || ioctl(c->fd, KVM_GET_SREGS, &s) < 0) {
		PVX_HV_LOG("vcpu %d: %s; registers unavailable: %s", c->id, why, strerror(errno));
		return;
	}
	fprintf(stderr,
		"pvx-hv: vcpu %d: %s\n"
		"  rip %016llx  rsp %016llx  rflags %016llx\n"
		"  rax %016llx  rbx %016llx  rcx %016llx  rdx %016llx\n"
		"  rsi %016llx  rdi %016llx  rbp %016llx\n"
		"  cr0 %016llx  cr2 %016llx  cr3 %016llx  cr4 %016llx  efer %llx\n"
		"  cs %04x base %llx  ss %04x  idt %llx+%x  gdt %llx+%x\n",
		c->id, why, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx,
		r.rsi, r.rdi, r.rbp, s.cr0, s.cr2, s.cr3, s.cr4, s.efer,
		s.cs.selector, s.cs.base, s.ss.selector, s.idt.base, s.idt.limit,
		s.gdt.base, s.gdt.limit);
	if (r.rip == 0xfff0 && s.cs.base == 0xffff0000)
		fprintf(stderr, "  (the reset state: KVM on AMD resets a vCPU that triple-faults,"
			" the faulting state is lost)\n");
}

/*
 * One exit to userspace, as KVM_RUN left it in c->run: count it, handle
 * it. Everything here is driven by the guest (the fuzz target
 * tests/hv/fuzz-exits.c feeds it arbitrary exit records).
 */
void vcpu_handle_exit(struct vcpu *c)
{
	struct kvm_run *run = c->run;

	c->st.exits[run->exit_reason < STAT_EXITS ? run->exit_reason : STAT_EXITS]++;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(c);
		if (c->block)
			vcpu_block(c);
		break;
	case KVM_EXIT_MMIO:
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
		break;
	case KVM_EXIT_SHUTDOWN:
		dump_vcpu(c, "triple fault");
		vm_finish(c->vm, HV_ETRIPLE);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		vm_finish(c->vm, HV_OK);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		PVX_HV_LOG("vcpu %d: KVM internal error, suberror %u",
			   c->id, run->internal.suberror);
		dump_vcpu(c, "KVM internal error");
		vm_finish(c->vm, HV_EINTERNAL);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		PVX_HV_LOG("vcpu %d: VM entry failed, reason 0x%llx", c->id,
			   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		dump_vcpu(c, "failed entry");
		vm_finish(c->vm, HV_EINTERNAL);
		break;
	default:
		PVX_HV_LOG("vcpu %d: unexpected exit reason %u", c->id, run->exit_reason);
		dump_vcpu(c, "unexpected exit");
		vm_finish(c->vm, HV_EINTERNAL);
		break;
	}
}

/*
 * On a vCPU thread, at the top of its run loop: wait while the VM is
 * paused.  A paused thread is outside KVM_RUN and every libpvxhv call.
 */
static void vcpu_pause_point(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	if (atomic_load(&vm->pausing)) {
		vm->paused++;
		pthread_cond_broadcast(&vm->pause_cond);
		while (atomic_load(&vm->pausing))
			pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
		vm->paused--;
	}
	pthread_mutex_unlock(&vm->pause_lock);
}

/* A vCPU thread enters (+1) or leaves (-1) its run loop. */
static void vcpu_running(struct vm *vm, int delta)
{
	pthread_mutex_lock(&vm->pause_lock);
	vm->running += delta;
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

/*
 * Main thread: stop every vCPU thread at its pause point (a kick takes
 * each out of KVM_RUN or a masked block; a halt in KVM ends as a kick
 * ends it).  false if the VM finished meanwhile; vm_resume() either way.
 */
bool vm_pause(struct vm *vm)
{
	atomic_store(&vm->pausing, true);
	for (int i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->cpus[i]);
	pthread_mutex_lock(&vm->pause_lock);
	while (vm->paused < vm->running && !atomic_load(&vm->done))
		pthread_cond_wait(&vm->pause_cond, &vm->pause_lock);
	pthread_mutex_unlock(&vm->pause_lock);
	return !atomic_load(&vm->done);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	atomic_store(&vm->pausing, false);
	pthread_cond_broadcast(&vm->pause_cond);
	pthread_mutex_unlock(&vm->pause_lock);
}

void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vm *vm = c->vm;
	int r;
	struct sigevent ev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIG_KICK,
		._sigev_un._tid = gettid(),	/* glibc: no sigev_notify_thread_id */
	};

	this_run = c->run;
	c->has_timer = !timer_create(CLOCK_MONOTONIC, &ev, &c->timer);
	c->has_pvtimer = !timer_create(CLOCK_MONOTONIC, &ev, &c->pvtimer);
	if (!c->has_pvtimer && vm->hv) {
		/* TIMER is offered: a guest's timer would never fire */
		PVX_HV_LOG("vcpu %d: timer_create: %s", c->id, strerror(errno));
		vm_finish(vm, HV_EHOST);
	}
	steal_start(c);
	vcpu_running(vm, 1);
	while (!atomic_load(&vm->done)) {
		vcpu_pause_point(vm);
		if (atomic_load(&vm->done))	/* it ended while paused */
			break;
		hypercall_enter(c);
		if (!tlbflush_run_begin(c)) {	/* a TLB flush failed: the VM stops */
			tlbflush_run_end(c);
			vm_finish(vm, HV_EINTERNAL);
			break;
		}
		r = ioctl(c->fd, KVM_RUN, 0);
		tlbflush_run_end(c);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu_interrupted(c);
				continue;
			}
			PVX_HV_LOG("vcpu %d: KVM_RUN: %s", c->id, strerror(errno));
			vm_finish(vm, HV_EINTERNAL);
			break;
		}
		vcpu_unhalted(c);	/* it ran: KVM ended any halt of ours itself */
		vcpu_handle_exit(c);
	}
	vcpu_running(vm, -1);
	if (c->has_timer)
		timer_delete(c->timer);
	if (c->has_pvtimer)
		timer_delete(c->pvtimer);
	if (c->schedstat >= 0)
		close(c->schedstat);
	return NULL;
}
