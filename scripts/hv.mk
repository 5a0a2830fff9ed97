# SPDX-License-Identifier: GPL-2.0
#
# pvx-hv, the reference hypervisor (hypervisor-stub/pvx-hv), and the
# harness that runs it: inside an L1 VM (scripts/l1) on machines without
# real VT-x/AMD-V, directly on /dev/kvm where there is.
#
#   make pvx-hv                       build build/hv/pvx-hv (static)
#   make boot-hv PERSONALITY=none|pvx|kvm|both CPUS=N [TRACE=1]
#                                     boot the guest under pvx-hv
#   make bench-hv [CONSOLE_KB=N] [ROUNDS=N]
#                                     the guest under pvx-hv (none, pvx, kvm)
#                                     and QEMU: a table of figures
#   make soak [N=100]                 N boots under pvx-hv refhv, 2 vCPUs
#   make check-hv                     the pvx-hv tests (part of make check);
#                                     HV_KERNEL=debian: without the pvx guest

HV_DIR		:= $(TOP)/hypervisor-stub/pvx-hv
HV_BIN		:= $(BUILD)/hv/pvx-hv
HV_SRCS		:= $(wildcard $(HV_DIR)/*.c)
HV_HDRS		:= $(wildcard $(HV_DIR)/*.h)
HV_CFLAGS	:= -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror \
		   -DPVX_HV_VERSION=\"$(PVXHV_VERSION)\"
HV_LDFLAGS	:= -static -pthread

PERSONALITY	?= pvx
CPUS		?= 1
HV_MEM		?= 512M

# The guest: scripts/guest.mk's kernel and initrd; without them (or with
# HV_KERNEL=debian) Debian's own L1 kernel and a busybox initrd stand in.
# check-hv always boots Debian's kernel too (a guest nobody here wrote).
HV_KERNEL	?= $(if $(GUEST_BZIMAGE),$(GUEST_BZIMAGE),debian)
DEB_KERNEL	:= $(BUILD)/l1/vmlinuz
DEB_INITRD	:= $(BUILD)/l1/l2-initrd.cpio
ifeq ($(HV_KERNEL),debian)
hv_kernel	:= $(DEB_KERNEL)
hv_initrd	:= $(DEB_INITRD)
hv_deps		:= $(hv_kernel) $(hv_initrd)
check_guest	:= - -
else
hv_kernel	:= $(HV_KERNEL)
hv_initrd	:= $(or $(HV_INITRD),$(GUEST_INITRD),-)
hv_deps		:= $(if $(GUEST_BZIMAGE),guest)
check_guest	:= $(hv_kernel) $(hv_initrd)
endif

.PHONY: pvx-hv boot-hv check-hv bench-hv soak
CHECK_SUITES	+= check-hv

pvx-hv: $(HV_BIN)

# libpvxhv (hypervisor-stub/host.mk) is linked in statically.
$(HV_BIN): $(HV_SRCS) $(HV_HDRS) $(PVXHV_STATIC) $(TOP)/scripts/hv.mk
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) $(PVXHV_CFLAGS) -o $@ $(HV_SRCS) $(PVXHV_STATIC) $(HV_LDFLAGS)

# libFuzzer over the exit handling and devices (tests/hv/fuzz-exits.c):
# everything a guest drives, without KVM; run by check-host and make fuzz.
# (clang names the kvm_msrs-header-plus-entries idiom, as kvmtool uses it.)
HV_FUZZ_SRCS	:= $(filter-out $(HV_DIR)/main.c $(HV_DIR)/options.c $(HV_DIR)/stats.c \
			$(HV_DIR)/boot.c $(HV_DIR)/acpi.c \
			$(HV_DIR)/kvmstats.c,$(HV_SRCS))
$(BUILD)/host/fuzz-exits: $(TOP)/tests/hv/fuzz-exits.c $(HV_FUZZ_SRCS) $(HV_HDRS) \
		$(HOST_LIB_SRCS) $(HOST_LIB_HDRS)
	@mkdir -p $(@D)
	$(HOST_CLANG) -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror \
		-Wno-gnu-variable-sized-type-not-at-end \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(PVXHV_CFLAGS) -I$(HV_DIR) -pthread -o $@ $< $(HV_FUZZ_SRCS) $(HOST_LIB_SRCS)

# The same under ASan+UBSan, for the hostile guest (dynamic: ASan needs it).
$(HV_BIN)-san: $(HV_SRCS) $(HV_HDRS) $(HOST_LIB_SRCS) $(HOST_LIB_HDRS) $(TOP)/scripts/hv.mk
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer $(PVXHV_CFLAGS) -o $@ $(HV_SRCS) $(HOST_LIB_SRCS) -pthread

$(DEB_KERNEL):
	$(TOP)/scripts/l1/fetch.sh $(BUILD)/l1

$(DEB_INITRD): $(TOP)/scripts/l1/l2-initrd.sh
	@mkdir -p $(@D)
	$(TOP)/scripts/l1/l2-initrd.sh $@

boot-hv: $(HV_BIN) $(hv_deps)
	@$(TOP)/scripts/deps.sh hv
	@TRACE="$(TRACE)" $(TOP)/scripts/l1/boot-hv.sh $(HV_BIN) $(hv_kernel) $(hv_initrd) \
		$(PERSONALITY) $(CPUS) $(HV_MEM)

# A benchmark: prints figures, asserts nothing.
bench-hv:
	@CONSOLE_KB="$(CONSOLE_KB)" ROUNDS="$(ROUNDS)" $(TOP)/scripts/bench-hv.sh

N		?= 100
soak:
	@$(TOP)/scripts/soak.sh $(N)

check-hv-body: $(HV_BIN) $(HV_BIN)-san $(hv_deps) $(DEB_KERNEL) $(DEB_INITRD)
	@$(TOP)/scripts/deps.sh hv
	@GUEST_KSRC="$(GUEST_KSRC)" $(TOP)/tests/hv/check-hv.sh $(HV_BIN) $(check_guest) \
		$(DEB_KERNEL) $(DEB_INITRD)
