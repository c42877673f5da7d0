/* SPDX-License-Identifier: BSD-3-Clause */
/* Mailbox model over the shared-memory FIFO: order, coalescing, not-full. */
#include <string.h>

#include "hipc/error.h"
#include "hipc/mbox.h"
#include "hipc_test.h"

static struct hipc_shm_fifo fifo;
static struct hipc_shm_fifo_end prod, cons;
static int not_full_armed;

/* The mailbox model produces into the FIFO; the test consumes. */
static int put(void *hw, uint32_t m) { return hipc_shm_fifo_put(hw, m); }
static int get(void *hw, uint32_t *m) { return hipc_shm_fifo_get(hw, m); }

/* Both ends opened on the FIFO as it is now. */
static void open_ends(void)
{
	hipc_shm_fifo_open(&prod, &fifo, true);
	hipc_shm_fifo_open(&cons, &fifo, false);
}

static void reset(void)
{
	hipc_shm_fifo_reset(&fifo);
	open_ends();
}
static void want(void *hw, bool on) { (void)hw; not_full_armed = on; }

static const struct hipc_mbox_hw_ops ops = { put, get, want };

HIPC_TEST(fifo_depth_and_order)
{
	uint32_t m;

	reset();
	for (uint32_t i = 0; i < HIPC_MBOX_HW_DEPTH; i++)
		CHECK_EQ(hipc_shm_fifo_put(&prod, 100 + i), 0);
	CHECK_EQ(hipc_shm_fifo_put(&prod, 7), -HIPC_EBUSY);
	CHECK_EQ(hipc_shm_fifo_count(&cons), HIPC_MBOX_HW_DEPTH);
	for (uint32_t i = 0; i < HIPC_MBOX_HW_DEPTH; i++) {
		CHECK_EQ(hipc_shm_fifo_get(&cons, &m), 0);
		CHECK_EQ(m, 100 + i);
	}
	CHECK_EQ(hipc_shm_fifo_get(&cons, &m), -HIPC_EAGAIN);
}

HIPC_TEST(fifo_rejects_corrupt_indices)
{
	uint32_t m;

	reset();
	fifo.head = 1000; /* the peer claims 1000 messages in a 4-deep FIFO */
	CHECK_EQ(hipc_shm_fifo_get(&cons, &m), -HIPC_EIO);
	CHECK_EQ(hipc_shm_fifo_count(&cons), 0);
	reset();
	fifo.tail = 5; /* consumer ahead of producer */
	CHECK_EQ(hipc_shm_fifo_put(&prod, 1), -HIPC_EIO);
}

HIPC_TEST(fifo_wraps_at_2_pow_32)
{
	uint32_t m;

	hipc_shm_fifo_reset(&fifo);
	fifo.head = fifo.tail = 0xFFFFFFFEu;
	open_ends();
	for (uint32_t i = 0; i < 10; i++) {
		CHECK_EQ(hipc_shm_fifo_put(&prod, i), 0);
		CHECK_EQ(hipc_shm_fifo_get(&cons, &m), 0);
		CHECK_EQ(m, i);
	}
}

HIPC_TEST(own_index_never_read_back)
{
	uint32_t m;

	reset();
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ(hipc_shm_fifo_put(&prod, 10 + i), 0);
	CHECK_EQ(hipc_shm_fifo_get(&cons, &m), 0);
	CHECK_EQ(m, 10);
	/* The peer rewrites the indices each side owns: the consumer's tail
	 * back to 0 (it would hand out message 10 again), the producer's
	 * head forward (it would skip slots the consumer then reads). */
	fifo.tail = 0;
	fifo.head = 2;
	CHECK_EQ(hipc_shm_fifo_put(&prod, 13), 0);
	CHECK_EQ(fifo.head, 4);
	for (uint32_t i = 1; i < 4; i++) {
		CHECK_EQ(hipc_shm_fifo_get(&cons, &m), 0);
		CHECK_EQ(m, 10 + i);
	}
	CHECK_EQ(hipc_shm_fifo_get(&cons, &m), -HIPC_EAGAIN);
	CHECK_EQ(fifo.tail, 4);
}

HIPC_TEST(full_fifo_queues_in_software_and_keeps_order)
{
	struct hipc_mbox mb;
	uint32_t m;

	reset();
	CHECK_EQ(hipc_mbox_init(&mb, &ops, &prod), 0);
	for (uint32_t i = 0; i < 10; i++)
		CHECK_EQ(hipc_mbox_send(&mb, i), 0);
	CHECK_EQ(mb.sent, HIPC_MBOX_HW_DEPTH);
	CHECK_EQ(mb.q_count, 10 - HIPC_MBOX_HW_DEPTH);
	CHECK(not_full_armed);
	for (uint32_t i = 0; i < 10; i++) {
		if (hipc_shm_fifo_get(&cons, &m) != 0) {
			hipc_mbox_tx_ready(&mb); /* the not-full event */
			CHECK_EQ(hipc_shm_fifo_get(&cons, &m), 0);
		}
		CHECK_EQ(m, i);
	}
	CHECK_EQ(hipc_mbox_tx_ready(&mb), 0);
	CHECK(!not_full_armed);
}

HIPC_TEST(doorbells_coalesce_control_messages_do_not)
{
	struct hipc_mbox mb;
	uint32_t m;

	reset();
	CHECK_EQ(hipc_mbox_init(&mb, &ops, &prod), 0);
	for (uint32_t i = 0; i < HIPC_MBOX_HW_DEPTH; i++)
		CHECK_EQ(hipc_mbox_send(&mb, 50 + i), 0);
	/* FIFO full: a thousand doorbells for two vrings queue two entries */
	for (int i = 0; i < 1000; i++)
		CHECK_EQ(hipc_mbox_send(&mb, (uint32_t)(i & 1)), 0);
	CHECK_EQ(mb.q_count, 2);
	CHECK_EQ(mb.coalesced, 998);
	/* control messages are each kept */
	CHECK_EQ(hipc_mbox_send(&mb, HIPC_MBOX_ECHO_REQUEST), 0);
	CHECK_EQ(hipc_mbox_send(&mb, HIPC_MBOX_ECHO_REQUEST), 0);
	CHECK_EQ(mb.q_count, 4);
	/* until the software queue is full of distinct messages */
	for (uint32_t i = 0; i < HIPC_MBOX_SWQ_LEN - 4; i++)
		CHECK_EQ(hipc_mbox_send(&mb, 200 + i), 0);
	CHECK_EQ(hipc_mbox_send(&mb, 999), -HIPC_ENOSPC);
	while (hipc_shm_fifo_get(&cons, &m) == 0 || hipc_mbox_tx_ready(&mb) ||
	       hipc_shm_fifo_count(&cons))
		;
	CHECK_EQ(mb.q_count, 0);
}

HIPC_TEST_MAIN(HIPC_CASE(fifo_depth_and_order),
	       HIPC_CASE(fifo_rejects_corrupt_indices),
	       HIPC_CASE(fifo_wraps_at_2_pow_32),
	       HIPC_CASE(own_index_never_read_back),
	       HIPC_CASE(full_fifo_queues_in_software_and_keeps_order),
	       HIPC_CASE(doorbells_coalesce_control_messages_do_not))
