/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one place where a system call's errno becomes an hipc code.  The
 * table's values are Linux's errno numbers, so a code in the table passes
 * through unchanged; anything else becomes -HIPC_EIO, which keeps every
 * code the library returns inside what hipc_strerror() can name.
 */
#include <errno.h>

#include "hipc/error.h"
#include "port_linux_internal.h"

/* The table's numbers are this libc's (a port to an architecture whose
 * errno values differ from the generic ones fails here, not at run time). */
#define HIPC__ERR_SAME(name, value, msg)                                     \
	_Static_assert(HIPC_##name == name, "HIPC_" #name " != " #name);
HIPC_ERRNO_MAP(HIPC__ERR_SAME)
#undef HIPC__ERR_SAME

int hipc__from_errno(int e)
{
	switch (e) {
#define HIPC__ERR_PASS(name, value, msg) \
	case value:                      \
		return -value;
	HIPC_ERRNO_MAP(HIPC__ERR_PASS)
#undef HIPC__ERR_PASS
	default:
		return -HIPC_EIO;
	}
}
