/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark firmware: the remote side of hipc-bench's transfer protocol
 * (docs/bench-protocol.md), plus an echo and a sink for latency and rate.
 *
 *   "hipc-bench"  a header (preamble "HIPC", total length as a
 *                 little-endian u32), then that many bytes in any number
 *                 of messages; answered with 8 bytes: the count of data
 *                 bytes received (u32 LE; its first two bytes are the
 *                 seeds' 2-byte count) and a status (u32 LE: 0 ok,
 *                 1 bad preamble, 2 length over the limit).
 *   "hipc-echo"   every message back to its sender.
 *   "hipc-sink"   counts messages and bytes; an empty message asks for the
 *                 totals (16 bytes: both counts as u64 LE) and restarts
 *                 them.
 *   "hipc-bench-ctl"  text commands, answered "ok" or "error":
 *                 "withdraw-echo" withdraws "hipc-echo" (a name-service
 *                 destroy), "announce-echo" announces it again: how hosts
 *                 treat a service that goes and comes back.
 *
 * The transfer protocol is parsed as a byte stream per sender, so any
 * split of it into messages works: message sockets (one user message in
 * payload-sized pieces), endpoint devices (the user's own pieces), a TTY
 * (whatever the line discipline hands over).  Senders are told apart by
 * their address (each message-socket connection has its own).
 *
 * Options (before the runtime's own):
 *   --raw          also serve the protocol as "rpmsg-raw" (an endpoint
 *                  device on the host)
 *   --tty          also serve it as "rpmsg-tty" (a TTY on the host)
 *   --max-len N    refuse transfers longer than N bytes (64 MiB)
 *   --echo-as NAME also serve the echo as NAME (any name the remote may
 *                  announce, for testing how hosts treat names)
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hipc/remote.h"
#include "hipc/rsc.h"
#include "sink.h"

#ifndef HIPC_BENCH_EVENT_IDX
#define HIPC_BENCH_EVENT_IDX 1
#endif

/*
 * The seeds' geometry: 512-byte buffers, 496 bytes of payload each.
 * VIRTIO_RING_F_EVENT_IDX is offered (hipc-fw-bench): hipc's host and
 * Linux maintain used_event, and a transfer of many messages then costs a
 * doorbell per burst instead of one per message (32 KiB through a message
 * socket: 0.11 ms against 0.32 ms without).  hipc-fw-bench-ns offers the
 * name service only, for hosts such as OpenAMP's that acknowledge the
 * feature without maintaining used_event (docs/rproc.md).
 */
HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096,
		     HIPC_RSC_F_NS |
			     (HIPC_BENCH_EVENT_IDX ? HIPC_RSC_F_EVENT_IDX : 0));

#define HDR_SIZE 8u
#define ANSWER_SIZE 8u
#define MAX_STREAMS 64u
#define BENCH_OK 0u
#define BENCH_BAD_PREAMBLE 1u
#define BENCH_TOO_LONG 2u

/* No proper prefix of it is also a suffix, so after a mismatch the search
 * restarts at the byte that broke it and nothing is ever re-read. */
static const uint8_t preamble[4] = { 'H', 'I', 'P', 'C' };

/* One sender's place in the protocol. */
struct stream {
	struct hipc_rpmsg_ept *ept; /* NULL: slot free */
	uint32_t src;
	uint64_t used;      /* when last used (a message count), for LRU */
	uint8_t hdr[HDR_SIZE];
	uint8_t n;          /* header bytes seen */
	bool resyncing;     /* looking for a preamble, error reported */
	uint32_t total;     /* the transfer's length */
	uint32_t left;      /* data bytes still to come */
};

static struct hipc_rpmsg_ept bench_ept, raw_ept, tty_ept, echo_ept, sink_ept;
static struct hipc_rpmsg_ept echo_as_ept, ctl_ept;
static const char *echo_as;
static struct stream streams[MAX_STREAMS];
static uint64_t clock_msgs;
static struct sink_counts sink_counts;
static uint32_t max_len = 64u << 20;
static bool also_raw, also_tty;

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * The sender's stream, made if new.  With every slot taken the least
 * recently used one is reused: a sender that went away mid-transfer (a
 * closed connection) must not keep a slot forever; a live one pushed out
 * loses its transfer in progress (it gets no answer for it).
 */
static struct stream *stream_for(struct hipc_rpmsg_ept *e, uint32_t src)
{
	struct stream *st, *lru = &streams[0];

	clock_msgs++;
	for (st = streams; st < streams + MAX_STREAMS; st++) {
		if (st->ept == e && st->src == src)
			goto found;
		if (!st->ept || (lru->ept && st->used < lru->used))
			lru = st;
	}
	st = lru;
	if (st->ept && (st->n || st->left))
		hipc_remote_trace("bench: sender 0x%x pushed out mid-transfer\n",
				  (unsigned)st->src);
	memset(st, 0, sizeof(*st));
	st->ept = e;
	st->src = src;
found:
	st->used = clock_msgs;
	return st;
}

static void answer(struct hipc_rpmsg_ept *e, uint32_t src, uint32_t count,
		   uint32_t status)
{
	uint8_t a[ANSWER_SIZE];

	put_le32(a, count);
	put_le32(a + 4, status);
	/* Bounded: the host drains while we wait; never hang on a dead one. */
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, a, sizeof(a),
			       5000) < 0)
		hipc_remote_trace("bench: answer to 0x%x lost\n", (unsigned)src);
}

/* A complete header: start the transfer, or refuse it. */
static void header(struct hipc_rpmsg_ept *e, struct stream *st)
{
	uint32_t total = get_le32(st->hdr + 4);

	st->n = 0;
	if (total > max_len) {
		/* Its data is not counted: skipped as a bad preamble would
		 * be, without a second error, up to the next header. */
		answer(e, st->src, 0, BENCH_TOO_LONG);
		st->resyncing = true;
		return;
	}
	st->resyncing = false;
	st->total = st->left = total;
	if (!total)
		answer(e, st->src, 0, BENCH_OK);
}

/*
 * O(len) at worst (bytes outside a transfer are looked at one by one),
 * O(1) for data: it is counted, never copied or read.
 */
static int on_bench(struct hipc_rpmsg_ept *e, void *data, size_t len,
		    uint32_t src, void *priv)
{
	struct stream *st = stream_for(e, src);
	const uint8_t *p = data, *end = p + len;

	(void)priv;
	while (p < end) {
		if (st->left) {
			size_t take = (size_t)(end - p) < st->left
					      ? (size_t)(end - p)
					      : st->left;

			st->left -= (uint32_t)take;
			p += take;
			if (!st->left)
				answer(e, src, st->total, BENCH_OK);
			continue;
		}
		if (st->n < sizeof(preamble)) {
			uint8_t b = *p++;

			if (b == preamble[st->n]) {
				st->hdr[st->n++] = b;
				continue;
			}
			if (!st->resyncing) {
				st->resyncing = true;
				answer(e, src, 0, BENCH_BAD_PREAMBLE);
			}
			st->n = 0;
			if (b == preamble[0])
				st->hdr[st->n++] = b;
			continue;
		}
		st->hdr[st->n++] = *p++;
		if (st->n == HDR_SIZE)
			header(e, st);
	}
	return 0;
}

static int on_echo(struct hipc_rpmsg_ept *e, void *data, size_t len,
		   uint32_t src, void *priv)
{
	(void)priv;
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data, len,
			       5000) < 0)
		hipc_remote_trace("bench: echo to 0x%x lost\n", (unsigned)src);
	return 0;
}

static int on_sink(struct hipc_rpmsg_ept *e, void *data, size_t len,
		   uint32_t src, void *priv)
{
	(void)data;
	(void)priv;
	sink_rx(&sink_counts, e, len, src, "bench");
	return 0;
}

static int make(struct hipc_rpmsg_ept *e, struct hipc_rpmsg_dev *dev,
		const char *name, hipc_rpmsg_rx_cb cb)
{
	int ret = hipc_rpmsg_ept_create(e, dev, name, HIPC_RPMSG_ADDR_ANY,
					HIPC_RPMSG_ADDR_ANY, cb, NULL);

	if (ret)
		hipc_remote_trace("bench: %s: %d\n", name, ret);
	return ret;
}

static int on_ctl(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	const char *reply = "error";

	(void)priv;
	if (len == 13 && !memcmp(data, "withdraw-echo", 13) && echo_ept.dev) {
		hipc_rpmsg_ept_destroy(&echo_ept);
		reply = "ok";
	} else if (len == 13 && !memcmp(data, "announce-echo", 13) &&
		   !echo_ept.dev) {
		if (!make(&echo_ept, e->dev, "hipc-echo", on_echo))
			reply = "ok";
	}
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, reply,
			       strlen(reply), 5000) < 0)
		hipc_remote_trace("bench: ctl answer to 0x%x lost\n",
				  (unsigned)src);
	return 0;
}

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	int ret;

	(void)ctx;
	/* A new host: whatever was in progress is gone with the old one. */
	memset(streams, 0, sizeof(streams));
	sink_counts = (struct sink_counts){ 0 };
	hipc_remote_trace("bench: up, max transfer %u bytes%s%s\n",
			  (unsigned)max_len, also_raw ? ", rpmsg-raw" : "",
			  also_tty ? ", rpmsg-tty" : "");
	ret = make(&bench_ept, dev, "hipc-bench", on_bench);
	if (!ret)
		ret = make(&echo_ept, dev, "hipc-echo", on_echo);
	if (!ret)
		ret = make(&sink_ept, dev, "hipc-sink", on_sink);
	if (!ret)
		ret = make(&ctl_ept, dev, "hipc-bench-ctl", on_ctl);
	if (!ret && also_raw)
		ret = make(&raw_ept, dev, "rpmsg-raw", on_bench);
	if (!ret && also_tty)
		ret = make(&tty_ept, dev, "rpmsg-tty", on_bench);
	if (!ret && echo_as)
		ret = make(&echo_as_ept, dev, echo_as, on_echo);
	return ret;
}

static const struct hipc_firmware fw = {
	.name = HIPC_BENCH_EVENT_IDX ? "bench" : "bench-ns",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
};

int main(int argc, char **argv)
{
	int n = 1;

	for (; n < argc; n++) {
		if (!strcmp(argv[n], "--raw")) {
			also_raw = true;
		} else if (!strcmp(argv[n], "--tty")) {
			also_tty = true;
		} else if (!strcmp(argv[n], "--max-len") && n + 1 < argc) {
			char *endp;
			unsigned long v = strtoul(argv[++n], &endp, 0);

			if (*endp || !*argv[n] || v > UINT32_MAX) {
				hipc_remote_trace("bench: --max-len %s: not a "
						  "u32\n", argv[n]);
				return 2;
			}
			max_len = (uint32_t)v;
		} else if (!strcmp(argv[n], "--echo-as") && n + 1 < argc) {
			echo_as = argv[++n];
		} else {
			break;
		}
	}
	/* The runtime sees its own options only. */
	argv[n - 1] = argv[0];
	return hipc_remote_main(&fw, argc - (n - 1), argv + (n - 1));
}
