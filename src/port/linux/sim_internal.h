/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared between the host and remote halves of the simulation. */
#ifndef HIPC_SIM_INTERNAL_H
#define HIPC_SIM_INTERNAL_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "hipc/rsc.h"

/* What the rpmsg device of a (validated) resource table says. */
struct hipc_sim_vdev {
	size_t vdev_off;        /* the vdev entry, from the table's start */
	uint32_t dfeatures;
	uint32_t gfeatures;
	uint8_t status;
	uint32_t num;           /* entries per vring (both must agree) */
	uint32_t align;
	uint32_t vring_da[2];
	uint32_t notifyid[2];
	uint32_t buf_size;      /* hipc vendor entry, else 512 */
	long trace_off;         /* trace entry, -1 if none */
	uint32_t trace_da;
	uint32_t trace_len;
};

/* Read the first rpmsg vdev.  The table must have passed
 * hipc_rsc_validate().  Returns 0, -HIPC_ENOENT (no rpmsg vdev),
 * -HIPC_EBADMSG (vrings disagree, not two vrings). */
int hipc__sim_vdev_read(const void *table, size_t size,
			struct hipc_sim_vdev *v);

static inline uint32_t hipc__rd32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline void hipc__wr32(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

/*
 * poll() until an event or @deadline_ns on hipc_now_ns()'s clock (0: no
 * deadline).  A signal does not restart the wait with its whole timeout:
 * the remaining time is computed afresh from the deadline.  With @stop
 * non-NULL, a signal that set *@stop ends the wait (-1, errno EINTR).
 * Returns poll()'s result otherwise (0: the deadline passed).
 */
struct pollfd;
int hipc__poll_until(struct pollfd *p, unsigned n, uint64_t deadline_ns,
		     const volatile sig_atomic_t *stop);

/* Offsets inside a vdev entry and its vrings. */
#define VDEV_DFEATURES 12u
#define VDEV_GFEATURES 16u
#define VDEV_STATUS 24u
#define VDEV_NUM_VRINGS 25u
#define VDEV_VRING(i) (28u + 20u * (i))
#define VRING_DA 0u
#define VRING_ALIGN 4u
#define VRING_NUM 8u
#define VRING_NOTIFYID 12u
#define TRACE_DA 4u
#define TRACE_LEN 8u

/* Trace ring header at the start of the trace buffer (ours; Linux shows the
 * buffer raw).  head counts bytes ever written; text follows. */
#define HIPC_TRACE_HDR 8u

#endif
