/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hipc-ping: round-trip latency and one-way message rate between this host
 * and the echo firmware running as a separate process, per doorbell mode.
 *
 *   latency   one message in flight: send N bytes, wait for the echo;
 *             median and p99 over --count round trips, for 16 and 496 B
 *   rate      496-byte messages to the "hipc-sink" service as fast as
 *             blocking sends go, then one empty message asks the sink how
 *             many arrived; messages/s and MB/s over the whole exchange
 *   doorbells mailbox messages both ways and eventfd writes (syscalls
 *             spent waking the peer) per 1,000 messages of the rate run
 *
 * Each figure is the median of --runs runs; every run boots a fresh remote.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rproc.h"

#ifndef HIPC_FW_NAME
#define HIPC_FW_NAME "hipc-fw-echo-evt"
#endif
#ifndef HIPC_FW_RELDIR
#define HIPC_FW_RELDIR "../libexec/hipc"
#endif
#ifndef HIPC_FW_ECHO
#define HIPC_FW_ECHO HIPC_FW_NAME
#endif

struct svc {
	const char *name;
	uint32_t addr;
	struct hipc_rpmsg_ept ept;
	uint64_t replies;
	uint8_t last[16];
};

static struct svc echo_svc = { .name = "rpmsg-client-sample" };
static struct svc sink_svc = { .name = "hipc-sink" };

static void on_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	(void)dev;
	(void)priv;
	if (destroyed)
		return;
	if (!strcmp(name, echo_svc.name))
		echo_svc.addr = addr;
	else if (!strcmp(name, sink_svc.name))
		sink_svc.addr = addr;
}

static int on_reply(struct hipc_rpmsg_ept *e, void *data, size_t len,
		    uint32_t src, void *priv)
{
	struct svc *s = priv;

	(void)e;
	(void)src;
	memcpy(s->last, data, len < 16 ? len : 16);
	s->replies++;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static unsigned spin_us = 50;

/* The echo firmware when -f does not name one: installed, it sits in
 * HIPC_FW_RELDIR from the directory this program runs from (wherever the
 * installation was moved); otherwise where the build tree put it. */
static const char *default_firmware(char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int len;

	if (n <= 0)
		return HIPC_FW_ECHO;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return HIPC_FW_ECHO;
	*slash = 0;
	len = snprintf(buf, size, "%s/%s/%s", self, HIPC_FW_RELDIR,
		       HIPC_FW_NAME);
	if (len < 0 || (size_t)len >= size || access(buf, X_OK) < 0)
		return HIPC_FW_ECHO;
	return buf;
}

static struct hipc_rproc *boot(const char *fw, enum hipc_link_mode mode)
{
	struct hipc_rproc_config cfg;
	struct hipc_rproc *rp;
	char err[256];
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "bench";
	cfg.firmware = fw;
	cfg.mode = mode;
	cfg.spin_us = spin_us;
	cfg.ns_cb = on_ns;
	echo_svc.addr = sink_svc.addr = 0;
	if (hipc_rproc_new(&rp, &cfg))
		exit(1);
	ret = hipc_rproc_start(rp, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "hipc-ping: %s\n", err);
		exit(1);
	}
	for (int i = 0; i < 500 && (!echo_svc.addr || !sink_svc.addr); i++)
		hipc_rproc_run(rp, 10);
	if (!echo_svc.addr || !sink_svc.addr) {
		fprintf(stderr, "hipc-ping: the firmware did not announce "
			"rpmsg-client-sample and hipc-sink\n");
		exit(1);
	}
	for (struct svc *s = &echo_svc; s; s = s == &echo_svc ? &sink_svc : NULL) {
		s->replies = 0;
		ret = hipc_rpmsg_ept_create(&s->ept, hipc_rproc_rpmsg(rp), NULL,
					    HIPC_RPMSG_ADDR_ANY, s->addr,
					    on_reply, s);
		if (ret) {
			fprintf(stderr, "hipc-ping: endpoint: %s\n",
				hipc_strerror(ret));
			exit(1);
		}
	}
	return rp;
}

static void wait_replies(struct hipc_rproc *rp, struct svc *s, uint64_t n)
{
	uint64_t deadline = hipc_now_ns() + 10000000000ull;

	while (s->replies < n) {
		if (hipc_rproc_run(rp, 100) < 0 || hipc_now_ns() > deadline) {
			fprintf(stderr, "hipc-ping: no reply from %s\n", s->name);
			exit(1);
		}
	}
}

/* Round trips of @size bytes; fills p50/p99 in microseconds. */
static void latency(struct hipc_rproc *rp, size_t size, int count, double *p50,
		    double *p99)
{
	uint64_t *t = calloc((size_t)count, sizeof(*t));
	uint8_t buf[496];

	memset(buf, 0x5A, sizeof(buf));
	for (int i = -count / 10; i < count; i++) { /* warm-up first */
		uint64_t t0 = hipc_now_ns(), want = echo_svc.replies + 1;

		if (hipc_rpmsg_send(&echo_svc.ept, buf, size) != (int)size)
			exit(1);
		wait_replies(rp, &echo_svc, want);
		if (i >= 0)
			t[i] = hipc_now_ns() - t0;
	}
	qsort(t, (size_t)count, sizeof(*t), cmp_u64);
	*p50 = (double)t[count / 2] / 1000.0;
	*p99 = (double)t[(size_t)count * 99 / 100] / 1000.0;
	free(t);
}

struct rate {
	double msgs_per_s, mb_per_s, doorbells_per_k, syscalls_per_k;
};

static void rate(struct hipc_rproc *rp, int count, struct rate *r)
{
	struct hipc_link_stats a, b;
	uint8_t buf[496];
	uint64_t t0, ns, got;

	memset(buf, 0xA5, sizeof(buf));
	hipc_link_get_stats(hipc_rproc_link(rp), &a);
	t0 = hipc_now_ns();
	for (int i = 0; i < count; i++)
		if (hipc_rpmsg_send(&sink_svc.ept, buf, sizeof(buf)) !=
		    (int)sizeof(buf))
			exit(1);
	if (hipc_rpmsg_send(&sink_svc.ept, buf, 0) != 0)
		exit(1);
	wait_replies(rp, &sink_svc, sink_svc.replies + 1);
	ns = hipc_now_ns() - t0;
	hipc_link_get_stats(hipc_rproc_link(rp), &b);
	got = 0;
	for (int i = 7; i >= 0; i--)
		got = got << 8 | sink_svc.last[i];
	if (got != (uint64_t)count) {
		fprintf(stderr, "hipc-ping: sink counted %llu of %d\n",
			(unsigned long long)got, count);
		exit(1);
	}
	r->msgs_per_s = count / (ns / 1e9);
	r->mb_per_s = count * 496.0 / (ns / 1e9) / 1e6;
	r->doorbells_per_k = (double)(b.doorbells_tx - a.doorbells_tx +
				      b.doorbells_rx - a.doorbells_rx) *
			     1000.0 / count;
	r->syscalls_per_k = (double)(b.eventfd_writes - a.eventfd_writes) *
			    1000.0 / count;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum hipc_link_mode mode;
	} modes[] = {
		{ "poll", HIPC_LINK_POLL },
		{ "adaptive", HIPC_LINK_ADAPTIVE },
		{ "irq", HIPC_LINK_IRQ },
	};
	static char fw_path[PATH_MAX];
	const char *fw = NULL, *only = NULL;
	int runs = 3, count = 20000, rcount = 200000, opt;

	while ((opt = getopt(argc, argv, "f:r:n:m:M:s:h")) != -1) {
		switch (opt) {
		case 'f': fw = optarg; break;
		case 'r': runs = atoi(optarg); break;
		case 'n': count = atoi(optarg); break;
		case 'm': rcount = atoi(optarg); break;
		case 'M': only = optarg; break;
		case 's': spin_us = (unsigned)atoi(optarg); break;
		default:
			printf("usage: %s [-f FIRMWARE] [-r RUNS] [-n ROUND_TRIPS] "
			       "[-m RATE_MESSAGES] [-M poll|adaptive|irq] [-s SPIN_US]\n",
			       argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!fw)
		fw = default_firmware(fw_path, sizeof(fw_path));
	if (runs < 1 || runs > 50 || count < 100 || rcount < 1000) {
		fprintf(stderr, "hipc-ping: runs 1..50, round trips >= 100, "
			"rate messages >= 1000\n");
		return 2;
	}
	printf("hipc-ping: host <-> %s (separate process), medians of %d runs\n"
	       "%-9s %10s %10s %10s %10s %11s %9s %11s %11s\n",
	       fw, runs, "mode", "16B p50", "16B p99", "496B p50", "496B p99",
	       "496B msg/s", "MB/s", "doorbell/k", "syscall/k");
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		double v[9][50];

		if (only && strcmp(only, modes[m].name))
			continue;
		for (int r = 0; r < runs; r++) {
			struct hipc_rproc *rp = boot(fw, modes[m].mode);
			struct rate rt;

			latency(rp, 16, count, &v[0][r], &v[1][r]);
			latency(rp, 496, count, &v[2][r], &v[3][r]);
			rate(rp, rcount, &rt);
			v[4][r] = rt.msgs_per_s;
			v[5][r] = rt.mb_per_s;
			v[6][r] = rt.doorbells_per_k;
			v[7][r] = rt.syscalls_per_k;
			hipc_rproc_free(rp);
		}
		printf("%-9s %8.1fus %8.1fus %8.1fus %8.1fus %11.0f %9.1f %11.1f "
		       "%11.1f\n",
		       modes[m].name, median(v[0], runs), median(v[1], runs),
		       median(v[2], runs), median(v[3], runs),
		       median(v[4], runs), median(v[5], runs),
		       median(v[6], runs), median(v[7], runs));
		fflush(stdout);
	}
	return 0;
}
