/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mailbox model: a doorbell between two cores.
 *
 * Three kinds of hardware, chosen per instance (struct hipc_mbox_profile):
 *
 * - FIFO (TI OMAP mailbox): a queue of messages per direction, TI's 4 deep
 *   and 32 bits wide, with a "new message" interrupt at the receiver and a
 *   "not full" interrupt at the sender.  The model extends the hardware
 *   queue with a software queue so that a full FIFO never loses a doorbell
 *   and never makes the sender spin; doorbells are idempotent (a notifyid
 *   already waiting in the queue is not queued twice), so the queue is
 *   bounded by the number of distinct messages, not by traffic.  This is
 *   what hipc_mbox_init() sets up.
 * - IPCC (STM32 IPCC): one flag per channel and no payload.  A channel is
 *   occupied from the sender's set until the receiver clears it; a send to
 *   an occupied channel waits as a software pending bit and goes out on
 *   the "channel free" interrupt.
 * - MHU (Arm MHUv3 doorbell channels): a 32-bit flag word per channel; the
 *   sender ORs bits in, the receiver reads and clears the word.  A port
 *   may refuse a bit that is still set (one transfer in flight per
 *   doorbell, as Linux's mailbox framework drives MHUv3); the bit then
 *   waits in software until the "transfer acknowledge" interrupt.
 *
 * A message is one unit of what the hardware carries: FIFO, the 32-bit
 * payload (a vring notifyid below 0xFFFFFF00, or a control message below);
 * IPCC, a channel number; MHU, a flag number, channel * 32 + bit.  Vring N
 * is message N in each: a notifyid as payload, channel N, flag bit N
 * (hipc_mbox_notify(), hipc_mbox_arrived()), so a port rings and reads
 * vrings the same way whatever the hardware.
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
#define HIPC_MBOX_IPCC_CHANS 32u /* most IPCC channels a model drives */
#define HIPC_MBOX_MHU_CHANS 15u /* most MHU channels a model drives */
#define HIPC_MBOX_VRINGS 32u    /* vring ids hipc_mbox_notify() maps */

/* The kind of hardware behind a model (struct hipc_mbox_profile). */
enum hipc_mbox_kind {
	HIPC_MBOX_KIND_FIFO = 0, /* TI-style message FIFO */
	HIPC_MBOX_KIND_IPCC = 1, /* STM32 IPCC-style channel flags */
	HIPC_MBOX_KIND_MHU = 2,  /* Arm MHUv3-style doorbell flag words */
};

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

/*
 * Channel hardware (IPCC, MHU).  @ch is below the profile's chans.
 */
struct hipc_mbox_chan_ops {
	/* Raise @bits on channel @ch (IPCC: always 1).  0, or -HIPC_EBUSY:
	 * the channel is still occupied (IPCC), or one of @bits is still set
	 * (MHU, when the port keeps one transfer in flight per doorbell; a
	 * port that lets the hardware merge never refuses). */
	int (*put)(void *hw, unsigned ch, uint32_t bits);
	/* What has arrived on @ch, which is then cleared: IPCC 1 (occupied,
	 * now freed) or 0; MHU the flag word (read, then cleared). */
	uint32_t (*take)(void *hw, unsigned ch);
	/* Arm (true) or disarm channel @ch's "channel free" (IPCC) or
	 * "transfer acknowledge" (MHU) event.  May be NULL (then the port
	 * must call hipc_mbox_tx_ready() from time to time). */
	void (*want_free)(void *hw, unsigned ch, bool on);
};

/*
 * What a model drives.  Zero fields take the defaults, so a zeroed profile
 * with fifo set is what hipc_mbox_init() sets up.
 */
struct hipc_mbox_profile {
	uint8_t kind;    /* enum hipc_mbox_kind */
	uint8_t depth;   /* FIFO: messages the hardware holds (TI: 4); the
			  * receiver reads at most this many per
			  * hipc_mbox_arrived().  0: HIPC_MBOX_HW_DEPTH */
	uint8_t width;   /* FIFO: bits per message, 1..32 (TI: 32); a wider
			  * message is refused.  0: 32 */
	uint8_t swq_len; /* FIFO: software queue, 1..HIPC_MBOX_SWQ_LEN
			  * distinct messages.  0: HIPC_MBOX_SWQ_LEN */
	uint8_t chans;   /* IPCC: 1..HIPC_MBOX_IPCC_CHANS (STM32MP1: 6);
			  * MHU: 1..HIPC_MBOX_MHU_CHANS.  FIFO: 0 */
	const struct hipc_mbox_hw_ops *fifo;   /* FIFO */
	const struct hipc_mbox_chan_ops *chan; /* IPCC, MHU */
};

/*
 * One instance: this side's sender into the hardware and receiver from it.
 * Fields private except the counters.  Zeroed memory with ops and hw set is
 * a FIFO model with the defaults (the bare-metal port relies on it).
 */
struct hipc_mbox {
	union {
		const struct hipc_mbox_hw_ops *ops;        /* FIFO */
		const struct hipc_mbox_chan_ops *chan_ops; /* IPCC, MHU */
	};
	void *hw;
	/* FIFO: the waiting messages.  IPCC: q[0], the waiting channels
	 * (bit per channel).  MHU: q[ch], channel ch's waiting flags, and
	 * q[chans], flags taken from channel q_head and not yet handed out. */
	uint32_t q[HIPC_MBOX_SWQ_LEN];
	uint8_t q_head;  /* FIFO: the first waiting; IPCC, MHU: the channel
			  * the receiver read last */
	uint8_t q_count; /* FIFO: how many wait */
	uint8_t kind;    /* the profile's, 0 = FIFO */
	uint8_t depth;   /* the profile's, 0 = default */
	uint8_t width;   /* the profile's, 0 = default */
	uint8_t n;       /* FIFO: swq_len (0 = default); IPCC, MHU: chans */
	uint32_t sent;      /* messages (MHU: flags) written to the hardware */
	uint32_t queued;    /* messages that had to wait in software */
	uint32_t coalesced; /* doorbells merged with one already waiting */
	uint32_t received;  /* messages (MHU: flags) read from the hardware */
	uint32_t busy;      /* sends that met a full FIFO or a busy channel */
};

/**
 * hipc_mbox_init() - bind a mailbox model to its hardware ops.
 * @retval 0, -HIPC_EINVAL (NULL ops or missing put/get)
 * Context: before any other call; not thread-safe.
 */
HIPC_API int hipc_mbox_init(struct hipc_mbox *mb,
			    const struct hipc_mbox_hw_ops *ops, void *hw);

/**
 * hipc_mbox_init_profile() - bind a mailbox model to hardware of the kind
 * @p describes (read here, not kept).
 * @retval 0
 * @retval -HIPC_EINVAL NULL @mb or @p, an unknown kind, the kind's ops
 *         missing (FIFO: put, get; IPCC, MHU: put, take), a field out of
 *         its range
 * Context: before any other call; not thread-safe.
 */
HIPC_API int hipc_mbox_init_profile(struct hipc_mbox *mb,
				    const struct hipc_mbox_profile *p,
				    void *hw);

/**
 * hipc_mbox_send() - send @msg.  FIFO: straight to the hardware if nothing
 * waits and the FIFO has room, else into the software queue (order kept;
 * with HIPC_CFG_MBOX_FIFO=0 a set, newest sent first) and the "not full"
 * event armed.  IPCC, MHU: @msg is a channel (IPCC) or flag (MHU) number;
 * set in the hardware if it takes it, else a pending bit in software and
 * the channel's "free" event armed.  A message already waiting is not
 * queued twice (FIFO: except control messages).
 * @retval 0 sent or queued (or merged with an identical waiting message)
 * @retval -HIPC_ENOSPC FIFO: the software queue holds swq_len distinct
 *         messages already (the peer has stopped draining)
 * @retval -HIPC_EMSGSIZE FIFO: @msg does not fit the profile's width
 * @retval -HIPC_EINVAL IPCC, MHU: no such channel or flag
 * Context: never blocks; ISR-safe; the port serialises senders.
 */
HIPC_API int hipc_mbox_send(struct hipc_mbox *mb, uint32_t msg);

/**
 * hipc_mbox_tx_ready() - the "not full" (FIFO) or "channel free" (IPCC,
 * MHU) event: move waiting messages into the hardware while it takes them,
 * and disarm the event of what no longer waits.  Return: how many are
 * still waiting.
 * Context: the not-full ISR or the port's loop; serialised with send.
 */
HIPC_API unsigned hipc_mbox_tx_ready(struct hipc_mbox *mb);

/**
 * hipc_mbox_recv() - read the next incoming message: FIFO the payload,
 * IPCC the number of an occupied channel (then freed; channels in turn),
 * MHU the number of a set flag (a channel's word is read and cleared at
 * once, its flags handed out lowest first; channels in turn).
 * @retval 0 *@msg set; -HIPC_EAGAIN nothing there
 * Context: the "new message" ISR or the port's loop.
 */
HIPC_API int hipc_mbox_recv(struct hipc_mbox *mb, uint32_t *msg);

/**
 * hipc_mbox_notify() - ring vring @vq the profile's way: message @vq
 * (FIFO: the notifyid as payload; IPCC: channel @vq; MHU: flag bit @vq).
 * @retval as hipc_mbox_send(), and -HIPC_EINVAL for @vq >= HIPC_MBOX_VRINGS
 * Context: as hipc_mbox_send().
 */
HIPC_API int hipc_mbox_notify(struct hipc_mbox *mb, unsigned vq);

/**
 * hipc_mbox_arrived() - what the peer rang, as vring ids: reads at most one
 * hardware FIFO's depth of messages (FIFO), one message per channel (IPCC)
 * or 32 flags per channel (MHU), and sets bit N of *@vrings for each
 * message N below HIPC_MBOX_VRINGS.  Any other message (a control
 * message; a flag of an MHU channel above 0) ends the read and comes back
 * in *@other, which is 0 otherwise.  Call again while it returns non-zero,
 * after dealing with *@other.
 * Return: messages read (0: nothing there).
 * Context: as hipc_mbox_recv().
 */
HIPC_API int hipc_mbox_arrived(struct hipc_mbox *mb, uint32_t *vrings,
			       uint32_t *other);

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
