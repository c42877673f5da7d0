// SPDX-License-Identifier: BSD-3-Clause
/* hipc-bench: a transaction over file descriptors, and finding programs. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "proto.h"

static bool write_all(int fd, const uint8_t *p, size_t len, size_t chunk)
{
	while (len) {
		size_t n = len < chunk ? len : chunk;
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "hipc-bench: write: %s\n",
				w < 0 ? strerror(errno) : "nothing written");
			return false;
		}
		p += w;
		len -= (size_t)w;
	}
	return true;
}

/*
 * A message socket: @len bytes in messages of @chunk, as many per
 * sendmmsg() as it takes (one system call for a block's 67 messages of
 * 496 bytes, where a write() each would be 67).
 */
static bool send_msgs(int fd, const uint8_t *p, size_t len, size_t chunk)
{
	struct mmsghdr mm[64];
	struct iovec iov[64];

	while (len) {
		unsigned n = 0;
		int sent;

		for (size_t off = 0; n < 64 && off < len; n++, off += chunk) {
			iov[n] = (struct iovec){ (void *)(p + off),
						 len - off < chunk ? len - off
								   : chunk };
			memset(&mm[n], 0, sizeof(mm[n]));
			mm[n].msg_hdr.msg_iov = &iov[n];
			mm[n].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(fd, mm, n, MSG_NOSIGNAL);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0) {
			fprintf(stderr, "hipc-bench: sendmmsg: %s\n",
				sent < 0 ? strerror(errno) : "nothing sent");
			return false;
		}
		for (int i = 0; i < sent; i++) {
			p += iov[i].iov_len;
			len -= iov[i].iov_len;
		}
	}
	return true;
}

double bench_fd_transact(int out, int in, bool stream, size_t chunk,
			 size_t block, unsigned nblocks)
{
	static uint8_t data[64u << 20];
	uint8_t hdr[BENCH_HEADER_SIZE], ans[BENCH_ANSWER_SIZE + 64];
	uint64_t total = (uint64_t)block * nblocks, t0;
	size_t got = 0;

	if (block > sizeof(data))
		return -1;
	bench_proto_header(hdr, total);
	t0 = bench_now_ns();
	if (!write_all(out, hdr, sizeof(hdr), chunk))
		return -1;
	for (unsigned i = 0; i < nblocks; i++)
		if (!stream && block > chunk
			    ? !send_msgs(out, data, block, chunk)
			    : !write_all(out, data, block, chunk))
			return -1;
	while (got < BENCH_ANSWER_SIZE) {
		/* a stream is read to the answer's end; a message whole (a
		 * longer one is then a protocol error, below) */
		ssize_t n = read(in, ans + got,
				 stream ? BENCH_ANSWER_SIZE - got
					: sizeof(ans) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "hipc-bench: read: %s\n",
				n < 0 ? strerror(errno) : "hung up");
			return -1;
		}
		got += (size_t)n;
	}
	t0 = bench_now_ns() - t0;
	if (got == BENCH_ANSWER_SIZE && bench_proto_answer(ans) == UINT64_MAX) {
		fprintf(stderr, "hipc-bench: a transaction of %llu bytes: %s\n",
			(unsigned long long)total, bench_proto_status(ans));
		return -1;
	}
	if (got != BENCH_ANSWER_SIZE || bench_proto_answer(ans) != total) {
		fprintf(stderr, "hipc-bench: the remote answered %zu bytes "
			"(%llu), not the count %llu\n", got,
			(unsigned long long)bench_proto_answer(ans),
			(unsigned long long)total);
		return -1;
	}
	return (double)t0 / 1e9;
}

const char *bench_sibling(const char *rel, char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	if ((size_t)snprintf(buf, size, "%s/%s", self, rel) >= size ||
	    access(buf, X_OK) < 0)
		return NULL;
	return buf;
}
