#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the fuzzers (libFuzzer + ASan + UBSan): libpvxhv (build/host/fuzz-hv,
# modes plain and race; build/host/fuzz-state, pvxhv_restore(), mode state)
# and pvx-hv's exit handling and devices (build/host/fuzz-exits from
# tests/hv/fuzz-exits.c, mode exits).
#   fuzz.sh SECONDS                  make fuzz: plain, race, state, exits, SECONDS each
#   fuzz.sh --check plain|race|state|exits SECS  one bounded run for check-host, recorded
# libpvxhv's seeds come from tests/host/fuzz-seeds.c, fuzz-state's from real
# saves it writes itself (PVX_STATE_SEEDS); the corpus grows under
# build/host/fuzz/; a finding is saved there as crash-* and fails the run.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$top/build/host/fuzz
bin=$top/build/host/fuzz-hv
check=
if [ "${1:-}" = --check ]; then check=1; shift; fi

make -C "$top" --no-print-directory "$bin" "$top/build/host/fuzz-state" "$top/build/host/fuzz-exits" \
	"$top/build/host/fuzz-seeds" >/dev/null || exit 1
mkdir -p "$dir/seeds" "$dir/seeds-state" "$dir/artifacts"
"$top/build/host/fuzz-seeds" "$dir/seeds" || exit 1

run() {	# run MODE SECONDS
	local mode=$1 secs=$2 log=$dir/$1.log rc race=0 execs rate corpus detail b=$bin seeds=$dir/seeds
	[ "$mode" = race ] && race=1
	[ "$mode" = exits ] && b=$top/build/host/fuzz-exits seeds=
	[ "$mode" = state ] && b=$top/build/host/fuzz-state seeds=$dir/seeds-state
	mkdir -p "$dir/corpus-$mode"
	echo "fuzz: $mode for ${secs}s: PVX_FUZZ_RACE=$race $b -max_total_time=$secs $dir/corpus-$mode $seeds"
	(cd "$dir" && PVX_FUZZ_RACE=$race PVX_STATE_SEEDS=$dir/seeds-state "$b" -max_total_time="$secs" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=2048 -max_len=8192 -artifact_prefix="$dir/artifacts/$mode-" \
		"$dir/corpus-$mode" $seeds) > "$log" 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
	rate=$(awk '/stat::average_exec_per_sec/ {print $2}' "$log")
	corpus=$(ls "$dir/corpus-$mode" | wc -l)
	detail="${execs:-0} executions in ${secs}s (${rate:-0}/s), corpus $corpus"
	[ "$mode" = race ] && detail="$detail; $(grep -m1 '^racing:' "$log")"
	if [ $rc -eq 0 ]; then
		echo "fuzz: $mode: $detail, no finding"
		[ -n "$check" ] && "$top/scripts/result.sh" check-host PASS "fuzz.$mode" "$detail, no finding"
	else
		detail="$detail; FINDING: $(grep -m1 -E 'ERROR|double fetch|racing: nr|promise' "$log"); $(grep -m1 -o 'Test unit written to .*' "$log")"
		echo "fuzz: $mode: $detail (log: $log)"
		[ -n "$check" ] && "$top/scripts/result.sh" check-host FAIL "fuzz.$mode" "$detail"
	fi
	return $rc
}

if [ -n "$check" ]; then
	run "$1" "$2"
else
	secs=${1:-300}
	run plain "$secs"; a=$?
	run race "$secs"; b=$?
	run state "$secs"; d=$?
	run exits "$secs"; c=$?
	[ $a -eq 0 ] && [ $b -eq 0 ] && [ $c -eq 0 ] && [ $d -eq 0 ]
fi
