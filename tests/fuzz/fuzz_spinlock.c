/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the shared-memory spinlocks.  The input chooses a
 * set (count, our id, the peers' ids, a port with a fake clock or none),
 * then is a script of operations on it: trylock, lock with a timeout of 0
 * or a few microseconds, unlock, release_owner, owner, and writes by an
 * adversary of any word into the lock slots, between the operations and
 * also from inside the clock while lock() waits.
 *
 * Besides "no crash", after every operation:
 * - nothing outside the set's slots changed (guard words around them and
 *   the unused slots of the area), and a lock() reads the clock a bounded
 *   number of times (every call returns);
 * - each call's result is the one the slot's word before the call and our
 *   own record of what we hold call for: trylock takes a free lock and
 *   then the word holds our id, and refuses one whose word holds anything
 *   else (an unknown id is never taken for free); unlock of a lock we did
 *   not take is refused and changes nothing; release_owner frees exactly
 *   the words holding that id (ours: those we do not hold); owner reports
 *   the word, and an unknown id as a protocol error;
 * - the relax hook, when set, is called only from a lock() that has
 *   spent HIPC_SPINLOCK_SPINS attempts;
 * - the statistics never go down, and move as the call says (an acquire,
 *   a bad release, a protocol error, a timeout, recovered locks).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipc/error.h"
#include "hipc/port.h"
#include "hipc/spinlock.h"
#include "fuzz_input.h"

#define MAXL 16u
#define GUARD 0xA5A5A5A5u

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_spinlock:%d: %s\n", __LINE__,   \
				#c);                                          \
			abort();                                              \
		}                                                             \
	} while (0)

static struct {
	uint32_t pre[8];
	uint32_t w[MAXL];
	uint32_t post[8];
} A;

static struct hipc_spinlock_set set;
static struct hipc_spinlock_stats last;
static uint32_t count, owner, peers[HIPC_SPINLOCK_MAX_PEERS], npeers;
static bool held[MAXL];
static bool has_clock;
static uint64_t now, step;
static uint32_t clock_reads;
/* The relax hook (when set): calls during the current lock() */
static uint32_t relaxes;
static bool in_lock;
/* The adversary inside the clock: at read number mid_at, write mid_val
 * into slot mid_slot (0: not armed). */
static uint32_t mid_at, mid_val, mid_slot;
static bool mid_done;

static uint64_t now_ns(void *ctx)
{
	CHECK(ctx == &set || ctx == NULL);
	clock_reads++;
	if (mid_at && clock_reads == mid_at && !mid_done) {
		A.w[mid_slot] = mid_val;
		mid_done = true;
	}
	now += step;
	return now;
}

static const struct hipc_port_ops clock_ops = { .now_ns = now_ns };

/* Between attempts, once the first HIPC_SPINLOCK_SPINS are over: only
 * ever from inside a lock() that waits. */
static void relax(void *arg)
{
	CHECK(arg == &set && in_lock);
	relaxes++;
}
static const struct hipc_port_ops no_ops = { 0 };

static bool known(uint32_t v)
{
	if (v == 0 || v == owner)
		return true;
	for (uint32_t i = 0; i < npeers; i++)
		if (peers[i] == v)
			return true;
	return false;
}

static void check_all(void)
{
	struct hipc_spinlock_stats s;

	for (uint32_t i = 0; i < 8; i++)
		CHECK(A.pre[i] == GUARD && A.post[i] == GUARD);
	for (uint32_t i = count; i < MAXL; i++)
		CHECK(A.w[i] == GUARD);
	CHECK(hipc_spinlock_get_stats(&set, &s) == 0);
	CHECK(s.acquires >= last.acquires && s.contended >= last.contended &&
	      s.timeouts >= last.timeouts && s.recovered >= last.recovered &&
	      s.bad_releases >= last.bad_releases &&
	      s.proto_errors >= last.proto_errors);
	last = s;
}

/* A lock id: mostly in range, sometimes just past it or far off. */
static uint32_t pick(struct in *in)
{
	uint32_t b = get8(in);

	if (b & 0x80)
		return b & 0x40 ? UINT32_MAX - (b & 3) : count + (b & 3);
	return b % count;
}

/* Any id: 0, ours, a peer's or anything. */
static uint32_t any_id(struct in *in)
{
	uint32_t b = get8(in);

	switch (b & 3) {
	case 0: return 0;
	case 1: return owner;
	case 2: return npeers ? peers[(b >> 2) % npeers] : b >> 2;
	default: return get32(in);
	}
}

static void op_take(struct in *in, bool trylock)
{
	uint32_t id = pick(in), b = get8(in), tmo = 0, before, reads;
	bool expect, waited;
	int rc;

	if (!trylock) {
		tmo = b & 3;
		/* The adversary writes from inside the wait, sometimes. */
		if (tmo && (b & 4) && id < count) {
			mid_at = clock_reads + 1u + ((b >> 3) & 7);
			mid_slot = id;
			mid_val = any_id(in);
			mid_done = false;
		}
	}
	if (id >= count) {
		rc = trylock ? hipc_spinlock_trylock(&set, id)
			     : hipc_spinlock_lock(&set, id, tmo);
		CHECK(rc == -HIPC_EINVAL);
		mid_at = 0;
		return;
	}
	before = A.w[id];
	expect = !held[id] && before == 0;
	reads = clock_reads;
	relaxes = 0;
	in_lock = !trylock;
	rc = trylock ? hipc_spinlock_trylock(&set, id)
		     : hipc_spinlock_lock(&set, id, tmo);
	in_lock = false;
	waited = mid_at && mid_done;
	mid_at = 0;
	/* Bounded: the deadline is tmo µs of the fake clock away. */
	if (has_clock)
		CHECK(clock_reads - reads <= 2u + tmo * 1000u / step);
	/* relaxed only once the first HIPC_SPINLOCK_SPINS attempts failed
	 * (a clock read per attempt; without a clock a wait is shorter) */
	if (relaxes)
		CHECK(has_clock &&
		      relaxes + HIPC_SPINLOCK_SPINS <= clock_reads - reads);
	if (rc == 0) {
		CHECK(expect || waited);
		CHECK(A.w[id] == owner);
		CHECK(last.acquires + 1u == set.st.acquires);
		held[id] = true;
		return;
	}
	CHECK(!expect || waited);
	CHECK(rc == (trylock || tmo == 0 ? -HIPC_EBUSY : -HIPC_ETIMEDOUT));
	if (!waited)
		CHECK(A.w[id] == before);
	if (!known(before) && !held[id] && !waited)
		CHECK(set.st.proto_errors > last.proto_errors);
	if (rc == -HIPC_ETIMEDOUT)
		CHECK(set.st.timeouts == last.timeouts + 1u);
}

static void op_unlock(struct in *in)
{
	uint32_t id = pick(in), before;
	int rc;

	if (id >= count) {
		CHECK(hipc_spinlock_unlock(&set, id) == -HIPC_EINVAL);
		return;
	}
	before = A.w[id];
	rc = hipc_spinlock_unlock(&set, id);
	if (!held[id]) {
		/* Not ours: refused, nothing changes. */
		CHECK(rc == -HIPC_EPERM && A.w[id] == before);
		CHECK(set.st.bad_releases == last.bad_releases + 1u);
		return;
	}
	held[id] = false;
	if (before == owner) {
		CHECK(rc == 0 && A.w[id] == 0);
	} else {
		CHECK(rc == -HIPC_EIO && A.w[id] == before);
		CHECK(set.st.proto_errors == last.proto_errors + 1u);
	}
}

static void op_release_owner(struct in *in)
{
	uint32_t o = any_id(in), before[MAXL], n = 0, i;
	int rc;

	memcpy(before, A.w, sizeof(before));
	rc = hipc_spinlock_release_owner(&set, o);
	if (o == 0) {
		CHECK(rc == -HIPC_EINVAL);
		CHECK(memcmp(before, A.w, sizeof(before)) == 0);
		return;
	}
	for (i = 0; i < count; i++) {
		bool freed = before[i] == o && !(o == owner && held[i]);

		if (freed) {
			CHECK(A.w[i] == 0);
			n++;
		} else {
			CHECK(A.w[i] == before[i]);
		}
	}
	CHECK(rc == (int)n);
	CHECK(set.st.recovered == last.recovered + n);
}

static void op_owner(struct in *in)
{
	uint32_t id = pick(in), who = 0xDEADBEEF;
	int rc = hipc_spinlock_owner(&set, id, &who);

	if (id >= count) {
		CHECK(rc == -HIPC_EINVAL);
		return;
	}
	CHECK(who == A.w[id]);
	if (known(who)) {
		CHECK(rc == 0);
	} else {
		/* Never free, never a known owner. */
		CHECK(rc == -HIPC_EPROTO && who != 0);
		CHECK(set.st.proto_errors == last.proto_errors + 1u);
	}
	if (held[id] && A.w[id] == owner)
		CHECK(who == owner);
}

static void op_adversary(struct in *in)
{
	uint32_t id = get8(in) % count;

	A.w[id] = any_id(in);
}

static void setup(struct in *in)
{
	uint32_t a = get8(in), b = get8(in), c = get8(in);
	struct hipc_spinlock_cfg cfg;
	struct hipc_port port;

	for (uint32_t i = 0; i < 8; i++)
		A.pre[i] = A.post[i] = GUARD;
	for (uint32_t i = 0; i < MAXL; i++)
		A.w[i] = GUARD;
	memset(held, 0, sizeof(held));
	memset(&last, 0, sizeof(last));
	count = 1 + a % MAXL;
	owner = 1 + (a >> 4 & 3);
	npeers = b % 4;
	for (uint32_t i = 0; i < npeers; i++)
		peers[i] = owner + 1 + i + ((b >> 2 & 1) ? 0x100 * i : 0);
	has_clock = c & 1;
	step = 1 + (uint64_t)(c >> 1) * 16u; /* 1 ns .. ~2 µs per read */
	now = (c & 0x80) ? UINT64_MAX / 2 : 0;
	clock_reads = 0;
	mid_at = 0;
	memset(&cfg, 0, sizeof(cfg));
	cfg.base = A.w;
	cfg.count = count;
	cfg.owner = owner;
	cfg.peers = peers;
	cfg.npeers = npeers;
	cfg.spins_per_us = b >> 4;
	if (a & 0x40) {
		cfg.relax = relax;
		cfg.relax_arg = &set;
	}
	port.ops = has_clock ? &clock_ops : &no_ops;
	port.ctx = &set;
	cfg.port = (b & 8) || has_clock ? &port : NULL;
	CHECK(hipc_spinlock_init(&set, &cfg) == 0);
	/* Init writes no word. */
	for (uint32_t i = 0; i < MAXL; i++)
		CHECK(A.w[i] == GUARD);
	if (!(b & 2))
		hipc_spinlock_reset(&set);
	else /* not reset: what a previous life left */
		for (uint32_t i = 0; i < count; i++)
			A.w[i] = i & 1 ? owner : 0;
	for (uint32_t i = 0; i < count && !(b & 2); i++)
		CHECK(A.w[i] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };

	setup(&in);
	check_all();
	while (in.i < in.n) {
		uint32_t op = get8(&in);

		switch (op % 8) {
		case 0:
			op_take(&in, true);
			break;
		case 1:
			op_take(&in, false);
			break;
		case 2:
			op_unlock(&in);
			break;
		case 3:
			op_release_owner(&in);
			break;
		case 4:
			op_owner(&in);
			break;
		default:
			op_adversary(&in);
			break;
		}
		check_all();
	}
	return 0;
}
