// SPDX-License-Identifier: BSD-3-Clause
/*
 * The "endpoint" path: this process is the host, with hipc linked in (no
 * daemon): it boots the bench firmware and talks to its "hipc-bench"
 * service through one rpmsg endpoint.  A block larger than one buffer's
 * payload goes as several messages.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/rproc.h"

#include "bench.h"
#include "proto.h"

#ifndef HIPC_FW_RELDIR
#define HIPC_FW_RELDIR "../libexec/hipc"
#endif

static struct {
	struct hipc_rproc *rp;
	struct hipc_rpmsg_ept ept, echo_ept, sink_ept;
	uint32_t addr;           /* the services' */
	uint32_t echo_addr, sink_addr;
	uint8_t answer[BENCH_ANSWER_SIZE];
	unsigned answers;
	bool bad;
	unsigned echoes;         /* echoes back (of the right length) */
	uint8_t totals[16];      /* the sink's answer */
	unsigned sink_answers;
} s;

static void on_ns(struct hipc_rpmsg_dev *dev, const char *name, uint32_t addr,
		  bool destroyed, void *priv)
{
	(void)dev;
	(void)priv;
	if (destroyed)
		return;
	if (!strcmp(name, "hipc-bench"))
		s.addr = addr;
	else if (!strcmp(name, "hipc-echo"))
		s.echo_addr = addr;
	else if (!strcmp(name, "hipc-sink"))
		s.sink_addr = addr;
}

static int on_echo(struct hipc_rpmsg_ept *e, void *data, size_t len,
		   uint32_t src, void *priv)
{
	(void)e;
	(void)data;
	(void)src;
	if (len == (size_t)(uintptr_t)priv)
		s.echoes++;
	else
		s.bad = true;
	return 0;
}

static int on_totals(struct hipc_rpmsg_ept *e, void *data, size_t len,
		     uint32_t src, void *priv)
{
	(void)e;
	(void)src;
	(void)priv;
	if (len == sizeof(s.totals))
		memcpy(s.totals, data, len);
	else
		s.bad = true;
	s.sink_answers++;
	return 0;
}

static int on_answer(struct hipc_rpmsg_ept *e, void *data, size_t len,
		     uint32_t src, void *priv)
{
	(void)e;
	(void)src;
	(void)priv;
	if (len != BENCH_ANSWER_SIZE)
		s.bad = true;
	else
		memcpy(s.answer, data, len);
	s.answers++;
	return 0;
}

static const char *user_firmware;

void bench_set_firmware(const char *path)
{
	user_firmware = path;
}

const char *bench_firmware_path(char *buf, size_t size)
{
	const char *p;

	if (user_firmware)
		return user_firmware;
	p = bench_sibling(HIPC_FW_RELDIR "/hipc-fw-bench", buf, size);

	if (p)
		return p;
#ifdef HIPC_FW_BENCH
	return HIPC_FW_BENCH;
#else
	return NULL;
#endif
}

static int inproc_open(struct bench_path *p)
{
	static char fw_buf[PATH_MAX];
	struct hipc_rproc_config cfg;
	const char *fw = bench_firmware_path(fw_buf, sizeof(fw_buf));
	char err[256];
	int ret;

	memset(&s, 0, sizeof(s));
	if (!fw) {
		fprintf(stderr, "hipc-bench: endpoint: no hipc-fw-bench found\n");
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "hipc-bench";
	cfg.firmware = fw;
	cfg.mode = (enum hipc_link_mode)(intptr_t)p->priv;
	cfg.ns_cb = on_ns;
	if (hipc_rproc_new(&s.rp, &cfg))
		return -1;
	ret = hipc_rproc_start(s.rp, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "hipc-bench: endpoint: %s\n", err);
		goto fail;
	}
	for (int i = 0; i < 500 && !(s.addr && s.echo_addr && s.sink_addr);
	     i++)
		hipc_rproc_run(s.rp, 10);
	if (!s.addr) {
		fprintf(stderr, "hipc-bench: endpoint: %s announced no "
			"hipc-bench service\n", fw);
		goto fail;
	}
	ret = hipc_rpmsg_ept_create(&s.ept, hipc_rproc_rpmsg(s.rp), NULL,
				    HIPC_RPMSG_ADDR_ANY, s.addr, on_answer,
				    NULL);
	if (ret) {
		fprintf(stderr, "hipc-bench: endpoint: %s\n",
			hipc_strerror(ret));
		goto fail;
	}
	/* Echo and sink: a user's firmware may serve the transfer protocol
	 * only; then the latency and rate suites time transactions. */
	if (s.echo_addr &&
	    hipc_rpmsg_ept_create(&s.echo_ept, hipc_rproc_rpmsg(s.rp), NULL,
				  HIPC_RPMSG_ADDR_ANY, s.echo_addr, on_echo,
				  NULL))
		s.echo_addr = 0;
	if (s.sink_addr &&
	    hipc_rpmsg_ept_create(&s.sink_ept, hipc_rproc_rpmsg(s.rp), NULL,
				  HIPC_RPMSG_ADDR_ANY, s.sink_addr, on_totals,
				  NULL))
		s.sink_addr = 0;
	p->peer_pid = hipc_rproc_pid(s.rp);
	return 0;
fail:
	hipc_rproc_stop(s.rp, 1000);
	hipc_rproc_free(s.rp);
	s.rp = NULL;
	return -1;
}

/* @len bytes in payload-sized messages. */
static int send_all(const uint8_t *p, size_t len)
{
	uint32_t max = hipc_rpmsg_max_payload(hipc_rproc_rpmsg(s.rp));

	while (len) {
		size_t n = len < max ? len : max;
		int ret = hipc_rpmsg_send_ex(&s.ept, HIPC_RPMSG_ADDR_ANY,
					     HIPC_RPMSG_ADDR_ANY, p, n, 10000);

		if (ret < 0) {
			fprintf(stderr, "hipc-bench: endpoint: send: %s\n",
				hipc_strerror(ret));
			return ret;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static double inproc_transact(struct bench_path *p, size_t block,
			      unsigned nblocks)
{
	static uint8_t data[64u << 20];
	uint8_t hdr[BENCH_HEADER_SIZE];
	uint64_t total = (uint64_t)block * nblocks, t0, deadline;
	unsigned want = s.answers + 1;

	(void)p;
	if (block > sizeof(data))
		return -1;
	bench_proto_header(hdr, total);
	t0 = bench_now_ns();
	/* One burst: the remote hears of it once, not per message. */
	hipc_rpmsg_cork(hipc_rproc_rpmsg(s.rp));
	if (send_all(hdr, sizeof(hdr)) < 0)
		goto fail_uncork;
	for (unsigned i = 0; i < nblocks; i++)
		if (send_all(data, block) < 0)
			goto fail_uncork;
	hipc_rpmsg_uncork(hipc_rproc_rpmsg(s.rp));
	deadline = t0 + 30000000000ull;
	while (s.answers < want) {
		if (hipc_rproc_run(s.rp, 100) < 0 ||
		    bench_now_ns() > deadline) {
			fprintf(stderr, "hipc-bench: endpoint: no answer\n");
			return -1;
		}
	}
	t0 = bench_now_ns() - t0;
	if (!s.bad && bench_proto_answer(s.answer) == UINT64_MAX) {
		fprintf(stderr, "hipc-bench: endpoint: a transaction of %llu "
			"bytes: %s\n", (unsigned long long)total,
			bench_proto_status(s.answer));
		return -1;
	}
	if (s.bad || bench_proto_answer(s.answer) != total) {
		fprintf(stderr, "hipc-bench: endpoint: the remote counted "
			"%llu bytes, not %llu\n",
			(unsigned long long)bench_proto_answer(s.answer),
			(unsigned long long)total);
		return -1;
	}
	return (double)t0 / 1e9;
fail_uncork:
	hipc_rpmsg_uncork(hipc_rproc_rpmsg(s.rp));
	return -1;
}

/* Run the loop until *@counter reaches @want; false (reported) if the
 * remote does not get there within 30 s. */
static bool run_until(const unsigned *counter, unsigned want, const char *what)
{
	uint64_t deadline = bench_now_ns() + 30000000000ull;

	while (*counter < want) {
		if (hipc_rproc_run(s.rp, 100) < 0 ||
		    bench_now_ns() > deadline) {
			fprintf(stderr, "hipc-bench: endpoint: no %s\n", what);
			return false;
		}
	}
	return true;
}

/* One @len-byte message to "hipc-echo" and its echo back: the round trip
 * itself, without the transfer protocol's header and count. */
static double inproc_rtt(struct bench_path *p, size_t len)
{
	static uint8_t msg[512];
	unsigned want = s.echoes + 1;
	uint64_t t0;
	int ret;

	(void)p;
	if (!s.echo_addr)
		return inproc_transact(p, len, 1);
	if (len > sizeof(msg))
		return -1;
	s.echo_ept.priv = (void *)(uintptr_t)len;
	t0 = bench_now_ns();
	ret = hipc_rpmsg_send_ex(&s.echo_ept, HIPC_RPMSG_ADDR_ANY,
				 HIPC_RPMSG_ADDR_ANY, msg, len, 10000);
	if (ret < 0) {
		fprintf(stderr, "hipc-bench: endpoint: echo: %s\n",
			hipc_strerror(ret));
		return -1;
	}
	if (!run_until(&s.echoes, want, "echo"))
		return -1;
	t0 = bench_now_ns() - t0;
	if (s.bad) {
		fprintf(stderr, "hipc-bench: endpoint: an echo of the wrong "
			"length\n");
		return -1;
	}
	return (double)t0 / 1e9;
}

/* @count messages of @len bytes one way to "hipc-sink", then an empty one
 * for its totals; messages per second, from the first send to the totals
 * (which say every message arrived). */
static double inproc_rate(struct bench_path *p, size_t len, unsigned count)
{
	static uint8_t msg[512];
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(s.rp);
	unsigned want = s.sink_answers + 1;
	uint64_t t0, got_msgs, got_bytes;
	int ret = 0;

	(void)p;
	if (!s.sink_addr || len > sizeof(msg) ||
	    len > hipc_rpmsg_max_payload(dev))
		return -1;
	t0 = bench_now_ns();
	hipc_rpmsg_cork(dev);
	for (unsigned i = 0; i < count && ret >= 0; i++)
		ret = hipc_rpmsg_send_ex(&s.sink_ept, HIPC_RPMSG_ADDR_ANY,
					 HIPC_RPMSG_ADDR_ANY, msg, len, 10000);
	hipc_rpmsg_uncork(dev);
	if (ret >= 0)
		ret = hipc_rpmsg_send_ex(&s.sink_ept, HIPC_RPMSG_ADDR_ANY,
					 HIPC_RPMSG_ADDR_ANY, msg, 0, 10000);
	if (ret < 0) {
		fprintf(stderr, "hipc-bench: endpoint: sink: %s\n",
			hipc_strerror(ret));
		return -1;
	}
	if (!run_until(&s.sink_answers, want, "totals from the sink"))
		return -1;
	t0 = bench_now_ns() - t0;
	got_msgs = 0;
	got_bytes = 0;
	for (int i = 7; i >= 0; i--) {
		got_msgs = got_msgs << 8 | s.totals[i];
		got_bytes = got_bytes << 8 | s.totals[8 + i];
	}
	if (s.bad || got_msgs != count || got_bytes != (uint64_t)count * len) {
		fprintf(stderr, "hipc-bench: endpoint: the sink counted %llu "
			"messages, %llu bytes; %u, %llu sent\n",
			(unsigned long long)got_msgs,
			(unsigned long long)got_bytes, count,
			(unsigned long long)count * len);
		return -1;
	}
	return count / ((double)t0 / 1e9);
}

static void inproc_doorbells(struct bench_path *p, uint64_t *out,
			     uint64_t *in)
{
	struct hipc_link_stats st;

	(void)p;
	memset(&st, 0, sizeof(st));
	hipc_link_get_stats(hipc_rproc_link(s.rp), &st);
	*out = st.doorbells_tx;
	*in = st.doorbells_rx;
}

static void inproc_close(struct bench_path *p)
{
	p->peer_pid = 0;
	if (s.echo_addr)
		hipc_rpmsg_ept_destroy(&s.echo_ept);
	if (s.sink_addr)
		hipc_rpmsg_ept_destroy(&s.sink_ept);
	hipc_rpmsg_ept_destroy(&s.ept);
	hipc_rproc_stop(s.rp, 1000);
	hipc_rproc_free(s.rp);
	s.rp = NULL;
}

/* The same in each doorbell mode of the link (hipc/linux.h). */
#define INPROC_PATH(var, pname, mode, text)                                   \
	struct bench_path var = {                                              \
		.name = pname,                                                 \
		.what = "an rpmsg endpoint in this process (hipc linked in, "  \
			"no daemon), " text,                                   \
		.priv = (void *)(intptr_t)(mode),                              \
		.open = inproc_open,                                           \
		.transact = inproc_transact,                                   \
		.rtt = inproc_rtt,                                             \
		.rate = inproc_rate,                                           \
		.doorbells = inproc_doorbells,                                 \
		.close = inproc_close,                                         \
	}

INPROC_PATH(bench_path_inproc, "endpoint", HIPC_LINK_ADAPTIVE,
	    "adaptive doorbells (spin a while, then sleep)");
INPROC_PATH(bench_path_inproc_irq, "endpoint-irq", HIPC_LINK_IRQ,
	    "a doorbell for every wake-up (interrupt only)");
INPROC_PATH(bench_path_inproc_poll, "endpoint-poll", HIPC_LINK_POLL,
	    "both sides polling, no doorbells");
