#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Wrap raw 32-bit code in a minimal bzImage for pvx-hv's tests.

The setup part is only a boot protocol 2.15 header (no real-mode code);
the code runs at the 32-bit entry point, 1 MiB, in flat protected mode.
The image ends with the CRC-32 arch/x86/boot/tools/build.c appends.
Usage: mkbzimage.py CODE.bin OUT.bzImage
"""
import struct
import sys
import zlib

SETUP_SECTS = 4
code = open(sys.argv[1], 'rb').read()
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
put(0x206, 'H', 0x020f)                 # boot protocol 2.15
put(0x211, 'B', 0x01)                   # loadflags: LOADED_HIGH
put(0x214, 'I', 0x100000)               # code32_start
put(0x22c, 'I', 0x7fffffff)             # initrd_addr_max
put(0x230, 'I', 0x200000)               # kernel_alignment
put(0x238, 'I', 2047)                   # cmdline_size
put(0x258, 'Q', 0x100000)               # pref_address
put(0x260, 'I', 0x100000)               # init_size

image = bytes(setup) + bytes(payload)
crc = zlib.crc32(image) ^ 0xffffffff     # build.c: no final inversion
open(sys.argv[2], 'wb').write(image + struct.pack('<I', crc))
