/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The seeds' benchmark protocol as hipc-bench speaks it (docs/bench-
 * protocol.md): a header with a preamble and the total length, then the
 * data in any number of messages or writes, then the remote's answer, the
 * number of bytes it counted.  The remote's side parses a byte stream, so
 * it works over messages and over a tty alike.
 */
#ifndef HIPC_BENCH_PROTO_H
#define HIPC_BENCH_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BENCH_HEADER_SIZE 12u  /* "HIPB", u64 LE total */
#define BENCH_ANSWER_SIZE 8u   /* u64 LE count */
#define BENCH_MAX_TOTAL (1ull << 40)

static inline void bench_put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t bench_get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void bench_proto_header(uint8_t h[BENCH_HEADER_SIZE],
				      uint64_t total)
{
	memcpy(h, "HIPB", 4);
	bench_put_le64(h + 4, total);
}

static inline uint64_t bench_proto_answer(const uint8_t a[BENCH_ANSWER_SIZE])
{
	return bench_get_le64(a);
}

/* The remote's parser. */
struct bench_proto_rx {
	uint8_t hdr[BENCH_HEADER_SIZE];
	unsigned have;     /* header bytes so far */
	uint64_t total, count;
};

static inline void bench_proto_rx_init(struct bench_proto_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

/*
 * Consumes bytes from @p (up to @len) at *@off.  Returns 1 when a
 * transaction is complete (@ans holds the answer; *@off after its last
 * byte), 0 when more is needed (all consumed), -1 on a bad header.
 */
static inline int bench_proto_rx_feed(struct bench_proto_rx *rx,
				      const uint8_t *p, size_t len,
				      size_t *off, uint8_t *ans)
{
	size_t i = 0;

	while (i < len) {
		if (rx->have < BENCH_HEADER_SIZE) {
			rx->hdr[rx->have++] = p[i++];
			if (rx->have < BENCH_HEADER_SIZE)
				continue;
			if (memcmp(rx->hdr, "HIPB", 4))
				return -1;
			rx->total = bench_get_le64(rx->hdr + 4);
			if (rx->total > BENCH_MAX_TOTAL)
				return -1;
			rx->count = 0;
		} else {
			uint64_t want = rx->total - rx->count;
			size_t take = len - i < want ? len - i : (size_t)want;

			rx->count += take;
			i += take;
		}
		if (rx->have == BENCH_HEADER_SIZE && rx->count == rx->total) {
			bench_put_le64(ans, rx->count);
			rx->have = 0;
			*off += i;
			return 1;
		}
	}
	*off += i;
	return 0;
}

#endif
