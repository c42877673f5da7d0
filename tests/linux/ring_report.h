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

static inline unsigned ring_rd16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static inline void ring_report(const struct hipc_rpmsg_dev *dev)
{
	for (unsigned q = 0; q < 2; q++) {
		struct hipc_vring_info i;
		const uint8_t *avail, *used;

		if (hipc_rpmsg_ring_info(dev, q, &i) || !i.avail || !i.used) {
			printf("  vring %u: not set up\n", q);
			continue;
		}
		avail = i.avail;
		used = i.used;
		/* Legacy layout: the event words follow the rings. */
		printf("  vring %u: produced %u consumed %u notified %u cb %d "
		       "pending %u errors %u | avail flags %u idx %u "
		       "used_event %u | used flags %u idx %u avail_event %u\n",
		       q, i.produced, i.consumed, i.notified, i.cb_enabled,
		       i.pending, i.errors, ring_rd16(avail),
		       ring_rd16(avail + 2), ring_rd16(avail + 4 + 2 * i.num),
		       ring_rd16(used), ring_rd16(used + 2),
		       ring_rd16(used + 4 + 8 * i.num));
	}
}

#endif
