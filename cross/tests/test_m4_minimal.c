// SPDX-License-Identifier: BSD-3-Clause
/*
 * The echo service in the echo image's own configuration (the
 * minimal-remote profile of hipc/config.h: device role only, no lock, no
 * waiting, the mailbox's waiting messages as a set), on the target, with
 * the same core and port libraries the image links.
 *
 * That core has no driver role, so the host side here is written out on
 * the wire format: rings laid out, rx buffers posted, DRIVER_OK, kicks
 * through an emulated mailbox FIFO whose interrupt is raised in the NVIC.
 * It checks what Linux would see: the name-service announcement, echoes
 * byte for byte, used lengths, doorbells; and that a hostile host gets the
 * device marked broken, not a fault.
 */
#include <stdint.h>
#include <string.h>

#include "echo.h"
#include "hipc/baremetal.h"
#include "hipc/config.h"
#include "hipc/error.h"
#include "hipc/rpmsg.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#include "hipc_test.h"
#include "m4_test_rt.h"

#if HIPC_CFG_DRIVER || HIPC_CFG_LOCK || HIPC_CFG_MBOX_FIFO || HIPC_BM_TICK || \
	HIPC_BM_MBOX_MODEL
#error "build this test with the echo image's configuration"
#endif

#define NUM 8u
#define BUFSZ 512u
#define SHM_DA 0x10000000u
#define RING1 1024u  /* vring 1's offset in shm */
#define BUFS 4096u   /* rx buffers (vring 0), then tx buffers (vring 1) */
#define USED 160u    /* used ring offset for NUM 8, align 16 */
#define IRQ_RX 30u
#define HOST_ADDR 0x400u
#define NO_KICK 0xFFFFFFFFu /* M4_TXD: nothing written since the host looked */

HIPC_RSC_TABLE_RPMSG(min_rsc, NUM, BUFSZ, 0, HIPC_RSC_F_NS);

static uint8_t shm[BUFS + 2u * NUM * BUFSZ] __attribute__((aligned(64)));
static volatile uint32_t fake_mbox[8];

static const struct hipc_region shm_region = {
	.da = SHM_DA, .va = shm, .size = sizeof(shm),
};

static const struct hipc_bm_board min_board = {
	M4_FAKE_MBOX_BOARD(fake_mbox, IRQ_RX),
	.tx_irq = HIPC_BM_NO_IRQ,
	.shm = { .regions = &shm_region, .count = 1 },
};

static struct hipc_bm bm;
static struct hipc_echo echo;
static unsigned pending_kicks; /* host -> remote, not yet read */

/* The host's view of one ring. */
struct ring {
	uint8_t *desc, *avail, *used;
	uint16_t avail_idx, used_seen;
};
static struct ring r0, r1; /* remote->host (host rx), host->remote */

/* The wire is little-endian, and so is the Cortex-M4. */
static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void ring_at(struct ring *r, uint8_t *base)
{
	r->desc = base;
	r->avail = base + 16u * NUM;
	r->used = base + USED;
	r->avail_idx = 0;
	r->used_seen = 0;
}

static void post(struct ring *r, unsigned id, uint64_t da, uint32_t len,
		 bool device_writes)
{
	uint8_t *d = r->desc + 16u * id;

	put64(d, da);
	put32(d + 8, len);
	put16(d + 12, device_writes ? HIPC_VRING_DESC_F_WRITE : 0);
	put16(d + 14, 0);
	put16(r->avail + 4u + 2u * (r->avail_idx % NUM), (uint16_t)id);
	r->avail_idx++;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	put16(r->avail + 2, r->avail_idx);
}

static bool take_used(struct ring *r, uint32_t *id, uint32_t *len)
{
	const uint8_t *e;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (get16(r->used + 2) == r->used_seen)
		return false;
	e = r->used + 4u + 8u * (r->used_seen % NUM);
	*id = get32(e);
	*len = get32(e + 4);
	r->used_seen++;
	return true;
}

static uint8_t *rx_buf(unsigned id)
{
	return shm + BUFS + id * BUFSZ;
}

static uint8_t *tx_buf(unsigned id)
{
	return shm + BUFS + (NUM + id) * BUFSZ;
}

static void min_irq(unsigned irq)
{
	if (irq == IRQ_RX)
		hipc_bm_mbox_isr(&bm);
}

/*
 * The host running beside the remote, from SysTick.  The port in this
 * configuration has no tick of its own, so the test starts SysTick (1 ms)
 * to stand in for a host that acts while the remote sits in its idle loop.
 */
#define HOST_DRAIN 1u  /* empty the host's FIFO (TX status: not full) */
#define HOST_KICK 2u   /* ring the remote (vring 1) */
#define HOST_ANSWER 4u /* ring the remote once one of its doorbells lands */
#define HOST_MSG 8u    /* post host_msg_len bytes on vring 1, then ring */
static volatile unsigned ticks, host_at, host_do;
static volatile uint32_t host_answered = NO_KICK;
static uint32_t host_msg_len, host_svc;

static void host_kick(uint32_t notifyid);
static void host_send(uint32_t svc, uint32_t plen, unsigned seq);

static void min_systick(void)
{
	ticks++;
	if (!host_do || ticks < host_at)
		return;
	if (host_do & HOST_DRAIN)
		fake_mbox[M4_TXS] = 0;
	if (host_do & HOST_MSG)
		host_send(host_svc, host_msg_len, 0);
	if (host_do & (HOST_KICK | HOST_MSG)) {
		host_do &= ~(HOST_DRAIN | HOST_KICK | HOST_MSG);
		host_kick(1);
	}
	if ((host_do & HOST_ANSWER) && fake_mbox[M4_TXD] != NO_KICK) {
		host_answered = fake_mbox[M4_TXD];
		host_do = 0;
		host_kick(1);
	}
	host_do &= ~HOST_DRAIN;
}

/* Have the host do @what @delay ticks from now. */
static void host_after(unsigned delay, unsigned what)
{
	host_at = ticks + delay;
	host_do = what;
}

static void systick_start(void)
{
	ticks = 0;
	host_do = 0;
	/* SYST_RVR, SYST_CVR, SYST_CSR: 1 ms at 25 MHz, processor clock,
	 * interrupt on. */
	*(volatile uint32_t *)0xE000E014u = 25000u - 1u;
	*(volatile uint32_t *)0xE000E018u = 0;
	*(volatile uint32_t *)0xE000E010u = 7u;
}

static void systick_stop(void)
{
	*(volatile uint32_t *)0xE000E010u = 0;
}

/* The emulated FIFO pops as the port reads it. */
static void min_on_msg(struct hipc_bm *b, uint32_t msg)
{
	(void)b;
	CHECK(msg < 2u);
	if (--pending_kicks == 0)
		fake_mbox[M4_RXS] = 0;
}

static void host_kick(uint32_t notifyid)
{
	fake_mbox[M4_RXD] = notifyid;
	fake_mbox[M4_RXS] = 1;
	pending_kicks++;
	/* NVIC set-pending: the port's ISR runs right here. */
	*(volatile uint32_t *)(0xE000E200u + 4u * (IRQ_RX >> 5)) =
		1u << (IRQ_RX & 31u);
	__asm__ volatile("dsb 0xF\n\tisb 0xF" : : : "memory");
}

/* The remote's doorbells land in M4_TXD: did one arrive since we last
 * looked, and with which notifyid? */
static bool remote_kicked(uint32_t *which)
{
	if (fake_mbox[M4_TXD] == NO_KICK)
		return false;
	*which = fake_mbox[M4_TXD];
	fake_mbox[M4_TXD] = NO_KICK;
	return true;
}

/* Linux's order: rings laid out, every rx buffer posted, table filled
 * in, DRIVER_OK, then the kick. */
static void host_boot(uint32_t features)
{
	unsigned i;

	memset(shm, 0, sizeof(shm));
	memset((void *)fake_mbox, 0, sizeof(fake_mbox));
	fake_mbox[M4_TXD] = NO_KICK;
	pending_kicks = 0;
	ring_at(&r0, shm);
	ring_at(&r1, shm + RING1);
	for (i = 0; i < NUM; i++)
		post(&r0, i, SHM_DA + BUFS + i * BUFSZ, BUFSZ, true);
	for (i = 0; i < 2; i++) {
		min_rsc.vring[i].da = SHM_DA + (i ? RING1 : 0u);
		min_rsc.vring[i].notifyid = i;
	}
	min_rsc.vdev.gfeatures = features;
	min_rsc.vdev.status = HIPC_VIRTIO_STATUS_ACKNOWLEDGE |
			      HIPC_VIRTIO_STATUS_DRIVER |
			      HIPC_VIRTIO_STATUS_DRIVER_OK;
	hipc_m4_irq_hook = min_irq;
	hipc_m4_systick_hook = min_systick;
	CHECK_EQ(hipc_bm_init(&bm, &min_board, min_on_msg, NULL), 0);
	echo.bm = &bm;
	echo.rsc = &min_rsc;
	host_kick(0);
	CHECK(hipc_echo_ready(&echo));
}

/* The echo device's protocol-error count. */
static uint32_t proto_errors(void)
{
	struct hipc_rpmsg_stats st;

	CHECK_EQ(hipc_rpmsg_get_stats(&echo.dev, &st), 0);
	return st.proto_errors;
}

/* One name-service message, from the service's address to 53: @name at
 * the address it returns, with @flags. */
static uint32_t host_read_ns(const char *name, uint32_t flags)
{
	uint32_t id, len, addr;
	uint8_t *b;

	CHECK(take_used(&r0, &id, &len));
	CHECK(id < NUM);
	/* The buffer's capacity, not 16 + 40: OpenAMP's driver posts the
	 * buffer again with this length. */
	CHECK_EQ(len, BUFSZ);
	b = rx_buf(id);
	addr = get32(b);
	CHECK_EQ(get32(b + 4), HIPC_RPMSG_NS_ADDR);
	CHECK_EQ(get16(b + 12), 40u);
	CHECK(strcmp((const char *)b + 16, name) == 0);
	for (size_t i = strlen(name); i < 32; i++)
		CHECK_EQ(b[16 + i], 0); /* NUL-padded */
	CHECK_EQ(get32(b + 16 + 32), addr);
	CHECK_EQ(get32(b + 16 + 36), flags);
	CHECK(addr >= HIPC_RPMSG_RESERVED_ADDRESSES);
	post(&r0, id, SHM_DA + BUFS + id * BUFSZ, BUFSZ, true);
	return addr;
}

/* The echo service's announcement. */
static uint32_t host_read_announcement(void)
{
	return host_read_ns(HIPC_ECHO_NS_NAME, HIPC_RPMSG_NS_CREATE);
}

HIPC_TEST(announces_and_echoes)
{
	uint32_t svc, id, len, which;
	unsigned seq, tx_id = 0;

	host_boot(HIPC_RSC_F_NS);
	CHECK_EQ(hipc_echo_start(&echo), 0);
	CHECK(remote_kicked(&which));
	CHECK_EQ(which, 0);
	svc = host_read_announcement();

	for (seq = 0; seq < 20u * NUM; seq++) {
		uint32_t plen = 1u + (seq * 37u) % (BUFSZ - 16u);
		uint8_t *t = tx_buf(tx_id);
		int sleepy;

		put32(t, HOST_ADDR + seq);
		put32(t + 4, svc);
		put32(t + 8, 0xDEADBEEFu); /* reserved: never relied on */
		put16(t + 12, (uint16_t)plen);
		put16(t + 14, 0);
		for (uint32_t i = 0; i < plen; i++)
			t[16 + i] = (uint8_t)(seq + i * 7u);
		post(&r1, tx_id, SHM_DA + BUFS + (NUM + tx_id) * BUFSZ,
		     16u + plen, false);
		host_kick(1);
		do {
			sleepy = hipc_echo_poll(&echo);
			CHECK(sleepy >= 0);
		} while (sleepy == 0);
		/* The host asked for every notification (flags 0): the echo
		 * on vring 0 rang, then the returned buffer on vring 1 (the
		 * register keeps the last). */
		CHECK(remote_kicked(&which));
		CHECK_EQ(which, 1);

		/* The tx buffer came back, consumed, with its descriptor's
		 * length (OpenAMP's driver reuses it as the capacity). */
		CHECK(take_used(&r1, &id, &len));
		CHECK_EQ(id, tx_id);
		CHECK_EQ(len, 16u + plen);
		tx_id = (tx_id + 1u) % NUM;
		/* The echo, to the sender, from the service; used.len is the
		 * rx buffer's capacity. */
		CHECK(take_used(&r0, &id, &len));
		CHECK_EQ(len, BUFSZ);
		t = rx_buf(id);
		CHECK_EQ(get32(t), svc);
		CHECK_EQ(get32(t + 4), HOST_ADDR + seq);
		CHECK_EQ(get32(t + 8), 0);
		CHECK_EQ(get16(t + 12), plen);
		CHECK_EQ(get16(t + 14), 0);
		for (uint32_t i = 0; i < plen; i++)
			CHECK_EQ(t[16 + i], (uint8_t)(seq + i * 7u));
		post(&r0, id, SHM_DA + BUFS + id * BUFSZ, BUFSZ, true);
	}
	CHECK(!hipc_rpmsg_broken(&echo.dev));
	CHECK_EQ(proto_errors(), 0);
}

static int notify(uint32_t notifyid)
{
	const struct hipc_port *port = hipc_bm_port(&bm);

	return port->ops->notify(port->ctx, notifyid);
}

HIPC_TEST(doorbell_waits_while_fifo_full)
{
	uint32_t which;

	host_boot(HIPC_RSC_F_NS);
	fake_mbox[M4_TXS] = 1; /* the host is not draining its FIFO */
	CHECK_EQ(hipc_echo_start(&echo), 0);
	/* The announcement's doorbell found no room: it waits. */
	CHECK(!remote_kicked(&which));
	CHECK_EQ(bm.tx_waiting, 1u << 0);
	/* Rung again it is still one doorbell; another ring's is its own. */
	CHECK_EQ(notify(0), 0);
	CHECK_EQ(notify(1), 0);
	CHECK_EQ(bm.tx_waiting, 3u);
	/* One bit per notifyid: an id the mask cannot hold is refused, not
	 * dropped. */
	CHECK_EQ(notify(32), -HIPC_EINVAL);
	CHECK_EQ(bm.tx_waiting, 3u);
	/* The boot kick is still untaken: the wait returns at once, and
	 * with the FIFO still full both doorbells still wait. */
	CHECK_EQ(hipc_bm_wait(&bm, 0), 0);
	CHECK_EQ(bm.tx_waiting, 3u);
	CHECK(!remote_kicked(&which));

	/*
	 * The host drains its FIFO 5 ms from now without ringing us, and
	 * rings back only once one of our doorbells has landed.  If the idle
	 * loop slept on the waiting doorbells it would never wake: the wait
	 * ends only because it sent them as soon as there was room.
	 */
	systick_start();
	host_after(5, HOST_DRAIN | HOST_ANSWER);
	CHECK_EQ(hipc_bm_wait(&bm, 0), 0);
	systick_stop();
	CHECK(ticks >= 5u);
	CHECK_EQ(bm.tx_waiting, 0);
	/* Lowest notifyid first: the register keeps the last, vring 1's. */
	CHECK_EQ(host_answered, 1u);
	(void)host_read_announcement();
	CHECK(!hipc_rpmsg_broken(&echo.dev));
}

/*
 * A FIFO that drains with no interrupt at all: its "full" bit is bit 23 of
 * SysTick's current value, which counts down from 0xFFFFFF, so the FIFO is
 * full for the first half of the count and has room for the second.  The
 * only interrupt is SysTick's at the end of the count.  A wait that slept
 * while a doorbell waited would sleep through the whole window; one that
 * keeps retrying sends it well before the end.
 */
#define SYST_CVR 0xE000E018u

static const struct hipc_bm_board timed_board = {
	.mbox_tx = (uintptr_t)&fake_mbox[M4_TXD],
	.mbox_tx_status = SYST_CVR,
	.mbox_tx_full = 1u << 23,
	.mbox_rx = (uintptr_t)&fake_mbox[M4_RXD],
	.mbox_rx_status = (uintptr_t)&fake_mbox[M4_RXS],
	.mbox_rx_avail = 1u,
	.mbox_irq_ack = (uintptr_t)&fake_mbox[M4_ACK],
	.mbox_irq_ack_val = 1u,
	.rx_irq = IRQ_RX,
	.tx_irq = HIPC_BM_NO_IRQ,
	.irq_prio = 0x80,
	.shm = { .regions = &shm_region, .count = 1 },
};

/* End of the count: what reached the host's FIFO?  Ring back either way,
 * so a wrong answer fails the check instead of hanging. */
static void timed_systick(void)
{
	systick_stop();
	host_answered = fake_mbox[M4_TXD];
	host_kick(1);
}

HIPC_TEST(doorbell_leaves_without_interrupt)
{
	memset((void *)fake_mbox, 0, sizeof(fake_mbox));
	fake_mbox[M4_TXD] = NO_KICK;
	pending_kicks = 0;
	host_answered = NO_KICK;
	hipc_m4_irq_hook = min_irq;
	hipc_m4_systick_hook = timed_systick;
	CHECK_EQ(hipc_bm_init(&bm, &timed_board, min_on_msg, NULL), 0);
	/* SYST_RVR, SYST_CVR, SYST_CSR: the whole 24-bit count, processor
	 * clock, interrupt at its end. */
	*(volatile uint32_t *)0xE000E014u = 0xFFFFFFu;
	*(volatile uint32_t *)SYST_CVR = 0;
	*(volatile uint32_t *)0xE000E010u = 7u;
	while (!(*(volatile uint32_t *)SYST_CVR & (1u << 23)))
		;
	CHECK_EQ(notify(1), 0);
	CHECK_EQ(bm.tx_waiting, 1u << 1);
	CHECK_EQ(fake_mbox[M4_TXD], NO_KICK);
	CHECK_EQ(hipc_bm_wait(&bm, 0), 0);
	CHECK_EQ(host_answered, 1u);
	CHECK_EQ(bm.tx_waiting, 0);
}

/* The host's message @seq on vring 1, in tx buffer 0: @plen bytes from
 * HOST_ADDR + seq to @svc. */
static void host_send(uint32_t svc, uint32_t plen, unsigned seq)
{
	uint8_t *t = tx_buf(0);

	put32(t, HOST_ADDR + seq);
	put32(t + 4, svc);
	put32(t + 8, 0);
	put16(t + 12, (uint16_t)plen);
	put16(t + 14, 0);
	for (uint32_t i = 0; i < plen; i++)
		t[16 + i] = (uint8_t)(seq + i * 7u);
	post(&r1, 0, SHM_DA + BUFS + NUM * BUFSZ, 16u + plen, false);
}

HIPC_TEST(idle_loop_wakes_on_doorbell)
{
	uint32_t id, len, t0;
	unsigned passes;
	int ret;

	host_boot(HIPC_RSC_F_NS);
	CHECK_EQ(hipc_echo_start(&echo), 0);
	host_svc = host_read_announcement();
	/* The boot kick came before anyone waited: the doorbell flag kept
	 * it, and the wait returns at once. */
	CHECK_EQ(hipc_bm_wait(&bm, 0), 0);

	/* Nothing pending now: the wait sleeps until the host rings 3 ms
	 * later (a doorbell with no work behind it is still a wake-up). */
	systick_start();
	host_after(3, HOST_KICK);
	t0 = ticks;
	CHECK_EQ(hipc_bm_wait(&bm, 0), 0);
	CHECK(ticks - t0 >= 3u);

	/* A doorbell that lands between the last look at the rings and the
	 * wait is not lost either. */
	host_kick(1);
	t0 = ticks;
	CHECK_EQ(hipc_bm_wait(&bm, UINT64_MAX), 0);
	CHECK(ticks - t0 <= 1u);

	/* The firmware's loop (main.c): poll, sleep when told to.  The host
	 * posts a message while the remote sleeps; it is echoed. */
	host_msg_len = 100;
	host_after(4, HOST_MSG);
	for (passes = 0;; passes++) {
		CHECK(passes < 1000u);
		ret = hipc_echo_poll(&echo);
		CHECK(ret >= 0);
		if (take_used(&r0, &id, &len))
			break;
		if (ret > 0)
			CHECK_EQ(hipc_bm_wait(&bm, 0), 0);
	}
	systick_stop();
	CHECK(ticks >= 4u);
	CHECK_EQ(len, BUFSZ);
	CHECK_EQ(get16(rx_buf(id) + 12), 100u);
	CHECK_EQ(get32(rx_buf(id)), host_svc);
	CHECK_EQ(get32(rx_buf(id) + 4), HOST_ADDR);
	CHECK_EQ(rx_buf(id)[16 + 99], (uint8_t)(99u * 7u));
	CHECK(take_used(&r1, &id, &len));
	CHECK_EQ(id, 0);

	/* No tick in this port: a deadline cannot be kept, and a wait with
	 * interrupts masked could never end. */
	CHECK_EQ(hipc_bm_wait(&bm, 1000000u), -HIPC_ENOTSUP);
	__asm__ volatile("cpsid i" : : : "memory");
	CHECK_EQ(hipc_bm_wait(&bm, 0), -HIPC_ENOTSUP);
	__asm__ volatile("cpsie i" : : : "memory");
	CHECK_EQ(hipc_bm_now_ns(&bm), 0);
}

HIPC_TEST(hostile_descriptor_breaks_device)
{
	uint32_t svc;

	host_boot(HIPC_RSC_F_NS);
	CHECK_EQ(hipc_echo_start(&echo), 0);
	svc = host_read_announcement();
	(void)svc;
	/* A buffer that runs past the end of the shared window. */
	post(&r1, 0, SHM_DA + sizeof(shm) - 64u, 128u, false);
	host_kick(1);
	CHECK_EQ(hipc_echo_poll(&echo), -HIPC_EIO);
	CHECK(hipc_rpmsg_broken(&echo.dev));
	CHECK(proto_errors() >= 1u);
	/* Sticky: nothing is touched any more. */
	CHECK_EQ(hipc_echo_poll(&echo), -HIPC_EIO);
}

HIPC_TEST(hostile_header_breaks_device)
{
	uint32_t svc;
	uint8_t *t = tx_buf(0);

	host_boot(HIPC_RSC_F_NS);
	CHECK_EQ(hipc_echo_start(&echo), 0);
	svc = host_read_announcement();
	/* Header claims more payload than the used length carries. */
	put32(t, HOST_ADDR);
	put32(t + 4, svc);
	put16(t + 12, 100);
	post(&r1, 0, SHM_DA + BUFS + NUM * BUFSZ, 16u + 10u, false);
	host_kick(1);
	CHECK_EQ(hipc_echo_poll(&echo), -HIPC_EIO);
	CHECK(hipc_rpmsg_broken(&echo.dev));
}

HIPC_TEST(features_it_lacks_are_refused)
{
	/* Offered nowhere, but a host that sets EVENT_IDX anyway must not
	 * get a device that ignores it. */
	host_boot(HIPC_RSC_F_NS | HIPC_RSC_F_EVENT_IDX);
	min_rsc.vdev.dfeatures |= HIPC_RSC_F_EVENT_IDX;
	CHECK_EQ(hipc_echo_start(&echo), -HIPC_ENOTSUP);
	min_rsc.vdev.dfeatures &= ~HIPC_RSC_F_EVENT_IDX;
	/* No-wait sends only: a timeout acts as trysend. */
	host_boot(HIPC_RSC_F_NS);
	CHECK_EQ(hipc_echo_start(&echo), 0);
	CHECK_EQ(hipc_rpmsg_get_tx_buffer(&echo.dev, &(void *){ NULL }, NULL, 0),
		 -HIPC_ENOTSUP);
}

static uint32_t shm_hash(void)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(shm); i++)
		h = (h ^ shm[i]) * 16777619u;
	return h;
}

/* A host that points a ring outside the shared window, wholly or in part:
 * refused before the remote writes anything there. */
HIPC_TEST(ring_outside_window_refused)
{
	static const uint32_t bad[] = { SHM_DA - 0x1000u, SHM_DA + sizeof(shm),
					SHM_DA + sizeof(shm) - 16u,
					SHM_DA - 16u, 0xFFFFFFF0u };
	uint32_t before;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		host_boot(HIPC_RSC_F_NS);
		min_rsc.vring[i & 1u].da = bad[i];
		before = shm_hash();
		CHECK_EQ(hipc_echo_start(&echo), -HIPC_ERANGE);
		CHECK_EQ(shm_hash(), before);
	}
}

static int extra_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		    uint32_t src, void *priv)
{
	(void)ept;
	(void)data;
	(void)len;
	(void)src;
	(void)priv;
	return 0;
}

/*
 * A second service comes and goes: announced, then withdrawn.  This
 * configuration has no lock, so both messages go out through the ordinary
 * send, built in the tx buffer from the endpoint's fields.
 */
HIPC_TEST(second_service_announced_and_withdrawn)
{
	static struct hipc_rpmsg_ept extra;
	uint32_t which, id, len;
	uint8_t *b;

	host_boot(HIPC_RSC_F_NS);
	CHECK_EQ(hipc_echo_start(&echo), 0);
	(void)host_read_announcement();
	CHECK_EQ(hipc_rpmsg_ept_create(&extra, &echo.dev, "extra-service",
				       HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				       extra_rx, NULL),
		 0);
	CHECK(remote_kicked(&which));
	CHECK_EQ(host_read_ns("extra-service", HIPC_RPMSG_NS_CREATE),
		 extra.addr);
	hipc_rpmsg_ept_destroy(&extra);
	CHECK(remote_kicked(&which));
	CHECK_EQ(host_read_ns("extra-service", HIPC_RPMSG_NS_DESTROY),
		 extra.addr);
	CHECK(extra.dev == NULL);
	/* An endpoint's own name sent as data (its 32 bytes) is plain data. */
	CHECK_EQ(hipc_rpmsg_trysendto(&echo.ept, echo.ept.name,
				      HIPC_RPMSG_NAME_SIZE, HOST_ADDR),
		 (int)HIPC_RPMSG_NAME_SIZE);
	(void)remote_kicked(&which);
	CHECK(take_used(&r0, &id, &len));
	b = rx_buf(id);
	CHECK_EQ(get32(b + 4), HOST_ADDR);
	CHECK_EQ(get16(b + 12), HIPC_RPMSG_NAME_SIZE);
	CHECK(memcmp(b + 16, echo.ept.name, HIPC_RPMSG_NAME_SIZE) == 0);
	CHECK_EQ(proto_errors(), 0);
}

HIPC_TEST_MAIN(HIPC_CASE(announces_and_echoes),
	       HIPC_CASE(doorbell_waits_while_fifo_full),
	       HIPC_CASE(idle_loop_wakes_on_doorbell),
	       HIPC_CASE(doorbell_leaves_without_interrupt),
	       HIPC_CASE(hostile_descriptor_breaks_device),
	       HIPC_CASE(hostile_header_breaks_device),
	       HIPC_CASE(features_it_lacks_are_refused),
	       HIPC_CASE(ring_outside_window_refused),
	       HIPC_CASE(second_service_announced_and_withdrawn))
