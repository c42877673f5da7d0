// SPDX-License-Identifier: BSD-3-Clause
/*
 * Big buffers through hipcd (hipc/bigbuf_client.h).  Each call that asks
 * the daemon something sends one request and waits for its reply; the
 * events that arrive meanwhile (buffers lent, notices, service messages)
 * are kept in order for hipc_bbc_next().  The daemon is the authority on
 * what is lent; its answers are still checked before a pointer is made
 * from them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hipc/bigbuf_client.h"
#include "hipc/error.h"
#include "hipc/sim.h"
#include "port_linux_internal.h"

#define MAX_IN 4096u /* > any message from the daemon */

struct ev_node {
	struct ev_node *next;
	size_t len;
	unsigned char data[];
};

struct hipc_bbc {
	int fd;
	uint32_t seq;
	bool reset;           /* the daemon hung up */
	struct hipc_bbc_info info;
	uint64_t data_off;
	struct ev_node *head, **tail;
	struct ev_node *last; /* the MSG handed out last */
	unsigned char in[MAX_IN];
};

static int err_now(void)
{
	return hipc__from_errno(errno);
}

/* The daemon's status as an hipc code (-errno values are the same). */
static int status_of(int32_t st)
{
	if (st > 0 || st < -4095)
		return -HIPC_EPROTO;
	return st ? hipc__from_errno(-st) : 0;
}

static int queue_ev(struct hipc_bbc *c, const void *data, size_t len)
{
	struct ev_node *e = malloc(sizeof(*e) + len);

	if (!e)
		return -HIPC_ENOMEM;
	e->next = NULL;
	e->len = len;
	memcpy(e->data, data, len);
	*c->tail = e;
	c->tail = &e->next;
	return 0;
}

/* One message from the daemon into c->in.  Returns its length, 0 for the
 * end of the connection, or an error. */
static ssize_t get_one(struct hipc_bbc *c, int flags)
{
	ssize_t n;

	do
		n = recv(c->fd, c->in, sizeof(c->in), flags);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		c->reset = true;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? -HIPC_EAGAIN
							       : err_now();
	return n;
}

/* Waits for @events on the connection, whatever its descriptor's flags
 * (an event loop may have set O_NONBLOCK on it). */
static void wait_fd(struct hipc_bbc *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };

	(void)poll(&p, 1, -1);
}

/*
 * @len bytes of request to the daemon, in one message.  While the socket
 * is full, what the daemon sends is taken into the event queue: the
 * daemon stops reading a client that does not read (its replies and
 * events would queue without bound), so a client that only wrote would
 * wait for it for ever.  A request without an answer (@nowait) on a
 * descriptor made non-blocking is not waited for: -HIPC_EAGAIN once
 * there is neither room nor anything to take in.
 */
static int send_req(struct hipc_bbc *c, const void *req, size_t len,
		    bool nowait)
{
	ssize_t n;
	int ret;

	for (;;) {
		n = send(c->fd, req, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return n == (ssize_t)len ? 0 : -HIPC_EIO;
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return -HIPC_ECONNRESET;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return err_now();
		n = get_one(c, MSG_DONTWAIT);
		if (n == 0)
			return -HIPC_ECONNRESET;
		if (n == -HIPC_EAGAIN) {
			if (nowait && (fcntl(c->fd, F_GETFL) & O_NONBLOCK))
				return -HIPC_EAGAIN;
			wait_fd(c, POLLIN | POLLOUT);
			continue;
		}
		if (n < 0)
			return (int)n;
		ret = queue_ev(c, c->in, (size_t)n);
		if (ret < 0)
			return ret;
	}
}

/* @len bytes of request, then its reply into *@r (and @extra_len more
 * bytes into @extra).  Returns the reply's status or a transport error. */
static int call(struct hipc_bbc *c, const void *req, size_t len, uint32_t seq,
		struct hipc_bbc_msg *r, void *extra, size_t extra_len)
{
	ssize_t n;
	int ret;

	if (c->reset)
		return -HIPC_ECONNRESET;
	ret = send_req(c, req, len, false);
	if (ret < 0)
		return ret;
	for (;;) {
		n = get_one(c, MSG_DONTWAIT);
		if (n == 0)
			return -HIPC_ECONNRESET;
		if (n == -HIPC_EAGAIN) {
			wait_fd(c, POLLIN);
			continue;
		}
		if (n < 0)
			return (int)n;
		if ((size_t)n < sizeof(uint32_t))
			return -HIPC_EPROTO;
		memcpy(r, c->in, (size_t)n < sizeof(*r) ? (size_t)n : sizeof(*r));
		if (r->op != HIPC_BBC_EV_REPLY) {
			ret = queue_ev(c, c->in, (size_t)n);
			if (ret < 0)
				return ret;
			continue;
		}
		if (r->seq != seq && (size_t)n == sizeof(*r) && r->status) {
			/* A pipelined request's refusal: an event. */
			ret = queue_ev(c, c->in, (size_t)n);
			if (ret < 0)
				return ret;
			continue;
		}
		if ((size_t)n != sizeof(*r) + extra_len || r->seq != seq)
			return -HIPC_EPROTO;
		if (extra_len)
			memcpy(extra, c->in + sizeof(*r), extra_len);
		return status_of(r->status);
	}
}

static int call_msg(struct hipc_bbc *c, struct hipc_bbc_msg *q,
		    struct hipc_bbc_msg *r)
{
	q->seq = ++c->seq;
	return call(c, q, sizeof(*q), q->seq, r, NULL, 0);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -HIPC_ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_now();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = errno == ENOENT ? -HIPC_ENOENT : err_now();
		close(fd);
		return ret;
	}
	return fd;
}

/* OPEN's reply, with the memfd. */
static int open_reply(struct hipc_bbc *c, uint32_t seq, struct hipc_bbc_msg *r,
		      int *mfd)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = { c->in, sizeof(c->in) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf),
	};
	ssize_t n;

	*mfd = -1;
	do
		n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_now();
	if (n == 0)
		return -HIPC_ECONNRESET;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm;
	     cm = CMSG_NXTHDR(&mh, cm)) {
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (*mfd < 0)
				*mfd = fd;
			else
				close(fd);
		}
	}
	if ((size_t)n != sizeof(*r))
		return -HIPC_EPROTO;
	memcpy(r, c->in, sizeof(*r));
	if (r->op != HIPC_BBC_EV_REPLY || r->seq != seq)
		return -HIPC_EPROTO;
	return status_of(r->status);
}

int hipc_bbc_open(struct hipc_bbc **out, const char *run_dir,
		  const char *remote, const char *service, const char *pool)
{
	struct hipc_bbc_msg q, r;
	char dir[200], path[320];
	struct hipc_bbc *c;
	int ret, mfd = -1;
	void *base;
	ssize_t n;

	if (!out || !remote || !*remote || strchr(remote, '/') || !service ||
	    !pool || strlen(service) >= sizeof(q.service) ||
	    strlen(pool) >= sizeof(q.pool))
		return -HIPC_EINVAL;
	if (!run_dir) {
		/* Not ours when we use it as a member of the remote's
		 * group: the daemon's permissions protect it. */
		ret = hipc_sim_run_dir(dir, sizeof(dir), 0);
		if (ret && ret != -HIPC_EPERM)
			return ret;
		run_dir = dir;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/bigbuf", run_dir,
			     remote) >= sizeof(path))
		return -HIPC_ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -HIPC_ENOMEM;
	c->tail = &c->head;
	c->fd = connect_to(path);
	if (c->fd < 0) {
		ret = c->fd;
		goto free_c;
	}
	memset(&q, 0, sizeof(q));
	q.op = HIPC_BBC_OPEN;
	q.seq = ++c->seq;
	memcpy(q.service, service, strlen(service));
	memcpy(q.pool, pool, strlen(pool));
	do
		n = send(c->fd, &q, sizeof(q), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(q)) {
		/* EPIPE: the daemon let go of the connection (the remote
		 * went down meanwhile) */
		ret = n >= 0 ? -HIPC_EIO : errno == EPIPE ? -HIPC_ECONNRESET
							  : err_now();
		goto close_fd;
	}
	ret = open_reply(c, q.seq, &r, &mfd);
	if (ret < 0)
		goto close_mfd;
	/* What the daemon says is checked before anything is made of it. */
	if (mfd < 0 || !r.count || r.host_count > r.count || !r.buf_size ||
	    r.region_size > SIZE_MAX || r.data_off > r.region_size ||
	    (uint64_t)r.count * r.buf_size > r.region_size - r.data_off) {
		ret = -HIPC_EPROTO;
		goto close_mfd;
	}
	base = mmap(NULL, (size_t)r.region_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, mfd, 0);
	if (base == MAP_FAILED) {
		ret = err_now();
		goto close_mfd;
	}
	close(mfd);
	c->data_off = r.data_off;
	c->info.pool_id = r.pool_id;
	c->info.count = r.count;
	c->info.host_count = r.host_count;
	c->info.buf_size = r.buf_size;
	c->info.max_payload = r.max_payload;
	c->info.base = base;
	c->info.region_size = r.region_size;
	*out = c;
	return 0;
close_mfd:
	if (mfd >= 0)
		close(mfd);
close_fd:
	close(c->fd);
free_c:
	free(c);
	return ret;
}

void hipc_bbc_close(struct hipc_bbc *c)
{
	struct ev_node *e;

	if (!c)
		return;
	if (c->info.base)
		munmap(c->info.base, (size_t)c->info.region_size);
	close(c->fd);
	while ((e = c->head)) {
		c->head = e->next;
		free(e);
	}
	free(c->last);
	free(c);
}

int hipc_bbc_fd(const struct hipc_bbc *c)
{
	return c->fd;
}

void hipc_bbc_get_info(const struct hipc_bbc *c, struct hipc_bbc_info *info)
{
	*info = c->info;
}

static uint8_t *buf_at(const struct hipc_bbc *c, uint32_t index)
{
	return c->info.base + c->data_off + (uint64_t)index * c->info.buf_size;
}

int hipc_bbc_alloc(struct hipc_bbc *c, void **data, uint32_t *generation)
{
	struct hipc_bbc_msg q, r;
	int ret;

	memset(&q, 0, sizeof(q));
	q.op = HIPC_BBC_ALLOC;
	ret = call_msg(c, &q, &r);
	if (ret < 0)
		return ret;
	if (r.index >= c->info.host_count)
		return -HIPC_EPROTO;
	if (data)
		*data = buf_at(c, r.index);
	if (generation)
		*generation = r.generation;
	return (int)r.index;
}

static int buf_op(struct hipc_bbc *c, uint32_t op, uint32_t index,
		  uint32_t generation, uint32_t offset, uint32_t length,
		  uint32_t flags)
{
	struct hipc_bbc_msg q, r;

	memset(&q, 0, sizeof(q));
	q.op = op;
	q.index = index;
	q.generation = generation;
	q.offset = offset;
	q.length = length;
	q.flags = flags;
	return call_msg(c, &q, &r);
}

int hipc_bbc_send(struct hipc_bbc *c, uint32_t index, uint32_t generation,
		  uint32_t offset, uint32_t length, uint32_t flags)
{
	return buf_op(c, HIPC_BBC_SEND, index, generation, offset, length,
		      flags);
}

/* A request sent without waiting for its reply. */
static int buf_op_nowait(struct hipc_bbc *c, uint32_t op, uint32_t index,
			 uint32_t generation, uint32_t offset, uint32_t length,
			 uint32_t flags)
{
	struct hipc_bbc_msg q;

	if (c->reset)
		return -HIPC_ECONNRESET;
	memset(&q, 0, sizeof(q));
	q.op = op | HIPC_BBC_NOREPLY;
	q.seq = ++c->seq;
	q.index = index;
	q.generation = generation;
	q.offset = offset;
	q.length = length;
	q.flags = flags;
	return send_req(c, &q, sizeof(q), true);
}

int hipc_bbc_send_nowait(struct hipc_bbc *c, uint32_t index,
			 uint32_t generation, uint32_t offset, uint32_t length,
			 uint32_t flags)
{
	return buf_op_nowait(c, HIPC_BBC_SEND, index, generation, offset,
			     length, flags);
}

int hipc_bbc_release_nowait(struct hipc_bbc *c, uint32_t index,
			    uint32_t generation, uint32_t consumed)
{
	return buf_op_nowait(c, HIPC_BBC_RELEASE, index, generation, 0,
			     consumed, 0);
}

int hipc_bbc_free(struct hipc_bbc *c, uint32_t index, uint32_t generation)
{
	return buf_op(c, HIPC_BBC_FREE, index, generation, 0, 0, 0);
}

int hipc_bbc_release(struct hipc_bbc *c, uint32_t index, uint32_t generation,
		     uint32_t consumed)
{
	return buf_op(c, HIPC_BBC_RELEASE, index, generation, 0, consumed, 0);
}

int hipc_bbc_send_msg(struct hipc_bbc *c, const void *data, size_t len)
{
	unsigned char req[MAX_IN];
	struct hipc_bbc_msg r;
	uint32_t head[2];

	if (len > c->info.max_payload || len > sizeof(req) - HIPC_BBC_HEAD)
		return -HIPC_EMSGSIZE;
	head[0] = HIPC_BBC_MSG;
	head[1] = ++c->seq;
	memcpy(req, head, sizeof(head));
	memcpy(req + HIPC_BBC_HEAD, data, len);
	return call(c, req, HIPC_BBC_HEAD + len, head[1], &r, NULL, 0);
}

int hipc_bbc_get_stats(struct hipc_bbc *c, struct hipc_bbc_stats *st)
{
	struct hipc_bbc_msg q, r;

	memset(&q, 0, sizeof(q));
	q.op = HIPC_BBC_STATS;
	q.seq = ++c->seq;
	return call(c, &q, sizeof(q), q.seq, &r, st, sizeof(*st));
}

/* An event's raw message (@d, @len) into @ev; -HIPC_EPROTO if it makes
 * no sense. */
static int to_event(struct hipc_bbc *c, struct ev_node *node,
		    const unsigned char *d, size_t len,
		    struct hipc_bbc_event *ev)
{
	struct hipc_bbc_msg m;
	uint32_t op;

	memset(ev, 0, sizeof(*ev));
	if (len < HIPC_BBC_HEAD)
		return -HIPC_EPROTO;
	memcpy(&op, d, 4);
	if (op == HIPC_BBC_EV_MSG) {
		ev->type = op;
		ev->length = (uint32_t)(len - HIPC_BBC_HEAD);
		ev->data = node ? node->data + HIPC_BBC_HEAD : NULL;
		return 0;
	}
	if (len != sizeof(m))
		return -HIPC_EPROTO;
	memcpy(&m, d, sizeof(m));
	ev->type = m.op;
	ev->status = m.status;
	ev->index = m.index;
	ev->generation = m.generation;
	ev->length = m.length;
	ev->flags = m.flags;
	switch (m.op) {
	case HIPC_BBC_EV_RX:
		if (m.index < c->info.host_count || m.index >= c->info.count ||
		    m.offset > c->info.buf_size ||
		    m.length > c->info.buf_size - m.offset)
			return -HIPC_EPROTO;
		ev->data = buf_at(c, m.index) + m.offset;
		return 0;
	case HIPC_BBC_EV_RET:
		return m.index < c->info.host_count ? 0 : -HIPC_EPROTO;
	case HIPC_BBC_EV_REPLY:
		return m.status < 0 ? 0 : -HIPC_EPROTO; /* a refusal */
	default:
		return -HIPC_EPROTO;
	}
}

int hipc_bbc_next(struct hipc_bbc *c, struct hipc_bbc_event *ev)
{
	struct ev_node *e;
	ssize_t n;
	int ret;

	free(c->last);
	c->last = NULL;
	e = c->head;
	if (e) {
		c->head = e->next;
		if (!c->head)
			c->tail = &c->head;
		/* kept until the next call: a MSG's data points into it */
		c->last = e;
		ret = to_event(c, e, e->data, e->len, ev);
		return ret < 0 ? ret : 1;
	}
	if (c->reset)
		return -HIPC_ECONNRESET;
	n = get_one(c, MSG_DONTWAIT);
	if (n == 0)
		return -HIPC_ECONNRESET;
	if (n < 0)
		return (int)n;
	/* Through the queue, so that a MSG's bytes outlive c->in. */
	ret = queue_ev(c, c->in, (size_t)n);
	if (ret < 0)
		return ret;
	return hipc_bbc_next(c, ev);
}
