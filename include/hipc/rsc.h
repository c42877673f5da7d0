/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * remoteproc resource table, version 1, as Linux's remoteproc and OpenAMP
 * read it: build, parse, validate.  All fields little-endian.
 *
 *   ver u32, num u32, reserved u32[2], offset u32[num]; each entry at its
 *   offset starts with type u32.
 */
#ifndef HIPC_RSC_H
#define HIPC_RSC_H

#include <stddef.h>
#include <stdint.h>

#include "hipc/export.h"

#define HIPC_RSC_CARVEOUT 0u
#define HIPC_RSC_DEVMEM 1u
#define HIPC_RSC_TRACE 2u
#define HIPC_RSC_VDEV 3u
#define HIPC_RSC_VENDOR_START 128u
#define HIPC_RSC_VENDOR_END 512u
/* hipc's own vendor entry: rpmsg buffer geometry (Linux ignores it). */
#define HIPC_RSC_HIPC_RPMSG 200u
/* hipc's own vendor entry: a big-buffer pool (hipc/bufpool.h). */
#define HIPC_RSC_HIPC_POOL 201u

#define HIPC_VIRTIO_ID_RPMSG 7u
#define HIPC_FW_RSC_ADDR_ANY 0xFFFFFFFFu

#define HIPC_VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define HIPC_VIRTIO_STATUS_DRIVER 0x02u
#define HIPC_VIRTIO_STATUS_DRIVER_OK 0x04u
#define HIPC_VIRTIO_STATUS_FEATURES_OK 0x08u
#define HIPC_VIRTIO_STATUS_NEEDS_RESET 0x40u
#define HIPC_VIRTIO_STATUS_FAILED 0x80u

#define HIPC_RSC_NAME_SIZE 32

struct hipc_rsc_hdr {
	uint32_t ver;
	uint32_t num;
	uint32_t reserved[2];
	uint32_t offset[];
} __attribute__((packed));

struct hipc_rsc_carveout {
	uint32_t type;
	uint32_t da;
	uint32_t pa;
	uint32_t len;
	uint32_t flags;
	uint32_t reserved;
	char name[HIPC_RSC_NAME_SIZE];
} __attribute__((packed));

struct hipc_rsc_devmem {
	uint32_t type;
	uint32_t da;
	uint32_t pa;
	uint32_t len;
	uint32_t flags;
	uint32_t reserved;
	char name[HIPC_RSC_NAME_SIZE];
} __attribute__((packed));

struct hipc_rsc_trace {
	uint32_t type;
	uint32_t da;
	uint32_t len;
	uint32_t reserved;
	char name[HIPC_RSC_NAME_SIZE];
} __attribute__((packed));

struct hipc_rsc_vring {
	uint32_t da;
	uint32_t align;
	uint32_t num;
	uint32_t notifyid;
	uint32_t pa;
} __attribute__((packed));

#define HIPC__RSC_VDEV_FIELDS                                                \
	uint32_t type;                                                       \
	uint32_t id;                                                         \
	uint32_t notifyid;                                                   \
	uint32_t dfeatures;                                                  \
	uint32_t gfeatures;                                                  \
	uint32_t config_len;                                                 \
	uint8_t status;                                                      \
	uint8_t num_of_vrings;                                               \
	uint8_t reserved[2]

struct hipc_rsc_vdev {
	HIPC__RSC_VDEV_FIELDS;
	struct hipc_rsc_vring vring[];
} __attribute__((packed));

/* The same fixed part without the flexible array, for embedding. */
struct hipc_rsc_vdev_hdr {
	HIPC__RSC_VDEV_FIELDS;
} __attribute__((packed));

/* Vendor entry 200: buffer size for the rpmsg vdev that precedes it. */
struct hipc_rsc_hipc_rpmsg {
	uint32_t type;
	uint32_t buf_size;
	uint32_t reserved[2];
} __attribute__((packed));

/*
 * Vendor entry 201: a pool of big buffers the firmware wants.  The host
 * places every pool of a table in a region of their own (not the remote's
 * main region: it outlives the remote's crashes, see docs/bigbuf.md), in
 * table order, each one laid out as hipc/bufpool.h says; nothing is
 * written back.  @pool_id names the pool in references; @host_count of
 * the @count buffers are the host's to fill, the rest the remote's;
 * @buf_size a multiple of @align (a power of two, 8 to 4096).
 */
struct hipc_rsc_hipc_pool {
	uint32_t type;
	uint32_t pool_id;
	uint32_t count;
	uint32_t host_count;
	uint32_t buf_size;
	uint32_t align;
	uint32_t reserved[2];
	char name[HIPC_RSC_NAME_SIZE];
} __attribute__((packed));

_Static_assert(sizeof(struct hipc_rsc_hdr) == 16, "rsc header");
_Static_assert(sizeof(struct hipc_rsc_hipc_pool) == 64, "hipc pool entry");
_Static_assert(sizeof(struct hipc_rsc_carveout) == 56, "carveout");
_Static_assert(sizeof(struct hipc_rsc_devmem) == 56, "devmem");
_Static_assert(sizeof(struct hipc_rsc_trace) == 48, "trace");
_Static_assert(sizeof(struct hipc_rsc_vring) == 20, "vdev vring");
_Static_assert(sizeof(struct hipc_rsc_vdev) == 28, "vdev");
_Static_assert(sizeof(struct hipc_rsc_vdev_hdr) == 28, "vdev header");
_Static_assert(offsetof(struct hipc_rsc_vdev, status) == 24, "vdev status");
_Static_assert(offsetof(struct hipc_rsc_vdev, vring) == 28, "vdev vrings");
_Static_assert(offsetof(struct hipc_rsc_carveout, name) == 24, "carveout name");
_Static_assert(sizeof(struct hipc_rsc_hipc_rpmsg) == 16, "hipc rpmsg entry");

/*
 * What a validation failure was about, for messages that name the field.
 * @field points into @field_buf of the same struct (names carry indices and
 * the core has no other storage): copy the struct with memcpy and re-point,
 * or just format the message before the struct goes away.
 */
#define HIPC_RSC_FIELD_MAX 48

struct hipc_rsc_error {
	const char *field;  /* e.g. "ver", "offset[2]", "entry[0].vring[1].num" */
	const char *reason; /* e.g. "must be 1" */
	uint32_t value;     /* the offending value */
	int entry;          /* entry index, -1 for the header */
	char field_buf[HIPC_RSC_FIELD_MAX];
};

/**
 * hipc_rsc_validate() - check a table as Linux's loader does, and more:
 * version 1, reserved words 0, every offset and every entry (with its
 * trailing vrings and config space) inside @size, known types (vendor range
 * allowed), vring num a power of two, align non-zero and a power of two,
 * vring count matching the vdev's num_of_vrings, names NUL-terminated.
 * Also, as Linux's handlers do: entry reserved fields 0, at most 2 vrings per
 * vdev; and beyond Linux: vring num <= 32768, no offset into the header or
 * offset array, no entry running into the entry that follows it, hipc's
 * entry 200 complete with buf_size 32..65536.  Offsets need not be aligned.
 * @err: optional; filled on failure.
 * @retval 0 valid
 * @retval -HIPC_EBADMSG invalid (see @err)
 * Context: any; pure.
 */
HIPC_API int hipc_rsc_validate(const void *table, size_t size,
			       struct hipc_rsc_error *err);

/**
 * hipc_rsc_entry() - type, offset and length of entry @i of a table that
 * passed hipc_rsc_validate() (length: up to the next entry or the end).
 * @type, @off: optional.
 * @retval 0, -HIPC_ERANGE (@i >= num)
 * @retval -HIPC_EBADMSG the header or offset is out of bounds (an
 *         unvalidated table; checked so a mistake cannot overrun)
 */
HIPC_API int hipc_rsc_entry(const void *table, size_t size, unsigned i,
			    uint32_t *type, size_t *off);

/**
 * hipc_rsc_find() - the @nth entry (from 0) of @type in a table that passed
 * hipc_rsc_validate().
 * @off: optional; the entry's offset from the start of the table.
 * @retval 0 found (*@off set)
 * @retval -HIPC_ENOENT the table has fewer than @nth + 1 such entries
 * @retval -HIPC_EBADMSG the header or an offset is out of bounds (an
 *         unvalidated table)
 * Context: any; pure.
 */
HIPC_API int hipc_rsc_find(const void *table, size_t size, uint32_t type,
			   unsigned nth, size_t *off);

/**
 * hipc_rsc_entry_size() - the bytes an entry of @type takes, including the
 * vdev's vrings and config space (read from the entry at @entry, which must
 * have at least the fixed part available: the caller checks).  0 for vendor
 * and unknown types (they carry no length field).
 */
HIPC_API size_t hipc_rsc_entry_size(uint32_t type, const void *entry);

/* --- building a table (host tests, tools, firmware generators) ---------- */


struct hipc_rsc_builder {
	uint8_t *buf;
	size_t cap;
	size_t used;
	unsigned num;
	unsigned max;
	int error;
};

/**
 * hipc_rsc_builder_init() - start a table of at most @max_entries in @buf
 * (@cap bytes); header and offsets reserved.
 * @retval 0 ready for the adds
 * @retval -HIPC_EINVAL NULL @b or @buf
 * @retval -HIPC_ENOSPC @cap cannot hold the header and @max_entries offsets
 * Errors are sticky: every later add and the finish return the first one.
 * Context: any; pure.
 */
HIPC_API int hipc_rsc_builder_init(struct hipc_rsc_builder *b, void *buf,
				   size_t cap, unsigned max_entries);
/*
 * Append an entry (vdev: its vrings follow, filled by hipc_rsc_add_vdev).
 * @off: optional; the new entry's offset from the start of the table.
 * @retval 0 added (*@off set)
 * @retval -HIPC_ENOSPC no room left in the buffer or the offset array
 * @retval -HIPC_EINVAL NULL @b, a name of HIPC_RSC_NAME_SIZE characters or
 *         more (never truncated), vrings hipc_rsc_validate() would refuse
 *         (more than 2, num not a power of two or > 32768, align not a
 *         power of two), buf_size outside 32..65536
 * or the builder's first error, if an earlier call failed (sticky).
 */
HIPC_API int hipc_rsc_add_carveout(struct hipc_rsc_builder *b, uint32_t da,
				   uint32_t len, const char *name,
				   size_t *off);
HIPC_API int hipc_rsc_add_trace(struct hipc_rsc_builder *b, uint32_t da,
				uint32_t len, const char *name, size_t *off);
HIPC_API int hipc_rsc_add_vdev(struct hipc_rsc_builder *b, uint32_t id,
			       uint32_t dfeatures, unsigned num_vrings,
			       uint32_t vring_num, uint32_t vring_align,
			       uint32_t config_len, size_t *off);
HIPC_API int hipc_rsc_add_hipc_rpmsg(struct hipc_rsc_builder *b,
				     uint32_t buf_size, size_t *off);
/**
 * hipc_rsc_builder_finish() - the table's size, once every add succeeded.
 * @size: optional; the bytes the table takes from the start of the buffer.
 * @retval 0 *@size set
 * @retval -HIPC_ENOSPC, -HIPC_EINVAL the first error any call hit (sticky),
 *         or NULL @b
 */
HIPC_API int hipc_rsc_builder_finish(struct hipc_rsc_builder *b,
				     size_t *size);

/* --- declaring a table in firmware -------------------------------------- */

/*
 * The common table: one rpmsg vdev with two vrings, hipc's buffer-size entry
 * and a trace buffer.  HIPC_RSC_TABLE_RPMSG() places it in .resource_table,
 * with every offset computed by the compiler, so it cannot disagree with the
 * struct.
 */
struct hipc_rsc_table_rpmsg {
	uint32_t ver;
	uint32_t num;
	uint32_t reserved[2];
	uint32_t offset[3];
	struct hipc_rsc_vdev_hdr vdev;
	struct hipc_rsc_vring vring[2];
	struct hipc_rsc_hipc_rpmsg cfg;
	struct hipc_rsc_trace trace;
} __attribute__((packed));

/*
 * Features a firmware offers in its vdev's dfeatures (the @feat argument
 * of the macros below).
 *
 * HIPC_RSC_F_NS: VIRTIO_RPMSG_F_NS, the name service.  What a firmware
 * offers normally: HIPC_RSC_F_NS and nothing else.
 *
 * HIPC_RSC_F_EVENT_IDX: VIRTIO_RING_F_EVENT_IDX, notification suppression
 * by event index (a burst costs one doorbell).  Only for a firmware whose
 * hosts are known to maintain used_event: Linux's virtio_rpmsg_bus and
 * hipc's own driver role do.  OpenAMP's driver role acknowledges every
 * feature offered yet never writes used_event, which stays 0; a device
 * obeying it rings once and then never again, and that host waits
 * forever.  Offer it only when the host is known (docs/rproc.md,
 * "Interoperating with OpenAMP hosts").
 */
#define HIPC_RSC_F_NS (1u << 0)
#define HIPC_RSC_F_EVENT_IDX (1u << 29)
/*
 * HIPC_RSC_F_CRC: hipc's per-message CRC32C (HIPC_RPMSG_F_CRC, bit 8), for
 * endpoints that turn it on (hipc_rpmsg_ept_set_crc()).  Safe to offer to
 * any host: Linux and OpenAMP never accept a bit they do not know, and
 * then no message carries a CRC.
 */
#define HIPC_RSC_F_CRC (1u << 8)

/*
 * @var: the table's name; @vnum: buffers per direction (power of two);
 * @bufsz: bytes per buffer; @trace_len: trace ring size (0 = none), placed
 * by the host (da ANY, as the host simulation does);
 * @feat: dfeatures: HIPC_RSC_F_NS, plus HIPC_RSC_F_EVENT_IDX only for
 * hosts that maintain used_event (see above).
 */
#define HIPC__RSC_TABLE_RPMSG(var, vnum, bufsz, trace_da, trace_len, feat)    \
	_Static_assert(((vnum) & ((vnum) - 1)) == 0 && (vnum) > 0,            \
		       "vring num must be a power of two");                   \
	_Static_assert((bufsz) >= 32 && (bufsz) <= 65536, "buffer size");      \
	__attribute__((section(".resource_table"), used, aligned(8)))          \
	struct hipc_rsc_table_rpmsg var = {                                   \
		.ver = 1,                                                      \
		.num = 3,                                                      \
		.offset = {                                                    \
			offsetof(struct hipc_rsc_table_rpmsg, vdev),           \
			offsetof(struct hipc_rsc_table_rpmsg, cfg),            \
			offsetof(struct hipc_rsc_table_rpmsg, trace),          \
		},                                                             \
		.vdev = { .type = HIPC_RSC_VDEV, .id = HIPC_VIRTIO_ID_RPMSG,   \
			  .dfeatures = (feat), .num_of_vrings = 2 },           \
		.vring = {                                                     \
			{ .da = HIPC_FW_RSC_ADDR_ANY, .align = 16,             \
			  .num = (vnum), .notifyid = HIPC_FW_RSC_ADDR_ANY },   \
			{ .da = HIPC_FW_RSC_ADDR_ANY, .align = 16,             \
			  .num = (vnum), .notifyid = HIPC_FW_RSC_ADDR_ANY },   \
		},                                                             \
		.cfg = { .type = HIPC_RSC_HIPC_RPMSG, .buf_size = (bufsz) },   \
		.trace = { .type = HIPC_RSC_TRACE, .da = (trace_da),            \
			   .len = (trace_len), .name = "trace0" },             \
	}

#define HIPC_RSC_TABLE_RPMSG(var, vnum, bufsz, trace_len, feat)               \
	HIPC__RSC_TABLE_RPMSG(var, vnum, bufsz, HIPC_FW_RSC_ADDR_ANY,         \
			      trace_len, feat)

/*
 * The same with the trace buffer at a fixed place: for an MCU image on a
 * real board, where the trace buffer is an array in the firmware and Linux
 * reads it through its device address (Linux cannot allocate it: with da
 * ANY its debugfs trace file has nothing to show).  @trace_buf is that
 * array; its address is the device address, which needs a 32-bit target
 * (on a 64-bit host the initializer is rejected at compile time).
 */
#define HIPC_RSC_TABLE_RPMSG_TRACE_AT(var, vnum, bufsz, trace_buf, feat)      \
	HIPC__RSC_TABLE_RPMSG(var, vnum, bufsz,                               \
			      (uint32_t)(uintptr_t)(trace_buf),                \
			      sizeof(trace_buf), feat)

#endif
