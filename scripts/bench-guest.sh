#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-guest: what pvx costs natively, in instructions.  The guest
# tree (build/guest-src, made by `make guest`) is built in three
# configurations, each tests/guest/guest.config without KUnit:
#
#   pvx     as shipped: PVX, KVM_GUEST, XEN_PV (so PARAVIRT_XXL)
#   nopvx   the same with CONFIG_PVX=n
#   noxxl   PVX and KVM_GUEST without XEN_PV, so without PARAVIRT_XXL
#
# and each is booted natively under QEMU TCG with -icount shift=0 (the
# guest clock counts instructions: 1 ns is one instruction) running the
# init's bench mode: boot-to-init, then a loop of syscalls, page faults
# and context switches.  It prints the figures, their ratios and the
# commands; it asserts nothing.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ksrc=$top/build/guest-src
out=$top/build/bench
export CCACHE_DIR=${CCACHE_DIR:-$top/build/ccache}
[ -f "$ksrc/arch/x86/pvx/report.c" ] || "$top/scripts/guest-build.sh"
[ -f "$top/build/guest/initrd.cpio" ] || "$top/scripts/guest-build.sh"
mkdir -p "$out"

frag() {	# $1: configuration name
	local drop='KUNIT|PVX_KUNIT_TEST|PVX_REFHV_KUNIT_TEST'
	case $1 in
	nopvx) drop="$drop|PVX" ;;
	noxxl) drop="$drop|XEN|XEN_PV|PARAVIRT_XXL" ;;
	esac
	grep -vE "^CONFIG_($drop)=" "$top/tests/guest/guest.config"
	case $1 in
	nopvx) echo '# CONFIG_PVX is not set' ;;
	noxxl) echo '# CONFIG_XEN is not set' ;;
	esac
}

build() {	# $1: configuration name
	local obj=$out/$1-obj t0=$SECONDS
	frag "$1" > "$out/$1.config"
	mkdir -p "$obj"
	make -s -C "$ksrc" O="$obj" ARCH=x86_64 tinyconfig >/dev/null
	"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$out/$1.config" >/dev/null
	make -s -C "$ksrc" O="$obj" ARCH=x86_64 olddefconfig
	make -s -C "$ksrc" O="$obj" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" bzImage
	echo "bench-guest: built $1 in $((SECONDS - t0))s: $(grep -cE '^CONFIG_(PVX|PARAVIRT_XXL)=y' "$obj/.config") of PVX, PARAVIRT_XXL" >&2
}

run() {	# $1: configuration name
	local cmd="BZIMAGE=$out/$1-obj/arch/x86/boot/bzImage QEMU_ARGS='-icount shift=0,align=off,sleep=off' scripts/qemu-boot.sh pvx_bench=1"
	echo "$cmd" > "$out/$1.cmd"
	(cd "$top" && eval "$cmd") > "$out/$1.log" 2>&1 || true
	sed -n 's/^PVX-BENCH: //p' "$out/$1.log" | tr -d '\r' | tr '\n' ' '
}

for c in pvx nopvx noxxl; do build "$c"; done
declare -A boot loop
for c in pvx nopvx noxxl; do
	line=$(run "$c")
	boot[$c]=$(sed -n 's/.*boot_ns=\([0-9]*\).*/\1/p' <<<"$line")
	loop[$c]=$(sed -n 's/.*loop_ns=\([0-9]*\).*/\1/p' <<<"$line")
	[ -n "${boot[$c]}" ] && [ -n "${loop[$c]}" ] ||
		{ echo "bench-guest: no figures from $c (see $out/$c.log)" >&2; exit 1; }
done
ratio() { python3 -c "print('%.4f' % ($1 / $2))"; }
printf '\n%-8s %16s %16s\n' config boot_to_init loop
for c in pvx nopvx noxxl; do
	printf '%-8s %16s %16s   (instructions)\n' "$c" "${boot[$c]}" "${loop[$c]}"
done
printf '\n%-28s %10s %10s\n' ratio boot loop
printf '%-28s %10s %10s\n' "PVX=y / PVX=n (with XXL)" "$(ratio "${boot[pvx]}" "${boot[nopvx]}")" \
	"$(ratio "${loop[pvx]}" "${loop[nopvx]}")"
printf '%-28s %10s %10s\n' "XXL on / XXL off (with PVX)" "$(ratio "${boot[pvx]}" "${boot[noxxl]}")" \
	"$(ratio "${loop[pvx]}" "${loop[noxxl]}")"
echo
echo "Each figure: tests/guest/init.c's bench mode, booted by"
for c in pvx nopvx noxxl; do echo "  $c: $(cat "$out/$c.cmd")"; done
echo "configs: $out/{pvx,nopvx,noxxl}.config over tinyconfig; logs: $out/*.log"
