// SPDX-License-Identifier: BSD-3-Clause
/*
 * Echo service: device-role rpmsg with the name service and one endpoint,
 * announced as "rpmsg-client-sample", that sends every message back to its
 * sender.  No heap, no buffers of its own: the host owns the buffer pool and
 * the vrings, in shared memory it describes through the resource table.
 */
#include <stdint.h>

#include "hipc/error.h"

#include "echo.h"

static int echo_cb(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		   uint32_t src, void *priv)
{
	(void)priv;
	/* Runs in the receive path: never wait for a tx buffer here.  With
	 * none free the message is dropped, as a UDP echo would drop it. */
	hipc_rpmsg_trysendto(ept, data, len, src);
	return 0;
}

bool hipc_echo_ready(struct hipc_echo *e)
{
	const struct hipc_port *port = hipc_bm_port(e->bm);
	bool ok;

	/* Re-read the host's writes to the table (no-op without a D-cache). */
	if (port->ops->cache_invalidate)
		port->ops->cache_invalidate(port->ctx, e->rsc, sizeof(*e->rsc));
	ok = *(volatile uint8_t *)&e->rsc->vdev.status &
	     HIPC_VIRTIO_STATUS_DRIVER_OK;
	/* The host wrote the vring addresses before DRIVER_OK: our reads of
	 * them must not be satisfied before the read that saw the bit. */
	__asm__ volatile("dmb 0xF" : : : "memory");
	return ok;
}

int hipc_echo_start(struct hipc_echo *e)
{
	const struct hipc_rsc_table_rpmsg *t = e->rsc;
	struct hipc_rpmsg_dev_config cfg = { 0 };
	unsigned i;
	int ret;

	for (i = 0; i < 2; i++) {
		/* The host chose these; the core checks each ring lies in the
		 * shared window, and that one num and align suit a ring. */
		if (t->vring[i].num != t->vring[0].num ||
		    t->vring[i].align != t->vring[0].align)
			return -HIPC_EINVAL;
		cfg.vring_da[i] = t->vring[i].da;
		cfg.notifyid[i] = t->vring[i].notifyid;
	}
	cfg.role = HIPC_RPMSG_DEVICE;
	cfg.num = t->vring[0].num;
	cfg.align = t->vring[0].align;
	cfg.features = t->vdev.gfeatures & t->vdev.dfeatures;
	cfg.buf_size = t->cfg.buf_size;
	cfg.map = hipc_bm_memmap(e->bm);
	cfg.buckets = e->buckets;
	cfg.nbuckets = 2;
	cfg.port = hipc_bm_port(e->bm);

	ret = hipc_rpmsg_dev_init(&e->dev, &cfg);
	if (ret)
		return ret;
	ret = hipc_rpmsg_ept_create(&e->ept, &e->dev, HIPC_ECHO_NS_NAME,
				    HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				    echo_cb, NULL);
	if (ret)
		return ret;
	return hipc_rpmsg_dev_start(&e->dev);
}

int hipc_echo_poll(struct hipc_echo *e)
{
	int ret = hipc_rpmsg_poll(&e->dev, 0);

	if (ret < 0)
		return ret;
	/* Sleep only once the host has been asked to ring us for its next
	 * message; otherwise there may be work no doorbell will announce. */
	return hipc_rpmsg_prepare_sleep(&e->dev) ? 1 : 0;
}
