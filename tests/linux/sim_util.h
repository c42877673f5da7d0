/* SPDX-License-Identifier: BSD-3-Clause */
/* Test helpers: boot a firmware and bind to its announced service. */
#ifndef HIPC_TEST_SIM_UTIL_H
#define HIPC_TEST_SIM_UTIL_H

#include <stdio.h>
#include <string.h>

#include "hipc/error.h"
#include "hipc/rproc.h"
#include "hipc_test.h"

struct sim_chan {
	struct hipc_rproc *rp;
	struct hipc_rpmsg_ept ept;
	char service[32];
	uint32_t remote_addr;
	int announced;
	int destroyed;
	hipc_rpmsg_rx_cb cb;
	void *priv;
};

static void sim_ns_cb(struct hipc_rpmsg_dev *dev, const char *name,
		      uint32_t addr, bool destroyed, void *priv)
{
	struct sim_chan *c = priv;

	(void)dev;
	if (strcmp(name, c->service) != 0)
		return;
	if (destroyed) {
		c->destroyed++;
		return;
	}
	c->remote_addr = addr;
	c->announced++;
}

#define SIM_FW(name) HIPC_BUILD_DIR "/firmware/" name "/hipc-fw-" name

/* Boot @fw and wait until @service is announced; create our endpoint. */
static inline void sim_boot(struct sim_chan *c, const char *fw,
			    const char *service, enum hipc_link_mode mode,
			    hipc_rpmsg_rx_cb cb, void *priv)
{
	struct hipc_rproc_config cfg;
	char err[256] = "";
	int ret;

	memset(c, 0, sizeof(*c));
	snprintf(c->service, sizeof(c->service), "%s", service);
	c->cb = cb;
	c->priv = priv;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "test";
	cfg.firmware = fw;
	cfg.mode = mode;
	cfg.ns_cb = sim_ns_cb;
	cfg.ns_priv = c;
	CHECK_EQ(hipc_rproc_new(&c->rp, &cfg), 0);
	ret = hipc_rproc_start(c->rp, err, sizeof(err));
	if (ret)
		printf("start: %s (%s)\n", err, hipc_strerror(ret));
	CHECK_EQ(ret, 0);
	for (int i = 0; i < 1000 && !c->announced; i++)
		hipc_rproc_run(c->rp, 10);
	CHECK(c->announced);
	CHECK_EQ(hipc_rpmsg_ept_create(&c->ept, hipc_rproc_rpmsg(c->rp), NULL,
				       HIPC_RPMSG_ADDR_ANY, c->remote_addr, cb,
				       priv),
		 0);
}

static inline void sim_shutdown(struct sim_chan *c)
{
	hipc_rpmsg_ept_destroy(&c->ept);
	CHECK_EQ(hipc_rproc_stop(c->rp, 2000), 0);
	hipc_rproc_free(c->rp);
}

#endif
