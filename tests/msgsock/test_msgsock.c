/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message sockets end to end: hipcd boots the benchmark firmware, whose
 * services (no other kind claims them) each get RUN_DIR/m4/sock/SERVICE;
 * real clients (python3 msgsock_client.py, and C code here for what needs
 * many sockets or exact errors) talk to them at the same time.
 *
 * Each case has its own directory and daemon, removed at exit whether the
 * case passed or not.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hipc_test.h"

#define HIPCD HIPC_BUILD_DIR "/tools/hipcd/hipcd"
#define HIPCCTL HIPC_BUILD_DIR "/tools/hipcctl/hipcctl"
#define FW HIPC_BUILD_DIR "/firmware/bench/hipc-fw-bench"
#ifndef CLIENT_PY
#error CLIENT_PY: the path of msgsock_client.py
#endif

static char dir[64], run[96], sock[160];
static pid_t daemon_pid = -1;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* At exit, passed or not: the daemon (which stops the firmware) and the
 * case's directory. */
static void cleanup(void)
{
	char cmd[128];
	int st = 0;

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, &st, 0);
		daemon_pid = -1;
	}
	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("could not remove %s\n", dir);
		dir[0] = 0;
	}
	/* A daemon that did not exit cleanly (a sanitizer's report, a
	 * crash) fails the case, whatever the clients saw. */
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("hipcd did not exit cleanly (status 0x%x)\n", st);
		fflush(stdout);
		_exit(1);
	}
}

/* Runs @cmd; its output (stderr too) in @out; its exit status. */
static int sh(const char *cmd, char *out, size_t len)
{
	char full[1024];

	snprintf(full, sizeof(full), "HIPC_RUN_DIR=%s %s", run, cmd);
	return hipc_test_capture(full, out, len);
}

static bool wait_ctl(const char *args, const char *needle, int ms)
{
	char cmd[256], out[16384];
	uint64_t end = now_ms() + (uint64_t)ms;

	snprintf(cmd, sizeof(cmd), "%s %s", HIPCCTL, args);
	do {
		if (sh(cmd, out, sizeof(out)) == 0 && strstr(out, needle))
			return true;
		usleep(10000);
	} while (now_ms() < end);
	printf("never saw '%s' in: %s\n", needle, out);
	return false;
}

/* One counter of one service from "hipcctl stats m4". */
static long long counter(const char *service, const char *key)
{
	char cmd[256], out[16384], pat[128], *line, *k;

	snprintf(cmd, sizeof(cmd), "%s stats m4", HIPCCTL);
	CHECK_EQ(sh(cmd, out, sizeof(out)), 0);
	snprintf(pat, sizeof(pat), "\nm4 %s socket ", service);
	line = strstr(out, pat);
	CHECK(line != NULL);
	snprintf(pat, sizeof(pat), " %s ", key);
	k = strstr(line + 1, pat);
	CHECK(k != NULL && (!strchr(line + 1, '\n') ||
			    k < strchr(line + 1, '\n')));
	return atoll(k + strlen(pat));
}

/* One counter of the remote's device (doorbells and such). */
static long long device_counter(const char *key)
{
	char cmd[256], out[16384], pat[64], *line, *k, *eol;

	snprintf(cmd, sizeof(cmd), "%s stats m4", HIPCCTL);
	CHECK_EQ(sh(cmd, out, sizeof(out)), 0);
	line = strstr(out, "m4 device ");
	CHECK(line != NULL);
	eol = strchr(line, '\n');
	snprintf(pat, sizeof(pat), " %s ", key);
	k = strstr(line, pat);
	CHECK(k != NULL && (!eol || k < eol));
	return atoll(k + strlen(pat));
}

/* A fresh directory and hipcd booting the bench firmware with @fwargs. */
static void start(const char *fwargs, const char *extra)
{
	char conf[128];
	FILE *f;

	atexit(cleanup);
	snprintf(dir, sizeof(dir), "/tmp/hipc-msgsock-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(run, sizeof(run), "%s/run", dir);
	CHECK_EQ(mkdir(run, 0700), 0);
	snprintf(sock, sizeof(sock), "%s/m4/sock", run);
	snprintf(conf, sizeof(conf), "%s/hipcd.conf", dir);
	f = fopen(conf, "w");
	CHECK(f != NULL);
	fprintf(f, "[m4]\nfirmware = %s\n%s%s%s%s", FW, *fwargs ? "args = " : "",
		fwargs, *fwargs ? "\n" : "", extra ? extra : "");
	fclose(f);
	fflush(stdout);
	daemon_pid = fork();
	CHECK(daemon_pid >= 0);
	if (daemon_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(HIPCD, HIPCD, "-c", conf, "-r", run, (char *)NULL);
		_exit(127);
	}
	CHECK(wait_ctl("services m4", "hipc-bench-ctl", 10000));
	CHECK_EQ(waitpid(daemon_pid, NULL, WNOHANG), 0);
}

/* python3 msgsock_client.py MODE SOCK/SERVICE ARGS..., in the background. */
static pid_t client(const char *mode, const char *service, const char *args)
{
	char cmd[1024];
	pid_t pid;

	snprintf(cmd, sizeof(cmd), "exec python3 %s %s %s/%s %s", CLIENT_PY,
		 mode, sock, service, args);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The exit status of @pid, killed after @ms. */
static int finish(pid_t pid, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		CHECK(r >= 0);
		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (now_ms() > end) {
			printf("client %d still running after %d ms: killed\n",
			       (int)pid, ms);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(5000);
	}
}

/* A connection to SOCK/@service; -errno if refused. */
static int conn(const char *service)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct timeval tv = { 10, 0 };

	CHECK(fd >= 0);
	CHECK((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", sock,
			       service) < sizeof(sa.sun_path));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	return fd;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* One transfer of @len bytes in one message; the answer checked. */
static void bench_once(int fd, uint32_t len)
{
	static unsigned char msg[8 + 65536];
	unsigned char a[16];

	CHECK(len <= 65536);
	memcpy(msg, "HIPC", 4);
	put32(msg + 4, len);
	memset(msg + 8, 0x5a, len);
	CHECK_EQ(send(fd, msg, 8 + len, 0), (ssize_t)(8 + len));
	CHECK_EQ(recv(fd, a, sizeof(a), 0), 8);
	CHECK_EQ(a[0] | a[1] << 8 | a[2] << 16 | (uint32_t)a[3] << 24, len);
	CHECK_EQ(a[4] | a[5] | a[6] | a[7], 0);
}

/* --- cases ------------------------------------------------------------------- */

/* The seeds' protocol with 3 clients at once, every block size of the
 * seeds' socket table and 64 KiB: whole messages (split by hipcd), the
 * header then 512-byte blocks, 4 KiB blocks; errors reported. */
HIPC_TEST(bench_three_clients)
{
	const char *sizes = "--sizes 512,1024,2048,4096,8192,16384,32768,65536";
	char args[256];
	pid_t a, b, c, d, e;

	start("", NULL);
	snprintf(args, sizeof(args), "%s --count 5", sizes);
	a = client("bench", "hipc-bench", args);
	snprintf(args, sizeof(args), "%s --count 5 --blocks 512", sizes);
	b = client("bench", "hipc-bench", args);
	snprintf(args, sizeof(args), "%s --count 5 --blocks 4096", sizes);
	c = client("bench", "hipc-bench", args);
	d = client("bad", "hipc-bench", "");
	CHECK_EQ(finish(d, 60000), 0);
	/* Any split of the stream, the header's bytes too. */
	snprintf(args, sizeof(args), "%s --count 5 --blocks -1", sizes);
	e = client("bench", "hipc-bench", args);
	CHECK_EQ(finish(a, 60000), 0);
	CHECK_EQ(finish(b, 60000), 0);
	CHECK_EQ(finish(c, 60000), 0);
	CHECK_EQ(finish(e, 60000), 0);
	/* 40 transfers a client, 3 answers for the bad one. */
	CHECK_EQ(counter("hipc-bench", "to_client_msgs"), 4 * 40 + 3);
	CHECK(counter("hipc-bench", "splits") >= 5 * 7);
	CHECK_EQ(counter("hipc-bench", "connections_total"), 5);
	CHECK(wait_ctl("stats m4", "hipc-bench socket connections 0 ", 5000));
}

/*
 * The daemon rings the remote once per round of its loop: a 32 KiB
 * transfer sent as one message (header included) is read and forwarded in
 * one round, 67 rpmsg messages, so at most one doorbell each, however the
 * remote keeps up (it may catch up halfway and ask to be rung again: the
 * ring waits for the round's end).  200 of them, one after the other.
 */
HIPC_TEST(one_doorbell_per_round)
{
	long long before, after;
	int fd;

	start("", NULL);
	fd = conn("hipc-bench");
	CHECK(fd >= 0);
	bench_once(fd, 32768); /* the connection's endpoint announced */
	before = device_counter("doorbells_out");
	for (int i = 0; i < 200; i++)
		bench_once(fd, 32768);
	after = device_counter("doorbells_out");
	close(fd);
	printf("doorbells to the remote: %lld for 200 transfers\n",
	       after - before);
	/* a few spare for whatever else the daemon says to the remote */
	CHECK(after - before <= 200 + 8);
	CHECK_EQ(counter("hipc-bench", "splits"), 201);
}

/* Echoes under concurrency: each client gets exactly its own bytes back,
 * messages up to 100 KB (more than the ring's tx buffers hold at once). */
HIPC_TEST(echo_replies_reach_their_client)
{
	const char *args[] = { "--sizes 16,700,5000,100000 --count 120 --tag a",
			       "--sizes 100000,16,3000 --count 120 --tag bb",
			       "--sizes 496,497,1 --count 300 --tag ccc" };
	pid_t p[3];

	start("", NULL);
	for (int i = 0; i < 3; i++)
		p[i] = client("echo", "hipc-echo", args[i]);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(finish(p[i], 60000), 0);
	CHECK_EQ(counter("hipc-echo", "to_remote_bytes"),
		 counter("hipc-echo", "to_client_bytes"));
	CHECK_EQ(counter("hipc-echo", "dropped_client_gone"), 0);
}

/* Clients that go away mid-message (a transfer's header and part of its
 * data; a 200 KB echo never read) do not disturb the others. */
HIPC_TEST(client_gone_mid_message)
{
	static unsigned char big[200000];
	pid_t a, b;

	start("", NULL);
	a = client("bench", "hipc-bench",
		   "--sizes 512,32768,65536 --count 20 --blocks 1000");
	b = client("echo", "hipc-echo", "--sizes 16,5000,60000 --count 60");
	for (int i = 0; i < 20; i++) {
		unsigned char part[8 + 10000];
		int fd = conn("hipc-bench"), fe = conn("hipc-echo");

		CHECK(fd >= 0 && fe >= 0);
		memcpy(part, "HIPC", 4);
		put32(part + 4, 65536);
		memset(part + 8, 1, sizeof(part) - 8);
		CHECK_EQ(send(fd, part, sizeof(part), 0), (ssize_t)sizeof(part));
		CHECK_EQ(send(fe, big, sizeof(big), 0), (ssize_t)sizeof(big));
		close(fd);
		close(fe);
	}
	CHECK_EQ(finish(a, 60000), 0);
	CHECK_EQ(finish(b, 60000), 0);
	/* Everything let go of; the socket still serves. */
	CHECK(wait_ctl("stats m4", "hipc-echo socket connections 0 ", 5000));
	{
		int fd = conn("hipc-bench");

		CHECK(fd >= 0);
		bench_once(fd, 32768);
		close(fd);
	}
	CHECK_EQ(kill(daemon_pid, 0), 0);
}

/* The remote killed mid-transfer: every client sees the hang-up (end of
 * file or ECONNRESET), none hangs; connecting is refused while it is down;
 * after the restart the same path serves again. */
HIPC_TEST(remote_killed_mid_transfer)
{
	char out[4096], ready[200], cmd[256];
	pid_t p[4];
	pid_t fw;
	int fd;

	start("", "backoff_ms = 3000\nbackoff_max_ms = 3000\n");
	for (int i = 0; i < 4; i++) {
		static const char *const what[4][2] = {
			{ "bench", "--sizes 32768,65536" },
			{ "bench", "--sizes 32768 --blocks 512" },
			{ "echo", "--sizes 100000" },
			{ "echo", "--sizes 16" },
		};

		snprintf(ready, sizeof(ready), "%s/ready%d", dir, i);
		snprintf(cmd, sizeof(cmd), "%s --until-hangup --ready %s",
			 what[i][1], ready);
		p[i] = client(what[i][0],
			      !strcmp(what[i][0], "bench") ? "hipc-bench"
							   : "hipc-echo",
			      cmd);
	}
	/* All four under way (each has had an answer). */
	for (int i = 0; i < 4; i++) {
		snprintf(ready, sizeof(ready), "%s/ready%d", dir, i);
		for (uint64_t end = now_ms() + 60000; access(ready, F_OK) < 0;) {
			CHECK(now_ms() < end);
			usleep(5000);
		}
	}
	snprintf(cmd, sizeof(cmd), "%s status m4", HIPCCTL);
	CHECK_EQ(sh(cmd, out, sizeof(out)), 0);
	fw = (pid_t)atoi(strstr(out, "\npid ") + 5);
	CHECK(fw > 0);
	CHECK_EQ(kill(fw, SIGKILL), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(finish(p[i], 10000), 3);
	/* Down (the restart waits backoff_ms): refused, clearly. */
	CHECK_EQ(conn("hipc-bench"), -ECONNREFUSED);
	for (uint64_t end = now_ms() + 10000;;) {
		fd = conn("hipc-bench");
		if (fd >= 0)
			break;
		CHECK_EQ(fd, -ECONNREFUSED);
		CHECK(now_ms() < end);
		usleep(10000);
	}
	bench_once(fd, 32768);
	bench_once(fd, 65536);
	close(fd);
}

/* 64 connections at once, each with its own endpoint; the 65th refused
 * with ECONNREFUSED; once one closes, connecting works again. */
HIPC_TEST(too_many_connections)
{
	int fds[64], fd;
	char m[32], r[64];

	start("", NULL);
	for (int i = 0; i < 64; i++) {
		fds[i] = conn("hipc-echo");
		CHECK(fds[i] >= 0);
	}
	/* Each one's echo comes back to it (its own rpmsg address). */
	for (int i = 0; i < 64; i++) {
		int n = snprintf(m, sizeof(m), "conn %d", i);

		CHECK_EQ(send(fds[i], m, (size_t)n, 0), n);
	}
	for (int i = 63; i >= 0; i--) {
		int n = snprintf(m, sizeof(m), "conn %d", i);

		CHECK_EQ(recv(fds[i], r, sizeof(r), 0), n);
		CHECK(!memcmp(r, m, (size_t)n));
	}
	CHECK(wait_ctl("stats m4", "limit_hits 1 ", 5000));
	CHECK_EQ(conn("hipc-echo"), -ECONNREFUSED);
	/* Other services are not limited by this one's connections. */
	fd = conn("hipc-bench");
	CHECK(fd >= 0);
	bench_once(fd, 512);
	close(fd);
	close(fds[0]);
	for (uint64_t end = now_ms() + 5000;;) {
		fd = conn("hipc-echo");
		if (fd >= 0)
			break;
		CHECK_EQ(fd, -ECONNREFUSED);
		CHECK(now_ms() < end);
		usleep(5000);
	}
	CHECK_EQ(send(fd, "again", 5, 0), 5);
	CHECK_EQ(recv(fd, r, sizeof(r), 0), 5);
	close(fd);
	for (int i = 1; i < 64; i++)
		close(fds[i]);
}

/*
 * Descriptors passed along with a message are closed by hipcd at once (the
 * message itself is delivered); a message over 1 MiB, possible only to a
 * client that raised its send buffer past it, closes that connection
 * (never a message cut short), counted as too_big; the service goes on.
 */
HIPC_TEST(fds_closed_and_too_big)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cb;
	struct iovec iov = { "with an fd", 10 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cb.buf,
			     .msg_controllen = sizeof(cb.buf) };
	struct cmsghdr *cm;
	int pfd[2], fd, sz = 3 << 20;
	char r[64], *big;

	start("", NULL);
	fd = conn("hipc-echo");
	CHECK(fd >= 0);
	CHECK_EQ(pipe(pfd), 0);
	memset(&cb, 0, sizeof(cb));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pfd[1], sizeof(int));
	CHECK_EQ(sendmsg(fd, &mh, 0), 10);
	close(pfd[1]);
	/* the message went through as sent */
	CHECK_EQ(recv(fd, r, sizeof(r), 0), 10);
	CHECK(!memcmp(r, "with an fd", 10));
	/* and the write end it carried is closed: ours was the last other
	 * copy, so the read end sees the end of the pipe (poll: not a fixed
	 * sleep; the reply above came after hipcd read the message) */
	{
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		CHECK_EQ(poll(&p, 1, 5000), 1);
		CHECK_EQ(read(pfd[0], r, 1), 0);
	}
	close(pfd[0]);

	/* root may force the buffer past the system's limit */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		CHECK_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)),
			 0);
	big = calloc(1, (1u << 20) + 1u);
	CHECK(big != NULL);
	CHECK_EQ(send(fd, big, (1u << 20) + 1u, 0), (ssize_t)(1u << 20) + 1);
	free(big);
	/* closed: no reply, the end of the stream */
	CHECK_EQ(recv(fd, r, sizeof(r), 0), 0);
	close(fd);
	CHECK_EQ(counter("hipc-echo", "too_big"), 1);
	/* the service still serves others */
	fd = conn("hipc-echo");
	CHECK(fd >= 0);
	CHECK_EQ(send(fd, "again", 5, 0), 5);
	CHECK_EQ(recv(fd, r, sizeof(r), 0), 5);
	close(fd);
}

/* A name unfit for a path gets an indexed one under sock/; nothing is
 * made outside the remote's directory. */
HIPC_TEST(unsafe_name)
{
	char path[256], out[8192], cmd[256];
	struct stat st;
	pid_t p;

	start("--echo-as ../evil", NULL);
	CHECK(wait_ctl("services m4", "../evil", 5000));
	snprintf(cmd, sizeof(cmd), "%s services m4", HIPCCTL);
	CHECK_EQ(sh(cmd, out, sizeof(out)), 0);
	CHECK(strstr(out, "/m4/sock/@") != NULL);
	snprintf(path, sizeof(path), "%s/m4/evil", run);
	CHECK(stat(path, &st) < 0);
	snprintf(path, sizeof(path), "%s/evil", run);
	CHECK(stat(path, &st) < 0);
	/* The indexed socket works: "@" then the service's number. */
	{
		const char *at = strstr(out, "/m4/sock/@") + strlen("/m4/sock/");
		char name[16];
		size_t n = strcspn(at, " \n");

		CHECK(n < sizeof(name));
		memcpy(name, at, n);
		name[n] = 0;
		p = client("echo", name, "--sizes 16,1000 --count 10");
		CHECK_EQ(finish(p, 20000), 0);
	}
}

/* A client that never reads its replies: queued, then held, then, once
 * it stalls the remote for stall_ms, disconnected; the others carry on. */
HIPC_TEST(slow_reader_evicted)
{
	static unsigned char big[150000];
	pid_t p;
	int fd;

	start("", "queue_kb = 16\nstall_ms = 300\n");
	fd = conn("hipc-echo");
	CHECK(fd >= 0);
	/* Echoes nobody reads, until the daemon gives up on the reader
	 * (sends may block meanwhile, and fail once it is gone). */
	for (uint64_t end = now_ms() + 20000;;) {
		ssize_t n = send(fd, big, sizeof(big),
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		CHECK(n == (ssize_t)sizeof(big) || errno == EAGAIN ||
		      errno == EPIPE || errno == ECONNRESET);
		if (counter("hipc-echo", "rxq_evictions") == 1)
			break;
		CHECK(now_ms() < end);
		usleep(n < 0 ? 20000 : 1000);
	}
	CHECK(counter("hipc-echo", "rxq_holds") > 0);
	p = client("echo", "hipc-echo", "--sizes 16,5000 --count 50");
	CHECK_EQ(finish(p, 20000), 0);
	p = client("bench", "hipc-bench", "--sizes 32768 --count 10");
	CHECK_EQ(finish(p, 20000), 0);
	/* What was queued for it before the eviction, then end of file. */
	for (;;) {
		unsigned char r[600];
		ssize_t n = recv(fd, r, sizeof(r), 0);

		CHECK(n >= 0 || errno == ECONNRESET);
		if (n <= 0)
			break;
	}
	close(fd);
}

/* The service withdrawn (a name-service destroy, the remote still up):
 * its connection hangs up, connecting is refused; announced again, the
 * same path serves.  Other services are not touched. */
HIPC_TEST(service_withdrawn_and_back)
{
	char r[64];
	int ctl, e, b;

	start("", NULL);
	ctl = conn("hipc-bench-ctl");
	e = conn("hipc-echo");
	b = conn("hipc-bench");
	CHECK(ctl >= 0 && e >= 0 && b >= 0);
	CHECK_EQ(send(e, "before", 6, 0), 6);
	CHECK_EQ(recv(e, r, sizeof(r), 0), 6);
	CHECK_EQ(send(ctl, "withdraw-echo", 13, 0), 13);
	CHECK_EQ(recv(ctl, r, sizeof(r), 0), 2);
	CHECK_EQ(recv(e, r, sizeof(r), 0), 0); /* hung up */
	close(e);
	CHECK(wait_ctl("services m4", "down", 5000));
	CHECK_EQ(conn("hipc-echo"), -ECONNREFUSED);
	bench_once(b, 32768);
	CHECK_EQ(send(ctl, "announce-echo", 13, 0), 13);
	CHECK_EQ(recv(ctl, r, sizeof(r), 0), 2);
	for (uint64_t end = now_ms() + 5000;;) {
		e = conn("hipc-echo");
		if (e >= 0)
			break;
		CHECK_EQ(e, -ECONNREFUSED);
		CHECK(now_ms() < end);
		usleep(5000);
	}
	CHECK_EQ(send(e, "after", 5, 0), 5);
	CHECK_EQ(recv(e, r, sizeof(r), 0), 5);
	bench_once(b, 32768);
	close(e);
	close(b);
	close(ctl);
}

/* Withdrawn while a client has not read its echoes, some of them still in
 * the remote's rx buffers: the client reads every byte, then end of file;
 * the buffers go back to the remote (transfers run as before). */
HIPC_TEST(withdrawn_with_held_replies)
{
	static unsigned char m[20000];
	long long sent = 0, got = 0;
	char r[1000];
	int ctl, e, b;

	start("", "queue_kb = 16\n");
	ctl = conn("hipc-bench-ctl");
	e = conn("hipc-echo");
	b = conn("hipc-bench");
	CHECK(ctl >= 0 && e >= 0 && b >= 0);
	memset(m, 'x', sizeof(m));
	for (uint64_t end = now_ms() + 20000;
	     counter("hipc-echo", "rxq_holds") == 0;) {
		CHECK(now_ms() < end);
		CHECK_EQ(send(e, m, sizeof(m), 0), (ssize_t)sizeof(m));
		sent += (long long)sizeof(m);
		usleep(100000);
	}
	CHECK_EQ(send(ctl, "withdraw-echo", 13, 0), 13);
	CHECK_EQ(recv(ctl, r, sizeof(r), 0), 2);
	for (;;) {
		ssize_t n = recv(e, r, sizeof(r), 0);

		CHECK(n >= 0);
		if (!n)
			break;
		for (ssize_t i = 0; i < n; i++)
			CHECK_EQ(r[i], 'x');
		got += n;
	}
	CHECK_EQ(got, sent);
	close(e);
	for (int i = 0; i < 100; i++)
		bench_once(b, 65536);
	close(b);
	close(ctl);
}

/* socat, a program that knows nothing of hipc, as a client: it shuts
 * down writing after its input, and still gets the echo. */
HIPC_TEST(socat_client)
{
	char cmd[512], out[256];

	start("", NULL);
	snprintf(cmd, sizeof(cmd),
		 "echo 'hello from socat' | timeout 10 socat -t 2 - "
		 "UNIX-CONNECT:%s/hipc-echo,type=5", sock);
	CHECK_EQ(sh(cmd, out, sizeof(out)), 0);
	CHECK(!strcmp(out, "hello from socat\n"));
}

HIPC_TEST_MAIN(HIPC_CASE(socat_client),
	       HIPC_CASE(service_withdrawn_and_back),
	       HIPC_CASE(withdrawn_with_held_replies), HIPC_CASE(bench_three_clients),
	       HIPC_CASE(echo_replies_reach_their_client),
	       HIPC_CASE(one_doorbell_per_round),
	       HIPC_CASE(client_gone_mid_message),
	       HIPC_CASE(remote_killed_mid_transfer),
	       HIPC_CASE(too_many_connections), HIPC_CASE(unsafe_name),
	       HIPC_CASE(fds_closed_and_too_big),
	       HIPC_CASE(slow_reader_evicted))
