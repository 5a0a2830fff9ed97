// SPDX-License-Identifier: GPL-2.0
/*
 * Print the PVX ABI values and pvx-hv's fixed hardware the assembly test
 * guests use, as GAS .set lines, so they are taken from abi/ and
 * pvx-hv.h and never written twice.  Built
 * against the 1.0 interface: the test guest speaks 1.0.
 */
#define __PVX_INTERFACE_VERSION__ 0x00010000
#include <asm/bootparam.h>
#include <stddef.h>
#include <stdio.h>
#include <pvx/abi.h>

#include "pvx-hv.h"	/* pvx-hv's fixed hardware */

#define SET(name, value) printf(".set %s, %lu\n", name, (unsigned long)(value))

int main(void)
{
	SET("PVX_CPUID_TRANSPORT_LEAF", PVX_CPUID_SCAN_FIRST + PVX_CPUID_LEAF_TRANSPORT);
	SET("PVX_NEGOTIATE_SIZE", sizeof(struct pvx_negotiate));
	SET("PVX_NEGOTIATE_VERSION", offsetof(struct pvx_negotiate, version));
	SET("PVX_NEGOTIATE_FEATURES", offsetof(struct pvx_negotiate, features));
	SET("PVX_VERSION_1_0", PVX_ABI_VERSION(1, 0));
	SET("PVX_VERSION_1_1", PVX_ABI_VERSION(1, 1));
	SET("PVX_HC_NEGOTIATE", PVX_HC_negotiate);
	SET("PVX_HC_REGISTER_SHARED_PAGE", PVX_HC_register_shared_page);
	SET("PVX_HC_BLOCK", PVX_HC_block);
	SET("PVX_HC_SHUTDOWN", PVX_HC_shutdown);
	SET("PVX_HC_SET_TIMER", PVX_HC_set_timer);
	SET("PVX_HC_KICK_VCPU", PVX_HC_kick_vcpu);
	SET("PVX_HC_CONSOLE_WRITE", PVX_HC_console_write);
	SET("PVX_FEATURE_CONSOLE", PVX_FEATURE(CONSOLE));
	SET("PVX_CONSOLE_MAX", PVX_CONSOLE_MAX);
	SET("PVX_FEATURE_TIMER", PVX_FEATURE(TIMER));
	SET("PVX_VECTOR_MIN", PVX_VECTOR_MIN);
	SET("PVX_SHUTDOWN_POWEROFF", PVX_SHUTDOWN_POWEROFF);
	SET("RESET_PORT", RESET_PORT);
	SET("COM1", COM1);
	SET("BP_CMD_LINE_PTR", offsetof(struct boot_params, hdr.cmd_line_ptr));
	SET("LAPIC_ADDR", LAPIC_ADDR);
	SET("I8042_COMMAND_PORT", KBD_STATUS);
	SET("ACPI_PM1A_EVT", ACPI_PM1A_EVT);
	return 0;
}
