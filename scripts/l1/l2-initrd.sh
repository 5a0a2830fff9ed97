#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A tiny busybox initramfs for an L2 guest that is not the pvx guest
# (e.g. Debian's own vmlinuz): it reports the CPUs it sees and the
# hypervisor CPUID leaves, prints "PVX-RESULT: status=0" and reboots.
# Usage: l2-initrd.sh OUT.cpio
set -euo pipefail
out=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/proc" "$tmp/dev"
cp /bin/busybox "$tmp/bin/busybox"
cat > "$tmp/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo "L2: up in $(/bin/busybox cut -d' ' -f1 /proc/uptime)s, $(/bin/busybox grep -c ^processor /proc/cpuinfo) cpu(s)"
/bin/busybox grep -m1 -o 'hypervisor' /proc/cpuinfo || echo "L2: no hypervisor flag"
echo "PVX-RESULT: status=0"
/bin/busybox reboot -f
INIT
chmod +x "$tmp/init"
(cd "$tmp" && find . | cpio -o -H newc --quiet) > "$out"
