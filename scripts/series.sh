#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Write the pvx patch series for the pristine tree to OUT (git format-patch,
# cover letter first, and OUT/series listing the patches in order).  Each patch is made in a clone of the pristine tree:
# the project files scripts/kernel-files.map assigns to it, the changes to
# existing kernel files in scripts/series/NN-*.diff, and for the conversion
# patch the Coccinelle rule run over the files in NN-*.files.
#
# Usage: scripts/series.sh OUT
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:?usage: $0 OUT}")
pristine=$("$top/scripts/ksrc.sh")
work=$top/build/series-work
series=$top/scripts/series
signoff="pvx developers <pvx-devel@lists.example.org>"

export GIT_AUTHOR_NAME="pvx developers" GIT_AUTHOR_EMAIL="pvx-devel@lists.example.org"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
export GIT_AUTHOR_DATE="2026-11-21T00:00:00Z" GIT_COMMITTER_DATE="2026-11-21T00:00:00Z"

rm -rf "$work"
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
		git -C "$work" apply --whitespace=error-all "$series/$id.diff"
	fi
	if [ -f "$series/$id.files" ]; then
		# shellcheck disable=SC2046
		(cd "$work" && spatch --sp-file "$top/scripts/cocci/pvx-convert.cocci" \
			-D patch --include-headers --very-quiet --in-place \
			$(cat "$series/$id.files") >/dev/null)
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
git -C "$work" format-patch -q --cover-letter -o "$out" "$base"
python3 - "$out"/0000-cover-letter.patch "$series/00-cover.msg" <<'PY'
import sys
path, msg = sys.argv[1], open(sys.argv[2]).read().split('\n', 1)
s = open(path).read()
s = s.replace('*** SUBJECT HERE ***', msg[0].strip())
s = s.replace('*** BLURB HERE ***', msg[1].strip() + '\n\nSigned-off-by: pvx developers <pvx-devel@lists.example.org>')
open(path, 'w').write(s)
PY
# The patches in order, cover letter excluded (quilt's series file).
ls "$out" | grep -E '^[0-9]{4}-' | grep -v '^0000-cover-letter.patch$' > "$out/series"
echo "series: $(wc -l < "$out/series") patches and a cover letter in $out"
