// SPDX-License-Identifier: BSD-3-Clause
/* hipc-bench: running the suites, and the table, JSON, CSV and plot. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report.h"

#define MIB (1024.0 * 1024.0)

void report_init(struct bench_report *rep, bool progress)
{
	memset(rep, 0, sizeof(*rep));
	rep->progress = progress;
}

void report_progress(struct bench_report *rep, const char *what)
{
	if (!rep->progress)
		return;
	if (what)
		fprintf(stderr, "\r\033[Khipc-bench: %s ...", what);
	else
		fprintf(stderr, "\r\033[K");
	fflush(stderr);
}

void report_skip(struct bench_report *rep, struct bench_path *p)
{
	if (rep->nskipped < 16) {
		snprintf(rep->skipped_why[rep->nskipped],
			 sizeof(rep->skipped_why[0]), "%s", p->why);
		rep->skipped[rep->nskipped++] = p->name;
	}
}

void report_fail(struct bench_report *rep, struct bench_path *p)
{
	if (rep->failed < 16)
		rep->failed_paths[rep->failed] = p->name;
	rep->failed++;
}

static struct result *new_result(struct bench_report *rep,
				 struct bench_path *p, const char *suite,
				 size_t block, unsigned nblocks)
{
	struct result *r;

	if (rep->n == sizeof(rep->r) / sizeof(rep->r[0]))
		return NULL;
	r = &rep->r[rep->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->suite, sizeof(r->suite), "%s", suite);
	r->path = p->name;
	r->block = block;
	r->nblocks = nblocks;
	r->db_out_mb = r->db_in_mb = -1;
	r->cpu_self_mb = r->cpu_peer_mb = r->cpu_daemon_mb = -1;
	r->db_kmsg = -1;
	return r;
}

/*
 * CPU seconds process @pid has used: the sum of its threads' time on a CPU
 * from /proc/PID/task/TID/schedstat (nanoseconds), where /proc/PID/stat
 * counts clock ticks of 10 ms, too coarse for a short cell; stat where
 * schedstat is missing.  < 0 if unknown.
 */
static double cpu_pid(int pid)
{
	char path[64], buf[128];
	double sum = 0;
	unsigned n = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return bench_cpu_pid(pid);
	while ((e = readdir(d))) {
		unsigned long long ns;
		ssize_t r;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", pid,
			 e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = 0;
		if (sscanf(buf, "%llu", &ns) == 1) {
			sum += (double)ns / 1e9;
			n++;
		}
	}
	closedir(d);
	return n ? sum : bench_cpu_pid(pid);
}

/* CPU seconds of @p's remote side so far: its firmware and, for tcp, the
 * island's server; < 0 if unknown. */
static double cpu_peer(const struct bench_path *p)
{
	double a, b = 0;

	if (!p->peer_pid)
		return -1;
	a = cpu_pid(p->peer_pid);
	if (p->server_pid)
		b = cpu_pid(p->server_pid);
	return a < 0 || b < 0 ? -1 : a + b;
}

static double cpu_daemon(const struct bench_path *p)
{
	return p->daemon_pid ? cpu_pid(p->daemon_pid) : -1;
}

/* One transaction, its time (seconds) into *@t.  0, or -1 (reported). */
static int one(struct bench_path *p, struct result *r, double *t)
{
	*t = p->transact(p, r->block, r->nblocks);
	if (*t >= 0)
		return 0;
	fprintf(stderr, "hipc-bench: %s: a transaction of %u x %zu B failed\n",
		p->name, r->nblocks, r->block);
	return -1;
}

/* @count transactions × @runs into @r, or with --duration as many as each
 * run's time takes (at least one); times in seconds. */
static int measure(struct bench_report *rep, struct bench_path *p,
		   struct result *r, unsigned count, unsigned runs)
{
	size_t total = 0, cap = rep->duration_s > 0 ? 1024 : (size_t)count * runs;
	double *t = malloc(cap * sizeof(*t));
	double self0, peer0, dmn0, first;
	uint64_t out0 = 0, in0 = 0, out1 = 0, in1 = 0;
	double mib;

	if (!t)
		return -1;
	/* One untimed transaction first: the steady state is measured,
	 * not the first touch of fresh pages (a 64 MiB pool buffer faults
	 * 16,384 of them the first time). */
	if (one(p, r, &first) < 0) {
		free(t);
		return -1;
	}
	self0 = bench_cpu_self();
	peer0 = cpu_peer(p);
	dmn0 = cpu_daemon(p);
	if (p->doorbells)
		p->doorbells(p, &out0, &in0);
	for (unsigned run = 0; run < runs; run++) {
		uint64_t end = bench_now_ns() + (uint64_t)(rep->duration_s * 1e9);

		for (unsigned i = 0;; i++) {
			if (rep->duration_s > 0 ? i && bench_now_ns() >= end
						: i == count)
				break;
			if (total == cap) {
				double *nt = realloc(t, 2 * cap * sizeof(*t));

				if (!nt) {
					free(t);
					fprintf(stderr, "hipc-bench: out of "
						"memory for the times\n");
					return -1;
				}
				t = nt;
				cap *= 2;
			}
			if (one(p, r, &t[total]) < 0) {
				free(t);
				return -1;
			}
			total++;
		}
	}
	mib = (double)r->block * r->nblocks * total / MIB;
	if (p->doorbells) {
		p->doorbells(p, &out1, &in1);
		r->db_out_mb = (double)(out1 - out0) / mib;
		r->db_in_mb = (double)(in1 - in0) / mib;
	}
	r->cpu_self_mb = (bench_cpu_self() - self0) / mib;
	if (peer0 >= 0) {
		double peer1 = cpu_peer(p);

		if (peer1 >= 0)
			r->cpu_peer_mb = (peer1 - peer0) / mib;
	}
	if (dmn0 >= 0) {
		double dmn1 = cpu_daemon(p);

		if (dmn1 >= 0)
			r->cpu_daemon_mb = (dmn1 - dmn0) / mib;
	}
	r->count = total;
	r->med_ms = bench_pct(t, (unsigned)total, 50) * 1e3;
	r->p99_ms = bench_pct(t, (unsigned)total, 99) * 1e3;
	r->max_ms = bench_max(t, (unsigned)total) * 1e3;
	if (r->med_ms > 0) {
		r->kb_s = (double)r->block * r->nblocks / (r->med_ms / 1e3) / 1e3;
		r->msgs_s = r->nblocks / (r->med_ms / 1e3);
	}
	free(t);
	return 0;
}

int run_matrix(struct bench_report *rep, struct bench_path *p,
	       const char *suite, const struct seed *cells, unsigned ncells,
	       unsigned count, unsigned runs)
{
	for (unsigned i = 0; i < ncells; i++) {
		struct result *r = new_result(rep, p, suite, cells[i].block,
					      cells[i].nblocks);

		if (!r)
			return 0;
		r->published_ms = cells[i].published_ms;
		if (measure(rep, p, r, count, runs) < 0)
			return -1;
	}
	return 0;
}

int run_latency(struct bench_report *rep, struct bench_path *p,
		unsigned count, unsigned runs)
{
	struct result *r = new_result(rep, p, "latency", 16, 1);

	if (!r || measure(rep, p, r, count, runs) < 0)
		return r ? -1 : 0;
	if (rep->have_limits && rep->limits.cacheline_rtt_ns > 0)
		r->ratio = r->med_ms * 1e6 / rep->limits.cacheline_rtt_ns;
	return 0;
}

int run_rate(struct bench_report *rep, struct bench_path *p, unsigned count,
	     unsigned runs)
{
	struct result *r = new_result(rep, p, "rate", 496, count);

	if (!r || measure(rep, p, r, 1, runs) < 0)
		return r ? -1 : 0;
	if (rep->have_limits && rep->limits.spsc_msgs_s > 0)
		r->ratio = r->msgs_s / rep->limits.spsc_msgs_s;
	return 0;
}

/*
 * @n calls of @call (a round trip, or a stream of @r->nblocks messages)
 * into @r: seconds per call (@call returns seconds, or for a stream
 * messages per second, turned into seconds here); doorbells both ways per
 * 1,000 messages (@msgs_per_call each) and per MiB.
 */
static int measure_calls(struct bench_path *p, struct result *r, unsigned n,
			 double (*call)(struct bench_path *p,
				       struct result *r),
			 double msgs_per_call)
{
	double *t = malloc(n * sizeof(*t));
	double self0, peer0, mib;
	uint64_t out0 = 0, in0 = 0, out1 = 0, in1 = 0;

	if (!t)
		return -1;
	/* untimed, as measure()'s first transaction */
	if (call(p, r) < 0)
		goto fail;
	self0 = bench_cpu_self();
	peer0 = p->peer_pid ? bench_cpu_pid(p->peer_pid) : -1;
	if (p->doorbells)
		p->doorbells(p, &out0, &in0);
	for (unsigned i = 0; i < n; i++) {
		t[i] = call(p, r);
		if (t[i] < 0)
			goto fail;
	}
	mib = (double)r->block * msgs_per_call * n / MIB;
	if (p->doorbells) {
		p->doorbells(p, &out1, &in1);
		r->db_out_mb = (double)(out1 - out0) / mib;
		r->db_in_mb = (double)(in1 - in0) / mib;
		r->db_kmsg = (double)(out1 - out0 + in1 - in0) * 1000.0 /
			     (msgs_per_call * n);
	}
	r->cpu_self_mb = (bench_cpu_self() - self0) / mib;
	if (peer0 >= 0) {
		double peer1 = bench_cpu_pid(p->peer_pid);

		if (peer1 >= 0)
			r->cpu_peer_mb = (peer1 - peer0) / mib;
	}
	r->med_ms = bench_pct(t, n, 50) * 1e3;
	r->p99_ms = bench_pct(t, n, 99) * 1e3;
	r->max_ms = bench_max(t, n) * 1e3;
	if (r->med_ms > 0) {
		r->kb_s = (double)r->block * r->nblocks / (r->med_ms / 1e3) / 1e3;
		r->msgs_s = r->nblocks / (r->med_ms / 1e3);
	}
	free(t);
	return 0;
fail:
	free(t);
	fprintf(stderr, "hipc-bench: %s: %s of %zu B failed\n", p->name,
		r->suite, r->block);
	return -1;
}

static double one_rtt(struct bench_path *p, struct result *r)
{
	return p->rtt(p, r->block);
}

static double one_stream(struct bench_path *p, struct result *r)
{
	double m = p->rate(p, r->block, r->nblocks);

	return m > 0 ? r->nblocks / m : -1;
}

int run_echo(struct bench_report *rep, struct bench_path *p, unsigned count,
	     unsigned runs)
{
	struct result *r;

	if (!p->rtt)
		return 0;
	r = new_result(rep, p, "echo", 16, 1);
	if (!r || measure_calls(p, r, count * runs, one_rtt, 1) < 0)
		return r ? -1 : 0;
	if (rep->have_limits && rep->limits.cacheline_rtt_ns > 0)
		r->ratio = r->med_ms * 1e6 / rep->limits.cacheline_rtt_ns;
	return 0;
}

int run_stream(struct bench_report *rep, struct bench_path *p,
	       unsigned count, unsigned runs)
{
	struct result *r;

	if (!p->rate)
		return 0;
	r = new_result(rep, p, "stream", 496, count);
	if (!r || measure_calls(p, r, runs, one_stream, count) < 0)
		return r ? -1 : 0;
	if (rep->have_limits && rep->limits.spsc496_msgs_s > 0)
		r->ratio = r->msgs_s / rep->limits.spsc496_msgs_s;
	return 0;
}

static void json_num(FILE *f, const char *k, double v, bool last)
{
	if (v < 0)
		fprintf(f, "\"%s\":null%s", k, last ? "" : ",");
	else
		fprintf(f, "\"%s\":%.6g%s", k, v, last ? "" : ",");
}

/* --- the targets (issue #13), each against its limit from the same run ---------- */

struct target {
	const char *key, *what;
	double value, limit, ratio, goal;
	bool at_most, strict;  /* goal is a ceiling (< when strict); else a floor */
	bool met;
};

#define MAX_TARGETS 8

static const struct result *find_any(const struct bench_report *rep,
				     const char *suite, const char *path,
				     size_t block)
{
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (!strcmp(r->suite, suite) && !strcmp(r->path, path) &&
		    r->block == block)
			return r;
	}
	return NULL;
}

/* The 32 KiB transactions of a path: a matrix cell of one 32 KiB block. */
static const struct result *find_32k(const struct bench_report *rep,
				     const char *path)
{
	static const char *const suites[] = { "txn32k", "netlink", "custom" };

	for (unsigned k = 0; k < 3; k++)
		for (unsigned i = 0; i < rep->n; i++) {
			const struct result *r = &rep->r[i];

			if (!strcmp(r->suite, suites[k]) &&
			    !strcmp(r->path, path) && r->block == 32768 &&
			    r->nblocks == 1 && r->db_out_mb >= 0)
				return r;
		}
	return NULL;
}

static void add_target(struct target *t, unsigned *n, const char *key,
		       const char *what, double value, double limit,
		       double goal, bool at_most, bool strict)
{
	struct target *x = &t[(*n)++];

	x->key = key;
	x->what = what;
	x->value = value;
	x->limit = limit;
	x->ratio = limit > 0 ? value / limit : -1;
	x->goal = goal;
	x->at_most = at_most;
	x->strict = strict;
	/* with a limit the goal is on the ratio, else on the value */
	{
		double v = limit > 0 ? x->ratio : value;

		x->met = at_most ? (strict ? v < goal : v <= goal) : v >= goal;
	}
}

static unsigned targets(const struct bench_report *rep, struct target *t)
{
	const struct bench_limits *l = &rep->limits;
	const struct result *r;
	unsigned n = 0;

	if (!rep->have_limits)
		return 0;
	r = find_any(rep, "echo", "endpoint-poll", 16);
	if (r)
		add_target(t, &n, "polled_rtt_16",
			   "polled 16 B round trip (ns; limit: cache-line "
			   "round trip)", r->med_ms * 1e6, l->cacheline_rtt_ns,
			   2.0, true, false);
	r = find_any(rep, "echo", "endpoint-irq", 16);
	if (r)
		add_target(t, &n, "irq_rtt_16",
			   "interrupt-only 16 B round trip (ns; limit: eventfd "
			   "round trip)", r->med_ms * 1e6, l->eventfd_rtt_ns,
			   1.1, true, false);
	r = find_any(rep, "stream", "endpoint-poll", 496);
	if (r)
		add_target(t, &n, "polled_rate_496",
			   "polled 496 B one way (msgs/s; limit: shared ring, "
			   "496 B)", r->msgs_s, l->spsc496_msgs_s, 0.5, false,
			   false);
	r = find_any(rep, "stream", "endpoint", 496);
	if (r && r->db_kmsg >= 0)
		add_target(t, &n, "adaptive_doorbells_per_1000",
			   "adaptive stream, doorbells both ways per 1,000 "
			   "messages", r->db_kmsg, -1, 10, true, false);
	r = find_any(rep, "stream", "endpoint-irq", 496);
	if (r && r->db_kmsg >= 0)
		add_target(t, &n, "irq_doorbells_per_1000",
			   "interrupt-only stream, doorbells both ways per "
			   "1,000 messages", r->db_kmsg, -1, 10, true, false);
	r = find_32k(rep, "endpoint");
	if (r)
		add_target(t, &n, "adaptive_doorbells_per_mib_32k",
			   "adaptive 32 KiB transactions, doorbells both ways "
			   "per MiB", r->db_out_mb + r->db_in_mb, -1, 10, true,
			   true);
	r = find_32k(rep, "endpoint-irq");
	if (r)
		add_target(t, &n, "irq_doorbells_per_mib_32k",
			   "interrupt-only 32 KiB transactions, doorbells both "
			   "ways per MiB", r->db_out_mb + r->db_in_mb, -1, 10,
			   true, true);
	return n;
}

static void targets_table(const struct bench_report *rep, FILE *f)
{
	struct target t[MAX_TARGETS];
	unsigned n = targets(rep, t);

	if (!n)
		return;
	fprintf(f, "\ntargets (each against its limit from this run)\n");
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "target: %s = %.4g (", t[i].what, t[i].value);
		if (t[i].limit > 0)
			fprintf(f, "limit %.4g, ratio %.3f, ", t[i].limit,
				t[i].ratio);
		else
			fprintf(f, "limit -, ratio -, ");
		fprintf(f, "goal %s %g) %s\n",
			t[i].at_most ? (t[i].strict ? "<" : "\u2264") : "\u2265",
			t[i].goal, t[i].met ? "met" : "missed");
	}
}

static void targets_json(const struct bench_report *rep, FILE *f)
{
	struct target t[MAX_TARGETS];
	unsigned n = targets(rep, t);

	fprintf(f, "\"targets\":{");
	for (unsigned i = 0; i < n; i++) {
		fprintf(f, "%s\"%s\":{\"what\":\"%s\",", i ? "," : "", t[i].key,
			t[i].what);
		json_num(f, "value", t[i].value, false);
		json_num(f, "limit", t[i].limit > 0 ? t[i].limit : -1, false);
		json_num(f, "ratio", t[i].ratio, false);
		fprintf(f, "\"goal\":%g,\"op\":\"%s\",\"met\":%s}", t[i].goal,
			t[i].at_most ? (t[i].strict ? "<" : "<=") : ">=",
			t[i].met ? "true" : "false");
	}
	fprintf(f, "},");
}

/* --- the table -------------------------------------------------------------------- */

static const char *paths_of(const struct bench_report *rep, const char *suite,
			    const char **out, unsigned *n)
{
	*n = 0;
	for (unsigned i = 0; i < rep->n; i++) {
		bool seen = false;

		if (strcmp(rep->r[i].suite, suite))
			continue;
		for (unsigned j = 0; j < *n; j++)
			seen |= !strcmp(out[j], rep->r[i].path);
		if (!seen && *n < 16)
			out[(*n)++] = rep->r[i].path;
	}
	return *n ? out[0] : NULL;
}

static const struct result *find(const struct bench_report *rep,
				 const char *suite, const char *path,
				 size_t block, unsigned nblocks)
{
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (!strcmp(r->suite, suite) && !strcmp(r->path, path) &&
		    r->block == block && r->nblocks == nblocks)
			return r;
	}
	return NULL;
}

/* What a row of the matrix shows in each path's column. */
enum cell { CELL_MS, CELL_KB_S, CELL_X_MEMCPY };

/* The rest of @r's row: in each of the @np paths' columns (@w wide) that
 * path's figure for the same block size and count, or "-". */
static void path_cells(const struct bench_report *rep, FILE *f,
		       const char *suite, const char *const *paths,
		       const int *w, unsigned np, const struct result *r,
		       enum cell what)
{
	/* what a copy of the same bytes would cost: the ratio to one
	 * thread's memcpy of blocks this size */
	double m = what == CELL_X_MEMCPY
			   ? bench_limits_memcpy(&rep->limits, r->block)
			   : 0;

	for (unsigned j = 0; j < np; j++) {
		const struct result *x = find(rep, suite, paths[j], r->block,
					      r->nblocks);

		if (!x || (what == CELL_X_MEMCPY && m <= 0))
			fprintf(f, " %*s", w[j], "-");
		else if (what == CELL_MS)
			fprintf(f, " %*.4f", w[j], x->med_ms);
		else if (what == CELL_KB_S)
			fprintf(f, " %*.0f", w[j], x->kb_s);
		else
			fprintf(f, " %*.2f", w[j], x->kb_s * 1e3 / (m * 1e6));
	}
	fputc('\n', f);
}

static void matrix_table(const struct bench_report *rep, FILE *f,
			 const char *suite, const char *title)
{
	const char *paths[16];
	int w[16];
	unsigned np;

	if (!paths_of(rep, suite, paths, &np))
		return;
	/* Each column as wide as its path's name, at least 9: a dozen
	 * paths still fit a wide terminal. */
	for (unsigned j = 0; j < np; j++) {
		w[j] = (int)strlen(paths[j]);
		if (w[j] < 9)
			w[j] = 9;
	}
	fprintf(f, "\n%s\n  ms per transaction (median); KB/s below\n",
		title);
	fprintf(f, "  %-8s %3s %8s %10s", "block", "n", "bytes", "published");
	for (unsigned j = 0; j < np; j++)
		fprintf(f, " %*s", w[j], paths[j]);
	fputc('\n', f);
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (strcmp(r->suite, suite) || strcmp(r->path, paths[0]))
			continue;
		fprintf(f, "  %6zu B %3u %8zu ", r->block, r->nblocks,
			r->block * r->nblocks);
		if (r->published_ms > 0)
			fprintf(f, "%10.2f", r->published_ms);
		else
			fprintf(f, "%10s", "-");
		path_cells(rep, f, suite, paths, w, np, r, CELL_MS);
		fprintf(f, "  %-8s %3s %8s ", "", "", "KB/s");
		if (r->published_ms > 0)
			fprintf(f, "%10.1f", (double)r->block * r->nblocks /
						      r->published_ms);
		else
			fprintf(f, "%10s", "-");
		path_cells(rep, f, suite, paths, w, np, r, CELL_KB_S);
		if (strcmp(suite, "bigbuf") || !rep->have_limits)
			continue;
		fprintf(f, "  %-8s %3s %8s %10s", "", "", "x memcpy", "");
		path_cells(rep, f, suite, paths, w, np, r, CELL_X_MEMCPY);
	}
}

static void detail_table(const struct bench_report *rep, FILE *f,
			 const char *suite, const char *title,
			 const char *ratio_name)
{
	bool any = false;

	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (strcmp(r->suite, suite))
			continue;
		if (!any) {
			fprintf(f, "\n%s\n  %-13s %9s %9s %9s %12s %11s %9s "
				   "%9s %9s %9s %9s %s\n",
				title, "path", "median", "p99", "max", "msgs/s",
				"KB/s", "db out/M", "db in/M", "cpu/M", "peer/M",
				"hipcd/M", ratio_name);
			any = true;
		}
		fprintf(f, "  %-13s %9.4f %9.4f %9.4f %12.0f %11.0f", r->path,
			r->med_ms, r->p99_ms, r->max_ms, r->msgs_s, r->kb_s);
		if (r->db_out_mb >= 0)
			fprintf(f, " %9.1f %9.1f", r->db_out_mb, r->db_in_mb);
		else
			fprintf(f, " %9s %9s", "-", "-");
		fprintf(f, " %9.4f", r->cpu_self_mb);
		if (r->cpu_peer_mb >= 0)
			fprintf(f, " %9.4f", r->cpu_peer_mb);
		else
			fprintf(f, " %9s", "-");
		if (r->cpu_daemon_mb >= 0)
			fprintf(f, " %9.4f", r->cpu_daemon_mb);
		else
			fprintf(f, " %9s", "-");
		if (r->ratio > 0)
			fprintf(f, " %.2f", r->ratio);
		if (r->db_kmsg >= 0)
			fprintf(f, "  (%.1f doorbells per 1,000 msgs)",
				r->db_kmsg);
		fputc('\n', f);
	}
}

static void cpu_cell(FILE *f, double v)
{
	if (v >= 0)
		fprintf(f, " %12.4f", v);
	else
		fprintf(f, " %12s", "-");
}

/* Where each side's CPU goes, per path: the largest transaction of the
 * seeds' (or custom) matrices, the one moving the most bytes per doorbell. */
static void cpu_table(const struct bench_report *rep, FILE *f)
{
	static const char *const suites[] = { "netlink", "custom", "tty" };
	bool any = false;

	for (unsigned s = 0; s < 3 && !any; s++) {
		const char *paths[16];
		unsigned np;

		if (!paths_of(rep, suites[s], paths, &np))
			continue;
		for (unsigned j = 0; j < np; j++) {
			const struct result *best = NULL;

			for (unsigned i = 0; i < rep->n; i++) {
				const struct result *r = &rep->r[i];

				if (!strcmp(r->suite, suites[s]) &&
				    !strcmp(r->path, paths[j]) &&
				    (!best || r->block * r->nblocks >
						      best->block * best->nblocks))
					best = r;
			}
			if (!any)
				fprintf(f, "\nCPU seconds per MiB, each side "
					   "(%s, the largest transaction; remote: "
					   "the firmware, and for tcp the island's "
					   "server)\n  %-13s %9s %12s %12s %12s\n",
					suites[s], "path", "bytes", "this program",
					"hipcd", "remote");
			any = true;
			fprintf(f, "  %-13s %9zu", best->path,
				best->block * best->nblocks);
			cpu_cell(f, best->cpu_self_mb);
			cpu_cell(f, best->cpu_daemon_mb);
			cpu_cell(f, best->cpu_peer_mb);
			fputc('\n', f);
		}
	}
}

void report_table(const struct bench_report *rep, FILE *f)
{
	if (rep->have_limits) {
		const struct bench_limits *l = &rep->limits;

		fprintf(f, "this machine's limits (median of runs)\n");
		fprintf(f, "  cache line between two cores, round trip  %8.0f ns\n",
			l->cacheline_rtt_ns);
		fprintf(f, "  eventfd wake-up between two processes, rt %8.0f ns\n",
			l->eventfd_rtt_ns);
		fprintf(f, "  shared-memory ring, polled round trip     %8.0f ns\n",
			l->spsc_rtt_ns);
		fprintf(f, "  shared-memory ring, 16 B messages one way %8.2f M/s\n",
			l->spsc_msgs_s / 1e6);
		fprintf(f, "  shared-memory ring, 496 B one way         %8.2f M/s\n",
			l->spsc496_msgs_s / 1e6);
		fprintf(f, "  memcpy, one thread:");
		for (unsigned i = 0; i < l->nmemcpy; i++) {
			size_t s = l->memcpy_size[i];

			fprintf(f, " %zu%s %.1f GB/s%s",
				s >= (1u << 20) ? s >> 20 : s >= 1024 ? s >> 10 : s,
				s >= (1u << 20) ? "M" : s >= 1024 ? "K" : "",
				l->memcpy_mb_s[i] / 1e3,
				i + 1 < l->nmemcpy ? "," : "\n");
		}
	}
	matrix_table(rep, f, "tty", "seeds: the ttyRPMSG matrix (published: "
		     "STM32MP157, /dev/ttyRPMSG0; a header, then n blocks, then "
		     "the count)");
	matrix_table(rep, f, "netlink", "seeds: the netlink matrix (published: "
		     "STM32MP157, a netlink socket and a kernel module)");
	matrix_table(rep, f, "custom", "custom blocks");
	matrix_table(rep, f, "bigbuf", "big blocks (n blocks of the size in "
		     "one transaction; x memcpy: KB/s against one thread's "
		     "memcpy of that size)");
	detail_table(rep, f, "latency", "latency: a 16-byte transaction (ms), "
		     "ratio to the cache-line round trip", "x cacheline");
	detail_table(rep, f, "rate", "rate: 496-byte blocks one way in one "
		     "transaction (ms for all), ratio to the ring's rate",
		     "of ring");
	cpu_table(rep, f);
	detail_table(rep, f, "echo", "echo: one 16-byte message each way (ms), "
		     "ratio to the cache-line round trip", "x cacheline");
	detail_table(rep, f, "stream", "stream: 496-byte messages one way, "
		     "acknowledged at the end (ms for all), ratio to the "
		     "ring's 496 B rate", "of ring");
	matrix_table(rep, f, "txn32k", "32 KiB transactions (doorbells in the "
		     "targets below)");
	targets_table(rep, f);
	for (unsigned i = 0; i < rep->nskipped; i++)
		fprintf(f, "\n%s: not available: %s\n", rep->skipped[i],
			rep->skipped_why[i][0] ? rep->skipped_why[i]
					       : "see the message above");
	for (unsigned i = 0; i < rep->failed && i < 16; i++)
		fprintf(f, "\n%s: FAILED (see the message above)\n",
			rep->failed_paths[i]);
}

/* --- JSON and CSV ------------------------------------------------------------------- */


void report_json(const struct bench_report *rep, FILE *f)
{
	fprintf(f, "{");
	if (rep->have_limits) {
		const struct bench_limits *l = &rep->limits;

		fprintf(f, "\"limits\":{");
		json_num(f, "cacheline_rtt_ns", l->cacheline_rtt_ns, false);
		json_num(f, "eventfd_rtt_ns", l->eventfd_rtt_ns, false);
		json_num(f, "ring_rtt_ns", l->spsc_rtt_ns, false);
		json_num(f, "ring_msgs_s", l->spsc_msgs_s, false);
		json_num(f, "ring_496_msgs_s", l->spsc496_msgs_s, false);
		fprintf(f, "\"memcpy_mb_s\":{");
		for (unsigned i = 0; i < l->nmemcpy; i++)
			fprintf(f, "\"%zu\":%.6g%s", l->memcpy_size[i],
				l->memcpy_mb_s[i], i + 1 < l->nmemcpy ? "," : "");
		fprintf(f, "}},");
		targets_json(rep, f);
	}
	fprintf(f, "\"results\":[");
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		fprintf(f, "%s{\"suite\":\"%s\",\"path\":\"%s\",\"block\":%zu,"
			   "\"blocks\":%u,", i ? "," : "", r->suite, r->path,
			r->block, r->nblocks);
		json_num(f, "published_ms", r->published_ms > 0 ? r->published_ms
								: -1, false);
		json_num(f, "median_ms", r->med_ms, false);
		json_num(f, "p99_ms", r->p99_ms, false);
		json_num(f, "max_ms", r->max_ms, false);
		json_num(f, "kb_s", r->kb_s, false);
		json_num(f, "msgs_s", r->msgs_s, false);
		json_num(f, "doorbells_out_per_mib", r->db_out_mb, false);
		json_num(f, "doorbells_in_per_mib", r->db_in_mb, false);
		json_num(f, "cpu_s_per_mib", r->cpu_self_mb, false);
		json_num(f, "peer_cpu_s_per_mib", r->cpu_peer_mb, false);
		json_num(f, "daemon_cpu_s_per_mib", r->cpu_daemon_mb, false);
		fprintf(f, "\"transactions\":%zu,", r->count);
		json_num(f, "doorbells_per_1000_msgs", r->db_kmsg, false);
		json_num(f, "ratio_to_limit", r->ratio > 0 ? r->ratio : -1, true);
		fprintf(f, "}");
	}
	fprintf(f, "],\"unavailable\":[");
	for (unsigned i = 0; i < rep->nskipped; i++)
		fprintf(f, "%s\"%s\"", i ? "," : "", rep->skipped[i]);
	/* why each is unavailable (no quote or backslash in the reasons) */
	fprintf(f, "],\"unavailable_why\":{");
	for (unsigned i = 0; i < rep->nskipped; i++) {
		fprintf(f, "%s\"%s\":\"", i ? "," : "", rep->skipped[i]);
		for (const char *c = rep->skipped_why[i]; *c; c++)
			if (*c != '"' && *c != '\\' && (unsigned char)*c >= 32)
				fputc(*c, f);
		fputc('"', f);
	}
	fprintf(f, "},\"failed\":[");
	for (unsigned i = 0; i < rep->failed && i < 16; i++)
		fprintf(f, "%s\"%s\"", i ? "," : "", rep->failed_paths[i]);
	fprintf(f, "]}\n");
}

static void csv_num(FILE *f, double v)
{
	if (v < 0)
		fprintf(f, ",");
	else
		fprintf(f, ",%.6g", v);
}

void report_csv(const struct bench_report *rep, FILE *f)
{
	fprintf(f, "suite,path,block,blocks,published_ms,median_ms,p99_ms,"
		   "max_ms,kb_s,msgs_s,doorbells_out_per_mib,"
		   "doorbells_in_per_mib,cpu_s_per_mib,peer_cpu_s_per_mib,"
		   "ratio_to_limit,daemon_cpu_s_per_mib\n");
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		fprintf(f, "%s,%s,%zu,%u", r->suite, r->path, r->block,
			r->nblocks);
		csv_num(f, r->published_ms > 0 ? r->published_ms : -1);
		csv_num(f, r->med_ms);
		csv_num(f, r->p99_ms);
		csv_num(f, r->max_ms);
		csv_num(f, r->kb_s);
		csv_num(f, r->msgs_s);
		csv_num(f, r->db_out_mb);
		csv_num(f, r->db_in_mb);
		csv_num(f, r->cpu_self_mb);
		csv_num(f, r->cpu_peer_mb);
		csv_num(f, r->ratio > 0 ? r->ratio : -1);
		csv_num(f, r->cpu_daemon_mb);
		fputc('\n', f);
	}
}

/* --- the plot ---------------------------------------------------------------------- */

int report_plot(const struct bench_report *rep, const char *png)
{
	char dir[] = "/tmp/hipc-bench.XXXXXX", data[64], script[64];
	const char *paths[16];
	unsigned np, npaths = 0;
	FILE *f;
	int status;
	pid_t pid;

	if (!mkdtemp(dir)) {
		perror("hipc-bench: plot");
		return -1;
	}
	/* one data block per path (index i), then the published points */
	snprintf(data, sizeof(data), "%s/data", dir);
	f = fopen(data, "w");
	if (!f)
		return -1;
	for (unsigned i = 0; i < rep->n; i++) {
		bool seen = false;

		for (unsigned j = 0; j < npaths; j++)
			seen |= !strcmp(paths[j], rep->r[i].path);
		if (!seen && npaths < 16 &&
		    (!strcmp(rep->r[i].suite, "tty") ||
		     !strcmp(rep->r[i].suite, "netlink") ||
		     !strcmp(rep->r[i].suite, "custom")))
			paths[npaths++] = rep->r[i].path;
	}
	np = npaths;
	/* per path two blocks: the single-block sizes (a line; the netlink
	 * matrix, or custom sizes), then the multi-block cells (points) */
	for (unsigned j = 0; j < np; j++) {
		for (int part = 0; part < 2; part++) {
			fprintf(f, "# %s %s\n", paths[j],
				part ? "blocks" : "sizes");
			for (unsigned i = 0; i < rep->n; i++) {
				const struct result *r = &rep->r[i];
				bool line = !strcmp(r->suite, "netlink") ||
					    !strcmp(r->suite, "custom");

				if (strcmp(r->path, paths[j]) ||
				    (!line && strcmp(r->suite, "tty")) ||
				    line == (part == 1))
					continue;
				fprintf(f, "%zu %.3f\n", r->block * r->nblocks,
					r->kb_s);
			}
			fprintf(f, "\n\n");
		}
	}
	fprintf(f, "# published, ttyRPMSG\n");
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (!strcmp(r->suite, "tty") && np && !strcmp(r->path, paths[0]))
			fprintf(f, "%zu %.3f\n", r->block * r->nblocks,
				(double)r->block * r->nblocks / r->published_ms);
	}
	fprintf(f, "\n\n# published, netlink\n");
	for (unsigned i = 0; i < rep->n; i++) {
		const struct result *r = &rep->r[i];

		if (!strcmp(r->suite, "netlink") && np &&
		    !strcmp(r->path, paths[0]))
			fprintf(f, "%zu %.3f\n", r->block * r->nblocks,
				(double)r->block * r->nblocks / r->published_ms);
	}
	fclose(f);
	snprintf(script, sizeof(script), "%s/plot.gp", dir);
	f = fopen(script, "w");
	if (!f)
		return -1;
	fprintf(f, "set terminal pngcairo size 1100,700 noenhanced\n"
		   "set output '%s'\n"
		   "set logscale xy\n"
		   "set grid\n"
		   "set key outside right\n"
		   "set xlabel 'data bytes per transaction (line: one block; "
		   "open points: n blocks)'\n"
		   "set ylabel 'KB/s (1000 bytes of data per second)'\n"
		   "set title 'hipc-bench: the seeds protocol per path, against "
		   "the published STM32MP157 figures'\n"
		   "plot ", png);
	for (unsigned j = 0; j < np; j++) {
		/* one colour each: gnuplot's own cycle repeats after 8 */
		static const char *const colour[16] = {
			"#9400d3", "#009e73", "#56b4e9", "#e69f00", "#f0e442",
			"#0072b2", "#e51e10", "#000000", "#a0522d", "#808080",
			"#ff69b4", "#2e8b57", "#4169e1", "#d2691e", "#708090",
			"#8b0000",
		};

		fprintf(f, "'%s' index %u using 1:2 with linespoints lw 2 "
			   "lc rgb '%s' pt 7 title '%s', '%s' index %u using "
			   "1:2 with points lc rgb '%s' pt 6 ps 1.3 notitle, ",
			data, 2 * j, colour[j % 16], paths[j], data, 2 * j + 1,
			colour[j % 16]);
	}
	fprintf(f, "'%s' index %u using 1:2 with points pt 9 ps 1.8 lc "
		   "rgb 'black' title 'published, ttyRPMSG (n blocks)', "
		   "'%s' index %u using 1:2 with linespoints pt 5 ps 1.5 dt 2 "
		   "lc rgb 'black' title 'published, netlink (one block)'\n",
		data, 2 * np, data, 2 * np + 1);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		fprintf(stderr, "hipc-bench: gnuplot: not found (scripts/deps.sh "
			"host installs it)\n");
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "hipc-bench: gnuplot failed; its input is in "
			"%s\n", dir);
		return -1;
	}
	unlink(data);
	unlink(script);
	rmdir(dir);
	return 0;
}
