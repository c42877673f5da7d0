/* SPDX-License-Identifier: BSD-3-Clause */
/* Split vring, both roles over one region, single-threaded. */
#include <stdint.h>
#include <string.h>

#include "hipc/config.h"
#include "hipc/error.h"
#include "hipc/memmap.h"
#include "hipc/vring.h"
#include "hipc_test.h"

#define NUM 16u
#define ALIGN 64u
#define BUFSZ 128u

static uint8_t ring_mem[4096] __attribute__((aligned(64)));
static uint8_t bufs[NUM * 2][BUFSZ] __attribute__((aligned(16)));
static struct hipc_vring_slot slots[NUM];
static struct hipc_region reg;
static struct hipc_memmap map = { &reg, 1 };
static struct hipc_vring drv, dev;

#define DA_BASE 0x80000000u
static uint64_t da_of(const void *p)
{
	return DA_BASE + (uint64_t)((const uint8_t *)p - &bufs[0][0]);
}

static void setup(bool event_idx)
{
	memset(ring_mem, 0xCC, sizeof(ring_mem));
	reg.da = DA_BASE;
	reg.va = &bufs[0][0];
	reg.size = sizeof(bufs);
	CHECK_EQ(hipc_vring_init(&drv, HIPC_VRING_DRIVER, ring_mem, NUM, ALIGN,
				 slots, NULL, NULL, event_idx),
		 0);
	CHECK_EQ(hipc_vring_init(&dev, HIPC_VRING_DEVICE, ring_mem, NUM, ALIGN,
				 NULL, &map, NULL, event_idx),
		 0);
}

/* Raw views of the ring for the tests that play a misbehaving peer. */
static uint8_t *avail(void) { return ring_mem + 16 * NUM; }
static uint8_t *used(void)
{
	size_t a = 16 * NUM + 2 * (3 + NUM);
	return ring_mem + ((a + ALIGN - 1) & ~(size_t)(ALIGN - 1));
}
static void w16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static struct hipc_vring_info info(const struct hipc_vring *vr)
{
	struct hipc_vring_info i;

	CHECK_EQ(hipc_vring_info(vr, &i), 0);
	return i;
}
static void w32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void w64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

HIPC_TEST(size_formula)
{
	/* vring_size(): desc 16n, avail 6+2n, pad to align, used 6+8n */
	CHECK_EQ(hipc_vring_size(16, 64), 320 + 134);
	CHECK_EQ(hipc_vring_size(256, 4096), 4096 + 4096 + 6 + 8 * 256);
	CHECK_EQ(hipc_vring_size(3, 16), 0);
	CHECK_EQ(hipc_vring_size(16, 24), 0);
	CHECK_EQ(hipc_vring_size(65536, 16), 0);
}

HIPC_TEST(init_rejects_bad_args)
{
	CHECK_EQ(hipc_vring_init(&drv, HIPC_VRING_DRIVER, ring_mem, 12, ALIGN,
				 slots, NULL, NULL, false),
		 -HIPC_EINVAL);
	CHECK_EQ(hipc_vring_init(&drv, HIPC_VRING_DRIVER, ring_mem + 2, NUM,
				 ALIGN, slots, NULL, NULL, false),
		 -HIPC_EINVAL);
	CHECK_EQ(hipc_vring_init(&drv, HIPC_VRING_DRIVER, ring_mem, NUM, ALIGN,
				 NULL, NULL, NULL, false),
		 -HIPC_EINVAL);
	CHECK_EQ(hipc_vring_init(&dev, HIPC_VRING_DEVICE, ring_mem, NUM, ALIGN,
				 NULL, NULL, NULL, false),
		 -HIPC_EINVAL);
}

HIPC_TEST(roundtrip_both_roles)
{
	setup(false);
	for (unsigned i = 0; i < NUM; i++)
		CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[i]), BUFSZ, true,
					bufs[i]),
			 0);
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[NUM]), BUFSZ, true, bufs[NUM]),
		 -HIPC_ENOSPC);
	CHECK(hipc_vring_need_notify(&drv));
	CHECK(!hipc_vring_need_notify(&drv)); /* nothing new since */
	for (unsigned i = 0; i < NUM; i++) {
		uint16_t head;
		void *b;
		uint32_t len;

		CHECK_EQ(hipc_vring_get_avail(&dev, true, &head, &b, &len), 0);
		CHECK(b == bufs[i]);
		CHECK_EQ(len, BUFSZ);
		memset(b, (int)i, 10 + i);
		CHECK_EQ(hipc_vring_put_used(&dev, head, 10 + i), 0);
	}
	CHECK_EQ(hipc_vring_get_avail(&dev, true, &(uint16_t){ 0 },
				      &(void *){ NULL }, &(uint32_t){ 0 }),
		 -HIPC_EAGAIN);
	for (unsigned i = 0; i < NUM; i++) {
		uint32_t len = 0;
		uint8_t *t = hipc_vring_get_used(&drv, &len);

		CHECK(t == bufs[i]);
		CHECK_EQ(len, 10 + i);
		CHECK_EQ(t[9 + i], i);
	}
	CHECK(hipc_vring_get_used(&drv, NULL) == NULL);
	CHECK(!hipc_vring_broken(&drv) && !hipc_vring_broken(&dev));
}

HIPC_TEST(indices_wrap_past_65535)
{
	setup(true);
	for (unsigned i = 0; i < 70000; i++) {
		uint16_t head;
		void *b;
		uint32_t len;
		unsigned k = i % (2 * NUM);

		CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[k]), BUFSZ, false,
					bufs[k]),
			 0);
		CHECK_EQ(hipc_vring_get_avail(&dev, false, &head, &b, &len), 0);
		CHECK(b == bufs[k]);
		CHECK_EQ(hipc_vring_put_used(&dev, head, 0), 0);
		CHECK(hipc_vring_get_used(&drv, &len) == bufs[k]);
	}
	CHECK(!hipc_vring_broken(&drv) && !hipc_vring_broken(&dev));
}

HIPC_TEST(flags_suppress_notifications)
{
	setup(false);
	hipc_vring_disable_cb(&dev); /* device: "don't kick me" */
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[0]), BUFSZ, true, bufs[0]), 0);
	CHECK(!hipc_vring_need_notify(&drv));
	CHECK(!hipc_vring_enable_cb(&dev)); /* work pending: don't sleep */
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[1]), BUFSZ, true, bufs[1]), 0);
	CHECK(hipc_vring_need_notify(&drv));

	hipc_vring_disable_cb(&drv); /* driver: "no interrupts" */
	for (int i = 0; i < 2; i++) {
		uint16_t h;
		void *b;
		uint32_t l;

		CHECK_EQ(hipc_vring_get_avail(&dev, true, &h, &b, &l), 0);
		CHECK_EQ(hipc_vring_put_used(&dev, h, 1), 0);
	}
	CHECK(!hipc_vring_need_notify(&dev));
	CHECK(!hipc_vring_enable_cb(&drv));
}

HIPC_TEST(event_idx_one_doorbell_per_burst)
{
	unsigned kicks = 0;

	setup(true);
	CHECK(hipc_vring_enable_cb(&dev));
	/* A burst of 10: only the first publish crosses the device's event
	 * index; it has not looked since, so no more kicks. */
	for (unsigned i = 0; i < 10; i++) {
		CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[i]), BUFSZ, true,
					bufs[i]),
			 0);
		kicks += hipc_vring_need_notify(&drv);
	}
	CHECK_EQ(kicks, 1);
	/* The device drains and re-arms: the next publish kicks again. */
	for (unsigned i = 0; i < 10; i++) {
		uint16_t h;
		void *b;
		uint32_t l;

		CHECK_EQ(hipc_vring_get_avail(&dev, true, &h, &b, &l), 0);
	}
	CHECK(hipc_vring_enable_cb(&dev));
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[10]), BUFSZ, true, bufs[10]), 0);
	CHECK(hipc_vring_need_notify(&drv));
}

/* Both sides' positions as hipc_vring_info() reports them; a lying index
 * is reported as it is, and breaks the ring only when the ring is used. */
HIPC_TEST(info_reports_positions)
{
	struct hipc_vring_info d, v;
	uint16_t head;
	uint32_t len;
	void *buf;

	setup(false);
	CHECK_EQ(hipc_vring_info(NULL, &d), -HIPC_EINVAL);
	CHECK_EQ(hipc_vring_info(&drv, NULL), -HIPC_EINVAL);
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[0]), BUFSZ, true, bufs[0]), 0);
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[1]), BUFSZ, true, bufs[1]), 0);
	d = info(&drv);
	v = info(&dev);
	CHECK_EQ(d.num, NUM);
	CHECK_EQ(d.role, HIPC_VRING_DRIVER);
	CHECK_EQ(v.role, HIPC_VRING_DEVICE);
	CHECK_EQ(d.produced, 2);
	CHECK_EQ(d.consumed, 0);
	CHECK_EQ(d.pending, 0);
	CHECK_EQ(v.peer_idx, 2);
	CHECK_EQ(v.pending, 2);
	CHECK(d.desc == ring_mem && d.avail == avail() && d.used == used());
	CHECK(v.desc == d.desc && v.avail == d.avail && v.used == d.used);
	CHECK_EQ(hipc_vring_get_avail(&dev, true, &head, &buf, &len), 0);
	CHECK_EQ(hipc_vring_put_used(&dev, head, 8), 0);
	v = info(&dev);
	CHECK_EQ(v.consumed, 1);
	CHECK_EQ(v.pending, 1);
	CHECK_EQ(v.produced, 1);
	d = info(&drv);
	CHECK_EQ(d.peer_idx, 1);
	CHECK_EQ(d.pending, 1);
	CHECK(!d.broken && !v.broken && d.errors == 0 && v.errors == 0);
	/* The driver claims 16 more entries than the ring has. */
	w16(avail() + 2, 2 + NUM + 16);
	v = info(&dev);
	CHECK_EQ(v.pending, 1 + NUM + 16);
	CHECK(!v.broken);
	/* Sparing lines, the entry seen published before is still taken
	 * without a new look at the index; the next look finds the lie. */
	if (HIPC_CFG_SPARE_LINES) {
		CHECK(hipc_vring_pending(&dev));
		CHECK_EQ(hipc_vring_get_avail(&dev, true, &head, &buf, &len),
			 0);
		CHECK(buf == bufs[1]);
	}
	CHECK(!hipc_vring_pending(&dev));
	v = info(&dev);
	CHECK(v.broken);
	CHECK_EQ(v.errors, 1);
}

HIPC_TEST(unget_avail_returns_same_buffer)
{
	uint16_t h1, h2;
	void *b1, *b2;
	uint32_t l;

	setup(false);
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[3]), BUFSZ, true, bufs[3]), 0);
	CHECK_EQ(hipc_vring_get_avail(&dev, true, &h1, &b1, &l), 0);
	hipc_vring_unget_avail(&dev);
	CHECK_EQ(hipc_vring_get_avail(&dev, true, &h2, &b2, &l), 0);
	CHECK(h1 == h2 && b1 == b2);
}

/* --- a driver that breaks the protocol: the device must go broken ------- */

static void expect_device_broken(void)
{
	uint16_t h;
	void *b;
	uint32_t l;
	uint32_t before = info(&dev).errors;

	CHECK_EQ(hipc_vring_get_avail(&dev, true, &h, &b, &l), -HIPC_EIO);
	CHECK(hipc_vring_broken(&dev));
	CHECK_EQ(info(&dev).errors, before + 1);
	/* sticky */
	CHECK_EQ(hipc_vring_get_avail(&dev, true, &h, &b, &l), -HIPC_EIO);
	CHECK_EQ(hipc_vring_put_used(&dev, 0, 0), -HIPC_EIO);
}

static void post_one(void)
{
	setup(false);
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[0]), BUFSZ, true, bufs[0]), 0);
}

HIPC_TEST(device_rejects_avail_idx_past_num)
{
	post_one();
	w16(avail() + 2, NUM + 1);
	expect_device_broken();
}

HIPC_TEST(device_rejects_head_out_of_range)
{
	post_one();
	w16(avail() + 4, NUM);
	expect_device_broken();
}

HIPC_TEST(device_rejects_address_outside_region)
{
	post_one();
	w64(ring_mem, DA_BASE + sizeof(bufs) - 8); /* runs past the end */
	expect_device_broken();
	post_one();
	w64(ring_mem, DA_BASE - 16);
	expect_device_broken();
	post_one();
	w64(ring_mem, UINT64_MAX - 4); /* wraps */
	expect_device_broken();
}

HIPC_TEST(device_rejects_len_larger_than_region)
{
	post_one();
	w32(ring_mem + 8, 0xFFFFFFF0u);
	expect_device_broken();
	post_one();
	w32(ring_mem + 8, 0);
	expect_device_broken();
}

HIPC_TEST(device_rejects_chains_indirect_and_direction)
{
	post_one();
	w16(ring_mem + 12, HIPC_VRING_DESC_F_WRITE | HIPC_VRING_DESC_F_NEXT);
	expect_device_broken();
	post_one();
	w16(ring_mem + 12, HIPC_VRING_DESC_F_WRITE | HIPC_VRING_DESC_F_INDIRECT);
	expect_device_broken();
	post_one();
	w16(ring_mem + 12, 0); /* we need to write into it: must be WRITE */
	expect_device_broken();
}

static void expect_driver_broken(void)
{
	uint32_t before = info(&drv).errors;

	CHECK(hipc_vring_get_used(&drv, NULL) == NULL);
	CHECK(hipc_vring_broken(&drv));
	CHECK_EQ(info(&drv).errors, before + 1);
	CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[1]), BUFSZ, true, bufs[1]),
		 -HIPC_EIO);
}

static void used_one(uint32_t id, uint32_t len)
{
	post_one();
	w32(used() + 4, id);
	w32(used() + 8, len);
	w16(used() + 2, 1);
}

HIPC_TEST(driver_rejects_used_id_out_of_range)
{
	used_one(NUM, 4);
	expect_driver_broken();
}

HIPC_TEST(driver_rejects_id_not_in_flight)
{
	used_one(5, 4); /* descriptor 5 was never posted */
	expect_driver_broken();
}

HIPC_TEST(driver_rejects_len_larger_than_posted)
{
	used_one(0, BUFSZ + 1);
	expect_driver_broken();
}

HIPC_TEST(driver_rejects_used_idx_past_num)
{
	post_one();
	w16(used() + 2, NUM + 1);
	expect_driver_broken();
}

HIPC_TEST(driver_rejects_double_return)
{
	uint32_t len;

	used_one(0, 4);
	CHECK(hipc_vring_get_used(&drv, &len) == bufs[0]);
	/* the same id again, without it being posted again */
	w32(used() + 12, 0);
	w32(used() + 16, 4);
	w16(used() + 2, 2);
	expect_driver_broken();
}

/*
 * Address translation at the edges: every range inside a region maps, every
 * range touching outside it does not, below the region included (the check
 * relies on unsigned wrap there), with regions at both ends of the 64-bit
 * space and a length whose end would wrap.
 */
HIPC_TEST(memmap_edges)
{
	static uint8_t a[64], b[32], c[8];
	const struct hipc_region r[3] = {
		{ 0x1000, a, sizeof(a) },
		{ 0, b, 16 },
		{ UINT64_MAX - 16, b + 16, 16 }, /* ends just below 2^64 */
	};
	const struct hipc_memmap m = { r, 3 };
	const struct hipc_memmap empty = { r, 0 };
	uint64_t da;

	CHECK(hipc_memmap_to_va(&m, 0x1000, 64) == a);
	CHECK(hipc_memmap_to_va(&m, 0x1010, 48) == a + 16);
	CHECK(hipc_memmap_to_va(&m, 0x1040, 0) == a + 64);
	CHECK(hipc_memmap_to_va(&m, 0x1040, 1) == NULL);
	CHECK(hipc_memmap_to_va(&m, 0x1001, 64) == NULL);
	CHECK(hipc_memmap_to_va(&m, 0x0fff, 1) == NULL);
	CHECK(hipc_memmap_to_va(&m, 0x0fff, 2) == NULL);
	CHECK(hipc_memmap_to_va(&m, 0x0ff0, 16) == NULL);
	CHECK(hipc_memmap_to_va(&m, 0x1008, SIZE_MAX) == NULL);
	CHECK(hipc_memmap_to_va(&m, 0, 16) == b);
	CHECK(hipc_memmap_to_va(&m, 15, 1) == b + 15);
	CHECK(hipc_memmap_to_va(&m, 16, 1) == NULL);
	CHECK(hipc_memmap_to_va(&m, UINT64_MAX - 16, 16) == b + 16);
	CHECK(hipc_memmap_to_va(&m, UINT64_MAX - 1, 1) == b + 31);
	CHECK(hipc_memmap_to_va(&m, UINT64_MAX - 1, 2) == NULL);
	CHECK(hipc_memmap_to_va(&m, UINT64_MAX, 1) == NULL);
	CHECK(hipc_memmap_to_va(&m, UINT64_MAX - 17, 1) == NULL);
	CHECK(hipc_memmap_to_va(&empty, 0x1000, 1) == NULL);
	CHECK(hipc_memmap_to_va(NULL, 0x1000, 1) == NULL);

	CHECK_EQ(hipc_memmap_to_da(&m, a + 8, 56, &da), 0);
	CHECK_EQ(da, 0x1008);
	CHECK_EQ(hipc_memmap_to_da(&m, a + 8, 57, &da), -HIPC_ERANGE);
	CHECK_EQ(hipc_memmap_to_da(&m, b + 20, 12, &da), 0);
	CHECK(da == UINT64_MAX - 12);
	CHECK_EQ(hipc_memmap_to_da(&m, c, 1, &da), -HIPC_ERANGE);
	CHECK_EQ(hipc_memmap_to_da(NULL, a, 1, &da), -HIPC_EINVAL);
}

/*
 * Lap after lap of one buffer through one slot: what already holds the
 * right bytes is left as it is, and what the peer scribbled over is
 * written again (descriptor, avail entry, used entry).
 */
HIPC_TEST(laps_rewrite_only_what_changed)
{
	uint16_t head, h2;
	uint32_t len;
	void *buf;

	setup(false);
	for (unsigned lap = 0; lap < 2 * NUM + 3; lap++) {
		CHECK_EQ(hipc_vring_add(&drv, da_of(bufs[1]), BUFSZ, true,
					bufs[1]), 0);
		CHECK_EQ(hipc_vring_get_avail(&dev, true, &head, &buf, &len), 0);
		CHECK(buf == bufs[1] && len == BUFSZ);
		CHECK_EQ(hipc_vring_put_used(&dev, head, 8), 0);
		CHECK(hipc_vring_get_used(&drv, &len) == bufs[1]);
		CHECK_EQ(len, 8);
		/* The peer scribbles: the descriptor's length, address,
		 * flags and next, the avail entry, the used entry's length
		 * and id. */
		switch (lap % 7) {
		case 0:
			w32(ring_mem + 16 * head + 8, 1);
			break;
		case 1:
			w64(ring_mem + 16 * head, DA_BASE + BUFSZ * 5);
			break;
		case 5:
			/* F_WRITE off: the device would refuse a buffer it
			 * is to fill */
			w16(ring_mem + 16 * head + 12, 0);
			break;
		case 6:
			/* F_NEXT with next: a chain the device refuses */
			w16(ring_mem + 16 * head + 12, 3);
			w16(ring_mem + 16 * head + 14, (uint16_t)(head ^ 1));
			break;
		case 2:
			h2 = (uint16_t)((drv.next_idx) & (NUM - 1));
			w16(avail() + 4 + 2 * h2, (uint16_t)(head ^ 1));
			break;
		case 3:
			w32(used() + 4 + 8 * ((dev.next_idx) & (NUM - 1)) + 4,
			    BUFSZ + 1);
			break;
		case 4:
			w32(used() + 4 + 8 * ((dev.next_idx) & (NUM - 1)), NUM);
			break;
		default:
			break;
		}
	}
	CHECK(!hipc_vring_broken(&drv) && !hipc_vring_broken(&dev));
}

HIPC_TEST_MAIN(HIPC_CASE(size_formula), HIPC_CASE(memmap_edges), HIPC_CASE(init_rejects_bad_args),
	       HIPC_CASE(roundtrip_both_roles), HIPC_CASE(indices_wrap_past_65535),
	       HIPC_CASE(flags_suppress_notifications),
	       HIPC_CASE(event_idx_one_doorbell_per_burst),
	       HIPC_CASE(unget_avail_returns_same_buffer),
	       HIPC_CASE(info_reports_positions),
	       HIPC_CASE(laps_rewrite_only_what_changed),
	       HIPC_CASE(device_rejects_avail_idx_past_num),
	       HIPC_CASE(device_rejects_head_out_of_range),
	       HIPC_CASE(device_rejects_address_outside_region),
	       HIPC_CASE(device_rejects_len_larger_than_region),
	       HIPC_CASE(device_rejects_chains_indirect_and_direction),
	       HIPC_CASE(driver_rejects_used_id_out_of_range),
	       HIPC_CASE(driver_rejects_id_not_in_flight),
	       HIPC_CASE(driver_rejects_len_larger_than_posted),
	       HIPC_CASE(driver_rejects_used_idx_past_num),
	       HIPC_CASE(driver_rejects_double_return))
