#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-hv: pvx-hv's tests.
#  1. bad input, on this host: every case fails before KVM_RUN (most before
#     opening KVM at all), so they are safe even on a PVM-backed /dev/kvm;
#  2. boots, in ONE L1 VM (or on the host's /dev/kvm if it has VT-x/AMD-V):
#     the guest with personality none on 1 and 2 vCPUs (pvx line with
#     backend=native and pv=none, KUnit via kunit.py parse, PVX-RESULT
#     status=0), and tiny test guests: triple fault, watchdog, a PVX
#     shutdown hypercall with an exit code.
# Results: scripts/result.sh check-hv PASS|FAIL NAME; exits 1 on any FAIL.
# Usage: check-hv.sh PVX_HV KERNEL INITRD|-   (env GUEST_KSRC: kunit.py's tree)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pvx_hv=$1 kernel=$2 initrd=$3
out=$top/build/hv/check
ksrc=${GUEST_KSRC:-$top/build/linux-source-6.12}
mkdir -p "$out"
failed=0

pass() { "$top/scripts/result.sh" check-hv PASS "$@"; }
fail() { "$top/scripts/result.sh" check-hv FAIL "$@"; failed=1; }

# expect NAME STATUS REGEX -- ARGS...: pvx-hv ARGS exits STATUS saying REGEX.
expect() {
	local name=$1 want=$2 re=$3 rc msg
	shift 4
	msg=$("$pvx_hv" "$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = "$want" ] && grep -qE -- "$re" <<<"$msg"; then
		pass "$name" "status $rc: $(head -1 <<<"$msg")"
	else
		fail "$name" "want status $want and /$re/, got $rc: $(head -2 <<<"$msg" | tr '\n' ' ')"
	fi
}

# --- test images -----------------------------------------------------------
img=$out/img
rm -rf "$img"
mkdir -p "$img"
cc -std=c11 -Wall -Wextra -Werror -I "$here/../../abi" -o "$img/abi-consts" \
	"$here/abi-consts.c" && "$img/abi-consts" > "$img/abi.inc" ||
	fail "build-abi-consts" "cannot generate the test guests' ABI constants"
for g in triple hang pvx-exit; do
	as --32 -I "$img" -o "$img/$g.o" "$here/guest-$g.s" &&
	objcopy -O binary -j .text "$img/$g.o" "$img/$g.bin" &&
	python3 "$here/mkbzimage.py" "$img/$g.bin" "$img/$g.bzImage" ||
		fail "build-$g" "cannot build test guest $g"
done
for i in $(seq 64); do echo "just some text, no kernel here"; done > "$img/text"
: > "$img/empty"
head -c 600000 "$kernel" > "$img/truncated"
# Flip a byte in the payload and cut the image where its header says it
# ends: the CRC at the end no longer matches (signed images included).
python3 - "$kernel" "$img/corrupt" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
end = ((d[0x1f1] or 4) + 1) * 512 + struct.unpack_from('<I', d, 0x1f4)[0] * 16
d = d[:end]
d[end // 2] ^= 0x01
open(sys.argv[2], 'wb').write(d)
PY
long=$(head -c 5000 /dev/zero | tr '\0' x)

# --- 1. bad input (on this host, nothing reaches KVM_RUN) --------------------
k=$kernel
expect flags-unknown    64 "unknown option '--frobnicate'" -- --frobnicate "$k"
expect flags-no-value   64 "option '--cpus' needs a value" -- "$k" --cpus
expect flags-cpus-zero  64 "--cpus: '0' is not a number from 1 to 64" -- --cpus 0 "$k"
expect flags-cpus-many  64 "--cpus: '65' is not a number" -- --cpus 65 "$k"
expect flags-cpus-text  64 "--cpus: 'two' is not a number" -- --cpus two "$k"
expect flags-mem-bad    64 "--mem: '12Q' is not a size" -- --mem 12Q "$k"
expect flags-mem-huge   64 "--mem: '64G' is not a size up to 3G" -- --mem 64G "$k"
expect flags-personality 64 "--personality: 'xen' is not none, pvx, kvm or both" -- --personality xen "$k"
expect flags-timeout    64 "--timeout: '-1' is not a number" -- --timeout -1 "$k"
expect flags-no-image   64 "no kernel image given" --
expect flags-two-images 64 "unexpected argument" -- "$k" "$k"
expect flags-cmdline-long 64 "--cmdline: longer than the kernel's limit" -- --cmdline "$long" "$k"
expect image-missing    65 "cannot open /nonexistent/bzImage: No such file" -- /nonexistent/bzImage
expect image-directory  65 "not a regular file" -- "$img"
expect initrd-missing   65 "cannot open /nonexistent/initrd" -- --initrd /nonexistent/initrd "$k"
expect image-text       66 "not a bzImage \(no Linux boot header\)" -- "$img/text"
expect image-empty      66 "not a bzImage \(only 0 bytes\)" -- "$img/empty"
expect image-truncated  66 "corrupt bzImage: truncated" -- "$img/truncated"
expect image-corrupt    66 "corrupt bzImage: checksum mismatch" -- "$img/corrupt"
expect mem-too-little   67 "--mem 16M is too little for .*: it needs at least [0-9]+M" -- --mem 16M "$k"
expect kvm-missing      68 "cannot open /nonexistent/kvm: No such file" -- --kvm /nonexistent/kvm "$k"
expect kvm-unusable     68 "/dev/null is not a usable KVM device" -- --kvm /dev/null "$k"

# --- 2. boots: one L1 VM runs every case -------------------------------------
cmdline='console=ttyS0 reboot=k panic=-1 pci=off'
files=("bzImage=$kernel" "triple=$img/triple.bzImage" "hang=$img/hang.bzImage"
       "pvxexit=$img/pvx-exit.bzImage")
initrd_arg=
if [ "$initrd" != - ]; then
	files+=("initrd=$initrd")
	initrd_arg='--initrd $HV/initrd'
fi
cat > "$out/cases" <<CASES
none1 --personality none --cpus 1 --stats --timeout 600 $initrd_arg --cmdline '$cmdline' \$HV/bzImage
none2 --personality none --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$cmdline' \$HV/bzImage
triple --mem 64M --timeout 60 \$HV/triple
watchdog --mem 64M --timeout 3 \$HV/hang
pvx-exit --personality pvx --mem 64M --stats --timeout 60 \$HV/pvxexit
CASES
if ! "$top/scripts/l1/run-cases.sh" "$out" "$out/cases" "$pvx_hv" "${files[@]}"; then
	fail l1-harness "run-cases.sh failed; see $out/console.log"
fi
sed -n 's/^PVX-L1: //p; s/^run-cases: //p' "$out/console.log"

rc_of() { cat "$out/$1.rc" 2>/dev/null || echo none; }

# A guest boot: status 0, pvx line native/pv=none, KUnit, PVX-RESULT.
check_boot() {
	local name=$1 log=$out/$1.log rc line kunit
	rc=$(rc_of "$name")
	[ "$rc" = 0 ] && pass "$name-exit" "pvx-hv exited 0" ||
		fail "$name-exit" "pvx-hv exited $rc; see $log"
	line=$(grep -m1 -o 'pvx: backend=.*' "$log" 2>/dev/null)
	if grep -q 'backend=native .* pv=none ' <<<"$line"; then
		pass "$name-pvx-line" "$line"
	else
		fail "$name-pvx-line" "want backend=native ... pv=none, got '${line:-no pvx line}'"
	fi
	if [ -f "$ksrc/tools/testing/kunit/kunit.py" ]; then
		kunit=$(python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$log" 2>&1)
		if [ $? = 0 ]; then
			pass "$name-kunit" "$(grep -o 'Ran .*' <<<"$kunit" | tail -1)"
		else
			fail "$name-kunit" "$(grep -E 'FAILED|ERROR|Ran ' <<<"$kunit" | head -3 | tr '\n' ' ')"
		fi
	else
		fail "$name-kunit" "no kunit.py in $ksrc (set GUEST_KSRC)"
	fi
	if grep -q 'PVX-RESULT: status=0' "$log" 2>/dev/null; then
		pass "$name-result" "PVX-RESULT: status=0"
	else
		fail "$name-result" "$(grep -m1 -o 'PVX-RESULT: .*' "$log" 2>/dev/null || echo 'no PVX-RESULT line')"
	fi
	if [ "$name" = none2 ] && ! grep -qE 'smp: Brought up .* 2 CPUs' "$log"; then
		fail "$name-smp" "the guest did not bring up 2 CPUs"
	elif [ "$name" = none2 ]; then
		pass "$name-smp" "$(grep -o 'smp: Brought up .*' "$log")"
	fi
}
check_boot none1
check_boot none2

# expect_case NAME STATUS REGEX: a tiny guest's case ended as expected.
expect_case() {
	local rc
	rc=$(rc_of "$1")
	if [ "$rc" = "$2" ] && grep -qE -- "$3" "$out/$1.log" 2>/dev/null; then
		pass "$1" "status $rc"
	else
		fail "$1" "want status $2 and /$3/, got $rc; see $out/$1.log"
	fi
}
expect_case triple   69 "vcpu 0: triple fault"
expect_case watchdog 71 "watchdog: guest still running after 3 s"
expect_case pvx-exit 42 "hypercall +9 +shutdown +1"

for n in none1 none2; do
	grep -E '^pvx-hv stats|^  exit|^    io' "$out/$n.log" 2>/dev/null | sed "s/^/  [$n] /"
done
exit $failed
