// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bare-metal port: the mailbox.  The notify op, the registers behind the
 * core's mailbox model or (HIPC_BM_MBOX_MODEL=0) behind a bitmask of
 * waiting doorbells, and the interrupt handlers.
 */
#include "hipc/baremetal.h"
#include "hipc/error.h"

#include "bm_internal.h"
#include "cm_regs.h"

static bool tx_full(const struct hipc_bm_board *b)
{
	return HIPC_CM_REG(b->mbox_tx_status) & b->mbox_tx_full;
}

static bool rx_avail(const struct hipc_bm_board *b)
{
	return HIPC_CM_REG(b->mbox_rx_status) & b->mbox_rx_avail;
}

#if HIPC_BM_MBOX_MODEL
static int hipc_bm_hw_put(void *hw, uint32_t msg)
{
	const struct hipc_bm_board *b = ((struct hipc_bm *)hw)->board;

	if (tx_full(b))
		return -HIPC_EBUSY;
	/*
	 * The peer reacts to this message by reading the vring and buffers we
	 * have just written.  Shared RAM is Normal memory and the mailbox is
	 * Device memory: only a DSB makes those stores complete (visible to the
	 * other core) before the register write can raise its interrupt.
	 */
	hipc_cm_dsb();
	HIPC_CM_REG(b->mbox_tx) = msg;
	return 0;
}

static int hipc_bm_hw_get(void *hw, uint32_t *msg)
{
	const struct hipc_bm_board *b = ((struct hipc_bm *)hw)->board;

	if (!rx_avail(b))
		return -HIPC_EAGAIN;
	*msg = HIPC_CM_REG(b->mbox_rx);
	/* Reads of the ring this message announces must not be satisfied
	 * before the message itself was read. */
	hipc_cm_dmb();
	return 0;
}

static void hipc_bm_hw_want_not_full(void *hw, bool on)
{
	const struct hipc_bm_board *b = ((struct hipc_bm *)hw)->board;
	uint32_t v;

	/* Without the interrupt hipc_bm_wait() drains the queue instead.
	 * Callers have interrupts masked, so this read-modify-write is not
	 * raced by the "not full" ISR. */
	if (!b->mbox_irq_ctrl)
		return;
	v = HIPC_CM_REG(b->mbox_irq_ctrl);
	v = on ? (v | b->mbox_not_full_en) : (v & ~b->mbox_not_full_en);
	HIPC_CM_REG(b->mbox_irq_ctrl) = v;
}

const struct hipc_mbox_hw_ops hipc__bm_mbox_hw_ops = {
	.put = hipc_bm_hw_put,
	.get = hipc_bm_hw_get,
	.want_not_full = hipc_bm_hw_want_not_full,
};

int hipc__bm_notify(void *ctx, uint32_t notifyid)
{
	struct hipc_bm *bm = ctx;
	uint32_t primask;
	int ret;

	/* The mailbox model's software queue is shared with the "not full"
	 * ISR, hipc_bm_wait() and senders in other ISRs: serialise them.  A
	 * plain critical section (not the nesting lock): nothing in it can
	 * take the lock again. */
	primask = hipc_cm_irq_save();
	ret = hipc_mbox_send(&bm->mbox, notifyid);
	hipc_cm_irq_restore(primask);
	return ret;
}

uint32_t hipc__bm_tx_retry(struct hipc_bm *bm)
{
	const struct hipc_bm_board *b = bm->board;

	if (!bm->mbox.q_count || !hipc_mbox_tx_ready(&bm->mbox))
		return 0;
	/* The model armed "not full": its interrupt retries for us. */
	return !b->mbox_irq_ctrl || b->tx_irq == HIPC_BM_NO_IRQ;
}

void hipc_bm_mbox_tx_isr(struct hipc_bm *bm)
{
	uint32_t primask = hipc_cm_irq_save();

	hipc_mbox_tx_ready(&bm->mbox);
	hipc_cm_irq_restore(primask);
}
#else
uint32_t hipc__bm_tx_retry(struct hipc_bm *bm)
{
	const struct hipc_bm_board *b = bm->board;
	uint32_t w = bm->tx_waiting;

	/*
	 * The peer reacts to a doorbell by reading the vring and buffers we
	 * have just written.  Shared RAM is Normal memory and the mailbox is
	 * Device memory: only a DSB makes those stores complete (visible to
	 * the other core) before a register write can raise its interrupt.
	 * One for the loop: it stores nothing but the mailbox register.
	 */
	hipc_cm_dsb();
	while (w && !tx_full(b)) {
		HIPC_CM_REG(b->mbox_tx) = (uint32_t)__builtin_ctz(w);
		w &= w - 1u;
	}
	/* No "not full" interrupt in this build: what is left waits for the
	 * next notify or pass of hipc_bm_wait(). */
	bm->tx_waiting = w;
	return w;
}

int hipc__bm_notify(void *ctx, uint32_t notifyid)
{
	struct hipc_bm *bm = ctx;
	uint32_t primask;

	/* One bit per notifyid: a doorbell rung again while it waits is
	 * still one doorbell ("look at this ring"). */
	if (notifyid > 31u)
		return -HIPC_EINVAL;
	/* The mask is shared with hipc_bm_wait() and with senders in other
	 * contexts (devices sharing this mailbox): serialise them. */
	primask = hipc_cm_irq_save();
	bm->tx_waiting |= 1u << notifyid;
	hipc__bm_tx_retry(bm);
	hipc_cm_irq_restore(primask);
	return 0;
}

void hipc_bm_mbox_tx_isr(struct hipc_bm *bm)
{
	/* The "not full" line is never enabled in this build. */
	(void)bm;
}
#endif

void hipc_bm_mbox_isr(struct hipc_bm *bm)
{
	const struct hipc_bm_board *b = bm->board;
	uint32_t msg;
	unsigned n;

	/*
	 * Acknowledge before draining: a message that lands after the drain
	 * loop re-asserts the line and brings us back; acknowledging after
	 * the loop could clear the event of a message we never read.
	 */
	if (b->mbox_irq_ack)
		HIPC_CM_REG(b->mbox_irq_ack) = b->mbox_irq_ack_val;

	/*
	 * At most one FIFO's worth per entry, so a peer that keeps the FIFO
	 * full cannot hold us in this loop; what is left re-pends the line
	 * and lets higher-priority work in between.
	 */
	for (n = 0; rx_avail(b); n++) {
		if (n == HIPC_MBOX_HW_DEPTH) {
			hipc__bm_nvic_set(HIPC_NVIC_ISPR, b->rx_irq);
			break;
		}
		msg = HIPC_CM_REG(b->mbox_rx);
		/* Reads of the ring this message announces must not be
		 * satisfied before the message itself was read. */
		hipc_cm_dmb();
		/* The registers directly: hipc_mbox_recv() would only add
		 * the count kept here. */
		if (HIPC_BM_MBOX_MODEL)
			bm->mbox.received++;
		if (bm->on_msg)
			bm->on_msg(bm, msg);
	}
	/* Every entry counts as a doorbell: a spurious one costs the
	 * sleeper one more look at its rings, never a lost wake-up. */
	bm->doorbell = 1;
}
