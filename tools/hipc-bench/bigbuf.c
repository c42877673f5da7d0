// SPDX-License-Identifier: BSD-3-Clause
/*
 * The "bigbuf" path: this process is the host, with hipc linked in; it
 * boots firmware/sdb and moves the data of a transaction as references to
 * big buffers in the remote's pools (hipc/bigbuf.h): for each block the
 * host takes a buffer of the smallest pool it fits, fills the block in
 * place (the work any producer does, here a memset), and sends a 32-byte
 * reference; the remote consumes it and its return notice says how many
 * bytes it consumed.  The transaction is over when every block's bytes
 * are counted: the seeds' protocol with the data not copied once.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hipc/bigbuf.h"
#include "hipc/error.h"
#include "hipc/rproc.h"

#include "bench.h"
#include "sdb_proto.h"

#define NPOOLS 5u

static const char *const pool_name[NPOOLS] = {
	"sdb-4k", "sdb-64k", "sdb-1m", "sdb-32m", "sdb-64m",
};

static struct {
	struct hipc_rproc *rp;
	struct hipc_bigbuf *bb[NPOOLS];
	uint32_t addr;
	bool announced;
} s;

static void on_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	(void)dev;
	(void)priv;
	if (!strcmp(name, SDB_SERVICE)) {
		s.announced = !destroyed;
		s.addr = addr;
	}
}

static const char *sdb_path(char *buf, size_t size)
{
	const char *p = bench_sibling(HIPC_FW_RELDIR "/hipc-fw-sdb", buf, size);

	if (p)
		return p;
#ifdef HIPC_FW_SDB
	return HIPC_FW_SDB;
#else
	return NULL;
#endif
}

static void bigbuf_close(struct bench_path *p);

static int bigbuf_open(struct bench_path *p)
{
	static char fw_buf[PATH_MAX];
	struct hipc_rproc_config cfg;
	const char *fw = sdb_path(fw_buf, sizeof(fw_buf));
	char err[256];
	int ret;

	memset(&s, 0, sizeof(s));
	if (!fw) {
		fprintf(stderr, "hipc-bench: bigbuf: no hipc-fw-sdb found\n");
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "hipc-bench-sdb";
	cfg.firmware = fw;
	cfg.mode = HIPC_LINK_ADAPTIVE;
	cfg.ns_cb = on_ns;
	if (hipc_rproc_new(&s.rp, &cfg))
		return -1;
	ret = hipc_rproc_start(s.rp, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "hipc-bench: bigbuf: %s\n", err);
		goto fail;
	}
	for (int i = 0; i < 500 && !s.announced; i++)
		hipc_rproc_run(s.rp, 10);
	if (!s.announced) {
		fprintf(stderr, "hipc-bench: bigbuf: %s announced no %s\n", fw,
			SDB_SERVICE);
		goto fail;
	}
	for (unsigned i = 0; i < NPOOLS; i++) {
		struct hipc_bigbuf_config bc = { .rp = s.rp, .pool = pool_name[i] };

		ret = hipc_bigbuf_open(&s.bb[i], &bc);
		if (!ret)
			ret = hipc_bigbuf_connect(s.bb[i], s.addr);
		if (ret) {
			fprintf(stderr, "hipc-bench: bigbuf: pool %s: %s\n",
				pool_name[i], hipc_strerror(ret));
			goto fail;
		}
	}
	p->peer_pid = hipc_rproc_pid(s.rp);
	return 0;
fail:
	bigbuf_close(p);
	return -1;
}

/* The smallest pool @block fits in, or -1. */
static int pool_for(size_t block)
{
	for (unsigned i = 0; i < NPOOLS; i++)
		if (s.bb[i] && block <= hipc_bigbuf_buf_size(s.bb[i]))
			return (int)i;
	return -1;
}

static double bigbuf_transact(struct bench_path *p, size_t block,
			      unsigned nblocks)
{
	int pi = pool_for(block);
	struct hipc_bigbuf *bb;
	struct hipc_bigbuf_stats st0, st;
	uint64_t total = (uint64_t)block * nblocks, t0, deadline;
	unsigned sent = 0;

	(void)p;
	if (pi < 0) {
		fprintf(stderr, "hipc-bench: bigbuf: no pool takes %zu-byte "
			"blocks\n", block);
		return -1;
	}
	bb = s.bb[pi];
	hipc_bigbuf_get_stats(bb, &st0);
	t0 = bench_now_ns();
	deadline = t0 + 60000000000ull;
	for (;;) {
		void *b;
		int i, ret;

		hipc_bigbuf_get_stats(bb, &st);
		if (st.returned_bytes - st0.returned_bytes >= total &&
		    sent == nblocks)
			break;
		if (st.ret_errors != st0.ret_errors ||
		    st.refused != st0.refused) {
			fprintf(stderr, "hipc-bench: bigbuf: the remote "
				"refused a buffer\n");
			return -1;
		}
		while (sent < nblocks && (i = hipc_bigbuf_alloc(bb, &b)) >= 0) {
			memset(b, (int)sent, block);
			ret = hipc_bigbuf_send(bb, (uint32_t)i, 0,
					       (uint32_t)block, 0);
			if (ret == -HIPC_EAGAIN || ret == -HIPC_ETIMEDOUT) {
				hipc_bigbuf_free(bb, (uint32_t)i);
				break;
			}
			if (ret < 0) {
				fprintf(stderr, "hipc-bench: bigbuf: send: "
					"%s\n", hipc_strerror(ret));
				return -1;
			}
			sent++;
		}
		if (hipc_rproc_run(s.rp, 10) < 0 || bench_now_ns() > deadline) {
			fprintf(stderr, "hipc-bench: bigbuf: the remote stopped "
				"answering\n");
			return -1;
		}
	}
	return (double)(bench_now_ns() - t0) / 1e9;
}

static void bigbuf_doorbells(struct bench_path *p, uint64_t *out,
			     uint64_t *in)
{
	struct hipc_link_stats st;

	(void)p;
	memset(&st, 0, sizeof(st));
	hipc_link_get_stats(hipc_rproc_link(s.rp), &st);
	*out = st.doorbells_tx;
	*in = st.doorbells_rx;
}

static void bigbuf_close(struct bench_path *p)
{
	p->peer_pid = 0;
	for (unsigned i = 0; i < NPOOLS; i++)
		if (s.bb[i])
			hipc_bigbuf_close(s.bb[i]);
	if (s.rp) {
		hipc_rproc_stop(s.rp, 1000);
		hipc_rproc_free(s.rp);
	}
	memset(&s, 0, sizeof(s));
}

struct bench_path bench_path_bigbuf = {
	.name = "bigbuf",
	.what = "references to big buffers filled in place (hipc/bigbuf.h, "
		"firmware/sdb), in this process",
	.open = bigbuf_open,
	.transact = bigbuf_transact,
	.doorbells = bigbuf_doorbells,
	.close = bigbuf_close,
};
