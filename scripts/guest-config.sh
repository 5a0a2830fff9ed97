#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure a guest build directory: `make tinyconfig`, the fragment merged
# over it, olddefconfig, and every CONFIG_ line of the fragment checked to
# have survived.  Usage: scripts/guest-config.sh KSRC OBJ FRAGMENT
set -euo pipefail
ksrc=${1:?usage: $0 KSRC OBJ FRAGMENT} obj=${2:?} frag=${3:?}
mkdir -p "$obj"
make -s -C "$ksrc" O="$obj" ARCH=x86_64 tinyconfig >/dev/null
"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$frag" >/dev/null
make -s -C "$ksrc" O="$obj" ARCH=x86_64 olddefconfig
missing=0
for l in $(grep '^CONFIG_' "$frag"); do
	grep -qx "$l" "$obj/.config" || { echo "guest-config: config lost $l" >&2; missing=1; }
done
exit $missing
