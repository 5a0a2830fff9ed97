#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run pvx-hv once per line of a case file, "NAME ARGS...", with delimited
# output. ARGS may use $HV (the directory holding the payload). A case
# "NAME @FILE ARGS" runs $HV/FILE ARGS instead of pvx-hv: qemu-kvm.sh
# (QEMU with KVM), pvx-hv-san (pvx-hv under ASan+UBSan), kvm-trace.sh
# (pvx-hv with KVM's tracepoints counted), ... Runs as part of L1's /init
# (busybox sh) or directly on a host with real KVM.
# Usage: cases.sh CASEFILE   (env: HV, PVX_HV = the pvx-hv binary)
# A sanitized pvx-hv: a finding ends it (-fno-sanitize-recover); leaks at
# exit are not findings.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
while read -r name args; do
	case "$name" in ''|'#'*) continue ;; esac
	echo "=== PVX-HV-BEGIN $name"
	t0=$(date +%s)
	vmm=\$PVX_HV
	case "$args" in
	@*)	f=${args%% *}
		vmm=\$HV/${f#@} args=${args#* } ;;
	esac
	eval "\"$vmm\" $args" </dev/null 2>&1
	rc=$?
	echo
	echo "=== PVX-HV-END $name rc=$rc time=$(( $(date +%s) - t0 ))s"
done < "$1"
