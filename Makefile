# SPDX-License-Identifier: GPL-2.0
#
# pvx top-level Makefile. Each part of the project contributes its own
# fragment; `make check` runs every suite they register in CHECK_SUITES
# and ends with "N passed, N failed".

TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
CHECK_SUITES :=

.PHONY: all help check run deps
all: help

# Order matters only for `make check`: host first (fast), then the guest
# (one kernel build), then everything that boots that one kernel.
include hypervisor-stub/host.mk
include scripts/guest.mk
include scripts/hv.mk

deps:
	@scripts/deps.sh

check:
	@scripts/check.sh $(CHECK_SUITES)

help:
	@echo "pvx: make run | make check"
	@echo "  host:  check-host fuzz bench-host install"
	@echo "  guest: guest kernel series boot KDIR=..."
	@echo "  hv:    pvx-hv boot-hv PERSONALITY=none|pvx|kvm|both CPUS=N"
