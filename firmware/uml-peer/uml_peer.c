/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Firmware for the User-mode Linux tests: three services, announced in
 * this order (so Linux numbers the TTYs predictably):
 *
 *   "rpmsg-tty" (-> /dev/ttyRPMSG0)  echoes every message to its sender.
 *   "hipc-burst"                     on "burst N" sends N 496-byte messages
 *                                    (a 32-bit sequence number, then a
 *                                    pattern) as fast as the driver's rx
 *                                    buffers allow, then a summary line
 *                                    "done N waits W" (W: sends that had
 *                                    to wait for a free buffer).
 *   "rpmsg-tty" (-> /dev/ttyRPMSG1)  withdraws itself (name-service
 *                                    destroy) on its first message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipc/remote.h"
#include "hipc/rsc.h"

/* Event index offered: this peer only ever serves Linux's virtio_rpmsg_bus
 * (User-mode Linux over vhost-user), which maintains used_event.  A
 * firmware an OpenAMP host may drive must not offer it (hipc/rsc.h). */
HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096,
		     HIPC_RSC_F_NS | HIPC_RSC_F_EVENT_IDX);

#define BURST_LEN 496u
#define SEND_TIMEOUT_MS 10000u

static struct hipc_rpmsg_ept tty_ept, burst_ept, vanish_ept;
static struct hipc_rpmsg_dev *the_dev;

static struct {
	uint32_t total;
	uint32_t sent;
	uint32_t dst;
	uint64_t waits0;
	bool active;
} burst;

/* Sends that had to wait for a buffer, so far. */
static uint64_t tx_waits(const struct hipc_rpmsg_dev *dev)
{
	struct hipc_rpmsg_stats st;

	return hipc_rpmsg_get_stats(dev, &st) == 0 ? st.tx_waits : 0;
}

static int tty_rx(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	int ret;

	(void)priv;
	ret = hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data, len,
				 SEND_TIMEOUT_MS);
	if (ret < 0)
		hipc_remote_trace("uml-peer: tty echo failed: %d\n", ret);
	return 0;
}

static int vanish_rx(struct hipc_rpmsg_ept *e, void *data, size_t len,
		     uint32_t src, void *priv)
{
	(void)data;
	(void)len;
	(void)src;
	(void)priv;
	hipc_remote_trace("uml-peer: withdrawing the second rpmsg-tty\n");
	hipc_rpmsg_ept_destroy(e);
	return 0;
}

static int burst_rx(struct hipc_rpmsg_ept *e, void *data, size_t len,
		    uint32_t src, void *priv)
{
	char cmd[32];
	unsigned long n;

	(void)e;
	(void)priv;
	if (len >= sizeof(cmd) || burst.active)
		return 0;
	memcpy(cmd, data, len);
	cmd[len] = '\0';
	if (strncmp(cmd, "burst ", 6) != 0)
		return 0;
	n = strtoul(cmd + 6, NULL, 10);
	if (n == 0 || n > 10000000ul)
		return 0;
	burst.total = (uint32_t)n;
	burst.sent = 0;
	burst.dst = src;
	burst.waits0 = tx_waits(the_dev);
	burst.active = true;
	return 0;
}

static void burst_fill(uint8_t *p, uint32_t seq)
{
	memcpy(p, &seq, 4);
	for (uint32_t i = 4; i < BURST_LEN; i++)
		p[i] = (uint8_t)(seq + i);
}

/* Sends happen here, in the loop, not in the receive callback: a blocking
 * send keeps processing receives while it waits for a buffer. */
static int peer_poll(struct hipc_rpmsg_dev *dev, void *ctx)
{
	uint8_t buf[BURST_LEN];
	char line[64];
	int ret, n;

	(void)ctx;
	if (!burst.active)
		return 0;
	for (int i = 0; i < 64 && burst.sent < burst.total; i++) {
		burst_fill(buf, burst.sent);
		ret = hipc_rpmsg_send_ex(&burst_ept, HIPC_RPMSG_ADDR_ANY,
					 burst.dst, buf, BURST_LEN,
					 SEND_TIMEOUT_MS);
		if (ret < 0) {
			hipc_remote_trace("uml-peer: burst send %u: %d\n",
					  burst.sent, ret);
			burst.active = false;
			return 1;
		}
		burst.sent++;
	}
	if (burst.sent < burst.total)
		return 1;
	n = snprintf(line, sizeof(line), "done %u waits %llu", burst.sent,
		     (unsigned long long)(tx_waits(dev) - burst.waits0));
	ret = hipc_rpmsg_send_ex(&burst_ept, HIPC_RPMSG_ADDR_ANY, burst.dst,
				 line, (size_t)n, SEND_TIMEOUT_MS);
	if (ret < 0)
		hipc_remote_trace("uml-peer: burst summary: %d\n", ret);
	burst.active = false;
	return 1;
}

static int peer_start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	int ret;

	(void)ctx;
	the_dev = dev;
	memset(&burst, 0, sizeof(burst));
	ret = hipc_rpmsg_ept_create(&tty_ept, dev, "rpmsg-tty",
				    HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				    tty_rx, NULL);
	if (!ret)
		ret = hipc_rpmsg_ept_create(&burst_ept, dev, "hipc-burst",
					    HIPC_RPMSG_ADDR_ANY,
					    HIPC_RPMSG_ADDR_ANY, burst_rx,
					    NULL);
	if (!ret)
		ret = hipc_rpmsg_ept_create(&vanish_ept, dev, "rpmsg-tty",
					    HIPC_RPMSG_ADDR_ANY,
					    HIPC_RPMSG_ADDR_ANY, vanish_rx,
					    NULL);
	return ret;
}

static const struct hipc_firmware fw = {
	.name = "uml-peer",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = peer_start,
	.poll = peer_poll,
};

HIPC_FIRMWARE_MAIN(fw)
