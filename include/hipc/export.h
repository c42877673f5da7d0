/* SPDX-License-Identifier: BSD-3-Clause */
/* Symbol visibility: the library is built with hidden visibility, and
 * HIPC_API marks what it exports (from libhipc.so).  A no-op for users. */
#ifndef HIPC_EXPORT_H
#define HIPC_EXPORT_H

#if defined(HIPC_BUILDING_LIBRARY) && defined(__GNUC__)
#define HIPC_API __attribute__((visibility("default")))
#else
#define HIPC_API
#endif

#endif
