/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big buffers for a host application: a pool of an rproc bound to one
 * endpoint (hipc/bigbuf.h).  References are checked by the core at
 * arrival, inside the endpoint callback, and queued; the queue holds at
 * most one entry per buffer (a buffer the host holds cannot be received
 * again), so it never overflows.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hipc/bigbuf.h"
#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/rpmsg.h"
#include "port_linux_internal.h"

struct hipc_bigbuf {
	struct hipc_bigbuf_config cfg;
	struct hipc_bufpool *pool;
	struct hipc_bufpool_geometry geo;
	struct hipc_rpmsg_ept ept;
	bool connected;
	int efd;
	/* received, not yet handed out: a ring of geo.count entries */
	struct hipc_bufpool_rx *q;
	uint32_t qhead, qlen;
	/* the host's buffers: the generation each was last sent with, and
	 * the newest one a return notice named (one notice per send; a
	 * notice may come after the buffer was taken back and sent again,
	 * the remote releasing before it tells) */
	uint32_t *sent_gen;
	uint32_t *ret_gen;
	struct hipc_bigbuf_stats st;
};

static void kick(struct hipc_bigbuf *bb)
{
	uint64_t one = 1;

	/* A counter at its maximum is still readable: nothing lost. */
	if (write(bb->efd, &one, sizeof(one)) < 0)
		return;
}

static void on_ret(struct hipc_bigbuf *bb, const uint8_t *m)
{
	uint32_t id = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ret,
						pool_id));
	uint32_t idx = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ret,
						 index));
	uint32_t n = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ret,
					       length));
	int32_t status = (int32_t)hipc_get_le32(
		HIPC_CFIELD(m, struct hipc_bufpool_ret, status));

	uint32_t gen = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ret,
						 generation));

	/* Advisory, from an untrusted peer: only counted, never acted on
	 * beyond waking the application (the next alloc reads the state
	 * word the remote wrote, and checks the generation there).  A
	 * notice for a generation not sent yet, or one noticed already (a
	 * double release), is counted as bad: serial-number order, as the
	 * pool's own. */
	if (id != bb->geo.pool_id || idx >= bb->geo.host_count ||
	    n > bb->geo.buf_size ||
	    (int32_t)(gen - bb->ret_gen[idx]) <= 0 ||
	    (int32_t)(gen - bb->sent_gen[idx]) > 0) {
		bb->st.ret_bad++;
		return;
	}
	bb->ret_gen[idx] = gen;
	if (status) {
		bb->st.ret_errors++;
	} else {
		bb->st.returned++;
		bb->st.returned_bytes += n;
	}
	kick(bb);
}

static int on_rx(struct hipc_rpmsg_ept *ept, void *data, size_t len,
		 uint32_t src, void *priv)
{
	struct hipc_bigbuf *bb = priv;
	const uint8_t *m = data;
	struct hipc_bufpool_rx rx;
	int ret;

	(void)ept;
	(void)src;
	if (len == sizeof(struct hipc_bufpool_ref) &&
	    hipc_get_le16(m) == HIPC_BUFPOOL_REF_MAGIC) {
		ret = hipc_bufpool_receive(bb->pool, data, len, &rx);
		if (ret < 0) {
			bb->st.refused++;
			return 0;
		}
		/* Cannot be full: each queued buffer is one the host holds,
		 * and a held buffer is refused before it gets here. */
		bb->q[(bb->qhead + bb->qlen) % bb->geo.count] = rx;
		bb->qlen++;
		bb->st.received++;
		bb->st.received_bytes += rx.len;
		kick(bb);
		return 0;
	}
	if (len == sizeof(struct hipc_bufpool_ret) &&
	    hipc_get_le16(m) == HIPC_BUFPOOL_RET_MAGIC) {
		on_ret(bb, m);
		return 0;
	}
	bb->st.other++;
	if (bb->cfg.on_msg)
		bb->cfg.on_msg(bb, data, len, bb->cfg.priv);
	kick(bb);
	return 0;
}

static void on_unbind(struct hipc_rpmsg_ept *ept)
{
	struct hipc_bigbuf *bb = ept->priv;

	bb->connected = false;
	kick(bb);
}

int hipc_bigbuf_open(struct hipc_bigbuf **out,
		     const struct hipc_bigbuf_config *cfg)
{
	struct hipc_bigbuf *bb;
	int ret;

	if (!out || !cfg || !cfg->rp || !cfg->pool)
		return -HIPC_EINVAL;
	bb = calloc(1, sizeof(*bb));
	if (!bb)
		return -HIPC_ENOMEM;
	bb->cfg = *cfg;
	bb->cfg.pool = NULL; /* not kept: the caller's string */
	bb->efd = -1;
	ret = hipc_rproc_pool(cfg->rp, cfg->pool, &bb->pool);
	if (ret < 0)
		goto free_bb;
	hipc_bufpool_get_geometry(bb->pool, &bb->geo);
	bb->q = calloc(bb->geo.count, sizeof(*bb->q));
	bb->sent_gen = calloc(bb->geo.host_count + 1u, sizeof(*bb->sent_gen));
	bb->ret_gen = calloc(bb->geo.host_count + 1u, sizeof(*bb->ret_gen));
	if (!bb->q || !bb->sent_gen || !bb->ret_gen) {
		ret = -HIPC_ENOMEM;
		goto free_q;
	}
	bb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bb->efd < 0) {
		ret = hipc__from_errno(errno);
		goto free_q;
	}
	*out = bb;
	return 0;
free_q:
	/* all three, whichever were allocated */
	free(bb->q);
	free(bb->sent_gen);
	free(bb->ret_gen);
free_bb:
	free(bb);
	return ret;
}

void hipc_bigbuf_close(struct hipc_bigbuf *bb)
{
	struct hipc_bufpool_rx rx;

	if (!bb)
		return;
	/* What was received and never taken by hipc_bigbuf_recv() is the
	 * remote's again: held by nobody once we are gone, it would stay
	 * the host's, at this and every later instance of the remote.  No
	 * return notice (a send could wait): the remote finds them at its
	 * next allocation. */
	while (hipc_bigbuf_recv(bb, &rx) >= 0)
		(void)hipc_bufpool_release(bb->pool, rx.index, rx.generation);
	if (bb->ept.dev)
		hipc_rpmsg_ept_destroy(&bb->ept);
	close(bb->efd);
	free(bb->q);
	free(bb->sent_gen);
	free(bb->ret_gen);
	free(bb);
}

int hipc_bigbuf_connect(struct hipc_bigbuf *bb, uint32_t dst)
{
	struct hipc_rpmsg_dev *dev = hipc_rproc_rpmsg(bb->cfg.rp);
	int ret;

	if (bb->connected)
		return -HIPC_EBUSY;
	if (!dev)
		return -HIPC_ENOTCONN;
	memset(&bb->ept, 0, sizeof(bb->ept));
	ret = hipc_rpmsg_ept_create(&bb->ept, dev, NULL, HIPC_RPMSG_ADDR_ANY,
				    dst, on_rx, bb);
	if (ret)
		return ret;
	bb->ept.unbind = on_unbind;
	bb->connected = true;
	return 0;
}

bool hipc_bigbuf_connected(const struct hipc_bigbuf *bb)
{
	return bb->connected;
}

struct hipc_bufpool *hipc_bigbuf_pool(struct hipc_bigbuf *bb)
{
	return bb->pool;
}

uint32_t hipc_bigbuf_buf_size(const struct hipc_bigbuf *bb)
{
	return bb->geo.buf_size;
}

int hipc_bigbuf_alloc(struct hipc_bigbuf *bb, void **data)
{
	return hipc_bufpool_alloc(bb->pool, data);
}

int hipc_bigbuf_free(struct hipc_bigbuf *bb, uint32_t index)
{
	return hipc_bufpool_free(bb->pool, index);
}

int hipc_bigbuf_send(struct hipc_bigbuf *bb, uint32_t index, uint32_t offset,
		     uint32_t length, uint32_t flags)
{
	struct hipc_bufpool_ref ref;
	uint32_t max;
	void *tx;
	int ret;

	if (!bb->connected)
		return -HIPC_ENOTCONN;
	/* The rpmsg buffer first: once the pool has handed the buffer over
	 * there is no taking it back, so nothing may fail after that but
	 * a broken device (whose recovery reclaims it). */
	ret = hipc_rpmsg_get_tx_buffer(bb->ept.dev, &tx, &max,
				       bb->cfg.send_timeout_ms);
	if (ret)
		return ret;
	ret = hipc_bufpool_send(bb->pool, index, offset, length, flags, &ref);
	if (ret) {
		hipc_rpmsg_release_tx(bb->ept.dev, tx);
		return ret;
	}
	memcpy(tx, &ref, sizeof(ref));
	ret = hipc_rpmsg_send_nocopy(&bb->ept, HIPC_RPMSG_ADDR_ANY, tx,
				     sizeof(ref));
	if (ret < 0)
		return ret;
	bb->sent_gen[index] = hipc_get_le32(&ref.generation);
	bb->st.sent++;
	bb->st.sent_bytes += length;
	return 0;
}

int hipc_bigbuf_recv(struct hipc_bigbuf *bb, struct hipc_bufpool_rx *rx)
{
	uint64_t v;

	if (!bb->qlen) {
		/* Nothing left: clear the fd, so the loop sleeps. */
		while (read(bb->efd, &v, sizeof(v)) < 0 && errno == EINTR)
			;
		return -HIPC_EAGAIN;
	}
	*rx = bb->q[bb->qhead];
	bb->qhead = (bb->qhead + 1u) % bb->geo.count;
	bb->qlen--;
	return (int)rx->index;
}

int hipc_bigbuf_release(struct hipc_bigbuf *bb, uint32_t index,
			uint32_t generation, uint32_t consumed)
{
	struct hipc_bufpool_ret r;
	int ret;

	ret = hipc_bufpool_release(bb->pool, index, generation);
	if (ret)
		return ret;
	bb->st.released++;
	if (!bb->connected)
		return 0;
	hipc_put_le16(&r.magic, HIPC_BUFPOOL_RET_MAGIC);
	hipc_put_le16(&r.flags, 0);
	hipc_put_le32(&r.pool_id, bb->geo.pool_id);
	hipc_put_le32(&r.index, index);
	hipc_put_le32(&r.generation, generation);
	hipc_put_le32(&r.length, consumed);
	hipc_put_le32(&r.status, 0);
	/* Best effort: without it the remote finds the buffer back at its
	 * next allocation anyway, only later. */
	hipc_rpmsg_send_ex(&bb->ept, HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
			   &r, sizeof(r), bb->cfg.send_timeout_ms);
	return 0;
}

int hipc_bigbuf_send_msg(struct hipc_bigbuf *bb, const void *data, size_t len)
{
	if (!bb->connected)
		return -HIPC_ENOTCONN;
	return hipc_rpmsg_send_ex(&bb->ept, HIPC_RPMSG_ADDR_ANY,
				  HIPC_RPMSG_ADDR_ANY, data, len,
				  bb->cfg.send_timeout_ms);
}

int hipc_bigbuf_fd(const struct hipc_bigbuf *bb)
{
	return bb->efd;
}

int hipc_bigbuf_get_stats(const struct hipc_bigbuf *bb,
			  struct hipc_bigbuf_stats *out)
{
	if (!bb || !out)
		return -HIPC_EINVAL;
	*out = bb->st;
	return 0;
}
