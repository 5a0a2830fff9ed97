#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest suite of `make check`: builds the guest once (through the
# series, unless KDIR is given), then checks the series, the code and the
# running kernel.  Every result goes through scripts/result.sh.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
suite=check-guest
out=$top/build/guest
obj=$top/build/guest-obj
logs=$top/build/guest-logs
rm -rf "$logs"
mkdir -p "$logs"

r() { "$top/scripts/result.sh" "$suite" "$@"; }
ok() { if [ "$1" -eq 0 ]; then r PASS "${@:2}"; else r FAIL "${@:2}"; fi; }

# --- derived files are up to date -------------------------------------------
"$top/scripts/pvx-ops-gen.sh" rst | diff -u "$top/Documentation/pvx/ops-table.rst" - \
	> "$logs/gen-rst.diff"
ok $? generated.rst "Documentation/pvx/ops-table.rst matches the op list"

# --- build: series -> git am -> bzImage, initramfs --------------------------
if ! "$top/scripts/guest-build.sh" > "$logs/build.log" 2>&1; then
	tail -30 "$logs/build.log"
	r FAIL build "see build/guest-logs/build.log"
	exit 1
fi
r PASS build "bzImage and initramfs"
ksrc=$(readlink -f "$out/ksrc")
if [ -z "${KDIR:-}" ]; then
	n=$(wc -l < "$top/build/series/series")
	r PASS series.git_am "$n patches applied to pristine linux-source-6.12"
fi
for c in PVX KVM_GUEST XEN_PV PARAVIRT_XXL; do
	grep -qx "CONFIG_$c=y" "$obj/.config"
	ok $? "config.$c" "one bzImage with CONFIG_$c=y"
done

# objtool runs on every object of the build; it must say nothing about pvx.
# (The bzImage is already built: a fresh build of pvx's objects and
# vmlinux gives their warnings again.)
rm -f "$obj"/arch/x86/pvx/*.o "$obj"/arch/x86/pvx/tests/*.o "$obj"/arch/x86/pvx/refhv/*.o
make -C "$ksrc" O="$obj" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" vmlinux \
	> "$logs/objtool.log" 2>&1
rc=$?
grep -E 'objtool|warning:' "$logs/objtool.log" | grep -E 'pvx|vmlinux.o' > "$logs/objtool-pvx.log"
[ $rc -eq 0 ] && [ ! -s "$logs/objtool-pvx.log" ]
ok $? objtool "rebuild of arch/x86/pvx and vmlinux: exit $rc, $(wc -l < "$logs/objtool-pvx.log") objtool/compiler warnings"

# --- the series: checkpatch --strict per patch, no type ignored --------------
if [ -z "${KDIR:-}" ]; then
	"$top/scripts/checkpatch.sh" "$ksrc" $(sed "s|^|$top/build/series/|" "$top/build/series/series") \
		> "$logs/checkpatch.log" 2>&1
	while read -r name n; do
		[ "$n" = 0 ]
		ok $? "checkpatch.${name:0:4}" "$n findings left in $name (scripts/checkpatch-exceptions.txt)"
	done < <(grep -E '^[0-9]{4}-.* [0-9]+$' "$logs/checkpatch.log")
	! grep -q '^stale exception' "$logs/checkpatch.log"
	ok $? checkpatch.exceptions "every line-level exception still matches a finding"
fi

# --- sparse and kernel-doc on the pvx code ------------------------------------
# arch/x86/Kbuild names each directory: make C=2 takes each.
make -C "$ksrc" O="$obj" ARCH=x86_64 CC="ccache gcc" C=2 arch/x86/pvx/ arch/x86/pvx/tests/ \
	arch/x86/pvx/refhv/ > "$logs/sparse.log" 2>&1
rc=$?
checked=$(grep -c '^ *CHECK ' "$logs/sparse.log")
grep -E 'pvx' "$logs/sparse.log" | grep -E 'warning|error' > "$logs/sparse-pvx.log"
[ $rc -eq 0 ] && [ "$checked" -gt 0 ] && [ ! -s "$logs/sparse-pvx.log" ]
ok $? sparse "make C=2 arch/x86/pvx/ and below: $checked files checked, $(wc -l < "$logs/sparse-pvx.log") warnings"

kfiles=$(cd "$ksrc" && ls arch/x86/pvx/*.c arch/x86/pvx/tests/*.c arch/x86/pvx/refhv/*.c \
	arch/x86/pvx/refhv/tests/*.c arch/x86/include/asm/pvx*.h)
(cd "$ksrc" && scripts/kernel-doc -none -Wall $kfiles) > "$logs/kernel-doc.log" 2>&1
ok $(( $(grep -c 'warning' "$logs/kernel-doc.log") > 0 )) kernel_doc "$(grep -c warning "$logs/kernel-doc.log") warnings"
# Every function the API header declares is documented where it is defined.
undoc=""
for sym in $(grep -ohE '^[a-z].* \**(pvx_[a-z_]+)\(' "$ksrc/arch/x86/include/asm/pvx.h" |
		grep -oE 'pvx_[a-z_]+\($' | tr -d '('); do
	grep -qE "^ \* $sym\(\) - " "$ksrc"/arch/x86/pvx/*.c || undoc="$undoc $sym"
done
[ -z "$undoc" ]
ok $? kernel_doc.api "undocumented:${undoc:- none}"

# --- native helpers and raw privileged asm left outside pv_ops --------------
allow_check() {	# $1: name, $2: report, $3: allow-list
	grep -v '^#' "$3" | sed 's/ *#.*//' | grep . | sort -u > "$logs/$1-allow.txt"
	comm -23 "$2" "$logs/$1-allow.txt" > "$logs/$1-new.txt"
	comm -13 "$2" "$logs/$1-allow.txt" > "$logs/$1-stale.txt"
	[ -s "$2" ] && [ ! -s "$logs/$1-new.txt" ] && [ ! -s "$logs/$1-stale.txt" ]
	ok $? "$1.allowlist" "$(wc -l < "$2") found, new: $(paste -sd, "$logs/$1-new.txt"), stale: $(paste -sd, "$logs/$1-stale.txt")"
}
"$top/scripts/native-report.sh" "$ksrc" > "$logs/cocci-report.txt"
allow_check cocci "$logs/cocci-report.txt" "$top/scripts/cocci/native-allowlist.txt"
python3 "$top/scripts/raw-privileged-asm.py" "$ksrc" > "$logs/raw-asm.txt"
allow_check raw_asm "$logs/raw-asm.txt" "$top/scripts/cocci/raw-asm-allowlist.txt"

# --- KUnit results, parsed by the tree's kunit.py ---------------------------
kunit_record() {	# $1: prefix, $2: json file
	python3 - "$1" "$2" <<'PY' | while read -r verdict name; do r "$verdict" "$name"; done
import json, sys
prefix, path = sys.argv[1], sys.argv[2]
def walk(t, names):
    top = t['name'] in ('', 'main', 'KUnit Test Group')
    here = names if top else names + [t['name']]
    cases = t.get('test_cases') or []
    # a suite that did not apply (e.g. pvx_refhv without refhv): one skip
    if not top and cases and not t.get('sub_groups') and all(c['status'] == 'SKIP' for c in cases):
        print('SKIP', '.'.join(here))
        return
    for c in cases:
        v = {'PASS': 'PASS', 'SKIP': 'SKIP'}.get(c['status'], 'FAIL')
        print(v, '.'.join(here + [c['name']]))
    for s in t.get('sub_groups') or []:
        walk(s, here)
data = json.load(open(path))
walk(data, [prefix])
PY
}
(cd "$ksrc" && python3 tools/testing/kunit/kunit.py exec --arch=x86_64 --build_dir="$obj" \
	--timeout=300 --json="$logs/kunit.json" > "$logs/kunit.log" 2>&1)
rc=$?
[ -s "$logs/kunit.json" ] && kunit_record kunit "$logs/kunit.json"
ok $rc kunit.run "kunit.py exec: exit $rc (build/guest-logs/kunit.log)"

# --- boot tests: the project's init, each boot's KUnit KTAP -----------------
boot() {	# $1: name, $2: expected QEMU status, rest: kernel command line
	local name=$1 want=$2
	shift 2
	QEMU_ARGS="${QEMU_ARGS:-}" "$top/scripts/qemu-boot.sh" "$@" > "$logs/boot-$name.log" 2>&1
	local rc=$?
	grep -a '^PVX-CHECK:' "$logs/boot-$name.log" | while read -r _ verdict check rest; do
		r "$verdict" "boot.$name.$check" "${rest#-- }"
	done
	grep -aq '^PVX-RESULT: status=0' "$logs/boot-$name.log" && [ "$rc" -eq "$want" ]
	ok $? "boot.$name.result" "qemu exit $rc (want $want), $(grep -a '^PVX-RESULT' "$logs/boot-$name.log" | tr -d '\r')"
	"$top/scripts/ktap-lines.sh" < "$logs/boot-$name.log" |
		python3 "$ksrc/tools/testing/kunit/kunit.py" parse --json="$logs/boot-$name.json" \
		> "$logs/boot-$name.parse" 2>&1
	[ -s "$logs/boot-$name.json" ] && kunit_record "boot.$name.kunit" "$logs/boot-$name.json"
	# No warning, BUG or lockdep splat, whatever the boot.
	"$top/scripts/kernel-reports.sh" "$logs/boot-$name.log" > "$logs/boot-$name.splats" &&
		[ ! -s "$logs/boot-$name.splats" ]
	ok $? "boot.$name.no_splat" "$(wc -l < "$logs/boot-$name.splats") warning/BUG/lockdep lines"
}
# Native boots of the one kernel: the report says pv=none.  Boots under
# a PVX host and under KVM are check-hv's.
boot native 0 pvx_expect=native pvx_expect_pv=none
boot nopv 0 nopv pvx_expect=native pvx_expect_pv=none
# earlycon=pvx with no PVX host: refused quietly, the boot goes on
boot earlycon_nohost 0 earlycon=pvx pvx_expect=native pvx_expect_pv=none
CPUS=2 boot smp2 0 pvx_expect=native pvx_expect_pv=none
exit 0
