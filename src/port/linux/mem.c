/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Linux side's memory for the core's own tables (struct hipc_mem_ops):
 * the C heap.
 */
#include <stdlib.h>

#include "hipc/linux.h"

static void *mem_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void mem_free(void *ctx, void *p, size_t size)
{
	(void)ctx;
	(void)size;
	free(p);
}

const struct hipc_mem_ops hipc_linux_mem = {
	.alloc = mem_alloc,
	.free = mem_free,
};
