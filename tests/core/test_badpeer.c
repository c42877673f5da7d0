/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A peer that writes anything anywhere in the shared region between any two
 * of our operations.  Whatever it does, our side must not crash, must not
 * touch memory outside the region (on Linux the region sits between
 * PROT_NONE guard pages, and the suite also runs under ASan), must not
 * hang, and must report the device broken when the protocol is violated;
 * a second device on another region keeps working throughout.
 */
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

#include "pair.h"

static uint8_t *region_a, *region_b;

static uint8_t *guarded_region(void)
{
#ifdef __linux__
	size_t pg = 4096, len = (PAIR_REGION + pg - 1) / pg * pg;
	uint8_t *p = mmap(NULL, len + 2 * pg, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	CHECK_EQ(mprotect(p, pg, PROT_NONE), 0);
	CHECK_EQ(mprotect(p + pg + len, pg, PROT_NONE), 0);
	/* end the region flush against the upper guard page */
	return p + pg + len - PAIR_REGION;
#else
	static uint8_t mem[2][PAIR_REGION] __attribute__((aligned(64)));
	static int n;

	return mem[n++ & 1];
#endif
}

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static struct pair A, B;
static struct hipc_rpmsg_ept a_svc, a_chan, b_svc, b_chan;
static unsigned a_rx, b_rx;

static int count_rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t s,
		    void *priv)
{
	(*(unsigned *)priv)++;
	/* touch every byte we were given: ASan / guard pages catch a lie */
	volatile uint8_t sum = 0;
	for (size_t i = 0; i < l; i++)
		sum += ((uint8_t *)d)[i];
	(void)e;
	(void)s;
	(void)sum;
	return 0;
}

static void up(struct pair *p, uint8_t *region, struct hipc_rpmsg_ept *svc,
	       struct hipc_rpmsg_ept *chan, unsigned *cnt, uint32_t features)
{
	pair_up(p, region, features);
	CHECK_EQ(hipc_rpmsg_ept_create(svc, &p->devc.dev, "svc",
				       HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				       count_rx, cnt),
		 0);
	pair_start_device(p);
	pair_pump(p);
	CHECK_EQ(p->ns_created[0], 1);
	CHECK_EQ(hipc_rpmsg_ept_create(chan, &p->drv.dev, "svc",
				       HIPC_RPMSG_ADDR_ANY, p->ns_addr[0],
				       count_rx, cnt),
		 0);
}

/* B must keep working whatever happened to A. */
static void check_b_alive(void)
{
	unsigned before = b_rx;

	CHECK_EQ(hipc_rpmsg_trysend(&b_chan, "ok", 2), 2);
	pair_pump(&B);
	CHECK_EQ(b_rx, before + 1);
	CHECK(!hipc_rpmsg_broken(&B.drv.dev));
}

static void setup_both(uint32_t features)
{
	if (!region_a) {
		region_a = guarded_region();
		region_b = guarded_region();
	}
	up(&A, region_a, &a_svc, &a_chan, &a_rx, features);
	up(&B, region_b, &b_svc, &b_chan, &b_rx, features);
}

/* Offsets of the shared structures in a pair's region. */
#define RING0 0u
#define RING1 PAIR_RING_BYTES
#define AVAIL(r) ((r) + 16u * PAIR_NUM)
#define USED(r) ((r) + ((16u * PAIR_NUM + 2u * (3u + PAIR_NUM) + PAIR_ALIGN - 1u) & ~(PAIR_ALIGN - 1u)))
#define BUFS (2u * PAIR_RING_BYTES)

static void w16(uint8_t *b, size_t off, uint16_t v) { memcpy(b + off, &v, 2); }
static void w32(uint8_t *b, size_t off, uint32_t v) { memcpy(b + off, &v, 4); }
static void w64(uint8_t *b, size_t off, uint64_t v) { memcpy(b + off, &v, 8); }

/* The device publishes one message in vring 0 honestly, then we corrupt. */
static void device_sends_one(void)
{
	CHECK_EQ(hipc_rpmsg_trysendto(&a_svc, "abcd", 4, a_chan.addr), 4);
}

static void expect_a_driver_broken(void)
{
	CHECK_EQ(hipc_rpmsg_poll(&A.drv.dev, 0), -HIPC_EIO);
	CHECK(hipc_rpmsg_broken(&A.drv.dev));
	CHECK(pair_stats(&A.drv.dev).proto_errors >= 1);
	CHECK_EQ(hipc_rpmsg_trysend(&a_chan, "x", 1), -HIPC_EIO);
	check_b_alive();
}

HIPC_TEST(used_idx_past_num)
{
	setup_both(F_NS);
	device_sends_one();
	w16(region_a, USED(RING0) + 2, 1000);
	expect_a_driver_broken();
}

/* hipc_rpmsg_pending() looks without the lock and judges nothing: a bogus
 * index is "work" for the poll to find out, and the ring is broken by
 * that poll, not by the look. */
HIPC_TEST(pending_is_a_hint_the_poll_judges)
{
	setup_both(F_NS);
	CHECK(!hipc_rpmsg_pending(&A.drv.dev));
	device_sends_one();
	CHECK(hipc_rpmsg_pending(&A.drv.dev));
	CHECK_EQ(hipc_rpmsg_poll(&A.drv.dev, 0), 1);
	CHECK(!hipc_rpmsg_pending(&A.drv.dev));
	device_sends_one();
	w16(region_a, USED(RING0) + 2, 1000);
	CHECK(hipc_rpmsg_pending(&A.drv.dev));
	CHECK(hipc_rpmsg_pending(&A.drv.dev));
	CHECK(!hipc_rpmsg_broken(&A.drv.dev));
	CHECK_EQ(pair_stats(&A.drv.dev).proto_errors, 0);
	expect_a_driver_broken();
	/* broken: pending says so (the poll reports it) */
	CHECK(hipc_rpmsg_pending(&A.drv.dev));
}

/* The look takes no lock (a spinning waiter would write the lock's line
 * on every turn), and counts tx buffers given back as work only once a
 * sender asked for them. */
static unsigned locks;
static void count_lock(void *ctx)
{
	(void)ctx;
	locks++;
}
static void count_unlock(void *ctx) { (void)ctx; }

HIPC_TEST(pending_sees_tx_buffers_back_once_asked)
{
	static const struct hipc_port_ops counting = {
		.lock = count_lock, .unlock = count_unlock,
		.notify = pair_notify
	};
	unsigned before;
	int sent = 0;

	setup_both(F_NS);
	before = a_rx;
	while (hipc_rpmsg_trysend(&a_chan, "x", 1) == 1)
		sent++;
	CHECK(sent > 0);
	CHECK(hipc_rpmsg_poll(&A.devc.dev, 0) > 0);
	CHECK_EQ(a_rx, before + (unsigned)sent);
	A.drv.port.ops = &counting;
	locks = 0;
	/* all given back, and nobody waits for one */
	CHECK(!hipc_rpmsg_pending(&A.drv.dev));
	CHECK_EQ(locks, 0);
	/* a sender asks: they are back already, so no sleep */
	CHECK(!hipc_rpmsg_prepare_sleep_tx(&A.drv.dev));
	locks = 0;
	CHECK(hipc_rpmsg_pending(&A.drv.dev));
	CHECK(hipc_rpmsg_pending(&A.drv.dev));
	CHECK_EQ(locks, 0);
	A.drv.port.ops = &pair_ops;
	/* the send has a buffer; a wait that no longer asks for one takes
	 * the request back, and the rest given back are no work */
	CHECK_EQ(hipc_rpmsg_trysend(&a_chan, "x", 1), 1);
	CHECK(hipc_rpmsg_prepare_sleep(&A.drv.dev));
	CHECK(!hipc_rpmsg_pending(&A.drv.dev));
	CHECK(!hipc_rpmsg_broken(&A.drv.dev));
}

HIPC_TEST(used_len_larger_than_buffer)
{
	setup_both(F_NS);
	device_sends_one();
	w32(region_a, USED(RING0) + 4 + 8 * 1 + 4, PAIR_BUF + 1);
	/* entry index: the announcement took slot 0, our message slot 1 */
	expect_a_driver_broken();
}

HIPC_TEST(used_len_shorter_than_header)
{
	setup_both(F_NS);
	device_sends_one();
	w32(region_a, USED(RING0) + 4 + 8 * 1 + 4, 15);
	expect_a_driver_broken();
}

HIPC_TEST(header_len_past_used_len)
{
	setup_both(F_NS);
	device_sends_one();
	/* Buffer 1 of the rx pool holds the message, and used.len is the
	 * whole buffer (what the device writes): claim one byte more than
	 * that can carry.  Then a peer that reports the message's own length
	 * (Linux's and OpenAMP's devices may): claim past that. */
	w16(region_a, BUFS + 1 * PAIR_BUF + 12, PAIR_BUF - 16u + 1u);
	expect_a_driver_broken();

	setup_both(F_NS);
	device_sends_one();
	w32(region_a, USED(RING0) + 4 + 8 * 1 + 4, 16u + 4u);
	w16(region_a, BUFS + 1 * PAIR_BUF + 12, 5);
	expect_a_driver_broken();
}

static int hold_rx(struct hipc_rpmsg_ept *e, void *d, size_t l, uint32_t s,
		   void *priv)
{
	(void)e, (void)d, (void)l, (void)s, (void)priv;
	return HIPC_RPMSG_HOLD;
}

HIPC_TEST(used_id_not_in_flight)
{
	struct hipc_rpmsg_ept holder;

	setup_both(F_NS);
	CHECK_EQ(hipc_rpmsg_ept_create(&holder, &A.drv.dev, NULL, 3000,
				       HIPC_RPMSG_ADDR_ANY, hold_rx, NULL),
		 0);
	/* rx descriptor 1 carries this message and stays with the driver */
	CHECK_EQ(hipc_rpmsg_trysendto(&a_svc, "held", 4, 3000), 4);
	pair_pump(&A);
	/* the device claims to return descriptor 1 again */
	w32(region_a, USED(RING0) + 4 + 8 * 2, 1);
	w32(region_a, USED(RING0) + 4 + 8 * 2 + 4, 20);
	w16(region_a, USED(RING0) + 2, 3);
	expect_a_driver_broken();
}

HIPC_TEST(device_side_descriptor_outside_region)
{
	setup_both(F_NS);
	CHECK_EQ(hipc_rpmsg_trysend(&a_chan, "hi", 2), 2);
	/* descriptor 0 of vring 1 now points just below the region */
	w64(region_a, RING1, A.reg.da - 8);
	CHECK_EQ(hipc_rpmsg_poll(&A.devc.dev, 0), -HIPC_EIO);
	CHECK(hipc_rpmsg_broken(&A.devc.dev));
	check_b_alive();
}

HIPC_TEST(device_side_avail_idx_past_num)
{
	setup_both(F_NS);
	w16(region_a, AVAIL(RING1) + 2, PAIR_NUM + 5);
	CHECK_EQ(hipc_rpmsg_poll(&A.devc.dev, 0), -HIPC_EIO);
	check_b_alive();
}

static uint16_t r16(const uint8_t *b, size_t off)
{
	uint16_t v;

	memcpy(&v, b + off, 2);
	return v;
}

static uint64_t r64(const uint8_t *b, size_t off)
{
	uint64_t v;

	memcpy(&v, b + off, 8);
	return v;
}

/* The device's receive ring (vring 1) after the driver sent one message:
 * descriptor 0, then the broken ring must keep it (used idx unmoved). */
static void expect_a_device_broken_rx(void)
{
	uint16_t used_before = r16(region_a, USED(RING1) + 2);

	CHECK_EQ(hipc_rpmsg_poll(&A.devc.dev, 0), -HIPC_EIO);
	CHECK(hipc_rpmsg_broken(&A.devc.dev));
	CHECK(pair_stats(&A.devc.dev).proto_errors >= 1);
	CHECK_EQ(a_rx, 0);
	CHECK_EQ(r16(region_a, USED(RING1) + 2), used_before);
	CHECK_EQ(hipc_rpmsg_trysendto(&a_svc, "x", 1, a_chan.addr), -HIPC_EIO);
	check_b_alive();
}

HIPC_TEST(device_side_rx_descriptor_shorter_than_header)
{
	setup_both(F_NS);
	a_rx = 0;
	CHECK_EQ(hipc_rpmsg_trysend(&a_chan, "hi", 2), 2);
	w32(region_a, RING1 + 8, 15);
	expect_a_device_broken_rx();
}

HIPC_TEST(device_side_header_len_past_descriptor)
{
	size_t buf;

	setup_both(F_NS);
	a_rx = 0;
	CHECK_EQ(hipc_rpmsg_trysend(&a_chan, "hi", 2), 2);
	buf = (size_t)(r64(region_a, RING1) - A.reg.da);
	w16(region_a, buf + 12, 3); /* the descriptor holds 16 + 2 */
	expect_a_device_broken_rx();
}

HIPC_TEST(device_side_rx_descriptor_longer_than_buffer)
{
	setup_both(F_NS);
	a_rx = 0;
	CHECK_EQ(hipc_rpmsg_trysend(&a_chan, "hi", 2), 2);
	/* still inside the region (the driver's tx pool), but more than the
	 * buffer size both sides agreed on */
	w32(region_a, RING1 + 8, PAIR_BUF + 1);
	expect_a_device_broken_rx();
}

/* Length of the descriptor the device will take next to send on. */
static size_t next_tx_desc_len(void)
{
	unsigned slot = pair_ring(&A.devc.dev, 0).consumed & (PAIR_NUM - 1u);
	uint16_t head = r16(region_a, AVAIL(RING0) + 4u + 2u * slot);

	return RING0 + 16u * head + 8u;
}

HIPC_TEST(device_side_tx_buffer_too_small_breaks)
{
	setup_both(F_NS);
	w32(region_a, next_tx_desc_len(), 31);
	CHECK_EQ(hipc_rpmsg_trysendto(&a_svc, "x", 1, a_chan.addr), -HIPC_EIO);
	CHECK(hipc_rpmsg_broken(&A.devc.dev));
	CHECK(pair_stats(&A.devc.dev).proto_errors >= 1);
	check_b_alive();
}

/* A buffer too small for this message but not absurd: the send is refused
 * and the buffer stays on the ring for a message that fits. */
HIPC_TEST(device_side_tx_buffer_smaller_than_message)
{
	static const char big[100];
	uint16_t used_before;

	setup_both(F_NS);
	a_rx = 0;
	w32(region_a, next_tx_desc_len(), 40);
	used_before = r16(region_a, USED(RING0) + 2);
	CHECK_EQ(hipc_rpmsg_trysendto(&a_svc, big, sizeof(big), a_chan.addr),
		 -HIPC_EMSGSIZE);
	CHECK_EQ(r16(region_a, USED(RING0) + 2), used_before);
	CHECK(!hipc_rpmsg_broken(&A.devc.dev));
	CHECK_EQ(hipc_rpmsg_trysendto(&a_svc, "fits", 4, a_chan.addr), 4);
	CHECK_EQ((uint16_t)(r16(region_a, USED(RING0) + 2) - used_before), 1);
	pair_pump(&A);
	CHECK_EQ(a_rx, 1);
	CHECK(!hipc_rpmsg_broken(&A.drv.dev));
	check_b_alive();
}

HIPC_TEST(ns_name_without_nul_is_terminated)
{
	uint8_t msg[40];

	setup_both(F_NS);
	memset(msg, 'N', 32);
	w32(msg, 32, 1500);
	w32(msg, 36, 0);
	CHECK_EQ(hipc_rpmsg_send_offchannel(&a_svc, 1500, HIPC_RPMSG_NS_ADDR,
					    msg, sizeof(msg)),
		 40);
	pair_pump(&A);
	CHECK_EQ(A.ns_created[0], 2);
	CHECK_EQ(strlen(A.ns_name[0]), 31);
	CHECK_EQ(A.ns_addr[0], 1500);
	CHECK(!hipc_rpmsg_broken(&A.drv.dev));
	/* a short NS message is dropped and counted, not fatal */
	CHECK_EQ(hipc_rpmsg_send_offchannel(&a_svc, 1500, HIPC_RPMSG_NS_ADDR,
					    msg, 39),
		 39);
	pair_pump(&A);
	CHECK_EQ(A.ns_created[0], 2);
	CHECK(pair_stats(&A.drv.dev).proto_errors >= 1);
	CHECK(!hipc_rpmsg_broken(&A.drv.dev));
}

/* An NS message from the peer, sent honestly through A's device side. */
static void ns_from_device(const char *name, uint32_t addr, uint32_t flags)
{
	uint8_t msg[40];

	memset(msg, 0, sizeof(msg));
	strncpy((char *)msg, name, 31);
	w32(msg, 32, addr);
	w32(msg, 36, flags);
	CHECK_EQ(hipc_rpmsg_send_offchannel(&a_svc, 1500, HIPC_RPMSG_NS_ADDR,
					    msg, sizeof(msg)),
		 40);
	pair_pump(&A);
}

/* Flags other than create (0) or destroy (1), and the ANY address, make no
 * sense: dropped and counted, the callback not called, no channel unbound,
 * the device sound. */
HIPC_TEST(ns_bad_flags_and_any_address_dropped)
{
	static const struct {
		uint32_t addr, flags;
	} bad[] = {
		{ 1500, 2 },
		{ 1500, 0xFFFFFFFFu },
		{ HIPC_RPMSG_ADDR_ANY, 0 },
		{ HIPC_RPMSG_ADDR_ANY, 1 },
	};

	setup_both(F_NS);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hipc_rpmsg_stats before = pair_stats(&A.drv.dev);
		struct hipc_rpmsg_stats after;

		/* "svc" at a_svc's own address: a destroy accepted here
		 * would unbind a_chan */
		ns_from_device("svc", bad[i].addr == 1500 ? a_svc.addr
							 : bad[i].addr,
			       bad[i].flags);
		after = pair_stats(&A.drv.dev);
		CHECK_EQ(after.proto_errors, before.proto_errors + 1);
		CHECK_EQ(after.ns_rx, before.ns_rx);
		CHECK_EQ(A.ns_created[0], 1);
		CHECK_EQ(A.ns_destroyed[0], 0);
		CHECK(!hipc_rpmsg_broken(&A.drv.dev));
	}
	/* a_chan is still bound: its message gets through */
	a_rx = 0;
	CHECK_EQ(hipc_rpmsg_trysend(&a_chan, "ok", 2), 2);
	pair_pump(&A);
	CHECK_EQ(a_rx, 1);
	/* and a well-formed destroy of it is taken (the control case) */
	ns_from_device("svc", a_svc.addr, HIPC_RPMSG_NS_DESTROY);
	CHECK_EQ(A.ns_destroyed[0], 1);
	CHECK_EQ(hipc_rpmsg_trysend(&a_chan, "x", 1), -HIPC_ECONNRESET);
	check_b_alive();
}

/*
 * The fuzz loop: random honest traffic in both directions, and between
 * operations random writes anywhere in A's region (biased towards the
 * fields that matter).  When A breaks, it is set up again.  B is checked
 * every round.
 */
static void scribble(uint8_t *r)
{
	static const uint32_t hot[] = {
		AVAIL(RING0) + 2, USED(RING0) + 2, AVAIL(RING1) + 2,
		USED(RING1) + 2,  USED(RING0) + 4, USED(RING0) + 8,
		USED(RING1) + 4,  USED(RING1) + 8, AVAIL(RING1) + 4,
		AVAIL(RING0) + 4, RING1,           RING1 + 8,
		RING1 + 12,       RING0,           RING0 + 8,
		BUFS + 12,        BUFS + PAIR_BUF + 12,
	};
	uint32_t off, v = rnd();

	if (rnd() & 1)
		off = hot[rnd() % (sizeof(hot) / sizeof(hot[0]))] +
		      (rnd() % 4) * 8u;
	else
		off = rnd() % (PAIR_REGION - 8);
	switch (rnd() % 4) {
	case 0:
		r[off] = (uint8_t)v;
		break;
	case 1:
		w16(r, off & ~1u, (uint16_t)v);
		break;
	case 2:
		w32(r, off & ~3u, v % 3 ? v : v % (PAIR_NUM + 3));
		break;
	default:
		w64(r, off & ~7u, ((uint64_t)v << 32) | rnd());
		break;
	}
}

static void fuzz(uint32_t features, unsigned rounds)
{
	unsigned breaks = 0;
	uint8_t buf[PAIR_BUF];

	setup_both(features);
	for (unsigned i = 0; i < rounds; i++) {
		size_t len = rnd() % 497;

		memset(buf, (int)i, len);
		switch (rnd() % 5) {
		case 0:
			(void)hipc_rpmsg_trysend(&a_chan, buf, len);
			break;
		case 1:
			(void)hipc_rpmsg_trysendto(&a_svc, buf, len, a_chan.addr);
			break;
		case 2:
			(void)hipc_rpmsg_poll(&A.drv.dev, 0);
			break;
		case 3:
			(void)hipc_rpmsg_poll(&A.devc.dev, 0);
			break;
		default: {
			void *p;
			uint32_t max;

			if (hipc_rpmsg_get_tx_buffer(&A.drv.dev, &p, &max, 0) == 0)
				(void)hipc_rpmsg_send_nocopy(&a_chan,
							     HIPC_RPMSG_ADDR_ANY,
							     p, max / 2);
			break;
		}
		}
		for (unsigned k = rnd() % 3; k; k--)
			scribble(region_a);
		if (hipc_rpmsg_broken(&A.drv.dev)) {
			/* sticky: nothing more goes through */
			CHECK_EQ(hipc_rpmsg_poll(&A.drv.dev, 0), -HIPC_EIO);
			breaks++;
			up(&A, region_a, &a_svc, &a_chan, &a_rx, features);
		} else if (hipc_rpmsg_broken(&A.devc.dev)) {
			up(&A, region_a, &a_svc, &a_chan, &a_rx, features);
		}
		if (i % 64 == 0)
			check_b_alive();
	}
	/* the adversary is strong enough to break the driver many times */
	CHECK(breaks > rounds / 200);
	printf("fuzz: %u rounds, driver broken and recovered %u times\n",
	       rounds, breaks);
}

HIPC_TEST(scribbler_plain)
{
	fuzz(F_NS, 300000);
}

HIPC_TEST(scribbler_event_idx)
{
	fuzz(F_NS | F_EVT, 300000);
}

HIPC_TEST_MAIN(HIPC_CASE(used_idx_past_num),
	       HIPC_CASE(pending_is_a_hint_the_poll_judges),
	       HIPC_CASE(pending_sees_tx_buffers_back_once_asked),
	       HIPC_CASE(used_len_larger_than_buffer),
	       HIPC_CASE(used_len_shorter_than_header),
	       HIPC_CASE(header_len_past_used_len),
	       HIPC_CASE(used_id_not_in_flight),
	       HIPC_CASE(device_side_descriptor_outside_region),
	       HIPC_CASE(device_side_avail_idx_past_num),
	       HIPC_CASE(device_side_rx_descriptor_shorter_than_header),
	       HIPC_CASE(device_side_header_len_past_descriptor),
	       HIPC_CASE(device_side_tx_buffer_too_small_breaks),
	       HIPC_CASE(device_side_tx_buffer_smaller_than_message),
	       HIPC_CASE(device_side_rx_descriptor_longer_than_buffer),
	       HIPC_CASE(ns_name_without_nul_is_terminated),
	       HIPC_CASE(ns_bad_flags_and_any_address_dropped),
	       HIPC_CASE(scribbler_plain), HIPC_CASE(scribbler_event_idx))
