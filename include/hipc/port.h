/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a platform hands the core: an ops struct plus a context pointer,
 * passed at init time (never weak symbols) so tests can inject faults.
 *
 * Every op may be NULL where noted; the core then does without it.
 */
#ifndef HIPC_PORT_H
#define HIPC_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "hipc/export.h"

struct hipc_port_ops {
	/*
	 * Local mutual exclusion for one device's state (a mutex on Linux, a
	 * critical section on an MCU).  NULL: the caller promises that one
	 * device is only ever used from one context at a time.
	 */
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);

	/*
	 * Cache maintenance on shared memory.  NULL on coherent systems (the
	 * host simulation, a Cortex-M4 without cache).  clean: write our
	 * stores out before the peer reads; invalidate: drop stale lines
	 * before we read what the peer wrote.
	 */
	void (*cache_clean)(void *ctx, const void *addr, size_t len);
	void (*cache_invalidate)(void *ctx, const void *addr, size_t len);

	/*
	 * Ring the peer's doorbell: "the vring with this notifyid has work".
	 * Must not block.  Returns 0 or a negative hipc error.
	 */
	int (*notify)(void *ctx, uint32_t notifyid);

	/*
	 * Sleep until the peer may have made progress (a doorbell arrived) or
	 * until @deadline_ns on the clock of now_ns() (0: no deadline).
	 * Spurious wake-ups are
	 * allowed.  Returns 0, -HIPC_ETIMEDOUT, or -HIPC_ENOTSUP where the
	 * context cannot block (then blocking sends fail with -HIPC_EAGAIN).
	 */
	int (*wait)(void *ctx, uint64_t deadline_ns);

	/* Monotonic time in nanoseconds.  NULL: no deadlines (trysend only). */
	uint64_t (*now_ns)(void *ctx);

	/*
	 * Wake every thread sleeping in wait() on this port now: a local
	 * event (a held buffer released, an endpoint's callback finished)
	 * that no doorbell announces.  Must not block.  NULL on ports whose
	 * wait() never sleeps past such an event (one context, or no wait).
	 */
	void (*wake)(void *ctx);

	/*
	 * A nonzero identifier of the calling thread.  With it the core tells
	 * a call made from inside one of its own callbacks (which must not
	 * wait for that callback) from a call made by another thread (which
	 * must).  NULL on single-context ports, where a callback and another
	 * call on the same device never run at once.
	 */
	uintptr_t (*self)(void *ctx);
};

struct hipc_port {
	const struct hipc_port_ops *ops;
	void *ctx;
};

/*
 * Memory the core may take for its own tables beyond the storage a caller
 * gave it (hipc_rpmsg_dev_config.mem: the endpoint table grows through
 * it).  alloc returns @size bytes aligned for a pointer, or NULL; free
 * gets back what alloc gave, with the same @size.  Called with a device's
 * lock held: neither may call into the core or block for long.  The Linux
 * side's is hipc_linux_mem (malloc); a firmware without a heap has none.
 */
struct hipc_mem_ops {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p, size_t size);
	void *ctx;
};

#endif
