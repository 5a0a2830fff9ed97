#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Record one test result for `make check`'s summary.
# Usage: scripts/result.sh SUITE PASS|FAIL|SKIP NAME [detail...]
# SKIP: the test did not apply here (a KUnit skip); never counted as passed.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 SUITE PASS|FAIL|SKIP NAME [detail]" >&2; exit 2; }
suite=$1 verdict=$2 name=$3
shift 3
case "$verdict" in PASS|FAIL|SKIP) ;; *) echo "result.sh: bad verdict '$verdict'" >&2; exit 2;; esac
dir=${PVX_RESULTS:-$(cd "$(dirname "$0")/.." && pwd)/build/results}
mkdir -p "$dir"
echo "$verdict $name${*:+ -- $*}" >> "$dir/$suite.txt"
echo "[$suite] $verdict $name${*:+ -- $*}"
