/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waiting with a deadline while signals arrive: a wait interrupted by a
 * signal goes on with what is left of its time, not with its whole timeout
 * again (which, with signals more frequent than the timeout, would never
 * end).  And what a wait does with the doorbell's eventfd.
 */
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc_test.h"

/* The link's shared words, then the rings. */
#define CTRL_PAGE 4096u

static volatile sig_atomic_t ticks;

static void on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

/* SIGALRM every 2 ms, without SA_RESTART: poll() fails with EINTR. */
static void signals_on(bool on)
{
	struct itimerval it = { { 0, on ? 2000 : 0 }, { 0, on ? 2000 : 0 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on ? on_alarm : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
}

static void wait_under_signals(enum hipc_link_mode mode)
{
	struct hipc_shm shm;
	struct hipc_link *l;
	uint64_t t0, waited;
	int ret;

	CHECK_EQ(hipc_shm_create(&shm, "wait", CTRL_PAGE), 0);
	CHECK_EQ(hipc_link_new(&l, (struct hipc_link_shared *)shm.base,
			       HIPC_SIDE_HOST,
			       eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
			       eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), mode, 20),
		 0);
	/* A thread's first wait on a link returns at once (it has not seen
	 * the link's generation yet). */
	hipc_link_wait(l, hipc_now_ns(), NULL, NULL);
	signals_on(true);
	t0 = hipc_now_ns();
	/* Nothing will ring: the wait ends at its deadline, 100 ms on. */
	ret = hipc_link_wait(l, t0 + 100000000u, NULL, NULL);
	waited = hipc_now_ns() - t0;
	signals_on(false);
	printf("waited %.1f ms through %d signals\n", (double)waited / 1e6,
	       (int)ticks);
	CHECK_EQ(ret, -HIPC_ETIMEDOUT);
	CHECK(ticks > 5);
	/* Restarting the whole timeout at each signal would never end;
	 * allow a loaded machine plenty of slack. */
	CHECK(waited >= 100000000u && waited < 5000000000u);
	hipc_link_free(l);
	hipc_shm_close(&shm);
}

HIPC_TEST(irq_wait_keeps_its_deadline_under_signals)
{
	wait_under_signals(HIPC_LINK_IRQ);
}

HIPC_TEST(adaptive_wait_keeps_its_deadline_under_signals)
{
	wait_under_signals(HIPC_LINK_ADAPTIVE);
}

/*
 * The link's waits watch the doorbell's eventfd edge-triggered and never
 * read its count: the wait a doorbell ends takes it, and the next one
 * still sleeps (a level-triggered wait on the unread count would return
 * at once, forever), until a new doorbell or its deadline.
 */
HIPC_TEST(irq_wait_leaves_the_doorbell_count_unread)
{
	struct hipc_link_stats st;
	struct hipc_shm shm;
	struct hipc_link *host, *remote;
	struct pollfd p;
	int to_host = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int to_remote = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t t0;

	CHECK(to_host >= 0 && to_remote >= 0);
	CHECK_EQ(hipc_shm_create(&shm, "wait", CTRL_PAGE), 0);
	hipc_link_shared_init((struct hipc_link_shared *)shm.base);
	CHECK_EQ(hipc_link_new(&host, (struct hipc_link_shared *)shm.base,
			       HIPC_SIDE_HOST, to_host, to_remote,
			       HIPC_LINK_IRQ, 20),
		 0);
	CHECK_EQ(hipc_link_new(&remote, (struct hipc_link_shared *)shm.base,
			       HIPC_SIDE_REMOTE, dup(to_remote), dup(to_host),
			       HIPC_LINK_IRQ, 20),
		 0);
	/* A thread's first wait on a link returns at once. */
	hipc_link_wait(host, hipc_now_ns(), NULL, NULL);

	CHECK_EQ(hipc_link_send(remote, 1), 0);
	t0 = hipc_now_ns();
	CHECK_EQ(hipc_link_wait(host, t0 + 5000000000u, NULL, NULL), 0);
	hipc_link_get_stats(host, &st);
	CHECK_EQ(st.doorbells_rx, 1);
	/* The count is still there for a level-triggered watcher. */
	p = (struct pollfd){ .fd = hipc_link_fd(host), .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 0), 1);

	/* That wait found the doorbell before it slept: its edge may end
	 * one sleep at once (which then finds nothing).  After it the
	 * unread count wakes no one. */
	hipc_link_wait(host, hipc_now_ns() + 50000000u, NULL, NULL);
	t0 = hipc_now_ns();
	CHECK_EQ(hipc_link_wait(host, t0 + 50000000u, NULL, NULL),
		 -HIPC_ETIMEDOUT);
	CHECK(hipc_now_ns() - t0 >= 50000000u);
	CHECK_EQ(poll(&p, 1, 0), 1);

	/* And a new doorbell still ends a sleep. */
	CHECK_EQ(hipc_link_send(remote, 1), 0);
	CHECK_EQ(hipc_link_wait(host, hipc_now_ns() + 5000000000u, NULL, NULL),
		 0);
	hipc_link_get_stats(host, &st);
	CHECK_EQ(st.doorbells_rx, 2);
	/* hipc_link_drain() is the level-triggered watcher's: it clears. */
	CHECK(hipc_link_drain(host, NULL, NULL) >= 0);
	CHECK_EQ(poll(&p, 1, 0), 0);

	hipc_link_free(remote);
	hipc_link_free(host);
	hipc_shm_close(&shm);
}

/* The waits sleep in epoll: a doorbell fd it cannot watch is refused at
 * once, and the fds stay the caller's. */
HIPC_TEST(link_new_refuses_a_doorbell_epoll_cannot_watch)
{
	struct hipc_shm shm;
	struct hipc_link *l;
	int file = memfd_create("not-a-doorbell", MFD_CLOEXEC);
	int out = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	CHECK(file >= 0 && out >= 0);
	CHECK_EQ(hipc_shm_create(&shm, "wait", CTRL_PAGE), 0);
	CHECK_EQ(hipc_link_new(&l, (struct hipc_link_shared *)shm.base,
			       HIPC_SIDE_HOST, file, out, HIPC_LINK_IRQ, 0),
		 -HIPC_EINVAL);
	CHECK_EQ(close(file), 0);
	CHECK_EQ(close(out), 0);
	hipc_shm_close(&shm);
}

HIPC_TEST_MAIN(HIPC_CASE(irq_wait_keeps_its_deadline_under_signals),
	       HIPC_CASE(adaptive_wait_keeps_its_deadline_under_signals),
	       HIPC_CASE(irq_wait_leaves_the_doorbell_count_unread),
	       HIPC_CASE(link_new_refuses_a_doorbell_epoll_cannot_watch))
