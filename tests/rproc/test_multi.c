/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Three remotes at once, each driven by its own thread: each echoes, two of
 * them also talk to each other over static vrings the host never maps, and
 * killing the third leaves the other two (and their link) untouched.
 *
 * Then one of the pair is killed, five times over (driver end and device
 * end in turn): the survivor is told (its peer endpoint unbound), the dead
 * one restarts, and the pair talks again without the host, while the third
 * remote and the survivor's host channel carry on untouched.
 */
#include <poll.h>
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

/* --- a member of the pair killed ------------------------------------------ */

#define CYCLES 5

/* One remote's loop on its own thread; the test takes @mu to use it. */
struct pump {
	struct lc_client c;
	pthread_mutex_t mu;
	pthread_t th;
	int quit;
};

static void *pump_loop(void *arg)
{
	struct pump *p = arg;
	struct pollfd pfd = { .fd = hipc_rproc_fd(p->c.rp), .events = POLLIN };

	while (!__atomic_load_n(&p->quit, __ATOMIC_ACQUIRE)) {
		bool sleep;

		pthread_mutex_lock(&p->mu);
		hipc_rproc_process(p->c.rp);
		sleep = hipc_rproc_prepare_sleep(p->c.rp);
		pthread_mutex_unlock(&p->mu);
		if (sleep)
			poll(&pfd, 1, 2);
	}
	return NULL;
}

/* The firmware's view of the peer link (see firmware/lifecycle). */
struct p2p_view {
	unsigned long long ok, bad, dup, gap, resets, unbinds, lost, last;
	unsigned long long link;
	pid_t pid;
	bool host_bound;
};

static struct p2p_view view(struct pump *p)
{
	struct p2p_view v;
	const char *r;

	memset(&v, 0, sizeof(v));
	pthread_mutex_lock(&p->mu);
	v.host_bound = p->c.ctl_bound && p->c.echo_bound;
	v.pid = hipc_rproc_pid(p->c.rp);
	if (!v.host_bound) {
		pthread_mutex_unlock(&p->mu);
		return v;
	}
	p->c.got_reply = false;
	if (hipc_rpmsg_send_timeout(&p->c.ctl, "p2p", 3, 1000) == 3 &&
	    LC_RUN_UNTIL(&p->c, p->c.got_reply, 2000)) {
		r = p->c.reply;
		v.ok = lc_field(r, "ok=");
		v.bad = lc_field(r, "bad=");
		v.dup = lc_field(r, "dup=");
		v.gap = lc_field(r, "gap=");
		v.resets = lc_field(r, "resets=");
		v.unbinds = lc_field(r, "unbinds=");
		v.lost = lc_field(r, "lost=");
		v.last = lc_field(r, "last=");
		v.link = lc_field(r, "link=");
	} else {
		v.host_bound = false;
	}
	pthread_mutex_unlock(&p->mu);
	return v;
}

/* Echo traffic over a host channel, checked in order and intact. */
static bool stream(struct pump *p, uint64_t n)
{
	bool ok;

	pthread_mutex_lock(&p->mu);
	ok = lc_stream(&p->c, n, 300, 16);
	pthread_mutex_unlock(&p->mu);
	return ok;
}

static unsigned crashes(struct pump *p)
{
	unsigned n;

	pthread_mutex_lock(&p->mu);
	n = p->c.crashes_seen;
	pthread_mutex_unlock(&p->mu);
	return n;
}

/* Poll @cond (re-evaluated, may query the remotes) for up to @ms. */
#define WAIT_FOR(cond, ms)                                                   \
	({                                                                   \
		uint64_t w__end = hipc_now_ns() + (uint64_t)(ms) * LC_MS;    \
		bool w__ok;                                                  \
		while (!(w__ok = (cond)) && hipc_now_ns() < w__end)          \
			usleep(1000);                                        \
		w__ok;                                                       \
	})

static bool link_flows(struct pump *p, unsigned long long past)
{
	struct p2p_view v = view(p);

	return v.host_bound && v.link == 1 && v.ok != ~0ull && v.ok >= past;
}

/*
 * What "nothing twice, nothing corrupted" means here, checked by the
 * firmware on every ping and reply and read back through "p2p":
 *  - bad: a checksum (over sequence, sender and payload) that fails;
 *  - dup: the device end got a ping not newer than the last one from that
 *    driver process, or the driver end got a reply not newer than the last
 *    reply it accepted, or one for an earlier driver process;
 *  - gap: the device end got a ping that skips sequence numbers within one
 *    driver process's session (in-flight loss is allowed only at a reset,
 *    and a reset of the device end gives it a fresh process);
 * all three stay 0 on both ends for the whole test.  A surviving driver
 * end's sequence carries on across the reset: the first reply accepted
 * afterwards, and every later one, is newer than every reply before the
 * crash (last grows), and at most one window (8) of pings is written off
 * as lost per reset.
 */
HIPC_TEST(pair_member_killed_link_recovers)
{
	static const char *const names[NREMOTES] = { "q0", "q1", "q2" };
	struct pump *pm = calloc(NREMOTES, sizeof(*pm));
	struct hipc_p2p *p2p;
	pid_t pid2;
	uint64_t t0 = hipc_now_ns();

	CHECK(pm != NULL);
	CHECK_EQ(hipc_p2p_new(&p2p, "p2p", 64, 512), 0);
	for (int i = 0; i < NREMOTES; i++) {
		struct hipc_rproc_config cfg;
		char err[256] = "";

		lc_config(&cfg, &pm[i].c, names[i]);
		cfg.policy = HIPC_RPROC_RESTART;
		if (i < 2) {
			cfg.p2p = p2p;
			cfg.p2p_driver = i == 0;
		}
		pthread_mutex_init(&pm[i].mu, NULL);
		CHECK_EQ(hipc_rproc_new(&pm[i].c.rp, &cfg), 0);
		CHECK_EQ(hipc_rproc_start(pm[i].c.rp, err, sizeof(err)), 0);
		CHECK(LC_RUN_UNTIL(&pm[i].c,
				   pm[i].c.echo_bound && pm[i].c.ctl_bound,
				   5000));
	}
	pid2 = hipc_rproc_pid(pm[2].c.rp);
	for (int i = 0; i < NREMOTES; i++)
		CHECK_EQ(pthread_create(&pm[i].th, NULL, pump_loop, &pm[i]), 0);
	CHECK(WAIT_FOR(link_flows(&pm[0], 20) && link_flows(&pm[1], 20), 3000));

	for (int cycle = 0; cycle < CYCLES; cycle++) {
		int vi = cycle & 1, si = vi ^ 1;
		struct pump *victim = &pm[vi], *surv = &pm[si];
		struct p2p_view sb, sa, va;
		unsigned vcrash = crashes(victim);
		pid_t old = hipc_rproc_pid(victim->c.rp);
		pid_t spid = hipc_rproc_pid(surv->c.rp);
		unsigned scrash = crashes(surv), sresets;

		pthread_mutex_lock(&surv->mu);
		sresets = surv->c.resets;
		pthread_mutex_unlock(&surv->mu);

		/* Traffic everywhere, then the kill in the middle of it. */
		CHECK(stream(surv, 100));
		CHECK(stream(&pm[2], 100));
		sb = view(surv);
		CHECK(sb.host_bound && sb.link == 1);
		CHECK_EQ(kill(old, SIGKILL), 0);

		/* The survivor is told: its peer endpoint unbound, once. */
		CHECK(WAIT_FOR(crashes(victim) == vcrash + 1, 1000));
		CHECK(WAIT_FOR((sa = view(surv)).resets == sb.resets + 1,
			       2000));
		CHECK_EQ(sa.unbinds, sb.unbinds + 1);
		/* The dead one restarts, the link comes back both ways. */
		CHECK(WAIT_FOR((va = view(victim)).host_bound &&
				       va.pid != old,
			       5000));
		CHECK(WAIT_FOR(link_flows(victim, 20), 3000));
		CHECK(WAIT_FOR(link_flows(surv, sa.ok + 20), 3000));
		CHECK(stream(surv, 100));
		CHECK(stream(&pm[2], 100));

		sa = view(surv);
		va = view(victim);
		CHECK_EQ(sa.bad, 0);
		CHECK_EQ(sa.dup, 0);
		CHECK_EQ(sa.gap, 0);
		CHECK_EQ(va.bad, 0);
		CHECK_EQ(va.dup, 0);
		CHECK_EQ(va.gap, 0);
		CHECK_EQ(sa.resets, sb.resets + 1);
		CHECK_EQ(va.resets, 0);
		if (si == 0) {
			/* Surviving driver: its sequence went on. */
			CHECK(sa.last > sb.last);
			CHECK(sa.lost <= sb.lost + 8);
		}
		/* Neither the survivor nor its host channel was touched. */
		CHECK_EQ(hipc_rproc_pid(surv->c.rp), spid);
		CHECK_EQ(crashes(surv), scrash);
		pthread_mutex_lock(&surv->mu);
		CHECK_EQ(surv->c.resets, sresets);
		pthread_mutex_unlock(&surv->mu);
		printf("cycle %d: killed %s, survivor %s ok %llu -> %llu, "
		       "lost %llu\n",
		       cycle, names[vi], names[si], sb.ok, sa.ok, sa.lost);
	}

	for (int i = 0; i < NREMOTES; i++) {
		__atomic_store_n(&pm[i].quit, 1, __ATOMIC_RELEASE);
		pthread_join(pm[i].th, NULL);
	}
	/* The third remote: never disturbed. */
	CHECK_EQ(hipc_rproc_pid(pm[2].c.rp), pid2);
	CHECK_EQ(pm[2].c.crashes_seen, 0);
	CHECK_EQ(pm[2].c.resets, 0);
	for (int i = 0; i < NREMOTES; i++) {
		CHECK_EQ(pm[i].c.bad, 0);
		CHECK_EQ(hipc_rproc_stop(pm[i].c.rp, 2000), 0);
		hipc_rproc_free(pm[i].c.rp);
		pthread_mutex_destroy(&pm[i].mu);
	}
	hipc_p2p_free(p2p);
	free(pm);
	CHECK(lc_no_children());
	printf("%d kill/recover cycles in %llu ms\n", CYCLES,
	       (unsigned long long)((hipc_now_ns() - t0) / LC_MS));
}

HIPC_TEST_MAIN(HIPC_CASE(three_remotes_p2p_kill_one),
	       HIPC_CASE(pair_member_killed_link_recovers))
