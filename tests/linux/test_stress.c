/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The notification matrix: every link mode (poll, adaptive, irq) x
 * notification suppression (flags, event index) x sender threads per side
 * (1, 4) x machine (quiet, both cores loaded by busy-looping processes).
 *
 * Both roles run in one process over the real Linux port (memfd region,
 * links, eventfds).  Each side has one receiving thread and N senders; every
 * sender owns a stream of sequence-stamped messages to its own endpoint on
 * the other side, where the receiver checks each one (exact next sequence
 * number, every payload byte).  Rings are small (16 entries), so senders
 * block on full rings all the time and every wake-up path is exercised.
 *
 * Many short runs instead of one long one: a lost notification shows as a
 * run that stops making progress.  A run that misses its deadline prints
 * what each side was waiting for (ring indices, event indices and flags,
 * awake flags, FIFO counts, waiters) before it fails.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/rpmsg.h"
#include "hipc_test.h"
#include "link_pair.h"
#include "ring_report.h"

#define MAXS 4u
#define RUNS 4u
#define PER_STREAM 3000u
#define RUN_DEADLINE_NS 20000000000ull

struct side {
	struct hipc_link *link;
	struct hipc_rpmsg_dev dev;
	struct hipc_rpmsg_ept *buckets[16];
	struct hipc_rpmsg_ept ept[MAXS];
	atomic_uint_fast64_t sent[MAXS]; /* by this side's senders */
	atomic_uint_fast64_t next[MAXS]; /* expected from the peer */
	pthread_t rx, tx[MAXS];
};

static struct {
	struct link_pair lp;
	struct hipc_link_shared *ctrl; /* at the start of the region */
	struct side s[2];
	unsigned nsend;
	atomic_int bad;
	atomic_int stop;
} W;

static size_t len_of(uint64_t seq, unsigned k)
{
	return 8 + (size_t)((seq * 13u + k * 101u) % 489u);
}

static int on_rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t src,
		 void *priv)
{
	struct side *me = e->dev == &W.s[HOST].dev ? &W.s[HOST] : &W.s[REMOTE];
	unsigned k = (unsigned)(uintptr_t)priv;
	uint64_t seq;

	(void)src;
	if (l < 8) {
		W.bad++;
		return 0;
	}
	memcpy(&seq, d, 8);
	if (seq != atomic_load(&me->next[k]) || l != len_of(seq, k)) {
		printf("stream %u: got seq %llu len %zu, expected seq %llu\n", k,
		       (unsigned long long)seq, l,
		       (unsigned long long)atomic_load(&me->next[k]));
		W.bad++;
	}
	for (size_t i = 8; i < l; i++)
		if (((uint8_t *)d)[i] != (uint8_t)(seq + i + k)) {
			W.bad++;
			break;
		}
	atomic_store(&me->next[k], seq + 1);
	return 0;
}

static bool may_sleep(void *arg)
{
	return !atomic_load(&W.stop) &&
	       hipc_rpmsg_prepare_sleep((struct hipc_rpmsg_dev *)arg);
}

static void *rx_thread(void *arg)
{
	struct side *me = arg;

	while (!atomic_load(&W.stop)) {
		hipc_link_drain(me->link, NULL, NULL);
		if (hipc_rpmsg_poll(&me->dev, 0) > 0)
			continue;
		hipc_link_wait(me->link, hipc_now_ns() + 100000000u, may_sleep,
			       &me->dev);
	}
	return NULL;
}

struct sender_arg {
	struct side *me;
	unsigned k;
};

static void *tx_thread(void *arg)
{
	struct sender_arg *a = arg;
	uint8_t b[BUF];

	for (uint64_t seq = 0; seq < PER_STREAM && !atomic_load(&W.stop);
	     seq++) {
		size_t l = len_of(seq, a->k);
		int r;

		memcpy(b, &seq, 8);
		for (size_t i = 8; i < l; i++)
			b[i] = (uint8_t)(seq + i + a->k);
		/* Bounded well past the run's deadline: the run reports a
		 * stall first, with the state of both sides. */
		r = hipc_rpmsg_send_timeout(&a->me->ept[a->k], b, l, 30000);
		if (r != (int)l) {
			if (!atomic_load(&W.stop)) {
				printf("send: %s\n", hipc_strerror(r));
				W.bad++;
			}
			break;
		}
		atomic_store(&a->me->sent[a->k], seq + 1);
	}
	return NULL;
}

/* What each side was waiting for when a run stopped making progress. */
static void dump(void)
{
	static const char *who[2] = { "host (driver)", "remote (device)" };

	for (unsigned i = 0; i < 2; i++) {
		struct side *me = &W.s[i];
		struct hipc_link_stats st;

		hipc_link_get_stats(me->link, &st);
		printf("%s: awake %u, doorbells in FIFO %u, sleeps %llu, "
		       "eventfd writes %llu\n",
		       who[i], W.ctrl->awake[i],
		       W.ctrl->fifo[i].head - W.ctrl->fifo[i].tail,
		       (unsigned long long)st.sleeps,
		       (unsigned long long)st.eventfd_writes);
		for (unsigned k = 0; k < W.nsend; k++)
			printf("  stream %u: sent %llu of %u, received from "
			       "peer %llu\n",
			       k, (unsigned long long)atomic_load(&me->sent[k]),
			       PER_STREAM,
			       (unsigned long long)atomic_load(&me->next[k]));
		ring_report(&me->dev);
	}
	fflush(stdout);
}

static void setup(uint32_t features, enum hipc_link_mode mode, unsigned nsend)
{
	struct hipc_rpmsg_dev_config c;

	memset(&W, 0, sizeof(W));
	W.nsend = nsend;
	link_pair_open(&W.lp, "stress", mode, &W.s[HOST].link,
		       &W.s[REMOTE].link);
	W.ctrl = (struct hipc_link_shared *)W.lp.shm.base;
	link_pair_config(&W.lp, &c, features);
	c.nbuckets = 16;
	for (unsigned i = 0; i < 2; i++) {
		link_pair_side(&W.lp, &c, i, W.s[i].link);
		c.buckets = W.s[i].buckets;
		CHECK_EQ(hipc_rpmsg_dev_init(&W.s[i].dev, &c), 0);
	}
	/* host endpoint k at 1024+k talks to remote endpoint k at 2000+k */
	for (unsigned k = 0; k < nsend; k++) {
		CHECK_EQ(hipc_rpmsg_ept_create(&W.s[HOST].ept[k], &W.s[HOST].dev,
					       NULL, 1024 + k, 2000 + k, on_rx,
					       (void *)(uintptr_t)k),
			 0);
		CHECK_EQ(hipc_rpmsg_ept_create(&W.s[REMOTE].ept[k],
					       &W.s[REMOTE].dev, NULL, 2000 + k,
					       1024 + k, on_rx,
					       (void *)(uintptr_t)k),
			 0);
	}
	CHECK_EQ(hipc_rpmsg_dev_start(&W.s[HOST].dev), 0);
	CHECK_EQ(hipc_rpmsg_dev_start(&W.s[REMOTE].dev), 0);
}

static bool all_done(void)
{
	for (unsigned i = 0; i < 2; i++)
		for (unsigned k = 0; k < W.nsend; k++)
			if (atomic_load(&W.s[i].next[k]) != PER_STREAM)
				return false;
	return true;
}

static void one_run(uint32_t features, enum hipc_link_mode mode,
		    unsigned nsend)
{
	static struct sender_arg args[2][MAXS];
	uint64_t t0;

	setup(features, mode, nsend);
	t0 = hipc_now_ns();
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ(pthread_create(&W.s[i].rx, NULL, rx_thread, &W.s[i]), 0);
		for (unsigned k = 0; k < nsend; k++) {
			args[i][k].me = &W.s[i];
			args[i][k].k = k;
			CHECK_EQ(pthread_create(&W.s[i].tx[k], NULL, tx_thread,
						&args[i][k]),
				 0);
		}
	}
	while (!all_done() && !atomic_load(&W.bad) &&
	       hipc_now_ns() - t0 < RUN_DEADLINE_NS)
		usleep(1000);
	if (!all_done() || atomic_load(&W.bad)) {
		printf("run did not complete (%s after %.1f s):\n",
		       atomic_load(&W.bad) ? "bad delivery" : "stalled",
		       (double)(hipc_now_ns() - t0) / 1e9);
		dump();
	}
	atomic_store(&W.stop, 1);
	for (unsigned i = 0; i < 2; i++) {
		hipc_link_wake(W.s[i].link);
		for (unsigned k = 0; k < nsend; k++)
			pthread_join(W.s[i].tx[k], NULL);
	}
	for (unsigned i = 0; i < 2; i++) {
		hipc_link_wake(W.s[i].link);
		pthread_join(W.s[i].rx, NULL);
	}
	CHECK_EQ(atomic_load(&W.bad), 0);
	CHECK(all_done());
	CHECK(!hipc_rpmsg_broken(&W.s[HOST].dev));
	CHECK(!hipc_rpmsg_broken(&W.s[REMOTE].dev));
	for (unsigned i = 0; i < 2; i++)
		hipc_link_free(W.s[i].link);
	hipc_shm_close(&W.lp.shm);
}

/* Busy-looping processes, one per core, for the "loaded" half. */
static pid_t hogs[8];
static unsigned nhogs;

static void load_on(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	nhogs = n > 0 && n < 8 ? (unsigned)n : 2;
	for (unsigned i = 0; i < nhogs; i++) {
		hogs[i] = fork();
		CHECK(hogs[i] >= 0);
		if (hogs[i] == 0) {
			volatile unsigned long x = 0;

			alarm(600); /* never outlive a crashed test */
			for (;;)
				x++;
		}
	}
}

static void load_off(void)
{
	for (unsigned i = 0; i < nhogs; i++) {
		kill(hogs[i], SIGKILL);
		waitpid(hogs[i], NULL, 0);
	}
	nhogs = 0;
}

static void matrix(enum hipc_link_mode mode, bool evt, unsigned nsend,
		   bool loaded)
{
	uint32_t f = (1u << HIPC_RPMSG_F_NS) |
		     (evt ? 1u << HIPC_VIRTIO_F_EVENT_IDX : 0u);
	uint64_t t0 = hipc_now_ns();

	if (loaded)
		load_on();
	for (unsigned r = 0; r < RUNS; r++)
		one_run(f, mode, nsend);
	if (loaded)
		load_off();
	printf("%u runs of %u streams x %u messages each way: %.2f s\n", RUNS,
	       nsend, PER_STREAM, (double)(hipc_now_ns() - t0) / 1e9);
}

/* clang-format off */
HIPC_TEST(POLL_flags_1_quiet) { matrix(HIPC_LINK_POLL, false, 1, false); }
HIPC_TEST(POLL_flags_4_quiet) { matrix(HIPC_LINK_POLL, false, 4, false); }
HIPC_TEST(POLL_evt_1_quiet) { matrix(HIPC_LINK_POLL, true, 1, false); }
HIPC_TEST(POLL_evt_4_quiet) { matrix(HIPC_LINK_POLL, true, 4, false); }
HIPC_TEST(POLL_flags_1_loaded) { matrix(HIPC_LINK_POLL, false, 1, true); }
HIPC_TEST(POLL_flags_4_loaded) { matrix(HIPC_LINK_POLL, false, 4, true); }
HIPC_TEST(POLL_evt_1_loaded) { matrix(HIPC_LINK_POLL, true, 1, true); }
HIPC_TEST(POLL_evt_4_loaded) { matrix(HIPC_LINK_POLL, true, 4, true); }
HIPC_TEST(ADAPTIVE_flags_1_quiet) { matrix(HIPC_LINK_ADAPTIVE, false, 1, false); }
HIPC_TEST(ADAPTIVE_flags_4_quiet) { matrix(HIPC_LINK_ADAPTIVE, false, 4, false); }
HIPC_TEST(ADAPTIVE_evt_1_quiet) { matrix(HIPC_LINK_ADAPTIVE, true, 1, false); }
HIPC_TEST(ADAPTIVE_evt_4_quiet) { matrix(HIPC_LINK_ADAPTIVE, true, 4, false); }
HIPC_TEST(ADAPTIVE_flags_1_loaded) { matrix(HIPC_LINK_ADAPTIVE, false, 1, true); }
HIPC_TEST(ADAPTIVE_flags_4_loaded) { matrix(HIPC_LINK_ADAPTIVE, false, 4, true); }
HIPC_TEST(ADAPTIVE_evt_1_loaded) { matrix(HIPC_LINK_ADAPTIVE, true, 1, true); }
HIPC_TEST(ADAPTIVE_evt_4_loaded) { matrix(HIPC_LINK_ADAPTIVE, true, 4, true); }
HIPC_TEST(IRQ_flags_1_quiet) { matrix(HIPC_LINK_IRQ, false, 1, false); }
HIPC_TEST(IRQ_flags_4_quiet) { matrix(HIPC_LINK_IRQ, false, 4, false); }
HIPC_TEST(IRQ_evt_1_quiet) { matrix(HIPC_LINK_IRQ, true, 1, false); }
HIPC_TEST(IRQ_evt_4_quiet) { matrix(HIPC_LINK_IRQ, true, 4, false); }
HIPC_TEST(IRQ_flags_1_loaded) { matrix(HIPC_LINK_IRQ, false, 1, true); }
HIPC_TEST(IRQ_flags_4_loaded) { matrix(HIPC_LINK_IRQ, false, 4, true); }
HIPC_TEST(IRQ_evt_1_loaded) { matrix(HIPC_LINK_IRQ, true, 1, true); }
HIPC_TEST(IRQ_evt_4_loaded) { matrix(HIPC_LINK_IRQ, true, 4, true); }

HIPC_TEST_MAIN(
	HIPC_CASE(POLL_flags_1_quiet), HIPC_CASE(POLL_flags_4_quiet),
	HIPC_CASE(POLL_evt_1_quiet), HIPC_CASE(POLL_evt_4_quiet),
	HIPC_CASE(POLL_flags_1_loaded), HIPC_CASE(POLL_flags_4_loaded),
	HIPC_CASE(POLL_evt_1_loaded), HIPC_CASE(POLL_evt_4_loaded),
	HIPC_CASE(ADAPTIVE_flags_1_quiet), HIPC_CASE(ADAPTIVE_flags_4_quiet),
	HIPC_CASE(ADAPTIVE_evt_1_quiet), HIPC_CASE(ADAPTIVE_evt_4_quiet),
	HIPC_CASE(ADAPTIVE_flags_1_loaded), HIPC_CASE(ADAPTIVE_flags_4_loaded),
	HIPC_CASE(ADAPTIVE_evt_1_loaded), HIPC_CASE(ADAPTIVE_evt_4_loaded),
	HIPC_CASE(IRQ_flags_1_quiet), HIPC_CASE(IRQ_flags_4_quiet),
	HIPC_CASE(IRQ_evt_1_quiet), HIPC_CASE(IRQ_evt_4_quiet),
	HIPC_CASE(IRQ_flags_1_loaded), HIPC_CASE(IRQ_flags_4_loaded),
	HIPC_CASE(IRQ_evt_1_loaded), HIPC_CASE(IRQ_evt_4_loaded))
/* clang-format on */
