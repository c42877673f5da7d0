// SPDX-License-Identifier: BSD-3-Clause
/*
 * Resource table: builder and firmware-macro tables round-trip, and every
 * malformation is rejected naming its own field.  Core only (also runs on a
 * Cortex-M4): no files, no threads, stdio printf only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipc/error.h"
#include "hipc/rsc.h"
#include "hipc_test.h"

HIPC_RSC_TABLE_RPMSG(test_macro_table, 256, 512, 4096,
		     HIPC_RSC_F_NS | HIPC_RSC_F_EVENT_IDX);

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* hipc_rsc_find()'s offset, or its error: one number for a CHECK_EQ. */
static long find(const void *t, size_t size, uint32_t type, unsigned nth)
{
	size_t off = 0;
	int ret = hipc_rsc_find(t, size, type, nth, &off);

	return ret ? ret : (long)off;
}

/* The standard test table: carveout, vdev (2 vrings), hipc rpmsg, trace. */
struct std_table {
	uint8_t buf[512];
	size_t size;
	size_t carveout, vdev, cfg, trace;
};

static void build_std(struct std_table *t)
{
	struct hipc_rsc_builder b;

	memset(t, 0xa5, sizeof(*t)); /* the builder must zero what it uses */
	CHECK_EQ(hipc_rsc_builder_init(&b, t->buf, sizeof(t->buf), 4), 0);
	CHECK_EQ(hipc_rsc_add_carveout(&b, 0x20000000, 0x8000, "vdev0buffer",
				       &t->carveout), 0);
	CHECK(t->carveout > 0);
	CHECK_EQ(hipc_rsc_add_vdev(&b, HIPC_VIRTIO_ID_RPMSG, HIPC_RSC_F_NS, 2,
				   256, 16, 0, &t->vdev), 0);
	CHECK(t->vdev > t->carveout);
	CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 512, &t->cfg), 0);
	CHECK(t->cfg > t->vdev);
	CHECK_EQ(hipc_rsc_add_trace(&b, HIPC_FW_RSC_ADDR_ANY, 4096, "trace0",
				    &t->trace), 0);
	CHECK(t->trace > t->cfg);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &t->size), 0);
	CHECK(t->size > t->trace);
}

/* Validate from an exact-size heap copy so a sanitizer sees any overread. */
static int validate_copy(const void *table, size_t size,
			 struct hipc_rsc_error *err)
{
	void *copy = malloc(size ? size : 1);
	int ret;

	CHECK(copy != NULL);
	memcpy(copy, table, size);
	ret = hipc_rsc_validate(copy, size, err);
	free(copy);
	return ret;
}

static void expect_bad_at(const char *file, int line, const void *table,
			  size_t size, const char *field, const char *reason,
			  uint32_t value, int entry)
{
	struct hipc_rsc_error err;
	int ret = validate_copy(table, size, &err);

	if (ret != -HIPC_EBADMSG || !err.field || strcmp(err.field, field) ||
	    !err.reason || !strstr(err.reason, reason) || err.value != value ||
	    err.entry != entry) {
		printf("%s:%d: expected %s = %lu (entry %d): ...%s...\n"
		       "  got ret %d: %s = %lu (entry %d): %s\n",
		       file, line, field, (unsigned long)value, entry, reason,
		       ret, err.field ? err.field : "(null)",
		       (unsigned long)err.value, err.entry,
		       err.reason ? err.reason : "(null)");
		exit(1);
	}
}

#define EXPECT_BAD(t, s, field, reason, value, entry)                        \
	expect_bad_at(__FILE__, __LINE__, t, s, field, reason, value, entry)

/* --- good tables ---------------------------------------------------------- */

HIPC_TEST(builder_roundtrip)
{
	struct std_table t;
	const uint8_t *e;
	uint32_t type;
	size_t off;

	build_std(&t);
	CHECK_EQ(t.size, 16 + 4 * 4 + 56 + 28 + 2 * 20 + 16 + 48);
	CHECK_EQ(hipc_rsc_validate(t.buf, t.size, NULL), 0);
	CHECK_EQ(rd32(t.buf), 1);
	CHECK_EQ(rd32(t.buf + 4), 4);
	CHECK_EQ(rd32(t.buf + 8), 0);
	CHECK_EQ(rd32(t.buf + 12), 0);

	CHECK_EQ(hipc_rsc_entry(t.buf, t.size, 0, &type, &off), 0);
	CHECK_EQ(type, HIPC_RSC_CARVEOUT);
	CHECK_EQ(off, t.carveout);
	CHECK_EQ(hipc_rsc_entry(t.buf, t.size, 1, &type, &off), 0);
	CHECK_EQ(type, HIPC_RSC_VDEV);
	CHECK_EQ(hipc_rsc_entry(t.buf, t.size, 2, &type, NULL), 0);
	CHECK_EQ(type, HIPC_RSC_HIPC_RPMSG);
	CHECK_EQ(hipc_rsc_entry(t.buf, t.size, 3, NULL, &off), 0);
	CHECK_EQ(off, t.trace);
	CHECK_EQ(hipc_rsc_entry(t.buf, t.size, 4, &type, &off), -HIPC_ERANGE);

	CHECK_EQ(find(t.buf, t.size, HIPC_RSC_CARVEOUT, 0), t.carveout);
	CHECK_EQ(find(t.buf, t.size, HIPC_RSC_VDEV, 0), t.vdev);
	CHECK_EQ(find(t.buf, t.size, HIPC_RSC_HIPC_RPMSG, 0), t.cfg);
	CHECK_EQ(find(t.buf, t.size, HIPC_RSC_TRACE, 0), t.trace);
	CHECK_EQ(find(t.buf, t.size, HIPC_RSC_VDEV, 1), -HIPC_ENOENT);
	CHECK_EQ(find(t.buf, t.size, HIPC_RSC_DEVMEM, 0), -HIPC_ENOENT);

	/* carveout: da, pa left for the host, len, flags, NUL-padded name */
	e = t.buf + t.carveout;
	CHECK_EQ(hipc_rsc_entry_size(HIPC_RSC_CARVEOUT, e), 56);
	CHECK_EQ(rd32(e + 4), 0x20000000);
	CHECK_EQ(rd32(e + 8), HIPC_FW_RSC_ADDR_ANY);
	CHECK_EQ(rd32(e + 12), 0x8000);
	CHECK_EQ(rd32(e + 16), 0);
	CHECK_EQ(rd32(e + 20), 0);
	CHECK(memcmp(e + 24, "vdev0buffer", 12) == 0);
	for (size_t i = 24 + 11; i < 56; i++)
		CHECK_EQ(e[i], 0);

	/* vdev and its vrings: addresses and notifyids for the host */
	e = t.buf + t.vdev;
	CHECK_EQ(hipc_rsc_entry_size(HIPC_RSC_VDEV, e), 28 + 40);
	CHECK_EQ(rd32(e + 4), HIPC_VIRTIO_ID_RPMSG);
	CHECK_EQ(rd32(e + 12), HIPC_RSC_F_NS);
	CHECK_EQ(rd32(e + 16), 0);
	CHECK_EQ(rd32(e + 20), 0);
	CHECK_EQ(e[24], 0);
	CHECK_EQ(e[25], 2);
	CHECK_EQ(e[26], 0);
	CHECK_EQ(e[27], 0);
	for (int j = 0; j < 2; j++) {
		const uint8_t *vr = e + 28 + 20 * j;

		CHECK_EQ(rd32(vr + 0), HIPC_FW_RSC_ADDR_ANY);
		CHECK_EQ(rd32(vr + 4), 16);
		CHECK_EQ(rd32(vr + 8), 256);
		CHECK_EQ(rd32(vr + 12), HIPC_FW_RSC_ADDR_ANY);
		CHECK_EQ(rd32(vr + 16), 0);
	}

	e = t.buf + t.cfg;
	CHECK_EQ(hipc_rsc_entry_size(HIPC_RSC_HIPC_RPMSG, e), 0);
	CHECK_EQ(rd32(e + 4), 512);
	CHECK_EQ(rd32(e + 8), 0);
	CHECK_EQ(rd32(e + 12), 0);

	e = t.buf + t.trace;
	CHECK_EQ(hipc_rsc_entry_size(HIPC_RSC_TRACE, e), 48);
	CHECK_EQ(rd32(e + 4), HIPC_FW_RSC_ADDR_ANY);
	CHECK_EQ(rd32(e + 8), 4096);
	CHECK(strcmp((const char *)e + 16, "trace0") == 0);
	CHECK_EQ(t.trace + 48, t.size);
}

HIPC_TEST(macro_table_roundtrip)
{
	const struct hipc_rsc_table_rpmsg *m = &test_macro_table;
	const uint8_t *p = (const uint8_t *)m;
	uint32_t type;
	size_t off;

	CHECK_EQ(sizeof(*m), 16 + 12 + 28 + 40 + 16 + 48);
	CHECK_EQ(validate_copy(m, sizeof(*m), NULL), 0);
	CHECK_EQ(hipc_rsc_validate(m, sizeof(*m), NULL), 0);
	CHECK_EQ(rd32(p + 4), 3);
	CHECK_EQ(hipc_rsc_entry(m, sizeof(*m), 0, &type, &off), 0);
	CHECK_EQ(type, HIPC_RSC_VDEV);
	CHECK_EQ(off, offsetof(struct hipc_rsc_table_rpmsg, vdev));
	CHECK_EQ(find(m, sizeof(*m), HIPC_RSC_VDEV, 0),
		 offsetof(struct hipc_rsc_table_rpmsg, vdev));
	CHECK_EQ(find(m, sizeof(*m), HIPC_RSC_HIPC_RPMSG, 0),
		 offsetof(struct hipc_rsc_table_rpmsg, cfg));
	CHECK_EQ(find(m, sizeof(*m), HIPC_RSC_TRACE, 0),
		 offsetof(struct hipc_rsc_table_rpmsg, trace));
	CHECK_EQ(find(m, sizeof(*m), HIPC_RSC_CARVEOUT, 0),
		 -HIPC_ENOENT);
	CHECK_EQ(hipc_rsc_entry_size(HIPC_RSC_VDEV, &m->vdev), 28 + 40);

	/* Fields read back as the wire format says, independent of the structs. */
	p += offsetof(struct hipc_rsc_table_rpmsg, vdev);
	CHECK_EQ(rd32(p + 4), HIPC_VIRTIO_ID_RPMSG);
	CHECK_EQ(rd32(p + 12), HIPC_RSC_F_NS | HIPC_RSC_F_EVENT_IDX);
	CHECK_EQ(p[25], 2);
	CHECK_EQ(rd32(p + 28 + 8), 256);
	CHECK_EQ(rd32(p + 48 + 4), 16);
	CHECK_EQ(rd32(p + 48 + 12), HIPC_FW_RSC_ADDR_ANY);
	CHECK_EQ(m->cfg.buf_size, 512);
	CHECK_EQ(m->trace.len, 4096);
	CHECK(strcmp(m->trace.name, "trace0") == 0);
}

HIPC_TEST(empty_table)
{
	uint8_t buf[16];
	struct hipc_rsc_builder b;
	uint32_t type;
	size_t off, size = 0;

	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 0), 0);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &size), 0);
	CHECK_EQ(size, 16);
	CHECK_EQ(validate_copy(buf, 16, NULL), 0);
	CHECK_EQ(rd32(buf + 4), 0);
	CHECK_EQ(find(buf, 16, HIPC_RSC_VDEV, 0), -HIPC_ENOENT);
	CHECK_EQ(hipc_rsc_entry(buf, 16, 0, &type, &off), -HIPC_ERANGE);
	/* Spare bytes after the header are not an error either. */
	{
		uint8_t big[64] = { 1 };

		CHECK_EQ(validate_copy(big, sizeof(big), NULL), 0);
	}
}

HIPC_TEST(unaligned_table_and_offsets)
{
	struct std_table t;
	uint8_t *buf;

	build_std(&t);
	/* Whole table at an odd address, and the trace at an odd offset. */
	buf = malloc(t.size + 2);
	CHECK(buf != NULL);
	memcpy(buf + 1, t.buf, t.size);
	memmove(buf + 1 + t.trace + 1, buf + 1 + t.trace, 48);
	wr32(buf + 1 + 16 + 3 * 4, (uint32_t)(t.trace + 1));
	CHECK_EQ(validate_copy(buf + 1, t.size + 1, NULL), 0);
	CHECK_EQ(hipc_rsc_validate(buf + 1, t.size + 1, NULL), 0);
	CHECK_EQ(find(buf + 1, t.size + 1, HIPC_RSC_TRACE, 0),
		 t.trace + 1);
	CHECK_EQ(find(buf + 1, t.size + 1, HIPC_RSC_VDEV, 0), t.vdev);
	free(buf);
}

HIPC_TEST(vendor_entries_accepted)
{
	struct std_table t;

	build_std(&t);
	/* Another vendor's entry is opaque: no length, no checks beyond type. */
	wr32(t.buf + t.cfg, 300);
	CHECK_EQ(validate_copy(t.buf, t.size, NULL), 0);
	wr32(t.buf + t.cfg, HIPC_RSC_VENDOR_START);
	CHECK_EQ(validate_copy(t.buf, t.size, NULL), 0);
	wr32(t.buf + t.cfg, HIPC_RSC_VENDOR_END - 1);
	CHECK_EQ(validate_copy(t.buf, t.size, NULL), 0);
	CHECK_EQ(find(t.buf, t.size, HIPC_RSC_VENDOR_END - 1, 0),
		 t.cfg);
	CHECK_EQ(hipc_rsc_entry_size(HIPC_RSC_VENDOR_END - 1, t.buf + t.cfg), 0);
}

/* --- header ---------------------------------------------------------------- */

HIPC_TEST(bad_size)
{
	struct std_table t;

	build_std(&t);
	EXPECT_BAD(t.buf, 15, "size", "16-byte header", 15, -1);
	EXPECT_BAD(t.buf, 0, "size", "16-byte header", 0, -1);
	CHECK_EQ(hipc_rsc_validate(NULL, 100, NULL), -HIPC_EBADMSG);
}

HIPC_TEST(bad_version)
{
	struct std_table t;

	build_std(&t);
	wr32(t.buf, 2);
	EXPECT_BAD(t.buf, t.size, "ver", "must be 1", 2, -1);
	wr32(t.buf, 0);
	EXPECT_BAD(t.buf, t.size, "ver", "must be 1", 0, -1);
	/* No error struct: still rejected. */
	CHECK_EQ(hipc_rsc_validate(t.buf, t.size, NULL), -HIPC_EBADMSG);
}

HIPC_TEST(bad_reserved)
{
	struct std_table t;

	build_std(&t);
	wr32(t.buf + 8, 1);
	EXPECT_BAD(t.buf, t.size, "reserved[0]", "must be 0", 1, -1);
	wr32(t.buf + 8, 0);
	wr32(t.buf + 12, 0x80000000u);
	EXPECT_BAD(t.buf, t.size, "reserved[1]", "must be 0", 0x80000000u, -1);
}

HIPC_TEST(num_overflows_table)
{
	struct std_table t;

	build_std(&t);
	/* One more offset than the table holds. */
	wr32(t.buf + 4, (uint32_t)(t.size - 16) / 4 + 1);
	EXPECT_BAD(t.buf, t.size, "num", "offset array", (t.size - 16) / 4 + 1,
		   -1);
	/* num * 4 wraps to 0 in 32 bits, and to 4 * (2^32 - 1) otherwise. */
	wr32(t.buf + 4, 0x40000000u);
	EXPECT_BAD(t.buf, t.size, "num", "offset array", 0x40000000u, -1);
	wr32(t.buf + 4, 0xffffffffu);
	EXPECT_BAD(t.buf, t.size, "num", "offset array", 0xffffffffu, -1);
	/* The offsets themselves fit exactly but leave no room for entries. */
	wr32(t.buf + 4, 4);
	EXPECT_BAD(t.buf, 32, "offset[0]", "points past the end", t.carveout, 0);
}

HIPC_TEST(offset_past_end)
{
	struct std_table t;

	build_std(&t);
	wr32(t.buf + 16 + 3 * 4, (uint32_t)t.size);
	EXPECT_BAD(t.buf, t.size, "offset[3]", "points past the end", t.size, 3);
	/* The type word itself would straddle the end. */
	wr32(t.buf + 16 + 3 * 4, (uint32_t)t.size - 2);
	EXPECT_BAD(t.buf, t.size, "offset[3]", "points past the end",
		   t.size - 2, 3);
	wr32(t.buf + 16 + 2 * 4, 0xfffffffcu);
	EXPECT_BAD(t.buf, t.size, "offset[2]", "points past the end",
		   0xfffffffcu, 2);
}

HIPC_TEST(offset_into_header)
{
	struct std_table t;

	build_std(&t);
	wr32(t.buf + 16 + 1 * 4, 0);
	EXPECT_BAD(t.buf, t.size, "offset[1]", "header", 0, 1);
	wr32(t.buf + 16 + 1 * 4, 16 + 4 * 4 - 1);
	EXPECT_BAD(t.buf, t.size, "offset[1]", "header", 31, 1);
}

/* --- entries -------------------------------------------------------------- */

HIPC_TEST(unknown_type)
{
	struct std_table t;

	build_std(&t);
	wr32(t.buf + t.trace, 4);
	EXPECT_BAD(t.buf, t.size, "entry[3].type", "unknown type", 4, 3);
	wr32(t.buf + t.trace, HIPC_RSC_VENDOR_START - 1);
	EXPECT_BAD(t.buf, t.size, "entry[3].type", "unknown type", 127, 3);
	wr32(t.buf + t.trace, HIPC_RSC_VENDOR_END);
	EXPECT_BAD(t.buf, t.size, "entry[3].type", "unknown type", 512, 3);
	wr32(t.buf + t.carveout, 0xffffffffu);
	EXPECT_BAD(t.buf, t.size, "entry[0].type", "unknown type", 0xffffffffu,
		   0);
}

/* A table of two entries: hipc's buffer-size entry (or a trace), then @type. */
static size_t build_pair(uint8_t *buf, size_t cap, uint32_t type, size_t *last)
{
	struct hipc_rsc_builder b;
	size_t size = 0;

	CHECK_EQ(hipc_rsc_builder_init(&b, buf, cap, 2), 0);
	if (type == HIPC_RSC_HIPC_RPMSG) {
		CHECK_EQ(hipc_rsc_add_trace(&b, 0, 1024, "t", NULL), 0);
		CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 512, last), 0);
	} else {
		CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 512, NULL), 0);
		CHECK_EQ(hipc_rsc_add_carveout(&b, 0x1000, 0x1000, "vdev0vring0",
					       last), 0);
	}
	CHECK(*last > 0);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &size), 0);
	CHECK(size > *last);
	CHECK_EQ(validate_copy(buf, size, NULL), 0);
	return size;
}

HIPC_TEST(truncated_carveout)
{
	uint8_t buf[256];
	size_t off, size;

	size = build_pair(buf, sizeof(buf), HIPC_RSC_CARVEOUT, &off);
	CHECK_EQ(size, off + 56);
	EXPECT_BAD(buf, size - 1, "offset[1]",
		   "carveout (56 bytes) runs past the end", off, 1);
	EXPECT_BAD(buf, off + 4, "offset[1]",
		   "carveout (56 bytes) runs past the end", off, 1);
	/* devmem has the same layout and its own message */
	wr32(buf + off, HIPC_RSC_DEVMEM);
	CHECK_EQ(validate_copy(buf, size, NULL), 0);
	EXPECT_BAD(buf, size - 20, "offset[1]",
		   "devmem (56 bytes) runs past the end", off, 1);
}

HIPC_TEST(truncated_trace)
{
	struct std_table t;

	build_std(&t);
	EXPECT_BAD(t.buf, t.size - 1, "offset[3]",
		   "trace (48 bytes) runs past the end", t.trace, 3);
	EXPECT_BAD(t.buf, t.trace + 4, "offset[3]",
		   "trace (48 bytes) runs past the end", t.trace, 3);
}

/* A table whose last entry is a vdev with @nvr vrings and @cfg config bytes. */
static size_t build_vdev_last(uint8_t *buf, size_t cap, unsigned nvr,
			      uint32_t cfg, size_t *vdev)
{
	struct hipc_rsc_builder b;
	size_t size = 0;

	CHECK_EQ(hipc_rsc_builder_init(&b, buf, cap, 2), 0);
	CHECK_EQ(hipc_rsc_add_trace(&b, 0, 1024, "t", NULL), 0);
	CHECK_EQ(hipc_rsc_add_vdev(&b, HIPC_VIRTIO_ID_RPMSG, 0, nvr, 64, 4096,
				   cfg, vdev), 0);
	CHECK(*vdev > 0);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &size), 0);
	CHECK(size > *vdev);
	return size;
}

HIPC_TEST(truncated_vdev)
{
	uint8_t buf[256];
	size_t vdev, size;

	size = build_vdev_last(buf, sizeof(buf), 2, 0, &vdev);
	CHECK_EQ(size, vdev + 68);
	CHECK_EQ(validate_copy(buf, size, NULL), 0);
	EXPECT_BAD(buf, vdev + 27, "offset[1]",
		   "vdev (28 bytes) runs past the end", vdev, 1);
	EXPECT_BAD(buf, vdev + 4, "offset[1]",
		   "vdev (28 bytes) runs past the end", vdev, 1);
}

HIPC_TEST(truncated_vdev_vrings)
{
	uint8_t buf[256];
	size_t vdev, size;

	size = build_vdev_last(buf, sizeof(buf), 2, 0, &vdev);
	/* Cut inside the second vring, and between the two. */
	EXPECT_BAD(buf, size - 1, "entry[1].num_of_vrings",
		   "vrings run past the end", 2, 1);
	EXPECT_BAD(buf, vdev + 28 + 20, "entry[1].num_of_vrings",
		   "vrings run past the end", 2, 1);
	EXPECT_BAD(buf, vdev + 28 + 3, "entry[1].num_of_vrings",
		   "vrings run past the end", 2, 1);
	/* Exactly the fixed part and no vrings is fine. */
	buf[vdev + 25] = 0;
	CHECK_EQ(validate_copy(buf, vdev + 28, NULL), 0);
}

HIPC_TEST(truncated_vdev_config)
{
	uint8_t buf[256];
	size_t vdev, size;

	size = build_vdev_last(buf, sizeof(buf), 2, 12, &vdev);
	CHECK_EQ(size, vdev + 68 + 12);
	CHECK_EQ(validate_copy(buf, size, NULL), 0);
	EXPECT_BAD(buf, size - 1, "entry[1].config_len",
		   "config space runs past the end", 12, 1);
	EXPECT_BAD(buf, vdev + 68, "entry[1].config_len",
		   "config space runs past the end", 12, 1);
	/* A config_len that would wrap a 32-bit sum. */
	wr32(buf + vdev + 20, 0xfffffff0u);
	EXPECT_BAD(buf, size, "entry[1].config_len",
		   "config space runs past the end", 0xfffffff0u, 1);
	CHECK(hipc_rsc_entry_size(HIPC_RSC_VDEV, buf + vdev) >= 68);
}

HIPC_TEST(vring_count_mismatch)
{
	struct std_table t;

	build_std(&t);
	/*
	 * The vdev says 2 vrings but the hipc entry starts after one: the
	 * host would write vring addresses over its neighbour.
	 */
	wr32(t.buf + 16 + 2 * 4, (uint32_t)(t.vdev + 28 + 20));
	memmove(t.buf + t.vdev + 48, t.buf + t.cfg, 16 + 48);
	wr32(t.buf + 16 + 3 * 4, (uint32_t)(t.trace - 20));
	CHECK_EQ(validate_copy(t.buf, t.size - 20, NULL), -HIPC_EBADMSG);
	EXPECT_BAD(t.buf, t.size - 20, "entry[1].num_of_vrings",
		   "vrings run into the next entry", 2, 1);
	/* With the count fixed, the same bytes are a valid one-vring vdev. */
	t.buf[t.vdev + 25] = 1;
	CHECK_EQ(validate_copy(t.buf, t.size - 20, NULL), 0);
	/* Config space overlapping the next entry is caught the same way. */
	wr32(t.buf + t.vdev + 20, 4);
	EXPECT_BAD(t.buf, t.size - 20, "entry[1].config_len",
		   "config space runs into the next entry", 4, 1);
	/* More vrings than Linux gives a vdev. */
	wr32(t.buf + t.vdev + 20, 0);
	t.buf[t.vdev + 25] = 3;
	EXPECT_BAD(t.buf, t.size - 20, "entry[1].num_of_vrings",
		   "at most 2", 3, 1);
}

HIPC_TEST(entry_runs_into_next)
{
	struct std_table t;

	build_std(&t);
	/* The carveout's 56 bytes would cover the vdev's first 8. */
	wr32(t.buf + 16 + 1 * 4, (uint32_t)(t.vdev - 8));
	EXPECT_BAD(t.buf, t.size, "offset[0]",
		   "carveout (56 bytes) runs into the next entry", t.carveout, 0);
}

HIPC_TEST(vring_align_zero)
{
	struct std_table t;

	build_std(&t);
	wr32(t.buf + t.vdev + 28 + 4, 0);
	EXPECT_BAD(t.buf, t.size, "entry[1].vring[0].align", "must be non-zero",
		   0, 1);
}

HIPC_TEST(vring_align_not_pow2)
{
	struct std_table t;

	build_std(&t);
	wr32(t.buf + t.vdev + 48 + 4, 24);
	EXPECT_BAD(t.buf, t.size, "entry[1].vring[1].align",
		   "must be a power of two", 24, 1);
}

HIPC_TEST(vring_num_bad)
{
	struct std_table t;

	build_std(&t);
	wr32(t.buf + t.vdev + 48 + 8, 100);
	EXPECT_BAD(t.buf, t.size, "entry[1].vring[1].num",
		   "must be a power of two", 100, 1);
	wr32(t.buf + t.vdev + 48 + 8, 0);
	EXPECT_BAD(t.buf, t.size, "entry[1].vring[1].num", "must be non-zero",
		   0, 1);
	wr32(t.buf + t.vdev + 48 + 8, 65536);
	EXPECT_BAD(t.buf, t.size, "entry[1].vring[1].num", "at most 32768",
		   65536, 1);
	wr32(t.buf + t.vdev + 48 + 8, 32768);
	CHECK_EQ(validate_copy(t.buf, t.size, NULL), 0);
	wr32(t.buf + t.vdev + 28 + 8, 3);
	EXPECT_BAD(t.buf, t.size, "entry[1].vring[0].num",
		   "must be a power of two", 3, 1);
}

HIPC_TEST(name_without_nul)
{
	struct std_table t;

	build_std(&t);
	memset(t.buf + t.carveout + 24, 'A', 32);
	EXPECT_BAD(t.buf, t.size, "entry[0].name", "NUL-terminated", 32, 0);
	t.buf[t.carveout + 24 + 31] = 0;
	CHECK_EQ(validate_copy(t.buf, t.size, NULL), 0);
	memset(t.buf + t.trace + 16, 'B', 32);
	EXPECT_BAD(t.buf, t.size, "entry[3].name", "NUL-terminated", 32, 3);
}

HIPC_TEST(entry_reserved_nonzero)
{
	struct std_table t;

	build_std(&t);
	t.buf[t.vdev + 27] = 1;
	EXPECT_BAD(t.buf, t.size, "entry[1].reserved", "must be 0", 0x100, 1);
	t.buf[t.vdev + 27] = 0;
	wr32(t.buf + t.carveout + 20, 5);
	EXPECT_BAD(t.buf, t.size, "entry[0].reserved", "must be 0", 5, 0);
	wr32(t.buf + t.carveout + 20, 0);
	wr32(t.buf + t.trace + 12, 6);
	EXPECT_BAD(t.buf, t.size, "entry[3].reserved", "must be 0", 6, 3);
	wr32(t.buf + t.trace + 12, 0);
	wr32(t.buf + t.cfg + 12, 7);
	EXPECT_BAD(t.buf, t.size, "entry[2].reserved[1]", "must be 0", 7, 2);
}

HIPC_TEST(hipc_vendor_entry_bad)
{
	uint8_t buf[256];
	size_t off, size;

	/* hipc's entry has a known size even though it is in the vendor range */
	size = build_pair(buf, sizeof(buf), HIPC_RSC_HIPC_RPMSG, &off);
	CHECK_EQ(size, off + 16);
	EXPECT_BAD(buf, size - 1, "offset[1]", "hipc rpmsg entry (16 bytes)",
		   off, 1);
	wr32(buf + off + 4, 16);
	EXPECT_BAD(buf, size, "entry[1].buf_size", "between 32 and 65536", 16,
		   1);
	wr32(buf + off + 4, 65537);
	EXPECT_BAD(buf, size, "entry[1].buf_size", "between 32 and 65536",
		   65537, 1);
}

/* --- builder ---------------------------------------------------------------- */

/* The standard table's adds, unchecked: the finish reports the first error. */
static int build_into(uint8_t *buf, size_t cap, size_t *size)
{
	struct hipc_rsc_builder b;

	hipc_rsc_builder_init(&b, buf, cap, 4);
	hipc_rsc_add_carveout(&b, 0x20000000, 0x8000, "vdev0buffer", NULL);
	hipc_rsc_add_vdev(&b, HIPC_VIRTIO_ID_RPMSG, HIPC_RSC_F_NS, 2, 256, 16, 0,
			  NULL);
	hipc_rsc_add_hipc_rpmsg(&b, 512, NULL);
	hipc_rsc_add_trace(&b, HIPC_FW_RSC_ADDR_ANY, 4096, "trace0", NULL);
	return hipc_rsc_builder_finish(&b, size);
}

HIPC_TEST(builder_out_of_space)
{
	struct std_table t;
	struct hipc_rsc_builder b;
	uint8_t buf[256];
	size_t off;

	build_std(&t);
	/* Every capacity below the table's size fails cleanly, and only those. */
	for (size_t cap = 0; cap <= t.size + 8; cap++) {
		uint8_t *heap = malloc(cap ? cap : 1);
		size_t size = 0;
		int r;

		CHECK(heap != NULL);
		r = build_into(heap, cap, &size);
		if (cap < t.size) {
			CHECK_EQ(r, -HIPC_ENOSPC);
			CHECK_EQ(size, 0); /* untouched on failure */
		} else {
			CHECK_EQ(r, 0);
			CHECK_EQ(size, t.size);
			CHECK(memcmp(heap, t.buf, t.size) == 0);
		}
		free(heap);
	}

	/* Sticky: after a failure every add and finish report it. */
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, 16 + 4 + 40, 1), 0);
	CHECK_EQ(hipc_rsc_add_carveout(&b, 0, 16, "x", NULL), -HIPC_ENOSPC);
	CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 512, NULL), -HIPC_ENOSPC);
	CHECK_EQ(hipc_rsc_builder_finish(&b, NULL), -HIPC_ENOSPC);

	/* More entries than reserved offsets. */
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 1), 0);
	CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 512, &off), 0);
	CHECK_EQ(off, 20);
	CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 512, &off), -HIPC_ENOSPC);
	CHECK_EQ(hipc_rsc_builder_finish(&b, NULL), -HIPC_ENOSPC);

	/* Header alone does not fit. */
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, 19, 1), -HIPC_ENOSPC);
	CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 512, NULL), -HIPC_ENOSPC);
	CHECK_EQ(hipc_rsc_builder_finish(&b, NULL), -HIPC_ENOSPC);
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, 8, 0xffffffffu), -HIPC_ENOSPC);
}

HIPC_TEST(builder_rejects_invalid)
{
	struct hipc_rsc_builder b;
	uint8_t buf[256];
	char name[40];
	size_t off = 0, size = 0;

	/* A 32-byte name would lose its NUL: refuse rather than truncate. */
	memset(name, 'n', 32);
	name[32] = 0;
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 4), 0);
	CHECK_EQ(hipc_rsc_add_carveout(&b, 0, 16, name, NULL), -HIPC_EINVAL);
	CHECK_EQ(hipc_rsc_add_trace(&b, 0, 16, "ok", NULL), -HIPC_EINVAL);
	CHECK_EQ(hipc_rsc_builder_finish(&b, NULL), -HIPC_EINVAL);

	/* 31 characters is the longest name. */
	name[31] = 0;
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 4), 0);
	CHECK_EQ(hipc_rsc_add_carveout(&b, 0, 16, name, &off), 0);
	CHECK(off > 0);
	CHECK_EQ(hipc_rsc_add_trace(&b, 0, 16, NULL, &off), 0);
	CHECK(off > 0);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &size), 0);
	CHECK(size > off);
	CHECK_EQ(validate_copy(buf, size, NULL), 0);

	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 4), 0);
	CHECK_EQ(hipc_rsc_add_vdev(&b, 7, 0, 2, 100, 16, 0, NULL), -HIPC_EINVAL);
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 4), 0);
	CHECK_EQ(hipc_rsc_add_vdev(&b, 7, 0, 2, 64, 0, 0, NULL), -HIPC_EINVAL);
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 4), 0);
	CHECK_EQ(hipc_rsc_add_vdev(&b, 7, 0, 3, 64, 16, 0, NULL), -HIPC_EINVAL);
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 4), 0);
	CHECK_EQ(hipc_rsc_add_vdev(&b, 7, 0, 2, 64, 16, 0xffffffffu, NULL),
		 -HIPC_ENOSPC);
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 4), 0);
	CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 16, NULL), -HIPC_EINVAL);
	CHECK_EQ(hipc_rsc_builder_init(&b, NULL, 64, 1), -HIPC_EINVAL);
	CHECK_EQ(hipc_rsc_builder_finish(&b, NULL), -HIPC_EINVAL);

	/* A vdev with config space leaves the next entry 4-aligned. */
	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 2), 0);
	CHECK_EQ(hipc_rsc_add_vdev(&b, 7, 0, 2, 64, 16, 5, &off), 0);
	CHECK_EQ(off, 24);
	CHECK_EQ(hipc_rsc_add_hipc_rpmsg(&b, 512, &off), 0);
	CHECK_EQ(off, 24 + 68 + 8);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &size), 0);
	CHECK_EQ(size, 24 + 68 + 8 + 16);
	CHECK_EQ(validate_copy(buf, 24 + 68 + 8 + 16, NULL), 0);
}

/*
 * Whatever bytes the table holds, validation never reads outside it, and a
 * table it accepts has every known entry inside the table.
 */
HIPC_TEST(mutations_stay_in_bounds)
{
	struct std_table t;
	uint32_t seed = 12345;
	unsigned accepted = 0;

	build_std(&t);
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t *copy;
		size_t size = t.size;
		uint32_t num, type;
		size_t off;
		int nmut;

		copy = malloc(t.size);
		CHECK(copy != NULL);
		memcpy(copy, t.buf, t.size);
		seed = seed * 1103515245u + 12345u;
		nmut = 1 + (int)(seed >> 16) % 3;
		for (int m = 0; m < nmut; m++) {
			seed = seed * 1103515245u + 12345u;
			off = (seed >> 8) % t.size;
			seed = seed * 1103515245u + 12345u;
			/* Small values hit offsets, counts and types more often. */
			copy[off] = (seed >> 24) & 1 ? (uint8_t)(seed >> 16)
						     : (uint8_t)((seed >> 16) % 8);
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 4 == 0)
			size = (seed >> 4) % (t.size + 1);

		if (hipc_rsc_validate(copy, size, NULL) == 0) {
			accepted++;
			num = rd32(copy + 4);
			for (uint32_t i = 0; i < num; i++) {
				size_t es;

				CHECK_EQ(hipc_rsc_entry(copy, size, i, &type,
							&off), 0);
				CHECK(off + 4 <= size);
				es = hipc_rsc_entry_size(type, copy + off);
				CHECK(es <= size - off);
			}
		}
		free(copy);
	}
	/* Some mutations (names, addresses) are harmless: both paths ran. */
	CHECK(accepted > 0);
}

HIPC_TEST_MAIN(HIPC_CASE(builder_roundtrip), HIPC_CASE(macro_table_roundtrip),
	       HIPC_CASE(empty_table), HIPC_CASE(unaligned_table_and_offsets),
	       HIPC_CASE(vendor_entries_accepted), HIPC_CASE(bad_size),
	       HIPC_CASE(bad_version), HIPC_CASE(bad_reserved),
	       HIPC_CASE(num_overflows_table), HIPC_CASE(offset_past_end),
	       HIPC_CASE(offset_into_header), HIPC_CASE(unknown_type),
	       HIPC_CASE(truncated_carveout), HIPC_CASE(truncated_trace),
	       HIPC_CASE(truncated_vdev), HIPC_CASE(truncated_vdev_vrings),
	       HIPC_CASE(truncated_vdev_config), HIPC_CASE(vring_count_mismatch),
	       HIPC_CASE(entry_runs_into_next), HIPC_CASE(vring_align_zero),
	       HIPC_CASE(vring_align_not_pow2), HIPC_CASE(vring_num_bad),
	       HIPC_CASE(name_without_nul), HIPC_CASE(entry_reserved_nonzero),
	       HIPC_CASE(hipc_vendor_entry_bad), HIPC_CASE(builder_out_of_space),
	       HIPC_CASE(builder_rejects_invalid),
	       HIPC_CASE(mutations_stay_in_bounds))
