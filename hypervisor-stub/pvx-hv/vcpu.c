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
 * KVM_RUN returns -EINTR when the main thread stops us (watchdog, another
 * vCPU finished the VM): it sets run->immediate_exit and signals the thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "pvx-hv.h"

static void handle_io(struct vcpu *c)
{
	struct kvm_run *run = c->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	if (hypercall_port(run->io.port)) {
		c->st.io[IO_HYPERCALL]++;
		hypercall(c);
		return;
	}
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			io_out(c, run->io.port, data, run->io.size);
		else
			io_in(c, run->io.port, data, run->io.size);
	}
}

void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vm *vm = c->vm;
	struct kvm_run *run = c->run;

	while (!atomic_load(&vm->done)) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			PVX_HV_LOG("vcpu %d: KVM_RUN: %s", c->id, strerror(errno));
			vm_finish(vm, HV_EINTERNAL);
			break;
		}
		c->st.exits[run->exit_reason < STAT_EXITS ? run->exit_reason : STAT_EXITS]++;

		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(c);
			break;
		case KVM_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			break;
		case KVM_EXIT_SHUTDOWN:
			dump_vcpu(c, "triple fault");
			vm_finish(vm, HV_ETRIPLE);
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			vm_finish(vm, HV_OK);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			PVX_HV_LOG("vcpu %d: KVM internal error, suberror %u",
				   c->id, run->internal.suberror);
			dump_vcpu(c, "KVM internal error");
			vm_finish(vm, HV_EINTERNAL);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			PVX_HV_LOG("vcpu %d: VM entry failed, reason 0x%llx", c->id,
				   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			dump_vcpu(c, "failed entry");
			vm_finish(vm, HV_EINTERNAL);
			break;
		default:
			PVX_HV_LOG("vcpu %d: unexpected exit reason %u", c->id, run->exit_reason);
			dump_vcpu(c, "unexpected exit");
			vm_finish(vm, HV_EINTERNAL);
			break;
		}
	}
	return NULL;
}
