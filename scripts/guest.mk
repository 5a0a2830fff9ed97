# SPDX-License-Identifier: GPL-2.0
#
# The guest kernel: series, build, boot, checks.  KDIR=<tree> builds from
# an existing tree instead of series + pristine linux-source-6.12.

GUEST_BZIMAGE	:= $(BUILD)/guest/bzImage
GUEST_INITRD	:= $(BUILD)/guest/initrd.cpio
GUEST_KSRC	:= $(BUILD)/guest/ksrc
export KDIR

.PHONY: guest kernel series boot run check-guest jury-rig

CHECK_SUITES += check-guest

guest kernel:
	@scripts/guest-build.sh

series:
	@scripts/deps.sh guest
	@scripts/series.sh $(BUILD)/series

jury-rig:
	@test -n "$(KDIR)" || { echo "jury-rig: KDIR=<kernel tree> required" >&2; exit 2; }
	@scripts/jury-rig.sh $(KDIR)

$(GUEST_BZIMAGE):
	@scripts/guest-build.sh

boot: $(GUEST_BZIMAGE)
	@scripts/qemu-boot.sh pvx_expect=native $(CMDLINE)

run:
	@scripts/run.sh

check-guest-body:
	@scripts/guest-check.sh

# What pvx costs natively, in instructions (a benchmark: prints, asserts nothing).
.PHONY: bench-guest
bench-guest:
	@scripts/bench-guest.sh

# The guest with KASAN, UBSAN, KFENCE, lockdep and friends (not in make check).
.PHONY: check-sanitize
check-sanitize:
	@scripts/check-sanitize.sh

# Every patch of the series builds on its own (one kernel build per patch).
.PHONY: series-check
series-check: series
	@scripts/series-build-each.sh
