/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attaching to a remote that runs on its own (a standalone firmware
 * published as NAME.sock in the run directory) and detaching from it: the
 * hello and the region's fds over the socket, the received region checked
 * before use, then a new ring generation the remote must acknowledge.
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

#include "rproc_internal.h"

/* Sleep until @fd is readable or @deadline (CLOCK_MONOTONIC ns) passes;
 * a signal does not restart the whole wait. */
void hipc__rp_wait_readable(int fd, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (hipc_now_ns() < deadline)
		(void)hipc__poll_until(&p, 1, deadline, NULL);
}

/*
 * The remote's hello and its three fds (region, doorbell to us, doorbell to
 * it), from a peer we do not trust: any fd that came is closed on refusal.
 * @retval 0, -HIPC_EAGAIN (nothing yet), -HIPC_EBUSY (turned away: it has a
 *         host already), -HIPC_ECONNRESET (closed without a word),
 *         -HIPC_EBADMSG (not a hello we speak)
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
	int ret = -HIPC_EBADMSG;
	size_t k = 0;
	ssize_t r;

	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -HIPC_EAGAIN;
	if (r < 0) {
		hipc__rp_errf(err, errlen, "%s: attach: %s", rp->name,
			      strerror(errno));
		return -HIPC_ECONNRESET;
	}
	/* Whatever fds came are ours to close from here on, even with an
	 * empty message. */
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
	if (r == 0) {
		hipc__rp_errf(err, errlen,
			      "%s: the remote closed the connection without "
			      "a hello (it exited, or is not a hipc remote)",
			      rp->name);
		ret = -HIPC_ECONNRESET;
		goto refuse;
	}
	if (r == sizeof(hello) && hello[0] == HIPC__ATTACH_MAGIC &&
	    hello[1] == HIPC__ATTACH_BUSY) {
		hipc__rp_errf(err, errlen, "%s: attached to another host",
			      rp->name);
		ret = -HIPC_EBUSY;
		goto refuse;
	}
	if (r != sizeof(hello) || hello[0] != HIPC__ATTACH_MAGIC) {
		hipc__rp_errf(err, errlen,
			      "%s: not an attach hello (%zd bytes, magic "
			      "0x%08x, expected 0x%08x)", rp->name, r,
			      r >= 4 ? hello[0] : 0u, HIPC__ATTACH_MAGIC);
		goto refuse;
	}
	if (hello[1] != HIPC__ATTACH_VERSION) {
		hipc__rp_errf(err, errlen,
			      "%s: the remote speaks attach protocol "
			      "version %u, this host speaks %u", rp->name,
			      hello[1], HIPC__ATTACH_VERSION);
		goto refuse;
	}
	if (k != 3 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		hipc__rp_errf(err, errlen,
			      "%s: the attach hello carried %zu fds, "
			      "expected 3", rp->name, k);
		goto refuse;
	}
	memcpy(fds, got, sizeof(got));
	return 0;
refuse:
	for (size_t i = 0; i < 3; i++)
		if (got[i] >= 0)
			close(got[i]);
	return ret;
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
		hipc__rp_errf(err, errlen,
			      "%s: the received region is not sealed "
			      "against shrinking (%s): the remote could cut it short "
			      "under us", rp->name, seals < 0 ? "not a memfd" :
			      "F_SEAL_SHRINK missing");
		goto refuse;
	}
	if (fstat(fd, &st) < 0) {
		hipc__rp_errf(err, errlen, "%s: received region: %s", rp->name,
			      strerror(errno));
		goto refuse;
	}
	if (st.st_size <= 0) {
		hipc__rp_errf(err, errlen, "%s: the received region is empty",
			      rp->name);
		goto refuse;
	}
	if ((size_t)st.st_size < HIPC_SIM_CTRL_SIZE) {
		hipc__rp_errf(err, errlen,
			      "%s: the received region (%lld bytes) is "
			      "smaller than a control page", rp->name, (long
			      long)st.st_size);
		goto refuse;
	}
	ret = hipc_shm_map(&rp->shm, fd);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: map: %s", rp->name,
			      hipc_strerror(ret));
		goto refuse;
	}
	c = (struct hipc_sim_ctrl *)rp->shm.base;
	if (c->magic != HIPC_SIM_MAGIC || c->version != HIPC_SIM_VERSION) {
		hipc__rp_errf(err, errlen,
			      "%s: not a hipc region (magic 0x%08x "
			      "version %u)", rp->name, c->magic, c->version);
		goto unmap;
	}
	if (c->size != (uint64_t)st.st_size) {
		hipc__rp_errf(err, errlen,
			      "%s: the received region is %lld bytes but "
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
bool hipc__rp_gen_acked(struct hipc_rproc *rp, uint32_t gen)
{
	return __atomic_load_n(&rp->ctrl->remote_gen,
			       __ATOMIC_ACQUIRE) == gen;
}

/* Tell the remote to drop the rings for a new generation; returns it. */
static uint32_t new_generation(struct hipc_rproc *rp)
{
	uint32_t *hg = &rp->ctrl->host_gen;
	uint32_t gen = __atomic_load_n(hg, __ATOMIC_RELAXED) + 1u;

	/* Status first: a remote that sees the new generation also sees
	 * DRIVER_OK withdrawn. */
	__atomic_store_n(hipc__vdev_status(rp->tbl, &rp->v), (uint8_t)0,
			 __ATOMIC_RELEASE);
	__atomic_store_n(hg, gen, __ATOMIC_RELEASE);
	hipc_link_send(rp->link, HIPC__MBOX_RESET);
	return gen;
}

/* An attach that got under way failed before the rings were ours. */
static void attach_failed(struct hipc_rproc *rp, int ret, const char *msg)
{
	rp->attach_phase = AT_NONE;
	hipc__rp_end_process(rp, false);
	hipc__rp_release(rp);
	if (rp->auto_restart)
		hipc__rp_restart_failed(rp, ret);
	hipc__rp_finish_op(rp, ret, msg);
}

/*
 * Attach, first step: connect to NAME.sock and learn from the kernel who is
 * there.  The hello with the fds comes when the remote's loop accepts us:
 * attach_hello(), through the loop.
 */
int hipc__rp_attach_begin(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char dir[200];
	int sock, ret;

	ret = hipc_sim_run_dir(dir, sizeof(dir), 0);
	if (ret) {
		/* -HIPC_ENOENT when it does not exist: nothing published */
		hipc__rp_errf(err, errlen, "%s: run directory %s: %s", rp->name,
			      dir, hipc_strerror(ret));
		return ret;
	}
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s.sock",
			     dir, rp->attach_name) >= sizeof(sa.sun_path)) {
		hipc__rp_errf(err, errlen,
			      "%s: socket path %s/%s.sock too long", rp->name,
			      dir, rp->attach_name);
		return -HIPC_EINVAL;
	}
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		      0);
	if (sock < 0) {
		ret = hipc__from_errno(errno);
		hipc__rp_errf(err, errlen, "%s: socket: %s", rp->name,
			      hipc_strerror(ret));
		return ret;
	}
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		hipc__rp_errf(err, errlen,
			      "%s: nothing to attach to at %s (%s); a "
			      "remote publishes itself there with --standalone %s",
			      rp->name, sa.sun_path, strerror(e),
			      rp->attach_name);
		close(sock);
		/* No socket, or the stale one of a remote that died: that
		 * remote is not running, which callers see as "no such
		 * remote".  A full backlog: another host is attaching. */
		if (e == ENOENT || e == ECONNREFUSED)
			return -HIPC_ENOENT;
		if (e == EAGAIN)
			return -HIPC_EBUSY;
		return hipc__from_errno(e);
	}
	/* Who is at the other end, from the kernel, not from the peer. */
	if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0 ||
	    cred.uid != getuid() || cred.pid <= 0) {
		hipc__rp_errf(err, errlen, "%s: %s: peer is not one of ours",
			      rp->name, sa.sun_path);
		close(sock);
		return -HIPC_EPERM;
	}
	ret = hipc__rp_ep_add(rp, sock, EV_CONN);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: epoll: %s", rp->name,
			      hipc_strerror(ret));
		close(sock);
		return ret;
	}
	rp->conn = sock; /* until we let go: we are its host */
	rp->conn_pid = cred.pid;
	rp->attach_phase = AT_HELLO;
	rp->phase_deadline =
		hipc_now_ns() + (uint64_t)rp->cfg.boot_timeout_ms * MS;
	return 0;
}

/*
 * The shared table as it stands, from a peer we do not trust: copied out,
 * validated, and its layout must be the one we would have made (the rings
 * and the trace where the planner puts them: both sides take the rings'
 * places from the table, so a table that says otherwise would have the two
 * sides use different rings).  Then our features are written into it.  A
 * refusal says which check it failed, after a fixed first part.
 */
static int check_table(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct hipc_rsc_error rerr;
	struct hipc__layout lay;
	uint8_t *copy = NULL;
	uint32_t off, len;
	char why[160];

	rp->ctrl = (struct hipc_sim_ctrl *)rp->shm.base;
	off = __atomic_load_n(&rp->ctrl->rsc_off, __ATOMIC_ACQUIRE);
	len = __atomic_load_n(&rp->ctrl->rsc_size, __ATOMIC_ACQUIRE);
	if (off < HIPC_SIM_CTRL_SIZE || len == 0 || len > 65536 ||
	    off > rp->shm.size || len > rp->shm.size - off) {
		snprintf(why, sizeof(why), "the table (%u bytes at 0x%x) runs "
			 "outside the region (%zu bytes) or into its control "
			 "page", len, off, rp->shm.size);
		goto bad_table;
	}
	copy = malloc(len);
	if (!copy) {
		hipc__rp_errf(err, errlen, "%s: out of memory", rp->name);
		return -HIPC_ENOMEM;
	}
	memcpy(copy, rp->shm.base + off, len);
	if (hipc_rsc_validate(copy, len, &rerr)) {
		snprintf(why, sizeof(why), "%s: %s",
			 rerr.field ? rerr.field : "?",
			 rerr.reason ? rerr.reason : "invalid");
		goto bad_table;
	}
	if (hipc__sim_vdev_read(copy, len, &rp->v) ||
	    hipc__layout_plan(copy, len, &rp->v, &lay)) {
		snprintf(why, sizeof(why), "no rpmsg vdev this host can lay "
			 "out");
		goto bad_table;
	}
	if (lay.rsc_off != off) {
		snprintf(why, sizeof(why), "the table is at 0x%x, this host "
			 "would place it at 0x%zx", off, lay.rsc_off);
		goto bad_table;
	}
	if (lay.size > rp->shm.size) {
		snprintf(why, sizeof(why), "the layout needs %zu bytes, the "
			 "region has %zu", lay.size, rp->shm.size);
		goto bad_table;
	}
	for (unsigned i = 0; i < 2; i++) {
		if (rp->v.vring_da[i] != lay.vring_off[i]) {
			snprintf(why, sizeof(why), "vring %u is at 0x%x, this "
				 "host would place it at 0x%zx", i,
				 rp->v.vring_da[i], lay.vring_off[i]);
			goto bad_table;
		}
	}
	if (lay.trace_off && rp->v.trace_da != lay.trace_off) {
		snprintf(why, sizeof(why), "the trace is at 0x%x, this host "
			 "would place it at 0x%zx", rp->v.trace_da,
			 lay.trace_off);
		goto bad_table;
	}
	free(copy);
	rp->lay = lay;
	rp->tbl = rp->shm.base + off;
	rp->v.gfeatures = rp->v.dfeatures & HIPC__HOST_FEATURES;
	hipc_put_le32(HIPC_FIELD(rp->tbl + rp->v.vdev_off, struct hipc_rsc_vdev,
				 gfeatures), rp->v.gfeatures);
	return 0;

bad_table:
	free(copy);
	hipc__rp_errf(err, errlen,
		      "%s: its resource table or layout is not acceptable: %s",
		      rp->name, why);
	return -HIPC_EBADMSG;
}

/*
 * Attach, second step: the hello arrived.  Region mapped and checked, the
 * table validated, then the remote is asked to let go of the rings.
 * @retval 0 (now waiting for the acknowledgement), -HIPC_EAGAIN (no hello
 *         yet), <0 failed (@err filled, nothing undone yet)
 */
static int attach_hello(struct hipc_rproc *rp, char *err, size_t errlen)
{
	int fds[3] = { -1, -1, -1 };
	int ret;

	ret = recv_region(rp, rp->conn, fds, err, errlen);
	if (ret)
		return ret;
	/* The connection stays open (the remote's "a host is attached"),
	 * but is not watched: a remote that dies is seen on its pidfd. */
	hipc__rp_ep_del(rp, rp->conn);
	ret = map_received(rp, fds[0], err, errlen);
	if (ret) {
		close(fds[1]);
		close(fds[2]);
		return ret;
	}
	ret = hipc_link_new(&rp->link,
			    &((struct hipc_sim_ctrl *)rp->shm.base)->mbox,
			    HIPC_SIDE_HOST, fds[1], fds[2], rp->cfg.mode,
			    rp->cfg.spin_us);
	if (ret) {
		close(fds[1]);
		close(fds[2]);
		hipc__rp_errf(err, errlen, "%s: link: %s", rp->name,
			      hipc_strerror(ret));
		return ret;
	}
	ret = hipc__rp_ep_add(rp, fds[1], EV_LINK);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: epoll: %s", rp->name,
			      hipc_strerror(ret));
		return ret;
	}
	rp->pid = rp->conn_pid;
	rp->info.pid = rp->pid;
	rp->is_child = false;
	rp->pidfd = (int)syscall(SYS_pidfd_open, rp->pid, 0);
	if (rp->pidfd < 0 || hipc__rp_ep_add(rp, rp->pidfd, EV_PID)) {
		hipc__rp_errf(err, errlen, "%s: remote pid %d is gone",
			      rp->name, (int)rp->pid);
		return -HIPC_ECONNRESET;
	}
	ret = check_table(rp, err, errlen);
	if (ret)
		return ret;
	rp->phase_gen = new_generation(rp);
	rp->attach_phase = AT_ACK;
	rp->phase_deadline =
		hipc_now_ns() + (uint64_t)rp->cfg.boot_timeout_ms * MS;
	return 0;
}

/* The attach steps due now (from the loop). */
void hipc__rp_attach_step(struct hipc_rproc *rp, uint64_t now)
{
	char msg[256] = "";
	int ret;

	if (rp->attach_phase == AT_HELLO) {
		ret = attach_hello(rp, msg, sizeof(msg));
		if (ret == -HIPC_EAGAIN && now >= rp->phase_deadline) {
			hipc__rp_errf(msg, sizeof(msg),
				      "%s: no hello from the remote "
				      "within %u ms", rp->name,
				      rp->cfg.boot_timeout_ms);
			ret = -HIPC_ETIMEDOUT;
		}
		if (ret && ret != -HIPC_EAGAIN)
			attach_failed(rp, ret, msg);
		if (ret)
			return;
	}
	if (rp->attach_phase != AT_ACK)
		return;
	if (hipc__rp_gen_acked(rp, rp->phase_gen)) {
		rp->attach_phase = AT_NONE;
		ret = hipc__rp_driver_up(rp, msg, sizeof(msg));
		if (ret) {
			attach_failed(rp, ret, msg);
			return;
		}
		rp->attach_mode = true;
	} else if (hipc__rp_process_exited(rp)) {
		hipc__rp_errf(msg, sizeof(msg),
			      "%s: the remote exited while letting "
			      "go of its rings", rp->name);
		attach_failed(rp, -HIPC_ECONNRESET, msg);
	} else if (now >= rp->phase_deadline) {
		hipc__rp_errf(msg, sizeof(msg),
			      "%s: remote did not let go of its "
			      "rings within %u ms", rp->name,
			      rp->cfg.boot_timeout_ms);
		attach_failed(rp, -HIPC_ETIMEDOUT, msg);
	}
}

/* Detach, last step: the remote let go (or did not in time). */
void hipc__rp_finish_detach(struct hipc_rproc *rp, int ret)
{
	rp->letting_go = false;
	hipc__rp_end_process(rp, false);
	hipc__rp_release(rp);
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	hipc__rp_set_state(rp, HIPC_RPROC_DETACHED);
	hipc__rp_finish_op(rp, ret, ret ? "the remote did not acknowledge; detached "
				 "anyway" : NULL);
}

int hipc_rproc_begin_attach(struct hipc_rproc *rp, const char *name,
			    char *err, size_t errlen)
{
	int ret = hipc__rp_busy(rp, err, errlen);

	if (ret)
		return ret;
	if (name)
		snprintf(rp->attach_name, sizeof(rp->attach_name), "%s", name);
	rp->restart_at = 0;
	rp->info.next_restart_ns = 0;
	rp->auto_restart = false;
	ret = hipc__rp_attach_begin(rp, err, errlen);
	if (ret == 0)
		rp->op = HIPC_RPROC_OP_ATTACH;
	hipc__rp_rearm(rp);
	return ret;
}

int hipc_rproc_begin_detach(struct hipc_rproc *rp, char *err, size_t errlen)
{
	if (rp->op != HIPC_RPROC_OP_NONE)
		return hipc__rp_busy(rp, err, errlen);
	if (rp->state == HIPC_RPROC_DETACHED)
		return 0; /* nothing pending: no on_done */
	if (rp->state != HIPC_RPROC_ATTACHED || !rp->link) {
		hipc__rp_errf(err, errlen, "%s: not attached (%s)%s", rp->name,
			      hipc_rproc_state_name(rp->state),
			      rp->state == HIPC_RPROC_RUNNING
				      ? ": a remote we booted is stopped, "
					"not detached"
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
	hipc__rp_rearm(rp);
	return 0;
}
