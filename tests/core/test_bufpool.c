/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big-buffer pools: a host view and a remote view over one shared area in
 * one process.  Both directions, a long round trip with CRCs, every kind
 * of bad reference refused with the shared area left byte for byte as it
 * was, reclaim after a crash, and the cache operations at each hand-over.
 */
#include <stdint.h>
#include <string.h>

#include "hipc/bufpool.h"
#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc_test.h"

#define COUNT 32u
#define HOST_COUNT 16u
#define BUF 1024u
#define ALIGN 64u
#define POOL_ID 7u
#define SHM HIPC_BUFPOOL_SHM_SIZE(COUNT, BUF, ALIGN)

static uint8_t shm[SHM] __attribute__((aligned(ALIGN)));
static uint8_t snap[SHM];
static struct hipc_bufpool_slot host_slots[COUNT], remote_slots[COUNT];
static struct hipc_bufpool host, remote;

static struct hipc_bufpool_config cfg(enum hipc_bufpool_role role)
{
	struct hipc_bufpool_config c = {
		.role = role,
		.pool_id = POOL_ID,
		.count = COUNT,
		.host_count = HOST_COUNT,
		.buf_size = BUF,
		.align = ALIGN,
		.shm = shm,
		.shm_size = sizeof(shm),
		.slots = role == HIPC_BUFPOOL_ROLE_HOST ? host_slots : remote_slots,
		.port = NULL,
	};
	return c;
}

static void setup(void)
{
	struct hipc_bufpool_config h = cfg(HIPC_BUFPOOL_ROLE_HOST);
	struct hipc_bufpool_config r = cfg(HIPC_BUFPOOL_ROLE_REMOTE);

	memset(shm, 0xA5, sizeof(shm)); /* whatever was there before */
	CHECK_EQ(hipc_bufpool_init(&host, &h), 0);
	CHECK_EQ(hipc_bufpool_init(&remote, &r), 0);
}

static struct hipc_bufpool_stats stats(struct hipc_bufpool *p)
{
	struct hipc_bufpool_stats s;

	CHECK_EQ(hipc_bufpool_get_stats(p, &s), 0);
	return s;
}

/* The state table entry of buffer i, as the peer could scribble it. */
static uint8_t *entry(uint32_t i)
{
	uint32_t soff = (sizeof(struct hipc_bufpool_hdr) + ALIGN - 1) / ALIGN * ALIGN;

	return shm + soff + (size_t)i * ALIGN;
}

static void fill(uint8_t *b, uint32_t n, uint32_t seq)
{
	for (uint32_t k = 0; k < n; k++)
		b[k] = (uint8_t)(seq * 131u + k * 7u + (seq >> 8));
}

static int check_fill(const uint8_t *b, uint32_t n, uint32_t seq)
{
	for (uint32_t k = 0; k < n; k++)
		if (b[k] != (uint8_t)(seq * 131u + k * 7u + (seq >> 8)))
			return 0;
	return 1;
}

/* One buffer from @from to @to: alloc, fill, send, receive. */
static int pass(struct hipc_bufpool *from, struct hipc_bufpool *to,
		uint32_t seq, uint32_t off, uint32_t len, uint32_t flags,
		struct hipc_bufpool_ref *ref, struct hipc_bufpool_rx *rx)
{
	void *b;
	int i = hipc_bufpool_alloc(from, &b);

	CHECK(i >= 0);
	fill((uint8_t *)b + off, len, seq);
	CHECK_EQ(hipc_bufpool_send(from, (uint32_t)i, off, len, flags, ref), 0);
	CHECK_EQ(hipc_bufpool_receive(to, ref, sizeof(*ref), rx), i);
	CHECK(rx->data == (uint8_t *)b + off); /* zero copy */
	CHECK_EQ(rx->len, len);
	CHECK(check_fill(rx->data, len, seq));
	return i;
}

HIPC_TEST(crc32c_vector)
{
	static const char v[] = "123456789";

	CHECK_EQ(hipc_crc32c(0, v, 9), 0xE3069283u);
	CHECK_EQ(hipc_crc32c(hipc_crc32c(0, v, 4), v + 4, 5), 0xE3069283u);
	CHECK_EQ(hipc_crc32c(0, v, 0), 0);
	/* 32 zero bytes: the iSCSI check value (RFC 3720, B.4). */
	static const uint8_t z[32];
	CHECK_EQ(hipc_crc32c(0, z, sizeof(z)), 0x8A9136AAu);
}

HIPC_TEST(wire_layout)
{
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;
	const uint8_t *w = (const uint8_t *)&ref;

	CHECK_EQ(sizeof(ref), 32);
	setup();
	pass(&host, &remote, 1, 16, 100, HIPC_BUFPOOL_F_CRC, &ref, &rx);
	CHECK_EQ(hipc_get_le16(w + 0), HIPC_BUFPOOL_REF_MAGIC);
	CHECK_EQ(hipc_get_le16(w + 2), HIPC_BUFPOOL_F_CRC);
	CHECK_EQ(hipc_get_le32(w + 4), POOL_ID);
	CHECK_EQ(hipc_get_le32(w + 8), rx.index);
	CHECK_EQ(hipc_get_le32(w + 12), 1); /* first generation */
	CHECK_EQ(hipc_get_le32(w + 16), 16);
	CHECK_EQ(hipc_get_le32(w + 20), 100);
	CHECK_EQ(hipc_get_le32(w + 24), hipc_crc32c(0, rx.data, 100));
	CHECK_EQ(hipc_get_le32(w + 28), 0);
	/* The header the host wrote. */
	CHECK_EQ(hipc_get_le32(shm), HIPC_BUFPOOL_MAGIC);
	CHECK_EQ(hipc_get_le16(shm + 4), HIPC_BUFPOOL_VERSION);
	CHECK_EQ(hipc_get_le32(shm + 12), COUNT);
	CHECK_EQ(hipc_get_le32(shm + 16), HOST_COUNT);
	CHECK_EQ(hipc_get_le32(shm + 20), BUF);
	CHECK_EQ(SHM, 64 + COUNT * ALIGN + COUNT * BUF);
}

HIPC_TEST(config_checked)
{
	struct hipc_bufpool p;
	struct hipc_bufpool_config c;

	setup();
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.count = 0;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.host_count = COUNT + 1;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.align = 48;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.buf_size = BUF + 8;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.shm = shm + 8;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.shm_size = SHM - 1;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.count = 0x40000000u; /* the sizes wrap 32 bits */
	c.shm_size = SIZE_MAX;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.slots = NULL;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
	c = cfg(HIPC_BUFPOOL_ROLE_HOST);
	c.role = (enum hipc_bufpool_role)5;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EINVAL);
}

HIPC_TEST(remote_validates_header)
{
	struct hipc_bufpool p;
	struct hipc_bufpool_config c;
	uint8_t save[40];

	setup();
	/* Each field the remote configures differently from the host. */
	c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	c.pool_id = POOL_ID + 1;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EBADMSG);
	c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	c.count = COUNT - 1;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EBADMSG);
	c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	c.host_count = HOST_COUNT - 1;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EBADMSG);
	c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	c.buf_size = BUF / 2;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EBADMSG);
	c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	c.align = ALIGN / 2;
	CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EBADMSG);
	/* Each field of the header scribbled, one at a time. */
	memcpy(save, shm, sizeof(save));
	for (unsigned off = 0; off < 36; off++) {
		shm[off] ^= 0x40;
		c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
		CHECK_EQ(hipc_bufpool_init(&p, &c), -HIPC_EBADMSG);
		memcpy(shm, save, sizeof(save));
	}
	c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	CHECK_EQ(hipc_bufpool_init(&p, &c), 0);
}

HIPC_TEST(host_to_remote)
{
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;
	int i, j;

	setup();
	i = pass(&host, &remote, 42, 0, BUF, HIPC_BUFPOOL_F_CRC, &ref, &rx);
	CHECK(i >= 0 && (uint32_t)i < HOST_COUNT);
	CHECK(hipc_bufpool_buf(&host, (uint32_t)i) == NULL); /* not ours now */
	CHECK(hipc_bufpool_buf(&remote, (uint32_t)i) != NULL);
	/* The remote writes its answer in place, then gives it back. */
	memset(rx.data, 0x5A, 10);
	CHECK_EQ(hipc_bufpool_release(&remote, rx.index, rx.generation), 0);
	CHECK_EQ(stats(&remote).received, 1);
	CHECK_EQ(stats(&remote).released, 1);
	/* The host's allocs come round to it again, one generation on. */
	for (uint32_t k = 0; k < HOST_COUNT; k++) {
		j = hipc_bufpool_alloc(&host, NULL);
		CHECK(j >= 0 && (uint32_t)j < HOST_COUNT);
	}
	CHECK_EQ(hipc_bufpool_alloc(&host, NULL), -HIPC_EAGAIN);
	CHECK_EQ(stats(&host).returned, 1);
	CHECK_EQ(host_slots[i].gen, 2);
	CHECK_EQ(hipc_get_le32(entry((uint32_t)i)), HIPC_BUFPOOL_HOST);
	CHECK_EQ(hipc_get_le32(entry((uint32_t)i) + 4), 2);
}

HIPC_TEST(remote_to_host)
{
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;
	int i;

	setup();
	i = pass(&remote, &host, 9, 100, 500, HIPC_BUFPOOL_F_CRC, &ref, &rx);
	CHECK((uint32_t)i >= HOST_COUNT && (uint32_t)i < COUNT);
	CHECK_EQ(hipc_get_le32(entry((uint32_t)i)), HIPC_BUFPOOL_HOST);
	CHECK_EQ(hipc_bufpool_release(&host, rx.index, rx.generation), 0);
	CHECK_EQ(hipc_get_le32(entry((uint32_t)i)), HIPC_BUFPOOL_TO_REMOTE);
	/* A buffer allocated and not sent goes back with free(). */
	void *b;
	int k = hipc_bufpool_alloc(&remote, &b);
	CHECK(k >= 0 && b != NULL);
	CHECK_EQ(hipc_bufpool_free(&remote, (uint32_t)k), 0);
	CHECK_EQ(hipc_bufpool_free(&remote, (uint32_t)k), -HIPC_EINVAL);
	/* Every one of the remote's buffers can be had, including i. */
	for (uint32_t n = 0; n < COUNT - HOST_COUNT; n++)
		CHECK(hipc_bufpool_alloc(&remote, NULL) >= (int)HOST_COUNT);
	CHECK_EQ(hipc_bufpool_alloc(&remote, NULL), -HIPC_EAGAIN);
	CHECK_EQ(stats(&remote).returned, 1);
}

/* 10,000 references each way, sequence-stamped, CRC-checked, several
 * outstanding at once, varying offsets and lengths. */
HIPC_TEST(round_trip_10000)
{
	enum { N = 10000, DEPTH = 5 };
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx held[2][DEPTH];
	uint32_t seq = 0;

	setup();
	for (uint32_t n = 0; n < N; n++) {
		uint32_t off = (n * 8u) % 256u, len = BUF - off - (n % 97u);
		struct hipc_bufpool_rx *a = &held[0][n % DEPTH];
		struct hipc_bufpool_rx *b = &held[1][n % DEPTH];

		if (n >= DEPTH) {
			CHECK(check_fill(a->data, a->len, seq - 2 * DEPTH));
			CHECK(check_fill(b->data, b->len, seq - 2 * DEPTH + 1));
			CHECK_EQ(hipc_bufpool_release(&remote, a->index, a->generation), 0);
			CHECK_EQ(hipc_bufpool_release(&host, b->index, b->generation), 0);
		}
		pass(&host, &remote, seq++, off, len, HIPC_BUFPOOL_F_CRC, &ref, a);
		pass(&remote, &host, seq++, off, len, HIPC_BUFPOOL_F_CRC, &ref, b);
	}
	struct hipc_bufpool_stats h = stats(&host), r = stats(&remote);
	CHECK_EQ(h.sent, N);
	CHECK_EQ(r.sent, N);
	CHECK_EQ(h.received, N);
	CHECK_EQ(r.received, N);
	CHECK_EQ(h.released, N - DEPTH);
	CHECK_EQ(r.released, N - DEPTH);
	CHECK_EQ(h.refused_bad + h.refused_range + h.refused_owner +
		 h.refused_stale + h.refused_crc + h.refused_shared, 0);
	CHECK_EQ(r.refused_bad + r.refused_range + r.refused_owner +
		 r.refused_stale + r.refused_crc + r.refused_shared, 0);
}

/* @ref as received by @p: refused with @code, @counter up by one, and not
 * a byte of the shared area changed. */
#define REFUSED(p, ref, code, counter)                                       \
	do {                                                                 \
		struct hipc_bufpool_rx rx_;                                  \
		uint32_t before_ = stats(p).counter;                         \
		memcpy(snap, shm, sizeof(shm));                              \
		CHECK_EQ(hipc_bufpool_receive(p, &(ref), sizeof(ref), &rx_), code); \
		CHECK_EQ(stats(p).counter, before_ + 1);                     \
		CHECK(memcmp(snap, shm, sizeof(shm)) == 0);                  \
	} while (0)

#define RELEASE_REFUSED(p, idx, gen, code, counter)                          \
	do {                                                                 \
		uint32_t before_ = stats(p).counter;                         \
		memcpy(snap, shm, sizeof(shm));                              \
		CHECK_EQ(hipc_bufpool_release(p, idx, gen), code);           \
		CHECK_EQ(stats(p).counter, before_ + 1);                     \
		CHECK(memcmp(snap, shm, sizeof(shm)) == 0);                  \
	} while (0)

static struct hipc_bufpool_ref with32(struct hipc_bufpool_ref r, size_t at,
				      uint32_t v)
{
	hipc_put_le32((uint8_t *)&r + at, v);
	return r;
}

HIPC_TEST(bad_references_refused)
{
	struct hipc_bufpool_ref ref, bad;
	struct hipc_bufpool_rx rx;
	uint32_t i;
	void *b;
	int k;

	setup();
	k = hipc_bufpool_alloc(&host, &b);
	CHECK(k >= 0);
	i = (uint32_t)k;
	fill(b, BUF, 77);
	CHECK_EQ(hipc_bufpool_send(&host, i, 0, BUF, HIPC_BUFPOOL_F_CRC, &ref), 0);

	/* Malformed: size, magic, flags, another pool. */
	{
		struct hipc_bufpool_rx r;
		uint32_t before = stats(&remote).refused_bad;
		CHECK_EQ(hipc_bufpool_receive(&remote, &ref, sizeof(ref) - 1, &r),
			 -HIPC_EBADMSG);
		CHECK_EQ(stats(&remote).refused_bad, before + 1);
	}
	bad = ref;
	hipc_put_le16(&bad.magic, 0x1234);
	REFUSED(&remote, bad, -HIPC_EBADMSG, refused_bad);
	bad = ref;
	hipc_put_le16(&bad.flags, 0x8001);
	REFUSED(&remote, bad, -HIPC_EBADMSG, refused_bad);
	bad = with32(ref, 4, POOL_ID + 1); /* out of the pool */
	REFUSED(&remote, bad, -HIPC_EBADMSG, refused_bad);

	/* Index out of range. */
	bad = with32(ref, 8, COUNT);
	REFUSED(&remote, bad, -HIPC_ERANGE, refused_range);
	bad = with32(ref, 8, 0xFFFFFFFFu);
	REFUSED(&remote, bad, -HIPC_ERANGE, refused_range);
	/* Length past the end. */
	bad = with32(ref, 20, BUF + 1);
	REFUSED(&remote, bad, -HIPC_ERANGE, refused_range);
	bad = with32(with32(ref, 16, BUF), 20, 1);
	REFUSED(&remote, bad, -HIPC_ERANGE, refused_range);
	/* offset + length wrapping 32 bits (and offset alone too big). */
	bad = with32(with32(ref, 16, 8), 20, 0xFFFFFFFCu);
	REFUSED(&remote, bad, -HIPC_ERANGE, refused_range);
	bad = with32(with32(ref, 16, 0xFFFFFFF0u), 20, 0x20);
	REFUSED(&remote, bad, -HIPC_ERANGE, refused_range);

	/* Wrong owner: a host buffer "sent" to the host (a reference the
	 * remote made up for a buffer that is not its to send). */
	REFUSED(&host, ref, -HIPC_EPROTO, refused_owner);

	/* A generation not newer than the last one seen. */
	bad = with32(ref, 12, 0);
	REFUSED(&remote, bad, -HIPC_ESTALE, refused_stale);
	/* A newer generation the shared word does not confirm (the host
	 * never sent it). */
	bad = with32(ref, 12, 5);
	REFUSED(&remote, bad, -HIPC_EPROTO, refused_shared);
	/* A buffer the host never sent (FREE in the table). */
	bad = with32(with32(ref, 8, (i + 1) % HOST_COUNT), 12, 1);
	REFUSED(&remote, bad, -HIPC_EPROTO, refused_shared);

	/* Corrupted CRC, and corrupted bytes under a good CRC. */
	bad = with32(ref, 24, hipc_get_le32((uint8_t *)&ref + 24) ^ 1u);
	REFUSED(&remote, bad, -HIPC_EBADMSG, refused_crc);
	((uint8_t *)b)[BUF - 1] ^= 0xFF; /* the peer flips a byte in flight */
	REFUSED(&remote, ref, -HIPC_EBADMSG, refused_crc);
	((uint8_t *)b)[BUF - 1] ^= 0xFF;

	/* The shared state word scribbled by the "peer": wrong state,
	 * garbage, the generation word. */
	uint8_t *e = entry(i), save[8];
	memcpy(save, e, 8);
	hipc_put_le32(e, HIPC_BUFPOOL_REMOTE);
	REFUSED(&remote, ref, -HIPC_EPROTO, refused_shared);
	hipc_put_le32(e, 0xDEADBEEFu);
	REFUSED(&remote, ref, -HIPC_EPROTO, refused_shared);
	memcpy(e, save, 8);
	hipc_put_le32(e + 4, 9);
	REFUSED(&remote, ref, -HIPC_EPROTO, refused_shared);
	memcpy(e, save, 8);

	/* After all that, the genuine reference still goes through. */
	CHECK_EQ(hipc_bufpool_receive(&remote, &ref, sizeof(ref), &rx), (int)i);
	CHECK(check_fill(rx.data, BUF, 77));
	/* Already held: the same reference again. */
	REFUSED(&remote, ref, -HIPC_EPROTO, refused_owner);

	/* Release: stale generation, a buffer never held, out of range,
	 * our own buffer, then a double release. */
	RELEASE_REFUSED(&remote, i, rx.generation - 1, -HIPC_ESTALE, refused_stale);
	RELEASE_REFUSED(&remote, (i + 1) % HOST_COUNT, 1, -HIPC_EINVAL,
			refused_owner);
	RELEASE_REFUSED(&remote, COUNT, 1, -HIPC_ERANGE, refused_range);
	k = hipc_bufpool_alloc(&remote, NULL);
	CHECK(k >= (int)HOST_COUNT);
	RELEASE_REFUSED(&remote, (uint32_t)k, 1, -HIPC_EINVAL, refused_owner);
	RELEASE_REFUSED(&host, (uint32_t)k, 1, -HIPC_EINVAL, refused_owner);
	CHECK_EQ(hipc_bufpool_release(&remote, i, rx.generation), 0);
	RELEASE_REFUSED(&remote, i, rx.generation, -HIPC_EINVAL, refused_owner);
	/* And the reference replayed after the release: stale. */
	REFUSED(&remote, ref, -HIPC_ESTALE, refused_stale);

	/* Send: not ours, bad range, unknown flag; nothing changes. */
	memcpy(snap, shm, sizeof(shm));
	CHECK_EQ(hipc_bufpool_send(&host, i, 0, 1, 0, &bad), -HIPC_EINVAL);
	CHECK_EQ(hipc_bufpool_send(&remote, i, 0, 1, 0, &bad), -HIPC_EINVAL);
	CHECK_EQ(hipc_bufpool_send(&remote, (uint32_t)k, 1, BUF, 0, &bad),
		 -HIPC_ERANGE);
	CHECK_EQ(hipc_bufpool_send(&remote, (uint32_t)k, 0, 1, 0x10, &bad),
		 -HIPC_EINVAL);
	CHECK(memcmp(snap, shm, sizeof(shm)) == 0);
}

/* The host's alloc takes back only what the remote really released: a
 * word scribbled to "in flight to the host" with another generation, or
 * for a buffer never lent, is left alone. */
HIPC_TEST(alloc_ignores_scribbled_returns)
{
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;
	int i;

	setup();
	i = pass(&host, &remote, 3, 0, 64, 0, &ref, &rx);
	/* The remote claims to have released it with another generation. */
	hipc_put_le32(entry((uint32_t)i) + 4, 7);
	hipc_put_le32(entry((uint32_t)i), HIPC_BUFPOOL_TO_HOST);
	for (uint32_t n = 0; n < HOST_COUNT - 1; n++)
		CHECK(hipc_bufpool_alloc(&host, NULL) != i);
	CHECK_EQ(hipc_bufpool_alloc(&host, NULL), -HIPC_EAGAIN);
	CHECK_EQ(stats(&host).returned, 0);
}

HIPC_TEST(reclaim_after_crash)
{
	struct hipc_bufpool_ref ref, old_ref;
	struct hipc_bufpool_rx rx, held;
	int n;

	setup();
	/* Host buffers: 3 with the remote, 2 in flight, 1 released back
	 * but not yet re-allocated, 1 still the host's own. */
	for (int k = 0; k < 3; k++)
		pass(&host, &remote, 100u + (uint32_t)k, 0, 32, 0, &ref, &rx);
	for (int k = 0; k < 2; k++) {
		int j = hipc_bufpool_alloc(&host, NULL);
		CHECK_EQ(hipc_bufpool_send(&host, (uint32_t)j, 0, 8, 0, &ref), 0);
	}
	pass(&host, &remote, 200, 0, 32, 0, &ref, &rx);
	CHECK_EQ(hipc_bufpool_release(&remote, rx.index, rx.generation), 0);
	int own = hipc_bufpool_alloc(&host, NULL);
	CHECK(own >= 0);
	/* Remote buffers: one held by the host, one in flight to it, two
	 * allocated by the remote. */
	pass(&remote, &host, 300, 0, 32, 0, &ref, &held);
	int j = hipc_bufpool_alloc(&remote, NULL);
	CHECK_EQ(hipc_bufpool_send(&remote, (uint32_t)j, 0, 8, 0, &old_ref), 0);
	CHECK(hipc_bufpool_alloc(&remote, NULL) >= 0);
	CHECK(hipc_bufpool_alloc(&remote, NULL) >= 0);

	/* The remote dies.  The host takes back 6 of its own buffers and
	 * frees the remote's 3 it does not hold. */
	n = hipc_bufpool_reclaim_remote(&host);
	CHECK_EQ(n, 6 + 3);
	CHECK_EQ(stats(&host).reclaimed, 9);
	CHECK_EQ(hipc_bufpool_reclaim_remote(&remote), -HIPC_EINVAL);
	/* The dead remote's reference, processed late: refused. */
	REFUSED(&host, old_ref, -HIPC_EPROTO, refused_shared);
	/* Every host buffer but its own allocated one is free again. */
	for (uint32_t k = 0; k < HOST_COUNT - 1; k++)
		CHECK(hipc_bufpool_alloc(&host, NULL) != own);
	CHECK_EQ(hipc_bufpool_alloc(&host, NULL), -HIPC_EAGAIN);

	/* A new instance attaches with a fresh view: all its buffers but
	 * the one the host holds are free... */
	memset(remote_slots, 0xEE, sizeof(remote_slots));
	struct hipc_bufpool_config c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	CHECK_EQ(hipc_bufpool_init(&remote, &c), 0);
	for (uint32_t k = 0; k < COUNT - HOST_COUNT - 1; k++)
		CHECK((uint32_t)hipc_bufpool_alloc(&remote, NULL) != held.index);
	CHECK_EQ(hipc_bufpool_alloc(&remote, NULL), -HIPC_EAGAIN);
	/* ...and that one comes back when the host is done with it. */
	CHECK(check_fill(held.data, 32, 300));
	CHECK_EQ(hipc_bufpool_release(&host, held.index, held.generation), 0);
	CHECK_EQ(hipc_bufpool_alloc(&remote, NULL), (int)held.index);
	/* Traffic resumes both ways with the new instance. */
	CHECK_EQ(hipc_bufpool_free(&remote, held.index), 0);
	pass(&remote, &host, 400, 0, BUF, HIPC_BUFPOOL_F_CRC, &ref, &rx);
	CHECK_EQ(hipc_bufpool_release(&host, rx.index, rx.generation), 0);
	CHECK_EQ(hipc_bufpool_free(&host, (uint32_t)own), 0);
	pass(&host, &remote, 401, 0, BUF, HIPC_BUFPOOL_F_CRC, &ref, &rx);
}

/* A dying remote rewrites its buffers' words to "free, generation 0"
 * (or anything lower than what it sent): the reclaim puts back the
 * generation the host last saw, so the next instance's references, which
 * count on from the word, are not refused as stale. */
HIPC_TEST(reclaim_keeps_generations_the_host_saw)
{
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;

	setup();
	/* Remote buffers sent to the host and given back, lap after lap:
	 * their generations move on. */
	for (uint32_t k = 0; k < 4 * (COUNT - HOST_COUNT); k++) {
		pass(&remote, &host, 500 + k, 0, 32, 0, &ref, &rx);
		CHECK_EQ(hipc_bufpool_release(&host, rx.index, rx.generation),
			 0);
	}
	for (uint32_t i = HOST_COUNT; i < COUNT; i++) {
		hipc_put_le32(entry(i), HIPC_BUFPOOL_FREE);
		hipc_put_le32(entry(i) + 4, 0);
	}
	(void)hipc_bufpool_reclaim_remote(&host);
	/* The next instance: every one of its buffers reaches the host. */
	memset(remote_slots, 0xEE, sizeof(remote_slots));
	struct hipc_bufpool_config c = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	CHECK_EQ(hipc_bufpool_init(&remote, &c), 0);
	for (uint32_t k = 0; k < COUNT - HOST_COUNT; k++) {
		pass(&remote, &host, 600 + k, 0, 32, 0, &ref, &rx);
		CHECK_EQ(hipc_bufpool_release(&host, rx.index, rx.generation),
			 0);
	}
	CHECK_EQ(stats(&host).refused_stale, 0);
}

/* The port's cache operations at each hand-over. */
struct cache_log {
	int n;
	struct {
		char op;
		const void *a;
		size_t len;
	} e[128];
};

static void log_op(void *ctx, char op, const void *a, size_t len)
{
	struct cache_log *l = ctx;

	if (l->n < 128) {
		l->e[l->n].op = op;
		l->e[l->n].a = a;
		l->e[l->n].len = len;
	}
	l->n++;
}

static void clean(void *ctx, const void *a, size_t len) { log_op(ctx, 'c', a, len); }
static void inval(void *ctx, const void *a, size_t len) { log_op(ctx, 'i', a, len); }

/* Whether @l has @op over [a, a + len) at or after entry @from. */
static int logged(const struct cache_log *l, int from, char op, const void *a,
		  size_t len)
{
	for (int k = from; k < l->n && k < 128; k++)
		if (l->e[k].op == op && l->e[k].a == a && l->e[k].len == len)
			return k + 1;
	return 0;
}

HIPC_TEST(cache_ops_around_hand_over)
{
	static const struct hipc_port_ops ops = {
		.cache_clean = clean, .cache_invalidate = inval,
	};
	static struct cache_log hl, rl;
	const struct hipc_port hp = { &ops, &hl }, rp = { &ops, &rl };
	struct hipc_bufpool_config h = cfg(HIPC_BUFPOOL_ROLE_HOST);
	struct hipc_bufpool_config r = cfg(HIPC_BUFPOOL_ROLE_REMOTE);
	struct hipc_bufpool_ref ref;
	struct hipc_bufpool_rx rx;
	void *b;
	int i, at;

	h.port = &hp;
	r.port = &rp;
	CHECK_EQ(hipc_bufpool_init(&host, &h), 0);
	CHECK_EQ(hipc_bufpool_init(&remote, &r), 0);
	CHECK(logged(&hl, 0, 'c', shm, sizeof(struct hipc_bufpool_hdr)));
	CHECK(logged(&rl, 0, 'i', shm, sizeof(struct hipc_bufpool_hdr)));
	i = hipc_bufpool_alloc(&host, &b);
	hl.n = rl.n = 0;
	CHECK_EQ(hipc_bufpool_send(&host, (uint32_t)i, 0, 10, 0, &ref), 0);
	/* The bytes out, then the state word. */
	at = logged(&hl, 0, 'c', b, BUF);
	CHECK(at);
	CHECK(logged(&hl, at, 'c', entry((uint32_t)i), 8));
	CHECK_EQ(hipc_bufpool_receive(&remote, &ref, sizeof(ref), &rx), i);
	/* The state word read fresh, then the bytes dropped before the
	 * pointer is handed out, then our new state written out. */
	at = logged(&rl, 0, 'i', entry((uint32_t)i), 8);
	CHECK(at);
	at = logged(&rl, at, 'i', b, BUF);
	CHECK(at);
	CHECK(logged(&rl, at, 'c', entry((uint32_t)i), 8));
	rl.n = 0;
	CHECK_EQ(hipc_bufpool_release(&remote, rx.index, rx.generation), 0);
	at = logged(&rl, 0, 'c', b, BUF);
	CHECK(at);
	CHECK(logged(&rl, at, 'c', entry((uint32_t)i), 8));
	/* A refused reference: no operation on the buffer's bytes. */
	rl.n = 0;
	CHECK_EQ(hipc_bufpool_receive(&remote, &ref, sizeof(ref), &rx),
		 -HIPC_ESTALE);
	CHECK_EQ(rl.n, 0);
}

HIPC_TEST_MAIN(HIPC_CASE(crc32c_vector), HIPC_CASE(wire_layout),
	       HIPC_CASE(config_checked), HIPC_CASE(remote_validates_header),
	       HIPC_CASE(host_to_remote), HIPC_CASE(remote_to_host),
	       HIPC_CASE(round_trip_10000), HIPC_CASE(bad_references_refused),
	       HIPC_CASE(alloc_ignores_scribbled_returns),
	       HIPC_CASE(reclaim_after_crash),
	       HIPC_CASE(reclaim_keeps_generations_the_host_saw),
	       HIPC_CASE(cache_ops_around_hand_over))
