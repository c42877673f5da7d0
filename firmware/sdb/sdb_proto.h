/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "hipc-sdb" service of firmware/sdb: big-buffer consumer and
 * producer, the data-acquisition shape (docs/bigbuf.md).  Shared by the
 * firmware, tests/bigbuf and bench/bigbuf.  Little-endian on the wire.
 *
 * On the service's endpoint travel, besides references and return notices
 * (hipc/bufpool.h), commands from the host (struct sdb_cmd) and reports
 * from the remote (struct sdb_report), each told apart by its size and
 * first word.
 */
#ifndef HIPC_SDB_PROTO_H
#define HIPC_SDB_PROTO_H

#include <stdint.h>

#define SDB_SERVICE "hipc-sdb"

/* The pools the firmware declares: ids and geometry. */
#define SDB_POOL_SMALL 1u  /* "sdb-4k":  4 KiB x 64 */
#define SDB_POOL_64K 2u    /* "sdb-64k": 64 KiB x 32 */
#define SDB_POOL_1M 3u     /* "sdb-1m":  1 MiB x 16 */
#define SDB_POOL_32M 4u    /* "sdb-32m": 32 MiB x 4 */
#define SDB_POOL_64M 5u    /* "sdb-64m": 64 MiB x 4 */

#define SDB_CMD_MAGIC 0x43424453u    /* "SDBC" */
#define SDB_REPORT_MAGIC 0x53424453u /* "SDBS" */
#define SDB_FLOOD_MAGIC 0x46424453u  /* "SDBF" */

enum sdb_op {
	SDB_OP_PRODUCE = 1, /* fill @count buffers of @size from pool
			     * @pool_id at @rate per second (0: as fast as
			     * the host gives them back), send each */
	SDB_OP_STOP = 2,    /* stop producing; report */
	SDB_OP_STATS = 3,   /* report, counters kept */
	SDB_OP_HOSTILE = 4, /* misbehave once: case @size (SDB_BAD_*) */
	SDB_OP_HOLD = 5,    /* take spinlock @size, and keep every buffer
			     * received from now on (to be killed so) */
	SDB_OP_FLOOD = 6,   /* send the asker @count service messages of
			     * @size bytes (struct sdb_flood), as fast as
			     * the host takes them (0: until STOP) */
	SDB_OP_REANNOUNCE = 7, /* withdraw the service, then announce it
				* again at a new address (no report) */
};

/* Hostile cases: what a broken or malicious remote might send. */
enum sdb_bad {
	SDB_BAD_RANGE = 1,    /* an index outside the pool */
	SDB_BAD_LENGTH = 2,   /* offset + length past the buffer's end */
	SDB_BAD_OWNER = 3,    /* one of the host's own buffers */
	SDB_BAD_STALE = 4,    /* the last reference sent, again */
	SDB_BAD_NEVER = 5,    /* a buffer of ours never handed over */
	SDB_BAD_POOL = 6,     /* a pool id that is not this pool's */
	SDB_BAD_DOUBLE = 7,   /* the last return notice, again */
	SDB_BAD_UNSENT = 8,   /* a return notice for a buffer never sent */
	/* arm the notice for the next buffer received to lie about: */
	SDB_BAD_RET_POOL = 9,    /* its pool id */
	SDB_BAD_RET_INDEX = 10,  /* its index (one outside the host's part) */
	SDB_BAD_RET_LENGTH = 11, /* its length (over the buffer size) */
	SDB_BAD_RET_STATUS = 12, /* its status (an error, the buffer freed) */
};

#define SDB_F_CRC 0x1u /* produced references carry the CRC32C */

struct sdb_cmd {
	uint32_t magic;   /* SDB_CMD_MAGIC */
	uint32_t op;      /* enum sdb_op */
	uint32_t pool_id;
	uint32_t size;    /* bytes per buffer; hostile case; lock id */
	uint64_t count;   /* buffers to produce (0: until STOP) */
	uint32_t rate;    /* buffers per second (0: unpaced) */
	uint32_t flags;   /* SDB_F_* */
} __attribute__((packed));

struct sdb_report {
	uint32_t magic;   /* SDB_REPORT_MAGIC */
	uint32_t op;      /* what it answers; SDB_OP_PRODUCE: production done */
	int32_t status;   /* 0, or -HIPC_E* why the command failed */
	uint32_t refused; /* references the remote refused */
	uint64_t consumed;
	uint64_t consumed_bytes;
	uint64_t produced;
	uint64_t produced_bytes;
} __attribute__((packed));

/* A message of a flood: this head, then the pattern of sdb_word(seq, i)
 * over the rest of its @size bytes, so a message torn, shifted or
 * another's is told apart. */
struct sdb_flood {
	uint32_t magic;   /* SDB_FLOOD_MAGIC */
	uint32_t size;    /* the whole message's */
	uint64_t seq;     /* 0, 1, ... per flood */
} __attribute__((packed));

_Static_assert(sizeof(struct sdb_cmd) == 32, "sdb command");
_Static_assert(sizeof(struct sdb_report) == 48, "sdb report");
_Static_assert(sizeof(struct sdb_flood) == 16, "sdb flood head");

/* The pattern a produced buffer carries: its sequence number mixed into
 * each 64-bit word, so a buffer seen twice or shifted is told apart. */
static inline uint64_t sdb_word(uint64_t seq, uint64_t i)
{
	return (seq * 0x9E3779B97F4A7C15ull) ^ i;
}

#endif
