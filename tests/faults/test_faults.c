/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fault-injection suite (docs/faults.md).  One run, from one seed: a
 * host and its firmware (fault_fw.c) exchange sequence-stamped, CRC32C'd
 * messages both ways while the seed's plan injects faults: doorbells
 * dropped, duplicated and delayed on both sides, allocation and mmap
 * failures on both sides, the remote SIGKILLed at random points, and a
 * hostile remote corrupting a shared index or used entry.  It passes when
 * every message arrived exactly once, in order and intact, within the
 * deadline, every kill and corruption was seen (a crash with its reason)
 * and recovered from (an automatic restart, traffic flowing again), and
 * the injected faults were counted.
 *
 *   test-faults run [--quick]        one run; the seed from SEED= (else
 *                                    the clock), printed first
 *   test-faults loop N [FIRST] [--quick]
 *                                    N runs, seeds FIRST.. (default 1), each
 *                                    in a process of its own; stops at the
 *                                    first failure and prints the command
 *                                    that reproduces it; sums the counters
 *   test-faults lost_doorbell        every doorbell lost both ways: the
 *                                    link still works, at recheck pace
 *   test-faults lost_doorbell_stalls the same with the recheck off
 *                                    (HIPC_RECHECK_MS=0): the link stalls
 *   test-faults idle_cost [SECONDS]  what the recheck costs an idle link
 *
 * The host loop sleeps on hipc_rproc_fd() with a long timeout, as hipcd
 * does, so a lost doorbell is recovered by the recheck and nothing else.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rproc.h"
#include "hipc_test.h"
#include "fault_proto.h"

#define FW HIPC_BUILD_DIR "/tests/faults/hipc-fw-faults"
#define MS 1000000ull
#define RUN_DEADLINE_MS 60000u

/* --- the seed's plan --------------------------------------------------- */

static uint64_t rng;

static uint64_t next_rand(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return n ? (unsigned)(next_rand() % n) : 0;
}

struct plan {
	unsigned nmsgs;
	unsigned window;      /* messages in flight at most (1: ping-pong,
			       * where every lost doorbell is a stall) */
	unsigned pause_every; /* an idle pause after this many answers (0:
			       * none), so both sides go to sleep */
	unsigned pause_ms;
	bool boot_kill;       /* the first kill's restart is killed too,
			       * before it reports READY */
	unsigned nkills, kill_at[3];
	unsigned nflips, flip_at[2];
	uint64_t flip_how[2];
	char host[256], remote[256];
};

/* Rates in thousandths, drawn from the seed. */
static void make_plan(struct plan *p, uint64_t seed, bool quick)
{
	unsigned drop, dup, delay;

	memset(p, 0, sizeof(*p));
	rng = seed;
	p->nmsgs = quick ? 300 + below(300) : 1000 + below(1000);
	p->window = 1u << below(4);
	p->pause_every = below(2) ? 50 + below(200) : 0;
	p->pause_ms = 5 + below(40);
	p->boot_kill = below(4) == 0;
	p->nkills = below(3);
	for (unsigned i = 0; i < p->nkills; i++)
		p->kill_at[i] = below(p->nmsgs);
	p->nflips = below(2);
	for (unsigned i = 0; i < p->nflips; i++) {
		p->flip_at[i] = below(p->nmsgs);
		p->flip_how[i] = next_rand();
	}
	/* Host and remote: independent generators, rates up to 5 % per
	 * doorbell each kind, allocation and mapping failures up to 20 %
	 * of the few there are (one in a boot or two). */
	drop = below(51), dup = below(51), delay = below(51);
	snprintf(p->host, sizeof(p->host),
		 "seed=%" PRIu64 ",drop=0.%03u,dup=0.%03u,delay=0.%03u,"
		 "delay_us=%u,alloc=0.%03u,mmap=0.%03u",
		 seed * 2 + 1, drop, dup, delay, 200 + below(3000),
		 below(201), below(201));
	drop = below(51), dup = below(51), delay = below(51);
	snprintf(p->remote, sizeof(p->remote),
		 "seed=%" PRIu64 ",drop=0.%03u,dup=0.%03u,delay=0.%03u,"
		 "delay_us=%u,mmap=0.%03u",
		 seed * 2 + 2, drop, dup, delay, 200 + below(3000), below(201));
}

/* --- one run ------------------------------------------------------------- */

struct fw_sums {
	uint64_t drop, dup, delay, rechecks, recoveries;
};

struct run {
	struct plan plan;
	struct hipc_rproc *rp;
	struct hipc_rpmsg_ept ept;
	bool bound, hostile;
	uint64_t next_seq;     /* host's next seq to send */
	uint64_t expect_ack;   /* the host seq the next answer must carry */
	uint64_t expect_rseq;  /* the remote's next seq (per session) */
	uint64_t acked;        /* answers checked intact */
	uint64_t lost;         /* in flight when a session ended */
	unsigned sessions, bad;
	unsigned boot_kills;
	bool boot_kill_armed;
	uint64_t paused_at;   /* answers when the last pause began */
	unsigned kills, flips, kill_crashes, proto_crashes, wd_crashes,
		 other_crashes;
	unsigned host_flips;  /* corruptions by the host (the remote's checks) */
	unsigned boot_refused;
	unsigned reported_crashes;
	unsigned rx_flips;    /* corruptions of vring 0, which the host
			       * reads on every pass */
	struct fw_sums cur, sum;
	uint64_t last_answer_ns; /* 0: none yet this session */
	uint64_t max_stall_ns;   /* longest wait for an answer in a session,
				  * with something in flight */
	bool want_tx;
};

static void bad_msg(struct run *r, const char *what, uint64_t got,
		    uint64_t want)
{
	if (r->bad++ < 5)
		printf("BAD: %s: got %" PRIu64 ", want %" PRIu64 "\n", what, got,
		       want);
}

static int on_msg(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	struct run *r = priv;
	struct fp_msg m;

	(void)e;
	(void)src;
	if (fp_check(&m, data, len)) {
		bad_msg(r, "checksum or length", len, 0);
		return 0;
	}
	if (m.kind != FP_DATA) {
		bad_msg(r, "kind", m.kind, FP_DATA);
		return 0;
	}
	if (m.seq != r->expect_rseq) {
		bad_msg(r, "remote seq (duplicate or gap)", m.seq, r->expect_rseq);
		return 0;
	}
	if (m.ack != r->expect_ack) {
		bad_msg(r, "ack (a message lost or doubled on the way there)",
			m.ack, r->expect_ack);
		return 0;
	}
	if (m.bad)
		bad_msg(r, "the remote saw broken messages", m.bad, 0);
	{
		uint64_t now = hipc_now_ns();

		if (r->last_answer_ns && now - r->last_answer_ns > r->max_stall_ns)
			r->max_stall_ns = now - r->last_answer_ns;
		r->last_answer_ns = now;
	}
	r->expect_rseq++;
	r->expect_ack++;
	r->acked++;
	r->cur = (struct fw_sums){ m.f_drop, m.f_dup, m.f_delay, m.rechecks,
				   m.recoveries };
	return 0;
}

static void end_session(struct run *r)
{
	r->sum.drop += r->cur.drop;
	r->sum.dup += r->cur.dup;
	r->sum.delay += r->cur.delay;
	r->sum.rechecks += r->cur.rechecks;
	r->sum.recoveries += r->cur.recoveries;
	memset(&r->cur, 0, sizeof(r->cur));
	r->lost += r->next_seq - r->expect_ack;
	r->last_answer_ns = 0;
}

static void on_unbind(struct hipc_rpmsg_ept *e)
{
	struct run *r = e->priv;

	r->bound = false;
	r->hostile = false;
	end_session(r);
}

static void on_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	struct run *r = priv;

	if (destroyed || strcmp(name, FP_SERVICE) || r->bound)
		return;
	if (hipc_rpmsg_ept_create(&r->ept, dev, NULL, HIPC_RPMSG_ADDR_ANY, addr,
				  on_msg, r))
		return;
	r->ept.unbind = on_unbind;
	r->bound = true;
	r->sessions++;
	r->expect_rseq = 0;
	r->expect_ack = r->next_seq;
}

static void on_state(struct hipc_rproc *rp, enum hipc_rproc_state s,
		     void *priv)
{
	struct run *r = priv;
	struct hipc_rproc_info info;

	if (s != HIPC_RPROC_CRASHED)
		return;
	hipc_rproc_get_info(rp, &info);
	if (strstr(info.crash_reason, "signal 9"))
		r->kill_crashes++;
	else if (strstr(info.crash_reason, "rpmsg protocol") ||
		 strstr(info.crash_reason, "mailbox corrupted"))
		r->proto_crashes++;
	else if (strstr(info.crash_reason, "watchdog"))
		r->wd_crashes++;
	else if (strstr(info.crash_reason, "remote reported a crash"))
		r->reported_crashes++;
	else if (strstr(info.crash_reason, "exited with status 2"))
		r->boot_refused++; /* its mapping failed (HIPC_FAULTS) */
	else
		r->other_crashes++;
	printf("crash %u: %s\n", info.crashes, info.crash_reason);
}

/* One pass of the loop: process, then sleep on the remote's fd as an
 * event loop would (the recheck timer is the only bound on a lost
 * doorbell). */
static void loop_once(struct run *r, unsigned ms)
{
	struct pollfd p = { .fd = hipc_rproc_fd(r->rp), .events = POLLIN };
	bool sleep_ok = r->want_tx ? hipc_rproc_prepare_sleep_tx(r->rp)
				   : hipc_rproc_prepare_sleep(r->rp);

	if (sleep_ok)
		poll(&p, 1, (int)ms);
	hipc_rproc_process(r->rp);
}

static void send_some(struct run *r)
{
	struct fp_msg m;

	r->want_tx = false;
	if (r->boot_kill_armed && hipc_rproc_state(r->rp) == HIPC_RPROC_CRASHED &&
	    hipc_rproc_pid(r->rp) > 0) {
		pid_t pid = hipc_rproc_pid(r->rp);

		/* A restart under way: its process is up, READY not seen. */
		printf("kill restarting remote pid %d\n", (int)pid);
		kill(pid, SIGKILL);
		r->boot_kill_armed = false;
		r->boot_kills++;
		return;
	}
	if (!r->bound || r->hostile)
		return;
	if (r->plan.pause_every &&
	    r->acked - r->paused_at >= r->plan.pause_every &&
	    r->next_seq == r->expect_ack) {
		/* Nothing in flight: both sides go to sleep. */
		loop_once(r, r->plan.pause_ms);
		r->paused_at = r->acked;
		r->last_answer_ns = 0;
	}
	if (r->kills < r->plan.nkills &&
	    r->acked >= r->plan.kill_at[r->kills]) {
		pid_t pid = hipc_rproc_pid(r->rp);

		printf("kill remote pid %d after %" PRIu64 " answers\n",
		       (int)pid, r->acked);
		CHECK(pid > 0);
		kill(pid, SIGKILL);
		if (r->kills == 0 && r->plan.boot_kill)
			r->boot_kill_armed = true;
		r->kills++;
		r->hostile = true; /* no more sends to this session */
		return;
	}
	if (r->flips < r->plan.nflips &&
	    r->acked >= r->plan.flip_at[r->flips]) {
		size_t n;
		int ret;

		if (r->plan.flip_how[r->flips] % (FP_FLIP_KINDS + 1) ==
		    FP_FLIP_KINDS) {
			/* The host turns hostile: vring 1's avail idx, a bit
			 * above num flipped, and a doorbell.  The remote's
			 * checks must catch it, report a crash, and the
			 * restart must bring a clean region. */
			struct hipc_rpmsg_dev *d = hipc_rproc_rpmsg(r->rp);
			unsigned bit = 9u + (unsigned)(r->plan.flip_how[r->flips] /
						      (FP_FLIP_KINDS + 1) % 7u);
			uint16_t *idx = (uint16_t *)(d->vr[1].avail + 2);

			__atomic_store_n(idx, (uint16_t)(*idx ^ (1u << bit)),
					 __ATOMIC_RELEASE);
			hipc_link_send(hipc_rproc_link(r->rp), d->cfg.notifyid[1]);
			printf("host corrupted its avail idx (bit %u) after %"
			       PRIu64 " answers\n", bit, r->acked);
			r->host_flips++;
			r->flips++;
			r->hostile = true;
			return;
		}
		memset(&m, 0, sizeof(m));
		n = fp_fill(&m, FP_FLIP, r->plan.flip_how[r->flips], 0);
		ret = hipc_rpmsg_trysend(&r->ept, &m, n);
		if (ret == -HIPC_EAGAIN) {
			r->want_tx = true;
			return;
		}
		printf("remote told to corrupt kind %u after %" PRIu64
		       " answers: %d\n",
		       (unsigned)(r->plan.flip_how[r->flips] % FP_FLIP_KINDS),
		       r->acked, ret);
		if (r->plan.flip_how[r->flips] % FP_FLIP_KINDS !=
		    FP_FLIP_TX_USED_IDX)
			r->rx_flips++;
		r->flips++;
		r->hostile = true;
		return;
	}
	while (r->next_seq - r->expect_ack < r->plan.window &&
	       r->acked + (r->next_seq - r->expect_ack) < r->plan.nmsgs) {
		size_t n;
		int ret;

		memset(&m, 0, sizeof(m));
		n = fp_fill(&m, FP_DATA, r->next_seq, 0);
		ret = hipc_rpmsg_trysend(&r->ept, &m, n);
		if (ret == -HIPC_EAGAIN) {
			r->want_tx = true;
			return;
		}
		if (ret < 0)
			return; /* going down: the unbind follows */
		CHECK_EQ(ret, (int)n);
		r->next_seq++;
	}
}

static void print_counters(struct run *r)
{
	struct hipc_fault_stats fs;
	struct hipc_rproc_info info;

	end_session(r); /* the last session's figures */
	hipc_faults_get(&fs);
	hipc_rproc_get_info(r->rp, &info);
	printf("SUM answers=%" PRIu64 " lost_in_crashes=%" PRIu64
	       " sessions=%u kills=%u flips=%u crashes=%u proto_crashes=%u"
	       " watchdog_crashes=%u host_flips=%u reported_crashes=%u"
	       " restarts=%u"
	       " host_drop=%" PRIu64 " host_dup=%" PRIu64 " host_delay=%" PRIu64
	       " host_alloc_fail=%" PRIu64 " host_mmap_fail=%" PRIu64
	       " host_rechecks=%" PRIu64 " host_recoveries=%" PRIu64
	       " fw_drop=%" PRIu64 " fw_dup=%" PRIu64 " fw_delay=%" PRIu64
	       " fw_rechecks=%" PRIu64 " fw_recoveries=%" PRIu64
	       " max_stall_ms=%" PRIu64 "\n",
	       r->acked, r->lost, r->sessions, r->kills + r->boot_kills,
	       r->flips, info.crashes, r->proto_crashes, r->wd_crashes,
	       r->host_flips, r->reported_crashes,
	       info.restarts, fs.doorbells_dropped, fs.doorbells_duplicated,
	       fs.doorbells_delayed, fs.allocs_failed, fs.mmaps_failed,
	       info.rechecks, info.recoveries, r->sum.drop, r->sum.dup,
	       r->sum.delay, r->sum.rechecks, r->sum.recoveries,
	       (uint64_t)(r->max_stall_ns / MS));
}

/* An allocation or mapping failure (ours or the firmware's) may refuse a
 * start: it must do so cleanly, and a retry must work. */
static void start_remote(struct run *r, struct hipc_rproc_config *cfg)
{
	char err[160];
	int ret = -1;

	for (unsigned i = 0; i < 100 && ret; i++) {
		if (!r->rp) {
			ret = hipc_rproc_new(&r->rp, cfg);
			if (ret) {
				CHECK_EQ(ret, -HIPC_ENOMEM);
				continue;
			}
		}
		ret = hipc_rproc_start(r->rp, err, sizeof(err));
		if (ret) {
			printf("start refused (%s): %s\n", hipc_strerror(ret),
			       err);
			CHECK(ret == -HIPC_ENOMEM || ret == -HIPC_ECONNRESET);
			CHECK_EQ(hipc_rproc_state(r->rp), HIPC_RPROC_OFFLINE);
		}
	}
	CHECK_EQ(ret, 0);
}

static int run_one(uint64_t seed, bool quick)
{
	struct hipc_rproc_config cfg;
	struct run *r = calloc(1, sizeof(*r));
	uint64_t end;

	CHECK(r != NULL);
	make_plan(&r->plan, seed, quick);
	printf("seed %" PRIu64 ": %u messages (window %u, pause %u ms every "
	       "%u), %u kills%s, %u corruptions\n"
	       "  HIPC_FAULTS=%s\n  HIPC_FAULTS_REMOTE=%s\n  HIPC_RECHECK_MS=%s\n",
	       seed, r->plan.nmsgs, r->plan.window, r->plan.pause_ms,
	       r->plan.pause_every, r->plan.nkills,
	       r->plan.boot_kill ? " (one during a restart's boot)" : "",
	       r->plan.nflips,
	       getenv("HIPC_FAULTS"), getenv("HIPC_FAULTS_REMOTE"),
	       getenv("HIPC_RECHECK_MS") ? getenv("HIPC_RECHECK_MS") : "(default)");
	fflush(stdout);
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "faults";
	cfg.firmware = FW;
	cfg.mode = HIPC_LINK_IRQ;
	cfg.ns_cb = on_ns;
	cfg.ns_priv = r;
	cfg.on_state = on_state;
	cfg.state_priv = r;
	cfg.boot_timeout_ms = 10000;
	cfg.policy = HIPC_RPROC_RESTART;
	cfg.backoff_min_ms = 5;
	cfg.backoff_max_ms = 100;
	/* Generous against a loaded machine: only a hostile remote, which
	 * stops answering, may miss it. */
	cfg.watchdog_ms = 200;
	cfg.watchdog_timeout_ms = 2000;
	start_remote(r, &cfg);

	end = hipc_now_ns() + RUN_DEADLINE_MS * MS;
	while (r->acked < r->plan.nmsgs) {
		if (hipc_now_ns() >= end) {
			printf("HANG: %" PRIu64 " of %u answers after %u s "
			       "(state %s, bound %d, hostile %d, in flight %"
			       PRIu64 ")\n", r->acked, r->plan.nmsgs,
			       RUN_DEADLINE_MS / 1000,
			       hipc_rproc_state_name(hipc_rproc_state(r->rp)),
			       r->bound, r->hostile, r->next_seq - r->expect_ack);
			print_counters(r);
			return 1;
		}
		send_some(r);
		/* Long: only the recheck may rescue a lost doorbell. */
		loop_once(r, 2000);
	}
	print_counters(r);
	/* Every kill and every corruption seen for what it was, and
	 * recovered from; nothing else went wrong. */
	CHECK_EQ(r->bad, 0);
	CHECK_EQ(r->kill_crashes, r->kills + r->boot_kills);
	/* A corrupted rx ring is read on the next pass and caught there.
	 * The tx ring's used side is read only when the host needs a
	 * buffer back: until then the hostile remote (which stopped) is a
	 * hung one, and the watchdog's. */
	CHECK(r->proto_crashes >= r->rx_flips);
	CHECK_EQ(r->proto_crashes + r->wd_crashes, r->flips - r->host_flips);
	CHECK_EQ(r->reported_crashes, r->host_flips);
	/* Nothing else (a sanitizer's report in the firmware would be
	 * one). */
	CHECK_EQ(r->other_crashes, 0);
	CHECK_EQ(hipc_rproc_state(r->rp), HIPC_RPROC_RUNNING);
	{
		struct hipc_rproc_info info;

		hipc_rproc_get_info(r->rp, &info);
		CHECK(info.restarts >= r->kills + r->flips);
	}
	CHECK_EQ(hipc_rproc_stop(r->rp, 2000), 0);
	hipc_rproc_free(r->rp);
	free(r);
	printf("PASS seed %" PRIu64 "\n", seed);
	return 0;
}

/* --- every doorbell lost ------------------------------------------------- */

static int lost_doorbell(bool expect_stall)
{
	struct hipc_rproc_config cfg;
	struct run *r = calloc(1, sizeof(*r));
	struct hipc_rproc_info info;
	uint64_t end;

	CHECK(r != NULL);
	r->plan.nmsgs = 12;
	r->plan.window = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "lost";
	cfg.firmware = FW;
	cfg.mode = HIPC_LINK_IRQ;
	cfg.ns_cb = on_ns;
	cfg.ns_priv = r;
	cfg.boot_timeout_ms = 10000;
	start_remote(r, &cfg);
	/* Within 5 s, even at 100 ms per lost doorbell each way. */
	end = hipc_now_ns() + (expect_stall ? 2000 : 5000) * MS;
	while (r->acked < r->plan.nmsgs && hipc_now_ns() < end) {
		/* One at a time: each message needs its own doorbell. */
		if (r->bound && r->next_seq == r->expect_ack) {
			struct fp_msg m;
			size_t n = fp_fill(&m, FP_DATA, r->next_seq, 0);

			CHECK_EQ(hipc_rpmsg_trysend(&r->ept, &m, n), (int)n);
			r->next_seq++;
		}
		loop_once(r, expect_stall ? 500 : 10000);
	}
	print_counters(r);
	hipc_rproc_get_info(r->rp, &info);
	if (expect_stall) {
		/* Without the recheck the first lost doorbell is the end. */
		printf("without the recheck: %" PRIu64 " of %u answers\n",
		       r->acked, r->plan.nmsgs);
		CHECK(r->acked < r->plan.nmsgs);
		CHECK_EQ(info.recoveries, 0);
		CHECK_EQ(hipc_rproc_stop(r->rp, 2000), 0);
		hipc_rproc_free(r->rp);
		free(r);
		return 0;
	}
	CHECK_EQ(r->acked, r->plan.nmsgs);
	CHECK_EQ(r->bad, 0);
	/* Both sides found work no doorbell announced. */
	CHECK(info.recoveries > 0);
	CHECK(r->sum.recoveries > 0);
	CHECK_EQ(hipc_rproc_stop(r->rp, 2000), 0);
	hipc_rproc_free(r->rp);
	free(r);
	return 0;
}

/* --- what the recheck costs an idle link ---------------------------------- */

/* CPU time of process @pid in ns (/proc/PID/schedstat: on-CPU time of its
 * main thread, the only one either side runs here). */
static unsigned long long cpu_ns(pid_t pid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

/* A remote up and idle for @secs: wake-ups (rechecks) a second on each
 * side and the CPU both processes spent, for docs/faults.md. */
static int idle_cost(unsigned secs)
{
	struct hipc_rproc_config cfg;
	struct run *r = calloc(1, sizeof(*r));
	struct hipc_rproc_info info;
	struct hipc_link_stats ls0, ls1;
	unsigned long long h0, h1, f0, f1;
	uint64_t t0, end, fw_re0, fw_re1;
	pid_t pid;

	CHECK(r != NULL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "idle";
	cfg.firmware = FW;
	cfg.mode = HIPC_LINK_IRQ;
	cfg.ns_cb = on_ns;
	cfg.ns_priv = r;
	start_remote(r, &cfg);
	/* one exchange: the firmware's counters so far */
	r->plan.nmsgs = 1;
	r->plan.window = 1;
	while (!r->bound || r->acked < 1) {
		send_some(r);
		loop_once(r, 100);
	}
	fw_re0 = r->cur.rechecks;
	pid = hipc_rproc_pid(r->rp);
	hipc_link_get_stats(hipc_rproc_link(r->rp), &ls0);
	hipc_rproc_get_info(r->rp, &info);
	h0 = cpu_ns(getpid());
	f0 = cpu_ns(pid);
	t0 = hipc_now_ns();
	end = t0 + (uint64_t)secs * 1000 * MS;
	while (hipc_now_ns() < end)
		loop_once(r, (unsigned)((end - hipc_now_ns()) / MS) + 1);
	h1 = cpu_ns(getpid());
	f1 = cpu_ns(pid);
	r->plan.nmsgs = 2;
	while (r->acked < 2) {
		send_some(r);
		loop_once(r, 100);
	}
	fw_re1 = r->cur.rechecks;
	hipc_link_get_stats(hipc_rproc_link(r->rp), &ls1);
	{
		struct hipc_rproc_info i1;

		hipc_rproc_get_info(r->rp, &i1);
		printf("idle %u s, recheck %s ms: host %.1f wake-ups/s, "
		       "firmware %.1f wake-ups/s; CPU host %.1f us/s, "
		       "firmware %.1f us/s\n", secs,
		       getenv("HIPC_RECHECK_MS") ? getenv("HIPC_RECHECK_MS")
						 : "100 (default)",
		       (double)(i1.rechecks - info.rechecks) / secs,
		       (double)(fw_re1 - fw_re0) / secs,
		       (double)(h1 - h0) / 1e3 / secs,
		       (double)(f1 - f0) / 1e3 / secs);
	}
	CHECK_EQ(hipc_rproc_stop(r->rp, 2000), 0);
	hipc_rproc_free(r->rp);
	free(r);
	return 0;
}

/* --- driving ------------------------------------------------------------- */

/* The environment a run needs, from its seed; then this program again, so
 * the fault settings are read at start as the library wants them. */
static void exec_with_faults(char **argv, uint64_t seed, bool quick)
{
	struct plan p;
	char s[32];

	make_plan(&p, seed, quick);
	snprintf(s, sizeof(s), "%" PRIu64, seed);
	setenv("SEED", s, 1);
	setenv("HIPC_FAULTS", p.host, 1);
	setenv("HIPC_FAULTS_REMOTE", p.remote, 1);
	/* Short enough that a run with many lost doorbells stays short; the
	 * lost_doorbell case runs the default. */
	setenv("HIPC_RECHECK_MS", "20", 0);
	execv("/proc/self/exe", argv);
	perror("execv");
	exit(2);
}

static int loop(const char *self, unsigned count, uint64_t first, bool quick)
{
	static const char *const keys[] = {
		"answers", "lost_in_crashes", "kills", "flips", "crashes",
		"proto_crashes", "watchdog_crashes", "host_flips",
		"reported_crashes",
		"restarts", "host_drop", "host_dup", "host_delay",
		"host_alloc_fail", "host_mmap_fail", "host_rechecks",
		"host_recoveries", "fw_drop", "fw_dup", "fw_delay",
		"fw_rechecks", "fw_recoveries", "max_stall_ms",
	};
	unsigned long long total[sizeof(keys) / sizeof(keys[0])] = { 0 };
	uint64_t t0 = hipc_now_ns();
	unsigned passed = 0;

	for (unsigned i = 0; i < count; i++) {
		uint64_t seed = first + i;
		char cmd[4200], line[1024];
		FILE *p;
		int st;

		snprintf(cmd, sizeof(cmd), "SEED=%" PRIu64 " '%s' run%s 2>&1",
			 seed, self, quick ? " --quick" : "");
		fflush(stdout);
		p = popen(cmd, "r");
		CHECK(p != NULL);
		while (fgets(line, sizeof(line), p)) {
			fputs(line, stdout);
			if (strncmp(line, "SUM ", 4))
				continue;
			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				char key[40];
				unsigned long long x;
				const char *v;

				snprintf(key, sizeof(key), " %s=", keys[k]);
				v = strstr(line, key);
				if (!v)
					continue;
				x = strtoull(v + strlen(key), NULL, 10);
				/* a maximum, the rest sums */
				if (strstr(keys[k], "max_"))
					total[k] = x > total[k] ? x : total[k];
				else
					total[k] += x;
			}
		}
		st = pclose(p);
		if (st != 0) {
			printf("FAILED: seed %" PRIu64 " (run %u of %u, %u passed)\n"
			       "reproduce: SEED=%" PRIu64 " %s run%s\n",
			       seed, i + 1, count, passed, seed, self,
			       quick ? " --quick" : "");
			return 1;
		}
		passed++;
	}
	printf("ALL PASSED: %u runs in a row, seeds %" PRIu64 "..%" PRIu64
	       ", %.1f s\nTOTAL", passed, first, first + count - 1,
	       (double)(hipc_now_ns() - t0) / 1e9);
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		printf(" %s=%llu", keys[k], total[k]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	bool quick = argc > 2 && !strcmp(argv[argc - 1], "--quick");
	char self[4096];
	ssize_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;
	if (argc >= 2 && !strcmp(argv[1], "run")) {
		const char *s = getenv("SEED");
		uint64_t seed = s && *s ? strtoull(s, NULL, 0)
					: (uint64_t)time(NULL);

		if (!getenv("HIPC_FAULTS"))
			exec_with_faults(argv, seed, quick);
		return run_one(seed, quick);
	}
	if (argc >= 3 && !strcmp(argv[1], "loop")) {
		unsigned count = (unsigned)strtoul(argv[2], NULL, 0);
		uint64_t first = argc >= 4 && argv[3][0] != '-'
					 ? strtoull(argv[3], NULL, 0)
					 : 1;

		return loop(self, count, first, quick);
	}
	if (argc >= 2 && (!strcmp(argv[1], "lost_doorbell") ||
			  !strcmp(argv[1], "lost_doorbell_stalls"))) {
		bool stall = !strcmp(argv[1], "lost_doorbell_stalls");

		if (!getenv("HIPC_FAULTS")) {
			if (stall)
				setenv("HIPC_RECHECK_MS", "0", 1);
			/* Every doorbell either side rings is lost. */
			setenv("HIPC_FAULTS", "seed=1,drop=1", 1);
			setenv("HIPC_FAULTS_REMOTE", "seed=2,drop=1", 1);
			execv("/proc/self/exe", argv);
			return 2;
		}
		return lost_doorbell(stall);
	}
	if (argc >= 2 && !strcmp(argv[1], "idle_cost"))
		return idle_cost(argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0)
					  : 10);
	fprintf(stderr, "usage: %s run [--quick] | loop N [FIRST] [--quick] | "
		"lost_doorbell | lost_doorbell_stalls | idle_cost [SECONDS]\n",
		argv[0]);
	return 2;
}
