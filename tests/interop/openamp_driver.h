/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A test double of OpenAMP's virtio driver ("master", RPMSG_HOST role) as
 * its Linux machine port runs rpmsg-echo-ping, for booting a real hipc
 * firmware process and driving its device role.  The rings and the rpmsg
 * driver are written here from the virtio layout in <linux/virtio_ring.h>;
 * nothing of hipc's own driver role is used.  What it borrows from hipc is
 * the simulation's platform: the firmware loader, the region planner, the
 * control page and the mailbox link (an OpenAMP port supplies the same
 * things through libmetal and remoteproc).
 *
 * The habits it copies, because they are what breaks a device that does
 * not expect them:
 *  - tx buffers: it first takes back a buffer the device returned on
 *    vring 1's used ring and uses that entry's used.len as the buffer's
 *    capacity (payload = used.len - 16); only when none is back does it
 *    take a fresh one from the pool (capacity = the buffer size).  A
 *    message longer than that capacity is refused here and counted
 *    (OpenAMP would send it with a wrong header length);
 *  - tx descriptors carry the whole buffer size as their length;
 *  - rx buffers: each one goes back on vring 0 with the used.len the
 *    device wrote for it as its new length;
 *  - features: it accepts every feature the firmware offers (gfeatures =
 *    dfeatures), VIRTIO_RING_F_EVENT_IDX included, yet never writes
 *    used_event (it stays 0) and decides its own kicks by the used ring's
 *    NO_NOTIFY flag only;
 *  - it is interrupt driven: it looks at the rings only when a doorbell
 *    came.  A reply that sits in the used ring without one is reported as
 *    a stall.
 */
#ifndef HIPC_TEST_OPENAMP_DRIVER_H
#define HIPC_TEST_OPENAMP_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/virtio_ring.h>

#include "hipc/linux.h"
#include "sim_proto.h"

#define OA_MAX_NUM 1024u
#define OA_MAX_SERVICES 8u
#define OA_HDR 16u
#define OA_NS_ADDR 53u
#define OA_LOCAL_ADDR 1024u /* the first address OpenAMP hands out */

struct oa_service {
	char name[32];
	uint32_t addr;
	bool destroyed;
};

/* What the double saw; the tests assert on it. */
struct oa_stats {
	uint64_t tx_msgs;
	uint64_t rx_msgs;
	uint64_t tx_reused;        /* tx buffers taken back from vring 1 */
	uint64_t tx_short;         /* ... whose used.len was below buf_size */
	uint32_t tx_min_capacity;  /* smallest used.len taken as a capacity */
	uint64_t tx_refused;       /* messages longer than that capacity */
	uint32_t tx_refused_cap;   /* ... the capacity of the last one */
	uint32_t rx_min_repost;    /* smallest length an rx buffer went back with */
	uint64_t rx_bad;           /* used entries that made no sense */
	uint64_t vring_doorbells;  /* doorbells other than control messages */
	uint64_t kicks;            /* doorbells we rang */
	uint64_t stalls;           /* replies found without a doorbell */
	bool ready;                /* the firmware said READY */
	bool crashed;
};

typedef void (*oa_rx_cb)(void *priv, uint32_t src, uint32_t dst,
			 const uint8_t *data, size_t len);

struct oa_drv {
	/* platform, borrowed from the simulation */
	struct hipc_shm shm;
	struct hipc_link *link;
	struct hipc_sim_vdev v;
	struct hipc__layout lay;
	uint8_t *tbl;
	pid_t pid;
	int pidfd;
	uint64_t ctrl_msgs;
	uint64_t seen_doorbells;

	/* the driver */
	uint32_t features;       /* what we wrote to gfeatures */
	unsigned num;
	uint32_t buf_size;
	struct vring vr[2];      /* 0: rx (device to us), 1: tx */
	uint16_t last_used[2];   /* our consumption index of each used ring */
	uint16_t free_head[2];   /* free descriptor chain, as virtqueue.c */
	unsigned nfree[2];
	void *cookie[2][OA_MAX_NUM];
	uint8_t *pool;           /* 2 * num buffers */
	size_t pool_next;        /* next never-used buffer */

	struct oa_service svc[OA_MAX_SERVICES];
	unsigned nsvc;
	oa_rx_cb cb;
	void *cb_priv;
	struct oa_stats st;
};

/*
 * Boot @firmware (a hipc firmware ELF) under the double: lay out its
 * region, spawn it, post every rx buffer, DRIVER_OK, kick vring 0, then
 * wait (up to @timeout_ms) for READY and for @service to be announced.
 * Return: 0, or -1 with a line on stdout saying why.
 */
int oa_boot(struct oa_drv *d, const char *firmware, const char *service,
	    unsigned timeout_ms);

/* The announced address of @name, or 0xFFFFFFFF. */
uint32_t oa_service_addr(const struct oa_drv *d, const char *name);

/*
 * Send one message from OA_LOCAL_ADDR to @dst.  Takes a buffer as OpenAMP
 * does (see above); -EAGAIN when no buffer is free, -EMSGSIZE when the
 * buffer's capacity (as the device's used.len made it) is too small.
 */
int oa_send(struct oa_drv *d, uint32_t dst, const void *data, size_t len);

/*
 * Wait for the next doorbell (at most @timeout_ms) and run the receive
 * path if one came.  Return: messages delivered (>= 0); -ETIMEDOUT when no
 * doorbell came; a reply that was nevertheless waiting in the used ring
 * then counts as a stall (st.stalls) and is not delivered.
 */
int oa_wait(struct oa_drv *d, unsigned timeout_ms);

/* Run the receive path without a doorbell (what a polling host would do). */
int oa_poll_rx(struct oa_drv *d);

/* SHUTDOWN, wait for the firmware to exit (kill it after @timeout_ms).
 * Return: its exit status, or -1 when it had to be killed. */
int oa_shutdown(struct oa_drv *d, unsigned timeout_ms);

#endif
