#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every test suite named on the command line (make targets), each one
# recording results through scripts/result.sh, then print the summary.
# A suite whose target fails without recording a failure counts as one
# failure, so a broken harness can never look green.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export PVX_RESULTS=$top/build/results
rm -rf "$PVX_RESULTS"
mkdir -p "$PVX_RESULTS"

start=$(date +%s)
for suite in "$@"; do
	t0=$(date +%s)
	echo "=== check: $suite ($(date +%T))"
	make -C "$top" --no-print-directory "$suite"
	rc=$?
	f=$PVX_RESULTS/$suite.txt
	if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$f" 2>/dev/null; then
		"$top/scripts/result.sh" "$suite" FAIL "$suite" "target exited $rc"
	fi
	if [ ! -s "$f" ]; then
		"$top/scripts/result.sh" "$suite" FAIL "$suite" "recorded no result"
	fi
	echo "=== check: $suite done in $(( $(date +%s) - t0 ))s"
done

echo "=== summary ($(( $(date +%s) - start ))s)"
grep -h '^FAIL' "$PVX_RESULTS"/*.txt | sed 's/^/  /'
pass=$(cat "$PVX_RESULTS"/*.txt | grep -c '^PASS')
fail=$(cat "$PVX_RESULTS"/*.txt | grep -c '^FAIL')
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
