/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hipc-bench's pieces: the machine's limits (limits.c), the paths a
 * transaction can take (baseline.c, inproc.c, ...), the report
 * (report.c).  main.c runs the suites.
 */
#ifndef HIPC_BENCH_H
#define HIPC_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_RUNS 15

/* --- statistics ----------------------------------------------------------- */

uint64_t bench_now_ns(void);
double bench_median(const double *v, unsigned n);
double bench_max(const double *v, unsigned n);
/* The @p-th percentile (0..100) of @v (sorted in place). */
double bench_pct(double *v, unsigned n, double p);

/* CPU seconds this process has used so far. */
double bench_cpu_self(void);

/* --- the machine's limits (limits.c) ------------------------------------- */

struct bench_limits {
	double cacheline_rtt_ns;  /* two threads on two cores bounce a line */
	double eventfd_rtt_ns;    /* two processes wake each other */
	double spsc_rtt_ns;       /* polled round trip through a shared ring */
	double spsc_msgs_s;       /* 16-byte messages, one way, polled ring */
	double spsc496_msgs_s;    /* 496-byte ones (a full rpmsg payload) */
	unsigned nmemcpy;
	size_t memcpy_size[16];
	double memcpy_mb_s[16];   /* single thread, MB/s (10^6) */
};

void bench_limits_measure(struct bench_limits *l, unsigned runs);
/* The memcpy bandwidth measured for the size closest to @size. */
double bench_limits_memcpy(const struct bench_limits *l, size_t size);

/* --- a transaction of the seeds' protocol ---------------------------------- */

/*
 * A path runs transactions: a header (preamble, total length), then the
 * data in @nblocks blocks of @block bytes, then waits for the remote's
 * count.  Or a round trip of @len bytes (latency), or a stream of @count
 * messages of @len bytes one way (rate).
 */
struct bench_path {
	const char *name;     /* "pipe", "unix", "endpoint", ... */
	const char *what;     /* one line for the report */
	void *priv;
	/* -1 (with a message on stderr) if the path is not available */
	int (*open)(struct bench_path *p);
	/* seconds for one transaction; < 0 on error */
	double (*transact)(struct bench_path *p, size_t block, unsigned nblocks);
	double (*rtt)(struct bench_path *p, size_t len);
	/* messages per second; < 0 on error */
	double (*rate)(struct bench_path *p, size_t len, unsigned count);
	/* doorbells each way since open (may be NULL) */
	void (*doorbells)(struct bench_path *p, uint64_t *out, uint64_t *in);
	void (*close)(struct bench_path *p);
	int peer_pid;         /* the other side's process, 0: unknown */
	int server_pid;       /* another of the remote's side (tcp: the
			       * island's server), 0: none */
	int daemon_pid;       /* hipcd, for the paths through it, 0: none */
	char why[160];        /* open() failed: why, for the report */
};

/* CPU seconds process @pid has used (from /proc), < 0 if unknown. */
double bench_cpu_pid(int pid);

extern struct bench_path bench_path_pipe, bench_path_unix,
	bench_path_inproc, bench_path_inproc_irq, bench_path_inproc_poll,
	bench_path_epdev, bench_path_tty, bench_path_msgsock,
	bench_path_bigbuf, bench_path_tcp, bench_path_pty, bench_path_tcplo;

/* One transaction of the protocol over @out and @in (the same fd for a
 * socket): writes of at most @chunk bytes, or on a message socket (not
 * @stream) a block's messages of @chunk bytes by sendmmsg(); @stream: the
 * answer may come in pieces.  Seconds, or < 0 (reported). */
double bench_fd_transact(int out, int in, bool stream, size_t chunk,
			 size_t block, unsigned nblocks);
/* @rel from this program's directory if it is an executable there. */
const char *bench_sibling(const char *rel, char *buf, size_t size);

/* A firmware of the user's that speaks the protocol (docs/bench-
 * protocol.md) instead of firmware/bench. */
void bench_set_firmware(const char *path);
/* The bench firmware: next to us when installed, else where it was built;
 * NULL if neither. */
const char *bench_firmware_path(char *buf, size_t size);
/* A hipcd: the one the epdev, tty and socket paths share (started on
 * first use, or the user's with --run-dir), or tcp's own. */
struct bench_daemon {
	bool up;             /* a daemon to talk to */
	bool failed;         /* it would not start: not tried again */
	bool ours;           /* started here: stopped at exit */
	int pid;
	char run[200];       /* its run directory */
	char tmp[160];       /* ours: the directory holding run and conf */
	const char *remote;
	int users;
};

/* Starts hipcd in a private run directory, its configuration one
 * section [@d->remote] whose lines are @conf_body; waits up to 10 s for
 * RUN/REMOTE/@wait_rel.  0, or -1 (reported; nothing left behind). */
int bench_daemon_start(struct bench_daemon *d, const char *conf_body,
		       const char *wait_rel);
void bench_daemon_stop(struct bench_daemon *d);
/* hipcd's pid and its remote's firmware's (0 where unknown). */
void bench_daemon_pids(const struct bench_daemon *d, int *daemon_pid,
		       int *fw_pid);
/* The remote's state as "hipcctl status" says it ("running", "crashed",
 * ...).  0, or -1 (no answer). */
int bench_daemon_state(const struct bench_daemon *d, char *state, size_t size);
/* Doorbells each way of @p->priv's daemon (NULL: the shared one). */
void bench_daemon_doorbells(struct bench_path *p, uint64_t *out, uint64_t *in);
/* The baselines' peer: answers the protocol read from @in on @out until
 * EOF; never returns. */
void bench_serve(int in, int out) __attribute__((noreturn));

/* Use the hipcd serving @run_dir (its remote @remote) instead of starting
 * one; either may be NULL (keep the default). */
void bench_daemon_use(const char *run_dir, const char *remote);

#endif
