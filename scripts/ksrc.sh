#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make (once) and print the pristine kernel tree pvx is developed against:
# Debian's linux-source-6.12, unpacked under build/ and made into a git
# repository (the package has no .git).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=${PVX_KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
dir=$top/build/pristine

if [ ! -d "$dir/.git" ] || ! git -C "$dir" rev-parse -q --verify HEAD >/dev/null; then
	[ -f "$tarball" ] || "$top/scripts/deps.sh" guest
	[ -f "$tarball" ] || { echo "ksrc: $tarball not found" >&2; exit 1; }
	echo "ksrc: unpacking $(basename "$tarball") into build/pristine ..." >&2
	t0=$(date +%s)
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -xf "$tarball" -C "$dir.tmp" --strip-components=1
	# Debian's top-level .gitignore ignores everything: add by force.
	git -C "$dir.tmp" init -q
	git -C "$dir.tmp" add -f -A .
	GIT_AUTHOR_DATE="2025-01-01T00:00:00Z" GIT_COMMITTER_DATE="2025-01-01T00:00:00Z" \
		git -C "$dir.tmp" -c user.name=pvx -c user.email=pvx@localhost \
		commit -q -m "Linux $(make -s -C "$dir.tmp" kernelversion) (Debian linux-source-6.12)"
	mv "$dir.tmp" "$dir"
	echo "ksrc: done in $(( $(date +%s) - t0 ))s" >&2
fi
echo "$dir"
