/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big-buffer figures against firmware/sdb (a benchmark, not a test):
 *  - throughput for 64 KiB, 1 MiB and 32 MiB buffers, each direction: the
 *    producer fills every byte in place (the work any producer does),
 *    only the 32-byte reference travels, the consumer gets a pointer;
 *    next to single-thread memcpy() of the same sizes, measured in the
 *    same run (what a copying transport would add per byte);
 *  - references per second for 4 KiB buffers (nobody touches the bytes);
 *  - doorbells (mailbox messages, both ways) per GiB moved.
 * Each figure is the median of 3 runs.
 *
 *   hipc-bigbuf-bench [GiB per run, default 1]
 */
#include <stdlib.h>
#include <time.h>

#include "bb_util.h"

#define MIB (1024u * 1024u)
#define RUNS 3

static double now_s(void)
{
	return (double)hipc_now_ns() / 1e9;
}

static double median3(double *v)
{
	double a = v[0], b = v[1], c = v[2];

	if (a > b) { double t = a; a = b; b = t; }
	if (b > c) { double t = b; b = c; c = t; }
	if (a > b) { double t = a; a = b; b = t; }
	return b;
}

/*
 * Single-thread memcpy of @size-byte blocks, @total bytes in all, between
 * two buffers kept for the whole run: like the pools' buffers, they are
 * touched several times before anything is timed.  (On a virtual machine
 * a page's first writes can cost the hypervisor's work as well as the
 * guest's fault; fresh buffers for each run measured that, not memcpy.)
 */
static double memcpy_gbs(size_t size, uint64_t total)
{
	static uint8_t *a, *b;
	static size_t have;
	uint64_t n = total / size, i;
	double t;

	if (have < size) {
		free(a);
		free(b);
		a = aligned_alloc(4096, size);
		b = aligned_alloc(4096, size);
		CHECK(a && b);
		have = size;
		for (i = 0; i < 4; i++) {
			memset(a, (int)i, size);
			memcpy(b, a, size);
		}
	}
	t = now_s();
	for (i = 0; i < n; i++) {
		a[0] = (uint8_t)i; /* each copy a different source */
		memcpy(b, a, size);
		__asm__ volatile("" ::"r"(b) : "memory");
	}
	t = now_s() - t;
	return (double)n * size / t / 1e9;
}

/* This thread's CPU time: on a loaded machine a pure computation is
 * timed by what it used, not by the wall clock. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct link_count {
	uint64_t tx, rx;
};

static struct link_count doorbells(struct bb_client *c)
{
	struct hipc_link_stats s;
	struct link_count r;

	hipc_link_get_stats(hipc_rproc_link(c->rp), &s);
	r.tx = s.doorbells_tx;
	r.rx = s.doorbells_rx;
	return r;
}

/* Host to remote, @count buffers of @size, filled (or not) in place. */
/* What the host's own fill took: its CPU rate, and its share of the
 * wall time (the rest is the exchange and waiting for returns). */
struct fill_fig {
	double cpu_gbs, share;
};

static double push_gbs(struct bb_client *c, unsigned p, uint64_t count,
		       uint32_t size, bool fill, double *dbl_per_gib,
		       struct fill_fig *ff)
{
	double fill_cpu = 0, fill_wall = 0, c0, w0;
	struct hipc_bigbuf *bb = c->bb[p];
	struct hipc_bigbuf_stats st0, st;
	struct link_count d0, d1;
	uint64_t sent = 0;
	double t;
	void *b;
	int i, ret;

	hipc_bigbuf_get_stats(bb, &st0);
	d0 = doorbells(c);
	t = now_s();
	for (;;) {
		hipc_bigbuf_get_stats(bb, &st);
		if (st.returned - st0.returned == count)
			break;
		while (sent < count && (i = hipc_bigbuf_alloc(bb, &b)) >= 0) {
			if (fill) {
				c0 = cpu_s();
				w0 = now_s();
				bb_fill(b, size, sent);
				fill_cpu += cpu_s() - c0;
				fill_wall += now_s() - w0;
			}
			ret = hipc_bigbuf_send(bb, (uint32_t)i, 0, size, 0);
			if (ret == -HIPC_EAGAIN) {
				hipc_bigbuf_free(bb, (uint32_t)i);
				break;
			}
			CHECK_EQ(ret, 0);
			sent++;
		}
		hipc_rproc_run(c->rp, 5);
	}
	t = now_s() - t;
	d1 = doorbells(c);
	if (dbl_per_gib)
		*dbl_per_gib = (double)(d1.tx - d0.tx + d1.rx - d0.rx) *
			       (1024.0 * MIB) / ((double)count * size);
	if (ff && fill_cpu > 0) {
		ff->cpu_gbs = (double)count * size / fill_cpu / 1e9;
		ff->share = fill_wall / t;
	}
	return (double)count * size / t / 1e9;
}

/* Remote to host: the remote fills, the host gets pointers. */
static double pull_gbs(struct bb_client *c, unsigned p, uint64_t count,
		       uint32_t size, double *dbl_per_gib)
{
	struct hipc_bigbuf *bb = c->bb[p];
	struct hipc_bufpool_rx rx;
	struct link_count d0, d1;
	uint64_t got = 0;
	double t;

	d0 = doorbells(c);
	t = now_s();
	bb_cmd(c, p, SDB_OP_PRODUCE, size, count, 0, 0);
	while (got < count || !c->got_report) {
		while (hipc_bigbuf_recv(bb, &rx) >= 0) {
			CHECK_EQ(hipc_bigbuf_release(bb, rx.index,
						     rx.generation, size), 0);
			got++;
		}
		if (got < count || !c->got_report)
			hipc_rproc_run(c->rp, 5);
	}
	t = now_s() - t;
	d1 = doorbells(c);
	if (dbl_per_gib)
		*dbl_per_gib = (double)(d1.tx - d0.tx + d1.rx - d0.rx) *
			       (1024.0 * MIB) / ((double)count * size);
	return (double)count * size / t / 1e9;
}

/* CRC32C over 64 MiB: the core's table, the Linux fast path (CPU time). */
static void crc_figures(void)
{
	size_t n = 64u * MIB;
	uint8_t *b = malloc(n);
	double core[RUNS], fast[RUNS], t;
	volatile uint32_t sink;

	CHECK(b);
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 131u);
	for (int i = 0; i < RUNS; i++) {
		t = cpu_s();
		sink = hipc_crc32c(0, b, n);
		core[i] = (double)n / (cpu_s() - t) / 1e9;
		t = cpu_s();
		sink = hipc_crc32c_fast(0, b, n);
		fast[i] = (double)n / (cpu_s() - t) / 1e9;
	}
	(void)sink;
	printf("CRC32C GB/s (CPU time): core table %.2f, hipc_crc32c_fast %.2f\n",
	       median3(core), median3(fast));
	free(b);
}

int main(int argc, char **argv)
{
	static const struct { unsigned p; uint32_t size; const char *name; } sz[] = {
		{ 1, 64u * 1024u, "64 KiB" },
		{ 2, MIB, "1 MiB" },
		{ 3, 32u * MIB, "32 MiB" },
	};
	uint64_t gib = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
	uint64_t total = gib * 1024ull * MIB;
	struct bb_client c;
	double v[3][RUNS], d[2][RUNS];

	if (!gib) {
		fprintf(stderr, "usage: %s [GiB per run]\n", argv[0]);
		return 2;
	}
	crc_figures();
	bb_start(&c, "bb-bench", HIPC_RPROC_STAY_CRASHED);
	printf("big buffers vs memcpy, %llu GiB per run, median of %d\n",
	       (unsigned long long)gib, RUNS);
	printf("%-8s %12s %12s %12s %10s %10s %12s %10s %10s\n", "size",
	       "memcpy GB/s", "host->rem", "rem->host", "h->r/mcpy",
	       "r->h/mcpy", "doorbells/GiB", "fill CPU", "fill/wall");
	for (unsigned k = 0; k < 3; k++) {
		uint64_t n = total / sz[k].size;
		double m, h, r, db, fc[RUNS], fs[RUNS], qh[RUNS], qr[RUNS];
		struct fill_fig ff[RUNS];

		/* warm the buffers: first touches are page faults */
		push_gbs(&c, sz[k].p, 8, sz[k].size, true, NULL, NULL);
		pull_gbs(&c, sz[k].p, 8, sz[k].size, NULL);
		for (int i = 0; i < RUNS; i++) {
			v[0][i] = memcpy_gbs(sz[k].size, total);
			v[1][i] = push_gbs(&c, sz[k].p, n, sz[k].size, true,
					   &d[0][i], &ff[i]);
			fc[i] = ff[i].cpu_gbs;
			fs[i] = ff[i].share;
			v[2][i] = pull_gbs(&c, sz[k].p, n, sz[k].size, &d[1][i]);
		}
		/* each ratio within its own run, then the median */
		for (int i = 0; i < RUNS; i++) {
			qh[i] = v[1][i] / v[0][i];
			qr[i] = v[2][i] / v[0][i];
		}
		m = median3(v[0]);
		h = median3(v[1]);
		r = median3(v[2]);
		db = (median3(d[0]) + median3(d[1])) / 2;
		printf("%-8s %12.2f %12.2f %12.2f %9.0f%% %9.0f%% %12.0f "
		       "%10.2f %9.0f%%\n",
		       sz[k].name, m, h, r, 100 * median3(qh), 100 * median3(qr), db,
		       median3(fc), 100 * median3(fs));
	}
	/* references per second: 4 KiB buffers, bytes untouched */
	{
		uint64_t n = 200000;
		double rh[RUNS], rr[RUNS], db[RUNS];

		for (int i = 0; i < RUNS; i++) {
			rh[i] = push_gbs(&c, 0, n, 4096, false, &db[i], NULL) *
				1e9 / 4096;
			rr[i] = pull_gbs(&c, 0, n, 4096, NULL) * 1e9 / 4096 / 1;
		}
		printf("4 KiB references/s: host->remote %.0f, remote->host "
		       "%.0f (remote fills); doorbells/GiB %.0f\n",
		       median3(rh), median3(rr), median3(db));
	}
	bb_stop(&c);
	return 0;
}
