# SPDX-License-Identifier: GPL-2.0
#
# pvx-hv, the reference hypervisor (hypervisor-stub/pvx-hv), and the
# harness that runs it: inside an L1 VM (scripts/l1) on machines without
# real VT-x/AMD-V, directly on /dev/kvm where there is.
#
#   make pvx-hv                       build build/hv/pvx-hv (static)
#   make boot-hv PERSONALITY=none|pvx|kvm|both CPUS=N
#                                     boot the guest under pvx-hv
#   make check-hv                     the pvx-hv tests (part of make check);
#                                     HV_KERNEL=debian: without the pvx guest

HV_DIR		:= $(TOP)/hypervisor-stub/pvx-hv
HV_BIN		:= $(BUILD)/hv/pvx-hv
HV_SRCS		:= $(wildcard $(HV_DIR)/*.c)
HV_HDRS		:= $(wildcard $(HV_DIR)/*.h)
HV_CFLAGS	:= -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror
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

.PHONY: pvx-hv boot-hv check-hv
CHECK_SUITES	+= check-hv

pvx-hv: $(HV_BIN)

# libpvxhv (hypervisor-stub/host.mk) is linked in statically.
$(HV_BIN): $(HV_SRCS) $(HV_HDRS) $(PVXHV_STATIC) $(TOP)/scripts/hv.mk
	@mkdir -p $(@D)
	$(CC) $(HV_CFLAGS) $(PVXHV_CFLAGS) -o $@ $(HV_SRCS) $(PVXHV_STATIC) $(HV_LDFLAGS)

$(DEB_KERNEL):
	$(TOP)/scripts/l1/fetch.sh $(BUILD)/l1

$(DEB_INITRD): $(TOP)/scripts/l1/l2-initrd.sh
	@mkdir -p $(@D)
	$(TOP)/scripts/l1/l2-initrd.sh $@

boot-hv: $(HV_BIN) $(hv_deps)
	@$(TOP)/scripts/deps.sh hv
	@$(TOP)/scripts/l1/boot-hv.sh $(HV_BIN) $(hv_kernel) $(hv_initrd) \
		$(PERSONALITY) $(CPUS) $(HV_MEM)

check-hv-body: $(HV_BIN) $(hv_deps) $(DEB_KERNEL) $(DEB_INITRD)
	@$(TOP)/scripts/deps.sh hv
	@GUEST_KSRC="$(GUEST_KSRC)" $(TOP)/tests/hv/check-hv.sh $(HV_BIN) $(check_guest) \
		$(DEB_KERNEL) $(DEB_INITRD)
