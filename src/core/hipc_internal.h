/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Core-private helpers: the little-endian shared-memory accessors, barriers,
 * lock and cache wrappers.  Freestanding: compiler builtins only.
 */
#ifndef HIPC_INTERNAL_H
#define HIPC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hipc/byteorder.h"
#include "hipc/config.h"
#include "hipc/error.h"
#include "hipc/port.h"


/*
 * The shared-memory accessors: every word the peer can see
 * is read or written through these, so the code says what the wire is
 * (little-endian) and, for the atomic forms, what each access orders.
 *
 * Atomic forms, for indices and flags the peer writes concurrently:
 * acquire on the index that publishes entries (so the entries are read
 * after it), release when we publish ours (so our entries are visible
 * before the index), relaxed otherwise.  Naturally aligned words only.
 */
static inline uint16_t hipc__ld16_acq(const void *p)
{
	return hipc_le16(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static inline uint16_t hipc__ld16(const void *p)
{
	return hipc_le16(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline void hipc__st16_rel(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, hipc_le16(v), __ATOMIC_RELEASE);
}

static inline void hipc__st16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, hipc_le16(v), __ATOMIC_RELAXED);
}

static inline uint32_t hipc__ld32_acq(const void *p)
{
	return hipc_le32(__atomic_load_n((const uint32_t *)p, __ATOMIC_ACQUIRE));
}

static inline uint32_t hipc__ld32(const void *p)
{
	return hipc_le32(__atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED));
}

static inline void hipc__st32_rel(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, hipc_le32(v), __ATOMIC_RELEASE);
}

static inline void hipc__st32(void *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, hipc_le32(v), __ATOMIC_RELAXED);
}

/*
 * Plain forms, unaligned-safe, for what the atomic forms order (ring
 * entries, descriptors, headers, messages, tables): hipc_get_le16/32/64()
 * and hipc_put_le16/32/64() of hipc/byteorder.h, the same family the
 * Linux side uses.
 */

/* Full barrier: our store (an event index, a flag) must be visible before we
 * re-read the peer's index, or both sides can decide not to notify. */
static inline void hipc__mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * The port's lock and cache ops.  With HIPC_CFG_LOCK / HIPC_CFG_CACHE at 0
 * the calls vanish at compile time; init refuses a port that has the ops
 * (hipc__port_check()), so nothing a port relies on is skipped silently.
 */
static inline void hipc__lock(const struct hipc_port *p)
{
	if (HIPC_CFG_LOCK && p && p->ops->lock)
		p->ops->lock(p->ctx);
}

static inline void hipc__unlock(const struct hipc_port *p)
{
	if (HIPC_CFG_LOCK && p && p->ops->unlock)
		p->ops->unlock(p->ctx);
}

static inline void hipc__wake(const struct hipc_port *p)
{
	if (p && p->ops->wake)
		p->ops->wake(p->ctx);
}

static inline void hipc__cache_clean(const struct hipc_port *p, const void *a,
				     size_t n)
{
	if (HIPC_CFG_CACHE && p && p->ops->cache_clean)
		p->ops->cache_clean(p->ctx, a, n);
}

static inline void hipc__cache_inval(const struct hipc_port *p, const void *a,
				     size_t n)
{
	if (HIPC_CFG_CACHE && p && p->ops->cache_invalidate)
		p->ops->cache_invalidate(p->ctx, a, n);
}

/* A port this build can serve: 0 or -HIPC_ENOTSUP. */
static inline int hipc__port_check(const struct hipc_port *p)
{
	if (!p)
		return 0;
	/* Each pair tested in one compare (their addresses OR-ed): this runs
	 * in every image, where the test pair by pair costs bytes. */
	if (!HIPC_CFG_LOCK &&
	    ((uintptr_t)p->ops->lock | (uintptr_t)p->ops->unlock))
		return -HIPC_ENOTSUP;
	if (!HIPC_CFG_CACHE && ((uintptr_t)p->ops->cache_clean |
				(uintptr_t)p->ops->cache_invalidate))
		return -HIPC_ENOTSUP;
	return 0;
}

/*
 * hipc_memmap_to_va() with the length first, for the core's own calls: on
 * a 32-bit target the 64-bit address then fills a register pair instead of
 * pushing the length onto the stack at every call.
 */
struct hipc_memmap;
void *hipc__memmap_va(const struct hipc_memmap *map, size_t len,
		      uint64_t addr);

static inline __attribute__((always_inline)) bool hipc__is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

#endif
