/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Name service (address 53), as Linux's virtio_rpmsg_bus speaks it: a
 * 40-byte message {name[32], addr, flags} announcing (flags 0) or
 * withdrawing (flags 1) a service.  The device role announces every named
 * endpoint; either role may listen (HIPC_CFG_NS_RX).
 *
 * Trust: an incoming message is checked for its exact size, its name is
 * terminated by us, its flags and address must make sense; anything else is
 * counted as a protocol error and dropped, as Linux drops it.
 */
#include "rpmsg_internal.h"

/*
 * The next endpoint marked for announcement and not announced yet, or NULL.
 * The name service's own endpoint never carries EPT_ANNOUNCE.  Caller
 * holds the lock.
 *
 * HIPC_CFG_MANY_EPTS: the first of the device's queue of them, in the
 * order they were created, so announcing an endpoint (or a table's worth,
 * created before the start) walks nothing.  Otherwise a walk over the
 * table: the least code, for the handful of endpoints such a build has.
 */
static inline __attribute__((always_inline)) struct hipc_rpmsg_ept *
next_to_announce(struct hipc_rpmsg_dev *dev)
{
	if (HIPC_CFG_MANY_EPTS)
		return dev->pend_head;
	for (unsigned b = 0; b < dev->cfg.nbuckets; b++)
		for (struct hipc_rpmsg_ept *e = dev->cfg.buckets[b]; e;
		     e = e->hnext)
			if (ept_pending(e))
				return e;
	return NULL;
}

/* @e, the first of the queue, is announced: out of it. */
static inline void announced(struct hipc_rpmsg_dev *dev,
			     struct hipc_rpmsg_ept *e)
{
	e->flags |= EPT_ANNOUNCED;
	if (!HIPC_CFG_MANY_EPTS)
		return;
	dev->pend_head = e->pnext;
	if (!dev->pend_head)
		dev->pend_tail = NULL;
	e->pnext = NULL;
}

/*
 * Announce endpoints waiting for it (created before start, or when no tx
 * buffer was free), all under one hold of the lock: each is sent and marked
 * announced in the same critical section, so two threads never announce
 * one endpoint and a destroy never meets one half-announced.  One doorbell
 * for the batch.
 */
void hipc__ns_announce_pending(struct hipc_rpmsg_dev *dev)
{
	struct hipc_rpmsg_ept *e;
	bool sent = false;

	/* Without the NS feature no endpoint is marked for announcement, so
	 * the walk below finds nothing: no separate check. */
	if (!ld_flag(&dev->ready))
		return;
	st_flag(&dev->announce_pending, false);
	dev_lock(dev);
	while ((e = next_to_announce(dev))) {
		if (ns_send(e)) {
			/* No buffer now: the next poll tries again. */
			st_flag(&dev->announce_pending, true);
			break;
		}
		announced(dev, e);
		sent = true;
	}
	dev_unlock(dev);
	ns_sent(dev, sent);
}

int hipc_rpmsg_ept_announce(struct hipc_rpmsg_ept *ept)
{
	struct hipc_rpmsg_dev *dev;
	int ret;

	if (!ept || !ept->dev || !ept->name[0])
		return -HIPC_EINVAL;
	dev = ept->dev;
	if (!dev_has_ns(dev))
		return -HIPC_ENOTSUP;
	dev_lock(dev);
	ret = ns_send(ept);
	if (ret == 0) {
		if (HIPC_CFG_MANY_EPTS && ept_pending(ept))
			hipc__pend_remove_locked(dev, ept);
		ept->flags |= EPT_ANNOUNCE | EPT_ANNOUNCED;
	}
	dev_unlock(dev);
	ns_sent(dev, ret == 0);
	return ret;
}

#if HIPC_CFG_NS_RX
struct ns_service {
	const char *name;
	uint32_t addr;
};

/* Both NUL-terminated within HIPC_RPMSG_NAME_SIZE (ours by construction,
 * the peer's forced); bytes after the NUL are not compared. */
static bool names_equal(const char *a, const char *b)
{
	for (unsigned i = 0; i < HIPC_RPMSG_NAME_SIZE; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

static bool bound_to(const struct hipc_rpmsg_ept *e, const void *arg)
{
	const struct ns_service *s = arg;

	return e->dst == s->addr && !(e->flags & EPT_UNBOUND) &&
	       names_equal(e->name, s->name);
}

/*
 * The first channel still bound to @s, or NULL.  Through the name index
 * where the device keeps one (a channel carries its service's name): the
 * endpoints of that name only, not every endpoint.  An empty name, or a
 * table too small to have grown, takes the walk over the whole table.
 * Caller holds the lock.
 */
static struct hipc_rpmsg_ept *find_bound_locked(struct hipc_rpmsg_dev *dev,
						const struct ns_service *s)
{
	if (!HIPC_CFG_MANY_EPTS || !dev->names || !s->name[0])
		return hipc__rpmsg_find_locked(dev, bound_to, s);
	for (struct hipc_rpmsg_ept *e = *name_bucket(dev, s->name); e;
	     e = e->nnext)
		if (bound_to(e, s))
			return e;
	return NULL;
}

int hipc__ns_rx(struct hipc_rpmsg_ept *ns, void *data, size_t len,
		uint32_t src, void *priv)
{
	struct hipc_rpmsg_dev *dev = ns->dev;
	char name[HIPC_RPMSG_NAME_SIZE];
	struct ns_service svc = { name, 0 };
	struct hipc_rpmsg_ept *victim;
	uint32_t flags;

	(void)src;
	(void)priv;
	if (len != NS_MSG_SIZE)
		goto bad; /* Linux drops a malformed announcement and goes on */
	memcpy(name, data, sizeof(name));
	/* The peer need not terminate the name: we do. */
	name[HIPC_RPMSG_NAME_SIZE - 1] = '\0';
	svc.addr = hipc_get_le32((uint8_t *)data + 32);
	flags = hipc_get_le32((uint8_t *)data + 36);
	if (flags > HIPC_RPMSG_NS_DESTROY || svc.addr == HIPC_RPMSG_ADDR_ANY)
		goto bad;
	__atomic_fetch_add(&dev->stats.ns_rx, 1u, __ATOMIC_RELAXED);
	/* A destroyed service unbinds every channel bound to it. */
	while (flags == HIPC_RPMSG_NS_DESTROY) {
		bool wake;

		dev_lock(dev);
		victim = find_bound_locked(dev, &svc);
		if (victim) {
			victim->flags |= EPT_UNBOUND;
			/* A destroy from another thread now waits for the
			 * unbind callback to return. */
			cb_enter_locked(dev, victim);
		}
		dev_unlock(dev);
		if (!victim)
			break;
		if (victim->unbind)
			victim->unbind(victim);
		dev_lock(dev);
		wake = cb_leave_locked(dev);
		dev_unlock(dev);
		if (wake)
			hipc__wake(dev->cfg.port);
	}
	if (dev->cfg.ns_cb)
		dev->cfg.ns_cb(dev, name, svc.addr,
			       flags == HIPC_RPMSG_NS_DESTROY, dev->cfg.ns_priv);
	return 0;
bad:
	count_proto_error(dev);
	return 0;
}
#endif
