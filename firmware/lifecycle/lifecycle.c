/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lifecycle firmware: what the remoteproc tests and hipcd need from a
 * remote beyond echo.
 *
 *   "rpmsg-client-sample"  echo, as firmware/echo
 *   "hipc-ctl"             text commands:
 *       "status"  -> "echoed=N starts=N pid=N p2p_ok=N p2p_bad=N"
 *       "hang"    -> "hanging", then stop servicing everything (mailbox
 *                 included), forever: a hung core, for the watchdog
 *       "exit"    exit at once with status 7, without a word to the host
 *       "p2p"     -> "ok=N bad=N dup=N gap=N resets=N unbinds=N lost=N
 *                     last=N link=N" (the peer link, see below)
 *       "ns NAME ADDR FLAGS"  send the host a name-service message of
 *                 our making, as is (a service announced again, one
 *                 withdrawn that never was): -> "ok" or "error N"
 *   static vrings  when the host gave us a peer link: the driver end sends
 *                  sequence-stamped, checksummed pings to address 1024 of
 *                  the peer, the device end sends each one back; both
 *                  count what arrived intact.  A ping carries the driver
 *                  process's pid, so a restarted driver (which starts its
 *                  sequence again from 0) is told apart from a duplicate.
 *                  The device end wants each driver's pings in order, one
 *                  apart (gap otherwise, dup if not newer); the driver end
 *                  wants its replies newer than the last one (dup
 *                  otherwise).  On a reset (the peer died) the pings in
 *                  flight are written off as lost and the driver's
 *                  sequence carries on where it was.
 *
 * Its counters live in process memory, so they survive a host detaching
 * and attaching again (the state that must carry over).
 *
 * Options (before the runtime's own):
 *   --ready-delay-ms N  take N ms in start(), so READY and the announcements
 *                       come that much later (a slow boot)
 *   --stop-delay-ms N   take N ms in stop(), so a host that takes the rings
 *                       back (detach, attach) waits that long for them
 *   --flood N           also announce N services "flood\tI" (a tab in each
 *                       name): a remote that names more services than a
 *                       host should keep, with names unfit for a log
 *   --gap-trace         trace, every 250 ms, the longest time the host
 *                       left us without a doorbell in that time (with the
 *                       host's watchdog on, a measure of how promptly the
 *                       host's loop runs)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/remote.h"
#include "hipc/rsc.h"

/* The name service only, like every hipc firmware unless it knows its
 * host maintains used_event (hipc/rsc.h, HIPC_RSC_F_EVENT_IDX). */
HIPC_RSC_TABLE_RPMSG(rsc_table, 256, 512, 4096, HIPC_RSC_F_NS);

#define P2P_ADDR 1024u
#define P2P_WINDOW 8u

static struct hipc_rpmsg_ept echo_ept, ctl_ept, p2p_ept;
static struct hipc_rpmsg_dev *p2p_dev;
static int p2p_driver = -1;
static unsigned long long echoed, starts, p2p_ok, p2p_bad, p2p_sent;
static unsigned long long p2p_dup, p2p_gap, p2p_resets, p2p_unbinds;
static unsigned long long p2p_lost, p2p_inflight, p2p_last;
static uint32_t p2p_last_inc; /* device end: the driver process last seen */
static unsigned ready_delay_ms, stop_delay_ms;
static int gap_trace;
static uint64_t gap_last_us, gap_max_us;
static int p2p_have_last;

struct ping {
	uint64_t seq;
	uint32_t sum;
	uint32_t inc; /* the sending driver process */
	uint8_t data[48];
};

static uint32_t sum32(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Over everything but the sum itself: seq and sender included. */
static uint32_t ping_sum(const struct ping *pg)
{
	struct ping t = *pg;

	t.sum = 0;
	return sum32((const uint8_t *)&t, sizeof(t));
}

static int on_echo(struct hipc_rpmsg_ept *e, void *data, size_t len,
		   uint32_t src, void *priv)
{
	(void)priv;
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data, len, 5000) >= 0)
		echoed++;
	return 0;
}

static int on_ctl(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	char cmd[32], out[160];
	int n;

	(void)priv;
	n = len < sizeof(cmd) - 1 ? (int)len : (int)sizeof(cmd) - 1;
	memcpy(cmd, data, (size_t)n);
	cmd[n] = 0;
	if (!strcmp(cmd, "hang")) {
		struct timespec ts = { 3600, 0 };

		hipc_remote_trace("lifecycle: hanging on purpose\n");
		/* The host times its watchdog from here, not from its send
		 * (we may run well after it on a busy machine). */
		hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, "hanging", 7,
				   1000);
		for (;;)
			nanosleep(&ts, NULL);
	}
	if (!strcmp(cmd, "exit"))
		_exit(7);
	if (!strncmp(cmd, "ns ", 3)) {
		uint8_t ns[40];
		char name[32];
		unsigned addr, flags;
		int r;

		memset(ns, 0, sizeof(ns));
		if (sscanf(cmd + 3, "%31s %x %u", name, &addr, &flags) != 3) {
			r = -HIPC_EINVAL;
		} else {
			memcpy(ns, name, strlen(name));
			hipc_put_le32(ns + 32, addr);
			hipc_put_le32(ns + 36, flags);
			r = hipc_rpmsg_send_offchannel(e, addr,
						       HIPC_RPMSG_NS_ADDR, ns,
						       sizeof(ns));
		}
		n = r < 0 ? snprintf(out, sizeof(out), "error %d", r)
			  : snprintf(out, sizeof(out), "ok");
		hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, out, (size_t)n,
				   1000);
		return 0;
	}
	if (!strcmp(cmd, "p2p")) {
		n = snprintf(out, sizeof(out),
			     "ok=%llu bad=%llu dup=%llu gap=%llu resets=%llu "
			     "unbinds=%llu lost=%llu last=%llu link=%d",
			     p2p_ok, p2p_bad, p2p_dup, p2p_gap, p2p_resets,
			     p2p_unbinds, p2p_lost, p2p_last,
			     p2p_ept.dev != NULL);
		hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, out, (size_t)n,
				   1000);
		return 0;
	}
	n = snprintf(out, sizeof(out),
		     "echoed=%llu starts=%llu pid=%d p2p_ok=%llu p2p_bad=%llu",
		     echoed, starts, (int)getpid(), p2p_ok, p2p_bad);
	hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, out, (size_t)n, 1000);
	return 0;
}

static int on_p2p(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	struct ping pg;

	(void)priv;
	if (len != sizeof(pg)) {
		p2p_bad++;
		return 0;
	}
	memcpy(&pg, data, sizeof(pg));
	if (ping_sum(&pg) != pg.sum || pg.data[0] != (uint8_t)pg.seq) {
		p2p_bad++;
		return 0;
	}
	if (p2p_driver) {
		/* Ours, and newer than anything seen back: a reply from an
		 * earlier session, or one delivered twice, is not. */
		if (pg.inc != (uint32_t)getpid() ||
		    (p2p_have_last && pg.seq <= p2p_last)) {
			p2p_dup++;
			return 0;
		}
		if (p2p_inflight)
			p2p_inflight--;
		p2p_last = pg.seq;
		p2p_have_last = 1;
		p2p_ok++;
		return 0;
	}
	/* Device end: a driver's pings arrive in order, each once. */
	if (p2p_have_last && pg.inc == p2p_last_inc) {
		if (pg.seq <= p2p_last) {
			p2p_dup++;
			return 0;
		}
		if (pg.seq != p2p_last + 1)
			p2p_gap++;
	}
	p2p_last = pg.seq;
	p2p_last_inc = pg.inc;
	p2p_have_last = 1;
	/* Send it back as it came. */
	if (hipc_rpmsg_send_ex(e, HIPC_RPMSG_ADDR_ANY, src, data, len,
			       HIPC_RPMSG_NO_WAIT) >= 0)
		p2p_ok++;
	return 0;
}

static void on_p2p_unbind(struct hipc_rpmsg_ept *e)
{
	(void)e;
	p2p_unbinds++;
}

static int p2p_start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	int ret;

	(void)ctx;
	p2p_dev = dev;
	p2p_driver = hipc_rpmsg_role(dev) == HIPC_RPMSG_DRIVER;
	hipc_remote_trace("lifecycle: peer link up (%s end)\n",
			  p2p_driver ? "driver" : "device");
	ret = hipc_rpmsg_ept_create(&p2p_ept, dev, NULL, P2P_ADDR, P2P_ADDR,
				    on_p2p, NULL);
	if (ret == 0)
		p2p_ept.unbind = on_p2p_unbind;
	return ret;
}

/* The peer went away: what was in flight will not come back. */
static void p2p_stop(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)dev;
	(void)ctx;
	p2p_resets++;
	p2p_lost += p2p_inflight;
	p2p_inflight = 0;
	hipc_remote_trace("lifecycle: peer link down, %llu in flight lost\n",
			  p2p_lost);
}

static uint64_t now_us(void)
{
	return hipc_now_ns() / 1000u;
}

/* Called on every pass of the runtime's loop, i.e. after every wake-up:
 * the longest time between two passes, traced once per 250 ms window. */
static void gap_note(void)
{
	static uint64_t window_start;
	uint64_t t = now_us();

	if (gap_last_us && t - gap_last_us > gap_max_us)
		gap_max_us = t - gap_last_us;
	gap_last_us = t;
	if (!window_start)
		window_start = t;
	if (t - window_start >= 250000u) {
		hipc_remote_trace("lifecycle: quiet spell max %llu us\n",
				  (unsigned long long)gap_max_us);
		gap_max_us = 0;
		window_start = t;
	}
}

/* Driver end: keep a few pings in flight. */
static int poll_cb(struct hipc_rpmsg_dev *dev, void *ctx)
{
	struct ping pg;
	int sent = 0;

	(void)dev;
	(void)ctx;
	static uint64_t last_ms;
	uint64_t ms;

	if (gap_trace)
		gap_note();
	if (p2p_driver != 1 || !p2p_ept.dev)
		return 0;
	/* A batch every 2 ms: a steady trickle, not two cores spinning. */
	ms = hipc_now_ns() / 1000000u;
	if (ms - last_ms < 2)
		return 0;
	last_ms = ms;
	while (p2p_inflight < P2P_WINDOW) {
		memset(&pg, 0, sizeof(pg));
		pg.seq = p2p_sent;
		pg.inc = (uint32_t)getpid();
		for (size_t i = 0; i < sizeof(pg.data); i++)
			pg.data[i] = (uint8_t)(pg.seq + i * 7u);
		pg.sum = ping_sum(&pg);
		if (hipc_rpmsg_send_ex(&p2p_ept, HIPC_RPMSG_ADDR_ANY, P2P_ADDR,
				       &pg, sizeof(pg), HIPC_RPMSG_NO_WAIT) < 0)
			break;
		p2p_sent++;
		p2p_inflight++;
		sent++;
	}
	/* Not "work done": the loop may sleep until the replies arrive. */
	(void)sent;
	return 0;
}

static void delay_ms(unsigned ms)
{
	struct timespec d = { (time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L };

	/* The time left, not the whole delay again, after a signal. */
	while (ms && nanosleep(&d, &d) < 0)
		;
}

#define FLOOD_MAX 1000
static struct hipc_rpmsg_ept flood_ept[FLOOD_MAX];
static unsigned flood_n;

static int on_flood(struct hipc_rpmsg_ept *e, void *data, size_t len,
		    uint32_t src, void *priv)
{
	(void)e; (void)data; (void)len; (void)src; (void)priv;
	return 0;
}

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	int ret;

	(void)ctx;
	starts++;
	hipc_remote_trace("lifecycle: start #%llu, echoed so far %llu\n",
			  starts, echoed);
	delay_ms(ready_delay_ms);
	gap_last_us = 0; /* quiet spells count from the first pass up */
	ret = hipc_rpmsg_ept_create(&echo_ept, dev, "rpmsg-client-sample",
				    HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				    on_echo, NULL);
	if (ret)
		return ret;
	for (unsigned i = 0; i < flood_n; i++) {
		char name[32];

		snprintf(name, sizeof(name), "flood\t%u", i);
		ret = hipc_rpmsg_ept_create(&flood_ept[i], dev, name,
					    HIPC_RPMSG_ADDR_ANY,
					    HIPC_RPMSG_ADDR_ANY, on_flood, NULL);
		if (ret)
			return ret;
	}
	return hipc_rpmsg_ept_create(&ctl_ept, dev, "hipc-ctl",
				     HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				     on_ctl, NULL);
}

static void stop(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)dev;
	(void)ctx;
	hipc_remote_trace("lifecycle: host gone, echoed %llu\n", echoed);
	delay_ms(stop_delay_ms);
}

static const struct hipc_firmware fw = {
	.name = "lifecycle",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
	.stop = stop,
	.poll = poll_cb,
	.p2p_start = p2p_start,
	.p2p_stop = p2p_stop,
};

int main(int argc, char **argv)
{
	int n = 1;

	for (; n < argc; n++) {
		if (!strcmp(argv[n], "--ready-delay-ms") && n + 1 < argc)
			ready_delay_ms = (unsigned)strtoul(argv[++n], NULL, 10);
		else if (!strcmp(argv[n], "--stop-delay-ms") && n + 1 < argc)
			stop_delay_ms = (unsigned)strtoul(argv[++n], NULL, 10);
		else if (!strcmp(argv[n], "--flood") && n + 1 < argc)
			flood_n = (unsigned)strtoul(argv[++n], NULL, 10) %
				  (FLOOD_MAX + 1);
		else if (!strcmp(argv[n], "--gap-trace"))
			gap_trace = 1;
		else
			break;
	}
	/* The runtime sees its own options only. */
	argv[n - 1] = argv[0];
	return hipc_remote_main(&fw, argc - (n - 1), argv + (n - 1));
}
