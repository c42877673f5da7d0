/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big buffers: a pool of large buffers in a shared carveout, exchanged by
 * reference.  Only a 32-byte reference (struct hipc_bufpool_ref) travels,
 * as an rpmsg payload; the bytes stay where they were written.
 *
 * Shared memory, laid out by the host (HIPC_BUFPOOL_HOST) and checked by
 * the remote against its own configuration, never taken from it:
 *
 *   header (struct hipc_bufpool_hdr), padded to @align
 *   state table: per buffer {state u32, generation u32}, @align apart
 *     (two sides never write one cache line), HIPC_BUFPOOL_* states
 *   buffers: @count x @buf_size bytes, each @align-aligned
 *
 * Each buffer has a home side, the one that allocates it: buffers
 * [0, host_count) are the host's, the rest the remote's.  No word is ever
 * read-modified-written by both processors (no cross-core atomics needed):
 *
 *   host's buffer:   FREE -alloc-> HOST -send-> TO_REMOTE -receive-> REMOTE
 *                    -release-> TO_HOST -(the host's next alloc)-> FREE
 *   remote's buffer: FREE -alloc-> REMOTE -send-> TO_HOST -receive-> HOST
 *                    -release-> TO_REMOTE -(the remote's alloc)-> FREE
 *
 * Each side keeps its own view (caller storage, one struct
 * hipc_bufpool_slot per buffer) and decides from it; a shared word the peer
 * wrote is read once and must agree with that view, or the operation is
 * refused, counted, and the buffer left alone.
 *
 * Threads: every call takes the port's lock (if any), so calls on one pool
 * may come from several threads; none blocks, all may be called from a
 * receive callback.  Cache maintenance goes through the port at every
 * change of owner: the buffer's bytes are cleaned before a send and after
 * a release, invalidated before a received pointer is handed out.
 */
#ifndef HIPC_BUFPOOL_H
#define HIPC_BUFPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hipc/export.h"
#include "hipc/port.h"

#define HIPC_BUFPOOL_MAGIC 0x4C504248u /* "HBPL" */
#define HIPC_BUFPOOL_VERSION 1u
#define HIPC_BUFPOOL_REF_MAGIC 0x4252u /* "RB" */

/* Buffer states, in the shared table and in each side's view. */
enum hipc_bufpool_state {
	HIPC_BUFPOOL_FREE = 0,
	HIPC_BUFPOOL_HOST = 1,      /* owned by the host */
	HIPC_BUFPOOL_TO_REMOTE = 2, /* in flight to the remote */
	HIPC_BUFPOOL_REMOTE = 3,    /* owned by the remote */
	HIPC_BUFPOOL_TO_HOST = 4,   /* in flight to the host */
};

enum hipc_bufpool_role {
	HIPC_BUFPOOL_ROLE_HOST = 0,   /* lays the pool out */
	HIPC_BUFPOOL_ROLE_REMOTE = 1, /* attaches and validates */
};

/* Reference flags. */
#define HIPC_BUFPOOL_F_CRC 0x0001u /* crc32c covers [offset, offset+length) */
#define HIPC_BUFPOOL_F_KNOWN HIPC_BUFPOOL_F_CRC

/* Wire formats, little-endian (the code uses accessors, not these). */
struct hipc_bufpool_hdr {
	uint32_t magic;     /* HIPC_BUFPOOL_MAGIC, written last */
	uint16_t version;   /* HIPC_BUFPOOL_VERSION */
	uint16_t hdr_size;  /* sizeof(struct hipc_bufpool_hdr) */
	uint32_t pool_id;
	uint32_t count;
	uint32_t host_count; /* buffers [0, host_count) are the host's */
	uint32_t buf_size;
	uint32_t align;      /* state entry stride and buffer alignment */
	uint32_t state_off;  /* from the header */
	uint32_t data_off;   /* from the header */
	uint32_t reserved;   /* 0 */
} __attribute__((packed));

/* A reference: what travels as the rpmsg payload. */
struct hipc_bufpool_ref {
	uint16_t magic;      /* HIPC_BUFPOOL_REF_MAGIC */
	uint16_t flags;      /* HIPC_BUFPOOL_F_* */
	uint32_t pool_id;
	uint32_t index;
	uint32_t generation;
	uint32_t offset;     /* into the buffer */
	uint32_t length;
	uint32_t crc32c;     /* with HIPC_BUFPOOL_F_CRC, else 0 */
	uint32_t reserved;   /* sent 0, ignored */
} __attribute__((packed));

/*
 * A return notice: what a receiver may send back over the same endpoint
 * after hipc_bufpool_release(), so the buffer's home side learns at once
 * that it came back and how many bytes were consumed (@status 0) or why
 * the reference was refused (@status a -HIPC_E* code; the buffer then
 * stays with the sender's peer until a reclaim).  Advisory: the shared
 * state word, not the notice, decides whether the buffer is back.
 */
#define HIPC_BUFPOOL_RET_MAGIC 0x5452u /* "RT" */

struct hipc_bufpool_ret {
	uint16_t magic;      /* HIPC_BUFPOOL_RET_MAGIC */
	uint16_t flags;      /* 0 */
	uint32_t pool_id;
	uint32_t index;
	uint32_t generation;
	uint32_t length;     /* bytes consumed */
	int32_t status;      /* 0 or -HIPC_E* */
} __attribute__((packed));

_Static_assert(sizeof(struct hipc_bufpool_ret) == 24, "return notice is 24 bytes");
_Static_assert(sizeof(struct hipc_bufpool_hdr) == 40, "pool header is 40 bytes");
_Static_assert(sizeof(struct hipc_bufpool_ref) == 32, "reference is 32 bytes");
_Static_assert(__builtin_offsetof(struct hipc_bufpool_ref, index) == 8,
	       "reference layout");
_Static_assert(__builtin_offsetof(struct hipc_bufpool_ref, crc32c) == 24,
	       "reference layout");

/* One buffer as one side sees it (local memory, never shared). */
struct hipc_bufpool_slot {
	/* private */
	uint32_t gen;
	uint8_t state;
	uint8_t pad[3];
};
_Static_assert(sizeof(struct hipc_bufpool_slot) == 8, "slot is 8 bytes");

/* Bytes of local view for @count buffers. */
#define HIPC_BUFPOOL_STORAGE_SIZE(count)                                     \
	((size_t)(count) * sizeof(struct hipc_bufpool_slot))

/* Shared bytes a pool needs: the header padded to @align, one state entry
 * per buffer @align apart, the buffers. */
#define HIPC_BUFPOOL_SHM_SIZE(count, buf_size, align)                        \
	((((uint64_t)sizeof(struct hipc_bufpool_hdr) + (align) - 1u) /      \
	  (align) * (align)) +                                               \
	 (uint64_t)(count) * (align) + (uint64_t)(count) * (buf_size))

struct hipc_bufpool_config {
	/* public: all of it */
	enum hipc_bufpool_role role;
	uint32_t pool_id;    /* names the pool in references */
	uint32_t count;      /* buffers, >= 1 */
	uint32_t host_count; /* the host's buffers, <= count; the rest the remote's */
	uint32_t buf_size;   /* a multiple of align */
	uint32_t align;      /* cache line: a power of two, >= 8 */
	void *shm;           /* the carveout, align-aligned */
	size_t shm_size;     /* >= HIPC_BUFPOOL_SHM_SIZE() */
	struct hipc_bufpool_slot *slots; /* local view: count entries */
	const struct hipc_port *port;    /* lock and cache ops; may be NULL */
	/* CRC32C to use for HIPC_BUFPOOL_F_CRC: a faster one giving the same
	 * values as hipc_crc32c() (a CPU instruction on Linux).  NULL:
	 * hipc_crc32c(). */
	uint32_t (*crc32c)(uint32_t crc, const void *buf, size_t len);
};

/* Counters (hipc_bufpool_get_stats()). */
struct hipc_bufpool_stats {
	/* public: all of it */
	uint64_t allocated;
	uint64_t sent;
	uint64_t received;
	uint64_t released;
	uint64_t returned;      /* our buffers back from the peer (alloc) */
	uint64_t reclaimed;     /* hipc_bufpool_reclaim_remote() */
	/* refused, by reason; the buffer untouched every time */
	uint32_t refused_bad;    /* size, magic, flags, pool id */
	uint32_t refused_range;  /* index, offset + length */
	uint32_t refused_owner;  /* not in flight to us / not ours / not held */
	uint32_t refused_stale;  /* generation */
	uint32_t refused_crc;
	uint32_t refused_shared; /* the shared state word disagrees */
};

/* What hipc_bufpool_receive() hands out. */
struct hipc_bufpool_rx {
	/* public: all of it */
	void *data;          /* the referenced bytes, valid until release */
	size_t len;
	uint32_t index;
	uint32_t generation; /* to give back to hipc_bufpool_release() */
};

/* A pool, in caller storage.  Every field is private. */
struct hipc_bufpool {
	/* private */
	uint8_t *shm;
	uint8_t *states;
	uint8_t *data;
	struct hipc_bufpool_slot *slots;
	const struct hipc_port *port;
	uint32_t (*crc32c)(uint32_t crc, const void *buf, size_t len);
	uint32_t pool_id;
	uint32_t count;
	uint32_t first;  /* our buffers: [first, end) */
	uint32_t end;
	uint32_t buf_size;
	uint32_t stride;
	uint32_t cursor; /* where the next alloc starts looking */
	uint8_t role;
	struct hipc_bufpool_stats stats;
};

/**
 * hipc_bufpool_init() - set up a pool from @cfg.
 * Host role: zeroes the state table, writes the header (magic last).
 * Remote role: checks the header the host wrote against @cfg, field by
 * field, and reads its own buffers' states and generations once to start
 * its view (buffers not FREE are taken as lent to the host).  Attach
 * before the host sends any reference.
 * Context: init; no lock taken.
 * @retval 0
 * @retval -HIPC_EINVAL a field of @cfg is wrong (count 0, host_count >
 *         count, align not a power of two, buf_size not a multiple of it,
 *         shm misaligned or too small, sizes past 4 GiB)
 * @retval -HIPC_EBADMSG remote: the header does not match @cfg
 * @retval -HIPC_ENOTSUP the port has ops this build leaves out
 */
HIPC_API int hipc_bufpool_init(struct hipc_bufpool *pool,
			       const struct hipc_bufpool_config *cfg);

/**
 * hipc_bufpool_alloc() - take one of our FREE buffers; its generation goes
 * up by one.  Buffers the peer gave back (shared state "in flight to us"
 * with the generation we sent) become FREE on the way.
 * @buf: set to the buffer (buf_size bytes, ours to fill).  May be NULL.
 * Context: never blocks; any.
 * @retval >=0 the buffer's index
 * @retval -HIPC_EAGAIN none free
 */
HIPC_API int hipc_bufpool_alloc(struct hipc_bufpool *pool, void **buf);

/**
 * hipc_bufpool_buf() - the bytes of buffer @index, if we own it now
 * (allocated, or received and not released).  NULL otherwise.
 */
HIPC_API void *hipc_bufpool_buf(struct hipc_bufpool *pool, uint32_t index);

/**
 * hipc_bufpool_free() - give back a buffer we allocated and did not send.
 * @retval 0, -HIPC_EINVAL (not an allocated buffer of ours)
 */
HIPC_API int hipc_bufpool_free(struct hipc_bufpool *pool, uint32_t index);

/**
 * hipc_bufpool_send() - hand bytes [@offset, @offset + @length) of an
 * allocated buffer to the peer: the bytes are cleaned from our cache, the
 * buffer's state becomes "in flight to the peer", and @ref is the
 * reference to send (sizeof(*@ref) bytes).  With HIPC_BUFPOOL_F_CRC in
 * @flags the reference carries the bytes' CRC32C.  The buffer is not ours
 * any more: do not touch it.
 * @retval 0
 * @retval -HIPC_EINVAL not an allocated buffer of ours, unknown flags
 * @retval -HIPC_ERANGE the range does not fit the buffer
 */
HIPC_API int hipc_bufpool_send(struct hipc_bufpool *pool, uint32_t index,
			       uint32_t offset, uint32_t length, uint32_t flags,
			       struct hipc_bufpool_ref *ref);

/**
 * hipc_bufpool_receive() - take a reference the peer sent (@msg, @len: the
 * rpmsg payload as received).  Checked against our view before anything
 * else is read: size, magic, flags, pool id, index, range (no overflow),
 * the buffer being the peer's and not held by us, a newer generation than
 * we last saw, the shared state "in flight to us" with that generation,
 * then (after invalidating the bytes) the CRC if flagged.  On success the
 * buffer is ours until hipc_bufpool_release().  On failure nothing in the
 * buffer is read or written (the CRC check aside) and the reason counted.
 * @retval >=0 the buffer's index; @rx filled in
 * @retval -HIPC_EBADMSG malformed reference, CRC mismatch
 * @retval -HIPC_ERANGE index or range outside the pool
 * @retval -HIPC_EPROTO not the peer's buffer to send, already ours, or the
 *         shared state word disagrees
 * @retval -HIPC_ESTALE not a newer generation
 */
HIPC_API int hipc_bufpool_receive(struct hipc_bufpool *pool, const void *msg,
				  size_t len, struct hipc_bufpool_rx *rx);

/**
 * hipc_bufpool_release() - give a received buffer back to its home side
 * (state "in flight to" it; its next alloc makes it FREE).  Whatever we
 * wrote into it is cleaned from our cache first.
 * @retval 0
 * @retval -HIPC_EINVAL we do not hold it (never received, released twice)
 * @retval -HIPC_ERANGE index out of range
 * @retval -HIPC_ESTALE @generation is not the one we received
 */
HIPC_API int hipc_bufpool_release(struct hipc_bufpool *pool, uint32_t index,
				  uint32_t generation);

/**
 * hipc_bufpool_reclaim_remote() - host, after the remote crashed or was
 * stopped: every host buffer the remote holds or that is in flight either
 * way becomes FREE, and every remote buffer the host does not hold is set
 * FREE for the remote's next instance (which attaches again).  Buffers the
 * host holds stay valid until it releases them.
 * @retval >=0 the number of buffers set FREE
 * @retval -HIPC_EINVAL not the host
 */
HIPC_API int hipc_bufpool_reclaim_remote(struct hipc_bufpool *pool);

/* A pool's geometry (hipc_bufpool_get_geometry()). */
struct hipc_bufpool_geometry {
	/* public: all of it */
	uint32_t pool_id;
	uint32_t count;
	uint32_t host_count; /* buffers [0, host_count) are the host's */
	uint32_t buf_size;
};

/** hipc_bufpool_get_geometry() - what the pool was set up with.
 * @retval 0, -HIPC_EINVAL */
HIPC_API int hipc_bufpool_get_geometry(const struct hipc_bufpool *pool,
				       struct hipc_bufpool_geometry *g);

/** hipc_bufpool_get_stats() - copy the counters.  @retval 0, -HIPC_EINVAL */
HIPC_API int hipc_bufpool_get_stats(const struct hipc_bufpool *pool,
				    struct hipc_bufpool_stats *out);

/**
 * hipc_crc32c() - CRC32C (Castagnoli, reflected, polynomial 0x82F63B78),
 * chainable: start with 0, feed the previous result to continue.
 * "123456789" gives 0xE3069283.
 * Context: any; pure.
 */
HIPC_API uint32_t hipc_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
