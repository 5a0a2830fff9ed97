#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make boot-hv: boot one guest under pvx-hv (inside the L1 VM unless this
# host has real VT-x/AMD-V), print its serial output and pvx-hv's stats,
# and exit with the guest's status: pvx-hv's own exit status if non-zero,
# else N from the guest's "PVX-RESULT: status=N" line (1 if none).
# With TRACE=1 in the environment, pvx-hv runs under kvm-trace.sh, which
# then prints KVM's own exits by reason, MMIO address, MSR and CPUID leaf.
# Usage: boot-hv.sh PVX_HV KERNEL INITRD|- PERSONALITY CPUS [MEM] [CMDLINE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
[ $# -ge 5 ] || { sed -n 's/^# \{0,1\}//;/^Usage/p' "$0" >&2; exit 2; }
pvx_hv=$1 kernel=$2 initrd=$3 pers=$4 cpus=$5 mem=${6:-512M}
cmdline=${7:-console=ttyS0 reboot=k panic=-1 pci=off}
out=$top/build/hv/boot
mkdir -p "$out"

files=("bzImage=$kernel")
initrd_arg=
if [ "$initrd" != - ]; then
	files+=("initrd=$initrd")
	initrd_arg='--initrd $HV/initrd'
fi
vmm=
[ "${TRACE:-0}" = 1 ] && vmm=@kvm-trace.sh
cat > "$out/cases" <<CASES
boot $vmm --personality $pers --cpus $cpus --mem $mem --stats --timeout 900 $initrd_arg --cmdline '$cmdline' \$HV/bzImage
CASES
"$here/run-cases.sh" -v "$out" "$out/cases" "$pvx_hv" "${files[@]}"

rc=$(cat "$out/boot.rc" 2>/dev/null || echo missing)
status=$(sed -n 's/.*PVX-RESULT: status=\([0-9]*\).*/\1/p' "$out/boot.log" 2>/dev/null | tail -1)
echo "boot-hv: pvx-hv exit status $rc, guest PVX-RESULT status ${status:-none}"
if [ "$rc" != 0 ]; then
	[[ "$rc" =~ ^[0-9]+$ ]] && exit "$rc"
	exit 1
fi
exit "${status:-1}"
