#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-host: every host-side test of the PVX ABI and libpvxhv.
# Each test records one result through scripts/result.sh (suite check-host);
# the script exits non-zero if any of them failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/host
suite=check-host
results=${PVX_RESULTS:-$top/build/results}/$suite.txt
fuzz_seconds=${CHECK_FUZZ_SECONDS:-30}
race_seconds=${CHECK_RACE_SECONDS:-20}
state_seconds=${CHECK_STATE_SECONDS:-10}
cc=${HOST_CC:-gcc}
clang=${HOST_CLANG:-clang-14}
mkdir -p "$out/check"
log=$out/check
start_fails=$(grep -c '^FAIL' "$results" 2>/dev/null || true)
# The soname (host.mk passes it) and the symbol version nodes (the map).
sover=${PVXHV_SOVER:-$(sed -n 's/^PVXHV_SOVER[[:space:]]*:=[[:space:]]*//p' "$top/hypervisor-stub/host.mk")}
vnodes=$(sed -n 's/^\(PVXHV_[0-9]*\) {$/\1/p' "$top/hypervisor-stub/lib/libpvxhv.map")

rec() { "$top/scripts/result.sh" "$suite" "$@"; }
# step NAME CMD...: run CMD, output to $log/NAME.log, record PASS/FAIL.
step() {
	local name=$1; shift
	if "$@" > "$log/$name.log" 2>&1; then
		rec PASS "$name"
	else
		rec FAIL "$name" "$(tail -3 "$log/$name.log" | tr '\n' ' ' | cut -c1-300)"
		return 1
	fi
}
mk() { make -C "$top" --no-print-directory "$@"; }

# 1. The library: static and shared, -Wall -Wextra -Werror.
step build.libpvxhv mk libpvxhv
# The static library exports the API only: nothing to clash with a VMM's names.
exports_ok() {
	local bad
	bad=$(nm -g --defined-only "$out/lib/libpvxhv.a" | awk 'NF == 3 {print $3}' | grep -v '^pvxhv_')
	[ -z "$bad" ] || { echo "internal symbols exported: $bad"; return 1; }
	bad=$(nm -D --defined-only "$out/lib/libpvxhv.so.$sover" | awk 'NF == 3 {print $3}' |
		grep -v '^pvxhv_' | grep -vxF "$vnodes")
	[ -z "$bad" ] || { echo "internal symbols exported: $bad"; return 1; }
	# ...and all of it: every function pvxhv.h declares, in a version node of the map.
	bad=$(comm -23 <(sed -n 's/^[A-Za-z_].*[ *]\(pvxhv_[a-z_]*\)(.*/\1/p' \
				"$top/hypervisor-stub/include/pvxhv.h" | sort -u) \
		<(nm -D --defined-only "$out/lib/libpvxhv.so.$sover" | awk 'NF == 3 {print $3}' |
		  sed -n 's/@@\{0,1\}PVXHV_[0-9]*$//p' | sort -u))
	[ -z "$bad" ] || { echo "API not exported: $bad"; return 1; }
}
step build.exports exports_ok

# 2. Headers: standalone, C11, both compilers, every interface version.
read -r major minor < <(printf '#include <pvx/version.h>\nPVX_ABI_VERSION_MAJOR PVX_ABI_VERSION_MINOR\n' |
	$cc -E -P -I"$top/abi" - | tail -1)
for compiler in "$cc" "$clang"; do
	for m in $(seq 0 "$minor"); do
		hex=$(printf '0x%04x%04x' "$major" "$m")
		hdr_ok() {
			for h in "$top"/abi/pvx/*.h "$top"/hypervisor-stub/include/pvxhv.h; do
				printf '#include "%s"\ntypedef int pvx_header_test_t;\n' "$h" | $compiler -std=c11 -pedantic -Wall -Wextra -Werror \
					-D__PVX_INTERFACE_VERSION__="$1" -I"$top/abi" -x c -c - -o /dev/null || return 1
			done
		}
		step "headers.c11.${compiler%%-*}.$major.$m" hdr_ok "$hex"
	done
done

# uapi-clean: only <linux/types.h> and <pvx/...>, no CONFIG_, no libc names;
# and they build freestanding, kernel-style, against a bare linux/types.h.
uapi_clean() {
	local bad
	bad=$(grep -Hn '#include' "$top"/abi/pvx/*.h | grep -v -e '<linux/types.h>' -e '<pvx/[a-z]*\.h>')
	[ -z "$bad" ] || { echo "foreign include: $bad"; return 1; }
	bad=$(grep -HnE 'CONFIG_|\b(u?int(8|16|32|64)_t|size_t|uintptr_t|bool)\b' "$top"/abi/pvx/*.h)
	[ -z "$bad" ] || { echo "not uapi-clean: $bad"; return 1; }
	mkdir -p "$log/stub/linux"
	cat > "$log/stub/linux/types.h" <<'STUB'
typedef unsigned char __u8; typedef signed char __s8;
typedef unsigned short __u16; typedef unsigned int __u32;
typedef unsigned long long __u64; typedef signed long long __s64;
#define __aligned_u64 __u64 __attribute__((aligned(8)))
STUB
	echo '#include <pvx/abi.h>' | $cc -std=gnu11 -D__KERNEL__ -ffreestanding -nostdinc \
		-Wall -Wextra -Werror -I"$log/stub" -I"$top/abi" -x c -c - -o /dev/null
}
step headers.uapi_clean uapi_clean

# The kernel's uapi header test compiles with -std=c90; a C++ VMM may include pvxhv.h.
c90_ok() {
	printf '#include <pvx/abi.h>\ntypedef int pvx_header_test_t;\n' |
		$cc -std=c90 -Wall -Werror -I"$top/abi" -x c -c - -o /dev/null
}
cxx_ok() {
	printf '#include <pvxhv.h>\n' | g++ -std=c++11 -Wall -Wextra -Werror \
		-I"$top/abi" -I"$top/hypervisor-stub/include" -x c++ -c - -o /dev/null
}
step headers.c90_uapi_test c90_ok
step headers.cxx cxx_ok

# pvxhv_vcpu_enter()'s result carries a deferred TLB flush: a caller that
# drops it does not build under -Werror (one that uses it does).
enter_result() {	# enter_result COMPILER BODY
	printf '#include <pvxhv.h>\nint f(struct pvxhv *hv);\nint f(struct pvxhv *hv) { %s }\n' "$2" |
		$1 -std=c11 -Wall -Werror -I"$top/abi" -I"$top/hypervisor-stub/include" -x c -c - -o /dev/null
}
enter_result_must_be_used() {
	enter_result "$1" 'return pvxhv_vcpu_enter(hv, 0, 0) & PVXHV_ENTER_FLUSH_TLB;' &&
		! enter_result "$1" 'pvxhv_vcpu_enter(hv, 0, 0); return 0;'
}
for compiler in "$cc" "$clang"; do
	step "api.enter_result_must_be_used.${compiler%%-*}" enter_result_must_be_used "$compiler"
done

# The interface selector hides what is newer than the selected version.
sel() {	# sel VERSION SNIPPET
	printf '#include <pvx/abi.h>\nint f(void);\nint f(void) { %s; return 0; }\n' "$2" |
		$cc -std=c11 -Wall -Werror -D__PVX_INTERFACE_VERSION__="$1" -I"$top/abi" -x c -c - -o /dev/null 2>/dev/null
}
sel_fails() { ! sel "$@"; }
step selector.1_0_hides_send_ipi       sel_fails 0x00010000 'int x = PVX_HC_send_ipi; (void)x'
step selector.1_0_hides_pv_ipi         sel_fails 0x00010000 '(void)PVX_FEATURE(PV_IPI)'
step selector.1_0_hides_nr_vcpus       sel_fails 0x00010000 'struct pvx_negotiate n; (void)n.nr_vcpus'
step selector.1_0_has_1_0_calls        sel 0x00010000 'int x = PVX_HC_multicall + PVX_FEATURE(MULTICALL); (void)x' 
step selector.1_0_negotiate_is_16      sel 0x00010000 '_Static_assert(sizeof(struct pvx_negotiate) == 16, "")'
step selector.1_1_has_send_ipi         sel 0x00010001 'int x = PVX_HC_send_ipi + PVX_FEATURE(PV_IPI); (void)x'
step selector.1_1_negotiate_is_24      sel 0x00010001 '_Static_assert(sizeof(struct pvx_negotiate) == 24, "")'
step selector.1_1_hides_set_time_record sel_fails 0x00010001 'int x = PVX_HC_set_time_record; (void)x'
step selector.1_1_hides_stable_time    sel_fails 0x00010001 '(void)PVX_FEATURE(STABLE_TIME)'
step selector.1_1_shared_is_64         sel 0x00010001 '_Static_assert(sizeof(struct pvx_vcpu_shared) == 64, "")'
step selector.1_2_has_soft_reset       sel 0x00010002 'int x = PVX_HC_soft_reset + PVX_FEATURE(SOFT_RESET); (void)x'
step selector.1_2_shared_is_152        sel 0x00010002 '_Static_assert(sizeof(struct pvx_vcpu_shared) == 152, "")'
step selector.rejects_future_minor     sel_fails "$(printf '0x%04x%04x' "$major" $((minor + 1)))" ''
step selector.rejects_other_major      sel_fails 0x00020000 ''

# 3. sparse: the library is clean, and the __guest annotation bites
# (C11, as the library is built: aligned_alloc() is C11's).
sparse_lib() {
	local o
	o=$(sparse -std=c11 -Wsparse-all -Wno-unknown-attribute -Wno-undef -I"$top/abi" -I"$top/hypervisor-stub/include" \
		"$top"/hypervisor-stub/lib/*.c 2>&1)
	[ -z "$o" ] || { echo "$o"; return 1; }
}
sparse_bites() {
	local o
	o=$(sparse -std=c11 -Wsparse-all -Wno-unknown-attribute -Wno-undef -I"$top/abi" -I"$top/hypervisor-stub/include" \
		-I"$top/hypervisor-stub/lib" "$top/tests/host/sparse-fixture.c" 2>&1)
	echo "$o"
	grep -q 'dereference of noderef' <<<"$o" && grep -q 'cast removes address space' <<<"$o"
}
step sparse.libpvxhv sparse_lib
step sparse.guest_pointer_enforced sparse_bites

# 4. Generated docs and frozen layouts.
"$top/tests/host/abi-gen.sh" check

# ...and the checks bite: on a scratch copy with one frozen line changed
# and one table edited, abi-gen.sh must report both.
freeze_bites() {
	local d=$log/freeze
	rm -rf "$d"; mkdir -p "$d/results"
	cp -r "$top/Documentation/abi" "$d/doc"
	sed -i 's/^field pvx_negotiate.features offset=8 size=8$/field pvx_negotiate.features offset=8 size=4/' "$d/doc/layout/1.0.txt"
	echo "edited" >> "$d/doc/generated/errors.rst"
	PVX_ABI_DOC=$d/doc PVX_ABI_OUT=$d/out PVX_RESULTS=$d/results "$top/tests/host/abi-gen.sh" check
	grep -q '^FAIL abi.layout.1.0 -- frozen ABI 1.0 changed' "$d/results/check-host.txt" &&
		grep -q '^FAIL abi.doc.errors' "$d/results/check-host.txt" &&
		[ "$(grep -c '^FAIL' "$d/results/check-host.txt")" -eq 2 ]
}
step abi.freeze_and_docs_checks_bite freeze_bites

# 5. Unit tests under ASan + UBSan, the threaded tests under ASan + UBSan
# and under TSan: one result per test case.
run_cases() {	# run_cases LOGNAME BINARY [ENV=VALUE...]
	local name=$1 bin=$2 rc
	shift 2
	env "$@" "$bin" > "$log/$name.log" 2>&1
	rc=$?
	while read -r verdict tname rest; do
		case "$verdict" in PASS|FAIL) rec "$verdict" "$tname" ${rest:+"${rest#-- }"};; esac
	done < "$log/$name.log"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL' "$log/$name.log"; then
		rec FAIL "$name.run" "$(basename "$bin") exited $rc without a verdict: $(grep -m1 -E 'ERROR|WARNING|runtime error|fakevm|libpvxhv' "$log/$name.log")"
	fi
}
if step build.test-unit mk "$out/test-unit"; then
	run_cases unit "$out/test-unit"
fi
if step build.test-state mk "$out/test-state"; then
	run_cases state "$out/test-state"
fi
if step build.test-threads mk "$out/test-threads"; then
	run_cases threads "$out/test-threads"
fi
if step build.tsan-threads mk "$out/tsan-threads"; then
	run_cases tsan "$out/tsan-threads" PVX_THREADS_PREFIX=tsan \
		TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
fi

# pvx-hv's --hostile modes: each bend, without a guest or KVM (ASan+UBSan);
# the binary takes every mode --help lists and refuses another, naming
# them all; Documentation/pvx-hv.rst's copy of the list is --help's.
if step build.test-hostile mk "$out/test-hostile"; then
	run_cases hostile "$out/test-hostile"
fi
hv_bin=$top/build/hv/pvx-hv
hostile_names() { "$hv_bin" --help | sed -n '/^hostile modes/,/^exit status:$/{s/^  \([a-z0-9-]*\) .*/\1/p}'; }
hostile_parse_all() {
	local m msg n=0
	for m in $(hostile_names); do
		msg=$("$hv_bin" --hostile "$m" 2>&1)
		[ $? = 64 ] && [ "$(head -1 <<<"$msg")" = "pvx-hv: no kernel image given" ] ||
			{ echo "--hostile $m: $msg"; return 1; }
		n=$((n + 1))
	done
	echo "$n modes"
	[ "$n" -ge 30 ]
}
hostile_refused() {
	local m msg
	msg=$("$hv_bin" --hostile bogus /nonexistent 2>&1)
	[ $? = 64 ] || { echo "status $?: $msg"; return 1; }
	grep -q "^pvx-hv: --hostile: 'bogus' is not a mode; modes: abi-high, " <<<"$msg" || { echo "$msg"; return 1; }
	for m in $(hostile_names); do
		grep -qE "[ ,]$m(,|\$)" <<<"$(head -1 <<<"$msg")" || { echo "$m not named: $msg"; return 1; }
	done
}
hostile_doc() {
	local help doc
	help=$("$hv_bin" --help | sed -n '/^hostile modes/,/^exit status:$/{/^  /p}')
	doc=$(sed -n '/compares with this copy of the modes::$/,/^[^ ]/{/^  /p}' "$top/Documentation/pvx-hv.rst")
	[ -n "$help" ] && [ "$help" = "$doc" ] || { diff <(echo "$doc") <(echo "$help"); return 1; }
}
if step build.pvx-hv mk pvx-hv; then
	step hostile.every_mode_parses hostile_parse_all
	step hostile.unknown_mode_refused hostile_refused
	step hostile.doc_lists_modes hostile_doc
fi

# 6. Install with pkg-config, link statically and dynamically, run.
install_smoke() {
	local p=$log/prefix
	rm -rf "$p"
	mk install PREFIX="$p" >/dev/null || return 1
	export PKG_CONFIG_PATH=$p/lib/pkgconfig
	$cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags pvxhv) "$top/tests/host/install-smoke.c" \
		-o "$log/smoke-shared" $(pkg-config --libs pvxhv) -Wl,-rpath,"$p/lib" || return 1
	$cc -std=c11 -Wall -Wextra -Werror $(pkg-config --cflags pvxhv) "$top/tests/host/install-smoke.c" \
		-o "$log/smoke-static" "$p/lib/libpvxhv.a" $(pkg-config --static --libs-only-other pvxhv) || return 1
	[[ $(ldd "$log/smoke-shared") == *"$p/lib/libpvxhv.so.$sover"* ]] || return 1
	[ "$("$log/smoke-shared")" = "multicall EFAULT $major.$minor" ] &&
		[ "$("$log/smoke-static")" = "multicall EFAULT $major.$minor" ]
}
step install.pkg_config install_smoke

# The bench's calls give the results it expects (natively, no valgrind).
bench_smoke() {
	mk "$out/bench-hv" || return 1
	"$out/bench-hv" list | while IFS=$'\t' read -r kind fn; do "$out/bench-hv" "$kind" 10 || exit 1; done
}
step bench.kinds_behave bench_smoke

# 7. Fuzzing (libFuzzer, clang-14, ASan+UBSan): bounded campaigns.
if step build.fuzz-hv mk "$out/fuzz-hv"; then
	"$top/tests/host/fuzz.sh" --check plain "$fuzz_seconds"
	"$top/tests/host/fuzz.sh" --check race "$race_seconds"
fi
# pvxhv_restore() on corrupt, hostile and foreign blobs (seeds: real saves).
if step build.fuzz-state mk "$out/fuzz-state"; then
	"$top/tests/host/fuzz.sh" --check state "$state_seconds"
fi
# pvx-hv's exit handling and devices, everything a guest drives.
if step build.fuzz-exits mk "$out/fuzz-exits"; then
	"$top/tests/host/fuzz.sh" --check exits "$fuzz_seconds"
fi

end_fails=$(grep -c '^FAIL' "$results" 2>/dev/null || true)
[ "${end_fails:-0}" -eq "${start_fails:-0}" ]
