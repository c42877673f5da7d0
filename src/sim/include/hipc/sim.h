/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host simulation: what both of its halves (the host lifecycle,
 * hipc/rproc.h, and the firmware runtime, hipc/remote.h) share and a user
 * may see.
 *
 * Every remote runs in a region of its own (one memfd per remote): a
 * control page (the mailbox FIFOs, where the shared copy of the resource
 * table is, the remote's state), then the resource table copy, vrings,
 * buffers, trace and carveouts, laid out by the host from the firmware's
 * table.  A device address is an offset into the region.  The rest of the
 * contract is private to the library (src/sim/sim_proto.h).
 */
#ifndef HIPC_SIM_H
#define HIPC_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "hipc/export.h"

/* One piece of a remote's region, named as Linux names its carveouts
 * ("vdev0vring0", "vdev0vring1", "vdev0buffer", the trace's name, the
 * firmware's own carveouts).  da: offset in the region. */
struct hipc_sim_mem {
	char name[32];
	uint32_t da;
	uint32_t len;
};

/**
 * hipc_sim_run_dir() - where standalone remotes publish themselves and
 * hipcd listens: $HIPC_RUN_DIR, else $XDG_RUNTIME_DIR/hipc, else
 * /tmp/hipc-UID.
 * @create: make it (mode 0700) if missing.
 * @retval 0 @buf holds the path (and the directory exists with @create)
 * @retval -HIPC_ENAMETOOLONG the path does not fit @len
 * @retval -HIPC_EPERM not a directory of ours, or open to others (its
 *         sockets hand out shared memory)
 * @retval -HIPC_ENOENT it does not exist (without @create)
 * @retval -HIPC_EACCES, -HIPC_ENOTDIR, -HIPC_EROFS, ... mkdir()/stat()
 *         failed (as an hipc code)
 */
HIPC_API int hipc_sim_run_dir(char *buf, size_t len, int create);

#endif
