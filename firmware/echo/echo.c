/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Echo firmware: announces "rpmsg-client-sample" (the service Linux's
 * rpmsg sample client binds to) and sends every message back to its
 * sender, from the announced endpoint.
 *
 * It also announces "hipc-sink", which only counts: messages and bytes.
 * An empty message asks for the totals; the reply is 16 bytes, the two
 * counts as little-endian u64, and the counters restart.
 *
 * It offers the name service only.  Built as hipc-fw-echo-evt
 * (HIPC_ECHO_EVENT_IDX=1) it offers VIRTIO_RING_F_EVENT_IDX and hipc's
 * per-message CRC32C as well, and announces "hipc-echo-crc", an echo whose
 * replies carry a CRC when the host accepted the bit: for
 * hosts known to maintain used_event (Linux, hipc's own driver role), never
 * for OpenAMP's, which acknowledges the feature and leaves used_event at 0
 * (docs/rproc.md, "Interoperating with OpenAMP hosts").
 */

#include "hipc/remote.h"
#include "hipc/rsc.h"
#include "sink.h"

#ifndef HIPC_ECHO_EVENT_IDX
#define HIPC_ECHO_EVENT_IDX 0
#endif

HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096,
		     HIPC_RSC_F_NS |
			     (HIPC_ECHO_EVENT_IDX ? HIPC_RSC_F_EVENT_IDX |
							    HIPC_RSC_F_CRC
						  : 0));

static struct hipc_rpmsg_ept ept, sink, ept_crc;
static struct sink_counts sink_counts;

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

static int on_sink(struct hipc_rpmsg_ept *e, void *data, size_t len,
		   uint32_t src, void *priv)
{
	(void)data;
	(void)priv;
	sink_rx(&sink_counts, e, len, src, "echo");
	return 0;
}

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	int ret;

	(void)ctx;
	sink_counts = (struct sink_counts){ 0 };
	hipc_remote_trace("echo: up, announcing rpmsg-client-sample, "
			  "hipc-sink\n");
	ret = hipc_rpmsg_ept_create(&ept, dev, "rpmsg-client-sample",
				    HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				    on_msg, NULL);
	if (ret)
		return ret;
	ret = hipc_rpmsg_ept_create(&sink, dev, "hipc-sink",
				    HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				    on_sink, NULL);
	if (ret || !HIPC_ECHO_EVENT_IDX)
		return ret;
	ret = hipc_rpmsg_ept_create(&ept_crc, dev, "hipc-echo-crc",
				    HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				    on_msg, NULL);
	if (ret)
		return ret;
	/* -HIPC_ENOTSUP with a host that did not accept the bit: plain
	 * replies then, as the host's cannot carry a CRC either. */
	ret = hipc_rpmsg_ept_set_crc(&ept_crc, true);
	hipc_remote_trace("echo: hipc-echo-crc %s\n",
			  ret ? "without CRC (not negotiated)" : "with CRC");
	return 0;
}

static const struct hipc_firmware fw = {
	.name = HIPC_ECHO_EVENT_IDX ? "echo-evt" : "echo",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
};

HIPC_FIRMWARE_MAIN(fw)
