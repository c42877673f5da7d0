/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message-socket figures (a benchmark, not a test: no timed assertions),
 * beside a plain UNIX SOCK_SEQPACKET socket pair measured in the same run:
 *
 *   transfer  the benchmark protocol (docs/bench-protocol.md): a header
 *             and the data in one send(), the 8-byte answer received;
 *             time from the first byte sent to the answer, mean of N
 *             transfers per run, median of 3 runs; KB/s = bytes / ms
 *             (1 KB = 1000 bytes, as the seeds' 201.6 KB/s for 32 KiB in
 *             162.54 ms);
 *   echo      16-byte round trips: mean per run, median of 3 runs.
 *
 * Paths: hipcd's message socket to the bench firmware (client -> hipcd ->
 * rpmsg -> remote process, and back), and the same client code over a
 * socket pair to a forked process that serves the same protocol.
 *
 *   hipc-bench-msgsock [-n TRANSFERS] [-e ECHOES]
 */
#include <errno.h>
#include <getopt.h>
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

#define HIPCD HIPC_BUILD_DIR "/tools/hipcd/hipcd"
#define FW HIPC_BUILD_DIR "/firmware/bench/hipc-fw-bench"
#define MAXLEN (64u << 10)

static char dir[64] = "/tmp/hipc-bench-msgsock-XXXXXX", run[96];
static pid_t daemon_pid = -1, server_pid = -1;
static bool made_dir;
static unsigned char buf[8 + MAXLEN];

static void die(const char *what)
{
	fprintf(stderr, "hipc-bench-msgsock: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void cleanup(void)
{
	char cmd[128];

	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (made_dir && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median3(double *v)
{
	qsort(v, 3, sizeof(*v), cmp);
	return v[1];
}

/* --- the client side (the same code on both paths) --------------------------- */

static void transfer(int fd, uint32_t len)
{
	unsigned char a[16];
	ssize_t n;

	memcpy(buf, "HIPC", 4);
	for (int i = 0; i < 4; i++)
		buf[4 + i] = (unsigned char)(len >> (8 * i));
	if (send(fd, buf, 8 + len, 0) != (ssize_t)(8 + len))
		die("send");
	n = recv(fd, a, sizeof(a), 0);
	if (n != 8 || (a[0] | a[1] << 8 | a[2] << 16 | (uint32_t)a[3] << 24) !=
			      len ||
	    (a[4] | a[5] | a[6] | a[7])) {
		fprintf(stderr, "hipc-bench-msgsock: transfer of %u: a wrong "
				"answer (%zd bytes)\n", (unsigned)len, n);
		exit(1);
	}
}

static void echo(int fd)
{
	unsigned char m[16] = "sixteen bytes..", r[64];

	if (send(fd, m, sizeof(m), 0) != sizeof(m) ||
	    recv(fd, r, sizeof(r), 0) != sizeof(m))
		die("echo");
}

/* Mean ms per transfer of @len over @n, median of 3 runs. */
static double time_transfers(int fd, uint32_t len, int n)
{
	double runs[3];

	for (int i = 0; i < 10; i++)
		transfer(fd, len); /* warm-up */
	for (int r = 0; r < 3; r++) {
		double t0 = now_ms();

		for (int i = 0; i < n; i++)
			transfer(fd, len);
		runs[r] = (now_ms() - t0) / n;
	}
	return median3(runs);
}

static double time_echoes(int fd, int n)
{
	double runs[3];

	for (int i = 0; i < 100; i++)
		echo(fd);
	for (int r = 0; r < 3; r++) {
		double t0 = now_ms();

		for (int i = 0; i < n; i++)
			echo(fd);
		runs[r] = (now_ms() - t0) / n;
	}
	return median3(runs);
}

/* --- the socket-pair server: the firmware's protocol, byte-stream parsed ---- */

static void serve(int bench, int echofd)
{
	static unsigned char in[8 + MAXLEN + 64];
	struct pollfd p[2] = { { bench, POLLIN, 0 }, { echofd, POLLIN, 0 } };
	unsigned char hdr[8];
	unsigned n = 0;
	uint32_t left = 0, total = 0;

	for (;;) {
		if (poll(p, 2, -1) < 0)
			_exit(1);
		if (p[1].revents) {
			ssize_t k = recv(echofd, in, sizeof(in), 0);

			if (k <= 0 || send(echofd, in, (size_t)k, 0) != k)
				_exit(0);
		}
		if (p[0].revents) {
			ssize_t k = recv(bench, in, sizeof(in), 0);
			unsigned char *q = in, *end = in + (k > 0 ? k : 0);

			if (k <= 0)
				_exit(0);
			while (q < end) {
				if (left) {
					uint32_t t = (uint32_t)(end - q) < left
							     ? (uint32_t)(end - q)
							     : left;

					left -= t;
					q += t;
					if (!left) {
						unsigned char a[8] = { 0 };

						for (int i = 0; i < 4; i++)
							a[i] = (unsigned char)(total >> (8 * i));
						if (send(bench, a, 8, 0) != 8)
							_exit(1);
					}
					continue;
				}
				hdr[n++] = *q++;
				if (n == 8) {
					n = 0;
					total = left = hdr[4] | hdr[5] << 8 |
						       hdr[6] << 16 |
						       (uint32_t)hdr[7] << 24;
				}
			}
		}
	}
}

/* --- setting up ---------------------------------------------------------------- */

static int connect_to(const char *service)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/m4/sock/%s", run,
		 service);
	for (double end = now_ms() + 10000; now_ms() < end; usleep(10000))
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
	die(sa.sun_path);
	return -1;
}

static void start_hipcd(void)
{
	char conf[128];
	FILE *f;

	if (!mkdtemp(dir))
		die("mkdtemp");
	made_dir = true;
	snprintf(run, sizeof(run), "%s/run", dir);
	if (mkdir(run, 0700) < 0)
		die(run);
	snprintf(conf, sizeof(conf), "%s/hipcd.conf", dir);
	f = fopen(conf, "w");
	if (!f)
		die(conf);
	fprintf(f, "[m4]\nfirmware = %s\n", FW);
	fclose(f);
	daemon_pid = fork();
	if (daemon_pid < 0)
		die("fork");
	if (daemon_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (!freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(HIPCD, HIPCD, "-c", conf, "-r", run, (char *)NULL);
		_exit(127);
	}
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 512, 1024, 2048, 4096, 8192,
					  16384, 32768, 65536 };
	/* The seeds' netlink module, single blocks (ms), issue #13. */
	static const double seeds[] = { 21.38, 27.19, 27.43, 31.33, 55.59,
					88.09, 162.54, 0 };
	int n = 200, ne = 5000, opt, sv[2], se[2], ms_b, ms_e;

	while ((opt = getopt(argc, argv, "n:e:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'e')
			ne = atoi(optarg);
		else {
			fprintf(stderr, "usage: hipc-bench-msgsock [-n "
					"TRANSFERS] [-e ECHOES]\n");
			return 2;
		}
	}
	if (n < 1 || ne < 1) {
		fprintf(stderr, "hipc-bench-msgsock: -n and -e take a count "
				"above 0\n");
		return 2;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, se) < 0)
		die("socketpair");
	server_pid = fork();
	if (server_pid < 0)
		die("fork");
	if (server_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		close(sv[0]);
		close(se[0]);
		serve(sv[1], se[1]);
	}
	atexit(cleanup);
	close(sv[1]);
	close(se[1]);
	start_hipcd();
	ms_b = connect_to("hipc-bench");
	ms_e = connect_to("hipc-echo");

	printf("benchmark protocol, one send() per transfer, mean of %d, "
	       "median of 3 runs\n", n);
	printf("%8s  %12s %10s  %12s %10s  %8s  %10s %10s\n", "bytes",
	       "msgsock ms", "KB/s", "pair ms", "KB/s", "ratio", "seeds ms",
	       "seeds KB/s");
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double a = time_transfers(ms_b, sizes[i], n);
		double b = time_transfers(sv[0], sizes[i], n);

		printf("%8u  %12.4f %10.0f  %12.4f %10.0f  %8.2f", sizes[i], a,
		       sizes[i] / a, b, sizes[i] / b, a / b);
		if (seeds[i] > 0)
			printf("  %10.2f %10.1f\n", seeds[i],
			       sizes[i] / seeds[i]);
		else
			printf("  %10s %10s\n", "-", "-");
	}
	{
		double a = time_echoes(ms_e, ne), b = time_echoes(se[0], ne);

		printf("16-byte echo round trip, mean of %d, median of 3 runs: "
		       "msgsock %.1f us, pair %.1f us, ratio %.2f\n", ne,
		       a * 1e3, b * 1e3, a / b);
	}
	close(ms_b);
	close(ms_e);
	return 0;
}
