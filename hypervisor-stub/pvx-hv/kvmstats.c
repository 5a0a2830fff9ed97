// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's own per-vCPU counters, read through its binary statistics file
 * descriptor (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst): the VM
 * exits KVM handled itself (HLT, the LAPIC timer, EOI, ...) never reach
 * the run loop, so --stats takes them from here.
 *
 * The file is a header, then num_desc descriptors of sizeof(struct
 * kvm_stats_desc) + name_size bytes each, then the data. Only plain
 * counters are summed: cumulative, unit none, one u64.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pvx-hv.h"

/* Bounds on what the kernel hands us; 6.12 has about 40 vCPU counters. */
#define KSTAT_MAX_DESC	256
#define KSTAT_MAX_NAME	128

static bool plain_counter(const struct kvm_stats_desc *d)
{
	return (d->flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE &&
	       (d->flags & KVM_STATS_UNIT_MASK) == KVM_STATS_UNIT_NONE && d->size == 1;
}

static int kstat_find(struct kvm_counters *k, const char *name)
{
	int i;

	for (i = 0; i < k->n; i++)
		if (!strcmp(k->name[i], name))
			return i;
	if (k->n == KSTAT_COUNTERS)
		return -1;
	snprintf(k->name[i], sizeof(k->name[i]), "%s", name);
	k->val[i] = 0;
	k->n++;
	return i;
}

/* Add one vCPU's counters (its stats fd) to k; -1 if unreadable. */
static int kstat_add(struct kvm_counters *k, int fd)
{
	struct kvm_stats_header h;
	size_t dsize;
	char *descs = NULL;
	int err = -1;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h) || !h.num_desc ||
	    h.num_desc > KSTAT_MAX_DESC || h.name_size > KSTAT_MAX_NAME)
		return -1;
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsize * h.num_desc);
	if (!descs || pread(fd, descs, dsize * h.num_desc, h.desc_offset) !=
		      (ssize_t)(dsize * h.num_desc))
		goto out;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(descs + i * dsize);
		uint64_t v;
		int j;

		if (!plain_counter(d))
			continue;
		d->name[h.name_size - 1] = '\0';
		if (pread(fd, &v, sizeof(v), h.data_offset + d->offset) != sizeof(v))
			goto out;
		j = kstat_find(k, d->name);
		if (j >= 0)
			k->val[j] += v;
	}
	err = 0;
out:
	free(descs);
	return err;
}

void kvm_stats_open(struct vcpu *c)
{
	c->stats_fd = ioctl(c->fd, KVM_GET_STATS_FD, NULL);
}

int kvm_stats_read(const struct vm *vm, struct kvm_counters *k)
{
	k->n = 0;
	for (int i = 0; i < vm->ncpus; i++)
		if (vm->cpus[i].stats_fd < 0 || kstat_add(k, vm->cpus[i].stats_fd) < 0)
			return -1;
	return 0;
}

uint64_t kvm_stat(const struct kvm_counters *k, const char *name)
{
	for (int i = 0; i < k->n; i++)
		if (!strcmp(k->name[i], name))
			return k->val[i];
	return 0;
}
