/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The remote-side runtime of the host simulation: a firmware process maps
 * the region its host created, waits for DRIVER_OK in the shared copy of
 * its resource table, brings up the rpmsg device in the device role and
 * serves until told to shut down.
 *
 * The host is as untrusted from here as the remote is from there: the
 * shared table is copied out and validated before anything in it is used,
 * and vring addresses are bounds-checked against the region.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hipc/bufpool.h"
#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/remote.h"
#include "transport.h"
#include "hipc/rsc.h"
#include "hipc/spinlock.h"
#include "hipc/vring.h"
#include "port_linux_internal.h"
#include "sim_proto.h"

#define NBUCKETS 64u
#define BOOT_TIMEOUT_NS (30ull * 1000000000ull)
#define RESET_ASKED 1 /* serve(): the host wants the rings back */

/* The static-vring device to a peer remote. */
struct p2p {
	bool present;
	bool driver;
	bool up;
	/* The host's word on the pair region: held until P2P_RESET (the peer
	 * died; we must not touch the region until P2P_UP). */
	bool held;
	bool reset_asked;
	bool up_asked;
	uint32_t gen;      /* the session our device was brought up for */
	struct hipc_shm shm;
	struct hipc_link *link;
	struct hipc__p2p_layout lay;
	unsigned num, buf_size;
	struct hipc_memmap map;
	struct hipc_region region;
	struct hipc_rpmsg_dev dev;
	struct hipc_rpmsg_ept *buckets[NBUCKETS];
	void *storage;
};

struct remote {
	const struct hipc_firmware *fw;
	struct hipc_shm shm;
	struct hipc_sim_ctrl *ctrl;
	struct hipc_link *link;
	struct hipc_memmap map;
	struct hipc_region region;
	struct hipc_rpmsg_dev dev;
	struct hipc_rpmsg_ept *buckets[NBUCKETS];
	bool dev_up;
	uint8_t *trace;
	uint32_t trace_len;
	volatile sig_atomic_t stop;
	bool shutdown_asked;
	bool reset_asked;
	uint32_t acked_gen;
	/* standalone: we own the region and hand it to hosts that connect */
	bool standalone;
	int listen_fd;
	bool listen_ready;  /* poll saw a host connecting */
	int host_conn;      /* the attached host's connection, -1: none */
	uint32_t stale_gen; /* a dead host's generation: its DRIVER_OK is void */
	unsigned passes;
	int efd_in, efd_out; /* numbers only; the link owns them */
	char sock_path[108];
	/* more than one thing to sleep on: every link in IRQ mode, one poll */
	bool multi;
	struct p2p p2p;
	/* big-buffer pools and spinlocks: the host's region of them, the
	 * same across our restarts; attached from our own table */
	struct hipc_shm pshm;
	struct hipc__pools_layout play;
	struct hipc_bufpool pools[HIPC__MAX_POOLS];
	struct hipc_bufpool_slot *pslots[HIPC__MAX_POOLS];
	struct hipc_spinlock_set locks;
	bool pools_up;
};

static struct remote *the_remote;

static void trace_write(void *ctx, const char *s, size_t n)
{
	struct remote *r = ctx;
	uint32_t cap, head;

	if (!r || !r->trace || r->trace_len <= HIPC_TRACE_HDR)
		return;
	cap = r->trace_len - HIPC_TRACE_HDR;
	head = __atomic_load_n((uint32_t *)r->trace, __ATOMIC_RELAXED);
	for (size_t i = 0; i < n; i++)
		r->trace[HIPC_TRACE_HDR + (head + i) % cap] = (uint8_t)s[i];
	/* Text before the count that publishes it. */
	__atomic_store_n((uint32_t *)r->trace, head + (uint32_t)n,
			 __ATOMIC_RELEASE);
}

static int env_int(const char *name, int def)
{
	const char *v = getenv(name);
	char *end;
	long x;

	if (!v || !*v)
		return def;
	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || *end || x < 0 || x > 1000000000)
		return -1;
	return (int)x;
}

static enum hipc_link_mode env_mode(void)
{
	const char *m = getenv("HIPC_LINK_MODE");

	if (m && !strcmp(m, "poll"))
		return HIPC_LINK_POLL;
	if (m && !strcmp(m, "adaptive"))
		return HIPC_LINK_ADAPTIVE;
	return HIPC_LINK_IRQ;
}

static void on_ctrl(void *arg, uint32_t msg)
{
	struct remote *r = arg;

	switch (msg) {
	case HIPC_MBOX_ECHO_REQUEST:
		/* The host's watchdog: answered from the loop, so a firmware
		 * stuck in a callback goes unanswered and is caught. */
		hipc_link_send(r->link, HIPC_MBOX_ECHO_REPLY);
		break;
	case HIPC_MBOX_SHUTDOWN:
		r->shutdown_asked = true;
		r->stop = 1;
		break;
	case HIPC__MBOX_RESET:
		r->reset_asked = true;
		break;
	case HIPC__MBOX_P2P_RESET:
		/* Acted on from the loop, not inside the drain. */
		r->p2p.reset_asked = true;
		r->p2p.up_asked = false;
		break;
	case HIPC__MBOX_P2P_UP:
		r->p2p.up_asked = true;
		break;
	default:
		break;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	if (the_remote)
		the_remote->stop = 1;
}

/*
 * Copy the shared table out (the host could change it under us), validate
 * the copy and read the rpmsg vdev from it.
 */
static int read_table(struct remote *r, uint8_t *copy, size_t cap,
		      size_t *size, struct hipc_sim_vdev *v)
{
	struct hipc_sim_ctrl *c = r->ctrl;
	uint32_t off = __atomic_load_n(&c->rsc_off, __ATOMIC_ACQUIRE);
	uint32_t len = __atomic_load_n(&c->rsc_size, __ATOMIC_ACQUIRE);
	struct hipc_rsc_error err;
	int ret;

	if (off < HIPC_SIM_CTRL_SIZE || len == 0 || len > cap ||
	    off > r->shm.size || len > r->shm.size - off)
		return -HIPC_EBADMSG;
	memcpy(copy, r->shm.base + off, len);
	*size = len;
	ret = hipc_rsc_validate(copy, len, &err);
	if (ret) {
		fprintf(stderr, "%s: shared resource table: %s: %s\n",
			r->fw->name, err.field ? err.field : "?",
			err.reason ? err.reason : "invalid");
		return ret;
	}
	return hipc__sim_vdev_read(copy, len, v);
}


/* The generation the host is at; acknowledging it means "the rings are
 * yours": only done while our device is down. */
static uint32_t host_gen(struct remote *r)
{
	return __atomic_load_n(&r->ctrl->host_gen,
			       __ATOMIC_ACQUIRE);
}

static void ack_gen(struct remote *r)
{
	uint32_t g = host_gen(r);

	if (g != r->acked_gen ||
	    __atomic_load_n(&r->ctrl->remote_gen,
			    __ATOMIC_RELAXED) != g) {
		r->acked_gen = g;
		__atomic_store_n(&r->ctrl->remote_gen,
				 g, __ATOMIC_RELEASE);
		/* Wakes a host waiting for the acknowledgement (after the
		 * store, which the doorbell's FIFO write orders). */
		hipc_link_send(r->link, HIPC__MBOX_GEN_ACK);
	}
	r->reset_asked = false;
}

/* --- static vrings to a peer remote --------------------------------------- */

static int p2p_setup(struct remote *r)
{
	struct p2p *p = &r->p2p;
	struct hipc_sim_ctrl *c;
	int fd = env_int("HIPC_P2P_FD", -1);
	int in = env_int("HIPC_P2P_EFD_IN", -1);
	int out = env_int("HIPC_P2P_EFD_OUT", -1);
	const char *role = getenv("HIPC_P2P_ROLE");
	int ret;

	if (fd < 0)
		return 0;
	if (in < 0 || out < 0 || !role)
		return -HIPC_EINVAL;
	p->driver = !strcmp(role, "driver");
	ret = hipc_shm_map(&p->shm, fd);
	if (ret)
		return -HIPC_EBADMSG;
	c = (struct hipc_sim_ctrl *)p->shm.base;
	/* The geometry comes from shared memory: checked like the rest. */
	p->num = __atomic_load_n(&c->p2p_num,
				 __ATOMIC_RELAXED);
	p->buf_size = __atomic_load_n(&c->p2p_buf_size,
				      __ATOMIC_RELAXED);
	if (p->shm.size < HIPC_SIM_CTRL_SIZE || c->magic != HIPC_SIM_MAGIC ||
	    hipc__p2p_plan(p->num, p->buf_size, &p->lay) ||
	    p->lay.size > p->shm.size)
		return -HIPC_EBADMSG;
	ret = hipc_link_new(&p->link, &c->mbox,
			    p->driver ? HIPC_SIDE_HOST : HIPC_SIDE_REMOTE, in, out,
			    HIPC_LINK_IRQ, 0);
	if (ret)
		return ret;
	hipc__sim_map(&p->shm, &p->region, &p->map);
	p->present = true;
	p->held = true;
	return 0;
}

/* Bring the device up when we can: the driver end at once, the device end
 * once the driver end has posted its rx buffers. */
static int p2p_up(struct remote *r)
{
	struct p2p *p = &r->p2p;
	struct hipc_sim_ctrl *c = (struct hipc_sim_ctrl *)p->shm.base;
	uint32_t *ready = &c->p2p_ready;
	uint32_t gen = __atomic_load_n(&c->p2p_gen,
				       __ATOMIC_ACQUIRE);
	struct hipc_rpmsg_dev_config cfg;
	int ret;

	/* The device end takes the rings only once the driver end posted
	 * its rx buffers for this very session: a "ready" left from an
	 * earlier one (the host clears it on a reset) is not enough. */
	if (!gen || (!p->driver &&
		     __atomic_load_n(ready, __ATOMIC_ACQUIRE) != gen))
		return 0;
	p->gen = gen;
	memset(p->buckets, 0, sizeof(p->buckets));
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = p->driver ? HIPC_RPMSG_DRIVER : HIPC_RPMSG_DEVICE;
	/* The region's addresses are offsets into it. */
	cfg.vring_da[0] = p->lay.vring_off[0];
	cfg.vring_da[1] = p->lay.vring_off[1];
	cfg.notifyid[0] = 0;
	cfg.notifyid[1] = 1;
	cfg.num = p->num;
	cfg.align = 16;
	cfg.features = 0; /* fixed addresses, no name service */
	cfg.buf_size = p->buf_size;
	cfg.map = &p->map;
	cfg.buckets = p->buckets;
	cfg.nbuckets = NBUCKETS;
	cfg.mem = &hipc_linux_mem; /* the table grows past NBUCKETS */
	cfg.port = hipc_link_port(p->link);
	if (p->driver) {
		cfg.storage_size = HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER,
							   p->num);
		/* Left over from an attempt that failed half-way. */
		free(p->storage);
		p->storage = aligned_alloc(8, (cfg.storage_size + 7u) & ~7u);
		if (!p->storage)
			return -HIPC_ENOMEM;
		cfg.storage = p->storage;
		cfg.bufs = p->shm.base + p->lay.bufs_off;
	}
	ret = hipc_rpmsg_dev_init(&p->dev, &cfg);
	if (ret)
		return ret;
	/* Driver: the rings and rx buffers are visible before "ready". */
	if (p->driver)
		__atomic_store_n(ready, gen, __ATOMIC_RELEASE);
	if (r->fw->p2p_start) {
		ret = r->fw->p2p_start(&p->dev, r->fw->ctx);
		if (ret)
			return ret;
	}
	p->up = true;
	return hipc_rpmsg_dev_start(&p->dev);
}

/* Our side of the pair device goes: the firmware is told, then every
 * endpoint on it is unbound (its unbind callback runs). */
static void p2p_down(struct remote *r)
{
	struct p2p *p = &r->p2p;

	if (!p->up)
		return;
	if (r->fw->p2p_stop)
		r->fw->p2p_stop(&p->dev, r->fw->ctx);
	hipc_rpmsg_dev_deinit(&p->dev);
	p->up = false;
	free(p->storage);
	p->storage = NULL;
}

/* One pass over the peer link.  Return: work done (> 0), 0, or an error. */
static int p2p_service(struct remote *r)
{
	struct p2p *p = &r->p2p;
	struct hipc_sim_ctrl *c = (struct hipc_sim_ctrl *)p->shm.base;
	int n;

	if (!p->present)
		return 0;
	if (p->reset_asked) {
		/* The peer died: what it left in the rings is not read, and
		 * the host re-initialises the region only after our answer. */
		p->reset_asked = false;
		p2p_down(r);
		p->held = false;
		hipc_remote_trace("%s: peer link reset\n", r->fw->name);
		hipc_link_send(r->link, HIPC__MBOX_P2P_RESET_ACK);
		return 1;
	}
	if (p->up_asked) {
		p->up_asked = false;
		p->held = true;
	}
	if (!p->held)
		return 0;
	if (p->up && __atomic_load_n(&c->p2p_gen,
				     __ATOMIC_ACQUIRE) != p->gen) {
		/* A session we were not brought up for: never mix the two.
		 * Start over on the new one. */
		p2p_down(r);
		return 1;
	}
	if (!p->up) {
		n = p2p_up(r);
		if (n < 0 || !p->up)
			return n;
	}
	hipc_link_drain(p->link, NULL, NULL);
	n = hipc_rpmsg_poll(&p->dev, 0);
	/* A peer that breaks the protocol costs us the link, not our life. */
	return n < 0 ? 0 : n;
}

/* --- big-buffer pools ------------------------------------------------------ */

/*
 * Attach to the pools' region the host passed (HIPC_POOL_FD): the layout
 * comes from our own table, the region must agree with it (header, size,
 * each pool's header); the state tables as the host left them are our
 * starting view (hipc_bufpool_init(), remote role).
 */
static int pools_setup(struct remote *r)
{
	static const uint32_t peers[] = { HIPC__OWNER_HOST };
	int fd = env_int("HIPC_POOL_FD", -1);
	const struct hipc_sim_pools_hdr *h;
	struct hipc_spinlock_cfg sc;
	int ret;

	if (fd < 0)
		return 0;
	if (!r->fw->rsc ||
	    hipc__pools_plan(r->fw->rsc, r->fw->rsc_size, &r->play) ||
	    !r->play.npools)
		return -HIPC_EBADMSG;
	ret = hipc_shm_map(&r->pshm, fd);
	if (ret)
		return ret;
	h = (const struct hipc_sim_pools_hdr *)r->pshm.base;
	if (r->pshm.size < r->play.size ||
	    __atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != HIPC_SIM_POOLS_MAGIC ||
	    h->version != HIPC_SIM_POOLS_VERSION ||
	    h->npools != r->play.npools || h->size != r->play.size)
		return -HIPC_EBADMSG;
	for (unsigned i = 0; i < r->play.npools; i++) {
		const struct hipc__pool_plan *p = &r->play.pool[i];
		struct hipc_bufpool_config c = {
			.role = HIPC_BUFPOOL_ROLE_REMOTE,
			.pool_id = p->pool_id,
			.count = p->count,
			.host_count = p->host_count,
			.buf_size = p->buf_size,
			.align = p->align,
			.shm = r->pshm.base + p->off,
			.shm_size = (size_t)p->size,
			.crc32c = hipc_crc32c_fast,
		};

		/* One thread runs the firmware: no port lock. */
		c.slots = calloc(p->count, sizeof(*c.slots));
		r->pslots[i] = c.slots;
		if (!c.slots)
			return -HIPC_ENOMEM;
		ret = hipc_bufpool_init(&r->pools[i], &c);
		if (ret)
			return ret;
	}
	memset(&sc, 0, sizeof(sc));
	sc.base = r->pshm.base + HIPC__POOLS_LOCKS_OFF;
	sc.count = HIPC__POOLS_LOCKS;
	sc.owner = HIPC__OWNER_REMOTE;
	sc.peers = peers;
	sc.npeers = 1;
	ret = hipc_spinlock_init(&r->locks, &sc);
	if (ret)
		return ret;
	r->pools_up = true;
	return 0;
}

static void pools_close(struct remote *r)
{
	for (unsigned i = 0; i < HIPC__MAX_POOLS; i++) {
		free(r->pslots[i]);
		r->pslots[i] = NULL;
	}
	r->pools_up = false;
	hipc_shm_close(&r->pshm);
}

int hipc_remote_pool(const char *name, struct hipc_bufpool **pool)
{
	struct remote *r = the_remote;

	if (!name || !pool)
		return -HIPC_EINVAL;
	if (!r || !r->pools_up)
		return -HIPC_ENOENT;
	for (unsigned i = 0; i < r->play.npools; i++)
		if (!strcmp(r->play.pool[i].name, name)) {
			*pool = &r->pools[i];
			return (int)i;
		}
	return -HIPC_ENOENT;
}

int hipc_remote_spinlocks(struct hipc_spinlock_set **set)
{
	struct remote *r = the_remote;

	if (!set)
		return -HIPC_EINVAL;
	if (!r || !r->pools_up)
		return -HIPC_ENOENT;
	*set = &r->locks;
	return 0;
}

int hipc_remote_link_stats(struct hipc_link_stats *st)
{
	struct remote *r = the_remote;

	if (!st)
		return -HIPC_EINVAL;
	if (!r || !r->link)
		return -HIPC_ENOENT;
	hipc_link_get_stats(r->link, st);
	return 0;
}

/* --- standalone: our own region, published for hosts ---------------------- */

static int standalone_setup(struct remote *r, const char *name)
{
	static uint8_t table[16384];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct hipc_rsc_error err;
	struct hipc__layout lay;
	struct hipc_sim_vdev v;
	char dir[200];
	int ret;

	if (!r->fw->rsc || r->fw->rsc_size > sizeof(table))
		return -HIPC_EINVAL;
	memcpy(table, r->fw->rsc, r->fw->rsc_size);
	if (hipc_rsc_validate(table, r->fw->rsc_size, &err) ||
	    hipc__sim_vdev_read(table, r->fw->rsc_size, &v) ||
	    hipc__layout_plan(table, r->fw->rsc_size, &v, &lay))
		return -HIPC_EBADMSG;
	ret = hipc_shm_create(&r->shm, name, lay.size);
	if (ret)
		return ret;
	/* Laid out as a host would; gfeatures and DRIVER_OK are the
	 * host's to write when it attaches. */
	hipc__layout_apply(r->shm.base, &lay, table, r->fw->rsc_size, &v, name,
			   0);
	if (lay.trace_off && v.trace_len > HIPC_TRACE_HDR) {
		r->trace = r->shm.base + lay.trace_off;
		r->trace_len = v.trace_len;
	}
	r->efd_in = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->efd_out = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->efd_in < 0 || r->efd_out < 0)
		return hipc__from_errno(errno);
	ret = hipc_sim_run_dir(dir, sizeof(dir), 1);
	if (ret)
		return ret;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock",
			     dir, name) >= sizeof(sa.sun_path))
		return -HIPC_ENAMETOOLONG;
	r->listen_fd = socket(AF_UNIX,
			      SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (r->listen_fd < 0)
		return hipc__from_errno(errno);
	snprintf(r->sock_path, sizeof(r->sock_path), "%s", sa.sun_path);
	/* Bound under a temporary name and renamed once listening: a host
	 * that finds NAME.sock can connect at once.  The rename replaces a
	 * stale socket of a run that died (the directory is ours, 0700). */
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/.%s.%d",
			     dir, name, (int)getpid()) >= sizeof(sa.sun_path))
		return -HIPC_ENAMETOOLONG;
	unlink(sa.sun_path);
	if (bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(r->listen_fd, 4) < 0 ||
	    rename(sa.sun_path, r->sock_path) < 0) {
		ret = hipc__from_errno(errno);
		unlink(sa.sun_path);
		r->sock_path[0] = 0;
		return ret;
	}
	r->standalone = true;
	return 0;
}

/* Has the attached host gone (closed, or died: the kernel closes its end)? */
static bool host_gone(struct remote *r)
{
	struct pollfd p = { .fd = r->host_conn, .events = POLLIN | POLLRDHUP };

	if (r->host_conn < 0)
		return false;
	return poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLIN));
}

/* The host went away without detaching: let go of its rings ourselves and
 * never take its DRIVER_OK again (it is still set in the table). */
static void drop_host(struct remote *r)
{
	close(r->host_conn);
	r->host_conn = -1;
	r->stale_gen = host_gen(r);
	r->reset_asked = true;
	if (r->dev_up)
		hipc_remote_trace("%s: host gone without detaching\n",
				  r->fw->name);
}

/* A host connected: hand it the region and the doorbells.  It then takes
 * the rings through a new generation (see sim_proto.h).  One host at
 * a time: while the current one holds its connection, others are turned
 * away. */
static void standalone_accept(struct remote *r)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} u;
	uint32_t hello[2] = { HIPC__ATTACH_MAGIC, HIPC__ATTACH_VERSION };
	struct iovec iov = { .iov_base = hello, .iov_len = sizeof(hello) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int fds[3] = { r->shm.fd, r->efd_out, r->efd_in };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	int conn;
	ssize_t s;

	for (;;) {
		do
			conn = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		while (conn < 0 && errno == EINTR);
		if (conn < 0)
			return;
		if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
		    cred.uid != getuid()) {
			close(conn);
			continue;
		}
		if (host_gone(r))
			drop_host(r);
		if (r->host_conn >= 0) {
			uint32_t busy[2] = { HIPC__ATTACH_MAGIC,
					     HIPC__ATTACH_BUSY };

			hipc_remote_trace("%s: turned away host pid %d (attached "
					  "to another)\n", r->fw->name,
					  (int)cred.pid);
			/* Said, not only closed: the host tells "busy" from
			 * "gone".  A host that left already is not waited
			 * for. */
			(void)send(conn, busy, sizeof(busy),
				   MSG_DONTWAIT | MSG_NOSIGNAL);
			close(conn);
			continue;
		}
		memset(&u, 0, sizeof(u));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(c), fds, sizeof(fds));
		do
			s = sendmsg(conn, &m, MSG_NOSIGNAL);
		while (s < 0 && errno == EINTR);
		if (s < 0) {
			close(conn);
			continue;
		}
		r->host_conn = conn;
		hipc_remote_trace("%s: handed the region to host pid %d\n",
				  r->fw->name, (int)cred.pid);
	}
}

/* --- sleeping on everything at once --------------------------------------- */

/* A control message from the host (an echo request, a shutdown) that a
 * wait inside a send took from the FIFO: its doorbell is spent, and only
 * the loop's next drain acts on it. */
static bool ctrl_waiting(const struct remote *r)
{
	return r->link && hipc__link_ctrl_waiting(r->link);
}

static bool may_sleep(void *arg)
{
	struct remote *r = arg;

	if (r->stop || r->reset_asked || host_gen(r) != r->acked_gen ||
	    r->p2p.reset_asked || r->p2p.up_asked || ctrl_waiting(r))
		return false;
	if (r->dev_up && !hipc_rpmsg_prepare_sleep(&r->dev))
		return false;
	if (r->p2p.up && !hipc_rpmsg_prepare_sleep(&r->p2p.dev))
		return false;
	return true;
}

/* What the spinning wait looks at instead of doorbells: the rings, and
 * the requests may_sleep() would stop for. */
static bool has_work(void *arg)
{
	struct remote *r = arg;

	return r->stop || r->reset_asked || host_gen(r) != r->acked_gen ||
	       r->p2p.reset_asked || r->p2p.up_asked || ctrl_waiting(r) ||
	       (r->dev_up && hipc_rpmsg_pending(&r->dev)) ||
	       (r->p2p.up && hipc_rpmsg_pending(&r->p2p.dev));
}

/* Sleep until a doorbell (ours or the peer link's), a host connecting, or
 * @deadline_ns (0: none).  Every link is in IRQ mode when several things
 * are waited on, so a doorbell is always an eventfd write. */
static void idle_wait(struct remote *r, uint64_t deadline_ns)
{
	struct pollfd p[4 + HIPC_FW_WAIT_FDS_MAX];
	int fds[HIPC_FW_WAIT_FDS_MAX];
	uint64_t until = deadline_ns;
	int n = 0, listen_i = -1, ret;
	unsigned nfds = 0;
	bool recheck = false;

	if (!r->multi) {
		hipc_link_wait_busy(r->link, deadline_ns, may_sleep, has_work,
				    r);
		return;
	}
	if (!may_sleep(r))
		return;
	p[n++] = (struct pollfd){ .fd = hipc_link_fd(r->link), .events = POLLIN };
	if (r->p2p.present)
		p[n++] = (struct pollfd){ .fd = hipc_link_fd(r->p2p.link),
					  .events = POLLIN };
	if (r->host_conn >= 0)
		p[n++] = (struct pollfd){ .fd = r->host_conn,
					  .events = POLLIN | POLLRDHUP };
	if (r->listen_fd >= 0) {
		listen_i = n;
		p[n++] = (struct pollfd){ .fd = r->listen_fd, .events = POLLIN };
	}
	/* The firmware's own descriptors: poll() reads them after we wake. */
	if (r->fw->wait_fds)
		nfds = r->fw->wait_fds(r->fw->ctx, fds, HIPC_FW_WAIT_FDS_MAX);
	for (unsigned i = 0; i < nfds && i < HIPC_FW_WAIT_FDS_MAX; i++)
		if (fds[i] >= 0)
			p[n++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	/* The peer device's "ready" is a store, not a doorbell; and a
	 * firmware's poll callback may pace its peer traffic by time (one
	 * that waits on descriptors of its own is woken by them instead). */
	if (r->p2p.present &&
	    (!r->p2p.up || (r->fw->poll && !r->fw->wait_fds))) {
		uint64_t soon = hipc_now_ns() + 2000000u;

		if (!until || until > soon)
			until = soon;
	}
	/* As hipc_link_wait() does alone: a doorbell lost on its way
	 * stalls us for one recheck interval at most. */
	if (hipc_link_recheck_ms(r->link)) {
		uint64_t rc = hipc_now_ns() +
			      (uint64_t)hipc_link_recheck_ms(r->link) * 1000000u;

		if (!until || rc < until) {
			until = rc;
			recheck = true;
		}
	}
	ret = hipc__poll_until(p, (unsigned)n, until, &r->stop);
	if (ret == 0 && recheck)
		hipc__link_rechecked(r->link, !may_sleep(r));
	if (ret > 0 && listen_i >= 0 && (p[listen_i].revents & POLLIN))
		r->listen_ready = true;
	if (ret > 0 && r->host_conn >= 0 && host_gone(r))
		drop_host(r);
}

/* Work that needs no host: the peer link, hosts connecting. */
static int side_work(struct remote *r)
{
	int n = p2p_service(r);

	/* A loop that never sleeps still looks now and then. */
	if (r->listen_fd >= 0 &&
	    (r->listen_ready || (++r->passes & 1023u) == 0)) {
		r->listen_ready = false;
		standalone_accept(r);
	}
	return n;
}

/* --- the device towards the host ------------------------------------------ */

static int wait_driver_ok(struct remote *r, uint8_t *copy, size_t cap,
			  size_t *size, struct hipc_sim_vdev *v)
{
	uint64_t deadline = r->standalone ? 0 : hipc_now_ns() + BOOT_TIMEOUT_NS;
	int ret;

	for (;;) {
		uint32_t g;

		ack_gen(r);
		g = r->acked_gen;
		ret = read_table(r, copy, cap, size, v);
		if (ret)
			return ret;
		/* DRIVER_OK counts only for the generation we let go for:
		 * the host clears it before it moves on to the next. */
		if ((v->status & HIPC_VIRTIO_STATUS_DRIVER_OK) &&
		    host_gen(r) == g && g != r->stale_gen)
			return 0;
		if (r->stop)
			return -HIPC_ESHUTDOWN;
		if (side_work(r) > 0)
			continue;
		idle_wait(r, deadline);
		hipc_link_drain(r->link, on_ctrl, r);
		if (deadline && hipc_now_ns() >= deadline)
			return -HIPC_ETIMEDOUT;
	}
}

static void *region_ptr(struct remote *r, uint32_t da, size_t len)
{
	return hipc_memmap_to_va(&r->map, da, len);
}

static int bring_up(struct remote *r)
{
	static uint8_t table[16384];
	struct hipc_rpmsg_dev_config cfg;
	struct hipc_sim_vdev v;
	uint32_t offered = 0;
	size_t size;
	int ret;

	ret = wait_driver_ok(r, table, sizeof(table), &size, &v);
	if (ret)
		return ret;
	/* What we offered is what our own table says, not what the shared
	 * copy claims we offered. */
	if (r->fw->rsc) {
		struct hipc_sim_vdev mine;

		if (hipc__sim_vdev_read(r->fw->rsc, r->fw->rsc_size, &mine) == 0)
			offered = mine.dfeatures;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = HIPC_RPMSG_DEVICE;
	cfg.num = v.num;
	cfg.align = v.align;
	for (unsigned i = 0; i < 2; i++) {
		cfg.vring_da[i] = v.vring_da[i];
		cfg.notifyid[i] = v.notifyid[i];
	}
	cfg.features = v.gfeatures & offered;
	cfg.crc32c = hipc_crc32c_fast;
	cfg.buf_size = v.buf_size;
	cfg.map = &r->map;
	cfg.buckets = r->buckets;
	cfg.nbuckets = NBUCKETS;
	cfg.mem = &hipc_linux_mem; /* the table grows past NBUCKETS */
	cfg.port = hipc_link_port(r->link);
	if (!r->trace && v.trace_off >= 0 && v.trace_len > HIPC_TRACE_HDR) {
		r->trace = region_ptr(r, v.trace_da, v.trace_len);
		r->trace_len = r->trace ? v.trace_len : 0;
	}
	memset(r->buckets, 0, sizeof(r->buckets));
	ret = hipc_rpmsg_dev_init(&r->dev, &cfg);
	if (ret == -HIPC_ERANGE)
		fprintf(stderr, "%s: vrings at 0x%x and 0x%x: not both inside "
			"the shared region\n", r->fw->name, v.vring_da[0],
			v.vring_da[1]);
	if (ret)
		return ret;
	r->dev_up = true;
	if (r->fw->start) {
		ret = r->fw->start(&r->dev, r->fw->ctx);
		if (ret)
			return ret;
	}
	return hipc_rpmsg_dev_start(&r->dev);
}

static int serve(struct remote *r)
{
	while (!r->stop) {
		int n, w = 0, p;

		/* Alone, we sleep in the link's own wait, which watches its
		 * eventfd edge-triggered and never reads it; with several
		 * fds poll() watches it level-triggered, and it is read. */
		if ((r->multi ? hipc__link_drain_polled(r->link, true, on_ctrl, r)
			      : hipc__link_drain_edge(r->link, on_ctrl, r)) ==
		    -HIPC_EIO)
			return -HIPC_EIO;
		if (r->reset_asked || host_gen(r) != r->acked_gen)
			return RESET_ASKED;
		/* Busy: idle_wait() spins on the rings, or asks for the
		 * doorbell (may_sleep()) before it sleeps. */
		n = hipc_rpmsg_poll_busy(&r->dev, 0);
		if (n < 0)
			return n;
		if (r->fw->poll)
			w = r->fw->poll(&r->dev, r->fw->ctx);
		p = side_work(r);
		if (n > 0 || w > 0 || p > 0 || r->stop)
			continue;
		idle_wait(r, 0);
	}
	return 0;
}

static bool sim_from_env(void)
{
	const char *standalone = getenv("HIPC_STANDALONE");

	return getenv("HIPC_SHM_FD") || (standalone && *standalone);
}

/* The process: not dumpable, signals to stop, the runtime's state. */
static void process_init(struct remote *r, const struct hipc_firmware *fw)
{
	struct sigaction sa;

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* Another process of the same user could otherwise open our region
	 * through /proc/PID/fd (or read /proc/PID/mem): a remote reaches
	 * its own region only.  Sanitizer builds keep the default, their
	 * leak checker needs to ptrace the process. */
	if (!getenv("HIPC_DUMPABLE"))
		prctl(PR_SET_DUMPABLE, 0);
#endif
	memset(r, 0, sizeof(*r));
	r->fw = fw;
	r->listen_fd = -1;
	r->host_conn = -1;
	r->stale_gen = UINT32_MAX;
	r->shm.fd = -1;
	r->pshm.fd = -1;
	the_remote = r;
	hipc__remote_trace_sink(trace_write, r);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Close what a standalone remote publishes, and the region.  Traces from
 * then on go to stderr only: the trace buffer is in the region, and @r
 * itself lives on the stack of a run that is ending. */
static void close_region(struct remote *r)
{
	hipc__remote_trace_sink(NULL, NULL);
	r->trace = NULL;
	r->trace_len = 0;
	if (the_remote == r)
		the_remote = NULL; /* nor may a late signal or pool call */
	if (r->host_conn >= 0)
		close(r->host_conn);
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->sock_path[0])
		unlink(r->sock_path);
	hipc_shm_close(&r->shm);
}

/*
 * Our region: one we create and publish (@standalone), or the one the host
 * that started us passed down, then the doorbells and the peer link.
 * Returns 0, or the process exit status after saying why on stderr.
 */
static int open_region(struct remote *r, const char *standalone)
{
	const char *name = r->fw->name;
	int shm_fd, efd_in, efd_out, ret;
	enum hipc_link_mode mode = env_mode();

	if (standalone && *standalone) {
		ret = standalone_setup(r, standalone);
		if (ret) {
			fprintf(stderr, "%s: standalone %s: %s\n", name,
				standalone, hipc_strerror(ret));
			close_region(r);
			return 2;
		}
		efd_in = r->efd_in;
		efd_out = r->efd_out;
	} else {
		shm_fd = env_int("HIPC_SHM_FD", -1);
		efd_in = env_int("HIPC_EFD_IN", -1);
		efd_out = env_int("HIPC_EFD_OUT", -1);
		if (shm_fd < 0 || efd_in < 0 || efd_out < 0) {
			fprintf(stderr, "%s: not started by a hipc host "
				"(HIPC_SHM_FD, HIPC_EFD_IN, HIPC_EFD_OUT unset); "
				"see --help\n", name);
			return 2;
		}
		ret = hipc_shm_map(&r->shm, shm_fd);
		if (ret) {
			fprintf(stderr, "%s: cannot map the shared region: %s\n",
				name, hipc_strerror(ret));
			return 2;
		}
	}
	r->ctrl = (struct hipc_sim_ctrl *)r->shm.base;
	if (r->shm.size < HIPC_SIM_CTRL_SIZE ||
	    r->ctrl->magic != HIPC_SIM_MAGIC ||
	    r->ctrl->version != HIPC_SIM_VERSION) {
		fprintf(stderr, "%s: the shared region is not a hipc region\n",
			name);
		return 2;
	}
	hipc__sim_map(&r->shm, &r->region, &r->map);
	ret = p2p_setup(r);
	if (ret) {
		fprintf(stderr, "%s: peer link: %s\n", name, hipc_strerror(ret));
		return 2;
	}
	ret = pools_setup(r);
	if (ret) {
		fprintf(stderr, "%s: big-buffer pools: %s (the host's region "
			"does not match our table)\n", name, hipc_strerror(ret));
		pools_close(r);
		return 2;
	}
	r->multi = r->standalone || r->p2p.present || r->fw->wait_fds;
	if (r->multi)
		mode = HIPC_LINK_IRQ;
	ret = hipc_link_new(&r->link, &r->ctrl->mbox, HIPC_SIDE_REMOTE, efd_in,
			    efd_out, mode, (unsigned)env_int("HIPC_SPIN_US", 50));
	if (ret) {
		fprintf(stderr, "%s: link: %s\n", name, hipc_strerror(ret));
		return 2;
	}
	return 0;
}

static void set_state(struct remote *r, uint32_t state)
{
	__atomic_store_n(&r->ctrl->state, state, __ATOMIC_RELEASE);
}

/*
 * One pass per host generation: a host that detaches, or a new one that
 * attaches, takes the rings back; we keep everything else.  Returns 0
 * (shutdown) or why the device failed.
 */
static int serve_generations(struct remote *r)
{
	const struct hipc_firmware *fw = r->fw;
	int ret;

	for (;;) {
		ret = bring_up(r);
		if (ret)
			return ret;
		set_state(r, HIPC_SIM_STATE_RUNNING);
		hipc_link_send(r->link, HIPC_MBOX_READY);
		ret = serve(r);
		if (ret < 0)
			return ret;
		if (fw->stop)
			fw->stop(&r->dev, fw->ctx);
		hipc_rpmsg_dev_deinit(&r->dev);
		r->dev_up = false;
		if (ret != RESET_ASKED)
			return ret;
		set_state(r, HIPC_SIM_STATE_BOOTING);
	}
}

static int sim_run(const struct hipc_firmware *fw, const char *standalone)
{
	static struct remote r;
	int ret;

	process_init(&r, fw);
	ret = open_region(&r, standalone ? standalone
					 : getenv("HIPC_STANDALONE"));
	if (ret)
		return ret;
	__atomic_store_n(&r.ctrl->pid, (uint32_t)getpid(), __ATOMIC_RELAXED);
	set_state(&r, HIPC_SIM_STATE_BOOTING);

	ret = serve_generations(&r);
	if (ret && ret != -HIPC_ESHUTDOWN) {
		/* Crashed: the host sees the state and the doorbell. */
		fprintf(stderr, "%s: %s\n", fw->name, hipc_strerror(ret));
		set_state(&r, HIPC_SIM_STATE_CRASHED);
		hipc_link_send(r.link, HIPC_MBOX_CRASH);
		/* The host's FIFO may be full: the word waits in our queue,
		 * and would go with us.  A little while for it to go in. */
		(void)hipc_link_flush(r.link, 200);
		if (r.sock_path[0])
			unlink(r.sock_path);
		return 3;
	}
	if (r.dev_up) {
		if (fw->stop)
			fw->stop(&r.dev, fw->ctx);
		hipc_rpmsg_dev_deinit(&r.dev);
	}
	p2p_down(&r);
	set_state(&r, HIPC_SIM_STATE_STOPPED);
	if (r.shutdown_asked)
		hipc_link_send(r.link, HIPC_MBOX_SHUTDOWN_ACK);
	hipc_link_free(r.link);
	if (r.p2p.present) {
		hipc_link_free(r.p2p.link);
		hipc_shm_close(&r.p2p.shm);
		free(r.p2p.storage);
	}
	pools_close(&r);
	close_region(&r);
	return 0;
}

const struct hipc_remote_transport hipc__transport_sim = {
	.name = "sim",
	.option = "--standalone",
	.arg_name = "NAME",
	.usage =
	"Normally started by the host (hipcd or libhipc), which passes\n"
	"the shared region and doorbells in HIPC_SHM_FD, HIPC_EFD_IN,\n"
	"HIPC_EFD_OUT (mode: HIPC_LINK_MODE=irq|poll|adaptive).\n"
	"  --standalone NAME    boot on its own and wait for a host to\n"
	"                       attach (NAME.sock in the run directory:\n"
	"                       $HIPC_RUN_DIR, $XDG_RUNTIME_DIR/hipc or\n"
	"                       /tmp/hipc-UID); also HIPC_STANDALONE=NAME\n",
	.from_env = sim_from_env,
	.run = sim_run,
};
