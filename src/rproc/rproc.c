/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host side of a simulated remote processor: layout, spawn, bring-up,
 * orderly stop.  See include/hipc/rproc.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/fwimage.h"
#include "hipc/mbox.h"
#include "hipc/rproc.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#include "port/linux/sim_internal.h"

#define PAGE 4096u
#define DEFAULT_BUCKETS 256u
#define DEFAULT_BOOT_MS 10000u
#define HOST_FEATURES ((1u << HIPC_RPMSG_F_NS) | (1u << HIPC_VIRTIO_F_EVENT_IDX))

struct hipc_rproc {
	struct hipc_rproc_config cfg;
	char *name;
	char *firmware;
	enum hipc_rproc_state state;

	struct hipc_shm shm;
	struct hipc_sim_ctrl *ctrl;
	struct hipc_link *link;
	struct hipc_region region;
	struct hipc_memmap map;
	pid_t pid;

	struct hipc_rpmsg_dev dev;
	bool dev_up;
	void *storage;
	struct hipc_rpmsg_ept **buckets;
	bool ready_seen;
	bool shutdown_acked;
};

static size_t page_up(size_t v)
{
	return (v + PAGE - 1u) & ~(size_t)(PAGE - 1u);
}

static void set_err(char *err, size_t len, const char *fmt, const char *a,
		    const char *b)
{
	if (err && len)
		snprintf(err, len, fmt, a, b);
}

int hipc_rproc_new(struct hipc_rproc **out, const struct hipc_rproc_config *cfg)
{
	struct hipc_rproc *rp;

	if (!out || !cfg || !cfg->firmware)
		return -HIPC_EINVAL;
	rp = calloc(1, sizeof(*rp));
	if (!rp)
		return -HIPC_ENOMEM;
	rp->cfg = *cfg;
	rp->name = strdup(cfg->name ? cfg->name : "remoteproc");
	rp->firmware = strdup(cfg->firmware);
	if (!rp->name || !rp->firmware) {
		free(rp->name);
		free(rp->firmware);
		free(rp);
		return -HIPC_ENOMEM;
	}
	rp->cfg.name = rp->name;
	rp->cfg.firmware = rp->firmware;
	if (!rp->cfg.nbuckets)
		rp->cfg.nbuckets = DEFAULT_BUCKETS;
	if (!rp->cfg.boot_timeout_ms)
		rp->cfg.boot_timeout_ms = DEFAULT_BOOT_MS;
	rp->pid = -1;
	rp->shm.fd = -1;
	*out = rp;
	return 0;
}

/* Where everything goes; offsets are also the device addresses. */
struct layout {
	size_t rsc_off, vring_off[2], bufs_off, trace_off, size;
};

static int plan_layout(const struct hipc_sim_vdev *v, size_t rsc_size,
		       struct layout *l)
{
	size_t vsz = hipc_vring_size(v->num, v->align);
	size_t off = PAGE;

	if (!vsz)
		return -HIPC_EBADMSG;
	l->rsc_off = off;
	off += page_up(rsc_size);
	for (unsigned i = 0; i < 2; i++) {
		l->vring_off[i] = off;
		off += page_up(vsz);
	}
	l->bufs_off = off;
	off += page_up((size_t)2 * v->num * v->buf_size);
	l->trace_off = 0;
	if (v->trace_off >= 0 && v->trace_len) {
		l->trace_off = off;
		off += page_up(v->trace_len);
	}
	l->size = off;
	/* Device addresses are 32-bit in the resource table. */
	return off > UINT32_MAX ? -HIPC_ERANGE : 0;
}

static int spawn(struct hipc_rproc *rp, int efd_in, int efd_out)
{
	char modebuf[32], spinbuf[32];
	const char *mode = rp->cfg.mode == HIPC_LINK_POLL       ? "poll"
			   : rp->cfg.mode == HIPC_LINK_ADAPTIVE ? "adaptive"
								: "irq";
	char *argv[64];
	char *envp[8];
	pid_t parent = getpid();
	unsigned n = 0;
	pid_t pid;

	argv[n++] = rp->firmware;
	for (unsigned i = 0; rp->cfg.fw_args && rp->cfg.fw_args[i] && n < 63; i++)
		argv[n++] = rp->cfg.fw_args[i];
	argv[n] = NULL;
	snprintf(modebuf, sizeof(modebuf), "HIPC_LINK_MODE=%s", mode);
	snprintf(spinbuf, sizeof(spinbuf), "HIPC_SPIN_US=%u", rp->cfg.spin_us);
	envp[0] = "HIPC_SHM_FD=3";
	envp[1] = "HIPC_EFD_IN=4";
	envp[2] = "HIPC_EFD_OUT=5";
	envp[3] = modebuf;
	envp[4] = spinbuf;
	n = 5;
	if (getenv("PATH")) {
		static char pathbuf[4096];

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
		/* Move the three fds out of the way first (a source may
		 * already sit on 3..5), then into place; dup2 onto a new
		 * number clears close-on-exec, and F_SETFD makes sure. */
		int src[3] = { rp->shm.fd, efd_in, efd_out };

		for (int i = 0; i < 3; i++) {
			src[i] = fcntl(src[i], F_DUPFD, 16);
			if (src[i] < 0)
				_exit(127);
		}
		for (int i = 0; i < 3; i++) {
			if (dup2(src[i], 3 + i) < 0 ||
			    fcntl(3 + i, F_SETFD, 0) < 0)
				_exit(127);
		}
		syscall(SYS_close_range, 6u, ~0u, 0u);
		execve(rp->firmware, argv, envp);
		_exit(127);
	}
	rp->pid = pid;
	return 0;
}

static void on_ctrl(void *arg, uint32_t msg)
{
	struct hipc_rproc *rp = arg;

	if (msg == HIPC_MBOX_READY)
		rp->ready_seen = true;
	else if (msg == HIPC_MBOX_SHUTDOWN_ACK)
		rp->shutdown_acked = true;
	if (rp->cfg.on_ctrl)
		rp->cfg.on_ctrl(rp, msg, rp->cfg.ctrl_priv);
}

static void release(struct hipc_rproc *rp)
{
	if (rp->dev_up) {
		hipc_rpmsg_dev_deinit(&rp->dev);
		rp->dev_up = false;
	}
	hipc_link_free(rp->link);
	rp->link = NULL;
	hipc_shm_close(&rp->shm);
	rp->ctrl = NULL;
	free(rp->storage);
	rp->storage = NULL;
	free(rp->buckets);
	rp->buckets = NULL;
}

static bool child_exited(struct hipc_rproc *rp, int *status)
{
	pid_t r;

	if (rp->pid <= 0)
		return true;
	do
		r = waitpid(rp->pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == rp->pid || (r < 0 && errno == ECHILD)) {
		rp->pid = -1;
		return true;
	}
	return false;
}

int hipc_rproc_start(struct hipc_rproc *rp, char *err, size_t errlen)
{
	struct hipc_fwimage img;
	struct hipc_sim_vdev v;
	struct hipc_rpmsg_dev_config dc;
	struct layout l;
	char msg[256];
	uint8_t *tbl;
	int efd_to_remote = -1, efd_to_host = -1;
	uint64_t deadline;
	int ret, status;

	if (rp->state == HIPC_RPROC_RUNNING || rp->state == HIPC_RPROC_ATTACHED)
		return -HIPC_EBUSY;
	ret = hipc_fwimage_load(&img, rp->firmware, msg, sizeof(msg));
	if (ret) {
		set_err(err, errlen, "%s: %s", rp->firmware, msg);
		return ret;
	}
	ret = hipc__sim_vdev_read(hipc_fwimage_rsc(&img), img.rsc_size, &v);
	if (ret) {
		set_err(err, errlen, "%s: %s", rp->firmware,
			ret == -HIPC_ENOENT ? "resource table has no rpmsg vdev"
					    : "rpmsg vdev needs two vrings of "
					      "one size and a sane buffer size");
		goto free_img;
	}
	ret = plan_layout(&v, img.rsc_size, &l);
	if (ret) {
		set_err(err, errlen, "%s: %s", rp->firmware,
			"resource table asks for more memory than fits");
		goto free_img;
	}
	ret = hipc_shm_create(&rp->shm, rp->name, l.size);
	if (ret) {
		set_err(err, errlen, "%s: memfd: %s", rp->name, strerror(-ret));
		ret = -HIPC_ENOMEM;
		goto free_img;
	}

	/* Control page, then the shared copy of the table with everything
	 * the host decides written into it. */
	rp->ctrl = (struct hipc_sim_ctrl *)rp->shm.base;
	rp->ctrl->magic = HIPC_SIM_MAGIC;
	rp->ctrl->version = HIPC_SIM_VERSION;
	rp->ctrl->size = l.size;
	rp->ctrl->rsc_off = (uint32_t)l.rsc_off;
	rp->ctrl->rsc_size = (uint32_t)img.rsc_size;
	rp->ctrl->boot_count++;
	snprintf(rp->ctrl->name, sizeof(rp->ctrl->name), "%s", rp->name);
	hipc_shm_fifo_reset(&rp->ctrl->fifo[0]);
	hipc_shm_fifo_reset(&rp->ctrl->fifo[1]);
	tbl = rp->shm.base + l.rsc_off;
	memcpy(tbl, hipc_fwimage_rsc(&img), img.rsc_size);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *vr = tbl + v.vdev_off + VDEV_VRING(i);

		hipc__wr32(vr + VRING_DA, (uint32_t)l.vring_off[i]);
		hipc__wr32(vr + VRING_NOTIFYID, i);
		v.vring_da[i] = (uint32_t)l.vring_off[i];
		v.notifyid[i] = i;
	}
	hipc__wr32(tbl + v.vdev_off + 8, 2); /* the vdev's own notifyid */
	if (l.trace_off)
		hipc__wr32(tbl + v.trace_off + TRACE_DA, (uint32_t)l.trace_off);
	v.gfeatures = v.dfeatures & HOST_FEATURES;
	hipc__wr32(tbl + v.vdev_off + VDEV_GFEATURES, v.gfeatures);
	tbl[v.vdev_off + VDEV_STATUS] =
		HIPC_VIRTIO_STATUS_ACKNOWLEDGE | HIPC_VIRTIO_STATUS_DRIVER;

	efd_to_remote = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd_to_host = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd_to_remote < 0 || efd_to_host < 0) {
		ret = -HIPC_ENOMEM;
		set_err(err, errlen, "%s: eventfd: %s", rp->name, strerror(errno));
		goto close_efd;
	}

	/* The driver role: rings initialised, every rx buffer posted. */
	rp->region.da = 0;
	rp->region.va = rp->shm.base;
	rp->region.size = rp->shm.size;
	rp->map.regions = &rp->region;
	rp->map.count = 1;
	rp->storage = aligned_alloc(8, page_up(HIPC_RPMSG_STORAGE_SIZE(
					       HIPC_RPMSG_DRIVER, v.num)));
	rp->buckets = calloc(rp->cfg.nbuckets, sizeof(*rp->buckets));
	if (!rp->storage || !rp->buckets) {
		ret = -HIPC_ENOMEM;
		set_err(err, errlen, "%s: %s", rp->name, "out of memory");
		goto close_efd;
	}
	ret = spawn(rp, efd_to_remote, efd_to_host);
	if (ret) {
		set_err(err, errlen, "%s: fork: %s", rp->name, strerror(-ret));
		goto close_efd;
	}
	rp->link = hipc_link_new(rp->ctrl, HIPC_SIDE_HOST, efd_to_host,
				 efd_to_remote, rp->cfg.mode, rp->cfg.spin_us);
	if (!rp->link) {
		ret = -HIPC_ENOMEM;
		goto kill_child;
	}
	efd_to_host = efd_to_remote = -1; /* owned by the link now */

	memset(&dc, 0, sizeof(dc));
	dc.role = HIPC_RPMSG_DRIVER;
	dc.vring_mem[0] = rp->shm.base + l.vring_off[0];
	dc.vring_mem[1] = rp->shm.base + l.vring_off[1];
	dc.notifyid[0] = 0;
	dc.notifyid[1] = 1;
	dc.num = v.num;
	dc.align = v.align;
	dc.features = v.gfeatures;
	dc.buf_size = v.buf_size;
	dc.bufs = rp->shm.base + l.bufs_off;
	dc.map = &rp->map;
	dc.storage = rp->storage;
	dc.storage_size = HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER, v.num);
	dc.buckets = rp->buckets;
	dc.nbuckets = rp->cfg.nbuckets;
	dc.port = hipc_link_port(rp->link);
	dc.ns_cb = rp->cfg.ns_cb;
	dc.ns_priv = rp->cfg.ns_priv;
	ret = hipc_rpmsg_dev_init(&rp->dev, &dc);
	if (ret) {
		set_err(err, errlen, "%s: rpmsg: %s", rp->name,
			hipc_strerror(ret));
		goto kill_child;
	}
	rp->dev_up = true;
	/* DRIVER_OK only now: every rx buffer is posted.  Release: the rings
	 * and the table's other fields are visible before the status. */
	__atomic_store_n(&tbl[v.vdev_off + VDEV_STATUS],
			 (uint8_t)(HIPC_VIRTIO_STATUS_ACKNOWLEDGE |
				   HIPC_VIRTIO_STATUS_DRIVER |
				   HIPC_VIRTIO_STATUS_FEATURES_OK |
				   HIPC_VIRTIO_STATUS_DRIVER_OK),
			 __ATOMIC_RELEASE);
	ret = hipc_rpmsg_dev_start(&rp->dev);
	if (ret)
		goto kill_child;
	hipc_fwimage_release(&img);

	rp->ready_seen = false;
	rp->shutdown_acked = false;
	deadline = hipc_now_ns() + (uint64_t)rp->cfg.boot_timeout_ms * 1000000u;
	while (!rp->ready_seen) {
		if (child_exited(rp, &status)) {
			set_err(err, errlen, "%s: firmware exited during boot "
				"(%s)", rp->name,
				WIFSIGNALED(status) ? "killed by a signal"
						    : "exit status non-zero");
			ret = -HIPC_ECONNRESET;
			goto stop_dev;
		}
		if (hipc_link_wait(rp->link, deadline, NULL, NULL) ==
			    -HIPC_ETIMEDOUT &&
		    hipc_now_ns() >= deadline) {
			set_err(err, errlen, "%s: %s", rp->name,
				"firmware did not report READY in time");
			ret = -HIPC_ETIMEDOUT;
			goto stop_dev;
		}
		hipc_rproc_process(rp);
	}
	rp->state = HIPC_RPROC_RUNNING;
	return 0;

stop_dev:
	rp->state = HIPC_RPROC_RUNNING; /* so stop does the whole job */
	hipc_rproc_stop(rp, 100);
	return ret;
kill_child:
	if (rp->pid > 0) {
		kill(rp->pid, SIGKILL);
		waitpid(rp->pid, &status, 0);
		rp->pid = -1;
	}
close_efd:
	if (efd_to_remote >= 0)
		close(efd_to_remote);
	if (efd_to_host >= 0)
		close(efd_to_host);
	release(rp);
free_img:
	hipc_fwimage_release(&img);
	return ret;
}

int hipc_rproc_stop(struct hipc_rproc *rp, unsigned timeout_ms)
{
	uint64_t deadline;
	int status, killed = 0;

	if (rp->state == HIPC_RPROC_OFFLINE)
		return 0;
	if (rp->link && rp->pid > 0)
		hipc_link_send(rp->link, HIPC_MBOX_SHUTDOWN);
	deadline = hipc_now_ns() + (uint64_t)timeout_ms * 1000000u;
	while (rp->pid > 0 && !child_exited(rp, &status)) {
		if (hipc_now_ns() >= deadline) {
			kill(rp->pid, SIGKILL);
			waitpid(rp->pid, &status, 0);
			rp->pid = -1;
			killed = 1;
			break;
		}
		/* Keep the rings moving so a remote flushing its last
		 * messages is not stuck behind us. */
		if (rp->link) {
			hipc_link_wait(rp->link, hipc_now_ns() + 2000000u, NULL,
				       NULL);
			hipc_rproc_process(rp);
		}
	}
	release(rp);
	rp->state = HIPC_RPROC_OFFLINE;
	return killed;
}

void hipc_rproc_free(struct hipc_rproc *rp)
{
	if (!rp)
		return;
	hipc_rproc_stop(rp, 1000);
	free(rp->name);
	free(rp->firmware);
	free(rp);
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
	return rp->link ? hipc_link_fd(rp->link) : -1;
}

int hipc_rproc_process(struct hipc_rproc *rp)
{
	int ret;

	if (!rp->link)
		return -HIPC_ENOTCONN;
	ret = hipc_link_drain(rp->link, on_ctrl, rp);
	if (ret < 0)
		return ret;
	if (!rp->dev_up)
		return 0;
	return hipc_rpmsg_poll(&rp->dev, 0);
}

static bool may_sleep(void *arg)
{
	struct hipc_rproc *rp = arg;

	return !rp->dev_up || hipc_rpmsg_prepare_sleep(&rp->dev);
}

int hipc_rproc_run(struct hipc_rproc *rp, unsigned timeout_ms)
{
	int n = hipc_rproc_process(rp);

	if (n != 0 || timeout_ms == 0 || !rp->link)
		return n;
	hipc_link_wait(rp->link, hipc_now_ns() + (uint64_t)timeout_ms * 1000000u,
		       may_sleep, rp);
	return hipc_rproc_process(rp);
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
