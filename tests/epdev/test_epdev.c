/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Endpoint devices end to end: hipcd with firmware/raw (rpmsg-raw,
 * rpmsg_chrdev and rpmsg-client-sample, all echoing), and clients that
 * are plain SOCK_SEQPACKET sockets (and socat): rpmsg_ctrl's requests and
 * errors, automatic endpoints, one client at a time, oversize messages,
 * EAGAIN while the remote is stopped, the hang-up when it crashes and the
 * endpoints coming back, 100,000 messages over two remotes with select(),
 * and slow readers.
 */
#include <sys/select.h>

#include "ep_util.h"

#define ANY HIPC_CTRL_ADDR_ANY

static const char *conf_one(char *buf, size_t len, const char *extra)
{
	snprintf(buf, len, "[m4]\nfirmware = %s\npolicy = restart\n"
		 "backoff_ms = 5\n%s", EP_FW, extra);
	return buf;
}

/* One echo of @len bytes (a pattern from @seed) on @fd, checked. */
static void echo_once(int fd, size_t len, unsigned seed)
{
	unsigned char out[512], in[600];

	for (size_t i = 0; i < len; i++)
		out[i] = (unsigned char)(seed + i * 7);
	CHECK_EQ(send(fd, out, len, MSG_NOSIGNAL), (ssize_t)len);
	CHECK_EQ(ep_recv(fd, in, sizeof(in), 5000), (ssize_t)len);
	CHECK(memcmp(in, out, len) == 0);
}

/* "hipcctl stats" has @needle somewhere. */
static bool stats_say(const char *needle)
{
	char out[16384];

	CHECK_EQ(ep_ctl("stats m4", out, sizeof(out)), 0);
	if (strstr(out, needle))
		return true;
	printf("no '%s' in:\n%s", needle, out);
	return false;
}

/* The "hipcctl stats" line of endpoint @index of m4 into @line ("" if
 * none). */
static void stats_line(unsigned index, char *line, size_t len)
{
	char out[16384], key[32];
	const char *p, *e;

	CHECK_EQ(ep_ctl("stats m4", out, sizeof(out)), 0);
	snprintf(key, sizeof(key), " endpoint index %u ", index);
	p = strstr(out, key);
	e = p ? strchr(p, '\n') : NULL;
	if (!p || !e || (size_t)(e - p) >= len) {
		line[0] = 0;
		return;
	}
	memcpy(line, p, (size_t)(e - p));
	line[e - p] = 0;
	strcat(line, " ");
}

/* That line has @needle. */
static bool ep_stat_is(unsigned index, const char *needle)
{
	char line[1024];

	stats_line(index, line, sizeof(line));
	if (strstr(line, needle))
		return true;
	printf("endpoint %u: no '%s' in '%s'\n", index, needle, line);
	return false;
}

/* --- rpmsg_ctrl ---------------------------------------------------------------- */

HIPC_TEST(ctrl_create_destroy)
{
	char conf[512], path[256], out[8192];
	struct hipc_ctrl_rsp a;
	struct hipc_ctrl_req q;
	unsigned char big[sizeof(q) + 1];
	uint32_t raw_dst;
	int c, fd;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	c = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(c >= 0);

	/* Where the services are. */
	ep_req(c, HIPC_CTRL_LOOKUP, "rpmsg-raw", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	CHECK_EQ(a.index, 0);
	CHECK_EQ(a.max_payload, 496);
	raw_dst = a.dst;
	CHECK(raw_dst >= 1024 && raw_dst != ANY);
	ep_req(c, HIPC_CTRL_LOOKUP, "rpmsg-client-sample", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	CHECK_EQ(a.index, ANY); /* no endpoint device of its own */
	ep_req(c, HIPC_CTRL_LOOKUP, "nosuch", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, -ENOENT);

	/* 20 times: made, used, removed. */
	for (unsigned i = 0; i < 20; i++) {
		char name[16];

		ep_req(c, HIPC_CTRL_CREATE, "rpmsg-client-sample", ANY, ANY, 0,
		       &a);
		CHECK_EQ(a.status, 0);
		CHECK(a.index >= 2 && a.index < 256);
		CHECK(a.src >= 1024 && a.src != ANY);
		CHECK_EQ(a.max_payload, 496);
		snprintf(name, sizeof(name), "rpmsg%u", a.index);
		CHECK(ep_wait_path(ep_path(path, sizeof(path), "m4", name),
				   true, 0));
		fd = ep_connect("m4", name, false);
		CHECK(fd >= 0);
		echo_once(fd, 1 + i * 20, i);
		close(fd);
		ep_req(c, HIPC_CTRL_DESTROY, "", ANY, ANY, a.index, &a);
		CHECK_EQ(a.status, 0);
		/* Gone by the time the answer is here. */
		CHECK(ep_wait_path(path, false, 0));
	}

	/* Malformed requests, each answered, the connection still usable. */
	memset(&q, 0, sizeof(q));
	q.op = HIPC_CTRL_LOOKUP;
	CHECK_EQ(send(c, &q, 10, 0), 10);
	CHECK_EQ(recv(c, &a, sizeof(a), 0), sizeof(a));
	CHECK_EQ(a.status, -EINVAL);
	memset(big, 0, sizeof(big));
	memcpy(big, &q, sizeof(q));
	strcpy((char *)big + 4, "rpmsg-raw");
	CHECK_EQ(send(c, big, sizeof(big), 0), sizeof(big));
	CHECK_EQ(recv(c, &a, sizeof(a), 0), sizeof(a));
	CHECK_EQ(a.status, -EINVAL);
	CHECK_EQ(send(c, big, 0, 0), 0); /* an empty one */
	CHECK_EQ(recv(c, &a, sizeof(a), 0), sizeof(a));
	CHECK_EQ(a.status, -EINVAL);
	memset(q.name, 'x', sizeof(q.name)); /* not NUL-terminated */
	CHECK_EQ(send(c, &q, sizeof(q), 0), sizeof(q));
	CHECK_EQ(recv(c, &a, sizeof(a), 0), sizeof(a));
	CHECK_EQ(a.status, -EINVAL);
	ep_req(c, 99, "rpmsg-raw", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, -EINVAL);
	ep_req(c, HIPC_CTRL_CREATE, "nosuch", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, -ENOENT);
	ep_req(c, HIPC_CTRL_LOOKUP, "rpmsg-raw", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	CHECK_EQ(a.dst, raw_dst);

	/* An explicit src, taken once; an explicit dst needs no service. */
	ep_req(c, HIPC_CTRL_CREATE, "mine", 0x3000, raw_dst, 0, &a);
	CHECK_EQ(a.status, 0);
	CHECK_EQ(a.src, 0x3000);
	CHECK_EQ(a.dst, raw_dst);
	ep_req(c, HIPC_CTRL_CREATE, "again", 0x3000, raw_dst, 0, &a);
	CHECK_EQ(a.status, -EADDRINUSE);
	ep_req(c, HIPC_CTRL_CREATE, "ns", 53, raw_dst, 0, &a);
	CHECK_EQ(a.status, -EADDRINUSE);
	CHECK_EQ(ep_ctl("services m4", out, sizeof(out)), 0);
	CHECK(strstr(out, "mine") && strstr(out, "endpoint"));
	/* DESTROY: an announced service's endpoint is not ours; an index
	 * nobody has is no endpoint. */
	ep_req(c, HIPC_CTRL_DESTROY, "", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, -EPERM);
	ep_req(c, HIPC_CTRL_DESTROY, "", ANY, ANY, 200, &a);
	CHECK_EQ(a.status, -ENOENT);
	ep_req(c, HIPC_CTRL_DESTROY, "", ANY, ANY, 0xFFFFFFF0u, &a);
	CHECK_EQ(a.status, -ENOENT);

	/* Every number taken: ENOSPC; all destroyed again. */
	{
		static uint32_t made[256];
		unsigned n = 0;

		for (;;) {
			ep_req(c, HIPC_CTRL_CREATE, "rpmsg-client-sample", ANY,
			       ANY, 0, &a);
			if (a.status)
				break;
			CHECK(n < 256);
			made[n++] = a.index;
		}
		CHECK_EQ(a.status, -ENOSPC);
		/* 256 numbers: rpmsg0, rpmsg1 and "mine" had three. */
		CHECK_EQ(n, 256 - 3);
		while (n--) {
			ep_req(c, HIPC_CTRL_DESTROY, "", ANY, ANY, made[n], &a);
			CHECK_EQ(a.status, 0);
		}
	}

	/* The remote down: not connected; up again: answered again. */
	CHECK_EQ(ep_ctl("stop m4", out, sizeof(out)), 0);
	ep_req(c, HIPC_CTRL_LOOKUP, "rpmsg-raw", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, -ENOTCONN);
	ep_req(c, HIPC_CTRL_CREATE, "rpmsg-raw", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, -ENOTCONN);
	CHECK_EQ(ep_ctl("start m4", out, sizeof(out)), 0);
	fd = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fd >= 0);
	close(fd);
	ep_req(c, HIPC_CTRL_LOOKUP, "rpmsg-raw", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	close(c);
}

/* A client as hostile as a remote: random requests of random lengths,
 * each answered, the daemon unharmed; random CREATEs destroyed again. */
HIPC_TEST(ctrl_hostile_requests)
{
	char conf[512];
	unsigned char buf[128];
	struct hipc_ctrl_rsp a;
	unsigned made = 0, refused = 0;
	uint32_t rnd = 0x12345678;
	int c, fd;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	c = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(c >= 0);
	for (unsigned i = 0; i < 5000; i++) {
		struct hipc_ctrl_req *q = (struct hipc_ctrl_req *)buf;
		size_t len;

		for (size_t j = 0; j < sizeof(buf); j++) {
			rnd = rnd * 1103515245u + 12345u;
			buf[j] = (unsigned char)(rnd >> 16);
		}
		/* Mostly well-sized, with plausible fields now and then. */
		len = i % 4 ? sizeof(*q) : buf[0] % sizeof(buf);
		q->op = 1 + buf[1] % 4;
		if (buf[2] & 1)
			snprintf(q->name, sizeof(q->name), "%s",
				 buf[3] & 1 ? "rpmsg-client-sample" : "x");
		if (buf[4] & 1)
			q->src = HIPC_CTRL_ADDR_ANY;
		if (buf[5] & 1)
			q->dst = HIPC_CTRL_ADDR_ANY;
		q->index %= 300;
		CHECK_EQ(send(c, buf, len, 0), (ssize_t)len);
		CHECK_EQ(recv(c, &a, sizeof(a), 0), sizeof(a));
		CHECK(a.status <= 0);
		if (len == sizeof(*q) && q->op == HIPC_CTRL_CREATE)
			made += a.status == 0;
		refused += a.status < 0;
	}
	printf("5000 random requests: %u endpoints made, %u refused\n", made,
	       refused);
	for (uint32_t i = 0; i < 256; i++)
		ep_req(c, HIPC_CTRL_DESTROY, "", ANY, ANY, i, &a);
	ep_req(c, HIPC_CTRL_LOOKUP, "rpmsg-raw", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	fd = ep_open_echo("m4", "rpmsg0", 2000);
	CHECK(fd >= 0);
	close(fd);
	close(c);
}

/* At most 16 rpmsg_ctrl connections per remote: a 17th is closed at once,
 * the others keep working, and a place freed is taken again. */
HIPC_TEST(ctrl_connection_limit)
{
	struct hipc_ctrl_rsp a;
	char conf[512], b[8];
	int c[16], extra;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	for (int i = 0; i < 16; i++) {
		c[i] = ep_connect("m4", "rpmsg_ctrl", false);
		CHECK(c[i] >= 0);
	}
	/* connect() succeeds (the kernel's backlog); the daemon hangs up */
	extra = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(extra >= 0);
	CHECK_EQ(ep_recv(extra, b, sizeof(b), 5000), 0);
	close(extra);
	for (int i = 0; i < 16; i++) {
		ep_req(c[i], HIPC_CTRL_LOOKUP, "rpmsg-raw", ANY, ANY, 0, &a);
		CHECK_EQ(a.status, 0);
	}
	close(c[0]);
	for (uint64_t end = ep_now_ms() + 5000;;) {
		extra = ep_connect("m4", "rpmsg_ctrl", false);
		CHECK(extra >= 0);
		if (send(extra, "", 0, MSG_NOSIGNAL) == 0) {
			/* a request of the wrong size: answered if served */
			ssize_t n = ep_recv(extra, &a, sizeof(a), 5000);

			if (n == (ssize_t)sizeof(a)) {
				CHECK_EQ(a.status, -EINVAL);
				break;
			}
		}
		close(extra);
		CHECK(ep_now_ms() < end);
		usleep(2000);
	}
	close(extra);
	for (int i = 1; i < 16; i++)
		close(c[i]);
}

/*
 * Messages from the remote to an endpoint nobody is connected to are
 * dropped and counted (rx_no_client), not kept for the next client: a
 * client sends and leaves before the echo comes back.
 */
HIPC_TEST(rx_without_client_dropped)
{
	char conf[512], line[1024], buf[64];
	uint64_t end;
	int fd;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	fd = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fd >= 0);
	/* gone before its echo can come back (an echo that still raced in
	 * before the hang-up was seen went to the closing socket: again) */
	end = ep_now_ms() + 10000;
	for (;;) {
		CHECK_EQ(send(fd, "orphan", 6, MSG_NOSIGNAL), 6);
		close(fd);
		for (uint64_t t = ep_now_ms() + 1000; ep_now_ms() < t;) {
			stats_line(0, line, sizeof(line));
			if (!strstr(line, " rx_no_client 0 "))
				break;
			usleep(2000);
		}
		if (!strstr(line, " rx_no_client 0 "))
			break;
		CHECK(ep_now_ms() < end);
		fd = ep_open_echo("m4", "rpmsg0", 5000);
		CHECK(fd >= 0);
	}
	printf("%s\n", line);
	CHECK(strstr(line, " rx_no_client 1 ") != NULL);
	/* the next client gets its own echo first, not the orphan */
	fd = ep_connect("m4", "rpmsg0", false);
	for (end = ep_now_ms() + 5000; fd == -ECONNREFUSED && ep_now_ms() < end;
	     fd = ep_connect("m4", "rpmsg0", false))
		usleep(2000);
	CHECK(fd >= 0);
	CHECK_EQ(send(fd, "fresh", 5, MSG_NOSIGNAL), 5);
	CHECK_EQ(ep_recv(fd, buf, sizeof(buf), 5000), 5);
	CHECK(!memcmp(buf, "fresh", 5));
	close(fd);
}

/* --- automatic endpoints, one client, sizes ---------------------------------- */

HIPC_TEST(auto_busy_msgsize)
{
	char conf[512], out[8192], path[256];
	unsigned char buf[600];
	unsigned stale = 0;
	int fd, fd2, c;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	CHECK(ep_wait_path(ep_path(path, sizeof(path), "m4", "rpmsg1"), true,
			   5000));
	CHECK_EQ(ep_ctl("services m4", out, sizeof(out)), 0);
	CHECK(strstr(out, "rpmsg-raw") && strstr(out, "/m4/rpmsg0"));
	CHECK(strstr(out, "rpmsg_chrdev") && strstr(out, "/m4/rpmsg1"));

	fd = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fd >= 0);
	fd2 = ep_open_echo("m4", "rpmsg1", 5000);
	CHECK(fd2 >= 0);
	echo_once(fd2, 100, 3);
	close(fd2);

	/* Taken: a second client is refused at connect() (EBUSY to the
	 * client library). */
	CHECK_EQ(ep_connect("m4", "rpmsg0", false), -ECONNREFUSED);
	CHECK_EQ(ep_connect("m4", "rpmsg0", true), -ECONNREFUSED);

	/* Sizes: empty, the largest, one over (dropped whole, counted, the
	 * connection goes on). */
	echo_once(fd, 0, 1);
	echo_once(fd, 496, 2);
	memset(buf, 0xab, sizeof(buf));
	CHECK_EQ(send(fd, buf, 497, 0), 497);
	CHECK_EQ(send(fd, buf, 600, 0), 600);
	echo_once(fd, 5, 9);
	CHECK_EQ(ep_recv(fd, buf, sizeof(buf), 100), -ETIMEDOUT);
	CHECK(stats_say("oversize 2"));

	/* Free again once its client leaves.  Reopened at once the endpoint
	 * may still look taken (the daemon has not seen the close yet); one
	 * request on rpmsg_ctrl orders after the close, and then it is free.
	 * 100 times. */
	c = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(c >= 0);
	for (unsigned i = 0; i < 100; i++) {
		struct hipc_ctrl_rsp a;

		close(fd);
		fd = ep_connect("m4", "rpmsg0", false);
		if (fd == -ECONNREFUSED) {
			stale++;
			ep_req(c, HIPC_CTRL_LOOKUP, "", ANY, ANY, 0, &a);
			fd = ep_connect("m4", "rpmsg0", false);
		}
		CHECK(fd >= 0);
		echo_once(fd, 8, i);
	}
	printf("reopened at once: refused %u times of 100, free after one "
	       "rpmsg_ctrl round trip each time\n", stale);
	close(fd);
	close(c);
	CHECK(stats_say("rpmsg-raw endpoint index 0"));
}

/* --- EAGAIN: no tx buffer, no waiting ---------------------------------------- */

/* Fill the ring with the remote stopped: EAGAIN soon, not a wait; then
 * every message comes back in order.  On @name (endpoint @index) of m4. */
static void eagain_on(const char *name, unsigned index)
{
	unsigned char buf[496], in[600];
	int fd, sndbuf = 1;
	socklen_t sl = sizeof(sndbuf);
	unsigned sent = 0, got = 0;
	uint64_t t0, t;
	struct pollfd p;
	pid_t fw;

	fd = ep_open_echo("m4", name, 5000);
	CHECK(fd >= 0);
	/* As small as the kernel allows: few messages wait in the socket. */
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
			    sizeof(sndbuf)), 0);
	CHECK_EQ(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl), 0);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	fw = ep_remote_pid("m4");
	CHECK(fw > 0);
	CHECK_EQ(kill(fw, SIGSTOP), 0);

	t0 = ep_now_ns();
	for (;;) {
		ssize_t n;

		memcpy(buf, &sent, sizeof(sent));
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0) {
			CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
			/* The daemon may still be taking some: EAGAIN for
			 * good once it stops reading us. */
			p.fd = fd;
			p.events = POLLOUT;
			if (poll(&p, 1, 50) == 0)
				break;
			continue;
		}
		CHECK_EQ(n, sizeof(buf));
		sent++;
		CHECK(sent < 100000);
	}
	t = ep_now_ns() - t0;
	printf("%s: EAGAIN after %u messages of 496 B in %.1f ms (SO_SNDBUF "
	       "%d; the ring has 256 tx buffers)\n", name, sent,
	       (t - 50000000) / 1e6, sndbuf);
	CHECK(t < 1000000000u);
	CHECK(sent >= 256);
	CHECK(ep_stat_is(index, " tx_waits 1 "));

	/* Going again: every message comes back, in order. */
	CHECK_EQ(kill(fw, SIGCONT), 0);
	while (got < sent) {
		ssize_t n = ep_recv(fd, in, sizeof(in), 5000);
		unsigned seq;

		if (n == -EAGAIN)
			continue;
		CHECK_EQ(n, 496);
		memcpy(&seq, in, sizeof(seq));
		CHECK_EQ(seq, got);
		got++;
	}
	p.fd = fd;
	p.events = POLLOUT;
	CHECK_EQ(poll(&p, 1, 1000), 1);
	close(fd);
}

HIPC_TEST(eagain_when_ring_full)
{
	char conf[512], name[16];
	struct hipc_ctrl_rsp a;
	int c;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	eagain_on("rpmsg0", 0);
	/* The same on an endpoint created through rpmsg_ctrl. */
	c = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(c >= 0);
	ep_req(c, HIPC_CTRL_CREATE, "rpmsg-client-sample", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	snprintf(name, sizeof(name), "rpmsg%u", a.index);
	eagain_on(name, a.index);
	close(c);
}

/* The messages the host has sent to m4 ("m4 device tx_msgs N"). */
static unsigned device_tx_msgs(void)
{
	char out[16384];
	const char *t;
	unsigned n;

	CHECK_EQ(ep_ctl("stats m4", out, sizeof(out)), 0);
	t = strstr(out, "m4 device ");
	CHECK(t && (t = strstr(t, " tx_msgs ")) &&
	      sscanf(t, " tx_msgs %u", &n) == 1);
	return n;
}

/* A client sends with the remote stopped, more than the ring takes, and
 * closes at once: what its send() calls took still goes to the remote, as
 * a write() to rpmsg_char that returned is in the ring (the echoes find
 * nobody); then the endpoint takes the next client.  On @name of m4;
 * @ctl >= 0: it was made through that rpmsg_ctrl connection as @index, and
 * is destroyed right after the close, as hipc_rpmsg_char_close() does. */
static void close_after_send_on(const char *name, int ctl, unsigned index)
{
	unsigned char buf[496];
	unsigned sent = 0, before;
	struct hipc_ctrl_rsp a;
	struct pollfd p;
	pid_t fw;
	int fd;

	fd = ep_open_echo("m4", name, 5000);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	before = device_tx_msgs();
	fw = ep_remote_pid("m4");
	CHECK(fw > 0);
	CHECK_EQ(kill(fw, SIGSTOP), 0);
	while (sent < 2000) {
		ssize_t n;

		memset(buf, (int)sent, sizeof(buf));
		n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n < 0) {
			CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
			/* The daemon may still be filling the ring from
			 * the socket (slow on a loaded machine): EAGAIN
			 * for good once it waits for tx buffers. */
			p = (struct pollfd){ .fd = fd, .events = POLLOUT };
			if (poll(&p, 1, 500) == 0)
				break;
			continue;
		}
		CHECK_EQ(n, sizeof(buf));
		sent++;
	}
	/* more than the ring's 256 tx buffers: the rest waits in the socket */
	CHECK(sent > 300);
	close(fd);
	if (ctl >= 0) {
		ep_req(ctl, HIPC_CTRL_DESTROY, "", ANY, ANY, index, &a);
		CHECK_EQ(a.status, 0);
	} else {
		usleep(50000); /* hipcd sees the hang-up, the ring full */
	}
	CHECK_EQ(kill(fw, SIGCONT), 0);
	for (int i = 0; i < 500 && device_tx_msgs() < before + sent; i++)
		usleep(10000);
	CHECK_EQ(device_tx_msgs(), before + sent);
	if (ctl >= 0) {
		char line[1024];

		/* freed once through: gone from the stats */
		for (int i = 0; i < 200; i++) {
			stats_line(index, line, sizeof(line));
			if (!line[0])
				break;
			usleep(10000);
		}
		CHECK_EQ(line[0], 0);
		return;
	}
	/* the next client */
	fd = ep_open_echo("m4", name, 5000);
	CHECK(fd >= 0);
	echo_once(fd, 100, 7);
	close(fd);
}

HIPC_TEST(close_after_send_forwards_everything)
{
	char conf[512], name[16];
	struct hipc_ctrl_rsp a;
	int c;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	close_after_send_on("rpmsg0", -1, 0);
	c = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(c >= 0);
	for (int destroy = 0; destroy < 2; destroy++) {
		ep_req(c, HIPC_CTRL_CREATE, "rpmsg-client-sample", ANY, ANY, 0,
		       &a);
		CHECK_EQ(a.status, 0);
		snprintf(name, sizeof(name), "rpmsg%u", a.index);
		close_after_send_on(name, destroy ? c : -1, a.index);
	}
	close(c);
}

/* Echoes waiting on @fd read (nothing waits for them), counted in @got;
 * the first one of @fd's sets *@first to @other's count so far. */
static void read_echoes(int fd, unsigned *got, unsigned *first,
			const unsigned *other)
{
	unsigned char in[600];

	while (recv(fd, in, sizeof(in), MSG_DONTWAIT) > 0) {
		if (*got == 0 && first)
			*first = *other;
		(*got)++;
	}
}

/*
 * Two clients wait for tx buffers at once: one on rpmsg0 (an announced
 * service) with a deep backlog in its socket, one on an endpoint made
 * through rpmsg_ctrl with a few messages.  One bulk writer does not hold
 * the other back: a client is read at most 128 messages per event, and
 * then waits its turn with the others, so the second one's messages go out
 * long before the first one's backlog is through.
 */
HIPC_TEST(bulk_writer_does_not_hold_others_back)
{
	char conf[512], name[16];
	unsigned char buf[496];
	struct hipc_ctrl_rsp rsp;
	unsigned a_sent = 0, b_sent = 0, a_got = 0, b_got = 0, a_at_b = 0;
	int a, b, c, big = 4 << 20;
	struct pollfd p[2];
	uint64_t end;
	pid_t fw;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	a = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(a >= 0);
	CHECK_EQ(setsockopt(a, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)),
		 0);
	c = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(c >= 0);
	ep_req(c, HIPC_CTRL_CREATE, "rpmsg-client-sample", ANY, ANY, 0, &rsp);
	CHECK_EQ(rsp.status, 0);
	snprintf(name, sizeof(name), "rpmsg%u", rsp.index);
	b = ep_open_echo("m4", name, 5000);
	CHECK(b >= 0);
	CHECK_EQ(fcntl(a, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(fcntl(b, F_SETFL, O_NONBLOCK), 0);
	fw = ep_remote_pid("m4");
	CHECK(fw > 0);
	CHECK_EQ(kill(fw, SIGSTOP), 0);
	memset(buf, 0xA5, sizeof(buf));
	/* the ring and a's socket fill up with a's, then b's wait in b's */
	for (;;) {
		if (send(a, buf, sizeof(buf), MSG_NOSIGNAL) == sizeof(buf)) {
			a_sent++;
			continue;
		}
		CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
		p[0] = (struct pollfd){ .fd = a, .events = POLLOUT };
		if (poll(p, 1, 500) == 0)
			break;
	}
	for (; b_sent < 20; b_sent++)
		CHECK_EQ(send(b, buf, sizeof(buf), MSG_NOSIGNAL), sizeof(buf));
	printf("a: %u messages waiting (256 in the ring), b: %u\n", a_sent,
	       b_sent);
	CHECK(a_sent > 1500);
	CHECK_EQ(kill(fw, SIGCONT), 0);
	end = ep_now_ms() + 20000;
	while ((a_got < a_sent || b_got < b_sent) && ep_now_ms() < end) {
		p[0] = (struct pollfd){ .fd = a, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = b, .events = POLLIN };
		(void)poll(p, 2, 100);
		read_echoes(b, &b_got, &a_at_b, &a_got);
		read_echoes(a, &a_got, NULL, NULL);
	}
	printf("b's first echo after %u of a's %u\n", a_at_b, a_sent);
	CHECK_EQ(a_got, a_sent);
	CHECK_EQ(b_got, b_sent);
	CHECK(a_at_b < a_sent / 2);
	close(a);
	close(b);
	close(c);
}

/* The remote crashes while a client has messages queued (in its socket,
 * copied, and held in the remote's rx buffers): it gets every one of them,
 * in order, then the hang-up. */
HIPC_TEST(crash_delivers_queued)
{
	char conf[512], line[1024];
	unsigned char b[496], in[600];
	unsigned got = 0;
	uint64_t end;
	int fd;

	ep_start(conf_one(conf, sizeof(conf), "queue_kb = 8\n"), "m4");
	fd = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fd >= 0);
	for (unsigned i = 0; i < 400; i++) {
		memcpy(b, &i, sizeof(i));
		CHECK_EQ(send(fd, b, sizeof(b), MSG_NOSIGNAL), sizeof(b));
	}
	/* All echoed, some held. */
	end = ep_now_ms() + 5000;
	do {
		stats_line(0, line, sizeof(line));
		if (strstr(line, " rx_msgs 401 ") && !strstr(line, " held 0 "))
			break;
		usleep(2000);
	} while (ep_now_ms() < end);
	printf("before the crash: %s\n", line);
	CHECK(strstr(line, " rx_msgs 401 ") != NULL);
	CHECK(strstr(line, " held 0 ") == NULL);
	CHECK_EQ(kill(ep_remote_pid("m4"), SIGKILL), 0);
	for (;;) {
		ssize_t n = ep_recv(fd, in, sizeof(in), 5000);

		CHECK(n >= 0);
		if (n == 0)
			break;
		CHECK_EQ(n, 496);
		CHECK(memcmp(in, &got, sizeof(got)) == 0);
		got++;
	}
	CHECK_EQ(got, 400);
	close(fd);
}

/* --- ECONNRESET: the remote crashes, endpoints come back --------------------- */

HIPC_TEST(hangup_on_crash_and_back)
{
	char conf[512], out[16384], name[16];
	struct hipc_ctrl_rsp a;
	unsigned char buf[64];
	int c, fa, fc, fd;
	uint32_t idx_fixed, idx_dyn;
	struct pollfd p[2];
	pid_t fw, fw2;
	uint64_t t0;
	bool ha = false, hc = false;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	c = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(c >= 0);
	ep_req(c, HIPC_CTRL_CREATE, "rpmsg-client-sample", 0x2000, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	idx_fixed = a.index;
	ep_req(c, HIPC_CTRL_CREATE, "rpmsg-client-sample", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	idx_dyn = a.index;

	fa = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fa >= 0);
	snprintf(name, sizeof(name), "rpmsg%u", idx_fixed);
	fc = ep_open_echo("m4", name, 5000);
	CHECK(fc >= 0);

	fw = ep_remote_pid("m4");
	CHECK(fw > 0);
	t0 = ep_now_ns();
	CHECK_EQ(kill(fw, SIGKILL), 0);
	/* Both clients see the hang-up: EOF, POLLHUP. */
	p[0].fd = fa;
	p[1].fd = fc;
	while (!ha || !hc) {
		p[0].events = p[1].events = POLLIN;
		CHECK(poll(p, 2, 3000) > 0);
		for (int i = 0; i < 2; i++)
			if (p[i].revents) {
				CHECK(p[i].revents & (POLLHUP | POLLIN));
				CHECK_EQ(recv(p[i].fd, buf, sizeof(buf),
					      MSG_DONTWAIT), 0);
				if (i == 0)
					ha = true;
				else
					hc = true;
				p[i].fd = -1;
			}
	}
	printf("hang-up seen %.2f ms after the kill\n",
	       (ep_now_ns() - t0) / 1e6);
	CHECK_EQ(send(fa, "x", 1, MSG_NOSIGNAL), -1);
	CHECK_EQ(errno, EPIPE);
	close(fa);
	close(fc);

	/* Back: the same paths work, the created endpoint keeps its src,
	 * the dynamic one gets an address again. */
	fd = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fd >= 0);
	echo_once(fd, 40, 4);
	close(fd);
	fw2 = ep_remote_pid("m4");
	CHECK(fw2 > 0 && fw2 != fw);
	fd = ep_open_echo("m4", name, 5000);
	CHECK(fd >= 0);
	close(fd);
	snprintf(name, sizeof(name), "rpmsg%u", idx_dyn);
	fd = ep_open_echo("m4", name, 5000);
	CHECK(fd >= 0);
	close(fd);
	snprintf(out, sizeof(out), "index %u src %u ", idx_fixed, 0x2000u);
	CHECK(stats_say(out));
	CHECK(stats_say("hangups 1"));

	/* Destroyed endpoints stay destroyed; the control socket stayed. */
	ep_req(c, HIPC_CTRL_DESTROY, "", ANY, ANY, idx_dyn, &a);
	CHECK_EQ(a.status, 0);
	close(c);
}

/* Send @n 496-byte numbered messages on @fd without reading, and wait
 * until endpoint 0 has every echo, some of them held in the remote's rx
 * buffers. */
static void fill_unread(int fd, unsigned n)
{
	char line[1024], want[32];
	unsigned char b[496];
	uint64_t end;

	stats_line(0, line, sizeof(line));
	CHECK(strstr(line, " rx_msgs ") != NULL);
	snprintf(want, sizeof(want), " rx_msgs %u ",
		 (unsigned)strtoul(strstr(line, " rx_msgs ") + 9, NULL, 10) +
			 n);
	for (unsigned i = 0; i < n; i++) {
		memcpy(b, &i, sizeof(i));
		CHECK_EQ(send(fd, b, sizeof(b), MSG_NOSIGNAL), sizeof(b));
	}
	end = ep_now_ms() + 5000;
	do {
		stats_line(0, line, sizeof(line));
		if (strstr(line, want) && !strstr(line, " held 0 "))
			break;
		usleep(2000);
	} while (ep_now_ms() < end);
	if (!strstr(line, want) || strstr(line, " held 0 "))
		printf("wanted%sand some held: %s\n", want, line);
	CHECK(strstr(line, want) != NULL);
	CHECK(strstr(line, " held 0 ") == NULL);
}

/* Read @n numbered messages, then the hang-up. */
static void read_all_then_eof(int fd, unsigned n)
{
	unsigned char in[600];
	unsigned got = 0;

	for (;;) {
		ssize_t r = ep_recv(fd, in, sizeof(in), 5000);

		CHECK(r >= 0);
		if (r == 0)
			break;
		CHECK_EQ(r, 496);
		CHECK(memcmp(in, &got, sizeof(got)) == 0);
		got++;
	}
	CHECK_EQ(got, n);
}

/* The remote withdraws "rpmsg-raw" and announces it again while a client
 * has messages queued and held: the client gets them all, then EOF; the
 * held rx buffers go back to the remote (which, short of them, could not
 * send 400 more); the endpoint works again at the same path. */
HIPC_TEST(withdraw_and_back)
{
	char conf[512];
	struct hipc_ctrl_rsp a;
	char name[16], reply[16];
	int c, k, fd;

	ep_start(conf_one(conf, sizeof(conf), "queue_kb = 8\n"), "m4");
	c = ep_connect("m4", "rpmsg_ctrl", false);
	CHECK(c >= 0);
	ep_req(c, HIPC_CTRL_CREATE, "hipc-raw-ctl", ANY, ANY, 0, &a);
	CHECK_EQ(a.status, 0);
	snprintf(name, sizeof(name), "rpmsg%u", a.index);
	k = ep_connect("m4", name, false);
	CHECK(k >= 0);

	fd = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fd >= 0);
	fill_unread(fd, 400);
	CHECK_EQ(send(k, "cycle", 5, 0), 5);
	CHECK_EQ(ep_recv(k, reply, sizeof(reply), 5000), 2);
	read_all_then_eof(fd, 400);
	close(fd);
	CHECK(ep_stat_is(0, " held 0 "));

	/* Back at the same path, with every rx buffer: the same again. */
	fd = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fd >= 0);
	fill_unread(fd, 400);
	CHECK(ep_stat_is(0, " evictions 0 "));
	CHECK_EQ(send(k, "cycle", 5, 0), 5);
	CHECK_EQ(ep_recv(k, reply, sizeof(reply), 5000), 2);
	read_all_then_eof(fd, 400);
	close(fd);
	close(k);
	close(c);
}

/* --- socat ------------------------------------------------------------------- */

HIPC_TEST(socat_echo)
{
	char conf[512], cmd[512], out[256];
	size_t n;
	FILE *p;
	int fd;

	ep_start(conf_one(conf, sizeof(conf), ""), "m4");
	fd = ep_open_echo("m4", "rpmsg0", 5000); /* up, then free again */
	CHECK(fd >= 0);
	close(fd);
	/* type=5: SOCK_SEQPACKET.  socat sends the line, shuts its side
	 * (the daemon goes on delivering), prints the echo. */
	snprintf(cmd, sizeof(cmd),
		 "for i in 1 2 3 4 5 6 7 8 9 10; do "
		 "printf 'hello, remote\\n' | socat -t 0.5 - "
		 "UNIX-CONNECT:%s/m4/rpmsg0,type=5 2>/dev/null && exit 0; "
		 "sleep 0.05; done; exit 1", ep_run);
	fflush(stdout);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	CHECK_EQ(pclose(p), 0);
	printf("socat got: %s", out);
	CHECK(strcmp(out, "hello, remote\n") == 0);
}

/* --- 100,000 messages over two remotes, select() ----------------------------- */

#define STREAM_TOTAL 100000u
#define STREAM_WINDOW 64u

struct stream {
	int fd;
	uint64_t sent, got, want;
	unsigned tag;
};

static size_t stream_len(uint64_t seq)
{
	return 16 + (size_t)(seq * 37 % 481); /* 16..496 */
}

static void stream_fill(unsigned char *b, uint64_t seq, unsigned tag)
{
	size_t len = stream_len(seq);

	memcpy(b, &seq, 8);
	memcpy(b + 8, &tag, 4);
	for (size_t i = 12; i < len; i++)
		b[i] = (unsigned char)(seq + i + tag);
}

HIPC_TEST(two_remotes_select_100k)
{
	char conf[1024], path[256];
	struct stream st[2];
	uint64_t t0, t;

	snprintf(conf, sizeof(conf),
		 "[m4]\nfirmware = %s\n[dsp]\nfirmware = %s\n", EP_FW, EP_FW);
	ep_start(conf, "m4");
	CHECK(ep_wait_path(ep_path(path, sizeof(path), "dsp", "rpmsg0"), true,
			   10000));
	st[0] = (struct stream){ ep_open_echo("m4", "rpmsg0", 5000), 0, 0,
				 STREAM_TOTAL / 2, 0x4d34 };
	st[1] = (struct stream){ ep_open_echo("dsp", "rpmsg0", 5000), 0, 0,
				 STREAM_TOTAL / 2, 0x445350 };
	CHECK(st[0].fd >= 0 && st[1].fd >= 0);
	for (int i = 0; i < 2; i++)
		CHECK_EQ(fcntl(st[i].fd, F_SETFL, O_NONBLOCK), 0);

	t0 = ep_now_ns();
	while (st[0].got < st[0].want || st[1].got < st[1].want) {
		fd_set rd, wr;
		struct timeval tv = { 5, 0 };
		int maxfd = 0;

		FD_ZERO(&rd);
		FD_ZERO(&wr);
		for (int i = 0; i < 2; i++) {
			if (st[i].got < st[i].want)
				FD_SET(st[i].fd, &rd);
			if (st[i].sent < st[i].want &&
			    st[i].sent - st[i].got < STREAM_WINDOW)
				FD_SET(st[i].fd, &wr);
			if (st[i].fd > maxfd)
				maxfd = st[i].fd;
		}
		CHECK(select(maxfd + 1, &rd, &wr, NULL, &tv) > 0);
		for (int i = 0; i < 2; i++) {
			struct stream *s = &st[i];
			unsigned char b[512], in[600];

			while (FD_ISSET(s->fd, &wr) && s->sent < s->want &&
			       s->sent - s->got < STREAM_WINDOW) {
				size_t len = stream_len(s->sent);

				stream_fill(b, s->sent, s->tag);
				if (send(s->fd, b, len, MSG_NOSIGNAL) < 0) {
					CHECK(errno == EAGAIN);
					break;
				}
				s->sent++;
			}
			while (FD_ISSET(s->fd, &rd)) {
				ssize_t n = recv(s->fd, in, sizeof(in),
						 MSG_DONTWAIT);

				if (n < 0) {
					CHECK(errno == EAGAIN);
					break;
				}
				stream_fill(b, s->got, s->tag);
				if (n != (ssize_t)stream_len(s->got) ||
				    memcmp(in, b, (size_t)n)) {
					printf("remote %d: message %llu bad "
					       "(%zd bytes)\n", i,
					       (unsigned long long)s->got, n);
					CHECK(0);
				}
				s->got++;
			}
		}
	}
	t = ep_now_ns() - t0;
	printf("%u messages echoed over two remotes in %.2f s: %.0f msg/s\n",
	       STREAM_TOTAL, t / 1e9, STREAM_TOTAL / (t / 1e9));
	close(st[0].fd);
	close(st[1].fd);
}

/* --- slow readers ------------------------------------------------------------ */

HIPC_TEST(slow_readers)
{
	char conf[512];
	unsigned char b[496], in[600];
	int x, y, z;
	uint64_t end, t0;
	unsigned xsent = 0, sent = 0, got = 0;
	bool evicted = false;

	ep_start(conf_one(conf, sizeof(conf),
			  "queue_kb = 8\nstall_ms = 300\n"), "m4");
	y = ep_open_echo("m4", "rpmsg1", 5000);
	CHECK(y >= 0);
	x = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(x >= 0);
	CHECK_EQ(fcntl(x, F_SETFL, O_NONBLOCK), 0);

	/* X sends and never reads: its echoes fill its socket, its queue,
	 * then hold the remote's buffers until the remote stalls.  X is
	 * disconnected stall_ms later; Y, on another endpoint of the same
	 * remote, goes on. */
	memset(b, 0x5a, sizeof(b));
	t0 = ep_now_ns();
	end = ep_now_ms() + 10000;
	while (!evicted && ep_now_ms() < end) {
		struct pollfd p = { .fd = x, .events = POLLOUT };

		if (send(x, b, sizeof(b), MSG_NOSIGNAL) == sizeof(b)) {
			xsent++;
			continue;
		}
		CHECK(errno == EAGAIN || errno == EPIPE);
		evicted = errno == EPIPE;
		if (!evicted && poll(&p, 1, 20) == 1)
			evicted = p.revents & POLLHUP;
	}
	CHECK(evicted);
	printf("X evicted after %u unread messages, %.0f ms\n", xsent,
	       (ep_now_ns() - t0) / 1e6);
	CHECK(stats_say("evictions 1"));
	for (unsigned i = 0; i < 200; i++)
		echo_once(y, 64, i);
	close(x);

	/* Z reads slowly, with up to 350 messages in flight: its echoes
	 * wait in the daemon (copied, then held) and none is lost, and the
	 * remote, slowed, is never stalled long enough to evict anyone. */
	z = ep_open_echo("m4", "rpmsg0", 2000);
	CHECK(z >= 0);
	CHECK_EQ(fcntl(z, F_SETFL, O_NONBLOCK), 0);
	while (got < 3000) {
		ssize_t n;

		while (sent < 3000 && sent - got < 350) {
			memcpy(b, &sent, sizeof(sent));
			if (send(z, b, sizeof(b), MSG_NOSIGNAL) < 0) {
				CHECK(errno == EAGAIN);
				break;
			}
			sent++;
		}
		n = ep_recv(z, in, sizeof(in), 5000);
		if (n == -EAGAIN)
			continue;
		CHECK_EQ(n, sizeof(b));
		CHECK(memcmp(in, &got, sizeof(got)) == 0);
		got++;
		if (got % 8 == 0)
			usleep(1000);
	}
	CHECK(stats_say("evictions 1")); /* still the one */
	echo_once(y, 10, 1);
	close(z);
	close(y);
}

HIPC_TEST_MAIN(HIPC_CASE(ctrl_create_destroy),
	       HIPC_CASE(ctrl_hostile_requests), HIPC_CASE(ctrl_connection_limit),
	       HIPC_CASE(rx_without_client_dropped), HIPC_CASE(auto_busy_msgsize),
	       HIPC_CASE(eagain_when_ring_full),
	       HIPC_CASE(close_after_send_forwards_everything),
	       HIPC_CASE(bulk_writer_does_not_hold_others_back),
	       HIPC_CASE(crash_delivers_queued), HIPC_CASE(withdraw_and_back),
	       HIPC_CASE(hangup_on_crash_and_back), HIPC_CASE(socat_echo),
	       HIPC_CASE(two_remotes_select_100k), HIPC_CASE(slow_readers))
