/* SPDX-License-Identifier: BSD-3-Clause */
/* The freestanding core, all layers. */
#ifndef HIPC_HIPC_H
#define HIPC_HIPC_H

#include "hipc/bufpool.h"
#include "hipc/byteorder.h"
#include "hipc/error.h"
#include "hipc/firmware.h"
#include "hipc/mbox.h"
#include "hipc/memmap.h"
#include "hipc/port.h"
#include "hipc/rpmsg.h"
#include "hipc/rsc.h"
#include "hipc/spinlock.h"
#include "hipc/version.h"
#include "hipc/vring.h"

#endif
