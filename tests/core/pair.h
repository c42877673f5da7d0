/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A driver-role and a device-role rpmsg device over one memory region in
 * one process, single-threaded: the port counts doorbells instead of
 * ringing them.  Portable (host and Cortex-M4): no threads, no heap.
 */
#ifndef HIPC_TEST_PAIR_H
#define HIPC_TEST_PAIR_H

#include <string.h>

#include "hipc/error.h"
#include "hipc/rpmsg.h"
#include "hipc_test.h"

#define PAIR_NUM 64u
#define PAIR_BUF 512u
#define PAIR_ALIGN 16u
#define PAIR_BUCKETS 64u
#define PAIR_RING_BYTES 4096u /* >= hipc_vring_size(64, 16), page-rounded */
#define PAIR_REGION (2u * PAIR_RING_BYTES + 2u * PAIR_NUM * PAIR_BUF)

struct side {
	struct hipc_rpmsg_dev dev;
	struct hipc_port port;
	struct hipc_rpmsg_ept *buckets[PAIR_BUCKETS];
	unsigned notified[2];
	unsigned notifies;
};

struct pair {
	uint8_t *region; /* PAIR_REGION bytes, 16-aligned */
	struct hipc_region reg;
	struct hipc_memmap map;
	struct side drv, devc;
	uint64_t storage[(2 * PAIR_NUM * sizeof(struct hipc_vring_slot) +
			  PAIR_NUM * 2 + 2 * PAIR_NUM) / 8 + 1];
	/* memory both sides' endpoint tables may grow into (NULL: none);
	 * kept across pair_up() */
	const struct hipc_mem_ops *mem;
	/* name-service events seen by each side */
	char ns_name[2][32];
	uint32_t ns_addr[2];
	int ns_created[2], ns_destroyed[2];
};

static int pair_notify(void *ctx, uint32_t id)
{
	struct side *s = ctx;

	if (id < 2)
		s->notified[id]++;
	s->notifies++;
	return 0;
}

static const struct hipc_port_ops pair_ops = { .notify = pair_notify };

static void pair_ns(struct hipc_rpmsg_dev *dev, const char *name,
		    uint32_t addr, bool destroyed, void *priv)
{
	struct pair *p = priv;
	int i = dev == &p->drv.dev ? 0 : 1;

	strncpy(p->ns_name[i], name, 31);
	p->ns_addr[i] = addr;
	if (destroyed)
		p->ns_destroyed[i]++;
	else
		p->ns_created[i]++;
}

static inline void pair_config(struct pair *p, struct hipc_rpmsg_dev_config *c,
			       enum hipc_rpmsg_role role, uint32_t features)
{
	struct side *s = role == HIPC_RPMSG_DRIVER ? &p->drv : &p->devc;

	memset(c, 0, sizeof(*c));
	c->role = role;
	c->vring_da[0] = p->reg.da;
	c->vring_da[1] = p->reg.da + PAIR_RING_BYTES;
	c->notifyid[0] = 0;
	c->notifyid[1] = 1;
	c->num = PAIR_NUM;
	c->align = PAIR_ALIGN;
	c->features = features;
	c->buf_size = PAIR_BUF;
	c->bufs = role == HIPC_RPMSG_DRIVER ? p->region + 2 * PAIR_RING_BYTES
					    : NULL;
	c->map = &p->map;
	if (role == HIPC_RPMSG_DRIVER) {
		c->storage = p->storage;
		c->storage_size = sizeof(p->storage);
	}
	c->buckets = s->buckets;
	c->nbuckets = PAIR_BUCKETS;
	c->mem = p->mem;
	s->port.ops = &pair_ops;
	s->port.ctx = s;
	c->port = &s->port;
	c->ns_cb = pair_ns;
	c->ns_priv = p;
}

/* A device's counters and ring positions, through the public accessors. */
static inline struct hipc_rpmsg_stats pair_stats(const struct hipc_rpmsg_dev *d)
{
	struct hipc_rpmsg_stats s;

	CHECK_EQ(hipc_rpmsg_get_stats(d, &s), 0);
	return s;
}

static inline struct hipc_vring_info pair_ring(const struct hipc_rpmsg_dev *d,
					       unsigned q)
{
	struct hipc_vring_info i;

	CHECK_EQ(hipc_rpmsg_ring_info(d, q, &i), 0);
	return i;
}

#define F_NS (1u << HIPC_RPMSG_F_NS)
#define F_EVT (1u << HIPC_VIRTIO_F_EVENT_IDX)

/* Bring both sides up in Linux's order: driver posts everything, DRIVER_OK,
 * device comes up, driver kicks, device announces. */
static inline void pair_up(struct pair *p, uint8_t *region, uint32_t features)
{
	const struct hipc_mem_ops *mem = p->mem;
	struct hipc_rpmsg_dev_config c;

	memset(p, 0, sizeof(*p));
	p->mem = mem;
	p->region = region;
	memset(region, 0xA5, PAIR_REGION);
	p->reg.da = 0x10000000u;
	p->reg.va = region;
	p->reg.size = PAIR_REGION;
	p->map.regions = &p->reg;
	p->map.count = 1;
	pair_config(p, &c, HIPC_RPMSG_DRIVER, features);
	CHECK_EQ(hipc_rpmsg_dev_init(&p->drv.dev, &c), 0);
	pair_config(p, &c, HIPC_RPMSG_DEVICE, features);
	CHECK_EQ(hipc_rpmsg_dev_init(&p->devc.dev, &c), 0);
	CHECK_EQ(hipc_rpmsg_dev_start(&p->drv.dev), 0);
	CHECK_EQ(p->drv.notified[0], 1);
}

static inline void pair_start_device(struct pair *p)
{
	CHECK_EQ(hipc_rpmsg_dev_start(&p->devc.dev), 0);
}

/* Run both sides until neither has anything left (bounded). */
static inline void pair_pump(struct pair *p)
{
	for (int i = 0; i < 1000; i++) {
		int a = hipc_rpmsg_poll(&p->drv.dev, 0);
		int b = hipc_rpmsg_poll(&p->devc.dev, 0);

		if (a <= 0 && b <= 0)
			return;
	}
	CHECK(!"pair_pump did not settle");
}

#endif
