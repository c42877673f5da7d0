/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One error table: every code the Linux side can pass on from a system
 * call has a message of its own, and anything else turns into one that
 * does.
 */
#include <errno.h>
#include <string.h>

#include "hipc/error.h"
#include "hipc_test.h"
#include "port_linux_internal.h"

static int is_known(int code)
{
	return strcmp(hipc_strerror(code), "unknown error") != 0;
}

/* What the Linux side's system calls (memfd, mmap, eventfd, sockets,
 * files, fork, pidfd, epoll) fail with in practice. */
static const int syscall_errnos[] = {
	EPERM, ENOENT, ESRCH, EINTR, EIO, ENXIO, E2BIG, EBADF, ECHILD,
	EAGAIN, EWOULDBLOCK, ENOMEM, EACCES, EBUSY, EEXIST, ENODEV, ENOTDIR,
	EISDIR, EINVAL, ENFILE, EMFILE, EFBIG, ENOSPC, EROFS, EPIPE,
	ENAMETOOLONG, ENOSYS, ELOOP, EOVERFLOW, ENOTSOCK, EMSGSIZE,
	EPROTOTYPE, EOPNOTSUPP, EADDRINUSE, ECONNABORTED, ECONNRESET, ENOBUFS,
	ENOTCONN, ETIMEDOUT, ECONNREFUSED, EALREADY, EINPROGRESS, EDQUOT,
};

HIPC_TEST(every_errno_that_passes_has_a_message)
{
	/* Whatever the kernel says, the result is in the table. */
	for (int e = 0; e < 4096; e++) {
		int code = hipc__from_errno(e);

		CHECK(code < 0);
		CHECK(code == -e || code == -HIPC_EIO);
		CHECK(is_known(code));
	}
}

HIPC_TEST(syscall_errnos_pass_unchanged)
{
	for (size_t i = 0; i < sizeof(syscall_errnos) / sizeof(int); i++) {
		int e = syscall_errnos[i];

		CHECK_EQ(hipc__from_errno(e), -e);
		CHECK(is_known(-e));
	}
}

HIPC_TEST(fallback_is_eio)
{
	CHECK_EQ(hipc__from_errno(0), -HIPC_EIO);
	CHECK_EQ(hipc__from_errno(-1), -HIPC_EIO);
	CHECK_EQ(hipc__from_errno(EXDEV), -HIPC_EIO);
	CHECK_EQ(hipc__from_errno(ENOTEMPTY), -HIPC_EIO);
}

HIPC_TEST(messages_are_distinct)
{
	static const int codes[] = {
#define HIPC__CODE(name, value, msg) HIPC_##name,
		HIPC_ERRNO_MAP(HIPC__CODE)
#undef HIPC__CODE
	};
	size_t n = sizeof(codes) / sizeof(codes[0]);

	for (size_t i = 0; i < n; i++) {
		CHECK(is_known(codes[i]));
		CHECK(is_known(-codes[i]));
		for (size_t j = i + 1; j < n; j++) {
			CHECK(codes[i] != codes[j]);
			CHECK(strcmp(hipc_strerror(codes[i]),
				     hipc_strerror(codes[j])) != 0);
		}
	}
	CHECK(!is_known(4095));
	CHECK(strcmp(hipc_strerror(0), "success") == 0);
}

HIPC_TEST_MAIN(HIPC_CASE(every_errno_that_passes_has_a_message),
	       HIPC_CASE(syscall_errnos_pass_unchanged),
	       HIPC_CASE(fallback_is_eio),
	       HIPC_CASE(messages_are_distinct))
