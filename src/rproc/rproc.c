/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host side of a simulated remote processor: layout, spawn, bring-up,
 * crash detection and recovery, orderly stop.  See include/hipc/rproc.h.
 *
 * Every remote has one epoll fd of its own (the one hipc_rproc_fd()
 * returns) holding its doorbell eventfd, a pidfd of its process and a
 * timerfd.  A daemon nests these in its own loop, so a process exit is seen
 * the moment the kernel reaps it, and every deadline (watchdog, restart
 * backoff, boot) wakes the loop without it knowing about them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/fwimage.h"
#include "hipc/mbox.h"
#include "hipc/rproc.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#include "rproc/rproc_internal.h"

#define DEFAULT_BUCKETS 256u
#define DEFAULT_BOOT_MS 10000u
#define DEFAULT_BACKOFF_MIN_MS 10u
#define DEFAULT_BACKOFF_MAX_MS 2000u
#define DEFAULT_STABLE_MS 1000u
#define MS 1000000ull

enum { EV_LINK = 1, EV_PID = 2, EV_TIMER = 3, EV_P2P = 4, EV_CONN = 5 };

/* An attach, step by step: the hello awaited on the connection, then the
 * remote's acknowledgement of the new generation, then READY (booting). */
enum { AT_NONE = 0, AT_HELLO, AT_ACK };

/*
 * A pair region and what the host knows of its two users.  Each member is
 * driven by its own thread (or loop), so everything shared between them is
 * under @lock, and one member asks the other for something only by setting
 * a flag and writing the other's @wake eventfd (in that member's epoll set).
 * Side 0 is the driver end, side 1 the device end.
 */
struct hipc_p2p {
	int memfd;
	int efd[2];  /* efd[s]: the eventfd side s sleeps on */
	int wake[2]; /* host-internal: "look at the pair state", per side */
	char name[32];
	unsigned num, buf_size;
	struct hipc__p2p_layout lay;

	pthread_mutex_t lock;
	uint32_t gen;     /* the session the region was last set up for */
	bool dirty;       /* a user went away: the region needs a reset */
	bool present[2];  /* a process of side s holds the region's fds */
	bool uses[2];     /* ... and may be touching the rings */
	bool release[2];  /* side s is to be told P2P_RESET */
	bool up[2];       /* side s is to be told P2P_UP */
	unsigned resets;  /* times the region was re-initialised */
};

struct hipc_rproc {
	struct hipc_rproc_config cfg;
	char *name;
	char *firmware;
	enum hipc_rproc_state state;

	int epfd;
	int timerfd;
	int pidfd;
	pid_t pid;
	bool is_child;   /* we spawned it (else: attached, not ours to reap) */
	bool attach_mode; /* how it came up, so a restart does the same */
	int conn;         /* attached: held open, the remote's "host alive" */
	char attach_name[32];

	struct hipc_shm shm;
	struct hipc_sim_ctrl *ctrl;
	struct hipc_link *link;
	struct hipc_region region;
	struct hipc_memmap map;
	struct hipc__layout lay;
	struct hipc_sim_vdev v;
	uint8_t *tbl;    /* shared copy of the table (in the region) */

	struct hipc_rpmsg_dev dev;
	bool dev_up;
	void *storage;
	struct hipc_rpmsg_ept **buckets;

	/* set by the control-message callback, acted on after the drain
	 * (the callback runs inside the link, which a crash frees) */
	bool ready_seen;
	bool crash_msg;
	bool shutdown_acked;

	bool booting;    /* spawned/attached, READY not seen yet */
	bool stopping;   /* a stop under way: an exit is expected */
	bool letting_go; /* a detach under way: waiting for phase_gen */
	int attach_phase; /* AT_*: how far an attach (or re-attach) got */
	pid_t conn_pid;   /* who is at the other end of @conn (kernel) */
	uint32_t phase_gen;      /* the generation the remote must ack */
	uint64_t phase_deadline; /* of the attach step, detach or stop */
	/* the operation begun by the user, reported once through on_done */
	enum hipc_rproc_op op;
	int op_ret;
	char op_err[256];
	bool auto_restart; /* the current boot is an automatic restart */
	uint64_t boot_deadline;
	uint64_t restart_at;
	uint64_t armed;  /* what the timerfd is set to (UINT64_MAX: off) */
	unsigned backoff_ms;

	bool wd_outstanding;
	uint64_t wd_next;
	uint64_t wd_sent;

	unsigned p2p_side;   /* 0: driver end of cfg.p2p, 1: device end */
	bool p2p_held;       /* our process was given the pair region */
	bool p2p_acked;      /* P2P_RESET_ACK seen (acted on after the drain) */

	struct hipc_rproc_info info;
	/* the trace ring as the remote left it when it crashed */
	uint8_t *last_trace;
	uint32_t last_trace_len;
};

static void set_err(char *err, size_t len, const char *fmt, const char *a,
		    const char *b)
{
	if (err && len)
		snprintf(err, len, fmt, a, b);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int ep_add(struct hipc_rproc *rp, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(rp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void ep_del(struct hipc_rproc *rp, int fd)
{
	if (fd >= 0)
		epoll_ctl(rp->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int hipc_rproc_new(struct hipc_rproc **out, const struct hipc_rproc_config *cfg)
{
	struct hipc_rproc *rp;

	if (!out || !cfg || (!cfg->firmware && !cfg->name))
		return -HIPC_EINVAL;
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return -HIPC_ENOMEM;
	rp->cfg = *cfg;
	rp->epfd = rp->timerfd = rp->pidfd = rp->conn = -1;
	rp->pid = -1;
	rp->shm.fd = -1;
	rp->name = strdup(cfg->name ? cfg->name : "remoteproc");
	rp->firmware = cfg->firmware ? strdup(cfg->firmware) : NULL;
	if (!rp->name || (cfg->firmware && !rp->firmware))
		goto fail;
	rp->cfg.name = rp->name;
	rp->cfg.firmware = rp->firmware;
	if (!rp->cfg.nbuckets)
		rp->cfg.nbuckets = DEFAULT_BUCKETS;
	if (!rp->cfg.boot_timeout_ms)
		rp->cfg.boot_timeout_ms = DEFAULT_BOOT_MS;
	if (!rp->cfg.backoff_min_ms)
		rp->cfg.backoff_min_ms = DEFAULT_BACKOFF_MIN_MS;
	if (!rp->cfg.backoff_max_ms)
		rp->cfg.backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
	if (rp->cfg.backoff_max_ms < rp->cfg.backoff_min_ms)
		rp->cfg.backoff_max_ms = rp->cfg.backoff_min_ms;
	if (!rp->cfg.stable_ms)
		rp->cfg.stable_ms = DEFAULT_STABLE_MS;
	if (rp->cfg.watchdog_ms && !rp->cfg.watchdog_timeout_ms)
		rp->cfg.watchdog_timeout_ms = 2 * rp->cfg.watchdog_ms;
	rp->backoff_ms = rp->cfg.backoff_min_ms;
	rp->armed = UINT64_MAX;
	rp->epfd = epoll_create1(EPOLL_CLOEXEC);
	rp->timerfd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	if (rp->epfd < 0 || rp->timerfd < 0 ||
	    ep_add(rp, rp->timerfd, EV_TIMER))
		goto fail;
	if (rp->cfg.p2p) {
		rp->p2p_side = rp->cfg.p2p_driver ? 0 : 1;
		if (ep_add(rp, rp->cfg.p2p->wake[rp->p2p_side], EV_P2P))
			goto fail;
	}
	snprintf(rp->attach_name, sizeof(rp->attach_name), "%s", rp->name);
	rp->info.pid = -1;
	*out = rp;
	return 0;
fail:
	close_fd(&rp->epfd);
	close_fd(&rp->timerfd);
	free(rp->name);
	free(rp->firmware);
	free(rp);
	return -HIPC_ENOMEM;
}

/* --- state --------------------------------------------------------------- */

static void set_state(struct hipc_rproc *rp, enum hipc_rproc_state s)
{
	if (rp->state == s)
		return;
	rp->state = s;
	if (rp->cfg.on_state)
		rp->cfg.on_state(rp, s, rp->cfg.state_priv);
}

/* Local side down: endpoints told, our mapping and doorbells gone. */
static void release(struct hipc_rproc *rp)
{
	if (rp->dev_up) {
		/* Unbind callbacks run here: this is how every client
		 * learns that the remote is gone. */
		hipc_rpmsg_dev_deinit(&rp->dev);
		rp->dev_up = false;
	}
	if (rp->link) {
		ep_del(rp, hipc_link_fd(rp->link));
		hipc_link_free(rp->link);
		rp->link = NULL;
	}
	hipc_shm_close(&rp->shm);
	ep_del(rp, rp->conn);
	close_fd(&rp->conn);
	rp->ctrl = NULL;
	rp->tbl = NULL;
	free(rp->storage);
	rp->storage = NULL;
	free(rp->buckets);
	rp->buckets = NULL;
	rp->booting = false;
	rp->attach_phase = AT_NONE;
	rp->wd_outstanding = false;
	rp->info.region_size = 0;
}

/* --- the pair region of static vrings ------------------------------------- */

static void p2p_kick(struct hipc_p2p *p, unsigned side)
{
	uint64_t one = 1;

	/* A full counter is still readable: nothing lost by ignoring it. */
	if (write(p->wake[side], &one, sizeof(one)) < 0)
		return;
}

/*
 * Our process no longer holds the pair region (it died, or was stopped
 * before it could hand anything over cleanly): whatever it left in the
 * rings cannot be trusted by the next session.  The peer, if it is using
 * the rings, is told to let go before anything is re-initialised.
 */
static void p2p_lost(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	unsigned s = rp->p2p_side, o = s ^ 1u;

	if (!p || !rp->p2p_held)
		return;
	rp->p2p_held = false;
	rp->p2p_acked = false;
	pthread_mutex_lock(&p->lock);
	p->present[s] = false;
	p->uses[s] = false;
	p->release[s] = false;
	p->up[s] = false;
	p->dirty = true;
	if (p->uses[o]) {
		p->release[o] = true;
		p2p_kick(p, o);
	} else {
		/* Let go already: a pending "up" would be for this session. */
		p->up[o] = false;
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * Before a process of ours gets the pair region: if a previous session
 * ended badly, reset the region, but only once nobody touches it.  The
 * host maps it just for this, never while a remote uses it.
 * @retval 0, -HIPC_EAGAIN (the peer has not let go yet), -HIPC_ENOMEM
 */
static int p2p_claim(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	unsigned s = rp->p2p_side, o = s ^ 1u;
	int ret = 0;

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	if (p->dirty && p->uses[o]) {
		ret = -HIPC_EAGAIN;
		goto out;
	}
	if (p->dirty) {
		struct hipc_sim_ctrl *c;
		uint8_t *base;

		base = mmap(NULL, p->lay.size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, p->memfd, 0);
		if (base == MAP_FAILED) {
			ret = -HIPC_ENOMEM;
			goto out;
		}
		c = (struct hipc_sim_ctrl *)base;
		/* Rings and buffers as new, so nothing of the old session
		 * can be read back; the geometry rewritten in case the dead
		 * end scribbled on it; "ready" cleared, then the new
		 * generation published last.  The mailbox FIFOs stay: they
		 * carry only doorbells, a stale one costs a spurious poll. */
		memset(base + p->lay.vring_off[0], 0,
		       p->lay.size - p->lay.vring_off[0]);
		c->magic = HIPC_SIM_MAGIC;
		c->version = HIPC_SIM_VERSION;
		*hipc__ctrl_word(c, HIPC__CTRL_P2P_NUM) = p->num;
		*hipc__ctrl_word(c, HIPC__CTRL_P2P_BUFSZ) = p->buf_size;
		__atomic_store_n(hipc__ctrl_word(c, HIPC__CTRL_P2P_READY), 0u,
				 __ATOMIC_RELEASE);
		p->gen++;
		__atomic_store_n(hipc__ctrl_word(c, HIPC__CTRL_P2P_GEN), p->gen,
				 __ATOMIC_RELEASE);
		munmap(base, p->lay.size);
		p->dirty = false;
		p->resets++;
	}
	p->present[s] = true;
	p->uses[s] = true;
	p->release[s] = false;
	p->up[s] = false;
	rp->p2p_held = true;
	rp->p2p_acked = false;
out:
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/* Would p2p_claim() have to wait?  Checked before any work is done. */
static bool p2p_busy(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	bool busy;

	if (!p)
		return false;
	pthread_mutex_lock(&p->lock);
	busy = p->dirty && p->uses[rp->p2p_side ^ 1u];
	pthread_mutex_unlock(&p->lock);
	return busy;
}

/* We came up on a freshly set-up region: a peer that let go of the old
 * session is told it may take up the new one. */
static void p2p_came_up(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	unsigned o = rp->p2p_side ^ 1u;

	if (!p || !rp->p2p_held)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->present[o] && !p->uses[o] && !p->release[o]) {
		p->up[o] = true;
		p2p_kick(p, o);
	}
	pthread_mutex_unlock(&p->lock);
}

/* Our share of the pair's bookkeeping, from our own thread: the messages
 * go through our own mailbox. */
static void p2p_work(struct hipc_rproc *rp)
{
	struct hipc_p2p *p = rp->cfg.p2p;
	unsigned s = rp->p2p_side;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (rp->p2p_acked) {
		rp->p2p_acked = false;
		p->uses[s] = false;
	}
	if (rp->link && rp->p2p_held) {
		if (p->release[s] &&
		    hipc_link_send(rp->link, HIPC__MBOX_P2P_RESET) == 0)
			p->release[s] = false;
		if (p->up[s] && !p->release[s] && !p->uses[s] &&
		    hipc_link_send(rp->link, HIPC__MBOX_P2P_UP) == 0) {
			p->up[s] = false;
			p->uses[s] = true;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

/* The process is gone or must go: reap what is ours, drop the pidfd. */
static void end_process(struct hipc_rproc *rp, bool kill_it)
{
	int status;

	/* Through the pidfd: an attached remote is not our child, and its
	 * pid could have been reused by the time a plain kill() lands. */
	if (rp->pid > 0 && kill_it &&
	    (rp->pidfd < 0 ||
	     syscall(SYS_pidfd_send_signal, rp->pidfd, SIGKILL, NULL, 0) < 0) &&
	    rp->is_child)
		kill(rp->pid, SIGKILL);
	if (rp->pid > 0 && rp->is_child) {
		pid_t r;

		do
			r = waitpid(rp->pid, &status, 0);
		while (r < 0 && errno == EINTR);
	}
	ep_del(rp, rp->pidfd);
	close_fd(&rp->pidfd);
	/* Only now: the process can no longer write the pair region. */
	p2p_lost(rp);
	rp->pid = -1;
	rp->info.pid = -1;
	rp->is_child = false;
}

static bool process_exited(struct hipc_rproc *rp)
{
	struct pollfd p = { .fd = rp->pidfd, .events = POLLIN };

	if (rp->pidfd < 0)
		return rp->pid <= 0;
	return poll(&p, 1, 0) > 0;
}

/* Keep the dead remote's last words: its region is about to go. */
static void save_trace(struct hipc_rproc *rp)
{
	uint32_t len = rp->v.trace_len;

	if (!rp->shm.base || !rp->lay.trace_off || len <= HIPC_TRACE_HDR)
		return;
	free(rp->last_trace);
	rp->last_trace = malloc(len);
	rp->last_trace_len = rp->last_trace ? len : 0;
	if (rp->last_trace)
		memcpy(rp->last_trace, rp->shm.base + rp->lay.trace_off, len);
}

static void crash(struct hipc_rproc *rp, const char *reason)
{
	uint64_t now = hipc_now_ns();

	/* Something must be live: a remote up, or one booting (a first
	 * start, or a restart while still marked crashed). */
	if (!rp->booting && (rp->state == HIPC_RPROC_CRASHED ||
			     rp->state == HIPC_RPROC_OFFLINE ||
			     rp->state == HIPC_RPROC_DETACHED))
		return;
	rp->info.crashes++;
	rp->info.crashed_ns = now;
	snprintf(rp->info.crash_reason, sizeof(rp->info.crash_reason), "%s",
		 reason);
	/* A hung remote still maps the region: it dies before anything of
	 * that region is reused (a restart gets a fresh memfd anyway). */
	end_process(rp, true);
	save_trace(rp);
	rp->state = HIPC_RPROC_CRASHED;
	/* Clears booting too: a boot that dies is a crash like any other. */
	release(rp);
	/* No automatic restart of a boot someone is waiting for (start,
	 * attach: they report the failure) or of a remote being stopped. */
	if (rp->cfg.policy == HIPC_RPROC_RESTART &&
	    rp->op == HIPC_RPROC_OP_NONE && !rp->stopping) {
		if (rp->info.up_ns && now - rp->info.up_ns >=
					      (uint64_t)rp->cfg.stable_ms * MS)
			rp->backoff_ms = rp->cfg.backoff_min_ms;
		rp->restart_at = now + (uint64_t)rp->backoff_ms * MS;
		rp->backoff_ms = rp->backoff_ms * 2 > rp->cfg.backoff_max_ms
					 ? rp->cfg.backoff_max_ms
					 : rp->backoff_ms * 2;
	}
	rp->info.next_restart_ns = rp->restart_at;
	rp->info.state = rp->state;
	if (rp->cfg.on_state)
		rp->cfg.on_state(rp, rp->state, rp->cfg.state_priv);
}

/* --- boot ------------------------------------------------------------------ */

static int spawn(struct hipc_rproc *rp, int efd_in, int efd_out)
{
	char modebuf[32], spinbuf[32], pathbuf[4096];
	const char *mode = rp->cfg.mode == HIPC_LINK_POLL       ? "poll"
			   : rp->cfg.mode == HIPC_LINK_ADAPTIVE ? "adaptive"
								: "irq";
	struct hipc_p2p *p2p = rp->cfg.p2p;
	unsigned side = rp->cfg.p2p_driver ? HIPC_SIDE_HOST : HIPC_SIDE_REMOTE;
	int src[6] = { rp->shm.fd, efd_in, efd_out, -1, -1, -1 };
	int nfd = 3;
	char *argv[64];
	char *envp[16];
	pid_t parent = getpid();
	unsigned n = 0;
	pid_t pid;

	argv[n++] = rp->firmware;
	for (unsigned i = 0; rp->cfg.fw_args && rp->cfg.fw_args[i] && n < 63; i++)
		argv[n++] = rp->cfg.fw_args[i];
	argv[n] = NULL;
	snprintf(modebuf, sizeof(modebuf), "HIPC_LINK_MODE=%s", mode);
	snprintf(spinbuf, sizeof(spinbuf), "HIPC_SPIN_US=%u", rp->cfg.spin_us);
	n = 0;
	envp[n++] = "HIPC_SHM_FD=3";
	envp[n++] = "HIPC_EFD_IN=4";
	envp[n++] = "HIPC_EFD_OUT=5";
	envp[n++] = modebuf;
	envp[n++] = spinbuf;
	if (p2p) {
		src[3] = p2p->memfd;
		src[4] = p2p->efd[side];
		src[5] = p2p->efd[side ^ 1u];
		nfd = 6;
		envp[n++] = "HIPC_P2P_FD=6";
		envp[n++] = "HIPC_P2P_EFD_IN=7";
		envp[n++] = "HIPC_P2P_EFD_OUT=8";
		envp[n++] = rp->cfg.p2p_driver ? "HIPC_P2P_ROLE=driver"
					       : "HIPC_P2P_ROLE=device";
	}
	if (getenv("PATH")) {
		snprintf(pathbuf, sizeof(pathbuf), "PATH=%s", getenv("PATH"));
		envp[n++] = pathbuf;
	}
	envp[n] = NULL;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Child: only async-signal-safe calls until exec. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		/* Move the fds out of the way first (a source may already
		 * sit on 3..8), then into place; dup2 onto a new number
		 * clears close-on-exec, and F_SETFD makes sure.  Everything
		 * else is closed: a remote reaches its own region only. */
		for (int i = 0; i < nfd; i++) {
			src[i] = fcntl(src[i], F_DUPFD, 16);
			if (src[i] < 0)
				_exit(127);
		}
		for (int i = 0; i < nfd; i++) {
			if (dup2(src[i], 3 + i) < 0 ||
			    fcntl(3 + i, F_SETFD, 0) < 0)
				_exit(127);
		}
		syscall(SYS_close_range, (unsigned)(3 + nfd), ~0u, 0u);
		execve(rp->firmware, argv, envp);
		_exit(127);
	}
	rp->pid = pid;
	rp->is_child = true;
	return 0;
}

static void on_ctrl(void *arg, uint32_t msg)
{
	struct hipc_rproc *rp = arg;

	switch (msg) {
	case HIPC_MBOX_READY:
		rp->ready_seen = true;
		break;
	case HIPC_MBOX_SHUTDOWN_ACK:
		rp->shutdown_acked = true;
		break;
	case HIPC_MBOX_CRASH:
		rp->crash_msg = true;
		break;
	case HIPC_MBOX_ECHO_REPLY:
		rp->wd_outstanding = false;
		break;
	case HIPC__MBOX_P2P_RESET_ACK:
		rp->p2p_acked = true;
		break;
	default:
		break;
	}
	if (rp->cfg.on_ctrl)
		rp->cfg.on_ctrl(rp, msg, rp->cfg.ctrl_priv);
}

/* The driver role over the region: rings initialised, rx buffers posted,
 * DRIVER_OK, vring 0 kicked.  rp->v, rp->lay, rp->tbl are set. */
static int driver_up(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct hipc_rpmsg_dev_config dc;
	size_t ssize = HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER, rp->v.num);
	int ret;

	rp->region.da = 0;
	rp->region.va = rp->shm.base;
	rp->region.size = rp->shm.size;
	rp->map.regions = &rp->region;
	rp->map.count = 1;
	rp->storage = aligned_alloc(8, (ssize + 7u) & ~(size_t)7u);
	rp->buckets = calloc(rp->cfg.nbuckets, sizeof(*rp->buckets));
	if (!rp->storage || !rp->buckets) {
		set_err(err, errlen, "%s: %s", rp->name, "out of memory");
		return -HIPC_ENOMEM;
	}
	memset(&dc, 0, sizeof(dc));
	dc.role = HIPC_RPMSG_DRIVER;
	/* As the table says (the region's addresses are offsets into it). */
	dc.vring_da[0] = rp->lay.vring_off[0];
	dc.vring_da[1] = rp->lay.vring_off[1];
	dc.notifyid[0] = 0;
	dc.notifyid[1] = 1;
	dc.num = rp->v.num;
	dc.align = rp->v.align;
	dc.features = rp->v.gfeatures;
	dc.buf_size = rp->v.buf_size;
	dc.bufs = rp->shm.base + rp->lay.bufs_off;
	dc.map = &rp->map;
	dc.storage = rp->storage;
	dc.storage_size = ssize;
	dc.buckets = rp->buckets;
	dc.nbuckets = rp->cfg.nbuckets;
	dc.port = hipc_link_port(rp->link);
	dc.ns_cb = rp->cfg.ns_cb;
	dc.ns_priv = rp->cfg.ns_priv;
	ret = hipc_rpmsg_dev_init(&rp->dev, &dc);
	if (ret) {
		set_err(err, errlen, "%s: rpmsg: %s", rp->name,
			hipc_strerror(ret));
		return ret;
	}
	rp->dev_up = true;
	/* DRIVER_OK only now: every rx buffer is posted.  Release: the rings
	 * and the table's other fields are visible before the status. */
	__atomic_store_n(&rp->tbl[rp->v.vdev_off + VDEV_STATUS],
			 (uint8_t)(HIPC_VIRTIO_STATUS_ACKNOWLEDGE |
				   HIPC_VIRTIO_STATUS_DRIVER |
				   HIPC_VIRTIO_STATUS_FEATURES_OK |
				   HIPC_VIRTIO_STATUS_DRIVER_OK),
			 __ATOMIC_RELEASE);
	ret = hipc_rpmsg_dev_start(&rp->dev);
	if (ret) {
		set_err(err, errlen, "%s: rpmsg start: %s", rp->name,
			hipc_strerror(ret));
		return ret;
	}
	memcpy(rp->info.mem, rp->lay.mem, sizeof(rp->info.mem));
	rp->info.nmem = rp->lay.nmem;
	rp->info.region_size = rp->shm.size;
	rp->ready_seen = false;
	rp->crash_msg = false;
	rp->shutdown_acked = false;
	rp->booting = true;
	rp->boot_deadline =
		hipc_now_ns() + (uint64_t)rp->cfg.boot_timeout_ms * MS;
	return 0;
}

/* Everything of a boot that does not wait: the remote then reports READY
 * through the loop.  On failure everything is undone. */
static int boot(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct hipc_fwimage img;
	char msg[256];
	int efd_to_remote = -1, efd_to_host = -1;
	int ret;

	if (!rp->firmware) {
		set_err(err, errlen, "%s: %s", rp->name, "no firmware to boot");
		return -HIPC_ENOENT;
	}
	if (p2p_busy(rp)) {
		set_err(err, errlen, "%s: %s", rp->name,
			"the peer has not let go of the static-vring link yet");
		return -HIPC_EAGAIN;
	}
	ret = hipc_fwimage_load(&img, rp->firmware, msg, sizeof(msg));
	if (ret) {
		set_err(err, errlen, "%s: %s", rp->firmware, msg);
		return ret;
	}
	ret = hipc__sim_vdev_read(hipc_fwimage_rsc(&img), img.rsc_size, &rp->v);
	if (ret) {
		set_err(err, errlen, "%s: %s", rp->firmware,
			ret == -HIPC_ENOENT ? "resource table has no rpmsg vdev"
					    : "rpmsg vdev needs two vrings of "
					      "one size and a sane buffer size");
		goto free_img;
	}
	ret = hipc__layout_plan(hipc_fwimage_rsc(&img), img.rsc_size, &rp->v,
				&rp->lay);
	if (ret) {
		set_err(err, errlen, "%s: %s", rp->firmware,
			"resource table cannot be laid out (fixed-address "
			"carveout, or more memory than fits)");
		goto free_img;
	}
	/* A fresh memfd every boot: nothing a dead remote could still have
	 * mapped is ever reused. */
	ret = hipc_shm_create(&rp->shm, rp->name, rp->lay.size);
	if (ret) {
		set_err(err, errlen, "%s: memfd: %s", rp->name, strerror(-ret));
		ret = -HIPC_ENOMEM;
		goto free_img;
	}
	rp->ctrl = (struct hipc_sim_ctrl *)rp->shm.base;
	rp->tbl = rp->shm.base + rp->lay.rsc_off;
	rp->v.gfeatures = rp->v.dfeatures & HIPC__HOST_FEATURES;
	hipc__layout_apply(rp->shm.base, &rp->lay, hipc_fwimage_rsc(&img),
			   img.rsc_size, &rp->v, rp->name, rp->v.gfeatures);
	rp->ctrl->boot_count = rp->info.crashes + 1;
	/* A fresh remote acknowledges generation 1 the first time it looks. */
	*hipc__ctrl_word(rp->ctrl, HIPC__CTRL_HOST_GEN) = 1;
	hipc_fwimage_release(&img);

	efd_to_remote = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd_to_host = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd_to_remote < 0 || efd_to_host < 0) {
		ret = -HIPC_ENOMEM;
		set_err(err, errlen, "%s: eventfd: %s", rp->name,
			strerror(errno));
		goto close_efd;
	}
	rp->link = hipc_link_new(rp->ctrl, HIPC_SIDE_HOST, efd_to_host,
				 efd_to_remote, rp->cfg.mode, rp->cfg.spin_us);
	if (!rp->link) {
		ret = -HIPC_ENOMEM;
		set_err(err, errlen, "%s: %s", rp->name, "out of memory");
		goto close_efd;
	}
	/* The link owns them now; the child gets its own copies. */
	ret = ep_add(rp, efd_to_host, EV_LINK);
	if (ret) {
		set_err(err, errlen, "%s: epoll: %s", rp->name, strerror(-ret));
		goto undo;
	}
	ret = p2p_claim(rp);
	if (ret) {
		set_err(err, errlen, "%s: %s", rp->name,
			"the peer has not let go of the static-vring link yet");
		goto undo;
	}
	ret = spawn(rp, efd_to_remote, efd_to_host);
	efd_to_host = efd_to_remote = -1;
	if (ret) {
		set_err(err, errlen, "%s: fork: %s", rp->name, strerror(-ret));
		p2p_lost(rp);
		goto undo;
	}
	rp->info.pid = rp->pid;
	/* Exit notification without SIGCHLD: the pidfd turns readable when
	 * the process dies, in the same epoll as the doorbell. */
	rp->pidfd = (int)syscall(SYS_pidfd_open, rp->pid, 0);
	if (rp->pidfd < 0 || ep_add(rp, rp->pidfd, EV_PID)) {
		set_err(err, errlen, "%s: pidfd_open: %s", rp->name,
			strerror(errno));
		ret = -HIPC_ENOMEM;
		goto kill_child;
	}
	ret = driver_up(rp, err, errlen);
	if (ret)
		goto kill_child;
	rp->attach_mode = false;
	return 0;

kill_child:
	end_process(rp, true);
undo:
	release(rp);
	return ret;
close_efd:
	if (efd_to_remote >= 0)
		close(efd_to_remote);
	if (efd_to_host >= 0)
		close(efd_to_host);
	release(rp);
	return ret;
free_img:
	hipc_fwimage_release(&img);
	return ret;
}

/* --- attach ---------------------------------------------------------------- */

/* Sleep until @fd is readable or @deadline (CLOCK_MONOTONIC ns) passes;
 * a signal does not restart the whole wait. */
static void wait_readable(int fd, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (hipc_now_ns() < deadline)
		(void)hipc__poll_until(&p, 1, deadline, NULL);
}

static void errf(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/*
 * The remote's hello and its three fds (region, doorbell to us, doorbell to
 * it), from a peer we do not trust: any fd that came is closed on refusal.
 * @retval 0, -HIPC_EAGAIN (nothing yet), -HIPC_EBUSY (turned away: it has a
 *         host already), -HIPC_EBADMSG (not a hello we speak)
 */
static int recv_region(struct hipc_rproc *rp, int sock, int fds[3], char *err,
		       size_t errlen)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} u;
	uint32_t hello[2];
	struct iovec iov = { .iov_base = hello, .iov_len = sizeof(hello) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	int got[3] = { -1, -1, -1 };
	size_t k = 0;
	ssize_t r;

	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -HIPC_EAGAIN;
	if (r < 0) {
		errf(err, errlen, "%s: attach: %s", rp->name, strerror(errno));
		return -HIPC_ECONNRESET;
	}
	if (r == 0) {
		errf(err, errlen, "%s: attached to another host", rp->name);
		return -HIPC_EBUSY;
	}
	/* Whatever fds came are ours to close from here on. */
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0;
		     i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (k < 3)
				got[k] = fd;
			else
				close(fd);
			k++;
		}
	}
	if (r != sizeof(hello) || hello[0] != HIPC__ATTACH_MAGIC) {
		errf(err, errlen, "%s: not an attach hello (%zd bytes, magic "
		     "0x%08x, expected 0x%08x)", rp->name, r,
		     r >= 4 ? hello[0] : 0u, HIPC__ATTACH_MAGIC);
		goto refuse;
	}
	if (hello[1] != HIPC__ATTACH_VERSION) {
		errf(err, errlen, "%s: the remote speaks attach protocol "
		     "version %u, this host speaks %u", rp->name, hello[1],
		     HIPC__ATTACH_VERSION);
		goto refuse;
	}
	if (k != 3 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		errf(err, errlen, "%s: the attach hello carried %zu fds, "
		     "expected 3", rp->name, k);
		goto refuse;
	}
	memcpy(fds, got, sizeof(got));
	return 0;
refuse:
	for (size_t i = 0; i < 3; i++)
		if (got[i] >= 0)
			close(got[i]);
	return -HIPC_EBADMSG;
}

/*
 * Map a region received from a remote.  Unlike the regions we create, its
 * sender keeps it: unless the memfd is sealed against shrinking, the remote
 * could cut it short after we mapped it and our next access would be a
 * SIGBUS, a crash of the host caused by the peer.  The control page must
 * also agree with the real size.  @fd is ours (closed on failure).
 */
static int map_received(struct hipc_rproc *rp, int fd, char *err,
			size_t errlen)
{
	struct hipc_sim_ctrl *c;
	struct stat st;
	int seals, ret;

	/* Seals first: once F_SEAL_SHRINK is there it stays, so the size
	 * read after it is one the region keeps. */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		errf(err, errlen, "%s: the received region is not sealed "
		     "against shrinking (%s): the remote could cut it short "
		     "under us", rp->name,
		     seals < 0 ? "not a memfd" : "F_SEAL_SHRINK missing");
		goto refuse;
	}
	if (fstat(fd, &st) < 0) {
		errf(err, errlen, "%s: received region: %s", rp->name,
		     strerror(errno));
		goto refuse;
	}
	if (st.st_size <= 0) {
		errf(err, errlen, "%s: the received region is empty", rp->name);
		goto refuse;
	}
	if ((size_t)st.st_size < HIPC_SIM_CTRL_SIZE) {
		errf(err, errlen, "%s: the received region (%lld bytes) is "
		     "smaller than a control page", rp->name,
		     (long long)st.st_size);
		goto refuse;
	}
	ret = hipc_shm_map(&rp->shm, fd);
	if (ret) {
		errf(err, errlen, "%s: map: %s", rp->name, strerror(-ret));
		goto refuse;
	}
	c = (struct hipc_sim_ctrl *)rp->shm.base;
	if (c->magic != HIPC_SIM_MAGIC || c->version != HIPC_SIM_VERSION) {
		errf(err, errlen, "%s: not a hipc region (magic 0x%08x "
		     "version %u)", rp->name, c->magic, c->version);
		goto unmap;
	}
	if (c->size != (uint64_t)st.st_size) {
		errf(err, errlen, "%s: the received region is %lld bytes but "
		     "claims %llu", rp->name, (long long)st.st_size,
		     (unsigned long long)c->size);
		goto unmap;
	}
	return 0;
unmap:
	hipc_shm_close(&rp->shm); /* closes fd too */
	return -HIPC_EBADMSG;
refuse:
	close(fd);
	return -HIPC_EBADMSG;
}

/* Has the remote acknowledged @gen (let go of the rings for it)?  The
 * acknowledgement is a store the remote follows with a doorbell
 * (HIPC__MBOX_GEN_ACK), so the loop looks again when it rings. */
static bool gen_acked(struct hipc_rproc *rp, uint32_t gen)
{
	return __atomic_load_n(hipc__ctrl_word(rp->ctrl, HIPC__CTRL_REMOTE_GEN),
			       __ATOMIC_ACQUIRE) == gen;
}

/* Tell the remote to drop the rings for a new generation; returns it. */
static uint32_t new_generation(struct hipc_rproc *rp)
{
	uint32_t *hg = hipc__ctrl_word(rp->ctrl, HIPC__CTRL_HOST_GEN);
	uint32_t gen = __atomic_load_n(hg, __ATOMIC_RELAXED) + 1u;

	/* Status first: a remote that sees the new generation also sees
	 * DRIVER_OK withdrawn. */
	__atomic_store_n(&rp->tbl[rp->v.vdev_off + VDEV_STATUS], (uint8_t)0,
			 __ATOMIC_RELEASE);
	__atomic_store_n(hg, gen, __ATOMIC_RELEASE);
	hipc_link_send(rp->link, HIPC__MBOX_RESET);
	return gen;
}

/* --- operations: begun, stepped by the loop, finished once ---------------- */

static bool bringing_up(const struct hipc_rproc *rp)
{
	return rp->op == HIPC_RPROC_OP_START || rp->op == HIPC_RPROC_OP_ATTACH;
}

/* The operation under way is over: @ret as the blocking call returns it. */
static void finish_op(struct hipc_rproc *rp, int ret, const char *msg)
{
	enum hipc_rproc_op op = rp->op;

	if (op == HIPC_RPROC_OP_NONE)
		return;
	rp->op = HIPC_RPROC_OP_NONE;
	rp->op_ret = ret;
	snprintf(rp->op_err, sizeof(rp->op_err), "%s", ret < 0 && msg ? msg : "");
	if (rp->cfg.on_done)
		rp->cfg.on_done(rp, op, ret, rp->op_err, rp->cfg.done_priv);
}

/* An automatic restart failed: try again later, further apart. */
static void restart_failed(struct hipc_rproc *rp, int ret)
{
	uint64_t now = hipc_now_ns();

	rp->auto_restart = false;
	if (ret == -HIPC_EAGAIN) {
		/* The peer is still letting go of the pair region: not a
		 * failure of ours, so no longer backoff. */
		rp->restart_at = now + 2 * MS;
	} else {
		rp->restart_at = now + (uint64_t)rp->backoff_ms * MS;
		rp->backoff_ms = rp->backoff_ms * 2 > rp->cfg.backoff_max_ms
					 ? rp->cfg.backoff_max_ms
					 : rp->backoff_ms * 2;
	}
	rp->info.next_restart_ns = rp->restart_at;
}

/* An attach that got under way failed before the rings were ours. */
static void attach_failed(struct hipc_rproc *rp, int ret, const char *msg)
{
	rp->attach_phase = AT_NONE;
	end_process(rp, false);
	release(rp);
	if (rp->auto_restart)
		restart_failed(rp, ret);
	finish_op(rp, ret, msg);
}

/*
 * Attach, first step: connect to NAME.sock and learn from the kernel who is
 * there.  The hello with the fds comes when the remote's loop accepts us:
 * attach_hello(), through the loop.
 */
static int attach_begin(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char dir[200];
	int sock, ret;

	ret = hipc_run_dir(dir, sizeof(dir), 0);
	if (ret) {
		errf(err, errlen, "%s: run directory %s: %s", rp->name, dir,
		     strerror(-ret));
		return -HIPC_ENOENT;
	}
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock",
			     dir, rp->attach_name) >= sizeof(sa.sun_path)) {
		errf(err, errlen, "%s: socket path %s/%s.sock too long",
		     rp->name, dir, rp->attach_name);
		return -HIPC_EINVAL;
	}
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		      0);
	if (sock < 0) {
		errf(err, errlen, "%s: socket: %s", rp->name, strerror(errno));
		return -HIPC_ENOMEM;
	}
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		errf(err, errlen, "%s: nothing to attach to at %s (%s); a "
		     "remote publishes itself there with --standalone %s",
		     rp->name, sa.sun_path, strerror(errno), rp->attach_name);
		close(sock);
		return errno == EAGAIN ? -HIPC_EBUSY : -HIPC_ENOENT;
	}
	/* Who is at the other end, from the kernel, not from the peer. */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    cred.uid != getuid() || cred.pid <= 0) {
		errf(err, errlen, "%s: %s: peer is not one of ours", rp->name,
		     sa.sun_path);
		close(sock);
		return -HIPC_EPERM;
	}
	ret = ep_add(rp, sock, EV_CONN);
	if (ret) {
		errf(err, errlen, "%s: epoll: %s", rp->name, strerror(-ret));
		close(sock);
		return -HIPC_ENOMEM;
	}
	rp->conn = sock; /* until we let go: we are its host */
	rp->conn_pid = cred.pid;
	rp->attach_phase = AT_HELLO;
	rp->phase_deadline =
		hipc_now_ns() + (uint64_t)rp->cfg.boot_timeout_ms * MS;
	return 0;
}

/*
 * Attach, second step: the hello arrived.  Region mapped and checked, the
 * table validated, then the remote is asked to let go of the rings.
 * @retval 0 (now waiting for the acknowledgement), -HIPC_EAGAIN (no hello
 *         yet), <0 failed (@err filled, nothing undone yet)
 */
static int attach_hello(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct hipc_rsc_error rerr;
	struct hipc__layout lay;
	uint8_t *copy = NULL;
	int fds[3] = { -1, -1, -1 };
	uint32_t off, len;
	int ret;

	ret = recv_region(rp, rp->conn, fds, err, errlen);
	if (ret)
		return ret;
	/* The connection stays open (the remote's "a host is attached"),
	 * but is not watched: a remote that dies is seen on its pidfd. */
	ep_del(rp, rp->conn);
	ret = map_received(rp, fds[0], err, errlen);
	if (ret) {
		close(fds[1]);
		close(fds[2]);
		return ret;
	}
	rp->link = hipc_link_new((struct hipc_sim_ctrl *)rp->shm.base,
				 HIPC_SIDE_HOST, fds[1], fds[2], rp->cfg.mode,
				 rp->cfg.spin_us);
	if (!rp->link) {
		close(fds[1]);
		close(fds[2]);
		errf(err, errlen, "%s: out of memory", rp->name);
		return -HIPC_ENOMEM;
	}
	ret = ep_add(rp, fds[1], EV_LINK);
	if (ret) {
		errf(err, errlen, "%s: epoll: %s", rp->name, strerror(-ret));
		return ret;
	}
	rp->pid = rp->conn_pid;
	rp->info.pid = rp->pid;
	rp->is_child = false;
	rp->pidfd = (int)syscall(SYS_pidfd_open, rp->pid, 0);
	if (rp->pidfd < 0 || ep_add(rp, rp->pidfd, EV_PID)) {
		errf(err, errlen, "%s: remote pid %d is gone", rp->name,
		     (int)rp->pid);
		return -HIPC_ECONNRESET;
	}

	/* The table as it stands, from a peer we do not trust: copied out,
	 * validated, and its layout must be the one we would have made. */
	rp->ctrl = (struct hipc_sim_ctrl *)rp->shm.base;
	off = __atomic_load_n(&rp->ctrl->rsc_off, __ATOMIC_ACQUIRE);
	len = __atomic_load_n(&rp->ctrl->rsc_size, __ATOMIC_ACQUIRE);
	if (off < HIPC_SIM_CTRL_SIZE || len == 0 || len > 65536 ||
	    off > rp->shm.size || len > rp->shm.size - off)
		goto bad_table;
	copy = malloc(len);
	if (!copy) {
		errf(err, errlen, "%s: out of memory", rp->name);
		return -HIPC_ENOMEM;
	}
	memcpy(copy, rp->shm.base + off, len);
	if (hipc_rsc_validate(copy, len, &rerr) ||
	    hipc__sim_vdev_read(copy, len, &rp->v) ||
	    hipc__layout_plan(copy, len, &rp->v, &lay) ||
	    lay.rsc_off != off || lay.size > rp->shm.size ||
	    rp->v.vring_da[0] != lay.vring_off[0] ||
	    rp->v.vring_da[1] != lay.vring_off[1] ||
	    (lay.trace_off && rp->v.trace_da != lay.trace_off))
		goto bad_table;
	free(copy);
	rp->lay = lay;
	rp->tbl = rp->shm.base + off;
	rp->v.gfeatures = rp->v.dfeatures & HIPC__HOST_FEATURES;
	hipc__wr32(rp->tbl + rp->v.vdev_off + VDEV_GFEATURES, rp->v.gfeatures);

	rp->phase_gen = new_generation(rp);
	rp->attach_phase = AT_ACK;
	rp->phase_deadline =
		hipc_now_ns() + (uint64_t)rp->cfg.boot_timeout_ms * MS;
	return 0;

bad_table:
	free(copy);
	errf(err, errlen, "%s: its resource table or layout is not acceptable",
	     rp->name);
	return -HIPC_EBADMSG;
}

/* The attach steps due now (from the loop). */
static void attach_step(struct hipc_rproc *rp, uint64_t now)
{
	char msg[256] = "";
	int ret;

	if (rp->attach_phase == AT_HELLO) {
		ret = attach_hello(rp, msg, sizeof(msg));
		if (ret == -HIPC_EAGAIN && now >= rp->phase_deadline) {
			errf(msg, sizeof(msg), "%s: no hello from the remote "
			     "within %u ms", rp->name, rp->cfg.boot_timeout_ms);
			ret = -HIPC_ETIMEDOUT;
		}
		if (ret && ret != -HIPC_EAGAIN)
			attach_failed(rp, ret, msg);
		if (ret)
			return;
	}
	if (rp->attach_phase != AT_ACK)
		return;
	if (gen_acked(rp, rp->phase_gen)) {
		rp->attach_phase = AT_NONE;
		ret = driver_up(rp, msg, sizeof(msg));
		if (ret) {
			attach_failed(rp, ret, msg);
			return;
		}
		rp->attach_mode = true;
	} else if (process_exited(rp)) {
		errf(msg, sizeof(msg), "%s: the remote exited while letting "
		     "go of its rings", rp->name);
		attach_failed(rp, -HIPC_ECONNRESET, msg);
	} else if (now >= rp->phase_deadline) {
		errf(msg, sizeof(msg), "%s: remote did not let go of its "
		     "rings within %u ms", rp->name, rp->cfg.boot_timeout_ms);
		attach_failed(rp, -HIPC_ETIMEDOUT, msg);
	}
}

/* Detach, last step: the remote let go (or did not in time). */
static void finish_detach(struct hipc_rproc *rp, int ret)
{
	rp->letting_go = false;
	end_process(rp, false);
	release(rp);
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	set_state(rp, HIPC_RPROC_DETACHED);
	finish_op(rp, ret, ret ? "the remote did not acknowledge; detached "
				 "anyway" : NULL);
}

/* Stop, last step: the process is gone (or is killed now). */
static void finish_stop(struct hipc_rproc *rp, bool kill_it)
{
	rp->stopping = false;
	end_process(rp, kill_it);
	release(rp);
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	set_state(rp, HIPC_RPROC_OFFLINE);
	finish_op(rp, kill_it ? 1 : 0, NULL);
}

static void ops_step(struct hipc_rproc *rp, uint64_t now)
{
	if (rp->attach_phase != AT_NONE)
		attach_step(rp, now);
	if (rp->letting_go) {
		if (gen_acked(rp, rp->phase_gen) || process_exited(rp))
			finish_detach(rp, 0);
		else if (now >= rp->phase_deadline)
			finish_detach(rp, -HIPC_ETIMEDOUT);
	}
	if (rp->stopping) {
		if (rp->pid <= 0 || process_exited(rp))
			finish_stop(rp, false);
		else if (now >= rp->phase_deadline)
			finish_stop(rp, true);
	}
	/* A start or attach ends when the remote is up, or when its boot
	 * failed (crashed before READY). */
	if (bringing_up(rp) && rp->attach_phase == AT_NONE && !rp->booting) {
		if (rp->state == HIPC_RPROC_RUNNING ||
		    rp->state == HIPC_RPROC_ATTACHED) {
			finish_op(rp, 0, NULL);
		} else if (rp->state == HIPC_RPROC_CRASHED) {
			char msg[256];
			int ret = strstr(rp->info.crash_reason, "READY")
					  ? -HIPC_ETIMEDOUT
					  : -HIPC_ECONNRESET;

			errf(msg, sizeof(msg), "%s: firmware failed to boot: "
			     "%s", rp->name, rp->info.crash_reason);
			rp->restart_at = 0;
			rp->info.next_restart_ns = 0;
			set_state(rp, HIPC_RPROC_OFFLINE);
			finish_op(rp, ret, msg);
		}
	}
}

/* --- the loop ------------------------------------------------------------- */

static void rearm(struct hipc_rproc *rp)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };
	uint64_t next = UINT64_MAX;

	if (rp->booting && rp->boot_deadline < next)
		next = rp->boot_deadline;
	if ((rp->attach_phase != AT_NONE || rp->letting_go || rp->stopping) &&
	    rp->phase_deadline < next)
		next = rp->phase_deadline;
	if (rp->restart_at && rp->restart_at < next)
		next = rp->restart_at;
	if (rp->cfg.watchdog_ms && rp->link && !rp->booting && !rp->stopping &&
	    !rp->letting_go) {
		if (rp->wd_next < next)
			next = rp->wd_next;
		if (rp->wd_outstanding &&
		    rp->wd_sent + rp->cfg.watchdog_timeout_ms * MS < next)
			next = rp->wd_sent + rp->cfg.watchdog_timeout_ms * MS;
	}
	if (next == rp->armed)
		return; /* a syscall saved on every pass of a busy loop */
	rp->armed = next;
	if (next != UINT64_MAX) {
		if (!next)
			next = 1;
		its.it_value.tv_sec = (time_t)(next / 1000000000u);
		its.it_value.tv_nsec = (long)(next % 1000000000u);
	}
	timerfd_settime(rp->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void came_up(struct hipc_rproc *rp, uint64_t now)
{
	rp->booting = false;
	rp->info.up_ns = now;
	if (rp->auto_restart)
		rp->info.restarts++;
	rp->auto_restart = false;
	rp->wd_outstanding = false;
	rp->wd_next = now + (uint64_t)rp->cfg.watchdog_ms * MS;
	set_state(rp, rp->attach_mode ? HIPC_RPROC_ATTACHED
				      : HIPC_RPROC_RUNNING);
	p2p_came_up(rp);
}

static void timers(struct hipc_rproc *rp)
{
	uint64_t now = hipc_now_ns();

	if (rp->booting && now >= rp->boot_deadline) {
		crash(rp, "no READY within the boot timeout");
		return;
	}
	if (rp->cfg.watchdog_ms && rp->link && !rp->booting &&
	    !rp->stopping && !rp->letting_go &&
	    (rp->state == HIPC_RPROC_RUNNING ||
	     rp->state == HIPC_RPROC_ATTACHED)) {
		if (rp->wd_outstanding &&
		    now >= rp->wd_sent + rp->cfg.watchdog_timeout_ms * MS) {
			rp->info.watchdog_misses++;
			crash(rp, "watchdog: no echo reply");
			return;
		}
		if (now >= rp->wd_next) {
			if (!rp->wd_outstanding &&
			    hipc_link_send(rp->link, HIPC_MBOX_ECHO_REQUEST) == 0) {
				rp->wd_outstanding = true;
				rp->wd_sent = now;
			}
			rp->wd_next = now + (uint64_t)rp->cfg.watchdog_ms * MS;
		}
	}
	if (rp->state == HIPC_RPROC_CRASHED && rp->restart_at &&
	    now >= rp->restart_at && rp->op == HIPC_RPROC_OP_NONE) {
		int ret;

		rp->restart_at = 0;
		rp->info.next_restart_ns = 0;
		rp->auto_restart = true;
		ret = rp->attach_mode ? attach_begin(rp, NULL, 0)
				      : boot(rp, NULL, 0);
		if (ret)
			restart_failed(rp, ret);
	}
}

static void exit_reason(struct hipc_rproc *rp, char *buf, size_t len)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (rp->is_child &&
	    waitid(P_PID, (id_t)rp->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	    si.si_pid == rp->pid) {
		if (si.si_code == CLD_EXITED)
			snprintf(buf, len, "exited with status %d", si.si_status);
		else
			snprintf(buf, len, "killed by signal %d", si.si_status);
		return;
	}
	snprintf(buf, len, "process exited");
}

int hipc_rproc_process(struct hipc_rproc *rp)
{
	struct epoll_event ev[5];
	bool exited = false;
	int n, delivered = 0;

	if (!rp->link && rp->op == HIPC_RPROC_OP_NONE &&
	    rp->attach_phase == AT_NONE &&
	    (rp->state == HIPC_RPROC_OFFLINE ||
	     rp->state == HIPC_RPROC_DETACHED))
		return -HIPC_ENOTCONN;
	do
		n = epoll_wait(rp->epfd, ev, 5, 0);
	while (n < 0 && errno == EINTR);
	for (int i = 0; i < n; i++) {
		if (ev[i].data.u32 == EV_TIMER) {
			uint64_t x;

			/* Expired: a one-shot timer is disarmed now.  EAGAIN
			 * (nothing to clear) changes nothing. */
			if (read(rp->timerfd, &x, sizeof(x)) == sizeof(x))
				rp->armed = UINT64_MAX;
		} else if (ev[i].data.u32 == EV_PID) {
			exited = true;
		} else if (ev[i].data.u32 == EV_P2P) {
			uint64_t x;

			/* Only the wake-up: the state is read under the
			 * pair's lock in p2p_work(). */
			if (read(rp->cfg.p2p->wake[rp->p2p_side], &x,
				 sizeof(x)) < 0)
				x = 0;
		}
		/* EV_CONN: the hello is read in attach_step() */
	}
	/* An exit is expected while stopping, and while letting go of an
	 * attached remote (it is not ours to keep alive then). */
	if (exited && !rp->stopping && !rp->letting_go &&
	    rp->attach_phase == AT_NONE && rp->pidfd >= 0) {
		char why[64];

		exit_reason(rp, why, sizeof(why));
		crash(rp, why);
	}
	if (rp->link && hipc_link_drain(rp->link, on_ctrl, rp) == -HIPC_EIO)
		crash(rp, "mailbox corrupted");
	if (rp->crash_msg) {
		rp->crash_msg = false;
		crash(rp, "remote reported a crash");
	}
	if (rp->booting && rp->ready_seen)
		came_up(rp, hipc_now_ns());
	p2p_work(rp);
	/* Nothing is delivered before READY: announcements reach ns_cb
	 * with the remote already marked running. */
	if (rp->dev_up && !rp->booting) {
		int r = hipc_rpmsg_poll(&rp->dev, 0);

		if (r < 0)
			crash(rp, "remote broke the rpmsg protocol");
		else
			delivered += r;
	}
	timers(rp);
	ops_step(rp, hipc_now_ns());
	rearm(rp);
	return delivered;
}

bool hipc_rproc_prepare_sleep(struct hipc_rproc *rp)
{
	/* Booting: rx waits for READY, which rings the doorbell. */
	return !rp->dev_up || rp->booting || hipc_rpmsg_prepare_sleep(&rp->dev);
}

static bool may_sleep(void *arg)
{
	return hipc_rproc_prepare_sleep(arg);
}

/* Sleep on the remote's fd (doorbell, exit, a due timer) at most @ms. */
static void sleep_fd(struct hipc_rproc *rp, unsigned ms)
{
	wait_readable(rp->epfd, hipc_now_ns() + (uint64_t)ms * MS);
}

int hipc_rproc_run(struct hipc_rproc *rp, unsigned timeout_ms)
{
	int n = hipc_rproc_process(rp);

	if (n != 0 || timeout_ms == 0)
		return n;
	if (rp->link && rp->cfg.mode != HIPC_LINK_IRQ) {
		/* The spinning modes wait through the link (the peer skips
		 * doorbells while we spin); short sleeps keep exits and
		 * timers, which the link does not see, within a few ms. */
		uint64_t now = hipc_now_ns();
		uint64_t until = now + (uint64_t)timeout_ms * MS;

		if (until > now + 5 * MS)
			until = now + 5 * MS;
		hipc_link_wait(rp->link, until, may_sleep, rp);
	} else if (hipc_rproc_prepare_sleep(rp)) {
		sleep_fd(rp, timeout_ms);
	}
	return hipc_rproc_process(rp);
}

/* --- start, stop, attach, detach ------------------------------------------ */

/* The blocking calls: the operation begun, then the loop run until it is
 * over.  Every deadline is a timer on the remote's fd. */
static int wait_op(struct hipc_rproc *rp, char *err, size_t errlen)
{
	while (rp->op != HIPC_RPROC_OP_NONE) {
		/* Spinning modes may skip the doorbell for READY. */
		sleep_fd(rp, rp->cfg.mode == HIPC_LINK_IRQ ? 100 : 1);
		hipc_rproc_process(rp);
	}
	if (rp->op_ret < 0)
		errf(err, errlen, "%s", rp->op_err);
	return rp->op_ret;
}

/* Why a start or attach cannot begin now, or 0. */
static int busy(struct hipc_rproc *rp, char *err, size_t errlen)
{
	static const char *const what[] = {
		[HIPC_RPROC_OP_START] = "a start", [HIPC_RPROC_OP_ATTACH] = "an attach",
		[HIPC_RPROC_OP_STOP] = "a stop", [HIPC_RPROC_OP_DETACH] = "a detach",
	};

	if (rp->op != HIPC_RPROC_OP_NONE) {
		errf(err, errlen, "%s: busy: %s is under way", rp->name,
		     what[rp->op]);
		return -HIPC_EBUSY;
	}
	if (rp->state == HIPC_RPROC_RUNNING || rp->state == HIPC_RPROC_ATTACHED ||
	    rp->booting || rp->attach_phase != AT_NONE) {
		/* (booting or attaching here: an automatic restart) */
		errf(err, errlen, "%s: already %s (pid %d)", rp->name,
		     rp->booting ? "booting"
		     : rp->attach_phase != AT_NONE
			     ? "attaching"
			     : hipc_rproc_state_name(rp->state),
		     (int)rp->pid);
		return -HIPC_EBUSY;
	}
	return 0;
}

int hipc_rproc_begin_start(struct hipc_rproc *rp, char *err, size_t errlen)
{
	int ret = busy(rp, err, errlen);

	if (ret)
		return ret;
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	rp->auto_restart = false;
	rp->op = HIPC_RPROC_OP_START;
	ret = boot(rp, err, errlen);
	if (ret) {
		rp->op = HIPC_RPROC_OP_NONE;
		if (rp->state == HIPC_RPROC_CRASHED)
			set_state(rp, HIPC_RPROC_OFFLINE);
	}
	rearm(rp);
	return ret;
}

int hipc_rproc_begin_attach(struct hipc_rproc *rp, const char *name,
			    char *err, size_t errlen)
{
	int ret = busy(rp, err, errlen);

	if (ret)
		return ret;
	if (name)
		snprintf(rp->attach_name, sizeof(rp->attach_name), "%s", name);
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	rp->auto_restart = false;
	ret = attach_begin(rp, err, errlen);
	if (ret == 0)
		rp->op = HIPC_RPROC_OP_ATTACH;
	rearm(rp);
	return ret;
}

int hipc_rproc_begin_detach(struct hipc_rproc *rp, char *err, size_t errlen)
{
	if (rp->op != HIPC_RPROC_OP_NONE)
		return busy(rp, err, errlen);
	if (rp->state == HIPC_RPROC_DETACHED)
		return 1;
	if (rp->state != HIPC_RPROC_ATTACHED || !rp->link) {
		errf(err, errlen, "%s: not attached (%s)%s", rp->name,
		     hipc_rproc_state_name(rp->state),
		     rp->state == HIPC_RPROC_RUNNING
			     ? ": a remote we booted is stopped, not detached"
			     : "");
		return -HIPC_ENOTSUP;
	}
	/* Our endpoints go first (clients told), then the remote lets go
	 * of the rings; it keeps its region, trace and state. */
	if (rp->dev_up) {
		hipc_rpmsg_dev_deinit(&rp->dev);
		rp->dev_up = false;
	}
	rp->op = HIPC_RPROC_OP_DETACH;
	rp->phase_gen = new_generation(rp);
	rp->phase_deadline = hipc_now_ns() + 1000 * MS;
	rp->letting_go = true;
	rearm(rp);
	return 0;
}

int hipc_rproc_begin_stop(struct hipc_rproc *rp, unsigned timeout_ms)
{
	if (rp->op == HIPC_RPROC_OP_STOP || rp->op == HIPC_RPROC_OP_DETACH)
		return -HIPC_EBUSY;
	if (bringing_up(rp)) {
		/* A stop wins over a start or attach still under way. */
		char msg[128];

		errf(msg, sizeof(msg), "%s: stopped before it came up",
		     rp->name);
		finish_op(rp, -HIPC_ESHUTDOWN, msg);
	}
	if (rp->attach_phase == AT_HELLO) {
		/* Not attached to anything yet: just hang up. */
		release(rp);
	}
	rp->attach_phase = AT_NONE;
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	rp->auto_restart = false;
	if (rp->state == HIPC_RPROC_DETACHED) {
		/* Not ours any more: nothing to stop from here. */
		set_state(rp, HIPC_RPROC_OFFLINE);
		return 1;
	}
	if (rp->pid <= 0 || process_exited(rp)) {
		finish_stop(rp, false);
		return 1;
	}
	rp->op = HIPC_RPROC_OP_STOP;
	rp->stopping = true;
	if (rp->link)
		hipc_link_send(rp->link, HIPC_MBOX_SHUTDOWN);
	rp->phase_deadline = hipc_now_ns() + (uint64_t)timeout_ms * MS;
	rearm(rp);
	return 0;
}

enum hipc_rproc_op hipc_rproc_pending(const struct hipc_rproc *rp)
{
	return rp->op;
}

int hipc_rproc_start(struct hipc_rproc *rp, char *err, size_t errlen)
{
	int ret = hipc_rproc_begin_start(rp, err, errlen);

	return ret ? ret : wait_op(rp, err, errlen);
}

int hipc_rproc_attach(struct hipc_rproc *rp, const char *name, char *err,
		      size_t errlen)
{
	int ret = hipc_rproc_begin_attach(rp, name, err, errlen);

	return ret ? ret : wait_op(rp, err, errlen);
}

int hipc_rproc_detach(struct hipc_rproc *rp)
{
	int ret = hipc_rproc_begin_detach(rp, NULL, 0);

	if (ret == 1)
		return 0;
	return ret ? ret : wait_op(rp, NULL, 0);
}

int hipc_rproc_stop(struct hipc_rproc *rp, unsigned timeout_ms)
{
	int ret = hipc_rproc_begin_stop(rp, timeout_ms);

	if (ret == -HIPC_EBUSY) {
		/* A stop or detach under way: let it finish, then stop. */
		wait_op(rp, NULL, 0);
		ret = hipc_rproc_begin_stop(rp, timeout_ms);
	}
	if (ret == 1)
		return 0;
	return ret ? ret : wait_op(rp, NULL, 0);
}

void hipc_rproc_free(struct hipc_rproc *rp)
{
	if (!rp)
		return;
	/* Nobody is listening for what is under way any more. */
	rp->cfg.on_done = NULL;
	if (rp->state == HIPC_RPROC_ATTACHED && rp->op == HIPC_RPROC_OP_NONE)
		hipc_rproc_detach(rp);
	else
		hipc_rproc_stop(rp, 1000);
	close_fd(&rp->epfd);
	close_fd(&rp->timerfd);
	free(rp->last_trace);
	free(rp->name);
	free(rp->firmware);
	free(rp);
}

/* --- queries ---------------------------------------------------------------- */

long hipc_rproc_trace_read(struct hipc_rproc *rp, uint64_t *pos, char *buf,
			   size_t len)
{
	const uint8_t *t;
	uint32_t cap, head, avail;
	size_t n;

	if (rp->shm.base && rp->lay.trace_off &&
	    rp->v.trace_len > HIPC_TRACE_HDR) {
		t = rp->shm.base + rp->lay.trace_off;
		cap = rp->v.trace_len - HIPC_TRACE_HDR;
	} else if (rp->shm.base) {
		return -HIPC_ENOENT;
	} else if (rp->state == HIPC_RPROC_CRASHED && rp->last_trace) {
		/* Down after a crash: what it wrote before it died. */
		t = rp->last_trace;
		cap = rp->last_trace_len - HIPC_TRACE_HDR;
	} else {
		return -HIPC_ENOTCONN;
	}
	/* Text before the count that publishes it (remote's release). */
	head = __atomic_load_n((const uint32_t *)t, __ATOMIC_ACQUIRE);
	avail = head - (uint32_t)*pos;
	if (avail > cap) {
		/* Overwritten (or a count we cannot trust): the oldest the
		 * ring still holds. */
		*pos += (uint32_t)(avail - cap);
		avail = cap;
	}
	n = avail < len ? avail : len;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)t[HIPC_TRACE_HDR + (uint32_t)(*pos + i) % cap];
	*pos += n;
	return (long)n;
}

void hipc_rproc_get_info(const struct hipc_rproc *rp,
			 struct hipc_rproc_info *info)
{
	*info = rp->info;
	info->state = rp->state;
	info->pid = rp->pid;
}

struct hipc_rpmsg_dev *hipc_rproc_rpmsg(struct hipc_rproc *rp)
{
	return rp->dev_up ? &rp->dev : NULL;
}

struct hipc_link *hipc_rproc_link(struct hipc_rproc *rp)
{
	return rp->link;
}

int hipc_rproc_fd(const struct hipc_rproc *rp)
{
	return rp->epfd;
}

enum hipc_rproc_state hipc_rproc_state(const struct hipc_rproc *rp)
{
	return rp->state;
}

const char *hipc_rproc_state_name(enum hipc_rproc_state s)
{
	switch (s) {
	case HIPC_RPROC_OFFLINE:
		return "offline";
	case HIPC_RPROC_RUNNING:
		return "running";
	case HIPC_RPROC_ATTACHED:
		return "attached";
	case HIPC_RPROC_DETACHED:
		return "detached";
	case HIPC_RPROC_CRASHED:
		return "crashed";
	}
	return "unknown";
}

pid_t hipc_rproc_pid(const struct hipc_rproc *rp)
{
	return rp->pid;
}

const char *hipc_rproc_name(const struct hipc_rproc *rp)
{
	return rp->name;
}

/* --- static vrings ---------------------------------------------------------- */

int hipc_p2p_new(struct hipc_p2p **out, const char *name, unsigned num,
		 unsigned buf_size)
{
	struct hipc__p2p_layout l;
	struct hipc_sim_ctrl *c;
	struct hipc_shm shm;
	struct hipc_p2p *p;

	if (!out || hipc__p2p_plan(num, buf_size, &l))
		return -HIPC_EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -HIPC_ENOMEM;
	p->num = num;
	p->buf_size = buf_size;
	p->lay = l;
	p->gen = 1;
	snprintf(p->name, sizeof(p->name), "%s", name ? name : "p2p");
	pthread_mutex_init(&p->lock, NULL);
	p->efd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->efd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->wake[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	p->wake[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (p->efd[0] < 0 || p->efd[1] < 0 || p->wake[0] < 0 ||
	    p->wake[1] < 0 ||
	    hipc_shm_create(&shm, name ? name : "hipc-p2p", l.size))
		goto fail;
	/* The host writes the geometry once and never maps it again: the
	 * two remotes are alone on it from then on. */
	c = (struct hipc_sim_ctrl *)shm.base;
	c->magic = HIPC_SIM_MAGIC;
	c->version = HIPC_SIM_VERSION;
	c->size = l.size;
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "p2p");
	*hipc__ctrl_word(c, HIPC__CTRL_P2P_NUM) = num;
	*hipc__ctrl_word(c, HIPC__CTRL_P2P_BUFSZ) = buf_size;
	*hipc__ctrl_word(c, HIPC__CTRL_P2P_GEN) = p->gen;
	munmap(shm.base, shm.size);
	p->memfd = shm.fd;
	*out = p;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (p->efd[i] >= 0)
			close(p->efd[i]);
		if (p->wake[i] >= 0)
			close(p->wake[i]);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
	return -HIPC_ENOMEM;
}

void hipc_p2p_free(struct hipc_p2p *p)
{
	if (!p)
		return;
	close(p->memfd);
	close(p->efd[0]);
	close(p->efd[1]);
	close(p->wake[0]);
	close(p->wake[1]);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
