/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hardware spinlocks in shared memory (hipc/spinlock.h).
 *
 * Two levels per lock.  Locally, holder[id] records which thread of this
 * side holds the lock or is trying to take it; it is claimed under the
 * port lock, so threads of one side queue on local memory.  In shared
 * memory, the word goes from 0 to our owner id by compare-and-swap; only
 * the thread that claimed holder[id] ever does that.
 */
#include "hipc/spinlock.h"

#include "hipc_internal.h"

/* Tells the CPU we are spinning: lets a sibling hardware thread run, and
 * saves power; no ordering. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__arm__) || defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

/*
 * One compare-and-swap of a shared word, little-endian.  Acquire on
 * success for a take (the holder's critical section reads after it),
 * release for a release (what it wrote is visible before the word says
 * free).  *seen: the value found (CPU order), success or not.
 */
static inline bool word_cas(uint32_t *w, uint32_t from, uint32_t to,
			    int order, uint32_t *seen)
{
	uint32_t exp = hipc_le32(from);
	bool ok;

	ok = __atomic_compare_exchange_n(w, &exp, hipc_le32(to), false, order,
					 __ATOMIC_RELAXED);
	*seen = ok ? from : hipc_le32(exp);
	return ok;
}

static inline void count(uint32_t *c)
{
	__atomic_fetch_add(c, 1u, __ATOMIC_RELAXED);
}

static bool known_id(const struct hipc_spinlock_set *set, uint32_t v)
{
	if (v == 0 || v == set->owner)
		return true;
	for (uint32_t i = 0; i < set->nids; i++)
		if (set->ids[i] == v)
			return true;
	return false;
}

/* The calling thread's token: nonzero; 1 on ports without self(). */
static uintptr_t me(const struct hipc_spinlock_set *set)
{
	uintptr_t t = 1;

	if (set->port.ops && set->port.ops->self)
		t = set->port.ops->self(set->port.ctx);
	return t ? t : 1;
}

static const struct hipc_port *port(const struct hipc_spinlock_set *set)
{
	return set->port.ops ? &set->port : NULL;
}

int hipc_spinlock_init(struct hipc_spinlock_set *set,
		       const struct hipc_spinlock_cfg *cfg)
{
	int ret;

	if (!set || !cfg || !cfg->base || ((uintptr_t)cfg->base & 3u) ||
	    cfg->count == 0 || cfg->count > HIPC_SPINLOCK_MAX ||
	    cfg->owner == 0 || cfg->npeers > HIPC_SPINLOCK_MAX_PEERS ||
	    (cfg->npeers && !cfg->peers) || (cfg->port && !cfg->port->ops))
		return -HIPC_EINVAL;
	ret = hipc__port_check(cfg->port);
	if (ret)
		return ret;
	memset(set, 0, sizeof(*set));
	set->words = cfg->base;
	set->count = cfg->count;
	set->owner = cfg->owner;
	for (uint32_t i = 0; i < cfg->npeers; i++) {
		uint32_t id = cfg->peers[i];

		/* An id twice would make one side's locks look like the
		 * other's (release_owner, release checks). */
		if (id == 0 || known_id(set, id))
			return -HIPC_EINVAL;
		set->ids[set->nids++] = id;
	}
	set->spins_per_us = cfg->spins_per_us ? cfg->spins_per_us : 1u;
	if (cfg->port)
		set->port = *cfg->port;
	set->relax = cfg->relax;
	set->relax_arg = cfg->relax_arg;
	return 0;
}

void hipc_spinlock_reset(struct hipc_spinlock_set *set)
{
	for (uint32_t i = 0; i < set->count; i++)
		hipc__st32_rel(&set->words[i], 0);
}

/*
 * The wait of one hipc_spinlock_lock() call: a deadline on the port's
 * clock, or an attempt budget without one.
 */
struct spin_wait {
	const struct hipc_spinlock_set *set;
	uint64_t deadline;
	uint64_t budget;
	uint32_t n;
	bool clock;
};

static void wait_start(struct spin_wait *w, const struct hipc_spinlock_set *set,
		       uint32_t timeout_us)
{
	const struct hipc_port *p = port(set);

	w->set = set;
	w->n = 0;
	w->clock = p && p->ops->now_ns;
	w->deadline = 0;
	w->budget = 0;
	if (w->clock)
		w->deadline = p->ops->now_ns(p->ctx) + (uint64_t)timeout_us * 1000u;
	else
		w->budget = (uint64_t)timeout_us * set->spins_per_us;
}

/* Between two attempts: false once the wait is over. */
static bool wait_next(struct spin_wait *w)
{
	const struct hipc_spinlock_set *set = w->set;

	w->n++;
	if (w->n > HIPC_SPINLOCK_SPINS && set->relax)
		set->relax(set->relax_arg);
	else
		cpu_relax();
	if (w->clock)
		return set->port.ops->now_ns(set->port.ctx) < w->deadline;
	return w->n < w->budget;
}

/* The local level: claim holder[id] for @t.  0, -HIPC_EBUSY (another
 * thread of ours), -HIPC_EALREADY (@t itself). */
static int claim_local(struct hipc_spinlock_set *set, uint32_t id, uintptr_t t)
{
	uintptr_t h;

	/* A look without the lock first: waiters spin here on local memory
	 * and take the port lock only when the slot looks free. */
	h = __atomic_load_n(&set->holder[id], __ATOMIC_RELAXED);
	if (h == 0) {
		hipc__lock(port(set));
		h = set->holder[id];
		if (h == 0)
			__atomic_store_n(&set->holder[id], t, __ATOMIC_RELAXED);
		hipc__unlock(port(set));
	}
	if (h == 0)
		return 0;
	/* Without self() every thread is 1: not a recursion we can see. */
	if (h == t && set->port.ops && set->port.ops->self)
		return -HIPC_EALREADY;
	return -HIPC_EBUSY;
}

static void drop_local(struct hipc_spinlock_set *set, uint32_t id)
{
	hipc__lock(port(set));
	__atomic_store_n(&set->holder[id], 0, __ATOMIC_RELAXED);
	hipc__unlock(port(set));
}

/* One attempt at the shared word; @bad: an unknown id was seen (counted
 * once per call by the caller). */
static bool try_shared(struct hipc_spinlock_set *set, uint32_t id, bool *bad)
{
	uint32_t seen;

	if (word_cas(&set->words[id], 0, set->owner, __ATOMIC_ACQUIRE, &seen))
		return true;
	/* Our own id here with no thread of ours holding it is what a
	 * previous life of this side left: taken until release_owner(). */
	if (!known_id(set, seen))
		*bad = true;
	return false;
}

int hipc_spinlock_trylock(struct hipc_spinlock_set *set, uint32_t id)
{
	bool bad = false;
	int ret;

	if (!set || id >= set->count)
		return -HIPC_EINVAL;
	ret = claim_local(set, id, me(set));
	if (ret == -HIPC_EBUSY)
		count(&set->st.contended);
	if (ret)
		return ret;
	if (try_shared(set, id, &bad)) {
		count(&set->st.acquires);
		return 0;
	}
	drop_local(set, id);
	if (bad)
		count(&set->st.proto_errors);
	count(&set->st.contended);
	return -HIPC_EBUSY;
}

int hipc_spinlock_lock(struct hipc_spinlock_set *set, uint32_t id,
		       uint32_t timeout_us)
{
	struct spin_wait w;
	bool bad = false, contended = false;
	uintptr_t t;
	int ret;

	if (!set || id >= set->count)
		return -HIPC_EINVAL;
	if (timeout_us == 0)
		return hipc_spinlock_trylock(set, id);
	t = me(set);
	wait_start(&w, set, timeout_us);
	/* Local level first: only the thread holding holder[id] goes on to
	 * the shared word, so our threads never contend there. */
	while ((ret = claim_local(set, id, t)) != 0) {
		if (ret != -HIPC_EBUSY)
			return ret;
		contended = true;
		if (!wait_next(&w))
			goto timed_out;
	}
	while (!try_shared(set, id, &bad)) {
		contended = true;
		if (!wait_next(&w)) {
			drop_local(set, id);
			goto timed_out;
		}
	}
	if (bad)
		count(&set->st.proto_errors);
	if (contended)
		count(&set->st.contended);
	count(&set->st.acquires);
	return 0;

timed_out:
	if (bad)
		count(&set->st.proto_errors);
	count(&set->st.contended);
	count(&set->st.timeouts);
	return -HIPC_ETIMEDOUT;
}

int hipc_spinlock_unlock(struct hipc_spinlock_set *set, uint32_t id)
{
	uintptr_t t;
	uint32_t seen;
	int ret = 0;

	if (!set || id >= set->count)
		return -HIPC_EINVAL;
	t = me(set);
	hipc__lock(port(set));
	if (set->holder[id] != t) {
		hipc__unlock(port(set));
		count(&set->st.bad_releases);
		return -HIPC_EPERM;
	}
	/*
	 * A compare-and-swap, not TI's plain write of 0: if the other side
	 * recovered this lock (release_owner with our id) and someone took
	 * it since, a plain write would free their lock.  Release ordering:
	 * the critical section's stores are visible before the word is 0.
	 */
	if (!word_cas(&set->words[id], set->owner, 0, __ATOMIC_RELEASE, &seen))
		ret = -HIPC_EIO;
	__atomic_store_n(&set->holder[id], 0, __ATOMIC_RELAXED);
	hipc__unlock(port(set));
	if (ret)
		count(&set->st.proto_errors);
	return ret;
}

int hipc_spinlock_release_owner(struct hipc_spinlock_set *set, uint32_t owner)
{
	uint32_t seen;
	int n = 0;

	if (!set || owner == 0)
		return -HIPC_EINVAL;
	for (uint32_t i = 0; i < set->count; i++) {
		/* Under the port lock: a thread of ours claims holder[i]
		 * under it before it takes the word, so for our own id "no
		 * local holder" cannot turn into a fresh take between the
		 * check and the swap. */
		hipc__lock(port(set));
		if (owner != set->owner || set->holder[i] == 0) {
			if (word_cas(&set->words[i], owner, 0,
				     __ATOMIC_RELEASE, &seen))
				n++;
		}
		hipc__unlock(port(set));
	}
	__atomic_fetch_add(&set->st.recovered, (uint32_t)n, __ATOMIC_RELAXED);
	return n;
}

int hipc_spinlock_owner(struct hipc_spinlock_set *set, uint32_t id,
			uint32_t *owner)
{
	uint32_t v;

	if (!set || !owner || id >= set->count)
		return -HIPC_EINVAL;
	v = hipc__ld32_acq(&set->words[id]);
	*owner = v;
	if (!known_id(set, v)) {
		count(&set->st.proto_errors);
		return -HIPC_EPROTO;
	}
	return 0;
}

int hipc_spinlock_get_stats(const struct hipc_spinlock_set *set,
			    struct hipc_spinlock_stats *st)
{
	if (!set || !st)
		return -HIPC_EINVAL;
	st->acquires = __atomic_load_n(&set->st.acquires, __ATOMIC_RELAXED);
	st->contended = __atomic_load_n(&set->st.contended, __ATOMIC_RELAXED);
	st->timeouts = __atomic_load_n(&set->st.timeouts, __ATOMIC_RELAXED);
	st->recovered = __atomic_load_n(&set->st.recovered, __ATOMIC_RELAXED);
	st->bad_releases =
		__atomic_load_n(&set->st.bad_releases, __ATOMIC_RELAXED);
	st->proto_errors =
		__atomic_load_n(&set->st.proto_errors, __ATOMIC_RELAXED);
	return 0;
}
