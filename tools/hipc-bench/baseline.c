// SPDX-License-Identifier: BSD-3-Clause
/*
 * The baselines a user would pick instead of hipc: the same protocol
 * between the same two processes over a pipe pair and over a UNIX
 * SOCK_SEQPACKET socket pair.  The child is the "remote": it counts the
 * bytes after each header and answers with the count.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "proto.h"

struct base {
	int out, in;   /* ours: to the child, from it */
	pid_t pid;
};

static struct base pipe_b, unix_b;

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

static int open_pair(struct base *b, bool sock)
{
	int to[2], from[2];

	if (sock) {
		/* one socket pair both ways: [0] ours, [1] the child's */
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, to))
			return -1;
	} else if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC)) {
		return -1;
	}
	b->pid = fork();
	if (b->pid < 0)
		return -1;
	if (b->pid == 0) {
		/* only the child's ends open, so our close is its EOF */
		if (sock) {
			close(to[0]);
			bench_serve(to[1], to[1]);
		}
		close(to[1]);
		close(from[0]);
		bench_serve(to[0], from[1]);
	}
	if (sock) {
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
	int ret = open_pair(&pipe_b, false);

	p->peer_pid = pipe_b.pid;
	return ret;
}

static int unix_open(struct bench_path *p)
{
	int ret = open_pair(&unix_b, true);

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
