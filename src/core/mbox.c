/* SPDX-License-Identifier: BSD-3-Clause */
#include "hipc/mbox.h"

#include "hipc_internal.h"

int hipc_mbox_init_profile(struct hipc_mbox *mb,
			   const struct hipc_mbox_profile *p, void *hw)
{
	if (!mb || !p)
		return -HIPC_EINVAL;
	switch (p->kind) {
	case HIPC_MBOX_KIND_FIFO:
		if (!p->fifo || !p->fifo->put || !p->fifo->get ||
		    p->width > 32u || p->swq_len > HIPC_MBOX_SWQ_LEN ||
		    p->chans)
			return -HIPC_EINVAL;
		break;
	case HIPC_MBOX_KIND_IPCC:
	case HIPC_MBOX_KIND_MHU:
		if (!p->chan || !p->chan->put || !p->chan->take ||
		    p->chans == 0 || p->depth || p->width || p->swq_len ||
		    p->chans > (p->kind == HIPC_MBOX_KIND_IPCC ?
				HIPC_MBOX_IPCC_CHANS : HIPC_MBOX_MHU_CHANS))
			return -HIPC_EINVAL;
		break;
	default:
		return -HIPC_EINVAL;
	}
	memset(mb, 0, sizeof(*mb));
	if (p->kind == HIPC_MBOX_KIND_FIFO)
		mb->ops = p->fifo;
	else
		mb->chan_ops = p->chan;
	mb->hw = hw;
	mb->kind = p->kind;
	mb->depth = p->depth;
	mb->width = p->width;
	mb->n = p->kind == HIPC_MBOX_KIND_FIFO ? p->swq_len : p->chans;
	return 0;
}

int hipc_mbox_init(struct hipc_mbox *mb, const struct hipc_mbox_hw_ops *ops,
		   void *hw)
{
	struct hipc_mbox_profile p = { .kind = HIPC_MBOX_KIND_FIFO,
				       .fifo = ops };

	return hipc_mbox_init_profile(mb, &p, hw);
}

/* ---- FIFO ------------------------------------------------------------ */

static void want_not_full(struct hipc_mbox *mb, bool on)
{
	if (mb->ops->want_not_full)
		mb->ops->want_not_full(mb->hw, on);
}

static unsigned swq_len(const struct hipc_mbox *mb)
{
	return mb->n ? mb->n : HIPC_MBOX_SWQ_LEN;
}

/*
 * The i-th waiting message, i < q_count.  FIFO: a ring from q_head.
 * Otherwise the waiting messages are a set in q[0, q_count) and the
 * newest goes out first (no head to keep).
 */
#define QIDX(mb, i)                                                          \
	(HIPC_CFG_MBOX_FIFO ? ((mb)->q_head + (i)) % swq_len(mb) : (i))
#define NEXT(mb)                                                             \
	((mb)->q[HIPC_CFG_MBOX_FIFO ? (mb)->q_head : (mb)->q_count - 1u])

static unsigned fifo_tx_ready(struct hipc_mbox *mb)
{
	while (mb->q_count) {
		if (mb->ops->put(mb->hw, NEXT(mb)) != 0)
			return mb->q_count;
		mb->sent++;
		if (HIPC_CFG_MBOX_FIFO)
			mb->q_head = (uint8_t)((mb->q_head + 1u) %
					       swq_len(mb));
		mb->q_count--;
	}
	want_not_full(mb, false);
	return 0;
}

static int fifo_send(struct hipc_mbox *mb, uint32_t msg)
{
	unsigned i, n;

	/* A narrower FIFO would truncate: refuse instead. */
	if (mb->width && mb->width < 32u && (msg >> mb->width) != 0)
		return -HIPC_EMSGSIZE;
	/* Anything already waiting must go first, or messages reorder. */
	if ((mb->q_count == 0 || fifo_tx_ready(mb) == 0) &&
	    mb->ops->put(mb->hw, msg) == 0) {
		mb->sent++;
		return 0;
	}
	mb->busy++;
	/* A doorbell means "look at this vring": one waiting copy is enough.
	 * Control messages are events in their own right and are kept. */
	n = mb->q_count;
	for (i = 0; i < n && !hipc_mbox_is_ctrl(msg); i++) {
		if (mb->q[QIDX(mb, i)] == msg) {
			mb->coalesced++;
			return 0;
		}
	}
	if (n == swq_len(mb))
		return -HIPC_ENOSPC;
	mb->q[QIDX(mb, n)] = msg;
	mb->q_count = (uint8_t)(n + 1u);
	mb->queued++;
	want_not_full(mb, true);
	/* The FIFO may have drained between the failed put and arming the
	 * event; retry once so a queued message is never stranded. */
	fifo_tx_ready(mb);
	return 0;
}

/* ---- channels (IPCC, MHU) -------------------------------------------- */

/*
 * Message m is channel m (IPCC) or channel m / 32, bit m % 32 (MHU).  What
 * waits is a bit in a word of q[]: IPCC's in q[0] (one bit per channel),
 * MHU's in q[ch] (the channel's own word), so the wait needs no more
 * storage than the FIFO's queue and merging is a bit test.
 */
static bool is_mhu(const struct hipc_mbox *mb)
{
	return mb->kind == HIPC_MBOX_KIND_MHU;
}

static unsigned bits_in(uint32_t w)
{
	unsigned n = 0;

	/* Not __builtin_popcount: on a Cortex-M it calls libgcc. */
	for (; w; w &= w - 1u)
		n++;
	return n;
}

static void want_free(struct hipc_mbox *mb, unsigned ch, bool on)
{
	if (mb->chan_ops->want_free)
		mb->chan_ops->want_free(mb->hw, ch, on);
}

/* Offer channel @ch's waiting bits @w to the hardware; true if taken. */
static bool chan_put(struct hipc_mbox *mb, unsigned ch, uint32_t w)
{
	if (mb->chan_ops->put(mb->hw, ch, is_mhu(mb) ? w : 1u) != 0)
		return false;
	mb->sent += is_mhu(mb) ? bits_in(w) : 1u;
	return true;
}

static unsigned chan_tx_ready(struct hipc_mbox *mb)
{
	unsigned ch, left = 0;

	for (ch = 0; ch < mb->n; ch++) {
		uint32_t *w = &mb->q[is_mhu(mb) ? ch : 0u];
		uint32_t m = is_mhu(mb) ? *w : *w & (1u << ch);

		if (!m)
			continue;
		if (!chan_put(mb, ch, m)) {
			left += bits_in(m);
			continue;
		}
		*w &= ~m;
		want_free(mb, ch, false);
	}
	return left;
}

static int chan_send(struct hipc_mbox *mb, uint32_t msg)
{
	unsigned ch;
	uint32_t bit, *w;

	if (msg >= mb->n * (is_mhu(mb) ? 32u : 1u))
		return -HIPC_EINVAL;
	ch = is_mhu(mb) ? msg / 32u : msg;
	bit = 1u << (is_mhu(mb) ? msg % 32u : msg);
	w = &mb->q[is_mhu(mb) ? ch : 0u];
	/* Already waiting: it goes out when the channel frees, and the
	 * receiver looks after that; one pending bit covers both rings. */
	if (*w & bit) {
		mb->coalesced++;
		return 0;
	}
	if (chan_put(mb, ch, bit))
		return 0;
	mb->busy++;
	mb->queued++;
	*w |= bit;
	want_free(mb, ch, true);
	/* The channel may have freed between the refusal and arming its
	 * event; retry once so a pending bit is never stranded. */
	chan_tx_ready(mb);
	return 0;
}

static int chan_recv(struct hipc_mbox *mb, uint32_t *msg)
{
	unsigned i, ch = mb->q_head;
	/* MHU: q[chans] (chans < HIPC_MBOX_SWQ_LEN); IPCC keeps no stash. */
	uint32_t *stash = &mb->q[is_mhu(mb) ? mb->n : 0u];

	if (!is_mhu(mb) || *stash == 0) {
		/* The channel after the last one read first, so a peer
		 * ringing one channel cannot starve the others. */
		for (i = 0; i < mb->n; i++) {
			uint32_t w;

			ch = (mb->q_head + 1u + i) % mb->n;
			w = mb->chan_ops->take(mb->hw, ch);
			if (!w)
				continue;
			mb->q_head = (uint8_t)ch;
			if (!is_mhu(mb)) {
				*msg = ch;
				mb->received++;
				return 0;
			}
			*stash = w;
			break;
		}
		if (!is_mhu(mb) || *stash == 0)
			return -HIPC_EAGAIN;
	}
	for (i = 0; !(*stash & (1u << i)); i++)
		;
	*stash &= *stash - 1u;
	*msg = ch * 32u + i;
	mb->received++;
	return 0;
}

/* ---- the kind-independent calls --------------------------------------- */

unsigned hipc_mbox_tx_ready(struct hipc_mbox *mb)
{
	return mb->kind == HIPC_MBOX_KIND_FIFO ? fifo_tx_ready(mb)
					       : chan_tx_ready(mb);
}

int hipc_mbox_send(struct hipc_mbox *mb, uint32_t msg)
{
	return mb->kind == HIPC_MBOX_KIND_FIFO ? fifo_send(mb, msg)
					       : chan_send(mb, msg);
}

int hipc_mbox_recv(struct hipc_mbox *mb, uint32_t *msg)
{
	int ret;

	if (mb->kind != HIPC_MBOX_KIND_FIFO)
		return chan_recv(mb, msg);
	ret = mb->ops->get(mb->hw, msg);
	if (ret == 0)
		mb->received++;
	return ret;
}

int hipc_mbox_notify(struct hipc_mbox *mb, unsigned vq)
{
	if (vq >= HIPC_MBOX_VRINGS)
		return -HIPC_EINVAL;
	return hipc_mbox_send(mb, vq);
}

int hipc_mbox_arrived(struct hipc_mbox *mb, uint32_t *vrings,
		      uint32_t *other)
{
	/* Bounded, so a peer that rings without pause cannot hold the
	 * receiver here: what is left raises the event again. */
	unsigned max = mb->kind == HIPC_MBOX_KIND_FIFO
			       ? (mb->depth ? mb->depth : HIPC_MBOX_HW_DEPTH)
			       : mb->n * (is_mhu(mb) ? 32u : 1u);
	unsigned n;
	uint32_t msg;

	*vrings = 0;
	*other = 0;
	for (n = 0; n < max && hipc_mbox_recv(mb, &msg) == 0;) {
		n++;
		if (msg >= HIPC_MBOX_VRINGS) {
			*other = msg;
			break;
		}
		*vrings |= 1u << msg;
	}
	return (int)n;
}

/*
 * Shared-memory FIFO.  head counts messages ever written, tail messages ever
 * read; both wrap at 2^32.  Each side keeps authority over its own index
 * only, and checks the other's distance before trusting it.
 */
void hipc_shm_fifo_reset(struct hipc_shm_fifo *f)
{
	hipc__st32(&f->head, 0);
	hipc__st32(&f->tail, 0);
	hipc__st32(&f->want_not_full, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void hipc_shm_fifo_open(struct hipc_shm_fifo_end *e, struct hipc_shm_fifo *f,
			bool producer)
{
	e->f = f;
	e->own = hipc__ld32_acq(producer ? &f->head : &f->tail);
}

int hipc_shm_fifo_put(struct hipc_shm_fifo_end *e, uint32_t msg)
{
	struct hipc_shm_fifo *f = e->f;
	uint32_t head = __atomic_load_n(&e->own, __ATOMIC_RELAXED);
	uint32_t tail = hipc__ld32_acq(&f->tail);
	uint32_t used = head - tail;

	if (used > HIPC_MBOX_HW_DEPTH)
		return -HIPC_EIO;
	if (used == HIPC_MBOX_HW_DEPTH)
		return -HIPC_EBUSY;
	hipc__st32(&f->slot[head % HIPC_MBOX_HW_DEPTH], msg);
	__atomic_store_n(&e->own, head + 1u, __ATOMIC_RELAXED);
	/* Release: the slot is written before the index that publishes it. */
	hipc__st32_rel(&f->head, head + 1u);
	return 0;
}

int hipc_shm_fifo_get(struct hipc_shm_fifo_end *e, uint32_t *msg)
{
	struct hipc_shm_fifo *f = e->f;
	uint32_t tail = __atomic_load_n(&e->own, __ATOMIC_RELAXED);
	uint32_t head = hipc__ld32_acq(&f->head);
	uint32_t used = head - tail;

	if (used > HIPC_MBOX_HW_DEPTH)
		return -HIPC_EIO;
	if (used == 0)
		return -HIPC_EAGAIN;
	*msg = hipc__ld32(&f->slot[tail % HIPC_MBOX_HW_DEPTH]);
	__atomic_store_n(&e->own, tail + 1u, __ATOMIC_RELAXED);
	/* Release: we are done reading the slot before the producer may
	 * overwrite it. */
	hipc__st32_rel(&f->tail, tail + 1u);
	return 0;
}

unsigned hipc_shm_fifo_count(const struct hipc_shm_fifo_end *e)
{
	uint32_t head = hipc__ld32_acq(&e->f->head);
	/* Relaxed: the end's owner serialises put/get, but a waiter may ask
	 * "anything there?" from another thread; a stale answer costs it one
	 * more look. */
	uint32_t used = head - __atomic_load_n(&e->own, __ATOMIC_RELAXED);

	return used > HIPC_MBOX_HW_DEPTH ? 0 : used;
}
