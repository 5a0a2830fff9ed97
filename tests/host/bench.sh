#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench-host: instructions per call, per kind, counted by callgrind
# (deterministic) inside the function bench-hv names for the kind:
# pvxhv_hypercall() for a hypercall (decode, checks, guest-memory copies,
# handler, and the (trivial) fake VMM callbacks), pvxhv_vcpu_enter() for
# the entry path.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/build/host/bench-hv
out=$top/build/host/bench
n=${BENCH_CALLS:-1000}
mkdir -p "$out"
command -v valgrind >/dev/null || { echo "bench-host: valgrind missing (scripts/deps.sh host)"; exit 1; }

echo "bench-host: libpvxhv $(git -C "$top" describe --always --dirty 2>/dev/null), gcc -O2 (static library), $n calls per kind"
echo "command: valgrind --tool=callgrind --toggle-collect=<function> --callgrind-out-file=$out/<kind>.out $bin <kind> $n"
printf '%-24s %12s\n' kind instr/call
status=0
while IFS=$'\t' read -r kind fn; do
	f=$out/$(echo "$kind" | tr -c 'a-zA-Z0-9_\n' _).out
	if ! valgrind --tool=callgrind --toggle-collect="$fn" --callgrind-out-file="$f" \
		"$bin" "$kind" "$n" > "$f.log" 2>&1; then
		echo "bench-host: $kind failed (see $f.log)"; status=1; continue
	fi
	total=$(awk '/^(summary|totals):/ {print $2; exit}' "$f")
	awk -v k="$kind" -v t="$total" -v n="$n" 'BEGIN { printf "%-24s %12.1f\n", k, t / n }'
done < <("$bin" list)
exit $status
