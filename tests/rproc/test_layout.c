/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Region layout from a resource table: the pieces Linux names (vdev0vring0,
 * vdev0vring1, vdev0buffer), the trace buffer and the firmware's own
 * carveouts, page-aligned, in bounds, never overlapping; written back into
 * the shared copy of the table.
 */
#include <stdlib.h>

#include "hipc/byteorder.h"
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

/* A table of one vdev of @id with @n vrings, a second vring of @num1 and
 * @align1 when there is one, and @ncarve carveouts of @carve_len. */
static size_t build_vdev(uint8_t *buf, size_t cap, uint32_t id, unsigned n,
			 uint32_t num1, uint32_t align1, unsigned ncarve,
			 uint32_t carve_len)
{
	struct hipc_rsc_builder b;
	size_t size = 0, off;

	CHECK_EQ(hipc_rsc_builder_init(&b, buf, cap, 2 + ncarve), 0);
	hipc_rsc_add_vdev(&b, id, 1, n, 64, 16, 0, &off);
	hipc_rsc_add_hipc_rpmsg(&b, 512, NULL);
	for (unsigned i = 0; i < ncarve; i++)
		hipc_rsc_add_carveout(&b, HIPC_FW_RSC_ADDR_ANY, carve_len,
				      "fw-mem", NULL);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &size), 0);
	if (n == 2) {
		uint8_t *r = buf + off + sizeof(struct hipc_rsc_vdev) +
			     sizeof(struct hipc_rsc_vring);

		hipc_put_le32(HIPC_FIELD(r, struct hipc_rsc_vring, num), num1);
		hipc_put_le32(HIPC_FIELD(r, struct hipc_rsc_vring, align),
			      align1);
	}
	CHECK_EQ(hipc_rsc_validate(buf, size, NULL), 0);
	return size;
}

/* What a valid table may still not say for the simulation: no rpmsg vdev
 * (another device only), not two vrings, or two that differ. */
HIPC_TEST(rpmsg_vdev_required_and_checked)
{
	static uint8_t tbl[1024];
	struct hipc_sim_vdev v;
	size_t size;

	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG + 1u, 2, 64,
			  16, 0, 0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), -HIPC_ENOENT);
	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 1, 0, 0, 0,
			  0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), -HIPC_EBADMSG);
	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 2, 128, 16,
			  0, 0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), -HIPC_EBADMSG);
	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 2, 64, 32,
			  0, 0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), -HIPC_EBADMSG);
	/* the control case: the same table with equal vrings is read */
	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 2, 64, 16,
			  0, 0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), 0);
	CHECK_EQ(v.num, 64);
}

/* Carveouts that cannot be laid out: of length 0, more than the planner
 * places, or a region past 4 GiB (device addresses are 32-bit). */
HIPC_TEST(carveouts_that_do_not_fit_refused)
{
	static uint8_t tbl[2048];
	struct hipc__layout l;
	struct hipc_sim_vdev v;
	size_t size;

	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 2, 64, 16,
			  1, 0);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), 0);
	CHECK_EQ(hipc__layout_plan(tbl, size, &v, &l), -HIPC_EBADMSG);
	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 2, 64, 16,
			  HIPC__MAX_MEM, 4096);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), 0);
	CHECK_EQ(hipc__layout_plan(tbl, size, &v, &l), 0);
	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 2, 64, 16,
			  HIPC__MAX_MEM + 1u, 4096);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), 0);
	CHECK_EQ(hipc__layout_plan(tbl, size, &v, &l), -HIPC_EBADMSG);
	/* two of 3 GiB: the second ends past 4 GiB */
	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 2, 64, 16,
			  2, 0xC0000000u);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), 0);
	CHECK_EQ(hipc__layout_plan(tbl, size, &v, &l), -HIPC_ERANGE);
	/* one that ends just under 4 GiB fits */
	size = build_vdev(tbl, sizeof(tbl), HIPC_VIRTIO_ID_RPMSG, 2, 64, 16,
			  1, 0xC0000000u);
	CHECK_EQ(hipc__sim_vdev_read(tbl, size, &v), 0);
	CHECK_EQ(hipc__layout_plan(tbl, size, &v, &l), 0);
	CHECK(l.size <= UINT32_MAX);
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
	       HIPC_CASE(rpmsg_vdev_required_and_checked),
	       HIPC_CASE(carveouts_that_do_not_fit_refused),
	       HIPC_CASE(p2p_layout))
