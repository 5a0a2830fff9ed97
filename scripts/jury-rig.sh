#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Symlink the project's kernel files into a kernel tree, so edits here are
# built there directly.  Usage: scripts/jury-rig.sh KDIR
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: $0 KDIR}
[ -f "$kdir/Makefile" ] || { echo "jury-rig: $kdir is not a kernel tree" >&2; exit 1; }
"$top/scripts/kernel-files.sh" | while read -r src dst patch; do
	mkdir -p "$(dirname "$kdir/$dst")"
	ln -sfn "$top/$src" "$kdir/$dst"
done
echo "jury-rig: linked $("$top/scripts/kernel-files.sh" | wc -l) files into $kdir"
