/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TTYs end to end (docs/interfaces.md, "TTYs"): hipcd runs firmware/tty, which
 * announces "rpmsg-tty" and echoes every byte, and real programs use
 * RUN_DIR/m4/ttyRPMSG0: stty, dd, cat, head, sha256sum, socat as the
 * terminal program, and tests/tty/ttyio.py (Python's standard library) for
 * the block matrix and the slow reader.
 *
 * Each case has its own run directory and daemon; both go, with every
 * program the case started, when it ends, passed or failed (atexit).
 * Every wait polls a condition against a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hipc_test.h"

#define HIPCD HIPC_BUILD_DIR "/tools/hipcd/hipcd"
#define HIPCCTL HIPC_BUILD_DIR "/tools/hipcctl/hipcctl"
#define TTY_FW HIPC_BUILD_DIR "/firmware/tty/hipc-fw-tty"
#define TTYIO HIPC_TTY_TEST_DIR "/ttyio.py"

static char dir[64];
static char run[96];
static char link_[160];
static pid_t daemon_pid = -1;
static pid_t jobs[8];
static unsigned njobs;
static bool case_done; /* finish() reached: nothing to explain */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Waits for @pid until @ms have passed; its status, or -1 if it runs on. */
static int wait_pid(pid_t pid, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0 || now_ms() >= end)
			return -1;
		usleep(2000);
	}
}

static void cleanup(void)
{
	char cmd[128];

	/* Every group first: a program blocked in write(2) on the tty holds
	 * its write lock, and one waiting for that lock (tcsetattr) does not
	 * die before the writer has. */
	for (unsigned i = 0; i < njobs; i++)
		if (jobs[i] > 0)
			kill(-jobs[i], SIGKILL);
	for (unsigned i = 0; i < njobs; i++)
		if (jobs[i] > 0)
			waitpid(jobs[i], NULL, 0);
	njobs = 0;
	if (dir[0] && !case_done) {
		/* A failed case: what the daemon said, before it goes. */
		snprintf(cmd, sizeof(cmd), "tail -n 60 '%s/hipcd.log'", dir);
		printf("--- hipcd.log ---\n");
		fflush(stdout);
		if (system(cmd) != 0)
			printf("(no log)\n");
	}
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		if (wait_pid(daemon_pid, 5000) == -1) {
			kill(daemon_pid, SIGKILL);
			waitpid(daemon_pid, NULL, 0);
		}
		daemon_pid = -1;
	}
	if (dir[0] && !getenv("HIPC_TEST_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("could not remove %s\n", dir);
	}
	dir[0] = '\0';
}

/* bash -c "set -euo pipefail; cd DIR; L=LINK; @fmt", in its own process
 * group so cleanup() reaches every program it starts. */
static pid_t spawn_sh(const char *fmt, ...)
{
	char body[4096], full[4400];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full),
		 "set -euo pipefail; cd '%s'; L='%s'; TTYIO='%s'; %s", dir,
		 link_, TTYIO, body);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl("/bin/bash", "bash", "-c", full, (char *)NULL);
		_exit(127);
	}
	setpgid(pid, pid);
	CHECK(njobs < sizeof(jobs) / sizeof(jobs[0]));
	jobs[njobs++] = pid;
	return pid;
}

/* Forgets @pid (reaped). */
static void job_done(pid_t pid)
{
	for (unsigned i = 0; i < njobs; i++)
		if (jobs[i] == pid)
			jobs[i] = -1;
}

/* Runs a script to its end (at most @ms); its exit status. */
static int sh_wait(unsigned ms, const char *fmt, ...)
{
	char body[4096];
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	pid = spawn_sh("%s", body);
	st = wait_pid(pid, ms);
	if (st == -1) {
		printf("script still running after %u ms: %s\n", ms, body);
		return -1;
	}
	job_done(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* hipcctl @args into @out; its exit status. */
static int ctl(const char *args, char *out, size_t len)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "HIPC_RUN_DIR=%s %s %s", run, HIPCCTL,
		 args);
	return hipc_test_capture(cmd, out, len);
}

/* One counter of the tty's line in "hipcctl stats", or -1. */
static long long tty_stat(const char *key)
{
	char out[8192], pat[64], *line, *p;

	if (ctl("stats m4", out, sizeof(out)) != 0)
		return -1;
	line = strstr(out, " tty ");
	if (!line)
		return -1;
	snprintf(pat, sizeof(pat), " %s ", key);
	p = strstr(line, pat);
	return p ? atoll(p + strlen(pat)) : -1;
}

/* The link exists, points at a pty, and @key is at least @min (-1: any). */
static bool wait_link(const char *key, long long min, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	char target[128];

	for (;;) {
		ssize_t n = readlink(link_, target, sizeof(target) - 1);

		if (n > 0) {
			target[n] = 0;
			if (!strncmp(target, "/dev/pts/", 9) &&
			    (!key || tty_stat(key) >= min))
				return true;
		}
		if (now_ms() >= end || waitpid(daemon_pid, NULL, WNOHANG) != 0)
			return false;
		usleep(5000);
	}
}

static bool wait_file(const char *name, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	char path[192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	while (stat(path, &st) < 0) {
		if (now_ms() >= end)
			return false;
		usleep(5000);
	}
	return true;
}

/* A run directory, a configuration for remote "m4" running firmware/tty
 * with @fw_args and the lines @extra, and hipcd on it; the tty's link is
 * there when this returns. */
static void start(const char *fw_args, const char *extra)
{
	static bool registered;
	char conf[128], logp[128];
	FILE *f;


	cleanup(); /* the previous case's, when run one after another */
	if (!registered)
		atexit(cleanup);
	registered = true;
	case_done = false;
	snprintf(dir, sizeof(dir), "/tmp/hipc-tty-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(run, sizeof(run), "%s/run", dir);
	CHECK_EQ(mkdir(run, 0700), 0);
	snprintf(link_, sizeof(link_), "%s/m4/ttyRPMSG0", run);
	snprintf(conf, sizeof(conf), "%s/hipcd.conf", dir);
	f = fopen(conf, "w");
	CHECK(f != NULL);
	fprintf(f, "[m4]\nfirmware = %s\npolicy = restart\nbackoff_ms = 5\n%s",
		TTY_FW, extra);
	if (fw_args[0])
		fprintf(f, "args = %s\n", fw_args);
	fclose(f);
	snprintf(logp, sizeof(logp), "%s/hipcd.log", dir);
	fflush(stdout);
	daemon_pid = fork();
	CHECK(daemon_pid >= 0);
	if (daemon_pid == 0) {
		int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		setenv("HIPC_RUN_DIR", run, 1);
		execl(HIPCD, HIPCD, "-c", conf, (char *)NULL);
		_exit(127);
	}
	if (!wait_link("ptys", 1, 10000)) {
		sh_wait(5000, "cat hipcd.log >&2");
		CHECK(!"no ttyRPMSG0 link");
	}
}

/* The case's end: hipcd stops cleanly on SIGTERM (a sanitizer's report
 * would make its exit status non-zero) and takes the link with it. */
static void finish(void)
{
	struct stat st;
	int status;

	CHECK(daemon_pid > 0);
	CHECK_EQ(kill(daemon_pid, SIGTERM), 0);
	status = wait_pid(daemon_pid, 10000);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("hipcd did not exit cleanly (status 0x%x):\n", status);
		sh_wait(5000, "cat hipcd.log");
		CHECK(!"hipcd's exit");
	}
	daemon_pid = -1;
	CHECK(lstat(link_, &st) < 0 && errno == ENOENT);
	case_done = true;
	cleanup();
}

/* @mib MiB of random bytes written with dd through the tty, read back with
 * head, SHA-256 equal; the rate printed (a figure, not a check). */
static void sha_through(unsigned long long mib)
{
	uint64_t t0;

	start("", "");
	t0 = now_ms();
	CHECK_EQ(sh_wait(900000,
		"N=$((%llu * 1048576))\n"
		"stty -F \"$L\" raw -echo\n"
		"head -c $N < \"$L\" | sha256sum | cut -d' ' -f1 > out.sum &\n"
		"R=$!\n"
		"mkfifo in.fifo\n"
		"sha256sum < in.fifo | cut -d' ' -f1 > in.sum &\n"
		"S=$!\n"
		"head -c $N /dev/urandom | tee in.fifo | dd of=\"$L\" bs=64K status=none\n"
		"wait $S\n"
		"wait $R\n"
		"cmp in.sum out.sum\n"
		"echo \"sha256 $(cat out.sum) both ways\"\n", mib), 0);
	printf("tty: %llu MiB echoed in %.2f s: %.1f MB/s each way\n", mib,
	       (now_ms() - t0) / 1000.0,
	       mib * 1048576.0 / 1e6 / ((now_ms() - t0) / 1000.0));
	finish();
}

HIPC_TEST(sha_64mib)
{
	sha_through(64);
}

HIPC_TEST(sha_1gib)
{
	sha_through(1024);
}

/* The seeds' block matrix and 32 KiB blocks, three runs of each on one
 * open tty, no hang (the published kernel TTY hung past 5-6 KB a run). */
HIPC_TEST(block_matrix)
{
	start("", "");
	CHECK_EQ(sh_wait(120000, "stty -F \"$L\" raw -echo\n"
				 "python3 \"$TTYIO\" blocks \"$L\" 3\n"
				 "python3 \"$TTYIO\" latency \"$L\" 200\n"), 0);
	finish();
}

/*
 * A reader much slower than the writer: the reader stops after 1 MiB; the
 * writer (dd) must then be blocked, with what went to the remote bounded
 * by the buffers on the way, and nothing lost when the reader reads on.
 * stall_ms = 0: the remote may wait on this reader for ever (the default
 * would hang the line up after 2 s of stall, see docs/interfaces.md, "TTYs").
 */
HIPC_TEST(slow_reader_blocks_writer)
{
	long long sent, prev = -1, stop_at = 1 << 20;
	uint64_t end;
	pid_t reader, writer;
	int st, stable = 0;

	start("", "stall_ms = 0\n");
	CHECK_EQ(sh_wait(20000, "stty -F \"$L\" raw -echo\n"
				"head -c 16M /dev/urandom > data\n"), 0);
	reader = spawn_sh("exec python3 \"$TTYIO\" slowread \"$L\" %d %lld "
			  "go out", 16 << 20, stop_at);
	writer = spawn_sh("dd if=data of=\"$L\" bs=64K status=none; "
			  "echo $? > dd.rc");
	CHECK(wait_file("go.stopped", 20000));
	/* The writer's bytes stop going anywhere: blocked. */
	end = now_ms() + 20000;
	while (stable < 5) {
		CHECK(now_ms() < end);
		usleep(50000);
		sent = tty_stat("tx_bytes");
		CHECK(sent >= 0);
		stable = sent == prev ? stable + 1 : 0;
		prev = sent;
	}
	printf("reader stopped at %lld bytes; the tty took %lld more, then "
	       "the writer blocked\n", stop_at, sent - stop_at);
	CHECK(sent < stop_at + (3 << 20));
	CHECK(tty_stat("tx_waits") > 0);
	CHECK(tty_stat("holds") > 0);
	CHECK_EQ(waitpid(writer, &st, WNOHANG), 0); /* still in write(2) */
	CHECK_EQ(sh_wait(5000, "touch go"), 0);
	st = wait_pid(reader, 60000);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	job_done(reader);
	st = wait_pid(writer, 10000);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	job_done(writer);
	CHECK_EQ(sh_wait(20000, "test \"$(cat dd.rc)\" = 0\ncmp data out\n"), 0);
	CHECK_EQ(tty_stat("evictions"), 0);
	CHECK_EQ(tty_stat("rx_lost"), 0);
	CHECK_EQ(tty_stat("tx_bytes"), 16 << 20);
	CHECK_EQ(tty_stat("rx_bytes"), 16 << 20);
	finish();
}

/* A reader throttled far below the writer and the remote, with the default
 * stall_ms: it keeps reading, so the buffers held for it keep going back;
 * the remote is slowed (holds), the writer waits (tx_waits), nobody is
 * evicted, nothing is lost. */
HIPC_TEST(throttled_reader_default_stall)
{
	pid_t reader;
	int st;

	start("", "");
	CHECK_EQ(sh_wait(20000, "stty -F \"$L\" raw -echo\n"
				"head -c 24M /dev/urandom > data\ntouch go\n"),
		 0);
	reader = spawn_sh("exec python3 \"$TTYIO\" slowread \"$L\" %d 1 go "
			  "out", 24 << 20);
	/* Writing before the reader has the tty open would leave the remote
	 * starved for as long as python takes to start, which the default
	 * stall_ms rightly calls a stalled reader on a loaded machine. */
	CHECK_EQ(sh_wait(60000, "while [ ! -e out.ready ]; do sleep 0.02; done"),
		 0);
	CHECK_EQ(sh_wait(120000, "dd if=data of=\"$L\" bs=64K status=none"),
		 0);
	st = wait_pid(reader, 60000);
	CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	job_done(reader);
	CHECK_EQ(sh_wait(20000, "cmp data out"), 0);
	printf("holds %lld, tx_waits %lld, evictions %lld\n",
	       tty_stat("holds"), tty_stat("tx_waits"), tty_stat("evictions"));
	CHECK(tty_stat("holds") > 0);
	CHECK_EQ(tty_stat("evictions"), 0);
	CHECK_EQ(tty_stat("rx_lost"), 0);
	finish();
}

/* A remote slower than the writer: tx buffers run out, the writer blocks,
 * nothing is lost. */
HIPC_TEST(slow_remote_blocks_writer)
{
	start("--slow-us 200", "");
	CHECK_EQ(sh_wait(120000,
		"stty -F \"$L\" raw -echo\n"
		"head -c 2M /dev/urandom > data\n"
		"head -c 2M < \"$L\" > out &\n"
		"R=$!\n"
		"dd if=data of=\"$L\" bs=64K status=none\n"
		"wait $R\n"
		"cmp data out\n"), 0);
	CHECK(tty_stat("tx_waits") > 0);
	CHECK_EQ(tty_stat("rx_lost"), 0);
	finish();
}

/* A reader that stops for good, with the default stall limit (here
 * 300 ms): the line is hung up, the writer sees EIO instead of hanging,
 * and a fresh line works behind the same link. */
HIPC_TEST(stalled_reader_hung_up)
{
	pid_t holder;
	int st;

	start("", "stall_ms = 300\n");
	CHECK_EQ(sh_wait(5000, "stty -F \"$L\" raw -echo\n"), 0);
	/* Has the tty open and never reads it. */
	holder = spawn_sh("exec sleep 600 < \"$L\"");
	st = sh_wait(60000, "head -c 64M /dev/zero | dd of=\"$L\" bs=64K "
			    "status=none");
	CHECK(st != 0 && st != -1); /* dd: write error: EIO */
	CHECK(wait_link("ptys", 2, 5000));
	CHECK(tty_stat("evictions") >= 1);
	CHECK(tty_stat("hangups") >= 1);
	kill(-holder, SIGKILL);
	wait_pid(holder, 5000);
	job_done(holder);
	/* The remote is still up and still sends what it echoes of the
	 * writer's bytes it had taken: the new line gets that first. */
	CHECK_EQ(sh_wait(20000,
		"python3 \"$TTYIO\" echo \"$L\" again --after-stale\n"), 0);
	finish();
}

/* The older name, socat as the terminal program, and the pty's mode (the
 * remote's socket_mode, 0660 by default, not devpts's 0620). */
HIPC_TEST(old_name_and_socat)
{
	char out[4096];

	start("--old-name", "");
	CHECK_EQ(ctl("services m4", out, sizeof(out)), 0);
	CHECK(strstr(out, "rpmsg-tty-channel") && strstr(out, "ttyRPMSG0"));
	CHECK_EQ(sh_wait(5000, "test \"$(stat -L -c %%a \"$L\")\" = 660"), 0);
	/* socat ends 5 s after its input does (-t): it cannot be told that
	 * the reply is complete, so it is given ample time for it. */
	CHECK_EQ(sh_wait(20000,
		"test \"$(printf 'hello, remote\\n' | timeout 20 socat -t 5 - "
		"FILE:\"$L\",raw,echo=0)\" = 'hello, remote'\n"), 0);
	finish();
}

/*
 * The firmware killed mid-transfer: the reader (cat) and the writer (dd)
 * both see the hang-up and end, what was read is a prefix of what was
 * written (nothing duplicated or corrupted), and once the remote is back
 * the same link works again.
 */
HIPC_TEST(kill_mid_transfer)
{
	char out[4096], *p;
	pid_t reader, writer, fw;
	struct stat st_out;
	char path[192];
	uint64_t end;
	int st;

	start("", "");
	CHECK_EQ(sh_wait(20000, "stty -F \"$L\" raw -echo\n"
				"head -c 64M /dev/urandom > data\n"), 0);
	reader = spawn_sh("set +e; cat \"$L\" > out; echo $? > cat.rc");
	writer = spawn_sh("set +e; dd if=data of=\"$L\" bs=64K status=none; "
			  "echo $? > dd.rc");
	snprintf(path, sizeof(path), "%s/out", dir);
	end = now_ms() + 30000;
	while (stat(path, &st_out) < 0 || st_out.st_size < (4 << 20)) {
		CHECK(now_ms() < end);
		usleep(5000);
	}
	CHECK_EQ(ctl("status m4", out, sizeof(out)), 0);
	p = strstr(out, "\npid ");
	CHECK(p != NULL);
	fw = (pid_t)atoi(p + 5);
	CHECK(fw > 0);
	CHECK_EQ(kill(fw, SIGKILL), 0);
	st = wait_pid(reader, 10000);
	CHECK(st != -1);
	job_done(reader);
	st = wait_pid(writer, 10000);
	CHECK(st != -1);
	job_done(writer);
	CHECK_EQ(sh_wait(60000,
		"test \"$(cat dd.rc)\" != 0\n"
		"n=$(stat -c %%s out)\n"
		"test $n -lt $(stat -c %%s data)\n"
		"cmp -n $n data out\n"
		"echo \"reader got $n bytes, a prefix; cat exit $(cat cat.rc)\"\n"),
		0);
	CHECK(wait_link("ptys", 2, 10000));
	CHECK(tty_stat("hangups") >= 1);
	CHECK_EQ(sh_wait(20000,
		"stty -F \"$L\" raw -echo\n"
		"python3 \"$TTYIO\" echo \"$L\" back\n"), 0);
	finish();
}

/* hipcctl stop: the line is hung up and the link goes; start: it is back,
 * to a new pty, and works. */
HIPC_TEST(stop_start)
{
	char out[4096];
	struct stat st;
	pid_t reader;
	int status;

	start("", "");
	CHECK_EQ(sh_wait(5000, "stty -F \"$L\" raw -echo\n"), 0);
	reader = spawn_sh("exec 3< \"$L\"; touch opened; set +e; "
			  "cat <&3 > out; echo $? > cat.rc");
	CHECK(wait_file("opened", 5000));
	CHECK_EQ(ctl("stop m4", out, sizeof(out)), 0);
	status = wait_pid(reader, 10000);
	CHECK(status != -1); /* cat saw the hang-up */
	job_done(reader);
	CHECK(lstat(link_, &st) < 0 && errno == ENOENT);
	CHECK_EQ(ctl("services m4", out, sizeof(out)), 0);
	CHECK(strstr(out, "down") != NULL);
	CHECK_EQ(ctl("start m4", out, sizeof(out)), 0);
	CHECK(wait_link("ptys", 2, 10000));
	CHECK_EQ(sh_wait(20000,
		"python3 \"$TTYIO\" echo \"$L\" again\n"), 0);
	finish();
}

/* The service withdrawn and announced again while the remote runs on
 * (firmware --cycle-after): the line hangs up, comes back behind the same
 * link, and works. */
HIPC_TEST(withdraw_and_announce)
{
	pid_t reader;
	int status;

	start("--cycle-after 4096", "");
	CHECK_EQ(sh_wait(5000, "stty -F \"$L\" raw -echo\n"), 0);
	reader = spawn_sh("exec 3< \"$L\"; touch opened; set +e; "
			  "cat <&3 > out; echo $? > cat.rc");
	CHECK(wait_file("opened", 5000));
	/* The firmware withdraws after 4096 bytes: dd may still be writing
	 * then, and the hang-up ends it with EIO.  Either way is right;
	 * what matters is below. */
	CHECK_EQ(sh_wait(20000, "head -c 8192 /dev/urandom > data\n"
				"dd if=data of=\"$L\" bs=512 status=none || "
				"echo \"dd ended by the hang-up\"\n"), 0);
	status = wait_pid(reader, 10000);
	CHECK(status != -1); /* cat saw the hang-up */
	job_done(reader);
	CHECK(wait_link("ptys", 2, 10000));
	CHECK(tty_stat("hangups") >= 1);
	CHECK_EQ(sh_wait(30000,
		/* What cat read before the hang-up (bytes not read by
		 * then go with the line): a prefix, nothing else. */
		"n=$(stat -c %%s out)\n"
		"cmp -n $n data out\n"
		"echo \"cat read $n bytes before the hang-up\"\n"
		"python3 \"$TTYIO\" echo \"$L\" again\n"), 0);
	finish();
}

/* Two tty services on one remote: ttyRPMSG0 and ttyRPMSG1, in the order
 * announced, each its own line. */
HIPC_TEST(two_ttys)
{
	char out[4096];

	start("--both", "");
	CHECK(wait_file("run/m4/ttyRPMSG1", 5000));
	CHECK_EQ(ctl("services m4", out, sizeof(out)), 0);
	CHECK(strstr(out, "ttyRPMSG0") && strstr(out, "ttyRPMSG1"));
	CHECK_EQ(sh_wait(60000,
		"L1=\"${L%%0}1\"\n"
		"stty -F \"$L\" raw -echo; stty -F \"$L1\" raw -echo\n"
		"head -c 4M /dev/urandom > d0; head -c 3M /dev/urandom > d1\n"
		"head -c 4M < \"$L\" > o0 & R0=$!\n"
		"head -c 3M < \"$L1\" > o1 & R1=$!\n"
		"dd if=d0 of=\"$L\" bs=64K status=none & W0=$!\n"
		"dd if=d1 of=\"$L1\" bs=64K status=none\n"
		"wait $W0 $R0 $R1\n"
		"cmp d0 o0\ncmp d1 o1\n"), 0);
	finish();
}

HIPC_TEST_MAIN(HIPC_CASE(sha_64mib), HIPC_CASE(sha_1gib),
	       HIPC_CASE(block_matrix), HIPC_CASE(slow_reader_blocks_writer),
	       HIPC_CASE(slow_remote_blocks_writer),
	       HIPC_CASE(stalled_reader_hung_up),
	       HIPC_CASE(old_name_and_socat), HIPC_CASE(kill_mid_transfer),
	       HIPC_CASE(stop_start), HIPC_CASE(two_ttys),
	       HIPC_CASE(throttled_reader_default_stall),
	       HIPC_CASE(withdraw_and_announce))
