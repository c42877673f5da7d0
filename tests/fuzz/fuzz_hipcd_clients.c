/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the socket protocols hipcd speaks to its clients:
 * the endpoint-device control socket rpmsg_ctrl (struct hipc_ctrl_req,
 * tools/hipcd/epdev.c), the endpoint sockets rpmsgN (epdev.c) and the
 * message sockets (tools/hipcd/msgsock.c), with the receive queues of
 * rxq.c behind them.  Those files are linked as hipcd links them; this
 * file stands in for the rest of the daemon: the epoll loop and its watch
 * registry (as hipcd.c's), the announcements routed to the interface kinds
 * (as iface.c's iface_ns()), and the remote: an rpmsg device pair over one
 * region between guard pages, whose remote side echoes what it gets,
 * announces services and sends to any address the input says.
 *
 * The input is a script of what clients do (connect, requests of any
 * length and content on rpmsg_ctrl, messages of any length on endpoint and
 * message sockets, with descriptors attached, reads, half-closes and
 * closes), what the remote does (send to an address, announce or withdraw
 * a name) and rounds of the loop.  Besides "no crash" (ASan, UBSan):
 * - every rpmsg_ctrl answer is one whole struct hipc_ctrl_rsp whose status
 *   is 0 or a negative errno, and a CREATE that succeeded names an
 *   endpoint whose socket exists;
 * - a message read from an endpoint socket is at most max_payload bytes;
 * - once the clients are gone the daemon's side goes quiet within a
 *   bounded number of loop rounds (nothing spins);
 * - everything is let go of when the remote is: no descriptor leaks
 *   (close-on-exec descriptors counted) and the rpmsg_ctrl path is gone.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "hipc/rpmsg_char.h"
#define FUZZ_COUNT_FDS
#include "fuzz_input.h"

#define FUZZ_TARGET "fuzz_hipcd_clients"

#define SLOTS 4

#include "fuzz_hipcd.h"

/* --- the remote ------------------------------------------------------------ */

static struct hipc_rpmsg_ept raw, sock, extra;
static bool extra_up;

static int echo(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t src,
		void *p)
{
	(void)p;
	(void)hipc_rpmsg_trysendto(e, d, l, src);
	return 0;
}

/* iface.c's routing of an announcement to a kind of interface. */
static void on_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	struct remote *r = &remotes[0];
	const struct hipcd_iface *kind;
	struct hipcd_svc *s, **tail;
	unsigned index = 0;
	int ret;

	(void)dev, (void)priv;
	CHECK(strlen(name) < 32);
	for (s = r->svcs; s; s = s->next)
		if (!strcmp(s->name, name))
			break;
	if (destroyed) {
		if (s && s->up) {
			s->up = false;
			if (s->kind)
				s->kind->down(s, false);
		}
		return;
	}
	if (!s) {
		if (!strcmp(name, "rpmsg-raw") || !strcmp(name, "rpmsg_chrdev"))
			kind = &epdev_iface;
		else if (!strncmp(name, "rpmsg-tty", 9) ||
			 !strcmp(name, "rpmsg-net"))
			kind = NULL; /* other kinds: not this target's */
		else
			kind = &hipcd_iface_socket;
		s = calloc(1, sizeof(*s));
		CHECK(s);
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->r = r;
		s->kind = kind;
		for (tail = &r->svcs; *tail; tail = &(*tail)->next)
			if ((*tail)->kind == kind)
				index++;
		s->index = index;
		*tail = s;
	} else if (s->up) {
		s->up = false;
		if (s->kind)
			s->kind->down(s, false);
	}
	s->addr = addr;
	s->up = true;
	if (!s->kind || hipcd_make_dir(r) < 0)
		return;
	ret = s->kind->up(s);
	if (ret < 0)
		s->up = false;
}

static void devices_init(void)
{
	pair_init(on_ns);
	CHECK(!hipc_rpmsg_ept_create(&raw, &R.dev, "rpmsg-raw", 1024,
				     HIPC_RPMSG_ADDR_ANY, echo, NULL));
	CHECK(!hipc_rpmsg_ept_create(&sock, &R.dev, "echo-sock", 1025,
				     HIPC_RPMSG_ADDR_ANY, echo, NULL));
	extra_up = false;
	pair_start();
}

/* A round of the loop, after the devices: iface_tx_ready(), then the
 * endpoint devices'. */
static void tx_ready(struct remote *r)
{
	for (struct hipcd_svc *s = r->svcs; s; s = s->next) {
		if (!s->want_tx)
			continue;
		s->want_tx = false;
		if (s->up && s->kind && s->kind->tx_ready)
			s->kind->tx_ready(s);
	}
	(void)epdev_tx_ready(r);
}

/* --- clients ------------------------------------------------------------------ */

enum { K_CTL, K_EP, K_MS, K_N };
static int cl[K_N][SLOTS];
static uint32_t created_src[8];

static void client_close(int kind, unsigned i)
{
	if (cl[kind][i] >= 0)
		close(cl[kind][i]);
	cl[kind][i] = -1;
}

static void client_connect(int kind, unsigned i, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	client_close(kind, i);
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >=
	    (int)sizeof(sa.sun_path))
		return;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return;
	}
	cl[kind][i] = fd;
	rounds(2); /* accepted */
}

static uint32_t pick_addr(struct in *in)
{
	uint32_t k = get8(in);

	switch (k % 6) {
	case 0: return HIPC_CTRL_ADDR_ANY;
	case 1: return 1024 + (k >> 3);
	case 2: return 1025;
	case 3: return created_src[(k >> 3) % 8];
	case 4: return k >> 3;
	default: return get32(in);
	}
}

static const char *const names[] = { "rpmsg-raw", "echo-sock", "nope", "",
				     "rpmsg-tty", "x/../y", "rpmsg_chrdev",
				     "0123456789012345678901234567890" };

static void ctl_request(struct in *in, unsigned i)
{
	uint8_t buf[80];
	struct hipc_ctrl_req q;
	struct hipc_ctrl_rsp a;
	uint32_t k = get8(in);
	size_t len = sizeof(q);
	ssize_t n;

	memset(&q, 0, sizeof(q));
	q.op = k & 0x80 ? get32(in) : 1 + k % 4;
	if (k & 0x40)
		for (size_t j = 0; j < sizeof(q.name); j++)
			q.name[j] = (char)get8(in);
	else
		snprintf(q.name, sizeof(q.name), "%s", names[(k >> 2) % 8]);
	q.src = pick_addr(in);
	q.dst = pick_addr(in);
	q.index = get8(in);
	if (q.index >= 0xF0)
		q.index = get32(in);
	memcpy(buf, &q, sizeof(q));
	k = get8(in);
	if (k & 0x80) /* not a request's length */
		len = k % sizeof(buf);
	memset(buf + sizeof(q), (int)k, sizeof(buf) - sizeof(q));
	if (cl[K_CTL][i] < 0 || send(cl[K_CTL][i], buf, len, MSG_NOSIGNAL) < 0)
		return;
	rounds(4);
	n = recv(cl[K_CTL][i], &a, sizeof(a) + 1, MSG_DONTWAIT);
	if (n < 0)
		return;
	CHECK(n == (ssize_t)sizeof(a));
#ifdef FUZZ_TRACE
	fprintf(stderr, "ctl op %u -> status %d index %u src 0x%x dst 0x%x\n",
		q.op, a.status, a.index, a.src, a.dst);
#endif
	CHECK(a.status <= 0 && a.status > -4096);
	if (a.status == 0 && q.op == HIPC_CTRL_CREATE && len == sizeof(q)) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/rpmsg%u", remotes[0].dir,
			 a.index);
		CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
		created_src[a.index % 8] = a.src;
	}
}

static void client_send(struct in *in, int kind, unsigned i)
{
	static uint8_t buf[4096];
	union fd_cmsg cb;
	struct iovec iov = { buf, 0 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	uint32_t k = get8(in);
	int efd = -1;

	iov.iov_len = get16(in) % (kind == K_EP ? 700 : sizeof(buf));
	for (size_t j = 0; j < iov.iov_len; j++)
		buf[j] = (uint8_t)(k & 1 ? get8(in) : j);
	if (k & 2) /* never passed on */
		efd = fd_along(&mh, &cb);
	if (cl[kind][i] >= 0)
		(void)sendmsg(cl[kind][i], &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (efd >= 0)
		close(efd);
	rounds(4);
}

static void client_recv(int kind, unsigned i)
{
	static uint8_t buf[1 << 16];
	ssize_t n;

	if (cl[kind][i] < 0)
		return;
	n = recv(cl[kind][i], buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
#ifdef FUZZ_TRACE
	fprintf(stderr, "recv kind %d slot %u: %zd\n", kind, i, n);
#endif
	if (kind == K_EP && n > 0)
		CHECK((size_t)n <= hipc_rpmsg_max_payload(&D.dev));
	rounds(2);
}

static void remote_op(struct in *in, uint32_t op)
{
	static uint8_t buf[BUF];
	uint32_t len = get16(in) % BUF;

	if (op & 0x10) {
		/* announce or withdraw a name at an address */
		if (extra_up) {
			hipc_rpmsg_ept_destroy(&extra);
			extra_up = false;
		} else {
			extra_up = !hipc_rpmsg_ept_create(
				&extra, &R.dev, names[(op >> 5) % 8],
				1100 + len % 64, HIPC_RPMSG_ADDR_ANY, echo, NULL);
		}
	} else {
		memset(buf, (int)op, len);
		(void)hipc_rpmsg_trysendto(op & 0x20 ? &sock : &raw, buf, len,
					   pick_addr(in));
	}
	rounds(4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int base = -1;
	struct remote *r;
	struct in in = { data, size, 0 };
	char path[PATH_MAX + 16];

	if (hipcd_epfd < 0)
		hipcd_once();
	if (base < 0)
		base = fuzz_count_fds();
	r = remote_reset();
	r->rc.queue_kb = get8(&in) % 8;
	r->rc.stall_ms = 2000;
	memset(cl, -1, sizeof(cl));
	memset(created_src, 0, sizeof(created_src));
	up = true;
	devices_init();
	epdev_remote_up(r);
	rounds(8); /* the announcements */

	while (in.i < in.n) {
		uint32_t op = get8(&in);
		unsigned i = (op >> 4) % SLOTS;

		switch ((op & 15) % 12) {
		case 0:
			snprintf(path, sizeof(path), "%s/rpmsg_ctrl", r->dir);
			client_connect(K_CTL, i, path);
			break;
		case 1:
			ctl_request(&in, i);
			break;
		case 2:
			snprintf(path, sizeof(path), "%s/rpmsg%u", r->dir,
				 get8(&in) % 6);
			client_connect(K_EP, i, path);
			break;
		case 3:
			client_send(&in, K_EP, i);
			break;
		case 4:
			client_recv(op & 0x40 ? K_MS : K_EP, i);
			break;
		case 5:
			if (op & 0x40)
				client_close(K_EP + (op >> 7), i);
			else if (cl[K_EP + (op >> 7)][i] >= 0)
				shutdown(cl[K_EP + (op >> 7)][i], SHUT_WR);
			rounds(2);
			break;
		case 6:
			snprintf(path, sizeof(path), "%s/sock/echo-sock", r->dir);
			client_connect(K_MS, i, path);
			break;
		case 7:
			client_send(&in, K_MS, i);
			break;
		case 8:
		case 9:
			remote_op(&in, op);
			break;
		case 10:
			rounds(get8(&in) % 16);
			break;
		default:
			client_close(K_CTL, i);
			rounds(2);
			break;
		}
	}

	/* The clients go, then the daemon's side must go quiet. */
	for (int k = 0; k < K_N; k++)
		for (unsigned j = 0; j < SLOTS; j++)
			client_close(k, j);
	quiet();

	/* The remote is let go of (iface_remote_free()). */
	for (struct hipcd_svc *s = r->svcs; s; s = s->next) {
		s->want_tx = false;
		if (s->up) {
			s->up = false;
			if (s->kind)
				s->kind->down(s, false);
		}
	}
	epdev_remote_down(r);
	up = false;
	hipc_rpmsg_dev_deinit(&D.dev);
	hipc_rpmsg_dev_deinit(&R.dev);
	rounds(2);
	epdev_remote_free(r);
	remote_freed(r, "rpmsg_ctrl", base);
	return 0;
}
