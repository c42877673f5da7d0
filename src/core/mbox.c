/* SPDX-License-Identifier: BSD-3-Clause */
#include "hipc/mbox.h"

#include "hipc_internal.h"

int hipc_mbox_init(struct hipc_mbox *mb, const struct hipc_mbox_hw_ops *ops,
		   void *hw)
{
	if (!mb || !ops || !ops->put || !ops->get)
		return -HIPC_EINVAL;
	memset(mb, 0, sizeof(*mb));
	mb->ops = ops;
	mb->hw = hw;
	return 0;
}

static void want_not_full(struct hipc_mbox *mb, bool on)
{
	if (mb->ops->want_not_full)
		mb->ops->want_not_full(mb->hw, on);
}

/*
 * The i-th waiting message, i < q_count.  FIFO: a ring from q_head.
 * Otherwise the waiting messages are a set in q[0, q_count) and the
 * newest goes out first (no head to keep).
 */
#define QIDX(mb, i)                                                          \
	(HIPC_CFG_MBOX_FIFO ? ((mb)->q_head + (i)) % HIPC_MBOX_SWQ_LEN : (i))
#define NEXT(mb)                                                             \
	((mb)->q[HIPC_CFG_MBOX_FIFO ? (mb)->q_head : (mb)->q_count - 1u])

unsigned hipc_mbox_tx_ready(struct hipc_mbox *mb)
{
	while (mb->q_count) {
		if (mb->ops->put(mb->hw, NEXT(mb)) != 0)
			return mb->q_count;
		mb->sent++;
		if (HIPC_CFG_MBOX_FIFO)
			mb->q_head = (uint8_t)((mb->q_head + 1u) %
					       HIPC_MBOX_SWQ_LEN);
		mb->q_count--;
	}
	want_not_full(mb, false);
	return 0;
}

int hipc_mbox_send(struct hipc_mbox *mb, uint32_t msg)
{
	unsigned i, n;

	/* Anything already waiting must go first, or messages reorder. */
	if ((mb->q_count == 0 || hipc_mbox_tx_ready(mb) == 0) &&
	    mb->ops->put(mb->hw, msg) == 0) {
		mb->sent++;
		return 0;
	}
	/* A doorbell means "look at this vring": one waiting copy is enough.
	 * Control messages are events in their own right and are kept. */
	n = mb->q_count;
	for (i = 0; i < n && !hipc_mbox_is_ctrl(msg); i++) {
		if (mb->q[QIDX(mb, i)] == msg) {
			mb->coalesced++;
			return 0;
		}
	}
	if (n == HIPC_MBOX_SWQ_LEN)
		return -HIPC_ENOSPC;
	mb->q[QIDX(mb, n)] = msg;
	mb->q_count = (uint8_t)(n + 1u);
	mb->queued++;
	want_not_full(mb, true);
	/* The FIFO may have drained between the failed put and arming the
	 * event; retry once so a queued message is never stranded. */
	hipc_mbox_tx_ready(mb);
	return 0;
}

int hipc_mbox_recv(struct hipc_mbox *mb, uint32_t *msg)
{
	int ret = mb->ops->get(mb->hw, msg);

	if (ret == 0)
		mb->received++;
	return ret;
}

/*
 * Shared-memory FIFO.  head counts messages ever written, tail messages ever
 * read; both wrap at 2^32.  Each side keeps authority over its own index
 * only, and checks the other's distance before trusting it.
 */
void hipc_shm_fifo_reset(struct hipc_shm_fifo *f)
{
	hipc__st32(&f->head, 0);
	hipc__st32(&f->tail, 0);
	hipc__st32(&f->want_not_full, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void hipc_shm_fifo_open(struct hipc_shm_fifo_end *e, struct hipc_shm_fifo *f,
			bool producer)
{
	e->f = f;
	e->own = hipc__ld32_acq(producer ? &f->head : &f->tail);
}

int hipc_shm_fifo_put(struct hipc_shm_fifo_end *e, uint32_t msg)
{
	struct hipc_shm_fifo *f = e->f;
	uint32_t head = __atomic_load_n(&e->own, __ATOMIC_RELAXED);
	uint32_t tail = hipc__ld32_acq(&f->tail);
	uint32_t used = head - tail;

	if (used > HIPC_MBOX_HW_DEPTH)
		return -HIPC_EIO;
	if (used == HIPC_MBOX_HW_DEPTH)
		return -HIPC_EBUSY;
	hipc__st32(&f->slot[head % HIPC_MBOX_HW_DEPTH], msg);
	__atomic_store_n(&e->own, head + 1u, __ATOMIC_RELAXED);
	/* Release: the slot is written before the index that publishes it. */
	hipc__st32_rel(&f->head, head + 1u);
	return 0;
}

int hipc_shm_fifo_get(struct hipc_shm_fifo_end *e, uint32_t *msg)
{
	struct hipc_shm_fifo *f = e->f;
	uint32_t tail = __atomic_load_n(&e->own, __ATOMIC_RELAXED);
	uint32_t head = hipc__ld32_acq(&f->head);
	uint32_t used = head - tail;

	if (used > HIPC_MBOX_HW_DEPTH)
		return -HIPC_EIO;
	if (used == 0)
		return -HIPC_EAGAIN;
	*msg = hipc__ld32(&f->slot[tail % HIPC_MBOX_HW_DEPTH]);
	__atomic_store_n(&e->own, tail + 1u, __ATOMIC_RELAXED);
	/* Release: we are done reading the slot before the producer may
	 * overwrite it. */
	hipc__st32_rel(&f->tail, tail + 1u);
	return 0;
}

unsigned hipc_shm_fifo_count(const struct hipc_shm_fifo_end *e)
{
	uint32_t head = hipc__ld32_acq(&e->f->head);
	/* Relaxed: the end's owner serialises put/get, but a waiter may ask
	 * "anything there?" from another thread; a stale answer costs it one
	 * more look. */
	uint32_t used = head - __atomic_load_n(&e->own, __ATOMIC_RELAXED);

	return used > HIPC_MBOX_HW_DEPTH ? 0 : used;
}
