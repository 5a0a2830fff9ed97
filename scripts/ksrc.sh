#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make (once) and print the pristine kernel tree pvx is developed against:
# Debian's linux-source-6.12, committed into the bare git repository
# build/pristine.git (the package has no .git).  Bare, because every user
# clones it (git clone --shared) and a checked-out copy would only cost
# another 1.5 GB of disk.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=${PVX_KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
dir=$top/build/pristine.git

if ! git --git-dir="$dir" rev-parse -q --verify HEAD >/dev/null 2>&1; then
	[ -f "$tarball" ] || "$top/scripts/deps.sh" guest
	[ -f "$tarball" ] || { echo "ksrc: $tarball not found" >&2; exit 1; }
	echo "ksrc: unpacking $(basename "$tarball") into build/pristine.git ..." >&2
	t0=$(date +%s)
	tree=$dir.tree
	rm -rf "$dir" "$dir.tmp" "$tree" "$top/build/pristine"
	trap 'rm -rf "$tree"' EXIT
	mkdir -p "$tree"
	tar -xf "$tarball" -C "$tree" --strip-components=1
	git init -q --bare "$dir.tmp"
	# Debian's top-level .gitignore ignores everything: add by force.
	git --git-dir="$dir.tmp" --work-tree="$tree" add -f -A .
	GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
		git --git-dir="$dir.tmp" --work-tree="$tree" \
		-c user.name=pvx -c user.email=pvx@localhost \
		commit -q -m "Linux $(make -s -C "$tree" kernelversion) (Debian linux-source-6.12)"
	mv "$dir.tmp" "$dir"
	echo "ksrc: done in $(( $(date +%s) - t0 ))s" >&2
fi
echo "$dir"
