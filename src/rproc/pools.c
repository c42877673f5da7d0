/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A remote's big-buffer pools and spinlocks (sim_proto.h, docs/bigbuf.md):
 * a region of their own, created at the first boot from what the firmware
 * declares and kept until hipc_rproc_free(), so what the host holds stays
 * valid while the remote crashes and comes back.  When the remote's
 * process is gone, every buffer it held or had in flight is reclaimed and
 * every spinlock it held released, before anything restarts it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hipc/byteorder.h"
#include "rproc_internal.h"

static void plock(void *ctx)
{
	pthread_mutex_lock(ctx);
}

static void punlock(void *ctx)
{
	pthread_mutex_unlock(ctx);
}

static uint64_t pnow(void *ctx)
{
	(void)ctx;
	return hipc_now_ns();
}

static uintptr_t pself(void *ctx)
{
	(void)ctx;
	return (uintptr_t)pthread_self();
}

/* Lock and clock only: a coherent host needs no cache ops, and nothing
 * here waits on a doorbell. */
static const struct hipc_port_ops pool_ops = {
	.lock = plock,
	.unlock = punlock,
	.now_ns = pnow,
	.self = pself,
};

static void relax(void *arg)
{
	(void)arg;
	sched_yield();
}

/* The pools' region laid out from scratch: every pool in host role (state
 * table zeroed, header written), the spinlock words cleared, the region's
 * header with its magic last. */
static int pools_create(struct hipc_rproc *rp, const struct hipc__pools_layout *l,
			char *err, size_t errlen)
{
	static const uint32_t peers[] = { HIPC__OWNER_REMOTE };
	struct hipc_sim_pools_hdr *h;
	struct hipc_spinlock_cfg sc;
	char name[64];
	int ret;

	snprintf(name, sizeof(name), "%s-pools", rp->name);
	ret = hipc_shm_create(&rp->pshm, name, (size_t)l->size);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: pool memfd of %llu bytes: %s",
			      rp->name, (unsigned long long)l->size,
			      hipc_strerror(ret));
		return ret;
	}
	pthread_mutex_init(&rp->plock, NULL);
	rp->pport.ops = &pool_ops;
	rp->pport.ctx = &rp->plock;
	rp->play = *l;
	for (unsigned i = 0; i < l->npools; i++) {
		const struct hipc__pool_plan *p = &l->pool[i];
		struct hipc_bufpool_config c = {
			.role = HIPC_BUFPOOL_ROLE_HOST,
			.pool_id = p->pool_id,
			.count = p->count,
			.host_count = p->host_count,
			.buf_size = p->buf_size,
			.align = p->align,
			.shm = rp->pshm.base + p->off,
			.shm_size = (size_t)p->size,
			.port = &rp->pport,
			.crc32c = hipc_crc32c_fast,
		};

		c.slots = calloc(p->count, sizeof(*c.slots));
		rp->pslots[i] = c.slots;
		ret = c.slots ? hipc_bufpool_init(&rp->pools[i], &c)
			      : -HIPC_ENOMEM;
		if (ret) {
			hipc__rp_errf(err, errlen, "%s: pool %s: %s", rp->name,
				      p->name, hipc_strerror(ret));
			goto fail;
		}
	}
	memset(&sc, 0, sizeof(sc));
	sc.base = rp->pshm.base + HIPC__POOLS_LOCKS_OFF;
	sc.count = HIPC__POOLS_LOCKS;
	sc.owner = HIPC__OWNER_HOST;
	sc.peers = peers;
	sc.npeers = 1;
	sc.port = &rp->pport;
	sc.relax = relax;
	ret = hipc_spinlock_init(&rp->locks, &sc);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: spinlocks: %s", rp->name,
			      hipc_strerror(ret));
		goto fail;
	}
	hipc_spinlock_reset(&rp->locks);
	h = (struct hipc_sim_pools_hdr *)rp->pshm.base;
	h->version = HIPC_SIM_POOLS_VERSION;
	h->npools = l->npools;
	h->size = l->size;
	/* Everything above before the magic a remote looks for. */
	__atomic_store_n(&h->magic, HIPC_SIM_POOLS_MAGIC, __ATOMIC_RELEASE);
	rp->info.npools = l->npools;
	return 0;
fail:
	hipc__rp_pools_free(rp);
	return ret;
}

/*
 * The headers a remote checks when it attaches, written again before each
 * boot from our own plan: whoever else maps the region (hipcd's clients,
 * a dead instance) may have written over them, and a remote that refuses
 * its region cannot come back.  Only the headers: the state tables carry
 * what the host holds across the restart, and no side trusts them anyway.
 */
static void pools_rewrite_headers(struct hipc_rproc *rp)
{
	struct hipc_sim_pools_hdr *h = (struct hipc_sim_pools_hdr *)rp->pshm.base;

	for (unsigned i = 0; i < rp->play.npools; i++) {
		const struct hipc__pool_plan *p = &rp->play.pool[i];
		uint8_t *ph = rp->pshm.base + p->off;
		uint32_t soff = (uint32_t)((sizeof(struct hipc_bufpool_hdr) +
					    p->align - 1u) / p->align * p->align);

#define PH(f) HIPC_FIELD(ph, struct hipc_bufpool_hdr, f)
		hipc_put_le16(PH(version), HIPC_BUFPOOL_VERSION);
		hipc_put_le16(PH(hdr_size), sizeof(struct hipc_bufpool_hdr));
		hipc_put_le32(PH(pool_id), p->pool_id);
		hipc_put_le32(PH(count), p->count);
		hipc_put_le32(PH(host_count), p->host_count);
		hipc_put_le32(PH(buf_size), p->buf_size);
		hipc_put_le32(PH(align), p->align);
		hipc_put_le32(PH(state_off), soff);
		hipc_put_le32(PH(data_off), soff + p->count * p->align);
		hipc_put_le32(PH(reserved), 0);
		hipc_put_le32(PH(magic), HIPC_BUFPOOL_MAGIC);
#undef PH
	}
	h->version = HIPC_SIM_POOLS_VERSION;
	h->npools = rp->play.npools;
	h->reserved = 0;
	h->size = rp->play.size;
	/* Nobody runs in the region now; the next spawn orders it. */
	__atomic_store_n(&h->magic, HIPC_SIM_POOLS_MAGIC, __ATOMIC_RELEASE);
}

int hipc__rp_pools_setup(struct hipc_rproc *rp, const void *tbl, size_t size,
			 char *err, size_t errlen)
{
	struct hipc__pools_layout l;
	int ret;

	ret = hipc__pools_plan(tbl, size, &l);
	if (ret) {
		hipc__rp_errf(err, errlen, "%s: %s", rp->firmware, ret ==
			      -HIPC_ERANGE ? "big-buffer pools too large"
			      : "big-buffer pool declaration is wrong (count, "
				"host_count, align, buf_size, or a name or id "
				"given twice)");
		return ret;
	}
	if (rp->pshm.base) {
		/* Kept from an earlier boot: the same firmware declares the
		 * same pools.  Anything else would pull buffers the host
		 * holds from under it. */
		if (hipc__pools_same(&rp->play, &l)) {
			pools_rewrite_headers(rp);
			return 0;
		}
		hipc__rp_errf(err, errlen, "%s: %s", rp->name,
			      "the firmware declares other pools than the "
			      "region kept since the first boot (free the "
			      "remote to change them)");
		return -HIPC_EBUSY;
	}
	if (!l.npools)
		return 0;
	return pools_create(rp, &l, err, errlen);
}

void hipc__rp_pools_reclaim(struct hipc_rproc *rp)
{
	int n;

	if (!rp->pshm.base)
		return;
	for (unsigned i = 0; i < rp->play.npools; i++) {
		n = hipc_bufpool_reclaim_remote(&rp->pools[i]);
		if (n > 0)
			rp->info.pool_reclaimed += (unsigned)n;
	}
	n = hipc_spinlock_release_owner(&rp->locks, HIPC__OWNER_REMOTE);
	if (n > 0)
		rp->info.locks_released += (unsigned)n;
}

void hipc__rp_pools_free(struct hipc_rproc *rp)
{
	for (unsigned i = 0; i < HIPC__MAX_POOLS; i++) {
		free(rp->pslots[i]);
		rp->pslots[i] = NULL;
	}
	if (rp->pshm.base) {
		hipc_shm_close(&rp->pshm);
		pthread_mutex_destroy(&rp->plock);
	}
	rp->pshm.fd = -1;
	memset(&rp->play, 0, sizeof(rp->play));
	rp->info.npools = 0;
}

int hipc_rproc_pool(struct hipc_rproc *rp, const char *name,
		    struct hipc_bufpool **pool)
{
	if (!rp || !name || !pool)
		return -HIPC_EINVAL;
	for (unsigned i = 0; i < rp->play.npools; i++)
		if (!strcmp(rp->play.pool[i].name, name)) {
			*pool = &rp->pools[i];
			return (int)i;
		}
	return -HIPC_ENOENT;
}

int hipc_rproc_pool_region(struct hipc_rproc *rp, unsigned index,
			   struct hipc_rproc_pool_region *out)
{
	const struct hipc__pool_plan *p;
	uint64_t hdr;

	if (!rp || !out)
		return -HIPC_EINVAL;
	if (!rp->pshm.base || index >= rp->play.npools)
		return -HIPC_ENOENT;
	p = &rp->play.pool[index];
	/* The layout of hipc/bufpool.h: the header padded to align, one
	 * state entry per buffer align apart, then the buffers. */
	hdr = (sizeof(struct hipc_bufpool_hdr) + p->align - 1u) / p->align *
	      p->align;
	out->fd = rp->pshm.fd;
	out->size = rp->play.size;
	out->pool_off = p->off;
	out->data_off = p->off + hdr + (uint64_t)p->count * p->align;
	return 0;
}

int hipc_rproc_spinlocks(struct hipc_rproc *rp, struct hipc_spinlock_set **set)
{
	if (!rp || !set)
		return -HIPC_EINVAL;
	if (!rp->pshm.base)
		return -HIPC_ENOENT;
	*set = &rp->locks;
	return 0;
}
