/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hipcd killed (SIGKILL) and started again while a client holds an
 * endpoint device (hipc/rpmsg_char.h) open and streams checked messages
 * (fault_proto.h) through it to the fault suite's firmware, doorbell
 * faults on in the daemon and the firmware.  The client must see an error
 * (never a hang, never a wrong message), reopen once the new daemon serves
 * the remote again, and carry on; every answer arrives intact, in order,
 * exactly once per session.
 *
 *   test-hipcd-restart [KILLS]     the seed from SEED= (else the clock)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/rpmsg_char.h"
#include "hipc_test.h"
#include "fault_proto.h"

#define HIPCD HIPC_BUILD_DIR "/tools/hipcd/hipcd"
#define FW HIPC_BUILD_DIR "/tests/faults/hipc-fw-faults"
#define MS 1000000ull

static char dir[64];
static pid_t daemon_pid = -1;

static void cleanup(void)
{
	char cmd[128];

	if (daemon_pid > 0) {
		kill(daemon_pid, SIGKILL);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = -1;
	}
	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		dir[0] = 0;
	}
}

static void start_daemon(void)
{
	char conf[128], run[128], log[128], ctrl[160];
	uint64_t end = hipc_now_ns() + 10000 * MS;
	struct stat st;

	snprintf(conf, sizeof(conf), "%s/hipcd.conf", dir);
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(log, sizeof(log), "%s/hipcd.log", dir);
	snprintf(ctrl, sizeof(ctrl), "%s/m4/rpmsg_ctrl", run);
	daemon_pid = fork();
	CHECK(daemon_pid >= 0);
	if (daemon_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0)
			dup2(fd, 2);
		execl(HIPCD, HIPCD, "-c", conf, "-r", run, (char *)NULL);
		_exit(127);
	}
	/* Its control socket appears once the remote is up. */
	while (stat(ctrl, &st) != 0) {
		CHECK(hipc_now_ns() < end);
		CHECK(waitpid(daemon_pid, NULL, WNOHANG) == 0);
		poll(NULL, 0, 10);
	}
}

static uint64_t rng;

static uint64_t next_rand(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Open the endpoint, retrying while the new daemon brings the remote up
 * and the service is not announced yet. */
static struct hipc_rpmsg_char_dev *reopen(const char *run)
{
	uint64_t end = hipc_now_ns() + 10000 * MS;
	struct hipc_rpmsg_char_dev *dev = NULL;
	int ret;

	for (;;) {
		hipc_rpmsg_char_exit();
		ret = hipc_rpmsg_char_init(run);
		if (ret == 0)
			ret = hipc_rpmsg_char_open(&dev, "m4", FP_SERVICE,
						   HIPC_CTRL_ADDR_ANY,
						   HIPC_CTRL_ADDR_ANY, NULL, 0);
		if (ret == 0)
			return dev;
		if (hipc_now_ns() >= end) {
			printf("reopen: %s\n", hipc_strerror(ret));
			CHECK(0);
		}
		poll(NULL, 0, 10);
	}
}

int main(int argc, char **argv)
{
	const char *s = getenv("SEED");
	uint64_t seed = s && *s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL);
	unsigned kills = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 2;
	unsigned nmsgs = 600, kill_at[8], done_kills = 0, errors_seen = 0;
	uint64_t next_seq = 0, expect_ack = 0, expect_rseq = 0, acked = 0;
	uint64_t end = hipc_now_ns() + 60000 * MS;
	struct hipc_rpmsg_char_dev *dev, *old;
	char run[128], path[128];
	FILE *f;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (kills > 8)
		kills = 8;
	rng = seed;
	for (unsigned i = 0; i < kills; i++)
		kill_at[i] = (unsigned)(next_rand() % nmsgs);
	/* sorted, so each is reached in turn */
	for (unsigned i = 1; i < kills; i++)
		for (unsigned j = i; j > 0 && kill_at[j - 1] > kill_at[j]; j--) {
			unsigned t = kill_at[j];

			kill_at[j] = kill_at[j - 1];
			kill_at[j - 1] = t;
		}
	if (!getenv("HIPC_FAULTS")) {
		char spec[128];

		snprintf(spec, sizeof(spec), "seed=%" PRIu64
			 ",drop=0.02,dup=0.02,delay=0.02", seed * 2 + 1);
		setenv("HIPC_FAULTS", spec, 1);
		snprintf(spec, sizeof(spec), "seed=%" PRIu64
			 ",drop=0.02,dup=0.02,delay=0.02", seed * 2 + 2);
		setenv("HIPC_FAULTS_REMOTE", spec, 1);
		setenv("HIPC_RECHECK_MS", "20", 0);
	}
	printf("seed %" PRIu64 ": %u messages, hipcd killed %u times\n"
	       "  HIPC_FAULTS=%s\n  HIPC_FAULTS_REMOTE=%s\n", seed, nmsgs, kills,
	       getenv("HIPC_FAULTS"), getenv("HIPC_FAULTS_REMOTE"));

	snprintf(dir, sizeof(dir), "/tmp/hipc-faults.XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	atexit(cleanup);
	snprintf(run, sizeof(run), "%s/run", dir);
	CHECK_EQ(mkdir(run, 0700), 0);
	snprintf(path, sizeof(path), "%s/hipcd.conf", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	/* The daemon's link is polled by its epoll loop: IRQ mode. */
	fprintf(f, "[m4]\nfirmware = %s\n", FW);
	fclose(f);

	start_daemon();
	dev = reopen(run);
	while (acked < nmsgs) {
		struct pollfd p = { .fd = dev->fd, .events = POLLIN };
		struct fp_msg m;
		uint8_t buf[512];
		int n;

		CHECK(hipc_now_ns() < end);
		if (done_kills < kills && acked >= kill_at[done_kills] &&
		    daemon_pid > 0) {
			printf("kill hipcd pid %d after %" PRIu64 " answers\n",
			       (int)daemon_pid, acked);
			kill(daemon_pid, SIGKILL);
			CHECK_EQ(waitpid(daemon_pid, NULL, 0), daemon_pid);
			daemon_pid = -1;
			done_kills++;
		}
		/* Two in flight at most. */
		while (next_seq - expect_ack < 2 &&
		       acked + (next_seq - expect_ack) < nmsgs) {
			size_t len;

			memset(&m, 0, sizeof(m));
			len = fp_fill(&m, FP_DATA, next_seq, 0);
			n = hipc_rpmsg_char_send(dev, &m, len);
			if (n < 0)
				break;
			CHECK_EQ(n, (int)len);
			next_seq++;
		}
		if (next_seq != expect_ack && poll(&p, 1, 5000) == 0) {
			printf("no answer for 5 s\n");
			CHECK(0);
		}
		n = next_seq != expect_ack ? hipc_rpmsg_char_recv(dev, buf,
								   sizeof(buf))
					   : -HIPC_ECONNRESET;
		if (n <= 0) {
			/* The daemon went: an error, never a hang. */
			printf("client saw: %s; reopening\n",
			       n ? hipc_strerror(n) : "end of file");
			CHECK(done_kills > 0);
			errors_seen++;
			if (daemon_pid < 0)
				start_daemon();
			/* The old device closed only once the new one is
			 * open: the new daemon gave it the same rpmsgN, and
			 * the old one's close must not take it away. */
			old = dev;
			dev = reopen(run);
			CHECK_EQ(hipc_rpmsg_char_close(old), 0);
			/* what was in flight went with the old daemon */
			expect_ack = next_seq;
			expect_rseq = 0;
			continue;
		}
		CHECK_EQ(fp_check(&m, buf, (size_t)n), 0);
		CHECK_EQ(m.kind, FP_DATA);
		CHECK_EQ(m.seq, expect_rseq);
		CHECK_EQ(m.ack, expect_ack);
		CHECK_EQ(m.bad, 0);
		expect_rseq++;
		expect_ack++;
		acked++;
	}
	CHECK_EQ(done_kills, kills);
	CHECK_EQ(errors_seen, kills);
	hipc_rpmsg_char_close(dev);
	hipc_rpmsg_char_exit();
	printf("PASS seed %" PRIu64 ": %" PRIu64 " answers, %u daemon kills, "
	       "%u client errors\n", seed, acked, done_kills, errors_seen);
	return 0;
}
