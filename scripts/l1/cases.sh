#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run pvx-hv once per line of a case file, "NAME ARGS...", with delimited
# output. ARGS may use $HV (the directory holding the payload). Runs as
# part of L1's /init (busybox sh) or directly on a host with real KVM.
# Usage: cases.sh CASEFILE   (env: HV, PVX_HV = the pvx-hv binary)
while read -r name args; do
	case "$name" in ''|'#'*) continue ;; esac
	echo "=== PVX-HV-BEGIN $name"
	t0=$(date +%s)
	eval "\"\$PVX_HV\" $args" </dev/null 2>&1
	rc=$?
	echo
	echo "=== PVX-HV-END $name rc=$rc time=$(( $(date +%s) - t0 ))s"
done < "$1"
