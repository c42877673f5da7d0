/* SPDX-License-Identifier: BSD-3-Clause */
#include "hipc/memmap.h"

#include "hipc_internal.h"

void *hipc__memmap_va(const struct hipc_memmap *map, size_t len,
		      uint64_t addr)
{
	for (unsigned i = 0; map && i < map->count; i++) {
		const struct hipc_region *r = &map->regions[i];
		uint64_t off = addr - r->da;

		/* Written as subtractions so that no sum can wrap.  An
		 * address below the region wraps @off past any size a region
		 * can have (its end stays below 2^64, memmap.h), so the one
		 * compare covers both ends. */
		if (off <= r->size && len <= r->size - (size_t)off)
			return r->va + (size_t)off;
	}
	return NULL;
}

void *hipc_memmap_to_va(const struct hipc_memmap *map, uint64_t addr,
			size_t len)
{
	return hipc__memmap_va(map, len, addr);
}

int hipc_memmap_to_da(const struct hipc_memmap *map, const void *va,
		      size_t len, uint64_t *da)
{
	uintptr_t p = (uintptr_t)va;

	if (!map || !da)
		return -HIPC_EINVAL;
	for (unsigned i = 0; i < map->count; i++) {
		const struct hipc_region *r = &map->regions[i];
		uintptr_t base = (uintptr_t)r->va;

		if (p < base || p - base > r->size)
			continue;
		if (len > r->size - (p - base))
			continue;
		*da = r->da + (p - base);
		return 0;
	}
	return -HIPC_ERANGE;
}
