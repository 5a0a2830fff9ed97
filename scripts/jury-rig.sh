#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Jury-rig a kernel tree for pvx development: symlink the project's kernel
# files into it (edits here are built there directly), apply the series'
# changes to existing kernel files unless already there (idempotent).
# Usage: scripts/jury-rig.sh KDIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: $0 KDIR}
[ -f "$kdir/Makefile" ] && [ -d "$kdir/arch/x86" ] ||
	{ echo "jury-rig: $kdir is not a kernel tree" >&2; exit 1; }
"$top/scripts/kernel-files.sh" | while read -r src dst _; do
	mkdir -p "$(dirname "$kdir/$dst")"
	ln -sfn "$top/$src" "$kdir/$dst"
done
echo "jury-rig: linked $("$top/scripts/kernel-files.sh" | wc -l) files into $kdir"
for d in "$top"/scripts/series/*.diff; do
	if patch -d "$kdir" -p1 -R --dry-run -s -f < "$d" >/dev/null 2>&1; then
		echo "jury-rig: $(basename "$d") already applied"
	else
		patch -d "$kdir" -p1 -s -f < "$d" ||
			{ echo "jury-rig: $(basename "$d") does not apply to $kdir" >&2; exit 1; }
		echo "jury-rig: applied $(basename "$d")"
	fi
done
echo "jury-rig: $kdir is ready: make kernel KDIR=$kdir"
