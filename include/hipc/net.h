/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "rpmsg-net" link's wire format (docs/interfaces.md, "On the link"),
 * for both of its ends: hipcd's TAP and an island's network stack
 * (firmware/netpeer, or a real MCU's).  Header only and freestanding, so a
 * Cortex-M firmware can use it as it is.
 *
 * Version 1 of the link carries one Ethernet frame per rpmsg message, so
 * the MTU is one buffer's payload less the Ethernet header.  Fragments
 * (this file) lift that: both ends say, in a CAPS message on the link's
 * endpoint, the largest MTU they reassemble and the address of a second
 * endpoint of theirs that takes fragments.  A frame larger than one
 * message then travels to that endpoint as pieces, each behind an 8-byte
 * header; frames that fit one message still go whole, as in version 1.
 *
 *   CAPS (12 bytes, to the peer's link endpoint; shorter than any frame,
 *   so an end that predates fragments drops and counts it, never delivers
 *   it):   "hnet"  u16 type (1)  u16 max_mtu  u32 frag_addr
 *   piece (to the peer's fragment endpoint):
 *          u32 total  u16 id  u16 index  then 1 or more bytes of the frame
 *
 * total is the whole frame's length (Ethernet header, and the 802.1Q tag
 * when VLANs are on, included); id is the sender's frame counter, the
 * same on every piece of one frame; index counts the pieces from 0.
 * Pieces of one frame go back to back in order; a sender that runs out of
 * buffers midway gives the frame up and starts the next at index 0.
 *
 * What the peer writes is untrusted: hipc_net_reasm_add() copies each
 * piece out of shared memory once, and refuses (and counts) a piece whose
 * header is short, whose total is out of bounds, that does not continue
 * the frame under way (another id or total, an index out of order) or
 * that would make the frame longer than its total.
 */
#ifndef HIPC_NET_H
#define HIPC_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hipc/byteorder.h"

#define HIPC_NET_CAPS_LEN 12u
#define HIPC_NET_CAPS_TYPE 1u
#define HIPC_NET_FRAG_HDR 8u
/* The MTU both ends offer by default: a frame in at most this many pieces,
 * so one frame never takes more than an eighth of a 256-buffer ring. */
#define HIPC_NET_FRAG_PIECES 32u
#define HIPC_NET_MTU_MAX 65535u  /* an IP datagram's largest */
#define HIPC_NET_VLAN_TAG_LEN 4u  /* 802.1Q: TPID 0x8100, then PCP/DEI/VID */
#define HIPC_NET_TPID_8021Q 0x8100u

/*
 * Tags a frame for VLAN @vid (1 to 4094; PCP and DEI 0), for the link.
 * The untagged frame of @len bytes starts HIPC_NET_VLAN_TAG_LEN bytes into
 * @buf: its MAC addresses move forward into that room and the tag goes
 * after them, so the rest of the frame is not copied.  The tagged frame
 * starts at @buf; returns its length, @len + HIPC_NET_VLAN_TAG_LEN.
 */
static inline size_t hipc_net_vlan_tag(uint8_t *buf, size_t len, uint16_t vid)
{
	__builtin_memmove(buf, buf + HIPC_NET_VLAN_TAG_LEN, 12);
	buf[12] = (uint8_t)(HIPC_NET_TPID_8021Q >> 8);
	buf[13] = (uint8_t)HIPC_NET_TPID_8021Q;
	buf[14] = (uint8_t)(vid >> 8);
	buf[15] = (uint8_t)vid;
	return len + HIPC_NET_VLAN_TAG_LEN;
}

/* What a CAPS message says. */
struct hipc_net_caps {
	uint16_t max_mtu;   /* the largest MTU the sender reassembles */
	uint32_t frag_addr; /* the sender's fragment endpoint */
};

static inline void hipc_net_caps_put(uint8_t *out, uint16_t max_mtu,
				     uint32_t frag_addr)
{
	out[0] = 'h';
	out[1] = 'n';
	out[2] = 'e';
	out[3] = 't';
	hipc_put_le16(out + 4, HIPC_NET_CAPS_TYPE);
	hipc_put_le16(out + 6, max_mtu);
	hipc_put_le32(out + 8, frag_addr);
}

/* Is @msg (@len bytes, read once here) a CAPS message?  Fills @c. */
static inline bool hipc_net_caps_get(const void *msg, size_t len,
				     struct hipc_net_caps *c)
{
	uint8_t b[HIPC_NET_CAPS_LEN];

	if (len != HIPC_NET_CAPS_LEN)
		return false;
	__builtin_memcpy(b, msg, sizeof(b));
	if (b[0] != 'h' || b[1] != 'n' || b[2] != 'e' || b[3] != 't' ||
	    hipc_get_le16(b + 4) != HIPC_NET_CAPS_TYPE)
		return false;
	c->max_mtu = hipc_get_le16(b + 6);
	c->frag_addr = hipc_get_le32(b + 8);
	return true;
}

/*
 * The MTU an end offers with @payload bytes per message and @hdr bytes of
 * link header (14, or 18 with VLANs): a frame in HIPC_NET_FRAG_PIECES
 * pieces at most, never above HIPC_NET_MTU_MAX.
 */
static inline unsigned hipc_net_frag_mtu(size_t payload, size_t hdr)
{
	size_t f;

	if (payload <= HIPC_NET_FRAG_HDR)
		return 0;
	f = (payload - HIPC_NET_FRAG_HDR) * HIPC_NET_FRAG_PIECES;
	if (f <= hdr)
		return 0;
	f -= hdr;
	return f > HIPC_NET_MTU_MAX ? HIPC_NET_MTU_MAX : (unsigned)f;
}

static inline void hipc_net_frag_hdr_put(uint8_t *out, uint32_t total,
					 uint16_t id, uint16_t index)
{
	hipc_put_le32(out, total);
	hipc_put_le16(out + 4, id);
	hipc_put_le16(out + 6, index);
}

/* A receiver's frame under reassembly; @buf (@cap bytes) is the caller's,
 * in local memory. */
struct hipc_net_reasm {
	uint8_t *buf;
	size_t cap;
	uint32_t total, got;
	uint16_t id, next;
	bool active;
	uint64_t frames;   /* frames reassembled */
	uint64_t errors;   /* pieces refused */
	uint64_t lost;     /* frames given up by their sender midway */
};

static inline void hipc_net_reasm_init(struct hipc_net_reasm *r, uint8_t *buf,
				       size_t cap)
{
	__builtin_memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->cap = cap;
}

/* Forget the frame under way (the link went down or was reset). */
static inline void hipc_net_reasm_reset(struct hipc_net_reasm *r)
{
	r->active = false;
}

/*
 * One piece, @msg of @len bytes in shared memory, for frames of @min to
 * @max bytes.  Returns the frame's length once its last piece is in (the
 * frame is then in r->buf), 0 while more are to come, -1 when the piece
 * was refused (counted in r->errors; the frame under way, if any, is
 * given up with it).  A piece at index 0 starts a new frame and gives up
 * an unfinished one (counted in r->lost): its sender ran out of buffers,
 * which an honest sender may, so it is no error.
 */
static inline int hipc_net_reasm_add(struct hipc_net_reasm *r,
				     const void *msg, size_t len, size_t min,
				     size_t max)
{
	const uint8_t *m = (const uint8_t *)msg;
	uint8_t h[HIPC_NET_FRAG_HDR];
	uint32_t total;
	uint16_t id, index;
	size_t n;

	if (len <= HIPC_NET_FRAG_HDR)
		goto refuse;
	__builtin_memcpy(h, m, sizeof(h));
	total = hipc_get_le32(h);
	id = hipc_get_le16(h + 4);
	index = hipc_get_le16(h + 6);
	n = len - HIPC_NET_FRAG_HDR;
	if (index == 0) {
		if (r->active)
			r->lost++; /* the last one never finished */
		r->active = false;
		if (total < min || total > max || total > r->cap)
			goto refuse;
		r->total = total;
		r->got = 0;
		r->id = id;
		r->next = 0;
		r->active = true;
	} else if (!r->active || id != r->id || total != r->total ||
		   index != r->next) {
		goto refuse;
	}
	if (n > r->total - r->got)
		goto refuse; /* longer than it said */
	__builtin_memcpy(r->buf + r->got, m + HIPC_NET_FRAG_HDR, n);
	r->got += (uint32_t)n;
	r->next++;
	if (r->got < r->total)
		return 0;
	r->active = false;
	r->frames++;
	return (int)r->total;
refuse:
	r->errors++;
	r->active = false;
	return -1;
}

#endif
