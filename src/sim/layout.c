/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region layout from a resource table (host and standalone remote), the
 * static-vring region between two remotes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#include "sim_proto.h"

#define CARVE(e, f) HIPC_CFIELD(e, struct hipc_rsc_carveout, f)
#define VDEV(e, f) HIPC_FIELD(e, struct hipc_rsc_vdev, f)
#define VRING(r, f) HIPC_FIELD(r, struct hipc_rsc_vring, f)

static size_t page_up(size_t v)
{
	return (v + HIPC__PAGE - 1u) & ~(size_t)(HIPC__PAGE - 1u);
}

static void add_mem(struct hipc__layout *l, const char *name, size_t off,
		    size_t len)
{
	struct hipc_sim_mem *m;

	if (l->nmem >= HIPC__MAX_MEM)
		return;
	m = &l->mem[l->nmem++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->da = (uint32_t)off;
	m->len = (uint32_t)len;
}

int hipc__layout_plan(const void *tbl, size_t rsc_size,
		      const struct hipc_sim_vdev *v, struct hipc__layout *l)
{
	const uint8_t *t = tbl;
	size_t vsz = hipc_vring_size(v->num, v->align);
	size_t off = HIPC__PAGE;
	size_t e;

	memset(l, 0, sizeof(*l));
	if (!vsz)
		return -HIPC_EBADMSG;
	l->rsc_off = off;
	off += page_up(rsc_size);
	/* Named as Linux names the memory it allocates for a vdev. */
	for (unsigned i = 0; i < 2; i++) {
		char name[32];

		l->vring_off[i] = off;
		snprintf(name, sizeof(name), "vdev0vring%u", i);
		add_mem(l, name, off, vsz);
		off += page_up(vsz);
	}
	l->bufs_off = off;
	add_mem(l, "vdev0buffer", off, (size_t)2 * v->num * v->buf_size);
	off += page_up((size_t)2 * v->num * v->buf_size);
	if (v->trace_off >= 0 && v->trace_len) {
		l->trace_off = off;
		add_mem(l, HIPC_CFIELD(t + v->trace_off, struct hipc_rsc_trace, name), off,
			v->trace_len);
		off += page_up(v->trace_len);
	}
	/* The firmware's own carveouts: it asks for "anywhere", we place
	 * them.  A fixed address has no meaning inside a memfd. */
	for (unsigned n = 0;; n++) {
		uint32_t da, len;

		if (hipc_rsc_find(tbl, rsc_size, HIPC_RSC_CARVEOUT, n, &e))
			break;
		da = hipc_get_le32(CARVE(t + e, da));
		len = hipc_get_le32(CARVE(t + e, len));
		if (da != HIPC_FW_RSC_ADDR_ANY || l->ncarve >= HIPC__MAX_MEM ||
		    len == 0)
			return -HIPC_EBADMSG;
		l->carve_entry[l->ncarve] = e;
		l->carve_off[l->ncarve] = off;
		l->ncarve++;
		add_mem(l, CARVE(t + e, name), off, len);
		off += page_up(len);
		if (off > UINT32_MAX)
			return -HIPC_ERANGE;
	}
	l->size = off;
	/* Device addresses are 32-bit in the resource table. */
	return off > UINT32_MAX ? -HIPC_ERANGE : 0;
}

void hipc__layout_apply(uint8_t *base, const struct hipc__layout *l,
			const void *src, size_t rsc_size,
			const struct hipc_sim_vdev *v, const char *name,
			uint32_t gfeatures)
{
	struct hipc_sim_ctrl *c = (struct hipc_sim_ctrl *)base;
	uint8_t *tbl = base + l->rsc_off;
	uint8_t *vd = tbl + v->vdev_off;

	c->magic = HIPC_SIM_MAGIC;
	c->version = HIPC_SIM_VERSION;
	c->size = l->size;
	c->rsc_off = (uint32_t)l->rsc_off;
	c->rsc_size = (uint32_t)rsc_size;
	snprintf(c->name, sizeof(c->name), "%s", name);
	hipc_link_shared_init(&c->mbox);
	memcpy(tbl, src, rsc_size);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *vr = (uint8_t *)VDEV(vd, vring) +
			      i * sizeof(struct hipc_rsc_vring);

		hipc_put_le32(VRING(vr, da), (uint32_t)l->vring_off[i]);
		hipc_put_le32(VRING(vr, notifyid), i);
		hipc_put_le32(VRING(vr, pa), 0); /* written 0, as Linux does */
	}
	hipc_put_le32(VDEV(vd, notifyid), 2); /* the vdev's own notifyid */
	if (l->trace_off)
		hipc_put_le32(HIPC_FIELD(tbl + v->trace_off,
					 struct hipc_rsc_trace, da),
			      (uint32_t)l->trace_off);
	for (unsigned i = 0; i < l->ncarve; i++) {
		uint8_t *e = tbl + l->carve_entry[i];

		hipc_put_le32(HIPC_FIELD(e, struct hipc_rsc_carveout, da),
			      (uint32_t)l->carve_off[i]);
		hipc_put_le32(HIPC_FIELD(e, struct hipc_rsc_carveout, pa),
			      (uint32_t)l->carve_off[i]);
	}
	hipc_put_le32(VDEV(vd, gfeatures), gfeatures);
	*(uint8_t *)VDEV(vd, status) =
		HIPC_VIRTIO_STATUS_ACKNOWLEDGE | HIPC_VIRTIO_STATUS_DRIVER;
}

int hipc__p2p_plan(unsigned num, unsigned buf_size, struct hipc__p2p_layout *l)
{
	size_t vsz = hipc_vring_size(num, 16);

	if (!vsz || buf_size < 32 || buf_size > 65536 || num > 32768)
		return -HIPC_EINVAL;
	l->vring_off[0] = HIPC__PAGE;
	l->vring_off[1] = l->vring_off[0] + page_up(vsz);
	l->bufs_off = l->vring_off[1] + page_up(vsz);
	l->size = l->bufs_off + page_up((size_t)2 * num * buf_size);
	return 0;
}
