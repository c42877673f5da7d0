// SPDX-License-Identifier: BSD-3-Clause
/*
 * The echo firmware's service (firmware/echo-m4/echo.c) on the target,
 * against a host side (driver-role rpmsg) in the same image: the host lays
 * out the rings in a shared window, fills in the resource table and sets
 * DRIVER_OK as Linux would; its doorbells reach the echo side through the
 * bare-metal port's mailbox path (a register FIFO emulated in RAM, the
 * interrupt raised through the NVIC), so the ISR, the doorbell flag and the
 * WFI wait run as on hardware.
 */
#include <stdint.h>

#include "echo.h"
#include "hipc/baremetal.h"
#include "hipc/error.h"
#include "hipc/rpmsg.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#include "hipc_test.h"
#include "m4_test_rt.h"

#define NUM 8u
#define BUFSZ 512u
#define SHM_DA 0x10000000u
#define IRQ_RX 30u

HIPC_RSC_TABLE_RPMSG(test_rsc, NUM, BUFSZ, 0,
		     HIPC_RSC_F_NS | HIPC_RSC_F_EVENT_IDX);

static uint8_t shm[16384] __attribute__((aligned(64)));
static volatile uint32_t fake_mbox[8];

static const struct hipc_region shm_region = {
	.da = SHM_DA, .va = shm, .size = sizeof(shm),
};

static const struct hipc_bm_board echo_board = {
	M4_FAKE_MBOX_BOARD(fake_mbox, IRQ_RX),
	.tx_irq = HIPC_BM_NO_IRQ,
	.shm = { .regions = &shm_region, .count = 1 },
};

/* The mailbox FIFO towards the echo side. */
static uint32_t fifo[16];
static unsigned fifo_head, fifo_count;

static struct hipc_bm bm;
static struct hipc_echo echo;

/* The host side: the same window, both sides addressing it alike. */
static const struct hipc_memmap host_map = { .regions = &shm_region, .count = 1 };
static uint64_t host_storage[(HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER, NUM) + 7) / 8];
static struct hipc_rpmsg_ept *host_buckets[4];
static struct hipc_rpmsg_dev host;
static struct hipc_rpmsg_ept host_ept;
static char ns_name[HIPC_RPMSG_NAME_SIZE];
static uint32_t ns_addr = HIPC_RPMSG_ADDR_ANY;
static unsigned host_kicks, echoes, next_expected;

static void echo_irq(unsigned irq)
{
	if (irq == IRQ_RX)
		hipc_bm_mbox_isr(&bm);
}

static volatile unsigned host_poll_at_tick; /* 0: the host never polls */
static unsigned ticks_seen;

static void echo_systick(void)
{
	hipc_bm_tick_isr(&bm);
	/* Plays the host running on its own core: at the chosen tick it
	 * consumes what the echo side sent, handing the buffers back. */
	if (host_poll_at_tick && ++ticks_seen == host_poll_at_tick)
		hipc_rpmsg_poll(&host, 0);
}

/* The emulated FIFO pops as the port reads it. */
static void echo_on_msg(struct hipc_bm *b, uint32_t msg)
{
	CHECK_EQ(msg, fifo[fifo_head]);
	fifo_head = (fifo_head + 1) % 16u;
	if (--fifo_count == 0)
		fake_mbox[M4_RXS] = 0;
	else
		fake_mbox[M4_RXD] = fifo[fifo_head];
}

static int host_notify(void *ctx, uint32_t notifyid)
{
	CHECK(fifo_count < 16u);
	fifo[(fifo_head + fifo_count) % 16u] = notifyid;
	if (fifo_count++ == 0) {
		fake_mbox[M4_RXD] = notifyid;
		fake_mbox[M4_RXS] = 1;
	}
	host_kicks++;
	/* Raise the echo side's mailbox line: its ISR runs right here. */
	*(volatile uint32_t *)(0xE000E200u + 4u * (IRQ_RX >> 5)) = 1u << (IRQ_RX & 31u);
	__asm__ volatile("dsb 0xF\n\tisb 0xF" : : : "memory");
	return 0;
}

static int host_wait(void *ctx, uint64_t deadline_ns)
{
	return -HIPC_ENOTSUP;
}

static const struct hipc_port_ops host_ops = {
	.notify = host_notify,
	.wait = host_wait,
};
static const struct hipc_port host_port = { .ops = &host_ops };

static void host_ns_cb(struct hipc_rpmsg_dev *dev, const char *name,
		       uint32_t addr, bool destroyed, void *priv)
{
	if (destroyed)
		return;
	strncpy(ns_name, name, sizeof(ns_name) - 1);
	ns_addr = addr;
}

static void fill(uint8_t *p, size_t len, unsigned seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 31u + i);
}

static size_t msg_len(unsigned seq, uint32_t max)
{
	return 4u + (seq * 37u) % (max - 3u);
}

static bool host_accept_any;

static int host_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		   uint32_t src, void *priv)
{
	uint8_t want[BUFSZ];
	unsigned seq;

	if (host_accept_any) {
		echoes++;
		return 0;
	}

	CHECK_EQ(src, ns_addr);
	CHECK(len >= 4);
	memcpy(&seq, data, 4);
	CHECK_EQ(seq, next_expected);
	CHECK_EQ(len, msg_len(seq, hipc_rpmsg_max_payload(&host)));
	fill(want, len, seq);
	memcpy(want, &seq, 4);
	CHECK(memcmp(want, data, len) == 0);
	next_expected++;
	echoes++;
	return 0;
}

/* Linux's order: rings laid out, rx buffers posted, table filled in,
 * DRIVER_OK, then the kick. */
static void host_boot(void)
{
	struct hipc_rpmsg_dev_config c = { 0 };
	size_t vsz = hipc_vring_size(NUM, 16);
	unsigned i;

	c.role = HIPC_RPMSG_DRIVER;
	c.vring_da[0] = SHM_DA;
	c.vring_da[1] = SHM_DA + 1024u;
	c.notifyid[0] = 0;
	c.notifyid[1] = 1;
	c.num = NUM;
	c.align = 16;
	c.features = test_rsc.vdev.dfeatures;
	c.buf_size = BUFSZ;
	c.bufs = shm + 4096;
	c.map = &host_map;
	c.storage = host_storage;
	c.storage_size = sizeof(host_storage);
	c.buckets = host_buckets;
	c.nbuckets = 4;
	c.port = &host_port;
	c.ns_cb = host_ns_cb;
	CHECK(vsz <= 1024);
	CHECK(4096 + 2 * NUM * BUFSZ <= sizeof(shm));
	CHECK_EQ(hipc_rpmsg_dev_init(&host, &c), 0);

	for (i = 0; i < 2; i++) {
		test_rsc.vring[i].da = SHM_DA + (i ? 1024u : 0u);
		test_rsc.vring[i].notifyid = i;
	}
	test_rsc.vdev.gfeatures = c.features;
	test_rsc.vdev.status = HIPC_VIRTIO_STATUS_ACKNOWLEDGE |
			       HIPC_VIRTIO_STATUS_DRIVER |
			       HIPC_VIRTIO_STATUS_DRIVER_OK;
	CHECK_EQ(hipc_rpmsg_dev_start(&host), 0);
}

static void setup(void)
{
	hipc_m4_irq_hook = echo_irq;
	hipc_m4_systick_hook = echo_systick;
	CHECK_EQ(hipc_bm_init(&bm, &echo_board, echo_on_msg, NULL), 0);
	echo.bm = &bm;
	echo.rsc = &test_rsc;
}

HIPC_TEST(waits_for_driver_ok)
{
	setup();
	CHECK(!hipc_echo_ready(&echo));
	host_boot();
	CHECK(hipc_echo_ready(&echo));
	/* The kick after DRIVER_OK went through the ISR to the doorbell. */
	CHECK_EQ(host_kicks, 1);
	CHECK_EQ(bm.mbox.received, 1);
	CHECK_EQ(hipc_bm_wait(&bm, UINT64_MAX), 0);
}

HIPC_TEST(announces_and_echoes)
{
	uint8_t msg[BUFSZ];
	uint32_t max;
	unsigned seq;
	int sleepy;

	setup();
	host_boot();
	CHECK(hipc_echo_ready(&echo));
	CHECK_EQ(hipc_echo_start(&echo), 0);

	CHECK(hipc_rpmsg_poll(&host, 0) >= 1);
	CHECK(strcmp(ns_name, HIPC_ECHO_NS_NAME) == 0);
	CHECK(ns_addr >= HIPC_RPMSG_RESERVED_ADDRESSES);
	CHECK_EQ(hipc_rpmsg_ept_create(&host_ept, &host, "", HIPC_RPMSG_ADDR_ANY,
				       ns_addr, host_rx, NULL), 0);
	max = hipc_rpmsg_max_payload(&host);
	CHECK_EQ(max, BUFSZ - 16u);

	/* Many times round both rings, every size up to the largest. */
	sleepy = hipc_echo_poll(&echo);
	CHECK(sleepy >= 0);
	for (seq = 0; seq < 20u * NUM; seq++) {
		size_t len = msg_len(seq, max);

		fill(msg, len, seq);
		memcpy(msg, &seq, 4);
		CHECK_EQ(hipc_rpmsg_trysend(&host_ept, msg, len), (int)len);
		/* The echo side went to sleep having asked for a doorbell:
		 * the send must have rung it, or the firmware would sleep
		 * through this message. */
		if (sleepy > 0)
			CHECK_EQ(hipc_bm_wait(&bm, hipc_bm_now_ns(&bm) + 100000000u), 0);
		do {
			sleepy = hipc_echo_poll(&echo);
			CHECK(sleepy >= 0);
		} while (sleepy == 0);
		CHECK(hipc_rpmsg_poll(&host, 0) >= 0);
		CHECK_EQ(echoes, seq + 1);
	}
	CHECK(!hipc_rpmsg_broken(&host));
	CHECK(!hipc_rpmsg_broken(&echo.dev));
	printf("%u echoes, %u host doorbells, %lu mailbox messages received\n",
	       echoes, host_kicks, (unsigned long)bm.mbox.received);
}

/* Up to the point where every host rx buffer holds a message from us. */
static uint32_t fill_host_rx(void)
{
	unsigned i;

	setup();
	host_boot();
	CHECK_EQ(hipc_echo_start(&echo), 0);
	CHECK(hipc_rpmsg_poll(&host, 0) >= 1); /* the announcement */
	CHECK_EQ(hipc_rpmsg_ept_create(&host_ept, &host, "", HIPC_RPMSG_ADDR_ANY,
				       ns_addr, host_rx, NULL), 0);
	host_accept_any = true;
	for (i = 0; i < NUM; i++)
		CHECK_EQ(hipc_rpmsg_send_ex(&echo.ept, HIPC_RPMSG_ADDR_ANY,
					    host_ept.addr, "x", 1,
					    HIPC_RPMSG_NO_WAIT), 1);
	CHECK_EQ(hipc_rpmsg_send_ex(&echo.ept, HIPC_RPMSG_ADDR_ANY,
				    host_ept.addr, "x", 1, HIPC_RPMSG_NO_WAIT),
		 -HIPC_EAGAIN);
	return host_ept.addr;
}

HIPC_TEST(blocking_send_times_out)
{
	uint32_t dst = fill_host_rx();
	uint64_t t0 = hipc_bm_now_ns(&bm);

	/* No host to free a buffer: WFI until SysTick passes the deadline. */
	CHECK_EQ(hipc_rpmsg_send_ex(&echo.ept, HIPC_RPMSG_ADDR_ANY, dst, "y", 1,
				    20), -HIPC_ETIMEDOUT);
	CHECK(hipc_bm_now_ns(&bm) - t0 >= 20000000u);
	CHECK(!hipc_rpmsg_broken(&echo.dev));
}

HIPC_TEST(blocking_send_wakes_on_doorbell)
{
	uint32_t dst = fill_host_rx();
	uint64_t t0;

	/* The host frees its buffers 5 ms from now and rings: the blocked
	 * sender wakes from WFI on that doorbell, long before its timeout. */
	echoes = 0;
	ticks_seen = 0;
	host_poll_at_tick = 5;
	t0 = hipc_bm_now_ns(&bm);
	CHECK_EQ(hipc_rpmsg_send_ex(&echo.ept, HIPC_RPMSG_ADDR_ANY, dst, "y", 1,
				    1000), 1);
	host_poll_at_tick = 0;
	CHECK_EQ(echoes, NUM);
	CHECK(hipc_bm_now_ns(&bm) - t0 < 500000000u);
}

HIPC_TEST(bad_table_refused)
{
	setup();
	host_boot();
	/* A host that points a vring outside the shared window: the core
	 * refuses it. */
	test_rsc.vring[1].da = SHM_DA + sizeof(shm) - 16u;
	CHECK_EQ(hipc_echo_start(&echo), -HIPC_ERANGE);
	/* Rings of different sizes: the firmware's own check. */
	test_rsc.vring[1].da = SHM_DA + 1024u;
	test_rsc.vring[1].num = NUM / 2u;
	CHECK_EQ(hipc_echo_start(&echo), -HIPC_EINVAL);
}

HIPC_TEST_MAIN(HIPC_CASE(waits_for_driver_ok), HIPC_CASE(announces_and_echoes),
	       HIPC_CASE(blocking_send_times_out),
	       HIPC_CASE(blocking_send_wakes_on_doorbell),
	       HIPC_CASE(bad_table_refused))
