/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A firmware as the runtimes see it: its resource table and its callbacks.
 * OS-free (the core's types only): the Linux firmware runtime
 * (hipc/remote.h) and the vhost-user backend (hipc/vhost_user.h) both run
 * one, and nothing in it ties a firmware to either.
 */
#ifndef HIPC_FIRMWARE_H
#define HIPC_FIRMWARE_H

#include <stddef.h>

#include "hipc/rpmsg.h"

struct hipc_firmware {
	const char *name;
	const void *rsc;   /* the firmware's own .resource_table */
	size_t rsc_size;
	/* device is up (DRIVER_OK seen): create endpoints.  Non-zero aborts. */
	int (*start)(struct hipc_rpmsg_dev *dev, void *ctx);
	/* device going away (shutdown or host reset); endpoints are unbound
	 * after this returns.  May be NULL. */
	void (*stop)(struct hipc_rpmsg_dev *dev, void *ctx);
	/* called every loop pass; return > 0 when it did work (the loop then
	 * does not sleep).  May be NULL. */
	int (*poll)(struct hipc_rpmsg_dev *dev, void *ctx);
	void *ctx;
	/* the static-vring device to a peer remote is up (host simulation:
	 * HIPC_P2P_* in the environment): create endpoints on it.  The same
	 * poll callback runs for both devices.  May be NULL. */
	int (*p2p_start)(struct hipc_rpmsg_dev *dev, void *ctx);
	/* the static-vring device goes away: the peer remote died (the host
	 * says so; the link comes back with p2p_start() once the peer runs
	 * again) or we shut down.  Its endpoints are unbound after this
	 * returns; messages in flight are lost.  May be NULL. */
	void (*p2p_stop)(struct hipc_rpmsg_dev *dev, void *ctx);
	/* Hosted runtimes (the host simulation's transport): more file
	 * descriptors the loop sleeps on besides its doorbells, for a firmware
	 * that also serves something of the OS it runs on (a TAP, a socket).
	 * Called before every sleep: write up to @max descriptors to wait on
	 * for readability into @fds, return how many.  One of them readable
	 * wakes the loop, which then runs poll(): poll() does the reading.
	 * At most HIPC_FW_WAIT_FDS_MAX are looked at.  The vhost-user backend
	 * runs its own loop and does not call it.  May be NULL. */
	unsigned (*wait_fds)(void *ctx, int *fds, unsigned max);
};

#define HIPC_FW_WAIT_FDS_MAX 8u

#endif
