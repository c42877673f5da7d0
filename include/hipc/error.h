/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One error domain for the whole stack: functions return a negative code
 * from this table on failure and 0 (or a byte count) on success.  The values
 * equal Linux's errno numbers so that Linux-side code can pass them through
 * unchanged (-HIPC_EMSGSIZE == -EMSGSIZE), but the core never includes
 * <errno.h>: it must build freestanding.
 */
#ifndef HIPC_ERROR_H
#define HIPC_ERROR_H

#include "hipc/export.h"

/* X(name, value, message) */
#define HIPC_ERRNO_MAP(X)                                                   \
	X(EPERM, 1, "operation not permitted")                                \
	X(ENOENT, 2, "no such endpoint, service or file")                     \
	X(EIO, 5, "peer broke the protocol: device marked broken")            \
	X(ENOEXEC, 8, "not a valid firmware image")                           \
	X(EAGAIN, 11, "no buffer or message available now")                  \
	X(ENOMEM, 12, "out of storage")                                       \
	X(EBUSY, 16, "busy")                                                  \
	X(EEXIST, 17, "address already in use")                               \
	X(EINVAL, 22, "invalid argument")                                     \
	X(ENOSPC, 28, "ring or table full")                                   \
	X(ERANGE, 34, "value out of range")                                   \
	X(EPROTO, 71, "protocol error")                                       \
	X(EBADMSG, 74, "malformed message or table")                          \
	X(EMSGSIZE, 90, "message too long for one buffer")                    \
	X(ENOTSUP, 95, "operation not supported by this port or role")        \
	X(ECONNRESET, 104, "remote processor reset or crashed")               \
	X(ENOTCONN, 107, "device not ready (no DRIVER_OK yet)")               \
	X(ESHUTDOWN, 108, "device is shutting down")                          \
	X(ETIMEDOUT, 110, "timed out")

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
