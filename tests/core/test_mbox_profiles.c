/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mailbox profiles: the model over emulated TI-style FIFO, STM32 IPCC-style
 * and Arm MHU-style hardware.  Bursts of notifications with a receiver
 * slower than the sender: nothing lost, the software queue used, the
 * counters adding up.
 */
#include <string.h>

#include "hipc/error.h"
#include "hipc/mbox.h"
#include "hipc_test.h"

#define BURST 100000u

/* ---- emulated hardware, one direction ---------------------------------- */

/* TI-style: a queue of depth messages of width bits. */
struct fifo_hw {
	uint32_t slot[16];
	unsigned head, count, depth, width;
	bool not_full_armed;
};

static int fifo_put(void *hw, uint32_t m)
{
	struct fifo_hw *f = hw;

	if (f->count == f->depth)
		return -HIPC_EBUSY;
	/* The model must never hand the hardware more than it carries. */
	CHECK(f->width == 32 || (m >> f->width) == 0);
	f->slot[(f->head + f->count++) % f->depth] = m;
	return 0;
}

static int fifo_get(void *hw, uint32_t *m)
{
	struct fifo_hw *f = hw;

	if (f->count == 0)
		return -HIPC_EAGAIN;
	*m = f->slot[f->head];
	f->head = (f->head + 1u) % f->depth;
	f->count--;
	return 0;
}

static void fifo_want(void *hw, bool on)
{
	((struct fifo_hw *)hw)->not_full_armed = on;
}

static const struct hipc_mbox_hw_ops fifo_ops = { fifo_put, fifo_get,
						  fifo_want };

/*
 * Channel hardware.  IPCC: a channel is occupied from set to clear.  MHU:
 * a flag word per channel; a flag still set is refused, as a port keeping
 * one transfer in flight per doorbell does.
 */
struct chan_hw {
	bool mhu;
	uint32_t occupied;  /* IPCC */
	uint32_t word[HIPC_MBOX_MHU_CHANS]; /* MHU */
	uint32_t free_armed; /* bit per channel */
};

static int chan_put(void *hw, unsigned ch, uint32_t bits)
{
	struct chan_hw *c = hw;

	if (!c->mhu) {
		CHECK_EQ(bits, 1);
		if (c->occupied & (1u << ch))
			return -HIPC_EBUSY;
		c->occupied |= 1u << ch;
		return 0;
	}
	if (c->word[ch] & bits)
		return -HIPC_EBUSY;
	c->word[ch] |= bits;
	return 0;
}

static uint32_t chan_take(void *hw, unsigned ch)
{
	struct chan_hw *c = hw;
	uint32_t w;

	if (!c->mhu) {
		w = (c->occupied >> ch) & 1u;
		c->occupied &= ~(1u << ch);
		return w;
	}
	w = c->word[ch];
	c->word[ch] = 0;
	return w;
}

static void chan_want(void *hw, unsigned ch, bool on)
{
	struct chan_hw *c = hw;

	if (on)
		c->free_armed |= 1u << ch;
	else
		c->free_armed &= ~(1u << ch);
}

static const struct hipc_mbox_chan_ops chan_ops = { chan_put, chan_take,
						    chan_want };

/* ---- init ---------------------------------------------------------------- */

HIPC_TEST(init_checks_profiles)
{
	struct hipc_mbox mb;
	struct hipc_mbox_profile p;
	struct fifo_hw f = { .depth = 4, .width = 32 };

	memset(&p, 0, sizeof(p));
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, &f), -HIPC_EINVAL); /* no ops */
	p.fifo = &fifo_ops;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, &f), 0);
	CHECK_EQ(mb.kind, HIPC_MBOX_KIND_FIFO);
	p.width = 33;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, &f), -HIPC_EINVAL);
	p.width = 8;
	p.swq_len = HIPC_MBOX_SWQ_LEN + 1;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, &f), -HIPC_EINVAL);
	p.swq_len = 2;
	p.chans = 1; /* channels mean nothing to a FIFO */
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, &f), -HIPC_EINVAL);

	memset(&p, 0, sizeof(p));
	p.kind = HIPC_MBOX_KIND_IPCC;
	p.chan = &chan_ops;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, NULL), -HIPC_EINVAL); /* 0 chans */
	p.chans = HIPC_MBOX_IPCC_CHANS + 1;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, NULL), -HIPC_EINVAL);
	p.chans = HIPC_MBOX_IPCC_CHANS;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, NULL), 0);
	p.kind = HIPC_MBOX_KIND_MHU;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, NULL), -HIPC_EINVAL);
	p.chans = HIPC_MBOX_MHU_CHANS;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, NULL), 0);
	p.depth = 4; /* a FIFO field */
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, NULL), -HIPC_EINVAL);
	p.depth = 0;
	p.fifo = &fifo_ops;
	p.chan = NULL;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, NULL), -HIPC_EINVAL);
	p.kind = 3;
	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, NULL), -HIPC_EINVAL);
	CHECK_EQ(hipc_mbox_init_profile(&mb, NULL, NULL), -HIPC_EINVAL);
}

/* ---- FIFO ---------------------------------------------------------------- */

HIPC_TEST(fifo_width_refuses_what_does_not_fit)
{
	struct fifo_hw f = { .depth = 2, .width = 8 };
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_FIFO,
				       .depth = 2, .width = 8, .fifo = &fifo_ops };
	struct hipc_mbox mb;
	uint32_t m;

	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, &f), 0);
	CHECK_EQ(hipc_mbox_send(&mb, 255), 0);
	CHECK_EQ(hipc_mbox_send(&mb, 256), -HIPC_EMSGSIZE);
	CHECK_EQ(hipc_mbox_send(&mb, HIPC_MBOX_ECHO_REQUEST), -HIPC_EMSGSIZE);
	CHECK_EQ(mb.sent, 1);
	CHECK_EQ(hipc_mbox_recv(&mb, &m), 0);
	CHECK_EQ(m, 255);
}

HIPC_TEST(fifo_swq_len_bounds_the_software_queue)
{
	struct fifo_hw f = { .depth = 2, .width = 32 };
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_FIFO,
				       .depth = 2, .swq_len = 3,
				       .fifo = &fifo_ops };
	struct hipc_mbox mb;

	CHECK_EQ(hipc_mbox_init_profile(&mb, &p, &f), 0);
	for (uint32_t i = 0; i < 5; i++)
		CHECK_EQ(hipc_mbox_send(&mb, 10 + i), 0);
	CHECK_EQ(hipc_mbox_send(&mb, 99), -HIPC_ENOSPC);
	CHECK_EQ(mb.sent, 2);
	CHECK_EQ(mb.queued, 3);
	CHECK_EQ(mb.busy, 4);
	CHECK(f.not_full_armed);
}

/*
 * Sequence-stamped messages through a FIFO of @depth x @width bits with a
 * software queue of @swq entries; the receiver takes one message every
 * @slow sender attempts.  Every accepted message arrives, once, in order.
 */
static void fifo_burst(unsigned depth, unsigned width, unsigned swq,
		       unsigned slow)
{
	struct fifo_hw f = { .depth = depth, .width = width };
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_FIFO,
				       .depth = (uint8_t)depth,
				       .width = (uint8_t)width,
				       .swq_len = (uint8_t)swq,
				       .fifo = &fifo_ops };
	struct hipc_mbox tx, rx;
	uint32_t mask = width == 32 ? 0x7FFFFFFFu : (1u << width) - 1u;
	uint32_t next = 0, want = 0, m;
	unsigned refused = 0, attempt = 0, waited_max = 0;

	CHECK_EQ(hipc_mbox_init_profile(&tx, &p, &f), 0);
	CHECK_EQ(hipc_mbox_init_profile(&rx, &p, &f), 0);
	while (want < BURST) {
		if (next < BURST) {
			int ret = hipc_mbox_send(&tx, next & mask);

			if (ret == 0)
				next++;
			else {
				CHECK_EQ(ret, -HIPC_ENOSPC);
				refused++;
			}
		}
		if (tx.q_count > waited_max)
			waited_max = tx.q_count;
		if (++attempt % slow && next < BURST)
			continue;
		/* The receiver's turn: one message, then the sender's
		 * "not full" interrupt if it asked for one. */
		if (hipc_mbox_recv(&rx, &m) == 0) {
			CHECK_EQ(m, want & mask);
			want++;
		}
		if (f.not_full_armed)
			hipc_mbox_tx_ready(&tx);
	}
	CHECK_EQ(hipc_mbox_recv(&rx, &m), -HIPC_EAGAIN);
	CHECK_EQ(tx.q_count, 0);
	CHECK(!f.not_full_armed);
	CHECK_EQ(waited_max, swq);
	CHECK(refused > 0);
	CHECK_EQ(tx.sent, BURST);
	CHECK_EQ(rx.received, BURST);
	CHECK_EQ(tx.coalesced, 0);
	/* every message that did not go straight out waited once; every
	 * send the hardware turned away met a full FIFO */
	CHECK(tx.queued > 0 && tx.queued < BURST);
	CHECK_EQ(tx.busy, tx.queued + refused);
	CHECK_EQ(tx.received, 0);
	CHECK_EQ(rx.sent, 0);
}

HIPC_TEST(fifo_burst_ti_4x32_in_order)
{
	fifo_burst(4, 32, HIPC_MBOX_SWQ_LEN, 3);
}

HIPC_TEST(fifo_burst_8x16_small_queue_in_order)
{
	fifo_burst(8, 16, 4, 7);
}

HIPC_TEST(fifo_default_profile_is_hipc_mbox_init)
{
	struct fifo_hw f = { .depth = HIPC_MBOX_HW_DEPTH, .width = 32 };
	struct hipc_mbox a, b;
	struct hipc_mbox_profile p = { .fifo = &fifo_ops };

	CHECK_EQ(hipc_mbox_init(&a, &fifo_ops, &f), 0);
	CHECK_EQ(hipc_mbox_init_profile(&b, &p, &f), 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	CHECK_EQ(hipc_mbox_init(&a, NULL, &f), -HIPC_EINVAL);
}

/* ---- doorbells through the vring mapping, any profile -------------------- */

#define NVQ 12u /* vrings rung in the burst */

/*
 * The sender rings vrings in a pattern for BURST attempts; every @slow
 * attempts the receiver looks once (hipc_mbox_arrived()) and the sender
 * takes its "free" event.  A vring rung is owed a sighting until the
 * receiver sees it after that ring; at the end none is owed.
 */
static void doorbell_burst(struct hipc_mbox *tx, struct hipc_mbox *rx,
			   bool (*armed)(void), unsigned slow)
{
	bool owed[NVQ] = { false };
	unsigned long rings = 0, seen = 0;
	uint32_t vrings, other, lcg = 1;

	/* after the burst, until nothing waits (bounded: a stranded
	 * message must fail the test, not hang it) */
	for (unsigned i = 0; i < BURST || (armed() && i < 2 * BURST); i++) {
		if (i < BURST) {
			/* mostly the two rpmsg vrings, sometimes others */
			lcg = lcg * 1103515245u + 12345u;
			unsigned vq = (lcg >> 16) % 4u ? (lcg >> 20) & 1u
						       : (lcg >> 16) % NVQ;

			CHECK_EQ(hipc_mbox_notify(tx, vq), 0);
			owed[vq] = true;
			rings++;
		}
		if (i % slow && i < BURST)
			continue;
		int n = hipc_mbox_arrived(rx, &vrings, &other);

		CHECK(n >= 0);
		CHECK_EQ(other, 0);
		for (unsigned v = 0; v < 32; v++) {
			if (!(vrings & (1u << v)))
				continue;
			CHECK(v < NVQ);
			owed[v] = false;
			seen++;
		}
		if (armed())
			hipc_mbox_tx_ready(tx);
	}
	while (hipc_mbox_arrived(rx, &vrings, &other) > 0) {
		for (unsigned v = 0; v < NVQ; v++)
			if (vrings & (1u << v))
				owed[v] = false, seen++;
	}
	for (unsigned v = 0; v < NVQ; v++)
		CHECK(!owed[v]);
	CHECK_EQ(hipc_mbox_tx_ready(tx), 0);
	/* Each ring went out, merged with one waiting, or waited and went
	 * out later; the receiver read each one that went out. */
	CHECK_EQ(tx->sent + tx->coalesced, rings);
	CHECK_EQ(rx->received, tx->sent);
	CHECK(tx->queued > 0);
	CHECK(tx->coalesced > 0);
	CHECK(tx->busy >= tx->queued);
	CHECK(seen <= rx->received);
	CHECK(seen > BURST / (2 * slow));
}

static struct fifo_hw db_fifo;
static struct chan_hw db_chan;
static bool fifo_armed(void) { return db_fifo.not_full_armed; }
static bool chan_armed(void) { return db_chan.free_armed != 0; }

HIPC_TEST(doorbell_burst_fifo)
{
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_FIFO,
				       .fifo = &fifo_ops };
	struct hipc_mbox tx, rx;

	memset(&db_fifo, 0, sizeof(db_fifo));
	db_fifo.depth = HIPC_MBOX_HW_DEPTH;
	db_fifo.width = 32;
	CHECK_EQ(hipc_mbox_init_profile(&tx, &p, &db_fifo), 0);
	CHECK_EQ(hipc_mbox_init_profile(&rx, &p, &db_fifo), 0);
	doorbell_burst(&tx, &rx, fifo_armed, 5);
	CHECK_EQ(tx.busy, tx.queued + tx.coalesced);
}

HIPC_TEST(doorbell_burst_ipcc)
{
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_IPCC,
				       .chans = NVQ, .chan = &chan_ops };
	struct hipc_mbox tx, rx;

	memset(&db_chan, 0, sizeof(db_chan));
	CHECK_EQ(hipc_mbox_init_profile(&tx, &p, &db_chan), 0);
	CHECK_EQ(hipc_mbox_init_profile(&rx, &p, &db_chan), 0);
	doorbell_burst(&tx, &rx, chan_armed, 5);
	CHECK_EQ(db_chan.occupied, 0);
}

HIPC_TEST(doorbell_burst_mhu)
{
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_MHU,
				       .chans = 1, .chan = &chan_ops };
	struct hipc_mbox tx, rx;

	memset(&db_chan, 0, sizeof(db_chan));
	db_chan.mhu = true;
	CHECK_EQ(hipc_mbox_init_profile(&tx, &p, &db_chan), 0);
	CHECK_EQ(hipc_mbox_init_profile(&rx, &p, &db_chan), 0);
	doorbell_burst(&tx, &rx, chan_armed, 5);
	CHECK_EQ(db_chan.word[0], 0);
}

/* ---- channel details ------------------------------------------------------ */

HIPC_TEST(ipcc_occupied_channel_waits_until_cleared)
{
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_IPCC,
				       .chans = 6, .chan = &chan_ops };
	struct hipc_mbox tx, rx;
	uint32_t m;

	memset(&db_chan, 0, sizeof(db_chan));
	CHECK_EQ(hipc_mbox_init_profile(&tx, &p, &db_chan), 0);
	CHECK_EQ(hipc_mbox_init_profile(&rx, &p, &db_chan), 0);
	CHECK_EQ(hipc_mbox_send(&tx, 6), -HIPC_EINVAL);
	CHECK_EQ(hipc_mbox_send(&tx, 2), 0);
	CHECK_EQ(hipc_mbox_send(&tx, 2), 0); /* occupied: waits */
	CHECK_EQ(hipc_mbox_send(&tx, 2), 0); /* merged with the waiting one */
	CHECK_EQ(tx.sent, 1);
	CHECK_EQ(tx.busy, 1);
	CHECK_EQ(tx.queued, 1);
	CHECK_EQ(tx.coalesced, 1);
	CHECK_EQ(db_chan.free_armed, 1u << 2);
	CHECK_EQ(hipc_mbox_tx_ready(&tx), 1); /* still occupied */
	CHECK_EQ(hipc_mbox_recv(&rx, &m), 0);  /* the receiver clears it */
	CHECK_EQ(m, 2);
	CHECK_EQ(hipc_mbox_tx_ready(&tx), 0); /* "channel free" */
	CHECK_EQ(db_chan.free_armed, 0);
	CHECK_EQ(tx.sent, 2);
	CHECK_EQ(hipc_mbox_recv(&rx, &m), 0);
	CHECK_EQ(m, 2);
	CHECK_EQ(hipc_mbox_recv(&rx, &m), -HIPC_EAGAIN);
}

HIPC_TEST(ipcc_receiver_takes_channels_in_turn)
{
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_IPCC,
				       .chans = 4, .chan = &chan_ops };
	struct hipc_mbox tx, rx;
	uint32_t m;

	memset(&db_chan, 0, sizeof(db_chan));
	CHECK_EQ(hipc_mbox_init_profile(&tx, &p, &db_chan), 0);
	CHECK_EQ(hipc_mbox_init_profile(&rx, &p, &db_chan), 0);
	/* channel 1 rung again as soon as it is read: 2 and 3 still come */
	CHECK_EQ(hipc_mbox_send(&tx, 1), 0);
	CHECK_EQ(hipc_mbox_send(&tx, 2), 0);
	CHECK_EQ(hipc_mbox_send(&tx, 3), 0);
	CHECK_EQ(hipc_mbox_recv(&rx, &m), 0);
	CHECK_EQ(m, 1);
	CHECK_EQ(hipc_mbox_send(&tx, 1), 0);
	CHECK_EQ(hipc_mbox_recv(&rx, &m), 0);
	CHECK_EQ(m, 2);
	CHECK_EQ(hipc_mbox_recv(&rx, &m), 0);
	CHECK_EQ(m, 3);
	CHECK_EQ(hipc_mbox_recv(&rx, &m), 0);
	CHECK_EQ(m, 1);
}

HIPC_TEST(mhu_flags_merge_and_map_to_channels)
{
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_MHU,
				       .chans = 2, .chan = &chan_ops };
	struct hipc_mbox tx, rx;
	uint32_t vrings, other, m;

	memset(&db_chan, 0, sizeof(db_chan));
	db_chan.mhu = true;
	CHECK_EQ(hipc_mbox_init_profile(&tx, &p, &db_chan), 0);
	CHECK_EQ(hipc_mbox_init_profile(&rx, &p, &db_chan), 0);
	CHECK_EQ(hipc_mbox_send(&tx, 64), -HIPC_EINVAL);
	CHECK_EQ(hipc_mbox_notify(&tx, 32), -HIPC_EINVAL);
	CHECK_EQ(hipc_mbox_notify(&tx, 0), 0);
	CHECK_EQ(hipc_mbox_notify(&tx, 5), 0);
	CHECK_EQ(hipc_mbox_notify(&tx, 31), 0);
	CHECK_EQ(db_chan.word[0], (1u << 0) | (1u << 5) | (1u << 31));
	CHECK_EQ(hipc_mbox_notify(&tx, 5), 0); /* still set: waits */
	CHECK_EQ(tx.q[0], 1u << 5);
	CHECK_EQ(hipc_mbox_send(&tx, 32 + 7), 0); /* channel 1, bit 7 */
	CHECK_EQ(db_chan.word[1], 1u << 7);
	CHECK_EQ(tx.sent, 4);
	CHECK_EQ(tx.busy, 1);
	/* one read-and-clear of channel 0 (the receiver starts after the
	 * channel it read last, 0, so at channel 1) */
	CHECK_EQ(hipc_mbox_arrived(&rx, &vrings, &other), 1);
	CHECK_EQ(vrings, 0);
	CHECK_EQ(other, 32 + 7);
	CHECK_EQ(hipc_mbox_arrived(&rx, &vrings, &other), 3);
	CHECK_EQ(vrings, (1u << 0) | (1u << 5) | (1u << 31));
	CHECK_EQ(other, 0);
	CHECK_EQ(db_chan.word[0], 0);
	/* the transfer acknowledge: the waiting flag goes out */
	CHECK_EQ(db_chan.free_armed, 1u << 0);
	CHECK_EQ(hipc_mbox_tx_ready(&tx), 0);
	CHECK_EQ(db_chan.free_armed, 0);
	CHECK_EQ(hipc_mbox_recv(&rx, &m), 0);
	CHECK_EQ(m, 5);
	CHECK_EQ(hipc_mbox_recv(&rx, &m), -HIPC_EAGAIN);
	CHECK_EQ(rx.received, tx.sent);
}

HIPC_TEST(fifo_arrived_maps_notifyids_and_stops_at_control)
{
	struct fifo_hw f = { .depth = 4, .width = 32 };
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_FIFO,
				       .depth = 4, .fifo = &fifo_ops };
	struct hipc_mbox tx, rx;
	uint32_t vrings, other;

	CHECK_EQ(hipc_mbox_init_profile(&tx, &p, &f), 0);
	CHECK_EQ(hipc_mbox_init_profile(&rx, &p, &f), 0);
	CHECK_EQ(hipc_mbox_notify(&tx, 1), 0);
	CHECK_EQ(hipc_mbox_send(&tx, HIPC_MBOX_CRASH), 0);
	CHECK_EQ(hipc_mbox_notify(&tx, 0), 0);
	CHECK_EQ(hipc_mbox_arrived(&rx, &vrings, &other), 2);
	CHECK_EQ(vrings, 1u << 1);
	CHECK_EQ(other, HIPC_MBOX_CRASH);
	CHECK_EQ(hipc_mbox_arrived(&rx, &vrings, &other), 1);
	CHECK_EQ(vrings, 1u << 0);
	CHECK_EQ(other, 0);
	CHECK_EQ(hipc_mbox_arrived(&rx, &vrings, &other), 0);
}

HIPC_TEST_MAIN(HIPC_CASE(init_checks_profiles),
	       HIPC_CASE(fifo_width_refuses_what_does_not_fit),
	       HIPC_CASE(fifo_swq_len_bounds_the_software_queue),
	       HIPC_CASE(fifo_burst_ti_4x32_in_order),
	       HIPC_CASE(fifo_burst_8x16_small_queue_in_order),
	       HIPC_CASE(fifo_default_profile_is_hipc_mbox_init),
	       HIPC_CASE(doorbell_burst_fifo),
	       HIPC_CASE(doorbell_burst_ipcc),
	       HIPC_CASE(doorbell_burst_mhu),
	       HIPC_CASE(ipcc_occupied_channel_waits_until_cleared),
	       HIPC_CASE(ipcc_receiver_takes_channels_in_turn),
	       HIPC_CASE(mhu_flags_merge_and_map_to_channels),
	       HIPC_CASE(fifo_arrived_maps_notifyids_and_stops_at_control))
