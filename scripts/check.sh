#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run test suites and print the summary "N passed, N failed, N skipped".
#
#   check.sh SUITE...         make check: every suite, then one summary
#   check.sh --suite SUITE    make SUITE on its own: that suite, its summary
#
# A suite is a make target registered in CHECK_SUITES (check-host...); its
# body is the target SUITE-body, which records results through
# scripts/result.sh.  The top Makefile routes `make SUITE` here, so a suite
# run alone ends with the same summary line as `make check`.  A suite whose
# body fails without recording a failure counts as one failure, so a broken
# harness can never look green.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
export PVX_RESULTS=${PVX_RESULTS:-$top/build/results}

# run_suite SUITE: make SUITE-body, with the fallback verdicts.
run_suite() {
	local suite=$1 t0 rc f
	t0=$(date +%s)
	f=$PVX_RESULTS/$suite.txt
	rm -f "$f"
	echo "=== check: $suite ($(date +%T))"
	make -C "$top" --no-print-directory "$suite-body"
	rc=$?
	if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$f" 2>/dev/null; then
		"$top/scripts/result.sh" "$suite" FAIL "$suite" "target exited $rc"
	fi
	if [ ! -s "$f" ]; then
		"$top/scripts/result.sh" "$suite" FAIL "$suite" "recorded no result"
	fi
	echo "=== check: $suite done in $(( $(date +%s) - t0 ))s"
}

# summary SECONDS FILE...: the failures, then "N passed, N failed, N skipped"; status.
summary() {
	local secs=$1 pass fail skip
	shift
	echo "=== summary (${secs}s)"
	grep -h '^FAIL' "$@" | sed 's/^/  /'
	pass=$(cat "$@" | grep -c '^PASS')
	fail=$(cat "$@" | grep -c '^FAIL')
	skip=$(cat "$@" | grep -c '^SKIP')
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}

start=$(date +%s)
if [ "${1:-}" = --suite ]; then
	[ $# -eq 2 ] || { echo "usage: $0 --suite SUITE" >&2; exit 2; }
	mkdir -p "$PVX_RESULTS"
	run_suite "$2"
	summary $(( $(date +%s) - start )) "$PVX_RESULTS/$2.txt"
	exit
fi
rm -rf "$PVX_RESULTS"
mkdir -p "$PVX_RESULTS"
# A full run keeps about 3 GB under build/ (one kernel checkout and its
# objects): a short disk shows here, not only as a tar or ld error later.
echo "=== check: $(df -Pk "$top" | awk 'NR == 2 { printf "%.1f", $4 / 1048576 }') GB free on the disk of $top"
for suite in "$@"; do
	run_suite "$suite"
done
files=()
for suite in "$@"; do files+=("$PVX_RESULTS/$suite.txt"); done
summary $(( $(date +%s) - start )) "${files[@]}"
