/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * "hipc-sink", as the echo and benchmark firmwares serve it
 * (docs/bench-protocol.md): every message counted, messages and bytes; an
 * empty one asks for the totals, answered with 16 bytes (the two counts,
 * u64 little-endian), and the counts restart.
 */
#ifndef HIPC_FW_SINK_H
#define HIPC_FW_SINK_H

#include "hipc/byteorder.h"
#include "hipc/remote.h"

struct sink_counts {
	uint64_t msgs, bytes;
};

/* One message of @len bytes from @src to @s's endpoint @e; @fw names the
 * firmware in the trace. */
static inline void sink_rx(struct sink_counts *s, struct hipc_rpmsg_ept *e,
			   size_t len, uint32_t src, const char *fw)
{
	uint8_t totals[16];

	if (len) {
		s->msgs++;
		s->bytes += len;
		return;
	}
	hipc_put_le64(totals, s->msgs);
	hipc_put_le64(totals + 8, s->bytes);
	s->msgs = s->bytes = 0;
	/* A bounded wait, as the echo's: never hang the loop on a dead
	 * host. */
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, totals,
			       sizeof(totals), 5000) < 0)
		hipc_remote_trace("%s: sink totals to 0x%x lost\n", fw,
				  (unsigned)src);
}

#endif
