/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rpmsg-net link's fragments (hipc/net.h): CAPS messages, the offered
 * MTU, and reassembly against a peer that sends what no honest sender
 * would (short headers, totals out of bounds, pieces out of order, longer
 * than their total, frames given up midway).
 */
#include <string.h>

#include "hipc/net.h"
#include "hipc_test.h"

#define MIN 14u
#define MAX (14u + 9000u)

static uint8_t rbuf[MAX];
static struct hipc_net_reasm ra;

/* A piece of @n bytes of @src (offset @off) behind its header, in @msg. */
static size_t piece(uint8_t *msg, uint32_t total, uint16_t id,
		    uint16_t index, const uint8_t *src, size_t off, size_t n)
{
	hipc_net_frag_hdr_put(msg, total, id, index);
	memcpy(msg + HIPC_NET_FRAG_HDR, src + off, n);
	return HIPC_NET_FRAG_HDR + n;
}

static void reset(void)
{
	hipc_net_reasm_init(&ra, rbuf, sizeof(rbuf));
}

HIPC_TEST(caps_round_trip_and_refusals)
{
	uint8_t m[HIPC_NET_CAPS_LEN + 1];
	struct hipc_net_caps c;

	hipc_net_caps_put(m, 64754, 0x401);
	/* the wire: "hnet", type 1, MTU, address; little-endian */
	CHECK(memcmp(m, "hnet\x01\x00\xf2\xfc\x01\x04\x00\x00", 12) == 0);
	CHECK(hipc_net_caps_get(m, HIPC_NET_CAPS_LEN, &c));
	CHECK_EQ(c.max_mtu, 64754);
	CHECK_EQ(c.frag_addr, 0x401);
	/* shorter than any Ethernet frame: an old peer never delivers it */
	CHECK(HIPC_NET_CAPS_LEN < MIN);
	CHECK(!hipc_net_caps_get(m, HIPC_NET_CAPS_LEN - 1, &c));
	CHECK(!hipc_net_caps_get(m, HIPC_NET_CAPS_LEN + 1, &c));
	m[4] = 2; /* a type this version does not know */
	CHECK(!hipc_net_caps_get(m, HIPC_NET_CAPS_LEN, &c));
	m[4] = 1;
	m[0] = 'H';
	CHECK(!hipc_net_caps_get(m, HIPC_NET_CAPS_LEN, &c));
}

HIPC_TEST(offered_mtu)
{
	/* 2048-byte buffers: 2032 of payload, 32 pieces of 2024 */
	CHECK_EQ(hipc_net_frag_mtu(2032, 14), 32u * 2024u - 14u);
	CHECK_EQ(hipc_net_frag_mtu(2032, 18), 32u * 2024u - 18u);
	CHECK_EQ(hipc_net_frag_mtu(496, 14), 32u * 488u - 14u);
	/* never above an IP datagram's largest */
	CHECK_EQ(hipc_net_frag_mtu(65520, 14), HIPC_NET_MTU_MAX);
	CHECK_EQ(hipc_net_frag_mtu(8, 14), 0u);
	CHECK_EQ(hipc_net_frag_mtu(0, 14), 0u);
}

HIPC_TEST(frame_in_pieces)
{
	uint8_t src[MAX], m[HIPC_NET_FRAG_HDR + 4096];
	size_t total = 9000, off = 0;
	uint16_t i = 0;
	int l = 0;

	reset();
	for (size_t k = 0; k < total; k++)
		src[k] = (uint8_t)(k * 7 + 3);
	while (off < total) {
		size_t n = total - off < 2024 ? total - off : 2024;

		l = hipc_net_reasm_add(&ra, m,
				       piece(m, (uint32_t)total, 42, i++, src,
					     off, n), MIN, MAX);
		off += n;
		CHECK(off < total ? l == 0 : l == (int)total);
	}
	CHECK(memcmp(rbuf, src, total) == 0);
	CHECK_EQ(ra.frames, 1u);
	CHECK_EQ(ra.errors, 0u);
	CHECK_EQ(ra.lost, 0u);
	/* the next frame with the counter wrapped, pieces of one byte */
	for (i = 0; i < MIN; i++)
		l = hipc_net_reasm_add(&ra, m, piece(m, MIN, 0xffff, i, src,
						     i, 1), MIN, MAX);
	CHECK_EQ(l, (int)MIN);
	CHECK_EQ(ra.frames, 2u);
	CHECK_EQ(ra.errors, 0u);
}

HIPC_TEST(hostile_pieces_refused_and_counted)
{
	uint8_t src[256] = { 0 }, m[HIPC_NET_FRAG_HDR + 256];

	reset();
	/* a header and no data; less than a header */
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 1, 0, src, 0, 0),
				    MIN, MAX), -1);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, 3, MIN, MAX), -1);
	/* totals out of bounds */
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, MIN - 1, 2, 0, src, 0,
						  5), MIN, MAX), -1);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, MAX + 1, 3, 0, src, 0,
						  5), MIN, MAX), -1);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 0xffffffffu, 3, 0, src,
						  0, 5), MIN, MAX), -1);
	/* a later piece with no frame under way */
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 4, 3, src, 0, 50),
				    MIN, MAX), -1);
	CHECK_EQ(ra.errors, 6u);
	/* another id, another total, an index skipped or repeated */
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 5, 0, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 6, 1, src, 0, 20),
				    MIN, MAX), -1);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 5, 0, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 101, 5, 1, src, 0, 20),
				    MIN, MAX), -1);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 5, 0, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 5, 2, src, 0, 20),
				    MIN, MAX), -1);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 5, 0, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 5, 1, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 100, 5, 1, src, 0, 20),
				    MIN, MAX), -1);
	CHECK_EQ(ra.errors, 10u);
	/* longer than its total: refused, nothing written past it */
	memset(rbuf, 0, sizeof(rbuf));
	memset(src, 0xab, sizeof(src));
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 30, 7, 0, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 30, 7, 1, src, 0, 20),
				    MIN, MAX), -1);
	CHECK_EQ(rbuf[20], 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 30, 8, 0, src, 0, 31),
				    MIN, MAX), -1);
	CHECK_EQ(ra.errors, 12u);
	/* a frame given up midway: counted when the next one starts */
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 40, 9, 0, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 40, 10, 0, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(ra.errors, 12u);
	CHECK_EQ(ra.lost, 1u);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 40, 10, 1, src, 0, 20),
				    MIN, MAX), 40);
	CHECK_EQ(ra.frames, 1u);
	/* a reset (the link went down) forgets the frame under way */
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 40, 11, 0, src, 0, 20),
				    MIN, MAX), 0);
	hipc_net_reasm_reset(&ra);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 40, 11, 1, src, 0, 20),
				    MIN, MAX), -1);
	CHECK_EQ(ra.errors, 13u);
	CHECK_EQ(ra.lost, 1u);
}

/* A bound larger than the caller's buffer is the buffer's. */
HIPC_TEST(never_past_the_buffer)
{
	uint8_t small[32], m[HIPC_NET_FRAG_HDR + 64], src[64] = { 0 };

	hipc_net_reasm_init(&ra, small, sizeof(small));
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 33, 1, 0, src, 0, 20),
				    MIN, MAX), -1);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 32, 1, 0, src, 0, 20),
				    MIN, MAX), 0);
	CHECK_EQ(hipc_net_reasm_add(&ra, m, piece(m, 32, 1, 1, src, 0, 12),
				    MIN, MAX), 32);
}

/* The tag goes between the MAC addresses and the EtherType, big-endian;
 * the rest of the frame stays where it was read. */
HIPC_TEST(vlan_tag_in_the_room_in_front)
{
	static const uint8_t want[] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, /* dst, src */
		0x81, 0x00, 0x0f, 0xfe,                 /* 802.1Q, VID 4094 */
		0x88, 0xb5, 0xaa, 0xbb,                 /* EtherType, payload */
	};
	uint8_t b[HIPC_NET_VLAN_TAG_LEN + 16];

	memset(b, 0xee, HIPC_NET_VLAN_TAG_LEN);
	for (unsigned i = 0; i < 12; i++)
		b[HIPC_NET_VLAN_TAG_LEN + i] = (uint8_t)(i + 1);
	memcpy(b + HIPC_NET_VLAN_TAG_LEN + 12, "\x88\xb5\xaa\xbb", 4);
	CHECK_EQ(hipc_net_vlan_tag(b, 16, 4094), 20u);
	CHECK(memcmp(b, want, sizeof(want)) == 0);
	/* PCP and DEI 0: the VID's own bits only */
	for (unsigned i = 0; i < 12; i++)
		b[HIPC_NET_VLAN_TAG_LEN + i] = (uint8_t)(i + 1);
	CHECK_EQ(hipc_net_vlan_tag(b, 16, 100), 20u);
	CHECK_EQ(b[14], 0);
	CHECK_EQ(b[15], 100);
}

HIPC_TEST_MAIN(HIPC_CASE(caps_round_trip_and_refusals),
	       HIPC_CASE(offered_mtu),
	       HIPC_CASE(frame_in_pieces),
	       HIPC_CASE(hostile_pieces_refused_and_counted),
	       HIPC_CASE(never_past_the_buffer),
	       HIPC_CASE(vlan_tag_in_the_room_in_front))
