/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the rpmsg-net link's fragments (hipc/net.h), the
 * parser hipcd's TAP and an island both run on what the peer writes.  The
 * input chooses the receiver (its buffer's capacity, the smallest and
 * largest frame it takes), then is a script of messages the peer sends:
 * a well-formed piece of the frame under way (or of a new one), a piece
 * with any header at all, a CAPS message or anything else offered to the
 * CAPS reader, and a reset (the link went down).
 *
 * Each message is placed at the very end of a readable page followed by
 * an inaccessible one, and the receiver's frame buffer likewise: a read
 * past the message or a write past the buffer faults.  Besides "no
 * crash", after every message:
 * - the result is the one a model of the format calls for (refused,
 *   more to come, or a frame of its total's length), and the counters
 *   move by exactly that (errors, lost, frames); a refused piece leaves
 *   no frame under way;
 * - a frame delivered holds the pieces' bytes in order, and is between
 *   the smallest and the largest length and within the buffer;
 * - the CAPS reader accepts exactly the 12-byte "hnet" type-1 messages
 *   and reads the fields where the format puts them.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hipc/net.h"
#include "fuzz_input.h"

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_net: %s:%d: %s\n", __FILE__,    \
				__LINE__, #c);                                \
			abort();                                              \
		}                                                             \
	} while (0)

#define MSG_MAX 2048u      /* one rpmsg buffer's payload, at most */
#define CAP_MAX 65536u     /* the largest frame buffer tried */
#define OPS_MAX 512u

/* A region of @len bytes whose end touches an inaccessible page. */
struct guarded {
	uint8_t *map;
	size_t maplen;
	size_t span; /* readable bytes before the guard page */
};

static void guarded_init(struct guarded *g, size_t span)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	g->span = (span + pg - 1) / pg * pg;
	g->maplen = g->span + pg;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(g->map != MAP_FAILED);
	CHECK(mprotect(g->map + g->span, pg, PROT_NONE) == 0);
}

/* @len bytes ending where the guard page starts. */
static uint8_t *guarded_tail(struct guarded *g, size_t len)
{
	return g->map + g->span - len;
}

/* The model: what the format says the receiver's state is. */
struct model {
	bool active;
	uint32_t total, got;
	uint16_t id, next;
	uint8_t frame[CAP_MAX]; /* the bytes of the frame under way */
};

static struct guarded msgs, bufs;
static struct model m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	struct hipc_net_reasm r;
	uint8_t *buf;
	size_t cap, min, max;
	uint16_t our_id = 0;

	if (!msgs.map) {
		guarded_init(&msgs, MSG_MAX);
		guarded_init(&bufs, CAP_MAX);
	}
	/* The receiver: a buffer of 64 B to 64 KiB, frames of min..max. */
	cap = 64u + get16(&in) % (CAP_MAX - 63u);
	min = get8(&in) % 61u;
	max = min + get16(&in);
	buf = guarded_tail(&bufs, cap);
	hipc_net_reasm_init(&r, buf, cap);
	memset(&m, 0, sizeof(m));

	for (unsigned op = 0; op < OPS_MAX && in.i < in.n; op++) {
		unsigned kind = get8(&in) % 5u;
		size_t len = get16(&in) % (MSG_MAX + 1u);
		uint8_t *msg = guarded_tail(&msgs, len);
		uint64_t e0 = r.errors, l0 = r.lost, f0 = r.frames;
		uint32_t total, n;
		uint16_t id, index;
		bool refuse, lost = false;
		int ret, want;

		if (kind == 4) {
			/* The link reset: nothing under way any more. */
			hipc_net_reasm_reset(&r);
			m.active = false;
			continue;
		}
		if (kind == 3) {
			/* Anything at all offered to the CAPS reader. */
			struct hipc_net_caps c = { 0, 0 };
			bool is;

			for (size_t i = 0; i < len; i++)
				msg[i] = (uint8_t)get8(&in);
			is = len == HIPC_NET_CAPS_LEN && !memcmp(msg, "hnet", 4) &&
			     msg[4] == HIPC_NET_CAPS_TYPE && msg[5] == 0;
			CHECK(hipc_net_caps_get(msg, len, &c) == is);
			if (is) {
				CHECK(c.max_mtu == (msg[6] | msg[7] << 8));
				CHECK(c.frag_addr == ((uint32_t)msg[8] |
						      (uint32_t)msg[9] << 8 |
						      (uint32_t)msg[10] << 16 |
						      (uint32_t)msg[11] << 24));
			}
			continue;
		}
		if (len < HIPC_NET_FRAG_HDR)
			len = kind == 2 ? len : HIPC_NET_FRAG_HDR + 1u;
		msg = guarded_tail(&msgs, len);
		if (kind == 2) {
			/* Any bytes at all, header included. */
			for (size_t i = 0; i < len; i++)
				msg[i] = (uint8_t)get8(&in);
		} else {
			/* kind 0: the next piece of the frame under way (or
			 * the first of a new one); kind 1: a new frame of a
			 * total the input picks */
			if (kind == 0 && m.active) {
				total = m.total;
				id = m.id;
				index = m.next;
			} else {
				total = get32(&in) % (CAP_MAX + 256u);
				id = ++our_id;
				index = 0;
			}
			hipc_net_frag_hdr_put(msg, total, id, index);
			for (size_t i = HIPC_NET_FRAG_HDR; i < len; i++)
				msg[i] = (uint8_t)get8(&in);
		}

		/* What the format calls for. */
		refuse = len <= HIPC_NET_FRAG_HDR;
		if (!refuse) {
			total = (uint32_t)msg[0] | (uint32_t)msg[1] << 8 |
				(uint32_t)msg[2] << 16 | (uint32_t)msg[3] << 24;
			id = (uint16_t)(msg[4] | msg[5] << 8);
			index = (uint16_t)(msg[6] | msg[7] << 8);
			n = (uint32_t)(len - HIPC_NET_FRAG_HDR);
			if (index == 0) {
				lost = m.active;
				m.active = false;
				refuse = total < min || total > max || total > cap;
				if (!refuse) {
					m.active = true;
					m.total = total;
					m.got = 0;
					m.id = id;
					m.next = 0;
				}
			} else {
				refuse = !m.active || id != m.id ||
					 total != m.total || index != m.next;
			}
			if (!refuse && n > m.total - m.got)
				refuse = true;
		}
		if (refuse) {
			want = -1;
			m.active = false;
		} else {
			memcpy(m.frame + m.got, msg + HIPC_NET_FRAG_HDR, n);
			m.got += n;
			m.next++;
			want = m.got < m.total ? 0 : (int)m.total;
			if (want)
				m.active = false;
		}

		ret = hipc_net_reasm_add(&r, msg, len, min, max);
		CHECK(ret == want);
		CHECK(r.errors == e0 + (ret < 0));
		CHECK(r.lost == l0 + lost);
		CHECK(r.frames == f0 + (ret > 0));
		CHECK(r.active == m.active);
		if (ret > 0) {
			CHECK((size_t)ret >= min && (size_t)ret <= max &&
			      (size_t)ret <= cap);
			CHECK(!memcmp(buf, m.frame, (size_t)ret));
		}
	}
	return 0;
}
