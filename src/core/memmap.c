/* SPDX-License-Identifier: BSD-3-Clause */
#include "hipc/memmap.h"

#include "hipc_internal.h"

void *hipc_memmap_to_va(const struct hipc_memmap *map, uint64_t addr,
			size_t len)
{
	if (!map)
		return NULL;
	for (unsigned i = 0; i < map->count; i++) {
		const struct hipc_region *r = &map->regions[i];

		/* Written as subtractions so that no sum can wrap. */
		if (addr < r->da || addr - r->da > r->size)
			continue;
		if (len > r->size - (addr - r->da))
			continue;
		return r->va + (addr - r->da);
	}
	return NULL;
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
