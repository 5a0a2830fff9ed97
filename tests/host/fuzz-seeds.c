// SPDX-License-Identifier: GPL-2.0
/*
 * Write a seed corpus for fuzz-hv: one valid input per hypercall, in the
 * encoding fuzz-hv.c decodes, so every campaign starts from the deep paths.
 * Usage: fuzz-seeds DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pvxhv.h>

static uint8_t buf[8192];
static size_t len;

static void b8(uint64_t v) { buf[len++] = (uint8_t)v; }
static void bn(uint64_t v, int n) { for (int i = 0; i < n; i++) b8(v >> (8 * i)); }

/*
 * Header: prelude flags (negotiate, shared page, 4 vCPUs), the version
 * byte (minor: fuzz-hv's index 2, the latest; the records each vCPU
 * delegates in bits 5:2), all features.
 */
#define LATEST		2
#define DELEGATE(mask)	((mask) << 2)

static void header_v(uint8_t flags, uint8_t version, unsigned int ncalls)
{
	len = 0;
	b8(flags | (3 << 4));
	b8(version);
	b8(0);
	b8(0);
	b8(ncalls);
}

static void header(uint8_t flags, unsigned int ncalls)
{
	header_v(flags, LATEST, ncalls);
}

/* One call with its arguments: each a (selector, value) in fuzz-hv's encodings. */
static void call(uint64_t nr, unsigned int nargs, const uint64_t *a)
{
	b8(nr);
	b8(nargs);
	b8(0);		/* vCPU 0 */
	for (unsigned int i = 0; i < nargs; i++) {
		if (a[i] < 256) {
			b8(1);
			b8(a[i]);
		} else if (a[i] < 4 * 65536 && !(a[i] & 3)) {
			b8(2);
			bn(a[i] / 4, 2);
		} else {
			b8(4);
			bn(a[i], 8);
		}
	}
}

/* The guest image follows; place bytes at gpa. */
static size_t image_at;
static void image_begin(void) { image_at = len; }
static void put(uint64_t gpa, const void *p, size_t n)
{
	memcpy(buf + image_at + gpa, p, n);
	if (image_at + gpa + n > len)
		len = image_at + gpa + n;
}

static void emit(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		return;
	}
}

#define CALL(nr, ...) call(nr, sizeof((uint64_t[]){ __VA_ARGS__ }) / 8, (uint64_t[]){ __VA_ARGS__ })

int main(int argc, char **argv)
{
	struct pvx_negotiate n = { .size = sizeof(n), .version = PVX_ABI_VERSION_LATEST, .features = ~0ull };
	struct pvx_multicall_entry e[3] = {
		{ .nr = PVX_HC_console_write, .args = { 0x200, 8 } },
		{ .nr = PVX_HC_kick_vcpu, .args = { 2 } },
		{ .nr = PVX_HC_sched_yield },
	};
	uint64_t mask = 0xf;

	if (argc != 2)
		return 2;
	header(0, 1); CALL(PVX_HC_negotiate, 0x100); image_begin(); put(0x100, &n, sizeof(n));
	emit(argv[1], "negotiate");
	header(1, 1); CALL(PVX_HC_register_shared_page, 0x2000); image_begin(); put(0, "", 1);
	emit(argv[1], "register_shared_page");
	header(1, 1); CALL(PVX_HC_sched_yield, 0); image_begin(); emit(argv[1], "sched_yield");
	header(1, 1); CALL(PVX_HC_block, 0); image_begin(); emit(argv[1], "block");
	header(1, 1); CALL(PVX_HC_kick_vcpu, 2); image_begin(); emit(argv[1], "kick_vcpu");
	header(9, 1); CALL(PVX_HC_flush_tlb, 0x100, 4); image_begin(); put(0x100, &mask, 8);
	emit(argv[1], "flush_tlb");
	header(1, 1); CALL(PVX_HC_console_write, 0x200, 16); image_begin(); put(0x200, "hello, pvx host!", 16);
	emit(argv[1], "console_write");
	header(1, 1); CALL(PVX_HC_set_timer, 0x123456789ull, 0x40); image_begin(); emit(argv[1], "set_timer");
	header(1, 1); CALL(PVX_HC_multicall, 0x100, 3); image_begin(); put(0x100, e, sizeof(e));
	put(0x200, "batched!", 8);
	emit(argv[1], "multicall");
	header(1, 1); CALL(PVX_HC_shutdown, 2, 3); image_begin(); emit(argv[1], "shutdown");
	header(1, 1); CALL(PVX_HC_send_ipi, 5, 0, 0xf0); image_begin(); emit(argv[1], "send_ipi");
	header(1, 2); CALL(PVX_HC_console_write, 0x200, 4); CALL(PVX_HC_multicall, 0x100, 3);
	image_begin(); put(0x100, e, sizeof(e)); put(0x200, "two!", 4);
	emit(argv[1], "sequence");
	/* 1.2: the prelude registered vCPU 0's page */
	header(5, 1); CALL(PVX_HC_set_time_record, 0x1040); image_begin(); put(0, "", 1);
	emit(argv[1], "set_time_record");
	header(5, 3); CALL(PVX_HC_soft_reset, 0); CALL(PVX_HC_negotiate, 0x100);
	CALL(PVX_HC_register_shared_page, 0x2000); image_begin(); put(0x100, &n, sizeof(n));
	emit(argv[1], "soft_reset");
	header_v(1, LATEST | DELEGATE((1u << PVXHV_NR_RECORDS) - 1), 2);
	CALL(PVX_HC_register_shared_page, 0x2000); CALL(PVX_HC_set_time_record, 0x1040);
	image_begin(); put(0, "", 1);
	emit(argv[1], "delegated");
	header_v(1, 1, 1); CALL(PVX_HC_register_shared_page, 0x2000); image_begin(); put(0, "", 1);
	emit(argv[1], "guest_1_1");
	return 0;
}
