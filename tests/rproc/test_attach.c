/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attach and detach: a remote that booted on its own (as a safety island
 * does) owns its region; the host takes it over, lets it go, takes it over
 * again, and the remote's own state (its counters, its trace, its pid)
 * carries over.
 */
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "lc_util.h"

static char run_dir[64];

static void remove_run_dir(void)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/island2.sock", run_dir);
	unlink(path); /* left by the remote killed on purpose */
	rmdir(run_dir);
}

static void make_run_dir(void)
{
	if (run_dir[0])
		return;
	snprintf(run_dir, sizeof(run_dir), "/tmp/hipc-test-XXXXXX");
	CHECK(mkdtemp(run_dir) != NULL);
	CHECK_EQ(setenv("HIPC_RUN_DIR", run_dir, 1), 0);
	atexit(remove_run_dir);
}

/* Start the firmware standalone, as the test's child; wait for its socket. */
static pid_t start_standalone(const char *name)
{
	char sock[160];
	struct stat st;
	pid_t pid;

	make_run_dir();
	snprintf(sock, sizeof(sock), "%s/%s.sock", run_dir, name);
	unlink(sock);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* A failing test must not leave it holding ctest's pipe. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(LC_FW, LC_FW, "--standalone", name, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 5000 && stat(sock, &st) < 0; i++)
		usleep(1000);
	CHECK(stat(sock, &st) == 0);
	return pid;
}

static void attach(struct lc_client *c)
{
	char err[256] = "";
	int ret;

	c->echo_bound = c->ctl_bound = false;
	ret = hipc_rproc_attach(c->rp, NULL, err, sizeof(err));
	if (ret)
		printf("attach: %s (%s)\n", err, hipc_strerror(ret));
	CHECK_EQ(ret, 0);
	CHECK_EQ(hipc_rproc_state(c->rp), HIPC_RPROC_ATTACHED);
	CHECK(LC_RUN_UNTIL(c, c->echo_bound && c->ctl_bound, 5000));
}

HIPC_TEST(attach_detach_attach)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char trace[8192];
	uint64_t pos = 0;
	long n;
	int status;
	pid_t pid;

	pid = start_standalone("island");
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island");
	cfg.firmware = NULL; /* attach only */
	cfg.watchdog_ms = 20;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);

	attach(&c);
	CHECK_EQ(hipc_rproc_pid(c.rp), pid);
	CHECK_EQ(lc_field(lc_status(&c), "starts="), 1);
	CHECK(lc_stream(&c, 1000, 200, 16));
	CHECK_EQ(lc_field(lc_status(&c), "echoed="), 1000);

	CHECK_EQ(hipc_rproc_detach(c.rp), 0);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_DETACHED);
	CHECK_EQ(c.last_err, -HIPC_ECONNRESET);
	CHECK(hipc_rproc_rpmsg(c.rp) == NULL);
	/* Still running on its own, and still answering nobody. */
	usleep(50000);
	CHECK_EQ(kill(pid, 0), 0);
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);

	attach(&c);
	CHECK_EQ(hipc_rproc_pid(c.rp), pid);
	lc_status(&c);
	CHECK_EQ(lc_field(c.reply, "echoed="), 1000);
	CHECK_EQ(lc_field(c.reply, "starts="), 2);
	CHECK_EQ(lc_field(c.reply, "pid="), pid);
	c.next_seq = 0;
	CHECK(lc_stream(&c, 500, 200, 16));
	CHECK_EQ(lc_field(lc_status(&c), "echoed="), 1500);
	CHECK_EQ(c.bad, 0);

	/* Its trace ring, written since it booted, reads across the two
	 * attachments. */
	n = hipc_rproc_trace_read(c.rp, &pos, trace, sizeof(trace) - 1);
	CHECK(n > 0);
	trace[n] = 0;
	CHECK(strstr(trace, "start #1") != NULL);
	CHECK(strstr(trace, "host gone, echoed 1000") != NULL);
	CHECK(strstr(trace, "start #2, echoed so far 1000") != NULL);

	/* Once more, then stop: a stop ends the remote, attached or not. */
	CHECK_EQ(hipc_rproc_detach(c.rp), 0);
	attach(&c);
	CHECK_EQ(lc_field(lc_status(&c), "starts="), 3);
	CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* An attached remote that dies is crashed like a booted one. */
HIPC_TEST(attached_remote_crash)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	uint64_t t0;
	int status;
	pid_t pid;

	pid = start_standalone("island2");
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "island2");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	attach(&c);
	t0 = hipc_now_ns();
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == 1, 1000));
	CHECK(c.crashed_ns - t0 < 100 * LC_MS);
	CHECK_EQ(c.last_err, -HIPC_ECONNRESET);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_CRASHED);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	hipc_rproc_free(c.rp);
}

/* One host at a time; a host that dies attached does not lock the remote
 * out, and its rings are not taken for a live host's. */
HIPC_TEST(one_host_at_a_time)
{
	struct hipc_rproc_config cfg;
	struct lc_client a, b;
	char err[256] = "";
	int status;
	pid_t pid, host;

	pid = start_standalone("island3");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	lc_config(&cfg, &a, "island3");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&a.rp, &cfg), 0);
	lc_config(&cfg, &b, "island3");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&b.rp, &cfg), 0);

	attach(&a);
	CHECK(lc_stream(&a, 100, 100, 8));
	/* Turned away while a holds it; a is undisturbed. */
	CHECK_EQ(hipc_rproc_attach(b.rp, NULL, err, sizeof(err)), -HIPC_EBUSY);
	CHECK_EQ(hipc_rproc_state(b.rp), HIPC_RPROC_OFFLINE);
	CHECK(lc_stream(&a, 100, 100, 8));
	CHECK_EQ(a.bad, 0);
	CHECK_EQ(hipc_rproc_detach(a.rp), 0);

	/* A host that attaches, streams and dies without a word. */
	host = fork();
	CHECK(host >= 0);
	if (host == 0) {
		struct lc_client d;

		memset(&d, 0, sizeof(d));
		lc_config(&cfg, &d, "island3");
		cfg.firmware = NULL;
		if (hipc_rproc_new(&d.rp, &cfg) ||
		    hipc_rproc_attach(d.rp, NULL, err, sizeof(err)) ||
		    !LC_RUN_UNTIL(&d, d.echo_bound, 5000) ||
		    !lc_stream(&d, 50, 100, 8))
			_exit(1);
		_exit(0);
	}
	CHECK_EQ(waitpid(host, &status, 0), host);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	attach(&b);
	lc_status(&b);
	CHECK_EQ(lc_field(b.reply, "echoed="), 250);
	CHECK_EQ(lc_field(b.reply, "starts="), 3);
	CHECK_EQ(lc_field(b.reply, "pid="), pid);
	CHECK(lc_stream(&b, 100, 100, 8));
	CHECK_EQ(b.bad, 0);
	CHECK_EQ(hipc_rproc_stop(b.rp, 2000), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	hipc_rproc_free(a.rp);
	hipc_rproc_free(b.rp);
}

/* Nobody published under that name. */
HIPC_TEST(attach_to_nothing)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char err[256] = "";

	make_run_dir();
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "nobody");
	cfg.firmware = NULL;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	CHECK_EQ(hipc_rproc_attach(c.rp, NULL, err, sizeof(err)), -HIPC_ENOENT);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_OFFLINE);
	hipc_rproc_free(c.rp);
}

HIPC_TEST_MAIN(HIPC_CASE(attach_detach_attach), HIPC_CASE(attached_remote_crash),
	       HIPC_CASE(one_host_at_a_time), HIPC_CASE(attach_to_nothing))
