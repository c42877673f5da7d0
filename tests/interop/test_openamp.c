/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An OpenAMP-style host (the double in openamp_driver.c) drives the real
 * firmware/echo process: what rpmsg-echo-ping does against a hipc remote.
 * Every message carries a sequence number's pattern and a length from
 * 1 to 496 bytes; every echo is checked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hipc/linux.h"
#include "hipc/rsc.h"
#include "hipc_test.h"
#include "openamp_driver.h"

#define FW_ECHO HIPC_BUILD_DIR "/firmware/echo/hipc-fw-echo"
#define FW_ECHO_EVT HIPC_BUILD_DIR "/firmware/echo/hipc-fw-echo-evt"
#define SERVICE "rpmsg-client-sample"
#define MAX_PAYLOAD 496u

struct echo_state {
	uint64_t got;
	uint64_t bad;
	uint32_t from;
};

/* Every length 1..496 once per 496 messages, short and long mixed (211
 * is prime to 496): a buffer that carried a short message soon has to
 * carry a long one. */
static size_t len_of(uint64_t seq)
{
	return (size_t)((seq * 211u) % MAX_PAYLOAD) + 1u;
}

static uint8_t pattern(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (seq >> 8) + 1u);
}

static void fill(uint8_t *p, uint64_t seq)
{
	for (size_t i = 0; i < len_of(seq); i++)
		p[i] = pattern(seq, i);
}

/* Echoes come back in order: message n is the n-th echo. */
static void on_echo(void *priv, uint32_t src, uint32_t dst,
		    const uint8_t *data, size_t len)
{
	struct echo_state *es = priv;
	uint64_t seq = es->got++;
	bool ok = dst == OA_LOCAL_ADDR && src == es->from &&
		  len == len_of(seq);

	for (size_t i = 0; ok && i < len; i++)
		ok = data[i] == pattern(seq, i);
	if (!ok) {
		if (!es->bad)
			printf("bad echo %llu: %zu bytes from 0x%x to 0x%x\n",
			       (unsigned long long)seq, len, (unsigned)src,
			       (unsigned)dst);
		es->bad++;
	}
}

static void boot(struct oa_drv *d, const char *fw, struct echo_state *es)
{
	memset(es, 0, sizeof(*es));
	CHECK_EQ(oa_boot(d, fw, SERVICE, 10000), 0);
	es->from = oa_service_addr(d, SERVICE);
	d->cb = on_echo;
	d->cb_priv = es;
}

/* The firmware still serves (its ring did not break), then exits cleanly. */
static void shutdown_clean(struct oa_drv *d)
{
	struct hipc_sim_ctrl *c = (struct hipc_sim_ctrl *)d->shm.base;

	CHECK(!d->st.crashed);
	CHECK_EQ(__atomic_load_n(&c->state, __ATOMIC_ACQUIRE),
		 HIPC_SIM_STATE_RUNNING);
	CHECK_EQ(oa_shutdown(d, 5000), 0);
}

/* What the double saw of the device's used.len, both rings. */
static void check_lengths(const struct oa_drv *d)
{
	if (d->st.tx_short || d->st.tx_refused)
		printf("tx buffers back with used.len < %u: %llu (smallest "
		       "%u), messages refused: %llu\n", (unsigned)d->buf_size,
		       (unsigned long long)d->st.tx_short,
		       (unsigned)d->st.tx_min_capacity,
		       (unsigned long long)d->st.tx_refused);
	if (d->st.rx_min_repost < d->buf_size)
		printf("an rx buffer went back with %u bytes of %u\n",
		       (unsigned)d->st.rx_min_repost, (unsigned)d->buf_size);
	CHECK_EQ(d->st.tx_refused, 0);
	CHECK_EQ(d->st.tx_short, 0);
	CHECK_EQ(d->st.tx_min_capacity, d->buf_size);
	CHECK_EQ(d->st.rx_min_repost, d->buf_size);
	CHECK_EQ(d->st.rx_bad, 0);
}

/*
 * @window messages in flight at most (1: rpmsg-echo-ping's send, wait for
 * the echo, send the next).  The double only looks at its rings when a
 * doorbell came: a missing doorbell fails the test after 2 s.
 */
static void round_trips(struct oa_drv *d, struct echo_state *es,
			uint64_t count, unsigned window)
{
	uint32_t dst = oa_service_addr(d, SERVICE);
	uint8_t buf[MAX_PAYLOAD];
	uint64_t sent = 0;

	while (es->got < count) {
		while (sent < count && sent - es->got < window) {
			int ret;

			fill(buf, sent);
			ret = oa_send(d, dst, buf, len_of(sent));
			if (ret == -EAGAIN)
				break; /* every tx buffer is with the device */
			if (ret == -EMSGSIZE)
				printf("send %llu (%zu bytes) refused: the "
				       "buffer came back with used.len %u\n",
				       (unsigned long long)sent, len_of(sent),
				       (unsigned)d->st.tx_refused_cap);
			else if (ret != (int)len_of(sent))
				printf("send %llu (%zu bytes): %d\n",
				       (unsigned long long)sent, len_of(sent),
				       ret);
			CHECK_EQ(ret, (int)len_of(sent));
			sent++;
		}
		if (oa_wait(d, 2000) == -ETIMEDOUT) {
			printf("no echo after %llu of %llu (sent %llu); "
			       "stalled with a reply waiting: %s\n",
			       (unsigned long long)es->got,
			       (unsigned long long)count,
			       (unsigned long long)sent,
			       d->st.stalls ? "yes" : "no");
			CHECK(0);
		}
		CHECK(!d->st.crashed);
	}
	CHECK_EQ(es->got, count);
	CHECK_EQ(es->bad, 0);
}

/*
 * firmware/echo as shipped: it offers the name service only, so the
 * double (which acknowledges whatever is offered) runs without the event
 * index, and every tx buffer it takes back says its full size.
 */
HIPC_TEST(echo_one_at_a_time)
{
	struct echo_state es;
	struct oa_drv d;

	boot(&d, FW_ECHO, &es);
	round_trips(&d, &es, 1000, 1);
	CHECK_EQ(d.st.stalls, 0);
	CHECK_EQ(d.features, HIPC_RSC_F_NS);
	/* The echo arrives before the device hands back the buffer that
	 * carried the message, so the double spends its fresh buffers first;
	 * every send after that reads a capacity from used.len. */
	CHECK(d.st.tx_reused >= 1000 - d.num);
	check_lengths(&d);
	shutdown_clean(&d);
}

/* Many in flight: the fresh pool runs out, rx buffers wrap many times. */
HIPC_TEST(echo_pipelined)
{
	struct echo_state es;
	struct oa_drv d;

	boot(&d, FW_ECHO, &es);
	round_trips(&d, &es, 4000, 64);
	CHECK_EQ(d.st.stalls, 0);
	CHECK(d.st.tx_reused >= 4000 - d.num);
	check_lengths(&d);
	shutdown_clean(&d);
}

/*
 * The documented switch: a firmware that offers VIRTIO_RING_F_EVENT_IDX
 * (hipc-fw-echo-evt, for hosts that maintain used_event).  The double
 * acknowledges it and never writes used_event, so the device, obeying an
 * index of 0, rings only when a used index moves from 0 to 1: for its
 * announcements and for the first message it consumes, never again.  From
 * the second message on each echo sits in the used ring without a
 * doorbell.  The test shows exactly that, and that the data itself is
 * intact when polled.
 */
HIPC_TEST(event_idx_offered_stalls_a_driver_without_used_event)
{
	struct echo_state es;
	struct oa_drv d;
	uint32_t dst;
	uint8_t buf[MAX_PAYLOAD];
	int ret;

	boot(&d, FW_ECHO_EVT, &es);
	CHECK(d.features & HIPC_RSC_F_EVENT_IDX);
	dst = oa_service_addr(&d, SERVICE);
	/* The first: the device publishes the echo (vring 0 moves from 2 to
	 * 3, no doorbell), then hands the message's buffer back (vring 1
	 * leaves 0: a doorbell), and the double finds the echo then. */
	fill(buf, 0);
	CHECK_EQ(oa_send(&d, dst, buf, len_of(0)), (int)len_of(0));
	do
		ret = oa_wait(&d, 5000);
	while (ret >= 0 && es.got == 0);
	CHECK_EQ(es.got, 1);
	CHECK_EQ(d.st.stalls, 0);
	for (uint64_t seq = 1; seq < 9; seq++) {
		uint64_t stalls = d.st.stalls;

		fill(buf, seq);
		CHECK_EQ(oa_send(&d, dst, buf, len_of(seq)), (int)len_of(seq));
		/* Interrupt driven, it waits in vain... */
		CHECK_EQ(oa_wait(&d, 300), -ETIMEDOUT);
		CHECK_EQ(d.st.stalls, stalls + 1);
		/* ...though the echo is there. */
		CHECK_EQ(oa_poll_rx(&d), 1);
		CHECK_EQ(es.got, seq + 1);
	}
	/* used_event was never written: the device really had nothing but
	 * 0 to go by. */
	CHECK_EQ(vring_used_event(&d.vr[0]), 0);
	CHECK_EQ(vring_used_event(&d.vr[1]), 0);
	CHECK_EQ(es.bad, 0);
	check_lengths(&d);
	shutdown_clean(&d);
}

HIPC_TEST_MAIN(HIPC_CASE(echo_one_at_a_time), HIPC_CASE(echo_pipelined),
	       HIPC_CASE(event_idx_offered_stalls_a_driver_without_used_event))
