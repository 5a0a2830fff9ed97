#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the guest natively: QEMU TCG (-cpu max), serial on stdout, and exit
# when the guest reboots.  Usage: scripts/qemu-boot.sh [cmdline-extra...]
# Env: BZIMAGE, INITRD (default build/guest/*), CPUS (1), TIMEOUT (120 s),
# QEMU_ARGS (more QEMU options, e.g. devices for a test).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bz=${BZIMAGE:-$top/build/guest/bzImage}
initrd=${INITRD:-$top/build/guest/initrd.cpio}
for f in "$bz" "$initrd"; do
	[ -f "$f" ] || { echo "qemu-boot: $f missing (make guest)" >&2; exit 1; }
done
exec timeout --foreground -k 5 "${TIMEOUT:-120}" \
	qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp "${CPUS:-1}" \
	-nodefaults -nographic -no-reboot -serial stdio \
	-bios /usr/share/qemu/qboot.rom \
	-kernel "$bz" -initrd "$initrd" ${QEMU_ARGS:-} \
	-append "console=ttyS0 reboot=k $*"
