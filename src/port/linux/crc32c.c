/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CRC32C for the Linux side, fast enough that every byte of a big buffer
 * can be checked: the core's hipc_crc32c() goes a byte at a time through
 * one table (~0.4 GB/s); here x86-64's crc32 instruction (SSE 4.2, chosen
 * at run time), else eight bytes per step through eight tables built once
 * from the polynomial.  Same values as hipc_crc32c() either way
 * (tests/bigbuf checks it on random data).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hipc/bufpool.h"
#include "hipc/linux.h"
#include "port_linux_internal.h"

#define POLY 0x82F63B78u /* reflected Castagnoli */

static uint32_t tab[8][256];
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void tab_build(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (POLY & (0u - (c & 1u)));
		tab[0][n] = c;
	}
	/* tab[k][n]: n followed by k zero bytes, so eight table look-ups
	 * cover eight input bytes at once. */
	for (uint32_t n = 0; n < 256; n++)
		for (int k = 1; k < 8; k++)
			tab[k][n] = (tab[k - 1][n] >> 8) ^
				    tab[0][tab[k - 1][n] & 0xFFu];
}

static uint32_t crc_slice8(uint32_t crc, const uint8_t *p, size_t len)
{
	pthread_once(&tab_once, tab_build);
	crc = ~crc;
	while (len && ((uintptr_t)p & 7u)) {
		crc = tab[0][(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8); /* little-endian hosts only (hipc's rule) */
		w ^= crc;
		crc = tab[7][w & 0xFFu] ^ tab[6][(w >> 8) & 0xFFu] ^
		      tab[5][(w >> 16) & 0xFFu] ^ tab[4][(w >> 24) & 0xFFu] ^
		      tab[3][(w >> 32) & 0xFFu] ^ tab[2][(w >> 40) & 0xFFu] ^
		      tab[1][(w >> 48) & 0xFFu] ^ tab[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = tab[0][(crc ^ *p++) & 0xFFu] ^ (crc >> 8);
	return ~crc;
}

#if defined(__x86_64__)
/*
 * The crc32 instruction has a latency of three cycles and a throughput of
 * one: three independent streams over three thirds of a block keep it
 * busy, and the three partial CRCs are joined by shifting two of them
 * over the bytes that follow them (multiplication by x^(8n) mod P, done
 * with the same instruction on a 32-bit word: crc32(0, v) is v * x^32 mod
 * P, so a constant x^(8n-33) suffices).  Blocks of 3 x 8 KiB; the rest
 * one stream.
 */
#define BLK 8192u

__attribute__((target("sse4.2"))) static uint32_t
crc_hw1(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len && ((uintptr_t)p & 7u)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return (uint32_t)c;
}

/* a * b mod P, both in the reflected domain (bit 31 is x^0). */
static uint32_t gf_mul(uint32_t a, uint32_t b)
{
	uint32_t s = 0;

	for (int i = 0; i < 32; i++) {
		if (a & 0x80000000u)
			s ^= b;
		a <<= 1;
		b = (b >> 1) ^ (POLY & (0u - (b & 1u)));
	}
	return s;
}

/* x^(8 * BLK) mod P: shifting a CRC over one block of zero bytes. */
static uint32_t shift_blk;

static void shift_build(void)
{
	uint32_t r = 0x80000000u, sq = 0x40000000u; /* x^0, x^1 */
	uint64_t n = 8ull * BLK;

	while (n) {
		if (n & 1u)
			r = gf_mul(r, sq);
		sq = gf_mul(sq, sq);
		n >>= 1;
	}
	shift_blk = r;
}

static pthread_once_t shift_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2"))) static uint32_t
crc_hw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint32_t c = ~crc;

	pthread_once(&shift_once, shift_build);
	while (len >= 3u * BLK) {
		uint64_t a = c, b = 0, d = 0;
		const uint8_t *q = p;

		for (size_t i = 0; i < BLK; i += 8) {
			uint64_t w0, w1, w2;

			memcpy(&w0, q + i, 8);
			memcpy(&w1, q + BLK + i, 8);
			memcpy(&w2, q + 2u * BLK + i, 8);
			a = __builtin_ia32_crc32di(a, w0);
			b = __builtin_ia32_crc32di(b, w1);
			d = __builtin_ia32_crc32di(d, w2);
		}
		/* crc(A|B) = shift(crc(A), |B|) ^ crc0(B) for a raw
		 * (unreflected-init) register. */
		c = gf_mul((uint32_t)a, shift_blk) ^ (uint32_t)b;
		c = gf_mul(c, shift_blk) ^ (uint32_t)d;
		p += 3u * BLK;
		len -= 3u * BLK;
	}
	return ~crc_hw1(c, p, len);
}
#endif

static bool use_hw(void)
{
#if defined(__x86_64__)
	static int hw = -1;
	int v = __atomic_load_n(&hw, __ATOMIC_RELAXED);

	/* Racing first calls all store the same answer. */
	if (v < 0) {
		v = __builtin_cpu_supports("sse4.2") ? 1 : 0;
		__atomic_store_n(&hw, v, __ATOMIC_RELAXED);
	}
	return v;
#else
	return false;
#endif
}

uint32_t hipc_crc32c_fast(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (use_hw())
		return crc_hw(crc, buf, len);
#endif
	return crc_slice8(crc, buf, len);
}

uint32_t hipc__crc32c_slice8(uint32_t crc, const void *buf, size_t len)
{
	return crc_slice8(crc, buf, len);
}
