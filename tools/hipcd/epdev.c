// SPDX-License-Identifier: BSD-3-Clause
/*
 * Endpoint devices (docs/interfaces.md, "Endpoint devices"): what rpmsg_ctrl and rpmsg_char
 * give a Linux user on a board, as UNIX sockets under RUN_DIR/REMOTE/.
 *
 *   rpmsg_ctrl  SOCK_SEQPACKET, the protocol of hipc/rpmsg_char.h: CREATE,
 *               DESTROY and LOOKUP.  Made when the remote first comes up
 *               (RUNNING or ATTACHED), kept until the remote is let go of.
 *   rpmsgN      SOCK_SEQPACKET, one rpmsg endpoint: one message per
 *               send()/recv(), one client at a time.  Made for every
 *               "rpmsg-raw" or "rpmsg_chrdev" service the remote announces
 *               (kind "endpoint"), and for every CREATE.
 *
 * One client at a time: while an endpoint has its client, its listening
 * socket is closed (the path stays), so a second connect() fails at once
 * with ECONNREFUSED, which the client library reports as EBUSY.
 *
 * Flow control towards the remote: a client's next message is read only
 * into a tx buffer already reserved (zero copy from its socket into the
 * ring).  With none free the client is not read at all until one is: its
 * socket fills, and its non-blocking send() fails with EAGAIN.  Towards the
 * client: straight into its socket while it takes them, then the receive
 * queue of rxq.c (copied, then held: back-pressure on the remote, the
 * stall_ms eviction as the last resort).
 *
 * The remote gone (crash, stop, service withdrawn): the client gets what
 * was queued for it, then a hang-up (EOF); the path stays, and works again
 * when the service is announced again (automatic endpoints) or the remote
 * is back (created ones, made again on the new device).
 *
 * Every request, message length and name that comes from a client is
 * checked; a client can reach only the endpoint it connected to.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hipc/rpmsg_char.h"
#include "hipcd.h"

#define MAX_ENDPOINTS 256u   /* rpmsg0 .. rpmsg255 per remote */
#define MAX_CTRL_CONNS 16u   /* rpmsg_ctrl connections per remote */
/* Messages read per event: others get a turn.  Past a 32 KiB write's 67
 * (and its header): one cut short takes another round of the loop, and
 * the remote a doorbell (a wake-up) for each part. */
#define READ_BURST 128u
#define RECV_BATCH 32u       /* messages per recvmmsg() */

#define container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

struct epctl;

/* One endpoint device: RUN_DIR/REMOTE/rpmsgN. */
struct epdev {
	struct epctl *ctl;
	struct hipcd_svc *s;      /* the service's, or &own */
	struct hipcd_svc own;     /* created: what iface.c lists and counts */
	bool created;
	bool fixed_src;           /* created with an explicit src: kept */
	uint32_t src;             /* created: the src asked for, or the last */
	uint32_t dst;
	struct hipc_rpmsg_ept ept;
	bool bound;               /* ept is on the current device */
	uint32_t max_payload;
	char path[PATH_MAX];
	struct hipcd_watch lw;    /* listening; -1 while a client is on */
	struct hipcd_watch cw;    /* the client; -1 for none */
	uint32_t cw_events;
	bool reading;             /* EPOLLIN wanted: not waiting for tx */
	bool tx_waiting;          /* counted in tx_waits, not yet over */
	bool rd_eof;              /* the client shut its sending side */
	bool hanging_up;          /* deliver what is queued, then close */
	bool gone;                /* the client hung up while what it sent
				   * waits for tx buffers: forwarded (as
				   * tx_ready() lets us), then closed */
	bool destroyed;           /* made through rpmsg_ctrl and destroyed
				   * while gone: freed once that is over */
	struct hipcd_rxq q;
	/* The rx buffers @q holds, oldest first (rxq.c keeps them private):
	 * given back by us if the queue must let go of them while the device
	 * lives on (a withdrawn service). */
	/* counters */
	uint64_t tx_msgs, tx_bytes;     /* client -> remote */
	uint64_t rx_msgs, rx_bytes;     /* remote -> client */
	uint64_t tx_waits, oversize, clients, refused, rx_no_client;
	uint64_t hangups;
};

/* A connection to rpmsg_ctrl. */
struct ctlconn {
	struct hipcd_watch w;
	struct epctl *ctl;
	struct ctlconn *next;
};

/* Per remote: rpmsg_ctrl and the endpoints created through it. */
struct epctl {
	struct remote *r;
	bool up;                  /* the remote is running or attached */
	char path[PATH_MAX];
	struct hipcd_watch lw;
	struct ctlconn *conns;
	unsigned nconns;
	struct hipcd_svc *created; /* &epdev.own, linked by ->next */
	unsigned char used[MAX_ENDPOINTS]; /* indices taken */
};

static struct epctl *ctls[MAX_REMOTES];

static const char *rname(const struct epdev *d)
{
	return d->ctl->r->rc.name;
}

/* --- sockets ------------------------------------------------------------------- */

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * A listening SOCK_SEQPACKET socket at @path, replacing whatever socket is
 * there.  Bound under a temporary name and renamed over @path, so a client
 * never finds the path missing while an endpoint is re-opened.  Returns
 * the fd or -errno.
 */
static int listen_at(struct remote *r, const char *path)
{
	struct sockaddr_un sa;
	char tmp[PATH_MAX];
	const char *base = strrchr(path, '/');
	int fd, ret;

	if (!base)
		return -EINVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s/.%s.new",
			     (int)(base - path), path, base + 1) >= sizeof(tmp))
		return -ENAMETOOLONG;
	ret = fill_addr(&sa, tmp);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    hipcd_publish(r, tmp) < 0 || listen(fd, 8) < 0 ||
	    rename(tmp, path) < 0) {
		ret = -errno;
		unlink(tmp);
		close(fd);
		return ret;
	}
	return fd;
}

static void close_watch(struct hipcd_watch *w)
{
	int fd = w->fd;

	if (fd < 0)
		return;
	hipcd_watch_del(w);
	close(fd);
}

/* A reply or message into @fd, never waiting.  Returns what send() does. */
static ssize_t send_nb(int fd, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n;
}

/*
 * recv() gave 0: an empty message, or the end of the client's sending side?
 * SOCK_SEQPACKET says the same for both; the shut-down state tells them
 * apart.  (An empty message sent right before a shutdown counts as the
 * end: the one case left ambiguous.)
 */
static bool at_eof(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

/* --- the client of an endpoint ------------------------------------------------- */

static void on_listen(struct hipcd_watch *w, uint32_t events);
static void on_client(struct hipcd_watch *w, uint32_t events);

static int open_listener(struct epdev *d)
{
	int fd = listen_at(d->ctl->r, d->path), ret;

	if (fd < 0) {
		logf_("%s: %s: %s", rname(d), d->path, strerror(-fd));
		return fd;
	}
	ret = hipcd_watch_add(&d->lw, fd, EPOLLIN, on_listen);
	if (ret < 0) {
		logf_("%s: %s: epoll: %s", rname(d), d->path, strerror(-ret));
		close(fd);
	}
	return ret;
}

/* The events the client's socket is watched for, as things stand. */
static void client_events(struct epdev *d)
{
	uint32_t ev = 0;

	if (d->cw.fd < 0 || d->gone)
		return;
	if (d->reading && !d->rd_eof && !d->hanging_up)
		ev |= EPOLLIN;
	if (!hipcd_rxq_empty(&d->q))
		ev |= EPOLLOUT;
	if (ev != d->cw_events && hipcd_watch_mod(&d->cw, ev) == 0)
		d->cw_events = ev;
}

/* The oldest message is delivered (a held rx buffer goes back). */
static void pop(struct epdev *d)
{
	hipcd_rxq_pop(&d->q);
}

/* Every held message copied out of its rx buffer.  @dev: the device lives
 * on, so the buffers go back to it; NULL: it is going, and takes them. */
static void unhold(struct epdev *d, struct hipc_rpmsg_dev *dev)
{
	hipcd_rxq_unhold(&d->q, dev);
}

/* The client goes: whatever was queued for it is dropped, and the endpoint
 * listens again for the next one. */
static void client_close(struct epdev *d)
{
	if (d->cw.fd < 0)
		return;
	close_watch(&d->cw);
	hipcd_rxq_clear(&d->q);
	d->hanging_up = false;
	d->gone = false;
	d->rd_eof = false;
	d->reading = false;
	d->tx_waiting = false;
	d->s->want_tx = false;
	if (d->lw.fd < 0 && !d->destroyed)
		open_listener(d);
}

/* Delivers what the queue holds while the client's socket takes it.  Hangs
 * up once the queue is empty if that is what we wait for. */
static void drain(struct epdev *d)
{
	const void *data;
	size_t len;

	while (hipcd_rxq_peek(&d->q, &data, &len, NULL)) {
		ssize_t n = send_nb(d->cw.fd, data, len);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) { /* the client is gone */
			client_close(d);
			return;
		}
		pop(d);
	}
	if (d->hanging_up && hipcd_rxq_empty(&d->q)) {
		d->hangups++;
		client_close(d);
		return;
	}
	client_events(d);
}

/* A reserved tx buffer that is not sent goes back. */
static void release_all(struct hipc_rpmsg_dev *dev, void **buf, unsigned from,
			unsigned to)
{
	for (unsigned i = from; i < to; i++)
		hipc_rpmsg_release_tx(dev, buf[i]);
}

/* One message of the client's, in @p (@n bytes, @room the most it may
 * have), to the remote. */
static void forward(struct epdev *d, struct hipc_rpmsg_dev *dev, void *p,
		    size_t n, size_t room)
{
	int ret;

	if (n > room) {
		/* MSG_TRUNC gave its real length: over max_payload.  Dropped
		 * whole, never cut short (the library says EMSGSIZE before it
		 * sends one). */
		hipc_rpmsg_release_tx(dev, p);
		if (!d->oversize++)
			logf_("%s: %s: a %zu-byte message (over %u) dropped; "
			      "counted as oversize", rname(d), d->path, n,
			      d->max_payload);
		return;
	}
	ret = hipc_rpmsg_send_nocopy(&d->ept, HIPC_RPMSG_ADDR_ANY, p, n);
	if (ret < 0) {
		/* rpmsg.h says the buffer is still ours only after EINVAL or
		 * EMSGSIZE, but a send refused before it touched the buffer
		 * (an unbound endpoint) leaves it reserved too; giving back
		 * one that went is refused harmlessly. */
		hipc_rpmsg_release_tx(dev, p);
		logf_("%s: %s: send: %s", rname(d), d->path, hipc_strerror(ret));
		return;
	}
	d->tx_msgs++;
	d->tx_bytes += (uint64_t)n;
}

/*
 * Forwards the client's messages to the remote, each read straight into a
 * tx buffer reserved first: without one nothing is read, and the client's
 * own socket buffer is what fills up.  As many buffers as are free (up to
 * RECV_BATCH) are reserved at once and filled by one recvmmsg(): a 32 KiB
 * write of 67 messages costs the daemon a few system calls, not 67, and
 * the messages reach the ring back to back, so the remote is rung once
 * for many of them rather than once for each.
 */
static void created_free(struct epctl *c, struct epdev *d);

static void pump(struct epdev *d)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(d->ctl->r->rp);
	unsigned done = 0;
	bool empty = false;

	d->reading = true;
	while (done < READ_BURST && d->cw.fd >= 0) {
		void *buf[RECV_BATCH];
		struct iovec iov[RECV_BATCH];
		struct mmsghdr mm[RECV_BATCH];
		unsigned nbuf = 0, want = READ_BURST - done, end;
		bool eof = false;
		int got, ret = 0;

		if (!d->bound || !dev || d->hanging_up || d->rd_eof) {
			d->reading = false; /* nothing to read for */
			break;
		}
		if (want > RECV_BATCH)
			want = RECV_BATCH;
		while (nbuf < want) {
			uint32_t room = 0;

			ret = hipc_rpmsg_get_tx_buffer(dev, &buf[nbuf], &room,
						       HIPC_RPMSG_NO_WAIT);
			if (ret < 0)
				break;
			if (room > d->max_payload)
				room = d->max_payload;
			iov[nbuf] = (struct iovec){ buf[nbuf], room };
			memset(&mm[nbuf], 0, sizeof(mm[nbuf]));
			mm[nbuf].msg_hdr.msg_iov = &iov[nbuf];
			mm[nbuf].msg_hdr.msg_iovlen = 1;
			nbuf++;
		}
		if (!nbuf && ret == -HIPC_EAGAIN) {
			/* Not read again until tx_ready(). */
			d->reading = false;
			d->s->want_tx = true;
			d->tx_waits += !d->tx_waiting;
			d->tx_waiting = true;
			break;
		}
		if (!nbuf) {
			/* The device is broken or going: the remote's crash
			 * or stop follows, and with it the hang-up. */
			logf_("%s: %s: no tx buffer: %s", rname(d), d->path,
			      hipc_strerror(ret));
			d->reading = false;
			break;
		}
		d->tx_waiting = false;
		do
			got = recvmmsg(d->cw.fd, mm, nbuf,
				       MSG_DONTWAIT | MSG_TRUNC, NULL);
		while (got < 0 && errno == EINTR);
		if (got < 0) {
			release_all(dev, buf, 0, nbuf);
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				client_close(d);
				return;
			}
			empty = true;
			break;
		}
		/* recv() gives 0 both for an empty message and at the end of
		 * the client's sending side, where every further entry is 0
		 * too: zeros up to the batch's end are the end if the socket
		 * says it is shut (see at_eof()), empty messages if not. */
		end = (unsigned)got;
		while (end && !mm[end - 1].msg_len)
			end--;
		if (end < (unsigned)got && at_eof(d->cw.fd))
			eof = true;
		else
			end = (unsigned)got;
		for (unsigned i = 0; i < end; i++)
			forward(d, dev, buf[i], mm[i].msg_len, iov[i].iov_len);
		release_all(dev, buf, end, nbuf);
		done += (unsigned)got;
		if (eof) {
			d->rd_eof = true;
			break;
		}
		if ((unsigned)got < nbuf) {
			empty = true; /* the socket is empty */
			break;
		}
	}
	/* A client gone while it waited for tx buffers: closed once what it
	 * sent is all forwarded (read to its end, or to an empty socket);
	 * a burst that ends with more to read asks to be called again. */
	if (d->gone) {
		if (d->rd_eof || empty) {
			client_close(d);
			if (d->destroyed)
				created_free(d->ctl, d);
			return;
		}
		if (d->reading) {
			d->reading = false;
			d->s->want_tx = true;
		}
	}
	client_events(d);
}

/*
 * The client hung up (or its socket failed).  What it sent before still
 * goes to the remote, as a write() to rpmsg_char that returned is in the
 * ring: read to its end already, the client is closed now; if the rest
 * waits for tx buffers, the socket is no longer watched (a hung-up socket
 * is reported on every round) and tx_ready() goes on reading it, then
 * closes it.  Replies for it have nobody to go to any more.
 */
static void hung_up(struct epdev *d)
{
	if (d->rd_eof || d->reading || !d->tx_waiting) {
		client_close(d);
		return;
	}
	d->gone = true;
	hipcd_rxq_clear(&d->q);
	(void)epoll_ctl(hipcd_epfd, EPOLL_CTL_DEL, d->cw.fd, NULL);
	d->cw_events = 0;
}

static void on_client(struct hipcd_watch *w, uint32_t events)
{
	struct epdev *d = container_of(w, struct epdev, cw);

	if (d->gone)
		return; /* fetched in the round that unwatched it */
	if ((events & EPOLLOUT) && !(events & EPOLLERR))
		drain(d);
	if (d->cw.fd >= 0 && (events & (EPOLLIN | EPOLLERR)) && d->reading)
		pump(d);
	/* Gone altogether (hung up, or its socket failed): what it sent
	 * still goes (hung_up()).  Only its sending side shut: it still
	 * reads, and rd_eof keeps us from reading. */
	if (d->cw.fd >= 0 && (events & EPOLLERR))
		hung_up(d);
	else if (d->cw.fd >= 0 && (events & EPOLLHUP) &&
		 (d->rd_eof || !d->reading))
		hung_up(d);
}

static void on_listen(struct hipcd_watch *w, uint32_t events)
{
	struct epdev *d = container_of(w, struct epdev, lw);
	bool stopped = false;
	int fd;

	(void)events;
	for (;;) {
		fd = accept4(w->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0 && d->cw.fd >= 0 && !stopped) {
			/* Taken: no more connections from now on (a shut
			 * listener refuses them, ECONNREFUSED, where a
			 * closed one would reset those already queued);
			 * what raced in before is taken and closed. */
			shutdown(w->fd, SHUT_RD);
			stopped = true;
			continue;
		}
		if (fd < 0)
			break;
		if (d->cw.fd >= 0 || !d->bound) {
			/* Raced in before we stopped listening, or the
			 * remote is down: a hang-up at once. */
			d->refused++;
			close(fd);
			continue;
		}
		if (hipcd_watch_add(&d->cw, fd, EPOLLIN, on_client) < 0) {
			close(fd);
			continue;
		}
		d->cw_events = EPOLLIN;
		d->reading = true;
		d->rd_eof = d->hanging_up = false;
		d->clients++;
	}
	/* Taken: a second client is refused at connect() (ECONNREFUSED),
	 * before it can think it got in.  Opened again (a new socket at the
	 * same path) once the client leaves. */
	if (d->cw.fd >= 0)
		close_watch(&d->lw);
}

/* --- the rpmsg side ------------------------------------------------------------ */

static int on_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		 uint32_t src, void *priv)
{
	struct epdev *d = priv;
	int ret;

	(void)ept;
	d->rx_msgs++;
	d->rx_bytes += len;
	if (d->cw.fd < 0 || d->hanging_up || d->gone) {
		/* Nobody to read it: as the kernel's, an endpoint keeps
		 * nothing for a client that is not there (yet, or any
		 * more). */
		d->rx_no_client++;
		return 0;
	}
	if (hipcd_rxq_empty(&d->q)) {
		ssize_t n = send_nb(d->cw.fd, data, len);

		if (n == (ssize_t)len)
			return 0;
		/* EAGAIN: queued.  Anything else: the client is going; its
		 * hang-up arrives as an event and empties the queue. */
	}
	ret = hipcd_rxq_push(&d->q, data, len, src);
	client_events(d);
	return ret;
}

/* The device is going (crash, stop) or the service withdrawn: held rx
 * buffers are copied out while the region is still mapped. */
static void on_unbind(struct hipc_rpmsg_ept *ept)
{
	struct epdev *d = ept->priv;

	/* ept->dev: NULL when the whole device goes (it takes its buffers
	 * back), still set when only the service was withdrawn. */
	unhold(d, ept->dev);
}

static void on_evict(struct hipcd_rxq *q)
{
	struct epdev *d = q->owner;

	logf_("%s: %s: client evicted (stalled the remote)", rname(d),
	      d->path);
	client_close(d);
}

/* Bind @d to the remote's current device at @src (ANY: dynamic). */
static int ep_up(struct epdev *d, uint32_t src, uint32_t dst)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(d->ctl->r->rp);
	int ret;

	if (!dev)
		return -HIPC_ENOTCONN;
	/* A client still collecting what the last device sent keeps it to
	 * the end and its EOF (nothing is dropped); until it has, the new
	 * device's messages find nobody (rx_no_client) and the endpoint
	 * stays taken. */
	memset(&d->ept, 0, sizeof(d->ept));
	/* Automatic endpoints carry the service's name, so the service's
	 * withdrawal unbinds them; created ones none (they outlive
	 * withdrawals, as the kernel's do). */
	ret = hipc_rpmsg_ept_create(&d->ept, dev, d->created ? "" : d->s->name,
				    src, dst, on_rx, d);
	if (ret < 0)
		return ret;
	d->ept.unbind = on_unbind;
	d->bound = true;
	d->src = d->ept.addr;
	d->dst = dst;
	d->max_payload = hipc_rpmsg_max_payload(dev);
	d->s->up = true;
	return 0;
}

/* Unbound: the client gets what is queued, then its hang-up. */
static void ep_down(struct epdev *d)
{
	/* Normally done by on_unbind already; the region may go before the
	 * queue is drained. */
	unhold(d, d->bound ? d->ept.dev : NULL);
	if (d->bound && d->ept.dev)
		hipc_rpmsg_ept_destroy(&d->ept);
	d->bound = false;
	d->s->up = false;
	d->s->want_tx = false;
	if (d->cw.fd < 0)
		return;
	d->hanging_up = true;
	drain(d);
}

static struct epctl *get_ctl(struct remote *r);

static int take_index(struct epctl *c)
{
	for (unsigned i = 0; i < MAX_ENDPOINTS; i++)
		if (!c->used[i]) {
			c->used[i] = 1;
			return (int)i;
		}
	return -ENOSPC;
}

/* A new endpoint device in *@out, listening, not bound yet.  Returns 0 or
 * -errno. */
static int ep_new(struct epctl *c, struct hipcd_svc *s, struct epdev **out)
{
	struct epdev *d = calloc(1, sizeof(*d));
	int idx, ret;

	if (!d)
		return -ENOMEM;
	idx = take_index(c);
	if (idx < 0) {
		free(d);
		return idx;
	}
	d->ctl = c;
	d->s = s ? s : &d->own;
	d->s->index = (unsigned)idx;
	d->lw.fd = d->cw.fd = -1;
	if ((size_t)snprintf(d->path, sizeof(d->path), "%s/rpmsg%d", c->r->dir,
			     idx) >= sizeof(d->path))
		ret = -ENAMETOOLONG;
	else
		ret = open_listener(d);
	if (ret < 0) {
		c->used[idx] = 0;
		free(d);
		return ret;
	}
	snprintf(d->s->path, sizeof(d->s->path), "%s", d->path);
	hipcd_rxq_init(&d->q, c->r, on_evict, d);
	*out = d;
	return 0;
}

/* Removed: path, sockets, queue.  @now: freed at once (outside the loop's
 * round of events), else after it. */
static void ep_free(struct epdev *d, bool now)
{
	if (d->cw.fd >= 0)
		client_close(d);
	if (d->bound && d->ept.dev)
		hipc_rpmsg_ept_destroy(&d->ept);
	d->bound = false;
	close_watch(&d->lw);
	unlink(d->path);
	hipcd_rxq_fini(&d->q);
	d->ctl->used[d->s->index] = 0;
	d->s->path[0] = 0;
	if (now)
		free(d);
	else
		hipcd_defer_free(d);
}

/* --- the kind: services announced as rpmsg-raw / rpmsg_chrdev ------------------ */

static int svc_up(struct hipcd_svc *s)
{
	struct epdev *d = s->priv;
	struct epctl *c = get_ctl(s->r);
	int ret;

	if (!d) {
		if (!c)
			return -HIPC_ENOMEM;
		ret = ep_new(c, s, &d);
		if (ret < 0)
			return ret;
		s->priv = d;
	}
	return ep_up(d, HIPC_RPMSG_ADDR_ANY, s->addr);
}

static void svc_down(struct hipcd_svc *s, bool crashed)
{
	(void)crashed;
	if (s->priv)
		ep_down(s->priv);
}

static void svc_destroy(struct hipcd_svc *s)
{
	/* Normally gone already, with the remote's rpmsg_ctrl. */
	if (s->priv)
		ep_free(s->priv, true);
	s->priv = NULL;
}

static void svc_tx_ready(struct hipcd_svc *s)
{
	struct epdev *d = s->priv;

	if (d && d->cw.fd >= 0 && !d->reading)
		pump(d);
}

static void svc_stats(struct hipcd_svc *s,
		      void (*emit)(void *ctx, const char *key, uint64_t v),
		      void *ctx)
{
	struct epdev *d = s->priv;

	if (!d)
		return;
	emit(ctx, "index", s->index);
	emit(ctx, "src", d->src);
	emit(ctx, "dst", d->dst);
	emit(ctx, "connected", d->cw.fd >= 0);
	emit(ctx, "tx_msgs", d->tx_msgs);
	emit(ctx, "tx_bytes", d->tx_bytes);
	emit(ctx, "rx_msgs", d->rx_msgs);
	emit(ctx, "rx_bytes", d->rx_bytes);
	emit(ctx, "tx_waits", d->tx_waits);
	emit(ctx, "queued_bytes", d->q.bytes);
	emit(ctx, "held", d->q.held);
	emit(ctx, "holds", d->q.holds);
	emit(ctx, "evictions", d->q.evictions);
	emit(ctx, "clients", d->clients);
	emit(ctx, "refused", d->refused);
	emit(ctx, "hangups", d->hangups);
	emit(ctx, "oversize", d->oversize);
	emit(ctx, "rx_no_client", d->rx_no_client);
}

static const char *const epdev_services[] = { "rpmsg-raw", "rpmsg_chrdev",
					      NULL };

const struct hipcd_iface epdev_iface = {
	.kind = "endpoint",
	.services = epdev_services,
	.up = svc_up,
	.down = svc_down,
	.destroy = svc_destroy,
	.tx_ready = svc_tx_ready,
	.stats = svc_stats,
};

/* --- rpmsg_ctrl ---------------------------------------------------------------- */

static struct hipcd_svc *find_service(struct remote *r, const char *name)
{
	for (struct hipcd_svc *s = r->svcs; s; s = s->next)
		if (s->up && !strcmp(s->name, name))
			return s;
	return NULL;
}

/* An endpoint made through rpmsg_ctrl, out of the list and freed. */
static void created_free(struct epctl *c, struct epdev *d)
{
	for (struct hipcd_svc **p = &c->created; *p; p = &(*p)->next)
		if (*p == &d->own) {
			*p = d->own.next;
			break;
		}
	ep_free(d, false);
}

static struct epdev *find_created(struct epctl *c, uint32_t index)
{
	for (struct hipcd_svc *s = c->created; s; s = s->next)
		if (s->index == index && !((struct epdev *)s->priv)->destroyed)
			return s->priv;
	return NULL;
}

static int errno_of(int hipc_err)
{
	/* -HIPC_E* equal -errno (hipc/error.h); src taken reads as
	 * EADDRINUSE, as bind() says it. */
	return hipc_err == -HIPC_EEXIST ? -EADDRINUSE : hipc_err;
}

static void ctl_create(struct epctl *c, const struct hipc_ctrl_req *q,
		       struct hipc_ctrl_rsp *a)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(c->r->rp);
	uint32_t dst = q->dst;
	struct epdev *d;
	int ret;

	if (!c->up || !dev) {
		a->status = -ENOTCONN;
		return;
	}
	if (dst == HIPC_CTRL_ADDR_ANY) {
		struct hipcd_svc *s = find_service(c->r, q->name);

		if (!s) {
			a->status = -ENOENT;
			return;
		}
		dst = s->addr;
	}
	if (q->src != HIPC_CTRL_ADDR_ANY &&
	    hipc_rpmsg_lookup(dev, q->src)) {
		a->status = -EADDRINUSE;
		return;
	}
	ret = ep_new(c, NULL, &d);
	if (ret < 0) {
		a->status = ret;
		return;
	}
	d->created = true;
	d->fixed_src = q->src != HIPC_CTRL_ADDR_ANY;
	d->own.r = c->r;
	d->own.kind = &epdev_iface;
	d->own.priv = d;
	/* Listed under the name it was created with ("-": none). */
	snprintf(d->own.name, sizeof(d->own.name), "%s",
		 q->name[0] ? q->name : "-");
	ret = ep_up(d, q->src, dst);
	if (ret < 0) {
		ep_free(d, false);
		a->status = errno_of(ret);
		return;
	}
	d->own.addr = dst;
	d->own.next = c->created;
	c->created = &d->own;
	a->index = d->own.index;
	a->src = d->src;
	a->dst = dst;
	a->max_payload = d->max_payload;
	logf_("%s: %s created (src 0x%x, dst 0x%x)", c->r->rc.name, d->path,
	      (unsigned)d->src, (unsigned)dst);
}

static void ctl_destroy(struct epctl *c, const struct hipc_ctrl_req *q,
			struct hipc_ctrl_rsp *a)
{
	struct epdev *d = find_created(c, q->index);

	if (!d) {
		/* An announced service's endpoint is not the client's to
		 * remove: it goes with the service. */
		a->status = q->index < MAX_ENDPOINTS && c->used[q->index]
				    ? -EPERM
				    : -ENOENT;
		return;
	}
	a->index = d->own.index;
	a->src = d->src;
	a->dst = d->dst;
	logf_("%s: %s destroyed", c->r->rc.name, d->path);
	if (d->gone) {
		/* Its client closed with messages still waiting for tx
		 * buffers (hipc_rpmsg_char_close() closes, then destroys):
		 * they go first, and the endpoint is freed when they are
		 * through (pump()).  Nobody can connect meanwhile. */
		d->destroyed = true;
		close_watch(&d->lw);
		unlink(d->path);
		d->s->path[0] = 0;
		return;
	}
	created_free(c, d);
}

static void ctl_lookup(struct epctl *c, const struct hipc_ctrl_req *q,
		       struct hipc_ctrl_rsp *a)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(c->r->rp);
	struct hipcd_svc *s;

	if (!c->up || !dev) {
		a->status = -ENOTCONN;
		return;
	}
	s = find_service(c->r, q->name);
	if (!s) {
		a->status = -ENOENT;
		return;
	}
	a->dst = s->addr;
	a->max_payload = hipc_rpmsg_max_payload(dev);
	if (s->kind == &epdev_iface && s->priv) {
		struct epdev *d = s->priv;

		a->index = s->index;
		a->src = d->src;
	}
}

static void ctl_request(struct epctl *c, const void *buf, ssize_t n,
			struct hipc_ctrl_rsp *a)
{
	struct hipc_ctrl_req q;

	memset(a, 0, sizeof(*a));
	a->index = a->src = a->dst = HIPC_CTRL_ADDR_ANY;
	if (n != (ssize_t)sizeof(q)) {
		a->status = -EINVAL;
		return;
	}
	memcpy(&q, buf, sizeof(q));
	if (!memchr(q.name, 0, sizeof(q.name))) {
		a->status = -EINVAL;
		return;
	}
	switch (q.op) {
	case HIPC_CTRL_CREATE:
		ctl_create(c, &q, a);
		break;
	case HIPC_CTRL_DESTROY:
		ctl_destroy(c, &q, a);
		break;
	case HIPC_CTRL_LOOKUP:
		ctl_lookup(c, &q, a);
		break;
	default:
		a->status = -EINVAL;
	}
}

static void conn_close(struct ctlconn *k, bool now)
{
	struct epctl *c = k->ctl;

	for (struct ctlconn **p = &c->conns; *p; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	c->nconns--;
	close_watch(&k->w);
	if (now)
		free(k);
	else
		hipcd_defer_free(k);
}

/*
 * Every endpoint of @c's remote whose client has closed is made free now,
 * not when the loop gets to that client's hang-up.  Run before each batch
 * of rpmsg_ctrl requests, so that a round trip there orders after a close:
 * a client that closed an endpoint and whose connect() to it at once was
 * refused (ECONNREFUSED) can tell, after one request, a stale refusal from
 * another client holding it.
 */
static void sweep(struct epctl *c)
{
	struct pollfd p[MAX_ENDPOINTS];
	struct epdev *d[MAX_ENDPOINTS];
	unsigned n = 0;

	for (struct hipcd_svc *s = c->r->svcs; s && n < MAX_ENDPOINTS;
	     s = s->next)
		if (s->kind == &epdev_iface && s->priv &&
		    ((struct epdev *)s->priv)->cw.fd >= 0)
			d[n++] = s->priv;
	for (struct hipcd_svc *s = c->created; s && n < MAX_ENDPOINTS;
	     s = s->next)
		if (((struct epdev *)s->priv)->cw.fd >= 0)
			d[n++] = s->priv;
	for (unsigned i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = d[i]->cw.fd, .events = POLLIN };
	if (!n || poll(p, n, 0) <= 0)
		return;
	for (unsigned i = 0; i < n; i++)
		if (p[i].revents & (POLLHUP | POLLERR))
			on_client(&d[i]->cw,
				  (p[i].revents & POLLERR ? EPOLLERR : 0) |
					  EPOLLIN | EPOLLHUP);
}

static void on_ctl_conn(struct hipcd_watch *w, uint32_t events)
{
	struct ctlconn *k = container_of(w, struct ctlconn, w);

	sweep(k->ctl);

	for (unsigned i = 0; i < READ_BURST; i++) {
		/* One byte more than a request: a long one is seen as long
		 * (MSG_TRUNC gives its real length anyway). */
		unsigned char buf[sizeof(struct hipc_ctrl_req) + 1];
		struct hipc_ctrl_rsp a;
		ssize_t n;

		do
			n = recv(w->fd, buf, sizeof(buf),
				 MSG_DONTWAIT | MSG_TRUNC);
		while (n < 0 && errno == EINTR);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 || (n == 0 && at_eof(w->fd))) {
			conn_close(k, false);
			return;
		}
		ctl_request(k->ctl, buf, n, &a);
		/* A client that does not read its answers loses its
		 * connection rather than our loop's time. */
		if (send_nb(w->fd, &a, sizeof(a)) != (ssize_t)sizeof(a)) {
			conn_close(k, false);
			return;
		}
	}
	(void)events;
}

static void on_ctl_listen(struct hipcd_watch *w, uint32_t events)
{
	struct epctl *c = container_of(w, struct epctl, lw);
	int fd;

	(void)events;
	while ((fd = accept4(w->fd, NULL, NULL,
			     SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		struct ctlconn *k = c->nconns < MAX_CTRL_CONNS
					    ? calloc(1, sizeof(*k))
					    : NULL;

		if (!k || hipcd_watch_add(&k->w, fd, EPOLLIN, on_ctl_conn) < 0) {
			free(k);
			close(fd);
			continue;
		}
		k->ctl = c;
		k->next = c->conns;
		c->conns = k;
		c->nconns++;
	}
}

/* @r's rpmsg_ctrl, made on first use.  NULL (logged) if it cannot be. */
static struct epctl *get_ctl(struct remote *r)
{
	unsigned i = (unsigned)(r - remotes);
	struct epctl *c;
	int fd;

	if (i >= MAX_REMOTES)
		abort(); /* not one of ours: our bug */
	if (ctls[i])
		return ctls[i];
	if (hipcd_make_dir(r) < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c) {
		logf_("%s: rpmsg_ctrl: out of memory", r->rc.name);
		return NULL;
	}
	c->r = r;
	c->lw.fd = -1;
	if ((size_t)snprintf(c->path, sizeof(c->path), "%s/rpmsg_ctrl",
			     r->dir) >= sizeof(c->path)) {
		fd = -ENAMETOOLONG;
	} else {
		fd = listen_at(r, c->path);
	}
	if (fd < 0 || hipcd_watch_add(&c->lw, fd, EPOLLIN, on_ctl_listen) < 0) {
		logf_("%s: %s: %s", r->rc.name, c->path,
		      strerror(fd < 0 ? -fd : errno));
		if (fd >= 0)
			close(fd);
		free(c);
		return NULL;
	}
	ctls[i] = c;
	return c;
}

static struct epctl *ctl_of(struct remote *r)
{
	unsigned i = (unsigned)(r - remotes);

	return i < MAX_REMOTES ? ctls[i] : NULL;
}

/* --- the remote's life (called from iface.c) ------------------------------------ */

void epdev_remote_up(struct remote *r)
{
	struct epctl *c = get_ctl(r);

	if (!c)
		return;
	c->up = true;
	/* Explicit addresses first, so a dynamic one cannot take them. */
	for (int pass = 0; pass < 2; pass++)
		for (struct hipcd_svc *s = c->created; s; s = s->next) {
			struct epdev *d = s->priv;
			int ret;

			if (d->bound || d->fixed_src != (pass == 0))
				continue;
			ret = ep_up(d, d->fixed_src ? d->src
						    : HIPC_RPMSG_ADDR_ANY,
				    d->dst);
			if (ret < 0)
				logf_("%s: %s: not made again: %s", r->rc.name,
				      d->path, hipc_strerror(ret));
		}
}

void epdev_remote_down(struct remote *r)
{
	struct epctl *c = ctl_of(r);

	if (!c)
		return;
	c->up = false;
	for (struct hipcd_svc *s = c->created; s; s = s->next)
		ep_down(s->priv);
}

bool epdev_tx_ready(struct remote *r)
{
	struct epctl *c = ctl_of(r);
	bool waiting = false;

	if (!c)
		return false;
	for (struct hipcd_svc *s = c->created; s; s = s->next) {
		if (!s->want_tx)
			continue;
		s->want_tx = false;
		if (s->up)
			svc_tx_ready(s);
		waiting |= s->want_tx;
	}
	return waiting;
}

struct hipcd_svc *epdev_created(struct remote *r)
{
	struct epctl *c = ctl_of(r);

	return c ? c->created : NULL;
}

void epdev_remote_free(struct remote *r)
{
	struct epctl *c = ctl_of(r);

	if (!c)
		return;
	/* From reap(), between the loop's rounds: no event is pending for
	 * anything freed here. */
	while (c->created) {
		struct epdev *d = c->created->priv;

		c->created = d->own.next;
		ep_free(d, true);
	}
	for (struct hipcd_svc *s = r->svcs; s; s = s->next)
		if (s->kind == &epdev_iface && s->priv) {
			ep_free(s->priv, true);
			s->priv = NULL;
		}
	while (c->conns)
		conn_close(c->conns, true);
	close_watch(&c->lw);
	unlink(c->path);
	ctls[r - remotes] = NULL;
	free(c);
}
