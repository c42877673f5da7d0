/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address translation for peer-supplied addresses.
 *
 * A descriptor carries the driver's address for a buffer: a physical address
 * on an SoC, an offset into the region in the host simulation, a guest
 * physical address under vhost-user.  The core turns such an address into a
 * pointer only through this table, and only if the whole [addr, addr+len)
 * lies inside one region.
 */
#ifndef HIPC_MEMMAP_H
#define HIPC_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

#include "hipc/export.h"

/* A region's peer addresses [da, da + size) must end below 2^64. */
struct hipc_region {
	uint64_t da;   /* the address the peer uses */
	uint8_t *va;   /* where we see it */
	size_t size;
};

struct hipc_memmap {
	const struct hipc_region *regions;
	unsigned count;
};

/**
 * hipc_memmap_to_va() - translate a peer address range.
 * Return: a pointer to @addr, or NULL when [@addr, @addr + @len) is not
 * wholly inside one region (including on arithmetic overflow).
 * Context: any; pure function.
 */
HIPC_API void *hipc_memmap_to_va(const struct hipc_memmap *map, uint64_t addr,
				 size_t len);

/**
 * hipc_memmap_to_da() - translate one of our pointers to the peer's address.
 * Return: 0 and *@da set, or -HIPC_ERANGE when [@va, @va + @len) is not
 * inside one region.
 * Context: any; pure function.
 */
HIPC_API int hipc_memmap_to_da(const struct hipc_memmap *map, const void *va,
			       size_t len, uint64_t *da);

#endif
