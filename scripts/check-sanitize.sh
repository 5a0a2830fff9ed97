#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-sanitize: the guest with its debugging on.  The same tree and
# tests/guest/guest.config as make check, plus tests/guest/sanitize.config
# (KASAN, UBSAN, KFENCE, PROVE_LOCKING, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT,
# and PREEMPT, which DEBUG_PREEMPT needs), built in build/sanitize-obj and
# booted:
#   - natively (QEMU TCG) with 2 CPUs;
#   - under pvx-hv with PERSONALITY=pvx (refhv) with 2 and 4 vCPUs.
# Each boot runs every KUnit suite (the conformance suite among them) and
# the init's checks; required: kunit.py parse green, PVX-RESULT status=0,
# and not one report from a sanitizer, lockdep or the might_sleep and
# preemption checks.  Results: scripts/result.sh, one summary line.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/sanitize
obj=$top/build/sanitize-obj
export CCACHE_DIR=${CCACHE_DIR:-$top/build/ccache}
results=$out/check-sanitize.txt
rm -rf "$out"
mkdir -p "$out"
res() { PVX_RESULTS=$out "$top/scripts/result.sh" check-sanitize "$@"; }

"$top/scripts/deps.sh" guest hv || exit 1
"$top/scripts/guest-build.sh" > "$out/guest-build.log" 2>&1 ||
	{ tail -20 "$out/guest-build.log"; exit 1; }
ksrc=$(readlink -f "$top/build/guest/ksrc")
cat "$top/tests/guest/guest.config" "$top/tests/guest/sanitize.config" > "$out/config"
t0=$SECONDS
if "$top/scripts/guest-config.sh" "$ksrc" "$obj" "$out/config" > "$out/build.log" 2>&1 &&
   make -s -C "$ksrc" O="$obj" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" bzImage >> "$out/build.log" 2>&1; then
	res PASS build "KASAN, UBSAN, KFENCE, PROVE_LOCKING, DEBUG_ATOMIC_SLEEP, DEBUG_PREEMPT in $((SECONDS - t0))s"
	# Out-of-line helpers (no inlining under KASAN) must not break noinstr.
	if grep -q 'objtool:' "$out/build.log"; then
		res FAIL objtool "$(grep -m1 'objtool:' "$out/build.log")"
	else
		res PASS objtool "no objtool warning in the sanitized build"
	fi
else
	res FAIL build "$(grep -m3 -E 'error|config lost' "$out/build.log" | tr '\n' ' ')"
	exit 1
fi
bz=$obj/arch/x86/boot/bzImage initrd=$top/build/guest/initrd.cpio

# verdict NAME LOG: KUnit, the init's result, no report of any checker.
verdict() {
	local name=$1 log=$2 k r
	r=$("$top/scripts/kernel-reports.sh" "$log") || r="cannot read $log"
	if [ -z "$r" ]; then
		res PASS "$name.reports" "no report from KASAN, UBSAN, KFENCE, lockdep, might_sleep, preemption checks"
	else
		res FAIL "$name.reports" "$(grep -c . <<<"$r"): $(head -1 <<<"$r")"
	fi
	if k=$("$top/scripts/ktap-lines.sh" < "$log" |
	       python3 "$ksrc/tools/testing/kunit/kunit.py" parse 2>&1); then
		res PASS "$name.kunit" "$(grep -o 'Ran .*' <<<"$k" | tail -1)"
	else
		res FAIL "$name.kunit" "$(grep -E 'FAILED|ERROR|Ran ' <<<"$k" | head -3 | tr '\n' ' ')"
	fi
	if grep -q 'PVX-RESULT: status=0' "$log"; then
		res PASS "$name.result" "PVX-RESULT: status=0"
	else
		res FAIL "$name.result" "$(grep -m1 -o 'PVX-RESULT: .*' "$log" || echo 'no PVX-RESULT line')"
	fi
}

t0=$SECONDS
BZIMAGE=$bz CPUS=2 TIMEOUT=900 "$top/scripts/qemu-boot.sh" panic=-1 pci=off \
	pvx_expect=native > "$out/native2.log" 2>&1
tr -d '\r' < "$out/native2.log" > "$out/native2.txt"
verdict native2 "$out/native2.txt"
echo "check-sanitize: native boot in $((SECONDS - t0))s"

cmdline='earlycon=pvx console=pvx0 printk.devkmsg=on reboot=k panic=-1 pci=off pvx_expect=refhv'
cat > "$out/cases" <<CASES
pvx2 --personality pvx --cpus 2 --mem 1G --stats --timeout 900 --initrd \$HV/initrd --cmdline '$cmdline' \$HV/bzImage
pvx4 --personality pvx --cpus 4 --mem 1G --stats --timeout 900 --initrd \$HV/initrd --cmdline '$cmdline' \$HV/bzImage
CASES
t0=$SECONDS
make -s -C "$top" pvx-hv &&
	L1_MEM=3072 "$top/scripts/l1/run-cases.sh" "$out/hv" "$out/cases" "$top/build/hv/pvx-hv" \
		"bzImage=$bz" "initrd=$initrd" || res FAIL l1 "the L1 run failed ($out/hv/console.log)"
echo "check-sanitize: pvx-hv boots in $((SECONDS - t0))s"
for n in pvx2 pvx4; do
	rc=$(cat "$out/hv/$n.rc" 2>/dev/null || echo none)
	[ "$rc" = 0 ] && res PASS "$n.exit" "pvx-hv exited 0" || res FAIL "$n.exit" "pvx-hv exited $rc"
	verdict "$n" "$out/hv/$n.log"
done
p=$(grep -c '^PASS' "$results") f=$(grep -c '^FAIL' "$results")
echo "$p passed, $f failed"
[ "$f" = 0 ]
