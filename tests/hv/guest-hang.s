# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: spins with interrupts off; only the watchdog ends it.
	.code32
	cli
1:	jmp 1b
