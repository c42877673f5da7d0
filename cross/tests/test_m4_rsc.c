/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Resource-table declarations that only a 32-bit target can compile: the
 * trace buffer at a fixed device address (its own address), as an MCU
 * image on a real board declares it.
 */
#include <stdint.h>

#include "hipc/error.h"
#include "hipc/rsc.h"
#include "hipc_test.h"

static char trace_buf[512];

HIPC_RSC_TABLE_RPMSG_TRACE_AT(at_table, 64, 512, trace_buf, HIPC_RSC_F_NS);

HIPC_TEST(trace_at_fixed_address)
{
	struct hipc_rsc_error err;
	size_t off = 0;

	CHECK_EQ(hipc_rsc_validate(&at_table, sizeof(at_table), &err), 0);
	CHECK_EQ(hipc_rsc_find(&at_table, sizeof(at_table), HIPC_RSC_TRACE, 0,
			       &off),
		 0);
	CHECK(off > 0);
	CHECK_EQ(at_table.trace.da, (uint32_t)(uintptr_t)trace_buf);
	CHECK_EQ(at_table.trace.len, sizeof(trace_buf));
	/* everything else as the plain macro: the host assigns the rings */
	CHECK_EQ(at_table.vring[0].da, HIPC_FW_RSC_ADDR_ANY);
	CHECK_EQ(at_table.vring[1].num, 64);
	CHECK_EQ(at_table.cfg.buf_size, 512);
}

HIPC_TEST_MAIN(HIPC_CASE(trace_at_fixed_address))
