/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring set-up for the rpmsg layer, which builds both of a device's rings
 * from one description instead of passing nine arguments per ring, and
 * the device role's shortcuts into the ring.
 */
#ifndef HIPC_VRING_INTERNAL_H
#define HIPC_VRING_INTERNAL_H

#include "hipc/vring.h"

/*
 * hipc_vring_init() in steps, for the rpmsg layer, which checks both of a
 * device's rings before it writes to either.
 *
 * hipc__vring_place() - place a ring that @vr already describes (role, num
 * at most HIPC_VRING_NUM_MAX, slots, map, port and event_idx set, every
 * other field zero) at the driver's address @da, translated through
 * vr->map: the whole ring, hipc_vring_size(num, align) bytes, must lie in
 * one region, 16-aligned.  The description must be one the public
 * constructors would accept: a role of the enum, slots for the driver, a
 * map (hipc_rpmsg_dev_init() has checked its config for exactly that), and
 * one this build and its port support (the role, event_idx, the port's
 * ops: hipc_rpmsg_dev_init() checks them once for both rings).  Writes
 * nothing to shared memory.  A refused ring is left half described (the
 * caller discards it).
 * @retval 0
 * @retval -HIPC_EINVAL bad num or align, a misaligned ring
 * @retval -HIPC_ERANGE the ring not wholly inside one region of the map
 */
int hipc__vring_place(struct hipc_vring *vr, unsigned align, uint64_t da);

/*
 * hipc__vring_place_parts() - hipc__vring_place() for a ring given as three
 * parts at addresses @map translates (vhost-user: the master's virtual
 * addresses).  Each part must lie in one region, for the bytes the ring
 * touches (the event-index words only with the feature), and be naturally
 * aligned (desc 16, avail 2, used 4).  Same returns; -HIPC_ENOTSUP without
 * HIPC_CFG_SPLIT_INIT.
 */
int hipc__vring_place_parts(struct hipc_vring *vr,
			    const struct hipc_memmap *map,
			    const struct hipc_vring_addr *a);

/*
 * hipc__vring_clear() - driver role, once the ring is placed: zero the
 * shared ring (the driver owns it) and free every slot.
 */
void hipc__vring_clear(struct hipc_vring *vr);

/*
 * hipc__vring_take_avail() - hipc_vring_get_avail() with its three results
 * in one struct (the rpmsg layer's two calls pass one pointer instead of
 * three and a stack argument), and a floor: a buffer shorter than @min_len
 * bytes breaks the ring like any other bad descriptor (the public form's
 * floor is 1).  Same checks otherwise, same returns.
 */
struct hipc__avail {
	void *buf;
	uint32_t len;
	uint16_t head;
};
int hipc__vring_take_avail(struct hipc_vring *vr, bool device_writes,
			   uint32_t min_len, struct hipc__avail *out);

/*
 * hipc__vring_peer_moved() - has the peer's index moved past ours?  For a
 * thread that does not hold the ring's lock (a spinning wait): it only
 * reads, and judges nothing: an index that claims too much is "moved", so
 * that the poll it asks for finds it out under the lock.  False on a
 * broken ring.
 */
bool hipc__vring_peer_moved(const struct hipc_vring *vr);

/*
 * hipc__vring_return() - hipc_vring_put_used() for a @head that
 * hipc__vring_take_avail() handed out on this device-role ring (so already
 * range-checked; never one read back from shared memory).
 */
int hipc__vring_return(struct hipc_vring *vr, uint16_t head, uint32_t len);

/*
 * hipc__vring_peek() - the buffer of the entry @k places after the next one
 * the peer has published (0: the next), at least @min_len bytes, without
 * taking it; NULL if the peer has published no such entry.  A hint for
 * prefetching only: what it reads in shared memory decides nothing, and
 * the take that consumes the entry reads and checks it afresh.  It reads
 * only through our own records (the driver's slots) or a translation
 * through the ring's map, so a lying peer moves the hint, never the read,
 * outside our memory.  No cache maintenance: a stale line gives a stale
 * hint.  Caller holds the lock the ring's takes hold.
 */
void *hipc__vring_peek(struct hipc_vring *vr, uint16_t k, uint32_t min_len);

#endif
