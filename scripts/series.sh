#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the pvx patch series for the pristine tree to OUT (git format-patch
# --base, cover letter first, and OUT/series listing the patches in order).
# Each patch NN-name is made in a clone of the pristine tree from the
# project files scripts/kernel-files.map assigns to it, the changes to
# existing kernel files in scripts/series/NN-name.diff and the message in
# NN-name.msg.  Author and Signed-off-by: AUTHOR="Name <mail>", else the
# git identity (git config user.name, user.email); neither is an error.
#
# Usage: scripts/series.sh OUT
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:?usage: $0 OUT}")
pristine=$("$top/scripts/ksrc.sh")
work=$top/build/series-work
series=$top/scripts/series

# Author and Signed-off-by: AUTHOR="Name <mail>", else the git identity.
if [ -z "${AUTHOR:-}" ]; then
	name=$(git -C "$top" config user.name || true)
	mail=$(git -C "$top" config user.email || true)
	[ -n "$name" ] && [ -n "$mail" ] && AUTHOR="$name <$mail>"
fi
if [ -z "${AUTHOR:-}" ] || ! [[ $AUTHOR =~ ^([^\<]+)\ \<([^\>]+@[^\>]+)\>$ ]]; then
	echo "series: no author: set git config user.name and user.email," >&2
	echo "series: or run make series AUTHOR=\"Your Name <you@example.org>\"" >&2
	exit 2
fi
signoff=$AUTHOR
export GIT_AUTHOR_NAME="${BASH_REMATCH[1]}" GIT_AUTHOR_EMAIL="${BASH_REMATCH[2]}"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-11-21T00:00:00Z" GIT_COMMITTER_DATE="2026-11-21T00:00:00Z"

# The work tree is a full kernel checkout: gone once the patches are out.
rm -rf "$work"
trap 'rm -rf "$work"' EXIT
git clone -q --shared "$pristine" "$work"
base=$(git -C "$work" rev-parse HEAD)

for msg in "$series"/[0-9][0-9]-*.msg; do
	id=$(basename "$msg" .msg)
	[ "$id" = "00-cover" ] && continue
	"$top/scripts/kernel-files.sh" "$id" | while read -r src dst _; do
		mkdir -p "$(dirname "$work/$dst")"
		cp "$top/$src" "$work/$dst"
	done
	if [ -f "$series/$id.diff" ]; then
		# the MAINTAINERS entry names whoever sends the series
		sed "s|@AUTHOR@|$signoff|" "$series/$id.diff" |
			git -C "$work" apply --whitespace=error-all -
	fi
	git -C "$work" add -f -A .
	if git -C "$work" diff --cached --quiet; then
		echo "series: patch $id changes nothing" >&2
		exit 1
	fi
	{ cat "$msg"; echo; echo "Signed-off-by: $signoff"; } |
		git -C "$work" commit -q -F -
done

rm -rf "$out"
git -C "$work" format-patch -q --cover-letter --base="$base" -o "$out" "$base"
python3 - "$out"/0000-cover-letter.patch "$series/00-cover.msg" <<'PY'
import sys
path, msg = sys.argv[1], open(sys.argv[2]).read().split('\n', 1)
s = open(path).read()
s = s.replace('*** SUBJECT HERE ***', msg[0].strip())
s = s.replace('*** BLURB HERE ***', msg[1].strip())
open(path, 'w').write(s)
PY
# The patches in order, cover letter excluded (quilt's series file).
ls "$out" | grep -E '^[0-9]{4}-' | grep -v '^0000-cover-letter.patch$' > "$out/series"
echo "series: $(wc -l < "$out/series") patches and a cover letter in $out"
