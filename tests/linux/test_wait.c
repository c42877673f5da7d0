/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Waiting with a deadline while signals arrive: a wait interrupted by a
 * signal goes on with what is left of its time, not with its whole timeout
 * again (which, with signals more frequent than the timeout, would never
 * end).
 */
#include <signal.h>
#include <sys/eventfd.h>
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

HIPC_TEST_MAIN(HIPC_CASE(irq_wait_keeps_its_deadline_under_signals),
	       HIPC_CASE(adaptive_wait_keeps_its_deadline_under_signals))
