/* SPDX-License-Identifier: BSD-3-Clause */
/* What the rpmsg vdev of a validated resource table says. */
#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/rsc.h"
#include "sim_proto.h"

#define VDEV(t, off, f) HIPC_CFIELD((t) + (off), struct hipc_rsc_vdev, f)
#define VRING(t, f) HIPC_CFIELD(t, struct hipc_rsc_vring, f)

int hipc__sim_vdev_read(const void *table, size_t size, struct hipc_sim_vdev *v)
{
	const uint8_t *t = table;
	size_t off, cfg, tr;
	unsigned nth = 0;

	for (;; nth++) {
		if (hipc_rsc_find(table, size, HIPC_RSC_VDEV, nth, &off))
			return -HIPC_ENOENT;
		if (hipc_get_le32(VDEV(t, off, id)) == HIPC_VIRTIO_ID_RPMSG)
			break;
	}
	v->vdev_off = off;
	v->dfeatures = hipc_get_le32(VDEV(t, off, dfeatures));
	v->gfeatures = hipc_get_le32(VDEV(t, off, gfeatures));
	v->status = *(const uint8_t *)VDEV(t, off, status);
	if (*(const uint8_t *)VDEV(t, off, num_of_vrings) != 2)
		return -HIPC_EBADMSG;
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *r = (const uint8_t *)VDEV(t, off, vring) +
				   i * sizeof(struct hipc_rsc_vring);
		uint32_t num = hipc_get_le32(VRING(r, num));
		uint32_t align = hipc_get_le32(VRING(r, align));

		v->vring_da[i] = hipc_get_le32(VRING(r, da));
		v->notifyid[i] = hipc_get_le32(VRING(r, notifyid));
		if (i == 0) {
			v->num = num;
			v->align = align;
		} else if (v->num != num || v->align != align) {
			/* One buffer count for both directions, as Linux. */
			return -HIPC_EBADMSG;
		}
	}
	v->buf_size = 512;
	if (hipc_rsc_find(table, size, HIPC_RSC_HIPC_RPMSG, 0, &cfg) == 0)
		v->buf_size = hipc_get_le32(HIPC_CFIELD(
			t + cfg, struct hipc_rsc_hipc_rpmsg, buf_size));
	if (v->buf_size < 32 || v->buf_size > 65536)
		return -HIPC_EBADMSG;
	v->trace_off = -1;
	v->trace_da = 0;
	v->trace_len = 0;
	if (hipc_rsc_find(table, size, HIPC_RSC_TRACE, 0, &tr) == 0) {
		/* inside a validated table, whose size fits a u32 offset */
		v->trace_off = (long)tr;
		v->trace_da = hipc_get_le32(HIPC_CFIELD(
			t + tr, struct hipc_rsc_trace, da));
		v->trace_len = hipc_get_le32(HIPC_CFIELD(
			t + tr, struct hipc_rsc_trace, len));
	}
	return 0;
}
