// SPDX-License-Identifier: BSD-3-Clause
/*
 * Board description: a Cortex-M4 at 25 MHz with a register-FIFO mailbox to
 * the application processor and a window of shared RAM.
 *
 * The addresses are those of QEMU's mps2-an386, so the image boots there:
 * the mailbox sits in the MPS2 "extra peripheral" window at 0x40020000,
 * which QEMU leaves unimplemented (reads 0 = no message, writes are
 * dropped), and lines 30/31 are free on the AN386's 32-line NVIC.  On a real
 * SoC only this table changes.
 *
 * Mailbox register map (offsets from the base):
 *   0x00 TX data    write: queue a message to the host
 *   0x04 TX status  bit 0: FIFO full
 *   0x10 RX data    read: pop the next message from the host
 *   0x14 RX status  bit 0: a message waits
 *   0x18 IRQ ack    write 1: acknowledge "new message"
 *   0x1c IRQ ctrl   bit 1: "not full" interrupt enable
 */
#include "board.h"

#define MBOX_BASE 0x40020000u

/* The host addresses shared memory physically: da == va here. */
static const struct hipc_region shm = {
	.da = 0x21000000u,
	.va = (uint8_t *)0x21000000u,
	.size = 0x00100000u,
};

const struct hipc_bm_board hipc_fw_board = {
	.mbox_tx = MBOX_BASE + 0x00,
	.mbox_tx_status = MBOX_BASE + 0x04,
	.mbox_tx_full = 1u << 0,
	.mbox_rx = MBOX_BASE + 0x10,
	.mbox_rx_status = MBOX_BASE + 0x14,
	.mbox_rx_avail = 1u << 0,
	.mbox_irq_ack = MBOX_BASE + 0x18,
	.mbox_irq_ack_val = 1u,
	.mbox_irq_ctrl = MBOX_BASE + 0x1c,
	.mbox_not_full_en = 1u << 1,
	.rx_irq = 30,
	.tx_irq = 31,
	.irq_prio = 0x80,
	.core_hz = 25000000u,
	.tick_hz = 1000u,
	.shm = { .regions = &shm, .count = 1 },
};
