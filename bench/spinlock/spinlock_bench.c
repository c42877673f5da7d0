/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a spinlock in shared memory costs (hipc/spinlock.h), medians of
 * several runs:
 *
 *   uncontended  one thread takes and releases a lock, with no port (one
 *                context) and with a link's port (the local level under
 *                its mutex, as a set sharing a device's port has it);
 *   contended    two processes (fork) on one memfd take and release one
 *                lock in a loop around a one-increment critical section;
 *                each lock() call is timed.
 *
 *   hipc-spinlock-bench [runs] [iterations]     (default 7, 1,000,000)
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/spinlock.h"

#define WORDS_OFF 1024u
#define AREA_OFF 4096u
#define REGION (4096u + 4096u)
#define MAX_RUNS 31

struct area {
	uint64_t counter;
	uint32_t go;      /* both processes start together */
	uint32_t arrived;
	uint64_t result[2][3]; /* per side: mean, p50, p99 (ns) */
};

static struct hipc_shm shm;

static void die(const char *what, int err)
{
	fprintf(stderr, "hipc-spinlock-bench: %s: %s\n", what, hipc_strerror(err));
	exit(1);
}

static void yield(void *arg)
{
	(void)arg;
	sched_yield();
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static struct area *area(void)
{
	return (struct area *)(shm.base + AREA_OFF);
}

/* A set on the region's words; @link: NULL for no port. */
static void set_open(struct hipc_spinlock_set *set, struct hipc_link *link,
		     uint32_t me, uint32_t peer)
{
	struct hipc_spinlock_cfg cfg = {
		.base = shm.base + WORDS_OFF, .count = HIPC_SPINLOCK_MAX,
		.owner = me, .peers = &peer, .npeers = 1, .relax = yield,
		.port = link ? hipc_link_port(link) : NULL,
	};
	int ret = hipc_spinlock_init(set, &cfg);

	if (ret)
		die("init", ret);
}

static struct hipc_link *link_open(unsigned side, int efd_in, int efd_out)
{
	struct hipc_link *l;
	int ret = hipc_link_new(&l, (struct hipc_link_shared *)shm.base, side,
				efd_in, efd_out, HIPC_LINK_IRQ, 0);

	if (ret)
		die("link", ret);
	return l;
}

/* ns per trylock + unlock pair. */
static uint64_t uncontended(struct hipc_spinlock_set *set, unsigned long n)
{
	uint64_t t0 = hipc_now_ns();

	for (unsigned long i = 0; i < n; i++) {
		if (hipc_spinlock_trylock(set, 3) || hipc_spinlock_unlock(set, 3))
			die("uncontended", -HIPC_EIO);
	}
	return (hipc_now_ns() - t0) / n;
}

/* One side of a contended run: lock() latencies, mean/p50/p99 to the area. */
static void hammer(unsigned side, unsigned long n, uint64_t *lat)
{
	struct hipc_spinlock_set set;
	struct area *a = area();
	uint64_t sum = 0;

	set_open(&set, NULL, side + 1, 2 - side);
	__atomic_fetch_add(&a->arrived, 1u, __ATOMIC_ACQ_REL);
	while (!__atomic_load_n(&a->go, __ATOMIC_ACQUIRE))
		;
	for (unsigned long i = 0; i < n; i++) {
		uint64_t t0 = hipc_now_ns();
		int ret = hipc_spinlock_lock(&set, 9, 1000000u);

		lat[i] = hipc_now_ns() - t0;
		if (ret)
			die("lock", ret);
		a->counter++;
		hipc_spinlock_unlock(&set, 9);
		sum += lat[i];
	}
	a->result[side][0] = sum / n;
	qsort(lat, n, sizeof(*lat), cmp_u64);
	a->result[side][1] = lat[n / 2];
	a->result[side][2] = lat[n * 99 / 100];
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000ul;
	uint64_t bare[MAX_RUNS], ported[MAX_RUNS], mean[MAX_RUNS], p50[MAX_RUNS],
		p99[MAX_RUNS];
	struct hipc_spinlock_set set;
	struct hipc_link *link;
	uint64_t *lat;
	int ret;

	if (runs < 1 || runs > MAX_RUNS || n == 0) {
		fprintf(stderr, "usage: %s [runs 1-%d] [iterations]\n", argv[0],
			MAX_RUNS);
		return 2;
	}
	lat = malloc(n * sizeof(*lat));
	if (!lat)
		die("malloc", -HIPC_ENOMEM);
	ret = hipc_shm_create(&shm, "spinlock-bench", REGION);
	if (ret)
		die("shm", ret);
	hipc_link_shared_init((struct hipc_link_shared *)shm.base);
	link = link_open(HIPC_SIDE_HOST, eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
			 eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));

	for (int r = 0; r < runs; r++) {
		set_open(&set, NULL, 1, 2);
		bare[r] = uncontended(&set, n);
		set_open(&set, link, 1, 2);
		ported[r] = uncontended(&set, n);
	}

	for (int r = 0; r < runs; r++) {
		struct area *a = area();
		int status;
		pid_t pid;

		a->counter = 0;
		a->go = 0;
		a->arrived = 0;
		pid = fork();
		if (pid < 0)
			die("fork", -HIPC_EAGAIN);
		if (pid == 0) {
			hammer(1, n, lat);
			_exit(0);
		}
		while (__atomic_load_n(&a->arrived, __ATOMIC_ACQUIRE) != 1)
			sched_yield();
		__atomic_store_n(&a->go, 1u, __ATOMIC_RELEASE);
		hammer(0, n, lat);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0 || a->counter != 2 * n)
			die("contended run", -HIPC_EIO);
		mean[r] = (a->result[0][0] + a->result[1][0]) / 2;
		p50[r] = (a->result[0][1] + a->result[1][1]) / 2;
		p99[r] = (a->result[0][2] + a->result[1][2]) / 2;
	}

	printf("spinlock, medians of %d runs of %lu iterations\n", runs, n);
	printf("  uncontended trylock+unlock, no port:        %4llu ns\n",
	       (unsigned long long)median(bare, runs));
	printf("  uncontended trylock+unlock, link port:      %4llu ns\n",
	       (unsigned long long)median(ported, runs));
	printf("  contended lock(), 2 processes, 1 lock: mean %4llu ns, "
	       "p50 %llu ns, p99 %llu ns (timer included)\n",
	       (unsigned long long)median(mean, runs),
	       (unsigned long long)median(p50, runs),
	       (unsigned long long)median(p99, runs));
	hipc_link_free(link);
	hipc_shm_close(&shm);
	free(lat);
	return 0;
}
