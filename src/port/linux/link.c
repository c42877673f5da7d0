/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulated mailbox: a 4-deep FIFO per direction in the shared control
 * page (the "hardware"), the core's mailbox model on top of it (software
 * queue, not-full event), and an eventfd per direction as the interrupt.
 *
 * A consumer that is awake (polling) says so in sh->awake[side]; a
 * producer that sees the flag set skips the eventfd write.  Before sleeping
 * a consumer clears its flag, issues a full barrier and looks at the FIFO
 * once more: either it sees the message, or the producer (which pushes,
 * then issues a barrier, then reads the flag) sees the cleared flag and
 * writes the eventfd.
 *
 * A sleeper waits in epoll_wait() on an epoll set of its own holding the
 * eventfd edge-triggered: every write is an edge whatever the count, so
 * the count is never read and a doorbell costs the sleeper its wait and
 * nothing else (a system call costs a microsecond or more on a virtual
 * machine with page-table isolation, the price of a wake-up itself).  A
 * loop that watches hipc_link_fd() itself, level-triggered, reads the
 * count through hipc_link_drain().  The two mix safely: a doorbell whose
 * count another thread read reaches the sleeper through the generation
 * (below), and an edge nobody took ends the next sleep at once, which
 * then finds nothing to do.
 *
 * Several threads may wait on one link (an event loop and senders blocked
 * for tx buffers).  Whoever drains the FIFO bumps a generation counter and
 * wakes the others; a waiter returns at once if the generation moved since
 * it last returned, so a doorbell consumed by another thread is never
 * slept through.  The thread that waits on the eventfd also watches the
 * generation while it spins, for the same reason: in the spinning modes a
 * doorbell that another thread drained leaves nothing in the FIFO.  A
 * waiter parked behind the eventfd's sleeper asks for the peer's doorbell
 * first (its may_sleep), since the sleeper's own wait may not have.
 *
 * An epoll set of the caller's that holds the eventfd edge-triggered (the
 * rproc's loop) is not one of the link's sleepers and is not woken through
 * the generation: such a caller drains the link from its own loop only.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "port_linux_internal.h"

#define CTRLQ_LEN 64u

struct hipc_link {
	struct hipc_link_shared *sh;
	unsigned side;
	struct hipc_shm_fifo_end out; /* we produce: sh->fifo[peer] */
	struct hipc_shm_fifo_end in;  /* we consume: sh->fifo[side] */
	int efd_in;
	int efd_out;
	int wake_efd;             /* another thread drained: wake the sleeper */
	int epfd;                 /* efd_in and wake_efd, edge-triggered */
	enum hipc_link_mode mode;
	unsigned spin_us;
	unsigned recheck_ms;      /* longest sleep without a look (0: none) */

	pthread_mutex_t lock;     /* the port lock (device state) */
	pthread_mutex_t mb_lock;  /* mailbox model and FIFO consumer */
	struct hipc_mbox mbox;
	struct hipc_port port;

	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	uint64_t gen;             /* bumped by every drain that saw something */
	bool draining;            /* a thread sleeps on the eventfd */
	/* The peer may have written our eventfd since we last read it: set
	 * whenever our awake flag goes down.  While it stays up the peer
	 * writes nothing, and the spinning modes skip the read (a syscall
	 * per drain).  A write that raced with the flag going up is read
	 * after the next sleep, which it cuts short. */
	bool signalled;

	uint32_t ctrlq[CTRLQ_LEN];
	unsigned ctrlq_head, ctrlq_count;
	uint64_t ctrl_dropped;

	struct hipc_link_stats st;
};

uint64_t hipc_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The timeout poll() and epoll_wait() take for @deadline_ns (0: none, -1),
 * rounded up: a wait never ends before its deadline. */
static int ms_left(uint64_t deadline_ns)
{
	uint64_t now, left;

	if (!deadline_ns)
		return -1;
	now = hipc_now_ns();
	left = now >= deadline_ns ? 0 : (deadline_ns - now + 999999u) / 1000000u;
	return left > INT_MAX ? INT_MAX : (int)left;
}

int hipc__poll_until(struct pollfd *p, unsigned n, uint64_t deadline_ns,
		     const volatile sig_atomic_t *stop)
{
	for (;;) {
		int r = poll(p, (nfds_t)n, ms_left(deadline_ns));

		if (r >= 0 || errno != EINTR || (stop && *stop))
			return r;
	}
}

int hipc__epoll_until(int epfd, struct epoll_event *ev, unsigned n,
		      uint64_t deadline_ns, const volatile sig_atomic_t *stop)
{
	for (;;) {
		int r = epoll_wait(epfd, ev, (int)n, ms_left(deadline_ns));

		if (r >= 0 || errno != EINTR || (stop && *stop))
			return r;
	}
}

static void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline unsigned peer_of(const struct hipc_link *l)
{
	return l->side ^ 1u;
}

/* --- mailbox "hardware" ------------------------------------------------- */

static int hw_put(void *hw, uint32_t msg)
{
	struct hipc_link *l = hw;

	return hipc_shm_fifo_put(&l->out, msg);
}

static int hw_get(void *hw, uint32_t *msg)
{
	struct hipc_link *l = hw;

	return hipc_shm_fifo_get(&l->in, msg);
}

static void hw_want_not_full(void *hw, bool on)
{
	struct hipc_link *l = hw;

	__atomic_store_n(&l->sh->fifo[peer_of(l)].want_not_full, on ? 1u : 0u,
			 __ATOMIC_SEQ_CST);
	if (on)
		stat_add(&l->st.not_full_waits, 1);
}

static const struct hipc_mbox_hw_ops link_hw_ops = {
	.put = hw_put,
	.get = hw_get,
	.want_not_full = hw_want_not_full,
};

static void kick_eventfd(int fd)
{
	uint64_t one = 1;
	ssize_t r;

	do
		r = write(fd, &one, sizeof(one));
	while (r < 0 && errno == EINTR);
	/* EAGAIN: the counter is saturated, the peer will wake anyway. */
}

/* Wake the peer unless it says it is polling. */
static void wake_peer(struct hipc_link *l)
{
	/* Our FIFO write must be visible before we read its awake flag. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(&l->sh->awake[peer_of(l)], __ATOMIC_SEQ_CST)) {
		kick_eventfd(l->efd_out);
		stat_add(&l->st.eventfd_writes, 1);
	}
}

/*
 * A sleeper saw no doorbell for a whole recheck interval and looked anyway;
 * @recovered: and found work (a doorbell was lost or never rung).
 */
void hipc__link_rechecked(struct hipc_link *l, bool recovered)
{
	stat_add(&l->st.rechecks, 1);
	if (recovered)
		stat_add(&l->st.recoveries, 1);
}

int hipc_link_send(struct hipc_link *l, uint32_t msg)
{
	int ret;

	pthread_mutex_lock(&l->mb_lock);
	ret = hipc_mbox_send(&l->mbox, msg);
	pthread_mutex_unlock(&l->mb_lock);
	if (ret == 0) {
		stat_add(&l->st.doorbells_tx, 1);
		wake_peer(l);
	}
	return ret;
}

/* Read everything waiting.  Returns messages read or -HIPC_EIO. */
static int drain_fifo(struct hipc_link *l)
{
	struct hipc_shm_fifo *in = &l->sh->fifo[l->side];
	int n = 0, ret = 0;
	uint32_t msg;

	pthread_mutex_lock(&l->mb_lock);
	/* At most a FIFO's worth per pass, and a few passes: a peer that
	 * keeps writing cannot hold us here. */
	for (unsigned i = 0; i < 4u * HIPC_MBOX_HW_DEPTH; i++) {
		ret = hipc_mbox_recv(&l->mbox, &msg);
		if (ret)
			break;
		n++;
		if (hipc_mbox_is_ctrl(msg)) {
			if (l->ctrlq_count == CTRLQ_LEN) {
				l->ctrl_dropped++;
			} else {
				l->ctrlq[(l->ctrlq_head + l->ctrlq_count) %
					 CTRLQ_LEN] = msg;
				/* Atomic: hipc__link_ctrl_waiting() reads it
				 * without the lock. */
				__atomic_store_n(&l->ctrlq_count,
						 l->ctrlq_count + 1u,
						 __ATOMIC_RELEASE);
			}
		}
	}
	/* The peer may wait for room in this FIFO. */
	if (n && __atomic_exchange_n(&in->want_not_full, 0u, __ATOMIC_SEQ_CST)) {
		kick_eventfd(l->efd_out);
		stat_add(&l->st.eventfd_writes, 1);
	}
	/* And we may have messages waiting for room in the other one.  The
	 * peer's "not full" is one-shot here (its drain takes the flag):
	 * what is still left asks again, then is tried once more, or the
	 * peer's next drain would not tell us.  Whatever went in rings the
	 * peer, which may sleep past a FIFO it has already emptied. */
	if (l->mbox.q_count) {
		unsigned before = l->mbox.q_count;
		unsigned left = hipc_mbox_tx_ready(&l->mbox);

		if (left) {
			hw_want_not_full(l, true);
			left = hipc_mbox_tx_ready(&l->mbox);
		}
		if (left < before)
			wake_peer(l);
	}
	pthread_mutex_unlock(&l->mb_lock);
	if (n)
		stat_add(&l->st.doorbells_rx, (uint64_t)n);
	if (ret == -HIPC_EIO)
		return -HIPC_EIO;
	return n;
}

static void clear_eventfd(struct hipc_link *l)
{
	uint64_t v;
	ssize_t r;

	if (l->mode != HIPC_LINK_IRQ &&
	    !__atomic_exchange_n(&l->signalled, false, __ATOMIC_ACQ_REL))
		return;
	do
		r = read(l->efd_in, &v, sizeof(v));
	while (r < 0 && errno == EINTR);
}

/*
 * A thread other than the sleeper consumed doorbells.  The sleeper may sit
 * in epoll_wait() on the eventfd whose count was just read: epoll looks at
 * the count again before it reports the edge, finds nothing and sleeps on,
 * so the sleeper gets its own wake-up on a private eventfd.
 */
static void bump_gen(struct hipc_link *l)
{
	bool sleeper;

	pthread_mutex_lock(&l->wlock);
	/* Atomic: the spinning waiter reads it without the lock. */
	__atomic_fetch_add(&l->gen, 1u, __ATOMIC_RELEASE);
	sleeper = l->draining;
	pthread_cond_broadcast(&l->wcond);
	pthread_mutex_unlock(&l->wlock);
	if (sleeper)
		kick_eventfd(l->wake_efd);
}

static int drain(struct hipc_link *l, bool clear,
		 void (*on_ctrl)(void *, uint32_t), void *arg)
{
	int n;

	if (clear)
		clear_eventfd(l);
	n = drain_fifo(l);
	if (n > 0)
		bump_gen(l);
	for (;;) {
		uint32_t msg;

		pthread_mutex_lock(&l->mb_lock);
		if (!l->ctrlq_count) {
			pthread_mutex_unlock(&l->mb_lock);
			break;
		}
		msg = l->ctrlq[l->ctrlq_head];
		l->ctrlq_head = (l->ctrlq_head + 1u) % CTRLQ_LEN;
		__atomic_store_n(&l->ctrlq_count, l->ctrlq_count - 1u,
				 __ATOMIC_RELAXED);
		pthread_mutex_unlock(&l->mb_lock);
		if (on_ctrl)
			on_ctrl(arg, msg);
	}
	return n;
}

int hipc_link_flush(struct hipc_link *l, unsigned timeout_ms)
{
	uint64_t end = hipc_now_ns() + (uint64_t)timeout_ms * 1000000u;
	unsigned left;

	for (;;) {
		pthread_mutex_lock(&l->mb_lock);
		left = l->mbox.q_count ? hipc_mbox_tx_ready(&l->mbox) : 0;
		if (left)
			hw_want_not_full(l, true);
		pthread_mutex_unlock(&l->mb_lock);
		wake_peer(l);
		if (!left)
			return 0;
		if (hipc_now_ns() >= end)
			return -HIPC_ETIMEDOUT;
		usleep(200);
	}
}

bool hipc__link_ctrl_waiting(const struct hipc_link *l)
{
	return __atomic_load_n(&l->ctrlq_count, __ATOMIC_ACQUIRE) != 0;
}

int hipc_link_drain(struct hipc_link *l, void (*on_ctrl)(void *, uint32_t),
		    void *arg)
{
	return hipc__link_drain_polled(l, true, on_ctrl, arg);
}

int hipc__link_drain_polled(struct hipc_link *l, bool readable,
			    void (*on_ctrl)(void *, uint32_t), void *arg)
{
	return drain(l, readable || l->mode != HIPC_LINK_IRQ, on_ctrl, arg);
}

int hipc__link_drain_edge(struct hipc_link *l,
			  void (*on_ctrl)(void *, uint32_t), void *arg)
{
	return drain(l, false, on_ctrl, arg);
}

/* --- waiting ------------------------------------------------------------ */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ volatile("yield");
#endif
}

static __thread struct {
	const struct hipc_link *link;
	uint64_t gen;
} seen;

static void set_awake(struct hipc_link *l, bool on)
{
	if (!on)
		__atomic_store_n(&l->signalled, true, __ATOMIC_RELEASE);
	__atomic_store_n(&l->sh->awake[l->side], on ? 1u : 0u,
			 __ATOMIC_SEQ_CST);
}

static bool fifo_has_work(struct hipc_link *l)
{
	return hipc_shm_fifo_count(&l->in) != 0;
}

/* Another thread drained doorbells since the generation was @gen0. */
static bool gen_moved(const struct hipc_link *l, uint64_t gen0)
{
	return __atomic_load_n(&l->gen, __ATOMIC_ACQUIRE) != gen0;
}

/*
 * Sleep on the eventfd until @deadline (0: none), or until another thread
 * drains (the generation moves from @gen0); returns -HIPC_ETIMEDOUT or 0.
 * The spinning modes spin first, on the FIFO and on @has_work (the caller's
 * own look at its rings, which needs no doorbell) when it is given, else
 * asking @may_sleep now and then.
 */
static int sleep_eventfd(struct hipc_link *l, uint64_t deadline, uint64_t gen0,
			 bool (*may_sleep)(void *), bool (*has_work)(void *),
			 void *arg)
{
	struct epoll_event ev[2];
	uint64_t sleep_until;
	bool capped = false;
	int r;

	if (l->mode == HIPC_LINK_ADAPTIVE || l->mode == HIPC_LINK_POLL) {
		/* Spin while awake: the peer skips the syscall. */
		uint64_t until = l->mode == HIPC_LINK_POLL
					 ? (deadline ? deadline : UINT64_MAX)
					 : hipc_now_ns() + (uint64_t)l->spin_us * 1000u;

		if (deadline && until > deadline)
			until = deadline;
		set_awake(l, true);
		for (unsigned i = 0;; i++) {
			if (fifo_has_work(l) || gen_moved(l, gen0))
				return 0;
			if (has_work) {
				if (has_work(arg))
					return 0;
			} else if ((i & 1023u) == 0 && may_sleep &&
				   !may_sleep(arg)) {
				/* Now and then ask the caller too: it may
				 * have work that needs no doorbell, or want
				 * to stop. */
				return 0;
			}
			/* The clock every few turns: it costs more than a
			 * look at the rings. */
			if ((i & 7u) == 0) {
				if (hipc_now_ns() >= until)
					break;
				/* A peer that is not awake has to be woken
				 * and scheduled before it can answer: on a
				 * busy machine it may be queued behind us
				 * on this very CPU, and our spinning only
				 * delays it.  Let it run (every few us: a
				 * yield is a system call).  A peer that
				 * spins on our CPU waits for us just the
				 * same, and gets a turn now and then
				 * (adaptive only: polled mode is for a
				 * core of its own, and pays a yield in
				 * latency whenever others wait). */
				if (((i & 511u) == 0 &&
				     l->mode == HIPC_LINK_ADAPTIVE) ||
				    ((i & 63u) == 0 &&
				     !__atomic_load_n(&l->sh->awake[peer_of(l)],
						      __ATOMIC_RELAXED)))
					sched_yield();
			}
			cpu_relax();
		}
		if (l->mode == HIPC_LINK_POLL)
			return -HIPC_ETIMEDOUT;
	}
	set_awake(l, false);
	/* Flag cleared before the last look (see the top of the file). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (fifo_has_work(l) || gen_moved(l, gen0) ||
	    (may_sleep && !may_sleep(arg))) {
		r = 0;
		goto out;
	}
	if (deadline && hipc_now_ns() >= deadline) {
		r = -HIPC_ETIMEDOUT;
		goto out;
	}
	stat_add(&l->st.sleeps, 1);
	for (;;) {
		bool work;

		/* A doorbell lost on its way (or a peer that forgot to ring)
		 * costs at most one interval: then we look as if woken. */
		sleep_until = deadline;
		capped = false;
		if (l->recheck_ms) {
			uint64_t rc = hipc_now_ns() +
				      (uint64_t)l->recheck_ms * 1000000u;

			if (!sleep_until || rc < sleep_until) {
				sleep_until = rc;
				capped = true;
			}
		}
		/* Either edge (a doorbell, another thread's drain) ends the
		 * sleep; neither count is read (see the top of the file). */
		r = hipc__epoll_until(l->epfd, ev, 2, sleep_until, NULL);
		if (r != 0 || !capped) {
			r = r == 0 ? -HIPC_ETIMEDOUT : 0;
			break;
		}
		/* Without @may_sleep only the caller can tell: return as
		 * for a wake-up.  With it, sleep on if there is nothing
		 * (it re-armed the peer's notifications), so a wait still
		 * ends only on work or at its deadline. */
		work = !may_sleep || fifo_has_work(l) || gen_moved(l, gen0) ||
		       !may_sleep(arg);
		hipc__link_rechecked(l, may_sleep && work);
		if (work) {
			r = 0;
			break;
		}
	}
out:
	if (l->mode != HIPC_LINK_IRQ)
		set_awake(l, true);
	return r;
}

int hipc_link_wait(struct hipc_link *l, uint64_t deadline,
		   bool (*may_sleep)(void *), void *arg)
{
	return hipc_link_wait_busy(l, deadline, may_sleep, NULL, arg);
}

int hipc_link_wait_busy(struct hipc_link *l, uint64_t deadline,
			bool (*may_sleep)(void *), bool (*has_work)(void *),
			void *arg)
{
	int ret;

	pthread_mutex_lock(&l->wlock);
	if (seen.link != l || seen.gen != l->gen) {
		/* Something was drained since this thread last looked. */
		seen.link = l;
		seen.gen = l->gen;
		pthread_mutex_unlock(&l->wlock);
		return 0;
	}
	if (l->draining && may_sleep) {
		/* Another thread sleeps on the eventfd and bumps gen when a
		 * doorbell wakes it; only a doorbell asked for comes.  Our
		 * caller's last look may have turned the peer's doorbell
		 * off (a busy poll), and that sleeper's own wait need not
		 * ask for it (a sender waiting for tx buffers asks for
		 * tx-complete only): ask now, as a sleeper would. */
		pthread_mutex_unlock(&l->wlock);
		if (!may_sleep(arg))
			return 0;
		pthread_mutex_lock(&l->wlock);
		if (seen.gen != l->gen) {
			seen.gen = l->gen;
			pthread_mutex_unlock(&l->wlock);
			return 0;
		}
	}
	if (l->draining) {
		/* Another thread sleeps on the eventfd; it will bump gen. */
		struct timespec ts;

		if (deadline) {
			ts.tv_sec = (time_t)(deadline / 1000000000u);
			ts.tv_nsec = (long)(deadline % 1000000000u);
		}
		ret = 0;
		while (l->draining && seen.gen == l->gen && ret == 0) {
			if (deadline)
				ret = pthread_cond_timedwait(&l->wcond, &l->wlock,
							     &ts);
			else
				ret = pthread_cond_wait(&l->wcond, &l->wlock);
		}
		seen.gen = l->gen;
		pthread_mutex_unlock(&l->wlock);
		return ret == ETIMEDOUT ? -HIPC_ETIMEDOUT : 0;
	}
	l->draining = true;
	pthread_mutex_unlock(&l->wlock);

	ret = sleep_eventfd(l, deadline, seen.gen, may_sleep, has_work, arg);
	if (drain_fifo(l) == -HIPC_EIO)
		ret = -HIPC_EIO;

	pthread_mutex_lock(&l->wlock);
	l->draining = false;
	seen.gen = __atomic_add_fetch(&l->gen, 1u, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&l->wcond);
	pthread_mutex_unlock(&l->wlock);
	return ret;
}

void hipc_link_wake(struct hipc_link *l)
{
	/* Our own eventfd: whoever sleeps in poll() wakes; the generation
	 * bump releases those waiting on the condition variable. */
	kick_eventfd(l->efd_in);
	bump_gen(l);
}

/* --- the port ------------------------------------------------------------ */

static void port_lock(void *ctx)
{
	pthread_mutex_lock(&((struct hipc_link *)ctx)->lock);
}

static void port_unlock(void *ctx)
{
	pthread_mutex_unlock(&((struct hipc_link *)ctx)->lock);
}

static int port_notify(void *ctx, uint32_t notifyid)
{
	return hipc_link_send(ctx, notifyid);
}

static int port_wait(void *ctx, uint64_t deadline)
{
	return hipc_link_wait(ctx, deadline, NULL, NULL);
}

static uint64_t port_now(void *ctx)
{
	(void)ctx;
	return hipc_now_ns();
}

static void port_wake(void *ctx)
{
	hipc_link_wake(ctx);
}

static uintptr_t port_self(void *ctx)
{
	(void)ctx;
	return (uintptr_t)pthread_self();
}

static const struct hipc_port_ops link_port_ops = {
	.lock = port_lock,
	.unlock = port_unlock,
	.notify = port_notify,
	.wait = port_wait,
	.now_ns = port_now,
	.wake = port_wake,
	.self = port_self,
};

/* The doorbell as a faulty interconnect delivers it (HIPC_FAULTS); control
 * messages (hipc_link_send() called directly) are left alone. */
static int port_notify_faulty(void *ctx, uint32_t notifyid)
{
	uint32_t us = 0;
	int ret;

	switch (hipc__faults_doorbell(&us)) {
	case HIPC__FAULT_DROP:
		return 0;
	case HIPC__FAULT_DUP:
		ret = hipc_link_send(ctx, notifyid);
		if (ret)
			return ret;
		break;
	case HIPC__FAULT_DELAY:
		hipc__fault_sleep_us(us);
		break;
	case HIPC__FAULT_NONE:
		break;
	}
	return hipc_link_send(ctx, notifyid);
}

/* Only links created while HIPC_FAULTS is set use it: the plain table
 * above costs nothing extra. */
static const struct hipc_port_ops link_port_ops_faulty = {
	.lock = port_lock,
	.unlock = port_unlock,
	.notify = port_notify_faulty,
	.wait = port_wait,
	.now_ns = port_now,
	.wake = port_wake,
	.self = port_self,
};

void hipc_link_shared_init(struct hipc_link_shared *sh)
{
	hipc_shm_fifo_reset(&sh->fifo[0]);
	hipc_shm_fifo_reset(&sh->fifo[1]);
	sh->awake[0] = 0;
	sh->awake[1] = 0;
}

int hipc_link_new(struct hipc_link **out, struct hipc_link_shared *sh,
		  unsigned side, int efd_in, int efd_out,
		  enum hipc_link_mode mode, unsigned spin_us)
{
	struct hipc_link *l;
	int ret;

	if (!out)
		return -HIPC_EINVAL;
	*out = NULL;
	if (!sh || side > 1 || efd_in < 0 || efd_out < 0)
		return -HIPC_EINVAL;
	l = hipc__fault_alloc() ? NULL : calloc(1, sizeof(*l));
	if (!l)
		return -HIPC_ENOMEM;
	l->sh = sh;
	l->side = side;
	hipc_shm_fifo_open(&l->out, &sh->fifo[side ^ 1u], true);
	hipc_shm_fifo_open(&l->in, &sh->fifo[side], false);
	l->efd_in = efd_in;
	l->efd_out = efd_out;
	l->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake_efd < 0) {
		ret = hipc__from_errno(errno);
		goto free_link;
	}
	/* Where the link's own waits sleep (see the top of the file).  A
	 * doorbell fd epoll cannot watch (a regular file a peer handed us)
	 * is refused here rather than never waking anyone. */
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		ret = hipc__from_errno(errno);
		goto close_wake;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, efd_in,
		      &(struct epoll_event){ .events = EPOLLIN | EPOLLET }) < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wake_efd,
		      &(struct epoll_event){ .events = EPOLLIN | EPOLLET }) < 0) {
		ret = errno == EPERM ? -HIPC_EINVAL : hipc__from_errno(errno);
		goto close_epfd;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->mb_lock, NULL);
	pthread_mutex_init(&l->wlock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&l->wcond, &ca);
		pthread_condattr_destroy(&ca);
	}
	hipc_mbox_init(&l->mbox, &link_hw_ops, l);
	l->port.ops = hipc__faults_on() ? &link_port_ops_faulty : &link_port_ops;
	l->port.ctx = l;
	l->recheck_ms = HIPC_LINK_RECHECK_MS;
	{
		const char *v = getenv("HIPC_RECHECK_MS");

		if (v && *v)
			l->recheck_ms = (unsigned)strtoul(v, NULL, 10);
	}
	hipc_link_set_mode(l, mode, spin_us);
	*out = l;
	return 0;

close_epfd:
	close(l->epfd);
close_wake:
	close(l->wake_efd);
free_link:
	free(l);
	return ret;
}

void hipc_link_free(struct hipc_link *l)
{
	if (!l)
		return;
	if (l->sh)
		__atomic_store_n(&l->sh->awake[l->side], 0u, __ATOMIC_SEQ_CST);
	close(l->epfd);
	close(l->efd_in);
	close(l->efd_out);
	close(l->wake_efd);
	pthread_mutex_destroy(&l->lock);
	pthread_mutex_destroy(&l->mb_lock);
	pthread_mutex_destroy(&l->wlock);
	pthread_cond_destroy(&l->wcond);
	free(l);
}

const struct hipc_port *hipc_link_port(struct hipc_link *l)
{
	return &l->port;
}

int hipc_link_fd(const struct hipc_link *l)
{
	return l->efd_in;
}

void hipc_link_set_mode(struct hipc_link *l, enum hipc_link_mode mode,
			unsigned spin_us)
{
	l->mode = mode;
	l->spin_us = spin_us ? spin_us : 50;
	/* The peer may have written while the flag was down. */
	__atomic_store_n(&l->signalled, true, __ATOMIC_RELEASE);
	/* IRQ mode: every doorbell is an interrupt (eventfd write); the
	 * other modes advertise "awake" while not sleeping. */
	set_awake(l, mode != HIPC_LINK_IRQ);
}

void hipc_link_set_recheck(struct hipc_link *l, unsigned ms)
{
	l->recheck_ms = ms;
}

unsigned hipc_link_recheck_ms(const struct hipc_link *l)
{
	return l->recheck_ms;
}

void hipc_link_get_stats(const struct hipc_link *l, struct hipc_link_stats *st)
{
	st->doorbells_tx = __atomic_load_n(&l->st.doorbells_tx, __ATOMIC_RELAXED);
	st->doorbells_rx = __atomic_load_n(&l->st.doorbells_rx, __ATOMIC_RELAXED);
	st->eventfd_writes =
		__atomic_load_n(&l->st.eventfd_writes, __ATOMIC_RELAXED);
	st->sleeps = __atomic_load_n(&l->st.sleeps, __ATOMIC_RELAXED);
	st->not_full_waits =
		__atomic_load_n(&l->st.not_full_waits, __ATOMIC_RELAXED);
	st->rechecks = __atomic_load_n(&l->st.rechecks, __ATOMIC_RELAXED);
	st->recoveries = __atomic_load_n(&l->st.recoveries, __ATOMIC_RELAXED);
}
