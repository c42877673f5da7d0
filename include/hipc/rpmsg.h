/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RPMsg over a pair of vrings, byte-compatible with Linux's virtio_rpmsg_bus
 * and OpenAMP, in both roles:
 *
 *   driver (HIPC_RPMSG_DRIVER): the Linux side.  Owns the buffer pool, posts
 *     every rx buffer in vring 0 before DRIVER_OK, sends through vring 1.
 *   device (HIPC_RPMSG_DEVICE): the remote side.  Sends by filling a buffer
 *     taken from vring 0's avail ring, receives from vring 1.
 *
 * Endpoints live in caller storage and are found through a hash table that
 * starts in the caller's bucket array and, given memory to grow into
 * (cfg.mem; HIPC_CFG_MANY_EPTS), grows with the endpoints, so a lookup
 * stays O(1) however many there are.  The name service (address
 * 53) runs when VIRTIO_RPMSG_F_NS is negotiated.
 *
 * Threads: one lock (the port's) guards the rings, pools and endpoint table.
 * Receive processing runs in one thread at a time: hipc_rpmsg_poll() claims
 * it, and a blocking send that has to wait claims it too (if free), so two
 * sides both blocked in send still make progress.  Receive callbacks run
 * without the lock in whichever thread is processing receives; they may
 * send (use a timeout or trysend: a callback that blocks forever while the
 * peer waits for us would stall both).
 */
#ifndef HIPC_RPMSG_H
#define HIPC_RPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hipc/config.h"
#include "hipc/export.h"
#include "hipc/memmap.h"
#include "hipc/port.h"
#include "hipc/vring.h"

#define HIPC_RPMSG_HDR_SIZE 16u
#define HIPC_RPMSG_NAME_SIZE 32u
#define HIPC_RPMSG_ADDR_ANY 0xFFFFFFFFu
#define HIPC_RPMSG_NS_ADDR 53u
#define HIPC_RPMSG_RESERVED_ADDRESSES 1024u
#define HIPC_RPMSG_F_NS 0u /* feature bit number */
/* hipc's own feature bit (Linux and OpenAMP know bit 0 only, and a
 * virtio driver never accepts a bit it does not know): both sides can
 * carry a CRC32C per message (hipc_rpmsg_ept_set_crc()). */
#define HIPC_RPMSG_F_CRC 8u
/* hdr.flags: the payload is followed by its CRC32C (4 bytes, little-
 * endian, not counted in hdr.len).  Linux sends 0 and ignores flags. */
#define HIPC_RPMSG_HDR_F_CRC 0x0001u
#define HIPC_RPMSG_CRC_SIZE 4u
#define HIPC_RPMSG_NS_CREATE 0u
#define HIPC_RPMSG_NS_DESTROY 1u
#define HIPC_RPMSG_DEFAULT_BUF_SIZE 512u
#define HIPC_RPMSG_DEFAULT_NUM 256u
#define HIPC_RPMSG_NO_WAIT 0u
#define HIPC_RPMSG_WAIT_FOREVER 0xFFFFFFFFu
/* Return from a receive callback to keep the buffer (release it later). */
#define HIPC_RPMSG_HOLD 1

/* Wire formats (for layout checks and tools; the code uses accessors). */
struct hipc_rpmsg_hdr {
	uint32_t src;
	uint32_t dst;
	uint32_t reserved;
	uint16_t len;
	uint16_t flags;
} __attribute__((packed));

struct hipc_rpmsg_ns_msg {
	char name[HIPC_RPMSG_NAME_SIZE];
	uint32_t addr;
	uint32_t flags;
} __attribute__((packed));

_Static_assert(sizeof(struct hipc_rpmsg_hdr) == 16, "rpmsg header is 16 bytes");
_Static_assert(sizeof(struct hipc_rpmsg_ns_msg) == 40, "ns message is 40 bytes");

enum hipc_rpmsg_role {
	HIPC_RPMSG_DRIVER = 0,
	HIPC_RPMSG_DEVICE = 1,
};

struct hipc_rpmsg_ept;
struct hipc_rpmsg_dev;

/*
 * Receive callback: @data/@len the payload (validated), @src the sender.
 * Return 0 to hand the buffer back at once, HIPC_RPMSG_HOLD to keep @data
 * valid until hipc_rpmsg_release_rx(); anything else counts as 0.
 * Context: the receiving thread (interrupt context on an MCU), no lock held.
 */
typedef int (*hipc_rpmsg_rx_cb)(struct hipc_rpmsg_ept *ept, void *data,
				size_t len, uint32_t src, void *priv);
/* The endpoint's peer went away (service destroyed, device reset). */
typedef void (*hipc_rpmsg_unbind_cb)(struct hipc_rpmsg_ept *ept);
/*
 * Name-service event: the peer announced (@destroyed false) or withdrew a
 * service @name at @addr.  The usual reply to an announcement is to create
 * an endpoint with dst = @addr (a "channel").
 */
typedef void (*hipc_rpmsg_ns_cb)(struct hipc_rpmsg_dev *dev, const char *name,
				 uint32_t addr, bool destroyed, void *priv);

/*
 * An endpoint, in caller storage.  hipc_rpmsg_ept_create() fills it in.
 */
struct hipc_rpmsg_ept {
	/* public: read freely; the owner may also set @priv and @unbind, and
	 * @dst (the default destination).  The name first: the address of
	 * the struct is the name's, which a Cortex-M reaches with shorter
	 * instructions. */
	char name[HIPC_RPMSG_NAME_SIZE]; /* NUL-padded; "" for none */
	struct hipc_rpmsg_dev *dev; /* NULL once destroyed, or unbound by
				     * hipc_rpmsg_dev_deinit() */
	hipc_rpmsg_rx_cb cb;
	hipc_rpmsg_unbind_cb unbind;
	void *priv;
	uint32_t addr;              /* our address */
	uint32_t dst;               /* default destination */
	/* private */
	struct hipc_rpmsg_ept *hnext; /* hash chain (by address) */
	uint32_t flags;
	uint32_t ns_flags; /* its next name-service message's flags */
	/* Chain by name, where the device keeps that index (a grown table,
	 * HIPC_CFG_MANY_EPTS): @npprev points at what points at us.  Last:
	 * the fields a send or a dispatch reads stay as close together as
	 * they were. */
	struct hipc_rpmsg_ept *nnext;
	struct hipc_rpmsg_ept **npprev;
	/* Next in the device's queue of endpoints waiting to be announced
	 * (HIPC_CFG_MANY_EPTS). */
	struct hipc_rpmsg_ept *pnext;
};

/* A device's counters (hipc_rpmsg_get_stats()). */
struct hipc_rpmsg_stats {
	/* public: all of it */
	uint64_t tx_msgs;
	uint64_t rx_msgs;
	uint64_t tx_bytes;
	uint64_t rx_bytes;
	uint64_t notifies;      /* doorbells we rang */
	uint64_t rx_dropped;    /* no endpoint at dst */
	uint64_t tx_waits;      /* sends that had to wait for a buffer */
	uint32_t proto_errors;  /* peer protocol violations */
	uint32_t ns_rx;
	uint32_t crc_errors;    /* messages dropped: CRC32C wrong, or the
				 * CRC past the buffer (HIPC_RPMSG_F_CRC) */
	uint64_t crc_checked;   /* messages whose CRC32C was right */
};

/* What hipc_rpmsg_dev_init() sets a device up from (copied). */
struct hipc_rpmsg_dev_config {
	/* public: all of it */
	enum hipc_rpmsg_role role;
	uint32_t notifyid[2];    /* what to ring the doorbell with, per vring */
	unsigned num;            /* entries per vring = buffers per direction */
	unsigned align;          /* used-ring alignment */
	uint32_t features;       /* negotiated: bit 0 NS, bit 29 EVENT_IDX */
	uint32_t buf_size;       /* bytes per buffer (header included) */
	/* driver role: the pool, num rx buffers then num tx buffers */
	void *bufs;
	/* peer addresses <-> our pointers (both roles) */
	const struct hipc_memmap *map;
	/* local storage: HIPC_RPMSG_STORAGE_SIZE(role, num) bytes, 8-aligned */
	void *storage;
	size_t storage_size;
	/*
	 * The endpoint table to start with: nbuckets (a power of two)
	 * pointers.  With @mem the table doubles whenever endpoints
	 * outnumber its buckets (the core then leaves this array, cleared,
	 * until hipc_rpmsg_dev_deinit()); without it a lookup walks a chain
	 * of about endpoints / nbuckets.
	 */
	struct hipc_rpmsg_ept **buckets;
	unsigned nbuckets;
	const struct hipc_port *port;
	hipc_rpmsg_ns_cb ns_cb;
	void *ns_priv;
	uint32_t send_timeout_ms; /* hipc_rpmsg_send(); 0: 15000 as Linux */
	/* CRC32C for HIPC_RPMSG_F_CRC, same values as hipc_crc32c() (a CPU
	 * instruction on Linux: hipc_crc32c_fast()).  NULL: hipc_crc32c(). */
	uint32_t (*crc32c)(uint32_t crc, const void *buf, size_t len);
	/*
	 * Where the rings are (last: only hipc_rpmsg_dev_init() reads them).
	 * Both roles give each ring's address as the resource table has it,
	 * the driver's address for it, and the core translates it through
	 * @map as it does a buffer's: vring 0 (remote->Linux) at vring_da[0],
	 * vring 1 (Linux->remote) at vring_da[1].  Each whole ring,
	 * hipc_vring_size(num, align) bytes, must lie inside one region of
	 * @map, 16-aligned.
	 */
	uint64_t vring_da[2];
	/*
	 * Alternatively each ring's three parts (vhost-user), used when
	 * @parts_map is set, which translates them: vhost-user's
	 * SET_VRING_ADDR gives the parts as the master's virtual addresses,
	 * not in the guest physical space of @map.  Each part must lie
	 * inside one region of @parts_map for the bytes the ring uses (desc
	 * 16 * num, avail 4 + 2 * num, used 4 + 8 * num; avail and used 2
	 * more with EVENT_IDX) and be naturally aligned (desc 16, avail 2,
	 * used 4).
	 */
	struct hipc_vring_addr vring_parts[2];
	const struct hipc_memmap *parts_map;
	/* Memory to grow the endpoint table into (NULL: it keeps nbuckets;
	 * ignored by a core built with HIPC_CFG_MANY_EPTS=0). */
	const struct hipc_mem_ops *mem;
};

/* Local storage the driver role needs per device (the device role: none). */
#define HIPC_RPMSG_STORAGE_SIZE(role, num)                                   \
	((role) == HIPC_RPMSG_DRIVER                                         \
		 ? (2u * (num) * sizeof(struct hipc_vring_slot) +            \
		    (num) * sizeof(uint16_t) + 2u * (num))                   \
		 : 0u)

/* Device role: zero-copy tx reservations (private). */
#define HIPC_RPMSG_ZC_SLOTS 4u
/* Device role: rx buffers callbacks may hold at once.  Receiving pauses
 * (messages wait on the ring) while all are held, and resumes on release. */
#define HIPC_RPMSG_HOLD_SLOTS 8u
struct hipc_rpmsg_zc {
	/* private */
	void *buf;
	uint32_t len;
	uint16_t head;
	uint8_t state;
};

/*
 * A device, in caller storage.  Every field is private: read it through
 * hipc_rpmsg_role(), hipc_rpmsg_features(), hipc_rpmsg_get_stats(),
 * hipc_rpmsg_ring_info(), hipc_rpmsg_broken() and hipc_rpmsg_max_payload().
 */
struct hipc_rpmsg_dev {
	/* private */
	/* Small, often used fields first: short load/store encodings on
	 * Thumb-2 reach only the first bytes of a struct. */
	bool ready;
	bool rx_busy;
	bool broken;
	bool announce_pending;
	uint16_t tx_nfree;
	uint16_t tx_fresh;  /* driver: tx buffers never handed out yet */
	uint32_t next_addr; /* next address for "any", less the reserved ones */
	uint32_t nepts;
	uint32_t tx_waiters;
	/* Peer protocol violations: counted outside the lock, on the error
	 * path every image links, so kept here (short stores) rather than in
	 * @stats, whose own proto_errors stays 0. */
	uint32_t proto_errors;
	/* The configuration before the rings: its fields are what the hot
	 * paths load, and word loads have short encodings up to offset 124. */
	struct hipc_rpmsg_dev_config cfg;
	struct hipc_vring vr[2]; /* index as on the wire: 0 remote->Linux */
	struct hipc_rpmsg_ept ns_ept;
	uint16_t *tx_free;  /* driver: stack of free tx buffer indices */
	uint8_t *buf_state; /* driver: per buffer, rx then tx */
	struct hipc_rpmsg_zc zc[HIPC_RPMSG_ZC_SLOTS];
	struct hipc_rpmsg_stats stats; /* traffic counters, under the lock */
	/* Device role: rx buffers held by callbacks (HIPC_RPMSG_HOLD), kept
	 * here and never in shared memory, where the peer could rewrite which
	 * ring slot we hand back. */
	struct hipc_rpmsg_zc held[HIPC_CFG_ZEROCOPY ? HIPC_RPMSG_HOLD_SLOTS : 1u];
	bool rx_starved; /* every held slot in use: receive paused */
	/* Whose callback runs now, in which thread, and how many destroyers
	 * wait for it to return (HIPC_CFG_LOCK builds). */
	struct hipc_rpmsg_ept *cb_ept;
	uintptr_t rx_thread;
	uint32_t cb_waiters;
	bool tx_wanted; /* a loop asked to be woken for tx space (under the
			 * lock) */
	uint32_t crc_errors; /* HIPC_RPMSG_F_CRC drops, counted atomically */
	/* The endpoint table as the caller gave it: cfg.buckets and
	 * cfg.nbuckets are the one in use, which may have grown since. */
	struct hipc_rpmsg_ept **user_buckets;
	unsigned user_nbuckets;
	/* With a grown table: as many buckets again, chaining the named
	 * endpoints by name (a withdrawn service's channels are found in
	 * its chain); NULL with the caller's table. */
	struct hipc_rpmsg_ept **names;
	/* Endpoints waiting to be announced, in the order they were created
	 * (HIPC_CFG_MANY_EPTS): announcing takes the first, no walk. */
	struct hipc_rpmsg_ept *pend_head;
	struct hipc_rpmsg_ept *pend_tail;
	uint16_t corked; /* hipc_rpmsg_cork() nesting (under the lock) */
};

/**
 * hipc_rpmsg_dev_init() - set up a device from @cfg (copied).
 * Driver role: initialises both vrings and posts every rx buffer, without
 * notifying: set DRIVER_OK, then call hipc_rpmsg_dev_start().
 * Device role: call only after the driver set DRIVER_OK; touches nothing in
 * shared memory until hipc_rpmsg_dev_start().
 * Every check comes first: a refused @cfg leaves shared memory untouched.
 * @retval 0, -HIPC_EINVAL (a field of @cfg is wrong, a ring misaligned;
 *         storage too small)
 * @retval -HIPC_ERANGE a ring (or a part of one) not wholly inside one
 *         region of its map
 * @retval -HIPC_ENOTSUP the role, EVENT_IDX, split rings, or the port's lock
 *         or cache ops are not in this build (hipc/config.h)
 * Context: not thread-safe; never blocks.
 */
HIPC_API int hipc_rpmsg_dev_init(struct hipc_rpmsg_dev *dev,
				 const struct hipc_rpmsg_dev_config *cfg);

/**
 * hipc_rpmsg_dev_start() - go live.  Driver: kicks vring 0 so the remote
 * sees the posted buffers.  Device: announces every named endpoint created
 * so far.  @retval 0 or an error from the port's notify.
 */
HIPC_API int hipc_rpmsg_dev_start(struct hipc_rpmsg_dev *dev);

/**
 * hipc_rpmsg_dev_deinit() - the peer is gone (crash, stop, reset): every
 * endpoint is unbound (its unbind callback runs) and removed.  The caller's
 * storage may be reused afterwards.
 * Context: not concurrently with poll or send on the same device.
 */
HIPC_API void hipc_rpmsg_dev_deinit(struct hipc_rpmsg_dev *dev);

/**
 * hipc_rpmsg_poll() - process what the peer sent: deliver up to @budget
 * messages (0: no limit beyond one pass over the ring), return consumed tx
 * buffers, re-arm notifications.
 * Return: messages delivered (>= 0), -HIPC_EIO if the device is broken.
 * Returns 0 at once if another thread is processing receives.
 * Context: thread or loop (interrupt/bottom half on an MCU); not from a
 * receive callback (returns 0 there).
 */
HIPC_API int hipc_rpmsg_poll(struct hipc_rpmsg_dev *dev, unsigned budget);

/**
 * hipc_rpmsg_poll_busy() - hipc_rpmsg_poll() for a loop that keeps looking
 * by itself between polls (it spins on hipc_rpmsg_pending()) and calls
 * hipc_rpmsg_prepare_sleep() before it sleeps: an empty ring leaves the
 * peer's notifications off, so a stream the loop keeps up with costs no
 * doorbell at all.  A loop that may sleep without prepare_sleep must use
 * hipc_rpmsg_poll(), or it sleeps through the next message.
 * Return and context: as hipc_rpmsg_poll().
 */
HIPC_API int hipc_rpmsg_poll_busy(struct hipc_rpmsg_dev *dev, unsigned budget);

/**
 * hipc_rpmsg_pending() - would a poll find work?  The rx ring holds a
 * message, a tx buffer came back for a waiting sender, an announcement
 * waits, or the device broke.  Asks the peer for nothing: what a busy loop
 * spins on instead of a doorbell.  A hint; the poll decides.
 * Context: any thread; never blocks, takes no lock, writes nothing.
 */
HIPC_API bool hipc_rpmsg_pending(struct hipc_rpmsg_dev *dev);

/**
 * hipc_rpmsg_cork() - hold back doorbells for a burst of sends: the
 * messages are published at once (a polling peer sees each as it lands),
 * but the peer is notified only when 3/4 of the ring are waiting, before a
 * send has to wait for a buffer, and at hipc_rpmsg_uncork().  Nests.  A
 * stream then costs a doorbell per burst, not per message.  Every sender
 * on @dev is held back until the matching uncork: keep bursts short.
 * Builds without blocking sends (HIPC_CFG_BLOCKING=0) ring for every
 * message regardless: only a send that may wait can ring before it does.
 * Context: any thread; never blocks.
 */
HIPC_API void hipc_rpmsg_cork(struct hipc_rpmsg_dev *dev);

/**
 * hipc_rpmsg_uncork() - end a burst: when the outermost cork ends, notify
 * the peer of whatever it has not heard of yet (if it asked to be).
 * Context: any thread; never blocks.
 */
HIPC_API void hipc_rpmsg_uncork(struct hipc_rpmsg_dev *dev);

/**
 * hipc_rpmsg_prepare_sleep() - before sleeping on the doorbell: ask the peer
 * for a notification on its next message.  Return: false when work is
 * already pending (poll again instead of sleeping).
 */
HIPC_API bool hipc_rpmsg_prepare_sleep(struct hipc_rpmsg_dev *dev);

/**
 * hipc_rpmsg_prepare_sleep_tx() - hipc_rpmsg_prepare_sleep() for a loop
 * that also waits for a tx buffer (a trysend that found none; POLLOUT): the
 * peer is also asked for a doorbell when it gives a tx buffer back.  The
 * request lasts until the loop prepares to sleep with plain
 * hipc_rpmsg_prepare_sleep() again, which takes it back (tx-complete
 * doorbells can cost one per message while they are on).
 * Return: false when work is pending or a tx buffer is free now (poll or
 * send again instead of sleeping).
 */
HIPC_API bool hipc_rpmsg_prepare_sleep_tx(struct hipc_rpmsg_dev *dev);

/*
 * Looking at a device.  Freestanding and cheap; an image links only those
 * it calls.
 */

/** hipc_rpmsg_broken() - has the peer broken the protocol (sticky)?
 * Context: any thread, callbacks included. */
HIPC_API bool hipc_rpmsg_broken(const struct hipc_rpmsg_dev *dev);

/** hipc_rpmsg_max_payload() - largest payload one message can carry. */
HIPC_API uint32_t hipc_rpmsg_max_payload(const struct hipc_rpmsg_dev *dev);

/** hipc_rpmsg_role() - the role @dev was set up in. */
HIPC_API enum hipc_rpmsg_role hipc_rpmsg_role(const struct hipc_rpmsg_dev *dev);

/** hipc_rpmsg_features() - the features @dev was set up with (the
 * negotiated cfg.features: bit HIPC_RPMSG_F_NS, bit
 * HIPC_VIRTIO_F_EVENT_IDX). */
HIPC_API uint32_t hipc_rpmsg_features(const struct hipc_rpmsg_dev *dev);

/**
 * hipc_rpmsg_get_stats() - copy @dev's counters to @out.  The traffic
 * counters are copied under the device's lock (HIPC_CFG_LOCK), so they
 * agree with each other (a message counted in tx_msgs is in tx_bytes);
 * proto_errors and ns_rx, counted outside the lock, are read atomically.
 * Counters HIPC_CFG_STATS leaves out read 0.
 * @retval 0, -HIPC_EINVAL (NULL @dev or @out)
 * Context: any thread, callbacks included; takes the device's lock.
 */
HIPC_API int hipc_rpmsg_get_stats(const struct hipc_rpmsg_dev *dev,
				  struct hipc_rpmsg_stats *out);

/**
 * hipc_rpmsg_ring_info() - where vring @q of @dev stands (0: remote->Linux,
 * 1: Linux->remote, as on the wire): see struct hipc_vring_info.  The
 * ring's own errors are counted there, apart from the device's
 * proto_errors.
 * @retval 0, -HIPC_EINVAL (NULL @dev or @out, @q above 1)
 * Context: any thread, callbacks included; takes the device's lock.
 */
HIPC_API int hipc_rpmsg_ring_info(const struct hipc_rpmsg_dev *dev,
				  unsigned q, struct hipc_vring_info *out);

/**
 * hipc_rpmsg_ept_create() - register @ept at address @src
 * (HIPC_RPMSG_ADDR_ANY: the next free address from 1024 up; an explicit
 * address may be any other value, below 1024 included) with default
 * destination @dst.  In the device role a non-empty @name is announced to
 * the peer when the name service is on (now, or at hipc_rpmsg_dev_start()).
 * @retval 0
 * @retval -HIPC_EEXIST @src in use (53 is the name service's)
 * @retval -HIPC_ENOSPC no free dynamic address
 * @retval -HIPC_EINVAL NULL @cb or @dev, name longer than 31 bytes
 * Context: any thread; never blocks (an announcement uses trysend and is
 * retried at the next poll if no buffer is free).
 */
HIPC_API int hipc_rpmsg_ept_create(struct hipc_rpmsg_ept *ept,
				   struct hipc_rpmsg_dev *dev, const char *name,
				   uint32_t src, uint32_t dst,
				   hipc_rpmsg_rx_cb cb, void *priv);

/**
 * hipc_rpmsg_ept_set_crc() - end-to-end integrity for what @ept sends:
 * each message carries a CRC32C of its payload (4 bytes more in the
 * buffer, so hipc_rpmsg_max_payload() - 4 at most), which the peer checks
 * and drops (counting crc_errors) on a mismatch.  Only on a device that
 * negotiated HIPC_RPMSG_F_CRC, i.e. both sides asked for it; a peer
 * without it (Linux, OpenAMP) never sees a marked message.  Any marked
 * message received is checked, whichever endpoint it is for.
 * @retval 0 on (or off, @on false)
 * @retval -HIPC_ENOTSUP the device did not negotiate the bit, or the core
 *         was built with HIPC_CFG_CRC 0: nothing changes
 * @retval -HIPC_EINVAL no endpoint, or not bound to a device
 * Context: any thread; sends already under way keep what they had.
 */
HIPC_API int hipc_rpmsg_ept_set_crc(struct hipc_rpmsg_ept *ept, bool on);

/**
 * hipc_rpmsg_ept_announce() - announce @ept's name now (driver role, which
 * does not announce by itself).  @retval 0, -HIPC_ENOTSUP (no name service),
 * -HIPC_EINVAL (no name), or a send error.
 */
HIPC_API int hipc_rpmsg_ept_announce(struct hipc_rpmsg_ept *ept);

/**
 * hipc_rpmsg_ept_destroy() - unregister; an announced endpoint is withdrawn
 * (NS destroy, best effort: sent only if a tx buffer is free).  When it
 * returns no callback of @ept (receive or unbind) is running and none will
 * start, so its storage may be reused at once: called from another thread
 * while such a callback runs, it waits for the callback to return.
 * Context: any thread, its own callbacks included (there it does not wait);
 * blocks only for a callback of @ept running in another thread.  Ports with
 * a lock need the self() and wake() ops for the wait; without self() the
 * port promises one context, where the question cannot arise.
 */
HIPC_API void hipc_rpmsg_ept_destroy(struct hipc_rpmsg_ept *ept);

/**
 * hipc_rpmsg_send_ex() - copy @len bytes into one message from @src to @dst.
 * @src/@dst: HIPC_RPMSG_ADDR_ANY means the endpoint's own address / default
 * destination.  @timeout_ms: HIPC_RPMSG_NO_WAIT (never blocks),
 * HIPC_RPMSG_WAIT_FOREVER, or a bound.  While waiting for a buffer it keeps
 * processing receives (if no other thread does).
 * @retval @len (bytes sent)
 * @retval -HIPC_EMSGSIZE @len > hipc_rpmsg_max_payload(): nothing sent
 * @retval -HIPC_EAGAIN no buffer and @timeout_ms is 0, the port cannot wait,
 *         or the core is built without HIPC_CFG_BLOCKING (hipc/config.h)
 * @retval -HIPC_ETIMEDOUT no buffer within @timeout_ms
 * @retval -HIPC_EINVAL no destination, or 0xFFFFFFFF would go on the wire
 * @retval -HIPC_ENOTCONN device not started
 * @retval -HIPC_ECONNRESET the endpoint was unbound: its peer went away
 *         (crash, reset, stop) or withdrew the service it was bound to
 * @retval -HIPC_EIO device broken
 * Context: any thread; in a receive callback only with a bounded timeout.
 */
HIPC_API int hipc_rpmsg_send_ex(struct hipc_rpmsg_ept *ept, uint32_t src,
				uint32_t dst, const void *data, size_t len,
				uint32_t timeout_ms);

/*
 * Convenience forms of hipc_rpmsg_send_ex(), inline: a firmware image pays
 * for the call it makes, not for a wrapper.  The default timeout is the
 * device's cfg.send_timeout_ms (0 for an endpoint without a device, which
 * send_ex refuses anyway).
 */
static inline uint32_t hipc__rpmsg_default_timeout(struct hipc_rpmsg_ept *ept)
{
	return ept && ept->dev ? ept->dev->cfg.send_timeout_ms : 0u;
}

static inline int hipc_rpmsg_send(struct hipc_rpmsg_ept *ept, const void *data,
				  size_t len)
{
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				  data, len, hipc__rpmsg_default_timeout(ept));
}

static inline int hipc_rpmsg_sendto(struct hipc_rpmsg_ept *ept,
				    const void *data, size_t len, uint32_t dst)
{
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, dst, data, len,
				  hipc__rpmsg_default_timeout(ept));
}

static inline int hipc_rpmsg_send_offchannel(struct hipc_rpmsg_ept *ept,
					     uint32_t src, uint32_t dst,
					     const void *data, size_t len)
{
	return hipc_rpmsg_send_ex(ept, src, dst, data, len,
				  hipc__rpmsg_default_timeout(ept));
}

static inline int hipc_rpmsg_trysend(struct hipc_rpmsg_ept *ept,
				     const void *data, size_t len)
{
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				  data, len, HIPC_RPMSG_NO_WAIT);
}

static inline int hipc_rpmsg_trysendto(struct hipc_rpmsg_ept *ept,
				       const void *data, size_t len,
				       uint32_t dst)
{
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, dst, data, len,
				  HIPC_RPMSG_NO_WAIT);
}

static inline int hipc_rpmsg_send_timeout(struct hipc_rpmsg_ept *ept,
					  const void *data, size_t len,
					  uint32_t timeout_ms)
{
	return hipc_rpmsg_send_ex(ept, HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				  data, len, timeout_ms);
}


/**
 * hipc_rpmsg_get_tx_buffer() - zero copy: reserve a tx buffer; *@payload
 * points where the payload goes, *@max_len is how much fits.  Send it with
 * hipc_rpmsg_send_nocopy() or give it back with hipc_rpmsg_release_tx().
 * @retval 0, and the errors of hipc_rpmsg_send_ex()
 * @retval -HIPC_EBUSY device role: HIPC_RPMSG_ZC_SLOTS buffers are reserved
 *         already
 * @retval -HIPC_ENOTSUP built without HIPC_CFG_ZEROCOPY (the same for the
 *         three functions below)
 */
HIPC_API int hipc_rpmsg_get_tx_buffer(struct hipc_rpmsg_dev *dev,
				      void **payload, uint32_t *max_len,
				      uint32_t timeout_ms);

/**
 * hipc_rpmsg_send_nocopy() - send a buffer from hipc_rpmsg_get_tx_buffer()
 * holding @len payload bytes from @ept to @dst (ANY: ept's default).  The
 * buffer belongs to the peer afterwards, whatever the result except
 * -HIPC_EINVAL/-HIPC_EMSGSIZE (then it is still the caller's).
 * @retval @len, -HIPC_EMSGSIZE, -HIPC_EINVAL (not a reserved buffer; bad dst),
 *         -HIPC_EIO
 */
HIPC_API int hipc_rpmsg_send_nocopy(struct hipc_rpmsg_ept *ept, uint32_t dst,
				    void *payload, size_t len);

/** hipc_rpmsg_release_tx() - return an unsent reserved tx buffer. */
HIPC_API int hipc_rpmsg_release_tx(struct hipc_rpmsg_dev *dev, void *payload);

/**
 * hipc_rpmsg_release_rx() - hand back an rx buffer a callback kept with
 * HIPC_RPMSG_HOLD.  @retval 0, -HIPC_EINVAL (not a held rx buffer),
 * -HIPC_ENOTSUP (built without HIPC_CFG_ZEROCOPY: HOLD then counts as 0)
 * Context: any thread.
 */
HIPC_API int hipc_rpmsg_release_rx(struct hipc_rpmsg_dev *dev, void *data);

/** hipc_rpmsg_lookup() - the endpoint at @addr, or NULL. */
HIPC_API struct hipc_rpmsg_ept *hipc_rpmsg_lookup(struct hipc_rpmsg_dev *dev,
						  uint32_t addr);

#endif
