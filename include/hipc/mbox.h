/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mailbox model: a doorbell between two cores that carries 32-bit messages.
 *
 * Hardware mailboxes (STM32 IPCC, TI OMAP mailbox, Arm MHU) have a small FIFO
 * per direction, typically 4 deep, with a "new message" interrupt at the
 * receiver and a "not full" interrupt at the sender.  hipc_mbox extends the
 * hardware FIFO with a software queue so that a full FIFO never loses a
 * doorbell and never makes the sender spin; doorbells are idempotent (a
 * notifyid already waiting in the queue is not queued twice), so the queue
 * is bounded by the number of distinct messages, not by traffic.
 *
 * Messages: a vring notifyid (< 0xFFFFFF00) or a control message below.
 */
#ifndef HIPC_MBOX_H
#define HIPC_MBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "hipc/export.h"

/* Control messages, numbered as TI's remoteproc numbers them. */
#define HIPC_MBOX_CTRL_BASE 0xFFFFFF00u
#define HIPC_MBOX_READY 0xFFFFFF00u
#define HIPC_MBOX_PENDING_MSG 0xFFFFFF01u
#define HIPC_MBOX_CRASH 0xFFFFFF02u
#define HIPC_MBOX_ECHO_REQUEST 0xFFFFFF03u
#define HIPC_MBOX_ECHO_REPLY 0xFFFFFF04u
#define HIPC_MBOX_ABORT_REQUEST 0xFFFFFF05u
#define HIPC_MBOX_SHUTDOWN 0xFFFFFF14u
#define HIPC_MBOX_SHUTDOWN_ACK 0xFFFFFF15u

#define HIPC_MBOX_HW_DEPTH 4u   /* the modelled hardware FIFO */
#define HIPC_MBOX_SWQ_LEN 16u   /* software extension, distinct messages */

static inline bool hipc_mbox_is_ctrl(uint32_t msg)
{
	return msg >= HIPC_MBOX_CTRL_BASE;
}

/* The hardware (or what stands in for it). */
struct hipc_mbox_hw_ops {
	/* Write one message.  0, or -HIPC_EBUSY when the FIFO is full. */
	int (*put)(void *hw, uint32_t msg);
	/* Read one message.  0, or -HIPC_EAGAIN when the FIFO is empty. */
	int (*get)(void *hw, uint32_t *msg);
	/* Arm (true) or disarm the "not full" event.  May be NULL (then the
	 * port must call hipc_mbox_tx_ready() from time to time). */
	void (*want_not_full)(void *hw, bool on);
};

struct hipc_mbox {
	const struct hipc_mbox_hw_ops *ops;
	void *hw;
	uint32_t q[HIPC_MBOX_SWQ_LEN];
	uint8_t q_head;
	uint8_t q_count;
	uint32_t sent;      /* messages written to the hardware */
	uint32_t queued;    /* messages that had to wait in software */
	uint32_t coalesced; /* doorbells merged with one already waiting */
	uint32_t received;
};

/**
 * hipc_mbox_init() - bind a mailbox model to its hardware ops.
 * @retval 0, -HIPC_EINVAL (NULL ops or missing put/get)
 * Context: before any other call; not thread-safe.
 */
HIPC_API int hipc_mbox_init(struct hipc_mbox *mb,
			    const struct hipc_mbox_hw_ops *ops, void *hw);

/**
 * hipc_mbox_send() - send @msg: straight to the hardware if nothing waits
 * and the FIFO has room, else into the software queue (order kept; with
 * HIPC_CFG_MBOX_FIFO=0 a set, newest sent first) and the "not full" event
 * armed.
 * @retval 0 sent or queued (or merged with an identical waiting message)
 * @retval -HIPC_ENOSPC the software queue holds HIPC_MBOX_SWQ_LEN distinct
 *         messages already (the peer has stopped draining)
 * Context: never blocks; ISR-safe; the port serialises senders.
 */
HIPC_API int hipc_mbox_send(struct hipc_mbox *mb, uint32_t msg);

/**
 * hipc_mbox_tx_ready() - the "not full" event: move queued messages into the
 * hardware while it has room.  Return: how many are still waiting.
 * Context: the not-full ISR or the port's loop; serialised with send.
 */
HIPC_API unsigned hipc_mbox_tx_ready(struct hipc_mbox *mb);

/**
 * hipc_mbox_recv() - read the next incoming message.
 * @retval 0 *@msg set; -HIPC_EAGAIN nothing there
 * Context: the "new message" ISR or the port's loop.
 */
HIPC_API int hipc_mbox_recv(struct hipc_mbox *mb, uint32_t *msg);

/*
 * A mailbox FIFO emulated in shared memory, for platforms (and the host
 * simulation) without mailbox hardware.  Single producer, single consumer;
 * each side writes only its own index.  The consumer validates the
 * producer's index (never more than HIPC_MBOX_HW_DEPTH ahead) so a hostile
 * peer cannot make it read outside the slots or loop.
 */
struct hipc_shm_fifo {
	uint32_t head;  /* written by the producer */
	uint32_t tail;  /* written by the consumer */
	uint32_t slot[HIPC_MBOX_HW_DEPTH];
	uint32_t want_not_full; /* producer asks for a not-full event */
	uint32_t reserved;
};
_Static_assert(sizeof(struct hipc_shm_fifo) == 32, "shm fifo layout");

/*
 * One side's end of a shared FIFO.  The index this side owns (the producer's
 * head, the consumer's tail) is kept here, in local memory, and only
 * published to the shared copy: it is never read back from shared memory,
 * where the peer could rewrite it.
 */
struct hipc_shm_fifo_end {
	struct hipc_shm_fifo *f;
	uint32_t own;
};

/** hipc_shm_fifo_reset() - empty the FIFO (both indices 0).  Only while no
 * end is open on it. */
HIPC_API void hipc_shm_fifo_reset(struct hipc_shm_fifo *f);
/**
 * hipc_shm_fifo_open() - this side's end of @f, as its producer or its
 * consumer.  The index it owns is taken from @f once, here: 0 after a
 * reset, or where a previous owner left it (a host attaching to a running
 * remote); from then on only the local copy counts.
 */
HIPC_API void hipc_shm_fifo_open(struct hipc_shm_fifo_end *e,
				 struct hipc_shm_fifo *f, bool producer);
/** hipc_shm_fifo_put() - 0, -HIPC_EBUSY (full), -HIPC_EIO (corrupt indices). */
HIPC_API int hipc_shm_fifo_put(struct hipc_shm_fifo_end *e, uint32_t msg);
/** hipc_shm_fifo_get() - 0, -HIPC_EAGAIN (empty), -HIPC_EIO (corrupt indices). */
HIPC_API int hipc_shm_fifo_get(struct hipc_shm_fifo_end *e, uint32_t *msg);
/** hipc_shm_fifo_count() - consumer end: messages waiting (0 when corrupt). */
HIPC_API unsigned hipc_shm_fifo_count(const struct hipc_shm_fifo_end *e);

#endif
