/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Build-time configuration of the core (src/core) and the bare-metal port.
 *
 * Each switch removes a whole feature from the image; none changes a
 * function's signature or a public struct's layout, so code built with one
 * configuration can use headers seen by code built with another.  What a
 * removed feature's functions do instead is stated per switch (mostly
 * -HIPC_ENOTSUP).  Sizes and trade-offs: docs/config.md.
 *
 * Defaults: everything on.  A profile sets a group of switches at once; any
 * switch given explicitly (-DHIPC_CFG_X=0/1) overrides the profile.
 *
 *   HIPC_CFG_PROFILE_MINIMAL_REMOTE
 *	a remote (virtio device) that copies messages, answers from its
 *	receive callbacks or a loop, announces its services and never waits:
 *	the Cortex-M echo image.
 */
#ifndef HIPC_CONFIG_H
#define HIPC_CONFIG_H

#ifdef HIPC_CFG_PROFILE_MINIMAL_REMOTE
#ifndef HIPC_CFG_DRIVER
#define HIPC_CFG_DRIVER 0
#endif
#ifndef HIPC_CFG_BLOCKING
#define HIPC_CFG_BLOCKING 0
#endif
#ifndef HIPC_CFG_ZEROCOPY
#define HIPC_CFG_ZEROCOPY 0
#endif
#ifndef HIPC_CFG_NS_RX
#define HIPC_CFG_NS_RX 0
#endif
#ifndef HIPC_CFG_EVENT_IDX
#define HIPC_CFG_EVENT_IDX 0
#endif
#ifndef HIPC_CFG_LOCK
#define HIPC_CFG_LOCK 0
#endif
#ifndef HIPC_CFG_CACHE
#define HIPC_CFG_CACHE 0
#endif
#ifndef HIPC_CFG_SPLIT_INIT
#define HIPC_CFG_SPLIT_INIT 0
#endif
#ifndef HIPC_CFG_STATS
#define HIPC_CFG_STATS 0
#endif
#ifndef HIPC_CFG_MBOX_FIFO
#define HIPC_CFG_MBOX_FIFO 0
#endif
#ifndef HIPC_CFG_CRC
#define HIPC_CFG_CRC 0
#endif
#ifndef HIPC_CFG_MANY_EPTS
#define HIPC_CFG_MANY_EPTS 0
#endif
#ifndef HIPC_CFG_SPARE_LINES
#define HIPC_CFG_SPARE_LINES 0
#endif
#endif /* HIPC_CFG_PROFILE_MINIMAL_REMOTE */

/*
 * Roles.  HIPC_CFG_DRIVER: the virtio driver side (Linux's role: owns the
 * buffers).  HIPC_CFG_DEVICE: the remote's side.  An init for a role left
 * out fails with -HIPC_ENOTSUP.
 */
#ifndef HIPC_CFG_DRIVER
#define HIPC_CFG_DRIVER 1
#endif
#ifndef HIPC_CFG_DEVICE
#define HIPC_CFG_DEVICE 1
#endif

/*
 * Sends that wait for a buffer.  0: a send never waits; one with a timeout
 * behaves as trysend (-HIPC_EAGAIN when no buffer is free), the port's
 * wait/now_ns ops are never called, and tx-complete doorbells are never
 * requested.
 */
#ifndef HIPC_CFG_BLOCKING
#define HIPC_CFG_BLOCKING 1
#endif

/*
 * Zero copy.  0: hipc_rpmsg_get_tx_buffer(), hipc_rpmsg_send_nocopy(),
 * hipc_rpmsg_release_tx() and hipc_rpmsg_release_rx() return -HIPC_ENOTSUP,
 * and a receive callback's HIPC_RPMSG_HOLD counts as 0 (the buffer goes
 * back to the peer when the callback returns).
 */
#ifndef HIPC_CFG_ZEROCOPY
#define HIPC_CFG_ZEROCOPY 1
#endif

/*
 * Incoming name-service messages.  0: nothing listens at address 53, so the
 * peer's announcements are dropped (counted in rx_dropped), ns_cb never
 * runs and no endpoint is unbound by a peer's NS destroy.  Our own
 * announcements (device role) and hipc_rpmsg_ept_announce() still work.
 */
#ifndef HIPC_CFG_NS_RX
#define HIPC_CFG_NS_RX 1
#endif

/*
 * VIRTIO_RING_F_EVENT_IDX.  0: notifications are suppressed with the ring
 * flags only; a device or ring set up with the feature negotiated fails
 * with -HIPC_ENOTSUP (it cannot be ignored once the peer uses it), so a
 * remote built this way must not offer the bit in its resource table.
 */
#ifndef HIPC_CFG_EVENT_IDX
#define HIPC_CFG_EVENT_IDX 1
#endif

/*
 * The port's lock.  0: the core never calls lock/unlock; a device (and its
 * rings) must only ever be used from one context at a time, and a port
 * that has lock ops is refused at init (-HIPC_ENOTSUP) rather than silently
 * not used.
 */
#ifndef HIPC_CFG_LOCK
#define HIPC_CFG_LOCK 1
#endif

/*
 * Cache maintenance through the port.  0: for cores without a data cache
 * (Cortex-M0/M3/M4); a port that has cache ops is refused at init
 * (-HIPC_ENOTSUP).
 */
#ifndef HIPC_CFG_CACHE
#define HIPC_CFG_CACHE 1
#endif

/*
 * End-to-end integrity per endpoint (HIPC_RPMSG_F_CRC, hipc's own feature
 * bit): a CRC32C after the payload of each message an endpoint that asked
 * for it sends, checked on receipt.  0: the bit is never accepted
 * (hipc_rpmsg_ept_set_crc() says -HIPC_ENOTSUP) and a marked message is
 * delivered unchecked, as a peer that does not know the bit would.
 */
#ifndef HIPC_CFG_CRC
#define HIPC_CFG_CRC 1
#endif

/*
 * Rings given as three separate parts (vhost-user): hipc_vring_init_parts(),
 * hipc_vring_parts_check() and cfg.parts_map.  0: they fail with
 * -HIPC_ENOTSUP; hipc_vring_init() and cfg.vring_da[] still work.
 */
#ifndef HIPC_CFG_SPLIT_INIT
#define HIPC_CFG_SPLIT_INIT 1
#endif

/*
 * Traffic counters in struct hipc_rpmsg_stats.  0: they stay 0, except
 * proto_errors (and the rings' errors), which are always counted.
 */
#ifndef HIPC_CFG_STATS
#define HIPC_CFG_STATS 1
#endif

/*
 * Order of the mailbox model's waiting messages (hipc_mbox_send() when the
 * hardware FIFO is full).  1: a FIFO, sent in order.  0: a set, sent newest
 * first.  Either way a full hardware FIFO never loses a message and a
 * doorbell already waiting is not queued twice; 0 only gives up the order
 * between messages that both had to wait, which doorbells ("look at this
 * ring") do not need.  A remote whose control messages must stay in order
 * with its doorbells keeps 1.
 */
#ifndef HIPC_CFG_MBOX_FIFO
#define HIPC_CFG_MBOX_FIFO 1
#endif

/*
 * Many endpoints per device (thousands and more).  1: the endpoint table
 * grows into the memory cfg.mem gives (when it is set), so a lookup stays
 * O(1) whatever the caller's nbuckets; the table is hashed on every bit of
 * an address; announcing a new endpoint touches no other.  0: the table
 * keeps the caller's nbuckets buckets (cfg.mem is ignored), hashed on an
 * address's low bits, and announcing walks it: the least code, for a
 * handful of endpoints (the minimal remote's one).
 */
#ifndef HIPC_CFG_MANY_EPTS
#define HIPC_CFG_MANY_EPTS 1
#endif

/*
 * Sparing the lines both cores share: the peer's index is read once per
 * batch (the value read last, checked then, serves until we catch up with
 * it), and on memory both cores see coherently (no cache maintenance) a
 * descriptor, avail entry or used entry that already holds the bytes to
 * be written is not written again.  0: every entry is written and the
 * index read for every one taken; the same protocol, more line transfers
 * between the cores, less code.
 */
#ifndef HIPC_CFG_SPARE_LINES
#define HIPC_CFG_SPARE_LINES 1
#endif

#if !HIPC_CFG_DRIVER && !HIPC_CFG_DEVICE
#error "at least one of HIPC_CFG_DRIVER and HIPC_CFG_DEVICE must be 1"
#endif

#endif
