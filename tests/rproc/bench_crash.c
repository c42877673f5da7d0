/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crash-recovery figures, median of N (default 20):
 *   detect   SIGKILL sent -> the remote marked crashed (on_state callback)
 *   announce marked crashed -> its echo service announced again (ns_cb),
 *            with the configured first backoff included
 *   hang     "hang" command sent -> marked crashed by the watchdog
 *
 *   hipc-bench-crash [-n N] [-b BACKOFF_MS] [-w WATCHDOG_MS]
 */
#include <getopt.h>
#include <stdlib.h>

#include "lc_util.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-34s median %8.3f ms  min %8.3f  max %8.3f  (n=%d)\n", what,
	       v[n / 2], v[0], v[n - 1], n);
}

int main(int argc, char **argv)
{
	struct hipc_rproc_config cfg;
	struct lc_client c;
	unsigned backoff = 10, wd = 20;
	double detect[100], announce[100], hang[100];
	char err[256];
	int n = 20, opt;

	while ((opt = getopt(argc, argv, "n:b:w:")) != -1) {
		if (opt == 'n')
			n = atoi(optarg);
		else if (opt == 'b')
			backoff = (unsigned)atoi(optarg);
		else if (opt == 'w')
			wd = (unsigned)atoi(optarg);
		else
			return 2;
	}
	if (n < 1 || n > 100)
		return 2;
	memset(&c, 0, sizeof(c));
	lc_config(&cfg, &c, "bench");
	cfg.policy = HIPC_RPROC_RESTART;
	cfg.backoff_min_ms = backoff;
	cfg.stable_ms = 50; /* each kill below comes after 60 ms up */
	cfg.watchdog_ms = wd;
	cfg.watchdog_timeout_ms = 2 * wd;
	CHECK_EQ(hipc_rproc_new(&c.rp, &cfg), 0);
	CHECK_EQ(hipc_rproc_start(c.rp, err, sizeof(err)), 0);
	for (int i = 0; i < 2 * n; i++) {
		bool by_hang = i >= n;
		unsigned seen = c.crashes_seen;
		uint64_t t0;

		CHECK(LC_RUN_UNTIL(&c, c.echo_bound && c.ctl_bound, 5000));
		LC_RUN_UNTIL(&c, false, 60);
		t0 = hipc_now_ns();
		if (by_hang)
			CHECK_EQ(hipc_rpmsg_send_timeout(&c.ctl, "hang", 4,
							 1000), 4);
		else
			CHECK_EQ(kill(hipc_rproc_pid(c.rp), SIGKILL), 0);
		CHECK(LC_RUN_UNTIL(&c, c.crashes_seen == seen + 1, 2000));
		CHECK(LC_RUN_UNTIL(&c, c.echo_bound, 5000));
		if (by_hang) {
			hang[i - n] = (c.crashed_ns - t0) / 1e6;
		} else {
			detect[i] = (c.crashed_ns - t0) / 1e6;
			announce[i] = (c.announce_ns - c.crashed_ns) / 1e6;
		}
	}
	printf("lifecycle firmware, IRQ doorbells, first backoff %u ms, "
	       "watchdog %u/%u ms\n", backoff, wd, 2 * wd);
	report("SIGKILL -> crashed", detect, n);
	report("crashed -> service announced", announce, n);
	report("hang -> crashed (watchdog)", hang, n);
	hipc_rproc_free(c.rp);
	return 0;
}
