// SPDX-License-Identifier: GPL-2.0
/*
 * Steal time for the PVX shared page, from the vCPU thread's schedstat.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "pvx-hv.h"

/*
 * Steal time: how long the vCPU thread was runnable but waiting for a
 * CPU, the second field of its /proc/thread-self/schedstat (the
 * scheduler's run delay, which is also what KVM reports as steal time).
 * 0 where schedstat is not available.  Read at most once per
 * STEAL_READ_NS, the last value passed on in between: one read costs
 * about what a lone port-I/O exit's round trip costs (82 us of CPU in
 * the L1 VM of scripts/l1, against ~90 us; the rest of pvx-hv's work
 * before KVM_RUN takes 17 us), and a guest accounts steal per tick.
 * Not read at all while KVM keeps the vCPU's steal record itself
 * (kvmrecords.c, hypercall_enter()): KVM reads the same run delay.
 */
#define STEAL_READ_NS	1000000

uint64_t steal_ns(struct vcpu *c)
{
	char buf[96];
	unsigned long long run, wait;
	uint64_t now = now_ns();
	ssize_t n;

	if (c->schedstat < 0 || now - c->steal_read_at < STEAL_READ_NS)
		return c->steal_ns;
	c->steal_read_at = now;
	n = pread(c->schedstat, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return c->steal_ns;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &run, &wait) == 2)
		c->steal_ns = wait;
	return c->steal_ns;
}

/* On the vCPU's thread, before its first KVM_RUN. */
void steal_start(struct vcpu *c)
{
	c->schedstat = c->vm->hv ? open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC) : -1;
}
