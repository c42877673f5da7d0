/* SPDX-License-Identifier: BSD-3-Clause */
/* The firmware served as a vhost-user rpmsg device (see hipc/vhost_user.h). */
#include <stdio.h>

#include "hipc/error.h"
#include "hipc/vhost_user.h"
#include "transport.h"

static int vhost_run(const struct hipc_firmware *fw, const char *socket_path)
{
	int ret = hipc_vhost_user_serve(fw, socket_path);

	if (ret)
		fprintf(stderr, "%s: vhost-user: %s\n", fw->name,
			hipc_strerror(ret));
	return ret ? 1 : 0;
}

const struct hipc_remote_transport hipc__transport_vhost_user = {
	.name = "vhost-user",
	.option = "--vhost-user",
	.arg_name = "SOCKET",
	.usage = "  --vhost-user SOCKET  serve the firmware as a vhost-user rpmsg\n"
		 "                       device (for User-mode Linux, QEMU)\n",
	.run = vhost_run,
};
