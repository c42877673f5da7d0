/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Remote-processor lifecycle against real firmware processes: boot and stop
 * in a loop without leaks, a crash in the middle of a stream, a hung remote
 * caught by the watchdog, restart policies, the forced stop.
 */
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/time.h>

#include "lc_util.h"
#include "sim_proto.h"

static void boot(struct lc_client *c, struct hipc_rproc_config *cfg)
{
	char err[256] = "";
	int ret;

	CHECK_EQ(hipc_rproc_new(&c->rp, cfg), 0);
	ret = hipc_rproc_start(c->rp, err, sizeof(err));
	if (ret)
		printf("start: %s (%s)\n", err, hipc_strerror(ret));
	CHECK_EQ(ret, 0);
	CHECK(LC_RUN_UNTIL(c, c->echo_bound && c->ctl_bound, 5000));
}

/* 100 boots and stops with traffic in between: no fd, memfd or process
 * left behind. */
HIPC_TEST(boot_stop_100)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	int fds_before, fds_after;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "cycle");
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	fds_before = lc_count_fds();
	for (int i = 0; i < 100; i++) {
		char err[256] = "";

		c.echo_bound = c.ctl_bound = false;
		c.next_seq = 0;
		CHECK_EQ(hipc_rproc_start(c.rp, err, sizeof(err)), 0);
		CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_RUNNING);
		CHECK(LC_RUN_UNTIL(&c, c.echo_bound, 5000));
		CHECK(lc_stream(&c, 32, 200, 8));
		CHECK_EQ(c.bad, 0);
		CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
		CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_OFFLINE);
		CHECK(!c.echo_bound);
		CHECK(lc_no_children());
	}
	fds_after = lc_count_fds();
	CHECK_EQ(fds_after, fds_before);
	CHECK_EQ(c.resets, 100);
	hipc_rproc_free(c.rp);
}

/* SIGKILL in the middle of a 100 MB stream: crashed within 100 ms,
 * the client told, the remote back, the stream resumed, every message
 * intact and none twice. */
HIPC_TEST(kill_mid_stream)
{
	const uint64_t total = 100ull << 20;
	const size_t len = 480;
	const size_t wire = offsetof(struct lc_msg, payload) + len;
	const uint64_t count = total / wire + 1;
	struct hipc_rproc_config cfg;
	struct hipc_rproc_info info;
	struct lc_client c;
	uint64_t killed_at, detect_ns;
	pid_t old;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "stream");
	cfg.policy = HIPC_RPROC_RESTART;
	boot(&c, &cfg);
	/* First half. */
	CHECK(lc_stream(&c, count / 2, len, 64));
	/* Kill it with messages in flight both ways. */
	{
		struct lc_msg m;

		for (int i = 0; i < 32; i++) {
			size_t n = lc_fill(&m, c.next_seq + (uint64_t)i, len);

			if (hipc_rpmsg_trysend(&c.echo, &m, n) < 0)
				break;
		}
	}
	old = hipc_rproc_pid(c.rp);
	killed_at = hipc_now_ns();
	CHECK_EQ(kill(old, SIGKILL), 0);
	CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == 1, 1000));
	detect_ns = c.crashed_ns - killed_at;
	printf("crash detected after %.3f ms\n", detect_ns / 1e6);
	CHECK(detect_ns < 100 * LC_MS);
	CHECK_EQ(c.last_err, -HIPC_ECONNRESET);
	CHECK(!c.echo_bound);
	/* Back, announced again, a different process. */
	CHECK(LC_RUN_UNTIL(&c, c.echo_bound, 5000));
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_RUNNING);
	CHECK(hipc_rproc_pid(c.rp) != old);
	printf("restart to announce %.3f ms after the crash\n",
	       (c.announce_ns - c.crashed_ns) / 1e6);
	/* Resume where the echoes stopped: anything lost in flight is sent
	 * again, anything already received is not expected again. */
	CHECK(lc_stream(&c, count - c.next_seq, len, 64));
	CHECK_EQ(c.bad, 0);
	CHECK_EQ(c.received, count);
	CHECK(c.bytes >= total);
	hipc_rproc_get_info(c.rp, &info);
	CHECK_EQ(info.crashes, 1);
	CHECK_EQ(info.restarts, 1);
	CHECK(strstr(info.crash_reason, "signal 9") != NULL);
	CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
	hipc_rproc_get_info(c.rp, &info);
	CHECK(!info.killed); /* it shut down when asked */
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* A remote that stops servicing its mailbox is caught by the watchdog. */
HIPC_TEST(watchdog_catches_hang)
{
	struct hipc_rproc_config cfg;
	struct hipc_rproc_info info;
	struct lc_client c;
	uint64_t hung_at;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "hang");
	cfg.policy = HIPC_RPROC_RESTART;
	cfg.watchdog_ms = 20;
	cfg.watchdog_timeout_ms = 50; /* worst case 20 + 50 ms after a hang */
	boot(&c, &cfg);
	/* Healthy for a while: the watchdog leaves it alone. */
	LC_RUN_UNTIL(&c, false, 200);
	CHECK_EQ(c.crashes_seen, 0);
	CHECK(lc_stream(&c, 1000, 100, 16));
	c.got_reply = false;
	CHECK_EQ(hipc_rpmsg_send_timeout(&c.ctl, "hang", 4, 1000), 4);
	/* Timed from the remote's word that it hangs now: on a busy
	 * machine it may take the command well after our send. */
	CHECK(LC_RUN_UNTIL(&c, c.got_reply || c.crashes_seen, 1000));
	CHECK(c.got_reply && !strcmp(c.reply, "hanging"));
	hung_at = hipc_now_ns();
	CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == 1, 1000));
	printf("hang caught after %.3f ms\n", (c.crashed_ns - hung_at) / 1e6);
	CHECK(c.crashed_ns - hung_at < 100 * LC_MS);
	hipc_rproc_get_info(c.rp, &info);
	CHECK_EQ(info.watchdog_misses, 1);
	CHECK(strstr(info.crash_reason, "watchdog") != NULL);
	CHECK_EQ(c.last_err, -HIPC_ECONNRESET);
	/* Restarted; the old process is gone (it was killed, not left). */
	CHECK(LC_RUN_UNTIL(&c, c.echo_bound && c.ctl_bound, 5000));
	CHECK(lc_stream(&c, 1000, 100, 16));
	CHECK_EQ(c.bad, 0);
	CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* Policy "stay": crashed until someone starts it. */
HIPC_TEST(policy_stay_crashed)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	char err[256];

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "stay");
	cfg.policy = HIPC_RPROC_STAY_CRASHED;
	boot(&c, &cfg);
	CHECK_EQ(hipc_rpmsg_send_timeout(&c.ctl, "exit", 4, 1000), 4);
	CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == 1, 1000));
	CHECK(LC_RUN_UNTIL(&c, false, 100) == false);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_CRASHED);
	CHECK(!c.echo_bound);
	CHECK(lc_no_children());
	/* Its last words are kept while it is down. */
	{
		char trace[4096];
		uint64_t pos = 0;
		int n = hipc_rproc_trace_read(c.rp, &pos, trace,
					      sizeof(trace) - 1);

		CHECK(n > 0);
		trace[n] = 0;
		CHECK(strstr(trace, "lifecycle: start #1") != NULL);
	}
	CHECK_EQ(hipc_rproc_start(c.rp, err, sizeof(err)), 0);
	CHECK(LC_RUN_UNTIL(&c, c.echo_bound, 5000));
	CHECK(lc_stream(&c, 100, 100, 8));
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* Restarts back off: a remote that dies at once is not restarted in a
 * tight loop. */
HIPC_TEST(restart_backoff)
{
	struct hipc_rproc_config cfg;
	struct hipc_rproc_info info;
	struct lc_client c;
	uint64_t t0;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "backoff");
	cfg.policy = HIPC_RPROC_RESTART;
	cfg.backoff_min_ms = 10;
	cfg.backoff_max_ms = 80;
	boot(&c, &cfg);
	t0 = hipc_now_ns();
	/* Kill it five times, each right after it came back. */
	for (int i = 0; i < 5; i++) {
		CHECK(LC_RUN_UNTIL(&c, c.echo_bound &&
					       hipc_rproc_state(c.rp) ==
						       HIPC_RPROC_RUNNING,
				   5000));
		CHECK_EQ(kill(hipc_rproc_pid(c.rp), SIGKILL), 0);
		CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == (unsigned)i + 1, 1000));
	}
	CHECK(LC_RUN_UNTIL(&c, c.echo_bound, 5000));
	/* 10 + 20 + 40 + 80 + 80 ms of waiting at least. */
	CHECK(hipc_now_ns() - t0 >= 230 * LC_MS);
	hipc_rproc_get_info(c.rp, &info);
	CHECK_EQ(info.restarts, 5);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* A stop while a restart is pending cancels it, and its timer with it:
 * the loop's fd, watched level-triggered as a daemon watches it, stays
 * quiet past the time the restart was due (a timer left armed would make
 * it readable for good, with nothing for a pass to do). */
HIPC_TEST(stop_cancels_a_pending_restart)
{
	struct hipc_rproc_config cfg;
	struct hipc_rproc_info info;
	struct lc_client c;
	struct pollfd p;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "cancel");
	cfg.policy = HIPC_RPROC_RESTART;
	cfg.backoff_min_ms = 50;
	cfg.backoff_max_ms = 50;
	boot(&c, &cfg);
	CHECK_EQ(kill(hipc_rproc_pid(c.rp), SIGKILL), 0);
	CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == 1, 1000));
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_CRASHED);
	CHECK_EQ(hipc_rproc_stop(c.rp, 1000), 0);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_OFFLINE);
	usleep(150 * 1000);
	p = (struct pollfd){ .fd = hipc_rproc_fd(c.rp), .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 0);
	(void)hipc_rproc_process(c.rp);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_OFFLINE);
	hipc_rproc_get_info(c.rp, &info);
	CHECK_EQ(info.restarts, 0);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* Started from a worker thread that then ends: the remote lives on (the
 * firmware's death signal is tied to the library's spawner thread, not to
 * the thread that asked). */
static int thread_start_ret = 1;

/* The signals @pid blocks (SigBlk of /proc/PID/status). */
static unsigned long long sig_blocked(pid_t pid)
{
	char path[64], line[256];
	unsigned long long m = ~0ull;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &m) == 1)
			break;
	fclose(f);
	return m;
}

static void *start_in_thread(void *arg)
{
	char err[256] = "";

	thread_start_ret = hipc_rproc_start(arg, err, sizeof(err));
	if (thread_start_ret)
		printf("start: %s\n", err);
	return NULL;
}

HIPC_TEST(started_from_a_thread_outlives_it)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	pthread_t t;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "threaded");
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	CHECK_EQ(pthread_create(&t, NULL, start_in_thread, c.rp), 0);
	CHECK_EQ(pthread_join(t, NULL), 0);
	CHECK_EQ(thread_start_ret, 0);
	usleep(100 * 1000);
	CHECK(LC_RUN_UNTIL(&c, c.echo_bound && c.ctl_bound, 5000));
	CHECK_EQ(c.crashes_seen, 0);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_RUNNING);
	/* and with the signal mask of the thread that started it (none
	 * blocked), not the spawner's (all) */
	CHECK_EQ(sig_blocked(hipc_rproc_pid(c.rp)), 0);
	CHECK(lc_stream(&c, 100, 100, 8));
	CHECK_EQ(c.bad, 0);
	CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* A remote that ignores SHUTDOWN is killed after the timeout. */
HIPC_TEST(stop_forces_after_timeout)
{
	struct hipc_rproc_info info;
	struct hipc_rproc_config cfg;
	struct lc_client c;
	uint64_t t0;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "force");
	boot(&c, &cfg);
	CHECK_EQ(hipc_rpmsg_send_timeout(&c.ctl, "hang", 4, 1000), 4);
	hipc_rproc_run(c.rp, 10);
	t0 = hipc_now_ns();
	CHECK_EQ(hipc_rproc_stop(c.rp, 50), 0);
	CHECK(hipc_now_ns() - t0 < 1000 * LC_MS);
	hipc_rproc_get_info(c.rp, &info);
	CHECK(info.killed);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_OFFLINE);
	CHECK_EQ(c.last_err, -HIPC_ECONNRESET);
	CHECK(lc_no_children());
	hipc_rproc_free(c.rp);
}

/* A firmware that cannot boot leaves nothing behind. */
HIPC_TEST(bad_firmware_fails_cleanly)
{
	struct hipc_rproc_config cfg;
	struct hipc_rproc *rp;
	struct lc_client c;
	char err[256] = "";
	int fds = lc_count_fds();

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "bad");
	cfg.firmware = "/bin/true"; /* an ELF without a resource table */
	CHECK_EQ(hipc_rproc_new(&rp, &cfg), 0);
	CHECK(hipc_rproc_start(rp, err, sizeof(err)) < 0);
	printf("refused: %s\n", err);
	CHECK_EQ(hipc_rproc_state(rp), HIPC_RPROC_OFFLINE);
	hipc_rproc_free(rp);
	CHECK_EQ(lc_count_fds(), fds);
	CHECK(lc_no_children());
}

/* A firmware that does not report READY within the boot timeout (it takes
 * 3 s in start(), the host allows 300 ms): the start fails with
 * -HIPC_ETIMEDOUT, the crash names the reason, the process is ended. */
HIPC_TEST(no_ready_within_boot_timeout)
{
	static char *const args[] = { "--ready-delay-ms", "3000", NULL };
	struct hipc_rproc_config cfg;
	struct hipc_rproc_info info;
	struct hipc_rproc *rp;
	struct lc_client c;
	char err[256] = "";
	int fds = lc_count_fds();

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "late");
	cfg.fw_args = args;
	cfg.boot_timeout_ms = 300;
	cfg.policy = HIPC_RPROC_STAY_CRASHED;
	CHECK_EQ(hipc_rproc_new(&rp, &cfg), 0);
	CHECK_EQ(hipc_rproc_start(rp, err, sizeof(err)), -HIPC_ETIMEDOUT);
	printf("refused: %s\n", err);
	CHECK(strstr(err, "firmware failed to boot") != NULL);
	hipc_rproc_get_info(rp, &info);
	CHECK(strstr(info.crash_reason, "no READY within the boot timeout"));
	CHECK(hipc_rproc_state(rp) != HIPC_RPROC_RUNNING);
	hipc_rproc_free(rp);
	CHECK_EQ(lc_count_fds(), fds);
	CHECK(lc_no_children());
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/*
 * A signal every 20 ms (a handler without SA_RESTART, as a profiler or an
 * application timer would install) must not make a wait start over: a
 * 300 ms wait ends after 300 ms, and a start whose remote takes 300 ms to
 * report READY returns then.
 */
HIPC_TEST(waits_survive_signals)
{
	static char *const slow[] = { "--ready-delay-ms", "300", NULL };
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	struct hipc_rproc_config cfg;
	struct sigaction sa;
	struct lc_client c;
	char err[256] = "";
	uint64_t t0, run_ns, start_ns;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "sig");
	cfg.fw_args = slow;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);

	t0 = hipc_now_ns();
	CHECK_EQ(hipc_rproc_start(c.rp, err, sizeof(err)), 0);
	start_ns = hipc_now_ns() - t0;
	CHECK(LC_RUN_UNTIL(&c, c.echo_bound && c.ctl_bound, 2000));
	while (hipc_rproc_run(c.rp, 0) > 0)
		;
	/* Idle: nothing will wake the wait but its own deadline. */
	t0 = hipc_now_ns();
	hipc_rproc_run(c.rp, 300);
	run_ns = hipc_now_ns() - t0;
	CHECK_EQ(setitimer(ITIMER_REAL, &off, NULL), 0);
	printf("%d signals; start %.1f ms, run(300) %.1f ms\n", (int)alarms,
	       start_ns / 1e6, run_ns / 1e6);
	CHECK(alarms > 10);
	CHECK(start_ns >= 290 * LC_MS && start_ns < 1000 * LC_MS);
	CHECK(run_ns >= 290 * LC_MS && run_ns < 600 * LC_MS);
	CHECK_EQ(hipc_rproc_stop(c.rp, 1000), 0);
	hipc_rproc_free(c.rp);
	signal(SIGALRM, SIG_DFL);
}

/*
 * The host's mapping of a running remote's region: the control page at its
 * start, the rings where the layout put them (in the simulation a device
 * address is an offset into the region, and mem[0] is vdev0vring0).  What
 * the test writes there is what a remote could write.
 */
static uint8_t *region_of(struct lc_client *c)
{
	struct hipc_rpmsg_dev *d = hipc_rproc_rpmsg(c->rp);
	struct hipc_rproc_info info;

	hipc_rproc_get_info(c->rp, &info);
	CHECK(d != NULL);
	CHECK(info.nmem > 0 && !strcmp(info.mem[0].name, "vdev0vring0"));
	return d->vr[0].desc - info.mem[0].da;
}

/* Booted with policy "stay"; @corrupt writes into its region as a remote
 * could; the host must then mark it crashed for @reason and end its
 * process. */
static void corrupted_is_a_crash(const char *name,
				 void (*corrupt)(struct lc_client *c),
				 const char *reason)
{
	struct hipc_rproc_config cfg;
	struct hipc_rproc_info info;
	struct lc_client c;
	char err[256];

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, name);
	cfg.policy = HIPC_RPROC_STAY_CRASHED;
	boot(&c, &cfg);
	CHECK(lc_stream(&c, 100, 100, 8));
	/* Idle now: nothing of the remote's rewrites what we write.  Every
	 * pass of the host's loop looks at the rings and the FIFO. */
	corrupt(&c);
	CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == 1, 5000));
	hipc_rproc_get_info(c.rp, &info);
	printf("crash: %s\n", info.crash_reason);
	CHECK(strstr(info.crash_reason, reason) != NULL);
	CHECK_EQ(info.crashes, 1);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_CRASHED);
	CHECK(LC_RUN_UNTIL(&c, lc_no_children(), 5000));
	/* a fresh start works: nothing of the broken rings is kept */
	CHECK_EQ(hipc_rproc_start(c.rp, err, sizeof(err)), 0);
	CHECK(LC_RUN_UNTIL(&c, c.echo_bound && c.ctl_bound, 5000));
	CHECK(lc_stream(&c, 100, 100, 8));
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

/* The used idx of the host's receive ring, far past what was posted. */
static void used_idx_far_ahead(struct lc_client *c)
{
	uint8_t *used = hipc_rproc_rpmsg(c->rp)->vr[0].used;
	uint16_t idx = hipc_get_le16(used + 2);

	(void)region_of(c);
	hipc_put_le16(used + 2, (uint16_t)(idx ^ (1u << 12)));
}

/* The remote-to-host FIFO's head, far more than its depth ahead. */
static void fifo_head_far_ahead(struct lc_client *c)
{
	struct hipc_sim_ctrl *ctrl = (struct hipc_sim_ctrl *)region_of(c);
	struct hipc_shm_fifo *f = &ctrl->mbox.fifo[HIPC_SIDE_HOST];

	__atomic_store_n(&f->head,
			 __atomic_load_n(&f->tail, __ATOMIC_ACQUIRE) + 100u,
			 __ATOMIC_RELEASE);
}

HIPC_TEST(broken_protocol_is_a_crash)
{
	corrupted_is_a_crash("broken", used_idx_far_ahead,
			     "remote broke the rpmsg protocol");
}

HIPC_TEST(corrupt_mailbox_is_a_crash)
{
	corrupted_is_a_crash("mbox", fifo_head_far_ahead, "mailbox corrupted");
}

/*
 * The trace buffer's write count is the remote's to write: garbage there,
 * or a count that moved backwards, is clamped to what the ring can hold,
 * and the read returns the ring's bytes, never more.
 */
HIPC_TEST(trace_count_clamped)
{
	static char buf[1 << 20];
	struct hipc_rproc_config cfg;
	struct hipc_rproc_info info;
	struct lc_client c;
	const struct hipc_sim_mem *m = NULL;
	uint64_t pos = 0;
	uint32_t cap, *count;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "trace");
	boot(&c, &cfg);
	hipc_rproc_get_info(c.rp, &info);
	for (unsigned i = 0; i < info.nmem; i++)
		if (!strncmp(info.mem[i].name, "trace", 5))
			m = &info.mem[i];
	CHECK(m != NULL);
	CHECK(m->len > HIPC_TRACE_HDR && m->len < sizeof(buf));
	cap = m->len - HIPC_TRACE_HDR;
	count = (uint32_t *)(region_of(&c) + m->da);
	/* an honest read first: what the firmware wrote at boot */
	CHECK(hipc_rproc_trace_read(c.rp, &pos, buf, sizeof(buf)) > 0);
	CHECK((uint32_t)pos == __atomic_load_n(count, __ATOMIC_ACQUIRE));
	/* far ahead: only the ring's worth, ending at the count */
	__atomic_store_n(count, 0xFFFFFFF0u, __ATOMIC_RELEASE);
	CHECK_EQ(hipc_rproc_trace_read(c.rp, &pos, buf, sizeof(buf)), (int)cap);
	CHECK_EQ((uint32_t)pos, 0xFFFFFFF0u);
	/* backwards: taken as a count 2^32 - 5 ahead, clamped the same */
	__atomic_store_n(count, 0xFFFFFFF0u - 5u, __ATOMIC_RELEASE);
	CHECK_EQ(hipc_rproc_trace_read(c.rp, &pos, buf, sizeof(buf)), (int)cap);
	CHECK_EQ((uint32_t)pos, 0xFFFFFFF0u - 5u);
	/* and nothing more to read at that count */
	CHECK_EQ(hipc_rproc_trace_read(c.rp, &pos, buf, sizeof(buf)), 0);
	CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

static uint32_t ctrl_seen;

static void note_ctrl(struct hipc_rproc *rp, uint32_t msg, void *priv)
{
	(void)rp;
	(void)priv;
	if (msg == 0xFFFFFFABu)
		ctrl_seen++;
}

/* A control message the lifecycle does not know, put in the remote's FIFO
 * as the remote would put it: handed to the on_ctrl hook, otherwise
 * ignored; the remote keeps running and serving. */
HIPC_TEST(unknown_control_message_ignored)
{
	struct hipc_rproc_config cfg;
	struct hipc_rproc_info info;
	struct hipc_sim_ctrl *ctrl;
	struct hipc_shm_fifo *f;
	struct lc_client c;
	uint32_t head;

	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "ctrl");
	cfg.on_ctrl = note_ctrl;
	boot(&c, &cfg);
	CHECK(lc_stream(&c, 100, 100, 8));
	/* Written as the remote would, with the remote stopped: its own
	 * producer index does not know of this slot, and a doorbell of its
	 * own would take the same one.  The host finds it at its recheck. */
	CHECK_EQ(kill(hipc_rproc_pid(c.rp), SIGSTOP), 0);
	ctrl = (struct hipc_sim_ctrl *)region_of(&c);
	f = &ctrl->mbox.fifo[HIPC_SIDE_HOST];
	head = __atomic_load_n(&f->head, __ATOMIC_ACQUIRE);
	f->slot[head % HIPC_MBOX_HW_DEPTH] = 0xFFFFFFABu;
	__atomic_store_n(&f->head, head + 1u, __ATOMIC_RELEASE);
	CHECK(LC_RUN_UNTIL(&c, ctrl_seen == 1, 5000));
	CHECK_EQ(kill(hipc_rproc_pid(c.rp), SIGCONT), 0);
	hipc_rproc_get_info(c.rp, &info);
	CHECK_EQ(info.crashes, 0);
	CHECK_EQ(hipc_rproc_state(c.rp), HIPC_RPROC_RUNNING);
	CHECK(lc_stream(&c, 100, 100, 8));
	CHECK_EQ(hipc_rproc_stop(c.rp, 2000), 0);
	hipc_rproc_free(c.rp);
	CHECK(lc_no_children());
}

HIPC_TEST_MAIN(HIPC_CASE(waits_survive_signals), HIPC_CASE(boot_stop_100), HIPC_CASE(kill_mid_stream),
	       HIPC_CASE(watchdog_catches_hang), HIPC_CASE(policy_stay_crashed),
	       HIPC_CASE(restart_backoff),
	       HIPC_CASE(stop_cancels_a_pending_restart),
	       HIPC_CASE(started_from_a_thread_outlives_it), HIPC_CASE(stop_forces_after_timeout),
	       HIPC_CASE(bad_firmware_fails_cleanly),
	       HIPC_CASE(broken_protocol_is_a_crash),
	       HIPC_CASE(corrupt_mailbox_is_a_crash),
	       HIPC_CASE(trace_count_clamped),
	       HIPC_CASE(no_ready_within_boot_timeout),
	       HIPC_CASE(unknown_control_message_ignored))
