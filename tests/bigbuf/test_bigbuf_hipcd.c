/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big buffers through hipcd (docs/bigbuf.md, "Through hipcd"): this
 * process is a client of a private hipcd running firmware/sdb, through
 * hipc/bigbuf_client.h and, for the hostile cases, through the raw socket
 * protocol.  Every buffer's bytes are checked: the CRC32C by the receiver
 * (the remote for ours, hipcd's pool for the remote's), the pattern by us.
 *
 *   test-bigbuf-hipcd CASE     one case (ctest runs each)
 *   test-bigbuf-hipcd bench    throughput, 1 MiB and 32 MiB, median of 3
 */
#include <sys/mman.h>

#include "../epdev/ep_util.h"
#include "hipc/bigbuf_client.h"
#include "hipc/error.h"
#include "sdb_proto.h"

#define SDB_FW HIPC_BUILD_DIR "/firmware/sdb/hipc-fw-sdb"
#define MIB (1024u * 1024u)

static const char *conf(char *buf, size_t len)
{
	snprintf(buf, len, "[m4]\nfirmware = %s\npolicy = restart\n"
		 "backoff_ms = 5\n", SDB_FW);
	return buf;
}

static void start(void)
{
	char c[512];

	ep_start_at(conf(c, sizeof(c)), "m4", "bigbuf");
}

/* A client of @pool, retried while the service is not (yet, or again)
 * announced, for up to @ms. */
static struct hipc_bbc *open_pool(const char *pool, unsigned ms)
{
	uint64_t end = ep_now_ms() + ms;
	struct hipc_bbc *c;
	int ret;

	for (;;) {
		/* NULL: HIPC_RUN_DIR, which ep_start() set */
		ret = hipc_bbc_open(&c, NULL, "m4", SDB_SERVICE, pool);
		if (ret == 0)
			return c;
		if (ep_now_ms() >= end) {
			printf("open %s: %s\n", pool, hipc_strerror(ret));
			CHECK(0);
		}
		CHECK(ret == -HIPC_ENOENT || ret == -HIPC_ENOTCONN ||
		      ret == -HIPC_ECONNREFUSED || ret == -HIPC_ECONNRESET);
		usleep(2000);
	}
}

static void fill(uint8_t *b, uint32_t size, uint64_t seq)
{
	uint32_t n = size / 8u;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t w = sdb_word(seq, i);

		memcpy(b + 8u * i, &w, 8);
	}
	for (uint32_t i = n * 8u; i < size; i++)
		b[i] = (uint8_t)seq;
}

/* Every word of the pattern. */
static bool pattern_ok(const uint8_t *b, uint32_t size, uint64_t seq)
{
	uint32_t n = size / 8u;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t w;

		memcpy(&w, b + 8u * i, 8);
		if (w != sdb_word(seq, i))
			return false;
	}
	for (uint32_t i = n * 8u; i < size; i++)
		if (b[i] != (uint8_t)seq)
			return false;
	return true;
}

/* The next event, waiting up to @ms; false on timeout. */
static bool next_event(struct hipc_bbc *c, struct hipc_bbc_event *ev,
		       unsigned ms)
{
	uint64_t end = ep_now_ms() + ms;
	int ret;

	for (;;) {
		struct pollfd p = { .fd = hipc_bbc_fd(c), .events = POLLIN };

		ret = hipc_bbc_next(c, ev);
		if (ret == 1)
			return true;
		CHECK_EQ(ret, -HIPC_EAGAIN);
		if (ep_now_ms() >= end)
			return false;
		poll(&p, 1, 100);
	}
}

static void sdb_cmd(struct hipc_bbc *c, uint32_t op, uint32_t pool_id,
		    uint32_t size, uint64_t count, uint32_t flags)
{
	struct sdb_cmd m = {
		.magic = SDB_CMD_MAGIC,
		.op = op,
		.pool_id = pool_id,
		.size = size,
		.count = count,
		.flags = flags,
	};

	CHECK_EQ(hipc_bbc_send_msg(c, &m, sizeof(m)), 0);
}

static const struct sdb_report *as_report(const struct hipc_bbc_event *ev)
{
	const struct sdb_report *r = ev->data;

	if (ev->type != HIPC_BBC_EV_MSG || ev->length != sizeof(*r) ||
	    r->magic != SDB_REPORT_MAGIC)
		return NULL;
	return r;
}

/* Host to remote: @count buffers of @size, each filled with its pattern,
 * sent with its CRC32C (checked by the remote), confirmed by its notice.
 * Returns the seconds it took. */
static double push_ex(struct hipc_bbc *c, uint64_t count, uint32_t size,
		      bool crc, bool touch, bool nowait)
{
	uint64_t sent = 0, back = 0, t0 = ep_now_ns();
	struct hipc_bbc_event ev;
	uint32_t gen;
	void *b;
	int i;

	while (back < count) {
		while (sent < count &&
		       (i = hipc_bbc_alloc(c, &b, &gen)) != -HIPC_EAGAIN) {
			CHECK(i >= 0);
			if (touch)
				fill(b, size, sent);
			CHECK_EQ((nowait ? hipc_bbc_send_nowait : hipc_bbc_send)(
					 c, (uint32_t)i, gen, 0, size,
					 crc ? HIPC_BUFPOOL_F_CRC : 0), 0);
			sent++;
		}
		CHECK(next_event(c, &ev, 10000));
		if (ev.type == HIPC_BBC_EV_MSG)
			continue; /* a report */
		CHECK_EQ(ev.type, HIPC_BBC_EV_RET);
		CHECK_EQ(ev.status, 0);
		/* The remote's verdict, unless its notice was overtaken
		 * (advisory: sdb drops one when out of rpmsg buffers). */
		if (ev.flags & HIPC_BBC_RET_UNNOTICED)
			CHECK_EQ(ev.length, 0);
		else
			CHECK_EQ(ev.length, size);
		back++;
	}
	return (double)(ep_now_ns() - t0) / 1e9;
}

static double push(struct hipc_bbc *c, uint64_t count, uint32_t size,
		   bool crc)
{
	return push_ex(c, count, size, crc, true, false);
}

/* Remote to host: @count buffers of @size produced by the remote with
 * their CRC32C (checked by hipcd), each pattern checked here and
 * released. */
static double pull_ex(struct hipc_bbc *c, uint32_t pool_id, uint64_t count,
		      uint32_t size, bool check, bool nowait)
{
	uint64_t got = 0, t0 = ep_now_ns();
	struct hipc_bbc_event ev;
	bool done = false;

	sdb_cmd(c, SDB_OP_PRODUCE, pool_id, size, count,
		check ? SDB_F_CRC : 0);
	while (got < count || !done) {
		const struct sdb_report *r;

		CHECK(next_event(c, &ev, 10000));
		r = as_report(&ev);
		if (r) {
			CHECK_EQ(r->op, SDB_OP_PRODUCE);
			CHECK_EQ(r->status, 0);
			done = true;
			continue;
		}
		CHECK_EQ(ev.type, HIPC_BBC_EV_RX);
		CHECK_EQ(ev.length, size);
		if (check && !pattern_ok(ev.data, size, got)) {
			printf("buffer %llu: pattern wrong\n",
			       (unsigned long long)got);
			CHECK(0);
		}
		CHECK_EQ((nowait ? hipc_bbc_release_nowait : hipc_bbc_release)(
				 c, ev.index, ev.generation, size), 0);
		got++;
	}
	return (double)(ep_now_ns() - t0) / 1e9;
}

static double pull(struct hipc_bbc *c, uint32_t pool_id, uint64_t count,
		   uint32_t size, bool check)
{
	return pull_ex(c, pool_id, count, size, check, false);
}

/* hipcctl stats for m4: the value of @key on the line of @entry (the
 * "bigbuf" totals, or a connection's "POOL@PID"); -1 if none. */
static long long stat_of(const char *entry, const char *key)
{
	char out[16384], want[64], k[64];
	const char *line, *p;

	CHECK_EQ(ep_ctl("stats m4", out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "m4 %s bigbuf ", entry);
	line = strstr(out, want);
	if (!line)
		return -1;
	snprintf(k, sizeof(k), " %s ", key);
	p = strstr(line, k);
	if (!p || (strchr(line, '\n') && p > strchr(line, '\n')))
		return -1;
	return atoll(p + strlen(k));
}

/* Polls @entry's @key until it is at least @want, for up to @ms; its
 * value then. */
static long long stat_reaches(const char *entry, const char *key,
			      long long want, unsigned ms)
{
	uint64_t end = ep_now_ms() + ms;
	long long v;

	do {
		v = stat_of(entry, key);
		if (v >= want)
			return v;
		usleep(5000);
	} while (ep_now_ms() < end);
	printf("%s %s: %lld, not %lld yet\n", entry, key, v, want);
	CHECK(0);
	return v;
}

/* Polls @entry's @key until it is @want, for up to @ms. */
static bool stat_becomes(const char *entry, const char *key, long long want,
			 unsigned ms)
{
	uint64_t end = ep_now_ms() + ms;
	long long v;

	do {
		v = stat_of(entry, key);
		if (v == want)
			return true;
		usleep(5000);
	} while (ep_now_ms() < end);
	printf("%s %s: %lld, not %lld\n", entry, key, v, want);
	return false;
}

static void both_ways(const char *pool, uint32_t pool_id, uint32_t size,
		      uint64_t bytes, bool nowait)
{
	struct hipc_bbc *c;
	struct hipc_bbc_stats st;

	start();
	c = open_pool(pool, 10000);
	push_ex(c, bytes / size, size, true, true, nowait);
	pull_ex(c, pool_id, bytes / size, size, true, nowait);
	CHECK_EQ(hipc_bbc_get_stats(c, &st), 0);
	CHECK_EQ(st.sent, bytes / size);
	CHECK_EQ(st.received, bytes / size);
	CHECK_EQ(st.released, bytes / size);
	CHECK_EQ(st.returned, bytes / size);
	CHECK_EQ(st.refused_bad + st.refused_range + st.refused_owner +
			 st.refused_stale + st.refused_other, 0);
	hipc_bbc_close(c);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
	CHECK_EQ(stat_of("bigbuf", "remote_refused"), 0);
}

/* 256 MiB each way in 1 MiB buffers, every CRC and pattern checked. */
HIPC_TEST(both_ways_1m)
{
	both_ways("sdb-1m", SDB_POOL_1M, MIB, 256ull * MIB, false);
}

/* 16 MiB each way in 4 KiB buffers: 4,096 references each way, sent and
 * released without waiting for the daemon (pipelined). */
HIPC_TEST(both_ways_4k)
{
	both_ways("sdb-4k", SDB_POOL_SMALL, 4096, 16ull * MIB, true);
}

/* --- the raw protocol, as a hostile client speaks it -------------------------- */

struct raw {
	int fd;
	uint32_t seq;
	struct hipc_bbc_msg geo;
	uint8_t *map;
	/* remote buffers lent to us, as EV_RX said */
	struct hipc_bbc_msg rx[64];
	unsigned nrx;
	unsigned rets;
};

/* Every message until the reply to @seq; events kept.  The reply's
 * status, or 1 on EOF. */
static int raw_reply(struct raw *w, uint32_t seq, struct hipc_bbc_msg *r)
{
	unsigned char in[4096];

	for (;;) {
		ssize_t n = recv(w->fd, in, sizeof(in), 0);
		struct hipc_bbc_msg m;

		CHECK(n >= 0);
		if (n == 0)
			return 1;
		CHECK(n >= 8);
		memcpy(&m, in, (size_t)n < sizeof(m) ? (size_t)n : sizeof(m));
		if (m.op == HIPC_BBC_EV_RX) {
			CHECK(w->nrx < 64);
			w->rx[w->nrx++] = m;
			continue;
		}
		if (m.op == HIPC_BBC_EV_RET) {
			w->rets++;
			continue;
		}
		if (m.op == HIPC_BBC_EV_MSG)
			continue;
		CHECK_EQ(m.op, HIPC_BBC_EV_REPLY);
		CHECK_EQ(m.seq, seq);
		if (r)
			*r = m;
		return m.status;
	}
}

/* Sends @len bytes as they are; returns the reply's status. */
static int raw_send(struct raw *w, const void *buf, size_t len, uint32_t seq)
{
	CHECK_EQ(send(w->fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
	return raw_reply(w, seq, NULL);
}

static int raw_req(struct raw *w, uint32_t op, uint32_t index, uint32_t gen,
		   uint32_t off, uint32_t len, uint32_t flags,
		   struct hipc_bbc_msg *r)
{
	struct hipc_bbc_msg q;

	memset(&q, 0, sizeof(q));
	q.op = op;
	q.seq = ++w->seq;
	q.index = index;
	q.generation = gen;
	q.offset = off;
	q.length = len;
	q.flags = flags;
	CHECK_EQ(send(w->fd, &q, sizeof(q), MSG_NOSIGNAL), (ssize_t)sizeof(q));
	return raw_reply(w, q.seq, r);
}

static void raw_connect(struct raw *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = ep_connect("m4", "bigbuf", false);
	CHECK(w->fd >= 0);
}

/* OPEN, the memfd received and mapped. */
static int raw_open(struct raw *w, const char *pool)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct hipc_bbc_msg q;
	struct iovec iov = { &w->geo, sizeof(w->geo) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm;
	int mfd;

	memset(&q, 0, sizeof(q));
	q.op = HIPC_BBC_OPEN;
	q.seq = ++w->seq;
	snprintf(q.service, sizeof(q.service), "%s", SDB_SERVICE);
	snprintf(q.pool, sizeof(q.pool), "%s", pool);
	CHECK_EQ(send(w->fd, &q, sizeof(q), MSG_NOSIGNAL), (ssize_t)sizeof(q));
	CHECK_EQ(recvmsg(w->fd, &mh, MSG_CMSG_CLOEXEC), (ssize_t)sizeof(w->geo));
	CHECK_EQ(w->geo.op, HIPC_BBC_EV_REPLY);
	if (w->geo.status)
		return w->geo.status;
	cm = CMSG_FIRSTHDR(&mh);
	CHECK(cm && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&mfd, CMSG_DATA(cm), sizeof(mfd));
	w->map = mmap(NULL, w->geo.region_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, mfd, 0);
	CHECK(w->map != MAP_FAILED);
	/* What a hostile client might try with the fd itself: the region
	 * is sealed against shrinking and further seals. */
	CHECK(ftruncate(mfd, 4096) < 0);
	CHECK(fcntl(mfd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0);
	close(mfd);
	return 0;
}

static void raw_close(struct raw *w)
{
	if (w->map)
		munmap(w->map, w->geo.region_size);
	close(w->fd);
}

/* The connection's own counters, as hipcd keeps them. */
static struct hipc_bbc_stats raw_stats(struct raw *w)
{
	struct hipc_bbc_msg q;
	unsigned char in[sizeof(q) + sizeof(struct hipc_bbc_stats)];
	struct hipc_bbc_stats st;
	uint32_t seq = ++w->seq;

	memset(&q, 0, sizeof(q));
	q.op = HIPC_BBC_STATS;
	q.seq = seq;
	CHECK_EQ(send(w->fd, &q, sizeof(q), MSG_NOSIGNAL), (ssize_t)sizeof(q));
	for (;;) {
		ssize_t n = recv(w->fd, in, sizeof(in), 0);

		CHECK(n >= 8);
		memcpy(&q, in, (size_t)n < sizeof(q) ? (size_t)n : sizeof(q));
		if (q.op == HIPC_BBC_EV_RX) {
			CHECK(w->nrx < 64);
			w->rx[w->nrx++] = q;
		} else if (q.op == HIPC_BBC_EV_RET) {
			w->rets++;
		} else if (q.op == HIPC_BBC_EV_REPLY && q.seq == seq) {
			CHECK_EQ(n, (ssize_t)sizeof(in));
			memcpy(&st, in + sizeof(q), sizeof(st));
			return st;
		}
	}
}

/*
 * Every bad request a client can make, each refused with its reason and
 * counted on its connection, while a second, well-behaved client of the
 * same pool moves data both ways before, between and after.
 */
HIPC_TEST(hostile_client)
{
	struct hipc_bbc *good;
	struct hipc_bbc_stats st;
	struct hipc_bbc_msg r, q;
	struct raw w, fresh;
	unsigned char junk[6000];
	uint32_t gidx, ggen, idx, gen, bs;
	uint64_t refused;
	void *gb;
	int i, sv[2];

	start();
	good = open_pool("sdb-1m", 10000);
	push(good, 8, MIB, true);
	raw_connect(&w);

	/* Before OPEN: nothing but OPEN. */
	CHECK_EQ(raw_req(&w, HIPC_BBC_ALLOC, 0, 0, 0, 0, 0, NULL), -EINVAL);
	/* Names: unterminated, unknown pool, unknown service. */
	memset(&q, 'x', sizeof(q));
	q.op = HIPC_BBC_OPEN;
	q.status = 0;
	q.reserved = 0;
	q.seq = ++w.seq;
	CHECK_EQ(raw_send(&w, &q, sizeof(q), q.seq), -EINVAL);
	CHECK_EQ(raw_open(&w, "no-such-pool"), -ENOENT);
	CHECK_EQ(raw_open(&w, "sdb-1m"), 0);
	bs = w.geo.buf_size;
	CHECK_EQ(bs, MIB);
	/* OPEN twice. */
	memset(&q, 0, sizeof(q));
	q.op = HIPC_BBC_OPEN;
	q.seq = ++w.seq;
	snprintf(q.service, sizeof(q.service), SDB_SERVICE);
	snprintf(q.pool, sizeof(q.pool), "sdb-4k");
	CHECK_EQ(raw_send(&w, &q, sizeof(q), q.seq), -EINVAL);

	/* Garbage, short, oversized, unknown op, reserved words set. */
	CHECK_EQ(raw_send(&w, "abc", 3, 0), -EINVAL);
	memset(junk, 0xA5, sizeof(junk));
	CHECK_EQ(raw_send(&w, junk, sizeof(struct hipc_bbc_msg), 0xA5A5A5A5u),
		 -EINVAL); /* its seq echoed, as any request's */
	CHECK_EQ(raw_send(&w, junk, sizeof(junk), 0), -EINVAL);
	CHECK_EQ(raw_send(&w, junk, 0, 0), -EINVAL);
	CHECK_EQ(raw_req(&w, 99, 0, 0, 0, 0, 0, NULL), -EINVAL);
	memset(&q, 0, sizeof(q));
	q.op = HIPC_BBC_ALLOC;
	q.seq = ++w.seq;
	q.reserved = 1;
	CHECK_EQ(raw_send(&w, &q, sizeof(q), q.seq), -EINVAL);
	/* A descriptor passed along is closed, the request still checked. */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	{
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { &q, sizeof(q) };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
		memset(&q, 0, sizeof(q));
		q.op = HIPC_BBC_FREE;
		q.index = 1;
		q.seq = ++w.seq;
		CHECK_EQ(sendmsg(w.fd, &mh, MSG_NOSIGNAL), (ssize_t)sizeof(q));
		CHECK_EQ(raw_reply(&w, q.seq, NULL), -EPERM);
		close(sv[0]);
		/* The daemon's copy is closed: the peer sees the end. */
		CHECK_EQ(read(sv[1], junk, 1), 0);
		close(sv[1]);
	}
	st = raw_stats(&w);
	CHECK_EQ(st.refused_bad, 9);

	/* Index out of the pool, range past the buffer. */
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, w.geo.count + 5, 1, 0, 16, 0,
			 NULL), -ERANGE);
	CHECK_EQ(raw_req(&w, HIPC_BBC_RELEASE, 0xFFFFFFFFu, 1, 0, 0, 0, NULL),
		 -ERANGE);
	CHECK_EQ(raw_req(&w, HIPC_BBC_ALLOC, 0, 0, 0, 0, 0, &r), 0);
	idx = r.index;
	gen = r.generation;
	CHECK(idx < w.geo.host_count);
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, idx, gen, bs - 10, 20, 0, NULL),
		 -ERANGE);
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, idx, gen, 0xFFFFFFF0u, 0x20, 0,
			 NULL), -ERANGE);
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, idx, gen, 0, bs + 1, 0, NULL),
		 -ERANGE);
	/* Unknown flags. */
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, idx, gen, 0, 16, 0x80, NULL),
		 -EINVAL);
	/* Another client's buffer, and one never lent. */
	i = hipc_bbc_alloc(good, &gb, &ggen);
	CHECK(i >= 0);
	gidx = (uint32_t)i;
	CHECK(gidx != idx);
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, gidx, ggen, 0, 16, 0, NULL), -EPERM);
	CHECK_EQ(raw_req(&w, HIPC_BBC_FREE, gidx, ggen, 0, 0, 0, NULL), -EPERM);
	for (uint32_t k = 0; k < w.geo.host_count; k++)
		if (k != idx && k != gidx)
			CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, k, 1, 0, 16, 0,
					 NULL), -EPERM);
	/* A remote buffer never received, as if it were. */
	CHECK_EQ(raw_req(&w, HIPC_BBC_RELEASE, w.geo.host_count, 1, 0, 0, 0,
			 NULL), -EPERM);
	/* Stale generations. */
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, idx, gen - 1, 0, 16, 0, NULL),
		 -ESTALE);
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, idx, gen + 1, 0, 16, 0, NULL),
		 -ESTALE);
	/* Sent, then sent again, freed after sending, released. */
	fill(w.map + w.geo.data_off + (uint64_t)idx * bs, 4096, 77);
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, idx, gen, 0, 4096,
			 HIPC_BUFPOOL_F_CRC, NULL), 0);
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, idx, gen, 0, 4096, 0, NULL),
		 -EPERM);
	CHECK_EQ(raw_req(&w, HIPC_BBC_FREE, idx, gen, 0, 0, 0, NULL), -EPERM);
	CHECK_EQ(raw_req(&w, HIPC_BBC_RELEASE, idx, gen, 0, 0, 0, NULL),
		 -EPERM);
	/* The good client's buffer is still its own. */
	fill(gb, MIB, 0);
	CHECK_EQ(hipc_bbc_send(good, gidx, ggen, 0, MIB, HIPC_BUFPOOL_F_CRC), 0);

	/* A remote buffer lent to us: released with a stale generation,
	 * then twice, sent as if it were ours. */
	{
		struct sdb_cmd m = { .magic = SDB_CMD_MAGIC,
				     .op = SDB_OP_PRODUCE,
				     .pool_id = SDB_POOL_1M, .size = 4096,
				     .count = 1, .flags = SDB_F_CRC };
		unsigned char req[8 + sizeof(m)];
		uint32_t head[2] = { HIPC_BBC_MSG, ++w.seq };
		uint64_t end = ep_now_ms() + 5000;

		memcpy(req, head, 8);
		memcpy(req + 8, &m, sizeof(m));
		CHECK_EQ(raw_send(&w, req, sizeof(req), head[1]), 0);
		while (!w.nrx && ep_now_ms() < end)
			raw_stats(&w); /* events come in between */
		CHECK_EQ(w.nrx, 1);
	}
	CHECK(pattern_ok(w.map + w.geo.data_off +
				 (uint64_t)w.rx[0].index * bs +
				 w.rx[0].offset, 4096, 0));
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND, w.rx[0].index, w.rx[0].generation,
			 0, 16, 0, NULL), -EPERM);
	CHECK_EQ(raw_req(&w, HIPC_BBC_RELEASE, w.rx[0].index,
			 w.rx[0].generation + 7, 0, 4096, 0, NULL), -ESTALE);
	CHECK_EQ(raw_req(&w, HIPC_BBC_RELEASE, w.rx[0].index,
			 w.rx[0].generation, 0, 4096, 0, NULL), 0);
	CHECK_EQ(raw_req(&w, HIPC_BBC_RELEASE, w.rx[0].index,
			 w.rx[0].generation, 0, 4096, 0, NULL), -EPERM);
	/* A service message over the largest payload. */
	{
		uint32_t head[2] = { HIPC_BBC_MSG, ++w.seq };

		memset(junk, 0, sizeof(junk));
		memcpy(junk, head, 8);
		CHECK_EQ(raw_send(&w, junk, 8 + w.geo.max_payload + 1,
				  head[1]), -EMSGSIZE);
	}

	/* Pipelined requests: a refusal is answered all the same, with the
	 * buffer it is about; a success is not; asking without a reply is
	 * only for what needs none. */
	CHECK_EQ(raw_req(&w, HIPC_BBC_SEND | HIPC_BBC_NOREPLY,
			 w.geo.count + 3, 1, 0, 16, 0, &r), -ERANGE);
	CHECK_EQ(r.index, w.geo.count + 3);
	CHECK_EQ(raw_req(&w, HIPC_BBC_ALLOC | HIPC_BBC_NOREPLY, 0, 0, 0, 0, 0,
			 NULL), -EINVAL);
	CHECK_EQ(raw_req(&w, HIPC_BBC_ALLOC, 0, 0, 0, 0, 0, &r), 0);
	memset(&q, 0, sizeof(q));
	q.op = HIPC_BBC_FREE | HIPC_BBC_NOREPLY;
	q.seq = ++w.seq;
	q.index = r.index;
	q.generation = r.generation;
	CHECK_EQ(send(w.fd, &q, sizeof(q), MSG_NOSIGNAL), (ssize_t)sizeof(q));

	st = raw_stats(&w); /* the next answer is this one's */
	CHECK_EQ(st.refused_bad, 11);
	CHECK_EQ(st.refused_range, 6);
	CHECK_EQ(st.refused_owner, 9 + (w.geo.host_count - 2));
	CHECK_EQ(st.refused_stale, 3);
	CHECK_EQ(st.refused_other, 2); /* no such pool, message size */
	CHECK_EQ(st.sent, 1);
	CHECK_EQ(st.received, 1);
	CHECK_EQ(st.released, 1);
	refused = st.refused_bad + st.refused_range + st.refused_owner +
		  st.refused_stale + st.refused_other;
	/* hipcctl shows the same for the connection and in the totals. */
	{
		char entry[48];

		snprintf(entry, sizeof(entry), "sdb-1m@%d", (int)getpid());
		CHECK_EQ(stat_of(entry, "refused_owner"), st.refused_owner);
		CHECK_EQ(stat_of(entry, "refused_stale"), 3);
		CHECK(stat_of("bigbuf", "refused_bad") >= 10);
	}
	(void)refused;

	/* A connection that never opened cannot do anything either. */
	raw_connect(&fresh);
	CHECK_EQ(raw_req(&fresh, HIPC_BBC_RELEASE, 9, 1, 0, 0, 0, NULL),
		 -EINVAL);
	raw_close(&fresh);

	/* The good client: its sent buffer came back, and it still moves
	 * data both ways; the hostile one's buffer came back to it. */
	{
		struct hipc_bbc_event ev;

		CHECK(next_event(good, &ev, 5000));
		CHECK_EQ(ev.type, HIPC_BBC_EV_RET);
		CHECK_EQ(ev.index, gidx);
		CHECK_EQ(ev.status, 0);
	}
	push(good, 32, MIB, true);
	pull(good, SDB_POOL_1M, 32, MIB, true);
	raw_stats(&w);
	CHECK_EQ(w.rets, 1);
	raw_close(&w);
	hipc_bbc_close(good);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
	CHECK_EQ(stat_of("bigbuf", "remote_refused"), 0);
}

/*
 * 20,000 requests of every kind with random fields (mostly near what was
 * lent, so that the checks past the first are reached), some pipelined,
 * from one client: whatever hipcd makes of them, it stays up, lends no
 * buffer twice, takes everything back when the client goes, and a
 * well-behaved client then moves data both ways.
 */
HIPC_TEST(hostile_random)
{
	static const uint32_t ops[] = { HIPC_BBC_ALLOC, HIPC_BBC_SEND,
					HIPC_BBC_FREE, HIPC_BBC_RELEASE,
					HIPC_BBC_STATS, HIPC_BBC_OPEN, 0, 77 };
	struct hipc_bbc *good;
	struct hipc_bbc_stats st;
	unsigned char in[4096];
	uint32_t lastgen = 1;
	uint64_t x = 0x9E3779B97F4A7C15ull;
	struct raw w;

	start();
	raw_connect(&w);
	CHECK_EQ(raw_open(&w, "sdb-4k"), 0);
	for (unsigned k = 0; k < 20000; k++) {
		struct hipc_bbc_msg q;
		ssize_t n;

		memset(&q, 0, sizeof(q));
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		q.op = ops[(x >> 33) % 8];
		if ((x >> 40) % 4 == 0)
			q.op |= HIPC_BBC_NOREPLY;
		q.seq = ++w.seq;
		q.index = (x >> 20) % 8 ? (uint32_t)((x >> 44) % (w.geo.count + 2))
					: (uint32_t)(x >> 32);
		q.generation = (x >> 24) % 4 ? lastgen + (uint32_t)((x >> 50) % 3) - 1u
					     : (uint32_t)(x >> 16);
		q.offset = (x >> 28) % 2 ? 0 : (uint32_t)((x >> 36) % 5000);
		q.length = (uint32_t)((x >> 12) % 5000);
		q.flags = (x >> 52) % 8 ? 0 : (uint32_t)((x >> 56) % 3);
		if ((x >> 58) % 16 == 0)
			q.reserved = 1;
		CHECK_EQ(send(w.fd, &q, sizeof(q), MSG_NOSIGNAL),
			 (ssize_t)sizeof(q));
		/* Read whatever came: replies (an ALLOC's generation is
		 * the next guess), events. */
		while ((n = recv(w.fd, in, sizeof(in), MSG_DONTWAIT)) > 0) {
			struct hipc_bbc_msg r;

			CHECK(n >= 8);
			memcpy(&r, in, (size_t)n < sizeof(r) ? (size_t)n : sizeof(r));
			if (r.op == HIPC_BBC_EV_REPLY && !r.status && r.generation)
				lastgen = r.generation;
		}
		CHECK(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	}
	st = raw_stats(&w);
	CHECK(st.requests > 20000);
	CHECK(st.refused_bad > 0 && st.refused_range > 0 &&
	      st.refused_owner > 0 && st.refused_stale > 0);
	CHECK(st.allocs > 0 && st.sent > 0);
	raw_close(&w);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK(stat_becomes("bigbuf", "lent", 0, 5000));
	good = open_pool("sdb-4k", 5000);
	push(good, 512, 4096, true);
	pull(good, SDB_POOL_SMALL, 512, 4096, true);
	hipc_bbc_close(good);
	CHECK_EQ(stat_of("bigbuf", "remote_refused"), 0);
}

/*
 * The remote stopped (SIGSTOP) while a client sends: once the rpmsg tx
 * ring is full its requests wait in hipcd (tx_waits), the connection is
 * not read meanwhile, and the loop goes on serving others (hipcctl
 * answers); the remote continued, every message and the buffer go out
 * in order and the buffer comes back.
 */
HIPC_TEST(tx_ring_full_waits)
{
	struct hipc_bbc_msg r;
	struct hipc_bbc_stats st;
	uint32_t idx, gen;
	struct raw w;
	pid_t rpid;

	start();
	raw_connect(&w);
	CHECK_EQ(raw_open(&w, "sdb-4k"), 0);
	CHECK_EQ(raw_req(&w, HIPC_BBC_ALLOC, 0, 0, 0, 0, 0, &r), 0);
	idx = r.index;
	gen = r.generation;
	fill(w.map + w.geo.data_off + (uint64_t)idx * w.geo.buf_size, 4096, 5);
	rpid = ep_remote_pid("m4");
	CHECK(rpid > 0);
	CHECK_EQ(kill(rpid, SIGSTOP), 0);
	/* More messages than the ring has buffers (256), pipelined, then
	 * the buffer; sdb ignores 4-byte messages. */
	for (unsigned k = 0; k < 300; k++) {
		uint32_t m[3] = { HIPC_BBC_MSG | HIPC_BBC_NOREPLY, ++w.seq, k };

		CHECK_EQ(send(w.fd, m, sizeof(m), MSG_NOSIGNAL),
			 (ssize_t)sizeof(m));
	}
	{
		struct hipc_bbc_msg q;

		memset(&q, 0, sizeof(q));
		q.op = HIPC_BBC_SEND | HIPC_BBC_NOREPLY;
		q.seq = ++w.seq;
		q.index = idx;
		q.generation = gen;
		q.length = 4096;
		q.flags = HIPC_BUFPOOL_F_CRC;
		CHECK_EQ(send(w.fd, &q, sizeof(q), MSG_NOSIGNAL),
			 (ssize_t)sizeof(q));
	}
	CHECK(stat_becomes("bigbuf", "tx_waits", 1, 5000));
	CHECK_EQ(kill(rpid, SIGCONT), 0);
	for (uint64_t end = ep_now_ms() + 10000;;) {
		st = raw_stats(&w);
		if (st.msgs_out == 300 && st.sent == 1 && w.rets == 1)
			break;
		CHECK(ep_now_ms() < end);
		usleep(2000);
	}
	CHECK_EQ(st.refused_bad + st.refused_range + st.refused_owner +
			 st.refused_stale + st.refused_other, 0);
	raw_close(&w);
	CHECK(stat_becomes("bigbuf", "lent", 0, 5000));
}

/* Garbage from @x over [@from, @to) of the mapping. */
static void scribble(uint8_t *map, uint64_t from, uint64_t to, uint64_t *x)
{
	for (uint64_t k = from; k + 4 <= to; k += 4) {
		uint32_t v;

		*x = *x * 6364136223846793005ull + 1442695040888963407ull;
		v = (uint32_t)(*x >> 32);
		memcpy(map + k, &v, 4);
	}
}

/*
 * A client that maps the memfd writes garbage over the region's header,
 * the spinlock words, and every pool's header and state table: hipcd
 * lends nothing on the strength of it, a well-behaved client afterwards
 * moves data both ways, and the remote, killed, comes back (the rproc
 * writes the headers it checks again before each boot).  On a fresh
 * remote: every buffer is free in both sides' views, which never read a
 * free buffer's shared word.
 */
HIPC_TEST(hostile_scribble)
{
	struct hipc_bbc *good;
	struct raw w;
	uint64_t x = 0x243F6A8885A308D3ull;
	pid_t rpid;

	start();
	raw_connect(&w);
	CHECK_EQ(raw_open(&w, "sdb-1m"), 0);
	/* Each pool: its header and state table, up to its buffers. */
	for (uint64_t off = 4096; off + 4096 <= w.geo.region_size;) {
		const struct hipc_bufpool_hdr *h = (void *)(w.map + off);
		uint64_t doff = h->data_off;
		uint64_t n = (uint64_t)h->count, bsz = h->buf_size;

		CHECK_EQ(h->magic, HIPC_BUFPOOL_MAGIC);
		scribble(w.map, off, off + doff, &x);
		off += (doff + n * bsz + 4095) & ~4095ull;
	}
	/* The region's header and the spinlock words. */
	scribble(w.map, 0, 4096, &x);
	/* Nothing was lent for it. */
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
	CHECK_EQ(stat_of("bigbuf", "received"), 0);
	good = open_pool("sdb-1m", 5000);
	push(good, 64, MIB, true);
	pull(good, SDB_POOL_1M, 64, MIB, true);
	hipc_bbc_close(good);
	good = open_pool("sdb-4k", 5000);
	push(good, 256, 4096, true);
	pull(good, SDB_POOL_SMALL, 256, 4096, true);
	hipc_bbc_close(good);
	raw_close(&w);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(stat_of("bigbuf", "remote_refused"), 0);
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
	/* The remote restarted on the region as the client left it. */
	rpid = ep_remote_pid("m4");
	CHECK(rpid > 0);
	CHECK_EQ(kill(rpid, SIGKILL), 0);
	for (uint64_t end = ep_now_ms() + 20000;;) {
		pid_t now = ep_remote_pid("m4");

		if (now > 0 && now != rpid)
			break;
		CHECK(ep_now_ms() < end);
		usleep(5000);
	}
	good = open_pool("sdb-1m", 20000);
	push(good, 16, MIB, true);
	pull(good, SDB_POOL_1M, 16, MIB, true);
	hipc_bbc_close(good);
}

/*
 * A client killed while it holds host buffers (allocated, not sent) and
 * remote buffers (received, not released): hipcd takes every one back,
 * and the next client finds every buffer of the pool usable.
 */
HIPC_TEST(client_killed)
{
	struct hipc_bbc *c;
	int p[2], st;
	pid_t pid;
	char ok;

	start();
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(pipe(p), 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct hipc_bbc_event ev;
		uint32_t gen;
		unsigned got = 0;
		void *b;

		close(p[0]);
		c = open_pool("sdb-1m", 10000);
		for (int k = 0; k < 3; k++)
			CHECK(hipc_bbc_alloc(c, &b, &gen) >= 0);
		sdb_cmd(c, SDB_OP_PRODUCE, SDB_POOL_1M, MIB, 5, SDB_F_CRC);
		while (got < 5) {
			CHECK(next_event(c, &ev, 10000));
			got += ev.type == HIPC_BBC_EV_RX;
		}
		CHECK_EQ(write(p[1], "k", 1), 1);
		pause();
		_exit(0);
	}
	close(p[1]);
	CHECK_EQ(read(p[0], &ok, 1), 1);
	close(p[0]);
	CHECK_EQ(stat_of("bigbuf", "lent"), 8);
	CHECK_EQ(stat_of("bigbuf", "connections"), 1);
	kill(pid, SIGKILL);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
	CHECK_EQ(stat_of("bigbuf", "reclaimed"), 8);
	/* Every buffer usable: all 8 host buffers at once, and the remote
	 * producing into all of its own. */
	c = open_pool("sdb-1m", 5000);
	{
		uint32_t gen[8];
		int idx[8];
		void *b;

		for (int k = 0; k < 8; k++) {
			idx[k] = hipc_bbc_alloc(c, &b, &gen[k]);
			CHECK(idx[k] >= 0);
		}
		CHECK_EQ(hipc_bbc_alloc(c, &b, &gen[0]), -HIPC_EAGAIN);
		for (int k = 0; k < 8; k++)
			CHECK_EQ(hipc_bbc_free(c, (uint32_t)idx[k], gen[k]), 0);
	}
	push(c, 64, MIB, true);
	pull(c, SDB_POOL_1M, 64, MIB, true);
	hipc_bbc_close(c);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
}

/*
 * bigbuf_quota = 3: a client holding 3 buffers of a pool (allocated or
 * received) is answered EDQUOT and counted, another client still gets
 * its own; once the first sends, frees or releases one it may allocate
 * again.  The pool is not touched by an answer over the quota.
 */
HIPC_TEST(quota_per_client)
{
	struct hipc_bbc *a, *b;
	struct hipc_bbc_stats st;
	struct hipc_bbc_event ev;
	uint32_t gen[4], bgen;
	int idx[4], bi;
	char c[512];
	void *p;

	snprintf(c, sizeof(c), "[m4]\nfirmware = %s\nbigbuf_quota = 3\n",
		 SDB_FW);
	ep_start_at(c, "m4", "bigbuf");
	a = open_pool("sdb-1m", 10000);
	b = open_pool("sdb-1m", 10000);
	for (int k = 0; k < 3; k++) {
		idx[k] = hipc_bbc_alloc(a, &p, &gen[k]);
		CHECK(idx[k] >= 0);
	}
	CHECK_EQ(hipc_bbc_alloc(a, &p, &gen[3]), -HIPC_EDQUOT);
	CHECK_EQ(hipc_bbc_alloc(a, &p, &gen[3]), -HIPC_EDQUOT);
	CHECK_EQ(stat_of("bigbuf", "lent"), 3);
	/* the other client has a quota of its own */
	bi = hipc_bbc_alloc(b, &p, &bgen);
	CHECK(bi >= 0);
	/* freed: one more */
	CHECK_EQ(hipc_bbc_free(a, (uint32_t)idx[0], gen[0]), 0);
	idx[0] = hipc_bbc_alloc(a, &p, &gen[0]);
	CHECK(idx[0] >= 0);
	CHECK_EQ(hipc_bbc_alloc(a, &p, &gen[3]), -HIPC_EDQUOT);
	/* sent: one more once it is out (the send's reply) */
	CHECK_EQ(hipc_bbc_send(a, (uint32_t)idx[1], gen[1], 0, 4096, 0), 0);
	idx[3] = hipc_bbc_alloc(a, &p, &gen[3]);
	CHECK(idx[3] >= 0);
	/* received buffers count as well: three held, one asked for */
	CHECK_EQ(hipc_bbc_free(a, (uint32_t)idx[0], gen[0]), 0);
	CHECK_EQ(hipc_bbc_free(a, (uint32_t)idx[2], gen[2]), 0);
	CHECK_EQ(hipc_bbc_free(a, (uint32_t)idx[3], gen[3]), 0);
	sdb_cmd(a, SDB_OP_PRODUCE, SDB_POOL_1M, 4096, 3, 0);
	for (unsigned got = 0; got < 3;) {
		CHECK(next_event(a, &ev, 10000));
		if (ev.type != HIPC_BBC_EV_RX)
			continue;
		idx[got] = (int)ev.index;
		gen[got++] = ev.generation;
	}
	CHECK_EQ(hipc_bbc_alloc(a, &p, &gen[3]), -HIPC_EDQUOT);
	CHECK_EQ(hipc_bbc_release(a, (uint32_t)idx[0], gen[0], 0), 0);
	idx[3] = hipc_bbc_alloc(a, &p, &gen[3]);
	CHECK(idx[3] >= 0);
	CHECK_EQ(hipc_bbc_get_stats(a, &st), 0);
	CHECK_EQ(st.alloc_quota, 4);
	CHECK_EQ(st.refused_bad + st.refused_range + st.refused_owner +
		 st.refused_stale + st.refused_other, 0);
	CHECK_EQ(stat_of("bigbuf", "alloc_quota"), 4);
	hipc_bbc_close(a);
	hipc_bbc_close(b);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
}

/* A process's anonymous memory (its heap: what it allocates), in KiB. */
static long rss_anon_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	fclose(f);
	CHECK(kib >= 0);
	return kib;
}

/* Is @ev message @seq of a flood of @size-byte messages, whole? */
static bool flood_ok(const struct hipc_bbc_event *ev, uint32_t size,
		     uint64_t seq)
{
	const uint8_t *d = ev->data;
	struct sdb_flood h;

	if (ev->type != HIPC_BBC_EV_MSG || ev->length != size)
		return false;
	memcpy(&h, d, sizeof(h));
	return h.magic == SDB_FLOOD_MAGIC && h.size == size && h.seq == seq &&
	       pattern_ok(d + sizeof(h), size - (uint32_t)sizeof(h), seq);
}

#define EVQ_MAX (256u << 10) /* what hipcd queues of service messages */

/*
 * A client that does not read its events while the remote floods it with
 * service messages (sdb's FLOOD, the largest payload each, without end):
 * what hipcd queues for it stops at 256 KiB (queued_max, and the daemon's
 * heap stays put while megabytes more go by), the rest is dropped and
 * counted (msg_drops), and a request it sends meanwhile is not read.
 * Another client moves buffers both ways all the while.  Once the slow
 * one reads, it gets every message that was not dropped, whole and in
 * order (the flood's first ones, without a gap), then the answer to its
 * request, and it is served again: a second flood comes whole, nothing
 * dropped.
 */
HIPC_TEST(slow_reader_drops)
{
	long long drops0, drops, total, requests, qmax;
	struct hipc_bbc *slow, *other;
	struct hipc_bbc_info info;
	struct hipc_bbc_stats st;
	struct hipc_bbc_event ev;
	const struct sdb_report *r;
	long rss0, rss1, rss2;
	uint32_t size;
	uint64_t got;
	char me[64];

	start();
	slow = open_pool("sdb-4k", 10000);
	other = open_pool("sdb-64k", 10000);
	hipc_bbc_get_info(slow, &info);
	size = info.max_payload;
	snprintf(me, sizeof(me), "sdb-4k@%d", (int)getpid());
	CHECK_EQ(stat_of("bigbuf", "msg_drops"), 0);
	rss0 = rss_anon_kib(ep_daemon);

	sdb_cmd(slow, SDB_OP_FLOOD, 0, size, 0, 0);
	/* From here on nothing reads the slow client's socket. */
	drops0 = stat_reaches("bigbuf", "msg_drops", 1, 20000);
	rss1 = rss_anon_kib(ep_daemon);
	requests = stat_of(me, "requests");
	/* A request while stalled (an index outside the pool, to be
	 * refused once read), then another client served meanwhile. */
	CHECK_EQ(hipc_bbc_send_nowait(slow, info.count + 100, 1, 0, 16, 0), 0);
	push(other, 4, 4096, true);
	pull(other, SDB_POOL_64K, 4, 4096, true);
	/* Megabytes more dropped: the flood went on all along. */
	drops = stat_reaches("bigbuf", "msg_drops",
			     drops0 + (8 * MIB) / (HIPC_BBC_HEAD + size), 60000);
	rss2 = rss_anon_kib(ep_daemon);
	CHECK_EQ(stat_of(me, "requests"), requests);
	qmax = stat_of("bigbuf", "queued_max");
	printf("queued_max %lld, msg_drops %lld; hipcd heap %ld KiB, "
	       "+%ld KiB at the first drop, +%ld KiB %lld drops later\n",
	       qmax, drops, rss0, rss1 - rss0, rss2 - rss1, drops - drops0);
	/* Only service messages went to it: the queue stops at the bound
	 * with at most the message that crossed it, and stays there. */
	CHECK(qmax >= EVQ_MAX && qmax < EVQ_MAX + HIPC_BBC_HEAD + size);
	CHECK_EQ(stat_of(me, "queued"), qmax);
	/* The heap: the 8 MiB and more that went by since the first drop
	 * would show in full had any been kept; up to it, the queue and
	 * its allocator's overhead (a sanitizer's included). */
	CHECK(rss2 - rss1 < 1024);
	CHECK(rss1 - rss0 < 4096);

	/* The flood stopped by the other client: its report comes after
	 * the flood's last message went through hipcd. */
	sdb_cmd(other, SDB_OP_STOP, 0, 0, 0, 0);
	do {
		CHECK(next_event(other, &ev, 10000));
		r = as_report(&ev);
	} while (!r || r->op != SDB_OP_STOP);
	total = stat_of(me, "msgs_in");
	drops = stat_of("bigbuf", "msg_drops");
	CHECK(total > drops);

	/* The slow client reads: the first total - drops messages of the
	 * flood, whole and in order, then the refusal. */
	for (got = 0; got < (uint64_t)(total - drops); got++) {
		CHECK(next_event(slow, &ev, 10000));
		if (!flood_ok(&ev, size, got)) {
			printf("message %llu of %lld: type 0x%x, %u bytes\n",
			       (unsigned long long)got, total - drops,
			       (unsigned)ev.type, (unsigned)ev.length);
			CHECK(0);
		}
	}
	CHECK(next_event(slow, &ev, 10000));
	CHECK_EQ(ev.type, HIPC_BBC_EV_REPLY);
	CHECK_EQ(ev.status, -ERANGE);
	CHECK_EQ(ev.index, info.count + 100);
	/* Served again: a round trip, with nothing else before it. */
	CHECK_EQ(hipc_bbc_get_stats(slow, &st), 0);
	CHECK_EQ(hipc_bbc_next(slow, &ev), -HIPC_EAGAIN);
	CHECK_EQ(st.msgs_in, (uint64_t)total);
	CHECK_EQ(st.refused_range, 1);
	CHECK_EQ(stat_of(me, "queued"), 0);
	printf("%lld flood messages, %lld dropped, %llu read in order\n",
	       total, drops, (unsigned long long)got);

	/* A flood it keeps up with: every message, then the report. */
	sdb_cmd(slow, SDB_OP_FLOOD, 0, size, 256, 0);
	for (got = 0; got < 256; got++) {
		CHECK(next_event(slow, &ev, 10000));
		CHECK(flood_ok(&ev, size, got));
	}
	CHECK(next_event(slow, &ev, 10000));
	r = as_report(&ev);
	CHECK(r && r->op == SDB_OP_FLOOD && r->status == 0);
	CHECK_EQ(stat_of("bigbuf", "msg_drops"), drops);
	push(slow, 4, 4096, true);
	hipc_bbc_close(slow);
	hipc_bbc_close(other);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
}

/*
 * @c sees its connection end (-HIPC_ECONNRESET from its next event or
 * request, within 10 s) and is closed; hipcd then has no connection and
 * nothing lent.
 */
static void hung_up(struct hipc_bbc *c)
{
	struct hipc_bbc_event ev;
	uint32_t gen;
	void *b;
	int ret;

	for (uint64_t end = ep_now_ms() + 10000;;) {
		struct pollfd p = { .fd = hipc_bbc_fd(c), .events = POLLIN };

		ret = hipc_bbc_next(c, &ev);
		if (ret == -HIPC_ECONNRESET)
			break;
		if (ret == 1)
			continue;
		CHECK_EQ(ret, -HIPC_EAGAIN);
		CHECK(ep_now_ms() < end);
		poll(&p, 1, 100);
	}
	CHECK_EQ(hipc_bbc_alloc(c, &b, &gen), -HIPC_ECONNRESET);
	hipc_bbc_close(c);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
	CHECK_EQ(stat_of("bigbuf", "lent"), 0);
}

/* A new connection to sdb-1m (within @timeout_ms) finds every buffer of
 * the pool usable, and data goes both ways. */
static void pool_whole_again(unsigned timeout_ms)
{
	struct hipc_bbc *c = open_pool("sdb-1m", timeout_ms);
	uint32_t gen;
	void *b;
	int i;

	for (int k = 0; k < 8; k++) {
		i = hipc_bbc_alloc(c, &b, &gen);
		CHECK(i >= 0);
		CHECK_EQ(hipc_bbc_free(c, (uint32_t)i, gen), 0);
	}
	push(c, 64, MIB, true);
	pull(c, SDB_POOL_1M, 64, MIB, true);
	hipc_bbc_close(c);
}

/*
 * The remote killed mid-stream (buffers in flight both ways, some lent
 * to the client): the client sees the connection end, hipcd takes back
 * what it lent, the rproc what the remote held; the restarted remote
 * serves the client again once it reconnects.
 */
HIPC_TEST(remote_killed)
{
	struct hipc_bbc *c;
	struct hipc_bbc_event ev;
	uint32_t gen;
	pid_t rpid;
	void *b;

	start();
	c = open_pool("sdb-1m", 10000);
	push(c, 16, MIB, true);
	/* Two host buffers allocated, the remote producing without end,
	 * a few of its buffers held here. */
	CHECK(hipc_bbc_alloc(c, &b, &gen) >= 0);
	CHECK(hipc_bbc_alloc(c, &b, &gen) >= 0);
	sdb_cmd(c, SDB_OP_PRODUCE, SDB_POOL_1M, MIB, 0, SDB_F_CRC);
	for (int got = 0; got < 3;) {
		CHECK(next_event(c, &ev, 10000));
		got += ev.type == HIPC_BBC_EV_RX;
	}
	rpid = ep_remote_pid("m4");
	CHECK(rpid > 0);
	CHECK_EQ(kill(rpid, SIGKILL), 0);
	/* The client sees it: its next event, or its next request. */
	hung_up(c);
	CHECK_EQ(stat_of("bigbuf", "in_flight"), 0);
	/* Back: every buffer of the pool usable again. */
	pool_whole_again(20000);
}

/*
 * The service withdrawn, then announced again at a new address: the
 * connection hangs up at once (it would otherwise send to the old
 * address, where every reference is lost), what it held goes back, and a
 * new connection reaches the service at its new address with every
 * buffer of the pool there.
 */
HIPC_TEST(withdrawal_hangs_up)
{
	struct hipc_bbc *c;
	uint32_t gen;
	void *b;

	start();
	c = open_pool("sdb-1m", 10000);
	for (int k = 0; k < 3; k++)
		CHECK(hipc_bbc_alloc(c, &b, &gen) >= 0);
	CHECK_EQ(stat_of("bigbuf", "lent"), 3);
	sdb_cmd(c, SDB_OP_REANNOUNCE, SDB_POOL_1M, 0, 0, 0);
	hung_up(c);
	pool_whole_again(10000);
}

/*
 * An event loop may set O_NONBLOCK on the connection's descriptor: a call
 * still waits for its answer (it used to return the socket's EAGAIN, which
 * hipc_bbc_alloc() reports as "none free", and leave the answer to be
 * taken for the next call's); a request without an answer says EAGAIN
 * when it cannot go, and goes once the events are taken.
 */
HIPC_TEST(nonblocking_descriptor_calls_still_answered)
{
	enum { N = 50000 };
	struct hipc_bbc *c;
	struct hipc_bbc_event ev;
	unsigned got = 0, again = 0;
	uint32_t gen[4];
	int i[4], ret;
	void *b;

	start();
	c = open_pool("sdb-1m", 10000);
	CHECK_EQ(fcntl(hipc_bbc_fd(c), F_SETFL,
		       fcntl(hipc_bbc_fd(c), F_GETFL) | O_NONBLOCK), 0);
	for (int round = 0; round < 50; round++) {
		for (int k = 0; k < 4; k++) {
			i[k] = hipc_bbc_alloc(c, &b, &gen[k]);
			CHECK(i[k] >= 0);
		}
		for (int k = 0; k < 4; k++)
			CHECK_EQ(hipc_bbc_free(c, (uint32_t)i[k], gen[k]), 0);
	}
	push(c, 16, MIB, true);
	for (unsigned k = 0; k < N;) {
		ret = hipc_bbc_release_nowait(c, 0x10000u + k, 1, 0);
		if (ret == 0) {
			k++;
			continue;
		}
		CHECK_EQ(ret, -HIPC_EAGAIN);
		again++;
		/* what the daemon sent, so that it reads on */
		while (got < k && next_event(c, &ev, 10000)) {
			CHECK_EQ(ev.index, 0x10000u + got);
			got++;
		}
	}
	while (got < N && next_event(c, &ev, 10000)) {
		CHECK_EQ(ev.index, 0x10000u + got);
		got++;
	}
	CHECK_EQ(got, N);
	printf("%u refusals, EAGAIN %u times\n", got, again);
	hipc_bbc_close(c);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
}

/*
 * A client that only writes: requests without answers (refused ones are
 * answered all the same) faster than it reads.  The daemon stops reading
 * a client whose answers queue up; the library takes what the daemon sent
 * into its own queue while the socket is full, instead of blocking in
 * send() for ever.  Every refusal is there afterwards, in order.
 */
HIPC_TEST(writer_that_never_reads)
{
	enum { N = 50000 };
	struct hipc_bbc *c;
	struct hipc_bbc_event ev;
	unsigned got = 0;

	start();
	c = open_pool("sdb-1m", 10000);
	for (unsigned k = 0; k < N; k++)
		CHECK_EQ(hipc_bbc_release_nowait(c, 0x10000u + k, 1, 0), 0);
	while (got < N && next_event(c, &ev, 10000)) {
		CHECK_EQ(ev.type, HIPC_BBC_EV_REPLY);
		CHECK(ev.status < 0);
		CHECK_EQ(ev.index, 0x10000u + got);
		got++;
	}
	CHECK_EQ(got, N);
	hipc_bbc_close(c);
	CHECK(stat_becomes("bigbuf", "connections", 0, 5000));
}

/* --- the benchmark (not a test case) -------------------------------------------- */

static double median3(double *v)
{
	double t;

	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2 - a; b++)
			if (v[b] > v[b + 1]) {
				t = v[b];
				v[b] = v[b + 1];
				v[b + 1] = t;
			}
	return v[1];
}

/* As hipc-bigbuf-bench measures in process: the producer fills every
 * byte in place, no CRC, the reference's round trip; 1 GiB per run. */
static int bench(uint64_t bytes)
{
	static const struct {
		const char *pool;
		uint32_t id, size;
	} p[] = { { "sdb-1m", SDB_POOL_1M, MIB },
		  { "sdb-32m", SDB_POOL_32M, 32u * MIB } };

	start();
	printf("through hipcd, pipelined, %llu MiB per run, median of 3\n",
	       (unsigned long long)(bytes / MIB));
	printf("%-8s %18s %18s\n", "buffer", "host->remote GB/s",
	       "remote->host GB/s");
	for (unsigned k = 0; k < 2; k++) {
		struct hipc_bbc *c = open_pool(p[k].pool, 10000);
		uint64_t n = bytes / p[k].size;
		double h[3], r[3];

		for (int run = 0; run < 3; run++) {
			h[run] = (double)n * p[k].size /
				 push_ex(c, n, p[k].size, false, true, true) /
				 1e9;
			r[run] = (double)n * p[k].size /
				 pull_ex(c, p[k].id, n, p[k].size, false,
					 true) / 1e9;
		}
		printf("%-8s %18.2f %18.2f\n", p[k].pool, median3(h),
		       median3(r));
		hipc_bbc_close(c);
	}
	/* References per second, 4 KiB buffers nobody touches on our side
	 * (the remote fills its own), as hipc-bigbuf-bench counts them. */
	{
		struct hipc_bbc *c = open_pool("sdb-4k", 10000);
		uint64_t n = 32768;
		double h[3], r[3];

		for (int nw = 0; nw < 2; nw++) {
			for (int run = 0; run < 3; run++) {
				h[run] = (double)n / push_ex(c, n, 4096, false,
							     false, nw);
				r[run] = (double)n /
					 pull_ex(c, SDB_POOL_SMALL, n, 4096,
						 false, nw);
			}
			printf("4 KiB references/s, %s: host->remote %.0f, "
			       "remote->host %.0f\n",
			       nw ? "pipelined" : "waiting for each reply",
			       median3(h), median3(r));
		}
		hipc_bbc_close(c);
	}
	return 0;
}

static const struct hipc_test_case cases[] = {
	HIPC_CASE(both_ways_1m),   HIPC_CASE(both_ways_4k),
	HIPC_CASE(hostile_client), HIPC_CASE(hostile_random),
	HIPC_CASE(hostile_scribble), HIPC_CASE(tx_ring_full_waits),
	HIPC_CASE(client_killed),  HIPC_CASE(remote_killed),
	HIPC_CASE(quota_per_client), HIPC_CASE(slow_reader_drops),
	HIPC_CASE(withdrawal_hangs_up),
	HIPC_CASE(nonblocking_descriptor_calls_still_answered),
	HIPC_CASE(writer_that_never_reads),
};

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "bench"))
		return bench((argc > 2 ? strtoull(argv[2], NULL, 0) : 1024) *
			     MIB);
	return hipc_test_run(cases, sizeof(cases) / sizeof(cases[0]), argc,
			     argv);
}
