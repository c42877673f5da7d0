// SPDX-License-Identifier: BSD-3-Clause
/*
 * Firmware ELF reading: images are generated here (ELF32 and ELF64, section
 * headers before or after the data), then broken one field at a time.  Each
 * broken image must be refused with its own code and a message that says
 * what is wrong.  Also runs the built `hipcctl inspect` on generated files.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hipc/error.h"
#include "hipc/fwimage.h"
#include "hipc/rsc.h"
#include "hipc_test.h"

#ifndef HIPC_BUILD_DIR
#define HIPC_BUILD_DIR "."
#endif

#define EM_ARM_ 40
#define EM_X86_64_ 62
#define SHT_PROGBITS_ 1
#define SHT_STRTAB_ 3
#define SHT_NOBITS_ 8

/* This executable carries a table too: the host toolchain's own output. */
HIPC_RSC_TABLE_RPMSG(test_fw_table, 64, 256, 1024, HIPC_RSC_F_NS);

/* --- a tiny ELF writer ---------------------------------------------------- */

struct elf_opts {
	int cls;          /* 32 or 64 */
	uint16_t machine;
	bool shdrs_first; /* section headers right after the ELF header */
	const void *rsc;
	size_t rsc_size;
};

/* Where the writer put things, so tests can break them precisely. */
struct elf_img {
	uint8_t *buf;
	size_t size;
	size_t ehsize, shentsize;
	size_t shoff;
	size_t text_off, rsc_off, strtab_off, strtab_size;
	size_t shdr_rsc, shdr_strtab, shdr_text; /* file offsets of headers */
	uint32_t name_rsc;                       /* sh_name of the table */
};

/* names: [1] .text  [7] .resource_table  [23] .shstrtab */
static const char strtab[] = "\0.text\0.resource_table\0.shstrtab";
#define NAME_TEXT 1
#define NAME_RSC 7
#define NAME_SHSTRTAB 23

/*
 * Header field offsets by class, written out from the ELF specification
 * rather than taken from <elf.h>, so the reader is checked against an
 * independent statement of the layout.
 */
#define IS32(e) ((e)->ehsize == 52)
#define SH_TYPE_OFF ((size_t)4) /* same in both classes */
#define sh_addr_off(e) ((size_t)(IS32(e) ? 12 : 16))
#define sh_offset_off(e) ((size_t)(IS32(e) ? 16 : 24))
#define sh_size_off(e) ((size_t)(IS32(e) ? 20 : 32))
#define sh_link_off(e) ((size_t)(IS32(e) ? 24 : 40))
#define e_shoff_off(e) ((size_t)(IS32(e) ? 32 : 40))
#define e_shentsize_off(e) ((size_t)(IS32(e) ? 46 : 58))
#define e_shnum_off(e) ((size_t)(IS32(e) ? 48 : 60))
#define e_shstrndx_off(e) ((size_t)(IS32(e) ? 50 : 62))

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* An address-sized field: 4 bytes in ELF32, 8 in ELF64. */
static void put_addr(const struct elf_img *e, uint8_t *p, uint64_t v)
{
	if (IS32(e))
		put32(p, (uint32_t)v);
	else
		put64(p, v);
}

static size_t align8(size_t v)
{
	return (v + 7) & ~(size_t)7;
}


static void write_shdr(struct elf_img *e, unsigned idx, uint32_t name,
		       uint32_t type, uint64_t addr, size_t off, size_t size)
{
	uint8_t *p = e->buf + e->shoff + idx * e->shentsize;

	put32(p, name);
	put32(p + SH_TYPE_OFF, type);
	put_addr(e, p + sh_addr_off(e), addr);
	put_addr(e, p + sh_offset_off(e), off);
	put_addr(e, p + sh_size_off(e), size);
}

static void elf_build(struct elf_img *e, const struct elf_opts *o)
{
	static const uint8_t text[16] = { 0x90, 0x90, 0xc3 };
	size_t pos, nsh = 4;

	memset(e, 0, sizeof(*e));
	e->ehsize = o->cls == 32 ? 52 : 64;
	e->shentsize = o->cls == 32 ? 40 : 64;
	pos = e->ehsize;
	if (o->shdrs_first) {
		e->shoff = align8(pos);
		pos = e->shoff + nsh * e->shentsize;
	}
	e->text_off = pos;
	pos += sizeof(text);
	e->strtab_off = pos;
	e->strtab_size = sizeof(strtab);
	pos += sizeof(strtab);
	e->rsc_off = align8(pos);
	pos = e->rsc_off + o->rsc_size;
	if (!o->shdrs_first) {
		e->shoff = align8(pos);
		pos = e->shoff + nsh * e->shentsize;
	}
	e->size = pos;
	e->buf = calloc(1, e->size);
	CHECK(e->buf != NULL);

	memcpy(e->buf, "\x7f" "ELF", 4);
	e->buf[4] = o->cls == 32 ? 1 : 2; /* EI_CLASS */
	e->buf[5] = 1;                    /* EI_DATA: little-endian */
	e->buf[6] = 1;                    /* EI_VERSION */
	put16(e->buf + 16, 2);            /* ET_EXEC */
	put16(e->buf + 18, o->machine);
	put32(e->buf + 20, 1);
	put_addr(e, e->buf + 24, o->cls == 32 ? 0x08000101u : 0x401000u);
	put_addr(e, e->buf + e_shoff_off(e), e->shoff);
	put16(e->buf + (o->cls == 32 ? 40 : 52), (uint16_t)e->ehsize);
	put16(e->buf + e_shentsize_off(e), (uint16_t)e->shentsize);
	put16(e->buf + e_shnum_off(e), (uint16_t)nsh);
	put16(e->buf + e_shstrndx_off(e), 3);

	memcpy(e->buf + e->text_off, text, sizeof(text));
	memcpy(e->buf + e->strtab_off, strtab, sizeof(strtab));
	memcpy(e->buf + e->rsc_off, o->rsc, o->rsc_size);

	write_shdr(e, 1, NAME_TEXT, SHT_PROGBITS_, 0x1000, e->text_off,
		   sizeof(text));
	write_shdr(e, 2, NAME_RSC, SHT_PROGBITS_, 0x20001000, e->rsc_off,
		   o->rsc_size);
	write_shdr(e, 3, NAME_SHSTRTAB, SHT_STRTAB_, 0, e->strtab_off,
		   sizeof(strtab));
	e->shdr_text = e->shoff + 1 * e->shentsize;
	e->shdr_rsc = e->shoff + 2 * e->shentsize;
	e->shdr_strtab = e->shoff + 3 * e->shentsize;
	e->name_rsc = NAME_RSC;
}

static void elf_free(struct elf_img *e)
{
	free(e->buf);
	e->buf = NULL;
}

/* The standard image: ELF32 ARM or ELF64 x86-64 around the macro table. */
static void elf_std(struct elf_img *e, int cls, bool shdrs_first)
{
	struct elf_opts o = {
		.cls = cls,
		.machine = cls == 32 ? EM_ARM_ : EM_X86_64_,
		.shdrs_first = shdrs_first,
		.rsc = &test_fw_table,
		.rsc_size = sizeof(test_fw_table),
	};

	elf_build(e, &o);
}

static void expect_parse_at(const char *file, int line, const void *data,
			    size_t size, int code, const char *msg)
{
	struct hipc_fwimage img;
	char err[256] = "";
	int ret;

	ret = hipc_fwimage_parse(&img, data, size, err, sizeof(err));
	if (ret != code || (msg && !strstr(err, msg))) {
		printf("%s:%d: expected %d \"...%s...\", got %d \"%s\"\n", file,
		       line, code, msg ? msg : "", ret, err);
		exit(1);
	}
	if (ret == 0)
		hipc_fwimage_release(&img);
	else
		CHECK(img.data == NULL);
}

#define EXPECT_PARSE(d, s, code, msg) \
	expect_parse_at(__FILE__, __LINE__, d, s, code, msg)

static void check_good(const struct elf_img *e, int cls, uint16_t machine)
{
	struct hipc_fwimage img;
	char err[256] = "";
	size_t off = 0;

	CHECK_EQ(hipc_fwimage_parse(&img, e->buf, e->size, err, sizeof(err)), 0);
	CHECK_EQ(img.elf_class, cls);
	CHECK_EQ(img.machine, machine);
	CHECK_EQ(img.entry, cls == 32 ? 0x08000101u : 0x401000u);
	CHECK_EQ(img.size, e->size);
	CHECK_EQ(img.rsc_off, e->rsc_off);
	CHECK_EQ(img.rsc_size, sizeof(test_fw_table));
	CHECK_EQ(img.rsc_addr, 0x20001000u);
	CHECK(img.data != e->buf);
	CHECK(memcmp(hipc_fwimage_rsc(&img), &test_fw_table,
		     sizeof(test_fw_table)) == 0);
	CHECK_EQ(hipc_rsc_find(hipc_fwimage_rsc(&img), img.rsc_size,
			       HIPC_RSC_VDEV, 0, &off),
		 0);
	CHECK_EQ(off, offsetof(struct hipc_rsc_table_rpmsg, vdev));
	hipc_fwimage_release(&img);
	CHECK(img.data == NULL);
	CHECK(hipc_fwimage_rsc(&img) == NULL);
}

/* --- good images ------------------------------------------------------------ */

HIPC_TEST(good_elf32)
{
	struct elf_img e;

	elf_std(&e, 32, false);
	check_good(&e, 32, EM_ARM_);
	elf_free(&e);
	elf_std(&e, 32, true);
	check_good(&e, 32, EM_ARM_);
	elf_free(&e);
}

HIPC_TEST(good_elf64)
{
	struct elf_img e;

	elf_std(&e, 64, false);
	check_good(&e, 64, EM_X86_64_);
	elf_free(&e);
	elf_std(&e, 64, true);
	check_good(&e, 64, EM_X86_64_);
	elf_free(&e);
}

HIPC_TEST(extended_section_numbering)
{
	struct elf_img e;

	/* e_shnum = 0: the count is in section 0's sh_size; same for shstrndx. */
	elf_std(&e, 64, false);
	put16(e.buf + e_shnum_off(&e), 0);
	put16(e.buf + e_shstrndx_off(&e), 0xffff);
	put64(e.buf + e.shoff + sh_size_off(&e), 4);
	put32(e.buf + e.shoff + sh_link_off(&e), 3);
	check_good(&e, 64, EM_X86_64_);
	/* ... and an absurd count there is still bounds-checked */
	put64(e.buf + e.shoff + sh_size_off(&e), 0x4000000000000000ull);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "section header table extends past end of file");
	elf_free(&e);
}

static char *write_tmp(const void *data, size_t size)
{
	char *path = strdup("/tmp/hipc-fwimage-XXXXXX");
	int fd;

	CHECK(path != NULL);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, data, size) == (ssize_t)size);
	CHECK(close(fd) == 0);
	return path;
}

HIPC_TEST(load_file)
{
	struct hipc_fwimage img;
	struct elf_img e;
	char err[256] = "";
	char *path;

	elf_std(&e, 32, false);
	path = write_tmp(e.buf, e.size);
	CHECK_EQ(hipc_fwimage_load(&img, path, err, sizeof(err)), 0);
	CHECK_EQ(img.size, e.size);
	CHECK_EQ(img.rsc_off, e.rsc_off);
	CHECK(memcmp(hipc_fwimage_rsc(&img), &test_fw_table,
		     sizeof(test_fw_table)) == 0);
	hipc_fwimage_release(&img);
	unlink(path);
	free(path);
	elf_free(&e);

	CHECK_EQ(hipc_fwimage_load(&img, "/nonexistent/fw.elf", err,
				   sizeof(err)), -HIPC_ENOENT);
	CHECK(strstr(err, "cannot open /nonexistent/fw.elf") != NULL);
	CHECK(strstr(err, strerror(ENOENT)) != NULL);
	CHECK_EQ(hipc_fwimage_load(&img, "/tmp", err, sizeof(err)),
		 -HIPC_EINVAL);
	CHECK(strstr(err, "not a regular file") != NULL);
}

/* A file over 512 MiB is refused before anything is read or allocated (a
 * sparse one here: no disk used). */
HIPC_TEST(file_too_large)
{
	struct hipc_fwimage img;
	struct elf_img e;
	char err[256] = "";
	char *path;

	elf_std(&e, 64, false);
	path = write_tmp(e.buf, e.size);
	CHECK_EQ(truncate(path, (off_t)(512u << 20) + 1), 0);
	CHECK_EQ(hipc_fwimage_load(&img, path, err, sizeof(err)), -HIPC_ENOMEM);
	CHECK(strstr(err, "too large for a firmware image") != NULL);
	CHECK(strstr(err, "536870913 bytes") != NULL);
	unlink(path);
	free(path);
	elf_free(&e);
}

/* The test binary's own .resource_table, as the host linker laid it out. */
HIPC_TEST(load_self)
{
	struct hipc_fwimage img;
	char err[256] = "";

	CHECK_EQ(hipc_fwimage_load(&img, "/proc/self/exe", err, sizeof(err)), 0);
	CHECK(img.elf_class == 64 || img.elf_class == 32);
	CHECK_EQ(img.rsc_size, sizeof(test_fw_table));
	CHECK(memcmp(hipc_fwimage_rsc(&img), &test_fw_table,
		     sizeof(test_fw_table)) == 0);
	hipc_fwimage_release(&img);
}

/* --- bad files ---------------------------------------------------------------- */

HIPC_TEST(not_elf)
{
	static const char text[] = "#!/bin/sh\necho not firmware\n";

	EXPECT_PARSE(text, sizeof(text), -HIPC_ENOEXEC,
		     "not an ELF file (bad magic)");
	EXPECT_PARSE(text, 0, -HIPC_ENOEXEC, "not an ELF file");
	EXPECT_PARSE("\x7f" "EL", 3, -HIPC_ENOEXEC, "not an ELF file");
}

HIPC_TEST(big_endian)
{
	struct elf_img e;

	elf_std(&e, 32, false);
	e.buf[5] = 2; /* EI_DATA = ELFDATA2MSB */
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "big-endian ELF is not supported");
	e.buf[5] = 0;
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC, "bad ELF data encoding 0");
	e.buf[5] = 1;
	e.buf[4] = 3;
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC, "unsupported ELF class 3");
	e.buf[4] = 1;
	e.buf[6] = 2;
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC, "unsupported ELF version 2");
	elf_free(&e);
}

static void truncations(int cls)
{
	struct elf_img last, first;

	elf_std(&last, cls, false);
	elf_std(&first, cls, true);

	/* In the ELF header. */
	EXPECT_PARSE(last.buf, 0, -HIPC_ENOEXEC, "too short");
	EXPECT_PARSE(last.buf, 3, -HIPC_ENOEXEC, "too short");
	EXPECT_PARSE(last.buf, 4, -HIPC_ENOEXEC, "truncated ELF header");
	EXPECT_PARSE(last.buf, 15, -HIPC_ENOEXEC, "truncated ELF header");
	EXPECT_PARSE(last.buf, 16, -HIPC_ENOEXEC, "truncated ELF header");
	EXPECT_PARSE(last.buf, last.ehsize - 1, -HIPC_ENOEXEC,
		     "truncated ELF header");

	/* Headers at the end: any cut before the end loses some of them. */
	for (size_t cut = last.ehsize; cut < last.size; cut++)
		EXPECT_PARSE(last.buf, cut, -HIPC_ENOEXEC,
			     "section header table extends past end of file");

	/* Headers first: the cut lands in the strings or in the table. */
	EXPECT_PARSE(first.buf, first.ehsize, -HIPC_ENOEXEC,
		     "section header table extends past end of file");
	EXPECT_PARSE(first.buf, first.shoff + first.shentsize * 4 - 1,
		     -HIPC_ENOEXEC,
		     "section header table extends past end of file");
	EXPECT_PARSE(first.buf, first.strtab_off + 3, -HIPC_ENOEXEC,
		     "section name string table extends past end of file");
	EXPECT_PARSE(first.buf, first.rsc_off, -HIPC_ENOEXEC,
		     ".resource_table section extends past end of file");
	EXPECT_PARSE(first.buf, first.rsc_off + 20, -HIPC_ENOEXEC,
		     ".resource_table section extends past end of file");
	EXPECT_PARSE(first.buf, first.size - 1, -HIPC_ENOEXEC,
		     ".resource_table section extends past end of file");
	EXPECT_PARSE(first.buf, first.size, 0, NULL);

	elf_free(&last);
	elf_free(&first);
}

HIPC_TEST(truncated_elf32)
{
	truncations(32);
}

HIPC_TEST(truncated_elf64)
{
	truncations(64);
}

HIPC_TEST(no_section)
{
	struct elf_img e;

	elf_std(&e, 64, false);
	e.buf[e.strtab_off + NAME_RSC + 14] = 'X'; /* .resource_tablX */
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOENT, "no .resource_table section");
	elf_free(&e);

	elf_std(&e, 32, false);
	put32(e.buf + e_shoff_off(&e), 0);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOENT,
		     "no .resource_table section (the file has no section headers)");
	elf_free(&e);

	/* Two of them: refused rather than guessing which one Linux uses. */
	elf_std(&e, 32, false);
	put32(e.buf + e.shdr_text, NAME_RSC);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "two .resource_table sections (1 and 2)");
	elf_free(&e);
}

HIPC_TEST(section_name_out_of_range)
{
	struct elf_img e;

	elf_std(&e, 32, false);
	put32(e.buf + e.shdr_rsc, 0x7fff);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "section 2: name offset 32767 is outside the section name string table");
	put32(e.buf + e.shdr_rsc, (uint32_t)e.strtab_size);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC, "name offset");
	elf_free(&e);

	/* The last name runs to the end of the string table without a NUL. */
	elf_std(&e, 64, false);
	e.buf[e.strtab_off + e.strtab_size - 1] = 'x';
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "section 3: name at offset 23 is not NUL-terminated");
	elf_free(&e);
}

HIPC_TEST(section_header_fields_bad)
{
	struct elf_img e;

	elf_std(&e, 64, false);
	put16(e.buf + e_shentsize_off(&e), 40);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "bad section header size e_shentsize = 40");
	put16(e.buf + e_shentsize_off(&e), 64);

	put16(e.buf + e_shstrndx_off(&e), 99);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "section name string table index 99 out of range (4 sections)");
	put16(e.buf + e_shstrndx_off(&e), 0);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "no section name string table");
	put16(e.buf + e_shstrndx_off(&e), 3);

	put32(e.buf + e.shdr_strtab + SH_TYPE_OFF, SHT_PROGBITS_);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC, "not SHT_STRTAB");
	put32(e.buf + e.shdr_strtab + SH_TYPE_OFF, SHT_STRTAB_);

	put64(e.buf + e_shoff_off(&e), 0xfffffffffffffff0ull);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "section header table extends past end of file");
	put64(e.buf + e_shoff_off(&e), e.shoff);

	put16(e.buf + e_shnum_off(&e), 0xfff0);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "section header table extends past end of file");
	put16(e.buf + e_shnum_off(&e), 4);
	EXPECT_PARSE(e.buf, e.size, 0, NULL);
	elf_free(&e);
}

HIPC_TEST(section_past_end)
{
	struct elf_img e;

	elf_std(&e, 32, false);
	put32(e.buf + e.shdr_rsc + sh_offset_off(&e), (uint32_t)e.size - 4);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     ".resource_table section extends past end of file");
	/* offset + size wraps around 2^32 */
	put32(e.buf + e.shdr_rsc + sh_offset_off(&e), 0xfffffff0u);
	put32(e.buf + e.shdr_rsc + sh_size_off(&e), 0x20);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     ".resource_table section extends past end of file");
	elf_free(&e);

	elf_std(&e, 64, false);
	/* offset + size wraps around 2^64 */
	put64(e.buf + e.shdr_rsc + sh_size_off(&e), 0xfffffffffffffff0ull);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     ".resource_table section extends past end of file");
	put64(e.buf + e.shdr_rsc + sh_size_off(&e), sizeof(test_fw_table));
	put64(e.buf + e.shdr_strtab + sh_offset_off(&e), e.size);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     "section name string table extends past end of file");
	elf_free(&e);
}

HIPC_TEST(nobits_table)
{
	struct elf_img e;

	elf_std(&e, 64, false);
	put32(e.buf + e.shdr_rsc + SH_TYPE_OFF, SHT_NOBITS_);
	EXPECT_PARSE(e.buf, e.size, -HIPC_ENOEXEC,
		     ".resource_table is SHT_NOBITS");
	elf_free(&e);
}

static void elf_with_bad_vring(struct elf_img *e, int cls)
{
	struct hipc_rsc_table_rpmsg bad = test_fw_table;
	struct elf_opts o = {
		.cls = cls,
		.machine = EM_ARM_,
		.rsc = &bad,
		.rsc_size = sizeof(bad),
	};

	bad.vring[1].num = 100;
	elf_build(e, &o);
}

HIPC_TEST(bad_table_in_good_elf)
{
	struct elf_img e;

	elf_with_bad_vring(&e, 32);
	EXPECT_PARSE(e.buf, e.size, -HIPC_EBADMSG,
		     "resource table: entry[0].vring[1].num = 100: must be a power of two");
	elf_free(&e);

	/* An empty section is a table too short for its header. */
	elf_std(&e, 64, false);
	put64(e.buf + e.shdr_rsc + sh_size_off(&e), 0);
	EXPECT_PARSE(e.buf, e.size, -HIPC_EBADMSG,
		     "resource table: size = 0: must hold the 16-byte header");
	put64(e.buf + e.shdr_rsc + sh_size_off(&e), sizeof(test_fw_table) - 1);
	EXPECT_PARSE(e.buf, e.size, -HIPC_EBADMSG,
		     "resource table: offset[2] = ");
	elf_free(&e);
}

/*
 * Random damage to the headers, section headers and strings: every outcome
 * is a clean result, and an accepted image has its table inside the file.
 */
HIPC_TEST(mutations_stay_in_bounds)
{
	uint32_t seed = 4242;

	for (int cls = 32; cls <= 64; cls += 32) {
		for (int iter = 0; iter < 4000; iter++) {
			struct hipc_fwimage img;
			struct elf_img e;
			char err[256];
			size_t size;
			int ret;

			elf_std(&e, cls, iter & 1);
			for (int m = 0; m < 3; m++) {
				size_t off;

				seed = seed * 1103515245u + 12345u;
				/* aim at the metadata, not the padding */
				switch ((seed >> 8) % 3) {
				case 0:
					off = (seed >> 12) % e.ehsize;
					break;
				case 1:
					off = e.shoff + (seed >> 12) % (4 * e.shentsize);
					break;
				default:
					off = e.strtab_off + (seed >> 12) % e.strtab_size;
					break;
				}
				seed = seed * 1103515245u + 12345u;
				e.buf[off] = (seed >> 24) & 1 ? (uint8_t)(seed >> 16)
							      : (uint8_t)(0xff * ((seed >> 16) & 1));
			}
			size = e.size;
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 4 == 0)
				size = (seed >> 4) % (e.size + 1);
			ret = hipc_fwimage_parse(&img, e.buf, size, err, sizeof(err));
			if (ret == 0) {
				CHECK(img.rsc_off <= img.size);
				CHECK(img.rsc_size <= img.size - img.rsc_off);
				hipc_fwimage_release(&img);
			} else {
				CHECK(ret == -HIPC_ENOEXEC || ret == -HIPC_ENOENT ||
				      ret == -HIPC_EBADMSG);
				CHECK(err[0] != '\0');
			}
			elf_free(&e);
		}
	}
}

/* --- printing ---------------------------------------------------------------- */

static char *print_table(const void *t, size_t size, int *ret)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CHECK(f != NULL);
	*ret = hipc_rsc_print(f, t, size);
	CHECK(fclose(f) == 0);
	return out;
}

HIPC_TEST(print_table)
{
	uint8_t buf[512];
	struct hipc_rsc_builder b;
	struct hipc_rsc_table_rpmsg m = test_fw_table;
	size_t off = 0, size = 0;
	char *out;
	int ret;

	m.vdev.status = HIPC_VIRTIO_STATUS_ACKNOWLEDGE |
			HIPC_VIRTIO_STATUS_DRIVER | HIPC_VIRTIO_STATUS_DRIVER_OK;
	m.vdev.dfeatures |= HIPC_RSC_F_EVENT_IDX | (1u << 28) | (1u << 5);
	m.vring[0].da = 0x10000;
	out = print_table(&m, sizeof(m), &ret);
	CHECK_EQ(ret, 0);
	CHECK(strstr(out, "resource table: version 1, 3 entries") != NULL);
	CHECK(strstr(out, "id          7 (rpmsg)") != NULL);
	CHECK(strstr(out, "(VIRTIO_RPMSG_F_NS, bit 5, VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX)") != NULL);
	CHECK(strstr(out, "gfeatures   0x00000000") != NULL);
	CHECK(strstr(out, "status      0x07 (ACKNOWLEDGE, DRIVER, DRIVER_OK)") != NULL);
	CHECK(strstr(out, "vring[0]    da 0x00010000, align 16, num 64, notifyid 0xffffffff (host assigns)") != NULL);
	CHECK(strstr(out, "vring[1]    da 0xffffffff (host assigns)") != NULL);
	CHECK(strstr(out, "vendor 200 (hipc rpmsg)") != NULL);
	CHECK(strstr(out, "buf_size    256") != NULL);
	CHECK(strstr(out, "trace") != NULL);
	CHECK(strstr(out, "name        \"trace0\"") != NULL);
	free(out);

	CHECK_EQ(hipc_rsc_builder_init(&b, buf, sizeof(buf), 3), 0);
	CHECK_EQ(hipc_rsc_add_carveout(&b, 0x20000000, 0x8000, "vdev0\x01\"",
				       &off), 0);
	CHECK(off > 0);
	CHECK_EQ(hipc_rsc_add_vdev(&b, 5, 1, 1, 8, 4, 0, &off), 0);
	CHECK(off > 0);
	CHECK_EQ(hipc_rsc_builder_finish(&b, &size), 0);
	CHECK(size > 0);
	out = print_table(buf, size, &ret);
	CHECK_EQ(ret, 0);
	CHECK(strstr(out, "carveout") != NULL);
	CHECK(strstr(out, "da          0x20000000") != NULL);
	CHECK(strstr(out, "pa          0xffffffff (host assigns)") != NULL);
	CHECK(strstr(out, "len         32768") != NULL);
	CHECK(strstr(out, "flags       0x00000000") != NULL);
	CHECK(strstr(out, "name        \"vdev0\\x01\\x22\"") != NULL);
	CHECK(strstr(out, "id          5\n") != NULL);
	CHECK(strstr(out, "dfeatures   0x00000001 (bit 0)") != NULL);
	CHECK(strstr(out, "status      0x00 (reset)") != NULL);
	free(out);

	m.vring[1].num = 100;
	out = print_table(&m, sizeof(m), &ret);
	CHECK_EQ(ret, -HIPC_EBADMSG);
	CHECK(strstr(out, "invalid resource table: entry[0].vring[1].num = 100: must be a power of two") != NULL);
	free(out);
}

/* --- hipcctl --------------------------------------------------------------- */

static int run_hipcctl(const char *args, char **output)
{
	const char *exe = getenv("HIPCCTL");
	char cmd[1024];
	char *out = NULL;
	size_t len = 0, cap = 0;
	char chunk[512];
	size_t n;
	FILE *p;
	int status;

	if (!exe)
		exe = HIPC_BUILD_DIR "/tools/hipcctl/hipcctl";
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", exe, args);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			out = realloc(out, cap);
			CHECK(out != NULL);
		}
		memcpy(out + len, chunk, n);
		len += n;
	}
	if (!out) {
		out = malloc(1);
		CHECK(out != NULL);
	}
	out[len] = '\0';
	status = pclose(p);
	CHECK(status != -1 && WIFEXITED(status));
	*output = out;
	return WEXITSTATUS(status);
}

static void expect_out(const char *out, const char *what)
{
	if (!strstr(out, what)) {
		printf("hipcctl output lacks \"%s\":\n%s\n", what, out);
		exit(1);
	}
}

HIPC_TEST(hipcctl_inspect_good)
{
	struct elf_img e;
	char args[256];
	char *path, *out;

	elf_std(&e, 32, false);
	path = write_tmp(e.buf, e.size);
	snprintf(args, sizeof(args), "inspect %s", path);
	CHECK_EQ(run_hipcctl(args, &out), 0);
	expect_out(out, "ELF32 little-endian, machine ARM (40)");
	expect_out(out, "entry       0x08000101");
	expect_out(out, ".resource_table at address 0x20001000");
	expect_out(out, "resource table: version 1, 3 entries");
	expect_out(out, "id          7 (rpmsg)");
	expect_out(out, "vring[1]    da 0xffffffff (host assigns), align 16, num 64");
	expect_out(out, "buf_size    256");
	free(out);
	unlink(path);
	free(path);
	elf_free(&e);

	elf_std(&e, 64, true);
	path = write_tmp(e.buf, e.size);
	snprintf(args, sizeof(args), "inspect %s", path);
	CHECK_EQ(run_hipcctl(args, &out), 0);
	expect_out(out, "ELF64 little-endian, machine x86-64 (62)");
	expect_out(out, "entry       0x0000000000401000");
	free(out);
	unlink(path);
	free(path);
	elf_free(&e);
}

HIPC_TEST(hipcctl_inspect_bad)
{
	struct elf_img e;
	char args[256];
	char *path, *out;

	elf_with_bad_vring(&e, 32);
	path = write_tmp(e.buf, e.size);
	snprintf(args, sizeof(args), "inspect %s", path);
	CHECK_EQ(run_hipcctl(args, &out), 1);
	expect_out(out, path);
	expect_out(out, "resource table: entry[0].vring[1].num = 100: must be a power of two");
	CHECK(strchr(out, '\n') == out + strlen(out) - 1); /* one line */
	free(out);
	unlink(path);
	free(path);
	elf_free(&e);

	path = write_tmp("not an elf at all", 17);
	snprintf(args, sizeof(args), "inspect %s", path);
	CHECK_EQ(run_hipcctl(args, &out), 1);
	expect_out(out, "not an ELF file (bad magic)");
	free(out);
	unlink(path);
	free(path);

	CHECK_EQ(run_hipcctl("inspect /nonexistent/fw.elf", &out), 1);
	expect_out(out, "cannot open /nonexistent/fw.elf");
	free(out);

	CHECK_EQ(run_hipcctl("inspect", &out), 2);
	expect_out(out, "usage: hipcctl inspect FIRMWARE.elf");
	free(out);
	CHECK_EQ(run_hipcctl("frobnicate", &out), 2);
	expect_out(out, "unknown command 'frobnicate'");
	expect_out(out, "inspect");
	free(out);
}

HIPC_TEST_MAIN(HIPC_CASE(good_elf32), HIPC_CASE(good_elf64),
	       HIPC_CASE(extended_section_numbering), HIPC_CASE(load_file),
	       HIPC_CASE(file_too_large),
	       HIPC_CASE(load_self), HIPC_CASE(not_elf), HIPC_CASE(big_endian),
	       HIPC_CASE(truncated_elf32), HIPC_CASE(truncated_elf64),
	       HIPC_CASE(no_section), HIPC_CASE(section_name_out_of_range),
	       HIPC_CASE(section_header_fields_bad),
	       HIPC_CASE(section_past_end), HIPC_CASE(nobits_table),
	       HIPC_CASE(bad_table_in_good_elf),
	       HIPC_CASE(mutations_stay_in_bounds), HIPC_CASE(print_table),
	       HIPC_CASE(hipcctl_inspect_good), HIPC_CASE(hipcctl_inspect_bad))
