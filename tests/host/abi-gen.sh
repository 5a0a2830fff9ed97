#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ABI's generated artefacts, from the single declaration in abi/pvx/:
#   Documentation/abi/generated/*.rst   tables for the spec
#   Documentation/abi/layout/M.m.txt    the frozen ABI dump of each version
#
# abi-gen.sh check    record one result per artefact (via $REC, see check.sh)
# abi-gen.sh update   rewrite the tables; add dumps for versions that have
#                     none.  A committed dump of the current major is never
#                     rewritten: changing a frozen version needs a new major.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${PVX_ABI_OUT:-$top/build/host/abi}
doc=${PVX_ABI_DOC:-$top/Documentation/abi}	# overridden by the self-test
mode=${1:-check}
cc=${HOST_CC:-gcc}
mkdir -p "$out"

rec() {
	if [ "$mode" = check ]; then "$top/scripts/result.sh" check-host "$@"; else echo "$@"; fi
}
gen() {	# gen VERSION-HEX OUTPUT
	$cc -std=c11 -Wall -Wextra -Werror -I"$top/abi" ${1:+-D__PVX_INTERFACE_VERSION__=$1} \
		-o "$2" "$top/tests/host/abi-gen.c"
}

gen "" "$out/abi-gen" || { rec FAIL abi.gen "abi-gen does not build"; exit 1; }
read -r major minor < <("$out/abi-gen" version)
tables="hypercalls errors features shutdown layout checks"

# Documentation tables.
mkdir -p "$out/rst"
for t in $tables; do
	# No blank line at the end: the tables go into the kernel series too.
	"$out/abi-gen" rst "$t" > "$out/rst/$t.raw" || { rec FAIL "abi.doc.$t" "generator failed"; continue; }
	sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$out/rst/$t.raw" > "$out/rst/$t.rst"
	if [ "$mode" = update ]; then
		mkdir -p "$doc/generated"
		cp "$out/rst/$t.rst" "$doc/generated/$t.rst"
	elif diff -q "$doc/generated/$t.rst" "$out/rst/$t.rst" >/dev/null 2>&1; then
		rec PASS "abi.doc.$t" "Documentation/abi/generated/$t.rst up to date"
	else
		rec FAIL "abi.doc.$t" "Documentation/abi/generated/$t.rst is stale: run make abi-gen"
	fi
done

# Frozen dumps, one per minor of the current major.
prev=
for m in $(seq 0 "$minor"); do
	v=$major.$m
	hex=$(printf '0x%04x%04x' "$major" "$m")
	dump=$out/$v.txt
	if ! gen "$hex" "$out/abi-gen-$v" || ! "$out/abi-gen-$v" dump > "$dump"; then
		rec FAIL "abi.layout.$v" "cannot generate the dump (see above)"
		prev=; continue
	fi
	committed=$doc/layout/$v.txt
	if [ ! -f "$committed" ]; then
		if [ "$mode" = update ]; then
			mkdir -p "$doc/layout"; cp "$dump" "$committed"; echo "abi-gen: froze $v"
		else
			rec FAIL "abi.layout.$v" "no committed Documentation/abi/layout/$v.txt: run make abi-gen"
		fi
	elif cmp -s "$committed" "$dump"; then
		rec PASS "abi.layout.$v" "matches the frozen dump"
	else
		rec FAIL "abi.layout.$v" "frozen ABI $v changed without a major bump: $(diff "$committed" "$dump" | grep '^[<>]' | head -3 | tr '\n' ' ')"
	fi
	# A minor only adds: every line of the previous minor survives, except
	# struct sizes, which may grow by fields appended at the end.
	if [ -n "$prev" ]; then
		lost=$(grep -v -e '^#' -e '^version ' -e '^struct ' "$prev" | grep -vxF -f "$dump")
		grown=$(awk '
			FNR == NR && /^struct / { split($3, a, "="); old[$2] = a[2]; next }
			/^struct / { split($3, a, "="); if ($2 in old && a[2] + 0 < old[$2] + 0) print "shrunk " $2 }
			/^field / { split($2, n, "."); split($3, o, "=");
				    if (n[1] in old && o[2] + 0 < old[n[1]] + 0 && !seen[$0]++) cand[$0] = 1 }
			END { for (c in cand) print "inserted " c }' "$prev" "$dump" | grep -vxF -f <(sed 's/^/inserted /' "$prev"))
		if [ -z "$lost$grown" ]; then
			rec PASS "abi.minor_only_adds.$v" "$v extends $(basename "$prev" .txt)"
		else
			rec FAIL "abi.minor_only_adds.$v" "$(echo "$lost $grown" | head -3 | tr '\n' ' ')"
		fi
	fi
	prev=$dump
done

# Dumps of the current major for versions the headers do not describe.
for f in "$doc"/layout/"$major".*.txt; do
	[ -e "$f" ] || continue
	m=$(basename "$f" .txt); m=${m#*.}
	if [ "$m" -gt "$minor" ]; then
		rec FAIL "abi.layout.$major.$m" "committed dump for a version the headers do not describe"
	fi
done
exit 0
