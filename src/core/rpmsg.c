/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RPMsg devices in both roles and their endpoints; the name service is in
 * ns.c.
 *
 * Which ring does what:
 *              vring 0 (remote -> Linux)      vring 1 (Linux -> remote)
 *   driver     rx: used ring brings messages  tx: avail ring carries them
 *   device     tx: avail ring lends buffers   rx: avail ring brings messages
 *
 * Trust: a message's header is read once into locals; its length must fit
 * the buffer the ring layer validated; a violation marks the device broken.
 *
 * Features compiled out (hipc/config.h) fold away through constant
 * conditions rather than #if blocks where that is as small, so every path
 * is still compiled (and type-checked) in every configuration.
 */
#include "hipc/bufpool.h" /* hipc_crc32c() */
#include "rpmsg_internal.h"
#include "vring_internal.h"

enum { BUF_IDLE = 0, BUF_POSTED = 1, BUF_HELD = 2, BUF_RESERVED = 3 };
enum { ZC_FREE = 0, ZC_CLAIMED = 1, ZC_RESERVED = 2, ZC_SPARE = 3 };

#define HDR_SRC 0
#define HDR_DST 4
#define HDR_RESERVED 8
#define HDR_LEN 12
#define HDR_FLAGS 14
#define SEND_TIMEOUT_DEFAULT_MS 15000u

static inline unsigned rxq_index(const struct hipc_rpmsg_dev *dev)
{
	return is_driver(dev) ? 0u : 1u;
}

static inline struct hipc_vring *rxq(struct hipc_rpmsg_dev *dev)
{
	return &dev->vr[rxq_index(dev)];
}

static inline struct hipc_vring *txq(struct hipc_rpmsg_dev *dev)
{
	return &dev->vr[rxq_index(dev) ^ 1u];
}

static void dev_fail(struct hipc_rpmsg_dev *dev)
{
	st_flag(&dev->broken, true);
	count_proto_error(dev);
}

static bool dev_check_broken(struct hipc_rpmsg_dev *dev)
{
	if (!ld_flag(&dev->broken)) {
		/* Both rings read, one branch. */
		if (!(hipc_vring_broken(&dev->vr[0]) |
		      hipc_vring_broken(&dev->vr[1])))
			return false;
		dev_fail(dev);
	}
	return true;
}

static int ring_doorbell(struct hipc_rpmsg_dev *dev, unsigned q)
{
	const struct hipc_port *port = dev->cfg.port;

	if (HIPC_CFG_STATS) {
		dev_lock(dev);
		dev->stats.notifies++;
		dev_unlock(dev);
	}
	if (!port->ops->notify)
		return -HIPC_ENOTSUP;
	return port->ops->notify(port->ctx, dev->cfg.notifyid[q]);
}

/*
 * Ring @q's doorbell if the peer asked for one since the last time we
 * looked.  Called once per batch of published entries, not per entry: the
 * ring tracks what was published since the last check (the flag or the
 * event index is read once for all of them).
 */
static void notify_peer(struct hipc_rpmsg_dev *dev, unsigned q)
{
	bool kick;

	dev_lock(dev);
	kick = hipc_vring_need_notify(&dev->vr[q]);
	dev_unlock(dev);
	if (kick)
		ring_doorbell(dev, q);
}

void hipc__notify_tx(struct hipc_rpmsg_dev *dev)
{
	notify_peer(dev, rxq_index(dev) ^ 1u);
}

/* --- endpoint table ------------------------------------------------------ */

/*
 * Fibonacci hashing: the address times 2^32/phi, its top bits.  Every bit
 * of the address moves the result, so addresses with a common stride
 * (4096 apart, say) spread as consecutive ones do, where the low bits alone
 * would put them all in one bucket; consecutive addresses still land
 * evenly.  The shift in two steps: by 32 for a one-bucket table would be
 * undefined.
 */
static inline unsigned hash_addr(uint32_t a, unsigned nbuckets)
{
	/* The least code for the handful of endpoints of a fixed table. */
	if (!HIPC_CFG_MANY_EPTS)
		return a & (nbuckets - 1u);
	return (unsigned)(((a * 0x9E3779B9u) >> __builtin_clz(nbuckets)) >> 1);
}

static struct hipc_rpmsg_ept **bucket(struct hipc_rpmsg_dev *dev, uint32_t a)
{
	return &dev->cfg.buckets[hash_addr(a, dev->cfg.nbuckets)];
}

static struct hipc_rpmsg_ept *lookup_locked(struct hipc_rpmsg_dev *dev,
					    uint32_t addr)
{
	struct hipc_rpmsg_ept *e = *bucket(dev, addr);

	while (e && e->addr != addr)
		e = e->hnext;
	return e;
}

/* Into / out of the name index, where there is one: named endpoints
 * only (an unnamed one is no service's channel). */
static void name_link(struct hipc_rpmsg_dev *dev, struct hipc_rpmsg_ept *ept)
{
	struct hipc_rpmsg_ept **h;

	if (!HIPC_CFG_MANY_EPTS || !dev->names || !ept->name[0])
		return;
	h = name_bucket(dev, ept->name);
	ept->nnext = *h;
	if (*h)
		(*h)->npprev = &ept->nnext;
	ept->npprev = h;
	*h = ept;
}

static void name_unlink(struct hipc_rpmsg_ept *ept)
{
	if (!HIPC_CFG_MANY_EPTS || !ept->npprev)
		return;
	*ept->npprev = ept->nnext;
	if (ept->nnext)
		ept->nnext->npprev = ept->npprev;
	ept->nnext = NULL;
	ept->npprev = NULL;
}

void hipc__pend_remove_locked(struct hipc_rpmsg_dev *dev,
			      struct hipc_rpmsg_ept *ept)
{
	struct hipc_rpmsg_ept *prev = NULL, **pp = &dev->pend_head;

	while (*pp && *pp != ept) {
		prev = *pp;
		pp = &prev->pnext;
	}
	if (!*pp)
		return;
	*pp = ept->pnext;
	if (dev->pend_tail == ept)
		dev->pend_tail = prev;
	ept->pnext = NULL;
}

static void unlink_locked(struct hipc_rpmsg_dev *dev,
			  struct hipc_rpmsg_ept *ept)
{
	struct hipc_rpmsg_ept **pp = bucket(dev, ept->addr);

	while (*pp && *pp != ept)
		pp = &(*pp)->hnext;
	if (*pp) {
		*pp = ept->hnext;
		dev->nepts--;
		if (HIPC_CFG_MANY_EPTS && ept_pending(ept))
			hipc__pend_remove_locked(dev, ept);
		name_unlink(ept);
	}
	ept->hnext = NULL;
}

struct hipc_rpmsg_ept *hipc__rpmsg_find_locked(struct hipc_rpmsg_dev *dev,
					       hipc__ept_match match,
					       const void *arg)
{
	for (unsigned b = 0; b < dev->cfg.nbuckets; b++)
		for (struct hipc_rpmsg_ept *e = dev->cfg.buckets[b]; e;
		     e = e->hnext)
			if (e != &dev->ns_ept && (!match || match(e, arg)))
				return e;
	return NULL;
}

struct hipc_rpmsg_ept *hipc_rpmsg_lookup(struct hipc_rpmsg_dev *dev,
					 uint32_t addr)
{
	struct hipc_rpmsg_ept *e;

	dev_lock(dev);
	e = lookup_locked(dev, addr);
	dev_unlock(dev);
	return e;
}

/* Largest table the core grows to: 2^26 buckets (1 GiB of pointers with
 * the name index, on a 64-bit host), far past any real device; beyond it
 * chains lengthen. */
#define BUCKETS_MAX (1u << 26)

static void table_free(struct hipc_rpmsg_dev *dev,
		       struct hipc_rpmsg_ept **t, unsigned n)
{
	const struct hipc_mem_ops *mem = dev->cfg.mem;

	/* The core's own tables come with their name index after them. */
	if (t != dev->user_buckets)
		mem->free(mem->ctx, t, 2u * n * sizeof(*t));
}

/*
 * More endpoints than buckets: move them all to a table twice the size,
 * so chains stay about one long and the cost of a lookup does not grow
 * with the number of endpoints.  Each doubling rehashes every endpoint
 * once, O(1) per insert amortised.  The new table carries as many
 * buckets again for the name index (so a service's withdrawal finds its
 * channels without a walk over every endpoint).  Without memory (no
 * cfg.mem, or it failed) the table stays as it is: lookups lengthen,
 * nothing breaks.  Caller holds the lock.
 */
static void table_grow_locked(struct hipc_rpmsg_dev *dev)
{
	const struct hipc_mem_ops *mem = dev->cfg.mem;
	struct hipc_rpmsg_ept **old = dev->cfg.buckets, **nb, *e, *next;
	unsigned n = dev->cfg.nbuckets, nn = 2u * n;

	if (!mem || nn > BUCKETS_MAX)
		return;
	nb = mem->alloc(mem->ctx, 2u * nn * sizeof(*nb));
	if (!nb)
		return;
	memset(nb, 0, 2u * nn * sizeof(*nb));
	dev->cfg.buckets = nb;
	dev->cfg.nbuckets = nn;
	dev->names = nb + nn;
	for (unsigned b = 0; b < n; b++) {
		for (e = old[b]; e; e = next) {
			struct hipc_rpmsg_ept **h = &nb[hash_addr(e->addr, nn)];

			next = e->hnext;
			e->hnext = *h;
			*h = e;
			e->npprev = NULL;
			name_link(dev, e);
		}
	}
	/* The caller's array is left to the caller: cleared, so that nothing
	 * in it points at an endpoint any more. */
	if (old == dev->user_buckets)
		memset(old, 0, n * sizeof(*old));
	else
		table_free(dev, old, n);
}

/*
 * Back to the caller's array (hipc_rpmsg_dev_deinit(), once every
 * endpoint but the name service's is out): a grown table is given back.
 */
static void table_reset_locked(struct hipc_rpmsg_dev *dev)
{
	struct hipc_rpmsg_ept *ns = NULL;

	if (!HIPC_CFG_MANY_EPTS || dev->cfg.buckets == dev->user_buckets)
		return;
	for (unsigned b = 0; b < dev->cfg.nbuckets && !ns; b++)
		if (dev->cfg.buckets[b])
			ns = dev->cfg.buckets[b]; /* only 53 is left */
	table_free(dev, dev->cfg.buckets, dev->cfg.nbuckets);
	dev->cfg.buckets = dev->user_buckets;
	dev->cfg.nbuckets = dev->user_nbuckets;
	dev->names = NULL;
	memset(dev->cfg.buckets, 0,
	       dev->cfg.nbuckets * sizeof(dev->cfg.buckets[0]));
	if (ns) {
		ns->hnext = NULL;
		*bucket(dev, ns->addr) = ns;
	}
}

static int insert_locked(struct hipc_rpmsg_dev *dev,
			 struct hipc_rpmsg_ept *ept, uint32_t src)
{
	struct hipc_rpmsg_ept **b;

	if (src == HIPC_RPMSG_ADDR_ANY) {
		/* The next address after the last one given, skipping those
		 * in use: one lookup each, and the search ends within
		 * nepts + 1 tries. */
		for (uint32_t tries = 0;; tries++) {
			if (tries > dev->nepts)
				return -HIPC_ENOSPC;
			/* next_addr counts from the first address after the
			 * reserved ones (so a zeroed device starts there),
			 * and wraps before "any". */
			src = HIPC_RPMSG_RESERVED_ADDRESSES + dev->next_addr++;
			if (dev->next_addr == HIPC_RPMSG_ADDR_ANY -
						      HIPC_RPMSG_RESERVED_ADDRESSES)
				dev->next_addr = 0;
			if (!lookup_locked(dev, src))
				break;
		}
	} else if (lookup_locked(dev, src)) {
		return -HIPC_EEXIST;
	}
	if (HIPC_CFG_MANY_EPTS && dev->nepts >= dev->cfg.nbuckets)
		table_grow_locked(dev);
	ept->addr = src;
	b = bucket(dev, src);
	ept->hnext = *b;
	*b = ept;
	dev->nepts++;
	name_link(dev, ept);
	return 0;
}

/* --- buffers ------------------------------------------------------------- */

static uint8_t *drv_buf(struct hipc_rpmsg_dev *dev, unsigned idx)
{
	return (uint8_t *)dev->cfg.bufs + (size_t)idx * dev->cfg.buf_size;
}

/* Driver role: our own buffer's index from a pointer to its header; -1 if
 * it is not exactly one of ours. */
static int drv_buf_index(struct hipc_rpmsg_dev *dev, const void *p)
{
	uintptr_t base = (uintptr_t)dev->cfg.bufs;
	uintptr_t q = (uintptr_t)p;
	size_t off;

	if (q < base)
		return -1;
	off = q - base;
	if (off % dev->cfg.buf_size || off / dev->cfg.buf_size >= 2u * dev->cfg.num)
		return -1;
	return (int)(off / dev->cfg.buf_size);
}

/* Driver role: index of our tx buffer @buf in state @state, or -1. */
static int drv_tx_index(struct hipc_rpmsg_dev *dev, const void *buf,
			uint8_t state)
{
	int i = drv_buf_index(dev, buf);

	if (i < (int)dev->cfg.num || dev->buf_state[i] != state)
		return -1;
	return i;
}

static int drv_post_rx_locked(struct hipc_rpmsg_dev *dev, unsigned idx)
{
	uint8_t *b = drv_buf(dev, idx);
	uint64_t da;
	int ret;

	ret = hipc_memmap_to_da(dev->cfg.map, b, dev->cfg.buf_size, &da);
	if (ret)
		return ret;
	ret = hipc_vring_add(rxq(dev), da, dev->cfg.buf_size, true, b);
	if (ret == 0)
		dev->buf_state[idx] = BUF_POSTED;
	return ret;
}

/* Device role: the slot of @z[@n] in @state holding @buf (any buffer for
 * ZC_FREE), or NULL.  Used for tx reservations and held rx buffers. */
static struct hipc_rpmsg_zc *zc_find_in(struct hipc_rpmsg_zc *z, unsigned n,
					const uint8_t *buf, uint8_t state)
{
	for (unsigned i = 0; i < n; i++)
		if (z[i].state == state && (state == ZC_FREE || z[i].buf == buf))
			return &z[i];
	return NULL;
}

static struct hipc_rpmsg_zc *zc_find(struct hipc_rpmsg_dev *dev,
				     const uint8_t *buf, uint8_t state)
{
	return zc_find_in(dev->zc, HIPC_RPMSG_ZC_SLOTS, buf, state);
}

/*
 * Take a tx buffer without waiting: 0 and in *@t the buffer (header first),
 * its capacity and (device role) its ring slot, one struct rather than
 * three out-parameters (what a minimal image pays for at every call);
 * -HIPC_EAGAIN when none is free (or the ring broke: the caller's
 * dev_check_broken() tells), -HIPC_EMSGSIZE when the peer's next buffer
 * cannot take @need bytes.  Caller holds the lock.  Inlined: a minimal
 * image has one caller (the name service's own sender is only built with
 * the lock), and a call costs it more than the body.
 */
static inline __attribute__((always_inline)) int
try_get_tx_locked(struct hipc_rpmsg_dev *dev, uint32_t need,
		  struct hipc__avail *t)
{
	if (is_driver(dev)) {
		unsigned idx;

		if (dev->tx_nfree) {
			idx = dev->tx_free[--dev->tx_nfree];
		} else if (dev->tx_fresh) {
			idx = dev->cfg.num - dev->tx_fresh--;
		} else {
			void *buf = hipc_vring_get_used(txq(dev), NULL);
			int i;

			if (!buf)
				return -HIPC_EAGAIN;
			i = drv_buf_index(dev, buf);
			if (i < (int)dev->cfg.num) {
				/* Tokens are our own pointers: only our own
				 * state being corrupt gets here. */
				dev_fail(dev);
				return -HIPC_EAGAIN;
			}
			idx = (unsigned)i - dev->cfg.num;
		}
		dev->buf_state[dev->cfg.num + idx] = BUF_RESERVED;
		t->len = dev->cfg.buf_size;
		t->buf = drv_buf(dev, dev->cfg.num + idx);
		return 0;
	}
	if (HIPC_CFG_ZEROCOPY) {
		for (unsigned i = 0; i < HIPC_RPMSG_ZC_SLOTS; i++) {
			struct hipc_rpmsg_zc *z = &dev->zc[i];

			if (z->state != ZC_SPARE || z->len < need)
				continue;
			/* A buffer taken earlier and released unsent. */
			z->state = ZC_FREE;
			t->head = z->head;
			t->len = z->len;
			t->buf = z->buf;
			return 0;
		}
	}
	/* A buffer far smaller than any sane one (two headers) means the
	 * peer is not following the protocol: it breaks the ring. */
	if (hipc__vring_take_avail(txq(dev), true, 2u * HIPC_RPMSG_HDR_SIZE, t))
		return -HIPC_EAGAIN;
	if (t->len < need) {
		/* Smaller than the table promised: leave it on the ring
		 * (nothing was written) and refuse the send. */
		hipc_vring_unget_avail(txq(dev));
		return -HIPC_EMSGSIZE;
	}
	if (t->len > dev->cfg.buf_size)
		t->len = dev->cfg.buf_size;
	return 0;
}

/*
 * Publish a filled tx buffer (header written, @total bytes of it used).
 * The device role reports the buffer's capacity @t->len as used.len, not
 * @total: OpenAMP's driver posts each rx buffer again with the used.len it
 * got for it as its new length, so a short message would shrink the buffer
 * for good and a long one could no longer be sent in it.  OpenAMP's own
 * device does the same; Linux and hipc's driver only check that used.len
 * holds the message and is not above the buffer size.  Caller holds the
 * lock.
 */
static int publish_tx_locked(struct hipc_rpmsg_dev *dev,
			     const struct hipc__avail *t, uint32_t total)
{
	uint8_t *buf = t->buf;
	int ret;

	hipc__cache_clean(dev->cfg.port, buf, total);
	if (is_driver(dev)) {
		int i = drv_tx_index(dev, buf, BUF_RESERVED);
		uint64_t da;

		if (i < 0)
			return -HIPC_EINVAL;
		ret = hipc_memmap_to_da(dev->cfg.map, buf, total, &da);
		if (ret)
			return ret;
		/* Linux posts tx buffers with the message's exact length. */
		ret = hipc_vring_add(txq(dev), da, total, false, buf);
		if (ret == 0)
			dev->buf_state[i] = BUF_POSTED;
	} else {
		ret = hipc__vring_return(txq(dev), t->head, t->len);
	}
	return ret;
}

/* --- device life --------------------------------------------------------- */

/*
 * hipc_rpmsg_dev_init()'s checks of a configuration (@drv, @evt: its role
 * and event index), before anything is written.
 */
static inline __attribute__((always_inline)) int
config_check(const struct hipc_rpmsg_dev_config *c, bool drv, bool evt)
{
	/* What the rings could not do either, checked once for both.  Rings
	 * in parts and the event index tested in one compare (OR-ed): a
	 * remote image leaves out both. */
	if ((drv && !HIPC_CFG_DRIVER) || (!drv && !HIPC_CFG_DEVICE) ||
	    ((HIPC_CFG_SPLIT_INIT ? 0 : (uintptr_t)c->parts_map) |
	     (HIPC_CFG_EVENT_IDX ? 0 : (uintptr_t)evt)) ||
	    hipc__port_check(c->port))
		return -HIPC_ENOTSUP;
	/* num and align: the rings' placement checks them before any use. */
	if (c->buf_size < 2u * HIPC_RPMSG_HDR_SIZE ||
	    c->buf_size > 65535u + HIPC_RPMSG_HDR_SIZE)
		return -HIPC_EINVAL;
	/* Bounded before it sizes the driver's storage or is narrowed into
	 * the rings' 16-bit num; the rings check the rest of it. */
	if (c->num > HIPC_VRING_NUM_MAX)
		return -HIPC_EINVAL;
	if (HIPC_CFG_MANY_EPTS && c->mem && (!c->mem->alloc || !c->mem->free))
		return -HIPC_EINVAL;
	if (HIPC_CFG_DRIVER && drv &&
	    (!c->storage ||
	     c->storage_size < HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER, c->num) ||
	     ((uintptr_t)c->storage & 7u) || !c->bufs || !c->port->ops->notify))
		return -HIPC_EINVAL;
	return 0;
}

/*
 * Each ring described in place (dev is zeroed) and placed from that
 * description: no nine-argument call per ring.  Both are described alike
 * (ring 1's slots follow ring 0's): one description, copied.  Both rings
 * placed (every check) before the driver writes to either.
 */
static inline __attribute__((always_inline)) int
rings_place(struct hipc_rpmsg_dev *dev, const struct hipc_rpmsg_dev_config *c,
	    struct hipc_vring_slot *slots, bool drv, bool evt)
{
	int ret;

	dev->vr[0].role = drv ? HIPC_VRING_DRIVER : HIPC_VRING_DEVICE;
	dev->vr[0].num = (uint16_t)c->num;
	dev->vr[0].slots = slots;
	dev->vr[0].map = c->map;
	dev->vr[0].port = c->port;
	dev->vr[0].event_idx = evt;
	dev->vr[1] = dev->vr[0];
	if (slots)
		dev->vr[1].slots = slots + c->num;
	for (unsigned q = 0; q < 2; q++) {
		struct hipc_vring *vr = &dev->vr[q];

		if (HIPC_CFG_SPLIT_INIT && c->parts_map)
			ret = hipc__vring_place_parts(vr, c->parts_map,
						      &c->vring_parts[q]);
		else
			ret = hipc__vring_place(vr, c->align, c->vring_da[q]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The driver's rings cleared and every rx buffer posted before DRIVER_OK,
 * as Linux does: the remote may send as soon as it sees the status.
 */
static inline __attribute__((always_inline)) int
drv_rings_start(struct hipc_rpmsg_dev *dev)
{
	int ret;

	hipc__vring_clear(&dev->vr[0]);
	hipc__vring_clear(&dev->vr[1]);
	for (unsigned i = 0; i < dev->cfg.num; i++) {
		ret = drv_post_rx_locked(dev, i);
		if (ret)
			return ret;
	}
	/* tx-complete notifications only while a sender waits */
	hipc_vring_disable_cb(txq(dev));
	hipc_vring_enable_cb(rxq(dev));
	return 0;
}

int hipc_rpmsg_dev_init(struct hipc_rpmsg_dev *dev,
			const struct hipc_rpmsg_dev_config *cfg)
{
	const struct hipc_rpmsg_dev_config *c = cfg;
	struct hipc_vring_slot *slots = NULL;
	bool drv, evt;
	int ret;

	if (!dev || !c || !c->port || !c->port->ops || !c->map || !c->buckets ||
	    !hipc__is_pow2(c->nbuckets) || (unsigned)c->role > HIPC_RPMSG_DEVICE)
		return -HIPC_EINVAL;
	drv = c->role == HIPC_RPMSG_DRIVER;
	evt = c->features & (1u << HIPC_VIRTIO_F_EVENT_IDX);
	ret = config_check(c, drv, evt);
	if (ret)
		return ret;

	memset(dev, 0, sizeof(*dev));
	dev->cfg = *c;
	/* Sends that never wait (HIPC_CFG_BLOCKING=0) have no use for it. */
	if (HIPC_CFG_BLOCKING && !dev->cfg.send_timeout_ms)
		dev->cfg.send_timeout_ms = SEND_TIMEOUT_DEFAULT_MS;
	memset(c->buckets, 0, c->nbuckets * sizeof(c->buckets[0]));
	if (HIPC_CFG_MANY_EPTS) {
		dev->user_buckets = c->buckets;
		dev->user_nbuckets = c->nbuckets;
	}

	if (HIPC_CFG_DRIVER && drv) {
		slots = c->storage;
		dev->tx_free = (uint16_t *)(slots + 2u * c->num);
		dev->buf_state = (uint8_t *)(dev->tx_free + c->num);
		memset(dev->buf_state, BUF_IDLE, 2u * c->num);
		dev->tx_fresh = (uint16_t)c->num;
	}
	ret = rings_place(dev, c, slots, drv, evt);
	if (ret)
		return ret;

#if HIPC_CFG_NS_RX
	if (dev_has_ns(dev)) {
		dev->ns_ept.cb = hipc__ns_rx;
		dev->ns_ept.dev = dev;
		dev->ns_ept.dst = HIPC_RPMSG_ADDR_ANY;
		insert_locked(dev, &dev->ns_ept, HIPC_RPMSG_NS_ADDR);
	}
#endif
	if (HIPC_CFG_DRIVER && drv)
		return drv_rings_start(dev);
	return 0;
}

int hipc_rpmsg_dev_start(struct hipc_rpmsg_dev *dev)
{
	bool drv = is_driver(dev);

	dev_lock(dev);
	st_flag(&dev->ready, true);
	if (drv) {
		(void)hipc_vring_need_notify(rxq(dev));
	} else {
		/* The rings are ours to touch now (DRIVER_OK was seen);
		 * tx-complete notifications only while a sender waits. */
		hipc_vring_disable_cb(txq(dev));
		hipc_vring_enable_cb(rxq(dev));
	}
	dev_unlock(dev);
	/* The driver's first kick is unconditional: it is how the remote
	 * learns that the posted buffers are there. */
	if (drv)
		return ring_doorbell(dev, rxq_index(dev));
	hipc__ns_announce_pending(dev);
	return 0;
}

/*
 * Teardown takes the endpoints in hash order, which is no order in
 * memory: each is a cache miss (with 100,000 endpoints, most of the time
 * teardown takes).  The next few are asked for while this one is taken
 * down: the one after @e in its chain and the first ones of the next
 * buckets.
 */
#define PREFETCH_AHEAD 4u

/* What teardown writes: the device pointer, and the chain and flags
 * further on (two lines at most). */
static inline void prefetch_ept(const struct hipc_rpmsg_ept *e)
{
	__builtin_prefetch(&e->dev, 1);
	__builtin_prefetch(&e->flags, 1);
}

static void prefetch_victims(struct hipc_rpmsg_dev *dev, unsigned b,
			     const struct hipc_rpmsg_ept *e)
{
	unsigned end = b + 4u * PREFETCH_AHEAD, k = 0;

	if (!HIPC_CFG_MANY_EPTS)
		return;
	if (e->hnext)
		prefetch_ept(e->hnext);
	if (end > dev->cfg.nbuckets)
		end = dev->cfg.nbuckets;
	for (b++; b < end && k < PREFETCH_AHEAD; b++) {
		if (dev->cfg.buckets[b]) {
			prefetch_ept(dev->cfg.buckets[b]);
			k++;
		}
	}
}

/*
 * The next endpoint to take down, other than the name service's, from
 * bucket *@cursor on: each bucket is emptied before the walk moves past
 * it, so the whole teardown walks the table once.  Once at the end, one
 * more walk from the start finds what a callback created behind the
 * cursor (or in a table that grew meanwhile).  Caller holds the lock.
 */
static struct hipc_rpmsg_ept *next_victim_locked(struct hipc_rpmsg_dev *dev,
						 unsigned *cursor)
{
	for (unsigned pass = 0; pass < 2; pass++) {
		for (; *cursor < dev->cfg.nbuckets; (*cursor)++)
			for (struct hipc_rpmsg_ept *e =
				     dev->cfg.buckets[*cursor];
			     e; e = e->hnext)
				if (e != &dev->ns_ept) {
					prefetch_victims(dev, *cursor, e);
					return e;
				}
		*cursor = 0;
	}
	return NULL;
}

void hipc_rpmsg_dev_deinit(struct hipc_rpmsg_dev *dev)
{
	struct hipc_rpmsg_ept *victim;
	unsigned cursor = 0;

	for (;;) {
		dev_lock(dev);
		st_flag(&dev->ready, false);
		victim = next_victim_locked(dev, &cursor);
		if (!victim)
			table_reset_locked(dev);
		if (victim) {
			unlink_locked(dev, victim);
			victim->flags |= EPT_UNBOUND;
			/* Detached before its callback, which may destroy
			 * (a no-op now) and free it: nothing of it is touched
			 * once the callback returns. */
			victim->dev = NULL;
		}
		dev_unlock(dev);
		if (!victim)
			break;
		if (victim->unbind)
			victim->unbind(victim);
	}
}

/* --- looking at a device ------------------------------------------------ */

bool hipc_rpmsg_broken(const struct hipc_rpmsg_dev *dev)
{
	return ld_flag(&dev->broken) || hipc_vring_broken(&dev->vr[0]) ||
	       hipc_vring_broken(&dev->vr[1]);
}

uint32_t hipc_rpmsg_max_payload(const struct hipc_rpmsg_dev *dev)
{
	return dev->cfg.buf_size - HIPC_RPMSG_HDR_SIZE;
}

enum hipc_rpmsg_role hipc_rpmsg_role(const struct hipc_rpmsg_dev *dev)
{
	return dev->cfg.role;
}

uint32_t hipc_rpmsg_features(const struct hipc_rpmsg_dev *dev)
{
	return dev->cfg.features;
}

int hipc_rpmsg_get_stats(const struct hipc_rpmsg_dev *dev,
			 struct hipc_rpmsg_stats *out)
{
	const struct hipc_rpmsg_stats *s;

	if (!dev || !out)
		return -HIPC_EINVAL;
	s = &dev->stats;
	/* Field by field: two of them change outside the lock, atomically,
	 * and a plain copy of the whole struct would race with that. */
	dev_lock(dev);
	out->tx_msgs = s->tx_msgs;
	out->rx_msgs = s->rx_msgs;
	out->tx_bytes = s->tx_bytes;
	out->rx_bytes = s->rx_bytes;
	out->notifies = s->notifies;
	out->rx_dropped = s->rx_dropped;
	out->tx_waits = s->tx_waits;
	out->crc_checked = s->crc_checked;
	dev_unlock(dev);
	out->proto_errors = __atomic_load_n(&dev->proto_errors, __ATOMIC_RELAXED);
	out->ns_rx = __atomic_load_n(&s->ns_rx, __ATOMIC_RELAXED);
	out->crc_errors = __atomic_load_n(&dev->crc_errors, __ATOMIC_RELAXED);
	return 0;
}

int hipc_rpmsg_ring_info(const struct hipc_rpmsg_dev *dev, unsigned q,
			 struct hipc_vring_info *out)
{
	int ret;

	if (!dev || !out || q > 1)
		return -HIPC_EINVAL;
	dev_lock(dev);
	ret = hipc_vring_info(&dev->vr[q], out);
	dev_unlock(dev);
	return ret;
}

/* --- sending ------------------------------------------------------------- */

/* Claim receive processing; false if some thread already has it. */
static bool rx_claim(struct hipc_rpmsg_dev *dev)
{
	const struct hipc_port *port = dev->cfg.port;
	/* Callbacks run in the claiming thread: an endpoint destroyed from
	 * that thread is destroyed from inside its own callback. */
	uintptr_t me = HIPC_CFG_LOCK && port->ops->self
			       ? port->ops->self(port->ctx)
			       : 0;
	bool ok;

	dev_lock(dev);
	ok = !dev->rx_busy;
	dev->rx_busy = true;
	if (HIPC_CFG_LOCK && ok)
		dev->rx_thread = me;
	dev_unlock(dev);
	return ok;
}

static void rx_release(struct hipc_rpmsg_dev *dev)
{
	dev_lock(dev);
	dev->rx_busy = false;
	dev_unlock(dev);
}

/*
 * No tx buffer yet: process receives, else sleep until a doorbell or
 * @deadline (0: none).  Returns 0 when one may be free now (look again),
 * or the error that ends the wait.
 */
static int tx_wait(struct hipc_rpmsg_dev *dev, uint64_t deadline)
{
	const struct hipc_port *port = dev->cfg.port;
	int ret;

	/* Keep receiving: the peer may be blocked sending to us, and the
	 * buffers we free are what lets it get to ours. */
	if (hipc_rpmsg_poll(dev, 0) > 0)
		return 0;
	if (deadline && port->ops->now_ns(port->ctx) >= deadline)
		return -HIPC_ETIMEDOUT;
	ret = port->ops->wait(port->ctx, deadline);
	return ret == -HIPC_ENOTSUP ? -HIPC_EAGAIN : 0;
}

static int get_tx(struct hipc_rpmsg_dev *dev, uint32_t need,
		  struct hipc__avail *t, uint32_t timeout_ms)
{
	const struct hipc_port *port = dev->cfg.port;
	bool can_wait = HIPC_CFG_BLOCKING && timeout_ms != HIPC_RPMSG_NO_WAIT &&
			port->ops->wait && port->ops->now_ns;
	uint64_t deadline = 0;
	bool waiting = false, corked;
	int ret;

	if (can_wait && timeout_ms != HIPC_RPMSG_WAIT_FOREVER)
		deadline = port->ops->now_ns(port->ctx) +
			   (uint64_t)timeout_ms * 1000000u;
	/* The device was found sound just before (check_send(), or the
	 * dev_check_broken() below before each wait); a ring that broke since
	 * hands out nothing. */
	for (;;) {
		dev_lock(dev);
		ret = try_get_tx_locked(dev, need, t);
		if (ret == -HIPC_EAGAIN && can_wait && !ld_flag(&dev->broken)) {
			if (!waiting) {
				waiting = true;
				__atomic_store_n(&dev->tx_waiters,
						 dev->tx_waiters + 1u,
						 __ATOMIC_RELAXED);
				STAT_ADD(dev, tx_waits, 1);
			}
			/* Ask for a tx-complete doorbell before every sleep,
			 * then look once more: a buffer freed before the
			 * request was seen would never be announced.  Every
			 * time, not once per send: with the event index the
			 * request is "notify when entry N is published", N
			 * being the ring's consumption index now, and other
			 * senders taking the buffers that arrive move the
			 * index past N, after which the peer never crosses
			 * N again and this waiter would sleep to its
			 * deadline. */
			hipc_vring_enable_cb(txq(dev));
			ret = try_get_tx_locked(dev, need, t);
		}
		corked = dev->corked != 0;
		dev_unlock(dev);
		if (ret != -HIPC_EAGAIN || !can_wait || dev_check_broken(dev))
			break;
		/* A corked burst waits for buffers only the peer can give
		 * back: it must hear of what is queued before we sleep. */
		if (corked)
			notify_peer(dev, rxq_index(dev) ^ 1u);
		ret = tx_wait(dev, deadline);
		if (ret)
			break;
	}
	if (waiting) {
		dev_lock(dev);
		__atomic_store_n(&dev->tx_waiters, dev->tx_waiters - 1u,
				 __ATOMIC_RELAXED);
		if (dev->tx_waiters == 0 && !dev->tx_wanted)
			hipc_vring_disable_cb(txq(dev));
		dev_unlock(dev);
	}
	if (ret == 0)
		return 0;
	return dev_check_broken(dev) ? -HIPC_EIO : ret;
}

static void write_hdr(uint8_t *buf, uint32_t src, uint32_t dst, size_t len,
		      uint32_t flags)
{
	hipc_put_le32(buf + HDR_SRC, src);
	hipc_put_le32(buf + HDR_DST, dst);
	hipc_put_le32(buf + HDR_RESERVED, 0);
	/* len and flags as one word: little-endian, len first. */
	hipc_put_le32(buf + HDR_LEN, ((uint32_t)len & 0xFFFFu) | flags << 16);
}

static uint32_t crc_of(const struct hipc_rpmsg_dev *dev, const void *p,
		       size_t len)
{
	return dev->cfg.crc32c ? dev->cfg.crc32c(0, p, len)
			       : hipc_crc32c(0, p, len);
}

/* The CRC32C after @len bytes of payload at @payload, when @ept asked for
 * it: the bytes it adds to the message (0 or 4), and hdr.flags. */
static uint32_t put_crc(const struct hipc_rpmsg_ept *ept, uint8_t *payload,
			size_t len, uint32_t *flags)
{
	*flags = 0;
	if (!HIPC_CFG_CRC || !(ept->flags & EPT_CRC))
		return 0;
	hipc_put_le32(payload + len, crc_of(ept->dev, payload, len));
	*flags = HIPC_RPMSG_HDR_F_CRC;
	return HIPC_RPMSG_CRC_SIZE;
}

/* Payload room left for @ept's messages: the trailer takes 4 bytes. */
static inline size_t crc_room(const struct hipc_rpmsg_ept *ept)
{
	return HIPC_CFG_CRC && (ept->flags & EPT_CRC) ? HIPC_RPMSG_CRC_SIZE : 0;
}

static int check_send(struct hipc_rpmsg_ept *ept, uint32_t *src,
		      uint32_t *dst, size_t len)
{
	struct hipc_rpmsg_dev *dev = ept ? ept->dev : NULL;

	/* The peer went away (device reset or crash, or its service was
	 * withdrawn): say so, rather than "invalid". */
	if (ept && (ept->flags & EPT_UNBOUND))
		return -HIPC_ECONNRESET;
	if (!dev)
		return -HIPC_EINVAL;
	if (*src == HIPC_RPMSG_ADDR_ANY)
		*src = ept->addr;
	if (*dst == HIPC_RPMSG_ADDR_ANY)
		*dst = ept->dst;
	/* 0xFFFFFFFF is "any", never an address on the wire.  An endpoint's
	 * own address never is (ept_create gives "any" a real one), so
	 * only an unconnected destination can still be "any" here. */
	if (*dst == HIPC_RPMSG_ADDR_ANY)
		return -HIPC_EINVAL;
	if (len + crc_room(ept) > hipc_rpmsg_max_payload(dev))
		return -HIPC_EMSGSIZE;
	if (dev_check_broken(dev))
		return -HIPC_EIO;
	if (!ld_flag(&dev->ready))
		return -HIPC_ENOTCONN;
	return 0;
}

/*
 * Entries published on the tx ring since its last notification check.  A
 * corked device checks when three quarters of the ring are: the peer then
 * works on them while we fill the rest, instead of waiting for the whole
 * ring (or the uncork) before it starts.  Caller holds the lock.
 */
static inline uint16_t tx_unkicked_locked(const struct hipc_rpmsg_dev *dev)
{
	const struct hipc_vring *vr = &dev->vr[rxq_index(dev) ^ 1u];

	return (uint16_t)(vr->next_idx - vr->kicked_idx);
}

static int finish_send(struct hipc_rpmsg_dev *dev, const struct hipc__avail *t,
		       size_t len, uint32_t extra)
{
	uint32_t total = HIPC_RPMSG_HDR_SIZE + (uint32_t)len + extra;
	int ret;

	bool kick;

	dev_lock(dev);
	ret = publish_tx_locked(dev, t, total);
	if (ret == 0) {
		STAT_ADD(dev, tx_msgs, 1);
		STAT_ADD(dev, tx_bytes, len);
	}
	/* Corking needs the wait that rings before it sleeps: a build
	 * whose sends never wait rings for every message. */
	kick = !HIPC_CFG_BLOCKING || !dev->corked ||
	       tx_unkicked_locked(dev) >= dev->cfg.num - dev->cfg.num / 4u;
	dev_unlock(dev);
	if (ret)
		return dev_check_broken(dev) ? -HIPC_EIO : ret;
	if (kick)
		notify_peer(dev, rxq_index(dev) ^ 1u);
	return (int)len;
}

int hipc_rpmsg_send_ex(struct hipc_rpmsg_ept *ept, uint32_t src, uint32_t dst,
		       const void *data, size_t len, uint32_t timeout_ms)
{
	struct hipc_rpmsg_dev *dev;
	struct hipc__avail t;
	uint32_t flags, extra;
	uint8_t *payload;
	size_t copy;
	int ret;

	ret = check_send(ept, &src, &dst, len);
	if (ret)
		return ret;
	if (len && !data)
		return -HIPC_EINVAL;
	dev = ept->dev;
	ret = get_tx(dev, HIPC_RPMSG_HDR_SIZE + (uint32_t)(len + crc_room(ept)),
		     &t, timeout_ms);
	if (ret)
		return ret;
	payload = (uint8_t *)t.buf + HIPC_RPMSG_HDR_SIZE;
	copy = len;
	if (ns_msg_send(ept, data, len)) {
		/* Built here, after the name: the address and the flags. */
		ns_fill_tail(payload, ept);
		copy = HIPC_RPMSG_NAME_SIZE;
	}
	if (copy)
		memcpy(payload, data, copy);
	extra = put_crc(ept, payload, len, &flags);
	write_hdr(t.buf, src, dst, len, flags);
	return finish_send(dev, &t, len, extra);
}

/* --- zero copy ----------------------------------------------------------- */

int hipc_rpmsg_get_tx_buffer(struct hipc_rpmsg_dev *dev, void **payload,
			     uint32_t *max_len, uint32_t timeout_ms)
{
	struct hipc_rpmsg_zc *z = NULL;
	struct hipc__avail t;
	int ret;

	if (!HIPC_CFG_ZEROCOPY)
		return -HIPC_ENOTSUP;
	if (!dev || !payload)
		return -HIPC_EINVAL;
	if (dev_check_broken(dev))
		return -HIPC_EIO;
	if (!ld_flag(&dev->ready))
		return -HIPC_ENOTCONN;
	if (!is_driver(dev)) {
		/* Reserve the bookkeeping slot first so that a buffer, once
		 * taken from the ring, always has a place to be recorded. */
		dev_lock(dev);
		z = zc_find(dev, NULL, ZC_FREE);
		if (z)
			z->state = ZC_CLAIMED;
		dev_unlock(dev);
		if (!z)
			return -HIPC_EBUSY;
	}
	ret = get_tx(dev, 2u * HIPC_RPMSG_HDR_SIZE, &t, timeout_ms);
	if (z) {
		dev_lock(dev);
		if (ret) {
			z->state = ZC_FREE;
		} else {
			z->state = ZC_RESERVED;
			z->buf = t.buf;
			z->len = t.len;
			z->head = t.head;
		}
		dev_unlock(dev);
	}
	if (ret)
		return ret;
	*payload = (uint8_t *)t.buf + HIPC_RPMSG_HDR_SIZE;
	if (max_len)
		*max_len = t.len - HIPC_RPMSG_HDR_SIZE;
	return 0;
}

int hipc_rpmsg_send_nocopy(struct hipc_rpmsg_ept *ept, uint32_t dst,
			   void *payload, size_t len)
{
	uint32_t src = HIPC_RPMSG_ADDR_ANY;
	struct hipc__avail t = { (uint8_t *)payload - HIPC_RPMSG_HDR_SIZE, 0, 0 };
	struct hipc_rpmsg_dev *dev;
	int ret;

	if (!HIPC_CFG_ZEROCOPY)
		return -HIPC_ENOTSUP;
	if (!payload)
		return -HIPC_EINVAL;
	ret = check_send(ept, &src, &dst, len);
	if (ret)
		return ret;
	dev = ept->dev;
	dev_lock(dev);
	if (is_driver(dev)) {
		if (drv_tx_index(dev, t.buf, BUF_RESERVED) < 0)
			ret = -HIPC_EINVAL;
	} else {
		struct hipc_rpmsg_zc *z = zc_find(dev, t.buf, ZC_RESERVED);

		if (!z)
			ret = -HIPC_EINVAL;
		else if (HIPC_RPMSG_HDR_SIZE + len + crc_room(ept) > z->len)
			ret = -HIPC_EMSGSIZE;
		else {
			t.head = z->head;
			t.len = z->len;
			z->state = ZC_FREE;
		}
	}
	dev_unlock(dev);
	if (ret)
		return ret;
	{
		uint32_t flags, extra;

		extra = put_crc(ept, (uint8_t *)payload, len, &flags);
		write_hdr(t.buf, src, dst, len, flags);
		return finish_send(dev, &t, len, extra);
	}
}

int hipc_rpmsg_release_tx(struct hipc_rpmsg_dev *dev, void *payload)
{
	uint8_t *buf = (uint8_t *)payload - HIPC_RPMSG_HDR_SIZE;
	int ret = -HIPC_EINVAL;

	if (!HIPC_CFG_ZEROCOPY)
		return -HIPC_ENOTSUP;
	if (!dev || !payload)
		return -HIPC_EINVAL;
	dev_lock(dev);
	if (is_driver(dev)) {
		int i = drv_tx_index(dev, buf, BUF_RESERVED);

		if (i >= 0) {
			dev->buf_state[i] = BUF_IDLE;
			dev->tx_free[dev->tx_nfree++] =
				(uint16_t)(i - (int)dev->cfg.num);
			ret = 0;
		}
	} else {
		struct hipc_rpmsg_zc *z = zc_find(dev, buf, ZC_RESERVED);

		if (z) {
			z->state = ZC_SPARE;
			ret = 0;
		}
	}
	dev_unlock(dev);
	return ret;
}

/* --- endpoints ----------------------------------------------------------- */

int hipc_rpmsg_ept_create(struct hipc_rpmsg_ept *ept,
			  struct hipc_rpmsg_dev *dev, const char *name,
			  uint32_t src, uint32_t dst, hipc_rpmsg_rx_cb cb,
			  void *priv)
{
	bool announce;
	char c = 1;
	int ret;

	if (!ept || !dev || !cb)
		return -HIPC_EINVAL;
	memset(ept, 0, sizeof(*ept));
	/* Copied NUL-padded to the full size (the name service sends all 32
	 * bytes); a name that does not fit, terminator included, is refused. */
	for (unsigned i = 0; name && c; i++) {
		if (i == HIPC_RPMSG_NAME_SIZE)
			return -HIPC_EINVAL;
		c = name[i];
		ept->name[i] = c;
	}
	ept->cb = cb;
	ept->priv = priv;
	ept->dst = dst;
	/* The device role announces named endpoints: below if the device is
	 * live, else from hipc_rpmsg_dev_start(). */
	announce = ept->name[0] && !is_driver(dev) && dev_has_ns(dev);
	if (announce)
		ept->flags = EPT_ANNOUNCE;

	/* Bound to the device under the lock, so a receive that finds the
	 * endpoint in the table also sees its device. */
	dev_lock(dev);
	ret = insert_locked(dev, ept, src);
	if (ret == 0) {
		ept->dev = dev;
		if (announce && HIPC_CFG_MANY_EPTS) {
			/* Queued: announced in the order created. */
			if (dev->pend_tail)
				dev->pend_tail->pnext = ept;
			else
				dev->pend_head = ept;
			dev->pend_tail = ept;
		}
	}
	dev_unlock(dev);
	if (ret)
		return ret;
	/* Not ept->flags: once in the table the endpoint is shared, and an
	 * announcing thread may be marking it under the lock. */
	if (announce)
		hipc__ns_announce_pending(dev);
	return 0;
}

int hipc_rpmsg_ept_set_crc(struct hipc_rpmsg_ept *ept, bool on)
{
	struct hipc_rpmsg_dev *dev = ept ? ept->dev : NULL;

	if (!dev)
		return -HIPC_EINVAL;
	if (on && !dev_has_crc(dev))
		return -HIPC_ENOTSUP;
	/* Under the lock: an announcing thread may be marking the flags. */
	dev_lock(dev);
	if (on)
		ept->flags |= EPT_CRC;
	else
		ept->flags &= ~(uint32_t)EPT_CRC;
	dev_unlock(dev);
	return 0;
}

/*
 * Wait, lock held, until no callback of @ept runs in another thread.  From
 * the receiving thread itself (the callback destroying its own endpoint)
 * there is nothing to wait for.  The callback's end wakes the port.
 */
static void wait_callback_locked(struct hipc_rpmsg_dev *dev,
				 const struct hipc_rpmsg_ept *ept)
{
	const struct hipc_port *port = dev->cfg.port;
	uintptr_t me;

	if (!HIPC_CFG_LOCK || !port->ops->self)
		return;
	me = port->ops->self(port->ctx);
	while (dev->cb_ept == ept && dev->rx_thread != me) {
		dev->cb_waiters++;
		dev_unlock(dev);
		if (port->ops->wait && port->ops->wake)
			port->ops->wait(port->ctx, 0);
		dev_lock(dev);
		dev->cb_waiters--;
	}
}

void hipc_rpmsg_ept_destroy(struct hipc_rpmsg_ept *ept)
{
	struct hipc_rpmsg_dev *dev;
	bool sent = false;

	if (!ept || !ept->dev)
		return;
	dev = ept->dev;
	dev_lock(dev);
	/* Out of the table first: no receive finds it from here on. */
	unlink_locked(dev, ept);
	if ((ept->flags & EPT_ANNOUNCED) && !dev_check_broken(dev)) {
		ept->ns_flags = HIPC_RPMSG_NS_DESTROY;
		sent = ns_send(ept) == 0;
	}
	wait_callback_locked(dev, ept);
	ept->dev = NULL;
	dev_unlock(dev);
	ns_sent(dev, sent);
}

int hipc__ns_send_locked(struct hipc_rpmsg_ept *ept)
{
	struct hipc_rpmsg_dev *dev = ept->dev;
	const uint32_t total = HIPC_RPMSG_HDR_SIZE + NS_MSG_SIZE;
	struct hipc__avail t;
	uint8_t *buf;
	int ret;

	if (!ld_flag(&dev->ready))
		return -HIPC_ENOTCONN;
	ret = try_get_tx_locked(dev, total, &t);
	if (ret)
		return ret;
	buf = t.buf;
	write_hdr(buf, ept->addr, HIPC_RPMSG_NS_ADDR, NS_MSG_SIZE, 0);
	buf += HIPC_RPMSG_HDR_SIZE;
	memcpy(buf, ept->name, HIPC_RPMSG_NAME_SIZE);
	ns_fill_tail(buf, ept);
	ret = publish_tx_locked(dev, &t, total);
	if (ret == 0) {
		STAT_ADD(dev, tx_msgs, 1);
		STAT_ADD(dev, tx_bytes, NS_MSG_SIZE);
	}
	return ret;
}

/* --- receiving ----------------------------------------------------------- */

/*
 * Hand a consumed rx buffer back to the peer.  The device role reports the
 * descriptor's whole length @dlen as used.len: the virtio spec would allow
 * 0 for a buffer the device only read, and Linux ignores the field, but
 * OpenAMP's driver takes it as the capacity of the buffer it gets back and
 * reuses.  Caller holds the lock.
 */
static int recycle_rx_locked(struct hipc_rpmsg_dev *dev, uint8_t *buf,
			     uint16_t head, uint32_t dlen)
{
	if (is_driver(dev)) {
		int i = drv_buf_index(dev, buf);

		if (i < 0 || i >= (int)dev->cfg.num)
			return -HIPC_EINVAL;
		return drv_post_rx_locked(dev, (unsigned)i);
	}
	return hipc__vring_return(rxq(dev), head, dlen);
}

/*
 * rx_one()'s first step, under the lock: the next received buffer (@t),
 * and in the device role first a slot for a callback to hold it in (*@hold).
 * Returns 1 with a buffer, 0 nothing there, -HIPC_EBUSY every hold slot in
 * use (receiving pauses until hipc_rpmsg_release_rx() frees one).
 */
static inline __attribute__((always_inline)) int
rx_take(struct hipc_rpmsg_dev *dev, struct hipc__avail *t,
	struct hipc_rpmsg_zc **hold)
{
	int ret = 1;

	dev_lock(dev);
	if (is_driver(dev)) {
		t->head = 0; /* a driver's buffers have no ring slot of ours */
		t->buf = hipc_vring_get_used(rxq(dev), &t->len);
		if (!t->buf)
			ret = 0;
		else
			dev->buf_state[drv_buf_index(dev, t->buf)] = BUF_IDLE;
	} else {
		if (HIPC_CFG_ZEROCOPY) {
			*hold = zc_find_in(dev->held, HIPC_RPMSG_HOLD_SLOTS,
					   NULL, ZC_FREE);
			if (!*hold) {
				dev->rx_starved = true;
				dev_unlock(dev);
				return -HIPC_EBUSY;
			}
		}
		/* Shorter than a header: the ring breaks (a bad message). */
		if (hipc__vring_take_avail(rxq(dev), false,
					   HIPC_RPMSG_HDR_SIZE, t)) {
			ret = 0;
		} else if (*hold) {
			(*hold)->state = ZC_CLAIMED;
			(*hold)->buf = t->buf;
			(*hold)->len = t->len;
			(*hold)->head = t->head;
		}
	}
	dev_unlock(dev);
	return ret;
}

/*
 * rx_one()'s last step, after the callback: keep the buffer if the
 * callback held it, else hand it back to the peer.
 */
static inline __attribute__((always_inline)) void
rx_done(struct hipc_rpmsg_dev *dev, bool held, struct hipc_rpmsg_zc *hold,
	const struct hipc__avail *t)
{
	bool wake;

	dev_lock(dev);
	wake = cb_leave_locked(dev);
	if (held && is_driver(dev)) {
		dev->buf_state[drv_buf_index(dev, t->buf)] = BUF_HELD;
	} else if (held) {
		hold->state = ZC_RESERVED;
	} else {
		if (hold)
			hold->state = ZC_FREE;
		recycle_rx_locked(dev, t->buf, t->head, t->len);
	}
	dev_unlock(dev);
	if (wake)
		hipc__wake(dev->cfg.port);
}

/*
 * Receive lookahead (HIPC_CFG_MANY_EPTS).  With thousands of endpoints a
 * message to a random one costs three dependent cache misses once the
 * endpoints outgrow the caches: its bucket, the endpoint the bucket leads
 * to, and the callback's @priv (the owner's struct, which a callback
 * reads first thing).  A poll that finds several messages waiting hides
 * them: while one message is delivered, the destinations of the next ones
 * are read from their headers (peeked, not taken) and their lines asked
 * for, one step further along the chain every four messages or so (about
 * a miss's latency of work on a loaded host):
 *
 *   RX_AHEAD messages ahead     its bucket (as its header is peeked);
 *   RX_EPT_AT + 1 ahead         the first endpoint in that bucket;
 *   RX_CHAIN_AT + 1 ahead       the second, if the first is not it;
 *   RX_PRIV_AT + 1 ahead        looked up (its lines now near): @priv.
 *
 * Everything read for it is a hint: a destination the peer rewrites
 * before the take, or an endpoint destroyed before its message comes,
 * costs a wasted prefetch, nothing else: the delivery reads the header
 * once and looks the endpoint up as ever.  A prefetch never faults, so a
 * @priv that is no pointer is harmless too.
 */
#define RX_AHEAD 16u
#define RX_EPT_AT 10u
#define RX_CHAIN_AT 6u
#define RX_PRIV_AT 2u
/*
 * Below this many endpoints the lookahead is not run: their structs and
 * the table stay in the caches (1,024 of the benchmark's 128-byte structs
 * are 128 KiB), so it would only add its own cost, about 8 ns a message
 * on the benchmark's machine against 25 for the whole delivery.
 */
#define RX_MIN_EPTS 1024u

struct rx_ahead {
	/* A ring: [(first + j) % RX_AHEAD] is the (j + 1)th message after
	 * the one being delivered, its destination and its hash (taken
	 * once; masked with the table's size at each use, so a table that
	 * grew since only makes it a wrong hint, never a read outside). */
	uint32_t dst[RX_AHEAD];
	unsigned hash[RX_AHEAD];
	unsigned first;
	unsigned n; /* how many are known */
};

_Static_assert((RX_AHEAD & (RX_AHEAD - 1u)) == 0 && RX_PRIV_AT < RX_CHAIN_AT &&
		       RX_CHAIN_AT < RX_EPT_AT && RX_EPT_AT < RX_AHEAD,
	       "lookahead window");

/*
 * A prefetch the compiler keeps: to GCC a prefetch is no side effect, and
 * a loop that does nothing else (the window's catch-up below) is deleted
 * whole.  The empty asm that takes the address is one it must keep; it
 * emits nothing and clobbers nothing.
 */
static inline __attribute__((always_inline)) void prefetch_kept(const void *p)
{
	__builtin_prefetch(p);
	__asm__ __volatile__("" : : "r"(p));
}

/* The lines a lookup and a delivery read of @e: the chain and the
 * callback (two at most, the struct being the owner's). */
static inline void prefetch_rx_ept(const struct hipc_rpmsg_ept *e)
{
	prefetch_kept(&e->cb);
	prefetch_kept(&e->hnext);
}

static inline struct hipc_rpmsg_ept *const *
ahead_bucket(const struct hipc_rpmsg_dev *dev, const struct rx_ahead *a,
	     unsigned j)
{
	return &dev->cfg.buckets[a->hash[(a->first + j) % RX_AHEAD] &
				 (dev->cfg.nbuckets - 1u)];
}

/* The steps, for the message @j + 1 places ahead. */
static inline void step_ept(struct hipc_rpmsg_dev *dev,
			    const struct rx_ahead *a, unsigned j)
{
	const struct hipc_rpmsg_ept *e = *ahead_bucket(dev, a, j);

	if (e)
		prefetch_rx_ept(e);
}

static inline void step_chain(struct hipc_rpmsg_dev *dev,
			      const struct rx_ahead *a, unsigned j)
{
	const struct hipc_rpmsg_ept *e = *ahead_bucket(dev, a, j);

	/* Not first in its bucket: the next one (a chain runs about one
	 * long, the table doubling when endpoints outnumber buckets). */
	if (e && e->addr != a->dst[(a->first + j) % RX_AHEAD] && e->hnext)
		prefetch_rx_ept(e->hnext);
}

static inline void step_priv(struct hipc_rpmsg_dev *dev,
			     const struct rx_ahead *a, unsigned j)
{
	uint32_t dst = a->dst[(a->first + j) % RX_AHEAD];
	const struct hipc_rpmsg_ept *e = *ahead_bucket(dev, a, j);

	while (e && e->addr != dst)
		e = e->hnext;
	if (e)
		prefetch_kept(e->priv);
}

/*
 * Caller holds the lock (the ring's takes and the table).  Each step runs
 * for the message at its place in the window, which had the step before
 * it a few messages ago.  A window that just filled (the poll's first
 * message, or a burst that arrived since) has new messages at places a
 * step has passed: those take the steps they missed at once, each step
 * for all of them before the next, so that their misses overlap and only
 * the first of each waits.
 */
static inline __attribute__((always_inline)) void
rx_prefetch_locked(struct hipc_rpmsg_dev *dev, struct rx_ahead *a)
{
	const uint8_t *h;
	unsigned old, j;

	if (!HIPC_CFG_MANY_EPTS || dev->nepts < RX_MIN_EPTS)
		return;
	/* The message being delivered leaves the window. */
	if (a->n) {
		a->first++;
		a->n--;
	}
	old = a->n;
	while (a->n < RX_AHEAD &&
	       (h = hipc__vring_peek(rxq(dev), (uint16_t)a->n,
				     HDR_DST + 4u))) {
		unsigned k = (a->first + a->n++) % RX_AHEAD;

		a->dst[k] = hipc_get_le32(h + HDR_DST);
		a->hash[k] = hash_addr(a->dst[k], dev->cfg.nbuckets);
		prefetch_kept(&dev->cfg.buckets[a->hash[k]]);
	}
	for (j = old < RX_EPT_AT ? old : RX_EPT_AT; j <= RX_EPT_AT && j < a->n;
	     j++)
		step_ept(dev, a, j);
	for (j = old < RX_CHAIN_AT ? old : RX_CHAIN_AT;
	     j <= RX_CHAIN_AT && j < a->n; j++)
		step_chain(dev, a, j);
	for (j = old < RX_PRIV_AT ? old : RX_PRIV_AT;
	     j <= RX_PRIV_AT && j < a->n; j++)
		step_priv(dev, a, j);
}

/*
 * Deliver one message.  Returns 1 delivered (or dropped: no endpoint), 0
 * nothing there (a broken ring gives nothing; the caller's final check
 * reports it), -HIPC_EIO for a message that broke the protocol.  A
 * delivered buffer goes back to the peer without a doorbell: poll rings
 * once per batch.  Inlined: a remote image links one of the two polls,
 * where a call costs more than it saves.
 */
static inline __attribute__((always_inline)) int
rx_one(struct hipc_rpmsg_dev *dev, struct rx_ahead *ahead)
{
	struct hipc_rpmsg_zc *hold = NULL;
	struct hipc_rpmsg_ept *ept;
	struct hipc__avail t;
	uint32_t len, src, dst;
	uint16_t plen;
	uint8_t *buf;
	bool held, crc = false, crc_bad = false;
	int ret;

	ret = rx_take(dev, &t, &hold);
	if (ret <= 0)
		return ret;
	buf = t.buf;
	len = t.len;

	hipc__cache_inval(dev->cfg.port, buf, len);
	/* One read of each header field, then validation. */
	if ((is_driver(dev) && len < HIPC_RPMSG_HDR_SIZE) ||
	    len > dev->cfg.buf_size)
		goto bad;
	src = hipc_get_le32(buf + HDR_SRC);
	dst = hipc_get_le32(buf + HDR_DST);
	plen = hipc_get_le16(buf + HDR_LEN);
	if (plen > len - HIPC_RPMSG_HDR_SIZE)
		goto bad;
	/* A CRC trailer means something only where both sides agreed on it;
	 * elsewhere the flag is ignored, as Linux ignores hdr.flags. */
	crc = dev_has_crc(dev) &&
	      (hipc_get_le16(buf + HDR_FLAGS) & HIPC_RPMSG_HDR_F_CRC);
	if (crc) {
		const uint8_t *p = buf + HIPC_RPMSG_HDR_SIZE;

		crc_bad = (uint32_t)plen + HIPC_RPMSG_CRC_SIZE >
				  len - HIPC_RPMSG_HDR_SIZE ||
			  hipc_get_le32(p + plen) != crc_of(dev, p, plen);
	}

	dev_lock(dev);
	ept = crc_bad ? NULL : lookup_locked(dev, dst);
	if (crc_bad)
		__atomic_fetch_add(&dev->crc_errors, 1u, __ATOMIC_RELAXED);
	else if (crc)
		STAT_ADD(dev, crc_checked, 1);
	if (ept)
		cb_enter_locked(dev, ept);
	else if (!crc_bad)
		STAT_ADD(dev, rx_dropped, 1);
	STAT_ADD(dev, rx_msgs, 1);
	STAT_ADD(dev, rx_bytes, plen);
	rx_prefetch_locked(dev, ahead);
	dev_unlock(dev);

	/* @ept is not touched after its callback: it may have destroyed
	 * itself there. */
	held = ept && ept->cb(ept, buf + HIPC_RPMSG_HDR_SIZE, plen, src,
			      ept->priv) == HIPC_RPMSG_HOLD &&
	       HIPC_CFG_ZEROCOPY;
	rx_done(dev, held, hold, &t);
	return 1;
bad:
	/* Stop trusting this peer: the broken ring is the one record of it,
	 * and the device takes it over (and counts it, once) in the
	 * dev_check_broken() every caller makes on the way out.  The buffer
	 * stays with us: nothing on a broken ring is used again before the
	 * device is set up afresh. */
	dev_lock(dev);
	if (hold)
		hold->state = ZC_FREE;
	hipc_vring_mark_broken(rxq(dev));
	dev_unlock(dev);
	return -HIPC_EIO;
}

int hipc_rpmsg_release_rx(struct hipc_rpmsg_dev *dev, void *data)
{
	uint8_t *buf = (uint8_t *)data - HIPC_RPMSG_HDR_SIZE;
	bool resume = false;
	int ret = -HIPC_EINVAL;

	if (!HIPC_CFG_ZEROCOPY)
		return -HIPC_ENOTSUP;
	if (!dev || !data)
		return -HIPC_EINVAL;
	dev_lock(dev);
	if (is_driver(dev)) {
		int i = drv_buf_index(dev, buf);

		if (i >= 0 && i < (int)dev->cfg.num &&
		    dev->buf_state[i] == BUF_HELD)
			ret = drv_post_rx_locked(dev, (unsigned)i);
	} else {
		/* Slot and length from our own record of the hold. */
		struct hipc_rpmsg_zc *z = zc_find_in(
			dev->held, HIPC_RPMSG_HOLD_SLOTS, buf, ZC_RESERVED);

		if (z) {
			z->state = ZC_FREE;
			ret = hipc__vring_return(rxq(dev), z->head, z->len);
			resume = dev->rx_starved;
			dev->rx_starved = false;
		}
	}
	dev_unlock(dev);
	if (ret == 0)
		notify_peer(dev, rxq_index(dev));
	/* The receiving thread may sleep with messages waiting for a slot. */
	if (resume)
		hipc__wake(dev->cfg.port);
	return ret;
}

/*
 * Deliver what the peer sent.  @arm: when the ring runs empty, ask for a
 * doorbell and look once more (a caller that may sleep next without
 * hipc_rpmsg_prepare_sleep()); without it an empty ring leaves the
 * notification off, and a busy loop takes no doorbell while it keeps
 * looking by itself (hipc_rpmsg_poll_busy()).  Inlined into both: @arm
 * folds away, and a remote image that links only hipc_rpmsg_poll() pays
 * nothing for the other.
 */
static inline __attribute__((always_inline)) int
poll_dev(struct hipc_rpmsg_dev *dev, unsigned budget, bool arm)
{
	struct rx_ahead ahead;
	unsigned n = 0;
	bool more;
	int r;

	if (HIPC_CFG_MANY_EPTS)
		ahead.first = ahead.n = 0;
	if (dev_check_broken(dev))
		return -HIPC_EIO;
	if (!ld_flag(&dev->ready) || !rx_claim(dev))
		return 0;
	if (budget == 0)
		budget = dev->cfg.num;
	while (n < budget) {
		r = rx_one(dev, &ahead);
		if (r < 0)
			break;
		if (r > 0) {
			/* Do not let a long burst starve a peer that waits
			 * for the buffers we already recycled. */
			if ((++n & 15) == 0)
				notify_peer(dev, rxq_index(dev));
			continue;
		}
		if (!arm) {
			/* Empty, and the caller keeps looking: while it does,
			 * the peer need not ring (without the event index the
			 * flag has to be set again; a stale event index
			 * suppresses by itself). */
			dev_lock(dev);
			if (rxq(dev)->cb_enabled)
				hipc_vring_disable_cb(rxq(dev));
			dev_unlock(dev);
			break;
		}
		/* Empty: ask for a doorbell, then look once more, for what
		 * arrived before the request was seen. */
		dev_lock(dev);
		more = !hipc_vring_enable_cb(rxq(dev));
		dev_unlock(dev);
		if (!more)
			break;
	}
	/* Nothing delivered, nothing given back: an idle poll (the poll-mode
	 * hot loop) takes no lock for it. */
	if (n)
		notify_peer(dev, rxq_index(dev));
	if (ld_flag(&dev->announce_pending))
		hipc__ns_announce_pending(dev);
	rx_release(dev);
	if (dev_check_broken(dev))
		return -HIPC_EIO;
	return (int)n;
}

int hipc_rpmsg_poll(struct hipc_rpmsg_dev *dev, unsigned budget)
{
	return poll_dev(dev, budget, true);
}

int hipc_rpmsg_poll_busy(struct hipc_rpmsg_dev *dev, unsigned budget)
{
	return poll_dev(dev, budget, false);
}

bool hipc_rpmsg_pending(struct hipc_rpmsg_dev *dev)
{
	bool work;

	if (ld_flag(&dev->broken) || ld_flag(&dev->announce_pending))
		return true;
	if (!ld_flag(&dev->ready))
		return false;
	/* Without the lock: a spinning wait calls this in a tight loop, and
	 * the lock's line would be written on every turn.  The look only
	 * reads; a bogus index is found out by the poll it asks for. */
	work = hipc__vring_peer_moved(rxq(dev)) ||
	       ((__atomic_load_n(&dev->tx_waiters, __ATOMIC_RELAXED) ||
		 ld_flag(&dev->tx_wanted)) &&
		hipc__vring_peer_moved(txq(dev)));
	return work;
}

void hipc_rpmsg_cork(struct hipc_rpmsg_dev *dev)
{
	dev_lock(dev);
	dev->corked++;
	dev_unlock(dev);
}

void hipc_rpmsg_uncork(struct hipc_rpmsg_dev *dev)
{
	bool kick;

	dev_lock(dev);
	if (dev->corked)
		dev->corked--;
	kick = !dev->corked;
	dev_unlock(dev);
	if (kick)
		notify_peer(dev, rxq_index(dev) ^ 1u);
}

/*
 * Before the loop sleeps: rx notifications on, and tx-complete ones too
 * where someone waits for tx space (a blocking sender, or the loop itself:
 * @want_tx).  The loop's request lasts until it prepares to sleep without
 * it.  A build whose sends never wait (HIPC_CFG_BLOCKING=0) never takes it
 * back: it pays the doorbells, not the code.
 */
static inline __attribute__((always_inline)) bool
prepare_sleep(struct hipc_rpmsg_dev *dev, bool want_tx)
{
	bool idle;

	if (dev_check_broken(dev))
		return false;
	dev_lock(dev);
	/* Paused for want of a hold slot: what waits on the ring cannot be
	 * taken before a release, which wakes us. */
	idle = hipc_vring_enable_cb(rxq(dev)) ||
	       (HIPC_CFG_ZEROCOPY && dev->rx_starved);
	if (HIPC_CFG_BLOCKING && !want_tx && dev->tx_wanted) {
		st_flag(&dev->tx_wanted, false);
		if (!dev->tx_waiters)
			hipc_vring_disable_cb(txq(dev));
	}
	if (want_tx)
		st_flag(&dev->tx_wanted, true);
	if (idle && (want_tx || (HIPC_CFG_BLOCKING && dev->tx_waiters)))
		/* Asked for, then one more look: a buffer given back before
		 * the request was seen, or (driver) one of ours never handed
		 * out, is free now. */
		idle = hipc_vring_enable_cb(txq(dev)) &&
		       !(is_driver(dev) && (dev->tx_nfree || dev->tx_fresh));
	dev_unlock(dev);
	return idle && !ld_flag(&dev->announce_pending);
}

bool hipc_rpmsg_prepare_sleep(struct hipc_rpmsg_dev *dev)
{
	return prepare_sleep(dev, false);
}

bool hipc_rpmsg_prepare_sleep_tx(struct hipc_rpmsg_dev *dev)
{
	return prepare_sleep(dev, true);
}
