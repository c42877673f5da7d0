/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Split virtqueue, both roles.  Layout (legacy, as vring_init()):
 *
 *   desc   at 0:                  num x {addr u64, len u32, flags u16, next u16}
 *   avail  at 16*num:             flags u16, idx u16, ring[num] u16, used_event u16
 *   used   at align_up(end of avail, align):
 *                                 flags u16, idx u16, ring[num] {id u32, len u32},
 *                                 avail_event u16
 *
 * Trust: every value the peer writes (its index, ring entries, descriptors,
 * flags, event indices) is loaded once into a local and checked before use.
 * Violations go through hipc_vring_mark_broken(): the ring becomes broken
 * for good.
 */
#include "hipc/vring.h"

#include "hipc_internal.h"
#include "vring_internal.h"

#define DESC_SIZE 16u
#define AVAIL_RING(vr, i) ((vr)->avail + 4u + 2u * (i))
#define USED_ELEM(vr, i) ((vr)->used + 4u + 8u * (i))
#define USED_EVENT(vr) AVAIL_RING(vr, (vr)->num)
#define AVAIL_EVENT(vr) ((vr)->used + 4u + 8u * (vr)->num)
#define IDX(p) ((p) + 2u)

enum { SLOT_FREE = 0, SLOT_INFLIGHT = 1 };

/* A role compiled out cannot be set up, so the test folds away. */
static inline bool drv_role(const struct hipc_vring *vr)
{
	if (!HIPC_CFG_DEVICE)
		return true;
	if (!HIPC_CFG_DRIVER)
		return false;
	return vr->role == HIPC_VRING_DRIVER;
}

static inline bool evt(const struct hipc_vring *vr)
{
	return HIPC_CFG_EVENT_IDX && vr->event_idx;
}

/* Bytes from the ring's start to the used ring: desc + avail, aligned. */
static size_t used_off(unsigned num, unsigned align)
{
	size_t avail_end = DESC_SIZE * num + 2u * (3u + num);

	return (avail_end + align - 1u) & ~((size_t)align - 1u);
}

/* hipc_vring_size() of a geometry already checked.  Inlined into the
 * rpmsg layer's placement (a remote image's one caller), where a call
 * costs more than the arithmetic. */
static inline __attribute__((always_inline)) size_t ring_bytes(unsigned num,
							       unsigned align)
{
	return used_off(num, align) + 2u * 3u + 8u * num;
}

size_t hipc_vring_size(unsigned num, unsigned align)
{
	if (!hipc__is_pow2(num) || num > HIPC_VRING_NUM_MAX ||
	    !hipc__is_pow2(align))
		return 0;
	return ring_bytes(num, align);
}

/* Every violation ends here: the ring is broken for good. */
void hipc_vring_mark_broken(struct hipc_vring *vr)
{
	__atomic_store_n(&vr->broken, true, __ATOMIC_RELAXED);
	vr->errors++;
}

/*
 * Bytes of the avail and used rings the ring ever touches: the event-index
 * words only with the feature.  A ring given in parts (vhost-user) need not
 * have them, so a part is checked, and a driver zeroes it, to this size.
 */
static size_t avail_size(const struct hipc_vring *vr)
{
	return 4u + 2u * vr->num + (evt(vr) ? 2u : 0u);
}

static size_t used_size(const struct hipc_vring *vr)
{
	return 4u + 8u * vr->num + (evt(vr) ? 2u : 0u);
}

/*
 * Every constructor ends here.  @vr already describes the ring (role, num,
 * slots, map, port, event_idx; every other field zero) and that
 * description is consistent (vring_describe() or, for the rpmsg layer, its
 * config checks) and supported (vring_supported(), or the rpmsg layer's
 * own check); the caller checked num (a power of two up to NUM_MAX) and
 * the parts' alignment.  This only records where the parts are: shared
 * memory is written by hipc__vring_clear() (driver role), once every check
 * has passed.
 */
static int vring_place(struct hipc_vring *vr, uint8_t *desc, uint8_t *avail,
		       uint8_t *used)
{
	vr->desc = desc;
	vr->avail = avail;
	vr->used = used;
	vr->cb_enabled = true;
	return 0;
}

void hipc__vring_clear(struct hipc_vring *vr)
{
	struct hipc_vring_slot *slots = vr->slots;
	unsigned num = vr->num;

	if (!HIPC_CFG_DRIVER)
		return;
	/* The driver owns the ring: start from a clean slate. */
	memset(vr->desc, 0, DESC_SIZE * num);
	memset(vr->avail, 0, avail_size(vr));
	memset(vr->used, 0, used_size(vr));
	for (unsigned i = 0; i < num; i++) {
		slots[i].token = NULL;
		slots[i].len = 0;
		slots[i].state = SLOT_FREE;
		slots[i].next = (uint16_t)(i + 1u);
	}
	vr->num_free = (uint16_t)num;
	vr->free_head = 0;
	hipc__cache_clean(vr->port, vr->desc, DESC_SIZE * num);
	hipc__cache_clean(vr->port, vr->avail, avail_size(vr));
	hipc__cache_clean(vr->port, vr->used, used_size(vr));
}

/* What the build or the port cannot do: -HIPC_ENOTSUP, checked by every
 * constructor before it touches memory (the rpmsg layer, for both of a
 * device's rings at once). */
static int vring_supported(const struct hipc_vring *vr)
{
	bool drv = vr->role == HIPC_VRING_DRIVER;

	if ((drv && !HIPC_CFG_DRIVER) || (!drv && !HIPC_CFG_DEVICE) ||
	    (vr->event_idx && !HIPC_CFG_EVENT_IDX) ||
	    hipc__port_check(vr->port))
		return -HIPC_ENOTSUP;
	return 0;
}

/*
 * The public constructors describe the ring in a local and copy it out
 * only once it is accepted, so a refused init leaves @vr as it was.  A role
 * outside the enum is refused before it is narrowed into the byte the ring
 * keeps, as is a driver without slots or a device without a map; num was
 * bounded by the caller, so it fits its 16 bits.
 */
static int vring_describe(struct hipc_vring *p, enum hipc_vring_role role,
			  unsigned num, struct hipc_vring_slot *slots,
			  const struct hipc_memmap *map,
			  const struct hipc_port *port, bool event_idx)
{
	if ((unsigned)role > HIPC_VRING_DEVICE ||
	    (role == HIPC_VRING_DRIVER ? !slots : !map))
		return -HIPC_EINVAL;
	memset(p, 0, sizeof(*p));
	p->role = (uint8_t)role;
	p->num = (uint16_t)num;
	p->slots = slots;
	p->map = map;
	p->port = port;
	p->event_idx = event_idx;
	return 0;
}

/* A described, supported ring accepted: its shared memory set up, and the
 * description copied out. */
static int vring_commit(struct hipc_vring *vr, struct hipc_vring *p, int ret)
{
	if (ret == 0) {
		if (drv_role(p))
			hipc__vring_clear(p);
		*vr = *p;
	}
	return ret;
}

/* Parts at @desc, @avail, @used: each naturally aligned. */
static int place_parts(struct hipc_vring *vr, uint8_t *desc, uint8_t *avail,
		       uint8_t *used)
{
	if (!desc || !avail || !used || ((uintptr_t)desc & 15u) ||
	    ((uintptr_t)avail & 1u) || ((uintptr_t)used & 3u))
		return -HIPC_EINVAL;
	return vring_place(vr, desc, avail, used);
}

int hipc_vring_init_parts(struct hipc_vring *vr, enum hipc_vring_role role,
			  void *desc, void *avail, void *used, unsigned num,
			  struct hipc_vring_slot *slots,
			  const struct hipc_memmap *map,
			  const struct hipc_port *port, bool event_idx)
{
	struct hipc_vring p;
	int ret;

	if (!HIPC_CFG_SPLIT_INIT)
		return -HIPC_ENOTSUP;
	if (!vr || !hipc__is_pow2(num) || num > HIPC_VRING_NUM_MAX ||
	    vring_describe(&p, role, num, slots, map, port, event_idx))
		return -HIPC_EINVAL;
	ret = vring_supported(&p);
	if (ret == 0)
		ret = place_parts(&p, desc, avail, used);
	return vring_commit(vr, &p, ret);
}

int hipc__vring_place_parts(struct hipc_vring *vr,
			    const struct hipc_memmap *map,
			    const struct hipc_vring_addr *a)
{
	uint8_t *desc, *avail, *used;

	if (!HIPC_CFG_SPLIT_INIT)
		return -HIPC_ENOTSUP;
	if (!hipc__is_pow2(vr->num))
		return -HIPC_EINVAL;
	desc = hipc__memmap_va(map, DESC_SIZE * vr->num, a->desc);
	avail = hipc__memmap_va(map, avail_size(vr), a->avail);
	used = hipc__memmap_va(map, used_size(vr), a->used);
	if (!desc || !avail || !used)
		return -HIPC_ERANGE;
	return place_parts(vr, desc, avail, used);
}

int hipc_vring_parts_check(const struct hipc_memmap *map,
			   const struct hipc_vring_addr *a, unsigned num,
			   bool event_idx)
{
	struct hipc_vring p;

	if (!map || !a || num > HIPC_VRING_NUM_MAX)
		return -HIPC_EINVAL;
	memset(&p, 0, sizeof(p));
	p.num = (uint16_t)num;
	p.event_idx = event_idx;
	return hipc__vring_place_parts(&p, map, a);
}

/*
 * The whole ring at @mem, @size = hipc_vring_size(num, align) bytes, its
 * geometry checked (align at least 4).  A 16-aligned base and such an
 * align align all three parts.  The used ring is the ring's last part: its
 * offset follows from the size without aligning a second time.  Inlined:
 * a remote image links only the rpmsg layer's caller.
 */
static inline __attribute__((always_inline)) int
place_whole(struct hipc_vring *vr, uint8_t *mem, size_t size)
{
	unsigned num = vr->num;

	if ((uintptr_t)mem & 15u)
		return -HIPC_EINVAL;
	return vring_place(vr, mem, mem + DESC_SIZE * num,
			   mem + size - (2u * 3u + 8u * num));
}

int hipc__vring_place(struct hipc_vring *vr, unsigned align, uint64_t da)
{
	unsigned num = vr->num;
	uint8_t *mem;
	size_t size;

	/* The geometry first (num was bounded by the description), then
	 * whether its size fits.  align >= 4 makes it non-zero. */
	if (!hipc__is_pow2(num) || align < 4u || (align & (align - 1u)))
		return -HIPC_EINVAL;
	size = ring_bytes(num, align);
	mem = hipc__memmap_va(vr->map, size, da);
	if (!mem)
		return -HIPC_ERANGE;
	return place_whole(vr, mem, size);
}

int hipc_vring_init(struct hipc_vring *vr, enum hipc_vring_role role,
		    void *mem, unsigned num, unsigned align,
		    struct hipc_vring_slot *slots, const struct hipc_memmap *map,
		    const struct hipc_port *port, bool event_idx)
{
	struct hipc_vring p;
	int ret;

	/* num bounded before it is narrowed into the ring's 16 bits. */
	if (!vr || num > HIPC_VRING_NUM_MAX ||
	    vring_describe(&p, role, num, slots, map, port, event_idx))
		return -HIPC_EINVAL;
	ret = vring_supported(&p);
	if (ret == 0) {
		size_t size = hipc_vring_size(num, align);

		ret = !mem || align < 4u || size == 0
			      ? -HIPC_EINVAL
			      : place_whole(&p, mem, size);
	}
	return vring_commit(vr, &p, ret);
}

/*
 * Memory both cores see coherently (no cache maintenance at all in the
 * port).  There a descriptor, avail entry or used entry that already holds
 * what we would write is left alone: in a stream the same buffer comes
 * back to the same slot lap after lap, and a write would take the line
 * from the peer's cache only to give it the same bytes.  What the peer may
 * have scribbled there differs, and is written over as before.  A port
 * with either cache operation writes every time: the compare would read
 * our own cached copy, which may not be what memory holds (a write-through
 * cache that needs invalidating only, after the peer cleared the ring).
 */
static inline bool coherent(const struct hipc_vring *vr)
{
	return HIPC_CFG_SPARE_LINES &&
	       (!HIPC_CFG_CACHE || !vr->port || !vr->port->ops ||
		(!vr->port->ops->cache_clean &&
		 !vr->port->ops->cache_invalidate));
}

/* Our consumption index is written under the owner's lock but read
 * without it by hipc__vring_peer_moved(): one store, never torn. */
static inline void set_last_idx(struct hipc_vring *vr, uint16_t v)
{
	__atomic_store_n(&vr->last_idx, v, __ATOMIC_RELAXED);
}

bool hipc__vring_peer_moved(const struct hipc_vring *vr)
{
	const uint8_t *idxp = drv_role(vr) ? IDX(vr->used) : IDX(vr->avail);

	if (__atomic_load_n(&vr->broken, __ATOMIC_RELAXED))
		return false;
	hipc__cache_inval(vr->port, idxp, 2);
	return hipc__ld16_acq(idxp) !=
	       __atomic_load_n(&vr->last_idx, __ATOMIC_RELAXED);
}

/*
 * How far the peer is ahead of us.  Entries it was seen to publish at the
 * last read are taken without reading its index again: the peer writes
 * that line with every entry, and a stream would fetch it back across the
 * cores once per message instead of once per batch.  Only when we have
 * caught up is the index read (acquire: the entries it publishes are read
 * after it), and checked once then.
 */
static bool hipc__peer_pending(struct hipc_vring *vr, uint16_t *pending)
{
	const uint8_t *idxp = drv_role(vr) ? IDX(vr->used) : IDX(vr->avail);
	uint16_t idx;

	*pending = (uint16_t)(vr->peer_seen - vr->last_idx);
	if (HIPC_CFG_SPARE_LINES && *pending)
		return true;
	hipc__cache_inval(vr->port, idxp, 2);
	idx = hipc__ld16_acq(idxp);
	*pending = (uint16_t)(idx - vr->last_idx);
	if (*pending > vr->num) {
		/* It claims more entries than the ring has. */
		hipc_vring_mark_broken(vr);
		return false;
	}
	if (HIPC_CFG_SPARE_LINES)
		vr->peer_seen = idx;
	return true;
}

int hipc_vring_add(struct hipc_vring *vr, uint64_t da, uint32_t len,
		   bool device_writes, void *token)
{
	struct hipc_vring_slot *slot;
	uint16_t head, flags;
	uint8_t *d;
	uint8_t *ring;

	if (vr->broken)
		return -HIPC_EIO;
	if (!drv_role(vr) || !token)
		return -HIPC_EINVAL;
	if (vr->num_free == 0)
		return -HIPC_ENOSPC;

	head = vr->free_head;
	slot = &vr->slots[head];
	vr->free_head = slot->next;
	vr->num_free--;
	slot->token = token;
	slot->len = len;
	slot->state = SLOT_INFLIGHT;

	d = vr->desc + DESC_SIZE * head;
	flags = device_writes ? HIPC_VRING_DESC_F_WRITE : 0;
	ring = AVAIL_RING(vr, vr->next_idx & (vr->num - 1u));
	if (!coherent(vr) || hipc_get_le64(d) != da ||
	    hipc_get_le32(d + 8) != len || hipc_get_le16(d + 12) != flags ||
	    hipc_get_le16(d + 14) != 0) {
		hipc_put_le64(d, da);
		hipc_put_le32(d + 8, len);
		hipc_put_le16(d + 12, flags);
		hipc_put_le16(d + 14, 0);
		hipc__cache_clean(vr->port, d, DESC_SIZE);
	}
	if (!coherent(vr) || hipc_get_le16(ring) != head) {
		hipc_put_le16(ring, head);
		hipc__cache_clean(vr->port, ring, 2);
	}
	vr->next_idx++;
	/* Release: the descriptor and ring entry above are visible before the
	 * index that hands them to the device. */
	hipc__st16_rel(IDX(vr->avail), vr->next_idx);
	hipc__cache_clean(vr->port, IDX(vr->avail), 2);
	return 0;
}

void *hipc_vring_get_used(struct hipc_vring *vr, uint32_t *len)
{
	struct hipc_vring_slot *slot;
	uint16_t pending;
	uint32_t id, ulen;
	uint8_t *e;
	void *token;

	if (!drv_role(vr) || vr->broken)
		return NULL;
	if (!hipc__peer_pending(vr, &pending) || pending == 0)
		return NULL;

	e = USED_ELEM(vr, vr->last_idx & (vr->num - 1u));
	hipc__cache_inval(vr->port, e, 8);
	id = hipc_get_le32(e);
	ulen = hipc_get_le32(e + 4);
	if (id >= vr->num || vr->slots[id].state != SLOT_INFLIGHT ||
	    ulen > vr->slots[id].len) {
		/* A buffer we never posted, one returned twice, or a length
		 * larger than the buffer. */
		hipc_vring_mark_broken(vr);
		return NULL;
	}
	slot = &vr->slots[id];
	token = slot->token;
	slot->token = NULL;
	slot->state = SLOT_FREE;
	slot->next = vr->free_head;
	vr->free_head = (uint16_t)id;
	vr->num_free++;
	set_last_idx(vr, (uint16_t)(vr->last_idx + 1u));
	if (len)
		*len = ulen;
	return token;
}

int hipc__vring_take_avail(struct hipc_vring *vr, bool device_writes,
			   uint32_t min_len, struct hipc__avail *out)
{
	uint16_t pending, h, flags;
	uint64_t addr;
	uint32_t dlen;
	uint8_t *ring, *d;
	void *va;

	if (vr->broken)
		return -HIPC_EIO;
	if (drv_role(vr))
		return -HIPC_EINVAL;
	if (!hipc__peer_pending(vr, &pending))
		return -HIPC_EIO;
	if (pending == 0)
		return -HIPC_EAGAIN;

	ring = AVAIL_RING(vr, vr->last_idx & (vr->num - 1u));
	hipc__cache_inval(vr->port, ring, 2);
	h = hipc_get_le16(ring);
	if (h >= vr->num)
		goto bad;
	d = vr->desc + DESC_SIZE * h;
	hipc__cache_inval(vr->port, d, DESC_SIZE);
	addr = hipc_get_le64(d);
	dlen = hipc_get_le32(d + 8);
	flags = hipc_get_le16(d + 12);
	/* rpmsg posts one descriptor per buffer; chains and indirect tables
	 * are not followed at all, so no hop limit is needed.  One compare:
	 * neither NEXT nor INDIRECT, WRITE as this ring's direction. */
	if ((flags & (HIPC_VRING_DESC_F_NEXT | HIPC_VRING_DESC_F_INDIRECT |
		      HIPC_VRING_DESC_F_WRITE)) !=
	    (device_writes ? HIPC_VRING_DESC_F_WRITE : 0u) || dlen < min_len)
		goto bad;
	va = hipc__memmap_va(vr->map, dlen, addr);
	if (!va)
		goto bad;
	set_last_idx(vr, (uint16_t)(vr->last_idx + 1u));
	out->head = h;
	out->buf = va;
	out->len = dlen;
	return 0;
bad:
	hipc_vring_mark_broken(vr);
	return -HIPC_EIO;
}

void *hipc__vring_peek(struct hipc_vring *vr, uint16_t k, uint32_t min_len)
{
	uint16_t pos = (uint16_t)(vr->last_idx + k);
	uint32_t id;
	uint8_t *d;

	if (vr->broken)
		return NULL;
	/* Published up to the index: entries before it are the peer's to
	 * read, whatever the acquire orders them against.  The index seen
	 * last serves when it reaches that far (no new look at its line). */
	if ((!HIPC_CFG_SPARE_LINES ||
	     (uint16_t)(vr->peer_seen - vr->last_idx) <= k) &&
	    (uint16_t)(hipc__ld16_acq(drv_role(vr) ? IDX(vr->used)
						    : IDX(vr->avail)) -
		       vr->last_idx) <= k)
		return NULL;
	if (drv_role(vr)) {
		id = hipc_get_le32(USED_ELEM(vr, pos & (vr->num - 1u)));
		if (id >= vr->num || vr->slots[id].state != SLOT_INFLIGHT)
			return NULL;
		return vr->slots[id].token;
	}
	id = hipc_get_le16(AVAIL_RING(vr, pos & (vr->num - 1u)));
	if (id >= vr->num)
		return NULL;
	d = vr->desc + DESC_SIZE * id;
	return hipc__memmap_va(vr->map, min_len, hipc_get_le64(d));
}

int hipc_vring_get_avail(struct hipc_vring *vr, bool device_writes,
			 uint16_t *head, void **buf, uint32_t *len)
{
	struct hipc__avail a;
	int ret = hipc__vring_take_avail(vr, device_writes, 1, &a);

	if (ret == 0) {
		*head = a.head;
		*buf = a.buf;
		*len = a.len;
	}
	return ret;
}

void hipc_vring_unget_avail(struct hipc_vring *vr)
{
	if (!drv_role(vr))
		set_last_idx(vr, (uint16_t)(vr->last_idx - 1u));
}

int hipc_vring_put_used(struct hipc_vring *vr, uint16_t head, uint32_t len)
{
	if (drv_role(vr) || head >= vr->num)
		return vr->broken ? -HIPC_EIO : -HIPC_EINVAL;
	return hipc__vring_return(vr, head, len);
}

int hipc__vring_return(struct hipc_vring *vr, uint16_t head, uint32_t len)
{
	/* Read into locals first: the compiler cannot tell that the stores
	 * to shared memory below leave @vr alone, and would load again. */
	uint16_t idx = vr->next_idx;
	uint8_t *used = vr->used;
	uint8_t *e;

	if (vr->broken)
		return -HIPC_EIO;
	e = used + 4u + 8u * (idx & (vr->num - 1u));
	if (!coherent(vr) || hipc_get_le32(e) != head ||
	    hipc_get_le32(e + 4) != len) {
		hipc_put_le32(e, head);
		hipc_put_le32(e + 4, len);
		hipc__cache_clean(vr->port, e, 8);
	}
	vr->next_idx = ++idx;
	/* Release: the element is visible before the index that publishes it. */
	hipc__st16_rel(IDX(used), idx);
	hipc__cache_clean(vr->port, IDX(used), 2);
	return 0;
}

bool hipc_vring_need_notify(struct hipc_vring *vr)
{
	uint16_t old = vr->kicked_idx, new_idx = vr->next_idx;
	const uint8_t *p;

	if (vr->broken || old == new_idx)
		return false;
	vr->kicked_idx = new_idx;
	/* Our published index must be visible before we read whether the
	 * peer wants a notification, or both sides may skip it. */
	hipc__mb();
	if (evt(vr)) {
		uint16_t v;

		p = drv_role(vr) ? AVAIL_EVENT(vr) : USED_EVENT(vr);
		hipc__cache_inval(vr->port, p, 2);
		v = hipc__ld16(p);
		/* Notify iff the peer's event index lies in [old, new). */
		return (uint16_t)(new_idx - v - 1u) < (uint16_t)(new_idx - old);
	}
	/* The peer's flags word: VRING_USED_F_NO_NOTIFY (driver reading the
	 * used ring) and VRING_AVAIL_F_NO_INTERRUPT (device reading the avail
	 * ring) are both bit 0. */
	p = drv_role(vr) ? vr->used : vr->avail;
	hipc__cache_inval(vr->port, p, 2);
	return !(hipc__ld16(p) & 1u);
}

int hipc_vring_info(const struct hipc_vring *vr, struct hipc_vring_info *out)
{
	const uint8_t *idxp;

	if (!vr || !out)
		return -HIPC_EINVAL;
	memset(out, 0, sizeof(*out));
	out->num = vr->num;
	out->role = (enum hipc_vring_role)vr->role;
	out->produced = vr->next_idx;
	out->consumed = vr->last_idx;
	out->notified = vr->kicked_idx;
	out->cb_enabled = vr->cb_enabled;
	out->event_idx = vr->event_idx;
	out->broken = hipc_vring_broken(vr);
	out->errors = vr->errors;
	out->desc = vr->desc;
	out->avail = vr->avail;
	out->used = vr->used;
	if (vr->avail && vr->used) {
		idxp = drv_role(vr) ? IDX(vr->used) : IDX(vr->avail);
		hipc__cache_inval(vr->port, idxp, 2);
		out->peer_idx = hipc__ld16_acq(idxp);
		out->pending = (uint16_t)(out->peer_idx - out->consumed);
	}
	return 0;
}

bool hipc_vring_pending(struct hipc_vring *vr)
{
	uint16_t pending;

	if (vr->broken)
		return false;
	return hipc__peer_pending(vr, &pending) && pending != 0;
}

/*
 * Our own suppression word: with event_idx the event index in the ring we
 * publish on (driver: used_event after the avail ring; device: avail_event
 * after the used ring), else our flags word (AVAIL_F_NO_INTERRUPT /
 * USED_F_NO_NOTIFY, both bit 0).
 */
static void set_suppress(struct hipc_vring *vr, bool on)
{
	uint8_t *p;
	uint16_t v;

	vr->cb_enabled = !on;
	if (evt(vr)) {
		/* A stale event index suppresses by itself. */
		if (on)
			return;
		p = drv_role(vr) ? USED_EVENT(vr) : AVAIL_EVENT(vr);
		v = vr->last_idx;
	} else {
		p = drv_role(vr) ? vr->avail : vr->used;
		v = on;
	}
	hipc__st16(p, v);
	hipc__cache_clean(vr->port, p, 2);
}

bool hipc_vring_enable_cb(struct hipc_vring *vr)
{
	set_suppress(vr, false);
	/* The request must be visible before we look for work that arrived
	 * meanwhile; otherwise the peer may have published without seeing it. */
	hipc__mb();
	return !hipc_vring_pending(vr);
}

void hipc_vring_disable_cb(struct hipc_vring *vr)
{
	set_suppress(vr, true);
}
