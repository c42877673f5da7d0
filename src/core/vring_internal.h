/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring set-up for the rpmsg layer, which builds both of a device's rings
 * from one description instead of passing nine arguments per ring.
 */
#ifndef HIPC_VRING_INTERNAL_H
#define HIPC_VRING_INTERNAL_H

#include "hipc/vring.h"

/*
 * hipc__vring_init_from() - hipc_vring_init() for a ring that @vr already
 * describes: role, num (at most HIPC_VRING_NUM_MAX), slots, map, port and
 * event_idx set, every other field zero.  The description must be one the
 * public constructors would accept: a role of the enum, slots for the
 * driver, a map for the device (hipc_rpmsg_dev_init() has checked its
 * config for exactly that), and one this build and its port support (the
 * role, event_idx, the port's ops: hipc_rpmsg_dev_init() checks them once
 * for both rings).  Checks the memory and the geometry as hipc_vring_init()
 * does; a refused ring is left half described (the caller discards it).
 */
int hipc__vring_init_from(struct hipc_vring *vr, void *mem, unsigned align);

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
 * hipc__vring_return() - hipc_vring_put_used() for a @head that
 * hipc__vring_take_avail() handed out on this device-role ring (so already
 * range-checked; never one read back from shared memory).
 */
int hipc__vring_return(struct hipc_vring *vr, uint16_t head, uint32_t len);

#endif
