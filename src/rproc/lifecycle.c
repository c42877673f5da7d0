/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host side of a simulated remote processor: layout, spawn, bring-up,
 * crash detection and recovery, orderly stop, the loop and the public
 * calls.  See hipc/rproc.h; attaching is in attach.c, the static-vring
 * pair region in pairs.c.
 *
 * Every remote has one epoll fd of its own (the one hipc_rproc_fd()
 * returns) holding its doorbell eventfd, a pidfd of its process and a
 * timerfd.  A daemon nests these in its own loop, so a process exit is seen
 * the moment the kernel reaps it, and every deadline (watchdog, restart
 * backoff, boot) wakes the loop without it knowing about them.
 */
#include <errno.h>
#include <limits.h>
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

#include "port_linux_internal.h"
#include "rproc_internal.h"

void hipc__rp_errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int hipc__rp_ep_add(struct hipc_rproc *rp, int fd, uint32_t tag)
{
	/* The doorbell edge-triggered: its eventfd is never read, a wake-up
	 * costs the wait alone (hipc__link_drain_edge()). */
	struct epoll_event ev = {
		.events = EPOLLIN | (tag == EV_LINK ? EPOLLET : 0u),
		.data.u32 = tag,
	};

	return epoll_ctl(rp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0
		       ? hipc__from_errno(errno)
		       : 0;
}

void hipc__rp_ep_del(struct hipc_rproc *rp, int fd)
{
	if (fd >= 0)
		epoll_ctl(rp->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int hipc_rproc_new(struct hipc_rproc **out, const struct hipc_rproc_config *cfg)
{
	struct hipc_rproc *rp;
	int ret = -HIPC_ENOMEM;

	if (!out || !cfg || (!cfg->firmware && !cfg->name))
		return -HIPC_EINVAL;
	rp = hipc__fault_alloc() ? NULL : calloc(1, sizeof(*rp));
	if (!rp)
		return -HIPC_ENOMEM;
	rp->cfg = *cfg;
	rp->epfd = rp->timerfd = rp->pidfd = rp->conn = -1;
	rp->pid = -1;
	rp->shm.fd = -1;
	rp->pshm.fd = -1;
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
	if (rp->epfd < 0) {
		ret = hipc__from_errno(errno);
		goto fail;
	}
	rp->timerfd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	if (rp->timerfd < 0) {
		ret = hipc__from_errno(errno);
		goto fail;
	}
	ret = hipc__rp_ep_add(rp, rp->timerfd, EV_TIMER);
	if (ret)
		goto fail;
	if (rp->cfg.p2p) {
		rp->p2p_side = rp->cfg.p2p_driver ? 0 : 1;
		ret = hipc__rp_ep_add(rp, rp->cfg.p2p->wake[rp->p2p_side],
				      EV_P2P);
		if (ret)
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
	return ret;
}

void hipc__rp_set_state(struct hipc_rproc *rp, enum hipc_rproc_state s)
{
	if (rp->state == s)
		return;
	rp->state = s;
	if (rp->cfg.on_state)
		rp->cfg.on_state(rp, s, rp->cfg.state_priv);
}

/* Local side down: endpoints told, our mapping and doorbells gone. */
void hipc__rp_release(struct hipc_rproc *rp)
{
	if (rp->dev_up) {
		/* Unbind callbacks run here: this is how every client
		 * learns that the remote is gone. */
		hipc_rpmsg_dev_deinit(&rp->dev);
		rp->dev_up = false;
	}
	if (rp->link) {
		hipc__rp_ep_del(rp, hipc_link_fd(rp->link));
		hipc_link_free(rp->link);
		rp->link = NULL;
	}
	hipc_shm_close(&rp->shm);
	hipc__rp_ep_del(rp, rp->conn);
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
	rp->recheck_at = 0; /* no link left to look at */
	rp->info.region_size = 0;
}

/* @pid is a child of ours not reaped yet (running or a zombie): not one
 * the application reaped already (SIGCHLD ignored, or its own handler),
 * whose number may belong to another process by now. */
static bool still_our_child(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* The process is gone or must go: reap what is ours, drop the pidfd. */
void hipc__rp_end_process(struct hipc_rproc *rp, bool kill_it)
{
	int status;

	/* Through the pidfd: an attached remote is not our child, and its
	 * pid could have been reused by the time a plain kill() lands. */
	if (rp->pid > 0 && kill_it &&
	    (rp->pidfd < 0 ||
	     syscall(SYS_pidfd_send_signal, rp->pidfd, SIGKILL, NULL, 0) < 0) &&
	    rp->is_child && still_our_child(rp->pid))
		kill(rp->pid, SIGKILL);
	if (rp->pid > 0 && rp->is_child) {
		pid_t r;

		do
			r = waitpid(rp->pid, &status, 0);
		while (r < 0 && errno == EINTR);
	}
	hipc__rp_ep_del(rp, rp->pidfd);
	close_fd(&rp->pidfd);
	/* Only now: the process can no longer write the pair region, its
	 * buffers or its spinlocks. */
	hipc__rp_p2p_lost(rp);
	if (rp->is_child)
		hipc__rp_pools_reclaim(rp);
	rp->pid = -1;
	rp->info.pid = -1;
	rp->is_child = false;
}

bool hipc__rp_process_exited(struct hipc_rproc *rp)
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
	hipc__rp_end_process(rp, true);
	save_trace(rp);
	rp->state = HIPC_RPROC_CRASHED;
	/* Clears booting too: a boot that dies is a crash like any other. */
	hipc__rp_release(rp);
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

/*
 * What the child of a spawn needs, prepared by the caller: fork_exec()
 * runs it, from the spawner thread.
 */
struct fork_req {
	const char *path;
	char **argv, **envp;
	int *src, nfd;
	pid_t parent;
	sigset_t mask; /* the caller's signal mask: the child's */
	pid_t pid;   /* out: the child, or -errno */
	bool done;
};

static void fork_exec(struct fork_req *q)
{
	pid_t pid = fork();

	if (pid < 0) {
		q->pid = -errno;
		return;
	}
	if (pid == 0) {
		/* Child: only async-signal-safe calls until exec.  The
		 * death signal comes when the thread that forked us ends:
		 * the spawner, which lives as long as the process. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != q->parent)
			_exit(127);
		/* The spawner blocks every signal; the firmware gets the
		 * mask of the thread that asked, as if it had forked. */
		sigprocmask(SIG_SETMASK, &q->mask, NULL);
		/* Move the fds out of the way first (a source may already
		 * sit on 3..8), then into place; dup2 onto a new number
		 * clears close-on-exec, and F_SETFD makes sure.  Everything
		 * else is closed: a remote reaches its own region only. */
		for (int i = 0; i < q->nfd; i++) {
			q->src[i] = fcntl(q->src[i], F_DUPFD, 16);
			if (q->src[i] < 0)
				_exit(127);
		}
		for (int i = 0; i < q->nfd; i++) {
			if (dup2(q->src[i], 3 + i) < 0 ||
			    fcntl(3 + i, F_SETFD, 0) < 0)
				_exit(127);
		}
		syscall(SYS_close_range, (unsigned)(3 + q->nfd), ~0u, 0u);
		execve(q->path, q->argv, q->envp);
		_exit(127);
	}
	q->pid = pid;
}

/*
 * PR_SET_PDEATHSIG fires when the thread that forked the child ends, not
 * the process: a remote started or restarted from a worker thread would be
 * killed when that thread returns.  So every firmware is forked by one
 * thread of the library's own, started with the first spawn and living as
 * long as the process (signals blocked: the application's handlers run
 * elsewhere).  Without it (no thread could be made) the caller forks.
 */
static pthread_mutex_t spawner_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t spawner_cond = PTHREAD_COND_INITIALIZER;
static struct fork_req *spawner_req;
static pid_t spawner_pid; /* the process the spawner thread is in */
static bool spawner_up;

static void *spawner(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&spawner_lock);
	for (;;) {
		struct fork_req *q;

		while (!spawner_req)
			pthread_cond_wait(&spawner_cond, &spawner_lock);
		q = spawner_req;
		spawner_req = NULL;
		pthread_mutex_unlock(&spawner_lock);
		fork_exec(q);
		pthread_mutex_lock(&spawner_lock);
		q->done = true;
		pthread_cond_broadcast(&spawner_cond);
	}
	return NULL;
}

/* A process forked from this one has no spawner thread (only the forking
 * thread goes along): it starts its own, with the lock as new. */
static void spawner_forked(void)
{
	spawner_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	spawner_cond = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
	spawner_req = NULL;
	spawner_pid = 0;
	spawner_up = false;
}

/* Under spawner_lock. */
static void spawner_start(void)
{
	static bool atfork;
	sigset_t all, old;
	pthread_attr_t a;
	pthread_t t;

	if (!atfork)
		atfork = pthread_atfork(NULL, NULL, spawner_forked) == 0;
	spawner_pid = getpid();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	spawner_up = pthread_create(&t, &a, spawner, NULL) == 0;
	pthread_attr_destroy(&a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The child of @q forked by the spawner thread (or by us without one). */
static void spawn_child(struct fork_req *q)
{
	pthread_mutex_lock(&spawner_lock);
	if (spawner_pid != getpid())
		spawner_start();
	if (!spawner_up) {
		pthread_mutex_unlock(&spawner_lock);
		fork_exec(q);
		return;
	}
	/* One request at a time: another caller's is served first. */
	while (spawner_req)
		pthread_cond_wait(&spawner_cond, &spawner_lock);
	q->done = false;
	spawner_req = q;
	pthread_cond_broadcast(&spawner_cond);
	while (!q->done)
		pthread_cond_wait(&spawner_cond, &spawner_lock);
	pthread_mutex_unlock(&spawner_lock);
}

static int spawn(struct hipc_rproc *rp, int efd_in, int efd_out)
{
	char modebuf[32], spinbuf[32], poolbuf[32], pathbuf[4096];
	char recheckbuf[48], faultbuf[512], tracebuf[32];
	const char *mode = rp->cfg.mode == HIPC_LINK_POLL       ? "poll"
			   : rp->cfg.mode == HIPC_LINK_ADAPTIVE ? "adaptive"
								: "irq";
	struct hipc_p2p *p2p = rp->cfg.p2p;
	unsigned side = rp->cfg.p2p_driver ? HIPC_SIDE_HOST : HIPC_SIDE_REMOTE;
	int src[7] = { rp->shm.fd, efd_in, efd_out, -1, -1, -1, -1 };
	int nfd = 3;
	char *argv[64];
	char *envp[16];
	pid_t parent = getpid();
	struct fork_req q;
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
	if (rp->pshm.base) {
		/* The pools' region: the same memfd for every boot. */
		src[nfd] = rp->pshm.fd;
		snprintf(poolbuf, sizeof(poolbuf), "HIPC_POOL_FD=%d", 3 + nfd);
		nfd++;
		envp[n++] = poolbuf;
	}
	if (getenv("PATH")) {
		snprintf(pathbuf, sizeof(pathbuf), "PATH=%s", getenv("PATH"));
		envp[n++] = pathbuf;
	}
	/* Debugging aids the firmware's runtime reads (docs/faults.md): the
	 * recheck interval as ours, faults of its own if asked for. */
	if (getenv("HIPC_RECHECK_MS")) {
		snprintf(recheckbuf, sizeof(recheckbuf), "HIPC_RECHECK_MS=%s",
			 getenv("HIPC_RECHECK_MS"));
		envp[n++] = recheckbuf;
	}
	/* Where its traces go besides the ring (docs/rproc.md). */
	if (getenv("HIPC_TRACE_STDERR")) {
		snprintf(tracebuf, sizeof(tracebuf), "HIPC_TRACE_STDERR=%.8s",
			 getenv("HIPC_TRACE_STDERR"));
		envp[n++] = tracebuf;
	}
	if (getenv("HIPC_FAULTS_REMOTE")) {
		/* Each boot its own draws, the same for the same history. */
		static unsigned spawned;

		snprintf(faultbuf, sizeof(faultbuf), "HIPC_FAULTS=%s,boot=%u",
			 getenv("HIPC_FAULTS_REMOTE"), spawned++);
		envp[n++] = faultbuf;
	}
	envp[n] = NULL;

	q = (struct fork_req){ .path = rp->firmware, .argv = argv,
			       .envp = envp, .src = src, .nfd = nfd,
			       .parent = parent };
	pthread_sigmask(SIG_SETMASK, NULL, &q.mask);
	spawn_child(&q);
	if (q.pid < 0)
		return hipc__from_errno((int)-q.pid);
	pid = q.pid;
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
int hipc__rp_driver_up(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct hipc_rpmsg_dev_config dc;
	size_t ssize = HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER, rp->v.num);
	int ret;

	hipc__sim_map(&rp->shm, &rp->region, &rp->map);
	rp->storage = aligned_alloc(8, (ssize + 7u) & ~(size_t)7u);
	rp->buckets = calloc(rp->cfg.nbuckets, sizeof(*rp->buckets));
	if (!rp->storage || !rp->buckets || hipc__fault_alloc()) {
		hipc__rp_errf(err, errlen, "%s: %s", rp->name, "out of memory");
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
	dc.crc32c = hipc_crc32c_fast;
	dc.buf_size = rp->v.buf_size;
	dc.bufs = rp->shm.base + rp->lay.bufs_off;
	dc.map = &rp->map;
	dc.storage = rp->storage;
	dc.storage_size = ssize;
	dc.buckets = rp->buckets;
	dc.nbuckets = rp->cfg.nbuckets;
	dc.mem = &hipc_linux_mem; /* the table grows past nbuckets */
	dc.port = hipc_link_port(rp->link);
	dc.ns_cb = rp->cfg.ns_cb;
	dc.ns_priv = rp->cfg.ns_priv;
	ret = hipc_rpmsg_dev_init(&rp->dev, &dc);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: rpmsg: %s", rp->name,
			      hipc_strerror(ret));
		return ret;
	}
	rp->dev_up = true;
	/* DRIVER_OK only now: every rx buffer is posted.  Release: the rings
	 * and the table's other fields are visible before the status. */
	__atomic_store_n(hipc__vdev_status(rp->tbl, &rp->v),
			 (uint8_t)(HIPC_VIRTIO_STATUS_ACKNOWLEDGE |
				   HIPC_VIRTIO_STATUS_DRIVER |
				   HIPC_VIRTIO_STATUS_FEATURES_OK |
				   HIPC_VIRTIO_STATUS_DRIVER_OK),
			 __ATOMIC_RELEASE);
	ret = hipc_rpmsg_dev_start(&rp->dev);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: rpmsg start: %s", rp->name,
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

/*
 * The firmware's image read, its table checked and laid out in a fresh
 * region (a fresh memfd every boot: nothing a dead remote could still have
 * mapped is ever reused).
 */
static int lay_out(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct hipc_fwimage img;
	char msg[256];
	int ret;

	if (!rp->firmware) {
		hipc__rp_errf(err, errlen, "%s: %s", rp->name,
			      "no firmware to boot");
		return -HIPC_ENOENT;
	}
	if (hipc__rp_p2p_busy(rp)) {
		hipc__rp_errf(err, errlen, "%s: %s", rp->name,
			      "the peer has not let go of the static-vring link yet");
		return -HIPC_EAGAIN;
	}
	ret = hipc_fwimage_load(&img, rp->firmware, msg, sizeof(msg));
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: %s", rp->firmware, msg);
		return ret;
	}
	ret = hipc__sim_vdev_read(hipc_fwimage_rsc(&img), img.rsc_size, &rp->v);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: %s", rp->firmware, ret ==
			      -HIPC_ENOENT ? "resource table has no rpmsg vdev"
			      : "rpmsg vdev needs two vrings of "
			      "one size and a sane buffer size");
		goto free_img;
	}
	ret = hipc__layout_plan(hipc_fwimage_rsc(&img), img.rsc_size, &rp->v,
				&rp->lay);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: %s", rp->firmware,
			      "resource table cannot be laid out (fixed-address "
			      "carveout, or more memory than fits)");
		goto free_img;
	}
	ret = hipc__rp_pools_setup(rp, hipc_fwimage_rsc(&img), img.rsc_size,
				   err, errlen);
	if (ret)
		goto free_img;
	ret = hipc_shm_create(&rp->shm, rp->name, rp->lay.size);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: memfd: %s", rp->name,
			      hipc_strerror(ret));
		goto free_img;
	}
	rp->ctrl = (struct hipc_sim_ctrl *)rp->shm.base;
	rp->tbl = rp->shm.base + rp->lay.rsc_off;
	rp->v.gfeatures = rp->v.dfeatures & HIPC__HOST_FEATURES;
	hipc__layout_apply(rp->shm.base, &rp->lay, hipc_fwimage_rsc(&img),
			   img.rsc_size, &rp->v, rp->name, rp->v.gfeatures);
	rp->ctrl->boot_count = rp->info.crashes + 1;
	/* A fresh remote acknowledges generation 1 the first time it looks. */
	rp->ctrl->host_gen = 1;
	ret = 0;
free_img:
	hipc_fwimage_release(&img);
	return ret;
}

/* Everything of a boot that does not wait: the remote then reports READY
 * through the loop.  On failure everything is undone. */
static int boot(struct hipc_rproc *rp, char *err, size_t errlen)
{
	int efd_to_remote = -1, efd_to_host = -1;
	int ret;

	ret = lay_out(rp, err, errlen);
	if (ret)
		return ret;
	efd_to_remote = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd_to_host = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd_to_remote < 0 || efd_to_host < 0) {
		ret = hipc__from_errno(errno);
		hipc__rp_errf(err, errlen, "%s: eventfd: %s", rp->name,
			      hipc_strerror(ret));
		goto close_efd;
	}
	ret = hipc_link_new(&rp->link, &rp->ctrl->mbox, HIPC_SIDE_HOST,
			    efd_to_host, efd_to_remote, rp->cfg.mode,
			    rp->cfg.spin_us);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: link: %s", rp->name,
			      hipc_strerror(ret));
		goto close_efd;
	}
	/* The link owns them now; the child gets its own copies. */
	ret = hipc__rp_ep_add(rp, efd_to_host, EV_LINK);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: epoll: %s", rp->name,
			      hipc_strerror(ret));
		goto undo;
	}
	ret = hipc__rp_p2p_claim(rp);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: %s", rp->name,
			      "the peer has not let go of the static-vring link yet");
		goto undo;
	}
	ret = spawn(rp, efd_to_remote, efd_to_host);
	efd_to_host = efd_to_remote = -1;
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: fork: %s", rp->name,
			      hipc_strerror(ret));
		hipc__rp_p2p_lost(rp);
		goto undo;
	}
	rp->info.pid = rp->pid;
	/* Exit notification without SIGCHLD: the pidfd turns readable when
	 * the process dies, in the same epoll as the doorbell. */
	rp->pidfd = (int)syscall(SYS_pidfd_open, rp->pid, 0);
	ret = rp->pidfd < 0 ? hipc__from_errno(errno)
			    : hipc__rp_ep_add(rp, rp->pidfd, EV_PID);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: pidfd: %s", rp->name,
			      hipc_strerror(ret));
		goto kill_child;
	}
	ret = hipc__rp_driver_up(rp, err, errlen);
	if (ret)
		goto kill_child;
	rp->attach_mode = false;
	return 0;

kill_child:
	hipc__rp_end_process(rp, true);
undo:
	hipc__rp_release(rp);
	return ret;
close_efd:
	if (efd_to_remote >= 0)
		close(efd_to_remote);
	if (efd_to_host >= 0)
		close(efd_to_host);
	hipc__rp_release(rp);
	return ret;
}

static bool bringing_up(const struct hipc_rproc *rp)
{
	return rp->op == HIPC_RPROC_OP_START || rp->op == HIPC_RPROC_OP_ATTACH;
}

/* The operation under way is over: @ret as the blocking call returns it. */
void hipc__rp_finish_op(struct hipc_rproc *rp, int ret, const char *msg)
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
void hipc__rp_restart_failed(struct hipc_rproc *rp, int ret)
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

/* Stop, last step: the process is gone (or is killed now). */
static void finish_stop(struct hipc_rproc *rp, bool kill_it)
{
	rp->stopping = false;
	hipc__rp_end_process(rp, kill_it);
	hipc__rp_release(rp);
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	rp->info.killed = kill_it;
	hipc__rp_set_state(rp, HIPC_RPROC_OFFLINE);
	hipc__rp_finish_op(rp, 0, NULL);
}

static void ops_step(struct hipc_rproc *rp, uint64_t now)
{
	if (rp->attach_phase != AT_NONE)
		hipc__rp_attach_step(rp, now);
	if (rp->letting_go) {
		if (hipc__rp_gen_acked(rp, rp->phase_gen) || hipc__rp_process_exited(rp))
			hipc__rp_finish_detach(rp, 0);
		else if (now >= rp->phase_deadline)
			hipc__rp_finish_detach(rp, -HIPC_ETIMEDOUT);
	}
	if (rp->stopping) {
		if (rp->pid <= 0 || hipc__rp_process_exited(rp))
			finish_stop(rp, false);
		else if (now >= rp->phase_deadline)
			finish_stop(rp, true);
	}
	/* A start or attach ends when the remote is up, or when its boot
	 * failed (crashed before READY). */
	if (bringing_up(rp) && rp->attach_phase == AT_NONE && !rp->booting) {
		if (rp->state == HIPC_RPROC_RUNNING ||
		    rp->state == HIPC_RPROC_ATTACHED) {
			hipc__rp_finish_op(rp, 0, NULL);
		} else if (rp->state == HIPC_RPROC_CRASHED) {
			char msg[256];
			int ret = strstr(rp->info.crash_reason, "READY")
					  ? -HIPC_ETIMEDOUT
					  : -HIPC_ECONNRESET;

			hipc__rp_errf(msg, sizeof(msg),
				      "%s: firmware failed to boot: " "%s",
				      rp->name, rp->info.crash_reason);
			rp->restart_at = 0;
			rp->info.next_restart_ns = 0;
			hipc__rp_set_state(rp, HIPC_RPROC_OFFLINE);
			hipc__rp_finish_op(rp, ret, msg);
		}
	}
}

void hipc__rp_rearm(struct hipc_rproc *rp)
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
	if (rp->recheck_at && rp->recheck_at < next)
		next = rp->recheck_at;
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
	hipc__rp_set_state(rp, rp->attach_mode ? HIPC_RPROC_ATTACHED
				      : HIPC_RPROC_RUNNING);
	hipc__rp_p2p_came_up(rp);
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
		ret = rp->attach_mode ? hipc__rp_attach_begin(rp, NULL, 0)
				      : boot(rp, NULL, 0);
		if (ret)
			hipc__rp_restart_failed(rp, ret);
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

/*
 * Whether to look at the fds (exit, timer, peer link) on this pass.  A
 * spinning loop passes here after every message, and a look is a system
 * call; every 100 us is soon enough for an exit or a timer (a timer's
 * work is done by time in timers() anyway, the fd only wakes a sleeper).
 * An operation in progress looks every time; so does an interrupt-only
 * link's hipc_rproc_process() (@lazy false), which a daemon calls when
 * our fd is readable: what made it readable has to be taken, or its loop
 * would see it again at once.  hipc_rproc_run() passes @lazy: it sleeps
 * in the same epoll set whenever it finds nothing, and that sleep takes
 * every event (a ping-pong then costs one system call per wake-up, not
 * three).
 */
#define EVENTS_EVERY_NS 100000u

static bool events_due(struct hipc_rproc *rp, bool lazy)
{
	uint64_t now;

	if (!rp->link || (rp->cfg.mode == HIPC_LINK_IRQ && !lazy) ||
	    rp->op != HIPC_RPROC_OP_NONE || rp->attach_phase != AT_NONE ||
	    rp->booting)
		return true;
	now = hipc_now_ns();
	if (now < rp->events_due)
		return false;
	rp->events_due = now + EVENTS_EVERY_NS;
	return true;
}

/* One pass of the loop with the events @ev[@n] already taken from the
 * epoll set (a negative @n: none). */
static int process_events(struct hipc_rproc *rp, const struct epoll_event *ev,
			  int n)
{
	bool exited = false, recheck, other = false;
	enum hipc_rproc_state state0 = rp->state;
	int delivered = 0, rang = 0;
	uint64_t now;

	for (int i = 0; i < n; i++) {
		if (ev[i].data.u32 == EV_LINK) {
			/* Edge-triggered: nothing to clear.  The rings are
			 * looked at on every pass anyway. */
		} else if (ev[i].data.u32 == EV_TIMER) {
			uint64_t x;

			/* Expired: a one-shot timer is disarmed now.  EAGAIN
			 * (nothing to clear) changes nothing. */
			if (read(rp->timerfd, &x, sizeof(x)) == sizeof(x))
				rp->armed = UINT64_MAX;
		} else if (ev[i].data.u32 == EV_PID) {
			exited = true;
			other = true;
		} else if (ev[i].data.u32 == EV_P2P) {
			uint64_t x;

			/* Only the wake-up: the state is read under the
			 * pair's lock in hipc__rp_p2p_work(). */
			if (read(rp->cfg.p2p->wake[rp->p2p_side], &x,
				 sizeof(x)) < 0)
				x = 0;
			other = true;
		} else {
			other = true;
		}
		/* EV_CONN: the hello is read in hipc__rp_attach_step() */
	}
	/* An exit is expected while stopping, and while letting go of an
	 * attached remote (it is not ours to keep alive then). */
	if (exited && !rp->stopping && !rp->letting_go &&
	    rp->attach_phase == AT_NONE && rp->pidfd >= 0) {
		char why[64];

		/* A remote that reported its crash and then exited: its own
		 * word, still in the mailbox, is the better reason. */
		if (rp->link)
			hipc_link_drain(rp->link, on_ctrl, rp);
		exit_reason(rp, why, sizeof(why));
		crash(rp, rp->crash_msg ? "remote reported a crash" : why);
		rp->crash_msg = false;
	}
	/* The recheck timer is due: this pass looks at the rings whether or
	 * not a doorbell came (one lost on the way stalls us no longer). */
	now = hipc_now_ns();
	recheck = rp->recheck_at && now >= rp->recheck_at;
	/* The link's eventfd is in our epoll set edge-triggered, and the
	 * link's own waits watch it so too: it is never read. */
	if (rp->link) {
		rang = hipc__link_drain_edge(rp->link, on_ctrl, rp);
		if (rang == -HIPC_EIO)
			crash(rp, "mailbox corrupted");
	}
	if (rp->crash_msg) {
		rp->crash_msg = false;
		crash(rp, "remote reported a crash");
	}
	if (rp->booting && rp->ready_seen)
		came_up(rp, hipc_now_ns());
	hipc__rp_p2p_work(rp);
	/* Nothing is delivered before READY: announcements reach ns_cb
	 * with the remote already marked running. */
	/* Busy: every sleep of this loop's (hipc_rproc_run(), and a caller
	 * of hipc_rproc_fd()) comes after hipc_rproc_prepare_sleep(), which
	 * asks for the doorbell; until then the remote need not ring. */
	if (rp->dev_up && !rp->booting) {
		int r = hipc_rpmsg_poll_busy(&rp->dev, 0);

		if (r < 0)
			crash(rp, "remote broke the rpmsg protocol");
		else
			delivered += r;
		if (recheck && r > 0 && rang == 0)
			rp->info.recoveries++;
	}
	if (recheck)
		rp->info.rechecks++;
	rp->idle_recheck = recheck && !other && rang == 0 && delivered == 0 &&
			   rp->state == state0;
	timers(rp);
	ops_step(rp, hipc_now_ns());
	/* One timer syscall per interval at most, however busy the loop. */
	if (!rp->link || !rp->dev_up || !hipc_link_recheck_ms(rp->link))
		rp->recheck_at = 0;
	else if (recheck || !rp->recheck_at)
		rp->recheck_at = now + (uint64_t)hipc_link_recheck_ms(rp->link) * MS;
	hipc__rp_rearm(rp);
	return delivered;
}

/* Whether the remote is in a state a pass can do anything for. */
static bool connected(const struct hipc_rproc *rp)
{
	return rp->link || rp->op != HIPC_RPROC_OP_NONE ||
	       rp->attach_phase != AT_NONE ||
	       (rp->state != HIPC_RPROC_OFFLINE &&
		rp->state != HIPC_RPROC_DETACHED);
}

/* A pass that takes the fds' events first if @lazy allows (events_due()). */
static int process(struct hipc_rproc *rp, bool lazy)
{
	struct epoll_event ev[5];
	int n = 0;

	if (!connected(rp))
		return -HIPC_ENOTCONN;
	if (events_due(rp, lazy)) {
		do
			n = epoll_wait(rp->epfd, ev, 5, 0);
		while (n < 0 && errno == EINTR);
	}
	return process_events(rp, ev, n);
}

int hipc_rproc_process(struct hipc_rproc *rp)
{
	return process(rp, false);
}

bool hipc_rproc_prepare_sleep(struct hipc_rproc *rp)
{
	/* Booting: rx waits for READY, which rings the doorbell. */
	return !rp->dev_up || rp->booting || hipc_rpmsg_prepare_sleep(&rp->dev);
}

bool hipc_rproc_prepare_sleep_tx(struct hipc_rproc *rp)
{
	return !rp->dev_up || rp->booting || hipc_rpmsg_prepare_sleep_tx(&rp->dev);
}

/* A control message another thread's wait (a sender's, for tx buffers)
 * took from the FIFO: its doorbell is spent, and only a pass hands it
 * over. */
static bool ctrl_waiting(const struct hipc_rproc *rp)
{
	return rp->link && hipc__link_ctrl_waiting(rp->link);
}

static bool may_sleep(void *arg)
{
	return !ctrl_waiting(arg) && hipc_rproc_prepare_sleep(arg);
}

/* What the spinning wait looks at instead of doorbells: the rings, and
 * control messages held for a pass. */
static bool has_work(void *arg)
{
	struct hipc_rproc *rp = arg;

	return ctrl_waiting(rp) ||
	       (rp->dev_up && !rp->booting && hipc_rpmsg_pending(&rp->dev));
}

/* Sleep on the remote's fd (doorbell, exit, a due timer) at most @ms. */
static void sleep_fd(struct hipc_rproc *rp, unsigned ms)
{
	hipc__rp_wait_readable(rp->epfd, hipc_now_ns() + (uint64_t)ms * MS);
}

int hipc_rproc_run(struct hipc_rproc *rp, unsigned timeout_ms)
{
	int n = process(rp, true);

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
		hipc_link_wait_busy(rp->link, until, may_sleep, has_work, rp);
	} else {
		uint64_t until = hipc_now_ns() + (uint64_t)timeout_ms * MS;
		struct epoll_event ev[5];

		/* The sleep takes the events itself: the pass after it
		 * looks at the fds no more.  A recheck that found nothing
		 * is no event for our caller: sleep on, so the wait ends
		 * on an event or at @timeout_ms. */
		while (hipc_rproc_prepare_sleep(rp)) {
			int nev = hipc__epoll_until(rp->epfd, ev, 5, until,
						    NULL);

			rp->events_due = hipc_now_ns() + EVENTS_EVERY_NS;
			n = connected(rp) ? process_events(rp, ev, nev)
					  : -HIPC_ENOTCONN;
			if (n != 0 || !rp->idle_recheck || hipc_now_ns() >= until)
				return n;
		}
	}
	return process(rp, true);
}

/* The blocking calls: the operation begun, then the loop run until it is
 * over.  Every deadline is a timer on the remote's fd. */
static int wait_op(struct hipc_rproc *rp, char *err, size_t errlen)
{
	while (rp->op != HIPC_RPROC_OP_NONE) {
		/* Spinning modes may skip the doorbell for READY. */
		if (hipc_rproc_prepare_sleep(rp))
			sleep_fd(rp, rp->cfg.mode == HIPC_LINK_IRQ ? 100 : 1);
		hipc_rproc_process(rp);
	}
	if (rp->op_ret < 0)
		hipc__rp_errf(err, errlen, "%s", rp->op_err);
	return rp->op_ret;
}

/* Why a start or attach cannot begin now, or 0. */
int hipc__rp_busy(struct hipc_rproc *rp, char *err, size_t errlen)
{
	static const char *const what[] = {
		[HIPC_RPROC_OP_START] = "a start", [HIPC_RPROC_OP_ATTACH] = "an attach",
		[HIPC_RPROC_OP_STOP] = "a stop", [HIPC_RPROC_OP_DETACH] = "a detach",
	};

	if (rp->op != HIPC_RPROC_OP_NONE) {
		hipc__rp_errf(err, errlen, "%s: busy: %s is under way",
			      rp->name, what[rp->op]);
		return -HIPC_EBUSY;
	}
	if (rp->state == HIPC_RPROC_RUNNING || rp->state == HIPC_RPROC_ATTACHED ||
	    rp->booting || rp->attach_phase != AT_NONE) {
		/* (booting or attaching here: an automatic restart) */
		hipc__rp_errf(err, errlen, "%s: already %s (pid %d)", rp->name,
			      rp->booting ? "booting" : rp->attach_phase !=
			      AT_NONE ? "attaching" :
			      hipc_rproc_state_name(rp->state), (int)rp->pid);
		return -HIPC_EBUSY;
	}
	return 0;
}

int hipc_rproc_begin_start(struct hipc_rproc *rp, char *err, size_t errlen)
{
	int ret = hipc__rp_busy(rp, err, errlen);

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
			hipc__rp_set_state(rp, HIPC_RPROC_OFFLINE);
	}
	hipc__rp_rearm(rp);
	return ret;
}

int hipc_rproc_begin_stop(struct hipc_rproc *rp, unsigned timeout_ms)
{
	if (rp->op == HIPC_RPROC_OP_STOP || rp->op == HIPC_RPROC_OP_DETACH)
		return -HIPC_EBUSY;
	if (bringing_up(rp)) {
		/* A stop wins over a start or attach still under way. */
		char msg[128];

		hipc__rp_errf(msg, sizeof(msg), "%s: stopped before it came up",
			      rp->name);
		hipc__rp_finish_op(rp, -HIPC_ESHUTDOWN, msg);
	}
	if (rp->attach_phase == AT_HELLO) {
		/* Not attached to anything yet: just hang up. */
		hipc__rp_release(rp);
	}
	rp->attach_phase = AT_NONE;
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	rp->auto_restart = false;
	if (rp->state == HIPC_RPROC_DETACHED &&
	    !(rp->pid > 0 && rp->is_child)) {
		/* Not ours any more: nothing to stop from here.  A re-attach
		 * under way (the state stays "detached" until it is up) hangs
		 * up: its session, region and pidfd are let go of.  A start
		 * from here has a child of ours, stopped below. */
		hipc__rp_release(rp);
		hipc__rp_end_process(rp, false);
		hipc__rp_set_state(rp, HIPC_RPROC_OFFLINE);
		hipc__rp_rearm(rp);
		return 0; /* nothing pending: no on_done */
	}
	if (rp->pid <= 0 || hipc__rp_process_exited(rp)) {
		finish_stop(rp, false);
		/* A restart or attach deadline armed before must not fire
		 * into a stopped remote's loop. */
		hipc__rp_rearm(rp);
		return 0;
	}
	rp->op = HIPC_RPROC_OP_STOP;
	rp->stopping = true;
	if (rp->link)
		hipc_link_send(rp->link, HIPC_MBOX_SHUTDOWN);
	rp->phase_deadline = hipc_now_ns() + (uint64_t)timeout_ms * MS;
	hipc__rp_rearm(rp);
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

	if (ret || rp->op == HIPC_RPROC_OP_NONE)
		return ret;
	return wait_op(rp, NULL, 0);
}

int hipc_rproc_stop(struct hipc_rproc *rp, unsigned timeout_ms)
{
	int ret = hipc_rproc_begin_stop(rp, timeout_ms);

	if (ret == -HIPC_EBUSY) {
		/* A stop or detach under way: let it finish, then stop. */
		wait_op(rp, NULL, 0);
		ret = hipc_rproc_begin_stop(rp, timeout_ms);
	}
	if (ret || rp->op == HIPC_RPROC_OP_NONE)
		return ret;
	return wait_op(rp, NULL, 0);
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
	hipc__rp_pools_free(rp);
	free(rp->last_trace);
	free(rp->name);
	free(rp->firmware);
	free(rp);
}

int hipc_rproc_trace_read(struct hipc_rproc *rp, uint64_t *pos, char *buf,
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
	/* The count is returned as an int: a bigger buffer just reads less,
	 * as read() may (the ring holds at most 4 GiB anyway). */
	if (len > INT_MAX)
		len = INT_MAX;
	n = avail < len ? avail : len;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)t[HIPC_TRACE_HDR + (uint32_t)(*pos + i) % cap];
	*pos += n;
	return (int)n;
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
