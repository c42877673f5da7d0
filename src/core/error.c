/* SPDX-License-Identifier: BSD-3-Clause */
#include "hipc/error.h"

const char *hipc_strerror(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case 0:
		return "success";
#define HIPC__ERR_CASE(name, value, msg) \
	case value:                      \
		return msg;
	HIPC_ERRNO_MAP(HIPC__ERR_CASE)
#undef HIPC__ERR_CASE
	default:
		return "unknown error";
	}
}
