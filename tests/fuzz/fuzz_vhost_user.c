/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the vhost-user backend (src/vhost-user/vhost_user.c)
 * against a hostile master: the input is a script of master messages
 * (request, flags, size and payload as the input says, with 0 to 15 file
 * descriptors attached: the guest memory's memfd, one of two eventfds, the
 * read end of a pipe nobody writes), doorbells on the kick eventfds (each
 * followed by one pass of the backend's loop: the device goes live, polls
 * its rings) and writes by the guest's driver into its memory.  The file is
 * compiled into this one, so the real message reader, dispatcher and
 * device run over a real socket pair; only the epoll wait is replaced by
 * the harness's script.
 *
 * Besides "no crash" (ASan, UBSan), asserted:
 * - every mapping of the guest memory is placed between two PROT_NONE
 *   pages (mmap()/munmap() of the file are the harness's), so an access
 *   outside it faults;
 * - every reply is a well-formed vhost-user reply (version 1, REPLY flag,
 *   a payload of 8 or of a vring state);
 * - no file descriptor leaks: after each input, the process has exactly
 *   the descriptors it had before;
 * - each message and each loop pass returns at once (the harness sends a
 *   message whole before the backend reads it, so a read never waits;
 *   libFuzzer's -timeout is the backstop).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static void *guarded_mmap(void *addr, size_t len, int prot, int flags, int fd,
			  off_t off);
static int guarded_munmap(void *p, size_t len);
#define mmap guarded_mmap
#define munmap guarded_munmap
#include "../../src/vhost-user/vhost_user.c"
#undef mmap
#undef munmap

#define FUZZ_COUNT_FDS
#include "fuzz_input.h"

#define PG 4096ul
#define MEMSZ (16 * PG)

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_vhost_user:%d: %s\n", __LINE__, \
				#c);                                          \
			abort();                                              \
		}                                                             \
	} while (0)

static void *guarded_mmap(void *addr, size_t len, int prot, int flags, int fd,
			  off_t off)
{
	size_t span = (len + PG - 1) / PG * PG;
	uint8_t *r, *p;

	CHECK(addr == NULL && len > 0);
	r = mmap(NULL, span + 2 * PG, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return MAP_FAILED;
	p = mmap(r + PG, len, prot, flags | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		munmap(r, span + 2 * PG);
		return MAP_FAILED;
	}
	return p;
}

static int guarded_munmap(void *p, size_t len)
{
	size_t span = (len + PG - 1) / PG * PG;

	return munmap((uint8_t *)p - PG, span + 2 * PG);
}

/* The firmware: an echo endpoint, answering without blocking. */
static struct hipc_rpmsg_ept echo;

static int echo_rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t src,
		   void *p)
{
	(void)p;
	(void)hipc_rpmsg_trysendto(e, d, l, src);
	return 0;
}

static int fw_start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)ctx;
	return hipc_rpmsg_ept_create(&echo, dev, "rpmsg-echo", 1024,
				     HIPC_RPMSG_ADDR_ANY, echo_rx, NULL);
}

static void fw_stop(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)dev, (void)ctx;
}

static const struct hipc_firmware fw = {
	.name = "fuzz", .start = fw_start, .stop = fw_stop,
};
static const struct hipc_vhost_user_opts opts = { .listen_fd = -1,
						  .stop_fd = -1 };

static struct vu vu;
static struct vu_msg msg;
static int master = -1, memfd = -1, kick[2] = { -1, -1 }, epfd = -1;
static uint8_t *gmem;  /* the guest memory, as the guest's driver sees it */
static int base_fds;

static void once(void)
{
	int sv[2];

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	CHECK(!fcntl(sv[0], F_SETFL, O_NONBLOCK));
	CHECK(!fcntl(sv[1], F_SETFL, O_NONBLOCK));
	master = sv[1];
	vu.sock = sv[0];
	memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);
	CHECK(memfd >= 0 && !ftruncate(memfd, MEMSZ));
	gmem = mmap(NULL, MEMSZ, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	CHECK(gmem != MAP_FAILED);
	kick[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	kick[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	CHECK(kick[0] >= 0 && kick[1] >= 0 && epfd >= 0);
	signal(SIGPIPE, SIG_IGN);
	base_fds = fuzz_count_fds();
}

/* What the backend does when the master goes: everything let go of. */
static void teardown(void)
{
	uint8_t junk[4096];
	uint64_t v;

	dev_stop(&vu);
	for (unsigned q = 0; q < VU_NQ; q++)
		queue_reset(&vu, q);
	unmap_regions(&vu);
	close_fd(&vu.backend_fd);
	pthread_mutex_destroy(&vu.lock);
	while (read(kick[0], &v, 8) > 0 || read(kick[1], &v, 8) > 0)
		;
	while (recv(master, junk, sizeof(junk), 0) > 0)
		;
	while (recv(vu.sock, junk, sizeof(junk), 0) > 0)
		;
}

/* The replies so far: each one whole and well-formed. */
static uint8_t rbuf[8192];
static size_t rlen;

static void check_replies(void)
{
	ssize_t n;
	size_t off = 0;

	while ((n = recv(master, rbuf + rlen, sizeof(rbuf) - rlen, 0)) > 0)
		rlen += (size_t)n;
	while (rlen - off >= sizeof(struct hipc_vu_hdr)) {
		struct hipc_vu_hdr h;

		memcpy(&h, rbuf + off, sizeof(h));
		CHECK(h.flags == (HIPC_VU_VERSION | HIPC_VU_FLAG_REPLY));
		CHECK(h.size == 8);
		if (rlen - off < sizeof(h) + h.size)
			break;
		off += sizeof(h) + h.size;
	}
	memmove(rbuf, rbuf + off, rlen - off);
	rlen -= off;
}

/* One descriptor to attach, as the input says; -1 for none made. */
static int make_fd(uint32_t kind)
{
	int p[2];

	switch (kind % 4) {
	case 0:
		return dup(memfd);
	case 1:
	case 2:
		return dup(kick[kind % 4 - 1]);
	default:
		if (pipe2(p, O_CLOEXEC))
			return -1;
		close(p[1]);
		return p[0];
	}
}

/* Send one message, whole, with its descriptors. */
static bool send_msg(struct in *in)
{
	static uint8_t buf[sizeof(struct hipc_vu_hdr) + VU_MAX_PAYLOAD];
	union {
		char b[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct hipc_vu_hdr h;
	uint32_t f, nfds;
	int fds[16];
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	h.request = get8(in);
	f = get8(in);
	h.flags = f & 0x80 ? get32(in)
			   : HIPC_VU_VERSION | (f & 8 ? HIPC_VU_FLAG_NEED_REPLY : 0);
	h.size = get16(in);
	if (h.size == 0xFFFF)
		h.size = get32(in);
	nfds = get8(in) % 16;
	for (uint32_t i = 0; i < nfds; i++)
		fds[i] = make_fd(get8(in));
	memcpy(buf, &h, sizeof(h));
	/* the payload: what the input has, zeros after it */
	f = h.size > VU_MAX_PAYLOAD ? 0 : h.size;
	for (uint32_t i = 0; i < f; i++)
		buf[sizeof(h) + i] = (uint8_t)get8(in);
	iov.iov_base = buf;
	iov.iov_len = sizeof(h) + f;
	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = cb.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	n = sendmsg(master, &mh, MSG_NOSIGNAL);
	for (uint32_t i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	CHECK(n == (ssize_t)iov.iov_len);
	return h.size <= VU_MAX_PAYLOAD;
}

/* One pass of the backend's loop after a doorbell. */
static void loop_pass(void)
{
	for (unsigned q = 0; q < VU_NQ; q++)
		drain_kick(&vu, q);
	if (vu.dev_init && !vu.started && vu.kick_seen)
		(void)dev_go(&vu);
	if (vu.started && !vu.dev_dead) {
		int n = hipc_rpmsg_poll(&vu.dev, 0);

		if (n < 0 || hipc_rpmsg_broken(&vu.dev))
			vu.dev_dead = true;
		else
			(void)hipc_rpmsg_prepare_sleep(&vu.dev);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	int sock;

	if (master < 0)
		once();
	sock = vu.sock;
	memset(&vu, 0, sizeof(vu));
	vu_init(&vu, &fw, &opts, (1u << HIPC_VU_F_RPMSG_NS) |
				 (get8(&in) & 1 ? 1u << HIPC_VU_F_EVENT_IDX : 0));
	vu.sock = sock;
	vu.epfd = epfd;
	memset(gmem, 0, MEMSZ);
	rlen = 0;
	while (in.i < in.n) {
		uint32_t op = get8(&in);

		switch (op % 4) {
		case 0:
		case 1: {
			int ret;

			if (!send_msg(&in)) {
				/* cannot be framed: the backend ends the
				 * connection without reading further */
				CHECK(serve_one(&vu, &msg) == -HIPC_EPROTO);
				goto out;
			}
			ret = serve_one(&vu, &msg);
			CHECK(ret != -HIPC_EAGAIN);
			check_replies();
			if (ret)
				goto out; /* the connection is over */
			break;
		}
		case 2: {
			uint64_t one = 1;

			CHECK(write(kick[(op >> 2) & 1], &one, 8) == 8);
			loop_pass();
			break;
		}
		default: {
			/* the guest's driver writes its memory */
			uint32_t off = get32(&in) % (MEMSZ - 8), v = get32(&in);

			memcpy(gmem + off, &v, 1 + (op >> 2) % 4);
			break;
		}
		}
	}
out:
#ifdef FUZZ_TRACE
	fprintf(stderr, "dev_init %d started %d dead %d msgs %lu rejected %u kicks %lu calls %lu\n", vu.dev_init, vu.started, vu.dev_dead, (unsigned long)vu.st.msgs, vu.st.rejected, (unsigned long)vu.st.kicks, (unsigned long)vu.st.calls);
#endif
	teardown();
	CHECK(fuzz_count_fds() == base_fds);
	return 0;
}
