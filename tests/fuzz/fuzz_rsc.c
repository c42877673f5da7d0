/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for resource tables: the input is a table as a firmware
 * image would carry it.  hipc_rsc_validate() judges it; the walkers
 * (hipc_rsc_entry, hipc_rsc_find) run on it whatever the verdict, since
 * they promise not to overrun an unvalidated table either; a table that
 * passed is printed (hipc_rsc_print).
 *
 * Asserted besides "no crash": every offset a walker reports leaves room
 * for the entry's type inside the input; once validation passed, every
 * entry lies past the header and its offset array, whole (vrings and
 * config space included) inside the input, and hipc_rsc_find() finds each
 * entry where hipc_rsc_entry() says it is; a refusal names a field and a
 * reason that hipc_rsc_error_format() can print.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/fwimage.h"
#include "hipc/rsc.h"

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_rsc:%d: %s\n", __LINE__, #c);   \
			abort();                                              \
		}                                                             \
	} while (0)

static FILE *devnull;

/* The walkers on any input: whatever they report must be inside it. */
static void walk(const uint8_t *t, size_t size)
{
	uint32_t type;
	size_t off;

	for (unsigned i = 0; i < 70; i++) {
		int rc = hipc_rsc_entry(t, size, i, &type, &off);

		if (rc == 0)
			CHECK(off <= size && size - off >= 4);
		else
			CHECK(rc == -HIPC_ERANGE || rc == -HIPC_EBADMSG);
	}
	for (uint32_t ty = 0; ty < 4; ty++) {
		int rc = hipc_rsc_find(t, size, ty, 0, &off);

		if (rc == 0)
			CHECK(off <= size && size - off >= 4);
		else
			CHECK(rc == -HIPC_ENOENT || rc == -HIPC_EBADMSG);
	}
}

static void check_valid(const uint8_t *t, size_t size)
{
	uint32_t num = hipc_get_le32(t + 4), type, found[HIPC_RSC_VENDOR_END];
	size_t hdr_end = 16 + 4 * (size_t)num, off, len, at;

	CHECK(hdr_end <= size);
	memset(found, 0, sizeof(found));
	for (uint32_t i = 0; i < num; i++) {
		CHECK(hipc_rsc_entry(t, size, i, &type, &off) == 0);
		CHECK(off >= hdr_end && off <= size && size - off >= 4);
		CHECK(type < HIPC_RSC_VENDOR_END);
		switch (type) {
		case HIPC_RSC_VDEV:
			CHECK(size - off >= sizeof(struct hipc_rsc_vdev));
			CHECK(t[off + offsetof(struct hipc_rsc_vdev,
					       num_of_vrings)] <= 2);
			/* fall through */
		case HIPC_RSC_CARVEOUT:
		case HIPC_RSC_DEVMEM:
		case HIPC_RSC_TRACE:
			len = hipc_rsc_entry_size(type, t + off);
			CHECK(len > 0 && len <= size - off);
			break;
		case HIPC_RSC_HIPC_RPMSG:
			CHECK(size - off >= sizeof(struct hipc_rsc_hipc_rpmsg));
			len = hipc_get_le32(t + off + 4);
			CHECK(len >= 32 && len <= 65536);
			break;
		default:
			CHECK(type >= HIPC_RSC_VENDOR_START);
			break;
		}
		/* The nth entry of its type is this one. */
		CHECK(hipc_rsc_find(t, size, type, found[type]++, &at) == 0);
		CHECK(at == off);
	}
	CHECK(hipc_rsc_entry(t, size, num, NULL, NULL) == -HIPC_ERANGE);
	CHECK(hipc_rsc_print(devnull, t, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hipc_rsc_error err;
	char msg[256];
	int rc;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		CHECK(devnull);
	}
	rc = hipc_rsc_validate(data, size, &err);
	walk(data, size);
	if (rc == 0) {
		check_valid(data, size);
		return 0;
	}
	CHECK(rc == -HIPC_EBADMSG);
	CHECK(err.field && err.reason && strlen(err.field) < HIPC_RSC_FIELD_MAX);
	CHECK(hipc_rsc_error_format(msg, sizeof(msg), &err) > 0);
	CHECK(hipc_rsc_print(devnull, data, size) == -HIPC_EBADMSG);
	return 0;
}
