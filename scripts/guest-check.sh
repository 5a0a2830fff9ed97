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
mkdir -p "$logs"

r() { "$top/scripts/result.sh" "$suite" "$@"; }
ok() { if [ "$1" -eq 0 ]; then r PASS "${@:2}"; else r FAIL "${@:2}"; fi; }

# checkpatch types that only X-macro definitions trigger (the op list and
# the code generated from it); see Documentation/pvx/testing.rst.
CP_IGNORE=COMPLEX_MACRO,MACRO_ARG_UNUSED,MACRO_ARG_REUSE,MACRO_ARG_PRECEDENCE
CP_IGNORE=$CP_IGNORE,MULTISTATEMENT_MACRO_USE_DO_WHILE,TRAILING_SEMICOLON,FILE_PATH_CHANGES

# --- derived files are up to date -------------------------------------------
gen_check() {
	local what=$1 file=$2
	if "$top/scripts/pvx-ops-gen.sh" "$what" | diff -u "$top/$file" - > "$logs/gen-$what.diff"; then
		r PASS "generated.$what" "$file matches pvops/pvx_ops.h"
	else
		r FAIL "generated.$what" "$file is stale: scripts/pvx-ops-gen.sh $what > $file"
	fi
}
gen_check cocci scripts/cocci/pvx-convert.cocci
gen_check rst Documentation/pvx/ops-table.rst

# --- build: series -> git am -> bzImage, module, initramfs ------------------
if ! "$top/scripts/guest-build.sh" 2>&1 | tee "$logs/build.log"; then
	r FAIL build "see build/guest-logs/build.log"
	exit 1
fi
r PASS build "bzImage, out-of-tree module and initramfs"
ksrc=$(readlink -f "$out/ksrc")
if [ -z "${KDIR:-}" ]; then
	n=$(wc -l < "$top/build/series/series")
	r PASS series.git_am "$n patches applied to pristine linux-source-6.12"
fi

# --- the same tree in the other configuration: UP, no modules ---------------
variant() {
	local vobj=$top/build/guest-variant-obj
	mkdir -p "$vobj"
	{ grep -vE 'CONFIG_(MODULES|MODULE_UNLOAD|SMP|NR_CPUS|PARAVIRT_SPINLOCKS)[= ]' \
		"$top/tests/guest/guest.config"
	  printf '# CONFIG_MODULES is not set\n# CONFIG_SMP is not set\n'; } > "$vobj/variant.config" &&
	"$top/scripts/guest-config.sh" "$ksrc" "$vobj" "$vobj/variant.config" &&
	grep -q '^CONFIG_PVX=y' "$vobj/.config" && ! grep -qE '^CONFIG_(MODULES|SMP)=y' "$vobj/.config" &&
	make -s -C "$ksrc" O="$vobj" ARCH=x86_64 CC="ccache gcc" -j"$(nproc)" vmlinux
}
t0=$SECONDS
variant > "$logs/variant.log" 2>&1
ok $? build.variant_up_nomodules "CONFIG_PVX with SMP=n, MODULES=n: vmlinux in $((SECONDS - t0))s"

# --- the series: checkpatch --strict per patch -------------------------------
if [ -z "${KDIR:-}" ]; then
	for p in $(sed "s|^|$top/build/series/|" "$top/build/series/series"); do
		name=$(basename "$p" .patch)
		perl "$ksrc/scripts/checkpatch.pl" --strict --no-tree --ignore "$CP_IGNORE" \
			--show-types -q "$p" > "$logs/checkpatch-$name.log" 2>&1
		# The C11 keyword the ABI's layout asserts need, spelled once.
		n=$(grep '^\(ERROR\|WARNING\|CHECK\)' "$logs/checkpatch-$name.log" |
			grep -vc 'CAMELCASE: Avoid CamelCase: <_Static_assert>')
		ok $(( n > 0 )) "checkpatch.${name:0:4}" "$n findings in $name"
	done
fi

# --- sparse and kernel-doc on the pvx code ------------------------------------
make -C "$ksrc" O="$obj" ARCH=x86_64 CC="ccache gcc" C=2 arch/x86/pvx/ \
	> "$logs/sparse.log" 2>&1
rc=$?
checked=$(grep -c '^ *CHECK ' "$logs/sparse.log")
grep -E 'pvx' "$logs/sparse.log" | grep -E 'warning|error' > "$logs/sparse-pvx.log"
[ $rc -eq 0 ] && [ "$checked" -gt 0 ] && [ ! -s "$logs/sparse-pvx.log" ]
ok $? sparse "make C=2 arch/x86/pvx/: $checked files checked, $(wc -l < "$logs/sparse-pvx.log") warnings"

kfiles=$(cd "$ksrc" && ls arch/x86/pvx/*.c arch/x86/include/asm/pvx*.h)
(cd "$ksrc" && scripts/kernel-doc -none -Wall $kfiles) > "$logs/kernel-doc.log" 2>&1
ok $(( $(grep -c 'warning' "$logs/kernel-doc.log") > 0 )) kernel_doc "$(grep -c warning "$logs/kernel-doc.log") warnings"
undoc=""
for f in $kfiles; do
	for sym in $(grep -ohE 'EXPORT_SYMBOL(_GPL|_IF_KUNIT)?\([a-z_]+\)' "$ksrc/$f" | sed 's/.*(\(.*\))/\1/'); do
		grep -qE "^ \* ($sym(\(\))? - |DOC: $sym\$)" "$ksrc/$f" || undoc="$undoc $sym"
	done
done
[ -z "$undoc" ]
ok $? kernel_doc.exports "undocumented:${undoc:- none}"

# --- Coccinelle: native helpers left outside pvx in arch/x86 -----------------
(cd "$ksrc" && spatch --sp-file "$top/scripts/cocci/pvx-convert.cocci" -D report \
	--include-headers --very-quiet -j "$(nproc)" --dir arch/x86 2>/dev/null) |
	sort -u > "$logs/cocci-report.txt"
grep -v '^#' "$top/scripts/cocci/native-allowlist.txt" | sed 's/ *#.*//' | grep . |
	sort -u > "$logs/cocci-allow.txt"
comm -23 "$logs/cocci-report.txt" "$logs/cocci-allow.txt" > "$logs/cocci-new.txt"
comm -13 "$logs/cocci-report.txt" "$logs/cocci-allow.txt" > "$logs/cocci-stale.txt"
[ -s "$logs/cocci-report.txt" ] && [ ! -s "$logs/cocci-new.txt" ] && [ ! -s "$logs/cocci-stale.txt" ]
ok $? cocci.allowlist "$(wc -l < "$logs/cocci-report.txt") calls, new: $(paste -sd, "$logs/cocci-new.txt"), stale: $(paste -sd, "$logs/cocci-stale.txt")"

# Coccinelle does not see inside asm(): the raw instructions get their own list.
python3 "$top/scripts/raw-privileged-asm.py" "$ksrc" > "$logs/raw-asm.txt"
grep -v '^#' "$top/scripts/cocci/raw-asm-allowlist.txt" | sed 's/ *#.*//' | grep . |
	sort -u > "$logs/raw-asm-allow.txt"
comm -23 "$logs/raw-asm.txt" "$logs/raw-asm-allow.txt" > "$logs/raw-asm-new.txt"
comm -13 "$logs/raw-asm.txt" "$logs/raw-asm-allow.txt" > "$logs/raw-asm-stale.txt"
[ -s "$logs/raw-asm.txt" ] && [ ! -s "$logs/raw-asm-new.txt" ] && [ ! -s "$logs/raw-asm-stale.txt" ]
ok $? raw_asm.allowlist "$(wc -l < "$logs/raw-asm.txt") file/instruction pairs, new: $(paste -sd, "$logs/raw-asm-new.txt"), stale: $(paste -sd, "$logs/raw-asm-stale.txt")"

# --- KUnit, by the tree's own kunit.py, in QEMU TCG -------------------------
kunit_record() {	# $1: prefix, $2: json file
	python3 - "$1" "$2" <<'PY' | while read -r verdict name; do r "$verdict" "$name"; done
import json, sys
prefix, path = sys.argv[1], sys.argv[2]
def walk(t, names):
    top = t['name'] in ('', 'main', 'KUnit Test Group')
    here = names if top else names + [t['name']]
    for c in t.get('test_cases') or []:
        print('PASS' if c['status'] == 'PASS' else 'FAIL', '.'.join(here + [c['name']]))
    for s in t.get('sub_groups') or []:
        walk(s, here)
data = json.load(open(path))
walk(data, [prefix])
PY
}
(cd "$ksrc" && python3 tools/testing/kunit/kunit.py exec --arch=x86_64 --build_dir="$obj" \
	--timeout=300 --json="$logs/kunit.json" > "$logs/kunit.log" 2>&1)
rc=$?
if [ -s "$logs/kunit.json" ]; then
	kunit_record kunit "$logs/kunit.json"
fi
ok $rc kunit.run "kunit.py exec: exit $rc (build/guest-logs/kunit.log)"

# --- boot test: the project's init, the out-of-tree module -------------------
boot() {	# $1: name, rest: kernel command line
	local name=$1
	shift
	"$top/scripts/qemu-boot.sh" "$@" > "$logs/boot-$name.log" 2>&1
	local rc=$?
	grep -a '^PVX-CHECK:' "$logs/boot-$name.log" | while read -r _ verdict check rest; do
		r "$verdict" "boot.$name.$check" "${rest#-- }"
	done
	grep -aq '^PVX-RESULT: status=0' "$logs/boot-$name.log"
	ok $? "boot.$name.result" "qemu exit $rc, $(grep -a '^PVX-RESULT' "$logs/boot-$name.log" | tr -d '\r')"
}
boot native pvx_expect=native pvx_module=1
sed -n '/PVX-MODULE-BEGIN/,/PVX-MODULE-END/p' "$logs/boot-native.log" > "$logs/module-ktap.log"
python3 "$ksrc/tools/testing/kunit/kunit.py" parse --json="$logs/module.json" \
	< "$logs/module-ktap.log" > "$logs/module-parse.log" 2>&1
ok $? module.kunit_parse "kunit.py parse of the module's KTAP"
[ -s "$logs/module.json" ] && kunit_record module "$logs/module.json"

boot param_native pvx=native pvx_expect=native
boot param_bogus pvx=bogus pvx_expect=native
grep -aq 'unknown pvx=bogus (valid: auto, native' "$logs/boot-param_bogus.log"
ok $? boot.param_bogus.warning "warning names the valid values"
CPUS=2 boot smp2 pvx_expect=native

# The pvx_patcher suite's malformed sites are refused on purpose, by name.
grep -aE 'pvx: (site|module)|WARNING:|BUG:|Oops' "$logs"/boot-*.log |
	grep -avE 'pvx: site (test_site_|pvx_test_)' > "$logs/boot-warnings.log"
[ ! -s "$logs/boot-warnings.log" ]
ok $? boot.no_warnings "$(wc -l < "$logs/boot-warnings.log") kernel warnings"
exit 0
