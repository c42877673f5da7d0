/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Linux port: shared memory as a memfd, the mailbox as a FIFO in shared
 * memory plus an eventfd per direction (the link), a receive thread, and
 * the clock.  What a region holds is the host simulation's business
 * (hipc/sim.h).
 */
#ifndef HIPC_LINUX_H
#define HIPC_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hipc/export.h"
#include "hipc/mbox.h"
#include "hipc/port.h"

/* Sides of a link; also the index of the FIFO that side consumes. */
#define HIPC_SIDE_HOST 0u
#define HIPC_SIDE_REMOTE 1u

/*
 * What the two sides of a link share: a mailbox FIFO per direction and an
 * "awake" word per side.  It lives in shared memory (the host simulation
 * puts it in each region's control page).
 */
struct hipc_link_shared {
	/* fifo[s] is consumed by side s: fifo[0] remote->host doorbells,
	 * fifo[1] host->remote doorbells */
	struct hipc_shm_fifo fifo[2];
	/* awake[s]: side s is polling fifo[s]; a producer that sees it set
	 * skips the eventfd write (the syscall) */
	uint32_t awake[2];
};

/** hipc_link_shared_init() - empty FIFOs, nobody awake (before either side
 * opens a link on it). */
HIPC_API void hipc_link_shared_init(struct hipc_link_shared *sh);

/* --- shared memory ------------------------------------------------------- */

struct hipc_shm {
	int fd;
	uint8_t *base;
	size_t size;
};

/**
 * hipc_shm_create() - a new anonymous region: memfd (close-on-exec, mode
 * 0600, sealable against shrinking), @size bytes, mapped shared.
 * @retval 0 created; @shm holds the fd, mapping and size
 * @retval -HIPC_EINVAL @size is 0
 * @retval -HIPC_ENOMEM, -HIPC_EMFILE, -HIPC_ENFILE, -HIPC_EPERM, ... the
 *         system call's failure (memfd_create, ftruncate, seals, mmap)
 *         as an hipc code
 * Context: any thread.
 */
HIPC_API int hipc_shm_create(struct hipc_shm *shm, const char *name,
			     size_t size);
/**
 * hipc_shm_map() - map an inherited/received region fd (size from fstat).
 * The fd becomes @shm's on success only.
 * @retval 0 mapped
 * @retval -HIPC_EINVAL the file is empty
 * @retval -HIPC_EBADF, -HIPC_ENOMEM, -HIPC_EACCES, -HIPC_ENODEV, ... the
 *         system call's failure (fstat, mmap) as an hipc code
 */
HIPC_API int hipc_shm_map(struct hipc_shm *shm, int fd);
/** hipc_shm_close() - unmap and close; safe on a zeroed struct. */
HIPC_API void hipc_shm_close(struct hipc_shm *shm);

/**
 * hipc_crc32c_fast() - hipc_crc32c() (hipc/bufpool.h), same values, at
 * memory speed: x86-64's crc32 instruction when the CPU has SSE 4.2
 * (checked at run time), else slicing by 8.  Chainable the same way.
 * Context: any thread; pure.
 */
HIPC_API uint32_t hipc_crc32c_fast(uint32_t crc, const void *buf, size_t len);

/*
 * Memory for the core's tables from the C heap: what a device on the Linux
 * side gives as hipc_rpmsg_dev_config.mem, so its endpoint table grows
 * with its endpoints.
 */
HIPC_API extern const struct hipc_mem_ops hipc_linux_mem;

/* --- the link: one side's mailbox + doorbells + port --------------------- */

enum hipc_link_mode {
	HIPC_LINK_IRQ = 0,      /* always sleep on the eventfd */
	HIPC_LINK_POLL = 1,     /* never sleep: spin on the FIFO */
	HIPC_LINK_ADAPTIVE = 2, /* spin for spin_us, then sleep */
};

struct hipc_link_stats {
	uint64_t doorbells_tx;  /* mailbox messages sent */
	uint64_t doorbells_rx;
	uint64_t eventfd_writes;/* syscalls spent waking the peer */
	uint64_t sleeps;        /* times we blocked on the eventfd */
	uint64_t not_full_waits;
	/* sleeps that ended after HIPC_LINK_RECHECK_MS without a doorbell, so
	 * the rings were looked at anyway; and those that found work then
	 * (a doorbell lost on the way: docs/faults.md) */
	uint64_t rechecks;
	uint64_t recoveries;
};

/*
 * The longest a sleeping side goes without looking at its rings (ms).  A
 * doorbell lost between the cores (or never rung by a faulty peer) then
 * stalls a link for at most this long, for an idle cost of 1000 /
 * HIPC_LINK_RECHECK_MS wake-ups a second per sleeper (docs/faults.md).
 * The environment's HIPC_RECHECK_MS overrides it for every link a process
 * creates (0: never recheck); the host passes it on to its firmwares.
 */
#define HIPC_LINK_RECHECK_MS 100u

struct hipc_link;

/**
 * hipc_link_new() - one side's end of a simulated mailbox.
 * @sh: the FIFOs and awake words (in shared memory); @side: HIPC_SIDE_HOST or
 * HIPC_SIDE_REMOTE; @efd_in: eventfd the peer writes to wake us;
 * @efd_out: eventfd we write to wake the peer (both non-blocking; on
 * success the link takes ownership and closes them, on failure they stay
 * the caller's).
 * @out: the new link on success, NULL on failure.
 * @retval 0 *@out is the link
 * @retval -HIPC_EINVAL NULL @out or @sh, @side not a side, a negative fd,
 *         an @efd_in that epoll cannot watch (a regular file)
 * @retval -HIPC_EBADF @efd_in is not an open fd
 * @retval -HIPC_ENOMEM no memory for the link
 * @retval -HIPC_EMFILE, -HIPC_ENFILE no fd left for its wake-up eventfd or
 *         the epoll set its waits sleep in
 * @retval -HIPC_ENOSPC the user's epoll watches are used up
 * Context: any thread.
 */
HIPC_API int hipc_link_new(struct hipc_link **out, struct hipc_link_shared *sh,
			   unsigned side, int efd_in, int efd_out,
			   enum hipc_link_mode mode, unsigned spin_us);
HIPC_API void hipc_link_free(struct hipc_link *link);

/** hipc_link_port() - the port (lock, notify, wait, now) for this side. */
HIPC_API const struct hipc_port *hipc_link_port(struct hipc_link *link);

/** hipc_link_fd() - readable when a doorbell may be waiting (for epoll). */
HIPC_API int hipc_link_fd(const struct hipc_link *link);

/**
 * hipc_link_send() - send a mailbox message (notifyid or control).
 * @retval 0 sent or queued
 * @retval -HIPC_ENOSPC the peer has stopped draining (hipc_mbox_send())
 */
HIPC_API int hipc_link_send(struct hipc_link *link, uint32_t msg);

/**
 * hipc_link_flush() - wait until every message queued because the peer's
 * FIFO was full has gone into it, at most @timeout_ms (the peer is rung
 * meanwhile).  For a side about to exit with its last word queued.
 * @retval 0, -HIPC_ETIMEDOUT (the rest is still queued)
 */
HIPC_API int hipc_link_flush(struct hipc_link *link, unsigned timeout_ms);

/**
 * hipc_link_drain() - clear the eventfd, read every waiting mailbox message,
 * hand control messages to @on_ctrl (may be NULL), flush our own queued
 * messages if the peer made room.
 * Return: messages read (vring doorbells + control), or -HIPC_EIO (the
 * peer corrupted the FIFO's indices).
 * Context: one thread at a time per link (serialised internally).
 */
HIPC_API int hipc_link_drain(struct hipc_link *link,
			     void (*on_ctrl)(void *arg, uint32_t msg),
			     void *arg);

/**
 * hipc_link_wait() - block until a doorbell arrives or @deadline_ns
 * (CLOCK_MONOTONIC; 0 = no deadline), honouring the mode (spin, then sleep).
 * @may_sleep: called right before sleeping with the awake flag cleared; if
 * it returns false there is work and we return at once (closes the race
 * between "nothing to do" and "peer sent just now").  May be NULL.
 * @retval 0 a doorbell may be waiting (or another thread drained one)
 * @retval -HIPC_ETIMEDOUT @deadline_ns passed
 * @retval -HIPC_EIO the peer corrupted the FIFO's indices
 */
HIPC_API int hipc_link_wait(struct hipc_link *link, uint64_t deadline_ns,
			    bool (*may_sleep)(void *arg), void *arg);

/**
 * hipc_link_wait_busy() - hipc_link_wait() for a loop that can look at its
 * rings itself: while the mode spins, @has_work(@arg) is asked on every
 * turn (it must be cheap and ask the peer for nothing, e.g.
 * hipc_rpmsg_pending()), and @may_sleep only right before sleeping.  With
 * hipc_rpmsg_poll_busy() the peer need not ring while we spin.
 * @has_work NULL: exactly hipc_link_wait().
 * Return: as hipc_link_wait().
 */
HIPC_API int hipc_link_wait_busy(struct hipc_link *link, uint64_t deadline_ns,
				 bool (*may_sleep)(void *arg),
				 bool (*has_work)(void *arg), void *arg);

/**
 * hipc_link_wake() - wake every thread of ours waiting on this link (as if a
 * doorbell had come), e.g. to make a loop notice a stop flag.
 */
HIPC_API void hipc_link_wake(struct hipc_link *link);

/** hipc_link_set_mode() - switch mode at run time. */
HIPC_API void hipc_link_set_mode(struct hipc_link *link,
				 enum hipc_link_mode mode, unsigned spin_us);

/**
 * hipc_link_set_recheck() - set this link's recheck interval (ms; 0: only
 * doorbells wake a sleeper).  hipc_link_recheck_ms() reads it.
 * Context: before the link is waited on, or from the waiting thread.
 */
HIPC_API void hipc_link_set_recheck(struct hipc_link *link, unsigned ms);
HIPC_API unsigned hipc_link_recheck_ms(const struct hipc_link *link);

HIPC_API void hipc_link_get_stats(const struct hipc_link *link,
				  struct hipc_link_stats *st);

/* --- a receive thread run by the library ---------------------------------- */

struct hipc_rpmsg_dev;
struct hipc_link_thread;

/**
 * hipc_link_thread_start() - run @dev's receive path on a thread of its own:
 * drain doorbells, deliver control messages to @on_ctrl (may be NULL),
 * process messages (callbacks run on that thread), sleep on the doorbell
 * (mode of the link).  The alternative to putting hipc_link_fd() into the
 * application's own epoll loop.
 * @out: the thread on success, NULL on failure.
 * @retval 0 *@out runs
 * @retval -HIPC_EINVAL NULL @out, @link or @dev
 * @retval -HIPC_ENOMEM no memory for the thread's state
 * @retval -HIPC_EAGAIN no thread could be created (pthread_create())
 * Context: any thread; @dev must be started.  Sends from other threads stay
 * allowed while it runs.
 */
HIPC_API int hipc_link_thread_start(struct hipc_link_thread **out,
				   struct hipc_link *link,
				   struct hipc_rpmsg_dev *dev,
				   void (*on_ctrl)(void *arg, uint32_t msg),
				   void *arg);

/**
 * hipc_link_thread_stop() - stop and join the thread (no callback runs after
 * this returns).
 * @retval 0 stopped (also for a NULL @t)
 * @retval -HIPC_EIO the device went broken while the thread ran (or what
 *         hipc_rpmsg_poll() failed with)
 * Context: not from the thread's own callbacks.
 */
HIPC_API int hipc_link_thread_stop(struct hipc_link_thread *t);

/* --- fault injection (a debug feature, docs/faults.md) -------------------- */

/* What this process injected since it started (HIPC_FAULTS). */
struct hipc_fault_stats {
	uint64_t doorbells_dropped;
	uint64_t doorbells_duplicated;
	uint64_t doorbells_delayed;
	uint64_t allocs_failed;  /* link, rproc and region allocations */
	uint64_t mmaps_failed;   /* hipc_shm_create(), hipc_shm_map() */
};

/**
 * hipc_faults_get() - the faults injected so far in this process.
 * Return: true when the process runs with fault injection (HIPC_FAULTS
 * set in its environment; every counter 0 otherwise).
 * Context: any thread.
 */
HIPC_API bool hipc_faults_get(struct hipc_fault_stats *st);

/** hipc_now_ns() - CLOCK_MONOTONIC in ns. */
HIPC_API uint64_t hipc_now_ns(void);

#endif
