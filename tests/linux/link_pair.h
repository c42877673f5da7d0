/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Both roles in one process over the real Linux port (test_stress.c,
 * test_teardown.c): one region holding the link's shared words, then the
 * rings and the buffers; both ends of its link; a device per side.
 */
#ifndef HIPC_TEST_LINK_PAIR_H
#define HIPC_TEST_LINK_PAIR_H

#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hipc/linux.h"
#include "hipc/rpmsg.h"
#include "hipc_test.h"

/* The link's shared words, then the rings. */
#define CTRL_PAGE 4096u

#define NUM 16u
#define BUF 512u
#define RING 4096u

enum { HOST = 0, REMOTE = 1 };

struct link_pair {
	struct hipc_shm shm;
	struct hipc_region reg;
	struct hipc_memmap map;
	uint64_t storage[2048]; /* the host's (driver's) device */
};

/* The region @name and both ends of its link in @mode: @host's, @remote's. */
static inline void link_pair_open(struct link_pair *p, const char *name,
				  enum hipc_link_mode mode,
				  struct hipc_link **host,
				  struct hipc_link **remote)
{
	int e1 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int e2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct hipc_link_shared *ctrl;

	CHECK(e1 >= 0 && e2 >= 0);
	CHECK_EQ(hipc_shm_create(&p->shm, name,
				 CTRL_PAGE + 2 * RING + 2 * NUM * BUF),
		 0);
	ctrl = (struct hipc_link_shared *)p->shm.base;
	CHECK_EQ(hipc_link_new(host, ctrl, HIPC_SIDE_HOST, e1, e2, mode, 20),
		 0);
	CHECK_EQ(hipc_link_new(remote, ctrl, HIPC_SIDE_REMOTE, dup(e2),
			       dup(e1), mode, 20),
		 0);
	p->reg.va = p->shm.base;
	p->reg.size = p->shm.size;
	p->map.regions = &p->reg;
	p->map.count = 1;
}

/* What both sides' devices share: the rings, the buffers, @features. */
static inline void link_pair_config(struct link_pair *p,
				    struct hipc_rpmsg_dev_config *c,
				    uint32_t features)
{
	memset(c, 0, sizeof(*c));
	c->vring_da[0] = p->reg.da + CTRL_PAGE;
	c->vring_da[1] = p->reg.da + CTRL_PAGE + RING;
	c->notifyid[1] = 1;
	c->num = NUM;
	c->align = 16;
	c->features = features;
	c->buf_size = BUF;
	c->map = &p->map;
}

/* @c made side @side's (the host: the driver, owning the buffers and the
 * storage; the remote: the device), its doorbells through @link. */
static inline void link_pair_side(struct link_pair *p,
				  struct hipc_rpmsg_dev_config *c,
				  unsigned side, struct hipc_link *link)
{
	c->role = side == HOST ? HIPC_RPMSG_DRIVER : HIPC_RPMSG_DEVICE;
	c->bufs = side == HOST ? p->shm.base + CTRL_PAGE + 2 * RING : NULL;
	c->storage = side == HOST ? p->storage : NULL;
	c->storage_size = side == HOST ? sizeof(p->storage) : 0;
	c->port = hipc_link_port(link);
}

#endif
