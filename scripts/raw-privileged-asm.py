#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""List privileged instructions written as raw inline asm in arch/x86 C code.

Coccinelle does not look inside asm() strings, so this is the companion of
pvx-convert.cocci's report mode: it prints "<file> <instruction>" once per
file and instruction found in an asm string of a .c or .h file under
arch/x86 (the decompressor, real-mode code and tools excluded: they run
outside the kernel pvx patches).

Usage: raw-privileged-asm.py KSRC
"""
import os
import re
import sys

INSNS = ('cli', 'sti', 'hlt', 'wbinvd', 'invd', 'rdmsr', 'wrmsr', 'cpuid',
         'pushf', 'popf', 'lgdt', 'lidt', 'invlpg')
SKIP = ('arch/x86/boot/', 'arch/x86/realmode/', 'arch/x86/tools/')
ASM = re.compile(r'\basm(?:\s+|_)?(?:volatile|goto|__volatile__|inline|\s)*\(', re.S)
STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
INSN = re.compile(r'(?<![\w%.])(' + '|'.join(INSNS) + r')[lqw]?\b|mov[lq]?\s+%%?cr\d|%%?cr\d\b')


def asm_strings(text):
    """The string literals of every asm(...) statement, up to its ':'."""
    for m in ASM.finditer(text):
        depth, i = 1, m.end()
        out = []
        while i < len(text) and depth:
            c = text[i]
            if c == '"':
                s = STRING.match(text, i)
                if not s:
                    break
                out.append(s.group(1))
                i = s.end()
                continue
            if c == '(':
                depth += 1
            elif c == ')':
                depth -= 1
            elif c == ':' and depth == 1:
                break
            i += 1
        yield ' '.join(out)


def main():
    ksrc = sys.argv[1]
    found = set()
    root = os.path.join(ksrc, 'arch/x86')
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.endswith(('.c', '.h')):
                continue
            path = os.path.join(dirpath, f)
            rel = os.path.relpath(path, ksrc)
            if rel.startswith(SKIP):
                continue
            text = open(path, errors='replace').read()
            for s in asm_strings(text):
                for m in INSN.finditer(s):
                    insn = m.group(1) or 'crN'
                    found.add((rel, insn))
    for rel, insn in sorted(found):
        print(rel, insn)


if __name__ == '__main__':
    main()
