// SPDX-License-Identifier: BSD-3-Clause
/*
 * hipc-bench: the STM32MP1 measurements users compare against, reproduced
 * over every path hipc offers, beside the machine's own limits and the
 * plain-socket baselines, measured in one run.
 *
 *   hipc-bench [--suite seeds|latency|rate|bigbuf|targets|all] [--paths LIST]
 *              [--sizes LIST] [--blocks LIST] [--count N | --duration S]
 *              [--runs N]
 *              [--no-limits] [--json] [--csv] [--plot FILE.png]
 *              [--run-dir DIR --remote NAME] [--firmware FILE]
 *
 * stdout: results only (a table, or JSON, or CSV); stderr: a progress
 * line when it is a terminal, and errors.  docs/benchmarks.md explains
 * each figure.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "proto.h"
#include "report.h"

/* The published figures (STM32MP157, Cortex-A7 Linux to Cortex-M4). */
static const struct seed tty_seeds[] = {
	{ 512, 1, 11.97 },  { 512, 2, 18.77 },  { 512, 4, 31.02 },
	{ 512, 8, 56.25 },  { 1024, 1, 15.32 }, { 1024, 2, 24.82 },
	{ 1024, 4, 43.83 }, { 1024, 5, 53.32 }, { 2048, 1, 21.74 },
	{ 2048, 2, 37.63 }, { 4096, 1, 37.64 },
};
static const struct seed netlink_seeds[] = {
	{ 512, 1, 21.38 },  { 1024, 1, 27.19 },  { 2048, 1, 27.43 },
	{ 4096, 1, 31.33 }, { 8192, 1, 55.59 },  { 16384, 1, 88.09 },
	{ 32768, 1, 162.54 },
};

/* Big buffers: blocks from 4 KiB to 64 MiB, as many as fit in the pools
 * of firmware/sdb at once, no published figure. */
static const struct seed bigbuf_cells[] = {
	{ 4096, 64, 0 },       { 65536, 16, 0 },     { 1u << 20, 8, 0 },
	{ 32u << 20, 2, 0 },   { 64u << 20, 1, 0 },
};

static struct bench_path *const all_paths[] = {
	&bench_path_bigbuf, &bench_path_inproc, &bench_path_inproc_irq, &bench_path_inproc_poll,
	&bench_path_epdev, &bench_path_msgsock,
	&bench_path_tty, &bench_path_tcp, &bench_path_unix, &bench_path_pipe,
	&bench_path_pty, &bench_path_tcplo, NULL,
};

struct opts {
	const char *suite;
	char paths[256];
	size_t sizes[32];
	unsigned nsizes;
	unsigned blocks[32];
	unsigned nblocks;
	unsigned count, runs;
	double duration;   /* s per run of each cell, 0: by count */
	bool limits, json, csv;
	const char *plot;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hipc-bench [--suite seeds|latency|rate|bigbuf|targets|all] "
		"[--paths LIST]\n"
		"                  [--sizes LIST] [--blocks LIST] [--count N | "
		"--duration S]\n"
		"                  [--runs N]\n"
		"                  [--no-limits] [--json] [--csv] "
		"[--plot FILE.png]\n"
		"                  [--run-dir DIR --remote NAME]  (a hipcd "
		"already running)\n"
		"                  [--firmware FILE]  (yours, speaking "
		"docs/bench-protocol.md)\n"
		"paths:");
	for (unsigned i = 0; all_paths[i]; i++)
		fprintf(f, " %s", all_paths[i]->name);
	fprintf(f, "\nsuites: seeds (the published matrices, default), latency "
		   "(16 B round trips),\n        rate (a stream of messages one "
		   "way), bigbuf (4 KiB to 64 MiB blocks),\n        targets (the "
		   "latency and doorbell targets on the endpoint paths), all\n");
}

/* "512,1024,4k,1M" into @out; returns the count, 0 on a bad list. */
static unsigned parse_sizes(const char *s, size_t *out, unsigned max)
{
	unsigned n = 0;

	while (*s && n < max) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || end == s || !v)
			return 0;
		if (*end == 'k' || *end == 'K')
			v <<= 10, end++;
		else if (*end == 'M')
			v <<= 20, end++;
		if (v > (64ull << 20))
			return 0;
		out[n++] = (size_t)v;
		if (*end == ',')
			end++;
		else if (*end)
			return 0;
		s = end;
	}
	return *s ? 0 : n;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "suite", required_argument, NULL, 's' },
		{ "paths", required_argument, NULL, 'p' },
		{ "sizes", required_argument, NULL, 'S' },
		{ "blocks", required_argument, NULL, 'B' },
		{ "count", required_argument, NULL, 'n' },
		{ "runs", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'D' },
		{ "no-limits", no_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, 'c' },
		{ "plot", required_argument, NULL, 'P' },
		{ "run-dir", required_argument, NULL, 'R' },
		{ "remote", required_argument, NULL, 'm' },
		{ "firmware", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (opt) {
		case 's':
			o->suite = optarg;
			if (strcmp(o->suite, "seeds") && strcmp(o->suite, "latency") &&
			    strcmp(o->suite, "rate") && strcmp(o->suite, "bigbuf") &&
			    strcmp(o->suite, "targets") && strcmp(o->suite, "all")) {
				fprintf(stderr, "hipc-bench: --suite %s: not one "
					"of seeds, latency, rate, bigbuf, targets, "
					"all\n", optarg);
				return 2;
			}
			break;
		case 'p':
			snprintf(o->paths, sizeof(o->paths), "%s", optarg);
			break;
		case 'S':
			o->nsizes = parse_sizes(optarg, o->sizes, 32);
			if (!o->nsizes) {
				fprintf(stderr, "hipc-bench: --sizes %s: want "
					"sizes like 512,4k,1M (1 B to 64 MiB)\n",
					optarg);
				return 2;
			}
			break;
		case 'B': {
			size_t b[32];

			o->nblocks = parse_sizes(optarg, b, 32);
			for (unsigned i = 0; i < o->nblocks; i++)
				o->blocks[i] = (unsigned)b[i];
			if (!o->nblocks) {
				fprintf(stderr, "hipc-bench: --blocks %s: want "
					"counts like 1,2,4\n", optarg);
				return 2;
			}
			break;
		}
		case 'n':
		case 'r':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || !v ||
			    v > (opt == 'r' ? MAX_RUNS : 10000000ul)) {
				fprintf(stderr, "hipc-bench: --%s %s: want 1 to "
					"%lu\n", opt == 'r' ? "runs" : "count",
					optarg,
					opt == 'r' ? (unsigned long)MAX_RUNS
						   : 10000000ul);
				return 2;
			}
			if (opt == 'r')
				o->runs = (unsigned)v;
			else
				o->count = (unsigned)v;
			break;
		case 'D': {
			double d;

			errno = 0;
			d = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(d > 0) ||
			    d > 3600) {
				fprintf(stderr, "hipc-bench: --duration %s: want "
					"seconds, over 0 and at most 3600 (like "
					"0.5)\n", optarg);
				return 2;
			}
			o->duration = d;
			break;
		}
		case 'L':
			o->limits = false;
			break;
		case 'j':
			o->json = true;
			break;
		case 'c':
			o->csv = true;
			break;
		case 'P':
			o->plot = optarg;
			break;
		case 'R':
			bench_daemon_use(optarg, NULL);
			break;
		case 'm':
			bench_daemon_use(NULL, optarg);
			break;
		case 'f': {
			/* absolute: hipcd reads it from its own directory */
			static char fw[PATH_MAX];

			if (!realpath(optarg, fw) || access(fw, X_OK) < 0) {
				fprintf(stderr, "hipc-bench: --firmware %s: %s\n",
					optarg, strerror(errno));
				return 2;
			}
			bench_set_firmware(fw);
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "hipc-bench: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (o->count && o->duration > 0) {
		fprintf(stderr, "hipc-bench: --count or --duration, not both\n");
		return 2;
	}
	if (o->json && o->csv) {
		fprintf(stderr, "hipc-bench: --json or --csv, not both\n");
		return 2;
	}
	/* A transaction's header carries its length, and a remote takes at
	 * most BENCH_MAX_TOTAL bytes in one (docs/bench-protocol.md): say so
	 * now, not after a remote refused it. */
	if (!strcmp(o->suite, "rate") &&
	    (uint64_t)o->count * 496u > BENCH_MAX_TOTAL) {
		fprintf(stderr, "hipc-bench: --count %u: the rate suite sends "
			"its messages as one transaction, %llu bytes, over the "
			"protocol's %u MiB (at most --count %u)\n", o->count,
			(unsigned long long)o->count * 496u,
			BENCH_MAX_TOTAL >> 20, BENCH_MAX_TOTAL / 496u);
		return 2;
	}
	for (unsigned i = 0; i < (o->nsizes ? o->nsizes : 1); i++)
		for (unsigned j = 0; j < (o->nblocks ? o->nblocks : 1); j++) {
			uint64_t t = (uint64_t)(o->nsizes ? o->sizes[i] : 512) *
				     (o->nblocks ? o->blocks[j] : 1);

			if (t > BENCH_MAX_TOTAL) {
				fprintf(stderr, "hipc-bench: %zu B x %u blocks "
					"is a transaction of %llu bytes, over "
					"the protocol's %u MiB\n",
					o->nsizes ? o->sizes[i] : (size_t)512,
					o->nblocks ? o->blocks[j] : 1,
					(unsigned long long)t,
					BENCH_MAX_TOTAL >> 20);
				return 2;
			}
		}
	return -1;
}

/* The paths asked for, in @o->paths order (all when empty). */
static unsigned pick_paths(const struct opts *o, struct bench_path **out)
{
	char buf[256], *save = NULL;
	unsigned n = 0;

	if (!o->paths[0] && !strcmp(o->suite, "bigbuf")) {
		/* big blocks: the zero-copy path against two copying ones */
		out[n++] = &bench_path_bigbuf;
		out[n++] = &bench_path_inproc;
		out[n++] = &bench_path_unix;
		return n;
	}
	if (!o->paths[0] && !strcmp(o->suite, "targets")) {
		/* what the targets name: the in-process endpoint per mode */
		out[n++] = &bench_path_inproc_poll;
		out[n++] = &bench_path_inproc_irq;
		out[n++] = &bench_path_inproc;
		return n;
	}
	if (!o->paths[0]) {
		for (unsigned i = 0; all_paths[i]; i++)
			out[n++] = all_paths[i];
		return n;
	}
	snprintf(buf, sizeof(buf), "%s", o->paths);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		unsigned i;

		for (i = 0; all_paths[i]; i++)
			if (!strcmp(all_paths[i]->name, t))
				break;
		if (!all_paths[i]) {
			fprintf(stderr, "hipc-bench: --paths: no path '%s'\n",
				t);
			usage(stderr);
			return 0;
		}
		if (n == 16) {
			fprintf(stderr, "hipc-bench: --paths: at most 16\n");
			return 0;
		}
		out[n++] = all_paths[i];
	}
	return n;
}

int main(int argc, char **argv)
{
	struct opts o = { .suite = "seeds", .count = 0, .runs = 3,
			  .limits = true };
	struct bench_path *paths[16];
	struct bench_report rep;
	unsigned npaths;
	int ret;

	ret = parse_opts(argc, argv, &o);
	if (ret >= 0)
		return ret;
	npaths = pick_paths(&o, paths);
	if (!npaths)
		return 2;
	/* The firmwares we start trace into their rings, not onto our
	 * stderr, which is for progress and errors (HIPC_TRACE_STDERR=1
	 * in the environment brings their lines back). */
	setenv("HIPC_TRACE_STDERR", "0", 0);
	report_init(&rep, isatty(STDERR_FILENO));
	rep.duration_s = o.duration;
	if (o.limits) {
		report_progress(&rep, "the machine's limits");
		bench_limits_measure(&rep.limits, o.runs);
		rep.have_limits = true;
	}
	for (unsigned i = 0; i < npaths; i++) {
		struct bench_path *p = paths[i];
		bool seeds = !strcmp(o.suite, "seeds") || !strcmp(o.suite, "all");
		bool lat = !strcmp(o.suite, "latency") || !strcmp(o.suite, "all");
		bool rate = !strcmp(o.suite, "rate") || !strcmp(o.suite, "all");
		bool targets = !strcmp(o.suite, "targets");

		report_progress(&rep, p->name);
		if (p->open(p) < 0) {
			report_skip(&rep, p);
			continue;
		}
		if (seeds && (o.nsizes || o.nblocks)) {
			struct seed custom[64];
			unsigned n = 0;

			for (unsigned s = 0; s < (o.nsizes ? o.nsizes : 1); s++)
				for (unsigned b = 0; b < (o.nblocks ? o.nblocks : 1);
				     b++)
					if (n < 64)
						custom[n++] = (struct seed){
							o.nsizes ? o.sizes[s] : 512,
							o.nblocks ? o.blocks[b] : 1,
							0 };
			ret = run_matrix(&rep, p, "custom", custom, n,
					 o.count ? o.count : 50, o.runs);
		} else if (seeds) {
			ret = run_matrix(&rep, p, "tty", tty_seeds,
					 sizeof(tty_seeds) / sizeof(tty_seeds[0]),
					 o.count ? o.count : 50, o.runs);
			if (!ret)
				ret = run_matrix(&rep, p, "netlink", netlink_seeds,
						 sizeof(netlink_seeds) /
							 sizeof(netlink_seeds[0]),
						 o.count ? o.count : 50, o.runs);
		} else {
			ret = 0;
		}
		if (!ret && (!strcmp(o.suite, "bigbuf") ||
			     !strcmp(o.suite, "all")))
			ret = run_matrix(&rep, p, "bigbuf", bigbuf_cells,
					 sizeof(bigbuf_cells) /
						 sizeof(bigbuf_cells[0]),
					 o.count ? o.count : 10, o.runs);
		if (!ret && lat)
			ret = run_latency(&rep, p, o.count ? o.count : 10000,
					  o.runs);
		if (!ret && (lat || targets))
			ret = run_echo(&rep, p, o.count ? o.count : 10000,
				       o.runs);
		/* --count is the number of messages only for --suite rate */
		if (!ret && rate)
			ret = run_rate(&rep, p,
				       o.count && !strcmp(o.suite, "rate")
					       ? o.count
					       : 100000,
				       o.runs);
		/* a stream acknowledged at its end, and 32 KiB transactions:
		 * the rate and doorbell targets */
		if (!ret && (rate || targets))
			ret = run_stream(&rep, p,
					 o.count && strcmp(o.suite, "all")
						 ? o.count
						 : 10000,
					 o.runs);
		if (!ret && targets) {
			static const struct seed c32k[] = { { 32768, 1, 0 } };

			ret = run_matrix(&rep, p, "txn32k", c32k, 1, 200, o.runs);
		}
		p->close(p);
		if (ret)
			report_fail(&rep, p);
	}
	report_progress(&rep, NULL);
	if (o.json)
		report_json(&rep, stdout);
	else if (o.csv)
		report_csv(&rep, stdout);
	else
		report_table(&rep, stdout);
	if (o.plot && report_plot(&rep, o.plot) < 0)
		return 1;
	if (o.plot && !o.json && !o.csv)
		printf("\nplot: %s\n", o.plot);
	return rep.failed ? 1 : 0;
}
