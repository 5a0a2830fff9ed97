#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch the L1 kernel: Debian's linux-image-6.12 amd64 package, unpacked
# under build/l1/. Leaves build/l1/vmlinuz and build/l1/modules/*.ko (the
# KVM stack, decompressed, for busybox insmod). Cached: a second run with
# everything in place does nothing.
# Usage: scripts/l1/fetch.sh [outdir]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/build/l1}
mods=(irqbypass kvm ccp kvm-amd)	# load order

have_all() {
	[ -s "$out/vmlinuz" ] || return 1
	for m in "${mods[@]}"; do [ -s "$out/modules/$m.ko" ] || return 1; done
}
have_all && exit 0

mkdir -p "$out"
cd "$out"
# The meta package names the current ABI, e.g. linux-image-6.12.117+deb12-amd64.
pkg_of() { apt-cache depends "$1" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1; }
pkg=$(pkg_of linux-image-6.12-amd64)
if [ -z "$pkg" ]; then
	echo "l1: refreshing apt lists" >&2
	apt-get update -qq
	pkg=$(pkg_of linux-image-6.12-amd64)
fi
[ -n "$pkg" ] || { echo "l1: no linux-image-6.12-amd64 in apt" >&2; exit 1; }

if ! ls "$pkg"_*.deb >/dev/null 2>&1; then
	echo "l1: apt-get download $pkg" >&2
	apt-get download "$pkg" >/dev/null
fi
deb=$(ls "$pkg"_*.deb | head -1)

rm -rf root modules
mkdir -p root modules
dpkg -x "$deb" root
cp root/boot/vmlinuz-* vmlinuz
for m in "${mods[@]}"; do
	f=$(find root/lib/modules -name "$m.ko*" | head -1)
	[ -n "$f" ] || { echo "l1: module $m not in $deb" >&2; exit 1; }
	case "$f" in
	*.xz)  xz -dc "$f" > "modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" > "modules/$m.ko" ;;
	*)     cp "$f" "modules/$m.ko" ;;
	esac
done
rm -rf root
have_all
echo "l1: $(basename "$deb") -> $out" >&2
