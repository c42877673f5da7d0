/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Little-endian wire fields (virtio, rpmsg, resource tables are all
 * little-endian), unaligned-safe.  The one accessor family of the whole
 * stack: the core, the simulation and the tools use these.  Freestanding:
 * compiler builtins only (a plain memcpy() would become a library call
 * under -ffreestanding).
 */
#ifndef HIPC_BYTEORDER_H
#define HIPC_BYTEORDER_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define hipc_le16(x) __builtin_bswap16(x)
#define hipc_le32(x) __builtin_bswap32(x)
#define hipc_le64(x) __builtin_bswap64(x)
#else
/* Conversion between CPU order and little-endian (its own inverse). */
#define hipc_le16(x) ((uint16_t)(x))
#define hipc_le32(x) ((uint32_t)(x))
#define hipc_le64(x) ((uint64_t)(x))
#endif

static inline uint16_t hipc_get_le16(const void *p)
{
	uint16_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return hipc_le16(v);
}

static inline uint32_t hipc_get_le32(const void *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return hipc_le32(v);
}

static inline uint64_t hipc_get_le64(const void *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return hipc_le64(v);
}

static inline void hipc_put_le16(void *p, uint16_t v)
{
	v = hipc_le16(v);
	__builtin_memcpy(p, &v, sizeof(v));
}

static inline void hipc_put_le32(void *p, uint32_t v)
{
	v = hipc_le32(v);
	__builtin_memcpy(p, &v, sizeof(v));
}

static inline void hipc_put_le64(void *p, uint64_t v)
{
	v = hipc_le64(v);
	__builtin_memcpy(p, &v, sizeof(v));
}

/* A field of a packed wire struct at @base: hipc_get_le32(HIPC_FIELD(p,
 * struct hipc_rsc_vdev, dfeatures)). */
#define HIPC_FIELD(base, type, field)                                        \
	((void *)((uint8_t *)(base) + __builtin_offsetof(type, field)))
#define HIPC_CFIELD(base, type, field)                                       \
	((const void *)((const uint8_t *)(base) +                            \
			__builtin_offsetof(type, field)))

#endif
