#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A tiny busybox initramfs for an L2 guest that is not the pvx guest
# (e.g. Debian's own vmlinuz): it reports the CPUs it sees, their vendor,
# the hypervisor CPUID flag, the clocksource and the local APIC timer
# interrupts so far, prints "PVX-RESULT: status=0" and powers off (ACPI S5
# under pvx-hv). tests/hv/check-hv.sh reads the "L2: " lines.
# Usage: l2-initrd.sh OUT.cpio
set -euo pipefail
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/sys" "$tmp/dev"
cp /bin/busybox "$tmp/bin/busybox"
cat > "$tmp/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t sysfs sys /sys
echo "L2: up in $(/bin/busybox cut -d' ' -f1 /proc/uptime)s, $(/bin/busybox grep -c ^processor /proc/cpuinfo) cpu(s)"
/bin/busybox grep -m1 -o 'hypervisor' /proc/cpuinfo || echo "L2: no hypervisor flag"
echo "L2: cpu vendor $(/bin/busybox awk '/^vendor_id/ { print $3; exit }' /proc/cpuinfo)"
echo "L2: clocksource $(/bin/busybox cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "L2: local timer interrupts $(/bin/busybox awk '$1 == "LOC:" { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i } END { print n + 0 }' /proc/interrupts)"
echo "PVX-RESULT: status=0"
/bin/busybox poweroff -f
INIT
chmod +x "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet) > "$out"
