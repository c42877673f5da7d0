/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The host's pools and spinlocks from several threads at once: what the
 * rproc hands out (hipc_rproc_pool(), hipc_rproc_spinlocks()) is
 * thread-safe through its mutex port.  Each buffer is held by one thread
 * at a time; a counter under a shared spinlock comes out exact.
 */
#include <pthread.h>

#include "bb_util.h"
#include "hipc/spinlock.h"

#define THREADS 4
#define ROUNDS 20000

static struct hipc_bufpool *pool;
static struct hipc_spinlock_set *locks;
static int holder[64];
static uint64_t counter;
static int errors;

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg + 1;

	for (int r = 0; r < ROUNDS; r++) {
		void *b;
		int i = hipc_bufpool_alloc(pool, &b);

		if (i >= 0) {
			/* nobody else may hold it now */
			if (__atomic_exchange_n(&holder[i], me, __ATOMIC_ACQ_REL))
				__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
			((uint8_t *)b)[0] = (uint8_t)me;
			__atomic_store_n(&holder[i], 0, __ATOMIC_RELEASE);
			if (hipc_bufpool_free(pool, (uint32_t)i))
				__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
		}
		if (hipc_spinlock_lock(locks, 3, 1000000)) {
			__atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
			continue;
		}
		counter++; /* under the shared lock only */
		hipc_spinlock_unlock(locks, 3);
	}
	return NULL;
}

HIPC_TEST(pool_and_locks_threads)
{
	pthread_t t[THREADS];
	struct bb_client c;

	bb_start(&c, "bb-threads", HIPC_RPROC_STAY_CRASHED);
	CHECK(hipc_rproc_pool(c.rp, "sdb-4k", &pool) >= 0);
	CHECK_EQ(hipc_rproc_spinlocks(c.rp, &locks), 0);
	for (int i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, worker,
					(void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ(errors, 0);
	CHECK_EQ(counter, (uint64_t)THREADS * ROUNDS);
	/* and the remote still gets every host buffer */
	bb_push(&c, 0, 256, 4096, true);
	bb_stop(&c);
}

HIPC_TEST_MAIN(HIPC_CASE(pool_and_locks_threads))
