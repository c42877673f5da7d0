/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading a fuzz input as a script: little-endian fields, 0 past the end. */
#ifndef HIPC_FUZZ_INPUT_H
#define HIPC_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#ifdef FUZZ_COUNT_FDS
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#endif

struct in {
	const uint8_t *d;
	size_t n, i;
};

static inline uint32_t get8(struct in *in)
{
	return in->i < in->n ? in->d[in->i++] : 0;
}

static inline uint32_t get16(struct in *in)
{
	uint32_t v = get8(in);

	return v | get8(in) << 8;
}

static inline uint32_t get32(struct in *in)
{
	uint32_t v = get16(in);

	return v | get16(in) << 16;
}

/*
 * Open descriptors with close-on-exec: every one a harness makes and every
 * one the code under test receives (MSG_CMSG_CLOEXEC), not the sanitizers'
 * symbolizer pipes.  Two counts around an input tell a leak.  -1 if
 * /proc/self/fd cannot be read.  (Only in targets that include <dirent.h>
 * and <fcntl.h> first.)
 */
#ifdef FUZZ_COUNT_FDS
static inline int fuzz_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(d) &&
		    (fcntl(fd, F_GETFD) & FD_CLOEXEC))
			n++;
	}
	closedir(d);
	return n;
}
#endif

#endif
