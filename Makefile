# SPDX-License-Identifier: GPL-2.0
#
# pvx top-level Makefile. Each part of the project contributes its own
# fragment; `make check` runs every suite they register in CHECK_SUITES
# and ends with "N passed, N failed".  A fragment registers a suite NAME
# by adding it to CHECK_SUITES and writing its body as the target
# NAME-body; `make NAME` (below) runs that body through scripts/check.sh,
# so a suite run on its own ends with the same summary line.

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

.PHONY: $(CHECK_SUITES) $(CHECK_SUITES:%=%-body)
$(CHECK_SUITES):
	@scripts/check.sh --suite $@

help:
	@echo "pvx: make run | make check"
	@echo "  host:  check-host fuzz bench-host install"
	@echo "  guest: guest kernel series boot KDIR=..."
	@echo "  hv:    pvx-hv boot-hv PERSONALITY=none|pvx|kvm|both CPUS=N bench-hv"
