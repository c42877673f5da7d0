// SPDX-License-Identifier: BSD-3-Clause
/*
 * Cortex-M start-up for the echo firmware and the core's tests on the same
 * target: vector table, reset handler (.data copied from flash, .bss
 * zeroed), and one entry for every external interrupt.
 *
 * External interrupts all land in hipc_fw_irq(n): the mailbox lines come
 * from the board description at run time, so the table does not need to
 * know them.
 *
 * HIPC_FW_SEMIHOST (tests): hand over to newlib's rdimon start-up after
 * .data is in place (it zeroes .bss, opens the semihosting console, runs
 * main() and exits through semihosting), and turn a fault into a failed
 * exit instead of a hang.
 */
#include <stdint.h>

#ifndef HIPC_FW_NUM_IRQ
#define HIPC_FW_NUM_IRQ 32 /* MPS2 AN385/AN386: 32 external lines; 32 or 64 */
#endif

/* Defined by the linker script. */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __stack_top[];

/* Provided by the firmware (or the test support code). */
void hipc_fw_systick(void);
void hipc_fw_irq(unsigned irq);
int main(void);
void hipc_fw_reset(void);

#ifdef HIPC_FW_SEMIHOST
void _start(void);

static void hipc_fw_fault(void)
{
	/* SYS_EXIT with ADP_Stopped_RunTimeErrorUnknown: QEMU exits 1. */
	register uint32_t r0 __asm__("r0") = 0x18;
	register uint32_t r1 __asm__("r1") = 0x20024;

	__asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
	for (;;)
		;
}
#else
static void hipc_fw_fault(void)
{
	/* Nothing to report to on a bare board: stop here for the debugger
	 * (or the host's watchdog, which sees the remote go silent). */
	for (;;)
		__asm__ volatile("wfi");
}
#endif

static void hipc_fw_systick_entry(void)
{
	hipc_fw_systick();
}

static void hipc_fw_irq_entry(void)
{
	uint32_t ipsr;

	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	hipc_fw_irq(ipsr - 16u);
}

void hipc_fw_reset(void)
{
	uint32_t *src = __data_load;
	uint32_t *dst;

	for (dst = __data_start; dst < __data_end; )
		*dst++ = *src++;
#ifdef HIPC_FW_SEMIHOST
	_start();
#else
	for (dst = __bss_start__; dst < __bss_end__; )
		*dst++ = 0;
	main();
#endif
	hipc_fw_fault();
}

typedef void (*hipc_fw_vector)(void);

#define HIPC_FW_IRQ4 hipc_fw_irq_entry, hipc_fw_irq_entry, \
	hipc_fw_irq_entry, hipc_fw_irq_entry
#define HIPC_FW_IRQ32 HIPC_FW_IRQ4, HIPC_FW_IRQ4, HIPC_FW_IRQ4, HIPC_FW_IRQ4, \
	HIPC_FW_IRQ4, HIPC_FW_IRQ4, HIPC_FW_IRQ4, HIPC_FW_IRQ4

__attribute__((section(".vectors"), used))
const hipc_fw_vector hipc_fw_vectors[16 + HIPC_FW_NUM_IRQ] = {
	(hipc_fw_vector)(uintptr_t)__stack_top,
	hipc_fw_reset,
	/* NMI, HardFault, MemManage, BusFault, UsageFault, 4 reserved,
	 * SVCall, DebugMonitor, reserved, PendSV */
	hipc_fw_fault, hipc_fw_fault, hipc_fw_fault, hipc_fw_fault,
	hipc_fw_fault, hipc_fw_fault, hipc_fw_fault, hipc_fw_fault,
	hipc_fw_fault, hipc_fw_fault, hipc_fw_fault, hipc_fw_fault,
	hipc_fw_fault,
	hipc_fw_systick_entry,
	/* external lines, in blocks of 32 */
	HIPC_FW_IRQ32,
#if HIPC_FW_NUM_IRQ > 32
	HIPC_FW_IRQ32,
#endif
#if HIPC_FW_NUM_IRQ > 64
#error "extend the vector table"
#endif
};
