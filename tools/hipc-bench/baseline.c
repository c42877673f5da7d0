// SPDX-License-Identifier: BSD-3-Clause
/*
 * The baselines a user would pick instead of hipc: the same protocol
 * between the same two processes over a pipe pair and over a UNIX
 * SOCK_SEQPACKET socket pair.  The child is the "remote": it counts the
 * bytes after each header and answers with the count.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "bench.h"
#include "proto.h"

struct base {
	int out, in;   /* ours: to the child, from it */
	pid_t pid;
};

static struct base pipe_b, unix_b, pty_b, tcp_b;

static bool write_all(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t n = write(fd, b, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		b += n;
		len -= (size_t)n;
	}
	return true;
}

/* The remote's side: bytes in, a count out after each transaction. */
void bench_serve(int in, int out)
{
	static uint8_t buf[1 << 16];
	struct bench_proto_rx rx;

	bench_proto_rx_init(&rx);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		size_t off = 0;

		if (n <= 0)
			_exit(n < 0);
		while (off < (size_t)n) {
			uint8_t ans[BENCH_ANSWER_SIZE];
			int r = bench_proto_rx_feed(&rx, buf + off,
						    (size_t)n - off, &off, ans);

			if (r < 0)
				_exit(3);
			if (r > 0 && !write_all(out, ans, sizeof(ans)))
				_exit(2);
		}
	}
}

enum kind { K_PIPE, K_UNIX, K_PTY, K_TCP };

/* A pty in raw mode: [0] the slave (ours, as a tty's user writes it), [1]
 * the master (the child's, where hipcd would read).  0 or -1. */
static int pty_pair(int fd[2])
{
	struct termios t;

	fd[1] = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd[1] < 0)
		return -1;
	if (grantpt(fd[1]) == 0 && unlockpt(fd[1]) == 0) {
		fd[0] = open(ptsname(fd[1]), O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd[0] >= 0 && tcgetattr(fd[0], &t) == 0) {
			cfmakeraw(&t);
			if (tcsetattr(fd[0], TCSANOW, &t) == 0)
				return 0;
		}
		if (fd[0] >= 0)
			close(fd[0]);
	}
	close(fd[1]);
	return -1;
}

/* A TCP connection over loopback, TCP_NODELAY at both ends.  0 or -1. */
static int tcp_pair(int fd[2])
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, ret = -1;

	fd[0] = fd[1] = -1;
	if (l < 0)
		return -1;
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    listen(l, 1) == 0 &&
	    getsockname(l, (struct sockaddr *)&sa, &sl) == 0 &&
	    (fd[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0 &&
	    connect(fd[0], (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    (fd[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		setsockopt(fd[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ret = 0;
	} else if (fd[0] >= 0) {
		close(fd[0]);
	}
	close(l);
	return ret;
}

static int open_pair(struct base *b, enum kind kind)
{
	int to[2], from[2];
	bool one_fd = kind != K_PIPE;

	if (kind == K_UNIX) {
		/* one socket pair both ways: [0] ours, [1] the child's */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, to))
			return -1;
	} else if (kind == K_PTY) {
		if (pty_pair(to))
			return -1;
	} else if (kind == K_TCP) {
		if (tcp_pair(to))
			return -1;
	} else if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC)) {
		return -1;
	}
	b->pid = fork();
	if (b->pid < 0)
		return -1;
	if (b->pid == 0) {
		/* only the child's ends open, so our close is its EOF (a
		 * pty's master: EIO) */
		if (one_fd) {
			close(to[0]);
			bench_serve(to[1], to[1]);
		}
		close(to[1]);
		close(from[0]);
		bench_serve(to[0], from[1]);
	}
	if (one_fd) {
		close(to[1]);
		b->out = b->in = to[0];
	} else {
		close(to[0]);
		close(from[1]);
		b->out = to[1];
		b->in = from[0];
	}
	return 0;
}

static double transact(struct base *b, size_t block, unsigned nblocks)
{
	return bench_fd_transact(b->out, b->in, true, 1u << 16, block, nblocks);
}

static void close_pair(struct bench_path *p, struct base *b)
{
	if (b->out != b->in)
		close(b->in);
	close(b->out);
	waitpid(b->pid, NULL, 0);
	p->peer_pid = 0;
}

static int pipe_open(struct bench_path *p)
{
	int ret = open_pair(&pipe_b, K_PIPE);

	p->peer_pid = pipe_b.pid;
	return ret;
}

static int unix_open(struct bench_path *p)
{
	int ret = open_pair(&unix_b, K_UNIX);

	p->peer_pid = unix_b.pid;
	return ret;
}

static double pipe_transact(struct bench_path *p, size_t block, unsigned n)
{
	(void)p;
	return transact(&pipe_b, block, n);
}

static double unix_transact(struct bench_path *p, size_t block, unsigned n)
{
	(void)p;
	return transact(&unix_b, block, n);
}

static void pipe_close(struct bench_path *p)
{
	close_pair(p, &pipe_b);
}

static void unix_close(struct bench_path *p)
{
	close_pair(p, &unix_b);
}

struct bench_path bench_path_pipe = {
	.name = "pipe",
	.what = "a pipe pair between two processes (baseline)",
	.open = pipe_open,
	.transact = pipe_transact,
	.close = pipe_close,
};

struct bench_path bench_path_unix = {
	.name = "unix",
	.what = "a UNIX SOCK_SEQPACKET socket pair between two processes "
		"(baseline)",
	.open = unix_open,
	.transact = unix_transact,
	.close = unix_close,
};

/* The kernel's part of two hipc paths, alone: what a tty's bytes cost
 * through a pty with nothing behind it, and TCP's own cost between two
 * processes on one machine.  Not baselines a user would pick instead:
 * the floor under the tty and tcp paths. */
static int pty_open(struct bench_path *p)
{
	int ret = open_pair(&pty_b, K_PTY);

	p->peer_pid = pty_b.pid;
	return ret;
}

static int tcplo_open(struct bench_path *p)
{
	int ret = open_pair(&tcp_b, K_TCP);

	p->peer_pid = tcp_b.pid;
	return ret;
}

static double pty_transact(struct bench_path *p, size_t block, unsigned n)
{
	(void)p;
	return transact(&pty_b, block, n);
}

static double tcplo_transact(struct bench_path *p, size_t block, unsigned n)
{
	(void)p;
	return transact(&tcp_b, block, n);
}

static void pty_close(struct bench_path *p)
{
	close_pair(p, &pty_b);
}

static void tcplo_close(struct bench_path *p)
{
	close_pair(p, &tcp_b);
}

struct bench_path bench_path_pty = {
	.name = "pty",
	.what = "a bare pty pair between two processes, raw mode (the tty "
		"path's kernel part alone)",
	.open = pty_open,
	.transact = pty_transact,
	.close = pty_close,
};

struct bench_path bench_path_tcplo = {
	.name = "tcp-lo",
	.what = "TCP over loopback between two processes, TCP_NODELAY (the "
		"tcp path's kernel part alone)",
	.open = tcplo_open,
	.transact = tcplo_transact,
	.close = tcplo_close,
};
