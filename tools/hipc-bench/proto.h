/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seeds' benchmark protocol (docs/bench-protocol.md), as hipc-bench
 * speaks it and as its baselines' peer answers it: the preamble "HIPC" and
 * the total as u32 LE, then the data in any number of messages or writes;
 * the answer is 8 bytes, the count and a status, u32 LE each.  The peer's
 * side here parses a byte stream, so it works over messages and pipes
 * alike (firmware/bench is the remote's side of the same).
 */
#ifndef HIPC_BENCH_PROTO_H
#define HIPC_BENCH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BENCH_HEADER_SIZE 8u   /* "HIPC", u32 LE total */
#define BENCH_ANSWER_SIZE 8u   /* u32 LE count, u32 LE status */
#define BENCH_MAX_TOTAL (64u << 20)

static inline void bench_put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t bench_get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void bench_proto_header(uint8_t h[BENCH_HEADER_SIZE],
				      uint64_t total)
{
	memcpy(h, "HIPC", 4);
	bench_put_le32(h + 4, (uint32_t)total);
}

/* The answer's status (firmware/bench, docs/bench-protocol.md). */
#define BENCH_STATUS_OK 0u
#define BENCH_STATUS_BAD_PREAMBLE 1u
#define BENCH_STATUS_TOO_LONG 2u

static inline const char *bench_proto_status(const uint8_t a[BENCH_ANSWER_SIZE])
{
	switch (bench_get_le32(a + 4)) {
	case BENCH_STATUS_OK:
		return "ok";
	case BENCH_STATUS_BAD_PREAMBLE:
		return "refused: no \"HIPC\" preamble";
	case BENCH_STATUS_TOO_LONG:
		return "refused: longer than the remote takes in one transaction";
	default:
		return "refused: an unknown status";
	}
}

/* The count answered, or UINT64_MAX when the status says it failed. */
static inline uint64_t bench_proto_answer(const uint8_t a[BENCH_ANSWER_SIZE])
{
	return bench_get_le32(a + 4) ? UINT64_MAX : bench_get_le32(a);
}

/* The baselines' peer: a strict parser (a bad header ends the run). */
struct bench_proto_rx {
	uint8_t hdr[BENCH_HEADER_SIZE];
	unsigned have;     /* header bytes so far */
	uint32_t total, count;
};

static inline void bench_proto_rx_init(struct bench_proto_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

/*
 * Consumes bytes from @p (up to @len) and moves *@off past them.  Returns
 * 1 when a transaction is complete (@ans holds the answer; *@off after its
 * last byte), 0 when more is needed (all consumed), -1 on a bad header.
 */
static inline int bench_proto_rx_feed(struct bench_proto_rx *rx,
				      const uint8_t *p, size_t len,
				      size_t *off, uint8_t *ans)
{
	size_t i = 0;

	while (i < len || (rx->have == BENCH_HEADER_SIZE &&
			   rx->count == rx->total)) {
		if (rx->have < BENCH_HEADER_SIZE) {
			rx->hdr[rx->have++] = p[i++];
			if (rx->have < BENCH_HEADER_SIZE)
				continue;
			if (memcmp(rx->hdr, "HIPC", 4))
				return -1;
			rx->total = bench_get_le32(rx->hdr + 4);
			if (rx->total > BENCH_MAX_TOTAL)
				return -1;
			rx->count = 0;
		} else {
			uint32_t want = rx->total - rx->count;
			size_t take = len - i < want ? len - i : want;

			rx->count += (uint32_t)take;
			i += take;
		}
		if (rx->have == BENCH_HEADER_SIZE && rx->count == rx->total) {
			bench_put_le32(ans, rx->count);
			bench_put_le32(ans + 4, BENCH_STATUS_OK);
			rx->have = 0;
			*off += i;
			return 1;
		}
	}
	*off += i;
	return 0;
}

#endif
