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
 * in every format; a reader refuses a format newer than its own and reads
 * every older one.  Format 2 (API 4, PVX 1.2) appended fields to the vCPU
 * record: a format 1 blob's record is the first STATE_VCPU_SIZE_1 bytes,
 * and what it lacks reads as "none" (no moved time record, seqlocks 0).
 */
#ifndef PVXHV_STATE_H
#define PVXHV_STATE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_MAGIC		0x53585650u	/* "PVXS" in byte order */
#define STATE_FORMAT		2u		/* the format this library writes */

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
	/* Format 2: */
	uint8_t	time_gpa[8];		/* set_time_record's record or PVX_GPA_NONE */
	uint8_t	steal_rec_version[4];	/* the steal record's seqlock, even */
	uint8_t	wall_version[4];	/* the wall clock record's seqlock, even */
};

#define STATE_VCPU_SIZE_1	offsetof(struct state_vcpu, time_gpa)

_Static_assert(sizeof(struct state_hdr) == 40 && STATE_VCPU_SIZE_1 == 40 &&
	       sizeof(struct state_vcpu) == 56,
	       "the blob's layout is frozen: a change is a new STATE_FORMAT");

/* vCPU flags; every other bit is reserved (0). */
#define STATE_VF_PREEMPTED	0x1u	/* pvxhv_vcpu_preempt() without a later enter */
#define STATE_VF_FLUSH_PENDING	0x2u	/* a TLB flush deferred to the next enter */
#define STATE_VF_STEAL_MARKED	0x4u	/* format 2: PVX_STEAL_PREEMPTED in the steal record
					   since the last enter */
#define STATE_VF_ALL_1		(STATE_VF_PREEMPTED | STATE_VF_FLUSH_PENDING)
#define STATE_VF_ALL		(STATE_VF_ALL_1 | STATE_VF_STEAL_MARKED)

#define STATE_CRC_SIZE		4

/* A vCPU record's size in format (1 .. STATE_FORMAT). */
static inline size_t state_vcpu_size(uint32_t format)
{
	return format == 1 ? STATE_VCPU_SIZE_1 : sizeof(struct state_vcpu);
}

/* The blob's size for nr_vcpus vCPUs, in format and in this library's. */
static inline size_t state_size_in(uint32_t format, uint32_t nr_vcpus)
{
	return sizeof(struct state_hdr) + (size_t)nr_vcpus * state_vcpu_size(format) + STATE_CRC_SIZE;
}

static inline size_t state_size(uint32_t nr_vcpus)
{
	return state_size_in(STATE_FORMAT, nr_vcpus);
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
/* Byte offset of vCPU i's record, in format and in this library's. */
#define STATE_VCPU_AT_IN(format, i)	(sizeof(struct state_hdr) + (size_t)(i) * state_vcpu_size(format))
#define STATE_VCPU_AT(i)		STATE_VCPU_AT_IN(STATE_FORMAT, i)

#endif /* PVXHV_STATE_H */
