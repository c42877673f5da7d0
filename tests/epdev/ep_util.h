/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Endpoint-device test helpers: a private hipcd (own run directory, mode
 * 0700) on a configuration the case writes, stopped and its directory
 * removed at exit even when a CHECK fails; raw SOCK_SEQPACKET clients of
 * rpmsg_ctrl and rpmsgN, as any program would be.
 */
#ifndef HIPC_TEST_EP_UTIL_H
#define HIPC_TEST_EP_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hipc/rpmsg_char.h"
#include "hipc_test.h"

#define EP_HIPCD HIPC_BUILD_DIR "/tools/hipcd/hipcd"
#define EP_HIPCCTL HIPC_BUILD_DIR "/tools/hipcctl/hipcctl"
#define EP_FW HIPC_BUILD_DIR "/firmware/raw/hipc-fw-raw"

static char ep_dir[64], ep_run[96];
static pid_t ep_daemon = -1;

static inline uint64_t ep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static inline uint64_t ep_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void ep_cleanup(void)
{
	char cmd[256];
	int st;

	if (ep_daemon > 0) {
		kill(ep_daemon, SIGTERM);
		waitpid(ep_daemon, &st, 0);
		ep_daemon = -1;
	}
	if (ep_dir[0]) {
		/* The daemon's log, for a failed case. */
		snprintf(cmd, sizeof(cmd), "cat '%s/hipcd.log' 2>/dev/null | "
			 "tail -n 30; rm -rf '%s'", ep_dir, ep_dir);
		fflush(stdout);
		if (system(cmd) != 0)
			printf("could not remove %s\n", ep_dir);
		ep_dir[0] = 0;
	}
}

/* RUN/REMOTE/NAME into @buf. */
static inline const char *ep_path(char *buf, size_t len, const char *remote,
				  const char *name)
{
	snprintf(buf, len, "%s/%s/%s", ep_run, remote, name);
	return buf;
}

static inline bool ep_wait_path(const char *path, bool exists, unsigned ms)
{
	struct stat st;
	uint64_t end = ep_now_ms() + ms;

	do {
		if ((stat(path, &st) == 0) == exists)
			return true;
		usleep(1000);
	} while (ep_now_ms() < end);
	printf("%s: still %s after %u ms\n", path,
	       exists ? "missing" : "there", ms);
	return false;
}

/* hipcd on @conf (written into a fresh directory), its remote @remote's
 * rpmsg_ctrl and @name there. */
static inline void ep_start_at(const char *conf, const char *first_remote,
			       const char *name)
{
	static bool registered;
	char path[256], log[160];
	FILE *f;

	/* Several cases in one process (no argument): one daemon each. */
	ep_cleanup();
	if (!registered)
		atexit(ep_cleanup);
	registered = true;
	snprintf(ep_dir, sizeof(ep_dir), "/tmp/hipc-epdev-XXXXXX");
	CHECK(mkdtemp(ep_dir) != NULL);
	snprintf(ep_run, sizeof(ep_run), "%s/run", ep_dir);
	CHECK_EQ(mkdir(ep_run, 0700), 0);
	CHECK_EQ(setenv("HIPC_RUN_DIR", ep_run, 1), 0);
	snprintf(path, sizeof(path), "%s/hipcd.conf", ep_dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(conf, f);
	fclose(f);
	snprintf(log, sizeof(log), "%s/hipcd.log", ep_dir);
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	ep_daemon = fork();
	CHECK(ep_daemon >= 0);
	if (ep_daemon == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0)
			dup2(fd, 2);
		execl(EP_HIPCD, EP_HIPCD, "-c", path, "-r", ep_run,
		      (char *)NULL);
		_exit(127);
	}
	CHECK(ep_wait_path(ep_path(path, sizeof(path), first_remote,
				   "rpmsg_ctrl"), true, 10000));
	CHECK(ep_wait_path(ep_path(path, sizeof(path), first_remote, name),
			   true, 10000));
}

static inline void ep_start(const char *conf, const char *first_remote)
{
	ep_start_at(conf, first_remote, "rpmsg0");
}

/* hipcctl @args; its output in @out; its exit status. */
static inline int ep_ctl(const char *args, char *out, size_t len)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "%s -r %s %s", EP_HIPCCTL, ep_run,
		 args);
	return hipc_test_capture(cmd, out, len);
}

static inline pid_t ep_remote_pid(const char *remote)
{
	char args[64], out[4096];
	const char *p;

	snprintf(args, sizeof(args), "status %s", remote);
	if (ep_ctl(args, out, sizeof(out)) != 0)
		return -1;
	p = strstr(out, "\npid ");
	return p ? (pid_t)atoi(p + 5) : -1;
}

/* A client of RUN/REMOTE/NAME; -errno if connect() fails. */
static inline int ep_connect(const char *remote, const char *name,
			     bool nonblock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s/%s",
			     ep_run, remote, name) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
				     (nonblock ? SOCK_NONBLOCK : 0), 0);
	CHECK(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

/* A client of an endpoint, retried while the endpoint is busy or coming
 * back (ECONNREFUSED: the last client's hang-up not yet seen; EOF: the
 * remote not back yet) until an echo comes back, for up to @ms. */
static inline int ep_open_echo(const char *remote, const char *name,
			       unsigned ms)
{
	uint64_t end = ep_now_ms() + ms;

	do {
		int fd = ep_connect(remote, name, false);
		struct pollfd p;
		char buf[16];

		if (fd >= 0) {
			p.fd = fd;
			p.events = POLLIN;
			if (send(fd, "ping", 4, MSG_NOSIGNAL) == 4 &&
			    poll(&p, 1, 1000) == 1 &&
			    recv(fd, buf, sizeof(buf), 0) == 4 &&
			    !memcmp(buf, "ping", 4))
				return fd;
			close(fd);
		}
		usleep(2000);
	} while (ep_now_ms() < end);
	printf("%s/%s: no echo within %u ms\n", remote, name, ms);
	return -1;
}

/* One rpmsg_ctrl request on @fd; the answer in @a. */
static inline void ep_req(int fd, uint32_t op, const char *name, uint32_t src,
			  uint32_t dst, uint32_t index,
			  struct hipc_ctrl_rsp *a)
{
	struct hipc_ctrl_req q;

	memset(&q, 0, sizeof(q));
	q.op = op;
	snprintf(q.name, sizeof(q.name), "%s", name);
	q.src = src;
	q.dst = dst;
	q.index = index;
	CHECK_EQ(send(fd, &q, sizeof(q), MSG_NOSIGNAL), sizeof(q));
	CHECK_EQ(recv(fd, a, sizeof(*a), 0), sizeof(*a));
}

/* recv() with a deadline: the length, -errno, or -ETIMEDOUT. */
static inline ssize_t ep_recv(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, ms) != 1)
		return -ETIMEDOUT;
	n = recv(fd, buf, len, MSG_DONTWAIT);
	return n < 0 ? -errno : n;
}

#endif
