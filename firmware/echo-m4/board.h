/* SPDX-License-Identifier: BSD-3-Clause */
/* The board the echo firmware is built for (see board.c). */
#ifndef HIPC_FW_BOARD_H
#define HIPC_FW_BOARD_H

#include "hipc/baremetal.h"

extern const struct hipc_bm_board hipc_fw_board;

#endif
