/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A host client of firmware/sdb for tests and the benchmark: boots it,
 * binds every pool's bigbuf to the "hipc-sdb" service whenever it is
 * announced (again after a restart), and streams buffers both ways with
 * every one checked: the remote checks the CRC32C of what we send and
 * says how many bytes it consumed; the core checks the CRC32C of what it
 * sends us, and we check its sequence pattern at both ends.
 */
#ifndef HIPC_TEST_BB_UTIL_H
#define HIPC_TEST_BB_UTIL_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hipc/bigbuf.h"
#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/rproc.h"
#include "hipc_test.h"
#include "sdb_proto.h"

#define BB_FW HIPC_BUILD_DIR "/firmware/sdb/hipc-fw-sdb"
#define BB_MS 1000000ull
#define BB_NPOOLS 5u

static const char *const bb_pool_name[BB_NPOOLS] = {
	"sdb-4k", "sdb-64k", "sdb-1m", "sdb-32m", "sdb-64m",
};
static const uint32_t bb_pool_id[BB_NPOOLS] = {
	SDB_POOL_SMALL, SDB_POOL_64K, SDB_POOL_1M, SDB_POOL_32M, SDB_POOL_64M,
};

struct bb_client {
	struct hipc_rproc *rp;
	struct hipc_bigbuf *bb[BB_NPOOLS];
	uint32_t addr;
	bool announced;
	unsigned announces;
	unsigned crashes;
	struct sdb_report rep;
	bool got_report;
	uint64_t bad_pattern;
	unsigned msgs; /* messages handed to on_msg */
};

static void bb_on_msg(struct hipc_bigbuf *bb, const void *data, size_t len,
		      void *priv)
{
	struct bb_client *c = priv;

	(void)bb;
	c->msgs++;
	if (len == sizeof(struct sdb_report) &&
	    hipc_get_le32(data) == SDB_REPORT_MAGIC) {
		memcpy(&c->rep, data, sizeof(c->rep));
		c->got_report = true;
	}
}

static void bb_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	struct bb_client *c = priv;

	(void)dev;
	if (strcmp(name, SDB_SERVICE))
		return;
	c->announced = !destroyed;
	if (!destroyed) {
		c->addr = addr;
		c->announces++;
	}
}

static void bb_on_state(struct hipc_rproc *rp, enum hipc_rproc_state s,
			void *priv)
{
	struct bb_client *c = priv;

	(void)rp;
	if (s == HIPC_RPROC_CRASHED) {
		c->crashes++;
		c->announced = false;
	}
}

/* Every pool's endpoint bound once the service is there. */
static inline void bb_bind(struct bb_client *c)
{
	if (!c->announced || hipc_rproc_state(c->rp) != HIPC_RPROC_RUNNING)
		return;
	for (unsigned i = 0; i < BB_NPOOLS; i++)
		if (!hipc_bigbuf_connected(c->bb[i]))
			CHECK_EQ(hipc_bigbuf_connect(c->bb[i], c->addr), 0);
}

static inline bool bb_bound(struct bb_client *c)
{
	for (unsigned i = 0; i < BB_NPOOLS; i++)
		if (!hipc_bigbuf_connected(c->bb[i]))
			return false;
	return c->announced;
}

/* One pass of the loop: the remote's events, then our endpoints. */
static inline void bb_step(struct bb_client *c, unsigned ms)
{
	hipc_rproc_run(c->rp, ms);
	bb_bind(c);
}

#define BB_RUN_UNTIL(c, cond, ms)                                            \
	({                                                                   \
		uint64_t bb__end = hipc_now_ns() + (uint64_t)(ms) * BB_MS;   \
		while (!(cond) && hipc_now_ns() < bb__end)                   \
			bb_step((c), 5);                                     \
		(cond);                                                      \
	})

static inline void bb_start(struct bb_client *c, const char *name,
			    enum hipc_rproc_policy policy)
{
	struct hipc_rproc_config cfg;
	char err[256] = "";

	memset(c, 0, sizeof(*c));
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = name;
	cfg.firmware = BB_FW;
	cfg.mode = HIPC_LINK_IRQ;
	cfg.ns_cb = bb_ns;
	cfg.ns_priv = c;
	cfg.on_state = bb_on_state;
	cfg.state_priv = c;
	cfg.policy = policy;
	cfg.backoff_min_ms = 10;
	cfg.boot_timeout_ms = 10000;
	CHECK_EQ(hipc_rproc_new(&c->rp, &cfg), 0);
	if (hipc_rproc_start(c->rp, err, sizeof(err))) {
		printf("start: %s\n", err);
		CHECK(0);
	}
	for (unsigned i = 0; i < BB_NPOOLS; i++) {
		struct hipc_bigbuf_config bc = {
			.rp = c->rp,
			.pool = bb_pool_name[i],
			.on_msg = bb_on_msg,
			.priv = c,
			.send_timeout_ms = 0,
		};

		CHECK_EQ(hipc_bigbuf_open(&c->bb[i], &bc), 0);
	}
	CHECK(BB_RUN_UNTIL(c, bb_bound(c), 5000));
}

static inline void bb_stop(struct bb_client *c)
{
	for (unsigned i = 0; i < BB_NPOOLS; i++)
		hipc_bigbuf_close(c->bb[i]);
	hipc_rproc_free(c->rp);
}

/* A command, and its report. */
static inline void bb_cmd(struct bb_client *c, unsigned p, uint32_t op,
			  uint32_t size, uint64_t count, uint32_t rate,
			  uint32_t flags)
{
	struct sdb_cmd m;
	int ret;

	memset(&m, 0, sizeof(m));
	hipc_put_le32(&m.magic, SDB_CMD_MAGIC);
	hipc_put_le32(&m.op, op);
	hipc_put_le32(&m.pool_id, bb_pool_id[p]);
	hipc_put_le32(&m.size, size);
	hipc_put_le64(&m.count, count);
	hipc_put_le32(&m.rate, rate);
	hipc_put_le32(&m.flags, flags);
	c->got_report = false;
	do {
		ret = hipc_bigbuf_send_msg(c->bb[p], &m, sizeof(m));
		if (ret == -HIPC_EAGAIN)
			bb_step(c, 1);
	} while (ret == -HIPC_EAGAIN);
	CHECK_EQ(ret, (int)sizeof(m));
}

static inline const struct sdb_report *bb_wait_report(struct bb_client *c,
						      uint32_t op)
{
	CHECK(BB_RUN_UNTIL(c, c->got_report &&
				      hipc_get_le32(&c->rep.op) == op, 20000));
	return &c->rep;
}

/* The next buffer the remote sent, waiting up to @ms for it. */
static inline bool bb_recv_one(struct bb_client *c, unsigned p,
			       struct hipc_bufpool_rx *rx, unsigned ms)
{
	uint64_t end = hipc_now_ns() + (uint64_t)ms * BB_MS;

	while (hipc_bigbuf_recv(c->bb[p], rx) < 0) {
		if (hipc_now_ns() >= end)
			return false;
		bb_step(c, 5);
	}
	return true;
}

static inline void bb_fill(uint8_t *b, uint32_t size, uint64_t seq)
{
	uint32_t n = size / 8u;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t w = sdb_word(seq, i);

		memcpy(b + 8u * i, &w, 8);
	}
	for (uint32_t i = n * 8u; i < size; i++)
		b[i] = (uint8_t)seq;
}

/* The pattern's first and last word: a buffer shifted, or another
 * sequence number's, is caught even without the CRC. */
static inline bool bb_pattern_ok(const uint8_t *b, size_t len, uint64_t seq)
{
	uint64_t w;

	if (len < 16)
		return true;
	memcpy(&w, b, 8);
	if (w != sdb_word(seq, 0))
		return false;
	memcpy(&w, b + (len / 8u - 1u) * 8u, 8);
	return w == sdb_word(seq, len / 8u - 1u);
}

/*
 * Host to remote: @count buffers of @size from pool @p, each filled in
 * place, sent with its CRC32C (if @crc), consumed and confirmed by the
 * remote's return notice.  Returns once every one is confirmed.
 */
static inline void bb_push(struct bb_client *c, unsigned p, uint64_t count,
			   uint32_t size, bool crc)
{
	struct hipc_bigbuf *bb = c->bb[p];
	struct hipc_bigbuf_stats st0, st;
	uint64_t sent = 0;
	void *b;
	int i, ret;

	hipc_bigbuf_get_stats(bb, &st0);
	for (;;) {
		hipc_bigbuf_get_stats(bb, &st);
		if (st.returned - st0.returned == count)
			break;
		CHECK_EQ(st.ret_errors, st0.ret_errors);
		while (sent < count && (i = hipc_bigbuf_alloc(bb, &b)) >= 0) {
			bb_fill(b, size, sent);
			ret = hipc_bigbuf_send(bb, (uint32_t)i, 0, size,
					       crc ? HIPC_BUFPOOL_F_CRC : 0);
			if (ret == -HIPC_EAGAIN) {
				CHECK_EQ(hipc_bigbuf_free(bb, (uint32_t)i), 0);
				break;
			}
			CHECK_EQ(ret, 0);
			sent++;
		}
		bb_step(c, 5);
		CHECK(hipc_rproc_state(c->rp) == HIPC_RPROC_RUNNING);
	}
	CHECK_EQ(st.returned_bytes - st0.returned_bytes, count * size);
}

/*
 * Remote to host: ask for @count buffers of @size from pool @p (with
 * their CRC32C if @crc), check each (core: range, owner, generation,
 * CRC; here: the sequence pattern), release it.
 */
static inline void bb_pull(struct bb_client *c, unsigned p, uint64_t count,
			   uint32_t size, bool crc)
{
	struct hipc_bigbuf *bb = c->bb[p];
	struct hipc_bufpool_rx rx;
	uint64_t got = 0;

	bb_cmd(c, p, SDB_OP_PRODUCE, size, count, 0, crc ? SDB_F_CRC : 0);
	while (got < count || !c->got_report) {
		while (hipc_bigbuf_recv(bb, &rx) >= 0) {
			CHECK_EQ(rx.len, size);
			if (!bb_pattern_ok(rx.data, rx.len, got))
				c->bad_pattern++;
			CHECK_EQ(hipc_bigbuf_release(bb, rx.index,
						     rx.generation, size), 0);
			got++;
		}
		if (got < count || !c->got_report)
			bb_step(c, 5);
		CHECK(hipc_rproc_state(c->rp) == HIPC_RPROC_RUNNING);
	}
	CHECK_EQ(c->bad_pattern, 0);
	CHECK_EQ((int32_t)hipc_get_le32(&c->rep.status), 0);
	CHECK_EQ(got, count);
}

#endif
