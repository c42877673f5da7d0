/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The few ARMv7-M / ARMv8-M mainline system registers the bare-metal port
 * touches, at their architectural addresses (ARMv7-M ARM, B3.2 System
 * Control Space), and the instructions it needs.  No CMSIS.
 */
#ifndef HIPC_CM_REGS_H
#define HIPC_CM_REGS_H

#include <stdint.h>

#define HIPC_CM_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define HIPC_CM_REG8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))

/* SysTick */
#define HIPC_SYST_CSR 0xE000E010u
#define HIPC_SYST_RVR 0xE000E014u
#define HIPC_SYST_CVR 0xE000E018u
#define HIPC_SYST_CSR_ENABLE (1u << 0)
#define HIPC_SYST_CSR_TICKINT (1u << 1)
#define HIPC_SYST_CSR_CLKSOURCE (1u << 2) /* processor clock */

/* NVIC: one bit per line in 32-bit words, one priority byte per line */
#define HIPC_NVIC_ISER 0xE000E100u
#define HIPC_NVIC_ICER 0xE000E180u
#define HIPC_NVIC_ISPR 0xE000E200u
#define HIPC_NVIC_IPR 0xE000E400u

/* SCB */
#define HIPC_SCB_ICSR 0xE000ED04u
#define HIPC_SCB_CCR 0xE000ED14u
#define HIPC_SCB_CCR_DC (1u << 16)

/* Cache maintenance by address to the point of coherency (Cortex-M7) */
#define HIPC_SCB_DCIMVAC 0xE000EF5Cu
#define HIPC_SCB_DCCMVAC 0xE000EF68u
#define HIPC_SCB_DCCIMVAC 0xE000EF70u
#define HIPC_CM_DCACHE_LINE 32u

static inline uint32_t hipc_cm_irq_save(void)
{
	uint32_t primask;

	/* "memory" clobbers: no access to shared state may be moved out of
	 * the critical section by the compiler. */
	__asm__ volatile("mrs %0, primask\n\tcpsid i" : "=r"(primask) : : "memory");
	return primask;
}

static inline void hipc_cm_irq_restore(uint32_t primask)
{
	__asm__ volatile("msr primask, %0" : : "r"(primask) : "memory");
}

/* For code that knows interrupts were enabled on entry.  "memory", as
 * above: shared state stays inside the masked section. */
static inline void hipc_cm_irq_disable(void)
{
	__asm__ volatile("cpsid i" : : : "memory");
}

static inline void hipc_cm_irq_enable(void)
{
	__asm__ volatile("cpsie i" : : : "memory");
}

static inline uint32_t hipc_cm_ipsr(void)
{
	uint32_t ipsr;

	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	return ipsr;
}

static inline uint32_t hipc_cm_primask(void)
{
	uint32_t primask;

	__asm__ volatile("mrs %0, primask" : "=r"(primask));
	return primask;
}

static inline void hipc_cm_wfi(void)
{
	__asm__ volatile("wfi" : : : "memory");
}

static inline void hipc_cm_dsb(void)
{
	__asm__ volatile("dsb 0xF" : : : "memory");
}

static inline void hipc_cm_dmb(void)
{
	__asm__ volatile("dmb 0xF" : : : "memory");
}

static inline void hipc_cm_isb(void)
{
	__asm__ volatile("isb 0xF" : : : "memory");
}

#endif
