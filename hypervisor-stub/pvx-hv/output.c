// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's output stream (stdout).  A device appends to a ring of
 * OUTPUT_SIZE bytes and returns; one writer thread alone calls write().
 * So a reader that is slow holds the guest back (the ring fills and
 * output_put() waits, as a slow UART would), and one that stalls or goes
 * away costs no more than OUTPUT_STALL_NS once:
 *
 *   reader slow      output_put() waits for room while the writer makes
 *                    progress; nothing is lost;
 *   reader stalled   no progress for OUTPUT_STALL_NS: output is dropped
 *                    (counted) until the writer makes progress again;
 *   reader gone      write() fails (EPIPE: SIGPIPE is ignored, main.c):
 *                    everything from then on is dropped (counted).
 *
 * A line goes in whole or not at all, and lines go out in the order the
 * devices made them: a device takes a ticket (output_ticket()) under its
 * own lock as it finishes a line, and output_put() serves tickets in
 * order.  No device lock is held while output_put() waits, and nothing
 * here takes one, so a stalled stdout never delays the watchdog or a
 * signal.  At
 * exit output_finish() gives the writer OUTPUT_DRAIN_NS for the rest and
 * says on stderr how many bytes never reached stdout.  A writer still
 * blocked in write() then is not waited for: the process exit ends it.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "pvx-hv.h"

static void deadline_of(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ns += ts->tv_nsec;
	ts->tv_sec += ns / 1000000000;
	ts->tv_nsec = ns % 1000000000;
}

/* Under o->lock: the bytes of [head, head + len) up to the end of the ring. */
static size_t contiguous(const struct output *o)
{
	size_t to_end = OUTPUT_SIZE - o->head;

	return o->len < to_end ? o->len : to_end;
}

static void *output_thread(void *arg)
{
	struct output *o = arg;

	pthread_mutex_lock(&o->lock);
	for (;;) {
		while (!o->len && !o->stop)
			pthread_cond_wait(&o->more, &o->lock);
		if (!o->len)
			break;
		/* output_put() never touches [head, head + len): safe unlocked */
		const char *p = o->buf + o->head;
		size_t n = contiguous(o);

		if (n > OUTPUT_CHUNK)	/* progress seen often, even on a slow tty */
			n = OUTPUT_CHUNK;

		pthread_mutex_unlock(&o->lock);
		ssize_t done = write(o->fd, p, n);
		int err = errno;

		if (done < 0 && err == EAGAIN) {	/* a non-blocking stdout */
			struct pollfd pfd = { .fd = o->fd, .events = POLLOUT };

			poll(&pfd, 1, 100);
		}
		pthread_mutex_lock(&o->lock);
		if (done > 0) {
			o->head = (o->head + done) % OUTPUT_SIZE;
			o->len -= done;
			o->progress_ns = now_ns();
			o->stalled = false;
			pthread_cond_broadcast(&o->room);
		} else if (done == 0 || (err != EINTR && err != EAGAIN)) {
			o->gone = true;
			o->dropped += o->len;
			o->len = 0;
			pthread_cond_broadcast(&o->room);
			break;
		}
	}
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/* Start the writer on fd; HV_EHOST if it cannot be. */
int output_start(struct output *o, int fd)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&o->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&o->more, &attr);
	pthread_cond_init(&o->room, &attr);
	pthread_cond_init(&o->turn, &attr);
	pthread_condattr_destroy(&attr);
	o->fd = fd;
	o->progress_ns = now_ns();
	if (pthread_create(&o->thread, NULL, output_thread, o)) {
		PVX_HV_LOG("cannot start the output thread");
		return HV_EHOST;
	}
	o->started = true;
	return 0;
}

/*
 * A device's place in the stream, taken under the device's lock as it
 * finishes a line; every ticket taken must be passed to output_put().
 */
uint64_t output_ticket(struct output *o)
{
	uint64_t t;

	pthread_mutex_lock(&o->lock);
	t = o->tickets++;
	pthread_mutex_unlock(&o->lock);
	return t;
}

/*
 * Append a line (len <= OUTPUT_LINE) in its ticket's turn: at once if
 * there is room, else after waiting for the writer, but never longer
 * than OUTPUT_STALL_NS without its progress.  A line that cannot be
 * appended whole is dropped and counted.
 */
void output_put(struct output *o, uint64_t ticket, const char *buf, size_t len)
{
	uint64_t since = now_ns();

	pthread_mutex_lock(&o->lock);
	while (o->serving != ticket)
		pthread_cond_wait(&o->turn, &o->lock);
	while (len) {
		if (o->gone || o->stop || !o->started || len > OUTPUT_SIZE) {
			o->dropped += len;
			break;
		}
		if (OUTPUT_SIZE - o->len < len) {
			uint64_t from = o->progress_ns > since ? o->progress_ns : since;
			uint64_t now = now_ns();
			struct timespec until;

			if (o->stalled || now - from >= OUTPUT_STALL_NS) {
				o->stalled = true;
				o->dropped += len;
				break;
			}
			deadline_of(&until, from + OUTPUT_STALL_NS - now);
			pthread_cond_timedwait(&o->room, &o->lock, &until);
			continue;
		}
		size_t tail = (o->head + o->len) % OUTPUT_SIZE;
		size_t first = OUTPUT_SIZE - tail < len ? OUTPUT_SIZE - tail : len;

		memcpy(o->buf + tail, buf, first);
		memcpy(o->buf, buf + first, len - first);	/* wrapped */
		o->len += len;
		pthread_cond_signal(&o->more);
		break;
	}
	o->serving++;
	pthread_cond_broadcast(&o->turn);
	pthread_mutex_unlock(&o->lock);
}

/* At exit: the rest out within OUTPUT_DRAIN_NS; say what never got out. */
void output_finish(struct output *o)
{
	struct timespec until;
	uint64_t dropped;
	bool gone;

	if (!o->started)
		return;
	deadline_of(&until, OUTPUT_DRAIN_NS);
	pthread_mutex_lock(&o->lock);
	o->stop = true;
	pthread_cond_signal(&o->more);
	while (o->len && !o->gone &&
	       pthread_cond_timedwait(&o->room, &o->lock, &until) != ETIMEDOUT)
		;
	/* what the writer may still be writing counts as lost */
	dropped = o->dropped + o->len;
	gone = o->gone;
	pthread_mutex_unlock(&o->lock);
	if (dropped)
		PVX_HV_LOG("stdout %s: %llu bytes of guest output dropped",
			   gone ? "was closed" : "was not read", (unsigned long long)dropped);
}
