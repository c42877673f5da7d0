/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Spinlocks between processes: a memfd both map (hipc_shm_create + fork),
 * each process one side of a link whose port (a mutex, the clock, the
 * thread id) the set uses, as it would share a device's port.
 *
 *   counter_is_exact: 2 processes x 2 threads increment one plain counter
 *     under one lock, HIPC_SPIN_INCREMENTS in total (10 million; 200,000
 *     under a sanitizer), and the count comes out exact.
 *   killed_holder_is_recovered: a process SIGKILLed while holding a lock;
 *     the survivor times out on it, calls release_owner() and gets it.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/spinlock.h"
#include "hipc_test.h"

#define HOST 1u
#define REMOTE 2u
#define WORDS_OFF 1024u /* after the link's shared words */
#define AREA_OFF 4096u
#define REGION 8192u
#define LOCK_ID 17u

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DEFAULT_INCREMENTS 200000ul
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DEFAULT_INCREMENTS 200000ul
#endif
#endif
#ifndef DEFAULT_INCREMENTS
#define DEFAULT_INCREMENTS 10000000ul
#endif

/* What the processes share besides the locks. */
struct area {
	uint64_t counter; /* plain: only ever touched under LOCK_ID */
	uint32_t ready;
};

struct side {
	struct hipc_link *link;
	struct hipc_spinlock_set set;
};

static struct hipc_shm shm;
static int efd[2];

static void yield(void *arg)
{
	(void)arg;
	sched_yield();
}

static struct area *area(void)
{
	return (struct area *)(shm.base + AREA_OFF);
}

static void region_setup(void)
{
	CHECK_EQ(hipc_shm_create(&shm, "spinlock", REGION), 0);
	hipc_link_shared_init((struct hipc_link_shared *)shm.base);
	efd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	efd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	CHECK(efd[0] >= 0 && efd[1] >= 0);
}

/* This process's side: its link (for the port) and its set. */
static void side_open(struct side *s, unsigned side)
{
	uint32_t me = side == HIPC_SIDE_HOST ? HOST : REMOTE;
	uint32_t peer = side == HIPC_SIDE_HOST ? REMOTE : HOST;
	struct hipc_spinlock_cfg cfg = {
		.base = shm.base + WORDS_OFF, .count = HIPC_SPINLOCK_MAX,
		.owner = me, .peers = &peer, .npeers = 1, .relax = yield,
	};

	CHECK_EQ(hipc_link_new(&s->link, (struct hipc_link_shared *)shm.base,
			       side, efd[side], efd[1 - side], HIPC_LINK_IRQ,
			       0),
		 0);
	cfg.port = hipc_link_port(s->link);
	CHECK_EQ(hipc_spinlock_init(&s->set, &cfg), 0);
}

static unsigned long increments(void)
{
	const char *e = getenv("HIPC_SPIN_INCREMENTS");
	unsigned long n = e ? strtoul(e, NULL, 10) : DEFAULT_INCREMENTS;

	return n - n % 4; /* 4 threads, the same share each */
}

struct worker {
	struct side *s;
	unsigned long n;
	int err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct area *a = area();

	for (unsigned long i = 0; i < w->n; i++) {
		int ret = hipc_spinlock_lock(&w->s->set, LOCK_ID, 10000000u);

		if (ret) {
			w->err = ret;
			break;
		}
		a->counter++;
		ret = hipc_spinlock_unlock(&w->s->set, LOCK_ID);
		if (ret) {
			w->err = ret;
			break;
		}
	}
	return NULL;
}

/* Two threads of one side; 0 when both did all their increments. */
static int run_side(unsigned side, unsigned long per_thread)
{
	struct hipc_spinlock_stats st;
	struct worker w[2];
	pthread_t t[2];
	struct side s;

	side_open(&s, side);
	for (int i = 0; i < 2; i++) {
		w[i] = (struct worker){ &s, per_thread, 0 };
		CHECK_EQ(pthread_create(&t[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	hipc_spinlock_get_stats(&s.set, &st);
	printf("side %u: acquires %u contended %u timeouts %u errors %u\n",
	       side, st.acquires, st.contended, st.timeouts, st.proto_errors);
	fflush(stdout);
	hipc_link_free(s.link);
	if (w[0].err || w[1].err) {
		printf("side %u: %s\n", side,
		       hipc_strerror(w[0].err ? w[0].err : w[1].err));
		return 1;
	}
	return st.acquires == 2 * per_thread && st.proto_errors == 0 ? 0 : 1;
}

HIPC_TEST(counter_is_exact)
{
	unsigned long n = increments();
	uint64_t t0 = hipc_now_ns();
	int status;
	pid_t pid;

	region_setup();
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(run_side(HIPC_SIDE_REMOTE, n / 4));
	CHECK_EQ(run_side(HIPC_SIDE_HOST, n / 4), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(area()->counter, n);
	printf("%lu increments in %.3f s\n", n, (hipc_now_ns() - t0) / 1e9);
	hipc_shm_close(&shm);
}

HIPC_TEST(killed_holder_is_recovered)
{
	struct hipc_spinlock_stats st;
	struct side s;
	uint32_t o;
	int status;
	pid_t pid;

	region_setup();
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct side r;

		side_open(&r, HIPC_SIDE_REMOTE);
		if (hipc_spinlock_lock(&r.set, LOCK_ID, 1000000u) != 0)
			_exit(1);
		__atomic_store_n(&area()->ready, 1u, __ATOMIC_RELEASE);
		for (;;)
			pause();
	}
	side_open(&s, HIPC_SIDE_HOST);
	for (int i = 0; i < 5000 &&
			!__atomic_load_n(&area()->ready, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	CHECK_EQ(__atomic_load_n(&area()->ready, __ATOMIC_ACQUIRE), 1);
	CHECK_EQ(hipc_spinlock_owner(&s.set, LOCK_ID, &o), 0);
	CHECK_EQ(o, REMOTE);
	CHECK_EQ(hipc_spinlock_lock(&s.set, LOCK_ID, 20000u), -HIPC_ETIMEDOUT);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* Still taken: a dead holder releases nothing by itself. */
	CHECK_EQ(hipc_spinlock_trylock(&s.set, LOCK_ID), -HIPC_EBUSY);
	CHECK_EQ(hipc_spinlock_release_owner(&s.set, REMOTE), 1);
	CHECK_EQ(hipc_spinlock_lock(&s.set, LOCK_ID, 1000u), 0);
	CHECK_EQ(hipc_spinlock_owner(&s.set, LOCK_ID, &o), 0);
	CHECK_EQ(o, HOST);
	CHECK_EQ(hipc_spinlock_unlock(&s.set, LOCK_ID), 0);
	CHECK_EQ(hipc_spinlock_get_stats(&s.set, &st), 0);
	CHECK_EQ(st.recovered, 1);
	CHECK_EQ(st.timeouts, 1);
	CHECK_EQ(st.acquires, 1);
	CHECK_EQ(st.proto_errors, 0);
	hipc_link_free(s.link);
	hipc_shm_close(&shm);
}

HIPC_TEST_MAIN(HIPC_CASE(counter_is_exact),
	       HIPC_CASE(killed_holder_is_recovered))
