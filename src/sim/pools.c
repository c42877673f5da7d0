/* SPDX-License-Identifier: BSD-3-Clause */
/* The big-buffer pool region's layout from a resource table (sim_proto.h). */
#include <string.h>

#include "hipc/bufpool.h"
#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/rsc.h"
#include "sim_proto.h"

#define POOL(e, f) HIPC_CFIELD(e, struct hipc_rsc_hipc_pool, f)

static uint64_t page_up64(uint64_t v)
{
	return (v + HIPC__PAGE - 1u) & ~(uint64_t)(HIPC__PAGE - 1u);
}

int hipc__pools_plan(const void *tbl, size_t size, struct hipc__pools_layout *l)
{
	const uint8_t *t = tbl;
	uint64_t off = HIPC__PAGE;
	size_t e;

	memset(l, 0, sizeof(*l));
	for (unsigned n = 0;; n++) {
		struct hipc__pool_plan *p;

		if (hipc_rsc_find(tbl, size, HIPC_RSC_HIPC_POOL, n, &e))
			break;
		if (l->npools >= HIPC__MAX_POOLS)
			return -HIPC_EBADMSG;
		p = &l->pool[l->npools];
		/* validated: the name is NUL-terminated inside the entry */
		memcpy(p->name, POOL(t + e, name), sizeof(p->name));
		p->pool_id = hipc_get_le32(POOL(t + e, pool_id));
		p->count = hipc_get_le32(POOL(t + e, count));
		p->host_count = hipc_get_le32(POOL(t + e, host_count));
		p->buf_size = hipc_get_le32(POOL(t + e, buf_size));
		p->align = hipc_get_le32(POOL(t + e, align));
		if (!p->name[0] || p->count == 0 || p->count > 0x7FFFFFFFu ||
		    p->host_count > p->count || p->align < 8u ||
		    p->align > HIPC__PAGE || (p->align & (p->align - 1u)) ||
		    p->buf_size == 0 || p->buf_size % p->align)
			return -HIPC_EBADMSG;
		for (unsigned i = 0; i < l->npools; i++)
			if (!strcmp(l->pool[i].name, p->name) ||
			    l->pool[i].pool_id == p->pool_id)
				return -HIPC_EBADMSG;
		p->size = HIPC_BUFPOOL_SHM_SIZE(p->count, p->buf_size, p->align);
		if (p->size > HIPC__POOL_MAX_SIZE)
			return -HIPC_ERANGE;
		p->off = off;
		off += page_up64(p->size);
		if (off > HIPC__POOLS_MAX_SIZE)
			return -HIPC_ERANGE;
		l->npools++;
	}
	l->size = l->npools ? off : 0;
	return 0;
}

int hipc__pools_same(const struct hipc__pools_layout *a,
		     const struct hipc__pools_layout *b)
{
	if (a->npools != b->npools || a->size != b->size)
		return 0;
	for (unsigned i = 0; i < a->npools; i++) {
		const struct hipc__pool_plan *x = &a->pool[i], *y = &b->pool[i];

		if (strcmp(x->name, y->name) || x->pool_id != y->pool_id ||
		    x->count != y->count || x->host_count != y->host_count ||
		    x->buf_size != y->buf_size || x->align != y->align ||
		    x->off != y->off)
			return 0;
	}
	return 1;
}
