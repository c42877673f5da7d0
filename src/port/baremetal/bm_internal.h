/* SPDX-License-Identifier: BSD-3-Clause */
/* Private declarations shared by the bare-metal port's files. */
#ifndef HIPC_BM_INTERNAL_H
#define HIPC_BM_INTERNAL_H

#include <stddef.h>

#include "hipc/baremetal.h"

#if HIPC_BM_MBOX_MODEL
extern const struct hipc_mbox_hw_ops hipc__bm_mbox_hw_ops;
#endif

/* The notify op (bm_mbox.c). */
int hipc__bm_notify(void *ctx, uint32_t notifyid);

/*
 * Retry the doorbells that wait for room in the TX FIFO; interrupts masked
 * by the caller.  Return: nonzero when one still waits and no interrupt
 * will retry it, so the caller must not sleep.
 */
uint32_t hipc__bm_tx_retry(struct hipc_bm *bm);

/* Set @irq's bit in the NVIC bit array at @reg (ISER, ISPR, ...). */
void hipc__bm_nvic_set(uintptr_t reg, unsigned irq);

/*
 * Data-cache maintenance (Cortex-M7 and other cores with a D-cache): built
 * when HIPC_BM_DCACHE is 1.  A Cortex-M4 has no data cache, so the port hands
 * the core NULL ops and the core skips the calls altogether.
 */
#ifndef HIPC_BM_DCACHE
#define HIPC_BM_DCACHE 0
#endif

#if HIPC_BM_DCACHE
void hipc__bm_cache_clean(void *ctx, const void *addr, size_t len);
void hipc__bm_cache_invalidate(void *ctx, const void *addr, size_t len);
#endif

#endif
