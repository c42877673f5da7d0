/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hardware spinlocks in shared memory: up to 256 locks that the processors
 * sharing a region take and release without any message, as TI's spinlock
 * module (and Linux's hwspinlock framework on top of it) offers them.
 *
 * Each lock is one little-endian 32-bit word in the shared region: 0 when
 * free, else the owner id of the side holding it.  A side takes a lock with
 * one compare-and-swap from 0 to its own owner id (so the owner is recorded
 * in the same atomic step as the take) and releases it with a
 * release-ordered compare-and-swap back to 0.  The words must be in memory
 * both processors see coherently and where their exclusive accesses work
 * across processors (LDREX/STREX need a global exclusive monitor for the
 * region on an SoC; on the host simulation any shared mapping does).
 *
 * Threads of one side never contend on a shared word: each set keeps, in
 * local memory, which thread of this side holds or is taking each lock,
 * guarded by the port's lock; a second thread waits on that local record
 * and touches the shared word only once the first has released it.  The
 * port lock is held for a few instructions at a time, never for the
 * caller's critical section, so the set may share the port of an rpmsg
 * device.
 *
 * The peer is not trusted: a word holding an id that is neither 0 nor one
 * of the ids the set was configured with counts as a protocol error and
 * the lock as taken.  When a remote crashes, the host frees what it held
 * with hipc_spinlock_release_owner().
 */
#ifndef HIPC_SPINLOCK_H
#define HIPC_SPINLOCK_H

#include <stdint.h>

#include "hipc/export.h"
#include "hipc/port.h"

#define HIPC_SPINLOCK_MAX 256u     /* locks in one set */
#define HIPC_SPINLOCK_MAX_PEERS 7u /* owner ids besides our own */

/* Bytes of shared memory a set of @count locks occupies. */
#define HIPC_SPINLOCK_REGION_SIZE(count) ((count) * 4u)

/*
 * Configuration (public).  @base: the shared words, 4-byte aligned;
 * @count: locks in the set, 1 to HIPC_SPINLOCK_MAX; @owner: this side's
 * nonzero id (e.g. host 1, remote 2); @peers / @npeers: the ids the other
 * sides use (copied at init), so that anything else found in a word is
 * known to be garbage.
 *
 * @port (copied; its ops and ctx must outlive the set): lock/unlock (the
 * local record of who holds what), now_ns (the timeout's clock) and self
 * (per-thread ownership) are used; NULL, or an
 * op left NULL, as port.h says: one context only, no clock, one owner per
 * side.  The port's wait is not used: nothing signals a release (TI's
 * module raises no interrupt either), and on some ports wait consumes the
 * doorbell the device's loop is waiting for.
 *
 * @relax: called between attempts once the first HIPC_SPINLOCK_SPINS
 * have failed, with @relax_arg (Linux: sched_yield(), so a waiter gives
 * its core to a preempted holder).  NULL: a CPU spin-wait hint only.
 *
 * @spins_per_us: without a clock (no now_ns), a timeout of T µs is
 * T * @spins_per_us attempts (0: 1 per µs).  Calibrate it for the core.
 */
struct hipc_spinlock_cfg {
	void *base;
	uint32_t count;
	uint32_t owner;
	const uint32_t *peers;
	uint32_t npeers;
	const struct hipc_port *port;
	void (*relax)(void *arg);
	void *relax_arg;
	uint32_t spins_per_us;
};

/* Attempts spent spinning before @relax is called. */
#define HIPC_SPINLOCK_SPINS 64u

/* Counters (public), since init; 32-bit, wrapping. */
struct hipc_spinlock_stats {
	uint32_t acquires;     /* locks taken */
	uint32_t contended;    /* calls that found their lock taken at least once */
	uint32_t timeouts;     /* hipc_spinlock_lock() calls that gave up */
	uint32_t recovered;    /* slots freed by hipc_spinlock_release_owner() */
	uint32_t bad_releases; /* releases refused: not the holder */
	uint32_t proto_errors; /* words holding an unknown id, or our lock
				* changed under us */
};

/* A set (every field private: use the functions below). */
struct hipc_spinlock_set {
	uint32_t *words;
	uint32_t count;
	uint32_t owner;
	uint32_t ids[HIPC_SPINLOCK_MAX_PEERS];
	uint32_t nids;
	uint32_t spins_per_us;
	struct hipc_port port;
	void (*relax)(void *arg);
	void *relax_arg;
	struct hipc_spinlock_stats st;
	/* Which thread of ours holds or is taking each lock (0: none). */
	uintptr_t holder[HIPC_SPINLOCK_MAX];
};

/**
 * hipc_spinlock_init() - bind @set to the shared words @cfg describes.
 * The words are not written: hipc_spinlock_reset() clears them.
 * @retval 0 ready
 * @retval -HIPC_EINVAL a NULL pointer, @base misaligned, @count 0 or above
 *         HIPC_SPINLOCK_MAX, an owner id 0, @npeers too large, or an id
 *         given twice
 * @retval -HIPC_ENOTSUP the port has lock ops but the core was built with
 *         HIPC_CFG_LOCK=0
 * Context: before any other call on @set; not thread-safe.
 */
HIPC_API int hipc_spinlock_init(struct hipc_spinlock_set *set,
				const struct hipc_spinlock_cfg *cfg);

/**
 * hipc_spinlock_reset() - mark every lock of the set free in shared memory.
 * Only while no side uses the set (the host, before it starts the remote).
 * Context: not thread-safe.
 */
HIPC_API void hipc_spinlock_reset(struct hipc_spinlock_set *set);

/**
 * hipc_spinlock_trylock() - take lock @id if it is free, in one attempt.
 * @retval 0 taken: release it with hipc_spinlock_unlock()
 * @retval -HIPC_EBUSY another side or another thread of ours holds it (or
 *         its word holds garbage, counted in proto_errors)
 * @retval -HIPC_EALREADY the calling thread holds it already (port with self)
 * @retval -HIPC_EINVAL @id out of range
 * Context: never blocks; thread-safe; callable from a receive callback.
 */
HIPC_API int hipc_spinlock_trylock(struct hipc_spinlock_set *set, uint32_t id);

/**
 * hipc_spinlock_lock() - take lock @id, spinning for at most @timeout_us.
 * The deadline is on the port's now_ns clock; without one the wait is
 * @timeout_us * cfg.spins_per_us attempts.  Waiting threads of this side
 * spin on local memory, only the first touches the shared word; after
 * HIPC_SPINLOCK_SPINS attempts each further one calls cfg.relax.
 * @timeout_us 0: one attempt, as hipc_spinlock_trylock().
 * @retval 0 taken
 * @retval -HIPC_ETIMEDOUT still taken at the deadline (counted)
 * @retval -HIPC_EBUSY @timeout_us was 0 and the lock is taken
 * @retval -HIPC_EALREADY the calling thread holds it already
 * @retval -HIPC_EINVAL @id out of range
 * Context: busy-waits up to @timeout_us (never sleeps); thread-safe; from
 * a receive callback only with a short timeout.
 */
HIPC_API int hipc_spinlock_lock(struct hipc_spinlock_set *set, uint32_t id,
				uint32_t timeout_us);

/**
 * hipc_spinlock_unlock() - release lock @id.  What the caller wrote under
 * the lock is visible to the next holder before it sees the lock free.
 * @retval 0 released
 * @retval -HIPC_EPERM the calling thread does not hold it (counted in
 *         bad_releases; nothing changes)
 * @retval -HIPC_EIO we held it but its word no longer says so (another
 *         side recovered it, or garbage was written): the lock is not ours
 *         any more, the word is left alone, counted in proto_errors
 * @retval -HIPC_EINVAL @id out of range
 * Context: never blocks; thread-safe; callable from a receive callback.
 */
HIPC_API int hipc_spinlock_unlock(struct hipc_spinlock_set *set, uint32_t id);

/**
 * hipc_spinlock_release_owner() - free every lock of the set whose word
 * holds @owner (the host calls it for a remote that crashed, before
 * restarting it).  With our own id, only locks no thread of ours holds are
 * freed (what a previous life of this side left behind).
 * Return: the number of locks freed (counted in recovered), or
 * -HIPC_EINVAL (@owner 0).
 * Context: never blocks; thread-safe.
 */
HIPC_API int hipc_spinlock_release_owner(struct hipc_spinlock_set *set,
					 uint32_t owner);

/**
 * hipc_spinlock_owner() - who holds lock @id now (a snapshot).
 * @retval 0 *@owner is 0 (free) or a known id
 * @retval -HIPC_EPROTO the word holds an unknown id (in *@owner; counted)
 * @retval -HIPC_EINVAL @id out of range or @owner NULL
 * Context: never blocks; thread-safe.
 */
HIPC_API int hipc_spinlock_owner(struct hipc_spinlock_set *set, uint32_t id,
				 uint32_t *owner);

/**
 * hipc_spinlock_get_stats() - copy the counters.
 * @retval 0, -HIPC_EINVAL (NULL argument)
 * Context: never blocks; thread-safe (each counter read atomically).
 */
HIPC_API int hipc_spinlock_get_stats(const struct hipc_spinlock_set *set,
				     struct hipc_spinlock_stats *st);

#endif
