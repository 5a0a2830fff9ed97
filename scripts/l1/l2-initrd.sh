#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A tiny busybox initramfs for an L2 guest that is not the pvx guest
# (e.g. Debian's own vmlinuz): it reports the CPUs it sees, the hypervisor
# CPUID flag and the clocksource, prints "PVX-RESULT: status=0" and powers
# off (ACPI S5 under pvx-hv).
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
echo "L2: clocksource $(/bin/busybox cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
echo "PVX-RESULT: status=0"
/bin/busybox poweroff -f
INIT
chmod +x "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet) > "$out"
