/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for hipcd's big-buffer client protocol
 * (tools/hipcd/bigbuf.c, the socket RUN_DIR/REMOTE/bigbuf of
 * hipc/bigbuf_client.h).  bigbuf.c and the loop's watches (watch.c) are
 * linked as hipcd links them; this file stands in for the rest of the
 * daemon (the epoll loop, the announcements, the rproc's pool calls) and
 * for the remote: an rpmsg device pair over one region between guard
 * pages, and a pool in a memfd page between guard pages, laid out by the
 * host's side and attached by the remote's, as the rproc does.
 *
 * The input is a script of what hostile clients do (connect, requests
 * built from the books or from raw bytes, of any length, with descriptors
 * attached, pipelined or one by one, reading or not, half-closing,
 * closing) and what a hostile remote does (release what it received with
 * a return notice right or wrong, send its own buffers, forge references
 * and notices, send service messages, scribble on the pool's shared
 * words as any client that mapped the memfd can, withdraw its service,
 * crash and come back).
 *
 * Besides "no crash" (ASan, UBSan), asserted:
 * - the books: the harness keeps what the daemon lent to each client
 *   from the replies and events that client read.  A buffer is never lent
 *   to two clients at once; a host buffer is lent by ALLOC only, a remote
 *   one by EV_RX only; each lend's generation is newer than the last;
 *   SEND, FREE and RELEASE succeed exactly when they name what was lent
 *   to that client (state, generation, range), and are refused (status
 *   < 0, the request's index) otherwise; a malformed request is refused
 *   with -EINVAL; a success asked not to be answered is not; every other
 *   request is answered once; an EV_RET names a send of that very client
 *   still waiting for its return; the daemon's "lent" and "connections"
 *   counters (hipcctl stats) agree with the books;
 * - while the remote is honest, a reference it gets names a buffer a
 *   client sent, and an EV_RX the buffer and range the remote sent;
 * - a closed connection gives everything back: none of what was lent to
 *   it is owned by the host's pool view afterwards; at the end nothing is;
 * - bounded: after every step the loop goes quiet within a bounded number
 *   of rounds;
 * - the memfd page outside the pool is untouched, and every descriptor is
 *   let go of (close-on-exec descriptors counted), the socket path gone.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "hipc/bigbuf_client.h"
#include "hipc/bufpool.h"
#include "hipc/byteorder.h"
#define FUZZ_COUNT_FDS
#include "fuzz_input.h"

#define FUZZ_TARGET "fuzz_hipcd_bigbuf"

#include "fuzz_hipcd.h"

/* the pool: at most PCOUNT buffers, at the end of one memfd page */
#define PCOUNT 8u
#define PBUF 256u
#define PALIGN 64u
#define POOL_ID 7u
#define PSHM ((uint32_t)HIPC_BUFPOOL_SHM_SIZE(PCOUNT, PBUF, PALIGN))
#define POOL_OFF (PG - PSHM)
#define CANARY 0x5Au

#define SLOTS 4
#define QMAX 64
#define SMAX (2 * PCOUNT)
#define SVC 1024u /* the remote's service address */

/* --- the rproc's side of the pool ------------------------------------------- */

static uint8_t *page;  /* the memfd's one page, between guard pages */
static int memfd = -1;
static struct hipc_bufpool hpool, rpool; /* the host's, the remote's view */
static struct hipc_bufpool_slot hslots[PCOUNT], rslots[PCOUNT];
static struct hipc_bufpool_config pcfg;

void hipc_rproc_get_info(const struct hipc_rproc *rp,
			 struct hipc_rproc_info *info)
{
	(void)rp;
	memset(info, 0, sizeof(*info));
	info->npools = 1;
}

int hipc_rproc_pool(struct hipc_rproc *rp, const char *name,
		    struct hipc_bufpool **pool)
{
	(void)rp;
	*pool = &hpool;
	if (!strcmp(name, "pool-a"))
		return 0;
	if (!strcmp(name, "far"))
		return 9; /* an index past what hipcd keeps books for */
	return -HIPC_ENOENT;
}

int hipc_rproc_pool_region(struct hipc_rproc *rp, unsigned index,
			   struct hipc_rproc_pool_region *out)
{
	(void)rp;
	if (index)
		return -HIPC_ENOENT;
	out->fd = memfd;
	out->size = PG;
	out->pool_off = POOL_OFF;
	out->data_off = POOL_OFF + PSHM - (uint64_t)PCOUNT * PBUF;
	return 0;
}

/* --- the announcements ---------------------------------------------------------- */

/* The announcements, as iface.c records them (the service's kind is not
 * this target's: bigbuf.c only looks the name up). */
static void on_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	struct remote *r = &remotes[0];
	struct hipcd_svc *s;

	(void)dev, (void)priv;
	for (s = r->svcs; s; s = s->next)
		if (!strcmp(s->name, name))
			break;
	if (destroyed) {
		if (s)
			s->up = false;
		return;
	}
	if (!s) {
		s = calloc(1, sizeof(*s));
		CHECK(s);
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->r = r;
		s->next = r->svcs;
		r->svcs = s;
	}
	s->addr = addr;
	s->up = true;
}

/* --- the books ------------------------------------------------------------- */

enum { M_NONE, M_ALLOC, M_HELD };
/* What a request calls for: success, refusal, either, or not known until
 * the ALLOCs asked before it are answered (judged then). */
enum { E_OK, E_REFUSE, E_ANY, E_LATER };

/* What the daemon lent, as the clients read it. */
static struct {
	int owner;     /* client slot, -1 none */
	uint8_t st;    /* M_* */
	uint32_t lgen; /* the generation lent with */
	uint32_t last; /* the newest generation ever lent */
	bool daemon_sent; /* a SEND of it accepted, not yet at the remote */
} mb[PCOUNT];

struct req {
	uint32_t seq;
	uint32_t op;
	uint32_t index;
	uint8_t expect;
	bool noreply; /* answered only if refused */
	struct hipc_bbc_msg msg; /* E_LATER: the request, judged at its reply */
};

static struct cli {
	int fd;
	bool open, opening, lazy;
	struct req q[QMAX];
	unsigned nq;
	unsigned bad; /* malformed requests: answered with seq 0 */
	unsigned allocs; /* ALLOCs not answered yet */
	struct { uint32_t index, lgen; } sent[SMAX];
	unsigned nsent;
} cl[SLOTS];

static uint32_t count, host_count, next_seq;

/* --- the remote ------------------------------------------------------------ */

static struct hipc_rpmsg_ept svc;
static bool svc_up, honest, autorelease, echo;
static bool attached; /* the remote's view of the pool: its header passed */
static struct { bool held; uint32_t gen, src; } rheld[PCOUNT];
static struct { bool valid; uint32_t gen, off, len; } rsent[PCOUNT];
static uint32_t raddr[4];
static unsigned nraddr;

/* From the remote's service endpoint, while it exists. */
static void rsend(const void *d, size_t l, uint32_t dst)
{
	if (svc_up)
		(void)hipc_rpmsg_trysendto(&svc, d, l, dst);
}

static void learn(uint32_t src)
{
	for (unsigned i = 0; i < 4; i++)
		if (raddr[i] == src)
			return;
	raddr[nraddr++ % 4] = src;
}

static void put_ret(struct hipc_bufpool_ret *r, uint32_t id, uint32_t index,
		    uint32_t gen, uint32_t len, int32_t status)
{
	hipc_put_le16(&r->magic, HIPC_BUFPOOL_RET_MAGIC);
	hipc_put_le16(&r->flags, 0);
	hipc_put_le32(&r->pool_id, id);
	hipc_put_le32(&r->index, index);
	hipc_put_le32(&r->generation, gen);
	hipc_put_le32(&r->length, len);
	hipc_put_le32(HIPC_FIELD(r, struct hipc_bufpool_ret, status),
		      (uint32_t)status);
}

/* The remote gives back host buffer @i it holds; @how: the notice (none,
 * right, or one field wrong). */
static void remote_release(uint32_t i, uint32_t how)
{
	struct hipc_bufpool_ret r;
	uint32_t gen = rheld[i].gen, id = POOL_ID, idx = i, len = how >> 4;

	CHECK(hipc_bufpool_release(&rpool, i, gen) == 0);
	rheld[i].held = false;
	switch (how % 8) {
	case 0:
		return; /* no notice: advisory */
	case 1: id++; break;
	case 2: idx++; break;
	case 3: gen--; break;
	case 4: gen++; break;
	case 5: len = PBUF + 1; break;
	default: break;
	}
	put_ret(&r, id, idx, gen, len, how & 8 ? -HIPC_EBADMSG : 0);
	rsend(&r, sizeof(r), rheld[i].src);
}

static int svc_rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t src,
		  void *p)
{
	const uint8_t *b = d;

	(void)p;
	learn(src);
	if (l == sizeof(struct hipc_bufpool_ref) &&
	    hipc_get_le16(b) == HIPC_BUFPOOL_REF_MAGIC) {
		struct hipc_bufpool_rx rx;
		int i = attached ? hipc_bufpool_receive(&rpool, d, l, &rx) : -1;

		if (i < 0)
			return 0;
		/* only what a client sent reaches the remote */
		CHECK((uint32_t)i < host_count && mb[i].daemon_sent);
		mb[i].daemon_sent = false;
		rheld[i].held = true;
		rheld[i].gen = rx.generation;
		rheld[i].src = src;
		if (autorelease)
			remote_release((uint32_t)i, 1 + (uint32_t)rx.len % 2 * 5);
		return 0;
	}
	if (l == sizeof(struct hipc_bufpool_ret) &&
	    hipc_get_le16(b) == HIPC_BUFPOOL_RET_MAGIC) {
		uint32_t i = hipc_get_le32(b + 8);

		/* the daemon's notices name what the remote sent it */
		CHECK(hipc_get_le32(b + 4) == POOL_ID);
		CHECK(i >= host_count && i < count);
		CHECK(hipc_get_le32(b + 16) <= PBUF);
		if (honest)
			CHECK(rsent[i].valid &&
			      hipc_get_le32(b + 12) == rsent[i].gen);
		return 0;
	}
	if (echo)
		(void)hipc_rpmsg_trysendto(e, d, l, src);
	return 0;
}

static uint32_t pick_addr(struct in *in)
{
	uint32_t k = get8(in);

	switch (k % 4) {
	case 0: return raddr[(k >> 2) % 4] ? raddr[(k >> 2) % 4] : 1024;
	case 1: return 1024 + (k >> 2) % 8;
	case 2: return 53; /* the name service's */
	default: return get32(in);
	}
}

/* The remote's own buffer to a client's endpoint. */
static void remote_send(struct in *in)
{
	struct hipc_bufpool_ref ref;
	uint32_t a = pick_addr(in), o = get8(in), n = get8(in);
	uint32_t flags = get8(in) & 1;
	void *p;
	int i = attached ? hipc_bufpool_alloc(&rpool, &p) : -1;

	if (i < 0)
		return;
	o = o & 0x80 ? get32(in) : o * 4 % (PBUF + 8);
	n = n & 0x80 ? get32(in) : n * 2 % (PBUF + 8);
	memset(p, (int)o, PBUF);
	if (hipc_bufpool_send(&rpool, (uint32_t)i, o, n, flags, &ref) < 0) {
		CHECK(hipc_bufpool_free(&rpool, (uint32_t)i) == 0);
		return;
	}
	rsent[i].valid = true;
	rsent[i].gen = hipc_get_le32(&ref.generation);
	rsent[i].off = o;
	rsent[i].len = n;
	rsend(&ref, sizeof(ref), a);
}

/* A reference or a notice the remote makes up. */
static void remote_forge(struct in *in)
{
	uint32_t k = get8(in), a = pick_addr(in), i = get8(in) % (PCOUNT + 1);

	if (k & 1) {
		struct hipc_bufpool_ref r;
		uint32_t gen = rsent[i % PCOUNT].gen + get8(in) % 3;

		hipc_put_le16(&r.magic, HIPC_BUFPOOL_REF_MAGIC);
		hipc_put_le16(&r.flags, k & 2 ? get16(in) : 0);
		hipc_put_le32(&r.pool_id, k & 4 ? get32(in) : POOL_ID);
		hipc_put_le32(&r.index, i);
		hipc_put_le32(&r.generation, gen);
		hipc_put_le32(&r.offset, get16(in) % (PBUF + 8));
		hipc_put_le32(&r.length, get16(in) % (PBUF + 8));
		hipc_put_le32(&r.crc32c, get32(in));
		hipc_put_le32(&r.reserved, 0);
		honest = false;
		rsend(&r, sizeof(r), a);
	} else {
		struct hipc_bufpool_ret r;

		put_ret(&r, k & 4 ? get32(in) : POOL_ID, i, get32(in),
			get16(in) % (PBUF + 8), (int32_t)get32(in));
		rsend(&r, sizeof(r), a);
	}
}

static void svc_announce(bool on)
{
	if (on == svc_up)
		return;
	if (on)
		CHECK(!hipc_rpmsg_ept_create(&svc, &R.dev, "bb-svc", SVC,
					     HIPC_RPMSG_ADDR_ANY, svc_rx, NULL));
	else
		hipc_rpmsg_ept_destroy(&svc);
	svc_up = on;
}

static void pools_init(void)
{
	memset(page, CANARY, PG);
	pcfg.role = HIPC_BUFPOOL_ROLE_HOST;
	pcfg.slots = hslots;
	CHECK(!hipc_bufpool_init(&hpool, &pcfg));
}

/* The remote's instance attaches to the pool the host laid out. */
static void remote_attach(void)
{
	struct hipc_bufpool_config c = pcfg;

	c.role = HIPC_BUFPOOL_ROLE_REMOTE;
	c.slots = rslots;
	/* a header a client scribbled on is refused: no pool for it */
	attached = !hipc_bufpool_init(&rpool, &c);
	memset(rheld, 0, sizeof(rheld));
	memset(rsent, 0, sizeof(rsent));
	memset(raddr, 0, sizeof(raddr));
	nraddr = 0;
	for (uint32_t i = 0; i < PCOUNT; i++)
		mb[i].daemon_sent = false;
}

static void devices_init(void)
{
	pair_init(on_ns);
	svc_up = false;
	svc_announce(true);
	pair_start();
}

/* A round of the loop, after the devices: the big-buffer interface's. */
static void tx_ready(struct remote *r)
{
	(void)bigbuf_tx_ready(r);
}

/* --- clients ------------------------------------------------------------------ */

/* Client @k is gone (closed here, or hung up by the daemon): nothing is
 * lent to it any more. */
static void client_gone(int k)
{
	struct cli *c = &cl[k];

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->open = c->opening = c->lazy = false;
	c->nq = c->bad = c->nsent = c->allocs = 0;
	for (uint32_t i = 0; i < PCOUNT; i++)
		if (mb[i].owner == k) {
			mb[i].owner = -1;
			mb[i].st = M_NONE;
		}
}

static void lend(int k, uint32_t i, uint32_t gen, uint8_t st)
{
	CHECK(i < count);
	CHECK(mb[i].owner < 0); /* never lent to two clients at once */
	CHECK(gen > mb[i].last);
	mb[i].owner = k;
	mb[i].st = st;
	mb[i].lgen = mb[i].last = gen;
}

static uint8_t judge(int k, const struct hipc_bbc_msg *q, size_t n);

static void on_reply(int k, const struct hipc_bbc_msg *m, size_t n, int fd)
{
	struct cli *c = &cl[k];
	struct req q;
	unsigned j;

	CHECK(m->status <= 0 && m->status > -4096);
	if (m->seq == 0) {
		/* a malformed request's (nothing to echo) */
		CHECK(c->bad > 0 && m->status == -EINVAL && fd < 0);
		c->bad--;
		return;
	}
	for (j = 0; j < c->nq && c->q[j].seq != m->seq; j++)
		;
	CHECK(j < c->nq); /* answered once, and only what was asked */
	q = c->q[j];
	c->q[j] = c->q[--c->nq];
	if (q.op == HIPC_BBC_OPEN)
		c->opening = false;
	if (q.op == HIPC_BBC_ALLOC && q.expect != E_REFUSE)
		c->allocs--;
	if (q.expect == E_LATER) {
		/* the books now are what they were when the daemon took it:
		 * the ALLOCs before it answered, nothing after it */
		unsigned a = c->allocs;

		c->allocs = 0;
		q.expect = judge(k, &q.msg, sizeof(q.msg));
		c->allocs = a;
	}
	if (q.noreply)
		CHECK(m->status < 0);
	if (q.expect == E_OK)
		CHECK(m->status == 0);
	else if (q.expect == E_REFUSE)
		CHECK(m->status < 0);
	CHECK(n == (q.op == HIPC_BBC_STATS && !m->status
			    ? sizeof(*m) + sizeof(struct hipc_bbc_stats)
			    : sizeof(*m)));
	CHECK(fd < 0 || (q.op == HIPC_BBC_OPEN && !m->status));
	if (m->status < 0) {
		if (q.op != HIPC_BBC_OPEN)
			CHECK(m->index == q.index);
		/* an ALLOC an open connection may make: only none free */
		if (q.op == HIPC_BBC_ALLOC && c->open && q.expect == E_ANY)
			CHECK(m->status == -EAGAIN);
		return;
	}
	switch (q.op) {
	case HIPC_BBC_OPEN:
		CHECK(fd >= 0 && !c->open);
		CHECK(m->pool_id == POOL_ID && m->count == count &&
		      m->host_count == host_count && m->buf_size == PBUF);
		CHECK(m->data_off == POOL_OFF + PSHM - (uint64_t)PCOUNT * PBUF &&
		      m->region_size == PG);
		CHECK(m->max_payload == hipc_rpmsg_max_payload(&D.dev));
		c->open = true;
		break;
	case HIPC_BBC_ALLOC:
		CHECK(m->index < host_count); /* the host's buffers only */
		lend(k, m->index, m->generation, M_ALLOC);
		break;
	default:
		break;
	}
}

/* Set while the clients read what the daemon sent them before it hung
 * up on them (the remote went): checked for its form only, the books
 * being of the remote that went. */
static bool stale;

/* One message the daemon sent client @k: true, or false at the end. */
static bool client_read(int k)
{
	static uint8_t buf[8192];
	union {
		char b[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cb.b,
			     .msg_controllen = sizeof(cb.b) };
	struct cli *c = &cl[k];
	struct hipc_bbc_msg m;
	struct cmsghdr *cm;
	ssize_t n;
	int fd = -1;

	if (c->fd < 0)
		return false;
	n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0) {
		CHECK(errno == EAGAIN || errno == ECONNRESET);
		if (errno == ECONNRESET)
			client_gone(k);
		return false;
	}
	if (n == 0) {
		/* hung up: the daemon took back what was lent */
		client_gone(k);
		return false;
	}
	CHECK(!(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)));
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		CHECK(cm->cmsg_type == SCM_RIGHTS && fd < 0 &&
		      cm->cmsg_len == CMSG_LEN(sizeof(int)));
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	}
	CHECK(n >= 8);
	memset(&m, 0, sizeof(m));
	memcpy(&m, buf, (size_t)n < sizeof(m) ? (size_t)n : sizeof(m));
#ifdef FUZZ_TRACE
	fprintf(stderr, "client %d: op 0x%x seq %u status %d index %u gen %u "
		"len %zd fd %d%s\n", k, m.op, m.seq, m.status, m.index,
		m.generation, n, fd, stale ? " (before the hang-up)" : "");
#endif
	if (stale) {
		CHECK(m.op == HIPC_BBC_EV_REPLY || m.op == HIPC_BBC_EV_MSG ||
		      m.op == HIPC_BBC_EV_RX || m.op == HIPC_BBC_EV_RET);
		if (fd >= 0)
			close(fd);
		return true;
	}
	switch (m.op) {
	case HIPC_BBC_EV_REPLY:
		CHECK((size_t)n >= sizeof(m));
		on_reply(k, &m, (size_t)n, fd);
		break;
	case HIPC_BBC_EV_MSG:
		CHECK(c->open && fd < 0);
		CHECK((size_t)n - HIPC_BBC_HEAD <=
		      hipc_rpmsg_max_payload(&D.dev));
		break;
	case HIPC_BBC_EV_RX:
		CHECK(c->open && fd < 0 && (size_t)n == sizeof(m));
		/* the remote's buffers only, the range inside the buffer */
		CHECK(m.index >= host_count && m.index < count);
		CHECK(m.offset <= PBUF && m.length <= PBUF - m.offset);
		if (honest)
			CHECK(rsent[m.index].valid &&
			      m.offset == rsent[m.index].off &&
			      m.length == rsent[m.index].len);
		lend(k, m.index, m.generation, M_HELD);
		break;
	case HIPC_BBC_EV_RET: {
		unsigned j;

		CHECK(c->open && fd < 0 && (size_t)n == sizeof(m));
		/* a send of this client's, still waiting for its return */
		for (j = 0; j < c->nsent; j++)
			if (c->sent[j].index == m.index &&
			    c->sent[j].lgen == m.generation)
				break;
		CHECK(j < c->nsent);
		c->sent[j] = c->sent[--c->nsent];
		CHECK(m.length <= PBUF);
		if (m.flags & HIPC_BBC_RET_UNNOTICED)
			CHECK(m.length == 0 && m.status == 0);
		break;
	}
	default:
		CHECK(!"an event of no known kind");
	}
	if (fd >= 0)
		close(fd);
	return true;
}

/* Everything runs until nothing moves: the loop quiet, every reading
 * client's socket empty (one poll() says which have anything). */
static void settle(void)
{
	for (unsigned it = 0;; it++) {
		struct pollfd pf[SLOTS];
		int who[SLOTS], n = 0;
		bool got = false;

		CHECK(it < 4096);
		quiet();
		for (int k = 0; k < SLOTS; k++)
			if (cl[k].fd >= 0 && !cl[k].lazy) {
				pf[n].fd = cl[k].fd;
				pf[n].events = POLLIN;
				who[n++] = k;
			}
		if (!n || poll(pf, (nfds_t)n, 0) <= 0)
			break;
		for (int j = 0; j < n; j++)
			if (pf[j].revents)
				while (client_read(who[j]))
					got = true;
		if (!got)
			break;
	}
}

/* The daemon's counters for hipcctl: "lent" and "connections" agree with
 * the books once every client read what it was sent. */
static uint64_t stat_lent, stat_conns, stat_drains;

static void stat_kv(void *ctx, const char *key, uint64_t v)
{
	(void)ctx;
	if (!strcmp(key, "lent"))
		stat_lent = v;
	else if (!strcmp(key, "connections"))
		stat_conns = v;
	else if (!strcmp(key, "drains"))
		stat_drains = v;
}

static void check_books(void)
{
	struct hipcd_svc *s = bigbuf_svcs(&remotes[0]);
	uint64_t lent = 0, conns = 0;

	for (int k = 0; k < SLOTS; k++)
		if (cl[k].lazy)
			return;
	for (uint32_t i = 0; i < PCOUNT; i++)
		lent += mb[i].owner >= 0;
	for (int k = 0; k < SLOTS; k++)
		conns += cl[k].fd >= 0;
	CHECK(s && s->kind->stats);
	stat_lent = stat_conns = stat_drains = UINT64_MAX;
	s->kind->stats(s, stat_kv, NULL);
	if (stat_lent != lent || stat_conns != conns || stat_drains > 16)
		fprintf(stderr, "books: daemon lent %llu connections %llu "
			"drains %llu; harness lent %llu connections %llu\n",
			(unsigned long long)stat_lent,
			(unsigned long long)stat_conns,
			(unsigned long long)stat_drains,
			(unsigned long long)lent, (unsigned long long)conns);
	CHECK(stat_lent == lent && stat_conns == conns && stat_drains <= 16);
	/* what no client holds is not the host's (but what the remote sent
	 * or gave back to it) */
	for (uint32_t i = 0; i < count; i++)
		if (mb[i].owner < 0)
			CHECK(!hipc_bufpool_buf(&hpool, i));
}

static void client_connect(int k)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	client_gone(k);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/r0/bigbuf", run_dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0);
	CHECK(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	cl[k].fd = fd;
}

static const char *const svc_names[] = { "bb-svc", "nope", "", NULL };
static const char *const pool_names[] = { "pool-a", "pool-b", "far", NULL };

static void put_name(char *dst, const char *name)
{
	if (name)
		snprintf(dst, 32, "%s", name);
	else
		memset(dst, 'A', 32); /* not terminated */
}

static bool name_ok(const char *s)
{
	return s[0] && memchr(s, 0, 32);
}

/* A buffer for a request: one lent to @k in state @st (the input says
 * which), or any index and generation. */
static void pick(struct in *in, int k, uint8_t st, uint32_t *i, uint32_t *g)
{
	uint32_t b = get8(in), n = b >> 2;

	if (!(b & 1))
		for (uint32_t j = 0; j < PCOUNT; j++) {
			uint32_t x = (j + n) % PCOUNT;

			if (mb[x].owner == k && mb[x].st == st) {
				*i = x;
				*g = mb[x].lgen + (b & 2 ? get8(in) % 3 - 1 : 0);
				return;
			}
		}
	*i = b & 2 ? get32(in) : n % (PCOUNT + 2);
	*g = get8(in);
}

/* A message the daemon cannot take for a request: refused without its
 * seq (hipc/bigbuf_client.h: a request is exactly one struct, or a
 * MSG's head and payload within the daemon's 4 KiB). */
static bool malformed(const struct hipc_bbc_msg *q, size_t n)
{
	if (n > 4096)
		return true;
	if (n >= HIPC_BBC_HEAD && (q->op & ~HIPC_BBC_NOREPLY) == HIPC_BBC_MSG)
		return false;
	return n != sizeof(*q);
}

/* What the protocol calls for, from @k's books; the books move with a
 * request expected to succeed.  A client whose OPEN is not answered yet
 * may be open or not. */
static uint8_t judge(int k, const struct hipc_bbc_msg *q, size_t n)
{
	struct cli *c = &cl[k];
	uint32_t op = q->op & ~HIPC_BBC_NOREPLY, nr = q->op & HIPC_BBC_NOREPLY;
	uint32_t i = q->index;
	bool maybe = c->opening && !c->open;

	if (op == HIPC_BBC_MSG) {
		/* the head (op, seq), then the payload, at any length */
		if (!c->open && !c->opening)
			return E_REFUSE;
		if (n - HIPC_BBC_HEAD > hipc_rpmsg_max_payload(&D.dev))
			return E_REFUSE;
		return maybe ? E_ANY : E_OK;
	}
	if (q->status || q->reserved ||
	    (op != HIPC_BBC_OPEN && !c->open && !c->opening))
		return E_REFUSE;
	if (nr && op != HIPC_BBC_SEND && op != HIPC_BBC_FREE &&
	    op != HIPC_BBC_RELEASE)
		return E_REFUSE;
	switch (op) {
	case HIPC_BBC_OPEN:
		if (c->open || !name_ok(q->service) || !name_ok(q->pool))
			return E_REFUSE;
		c->opening = true;
		return E_ANY;
	case HIPC_BBC_ALLOC:
		return E_ANY;
	case HIPC_BBC_SEND:
	case HIPC_BBC_FREE:
		/* a host buffer lent to nobody the books know of: an ALLOC
		 * asked before may lend it to this client first */
		if (c->allocs && i < host_count && i < count && mb[i].owner < 0 &&
		    !(op == HIPC_BBC_SEND &&
		      q->flags & ~(uint32_t)HIPC_BUFPOOL_F_KNOWN))
			return E_LATER;
		break;
	default:
		break;
	}
	switch (op) {
	case HIPC_BBC_SEND:
		if (q->flags & ~(uint32_t)HIPC_BUFPOOL_F_KNOWN || i >= count ||
		    mb[i].owner != k || mb[i].st != M_ALLOC ||
		    mb[i].lgen != q->generation || q->offset > PBUF ||
		    q->length > PBUF - q->offset)
			return E_REFUSE;
		CHECK(c->nsent < SMAX);
		c->sent[c->nsent].index = i;
		c->sent[c->nsent++].lgen = q->generation;
		mb[i].owner = -1;
		mb[i].st = M_NONE;
		mb[i].daemon_sent = true;
		return E_OK;
	case HIPC_BBC_FREE:
	case HIPC_BBC_RELEASE:
		if (i >= count || mb[i].owner != k ||
		    mb[i].st != (op == HIPC_BBC_FREE ? M_ALLOC : M_HELD) ||
		    mb[i].lgen != q->generation ||
		    (op == HIPC_BBC_RELEASE && q->length > PBUF))
			return E_REFUSE;
		mb[i].owner = -1;
		mb[i].st = M_NONE;
		return E_OK;
	case HIPC_BBC_STATS:
		return maybe ? E_ANY : E_OK;
	default:
		return E_REFUSE;
	}
}

/* One request of client @k, built from the books or from the input's
 * bytes; sent, judged and recorded. */
static void request(struct in *in, int k)
{
	static uint8_t buf[5000];
	static struct cli saved;
	static uint8_t saved_mb[sizeof(mb)];
	struct cli *c = &cl[k];
	struct hipc_bbc_msg q;
	uint32_t t = get8(in), kind = t % 8, seq = ++next_seq;
	size_t n = sizeof(q);
	union fd_cmsg cb;
	struct iovec iov = { buf, 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t sent;
	uint8_t e;
	int efd = -1;

	if (c->fd < 0 || c->nq >= QMAX)
		return;
	memset(&q, 0, sizeof(q));
	switch (kind) {
	case 0: {
		uint32_t s = get8(in);

		q.op = HIPC_BBC_OPEN;
		put_name(q.service, svc_names[s % 4]);
		put_name(q.pool, pool_names[(s >> 2) % 4]);
		break;
	}
	case 1:
		q.op = HIPC_BBC_ALLOC;
		break;
	case 2: {
		uint32_t o = get8(in), l = get8(in);

		q.op = HIPC_BBC_SEND;
		pick(in, k, M_ALLOC, &q.index, &q.generation);
		q.offset = o & 0x80 ? get32(in) : o * 4 % (PBUF + 8);
		q.length = l & 0x80 ? get32(in) : l * 2 % (PBUF + 8);
		q.flags = t & 0x20 ? get32(in) : (o & 1);
		break;
	}
	case 3:
		q.op = HIPC_BBC_FREE;
		pick(in, k, M_ALLOC, &q.index, &q.generation);
		break;
	case 4:
		q.op = HIPC_BBC_RELEASE;
		pick(in, k, M_HELD, &q.index, &q.generation);
		q.length = get16(in) % (PBUF + 8);
		break;
	case 5: {
		uint32_t l = get8(in);

		/* a service message: the head (op, seq), then the payload */
		l = l & 0x80 ? get16(in) % (sizeof(buf) - HIPC_BBC_HEAD) : l * 4;
		n = HIPC_BBC_HEAD + l;
		q.op = HIPC_BBC_MSG;
		break;
	}
	case 6:
		q.op = HIPC_BBC_STATS;
		break;
	default:
		/* any bytes, any length */
		n = t & 0x20 ? sizeof(q) : get16(in) % 300;
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)get8(in);
		memcpy(&q, buf, n < sizeof(q) ? n : sizeof(q));
		break;
	}
	if (kind != 7) {
		if (t & 0x08)
			q.op |= HIPC_BBC_NOREPLY;
		memset(buf, (int)t, n);
	}
	/* the seq, where the daemon reads it */
	if (n >= HIPC_BBC_HEAD && (q.op & ~HIPC_BBC_NOREPLY) == HIPC_BBC_MSG) {
		memcpy(buf, &q.op, 4);
		memcpy(buf + 4, &seq, 4);
	} else if (n == sizeof(q)) {
		q.seq = seq;
		memcpy(buf, &q, sizeof(q));
	}
	q.seq = seq;
	iov.iov_len = n;
	if (t & 0x10) /* never kept */
		efd = fd_along(&mh, &cb);
	saved = *c;
	memcpy(saved_mb, mb, sizeof(mb));
	e = malformed(&q, n) ? E_REFUSE : judge(k, &q, n);
	if (e == E_LATER) {
		/* answered whatever comes of it, so that it can be judged;
		 * a SEND may reach the remote before its reply is read */
		q.op &= ~HIPC_BBC_NOREPLY;
		memcpy(buf, &q, sizeof(q));
		if ((q.op & ~HIPC_BBC_NOREPLY) == HIPC_BBC_SEND)
			mb[q.index].daemon_sent = true;
	}
	sent = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
#ifdef FUZZ_TRACE
	fprintf(stderr, "client %d asks: op 0x%x seq %u index %u gen %u n %zu "
		"expect %u sent %zd\n", k, q.op, seq, q.index, q.generation,
		n, e, sent);
#endif
	if (efd >= 0)
		close(efd);
	if (sent != (ssize_t)n) {
		/* not sent (the daemon hung up or does not read): the books
		 * stay as they were */
		*c = saved;
		memcpy(mb, saved_mb, sizeof(mb));
		return;
	}
	if (malformed(&q, n)) {
		c->bad++;
		return;
	}
	if (e == E_OK && (q.op & HIPC_BBC_NOREPLY))
		return; /* a success asked not to be answered */
	c->q[c->nq].seq = seq;
	c->q[c->nq].op = q.op & ~HIPC_BBC_NOREPLY;
	/* a MSG is its head: no index to echo in a refusal */
	c->q[c->nq].index = c->q[c->nq].op == HIPC_BBC_MSG ? 0 : q.index;
	c->q[c->nq].noreply = q.op & HIPC_BBC_NOREPLY;
	c->q[c->nq].msg = q;
	c->q[c->nq++].expect = e;
	if ((q.op & ~HIPC_BBC_NOREPLY) == HIPC_BBC_ALLOC && e != E_REFUSE)
		c->allocs++;
}

/* --- the run ----------------------------------------------------------------- */

static void remote_restart(uint32_t how)
{
	struct remote *r = &remotes[0];

	/* The rproc's order: the device goes (its unbind callbacks tell
	 * the connections), then the state change reaches the interfaces;
	 * or the interfaces first. */
	if (how & 1)
		bigbuf_remote_down(r);
	up = false;
	hipc_rpmsg_dev_deinit(&D.dev);
	hipc_rpmsg_dev_deinit(&R.dev);
	svc_up = false;
	if (!(how & 1))
		bigbuf_remote_down(r);
	for (struct hipcd_svc *s = r->svcs; s; s = s->next)
		s->up = false;
	CHECK(hipc_bufpool_reclaim_remote(&hpool) >= 0);
	rounds(2);
	/* Every connection the daemon had was hung up: what its client had
	 * not read yet (lazy, or in flight) is of the remote that went; then
	 * the end.  (A connection still in the listener's backlog is not
	 * one: it is accepted later, by the daemon of the new remote.) */
	stale = true;
	for (int k = 0; k < SLOTS; k++) {
		struct pollfd pf = { .fd = cl[k].fd, .events = POLLRDHUP };

		if (cl[k].fd >= 0 && poll(&pf, 1, 0) == 1 &&
		    (pf.revents & (POLLHUP | POLLRDHUP)))
			while (client_read(k))
				;
	}
	stale = false;
	if (how & 2)
		return; /* stays down */
	remote_attach();
	devices_init();
	up = true;
	bigbuf_remote_up(r);
}

/* Once per process, besides hipcd_once(): the memfd page of the pool. */
static void once(void)
{
	hipcd_once();
	memfd = memfd_create("fuzz-pools", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	CHECK(memfd >= 0 && !ftruncate(memfd, PG));
	page = guarded(PG, memfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int base = -1;
	struct remote *r;
	struct in in = { data, size, 0 };
	uint32_t g;

	if (hipcd_epfd < 0)
		once();
	if (base < 0)
		base = fuzz_count_fds();
	r = remote_reset();
	for (int k = 0; k < SLOTS; k++) {
		cl[k].fd = -1;
		client_gone(k);
	}
	for (uint32_t i = 0; i < PCOUNT; i++) {
		mb[i].owner = -1;
		mb[i].st = M_NONE;
		mb[i].last = 0;
	}
	next_seq = 0;
	/* the pool's geometry; the remote's manners */
	g = get8(&in);
	count = 1 + g % PCOUNT;
	host_count = (g >> 3) % (count + 1);
	memset(&pcfg, 0, sizeof(pcfg));
	pcfg.pool_id = POOL_ID;
	pcfg.count = count;
	pcfg.host_count = host_count;
	pcfg.buf_size = PBUF;
	pcfg.align = PALIGN;
	pcfg.shm = page + POOL_OFF;
	pcfg.shm_size = PSHM;
	pools_init();
	remote_attach();
	honest = true;
	autorelease = g & 0x40;
	echo = g & 0x80;
	devices_init();
	up = true;
	bigbuf_remote_up(r);
	settle();

	while (in.i < in.n) {
		uint32_t op = get8(&in);
		int k = (int)((op >> 4) % SLOTS);

#ifdef FUZZ_TRACE
		fprintf(stderr, "step 0x%02x (kind %u, client %d)\n", op,
			op & 15, k);
#endif

		switch (op & 15) {
		case 0:
			client_connect(k);
			break;
		case 1:
			/* a request, the client up to date first */
			cl[k].lazy = false;
			settle();
			request(&in, k);
			break;
		case 2:
			if (op & 0x40) {
				client_gone(k);
			} else if (cl[k].fd >= 0) {
				shutdown(cl[k].fd, SHUT_WR);
			}
			settle();
			check_books();
			break;
		case 3:
			cl[k].lazy = op & 0x40;
			break;
		case 4: {
			/* pipelined: several requests before the daemon reads */
			unsigned n = 2 + get8(&in) % 8;

			cl[k].lazy = false;
			settle();
			while (n--)
				request(&in, k);
			break;
		}
		case 5: {
			uint32_t w = get8(&in), how = get8(&in);

			for (uint32_t j = 0; j < PCOUNT; j++) {
				uint32_t i = (j + w) % PCOUNT;

				if (rheld[i].held) {
					remote_release(i, how);
					break;
				}
			}
			break;
		}
		case 6:
			remote_send(&in);
			break;
		case 7:
			remote_forge(&in);
			break;
		case 8: {
			static uint8_t msg[BUF];
			uint32_t l = get16(&in) % BUF;

			memset(msg, (int)op, l);
			rsend(msg, l, pick_addr(&in));
			break;
		}
		case 9: {
			/* what any client that mapped the memfd may write: a
			 * state word, a generation, a header field */
			uint32_t off = get8(&in), v = get32(&in);

			off = off & 0x80 ? (off & 0x0F) * 4
					 : PALIGN + (off % PCOUNT) * PALIGN +
						   (off & 0x40 ? 4 : 0);
			memcpy(page + POOL_OFF + off, &v, 4);
			honest = false;
			break;
		}
		case 10:
			g = get8(&in);
			autorelease = g & 1;
			echo = g & 2;
			break;
		case 11:
			if (up)
				svc_announce(!svc_up);
			break;
		case 12:
			remote_restart(op >> 4);
			break;
		case 13:
			rounds(get8(&in) % 16);
			continue; /* no settling: what is in flight stays */
		default:
			settle();
			check_books();
			break;
		}
		settle();
	}

	/* Every reading client up to date: every request answered. */
	for (int k = 0; k < SLOTS; k++)
		cl[k].lazy = false;
	settle();
	for (int k = 0; k < SLOTS; k++) {
		CHECK(cl[k].bad == 0);
		for (unsigned j = 0; j < cl[k].nq; j++)
			CHECK(cl[k].q[j].noreply && cl[k].q[j].expect == E_ANY);
	}
	check_books();
	/* The clients go: everything comes back. */
	for (int k = 0; k < SLOTS; k++)
		client_gone(k);
	settle();
	check_books();
	for (uint32_t i = 0; i < count; i++)
		CHECK(!hipc_bufpool_buf(&hpool, i));

	/* The remote is let go of (iface_remote_free()). */
	if (up)
		remote_restart(3);
	bigbuf_remote_free(r);
	for (uint32_t i = 0; i < POOL_OFF; i++)
		CHECK(page[i] == CANARY);
	remote_freed(r, "bigbuf", base); /* its services have no kind */
	return 0;
}
