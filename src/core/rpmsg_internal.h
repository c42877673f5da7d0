/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared between the rpmsg device (rpmsg.c) and the name service (ns.c):
 * endpoint flags, the endpoint table, the device's lock and state flags.
 */
#ifndef HIPC_RPMSG_INTERNAL_H
#define HIPC_RPMSG_INTERNAL_H

#include "hipc/rpmsg.h"

#include "hipc_internal.h"

enum {
	EPT_ANNOUNCE = 1u << 0,   /* should be announced (device role) */
	EPT_ANNOUNCED = 1u << 1,  /* the peer has been told */
	EPT_UNBOUND = 1u << 2,    /* unbind callback already ran */
	EPT_CRC = 1u << 3,        /* sends carry a CRC32C (HIPC_RPMSG_F_CRC) */
};

#define NS_MSG_SIZE 40u

/* Traffic counters, compiled out with HIPC_CFG_STATS=0. */
#define STAT_ADD(dev, field, n)                                              \
	do {                                                                 \
		if (HIPC_CFG_STATS)                                          \
			(dev)->stats.field += (n);                           \
	} while (0)

static inline bool is_driver(const struct hipc_rpmsg_dev *dev)
{
	if (!HIPC_CFG_DEVICE)
		return true;
	if (!HIPC_CFG_DRIVER)
		return false;
	return dev->cfg.role == HIPC_RPMSG_DRIVER;
}

static inline bool dev_has_crc(const struct hipc_rpmsg_dev *dev)
{
	return HIPC_CFG_CRC && (dev->cfg.features & (1u << HIPC_RPMSG_F_CRC));
}

static inline bool dev_has_ns(const struct hipc_rpmsg_dev *dev)
{
	return dev->cfg.features & (1u << HIPC_RPMSG_F_NS);
}

static inline void dev_lock(const struct hipc_rpmsg_dev *dev)
{
	hipc__lock(dev->cfg.port);
}

static inline void dev_unlock(const struct hipc_rpmsg_dev *dev)
{
	hipc__unlock(dev->cfg.port);
}

/*
 * Local flags read outside the lock are accessed atomically (byte atomics
 * are lock-free on every target, Cortex-M included) but need no ordering:
 * they publish nothing by themselves (whoever acts on "ready" or "broken"
 * takes the lock or checks the rings, which carry their own barriers), so
 * no barrier instruction is spent on them.  The load is forced inline: at
 * -Os GCC otherwise keeps it out of line, and each call then costs more
 * than the one byte load it wraps.
 */
static inline __attribute__((always_inline)) bool ld_flag(const bool *f)
{
	return __atomic_load_n(f, __ATOMIC_RELAXED);
}

static inline void st_flag(bool *f, bool v)
{
	__atomic_store_n(f, v, __ATOMIC_RELAXED);
}

/* Counted from several threads outside the lock, unless the core is
 * built lock-free for a single context. */
static inline void count_proto_error(struct hipc_rpmsg_dev *dev)
{
	if (HIPC_CFG_LOCK)
		__atomic_fetch_add(&dev->proto_errors, 1u,
				   __ATOMIC_RELAXED);
	else
		dev->proto_errors++;
}

static inline bool ept_pending(const struct hipc_rpmsg_ept *e)
{
	return (e->flags & (EPT_ANNOUNCE | EPT_ANNOUNCED)) == EPT_ANNOUNCE;
}

/* FNV-1a over a name up to its NUL (at most HIPC_RPMSG_NAME_SIZE bytes). */
static inline uint32_t hash_name(const char *name)
{
	uint32_t h = 2166136261u;

	for (unsigned i = 0; i < HIPC_RPMSG_NAME_SIZE && name[i]; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h;
}

/* The chain of @name in dev->names (which must be there). */
static inline struct hipc_rpmsg_ept **name_bucket(struct hipc_rpmsg_dev *dev,
						  const char *name)
{
	return &dev->names[hash_name(name) & (dev->cfg.nbuckets - 1u)];
}

/*
 * The first endpoint other than the name service's that @match accepts
 * (NULL @match: any), or NULL.  O(buckets + endpoints).  Caller holds the
 * lock.
 */
typedef bool (*hipc__ept_match)(const struct hipc_rpmsg_ept *e,
				const void *arg);
struct hipc_rpmsg_ept *hipc__rpmsg_find_locked(struct hipc_rpmsg_dev *dev,
					       hipc__ept_match match,
					       const void *arg);

/*
 * The name-service message (struct hipc_rpmsg_ns_msg, little-endian) for
 * @ept, built where it goes: @msg is a tx buffer's payload, whose first
 * HIPC_RPMSG_NAME_SIZE bytes the caller has already filled with ept->name
 * (NUL-padded to its full size by ept_create).  The address and flags
 * follow: ept->ns_flags, HIPC_RPMSG_NS_CREATE until a destroy sets it.
 */
static inline __attribute__((always_inline)) void
ns_fill_tail(uint8_t *msg, const struct hipc_rpmsg_ept *ept)
{
	hipc_put_le32(msg + offsetof(struct hipc_rpmsg_ns_msg, addr), ept->addr);
	hipc_put_le32(msg + offsetof(struct hipc_rpmsg_ns_msg, flags),
		    ept->ns_flags);
}

/*
 * Is this hipc_rpmsg_send_ex() ns_send()'s, in a build without the lock?
 * There the endpoint's own name as the data of a 40-byte message stands
 * for its NS message, which the send completes in the tx buffer
 * (ns_fill_tail()).  No other caller can mean it: it would be reading 40
 * bytes from a 32-byte array.
 */
static inline bool ns_msg_send(const struct hipc_rpmsg_ept *ept,
			       const void *data, size_t len)
{
	return !HIPC_CFG_LOCK && data == ept->name && len == NS_MSG_SIZE;
}

/*
 * Send @ept's name-service message, built in the tx buffer, from
 * @ept->addr to 53, never waiting, built and published entirely under the
 * device lock, which the caller holds: nothing of @ept is read once the lock
 * is dropped, so a concurrent destroy cannot pull it away mid-send, and the
 * caller marks what was sent under the same lock (two threads cannot both
 * announce one endpoint).  The caller rings the doorbell after unlocking
 * (hipc__notify_tx()).
 * Return: 0, -HIPC_ENOTCONN (device not started), -HIPC_EAGAIN (no tx
 * buffer now, or a broken ring), or a publishing error.
 */
int hipc__ns_send_locked(struct hipc_rpmsg_ept *ept);

/* Ring the tx doorbell if the peer asked for one.  Lock not held. */
void hipc__notify_tx(struct hipc_rpmsg_dev *dev);

/*
 * hipc__ns_send_locked() where the caller holds the lock, then the doorbell
 * once the caller unlocks: ns_send() sends, ns_sent() rings.  A build
 * without the lock is one context, where nothing runs between our steps:
 * there the ordinary send (which rings by itself) gives the same
 * guarantees, and a minimal image carries one send path instead of two:
 * given the endpoint's name as data, it builds the rest of the message
 * (ns_msg_send()).  Forced inline: the minimal image's one caller.
 */
static inline __attribute__((always_inline)) int
ns_send(struct hipc_rpmsg_ept *ept)
{
	int ret;

	if (HIPC_CFG_LOCK)
		return hipc__ns_send_locked(ept);
	ret = hipc_rpmsg_send_ex(ept, ept->addr, HIPC_RPMSG_NS_ADDR, ept->name,
				 NS_MSG_SIZE, HIPC_RPMSG_NO_WAIT);
	return ret < 0 ? ret : 0;
}

static inline void ns_sent(struct hipc_rpmsg_dev *dev, bool sent)
{
	if (HIPC_CFG_LOCK && sent)
		hipc__notify_tx(dev);
}

/*
 * A callback of @ept (receive or unbind) starts / ended.  Caller holds the
 * lock.  cb_leave_locked() says whether a destroyer waits to be woken
 * (hipc__wake() after unlocking).  Single-context builds track nothing.
 */
static inline void cb_enter_locked(struct hipc_rpmsg_dev *dev,
				   struct hipc_rpmsg_ept *ept)
{
	if (HIPC_CFG_LOCK)
		dev->cb_ept = ept;
}

static inline bool cb_leave_locked(struct hipc_rpmsg_dev *dev)
{
	if (!HIPC_CFG_LOCK)
		return false;
	dev->cb_ept = NULL;
	return dev->cb_waiters != 0;
}

/* Name service (ns.c). */
/*
 * @ept out of the queue of endpoints waiting to be announced
 * (HIPC_CFG_MANY_EPTS): a walk over that queue, which is short but for
 * endpoints created before the start and destroyed before it.  Caller
 * holds the lock.
 */
void hipc__pend_remove_locked(struct hipc_rpmsg_dev *dev,
			      struct hipc_rpmsg_ept *ept);

/* Announce every endpoint that waits to be. */
void hipc__ns_announce_pending(struct hipc_rpmsg_dev *dev);
int hipc__ns_rx(struct hipc_rpmsg_ept *ns, void *data, size_t len,
		uint32_t src, void *priv);

#endif
