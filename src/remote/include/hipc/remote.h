/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The remote-side runtime for simulated firmware (Linux executables that
 * play a remote processor).  A firmware (hipc/firmware.h) is a set of
 * callbacks plus its resource table; the runtime picks a transport from
 * the command line and the environment (the host simulation's memfd and
 * eventfds, or a vhost-user socket), which waits for DRIVER_OK, brings up
 * the rpmsg device in the device role and runs the loop.
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
#include "hipc/firmware.h"

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

struct hipc_bufpool;
struct hipc_spinlock_set;

/**
 * hipc_remote_pool() - the remote's side of the big-buffer pool @name its
 * resource table declares (HIPC_RSC_HIPC_POOL), in the region the host
 * passed at spawn (the same one after a restart; docs/bigbuf.md).  Use it
 * with hipc/bufpool.h.
 * @retval >=0 the pool's index; *@pool set
 * @retval -HIPC_ENOENT no such pool, or the transport has no pools
 *         (standalone and vhost-user remotes do not)
 * @retval -HIPC_EINVAL a NULL argument
 * Context: the firmware's thread (its callbacks), after hipc_remote_main()
 * started; the pool takes no lock.
 */
HIPC_API int hipc_remote_pool(const char *name, struct hipc_bufpool **pool);

/**
 * hipc_remote_spinlocks() - the 256 spinlocks shared with the host (this
 * side's owner id 2), present when the table declares a pool.
 * @retval 0, -HIPC_ENOENT, -HIPC_EINVAL
 */
HIPC_API int hipc_remote_spinlocks(struct hipc_spinlock_set **set);

struct hipc_link_stats;

/**
 * hipc_remote_link_stats() - the counters of the doorbell link to the host
 * (hipc/linux.h: doorbells, sleeps, rechecks and the recoveries of lost
 * doorbells, docs/faults.md).
 * @retval 0, -HIPC_ENOENT (no link: another transport, or not started),
 *         -HIPC_EINVAL
 * Context: the firmware's thread.
 */
HIPC_API int hipc_remote_link_stats(struct hipc_link_stats *st);

#define HIPC_FIRMWARE_MAIN(fw)                                               \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		return hipc_remote_main(&(fw), argc, argv);                  \
	}

#endif
