// SPDX-License-Identifier: BSD-3-Clause
/*
 * Proves the target test harness: printf over semihosting, exit codes back
 * to the host, the core linked and callable, the memory the tests get.
 */
#include <stdint.h>

#include "hipc/error.h"
#include "hipc/vring.h"
#include "hipc_test.h"

HIPC_TEST(core_links)
{
	CHECK(strcmp(hipc_strerror(-HIPC_EINVAL), "invalid argument") == 0);
	CHECK_EQ(hipc_vring_size(256, 16), 6678); /* as <linux/virtio_ring.h> */
}

#ifndef HIPC_TEST_CPU_PART
#define HIPC_TEST_CPU_PART 0xC24
#endif

HIPC_TEST(runs_on_target_cpu)
{
	uint32_t cpuid = *(volatile uint32_t *)0xE000ED00u;

	/* CPUID: implementer Arm (0x41), then the part number the build
	 * expects (0xC24 = Cortex-M4, 0xC27 = Cortex-M7). */
	printf("CPUID 0x%08lx\n", (unsigned long)cpuid);
	CHECK_EQ(cpuid >> 24, 0x41);
	CHECK_EQ((cpuid >> 4) & 0xFFF, HIPC_TEST_CPU_PART);
}

HIPC_TEST(big_static_buffers)
{
	/* The core tests keep a 256 x 512 B pool per direction plus rings
	 * in static storage: make sure that much RAM is there. */
	static uint8_t pool[2 * 256 * 512 + 64 * 1024];

	memset(pool, 0xA5, sizeof(pool));
	CHECK_EQ(pool[sizeof(pool) - 1], 0xA5);
}

/* Not registered with CTest: m4-test.sh runs it and expects exit code 1,
 * which proves a failing CHECK reaches the host as a failure. */
static void hipc_test_expected_failure(void)
{
	CHECK_EQ(1, 2);
}

HIPC_TEST_MAIN(HIPC_CASE(core_links), HIPC_CASE(runs_on_target_cpu),
	       HIPC_CASE(big_static_buffers), HIPC_CASE(expected_failure))
