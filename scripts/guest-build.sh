#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the pvx guest: one bzImage used everywhere (KUnit under kunit.py,
# the QEMU boot tests, pvx-hv) and an initramfs holding the project's init.
#
#   KDIR set:   build from that kernel tree (the series already applied,
#               or jury-rigged with scripts/jury-rig.sh)
#   KDIR unset: make the series (scripts/series.sh), apply it with git am
#               to a fresh clone of the pristine linux-source-6.12 tree
#               (build/guest-src) and build that
#
# Outputs in build/guest/: bzImage, initrd.cpio, ksrc (a symlink to the
# tree built), and build/guest-obj (the O= directory).
#
# The series needs an author (scripts/series.sh); a test build without a
# git identity or AUTHOR= uses the placeholder "pvx test build
# <pvx-test@localhost>".
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/guest
obj=$top/build/guest-obj
jobs=$(nproc)

step() { echo "guest: [$(date +%T)] $*"; }
timed() {
	local t0=$SECONDS what=$1
	shift
	step "$what ..."
	"$@"
	step "$what done in $((SECONDS - t0))s"
}

"$top/scripts/deps.sh" guest
mkdir -p "$out"
export CCACHE_DIR=${CCACHE_DIR:-$top/build/ccache}

# Everything the guest is made from; unchanged inputs, nothing to do.
inputs_hash() {
	(cd "$top" && cat $("$top/scripts/kernel-files.sh" | awk '{ print $1 }') \
		scripts/series/* tests/guest/* \
		scripts/guest-build.sh scripts/guest-config.sh scripts/series.sh \
		scripts/kernel-files.map) |
		sha256sum | cut -d' ' -f1
}
stamp="${KDIR:-series}:$(inputs_hash)"
if [ -z "${KDIR:-}" ] && [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] &&
   [ -f "$out/bzImage" ] && [ -f "$out/initrd.cpio" ]; then
	step "up to date ($out/bzImage)"
	exit 0
fi
rm -f "$out/stamp"

if [ -n "${KDIR:-}" ]; then
	ksrc=$(realpath "$KDIR")
	[ -f "$ksrc/arch/x86/pvx/report.c" ] ||
		{ echo "guest: $ksrc has no pvx (apply build/series or run scripts/jury-rig.sh)" >&2; exit 1; }
else
	if [ -z "${AUTHOR:-}" ] && ! git -C "$top" config user.email >/dev/null; then
		export AUTHOR="pvx test build <pvx-test@localhost>"
	fi
	timed "series (scripts/series.sh)" "$top/scripts/series.sh" "$top/build/series"
	ksrc=$top/build/guest-src
	apply() {
		rm -rf "$ksrc"
		git clone -q --shared "$("$top/scripts/ksrc.sh")" "$ksrc"
		git -C "$ksrc" -c user.name=pvx -c user.email=pvx@localhost \
			am -q $(sed "s|^|$top/build/series/|" "$top/build/series/series")
	}
	timed "git am the series onto pristine linux-source-6.12" apply
fi
ln -sfn "$ksrc" "$out/ksrc"

timed "configure (tinyconfig + tests/guest/guest.config)" \
	"$top/scripts/guest-config.sh" "$ksrc" "$obj" "$top/tests/guest/guest.config"

kbuild() {
	make -s -C "$ksrc" O="$obj" ARCH=x86_64 CC="ccache gcc" -j"$jobs" bzImage modules
}
timed "build bzImage with $jobs jobs (ccache in ${CCACHE_DIR})" kbuild
cp "$obj/arch/x86/boot/bzImage" "$out/bzImage"

initrd() {
	gcc -static -Os -Wall -Wextra -Werror -o "$out/init" "$top/tests/guest/init.c"
	cat > "$out/initrd.list" <<LIST
dir /dev 0755 0 0
nod /dev/console 0600 0 0 c 5 1
nod /dev/kmsg 0600 0 0 c 1 11
dir /proc 0755 0 0
dir /sys 0755 0 0
file /init $out/init 0755 0 0
LIST
	"$obj/usr/gen_init_cpio" "$out/initrd.list" > "$out/initrd.cpio"
}
timed "initramfs (tests/guest/init.c)" initrd
echo "$stamp" > "$out/stamp"
step "built $(du -h "$out/bzImage" | cut -f1) bzImage from $ksrc"
