// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bare-metal port: the mailbox registers behind the core's mailbox model,
 * and the mailbox interrupt handlers.
 */
#include "hipc/baremetal.h"
#include "hipc/error.h"

#include "bm_internal.h"
#include "cm_regs.h"

static int hipc_bm_hw_put(void *hw, uint32_t msg)
{
	const struct hipc_bm_board *b = ((struct hipc_bm *)hw)->board;

	if (HIPC_CM_REG(b->mbox_tx_status) & b->mbox_tx_full)
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

static bool rx_avail(const struct hipc_bm_board *b)
{
	return HIPC_CM_REG(b->mbox_rx_status) & b->mbox_rx_avail;
}

static uint32_t rx_pop(const struct hipc_bm_board *b)
{
	uint32_t msg = HIPC_CM_REG(b->mbox_rx);

	/* Reads of the ring this message announces must not be satisfied
	 * before the message itself was read. */
	hipc_cm_dmb();
	return msg;
}

static int hipc_bm_hw_get(void *hw, uint32_t *msg)
{
	const struct hipc_bm_board *b = ((struct hipc_bm *)hw)->board;

	if (!rx_avail(b))
		return -HIPC_EAGAIN;
	*msg = rx_pop(b);
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
			HIPC_CM_REG(HIPC_NVIC_ISPR + 4u * (b->rx_irq >> 5)) =
				1u << (b->rx_irq & 31u);
			break;
		}
		msg = rx_pop(b);
		/* The registers directly: hipc_mbox_recv() would only add
		 * the count kept here. */
		bm->mbox.received++;
		if (bm->on_msg)
			bm->on_msg(bm, msg);
	}
	if (n)
		bm->doorbell = 1;
}

void hipc_bm_mbox_tx_isr(struct hipc_bm *bm)
{
	uint32_t primask = hipc_cm_irq_save();

	hipc_mbox_tx_ready(&bm->mbox);
	hipc_cm_irq_restore(primask);
}
