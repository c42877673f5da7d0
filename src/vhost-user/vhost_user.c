/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user backend serving one rpmsg virtio device (see
 * hipc/vhost_user.h).
 *
 * One thread runs everything: the master's control messages, the driver's
 * kicks, the rpmsg receive path and the firmware's poll hook, from one epoll
 * loop.  The rpmsg device role lives in the core; this file supplies its
 * port (lock, doorbell = the vring's call fd, wait = the kick fds) and its
 * memory map (the master's regions, keyed by guest physical address).
 *
 * Life of the device: the master configures both vrings and enables them;
 * we then initialise the core's device, but go live (firmware start, name
 * service announcements) only at the driver's first kick, which is how a
 * virtio driver says "my rx buffers are posted" (there is no DRIVER_OK on
 * this transport).  Disabling a vring, GET_VRING_BASE, RESET_OWNER or a
 * disconnect take the device down again.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/memmap.h"
#include "hipc/rpmsg.h"
#include "hipc/rsc.h"
#include "hipc/vhost_user.h"
#include "port_linux_internal.h"

#define VU_NQ 2u
/* Linux's virtio_rpmsg_bus: fixed 512-byte buffers in both directions. */
#define VU_BUF_SIZE 512u
/* Largest payload we read (and refuse) to stay in step with the stream;
 * anything larger cannot be framed and ends the connection. */
#define VU_MAX_PAYLOAD 4096u
/* A master that stops halfway through a message is gone. */
#define VU_IO_TIMEOUT_MS 2000
#define VU_NBUCKETS 64u
/* Loop period while the firmware has a poll hook that found nothing. */
#define VU_FW_POLL_MS 10

enum vu_tag {
	VU_TAG_SOCK = 1,
	VU_TAG_KICK0 = 2, /* + queue index */
	VU_TAG_STOP = 8,
	VU_TAG_SIG = 9,
};

struct vu_queue {
	uint32_t num; /* 0: not set */
	uint16_t base; /* avail entries consumed when the device last stopped */
	bool addr_set;
	bool enabled;
	struct hipc_vu_vring_addr addr;
	int kick_fd;
	int call_fd;
	int err_fd;
};

struct vu_map {
	uint8_t *base;
	size_t len;
};

struct vu_msg {
	struct hipc_vu_hdr hdr;
	union {
		uint64_t u64;
		struct hipc_vu_vring_state state;
		struct hipc_vu_vring_addr addr;
		struct hipc_vu_mem mem;
		uint8_t raw[VU_MAX_PAYLOAD];
	} p;
	int fds[HIPC_VU_MAX_FDS];
	unsigned nfds;
	bool fds_overflow;
};

struct vu {
	const struct hipc_firmware *fw;
	const struct hipc_vhost_user_opts *opts;
	int sock;
	int epfd;
	int backend_fd;
	int sig_fd;
	uint64_t offered;
	uint64_t features;
	uint64_t proto_offered;
	uint64_t proto;
	bool features_set;
	struct vu_queue q[VU_NQ];

	unsigned nregions;
	struct vu_map maps[HIPC_VU_MAX_REGIONS];
	struct hipc_region gpa[HIPC_VU_MAX_REGIONS];
	struct hipc_region uva[HIPC_VU_MAX_REGIONS];
	struct hipc_memmap gpa_map; /* descriptors: guest physical addresses */
	struct hipc_memmap uva_map; /* SET_VRING_ADDR: the master's addresses */

	pthread_mutex_t lock;
	struct hipc_port_ops port_ops;
	struct hipc_port port;
	struct hipc_rpmsg_dev dev;
	struct hipc_rpmsg_ept *buckets[VU_NBUCKETS];
	bool dev_init;     /* core device initialised (both vrings enabled) */
	bool started;      /* firmware started, device live */
	bool kick_seen;    /* the driver kicked since the rings were set up */
	bool dev_dead;     /* the driver broke the virtio protocol */
	bool was_broken;   /* ... at some point of this connection (sticky) */
	bool gone;         /* the master hung up */
	bool stop;         /* asked to stop */
	struct hipc_vhost_user_stats st;
};

static void vu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void vu_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("hipc-vhost-user: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/*
 * A failed recv()/send() on the master's socket: a connection the master
 * closed or reset is its going away (the loop ends the session quietly),
 * anything else an error of ours.
 */
static int sock_errno(int e)
{
	return e == EPIPE || e == ECONNRESET ? -HIPC_ECONNRESET
					     : hipc__from_errno(e);
}

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		/* close() is not retried on EINTR: on Linux the fd is gone */
		close(*fd);
		*fd = -1;
	}
}

static const char *req_name(uint32_t r)
{
	switch (r) {
	case HIPC_VU_GET_FEATURES: return "GET_FEATURES";
	case HIPC_VU_SET_FEATURES: return "SET_FEATURES";
	case HIPC_VU_SET_OWNER: return "SET_OWNER";
	case HIPC_VU_RESET_OWNER: return "RESET_OWNER";
	case HIPC_VU_SET_MEM_TABLE: return "SET_MEM_TABLE";
	case HIPC_VU_SET_LOG_BASE: return "SET_LOG_BASE";
	case HIPC_VU_SET_LOG_FD: return "SET_LOG_FD";
	case HIPC_VU_SET_VRING_NUM: return "SET_VRING_NUM";
	case HIPC_VU_SET_VRING_ADDR: return "SET_VRING_ADDR";
	case HIPC_VU_SET_VRING_BASE: return "SET_VRING_BASE";
	case HIPC_VU_GET_VRING_BASE: return "GET_VRING_BASE";
	case HIPC_VU_SET_VRING_KICK: return "SET_VRING_KICK";
	case HIPC_VU_SET_VRING_CALL: return "SET_VRING_CALL";
	case HIPC_VU_SET_VRING_ERR: return "SET_VRING_ERR";
	case HIPC_VU_GET_PROTOCOL_FEATURES: return "GET_PROTOCOL_FEATURES";
	case HIPC_VU_SET_PROTOCOL_FEATURES: return "SET_PROTOCOL_FEATURES";
	case HIPC_VU_GET_QUEUE_NUM: return "GET_QUEUE_NUM";
	case HIPC_VU_SET_VRING_ENABLE: return "SET_VRING_ENABLE";
	case HIPC_VU_SET_BACKEND_REQ_FD: return "SET_BACKEND_REQ_FD";
	default: return "unknown";
	}
}

/* --- the port the core uses ---------------------------------------------- */

static void port_lock(void *ctx)
{
	struct vu *vu = ctx;

	pthread_mutex_lock(&vu->lock);
}

static void port_unlock(void *ctx)
{
	struct vu *vu = ctx;

	pthread_mutex_unlock(&vu->lock);
}

static uint64_t port_now(void *ctx)
{
	return hipc_now_ns();
}

/*
 * Doorbell: 8 bytes into the vring's call fd (virtio_uml reads a pipe 8
 * bytes at a time; an eventfd takes the same write).  A full pipe means the
 * driver has unread doorbells already, so dropping this one loses nothing;
 * testing for room first keeps us from blocking on an fd whose flags belong
 * to the master.
 */
static int port_notify(void *ctx, uint32_t notifyid)
{
	struct vu *vu = ctx;
	const uint64_t one = 1;
	struct pollfd pfd;
	ssize_t n;
	int fd;

	if (notifyid >= VU_NQ)
		return -HIPC_EINVAL;
	fd = vu->q[notifyid].call_fd;
	if (fd < 0 || vu->gone)
		return 0;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & POLLOUT))
		return 0;
	do {
		n = write(fd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(one)) {
		vu->st.calls++;
		return 0;
	}
	if (n < 0 && errno == EPIPE) {
		/* the driver closed its end: consume the SIGPIPE we blocked */
		sigset_t set;
		struct timespec zero = { 0, 0 };

		sigemptyset(&set);
		sigaddset(&set, SIGPIPE);
		while (sigtimedwait(&set, NULL, &zero) < 0 && errno == EINTR)
			;
		vu->gone = true;
	}
	return 0;
}

static void drain_kick(struct vu *vu, unsigned q)
{
	uint64_t v;
	struct pollfd pfd = { .fd = vu->q[q].kick_fd, .events = POLLIN };
	ssize_t n;

	if (pfd.fd < 0)
		return;
	/* read only what poll says is there: the fd's flags are the master's */
	if (poll(&pfd, 1, 0) != 1 || !(pfd.revents & (POLLIN | POLLHUP)))
		return;
	do {
		n = read(pfd.fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	if (n == 0) {
		/* a pipe whose writer is gone: stop watching it */
		epoll_ctl(vu->epfd, EPOLL_CTL_DEL, pfd.fd, NULL);
		close_fd(&vu->q[q].kick_fd);
		return;
	}
	vu->st.kicks++;
	vu->kick_seen = true;
}

/*
 * Sleep until the driver kicks, the deadline passes, or the master wants
 * attention.  A control message (or a hang-up) makes a blocked send give up
 * (-HIPC_ENOTSUP turns into -HIPC_EAGAIN for the sender) so that the loop
 * can handle it: at shutdown the master disables the rings and waits for
 * our answer, and no buffer will come back before that.
 */
static int port_wait(void *ctx, uint64_t deadline_ns)
{
	struct vu *vu = ctx;
	struct pollfd pfd[VU_NQ + 3];
	unsigned n = 0, nk;
	int timeout = -1;
	int r;

	if (vu->gone || vu->stop)
		return -HIPC_ENOTSUP;
	for (unsigned q = 0; q < VU_NQ; q++) {
		pfd[n].fd = vu->q[q].kick_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		n++;
	}
	nk = n;
	pfd[n].fd = vu->sock;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	pfd[n].fd = vu->opts->stop_fd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	pfd[n].fd = vu->sig_fd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	if (deadline_ns) {
		uint64_t now = hipc_now_ns();

		timeout = now >= deadline_ns
				  ? 0
				  : (int)((deadline_ns - now + 999999u) / 1000000u);
	}
	r = poll(pfd, n, timeout);
	if (r < 0)
		return errno == EINTR ? 0 : -HIPC_ENOTSUP;
	if (r == 0)
		return -HIPC_ETIMEDOUT;
	for (unsigned q = 0; q < nk; q++)
		if (pfd[q].revents)
			drain_kick(vu, q);
	if (pfd[nk].revents & (POLLHUP | POLLERR)) {
		vu->gone = true;
		return -HIPC_ENOTSUP;
	}
	if (pfd[nk].revents || pfd[nk + 1].revents || pfd[nk + 2].revents)
		return -HIPC_ENOTSUP;
	return 0;
}

/* --- socket I/O ------------------------------------------------------------ */

static void msg_take_fds(struct vu_msg *m, struct msghdr *mh)
{
	struct cmsghdr *c;

	if (mh->msg_flags & MSG_CTRUNC)
		m->fds_overflow = true;
	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t cnt;
		int *fds;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		fds = (int *)(void *)CMSG_DATA(c);
		for (size_t i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, &fds[i], sizeof(fd));
			if (m->nfds < HIPC_VU_MAX_FDS) {
				m->fds[m->nfds++] = fd;
			} else {
				close(fd);
				m->fds_overflow = true;
			}
		}
	}
}

static void msg_close_fds(struct vu_msg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		close_fd(&m->fds[i]);
	m->nfds = 0;
}

/* Take fd @i out of @m (the caller owns it now). */
static int msg_take_fd(struct vu_msg *m, unsigned i)
{
	int fd = m->fds[i];

	m->fds[i] = -1;
	return fd;
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t deadline = timeout_ms < 0 ? 0
					   : hipc_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int r;

	/* A signal does not restart the whole timeout: what is left of it
	 * is computed from the deadline. */
	for (;;) {
		r = poll(&pfd, 1, timeout_ms);
		if (r >= 0 || errno != EINTR)
			break;
		if (deadline) {
			uint64_t now = hipc_now_ns();

			timeout_ms = now >= deadline
					     ? 0
					     : (int)((deadline - now + 999999u) /
						     1000000u);
		}
	}
	if (r < 0)
		return hipc__from_errno(errno);
	if (r == 0)
		return -HIPC_ETIMEDOUT;
	if ((pfd.revents & (POLLERR | POLLNVAL)) ||
	    ((pfd.revents & POLLHUP) && !(pfd.revents & events)))
		return -HIPC_ECONNRESET;
	return 0;
}

/*
 * Read exactly @len bytes into @buf, collecting any fds that come along.
 * @first: nothing of this message read yet, so "no data" is -HIPC_EAGAIN
 * rather than a wait.
 */
static int recv_full(struct vu *vu, struct vu_msg *m, void *buf, size_t len,
		     bool first)
{
	size_t got = 0;

	while (got < len) {
		union {
			char buf[CMSG_SPACE(sizeof(int) * HIPC_VU_MAX_FDS)];
			struct cmsghdr align;
		} cbuf;
		struct iovec iov = { .iov_base = (uint8_t *)buf + got,
				     .iov_len = len - got };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		ssize_t n = recvmsg(vu->sock, &mh, MSG_CMSG_CLOEXEC);
		int ret;

		if (n > 0) {
			msg_take_fds(m, &mh);
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return -HIPC_ECONNRESET;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return sock_errno(errno);
		if (first && got == 0)
			return -HIPC_EAGAIN;
		ret = wait_fd(vu->sock, POLLIN, VU_IO_TIMEOUT_MS);
		if (ret)
			return ret;
	}
	return 0;
}

static int send_full(struct vu *vu, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(vu->sock, (const uint8_t *)buf + done,
				 len - done, MSG_NOSIGNAL);
		int ret;

		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return sock_errno(errno);
		ret = wait_fd(vu->sock, POLLOUT, VU_IO_TIMEOUT_MS);
		if (ret)
			return ret;
	}
	return 0;
}

static int send_reply(struct vu *vu, uint32_t request, const void *payload,
		      uint32_t size)
{
	struct {
		struct hipc_vu_hdr hdr;
		uint8_t payload[sizeof(struct hipc_vu_vring_state) + 8];
	} __attribute__((packed)) r;

	if (size > sizeof(r.payload))
		abort(); /* our own replies are all small */
	r.hdr.request = request;
	r.hdr.flags = HIPC_VU_VERSION | HIPC_VU_FLAG_REPLY;
	r.hdr.size = size;
	memcpy(r.payload, payload, size);
	return send_full(vu, &r, sizeof(r.hdr) + size);
}

static int reply_u64(struct vu *vu, uint32_t request, uint64_t v)
{
	return send_reply(vu, request, &v, sizeof(v));
}

/* --- memory table ---------------------------------------------------------- */

static void unmap_regions(struct vu *vu)
{
	for (unsigned i = 0; i < vu->nregions; i++)
		munmap(vu->maps[i].base, vu->maps[i].len);
	vu->nregions = 0;
	vu->gpa_map.count = 0;
	vu->uva_map.count = 0;
}

static bool add_overflows(uint64_t a, uint64_t b)
{
	return a + b < a;
}

/* Each of the @n regions: no wrap-around, and inside the file of its fd. */
static int check_regions(const struct vu_msg *m, unsigned n)
{
	const struct hipc_vu_mem *mem = &m->p.mem;

	for (unsigned i = 0; i < n; i++) {
		const struct hipc_vu_region *r = &mem->regions[i];
		struct stat sb;

		if (r->size == 0 || r->size > SIZE_MAX / 2 ||
		    add_overflows(r->guest_addr, r->size) ||
		    add_overflows(r->user_addr, r->size) ||
		    add_overflows(r->mmap_offset, r->size) ||
		    r->mmap_offset > (uint64_t)INT64_MAX - r->size)
			return -HIPC_EINVAL;
		if (fstat(m->fds[i], &sb) < 0 || !S_ISREG(sb.st_mode) ||
		    (uint64_t)sb.st_size < r->mmap_offset + r->size)
			return -HIPC_EINVAL;
	}
	return 0;
}

/* Map the @n regions into @nmaps: all of them, or none. */
static int map_regions(const struct vu_msg *m, unsigned n,
		       struct vu_map *nmaps)
{
	const struct hipc_vu_mem *mem = &m->p.mem;
	long page = sysconf(_SC_PAGESIZE);
	unsigned i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		const struct hipc_vu_region *r = &mem->regions[i];
		uint64_t off = r->mmap_offset & ~((uint64_t)page - 1);
		size_t delta = (size_t)(r->mmap_offset - off);
		void *p;

		nmaps[i].len = (size_t)r->size + delta;
		p = mmap(NULL, nmaps[i].len, PROT_READ | PROT_WRITE,
			 MAP_SHARED, m->fds[i], (off_t)off);
		if (p == MAP_FAILED) {
			ret = hipc__from_errno(errno);
			break;
		}
		nmaps[i].base = p;
	}
	if (ret) {
		while (i-- > 0)
			munmap(nmaps[i].base, nmaps[i].len);
	}
	return ret;
}

/*
 * Residual trust: a master that shrinks a region's file after we mapped it
 * makes our accesses fault (SIGBUS).  We check the size at map time; a
 * master that wants us dead that way also owns the whole VM we serve.
 */
static int set_mem_table(struct vu *vu, struct vu_msg *m)
{
	const struct hipc_vu_mem *mem = &m->p.mem;
	struct vu_map nmaps[HIPC_VU_MAX_REGIONS];
	unsigned n, i;
	int ret;

	if (vu->dev_init || vu->q[0].enabled || vu->q[1].enabled)
		return -HIPC_EBUSY;
	if (m->hdr.size < offsetof(struct hipc_vu_mem, regions))
		return -HIPC_EBADMSG;
	n = mem->num;
	if (n == 0 || n > HIPC_VU_MAX_REGIONS)
		return -HIPC_EINVAL;
	if (m->hdr.size < offsetof(struct hipc_vu_mem, regions) +
				  n * sizeof(struct hipc_vu_region) ||
	    m->hdr.size > sizeof(*mem))
		return -HIPC_EBADMSG;
	if (m->nfds != n || m->fds_overflow)
		return -HIPC_EBADMSG;
	ret = check_regions(m, n);
	if (ret)
		return ret;
	ret = map_regions(m, n, nmaps);
	if (ret)
		return ret;
	unmap_regions(vu);
	for (i = 0; i < n; i++) {
		const struct hipc_vu_region *r = &mem->regions[i];
		size_t delta = nmaps[i].len - (size_t)r->size;

		vu->maps[i] = nmaps[i];
		vu->gpa[i].da = r->guest_addr;
		vu->gpa[i].va = nmaps[i].base + delta;
		vu->gpa[i].size = (size_t)r->size;
		vu->uva[i] = vu->gpa[i];
		vu->uva[i].da = r->user_addr;
	}
	vu->nregions = n;
	vu->gpa_map.regions = vu->gpa;
	vu->gpa_map.count = n;
	vu->uva_map.regions = vu->uva;
	vu->uva_map.count = n;
	/* the mappings hold the memory; the fds are not needed */
	msg_close_fds(m);
	if (vu->opts->verbose)
		for (i = 0; i < n; i++)
			vu_log("region %u: guest 0x%llx user 0x%llx size 0x%llx",
			       i, (unsigned long long)vu->gpa[i].da,
			       (unsigned long long)vu->uva[i].da,
			       (unsigned long long)vu->gpa[i].size);
	return 0;
}

/* --- the rings ------------------------------------------------------------- */

/* A vring's three parts as the master gave them (its virtual addresses,
 * which the core translates through uva_map). */
static struct hipc_vring_addr ring_parts(const struct vu *vu, unsigned q)
{
	const struct hipc_vu_vring_addr *a = &vu->q[q].addr;
	struct hipc_vring_addr p = { a->desc, a->avail, a->used };

	return p;
}

/* Every protocol violation seen: the device's and its rings'. */
static unsigned proto_errors(const struct vu *vu)
{
	struct hipc_rpmsg_stats st;
	struct hipc_vring_info i;
	unsigned n = 0;

	if (hipc_rpmsg_get_stats(&vu->dev, &st) == 0)
		n += st.proto_errors;
	for (unsigned q = 0; q < VU_NQ; q++)
		if (hipc_rpmsg_ring_info(&vu->dev, q, &i) == 0)
			n += i.errors;
	return n;
}

static void dev_stop(struct vu *vu)
{
	if (vu->started && vu->fw->stop)
		vu->fw->stop(&vu->dev, vu->fw->ctx);
	if (vu->dev_init) {
		/* GET_VRING_BASE: the next avail entry we would consume. */
		for (unsigned q = 0; q < VU_NQ; q++) {
			struct hipc_vring_info i;

			if (hipc_rpmsg_ring_info(&vu->dev, q, &i) == 0)
				vu->q[q].base = i.consumed;
		}
		hipc_rpmsg_dev_deinit(&vu->dev);
	}
	vu->started = false;
	vu->dev_init = false;
	vu->kick_seen = false;
	vu->dev_dead = false;
}

static int dev_setup(struct vu *vu)
{
	struct hipc_rpmsg_dev_config cfg;
	int ret;

	if (vu->q[0].num != vu->q[1].num) {
		vu_log("vrings of different sizes (%u, %u)", vu->q[0].num,
		       vu->q[1].num);
		return -HIPC_EINVAL;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = HIPC_RPMSG_DEVICE;
	for (unsigned q = 0; q < VU_NQ; q++) {
		cfg.vring_parts[q] = ring_parts(vu, q);
		cfg.notifyid[q] = q;
	}
	cfg.parts_map = &vu->uva_map;
	cfg.num = vu->q[0].num;
	cfg.align = 4096;
	cfg.features = (uint32_t)(vu->features &
				  ((1u << HIPC_RPMSG_F_NS) |
				   (1u << HIPC_VU_F_EVENT_IDX)));
	cfg.buf_size = VU_BUF_SIZE;
	cfg.map = &vu->gpa_map;
	cfg.buckets = vu->buckets;
	cfg.nbuckets = VU_NBUCKETS;
	cfg.mem = &hipc_linux_mem; /* the table grows past VU_NBUCKETS */
	cfg.port = &vu->port;
	ret = hipc_rpmsg_dev_init(&vu->dev, &cfg);
	if (ret == -HIPC_ERANGE)
		vu_log("vrings: addresses outside the memory table");
	if (ret) {
		vu_log("device init failed: %s", hipc_strerror(ret));
		return ret;
	}
	vu->dev_init = true;
	vu->dev_dead = false;
	vu->q[0].base = vu->q[1].base = 0;
	return 0;
}

/* The driver kicked: its rx buffers are posted.  Start the firmware. */
static int dev_go(struct vu *vu)
{
	int ret;

	vu->started = true;
	vu->st.sessions++;
	if (vu->fw->start) {
		ret = vu->fw->start(&vu->dev, vu->fw->ctx);
		if (ret) {
			vu_log("firmware %s: start failed (%d)",
			       vu->fw->name ? vu->fw->name : "?", ret);
			vu->started = false;
			return ret < 0 ? ret : -HIPC_EIO;
		}
	}
	ret = hipc_rpmsg_dev_start(&vu->dev);
	if (ret)
		vu_log("device start: %s", hipc_strerror(ret));
	return 0;
}

static void queue_reset(struct vu *vu, unsigned q)
{
	struct vu_queue *vq = &vu->q[q];

	if (vq->kick_fd >= 0)
		epoll_ctl(vu->epfd, EPOLL_CTL_DEL, vq->kick_fd, NULL);
	close_fd(&vq->kick_fd);
	close_fd(&vq->call_fd);
	close_fd(&vq->err_fd);
	vq->num = 0;
	vq->addr_set = false;
	vq->enabled = false;
}

/* --- control messages ------------------------------------------------------ */

static int want_size(const struct vu_msg *m, uint32_t size)
{
	return m->hdr.size == size ? 0 : -HIPC_EBADMSG;
}

static int want_nofds(const struct vu_msg *m)
{
	return m->nfds || m->fds_overflow ? -HIPC_EBADMSG : 0;
}

static int vring_index(const struct vu_msg *m, unsigned *q)
{
	if (m->p.state.index >= VU_NQ)
		return -HIPC_EINVAL;
	*q = m->p.state.index;
	return 0;
}

static int set_vring_fd(struct vu *vu, struct vu_msg *m)
{
	uint64_t v = m->p.u64;
	unsigned q = (unsigned)(v & HIPC_VU_VRING_IDX_MASK);
	bool nofd = v & HIPC_VU_VRING_NOFD;
	struct vu_queue *vq;
	int *slot;
	int fd;

	if (v & ~(uint64_t)(HIPC_VU_VRING_IDX_MASK | HIPC_VU_VRING_NOFD))
		return -HIPC_EINVAL;
	if (q >= VU_NQ)
		return -HIPC_EINVAL;
	if (m->fds_overflow || m->nfds != (nofd ? 0u : 1u))
		return -HIPC_EBADMSG;
	vq = &vu->q[q];
	switch (m->hdr.request) {
	case HIPC_VU_SET_VRING_KICK:
		/* polling without a kick fd is not supported */
		if (nofd)
			return -HIPC_ENOTSUP;
		slot = &vq->kick_fd;
		break;
	case HIPC_VU_SET_VRING_CALL:
		/* without a call fd the driver would never hear from us */
		if (nofd)
			return -HIPC_ENOTSUP;
		slot = &vq->call_fd;
		break;
	default:
		slot = &vq->err_fd;
		break;
	}
	if (slot == &vq->kick_fd && *slot >= 0)
		epoll_ctl(vu->epfd, EPOLL_CTL_DEL, *slot, NULL);
	close_fd(slot);
	if (nofd)
		return 0;
	fd = msg_take_fd(m, 0);
	if (slot == &vq->kick_fd) {
		struct epoll_event ev = { .events = EPOLLIN,
					  .data.u32 = VU_TAG_KICK0 + q };

		if (epoll_ctl(vu->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			int ret = hipc__from_errno(errno);

			close(fd);
			return ret;
		}
	}
	*slot = fd;
	return 0;
}

static int set_vring_enable(struct vu *vu, unsigned q, uint32_t on)
{
	struct vu_queue *vq = &vu->q[q];
	int ret;

	if (on > 1)
		return -HIPC_EINVAL;
	if (!on) {
		dev_stop(vu);
		vq->enabled = false;
		return 0;
	}
	if (!vq->num || !vq->addr_set || vq->kick_fd < 0 || vq->call_fd < 0 ||
	    !vu->nregions || !vu->features_set)
		return -HIPC_EPROTO;
	if (vq->enabled)
		return 0;
	vq->enabled = true;
	if (vu->q[0].enabled && vu->q[1].enabled) {
		ret = dev_setup(vu);
		if (ret) {
			vq->enabled = false;
			return ret;
		}
	}
	return 0;
}

/* GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM: one u64 back. */
static int get_u64(struct vu *vu, struct vu_msg *m)
{
	uint64_t v = m->hdr.request == HIPC_VU_GET_FEATURES
			     ? vu->offered
		     : m->hdr.request == HIPC_VU_GET_QUEUE_NUM
			     ? VU_NQ
			     : vu->proto_offered;
	int ret;

	/* answered even when malformed: the master waits for it */
	ret = reply_u64(vu, m->hdr.request, v);
	return ret ? ret : want_size(m, 0);
}

static int get_vring_base(struct vu *vu, struct vu_msg *m)
{
	struct hipc_vu_vring_state st = { 0, 0 };
	unsigned q;
	int ret, r;

	ret = want_size(m, sizeof(st));
	if (!ret)
		ret = vring_index(m, &q);
	if (!ret) {
		st.index = q;
		/* the ring stops (and the device with it): report
		 * how far we consumed it */
		dev_stop(vu);
		st.num = vu->q[q].base;
		vu->q[q].enabled = false;
	}
	r = send_reply(vu, m->hdr.request, &st, sizeof(st));
	return r ? r : ret;
}

/* RESET_OWNER, SET_FEATURES, SET_PROTOCOL_FEATURES. */
static int set_owner_features(struct vu *vu, struct vu_msg *m)
{
	unsigned q;
	int ret;

	switch (m->hdr.request) {
	case HIPC_VU_RESET_OWNER:
		if ((ret = want_size(m, 0)))
			return ret;
		dev_stop(vu);
		for (q = 0; q < VU_NQ; q++)
			queue_reset(vu, q);
		vu->features_set = false;
		return 0;
	case HIPC_VU_SET_FEATURES:
		if ((ret = want_size(m, 8)))
			return ret;
		if (m->p.u64 & ~vu->offered)
			return -HIPC_EINVAL;
		if (vu->dev_init)
			return -HIPC_EBUSY;
		vu->features = m->p.u64;
		vu->features_set = true;
		return 0;
	default: /* HIPC_VU_SET_PROTOCOL_FEATURES */
		if ((ret = want_size(m, 8)))
			return ret;
		if (m->p.u64 & ~vu->proto_offered)
			return -HIPC_EINVAL;
		vu->proto = m->p.u64;
		return 0;
	}
}

static int set_vring_addr(struct vu *vu, struct vu_msg *m)
{
	struct vu_queue *vq;
	int ret;

	if ((ret = want_size(m, sizeof(m->p.addr))))
		return ret;
	if (m->p.addr.index >= VU_NQ)
		return -HIPC_EINVAL;
	vq = &vu->q[m->p.addr.index];
	if (vq->enabled)
		return -HIPC_EBUSY;
	vq->addr = m->p.addr;
	vq->addr_set = true;
	/* refuse what cannot work now, by the core's own test; the
	 * device's init makes it again with the final ring size and
	 * features */
	if (vu->nregions) {
		struct hipc_vring_addr parts = ring_parts(vu, m->p.addr.index);

		ret = hipc_vring_parts_check(
			&vu->uva_map, &parts, vq->num ? vq->num : 1u,
			(vu->features >> HIPC_VU_F_EVENT_IDX) & 1u);
		if (ret) {
			vq->addr_set = false;
			return ret;
		}
	}
	return 0;
}

/* SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ENABLE: a vring_state each. */
static int set_vring_state(struct vu *vu, struct vu_msg *m)
{
	unsigned q;
	int ret;

	switch (m->hdr.request) {
	case HIPC_VU_SET_VRING_NUM:
		if ((ret = want_size(m, 8)) || (ret = vring_index(m, &q)))
			return ret;
		if (m->p.state.num == 0 || m->p.state.num > HIPC_VRING_NUM_MAX ||
		    (m->p.state.num & (m->p.state.num - 1)))
			return -HIPC_EINVAL;
		if (vu->q[q].enabled)
			return -HIPC_EBUSY;
		vu->q[q].num = m->p.state.num;
		return 0;
	case HIPC_VU_SET_VRING_BASE:
		if ((ret = want_size(m, 8)) || (ret = vring_index(m, &q)))
			return ret;
		if (vu->q[q].enabled)
			return -HIPC_EBUSY;
		/* the core starts a ring at index 0, as after a reset */
		return m->p.state.num == 0 ? 0 : -HIPC_ENOTSUP;
	default: /* HIPC_VU_SET_VRING_ENABLE */
		if ((ret = want_size(m, 8)) || (ret = vring_index(m, &q)))
			return ret;
		return set_vring_enable(vu, q, m->p.state.num);
	}
}

static int set_backend_req_fd(struct vu *vu, struct vu_msg *m)
{
	int ret;

	if ((ret = want_size(m, 0)))
		return ret;
	if (m->nfds != 1 || m->fds_overflow)
		return -HIPC_EBADMSG;
	/* kept open for the connection's life: virtio_uml takes a
	 * closed backend channel for a dead device */
	close_fd(&vu->backend_fd);
	vu->backend_fd = msg_take_fd(m, 0);
	return 0;
}

/* Handle one message.  Return 0 (accepted) or a negative hipc code (refused:
 * the master gets a NACK if it asked); *@replied if the request has a reply
 * of its own, which was sent. */
static int handle(struct vu *vu, struct vu_msg *m, bool *replied)
{
	int ret;

	*replied = false;
	switch (m->hdr.request) {
	case HIPC_VU_GET_FEATURES:
	case HIPC_VU_GET_PROTOCOL_FEATURES:
	case HIPC_VU_GET_QUEUE_NUM:
		*replied = true;
		return get_u64(vu, m);
	case HIPC_VU_GET_VRING_BASE:
		*replied = true;
		return get_vring_base(vu, m);
	default:
		break;
	}

	/* requests without an inherent reply */
	if ((ret = want_nofds(m)) && m->hdr.request != HIPC_VU_SET_MEM_TABLE &&
	    m->hdr.request != HIPC_VU_SET_VRING_KICK &&
	    m->hdr.request != HIPC_VU_SET_VRING_CALL &&
	    m->hdr.request != HIPC_VU_SET_VRING_ERR &&
	    m->hdr.request != HIPC_VU_SET_BACKEND_REQ_FD)
		return ret;
	switch (m->hdr.request) {
	case HIPC_VU_SET_OWNER:
		return want_size(m, 0);
	case HIPC_VU_RESET_OWNER:
	case HIPC_VU_SET_FEATURES:
	case HIPC_VU_SET_PROTOCOL_FEATURES:
		return set_owner_features(vu, m);
	case HIPC_VU_SET_MEM_TABLE:
		return set_mem_table(vu, m);
	case HIPC_VU_SET_VRING_NUM:
	case HIPC_VU_SET_VRING_BASE:
	case HIPC_VU_SET_VRING_ENABLE:
		return set_vring_state(vu, m);
	case HIPC_VU_SET_VRING_ADDR:
		return set_vring_addr(vu, m);
	case HIPC_VU_SET_VRING_KICK:
	case HIPC_VU_SET_VRING_CALL:
	case HIPC_VU_SET_VRING_ERR:
		if ((ret = want_size(m, 8)))
			return ret;
		return set_vring_fd(vu, m);
	case HIPC_VU_SET_BACKEND_REQ_FD:
		return set_backend_req_fd(vu, m);
	default:
		return -HIPC_ENOTSUP;
	}
}

/*
 * Read and handle one message.  Return 0, -HIPC_EAGAIN (nothing there), or
 * a fatal error (the connection is over).
 */
static int serve_one(struct vu *vu, struct vu_msg *m)
{
	bool replied;
	int ret;

	m->nfds = 0;
	m->fds_overflow = false;
	ret = recv_full(vu, m, &m->hdr, sizeof(m->hdr), true);
	if (ret)
		goto out;
	if ((m->hdr.flags & 3u) != HIPC_VU_VERSION ||
	    (m->hdr.flags & HIPC_VU_FLAG_REPLY)) {
		vu_log("bad header flags 0x%x: not vhost-user version 1",
		       m->hdr.flags);
		ret = -HIPC_EPROTO;
		goto out;
	}
	if (m->hdr.size > VU_MAX_PAYLOAD) {
		vu_log("%s: payload of %u bytes: cannot frame",
		       req_name(m->hdr.request), m->hdr.size);
		ret = -HIPC_EPROTO;
		goto out;
	}
	memset(&m->p, 0, sizeof(m->p.mem));
	ret = recv_full(vu, m, &m->p, m->hdr.size, false);
	if (ret)
		goto out;
	vu->st.msgs++;
	if (vu->opts->verbose)
		vu_log("<- %s flags 0x%x size %u fds %u",
		       req_name(m->hdr.request), m->hdr.flags, m->hdr.size,
		       m->nfds);

	ret = handle(vu, m, &replied);
	if (ret == -HIPC_ECONNRESET || ret == -HIPC_ETIMEDOUT) {
		/* a reply could not be sent */
		goto out;
	}
	if (ret) {
		vu->st.rejected++;
		/* a hostile master must not be able to fill our log */
		if (vu->st.rejected <= 20 || vu->st.rejected % 1000 == 0)
			vu_log("refused %s (request %u, size %u, fds %u): %s "
			       "(%u refused so far)",
			       req_name(m->hdr.request), m->hdr.request,
			       m->hdr.size, m->nfds, hipc_strerror(ret),
			       vu->st.rejected);
	}
	if (!replied && (m->hdr.flags & HIPC_VU_FLAG_NEED_REPLY) &&
	    (vu->proto & (1u << HIPC_VU_PROTOCOL_F_REPLY_ACK))) {
		int r = reply_u64(vu, m->hdr.request, ret ? 1u : 0u);

		if (r) {
			ret = r;
			goto out;
		}
	}
	ret = 0;
out:
	msg_close_fds(m);
	return ret;
}

/* --- setup and the loop ------------------------------------------------------ */

static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig_pipe[1] >= 0 && write(sig_pipe[1], &c, 1) < 0) {
		/* full pipe: a stop is pending already */
	}
	errno = saved;
}

static int fw_features(const struct hipc_firmware *fw, uint32_t *dfeatures)
{
	struct hipc_rsc_error err;
	const uint8_t *t = fw->rsc;
	size_t off;
	uint32_t id;

	if (!t || hipc_rsc_validate(t, fw->rsc_size, &err)) {
		vu_log("firmware %s: invalid resource table",
		       fw->name ? fw->name : "?");
		return -HIPC_EINVAL;
	}
	if (hipc_rsc_find(t, fw->rsc_size, HIPC_RSC_VDEV, 0, &off) ||
	    off + sizeof(struct hipc_rsc_vdev) > fw->rsc_size)
		return -HIPC_EINVAL;
	/* little-endian on the wire; every host we run on is too */
	memcpy(&id, t + off + offsetof(struct hipc_rsc_vdev, id), 4);
	memcpy(dfeatures, t + off + offsetof(struct hipc_rsc_vdev, dfeatures),
	       4);
	return id == HIPC_VIRTIO_ID_RPMSG ? 0 : -HIPC_EINVAL;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	int fd, ret;

	if (!path || strlen(path) + 5 >= sizeof(sa.sun_path))
		return -HIPC_EINVAL;
	/* bind a temporary name and rename it into place once listening, so
	 * the path never exists without a listener behind it */
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return hipc__from_errno(errno);
	unlink(tmp);
	memcpy(sa.sun_path, tmp, strlen(tmp) + 1);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 1) < 0 || rename(tmp, path) < 0) {
		ret = hipc__from_errno(errno);
		unlink(tmp);
		close(fd);
		return ret;
	}
	return fd;
}

static int accept_one(struct vu *vu, int lfd)
{
	for (;;) {
		struct pollfd pfd[3] = {
			{ .fd = lfd, .events = POLLIN },
			{ .fd = vu->opts->stop_fd, .events = POLLIN },
			{ .fd = vu->sig_fd, .events = POLLIN },
		};
		int fd, r;

		r = poll(pfd, 3, -1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return hipc__from_errno(errno);
		if (pfd[1].revents || pfd[2].revents)
			return -HIPC_ESHUTDOWN;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			return fd;
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			return hipc__from_errno(errno);
	}
}

static int loop(struct vu *vu, struct vu_msg *m)
{
	struct epoll_event evs[8];

	for (;;) {
		int busy = 0, timeout = -1, n;

		if (vu->stop || vu->gone)
			return 0;
		if (vu->dev_init && !vu->started && vu->kick_seen) {
			int ret = dev_go(vu);

			if (ret)
				return ret;
		}
		if (vu->started && !vu->dev_dead) {
			n = hipc_rpmsg_poll(&vu->dev, 0);
			if (n < 0 || hipc_rpmsg_broken(&vu->dev)) {
				vu_log("the driver broke the virtio protocol "
				       "(%u errors): device stopped",
				       proto_errors(vu));
				vu->dev_dead = true;
				vu->was_broken = true;
			} else {
				busy += n;
				if (vu->fw->poll &&
				    vu->fw->poll(&vu->dev, vu->fw->ctx) > 0)
					busy++;
				if (!busy && vu->fw->poll)
					timeout = VU_FW_POLL_MS;
				if (!busy && !hipc_rpmsg_prepare_sleep(&vu->dev))
					busy++;
			}
		}
		if (busy)
			timeout = 0;
		n = epoll_wait(vu->epfd, evs, 8, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return hipc__from_errno(errno);
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;
			int ret;

			switch (tag) {
			case VU_TAG_SOCK:
				do {
					ret = serve_one(vu, m);
				} while (ret == 0 && !vu->stop);
				if (ret == -HIPC_ECONNRESET) {
					vu->gone = true;
					break;
				}
				if (ret != -HIPC_EAGAIN && ret != 0)
					return ret;
				break;
			case VU_TAG_KICK0:
			case VU_TAG_KICK0 + 1:
				drain_kick(vu, tag - VU_TAG_KICK0);
				break;
			default:
				vu->stop = true;
				break;
			}
		}
	}
}

/* What catch_signals() and the SIGPIPE block replace, to put back. */
struct vu_saved_signals {
	sigset_t mask;
	struct sigaction term, intr, pipe;
};

static void vu_init(struct vu *vu, const struct hipc_firmware *fw,
		    const struct hipc_vhost_user_opts *opts, uint32_t dfeatures)
{
	vu->fw = fw;
	vu->opts = opts;
	vu->sock = -1;
	vu->backend_fd = -1;
	vu->sig_fd = -1;
	for (unsigned q = 0; q < VU_NQ; q++) {
		vu->q[q].kick_fd = -1;
		vu->q[q].call_fd = -1;
		vu->q[q].err_fd = -1;
	}
	vu->offered = (dfeatures & ((1u << HIPC_VU_F_RPMSG_NS) |
				    (1u << HIPC_VU_F_EVENT_IDX))) |
		      (1ull << HIPC_VU_F_PROTOCOL_FEATURES) |
		      (1ull << HIPC_VU_F_VERSION_1);
	vu->proto_offered = (1u << HIPC_VU_PROTOCOL_F_REPLY_ACK) |
			    (1u << HIPC_VU_PROTOCOL_F_BACKEND_REQ);
	pthread_mutex_init(&vu->lock, NULL);
	vu->port_ops.lock = port_lock;
	vu->port_ops.unlock = port_unlock;
	vu->port_ops.notify = port_notify;
	vu->port_ops.wait = port_wait;
	vu->port_ops.now_ns = port_now;
	vu->port.ops = &vu->port_ops;
	vu->port.ctx = vu;
}

/* SIGTERM and SIGINT become a byte on vu->sig_fd, which stops the loop. */
static int catch_signals(struct vu *vu, struct vu_saved_signals *old)
{
	struct sigaction sa;

	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return hipc__from_errno(errno);
	vu->sig_fd = sig_pipe[0];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, &old->term);
	sigaction(SIGINT, &sa, &old->intr);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old->pipe);
	return 0;
}

static void release_signals(struct vu *vu, const struct vu_saved_signals *old)
{
	if (vu->opts->handle_signals && vu->sig_fd >= 0) {
		sigaction(SIGTERM, &old->term, NULL);
		sigaction(SIGINT, &old->intr, NULL);
		sigaction(SIGPIPE, &old->pipe, NULL);
		close_fd(&sig_pipe[1]);
		close_fd(&sig_pipe[0]);
	}
}

/* Wait for the master's connection: its fd, or -HIPC_ESHUTDOWN if asked to
 * stop first. */
static int wait_master(struct vu *vu)
{
	const struct hipc_vhost_user_opts *opts = vu->opts;
	int lfd, ret;

	if (opts->listen_fd >= 0) {
		lfd = opts->listen_fd;
	} else {
		lfd = listen_on(opts->socket_path);
		if (lfd < 0) {
			ret = lfd;
			vu_log("cannot listen on %s: %s", opts->socket_path,
			       hipc_strerror(ret));
			return ret;
		}
	}
	ret = accept_one(vu, lfd);
	if (opts->listen_fd < 0) {
		/* one device, one connection: nobody else may connect */
		close(lfd);
		unlink(opts->socket_path);
	}
	return ret;
}

/* Put the socket, the stop fd and the signal pipe into the epoll set. */
static int watch_fds(struct vu *vu)
{
	const struct hipc_vhost_user_opts *opts = vu->opts;
	struct epoll_event ev;
	int ret;

	ev.events = EPOLLIN;
	ev.data.u64 = 0;
	ev.data.u32 = VU_TAG_SOCK;
	ret = epoll_ctl(vu->epfd, EPOLL_CTL_ADD, vu->sock, &ev);
	if (!ret && opts->stop_fd >= 0) {
		ev.data.u32 = VU_TAG_STOP;
		ret = epoll_ctl(vu->epfd, EPOLL_CTL_ADD, opts->stop_fd, &ev);
	}
	if (!ret && vu->sig_fd >= 0) {
		ev.data.u32 = VU_TAG_SIG;
		ret = epoll_ctl(vu->epfd, EPOLL_CTL_ADD, vu->sig_fd, &ev);
	}
	if (ret)
		return hipc__from_errno(errno);
	return 0;
}

/* The connection is over: drop the device and all the master gave us. */
static void close_connection(struct vu *vu)
{
	dev_stop(vu);
	close_fd(&vu->sock);
	for (unsigned q = 0; q < VU_NQ; q++)
		queue_reset(vu, q);
	close_fd(&vu->backend_fd);
	unmap_regions(vu);
}

static void report_done(struct vu *vu, int ret)
{
	const struct hipc_vhost_user_opts *opts = vu->opts;

	if (opts->stats)
		*opts->stats = vu->st;
	if (opts->verbose || ret)
		vu_log("done: %llu messages, %u refused, %llu kicks, "
		       "%llu calls, %u sessions: %s",
		       (unsigned long long)vu->st.msgs, vu->st.rejected,
		       (unsigned long long)vu->st.kicks,
		       (unsigned long long)vu->st.calls, vu->st.sessions,
		       ret ? hipc_strerror(ret) : "ok");
}

int hipc_vhost_user_serve_ex(const struct hipc_firmware *fw,
			     const struct hipc_vhost_user_opts *opts)
{
	struct vu_saved_signals old;
	sigset_t pipeset;
	struct vu_msg *m = NULL;
	struct vu *vu;
	uint32_t dfeatures;
	int ret;

	if (!fw || !opts || (!opts->socket_path && opts->listen_fd < 0))
		return -HIPC_EINVAL;
	ret = fw_features(fw, &dfeatures);
	if (ret)
		return ret;
	vu = calloc(1, sizeof(*vu));
	m = malloc(sizeof(*m));
	if (!vu || !m) {
		ret = -HIPC_ENOMEM;
		goto free_mem;
	}
	vu_init(vu, fw, opts, dfeatures);

	/* a driver that closes its call pipe must not kill us: SIGPIPE is
	 * blocked in this thread and consumed where a write hits EPIPE */
	sigemptyset(&pipeset);
	sigaddset(&pipeset, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipeset, &old.mask);

	if (opts->handle_signals) {
		ret = catch_signals(vu, &old);
		if (ret)
			goto restore_mask;
	}

	vu->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (vu->epfd < 0) {
		ret = hipc__from_errno(errno);
		goto restore_signals;
	}
	ret = wait_master(vu);
	if (ret == -HIPC_ESHUTDOWN) {
		ret = 0;
		goto close_ep;
	}
	if (ret < 0)
		goto close_ep;
	vu->sock = ret;
	ret = watch_fds(vu);
	if (ret)
		goto close_sock;

	ret = loop(vu, m);
	if (!ret && vu->was_broken)
		ret = -HIPC_EIO;

close_sock:
	close_connection(vu);
close_ep:
	close(vu->epfd);
restore_signals:
	release_signals(vu, &old);
restore_mask:
	pthread_sigmask(SIG_SETMASK, &old.mask, NULL);
	report_done(vu, ret);
	pthread_mutex_destroy(&vu->lock);
free_mem:
	free(m);
	free(vu);
	return ret;
}

int hipc_vhost_user_serve(const struct hipc_firmware *fw,
			  const char *socket_path)
{
	struct hipc_vhost_user_opts opts = {
		.socket_path = socket_path,
		.listen_fd = -1,
		.stop_fd = -1,
		.handle_signals = 1,
		.verbose = getenv("HIPC_VHOST_USER_DEBUG") != NULL,
	};

	return hipc_vhost_user_serve_ex(fw, &opts);
}
