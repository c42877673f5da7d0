// SPDX-License-Identifier: BSD-3-Clause
/*
 * Receive queues: what a remote sent to a client that has not read it yet
 * (hipcd.h has the policy).  Everything runs on the loop's thread.
 */
#include <stdlib.h>
#include <string.h>

#include "hipcd.h"

struct hipcd_rxq_item {
	struct hipcd_rxq_item *next;
	uint32_t src;
	uint32_t len;
	const void *held;   /* the rx buffer's payload, or NULL: copied */
	unsigned char data[];
};

void hipcd_rxq_init(struct hipcd_rxq *q, struct remote *r,
		    void (*evict)(struct hipcd_rxq *q), void *owner)
{
	memset(q, 0, sizeof(*q));
	q->tail = &q->head;
	q->r = r;
	q->evict = evict;
	q->owner = owner;
	q->next_q = r->rxqs;
	r->rxqs = q;
}

void hipcd_rxq_fini(struct hipcd_rxq *q)
{
	hipcd_rxq_clear(q);
	for (struct hipcd_rxq **p = &q->r->rxqs; *p; p = &(*p)->next_q)
		if (*p == q) {
			*p = q->next_q;
			break;
		}
	q->r = NULL;
}

static size_t limit(const struct hipcd_rxq *q)
{
	return (size_t)q->r->rc.queue_kb * 1024;
}

/* What a message costs against queue_kb: its bytes and its bookkeeping,
 * so a flood of empty messages is bounded too. */
static size_t cost(size_t len)
{
	return len + sizeof(struct hipcd_rxq_item);
}

int hipcd_rxq_push(struct hipcd_rxq *q, void *data, size_t len, uint32_t src)
{
	bool hold = q->bytes + cost(len) > limit(q);
	struct hipcd_rxq_item *it;

	it = malloc(sizeof(*it) + (hold ? 0 : len));
	if (!it && !hold) {
		/* Out of memory for the copy: keep it where it is. */
		it = malloc(sizeof(*it));
		hold = true;
	}
	if (!it) {
		/* Not even the bookkeeping: the one message hipcd drops,
		 * counted and logged. */
		q->nomem_drops++;
		logf_("%s: out of memory: a message from the remote is "
		      "dropped", q->r->rc.name);
		return 0;
	}
	it->next = NULL;
	it->src = src;
	it->len = (uint32_t)len;
	it->held = hold ? data : NULL;
	if (!hold)
		memcpy(it->data, data, len);
	*q->tail = it;
	q->tail = &it->next;
	q->bytes += cost(len);
	q->msgs_in++;
	q->bytes_in += len;
	if (hold) {
		q->held++;
		q->holds++;
	}
	return hold ? HIPC_RPMSG_HOLD : 0;
}

bool hipcd_rxq_peek(struct hipcd_rxq *q, const void **data, size_t *len,
		    uint32_t *src)
{
	struct hipcd_rxq_item *it = q->head;

	if (!it)
		return false;
	*data = it->held ? it->held : it->data;
	*len = it->len;
	if (src)
		*src = it->src;
	return true;
}

/* Takes the oldest item off @q and frees it; @sent: it was delivered. */
static void drop_head(struct hipcd_rxq *q, bool sent)
{
	struct hipcd_rxq_item *it = q->head;
	struct hipc_rpmsg_dev *dev;

	q->head = it->next;
	if (!q->head)
		q->tail = &q->head;
	q->bytes -= cost(it->len);
	if (sent) {
		q->msgs_out++;
		q->bytes_out += it->len;
	}
	if (it->held) {
		q->held--;
		dev = hipc_rproc_rpmsg(q->r->rp);
		if (dev)
			hipc_rpmsg_release_rx(dev, (void *)it->held);
	}
	free(it);
}

void hipcd_rxq_pop(struct hipcd_rxq *q)
{
	if (q->head)
		drop_head(q, true);
}

void hipcd_rxq_clear(struct hipcd_rxq *q)
{
	while (q->head)
		drop_head(q, false);
}

int hipcd_rxq_unhold(struct hipcd_rxq *q, struct hipc_rpmsg_dev *give_back)
{
	int ret = 0;

	for (struct hipcd_rxq_item **p = &q->head; *p;) {
		struct hipcd_rxq_item *it = *p, *copy;

		if (!it->held) {
			p = &it->next;
			continue;
		}
		copy = malloc(sizeof(*copy) + it->len);
		q->held--;
		if (copy) {
			*copy = *it;
			copy->held = NULL;
			memcpy(copy->data, it->held, it->len);
		}
		if (give_back)
			hipc_rpmsg_release_rx(give_back, (void *)it->held);
		if (!copy) {
			*p = it->next;
			q->bytes -= cost(it->len);
			free(it);
			q->nomem_drops++;
			ret = -HIPC_ENOMEM;
			logf_("%s: out of memory: a message from the remote "
			      "is lost", q->r->rc.name);
			continue;
		}
		*p = copy;
		free(it);
		p = &copy->next;
	}
	q->tail = &q->head;
	while (*q->tail)
		q->tail = &(*q->tail)->next;
	return ret;
}

/* --- stalls ------------------------------------------------------------------- */

/* Rx buffers the remote has for sending, as the ring says; -1: unknown. */
static int free_rx_buffers(struct remote *r, unsigned held)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(r->rp);
	struct hipc_vring_info vi;

	if (!dev || hipc_rpmsg_ring_info(dev, 0, &vi) < 0)
		return -1;
	return (int)vi.num - (int)held;
}

/* For one remote: the next deadline, 0 for none. */
static uint64_t tick_remote(struct remote *r, uint64_t now)
{
	uint64_t stall = (uint64_t)r->rc.stall_ms * 1000000u, next = 0;
	struct hipcd_rxq *victim = NULL;
	unsigned held = 0;
	int left;

	for (struct hipcd_rxq *q = r->rxqs; q; q = q->next_q) {
		held += q->held;
		/* A client that read something since the last look is slow,
		 * not stalled: its clock starts again. */
		if (!q->held || q->msgs_out != q->seen_out) {
			q->seen_out = q->msgs_out;
			q->still_since = now;
		}
	}
	left = held ? free_rx_buffers(r, held) : -1;
	/* The remote starves: held buffers leave it (almost) nothing to send
	 * with, to anyone.  A few are kept in reserve for replies. */
	if (!held || left < 0 || left > 4 || !r->rc.stall_ms)
		return 0;
	for (struct hipcd_rxq *q = r->rxqs; q; q = q->next_q) {
		if (!q->held)
			continue;
		if (now - q->still_since < stall) {
			if (!next || q->still_since + stall < next)
				next = q->still_since + stall;
		} else if (!victim || q->held > victim->held) {
			victim = q;
		}
	}
	if (!victim)
		return next;
	logf_("%s: a client has read nothing for %u ms while the remote "
	      "starves for the buffers it holds (%u held, %d free): "
	      "disconnecting it", r->rc.name, r->rc.stall_ms, victim->held,
	      left);
	victim->evictions++;
	hipcd_rxq_clear(victim);
	if (victim->evict)
		victim->evict(victim);
	return now + 1; /* look again at once: another may hold the rest */
}

uint64_t iface_tick(uint64_t now)
{
	uint64_t next = 0;

	for (unsigned i = 0; i < MAX_REMOTES; i++) {
		uint64_t t;

		if (!remotes[i].used)
			continue;
		t = tick_remote(&remotes[i], now);
		if (t && (!next || t < next))
			next = t;
	}
	return next;
}
