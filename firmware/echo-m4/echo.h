/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The echo service, apart from the board glue in main.c so that a test
 * image can drive it against a host side in the same address space.
 */
#ifndef HIPC_FW_ECHO_H
#define HIPC_FW_ECHO_H

#include <stdbool.h>

#include "hipc/baremetal.h"
#include "hipc/rpmsg.h"
#include "hipc/rsc.h"

#define HIPC_ECHO_NS_NAME "rpmsg-client-sample"

struct hipc_echo {
	struct hipc_bm *bm;
	struct hipc_rsc_table_rpmsg *rsc;
	struct hipc_rpmsg_dev dev;
	struct hipc_rpmsg_ept ept;
	struct hipc_rpmsg_ept *buckets[2];
};

/* Has the host set DRIVER_OK in @rsc (the loaded copy of our table)? */
bool hipc_echo_ready(struct hipc_echo *e);

/* DRIVER_OK seen: bring up the device from the table, announce the service.
 * 0 or a negative hipc error (a table the host filled in wrongly). */
int hipc_echo_start(struct hipc_echo *e);

/* Serve what has arrived.  Return: 1 when the caller may sleep until the
 * next doorbell, 0 to call again at once, negative when the host broke the
 * protocol. */
int hipc_echo_poll(struct hipc_echo *e);

#endif
