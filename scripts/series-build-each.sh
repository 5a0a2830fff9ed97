#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Prove every patch of build/series builds on its own: apply the first i
# patches to a clone of the pristine tree and build the guest config, for
# each i; then build the whole series with clang and with CONFIG_PVX=n.
# Slow (one kernel build per patch, ccache helps); not part of
# `make check`.  Usage: scripts/series-build-each.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
pristine=$("$top/scripts/ksrc.sh")
series=$top/build/series
work=$top/build/series-each
obj=$top/build/series-each-obj
export CCACHE_DIR=${CCACHE_DIR:-$top/build/ccache}
[ -d "$series" ] || "$top/scripts/series.sh" "$series"
mapfile -t patches < <(sed "s|^|$series/|" "$series/series")

rm -rf "$work" "$obj"
git clone -q --shared "$pristine" "$work"
mkdir -p "$obj"
make -s -C "$work" O="$obj" ARCH=x86_64 tinyconfig >/dev/null
"$work/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
	"$top/tests/guest/guest.config" >/dev/null
fails=0
for p in "${patches[@]}"; do
	git -C "$work" -c user.name=pvx -c user.email=pvx@localhost am -q "$p"
	t0=$SECONDS
	if make -s -C "$work" O="$obj" ARCH=x86_64 olddefconfig &&
	   make -s -C "$work" O="$obj" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" bzImage modules \
		> "$obj/build.log" 2>&1; then
		echo "series-build-each: PASS $(basename "$p") ($((SECONDS - t0))s)"
	else
		echo "series-build-each: FAIL $(basename "$p"): see $obj/build.log"
		fails=$((fails + 1))
	fi
done
# The final tree with clang, and without pvx.
variant() {	# $1: name, $2: CC, $3: config line to add
	local vobj=$obj-$1 t0=$SECONDS
	mkdir -p "$vobj"
	{ grep -vE '^CONFIG_(PVX|PVX_REFHV|PVX_KUNIT_TEST|PVX_REFHV_KUNIT_TEST)=' "$top/tests/guest/guest.config"
	  [ "$1" = clang ] && grep -E '^CONFIG_PVX' "$top/tests/guest/guest.config"
	  echo "$3"; } > "$vobj/frag.config"
	if make -s -C "$work" O="$vobj" ARCH=x86_64 CC="$2" tinyconfig >/dev/null &&
	   "$work/scripts/kconfig/merge_config.sh" -m -O "$vobj" "$vobj/.config" "$vobj/frag.config" >/dev/null &&
	   make -s -C "$work" O="$vobj" ARCH=x86_64 CC="$2" olddefconfig &&
	   make -s -C "$work" O="$vobj" ARCH=x86_64 CC="$2" -j"$(nproc)" bzImage > "$vobj/build.log" 2>&1; then
		echo "series-build-each: PASS $1 ($((SECONDS - t0))s)"
	else
		echo "series-build-each: FAIL $1: see $vobj/build.log"
		fails=$((fails + 1))
	fi
}
variant clang "ccache clang-14" ""
variant nopvx "ccache gcc" "# CONFIG_PVX is not set"
exit $fails
