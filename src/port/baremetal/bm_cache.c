// SPDX-License-Identifier: BSD-3-Clause
/*
 * Bare-metal port: data-cache maintenance by address for cores with a
 * D-cache (Cortex-M7: 32-byte lines).  Built only when HIPC_BM_DCACHE is 1;
 * on a Cortex-M4 the file is empty and the ops are NULL.
 */
#include "bm_internal.h"
#include "cm_regs.h"

#if HIPC_BM_DCACHE

/* Lines touched by [addr, addr + len), counted so that a range at the top
 * of the address space cannot make the loop wrap around. */
static uintptr_t hipc_bm_lines(uintptr_t first, const void *addr, size_t len)
{
	uintptr_t end = (uintptr_t)addr + len;
	uintptr_t span;

	if (end < (uintptr_t)addr)
		end = UINTPTR_MAX;
	span = end - first;
	return span / HIPC_CM_DCACHE_LINE + (span % HIPC_CM_DCACHE_LINE != 0);
}

void hipc__bm_cache_clean(void *ctx, const void *addr, size_t len)
{
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(HIPC_CM_DCACHE_LINE - 1u);
	uintptr_t n;

	(void)ctx;
	if (!len)
		return;
	/* Our stores to the range must have reached the cache before the
	 * clean reads the lines out. */
	hipc_cm_dsb();
	for (n = hipc_bm_lines(p, addr, len); n; n--, p += HIPC_CM_DCACHE_LINE)
		HIPC_CM_REG(HIPC_SCB_DCCMVAC) = (uint32_t)p;
	/* The write-back must be complete before the doorbell (or index
	 * store) that lets the peer read the range. */
	hipc_cm_dsb();
}

void hipc__bm_cache_invalidate(void *ctx, const void *addr, size_t len)
{
	uintptr_t start = (uintptr_t)addr;
	uintptr_t p = start & ~(uintptr_t)(HIPC_CM_DCACHE_LINE - 1u);
	uintptr_t n = hipc_bm_lines(p, addr, len);

	(void)ctx;
	if (!len)
		return;
	/* Earlier reads of the range are done before its lines go away. */
	hipc_cm_dsb();
	for (; n; n--, p += HIPC_CM_DCACHE_LINE) {
		/*
		 * A line the range only partly covers may hold our own dirty
		 * data next to it (a struct sharing the line): clean it as it
		 * is invalidated instead of throwing that data away.
		 */
		if (p < start || (n == 1 && (start + len) % HIPC_CM_DCACHE_LINE))
			HIPC_CM_REG(HIPC_SCB_DCCIMVAC) = (uint32_t)p;
		else
			HIPC_CM_REG(HIPC_SCB_DCIMVAC) = (uint32_t)p;
	}
	/* The invalidation completes before the loads that follow read the
	 * peer's data from memory. */
	hipc_cm_dsb();
}

#endif
