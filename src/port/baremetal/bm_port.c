// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bare-metal port: the environment half (critical section, sleep, time)
 * and the port ops handed to the core.
 */
#include <string.h>

#include "hipc/baremetal.h"
#include "hipc/error.h"

#include "bm_internal.h"
#include "cm_regs.h"

void hipc_bm_lock(struct hipc_bm *bm)
{
	uint32_t primask = hipc_cm_irq_save();

	/* Interrupts are off from here on, so the depth counter cannot be
	 * raced by an ISR taking the same lock. */
	if (bm->lock_depth++ == 0)
		bm->lock_primask = primask;
}

void hipc_bm_unlock(struct hipc_bm *bm)
{
	if (--bm->lock_depth == 0)
		hipc_cm_irq_restore(bm->lock_primask);
}

static void hipc_bm_op_lock(void *ctx)
{
	hipc_bm_lock(ctx);
}

static void hipc_bm_op_unlock(void *ctx)
{
	hipc_bm_unlock(ctx);
}

static int hipc_bm_op_notify(void *ctx, uint32_t notifyid)
{
	struct hipc_bm *bm = ctx;
	int ret;

	/* The mailbox model's software queue is shared with the "not full"
	 * ISR and with senders in other ISRs: serialise them. */
	hipc_bm_lock(bm);
	ret = hipc_mbox_send(&bm->mbox, notifyid);
	hipc_bm_unlock(bm);
	return ret;
}

uint64_t hipc_bm_now_ns(struct hipc_bm *bm)
{
	uint32_t primask;
	uint64_t ticks;

	/* Two words written by the SysTick ISR: read them as one. */
	primask = hipc_cm_irq_save();
	ticks = bm->ticks;
	hipc_cm_irq_restore(primask);
	/* Tick resolution only: deadlines in the core are milliseconds, and a
	 * sub-tick reading would cost a 64-bit division. */
	return ticks * bm->tick_ns;
}

static uint64_t hipc_bm_op_now_ns(void *ctx)
{
	return hipc_bm_now_ns(ctx);
}

int hipc_bm_wait(struct hipc_bm *bm, uint64_t deadline_ns)
{
	uint32_t primask;

	/* 0 is the core's "no deadline" (as in the Linux port). */
	if (deadline_ns == 0)
		deadline_ns = UINT64_MAX;

	/*
	 * In an exception handler the mailbox interrupt cannot preempt us
	 * (same or lower priority), and with PRIMASK already set on entry no
	 * ISR would ever run: either way WFI could sleep forever.
	 */
	if (hipc_cm_ipsr() != 0 || hipc_cm_primask() != 0)
		return -HIPC_ENOTSUP;
	if (deadline_ns != UINT64_MAX && bm->tick_ns == 0)
		return -HIPC_ENOTSUP;

	for (;;) {
		/* Without a "not full" interrupt, queued doorbells move to
		 * the hardware whenever we look. */
		if (bm->mbox.q_count != 0) {
			hipc_bm_lock(bm);
			hipc_mbox_tx_ready(&bm->mbox);
			hipc_bm_unlock(bm);
		}

		primask = hipc_cm_irq_save();
		if (bm->doorbell) {
			bm->doorbell = 0;
			hipc_cm_irq_restore(primask);
			return 0;
		}
		if (deadline_ns != UINT64_MAX && bm->ticks * bm->tick_ns >= deadline_ns) {
			hipc_cm_irq_restore(primask);
			return -HIPC_ETIMEDOUT;
		}
		/*
		 * Sleep with PRIMASK set: an interrupt that became pending
		 * after the doorbell check above still ends WFI, so no wake-up
		 * is lost between the check and the sleep.  The ISR itself
		 * runs once PRIMASK is restored.  SysTick wakes us every tick
		 * to re-check the deadline.
		 */
		hipc_cm_wfi();
		hipc_cm_irq_restore(primask);
	}
}

static int hipc_bm_op_wait(void *ctx, uint64_t deadline_ns)
{
	return hipc_bm_wait(ctx, deadline_ns);
}

void hipc_bm_tick_isr(struct hipc_bm *bm)
{
	/* Readers mask interrupts around the 64-bit read; a higher-priority
	 * ISR calling hipc_bm_now_ns() does too, so it cannot see a torn
	 * value either. */
	bm->ticks++;
}

static const struct hipc_port_ops hipc_bm_ops = {
	.lock = hipc_bm_op_lock,
	.unlock = hipc_bm_op_unlock,
#if HIPC_BM_DCACHE
	.cache_clean = hipc__bm_cache_clean,
	.cache_invalidate = hipc__bm_cache_invalidate,
#endif
	.notify = hipc_bm_op_notify,
	.wait = hipc_bm_op_wait,
	.now_ns = hipc_bm_op_now_ns,
};

int hipc_bm_init(struct hipc_bm *bm, const struct hipc_bm_board *board,
		 hipc_bm_msg_cb on_msg, void *priv)
{
	uint32_t reload = 0;
	int ret;

	if (!bm || !board || !board->mbox_rx_avail)
		return -HIPC_EINVAL;
	if (board->tick_hz) {
		reload = board->core_hz / board->tick_hz;
		/* SysTick counts 24 bits. */
		if (reload == 0 || reload > (1u << 24))
			return -HIPC_EINVAL;
	}

	memset(bm, 0, sizeof(*bm));
	bm->board = board;
	bm->on_msg = on_msg;
	bm->priv = priv;
	bm->region.da = board->shm_da;
	bm->region.va = (uint8_t *)board->shm_va;
	bm->region.size = board->shm_size;
	bm->map.regions = &bm->region;
	bm->map.count = 1;
	bm->port.ops = &hipc_bm_ops;
	bm->port.ctx = bm;
	ret = hipc_mbox_init(&bm->mbox, &hipc__bm_mbox_hw_ops, bm);
	if (ret)
		return ret;

	if (reload) {
		bm->tick_ns = 1000000000u / board->tick_hz;
		HIPC_CM_REG(HIPC_SYST_RVR) = reload - 1u;
		HIPC_CM_REG(HIPC_SYST_CVR) = 0;
		HIPC_CM_REG(HIPC_SYST_CSR) = HIPC_SYST_CSR_CLKSOURCE |
					     HIPC_SYST_CSR_TICKINT |
					     HIPC_SYST_CSR_ENABLE;
	}

	hipc_cm_nvic_enable(board->rx_irq, board->irq_prio);
	if (board->tx_irq != HIPC_BM_NO_IRQ)
		hipc_cm_nvic_enable(board->tx_irq, board->irq_prio);
	return 0;
}
