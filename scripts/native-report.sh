#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Report the native privileged helpers called outside pv_ops in arch/x86:
# one "<file> <function> <helper>" line per call.  The helpers are the
# native defaults of pv_ops, read from the tree's own paravirt.c (a
# pv_native_X wrapper stands for native_X); a call to one of them skips
# whatever backend pvx, KVM or Xen PV installed.  Coccinelle finds the
# calls; scripts/raw-privileged-asm.py finds what it cannot see (asm).
#
# Usage: scripts/native-report.sh KSRC
set -euo pipefail
ksrc=${1:?usage: $0 KSRC}
rule=$(mktemp --suffix=.cocci)
trap 'rm -f "$rule"' EXIT
helpers=$(sed -n '/^struct paravirt_patch_template pv_ops = {/,/^};/p' \
		"$ksrc/arch/x86/kernel/paravirt.c" |
	grep -o '\b\(pv_\)\?_*native_[a-z0-9_]*' | sed 's/^pv_native_/native_/' |
	sort -u | paste -sd'|')
[ -n "$helpers" ] || { echo "native-report: no pv_ops natives in $ksrc" >&2; exit 1; }
cat > "$rule" <<COCCI
@found@
identifier fn !~ "^(__)?(pv_)?native_";
identifier h =~ "^($helpers)\$";
position p;
@@
fn(...) {
<...
h@p(...)
...>
}

@script:python depends on found@
fn << found.fn;
h << found.h;
p << found.p;
@@
print("%s %s %s" % (p[0].file, fn, h))
COCCI
cd "$ksrc"
spatch --sp-file "$rule" --include-headers --very-quiet -j "$(nproc)" --dir arch/x86 2>/dev/null |
	sort -u
