#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make run: one guest kernel, every platform here, side by side.  Builds
# the guest (if its inputs changed), boots the same bzImage natively under
# QEMU TCG and under pvx-hv (PERSONALITY none, pvx and kvm) in one L1 VM
# (or on /dev/kvm directly where the host has real VT-x/AMD-V), and prints
# one row per platform.  Exit status: non-zero if any row that ran failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/run
rm -rf "$out"
mkdir -p "$out"
t_start=$SECONDS

step() {	# $1: what, rest: command; prints progress and how long it took
	local what=$1 t0=$SECONDS rc
	shift
	printf 'run: %-52s ' "$what ..."
	"$@" > "$out/step.log" 2>&1
	rc=$?
	cat "$out/step.log" >> "$out/steps.log"
	printf '%s in %ds\n' "$([ $rc = 0 ] && echo done || echo "FAILED ($rc)")" $((SECONDS - t0))
	return $rc
}

"$top/scripts/deps.sh" guest hv || exit 1
step "build the guest (scripts/guest-build.sh)" "$top/scripts/guest-build.sh" ||
	{ tail -20 "$out/steps.log"; exit 1; }
bz=$top/build/guest/bzImage initrd=$top/build/guest/initrd.cpio
step "build pvx-hv" make -s -C "$top" pvx-hv
hv_ok=$?

cmdline='reboot=k panic=-1 pci=off'
step "boot natively (QEMU TCG)" env TIMEOUT=300 "$top/scripts/qemu-boot.sh" $cmdline
cp "$out/step.log" "$out/native.log"

cat > "$out/cases" <<CASES
none --personality none --cpus 1 --stats --timeout 600 --initrd \$HV/initrd --cmdline 'console=ttyS0 $cmdline' \$HV/bzImage
pvx --personality pvx --cpus 1 --stats --timeout 600 --initrd \$HV/initrd --cmdline 'earlycon=pvx console=pvx0 printk.devkmsg=on $cmdline' \$HV/bzImage
kvm --personality kvm --cpus 1 --stats --timeout 600 --initrd \$HV/initrd --cmdline 'console=ttyS0 $cmdline' \$HV/bzImage
qemu @qemu-kvm.sh 1 512M 600 \$HV/bzImage \$HV/initrd 'console=ttyS0 $cmdline'
CASES
hv_why=""
if [ $hv_ok = 0 ]; then
	step "boot under pvx-hv (none, pvx, kvm), QEMU -enable-kvm" \
		"$top/scripts/l1/run-cases.sh" "$out/hv" "$out/cases" "$top/build/hv/pvx-hv" \
		"bzImage=$bz" "initrd=$initrd" || hv_why="the L1 VM failed (build/run/hv/console.log)"
else
	hv_why="pvx-hv did not build (build/run/steps.log)"
fi

# One row: platform, log, expected backend.
rows=() fails=0
row() {
	local plat=$1 log=$2 want=$3 why=${4:-} line backend abi pv nat exits kexits init verdict
	if [ -n "$why" ]; then
		rows+=("$plat|-|-|-|-|-|-|-|not run: $why")
		return
	fi
	if [ ! -s "$log" ]; then
		rows+=("$plat|-|-|-|-|-|-|-|FAIL: no log ($log)")
		fails=$((fails + 1))
		return
	fi
	line=$(grep -a -m1 -o 'pvx: backend=.*' "$log" | tr -d '\r')
	backend=$(sed -n 's/.*backend=\([^ ]*\).*/\1/p' <<<"$line")
	abi=$(sed -n 's/.* abi=\([^ ]*\) transport=\([^ ]*\).*/\1 \2/p' <<<"$line")
	pv=$(sed -n 's/.* pv=\([^ ]*\).*/\1/p' <<<"$line")
	nat=$(sed -n 's/.* native=\([^ ]*\).*/\1/p' <<<"$line" | tr ',' '\n' | grep -c .)
	# pvx-hv counts its own exits; for QEMU, KVM counts them (qemu-kvm.sh).
	exits=$(sed -n 's/^pvx-hv stats: .*, \([0-9]*\) exits to userspace.*/\1/p;
		s/^qemu-kvm kvm stats: .*, \([0-9]*\) to userspace.*/\1/p' "$log")
	kexits=$(sed -n 's/^\(pvx-hv\|qemu-kvm\) kvm stats: .*, \([0-9]*\) handled inside KVM$/\2/p' "$log")
	init=$(grep -a -m1 'Run /init' "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
	verdict=ok
	grep -aq 'PVX-RESULT: status=0' "$log" || verdict="FAIL: no PVX-RESULT status=0"
	[ "$backend" = "$want" ] || verdict="FAIL: backend ${backend:-none}, want $want"
	[ "$verdict" = ok ] || fails=$((fails + 1))
	rows+=("$plat|${backend:--}|${abi:--}|${pv:--}|${nat:-0} native|${exits:-n/a}|${kexits:-n/a}|${init:--}|$verdict")
}
row "native (QEMU TCG)" "$out/native.log" native
row "pvx-hv, PERSONALITY=none" "$out/hv/none.log" native "$hv_why"
row "pvx-hv, PERSONALITY=pvx" "$out/hv/pvx.log" refhv "$hv_why"
row "pvx-hv, PERSONALITY=kvm" "$out/hv/kvm.log" kvm "$hv_why"
row "QEMU -enable-kvm -cpu host" "$out/hv/qemu.log" kvm "$hv_why"

# Boot-to-init as a ratio to the fastest row that ran.
fastest=$(printf '%s\n' "${rows[@]}" | cut -d'|' -f8 | grep -E '^[0-9.]+$' | sort -g | head -1)
echo
fmt='%-27s %-7s %-12s %-36s %-9s %10s %10s %7s  %s\n'
printf "$fmt" platform backend abi/transport "pv ops" native "exits:usr" "in KVM" "init(x)" verdict
for r in "${rows[@]}"; do
	IFS='|' read -r plat backend abi pv nat exits kexits init verdict <<<"$r"
	ratio=-
	[[ $init =~ ^[0-9.]+$ ]] && [ -n "$fastest" ] &&
		ratio=$(python3 -c "print('%.2f' % ($init / $fastest))")
	# The pv ops, wrapped at commas onto continuation lines.
	mapfile -t pvl < <(fold -s -w 36 <<<"${pv//,/, }" | sed 's/ *$//')
	printf "$fmt" "$plat" "$backend" "$abi" "${pvl[0]:--}" "$nat" "$exits" "$kexits" "$ratio" "$verdict"
	for l in "${pvl[@]:1}"; do
		printf "$fmt" "" "" "" "$l" "" "" "" "" ""
	done
done
echo
echo "exits:usr: exits to the VMM in userspace, boot to power-off (pvx-hv --stats; for QEMU,"
echo "KVM's kvm_userspace_exit tracepoint).  in KVM: VM exits KVM handled itself (its own"
echo "counters).  init(x): 'Run /init' on the guest's clock, as a ratio to the fastest row."
echo "Full logs: build/run/native.log and build/run/hv/ (none.log, pvx.log, kvm.log, qemu.log,"
echo "console.log).  $((SECONDS - t_start))s in all."
[ $fails = 0 ]
