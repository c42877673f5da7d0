// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bare-metal port: the environment half (critical section, sleep, time)
 * and the port ops handed to the core.
 */
#include <string.h>

#include "hipc/baremetal.h"
#include "hipc/config.h"
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

#if HIPC_CFG_LOCK
static void hipc_bm_op_lock(void *ctx)
{
	hipc_bm_lock(ctx);
}

static void hipc_bm_op_unlock(void *ctx)
{
	hipc_bm_unlock(ctx);
}
#endif

uint64_t hipc_bm_now_ns(struct hipc_bm *bm)
{
	uint32_t primask;
	uint64_t now;

	if (!HIPC_BM_TICK)
		return 0;
	/* Two words written by the SysTick ISR: read them as one. */
	primask = hipc_cm_irq_save();
	now = bm->now_ns;
	hipc_cm_irq_restore(primask);
	return now;
}

int hipc_bm_wait(struct hipc_bm *bm, uint64_t deadline_ns)
{
	bool sleep;
	int ret = 0;

	/*
	 * In an exception handler the mailbox interrupt cannot preempt us
	 * (same or lower priority), and with PRIMASK already set on entry no
	 * ISR would ever run: either way WFI could sleep forever.  0 and
	 * UINT64_MAX both mean "no deadline" (0 is the core's, as in the
	 * Linux port); any other needs the tick.
	 */
	if (hipc_cm_ipsr() != 0 || hipc_cm_primask() != 0 ||
	    (deadline_ns + 1u > 1u && (!HIPC_BM_TICK || bm->tick_ns == 0)))
		return -HIPC_ENOTSUP;
	deadline_ns--;

	for (;;) {
		/* Interrupts were enabled on entry (checked above). */
		hipc_cm_irq_disable();
		/* A doorbell the FIFO had no room for goes out now, or we
		 * stay awake to try again (the tick, when there is one, wakes
		 * us for that anyway). */
		sleep = !hipc__bm_tx_retry(bm) || (HIPC_BM_TICK && bm->tick_ns);
		if (bm->doorbell) {
			bm->doorbell = 0;
			break;
		}
		/* deadline - 1 (0 wrapped to UINT64_MAX): now > it is
		 * now >= deadline. */
		if (HIPC_BM_TICK && bm->now_ns > deadline_ns) {
			ret = -HIPC_ETIMEDOUT;
			break;
		}
		/*
		 * Sleep with interrupts masked: an interrupt that became
		 * pending after the doorbell check above still ends WFI, so
		 * no wake-up is lost between the check and the sleep.  The
		 * ISR itself runs once they are enabled again; were it not
		 * taken before the next mask, it would still be pending there
		 * and end the next WFI at once.  SysTick (when there is one)
		 * wakes us every tick to re-check the deadline.
		 */
		if (sleep)
			hipc_cm_wfi();
		hipc_cm_irq_enable();
	}
	hipc_cm_irq_enable();
	return ret;
}

#if HIPC_CFG_BLOCKING
static int hipc_bm_op_wait(void *ctx, uint64_t deadline_ns)
{
	return hipc_bm_wait(ctx, deadline_ns);
}

static uint64_t hipc_bm_op_now_ns(void *ctx)
{
	return hipc_bm_now_ns(ctx);
}
#endif

void hipc_bm_tick_isr(struct hipc_bm *bm)
{
	/* Time kept in nanoseconds at tick resolution: no multiplication or
	 * division on any read.  Readers mask interrupts around the 64-bit
	 * read; a higher-priority ISR calling hipc_bm_now_ns() does too, so
	 * it cannot see a torn value either.  Without the tick (tick_ns 0,
	 * or HIPC_BM_TICK=0) nothing moves. */
	if (HIPC_BM_TICK)
		bm->now_ns += bm->tick_ns;
}

/*
 * The ops the core may use, as this build of the core uses them: no lock
 * when the core takes none (HIPC_CFG_LOCK=0 refuses a port that has one),
 * no wait or clock when sends never wait.
 */
static const struct hipc_port_ops hipc_bm_ops = {
#if HIPC_CFG_LOCK
	.lock = hipc_bm_op_lock,
	.unlock = hipc_bm_op_unlock,
#endif
#if HIPC_BM_DCACHE
	.cache_clean = hipc__bm_cache_clean,
	.cache_invalidate = hipc__bm_cache_invalidate,
#endif
	.notify = hipc__bm_notify,
#if HIPC_CFG_BLOCKING
	.wait = hipc_bm_op_wait,
	.now_ns = hipc_bm_op_now_ns,
#endif
};

void hipc__bm_nvic_set(uintptr_t reg, unsigned irq)
{
	/* ISER, ICER, ISPR, ICPR: one bit per line, 32 lines a word. */
	HIPC_CM_REG(reg + 4u * (irq >> 5)) = 1u << (irq & 31u);
}

static void nvic_enable(unsigned irq, uint8_t prio)
{
	/* Priority first: the line may fire as soon as it is enabled. */
	HIPC_CM_REG8(HIPC_NVIC_IPR + irq) = prio;
	hipc__bm_nvic_set(HIPC_NVIC_ISER, irq);
}

int hipc_bm_init(struct hipc_bm *bm, const struct hipc_bm_board *board,
		 hipc_bm_msg_cb on_msg, void *priv)
{
	uint32_t reload = 0;

	if (!bm || !board || !board->mbox_rx_avail)
		return -HIPC_EINVAL;
	if (HIPC_BM_TICK && board->tick_hz) {
		reload = board->core_hz / board->tick_hz;
		/* SysTick counts 24 bits. */
		if (reload == 0 || reload > (1u << 24))
			return -HIPC_EINVAL;
	}

	/* The time and the mailbox model start from zero too, when built;
	 * without them the first fields are all there is to set. */
	if (HIPC_BM_TICK || HIPC_BM_MBOX_MODEL)
		memset(bm, 0, sizeof(*bm));
	bm->board = board;
	bm->port.ops = &hipc_bm_ops;
	bm->port.ctx = bm;
	bm->on_msg = on_msg;
	bm->priv = priv;
	bm->doorbell = 0;
	bm->tx_waiting = 0;
	bm->lock_depth = 0;
#if HIPC_BM_MBOX_MODEL
	/* What hipc_mbox_init() would do, on memory already zeroed. */
	bm->mbox.ops = &hipc__bm_mbox_hw_ops;
	bm->mbox.hw = bm;
#endif

	if (HIPC_BM_TICK && reload) {
		bm->tick_ns = 1000000000u / board->tick_hz;
		HIPC_CM_REG(HIPC_SYST_RVR) = reload - 1u;
		HIPC_CM_REG(HIPC_SYST_CVR) = 0;
		HIPC_CM_REG(HIPC_SYST_CSR) = HIPC_SYST_CSR_CLKSOURCE |
					     HIPC_SYST_CSR_TICKINT |
					     HIPC_SYST_CSR_ENABLE;
	}

	nvic_enable(board->rx_irq, board->irq_prio);
	if (HIPC_BM_MBOX_MODEL && board->tx_irq != HIPC_BM_NO_IRQ)
		nvic_enable(board->tx_irq, board->irq_prio);
	return 0;
}
