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

#include <stdint.h>
#include <sys/types.h>

#include "hipc/export.h"
#include "hipc/linux.h"
#include "hipc/rpmsg.h"

enum hipc_rproc_state {
	HIPC_RPROC_OFFLINE = 0,
	HIPC_RPROC_RUNNING,
	HIPC_RPROC_ATTACHED,
	HIPC_RPROC_DETACHED,
	HIPC_RPROC_CRASHED,
};

struct hipc_rproc;

struct hipc_rproc_config {
	const char *name;          /* "remoteproc0", "m4", ... */
	const char *firmware;      /* path to the firmware ELF (executable) */
	char *const *fw_args;      /* extra argv for the firmware, may be NULL */
	enum hipc_link_mode mode;  /* doorbell mode, both sides */
	unsigned spin_us;          /* adaptive mode spin */
	unsigned nbuckets;         /* endpoint hash buckets (0: 256) */
	/* services the remote announces / withdraws */
	hipc_rpmsg_ns_cb ns_cb;
	void *ns_priv;
	/* every control message from the remote (ready, crash, echo reply) */
	void (*on_ctrl)(struct hipc_rproc *rp, uint32_t msg, void *priv);
	void *ctrl_priv;
	unsigned boot_timeout_ms;  /* wait for the remote's READY (0: 10000) */
};

/**
 * hipc_rproc_new() - an offline remote.  Copies @cfg (strings included).
 * @retval 0, -HIPC_EINVAL, -HIPC_ENOMEM
 */
HIPC_API int hipc_rproc_new(struct hipc_rproc **out,
			    const struct hipc_rproc_config *cfg);

/**
 * hipc_rproc_start() - load, lay out, spawn and bring up the remote; returns
 * once the remote reported READY (its services are announced right after,
 * delivered through ns_cb by hipc_rproc_process()).
 * @err/@errlen: a one-line reason on failure (may be NULL).
 * @retval 0 running
 * @retval -HIPC_ENOENT / -HIPC_ENOEXEC / -HIPC_EBADMSG bad firmware
 * @retval -HIPC_ETIMEDOUT the remote did not report READY in time
 * @retval -HIPC_EBUSY already running
 * Context: blocks up to boot_timeout_ms.
 */
HIPC_API int hipc_rproc_start(struct hipc_rproc *rp, char *err, size_t errlen);

/**
 * hipc_rproc_stop() - ask the remote to shut down (mailbox SHUTDOWN), wait
 * up to @timeout_ms for it to exit, then kill it.  Endpoints are unbound,
 * the region and doorbells released.  @retval 0 (clean) or 1 (killed).
 */
HIPC_API int hipc_rproc_stop(struct hipc_rproc *rp, unsigned timeout_ms);

/** hipc_rproc_free() - stop if needed, release everything. */
HIPC_API void hipc_rproc_free(struct hipc_rproc *rp);

/** hipc_rproc_rpmsg() - the rpmsg device (driver role), NULL when offline. */
HIPC_API struct hipc_rpmsg_dev *hipc_rproc_rpmsg(struct hipc_rproc *rp);

/** hipc_rproc_link() - the mailbox link, NULL when offline. */
HIPC_API struct hipc_link *hipc_rproc_link(struct hipc_rproc *rp);

/** hipc_rproc_fd() - readable when the remote rang (for epoll); -1 offline. */
HIPC_API int hipc_rproc_fd(const struct hipc_rproc *rp);

/**
 * hipc_rproc_process() - drain doorbells, deliver control messages and rpmsg
 * traffic.  Return: messages delivered (>= 0) or a negative error
 * (-HIPC_EIO: the remote broke the protocol).
 */
HIPC_API int hipc_rproc_process(struct hipc_rproc *rp);

/**
 * hipc_rproc_run() - process, then sleep until the next doorbell or
 * @timeout_ms (0: do not sleep).  For simple single-threaded hosts.
 */
HIPC_API int hipc_rproc_run(struct hipc_rproc *rp, unsigned timeout_ms);

HIPC_API enum hipc_rproc_state hipc_rproc_state(const struct hipc_rproc *rp);
HIPC_API const char *hipc_rproc_state_name(enum hipc_rproc_state s);
HIPC_API pid_t hipc_rproc_pid(const struct hipc_rproc *rp);
HIPC_API const char *hipc_rproc_name(const struct hipc_rproc *rp);

#endif
