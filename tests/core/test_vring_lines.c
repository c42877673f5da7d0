/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which ring entries a lap writes, seen from outside (host only: fork and
 * mprotect).  A ring of 256 entries, whose descriptor table fills its
 * first page alone, lives in memory shared with a child that runs one lap,
 * makes that page read-only and runs three more.  A write to the page
 * kills the child: its SIGSEGV handler exits 42, a child that wrote
 * nothing exits 0.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hipc/config.h"
#include "hipc/memmap.h"
#include "hipc/port.h"
#include "hipc/vring.h"
#include "hipc_test.h"

#define NUM 256u
#define PG 4096u
#define BUFSZ 128u
#define DA_BASE 0x80000000u
#define WROTE 42

static uint8_t bufs[2][BUFSZ] __attribute__((aligned(16)));
static struct hipc_vring_slot slots[NUM];
static struct hipc_region reg = { .da = DA_BASE, .va = bufs[0],
				  .size = sizeof(bufs) };
static struct hipc_memmap map = { &reg, 1 };

static void wrote(int sig)
{
	(void)sig;
	_exit(WROTE);
}

static void no_cache_op(void *ctx, const void *addr, size_t len)
{
	(void)ctx, (void)addr, (void)len;
}

/* The child's laps; returns its exit status (1: a call failed). */
static int laps(uint8_t *mem, const struct hipc_port *port)
{
	struct hipc_vring d, v;
	struct sigaction sa;
	uint16_t head;
	uint32_t len;
	void *buf;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wrote;
	if (sigaction(SIGSEGV, &sa, NULL) ||
	    hipc_vring_init(&d, HIPC_VRING_DRIVER, mem, NUM, PG, slots, NULL,
			    port, false) ||
	    hipc_vring_init(&v, HIPC_VRING_DEVICE, mem, NUM, PG, NULL, &map,
			    port, false))
		return 1;
	for (int lap = 0; lap < 4; lap++) {
		if (lap == 1 && mprotect(mem, PG, PROT_READ))
			return 1;
		if (hipc_vring_add(&d, DA_BASE + BUFSZ, BUFSZ, true, bufs[1]) ||
		    hipc_vring_get_avail(&v, true, &head, &buf, &len) ||
		    buf != bufs[1] || hipc_vring_put_used(&v, head, 8) ||
		    hipc_vring_get_used(&d, &len) != bufs[1] || len != 8)
			return 1;
	}
	return 0;
}

static int laps_on_readonly_descriptors(const struct hipc_port *port)
{
	size_t size = (hipc_vring_size(NUM, PG) + PG - 1) / PG * PG;
	uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st;
	pid_t pid;

	CHECK(mem != MAP_FAILED);
	/* The descriptor table is the first page, and only it. */
	CHECK_EQ(16u * NUM, PG);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(laps(mem, port));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(munmap(mem, size), 0);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

HIPC_TEST(settled_descriptors_written_only_without_cache_ops)
{
	static const struct hipc_port_ops inval_only = {
		.cache_invalidate = no_cache_op
	};
	static const struct hipc_port_ops clean_only = {
		.cache_clean = no_cache_op
	};
	struct hipc_port inval = { .ops = &inval_only };
	struct hipc_port clean = { .ops = &clean_only };

	/* Coherent memory: the descriptor holds the right bytes already,
	 * and is left alone when the core spares lines. */
	CHECK_EQ(laps_on_readonly_descriptors(NULL),
		 HIPC_CFG_SPARE_LINES ? 0 : WROTE);
	/* Either cache operation: our copy may not be what memory holds,
	 * so every lap writes. */
	CHECK_EQ(laps_on_readonly_descriptors(&inval), WROTE);
	CHECK_EQ(laps_on_readonly_descriptors(&clean), WROTE);
}

HIPC_TEST_MAIN(HIPC_CASE(settled_descriptors_written_only_without_cache_ops))
