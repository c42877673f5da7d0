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
 * offered, the host may negotiate it.  Build it so only for a host that
 * maintains used_event (Linux does, OpenAMP's driver does not: hipc/rsc.h).
 */
HIPC_RSC_TABLE_RPMSG(hipc_fw_rsc, HIPC_RPMSG_DEFAULT_NUM,
		     HIPC_RPMSG_DEFAULT_BUF_SIZE, 0,
		     HIPC_RSC_F_NS |
			     (HIPC_CFG_EVENT_IDX ? HIPC_RSC_F_EVENT_IDX : 0));

static struct hipc_bm echo_bm;
static struct hipc_echo echo; /* in .bss: an initialiser would put all of it in flash */

void hipc_fw_systick(void);
void hipc_fw_irq(unsigned irq);

/* A port built without the tick (hipc/baremetal.h) never starts SysTick. */
void hipc_fw_systick(void)
{
	if (HIPC_BM_TICK)
		hipc_bm_tick_isr(&echo_bm);
}

/* Without the mailbox model the port leaves the "not full" line off. */
void hipc_fw_irq(unsigned irq)
{
	if (irq == hipc_fw_board.rx_irq)
		hipc_bm_mbox_isr(&echo_bm);
	else if (HIPC_BM_MBOX_MODEL && irq == hipc_fw_board.tx_irq)
		hipc_bm_mbox_tx_isr(&echo_bm);
}

/*
 * Until DRIVER_OK: look again on every doorbell and, with a tick, every
 * 10 ms, in case a host sets the bit without ringing.  Linux (and hipc's
 * own host) kick vring 0 right after setting it, so without a tick the
 * doorbell alone is enough.
 */
static void wait_for_host(void)
{
	uint64_t deadline = 0;

	if (HIPC_BM_TICK)
		deadline = hipc_bm_now_ns(&echo_bm) + 10000000u;
	hipc_bm_wait(&echo_bm, deadline);
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
	 * touch.
	 */
	while (!hipc_echo_ready(&echo))
		wait_for_host();

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
