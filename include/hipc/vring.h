/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtio split virtqueue in shared memory, legacy layout (vring_init() in
 * <linux/virtio_ring.h>), in both roles:
 *
 *  - driver (the Linux side): owns the buffers, posts them in the avail
 *    ring, takes them back from the used ring;
 *  - device (the remote side): takes buffers from the avail ring, returns
 *    them through the used ring.
 *
 * Everything the peer can write is read once, into a local, validated, and
 * only then used.  A peer that breaks the protocol marks the ring broken
 * (sticky), bumps @errors, and every later call fails with -HIPC_EIO: never an
 * out-of-bounds access, never a loop longer than num.
 *
 * The vring keeps its own indices in local memory; the shared copies are
 * written, never trusted back.
 */
#ifndef HIPC_VRING_H
#define HIPC_VRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hipc/export.h"
#include "hipc/memmap.h"
#include "hipc/port.h"

#define HIPC_VRING_DESC_F_NEXT 1u
#define HIPC_VRING_DESC_F_WRITE 2u
#define HIPC_VRING_DESC_F_INDIRECT 4u
#define HIPC_VRING_USED_F_NO_NOTIFY 1u
#define HIPC_VRING_AVAIL_F_NO_INTERRUPT 1u
#define HIPC_VIRTIO_F_EVENT_IDX 29u /* feature bit number */
#define HIPC_VRING_NUM_MAX 32768u

enum hipc_vring_role {
	HIPC_VRING_DRIVER = 0,
	HIPC_VRING_DEVICE = 1,
};

/*
 * A ring given as three parts, each at the driver's address (vhost-user's
 * SET_VRING_ADDR); struct hipc_rpmsg_dev_config translates them.
 */
struct hipc_vring_addr {
	uint64_t desc;
	uint64_t avail;
	uint64_t used;
};

/*
 * Driver-role bookkeeping per descriptor, in local memory: the caller
 * provides the storage (num slots per ring), the ring owns it.
 */
struct hipc_vring_slot {
	/* private */
	void *token;      /* what hipc_vring_get_used() gives back */
	uint32_t len;     /* posted length: the most a used entry may claim */
	uint16_t next;    /* free-list link */
	uint16_t state;   /* free / in flight */
};

/*
 * One side's view of a ring, in caller storage.  Every field is private:
 * the ring is used through the functions below, and looked at through
 * hipc_vring_info() and hipc_vring_broken().
 */
struct hipc_vring {
	/* private */
	uint8_t *desc;  /* shared: num * 16 bytes */
	uint8_t *avail; /* shared: flags, idx, ring[num], used_event */
	uint8_t *used;  /* shared: flags, idx, ring[num], avail_event */
	const struct hipc_port *port;
	const struct hipc_memmap *map; /* device role: peer addresses */
	struct hipc_vring_slot *slots; /* driver role: num entries */
	uint16_t num;
	uint8_t role;
	bool event_idx;
	bool broken;
	bool cb_enabled;
	uint16_t next_idx;  /* driver: next avail idx; device: next used idx */
	uint16_t last_idx;  /* driver: used entries consumed; device: avail consumed */
	uint16_t kicked_idx; /* next_idx when the peer was last notified */
	uint16_t peer_seen; /* the peer's index when last read (checked) */
	uint16_t num_free;  /* driver: free descriptors */
	uint16_t free_head; /* driver: free-list head */
	uint32_t errors;    /* protocol violations seen */
};

/*
 * Where a ring stands (hipc_vring_info()): for reports, tests and tools,
 * never for protocol decisions.  Indices run free modulo 2^16.
 */
struct hipc_vring_info {
	/* public: all of it */
	unsigned num;          /* entries */
	enum hipc_vring_role role;
	uint16_t produced;     /* entries we published (driver: avail idx;
				* device: used idx) */
	uint16_t consumed;     /* the peer's entries we took (driver: used;
				* device: avail) */
	uint16_t notified;     /* @produced when we last decided on a doorbell */
	uint16_t peer_idx;     /* the peer's index, as read now (not validated) */
	uint16_t pending;      /* peer_idx - consumed; above num: the peer is
				* lying, and the ring breaks when it is next
				* read (after the entries seen before, under
				* HIPC_CFG_SPARE_LINES) */
	bool cb_enabled;       /* we asked the peer for notifications */
	bool event_idx;        /* VIRTIO_RING_F_EVENT_IDX in use */
	bool broken;
	uint32_t errors;       /* protocol violations seen */
	/* the ring's parts in shared memory (NULL before it is placed) */
	const void *desc;
	const void *avail;
	const void *used;
};

/**
 * hipc_vring_size() - bytes of shared memory a ring of @num entries takes
 * with the used ring at an @align boundary (same as the kernel's vring_size()).
 * Return: the size, or 0 if @num is not a power of two in [1, 32768] or
 * @align is not a power of two.
 * Context: any; pure.
 */
HIPC_API size_t hipc_vring_size(unsigned num, unsigned align);

/**
 * hipc_vring_init() - set up one side's view of a ring at @mem.
 * @role: HIPC_VRING_DRIVER or HIPC_VRING_DEVICE.
 * @slots: driver role: @num slots of local storage; device role: NULL.
 * @map: device role: translation of the driver's buffer addresses; driver: NULL.
 * @event_idx: VIRTIO_RING_F_EVENT_IDX negotiated.
 *
 * The driver zeroes the shared ring (it owns it); the device touches nothing
 * and starts at index 0, as after a reset.
 *
 * @retval 0 success
 * @retval -HIPC_EINVAL bad num/align, NULL storage, misaligned @mem
 * @retval -HIPC_ENOTSUP the role or @event_idx not in this build, or @port
 *         has cache ops a build without HIPC_CFG_CACHE would skip
 *         (hipc/config.h)
 * Context: not thread-safe with other calls on the same ring; never blocks.
 */
HIPC_API int hipc_vring_init(struct hipc_vring *vr, enum hipc_vring_role role,
			     void *mem, unsigned num, unsigned align,
			     struct hipc_vring_slot *slots,
			     const struct hipc_memmap *map,
			     const struct hipc_port *port, bool event_idx);

/**
 * hipc_vring_init_parts() - as hipc_vring_init(), for a ring whose three
 * parts the transport gives separately (vhost-user's SET_VRING_ADDR).  Each
 * part must be naturally aligned (desc 16, avail 2, used 4) and not overlap.
 * -HIPC_ENOTSUP when built without HIPC_CFG_SPLIT_INIT.
 */
HIPC_API int hipc_vring_init_parts(struct hipc_vring *vr,
				   enum hipc_vring_role role, void *desc,
				   void *avail, void *used, unsigned num,
				   struct hipc_vring_slot *slots,
				   const struct hipc_memmap *map,
				   const struct hipc_port *port, bool event_idx);

/**
 * hipc_vring_parts_check() - would a ring of @num entries given in parts at
 * @a (struct hipc_rpmsg_dev_config's vring_parts) be accepted: each part
 * inside one region of @map for the bytes a ring uses (the event-index
 * words with @event_idx), and naturally aligned?  The test
 * hipc_rpmsg_dev_init() makes, for a transport that refuses addresses as
 * soon as they are given (vhost-user's SET_VRING_ADDR).
 * @retval 0 it would
 * @retval -HIPC_ERANGE a part not wholly inside one region
 * @retval -HIPC_EINVAL @num not a power of two up to HIPC_VRING_NUM_MAX, a
 *         part misaligned, NULL @map or @a
 * @retval -HIPC_ENOTSUP built without HIPC_CFG_SPLIT_INIT
 * Context: any; pure.
 */
HIPC_API int hipc_vring_parts_check(const struct hipc_memmap *map,
				    const struct hipc_vring_addr *a,
				    unsigned num, bool event_idx);

/* --- driver role -------------------------------------------------------- */

/**
 * hipc_vring_add() - post one buffer (one descriptor) in the avail ring and
 * publish it.  @da/@len: the buffer as the device sees it; @device_writes:
 * the device fills it (an rx buffer for us).  @token comes back from
 * hipc_vring_get_used().
 * @retval 0 posted
 * @retval -HIPC_ENOSPC no free descriptor
 * @retval -HIPC_EIO ring broken
 * @retval -HIPC_EINVAL wrong role, NULL token
 * Context: caller serialises calls on one ring (the rpmsg layer holds its
 * lock); never blocks; ISR-safe.
 */
HIPC_API int hipc_vring_add(struct hipc_vring *vr, uint64_t da, uint32_t len,
			    bool device_writes, void *token);

/**
 * hipc_vring_get_used() - take back one buffer the device has finished with.
 * Return: its token and *@len (validated: never more than was posted), or
 * NULL when nothing is pending or the ring is broken (see hipc_vring_broken()).
 * Context: as hipc_vring_add().
 */
HIPC_API void *hipc_vring_get_used(struct hipc_vring *vr, uint32_t *len);

/* --- device role -------------------------------------------------------- */

/**
 * hipc_vring_get_avail() - take the next buffer the driver posted.
 * @device_writes: the direction this ring must carry (true: we fill the
 * buffer); a descriptor with the other direction, a chain or an indirect
 * table is a protocol violation.
 * On success *@head identifies the buffer for hipc_vring_put_used(), *@buf
 * points at it (bounds-checked through the memmap for the full *@len).
 * @retval 0 got one
 * @retval -HIPC_EAGAIN nothing posted
 * @retval -HIPC_EIO the ring is (now) broken
 * Context: as hipc_vring_add().
 */
HIPC_API int hipc_vring_get_avail(struct hipc_vring *vr, bool device_writes,
				  uint16_t *head, void **buf, uint32_t *len);

/**
 * hipc_vring_unget_avail() - give back the buffer the last
 * hipc_vring_get_avail() returned, untouched and unannounced (it will be
 * returned again next time).  Only valid right after that call.
 */
HIPC_API void hipc_vring_unget_avail(struct hipc_vring *vr);

/**
 * hipc_vring_put_used() - return buffer @head with @len bytes written.
 * @retval 0, -HIPC_EINVAL (@head >= num), -HIPC_EIO (broken)
 * Context: as hipc_vring_add().
 */
HIPC_API int hipc_vring_put_used(struct hipc_vring *vr, uint16_t head,
				 uint32_t len);

/* --- both roles --------------------------------------------------------- */

/**
 * hipc_vring_need_notify() - after publishing (add/put_used), should the
 * peer be notified?  Honours VRING_USED_F_NO_NOTIFY / VRING_AVAIL_F_NO_INTERRUPT
 * or, with event_idx, the peer's event index, so a burst costs one doorbell.
 * Resets the "published since last notify" mark.
 */
HIPC_API bool hipc_vring_need_notify(struct hipc_vring *vr);

/**
 * hipc_vring_pending() - is there work from the peer (driver: used entries;
 * device: avail entries) not consumed yet?  A bogus index marks the ring broken
 * and returns false.  Under HIPC_CFG_SPARE_LINES the index is read again
 * only once the entries seen at its last read are taken: until then this
 * answers true from them, and a bogus index is found at that next read.
 */
HIPC_API bool hipc_vring_pending(struct hipc_vring *vr);

/**
 * hipc_vring_enable_cb() - ask the peer to notify us on its next publish.
 * Return: false if work is already pending (process it before sleeping,
 * otherwise the notification may never come).
 */
HIPC_API bool hipc_vring_enable_cb(struct hipc_vring *vr);

/** hipc_vring_disable_cb() - tell the peer not to bother notifying (a hint). */
HIPC_API void hipc_vring_disable_cb(struct hipc_vring *vr);

/**
 * hipc_vring_info() - where @vr stands: its own indices, the peer's index
 * read once now, its error count and where its parts are.  Reads the
 * peer's index like any other operation (after a cache invalidate), but
 * never marks the ring broken.
 * @retval 0, -HIPC_EINVAL (NULL @vr or @out)
 * Context: as hipc_vring_add(); pure otherwise.
 */
HIPC_API int hipc_vring_info(const struct hipc_vring *vr,
			     struct hipc_vring_info *out);

/* Read without the lock by other threads: hence the atomic load. */
static inline bool hipc_vring_broken(const struct hipc_vring *vr)
{
	return __atomic_load_n(&vr->broken, __ATOMIC_RELAXED);
}

/** hipc_vring_mark_broken() - stop using the ring (counted as an error). */
HIPC_API void hipc_vring_mark_broken(struct hipc_vring *vr);

#endif
