/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The wire format against the kernel's own definitions: the split vring
 * layout of <linux/virtio_ring.h> (vring_init(), vring_size(), event index
 * fields), the flag and feature numbers, <linux/rpmsg.h>'s "any" address.
 */
#include <linux/rpmsg.h>
#include <linux/virtio_ring.h>
#include <stddef.h>

#include "hipc/rpmsg.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"
#include "hipc_test.h"

static uint8_t mem[3 * 65536] __attribute__((aligned(4096)));

static const struct {
	unsigned num, align;
} cases[] = {
	{ 1, 4 },     { 2, 16 },    { 16, 64 },    { 64, 4096 }, { 128, 16 },
	{ 256, 4096 }, { 256, 64 }, { 512, 4096 }, { 1024, 8 },  { 4096, 4096 },
};

HIPC_TEST(ring_sizes_match_vring_size)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(hipc_vring_size(cases[i].num, cases[i].align),
			 vring_size(cases[i].num, cases[i].align));
}

/* Our driver writes through its own offsets; read back with the kernel's
 * struct vring view of the same memory. */
HIPC_TEST(field_offsets_match_vring_init)
{
	static struct hipc_vring_slot slots[4096];
	static struct hipc_region reg;
	static struct hipc_memmap map = { &reg, 1 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned num = cases[i].num, align = cases[i].align;
		struct hipc_vring drv, dev;
		struct hipc_vring_info where;
		struct vring k;
		uint32_t len;
		uint16_t head;
		void *buf;

		if (hipc_vring_size(num, align) > sizeof(mem) / 2)
			continue;
		reg.da = 0x1000;
		reg.va = mem + sizeof(mem) / 2;
		reg.size = sizeof(mem) / 2;
		vring_init(&k, num, mem, align);
		CHECK_EQ(hipc_vring_init(&drv, HIPC_VRING_DRIVER, mem, num, align,
					 slots, NULL, NULL, true),
			 0);
		CHECK_EQ(hipc_vring_init(&dev, HIPC_VRING_DEVICE, mem, num, align,
					 NULL, &map, NULL, true),
			 0);
		CHECK_EQ(hipc_vring_info(&drv, &where), 0);
		CHECK((void *)k.desc == where.desc);
		CHECK((void *)k.avail == where.avail);
		CHECK((void *)k.used == where.used);
		CHECK_EQ(hipc_vring_add(&drv, 0x1000 + 64, 48, true, mem), 0);
		CHECK_EQ(k.avail->idx, 1);
		CHECK_EQ(k.avail->ring[0], 0);
		CHECK_EQ(k.desc[0].addr, 0x1000 + 64);
		CHECK_EQ(k.desc[0].len, 48);
		CHECK_EQ(k.desc[0].flags, VRING_DESC_F_WRITE);
		CHECK(hipc_vring_enable_cb(&drv));
		CHECK_EQ(vring_used_event(&k), 0);
		/* device side: reads what the kernel layout says */
		CHECK_EQ(hipc_vring_get_avail(&dev, true, &head, &buf, &len), 0);
		CHECK(buf == reg.va + 64);
		CHECK(hipc_vring_enable_cb(&dev));
		CHECK_EQ(vring_avail_event(&k), 1);
		CHECK_EQ(hipc_vring_put_used(&dev, head, 20), 0);
		CHECK_EQ(k.used->idx, 1);
		CHECK_EQ(k.used->ring[0].id, 0);
		CHECK_EQ(k.used->ring[0].len, 20);
		hipc_vring_disable_cb(&dev);
		CHECK(hipc_vring_get_used(&drv, &len) == mem);
	}
}

HIPC_TEST(flag_and_feature_numbers)
{
	CHECK_EQ(HIPC_VRING_DESC_F_NEXT, VRING_DESC_F_NEXT);
	CHECK_EQ(HIPC_VRING_DESC_F_WRITE, VRING_DESC_F_WRITE);
	CHECK_EQ(HIPC_VRING_DESC_F_INDIRECT, VRING_DESC_F_INDIRECT);
	CHECK_EQ(HIPC_VRING_USED_F_NO_NOTIFY, VRING_USED_F_NO_NOTIFY);
	CHECK_EQ(HIPC_VRING_AVAIL_F_NO_INTERRUPT, VRING_AVAIL_F_NO_INTERRUPT);
	CHECK_EQ(HIPC_VIRTIO_F_EVENT_IDX, VIRTIO_RING_F_EVENT_IDX);
	CHECK_EQ(sizeof(struct vring_desc), 16);
	CHECK_EQ(HIPC_RPMSG_ADDR_ANY, RPMSG_ADDR_ANY);
}

HIPC_TEST(wire_structs)
{
	CHECK_EQ(sizeof(struct hipc_rpmsg_hdr), 16);
	CHECK_EQ(offsetof(struct hipc_rpmsg_hdr, len), 12);
	CHECK_EQ(offsetof(struct hipc_rpmsg_hdr, flags), 14);
	CHECK_EQ(sizeof(struct hipc_rpmsg_ns_msg), 40);
	CHECK_EQ(offsetof(struct hipc_rpmsg_ns_msg, addr), 32);
	CHECK_EQ(offsetof(struct hipc_rpmsg_ns_msg, flags), 36);
	CHECK_EQ(sizeof(struct hipc_rsc_vdev), 28);
	CHECK_EQ(sizeof(struct hipc_rsc_vring), 20);
	CHECK_EQ(sizeof(struct hipc_rsc_carveout), 56);
	CHECK_EQ(sizeof(struct hipc_rsc_trace), 48);
}

HIPC_TEST_MAIN(HIPC_CASE(ring_sizes_match_vring_size),
	       HIPC_CASE(field_offsets_match_vring_init),
	       HIPC_CASE(flag_and_feature_numbers), HIPC_CASE(wire_structs))
