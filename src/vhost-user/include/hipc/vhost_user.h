/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vhost-user backend (Linux only): serves one rpmsg virtio device (virtio
 * ID 7) over a unix socket, so a real Linux kernel's virtio_rpmsg_bus -- in
 * User-mode Linux (virtio_uml) or a VM -- talks to an hipc firmware.
 *
 * The master (the kernel's virtio transport) owns the memory: it passes its
 * memory regions as fds, and every address it hands us afterwards -- the
 * vring parts (its user addresses) and descriptor buffers (its guest
 * physical addresses) -- is translated through that table and bounds-checked
 * for its full length, like any other peer address.  We play the virtio
 * device: vring 0 carries our messages to the driver (its rx), vring 1 the
 * driver's messages to us.
 *
 * Every master message is validated (sizes, fd counts, indices, ring sizes,
 * addresses); a bad one is refused (a non-zero REPLY_ACK status when the
 * master asked for one) and changes nothing.  A message we cannot frame
 * (a size beyond any request's payload, a stalled half-message) ends the
 * connection.
 */
#ifndef HIPC_VHOST_USER_H
#define HIPC_VHOST_USER_H

#include <stdint.h>

#include "hipc/export.h"
#include "hipc/firmware.h"

/* Requests from the master (the subset a virtio transport sends). */
#define HIPC_VU_GET_FEATURES 1u
#define HIPC_VU_SET_FEATURES 2u
#define HIPC_VU_SET_OWNER 3u
#define HIPC_VU_RESET_OWNER 4u
#define HIPC_VU_SET_MEM_TABLE 5u
#define HIPC_VU_SET_LOG_BASE 6u
#define HIPC_VU_SET_LOG_FD 7u
#define HIPC_VU_SET_VRING_NUM 8u
#define HIPC_VU_SET_VRING_ADDR 9u
#define HIPC_VU_SET_VRING_BASE 10u
#define HIPC_VU_GET_VRING_BASE 11u
#define HIPC_VU_SET_VRING_KICK 12u
#define HIPC_VU_SET_VRING_CALL 13u
#define HIPC_VU_SET_VRING_ERR 14u
#define HIPC_VU_GET_PROTOCOL_FEATURES 15u
#define HIPC_VU_SET_PROTOCOL_FEATURES 16u
#define HIPC_VU_GET_QUEUE_NUM 17u
#define HIPC_VU_SET_VRING_ENABLE 18u
#define HIPC_VU_SET_BACKEND_REQ_FD 21u

/* Header flags: version 1 in the low two bits. */
#define HIPC_VU_VERSION 0x1u
#define HIPC_VU_FLAG_REPLY (1u << 2)
#define HIPC_VU_FLAG_NEED_REPLY (1u << 3)

/* Feature bits (GET/SET_FEATURES). */
#define HIPC_VU_F_RPMSG_NS 0u
#define HIPC_VU_F_EVENT_IDX 29u
#define HIPC_VU_F_PROTOCOL_FEATURES 30u
#define HIPC_VU_F_VERSION_1 32u

/* Protocol feature bits (GET/SET_PROTOCOL_FEATURES). */
#define HIPC_VU_PROTOCOL_F_REPLY_ACK 3u
#define HIPC_VU_PROTOCOL_F_BACKEND_REQ 5u

/* SET_VRING_KICK/CALL payload: vring index, and "no fd" (polling). */
#define HIPC_VU_VRING_IDX_MASK 0xFFu
#define HIPC_VU_VRING_NOFD (1u << 8)

/* Limits: regions in one memory table (the protocol's baseline), fds in
 * one message. */
#define HIPC_VU_MAX_REGIONS 8u
#define HIPC_VU_MAX_FDS 8u

/* Wire structures, little-endian (native on every host we run on). */
struct hipc_vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

struct hipc_vu_vring_state {
	uint32_t index;
	uint32_t num;
} __attribute__((packed));

struct hipc_vu_vring_addr {
	uint32_t index;
	uint32_t flags;
	uint64_t desc;   /* the master's user addresses */
	uint64_t used;
	uint64_t avail;
	uint64_t log;
} __attribute__((packed));

struct hipc_vu_region {
	uint64_t guest_addr;
	uint64_t size;
	uint64_t user_addr;
	uint64_t mmap_offset;
} __attribute__((packed));

struct hipc_vu_mem {
	uint32_t num;
	uint32_t padding;
	struct hipc_vu_region regions[HIPC_VU_MAX_REGIONS];
} __attribute__((packed));

_Static_assert(sizeof(struct hipc_vu_hdr) == 12, "vhost-user header");
_Static_assert(sizeof(struct hipc_vu_vring_state) == 8, "vring state");
_Static_assert(sizeof(struct hipc_vu_vring_addr) == 40, "vring addr");
_Static_assert(sizeof(struct hipc_vu_region) == 32, "memory region");
_Static_assert(sizeof(struct hipc_vu_mem) == 8 + 32 * HIPC_VU_MAX_REGIONS,
	       "memory table");

struct hipc_vhost_user_stats {
	uint64_t msgs;      /* master messages handled */
	uint32_t rejected;  /* refused as malformed or out of place */
	uint64_t kicks;     /* doorbells from the driver */
	uint64_t calls;     /* doorbells we rang */
	uint32_t sessions;  /* times the device went live */
};

struct hipc_vhost_user_opts {
	const char *socket_path; /* listen here (unlinked first and at exit) */
	int listen_fd;           /* or: an already-listening socket (>= 0) */
	int stop_fd;             /* readable = stop serving; -1: none */
	/* install SIGTERM/SIGINT handlers that stop the loop (process mode) */
	int handle_signals;
	int verbose;             /* log every master message to stderr */
	struct hipc_vhost_user_stats *stats; /* optional: filled at return */
};

/**
 * hipc_vhost_user_serve() - listen on @socket_path, accept one master, run
 * the handshake and serve @fw's rpmsg device until the master disconnects
 * or SIGTERM/SIGINT arrives.  The device's features come from @fw's
 * resource table (vdev dfeatures), plus VIRTIO_F_VERSION_1.
 * @fw->start runs once the driver has posted its rx buffers and kicked;
 * @fw->stop when the driver disables the rings or goes away.
 * @retval 0 the master went away (or a signal asked us to stop)
 * @retval -HIPC_EINVAL bad @fw (no valid table, no rpmsg vdev)
 * @retval -HIPC_EIO the driver broke the virtio protocol
 * @retval -HIPC_EPROTO the master broke the vhost-user framing
 * @retval other negative hipc codes: socket errors, @fw->start failed
 * Context: blocks; runs the whole event loop in the calling thread.
 */
HIPC_API int hipc_vhost_user_serve(const struct hipc_firmware *fw,
				   const char *socket_path);

/** hipc_vhost_user_serve_ex() - as hipc_vhost_user_serve() with @opts. */
HIPC_API int hipc_vhost_user_serve_ex(const struct hipc_firmware *fw,
				      const struct hipc_vhost_user_opts *opts);

#endif
