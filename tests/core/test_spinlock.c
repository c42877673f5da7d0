/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Spinlocks in shared memory, one context: two sets on the same words stand
 * for the two sides (host id 1, remote id 2).  A scripted port gives a
 * clock that moves 1 µs per reading and a "current thread" the test
 * switches, so timeouts are exact and bounded.  Runs on the host and on
 * the Cortex-M4 under QEMU.
 */
#include <stdint.h>
#include <string.h>

#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/spinlock.h"
#include "hipc_test.h"

#define HOST 1u
#define REMOTE 2u
#define NLOCKS 256u

static uint32_t words[NLOCKS];

/* The scripted port. */
struct fake {
	uint64_t now;
	uintptr_t self;
	int depth;   /* lock nesting: must stay 0 or 1 */
	int locks;   /* lock() calls */
	int relaxes; /* relax callback calls */
};

static void f_lock(void *ctx)
{
	struct fake *f = ctx;

	CHECK_EQ(f->depth, 0);
	f->depth++;
	f->locks++;
}

static void f_unlock(void *ctx)
{
	struct fake *f = ctx;

	CHECK_EQ(f->depth, 1);
	f->depth--;
}

/* The other side writing @val into lock word @idx at the @after-th clock
 * reading from now on (@after 0: nothing scripted). */
static struct {
	unsigned after, idx;
	uint32_t val;
} peer_write;

static uint64_t f_now(void *ctx)
{
	struct fake *f = ctx;

	if (peer_write.after && --peer_write.after == 0)
		hipc_put_le32(&words[peer_write.idx], peer_write.val);
	f->now += 1000;
	return f->now;
}

static uintptr_t f_self(void *ctx)
{
	return ((struct fake *)ctx)->self;
}

static void f_relax(void *arg)
{
	((struct fake *)arg)->relaxes++;
}

static const struct hipc_port_ops fake_ops = {
	.lock = f_lock, .unlock = f_unlock, .now_ns = f_now, .self = f_self,
};

static struct fake hf, rf;
static struct hipc_port hport = { &fake_ops, &hf };
static struct hipc_port rport = { &fake_ops, &rf };
static struct hipc_spinlock_set host, remote;

static void setup_sets(const struct hipc_port *hp, const struct hipc_port *rp)
{
	static const uint32_t host_peers[] = { REMOTE };
	static const uint32_t remote_peers[] = { HOST };
	struct hipc_spinlock_cfg cfg = {
		.base = words, .count = NLOCKS, .owner = HOST,
		.peers = host_peers, .npeers = 1, .port = hp,
	};

	memset(&hf, 0, sizeof(hf));
	memset(&rf, 0, sizeof(rf));
	hf.self = rf.self = 100;
	CHECK_EQ(hipc_spinlock_init(&host, &cfg), 0);
	hipc_spinlock_reset(&host);
	cfg.owner = REMOTE;
	cfg.peers = remote_peers;
	cfg.port = rp;
	CHECK_EQ(hipc_spinlock_init(&remote, &cfg), 0);
}

static void setup(void)
{
	setup_sets(&hport, &rport);
}

static struct hipc_spinlock_stats stats(const struct hipc_spinlock_set *s)
{
	struct hipc_spinlock_stats st;

	CHECK_EQ(hipc_spinlock_get_stats(s, &st), 0);
	return st;
}

HIPC_TEST(init_rejects_bad_config)
{
	static const uint32_t dup[] = { HOST };
	static const uint32_t zero[] = { 0 };
	static const uint32_t two[] = { 3, 3 };
	struct hipc_spinlock_cfg cfg = { .base = words, .count = NLOCKS,
					 .owner = HOST };
	struct hipc_spinlock_set s;

	CHECK_EQ(hipc_spinlock_init(&s, &cfg), 0);
	CHECK_EQ(hipc_spinlock_init(NULL, &cfg), -HIPC_EINVAL);
	CHECK_EQ(hipc_spinlock_init(&s, NULL), -HIPC_EINVAL);
	cfg.count = 0;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL);
	cfg.count = NLOCKS + 1;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL);
	cfg.count = 4;
	cfg.base = (uint8_t *)words + 2;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL);
	cfg.base = words;
	cfg.owner = 0;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL);
	cfg.owner = HOST;
	cfg.npeers = 1;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL); /* NULL peers */
	cfg.peers = dup;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL);
	cfg.peers = zero;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL);
	cfg.peers = two;
	cfg.npeers = 2;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL);
	cfg.npeers = HIPC_SPINLOCK_MAX_PEERS + 1;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), -HIPC_EINVAL);
	cfg.npeers = 1;
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), 0);
	CHECK_EQ(hipc_spinlock_trylock(&s, 4), -HIPC_EINVAL);
	CHECK_EQ(hipc_spinlock_lock(&s, 4, 10), -HIPC_EINVAL);
	CHECK_EQ(hipc_spinlock_unlock(&s, 4), -HIPC_EINVAL);
}

HIPC_TEST(try_release_and_owner_recorded)
{
	uint32_t o;

	setup();
	CHECK_EQ(hipc_spinlock_owner(&host, 7, &o), 0);
	CHECK_EQ(o, 0);
	CHECK_EQ(hipc_spinlock_trylock(&host, 7), 0);
	/* The owner is in the word, little-endian, from the take itself. */
	CHECK_EQ(hipc_get_le32(&words[7]), HOST);
	CHECK_EQ(hipc_spinlock_owner(&remote, 7, &o), 0);
	CHECK_EQ(o, HOST);
	CHECK_EQ(hipc_spinlock_trylock(&remote, 7), -HIPC_EBUSY);
	CHECK_EQ(hipc_spinlock_trylock(&remote, 8), 0);
	CHECK_EQ(hipc_get_le32(&words[8]), REMOTE);
	CHECK_EQ(hipc_spinlock_unlock(&host, 7), 0);
	CHECK_EQ(words[7], 0);
	CHECK_EQ(hipc_spinlock_trylock(&remote, 7), 0);
	CHECK_EQ(hipc_spinlock_unlock(&remote, 7), 0);
	CHECK_EQ(hipc_spinlock_unlock(&remote, 8), 0);
	CHECK_EQ(stats(&host).acquires, 1);
	CHECK_EQ(stats(&remote).acquires, 2);
	CHECK_EQ(stats(&remote).contended, 1);
	/* The port lock was taken and always released (f_unlock checks). */
	CHECK(hf.locks > 0 && hf.depth == 0 && rf.depth == 0);
	/* lock() with time to spare takes a free lock at once. */
	CHECK_EQ(hipc_spinlock_lock(&host, 255, 1000), 0);
	CHECK_EQ(hipc_spinlock_unlock(&host, 255), 0);
}

HIPC_TEST(non_owner_release_refused)
{
	setup();
	CHECK_EQ(hipc_spinlock_trylock(&host, 3), 0);
	/* The other side. */
	CHECK_EQ(hipc_spinlock_unlock(&remote, 3), -HIPC_EPERM);
	CHECK_EQ(hipc_get_le32(&words[3]), HOST);
	/* Another thread of the same side. */
	hf.self = 200;
	CHECK_EQ(hipc_spinlock_unlock(&host, 3), -HIPC_EPERM);
	CHECK_EQ(hipc_get_le32(&words[3]), HOST);
	/* A lock nobody holds. */
	CHECK_EQ(hipc_spinlock_unlock(&host, 4), -HIPC_EPERM);
	CHECK_EQ(stats(&host).bad_releases, 2);
	CHECK_EQ(stats(&remote).bad_releases, 1);
	hf.self = 100;
	CHECK_EQ(hipc_spinlock_unlock(&host, 3), 0);
	CHECK_EQ(hipc_spinlock_unlock(&host, 3), -HIPC_EPERM); /* twice */
}

HIPC_TEST(threads_of_one_side_wait_locally)
{
	setup();
	CHECK_EQ(hipc_spinlock_trylock(&host, 9), 0);
	/* Taking it again from the holding thread: refused, not a spin
	 * against ourselves until the timeout. */
	CHECK_EQ(hipc_spinlock_trylock(&host, 9), -HIPC_EALREADY);
	CHECK_EQ(hipc_spinlock_lock(&host, 9, 1000), -HIPC_EALREADY);
	/* Another thread of ours waits on the local record: the shared word
	 * is never touched, so garbage put there now is not even seen. */
	hf.self = 200;
	hipc_put_le32(&words[9], 0xBADu);
	CHECK_EQ(hipc_spinlock_trylock(&host, 9), -HIPC_EBUSY);
	CHECK_EQ(hipc_spinlock_lock(&host, 9, 50), -HIPC_ETIMEDOUT);
	CHECK_EQ(stats(&host).proto_errors, 0);
	CHECK_EQ(stats(&host).timeouts, 1);
	hipc_put_le32(&words[9], HOST);
	hf.self = 100;
	CHECK_EQ(hipc_spinlock_unlock(&host, 9), 0);
	hf.self = 200;
	CHECK_EQ(hipc_spinlock_lock(&host, 9, 50), 0);
	CHECK_EQ(hipc_spinlock_unlock(&host, 9), 0);
}

HIPC_TEST(timeout_fires_on_a_lock_never_released)
{
	uint64_t t0;

	setup();
	CHECK_EQ(hipc_spinlock_trylock(&remote, 20), 0);
	t0 = hf.now;
	CHECK_EQ(hipc_spinlock_lock(&host, 20, 500), -HIPC_ETIMEDOUT);
	/* 1 µs per clock reading: the deadline, give or take a reading. */
	CHECK(hf.now - t0 >= 500000u && hf.now - t0 <= 502000u);
	CHECK_EQ(stats(&host).timeouts, 1);
	CHECK_EQ(stats(&host).contended, 1);
	CHECK_EQ(stats(&host).acquires, 0);
	/* Nothing left claimed: the next try reaches the word again. */
	CHECK_EQ(hipc_spinlock_trylock(&host, 20), -HIPC_EBUSY);
	CHECK_EQ(hipc_spinlock_lock(&host, 20, 0), -HIPC_EBUSY);
	CHECK_EQ(hipc_spinlock_unlock(&remote, 20), 0);
	CHECK_EQ(hipc_spinlock_lock(&host, 20, 500), 0);
	CHECK_EQ(hipc_spinlock_unlock(&host, 20), 0);
}

HIPC_TEST(timeout_without_clock_is_an_attempt_budget)
{
	struct hipc_spinlock_cfg cfg = {
		.base = words, .count = NLOCKS, .owner = HOST,
		.relax = f_relax, .relax_arg = &hf, .spins_per_us = 3,
	};
	struct hipc_spinlock_set s;

	setup();
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), 0); /* no port */
	memset(&hf, 0, sizeof(hf));
	CHECK_EQ(hipc_spinlock_trylock(&remote, 1), 0);
	CHECK_EQ(hipc_spinlock_lock(&s, 1, 100), -HIPC_ETIMEDOUT);
	/* 300 attempts, the first HIPC_SPINLOCK_SPINS without relax. */
	CHECK_EQ(hf.relaxes, 300 - (int)HIPC_SPINLOCK_SPINS);
	CHECK_EQ(stats(&s).timeouts, 1);
}

HIPC_TEST(unknown_owner_ids_count_and_hold_the_lock)
{
	uint32_t o;

	setup();
	hipc_put_le32(&words[30], 0xDEADBEEFu);
	CHECK_EQ(hipc_spinlock_trylock(&host, 30), -HIPC_EBUSY);
	CHECK_EQ(stats(&host).proto_errors, 1);
	/* A lock() call counts it once, however often it reads it. */
	CHECK_EQ(hipc_spinlock_lock(&host, 30, 100), -HIPC_ETIMEDOUT);
	CHECK_EQ(stats(&host).proto_errors, 2);
	CHECK_EQ(hipc_spinlock_owner(&host, 30, &o), -HIPC_EPROTO);
	CHECK_EQ(o, 0xDEADBEEFu);
	CHECK_EQ(stats(&host).proto_errors, 3);
	CHECK_EQ(hipc_get_le32(&words[30]), 0xDEADBEEFu);
	/* Garbage is nobody's to release... */
	CHECK_EQ(hipc_spinlock_unlock(&host, 30), -HIPC_EPERM);
	/* ...but recovery can clear it by its value. */
	CHECK_EQ(hipc_spinlock_release_owner(&host, 0xDEADBEEFu), 1);
	CHECK_EQ(hipc_spinlock_trylock(&host, 30), 0);
	CHECK_EQ(hipc_spinlock_unlock(&host, 30), 0);
}

/* Garbage in the word that the other side then clears while we wait: the
 * lock is taken once it is free, the garbage counted once for the call. */
HIPC_TEST(unknown_owner_then_free_counted_once)
{
	struct hipc_spinlock_stats before;

	setup();
	hipc_put_le32(&words[31], 0x12345678u);
	before = stats(&host);
	peer_write.after = 20;
	peer_write.idx = 31;
	peer_write.val = 0;
	CHECK_EQ(hipc_spinlock_lock(&host, 31, 1000), 0);
	CHECK_EQ(peer_write.after, 0); /* it waited for the write */
	CHECK_EQ(stats(&host).proto_errors, before.proto_errors + 1);
	CHECK_EQ(stats(&host).acquires, before.acquires + 1);
	CHECK_EQ(stats(&host).contended, before.contended + 1);
	CHECK_EQ(stats(&host).timeouts, before.timeouts);
	CHECK_EQ(hipc_get_le32(&words[31]), HOST);
	CHECK_EQ(hipc_spinlock_unlock(&host, 31), 0);
	CHECK_EQ(hipc_get_le32(&words[31]), 0);
}

HIPC_TEST(lock_changed_under_the_holder)
{
	setup();
	CHECK_EQ(hipc_spinlock_trylock(&remote, 40), 0);
	/* The host decides the remote is dead, recovers, and takes it. */
	CHECK_EQ(hipc_spinlock_release_owner(&host, REMOTE), 1);
	CHECK_EQ(hipc_spinlock_trylock(&host, 40), 0);
	/* The remote's late release must not free the host's lock. */
	CHECK_EQ(hipc_spinlock_unlock(&remote, 40), -HIPC_EIO);
	CHECK_EQ(hipc_get_le32(&words[40]), HOST);
	CHECK_EQ(stats(&remote).proto_errors, 1);
	/* Its local record is cleared all the same. */
	CHECK_EQ(hipc_spinlock_unlock(&remote, 40), -HIPC_EPERM);
	CHECK_EQ(hipc_spinlock_unlock(&host, 40), 0);
}

HIPC_TEST(release_owner_frees_exactly_that_owners_locks)
{
	struct hipc_spinlock_stats st;

	setup();
	for (uint32_t i = 0; i < NLOCKS; i += 10)
		CHECK_EQ(hipc_spinlock_trylock(&remote, i), 0);
	for (uint32_t i = 5; i < NLOCKS; i += 10)
		CHECK_EQ(hipc_spinlock_trylock(&host, i), 0);
	hipc_put_le32(&words[3], 77);
	CHECK_EQ(hipc_spinlock_release_owner(&host, 0), -HIPC_EINVAL);
	CHECK_EQ(hipc_spinlock_release_owner(&host, REMOTE), 26);
	CHECK_EQ(hipc_spinlock_release_owner(&host, REMOTE), 0);
	for (uint32_t i = 0; i < NLOCKS; i++) {
		uint32_t v = hipc_get_le32(&words[i]);

		if (i % 10 == 5)
			CHECK_EQ(v, HOST);
		else if (i == 3)
			CHECK_EQ(v, 77);
		else
			CHECK_EQ(v, 0);
	}
	st = stats(&host);
	CHECK_EQ(st.recovered, 26);
	/* With our own id, locks a thread of ours holds stay held... */
	CHECK_EQ(hipc_spinlock_release_owner(&host, HOST), 0);
	/* ...and what a previous life of ours left is freed: a fresh set
	 * stands for the restarted side. */
	{
		static const uint32_t peers[] = { REMOTE };
		struct hipc_spinlock_cfg cfg = {
			.base = words, .count = NLOCKS, .owner = HOST,
			.peers = peers, .npeers = 1, .port = &hport,
		};
		struct hipc_spinlock_set reborn;

		CHECK_EQ(hipc_spinlock_init(&reborn, &cfg), 0);
		CHECK_EQ(hipc_spinlock_trylock(&reborn, 5), -HIPC_EBUSY);
		CHECK_EQ(hipc_spinlock_release_owner(&reborn, HOST), 26);
		CHECK_EQ(hipc_spinlock_trylock(&reborn, 5), 0);
		CHECK_EQ(hipc_spinlock_unlock(&reborn, 5), 0);
	}
}

HIPC_TEST(a_set_smaller_than_the_maximum)
{
	struct hipc_spinlock_cfg cfg = { .base = words, .count = 4,
					 .owner = HOST };
	struct hipc_spinlock_set s;

	memset(words, 0, sizeof(words));
	words[4] = hipc_le32(HOST); /* beyond the set: never touched */
	CHECK_EQ(hipc_spinlock_init(&s, &cfg), 0);
	CHECK_EQ(hipc_spinlock_trylock(&s, 3), 0);
	CHECK_EQ(hipc_spinlock_trylock(&s, 4), -HIPC_EINVAL);
	CHECK_EQ(hipc_spinlock_release_owner(&s, HOST), 0);
	hipc_spinlock_reset(&s);
	CHECK_EQ(words[3], 0);
	CHECK_EQ(hipc_get_le32(&words[4]), HOST);
	CHECK_EQ(HIPC_SPINLOCK_REGION_SIZE(256u), 1024u);
}

HIPC_TEST_MAIN(HIPC_CASE(init_rejects_bad_config),
	       HIPC_CASE(try_release_and_owner_recorded),
	       HIPC_CASE(non_owner_release_refused),
	       HIPC_CASE(threads_of_one_side_wait_locally),
	       HIPC_CASE(timeout_fires_on_a_lock_never_released),
	       HIPC_CASE(timeout_without_clock_is_an_attempt_budget),
	       HIPC_CASE(unknown_owner_ids_count_and_hold_the_lock),
	       HIPC_CASE(unknown_owner_then_free_counted_once),
	       HIPC_CASE(lock_changed_under_the_holder),
	       HIPC_CASE(release_owner_frees_exactly_that_owners_locks),
	       HIPC_CASE(a_set_smaller_than_the_maximum))
