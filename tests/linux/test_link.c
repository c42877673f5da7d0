/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Linux link (src/port/linux/link.c) against what the other side may
 * put into the mailbox: values that are neither a vring id nor a control
 * message, more control messages than the link queues, and FIFO indexes
 * that make no sense.  Both ends of one link in one process, the peer's end
 * used the way a remote uses it, or its shared words written directly.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/mbox.h"
#include "hipc_test.h"
#include "port_linux_internal.h"

#define CTRL_PAGE 4096u
#define CTRLQ_LEN 64u /* link.c: control messages queued between drains */

struct ends {
	struct hipc_shm shm;
	struct hipc_link_shared *sh;
	struct hipc_link *host, *remote;
};

static void ends_up(struct ends *e)
{
	int a = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int b = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	CHECK(a >= 0 && b >= 0);
	CHECK_EQ(hipc_shm_create(&e->shm, "link", CTRL_PAGE), 0);
	e->sh = (struct hipc_link_shared *)e->shm.base;
	hipc_link_shared_init(e->sh);
	CHECK_EQ(hipc_link_new(&e->host, e->sh, HIPC_SIDE_HOST, a, b,
			       HIPC_LINK_IRQ, 0),
		 0);
	CHECK_EQ(hipc_link_new(&e->remote, e->sh, HIPC_SIDE_REMOTE, b, a,
			       HIPC_LINK_IRQ, 0),
		 0);
}

static void ends_down(struct ends *e)
{
	hipc_link_free(e->host);
	hipc_link_free(e->remote);
	hipc_shm_close(&e->shm);
}

static uint32_t ctrl_seen[2 * CTRLQ_LEN];
static unsigned nctrl;

static void on_ctrl(void *arg, uint32_t msg)
{
	(void)arg;
	if (nctrl < sizeof(ctrl_seen) / sizeof(ctrl_seen[0]))
		ctrl_seen[nctrl] = msg;
	nctrl++;
}

static uint64_t rx_count(struct hipc_link *l)
{
	struct hipc_link_stats st;

	hipc_link_get_stats(l, &st);
	return st.doorbells_rx;
}

/*
 * A value that is neither a vring id nor a control message (a notifyid we
 * never gave out, anything under the control range) is a doorbell: counted,
 * a reason to look at the rings, never handed to on_ctrl.
 */
HIPC_TEST(unknown_doorbell_values_only_counted)
{
	static const uint32_t odd[] = { 2, 31, 32, 0x1234, 0xFFFFFEFFu };
	struct ends e;
	int n;

	ends_up(&e);
	nctrl = 0;
	for (unsigned i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		CHECK_EQ(hipc_link_send(e.remote, odd[i]), 0);
		n = hipc_link_drain(e.host, on_ctrl, NULL);
		CHECK_EQ(n, 1);
	}
	CHECK_EQ(nctrl, 0);
	CHECK_EQ(rx_count(e.host), sizeof(odd) / sizeof(odd[0]));
	/* A control message among them still reaches on_ctrl, as sent. */
	CHECK_EQ(hipc_link_send(e.remote, 0xFFFFFFABu), 0);
	CHECK_EQ(hipc_link_drain(e.host, on_ctrl, NULL), 1);
	CHECK_EQ(nctrl, 1);
	CHECK_EQ(ctrl_seen[0], 0xFFFFFFABu);
	ends_down(&e);
}

/*
 * Control messages read by waits (which drain the FIFO but deliver
 * nothing) queue for the next hipc_link_drain(), at most CTRLQ_LEN of them:
 * a peer sending more than that before the loop runs loses the rest, and
 * the queue works again afterwards.
 */
HIPC_TEST(control_queue_bounded)
{
	const unsigned sent = CTRLQ_LEN + 36u;
	struct ends e;

	ends_up(&e);
	nctrl = 0;
	/* the first wait of a thread on a link returns at once */
	(void)hipc_link_wait(e.host, hipc_now_ns(), NULL, NULL);
	for (unsigned i = 0; i < sent; i++) {
		uint64_t end = hipc_now_ns() + 5000000000ull;

		CHECK_EQ(hipc_link_send(e.remote, HIPC_MBOX_CTRL_BASE + i), 0);
		while (rx_count(e.host) < i + 1u && hipc_now_ns() < end)
			(void)hipc_link_wait(e.host, hipc_now_ns() + 100000000u,
					     NULL, NULL);
		CHECK_EQ(rx_count(e.host), i + 1u);
	}
	CHECK_EQ(nctrl, 0);
	CHECK_EQ(hipc_link_drain(e.host, on_ctrl, NULL), 0);
	CHECK_EQ(nctrl, CTRLQ_LEN);
	for (unsigned i = 0; i < CTRLQ_LEN; i++)
		CHECK_EQ(ctrl_seen[i], HIPC_MBOX_CTRL_BASE + i);
	CHECK_EQ(hipc_link_send(e.remote, 0xFFFFFFFEu), 0);
	CHECK_EQ(hipc_link_drain(e.host, on_ctrl, NULL), 1);
	CHECK_EQ(nctrl, CTRLQ_LEN + 1u);
	CHECK_EQ(ctrl_seen[CTRLQ_LEN], 0xFFFFFFFEu);
	ends_down(&e);
}

static uint64_t efd_writes(struct hipc_link *l)
{
	struct hipc_link_stats st;

	hipc_link_get_stats(l, &st);
	return st.eventfd_writes;
}

/*
 * More messages than the peer's FIFO holds: the rest wait in our queue.
 * Each time the peer drains, our next drain puts what fits; what went in
 * rings the peer (it may sleep past the FIFO it emptied), and what is still
 * left asks for "not full" again, so that the peer's next drain tells us:
 * nothing strands in the queue, and everything arrives in order.
 */
HIPC_TEST(queue_flushed_in_parts_rings_and_asks_again)
{
	const unsigned sent = 3 * HIPC_MBOX_HW_DEPTH;
	struct ends e;
	uint64_t w;

	ends_up(&e);
	nctrl = 0;
	for (unsigned i = 0; i < sent; i++)
		CHECK_EQ(hipc_link_send(e.host, HIPC_MBOX_CTRL_BASE + i), 0);
	for (unsigned part = 0; part < 2; part++) {
		/* the remote empties its FIFO: that tells the host */
		w = efd_writes(e.remote);
		CHECK_EQ(hipc_link_drain(e.remote, on_ctrl, NULL),
			 (int)HIPC_MBOX_HW_DEPTH);
		CHECK_EQ(efd_writes(e.remote), w + 1);
		/* the host puts the next FIFO's worth, and rings */
		w = efd_writes(e.host);
		CHECK_EQ(hipc_link_drain(e.host, NULL, NULL), 0);
		CHECK_EQ(efd_writes(e.host), w + 1);
	}
	CHECK_EQ(hipc_link_drain(e.remote, on_ctrl, NULL),
		 (int)HIPC_MBOX_HW_DEPTH);
	CHECK_EQ(nctrl, sent);
	for (unsigned i = 0; i < sent; i++)
		CHECK_EQ(ctrl_seen[i], HIPC_MBOX_CTRL_BASE + i);
	ends_down(&e);
}

/*
 * A control message that a wait took from the FIFO (a wait drains, but
 * hands nothing over) is held for the next drain with an on_ctrl, and
 * hipc__link_ctrl_waiting() says so until then: its doorbell is spent, so a
 * loop that acts on control messages must not sleep on it.
 */
HIPC_TEST(control_message_taken_by_a_wait_is_held)
{
	struct ends e;

	ends_up(&e);
	nctrl = 0;
	/* the first wait of a thread on a link returns at once */
	(void)hipc_link_wait(e.remote, hipc_now_ns(), NULL, NULL);
	CHECK(!hipc__link_ctrl_waiting(e.remote));
	CHECK_EQ(hipc_link_send(e.host, HIPC_MBOX_ECHO_REQUEST), 0);
	CHECK_EQ(hipc_link_wait(e.remote, hipc_now_ns() + 5000000000ull, NULL,
				NULL),
		 0);
	CHECK(hipc__link_ctrl_waiting(e.remote));
	CHECK_EQ(nctrl, 0);
	CHECK_EQ(hipc_link_drain(e.remote, on_ctrl, NULL), 0);
	CHECK_EQ(nctrl, 1);
	CHECK_EQ(ctrl_seen[0], HIPC_MBOX_ECHO_REQUEST);
	CHECK(!hipc__link_ctrl_waiting(e.remote));
	ends_down(&e);
}

/*
 * A region's memfd as the peer gets it: it cannot shrink or grow it, nor
 * seal it further (F_SEAL_FUTURE_WRITE would keep every later mapping
 * read-only: a remote's next instance could not map its pools).
 */
HIPC_TEST(region_memfd_sealed_for_good)
{
	struct hipc_shm shm;
	int seals;

	CHECK_EQ(hipc_shm_create(&shm, "sealed", 8192), 0);
	seals = fcntl(shm.fd, F_GET_SEALS);
	CHECK(seals >= 0);
	CHECK((seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) ==
	      (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
	CHECK(fcntl(shm.fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0);
	CHECK_EQ(errno, EPERM);
	CHECK(ftruncate(shm.fd, 4096) < 0);
	hipc_shm_close(&shm);
}

/*
 * The peer's FIFO index more than the FIFO's depth ahead of ours, or
 * behind it: hipc_link_drain() says -HIPC_EIO (what the host turns into
 * the crash "mailbox corrupted"), every time, and nothing is delivered.
 */
HIPC_TEST(corrupt_fifo_index_is_an_error)
{
	static const uint32_t heads[] = { HIPC_MBOX_HW_DEPTH + 1u, 0xFFFFFFFFu };
	struct ends e;

	for (unsigned i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		ends_up(&e);
		nctrl = 0;
		CHECK_EQ(hipc_link_send(e.remote, 0xFFFFFFABu), 0);
		CHECK_EQ(hipc_link_drain(e.host, on_ctrl, NULL), 1);
		/* our tail is 1 now */
		__atomic_store_n(&e.sh->fifo[HIPC_SIDE_HOST].head,
				 1u + heads[i], __ATOMIC_RELEASE);
		CHECK_EQ(hipc_link_drain(e.host, on_ctrl, NULL), -HIPC_EIO);
		CHECK_EQ(hipc_link_drain(e.host, on_ctrl, NULL), -HIPC_EIO);
		CHECK_EQ(nctrl, 1);
		ends_down(&e);
	}
}

HIPC_TEST_MAIN(HIPC_CASE(unknown_doorbell_values_only_counted),
	       HIPC_CASE(control_queue_bounded),
	       HIPC_CASE(queue_flushed_in_parts_rings_and_asks_again),
	       HIPC_CASE(control_message_taken_by_a_wait_is_held),
	       HIPC_CASE(region_memfd_sealed_for_good),
	       HIPC_CASE(corrupt_fifo_index_is_an_error))
