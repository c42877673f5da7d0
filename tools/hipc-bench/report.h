/* SPDX-License-Identifier: BSD-3-Clause */
/* hipc-bench's results and how they are shown (report.c). */
#ifndef HIPC_BENCH_REPORT_H
#define HIPC_BENCH_REPORT_H

#include <stdio.h>

#include "bench.h"

/* A cell of a published matrix: @nblocks blocks of @block bytes. */
struct seed {
	size_t block;
	unsigned nblocks;
	double published_ms; /* 0: none */
};

struct result {
	char suite[16];        /* "tty", "netlink", "custom", "latency", "rate" */
	const char *path;
	size_t block;
	unsigned nblocks;
	double published_ms;
	double med_ms, p99_ms, max_ms; /* per transaction */
	double kb_s;           /* 1000 bytes/s of data, at the median */
	double msgs_s;         /* blocks per second, at the median */
	double db_out_mb, db_in_mb; /* doorbells per MiB each way, < 0 unknown */
	double cpu_self_mb, cpu_peer_mb; /* CPU s per MiB, < 0 unknown */
	double cpu_daemon_mb;  /* hipcd's, for the paths through it */
	size_t count;          /* transactions timed */
	double ratio;          /* to its limit (latency, rate), 0: none */
	double db_kmsg;        /* doorbells both ways per 1,000 messages
				* (echo, stream), < 0 unknown */
};

struct bench_report {
	bool progress;         /* stderr is a terminal */
	bool have_limits;
	struct bench_limits limits;
	struct result r[512];
	unsigned n;
	double duration_s;     /* > 0: each run of a cell lasts this long */
	const char *skipped[16];
	char skipped_why[16][160]; /* "": see stderr */
	unsigned nskipped;
	const char *failed_paths[16];
	unsigned failed;
};

void report_init(struct bench_report *rep, bool progress);
void report_progress(struct bench_report *rep, const char *what);
void report_skip(struct bench_report *rep, struct bench_path *p);
void report_fail(struct bench_report *rep, struct bench_path *p);

/* The suites; 0, or -1 when a transaction failed (reported). */
int run_matrix(struct bench_report *rep, struct bench_path *p,
	       const char *suite, const struct seed *cells, unsigned ncells,
	       unsigned count, unsigned runs);
int run_latency(struct bench_report *rep, struct bench_path *p,
		unsigned count, unsigned runs);
int run_rate(struct bench_report *rep, struct bench_path *p, unsigned count,
	     unsigned runs);

/* The true round trip (one @len-byte message each way, "echo") and the
 * one-way stream of @count 496-byte messages ("stream"), for a path that
 * has them (0 and nothing measured otherwise). */
int run_echo(struct bench_report *rep, struct bench_path *p, unsigned count,
	     unsigned runs);
int run_stream(struct bench_report *rep, struct bench_path *p,
	       unsigned count, unsigned runs);

void report_table(const struct bench_report *rep, FILE *f);
void report_json(const struct bench_report *rep, FILE *f);
void report_csv(const struct bench_report *rep, FILE *f);
/* gnuplot: throughput against transaction size, per path, log axes, the
 * published points marked.  0, or -1 (reported). */
int report_plot(const struct bench_report *rep, const char *png);

#endif
