/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Remote processors, host side (Linux only): what remoteproc does on an SoC,
 * for simulated remotes.  One hipc_rproc per remote: its own memfd region,
 * its own mailbox, its own rpmsg device in the driver role.
 *
 * start: read the firmware ELF's .resource_table, lay out the region from
 * it (control page, table copy, vrings, buffers, trace), write vring
 * addresses, notifyids and gfeatures into the shared copy, spawn the
 * firmware with the region and doorbells, post every rx buffer, set
 * DRIVER_OK, kick vring 0.
 *
 * Threads: every call on one rproc from one thread (the daemon's loop), or
 * serialised by the caller; the rpmsg device inside is thread-safe for
 * sends (see rpmsg.h).
 */
#ifndef HIPC_RPROC_H
#define HIPC_RPROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hipc/export.h"
#include "hipc/linux.h"
#include "hipc/rpmsg.h"
#include "hipc/sim.h"

enum hipc_rproc_state {
	HIPC_RPROC_OFFLINE = 0,
	HIPC_RPROC_RUNNING,
	HIPC_RPROC_ATTACHED,
	HIPC_RPROC_DETACHED,
	HIPC_RPROC_CRASHED,
};

/* What happens after a crash. */
enum hipc_rproc_policy {
	HIPC_RPROC_STAY_CRASHED = 0, /* wait for an explicit start or stop */
	HIPC_RPROC_RESTART = 1,      /* boot (or re-attach) again, with backoff */
};

/* A lifecycle operation, as reported to hipc_rproc_config.on_done. */
enum hipc_rproc_op {
	HIPC_RPROC_OP_NONE = 0,
	HIPC_RPROC_OP_START,
	HIPC_RPROC_OP_ATTACH,
	HIPC_RPROC_OP_STOP,
	HIPC_RPROC_OP_DETACH,
};

struct hipc_rproc;
struct hipc_p2p;
struct hipc_bufpool;
struct hipc_spinlock_set;

struct hipc_rproc_config {
	const char *name;          /* "remoteproc0", "m4", ... */
	const char *firmware;      /* path to the firmware ELF (executable);
				    * may be NULL for a remote only attached */
	char *const *fw_args;      /* extra argv for the firmware, may be NULL */
	enum hipc_link_mode mode;  /* doorbell mode, both sides */
	unsigned spin_us;          /* adaptive mode spin */
	unsigned nbuckets;         /* endpoint hash buckets to start with
				    * (0: 256); the table grows past them */
	/* services the remote announces / withdraws */
	hipc_rpmsg_ns_cb ns_cb;
	void *ns_priv;
	/* every control message from the remote (ready, crash, echo reply) */
	void (*on_ctrl)(struct hipc_rproc *rp, uint32_t msg, void *priv);
	void *ctrl_priv;
	unsigned boot_timeout_ms;  /* wait for the remote's READY (0: 10000) */

	/* --- lifecycle (all optional; zero values are the defaults) --- */
	/* every state change, after the change (crashed: after every
	 * endpoint was unbound) */
	void (*on_state)(struct hipc_rproc *rp, enum hipc_rproc_state s,
			 void *priv);
	void *state_priv;
	enum hipc_rproc_policy policy;
	unsigned backoff_min_ms;   /* first restart delay (0: 10) */
	unsigned backoff_max_ms;   /* cap of the doubling (0: 2000) */
	unsigned stable_ms;        /* up this long: backoff resets (0: 1000) */
	/* watchdog: an ECHO_REQUEST every @watchdog_ms (0: off); crashed
	 * when the reply is @watchdog_timeout_ms late (0: 2 periods) */
	unsigned watchdog_ms;
	unsigned watchdog_timeout_ms;
	/* a static-vring link to another remote, handed to the firmware at
	 * spawn (fds 6..8); @p2p_driver: this end owns the buffers */
	struct hipc_p2p *p2p;
	bool p2p_driver;
	/* an operation begun with hipc_rproc_begin_*() finished: @result as
	 * the blocking call would return it, @msg a one-line reason on
	 * failure ("" on success).  Runs inside hipc_rproc_process(); it
	 * may begin the next operation. */
	void (*on_done)(struct hipc_rproc *rp, enum hipc_rproc_op op,
			int result, const char *msg, void *priv);
	void *done_priv;
};

struct hipc_rproc_info {
	enum hipc_rproc_state state;
	pid_t pid;                 /* -1 when none */
	unsigned crashes;          /* since hipc_rproc_new() */
	unsigned restarts;         /* automatic restarts that reached READY */
	unsigned watchdog_misses;  /* crashes found by the watchdog */
	uint64_t crashed_ns;       /* CLOCK_MONOTONIC of the last crash mark */
	uint64_t up_ns;            /* ... of the last READY */
	uint64_t next_restart_ns;  /* 0: none scheduled */
	size_t region_size;
	unsigned nmem;
	struct hipc_sim_mem mem[12]; /* hipc/sim.h */
	char crash_reason[64];
	/* the last stop had to kill the process (it did not shut down
	 * within the timeout) */
	bool killed;
	/* big-buffer pools the firmware declared (docs/bigbuf.md), and what
	 * the recovery took back each time the remote's process ended:
	 * buffers it held or had in flight, spinlocks it held */
	unsigned npools;
	unsigned pool_reclaimed;
	unsigned locks_released;
	/* hipc_rproc_process() passes run by the recheck timer (the link's
	 * recheck interval, HIPC_LINK_RECHECK_MS, with no doorbell since),
	 * and those that then found messages no doorbell had announced (a
	 * lost doorbell recovered: docs/faults.md); since hipc_rproc_new() */
	uint64_t rechecks;
	uint64_t recoveries;
};

/**
 * hipc_rproc_new() - an offline remote.  Copies @cfg (strings included).
 * @retval 0 *@out is the remote
 * @retval -HIPC_EINVAL NULL @out or @cfg, neither a firmware nor a name
 * @retval -HIPC_ENOMEM out of memory
 * @retval -HIPC_EMFILE, -HIPC_ENFILE, ... no epoll or timer fd (as an hipc
 *         code)
 */
HIPC_API int hipc_rproc_new(struct hipc_rproc **out,
			    const struct hipc_rproc_config *cfg);

/**
 * hipc_rproc_begin_start(), hipc_rproc_begin_attach(),
 * hipc_rproc_begin_stop(), hipc_rproc_begin_detach() - the same operations
 * as the blocking calls below, for an event loop: each does what needs no
 * waiting (a fork, a connect, a message) and returns; the rest happens in
 * hipc_rproc_process() as the remote answers or the deadline passes, and
 * config.on_done reports the outcome with the result the blocking call
 * would have returned.
 * @retval 0 accepted: on_done follows, exactly once, unless
 *         hipc_rproc_pending() says HIPC_RPROC_OP_NONE right after the
 *         call (a stop or detach with nothing to wait for, done already)
 * @retval <0 refused at once (@err filled), as the blocking call: no on_done
 * @retval -HIPC_EBUSY another operation is under way (a stop may be begun
 *         during a start or attach: that one then reports -HIPC_ESHUTDOWN,
 *         its on_done running from inside hipc_rproc_begin_stop())
 * Context: never blocks.  Same thread as hipc_rproc_process().
 */
HIPC_API int hipc_rproc_begin_start(struct hipc_rproc *rp, char *err,
				    size_t errlen);
HIPC_API int hipc_rproc_begin_attach(struct hipc_rproc *rp, const char *name,
				     char *err, size_t errlen);
HIPC_API int hipc_rproc_begin_stop(struct hipc_rproc *rp, unsigned timeout_ms);
HIPC_API int hipc_rproc_begin_detach(struct hipc_rproc *rp, char *err,
				     size_t errlen);

/** hipc_rproc_pending() - the operation under way, HIPC_RPROC_OP_NONE if
 * none. */
HIPC_API enum hipc_rproc_op hipc_rproc_pending(const struct hipc_rproc *rp);

/**
 * hipc_rproc_start() - load, lay out, spawn and bring up the remote; returns
 * once the remote reported READY (its services are announced right after,
 * delivered through ns_cb by hipc_rproc_process()).
 * @err/@errlen: a one-line reason on failure (may be NULL).
 * @retval 0 running
 * @retval -HIPC_ENOENT / -HIPC_ENOEXEC / -HIPC_EBADMSG bad firmware
 * @retval -HIPC_ETIMEDOUT the remote did not report READY in time
 * @retval -HIPC_ECONNRESET the firmware died during boot
 * @retval -HIPC_EBUSY already running or attached
 * @retval -HIPC_EAGAIN its static-vring peer (config.p2p) has not yet let
 *         go of the pair region after this remote went down; try again
 * Context: blocks up to boot_timeout_ms (hipc_rproc_begin_start() does
 * not).  From CRASHED it starts at once (a scheduled automatic restart is
 * dropped).  On failure: OFFLINE.  Every failure fills @err.
 */
HIPC_API int hipc_rproc_start(struct hipc_rproc *rp, char *err, size_t errlen);

/**
 * hipc_rproc_stop() - ask the remote to shut down (mailbox SHUTDOWN), wait
 * up to @timeout_ms for it to exit, then kill it.  Endpoints are unbound,
 * the region and doorbells released; OFFLINE afterwards, no restart.
 * @retval 0 stopped (cleanly, by killing it at the timeout: see
 *         hipc_rproc_get_info()'s killed, or nothing was running)
 * Context: blocks up to @timeout_ms.
 */
HIPC_API int hipc_rproc_stop(struct hipc_rproc *rp, unsigned timeout_ms);

/**
 * hipc_rproc_attach() - take over a remote that runs on its own (started
 * with --standalone NAME, as a safety island boots itself): connect to
 * NAME.sock in the run directory, receive its region and doorbells, take
 * its resource table as it stands, re-initialise the rings (driver role,
 * every rx buffer posted), set DRIVER_OK and wait for READY.  The remote
 * keeps its own state (memory, trace, pid).  @name: NULL = the rproc's name.
 * @retval 0 attached
 * @retval -HIPC_ENOENT no such remote published in the run directory
 * @retval -HIPC_EPERM the remote listening there runs as another user
 *         (SO_PEERCRED)
 * @retval -HIPC_EBADMSG its region or table is not acceptable
 * @retval -HIPC_ETIMEDOUT it did not let go of its rings or report READY
 * @retval -HIPC_ECONNRESET it exited while letting go of its rings
 * @retval -HIPC_EBUSY already running or attached, or the remote is
 *         attached to another host (one host at a time)
 * Context: blocks up to boot_timeout_ms.
 */
HIPC_API int hipc_rproc_attach(struct hipc_rproc *rp, const char *name,
			       char *err, size_t errlen);

/**
 * hipc_rproc_detach() - let go of an attached remote: endpoints unbound,
 * the remote told to release its rings (it keeps running and waits for the
 * next host), our mapping and doorbells closed.  DETACHED afterwards.
 * @retval 0, -HIPC_ENOTSUP (not attached: a booted remote is stopped, not
 * detached), -HIPC_ETIMEDOUT (the remote did not acknowledge; detached
 * anyway)
 */
HIPC_API int hipc_rproc_detach(struct hipc_rproc *rp);

/** hipc_rproc_free() - stop (or detach) if needed, release everything. */
HIPC_API void hipc_rproc_free(struct hipc_rproc *rp);

/** hipc_rproc_rpmsg() - the rpmsg device (driver role), NULL when down. */
HIPC_API struct hipc_rpmsg_dev *hipc_rproc_rpmsg(struct hipc_rproc *rp);

/** hipc_rproc_link() - the mailbox link, NULL when down. */
HIPC_API struct hipc_link *hipc_rproc_link(struct hipc_rproc *rp);

/**
 * hipc_rproc_fd() - one fd for an event loop, valid from new() to free()
 * and across restarts: readable when the remote rang, its process exited,
 * or a lifecycle timer (watchdog, restart backoff, boot deadline) is due.
 * Call hipc_rproc_process() then.  An epoll loop must run the link in
 * HIPC_LINK_IRQ mode (the other modes skip doorbells a polling host would
 * not notice) and call hipc_rproc_prepare_sleep() before it sleeps.
 */
HIPC_API int hipc_rproc_fd(const struct hipc_rproc *rp);

/**
 * hipc_rproc_prepare_sleep() - before sleeping on hipc_rproc_fd(): ask for
 * a doorbell on the next message.  Return: false when work is pending.
 */
HIPC_API bool hipc_rproc_prepare_sleep(struct hipc_rproc *rp);

/**
 * hipc_rproc_prepare_sleep_tx() - hipc_rproc_prepare_sleep() for a loop
 * that also waits for a tx buffer (a trysend found none): the remote is
 * also asked to ring when it gives one back.  The request lasts until the
 * loop prepares to sleep with plain hipc_rproc_prepare_sleep() again.
 * Return: false when work is pending or a tx buffer is free now.
 */
HIPC_API bool hipc_rproc_prepare_sleep_tx(struct hipc_rproc *rp);

/**
 * hipc_rproc_process() - handle everything due: process exit (crash),
 * control messages, rpmsg traffic, watchdog, restart.  Never blocks for
 * long (a restart forks and maps; READY is awaited through later calls).
 * Return: messages delivered (>= 0), or -HIPC_ENOTCONN when offline.
 */
HIPC_API int hipc_rproc_process(struct hipc_rproc *rp);

/**
 * hipc_rproc_run() - process, then sleep until the next event or
 * @timeout_ms (0: do not sleep).  For simple single-threaded hosts.
 */
HIPC_API int hipc_rproc_run(struct hipc_rproc *rp, unsigned timeout_ms);

/**
 * hipc_rproc_trace_read() - copy what the remote wrote to its trace ring
 * since *@pos (a byte count; start with 0) into @buf; *@pos advances.  Text
 * the ring overwrote already is skipped.  Safe while the remote runs.
 * A crashed remote's ring is kept as it was when it died (until it runs
 * again), like Linux's last trace.
 * Return: bytes copied (0 when nothing is new; at most INT_MAX per call,
 * however large @len), or
 * @retval -HIPC_ENOENT the remote has no trace buffer
 * @retval -HIPC_ENOTCONN not running, and no trace kept from a crash
 */
HIPC_API int hipc_rproc_trace_read(struct hipc_rproc *rp, uint64_t *pos,
				   char *buf, size_t len);

/** hipc_rproc_get_info() - state, counters and memory map, for tools. */
HIPC_API void hipc_rproc_get_info(const struct hipc_rproc *rp,
				  struct hipc_rproc_info *info);

HIPC_API enum hipc_rproc_state hipc_rproc_state(const struct hipc_rproc *rp);
HIPC_API const char *hipc_rproc_state_name(enum hipc_rproc_state s);
HIPC_API pid_t hipc_rproc_pid(const struct hipc_rproc *rp);
HIPC_API const char *hipc_rproc_name(const struct hipc_rproc *rp);

/* --- big buffers and spinlocks (docs/bigbuf.md) -------------------------- */

/**
 * hipc_rproc_pool() - the host's side of the pool @name the firmware
 * declared (an HIPC_RSC_HIPC_POOL entry): laid out at the first start in a
 * region of its own that stays, with everything the host holds in it,
 * until hipc_rproc_free(); when the remote's process ends, whatever it
 * held or had in flight is reclaimed (hipc_rproc_info.pool_reclaimed).
 * Use it through hipc/bufpool.h (thread-safe) or hipc/bigbuf.h.
 * @retval >=0 the pool's index; *@pool set
 * @retval -HIPC_ENOENT no such pool (or never started)
 * @retval -HIPC_EINVAL a NULL argument
 * Context: any thread; the pointer is valid until hipc_rproc_free().
 */
HIPC_API int hipc_rproc_pool(struct hipc_rproc *rp, const char *name,
			     struct hipc_bufpool **pool);

/* Where a pool lies in the pools' memfd (hipc_rproc_pool_region()). */
struct hipc_rproc_pool_region {
	int fd;             /* the memfd: the rproc's, do not close it */
	uint64_t size;      /* bytes in the memfd */
	uint64_t pool_off;  /* the pool's header (hipc/bufpool.h layout) */
	uint64_t data_off;  /* its buffer 0; buffer i at data_off + i *
			     * buf_size */
};

/**
 * hipc_rproc_pool_region() - the memfd holding pool @index (as
 * hipc_rproc_pool() returns it) and where the pool lies in it, for a
 * process that maps the pools itself (hipcd hands it to its clients).
 * The memfd holds every pool of the remote and the spinlock words.
 * @retval 0, -HIPC_ENOENT (no such pool), -HIPC_EINVAL
 * Context: any thread; the fd is valid until hipc_rproc_free().
 */
HIPC_API int hipc_rproc_pool_region(struct hipc_rproc *rp, unsigned index,
				    struct hipc_rproc_pool_region *out);

/**
 * hipc_rproc_spinlocks() - the 256 spinlocks shared with the remote (host
 * owner id 1, remote 2), in the pools' region: present when the firmware
 * declares at least one pool.  A lock the remote held when its process
 * ended is released (hipc_rproc_info.locks_released).
 * @retval 0, -HIPC_ENOENT (no pools region), -HIPC_EINVAL
 * Context: any thread; valid until hipc_rproc_free().
 */
HIPC_API int hipc_rproc_spinlocks(struct hipc_rproc *rp,
				  struct hipc_spinlock_set **set);

/* --- static vrings between two remotes ------------------------------------ */

/**
 * hipc_p2p_new() - a region for two remotes that talk directly: a memfd
 * holding a control page and two vrings of @num entries with @buf_size
 * buffers, plus an eventfd per direction.  No resource table, and the host
 * is not in the data path: it hands the fds to the two remotes
 * (config.p2p, one driver end and one device end) and maps the region only
 * to re-initialise it after one end died, before that end restarts (the
 * survivor is told to let go first, and to take it up again afterwards;
 * see docs/rproc.md).  It must outlive both hipc_rproc that use it.
 * @retval 0, -HIPC_EINVAL, -HIPC_ENOMEM
 */
HIPC_API int hipc_p2p_new(struct hipc_p2p **out, const char *name,
			  unsigned num, unsigned buf_size);
/** hipc_p2p_free() - close our fds; the remotes keep theirs. */
HIPC_API void hipc_p2p_free(struct hipc_p2p *p);

#endif
