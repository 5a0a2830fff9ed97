#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make soak [N=100]: N consecutive boots of the guest under pvx-hv with
# PERSONALITY=pvx (refhv) and 2 vCPUs, in one L1 VM (or on the host's
# /dev/kvm where it has real VT-x/AMD-V). Each must reach init, pass every
# KUnit suite (the conformance suite among them) and the init's checks,
# print no WARNING, BUG or lockdep report, and power off cleanly: pvx-hv
# exits 0 through the PVX shutdown hypercall.
# Prints how many passed and the first failure with its log; exits 1 if
# any failed. Logs: build/soak/.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100}
out=$top/build/soak
[[ $n =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] || { echo "soak: N must be a number >= 1" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"

"$top/scripts/deps.sh" guest hv || exit 1
"$top/scripts/guest-build.sh" > "$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 1; }
make -s -C "$top" pvx-hv || exit 1

cmdline='earlycon=pvx console=pvx0 printk.devkmsg=on reboot=k panic=-1 pci=off pvx_poweroff=1'
for i in $(seq -w "$n"); do
	echo "soak-$i --personality pvx --cpus 2 --stats --timeout 300 --initrd \$HV/initrd --cmdline '$cmdline' \$HV/bzImage"
done > "$out/cases"
echo "soak: $n boots under pvx-hv, refhv, 2 vCPUs, in one L1 VM (logs: $out/)"
t0=$SECONDS
L1_TIMEOUT=$((600 + 60 * n)) "$top/scripts/l1/run-cases.sh" "$out" "$out/cases" \
	"$top/build/hv/pvx-hv" "bzImage=$top/build/guest/bzImage" \
	"initrd=$top/build/guest/initrd.cpio" || echo "soak: the L1 run failed; see $out/console.log"

passed=0 first=
for i in $(seq -w "$n"); do
	name=soak-$i log=$out/$name.log why=
	rc=$(cat "$out/$name.rc" 2>/dev/null || echo none)
	if [ "$rc" != 0 ]; then
		why="pvx-hv exited $rc"
	elif ! grep -q 'pvx: backend=refhv abi=1.1' "$log"; then
		why="not refhv on ABI 1.1: $(grep -m1 -o 'pvx: backend=[^ ]* abi=[^ ]*' "$log")"
	elif ! grep -q 'PVX-RESULT: status=0' "$log"; then
		why="$(grep -m1 -o 'PVX-RESULT: .*' "$log" || echo 'init never reported')"
	elif grep -qE '^\[ *[0-9.]+\] +not ok ' "$log"; then
		why="KUnit: $(grep -m1 -E 'not ok' "$log" | sed 's/^\[[^]]*\] *//')"
	elif ! grep -qE 'ok [0-9]+ ops_conformance' "$log"; then
		why="the conformance suite did not run"
	elif r=$("$top/scripts/kernel-reports.sh" "$log") && [ -n "$r" ]; then
		why="$(head -1 <<<"$r")"
	elif ! grep -q 'reboot: Power down' "$log" ||
	     ! grep -qE 'hypercall +9 +shutdown +[1-9][0-9]*$' "$log"; then
		why="no power-off through the PVX shutdown hypercall"
	fi
	if [ -z "$why" ]; then
		passed=$((passed + 1))
	elif [ -z "$first" ]; then
		first="$name: $why (log: $log)"
	fi
done
# A wedged L1 VM (not a boot's failure) reruns that boot; say so.
sed -n 's/^run-cases: \(the L1 VM .* in case soak-.*\); its last lines:$/soak: \1 (the boot runs once more; hung twice, it fails)/p' \
	"$out/console.log"
echo "soak: $passed of $n passed in $((SECONDS - t0))s"
[ -z "$first" ] || { echo "soak: first failure: $first"; exit 1; }
