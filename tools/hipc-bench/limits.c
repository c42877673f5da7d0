// SPDX-License-Identifier: BSD-3-Clause
/*
 * What this machine allows at best, measured in the same run as the hipc
 * figures so that each can be shown as a ratio:
 *   - a cache line bounced between two threads on two cores (a message
 *     through shared memory needs a few such transfers);
 *   - two processes waking each other through eventfds (a doorbell in the
 *     simulation is an eventfd write);
 *   - a single-producer ring in shared memory between two processes,
 *     polled (round trip, and one-way rate of 16- and 496-byte messages);
 *   - single-thread memcpy bandwidth per size (what a copying path pays).
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_median(const double *v, unsigned n)
{
	double t[MAX_RUNS * 4];

	if (!n)
		return 0;
	if (n > sizeof(t) / sizeof(t[0]))
		n = sizeof(t) / sizeof(t[0]);
	memcpy(t, v, n * sizeof(*v));
	qsort(t, n, sizeof(*t), cmp_d);
	return n & 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

double bench_max(const double *v, unsigned n)
{
	double m = n ? v[0] : 0;

	for (unsigned i = 1; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

double bench_pct(double *v, unsigned n, double p)
{
	size_t i;

	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	i = (size_t)(p / 100.0 * (n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static double tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

double bench_cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return tv_s(ru.ru_utime) + tv_s(ru.ru_stime);
}

double bench_cpu_pid(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	/* after "(comm)", which may hold spaces: field 3 on */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			 "%lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void unpin(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CPU_ZERO(&set);
	for (long i = 0; i < n; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* --- a cache line between two threads ----------------------------------------- */

/*
 * Spinning partners on a busy machine can wait a whole scheduler tick for
 * each other: every spin measurement stops at LIMIT_NS, on the count it
 * reached (the figure is then an honest "what this machine gave now").
 */
#define BOUNCES 50000u
#define LIMIT_NS 1000000000ull
#define STOP 0xffffffffu

static _Alignas(64) _Atomic unsigned line;

static void *bouncer(void *arg)
{
	(void)arg;
	pin(1);
	for (unsigned i = 0;; i++) {
		unsigned v;

		while ((v = atomic_load_explicit(&line, memory_order_acquire)) !=
			       2 * i + 1 && v != STOP)
			;
		if (v == STOP)
			break;
		atomic_store_explicit(&line, 2 * i + 2, memory_order_release);
	}
	return NULL;
}

static double cacheline_rtt(void)
{
	pthread_t t;
	uint64_t t0, end;
	unsigned i;

	atomic_store(&line, 0);
	pin(0);
	if (pthread_create(&t, NULL, bouncer, NULL))
		return 0;
	t0 = bench_now_ns();
	end = t0 + LIMIT_NS;
	for (i = 0; i < BOUNCES; i++) {
		atomic_store_explicit(&line, 2 * i + 1, memory_order_release);
		while (atomic_load_explicit(&line, memory_order_acquire) !=
		       2 * i + 2)
			;
		if ((i & 63) == 63 && bench_now_ns() > end) {
			i++;
			break;
		}
	}
	t0 = bench_now_ns() - t0;
	atomic_store_explicit(&line, STOP, memory_order_release);
	pthread_join(t, NULL);
	unpin();
	return (double)t0 / i;
}

/* --- eventfds between two processes ------------------------------------------ */

#define WAKES 10000u

/*
 * The median round trip, each timed on its own as an echo cell times its
 * round trips: the interrupt-only target compares the two, and a mean
 * would count every wait behind other tasks (on a loaded machine the
 * mean came out 2-4 times the median, so the old total-over-count figure
 * flattered any median set against it).
 */
static double eventfd_rtt(void)
{
	int a = eventfd(0, EFD_CLOEXEC), b = eventfd(0, EFD_CLOEXEC);
	double *t = malloc(WAKES * sizeof(*t)), med = 0;
	uint64_t x = 1;
	unsigned i = 0;
	pid_t pid = -1;

	if (a < 0 || b < 0 || !t)
		goto out;
	pid = fork();
	if (pid == 0) {
		for (unsigned k = 0; k < WAKES; k++)
			if (read(a, &x, 8) != 8 || write(b, &x, 8) != 8)
				_exit(1);
		_exit(0);
	}
	for (; pid > 0 && i < WAKES; i++) {
		uint64_t t0 = bench_now_ns();

		if (write(a, &x, 8) != 8 || read(b, &x, 8) != 8)
			break;
		t[i] = (double)(bench_now_ns() - t0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	med = bench_pct(t, i, 50);
out:
	free(t);
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
	return med;
}

/* --- a polled single-producer ring in shared memory ---------------------------- */

#define RING 256u
#define RING_MSGS 1000000u
#define RING_RTTS 50000u
#define RING_SLOT 512u /* an rpmsg buffer's size: 496 B messages fit */

struct ring {
	_Alignas(64) _Atomic uint32_t head; /* producer's */
	_Alignas(64) _Atomic uint32_t tail; /* consumer's */
	_Alignas(64) uint8_t slot[RING][RING_SLOT];
};

struct rings {
	struct ring to, back;
	_Alignas(64) _Atomic uint32_t stop;
	_Atomic uint32_t ack;  /* the child left the echo loop */
	_Atomic uint32_t msgs; /* the count it answers after */
	_Atomic uint32_t size; /* bytes per message */
};

static _Atomic uint32_t *stop_word;

/* Bytes copied per message: in the shared page, the child reads it. */
static _Atomic uint32_t *size_word;

static bool ring_put(struct ring *r, const uint8_t *m)
{
	uint32_t h = atomic_load_explicit(&r->head, memory_order_relaxed);

	while (h - atomic_load_explicit(&r->tail, memory_order_acquire) == RING)
		if (atomic_load_explicit(stop_word, memory_order_relaxed))
			return false;
	memcpy(r->slot[h % RING], m,
	       atomic_load_explicit(size_word, memory_order_relaxed));
	atomic_store_explicit(&r->head, h + 1, memory_order_release);
	return true;
}

static bool ring_get(struct ring *r, uint8_t *m)
{
	uint32_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);

	while (atomic_load_explicit(&r->head, memory_order_acquire) == t)
		if (atomic_load_explicit(stop_word, memory_order_relaxed))
			return false;
	memcpy(m, r->slot[t % RING],
	       atomic_load_explicit(size_word, memory_order_relaxed));
	atomic_store_explicit(&r->tail, t + 1, memory_order_release);
	return true;
}

/*
 * The round trip of 16-byte messages (@rtt_ns NULL: not measured), then
 * the one-way rate of @size-byte ones (each copied in and out, as a
 * message is).
 */
static void spsc(double *rtt_ns, double *msgs_s, size_t size)
{
	struct rings *rs = mmap(NULL, sizeof(*rs), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t m[RING_SLOT] = { 0 };
	double rtt;
	uint64_t t0, end;
	unsigned i;
	pid_t pid;

	*msgs_s = 0;
	if (rtt_ns)
		*rtt_ns = 0;
	if (rs == MAP_FAILED)
		return;
	size_word = &rs->size;
	atomic_store(&rs->size, 16);
	memset(rs, 0, sizeof(*rs));
	stop_word = &rs->stop;
	pid = fork();
	if (pid == 0) {
		/* echoes until told to stop, then counts until told again */
		pin(1);
		while (ring_get(&rs->to, m) && ring_put(&rs->back, m))
			;
		atomic_store(&rs->ack, 1);
		while (atomic_load(&rs->stop) == 1)
			;
		for (uint32_t n = 0; ring_get(&rs->to, m); n++)
			if (n + 1 == atomic_load(&rs->msgs))
				ring_put(&rs->back, m);
		_exit(0);
	}
	pin(0);
	t0 = bench_now_ns();
	end = t0 + LIMIT_NS;
	for (i = 0; rtt_ns && i < RING_RTTS && bench_now_ns() < end; i++)
		if (!ring_put(&rs->to, m) || !ring_get(&rs->back, m))
			break;
	rtt = (double)(bench_now_ns() - t0) / (i ? i : 1);
	if (rtt_ns)
		*rtt_ns = rtt;
	atomic_store(&rs->stop, 1);  /* the echo loop ends */
	while (!atomic_load(&rs->ack))
		;
	atomic_store(&rs->to.head, 0);
	atomic_store(&rs->to.tail, 0);
	atomic_store(&rs->back.head, 0);
	atomic_store(&rs->back.tail, 0);
	atomic_store(&rs->msgs, RING_MSGS);
	/* The child reads the size after the stop word (seq_cst) changes. */
	atomic_store(&rs->size, (uint32_t)size);
	atomic_store(&rs->stop, 0);
	t0 = bench_now_ns();
	end = t0 + LIMIT_NS;
	for (i = 0; i < RING_MSGS; i++) {
		if ((i & 1023) == 1023 && bench_now_ns() > end)
			break;
		ring_put(&rs->to, m);
	}
	if (i == RING_MSGS) {
		ring_get(&rs->back, m); /* the last one arrived */
		*msgs_s = i / ((double)(bench_now_ns() - t0) / 1e9);
	} else {
		/* out of time: what was put in that time */
		*msgs_s = i / ((double)(bench_now_ns() - t0) / 1e9);
	}
	atomic_store(&rs->stop, 2);
	unpin();
	waitpid(pid, NULL, 0);
	munmap(rs, sizeof(*rs));
}

/* --- memcpy per size --------------------------------------------------------------- */

static double memcpy_mb_s(size_t size)
{
	size_t total = size < (64u << 20) ? (512u << 20) : 4 * size;
	unsigned reps = (unsigned)(total / size);
	uint8_t *src = malloc(size), *dst = malloc(size);
	uint64_t t0;

	if (!src || !dst) {
		free(src);
		free(dst);
		return 0;
	}
	memset(src, 0x5a, size);
	memset(dst, 0, size); /* fault the pages in before the clock */
	t0 = bench_now_ns();
	for (unsigned i = 0; i < reps; i++) {
		memcpy(dst, src, size);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	t0 = bench_now_ns() - t0;
	free(src);
	free(dst);
	return (double)size * reps / ((double)t0 / 1e9) / 1e6;
}

void bench_limits_measure(struct bench_limits *l, unsigned runs)
{
	static const size_t sizes[] = { 512, 4096, 32768, 65536, 1u << 20,
					32u << 20, 64u << 20 };
	double cl[MAX_RUNS], ev[MAX_RUNS], rt[MAX_RUNS], rate[MAX_RUNS];
	double rate496[MAX_RUNS];

	if (runs > MAX_RUNS)
		runs = MAX_RUNS;
	memset(l, 0, sizeof(*l));
	for (unsigned r = 0; r < runs; r++) {
		cl[r] = cacheline_rtt();
		ev[r] = eventfd_rtt();
		spsc(&rt[r], &rate[r], 16);
		spsc(NULL, &rate496[r], 496);
	}
	l->cacheline_rtt_ns = bench_median(cl, runs);
	l->eventfd_rtt_ns = bench_median(ev, runs);
	l->spsc_rtt_ns = bench_median(rt, runs);
	l->spsc_msgs_s = bench_median(rate, runs);
	l->spsc496_msgs_s = bench_median(rate496, runs);
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		double v[MAX_RUNS];

		for (unsigned r = 0; r < runs; r++)
			v[r] = memcpy_mb_s(sizes[i]);
		l->memcpy_size[l->nmemcpy] = sizes[i];
		l->memcpy_mb_s[l->nmemcpy++] = bench_median(v, runs);
	}
}

double bench_limits_memcpy(const struct bench_limits *l, size_t size)
{
	unsigned best = 0;

	for (unsigned i = 1; i < l->nmemcpy; i++) {
		size_t a = l->memcpy_size[i] > size ? l->memcpy_size[i] - size
						    : size - l->memcpy_size[i];
		size_t b = l->memcpy_size[best] > size
				   ? l->memcpy_size[best] - size
				   : size - l->memcpy_size[best];

		if (a < b)
			best = i;
	}
	return l->nmemcpy ? l->memcpy_mb_s[best] : 0;
}
