// SPDX-License-Identifier: BSD-3-Clause
/*
 * Message sockets (docs/interfaces.md, "Message sockets"): the interface of every service
 * no other kind claims.  Per service a listening SOCK_SEQPACKET socket,
 * RUN_DIR/REMOTE/sock/SERVICE; each connection gets an rpmsg endpoint of
 * its own (a dynamic address, the service's announced address as its
 * destination), so the remote's answers, sent to the src of what it got,
 * come back to the connection that asked.
 *
 * Client to remote: one client message becomes as many payload-sized rpmsg
 * messages as it needs, in order, from the connection's endpoint.  When tx
 * buffers run out midway the rest is kept (copied once, only then) and the
 * connection waits in line on its service; meanwhile no connection of that
 * service is read, so whoever was first is first again once buffers come
 * back, and clients block in send() on their full sockets instead of
 * losing anything.
 *
 * Remote to client: each rpmsg message is one message on the connection,
 * sent at once when the client's socket takes it, otherwise queued in the
 * connection's hipcd_rxq (copied, then held: back-pressure on the remote;
 * a reader that stalls the remote is evicted, see hipcd.h).
 *
 * The remote going away (crash, stop, withdrawal) hangs every connection
 * up once what was queued for it is read; the path stays, refusing
 * connections (ECONNREFUSED) until the service is announced again.  The
 * same refusal marks a service with MS_MAX_CONNS connections open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hipcd.h"

#define MS_MAX_CONNS 64u
/* Largest client message taken.  A client's own socket caps what it can
 * send at its SO_SNDBUF (208 KiB by default, wmem_max without privilege);
 * only a client that forced a larger one can exceed this, and its
 * connection is then closed rather than the message cut short. */
#define MS_MAX_MSG (1u << 20)
/* Asked for on the daemon's side of each connection (the kernel doubles
 * it, capped by net.core.wmem_max/rmem_max): what the kernel holds for a
 * client that has not read yet before hipcd_rxq takes over, a 64 KiB
 * message's echo (132 replies, about 1 KiB of socket memory each) with
 * room to spare. */
#define MS_SOCKBUF (256 << 10)
/* Client messages read per wake-up, so one busy client cannot keep the
 * loop from the others. */
#define MS_READ_BUDGET 16u

struct ms_svc;

struct ms_conn {
	struct hipcd_watch w;  /* first: the watch callback casts */
	int fd;
	bool watched;          /* in the epoll set */
	uint32_t events;       /* watched for, if so */
	struct ms_svc *ms;
	struct ms_conn *next;  /* the service's connections */
	struct ms_conn *wnext; /* the service's line for tx buffers */
	struct hipc_rpmsg_ept ept;
	struct hipcd_rxq q;
	unsigned char *pend;   /* a message not sent whole: all of it */
	size_t pend_len, pend_off;
	bool waiting;          /* in the line, pend set */
	bool paused;           /* not read while others wait in line */
	bool hup;              /* remote gone: closed once q is empty */
	bool dead;             /* the client's socket failed: close */
	bool rd_eof;           /* the client will send no more (it shut
				* down writing, or closed): answers still
				* go to it until it closes */
	bool gone;             /* it closed while its last message waits
				* in line: closed once that is sent */
	bool closed;           /* freed at the end of the loop's round */
};

struct ms_svc {
	struct hipcd_svc *s;
	struct hipcd_watch lw; /* listening; fd -1 while refusing */
	struct ms_conn *conns;
	struct ms_conn *line, **line_tail;
	unsigned nconns;
	/* counters; a closed connection's queue counters are added here */
	uint64_t conns_total, limit_hits, too_big;
	uint64_t in_msgs, in_bytes, rpmsg_out, splits, tx_waits;
	uint64_t out_msgs, out_bytes, dropped, holds, evictions;
};

/* One receive buffer for every connection: a message goes to the remote
 * from here; only what does not fit in the tx buffers is copied. */
static unsigned char *rbuf;

static void conn_close(struct ms_conn *c);

/* --- paths and listening ------------------------------------------------------- */

/* The service's name if it is safe as a file name, else "@INDEX" ('@'
 * never appears in a name used as is, so the two cannot collide). */
static void sock_name(const struct hipcd_svc *s, char *out, size_t len)
{
	bool ok = s->name[0] && strcmp(s->name, ".") && strcmp(s->name, "..");

	for (const char *p = s->name; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		     *p == '-';
	if (ok)
		snprintf(out, len, "%s", s->name);
	else
		snprintf(out, len, "@%u", s->index);
}

/* RUN_DIR/REMOTE/sock/NAME into s->path, checked to fit a sockaddr_un
 * with the one extra byte of the temporary name. */
static int make_path(struct hipcd_svc *s)
{
	struct sockaddr_un sa;
	char dir[PATH_MAX], name[40];

	if ((size_t)snprintf(dir, sizeof(dir), "%s/sock", s->r->dir) >=
	    sizeof(dir))
		return -HIPC_ENAMETOOLONG;
	if (mkdir(dir, 0750) < 0 && errno != EEXIST) {
		logf_("%s: %s: %s", s->r->rc.name, dir, strerror(errno));
		return -errno;
	}
	sock_name(s, name, sizeof(name));
	if ((size_t)snprintf(s->path, sizeof(s->path), "%s/%s", dir, name) +
		    1 >= sizeof(sa.sun_path)) {
		logf_("%s: %s: longer than a socket address can be",
		      s->r->rc.name, s->path);
		s->path[0] = 0;
		return -HIPC_ENAMETOOLONG;
	}
	return 0;
}

static void on_accept(struct hipcd_watch *w, uint32_t events);

/*
 * Listen at s->path.  Bound under a temporary name and renamed over the
 * path, so the path never disappears: a client sees a listener or a
 * refusal, never ENOENT.
 */
static int ms_listen(struct ms_svc *ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret;

	if (ms->lw.fd >= 0)
		return 0;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s~",
			     ms->s->path) >= sizeof(sa.sun_path))
		return -HIPC_ENAMETOOLONG; /* make_path() checked it */
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(sa.sun_path, 0660) < 0 || listen(fd, 16) < 0 ||
	    rename(sa.sun_path, ms->s->path) < 0) {
		ret = -errno;
		unlink(sa.sun_path);
		close(fd);
		return ret;
	}
	ret = hipcd_watch_add(&ms->lw, fd, EPOLLIN, on_accept);
	if (ret < 0)
		close(fd);
	return ret;
}

/* Stop listening; the path stays and connecting to it is refused.
 * Connections not accepted yet are reset. */
static void ms_unlisten(struct ms_svc *ms)
{
	int fd = ms->lw.fd;

	if (fd < 0)
		return;
	hipcd_watch_del(&ms->lw);
	close(fd);
}

/* --- a connection's events ----------------------------------------------------- */

static bool can_read(const struct ms_conn *c)
{
	return !c->closed && !c->hup && !c->dead && !c->rd_eof &&
	       !c->waiting && !c->paused;
}

/*
 * Watch what the connection can act on now.  A connection that is not
 * read and has nothing to write leaves the epoll set altogether: a
 * hung-up client's EPOLLHUP cannot be masked and would wake the loop for
 * nothing until we read again.  One that reads no more because its client
 * shut down writing stays in the set with no events, to hear (EPOLLHUP)
 * when the client closes for good.
 */
static void conn_events(struct ms_conn *c)
{
	uint32_t ev = 0;
	bool watch;
	int ret = 0;

	if (c->closed)
		return;
	if (can_read(c))
		ev |= EPOLLIN;
	if (!hipcd_rxq_empty(&c->q) || c->dead)
		ev |= EPOLLOUT;
	watch = ev || (c->rd_eof && !c->gone);
	if (watch == c->watched && ev == c->events)
		return;
	if (!watch)
		hipcd_watch_del(&c->w);
	else if (!c->watched)
		ret = hipcd_watch_add(&c->w, c->fd, ev, c->w.fn);
	else
		ret = hipcd_watch_mod(&c->w, ev);
	if (ret < 0) {
		/* Only our own bug or no memory for epoll: a connection we
		 * cannot watch is one we cannot serve. */
		logf_("%s: service '%s': epoll: %s", c->ms->s->r->rc.name,
		      c->ms->s->name, strerror(-ret));
		c->watched = false;
		conn_close(c);
		return;
	}
	c->watched = watch;
	c->events = ev;
}

/* The line is empty: read every connection again. */
static void resume_all(struct ms_svc *ms)
{
	for (struct ms_conn *c = ms->conns, *next; c; c = next) {
		next = c->next;
		if (c->paused) {
			c->paused = false;
			conn_events(c);
		}
	}
}

static void line_remove(struct ms_conn *c)
{
	struct ms_svc *ms = c->ms;

	for (struct ms_conn **p = &ms->line; *p; p = &(*p)->wnext)
		if (*p == c) {
			*p = c->wnext;
			break;
		}
	ms->line_tail = &ms->line;
	while (*ms->line_tail)
		ms->line_tail = &(*ms->line_tail)->wnext;
	c->wnext = NULL;
	c->waiting = false;
	free(c->pend);
	c->pend = NULL;
}

static void conn_close(struct ms_conn *c)
{
	struct ms_svc *ms = c->ms;
	bool was_waiting = c->waiting;

	if (c->closed)
		return;
	c->closed = true;
	for (struct ms_conn **p = &ms->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	ms->nconns--;
	if (c->waiting)
		line_remove(c);
	if (c->ept.dev)
		hipc_rpmsg_ept_destroy(&c->ept);
	ms->holds += c->q.holds;
	ms->evictions += c->q.evictions;
	hipcd_rxq_fini(&c->q);
	hipcd_watch_del(&c->w);
	close(c->fd);
	hipcd_defer_free(c);
	if (ms->s->up && ms->lw.fd < 0 && ms_listen(ms) < 0)
		logf_("%s: service '%s': cannot listen again",
		      ms->s->r->rc.name, ms->s->name);
	if (was_waiting && !ms->line)
		resume_all(ms);
}

/* --- client to remote ------------------------------------------------------------ */

/* Sends @p[*@off..@len) in payload-sized messages; *@off advances.
 * Returns 0 (all sent), -HIPC_EAGAIN (out of tx buffers), or an error. */
static int push_out(struct ms_conn *c, const unsigned char *p, size_t len,
		    size_t *off)
{
	uint32_t max;

	if (!c->ept.dev)
		return -HIPC_ECONNRESET;
	max = hipc_rpmsg_max_payload(c->ept.dev);
	do { /* an empty message is sent too, once */
		size_t n = len - *off < max ? len - *off : max;
		int ret = hipc_rpmsg_send_ex(&c->ept, HIPC_RPMSG_ADDR_ANY,
					     HIPC_RPMSG_ADDR_ANY, p + *off, n,
					     HIPC_RPMSG_NO_WAIT);

		if (ret < 0)
			return ret;
		*off += n;
		c->ms->rpmsg_out++;
	} while (*off < len);
	return 0;
}

/* A client message: to the remote now, or what is left of it in line. */
static int conn_forward(struct ms_conn *c, const unsigned char *p, size_t len)
{
	struct ms_svc *ms = c->ms;
	size_t off = 0;
	int ret;

	ms->in_msgs++;
	ms->in_bytes += len;
	if (c->ept.dev && len > hipc_rpmsg_max_payload(c->ept.dev))
		ms->splits++;
	ret = push_out(c, p, len, &off);
	if (ret != -HIPC_EAGAIN)
		return ret;
	c->pend = malloc(len - off + 1);
	if (!c->pend)
		return -HIPC_ENOMEM;
	memcpy(c->pend, p + off, len - off);
	c->pend_len = len - off;
	c->pend_off = 0;
	c->waiting = true;
	*ms->line_tail = c;
	ms->line_tail = &c->wnext;
	ms->tx_waits++;
	ms->s->want_tx = true;
	return 0;
}

/* Closes any descriptors a client passed us: we take none. */
static void drop_rights(struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		     i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	}
}

/*
 * Reads client messages while the connection may.  Returns false if it
 * closed.  SO_PASSCRED tells an empty message from the end: every message
 * carries credentials, the end of the stream none.
 */
static bool conn_read(struct ms_conn *c)
{
	struct ms_svc *ms = c->ms;

	for (unsigned i = 0; i < MS_READ_BUDGET && can_read(c); i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct ucred)) +
				 CMSG_SPACE(8 * sizeof(int))];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { rbuf, MS_MAX_MSG };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		ssize_t n;
		int ret;

		if (ms->line) {
			/* Others wait for tx buffers: they go first. */
			c->paused = true;
			break;
		}
		n = recvmsg(c->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_close(c);
			return false;
		}
		if (n == 0 && !mh.msg_controllen) {
			/* The end: the client shut down writing or closed.
			 * Its answers may still be on their way. */
			c->rd_eof = true;
			break;
		}
		drop_rights(&mh);
		if (mh.msg_flags & MSG_TRUNC) {
			ms->too_big++;
			logf_("%s: service '%s': a client sent a message over "
			      "%u bytes: closing its connection",
			      ms->s->r->rc.name, ms->s->name, MS_MAX_MSG);
			conn_close(c);
			return false;
		}
		ret = conn_forward(c, rbuf, (size_t)n);
		if (ret == -HIPC_ECONNRESET) {
			/* Withdrawn under us; down() follows. */
			c->hup = true;
			break;
		}
		if (ret < 0) {
			logf_("%s: service '%s': send to the remote: %s; "
			      "closing the connection", ms->s->r->rc.name,
			      ms->s->name, hipc_strerror(ret));
			conn_close(c);
			return false;
		}
	}
	conn_events(c);
	return true;
}

static void on_tx_ready(struct hipcd_svc *s)
{
	struct ms_svc *ms = s->priv;
	struct ms_conn *c;

	while ((c = ms->line)) {
		int ret = push_out(c, c->pend, c->pend_len, &c->pend_off);

		if (ret == -HIPC_EAGAIN) {
			s->want_tx = true; /* still first in line */
			return;
		}
		line_remove(c);
		if (ret < 0 || c->gone) {
			conn_close(c);
			continue;
		}
		conn_events(c);
	}
	resume_all(ms);
}

/* --- remote to client ------------------------------------------------------------ */

static bool conn_drain(struct ms_conn *c)
{
	const void *data;
	size_t len;

	while (hipcd_rxq_peek(&c->q, &data, &len, NULL)) {
		ssize_t n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			c->ms->dropped += 1; /* the client is gone */
			conn_close(c);
			return false;
		}
		c->ms->out_msgs++;
		c->ms->out_bytes += len;
		hipcd_rxq_pop(&c->q);
	}
	if (c->hup && hipcd_rxq_empty(&c->q)) {
		conn_close(c);
		return false;
	}
	conn_events(c);
	return true;
}

static int on_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		 uint32_t src, void *priv)
{
	struct ms_conn *c = priv;
	ssize_t n;

	(void)ept;
	if (c->dead) {
		c->ms->dropped++;
		return 0;
	}
	if (hipcd_rxq_empty(&c->q)) {
		do
			n = send(c->fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n >= 0) {
			c->ms->out_msgs++;
			c->ms->out_bytes += len;
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			/* The client is gone: nobody to give it to.  Closed
			 * from the loop, not under the core's callback. */
			c->ms->dropped++;
			c->dead = true;
			conn_events(c);
			return 0;
		}
	}
	n = hipcd_rxq_push(&c->q, data, len, src);
	conn_events(c);
	/* Closed just now (it could not be watched): the queue went with
	 * it, this message too; a hold asked for would keep the rx buffer
	 * from the remote with nobody left to give it back. */
	if (c->closed) {
		c->ms->dropped++;
		return 0;
	}
	return (int)n;
}

/* The endpoint is going away with the device's memory still mapped:
 * what the queue holds in rx buffers is copied out, so the client still
 * reads it after the remote is gone. */
static void on_unbind(struct hipc_rpmsg_ept *ept)
{
	struct ms_conn *c = (struct ms_conn *)((char *)ept -
					       offsetof(struct ms_conn, ept));

	/* ept->dev: still set when only the service was withdrawn (its
	 * buffers go back), NULL when the whole device goes */
	hipcd_rxq_unhold(&c->q, ept->dev);
}

static void on_evict(struct hipcd_rxq *q)
{
	conn_close(q->owner);
}

static void on_conn(struct hipcd_watch *w, uint32_t events)
{
	struct ms_conn *c = (struct ms_conn *)w;

	if (c->closed)
		return;
	if (c->dead) {
		conn_close(c);
		return;
	}
	if ((events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) &&
	    !hipcd_rxq_empty(&c->q) && !conn_drain(c))
		return;
	if (can_read(c)) {
		if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
			conn_read(c);
		return;
	}
	if (c->rd_eof && (events & (EPOLLHUP | EPOLLERR))) {
		/* Closed for good, nothing left for it. */
		if (c->waiting) {
			c->gone = true; /* its message is finished first */
			conn_events(c);
			return;
		}
		conn_close(c);
	}
}

/* --- accepting ------------------------------------------------------------------- */

static void setopt(int fd, int opt, int v)
{
	/* Best effort: the kernel caps buffers at its limits anyway. */
	(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

static int conn_new(struct ms_svc *ms, int fd)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(ms->s->r->rp);
	struct ms_conn *c;
	int ret;

	if (!dev)
		return -HIPC_ENOTCONN;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -HIPC_ENOMEM;
	c->fd = fd;
	c->w.fd = -1;
	c->w.fn = on_conn;
	c->ms = ms;
	setopt(fd, SO_SNDBUF, MS_SOCKBUF);
	setopt(fd, SO_RCVBUF, MS_SOCKBUF);
	setopt(fd, SO_PASSCRED, 1);
	ret = hipc_rpmsg_ept_create(&c->ept, dev, "", HIPC_RPMSG_ADDR_ANY,
				    ms->s->addr, on_rx, c);
	if (ret < 0) {
		free(c);
		return ret;
	}
	c->ept.unbind = on_unbind;
	hipcd_rxq_init(&c->q, ms->s->r, on_evict, c);
	c->next = ms->conns;
	ms->conns = c;
	ms->nconns++;
	ms->conns_total++;
	c->paused = ms->line != NULL;
	conn_events(c); /* may close it; the count is right either way */
	return 0;
}

static void on_accept(struct hipcd_watch *w, uint32_t events)
{
	struct ms_svc *ms = (struct ms_svc *)((char *)w -
					      offsetof(struct ms_svc, lw));
	struct hipcd_svc *s = ms->s;

	(void)events;
	while (ms->nconns < MS_MAX_CONNS) {
		int fd = accept4(w->fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		int ret;

		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (fd < 0) {
			/* Out of descriptors, most likely: refuse until a
			 * connection closes rather than spin on it. */
			logf_("%s: service '%s': accept: %s; refusing "
			      "connections until one closes", s->r->rc.name,
			      s->name, strerror(errno));
			ms_unlisten(ms);
			return;
		}
		ret = conn_new(ms, fd);
		if (ret < 0) {
			logf_("%s: service '%s': a connection refused: %s",
			      s->r->rc.name, s->name, hipc_strerror(ret));
			close(fd);
		}
	}
	ms->limit_hits++;
	logf_("%s: service '%s': %u connections open, refusing more until "
	      "one closes", s->r->rc.name, s->name, MS_MAX_CONNS);
	ms_unlisten(ms);
}

/* --- the kind's hooks ------------------------------------------------------------ */

static int ms_up(struct hipcd_svc *s)
{
	struct ms_svc *ms = s->priv;
	int ret;

	if (!rbuf) {
		rbuf = malloc(MS_MAX_MSG);
		if (!rbuf)
			return -HIPC_ENOMEM;
	}
	if (!ms) {
		ms = calloc(1, sizeof(*ms));
		if (!ms)
			return -HIPC_ENOMEM;
		ms->s = s;
		ms->lw.fd = -1;
		ms->line_tail = &ms->line;
		s->priv = ms;
	}
	if (!s->path[0]) {
		ret = make_path(s);
		if (ret < 0)
			return ret;
	}
	if (ms->nconns >= MS_MAX_CONNS)
		return 0; /* listens again when one closes */
	ret = ms_listen(ms);
	if (ret < 0)
		logf_("%s: %s: %s", s->r->rc.name, s->path, strerror(-ret));
	return ret;
}

/* Every connection hangs up once what was queued for it is read.  A
 * message half sent is not finished: the remote is gone, or no longer
 * listens at that address. */
static void ms_down(struct hipcd_svc *s, bool crashed)
{
	struct ms_svc *ms = s->priv;

	(void)crashed;
	if (!ms)
		return;
	ms_unlisten(ms);
	for (struct ms_conn *c = ms->conns, *next; c; c = next) {
		next = c->next;
		if (c->waiting)
			line_remove(c);
		c->paused = false;
		c->hup = true;
		hipcd_rxq_unhold(&c->q, c->ept.dev);
		if (c->ept.dev)
			hipc_rpmsg_ept_destroy(&c->ept);
		if (hipcd_rxq_empty(&c->q) || c->dead)
			conn_close(c);
		else
			conn_events(c);
	}
}

static void ms_destroy(struct hipcd_svc *s)
{
	struct ms_svc *ms = s->priv;
	char dir[PATH_MAX];

	if (!ms)
		return;
	while (ms->conns)
		conn_close(ms->conns);
	ms_unlisten(ms);
	if (s->path[0])
		unlink(s->path);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/sock", s->r->dir) <
	    sizeof(dir))
		rmdir(dir); /* once the last service's socket is gone */
	free(ms);
	s->priv = NULL;
}

static void ms_stats(struct hipcd_svc *s,
		     void (*emit)(void *ctx, const char *key, uint64_t v),
		     void *ctx)
{
	struct ms_svc *ms = s->priv;
	uint64_t holds = 0, evictions = 0, queued = 0;

	if (!ms)
		return;
	holds = ms->holds;
	evictions = ms->evictions;
	for (struct ms_conn *c = ms->conns; c; c = c->next) {
		holds += c->q.holds;
		evictions += c->q.evictions;
		queued += c->q.bytes;
	}
	emit(ctx, "connections", ms->nconns);
	emit(ctx, "connections_total", ms->conns_total);
	emit(ctx, "limit_hits", ms->limit_hits);
	emit(ctx, "to_remote_msgs", ms->in_msgs);
	emit(ctx, "to_remote_bytes", ms->in_bytes);
	emit(ctx, "to_remote_rpmsgs", ms->rpmsg_out);
	emit(ctx, "splits", ms->splits);
	emit(ctx, "tx_waits", ms->tx_waits);
	emit(ctx, "too_big", ms->too_big);
	emit(ctx, "to_client_msgs", ms->out_msgs);
	emit(ctx, "to_client_bytes", ms->out_bytes);
	emit(ctx, "dropped_client_gone", ms->dropped);
	emit(ctx, "queued_bytes", queued);
	emit(ctx, "rxq_holds", holds);
	emit(ctx, "rxq_evictions", evictions);
}

const struct hipcd_iface hipcd_iface_socket = {
	.kind = "socket",
	.services = NULL, /* the fallback: whatever no other kind claims */
	.up = ms_up,
	.down = ms_down,
	.destroy = ms_destroy,
	.tx_ready = on_tx_ready,
	.stats = ms_stats,
};
