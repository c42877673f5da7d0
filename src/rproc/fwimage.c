// SPDX-License-Identifier: BSD-3-Clause
/*
 * Firmware ELF images: find .resource_table through the section headers,
 * check it, and print resource tables for people.
 *
 * The file is untrusted input (it may come from anyone who can drop a file
 * into the firmware directory), so nothing in it is believed before it is
 * bounds-checked: header fields are read with unaligned-safe little-endian
 * loads at fixed offsets, and every offset + size sum is checked without
 * overflow.  Only the section headers matter here; program headers are the
 * loader's business.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/fwimage.h"
#include "hipc/rsc.h"
#include "rproc_internal.h"
#include "port_linux_internal.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

#define RSC_SECTION ".resource_table"
/* Far beyond any MCU or DSP image; refuse before trying to malloc it. */
#define FWIMAGE_MAX_SIZE (512u << 20)

/* --- ELF ---------------------------------------------------------------- */

struct elf_file {
	const uint8_t *d;
	size_t size;
	bool is64;
	uint64_t shoff;
	unsigned shentsize;
	uint64_t shnum;
	char *err;
	size_t errlen;
};

struct elf_shdr {
	uint32_t name;
	uint32_t type;
	uint64_t addr;
	uint64_t offset;
	uint64_t size;
	uint32_t link;
};

/* Is [off, off + len) inside the file?  No sum is formed, so nothing wraps. */
static bool in_file(const struct elf_file *f, uint64_t off, uint64_t len)
{
	return off <= f->size && len <= f->size - off;
}

/* Section header @i; the caller has checked the table lies in the file. */
static void read_shdr(const struct elf_file *f, uint64_t i,
		      struct elf_shdr *sh)
{
	const uint8_t *p = f->d + f->shoff + i * f->shentsize;

	if (f->is64) {
		sh->name = hipc_get_le32(p + offsetof(Elf64_Shdr, sh_name));
		sh->type = hipc_get_le32(p + offsetof(Elf64_Shdr, sh_type));
		sh->addr = hipc_get_le64(p + offsetof(Elf64_Shdr, sh_addr));
		sh->offset = hipc_get_le64(p + offsetof(Elf64_Shdr, sh_offset));
		sh->size = hipc_get_le64(p + offsetof(Elf64_Shdr, sh_size));
		sh->link = hipc_get_le32(p + offsetof(Elf64_Shdr, sh_link));
	} else {
		sh->name = hipc_get_le32(p + offsetof(Elf32_Shdr, sh_name));
		sh->type = hipc_get_le32(p + offsetof(Elf32_Shdr, sh_type));
		sh->addr = hipc_get_le32(p + offsetof(Elf32_Shdr, sh_addr));
		sh->offset = hipc_get_le32(p + offsetof(Elf32_Shdr, sh_offset));
		sh->size = hipc_get_le32(p + offsetof(Elf32_Shdr, sh_size));
		sh->link = hipc_get_le32(p + offsetof(Elf32_Shdr, sh_link));
	}
}

/*
 * e_ident and the header's size: an ELF file of a class and byte order we
 * read, long enough for its header.  @min_shentsize: per its class.
 */
static int elf_ident(struct elf_file *f, size_t *min_shentsize)
{
	const uint8_t *d = f->d;
	size_t ehsize;

	if (f->size < SELFMAG) {
		hipc__rp_errf(f->err, f->errlen,
			      "not an ELF file (%zu bytes, too short for the ELF magic)",
			      f->size);
		return -HIPC_ENOEXEC;
	}
	if (memcmp(d, ELFMAG, SELFMAG) != 0) {
		hipc__rp_errf(f->err, f->errlen, "not an ELF file (bad magic)");
		return -HIPC_ENOEXEC;
	}
	if (f->size < EI_NIDENT) {
		hipc__rp_errf(f->err, f->errlen,
			      "truncated ELF header (file has %zu bytes)",
			      f->size);
		return -HIPC_ENOEXEC;
	}
	switch (d[EI_CLASS]) {
	case ELFCLASS32:
		f->is64 = false;
		ehsize = sizeof(Elf32_Ehdr);
		*min_shentsize = sizeof(Elf32_Shdr);
		break;
	case ELFCLASS64:
		f->is64 = true;
		ehsize = sizeof(Elf64_Ehdr);
		*min_shentsize = sizeof(Elf64_Shdr);
		break;
	default:
		hipc__rp_errf(f->err, f->errlen,
			      "unsupported ELF class %u (expected 1 = ELF32 or 2 = ELF64)",
			      d[EI_CLASS]);
		return -HIPC_ENOEXEC;
	}
	if (d[EI_DATA] == ELFDATA2MSB) {
		hipc__rp_errf(f->err, f->errlen,
			      "big-endian ELF is not supported");
		return -HIPC_ENOEXEC;
	}
	if (d[EI_DATA] != ELFDATA2LSB) {
		hipc__rp_errf(f->err, f->errlen,
			      "bad ELF data encoding %u (expected 1 = little-endian)",
			      d[EI_DATA]);
		return -HIPC_ENOEXEC;
	}
	if (d[EI_VERSION] != EV_CURRENT) {
		hipc__rp_errf(f->err, f->errlen,
			      "unsupported ELF version %u (expected 1)",
			      d[EI_VERSION]);
		return -HIPC_ENOEXEC;
	}
	if (f->size < ehsize) {
		hipc__rp_errf(f->err, f->errlen,
			      "truncated ELF header (file has %zu bytes, the ELF%u header needs %zu)",
			      f->size, f->is64 ? 64u : 32u, ehsize);
		return -HIPC_ENOEXEC;
	}
	return 0;
}

/* The header fields we use; elf_ident() has checked the header is there. */
static void elf_read_ehdr(struct elf_file *f, struct hipc_fwimage *img,
			  uint16_t *shnum16, uint16_t *strndx16)
{
	const uint8_t *d = f->d;

	img->elf_class = f->is64 ? 64 : 32;
	if (f->is64) {
		img->machine = hipc_get_le16(d + offsetof(Elf64_Ehdr, e_machine));
		img->entry = hipc_get_le64(d + offsetof(Elf64_Ehdr, e_entry));
		f->shoff = hipc_get_le64(d + offsetof(Elf64_Ehdr, e_shoff));
		f->shentsize = hipc_get_le16(d + offsetof(Elf64_Ehdr, e_shentsize));
		*shnum16 = hipc_get_le16(d + offsetof(Elf64_Ehdr, e_shnum));
		*strndx16 = hipc_get_le16(d + offsetof(Elf64_Ehdr, e_shstrndx));
	} else {
		img->machine = hipc_get_le16(d + offsetof(Elf32_Ehdr, e_machine));
		img->entry = hipc_get_le32(d + offsetof(Elf32_Ehdr, e_entry));
		f->shoff = hipc_get_le32(d + offsetof(Elf32_Ehdr, e_shoff));
		f->shentsize = hipc_get_le16(d + offsetof(Elf32_Ehdr, e_shentsize));
		*shnum16 = hipc_get_le16(d + offsetof(Elf32_Ehdr, e_shnum));
		*strndx16 = hipc_get_le16(d + offsetof(Elf32_Ehdr, e_shstrndx));
	}
}

/*
 * More than 0xff00 sections: e_shnum is 0 and the count is in section
 * 0's sh_size; likewise e_shstrndx = SHN_XINDEX defers to its sh_link.
 */
static int elf_extended_numbering(struct elf_file *f, uint16_t shnum16,
				  uint16_t strndx16, uint64_t *shstrndx)
{
	struct elf_shdr sh0;

	if (!in_file(f, f->shoff, f->shentsize)) {
		hipc__rp_errf(f->err, f->errlen,
			      "section header table extends past end of file (offset %"
			      PRIu64 ", file has %zu bytes)", f->shoff,
			      f->size);
		return -HIPC_ENOEXEC;
	}
	read_shdr(f, 0, &sh0);
	if (shnum16 == 0)
		f->shnum = sh0.size;
	if (strndx16 == SHN_XINDEX)
		*shstrndx = sh0.link;
	return 0;
}

static int elf_header(struct elf_file *f, struct hipc_fwimage *img,
		      uint64_t *shstrndx)
{
	size_t min_shentsize;
	uint16_t shnum16, strndx16;
	int ret;

	ret = elf_ident(f, &min_shentsize);
	if (ret)
		return ret;
	elf_read_ehdr(f, img, &shnum16, &strndx16);

	if (f->shoff == 0) {
		hipc__rp_errf(f->err, f->errlen, "no " RSC_SECTION
			      " section (the file has no section headers)");
		return -HIPC_ENOENT;
	}
	if (f->shentsize < min_shentsize) {
		hipc__rp_errf(f->err, f->errlen,
			      "bad section header size e_shentsize = %u (ELF%u needs at least %zu)",
			      f->shentsize, f->is64 ? 64u : 32u, min_shentsize);
		return -HIPC_ENOEXEC;
	}
	f->shnum = shnum16;
	*shstrndx = strndx16;
	if (shnum16 == 0 || strndx16 == SHN_XINDEX) {
		ret = elf_extended_numbering(f, shnum16, strndx16, shstrndx);
		if (ret)
			return ret;
	}
	if (f->shnum == 0) {
		hipc__rp_errf(f->err, f->errlen, "no " RSC_SECTION
			      " section (the file has no sections)");
		return -HIPC_ENOENT;
	}
	if (f->shoff > f->size ||
	    f->shnum > (f->size - f->shoff) / f->shentsize) {
		hipc__rp_errf(f->err, f->errlen,
			      "section header table extends past end of file (%"
			      PRIu64 " headers of %u bytes at offset %" PRIu64
			      ", file has %zu bytes)", f->shnum, f->shentsize,
			      f->shoff, f->size);
		return -HIPC_ENOEXEC;
	}
	return 0;
}

/* The section name string table: section @shstrndx, inside the file. */
static int elf_shstrtab(const struct elf_file *f, uint64_t shstrndx,
			struct elf_shdr *strtab)
{
	if (shstrndx == SHN_UNDEF) {
		hipc__rp_errf(f->err, f->errlen,
			      "no section name string table (e_shstrndx is 0)");
		return -HIPC_ENOEXEC;
	}
	if (shstrndx >= f->shnum) {
		hipc__rp_errf(f->err, f->errlen,
			      "section name string table index %" PRIu64
			      " out of range (%" PRIu64 " sections)", shstrndx,
			      f->shnum);
		return -HIPC_ENOEXEC;
	}
	read_shdr(f, shstrndx, strtab);
	if (strtab->type != SHT_STRTAB) {
		hipc__rp_errf(f->err, f->errlen,
			      "section name string table (section %" PRIu64
			      ") has type %u, not SHT_STRTAB", shstrndx,
			      strtab->type);
		return -HIPC_ENOEXEC;
	}
	if (!in_file(f, strtab->offset, strtab->size)) {
		hipc__rp_errf(f->err, f->errlen,
			      "section name string table extends past end of file (offset %"
			      PRIu64 ", size %" PRIu64 ", file has %zu bytes)",
			      strtab->offset, strtab->size, f->size);
		return -HIPC_ENOEXEC;
	}
	return 0;
}

/*
 * The one section named RSC_SECTION; every section's name is checked, not
 * only those up to the first match.
 */
static int elf_find_section(const struct elf_file *f,
			    const struct elf_shdr *strtab, struct elf_shdr *rsc)
{
	const char *names = (const char *)f->d + strtab->offset;
	struct elf_shdr sh;
	uint64_t found = 0;

	/* Section 0 is the reserved null entry (or extended-count holder). */
	for (uint64_t i = 1; i < f->shnum; i++) {
		const char *name;

		read_shdr(f, i, &sh);
		if (sh.name >= strtab->size) {
			hipc__rp_errf(f->err, f->errlen, "section %" PRIu64
				      ": name offset %u is outside the section name string table (%"
				      PRIu64 " bytes)", i, sh.name,
				      strtab->size);
			return -HIPC_ENOEXEC;
		}
		name = names + sh.name;
		if (!memchr(name, '\0', strtab->size - sh.name)) {
			hipc__rp_errf(f->err, f->errlen, "section %" PRIu64
				      ": name at offset %u is not NUL-terminated inside the section name string table",
				      i, sh.name);
			return -HIPC_ENOEXEC;
		}
		if (strcmp(name, RSC_SECTION) != 0)
			continue;
		/* Two tables: whichever one we chose, the other would be a surprise. */
		if (found) {
			hipc__rp_errf(f->err, f->errlen, "two " RSC_SECTION
				      " sections (%" PRIu64 " and %" PRIu64 ")",
				      found, i);
			return -HIPC_ENOEXEC;
		}
		found = i;
		*rsc = sh;
	}
	if (!found) {
		hipc__rp_errf(f->err, f->errlen, "no " RSC_SECTION " section");
		return -HIPC_ENOENT;
	}
	return 0;
}

static int elf_find_rsc(struct elf_file *f, struct hipc_fwimage *img)
{
	struct elf_shdr strtab, rsc = { 0 };
	uint64_t shstrndx;
	int ret;

	ret = elf_header(f, img, &shstrndx);
	if (ret)
		return ret;
	ret = elf_shstrtab(f, shstrndx, &strtab);
	if (ret)
		return ret;
	ret = elf_find_section(f, &strtab, &rsc);
	if (ret)
		return ret;
	if (rsc.type == SHT_NOBITS) {
		hipc__rp_errf(f->err, f->errlen, RSC_SECTION
			      " is SHT_NOBITS (no contents in the file)");
		return -HIPC_ENOEXEC;
	}
	if (!in_file(f, rsc.offset, rsc.size)) {
		hipc__rp_errf(f->err, f->errlen, RSC_SECTION
			      " section extends past end of file (offset %"
			      PRIu64 ", size %" PRIu64 ", file has %zu bytes)",
			      rsc.offset, rsc.size, f->size);
		return -HIPC_ENOEXEC;
	}
	img->rsc_off = (size_t)rsc.offset;
	img->rsc_size = (size_t)rsc.size;
	img->rsc_addr = rsc.addr;
	return 0;
}

int hipc_rsc_error_format(char *buf, size_t len, const struct hipc_rsc_error *e)
{
	const char *field = e->field ? e->field : "table";
	const char *reason = e->reason ? e->reason : "invalid";

	/* Small values read best in decimal, addresses and magic in hex. */
	if (e->value < 0x10000)
		return snprintf(buf, len, "%s = %" PRIu32 ": %s", field,
				e->value, reason);
	return snprintf(buf, len, "%s = 0x%" PRIx32 ": %s", field, e->value,
			reason);
}

/* Takes ownership of @data (malloc'd) on every path. */
static int fwimage_parse_owned(struct hipc_fwimage *img, uint8_t *data,
			       size_t size, char *err, size_t errlen)
{
	struct elf_file f = { .d = data, .size = size, .err = err,
			      .errlen = errlen };
	struct hipc_rsc_error rerr;
	char why[160];
	int ret;

	memset(img, 0, sizeof(*img));
	ret = elf_find_rsc(&f, img);
	if (ret)
		goto free_data;
	ret = hipc_rsc_validate(data + img->rsc_off, img->rsc_size, &rerr);
	if (ret) {
		hipc_rsc_error_format(why, sizeof(why), &rerr);
		hipc__rp_errf(err, errlen, "resource table: %s", why);
		goto free_data;
	}
	img->data = data;
	img->size = size;
	return 0;

free_data:
	free(data);
	memset(img, 0, sizeof(*img));
	return ret;
}

int hipc_fwimage_parse(struct hipc_fwimage *img, const void *data, size_t size,
		       char *err, size_t errlen)
{
	uint8_t *copy;

	if (!img || (!data && size)) {
		hipc__rp_errf(err, errlen, "invalid argument");
		return -HIPC_EINVAL;
	}
	/*
	 * Parse the copy, not the caller's bytes: if they can change (a file
	 * mapped shared), what we checked is then what we keep.
	 */
	copy = malloc(size ? size : 1);
	if (!copy) {
		memset(img, 0, sizeof(*img));
		hipc__rp_errf(err, errlen, "out of memory for a %zu-byte image",
			      size);
		return -HIPC_ENOMEM;
	}
	if (size)
		memcpy(copy, data, size);
	return fwimage_parse_owned(img, copy, size, err, errlen);
}

int hipc_fwimage_load(struct hipc_fwimage *img, const char *path, char *err,
		      size_t errlen)
{
	struct stat st;
	uint8_t *data;
	size_t size, got = 0;
	ssize_t n;
	int fd, ret;

	if (!img || !path) {
		hipc__rp_errf(err, errlen, "invalid argument");
		return -HIPC_EINVAL;
	}
	memset(img, 0, sizeof(*img));

	do
		fd = open(path, O_RDONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		ret = hipc__from_errno(errno);
		hipc__rp_errf(err, errlen, "cannot open %s: %s", path,
			      strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = hipc__from_errno(errno);
		hipc__rp_errf(err, errlen, "cannot stat %s: %s", path,
			      strerror(errno));
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		hipc__rp_errf(err, errlen, "%s is not a regular file", path);
		ret = -HIPC_EINVAL;
		goto close_fd;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > FWIMAGE_MAX_SIZE) {
		hipc__rp_errf(err, errlen,
			      "%s is too large for a firmware image (%lld bytes)",
			      path, (long long)st.st_size);
		ret = -HIPC_ENOMEM;
		goto close_fd;
	}
	size = (size_t)st.st_size;
	data = malloc(size ? size : 1);
	if (!data) {
		hipc__rp_errf(err, errlen,
			      "out of memory reading %s (%zu bytes)", path,
			      size);
		ret = -HIPC_ENOMEM;
		goto close_fd;
	}
	/* A file that shrinks while we read is parsed as what we got. */
	while (got < size) {
		n = read(fd, data + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = hipc__from_errno(errno);
			hipc__rp_errf(err, errlen, "cannot read %s: %s", path,
				      strerror(errno));
			goto free_data;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return fwimage_parse_owned(img, data, got, err, errlen);

free_data:
	free(data);
close_fd:
	close(fd);
	return ret;
}

void hipc_fwimage_release(struct hipc_fwimage *img)
{
	if (!img)
		return;
	free(img->data);
	memset(img, 0, sizeof(*img));
}

const void *hipc_fwimage_rsc(const struct hipc_fwimage *img)
{
	if (!img || !img->data)
		return NULL;
	return img->data + img->rsc_off;
}

const char *hipc_fwimage_machine_name(uint16_t machine)
{
	switch (machine) {
	case EM_386:
		return "x86";
	case EM_X86_64:
		return "x86-64";
	case EM_ARM:
		return "ARM";
	case EM_AARCH64:
		return "AArch64";
	case EM_RISCV:
		return "RISC-V";
	case EM_XTENSA:
		return "Xtensa";
	case EM_TI_C6000:
		return "TI C6000";
	default:
		return NULL;
	}
}

/* --- printing a table --------------------------------------------------- */

static void print_addr(FILE *out, uint32_t v)
{
	if (v == HIPC_FW_RSC_ADDR_ANY)
		fprintf(out, "0xffffffff (host assigns)");
	else
		fprintf(out, "0x%08" PRIx32, v);
}

/* Names come from the image: print them, but never raw control bytes. */
static void print_name(FILE *out, const uint8_t *name)
{
	fputc('"', out);
	for (size_t i = 0; i < HIPC_RSC_NAME_SIZE && name[i]; i++) {
		uint8_t c = name[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
	fputc('"', out);
}

static void print_features(FILE *out, uint32_t id, uint32_t f)
{
	const char *sep = "";

	fprintf(out, "0x%08" PRIx32, f);
	if (!f)
		return;
	fprintf(out, " (");
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *name = NULL;

		if (!(f & (1u << bit)))
			continue;
		if (bit == 0 && id == HIPC_VIRTIO_ID_RPMSG)
			name = "VIRTIO_RPMSG_F_NS";
		else if (bit == 28)
			name = "VIRTIO_RING_F_INDIRECT_DESC";
		else if (bit == 29)
			name = "VIRTIO_RING_F_EVENT_IDX";
		if (name)
			fprintf(out, "%s%s", sep, name);
		else
			fprintf(out, "%sbit %u", sep, bit);
		sep = ", ";
	}
	fprintf(out, ")");
}

static void print_status(FILE *out, uint8_t s)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} bits[] = {
		{ HIPC_VIRTIO_STATUS_ACKNOWLEDGE, "ACKNOWLEDGE" },
		{ HIPC_VIRTIO_STATUS_DRIVER, "DRIVER" },
		{ HIPC_VIRTIO_STATUS_DRIVER_OK, "DRIVER_OK" },
		{ HIPC_VIRTIO_STATUS_FEATURES_OK, "FEATURES_OK" },
		{ HIPC_VIRTIO_STATUS_NEEDS_RESET, "NEEDS_RESET" },
		{ HIPC_VIRTIO_STATUS_FAILED, "FAILED" },
	};
	const char *sep = "";
	uint8_t left = s;

	fprintf(out, "0x%02x (", s);
	if (!s)
		fprintf(out, "reset");
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		if (s & bits[i].bit) {
			fprintf(out, "%s%s", sep, bits[i].name);
			sep = ", ";
			left &= (uint8_t)~bits[i].bit;
		}
	}
	if (left)
		fprintf(out, "%sunknown 0x%02x", sep, left);
	fprintf(out, ")");
}

static void print_mem(FILE *out, const char *kind, const uint8_t *e)
{
	fprintf(out, "%s\n      da          ", kind);
	print_addr(out, hipc_get_le32(e + offsetof(struct hipc_rsc_carveout, da)));
	fprintf(out, "\n      pa          ");
	print_addr(out, hipc_get_le32(e + offsetof(struct hipc_rsc_carveout, pa)));
	fprintf(out, "\n      len         %" PRIu32 "\n",
		hipc_get_le32(e + offsetof(struct hipc_rsc_carveout, len)));
	fprintf(out, "      flags       0x%08" PRIx32 "\n",
		hipc_get_le32(e + offsetof(struct hipc_rsc_carveout, flags)));
	fprintf(out, "      name        ");
	print_name(out, e + offsetof(struct hipc_rsc_carveout, name));
	fprintf(out, "\n");
}

static void print_trace(FILE *out, const uint8_t *e)
{
	fprintf(out, "trace\n      da          ");
	print_addr(out, hipc_get_le32(e + offsetof(struct hipc_rsc_trace, da)));
	fprintf(out, "\n      len         %" PRIu32 "\n",
		hipc_get_le32(e + offsetof(struct hipc_rsc_trace, len)));
	fprintf(out, "      name        ");
	print_name(out, e + offsetof(struct hipc_rsc_trace, name));
	fprintf(out, "\n");
}

static void print_vdev(FILE *out, const uint8_t *e)
{
	uint32_t id = hipc_get_le32(e + offsetof(struct hipc_rsc_vdev, id));
	unsigned nvr = e[offsetof(struct hipc_rsc_vdev, num_of_vrings)];

	fprintf(out, "vdev\n      id          %" PRIu32 "%s\n", id,
		id == HIPC_VIRTIO_ID_RPMSG ? " (rpmsg)" : "");
	fprintf(out, "      notifyid    ");
	print_addr(out, hipc_get_le32(e + offsetof(struct hipc_rsc_vdev, notifyid)));
	fprintf(out, "\n      dfeatures   ");
	print_features(out, id,
		       hipc_get_le32(e + offsetof(struct hipc_rsc_vdev, dfeatures)));
	fprintf(out, "\n      gfeatures   ");
	print_features(out, id,
		       hipc_get_le32(e + offsetof(struct hipc_rsc_vdev, gfeatures)));
	fprintf(out, "\n      config_len  %" PRIu32 "\n",
		hipc_get_le32(e + offsetof(struct hipc_rsc_vdev, config_len)));
	fprintf(out, "      status      ");
	print_status(out, e[offsetof(struct hipc_rsc_vdev, status)]);
	fprintf(out, "\n      vrings      %u\n", nvr);
	for (unsigned j = 0; j < nvr; j++) {
		const uint8_t *vr = e + sizeof(struct hipc_rsc_vdev) +
				    j * sizeof(struct hipc_rsc_vring);

		fprintf(out, "      vring[%u]    da ", j);
		print_addr(out, hipc_get_le32(vr + offsetof(struct hipc_rsc_vring, da)));
		fprintf(out, ", align %" PRIu32 ", num %" PRIu32 ", notifyid ",
			hipc_get_le32(vr + offsetof(struct hipc_rsc_vring, align)),
			hipc_get_le32(vr + offsetof(struct hipc_rsc_vring, num)));
		print_addr(out,
			   hipc_get_le32(vr + offsetof(struct hipc_rsc_vring, notifyid)));
		fprintf(out, ", pa 0x%08" PRIx32 "\n",
			hipc_get_le32(vr + offsetof(struct hipc_rsc_vring, pa)));
	}
}

int hipc_rsc_print(FILE *out, const void *table, size_t size)
{
	const uint8_t *t = table;
	struct hipc_rsc_error rerr;
	char why[160];
	uint32_t num, type;
	size_t off;

	if (hipc_rsc_validate(table, size, &rerr)) {
		hipc_rsc_error_format(why, sizeof(why), &rerr);
		fprintf(out, "invalid resource table: %s\n", why);
		return -HIPC_EBADMSG;
	}
	num = hipc_get_le32(t + offsetof(struct hipc_rsc_hdr, num));
	fprintf(out, "resource table: version %" PRIu32 ", %" PRIu32
		" entr%s, %zu bytes\n",
		hipc_get_le32(t), num, num == 1 ? "y" : "ies", size);
	for (uint32_t i = 0; i < num; i++) {
		if (hipc_rsc_entry(table, size, i, &type, &off))
			break; /* cannot happen after validation */
		fprintf(out, "  [%" PRIu32 "] offset %zu: ", i, off);
		switch (type) {
		case HIPC_RSC_CARVEOUT:
			print_mem(out, "carveout", t + off);
			break;
		case HIPC_RSC_DEVMEM:
			print_mem(out, "devmem", t + off);
			break;
		case HIPC_RSC_TRACE:
			print_trace(out, t + off);
			break;
		case HIPC_RSC_VDEV:
			print_vdev(out, t + off);
			break;
		case HIPC_RSC_HIPC_RPMSG:
			fprintf(out, "vendor %" PRIu32 " (hipc rpmsg)\n", type);
			fprintf(out, "      buf_size    %" PRIu32 "\n",
				hipc_get_le32(t + off + offsetof(struct hipc_rsc_hipc_rpmsg,
							 buf_size)));
			break;
		case HIPC_RSC_HIPC_POOL: {
			const uint8_t *e = t + off;
#define PF(f) hipc_get_le32(e + offsetof(struct hipc_rsc_hipc_pool, f))
			fprintf(out, "vendor %" PRIu32 " (hipc pool) %.32s\n", type,
				(const char *)e +
					offsetof(struct hipc_rsc_hipc_pool, name));
			fprintf(out, "      pool_id     %" PRIu32 "\n"
				"      count       %" PRIu32 " (host %" PRIu32 ")\n"
				"      buf_size    %" PRIu32 "\n"
				"      align       %" PRIu32 "\n",
				PF(pool_id), PF(count), PF(host_count),
				PF(buf_size), PF(align));
#undef PF
			break;
		}
		default:
			if (type >= HIPC_RSC_VENDOR_START &&
			    type < HIPC_RSC_VENDOR_END)
				fprintf(out, "vendor %" PRIu32 " (opaque)\n",
					type);
			else
				fprintf(out, "unknown type %" PRIu32 "\n", type);
			break;
		}
	}
	if (fflush(out) != 0 || ferror(out))
		return -HIPC_EIO;
	return 0;
}
