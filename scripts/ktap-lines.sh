#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The KTAP lines of a kernel log (stdin to stdout), for kunit.py parse:
# a kernel message printed between two of them (a device probe, the TSC's
# refined calibration) throws the parser.
exec grep -aE '^\[ *[0-9.]+\] +(KTAP version|TAP version|[0-9]+\.\.[0-9]+$|ok |not ok |# )'
