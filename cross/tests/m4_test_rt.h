/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run-time support for test images on the Cortex-M target: the start-up
 * code's interrupt entries, forwarded to hooks a test may set.
 */
#ifndef HIPC_M4_TEST_RT_H
#define HIPC_M4_TEST_RT_H

extern void (*volatile hipc_m4_systick_hook)(void);
extern void (*volatile hipc_m4_irq_hook)(unsigned irq);

#endif
