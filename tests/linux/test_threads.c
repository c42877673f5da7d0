/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Both roles in one process over the real Linux port (memfd region, links,
 * eventfds), so ThreadSanitizer sees every access: four host threads send
 * sequence-stamped streams on four endpoints while the remote echoes each
 * back (blocking in send whenever the host's rx ring is full) and a fifth
 * stream flows from the remote on its own.  Rings are small so that both
 * sides block on full rings all the time.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/rpmsg.h"
#include "hipc_test.h"
#include "ring_report.h"

/* The link's shared words, then the rings. */
#define CTRL_PAGE 4096u

#define NUM 16u
#define BUF 512u
#define RING 4096u
#define NSEND 4
#define PER_THREAD 20000u

struct world {
	struct hipc_shm shm;
	struct hipc_link_shared *ctrl; /* at the start of the region */
	struct hipc_link *hl, *rl;
	struct hipc_region reg;
	struct hipc_memmap map;
	struct hipc_rpmsg_dev drv, dev;
	struct hipc_rpmsg_ept *hb[64], *rb[64];
	uint64_t storage[2048];
	struct hipc_rpmsg_ept hept[NSEND + 1], rept[NSEND + 1];
	atomic_uint_fast64_t next[NSEND + 1];
	atomic_int bad;
	atomic_int stop;
	unsigned remote_stream_sent;
	/* the remote loop's own story, for the stall report */
	atomic_uint loops, try_fail, wait_ret0, wait_timeout, host_loops,
		host_polled;
	atomic_int last_try;
};

static struct world W;

static int host_rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t s,
		   void *priv)
{
	unsigned k = (unsigned)(uintptr_t)priv;
	uint64_t seq;

	(void)e;
	(void)s;
	if (l < 8) {
		W.bad++;
		return 0;
	}
	memcpy(&seq, d, 8);
	/* per-endpoint order: exactly the next one */
	if (seq != atomic_load(&W.next[k]))
		W.bad++;
	for (size_t i = 8; i < l; i++)
		if (((uint8_t *)d)[i] != (uint8_t)(seq + i))
			W.bad++;
	atomic_store(&W.next[k], seq + 1);
	return 0;
}

static int remote_echo(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t s,
		       void *priv)
{
	(void)priv;
	/* Blocks while the host's rx ring is full; bounded so a bug shows as
	 * a failure, not a hang. */
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, s, d, l, 20000) != (int)l)
		W.bad++;
	return 0;
}

static size_t len_of(uint64_t seq)
{
	return 8 + (size_t)(seq * 13u % 489u);
}

static void make_msg(uint8_t *b, uint64_t seq, size_t l)
{
	memcpy(b, &seq, 8);
	for (size_t i = 8; i < l; i++)
		b[i] = (uint8_t)(seq + i);
}

static bool rx_may_sleep(void *arg)
{
	return !atomic_load(&W.stop) &&
	       hipc_rpmsg_prepare_sleep((struct hipc_rpmsg_dev *)arg);
}

static void *host_rx_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&W.stop)) {
		int n;

		atomic_fetch_add(&W.host_loops, 1);
		hipc_link_drain(W.hl, NULL, NULL);
		n = hipc_rpmsg_poll(&W.drv, 0);
		if (n > 0) {
			atomic_fetch_add(&W.host_polled, (unsigned)n);
			continue;
		}
		hipc_link_wait(W.hl, hipc_now_ns() + 100000000u, rx_may_sleep,
			       &W.drv);
	}
	return NULL;
}

/* The remote's loop also waits for tx space when its own stream found no
 * buffer: trysend does not wait, so nothing else asks for that doorbell. */
static bool rx_tx_may_sleep(void *arg)
{
	return !atomic_load(&W.stop) &&
	       hipc_rpmsg_prepare_sleep_tx((struct hipc_rpmsg_dev *)arg);
}

static void *remote_thread(void *arg)
{
	uint8_t b[BUF];

	(void)arg;
	while (!atomic_load(&W.stop)) {
		bool want_tx = false;
		int n;

		hipc_link_drain(W.rl, NULL, NULL);
		n = hipc_rpmsg_poll(&W.dev, 0);
		/* the remote's own stream, sent without blocking */
		if (W.remote_stream_sent < PER_THREAD) {
			uint64_t seq = W.remote_stream_sent;
			size_t l = len_of(seq);

			make_msg(b, seq, l);
			int r = hipc_rpmsg_trysend(&W.rept[NSEND], b, l);

			if (r == (int)l) {
				W.remote_stream_sent++;
				continue;
			}
			atomic_store(&W.last_try, r);
			atomic_fetch_add(&W.try_fail, 1);
			want_tx = r == -HIPC_EAGAIN;
		}
		atomic_fetch_add(&W.loops, 1);
		if (n > 0)
			continue;
		if (hipc_link_wait(W.rl, hipc_now_ns() + 100000000u,
				   want_tx ? rx_tx_may_sleep : rx_may_sleep,
				   &W.dev) == 0)
			atomic_fetch_add(&W.wait_ret0, 1);
		else
			atomic_fetch_add(&W.wait_timeout, 1);
	}
	return NULL;
}

static void *sender(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;
	uint8_t b[BUF];

	for (uint64_t seq = 0; seq < PER_THREAD; seq++) {
		size_t l = len_of(seq);

		make_msg(b, seq, l);
		if (hipc_rpmsg_send_timeout(&W.hept[k], b, l, 20000) != (int)l) {
			W.bad++;
			break;
		}
	}
	return NULL;
}

static void setup(uint32_t features, enum hipc_link_mode mode)
{
	struct hipc_rpmsg_dev_config c;
	int e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int e2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int e3, e4;

	memset(&W, 0, sizeof(W));
	CHECK(e1 >= 0 && e2 >= 0);
	e3 = dup(e1);
	e4 = dup(e2);
	CHECK_EQ(hipc_shm_create(&W.shm, "test", CTRL_PAGE + 2 * RING +
						2 * NUM * BUF),
		 0);
	W.ctrl = (struct hipc_link_shared *)W.shm.base;
	/* host: in e1, out e2; remote: in e2 (dup), out e1 (dup) */
	CHECK_EQ(hipc_link_new(&W.hl, W.ctrl, HIPC_SIDE_HOST, e1, e2, mode, 20),
		 0);
	CHECK_EQ(hipc_link_new(&W.rl, W.ctrl, HIPC_SIDE_REMOTE, e4, e3, mode,
			       20),
		 0);
	W.reg.da = 0;
	W.reg.va = W.shm.base;
	W.reg.size = W.shm.size;
	W.map.regions = &W.reg;
	W.map.count = 1;

	memset(&c, 0, sizeof(c));
	c.role = HIPC_RPMSG_DRIVER;
	c.vring_da[0] = W.reg.da + CTRL_PAGE;
	c.vring_da[1] = W.reg.da + CTRL_PAGE + RING;
	c.notifyid[0] = 0;
	c.notifyid[1] = 1;
	c.num = NUM;
	c.align = 16;
	c.features = features;
	c.buf_size = BUF;
	c.bufs = W.shm.base + CTRL_PAGE + 2 * RING;
	c.map = &W.map;
	c.storage = W.storage;
	c.storage_size = sizeof(W.storage);
	c.buckets = W.hb;
	c.nbuckets = 64;
	c.port = hipc_link_port(W.hl);
	CHECK_EQ(hipc_rpmsg_dev_init(&W.drv, &c), 0);
	c.role = HIPC_RPMSG_DEVICE;
	c.bufs = NULL;
	c.storage = NULL;
	c.storage_size = 0;
	c.buckets = W.rb;
	c.port = hipc_link_port(W.rl);
	CHECK_EQ(hipc_rpmsg_dev_init(&W.dev, &c), 0);
	for (unsigned k = 0; k <= NSEND; k++) {
		CHECK_EQ(hipc_rpmsg_ept_create(&W.rept[k], &W.dev, NULL, 2000 + k,
					       1024 + k, remote_echo, NULL),
			 0);
		CHECK_EQ(hipc_rpmsg_ept_create(&W.hept[k], &W.drv, NULL, 1024 + k,
					       2000 + k, host_rx,
					       (void *)(uintptr_t)k),
			 0);
	}
	CHECK_EQ(hipc_rpmsg_dev_start(&W.drv), 0);
	CHECK_EQ(hipc_rpmsg_dev_start(&W.dev), 0);
}

/* What each side was waiting for when the run stopped making progress. */
static void dump(void)
{
	struct hipc_rpmsg_dev *d[2] = { &W.drv, &W.dev };
	struct hipc_link *l[2] = { W.hl, W.rl };

	for (int i = 0; i < 2; i++) {
		struct hipc_rpmsg_stats hs, rs;
		struct hipc_vring_info hrx, rtx;

		hipc_rpmsg_get_stats(&W.drv, &hs);
		hipc_rpmsg_get_stats(&W.dev, &rs);
		hipc_rpmsg_ring_info(&W.drv, 0, &hrx);
		hipc_rpmsg_ring_info(&W.dev, 0, &rtx);
		printf("loops: host %u (delivered %u), remote %u; pending: "
		       "host rx %u, remote tx %u\n",
		       atomic_load(&W.host_loops), atomic_load(&W.host_polled),
		       atomic_load(&W.loops), hrx.pending, rtx.pending);
		printf("  host rx_msgs %llu dropped %llu ns %u proto %u | remote "
		       "tx_msgs %llu rx_msgs %llu notifies %llu | remote vr0 "
		       "consumed %u avail idx %u\n",
		       (unsigned long long)hs.rx_msgs,
		       (unsigned long long)hs.rx_dropped, hs.ns_rx,
		       hs.proto_errors, (unsigned long long)rs.tx_msgs,
		       (unsigned long long)rs.rx_msgs,
		       (unsigned long long)rs.notifies, rtx.consumed,
		       rtx.peer_idx);
		usleep(200000);
	}
	printf("remote stream sent %u; remote loop: %u passes, %u failed "
	       "trysends (last %d), waits %u (woken %u, timed out %u)\n",
	       W.remote_stream_sent, atomic_load(&W.loops),
	       atomic_load(&W.try_fail), atomic_load(&W.last_try),
	       atomic_load(&W.wait_ret0) + atomic_load(&W.wait_timeout),
	       atomic_load(&W.wait_ret0), atomic_load(&W.wait_timeout));
	for (unsigned k = 0; k <= NSEND; k++)
		printf("stream %u: next %llu\n", k,
		       (unsigned long long)atomic_load(&W.next[k]));
	for (unsigned i = 0; i < 2; i++) {
		struct hipc_link_stats st;

		hipc_link_get_stats(l[i], &st);
		printf("%s: awake %u fifo %u sleeps %llu eventfd writes %llu\n",
		       i ? "remote" : "host", W.ctrl->awake[i],
		       W.ctrl->fifo[i].head - W.ctrl->fifo[i].tail,
		       (unsigned long long)st.sleeps,
		       (unsigned long long)st.eventfd_writes);
		ring_report(d[i]);
	}
	fflush(stdout);
}

static void run(uint32_t features, enum hipc_link_mode mode)
{
	pthread_t rx, rt, tx[NSEND];
	uint64_t t0 = hipc_now_ns();
	struct hipc_rpmsg_stats hs, rs;

	setup(features, mode);
	CHECK_EQ(pthread_create(&rt, NULL, remote_thread, NULL), 0);
	CHECK_EQ(pthread_create(&rx, NULL, host_rx_thread, NULL), 0);
	for (unsigned k = 0; k < NSEND; k++)
		CHECK_EQ(pthread_create(&tx[k], NULL, sender,
					(void *)(uintptr_t)k),
			 0);
	for (unsigned k = 0; k < NSEND; k++)
		pthread_join(tx[k], NULL);
	/* wait for every echo and the remote's stream (bounded) */
	for (;;) {
		bool done = atomic_load(&W.next[NSEND]) == PER_THREAD;

		for (unsigned k = 0; k < NSEND; k++)
			done = done && atomic_load(&W.next[k]) == PER_THREAD;
		if (done || atomic_load(&W.bad) ||
		    hipc_now_ns() - t0 > 60000000000ull)
			break;
		usleep(1000);
	}
	if (atomic_load(&W.bad) || atomic_load(&W.next[NSEND]) != PER_THREAD)
		dump();
	for (unsigned k = 0; k < NSEND; k++)
		if (atomic_load(&W.next[k]) != PER_THREAD) {
			dump();
			break;
		}
	atomic_store(&W.stop, 1);
	/* wake both loops */
	hipc_link_send(W.hl, HIPC_MBOX_PENDING_MSG);
	hipc_link_send(W.rl, HIPC_MBOX_PENDING_MSG);
	pthread_join(rx, NULL);
	pthread_join(rt, NULL);
	CHECK_EQ(atomic_load(&W.bad), 0);
	for (unsigned k = 0; k <= NSEND; k++)
		CHECK_EQ(atomic_load(&W.next[k]), PER_THREAD);
	CHECK(!hipc_rpmsg_broken(&W.drv) && !hipc_rpmsg_broken(&W.dev));
	/* small rings, heavy traffic: senders did block and recover */
	CHECK_EQ(hipc_rpmsg_get_stats(&W.drv, &hs), 0);
	CHECK_EQ(hipc_rpmsg_get_stats(&W.dev, &rs), 0);
	CHECK(hs.tx_waits > 0);
	printf("tx_waits host %llu remote %llu\n",
	       (unsigned long long)hs.tx_waits,
	       (unsigned long long)rs.tx_waits);
	hipc_link_free(W.hl);
	hipc_link_free(W.rl);
	hipc_shm_close(&W.shm);
}

HIPC_TEST(four_senders_irq)
{
	run(1u << HIPC_RPMSG_F_NS, HIPC_LINK_IRQ);
}

HIPC_TEST(four_senders_event_idx_adaptive)
{
	run((1u << HIPC_RPMSG_F_NS) | (1u << HIPC_VIRTIO_F_EVENT_IDX),
	    HIPC_LINK_ADAPTIVE);
}

HIPC_TEST_MAIN(HIPC_CASE(four_senders_irq),
	       HIPC_CASE(four_senders_event_idx_adaptive))
