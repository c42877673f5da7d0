/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run-time support for test images on the Cortex-M target: the start-up
 * code's interrupt entries, forwarded to hooks a test may set.
 */
#ifndef HIPC_M4_TEST_RT_H
#define HIPC_M4_TEST_RT_H

extern void (*volatile hipc_m4_systick_hook)(void);
extern void (*volatile hipc_m4_irq_hook)(unsigned irq);

/*
 * A mailbox the tests play both ends of: plain RAM words standing for the
 * registers a board description names.
 */
enum { M4_TXD, M4_TXS, M4_RXD, M4_RXS, M4_ACK, M4_CTRL };

/* The board fields every test board shares: the fake mailbox registers,
 * the receive interrupt, priority and clocks.  Tests add tx_irq, the
 * not-full control and the shared memory. */
#define M4_FAKE_MBOX_BOARD(mb, irq_rx)                                       \
	.mbox_tx = (uintptr_t)&(mb)[M4_TXD],                                 \
	.mbox_tx_status = (uintptr_t)&(mb)[M4_TXS],                          \
	.mbox_tx_full = 1u,                                                  \
	.mbox_rx = (uintptr_t)&(mb)[M4_RXD],                                 \
	.mbox_rx_status = (uintptr_t)&(mb)[M4_RXS],                          \
	.mbox_rx_avail = 1u,                                                 \
	.mbox_irq_ack = (uintptr_t)&(mb)[M4_ACK],                            \
	.mbox_irq_ack_val = 1u,                                              \
	.rx_irq = (irq_rx),                                                  \
	.irq_prio = 0x80,                                                    \
	.core_hz = 25000000u,                                                \
	.tick_hz = 1000u

#endif
