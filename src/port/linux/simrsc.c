/* SPDX-License-Identifier: BSD-3-Clause */
#include "hipc/error.h"
#include "hipc/rsc.h"
#include "port/linux/sim_internal.h"

int hipc__sim_vdev_read(const void *table, size_t size, struct hipc_sim_vdev *v)
{
	const uint8_t *t = table;
	long off, cfg, tr;
	unsigned nth = 0;

	for (;; nth++) {
		off = hipc_rsc_find(table, size, HIPC_RSC_VDEV, nth);
		if (off < 0)
			return -HIPC_ENOENT;
		if (hipc__rd32(t + off + 4) == HIPC_VIRTIO_ID_RPMSG)
			break;
	}
	v->vdev_off = (size_t)off;
	v->dfeatures = hipc__rd32(t + off + VDEV_DFEATURES);
	v->gfeatures = hipc__rd32(t + off + VDEV_GFEATURES);
	v->status = t[off + VDEV_STATUS];
	if (t[off + VDEV_NUM_VRINGS] != 2)
		return -HIPC_EBADMSG;
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *r = t + off + VDEV_VRING(i);

		v->vring_da[i] = hipc__rd32(r + VRING_DA);
		v->notifyid[i] = hipc__rd32(r + VRING_NOTIFYID);
		if (i == 0) {
			v->num = hipc__rd32(r + VRING_NUM);
			v->align = hipc__rd32(r + VRING_ALIGN);
		} else if (v->num != hipc__rd32(r + VRING_NUM) ||
			   v->align != hipc__rd32(r + VRING_ALIGN)) {
			/* One buffer count for both directions, as Linux. */
			return -HIPC_EBADMSG;
		}
	}
	v->buf_size = 512;
	cfg = hipc_rsc_find(table, size, HIPC_RSC_HIPC_RPMSG, 0);
	if (cfg >= 0)
		v->buf_size = hipc__rd32(t + cfg + 4);
	if (v->buf_size < 32 || v->buf_size > 65536)
		return -HIPC_EBADMSG;
	tr = hipc_rsc_find(table, size, HIPC_RSC_TRACE, 0);
	v->trace_off = tr;
	v->trace_da = tr >= 0 ? hipc__rd32(t + tr + TRACE_DA) : 0;
	v->trace_len = tr >= 0 ? hipc__rd32(t + tr + TRACE_LEN) : 0;
	return 0;
}
