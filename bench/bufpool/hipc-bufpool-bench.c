/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hipc-bufpool-bench: the cost of the pool's own bookkeeping and of its
 * CRC32C, with the host and the remote views in one process (no rpmsg, no
 * doorbell: the reference is handed from one view to the other directly).
 *
 *   hipc-bufpool-bench [REFS [BUF_SIZE]]     defaults: 1000000 4096
 *
 * Prints, as medians of 5 runs: references per second for
 * alloc -> send -> receive -> release (no CRC, and with CRC32C over the
 * whole buffer), and CRC32C in MB/s (10^6 bytes) over BUF_SIZE blocks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hipc/bufpool.h"

#define RUNS 5
#define COUNT 64u
#define ALIGN 64u

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(*v), cmp);
	return v[RUNS / 2];
}

/* One run: @refs references host -> remote; seconds taken. */
static double run(uint8_t *shm, size_t size, uint32_t buf_size,
		  unsigned long refs, uint32_t flags)
{
	static struct hipc_bufpool_slot hs[COUNT], rs[COUNT];
	struct hipc_bufpool host, remote;
	struct hipc_bufpool_config c = {
		.role = HIPC_BUFPOOL_ROLE_HOST, .pool_id = 1, .count = COUNT,
		.host_count = COUNT, .buf_size = buf_size, .align = ALIGN,
		.shm = shm, .shm_size = size, .slots = hs,
	};
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;
	double t0;
	void *b;
	int i;

	if (hipc_bufpool_init(&host, &c) != 0)
		exit(1);
	c.role = HIPC_BUFPOOL_ROLE_REMOTE;
	c.slots = rs;
	if (hipc_bufpool_init(&remote, &c) != 0)
		exit(1);
	t0 = now();
	for (unsigned long n = 0; n < refs; n++) {
		i = hipc_bufpool_alloc(&host, &b);
		if (i < 0 ||
		    hipc_bufpool_send(&host, (uint32_t)i, 0, buf_size, flags,
				      &ref) != 0 ||
		    hipc_bufpool_receive(&remote, &ref, sizeof(ref), &rx) != i ||
		    hipc_bufpool_release(&remote, rx.index, rx.generation) != 0) {
			fprintf(stderr, "hipc-bufpool-bench: reference %lu failed\n", n);
			exit(1);
		}
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	unsigned long refs = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000ul;
	uint32_t buf_size = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 4096u;
	size_t size;
	uint8_t *shm;
	double t[RUNS], t_crc[RUNS], t_sum[RUNS];
	volatile uint32_t sink = 0;

	if (refs == 0 || buf_size == 0 || buf_size % ALIGN) {
		fprintf(stderr, "usage: hipc-bufpool-bench [REFS [BUF_SIZE (a multiple of %u)]]\n",
			ALIGN);
		return 2;
	}
	size = HIPC_BUFPOOL_SHM_SIZE(COUNT, buf_size, ALIGN);
	shm = aligned_alloc(ALIGN, (size + ALIGN - 1) / ALIGN * ALIGN);
	if (!shm)
		return 1;
	memset(shm, 0x3C, size);
	for (int r = 0; r < RUNS; r++) {
		t[r] = run(shm, size, buf_size, refs, 0);
		t_crc[r] = run(shm, size, buf_size, refs / 10 + 1, HIPC_BUFPOOL_F_CRC);
		double t0 = now();
		for (unsigned long n = 0; n < refs / 10 + 1; n++)
			sink += hipc_crc32c(sink, shm + size - buf_size,
					    buf_size);
		t_sum[r] = now() - t0;
	}
	printf("buffer %u B, %u buffers, medians of %d runs\n", buf_size, COUNT, RUNS);
	printf("alloc+send+receive+release, no CRC:   %.0f references/s (%.1f ns each)\n",
	       (double)refs / median(t), median(t) * 1e9 / (double)refs);
	printf("alloc+send+receive+release, CRC32C:   %.0f references/s (%.1f ns each)\n",
	       (double)(refs / 10 + 1) / median(t_crc),
	       median(t_crc) * 1e9 / (double)(refs / 10 + 1));
	printf("CRC32C (hipc_crc32c, 1 KiB table):    %.0f MB/s\n",
	       (double)(refs / 10 + 1) * buf_size / median(t_sum) / 1e6);
	free(shm);
	return 0;
}
