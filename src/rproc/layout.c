/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region layout from a resource table (host and standalone remote), the
 * static-vring region between two remotes, and the run directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#include "rproc/rproc_internal.h"

static size_t page_up(size_t v)
{
	return (v + HIPC__PAGE - 1u) & ~(size_t)(HIPC__PAGE - 1u);
}

static void add_mem(struct hipc__layout *l, const char *name, size_t off,
		    size_t len)
{
	struct hipc_rproc_mem *m;

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
	long e;

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
		add_mem(l, (const char *)t + v->trace_off + 16, off,
			v->trace_len);
		off += page_up(v->trace_len);
	}
	/* The firmware's own carveouts: it asks for "anywhere", we place
	 * them.  A fixed address has no meaning inside a memfd. */
	for (unsigned n = 0;; n++) {
		uint32_t da, len;

		e = hipc_rsc_find(tbl, rsc_size, HIPC_RSC_CARVEOUT, n);
		if (e < 0)
			break;
		da = hipc__rd32(t + e + 4);
		len = hipc__rd32(t + e + 12);
		if (da != HIPC_FW_RSC_ADDR_ANY || l->ncarve >= HIPC__MAX_MEM ||
		    len == 0)
			return -HIPC_EBADMSG;
		l->carve_entry[l->ncarve] = (size_t)e;
		l->carve_off[l->ncarve] = off;
		l->ncarve++;
		add_mem(l, (const char *)t + e + 24, off, len);
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

	c->magic = HIPC_SIM_MAGIC;
	c->version = HIPC_SIM_VERSION;
	c->size = l->size;
	c->rsc_off = (uint32_t)l->rsc_off;
	c->rsc_size = (uint32_t)rsc_size;
	snprintf(c->name, sizeof(c->name), "%s", name);
	hipc_shm_fifo_reset(&c->fifo[0]);
	hipc_shm_fifo_reset(&c->fifo[1]);
	memcpy(tbl, src, rsc_size);
	for (unsigned i = 0; i < 2; i++) {
		uint8_t *vr = tbl + v->vdev_off + VDEV_VRING(i);

		hipc__wr32(vr + VRING_DA, (uint32_t)l->vring_off[i]);
		hipc__wr32(vr + VRING_NOTIFYID, i);
		hipc__wr32(vr + 16, 0); /* pa: written 0, as Linux does */
	}
	hipc__wr32(tbl + v->vdev_off + 8, 2); /* the vdev's own notifyid */
	if (l->trace_off)
		hipc__wr32(tbl + v->trace_off + TRACE_DA,
			   (uint32_t)l->trace_off);
	for (unsigned i = 0; i < l->ncarve; i++) {
		hipc__wr32(tbl + l->carve_entry[i] + 4,
			   (uint32_t)l->carve_off[i]);
		hipc__wr32(tbl + l->carve_entry[i] + 8,
			   (uint32_t)l->carve_off[i]);
	}
	hipc__wr32(tbl + v->vdev_off + VDEV_GFEATURES, gfeatures);
	tbl[v->vdev_off + VDEV_STATUS] =
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

int hipc_run_dir(char *buf, size_t len, int create)
{
	const char *env = getenv("HIPC_RUN_DIR");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (xdg && *xdg)
		n = snprintf(buf, len, "%s/hipc", xdg);
	else
		n = snprintf(buf, len, "/tmp/hipc-%u", (unsigned)getuid());
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (stat(buf, &st) < 0)
		return -errno;
	/* Sockets in here hand out shared memory: nobody else may even list
	 * or create entries. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 0077))
		return -EPERM;
	return 0;
}
