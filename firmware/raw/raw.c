/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Raw echo firmware, for endpoint devices (hipcd's "endpoint" kind): it
 * announces "rpmsg-raw" and TI's "rpmsg_chrdev", which hipcd gives an
 * endpoint device each (RUN_DIR/REMOTE/rpmsgN), and "rpmsg-client-sample",
 * which a client reaches by creating an endpoint through rpmsg_ctrl.  All
 * three send every message back to its sender, from the announced address.
 *
 * "hipc-raw-ctl" takes commands: "cycle" withdraws "rpmsg-raw" (a name
 * service destroy) and announces it again at once, as a firmware that
 * restarts one service does; the reply is "ok".
 *
 * A separate image from firmware/echo: a real kernel binds "rpmsg-raw" by
 * itself, and the tests written against echo's two services stay as they
 * are.
 */

#include <string.h>

#include "hipc/remote.h"
#include "hipc/rsc.h"

HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096, HIPC_RSC_F_NS);

static struct hipc_rpmsg_ept epts[3], ctl;
static const char *const names[] = { "rpmsg-raw", "rpmsg_chrdev",
				     "rpmsg-client-sample" };

static int on_msg(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	int ret;

	(void)priv;
	/* A bounded wait: the host keeps draining while we are blocked (or
	 * evicts the reader that stalls us); never hang on a dead host. */
	ret = hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data, len, 5000);
	if (ret < 0)
		hipc_remote_trace("raw: reply to 0x%x failed: %d\n",
				  (unsigned)src, ret);
	return 0;
}

static int on_ctl(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	struct hipc_rpmsg_dev *dev = e->dev;
	int ret;

	(void)priv;
	if (len != 5 || memcmp(data, "cycle", 5))
		return 0;
	hipc_rpmsg_ept_destroy(&epts[0]);
	ret = hipc_rpmsg_ept_create(&epts[0], dev, names[0],
				    HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				    on_msg, NULL);
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, ret ? "error" : "ok",
			       ret ? 5 : 2, 5000) < 0)
		hipc_remote_trace("raw: ctl reply failed\n");
	return 0;
}

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)ctx;
	hipc_remote_trace("raw: up, announcing rpmsg-raw, rpmsg_chrdev, "
			  "rpmsg-client-sample, hipc-raw-ctl\n");
	for (unsigned i = 0; i < 3; i++) {
		int ret = hipc_rpmsg_ept_create(&epts[i], dev, names[i],
						HIPC_RPMSG_ADDR_ANY,
						HIPC_RPMSG_ADDR_ANY, on_msg,
						NULL);

		if (ret)
			return ret;
	}
	return hipc_rpmsg_ept_create(&ctl, dev, "hipc-raw-ctl",
				     HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				     on_ctl, NULL);
}

static const struct hipc_firmware fw = {
	.name = "raw",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
};

HIPC_FIRMWARE_MAIN(fw)
