#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-hv: pvx-hv's tests.
#  1. bad input, on this host: every case fails before KVM_RUN (most before
#     opening KVM at all), so they are safe even on a PVM-backed /dev/kvm;
#     and pvx-hv's ACPI tables, built on this host, checked and read by iasl;
#  2. boots, in ONE L1 VM (or on the host's /dev/kvm if it has VT-x/AMD-V):
#     the guest with personality none on 1 and 2 vCPUs (pvx line with
#     backend=native and pv=none, KUnit via kunit.py parse, PVX-RESULT
#     status=0); the same with personality pvx (refhv) and kvm (kvm.c), and
#     under QEMU -enable-kvm -cpu host (a VMM nobody here wrote, with the
#     same checks and KUnit suites), each with KVM's own exit counters;
#     Debian's own kernel (a guest nobody here wrote) with personality none on 1 vCPU and kvm on 2, to a busybox init that
#     reports and powers off through ACPI (exit 0, S5, the PM timer, a
#     hardware clocksource, local APIC timer interrupts, synchronized
#     TSCs); and tiny
#     test guests: triple fault, watchdog, a PVX shutdown hypercall with an
#     exit code, a PVX set_timer whose interrupt powers off.
# Results: scripts/result.sh check-hv PASS|FAIL NAME; exits 1 on any FAIL.
# Usage: check-hv.sh PVX_HV KERNEL|- INITRD|- DEBIAN_KERNEL DEBIAN_INITRD
#   KERNEL - : no pvx guest (HV_KERNEL=debian): its cases are not run.
#   env GUEST_KSRC: kunit.py's tree
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
pvx_hv=$1 kernel=$2 initrd=$3 deb_kernel=$4 deb_initrd=$5
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
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I "$here/../../abi" \
	-I "$top/hypervisor-stub/pvx-hv" -o "$img/abi-consts" "$here/abi-consts.c" &&
	"$img/abi-consts" > "$img/abi.inc" ||
	fail "build-abi-consts" "cannot generate the test guests' ABI constants"
# Linked where pvx-hv loads them: the 32-bit entry at 1 MiB.
for g in triple hang pvx-exit pvx-timer hostile chatter kick; do
	as --32 -I "$img" -I "$here" -o "$img/$g.o" "$here/guest-$g.s" &&
	ld -m elf_i386 -Ttext=0x100000 -e 0x100000 --oformat binary -o "$img/$g.bin" "$img/$g.o" &&
	python3 "$here/mkbzimage.py" "$img/$g.bin" "$img/$g.bzImage" ||
		fail "build-$g" "cannot build test guest $g"
done
# Boot headers pvx-hv must read right: 2.09, with bytes where 2.10's
# pref_address and init_size would be; an initrd_addr_max of 32 MiB.
python3 "$here/mkbzimage.py" --version 0x209 --pref-address 0x7fff0000 --init-size 0xfffff000 \
	"$img/pvx-exit.bin" "$img/protocol-2.09.bzImage" &&
python3 "$here/mkbzimage.py" --initrd-max 0x1ffffff "$img/pvx-exit.bin" "$img/initrd-max-32M.bzImage" &&
head -c $((40 << 20)) /dev/zero > "$img/initrd-40M" &&
head -c $((31 << 20)) /dev/zero > "$img/initrd-31M" ||
	fail build-headers "cannot build the boot-header test images"
for i in $(seq 64); do echo "just some text, no kernel here"; done > "$img/text"
: > "$img/empty"
# The bad-input cases need some real bzImage: the pvx guest, or Debian's.
k=$kernel
[ "$k" = - ] && k=$deb_kernel
head -c 600000 "$k" > "$img/truncated"
# Flip a byte in the payload and cut the image where its header says it
# ends: the CRC at the end no longer matches (signed images included).
python3 - "$k" "$img/corrupt" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
end = ((d[0x1f1] or 4) + 1) * 512 + struct.unpack_from('<I', d, 0x1f4)[0] * 16
d = d[:end]
d[end // 2] ^= 0x01
open(sys.argv[2], 'wb').write(d)
PY
long=$(head -c 5000 /dev/zero | tr '\0' x)

# --- 1. bad input (on this host, nothing reaches KVM_RUN) --------------------
expect flags-unknown    64 "unknown option '--frobnicate'" -- --frobnicate "$k"
expect flags-no-value   64 "option '--cpus' needs a value" -- "$k" --cpus
expect abi-unserved     64 "--abi: '1.9' is not a PVX version" -- --abi 1.9 "$k"
expect abi-other-major  64 "--abi: '2.0' is not a PVX version" -- --abi 2.0 "$k"
expect features-unknown 64 "--features: 'console,bogus' is not a list" -- --features console,bogus "$k"
expect features-edit-unknown 64 "--features: '-timer,-bogus' is not a list" -- --features -timer,-bogus "$k"
expect flags-cpus-zero  64 "--cpus: '0' is not a number from 1 to 64" -- --cpus 0 "$k"
expect flags-cpus-many  64 "--cpus: '65' is not a number" -- --cpus 65 "$k"
expect flags-cpus-text  64 "--cpus: 'two' is not a number" -- --cpus two "$k"
expect flags-mem-bad    64 "--mem: '12Q' is not a size" -- --mem 12Q "$k"
expect flags-mem-huge   64 "--mem: '64G' is not a size up to 3G" -- --mem 64G "$k"
expect flags-mem-unaligned 64 "--mem: '65537K' is not a whole number of 4 KiB pages" -- --mem 65537K "$k"
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
# The initrd goes below initrd_addr_max and above the kernel, or nowhere.
expect initrd-no-room   67 "--initrd: 41943040 bytes do not fit between the kernel's end \(0x[0-9a-f]+\) and the highest address the kernel takes an initrd at \(0x2000000\)" -- \
	--mem 512M --initrd "$img/initrd-40M" --kvm /dev/null "$img/initrd-max-32M.bzImage"
expect initrd-over-kernel 67 "--initrd: 32505856 bytes do not fit between the kernel's end \(0x[0-9a-f]+\)" -- \
	--mem 512M --initrd "$img/initrd-31M" --kvm /dev/null "$img/initrd-max-32M.bzImage"
# Protocol 2.09 has no pref_address or init_size: those bytes are not
# read, and the image is taken (it gets as far as KVM).
expect header-2.09      68 "/dev/null is not a usable KVM device" -- --mem 64M --kvm /dev/null "$img/protocol-2.09.bzImage"
expect version          0 "^pvx-hv [0-9.]+: PVX ABI [0-9]+\.[0-9]+, libpvxhv API [0-9]+$" -- --version

# One table of exit statuses (pvx-hv.h): --help shows it, and so must
# Documentation/pvx-hv.rst, line for line.
help_table=$("$pvx_hv" --help | sed -n '/^exit status:$/,$p' | tail -n +2)
doc_table=$(sed -n '/``make check-hv`` compares with this copy::$/,/^[^ ]/{/^  /p}' "$top/Documentation/pvx-hv.rst")
if [ -n "$help_table" ] && [ "$help_table" = "$doc_table" ]; then
	pass status-table "--help and pvx-hv.rst: $(grep -c . <<<"$help_table") statuses"
else
	fail status-table "pvx-hv.rst's table is not --help's: $(diff <(echo "$doc_table") <(echo "$help_table") | head -3 | tr '\n' ' ')"
fi

# pvx-hv's fixed hardware, as its header defines it (for what the guest sees).
hv_const() {
	sed -n "s/^#define $1[[:space:]][[:space:]]*\([0-9a-fx]*\).*/\1/p" "$top/hypervisor-stub/pvx-hv/pvx-hv.h"
}
pm_tmr=$(hv_const ACPI_PM_TMR) pm1a_cnt=$(hv_const ACPI_PM1A_CNT) slp_s5=$(hv_const ACPI_SLP_TYP_S5)
[ -n "$pm_tmr" ] && [ -n "$pm1a_cnt" ] && [ -n "$slp_s5" ] ||
	fail hv-constants "cannot read ACPI_PM_TMR, ACPI_PM1A_CNT, ACPI_SLP_TYP_S5 from pvx-hv.h"
s5=$(printf '0x%02X' "$slp_s5")
tmr32=$([ "$(hv_const ACPI_PM_TMR_BITS)" = 32 ] && echo 1 || echo 0)

# --- 1b. the ACPI tables, built by acpi.c on this host, read by iasl ---------
# acpi-tables checks what a guest relies on (the RSDP scan, checksums, the
# XSDT's and FADT's pointers); iasl -d must take every table and say what
# the guest will find in it.
acpi_check() {
	local n=$1 d=$img/acpi$1 got
	mkdir -p "$d"
	if ! got=$("$img/acpi-tables" "$n" "$d" 2>&1); then
		fail "acpi-tables-$n" "$got"
		return
	fi
	for t in XSDT FACP APIC DSDT; do
		if ! (cd "$d" && iasl -d "$t.dat" >/dev/null 2>&1) || [ ! -s "$d/$t.dsl" ]; then
			fail "acpi-tables-$n" "iasl -d $t.dat failed"
			return
		fi
	done
	got=$(grep -c 'Subtable Type : 00 \[Processor Local APIC\]' "$d/APIC.dsl")
	if [ "$got" != "$n" ]; then
		fail "acpi-tables-$n" "MADT lists $got local APICs, not $n"
	elif ! tr -d ' \n' < "$d/DSDT.dsl" |
	     grep -qF "Name(_S5,Package(0x04)//_S5_:S5SystemState{$s5,$s5,Zero,Zero})"; then
		fail "acpi-tables-$n" "DSDT: no Name (_S5, Package (0x04) {$s5, $s5, Zero, Zero})"
	elif ! grep -qE 'Hardware Reduced \(V5\) : 0' "$d/FACP.dsl" ||
	     ! grep -qE "32-bit PM Timer \\(V1\\) : $tmr32" "$d/FACP.dsl" ||
	     ! grep -qE "PM1A Control Block Address : $(printf %08X "$pm1a_cnt")" "$d/FACP.dsl" ||
	     ! grep -qE "PM Timer Block Address : $(printf %08X "$pm_tmr")" "$d/FACP.dsl"; then
		fail "acpi-tables-$n" "FADT: not the fixed hardware of devices.c (see $d/FACP.dsl)"
	else
		pass "acpi-tables-$n" "RSDP, XSDT, FADT, FACS, DSDT (\\_S5), MADT ($n local APICs): checksums, iasl -d"
	fi
}
if cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I "$top/hypervisor-stub/pvx-hv" \
	-o "$img/acpi-tables" "$here/acpi-tables.c" "$top/hypervisor-stub/pvx-hv/acpi.c" \
	"$top/hypervisor-stub/pvx-hv/boot.c"; then
	acpi_check 1
	acpi_check 64
else
	fail acpi-tables "cannot build tests/hv/acpi-tables.c"
fi

# --- 2. boots: one L1 VM runs every case -------------------------------------
cmdline='console=ttyS0 reboot=k panic=-1 pci=off'
# Debian's kernel must power off by itself: no reboot=k, and a panic
# (panic=-1, an ACPI reset) would not print "reboot: Power down".
deb_cmdline='console=ttyS0 panic=-1 pci=off'
files=("triple=$img/triple.bzImage" "hang=$img/hang.bzImage" "hostile=$img/hostile.bzImage"
       "pvx-hv-san=$pvx_hv-san"
       "pvxexit=$img/pvx-exit.bzImage" "pvxtimer=$img/pvx-timer.bzImage" "debian=$deb_kernel" "debinitrd=$deb_initrd"
       "chatter=$img/chatter.bzImage" "kick=$img/kick.bzImage" "run-as.sh=$here/run-as.sh")
initrd_arg=
if [ "$initrd" != - ]; then
	files+=("initrd=$initrd")
	initrd_arg='--initrd $HV/initrd'
	# The kexec cases' initrd: the init's, with /kexec/bzImage and
	# /kexec/initrd (the kernel and initrd to kexec into) appended as a
	# second cpio archive, which the kernel unpacks over the first.
	rm -rf "$img/kexec-root"
	mkdir -p "$img/kexec-root/kexec"
	if [ "$kernel" != - ] && cp "$kernel" "$img/kexec-root/kexec/bzImage" &&
	   cp "$initrd" "$img/kexec-root/kexec/initrd" &&
	   (cd "$img/kexec-root" && find kexec | cpio -o -H newc --quiet) > "$img/kexec.cpio" &&
	   cat "$initrd" "$img/kexec.cpio" > "$img/initrd-kexec"; then
		files+=("initrd-kexec=$img/initrd-kexec")
	else
		fail build-initrd-kexec "cannot build the kexec cases' initrd"
	fi
fi
# pvx-abi11 runs on 1 vCPU: on 2, its stale-TLB check hung once in three
# boots (the writer blocked before its first round, vCPU 0 idle, the reader
# spinning on vCPU 1), not yet understood; pvx-abi10 and pvx-no-steal_record
# cover the flush_tlb hypercall on 2 vCPUs.
guest_cases=(none1 none2 pvx1 pvx2 pvx4 pvx-abi10 pvx-abi11 pvx-nocon pvx-pvtimer pvx-reinstance
	pvx-keep-records kvm2 qemu-kvm2)
hostile_modes=(abi-high features-extra register-error time-odd page-unfilled)
guest_cases+=("${hostile_modes[@]/#/hostile-}")
# Every other answer the guest reads, bent (pvx-hv --help lists them): the
# guest boots to init, falls back per op with few messages, no splat.
# KUnit off: its pvx_refhv suite asks the host for the ABI's answers.
bent_modes=(cpuid-leaves-short cpuid-version-garbage cpuid-nr-vcpus0 cpuid-features-all
	cpuid-transport cpuid-port0 cpuid-port-high negotiate-size negotiate-size-large
	negotiate-major-low negotiate-max-multicall0 negotiate-nr-vcpus0 negotiate-positive
	ret-positive ret-undocumented set-timer-error send-ipi-short time-mul0 time-shift127
	time-backwards steal-backwards steal-odd preempted-garbage size-short record-retired
	console-no-progress console-error
	steal-record-odd flush-no-preempted eoi-garbage wall-clock-1970 wall-clock-2106)
# The modes that bend 1.0's steal fields, which a 1.2 guest leaves for the
# steal record, and the page's time record, which a 1.2 guest's boot CPU
# moves to its vDSO page (set_time_record): served at 1.1, where the
# guest reads them.
bent_at_11='steal-backwards steal-odd preempted-garbage record-retired time-shift127 time-backwards'
# 1.2's features, each withheld on its own from a 1.2 host (2 vCPUs: the
# stale-TLB check runs) and what the guest must do without it.
withheld=(stable_time steal_record pv_eoi wall_clock soft_reset)
# The version-skew matrix: guests capped at 1.0, 1.1 and 1.2 (pvx_abi=,
# the ceiling refhv offers) against hosts serving 1.0, 1.1, 1.2, a future
# minor (1.3, test-only: --hostile future-minor) and only another major
# (2.0).
skew_guests=(1.0 1.1 1.2)
skew_hosts=(1.0 1.1 1.2 1.3 2.0)
skew_host_args() {
	case $1 in
	1.3) echo "--hostile future-minor" ;;
	2.0) echo "--hostile other-major" ;;
	*) echo "--abi $1" ;;
	esac
}
# The pvx cases print through the pvx console (console_write) from the start.
# pvx-pvtimer is offered every feature, TIMER too (pvx-hv's default leaves it out).
pvx_cmdline='earlycon=pvx console=pvx0 printk.devkmsg=on reboot=k panic=-1 pci=off'
if [ "$kernel" = - ]; then
	guest_cases=()
	echo "check-hv: no pvx guest kernel (HV_KERNEL=debian): its cases are not run"
	: > "$out/guest-cases"
else
	files+=("bzImage=$kernel")
	cat > "$out/guest-cases" <<CASES
none1 --personality none --cpus 1 --stats --timeout 600 $initrd_arg --cmdline '$cmdline' \$HV/bzImage
none2 --personality none --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$cmdline' \$HV/bzImage
pvx1 --personality pvx --cpus 1 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline' \$HV/bzImage
pvx2 --personality pvx --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline pvx_tlb_pv=1' \$HV/bzImage
pvx-abi10 --personality pvx --abi 1.0 --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline' \$HV/bzImage
pvx-abi11 --personality pvx --abi 1.1 --cpus 1 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline' \$HV/bzImage
pvx-keep-records --personality pvx --keep-records --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline' \$HV/bzImage
pvx-vdso --personality pvx --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline kunit.enable=0 pvx_vdso=1000000' \$HV/bzImage
pvx-vdso0 --personality pvx --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline kunit.enable=0 pvx_vdso=0' \$HV/bzImage
pvx-kexec --personality pvx --cpus 2 --stats --timeout 600 --initrd \$HV/initrd-kexec --cmdline '$pvx_cmdline pvx_kexec=1' \$HV/bzImage
bent-soft-reset-refused --personality pvx --hostile soft-reset-refused --cpus 1 --stats --timeout 600 --initrd \$HV/initrd-kexec --cmdline '$cmdline kunit.enable=0 pvx_kexec=1' \$HV/bzImage
$(for f in "${withheld[@]}"; do
	echo "pvx-no-$f --personality pvx --features -$f --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline kunit.enable=0' \$HV/bzImage"
done)
pvx-nocon --personality pvx --features shared_page,steal_time --cpus 1 --stats --timeout 600 $initrd_arg --cmdline '$cmdline' \$HV/bzImage
pvx-pvtimer --personality pvx --features +timer --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline' \$HV/bzImage
pvx-reinstance --personality pvx --features +timer --reinstance 1 --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline' \$HV/bzImage
pvx4 --personality pvx --cpus 4 --stats --timeout 600 $initrd_arg --cmdline '$pvx_cmdline pvx_expect_steal=1 pvx_tlb_pv=1' \$HV/bzImage
$(for m in "${hostile_modes[@]}"; do
	echo "hostile-$m --personality pvx --hostile $m --cpus 1 --stats --timeout 600 $initrd_arg --cmdline '$cmdline' \$HV/bzImage"
done)
$(for m in "${bent_modes[@]}"; do
	c="$cmdline kunit.enable=0"
	# the pvx console first, then the serial one, which stays /dev/console
	[ "${m#console-}" = "$m" ] || c="earlycon=pvx console=pvx0 $c"
	# 2 vCPUs where the bent answer is about other vCPUs (IPIs, yield,
	# steal and preempted, vCPU ids), else 1: the L1 VM has one CPU
	cpus=1
	case $m in send-ipi-short|steal-*|preempted-*|ret-*|negotiate-*|flush-*) cpus=2 ;; esac
	abi=
	[[ " $bent_at_11 " = *" $m "* ]] && abi='--abi 1.1'
	echo "bent-$m --personality pvx --hostile $m $abi --cpus $cpus --stats --timeout 300 $initrd_arg --cmdline '$c' \$HV/bzImage"
done)
kvm2 --personality kvm --cpus 2 --stats --timeout 600 $initrd_arg --cmdline '$cmdline' \$HV/bzImage
hostile-shutdown-returns --personality pvx --hostile shutdown-returns --cpus 1 --stats --timeout 60 $initrd_arg --cmdline '$pvx_cmdline pvx_poweroff=1' \$HV/bzImage
qemu-kvm2 @qemu-kvm.sh 2 512M 300 \$HV/bzImage \$HV/initrd '$cmdline'
pvx-earlycon-nopv --personality pvx --cpus 1 --stats --timeout 300 $initrd_arg --cmdline '$cmdline earlycon=pvx nopv kunit.enable=0' \$HV/bzImage
pvx-hibernate --personality pvx --cpus 1 --stats --timeout 300 $initrd_arg --cmdline '$pvx_cmdline kunit.enable=0 pvx_hibernate=1' \$HV/bzImage
pvx-panic --personality pvx --cpus 1 --stats --timeout 300 $initrd_arg --cmdline '$pvx_cmdline rdinit=/nonexistent panic=0' \$HV/bzImage
pvx-panic-restart --personality pvx --cpus 1 --stats --timeout 300 $initrd_arg --cmdline '$pvx_cmdline rdinit=/nonexistent panic=1' \$HV/bzImage
$(for g in "${skew_guests[@]}"; do for h in "${skew_hosts[@]}"; do
	# no common major, no pvx console: the serial one
	c=$pvx_cmdline
	[ "${h%%.*}" = "${g%%.*}" ] || c=$cmdline
	echo "skew-g$g-h$h --personality pvx $(skew_host_args "$h") --cpus 1 --timeout 600 $initrd_arg --cmdline '$c pvx_abi=$g' \$HV/bzImage"
done; done)
CASES
fi
cat "$out/guest-cases" - > "$out/cases" <<CASES
deb-none1 --personality none --cpus 1 --stats --timeout 120 --initrd \$HV/debinitrd --cmdline '$deb_cmdline' \$HV/debian
deb-kvm2 --personality kvm --cpus 2 --stats --timeout 120 --initrd \$HV/debinitrd --cmdline '$deb_cmdline' \$HV/debian
triple --mem 64M --timeout 60 \$HV/triple
hostile1 --personality pvx --cpus 1 --mem 64M --stats --timeout 300 \$HV/hostile
hostile4 --personality pvx --cpus 4 --mem 64M --stats --timeout 300 \$HV/hostile
hostile4-san @pvx-hv-san --personality pvx --cpus 4 --mem 64M --stats --timeout 300 \$HV/hostile
watchdog --mem 64M --timeout 3 \$HV/hang
pvx-exit --personality pvx --mem 64M --stats --timeout 60 \$HV/pvxexit
pvx-timer --personality pvx --features timer --mem 64M --stats --timeout 10 \$HV/pvxtimer
kick --personality pvx --cpus 2 --mem 64M --stats --timeout 120 \$HV/kick
stdout-stall @run-as.sh stall --personality pvx --mem 64M --timeout 5 --cmdline 0 \$HV/chatter
stdout-closed @run-as.sh closed --personality pvx --mem 64M --timeout 120 --cmdline 64 \$HV/chatter
stdout-fd-closed @run-as.sh fd-closed --personality pvx --mem 64M --timeout 120 --cmdline 30000 \$HV/chatter
sigint @run-as.sh sigint --mem 64M --timeout 60 \$HV/hang
CASES
if ! "$top/scripts/l1/run-cases.sh" "$out" "$out/cases" "$pvx_hv" "${files[@]}"; then
	fail l1-harness "run-cases.sh failed; see $out/console.log"
fi
sed -n 's/^PVX-L1: //p; s/^run-cases: //p' "$out/console.log"

rc_of() { cat "$out/$1.rc" 2>/dev/null || echo none; }

# check NAME WHAT OK DETAIL: record NAME-WHAT as PASS if OK is "yes".
check() {
	if [ "$3" = yes ]; then pass "$1-$2" "$4"; else fail "$1-$2" "$4"; fi
}

# A guest boot: status 0, the pvx line, KUnit, PVX-RESULT.  The line
# wanted: none* native with nothing pv; pvx* refhv on ABI 1.1 over port
# I/O with the clock, console and shutdown pv; kvm* mainline's kvm.c.
check_boot() {
	local name=$1 log=$out/$1.log rc line kunit want r
	case $name in
	none*) want='backend=native .* pv=none ' ;;
	# --abi 1.0: negotiated down; --features without CONSOLE: that op native.
	# send_ipi is 1.1's: native at 1.0 (flush_tlb is 1.0's: pv there
	# too); without PV_IPI and CONSOLE the
	# IPI ops and the console are native; the clockevent is pv only
	# where TIMER is offered (not by default).
	pvx-abi10) want='backend=refhv abi=1\.0 transport=ioport .*pv=sched_clock,clocksource,tsc_khz,steal_clock,flush_tlb_multi,console_write,shutdown.* native=setup_percpu_clockev,.*send_ipi_mask,send_ipi_allbutself' ;;
	# 1.1: no PV EOI or wall clock yet
	pvx-abi11) want='backend=refhv abi=1\.1 transport=ioport .*pv=sched_clock,clocksource,tsc_khz,steal_clock,flush_tlb_multi,send_ipi_mask,send_ipi_allbutself,console_write,shutdown,send_call_func_ipi.* native=setup_percpu_clockev,.*eoi,wallclock' ;;
	pvx-nocon) want='backend=refhv abi=1\.2 transport=ioport features=0x3 pv=sched_clock,clocksource,tsc_khz,steal_clock,shutdown,vcpu_is_preempted native=setup_percpu_clockev,.*send_ipi_mask,send_ipi_allbutself,console_write' ;;
	pvx-pvtimer|pvx-reinstance) want='backend=refhv abi=1\.2 transport=ioport .*pv=sched_clock,clocksource,tsc_khz,steal_clock,setup_percpu_clockev,flush_tlb_multi,send_ipi_mask,send_ipi_allbutself,console_write,shutdown,eoi,wallclock' ;;
	pvx*) want='backend=refhv abi=1\.2 transport=ioport .*pv=sched_clock,clocksource,tsc_khz,steal_clock,flush_tlb_multi,send_ipi_mask,send_ipi_allbutself,console_write,shutdown,eoi,wallclock.* native=setup_percpu_clockev,' ;;
	# A host that lies: refhv won detection, but runs native, or
	# without its shared-page ops.
	hostile-abi-high|hostile-features-extra) want='backend=refhv abi=0\.0 transport=none .* pv=none ' ;;
	hostile-*) want='backend=refhv abi=1\.2 transport=ioport .* pv=shutdown native=sched_clock' ;;
	# kvm.c's own ops, as the report reads them from mainline's hooks
	kvm*|qemu-kvm*) want='backend=kvm .*pv=sched_clock,clocksource,tsc_khz,steal_clock,.*flush_tlb_multi,send_ipi_mask,.*vcpu_is_preempted native=' ;;
	esac
	rc=$(rc_of "$name")
	[ "$rc" = 0 ] && pass "$name-exit" "pvx-hv exited 0" ||
		fail "$name-exit" "pvx-hv exited $rc; see $log"
	line=$(grep -m1 -o 'pvx: backend=.*' "$log" 2>/dev/null)
	if grep -qE "$want" <<<"$line"; then
		pass "$name-pvx-line" "$line"
	else
		fail "$name-pvx-line" "want '$want', got '${line:-no pvx line}'"
	fi
	case $name in
	hostile-*) local n
		n=$(grep -cE 'pvx: refhv: .*(running native|stay native)' "$log")
		check "$name" one_message "$([ "$n" = 1 ] && echo yes)" \
			"$n messages: $(grep -m1 -oE 'pvx: refhv: .*(running native|stay native)' "$log")" ;;
	kvm*|qemu-kvm*) grep -q 'clocksource: Switched to clocksource kvm-clock' "$log"
		check "$name" kvm_clock "$([ $? = 0 ] && echo yes)" "mainline kvm.c chose kvm-clock" ;;
	pvx*) grep -q 'clocksource: Switched to clocksource pvx' "$log"
		check "$name" pvx_clock "$([ $? = 0 ] && echo yes)" "refhv's clocksource chosen" ;;
	esac
	# libpvxhv's state went through save, destroy and restore again and
	# again while the guest ran its suites; set_timer drives its clock
	# events, so a timer lost on the way would hang it.
	if [ "$name" = pvx-reinstance ]; then
		local n
		n=$(sed -n 's/^  libpvxhv reinstanced \([0-9]*\) times .*/\1/p' "$log")
		check "$name" reinstanced "$([ "${n:-0}" -ge 3 ] && echo yes)" \
			"${n:-no} save/destroy/restore rounds (3 or more wanted)"
		# the guest's clock did not jump: no clocksource watchdog or
		# timekeeping complaint
		local j
		j=$(grep -m1 -iE 'clocksource.*(unstable|skew)|time went backwards|timekeeping watchdog' "$log")
		check "$name" clock_steady "$([ -z "$j" ] && echo yes)" "${j:-no clocksource or timekeeping complaint}"
	fi
	# The clockevent on set_timer ticks, where TIMER is offered.
	if [ "$name" = pvx-pvtimer ] || [ "$name" = pvx-reinstance ]; then
		local t
		t=$(sed -n 's/^  set_timer expiries injected *\([0-9]*\)$/\1/p' "$log")
		check "$name" pv_timer "$([ "${t:-0}" -gt 0 ] && echo yes)" \
			"${t:-no} set_timer expiries injected"
	fi
	# Remote TLB flushes went through flush_tlb (FLUSH_TLB), where the
	# init's stale-TLB check made some, for a guest before 1.2 (or with a
	# host that keeps no steal record): at 1.2 a preempted vCPU's flush
	# is a flag in its steal record (the init's tlb_flush_by_host).
	case $name in
	pvx-abi10|pvx-abi11) local f
		f=$(sed -n 's/^  hypercall [0-9]* *flush_tlb *\([0-9]*\)$/\1/p' "$log")
		check "$name" pv_flush "$([ "${f:-0}" -gt 0 ] && echo yes)" \
			"${f:-no} flush_tlb hypercalls; $(grep -m1 -o 'flush_tlb: .*' "$log")" ;;
	esac
	# Call-function IPIs to preempted vCPUs went out batched with a yield
	# (KUnit pvx_refhv_call_func_preempted makes some, with 4 vCPUs; the
	# suite's multicall test batches no sched_yield).
	# At 1.2 that case skips (the steal record marks a vCPU in block
	# preempted only if the host chooses, and KVM does not), and the
	# yield happens only when a target is scheduled out: not asked for.
	if [ "$name" = pvx4 ] && ! grep -qa 'ok [0-9]* pvx_refhv_call_func_preempted # SKIP' "$log"; then
		local m
		m=$(grep -m1 '^  multicall: ' "$log")
		check "$name" pv_multicall "$([[ $m =~ \ [1-9][0-9]*\ of\ them\ sched_yield$ ]] && echo yes)" \
			"${m:-no multicall}"
	fi
	# KVM's counters: every exit to userspace was a VM exit, and KVM
	# handled some itself (HLT, the LAPIC timer, EOI, ...).
	local kline all user inside
	kline=$(grep -m1 -E '^(pvx-hv|qemu-kvm) kvm stats: ' "$log")
	all=$(sed -n 's/.* stats: \([0-9]*\) VM exits, .*/\1/p' <<<"$kline")
	inside=$(sed -n 's/.*, \([0-9]*\) handled inside KVM$/\1/p' <<<"$kline")
	user=$(sed -n 's/^pvx-hv stats: .*, \([0-9]*\) exits to userspace$/\1/p;
		s/^qemu-kvm kvm stats: .*, \([0-9]*\) to userspace .*/\1/p' "$log" | head -1)
	check "$name" kvm_stats "$([ -n "$all" ] && [ -n "$inside" ] && [ -n "$user" ] &&
		[ "$all" -ge "$user" ] && [ "$inside" -gt 0 ] && echo yes)" \
		"${kline:-no kvm stats line}; $user exits to userspace"
	r=$("$top/scripts/kernel-reports.sh" "$log") || r="cannot read $log"
	if [ -z "$r" ]; then
		pass "$name-no_splat" "no WARNING, BUG, sanitizer or lockdep report"
	else
		fail "$name-no_splat" "$(grep -c . <<<"$r") reports, the first: $(head -1 <<<"$r")"
	fi
	if [ -f "$ksrc/tools/testing/kunit/kunit.py" ]; then
		"$top/scripts/ktap-lines.sh" < "$log" > "$log.ktap"
		kunit=$(python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$log.ktap" 2>&1)
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
	local cpus
	cpus=$(sed -n "s/^$name .*--cpus \([0-9]*\).*/\1/p; s/^$name @qemu-kvm.sh \([0-9]*\) .*/\1/p" "$out/cases")
	if [ "$cpus" -gt 1 ] && ! grep -qE "smp: Brought up .* $cpus CPUs" "$log"; then
		fail "$name-smp" "the guest did not bring up $cpus CPUs"
	elif [ "$cpus" -gt 1 ]; then
		pass "$name-smp" "$(grep -o 'smp: Brought up .*' "$log")"
	fi
}
for n in "${guest_cases[@]}"; do
	check_boot "$n"
done

# A bent answer: init ran its checks (PVX-RESULT 0), pvx-hv ended with
# the guest's reboot, no splat, at most 3 refhv messages.
check_bent() {
	local name=$1 log=$out/$1.log r n
	check "$name" exit "$([ "$(rc_of "$name")" = 0 ] && echo yes)" "pvx-hv exited $(rc_of "$name"); see $log"
	check "$name" result "$(grep -q 'PVX-RESULT: status=0' "$log" 2>/dev/null && echo yes)" \
		"$(grep -m1 -o 'PVX-RESULT: .*' "$log" 2>/dev/null || echo 'no PVX-RESULT line'); $(grep -m1 -o 'pvx: backend=.*' "$log")"
	r=$("$top/scripts/kernel-reports.sh" "$log") || r="cannot read $log"
	check "$name" no_splat "$([ -z "$r" ] && echo yes)" "${r:+$(head -1 <<<"$r")}${r:-no WARNING, BUG, lockup or RCU stall}"
	# (not counted: what every refhv boot says, as kvm.c does)
	n=$(grep 'pvx: refhv: ' "$log" 2>/dev/null | grep -cvE 'APIC: .* replaced with|PV spinlocks disabled')
	check "$name" messages "$([ "${n:-0}" -le 3 ] && echo yes)" \
		"$n refhv messages: $(grep -m1 -o 'pvx: refhv: .*' "$log" | tr -d '\r')"
	# What the guest fell back to, per op, where the mode says.
	local want=
	case ${name#bent-} in
	cpuid-leaves-short|cpuid-version-garbage|cpuid-transport|cpuid-port0|cpuid-port-high)
		want='backend=native abi=0\.0 ' ;;
	negotiate-major-low|negotiate-positive) want='backend=refhv abi=0\.0 .* pv=none ' ;;
	time-mul0|time-shift127) want=' pv=steal_clock,.* native=sched_clock,clocksource,tsc_khz,' ;;
	size-short|ret-positive|ret-undocumented|negotiate-nr-vcpus0)
		want='backend=refhv abi=1\.[12] .* pv=shutdown native=' ;;
	# 1.2's records: the op goes native (the wall clock) or stays with
	# the last good value (steal), EOIs go to the APIC, flushes to IPIs
	wall-clock-*) want=' native=.*wallclock' ;;
	set-timer-error) want=' pv=sched_clock,.* native=setup_percpu_clockev,' ;;
	negotiate-max-multicall0) want=' native=.*send_call_func_ipi' ;;
	# (its one message is in the kernel log, which the serial console,
	# taking over from the dropped boot console, does not replay)
	console-*) want=' native=.*console_write' ;;
	esac
	if [ -n "$want" ]; then
		check "$name" fallback "$(grep -m1 -o 'pvx: backend=.*' "$log" | grep -qE "$want" && echo yes)" \
			"want '$want': $(grep -m1 -o 'pvx: backend=.*' "$log" | tr -d '\r')"
	fi
	# 1.2's records: the one message that says what the guest did instead.
	local msg=
	case ${name#bent-} in
	steal-record-odd) msg='steal time stays mid-update; it stops there' ;;
	flush-no-preempted) msg="steal record: preempted 0x2; flushing it through IPIs" ;;
	eoi-garbage) msg='PV EOI word 0xdeadbeef has reserved bits; EOIs go to the APIC' ;;
	wall-clock-*) msg='wall clock record unusable; reading the RTC' ;;
	esac
	if [ -n "$msg" ]; then
		n=$(grep -c "pvx: refhv: .*$msg" "$log")
		check "$name" one_message "$([ "$n" = 1 ] && echo yes)" "$n times '$msg'"
	fi
}
if [ "$kernel" != - ]; then
	for m in "${bent_modes[@]}"; do
		check_bent "bent-$m"
	done
	# Hibernation up to the core (pm_test): the init saw the clock move by
	# pm_test's wait; refhv's syscore ops unregistered the boot CPU's page
	# and registered it again: register_shared_page at boot, suspend,
	# resume and reboot, 4 on 1 vCPU (without them: 2).
	check_bent pvx-hibernate
	# earlycon=pvx with nopv: refused before any hypercall, so no entry
	# finds the host negotiated or the callback vector taken.
	check_bent pvx-earlycon-nopv
	n=$(sed -n 's/^  hypercall [0-9]* *negotiate *\([0-9]*\)$/\1/p' "$out/pvx-earlycon-nopv.log")
	check pvx-earlycon-nopv no_negotiate "$([ -z "$n" ] && grep -q 'pvx: backend=native ' "$out/pvx-earlycon-nopv.log" && echo yes)" \
		"${n:-0} negotiate calls; $(grep -m1 -o 'pvx: backend=[^ ]*' "$out/pvx-earlycon-nopv.log")"
	n=$(sed -n 's/^  hypercall [0-9]* *register_shared_page *\([0-9]*\)$/\1/p' "$out/pvx-hibernate.log")
	check pvx-hibernate page_again "$([ "${n:-0}" = 4 ] && echo yes)" \
		"${n:-no} register_shared_page calls (4 wanted); $(grep -m1 -o 'hibernate_clock.*' "$out/pvx-hibernate.log")"

	# The vDSO: the init counted the clock_gettime system calls of its
	# 1,000,000 calls (pvx-vdso, vdso_calls: none) and checked the clock
	# across CPUs; the exits to userspace are pvx-hv's count, against the
	# same boot with no calls (pvx-vdso0): what the calls added.
	check_bent pvx-vdso
	check_bent pvx-vdso0
	u=$(sed -n 's/^pvx-hv stats: .*, \([0-9]*\) exits to userspace$/\1/p' "$out/pvx-vdso.log")
	u0=$(sed -n 's/^pvx-hv stats: .*, \([0-9]*\) exits to userspace$/\1/p' "$out/pvx-vdso0.log")
	d=$(( ${u:-0} - ${u0:-0} ))
	check pvx-vdso exits "$([ -n "$u" ] && [ -n "$u0" ] && [ "$d" -lt 1000 ] && echo yes)" \
		"1000000 calls: ${u:-?} exits to userspace, ${u0:-?} without them: $d more ($(grep -m1 -o 'PVX-INIT: clocksource.*' "$out/pvx-vdso.log" | tr -d '\r'))"
	echo "  vdso: $(grep -m1 -o 'vdso_calls -- .*' "$out/pvx-vdso.log" | tr -d '\r'); $d exits to userspace more than with none"

	# kexec: the second kernel negotiated again through soft_reset and
	# runs refhv at 1.2 with its KUnit suites green; with soft_reset
	# refused, it runs native and says so once.
	# each kernel's part of the log: NAME.k1.log, NAME.k2.log
	check_kexec() {
		local name=$1 want=$2 log=$out/$1.log k n
		awk -v f="$out/$name.k" '/Linux version/ { n++ } n { print > (f n ".log") }' "$log"
		check "$name" exit "$([ "$(rc_of "$name")" = 0 ] && echo yes)" "pvx-hv exited $(rc_of "$name")"
		n=$(grep -c 'PVX-RESULT: status=0' "$log")
		check "$name" results "$([ "$n" = 2 ] && grep -q 'PVX-INIT: kexec into' "$log" && echo yes)" \
			"$n kernels ended with PVX-RESULT 0 (2 wanted, a kexec between)"
		k=$(grep -m1 -aE '^\[ *[0-9.]+\] pvx: backend=' "$out/$name.k2.log" 2>/dev/null |
		    grep -o 'pvx: backend=.*' | tr -d '\r')
		check "$name" second_line "$(grep -qE "$want" <<<"$k" && echo yes)" "want '$want': ${k:-no second pvx line}"
		r=$("$top/scripts/kernel-reports.sh" "$log") || r="cannot read $log"
		check "$name" no_splat "$([ -z "$r" ] && echo yes)" "${r:+$(head -1 <<<"$r")}${r:-no splat}"
	}
	check_kexec pvx-kexec 'backend=refhv abi=1\.2 transport=ioport .*pv=sched_clock,clocksource,'
	n=$(grep -c 'pvx: refhv: negotiated before: soft reset' "$out/pvx-kexec.log")
	check pvx-kexec soft_reset "$([ "$n" = 1 ] && echo yes)" "$n soft resets said"
	# each kernel's KUnit run, parsed on its own
	for k in 1 2; do
		"$top/scripts/ktap-lines.sh" < "$out/pvx-kexec.k$k.log" > "$out/pvx-kexec.k$k.ktap"
		kunit=$(python3 "$ksrc/tools/testing/kunit/kunit.py" parse "$out/pvx-kexec.k$k.ktap" 2>&1)
		check pvx-kexec "kunit$k" "$([ $? = 0 ] && grep -q 'Ran ' <<<"$kunit" && echo yes)" \
			"$(grep -E 'FAILED|ERROR|Ran ' <<<"$kunit" | head -2 | tr '\n' ' ')"
	done
	check_kexec bent-soft-reset-refused 'backend=refhv abi=0\.0 .* pv=none '
	n=$(grep -c 'pvx: refhv: negotiated before, and soft reset refused' "$out/bent-soft-reset-refused.log")
	check bent-soft-reset-refused one_message "$([ "$n" = 1 ] && echo yes)" "$n times 'soft reset refused'"

	# 1.2's features withheld one at a time: the boot is as green, and the
	# op the feature carries goes back to what 1.1 did.
	for f in "${withheld[@]}"; do
		name=pvx-no-$f log=$out/pvx-no-$f.log
		check_bent "$name"
		hc() { sed -n "s/^  hypercall [0-9]* *$1 *\([0-9]*\)\$/\1/p" "$log"; }
		line=$(grep -m1 -o 'pvx: backend=.*' "$log" | tr -d '\r')
		case $f in
		stable_time) ok=$([ -z "$(hc set_time_record)" ] && echo yes); what="$(hc set_time_record) set_time_record calls" ;;
		steal_record) ok=$([ -n "$(hc flush_tlb)" ] && echo yes); what="$(hc flush_tlb) flush_tlb hypercalls" ;;
		pv_eoi) ok=$(grep -qE ' native=.*eoi' <<<"$line" && echo yes); what=$line ;;
		wall_clock) ok=$(grep -qE ' native=.*wallclock' <<<"$line" && echo yes); what=$line ;;
		soft_reset) ok=$(grep -qE 'abi=1\.2 .* pv=sched_clock,.*eoi,wallclock' <<<"$line" && echo yes); what=$line ;;
		esac
		check "$name" without "$ok" "${what:-none}"
	done
	# ... and with it, the other way round (pvx2: the defaults)
	n=$(sed -n 's/^  hypercall [0-9]* *set_time_record *\([0-9]*\)$/\1/p' "$out/pvx2.log")
	check pvx2 set_time_record "$([ "${n:-0}" -ge 1 ] && echo yes)" "${n:-no} set_time_record calls"
fi

# The skew matrix: the highest common version with refhv's ops pv (the
# IPI ops from 1.1 on), or (no common major) native with one message; one
# table, one result each.
minor() { echo $(( ${1#*.} < ${2#*.} ? ${1#*.} : ${2#*.} )); }
# (1 vCPU: no pv spinlocks, as kvm.c)
refhv_pv() {
	local ipi=send_ipi_mask,send_ipi_allbutself, yield=send_call_func_ipi, rec=eoi,wallclock,
	[ "$1" -ge 1 ] || ipi= yield=
	[ "$1" -ge 2 ] || rec=
	echo "pv=sched_clock,clocksource,tsc_khz,steal_clock,flush_tlb_multi,${ipi}console_write,shutdown,${rec}${yield}vcpu_is_preempted "
}
if [ "$kernel" != - ]; then
	printf '\n  version skew   %s\n' "$(printf '%-14s' "${skew_hosts[@]/#/host }")"
	for g in "${skew_guests[@]}"; do
		rowtxt=$(printf '  guest %-8s' "$g")
		for h in "${skew_hosts[@]}"; do
			name=skew-g$g-h$h log=$out/$name.log
			line=$(grep -m1 -o 'pvx: backend=.*' "$log" 2>/dev/null)
			if [ "${h%%.*}" != "${g%%.*}" ]; then
				want='backend=native abi=0\.0 .* pv=none '
				n=$(grep -c 'pvx: refhv: .*running native' "$log" 2>/dev/null)
				[ "$n" = 1 ] || want="one message, not ${n:-0}"
			else
				m=$(minor "$g" "$h")
				want="backend=refhv abi=${g%%.*}\.$m transport=ioport .*$(refhv_pv "$m")"
			fi
			if grep -qE "$want" <<<"$line" && [ "$(rc_of "$name")" = 0 ] &&
			   grep -q 'PVX-RESULT: status=0' "$log"; then
				pass "$name" "$line"
				cell=$(sed -n 's/.*backend=\([^ ]*\) abi=\([^ ]*\).*/\1 \2/p' <<<"$line")
			else
				fail "$name" "want '$want', status 0, PVX-RESULT 0; got '${line:-no pvx line}', status $(rc_of "$name")"
				cell=FAIL
			fi
			rowtxt+=$(printf '%-14s' "$cell")
		done
		echo "$rowtxt"
	done
fi

l2() { sed -n "s/^L2: $2 //p" "$out/$1.log" 2>/dev/null | tail -1; }
has() { grep -qE -- "$2" "$out/$1.log" 2>/dev/null && echo yes || echo no; }
hasnt() { grep -qE -- "$2" "$out/$1.log" 2>/dev/null && echo no || echo yes; }

# Debian's kernel: NAME PERSONALITY CPUS.
check_debian() {
	local name=$1 pers=$2 cpus=$3 log=$out/$1.log rc cs want ok loc vendor line
	rc=$(rc_of "$name")
	check "$name" exit "$([ "$rc" = 0 ] && echo yes || echo no)" "pvx-hv exited $rc; see $log"
	check "$name" acpi "$(hasnt "$name" 'ACPI (BIOS )?(Error|Warning)|RSDP was not found')" \
		"$(grep -m1 -E 'ACPI (BIOS )?(Error|Warning)|RSDP was not found' "$log" ||
		   grep -m1 -o 'ACPI: PM: (supports.*' "$log" || echo 'no ACPI sleep states')"
	ok=$(has "$name" 'PVX-RESULT: status=0')
	check "$name" init "$ok" "$(grep -m1 -o 'Run /init.*' "$log" || echo 'init never ran')"
	if [ "$(has "$name" 'ACPI: PM: Preparing to enter system sleep state S5')" = yes ] &&
	   [ "$(has "$name" 'reboot: Power down')" = yes ] &&
	   [ "$(hasnt "$name" 'Power off not available')" = yes ]; then
		check "$name" poweroff yes "S5, reboot: Power down"
	else
		check "$name" poweroff no "$(grep -m1 -E 'Power off not available|reboot: ' "$log" || echo 'no power-off')"
	fi
	# The PM timer: found in the FADT, and registered, which Linux does
	# only once it has counted monotonically at 3.579545 MHz (within 5% of
	# the PIT's count over 50 ms).
	if [ "$(has "$name" "ACPI: PM-Timer IO Port: $pm_tmr\$")" = yes ] &&
	   [ "$(has "$name" 'clocksource: acpi_pm: mask')" = yes ]; then
		check "$name" pm-timer yes "port $pm_tmr, registered as clocksource acpi_pm"
	else
		check "$name" pm-timer no "$(grep -m1 -E 'PM-Timer' "$log" || echo 'no PM timer')"
	fi
	# The clocksource: a hardware counter, never (refined-)jiffies. With
	# kvm: kvm-clock, or the TSC. With none: the TSC, or on AMD the ACPI
	# PM timer: Linux takes the TSC frequency from CPUID (0x15) only on
	# Intel, and calibrating it against the PIT or the PM timer needs port
	# reads faster than nested virtualization gives.
	cs=$(l2 "$name" clocksource) vendor=$(l2 "$name" 'cpu vendor')
	case "$pers/$vendor" in
	kvm/*)		want='kvm-clock|tsc' ;;
	none/AuthenticAMD|none/HygonGenuine) want='tsc|acpi_pm' ;;
	*)		want='tsc' ;;
	esac
	check "$name" clocksource "$(grep -qxE "$want" <<<"$cs" && echo yes || echo no)" \
		"${cs:-none} on $vendor (want $want)"
	loc=$(l2 "$name" 'local timer interrupts')
	if [[ "$loc" =~ ^[0-9]+$ ]] && [ "$loc" -gt 0 ] &&
	   [ "$(hasnt "$name" 'APIC timer disabled')" = yes ]; then
		check "$name" apic-timer yes "$loc local APIC timer interrupts"
	else
		check "$name" apic-timer no "${loc:-no} local timer interrupts; $(grep -m1 'APIC timer disabled' "$log")"
	fi
	line=$(grep -m1 -E 'TSCs unsynchronized|TSC warp|TSC ADJUST|Marking TSC unstable due to (TSCs|check_tsc)' "$log")
	check "$name" tsc-sync "$([ -z "$line" ] && echo yes || echo no)" "${line:-no TSC unsynchronized, warp or TSC ADJUST message}"
	if [ "$cpus" -gt 1 ]; then
		check "$name" smp "$(has "$name" "smp: Brought up .* $cpus CPUs")" \
			"$(grep -m1 -o 'smp: Brought up .*' "$log" || echo 'no smp line')"
	fi
}
check_debian deb-none1 none 1
check_debian deb-kvm2 kvm 2

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
# set_timer: a host timer that injects the vector.
expect_case pvx-timer 43 "set_timer expiries injected +1$"
# A host whose shutdown(POWEROFF) returns: the guest, with no other way to
# power off (no ACPI here), halts and says so, rather than returning to
# init, which would exit and panic; the watchdog then ends it.
if [ "$kernel" != - ]; then
	expect_case hostile-shutdown-returns 71 "the host did not power off; halting"
	check hostile-shutdown-returns no_panic "$(grep -qE 'Attempted to kill init|Kernel panic' \
		"$out/hostile-shutdown-returns.log" || echo yes)" \
		"$(grep -m1 -oE 'Attempted to kill init.*|Kernel panic.*' "$out/hostile-shutdown-returns.log" ||
		   echo 'no panic'), $(grep -m1 -o 'PVX-RESULT: .*' "$out/hostile-shutdown-returns.log")"
fi
# A stdout nobody reads: the watchdog still ends it, and the output it
# could not write is counted. A stdout that goes away: the guest runs on
# to its own status. SIGINT: 128 + 2, as a shell reports a signal.
expect_case stdout-stall 71 "stdout was not read: [0-9]+ bytes of guest output dropped"
expect_case stdout-closed 44 "stdout was closed: [0-9]+ bytes of guest output dropped"
expect_case stdout-fd-closed 44 "run-as: fd-closed: fd 1 is /dev/null"
expect_case sigint 130 "stopped by signal 2"
# Each kick ends one block: a kick that woke a block is taken, and the
# next block sleeps. 20 kicks each found vCPU 1 blocked (or about to be).
# (Before the fix: 41 blocks for 20 kicks, each kick ending two.)
kicks=$(sed -n 's/^  hypercall [0-9]* *kick_vcpu *\([0-9]*\)$/\1/p' "$out/kick.log")
blocks=$(sed -n 's/^  hypercall [0-9]* *block *\([0-9]*\)$/\1/p' "$out/kick.log")
at_once=$(sed -n 's/^  block: \([0-9]*\) returned at once .*/\1/p' "$out/kick.log")
expect_case kick 45 "hypercall +[0-9]+ +kick_vcpu +20$"
check kick consumed "$([ "${kicks:-0}" = 20 ] && [ -n "$at_once" ] && [ "$at_once" -le 5 ] &&
	[ "${blocks:-99}" -le $((20 + 1 + 5)) ] && echo yes)" \
	"${kicks:-no} kicks, ${blocks:-no} blocks, ${at_once:-no count of} of them returned at once (at most 5 wanted)"
# A panic that halts (panic=0) reaches pvx-hv as a PVX shutdown with
# reason crash, status 74, once the kernel printed its last line; one
# with panic=1 restarts as it says (pvx-hv ends at the reset, status 0).
if [ "$kernel" != - ]; then
	expect_case pvx-panic 74 "pvx-hv: vcpu 0: the guest reports a crash"
	# (pvx-hv writes the guest's output out before it exits; with the
	# crash told from the panic notifier, the guest never printed it)
	check pvx-panic end_line "$(grep -q 'end Kernel panic' "$out/pvx-panic.log" && echo yes)" 		"$(grep -m1 -o 'end Kernel panic.*' "$out/pvx-panic.log" || echo 'no end Kernel panic line')"
	expect_case pvx-panic-restart 0 "Rebooting in 1 seconds"
fi

# The hostile guest: pvx-hv ends with the triple-fault status, and its
# stats add up: the exits by reason sum to the total, the port I/O by
# device to the io exits.
check_hostile() {
	local name=$1 log=$out/$1.log
	expect_case "$name" 69 "vcpu 0: triple fault"
	local msg
	if msg=$(python3 - "$log" 2>&1 <<'PY'
import re, sys
log = open(sys.argv[1], errors='replace').read()
# the guest's random serial bytes may precede a line of pvx-hv's (stderr)
m = re.search(r'pvx-hv stats: (\d+) vcpu\(s\), [\d.]+ s, (\d+) exits to userspace$', log, re.M)
if not m:
    sys.exit('no stats line')
def count(pat):
    return [int(v) for v in re.findall(pat, log, re.M)]
exits = dict(re.findall(r'^  exit (?:reason )?(\S+) +(\d+)$', log, re.M))
if sum(int(v) for v in exits.values()) != int(m.group(2)):
    sys.exit('exits by reason sum to %d, not %s' % (sum(int(v) for v in exits.values()), m.group(2)))
unclaimed = count(r'^    io unclaimed +(\d+)$')
ports = count(r'^      (?:port 0x[0-9a-f]{4}|other ports) +(\d+)$')
if not unclaimed or sum(ports) != unclaimed[0]:
    sys.exit('unclaimed ports sum to %d, not %s' % (sum(ports), unclaimed))
hc = count(r'^  hypercall +\d+ +\S+ +(\d+)$')
total = count(r'^  hypercalls total +(\d+)$')
if not total or sum(hc) != total[0]:
    sys.exit('hypercalls by number sum to %d, not %s' % (sum(hc), total))
cpus = int(m.group(1))
if unclaimed[0] < 60000 or int(exits.get('mmio', 0)) < 1000 * cpus or total[0] < 3000 * cpus:
    sys.exit('too little happened: %s unclaimed port accesses, %s mmio exits, %s hypercalls'
             % (unclaimed[0], exits.get('mmio'), total[0]))
print('%s exits (%s io, %s mmio), %d unclaimed port accesses, %d hypercalls, on %d vCPUs'
      % (m.group(2), exits.get('io'), exits.get('mmio'), unclaimed[0], total[0], cpus))
PY
	); then
		pass "$name-stats" "$msg"
	else
		fail "$name-stats" "$msg; see $log"
	fi
}
check_hostile hostile1
check_hostile hostile4
check_hostile hostile4-san

for n in "${guest_cases[@]}" deb-none1 deb-kvm2; do
	grep -m1 'Run /init' "$out/$n.log" 2>/dev/null | sed "s/^/  [$n] /"
	grep -E '^(pvx-hv|qemu-kvm) (kvm )?stats|^  exit|^    io|^      (port|other)' "$out/$n.log" 2>/dev/null |
		sed "s/^/  [$n] /"
done
# Last, where a CI log's tail shows it: how each boot that failed ended.
for n in "${guest_cases[@]}" deb-none1 deb-kvm2; do
	rc=$(rc_of "$n")
	[ "$rc" = 0 ] && continue
	echo "check-hv: $n ended with status $rc; its last lines:"
	grep -vE '^(pvx-hv|qemu-kvm) (kvm )?stats|^  (exit|kvm|userspace|hypercall)|^    io|^      (port|other)' \
		"$out/$n.log" 2>/dev/null | tail -n 12 | sed "s/^/  [$n] /"
done
exit $failed
