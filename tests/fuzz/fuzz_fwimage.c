/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for firmware images: the input is an ELF file.  It is
 * parsed from memory (hipc_fwimage_parse) and loaded from a file
 * (hipc_fwimage_load of a memfd through /proc/self/fd), and a table found
 * in it is printed.
 *
 * Asserted besides "no crash": both ways give the same verdict and the
 * same image; an accepted image's .resource_table lies inside the input,
 * hipc_fwimage_rsc() points at it, and it passes hipc_rsc_validate(); a
 * refused one leaves the image empty and a one-line message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/fwimage.h"
#include "hipc/rsc.h"

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "fuzz_fwimage:%d: %s\n", __LINE__, #c);\
			abort();                                              \
		}                                                             \
	} while (0)

static FILE *devnull;
static int memfd = -1;
static char path[64];

static void check_refused(const struct hipc_fwimage *img, const char *err)
{
	static const struct hipc_fwimage empty;

	CHECK(memcmp(img, &empty, sizeof(*img)) == 0);
	CHECK(err[0] != '\0' && !strchr(err, '\n'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hipc_fwimage a, b;
	char ea[160] = "", eb[160] = "";
	int ra, rb;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		memfd = memfd_create("fuzz_fwimage", MFD_CLOEXEC);
		CHECK(devnull && memfd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	ra = hipc_fwimage_parse(&a, data, size, ea, sizeof(ea));
	CHECK(ftruncate(memfd, 0) == 0);
	CHECK(pwrite(memfd, data, size, 0) == (ssize_t)size);
	rb = hipc_fwimage_load(&b, path, eb, sizeof(eb));
	CHECK(ra == rb);
	if (ra) {
		CHECK(ra == -HIPC_ENOEXEC || ra == -HIPC_ENOENT ||
		      ra == -HIPC_EBADMSG);
		check_refused(&a, ea);
		check_refused(&b, eb);
		CHECK(strcmp(ea, eb) == 0);
		return 0;
	}
	CHECK(a.size == size && b.size == size);
	CHECK(memcmp(a.data, data, size) == 0 && memcmp(b.data, data, size) == 0);
	CHECK(a.elf_class == b.elf_class && a.machine == b.machine &&
	      a.entry == b.entry && a.rsc_off == b.rsc_off &&
	      a.rsc_size == b.rsc_size && a.rsc_addr == b.rsc_addr);
	CHECK(a.elf_class == 32 || a.elf_class == 64);
	CHECK(a.rsc_off <= size && a.rsc_size <= size - a.rsc_off);
	CHECK(hipc_fwimage_rsc(&a) == a.data + a.rsc_off);
	CHECK(hipc_rsc_validate(hipc_fwimage_rsc(&a), a.rsc_size, NULL) == 0);
	CHECK(hipc_rsc_print(devnull, hipc_fwimage_rsc(&a), a.rsc_size) == 0);
	(void)hipc_fwimage_machine_name(a.machine);
	hipc_fwimage_release(&a);
	hipc_fwimage_release(&b);
	CHECK(hipc_fwimage_rsc(&a) == NULL && a.data == NULL);
	return 0;
}
