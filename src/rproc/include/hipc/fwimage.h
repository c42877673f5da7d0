/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Firmware images (Linux side): read an ELF file, find its .resource_table
 * section and validate the table in it; print a table for people.
 *
 * ELF32 and ELF64, little-endian, any machine.  Every offset and size in the
 * file is treated as untrusted: a bad image gets an error code and a one-line
 * message naming what is wrong, never an out-of-bounds read.
 */
#ifndef HIPC_FWIMAGE_H
#define HIPC_FWIMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hipc/export.h"
#include "hipc/rsc.h"

struct hipc_fwimage {
	uint8_t *data;     /* the whole file, owned (malloc) */
	size_t size;
	unsigned elf_class; /* 32 or 64 */
	uint16_t machine;  /* e_machine: EM_X86_64, EM_ARM, ... */
	uint64_t entry;    /* e_entry */
	size_t rsc_off;    /* .resource_table: file offset ... */
	size_t rsc_size;   /* ... size ... */
	uint64_t rsc_addr; /* ... and sh_addr (where the remote sees it) */
};

/**
 * hipc_fwimage_load() - read the file at @path and parse it as
 * hipc_fwimage_parse() does.
 * @err: optional buffer for a one-line message (no trailing newline).
 * @retval 0 @img filled; release it with hipc_fwimage_release()
 * @retval -HIPC_ENOENT the file does not exist, or has no .resource_table
 * @retval -HIPC_EACCES the file cannot be read (permissions)
 * @retval -HIPC_EINVAL @path is not a regular file
 * @retval -HIPC_ENOMEM out of memory, or the file is unreasonably large
 * @retval -HIPC_EIO read error
 * @retval -HIPC_ENOTDIR, -HIPC_ELOOP, -HIPC_ENAMETOOLONG, -HIPC_EMFILE,
 *         -HIPC_ENXIO, ... open() failed otherwise (as an hipc code)
 * @retval -HIPC_ENOEXEC not a usable ELF image (see @err)
 * @retval -HIPC_EBADMSG the resource table is invalid (see @err)
 * On failure @img is zeroed and owns nothing.
 * Context: blocking file I/O; thread-safe (no shared state).
 */
HIPC_API int hipc_fwimage_load(struct hipc_fwimage *img, const char *path,
			       char *err, size_t errlen);

/**
 * hipc_fwimage_parse() - parse an image held in memory; @data is copied.
 * @retval 0 @img filled
 * @retval -HIPC_EINVAL @img or @data is NULL
 * @retval -HIPC_ENOMEM no memory for the copy
 * @retval -HIPC_ENOEXEC not an ELF file, big-endian, truncated, or its
 *         section headers or string table are inconsistent
 * @retval -HIPC_ENOENT no .resource_table section
 * @retval -HIPC_EBADMSG the resource table is invalid
 * Context: any thread; does not block.
 */
HIPC_API int hipc_fwimage_parse(struct hipc_fwimage *img, const void *data,
				size_t size, char *err, size_t errlen);

/** hipc_fwimage_release() - free @img's copy; @img is zeroed.  NULL is ok. */
HIPC_API void hipc_fwimage_release(struct hipc_fwimage *img);

/** hipc_fwimage_rsc() - the table inside @img (rsc_size bytes), or NULL. */
HIPC_API const void *hipc_fwimage_rsc(const struct hipc_fwimage *img);

/** hipc_fwimage_machine_name() - "x86-64", "ARM", ...; NULL if unknown. */
HIPC_API const char *hipc_fwimage_machine_name(uint16_t machine);

/**
 * hipc_rsc_error_format() - "entry[0].vring[1].num = 100: must be a power
 * of two" into @buf (always NUL-terminated when @len > 0).
 * Return: the length snprintf() would have produced.
 */
HIPC_API int hipc_rsc_error_format(char *buf, size_t len,
				   const struct hipc_rsc_error *e);

/**
 * hipc_rsc_print() - print every entry of @table, decoded, for people.
 * The table is validated first; an invalid one is reported (one line) and
 * not printed.
 * @retval 0 printed
 * @retval -HIPC_EBADMSG invalid table (the reason was printed)
 * @retval -HIPC_EIO writing to @out failed
 * Context: blocking stdio.
 */
HIPC_API int hipc_rsc_print(FILE *out, const void *table, size_t size);

#endif
