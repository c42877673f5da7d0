/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fault-injection suite's firmware (fault_proto.h): checks every
 * message the host sends (CRC32C, in order, exactly once), answers each
 * with a message of its own (its own sequence, the host's as ack, its
 * counters), and on FP_FLIP turns hostile: corrupts a shared index or used
 * entry the way a broken or malicious remote would, rings the host, and
 * never touches the rings again (the host must catch it and restart us).
 *
 * Faults of its own come from HIPC_FAULTS in its environment (the host
 * passes HIPC_FAULTS_REMOTE on as that, docs/faults.md).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hipc/linux.h"
#include "hipc/remote.h"
#include "hipc/rsc.h"
#include "fault_proto.h"

HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096, HIPC_RSC_F_NS);

static struct hipc_rpmsg_ept ept;
static struct hipc_rpmsg_dev *the_dev;
static uint64_t next_in, next_out;
static bool have_first;
static uint32_t bad;

static void put16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Write into the rings as a hostile remote would, ring, and stop. */
static void turn_hostile(uint64_t how)
{
	struct hipc_rpmsg_dev *d = the_dev;
	unsigned kind = (unsigned)(how % FP_FLIP_KINDS);
	/* a bit above log2(num) + 1: an index that far off can never be
	 * told from a real one by distance alone otherwise */
	unsigned bit = 9u + (unsigned)((how / FP_FLIP_KINDS) % 7u);
	struct hipc_vring *vr = &d->vr[kind == FP_FLIP_TX_USED_IDX ? 1 : 0];
	uint16_t idx = vr->next_idx;
	uint8_t *e = vr->used + 4u + 8u * (idx & (vr->num - 1u));

	hipc_remote_trace("faults-fw: hostile, kind %u bit %u\n", kind, bit);
	switch (kind) {
	case FP_FLIP_RX_USED_IDX:
	case FP_FLIP_TX_USED_IDX:
		put16(vr->used + 2, (uint16_t)(idx ^ (1u << bit)));
		break;
	case FP_FLIP_RX_USED_ID:
		put32(e, vr->num + 5u);
		put32(e + 4, 16);
		put16(vr->used + 2, (uint16_t)(idx + 1u));
		break;
	default:
		put32(e, 0);
		put32(e + 4, 0xffff0000u);
		put16(vr->used + 2, (uint16_t)(idx + 1u));
		break;
	}
	d->cfg.port->ops->notify(d->cfg.port->ctx, d->cfg.notifyid[0]);
	d->cfg.port->ops->notify(d->cfg.port->ctx, d->cfg.notifyid[1]);
	/* Nothing of ours may repair the damage before the host sees it. */
	for (;;)
		pause();
}

static int on_msg(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	struct hipc_fault_stats fs;
	struct hipc_link_stats ls;
	struct fp_msg in, out;
	size_t n;
	int ret;

	(void)priv;
	if (fp_check(&in, data, len)) {
		bad++;
		hipc_remote_trace("faults-fw: broken message (%zu bytes)\n", len);
		return 0;
	}
	if (in.kind == FP_FLIP)
		turn_hostile(in.seq);
	if (in.kind != FP_DATA) {
		bad++;
		return 0;
	}
	/* The host's sequence runs on across our restarts: the first one a
	 * session sees is where it starts. */
	if (!have_first) {
		have_first = true;
		next_in = in.seq;
	}
	if (in.seq != next_in) {
		bad++;
		hipc_remote_trace("faults-fw: seq %llu, want %llu\n",
				  (unsigned long long)in.seq,
				  (unsigned long long)next_in);
		if (in.seq < next_in)
			return 0; /* a duplicate: never answered twice */
	}
	next_in = in.seq + 1;
	memset(&out, 0, sizeof(out));
	memset(&ls, 0, sizeof(ls));
	hipc_faults_get(&fs);
	hipc_remote_link_stats(&ls);
	out.ack = in.seq;
	out.bad = bad;
	out.f_drop = (uint32_t)fs.doorbells_dropped;
	out.f_dup = (uint32_t)fs.doorbells_duplicated;
	out.f_delay = (uint32_t)fs.doorbells_delayed;
	out.rechecks = (uint32_t)ls.rechecks;
	out.recoveries = (uint32_t)ls.recoveries;
	n = fp_fill(&out, FP_DATA, next_out, 0x5a);
	/* Bounded: a host that stopped draining costs us the message (the
	 * host sees the gap), never the loop. */
	ret = hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, &out, n, 5000);
	if (ret < 0)
		hipc_remote_trace("faults-fw: answer %llu failed: %d\n",
				  (unsigned long long)next_out, ret);
	else
		next_out++;
	return 0;
}

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)ctx;
	the_dev = dev;
	return hipc_rpmsg_ept_create(&ept, dev, FP_SERVICE, HIPC_RPMSG_ADDR_ANY,
				     HIPC_RPMSG_ADDR_ANY, on_msg, NULL);
}

static const struct hipc_firmware fw = {
	.name = "faults",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
};

HIPC_FIRMWARE_MAIN(fw)
