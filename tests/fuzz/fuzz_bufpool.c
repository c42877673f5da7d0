/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the big-buffer pool: a host view and a remote view
 * over one shared area that ends against a PROT_NONE page (the slack before
 * it in its page holds a pattern that is checked).  The input chooses the
 * geometry, then is a script of operations on either side and of writes by
 * an adversary into the shared area between them.
 *
 * Besides "no crash", after every operation:
 * - the bytes around the shared area and around each side's slot storage
 *   are unchanged, every lock taken was released, and every cache operation
 *   covered only the shared area;
 * - a call the API says must succeed does, and one it says must fail
 *   fails, judged from what the script did (send, free, release; receive of
 *   a fresh, unmodified reference while nobody tampered with the area);
 * - a refused reference changed nothing: neither the shared area nor the
 *   receiver's view;
 * - each side's view is one the protocol allows (a buffer FREE, held, or
 *   on its way to the peer), agrees with what the calls returned,
 *   and, while the adversary has written nothing, no buffer is held by both
 *   sides at once.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hipc/bufpool.h"
#include "hipc/error.h"
#include "fuzz_input.h"

#define MAXC 8u
#define PG 4096u
#define GUARD 0xA5u

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_bufpool:%d: %s\n", __LINE__, #c);\
			abort();                                              \
		}                                                             \
	} while (0)

struct storage {
	uint8_t pre[32];
	struct hipc_bufpool_slot s[MAXC];
	uint8_t post[32];
};

struct side {
	struct hipc_bufpool pool;
	struct hipc_port port;
	int depth;                 /* lock nesting: 0 between calls */
	bool ok;                   /* attached */
	uint32_t first, end;       /* our buffers */
	uint8_t ours, to_peer;     /* states as seen from this side */
	bool held[MAXC];           /* alloc'd or received, per the calls */
	bool lent[MAXC];           /* ours, sent and not back */
	uint32_t rxgen[MAXC];      /* generation received */
	struct hipc_bufpool_ref last; /* the last reference we sent */
	bool fresh;                /* ... not yet delivered nor reclaimed */
};

static uint8_t *page;              /* the page the area ends in */
static uint8_t *shm;
static uint32_t shm_size;
static uint8_t snap[PG];
static uint8_t pattern[PG];        /* all GUARD */
static struct storage st_h, st_r;
static struct storage snap_slots;
static struct side H, R;
static struct hipc_bufpool_config cfg;
static bool tampered;

static void lock(void *ctx)
{
	struct side *s = ctx;

	CHECK(s->depth == 0);
	s->depth++;
}

static void unlock(void *ctx)
{
	struct side *s = ctx;

	CHECK(s->depth == 1);
	s->depth--;
}

static void cache_op(void *ctx, const void *a, size_t n)
{
	const uint8_t *p = a;

	(void)ctx;
	CHECK(p >= shm && n <= shm_size && (size_t)(p - shm) <= shm_size - n);
}

static const struct hipc_port_ops ops = {
	.lock = lock,
	.unlock = unlock,
	.cache_clean = cache_op,
	.cache_invalidate = cache_op,
};

static uint8_t *buf_of(uint32_t i)
{
	return shm + shm_size - (size_t)(cfg.count - i) * cfg.buf_size;
}

static bool is_ours(const struct side *s, uint32_t i)
{
	return i >= s->first && i < s->end;
}

static struct hipc_bufpool_slot *slots(const struct side *s)
{
	return s == &H ? st_h.s : st_r.s;
}

static uint8_t *entry_of(uint32_t i)
{
	uint32_t soff = (uint32_t)((sizeof(struct hipc_bufpool_hdr) + cfg.align -
				    1u) / cfg.align * cfg.align);

	return shm + soff + (size_t)i * cfg.align;
}

static void check_storage(const struct storage *st)
{
	size_t n = (size_t)(MAXC - cfg.count) * sizeof(st->s[0]);

	CHECK(memcmp(st->pre, pattern, sizeof(st->pre)) == 0);
	CHECK(memcmp(st->post, pattern, sizeof(st->post)) == 0);
	CHECK(memcmp(&st->s[cfg.count], pattern, n) == 0);
}

/* What must hold between any two calls. */
static void check_all(void)
{
	uint32_t i;

	CHECK(memcmp(page, pattern, PG - shm_size) == 0);
	check_storage(&st_h);
	check_storage(&st_r);
	CHECK(H.depth == 0 && R.depth == 0);
	for (int k = 0; k < 2; k++) {
		struct side *s = k ? &R : &H;
		const struct hipc_bufpool_slot *v = slots(s);

		if (!s->ok)
			continue;
		for (i = 0; i < cfg.count; i++) {
			uint8_t state = v[i].state;
			void *b = hipc_bufpool_buf(&s->pool, i);

			CHECK(s->depth == 0);
			/* FREE, held, or on its way to the peer (ours: lent;
			 * the peer's: given back). */
			CHECK(state == HIPC_BUFPOOL_FREE ||
			      state == s->ours || state == s->to_peer);
			/* Never both held and lent, and the view agrees with
			 * what the calls told us. */
			CHECK(!(s->held[i] && s->lent[i]));
			CHECK((state == s->ours) == s->held[i]);
			if (is_ours(s, i))
				CHECK((state == s->to_peer) == s->lent[i]);
			else
				CHECK(!s->lent[i]);
			CHECK(b == (s->held[i] ? buf_of(i) : NULL));
		}
		CHECK(hipc_bufpool_buf(&s->pool, cfg.count) == NULL);
		CHECK(hipc_bufpool_buf(&s->pool, UINT32_MAX) == NULL);
	}
	if (!tampered && H.ok && R.ok)
		for (i = 0; i < cfg.count; i++)
			CHECK(!(H.held[i] && R.held[i]));
}

static void side_init(struct side *s, enum hipc_bufpool_role role)
{
	struct hipc_bufpool_config c = cfg;
	bool host = role == HIPC_BUFPOOL_ROLE_HOST;
	uint32_t i, state;
	int rc;

	memset(s->held, 0, sizeof(s->held));
	memset(s->lent, 0, sizeof(s->lent));
	memset(s->rxgen, 0, sizeof(s->rxgen));
	s->fresh = false;
	s->depth = 0;
	s->port.ops = &ops;
	s->port.ctx = s;
	s->first = host ? 0 : cfg.host_count;
	s->end = host ? cfg.host_count : cfg.count;
	s->ours = host ? HIPC_BUFPOOL_HOST : HIPC_BUFPOOL_REMOTE;
	s->to_peer = host ? HIPC_BUFPOOL_TO_REMOTE : HIPC_BUFPOOL_TO_HOST;
	/* A remote attaching takes its own buffers that are not FREE in the
	 * table as lent to the host. */
	if (!host)
		for (i = s->first; i < s->end; i++) {
			memcpy(&state, entry_of(i), 4);
			s->lent[i] = state != HIPC_BUFPOOL_FREE;
		}
	c.role = role;
	c.slots = host ? st_h.s : st_r.s;
	c.port = &s->port;
	rc = hipc_bufpool_init(&s->pool, &c);
	s->ok = rc == 0;
	if (!s->ok)
		CHECK(rc == -HIPC_EBADMSG && !host && tampered);
}

/* A buffer index: one the side holds (if any) or any value near the pool. */
static uint32_t pick(struct in *in, const struct side *s, bool held)
{
	uint32_t b = get8(in), i;

	if (held)
		for (i = 0; i < cfg.count; i++) {
			uint32_t j = (b + i) % cfg.count;

			if (s->held[j])
				return j;
		}
	return b & 0x80 ? UINT32_MAX - (b & 7) : b % (cfg.count + 2);
}

static void op_alloc(struct side *s)
{
	void *b = NULL;
	bool any_free = false;
	uint32_t i;
	int rc;

	for (i = s->first; i < s->end; i++)
		any_free |= !s->held[i] && !s->lent[i];
	rc = hipc_bufpool_alloc(&s->pool, &b);
	if (rc < 0) {
		CHECK(rc == -HIPC_EAGAIN && !any_free);
		return;
	}
	CHECK(is_ours(s, (uint32_t)rc) && !s->held[rc]);
	CHECK(b == buf_of((uint32_t)rc));
	s->held[rc] = true;
	s->lent[rc] = false;
}

static void op_send(struct in *in, struct side *s)
{
	uint32_t b = get8(in), i = pick(in, s, b & 1);
	uint32_t off = get16(in) % (cfg.buf_size + 4u);
	uint32_t len = b & 2 ? UINT32_MAX - (get8(in) & 3)
			     : get16(in) % (cfg.buf_size + 4u);
	uint32_t flags = b & 4 ? HIPC_BUFPOOL_F_CRC : 0;
	struct hipc_bufpool_ref ref;
	bool range, owner;
	int rc;

	if (b & 8)
		flags |= 1u << (b >> 4);
	range = off <= cfg.buf_size && len <= cfg.buf_size - off;
	owner = i < cfg.count && is_ours(s, i) && s->held[i];
	rc = hipc_bufpool_send(&s->pool, i, off, len, flags, &ref);
	if (!range || !owner || (flags & ~(uint32_t)HIPC_BUFPOOL_F_KNOWN)) {
		CHECK(rc == -HIPC_EINVAL || rc == -HIPC_ERANGE);
		return;
	}
	CHECK(rc == 0);
	CHECK(ref.magic == HIPC_BUFPOOL_REF_MAGIC && ref.index == i &&
	      ref.pool_id == cfg.pool_id && ref.offset == off &&
	      ref.length == len && ref.flags == flags);
	s->held[i] = false;
	s->lent[i] = true;
	s->last = ref;
	s->fresh = true;
}

static void op_receive(struct in *in, struct side *s, struct side *peer)
{
	uint32_t b = get8(in);
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;
	size_t len = sizeof(ref);
	bool pristine = false;
	int rc;

	if (b & 1) {
		ref = peer->last;
		pristine = peer->fresh;
	} else {
		/* A plausible reference for the fuzzer to bend. */
		memset(&ref, 0, sizeof(ref));
		ref.magic = HIPC_BUFPOOL_REF_MAGIC;
		ref.pool_id = cfg.pool_id;
		ref.index = get8(in) % (cfg.count + 1);
		ref.generation = get8(in);
		ref.offset = get8(in);
		ref.length = get8(in);
	}
	if (b & 2) { /* xor one word of it */
		uint32_t w, k = (b >> 2) & 7;

		memcpy(&w, (uint8_t *)&ref + 4 * k, 4);
		w ^= get32(in);
		memcpy((uint8_t *)&ref + 4 * k, &w, 4);
		pristine = false;
	}
	if (b & 0x80) {
		len = get8(in) % 40;
		pristine = false;
	}
	memcpy(snap, shm, shm_size);
	memcpy(&snap_slots, s == &H ? &st_h : &st_r, sizeof(snap_slots));
	rc = hipc_bufpool_receive(&s->pool, &ref, len, &rx);
	if (rc < 0) {
		CHECK(rc == -HIPC_EBADMSG || rc == -HIPC_ERANGE ||
		      rc == -HIPC_EPROTO || rc == -HIPC_ESTALE);
		/* Refused: nothing shared and nothing of our view changed. */
		CHECK(memcmp(snap, shm, shm_size) == 0);
		CHECK(memcmp(&snap_slots, s == &H ? &st_h : &st_r,
			     sizeof(snap_slots)) == 0);
		/* A fresh reference nobody bent must get through. */
		CHECK(!pristine || tampered);
		if (b & 1)
			peer->fresh &= !pristine;
		return;
	}
	CHECK((uint32_t)rc < cfg.count && !is_ours(s, (uint32_t)rc));
	CHECK(!s->held[rc] && rx.index == (uint32_t)rc);
	CHECK((uint8_t *)rx.data >= buf_of((uint32_t)rc) &&
	      rx.len <= cfg.buf_size &&
	      (uint8_t *)rx.data + rx.len <= buf_of((uint32_t)rc) + cfg.buf_size);
	if (rx.index == peer->last.index)
		peer->fresh = false;
	s->held[rc] = true;
	s->rxgen[rc] = rx.generation;
}

static void op_release(struct in *in, struct side *s)
{
	uint32_t b = get8(in), i = pick(in, s, b & 1), gen;
	bool expect;
	int rc;

	gen = i < cfg.count ? s->rxgen[i] : 0;
	if (b & 2)
		gen += get8(in);
	expect = i < cfg.count && !is_ours(s, i) && s->held[i] &&
		 gen == s->rxgen[i];
	rc = hipc_bufpool_release(&s->pool, i, gen);
	CHECK((rc == 0) == expect);
	if (rc == 0)
		s->held[i] = false;
}

static void op_free(struct in *in, struct side *s)
{
	uint32_t i = pick(in, s, get8(in) & 1);
	bool expect = i < cfg.count && is_ours(s, i) && s->held[i];
	int rc = hipc_bufpool_free(&s->pool, i);

	CHECK((rc == 0) == expect);
	if (rc == 0)
		s->held[i] = false;
}

/* What a holder may do: write into the buffer it holds. */
static void op_fill(struct in *in, struct side *s)
{
	uint32_t i = pick(in, s, true);

	if (i < cfg.count && s->held[i])
		memset(buf_of(i), (int)get8(in), cfg.buf_size);
}

/* The remote stopped: the host takes everything back, a new remote
 * instance attaches. */
static void op_reclaim(void)
{
	uint32_t i;
	int rc = hipc_bufpool_reclaim_remote(&H.pool);

	CHECK(rc >= 0 && (uint32_t)rc <= cfg.count);
	for (i = 0; i < cfg.count; i++)
		H.lent[i] = false;
	CHECK(hipc_bufpool_reclaim_remote(&R.pool) == -HIPC_EINVAL || !R.ok);
	H.fresh = false;
	side_init(&R, HIPC_BUFPOOL_ROLE_REMOTE);
}

/* The adversary: bytes anywhere in the area, or a plausible state entry. */
static void op_adversary(struct in *in, uint32_t op)
{
	tampered = true;
	if (op & 0x20) {
		uint32_t i = get8(in) % cfg.count, v = get8(in) % 6;
		uint32_t gen = st_h.s[i].gen + (uint32_t)(int8_t)get8(in);
		uint8_t *e = entry_of(i);

		memcpy(e, &v, 4);
		memcpy(e + 4, &gen, 4);
	} else {
		uint32_t off = get16(in) % shm_size, n = (op >> 6) + 1;

		for (uint32_t k = 0; k < n && off + k < shm_size; k++)
			shm[off + k] = (uint8_t)get8(in);
	}
}

static void setup(struct in *in)
{
	uint32_t g = get8(in), h = get8(in);

	if (!page) {
		uint8_t *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		CHECK(p != MAP_FAILED);
		CHECK(mprotect(p, PG, PROT_NONE) == 0);
		CHECK(mprotect(p + 2 * PG, PG, PROT_NONE) == 0);
		page = p + PG;
		memset(pattern, GUARD, sizeof(pattern));
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.count = 1 + (g & 7);
	cfg.align = 8u << ((g >> 3) & 3);
	cfg.buf_size = cfg.align * (1 + ((g >> 5) & 3));
	cfg.host_count = h % (cfg.count + 1);
	cfg.pool_id = 0x1000u + (h >> 4);
	shm_size = (uint32_t)HIPC_BUFPOOL_SHM_SIZE(cfg.count, cfg.buf_size,
						   cfg.align);
	shm = page + PG - shm_size; /* its end against the guard page */
	memset(page, GUARD, PG);
	cfg.shm = shm;
	cfg.shm_size = shm_size;
	memset(&st_h, GUARD, sizeof(st_h));
	memset(&st_r, GUARD, sizeof(st_r));
	tampered = false;
	side_init(&H, HIPC_BUFPOOL_ROLE_HOST);
	CHECK(H.ok);
	side_init(&R, HIPC_BUFPOOL_ROLE_REMOTE);
	CHECK(R.ok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };

	setup(&in);
	check_all();
	while (in.i < in.n) {
		uint32_t op = get8(&in);
		struct side *s = op & 1 ? &R : &H;
		struct side *peer = op & 1 ? &H : &R;

		switch ((op >> 1) % 12) {
		case 0:
		case 1:
			if (s->ok)
				op_alloc(s);
			break;
		case 2:
		case 3:
			if (s->ok)
				op_send(&in, s);
			break;
		case 4:
		case 5:
			if (s->ok)
				op_receive(&in, s, peer);
			break;
		case 6:
			if (s->ok)
				op_release(&in, s);
			break;
		case 7:
			if (s->ok)
				op_free(&in, s);
			break;
		case 8:
			if (s->ok)
				op_fill(&in, s);
			break;
		case 9:
			op_reclaim();
			break;
		default:
			op_adversary(&in, op);
			break;
		}
		check_all();
	}
	return 0;
}
