/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big buffers from any process, through hipcd (docs/bigbuf.md, "Through
 * hipcd"): a client names a service and a pool of a remote, receives the
 * pools' memfd and maps it, then fills and reads buffers in place while
 * hipcd keeps the books: it lends buffers to the client, checks every
 * request against what it lent to that very client, and sends and
 * receives the references on an rpmsg endpoint of the connection's own.
 *
 *   hipc_bbc_open(&c, NULL, "m4", "hipc-sdb", "sdb-1m");
 *   i = hipc_bbc_alloc(c, &p, &gen);               fill p[0..n)
 *   hipc_bbc_send(c, i, gen, 0, n, HIPC_BUFPOOL_F_CRC);
 *   loop:
 *     while (hipc_bbc_next(c, &ev) > 0)
 *           HIPC_BBC_EV_RX: use ev.data, ev.length, then
 *                   hipc_bbc_release(c, ev.index, ev.generation, n);
 *           HIPC_BBC_EV_RET: our buffer ev.index came back
 *           HIPC_BBC_EV_MSG: the service's own message
 *     ... then poll hipc_bbc_fd(c) ...
 *
 * Events that arrive while a call waits for its answer are kept by the
 * library, off the socket: after any call, take them with hipc_bbc_next()
 * (until -HIPC_EAGAIN) before polling the descriptor, or a poll may sleep
 * with an event already here.
 *
 * Below the calls: the protocol hipcd speaks on RUN_DIR/REMOTE/bigbuf, for
 * clients in other languages.
 */
#ifndef HIPC_BIGBUF_CLIENT_H
#define HIPC_BIGBUF_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "hipc/bufpool.h"
#include "hipc/export.h"

/* --- the protocol ------------------------------------------------------------ */

/*
 * RUN_DIR/REMOTE/bigbuf is a SOCK_SEQPACKET socket, there while the remote
 * has pools (from its first start on).  Host byte order (both ends on one
 * machine).  Every request is one struct hipc_bbc_msg (exactly its size)
 * but HIPC_BBC_MSG, which is the 8-byte head of one (op, seq) followed by
 * the service's payload.  Every request is answered by one
 * HIPC_BBC_EV_REPLY with the request's seq and a status (0 or -errno);
 * between a request and its reply the daemon may send events.
 *
 * OPEN must come first: @service (announced by the remote, up) and @pool
 * (a name from the firmware's table).  Its reply carries the geometry and,
 * as SCM_RIGHTS, the pools' memfd: map [0, region_size) MAP_SHARED; buffer
 * i is at data_off + i * buf_size.  The memfd holds every pool of the
 * remote: what a client may touch is decided by what hipcd lent it.
 *
 * Buffers [0, host_count) are the host's: ALLOC lends one (index,
 * generation), SEND hands [offset, offset + length) of it to the remote
 * (HIPC_BUFPOOL_F_CRC in flags: with its CRC32C), FREE gives it back
 * unsent.  Once sent it is not the client's any more; EV_RET says it came
 * back (length: bytes the remote consumed; status: its verdict).  The
 * others are the remote's: EV_RX lends one (index, generation, offset,
 * length), RELEASE gives it back (length: bytes consumed).
 */
#define HIPC_BBC_OPEN 1u    /* service, pool */
#define HIPC_BBC_ALLOC 2u   /* reply: index, generation */
#define HIPC_BBC_SEND 3u    /* index, generation, offset, length, flags */
#define HIPC_BBC_FREE 4u    /* index, generation */
#define HIPC_BBC_RELEASE 5u /* index, generation, length (consumed) */
#define HIPC_BBC_MSG 6u     /* 8-byte head, then the service's payload */
#define HIPC_BBC_STATS 7u   /* reply: struct hipc_bbc_stats after the msg */

/* EV_RET's flags: the buffer came back to the pool before the remote's
 * return notice did, twice (notices are advisory; a remote may drop one
 * when out of rpmsg buffers): length and status unknown, 0. */
#define HIPC_BBC_RET_UNNOTICED 0x1u

/* Or'ed into the op of SEND, FREE, RELEASE or MSG: no reply on success,
 * so a client may pipeline them; a refusal is still answered (its seq, its
 * index, its status), whenever it comes.  Anything else asked so is
 * refused. */
#define HIPC_BBC_NOREPLY 0x80000000u

/* From the daemon (op). */
#define HIPC_BBC_EV_REPLY 0x100u /* seq, status; OPEN: the geometry */
#define HIPC_BBC_EV_RX 0x101u    /* a remote buffer lent to the client */
#define HIPC_BBC_EV_RET 0x102u   /* a host buffer the client sent is back */
#define HIPC_BBC_EV_MSG 0x103u   /* 8-byte head (op, 0), then the message */

struct hipc_bbc_msg {
	uint32_t op;          /* HIPC_BBC_* or HIPC_BBC_EV_* */
	int32_t status;       /* replies, EV_RET: 0 or -errno; requests: 0 */
	uint32_t seq;         /* requests: any; the reply echoes it */
	uint32_t index;
	uint32_t generation;
	uint32_t offset;
	uint32_t length;
	uint32_t flags;       /* SEND: HIPC_BUFPOOL_F_*; else 0 */
	/* OPEN's reply */
	uint64_t data_off;    /* buffer 0 in the memfd */
	uint64_t region_size; /* bytes to map */
	uint32_t pool_id;
	uint32_t count;
	uint32_t host_count;
	uint32_t buf_size;
	uint32_t max_payload; /* largest HIPC_BBC_MSG payload */
	uint32_t reserved;    /* 0 */
	/* OPEN */
	char service[32];     /* NUL-terminated */
	char pool[32];        /* NUL-terminated */
};
_Static_assert(sizeof(struct hipc_bbc_msg) == 136, "bigbuf client message");

#define HIPC_BBC_HEAD 8u /* bytes before a HIPC_BBC_MSG payload */

/* What hipcd counted for one connection (HIPC_BBC_STATS; hipcctl stats
 * shows the same per connection and summed per remote). */
struct hipc_bbc_stats {
	uint64_t requests;
	uint64_t allocs;
	uint64_t sent;          /* references sent to the remote */
	uint64_t sent_bytes;
	uint64_t received;      /* references from the remote, lent */
	uint64_t received_bytes;
	uint64_t released;
	uint64_t returned;      /* return notices passed on */
	uint64_t msgs_out;      /* service messages to the remote */
	uint64_t msgs_in;       /* ... from it */
	/* requests refused, by reason (the buffer untouched every time) */
	uint64_t refused_bad;   /* malformed: size, op, flags, not open */
	uint64_t refused_range; /* index outside the pool, range past the
				 * buffer */
	uint64_t refused_owner; /* not lent to this client (another's,
				 * never lent, already sent or released) */
	uint64_t refused_stale; /* generation */
	uint64_t refused_other; /* no such pool or service, the remote
				 * down, message size */
	uint64_t alloc_empty;   /* ALLOCs answered EAGAIN (none free) */
	uint64_t alloc_quota;   /* ALLOCs answered EDQUOT (the connection
				 * held bigbuf_quota buffers already) */
};

/* --- the calls ------------------------------------------------------------- */

struct hipc_bbc;

/* What the open connection is. */
struct hipc_bbc_info {
	uint32_t pool_id;
	uint32_t count;
	uint32_t host_count; /* buffers [0, host_count) are the host's */
	uint32_t buf_size;
	uint32_t max_payload;
	uint8_t *base;       /* the pools mapped */
	uint64_t region_size;
};

/* An event (hipc_bbc_next()). */
struct hipc_bbc_event {
	uint32_t type;       /* HIPC_BBC_EV_RX, _RET, _MSG, or _REPLY: a
			      * *_nowait() request refused (status, index) */
	int32_t status;      /* EV_RET: the remote's verdict (0, -errno) */
	uint32_t index;
	uint32_t generation;
	uint32_t length;     /* RX: bytes; RET: consumed; MSG: bytes */
	uint32_t flags;      /* RET: HIPC_BBC_RET_UNNOTICED */
	void *data;          /* RX: the bytes, in the mapping, until
			      * released; MSG: until the next call */
};

/**
 * hipc_bbc_open() - connect to @pool of @remote's @service through hipcd.
 * @run_dir: hipcd's run directory, NULL for HIPC_RUN_DIR or the default.
 * @retval 0 *@out set
 * @retval -HIPC_ENOENT no such remote, pool or service
 * @retval -HIPC_ENOTCONN the remote is not up
 * @retval -HIPC_ECONNRESET hipcd let go of the connection: the remote went
 *         down meanwhile, or hipcd serves as many connections to it as it
 *         takes (64)
 * @retval -HIPC_ECONNREFUSED hipcd does not listen there
 * @retval -HIPC_EINVAL, -HIPC_ENAMETOOLONG, -HIPC_ENOMEM, -HIPC_EPROTO
 *         (the daemon's answer is not one), or what the daemon refused
 * Context: blocks for the daemon's answer.  One thread per connection.
 */
HIPC_API int hipc_bbc_open(struct hipc_bbc **out, const char *run_dir,
			   const char *remote, const char *service,
			   const char *pool);

/** hipc_bbc_close() - unmap and disconnect: hipcd takes back whatever was
 * lent (allocated buffers freed, received ones released). */
HIPC_API void hipc_bbc_close(struct hipc_bbc *c);

/** hipc_bbc_fd() - poll it for POLLIN: an event may be waiting (call
 * hipc_bbc_next() until it returns -HIPC_EAGAIN).  Poll only once
 * hipc_bbc_next() said -HIPC_EAGAIN since the last other call: what a call
 * took off the socket while waiting for its answer is not seen by poll. */
HIPC_API int hipc_bbc_fd(const struct hipc_bbc *c);

/** hipc_bbc_get_info() - the geometry and the mapping. */
HIPC_API void hipc_bbc_get_info(const struct hipc_bbc *c,
				struct hipc_bbc_info *info);

/**
 * hipc_bbc_alloc() - a host buffer lent to us (buf_size bytes at *@data).
 * @retval >=0 its index, *@generation set
 * @retval -HIPC_EAGAIN none free (one comes back with an EV_RET)
 * @retval -HIPC_EDQUOT we hold the remote's bigbuf_quota of this pool's
 *         buffers already (allocated, or received and not released):
 *         send, free or release one first
 * @retval -HIPC_ECONNRESET the remote or its service went away
 */
HIPC_API int hipc_bbc_alloc(struct hipc_bbc *c, void **data,
			    uint32_t *generation);

/**
 * hipc_bbc_send() - send [@offset, @offset + @length) of a buffer we
 * allocated (with its CRC32C if @flags has HIPC_BUFPOOL_F_CRC).  Not ours
 * any more once it returns 0.  Blocks while the remote has no free rpmsg
 * buffer (hipcd stops reading the connection until one is free).
 * @retval 0, -HIPC_EINVAL, -HIPC_ERANGE, -HIPC_EPERM (not lent to us),
 *         -HIPC_ESTALE, -HIPC_ECONNRESET
 */
HIPC_API int hipc_bbc_send(struct hipc_bbc *c, uint32_t index,
			   uint32_t generation, uint32_t offset,
			   uint32_t length, uint32_t flags);

/**
 * hipc_bbc_send_nowait(), hipc_bbc_release_nowait() - the same, without
 * waiting for the daemon: the request is on its way when they return 0
 * (they block only while the daemon does not read, its flow control).  A
 * refusal comes later as an HIPC_BBC_EV_REPLY event (status, index);
 * a well-behaved client gets none.  The way to move many small buffers.
 * While the connection's socket is full (the daemon stops reading a client
 * whose answers it has to queue, or while it waits for a tx buffer), these
 * take what the daemon sends into the event queue (see hipc_bbc_next())
 * and wait for room; with O_NONBLOCK set on hipc_bbc_fd() they return
 * -HIPC_EAGAIN instead (nothing sent).  Calls that ask something wait for
 * their answer whatever the descriptor's flags.
 * @retval 0, -HIPC_EAGAIN (O_NONBLOCK only), -HIPC_ECONNRESET, or a
 *         transport error
 */
HIPC_API int hipc_bbc_send_nowait(struct hipc_bbc *c, uint32_t index,
				  uint32_t generation, uint32_t offset,
				  uint32_t length, uint32_t flags);
HIPC_API int hipc_bbc_release_nowait(struct hipc_bbc *c, uint32_t index,
				     uint32_t generation, uint32_t consumed);

/** hipc_bbc_free() - give back a buffer allocated and not sent.
 * @retval 0, or as hipc_bbc_send() */
HIPC_API int hipc_bbc_free(struct hipc_bbc *c, uint32_t index,
			   uint32_t generation);

/**
 * hipc_bbc_next() - the next event, never waiting.
 * @retval 1 *@ev set
 * @retval -HIPC_EAGAIN nothing now
 * @retval -HIPC_ECONNRESET the remote or its service went away: close and
 *         open again once it is back (what was lent is taken back)
 * @retval -HIPC_EPROTO an event that is not one (the daemon's bytes are
 *         checked like any peer's); the next call goes on with the next
 * @retval -HIPC_ENOMEM no memory to keep the event in
 */
HIPC_API int hipc_bbc_next(struct hipc_bbc *c, struct hipc_bbc_event *ev);

/** hipc_bbc_release() - give back a buffer an EV_RX lent us, @consumed
 * bytes of it used.  @retval 0, or as hipc_bbc_send() */
HIPC_API int hipc_bbc_release(struct hipc_bbc *c, uint32_t index,
			      uint32_t generation, uint32_t consumed);

/** hipc_bbc_send_msg() - a message of the service's own (at most
 * max_payload bytes).  @retval 0, -HIPC_EMSGSIZE, -HIPC_ECONNRESET */
HIPC_API int hipc_bbc_send_msg(struct hipc_bbc *c, const void *data,
			       size_t len);

/** hipc_bbc_get_stats() - what hipcd counted for this connection.
 * @retval 0, -HIPC_ECONNRESET */
HIPC_API int hipc_bbc_get_stats(struct hipc_bbc *c,
				struct hipc_bbc_stats *st);

#endif
