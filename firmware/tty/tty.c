/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TTY peer firmware: announces "rpmsg-tty" and sends every byte it gets
 * back to its sender, in order, never dropping any: the far end of
 * RUN_DIR/REMOTE/ttyRPMSGN (docs/iface-tty.md).
 *
 * A message it cannot echo at once (the host has no rx buffer free for
 * us: its reader is slow) is kept in its buffer (HIPC_RPMSG_HOLD) and
 * sent from the loop, oldest first.  With every hold slot in use the core
 * stops taking the host's messages, so the host runs out of tx buffers
 * and its writer blocks: back-pressure end to end.
 *
 * Options (before the runtime's own):
 *   --old-name      announce "rpmsg-tty-channel" (the older name) instead
 *   --both          announce both names, two ttys echoing independently
 *   --cycle-after N once N bytes are echoed, withdraw the service and
 *                   announce it again (once): the host's tty hangs up
 *                   and comes back while the remote runs on
 *   --slow-us N     spend N us on every message before echoing it: a
 *                   consumer slower than the host's writer
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hipc/config.h"
#include "hipc/error.h"
#include "hipc/remote.h"
#include "hipc/rsc.h"

#if !HIPC_CFG_ZEROCOPY
#error "firmware/tty keeps messages it cannot echo yet in their buffers (HIPC_RPMSG_HOLD): it needs HIPC_CFG_ZEROCOPY"
#endif

HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096, HIPC_RSC_F_NS);

/* How long one send from the loop waits for a buffer before the loop gets
 * control back (shutdown, resets): short, it sleeps on the doorbell. */
#define LOOP_SEND_MS 50u

struct held {
	struct hipc_rpmsg_ept *ept; /* the one it came to, and goes back from */
	void *data;
	size_t len;
	uint32_t src;
};

static struct hipc_rpmsg_ept ept, ept2;
static const char *service = "rpmsg-tty";
static int both;
static unsigned long long cycle_after;
static int cycle_pending, cycled;
static unsigned long slow_us;
/* Echoes waiting for a buffer, oldest at @head: at most one per hold
 * slot, since the core delivers nothing more while all are in use. */
static struct held fifo[HIPC_RPMSG_HOLD_SLOTS];
static unsigned head, count;
static unsigned long long echoed_bytes, waited;

static void spend(unsigned long us)
{
	struct timespec ts = { (time_t)(us / 1000000u),
			       (long)(us % 1000000u) * 1000 };

	/* Simulated work, not synchronisation: a slow core. */
	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) != 0)
		;
}

static int on_msg(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	struct held *h;
	int ret;

	(void)priv;
	if (slow_us)
		spend(slow_us);
	if (!count) {
		ret = hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data, len,
					 HIPC_RPMSG_NO_WAIT);
		if (ret >= 0) {
			echoed_bytes += len;
			if (cycle_after && !cycled && echoed_bytes >= cycle_after)
				cycle_pending = 1;
			return 0;
		}
		if (ret != -HIPC_EAGAIN) {
			hipc_remote_trace("tty: echo to 0x%x failed: %d\n",
					  (unsigned)src, ret);
			return 0;
		}
	}
	if (count == HIPC_RPMSG_HOLD_SLOTS) {
		/* The core pauses delivery before this; if it did not, wait
		 * here (bounded) rather than reorder or drop. */
		ret = hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data,
					 len, 5000);
		if (ret < 0)
			hipc_remote_trace("tty: echo to 0x%x failed: %d\n",
					  (unsigned)src, ret);
		return 0;
	}
	waited++;
	h = &fifo[(head + count) % HIPC_RPMSG_HOLD_SLOTS];
	h->ept = e;
	h->data = data;
	h->len = len;
	h->src = src;
	count++;
	return HIPC_RPMSG_HOLD;
}

/* Sends what waits.  Returns > 0 while something waits, so the loop does
 * not sleep past it: each send here sleeps on the host's doorbell. */
static int poll_cb(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)ctx;
	if (cycle_pending && !count) {
		/* Withdrawn (a name-service destroy), then announced anew. */
		cycle_pending = 0;
		cycled = 1;
		hipc_remote_trace("tty: %llu bytes echoed, withdrawing %s\n",
				  echoed_bytes, service);
		hipc_rpmsg_ept_destroy(&ept);
		if (hipc_rpmsg_ept_create(&ept, dev, service,
					  HIPC_RPMSG_ADDR_ANY,
					  HIPC_RPMSG_ADDR_ANY, on_msg, NULL))
			hipc_remote_trace("tty: could not announce again\n");
		return 1;
	}
	while (count) {
		struct held *h = &fifo[head];
		int ret = hipc_rpmsg_send_ex(h->ept, HIPC_RPMSG_ADDR_ANY,
					     h->src, h->data, h->len,
					     LOOP_SEND_MS);

		if (ret == -HIPC_ETIMEDOUT || ret == -HIPC_EAGAIN)
			return 1;
		if (ret < 0)
			hipc_remote_trace("tty: echo to 0x%x failed: %d\n",
					  (unsigned)h->src, ret);
		else
			echoed_bytes += h->len;
		if (cycle_after && !cycled && echoed_bytes >= cycle_after)
			cycle_pending = 1;
		hipc_rpmsg_release_rx(dev, h->data);
		head = (head + 1) % HIPC_RPMSG_HOLD_SLOTS;
		count--;
	}
	return 0;
}

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	int ret;

	(void)ctx;
	head = count = 0;
	hipc_remote_trace("tty: up, announcing %s%s%s\n", service,
			  both ? " and rpmsg-tty-channel" : "",
			  slow_us ? " (slow)" : "");
	ret = hipc_rpmsg_ept_create(&ept, dev, service, HIPC_RPMSG_ADDR_ANY,
				    HIPC_RPMSG_ADDR_ANY, on_msg, NULL);
	if (ret || !both)
		return ret;
	return hipc_rpmsg_ept_create(&ept2, dev, "rpmsg-tty-channel",
				     HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				     on_msg, NULL);
}

static void stop(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)dev;
	(void)ctx;
	/* The device goes away with the buffers: nothing to give back. */
	head = count = 0;
	hipc_remote_trace("tty: host gone, echoed %llu bytes, %llu waited\n",
			  echoed_bytes, waited);
}

static const struct hipc_firmware fw = {
	.name = "tty",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
	.stop = stop,
	.poll = poll_cb,
};

int main(int argc, char **argv)
{
	int n = 1;

	for (; n < argc; n++) {
		if (!strcmp(argv[n], "--old-name"))
			service = "rpmsg-tty-channel";
		else if (!strcmp(argv[n], "--both"))
			both = 1;
		else if (!strcmp(argv[n], "--cycle-after") && n + 1 < argc)
			cycle_after = strtoull(argv[++n], NULL, 10);
		else if (!strcmp(argv[n], "--slow-us") && n + 1 < argc)
			slow_us = strtoul(argv[++n], NULL, 10);
		else
			break;
	}
	/* The runtime sees its own options only. */
	argv[n - 1] = argv[0];
	return hipc_remote_main(&fw, argc - (n - 1), argv + (n - 1));
}
