// SPDX-License-Identifier: BSD-3-Clause
/*
 * The bare-metal port on a real (emulated) Cortex-M4: the critical section,
 * the mailbox path through a register write and an interrupt, SysTick time
 * and the WFI wait.  The "mailbox registers" are words in RAM, and the
 * interrupt is raised through the NVIC's set-pending register, so the ISR
 * runs exactly as the hardware would run it.
 */
#include <stdint.h>

#include "hipc/baremetal.h"
#include "hipc/bufpool.h"
#include "hipc/error.h"
#include "hipc_test.h"
#include "m4_test_rt.h"

#define TEST_IRQ_RX 30u
#define TEST_IRQ_TX 31u

static volatile uint32_t fake_mbox[8];

static const struct hipc_region test_shm = {
	.da = 0x1000u, .va = (uint8_t *)0x21000000u, .size = 0x10000u,
};

static const struct hipc_bm_board test_board = {
	M4_FAKE_MBOX_BOARD(fake_mbox, TEST_IRQ_RX),
	.mbox_irq_ctrl = (uintptr_t)&fake_mbox[M4_CTRL],
	.mbox_not_full_en = 2u,
	.tx_irq = TEST_IRQ_TX,
	.shm = { .regions = &test_shm, .count = 1 },
};

static struct hipc_bm bm;
static volatile unsigned msgs_seen;
static volatile uint32_t last_msg;
static volatile unsigned msgs_left; /* fake FIFO content */

static void test_systick(void)
{
	hipc_bm_tick_isr(&bm);
}

static void test_irq(unsigned irq)
{
	if (irq == TEST_IRQ_RX)
		hipc_bm_mbox_isr(&bm);
	else if (irq == TEST_IRQ_TX)
		hipc_bm_mbox_tx_isr(&bm);
}

static void test_on_msg(struct hipc_bm *b, uint32_t msg)
{
	CHECK(b == &bm);
	msgs_seen++;
	last_msg = msg;
	/* A real FIFO pops on read; this one empties when the count runs
	 * out, and hands out a new value each time. */
	if (--msgs_left == 0)
		fake_mbox[M4_RXS] = 0;
	fake_mbox[M4_RXD] = msg + 1;
}

static uint32_t primask(void)
{
	uint32_t v;

	__asm__ volatile("mrs %0, primask" : "=r"(v));
	return v;
}

static void pend_irq(unsigned irq)
{
	*(volatile uint32_t *)(0xE000E200u + 4u * (irq >> 5)) = 1u << (irq & 31u);
	__asm__ volatile("dsb 0xF\n\tisb 0xF" : : : "memory");
}

static void setup(void)
{
	memset((void *)fake_mbox, 0, sizeof(fake_mbox));
	msgs_seen = 0;
	hipc_m4_systick_hook = test_systick;
	hipc_m4_irq_hook = test_irq;
	CHECK_EQ(hipc_bm_init(&bm, &test_board, test_on_msg, NULL), 0);
}

HIPC_TEST(init_checks_board)
{
	struct hipc_bm_board bad = test_board;

	CHECK_EQ(hipc_bm_init(&bm, NULL, NULL, NULL), -HIPC_EINVAL);
	bad.mbox_rx_avail = 0;
	CHECK_EQ(hipc_bm_init(&bm, &bad, NULL, NULL), -HIPC_EINVAL);
	bad = test_board;
	bad.tick_hz = 1; /* 25 M cycles per tick: more than SysTick's 24 bits */
	CHECK_EQ(hipc_bm_init(&bm, &bad, NULL, NULL), -HIPC_EINVAL);
	setup();
#if HIPC_BM_DCACHE
	CHECK(hipc_bm_port(&bm)->ops->cache_clean != NULL);
	CHECK(hipc_bm_port(&bm)->ops->cache_invalidate != NULL);
#else
	/* A Cortex-M4 has no data cache: the core gets no cache ops. */
	CHECK(hipc_bm_port(&bm)->ops->cache_clean == NULL);
	CHECK(hipc_bm_port(&bm)->ops->cache_invalidate == NULL);
#endif
	CHECK(hipc_memmap_to_va(hipc_bm_memmap(&bm), 0x1010, 16) ==
	      (void *)0x21000010u);
	CHECK(hipc_memmap_to_va(hipc_bm_memmap(&bm), 0x10ff8, 16) == NULL);
}

HIPC_TEST(lock_nests)
{
	const struct hipc_port *port;

	setup();
	port = hipc_bm_port(&bm);
	CHECK_EQ(primask(), 0);
	port->ops->lock(port->ctx);
	CHECK_EQ(primask(), 1);
	port->ops->lock(port->ctx);
	port->ops->unlock(port->ctx);
	CHECK_EQ(primask(), 1); /* inner unlock keeps interrupts off */
	port->ops->unlock(port->ctx);
	CHECK_EQ(primask(), 0);

	/* Entered with interrupts already off: they stay off. */
	__asm__ volatile("cpsid i" : : : "memory");
	hipc_bm_lock(&bm);
	hipc_bm_unlock(&bm);
	CHECK_EQ(primask(), 1);
	__asm__ volatile("cpsie i" : : : "memory");
}

HIPC_TEST(notify_writes_register)
{
	const struct hipc_port *port;

	setup();
	port = hipc_bm_port(&bm);
	CHECK_EQ(port->ops->notify(port->ctx, 7), 0);
	CHECK_EQ(fake_mbox[M4_TXD], 7);
	CHECK_EQ(bm.mbox.sent, 1);

	/* Hardware FIFO full: the doorbell waits in software and the "not
	 * full" interrupt is armed; the ISR moves it on and disarms. */
	fake_mbox[M4_TXS] = 1;
	CHECK_EQ(port->ops->notify(port->ctx, 9), 0);
	CHECK_EQ(fake_mbox[M4_TXD], 7);
	CHECK_EQ(bm.mbox.queued, 1);
	CHECK_EQ(fake_mbox[M4_CTRL] & 2u, 2u);
	fake_mbox[M4_TXS] = 0;
	pend_irq(TEST_IRQ_TX);
	CHECK_EQ(fake_mbox[M4_TXD], 9);
	CHECK_EQ(fake_mbox[M4_CTRL] & 2u, 0);
}

HIPC_TEST(isr_delivers_and_wakes)
{
	setup();
	msgs_left = 1;
	fake_mbox[M4_RXD] = 0x1234;
	fake_mbox[M4_RXS] = 1;
	pend_irq(TEST_IRQ_RX);
	CHECK_EQ(msgs_seen, 1);
	CHECK_EQ(last_msg, 0x1234);
	CHECK_EQ(fake_mbox[M4_ACK], 1);
	CHECK_EQ(bm.mbox.received, 1);
	/* The doorbell is sticky until a wait takes it. */
	CHECK_EQ(hipc_bm_wait(&bm, UINT64_MAX), 0);
	CHECK_EQ(hipc_bm_wait(&bm, hipc_bm_now_ns(&bm) + 2000000u), -HIPC_ETIMEDOUT);
}

HIPC_TEST(isr_is_bounded)
{
	/* More messages than one FIFO's worth: the ISR takes four, re-pends
	 * itself, and the rest arrive on the next entry. */
	setup();
	msgs_left = 6;
	fake_mbox[M4_RXD] = 100;
	fake_mbox[M4_RXS] = 1;
	pend_irq(TEST_IRQ_RX);
	CHECK_EQ(msgs_seen, 6);
	CHECK_EQ(last_msg, 105);
}

HIPC_TEST(tick_and_timeout)
{
	uint64_t t0, t1;

	setup();
	t0 = hipc_bm_now_ns(&bm);
	CHECK_EQ(hipc_bm_wait(&bm, t0 + 20000000u), -HIPC_ETIMEDOUT);
	t1 = hipc_bm_now_ns(&bm);
	printf("waited %lu us\n", (unsigned long)((t1 - t0) / 1000u));
	CHECK(t1 - t0 >= 20000000u);
	CHECK(t1 - t0 < 2000000000u);
}

HIPC_TEST(wait_refuses_when_nothing_can_wake)
{
	struct hipc_bm_board notick = test_board;

	setup();
	__asm__ volatile("cpsid i" : : : "memory");
	CHECK_EQ(hipc_bm_wait(&bm, UINT64_MAX), -HIPC_ENOTSUP);
	__asm__ volatile("cpsie i" : : : "memory");

	notick.tick_hz = 0;
	CHECK_EQ(hipc_bm_init(&bm, &notick, NULL, NULL), 0);
	CHECK_EQ(hipc_bm_now_ns(&bm), 0);
	CHECK_EQ(hipc_bm_wait(&bm, 1000), -HIPC_ENOTSUP);
}

/*
 * A queued doorbell on a board with neither a "not full" interrupt nor a
 * tick: only the waiting loop can retry it, so it must not sleep while it
 * waits.  The FIFO's "full" bit is bit 23 of SysTick's current value
 * (started here, not by the port: tick_hz is 0), counting down from
 * 0xFFFFFF: full for the first half of the count, room for the second,
 * and no interrupt until SysTick's at the end, where the host looks at
 * what reached it and rings back.
 */
#define SYST_CVR 0xE000E018u
static volatile uint32_t host_saw;

static void count_end(void)
{
	*(volatile uint32_t *)0xE000E010u = 0;
	host_saw = fake_mbox[M4_TXD];
	msgs_left = 1;
	fake_mbox[M4_RXD] = 0x77;
	fake_mbox[M4_RXS] = 1;
	pend_irq(TEST_IRQ_RX);
}

HIPC_TEST(queued_doorbell_leaves_without_interrupt)
{
	struct hipc_bm_board timed = test_board;
	const struct hipc_port *port;

	timed.mbox_tx_status = SYST_CVR;
	timed.mbox_tx_full = 1u << 23;
	timed.mbox_irq_ctrl = 0;
	timed.tx_irq = HIPC_BM_NO_IRQ;
	timed.tick_hz = 0;
	memset((void *)fake_mbox, 0, sizeof(fake_mbox));
	msgs_seen = 0;
	host_saw = 0;
	hipc_m4_irq_hook = test_irq;
	CHECK_EQ(hipc_bm_init(&bm, &timed, test_on_msg, NULL), 0);
	hipc_m4_systick_hook = count_end;
	/* SYST_RVR, SYST_CVR, SYST_CSR: the whole 24-bit count, processor
	 * clock, interrupt at its end. */
	*(volatile uint32_t *)0xE000E014u = 0xFFFFFFu;
	*(volatile uint32_t *)SYST_CVR = 0;
	*(volatile uint32_t *)0xE000E010u = 7u;
	while (!(*(volatile uint32_t *)SYST_CVR & (1u << 23)))
		;
	port = hipc_bm_port(&bm);
	CHECK_EQ(port->ops->notify(port->ctx, 9), 0);
	CHECK_EQ(bm.mbox.q_count, 1);
	CHECK_EQ(hipc_bm_wait(&bm, 0), 0);
	CHECK_EQ(host_saw, 9);
	CHECK_EQ(bm.mbox.q_count, 0);
	CHECK_EQ(msgs_seen, 1);
}

HIPC_TEST(cache_ops_keep_neighbours)
{
	static uint8_t buf[128] __attribute__((aligned(32)));
	const struct hipc_port *port;

	setup();
	port = hipc_bm_port(&bm);
	if (!HIPC_BM_DCACHE) {
		printf("no data cache on this core: nothing to maintain\n");
		return;
	}
	/* Turn the D-cache on (SCB->CCR.DC) as a firmware would. */
	*(volatile uint32_t *)0xE000ED14u |= 1u << 16;
	__asm__ volatile("dsb 0xF\n\tisb 0xF" : : : "memory");
	memset(buf, 0x11, sizeof(buf));
	/* Unaligned at both ends: partial lines are cleaned, not dropped. */
	port->ops->cache_clean(port->ctx, buf + 3, 70);
	port->ops->cache_invalidate(port->ctx, buf + 3, 70);
	port->ops->cache_invalidate(port->ctx, buf, 0);
	/* A range reaching the top of the address space must not wrap. */
	port->ops->cache_clean(port->ctx, (void *)0xFFFFFFE0u, 0x40);
	CHECK_EQ(buf[0], 0x11);
	CHECK_EQ(buf[127], 0x11);
}

/*
 * Big buffers handed over both ways through the bare-metal port's real
 * cache maintenance (on a Cortex-M7, with the D-cache on): a host view and
 * a remote view of one pool, each using the port's ops through a wrapper
 * that counts them.  Every hand-over must clean or invalidate (the bytes
 * and the state word), and the CRC-checked bytes arrive intact.
 */
#define BP_COUNT 4u
#define BP_BUF 256u
#define BP_ALIGN 32u

static struct {
	const struct hipc_port *real;
	unsigned clean, inval;
} bp_wrap;

static void bp_clean(void *ctx, const void *a, size_t len)
{
	(void)ctx;
	bp_wrap.clean++;
	bp_wrap.real->ops->cache_clean(bp_wrap.real->ctx, a, len);
}

static void bp_inval(void *ctx, const void *a, size_t len)
{
	(void)ctx;
	bp_wrap.inval++;
	bp_wrap.real->ops->cache_invalidate(bp_wrap.real->ctx, a, len);
}

HIPC_TEST(bufpool_hand_over_with_dcache)
{
	static uint8_t shm[HIPC_BUFPOOL_SHM_SIZE(BP_COUNT, BP_BUF, BP_ALIGN)]
		__attribute__((aligned(BP_ALIGN)));
	static struct hipc_bufpool_slot hs[BP_COUNT], rs[BP_COUNT];
	static struct hipc_bufpool host, remote;
	static const struct hipc_port_ops wrap_ops = {
		.cache_clean = bp_clean, .cache_invalidate = bp_inval,
	};
	const struct hipc_port wrap = { &wrap_ops, NULL };
	struct hipc_bufpool_config c = {
		.pool_id = 3, .count = BP_COUNT, .host_count = BP_COUNT / 2,
		.buf_size = BP_BUF, .align = BP_ALIGN, .shm = shm,
		.shm_size = sizeof(shm),
	};
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;
	uint8_t *b;
	int i;

	setup();
	bp_wrap.real = hipc_bm_port(&bm);
	bp_wrap.clean = bp_wrap.inval = 0;
	if (HIPC_BM_DCACHE) {
		*(volatile uint32_t *)0xE000ED14u |= 1u << 16;
		__asm__ volatile("dsb 0xF\n\tisb 0xF" : : : "memory");
		c.port = &wrap;
	} else {
		printf("no data cache on this core: hand-over without maintenance\n");
	}
	c.role = HIPC_BUFPOOL_ROLE_HOST;
	c.slots = hs;
	CHECK_EQ(hipc_bufpool_init(&host, &c), 0);
	c.role = HIPC_BUFPOOL_ROLE_REMOTE;
	c.slots = rs;
	CHECK_EQ(hipc_bufpool_init(&remote, &c), 0);

	for (unsigned round = 0; round < 8; round++) {
		/* host -> remote */
		i = hipc_bufpool_alloc(&host, (void **)&b);
		CHECK(i >= 0);
		for (unsigned k = 0; k < BP_BUF; k++)
			b[k] = (uint8_t)(round * 17u + k);
		CHECK_EQ(hipc_bufpool_send(&host, (uint32_t)i, 8, BP_BUF - 8,
					   HIPC_BUFPOOL_F_CRC, &ref), 0);
		CHECK_EQ(hipc_bufpool_receive(&remote, &ref, sizeof(ref), &rx), i);
		CHECK_EQ(rx.len, BP_BUF - 8);
		CHECK_EQ(((const uint8_t *)rx.data)[0], (uint8_t)(round * 17u + 8u));
		CHECK_EQ(hipc_bufpool_release(&remote, rx.index, rx.generation), 0);
		/* remote -> host */
		i = hipc_bufpool_alloc(&remote, (void **)&b);
		CHECK(i >= (int)(BP_COUNT / 2));
		for (unsigned k = 0; k < BP_BUF; k++)
			b[k] = (uint8_t)(round * 29u + k);
		CHECK_EQ(hipc_bufpool_send(&remote, (uint32_t)i, 0, BP_BUF,
					   HIPC_BUFPOOL_F_CRC, &ref), 0);
		CHECK_EQ(hipc_bufpool_receive(&host, &ref, sizeof(ref), &rx), i);
		CHECK_EQ(((const uint8_t *)rx.data)[BP_BUF - 1],
			 (uint8_t)(round * 29u + BP_BUF - 1u));
		CHECK_EQ(hipc_bufpool_release(&host, rx.index, rx.generation), 0);
	}
	if (HIPC_BM_DCACHE) {
		/* Per round and direction at least: send cleans bytes and state,
		 * receive invalidates state and bytes, release cleans both. */
		CHECK(bp_wrap.clean >= 8u * 2u * 4u);
		CHECK(bp_wrap.inval >= 8u * 2u * 2u);
		printf("cache ops: %u clean, %u invalidate\n", bp_wrap.clean,
		       bp_wrap.inval);
	} else {
		CHECK_EQ(bp_wrap.clean + bp_wrap.inval, 0u);
	}
}

HIPC_TEST_MAIN(HIPC_CASE(init_checks_board), HIPC_CASE(lock_nests),
	       HIPC_CASE(notify_writes_register),
	       HIPC_CASE(isr_delivers_and_wakes), HIPC_CASE(isr_is_bounded),
	       HIPC_CASE(tick_and_timeout),
	       HIPC_CASE(queued_doorbell_leaves_without_interrupt),
	       HIPC_CASE(cache_ops_keep_neighbours),
	       HIPC_CASE(bufpool_hand_over_with_dcache),
	       HIPC_CASE(wait_refuses_when_nothing_can_wake))
