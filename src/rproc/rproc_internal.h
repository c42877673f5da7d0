/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the host (src/rproc) and the remote runtime (remote.c): how a
 * region is laid out from a resource table, the words of the control page
 * the lifecycle uses, the static-vring (peer-to-peer) region, and the run
 * directory where standalone remotes publish themselves.
 *
 * The host lays out a booted remote's region; a standalone remote (attach
 * mode) lays out its own with the same planner, so a host that attaches
 * later computes the same buffer pool placement from the same table.
 */
#ifndef HIPC_RPROC_INTERNAL_H
#define HIPC_RPROC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hipc/linux.h"
#include "hipc/rproc.h"
#include "port/linux/sim_internal.h"

#define HIPC__PAGE 4096u
#define HIPC__MAX_MEM 12u

/*
 * Control-page words (struct hipc_sim_ctrl.reserved[]) the lifecycle uses.
 *
 * HOST_GEN: the host bumps it whenever it (re)initialises the rings (boot,
 * attach, detach).  REMOTE_GEN: the generation the remote has let go of
 * its rings for; the host touches the rings of an existing remote only once
 * the remote acknowledged the new generation, and the remote uses them only
 * while DRIVER_OK is set for the generation it acknowledged.
 */
#define HIPC__CTRL_HOST_GEN 0u
#define HIPC__CTRL_REMOTE_GEN 1u
#define HIPC__CTRL_P2P_NUM 2u     /* p2p region: entries per vring */
#define HIPC__CTRL_P2P_BUFSZ 3u   /* p2p region: bytes per buffer */
#define HIPC__CTRL_P2P_READY 4u   /* p2p region: the generation the driver
				   * side posted its rx buffers for */
#define HIPC__CTRL_P2P_GEN 5u     /* p2p region: session, bumped by the host
				   * each time it re-initialises the region */

static inline uint32_t *hipc__ctrl_word(struct hipc_sim_ctrl *c, unsigned i)
{
	return &c->reserved[i];
}

/*
 * Host to remote: "let go of the rings, a new generation follows".  In the
 * control range, above what TI's numbering uses.
 */
#define HIPC__MBOX_RESET 0xFFFFFF40u

/*
 * Remote to host: "REMOTE_GEN now holds a new generation".  The word is
 * the acknowledgement; this doorbell only wakes a host that waits for it
 * (a host ignores it otherwise, as it ignores any control code it does not
 * know).
 */
#define HIPC__MBOX_GEN_ACK 0xFFFFFF44u

/*
 * The static-vring link after one of the pair went down.  Host to the
 * survivor: P2P_RESET "stop touching the pair region, your peer is gone"
 * (answered with P2P_RESET_ACK once its pair device is torn down), then
 * P2P_UP once the region is re-initialised and the peer is back.
 */
#define HIPC__MBOX_P2P_RESET 0xFFFFFF41u
#define HIPC__MBOX_P2P_RESET_ACK 0xFFFFFF42u
#define HIPC__MBOX_P2P_UP 0xFFFFFF43u

/*
 * The attach hello: what a standalone remote sends with its three fds
 * (region, its doorbell in, its doorbell out) to a host that connects to
 * NAME.sock.  Two 32-bit words, magic then version; a host refuses a
 * hello whose version it does not speak.
 */
#define HIPC__ATTACH_MAGIC 0x48415454u /* "HATT" */
#define HIPC__ATTACH_VERSION 1u

/* Where everything goes; offsets are also the device addresses. */
struct hipc__layout {
	size_t rsc_off;
	size_t vring_off[2];
	size_t bufs_off;
	size_t trace_off;
	size_t size;
	unsigned nmem;
	struct hipc_rproc_mem mem[HIPC__MAX_MEM];
	/* firmware carveouts: entry offset in the table, for the write-back */
	unsigned ncarve;
	size_t carve_entry[HIPC__MAX_MEM];
	size_t carve_off[HIPC__MAX_MEM];
};

/*
 * Plan a region for a validated table whose rpmsg vdev is @v.
 * @retval 0, -HIPC_EBADMSG (fixed-address carveout, too many carveouts,
 *         bad vring geometry), -HIPC_ERANGE (does not fit 32-bit addresses)
 */
int hipc__layout_plan(const void *tbl, size_t rsc_size,
		      const struct hipc_sim_vdev *v, struct hipc__layout *l);

/*
 * Write the control page and the shared copy of the table into @base
 * (l->size bytes, zeroed): vring addresses and notifyids, the trace and
 * carveout addresses, gfeatures, status ACKNOWLEDGE|DRIVER.
 */
void hipc__layout_apply(uint8_t *base, const struct hipc__layout *l,
			const void *tbl, size_t rsc_size,
			const struct hipc_sim_vdev *v, const char *name,
			uint32_t gfeatures);

/* Features the host accepts: name service and event index. */
#define HIPC__HOST_FEATURES ((1u << HIPC_RPMSG_F_NS) | (1u << 29))

/* --- peer-to-peer static vrings ------------------------------------------ */

/*
 * A region shared by two remotes only: the control page (mailbox FIFOs for
 * the pair), then vring 0, vring 1 and the buffer pool at fixed offsets
 * computed from num and buf_size.  No resource table: both ends know the
 * layout.  The "driver" end owns the buffers as Linux does on a vdev.
 */
struct hipc__p2p_layout {
	size_t vring_off[2];
	size_t bufs_off;
	size_t size;
};

int hipc__p2p_plan(unsigned num, unsigned buf_size, struct hipc__p2p_layout *l);

#endif
