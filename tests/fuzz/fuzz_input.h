/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading a fuzz input as a script: little-endian fields, 0 past the end. */
#ifndef HIPC_FUZZ_INPUT_H
#define HIPC_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct in {
	const uint8_t *d;
	size_t n, i;
};

static inline uint32_t get8(struct in *in)
{
	return in->i < in->n ? in->d[in->i++] : 0;
}

static inline uint32_t get16(struct in *in)
{
	uint32_t v = get8(in);

	return v | get8(in) << 8;
}

static inline uint32_t get32(struct in *in)
{
	uint32_t v = get16(in);

	return v | get16(in) << 16;
}

#endif
