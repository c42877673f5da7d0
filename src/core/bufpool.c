/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big-buffer pools: see hipc/bufpool.h for the layout and the states.
 *
 * Trust: every decision is taken from our own view (pool->slots).  A word
 * of the shared state table is read once, into locals, and used only to
 * confirm what the view already allows (the peer handed the buffer over,
 * with that generation); a reference is checked field by field before the
 * buffer's address is even computed.
 */
#include "hipc/bufpool.h"

#include "hipc_internal.h"

#define HDR_SIZE ((uint32_t)sizeof(struct hipc_bufpool_hdr))
#define REF_SIZE ((uint32_t)sizeof(struct hipc_bufpool_ref))

/* What a state means from our side: ours, with the peer, in flight. */
static inline uint8_t st_ours(const struct hipc_bufpool *p)
{
	return p->role == HIPC_BUFPOOL_ROLE_HOST ? HIPC_BUFPOOL_HOST
						  : HIPC_BUFPOOL_REMOTE;
}

static inline uint8_t st_to_peer(const struct hipc_bufpool *p)
{
	return p->role == HIPC_BUFPOOL_ROLE_HOST ? HIPC_BUFPOOL_TO_REMOTE
						  : HIPC_BUFPOOL_TO_HOST;
}

static inline uint8_t st_to_us(const struct hipc_bufpool *p)
{
	return p->role == HIPC_BUFPOOL_ROLE_HOST ? HIPC_BUFPOOL_TO_HOST
						  : HIPC_BUFPOOL_TO_REMOTE;
}

static inline bool is_ours(const struct hipc_bufpool *p, uint32_t i)
{
	return i >= p->first && i < p->end;
}

static inline uint8_t *entry(const struct hipc_bufpool *p, uint32_t i)
{
	return p->states + (size_t)i * p->stride;
}

static inline uint8_t *bufp(const struct hipc_bufpool *p, uint32_t i)
{
	return p->data + (size_t)i * p->buf_size;
}

/*
 * One state entry: the generation, then the state.  The state is stored
 * with release so a peer that reads it with acquire sees the generation
 * (and, on a send, the buffer's bytes) that go with it.
 */
static void put_entry(const struct hipc_bufpool *p, uint32_t i, uint8_t st,
		      uint32_t gen)
{
	uint8_t *e = entry(p, i);

	hipc__st32(e + 4, gen);
	hipc__st32_rel(e, st);
	/* CACHE: the entry has a line of its own (stride = align): clean
	 * it so the peer reads the new state, not the line it had. */
	hipc__cache_clean(p->port, e, 8);
}

static void get_entry(const struct hipc_bufpool *p, uint32_t i, uint32_t *st,
		      uint32_t *gen)
{
	const uint8_t *e = entry(p, i);

	/* CACHE: drop our copy of the line before reading what the peer
	 * wrote; we never have it dirty (put_entry() cleans at once). */
	hipc__cache_inval(p->port, e, 8);
	*st = hipc__ld32_acq(e);
	*gen = hipc__ld32(e + 4);
}

/* The layout the configuration implies; 0 or -HIPC_EINVAL. */
static int layout(const struct hipc_bufpool_config *c, uint32_t *state_off,
		  uint32_t *data_off)
{
	uint64_t soff, doff, total;

	if (c->count == 0 || c->count > 0x7FFFFFFFu ||
	    c->host_count > c->count || c->align < 8u ||
	    !hipc__is_pow2(c->align) || c->buf_size == 0 ||
	    c->buf_size % c->align != 0 || !c->shm || !c->slots ||
	    (uintptr_t)c->shm % c->align != 0)
		return -HIPC_EINVAL;
	soff = ((uint64_t)HDR_SIZE + c->align - 1u) / c->align * c->align;
	doff = soff + (uint64_t)c->count * c->align;
	total = doff + (uint64_t)c->count * c->buf_size;
	if (doff > 0xFFFFFFFFu || total > c->shm_size)
		return -HIPC_EINVAL;
	*state_off = (uint32_t)soff;
	*data_off = (uint32_t)doff;
	return 0;
}

static void host_layout(struct hipc_bufpool *p,
			const struct hipc_bufpool_config *c, uint32_t soff,
			uint32_t doff)
{
	uint8_t *h = p->shm;
	uint32_t i;

	for (i = 0; i < p->count; i++) {
		p->slots[i].gen = 0;
		p->slots[i].state = HIPC_BUFPOOL_FREE;
		put_entry(p, i, HIPC_BUFPOOL_FREE, 0);
	}
	hipc_put_le16(HIPC_FIELD(h, struct hipc_bufpool_hdr, version),
		      HIPC_BUFPOOL_VERSION);
	hipc_put_le16(HIPC_FIELD(h, struct hipc_bufpool_hdr, hdr_size),
		      HDR_SIZE);
	hipc_put_le32(HIPC_FIELD(h, struct hipc_bufpool_hdr, pool_id),
		      c->pool_id);
	hipc_put_le32(HIPC_FIELD(h, struct hipc_bufpool_hdr, count), c->count);
	hipc_put_le32(HIPC_FIELD(h, struct hipc_bufpool_hdr, host_count),
		      c->host_count);
	hipc_put_le32(HIPC_FIELD(h, struct hipc_bufpool_hdr, buf_size),
		      c->buf_size);
	hipc_put_le32(HIPC_FIELD(h, struct hipc_bufpool_hdr, align), c->align);
	hipc_put_le32(HIPC_FIELD(h, struct hipc_bufpool_hdr, state_off), soff);
	hipc_put_le32(HIPC_FIELD(h, struct hipc_bufpool_hdr, data_off), doff);
	hipc_put_le32(HIPC_FIELD(h, struct hipc_bufpool_hdr, reserved), 0);
	/* The magic last, with release: a remote that sees it sees the
	 * rest of the header and the zeroed table. */
	hipc__st32_rel(h, HIPC_BUFPOOL_MAGIC);
	/* CACHE: the header out before the remote reads it. */
	hipc__cache_clean(p->port, h, HDR_SIZE);
}

static int remote_attach(struct hipc_bufpool *p,
			 const struct hipc_bufpool_config *c, uint32_t soff,
			 uint32_t doff)
{
	const uint8_t *h = p->shm;
	uint32_t i, st, gen;
	bool ok;

	/* CACHE: read the header the host wrote, not an older line. */
	hipc__cache_inval(p->port, h, HDR_SIZE);
	/* Each field read once and compared with what our own
	 * configuration implies; nothing of it is used otherwise. */
	ok = hipc__ld32_acq(h) == HIPC_BUFPOOL_MAGIC;
	ok &= hipc_get_le16(HIPC_CFIELD(h, struct hipc_bufpool_hdr, version)) ==
	      HIPC_BUFPOOL_VERSION;
	ok &= hipc_get_le16(HIPC_CFIELD(h, struct hipc_bufpool_hdr, hdr_size)) ==
	      HDR_SIZE;
	ok &= hipc_get_le32(HIPC_CFIELD(h, struct hipc_bufpool_hdr, pool_id)) ==
	      c->pool_id;
	ok &= hipc_get_le32(HIPC_CFIELD(h, struct hipc_bufpool_hdr, count)) ==
	      c->count;
	ok &= hipc_get_le32(HIPC_CFIELD(h, struct hipc_bufpool_hdr,
					host_count)) == c->host_count;
	ok &= hipc_get_le32(HIPC_CFIELD(h, struct hipc_bufpool_hdr, buf_size)) ==
	      c->buf_size;
	ok &= hipc_get_le32(HIPC_CFIELD(h, struct hipc_bufpool_hdr, align)) ==
	      c->align;
	ok &= hipc_get_le32(HIPC_CFIELD(h, struct hipc_bufpool_hdr,
					state_off)) == soff;
	ok &= hipc_get_le32(HIPC_CFIELD(h, struct hipc_bufpool_hdr,
					data_off)) == doff;
	if (!ok)
		return -HIPC_EBADMSG;
	/*
	 * Our view starts from the table, which may hold a previous
	 * instance's traffic (we are a restarted remote).  Our buffers: FREE
	 * ones are ours to allocate, any other is taken as lent to the host
	 * (a later alloc takes it back once the host releases it).  The
	 * host's: we hold none; the generation we last saw is the table's,
	 * one less if the buffer is in use (it may be on its way to us).
	 * Any value is harmless: at worst a buffer stays unusable until the
	 * host reclaims the pool.
	 */
	for (i = 0; i < p->count; i++) {
		get_entry(p, i, &st, &gen);
		if (is_ours(p, i)) {
			p->slots[i].state = st == HIPC_BUFPOOL_FREE
						    ? HIPC_BUFPOOL_FREE
						    : HIPC_BUFPOOL_TO_HOST;
			p->slots[i].gen = gen;
		} else {
			p->slots[i].state = HIPC_BUFPOOL_FREE;
			p->slots[i].gen = st == HIPC_BUFPOOL_FREE ? gen : gen - 1u;
		}
	}
	return 0;
}

int hipc_bufpool_init(struct hipc_bufpool *pool,
		      const struct hipc_bufpool_config *cfg)
{
	uint32_t soff, doff;
	int rc;

	if (!pool || !cfg || (cfg->role != HIPC_BUFPOOL_ROLE_HOST &&
			      cfg->role != HIPC_BUFPOOL_ROLE_REMOTE))
		return -HIPC_EINVAL;
	rc = layout(cfg, &soff, &doff);
	if (rc)
		return rc;
	rc = hipc__port_check(cfg->port);
	if (rc)
		return rc;
	memset(pool, 0, sizeof(*pool));
	pool->shm = cfg->shm;
	pool->states = pool->shm + soff;
	pool->data = pool->shm + doff;
	pool->slots = cfg->slots;
	pool->port = cfg->port;
	pool->crc32c = cfg->crc32c ? cfg->crc32c : hipc_crc32c;
	pool->pool_id = cfg->pool_id;
	pool->count = cfg->count;
	pool->buf_size = cfg->buf_size;
	pool->stride = cfg->align;
	pool->role = (uint8_t)cfg->role;
	if (cfg->role == HIPC_BUFPOOL_ROLE_HOST) {
		pool->first = 0;
		pool->end = cfg->host_count;
		host_layout(pool, cfg, soff, doff);
	} else {
		pool->first = cfg->host_count;
		pool->end = cfg->count;
		rc = remote_attach(pool, cfg, soff, doff);
		if (rc)
			return rc;
	}
	pool->cursor = pool->first;
	return 0;
}

int hipc_bufpool_alloc(struct hipc_bufpool *pool, void **buf)
{
	uint32_t n = pool->end - pool->first;
	uint32_t k, i, st, gen;
	struct hipc_bufpool_slot *s;

	hipc__lock(pool->port);
	/* From where the last alloc stopped: buffers are reused in the
	 * order they went out, so the peer has the longest time to give
	 * each back.  O(count) at worst, when all are out. */
	for (k = 0, i = pool->cursor; k < n; k++) {
		s = &pool->slots[i];
		if (s->state == st_to_peer(pool)) {
			/* Back only if the peer released the very
			 * generation we sent. */
			get_entry(pool, i, &st, &gen);
			if (st == st_to_us(pool) && gen == s->gen) {
				s->state = HIPC_BUFPOOL_FREE;
				pool->stats.returned++;
			}
		}
		if (s->state == HIPC_BUFPOOL_FREE) {
			s->gen++;
			s->state = st_ours(pool);
			put_entry(pool, i, s->state, s->gen);
			pool->cursor = i + 1u == pool->end ? pool->first : i + 1u;
			pool->stats.allocated++;
			hipc__unlock(pool->port);
			if (buf)
				*buf = bufp(pool, i);
			return (int)i;
		}
		i = i + 1u == pool->end ? pool->first : i + 1u;
	}
	hipc__unlock(pool->port);
	return -HIPC_EAGAIN;
}

/* A buffer we own now: allocated by us, or received and not released. */
static bool owned(const struct hipc_bufpool *p, uint32_t i)
{
	return i < p->count && p->slots[i].state == st_ours(p);
}

void *hipc_bufpool_buf(struct hipc_bufpool *pool, uint32_t index)
{
	void *b;

	hipc__lock(pool->port);
	b = owned(pool, index) ? bufp(pool, index) : NULL;
	hipc__unlock(pool->port);
	return b;
}

int hipc_bufpool_free(struct hipc_bufpool *pool, uint32_t index)
{
	int rc = -HIPC_EINVAL;

	hipc__lock(pool->port);
	if (is_ours(pool, index) && owned(pool, index)) {
		pool->slots[index].state = HIPC_BUFPOOL_FREE;
		put_entry(pool, index, HIPC_BUFPOOL_FREE,
			  pool->slots[index].gen);
		rc = 0;
	}
	hipc__unlock(pool->port);
	return rc;
}

int hipc_bufpool_send(struct hipc_bufpool *pool, uint32_t index,
		      uint32_t offset, uint32_t length, uint32_t flags,
		      struct hipc_bufpool_ref *ref)
{
	uint32_t crc = 0, gen;
	uint8_t *b;

	if (!ref || (flags & ~(uint32_t)HIPC_BUFPOOL_F_KNOWN))
		return -HIPC_EINVAL;
	if (offset > pool->buf_size || length > pool->buf_size - offset)
		return -HIPC_ERANGE;
	hipc__lock(pool->port);
	if (!is_ours(pool, index) || !owned(pool, index)) {
		hipc__unlock(pool->port);
		return -HIPC_EINVAL;
	}
	b = bufp(pool, index);
	if (flags & HIPC_BUFPOOL_F_CRC)
		crc = pool->crc32c(0, b + offset, length);
	/* CACHE: every line we may have written, not only the range: a
	 * dirty line evicted later would overwrite what the peer wrote. */
	hipc__cache_clean(pool->port, b, pool->buf_size);
	gen = pool->slots[index].gen;
	pool->slots[index].state = st_to_peer(pool);
	/* Release store of the state: the bytes before the hand-over. */
	put_entry(pool, index, st_to_peer(pool), gen);
	pool->stats.sent++;
	hipc__unlock(pool->port);

	hipc_put_le16(&ref->magic, HIPC_BUFPOOL_REF_MAGIC);
	hipc_put_le16(&ref->flags, (uint16_t)flags);
	hipc_put_le32(&ref->pool_id, pool->pool_id);
	hipc_put_le32(&ref->index, index);
	hipc_put_le32(&ref->generation, gen);
	hipc_put_le32(&ref->offset, offset);
	hipc_put_le32(&ref->length, length);
	hipc_put_le32(&ref->crc32c, crc);
	hipc_put_le32(&ref->reserved, 0);
	return 0;
}

/* Count a refusal under the lock and return its code. */
static int refuse(struct hipc_bufpool *p, uint32_t *counter, int code)
{
	(*counter)++;
	hipc__unlock(p->port);
	return code;
}

int hipc_bufpool_receive(struct hipc_bufpool *pool, const void *msg,
			 size_t len, struct hipc_bufpool_rx *rx)
{
	const uint8_t *m = msg;
	uint32_t flags, index, gen, off, n, st, sgen;
	struct hipc_bufpool_slot *s;
	struct hipc_bufpool_stats *c = &pool->stats;
	uint8_t *b;

	hipc__lock(pool->port);
	if (!m || !rx || len != REF_SIZE)
		return refuse(pool, &c->refused_bad, -HIPC_EBADMSG);
	/* The message is ours (the rpmsg layer copied or holds it), but
	 * read each field once all the same. */
	flags = hipc_get_le16(HIPC_CFIELD(m, struct hipc_bufpool_ref, flags));
	index = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref, index));
	gen = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref, generation));
	off = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref, offset));
	n = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref, length));
	if (hipc_get_le16(HIPC_CFIELD(m, struct hipc_bufpool_ref, magic)) !=
		    HIPC_BUFPOOL_REF_MAGIC ||
	    (flags & ~(uint32_t)HIPC_BUFPOOL_F_KNOWN) ||
	    hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref, pool_id)) !=
		    pool->pool_id)
		return refuse(pool, &c->refused_bad, -HIPC_EBADMSG);
	/* Written so that no sum can wrap. */
	if (index >= pool->count || off > pool->buf_size ||
	    n > pool->buf_size - off)
		return refuse(pool, &c->refused_range, -HIPC_ERANGE);
	s = &pool->slots[index];
	/* Only the peer's buffers travel to us, and not one we hold. */
	if (is_ours(pool, index) || s->state == st_ours(pool))
		return refuse(pool, &c->refused_owner, -HIPC_EPROTO);
	/* Serial-number order: a reference we already took, or an older
	 * one replayed, is stale. */
	if ((int32_t)(gen - s->gen) <= 0)
		return refuse(pool, &c->refused_stale, -HIPC_ESTALE);
	get_entry(pool, index, &st, &sgen);
	if (st != st_to_us(pool) || sgen != gen)
		return refuse(pool, &c->refused_shared, -HIPC_EPROTO);
	b = bufp(pool, index);
	/* CACHE: the whole buffer, so no stale line of ours survives in
	 * what is now ours to read and write.  Memory is not changed. */
	hipc__cache_inval(pool->port, b, pool->buf_size);
	if ((flags & HIPC_BUFPOOL_F_CRC) &&
	    pool->crc32c(0, b + off, n) !=
		    hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref, crc32c)))
		return refuse(pool, &c->refused_crc, -HIPC_EBADMSG);
	s->gen = gen;
	s->state = st_ours(pool);
	put_entry(pool, index, s->state, gen);
	c->received++;
	hipc__unlock(pool->port);
	rx->data = b + off;
	rx->len = n;
	rx->index = index;
	rx->generation = gen;
	return (int)index;
}

int hipc_bufpool_release(struct hipc_bufpool *pool, uint32_t index,
			 uint32_t generation)
{
	struct hipc_bufpool_slot *s;
	struct hipc_bufpool_stats *c = &pool->stats;

	hipc__lock(pool->port);
	if (index >= pool->count)
		return refuse(pool, &c->refused_range, -HIPC_ERANGE);
	s = &pool->slots[index];
	/* Our own buffers go back with hipc_bufpool_free(); a peer's one
	 * only if we hold it. */
	if (is_ours(pool, index) || s->state != st_ours(pool))
		return refuse(pool, &c->refused_owner, -HIPC_EINVAL);
	if (generation != s->gen)
		return refuse(pool, &c->refused_stale, -HIPC_ESTALE);
	/* CACHE: what we wrote into it goes out before its owner reuses it
	 * (a dirty line evicted later would overwrite the owner's data). */
	hipc__cache_clean(pool->port, bufp(pool, index), pool->buf_size);
	s->state = st_to_peer(pool);
	put_entry(pool, index, s->state, s->gen);
	c->released++;
	hipc__unlock(pool->port);
	return 0;
}

int hipc_bufpool_reclaim_remote(struct hipc_bufpool *pool)
{
	uint32_t i, st, gen;
	struct hipc_bufpool_slot *s;
	int n = 0;

	if (pool->role != HIPC_BUFPOOL_ROLE_HOST)
		return -HIPC_EINVAL;
	hipc__lock(pool->port);
	for (i = 0; i < pool->count; i++) {
		s = &pool->slots[i];
		if (is_ours(pool, i)) {
			/* Lent, whatever the remote did with it since. */
			if (s->state != HIPC_BUFPOOL_TO_REMOTE)
				continue;
			s->state = HIPC_BUFPOOL_FREE;
			gen = s->gen;
		} else {
			/* The remote's: free for its next instance unless
			 * we hold it (then it goes back on release), with
			 * the generation we last saw of it, not the word's:
			 * the dying remote may have rewritten that, and its
			 * next instance counts on from it (a lower one would
			 * make every reference look stale to us). */
			if (s->state == HIPC_BUFPOOL_HOST)
				continue;
			s->state = HIPC_BUFPOOL_FREE;
			get_entry(pool, i, &st, &gen);
			if (st == HIPC_BUFPOOL_FREE) {
				if (gen != s->gen)
					put_entry(pool, i, HIPC_BUFPOOL_FREE,
						  s->gen);
				continue;
			}
			gen = s->gen;
		}
		/* CACHE: the remote may have written it; drop our lines. */
		hipc__cache_inval(pool->port, bufp(pool, i), pool->buf_size);
		put_entry(pool, i, HIPC_BUFPOOL_FREE, gen);
		n++;
	}
	pool->stats.reclaimed += (uint32_t)n;
	hipc__unlock(pool->port);
	return n;
}

int hipc_bufpool_get_stats(const struct hipc_bufpool *pool,
			   struct hipc_bufpool_stats *out)
{
	if (!pool || !out)
		return -HIPC_EINVAL;
	hipc__lock(pool->port);
	*out = pool->stats;
	hipc__unlock(pool->port);
	return 0;
}

int hipc_bufpool_get_geometry(const struct hipc_bufpool *pool,
			      struct hipc_bufpool_geometry *g)
{
	if (!pool || !g)
		return -HIPC_EINVAL;
	g->pool_id = pool->pool_id;
	g->count = pool->count;
	g->host_count = pool->role == HIPC_BUFPOOL_ROLE_HOST ? pool->end
							     : pool->first;
	g->buf_size = pool->buf_size;
	return 0;
}

/* Sarwate's byte-at-a-time method: one 1 KiB table, generated from the
 * polynomial (reflected 0x82F63B78). */
static const uint32_t crc32c_table[256] = {
	0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u,
	0xc79a971fu, 0x35f1141cu, 0x26a1e7e8u, 0xd4ca64ebu,
	0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
	0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u,
	0x105ec76fu, 0xe235446cu, 0xf165b798u, 0x030e349bu,
	0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
	0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u,
	0x5d1d08bfu, 0xaf768bbcu, 0xbc267848u, 0x4e4dfb4bu,
	0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
	0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u,
	0xaa64d611u, 0x580f5512u, 0x4b5fa6e6u, 0xb93425e5u,
	0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
	0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u,
	0xf779deaeu, 0x05125dadu, 0x1642ae59u, 0xe4292d5au,
	0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
	0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u,
	0x417b1dbcu, 0xb3109ebfu, 0xa0406d4bu, 0x522bee48u,
	0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
	0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u,
	0x0c38d26cu, 0xfe53516fu, 0xed03a29bu, 0x1f682198u,
	0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
	0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u,
	0xdbfc821cu, 0x2997011fu, 0x3ac7f2ebu, 0xc8ac71e8u,
	0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
	0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u,
	0xa65c047du, 0x5437877eu, 0x4767748au, 0xb50cf789u,
	0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
	0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u,
	0x7198540du, 0x83f3d70eu, 0x90a324fau, 0x62c8a7f9u,
	0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
	0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u,
	0x3cdb9bddu, 0xceb018deu, 0xdde0eb2au, 0x2f8b6829u,
	0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
	0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u,
	0x082f63b7u, 0xfa44e0b4u, 0xe9141340u, 0x1b7f9043u,
	0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
	0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u,
	0x55326b08u, 0xa759e80bu, 0xb4091bffu, 0x466298fcu,
	0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
	0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u,
	0xa24bb5a6u, 0x502036a5u, 0x4370c551u, 0xb11b4652u,
	0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
	0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du,
	0xef087a76u, 0x1d63f975u, 0x0e330a81u, 0xfc588982u,
	0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
	0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u,
	0x38cc2a06u, 0xcaa7a905u, 0xd9f75af1u, 0x2b9cd9f2u,
	0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
	0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u,
	0x0417b1dbu, 0xf67c32d8u, 0xe52cc12cu, 0x1747422fu,
	0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
	0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u,
	0xd3d3e1abu, 0x21b862a8u, 0x32e8915cu, 0xc083125fu,
	0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
	0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u,
	0x9e902e7bu, 0x6cfbad78u, 0x7fab5e8cu, 0x8dc0dd8fu,
	0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
	0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u,
	0x69e9f0d5u, 0x9b8273d6u, 0x88d28022u, 0x7ab90321u,
	0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
	0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u,
	0x34f4f86au, 0xc69f7b69u, 0xd5cf889du, 0x27a40b9eu,
	0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
	0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

uint32_t hipc_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len--)
		crc = crc32c_table[(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
	return ~crc;
}
