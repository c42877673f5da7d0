/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rpmsg with many endpoints: 100,000 on a device, messages to random ones,
 * destruction in random order, addresses with a common stride, services
 * announced and withdrawn by the thousand, teardown, and a table whose
 * memory runs out.  Host only (the endpoints and the grown tables live on
 * the heap); one thread.
 */
#include <stdlib.h>
#include <string.h>

#include "pair.h"

#define MANY 100000u

static uint8_t region[PAIR_REGION] __attribute__((aligned(64)));
static struct pair P;

/* An endpoint in its user's struct, as a real user keeps it. */
struct user {
	struct hipc_rpmsg_ept ept;
	uint32_t idx;
	unsigned got;     /* messages received */
	unsigned unbound; /* unbind callbacks */
};

static unsigned wrong; /* messages that reached another endpoint */

/* Memory for the tables, counted: every byte given comes back, with the
 * size it was given with.  @fail_after: allocations left before they fail
 * (-1: never). */
static struct {
	long outstanding;
	unsigned allocs;
	int fail_after;
} M;

static void *mem_alloc(void *ctx, size_t size)
{
	size_t *p;

	(void)ctx;
	if (M.fail_after == 0)
		return NULL;
	if (M.fail_after > 0)
		M.fail_after--;
	p = malloc(sizeof(size_t) * 2 + size);
	CHECK(p != NULL);
	p[0] = size;
	M.outstanding += (long)size;
	M.allocs++;
	return p + 2;
}

static void mem_free(void *ctx, void *ptr, size_t size)
{
	size_t *p = (size_t *)ptr - 2;

	(void)ctx;
	CHECK_EQ(p[0], size);
	M.outstanding -= (long)size;
	free(p);
}

static const struct hipc_mem_ops mem = { mem_alloc, mem_free, NULL };

static uint64_t rng = 0x243F6A8885A308D3u;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 32) * n >> 32);
}

static void shuffle(uint32_t *v, uint32_t n)
{
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = rnd(i + 1), t = v[i];

		v[i] = v[j];
		v[j] = t;
	}
}

static int rx(struct hipc_rpmsg_ept *ept, void *data, size_t len, uint32_t src,
	      void *priv)
{
	struct user *u = priv;
	uint32_t idx;

	(void)src;
	CHECK_EQ(len, sizeof(idx));
	memcpy(&idx, data, sizeof(idx));
	if (&u->ept != ept || u->idx != idx)
		wrong++;
	u->got++;
	return 0;
}

static void unbind(struct hipc_rpmsg_ept *ept)
{
	((struct user *)ept->priv)->unbound++;
}

static struct hipc_rpmsg_ept from; /* the driver's sender */

/* Both sides up (name service on), the tables given @m to grow into. */
static void up(const struct hipc_mem_ops *m)
{
	memset(&M, 0, sizeof(M));
	M.fail_after = -1;
	wrong = 0;
	P.mem = m;
	pair_up(&P, region, F_NS);
	pair_start_device(&P);
	pair_pump(&P);
	CHECK_EQ(hipc_rpmsg_ept_create(&from, &P.drv.dev, NULL,
				       HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				       rx, NULL),
		 0);
}

static struct user *users(uint32_t n)
{
	struct user *u = calloc(n, sizeof(*u));

	CHECK(u != NULL);
	return u;
}

/* On the device: @n endpoints at @addr(i) (ADDR_ANY: the next free). */
static void create_n(struct user *u, uint32_t n, uint32_t base,
		     uint32_t stride)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = stride ? base + i * stride : HIPC_RPMSG_ADDR_ANY;

		u[i].idx = i;
		CHECK_EQ(hipc_rpmsg_ept_create(&u[i].ept, &P.devc.dev, NULL, a,
					       HIPC_RPMSG_ADDR_ANY, rx, &u[i]),
			 0);
		u[i].ept.unbind = unbind;
	}
}

/* @msgs messages from the driver to random live ones of @u[0..n), in
 * bursts a ring holds; each must reach exactly its endpoint. */
static void send_random(struct user *u, uint32_t n, const uint8_t *live,
			unsigned msgs)
{
	unsigned sent = 0, before = 0, after = 0;

	for (uint32_t i = 0; i < n; i++)
		before += u[i].got;
	while (sent < msgs) {
		for (unsigned k = 0; k < PAIR_NUM / 2 && sent < msgs; k++) {
			uint32_t i = rnd(n);

			if (live && !live[i])
				continue;
			CHECK_EQ(hipc_rpmsg_trysendto(&from, &u[i].idx, 4,
						      u[i].ept.addr),
				 4);
			sent++;
		}
		pair_pump(&P);
	}
	for (uint32_t i = 0; i < n; i++)
		after += u[i].got;
	CHECK_EQ(after - before, msgs);
	CHECK_EQ(wrong, 0);
}

/* The longest chain of the device's address table (white box: how well
 * the hash spreads). */
static unsigned longest_chain(struct hipc_rpmsg_dev *d)
{
	unsigned worst = 0;

	for (unsigned b = 0; b < d->cfg.nbuckets; b++) {
		unsigned len = 0;

		for (struct hipc_rpmsg_ept *e = d->cfg.buckets[b]; e;
		     e = e->hnext)
			len++;
		if (len > worst)
			worst = len;
	}
	return worst;
}

HIPC_TEST(hundred_thousand_endpoints_random_traffic_random_destroy)
{
	struct user *u = users(MANY);
	uint32_t *order = calloc(MANY, sizeof(*order));
	uint8_t *live = calloc(MANY, 1);

	CHECK(order && live);
	up(&mem);
	create_n(u, MANY, 0, 0);
	/* The table grew with them: chains stay short. */
	CHECK(P.devc.dev.cfg.nbuckets >= MANY);
	CHECK(longest_chain(&P.devc.dev) <= 8);
	CHECK(M.allocs > 0);
	for (uint32_t i = 0; i < MANY; i++) {
		CHECK(hipc_rpmsg_lookup(&P.devc.dev, u[i].ept.addr) == &u[i].ept);
		order[i] = i;
		live[i] = 1;
	}
	send_random(u, MANY, NULL, 20000);

	/* Destroyed in random order; the rest keep working throughout. */
	shuffle(order, MANY);
	for (uint32_t k = 0; k < MANY; k++) {
		uint32_t i = order[k];

		hipc_rpmsg_ept_destroy(&u[i].ept);
		live[i] = 0;
		CHECK(u[i].ept.dev == NULL);
		if (k == MANY / 2) {
			for (uint32_t j = 0; j < MANY; j++)
				CHECK(hipc_rpmsg_lookup(&P.devc.dev,
							u[j].ept.addr) ==
				      (live[j] ? &u[j].ept : NULL));
			send_random(u, MANY, live, 5000);
		}
	}
	for (uint32_t i = 0; i < MANY; i++)
		CHECK(hipc_rpmsg_lookup(&P.devc.dev, u[i].ept.addr) == NULL);
	/* Nothing unbound by a destroy; a message to a gone endpoint is
	 * dropped. */
	for (uint32_t i = 0; i < MANY; i++)
		CHECK_EQ(u[i].unbound, 0);
	CHECK_EQ(hipc_rpmsg_trysendto(&from, "x", 1, u[7].ept.addr), 1);
	pair_pump(&P);
	CHECK_EQ(pair_stats(&P.devc.dev).rx_dropped, 1);

	/* Fresh endpoints after all that still find their messages. */
	create_n(u, 1000, 0, 0);
	send_random(u, 1000, NULL, 2000);
	hipc_rpmsg_dev_deinit(&P.devc.dev);
	hipc_rpmsg_dev_deinit(&P.drv.dev);
	CHECK_EQ(M.outstanding, 0);
	free(order);
	free(live);
	free(u);
}

/* Addresses a power of two apart share their low bits: every one of them
 * must still get a bucket of its own, more or less, in a grown table and
 * in the caller's fixed one. */
static void strided(const struct hipc_mem_ops *m, uint32_t n, uint32_t stride)
{
	struct user *u = users(n);

	up(m);
	create_n(u, n, 4096, stride);
	for (uint32_t i = 0; i < n; i++)
		CHECK(hipc_rpmsg_lookup(&P.devc.dev, 4096 + i * stride) ==
		      &u[i].ept);
	if (m)
		CHECK(longest_chain(&P.devc.dev) <= 8);
	else
		/* 64 buckets: the fair share, give or take. */
		CHECK(longest_chain(&P.devc.dev) <= 2 * n / PAIR_BUCKETS + 8);
	send_random(u, n, NULL, 5000);
	hipc_rpmsg_dev_deinit(&P.devc.dev);
	hipc_rpmsg_dev_deinit(&P.drv.dev);
	for (uint32_t i = 0; i < n; i++)
		CHECK_EQ(u[i].unbound, 1);
	CHECK_EQ(M.outstanding, 0);
	free(u);
}

HIPC_TEST(strided_addresses_spread)
{
	strided(&mem, 50000, 4096);
	strided(&mem, 60000, 65536);
	strided(NULL, 4096, 4096);
	strided(NULL, 4096, 1u << 20);
}

/* --- the name service by the thousand ----------------------------------- */

#define SVCS 3000u

static struct user *chans;
static unsigned nchans;

/* The driver binds a channel to each service it hears of. */
static void ns_bind(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		    bool destroyed, void *priv)
{
	struct user *c;

	pair_ns(dev, name, addr, destroyed, priv); /* counted as usual */
	if (destroyed)
		return;
	CHECK(nchans < SVCS);
	c = &chans[nchans];
	c->idx = nchans++;
	CHECK_EQ(hipc_rpmsg_ept_create(&c->ept, dev, name, HIPC_RPMSG_ADDR_ANY,
				       addr, rx, c),
		 0);
	c->ept.unbind = unbind;
}

static void ns_up(void)
{
	up(&mem);
	P.drv.dev.cfg.ns_cb = ns_bind; /* white box: the driver's reply */
	chans = users(SVCS + 2);
	nchans = 0;
}

static void name(char *buf, uint32_t i)
{
	/* Some services share a name (several instances of one). */
	unsigned n = i % 1000u;

	memcpy(buf, "svc-", 4);
	buf[4] = (char)('0' + n / 100);
	buf[5] = (char)('0' + n / 10 % 10);
	buf[6] = (char)('0' + n % 10);
	buf[7] = '\0';
}

/* The device announces @n services (created live, or before the start
 * when @early), the driver binds a channel to each; then they are
 * withdrawn in random order, and exactly the channel of each is unbound. */
static void announce_withdraw(bool early)
{
	struct user *s = users(SVCS);
	uint32_t *order = calloc(SVCS, sizeof(*order));
	char nm[8];

	CHECK(order != NULL);
	if (early) {
		/* Both devices up, the device not started: every service
		 * waits, and goes out as buffers allow once it starts. */
		memset(&M, 0, sizeof(M));
		M.fail_after = -1;
		P.mem = &mem;
		pair_up(&P, region, F_NS);
		P.drv.dev.cfg.ns_cb = ns_bind;
		chans = users(SVCS + 2);
		nchans = 0;
	} else {
		ns_up();
	}
	for (uint32_t i = 0; i < SVCS; i++) {
		name(nm, i);
		s[i].idx = i;
		CHECK_EQ(hipc_rpmsg_ept_create(&s[i].ept, &P.devc.dev, nm,
					       HIPC_RPMSG_ADDR_ANY,
					       HIPC_RPMSG_ADDR_ANY, rx, &s[i]),
			 0);
		if (!early && i % 16 == 15)
			pair_pump(&P);
	}
	if (early)
		pair_start_device(&P);
	for (int k = 0; k < 1000 && nchans < SVCS; k++)
		pair_pump(&P);
	CHECK_EQ(nchans, SVCS);
	CHECK(P.devc.dev.pend_head == NULL);
	/* Each channel is bound to its own service. */
	for (uint32_t c = 0; c < SVCS; c++) {
		struct hipc_rpmsg_ept *svc =
			hipc_rpmsg_lookup(&P.devc.dev, chans[c].ept.dst);

		CHECK(svc != NULL);
		CHECK(!strcmp(svc->name, chans[c].ept.name));
	}
	/* A channel whose owner pointed it at a service after creating it
	 * is that service's channel too (bound by name and destination at
	 * withdrawal time); one with the name but another destination is
	 * not. */
	CHECK_EQ(hipc_rpmsg_ept_create(&chans[SVCS].ept, &P.drv.dev, s[5].ept.name,
				       HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				       rx, &chans[SVCS]),
		 0);
	chans[SVCS].ept.unbind = unbind;
	chans[SVCS].ept.dst = s[5].ept.addr;
	CHECK_EQ(hipc_rpmsg_ept_create(&chans[SVCS + 1].ept, &P.drv.dev,
				       s[5].ept.name, HIPC_RPMSG_ADDR_ANY, 77,
				       rx, &chans[SVCS + 1]),
		 0);
	chans[SVCS + 1].ept.unbind = unbind;

	for (uint32_t i = 0; i < SVCS; i++)
		order[i] = i;
	shuffle(order, SVCS);
	for (uint32_t k = 0; k < SVCS; k++) {
		uint32_t i = order[k];
		uint32_t addr = s[i].ept.addr;

		hipc_rpmsg_ept_destroy(&s[i].ept);
		pair_pump(&P);
		CHECK_EQ(P.ns_destroyed[0], (int)k + 1);
		/* The channel of service i, and only it, is unbound. */
		for (uint32_t c = 0; c < SVCS; c++)
			if (chans[c].ept.dst == addr)
				CHECK_EQ(chans[c].unbound, 1);
		if (i == 5)
			CHECK_EQ(chans[SVCS].unbound, 1);
	}
	for (uint32_t c = 0; c < SVCS; c++) {
		CHECK_EQ(chans[c].unbound, 1);
		CHECK_EQ(hipc_rpmsg_trysend(&chans[c].ept, "x", 1),
			 -HIPC_ECONNRESET);
	}
	CHECK_EQ(chans[SVCS].unbound, 1);
	CHECK_EQ(chans[SVCS + 1].unbound, 0);
	hipc_rpmsg_dev_deinit(&P.devc.dev);
	hipc_rpmsg_dev_deinit(&P.drv.dev);
	/* The driver's deinit unbinds what the withdrawals left bound. */
	CHECK_EQ(chans[SVCS + 1].unbound, 1);
	CHECK_EQ(M.outstanding, 0);
	free(chans);
	free(order);
	free(s);
}

HIPC_TEST(services_announced_live_and_withdrawn)
{
	announce_withdraw(false);
}

HIPC_TEST(services_created_before_start_all_announced)
{
	announce_withdraw(true);
}

/* --- teardown and memory ------------------------------------------------ */

HIPC_TEST(deinit_unbinds_each_of_many_once)
{
	struct user *u = users(MANY);

	up(&mem);
	create_n(u, MANY, 0, 0);
	hipc_rpmsg_dev_deinit(&P.devc.dev);
	for (uint32_t i = 0; i < MANY; i++) {
		CHECK_EQ(u[i].unbound, 1);
		CHECK(u[i].ept.dev == NULL);
	}
	CHECK_EQ(M.outstanding, 0);
	/* The caller's table is the device's again, empty but for 53. */
	CHECK(P.devc.dev.cfg.buckets == P.devc.buckets);
	CHECK(hipc_rpmsg_lookup(&P.devc.dev, u[0].ept.addr) == NULL);
	hipc_rpmsg_dev_deinit(&P.drv.dev);
	free(u);
}

HIPC_TEST(no_memory_to_grow_into_still_works)
{
	struct user *u = users(20000);

	/* Two doublings, then nothing: the table stays at 256 buckets and
	 * every endpoint is still found. */
	up(&mem);
	M.fail_after = 2;
	create_n(u, 20000, 0, 0);
	CHECK_EQ(P.devc.dev.cfg.nbuckets, 4u * PAIR_BUCKETS);
	for (uint32_t i = 0; i < 20000; i++)
		CHECK(hipc_rpmsg_lookup(&P.devc.dev, u[i].ept.addr) == &u[i].ept);
	send_random(u, 20000, NULL, 5000);
	hipc_rpmsg_dev_deinit(&P.devc.dev);
	hipc_rpmsg_dev_deinit(&P.drv.dev);
	CHECK_EQ(M.outstanding, 0);
	free(u);

	/* No memory at all: the caller's 64 buckets, nothing allocated. */
	u = users(5000);
	up(NULL);
	create_n(u, 5000, 0, 0);
	CHECK_EQ(P.devc.dev.cfg.nbuckets, PAIR_BUCKETS);
	send_random(u, 5000, NULL, 2000);
	CHECK_EQ(M.allocs, 0);
	hipc_rpmsg_dev_deinit(&P.devc.dev);
	hipc_rpmsg_dev_deinit(&P.drv.dev);
	free(u);
}

/*
 * Receive looks a few messages ahead once a device has 1,024 endpoints or
 * more (their buckets, endpoints and owners' structs asked for early).  A
 * callback that destroys the endpoint of a message a little behind its
 * own, and frees the struct around it, must leave nothing of it read when
 * that message comes (ASan watches the freed structs): the message is
 * dropped, every other one delivered.  Both roles receive.
 */
#define LA_EPTS 2048u
#define LA_KILLERS 24u

struct huser {
	struct hipc_rpmsg_ept ept;
	struct huser **victim; /* whose endpoint this one's callback ends */
	unsigned got;
};

static int rx_kill(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		   uint32_t src, void *priv)
{
	struct huser *u = priv, *v;

	(void)ept;
	(void)data;
	(void)len;
	(void)src;
	u->got++;
	if (u->victim && (v = *u->victim)) {
		hipc_rpmsg_ept_destroy(&v->ept);
		*u->victim = NULL;
		free(v);
	}
	return 0;
}

static void lookahead_destroy(bool to_driver)
{
	struct hipc_rpmsg_dev *rxd = to_driver ? &P.drv.dev : &P.devc.dev;
	struct hipc_rpmsg_ept sender;
	struct huser **h = calloc(LA_EPTS, sizeof(*h));
	uint32_t vaddr[LA_KILLERS];
	uint64_t dropped;

	CHECK(h != NULL);
	up(&mem);
	CHECK_EQ(hipc_rpmsg_ept_create(&sender,
				       to_driver ? &P.devc.dev : &P.drv.dev,
				       NULL, HIPC_RPMSG_ADDR_ANY,
				       HIPC_RPMSG_ADDR_ANY, rx, NULL),
		 0);
	for (uint32_t i = 0; i < LA_EPTS; i++) {
		h[i] = calloc(1, sizeof(**h));
		CHECK(h[i] != NULL);
		CHECK_EQ(hipc_rpmsg_ept_create(&h[i]->ept, rxd, NULL,
					       HIPC_RPMSG_ADDR_ANY,
					       HIPC_RPMSG_ADDR_ANY, rx_kill,
					       h[i]),
			 0);
	}
	/* Killer k (spread over the table) ends victim k. */
	for (uint32_t k = 0; k < LA_KILLERS; k++) {
		h[k * 37u]->victim = &h[LA_EPTS - 1u - k];
		vaddr[k] = h[LA_EPTS - 1u - k]->ept.addr;
	}
	dropped = pair_stats(rxd).rx_dropped;
	/* One burst, each victim's message two after its killer's: inside
	 * the window when the killer's callback runs. */
	for (uint32_t k = 0; k < LA_KILLERS + 2u; k++) {
		if (k < LA_KILLERS)
			CHECK_EQ(hipc_rpmsg_trysendto(&sender, "k", 1,
						      h[k * 37u]->ept.addr),
				 1);
		if (k >= 2)
			CHECK_EQ(hipc_rpmsg_trysendto(&sender, "v", 1,
						      vaddr[k - 2u]),
				 1);
	}
	pair_pump(&P);
	CHECK_EQ(pair_stats(rxd).rx_dropped - dropped, LA_KILLERS);
	for (uint32_t k = 0; k < LA_KILLERS; k++) {
		CHECK_EQ(h[k * 37u]->got, 1);
		CHECK(h[LA_EPTS - 1u - k] == NULL);
	}
	CHECK(!hipc_rpmsg_broken(rxd));
	hipc_rpmsg_dev_deinit(&P.devc.dev);
	hipc_rpmsg_dev_deinit(&P.drv.dev);
	CHECK_EQ(M.outstanding, 0);
	for (uint32_t i = 0; i < LA_EPTS; i++)
		free(h[i]);
	free(h);
}

HIPC_TEST(lookahead_survives_destroy_in_callback_device)
{
	lookahead_destroy(false);
}

HIPC_TEST(lookahead_survives_destroy_in_callback_driver)
{
	lookahead_destroy(true);
}

HIPC_TEST_MAIN(HIPC_CASE(hundred_thousand_endpoints_random_traffic_random_destroy),
	       HIPC_CASE(strided_addresses_spread),
	       HIPC_CASE(services_announced_live_and_withdrawn),
	       HIPC_CASE(services_created_before_start_all_announced),
	       HIPC_CASE(deinit_unbinds_each_of_many_once),
	       HIPC_CASE(no_memory_to_grow_into_still_works),
	       HIPC_CASE(lookahead_survives_destroy_in_callback_device),
	       HIPC_CASE(lookahead_survives_destroy_in_callback_driver))
