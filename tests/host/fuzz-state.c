// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for pvxhv_restore(): the input is a state blob.
 *
 * Each input is restored twice into each of two 4-vCPU instances (region
 * mode and accessor mode, reset first): as it is, which exercises the
 * envelope and checksum, and with its checksum recomputed, which lets
 * the fuzzer reach every field check.  Beyond ASan/UBSan it checks:
 *   - a refusal is one of pvxhv.h's documented codes and leaves the
 *     instance exactly as it was (a save before and after are the same);
 *   - an accepted blob is one a save gives back (every field but the
 *     saving instance's ABI version and the checksum over it; for an
 *     older format, every field that format has, the new ones "none"):
 *     nothing restored that the instance does not hold;
 *   - both memory modes give the same verdict, but for a blob that
 *     negotiated a feature only region mode offers (STEAL_RECORD);
 *   - the restored instance runs: every vCPU enters (its shared page is
 *     written), blocks, and has its timer expire, with fakevm.h checking
 *     every vCPU id and vector the library hands out.
 *
 * Seeds: real saves and the API 3 blob (state-api3.h), written to
 * $PVX_STATE_SEEDS (if set) before the corpus is read (tests/host/fuzz.sh
 * sets it).
 */
#include <errno.h>
#include <stdbool.h>

#include "fakevm.h"
#include "internal.h"
#include "state.h"
#include "state-api3.h"
#include "state-guest.h"

#define NR_VCPUS	4

static struct fvm vms[2];		/* region mode, accessor mode */
static uint8_t before[4096], after[4096], sealed[8192];

#define PROMISE(c) do {								\
	if (!(c)) {								\
		fprintf(stderr, "fuzz-state: broken promise: %s\n", #c);	\
		abort();							\
	}									\
} while (0)

/*
 * Built with the library's test hooks (as fuzz-hv), so a callback made
 * under an internal lock stops the run; the hooks themselves are quiet.
 */
void pvxhv_test_fetch(void *opaque, uint64_t gpa, const void *copy, size_t len)
{
	(void)opaque; (void)gpa; (void)copy; (void)len;
}

void pvxhv_test_store(void *opaque, uint64_t gpa, const void *src, size_t len)
{
	(void)opaque; (void)gpa; (void)src; (void)len;
}

void pvxhv_test_dispatch(void *opaque, uint64_t nr)
{
	(void)opaque; (void)nr;
}

void pvxhv_test_point(void *opaque, int point, uint32_t vcpu)
{
	(void)opaque; (void)point; (void)vcpu;
}

static size_t save_into(struct fvm *m, uint8_t *buf)
{
	int64_t n = pvxhv_save(m->hv, buf, sizeof(before));

	PROMISE(n > 0 && (size_t)n == state_size(m->cfg.nr_vcpus));
	return (size_t)n;
}

static bool documented(int ret)
{
	switch (-ret) {
	case ENOMSG: case EPROTONOSUPPORT: case EBADMSG: case ERANGE:
	case EOPNOTSUPP: case EFAULT: case ENOMEM:
		return true;
	}
	return false;
}

/* Run every vCPU of the restored instance once. */
static void drive(struct fvm *m)
{
	for (uint32_t i = 0; i < NR_VCPUS; i++) {
		int flags = pvxhv_vcpu_enter(m->hv, i, 0);

		PROMISE(flags >= 0 && !(flags & ~PVXHV_ENTER_FLUSH_TLB));
		(void)fvm_call(m, i, PVX_HC_block, 0, 0, 0, 0, 0);
		PROMISE(pvxhv_timer_expired(m->hv, i) >= 0);
	}
}

/*
 * An accepted blob b is what the save after gives back: the header but
 * the format, length and ABI version, and each vCPU's fields of b's
 * format; the fields a format 1 blob lacks, "none".
 */
static void same_state(const uint8_t *b, size_t len, const uint8_t *a, size_t alen)
{
	const uint32_t format = (uint32_t)STATE_GET(b, 0, state_hdr, format);
	const uint32_t nr = (uint32_t)STATE_GET(b, 0, state_hdr, nr_vcpus);
	const size_t ver = offsetof(struct state_hdr, abi_version);
	const size_t ver_end = ver + STATE_WIDTH(state_hdr, abi_version);

	PROMISE(len == state_size_in(format, nr) && alen == state_size(nr));
	PROMISE(!memcmp(b, a, offsetof(struct state_hdr, format)));
	PROMISE(format != STATE_FORMAT || !memcmp(b, a, ver));
	PROMISE(!memcmp(b + ver_end, a + ver_end, sizeof(struct state_hdr) - ver_end));
	for (uint32_t i = 0; i < nr; i++) {
		PROMISE(!memcmp(b + STATE_VCPU_AT_IN(format, i), a + STATE_VCPU_AT(i),
				state_vcpu_size(format)));
		if (format == 1)
			PROMISE(STATE_GET(a, STATE_VCPU_AT(i), state_vcpu, time_gpa) == PVX_GPA_NONE &&
				!STATE_GET(a, STATE_VCPU_AT(i), state_vcpu, steal_rec_version) &&
				!STATE_GET(a, STATE_VCPU_AT(i), state_vcpu, wall_version));
	}
}

static int one(struct fvm *m, const uint8_t *b, size_t len)
{
	size_t n0, n1;
	int ret;

	pvxhv_reset(m->hv);
	n0 = save_into(m, before);
	ret = pvxhv_restore(m->hv, b, len);
	n1 = save_into(m, after);
	if (ret) {
		PROMISE(documented(ret));
		PROMISE(n0 == n1 && !memcmp(before, after, n0));
		return ret;
	}
	same_state(b, len, after, n1);
	drive(m);
	return 0;
}

static void both(const uint8_t *b, size_t len)
{
	int r0 = one(&vms[0], b, len), r1 = one(&vms[1], b, len);
	const uint64_t region_only = pvxhv_features(vms[0].hv) & ~pvxhv_features(vms[1].hv);

	PROMISE(r0 == r1 || (r1 == -EOPNOTSUPP &&
			     (STATE_GET(b, 0, state_hdr, neg_features) & region_only)));
}

static void setup(void)
{
	static bool done;

	if (done)
		return;
	for (int i = 0; i < 2; i++) {
		struct fvm_opts o = { .nr_vcpus = NR_VCPUS, .accessor = i == 1 };

		PROMISE(!fvm_init(&vms[i], &o));
	}
	done = true;
}

/* Real saves: fresh, negotiated, the full guest state, another vCPU count. */
static void write_file(const char *dir, const char *name, const uint8_t *buf, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	PROMISE(f && fwrite(buf, 1, n, f) == n && !fclose(f));
}

static void write_seed(const char *dir, const char *name, struct fvm *m)
{
	uint8_t buf[sizeof(before)];

	write_file(dir, name, buf, save_into(m, buf));
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = getenv("PVX_STATE_SEEDS");
	struct fvm m;
	struct fvm_opts o = { .nr_vcpus = NR_VCPUS };

	(void)argc;
	(void)argv;
	setup();
	if (!dir)
		return 0;
	PROMISE(!fvm_init(&m, &o));
	write_seed(dir, "fresh", &m);
	PROMISE(fvm_negotiate(&m, PVX_ABI_VERSION_LATEST, ~0ull) == 0);
	write_seed(dir, "negotiated", &m);
	pvxhv_reset(m.hv);
	PROMISE(state_guest_setup(&m) == 0);
	write_seed(dir, "guest", &m);
	pvxhv_reset(m.hv);
	PROMISE(state_guest_setup_with(&m, ~PVX_FEATURE(STEAL_RECORD)) == 0);
	write_seed(dir, "guest-both-modes", &m);
	fvm_fini(&m);
	write_file(dir, "api3", state_api3_blob, sizeof(state_api3_blob));
	o.nr_vcpus = NR_VCPUS / 2;
	PROMISE(!fvm_init(&m, &o));
	PROMISE(fvm_negotiate(&m, PVX_ABI_VERSION_LATEST, ~0ull) == 0);
	write_seed(dir, "two-vcpus", &m);
	fvm_fini(&m);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	setup();
	both(data, size);
	if (size >= STATE_CRC_SIZE && size <= sizeof(sealed)) {
		memcpy(sealed, data, size);
		state_put(sealed + size - STATE_CRC_SIZE, STATE_CRC_SIZE,
			  state_crc32(sealed, size - STATE_CRC_SIZE));
		both(sealed, size);
	}
	return 0;
}
