/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the fault-injection host (test_faults.c) and its firmware
 * (fault_fw.c) say to each other on the service "hipc-faults".  Every
 * message carries its sender's sequence number and a CRC32C over the
 * header and the payload, and is checked on arrival: in order, exactly
 * once, intact.
 */
#ifndef HIPC_TEST_FAULT_PROTO_H
#define HIPC_TEST_FAULT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hipc/bufpool.h" /* hipc_crc32c() */

#define FP_SERVICE "hipc-faults"

enum fp_kind {
	FP_DATA = 1,  /* host -> remote: a stream message; remote -> host: its
		       * answer (ack = the host's seq) */
	FP_FLIP = 2,  /* host -> remote: be hostile (seq = what to corrupt) */
};

/* What a hostile remote corrupts (FP_FLIP), then stops touching the ring
 * so the host cannot miss it: each one is a violation the host's trust
 * checks must catch. */
enum fp_flip {
	FP_FLIP_RX_USED_IDX = 0,  /* vring 0 used idx, a bit above num */
	FP_FLIP_TX_USED_IDX = 1,  /* vring 1 used idx, likewise */
	FP_FLIP_RX_USED_ID = 2,   /* vring 0: next used entry names no buffer */
	FP_FLIP_RX_USED_LEN = 3,  /* vring 0: next used entry longer than any */
	FP_FLIP_KINDS = 4,
};

struct fp_msg {
	uint32_t kind;
	uint32_t len;        /* payload bytes */
	uint64_t seq;        /* the sender's, from 0 per session (remote) or
			      * per run (host) */
	uint64_t ack;        /* remote: the host seq this answers */
	uint32_t crc;        /* CRC32C of everything but this field */
	/* remote -> host: its view, for the counters and the checks */
	uint32_t bad;        /* messages it received broken, duplicated or
			      * out of order this session (must stay 0) */
	uint32_t f_drop, f_dup, f_delay; /* faults it injected (this process) */
	uint32_t rechecks, recoveries;   /* its link's (this process) */
	uint8_t payload[432];
};

#define FP_HDR offsetof(struct fp_msg, payload)

_Static_assert(sizeof(struct fp_msg) <= 496, "fits one 512-byte buffer");

static inline uint32_t fp_crc(const struct fp_msg *m)
{
	uint32_t c = hipc_crc32c(0, m, offsetof(struct fp_msg, crc));

	c = hipc_crc32c(c, &m->bad,
			FP_HDR - offsetof(struct fp_msg, bad) + m->len);
	return c;
}

/* A payload of a length and content that follow from the seq. */
static inline size_t fp_fill(struct fp_msg *m, uint32_t kind, uint64_t seq,
			     uint32_t salt)
{
	uint32_t len = (uint32_t)((seq * 2654435761u + salt) % (sizeof(m->payload) + 1));

	m->kind = kind;
	m->len = len;
	m->seq = seq;
	for (uint32_t i = 0; i < len; i++)
		m->payload[i] = (uint8_t)(seq * 131u + i * 7u + salt);
	m->crc = fp_crc(m);
	return FP_HDR + len;
}

/* Copied out of the buffer first (the peer may rewrite it), then checked:
 * 0 intact, -1 not. */
static inline int fp_check(struct fp_msg *m, const void *data, size_t len)
{
	if (len < FP_HDR || len > sizeof(*m))
		return -1;
	memset(m, 0, sizeof(*m));
	memcpy(m, data, len);
	if (m->len != len - FP_HDR || m->crc != fp_crc(m))
		return -1;
	return 0;
}

#endif
