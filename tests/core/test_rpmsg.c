/* SPDX-License-Identifier: BSD-3-Clause */
/* rpmsg in both roles over one region: one driver, one device, one thread. */
#include <string.h>

#include "hipc/bufpool.h" /* hipc_crc32c() */
#include "hipc/byteorder.h"
#include "pair.h"

static uint8_t region[PAIR_REGION] __attribute__((aligned(64)));
static struct pair P;

struct inbox {
	unsigned count;
	uint32_t last_src;
	size_t last_len;
	uint8_t last[PAIR_BUF];
	int hold;          /* return HIPC_RPMSG_HOLD */
	void *held[PAIR_NUM];
	unsigned nheld;
	int unbound;
	struct hipc_rpmsg_ept *echo_from; /* device: echo back through this */
};

static int rx(struct hipc_rpmsg_ept *ept, void *data, size_t len, uint32_t src,
	      void *priv)
{
	struct inbox *in = priv;

	in->count++;
	in->last_src = src;
	in->last_len = len;
	memcpy(in->last, data, len);
	if (in->echo_from)
		CHECK_EQ(hipc_rpmsg_trysendto(in->echo_from, data, len, src),
			 (int)len);
	if (in->hold) {
		in->held[in->nheld++] = data;
		return HIPC_RPMSG_HOLD;
	}
	(void)ept;
	return 0;
}

static void unbind(struct hipc_rpmsg_ept *ept)
{
	((struct inbox *)ept->priv)->unbound++;
}

static struct hipc_rpmsg_ept svc, chan;
static struct inbox svc_in, chan_in;

/* Device announces "svc"; driver binds a channel to it. */
static void up(uint32_t features)
{
	pair_up(&P, region, features);
	memset(&svc_in, 0, sizeof(svc_in));
	memset(&chan_in, 0, sizeof(chan_in));
	CHECK_EQ(hipc_rpmsg_ept_create(&svc, &P.devc.dev, "svc",
				       HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				       rx, &svc_in),
		 0);
	CHECK_EQ(svc.addr, 1024);
	pair_start_device(&P);
	pair_pump(&P);
	CHECK_EQ(P.ns_created[0], 1);
	CHECK(!strcmp(P.ns_name[0], "svc"));
	CHECK_EQ(P.ns_addr[0], svc.addr);
	CHECK_EQ(hipc_rpmsg_ept_create(&chan, &P.drv.dev, "svc",
				       HIPC_RPMSG_ADDR_ANY, P.ns_addr[0], rx,
				       &chan_in),
		 0);
	chan.unbind = unbind;
}

static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 7u + i);
}

static void every_size(uint32_t features)
{
	uint8_t buf[PAIR_BUF];

	up(features);
	svc_in.echo_from = &svc;
	for (size_t len = 0; len <= 496; len++) {
		fill(buf, len, (unsigned)len);
		CHECK_EQ(hipc_rpmsg_send(&chan, buf, len), (int)len);
		pair_pump(&P);
		CHECK_EQ(svc_in.last_len, len);
		CHECK_EQ(svc_in.last_src, chan.addr);
		CHECK(memcmp(svc_in.last, buf, len) == 0);
		CHECK_EQ(chan_in.last_len, len);
		CHECK_EQ(chan_in.last_src, svc.addr);
		CHECK(memcmp(chan_in.last, buf, len) == 0);
	}
	CHECK_EQ(svc_in.count, 497);
	CHECK_EQ(chan_in.count, 497);
	CHECK(!hipc_rpmsg_broken(&P.drv.dev) && !hipc_rpmsg_broken(&P.devc.dev));
}

HIPC_TEST(every_size_both_ways)
{
	every_size(F_NS);
}

HIPC_TEST(every_size_event_idx)
{
	every_size(F_NS | F_EVT);
}

HIPC_TEST(oversize_refused_both_roles)
{
	static uint8_t big[PAIR_BUF];

	up(F_NS);
	CHECK_EQ(hipc_rpmsg_max_payload(&P.drv.dev), PAIR_BUF - 16);
	CHECK_EQ(hipc_rpmsg_send(&chan, big, PAIR_BUF - 15), -HIPC_EMSGSIZE);
	CHECK_EQ(hipc_rpmsg_sendto(&svc, big, PAIR_BUF - 15, chan.addr),
		 -HIPC_EMSGSIZE);
	CHECK_EQ(pair_stats(&P.drv.dev).tx_msgs, 0);
	CHECK_EQ(pair_stats(&P.devc.dev).tx_msgs, 1); /* the announcement only */
}

HIPC_TEST(bad_addresses_refused)
{
	struct hipc_rpmsg_ept e, e2;
	uint8_t b[4] = { 0 };

	up(F_NS);
	CHECK_EQ(hipc_rpmsg_ept_create(&e, &P.drv.dev, NULL, HIPC_RPMSG_ADDR_ANY,
				       HIPC_RPMSG_ADDR_ANY, rx, &chan_in),
		 0);
	CHECK_EQ(hipc_rpmsg_send(&e, b, 4), -HIPC_EINVAL); /* no dst */
	CHECK_EQ(hipc_rpmsg_ept_create(&e2, &P.drv.dev, NULL, chan.addr, 5, rx,
				       NULL),
		 -HIPC_EEXIST);
	CHECK_EQ(hipc_rpmsg_ept_create(&e2, &P.drv.dev, NULL, HIPC_RPMSG_NS_ADDR,
				       5, rx, NULL),
		 -HIPC_EEXIST);
	CHECK_EQ(hipc_rpmsg_ept_create(&e2, &P.drv.dev, NULL, 100, 5, NULL, NULL),
		 -HIPC_EINVAL);
	CHECK_EQ(hipc_rpmsg_ept_create(&e2, &P.drv.dev,
				       "0123456789012345678901234567890123",
				       100, 5, rx, NULL),
		 -HIPC_EINVAL);
}

HIPC_TEST(send_before_start_is_not_connected)
{
	struct hipc_rpmsg_ept e;

	pair_up(&P, region, F_NS);
	CHECK_EQ(hipc_rpmsg_ept_create(&e, &P.devc.dev, NULL, 2000, 1024, rx,
				       &svc_in),
		 0);
	CHECK_EQ(hipc_rpmsg_trysend(&e, "x", 1), -HIPC_ENOTCONN);
}

HIPC_TEST(full_ring_trysend_eagain_then_recovers)
{
	uint8_t b[16] = { 0 };
	unsigned sent = 0;

	up(F_NS | F_EVT);
	/* The device does not poll: the driver's tx ring fills. */
	while (hipc_rpmsg_trysend(&chan, b, sizeof(b)) == (int)sizeof(b))
		sent++;
	CHECK_EQ(sent, PAIR_NUM);
	CHECK_EQ(hipc_rpmsg_trysend(&chan, b, sizeof(b)), -HIPC_EAGAIN);
	/* No wait op in this port: a blocking send cannot wait either. */
	CHECK_EQ(hipc_rpmsg_send_timeout(&chan, b, sizeof(b), 10), -HIPC_EAGAIN);
	pair_pump(&P);
	CHECK_EQ(svc_in.count, PAIR_NUM);
	CHECK_EQ(hipc_rpmsg_trysend(&chan, b, sizeof(b)), (int)sizeof(b));

	/* And the other way: the driver does not poll, its rx ring fills. */
	sent = 0;
	while (hipc_rpmsg_trysendto(&svc, b, sizeof(b), chan.addr) ==
	       (int)sizeof(b))
		sent++;
	CHECK_EQ(sent, PAIR_NUM);
	pair_pump(&P);
	CHECK_EQ(chan_in.count, PAIR_NUM);
}

HIPC_TEST(burst_costs_few_doorbells_with_event_idx)
{
	uint8_t b[32] = { 0 };
	unsigned before;

	up(F_NS | F_EVT);
	pair_pump(&P);
	before = P.drv.notifies;
	for (int i = 0; i < 50; i++)
		CHECK_EQ(hipc_rpmsg_trysend(&chan, b, sizeof(b)), (int)sizeof(b));
	/* The device has not looked since it last armed its event index: the
	 * whole burst costs one doorbell. */
	CHECK_EQ(P.drv.notifies - before, 1);
	pair_pump(&P);
	CHECK_EQ(svc_in.count, 50);
}

HIPC_TEST(zero_copy_tx_both_roles)
{
	void *p;
	uint32_t max;

	up(F_NS);
	CHECK_EQ(hipc_rpmsg_get_tx_buffer(&P.drv.dev, &p, &max, 0), 0);
	CHECK_EQ(max, PAIR_BUF - 16);
	CHECK_EQ(hipc_rpmsg_send_nocopy(&chan, HIPC_RPMSG_ADDR_ANY, p, max + 1),
		 -HIPC_EMSGSIZE);
	memcpy(p, "hello", 5);
	CHECK_EQ(hipc_rpmsg_send_nocopy(&chan, HIPC_RPMSG_ADDR_ANY, p, 5), 5);
	CHECK_EQ(hipc_rpmsg_send_nocopy(&chan, HIPC_RPMSG_ADDR_ANY, p, 5),
		 -HIPC_EINVAL); /* not ours any more */
	pair_pump(&P);
	CHECK_EQ(svc_in.last_len, 5);
	CHECK(!memcmp(svc_in.last, "hello", 5));

	/* device role, including release and reuse */
	CHECK_EQ(hipc_rpmsg_get_tx_buffer(&P.devc.dev, &p, &max, 0), 0);
	CHECK_EQ(hipc_rpmsg_release_tx(&P.devc.dev, p), 0);
	CHECK_EQ(hipc_rpmsg_release_tx(&P.devc.dev, p), -HIPC_EINVAL);
	CHECK_EQ(hipc_rpmsg_get_tx_buffer(&P.devc.dev, &p, &max, 0), 0);
	memcpy(p, "world!", 6);
	CHECK_EQ(hipc_rpmsg_send_nocopy(&svc, chan.addr, p, 6), 6);
	pair_pump(&P);
	CHECK_EQ(chan_in.last_len, 6);
	CHECK(!memcmp(chan_in.last, "world!", 6));
	/* reservations are bounded on the device */
	for (unsigned i = 0; i < HIPC_RPMSG_ZC_SLOTS; i++)
		CHECK_EQ(hipc_rpmsg_get_tx_buffer(&P.devc.dev, &p, &max, 0), 0);
	CHECK_EQ(hipc_rpmsg_get_tx_buffer(&P.devc.dev, &p, &max, 0),
		 -HIPC_EBUSY);
}

HIPC_TEST(rx_hold_and_release_both_roles)
{
	uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	up(F_NS);
	svc_in.hold = 1;
	chan_in.hold = 1;
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(hipc_rpmsg_trysend(&chan, b, 8), 8);
		CHECK_EQ(hipc_rpmsg_trysendto(&svc, b, 8, chan.addr), 8);
	}
	pair_pump(&P);
	CHECK_EQ(svc_in.nheld, 3);
	CHECK_EQ(chan_in.nheld, 3);
	/* held payloads stay intact while further traffic flows */
	svc_in.hold = chan_in.hold = 0;
	for (int i = 0; i < 200; i++) {
		CHECK_EQ(hipc_rpmsg_trysend(&chan, "zz", 2), 2);
		pair_pump(&P);
	}
	for (unsigned i = 0; i < 3; i++) {
		CHECK(!memcmp(svc_in.held[i], b, 8));
		CHECK(!memcmp(chan_in.held[i], b, 8));
		CHECK_EQ(hipc_rpmsg_release_rx(&P.devc.dev, svc_in.held[i]), 0);
		CHECK_EQ(hipc_rpmsg_release_rx(&P.drv.dev, chan_in.held[i]), 0);
	}
	CHECK_EQ(hipc_rpmsg_release_rx(&P.drv.dev, chan_in.held[0]),
		 -HIPC_EINVAL);
	/* every buffer is back: a full ring's worth goes through */
	for (unsigned i = 0; i < PAIR_NUM; i++)
		CHECK_EQ(hipc_rpmsg_trysendto(&svc, b, 8, chan.addr), 8);
	pair_pump(&P);
}

HIPC_TEST(thousands_of_endpoints)
{
	static struct hipc_rpmsg_ept many[3000];
	static struct inbox in;
	uint8_t b[4] = { 9, 9, 9, 9 };

	up(F_NS);
	memset(&in, 0, sizeof(in));
	for (unsigned i = 0; i < 3000; i++)
		CHECK_EQ(hipc_rpmsg_ept_create(&many[i], &P.devc.dev, NULL,
					       HIPC_RPMSG_ADDR_ANY,
					       HIPC_RPMSG_ADDR_ANY, rx, &in),
			 0);
	CHECK_EQ(many[2999].addr, 1025 + 2999);
	CHECK(hipc_rpmsg_lookup(&P.devc.dev, many[1234].addr) == &many[1234]);
	CHECK_EQ(hipc_rpmsg_sendto(&chan, b, 4, many[2500].addr), 4);
	pair_pump(&P);
	CHECK_EQ(in.count, 1);
	for (unsigned i = 0; i < 3000; i += 2)
		hipc_rpmsg_ept_destroy(&many[i]);
	CHECK(hipc_rpmsg_lookup(&P.devc.dev, many[1234].addr) == NULL);
	CHECK(hipc_rpmsg_lookup(&P.devc.dev, many[1235].addr) == &many[1235]);
	/* a message to a destroyed endpoint is dropped and counted */
	CHECK_EQ(hipc_rpmsg_sendto(&chan, b, 4, many[0].addr), 4);
	pair_pump(&P);
	CHECK_EQ(pair_stats(&P.devc.dev).rx_dropped, 1);
}

HIPC_TEST(destroy_announces_and_unbinds)
{
	up(F_NS);
	hipc_rpmsg_ept_destroy(&svc);
	pair_pump(&P);
	CHECK_EQ(P.ns_destroyed[0], 1);
	CHECK_EQ(chan_in.unbound, 1);
	CHECK_EQ(hipc_rpmsg_trysend(&chan, "x", 1), -HIPC_ECONNRESET);
}

HIPC_TEST(deinit_unbinds_every_endpoint)
{
	up(F_NS);
	svc.unbind = unbind;
	hipc_rpmsg_dev_deinit(&P.drv.dev);
	CHECK_EQ(chan_in.unbound, 1);
	CHECK(chan.dev == NULL);
	CHECK_EQ(hipc_rpmsg_trysend(&chan, "x", 1), -HIPC_ECONNRESET);
	hipc_rpmsg_dev_deinit(&P.devc.dev);
	CHECK_EQ(svc_in.unbound, 1);
}

HIPC_TEST(no_name_service_without_feature)
{
	struct hipc_rpmsg_ept e;

	pair_up(&P, region, 0);
	CHECK_EQ(hipc_rpmsg_ept_create(&e, &P.devc.dev, "quiet",
				       HIPC_RPMSG_ADDR_ANY, 1024, rx, &svc_in),
		 0);
	pair_start_device(&P);
	pair_pump(&P);
	CHECK_EQ(P.ns_created[0], 0);
	CHECK(hipc_rpmsg_lookup(&P.drv.dev, HIPC_RPMSG_NS_ADDR) == NULL);
	CHECK_EQ(hipc_rpmsg_ept_announce(&e), -HIPC_ENOTSUP);
}

HIPC_TEST(ns_announce_from_driver_role)
{
	struct hipc_rpmsg_ept e;

	up(F_NS);
	CHECK_EQ(hipc_rpmsg_ept_create(&e, &P.drv.dev, "from-linux",
				       HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				       rx, &chan_in),
		 0);
	pair_pump(&P);
	CHECK_EQ(P.ns_created[1], 0); /* the driver does not announce by itself */
	CHECK_EQ(hipc_rpmsg_ept_announce(&e), 0);
	pair_pump(&P);
	CHECK_EQ(P.ns_created[1], 1);
	CHECK(!strcmp(P.ns_name[1], "from-linux"));
}

/* --- where the rings are ------------------------------------------------ */

#define MARGIN 64u /* bytes either side of the mapped part of region[] */
#define UNTOUCHED 0x5Au

static void map_middle(void)
{
	memset(&P, 0, sizeof(P));
	memset(region, UNTOUCHED, sizeof(region));
	P.region = region + MARGIN;
	P.reg.da = 0x10000000u;
	P.reg.va = region + MARGIN;
	P.reg.size = sizeof(region) - 2u * MARGIN;
	P.map.regions = &P.reg;
	P.map.count = 1;
}

/* Not one byte of the region, nor of the margins around it, written. */
static void expect_untouched(void)
{
	for (size_t i = 0; i < sizeof(region); i++)
		CHECK_EQ(region[i], UNTOUCHED);
}

/* Ring @q at @da, the other where it belongs; dev_init's result. */
static int init_with_ring_at(enum hipc_rpmsg_role role, unsigned q,
			     uint64_t da, const struct hipc_memmap *map)
{
	struct hipc_rpmsg_dev_config c;
	struct hipc_rpmsg_dev *dev =
		role == HIPC_RPMSG_DRIVER ? &P.drv.dev : &P.devc.dev;

	pair_config(&P, &c, role, F_NS);
	c.vring_da[q] = da;
	c.map = map;
	return hipc_rpmsg_dev_init(dev, &c);
}

/*
 * Rings come as the driver's addresses, as in the resource table: one not
 * wholly inside one region of the map is refused, in either role and for
 * either ring, before anything in shared memory is written (a driver zeroes
 * its rings only once both are placed).
 */
HIPC_TEST(ring_outside_map_refused)
{
	const size_t size = hipc_vring_size(PAIR_NUM, PAIR_ALIGN);
	const uint64_t base = 0x10000000u;
	const uint64_t end = base + sizeof(region) - 2u * MARGIN;
	/* Two regions, adjacent in both spaces, split inside ring 0: every
	 * byte of it is mapped, but not by one region. */
	struct hipc_region halves[2] = {
		{ base, region + MARGIN, 64 },
		{ base + 64, region + MARGIN + 64, sizeof(region) - 2 * MARGIN - 64 },
	};
	const struct hipc_memmap split = { halves, 2 };
	const uint64_t outside[] = {
		base - 0x10000u,                  /* wholly below */
		end,                              /* wholly above */
		base - 16u,                       /* starts below, ends inside */
		((end - size) | 15u) + 1u,        /* starts inside, runs past the end */
		UINT64_MAX & ~(uint64_t)15u,      /* da + size wraps */
		UINT64_MAX - 0xFFFFu,             /* wraps from further down */
	};

	for (unsigned r = 0; r < 2; r++) {
		enum hipc_rpmsg_role role = r ? HIPC_RPMSG_DEVICE
					      : HIPC_RPMSG_DRIVER;

		for (unsigned q = 0; q < 2; q++) {
			for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]);
			     i++) {
				map_middle();
				CHECK_EQ(init_with_ring_at(role, q, outside[i],
							   &P.map),
					 -HIPC_ERANGE);
				expect_untouched();
			}
			map_middle();
			CHECK_EQ(init_with_ring_at(role, q, base, &split),
				 -HIPC_ERANGE);
			expect_untouched();
			/* inside, but not 16-aligned */
			map_middle();
			CHECK_EQ(init_with_ring_at(role, q, base + 8u, &P.map),
				 -HIPC_EINVAL);
			expect_untouched();
		}
	}
	/* The last byte of a region is inside: a ring that ends there is
	 * accepted, one byte more is not. */
	map_middle();
	P.reg.size = PAIR_RING_BYTES + size;
	CHECK_EQ(init_with_ring_at(HIPC_RPMSG_DEVICE, 1, base + PAIR_RING_BYTES,
				   &P.map),
		 0);
	P.reg.size--;
	CHECK_EQ(init_with_ring_at(HIPC_RPMSG_DEVICE, 1, base + PAIR_RING_BYTES,
				   &P.map),
		 -HIPC_ERANGE);
	expect_untouched();
}

/* Rings in parts (vhost-user) are translated through their own map, each
 * part for the bytes a ring uses: the event index's two more included. */
HIPC_TEST(ring_parts_outside_map_refused)
{
	const uint64_t base = 0x10000000u;
	const uint64_t end = base + sizeof(region) - 2u * MARGIN;
	const size_t used = 4u + 8u * PAIR_NUM;
	struct hipc_rpmsg_dev_config c;
	struct hipc_vring_addr a;

	map_middle();
	pair_config(&P, &c, HIPC_RPMSG_DEVICE, F_NS);
	c.parts_map = &P.map;
	for (unsigned q = 0; q < 2; q++) {
		c.vring_parts[q].desc = base + q * PAIR_RING_BYTES;
		c.vring_parts[q].avail = c.vring_parts[q].desc + 16u * PAIR_NUM;
		c.vring_parts[q].used = c.vring_parts[q].desc + 2048u;
	}
	/* ring 1's used ring ends at the region's last byte */
	c.vring_parts[1].used = end - used;
	a = c.vring_parts[1];
	CHECK_EQ(hipc_vring_parts_check(&P.map, &a, PAIR_NUM, false), 0);
	CHECK_EQ(hipc_vring_parts_check(&P.map, &a, PAIR_NUM, true),
		 -HIPC_ERANGE);
	CHECK_EQ(hipc_rpmsg_dev_init(&P.devc.dev, &c), 0);
	c.features |= F_EVT;
	CHECK_EQ(hipc_rpmsg_dev_init(&P.devc.dev, &c), -HIPC_ERANGE);
	c.features &= ~F_EVT;
	c.vring_parts[0].avail = base - 2u;
	CHECK_EQ(hipc_rpmsg_dev_init(&P.devc.dev, &c), -HIPC_ERANGE);
	c.vring_parts[0].avail = UINT64_MAX - 1u;
	CHECK_EQ(hipc_rpmsg_dev_init(&P.devc.dev, &c), -HIPC_ERANGE);
	c.vring_parts[0].avail = base + 16u * PAIR_NUM + 1u; /* misaligned */
	CHECK_EQ(hipc_rpmsg_dev_init(&P.devc.dev, &c), -HIPC_EINVAL);
	expect_untouched();
}

/* --- per-message CRC32C (HIPC_RPMSG_F_CRC) -------------------------------- */

#define F_CRC (1u << HIPC_RPMSG_F_CRC)

/* The last buffer the driver made available on ring 1 (to the device):
 * its bytes in the region and its length, as the device will read them. */
static uint8_t *last_tx_buf(uint32_t *len)
{
	uint8_t *desc = region + PAIR_RING_BYTES;
	uint8_t *avail = desc + 16u * PAIR_NUM;
	uint16_t idx = hipc_get_le16(avail + 2);
	uint16_t head = hipc_get_le16(avail + 4 + 2u * ((idx - 1u) % PAIR_NUM));
	uint64_t addr = hipc_get_le64(desc + 16u * head);

	*len = hipc_get_le32(desc + 16u * head + 8);
	return region + (addr - P.reg.da);
}

/* Both sides ask: every size up to the room the trailer leaves, both
 * ways, each message marked and its CRC checked. */
HIPC_TEST(crc_every_size_both_ways)
{
	uint8_t buf[PAIR_BUF], *wire;
	uint32_t wlen;

	up(F_NS | F_CRC);
	CHECK_EQ(hipc_rpmsg_ept_set_crc(&chan, true), 0);
	CHECK_EQ(hipc_rpmsg_ept_set_crc(&svc, true), 0);
	svc_in.echo_from = &svc;
	for (size_t len = 0; len <= 492; len++) {
		fill(buf, len, (unsigned)len);
		CHECK_EQ(hipc_rpmsg_send(&chan, buf, len), (int)len);
		/* on the wire: the flag, the length without the trailer, the
		 * trailer after the payload */
		wire = last_tx_buf(&wlen);
		CHECK_EQ(hipc_get_le16(wire + 12), len);
		CHECK_EQ(hipc_get_le16(wire + 14), HIPC_RPMSG_HDR_F_CRC);
		CHECK_EQ(hipc_get_le32(wire + 16 + len), hipc_crc32c(0, buf, len));
		pair_pump(&P);
		CHECK_EQ(svc_in.last_len, len);
		CHECK(memcmp(svc_in.last, buf, len) == 0);
		CHECK_EQ(chan_in.last_len, len);
		CHECK(memcmp(chan_in.last, buf, len) == 0);
	}
	CHECK_EQ(hipc_rpmsg_send(&chan, buf, 493), -HIPC_EMSGSIZE);
	CHECK_EQ(pair_stats(&P.devc.dev).crc_checked, 493);
	CHECK_EQ(pair_stats(&P.drv.dev).crc_checked, 493);
	CHECK_EQ(pair_stats(&P.devc.dev).crc_errors, 0);
	/* off again: plain messages, 496 bytes fit */
	CHECK_EQ(hipc_rpmsg_ept_set_crc(&chan, false), 0);
	CHECK_EQ(hipc_rpmsg_ept_set_crc(&svc, false), 0);
	CHECK_EQ(hipc_rpmsg_send(&chan, buf, 496), 496);
	wire = last_tx_buf(&wlen);
	CHECK_EQ(hipc_get_le16(wire + 14), 0);
	pair_pump(&P);
	CHECK_EQ(svc_in.last_len, 496);
	CHECK_EQ(pair_stats(&P.devc.dev).crc_checked, 493);
}

/* A byte changed in flight, and a trailer that would lie past the buffer:
 * each dropped and counted, the link carries on. */
HIPC_TEST(crc_mismatch_dropped_and_counted)
{
	uint8_t buf[64], *wire;
	uint32_t wlen;

	up(F_NS | F_CRC);
	CHECK_EQ(hipc_rpmsg_ept_set_crc(&chan, true), 0);
	fill(buf, sizeof(buf), 3);
	CHECK_EQ(hipc_rpmsg_send(&chan, buf, sizeof(buf)), 64);
	wire = last_tx_buf(&wlen);
	wire[16 + 10] ^= 0x20;
	pair_pump(&P);
	CHECK_EQ(svc_in.count, 0);
	CHECK_EQ(pair_stats(&P.devc.dev).crc_errors, 1);
	/* a length that leaves no room for the trailer in what was sent */
	CHECK_EQ(hipc_rpmsg_send(&chan, buf, sizeof(buf)), 64);
	wire = last_tx_buf(&wlen);
	hipc_put_le16(wire + 12, (uint16_t)(wlen - 16u - 2u));
	pair_pump(&P);
	CHECK_EQ(svc_in.count, 0);
	CHECK_EQ(pair_stats(&P.devc.dev).crc_errors, 2);
	CHECK(!hipc_rpmsg_broken(&P.devc.dev));
	/* the next one intact */
	CHECK_EQ(hipc_rpmsg_send(&chan, buf, sizeof(buf)), 64);
	pair_pump(&P);
	CHECK_EQ(svc_in.count, 1);
	CHECK(memcmp(svc_in.last, buf, sizeof(buf)) == 0);
	CHECK_EQ(pair_stats(&P.devc.dev).crc_checked, 1);
}

/* Without the feature on both sides (a Linux or OpenAMP peer never
 * accepts it): nobody may turn it on, and a marked message is delivered
 * as a peer that ignores hdr.flags would. */
HIPC_TEST(crc_off_without_the_feature)
{
	uint8_t buf[16] = "0123456789abcde", *wire;
	uint32_t wlen;

	up(F_NS);
	CHECK_EQ(hipc_rpmsg_ept_set_crc(&chan, true), -HIPC_ENOTSUP);
	CHECK_EQ(hipc_rpmsg_ept_set_crc(&svc, true), -HIPC_ENOTSUP);
	CHECK_EQ(hipc_rpmsg_ept_set_crc(&chan, false), 0);
	CHECK_EQ(hipc_rpmsg_ept_set_crc(NULL, true), -HIPC_EINVAL);
	CHECK_EQ(hipc_rpmsg_send(&chan, buf, 496 - 480), 16);
	wire = last_tx_buf(&wlen);
	CHECK_EQ(hipc_get_le16(wire + 14), 0);
	wire[14] = HIPC_RPMSG_HDR_F_CRC; /* a peer's flag we did not agree on */
	pair_pump(&P);
	CHECK_EQ(svc_in.count, 1);
	CHECK_EQ(svc_in.last_len, 16);
	CHECK_EQ(pair_stats(&P.devc.dev).crc_errors, 0);
	CHECK_EQ(pair_stats(&P.devc.dev).crc_checked, 0);
}

HIPC_TEST_MAIN(HIPC_CASE(every_size_both_ways), HIPC_CASE(every_size_event_idx),
	       HIPC_CASE(crc_every_size_both_ways),
	       HIPC_CASE(crc_mismatch_dropped_and_counted),
	       HIPC_CASE(crc_off_without_the_feature),
	       HIPC_CASE(oversize_refused_both_roles),
	       HIPC_CASE(bad_addresses_refused),
	       HIPC_CASE(send_before_start_is_not_connected),
	       HIPC_CASE(full_ring_trysend_eagain_then_recovers),
	       HIPC_CASE(burst_costs_few_doorbells_with_event_idx),
	       HIPC_CASE(zero_copy_tx_both_roles),
	       HIPC_CASE(rx_hold_and_release_both_roles),
	       HIPC_CASE(thousands_of_endpoints),
	       HIPC_CASE(destroy_announces_and_unbinds),
	       HIPC_CASE(deinit_unbinds_every_endpoint),
	       HIPC_CASE(no_name_service_without_feature),
	       HIPC_CASE(ns_announce_from_driver_role),
	       HIPC_CASE(ring_outside_map_refused),
	       HIPC_CASE(ring_parts_outside_map_refused))
