/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * For the stall reports of the multi-threaded tests: one device's two rings
 * as both sides see them (our indices, then the shared words).  Read while
 * the other threads may still run: a report, not a check.
 */
#ifndef HIPC_TEST_RING_REPORT_H
#define HIPC_TEST_RING_REPORT_H

#include <stdio.h>

#include "hipc/rpmsg.h"

static inline unsigned ring_rd16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static inline void ring_report(const struct hipc_rpmsg_dev *dev)
{
	for (unsigned q = 0; q < 2; q++) {
		const struct hipc_vring *vr = &dev->vr[q];
		unsigned num = vr->num;

		printf("  vring %u: next %u last %u kicked %u cb %d | avail "
		       "flags %u idx %u used_event %u | used flags %u idx %u "
		       "avail_event %u\n",
		       q, vr->next_idx, vr->last_idx, vr->kicked_idx,
		       vr->cb_enabled, ring_rd16(vr->avail),
		       ring_rd16(vr->avail + 2),
		       ring_rd16(vr->avail + 4 + 2 * num), ring_rd16(vr->used),
		       ring_rd16(vr->used + 2),
		       ring_rd16(vr->used + 4 + 8 * num));
	}
}

#endif
