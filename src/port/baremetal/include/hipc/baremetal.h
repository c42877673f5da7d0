/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reference port for a Cortex-M remote core without an OS and without a
 * vendor SDK: the platform is a small board description (where the mailbox
 * registers are, which interrupt lines, the clocks, the shared memory), the
 * environment is the core itself (PRIMASK critical sections, WFI, SysTick).
 *
 * The mailbox is a register FIFO in the style of TI's OMAP mailbox or an
 * Arm MHU with a data register: writing the TX data register queues one
 * 32-bit message and interrupts the peer; reading the RX data register pops
 * one.  A status register per direction says "full" / "a message waits".
 * hipc_mbox (the core's model) extends the hardware FIFO in software; a
 * port built with HIPC_BM_MBOX_MODEL=0 keeps a set of waiting doorbells
 * instead (below).
 *
 * No heap: every object lives in a struct hipc_bm the firmware declares.
 * No link-time magic: the firmware's vector table calls hipc_bm_mbox_isr()
 * and hipc_bm_tick_isr() explicitly.
 */
#ifndef HIPC_BAREMETAL_H
#define HIPC_BAREMETAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hipc/config.h"
#include "hipc/export.h"
#include "hipc/mbox.h"
#include "hipc/memmap.h"
#include "hipc/port.h"

/*
 * The port's own switches.  Like the core's (hipc/config.h) each removes a
 * whole feature and changes no signature and no struct layout; each follows
 * the core switch whose feature needs it, so a profile sets them too.  Give
 * the same values to the port and to the firmware that calls it.
 *
 * HIPC_BM_TICK (default HIPC_CFG_BLOCKING): SysTick time.  0: the port
 *	never touches SysTick and ignores core_hz and tick_hz;
 *	hipc_bm_now_ns() returns 0, hipc_bm_wait() refuses a deadline
 *	(-HIPC_ENOTSUP, as with tick_hz 0) and hipc_bm_tick_isr() does
 *	nothing.  A core that never waits needs no clock.
 *
 * HIPC_BM_MBOX_MODEL (default HIPC_CFG_MBOX_FIFO): doorbells through the
 *	core's mailbox model (struct hipc_mbox: up to HIPC_MBOX_SWQ_LEN
 *	waiting messages in order, counters, the "not full" interrupt).
 *	0: a bitmask of waiting notifyids instead, for a remote whose only
 *	messages are doorbells.  A doorbell that finds the FIFO full waits
 *	in the mask (once, however often it is rung) and goes out lowest
 *	notifyid first at the next notify or pass of hipc_bm_wait(), which
 *	does not sleep while one waits.  Notifyids above 31 are refused
 *	(-HIPC_EINVAL; Linux numbers a remote's vrings from 0), bm->mbox
 *	stays unused, the "not full" line is left disabled and
 *	hipc_bm_mbox_tx_isr() does nothing.
 */
#ifndef HIPC_BM_TICK
#define HIPC_BM_TICK HIPC_CFG_BLOCKING
#endif
#ifndef HIPC_BM_MBOX_MODEL
#define HIPC_BM_MBOX_MODEL HIPC_CFG_MBOX_FIFO
#endif

#define HIPC_BM_NO_IRQ 0xFFFFu

/*
 * What a board (SoC + its integration) looks like to the port.  Kept in
 * flash as a const object; register addresses are the core's view.
 */
struct hipc_bm_board {
	uintptr_t mbox_tx;          /* write: one message to the peer */
	uintptr_t mbox_tx_status;   /* read: TX side state */
	uint32_t mbox_tx_full;      /* mask in mbox_tx_status: FIFO full */
	uintptr_t mbox_rx;          /* read: pops the next message */
	uintptr_t mbox_rx_status;   /* read: RX side state */
	uint32_t mbox_rx_avail;     /* mask in mbox_rx_status: a message waits */
	uintptr_t mbox_irq_ack;     /* 0, or written with mbox_irq_ack_val
				     * after the RX FIFO is drained */
	uint32_t mbox_irq_ack_val;
	uintptr_t mbox_irq_ctrl;    /* 0, or the register holding the
				     * "not full" interrupt enable */
	uint32_t mbox_not_full_en;  /* mask in mbox_irq_ctrl */
	uint16_t rx_irq;            /* NVIC line of "new message" */
	uint16_t tx_irq;            /* NVIC line of "not full", or HIPC_BM_NO_IRQ */
	uint8_t irq_prio;           /* NVIC priority byte for both lines */
	uint32_t core_hz;           /* SysTick input (processor clock) */
	uint32_t tick_hz;           /* SysTick rate; 0: no tick, no deadlines */
	/*
	 * The shared memory: each region as the host addresses it (da) and
	 * as this core does (va).  Handed to the core as it is, so it lives
	 * in flash with the rest of the board.
	 */
	struct hipc_memmap shm;
};

struct hipc_bm;

/* Called from the mailbox ISR for each message received. */
typedef void (*hipc_bm_msg_cb)(struct hipc_bm *bm, uint32_t msg);

/*
 * One port instance (one mailbox).  Fields private.  The fields every
 * build uses come first, within reach of the short load and store
 * encodings.
 */
struct hipc_bm {
	const struct hipc_bm_board *board;
	struct hipc_port port;
	hipc_bm_msg_cb on_msg;
	void *priv;
	volatile uint32_t doorbell; /* set by the ISR, taken by wait */
	uint32_t tx_waiting;        /* HIPC_BM_MBOX_MODEL=0: bit n set while
				     * notifyid n waits for room in the FIFO */
	uint32_t lock_depth;
	uint32_t lock_primask;
	uint32_t tick_ns;
	volatile uint64_t now_ns;   /* advanced by tick_ns per SysTick */
	struct hipc_mbox mbox;      /* HIPC_BM_MBOX_MODEL=1 */
};

/**
 * hipc_bm_init() - bind @bm to @board: the mailbox (model or waiting-doorbell
 * mask), the port ops; starts SysTick (HIPC_BM_TICK and tick_hz != 0) and
 * enables the mailbox interrupt lines in the NVIC ("not full" only with
 * HIPC_BM_MBOX_MODEL).  The board's shared-memory table is used in place.
 * @on_msg: optional, called in the ISR for every message (control messages
 * included); the doorbell that wakes hipc_bm_wait() is raised regardless.
 * @retval 0
 * @retval -HIPC_EINVAL NULL board, no RX status mask, SysTick reload out
 *         of its 24 bits
 * Context: once, at boot, before interrupts are expected.
 */
HIPC_API int hipc_bm_init(struct hipc_bm *bm, const struct hipc_bm_board *board,
			  hipc_bm_msg_cb on_msg, void *priv);

/** hipc_bm_port() - the port to hand to the core (hipc_rpmsg_dev_config.port). */
static inline const struct hipc_port *hipc_bm_port(const struct hipc_bm *bm)
{
	return &bm->port;
}

/** hipc_bm_memmap() - the board's shared memory as a translation table. */
static inline const struct hipc_memmap *hipc_bm_memmap(const struct hipc_bm *bm)
{
	return &bm->board->shm;
}

/**
 * hipc_bm_mbox_isr() - the "new message" interrupt: acknowledges the line,
 * drains up to one FIFO's worth (re-pending itself for the rest), calls
 * on_msg per message, raises the doorbell.  Call it from the firmware's
 * vector for board->rx_irq.
 */
HIPC_API void hipc_bm_mbox_isr(struct hipc_bm *bm);

/**
 * hipc_bm_mbox_tx_isr() - the "not full" interrupt: moves messages queued in
 * software into the hardware FIFO.  Vector for board->tx_irq.  Does nothing
 * with HIPC_BM_MBOX_MODEL=0 (the line is never enabled).
 */
HIPC_API void hipc_bm_mbox_tx_isr(struct hipc_bm *bm);

/** hipc_bm_tick_isr() - the SysTick vector (does nothing without HIPC_BM_TICK). */
HIPC_API void hipc_bm_tick_isr(struct hipc_bm *bm);

/**
 * hipc_bm_wait() - sleep (WFI) until a doorbell arrives or @deadline_ns
 * (0 or UINT64_MAX: no deadline) passes; consumes the doorbell.  Each pass
 * first retries the doorbells that found the TX FIFO full; while one still
 * waits and no interrupt would retry it ("not full", the tick), it keeps
 * retrying instead of sleeping.
 * @retval 0 a doorbell arrived (since the last wait)
 * @retval -HIPC_ETIMEDOUT the deadline passed
 * @retval -HIPC_ENOTSUP called from an exception handler or with interrupts
 *         masked (nothing could wake us), or a deadline without a tick
 *         (tick_hz 0, or HIPC_BM_TICK=0)
 * Context: thread mode only.
 */
HIPC_API int hipc_bm_wait(struct hipc_bm *bm, uint64_t deadline_ns);

/**
 * hipc_bm_now_ns() - monotonic time at tick resolution (0 without a tick:
 * tick_hz 0, or HIPC_BM_TICK=0).
 */
HIPC_API uint64_t hipc_bm_now_ns(struct hipc_bm *bm);

/*
 * The critical section the port ops use, for firmware code that shares data
 * with the ISRs.  Nests: only the outermost unlock restores the interrupt
 * mask that was in force before the outermost lock.
 */
HIPC_API void hipc_bm_lock(struct hipc_bm *bm);
HIPC_API void hipc_bm_unlock(struct hipc_bm *bm);

#endif
