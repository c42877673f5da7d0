/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region layout from a resource table: the pieces Linux names (vdev0vring0,
 * vdev0vring1, vdev0buffer), the trace buffer and the firmware's own
 * carveouts, page-aligned, in bounds, never overlapping; written back into
 * the shared copy of the table.
 */
#include <stdlib.h>

#include "hipc/error.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#include "hipc_test.h"
#include "sim_proto.h"

/* Errors are sticky: the finish reports the first add that failed. */
static size_t build(uint8_t *buf, size_t cap, uint32_t carve_da)
{
	struct hipc_rsc_builder b;
	size_t size = 0;

	CHECK_EQ(hipc_rsc_builder_init(&b, buf, cap, 4), 0);
	hipc_rsc_add_vdev(&b, HIPC_VIRTIO_ID_RPMSG, 1, 2, 64, 16, 0, NULL);
	hipc_rsc_add_hipc_rpmsg(&b, 1024, NULL);
	hipc_rsc_add_trace(&b, HIPC_FW_RSC_ADDR_ANY, 2048, "trace0", NULL);
	hipc_rsc_add_carveout(&b, carve_da, 10000, "fw-heap", NULL);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &size), 0);
	return size;
}

HIPC_TEST(names_and_placement)
{
	static const char *const names[] = { "vdev0vring0", "vdev0vring1",
					      "vdev0buffer", "trace0",
					      "fw-heap" };
	static uint8_t tbl[1024], region[1 << 20];
	struct hipc__layout l;
	struct hipc_sim_vdev v, w;
	size_t size = build(tbl, sizeof(tbl), HIPC_FW_RSC_ADDR_ANY);

	CHECK(size > 0);
	CHECK_EQ(hipc_rsc_validate(tbl, (size_t)size, NULL), 0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, (size_t)size, &v), 0);
	CHECK_EQ(hipc__layout_plan(tbl, (size_t)size, &v, &l), 0);
	CHECK_EQ(l.nmem, 5);
	for (unsigned i = 0; i < l.nmem; i++) {
		CHECK(!strcmp(l.mem[i].name, names[i]));
		CHECK_EQ(l.mem[i].da % HIPC__PAGE, 0);
		CHECK(l.mem[i].da >= HIPC__PAGE);
		CHECK(l.mem[i].da + l.mem[i].len <= l.size);
		if (i)
			CHECK(l.mem[i].da >= l.mem[i - 1].da + l.mem[i - 1].len);
	}
	CHECK_EQ(l.mem[0].len, hipc_vring_size(64, 16));
	CHECK_EQ(l.mem[2].len, 2 * 64 * 1024);
	CHECK(l.size <= sizeof(region));

	/* Written back: the remote reads the host's decisions from the
	 * shared copy. */
	hipc__layout_apply(region, &l, tbl, (size_t)size, &v, "x", 1);
	CHECK_EQ(hipc_rsc_validate(region + l.rsc_off, (size_t)size, NULL), 0);
	CHECK_EQ(hipc__sim_vdev_read(region + l.rsc_off, (size_t)size, &w), 0);
	CHECK_EQ(w.vring_da[0], l.vring_off[0]);
	CHECK_EQ(w.vring_da[1], l.vring_off[1]);
	CHECK_EQ(w.notifyid[0], 0);
	CHECK_EQ(w.notifyid[1], 1);
	CHECK_EQ(w.trace_da, l.trace_off);
	CHECK_EQ(w.gfeatures, 1);
	CHECK_EQ(w.status, HIPC_VIRTIO_STATUS_ACKNOWLEDGE |
				   HIPC_VIRTIO_STATUS_DRIVER);
	{
		size_t c;
		struct hipc_rsc_carveout co;

		CHECK_EQ(hipc_rsc_find(region + l.rsc_off, size,
				       HIPC_RSC_CARVEOUT, 0, &c), 0);
		memcpy(&co, region + l.rsc_off + c, sizeof(co));
		CHECK_EQ(co.da, l.mem[4].da);
		CHECK_EQ(co.pa, l.mem[4].da);
	}
}

/* A carveout at a fixed address cannot be honoured in a memfd. */
HIPC_TEST(fixed_carveout_refused)
{
	static uint8_t tbl[1024];
	struct hipc__layout l;
	struct hipc_sim_vdev v;
	size_t size = build(tbl, sizeof(tbl), 0x10000000u);

	CHECK(size > 0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, (size_t)size, &v), 0);
	CHECK_EQ(hipc__layout_plan(tbl, (size_t)size, &v, &l), -HIPC_EBADMSG);
}

HIPC_TEST(p2p_layout)
{
	struct hipc__p2p_layout l;

	CHECK_EQ(hipc__p2p_plan(64, 512, &l), 0);
	CHECK_EQ(l.vring_off[0], HIPC__PAGE);
	CHECK(l.vring_off[1] >= l.vring_off[0] + hipc_vring_size(64, 16));
	CHECK(l.bufs_off >= l.vring_off[1] + hipc_vring_size(64, 16));
	CHECK(l.size >= l.bufs_off + 2 * 64 * 512);
	CHECK_EQ(hipc__p2p_plan(63, 512, &l), -HIPC_EINVAL);
	CHECK_EQ(hipc__p2p_plan(64, 8, &l), -HIPC_EINVAL);
}

HIPC_TEST_MAIN(HIPC_CASE(names_and_placement), HIPC_CASE(fixed_carveout_refused),
	       HIPC_CASE(p2p_layout))
