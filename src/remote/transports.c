/* SPDX-License-Identifier: BSD-3-Clause */
/* The firmware runtime's transports (see transport.h). */
#include <stddef.h>

#include "transport.h"

const struct hipc_remote_transport *const hipc__transports[] = {
	&hipc__transport_sim,        /* the host simulation: the default */
	&hipc__transport_vhost_user, /* a Linux kernel's virtio_rpmsg_bus */
	NULL,
};
