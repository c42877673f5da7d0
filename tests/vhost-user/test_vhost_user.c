/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user backend against a small master written here, without a
 * kernel: the master sends what virtio_uml sends, in its order, lays the
 * two vrings and the buffer pool out in a memfd split into two regions
 * (guest and user addresses deliberately different), and plays Linux's
 * virtio_rpmsg_bus with the core in the driver role.  The backend runs in
 * a child process serving an echo firmware.
 *
 * Malformed-message cases send one bad message, expect it refused (a
 * non-zero REPLY_ACK status), then finish a normal session on the same
 * connection: the backend must have stayed sane.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/firmware.h"
#include "hipc/rpmsg.h"
#include "hipc/rsc.h"
#include "hipc/vhost_user.h"
#include "hipc_test.h"

#define NUM 256u
#define BUF 512u
/* region 0: the rings; region 1: the buffer pool */
#define R0_GPA 0x40000000ull
#define R0_UVA 0x7f0000000000ull
#define R0_SIZE (256u * 1024u)
#define R1_GPA 0x80000000ull
#define R1_UVA 0x7f1000000000ull
#define R1_SIZE (2u * NUM * BUF)
#define RING_STRIDE (64u * 1024u) /* vring q at q * RING_STRIDE in region 0 */
#define DESC_OFF 0u
#define AVAIL_OFF 4096u
#define USED_OFF 8192u

/* --- the firmware the backend serves ------------------------------------- */

HIPC_RSC_TABLE_RPMSG(test_rsc, 256, 512, 0,
		     HIPC_RSC_F_NS | HIPC_RSC_F_EVENT_IDX);

static struct hipc_rpmsg_ept fw_ept;

static int fw_on_msg(struct hipc_rpmsg_ept *e, void *data, size_t len,
		     uint32_t src, void *priv)
{
	(void)priv;
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data, len, 5000) <
	    0)
		fprintf(stderr, "test firmware: echo failed\n");
	return 0;
}

static int fw_start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)ctx;
	return hipc_rpmsg_ept_create(&fw_ept, dev, "rpmsg-client-sample",
				     HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				     fw_on_msg, NULL);
}

static const struct hipc_firmware test_fw = {
	.name = "vu-test-echo",
	.rsc = &test_rsc,
	.rsc_size = sizeof(test_rsc),
	.start = fw_start,
};

/* --- the master ------------------------------------------------------------ */

struct master {
	pid_t child;
	int sock;
	int backend_req[2];
	int memfd;
	uint8_t *mem; /* R0_SIZE + R1_SIZE */
	int kick[2];  /* eventfds: ours to write */
	int call[2][2]; /* pipes: the backend writes [1], we read [0] */
	bool ack;     /* REPLY_ACK negotiated */
	uint64_t features;

	/* the driver side */
	struct hipc_region regions[2];
	struct hipc_memmap map;
	struct hipc_port_ops ops;
	struct hipc_port port;
	struct hipc_rpmsg_dev dev;
	struct hipc_rpmsg_ept *buckets[16];
	uint64_t storage[(HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER, NUM) + 7) /
			 8];
	bool dev_up;
	bool mem_sent;
	bool no_first_kick; /* hs_rings() leaves the first kick out */

	/* what came back */
	char ns_name[32];
	uint32_t ns_addr;
	bool ns_seen;
	uint32_t rx_next; /* sequence expected next */
	uint32_t rx_count;
	bool rx_bad;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int drv_notify(void *ctx, uint32_t id)
{
	struct master *m = ctx;
	uint64_t one = 1;

	if (id > 1)
		return -HIPC_EINVAL;
	if (write(m->kick[id], &one, sizeof(one)) != sizeof(one))
		return -HIPC_EIO;
	return 0;
}

static void drain_calls(struct master *m)
{
	uint64_t v;

	for (int q = 0; q < 2; q++)
		while (read(m->call[q][0], &v, sizeof(v)) > 0)
			;
}

static int drv_wait(void *ctx, uint64_t deadline)
{
	struct master *m = ctx;
	struct pollfd pfd[2] = {
		{ .fd = m->call[0][0], .events = POLLIN },
		{ .fd = m->call[1][0], .events = POLLIN },
	};
	int timeout = 1000;

	if (deadline) {
		uint64_t n = now_ns();

		timeout = n >= deadline ? 0 : (int)((deadline - n) / 1000000u) + 1;
		if (timeout > 1000)
			timeout = 1000;
	}
	if (poll(pfd, 2, timeout) == 0)
		return -HIPC_ETIMEDOUT;
	drain_calls(m);
	return 0;
}

static uint64_t drv_now(void *ctx)
{
	(void)ctx;
	return now_ns();
}

static void drv_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		   bool destroyed, void *priv)
{
	struct master *m = priv;

	(void)dev;
	if (destroyed)
		return;
	snprintf(m->ns_name, sizeof(m->ns_name), "%s", name);
	m->ns_addr = addr;
	m->ns_seen = true;
}

/* Payload of message @seq: its length cycles through 0..496. */
static size_t msg_len(uint32_t seq)
{
	return seq % 497u;
}

static void msg_fill(uint8_t *p, uint32_t seq)
{
	size_t len = msg_len(seq);

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 7u + i * 13u);
	if (len >= 4)
		memcpy(p, &seq, 4);
}

static int drv_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		  uint32_t src, void *priv)
{
	struct master *m = priv;
	uint8_t want[512];

	(void)ept;
	(void)src;
	msg_fill(want, m->rx_next);
	if (len != msg_len(m->rx_next) || memcmp(data, want, len)) {
		printf("echo %u: got %zu bytes, want %zu\n", m->rx_next, len,
		       msg_len(m->rx_next));
		m->rx_bad = true;
	}
	m->rx_next++;
	m->rx_count++;
	return 0;
}

static void m_send(struct master *m, uint32_t req, const void *payload,
		   uint32_t size, const int *fds, unsigned nfds, bool want_ack)
{
	struct hipc_vu_hdr h = {
		.request = req,
		.flags = HIPC_VU_VERSION |
			 (want_ack ? HIPC_VU_FLAG_NEED_REPLY : 0u),
		.size = size,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)payload, .iov_len = size },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} c;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	ssize_t n;

	if (nfds) {
		struct cmsghdr *cm;

		mh.msg_control = c.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(m->sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	CHECK_EQ(n, (ssize_t)(sizeof(h) + size));
}

/* Read a reply carrying a u64; -1 if the connection is gone. */
static int m_recv_u64(struct master *m, uint32_t req, uint64_t *v)
{
	struct {
		struct hipc_vu_hdr h;
		uint64_t v;
	} __attribute__((packed)) r;
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = recv(m->sock, (char *)&r + got, sizeof(r) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	CHECK_EQ(r.h.request, req);
	CHECK_EQ(r.h.flags, HIPC_VU_VERSION | HIPC_VU_FLAG_REPLY);
	CHECK_EQ(r.h.size, 8);
	*v = r.v;
	return 0;
}

/* Send a request that has no reply of its own; with REPLY_ACK return the
 * backend's status (0 = accepted). */
static uint64_t m_req(struct master *m, uint32_t req, const void *payload,
		      uint32_t size, const int *fds, unsigned nfds)
{
	uint64_t st = 0;

	m_send(m, req, payload, size, fds, nfds, m->ack);
	if (m->ack)
		CHECK_EQ(m_recv_u64(m, req, &st), 0);
	return st;
}

static uint64_t m_get(struct master *m, uint32_t req)
{
	uint64_t v;

	m_send(m, req, NULL, 0, NULL, 0, false);
	CHECK_EQ(m_recv_u64(m, req, &v), 0);
	return v;
}

static void m_state(struct master *m, uint32_t req, uint32_t idx, uint32_t num,
		    uint64_t want)
{
	struct hipc_vu_vring_state s = { idx, num };

	CHECK_EQ(m_req(m, req, &s, sizeof(s), NULL, 0), want);
}


static unsigned count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	CHECK(d != NULL);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Fork the backend on a listening socket in the abstract namespace (no
 * file to clean up) and connect to it. */
/* The last backend's counters, filled as it returns (shared with the
 * forked backend). */
static struct hipc_vhost_user_stats *vu_stats;

static void master_start(struct master *m)
{
	static unsigned serial;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t sl;
	int lfd;

	memset(m, 0, sizeof(*m));
	m->memfd = -1;
	for (int q = 0; q < 2; q++) {
		m->kick[q] = -1;
		m->call[q][0] = m->call[q][1] = -1;
	}
	m->backend_req[0] = m->backend_req[1] = -1;
	signal(SIGPIPE, SIG_IGN);
	if (!vu_stats) {
		vu_stats = mmap(NULL, sizeof(*vu_stats), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		CHECK(vu_stats != MAP_FAILED);
	}
	memset(vu_stats, 0, sizeof(*vu_stats));
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1,
		 "hipc-vu-test-%d-%u", (int)getpid(), serial++);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			 strlen(sa.sun_path + 1));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(lfd >= 0);
	CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sl), 0);
	CHECK_EQ(listen(lfd, 1), 0);
	fflush(stdout);
	m->child = fork();
	CHECK(m->child >= 0);
	if (m->child == 0) {
		struct hipc_vhost_user_opts o = {
			.listen_fd = lfd,
			.stop_fd = -1,
			.verbose = getenv("HIPC_VHOST_USER_DEBUG") != NULL,
			.stats = vu_stats,
		};
		unsigned fds = count_fds();
		int ret = hipc_vhost_user_serve_ex(&test_fw, &o);

		/* every fd the master passed and every one we opened is
		 * closed again, whatever happened */
		if (count_fds() != fds) {
			printf("backend leaked %u fds\n", count_fds() - fds);
			hipc_test_child_exit(99);
		}
		hipc_test_child_exit(ret == 0 ? 0 : 10 + (-ret % 100));
	}
	close(lfd);
	m->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(m->sock >= 0);
	CHECK_EQ(connect(m->sock, (struct sockaddr *)&sa, sl), 0);
	{
		/* a backend that stops answering fails the test, not hangs it */
		struct timeval tv = { .tv_sec = 10 };

		setsockopt(m->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
}

static void master_free(struct master *m)
{
	if (m->dev_up)
		hipc_rpmsg_dev_deinit(&m->dev);
	m->dev_up = false;
	for (int q = 0; q < 2; q++) {
		if (m->kick[q] >= 0)
			close(m->kick[q]);
		for (int e = 0; e < 2; e++)
			if (m->call[q][e] >= 0)
				close(m->call[q][e]);
	}
	for (int e = 0; e < 2; e++)
		if (m->backend_req[e] >= 0)
			close(m->backend_req[e]);
	if (m->mem)
		munmap(m->mem, R0_SIZE + R1_SIZE);
	if (m->memfd >= 0)
		close(m->memfd);
	if (m->sock >= 0)
		close(m->sock);
}

/* Hang up and collect the backend's exit status (wait status). */
static int master_finish(struct master *m)
{
	int st = 0;

	if (m->sock >= 0) {
		close(m->sock);
		m->sock = -1;
	}
	for (int i = 0; i < 1000; i++) {
		pid_t r = waitpid(m->child, &st, WNOHANG);

		if (r == m->child)
			break;
		CHECK(i < 999); /* 10 s: the backend must notice the hang-up */
		usleep(10000);
	}
	master_free(m);
	return st;
}

/* SET_OWNER ... SET_FEATURES, as virtio_uml's probe sends them. */
static void hs_features(struct master *m, bool ack, bool event_idx)
{
	uint64_t f, p, want;

	CHECK_EQ(m_req(m, HIPC_VU_SET_OWNER, NULL, 0, NULL, 0), 0);
	f = m_get(m, HIPC_VU_GET_FEATURES);
	CHECK(f & (1ull << HIPC_VU_F_RPMSG_NS));
	CHECK(f & (1ull << HIPC_VU_F_PROTOCOL_FEATURES));
	CHECK(f & (1ull << HIPC_VU_F_VERSION_1));
	CHECK(f & (1ull << HIPC_VU_F_EVENT_IDX));
	p = m_get(m, HIPC_VU_GET_PROTOCOL_FEATURES);
	CHECK(p & (1ull << HIPC_VU_PROTOCOL_F_BACKEND_REQ));
	CHECK(p & (1ull << HIPC_VU_PROTOCOL_F_REPLY_ACK));
	CHECK(!(p & (1ull << 14))); /* no in-band notifications */
	want = (1ull << HIPC_VU_PROTOCOL_F_BACKEND_REQ) |
	       (ack ? 1ull << HIPC_VU_PROTOCOL_F_REPLY_ACK : 0);
	/* as virtio_uml: the ack is already requested for this message */
	m->ack = ack;
	CHECK_EQ(m_req(m, HIPC_VU_SET_PROTOCOL_FEATURES, &want, 8, NULL, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
			    m->backend_req), 0);
	CHECK_EQ(m_req(m, HIPC_VU_SET_BACKEND_REQ_FD, NULL, 0,
		       &m->backend_req[1], 1), 0);
	m->features = (1ull << HIPC_VU_F_RPMSG_NS) |
		      (1ull << HIPC_VU_F_PROTOCOL_FEATURES) |
		      (1ull << HIPC_VU_F_VERSION_1) |
		      (event_idx ? 1ull << HIPC_VU_F_EVENT_IDX : 0);
	CHECK_EQ(m_req(m, HIPC_VU_SET_FEATURES, &m->features, 8, NULL, 0), 0);
}

static void mem_create(struct master *m)
{
	if (m->mem)
		return;
	m->memfd = memfd_create("vu-test", MFD_CLOEXEC);
	CHECK(m->memfd >= 0);
	CHECK_EQ(ftruncate(m->memfd, R0_SIZE + R1_SIZE), 0);
	m->mem = mmap(NULL, R0_SIZE + R1_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED, m->memfd, 0);
	CHECK(m->mem != MAP_FAILED);
}

static void mem_table(struct hipc_vu_mem *t)
{
	memset(t, 0, sizeof(*t));
	t->num = 2;
	t->regions[0] = (struct hipc_vu_region){ R0_GPA, R0_SIZE, R0_UVA, 0 };
	t->regions[1] = (struct hipc_vu_region){ R1_GPA, R1_SIZE, R1_UVA,
						  R0_SIZE };
}

static void hs_mem(struct master *m)
{
	struct hipc_vu_mem t;
	int fds[2];

	mem_create(m);
	mem_table(&t);
	fds[0] = fds[1] = m->memfd;
	CHECK_EQ(m_req(m, HIPC_VU_SET_MEM_TABLE, &t, 8 + 2 * 32, fds, 2), 0);
	m->mem_sent = true;
}

static struct hipc_vu_vring_addr ring_addr(unsigned q)
{
	uint64_t base = R0_UVA + (uint64_t)q * RING_STRIDE;
	struct hipc_vu_vring_addr a = {
		.index = q,
		.desc = base + DESC_OFF,
		.used = base + USED_OFF,
		.avail = base + AVAIL_OFF,
	};

	return a;
}

/* Per queue CALL, NUM, BASE, ADDR; the driver posts its rx buffers; per
 * queue KICK, ENABLE; then the first kick. */
static void hs_rings(struct master *m)
{
	struct hipc_rpmsg_dev_config c;
	uint64_t v;

	for (unsigned q = 0; q < 2; q++) {
		struct hipc_vu_vring_addr a = ring_addr(q);

		CHECK_EQ(pipe2(m->call[q], O_CLOEXEC | O_NONBLOCK), 0);
		m->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		CHECK(m->kick[q] >= 0);
		v = q;
		CHECK_EQ(m_req(m, HIPC_VU_SET_VRING_CALL, &v, 8, &m->call[q][1],
			       1), 0);
		close(m->call[q][1]);
		m->call[q][1] = -1;
		m_state(m, HIPC_VU_SET_VRING_NUM, q, NUM, 0);
		m_state(m, HIPC_VU_SET_VRING_BASE, q, 0, 0);
		CHECK_EQ(m_req(m, HIPC_VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0),
			 0);
	}

	m->regions[0] = (struct hipc_region){ R0_GPA, m->mem, R0_SIZE };
	m->regions[1] = (struct hipc_region){ R1_GPA, m->mem + R0_SIZE,
					      R1_SIZE };
	m->map.regions = m->regions;
	m->map.count = 2;
	m->ops.notify = drv_notify;
	m->ops.wait = drv_wait;
	m->ops.now_ns = drv_now;
	m->port.ops = &m->ops;
	m->port.ctx = m;
	memset(&c, 0, sizeof(c));
	c.role = HIPC_RPMSG_DRIVER;
	/* The driver's own rings, in parts at its guest addresses. */
	for (unsigned q = 0; q < 2; q++) {
		uint64_t base = R0_GPA + q * RING_STRIDE;

		c.vring_parts[q].desc = base + DESC_OFF;
		c.vring_parts[q].avail = base + AVAIL_OFF;
		c.vring_parts[q].used = base + USED_OFF;
		c.notifyid[q] = q;
	}
	c.parts_map = &m->map;
	c.num = NUM;
	c.align = 4096;
	c.features = (uint32_t)m->features &
		     ((1u << HIPC_RPMSG_F_NS) | (1u << HIPC_VU_F_EVENT_IDX));
	c.buf_size = BUF;
	c.bufs = m->mem + R0_SIZE;
	c.map = &m->map;
	c.storage = m->storage;
	c.storage_size = sizeof(m->storage);
	c.buckets = m->buckets;
	c.nbuckets = 16;
	c.port = &m->port;
	c.ns_cb = drv_ns;
	c.ns_priv = m;
	CHECK_EQ(hipc_rpmsg_dev_init(&m->dev, &c), 0);
	m->dev_up = true;

	for (unsigned q = 0; q < 2; q++) {
		v = q;
		CHECK_EQ(m_req(m, HIPC_VU_SET_VRING_KICK, &v, 8, &m->kick[q], 1),
			 0);
		m_state(m, HIPC_VU_SET_VRING_ENABLE, q, 1, 0);
	}
	if (!m->no_first_kick)
		CHECK_EQ(hipc_rpmsg_dev_start(&m->dev), 0);
}

static bool ns_done(struct master *m, uint32_t arg)
{
	(void)arg;
	return m->ns_seen;
}

static bool rx_done(struct master *m, uint32_t want)
{
	return m->rx_count >= want;
}

static void pump(struct master *m, bool (*done)(struct master *, uint32_t),
		 uint32_t arg, unsigned timeout_ms)
{
	uint64_t until = now_ns() + (uint64_t)timeout_ms * 1000000u;

	for (;;) {
		CHECK(hipc_rpmsg_poll(&m->dev, 0) >= 0);
		if (done(m, arg))
			return;
		CHECK(now_ns() < until);
		if (hipc_rpmsg_prepare_sleep(&m->dev))
			drv_wait(m, now_ns() + 10000000u);
	}
}

/* Wait for the announcement, then echo @count messages of every size. */
static void echo_check(struct master *m, uint32_t count)
{
	struct hipc_rpmsg_ept ept;
	uint8_t buf[512];

	pump(m, ns_done, 0, 5000);
	CHECK_EQ(strcmp(m->ns_name, "rpmsg-client-sample"), 0);
	CHECK(m->ns_addr >= HIPC_RPMSG_RESERVED_ADDRESSES);
	CHECK_EQ(hipc_rpmsg_ept_create(&ept, &m->dev, NULL, HIPC_RPMSG_ADDR_ANY,
				       m->ns_addr, drv_rx, m), 0);
	m->rx_next = m->rx_count = 0;
	for (uint32_t seq = 0; seq < count; seq++) {
		msg_fill(buf, seq);
		CHECK_EQ(hipc_rpmsg_send(&ept, buf, msg_len(seq)),
			 (int)msg_len(seq));
		/* keep at most 64 messages in flight */
		if (seq >= 64)
			pump(m, rx_done, seq - 64, 5000);
	}
	pump(m, rx_done, count, 5000);
	CHECK(!m->rx_bad);
	CHECK_EQ(m->rx_count, count);
	hipc_rpmsg_ept_destroy(&ept);
}

/* What virtio_uml does at removal: disable in reverse order, then a
 * GET_FEATURES to make sure everything was processed. */
static void hs_teardown(struct master *m)
{
	m_state(m, HIPC_VU_SET_VRING_ENABLE, 1, 0, 0);
	m_state(m, HIPC_VU_SET_VRING_ENABLE, 0, 0, 0);
	(void)m_get(m, HIPC_VU_GET_FEATURES);
}

static void session_ok(struct master *m, uint32_t count)
{
	int st;

	if (!m->mem_sent)
		hs_mem(m);
	hs_rings(m);
	echo_check(m, count);
	hs_teardown(m);
	st = master_finish(m);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

/* A whole session on a fresh connection: the features (hs_features()'s
 * @ack and @event_idx), then @count echoes. */
static void echo_session(bool ack, bool event_idx, uint32_t count)
{
	struct master m;

	master_start(&m);
	hs_features(&m, ack, event_idx);
	session_ok(&m, count);
}

/* --- cases ------------------------------------------------------------------- */

HIPC_TEST(echo_reply_ack)
{
	echo_session(true, false, 1000);
}

HIPC_TEST(echo_no_ack)
{
	echo_session(false, false, 1000);
}

HIPC_TEST(echo_event_idx_all_sizes)
{
	echo_session(true, true, 5000);
}

/* The rings can be torn down and set up again on one connection. */
HIPC_TEST(reenable)
{
	struct master m;

	master_start(&m);
	hs_features(&m, true, true);
	hs_mem(&m);
	hs_rings(&m);
	echo_check(&m, 100);
	hs_teardown(&m);
	hipc_rpmsg_dev_deinit(&m.dev);
	m.dev_up = false;
	m.ns_seen = false;
	for (int q = 0; q < 2; q++) {
		close(m.kick[q]);
		close(m.call[q][0]);
		m.kick[q] = m.call[q][0] = -1;
	}
	memset(m.mem, 0, R0_SIZE + R1_SIZE);
	session_ok(&m, 100);
}

HIPC_TEST(bad_region_count)
{
	struct master m;
	struct hipc_vu_mem t;
	int fds[8];

	master_start(&m);
	hs_features(&m, true, false);
	mem_create(&m);
	for (int i = 0; i < 8; i++)
		fds[i] = m.memfd;
	mem_table(&t);
	t.num = 9;
	CHECK(m_req(&m, HIPC_VU_SET_MEM_TABLE, &t, sizeof(t), fds, 8) != 0);
	t.num = 0;
	CHECK(m_req(&m, HIPC_VU_SET_MEM_TABLE, &t, 8 + 2 * 32, fds, 0) != 0);
	/* three regions announced, two described */
	mem_table(&t);
	t.num = 3;
	CHECK(m_req(&m, HIPC_VU_SET_MEM_TABLE, &t, 8 + 2 * 32, fds, 3) != 0);
	/* still talking */
	CHECK(m_get(&m, HIPC_VU_GET_FEATURES) & (1ull << HIPC_VU_F_VERSION_1));
	session_ok(&m, 100);
}

HIPC_TEST(bad_missing_fd)
{
	struct master m;
	struct hipc_vu_mem t;
	int fds[2];
	uint64_t v = 0;

	master_start(&m);
	hs_features(&m, true, false);
	mem_create(&m);
	mem_table(&t);
	fds[0] = fds[1] = m.memfd;
	CHECK(m_req(&m, HIPC_VU_SET_MEM_TABLE, &t, 8 + 2 * 32, fds, 1) != 0);
	/* kick and call without their fd (and without the "no fd" bit) */
	CHECK(m_req(&m, HIPC_VU_SET_VRING_KICK, &v, 8, NULL, 0) != 0);
	CHECK(m_req(&m, HIPC_VU_SET_VRING_CALL, &v, 8, NULL, 0) != 0);
	/* two fds where one belongs */
	CHECK(m_req(&m, HIPC_VU_SET_VRING_CALL, &v, 8, fds, 2) != 0);
	/* a region larger than its file (would fault on access) */
	t.regions[1].size = 16u * 1024u * 1024u;
	CHECK(m_req(&m, HIPC_VU_SET_MEM_TABLE, &t, 8 + 2 * 32, fds, 2) != 0);
	session_ok(&m, 100);
}

HIPC_TEST(bad_vring_index)
{
	struct master m;
	struct hipc_vu_vring_addr a = ring_addr(0);
	uint64_t v = 5;
	int efd;

	master_start(&m);
	hs_features(&m, true, false);
	hs_mem(&m);
	m_state(&m, HIPC_VU_SET_VRING_NUM, 5, NUM, 1);
	m_state(&m, HIPC_VU_SET_VRING_BASE, 5, 0, 1);
	m_state(&m, HIPC_VU_SET_VRING_ENABLE, 5, 1, 1);
	a.index = 5;
	CHECK(m_req(&m, HIPC_VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) != 0);
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(m_req(&m, HIPC_VU_SET_VRING_KICK, &v, 8, &efd, 1) != 0);
	v = 0x10000; /* unknown bits */
	CHECK(m_req(&m, HIPC_VU_SET_VRING_KICK, &v, 8, &efd, 1) != 0);
	close(efd);
	session_ok(&m, 100);
}

HIPC_TEST(bad_vring_num)
{
	struct master m;

	master_start(&m);
	hs_features(&m, true, false);
	hs_mem(&m);
	m_state(&m, HIPC_VU_SET_VRING_NUM, 0, 3, 1);
	m_state(&m, HIPC_VU_SET_VRING_NUM, 0, 0, 1);
	m_state(&m, HIPC_VU_SET_VRING_NUM, 0, 65536, 1);
	m_state(&m, HIPC_VU_SET_VRING_NUM, 1, 257, 1);
	/* we only start a ring from index 0 */
	m_state(&m, HIPC_VU_SET_VRING_BASE, 0, 7, 1);
	session_ok(&m, 100);
}

HIPC_TEST(bad_vring_addr)
{
	struct master m;
	struct hipc_vu_vring_addr a;

	master_start(&m);
	hs_features(&m, true, false);
	hs_mem(&m);
	m_state(&m, HIPC_VU_SET_VRING_NUM, 0, NUM, 0);
	/* outside every region */
	a = ring_addr(0);
	a.desc = 0x1000;
	CHECK(m_req(&m, HIPC_VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) != 0);
	/* a guest address where a user address belongs */
	a = ring_addr(0);
	a.avail = R0_GPA + AVAIL_OFF;
	CHECK(m_req(&m, HIPC_VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) != 0);
	/* the used ring running past the end of its region */
	a = ring_addr(0);
	a.used = R0_UVA + R0_SIZE - 64;
	CHECK(m_req(&m, HIPC_VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) != 0);
	/* misaligned descriptor table */
	a = ring_addr(0);
	a.desc += 8;
	CHECK(m_req(&m, HIPC_VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) != 0);
	/* a payload of the wrong size */
	a = ring_addr(0);
	CHECK(m_req(&m, HIPC_VU_SET_VRING_ADDR, &a, sizeof(a) - 8, NULL, 0) !=
	      0);
	/* enabling a ring that was never set up */
	m_state(&m, HIPC_VU_SET_VRING_ENABLE, 0, 1, 1);
	session_ok(&m, 100);
}

/*
 * Requests that do not fit the moment or the offer, each refused (NACKed)
 * and counted in `rejected`, the session going on: features or protocol
 * features not offered, an unknown request, a ring without kick or call
 * fd, an fd with a request that takes none, and with the rings up the
 * memory table, the features and a ring's size, base and addresses.
 */
HIPC_TEST(refused_requests_counted)
{
	struct master m;
	struct hipc_vu_mem t;
	struct hipc_vu_vring_addr a = ring_addr(0);
	uint64_t v;
	int fds[2], st;

	master_start(&m);
	hs_features(&m, true, false);
	v = m.features | (1ull << 40);
	CHECK(m_req(&m, HIPC_VU_SET_FEATURES, &v, 8, NULL, 0) != 0);
	v = (1ull << HIPC_VU_PROTOCOL_F_REPLY_ACK) | (1ull << 40);
	CHECK(m_req(&m, HIPC_VU_SET_PROTOCOL_FEATURES, &v, 8, NULL, 0) != 0);
	CHECK(m_req(&m, 99, NULL, 0, NULL, 0) != 0);
	CHECK(m_req(&m, HIPC_VU_SET_LOG_BASE, NULL, 0, NULL, 0) != 0);
	/* asking for no kick or call fd (polling): not supported */
	v = HIPC_VU_VRING_NOFD;
	CHECK(m_req(&m, HIPC_VU_SET_VRING_KICK, &v, 8, NULL, 0) != 0);
	CHECK(m_req(&m, HIPC_VU_SET_VRING_CALL, &v, 8, NULL, 0) != 0);
	/* an fd with a request that takes none (closed by the backend: its
	 * fd count is checked as it exits) */
	{
		struct hipc_vu_vring_state vs = { 0, NUM };
		int efd = eventfd(0, EFD_CLOEXEC);

		CHECK(m_req(&m, HIPC_VU_SET_VRING_NUM, &vs, sizeof(vs), &efd,
			    1) != 0);
		close(efd);
	}
	hs_mem(&m);
	hs_rings(&m);
	mem_table(&t);
	fds[0] = fds[1] = m.memfd;
	CHECK(m_req(&m, HIPC_VU_SET_MEM_TABLE, &t, 8 + 2 * 32, fds, 2) != 0);
	CHECK(m_req(&m, HIPC_VU_SET_FEATURES, &m.features, 8, NULL, 0) != 0);
	m_state(&m, HIPC_VU_SET_VRING_NUM, 0, NUM, 1);
	m_state(&m, HIPC_VU_SET_VRING_BASE, 0, 0, 1);
	CHECK(m_req(&m, HIPC_VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) != 0);
	echo_check(&m, 100);
	hs_teardown(&m);
	st = master_finish(&m);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK_EQ(vu_stats->rejected, 12);
}

/* The backend's exit status for error @err (master_start's child). */
#define VU_EXIT(err) (10 + (HIPC_##err % 100))

/* A header of another vhost-user version, or one with the reply bit set
 * (a master does not send replies), ends the connection (-HIPC_EPROTO). */
HIPC_TEST(bad_header_flags)
{
	static const uint32_t flags[] = { 0x2u, HIPC_VU_VERSION |
						       HIPC_VU_FLAG_REPLY };

	for (unsigned i = 0; i < 2; i++) {
		struct master m;
		struct hipc_vu_hdr h = { HIPC_VU_GET_FEATURES, flags[i], 0 };
		int st;

		master_start(&m);
		hs_features(&m, true, false);
		CHECK_EQ(send(m.sock, &h, sizeof(h), MSG_NOSIGNAL),
			 (ssize_t)sizeof(h));
		st = master_finish(&m);
		CHECK(WIFEXITED(st));
		CHECK_EQ(WEXITSTATUS(st), VU_EXIT(EPROTO));
	}
}

/* A master that stops in the middle of a message (the header sent, its
 * payload never): the connection ends after 2 s (-HIPC_ETIMEDOUT), the
 * backend does not wait for ever. */
HIPC_TEST(master_stalls_mid_message)
{
	struct master m;
	struct hipc_vu_hdr h = { HIPC_VU_SET_FEATURES, HIPC_VU_VERSION, 8 };
	uint64_t t0;
	int st = 0;

	master_start(&m);
	hs_features(&m, true, false);
	CHECK_EQ(send(m.sock, &h, sizeof(h), MSG_NOSIGNAL), (ssize_t)sizeof(h));
	t0 = now_ns();
	/* the socket stays open: the backend gives up by itself */
	for (;;) {
		pid_t r = waitpid(m.child, &st, WNOHANG);

		if (r == m.child)
			break;
		CHECK(now_ns() - t0 < 20000000000ull);
		usleep(10000);
	}
	printf("gave up after %.1f s\n", (double)(now_ns() - t0) / 1e9);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), VU_EXIT(ETIMEDOUT));
	master_free(&m);
}

/* A header announcing a payload nobody can frame ends the connection; the
 * backend exits with an error, it does not crash. */
HIPC_TEST(bad_framing)
{
	struct master m;
	struct hipc_vu_hdr h = { HIPC_VU_SET_MEM_TABLE, HIPC_VU_VERSION,
				 1u << 20 };
	int st;

	master_start(&m);
	hs_features(&m, true, false);
	CHECK_EQ(send(m.sock, &h, sizeof(h), MSG_NOSIGNAL), (ssize_t)sizeof(h));
	st = master_finish(&m);
	CHECK(WIFEXITED(st));
	CHECK(WEXITSTATUS(st) != 0);
}

/* A descriptor pointing outside the memory table: the device is marked
 * broken, the control channel keeps working, the backend reports -EIO. */
HIPC_TEST(bad_descriptor)
{
	struct master m;
	uint8_t *desc, *avail;
	uint16_t idx;
	uint64_t one = 1, addr = 0xdead0000ull;
	uint32_t len = 64;
	uint16_t flags = 0, zero = 0;
	int st;

	master_start(&m);
	hs_features(&m, true, false);
	hs_mem(&m);
	hs_rings(&m);
	echo_check(&m, 10);
	/* forge a tx message on vring 1 behind the driver's back */
	desc = m.mem + RING_STRIDE + DESC_OFF;
	avail = m.mem + RING_STRIDE + AVAIL_OFF;
	memcpy(&idx, avail + 2, 2);
	memcpy(desc + 0, &addr, 8);
	memcpy(desc + 8, &len, 4);
	memcpy(desc + 12, &flags, 2);
	memcpy(desc + 14, &zero, 2);
	memcpy(avail + 4 + 2 * (idx % NUM), &zero, 2);
	idx++;
	__atomic_store_n((uint16_t *)(void *)(avail + 2), idx, __ATOMIC_RELEASE);
	CHECK_EQ(write(m.kick[1], &one, 8), 8);
	usleep(200000);
	/* the control channel still answers */
	CHECK(m_get(&m, HIPC_VU_GET_FEATURES) & (1ull << HIPC_VU_F_VERSION_1));
	hs_teardown(&m);
	m.dev_up = false; /* the driver's view is stale: do not tear it down */
	st = master_finish(&m);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 10 + HIPC_EIO);
}

/* Rings enabled, rx buffers posted, but no kick yet: the device must not
 * touch the rings (no announcement in vring 0's used ring). */
HIPC_TEST(no_send_before_kick)
{
	struct master m;
	uint16_t used_idx;

	master_start(&m);
	hs_features(&m, true, false);
	hs_mem(&m);
	m.no_first_kick = true;
	hs_rings(&m);
	usleep(200000);
	memcpy(&used_idx, m.mem + USED_OFF + 2, 2);
	CHECK_EQ(used_idx, 0);
	CHECK(!m.ns_seen);
	CHECK_EQ(hipc_rpmsg_dev_start(&m.dev), 0);
	echo_check(&m, 10);
	hs_teardown(&m);
	CHECK_EQ(master_finish(&m), 0);
}

/* GET_VRING_BASE stops the device and reports how far it consumed each
 * ring: vring 1 carried our 10 messages, vring 0 the announcement and 10
 * echoes. */
HIPC_TEST(get_vring_base)
{
	struct hipc_vu_vring_state st;
	struct master m;
	uint64_t v;

	master_start(&m);
	hs_features(&m, true, true);
	hs_mem(&m);
	hs_rings(&m);
	echo_check(&m, 10);
	for (uint32_t q = 0; q < 2; q++) {
		st.index = q;
		st.num = 0;
		m_send(&m, HIPC_VU_GET_VRING_BASE, &st, sizeof(st), NULL, 0,
		       false);
		CHECK_EQ(m_recv_u64(&m, HIPC_VU_GET_VRING_BASE, &v), 0);
		CHECK_EQ((uint32_t)v, q);
		CHECK_EQ((uint32_t)(v >> 32), q == 0 ? 11 : 10);
	}
	CHECK_EQ(master_finish(&m), 0);
}

static uint32_t fuzz_rand(uint64_t *st)
{
	*st = *st * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*st >> 33);
}

/* Random control messages (every one framed, so each gets an answer):
 * the backend answers every one, never crashes, hangs or leaks an fd. */
HIPC_TEST(fuzz_control)
{
	static const uint32_t sizes[] = { 0, 8, 40, 72, 264, 4, 12, 100, 300 };
	struct master m;
	uint64_t seed = 0x5eed, v;
	uint8_t payload[512];
	int fds[4], st;

	if (getenv("HIPC_FUZZ_SEED")) /* to explore further by hand */
		seed = strtoull(getenv("HIPC_FUZZ_SEED"), NULL, 0);
	master_start(&m);
	hs_features(&m, true, true);
	mem_create(&m);
	for (int i = 0; i < 4000; i++) {
		uint32_t req = fuzz_rand(&seed) % 32;
		uint32_t size = sizes[fuzz_rand(&seed) % 9];
		unsigned nfds = fuzz_rand(&seed) % 4 == 0 ? fuzz_rand(&seed) % 4 : 0;

		if (req == HIPC_VU_SET_OWNER || req == HIPC_VU_RESET_OWNER)
			req = HIPC_VU_SET_VRING_ENABLE;
		for (size_t b = 0; b < sizeof(payload); b++)
			payload[b] = (uint8_t)fuzz_rand(&seed);
		/* steer towards plausible values now and then */
		if (fuzz_rand(&seed) & 1) {
			uint32_t small = fuzz_rand(&seed) % 3;

			memcpy(payload, &small, 4);
		}
		if (req == HIPC_VU_SET_MEM_TABLE && (fuzz_rand(&seed) & 1)) {
			struct hipc_vu_mem t;

			mem_table(&t);
			t.num = 1 + fuzz_rand(&seed) % 2;
			t.regions[fuzz_rand(&seed) % 2].size =
				fuzz_rand(&seed) % (2 * R0_SIZE);
			memcpy(payload, &t, 8 + 2 * 32);
			size = 8 + 2 * 32;
			nfds = t.num;
		}
		if (req == HIPC_VU_SET_VRING_NUM && (fuzz_rand(&seed) & 1)) {
			uint32_t num = 1u << (fuzz_rand(&seed) % 17);

			memcpy(payload + 4, &num, 4);
		}
		for (unsigned f = 0; f < nfds; f++)
			fds[f] = fuzz_rand(&seed) & 1 ? m.memfd : m.backend_req[0];
		m_send(&m, req, payload, size, fds, nfds, true);
		CHECK_EQ(m_recv_u64(&m, req, &v), 0);
	}
	CHECK(m_get(&m, HIPC_VU_GET_FEATURES) & (1ull << HIPC_VU_F_VERSION_1));
	st = master_finish(&m);
	CHECK(WIFEXITED(st));
	/* 0, or -EIO if some random ring layout broke the protocol */
	CHECK(WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 10 + HIPC_EIO);
}

/* stop_fd ends a live session cleanly. */
HIPC_TEST(stop_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int sv[2], lfd, c, st;
	socklen_t sl;
	pid_t pid;

	CHECK_EQ(pipe2(sv, O_CLOEXEC), 0);
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "hipc-vu-stop-%d",
		 (int)getpid());
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			 strlen(sa.sun_path + 1));
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(bind(lfd, (struct sockaddr *)&sa, sl), 0);
	CHECK_EQ(listen(lfd, 1), 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct hipc_vhost_user_opts o = { .listen_fd = lfd,
						  .stop_fd = sv[0] };

		hipc_test_child_exit(hipc_vhost_user_serve_ex(&test_fw, &o) == 0 ? 0 : 1);
	}
	close(lfd);
	close(sv[0]);
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&sa, sl), 0);
	usleep(50000);
	CHECK_EQ(write(sv[1], "x", 1), 1);
	for (int i = 0; waitpid(pid, &st, WNOHANG) != pid; i++) {
		CHECK(i < 500);
		usleep(10000);
	}
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	close(c);
	close(sv[1]);
}

/* The process form: listens on a path, SIGTERM ends it, the path goes. */
HIPC_TEST(sigterm_path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int c, st;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/hipc-vu-test-%d.sock",
		 (int)getpid());
	unlink(sa.sun_path);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		hipc_test_child_exit(hipc_vhost_user_serve(&test_fw, sa.sun_path) == 0 ? 0 : 1);
	for (int i = 0; access(sa.sun_path, F_OK) != 0; i++) {
		CHECK(i < 500);
		usleep(10000);
	}
	c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	usleep(50000);
	/* one device, one connection: the path is gone once accepted */
	CHECK(access(sa.sun_path, F_OK) != 0);
	CHECK_EQ(kill(pid, SIGTERM), 0);
	for (int i = 0; waitpid(pid, &st, WNOHANG) != pid; i++) {
		CHECK(i < 500);
		usleep(10000);
	}
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	close(c);
}

HIPC_TEST_MAIN(HIPC_CASE(echo_reply_ack), HIPC_CASE(echo_no_ack),
	       HIPC_CASE(echo_event_idx_all_sizes), HIPC_CASE(reenable),
	       HIPC_CASE(bad_region_count), HIPC_CASE(bad_missing_fd),
	       HIPC_CASE(bad_vring_index), HIPC_CASE(bad_vring_num),
	       HIPC_CASE(bad_vring_addr), HIPC_CASE(bad_framing),
	       HIPC_CASE(refused_requests_counted), HIPC_CASE(bad_header_flags),
	       HIPC_CASE(master_stalls_mid_message),
	       HIPC_CASE(bad_descriptor), HIPC_CASE(no_send_before_kick),
	       HIPC_CASE(get_vring_base), HIPC_CASE(fuzz_control),
	       HIPC_CASE(stop_fd), HIPC_CASE(sigterm_path))
