#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Wrap raw 32-bit code in a minimal bzImage for pvx-hv's tests.

The setup part is only a boot protocol 2.15 header (no real-mode code);
the code runs at the 32-bit entry point, 1 MiB, in flat protected mode.
The image ends with the CRC-32 arch/x86/boot/tools/build.c appends.
Usage: mkbzimage.py [--FIELD VALUE...] CODE.bin OUT.bzImage
  --version, --initrd-max, --pref-address, --init-size: that header field
  (e.g. --version 0x209 --init-size 0xfffff000: a 2.09 header with bytes
  where 2.10's init_size would be)
"""
import argparse
import struct
import zlib

ap = argparse.ArgumentParser()
ap.add_argument('code')
ap.add_argument('out')
for f, default in (('version', 0x020f), ('initrd-max', 0x7fffffff),
                   ('pref-address', 0x100000), ('init-size', 0x100000)):
    ap.add_argument('--' + f, type=lambda v: int(v, 0), default=default)
args = ap.parse_args()

SETUP_SECTS = 4
code = open(args.code, 'rb').read()
setup = bytearray(512 * (SETUP_SECTS + 1))
payload = bytearray(code)
payload += bytes(-(len(payload) + 4) % 16)      # syssize counts 16-byte units
syssize = (len(payload) + 4) // 16

def put(off, fmt, val):
    struct.pack_into('<' + fmt, setup, off, val)

put(0x1f1, 'B', SETUP_SECTS)
put(0x1f4, 'I', syssize)
put(0x1fe, 'H', 0xaa55)                 # boot_flag
put(0x200, 'B', 0xeb)                   # jump over the header ...
put(0x201, 'B', 0x6a)                   # ... to 0x26c: the header's length
setup[0x202:0x206] = b'HdrS'
put(0x206, 'H', args.version)           # boot protocol, 2.15 by default
put(0x211, 'B', 0x01)                   # loadflags: LOADED_HIGH
put(0x214, 'I', 0x100000)               # code32_start
put(0x22c, 'I', args.initrd_max)        # initrd_addr_max
put(0x230, 'I', 0x200000)               # kernel_alignment
put(0x238, 'I', 2047)                   # cmdline_size
put(0x258, 'Q', args.pref_address)      # pref_address (2.10)
put(0x260, 'I', args.init_size)         # init_size (2.10)

image = bytes(setup) + bytes(payload)
crc = zlib.crc32(image) ^ 0xffffffff     # build.c: no final inversion
open(args.out, 'wb').write(image + struct.pack('<I', crc))
