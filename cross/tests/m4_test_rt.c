// SPDX-License-Identifier: BSD-3-Clause
#include <stddef.h>

#include "m4_test_rt.h"

void hipc_fw_systick(void);
void hipc_fw_irq(unsigned irq);

void (*volatile hipc_m4_systick_hook)(void);
void (*volatile hipc_m4_irq_hook)(unsigned irq);

void hipc_fw_systick(void)
{
	if (hipc_m4_systick_hook)
		hipc_m4_systick_hook();
}

void hipc_fw_irq(unsigned irq)
{
	if (hipc_m4_irq_hook)
		hipc_m4_irq_hook(irq);
}
