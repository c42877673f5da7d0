/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Three remotes at once, each driven by its own thread: each echoes, two of
 * them also talk to each other over static vrings the host never maps, and
 * killing the third leaves the other two (and their link) untouched.
 */
#include <pthread.h>
#include <stdlib.h>

#include "lc_util.h"

#define NREMOTES 3

struct worker {
	struct lc_client c;
	bool victim;
	int *victim_done;
	pid_t pid_before;
	bool ok;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct lc_client *c = &w->c;

	if (w->victim) {
		pid_t old = hipc_rproc_pid(c->rp);

		CHECK(lc_stream(c, 3000, 300, 32));
		CHECK_EQ(kill(old, SIGKILL), 0);
		CHECK(LC_RUN_UNTIL(c, c->crashes_seen == 1, 1000));
		CHECK(LC_RUN_UNTIL(c, c->echo_bound, 5000));
		CHECK(hipc_rproc_pid(c->rp) != old);
		CHECK(lc_stream(c, 3000, 300, 32));
		__atomic_store_n(w->victim_done, 1, __ATOMIC_RELEASE);
	} else {
		/* Keep streaming until the victim went down and came back. */
		while (!__atomic_load_n(w->victim_done, __ATOMIC_ACQUIRE))
			CHECK(lc_stream(c, 200, 300, 32));
		CHECK(lc_stream(c, 1000, 300, 32));
		CHECK_EQ(c->resets, 0);
		CHECK_EQ(c->crashes_seen, 0);
		CHECK_EQ(hipc_rproc_pid(c->rp), w->pid_before);
	}
	CHECK_EQ(c->bad, 0);
	w->ok = true;
	return NULL;
}

HIPC_TEST(three_remotes_p2p_kill_one)
{
	static const char *const names[NREMOTES] = { "r0", "r1", "r2" };
	static const char *const allow0[] = { "r0", "p2p", NULL };
	static const char *const allow1[] = { "r1", "p2p", NULL };
	static const char *const allow2[] = { "r2", NULL };
	const char *const *allowed[NREMOTES] = { allow0, allow1, allow2 };
	struct worker w[NREMOTES];
	pthread_t th[NREMOTES];
	struct hipc_p2p *p2p;
	int victim_done = 0;
	unsigned long long ok0, ok1, ok0_later;

	CHECK_EQ(hipc_p2p_new(&p2p, "p2p", 64, 512), 0);
	memset(w, 0, sizeof(w));
	for (int i = 0; i < NREMOTES; i++) {
		struct hipc_rproc_config cfg;
		char err[256] = "";

		lc_config(&cfg, &w[i].c, names[i]);
		cfg.policy = HIPC_RPROC_RESTART;
		if (i < 2) {
			cfg.p2p = p2p;
			cfg.p2p_driver = i == 0;
		}
		w[i].victim = i == 2;
		w[i].victim_done = &victim_done;
		CHECK_EQ(hipc_rproc_new(&w[i].c.rp, &cfg), 0);
		CHECK_EQ(hipc_rproc_start(w[i].c.rp, err, sizeof(err)), 0);
		CHECK(LC_RUN_UNTIL(&w[i].c, w[i].c.echo_bound && w[i].c.ctl_bound,
				   5000));
		w[i].pid_before = hipc_rproc_pid(w[i].c.rp);
	}
	/* Each remote maps its own region (and the pair the peer region)
	 * and nothing else. */
	for (int i = 0; i < NREMOTES; i++) {
		int n = lc_memfds_of(w[i].pid_before, allowed[i]);

		/* Not root: a remote's fds are closed even to us (it made
		 * itself non-dumpable), which is the stronger answer. */
		if (n == -2 && getuid() != 0)
			continue;
		CHECK_EQ(n, i < 2 ? 2 : 1);
	}
	/* The host keeps the peer region's fd (to hand it to a restarted
	 * remote) but never maps it: it is not in the data path. */
	{
		FILE *f = fopen("/proc/self/maps", "r");
		char line[512];
		int mapped = 0;

		CHECK(f != NULL);
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "/memfd:p2p"))
				mapped++;
		fclose(f);
		CHECK_EQ(mapped, 0);
	}

	for (int i = 0; i < NREMOTES; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < NREMOTES; i++) {
		pthread_join(th[i], NULL);
		CHECK(w[i].ok);
	}

	/* The pair talked, intact, without the host, before and after the
	 * third remote's crash. */
	ok0 = lc_field(lc_status(&w[0].c), "p2p_ok=");
	ok1 = lc_field(lc_status(&w[1].c), "p2p_ok=");
	CHECK_EQ(lc_field(w[0].c.reply, "p2p_bad="), 0);
	CHECK(ok0 > 0 && ok0 != ~0ull);
	CHECK(ok1 > 0 && ok1 != ~0ull);
	CHECK(LC_RUN_UNTIL(&w[0].c, false, 50) == false);
	ok0_later = lc_field(lc_status(&w[0].c), "p2p_ok=");
	CHECK(ok0_later > ok0);
	CHECK_EQ(lc_field(lc_status(&w[1].c), "p2p_bad="), 0);
	printf("peer link: %llu round trips by now\n", ok0_later);

	for (int i = 0; i < NREMOTES; i++) {
		CHECK_EQ(hipc_rproc_stop(w[i].c.rp, 2000), 0);
		hipc_rproc_free(w[i].c.rp);
	}
	hipc_p2p_free(p2p);
	CHECK(lc_no_children());
}

HIPC_TEST_MAIN(HIPC_CASE(three_remotes_p2p_kill_one))
