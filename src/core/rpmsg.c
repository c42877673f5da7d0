/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RPMsg devices in both roles, endpoints and the name service.
 *
 * Which ring does what:
 *              vring 0 (remote -> Linux)      vring 1 (Linux -> remote)
 *   driver     rx: used ring brings messages  tx: avail ring carries them
 *   device     tx: avail ring lends buffers   rx: avail ring brings messages
 *
 * Trust: a message's header is read once into locals; its length must fit
 * the buffer the ring layer validated; a violation marks the device broken.
 */
#include "hipc/rpmsg.h"

#include "hipc_internal.h"

enum {
	EPT_ANNOUNCE = 1u << 0,   /* should be announced (device role) */
	EPT_ANNOUNCED = 1u << 1,  /* the peer has been told */
	EPT_UNBOUND = 1u << 2,    /* unbind callback already ran */
};

enum { BUF_IDLE = 0, BUF_POSTED = 1, BUF_HELD = 2, BUF_RESERVED = 3 };
enum { ZC_FREE = 0, ZC_CLAIMED = 1, ZC_RESERVED = 2, ZC_SPARE = 3 };

#define HDR_SRC 0
#define HDR_DST 4
#define HDR_RESERVED 8
#define HDR_LEN 12
#define HDR_FLAGS 14
#define NS_MSG_SIZE 40u
#define SEND_TIMEOUT_DEFAULT_MS 15000u
/* Device role: an rx buffer a callback holds keeps its ring slot in its
 * header's reserved word.  Only the slot index is read back (and
 * range-checked); no length or address ever is, so a peer scribbling there
 * can confuse its own ring but cannot make us touch memory outside what was
 * validated. */
#define HELD_MAGIC 0x48000000u

static inline bool is_driver(const struct hipc_rpmsg_dev *dev)
{
	if (!HIPC_CFG_DEVICE)
		return true;
	if (!HIPC_CFG_DRIVER)
		return false;
	return dev->cfg.role == HIPC_RPMSG_DRIVER;
}

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

static bool dev_has_ns(const struct hipc_rpmsg_dev *dev)
{
	return dev->cfg.features & (1u << HIPC_RPMSG_F_NS);
}

/* Flags read outside the lock are accessed atomically (byte atomics are
 * lock-free on every target, Cortex-M included). */
static inline bool ld_flag(const bool *f)
{
	return __atomic_load_n(f, __ATOMIC_ACQUIRE);
}

static inline void st_flag(bool *f, bool v)
{
	__atomic_store_n(f, v, __ATOMIC_RELEASE);
}

static void dev_fail(struct hipc_rpmsg_dev *dev)
{
	st_flag(&dev->broken, true);
	__atomic_fetch_add(&dev->stats.proto_errors, 1u, __ATOMIC_RELAXED);
}

static bool dev_check_broken(struct hipc_rpmsg_dev *dev)
{
	if (ld_flag(&dev->broken))
		return true;
	if (hipc_vring_broken(&dev->vr[0]) || hipc_vring_broken(&dev->vr[1])) {
		dev_fail(dev);
		return true;
	}
	return false;
}

static int ring_doorbell(struct hipc_rpmsg_dev *dev, unsigned q)
{
	const struct hipc_port *port = dev->cfg.port;

	hipc__lock(port);
	dev->stats.notifies++;
	hipc__unlock(port);
	if (!port->ops->notify)
		return -HIPC_ENOTSUP;
	return port->ops->notify(port->ctx, dev->cfg.notifyid[q]);
}

/* --- endpoint table ------------------------------------------------------ */

static struct hipc_rpmsg_ept **bucket(struct hipc_rpmsg_dev *dev, uint32_t a)
{
	return &dev->cfg.buckets[a & (dev->cfg.nbuckets - 1u)];
}

static struct hipc_rpmsg_ept *lookup_locked(struct hipc_rpmsg_dev *dev,
					    uint32_t addr)
{
	struct hipc_rpmsg_ept *e = *bucket(dev, addr);

	while (e && e->addr != addr)
		e = e->hnext;
	return e;
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
	}
	ept->hnext = NULL;
}

struct hipc_rpmsg_ept *hipc_rpmsg_lookup(struct hipc_rpmsg_dev *dev,
					 uint32_t addr)
{
	struct hipc_rpmsg_ept *e;

	hipc__lock(dev->cfg.port);
	e = lookup_locked(dev, addr);
	hipc__unlock(dev->cfg.port);
	return e;
}

static int insert_locked(struct hipc_rpmsg_dev *dev,
			 struct hipc_rpmsg_ept *ept, uint32_t src)
{
	struct hipc_rpmsg_ept **b;

	if (src == HIPC_RPMSG_ADDR_ANY) {
		/* Sequential addresses spread evenly over the buckets; the
		 * search ends within nepts + 1 tries. */
		for (uint32_t tries = 0;; tries++) {
			if (tries > dev->nepts)
				return -HIPC_ENOSPC;
			src = dev->next_addr++;
			if (dev->next_addr == HIPC_RPMSG_ADDR_ANY)
				dev->next_addr = HIPC_RPMSG_RESERVED_ADDRESSES;
			if (!lookup_locked(dev, src))
				break;
		}
	} else if (lookup_locked(dev, src)) {
		return -HIPC_EEXIST;
	}
	ept->addr = src;
	b = bucket(dev, src);
	ept->hnext = *b;
	*b = ept;
	dev->nepts++;
	return 0;
}

/* --- buffers ------------------------------------------------------------- */

static uint8_t *drv_buf(struct hipc_rpmsg_dev *dev, unsigned idx)
{
	return (uint8_t *)dev->cfg.bufs + (size_t)idx * dev->cfg.buf_size;
}

/* Driver role: our own buffer's index from a pointer into its payload or
 * header; -1 if it is not exactly one of ours. */
static int drv_buf_index(struct hipc_rpmsg_dev *dev, const void *p, size_t hdr)
{
	uintptr_t base = (uintptr_t)dev->cfg.bufs;
	uintptr_t q = (uintptr_t)p;
	size_t off;

	if (q < base + hdr)
		return -1;
	off = q - hdr - base;
	if (off % dev->cfg.buf_size || off / dev->cfg.buf_size >= 2u * dev->cfg.num)
		return -1;
	return (int)(off / dev->cfg.buf_size);
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

/* Device role: the zero-copy reservation holding @buf, or NULL. */
static struct hipc_rpmsg_zc *zc_find(struct hipc_rpmsg_dev *dev,
				     const uint8_t *buf, uint8_t state)
{
	for (unsigned i = 0; i < HIPC_RPMSG_ZC_SLOTS; i++)
		if (dev->zc[i].state == state &&
		    (state == ZC_FREE || dev->zc[i].buf == buf))
			return &dev->zc[i];
	return NULL;
}

/*
 * Take a tx buffer without waiting.  Returns the buffer (header first), its
 * usable size and (device role) its ring slot, or NULL.  Caller holds the
 * lock.
 */
static uint8_t *try_get_tx_locked(struct hipc_rpmsg_dev *dev, uint32_t need,
				  uint32_t *size, uint16_t *head, int *err)
{
	if (is_driver(dev)) {
		unsigned idx;

		if (dev->tx_nfree) {
			idx = dev->tx_free[--dev->tx_nfree];
		} else if (dev->tx_fresh) {
			idx = dev->cfg.num - dev->tx_fresh--;
		} else {
			void *tok = hipc_vring_get_used(txq(dev), NULL);
			int i;

			if (!tok)
				return NULL;
			i = drv_buf_index(dev, tok, 0);
			if (i < (int)dev->cfg.num) {
				/* Tokens are our own pointers: only our own
				 * state being corrupt gets here. */
				dev_fail(dev);
				return NULL;
			}
			idx = (unsigned)i - dev->cfg.num;
		}
		dev->buf_state[dev->cfg.num + idx] = BUF_RESERVED;
		*size = dev->cfg.buf_size;
		return drv_buf(dev, dev->cfg.num + idx);
	} else {
		struct hipc_rpmsg_zc *z;
		uint32_t len;
		void *buf;

		for (unsigned i = 0; i < HIPC_RPMSG_ZC_SLOTS; i++) {
			z = &dev->zc[i];
			if (z->state != ZC_SPARE || z->len < need)
				continue;
			/* A buffer taken earlier and released unsent. */
			z->state = ZC_FREE;
			*head = z->head;
			*size = z->len;
			return z->buf;
		}
		if (hipc_vring_get_avail(txq(dev), true, head, &buf, &len))
			return NULL;
		if (len < 2u * HIPC_RPMSG_HDR_SIZE) {
			/* Far smaller than any sane buffer: the peer is not
			 * following the protocol. */
			hipc_vring_mark_broken(txq(dev));
			dev_fail(dev);
			return NULL;
		}
		if (len < need) {
			/* Smaller than the table promised: leave it on the
			 * ring (nothing was written) and refuse the send. */
			hipc_vring_unget_avail(txq(dev));
			*err = -HIPC_EMSGSIZE;
			return NULL;
		}
		*size = len < dev->cfg.buf_size ? len : dev->cfg.buf_size;
		return buf;
	}
}

/* Give an unsent tx buffer back.  Caller holds the lock. */
static int drv_put_back_tx_locked(struct hipc_rpmsg_dev *dev, uint8_t *buf)
{
	int i = drv_buf_index(dev, buf, 0);

	if (i < (int)dev->cfg.num || dev->buf_state[i] != BUF_RESERVED)
		return -HIPC_EINVAL;
	dev->buf_state[i] = BUF_IDLE;
	dev->tx_free[dev->tx_nfree++] = (uint16_t)(i - (int)dev->cfg.num);
	return 0;
}

/* Publish a filled tx buffer (header written).  Caller holds the lock.
 * Sets *kick when the peer must be notified. */
static int publish_tx_locked(struct hipc_rpmsg_dev *dev, uint8_t *buf,
			     uint32_t total, uint16_t head, bool *kick)
{
	int ret;

	hipc__cache_clean(dev->cfg.port, buf, total);
	if (is_driver(dev)) {
		int i = drv_buf_index(dev, buf, 0);
		uint64_t da;

		if (i < (int)dev->cfg.num || dev->buf_state[i] != BUF_RESERVED)
			return -HIPC_EINVAL;
		ret = hipc_memmap_to_da(dev->cfg.map, buf, total, &da);
		if (ret)
			return ret;
		/* Linux posts tx buffers with the message's exact length. */
		ret = hipc_vring_add(txq(dev), da, total, false, buf);
		if (ret == 0)
			dev->buf_state[i] = BUF_POSTED;
	} else {
		ret = hipc_vring_put_used(txq(dev), head, total);
	}
	if (ret == 0)
		*kick = hipc_vring_need_notify(txq(dev));
	return ret;
}

/* --- device life --------------------------------------------------------- */

static int ns_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		 uint32_t src, void *priv);

int hipc_rpmsg_dev_init(struct hipc_rpmsg_dev *dev,
			const struct hipc_rpmsg_dev_config *cfg)
{
	const struct hipc_rpmsg_dev_config *c = cfg;
	struct hipc_vring_slot *slots = NULL;
	size_t need;
	bool evt;
	int ret;

	if (!dev || !c || !c->port || !c->port->ops || !c->map || !c->buckets ||
	    !hipc__is_pow2(c->nbuckets))
		return -HIPC_EINVAL;
	if (c->role != HIPC_RPMSG_DRIVER && c->role != HIPC_RPMSG_DEVICE)
		return -HIPC_EINVAL;
	if ((c->role == HIPC_RPMSG_DRIVER && !HIPC_CFG_DRIVER) ||
	    (c->role == HIPC_RPMSG_DEVICE && !HIPC_CFG_DEVICE))
		return -HIPC_ENOTSUP;
	if (!hipc__is_pow2(c->num) || c->num > HIPC_VRING_NUM_MAX ||
	    c->buf_size < 2u * HIPC_RPMSG_HDR_SIZE ||
	    c->buf_size > 65535u + HIPC_RPMSG_HDR_SIZE)
		return -HIPC_EINVAL;
	need = HIPC_RPMSG_STORAGE_SIZE(c->role, c->num);
	if (need && (!c->storage || c->storage_size < need ||
		     ((uintptr_t)c->storage & 7u)))
		return -HIPC_EINVAL;
	if (c->role == HIPC_RPMSG_DRIVER && (!c->bufs || !c->port->ops->notify))
		return -HIPC_EINVAL;

	memset(dev, 0, sizeof(*dev));
	dev->cfg = *c;
	if (!dev->cfg.send_timeout_ms)
		dev->cfg.send_timeout_ms = SEND_TIMEOUT_DEFAULT_MS;
	dev->next_addr = HIPC_RPMSG_RESERVED_ADDRESSES;
	memset(c->buckets, 0, c->nbuckets * sizeof(c->buckets[0]));
	evt = c->features & (1u << HIPC_VIRTIO_F_EVENT_IDX);

	if (c->role == HIPC_RPMSG_DRIVER) {
		slots = c->storage;
		dev->tx_free = (uint16_t *)(slots + 2u * c->num);
		dev->buf_state = (uint8_t *)(dev->tx_free + c->num);
		memset(dev->buf_state, BUF_IDLE, 2u * c->num);
		dev->tx_fresh = (uint16_t)c->num;
	}
	for (unsigned q = 0; q < 2; q++) {
		enum hipc_vring_role vrole = c->role == HIPC_RPMSG_DRIVER
						     ? HIPC_VRING_DRIVER
						     : HIPC_VRING_DEVICE;
		struct hipc_vring_slot *s = slots ? slots + q * c->num : NULL;

		if (c->vring_desc[q])
			ret = hipc_vring_init_parts(&dev->vr[q], vrole,
						    c->vring_desc[q],
						    c->vring_avail[q],
						    c->vring_used[q], c->num, s,
						    c->map, c->port, evt);
		else
			ret = hipc_vring_init(&dev->vr[q], vrole,
					      c->vring_mem[q], c->num, c->align,
					      s, c->map, c->port, evt);
		if (ret)
			return ret;
	}

	if (dev_has_ns(dev)) {
		dev->ns_ept.cb = ns_rx;
		dev->ns_ept.dev = dev;
		dev->ns_ept.dst = HIPC_RPMSG_ADDR_ANY;
		insert_locked(dev, &dev->ns_ept, HIPC_RPMSG_NS_ADDR);
	}

	if (c->role == HIPC_RPMSG_DRIVER) {
		/* Every rx buffer is posted before DRIVER_OK, as Linux does:
		 * the remote may send as soon as it sees the status. */
		for (unsigned i = 0; i < c->num; i++) {
			ret = drv_post_rx_locked(dev, i);
			if (ret)
				return ret;
		}
		/* tx-complete notifications only while a sender waits */
		hipc_vring_disable_cb(txq(dev));
		hipc_vring_enable_cb(rxq(dev));
	}
	return 0;
}

static void announce_pending(struct hipc_rpmsg_dev *dev);

int hipc_rpmsg_dev_start(struct hipc_rpmsg_dev *dev)
{
	int ret = 0;

	hipc__lock(dev->cfg.port);
	st_flag(&dev->ready, true);
	if (!is_driver(dev)) {
		/* Rings are ours to touch now (DRIVER_OK was seen). */
		hipc_vring_disable_cb(txq(dev));
		hipc_vring_enable_cb(rxq(dev));
	}
	hipc__unlock(dev->cfg.port);
	if (is_driver(dev)) {
		hipc__lock(dev->cfg.port);
		(void)hipc_vring_need_notify(rxq(dev));
		hipc__unlock(dev->cfg.port);
		/* The first kick is unconditional: it is how the remote learns
		 * that the posted buffers are there. */
		ret = ring_doorbell(dev, rxq_index(dev));
	} else {
		announce_pending(dev);
	}
	return ret;
}

void hipc_rpmsg_dev_deinit(struct hipc_rpmsg_dev *dev)
{
	for (;;) {
		struct hipc_rpmsg_ept *victim = NULL;

		hipc__lock(dev->cfg.port);
		st_flag(&dev->ready, false);
		for (unsigned b = 0; b < dev->cfg.nbuckets && !victim; b++) {
			for (struct hipc_rpmsg_ept *e = dev->cfg.buckets[b]; e;
			     e = e->hnext) {
				if (e != &dev->ns_ept) {
					victim = e;
					break;
				}
			}
		}
		if (victim) {
			unlink_locked(dev, victim);
			victim->flags |= EPT_UNBOUND;
		}
		hipc__unlock(dev->cfg.port);
		if (!victim)
			break;
		if (victim->unbind)
			victim->unbind(victim);
		victim->dev = NULL;
	}
}

bool hipc_rpmsg_broken(const struct hipc_rpmsg_dev *dev)
{
	return dev->broken || dev->vr[0].broken || dev->vr[1].broken;
}

uint32_t hipc_rpmsg_max_payload(const struct hipc_rpmsg_dev *dev)
{
	return dev->cfg.buf_size - HIPC_RPMSG_HDR_SIZE;
}

/* --- sending ------------------------------------------------------------- */

/* Claim receive processing; false if some thread already has it. */
static bool rx_claim(struct hipc_rpmsg_dev *dev)
{
	bool ok;

	hipc__lock(dev->cfg.port);
	ok = !dev->rx_busy;
	dev->rx_busy = true;
	hipc__unlock(dev->cfg.port);
	return ok;
}

static void rx_release(struct hipc_rpmsg_dev *dev)
{
	hipc__lock(dev->cfg.port);
	dev->rx_busy = false;
	hipc__unlock(dev->cfg.port);
}

static int get_tx(struct hipc_rpmsg_dev *dev, uint32_t need, uint8_t **out,
		  uint32_t *size, uint16_t *head, uint32_t timeout_ms)
{
	const struct hipc_port *port = dev->cfg.port;
	bool can_wait = timeout_ms != HIPC_RPMSG_NO_WAIT && port->ops->wait &&
			port->ops->now_ns;
	uint64_t deadline = 0;
	bool waiting = false;
	uint8_t *buf;
	int ret = 0;

	if (can_wait && timeout_ms != HIPC_RPMSG_WAIT_FOREVER)
		deadline = port->ops->now_ns(port->ctx) +
			   (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		hipc__lock(port);
		buf = ld_flag(&dev->broken)
			      ? NULL
			      : try_get_tx_locked(dev, need, size, head, &ret);
		if (!buf && !ret && can_wait && !waiting &&
		    !ld_flag(&dev->broken)) {
			/* Ask for a tx-complete doorbell, then look once
			 * more: a buffer freed before the request was seen
			 * would never be announced. */
			waiting = true;
			dev->tx_waiters++;
			dev->stats.tx_waits++;
			hipc_vring_enable_cb(txq(dev));
			buf = try_get_tx_locked(dev, need, size, head, &ret);
		}
		hipc__unlock(port);
		if (buf || ret || dev_check_broken(dev))
			break;
		if (!can_wait) {
			ret = -HIPC_EAGAIN;
			break;
		}
		/* Keep receiving: the peer may be blocked sending to us, and
		 * the buffers we free are what lets it get to ours. */
		if (hipc_rpmsg_poll(dev, 0) > 0)
			continue;
		if (deadline && port->ops->now_ns(port->ctx) >= deadline) {
			ret = -HIPC_ETIMEDOUT;
			break;
		}
		ret = port->ops->wait(port->ctx, deadline);
		if (ret == -HIPC_ENOTSUP) {
			ret = -HIPC_EAGAIN;
			break;
		}
		ret = 0;
	}
	if (waiting) {
		hipc__lock(port);
		if (--dev->tx_waiters == 0)
			hipc_vring_disable_cb(txq(dev));
		hipc__unlock(port);
	}
	if (buf) {
		*out = buf;
		return 0;
	}
	if (ld_flag(&dev->broken))
		return -HIPC_EIO;
	return ret ? ret : -HIPC_EAGAIN;
}

static void write_hdr(uint8_t *buf, uint32_t src, uint32_t dst, size_t len)
{
	hipc__put32(buf + HDR_SRC, src);
	hipc__put32(buf + HDR_DST, dst);
	hipc__put32(buf + HDR_RESERVED, 0);
	hipc__put16(buf + HDR_LEN, (uint16_t)len);
	hipc__put16(buf + HDR_FLAGS, 0);
}

static int check_send(struct hipc_rpmsg_ept *ept, uint32_t *src,
		      uint32_t *dst, size_t len)
{
	struct hipc_rpmsg_dev *dev = ept ? ept->dev : NULL;

	if (!dev)
		return -HIPC_EINVAL;
	if (*src == HIPC_RPMSG_ADDR_ANY)
		*src = ept->addr;
	if (*dst == HIPC_RPMSG_ADDR_ANY)
		*dst = ept->dst;
	/* 0xFFFFFFFF is "any", never an address on the wire. */
	if (*src == HIPC_RPMSG_ADDR_ANY || *dst == HIPC_RPMSG_ADDR_ANY)
		return -HIPC_EINVAL;
	if (len > hipc_rpmsg_max_payload(dev))
		return -HIPC_EMSGSIZE;
	if (dev_check_broken(dev))
		return -HIPC_EIO;
	if (!ld_flag(&dev->ready))
		return -HIPC_ENOTCONN;
	return 0;
}

static int finish_send(struct hipc_rpmsg_dev *dev, uint8_t *buf, size_t len,
		       uint16_t head)
{
	uint32_t total = HIPC_RPMSG_HDR_SIZE + (uint32_t)len;
	bool kick = false;
	int ret;

	hipc__lock(dev->cfg.port);
	ret = publish_tx_locked(dev, buf, total, head, &kick);
	if (ret == 0) {
		dev->stats.tx_msgs++;
		dev->stats.tx_bytes += len;
	}
	hipc__unlock(dev->cfg.port);
	if (ret)
		return dev_check_broken(dev) ? -HIPC_EIO : ret;
	if (kick)
		ring_doorbell(dev, rxq_index(dev) ^ 1u);
	return (int)len;
}

int hipc_rpmsg_send_ex(struct hipc_rpmsg_ept *ept, uint32_t src, uint32_t dst,
		       const void *data, size_t len, uint32_t timeout_ms)
{
	struct hipc_rpmsg_dev *dev;
	uint16_t head = 0;
	uint32_t size;
	uint8_t *buf;
	int ret;

	ret = check_send(ept, &src, &dst, len);
	if (ret)
		return ret;
	if (len && !data)
		return -HIPC_EINVAL;
	dev = ept->dev;
	ret = get_tx(dev, HIPC_RPMSG_HDR_SIZE + (uint32_t)len, &buf, &size,
		     &head, timeout_ms);
	if (ret)
		return ret;
	if (len)
		memcpy(buf + HIPC_RPMSG_HDR_SIZE, data, len);
	write_hdr(buf, src, dst, len);
	return finish_send(dev, buf, len, head);
}

int hipc_rpmsg_send(struct hipc_rpmsg_ept *ept, const void *data, size_t len)
{
	if (!ept || !ept->dev)
		return -HIPC_EINVAL;
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				  data, len, ept->dev->cfg.send_timeout_ms);
}

int hipc_rpmsg_sendto(struct hipc_rpmsg_ept *ept, const void *data,
		      size_t len, uint32_t dst)
{
	if (!ept || !ept->dev)
		return -HIPC_EINVAL;
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, dst, data, len,
				  ept->dev->cfg.send_timeout_ms);
}

int hipc_rpmsg_send_offchannel(struct hipc_rpmsg_ept *ept, uint32_t src,
			       uint32_t dst, const void *data, size_t len)
{
	if (!ept || !ept->dev)
		return -HIPC_EINVAL;
	return hipc_rpmsg_send_ex(ept, src, dst, data, len,
				  ept->dev->cfg.send_timeout_ms);
}

int hipc_rpmsg_trysend(struct hipc_rpmsg_ept *ept, const void *data,
		       size_t len)
{
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				  data, len, HIPC_RPMSG_NO_WAIT);
}

int hipc_rpmsg_trysendto(struct hipc_rpmsg_ept *ept, const void *data,
			 size_t len, uint32_t dst)
{
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, dst, data, len,
				  HIPC_RPMSG_NO_WAIT);
}

int hipc_rpmsg_send_timeout(struct hipc_rpmsg_ept *ept, const void *data,
			    size_t len, uint32_t timeout_ms)
{
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				  data, len, timeout_ms);
}

int hipc_rpmsg_get_tx_buffer(struct hipc_rpmsg_dev *dev, void **payload,
			     uint32_t *max_len, uint32_t timeout_ms)
{
	struct hipc_rpmsg_zc *z = NULL;
	uint16_t head = 0;
	uint32_t size;
	uint8_t *buf;
	int ret;

	if (!dev || !payload)
		return -HIPC_EINVAL;
	if (dev_check_broken(dev))
		return -HIPC_EIO;
	if (!ld_flag(&dev->ready))
		return -HIPC_ENOTCONN;
	if (!is_driver(dev)) {
		/* Reserve the bookkeeping slot first so that a buffer, once
		 * taken from the ring, always has a place to be recorded. */
		hipc__lock(dev->cfg.port);
		z = zc_find(dev, NULL, ZC_FREE);
		if (z)
			z->state = ZC_CLAIMED;
		hipc__unlock(dev->cfg.port);
		if (!z)
			return -HIPC_EBUSY;
	}
	ret = get_tx(dev, 2u * HIPC_RPMSG_HDR_SIZE, &buf, &size, &head,
		     timeout_ms);
	if (z) {
		hipc__lock(dev->cfg.port);
		if (ret) {
			z->state = ZC_FREE;
		} else {
			z->state = ZC_RESERVED;
			z->buf = buf;
			z->len = size;
			z->head = head;
		}
		hipc__unlock(dev->cfg.port);
	}
	if (ret)
		return ret;
	*payload = buf + HIPC_RPMSG_HDR_SIZE;
	if (max_len)
		*max_len = size - HIPC_RPMSG_HDR_SIZE;
	return 0;
}

int hipc_rpmsg_send_nocopy(struct hipc_rpmsg_ept *ept, uint32_t dst,
			   void *payload, size_t len)
{
	uint32_t src = HIPC_RPMSG_ADDR_ANY;
	uint8_t *buf = (uint8_t *)payload - HIPC_RPMSG_HDR_SIZE;
	struct hipc_rpmsg_dev *dev;
	uint16_t head = 0;
	int ret;

	if (!payload)
		return -HIPC_EINVAL;
	ret = check_send(ept, &src, &dst, len);
	if (ret)
		return ret;
	dev = ept->dev;
	hipc__lock(dev->cfg.port);
	if (is_driver(dev)) {
		int i = drv_buf_index(dev, buf, 0);

		if (i < (int)dev->cfg.num || dev->buf_state[i] != BUF_RESERVED)
			ret = -HIPC_EINVAL;
	} else {
		struct hipc_rpmsg_zc *z = zc_find(dev, buf, ZC_RESERVED);

		if (!z)
			ret = -HIPC_EINVAL;
		else if (HIPC_RPMSG_HDR_SIZE + len > z->len)
			ret = -HIPC_EMSGSIZE;
		else {
			head = z->head;
			z->state = ZC_FREE;
		}
	}
	hipc__unlock(dev->cfg.port);
	if (ret)
		return ret;
	write_hdr(buf, src, dst, len);
	return finish_send(dev, buf, len, head);
}

int hipc_rpmsg_release_tx(struct hipc_rpmsg_dev *dev, void *payload)
{
	uint8_t *buf = (uint8_t *)payload - HIPC_RPMSG_HDR_SIZE;
	int ret;

	if (!dev || !payload)
		return -HIPC_EINVAL;
	hipc__lock(dev->cfg.port);
	if (is_driver(dev)) {
		ret = drv_put_back_tx_locked(dev, buf);
	} else {
		struct hipc_rpmsg_zc *z = zc_find(dev, buf, ZC_RESERVED);

		ret = -HIPC_EINVAL;
		if (z) {
			z->state = ZC_SPARE;
			ret = 0;
		}
	}
	hipc__unlock(dev->cfg.port);
	return ret;
}

/* --- name service -------------------------------------------------------- */

static int send_ns(struct hipc_rpmsg_ept *ept, uint32_t flags)
{
	uint8_t msg[NS_MSG_SIZE];

	memset(msg, 0, sizeof(msg));
	memcpy(msg, ept->name, HIPC_RPMSG_NAME_SIZE);
	hipc__put32(msg + 32, ept->addr);
	hipc__put32(msg + 36, flags);
	return hipc_rpmsg_send_ex(ept, ept->addr, HIPC_RPMSG_NS_ADDR, msg,
				  sizeof(msg), HIPC_RPMSG_NO_WAIT);
}

/* Announce endpoints waiting for it (created before start, or when no tx
 * buffer was free).  O(buckets) but only runs while something is pending. */
static void announce_pending(struct hipc_rpmsg_dev *dev)
{
	if (!ld_flag(&dev->ready) || !dev_has_ns(dev))
		return;
	hipc__lock(dev->cfg.port);
	st_flag(&dev->announce_pending, false);
	for (unsigned b = 0; b < dev->cfg.nbuckets; b++) {
		for (struct hipc_rpmsg_ept *e = dev->cfg.buckets[b]; e;
		     e = e->hnext) {
			if (!(e->flags & EPT_ANNOUNCE) ||
			    (e->flags & EPT_ANNOUNCED))
				continue;
			hipc__unlock(dev->cfg.port);
			if (send_ns(e, HIPC_RPMSG_NS_CREATE) >= 0) {
				hipc__lock(dev->cfg.port);
				e->flags |= EPT_ANNOUNCED;
			} else {
				hipc__lock(dev->cfg.port);
				st_flag(&dev->announce_pending, true);
				goto out;
			}
			/* The table may have changed while unlocked:
			 * restart the walk (announced ones are skipped). */
			b = (unsigned)-1;
			break;
		}
	}
out:
	hipc__unlock(dev->cfg.port);
}

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

static int ns_rx(struct hipc_rpmsg_ept *ns, void *data, size_t len,
		 uint32_t src, void *priv)
{
	struct hipc_rpmsg_dev *dev = ns->dev;
	char name[HIPC_RPMSG_NAME_SIZE];
	uint32_t addr, flags;

	(void)src;
	(void)priv;
	if (len != NS_MSG_SIZE) {
		/* Linux drops a malformed announcement and goes on. */
		__atomic_fetch_add(&dev->stats.proto_errors, 1u, __ATOMIC_RELAXED);
		return 0;
	}
	memcpy(name, data, sizeof(name));
	/* The peer need not terminate the name: we do. */
	name[HIPC_RPMSG_NAME_SIZE - 1] = '\0';
	addr = hipc__get32((uint8_t *)data + 32);
	flags = hipc__get32((uint8_t *)data + 36);
	if (flags > HIPC_RPMSG_NS_DESTROY || addr == HIPC_RPMSG_ADDR_ANY) {
		__atomic_fetch_add(&dev->stats.proto_errors, 1u, __ATOMIC_RELAXED);
		return 0;
	}
	__atomic_fetch_add(&dev->stats.ns_rx, 1u, __ATOMIC_RELAXED);
	if (flags == HIPC_RPMSG_NS_DESTROY) {
		/* Unbind every channel bound to that service. */
		for (;;) {
			struct hipc_rpmsg_ept *victim = NULL;

			hipc__lock(dev->cfg.port);
			for (unsigned b = 0; b < dev->cfg.nbuckets && !victim;
			     b++) {
				for (struct hipc_rpmsg_ept *e =
					     dev->cfg.buckets[b];
				     e; e = e->hnext) {
					if (e->dst == addr &&
					    !(e->flags & EPT_UNBOUND) &&
					    e != &dev->ns_ept &&
					    names_equal(e->name, name)) {
						victim = e;
						break;
					}
				}
			}
			if (victim)
				victim->flags |= EPT_UNBOUND;
			hipc__unlock(dev->cfg.port);
			if (!victim)
				break;
			if (victim->unbind)
				victim->unbind(victim);
		}
	}
	if (dev->cfg.ns_cb)
		dev->cfg.ns_cb(dev, name, addr, flags == HIPC_RPMSG_NS_DESTROY,
			       dev->cfg.ns_priv);
	return 0;
}

/* --- endpoints ----------------------------------------------------------- */

int hipc_rpmsg_ept_create(struct hipc_rpmsg_ept *ept,
			  struct hipc_rpmsg_dev *dev, const char *name,
			  uint32_t src, uint32_t dst, hipc_rpmsg_rx_cb cb,
			  void *priv)
{
	size_t n = 0;
	int ret;

	if (!ept || !dev || !cb)
		return -HIPC_EINVAL;
	if (name) {
		while (n < HIPC_RPMSG_NAME_SIZE && name[n])
			n++;
		if (n == HIPC_RPMSG_NAME_SIZE)
			return -HIPC_EINVAL;
	}
	memset(ept, 0, sizeof(*ept));
	if (n)
		memcpy(ept->name, name, n);
	ept->cb = cb;
	ept->priv = priv;
	ept->dst = dst;
	ept->dev = dev;

	hipc__lock(dev->cfg.port);
	ret = insert_locked(dev, ept, src);
	if (ret == 0 && n && !is_driver(dev) && dev_has_ns(dev)) {
		ept->flags |= EPT_ANNOUNCE;
		st_flag(&dev->announce_pending, true);
	}
	hipc__unlock(dev->cfg.port);
	if (ret) {
		ept->dev = NULL;
		return ret;
	}
	if (ept->flags & EPT_ANNOUNCE)
		announce_pending(dev);
	return 0;
}

int hipc_rpmsg_ept_announce(struct hipc_rpmsg_ept *ept)
{
	int ret;

	if (!ept || !ept->dev || !ept->name[0])
		return -HIPC_EINVAL;
	if (!dev_has_ns(ept->dev))
		return -HIPC_ENOTSUP;
	ret = send_ns(ept, HIPC_RPMSG_NS_CREATE);
	if (ret < 0)
		return ret;
	hipc__lock(ept->dev->cfg.port);
	ept->flags |= EPT_ANNOUNCE | EPT_ANNOUNCED;
	hipc__unlock(ept->dev->cfg.port);
	return 0;
}

void hipc_rpmsg_ept_destroy(struct hipc_rpmsg_ept *ept)
{
	struct hipc_rpmsg_dev *dev;
	bool announced;

	if (!ept || !ept->dev)
		return;
	dev = ept->dev;
	hipc__lock(dev->cfg.port);
	unlink_locked(dev, ept);
	announced = ept->flags & EPT_ANNOUNCED;
	hipc__unlock(dev->cfg.port);
	if (announced && ld_flag(&dev->ready) && !dev_check_broken(dev))
		(void)send_ns(ept, HIPC_RPMSG_NS_DESTROY);
	ept->dev = NULL;
}

/* --- receiving ----------------------------------------------------------- */

static int reserved_head(struct hipc_rpmsg_dev *dev, const uint8_t *buf,
			 uint16_t *head)
{
	uint32_t v = hipc__get32(buf + HDR_RESERVED);

	if ((v & 0xFFFF0000u) != HELD_MAGIC || (v & 0xFFFFu) >= dev->cfg.num)
		return -HIPC_EINVAL;
	*head = (uint16_t)(v & 0xFFFFu);
	return 0;
}

static void recycle_rx_locked(struct hipc_rpmsg_dev *dev, uint8_t *buf,
			      uint16_t head)
{
	if (is_driver(dev)) {
		int i = drv_buf_index(dev, buf, 0);

		if (i >= 0 && i < (int)dev->cfg.num)
			drv_post_rx_locked(dev, (unsigned)i);
	} else {
		hipc_vring_put_used(rxq(dev), head, 0);
	}
}

/* Deliver one message.  Returns 1 delivered/dropped, 0 nothing, <0 broken. */
static int rx_one(struct hipc_rpmsg_dev *dev, bool *kick)
{
	const struct hipc_port *port = dev->cfg.port;
	struct hipc_rpmsg_ept *ept;
	uint32_t len, src, dst;
	uint16_t head = 0, plen;
	uint8_t *buf = NULL;
	int ret = 0;

	hipc__lock(port);
	if (is_driver(dev)) {
		buf = hipc_vring_get_used(rxq(dev), &len);
		if (buf)
			dev->buf_state[drv_buf_index(dev, buf, 0)] = BUF_IDLE;
	} else {
		void *b;

		ret = hipc_vring_get_avail(rxq(dev), false, &head, &b, &len);
		buf = ret ? NULL : b;
	}
	hipc__unlock(port);
	if (!buf)
		return dev_check_broken(dev) ? -HIPC_EIO : 0;

	hipc__cache_inval(port, buf, len);
	/* One read of each header field, then validation. */
	if (len < HIPC_RPMSG_HDR_SIZE || len > dev->cfg.buf_size)
		goto bad;
	src = hipc__get32(buf + HDR_SRC);
	dst = hipc__get32(buf + HDR_DST);
	plen = hipc__get16(buf + HDR_LEN);
	if (plen > len - HIPC_RPMSG_HDR_SIZE)
		goto bad;

	hipc__lock(port);
	ept = lookup_locked(dev, dst);
	if (!ept)
		dev->stats.rx_dropped++;
	dev->stats.rx_msgs++;
	dev->stats.rx_bytes += plen;
	hipc__unlock(port);

	if (ept) {
		ret = ept->cb(ept, buf + HIPC_RPMSG_HDR_SIZE, plen, src,
			      ept->priv);
		if (ret == HIPC_RPMSG_HOLD) {
			hipc__lock(port);
			if (is_driver(dev))
				dev->buf_state[drv_buf_index(dev, buf, 0)] =
					BUF_HELD;
			else
				hipc__put32(buf + HDR_RESERVED,
					    HELD_MAGIC | head);
			hipc__unlock(port);
			return 1;
		}
	}
	hipc__lock(port);
	recycle_rx_locked(dev, buf, head);
	if (hipc_vring_need_notify(rxq(dev)))
		*kick = true;
	hipc__unlock(port);
	return 1;
bad:
	/* Hand the buffer back so the ring stays consistent for a reset,
	 * then stop trusting this peer. */
	hipc__lock(port);
	recycle_rx_locked(dev, buf, head);
	hipc_vring_mark_broken(rxq(dev));
	dev_fail(dev);
	hipc__unlock(port);
	return -HIPC_EIO;
}

int hipc_rpmsg_release_rx(struct hipc_rpmsg_dev *dev, void *data)
{
	uint8_t *buf = (uint8_t *)data - HIPC_RPMSG_HDR_SIZE;
	bool kick;
	int ret = 0;

	if (!dev || !data)
		return -HIPC_EINVAL;
	hipc__lock(dev->cfg.port);
	if (is_driver(dev)) {
		int i = drv_buf_index(dev, buf, 0);

		if (i < 0 || i >= (int)dev->cfg.num ||
		    dev->buf_state[i] != BUF_HELD)
			ret = -HIPC_EINVAL;
		else
			ret = drv_post_rx_locked(dev, (unsigned)i);
	} else {
		uint16_t head;

		ret = reserved_head(dev, buf, &head);
		if (ret == 0) {
			hipc__put32(buf + HDR_RESERVED, 0);
			ret = hipc_vring_put_used(rxq(dev), head, 0);
		}
	}
	kick = ret == 0 && hipc_vring_need_notify(rxq(dev));
	hipc__unlock(dev->cfg.port);
	if (kick)
		ring_doorbell(dev, rxq_index(dev));
	return ret;
}

int hipc_rpmsg_poll(struct hipc_rpmsg_dev *dev, unsigned budget)
{
	bool kick = false;
	int n = 0, r;

	if (dev_check_broken(dev))
		return -HIPC_EIO;
	if (!ld_flag(&dev->ready))
		return 0;
	if (!rx_claim(dev))
		return 0;
	if (budget == 0)
		budget = dev->cfg.num;
	for (;;) {
		bool more;

		while ((unsigned)n < budget) {
			r = rx_one(dev, &kick);
			if (r < 0) {
				n = r;
				goto out;
			}
			if (r == 0)
				break;
			n++;
			/* Do not let a long burst starve a peer that waits
			 * for the buffers we already recycled. */
			if (kick && (n & 15) == 0) {
				ring_doorbell(dev, rxq_index(dev));
				kick = false;
			}
		}
		if ((unsigned)n >= budget)
			break;
		hipc__lock(dev->cfg.port);
		more = !hipc_vring_enable_cb(rxq(dev));
		hipc__unlock(dev->cfg.port);
		if (!more)
			break;
	}
out:
	if (kick)
		ring_doorbell(dev, rxq_index(dev));
	if (ld_flag(&dev->announce_pending))
		announce_pending(dev);
	rx_release(dev);
	if (n < 0 || dev_check_broken(dev))
		return -HIPC_EIO;
	return n;
}

bool hipc_rpmsg_prepare_sleep(struct hipc_rpmsg_dev *dev)
{
	bool idle;

	if (dev_check_broken(dev))
		return false;
	hipc__lock(dev->cfg.port);
	idle = hipc_vring_enable_cb(rxq(dev));
	/* A sender waiting for tx space also needs its doorbell. */
	if (idle && dev->tx_waiters)
		idle = hipc_vring_enable_cb(txq(dev));
	hipc__unlock(dev->cfg.port);
	return idle && !ld_flag(&dev->announce_pending);
}
