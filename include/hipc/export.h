/* SPDX-License-Identifier: BSD-3-Clause */
/* Symbol visibility for the shared library; a no-op in static and cross builds. */
#ifndef HIPC_EXPORT_H
#define HIPC_EXPORT_H

#if defined(HIPC_BUILDING_SHARED) && defined(__GNUC__)
#define HIPC_API __attribute__((visibility("default")))
#else
#define HIPC_API
#endif

#endif
