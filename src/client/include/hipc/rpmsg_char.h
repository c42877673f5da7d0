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

#endif
