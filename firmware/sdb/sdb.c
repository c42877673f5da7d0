/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Big-buffer firmware: the data-acquisition shape.  Announces "hipc-sdb"
 * (sdb_proto.h) and, on the pools its resource table declares:
 *  - consumes the host's buffers: each reference is checked by the core
 *    (with its CRC32C when it carries one), the buffer released at once
 *    and a return notice sent with the byte count, or the reason it was
 *    refused;
 *  - produces buffers of its own on request: filled with a sequence
 *    pattern at a requested size and rate, each sent as a reference
 *    (with its CRC32C on request); a buffer comes back when the host
 *    releases it;
 *  - misbehaves on request (SDB_OP_HOSTILE) so that the host's checks can
 *    be seen at work, and holds buffers and a spinlock (SDB_OP_HOLD) so
 *    that the host's recovery can be;
 *  - floods the asker with service messages (SDB_OP_FLOOD), so that what
 *    the host does with a reader that does not keep up can be seen.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "hipc/bufpool.h"
#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/linux.h"
#include "hipc/remote.h"
#include "hipc/rsc.h"
#include "hipc/spinlock.h"
#include "sdb_proto.h"

#define NPOOLS 5u

struct sdb_table {
	uint32_t ver;
	uint32_t num;
	uint32_t reserved[2];
	uint32_t offset[3 + NPOOLS];
	struct hipc_rsc_vdev_hdr vdev;
	struct hipc_rsc_vring vring[2];
	struct hipc_rsc_hipc_rpmsg cfg;
	struct hipc_rsc_trace trace;
	struct hipc_rsc_hipc_pool pool[NPOOLS];
} __attribute__((packed));

#define VRING_ANY                                                            \
	{ .da = HIPC_FW_RSC_ADDR_ANY, .align = 16, .num = 256,               \
	  .notifyid = HIPC_FW_RSC_ADDR_ANY }
#define POOL(id, nm, n, sz)                                                  \
	{ .type = HIPC_RSC_HIPC_POOL, .pool_id = (id), .count = (n),         \
	  .host_count = (n) / 2, .buf_size = (sz), .align = 64, .name = nm }
#define OFF(f) offsetof(struct sdb_table, f)

__attribute__((section(".resource_table"), used, aligned(8)))
static struct sdb_table rsc_table = {
	.ver = 1,
	.num = 3 + NPOOLS,
	.offset = { OFF(vdev), OFF(cfg), OFF(trace), OFF(pool[0]),
		    OFF(pool[1]), OFF(pool[2]), OFF(pool[3]), OFF(pool[4]) },
	.vdev = { .type = HIPC_RSC_VDEV, .id = HIPC_VIRTIO_ID_RPMSG,
		  .dfeatures = HIPC_RSC_F_NS, .num_of_vrings = 2 },
	.vring = { VRING_ANY, VRING_ANY },
	.cfg = { .type = HIPC_RSC_HIPC_RPMSG, .buf_size = 512 },
	.trace = { .type = HIPC_RSC_TRACE, .da = HIPC_FW_RSC_ADDR_ANY,
		   .len = 4096, .name = "trace0" },
	.pool = {
		POOL(SDB_POOL_SMALL, "sdb-4k", 64, 4096),
		POOL(SDB_POOL_64K, "sdb-64k", 32, 65536),
		POOL(SDB_POOL_1M, "sdb-1m", 16, 1u << 20),
		POOL(SDB_POOL_32M, "sdb-32m", 4, 32u << 20),
		POOL(SDB_POOL_64M, "sdb-64m", 4, 64u << 20),
	},
};

static const char *const pool_names[NPOOLS] = {
	"sdb-4k", "sdb-64k", "sdb-1m", "sdb-32m", "sdb-64m",
};

static struct {
	struct hipc_rpmsg_ept ept;
	struct hipc_bufpool *pool[NPOOLS];
	struct hipc_bufpool_geometry geo[NPOOLS];
	/* the producer: one at a time */
	bool producing;
	unsigned prod_pool;
	uint32_t prod_dst;
	uint32_t prod_size;
	uint32_t prod_flags;
	uint64_t prod_left;   /* UINT64_MAX: until STOP */
	uint32_t rate;
	uint64_t t0;
	uint64_t seq;
	/* the flood: one at a time, beside the producer */
	bool flooding;
	uint32_t flood_dst;
	uint32_t flood_size;
	uint64_t flood_left;  /* UINT64_MAX: until STOP */
	uint64_t flood_seq;
	/* what a hostile request replays */
	struct hipc_bufpool_ref last_ref;
	struct hipc_bufpool_ret last_ret;
	bool have_ref, have_ret;
	uint32_t bad_ret; /* SDB_BAD_RET_*: how the next notice lies */
	bool hold;
	bool reannounce;  /* SDB_OP_REANNOUNCE asked */
	/* counters since boot */
	uint64_t consumed, consumed_bytes, produced, produced_bytes;
	uint32_t refused;
} s;

static int pool_by_id(uint32_t id)
{
	for (unsigned i = 0; i < NPOOLS; i++)
		if (s.pool[i] && s.geo[i].pool_id == id)
			return (int)i;
	return -1;
}

static void report(uint32_t dst, uint32_t op, int status)
{
	struct sdb_report r;

	memset(&r, 0, sizeof(r));
	hipc_put_le32(&r.magic, SDB_REPORT_MAGIC);
	hipc_put_le32(&r.op, op);
	hipc_put_le32(&r.status, (uint32_t)status);
	hipc_put_le32(&r.refused, s.refused);
	hipc_put_le64(&r.consumed, s.consumed);
	hipc_put_le64(&r.consumed_bytes, s.consumed_bytes);
	hipc_put_le64(&r.produced, s.produced);
	hipc_put_le64(&r.produced_bytes, s.produced_bytes);
	if (hipc_rpmsg_send_ex(&s.ept, HIPC_RPMSG_ADDR_ANY, dst, &r, sizeof(r),
			       5000) < 0)
		hipc_remote_trace("sdb: report to 0x%x lost\n", (unsigned)dst);
}

static void send_ret(uint32_t dst, uint32_t pool_id, uint32_t index,
		     uint32_t gen, uint32_t len, int status)
{
	struct hipc_bufpool_ret r;

	hipc_put_le16(&r.magic, HIPC_BUFPOOL_RET_MAGIC);
	hipc_put_le16(&r.flags, 0);
	hipc_put_le32(&r.pool_id, pool_id);
	hipc_put_le32(&r.index, index);
	hipc_put_le32(&r.generation, gen);
	hipc_put_le32(&r.length, len);
	hipc_put_le32(&r.status, (uint32_t)status);
	if (!status) {
		s.last_ret = r;
		s.have_ret = true;
	}
	if (hipc_rpmsg_send_ex(&s.ept, HIPC_RPMSG_ADDR_ANY, dst, &r, sizeof(r),
			       5000) < 0)
		hipc_remote_trace("sdb: return notice to 0x%x lost\n",
				  (unsigned)dst);
}

/* The notice for a buffer released: as it is, or as a hostile request
 * armed it to lie (once; the buffer is released either way). */
static void notice(uint32_t dst, unsigned p, const struct hipc_bufpool_rx *rx,
		   int status)
{
	uint32_t id = s.geo[p].pool_id, idx = rx->index, len = (uint32_t)rx->len;

	switch (s.bad_ret) {
	case SDB_BAD_RET_POOL:
		id ^= 0xDEAD0000u;
		break;
	case SDB_BAD_RET_INDEX:
		idx = s.geo[p].host_count;
		break;
	case SDB_BAD_RET_LENGTH:
		len = s.geo[p].buf_size + 1u;
		break;
	case SDB_BAD_RET_STATUS:
		status = status ? status : -HIPC_EIO;
		break;
	}
	s.bad_ret = 0;
	send_ret(dst, id, idx, rx->generation, len, status);
}

/* A host buffer: check, count, give back (unless holding). */
static void consume(const uint8_t *m, size_t len, uint32_t src)
{
	uint32_t id = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref,
						pool_id));
	uint32_t idx = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref,
						 index));
	uint32_t gen = hipc_get_le32(HIPC_CFIELD(m, struct hipc_bufpool_ref,
						 generation));
	struct hipc_bufpool_rx rx;
	int p = pool_by_id(id), ret;

	ret = p < 0 ? -HIPC_EBADMSG : hipc_bufpool_receive(s.pool[p], m, len, &rx);
	if (ret < 0) {
		s.refused++;
		hipc_remote_trace("sdb: refused reference to pool %u buffer "
				  "%u gen %u: %s\n", (unsigned)id,
				  (unsigned)idx, (unsigned)gen,
				  hipc_strerror(ret));
		send_ret(src, id, idx, gen, 0, ret);
		return;
	}
	s.consumed++;
	s.consumed_bytes += rx.len;
	if (s.hold)
		return; /* kept until we die: the host's recovery frees it */
	ret = hipc_bufpool_release(s.pool[p], rx.index, rx.generation);
	notice(src, (unsigned)p, &rx, ret);
}

/* A reference of our own making, as is: the hostile cases. */
static void send_raw_ref(uint32_t dst, uint32_t pool_id, uint32_t index,
			 uint32_t gen, uint32_t off, uint32_t len)
{
	struct hipc_bufpool_ref r;

	memset(&r, 0, sizeof(r));
	hipc_put_le16(&r.magic, HIPC_BUFPOOL_REF_MAGIC);
	hipc_put_le32(&r.pool_id, pool_id);
	hipc_put_le32(&r.index, index);
	hipc_put_le32(&r.generation, gen);
	hipc_put_le32(&r.offset, off);
	hipc_put_le32(&r.length, len);
	hipc_rpmsg_send_ex(&s.ept, HIPC_RPMSG_ADDR_ANY, dst, &r, sizeof(r), 5000);
}

static int hostile(uint32_t dst, unsigned p, uint32_t what)
{
	const struct hipc_bufpool_geometry *g = &s.geo[p];
	uint32_t mine = g->host_count; /* our first buffer */

	switch (what) {
	case SDB_BAD_RANGE:
		send_raw_ref(dst, g->pool_id, g->count + 5u, 1, 0, 16);
		return 0;
	case SDB_BAD_LENGTH:
		send_raw_ref(dst, g->pool_id, mine, 1, 16, g->buf_size);
		return 0;
	case SDB_BAD_OWNER:
		send_raw_ref(dst, g->pool_id, 0, 1, 0, 16);
		return 0;
	case SDB_BAD_STALE:
		if (!s.have_ref)
			return -HIPC_ENOENT;
		hipc_rpmsg_send_ex(&s.ept, HIPC_RPMSG_ADDR_ANY, dst,
				   &s.last_ref, sizeof(s.last_ref), 5000);
		return 0;
	case SDB_BAD_NEVER: {
		/* One of ours that is free: never handed to the host. */
		void *b;
		int i = hipc_bufpool_alloc(s.pool[p], &b);

		if (i < 0)
			return i;
		hipc_bufpool_free(s.pool[p], (uint32_t)i);
		send_raw_ref(dst, g->pool_id, (uint32_t)i, 0x10000u, 0, 16);
		return 0;
	}
	case SDB_BAD_POOL:
		send_raw_ref(dst, 0xDEADu, mine, 1, 0, 16);
		return 0;
	case SDB_BAD_DOUBLE:
		if (!s.have_ret)
			return -HIPC_ENOENT;
		hipc_rpmsg_send_ex(&s.ept, HIPC_RPMSG_ADDR_ANY, dst,
				   &s.last_ret, sizeof(s.last_ret), 5000);
		return 0;
	case SDB_BAD_UNSENT:
		send_ret(dst, g->pool_id, g->host_count - 1u, 0x10000u, 16, 0);
		return 0;
	case SDB_BAD_RET_POOL:
	case SDB_BAD_RET_INDEX:
	case SDB_BAD_RET_LENGTH:
	case SDB_BAD_RET_STATUS:
		s.bad_ret = what;
		return 0;
	default:
		return -HIPC_EINVAL;
	}
}

static void command(const uint8_t *m, uint32_t src)
{
	uint32_t op = hipc_get_le32(HIPC_CFIELD(m, struct sdb_cmd, op));
	uint32_t id = hipc_get_le32(HIPC_CFIELD(m, struct sdb_cmd, pool_id));
	uint32_t size = hipc_get_le32(HIPC_CFIELD(m, struct sdb_cmd, size));
	int p = pool_by_id(id), ret = 0;
	struct hipc_spinlock_set *locks;

	switch (op) {
	case SDB_OP_PRODUCE:
		if (p < 0) {
			hipc_remote_trace("sdb: produce: no pool %u\n",
					  (unsigned)id);
			report(src, op, -HIPC_ENOENT);
			return;
		}
		if (size == 0 || size > s.geo[p].buf_size) {
			hipc_remote_trace("sdb: produce: %u bytes do not fit "
					  "pool %u's %u-byte buffers\n",
					  (unsigned)size, (unsigned)id,
					  (unsigned)s.geo[p].buf_size);
			report(src, op, -HIPC_ERANGE);
			return;
		}
		s.producing = true;
		s.prod_pool = (unsigned)p;
		s.prod_dst = src;
		s.prod_size = size;
		s.prod_flags = hipc_get_le32(HIPC_CFIELD(m, struct sdb_cmd, flags));
		s.prod_left = hipc_get_le64(HIPC_CFIELD(m, struct sdb_cmd, count));
		if (!s.prod_left)
			s.prod_left = UINT64_MAX;
		s.rate = hipc_get_le32(HIPC_CFIELD(m, struct sdb_cmd, rate));
		s.t0 = hipc_now_ns();
		s.seq = 0;
		return; /* reported when done */
	case SDB_OP_FLOOD:
		if (size < sizeof(struct sdb_flood) ||
		    size > hipc_rpmsg_max_payload(s.ept.dev)) {
			hipc_remote_trace("sdb: flood: %u-byte messages do "
					  "not fit\n", (unsigned)size);
			report(src, op, -HIPC_ERANGE);
			return;
		}
		s.flooding = true;
		s.flood_dst = src;
		s.flood_size = size;
		s.flood_left = hipc_get_le64(HIPC_CFIELD(m, struct sdb_cmd,
							 count));
		if (!s.flood_left)
			s.flood_left = UINT64_MAX;
		s.flood_seq = 0;
		return; /* reported when done */
	case SDB_OP_STOP:
		s.producing = false;
		s.flooding = false;
		break;
	case SDB_OP_REANNOUNCE:
		/* Not from inside this endpoint's own callback: poll_cb(). */
		s.reannounce = true;
		return;
	case SDB_OP_STATS:
		break;
	case SDB_OP_HOSTILE:
		ret = p < 0 ? -HIPC_ENOENT : hostile(src, (unsigned)p, size);
		break;
	case SDB_OP_HOLD:
		s.hold = true;
		ret = hipc_remote_spinlocks(&locks);
		if (!ret)
			ret = hipc_spinlock_trylock(locks, size);
		break;
	default:
		ret = -HIPC_EINVAL;
		break;
	}
	report(src, op, ret);
}

static int on_msg(struct hipc_rpmsg_ept *e, void *data, size_t len,
		  uint32_t src, void *priv)
{
	const uint8_t *m = data;
	uint32_t w = len >= 4 ? hipc_get_le32(m) : 0;

	(void)e;
	(void)priv;
	if (len == sizeof(struct hipc_bufpool_ref) &&
	    (w & 0xFFFFu) == HIPC_BUFPOOL_REF_MAGIC)
		consume(m, len, src);
	else if (len == sizeof(struct hipc_bufpool_ret) &&
		 (w & 0xFFFFu) == HIPC_BUFPOOL_RET_MAGIC)
		; /* our buffer is back: the next alloc finds it */
	else if (len == sizeof(struct sdb_cmd) && w == SDB_CMD_MAGIC)
		command(m, src);
	else
		hipc_remote_trace("sdb: %zu-byte message from 0x%x ignored\n",
				  len, (unsigned)src);
	return 0;
}

static void fill(uint8_t *b, uint32_t size, uint64_t seq)
{
	uint32_t i, n = size / 8u;

	for (i = 0; i < n; i++) {
		uint64_t w = sdb_word(seq, i);

		memcpy(b + 8u * i, &w, 8);
	}
	for (i = n * 8u; i < size; i++)
		b[i] = (uint8_t)seq;
}

/* Sleep a little, bounded: rate pacing and waiting for an rpmsg buffer,
 * never for longer than a doorbell may wait. */
static void nap(uint64_t ns)
{
	struct timespec ts = { 0, (long)(ns > 1000000u ? 1000000u : ns) };

	nanosleep(&ts, NULL);
}

static void stop_producing(int status)
{
	s.producing = false;
	report(s.prod_dst, SDB_OP_PRODUCE, status);
}

/*
 * Produce what is due, a few buffers per pass so receives keep flowing.
 * Out of buffers: nothing to do until the host gives one back (its return
 * notice rings our doorbell).
 */
static int produce(void)
{
	struct hipc_bufpool *pool = s.pool[s.prod_pool];
	struct hipc_bufpool_ref ref;
	unsigned done = 0;
	uint32_t max;
	void *tx, *b;
	int i, ret;

	while (s.producing && s.prod_left && done < 8) {
		if (s.rate) {
			uint64_t due = s.t0 + s.seq * 1000000000ull / s.rate;
			uint64_t now = hipc_now_ns();

			if (now < due) {
				nap(due - now);
				return 1;
			}
		}
		ret = hipc_rpmsg_get_tx_buffer(s.ept.dev, &tx, &max, 0);
		if (ret == -HIPC_EAGAIN) {
			/* The host is behind on its receive ring. */
			nap(20000);
			return 1;
		}
		if (ret) {
			stop_producing(ret);
			break;
		}
		i = hipc_bufpool_alloc(pool, &b);
		if (i < 0) {
			hipc_rpmsg_release_tx(s.ept.dev, tx);
			break;
		}
		fill(b, s.prod_size, s.seq);
		ret = hipc_bufpool_send(pool, (uint32_t)i, 0, s.prod_size,
					(s.prod_flags & SDB_F_CRC)
						? HIPC_BUFPOOL_F_CRC : 0, &ref);
		if (ret) {
			hipc_rpmsg_release_tx(s.ept.dev, tx);
			hipc_bufpool_free(pool, (uint32_t)i);
			stop_producing(ret);
			break;
		}
		memcpy(tx, &ref, sizeof(ref));
		ret = hipc_rpmsg_send_nocopy(&s.ept, s.prod_dst, tx, sizeof(ref));
		if (ret < 0) {
			stop_producing(ret);
			break;
		}
		s.last_ref = ref;
		s.have_ref = true;
		s.seq++;
		s.produced++;
		s.produced_bytes += s.prod_size;
		if (s.prod_left != UINT64_MAX)
			s.prod_left--;
		done++;
	}
	if (s.producing && !s.prod_left)
		stop_producing(0);
	return (int)done;
}

/*
 * Flood messages, a few per pass so receives keep flowing (a STOP among
 * them).  Out of rpmsg buffers: the host is behind on its receive ring,
 * try again shortly.
 */
static int flood(void)
{
	struct sdb_flood h;
	unsigned done = 0;
	uint32_t max;
	void *tx;
	int ret;

	while (s.flooding && s.flood_left && done < 8) {
		ret = hipc_rpmsg_get_tx_buffer(s.ept.dev, &tx, &max, 0);
		if (ret == -HIPC_EAGAIN) {
			nap(20000);
			return 1;
		}
		if (!ret && max < s.flood_size) {
			hipc_rpmsg_release_tx(s.ept.dev, tx);
			ret = -HIPC_EMSGSIZE;
		}
		if (ret) {
			s.flooding = false;
			report(s.flood_dst, SDB_OP_FLOOD, ret);
			break;
		}
		hipc_put_le32(&h.magic, SDB_FLOOD_MAGIC);
		hipc_put_le32(&h.size, s.flood_size);
		hipc_put_le64(&h.seq, s.flood_seq);
		memcpy(tx, &h, sizeof(h));
		fill((uint8_t *)tx + sizeof(h),
		     s.flood_size - (uint32_t)sizeof(h), s.flood_seq);
		ret = hipc_rpmsg_send_nocopy(&s.ept, s.flood_dst, tx,
					     s.flood_size);
		if (ret < 0) {
			s.flooding = false;
			report(s.flood_dst, SDB_OP_FLOOD, ret);
			break;
		}
		s.flood_seq++;
		if (s.flood_left != UINT64_MAX)
			s.flood_left--;
		done++;
	}
	if (s.flooding && !s.flood_left) {
		s.flooding = false;
		report(s.flood_dst, SDB_OP_FLOOD, 0);
	}
	return (int)done;
}

static int start(struct hipc_rpmsg_dev *dev, void *ctx)
{
	(void)ctx;
	for (unsigned i = 0; i < NPOOLS; i++) {
		if (hipc_remote_pool(pool_names[i], &s.pool[i]) < 0) {
			hipc_remote_trace("sdb: pool %s missing: started "
					  "without the host's pool region\n",
					  pool_names[i]);
			return -HIPC_ENOENT;
		}
		hipc_bufpool_get_geometry(s.pool[i], &s.geo[i]);
	}
	s.producing = false;
	s.flooding = false;
	s.have_ref = s.have_ret = false;
	hipc_remote_trace("sdb: up, announcing " SDB_SERVICE "\n");
	return hipc_rpmsg_ept_create(&s.ept, dev, SDB_SERVICE,
				     HIPC_RPMSG_ADDR_ANY, HIPC_RPMSG_ADDR_ANY,
				     on_msg, NULL);
}

static int poll_cb(struct hipc_rpmsg_dev *dev, void *ctx)
{
	int n;

	(void)ctx;
	if (s.reannounce) {
		s.reannounce = false;
		s.producing = false;
		s.flooding = false;
		hipc_rpmsg_ept_destroy(&s.ept);
		hipc_remote_trace("sdb: withdrawn, announcing " SDB_SERVICE
				  " again\n");
		if (hipc_rpmsg_ept_create(&s.ept, dev, SDB_SERVICE,
					  HIPC_RPMSG_ADDR_ANY,
					  HIPC_RPMSG_ADDR_ANY, on_msg, NULL))
			hipc_remote_trace("sdb: announcing again failed\n");
		return 1;
	}
	n = produce();
	return n + flood();
}

static const struct hipc_firmware fw = {
	.name = "sdb",
	.rsc = &rsc_table,
	.rsc_size = sizeof(rsc_table),
	.start = start,
	.poll = poll_cb,
};

HIPC_FIRMWARE_MAIN(fw)
