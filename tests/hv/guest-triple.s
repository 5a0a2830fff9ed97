# SPDX-License-Identifier: GPL-2.0
# pvx-hv test guest: an invalid opcode with no IDT -> triple fault.
	.code32
	ud2
