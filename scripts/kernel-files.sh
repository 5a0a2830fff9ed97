#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Expand scripts/kernel-files.map: print "project-file kernel-file patch"
# for every file, directories expanded.  Optional argument: only that patch.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
want=${1:-}
grep -v '^\s*#' "$top/scripts/kernel-files.map" | while read -r src dst patch; do
	[ -n "$src" ] || continue
	[ -z "$want" ] || [ "$want" = "$patch" ] || continue
	if [ -d "$top/$src" ]; then
		(cd "$top/$src" && git -C "$top" ls-files --cached --others --exclude-standard -- "$src" |
			sed "s|^$src/||") | sort -u | while read -r f; do
			echo "$src/$f $dst/$f $patch"
		done
	elif [ -e "$top/$src" ]; then
		echo "$src $dst $patch"
	else
		echo "kernel-files: $src is missing" >&2
		exit 1
	fi
done
