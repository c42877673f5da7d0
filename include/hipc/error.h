/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One error convention for the whole stack.  A public function that can fail
 * returns an int: 0 or a count on success, a negative code from this table
 * on failure.  Objects and offsets come back through out-parameters.  The
 * values equal Linux's errno numbers so that Linux-side code can pass them
 * through unchanged (-HIPC_EMSGSIZE == -EMSGSIZE), but the core never
 * includes <errno.h>: it must build freestanding.  Every code a function
 * of the library returns is in the table, so hipc_strerror() has text for
 * it.
 */
#ifndef HIPC_ERROR_H
#define HIPC_ERROR_H

#include "hipc/export.h"

/*
 * X(name, value, message), in errno order.  The first group is what the
 * stack itself decides; the second is what the Linux side's system calls
 * can fail with and pass through unchanged (hipc__from_errno() in the
 * Linux port: an errno outside this table becomes -HIPC_EIO).
 */
#define HIPC_ERRNO_MAP(X)                                                   \
	X(EPERM, 1, "operation not permitted")                                \
	X(ENOENT, 2, "no such endpoint, service or file")                     \
	X(ESRCH, 3, "no such process")                                        \
	X(EINTR, 4, "interrupted by a signal")                                \
	X(EIO, 5, "I/O error, or the peer broke the protocol (device broken)") \
	X(ENXIO, 6, "no such device or address")                              \
	X(E2BIG, 7, "argument list too long")                                 \
	X(ENOEXEC, 8, "not a valid firmware image")                           \
	X(EBADF, 9, "bad file descriptor")                                    \
	X(ECHILD, 10, "no such child process")                                \
	X(EAGAIN, 11, "no buffer or message available now")                  \
	X(ENOMEM, 12, "out of storage")                                       \
	X(EACCES, 13, "permission denied")                                    \
	X(EBUSY, 16, "busy")                                                  \
	X(EEXIST, 17, "address already in use")                               \
	X(ENODEV, 19, "no such device, or it cannot map memory")              \
	X(ENOTDIR, 20, "not a directory")                                     \
	X(EISDIR, 21, "is a directory")                                       \
	X(EINVAL, 22, "invalid argument")                                     \
	X(ENFILE, 23, "too many open files in the system")                    \
	X(EMFILE, 24, "too many open files in this process")                  \
	X(EFBIG, 27, "file too large")                                        \
	X(ENOSPC, 28, "ring or table full, or no space left on device")       \
	X(EROFS, 30, "read-only file system")                                 \
	X(EPIPE, 32, "the other end of the pipe or socket is closed")         \
	X(ERANGE, 34, "value out of range")                                   \
	X(ENAMETOOLONG, 36, "path name too long")                             \
	X(ENOSYS, 38, "not implemented by this kernel")                       \
	X(ELOOP, 40, "too many levels of symbolic links")                     \
	X(EPROTO, 71, "protocol error")                                       \
	X(EBADMSG, 74, "malformed message or table")                          \
	X(EOVERFLOW, 75, "value too large for its type")                      \
	X(ENOTSOCK, 88, "not a socket")                                       \
	X(EMSGSIZE, 90, "message too long for one buffer")                    \
	X(EPROTOTYPE, 91, "wrong socket type")                                \
	X(ENOTSUP, 95, "operation not supported by this port or role")        \
	X(EADDRINUSE, 98, "socket address already in use")                    \
	X(ECONNABORTED, 103, "connection aborted")                            \
	X(ECONNRESET, 104, "remote processor reset or crashed")               \
	X(ENOBUFS, 105, "no socket buffer space")                             \
	X(ENOTCONN, 107, "device not ready (no DRIVER_OK yet)")               \
	X(ESHUTDOWN, 108, "device is shutting down")                          \
	X(ETIMEDOUT, 110, "timed out")                                        \
	X(ECONNREFUSED, 111, "connection refused (nobody listening)")         \
	X(EALREADY, 114, "operation already in progress")                     \
	X(EINPROGRESS, 115, "operation now in progress")                      \
	X(ESTALE, 116, "stale reference (an older generation of a buffer)")  \
	X(EDQUOT, 122, "disk quota exceeded")

enum hipc_error {
#define HIPC__ERR_ENUM(name, value, msg) HIPC_##name = value,
	HIPC_ERRNO_MAP(HIPC__ERR_ENUM)
#undef HIPC__ERR_ENUM
};

/**
 * hipc_strerror() - human-readable text for an hipc error code.
 * @err: a code as returned (negative) or its absolute value.
 *
 * Context: any; never blocks; returns a static string ("unknown error"
 * for codes outside the table).
 */
HIPC_API const char *hipc_strerror(int err);

#endif
