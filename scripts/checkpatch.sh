#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# checkpatch --strict over each patch of the series, with no type ignored:
# every finding must match a line-level exception of
# scripts/checkpatch-exceptions.txt, and every exception must still match
# a finding.  Prints one "<patch> <findings left>" line per patch, the
# findings left, and the stale exceptions; exits non-zero if any.
# Usage: scripts/checkpatch.sh KSRC PATCH...
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ksrc=${1:?usage: $0 KSRC PATCH...}
shift
python3 - "$ksrc" "$top/scripts/checkpatch-exceptions.txt" "$@" <<'PY'
import re, subprocess, sys
ksrc, exc_file, patches = sys.argv[1], sys.argv[2], sys.argv[3:]
exc = []
for line in open(exc_file):
    if line.startswith('#') or not line.strip():
        continue
    typ, path, rx = line.rstrip('\n').split('\t')[:3]
    exc.append([typ, path, re.compile(rx), 0, line.strip()])
bad = 0
for p in patches:
    out = subprocess.run(['perl', ksrc + '/scripts/checkpatch.pl', '--strict', '--no-tree',
                          '--show-types', '-q', p], capture_output=True, text=True).stdout
    left = []
    for block in out.split('\n\n'):
        m = re.match(r'(ERROR|WARNING|CHECK):(\w+):', block)
        if not m:
            continue
        lines = block.split('\n')
        f = re.search(r'FILE: ([^:]+):', block)
        path = f.group(1) if f else '*'
        code = next((l for l in lines[1:] if not l.startswith('#')), '')
        for e in exc:
            if e[0] == m.group(2) and e[1] in ('*', path) and e[2].search(code):
                e[3] += 1
                break
        else:
            left.append(block)
    print('%s %d' % (p.rsplit('/', 1)[-1], len(left)))
    for b in left:
        print('  ' + b.replace('\n', '\n  '))
    bad += len(left)
for e in exc:
    if not e[3]:
        print('stale exception: ' + e[4])
        bad += 1
sys.exit(1 if bad else 0)
PY
