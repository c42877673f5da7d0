/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Echo firmware: announces "rpmsg-client-sample" (the service Linux's
 * rpmsg sample client binds to) and sends every message back to its
 * sender, from the announced endpoint.
 */
#include "hipc/remote.h"
#include "hipc/rsc.h"

HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096,
		     HIPC_RSC_F_NS | HIPC_RSC_F_EVENT_IDX);

static struct hipc_rpmsg_ept ept;

static int on_msg(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	int ret;

	(void)priv;
	/* A bounded wait: the host keeps draining while we are blocked, so
	 * a full ring frees up; never hang the loop on a dead host. */
	ret = hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data, len, 5000);
	if (ret < 0)
		hipc_remote_trace("echo: reply to 0x%x failed: %d\n",
				  (unsigned)src, ret);
	return 0;
}

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)ctx;
	hipc_remote_trace("echo: up, announcing rpmsg-client-sample\n");
	return hipc_rpmsg_ept_create(&ept, dev, "rpmsg-client-sample",
				     HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				     on_msg, NULL);
}

static const struct hipc_firmware fw = {
	.name = "echo",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
};

HIPC_FIRMWARE_MAIN(fw)
