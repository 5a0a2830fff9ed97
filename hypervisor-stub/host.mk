# SPDX-License-Identifier: GPL-2.0
#
# Host side: the PVX ABI headers (abi/) and libpvxhv (hypervisor-stub/lib).
#
#   make libpvxhv                 static + shared library under build/host/
#   make check-host               every host-side test (results: build/results/check-host.txt),
#                                 the threaded ones under ASan+UBSan and under TSan (clang)
#   make fuzz FUZZ_SECONDS=N      longer libFuzzer campaign (plain + racing + state)
#   make bench-host               instructions per hypercall (callgrind)
#   make install PREFIX=/usr/local [DESTDIR=]
#   make abi-gen                  regenerate Documentation/abi/generated/ and new layout files
#
# Other fragments (pvx-hv) link the library with:
#   $(PVXHV_CFLAGS) ... $(PVXHV_STATIC) -pthread     after depending on `libpvxhv`

HOST_OUT	:= $(BUILD)/host
HOST_SRC	:= $(TOP)/hypervisor-stub
HOST_TESTS	:= $(TOP)/tests/host
HOST_CC		?= gcc
HOST_CLANG	?= clang-14
HOST_CSTD	:= -std=c11 -Wall -Wextra -Werror
HOST_INC	:= -I$(TOP)/abi -I$(HOST_SRC)/include
HOST_LIB_SRCS	:= $(wildcard $(HOST_SRC)/lib/*.c)
HOST_LIB_HDRS	:= $(wildcard $(HOST_SRC)/lib/*.h $(HOST_SRC)/include/*.h $(TOP)/abi/pvx/*.h)
HOST_LIB_OBJS	:= $(patsubst $(HOST_SRC)/lib/%.c,$(HOST_OUT)/lib/%.o,$(HOST_LIB_SRCS))
PVXHV_SOVER	:= 4
# The package version follows the ABI it serves (read from the header, not repeated).
PVXHV_VERSION	:= $(shell sed -n 's/^\#define PVX_ABI_VERSION_MAJOR[[:space:]]*//p' $(TOP)/abi/pvx/version.h).$(shell \
			sed -n 's/^\#define PVX_ABI_VERSION_MINOR[[:space:]]*//p' $(TOP)/abi/pvx/version.h).0

PVXHV_CFLAGS	:= $(HOST_INC)
PVXHV_STATIC	:= $(HOST_OUT)/lib/libpvxhv.a
PVXHV_SHARED	:= $(HOST_OUT)/lib/libpvxhv.so.$(PVXHV_SOVER)

PREFIX		?= /usr/local
FUZZ_SECONDS	?= 300
FUZZ_JOBS	?= 1

CHECK_SUITES	+= check-host

.PHONY: libpvxhv check-host fuzz bench-host install abi-gen host-clean

libpvxhv: $(PVXHV_STATIC) $(PVXHV_SHARED)

$(HOST_OUT)/lib/%.o: $(HOST_SRC)/lib/%.c $(HOST_LIB_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CSTD) -O2 -g -fPIC -fvisibility=hidden -pthread $(HOST_INC) -c $< -o $@

# One relocatable object with only the API global: internal names cannot
# clash with the VMM's when it links the static library.
$(PVXHV_STATIC): $(HOST_LIB_OBJS)
	@rm -f $@
	ld -r -o $(HOST_OUT)/lib/pvxhv-all.o $^
	objcopy --localize-hidden $(HOST_OUT)/lib/pvxhv-all.o
	ar rcs $@ $(HOST_OUT)/lib/pvxhv-all.o

$(PVXHV_SHARED): $(HOST_LIB_OBJS) $(HOST_SRC)/lib/libpvxhv.map
	$(HOST_CC) -shared -pthread -Wl,-soname,libpvxhv.so.$(PVXHV_SOVER) \
		-Wl,--version-script=$(HOST_SRC)/lib/libpvxhv.map -o $@ $(HOST_LIB_OBJS)
	ln -sf libpvxhv.so.$(PVXHV_SOVER) $(HOST_OUT)/lib/libpvxhv.so

install: libpvxhv
	install -d $(DESTDIR)$(PREFIX)/include/pvx $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(TOP)/abi/pvx/*.h $(DESTDIR)$(PREFIX)/include/pvx/
	install -m 644 $(HOST_SRC)/include/pvxhv.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(PVXHV_STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(PVXHV_SHARED) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libpvxhv.so.$(PVXHV_SOVER) $(DESTDIR)$(PREFIX)/lib/libpvxhv.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(PVXHV_VERSION)|' \
		$(HOST_SRC)/lib/pvxhv.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/pvxhv.pc

# Test, fuzz and bench programs.  Sanitized builds compile the library
# sources in, so every guest-reachable line runs under ASan and UBSan.
HOST_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_TEST_HDRS	:= $(HOST_LIB_HDRS) $(wildcard $(HOST_TESTS)/*.h)

# The unit and thread tests see the library's test hooks (PVXHV_TEST_HOOKS).
# The thread tests run twice: under ASan + UBSan, and under TSan (clang).
HOST_TSAN	:= -fsanitize=thread -fno-omit-frame-pointer

$(HOST_OUT)/test-%: $(HOST_TESTS)/test-%.c $(HOST_LIB_SRCS) $(HOST_TEST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CSTD) -O1 -g $(HOST_SAN) -DPVXHV_TEST_HOOKS -pthread $(HOST_INC) \
		-I$(HOST_SRC)/lib -o $@ $< $(HOST_LIB_SRCS)

$(HOST_OUT)/tsan-%: $(HOST_TESTS)/test-%.c $(HOST_LIB_SRCS) $(HOST_TEST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CLANG) $(HOST_CSTD) -O1 -g $(HOST_TSAN) -DPVXHV_TEST_HOOKS -pthread $(HOST_INC) \
		-I$(HOST_SRC)/lib -o $@ $< $(HOST_LIB_SRCS)

# pvx-hv's --hostile modes without KVM (tests/host/test-hostile.c): its
# run-time sources and the library, with ioctl() wrapped (a fake TSC).
HOSTILE_HV_SRCS	:= $(filter-out %/main.c %/options.c %/stats.c %/boot.c %/acpi.c %/kvmstats.c, \
			$(wildcard $(HOST_SRC)/pvx-hv/*.c))
$(HOST_OUT)/test-hostile: $(HOST_TESTS)/test-hostile.c $(HOSTILE_HV_SRCS) $(wildcard $(HOST_SRC)/pvx-hv/*.h) \
		$(HOST_LIB_SRCS) $(HOST_TEST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CSTD) -D_GNU_SOURCE -O1 -g $(HOST_SAN) -DPVXHV_TEST_HOOKS -pthread $(HOST_INC) \
		-I$(HOST_SRC)/lib -I$(HOST_SRC)/pvx-hv -Wl,--wrap=ioctl -o $@ $< $(HOSTILE_HV_SRCS) $(HOST_LIB_SRCS)

$(HOST_OUT)/abi-gen: $(HOST_TESTS)/abi-gen.c $(HOST_TEST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CSTD) -O1 $(HOST_INC) -o $@ $<

# fuzz-hv: hypercalls; fuzz-state: pvxhv_restore().
$(HOST_OUT)/fuzz-hv $(HOST_OUT)/fuzz-state: $(HOST_OUT)/fuzz-%: $(HOST_TESTS)/fuzz-%.c $(HOST_LIB_SRCS) $(HOST_TEST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CLANG) $(HOST_CSTD) -O1 -g -DPVXHV_TEST_HOOKS -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -pthread $(HOST_INC) -I$(HOST_SRC)/lib \
		-o $@ $< $(HOST_LIB_SRCS)

$(HOST_OUT)/fuzz-seeds: $(HOST_TESTS)/fuzz-seeds.c $(HOST_TEST_HDRS)
	@mkdir -p $(@D)
	$(HOST_CC) $(HOST_CSTD) -O1 $(HOST_INC) -o $@ $<

$(HOST_OUT)/bench-hv: $(HOST_TESTS)/bench-hv.c $(PVXHV_STATIC) $(HOST_TEST_HDRS)
	$(HOST_CC) $(HOST_CSTD) -O2 -g -pthread $(HOST_INC) -o $@ $< $(PVXHV_STATIC)

check-host-body:
	@$(TOP)/scripts/deps.sh host
	@PVXHV_SOVER=$(PVXHV_SOVER) $(HOST_TESTS)/check.sh

fuzz: $(HOST_OUT)/fuzz-hv $(HOST_OUT)/fuzz-state $(HOST_OUT)/fuzz-exits
	@$(HOST_TESTS)/fuzz.sh $(FUZZ_SECONDS)

bench-host: $(HOST_OUT)/bench-hv
	@$(HOST_TESTS)/bench.sh

abi-gen: $(HOST_OUT)/abi-gen
	@$(HOST_TESTS)/abi-gen.sh update

host-clean:
	rm -rf $(HOST_OUT)
