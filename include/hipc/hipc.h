/* SPDX-License-Identifier: BSD-3-Clause */
/* The freestanding core, all layers. */
#ifndef HIPC_HIPC_H
#define HIPC_HIPC_H

#include "hipc/error.h"
#include "hipc/mbox.h"
#include "hipc/memmap.h"
#include "hipc/port.h"
#include "hipc/rpmsg.h"
#include "hipc/rsc.h"
#include "hipc/vring.h"

#define HIPC_VERSION_MAJOR 0
#define HIPC_VERSION_MINOR 1
#define HIPC_VERSION_PATCH 0

#endif
