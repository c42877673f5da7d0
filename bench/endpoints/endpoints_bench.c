/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What endpoints cost as they multiply: a driver and a device (rpmsg over
 * one region, in one process, one thread) each with N endpoints open, for
 * N = 1, 100, 10,000 and 100,000, set up as the stack's own callers set
 * them up: the driver's table starts at 256 buckets (hipc_rproc's
 * default), the device's at 64 (the firmware runtime's and the vhost-user
 * backend's), both given the Linux heap to grow into (hipc_linux_mem), a
 * locking port (a mutex, as the Linux link's), the name service on, 256
 * buffers of 512 bytes per direction.  Measured, medians of --reps runs:
 *
 *   send        16-byte trysendto to a random one of the N endpoints on
 *               the other side, from one endpoint (driver->device, then
 *               device->driver), per message; the sender picks the
 *               address from a list of its own, so that the target's
 *               struct is not brought into the cache (one process, one
 *               core) for the receiver to find there;
 *   dispatch    the receiving side's hipc_rpmsg_poll() per message: header,
 *               lookup of the random destination, its callback (which
 *               reads its owner's struct: checks the message reached the
 *               right endpoint, counts it);
 *   bare cb     the same with a callback that leaves its owner's struct
 *               alone: the stack's share of a dispatch, without the
 *               owner's own miss;
 *   create      hipc_rpmsg_ept_create() at the next free address, per
 *               endpoint, while the N are created (device side);
 *   announced   creating a named endpoint on the device with N open: the
 *               create call, which announces it (1,000 of them, or N);
 *   withdrawal  the driver's poll per name-service withdrawal with N
 *               endpoints (and a channel per announced service) open;
 *   teardown    hipc_rpmsg_dev_deinit() of the device with N endpoints, per
 *               endpoint.
 *   floor       no rpmsg at all: what touching a random one of the N
 *               users' structs costs (read its index and its endpoint's
 *               callback, count, under a mutex), per message.  A message
 *               to a random endpoint pays that touch at least once on each
 *               side, whatever the stack does: the growth of this row
 *               from N = 1 is the machine's share of every ratio.
 *
 * Every ratio is against N = 1 in the same run.
 *
 *   hipc-endpoints-bench [--reps R] [--msgs M] [--stride S] [--fixed]
 *                        [--max N]
 *
 * --stride S: the device's endpoints at explicit addresses S apart (1024,
 * 1024 + S, ...) instead of consecutive ones.  --fixed: no memory to grow
 * into (a firmware without a heap: each table keeps its first size).
 * --max N: stop after the largest size not above N.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/rpmsg.h"

#define NUM 256u
#define BUF 512u
#define ALIGN 4096u
#define DRV_BUCKETS 256u /* hipc_rproc's default */
#define DEV_BUCKETS 64u  /* the firmware runtime's, vhost-user's */
#define BATCH 64u        /* messages between polls */
#define ANNOUNCED_MAX 1000u
#define MAX_REPS 15
#define F_NS (1u << HIPC_RPMSG_F_NS)
/* hipc_vring_size(NUM, ALIGN), page-rounded */
#define RING_BYTES ((hipc_vring_size(NUM, ALIGN) + 4095u) & ~(size_t)4095u)

enum { M_SEND_D2V, M_DISP_V, M_SEND_V2D, M_DISP_D, M_BARE_V, M_BARE_D,
       M_CREATE, M_ANNOUNCED, M_WITHDRAW, M_TEARDOWN, M_FLOOR, M_COUNT };

static const char *const metric_name[M_COUNT] = {
	"send drv->dev", "dispatch dev", "send dev->drv", "dispatch drv",
	"  bare cb, dev", "  bare cb, drv",
	"create", "announced create", "NS withdrawal", "teardown",
	"floor: touch",
};

/* An endpoint in its user's struct, as a real user keeps it. */
struct user {
	struct hipc_rpmsg_ept ept;
	uint32_t idx;
	uint32_t peer; /* the partner's address */
	uint64_t count;
};

struct side {
	struct hipc_rpmsg_dev dev;
	struct hipc_port port;
	pthread_mutex_t lock;
	struct hipc_rpmsg_ept *buckets[DRV_BUCKETS];
};

static struct {
	uint8_t *region;
	size_t region_size;
	struct hipc_region reg;
	struct hipc_memmap map;
	void *storage;
	struct side drv, devc;
	struct user *du, *vu, *ann, *chan;
	struct user dsend, vsend; /* each side's sender */
	/* Each side's endpoint addresses, as a sender keeps them: apart from
	 * the endpoints, so that picking a target does not bring the
	 * target's struct into the cache the receiver then finds it in. */
	uint32_t *daddr, *vaddr;
	unsigned nchan, nunbound;
	uint64_t errors;
	uint64_t bare_count;
	bool bare; /* callbacks leave their owner's struct alone */
	uint32_t stride;
	bool fixed;
} B;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "hipc-endpoints-bench: %s: %s\n", what,
		hipc_strerror(err));
	exit(1);
}

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)((rng >> 32) * n >> 32);
}

static void port_lock(void *ctx)
{
	pthread_mutex_lock(&((struct side *)ctx)->lock);
}

static void port_unlock(void *ctx)
{
	pthread_mutex_unlock(&((struct side *)ctx)->lock);
}

static int port_notify(void *ctx, uint32_t id)
{
	(void)ctx;
	(void)id;
	return 0;
}

static uintptr_t port_self(void *ctx)
{
	(void)ctx;
	return (uintptr_t)pthread_self();
}

static const struct hipc_port_ops ops = {
	.lock = port_lock,
	.unlock = port_unlock,
	.notify = port_notify,
	.self = port_self,
};

static int rx_cb(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		 uint32_t src, void *priv)
{
	struct user *u = priv;
	uint32_t idx;

	(void)src;
	if (B.bare) {
		/* The stack's share alone: nothing of the owner's read. */
		B.bare_count++;
		return 0;
	}
	memcpy(&idx, data, sizeof(idx));
	if (len != 16 || idx != u->idx || &u->ept != ept)
		B.errors++;
	u->count++;
	return 0;
}

static void chan_unbind(struct hipc_rpmsg_ept *ept)
{
	(void)ept;
	B.nunbound++;
}

/* The driver's reply to an announcement: a channel bound to the service. */
static void ns_cb(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	struct user *c;
	int ret;

	(void)priv;
	if (destroyed || B.nchan >= ANNOUNCED_MAX)
		return;
	c = &B.chan[B.nchan];
	c->idx = B.nchan++;
	ret = hipc_rpmsg_ept_create(&c->ept, dev, name, HIPC_RPMSG_ADDR_ANY,
				    addr, rx_cb, c);
	if (ret)
		die("channel", ret);
	c->ept.unbind = chan_unbind;
}

static void config(struct hipc_rpmsg_dev_config *c, struct side *s, bool drv)
{
	memset(c, 0, sizeof(*c));
	c->role = drv ? HIPC_RPMSG_DRIVER : HIPC_RPMSG_DEVICE;
	c->vring_da[0] = B.reg.da;
	c->vring_da[1] = B.reg.da + RING_BYTES;
	c->notifyid[0] = 0;
	c->notifyid[1] = 1;
	c->num = NUM;
	c->align = ALIGN;
	c->features = F_NS;
	c->buf_size = BUF;
	c->map = &B.map;
	if (drv) {
		c->bufs = B.region + 2 * RING_BYTES;
		c->storage = B.storage;
		c->storage_size = HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER, NUM);
	}
	c->buckets = s->buckets;
	c->nbuckets = drv ? DRV_BUCKETS : DEV_BUCKETS;
#ifdef HIPC_CFG_MANY_EPTS
	if (!B.fixed)
		c->mem = &hipc_linux_mem;
#endif
	s->port.ops = &ops;
	s->port.ctx = s;
	c->port = &s->port;
	c->ns_cb = drv ? ns_cb : NULL;
}

static void pump(void)
{
	int a, b;

	do {
		a = hipc_rpmsg_poll(&B.drv.dev, 0);
		b = hipc_rpmsg_poll(&B.devc.dev, 0);
		if (a < 0 || b < 0)
			die("poll", a < 0 ? a : b);
	} while (a || b);
}

static void setup(void)
{
	struct hipc_rpmsg_dev_config c;
	int ret;

	memset(B.region, 0, B.region_size);
	config(&c, &B.drv, true);
	ret = hipc_rpmsg_dev_init(&B.drv.dev, &c);
	if (ret)
		die("driver init", ret);
	config(&c, &B.devc, false);
	ret = hipc_rpmsg_dev_init(&B.devc.dev, &c);
	if (ret)
		die("device init", ret);
	if ((ret = hipc_rpmsg_dev_start(&B.drv.dev)) ||
	    (ret = hipc_rpmsg_dev_start(&B.devc.dev)))
		die("start", ret);
	B.nchan = B.nunbound = 0;
}

static double create_all(uint32_t n)
{
	uint64_t t0, t;
	int ret;

	for (uint32_t i = 0; i < n; i++) {
		B.du[i].idx = i;
		ret = hipc_rpmsg_ept_create(&B.du[i].ept, &B.drv.dev, NULL,
					    HIPC_RPMSG_ADDR_ANY,
					    HIPC_RPMSG_ADDR_ANY, rx_cb, &B.du[i]);
		if (ret)
			die("driver endpoint", ret);
	}
	t0 = now_ns();
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = B.stride ? 1024u + i * B.stride : HIPC_RPMSG_ADDR_ANY;

		B.vu[i].idx = i;
		ret = hipc_rpmsg_ept_create(&B.vu[i].ept, &B.devc.dev, NULL, a,
					    HIPC_RPMSG_ADDR_ANY, rx_cb, &B.vu[i]);
		if (ret)
			die("device endpoint", ret);
	}
	t = now_ns() - t0;
	for (uint32_t i = 0; i < n; i++) {
		B.du[i].peer = B.vaddr[i] = B.vu[i].ept.addr;
		B.vu[i].peer = B.daddr[i] = B.du[i].ept.addr;
	}
	if ((ret = hipc_rpmsg_ept_create(&B.dsend.ept, &B.drv.dev, NULL,
					 HIPC_RPMSG_ADDR_ANY,
					 HIPC_RPMSG_ADDR_ANY, rx_cb, &B.dsend)) ||
	    (ret = hipc_rpmsg_ept_create(&B.vsend.ept, &B.devc.dev, NULL,
					 HIPC_RPMSG_ADDR_ANY,
					 HIPC_RPMSG_ADDR_ANY, rx_cb, &B.vsend)))
		die("sender", ret);
	return (double)t / n;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* @msgs messages from random endpoints of @from's to their partners,
 * BATCH at a time: send and dispatch timed apart, ns per message in the
 * median batch. */
static void traffic(uint32_t n, uint32_t msgs, bool d2v, double *send,
		    double *disp)
{
	struct hipc_rpmsg_ept *from = d2v ? &B.dsend.ept : &B.vsend.ept;
	const uint32_t *to = d2v ? B.vaddr : B.daddr;
	struct hipc_rpmsg_dev *rx = d2v ? &B.devc.dev : &B.drv.dev;
	uint32_t nb = msgs / BATCH, b = 0;
	double *bs = malloc(nb * sizeof(*bs)), *bd = malloc(nb * sizeof(*bd));
	uint64_t t0;
	uint32_t pick[BATCH], addr[BATCH];
	uint8_t msg[16] = { 0 };
	int ret;

	for (uint32_t done = 0; done < msgs; done += BATCH) {
		/* Where each goes, worked out before the clock starts: the
		 * sender pays for its own send, not for its choice.  From
		 * the sender's own list of addresses: reading the target's
		 * struct here would warm it for the receiver (one process,
		 * one core), which a peer on another core cannot do. */
		for (unsigned k = 0; k < BATCH; k++) {
			pick[k] = rnd(n);
			addr[k] = to[pick[k]];
		}
		t0 = now_ns();
		for (unsigned k = 0; k < BATCH; k++) {
			memcpy(msg, &pick[k], sizeof(pick[k]));
			ret = hipc_rpmsg_trysendto(from, msg, sizeof(msg),
						   addr[k]);
			if (ret != (int)sizeof(msg))
				die("send", ret);
		}
		bs[b] = (double)(now_ns() - t0) / BATCH;
		t0 = now_ns();
		ret = hipc_rpmsg_poll(rx, 0);
		bd[b++] = (double)(now_ns() - t0) / BATCH;
		if (ret != (int)BATCH)
			die("dispatch", ret < 0 ? ret : -HIPC_EIO);
		/* The sender's buffers back (not timed). */
		hipc_rpmsg_poll(d2v ? &B.drv.dev : &B.devc.dev, 0);
	}
	/* The median batch: a batch the scheduler interrupted says nothing
	 * about the stack. */
	*send = median(bs, (int)nb);
	*disp = median(bd, (int)nb);
	free(bs);
	free(bd);
}

/* The floor: the random touches alone, BATCH at a time, as traffic()
 * makes them. */
static double touch(uint32_t n, uint32_t msgs)
{
	uint32_t nb = msgs / BATCH, pick[BATCH];
	double *bt = malloc(nb * sizeof(*bt)), r;
	uint64_t t0, sum = 0;

	for (uint32_t b = 0; b < nb; b++) {
		for (unsigned k = 0; k < BATCH; k++)
			pick[k] = rnd(n);
		t0 = now_ns();
		for (unsigned k = 0; k < BATCH; k++) {
			struct user *u = &B.vu[pick[k]];

			/* Under a lock, as the stack touches an endpoint: a
			 * locked instruction lets no later load start early,
			 * so the misses do not overlap here either. */
			pthread_mutex_lock(&B.devc.lock);
			sum += u->idx + (uintptr_t)u->ept.cb;
			u->count++;
			pthread_mutex_unlock(&B.devc.lock);
		}
		bt[b] = (double)(now_ns() - t0) / BATCH;
	}
	if (sum == 42)
		B.errors++; /* keeps the loop */
	r = median(bt, (int)nb);
	free(bt);
	return r;
}

/* Named endpoints on the device, each announced as it is created; the
 * driver takes the announcements (untimed) and binds a channel to each. */
static double announced(uint32_t s)
{
	uint64_t t = 0, t0;
	char name[32];
	int ret;

	for (uint32_t i = 0; i < s; i++) {
		snprintf(name, sizeof(name), "svc-%u", i);
		B.ann[i].idx = i;
		t0 = now_ns();
		ret = hipc_rpmsg_ept_create(&B.ann[i].ept, &B.devc.dev, name,
					    HIPC_RPMSG_ADDR_ANY,
					    HIPC_RPMSG_ADDR_ANY, rx_cb, &B.ann[i]);
		t += now_ns() - t0;
		if (ret)
			die("announced endpoint", ret);
		if ((i + 1) % BATCH == 0)
			pump();
	}
	pump();
	if (B.nchan != s) {
		fprintf(stderr, "hipc-endpoints-bench: %u of %u announcements "
			"reached the driver\n", B.nchan, s);
		exit(1);
	}
	return (double)t / s;
}

/* The device withdraws the services; the driver's polls that take the
 * withdrawals (and unbind the channels) are timed. */
static double withdraw(uint32_t s)
{
	uint64_t t = 0, t0;
	int ret;

	for (uint32_t i = 0; i < s; i++) {
		hipc_rpmsg_ept_destroy(&B.ann[i].ept);
		if ((i + 1) % BATCH == 0 || i + 1 == s) {
			t0 = now_ns();
			ret = hipc_rpmsg_poll(&B.drv.dev, 0);
			t += now_ns() - t0;
			if (ret < 0)
				die("withdrawal", ret);
			hipc_rpmsg_poll(&B.devc.dev, 0);
		}
	}
	if (B.nunbound != s) {
		fprintf(stderr, "hipc-endpoints-bench: %u of %u channels "
			"unbound\n", B.nunbound, s);
		exit(1);
	}
	for (uint32_t i = 0; i < B.nchan; i++)
		hipc_rpmsg_ept_destroy(&B.chan[i].ept);
	return (double)t / s;
}

int main(int argc, char **argv)
{
	static const uint32_t sizes[] = { 1, 100, 10000, 100000 };
	const unsigned nsizes = sizeof(sizes) / sizeof(sizes[0]);
	static double res[4][M_COUNT], v[4][M_COUNT][MAX_REPS];
	uint32_t msgs = 1u << 16, max = 100000;
	int reps = 5;
	unsigned done = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--msgs") && i + 1 < argc)
			msgs = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--stride") && i + 1 < argc)
			B.stride = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--max") && i + 1 < argc)
			max = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--fixed"))
			B.fixed = true;
		else {
			fprintf(stderr, "usage: hipc-endpoints-bench [--reps R] "
				"[--msgs M] [--stride S] [--fixed] [--max N]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS || msgs < BATCH || max < 1 ||
	    (B.stride && (uint64_t)B.stride * max > 0xF0000000u)) {
		fprintf(stderr, "hipc-endpoints-bench: --reps 1..%d, --msgs "
			">= %u, stride * max below 0xF0000000\n", MAX_REPS,
			BATCH);
		return 2;
	}
	msgs -= msgs % BATCH;

	B.region_size = 2 * RING_BYTES + 2u * NUM * BUF;
	B.region = aligned_alloc(4096, B.region_size);
	B.storage = aligned_alloc(8, (HIPC_RPMSG_STORAGE_SIZE(HIPC_RPMSG_DRIVER,
							      NUM) + 7u) & ~7u);
	B.du = calloc(max, sizeof(*B.du));
	B.vu = calloc(max, sizeof(*B.vu));
	B.ann = calloc(ANNOUNCED_MAX, sizeof(*B.ann));
	B.chan = calloc(ANNOUNCED_MAX, sizeof(*B.chan));
	B.daddr = calloc(max, sizeof(*B.daddr));
	B.vaddr = calloc(max, sizeof(*B.vaddr));
	if (!B.region || !B.storage || !B.du || !B.vu || !B.ann || !B.chan ||
	    !B.daddr || !B.vaddr)
		die("memory", -HIPC_ENOMEM);
	B.reg.da = 0x10000000u;
	B.reg.va = B.region;
	B.reg.size = B.region_size;
	B.map.regions = &B.reg;
	B.map.count = 1;
	pthread_mutex_init(&B.drv.lock, NULL);
	pthread_mutex_init(&B.devc.lock, NULL);

	while (done < nsizes && sizes[done] <= max)
		done++;
	/* Sizes interleaved within each round, so that a change in the
	 * machine's load touches every size alike. */
	for (int r = 0; r < reps; r++) {
		for (unsigned si = 0; si < done; si++) {
			uint32_t n = sizes[si];
			uint32_t s = n < ANNOUNCED_MAX ? n : ANNOUNCED_MAX;
			double *x[M_COUNT], sink;
			uint64_t t0;

			for (int m = 0; m < M_COUNT; m++)
				x[m] = &v[si][m][r];
			setup();
			*x[M_CREATE] = create_all(n);
			/* Warm-up pass, then the measured one. */
			traffic(n, msgs / 4, true, x[M_SEND_D2V], x[M_DISP_V]);
			traffic(n, msgs, true, x[M_SEND_D2V], x[M_DISP_V]);
			traffic(n, msgs, false, x[M_SEND_V2D], x[M_DISP_D]);
			B.bare = true;
			traffic(n, msgs, true, &sink, x[M_BARE_V]);
			traffic(n, msgs, false, &sink, x[M_BARE_D]);
			B.bare = false;
			*x[M_FLOOR] = touch(n, msgs);
			*x[M_ANNOUNCED] = announced(s);
			*x[M_WITHDRAW] = withdraw(s);
			t0 = now_ns();
			hipc_rpmsg_dev_deinit(&B.devc.dev);
			*x[M_TEARDOWN] = (double)(now_ns() - t0) / n;
			hipc_rpmsg_dev_deinit(&B.drv.dev);
		}
		fprintf(stderr, "round %d of %d done\n", r + 1, reps);
	}
	for (unsigned si = 0; si < done; si++)
		for (int m = 0; m < M_COUNT; m++)
			res[si][m] = median(v[si][m], reps);
	if (B.errors) {
		fprintf(stderr, "hipc-endpoints-bench: %llu messages reached "
			"the wrong endpoint\n", (unsigned long long)B.errors);
		return 1;
	}

#ifndef HIPC_CFG_MANY_EPTS
	B.fixed = true; /* a core without cfg.mem */
#endif
	printf("# endpoints: driver table from %u buckets, device from %u, "
	       "%s; %s addresses; medians of %d, ns per message or endpoint\n",
	       DRV_BUCKETS, DEV_BUCKETS,
	       B.fixed ? "fixed (no memory to grow)" : "growing",
	       B.stride ? "strided" : "consecutive", reps);
	printf("%-18s", "N");
	for (unsigned si = 0; si < done; si++)
		printf(" %9u %6s", sizes[si], "ratio");
	printf("\n");
	for (int m = 0; m < M_COUNT; m++) {
		printf("%-18s", metric_name[m]);
		for (unsigned si = 0; si < done; si++) {
			double x = res[si][m], base = res[0][m];

			printf(" %9.1f %5.2fx", x, base > 0 ? x / base : 0.0);
		}
		printf("\n");
	}
	return 0;
}
