/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The remote-side runtime for simulated firmware (Linux executables that
 * play a remote processor).  A firmware is a set of callbacks plus its
 * resource table; the runtime finds its transport (the host simulation's
 * memfd and eventfds, or a vhost-user socket), waits for DRIVER_OK, brings
 * up the rpmsg device in the device role and runs the loop.
 *
 *   static int start(struct hipc_rpmsg_dev *dev, void *ctx) {
 *           return hipc_rpmsg_ept_create(&ept, dev, "rpmsg-client-sample",
 *                                        HIPC_RPMSG_ADDR_ANY,
 *                                        HIPC_RPMSG_ADDR_ANY, on_msg, NULL);
 *   }
 *   HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096, HIPC_RSC_F_NS);
 *   static const struct hipc_firmware fw = {
 *           .name = "echo", .rsc = &rsc_table, .rsc_size = sizeof(rsc_table),
 *           .start = start,
 *   };
 *   HIPC_FIRMWARE_MAIN(fw)
 */
#ifndef HIPC_REMOTE_H
#define HIPC_REMOTE_H

#include <stddef.h>

#include "hipc/export.h"
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
};

/**
 * hipc_remote_main() - run @fw until shutdown.  The transport comes from
 * the environment the host simulation sets (HIPC_SHM_FD, HIPC_EFD_IN,
 * HIPC_EFD_OUT, HIPC_LINK_MODE, HIPC_SPIN_US) or from the command line
 * (see --help).  With --standalone NAME (or HIPC_STANDALONE=NAME) the
 * firmware boots on its own, as a safety island does: it creates and lays
 * out its own region and publishes it as NAME.sock in the run directory
 * for a host to attach to (hipc_rproc_attach()); it keeps running across
 * detach and attach.  Return: process exit status.
 */
HIPC_API int hipc_remote_main(const struct hipc_firmware *fw, int argc,
			      char **argv);

/** hipc_remote_trace() - printf into the firmware's trace buffer (and stderr). */
HIPC_API void hipc_remote_trace(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#define HIPC_FIRMWARE_MAIN(fw)                                               \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		return hipc_remote_main(&(fw), argc, argv);                  \
	}

#endif
