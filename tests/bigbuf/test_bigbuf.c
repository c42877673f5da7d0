/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big buffers end to end against firmware/sdb: both directions with every
 * buffer checked, at 4 KiB, 1 MiB and 64 MiB; the remote killed while it
 * holds buffers and a spinlock (everything reclaimed and counted, the
 * restarted remote on the same pools); a hostile remote's every kind of
 * bad reference refused and counted; the fast CRC32C equal to the core's.
 */
#include <stdlib.h>

#include "bb_util.h"
#include "hipc/spinlock.h"
#include "port_linux_internal.h"
#include "sim_proto.h"

#define MIB (1024u * 1024u)

/* The fast path and the portable one give the core's values, at every
 * length and alignment, chained or not. */
HIPC_TEST(crc_fast_matches_core)
{
	static uint8_t buf[200000];
	uint32_t seed = 12345;

	CHECK_EQ(hipc_crc32c_fast(0, "123456789", 9), 0xE3069283u);
	for (size_t i = 0; i < sizeof(buf); i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	for (int k = 0; k < 300; k++) {
		size_t off, len;

		seed = seed * 1103515245u + 12345u;
		off = (seed >> 8) % 64u;
		seed = seed * 1103515245u + 12345u;
		/* short ones, and ones past the 3 x 8 KiB blocks */
		len = k < 150 ? (seed >> 8) % 100u
			      : (seed >> 4) % (sizeof(buf) - 64u);
		uint32_t ref = hipc_crc32c(0, buf + off, len);

		CHECK_EQ(hipc_crc32c_fast(0, buf + off, len), ref);
		CHECK_EQ(hipc__crc32c_slice8(0, buf + off, len), ref);
		/* chained in two pieces */
		CHECK_EQ(hipc_crc32c_fast(hipc_crc32c_fast(0, buf + off, len / 3),
					  buf + off + len / 3, len - len / 3),
			 ref);
	}
}

static void both_ways(const char *name, unsigned p, uint32_t size,
		      uint64_t bytes)
{
	struct hipc_bufpool_stats ps;
	struct hipc_bigbuf_stats st;
	struct bb_client c;
	uint64_t n = bytes / size;
	const struct sdb_report *r;

	bb_start(&c, name, HIPC_RPROC_STAY_CRASHED);
	bb_push(&c, p, n, size, true);
	bb_pull(&c, p, n, size, true);
	bb_cmd(&c, p, SDB_OP_STATS, 0, 0, 0, 0);
	r = bb_wait_report(&c, SDB_OP_STATS);
	CHECK_EQ(hipc_get_le64(&r->consumed), n);
	CHECK_EQ(hipc_get_le64(&r->consumed_bytes), n * size);
	CHECK_EQ(hipc_get_le64(&r->produced), n);
	CHECK_EQ(hipc_get_le32(&r->refused), 0);
	hipc_bigbuf_get_stats(c.bb[p], &st);
	CHECK_EQ(st.received, n);
	CHECK_EQ(st.refused, 0);
	CHECK_EQ(st.ret_bad, 0);
	hipc_bufpool_get_stats(hipc_bigbuf_pool(c.bb[p]), &ps);
	CHECK_EQ(ps.refused_crc + ps.refused_bad + ps.refused_range +
			 ps.refused_owner + ps.refused_stale + ps.refused_shared,
		 0);
	bb_stop(&c);
}

HIPC_TEST(both_ways_4k)
{
	both_ways("bb-4k", 0, 4096, 64ull * MIB);
}

/* The CI-sized pass: 1 GiB each way. */
HIPC_TEST(both_ways_1m)
{
	both_ways("bb-1m", 2, MIB, 1024ull * MIB);
}

HIPC_TEST(both_ways_64m)
{
	both_ways("bb-64m", 4, 64u * MIB, 1024ull * MIB);
}

/* The soak: HIPC_BIGBUF_GIB (10) GiB each way in 4 KiB buffers, then in
 * 1 MiB ones, then in 64 MiB ones; every buffer's CRC32C checked. */
HIPC_TEST(soak)
{
	const char *e = getenv("HIPC_BIGBUF_GIB");
	uint64_t gib = e && *e ? strtoull(e, NULL, 10) : 10;

	both_ways("bb-soak4k", 0, 4096, gib * 1024ull * MIB);
	both_ways("bb-soak1m", 2, MIB, gib * 1024ull * MIB);
	both_ways("bb-soak64m", 4, 64u * MIB, gib * 1024ull * MIB);
}

/*
 * Killed mid-stream while it holds host buffers and a spinlock: every
 * host buffer it held or had in flight comes back and is counted, the
 * lock is released and counted; the buffer of its own that the host
 * holds stays intact; the restarted remote attaches to the same pools and
 * every buffer of both sides is usable again.
 */
HIPC_TEST(crash_reclaims)
{
	const unsigned p = 2; /* 1 MiB: 8 host buffers, 8 remote ones */
	struct hipc_bigbuf *bb;
	struct hipc_spinlock_set *locks;
	struct hipc_rproc_info info;
	struct hipc_bufpool_rx kept, rx;
	struct hipc_bufpool_geometry g;
	struct hipc_bigbuf_stats st;
	struct bb_client c;
	uint32_t owner;
	unsigned sent = 0;
	int idx[64], n = 0, i;
	void *b;

	bb_start(&c, "bb-crash", HIPC_RPROC_RESTART);
	bb = c.bb[p];
	hipc_bufpool_get_geometry(hipc_bigbuf_pool(bb), &g);
	CHECK_EQ(hipc_rproc_spinlocks(c.rp, &locks), 0);

	/* One buffer of the remote's, kept by the host across the crash. */
	bb_cmd(&c, p, SDB_OP_PRODUCE, MIB, 1, 0, SDB_F_CRC);
	bb_wait_report(&c, SDB_OP_PRODUCE);
	CHECK(bb_recv_one(&c, p, &kept, 2000));
	CHECK(bb_pattern_ok(kept.data, kept.len, 0));

	/* From now on it keeps what it gets, and holds lock 7. */
	bb_cmd(&c, p, SDB_OP_HOLD, 7, 0, 0, 0);
	CHECK_EQ((int32_t)hipc_get_le32(&bb_wait_report(&c, SDB_OP_HOLD)->status),
		 0);
	CHECK_EQ(hipc_spinlock_owner(locks, 7, &owner), 0);
	CHECK_EQ(owner, 2);

	/* Stream every host buffer; kill it once it holds some. */
	while ((i = hipc_bigbuf_alloc(bb, &b)) >= 0) {
		bb_fill(b, MIB, (uint64_t)i);
		CHECK_EQ(hipc_bigbuf_send(bb, (uint32_t)i, 0, MIB,
					  HIPC_BUFPOOL_F_CRC), 0);
		sent++;
		if (sent == g.host_count / 2) {
			bb_cmd(&c, p, SDB_OP_STATS, 0, 0, 0, 0);
			bb_wait_report(&c, SDB_OP_STATS);
			CHECK(hipc_get_le64(&c.rep.consumed) >= 1);
		}
	}
	CHECK_EQ(sent, g.host_count);
	CHECK_EQ(kill(hipc_rproc_pid(c.rp), SIGKILL), 0);
	CHECK(BB_RUN_UNTIL(&c, c.crashes == 1, 5000));

	hipc_rproc_get_info(c.rp, &info);
	/* every host buffer (held or in flight), none of the remote's: the
	 * one it had handed over is the host's */
	CHECK_EQ(info.pool_reclaimed, g.host_count);
	CHECK_EQ(info.locks_released, 1);
	CHECK_EQ(hipc_spinlock_owner(locks, 7, &owner), 0);
	CHECK_EQ(owner, 0);
	/* What the host held is untouched. */
	CHECK(bb_pattern_ok(kept.data, kept.len, 0));
	CHECK_EQ(hipc_crc32c_fast(0, kept.data, kept.len),
		 hipc_crc32c(0, kept.data, kept.len));

	/* Back, on the same pools: every host buffer free again. */
	CHECK(BB_RUN_UNTIL(&c, bb_bound(&c), 10000));
	while ((i = hipc_bigbuf_alloc(bb, &b)) >= 0)
		idx[n++] = i;
	CHECK_EQ(n, (int)g.host_count);
	while (n)
		CHECK_EQ(hipc_bigbuf_free(bb, (uint32_t)idx[--n]), 0);
	/* The kept one goes back to the new instance, which then uses
	 * every buffer of its own, twice over. */
	CHECK_EQ(hipc_bigbuf_release(bb, kept.index, kept.generation, 0), 0);
	bb_pull(&c, p, 2u * (g.count - g.host_count), MIB, true);
	bb_push(&c, p, 2u * g.host_count, MIB, true);
	CHECK_EQ(hipc_bigbuf_recv(bb, &rx), -HIPC_EAGAIN);
	hipc_bigbuf_get_stats(bb, &st);
	CHECK_EQ(st.refused, 0);
	bb_stop(&c);
}

/* Run one hostile request; its report follows what it sent. */
static void hostile(struct bb_client *c, unsigned p, uint32_t what)
{
	bb_cmd(c, p, SDB_OP_HOSTILE, what, 0, 0, 0);
	CHECK_EQ((int32_t)hipc_get_le32(&bb_wait_report(c, SDB_OP_HOSTILE)->status),
		 0);
}

/*
 * Every kind of bad reference a remote can send is refused without the
 * buffer being touched, and counted under its reason; bad return notices
 * are counted too; the host's own double release is refused.  The device
 * keeps working throughout.
 */
HIPC_TEST(hostile_refused)
{
	const unsigned p = 0;
	struct hipc_bufpool_stats ps;
	struct hipc_bigbuf_stats st;
	struct hipc_bufpool_rx rx;
	struct hipc_bufpool *pool;
	struct bb_client c;

	bb_start(&c, "bb-hostile", HIPC_RPROC_STAY_CRASHED);
	pool = hipc_bigbuf_pool(c.bb[p]);

	hostile(&c, p, SDB_BAD_RANGE);
	hostile(&c, p, SDB_BAD_LENGTH);
	hipc_bufpool_get_stats(pool, &ps);
	CHECK_EQ(ps.refused_range, 2);
	hostile(&c, p, SDB_BAD_OWNER);
	hipc_bufpool_get_stats(pool, &ps);
	CHECK_EQ(ps.refused_owner, 1);
	hostile(&c, p, SDB_BAD_NEVER);
	hipc_bufpool_get_stats(pool, &ps);
	CHECK_EQ(ps.refused_shared, 1);
	hostile(&c, p, SDB_BAD_POOL);
	hipc_bufpool_get_stats(pool, &ps);
	CHECK_EQ(ps.refused_bad, 1);

	/* A good one, released; then replayed: stale. */
	bb_pull(&c, p, 1, 4096, true);
	hostile(&c, p, SDB_BAD_STALE);
	hipc_bufpool_get_stats(pool, &ps);
	CHECK_EQ(ps.refused_stale, 1);

	/* Return notices: a double one, one for a buffer never sent. */
	bb_push(&c, p, 1, 4096, true);
	hostile(&c, p, SDB_BAD_DOUBLE);
	hostile(&c, p, SDB_BAD_UNSENT);
	hipc_bigbuf_get_stats(c.bb[p], &st);
	CHECK_EQ(st.ret_bad, 2);
	CHECK_EQ(st.refused, 6);
	CHECK_EQ(st.returned, 1);

	/* The host releasing twice. */
	bb_cmd(&c, p, SDB_OP_PRODUCE, 4096, 1, 0, SDB_F_CRC);
	bb_wait_report(&c, SDB_OP_PRODUCE);
	CHECK(bb_recv_one(&c, p, &rx, 2000));
	CHECK_EQ(hipc_bigbuf_release(c.bb[p], rx.index, rx.generation, 0), 0);
	CHECK_EQ(hipc_bigbuf_release(c.bb[p], rx.index, rx.generation, 0),
		 -HIPC_EINVAL);
	hipc_bufpool_get_stats(pool, &ps);
	CHECK_EQ(ps.refused_owner, 2);
	CHECK_EQ(ps.refused_crc, 0);

	/* Still a working device, both ways. */
	bb_push(&c, p, 256, 4096, true);
	bb_pull(&c, p, 256, 4096, true);
	CHECK(!hipc_rpmsg_broken(hipc_rproc_rpmsg(c.rp)));
	bb_stop(&c);
}

/*
 * One buffer to the remote, whose return notice it was told to falsify
 * (@what): counted as bad (@bad) or as an error, never acted on
 * (`returned` unmoved); the buffer still comes back, through the state
 * word the remote wrote, at the next alloc.
 */
static void lying_notice(struct bb_client *c, unsigned p, uint32_t what,
			 bool bad)
{
	struct hipc_bigbuf *bb = c->bb[p];
	struct hipc_bigbuf_stats st0, st;
	void *b;
	int i;

	hostile(c, p, what);
	hipc_bigbuf_get_stats(bb, &st0);
	i = hipc_bigbuf_alloc(bb, &b);
	CHECK(i >= 0);
	bb_fill(b, 4096, 0);
	CHECK_EQ(hipc_bigbuf_send(bb, (uint32_t)i, 0, 4096, 0), 0);
	CHECK(BB_RUN_UNTIL(c, (hipc_bigbuf_get_stats(bb, &st),
			       st.ret_bad + st.ret_errors !=
				       st0.ret_bad + st0.ret_errors),
			   5000));
	CHECK_EQ(st.ret_bad, st0.ret_bad + bad);
	CHECK_EQ(st.ret_errors, st0.ret_errors + !bad);
	CHECK_EQ(st.returned, st0.returned);
	CHECK_EQ(st.returned_bytes, st0.returned_bytes);
}

/*
 * Return notices naming another pool, an index outside the host's
 * buffers or a length over the buffer size are bad; one with an error
 * status is an error; messages that are neither references nor notices
 * (here the remote's reports) go to on_msg and are counted as `other`.
 * None of it stops the pool.
 */
HIPC_TEST(bad_notices_and_other_messages)
{
	const unsigned p = 0;
	struct hipc_bigbuf_stats st;
	struct bb_client c;

	bb_start(&c, "bb-notices", HIPC_RPROC_STAY_CRASHED);
	lying_notice(&c, p, SDB_BAD_RET_POOL, true);
	lying_notice(&c, p, SDB_BAD_RET_INDEX, true);
	lying_notice(&c, p, SDB_BAD_RET_LENGTH, true);
	lying_notice(&c, p, SDB_BAD_RET_STATUS, false);
	hipc_bigbuf_get_stats(c.bb[p], &st);
	CHECK_EQ(st.ret_bad, 3);
	CHECK_EQ(st.ret_errors, 1);
	CHECK_EQ(st.refused, 0);
	/* four hostile commands, four reports */
	CHECK_EQ(c.msgs, 4);
	CHECK_EQ(st.other, 4);
	/* Every buffer the lies named is the host's again, and the pool
	 * works both ways. */
	bb_push(&c, p, 2u * 64u, 4096, true);
	bb_pull(&c, p, 16, 4096, true);
	hipc_bigbuf_get_stats(c.bb[p], &st);
	CHECK_EQ(st.other, c.msgs);
	CHECK_EQ(st.ret_bad, 3);
	CHECK(!hipc_rpmsg_broken(hipc_rproc_rpmsg(c.rp)));
	bb_stop(&c);
}

/*
 * The pools region is kept across restarts: a firmware file that now
 * declares other pools (here none: another firmware put at the same path)
 * is refused with -HIPC_EBUSY and a reason, and the remote is not started;
 * the firmware that declared them starts again on the same pools.
 */
HIPC_TEST(restart_with_other_pools_refused)
{
	char path[] = "/tmp/hipc-bb-fw-XXXXXX";
	struct hipc_rproc_config cfg;
	struct hipc_rproc *rp;
	char err[256] = "";
	int fd;

	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(symlink(BB_FW, path), 0);
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "bb-other";
	cfg.firmware = path;
	cfg.mode = HIPC_LINK_IRQ;
	cfg.policy = HIPC_RPROC_STAY_CRASHED;
	cfg.boot_timeout_ms = 10000;
	CHECK_EQ(hipc_rproc_new(&rp, &cfg), 0);
	CHECK_EQ(hipc_rproc_start(rp, err, sizeof(err)), 0);
	CHECK_EQ(hipc_rproc_stop(rp, 2000), 0);

	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(symlink(HIPC_BUILD_DIR "/firmware/echo/hipc-fw-echo", path), 0);
	CHECK_EQ(hipc_rproc_start(rp, err, sizeof(err)), -HIPC_EBUSY);
	printf("start: %s\n", err);
	CHECK(strstr(err, "declares other pools than the region kept") != NULL);
	CHECK_EQ(hipc_rproc_state(rp), HIPC_RPROC_OFFLINE);
	CHECK_EQ(hipc_rproc_pid(rp), -1);

	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(symlink(BB_FW, path), 0);
	CHECK_EQ(hipc_rproc_start(rp, err, sizeof(err)), 0);
	CHECK_EQ(hipc_rproc_state(rp), HIPC_RPROC_RUNNING);
	hipc_rproc_free(rp);
	unlink(path);
}

/* A corrupted buffer: the remote's CRC check refuses it, says so, and the
 * buffer goes nowhere (the host's recovery would reclaim it). */
HIPC_TEST(crc_mismatch_refused)
{
	const unsigned p = 0;
	struct hipc_bigbuf_stats st;
	struct hipc_bufpool_ref ref;
	struct bb_client c;
	void *b;
	int i;

	bb_start(&c, "bb-crc", HIPC_RPROC_STAY_CRASHED);
	i = hipc_bigbuf_alloc(c.bb[p], &b);
	CHECK(i >= 0);
	bb_fill(b, 4096, 1);
	CHECK_EQ(hipc_bufpool_send(hipc_bigbuf_pool(c.bb[p]), (uint32_t)i, 0,
				   4096, HIPC_BUFPOOL_F_CRC, &ref), 0);
	/* changed after the CRC was taken */
	((uint8_t *)b)[100] ^= 1;
	CHECK_EQ(hipc_bigbuf_send_msg(c.bb[p], &ref, sizeof(ref)),
		 (int)sizeof(ref));
	bb_cmd(&c, p, SDB_OP_STATS, 0, 0, 0, 0);
	CHECK_EQ(hipc_get_le32(&bb_wait_report(&c, SDB_OP_STATS)->refused), 1);
	/* Its notice came first; it names a reference sent around
	 * hipc_bigbuf_send(), so the bigbuf counts it as not its own. */
	hipc_bigbuf_get_stats(c.bb[p], &st);
	CHECK_EQ(st.ret_bad, 1);
	bb_stop(&c);
}

/*
 * The producer paced at a requested rate (a lower bound only: pacing
 * never runs ahead of its schedule), and requests it cannot serve
 * answered with a reason.
 */
HIPC_TEST(produce_paced_and_errors)
{
	const unsigned p = 0;
	struct bb_client c;
	uint64_t t0;

	bb_start(&c, "bb-paced", HIPC_RPROC_STAY_CRASHED);
	bb_pull(&c, p, 21, 4096, true); /* unpaced first */
	bb_cmd(&c, p, SDB_OP_PRODUCE, 4096, 21, 200, SDB_F_CRC);
	{
		struct hipc_bufpool_rx rx;
		unsigned got = 0;

		t0 = hipc_now_ns();
		while (got < 21) {
			CHECK(bb_recv_one(&c, p, &rx, 5000));
			CHECK(bb_pattern_ok(rx.data, rx.len, got));
			CHECK_EQ(hipc_bigbuf_release(c.bb[p], rx.index,
						     rx.generation, 4096), 0);
			got++;
		}
	}
	/* 21 buffers at 200/s: the last one not before 100 ms */
	CHECK(hipc_now_ns() - t0 >= 95 * BB_MS);
	CHECK_EQ((int32_t)hipc_get_le32(&bb_wait_report(&c, SDB_OP_PRODUCE)->status),
		 0);
	/* larger than the pool's buffers */
	bb_cmd(&c, p, SDB_OP_PRODUCE, 8192, 1, 0, 0);
	CHECK_EQ((int32_t)hipc_get_le32(&bb_wait_report(&c, SDB_OP_PRODUCE)->status),
		 -HIPC_ERANGE);
	/* an unknown command */
	bb_cmd(&c, p, 99, 0, 0, 0, 0);
	CHECK_EQ((int32_t)hipc_get_le32(&bb_wait_report(&c, 99)->status),
		 -HIPC_EINVAL);
	bb_stop(&c);
}

/* Closed with references still queued (the remote's buffers, received
 * and never taken): they go back to the remote, and its next PRODUCE of
 * all of them reaches the next opener whole. */
HIPC_TEST(close_gives_back_what_it_did_not_read)
{
	const unsigned p = 0, k = 32; /* sdb-4k: 32 of its 64 are the remote's */
	struct hipc_bigbuf_stats st;
	struct hipc_bufpool_rx rx;
	struct bb_client c;
	unsigned got = 0;
	uint64_t end;

	bb_start(&c, "bb-close", HIPC_RPROC_STAY_CRASHED);
	bb_cmd(&c, p, SDB_OP_PRODUCE, 4096, k, 0, 0);
	CHECK_EQ((int32_t)hipc_get_le32(&bb_wait_report(&c, SDB_OP_PRODUCE)->status),
		 0);
	CHECK(BB_RUN_UNTIL(&c, (hipc_bigbuf_get_stats(c.bb[p], &st),
				st.received == k), 5000));
	hipc_bigbuf_close(c.bb[p]);
	{
		struct hipc_bigbuf_config bc = {
			.rp = c.rp,
			.pool = bb_pool_name[p],
			.on_msg = bb_on_msg,
			.priv = &c,
		};

		CHECK_EQ(hipc_bigbuf_open(&c.bb[p], &bc), 0);
	}
	CHECK(BB_RUN_UNTIL(&c, bb_bound(&c), 5000));
	bb_cmd(&c, p, SDB_OP_PRODUCE, 4096, k, 0, 0);
	end = hipc_now_ns() + 5000 * BB_MS;
	while ((got < k || !c.got_report) && hipc_now_ns() < end) {
		while (hipc_bigbuf_recv(c.bb[p], &rx) >= 0) {
			CHECK_EQ(hipc_bigbuf_release(c.bb[p], rx.index,
						     rx.generation, 4096), 0);
			got++;
		}
		bb_step(&c, 5);
	}
	CHECK_EQ(got, k);
	CHECK(c.got_report);
	CHECK_EQ((int32_t)hipc_get_le32(&c.rep.status), 0);
	bb_stop(&c);
}

/* A table of @n pool entries, as a firmware would declare them (the
 * offset array has room for 3; the validator allows the gap). */
struct pool_table {
	struct hipc_rsc_hdr hdr;
	uint32_t offset[HIPC__MAX_POOLS + 1];
	struct hipc_rsc_hipc_pool pool[HIPC__MAX_POOLS + 1];
} __attribute__((packed));

static size_t pool_table(struct pool_table *t, unsigned n)
{
	memset(t, 0, sizeof(*t));
	t->hdr.ver = 1;
	t->hdr.num = n;
	for (unsigned i = 0; i < n; i++) {
		t->offset[i] = (uint32_t)(offsetof(struct pool_table, pool) +
					  i * sizeof(t->pool[0]));
		t->pool[i].type = HIPC_RSC_HIPC_POOL;
		t->pool[i].pool_id = 10 + i;
		t->pool[i].count = 8;
		t->pool[i].host_count = 4;
		t->pool[i].buf_size = 8192;
		t->pool[i].align = 64;
		snprintf(t->pool[i].name, sizeof(t->pool[i].name), "p%u", i);
	}
	return offsetof(struct pool_table, pool) + n * sizeof(t->pool[0]);
}

/*
 * The declaration: the validator wants the entry complete, reserved 0, a
 * terminated name; the planner a sane geometry, unique names and ids,
 * bounded sizes; the layout is page-aligned and the same on both sides.
 */
HIPC_TEST(pool_declaration_checked)
{
	struct hipc__pools_layout l, l2;
	struct pool_table t;
	size_t n;

	n = pool_table(&t, 2);
	CHECK_EQ(hipc_rsc_validate(&t, n, NULL), 0);
	CHECK_EQ(hipc__pools_plan(&t, n, &l), 0);
	CHECK_EQ(l.npools, 2);
	CHECK_EQ(l.pool[0].off, 4096);
	CHECK_EQ(l.pool[0].size, HIPC_BUFPOOL_SHM_SIZE(8, 8192, 64));
	CHECK_EQ(l.pool[1].off % 4096, 0);
	CHECK(l.pool[1].off >= l.pool[0].off + l.pool[0].size);
	CHECK_EQ(hipc__pools_plan(&t, n, &l2), 0);
	CHECK(hipc__pools_same(&l, &l2));
	/* cut short, reserved set, name unterminated: the validator */
	CHECK_EQ(hipc_rsc_validate(&t, n - 1, NULL), -HIPC_EBADMSG);
	t.pool[1].reserved[1] = 1;
	CHECK_EQ(hipc_rsc_validate(&t, n, NULL), -HIPC_EBADMSG);
	pool_table(&t, 2);
	memset(t.pool[1].name, 'x', sizeof(t.pool[1].name));
	CHECK_EQ(hipc_rsc_validate(&t, n, NULL), -HIPC_EBADMSG);
	/* geometry: the planner */
#define BAD_PLAN(field, v)                                                   \
	do {                                                                 \
		pool_table(&t, 2);                                           \
		t.pool[1].field = (v);                                       \
		CHECK_EQ(hipc_rsc_validate(&t, n, NULL), 0);                 \
		CHECK(hipc__pools_plan(&t, n, &l) < 0);                      \
	} while (0)
	BAD_PLAN(count, 0);
	BAD_PLAN(host_count, 9);
	BAD_PLAN(align, 48);
	BAD_PLAN(align, 8192);
	BAD_PLAN(buf_size, 8200);
	BAD_PLAN(buf_size, 0);
	BAD_PLAN(pool_id, 10);              /* the first one's id */
	BAD_PLAN(name[1], '0');             /* "p0": the first one's name */
	BAD_PLAN(buf_size, 0x80000000u);    /* 8 x 2 GiB: past 4 GiB */
#undef BAD_PLAN
	/* as many pools as supported, and one more */
	n = pool_table(&t, HIPC__MAX_POOLS);
	CHECK_EQ(hipc_rsc_validate(&t, n, NULL), 0);
	CHECK_EQ(hipc__pools_plan(&t, n, &l), 0);
	CHECK_EQ(l.npools, HIPC__MAX_POOLS);
	n = pool_table(&t, HIPC__MAX_POOLS + 1u);
	CHECK_EQ(hipc_rsc_validate(&t, n, NULL), 0);
	CHECK_EQ(hipc__pools_plan(&t, n, &l), -HIPC_EBADMSG);
	/* none declared: no region */
	n = pool_table(&t, 0);
	t.hdr.num = 0;
	CHECK_EQ(hipc__pools_plan(&t, sizeof(t.hdr), &l), 0);
	CHECK_EQ(l.npools, 0);
	CHECK_EQ(l.size, 0);
}

HIPC_TEST_MAIN(HIPC_CASE(pool_declaration_checked), HIPC_CASE(crc_fast_matches_core), HIPC_CASE(both_ways_4k),
	       HIPC_CASE(both_ways_1m), HIPC_CASE(both_ways_64m),
	       HIPC_CASE(soak), HIPC_CASE(crash_reclaims),
	       HIPC_CASE(hostile_refused), HIPC_CASE(crc_mismatch_refused),
	       HIPC_CASE(bad_notices_and_other_messages),
	       HIPC_CASE(restart_with_other_pools_refused),
	       HIPC_CASE(produce_paced_and_errors),
	       HIPC_CASE(close_gives_back_what_it_did_not_read))
