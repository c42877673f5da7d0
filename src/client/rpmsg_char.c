// SPDX-License-Identifier: BSD-3-Clause
/*
 * Endpoint devices from any process (hipc/rpmsg_char.h): hipcd's
 * RUN_DIR/REMOTE/rpmsg_ctrl in the simulation, /dev/rpmsg_ctrlN on a real
 * kernel.  The application gets one pollable fd either way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/rpmsg.h>

#include "hipc/error.h"
#include "hipc/rpmsg_char.h"
#include "hipc/sim.h"
#include "port_linux_internal.h"

#define BUS "/sys/bus/rpmsg/devices"
#define CLASS "/sys/class/rpmsg"

static struct {
	bool inited;
	bool kernel;
	char run_dir[200];
} g;

static int err_now(void)
{
	return hipc__from_errno(errno);
}

static bool have_daemon(const char *dir)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/hipcd.sock", dir);
	return stat(p, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool have_kernel(void)
{
	struct stat st;

	return stat(BUS, &st) == 0;
}

/* hipcd's default run directory.  Not ours when we use it as a member of
 * a remote's group: the daemon's permissions are what protect it. */
static bool default_run_dir(char *buf, size_t len)
{
	int ret = hipc_sim_run_dir(buf, len, 0);

	return ret == 0 || ret == -HIPC_EPERM;
}

int hipc_rpmsg_char_init(const char *where)
{
	if (g.inited)
		return -HIPC_EALREADY;
	if (where && !strcmp(where, "kernel")) {
		if (!have_kernel())
			return -HIPC_ENOENT;
		g.kernel = true;
	} else if (where) {
		if ((size_t)snprintf(g.run_dir, sizeof(g.run_dir), "%s",
				     where) >= sizeof(g.run_dir))
			return -HIPC_ENAMETOOLONG;
		if (!have_daemon(g.run_dir))
			return -HIPC_ENOENT;
		g.kernel = false;
	} else if (default_run_dir(g.run_dir, sizeof(g.run_dir)) &&
		   have_daemon(g.run_dir)) {
		g.kernel = false;
	} else if (have_kernel()) {
		g.kernel = true;
	} else {
		return -HIPC_ENOENT;
	}
	g.inited = true;
	return 0;
}

void hipc_rpmsg_char_exit(void)
{
	memset(&g, 0, sizeof(g));
}

/* --- the simulation: hipcd's control socket ---------------------------------- */

static int sock_connect(const char *path, int flags)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int type = SOCK_SEQPACKET | SOCK_CLOEXEC;
	int fd, ret;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path) >=
	    sizeof(sa.sun_path))
		return -HIPC_ENAMETOOLONG;
	if (flags & O_NONBLOCK)
		type |= SOCK_NONBLOCK;
	fd = socket(AF_UNIX, type, 0);
	if (fd < 0)
		return err_now();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		/* ECONNREFUSED: nobody listens, or (an endpoint) it has its
		 * client already */
		ret = errno == ENOENT ? -HIPC_ENOENT
				      : errno == ECONNREFUSED ? -HIPC_ECONNREFUSED
							      : err_now();
		close(fd);
		return ret;
	}
	return fd;
}

/* One request, its answer in @rsp.  Returns rsp->status or a transport
 * error. */
static int ctrl_call(int ctrl, const struct hipc_ctrl_req *req,
		     struct hipc_ctrl_rsp *rsp)
{
	ssize_t n;

	do
		n = send(ctrl, req, sizeof(*req), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*req))
		return n < 0 ? err_now() : -HIPC_EIO;
	do
		n = recv(ctrl, rsp, sizeof(*rsp), 0);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -HIPC_ECONNRESET;
	if (n != (ssize_t)sizeof(*rsp))
		return n < 0 ? err_now() : -HIPC_EPROTO;
	if (rsp->status > 0 || rsp->status < -4095)
		return -HIPC_EPROTO;
	return rsp->status ? hipc__from_errno(-rsp->status) : 0;
}

/*
 * A connection to the rpmsg_ctrl socket at @path, in *@ctrl, and its first
 * request.  The connection is held only for the requests of one open or
 * close: hipcd serves a few at a time per remote and closes one past its
 * limit as soon as it accepts it, before reading a byte, so a request
 * whose connection ended unanswered is tried again on a new one, for up
 * to a second.  A socket nobody serves is the remote's absence
 * (-HIPC_ENOENT).
 */
static int ctrl_begin(const char *path, int *ctrl,
		      const struct hipc_ctrl_req *req, struct hipc_ctrl_rsp *rsp)
{
	for (unsigned tries = 0;; tries++) {
		int fd = sock_connect(path, 0), ret;

		if (fd < 0)
			return fd == -HIPC_ECONNREFUSED ? -HIPC_ENOENT : fd;
		ret = ctrl_call(fd, req, rsp);
		if (ret == -HIPC_EPIPE)
			ret = -HIPC_ECONNRESET; /* turned away before the send */
		if (ret != -HIPC_ECONNRESET || tries == 100) {
			*ctrl = fd;
			return ret;
		}
		close(fd);
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
}

static void set_name(char dst[32], const char *name)
{
	memset(dst, 0, 32);
	if (name)
		snprintf(dst, 32, "%s", name);
}

static int sim_open(struct hipc_rpmsg_char_dev *d, const char *rproc,
		    const char *service, uint32_t local, uint32_t remote,
		    const char *ept_name, int flags)
{
	struct hipc_ctrl_req req;
	struct hipc_ctrl_rsp rsp;
	struct stat st;
	char path[256];
	int ret, fd;

	if (!rproc || !*rproc || strchr(rproc, '/'))
		return -HIPC_EINVAL;
	snprintf(path, sizeof(path), "%s/%s/rpmsg_ctrl", g.run_dir, rproc);
	memset(&req, 0, sizeof(req));
	if (remote == HIPC_CTRL_ADDR_ANY) {
		req.op = HIPC_CTRL_LOOKUP;
		set_name(req.name, service);
		ret = ctrl_begin(path, &d->ctrl, &req, &rsp);
		if (ret < 0)
			return ret;
		remote = rsp.dst;
	}
	req.op = HIPC_CTRL_CREATE;
	set_name(req.name, ept_name ? ept_name : service);
	req.src = local;
	req.dst = remote;
	ret = d->ctrl >= 0 ? ctrl_call(d->ctrl, &req, &rsp)
			   : ctrl_begin(path, &d->ctrl, &req, &rsp);
	if (ret < 0)
		return ret;
	d->index = rsp.index;
	d->local_addr = rsp.src;
	d->remote_addr = rsp.dst;
	d->max_payload = rsp.max_payload;
	if ((size_t)snprintf(d->path, sizeof(d->path), "%s/%s/rpmsg%u",
			     g.run_dir, rproc, (unsigned)rsp.index) >=
	    sizeof(d->path))
		fd = -HIPC_ENAMETOOLONG; /* no socket address that long */
	else
		fd = sock_connect(d->path, flags);
	if (fd == -HIPC_ECONNREFUSED) {
		/* Taken, or its last client only just left: hipcd frees
		 * endpoints whose client closed before it answers a request,
		 * so one round trip settles which. */
		memset(&req, 0, sizeof(req));
		req.op = HIPC_CTRL_LOOKUP;
		set_name(req.name, service);
		ctrl_call(d->ctrl, &req, &rsp);
		fd = sock_connect(d->path, flags);
		if (fd == -HIPC_ECONNREFUSED)
			fd = -HIPC_EBUSY; /* one client at a time */
	}
	if (fd < 0) {
		memset(&req, 0, sizeof(req));
		req.op = HIPC_CTRL_DESTROY;
		req.index = d->index;
		ctrl_call(d->ctrl, &req, &rsp);
		return fd;
	}
	d->fd = fd;
	/* Not held while the endpoint is open: hipc_rpmsg_char_close()
	 * connects again, to the same socket file (a daemon started since
	 * made a new one, and may have given our N to someone else). */
	if (stat(path, &st) == 0) {
		d->ctrl_dev = (uint64_t)st.st_dev;
		d->ctrl_ino = (uint64_t)st.st_ino;
	}
	close(d->ctrl);
	d->ctrl = -1;
	return 0;
}

/* --- a real kernel: sysfs and the rpmsg_ctrl ioctls ----------------------------- */

/* The rpmsg bus device name prefix ("virtio0") of @rproc. */
static int kernel_vdev(const char *rproc, char *vdev, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	DIR *d;
	struct dirent *de;
	int ret = -HIPC_ENOENT;

	if (rproc && !strncmp(rproc, "virtio", 6)) {
		snprintf(vdev, len, "%s", rproc);
		return 0;
	}
	d = opendir(BUS);
	if (!d)
		return -HIPC_ENOENT;
	while ((de = readdir(d))) {
		const char *dot;
		ssize_t n;

		if (de->d_name[0] == '.' || !strstr(de->d_name, ".rpmsg_ctrl."))
			continue;
		/* remoteprocN: its device path passes through that name */
		snprintf(path, sizeof(path), BUS "/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (rproc) {
			char needle[300];

			snprintf(needle, sizeof(needle), "/%s/", rproc);
			if (!strstr(target, needle))
				continue;
		}
		dot = strchr(de->d_name, '.');
		if ((size_t)(dot - de->d_name) >= len)
			continue;
		memcpy(vdev, de->d_name, (size_t)(dot - de->d_name));
		vdev[dot - de->d_name] = 0;
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* Where @vdev's remote announced @service: "<vdev>.<service>.<src>.<dst>". */
static int kernel_lookup(const char *vdev, const char *service, uint32_t *dst)
{
	size_t vl = strlen(vdev), sl = strlen(service);
	DIR *d = opendir(BUS);
	struct dirent *de;
	int ret = -HIPC_ENOENT;

	if (!d)
		return -HIPC_ENOENT;
	while ((de = readdir(d))) {
		const char *p = de->d_name, *last;

		if (strncmp(p, vdev, vl) || p[vl] != '.' ||
		    strncmp(p + vl + 1, service, sl) || p[vl + 1 + sl] != '.')
			continue;
		last = strrchr(p, '.');
		if (last == p + vl + 1 + sl)
			continue;
		*dst = (uint32_t)strtoul(last + 1, NULL, 10);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

/* /dev/rpmsg_ctrlN of @vdev. */
static int kernel_ctrl(const char *vdev, char *dev, size_t len)
{
	DIR *d = opendir(CLASS);
	struct dirent *de;
	int ret = -HIPC_ENOENT;

	if (!d)
		return -HIPC_ENOENT;
	while ((de = readdir(d))) {
		char path[PATH_MAX], target[PATH_MAX], needle[96];
		ssize_t n;

		if (strncmp(de->d_name, "rpmsg_ctrl", 10))
			continue;
		snprintf(path, sizeof(path), CLASS "/%s", de->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		snprintf(needle, sizeof(needle), "/%s.rpmsg_ctrl.", vdev);
		if (!strstr(target, needle))
			continue;
		snprintf(dev, len, "/dev/%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}

static bool read_attr(const char *dir, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >=
	    sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return true;
}

/* The rpmsgN class device created for @name with @dst (and @src unless
 * any), -1 if none (yet). */
#define KERNEL_MAX_EPTS 256 /* endpoint devices of one name looked at */

/* An endpoint device: its number, and its sysfs directory's inode (a
 * number freed and handed out again is another directory). */
struct kept {
	int id;
	uint64_t ino;
};

/*
 * The endpoint device named @name towards @dst (and from @src unless any)
 * that is not among the @nold in @old; -1 if none.  With @old NULL: every
 * such device into @found (up to KERNEL_MAX_EPTS), their count returned.
 * A device of the same name left by a program that never destroyed its
 * endpoint is not the one just made, whatever its number (the kernel
 * hands out the lowest free one).
 */
static int kernel_find_ept(const char *name, uint32_t src, uint32_t dst,
			   uint32_t *src_out, const struct kept *old, int nold,
			   struct kept *found)
{
	DIR *d = opendir(CLASS);
	struct dirent *de;
	int best = -1, n = 0;

	if (!d)
		return old ? -1 : 0;
	while ((de = readdir(d))) {
		char dir[PATH_MAX], v[64];
		struct stat st;
		unsigned long s;
		int id, j;
		char c;

		if (sscanf(de->d_name, "rpmsg%d%c", &id, &c) != 1)
			continue;
		snprintf(dir, sizeof(dir), CLASS "/%s", de->d_name);
		if (!read_attr(dir, "name", v, sizeof(v)) || strcmp(v, name))
			continue;
		if (!read_attr(dir, "dst", v, sizeof(v)) ||
		    strtoul(v, NULL, 10) != dst)
			continue;
		if (!read_attr(dir, "src", v, sizeof(v)))
			continue;
		s = strtoul(v, NULL, 10);
		if ((src != HIPC_CTRL_ADDR_ANY && s != src) || stat(dir, &st) < 0)
			continue;
		if (!old) {
			if (n < KERNEL_MAX_EPTS)
				found[n++] = (struct kept){ id, (uint64_t)st.st_ino };
			continue;
		}
		for (j = 0; j < nold && (old[j].id != id ||
					 old[j].ino != (uint64_t)st.st_ino);
		     j++)
			;
		if (j < nold || id < best)
			continue;
		best = id;
		*src_out = (uint32_t)s;
	}
	closedir(d);
	return old ? best : n;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

static int kernel_open(struct hipc_rpmsg_char_dev *d, const char *rproc,
		       const char *service, uint32_t local, uint32_t remote,
		       const char *ept_name, int flags)
{
	struct rpmsg_endpoint_info info;
	char vdev[64], ctrl[300];
	struct kept old[KERNEL_MAX_EPTS];
	int ret, id = -1, nold;
	uint32_t any;

	ret = kernel_vdev(rproc, vdev, sizeof(vdev));
	if (ret < 0)
		return ret;
	if (remote == HIPC_CTRL_ADDR_ANY) {
		if (!service)
			return -HIPC_EINVAL;
		ret = kernel_lookup(vdev, service, &remote);
		if (ret < 0)
			return ret;
	}
	ret = kernel_ctrl(vdev, ctrl, sizeof(ctrl));
	if (ret < 0)
		return ret;
	d->ctrl = open(ctrl, O_RDWR | O_CLOEXEC);
	if (d->ctrl < 0)
		return err_now();
	memset(&info, 0, sizeof(info));
	set_name(info.name, ept_name ? ept_name : service);
	info.src = local;
	info.dst = remote;
	/* What is there already is not ours. */
	nold = kernel_find_ept(info.name, local, remote, &any, NULL, 0, old);
	if (ioctl(d->ctrl, RPMSG_CREATE_EPT_IOCTL, &info) < 0)
		return err_now();
	/* The class device appears when udev (or devtmpfs) has it: wait a
	 * little, bounded. */
	for (unsigned t = 0; t < 500 && id < 0; t++) {
		id = kernel_find_ept(info.name, local, remote, &d->local_addr,
				     old, nold, NULL);
		if (id < 0)
			sleep_ms(10);
	}
	if (id < 0)
		return -HIPC_ENOENT;
	snprintf(d->path, sizeof(d->path), "/dev/rpmsg%d", id);
	for (unsigned t = 0; t < 500; t++) {
		d->fd = open(d->path, O_RDWR | O_CLOEXEC |
					      (flags & O_NONBLOCK));
		if (d->fd >= 0 || errno != ENOENT)
			break;
		sleep_ms(10);
	}
	if (d->fd < 0)
		return err_now();
	d->remote_addr = remote;
	d->kernel = 1;
	return 0;
}

/* --- the calls ------------------------------------------------------------------ */

int hipc_rpmsg_char_open(struct hipc_rpmsg_char_dev **out, const char *rproc,
			 const char *service, uint32_t local, uint32_t remote,
			 const char *ept_name, int flags)
{
	struct hipc_rpmsg_char_dev *d;
	int ret;

	*out = NULL;
	if (!g.inited)
		return -HIPC_EINVAL;
	if ((!service && remote == HIPC_CTRL_ADDR_ANY) ||
	    (flags & ~(O_NONBLOCK | O_CLOEXEC)) ||
	    (service && strlen(service) >= 32) ||
	    (ept_name && strlen(ept_name) >= 32))
		return -HIPC_EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -HIPC_ENOMEM;
	d->fd = d->ctrl = -1;
	ret = g.kernel ? kernel_open(d, rproc, service, local, remote,
				     ept_name, flags)
		       : sim_open(d, rproc, service, local, remote, ept_name,
				  flags);
	if (ret < 0) {
		if (d->fd >= 0)
			close(d->fd);
		if (d->ctrl >= 0)
			close(d->ctrl);
		free(d);
		return ret;
	}
	*out = d;
	return 0;
}

int hipc_rpmsg_char_close(struct hipc_rpmsg_char_dev *d)
{
	int ret = 0;

	if (!d)
		return -HIPC_EINVAL;
	if (d->kernel) {
		if (d->fd >= 0 && ioctl(d->fd, RPMSG_DESTROY_EPT_IOCTL) < 0 &&
		    errno != ENODEV && errno != EPIPE)
			ret = err_now();
	} else {
		struct hipc_ctrl_req req;
		struct hipc_ctrl_rsp rsp;
		struct stat st;
		char path[sizeof(d->path) + 16], *slash;

		if (d->fd >= 0)
			close(d->fd);
		d->fd = -1;
		/* RUN_DIR/REMOTE/rpmsgN: RUN_DIR/REMOTE/rpmsg_ctrl beside it */
		snprintf(path, sizeof(path), "%s", d->path);
		slash = strrchr(path, '/');
		snprintf(slash ? slash + 1 : path,
			 sizeof(path) - (size_t)(slash ? slash + 1 - path : 0),
			 "rpmsg_ctrl");
		memset(&req, 0, sizeof(req));
		req.op = HIPC_CTRL_DESTROY;
		req.index = d->index;
		if (stat(path, &st) < 0 || (uint64_t)st.st_dev != d->ctrl_dev ||
		    (uint64_t)st.st_ino != d->ctrl_ino)
			ret = -HIPC_ENOENT; /* another daemon's, or none */
		else
			ret = ctrl_begin(path, &d->ctrl, &req, &rsp);
		/* gone with its remote (or hipcd) already: nothing left to
		 * undo */
		if (ret == -HIPC_ENOENT)
			ret = 0;
	}
	if (d->fd >= 0)
		close(d->fd);
	if (d->ctrl >= 0)
		close(d->ctrl);
	free(d);
	return ret;
}

int hipc_rpmsg_char_send(struct hipc_rpmsg_char_dev *d, const void *buf,
			 size_t len)
{
	ssize_t n;

	if (!d || (len && !buf))
		return -HIPC_EINVAL;
	if (d->max_payload && len > d->max_payload)
		return -HIPC_EMSGSIZE;
	do
		n = d->kernel ? write(d->fd, buf, len)
			      : send(d->fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return (int)n;
	/* the simulation's hang-up, the kernel's endpoint without a
	 * remote: the same to the caller */
	if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
		return -HIPC_ECONNRESET;
	return err_now();
}

int hipc_rpmsg_char_recv(struct hipc_rpmsg_char_dev *d, void *buf, size_t len)
{
	ssize_t n;

	if (!d || (len && !buf))
		return -HIPC_EINVAL;
	do
		n = d->kernel ? read(d->fd, buf, len)
			      : recv(d->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n > 0 || (n == 0 && d->kernel))
		return (int)n;
	if (n == 0) {
		/* A message socket reads 0 for an empty message and at its
		 * end alike: the end is the one that also polls as hung up. */
		struct pollfd p = { .fd = d->fd, .events = POLLIN | POLLRDHUP };
		char next;

		if (poll(&p, 1, 0) >= 0 &&
		    !(p.revents & (POLLHUP | POLLRDHUP | POLLERR)))
			return 0;
		/* Hung up, but a message still waits behind this one: it was
		 * an empty message. */
		if (recv(d->fd, &next, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
			return 0;
		return -HIPC_ECONNRESET;
	}
	if (errno == EPIPE || errno == ECONNRESET)
		return -HIPC_ECONNRESET;
	return err_now();
}
