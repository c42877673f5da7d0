/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Endpoint devices from any process: the same four calls against hipcd's
 * run directory (the host simulation) and against a real kernel's
 * /dev/rpmsg_ctrlN and /dev/rpmsgN, so an application runs unchanged in
 * both.  docs/interfaces.md has the whole story.
 *
 * Below the calls: the control protocol hipcd speaks on
 * RUN_DIR/REMOTE/rpmsg_ctrl, for clients in other languages (the Python
 * module speaks it too).
 */
#ifndef HIPC_RPMSG_CHAR_H
#define HIPC_RPMSG_CHAR_H

#include <stddef.h>
#include <stdint.h>

#include "hipc/export.h"

/* --- the control protocol ---------------------------------------------------- */

/*
 * RUN_DIR/REMOTE/rpmsg_ctrl is a SOCK_SEQPACKET socket.  Each request is
 * one struct hipc_ctrl_req (host byte order: both ends run on one machine),
 * each answer one struct hipc_ctrl_rsp.  A connection may carry any number
 * of requests; what it created outlives it (as with the kernel's
 * rpmsg_ctrl), until destroyed or the remote goes away for good.
 *
 * Endpoint N is the SOCK_SEQPACKET socket RUN_DIR/REMOTE/rpmsgN: one
 * message per send()/recv(), at most max_payload bytes, one client at a
 * time.
 */
#define HIPC_CTRL_CREATE 1u  /* make an endpoint from name/src/dst */
#define HIPC_CTRL_DESTROY 2u /* remove endpoint @index */
#define HIPC_CTRL_LOOKUP 3u  /* where the remote announced service @name */

#define HIPC_CTRL_ADDR_ANY 0xFFFFFFFFu

struct hipc_ctrl_req {
	uint32_t op;     /* HIPC_CTRL_* */
	/* The fields of the kernel's struct rpmsg_endpoint_info: */
	char name[32];   /* NUL-terminated */
	uint32_t src;    /* our address, HIPC_CTRL_ADDR_ANY: one is picked */
	uint32_t dst;    /* the remote's; HIPC_CTRL_ADDR_ANY: where it
			  * announced @name (the service must be up) */
	uint32_t index;  /* DESTROY: which endpoint */
};

struct hipc_ctrl_rsp {
	int32_t status;        /* 0, or a negative errno value */
	uint32_t index;        /* CREATE: N in rpmsgN */
	uint32_t src;          /* the endpoint's own address */
	uint32_t dst;          /* the remote's address */
	uint32_t max_payload;  /* largest message */
};

_Static_assert(sizeof(struct hipc_ctrl_req) == 48, "ctrl request");
_Static_assert(sizeof(struct hipc_ctrl_rsp) == 20, "ctrl response");

/* --- the four calls ---------------------------------------------------------- */

/* An open endpoint device. */
struct hipc_rpmsg_char_dev {
	/* public: read freely */
	int fd;                /* poll()/select()/epoll it; one message per
				* read()/write() (or the calls below) */
	uint32_t local_addr;   /* our rpmsg address */
	uint32_t remote_addr;  /* the remote's */
	uint32_t max_payload;  /* largest message; 0: not known (kernel) */
	char path[108];        /* the endpoint device opened */
	/* private */
	int ctrl;              /* kernel: the control device it came from;
				* simulation: -1 (a connection to hipcd's
				* rpmsg_ctrl is made for each open and
				* close, not held) */
	uint32_t index;        /* simulation: N in rpmsgN */
	int kernel;            /* a real kernel's /dev/rpmsgN */
	uint64_t ctrl_dev, ctrl_ino; /* simulation: the rpmsg_ctrl socket
				      * file the endpoint was made through
				      * (another one: a daemon since
				      * restarted, whose N is not ours) */
};

/**
 * hipc_rpmsg_char_init() - choose where endpoint devices come from.
 * @where: NULL: hipcd's run directory (HIPC_RUN_DIR, or the default one)
 * if a daemon serves it, else the running kernel's rpmsg_ctrl devices;
 * "kernel": the kernel's; anything else: that run directory.
 * @retval 0, -HIPC_ENOENT (neither is there), -HIPC_EALREADY (initialised
 * already: call hipc_rpmsg_char_exit() first)
 */
HIPC_API int hipc_rpmsg_char_init(const char *where);

/**
 * hipc_rpmsg_char_open() - a new endpoint talking to service @service of
 * remote @rproc.
 * @rproc: simulation: the remote's name in hipcd's configuration; kernel:
 *         "remoteprocN", "virtioN", or NULL for the first rpmsg device.
 * @service: the service the remote announced (its address is looked up),
 *         or NULL with an explicit @remote.
 * @local: our address, HIPC_CTRL_ADDR_ANY for any.
 * @remote: the remote's address, HIPC_CTRL_ADDR_ANY for @service's.
 * @ept_name: the new endpoint's name (NULL: @service's).
 * @flags: O_NONBLOCK and/or O_CLOEXEC.  The descriptors the library
 *         makes are always close-on-exec; O_CLOEXEC is taken for
 *         compatibility (clear FD_CLOEXEC with fcntl() to pass one on).
 * @retval 0 and *@out, or -HIPC_EINVAL, -HIPC_ENOENT (no such remote or
 *         service), -HIPC_ENOTCONN (the remote is down), -HIPC_EBUSY,
 *         -HIPC_ENOMEM, or what the daemon or the kernel refused with.
 */
HIPC_API int hipc_rpmsg_char_open(struct hipc_rpmsg_char_dev **out,
				  const char *rproc, const char *service,
				  uint32_t local, uint32_t remote,
				  const char *ept_name, int flags);

/** hipc_rpmsg_char_close() - destroy the endpoint and free @dev.
 * @retval 0 (also when the remote or hipcd is gone, and the endpoint with
 *         it), or the error destroying it (@dev is freed either way). */
HIPC_API int hipc_rpmsg_char_close(struct hipc_rpmsg_char_dev *dev);

/** hipc_rpmsg_char_exit() - forget the choice hipc_rpmsg_char_init() made. */
HIPC_API void hipc_rpmsg_char_exit(void);

/**
 * hipc_rpmsg_char_send() / hipc_rpmsg_char_recv() - one message, with the
 * same errors in the simulation and on a kernel: -HIPC_EMSGSIZE over
 * max_payload (nothing sent), -HIPC_EAGAIN (non-blocking, no buffer free /
 * nothing to read), -HIPC_ECONNRESET (the remote went away: reopen once it
 * announces again).  An empty message is 0 bytes.  Plain read()/write()
 * on @dev->fd work too; then a hang-up of the simulation reads as 0 bytes
 * as well.
 * @retval bytes sent or received, or a negative error.
 */
HIPC_API int hipc_rpmsg_char_send(struct hipc_rpmsg_char_dev *dev,
				  const void *buf, size_t len);
HIPC_API int hipc_rpmsg_char_recv(struct hipc_rpmsg_char_dev *dev, void *buf,
				  size_t len);

#endif
