// SPDX-License-Identifier: BSD-3-Clause
/*
 * Echo firmware for a Cortex-M4 remote: the board glue around echo.c.
 * Boot, wait for the host's DRIVER_OK, serve, sleep in WFI between
 * doorbells.
 */
#include <stdint.h>

#include "hipc/baremetal.h"
#include "hipc/config.h"
#include "hipc/rsc.h"

#include "board.h"
#include "echo.h"

/*
 * Buffer count and size are the host's memory, not ours: Linux's defaults
 * cost this image nothing.  No trace buffer: it would be ours to provide.
 * EVENT_IDX only when the core was built with it (hipc/config.h): once
 * offered, the host may negotiate it.
 */
HIPC_RSC_TABLE_RPMSG(hipc_fw_rsc, HIPC_RPMSG_DEFAULT_NUM,
		     HIPC_RPMSG_DEFAULT_BUF_SIZE, 0,
		     HIPC_RSC_F_NS |
			     (HIPC_CFG_EVENT_IDX ? HIPC_RSC_F_EVENT_IDX : 0));

static struct hipc_bm echo_bm;
static struct hipc_echo echo; /* in .bss: an initialiser would put all of it in flash */

void hipc_fw_systick(void);
void hipc_fw_irq(unsigned irq);

void hipc_fw_systick(void)
{
	hipc_bm_tick_isr(&echo_bm);
}

void hipc_fw_irq(unsigned irq)
{
	if (irq == hipc_fw_board.rx_irq)
		hipc_bm_mbox_isr(&echo_bm);
	else if (irq == hipc_fw_board.tx_irq)
		hipc_bm_mbox_tx_isr(&echo_bm);
}

int main(void)
{
	int ret;

	echo.bm = &echo_bm;
	echo.rsc = &hipc_fw_rsc;
	if (hipc_bm_init(&echo_bm, &hipc_fw_board, NULL, NULL))
		return 1;

	/*
	 * The host lays out the vrings, posts its rx buffers and only then
	 * sets DRIVER_OK: until it does, nothing in shared memory is ours to
	 * touch.  Look again on every doorbell and every 10 ms, in case the
	 * host sets the bit without ringing.
	 */
	while (!hipc_echo_ready(&echo))
		hipc_bm_wait(&echo_bm, hipc_bm_now_ns(&echo_bm) + 10000000u);

	if (hipc_echo_start(&echo))
		return 1;

	for (;;) {
		ret = hipc_echo_poll(&echo);
		if (ret < 0)
			return 1;	/* the host broke the protocol: stop */
		if (ret > 0)
			hipc_bm_wait(&echo_bm, UINT64_MAX);
	}
}
