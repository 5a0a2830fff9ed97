#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages pvx needs, only those missing.
# Usage: scripts/deps.sh [group...]   groups: host guest hv (default: all)
set -euo pipefail

declare -A pkgs=(
	[host]="build-essential clang-14 libclang-rt-14-dev llvm-14 sparse valgrind pkg-config"
	[guest]="build-essential flex bison bc cpio libelf-dev libssl-dev dwarves ccache python3 qemu-system-x86 linux-source-6.12 sparse coccinelle xz-utils rsync git kmod busybox-static musl-tools"
	[hv]="build-essential musl-tools qemu-system-x86 busybox-static cpio xz-utils zstd socat kmod python3 acpica-tools"
)

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(host guest hv)

want=()
for g in "${groups[@]}"; do
	[ -n "${pkgs[$g]+x}" ] || { echo "deps: unknown group '$g' (valid: ${!pkgs[*]})" >&2; exit 2; }
	for p in ${pkgs[$g]}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || want+=("$p")
	done
done
[ ${#want[@]} -eq 0 ] && exit 0

echo "deps: installing ${want[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages: ${want[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
