// SPDX-License-Identifier: BSD-3-Clause
/*
 * remoteproc resource table: validate, walk, build.
 *
 * The table comes from a firmware image or from memory the remote can write,
 * so every multi-byte field is read through the unaligned-safe little-endian
 * accessors, at the offsets of the packed structs in rsc.h (never by
 * dereferencing them: an entry may sit at any alignment).  Offsets in the
 * table are accepted unaligned, as Linux accepts them.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hipc/error.h"
#include "hipc/rsc.h"
#include "hipc_internal.h"

/* Sizes and field offsets: the packed structs of hipc/rsc.h are the one
 * description of the wire format; the code reads it through them. */
#define RSC_HDR_SIZE sizeof(struct hipc_rsc_hdr)
#define RSC_TYPE_SIZE 4u
#define RSC_MEM_SIZE sizeof(struct hipc_rsc_carveout) /* and devmem */
#define RSC_TRACE_SIZE sizeof(struct hipc_rsc_trace)
#define RSC_VDEV_SIZE sizeof(struct hipc_rsc_vdev)
#define RSC_VRING_SIZE sizeof(struct hipc_rsc_vring)
#define RSC_HIPC_SIZE sizeof(struct hipc_rsc_hipc_rpmsg)
#define RSC_POOL_SIZE sizeof(struct hipc_rsc_hipc_pool)
#define RSC_POOL_RESERVED offsetof(struct hipc_rsc_hipc_pool, reserved)
#define RSC_POOL_NAME offsetof(struct hipc_rsc_hipc_pool, name)
/* virtio's largest queue; Linux's remoteproc allocates at most 2 vrings. */
#define RSC_VRING_NUM_MAX 32768u
#define RSC_VDEV_VRINGS_MAX 2u
#define RSC_BUF_SIZE_MIN 32u
#define RSC_BUF_SIZE_MAX 65536u

/* Field offsets inside the entries (from the type word). */
#define MEM(f) offsetof(struct hipc_rsc_carveout, f)
#define RSC_MEM_DA MEM(da)
#define RSC_MEM_PA MEM(pa)
#define RSC_MEM_LEN MEM(len)
#define RSC_MEM_FLAGS MEM(flags)
#define RSC_MEM_RESERVED MEM(reserved)
#define RSC_MEM_NAME MEM(name)
#define TRACE(f) offsetof(struct hipc_rsc_trace, f)
#define RSC_TRACE_DA TRACE(da)
#define RSC_TRACE_LEN TRACE(len)
#define RSC_TRACE_RESERVED TRACE(reserved)
#define RSC_TRACE_NAME TRACE(name)
#define VDEV(f) offsetof(struct hipc_rsc_vdev, f)
#define RSC_VDEV_ID VDEV(id)
#define RSC_VDEV_NOTIFYID VDEV(notifyid)
#define RSC_VDEV_DFEATURES VDEV(dfeatures)
#define RSC_VDEV_GFEATURES VDEV(gfeatures)
#define RSC_VDEV_CONFIG_LEN VDEV(config_len)
#define RSC_VDEV_STATUS VDEV(status)
#define RSC_VDEV_NUM_VRINGS VDEV(num_of_vrings)
#define RSC_VDEV_RESERVED VDEV(reserved)
#define VRING(f) offsetof(struct hipc_rsc_vring, f)
#define RSC_VRING_DA VRING(da)
#define RSC_VRING_ALIGN VRING(align)
#define RSC_VRING_NUM VRING(num)
#define RSC_VRING_NOTIFYID VRING(notifyid)
#define RSC_VRING_PA VRING(pa)
#define RSC_HIPC_BUF_SIZE offsetof(struct hipc_rsc_hipc_rpmsg, buf_size)
#define RSC_HIPC_RESERVED offsetof(struct hipc_rsc_hipc_rpmsg, reserved)

/* A devmem entry is read at a carveout's offsets. */
_Static_assert(offsetof(struct hipc_rsc_devmem, da) == RSC_MEM_DA &&
		       offsetof(struct hipc_rsc_devmem, len) == RSC_MEM_LEN &&
		       offsetof(struct hipc_rsc_devmem, reserved) ==
			       RSC_MEM_RESERVED &&
		       offsetof(struct hipc_rsc_devmem, name) == RSC_MEM_NAME &&
		       sizeof(struct hipc_rsc_devmem) == RSC_MEM_SIZE,
	       "devmem as carveout");

/*
 * Fixed sizes of the entries with one, and the two ways an entry can be cut
 * short, so a message says which entry kind did not fit and where it ended.
 */
struct rsc_kind {
	uint32_t type;
	uint32_t size;
	const char *past_end;
	const char *into_next;
};

static const struct rsc_kind rsc_kinds[] = {
	{ HIPC_RSC_CARVEOUT, RSC_MEM_SIZE,
	  "carveout (56 bytes) runs past the end of the table",
	  "carveout (56 bytes) runs into the next entry" },
	{ HIPC_RSC_DEVMEM, RSC_MEM_SIZE,
	  "devmem (56 bytes) runs past the end of the table",
	  "devmem (56 bytes) runs into the next entry" },
	{ HIPC_RSC_TRACE, RSC_TRACE_SIZE,
	  "trace (48 bytes) runs past the end of the table",
	  "trace (48 bytes) runs into the next entry" },
	{ HIPC_RSC_VDEV, RSC_VDEV_SIZE,
	  "vdev (28 bytes) runs past the end of the table",
	  "vdev (28 bytes) runs into the next entry" },
	{ HIPC_RSC_HIPC_RPMSG, RSC_HIPC_SIZE,
	  "hipc rpmsg entry (16 bytes) runs past the end of the table",
	  "hipc rpmsg entry (16 bytes) runs into the next entry" },
	{ HIPC_RSC_HIPC_POOL, RSC_POOL_SIZE,
	  "hipc pool entry (64 bytes) runs past the end of the table",
	  "hipc pool entry (64 bytes) runs into the next entry" },
};

static const struct rsc_kind *rsc_kind(uint32_t type)
{
	for (size_t i = 0; i < sizeof(rsc_kinds) / sizeof(rsc_kinds[0]); i++)
		if (rsc_kinds[i].type == type)
			return &rsc_kinds[i];
	return NULL;
}

static bool rsc_type_known(uint32_t type)
{
	return type <= HIPC_RSC_VDEV ||
	       (type >= HIPC_RSC_VENDOR_START && type < HIPC_RSC_VENDOR_END);
}

/* --- error reporting ---------------------------------------------------- */

struct rsc_fmt {
	char *buf;
	size_t cap;
	size_t len;
};

static void fmt_str(struct rsc_fmt *f, const char *s)
{
	while (*s && f->len + 1 < f->cap)
		f->buf[f->len++] = *s++;
	f->buf[f->len] = '\0';
}

static void fmt_idx(struct rsc_fmt *f, unsigned long v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp));
	if (f->len + 1 < f->cap)
		f->buf[f->len++] = '[';
	while (n && f->len + 1 < f->cap)
		f->buf[f->len++] = tmp[--n];
	if (f->len + 1 < f->cap)
		f->buf[f->len++] = ']';
	f->buf[f->len] = '\0';
}

/*
 * Record a failure.  The field name is "<base>[idx]", then ".vring[v]" when
 * @vring >= 0, then @suffix; the core has no storage of its own, so the name
 * is assembled in the caller's error struct.
 */
static int rsc_bad(struct hipc_rsc_error *err, const char *base, long idx,
		   long vring, const char *suffix, uint32_t value, long entry,
		   const char *reason)
{
	struct rsc_fmt f = { err->field_buf, sizeof(err->field_buf), 0 };

	fmt_str(&f, base);
	if (idx >= 0)
		fmt_idx(&f, (unsigned long)idx);
	if (vring >= 0) {
		fmt_str(&f, ".vring");
		fmt_idx(&f, (unsigned long)vring);
	}
	if (suffix)
		fmt_str(&f, suffix);
	err->field = err->field_buf;
	err->reason = reason;
	err->value = value;
	err->entry = entry > 0x7fffffffL ? 0x7fffffff : (int)entry;
	return -HIPC_EBADMSG;
}

static int entry_bad(struct hipc_rsc_error *err, size_t i, const char *suffix,
		     uint32_t value, const char *reason)
{
	return rsc_bad(err, "entry", (long)i, -1, suffix, value, (long)i,
		       reason);
}

/* Two shifts: a single ">> 32" is undefined where size_t has 32 bits. */
static bool fits32(size_t v)
{
	return (v >> 16 >> 16) == 0;
}

static uint32_t clamp32(size_t v)
{
	return fits32(v) ? (uint32_t)v : 0xffffffffu;
}

static bool name_terminated(const uint8_t *name)
{
	for (size_t i = 0; i < HIPC_RSC_NAME_SIZE; i++)
		if (name[i] == '\0')
			return true;
	return false;
}

/* --- validation --------------------------------------------------------- */

static int check_vring(const uint8_t *vr, size_t i, unsigned j,
		       struct hipc_rsc_error *err)
{
	uint32_t num = hipc_get_le32(vr + RSC_VRING_NUM);
	uint32_t align = hipc_get_le32(vr + RSC_VRING_ALIGN);

	if (num == 0)
		return rsc_bad(err, "entry", (long)i, j, ".num", num, (long)i,
			       "must be non-zero");
	if (!hipc__is_pow2(num))
		return rsc_bad(err, "entry", (long)i, j, ".num", num, (long)i,
			       "must be a power of two");
	if (num > RSC_VRING_NUM_MAX)
		return rsc_bad(err, "entry", (long)i, j, ".num", num, (long)i,
			       "must be at most 32768");
	if (align == 0)
		return rsc_bad(err, "entry", (long)i, j, ".align", align,
			       (long)i, "must be non-zero");
	if (!hipc__is_pow2(align))
		return rsc_bad(err, "entry", (long)i, j, ".align", align,
			       (long)i, "must be a power of two");
	return 0;
}

/*
 * Check the vdev at @e with @avail bytes before @limit (the table end or the
 * next entry: @into says which, for the message).  The fixed part is known
 * to fit.
 */
static int check_vdev(const uint8_t *e, size_t avail, bool into, size_t i,
		      struct hipc_rsc_error *err)
{
	unsigned nvr = e[RSC_VDEV_NUM_VRINGS];
	uint32_t config_len = hipc_get_le32(e + RSC_VDEV_CONFIG_LEN);
	size_t need;
	int ret;

	if (e[RSC_VDEV_RESERVED] || e[RSC_VDEV_RESERVED + 1])
		return entry_bad(err, i, ".reserved",
				 (uint32_t)e[RSC_VDEV_RESERVED] |
					 (uint32_t)e[RSC_VDEV_RESERVED + 1] << 8,
				 "must be 0");
	/* Linux's remoteproc gives a vdev at most two vrings and refuses more. */
	if (nvr > RSC_VDEV_VRINGS_MAX)
		return entry_bad(err, i, ".num_of_vrings", nvr,
				 "must be at most 2 (Linux's limit)");
	need = RSC_VDEV_SIZE + (size_t)nvr * RSC_VRING_SIZE;
	if (need > avail)
		return entry_bad(err, i, ".num_of_vrings", nvr,
				 into ? "vrings run into the next entry"
				      : "vrings run past the end of the table");
	if (config_len > avail - need)
		return entry_bad(err, i, ".config_len", config_len,
				 into ? "config space runs into the next entry"
				      : "config space runs past the end of the table");
	for (unsigned j = 0; j < nvr; j++) {
		ret = check_vring(e + RSC_VDEV_SIZE + j * RSC_VRING_SIZE, i, j,
				  err);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_entry(const uint8_t *t, size_t off, size_t limit, size_t size,
		       size_t i, struct hipc_rsc_error *err)
{
	const uint8_t *e = t + off;
	uint32_t type = hipc_get_le32(e);
	const struct rsc_kind *k;
	bool into = limit < size;
	size_t avail = limit - off;
	uint32_t v;

	if (!rsc_type_known(type))
		return entry_bad(err, i, ".type", type, "unknown type");
	k = rsc_kind(type);
	if (!k)
		return 0; /* another vendor's entry: opaque, no length to check */
	if (avail < k->size)
		return rsc_bad(err, "offset", (long)i, -1, NULL, clamp32(off),
			       (long)i, into ? k->into_next : k->past_end);

	switch (type) {
	case HIPC_RSC_CARVEOUT:
	case HIPC_RSC_DEVMEM:
		v = hipc_get_le32(e + RSC_MEM_RESERVED);
		if (v)
			return entry_bad(err, i, ".reserved", v, "must be 0");
		if (!name_terminated(e + RSC_MEM_NAME))
			return entry_bad(err, i, ".name", HIPC_RSC_NAME_SIZE,
					 "must be NUL-terminated within 32 bytes");
		return 0;
	case HIPC_RSC_TRACE:
		v = hipc_get_le32(e + RSC_TRACE_RESERVED);
		if (v)
			return entry_bad(err, i, ".reserved", v, "must be 0");
		if (!name_terminated(e + RSC_TRACE_NAME))
			return entry_bad(err, i, ".name", HIPC_RSC_NAME_SIZE,
					 "must be NUL-terminated within 32 bytes");
		return 0;
	case HIPC_RSC_VDEV:
		return check_vdev(e, avail, into, i, err);
	case HIPC_RSC_HIPC_RPMSG:
		v = hipc_get_le32(e + RSC_HIPC_BUF_SIZE);
		if (v < RSC_BUF_SIZE_MIN || v > RSC_BUF_SIZE_MAX)
			return entry_bad(err, i, ".buf_size", v,
					 "must be between 32 and 65536");
		for (unsigned r = 0; r < 2; r++) {
			v = hipc_get_le32(e + RSC_HIPC_RESERVED + 4 * r);
			if (v)
				return rsc_bad(err, "entry", (long)i, -1,
					       r ? ".reserved[1]" : ".reserved[0]",
					       v, (long)i, "must be 0");
		}
		return 0;
	case HIPC_RSC_HIPC_POOL:
		/* The geometry is the planner's to judge (it knows what a
		 * region can hold); here: complete, reserved 0, a name. */
		for (unsigned r = 0; r < 2; r++) {
			v = hipc_get_le32(e + RSC_POOL_RESERVED + 4 * r);
			if (v)
				return rsc_bad(err, "entry", (long)i, -1,
					       r ? ".reserved[1]" : ".reserved[0]",
					       v, (long)i, "must be 0");
		}
		if (!name_terminated(e + RSC_POOL_NAME))
			return entry_bad(err, i, ".name", HIPC_RSC_NAME_SIZE,
					 "must be NUL-terminated within 32 bytes");
		return 0;
	default:
		return 0;
	}
}

int hipc_rsc_validate(const void *table, size_t size,
		      struct hipc_rsc_error *err)
{
	const uint8_t *t = table;
	struct hipc_rsc_error scratch;
	uint32_t num, v;
	size_t hdr_end;
	int ret;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	err->entry = -1;

	if (!t || size < RSC_HDR_SIZE)
		return rsc_bad(err, "size", -1, -1, NULL, clamp32(t ? size : 0),
			       -1, "must hold the 16-byte header");
	v = hipc_get_le32(t);
	if (v != 1)
		return rsc_bad(err, "ver", -1, -1, NULL, v, -1, "must be 1");
	for (unsigned r = 0; r < 2; r++) {
		v = hipc_get_le32(t + offsetof(struct hipc_rsc_hdr, reserved) +
				4 * r);
		if (v)
			return rsc_bad(err, "reserved", r, -1, NULL, v, -1,
				       "must be 0");
	}
	/* Divide rather than multiply: num * 4 can wrap on a 32-bit host. */
	num = hipc_get_le32(t + offsetof(struct hipc_rsc_hdr, num));
	if (num > (size - RSC_HDR_SIZE) / 4)
		return rsc_bad(err, "num", -1, -1, NULL, num, -1,
			       "offset array runs past the end of the table");
	hdr_end = RSC_HDR_SIZE + (size_t)num * 4;

	for (size_t i = 0; i < num; i++) {
		size_t off = hipc_get_le32(t + RSC_HDR_SIZE + 4 * i);
		size_t limit = size;

		/*
		 * An entry inside the header would let the host's write-back
		 * of gfeatures, status and vring addresses rewrite the header.
		 */
		if (off < hdr_end)
			return rsc_bad(err, "offset", (long)i, -1, NULL,
				       clamp32(off), (long)i,
				       "points into the table header");
		if (off > size || size - off < RSC_TYPE_SIZE)
			return rsc_bad(err, "offset", (long)i, -1, NULL,
				       clamp32(off), (long)i,
				       "points past the end of the table");
		/*
		 * Entries normally follow each other in offset order; an
		 * entry that runs into the one after it (a vdev claiming more
		 * vrings than it carries) would have the host write its vring
		 * addresses over its neighbour.
		 */
		if (i + 1 < num) {
			size_t next = hipc_get_le32(t + RSC_HDR_SIZE + 4 * (i + 1));

			if (next > off && next < size)
				limit = next;
		}
		ret = check_entry(t, off, limit, size, i, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- walking a validated table ------------------------------------------ */

static int rsc_count(const uint8_t *t, size_t size, uint32_t *num)
{
	if (!t || size < RSC_HDR_SIZE)
		return -HIPC_EBADMSG;
	*num = hipc_get_le32(t + offsetof(struct hipc_rsc_hdr, num));
	/* Cheap re-check so a caller that skipped validation cannot overrun. */
	if (*num > (size - RSC_HDR_SIZE) / 4)
		return -HIPC_EBADMSG;
	return 0;
}

int hipc_rsc_entry(const void *table, size_t size, unsigned i, uint32_t *type,
		   size_t *off)
{
	const uint8_t *t = table;
	uint32_t num;
	size_t o;
	int ret;

	ret = rsc_count(t, size, &num);
	if (ret)
		return ret;
	if (i >= num)
		return -HIPC_ERANGE;
	o = hipc_get_le32(t + RSC_HDR_SIZE + 4 * (size_t)i);
	if (o > size || size - o < RSC_TYPE_SIZE)
		return -HIPC_EBADMSG;
	if (type)
		*type = hipc_get_le32(t + o);
	if (off)
		*off = o;
	return 0;
}

int hipc_rsc_find(const void *table, size_t size, uint32_t type, unsigned nth,
		  size_t *off)
{
	uint32_t num, ty;
	size_t o;
	int ret;

	ret = rsc_count(table, size, &num);
	if (ret)
		return ret;
	for (uint32_t i = 0; i < num; i++) {
		ret = hipc_rsc_entry(table, size, i, &ty, &o);
		if (ret)
			return ret;
		if (ty == type && nth-- == 0) {
			if (off)
				*off = o;
			return 0;
		}
	}
	return -HIPC_ENOENT;
}

size_t hipc_rsc_entry_size(uint32_t type, const void *entry)
{
	const uint8_t *e = entry;
	size_t fixed;
	uint32_t config_len;

	switch (type) {
	case HIPC_RSC_CARVEOUT:
	case HIPC_RSC_DEVMEM:
		return RSC_MEM_SIZE;
	case HIPC_RSC_TRACE:
		return RSC_TRACE_SIZE;
	case HIPC_RSC_VDEV:
		fixed = RSC_VDEV_SIZE +
			(size_t)e[RSC_VDEV_NUM_VRINGS] * RSC_VRING_SIZE;
		config_len = hipc_get_le32(e + RSC_VDEV_CONFIG_LEN);
		/* Saturate: config_len near 4 GiB wraps a 32-bit size_t. */
		if (config_len > SIZE_MAX - fixed)
			return SIZE_MAX;
		return fixed + config_len;
	default:
		return 0;
	}
}

/* --- building ----------------------------------------------------------- */

static int builder_fail(struct hipc_rsc_builder *b, int error)
{
	if (!b->error)
		b->error = error;
	return b->error;
}

/*
 * Reserve @len zeroed bytes for a new entry of @type and record its offset.
 * Entries start 4-aligned (only a vdev's config space can leave the end
 * unaligned), matching what linkers produce for the packed structs.
 */
static int builder_reserve(struct hipc_rsc_builder *b, uint32_t type,
			   size_t len, uint8_t **entry, size_t *entry_off)
{
	size_t off;

	if (b->error)
		return b->error;
	if (b->num >= b->max)
		return builder_fail(b, -HIPC_ENOSPC);
	off = (b->used + 3u) & ~(size_t)3u;
	if (off > b->cap || len > b->cap - off)
		return builder_fail(b, -HIPC_ENOSPC);
	/* Offsets are u32 on the wire. */
	if (!fits32(off))
		return builder_fail(b, -HIPC_ENOSPC);

	memset(b->buf + b->used, 0, off + len - b->used);
	hipc_put_le32(b->buf + off, type);
	hipc_put_le32(b->buf + RSC_HDR_SIZE + 4 * (size_t)b->num, (uint32_t)off);
	b->num++;
	hipc_put_le32(b->buf + offsetof(struct hipc_rsc_hdr, num), b->num);
	b->used = off + len;
	*entry = b->buf + off;
	*entry_off = off;
	return 0;
}

/* Names are never truncated: a name that needs cutting is an error. */
static int name_len(const char *name, size_t *len)
{
	size_t n = 0;

	if (!name) {
		*len = 0;
		return 0;
	}
	while (n < HIPC_RSC_NAME_SIZE && name[n])
		n++;
	if (n == HIPC_RSC_NAME_SIZE)
		return -HIPC_EINVAL;
	*len = n;
	return 0;
}

int hipc_rsc_builder_init(struct hipc_rsc_builder *b, void *buf, size_t cap,
			  unsigned max_entries)
{
	size_t hdr;

	if (!b)
		return -HIPC_EINVAL;
	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = cap;
	b->max = max_entries;
	if (!buf) {
		b->error = -HIPC_EINVAL;
		return b->error;
	}
	/* Divide rather than multiply: max_entries * 4 can wrap. */
	if (cap < RSC_HDR_SIZE || (cap - RSC_HDR_SIZE) / 4 < max_entries) {
		b->error = -HIPC_ENOSPC;
		return b->error;
	}
	hdr = RSC_HDR_SIZE + (size_t)max_entries * 4;
	memset(b->buf, 0, hdr);
	hipc_put_le32(b->buf, 1);
	b->used = hdr;
	return 0;
}

static int add_named(struct hipc_rsc_builder *b, uint32_t type, size_t size,
		     size_t name_off, const char *name, uint8_t **e,
		     size_t *off)
{
	size_t n;
	int ret;

	if (!b)
		return -HIPC_EINVAL;
	if (b->error)
		return b->error;
	if (name_len(name, &n))
		return builder_fail(b, -HIPC_EINVAL);
	ret = builder_reserve(b, type, size, e, off);
	if (ret)
		return ret;
	/* The rest of the name field stays zero: NUL padding, as Linux expects. */
	if (n)
		memcpy(*e + name_off, name, n);
	return 0;
}

int hipc_rsc_add_carveout(struct hipc_rsc_builder *b, uint32_t da,
			  uint32_t len, const char *name, size_t *off)
{
	uint8_t *e = NULL; /* set whenever the add succeeds */
	size_t o;
	int ret;

	ret = add_named(b, HIPC_RSC_CARVEOUT, RSC_MEM_SIZE, RSC_MEM_NAME, name,
			&e, &o);
	if (ret)
		return ret;
	hipc_put_le32(e + RSC_MEM_DA, da);
	/* The host picks the physical address and writes it back. */
	hipc_put_le32(e + RSC_MEM_PA, HIPC_FW_RSC_ADDR_ANY);
	hipc_put_le32(e + RSC_MEM_LEN, len);
	if (off)
		*off = o;
	return 0;
}

int hipc_rsc_add_trace(struct hipc_rsc_builder *b, uint32_t da, uint32_t len,
		       const char *name, size_t *off)
{
	uint8_t *e = NULL; /* set whenever the add succeeds */
	size_t o;
	int ret;

	ret = add_named(b, HIPC_RSC_TRACE, RSC_TRACE_SIZE, RSC_TRACE_NAME, name,
			&e, &o);
	if (ret)
		return ret;
	hipc_put_le32(e + RSC_TRACE_DA, da);
	hipc_put_le32(e + RSC_TRACE_LEN, len);
	if (off)
		*off = o;
	return 0;
}

int hipc_rsc_add_vdev(struct hipc_rsc_builder *b, uint32_t id,
		      uint32_t dfeatures, unsigned num_vrings,
		      uint32_t vring_num, uint32_t vring_align,
		      uint32_t config_len, size_t *off)
{
	uint8_t *e, *vr;
	size_t size, o;
	int ret;

	if (!b)
		return -HIPC_EINVAL;
	if (b->error)
		return b->error;
	/* Build only what hipc_rsc_validate() would accept. */
	if (num_vrings > RSC_VDEV_VRINGS_MAX ||
	    (num_vrings &&
	     (!hipc__is_pow2(vring_num) || vring_num > RSC_VRING_NUM_MAX ||
	      !hipc__is_pow2(vring_align))))
		return builder_fail(b, -HIPC_EINVAL);
	size = RSC_VDEV_SIZE + (size_t)num_vrings * RSC_VRING_SIZE;
	if (config_len > SIZE_MAX - size)
		return builder_fail(b, -HIPC_ENOSPC);
	size += config_len;

	ret = builder_reserve(b, HIPC_RSC_VDEV, size, &e, &o);
	if (ret)
		return ret;
	hipc_put_le32(e + RSC_VDEV_ID, id);
	hipc_put_le32(e + RSC_VDEV_DFEATURES, dfeatures);
	hipc_put_le32(e + RSC_VDEV_CONFIG_LEN, config_len);
	e[RSC_VDEV_NUM_VRINGS] = (uint8_t)num_vrings;
	for (unsigned j = 0; j < num_vrings; j++) {
		vr = e + RSC_VDEV_SIZE + j * RSC_VRING_SIZE;
		/* The host lays out the vrings and assigns notifyids. */
		hipc_put_le32(vr + RSC_VRING_DA, HIPC_FW_RSC_ADDR_ANY);
		hipc_put_le32(vr + RSC_VRING_ALIGN, vring_align);
		hipc_put_le32(vr + RSC_VRING_NUM, vring_num);
		hipc_put_le32(vr + RSC_VRING_NOTIFYID, HIPC_FW_RSC_ADDR_ANY);
		hipc_put_le32(vr + RSC_VRING_PA, 0);
	}
	if (off)
		*off = o;
	return 0;
}

int hipc_rsc_add_hipc_rpmsg(struct hipc_rsc_builder *b, uint32_t buf_size,
			    size_t *off)
{
	uint8_t *e = NULL; /* set whenever the add succeeds */
	size_t o;
	int ret;

	if (!b)
		return -HIPC_EINVAL;
	if (b->error)
		return b->error;
	if (buf_size < RSC_BUF_SIZE_MIN || buf_size > RSC_BUF_SIZE_MAX)
		return builder_fail(b, -HIPC_EINVAL);
	ret = builder_reserve(b, HIPC_RSC_HIPC_RPMSG, RSC_HIPC_SIZE, &e, &o);
	if (ret)
		return ret;
	hipc_put_le32(e + RSC_HIPC_BUF_SIZE, buf_size);
	if (off)
		*off = o;
	return 0;
}

int hipc_rsc_builder_finish(struct hipc_rsc_builder *b, size_t *size)
{
	if (!b)
		return -HIPC_EINVAL;
	if (b->error)
		return b->error;
	if (size)
		*size = b->used;
	return 0;
}
