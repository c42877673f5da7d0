/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The library's receive thread (hipc_link_thread_start()) beside a sender
 * blocked for tx buffers, both roles in one process over the real Linux
 * port.  The remote never takes the host's messages, so the sender stays
 * blocked (the link's sleeper, most of the time) for the whole test; the
 * remote sends to the host, one message at a time, and each must reach the
 * host's endpoint while the sender still waits.  The receive thread turns
 * the host's rx notifications off while it polls; when it then waits
 * behind the sender's sleep it must have asked for them again, or the
 * remote never rings and the message sits until the sender's wait ends.
 * Rechecks are off (HIPC_RECHECK_MS=0): nothing but a doorbell wakes the
 * host.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/rpmsg.h"
#include "hipc_test.h"
#include "link_pair.h"

#define ROUNDS 200u
#define SENDER_WAIT_MS 20000u
#define DELIVERY_MS 3000u

static struct {
	struct link_pair lp;
	struct hipc_link *link[2];
	struct hipc_rpmsg_dev dev[2];
	struct hipc_rpmsg_ept *buckets[2][16];
	struct hipc_rpmsg_ept host, remote;
	atomic_uint received;
	atomic_int bad;
	atomic_int stop;        /* the sender's last send */
	atomic_int sender_done; /* its loop ended */
	int sender_ret;
} W;

static int host_rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t s,
		   void *priv)
{
	uint32_t seq;

	(void)e, (void)s, (void)priv;
	if (l != sizeof(seq)) {
		W.bad++;
		return 0;
	}
	memcpy(&seq, d, sizeof(seq));
	if (seq != atomic_load(&W.received))
		W.bad++;
	atomic_fetch_add(&W.received, 1);
	return 0;
}

static int remote_rx(struct hipc_rpmsg_ept *e, void *d, size_t l,
		     uint32_t s, void *priv)
{
	(void)e, (void)d, (void)l, (void)s, (void)priv;
	return 0;
}

/* Fills the host's tx ring, then waits in one more send. */
static void *sender(void *arg)
{
	static const char x[8] = "blocked";
	int ret;

	(void)arg;
	do
		ret = hipc_rpmsg_send_timeout(&W.host, x, sizeof(x),
					      SENDER_WAIT_MS);
	while (ret == (int)sizeof(x) && !atomic_load(&W.stop));
	W.sender_ret = ret;
	atomic_store(&W.sender_done, 1);
	return NULL;
}

static uint64_t tx_waits(void)
{
	struct hipc_rpmsg_stats s;

	CHECK_EQ(hipc_rpmsg_get_stats(&W.dev[HOST], &s), 0);
	return s.tx_waits;
}

static void parked_receiver_hears_the_remote(enum hipc_link_mode mode)
{
	struct hipc_rpmsg_dev_config c;
	struct hipc_link_thread *t;
	pthread_t s;

	memset(&W, 0, sizeof(W));
	CHECK_EQ(setenv("HIPC_RECHECK_MS", "0", 1), 0);
	link_pair_open(&W.lp, "rxthread", mode, &W.link[HOST],
		       &W.link[REMOTE]);
	link_pair_config(&W.lp, &c, 0);
	c.nbuckets = 16;
	for (unsigned i = 0; i < 2; i++) {
		link_pair_side(&W.lp, &c, i, W.link[i]);
		c.buckets = W.buckets[i];
		CHECK_EQ(hipc_rpmsg_dev_init(&W.dev[i], &c), 0);
	}
	CHECK_EQ(hipc_rpmsg_dev_start(&W.dev[HOST]), 0);
	CHECK_EQ(hipc_rpmsg_dev_start(&W.dev[REMOTE]), 0);
	CHECK_EQ(hipc_rpmsg_ept_create(&W.host, &W.dev[HOST], "h", 1024, 1025,
				       host_rx, NULL),
		 0);
	CHECK_EQ(hipc_rpmsg_ept_create(&W.remote, &W.dev[REMOTE], "r", 1025,
				       1024, remote_rx, NULL),
		 0);
	CHECK_EQ(hipc_link_thread_start(&t, W.link[HOST], &W.dev[HOST], NULL,
					NULL),
		 0);
	CHECK_EQ(pthread_create(&s, NULL, sender, NULL), 0);
	for (int i = 0; i < 5000 && tx_waits() == 0; i++)
		usleep(1000);
	CHECK(tx_waits() > 0);

	for (uint32_t k = 0; k < ROUNDS; k++) {
		uint64_t until = hipc_now_ns() + DELIVERY_MS * 1000000ull;

		CHECK_EQ(hipc_rpmsg_trysend(&W.remote, &k, sizeof(k)),
			 (int)sizeof(k));
		while (atomic_load(&W.received) == k && hipc_now_ns() < until)
			usleep(50);
		if (atomic_load(&W.received) == k)
			printf("message %u not delivered in %u ms (sender %s)\n",
			       k, DELIVERY_MS,
			       atomic_load(&W.sender_done) ? "done" : "waiting");
		CHECK_EQ(atomic_load(&W.received), k + 1);
		/* The sender waited all along: what woke the receiver was
		 * the remote's doorbell, not the end of the sender's wait. */
		CHECK(!atomic_load(&W.sender_done));
	}

	/* The remote takes what the host sent: the sender's wait ends. */
	atomic_store(&W.stop, 1);
	while (hipc_rpmsg_poll(&W.dev[REMOTE], 0) > 0)
		;
	pthread_join(s, NULL);
	CHECK_EQ(W.sender_ret, 8);
	CHECK_EQ(hipc_link_thread_stop(t), 0);
	CHECK_EQ(atomic_load(&W.bad), 0);
	CHECK(!hipc_rpmsg_broken(&W.dev[HOST]));
	CHECK(!hipc_rpmsg_broken(&W.dev[REMOTE]));
	hipc_rpmsg_ept_destroy(&W.host);
	hipc_rpmsg_ept_destroy(&W.remote);
	hipc_rpmsg_dev_deinit(&W.dev[HOST]);
	hipc_rpmsg_dev_deinit(&W.dev[REMOTE]);
	for (unsigned i = 0; i < 2; i++)
		hipc_link_free(W.link[i]);
	hipc_shm_close(&W.lp.shm);
}

HIPC_TEST(parked_receiver_hears_the_remote_irq)
{
	parked_receiver_hears_the_remote(HIPC_LINK_IRQ);
}

HIPC_TEST(parked_receiver_hears_the_remote_adaptive)
{
	parked_receiver_hears_the_remote(HIPC_LINK_ADAPTIVE);
}

HIPC_TEST_MAIN(HIPC_CASE(parked_receiver_hears_the_remote_irq),
	       HIPC_CASE(parked_receiver_hears_the_remote_adaptive))
