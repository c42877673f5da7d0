// SPDX-License-Identifier: BSD-3-Clause
/*
 * The paths through hipcd, as another process on the host uses them: an
 * endpoint device (hipc/rpmsg_char.h), the TTY, and the message socket of
 * the bench firmware's services.  hipc-bench starts its own hipcd in a
 * private run directory with the bench firmware announcing the protocol on
 * all three ("hipc-bench", "rpmsg-raw", "rpmsg-tty"), unless --run-dir
 * names a daemon already running (then its remote --remote is used).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rpmsg_char.h"

#include "bench.h"
#include "proto.h"

#ifndef HIPC_BIN_RELDIR
#define HIPC_BIN_RELDIR "."
#endif

/* The daemon the epdev, tty and socket paths share (tcp.c starts one of
 * its own with the network firmware). */
static struct bench_daemon dmn = { .remote = "bench" };

/* A program next to this one (installed) or where it was built. */
static const char *sibling(const char *name, const char *built, char *buf,
			   size_t size)
{
	const char *p = bench_sibling(name, buf, size);

	return p ? p : built;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Waits up to @ms for RUN/REMOTE/@rel. */
static bool wait_path(const struct bench_daemon *d, const char *rel,
		      unsigned ms)
{
	uint64_t end = bench_now_ns() + (uint64_t)ms * 1000000u;
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/%s", d->run, d->remote, rel);
	while (!exists(p)) {
		if (bench_now_ns() > end || (d->pid > 0 &&
					     waitpid(d->pid, NULL, WNOHANG))) {
			fprintf(stderr, "hipc-bench: %s did not appear\n", p);
			return false;
		}
		usleep(1000);
	}
	return true;
}

void bench_daemon_use(const char *run_dir, const char *remote)
{
	if (run_dir)
		snprintf(dmn.run, sizeof(dmn.run), "%s", run_dir);
	if (remote)
		dmn.remote = remote;
}

/* One request to the daemon's control socket (hipcctl's protocol); the
 * reply NUL-terminated in @reply.  @pid: the daemon's (SO_PEERCRED), may
 * be NULL.  0, or -1. */
static int control(const struct bench_daemon *d, const char *req,
		   char *reply, size_t size, int *pid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	ssize_t n = -1;
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/hipcd.sock",
			     d->run) >= sizeof(sa.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, req, strlen(req), MSG_NOSIGNAL) > 0)
		n = recv(fd, reply, size - 1, 0);
	if (n > 0 && pid)
		*pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) ? 0
									  : cred.pid;
	close(fd);
	if (n <= 0)
		return -1;
	reply[n] = 0;
	return 0;
}

void bench_daemon_pids(const struct bench_daemon *d, int *daemon_pid,
		       int *fw_pid)
{
	char req[64], reply[8192], *at;

	*daemon_pid = *fw_pid = 0;
	snprintf(req, sizeof(req), "status %s", d->remote);
	if (control(d, req, reply, sizeof(reply), daemon_pid) < 0)
		return;
	at = strstr(reply, "\npid ");
	if (!at || sscanf(at, " pid %d", fw_pid) != 1 || *fw_pid < 0)
		*fw_pid = 0;
}

int bench_daemon_state(const struct bench_daemon *d, char *state, size_t size)
{
	char req[64], reply[8192], *at, *end;

	snprintf(req, sizeof(req), "status %s", d->remote);
	if (control(d, req, reply, sizeof(reply), NULL) < 0)
		return -1;
	at = strstr(reply, "\nstate ");
	if (!at)
		return -1;
	at += strspn(at + 7, " ") + 7;
	end = strchr(at, '\n');
	if (end)
		*end = 0;
	snprintf(state, size, "%s", at);
	return 0;
}

int bench_daemon_start(struct bench_daemon *d, const char *conf_body,
		       const char *wait_rel)
{
	char hipcd_buf[PATH_MAX], conf[200];
	const char *hipcd;
	FILE *f;

	hipcd = sibling("hipcd",
#ifdef HIPC_HIPCD
			HIPC_HIPCD,
#else
			NULL,
#endif
			hipcd_buf, sizeof(hipcd_buf));
	if (!hipcd) {
		fprintf(stderr, "hipc-bench: no hipcd to start\n");
		return -1;
	}
	snprintf(d->tmp, sizeof(d->tmp), "/tmp/hipc-bench-XXXXXX");
	if (!mkdtemp(d->tmp)) {
		perror("hipc-bench: mkdtemp");
		d->tmp[0] = 0;
		return -1;
	}
	d->ours = true; /* from here on, bench_daemon_stop() removes it */
	snprintf(d->run, sizeof(d->run), "%s/run", d->tmp);
	snprintf(conf, sizeof(conf), "%s/hipcd.conf", d->tmp);
	f = mkdir(d->run, 0700) < 0 ? NULL : fopen(conf, "w");
	if (!f) {
		perror("hipc-bench: the daemon's run directory");
		bench_daemon_stop(d);
		return -1;
	}
	fprintf(f, "[%s]\n%s", d->remote, conf_body);
	fclose(f);
	d->pid = fork();
	if (d->pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* hipc-bench killed: the daemon stops too, and takes its
		 * firmware and interfaces (a TAP) with it */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* its log would only interleave with the table */
		if (null >= 0 && !getenv("HIPC_BENCH_DAEMON_LOG"))
			dup2(null, STDERR_FILENO);
		execl(hipcd, hipcd, "-c", conf, "-r", d->run, (char *)NULL);
		_exit(127);
	}
	if (d->pid < 0) {
		perror("hipc-bench: fork");
		bench_daemon_stop(d);
		return -1;
	}
	if (!wait_path(d, wait_rel, 10000)) {
		bench_daemon_stop(d);
		return -1;
	}
	return 0;
}

void bench_daemon_stop(struct bench_daemon *d)
{
	char cmd[PATH_MAX + 16];

	if (!d->ours)
		return;
	if (d->pid > 0) {
		kill(d->pid, SIGTERM);
		waitpid(d->pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->tmp);
	if (d->tmp[0] && system(cmd) != 0)
		fprintf(stderr, "hipc-bench: could not remove %s\n", d->tmp);
	d->ours = false;
	d->pid = 0;
	d->run[0] = d->tmp[0] = 0;
}

static void daemon_put(void);

/* Starts hipcd with the bench firmware in a private run directory.
 * Returns 0, or -1 (reported) and the run directory removed. */
static int daemon_start(void)
{
	char fw_buf[PATH_MAX], body[PATH_MAX + 64];
	const char *fw = bench_firmware_path(fw_buf, sizeof(fw_buf));

	if (!fw) {
		fprintf(stderr, "hipc-bench: no hipc-fw-bench to start\n");
		return -1;
	}
	snprintf(body, sizeof(body), "firmware = %s\nargs = --raw --tty\n",
		 fw);
	/* the remote is up once its rpmsg_ctrl is; each path then waits
	 * for its own interface */
	return bench_daemon_start(&dmn, body, "rpmsg_ctrl");
}

/* A daemon to talk to, started on first use; daemon_put() when done. */
static int daemon_get(void)
{
	if (dmn.users++ && dmn.up)
		return 0;
	if (dmn.run[0] && !dmn.ours) {
		dmn.up = true; /* --run-dir: the user's */
		return 0;
	}
	if (!dmn.failed && daemon_start() == 0) {
		dmn.up = true;
		return 0;
	}
	/* never tried again in this run */
	dmn.failed = true;
	dmn.users = 1;
	daemon_put();
	return -1;
}

static void daemon_put(void)
{
	if (--dmn.users || !dmn.ours)
		return;
	bench_daemon_stop(&dmn);
	dmn.up = false;
}

/* A path through the shared daemon: the processes whose CPU is counted. */
static void daemon_path_pids(struct bench_path *p)
{
	bench_daemon_pids(&dmn, &p->daemon_pid, &p->peer_pid);
}

/* The remote's doorbells so far, from hipcd ("stats REMOTE"): what the
 * daemon rang (out) and what the remote rang (in). */
void bench_daemon_doorbells(struct bench_path *p, uint64_t *out, uint64_t *in)
{
	const struct bench_daemon *d = p->priv ? p->priv : &dmn;
	char req[64], reply[8192], *at;
	unsigned long long o = 0, i = 0;

	*out = *in = 0;
	snprintf(req, sizeof(req), "stats %s", d->remote);
	if (control(d, req, reply, sizeof(reply), NULL) < 0)
		return;
	at = strstr(reply, " doorbells_out ");
	if (at)
		sscanf(at, " doorbells_out %llu doorbells_in %llu", &o, &i);
	*out = o;
	*in = i;
}

/* --- transactions over a file descriptor ------------------------------------- */

struct fdpath {
	int fd;
	bool stream;      /* a tty: bytes, not messages */
	size_t chunk;     /* most bytes per write (messages: max payload) */
};

static struct fdpath ept_p, tty_p, sock_p;

static double fd_transact(struct fdpath *fp, size_t block, unsigned nblocks)
{
	return bench_fd_transact(fp->fd, fp->fd, fp->stream, fp->chunk, block,
				 nblocks);
}

/* --- the endpoint device ------------------------------------------------------- */

static struct hipc_rpmsg_char_dev *ept_dev;

static int ept_open(struct bench_path *p)
{
	int ret;

	(void)p;
	if (daemon_get() < 0)
		return -1;
	ret = hipc_rpmsg_char_init(dmn.run);
	if (!ret)
		ret = hipc_rpmsg_char_open(&ept_dev, dmn.remote, "rpmsg-raw",
					   HIPC_CTRL_ADDR_ANY,
					   HIPC_CTRL_ADDR_ANY, NULL, 0);
	if (ret < 0) {
		fprintf(stderr, "hipc-bench: endpoint device: %s\n",
			hipc_strerror(ret));
		hipc_rpmsg_char_exit();
		daemon_put();
		return -1;
	}
	ept_p.fd = ept_dev->fd;
	ept_p.chunk = ept_dev->max_payload;
	daemon_path_pids(p);
	return 0;
}

static double ept_transact(struct bench_path *p, size_t block, unsigned n)
{
	(void)p;
	return fd_transact(&ept_p, block, n);
}

static void ept_close(struct bench_path *p)
{
	(void)p;
	hipc_rpmsg_char_close(ept_dev);
	hipc_rpmsg_char_exit();
	daemon_put();
}

struct bench_path bench_path_epdev = {
	.name = "epdev",
	.what = "an endpoint device through hipcd (RUN_DIR/REMOTE/rpmsgN, "
		"hipc/rpmsg_char.h): a block's 496-byte messages by one "
		"sendmmsg()",
	.open = ept_open,
	.transact = ept_transact,
	.doorbells = bench_daemon_doorbells,
	.close = ept_close,
};

/* --- the TTY ---------------------------------------------------------------------- */

static int tty_open(struct bench_path *p)
{
	char path[PATH_MAX];
	struct termios t;

	(void)p;
	if (daemon_get() < 0)
		return -1;
	if (!wait_path(&dmn, "ttyRPMSG0", 5000)) {
		daemon_put();
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/ttyRPMSG0", dmn.run, dmn.remote);
	tty_p.fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty_p.fd < 0 || tcgetattr(tty_p.fd, &t) < 0) {
		fprintf(stderr, "hipc-bench: %s: %s\n", path, strerror(errno));
		if (tty_p.fd >= 0)
			close(tty_p.fd);
		daemon_put();
		return -1;
	}
	cfmakeraw(&t);
	tcsetattr(tty_p.fd, TCSANOW, &t);
	tcflush(tty_p.fd, TCIOFLUSH);
	tty_p.stream = true;
	tty_p.chunk = 1u << 20;
	daemon_path_pids(p);
	return 0;
}

static double tty_transact(struct bench_path *p, size_t block, unsigned n)
{
	(void)p;
	return fd_transact(&tty_p, block, n);
}

static void tty_close(struct bench_path *p)
{
	(void)p;
	close(tty_p.fd);
	daemon_put();
}

struct bench_path bench_path_tty = {
	.name = "tty",
	.what = "the TTY through hipcd (RUN_DIR/REMOTE/ttyRPMSG0, raw mode)",
	.open = tty_open,
	.transact = tty_transact,
	.doorbells = bench_daemon_doorbells,
	.close = tty_close,
};

/* --- the message socket ------------------------------------------------------------ */

static int sock_open(struct bench_path *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)p;
	if (daemon_get() < 0)
		return -1;
	if (!wait_path(&dmn, "sock/hipc-bench", 5000)) {
		daemon_put();
		return -1;
	}
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path),
			     "%s/%s/sock/hipc-bench", dmn.run, dmn.remote) >=
	    sizeof(sa.sun_path)) {
		fprintf(stderr, "hipc-bench: run directory path too long\n");
		daemon_put();
		return -1;
	}
	sock_p.fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock_p.fd < 0 ||
	    connect(sock_p.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "hipc-bench: %s: %s\n", sa.sun_path,
			strerror(errno));
		if (sock_p.fd >= 0)
			close(sock_p.fd);
		daemon_put();
		return -1;
	}
	sock_p.chunk = 64u << 10; /* hipcd splits a message into buffers */
	daemon_path_pids(p);
	return 0;
}

static double sock_transact(struct bench_path *p, size_t block, unsigned n)
{
	(void)p;
	return fd_transact(&sock_p, block, n);
}

static void sock_close(struct bench_path *p)
{
	(void)p;
	close(sock_p.fd);
	daemon_put();
}

struct bench_path bench_path_msgsock = {
	.name = "socket",
	.what = "a message socket through hipcd (RUN_DIR/REMOTE/sock/"
		"hipc-bench): one send per block, split by hipcd",
	.open = sock_open,
	.transact = sock_transact,
	.doorbells = bench_daemon_doorbells,
	.close = sock_close,
};
