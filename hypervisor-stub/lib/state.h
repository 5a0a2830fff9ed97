/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpvxhv internals: the layout of the blob pvxhv_save() writes and
 * pvxhv_restore() reads (Documentation/abi/implementers.rst, "Save and
 * restore").  Not installed; the tests craft blobs from it.
 *
 * Every field is little-endian and fixed-width:
 *
 *	header (struct state_hdr)
 *	nr_vcpus records (struct state_vcpu), vCPU 0 first
 *	CRC-32 (IEEE 802.3, as zlib's crc32()) of every byte before it
 *
 * Compatibility: magic, format and length keep their offsets and meaning
 * in every format; a reader refuses a format newer than its own.
 */
#ifndef PVXHV_STATE_H
#define PVXHV_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_MAGIC		0x53585650u	/* "PVXS" in byte order */
#define STATE_FORMAT		1u		/* the format this library writes and reads */

/*
 * The header and a vCPU record, as byte arrays: offsetof() and sizeof()
 * give each field's offset and width, and there is no padding.
 */
struct state_hdr {
	uint8_t	magic[4];		/* STATE_MAGIC */
	uint8_t	format[2];		/* STATE_FORMAT */
	uint8_t	reserved0[2];		/* 0 */
	uint8_t	length[4];		/* bytes in the blob, CRC included */
	uint8_t	abi_version[4];		/* ABI version the saving instance served */
	uint8_t	nr_vcpus[4];
	uint8_t	negotiated[4];		/* 0: not negotiated, 1: negotiated */
	uint8_t	neg_version[4];		/* negotiated version (0 if not negotiated) */
	uint8_t	reserved1[4];		/* 0 */
	uint8_t	neg_features[8];	/* negotiated features (0 if not negotiated) */
};

struct state_vcpu {
	uint8_t	shared_gpa[8];		/* registered page or PVX_GPA_NONE */
	uint8_t	steal_ns[8];		/* steal time last given to pvxhv_vcpu_enter() */
	uint8_t	kicks[8];		/* kicks pending (recorded, not consumed by a block) */
	uint8_t	time_version[4];	/* time record seqlock, even */
	uint8_t	steal_version[4];	/* steal record seqlock, even */
	uint8_t	timer_vector[4];	/* armed timer's vector, 0: none */
	uint8_t	flags[4];		/* STATE_VF_* */
};

_Static_assert(sizeof(struct state_hdr) == 40 && sizeof(struct state_vcpu) == 40,
	       "the blob's layout is frozen: a change is a new STATE_FORMAT");

/* vCPU flags; every other bit is reserved (0). */
#define STATE_VF_PREEMPTED	0x1u	/* pvxhv_vcpu_preempt() without a later enter */
#define STATE_VF_FLUSH_PENDING	0x2u	/* a TLB flush deferred to the next enter */
#define STATE_VF_ALL		(STATE_VF_PREEMPTED | STATE_VF_FLUSH_PENDING)

#define STATE_CRC_SIZE		4

/* The blob's size for nr_vcpus vCPUs. */
static inline size_t state_size(uint32_t nr_vcpus)
{
	return sizeof(struct state_hdr) + (size_t)nr_vcpus * sizeof(struct state_vcpu) + STATE_CRC_SIZE;
}

/* CRC-32 (reflected, polynomial 0xedb88320, initial and final ~0). */
uint32_t state_crc32(const void *buf, size_t len);

/* Little-endian fields. */
static inline uint64_t state_get(const uint8_t *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void state_put(uint8_t *p, int bytes, uint64_t v)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * Field f of the record of type t (state_hdr, state_vcpu) that starts at
 * byte base of blob b: STATE_GET(b, base, state_hdr, nr_vcpus).
 */
#define STATE_FIELD(b, base, t, f)	((b) + (base) + offsetof(struct t, f))
#define STATE_WIDTH(t, f)		((int)sizeof(((struct t *)0)->f))
#define STATE_GET(b, base, t, f)	state_get(STATE_FIELD(b, base, t, f), STATE_WIDTH(t, f))
#define STATE_PUT(b, base, t, f, v)	state_put(STATE_FIELD(b, base, t, f), STATE_WIDTH(t, f), (v))
/* Byte offset of vCPU i's record. */
#define STATE_VCPU_AT(i)		(sizeof(struct state_hdr) + (size_t)(i) * sizeof(struct state_vcpu))

#endif /* PVXHV_STATE_H */
