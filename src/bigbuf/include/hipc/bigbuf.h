/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big buffers for an application on the host (Linux only): one pool of one
 * remote (hipc_rproc_pool()) bound to one rpmsg endpoint.  Allocate a
 * buffer, fill it in place, send a 32-byte reference; receive references
 * the remote sent, checked by the core against the host's own view, as
 * pointers into the shared buffer (no copy); release them.  One eventfd
 * tells an epoll loop that a buffer arrived or one of ours came back.
 *
 * On the endpoint travel references (struct hipc_bufpool_ref, 32 bytes),
 * return notices (struct hipc_bufpool_ret, 24 bytes) and anything else
 * the service defines (handed to config.on_msg).
 *
 *   hipc_bigbuf_open(&bb, &cfg);              pool by name
 *   hipc_bigbuf_connect(bb, addr);            when the service is announced
 *   i = hipc_bigbuf_alloc(bb, &p);            fill p[0..n)
 *   hipc_bigbuf_send(bb, i, 0, n, HIPC_BUFPOOL_F_CRC);
 *   ... epoll on hipc_rproc_fd() and hipc_bigbuf_fd() ...
 *   while (hipc_bigbuf_recv(bb, &rx) >= 0) {
 *           use rx.data, rx.len;
 *           hipc_bigbuf_release(bb, rx.index, rx.generation);
 *   }
 *
 * Threads: every call on one bigbuf from the thread that runs the remote's
 * hipc_rproc_process() (its endpoint callback runs there); the pool itself
 * is thread-safe (hipc/bufpool.h) for other users.
 *
 * Crash: the remote's buffers that the host holds stay valid until
 * released; everything else is reclaimed by the rproc
 * (hipc_rproc_info.pool_reclaimed).  The endpoint is unbound (the fd turns
 * readable, hipc_bigbuf_connected() false); connect again when the
 * restarted remote announces its service.
 */
#ifndef HIPC_BIGBUF_H
#define HIPC_BIGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hipc/bufpool.h"
#include "hipc/export.h"
#include "hipc/rproc.h"

struct hipc_bigbuf;

struct hipc_bigbuf_config {
	struct hipc_rproc *rp;
	const char *pool;          /* as the firmware's table names it */
	/* messages on the endpoint that are neither references nor return
	 * notices: the service's own requests and answers.  May be NULL. */
	void (*on_msg)(struct hipc_bigbuf *bb, const void *data, size_t len,
		       void *priv);
	void *priv;
	unsigned send_timeout_ms;  /* waiting for an rpmsg tx buffer (0: none) */
};

struct hipc_bigbuf_stats {
	uint64_t sent;           /* references sent */
	uint64_t sent_bytes;
	uint64_t received;       /* references accepted */
	uint64_t received_bytes;
	uint64_t released;
	uint64_t returned;       /* return notices for our buffers, status 0 */
	uint64_t returned_bytes; /* ... and the bytes they say were consumed */
	uint32_t refused;        /* references the pool refused (the reason:
				  * hipc_bufpool_get_stats()) */
	uint32_t ret_errors;     /* return notices with a nonzero status */
	uint32_t ret_bad;        /* return notices naming no buffer of ours */
	uint32_t other;          /* messages for on_msg */
};

/**
 * hipc_bigbuf_open() - bind to @cfg->pool of @cfg->rp (started once, so
 * its pools exist) and create the eventfd.
 * @retval 0 *@out set
 * @retval -HIPC_ENOENT no such pool
 * @retval -HIPC_EINVAL, -HIPC_ENOMEM, or an eventfd failure
 * Context: the rproc's thread.
 */
HIPC_API int hipc_bigbuf_open(struct hipc_bigbuf **out,
			      const struct hipc_bigbuf_config *cfg);

/** hipc_bigbuf_close() - destroy the endpoint, close the fd.  References
 * received and not taken by hipc_bigbuf_recv() go back to the remote;
 * buffers taken and not released stay as they are (the pool belongs to
 * the rproc).  Before hipc_rproc_free() of its rproc. */
HIPC_API void hipc_bigbuf_close(struct hipc_bigbuf *bb);

/**
 * hipc_bigbuf_connect() - create the endpoint on the remote's rpmsg device
 * with @dst (the service's address, from its announcement) as destination.
 * @retval 0
 * @retval -HIPC_EBUSY already connected
 * @retval -HIPC_ENOTCONN the remote is not running
 * or an error of hipc_rpmsg_ept_create()
 */
HIPC_API int hipc_bigbuf_connect(struct hipc_bigbuf *bb, uint32_t dst);

/** hipc_bigbuf_connected() - the endpoint exists and is bound. */
HIPC_API bool hipc_bigbuf_connected(const struct hipc_bigbuf *bb);

/** hipc_bigbuf_pool() - the pool, for hipc_bufpool_*() calls. */
HIPC_API struct hipc_bufpool *hipc_bigbuf_pool(struct hipc_bigbuf *bb);

/** hipc_bigbuf_buf_size() - bytes in each buffer of the pool. */
HIPC_API uint32_t hipc_bigbuf_buf_size(const struct hipc_bigbuf *bb);

/**
 * hipc_bigbuf_alloc() - one of the host's buffers, ours to fill (its
 * bytes at *@data, hipc_bigbuf_buf_size() of them).
 * @retval >=0 the buffer's index
 * @retval -HIPC_EAGAIN none free (they come back as the remote releases
 *         them: the fd turns readable on the return notice)
 */
HIPC_API int hipc_bigbuf_alloc(struct hipc_bigbuf *bb, void **data);

/** hipc_bigbuf_free() - give back an allocated buffer not sent.
 * @retval 0, -HIPC_EINVAL */
HIPC_API int hipc_bigbuf_free(struct hipc_bigbuf *bb, uint32_t index);

/**
 * hipc_bigbuf_send() - send bytes [@offset, @offset + @length) of an
 * allocated buffer: a reference over the endpoint (with their CRC32C if
 * @flags has HIPC_BUFPOOL_F_CRC).  The buffer is the remote's from then
 * on.  When no rpmsg buffer is free within send_timeout_ms nothing is
 * sent and the buffer is still ours.
 * @retval 0
 * @retval -HIPC_ENOTCONN not connected
 * @retval -HIPC_EAGAIN, -HIPC_ETIMEDOUT no rpmsg buffer: try again
 * @retval -HIPC_EINVAL, -HIPC_ERANGE as hipc_bufpool_send()
 * @retval -HIPC_EIO the device broke (the reference may be lost; the
 *         rproc's recovery reclaims the buffer)
 */
HIPC_API int hipc_bigbuf_send(struct hipc_bigbuf *bb, uint32_t index,
			      uint32_t offset, uint32_t length,
			      uint32_t flags);

/**
 * hipc_bigbuf_recv() - the next buffer the remote sent, already checked
 * (hipc_bufpool_receive()); ours until hipc_bigbuf_release().
 * @retval >=0 its index; @rx filled
 * @retval -HIPC_EAGAIN nothing queued (the fd is cleared then)
 */
HIPC_API int hipc_bigbuf_recv(struct hipc_bigbuf *bb,
			      struct hipc_bufpool_rx *rx);

/**
 * hipc_bigbuf_release() - give a received buffer back to the remote and,
 * if connected, tell it with a return notice of @consumed bytes (best
 * effort: the shared state word is what counts).
 * @retval 0, or an error of hipc_bufpool_release() (nothing done)
 */
HIPC_API int hipc_bigbuf_release(struct hipc_bigbuf *bb, uint32_t index,
				 uint32_t generation, uint32_t consumed);

/**
 * hipc_bigbuf_send_msg() - a message of the service's own on the endpoint.
 * @retval @len, or an error of hipc_rpmsg_send_ex(); -HIPC_ENOTCONN
 */
HIPC_API int hipc_bigbuf_send_msg(struct hipc_bigbuf *bb, const void *data,
				  size_t len);

/**
 * hipc_bigbuf_fd() - an eventfd for epoll: readable when a reference
 * arrived, a return notice came, another message was handed to on_msg,
 * or the endpoint was unbound.  hipc_bigbuf_recv() returning -HIPC_EAGAIN
 * clears it.
 */
HIPC_API int hipc_bigbuf_fd(const struct hipc_bigbuf *bb);

/** hipc_bigbuf_get_stats() - copy the counters.  @retval 0, -HIPC_EINVAL */
HIPC_API int hipc_bigbuf_get_stats(const struct hipc_bigbuf *bb,
				   struct hipc_bigbuf_stats *out);

#endif
