/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hipc-bench-epdev: an endpoint device against a plain UNIX socketpair.
 *
 *   latency    16-byte messages, one in flight: the mean round trip of N,
 *              three runs, the median run reported
 *   throughput 496-byte messages streamed with 64 in flight, echoed back:
 *              messages/s and payload MB/s one way, median of three
 *
 * The endpoint: hipcd (its own run directory) with firmware/raw, the
 * client on RUN/m4/rpmsg0.  The baseline: a SOCK_SEQPACKET socketpair
 * between this process and a forked echo process, in the same run.
 *
 *   hipc-bench-epdev [N]   (default 20000)
 */
#include "ep_util.h"

#define WINDOW 64u

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median3(double *v)
{
	qsort(v, 3, sizeof(*v), cmp_double);
	return v[1];
}

static void xsend(int fd, const void *b, size_t len)
{
	CHECK_EQ(send(fd, b, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Mean round trip (µs) of @n 16-byte messages on @fd. */
static double latency(int fd, unsigned n)
{
	unsigned char b[16] = { 0 }, in[600];
	uint64_t t0 = ep_now_ns();

	for (unsigned i = 0; i < n; i++) {
		memcpy(b, &i, sizeof(i));
		xsend(fd, b, sizeof(b));
		CHECK_EQ(recv(fd, in, sizeof(in), 0), 16);
		CHECK(memcmp(in, &i, sizeof(i)) == 0);
	}
	return (ep_now_ns() - t0) / 1e3 / n;
}

/* Messages/s for @n 496-byte messages echoed, WINDOW in flight. */
static double throughput(int fd, unsigned n)
{
	unsigned char b[496], in[600];
	unsigned sent = 0, got = 0;
	uint64_t t0 = ep_now_ns();

	memset(b, 0x33, sizeof(b));
	while (got < n) {
		while (sent < n && sent - got < WINDOW) {
			xsend(fd, b, sizeof(b));
			sent++;
		}
		CHECK_EQ(recv(fd, in, sizeof(in), 0), 496);
		got++;
	}
	return n / ((ep_now_ns() - t0) / 1e9);
}

static void run(const char *what, int fd, unsigned n)
{
	double lat[3], tp[3];

	latency(fd, n / 10 + 1); /* warm up */
	for (int i = 0; i < 3; i++)
		lat[i] = latency(fd, n);
	for (int i = 0; i < 3; i++)
		tp[i] = throughput(fd, n);
	printf("%-22s rtt16 %7.2f us (runs %.2f %.2f %.2f)   "
	       "496 B: %8.0f msg/s %6.2f MB/s each way\n", what,
	       median3(lat), lat[0], lat[1], lat[2], median3(tp),
	       median3(tp) * 496 / 1e6);
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 20000;
	char conf[512];
	int sv[2], fd;
	pid_t child;

	if (!n)
		n = 20000;
	snprintf(conf, sizeof(conf), "[m4]\nfirmware = %s\n", EP_FW);
	ep_start(conf, "m4");
	fd = ep_open_echo("m4", "rpmsg0", 5000);
	CHECK(fd >= 0);
	run("endpoint rpmsg0", fd, n);
	close(fd);

	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fflush(stdout);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		unsigned char b[600];
		ssize_t m;

		close(sv[0]);
		while ((m = recv(sv[1], b, sizeof(b), 0)) > 0)
			if (send(sv[1], b, (size_t)m, MSG_NOSIGNAL) != m)
				break;
		_exit(0);
	}
	close(sv[1]);
	run("socketpair (baseline)", sv[0], n);
	close(sv[0]);
	waitpid(child, NULL, 0);
	return 0;
}
