// SPDX-License-Identifier: BSD-3-Clause
/*
 * Big buffers for client processes (docs/bigbuf.md, "Through hipcd"): one
 * SOCK_SEQPACKET socket per remote that declares pools,
 * RUN_DIR/REMOTE/bigbuf, speaking hipc/bigbuf_client.h.  A connection
 * names a service and a pool, gets the pools' memfd (SCM_RIGHTS) and an
 * rpmsg endpoint of its own towards the service.
 *
 * The books stay here.  The rproc's pool (host role) decides what the
 * remote may do; on top of it this file records, per buffer, which
 * connection it is lent to (allocated, or received from the remote) or
 * which one sent it, with a generation of its own that the client must
 * quote.  Every request is checked against that record before the pool
 * is called: a client reaches only what was lent to it, and a wrong
 * request is refused, answered with the reason and counted, without
 * touching the buffer.  A client that maps the memfd can write anything
 * into it, the pools' state words included: neither this file nor the
 * pool ever trusts those words (the pool reads one only to confirm what
 * its own view allows), so a hostile client is no worse than a hostile
 * remote.  Access is the socket's: the remote's group (socket_mode).
 *
 * Flow control: a request that needs an rpmsg tx buffer when none is free
 * waits, and the connection is not read meanwhile (the client blocks in
 * its send()).  What goes to the client (replies, lent buffers, return
 * notices, service messages) is sent at once or queued; while anything is
 * queued the connection is not read either, so a client that does not
 * read cannot make the daemon queue without bound.
 *
 * A client gone (closed, killed): what it allocated is freed, what it
 * received is released (with a return notice), and its endpoint is kept
 * as a drain that gives back at once whatever the remote still sends it,
 * until the remote or the service goes.  The remote gone (crash, stop,
 * withdrawal): every connection is taken back the same way and hung up;
 * the rproc has reclaimed what the remote held.
 *
 * Replies carry 0 or -errno; the pool's and the rpmsg layer's -HIPC_E*
 * codes are errno values and go out as they are.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hipc/bigbuf_client.h"
#include "hipc/bufpool.h"
#include "hipc/byteorder.h"
#include "hipc/rpmsg.h"
#include "hipcd.h"

#define BB_MAX_POOLS 8u      /* as the planner allows */
#define BB_MAX_CONNS 64u     /* per remote */
#define BB_MAX_DRAINS 16u    /* closed clients' endpoints kept */
#define BB_READ_BURST 32u    /* requests per wake-up: others get a turn */
#define BB_EVQ_MAX (256u << 10) /* service messages queued for a client */
#define BB_RBUF 4096u        /* > any request: HEAD + max_payload */

#define MSG_SIZE sizeof(struct hipc_bbc_msg)

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/* What a buffer is to the connections. */
enum { B_NONE, B_ALLOC, B_SENT, B_HELD };

struct bb_conn;

struct bb_buf {
	struct bb_conn *owner; /* lent to (ALLOC, HELD) or sent by (SENT) */
	uint32_t lgen;         /* the generation its client quotes */
	uint32_t cgen;         /* the pool's: sent with, or received with */
	uint8_t st;
	/* A host buffer back in the pool before its return notice came
	 * (the remote releases, then tells): the send the notice is for. */
	struct bb_conn *powner;
	uint32_t plgen, pcgen;
	uint32_t ncgen;        /* the newest send a notice came for */
};

struct bb_pool {
	struct hipc_bufpool *pool; /* NULL until first opened */
	struct hipc_bufpool_geometry geo;
	struct hipc_rproc_pool_region reg;
	struct bb_buf *b;
};

struct bb_ev {
	struct bb_ev *next;
	size_t len;
	unsigned char data[];
};

struct bbr;

struct bb_conn {
	struct hipcd_watch w;    /* first: the watch callback casts */
	int fd;
	bool watched;
	uint32_t events;
	struct bbr *br;
	struct bb_conn *next;    /* the remote's connections, or drains */
	struct hipcd_svc own;    /* "POOL@PID", for hipcctl */
	pid_t pid;               /* the client's (SO_PEERCRED), 0 unknown */
	struct bb_pool *p;       /* NULL until OPEN */
	struct hipc_rpmsg_ept ept;
	bool bound;              /* the endpoint exists and is bound */
	bool drain;              /* the client is gone, the endpoint kept */
	bool dead;               /* its socket failed: close from the loop */
	bool closed;
	struct bb_ev *evq, **evq_tail;
	size_t evq_bytes;
	/* a request waiting for an rpmsg tx buffer */
	bool pending;
	struct hipc_bbc_msg preq;
	unsigned char *pmsg;
	size_t pmsg_len;
	/* a return notice waiting for one */
	bool pret;
	struct hipc_bufpool_ret pret_msg;
	unsigned nlent;          /* its buffers allocated or received */
	struct hipc_bbc_stats st;
};

struct bbr {
	struct remote *r;
	struct hipcd_watch lw;
	char path[PATH_MAX];
	struct hipcd_svc own;    /* "bigbuf": the totals */
	struct bb_pool pools[BB_MAX_POOLS];
	struct bb_conn *conns, *drains;
	unsigned nconns, ndrains;
	bool up;
	bool want_tx;
	bool sealed;
	struct hipc_bbc_stats gone_st; /* closed connections' counters */
	uint64_t conns_total, limit_hits, reclaimed, drained;
	uint64_t remote_refused, ret_bad, ret_late, msg_drops;
	uint64_t tx_waits; /* requests that waited for an rpmsg tx buffer */
	uint64_t queued_max; /* the most one connection had queued, bytes */
};

static struct bbr *bbrs[MAX_REMOTES];
/* A client's request as read; a service message on its way to a client. */
static unsigned char rbuf[BB_RBUF + 1];
static unsigned char evbuf[BB_RBUF];

static void conn_close(struct bb_conn *c);
static void conn_events(struct bb_conn *c);
static void on_accept(struct hipcd_watch *w, uint32_t events);

static const char *rname(const struct bbr *br)
{
	return br->r->rc.name;
}

static unsigned char *buf_base(const struct bb_pool *p, uint32_t i)
{
	return (unsigned char *)hipc_bufpool_buf(p->pool, i);
}

/* --- to the client ---------------------------------------------------------------- */

static void add_stats(struct hipc_bbc_stats *to, const struct hipc_bbc_stats *s)
{
	const uint64_t *a = (const uint64_t *)s;
	uint64_t *b = (uint64_t *)to;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		b[i] += a[i];
}

/* @len bytes to the client, in order: at once, else queued.  A message
 * that is not a reply or a lent buffer (@droppable) is dropped and
 * counted when the queue is over BB_EVQ_MAX. */
static void emit(struct bb_conn *c, const void *data, size_t len,
		 bool droppable)
{
	struct bb_ev *e;
	ssize_t n;

	if (c->closed || c->dead || c->drain)
		return;
	if (!c->evq) {
		do
			n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n >= 0)
			return;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->dead = true;
			conn_events(c);
			return;
		}
	}
	if (droppable && c->evq_bytes >= BB_EVQ_MAX) {
		c->br->msg_drops++;
		return;
	}
	e = malloc(sizeof(*e) + len);
	if (!e) {
		/* Nothing else to do with a client we cannot queue for. */
		logf_("%s: bigbuf: out of memory queueing for a client; "
		      "closing it", rname(c->br));
		c->dead = true;
		conn_events(c);
		return;
	}
	e->next = NULL;
	e->len = len;
	memcpy(e->data, data, len);
	*c->evq_tail = e;
	c->evq_tail = &e->next;
	c->evq_bytes += len;
	if (c->evq_bytes > c->br->queued_max)
		c->br->queued_max = c->evq_bytes;
	conn_events(c);
}

static void reply(struct bb_conn *c, const struct hipc_bbc_msg *q, int status,
		  struct hipc_bbc_msg *r)
{
	struct hipc_bbc_msg m;

	if (!r) {
		memset(&m, 0, sizeof(m));
		r = &m;
	}
	/* Asked not to answer a success: a pipelined request. */
	if (!status && (q->op & HIPC_BBC_NOREPLY))
		return;
	if (r == &m)
		r->index = q->index; /* which buffer a refusal is about */
	r->op = HIPC_BBC_EV_REPLY;
	r->seq = q->seq;
	r->status = status;
	emit(c, r, sizeof(*r), false);
}

/* Refused: counted under @counter, answered with @status. */
static void refuse(struct bb_conn *c, const struct hipc_bbc_msg *q,
		   uint64_t *counter, int status)
{
	(*counter)++;
	reply(c, q, status, NULL);
}

static bool flush_evq(struct bb_conn *c)
{
	struct bb_ev *e;
	ssize_t n;

	while ((e = c->evq)) {
		n = send(c->fd, e->data, e->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (n < 0)
			return false;
		c->evq = e->next;
		c->evq_bytes -= e->len;
		free(e);
	}
	c->evq_tail = &c->evq;
	return true;
}

/* --- buffers lent -------------------------------------------------------------------- */

/* A return notice to the remote from @c's endpoint.  0, or -HIPC_EAGAIN
 * (no tx buffer), or the send's error. */
static int send_ret(struct bb_conn *c, const struct hipc_bufpool_ret *r)
{
	int ret;

	if (!c->bound)
		return -HIPC_ECONNRESET;
	ret = hipc_rpmsg_send_ex(&c->ept, HIPC_RPMSG_ADDR_ANY,
				 HIPC_RPMSG_ADDR_ANY, r, sizeof(*r),
				 HIPC_RPMSG_NO_WAIT);
	return ret < 0 ? ret : 0;
}

static void make_ret(const struct bb_pool *p, uint32_t index, uint32_t gen,
		     uint32_t consumed, struct hipc_bufpool_ret *r)
{
	hipc_put_le16(&r->magic, HIPC_BUFPOOL_RET_MAGIC);
	hipc_put_le16(&r->flags, 0);
	hipc_put_le32(&r->pool_id, p->geo.pool_id);
	hipc_put_le32(&r->index, index);
	hipc_put_le32(&r->generation, gen);
	hipc_put_le32(&r->length, consumed);
	hipc_put_le32(&r->status, 0);
}

/* A remote buffer @c holds goes back to the remote.  @notify: tell it
 * (best effort: without the notice it finds the buffer at its next
 * allocation anyway). */
static void give_back(struct bb_conn *c, uint32_t i, uint32_t consumed,
		      bool notify)
{
	struct bb_pool *p = c->p;
	struct bb_buf *b = &p->b[i];
	struct hipc_bufpool_ret r;
	uint32_t gen = b->cgen;
	int ret;

	ret = hipc_bufpool_release(p->pool, i, gen);
	if (ret < 0)
		/* Our record and the pool's disagree: our bug. */
		logf_("%s: bigbuf: pool refused releasing buffer %u: %s",
		      rname(c->br), (unsigned)i, hipc_strerror(ret));
	b->st = B_NONE;
	b->owner = NULL;
	c->nlent--;
	if (!notify || ret < 0)
		return;
	make_ret(p, i, gen, consumed, &r);
	send_ret(c, &r);
}

/*
 * Everything lent to @c is taken back: allocated buffers freed, received
 * ones released; the ones it sent stay with the remote, their notices
 * going to @c while it drains (@keep_sent), to nobody otherwise.
 */
static void take_back(struct bb_conn *c, bool keep_sent)
{
	struct bb_pool *p = c->p;
	unsigned n = 0;

	if (!p)
		return;
	for (uint32_t i = 0; i < p->geo.count; i++) {
		struct bb_buf *b = &p->b[i];

		if (b->owner != c)
			continue;
		switch (b->st) {
		case B_ALLOC:
			hipc_bufpool_free(p->pool, i);
			b->st = B_NONE;
			b->owner = NULL;
			c->nlent--;
			n++;
			break;
		case B_HELD:
			give_back(c, i, 0, c->bound);
			n++;
			break;
		default:
			if (!keep_sent)
				b->owner = NULL;
			break;
		}
	}
	c->br->reclaimed += n;
}

/* --- connections ---------------------------------------------------------------- */

static bool can_read(const struct bb_conn *c)
{
	return !c->closed && !c->dead && !c->drain && !c->pending &&
	       !c->pret && !c->evq;
}

/* Watch what the connection can act on: a connection neither read nor
 * written leaves the epoll set (a hung-up client's EPOLLHUP cannot be
 * masked). */
static void conn_events(struct bb_conn *c)
{
	uint32_t ev = 0;
	int ret = 0;

	if (c->closed || c->drain)
		return;
	if (can_read(c))
		ev |= EPOLLIN;
	if (c->evq || c->dead)
		ev |= EPOLLOUT;
	if (ev == c->events && c->watched == (ev != 0))
		return;
	if (!ev)
		hipcd_watch_del(&c->w);
	else if (!c->watched)
		ret = hipcd_watch_add(&c->w, c->fd, ev, c->w.fn);
	else
		ret = hipcd_watch_mod(&c->w, ev);
	c->watched = ev && ret == 0;
	c->events = ev;
	if (ret < 0) {
		logf_("%s: bigbuf: epoll: %s", rname(c->br), strerror(-ret));
		c->dead = true; /* closed by the sweep of the next event */
	}
}

static void unlink_conn(struct bb_conn **head, struct bb_conn *c)
{
	for (struct bb_conn **pp = head; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			return;
		}
}

/* Frees @c's storage after the loop's round; its endpoint goes now. */
static void conn_free(struct bb_conn *c)
{
	struct bb_ev *e;

	if (c->p)
		for (uint32_t i = 0; i < c->p->geo.count; i++) {
			if (c->p->b[i].owner == c)
				c->p->b[i].owner = NULL;
			if (c->p->b[i].powner == c)
				c->p->b[i].powner = NULL;
		}
	if (c->ept.dev)
		hipc_rpmsg_ept_destroy(&c->ept);
	c->bound = false;
	while ((e = c->evq)) {
		c->evq = e->next;
		free(e);
	}
	free(c->pmsg);
	c->pmsg = NULL;
	hipcd_defer_free(c);
}

static void drain_destroy(struct bb_conn *c)
{
	struct bbr *br = c->br;

	unlink_conn(&br->drains, c);
	br->ndrains--;
	conn_free(c);
}

/*
 * The client is gone, or must go.  What was lent to it comes back; its
 * endpoint is kept as a drain while bound (the remote may still send it
 * buffers), the oldest drain going when there are too many.
 */
static void conn_close(struct bb_conn *c)
{
	struct bbr *br = c->br;

	if (c->closed)
		return;
	c->closed = true;
	unlink_conn(&br->conns, c);
	br->nconns--;
	add_stats(&br->gone_st, &c->st);
	hipcd_watch_del(&c->w);
	close(c->fd);
	c->fd = -1;
	c->pending = false;
	c->pret = false;
	take_back(c, c->bound);
	if (!c->bound) {
		conn_free(c);
	} else {
		struct bb_conn **last;

		c->drain = true;
		c->next = br->drains;
		br->drains = c;
		if (++br->ndrains > BB_MAX_DRAINS) {
			for (last = &br->drains; (*last)->next;
			     last = &(*last)->next)
				;
			drain_destroy(*last);
		}
	}
}

/* --- the remote's side ------------------------------------------------------------- */

static void on_ref(struct bb_conn *c, void *data, size_t len)
{
	struct bb_pool *p = c->p;
	struct hipc_bufpool_rx rx;
	struct hipc_bbc_msg m;
	struct bb_buf *b;
	int i;

	i = hipc_bufpool_receive(p->pool, data, len, &rx);
	if (i < 0) {
		/* Counted by the pool under its reason, too. */
		c->br->remote_refused++;
		return;
	}
	b = &p->b[i];
	b->st = B_HELD;
	b->owner = c;
	c->nlent++;
	b->cgen = rx.generation;
	b->lgen++;
	if (c->drain) {
		c->br->drained++;
		give_back(c, (uint32_t)i, 0, true);
		return;
	}
	c->st.received++;
	c->st.received_bytes += rx.len;
	memset(&m, 0, sizeof(m));
	m.op = HIPC_BBC_EV_RX;
	m.index = (uint32_t)i;
	m.generation = b->lgen;
	m.offset = (uint32_t)((unsigned char *)rx.data - buf_base(p, (uint32_t)i));
	m.length = (uint32_t)rx.len;
	emit(c, &m, sizeof(m), false);
}

/* A return notice: advisory, from the remote, checked all the same (for
 * our record: the pool's shared word decides when the buffer is back). */
static void on_ret(struct bb_conn *c, const unsigned char *d)
{
	struct bb_pool *p = c->p;
	uint32_t id = hipc_get_le32(HIPC_CFIELD(d, struct hipc_bufpool_ret,
						pool_id));
	uint32_t i = hipc_get_le32(HIPC_CFIELD(d, struct hipc_bufpool_ret,
					       index));
	uint32_t gen = hipc_get_le32(HIPC_CFIELD(d, struct hipc_bufpool_ret,
						 generation));
	uint32_t n = hipc_get_le32(HIPC_CFIELD(d, struct hipc_bufpool_ret,
					       length));
	int32_t status = (int32_t)hipc_get_le32(
		HIPC_CFIELD(d, struct hipc_bufpool_ret, status));
	struct hipc_bbc_msg m;
	struct bb_buf *b;
	uint32_t lgen;

	if (id != p->geo.pool_id || i >= p->geo.host_count) {
		c->br->ret_bad++;
		return;
	}
	b = &p->b[i];
	if (n > p->geo.buf_size) {
		c->br->ret_bad++;
		return;
	}
	if (b->st == B_SENT && b->owner == c && b->cgen == gen) {
		lgen = b->lgen;
		b->st = B_NONE;
		b->owner = NULL;
	} else if (b->powner == c && b->pcgen == gen) {
		lgen = b->plgen;
		b->powner = NULL;
	} else if (b->cgen && (int32_t)(gen - b->cgen) < 0 &&
		   (int32_t)(gen - b->ncgen) > 0) {
		/* For a send its client was already told about (the
		 * buffer came back twice before this notice did): late,
		 * not wrong. */
		b->ncgen = gen;
		c->br->ret_late++;
		return;
	} else {
		c->br->ret_bad++;
		return;
	}
	b->ncgen = gen;
	if (c->drain)
		return;
	c->st.returned++;
	memset(&m, 0, sizeof(m));
	m.op = HIPC_BBC_EV_RET;
	m.index = i;
	m.generation = lgen;
	m.length = n;
	m.status = status;
	emit(c, &m, sizeof(m), false);
}

static int on_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		 uint32_t src, void *priv)
{
	struct bb_conn *c = priv;
	const unsigned char *d = data;
	uint32_t head[2] = { HIPC_BBC_EV_MSG, 0 };

	(void)ept;
	(void)src;
	if (len == sizeof(struct hipc_bufpool_ref) &&
	    hipc_get_le16(d) == HIPC_BUFPOOL_REF_MAGIC) {
		on_ref(c, data, len);
		return 0;
	}
	if (len == sizeof(struct hipc_bufpool_ret) &&
	    hipc_get_le16(d) == HIPC_BUFPOOL_RET_MAGIC) {
		on_ret(c, d);
		return 0;
	}
	if (c->drain || c->closed)
		return 0;
	/* The service's own: head and payload in one message (never larger
	 * than an rpmsg payload). */
	if (len > BB_RBUF - HIPC_BBC_HEAD)
		return 0;
	memcpy(evbuf, head, sizeof(head));
	memcpy(evbuf + HIPC_BBC_HEAD, data, len);
	c->st.msgs_in++;
	emit(c, evbuf, HIPC_BBC_HEAD + len, true);
	return 0;
}

/* The service was withdrawn or the device is going: the connection hangs
 * up (a drain just goes). */
static void on_unbind(struct hipc_rpmsg_ept *ept)
{
	struct bb_conn *c = container_of(ept, struct bb_conn, ept);

	c->bound = false;
	if (c->drain) {
		take_back(c, false);
		drain_destroy(c);
		return;
	}
	/* What it holds goes back (without notices: the endpoint is
	 * unbound); then the client sees the end of the connection. */
	take_back(c, false);
	conn_close(c);
}

/* --- requests ---------------------------------------------------------------------- */

/* @q names a buffer lent to @c in state @want?  Refused and answered if
 * not; the entry otherwise. */
static struct bb_buf *lent(struct bb_conn *c, const struct hipc_bbc_msg *q,
			   uint8_t want)
{
	struct bb_pool *p = c->p;
	struct bb_buf *b;

	if (q->index >= p->geo.count) {
		refuse(c, q, &c->st.refused_range, -ERANGE);
		return NULL;
	}
	b = &p->b[q->index];
	if (b->owner != c || b->st != want) {
		refuse(c, q, &c->st.refused_owner, -EPERM);
		return NULL;
	}
	if (b->lgen != q->generation) {
		refuse(c, q, &c->st.refused_stale, -ESTALE);
		return NULL;
	}
	return b;
}

/* The reference for a SEND checked by req_send(): out now, or waiting for
 * a tx buffer (then the connection is not read until it goes). */
static void do_send(struct bb_conn *c, const struct hipc_bbc_msg *q)
{
	struct bb_pool *p = c->p;
	struct bb_buf *b = &p->b[q->index];
	struct hipc_bufpool_ref ref;
	uint32_t max;
	void *tx;
	int ret;

	if (!c->bound) {
		c->pending = false;
		refuse(c, q, &c->st.refused_other, -ECONNRESET);
		return;
	}
	/* The rpmsg buffer first: once the pool has handed the buffer over
	 * there is no taking it back. */
	ret = hipc_rpmsg_get_tx_buffer(c->ept.dev, &tx, &max,
				       HIPC_RPMSG_NO_WAIT);
	if (ret == -HIPC_EAGAIN) {
		if (!c->pending)
			c->br->tx_waits++;
		c->pending = true;
		c->preq = *q;
		c->br->want_tx = true;
		return;
	}
	c->pending = false;
	if (ret < 0) {
		refuse(c, q, &c->st.refused_other, ret);
		return;
	}
	ret = hipc_bufpool_send(p->pool, q->index, q->offset, q->length,
				q->flags, &ref);
	if (ret < 0) {
		hipc_rpmsg_release_tx(c->ept.dev, tx);
		logf_("%s: bigbuf: pool refused sending buffer %u: %s",
		      rname(c->br), (unsigned)q->index, hipc_strerror(ret));
		refuse(c, q, &c->st.refused_other, ret);
		return;
	}
	memcpy(tx, &ref, sizeof(ref));
	b->st = B_SENT;
	c->nlent--;
	b->cgen = hipc_get_le32(&ref.generation);
	ret = hipc_rpmsg_send_nocopy(&c->ept, HIPC_RPMSG_ADDR_ANY, tx,
				     sizeof(ref));
	if (ret < 0) {
		/* The device broke: its recovery reclaims the buffer. */
		reply(c, q, ret, NULL);
		return;
	}
	c->st.sent++;
	c->st.sent_bytes += q->length;
	reply(c, q, 0, NULL);
}

static void req_send(struct bb_conn *c, const struct hipc_bbc_msg *q)
{
	uint32_t bs = c->p->geo.buf_size;

	if (q->flags & ~(uint32_t)HIPC_BUFPOOL_F_KNOWN) {
		refuse(c, q, &c->st.refused_bad, -EINVAL);
		return;
	}
	if (!lent(c, q, B_ALLOC))
		return;
	if (q->offset > bs || q->length > bs - q->offset) {
		refuse(c, q, &c->st.refused_range, -ERANGE);
		return;
	}
	do_send(c, q);
}

static void req_alloc(struct bb_conn *c, const struct hipc_bbc_msg *q)
{
	struct bb_pool *p = c->p;
	struct hipc_bbc_msg r, ev;
	struct bb_buf *b;
	int i;

	if (!c->bound) {
		refuse(c, q, &c->st.refused_other, -ECONNRESET);
		return;
	}
	if (c->br->r->rc.bigbuf_quota &&
	    c->nlent >= c->br->r->rc.bigbuf_quota) {
		/* Not a refusal either: it holds its share of the pool;
		 * once it sends, frees or releases one it may ask again. */
		c->st.alloc_quota++;
		reply(c, q, -EDQUOT, NULL);
		return;
	}
	i = hipc_bufpool_alloc(p->pool, NULL);
	if (i < 0) {
		/* Not a refusal: try again once one came back. */
		c->st.alloc_empty++;
		reply(c, q, -EAGAIN, NULL);
		return;
	}
	b = &p->b[i];
	if (b->st == B_SENT && b->owner) {
		/* Back before its notice: the notice may still come.  One
		 * send waits for its notice per buffer; an older one that
		 * never got it is told now, without a length (the remote
		 * need not send notices). */
		if (b->powner) {
			memset(&ev, 0, sizeof(ev));
			ev.op = HIPC_BBC_EV_RET;
			ev.flags = HIPC_BBC_RET_UNNOTICED;
			ev.index = (uint32_t)i;
			ev.generation = b->plgen;
			if (!b->powner->drain)
				b->powner->st.returned++;
			emit(b->powner, &ev, sizeof(ev), false);
		}
		b->powner = b->owner;
		b->plgen = b->lgen;
		b->pcgen = b->cgen;
	}
	b->st = B_ALLOC;
	b->owner = c;
	c->nlent++;
	b->lgen++;
	c->st.allocs++;
	memset(&r, 0, sizeof(r));
	r.index = (uint32_t)i;
	r.generation = b->lgen;
	reply(c, q, 0, &r);
}

static void req_free(struct bb_conn *c, const struct hipc_bbc_msg *q)
{
	struct bb_buf *b = lent(c, q, B_ALLOC);

	if (!b)
		return;
	hipc_bufpool_free(c->p->pool, q->index);
	b->st = B_NONE;
	b->owner = NULL;
	c->nlent--;
	reply(c, q, 0, NULL);
}

static void req_release(struct bb_conn *c, const struct hipc_bbc_msg *q)
{
	struct bb_pool *p = c->p;
	struct bb_buf *b = lent(c, q, B_HELD);
	uint32_t gen;

	if (!b)
		return;
	if (q->length > p->geo.buf_size) {
		refuse(c, q, &c->st.refused_range, -ERANGE);
		return;
	}
	gen = b->cgen;
	give_back(c, q->index, 0, false);
	c->st.released++;
	reply(c, q, 0, NULL);
	make_ret(p, q->index, gen, q->length, &c->pret_msg);
	if (send_ret(c, &c->pret_msg) == -HIPC_EAGAIN) {
		c->pret = true;
		c->br->want_tx = true;
		c->br->tx_waits++;
	}
}

/* A service message (@len bytes at @data) to the remote, or waiting. */
static void do_msg(struct bb_conn *c, const struct hipc_bbc_msg *q,
		   const void *data, size_t len)
{
	int ret;

	if (!c->bound) {
		c->pending = false;
		refuse(c, q, &c->st.refused_other, -ECONNRESET);
		return;
	}
	ret = hipc_rpmsg_send_ex(&c->ept, HIPC_RPMSG_ADDR_ANY,
				 HIPC_RPMSG_ADDR_ANY, data, len,
				 HIPC_RPMSG_NO_WAIT);
	if (ret == -HIPC_EAGAIN) {
		if (!c->pending) {
			c->pmsg = malloc(len ? len : 1);
			if (!c->pmsg) {
				refuse(c, q, &c->st.refused_other, -ENOMEM);
				return;
			}
			memcpy(c->pmsg, data, len);
			c->pmsg_len = len;
			c->preq = *q;
			c->pending = true;
			c->br->tx_waits++;
		}
		c->br->want_tx = true;
		return;
	}
	c->pending = false;
	free(c->pmsg);
	c->pmsg = NULL;
	if (ret < 0) {
		refuse(c, q, &c->st.refused_other, ret);
		return;
	}
	c->st.msgs_out++;
	reply(c, q, 0, NULL);
}

static void req_stats(struct bb_conn *c, const struct hipc_bbc_msg *q)
{
	unsigned char out[MSG_SIZE + sizeof(struct hipc_bbc_stats)];
	struct hipc_bbc_msg r;

	memset(&r, 0, sizeof(r));
	r.op = HIPC_BBC_EV_REPLY;
	r.seq = q->seq;
	memcpy(out, &r, sizeof(r));
	memcpy(out + sizeof(r), &c->st, sizeof(c->st));
	emit(c, out, sizeof(out), false);
}

static struct hipcd_svc *find_up(struct remote *r, const char *name)
{
	for (struct hipcd_svc *s = r->svcs; s; s = s->next)
		if (s->up && !strcmp(s->name, name))
			return s;
	return NULL;
}

/* The pools' memfd may be sealed no further: a client holding it could
 * otherwise add F_SEAL_FUTURE_WRITE and keep the remote's next instance
 * (and every later client) from mapping it writable. */
static int seal(struct bbr *br, int fd)
{
	int seals;

	if (br->sealed)
		return 0;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return -errno;
	if (!(seals & F_SEAL_SEAL) &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) < 0)
		return -errno;
	br->sealed = true;
	return 0;
}

static int pool_open(struct bbr *br, const char *name, struct bb_pool **out)
{
	struct hipc_bufpool *pool;
	struct bb_pool *p;
	int i, ret;

	i = hipc_rproc_pool(br->r->rp, name, &pool);
	if (i < 0)
		return i;
	if ((unsigned)i >= BB_MAX_POOLS)
		return -HIPC_ENOENT;
	p = &br->pools[i];
	if (!p->pool) {
		ret = hipc_rproc_pool_region(br->r->rp, (unsigned)i, &p->reg);
		if (ret < 0)
			return ret;
		hipc_bufpool_get_geometry(pool, &p->geo);
		p->b = calloc(p->geo.count, sizeof(*p->b));
		if (!p->b)
			return -HIPC_ENOMEM;
		p->pool = pool;
	}
	*out = p;
	return 0;
}

static bool name_ok(const char *s, size_t len)
{
	return s[0] && memchr(s, 0, len);
}

static void req_open(struct bb_conn *c, const struct hipc_bbc_msg *q)
{
	struct bbr *br = c->br;
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(br->r->rp);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct hipc_bbc_msg r;
	struct iovec iov = { &r, sizeof(r) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	struct cmsghdr *cm;
	struct hipcd_svc *s;
	struct bb_pool *p;
	ssize_t n;
	int ret;

	if (c->p || !name_ok(q->service, sizeof(q->service)) ||
	    !name_ok(q->pool, sizeof(q->pool))) {
		refuse(c, q, &c->st.refused_bad, -EINVAL);
		return;
	}
	if (!br->up || !dev) {
		refuse(c, q, &c->st.refused_other, -ENOTCONN);
		return;
	}
	ret = pool_open(br, q->pool, &p);
	s = ret < 0 ? NULL : find_up(br->r, q->service);
	if (ret < 0 || !s) {
		refuse(c, q, &c->st.refused_other, ret < 0 ? ret : -ENOENT);
		return;
	}
	ret = seal(br, p->reg.fd);
	if (ret == 0)
		/* Named as the service: its withdrawal unbinds it. */
		ret = hipc_rpmsg_ept_create(&c->ept, dev, s->name,
					    HIPC_RPMSG_ADDR_ANY, s->addr, on_rx,
					    c);
	if (ret < 0) {
		logf_("%s: bigbuf: a connection to '%s' refused: %s",
		      rname(br), s->name, strerror(-ret));
		refuse(c, q, &c->st.refused_other, ret);
		return;
	}
	c->ept.unbind = on_unbind;
	c->bound = true;
	c->p = p;
	snprintf(c->own.name, sizeof(c->own.name), "%.20s@%d", q->pool,
		 (int)c->pid);
	c->own.addr = c->ept.addr; /* hipcctl's ADDR: the endpoint's */
	memset(&r, 0, sizeof(r));
	r.op = HIPC_BBC_EV_REPLY;
	r.seq = q->seq;
	r.data_off = p->reg.data_off;
	r.region_size = p->reg.size;
	r.pool_id = p->geo.pool_id;
	r.count = p->geo.count;
	r.host_count = p->geo.host_count;
	r.buf_size = p->geo.buf_size;
	/* What both ways carry: an rpmsg payload, within the daemon's
	 * message buffers (BB_RBUF, for rpmsg buffers over 4 KiB). */
	r.max_payload = hipc_rpmsg_max_payload(dev);
	if (r.max_payload > BB_RBUF - HIPC_BBC_HEAD)
		r.max_payload = BB_RBUF - HIPC_BBC_HEAD;
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &p->reg.fd, sizeof(int));
	/* The first message on the connection: its socket has room. */
	do
		n = sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		c->dead = true;
}

/* Closes any descriptors a client passed: we take none. */
static void drop_rights(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

static void request(struct bb_conn *c, const unsigned char *buf, size_t n,
		    bool trunc)
{
	struct hipc_bbc_msg q;

	c->st.requests++;
	memset(&q, 0, sizeof(q));
	if (n >= 4)
		memcpy(&q.op, buf, 4);
	if (!trunc && n >= HIPC_BBC_HEAD &&
	    (q.op & ~HIPC_BBC_NOREPLY) == HIPC_BBC_MSG) {
		memcpy(&q.seq, buf + 4, 4); /* the head: op, seq */
		if (!c->p) {
			refuse(c, &q, &c->st.refused_bad, -EINVAL);
			return;
		}
		if (!c->bound) {
			refuse(c, &q, &c->st.refused_other, -ECONNRESET);
			return;
		}
		if (n - HIPC_BBC_HEAD > hipc_rpmsg_max_payload(c->ept.dev)) {
			refuse(c, &q, &c->st.refused_other, -EMSGSIZE);
			return;
		}
		do_msg(c, &q, buf + HIPC_BBC_HEAD, n - HIPC_BBC_HEAD);
		return;
	}
	if (trunc || n != MSG_SIZE) {
		q.seq = 0; /* not a request: nothing to echo */
		refuse(c, &q, &c->st.refused_bad, -EINVAL);
		return;
	}
	memcpy(&q, buf, sizeof(q));
	if (q.status || q.reserved ||
	    ((q.op & ~HIPC_BBC_NOREPLY) != HIPC_BBC_OPEN && !c->p)) {
		refuse(c, &q, &c->st.refused_bad, -EINVAL);
		return;
	}
	if ((q.op & HIPC_BBC_NOREPLY) && q.op != (HIPC_BBC_SEND | HIPC_BBC_NOREPLY) &&
	    q.op != (HIPC_BBC_FREE | HIPC_BBC_NOREPLY) &&
	    q.op != (HIPC_BBC_RELEASE | HIPC_BBC_NOREPLY)) {
		q.op &= ~HIPC_BBC_NOREPLY; /* answered: it asks something */
		refuse(c, &q, &c->st.refused_bad, -EINVAL);
		return;
	}
	switch (q.op & ~HIPC_BBC_NOREPLY) {
	case HIPC_BBC_OPEN:
		req_open(c, &q);
		break;
	case HIPC_BBC_ALLOC:
		req_alloc(c, &q);
		break;
	case HIPC_BBC_SEND:
		req_send(c, &q);
		break;
	case HIPC_BBC_FREE:
		req_free(c, &q);
		break;
	case HIPC_BBC_RELEASE:
		req_release(c, &q);
		break;
	case HIPC_BBC_STATS:
		req_stats(c, &q);
		break;
	default:
		refuse(c, &q, &c->st.refused_bad, -EINVAL);
		break;
	}
}

/* recv() gave 0: an empty message, or the end?  The shut-down state
 * tells them apart. */
static bool at_eof(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

static void conn_read(struct bb_conn *c)
{
	for (unsigned k = 0; k < BB_READ_BURST && can_read(c); k++) {
		union {
			char buf[CMSG_SPACE(8 * sizeof(int))];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { rbuf, sizeof(rbuf) };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0 || (n == 0 && at_eof(c->fd))) {
			conn_close(c);
			return;
		}
		drop_rights(&mh);
		request(c, rbuf, (size_t)n,
			(mh.msg_flags & MSG_TRUNC) || (size_t)n > BB_RBUF);
		if (c->closed)
			return;
	}
	conn_events(c);
}

static void on_conn(struct hipcd_watch *w, uint32_t events)
{
	struct bb_conn *c = (struct bb_conn *)w;

	if (c->closed)
		return;
	if (!c->dead && c->evq && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
		c->dead = !flush_evq(c);
	if (c->dead) {
		conn_close(c);
		return;
	}
	if (can_read(c) && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		conn_read(c);
		return;
	}
	conn_events(c);
}

/* --- accepting ---------------------------------------------------------------------- */

static int br_listen(struct bbr *br)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[PATH_MAX];
	int fd, ret;

	if (br->lw.fd >= 0)
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.bigbuf.new", br->r->dir) >=
		    sizeof(sa.sun_path) ||
	    strlen(br->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, tmp, strlen(tmp) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(tmp);
	/* Under a temporary name, published, then renamed over the path:
	 * the path never disappears or shows the wrong permissions. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    hipcd_publish(br->r, tmp) < 0 || listen(fd, 16) < 0 ||
	    rename(tmp, br->path) < 0) {
		ret = -errno;
		unlink(tmp);
		close(fd);
		return ret ? ret : -EIO;
	}
	ret = hipcd_watch_add(&br->lw, fd, EPOLLIN, on_accept);
	if (ret < 0)
		close(fd);
	return ret;
}

static void on_accept(struct hipcd_watch *w, uint32_t events)
{
	struct bbr *br = container_of(w, struct bbr, lw);

	(void)events;
	for (;;) {
		struct ucred cr;
		socklen_t crl = sizeof(cr);
		struct bb_conn *c;
		int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				logf_("%s: bigbuf: accept: %s", rname(br),
				      strerror(errno));
			return;
		}
		if (br->nconns >= BB_MAX_CONNS) {
			/* Refused at once: the client's first read sees
			 * the end. */
			br->limit_hits++;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->w.fd = -1;
		c->w.fn = on_conn;
		c->br = br;
		c->evq_tail = &c->evq;
		c->own.r = br->r;
		c->own.kind = &hipcd_iface_bigbuf;
		c->own.up = true;
		c->own.priv = c;
		snprintf(c->own.path, sizeof(c->own.path), "%s", br->path);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) == 0)
			c->pid = cr.pid;
		snprintf(c->own.name, sizeof(c->own.name), "(opening)@%d",
			 (int)c->pid);
		c->next = br->conns;
		br->conns = c;
		br->nconns++;
		br->conns_total++;
		conn_events(c);
	}
}

/* --- the kind's hooks, for hipcctl ------------------------------------------------ */

static void conn_stats(const struct hipc_bbc_stats *st,
		       void (*emit_kv)(void *ctx, const char *key, uint64_t v),
		       void *ctx)
{
	emit_kv(ctx, "requests", st->requests);
	emit_kv(ctx, "allocs", st->allocs);
	emit_kv(ctx, "sent", st->sent);
	emit_kv(ctx, "sent_bytes", st->sent_bytes);
	emit_kv(ctx, "received", st->received);
	emit_kv(ctx, "received_bytes", st->received_bytes);
	emit_kv(ctx, "released", st->released);
	emit_kv(ctx, "returned", st->returned);
	emit_kv(ctx, "msgs_out", st->msgs_out);
	emit_kv(ctx, "msgs_in", st->msgs_in);
	emit_kv(ctx, "refused_bad", st->refused_bad);
	emit_kv(ctx, "refused_range", st->refused_range);
	emit_kv(ctx, "refused_owner", st->refused_owner);
	emit_kv(ctx, "refused_stale", st->refused_stale);
	emit_kv(ctx, "refused_other", st->refused_other);
	emit_kv(ctx, "alloc_empty", st->alloc_empty);
	emit_kv(ctx, "alloc_quota", st->alloc_quota);
}

static void bb_stats(struct hipcd_svc *s,
		     void (*emit_kv)(void *ctx, const char *key, uint64_t v),
		     void *ctx)
{
	struct hipc_bbc_stats sum;
	uint64_t lent = 0, in_flight = 0, queued = 0;
	struct bbr *br;

	if (s->priv != NULL && s->priv != s) {
		/* A connection's own line. */
		struct bb_conn *c = s->priv;

		conn_stats(&c->st, emit_kv, ctx);
		emit_kv(ctx, "queued", c->evq_bytes);
		return;
	}
	br = container_of(s, struct bbr, own);
	sum = br->gone_st;
	for (struct bb_conn *c = br->conns; c; c = c->next) {
		add_stats(&sum, &c->st);
		queued += c->evq_bytes;
	}
	for (unsigned i = 0; i < BB_MAX_POOLS; i++) {
		struct bb_pool *p = &br->pools[i];

		for (uint32_t j = 0; p->pool && j < p->geo.count; j++) {
			if (p->b[j].st == B_ALLOC || p->b[j].st == B_HELD)
				lent++;
			else if (p->b[j].st == B_SENT)
				in_flight++;
		}
	}
	emit_kv(ctx, "connections", br->nconns);
	emit_kv(ctx, "connections_total", br->conns_total);
	emit_kv(ctx, "limit_hits", br->limit_hits);
	emit_kv(ctx, "drains", br->ndrains);
	emit_kv(ctx, "lent", lent);
	emit_kv(ctx, "in_flight", in_flight);
	emit_kv(ctx, "reclaimed", br->reclaimed);
	emit_kv(ctx, "drained", br->drained);
	emit_kv(ctx, "remote_refused", br->remote_refused);
	emit_kv(ctx, "ret_bad", br->ret_bad);
	emit_kv(ctx, "ret_late", br->ret_late);
	emit_kv(ctx, "msg_drops", br->msg_drops);
	emit_kv(ctx, "tx_waits", br->tx_waits);
	emit_kv(ctx, "queued", queued);
	emit_kv(ctx, "queued_max", br->queued_max);
	conn_stats(&sum, emit_kv, ctx);
}

static int bb_up(struct hipcd_svc *s)
{
	(void)s;
	return 0;
}

static void bb_down(struct hipcd_svc *s, bool crashed)
{
	(void)s;
	(void)crashed;
}

static void bb_destroy(struct hipcd_svc *s)
{
	(void)s;
}

/* Never in kinds[]: it serves no announced name.  Its entries are the
 * per-remote totals and one per connection (bigbuf_svcs()). */
const struct hipcd_iface hipcd_iface_bigbuf = {
	.kind = "bigbuf",
	.services = NULL,
	.up = bb_up,
	.down = bb_down,
	.destroy = bb_destroy,
	.stats = bb_stats,
};

/* --- the remote's life (called from iface.c) ---------------------------------------- */

static void unbind_quietly(struct bb_conn *c)
{
	c->ept.unbind = NULL;
	if (c->ept.dev)
		hipc_rpmsg_ept_destroy(&c->ept);
	c->bound = false;
}

static struct bbr *br_of(struct remote *r)
{
	unsigned i = (unsigned)(r - remotes);

	return i < MAX_REMOTES ? bbrs[i] : NULL;
}

void bigbuf_remote_up(struct remote *r)
{
	unsigned i = (unsigned)(r - remotes);
	struct hipc_rproc_info info;
	struct bbr *br;
	int ret;

	if (i >= MAX_REMOTES)
		abort(); /* not one of ours: our bug */
	hipc_rproc_get_info(r->rp, &info);
	if (!info.npools)
		return;
	br = bbrs[i];
	if (!br) {
		if (hipcd_make_dir(r) < 0)
			return;
		br = calloc(1, sizeof(*br));
		if (!br) {
			logf_("%s: bigbuf: out of memory", r->rc.name);
			return;
		}
		br->r = r;
		br->lw.fd = -1;
		br->own.r = r;
		br->own.kind = &hipcd_iface_bigbuf;
		br->own.priv = &br->own;
		snprintf(br->own.name, sizeof(br->own.name), "bigbuf");
		if ((size_t)snprintf(br->path, sizeof(br->path), "%s/bigbuf",
				     r->dir) >= sizeof(br->path)) {
			free(br);
			return;
		}
		snprintf(br->own.path, sizeof(br->own.path), "%s", br->path);
		bbrs[i] = br;
	}
	br->up = true;
	br->own.up = true;
	ret = br_listen(br);
	if (ret < 0)
		logf_("%s: %s: %s", r->rc.name, br->path, strerror(-ret));
}

/* Every connection taken back and hung up, every drain gone: the rproc
 * reclaimed what the remote held; the clients' buffers come back here. */
void bigbuf_remote_down(struct remote *r)
{
	struct bbr *br = br_of(r);

	if (!br)
		return;
	br->up = false;
	br->own.up = false;
	br->want_tx = false;
	/* The endpoints first, so that nothing is sent to a remote that is
	 * gone: what the clients hold is released without a notice. */
	while (br->drains) {
		struct bb_conn *c = br->drains;

		unbind_quietly(c);
		take_back(c, false);
		drain_destroy(c);
	}
	while (br->conns) {
		struct bb_conn *c = br->conns;

		unbind_quietly(c);
		conn_close(c);
	}
	/* Sent buffers the remote never gave back: the rproc's reclaim set
	 * them free; so does our record. */
	for (unsigned i = 0; i < BB_MAX_POOLS; i++) {
		struct bb_pool *p = &br->pools[i];

		for (uint32_t j = 0; p->pool && j < p->geo.count; j++)
			if (p->b[j].st == B_SENT) {
				p->b[j].st = B_NONE;
				p->b[j].owner = NULL;
			}
		for (uint32_t j = 0; p->pool && j < p->geo.count; j++)
			p->b[j].powner = NULL;
	}
}

bool bigbuf_tx_ready(struct remote *r)
{
	struct bbr *br = br_of(r);

	if (!br || !br->want_tx)
		return false;
	br->want_tx = false;
	for (struct bb_conn *c = br->conns, *next; c; c = next) {
		next = c->next;
		if (c->pret) {
			if (send_ret(c, &c->pret_msg) == -HIPC_EAGAIN) {
				br->want_tx = true;
				continue;
			}
			c->pret = false;
		}
		if (c->pending) {
			if (c->pmsg)
				do_msg(c, &c->preq, c->pmsg, c->pmsg_len);
			else
				do_send(c, &c->preq);
			if (c->pending)
				continue; /* want_tx set again */
		}
		conn_events(c);
	}
	return br->want_tx;
}

/* For hipcctl services and stats: the totals, then each connection. */
struct hipcd_svc *bigbuf_svcs(struct remote *r)
{
	struct bbr *br = br_of(r);
	struct hipcd_svc **tail;

	if (!br)
		return NULL;
	tail = &br->own.next;
	for (struct bb_conn *c = br->conns; c; c = c->next) {
		*tail = &c->own;
		tail = &c->own.next;
	}
	*tail = NULL;
	return &br->own;
}

void bigbuf_remote_free(struct remote *r)
{
	struct bbr *br = br_of(r);

	if (!br)
		return;
	bigbuf_remote_down(r);
	if (br->lw.fd >= 0) {
		int fd = br->lw.fd;

		hipcd_watch_del(&br->lw);
		close(fd);
	}
	unlink(br->path);
	for (unsigned i = 0; i < BB_MAX_POOLS; i++)
		free(br->pools[i].b);
	bbrs[r - remotes] = NULL;
	free(br);
}
