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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

static struct {
	bool up;             /* a daemon to talk to */
	bool failed;         /* it would not start: not tried again */
	bool ours;           /* started here: stopped at exit */
	pid_t pid;
	char run[200];       /* its run directory */
	char tmp[160];       /* ours: the directory holding run and conf */
	const char *remote;
	int users;
} dmn = { .remote = "bench" };

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
static bool wait_path(const char *rel, unsigned ms)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s/%s", dmn.run, dmn.remote, rel);
	for (unsigned i = 0; i < ms; i++) {
		if (exists(p))
			return true;
		usleep(1000);
	}
	fprintf(stderr, "hipc-bench: %s did not appear\n", p);
	return false;
}

void bench_daemon_use(const char *run_dir, const char *remote)
{
	if (run_dir)
		snprintf(dmn.run, sizeof(dmn.run), "%s", run_dir);
	if (remote)
		dmn.remote = remote;
}

static void daemon_put(void);

/* Starts hipcd with the bench firmware in a private run directory.
 * Returns 0, or -1 (reported) and the run directory removed. */
static int daemon_start(void)
{
	char hipcd_buf[PATH_MAX], fw_buf[PATH_MAX], conf[200];
	const char *hipcd, *fw;
	FILE *f;

	hipcd = sibling("hipcd",
#ifdef HIPC_HIPCD
			HIPC_HIPCD,
#else
			NULL,
#endif
			hipcd_buf, sizeof(hipcd_buf));
	fw = bench_firmware_path(fw_buf, sizeof(fw_buf));
	if (!hipcd || !fw) {
		fprintf(stderr, "hipc-bench: no hipcd or hipc-fw-bench to "
			"start\n");
		return -1;
	}
	snprintf(dmn.tmp, sizeof(dmn.tmp), "/tmp/hipc-bench-XXXXXX");
	if (!mkdtemp(dmn.tmp)) {
		perror("hipc-bench: mkdtemp");
		return -1;
	}
	dmn.ours = true; /* from here on, daemon_put() removes it */
	snprintf(dmn.run, sizeof(dmn.run), "%s/run", dmn.tmp);
	snprintf(conf, sizeof(conf), "%s/hipcd.conf", dmn.tmp);
	f = mkdir(dmn.run, 0700) < 0 ? NULL : fopen(conf, "w");
	if (!f) {
		perror("hipc-bench: the daemon's run directory");
		return -1;
	}
	fprintf(f, "[%s]\nfirmware = %s\nargs = --raw --tty\n", dmn.remote,
		fw);
	fclose(f);
	dmn.pid = fork();
	if (dmn.pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* its log would only interleave with the table */
		if (null >= 0 && !getenv("HIPC_BENCH_DAEMON_LOG"))
			dup2(null, STDERR_FILENO);
		execl(hipcd, hipcd, "-c", conf, "-r", dmn.run, (char *)NULL);
		_exit(127);
	}
	if (dmn.pid < 0) {
		perror("hipc-bench: fork");
		return -1;
	}
	/* the remote is up once its rpmsg_ctrl is; each path then waits
	 * for its own interface */
	return wait_path("rpmsg_ctrl", 10000) ? 0 : -1;
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
	char cmd[PATH_MAX + 16];

	if (--dmn.users || !dmn.ours)
		return;
	if (dmn.pid > 0) {
		kill(dmn.pid, SIGTERM);
		waitpid(dmn.pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dmn.tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "hipc-bench: could not remove %s\n", dmn.tmp);
	dmn.ours = dmn.up = false;
	dmn.pid = 0;
	dmn.run[0] = 0;
}

/* The remote's doorbells so far, from hipcd ("stats REMOTE"): what the
 * daemon rang (out) and what the remote rang (in). */
static void daemon_doorbells(struct bench_path *p, uint64_t *out, uint64_t *in)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char req[64], reply[8192], *at;
	unsigned long long o = 0, i = 0;
	ssize_t n;
	int fd;

	(void)p;
	*out = *in = 0;
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/hipcd.sock",
			     dmn.run) >= sizeof(sa.sun_path))
		return;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	snprintf(req, sizeof(req), "stats %s", dmn.remote);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    send(fd, req, strlen(req), MSG_NOSIGNAL) > 0 &&
	    (n = recv(fd, reply, sizeof(reply) - 1, 0)) > 0) {
		reply[n] = 0;
		at = strstr(reply, " doorbells_out ");
		if (at)
			sscanf(at, " doorbells_out %llu doorbells_in %llu", &o, &i);
	}
	close(fd);
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
	p->peer_pid = 0;
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
		"hipc/rpmsg_char.h)",
	.open = ept_open,
	.transact = ept_transact,
	.doorbells = daemon_doorbells,
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
	if (!wait_path("ttyRPMSG0", 5000)) {
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
	.doorbells = daemon_doorbells,
	.close = tty_close,
};

/* --- the message socket ------------------------------------------------------------ */

static int sock_open(struct bench_path *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	(void)p;
	if (daemon_get() < 0)
		return -1;
	if (!wait_path("sock/hipc-bench", 5000)) {
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
	.doorbells = daemon_doorbells,
	.close = sock_close,
};
