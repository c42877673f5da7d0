/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host simulation's contract between its two halves: the host
 * lifecycle (src/rproc) and the firmware runtime (src/remote).  Both
 * depend on this layer and never on each other.  Not installed: both
 * halves come from the same build.
 *
 *   - the control page at the start of every remote's region, with the
 *     words the lifecycle uses (generations, the peer-to-peer region);
 *   - the private mailbox codes (above what TI's numbering uses);
 *   - the attach hello a standalone remote sends with its fds;
 *   - what the rpmsg vdev of a resource table says, and the region
 *     planner: the host lays out a booted remote's region, a standalone
 *     remote lays out its own with the same planner, so a host that
 *     attaches later finds the buffer pool where it would have put it;
 *   - the static-vring (peer-to-peer) region;
 *   - the trace buffer's header.
 * The run directory is public: hipc/sim.h.
 */
#ifndef HIPC_SIM_PROTO_H
#define HIPC_SIM_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "hipc/byteorder.h"
#include "hipc/linux.h"
#include "hipc/memmap.h"
#include "hipc/rpmsg.h"
#include "hipc/rsc.h"
#include "hipc/sim.h"

#define HIPC__PAGE 4096u
#define HIPC__MAX_MEM 12u

/* --- the control page ----------------------------------------------------- */

#define HIPC_SIM_MAGIC 0x4d495348u /* "HSIM" */
#define HIPC_SIM_VERSION 1u
#define HIPC_SIM_CTRL_SIZE 4096u

/* Remote-reported state (written by the remote, advisory only). */
#define HIPC_SIM_STATE_BOOTING 1u
#define HIPC_SIM_STATE_RUNNING 2u
#define HIPC_SIM_STATE_STOPPED 3u
#define HIPC_SIM_STATE_CRASHED 4u

/*
 * [0, 4096) of every region.  In the simulation a device address is the
 * offset into the region.  Everything after the page (the shared copy of
 * the resource table, vrings, buffers, trace, carveouts) is laid out by
 * hipc__layout_plan() from the firmware's table.
 *
 * Generations: the host bumps host_gen whenever it (re)initialises the
 * rings (boot, attach, detach); remote_gen is the generation the remote has
 * let go of its rings for.  The host touches the rings of an existing
 * remote only once the remote acknowledged the new generation, and the
 * remote uses them only while DRIVER_OK is set for the generation it
 * acknowledged.
 */
struct hipc_sim_ctrl {
	uint32_t magic;
	uint32_t version;
	uint64_t size;        /* bytes in the region */
	uint32_t rsc_off;     /* shared copy of the resource table */
	uint32_t rsc_size;
	uint32_t state;       /* HIPC_SIM_STATE_* (remote writes) */
	uint32_t heartbeat;   /* remote increments; host may watch */
	uint32_t boot_count;  /* host increments at each (re)start */
	uint32_t pid;         /* remote process, for attach */
	uint32_t host_gen;    /* host writes */
	uint32_t remote_gen;  /* remote writes */
	/* a peer-to-peer region's control page only: */
	uint32_t p2p_num;     /* entries per vring */
	uint32_t p2p_buf_size;/* bytes per buffer */
	uint32_t p2p_ready;   /* the session the driver end posted its rx
			       * buffers for */
	uint32_t p2p_gen;     /* session, bumped by the host each time it
			       * re-initialises the region */
	struct hipc_link_shared mbox; /* the doorbells, both directions */
	char name[32];        /* remote's name (attach finds it by this) */
};
_Static_assert(sizeof(struct hipc_sim_ctrl) <= HIPC_SIM_CTRL_SIZE, "ctrl page");

/*
 * @shm as a memory map of one region: in the simulation a device address
 * is an offset into the region.
 */
static inline void hipc__sim_map(const struct hipc_shm *shm,
				 struct hipc_region *region,
				 struct hipc_memmap *map)
{
	region->da = 0;
	region->va = shm->base;
	region->size = shm->size;
	map->regions = region;
	map->count = 1;
}

/* --- private mailbox codes ------------------------------------------------ */

/* Host to remote: "let go of the rings, a new generation follows". */
#define HIPC__MBOX_RESET 0xFFFFFF40u

/*
 * Remote to host: "remote_gen now holds a new generation".  The word is
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

/* --- the attach hello ----------------------------------------------------- */

/*
 * What a standalone remote sends with its three fds (region, its doorbell
 * in, its doorbell out) to a host that connects to NAME.sock.  A host
 * refuses a hello whose magic or version it does not know.  A remote that
 * has a host already answers another with the magic and HIPC__ATTACH_BUSY
 * in place of the version, and no fds, then closes: a connection closed
 * without a word is a remote that exited (or is not one of ours), not a
 * busy one.
 */
#define HIPC__ATTACH_MAGIC 0x48415454u /* "HATT" */
#define HIPC__ATTACH_VERSION 1u
#define HIPC__ATTACH_BUSY 0x59535542u /* "BUSY" */

struct hipc__attach_hello {
	uint32_t magic;
	uint32_t version;
};

/* --- the rpmsg vdev of a resource table ----------------------------------- */

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

/*
 * Read the first rpmsg vdev.  The table must have passed
 * hipc_rsc_validate().
 * @retval 0, -HIPC_ENOENT (no rpmsg vdev), -HIPC_EBADMSG (vrings disagree,
 *         not two vrings, buffer size out of range)
 */
int hipc__sim_vdev_read(const void *table, size_t size,
			struct hipc_sim_vdev *v);

/* The vdev's status byte (host writes, remote reads) in table copy @tbl. */
static inline uint8_t *hipc__vdev_status(uint8_t *tbl,
					 const struct hipc_sim_vdev *v)
{
	return HIPC_FIELD(tbl + v->vdev_off, struct hipc_rsc_vdev, status);
}

/* Features the host accepts: name service, per-message CRC32C, event
 * index. */
#define HIPC__HOST_FEATURES                                                  \
	((1u << HIPC_RPMSG_F_NS) | (1u << HIPC_RPMSG_F_CRC) | (1u << 29))

/* --- the region planner --------------------------------------------------- */

/* Where everything goes; offsets are also the device addresses. */
struct hipc__layout {
	size_t rsc_off;
	size_t vring_off[2];
	size_t bufs_off;
	size_t trace_off;
	size_t size;
	unsigned nmem;
	struct hipc_sim_mem mem[HIPC__MAX_MEM];
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

/* --- peer-to-peer static vrings ------------------------------------------- */

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

/* --- big-buffer pools ----------------------------------------------------- */

/*
 * The pools a firmware declares (HIPC_RSC_HIPC_POOL entries) live in a
 * memfd of their own, not in the remote's region: the host keeps it from
 * the first boot to hipc_rproc_free(), across crashes and restarts, so a
 * buffer the host holds stays mapped and valid while the remote comes
 * back.  Laid out by hipc__pools_plan() from the table, by the host from
 * the firmware image and by the remote from its own copy; neither takes
 * the geometry from the other.
 *
 *   [0, 4096): struct hipc_sim_pools_hdr, then at HIPC__POOLS_LOCKS_OFF the
 *              256 spinlock words (hipc/spinlock.h; host owner 1, remote 2)
 *   then each pool, page-aligned, in table order (hipc/bufpool.h layout)
 */
#define HIPC_SIM_POOLS_MAGIC 0x4c4f5048u /* "HPOL" */
#define HIPC_SIM_POOLS_VERSION 1u
#define HIPC__MAX_POOLS 8u
#define HIPC__POOLS_LOCKS_OFF 1024u
#define HIPC__POOLS_LOCKS 256u
#define HIPC__OWNER_HOST 1u
#define HIPC__OWNER_REMOTE 2u
/* one pool's share of the region, and the region: bounded so that a table
 * cannot ask the host for more memory than a simulation should map */
#define HIPC__POOL_MAX_SIZE (4ull << 30)
#define HIPC__POOLS_MAX_SIZE (16ull << 30)

struct hipc_sim_pools_hdr {
	uint32_t magic;    /* written last by the host */
	uint32_t version;
	uint32_t npools;
	uint32_t reserved;
	uint64_t size;     /* bytes in the region */
};
_Static_assert(sizeof(struct hipc_sim_pools_hdr) <= HIPC__POOLS_LOCKS_OFF,
	       "pools header");

struct hipc__pool_plan {
	char name[32];
	uint32_t pool_id;
	uint32_t count;
	uint32_t host_count;
	uint32_t buf_size;
	uint32_t align;
	uint64_t off;  /* from the region's start, page-aligned */
	uint64_t size; /* HIPC_BUFPOOL_SHM_SIZE() */
};

struct hipc__pools_layout {
	unsigned npools;
	struct hipc__pool_plan pool[HIPC__MAX_POOLS];
	uint64_t size; /* 0 when the table declares no pool */
};

/*
 * Plan the pools of a validated table.
 * @retval 0 (npools 0: none declared)
 * @retval -HIPC_EBADMSG a pool's geometry is wrong (count 0, host_count >
 *         count, align not a power of two in 8..4096, buf_size 0 or not a
 *         multiple of align, a name or pool id given twice, more than
 *         HIPC__MAX_POOLS pools)
 * @retval -HIPC_ERANGE a pool or the region too large
 */
int hipc__pools_plan(const void *tbl, size_t size, struct hipc__pools_layout *l);

/* Two plans describe the same memory. */
int hipc__pools_same(const struct hipc__pools_layout *a,
		     const struct hipc__pools_layout *b);

/* --- the trace buffer ----------------------------------------------------- */

/* Trace ring header at the start of the trace buffer (ours; Linux shows the
 * buffer raw).  head counts bytes ever written; text follows. */
#define HIPC_TRACE_HDR 8u

#endif
