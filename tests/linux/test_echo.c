/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two processes: this host and firmware/echo.  Every message carries a
 * sequence number and a pattern derived from it; every echo is checked.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "hipc/vring.h"
#include "sim_util.h"

struct rx_state {
	size_t max;               /* longest message (0: 496) */
	uint64_t next_seq;
	uint64_t received;
	uint64_t bytes;
	int bad;
};

static void fill(uint8_t *p, size_t len, uint64_t seq)
{
	size_t i = 0;

	for (; i < len && i < 8; i++)
		p[i] = (uint8_t)(seq >> (8 * i));
	for (; i < len; i++)
		p[i] = (uint8_t)(seq * 31u + i);
}

/* Message @seq is (seq % max) + 1 bytes long (1..max, 496 unless a CRC
 * takes 4), or 8 at least. */
static size_t len_of(const struct rx_state *st, uint64_t seq)
{
	size_t l = (size_t)(seq % (st->max ? st->max : 496u)) + 1u;

	return l < 8 ? 8 : l;
}

static int on_echo(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		   uint32_t src, void *priv)
{
	struct rx_state *st = priv;
	uint8_t want[512];
	uint64_t seq = 0;

	(void)ept;
	(void)src;
	for (size_t i = 0; i < 8 && i < len; i++)
		seq |= (uint64_t)((uint8_t *)data)[i] << (8 * i);
	if (seq != st->next_seq || len != len_of(st, seq)) {
		if (!st->bad)
			printf("bad echo: seq %llu (want %llu), len %zu\n",
			       (unsigned long long)seq,
			       (unsigned long long)st->next_seq, len);
		st->bad++;
	} else {
		fill(want, len, seq);
		if (memcmp(want, data, len) != 0)
			st->bad++;
	}
	st->next_seq = seq + 1;
	__atomic_fetch_add(&st->received, 1, __ATOMIC_RELEASE);
	st->bytes += len;
	return 0;
}

/* The echo firmware built to offer VIRTIO_RING_F_EVENT_IDX as well: hipc's
 * host maintains used_event, so it may. */
#define FW_ECHO_EVT HIPC_BUILD_DIR "/firmware/echo/hipc-fw-echo-evt"

/* @crc: to "hipc-echo-crc" (echo-evt), both ways with a CRC32C. */
static void stream_fw_crc(bool event_idx, bool crc, enum hipc_link_mode mode,
			  uint64_t count, unsigned window)
{
	struct rx_state st = { 0 };
	struct sim_chan c;
	uint8_t buf[512];
	uint64_t sent = 0;
	uint32_t want = 1u << HIPC_RPMSG_F_NS;
	struct hipc_rpmsg_stats rs;

	sim_boot(&c, event_idx ? FW_ECHO_EVT : SIM_FW("echo"),
		 crc ? "hipc-echo-crc" : "rpmsg-client-sample", mode, on_echo,
		 &st);
	if (event_idx)
		want |= 1u << HIPC_VIRTIO_F_EVENT_IDX | 1u << HIPC_RPMSG_F_CRC;
	CHECK_EQ(hipc_rpmsg_features(hipc_rproc_rpmsg(c.rp)), want);
	if (crc) {
		CHECK_EQ(hipc_rpmsg_ept_set_crc(&c.ept, true), 0);
		st.max = 496 - HIPC_RPMSG_CRC_SIZE;
	}
	while (st.received < count) {
		/* Keep up to @window messages in flight. */
		while (sent < count && sent - st.received < window) {
			size_t len = len_of(&st, sent);
			int ret;

			fill(buf, len, sent);
			ret = hipc_rpmsg_send_timeout(&c.ept, buf, len, 5000);
			if (ret != (int)len)
				printf("send %llu: %s\n",
				       (unsigned long long)sent,
				       hipc_strerror(ret));
			CHECK_EQ(ret, (int)len);
			sent++;
		}
		CHECK(hipc_rproc_run(c.rp, 1000) >= 0);
	}
	CHECK_EQ(st.bad, 0);
	CHECK_EQ(st.received, count);
	CHECK(!hipc_rpmsg_broken(hipc_rproc_rpmsg(c.rp)));
	CHECK_EQ(hipc_rpmsg_get_stats(hipc_rproc_rpmsg(c.rp), &rs), 0);
	CHECK_EQ(rs.crc_checked, crc ? count : 0);
	CHECK_EQ(rs.crc_errors, 0);
	if (crc) /* too long with the trailer: refused, nothing sent */
		CHECK_EQ(hipc_rpmsg_send(&c.ept, buf, 493), -HIPC_EMSGSIZE);
	sim_shutdown(&c);
}

static void stream_fw(bool event_idx, enum hipc_link_mode mode, uint64_t count,
		      unsigned window)
{
	stream_fw_crc(event_idx, false, mode, count, window);
}

static void stream(enum hipc_link_mode mode, uint64_t count, unsigned window)
{
	stream_fw(false, mode, count, window);
}

HIPC_TEST(every_size_irq)
{
	stream(HIPC_LINK_IRQ, 496 * 4, 1);
}

HIPC_TEST(every_size_poll)
{
	stream(HIPC_LINK_POLL, 496 * 4, 64);
}

HIPC_TEST(every_size_adaptive)
{
	stream(HIPC_LINK_ADAPTIVE, 496 * 4, 300);
}

HIPC_TEST(million_messages)
{
	stream(HIPC_LINK_ADAPTIVE, 1000000, 200);
}

/* The event index, negotiated with hipc's own host: one message at a time
 * (every doorbell needed), and a deep window (suppression at work). */
/* hipc's per-message CRC32C both ways (HIPC_RPMSG_F_CRC, offered by
 * echo-evt and accepted by hipc's host): every echo checked on arrival. */
HIPC_TEST(every_size_with_crc)
{
	stream_fw_crc(true, true, HIPC_LINK_ADAPTIVE, 492 * 4, 16);
}

HIPC_TEST(every_size_irq_event_idx)
{
	stream_fw(true, HIPC_LINK_IRQ, 496 * 4, 1);
}

HIPC_TEST(every_size_adaptive_event_idx)
{
	stream_fw(true, HIPC_LINK_ADAPTIVE, 496 * 20, 300);
}

HIPC_TEST(both_sides_blocked_in_send_event_idx)
{
	stream_fw(true, HIPC_LINK_IRQ, 20000, 20000);
}

/* The host never polls except inside send: when both sides' rings are full
 * and both are blocked in send, the host's blocking send must keep
 * receiving so that the remote can finish its replies. */
HIPC_TEST(both_sides_blocked_in_send)
{
	stream(HIPC_LINK_IRQ, 20000, 20000);
}

/* The library's receive thread delivers the echoes while this thread only
 * sends (blocking sends, never polling itself). */
HIPC_TEST(library_rx_thread)
{
	struct rx_state st = { 0 };
	struct hipc_link_thread *t;
	struct sim_chan c;
	uint8_t buf[512];

	sim_boot(&c, SIM_FW("echo"), "rpmsg-client-sample", HIPC_LINK_ADAPTIVE,
		 on_echo, &st);
	CHECK_EQ(hipc_link_thread_start(&t, hipc_rproc_link(c.rp),
					 hipc_rproc_rpmsg(c.rp), NULL, NULL),
		 0);
	for (uint64_t seq = 0; seq < 100000; seq++) {
		size_t len = len_of(&st, seq);

		fill(buf, len, seq);
		CHECK_EQ(hipc_rpmsg_send_timeout(&c.ept, buf, len, 5000),
			 (int)len);
	}
	for (int i = 0; i < 5000 && __atomic_load_n(&st.received,
						     __ATOMIC_ACQUIRE) < 100000;
	     i++)
		usleep(1000);
	CHECK_EQ(hipc_link_thread_stop(t), 0);
	CHECK_EQ(st.received, 100000);
	CHECK_EQ(st.bad, 0);
	sim_shutdown(&c);
}

HIPC_TEST(oversize_is_refused)
{
	struct rx_state st = { 0 };
	struct hipc_rpmsg_stats stats;
	struct sim_chan c;
	static uint8_t big[497];

	sim_boot(&c, SIM_FW("echo"), "rpmsg-client-sample", HIPC_LINK_IRQ,
		 on_echo, &st);
	CHECK_EQ(hipc_rpmsg_max_payload(hipc_rproc_rpmsg(c.rp)), 496);
	CHECK_EQ(hipc_rpmsg_send(&c.ept, big, sizeof(big)), -HIPC_EMSGSIZE);
	/* nothing went out: the ring still gives every buffer */
	CHECK_EQ(hipc_rpmsg_get_stats(hipc_rproc_rpmsg(c.rp), &stats), 0);
	CHECK_EQ(stats.tx_msgs, 0);
	sim_shutdown(&c);
}

HIPC_TEST_MAIN(HIPC_CASE(every_size_irq), HIPC_CASE(every_size_poll),
	       HIPC_CASE(every_size_adaptive), HIPC_CASE(million_messages),
	       HIPC_CASE(every_size_irq_event_idx), HIPC_CASE(every_size_with_crc),
	       HIPC_CASE(every_size_adaptive_event_idx),
	       HIPC_CASE(both_sides_blocked_in_send_event_idx),
	       HIPC_CASE(both_sides_blocked_in_send),
	       HIPC_CASE(library_rx_thread),
	       HIPC_CASE(oversize_is_refused))
