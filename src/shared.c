/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libhipc.so is every layer's static library linked whole; this file only
 * gives the shared library a source of its own (and its version, for a
 * program that wants to know which library it runs with).
 */
#include "hipc/export.h"
#include "hipc/version.h"

HIPC_API const char *hipc_version(void);

const char *hipc_version(void)
{
	return HIPC_VERSION_STRING;
}
