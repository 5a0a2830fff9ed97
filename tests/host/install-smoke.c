// SPDX-License-Identifier: GPL-2.0
/* Built against an installed libpvxhv through pkg-config (check-host). */
#include <stdio.h>
#include <pvxhv.h>

int main(void)
{
	printf("%s %s %d.%d\n", pvxhv_hypercall_name(PVX_HC_multicall),
	       pvxhv_error_name(-PVX_EFAULT), PVX_ABI_VERSION_MAJOR, PVX_ABI_VERSION_MINOR);
	return pvxhv_create(NULL) == NULL ? 0 : 1;
}
