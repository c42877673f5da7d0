/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for one vring, in one role at a time, against an
 * adversary that plays the other role: the input chooses the role, the
 * ring's size, event index and whether the ring is given in parts, then is
 * a script of our operations and of the peer's writes into the shared
 * region between them.  The peer's writes name the fields it may lie in:
 * avail and used flags and indexes, avail ring entries, used ids and
 * lengths, descriptor addresses, lengths, flags and next links, event
 * indexes, or any byte.
 *
 * The region (ring and buffers) fills whole pages between two PROT_NONE
 * pages, so a stray access faults.  Besides "no crash", asserted:
 * - driver role: a token comes back from hipc_vring_get_used() only while
 *   it is in flight, once, and never with a length above what was posted;
 *   -HIPC_ENOSPC only when every descriptor is in flight;
 * - device role: a buffer given out lies inside the region for its full
 *   length (we write or read every byte of it);
 * - a broken ring stays broken and gives nothing out;
 * - every call touches shared memory a bounded number of times (the cache
 *   operations count them: at most 4 * num + 16 per call).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hipc/error.h"
#include "hipc/vring.h"
#include "fuzz_input.h"

#define PG 4096u
#define MAXNUM 256u
#define NBUF 32u
#define BSZ 256u
#define DA 0x20000000u

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_vring:%d: %s\n", __LINE__, #c); \
			abort();                                              \
		}                                                             \
	} while (0)

static uint8_t *area;   /* between guard pages */
static size_t area_size;
static struct hipc_region reg;
static const struct hipc_memmap map = { &reg, 1 };
static struct hipc_vring vr;
static struct hipc_vring_slot slots[MAXNUM];
static unsigned num;
static size_t used_off, avail_off, desc_off;
static unsigned long accesses; /* cache operations in the current call */

/* The tokens we posted: &tok[i], in flight or not, and their lengths. */
static uint8_t tok[MAXNUM];
static bool inflight[MAXNUM];
static uint32_t posted_len[MAXNUM];
static unsigned ninflight;

static void in_area(const void *p, size_t n)
{
	const uint8_t *b = p;

	CHECK(b >= area && n <= area_size && (size_t)(b - area) <= area_size - n);
}

static void cache_op(void *ctx, const void *p, size_t n)
{
	(void)ctx;
	in_area(p, n);
	accesses++;
}

static const struct hipc_port_ops ops = {
	.cache_clean = cache_op,
	.cache_invalidate = cache_op,
};
static const struct hipc_port port = { &ops, NULL };

static void setup_area(void)
{
	size_t len = 64 * PG;
	uint8_t *p = mmap(NULL, len + 2 * PG, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	CHECK(!mprotect(p, PG, PROT_NONE));
	CHECK(!mprotect(p + PG + len, PG, PROT_NONE));
	area = p + PG;
	area_size = len;
}

/* Move the region's end guard so that the region is @pages pages. */
static void set_pages(size_t pages)
{
	static size_t cur = 64;

	if (pages == cur)
		return;
	CHECK(!mprotect(area, 64 * PG, PROT_READ | PROT_WRITE));
	if (pages < 64)
		CHECK(!mprotect(area + pages * PG, (64 - pages) * PG, PROT_NONE));
	cur = pages;
}

static void write_peer(size_t off, uint32_t v, unsigned bytes)
{
	if (off > area_size - bytes)
		return;
	memcpy(area + off, &v, bytes); /* little-endian host */
}

static void call_done(void)
{
	CHECK(accesses <= 4ul * num + 16);
	accesses = 0;
}

/* What both roles do alike: @k 0 asks whether to ring, 1 looks for
 * pending work, 2 turns the callbacks on or off (bit 3 of @op). */
static void notify_op(unsigned k, uint8_t op)
{
	if (k == 0)
		(void)hipc_vring_need_notify(&vr);
	else if (k == 1)
		(void)hipc_vring_pending(&vr);
	else if (op & 8)
		(void)hipc_vring_enable_cb(&vr);
	else
		hipc_vring_disable_cb(&vr);
}

static void driver_op(struct in *in, uint8_t op)
{
	switch (op % 6) {
	case 0: { /* post a buffer: one of ours, or an address the input says */
		uint32_t b = get8(in), len = get16(in) % (BSZ + 1);
		uint64_t da = b < 0xF0 ? DA + area_size - (NBUF - b % NBUF) * BSZ
				       : get32(in);
		unsigned t = 0;
		int ret;

		while (t < num && inflight[t])
			t++;
		ret = hipc_vring_add(&vr, da, len, b & 1, t < num ? &tok[t] : &tok[0]);
		if (ret == -HIPC_ENOSPC)
			CHECK(ninflight == num);
		if (ret == 0) {
			CHECK(t < num && !hipc_vring_broken(&vr));
			inflight[t] = true;
			posted_len[t] = len;
			ninflight++;
		}
		break;
	}
	case 1: { /* take back what the device used */
		uint32_t len = 0xFFFFFFFFu;
		uint8_t *t = hipc_vring_get_used(&vr, &len);

		if (t) {
			size_t i = (size_t)(t - tok);

			CHECK(t >= tok && i < num && inflight[i]);
			CHECK(len <= posted_len[i]);
			CHECK(!hipc_vring_broken(&vr));
			inflight[i] = false;
			ninflight--;
		}
		break;
	}
	case 2:
	case 3:
	case 4:
		notify_op(op % 6 - 2, op);
		break;
	default: {
		struct hipc_vring_info i;

		CHECK(hipc_vring_info(&vr, &i) == 0);
		CHECK(i.num == num && i.broken == hipc_vring_broken(&vr));
		break;
	}
	}
}

static uint16_t heads[MAXNUM];
static unsigned nheads;

static void device_op(struct in *in, uint8_t op)
{
	switch (op % 7) {
	case 0:
	case 1: { /* take a buffer the driver posted */
		uint16_t head = 0xFFFF;
		void *buf = NULL;
		uint32_t len = 0;
		bool was_broken = hipc_vring_broken(&vr);
		int ret = hipc_vring_get_avail(&vr, op & 1, &head, &buf, &len);

		if (ret == 0) {
			CHECK(!was_broken && head < num);
			in_area(buf, len);
			if (op & 1)
				memset(buf, 0x5A, len);
			else
				for (uint32_t k = 0; k < len; k++)
					(void)((volatile uint8_t *)buf)[k];
			if (op & 0x80)
				hipc_vring_unget_avail(&vr);
			else if (nheads < MAXNUM)
				heads[nheads++] = head;
		} else {
			CHECK(ret == -HIPC_EAGAIN || ret == -HIPC_EIO);
		}
		break;
	}
	case 2: { /* give one back: one we took, or any head */
		uint32_t k = get8(in), len = get16(in);
		uint16_t head;

		if (nheads && k < 0xF0) {
			k %= nheads;
			head = heads[k];
			heads[k] = heads[--nheads];
		} else {
			head = (uint16_t)get16(in);
		}
		(void)hipc_vring_put_used(&vr, head, len);
		break;
	}
	case 3:
	case 4:
	case 5:
		notify_op(op % 7 - 3, op);
		break;
	default: {
		struct hipc_vring_info i;

		CHECK(hipc_vring_info(&vr, &i) == 0);
		break;
	}
	}
}

/* The peer writes one field of the ring (or any bytes). */
static void adversary(struct in *in, uint8_t op)
{
	uint32_t i = get16(in) % num, v = get32(in);

	switch ((op >> 4) % 12) {
	case 0: write_peer(avail_off + 2, v, 2); break;            /* avail idx */
	case 1: write_peer(avail_off, v, 2); break;                /* avail flags */
	case 2: write_peer(avail_off + 4 + 2 * i, v, 2); break;    /* avail ring */
	case 3: write_peer(avail_off + 4 + 2 * num, v, 2); break;  /* used_event */
	case 4: write_peer(used_off + 2, v, 2); break;             /* used idx */
	case 5: write_peer(used_off, v, 2); break;                 /* used flags */
	case 6: write_peer(used_off + 4 + 8 * i, v, 4); break;     /* used id */
	case 7: write_peer(used_off + 8 + 8 * i, v, 4); break;     /* used len */
	case 8: write_peer(used_off + 4 + 8 * num, v, 2); break;   /* avail_event */
	case 9: /* descriptor address: in the region, near it, or anything */
		if (v & 1)
			v = DA + v % (uint32_t)(area_size + 64) - 32;
		write_peer(desc_off + 16 * i, v, 4);
		write_peer(desc_off + 16 * i + 4, v & 2 ? 0 : get32(in), 4);
		break;
	case 10: /* descriptor length, flags, next */
		write_peer(desc_off + 16 * i + 8 + (v & 3) * 2 % 8,
			   get32(in), (v & 3) < 2 ? 4 : 2);
		break;
	default:
		write_peer(v % area_size, get32(in), (op & 3) + 1);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size, 0 };
	uint32_t cfg = get8(&in), align = get8(&in) & 1 ? PG : 16;
	bool device = cfg & 1, event_idx = cfg & 2, parts = cfg & 4;
	size_t ring, pages;
	int ret;

	if (!area)
		setup_area();
	num = 1u << ((cfg >> 3) % 9);
	ring = hipc_vring_size(num, align);
	CHECK(ring);
	pages = (ring + NBUF * BSZ + PG - 1) / PG;
	set_pages(pages);
	area_size = pages * PG;
	memset(area, 0, area_size);
	reg.da = DA;
	reg.va = area;
	reg.size = area_size;
	desc_off = 0;
	avail_off = 16u * num;
	used_off = (avail_off + 2u * (3 + num) + align - 1) / align * align;
	memset(inflight, 0, sizeof(inflight));
	ninflight = 0;
	nheads = 0;
	accesses = 0;
	if (parts) {
		/* the three parts where the input puts them, each aligned;
		 * the core must refuse what overlaps or leaves the region */
		struct hipc_vring_addr a;

		desc_off = (get16(&in) * 16u) % area_size;
		avail_off = (get16(&in) * 2u) % area_size;
		used_off = (get16(&in) * 4u) % area_size;
		a.desc = DA + desc_off;
		a.avail = DA + avail_off;
		a.used = DA + used_off;
		ret = hipc_vring_parts_check(&map, &a, num, event_idx);
		if (ret)
			return 0;
		ret = hipc_vring_init_parts(&vr, device ? HIPC_VRING_DEVICE :
					   HIPC_VRING_DRIVER, area + desc_off,
					   area + avail_off, area + used_off, num,
					   device ? NULL : slots,
					   device ? &map : NULL, &port, event_idx);
	} else {
		ret = hipc_vring_init(&vr, device ? HIPC_VRING_DEVICE :
				      HIPC_VRING_DRIVER, area, num, align,
				      device ? NULL : slots,
				      device ? &map : NULL, &port, event_idx);
	}
	if (ret)
		return 0; /* overlapping parts */
	call_done();
	while (in.i < in.n) {
		uint8_t op = (uint8_t)get8(&in);
		bool was_broken = hipc_vring_broken(&vr);

		if ((op & 0xF) >= 10)
			adversary(&in, op);
		else if (device)
			device_op(&in, op);
		else
			driver_op(&in, op);
		call_done();
		if (was_broken)
			CHECK(hipc_vring_broken(&vr));
	}
	return 0;
}
