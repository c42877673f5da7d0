/* SPDX-License-Identifier: BSD-3-Clause */
/* Mailbox model over the shared-memory FIFO: order, coalescing, not-full. */
#include <string.h>

#include "hipc/error.h"
#include "hipc/mbox.h"
#include "hipc_test.h"

static struct hipc_shm_fifo fifo;
static int not_full_armed;

static int put(void *hw, uint32_t m) { return hipc_shm_fifo_put(hw, m); }
static int get(void *hw, uint32_t *m) { return hipc_shm_fifo_get(hw, m); }
static void want(void *hw, bool on) { (void)hw; not_full_armed = on; }

static const struct hipc_mbox_hw_ops ops = { put, get, want };

HIPC_TEST(fifo_depth_and_order)
{
	uint32_t m;

	hipc_shm_fifo_reset(&fifo);
	for (uint32_t i = 0; i < HIPC_MBOX_HW_DEPTH; i++)
		CHECK_EQ(hipc_shm_fifo_put(&fifo, 100 + i), 0);
	CHECK_EQ(hipc_shm_fifo_put(&fifo, 7), -HIPC_EBUSY);
	CHECK_EQ(hipc_shm_fifo_count(&fifo), HIPC_MBOX_HW_DEPTH);
	for (uint32_t i = 0; i < HIPC_MBOX_HW_DEPTH; i++) {
		CHECK_EQ(hipc_shm_fifo_get(&fifo, &m), 0);
		CHECK_EQ(m, 100 + i);
	}
	CHECK_EQ(hipc_shm_fifo_get(&fifo, &m), -HIPC_EAGAIN);
}

HIPC_TEST(fifo_rejects_corrupt_indices)
{
	uint32_t m;

	hipc_shm_fifo_reset(&fifo);
	fifo.head = 1000; /* the peer claims 1000 messages in a 4-deep FIFO */
	CHECK_EQ(hipc_shm_fifo_get(&fifo, &m), -HIPC_EIO);
	CHECK_EQ(hipc_shm_fifo_count(&fifo), 0);
	hipc_shm_fifo_reset(&fifo);
	fifo.tail = 5; /* consumer ahead of producer */
	CHECK_EQ(hipc_shm_fifo_put(&fifo, 1), -HIPC_EIO);
}

HIPC_TEST(fifo_wraps_at_2_pow_32)
{
	uint32_t m;

	hipc_shm_fifo_reset(&fifo);
	fifo.head = fifo.tail = 0xFFFFFFFEu;
	for (uint32_t i = 0; i < 10; i++) {
		CHECK_EQ(hipc_shm_fifo_put(&fifo, i), 0);
		CHECK_EQ(hipc_shm_fifo_get(&fifo, &m), 0);
		CHECK_EQ(m, i);
	}
}

HIPC_TEST(full_fifo_queues_in_software_and_keeps_order)
{
	struct hipc_mbox mb;
	uint32_t m;

	hipc_shm_fifo_reset(&fifo);
	CHECK_EQ(hipc_mbox_init(&mb, &ops, &fifo), 0);
	for (uint32_t i = 0; i < 10; i++)
		CHECK_EQ(hipc_mbox_send(&mb, i), 0);
	CHECK_EQ(mb.sent, HIPC_MBOX_HW_DEPTH);
	CHECK_EQ(mb.q_count, 10 - HIPC_MBOX_HW_DEPTH);
	CHECK(not_full_armed);
	for (uint32_t i = 0; i < 10; i++) {
		if (hipc_shm_fifo_get(&fifo, &m) != 0) {
			hipc_mbox_tx_ready(&mb); /* the not-full event */
			CHECK_EQ(hipc_shm_fifo_get(&fifo, &m), 0);
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

	hipc_shm_fifo_reset(&fifo);
	CHECK_EQ(hipc_mbox_init(&mb, &ops, &fifo), 0);
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
	while (hipc_shm_fifo_get(&fifo, &m) == 0 || hipc_mbox_tx_ready(&mb) ||
	       hipc_shm_fifo_count(&fifo))
		;
	CHECK_EQ(mb.q_count, 0);
}

HIPC_TEST_MAIN(HIPC_CASE(fifo_depth_and_order),
	       HIPC_CASE(fifo_rejects_corrupt_indices),
	       HIPC_CASE(fifo_wraps_at_2_pow_32),
	       HIPC_CASE(full_fifo_queues_in_software_and_keeps_order),
	       HIPC_CASE(doorbells_coalesce_control_messages_do_not))
