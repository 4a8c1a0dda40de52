# SPDX-License-Identifier: BSD-3-Clause
# pnvme top-level Makefile (non-recursive). Run ./configure first.

ifeq ($(wildcard mk/config.mk),)
$(error mk/config.mk is missing: run ./configure first)
endif
include mk/config.mk
include mk/flags.mk

BUILD := build
OBJ := $(BUILD)/obj

# Quiet by default; `make V=1` shows every command.
ifeq ($(V),1)
Q :=
ECHO := @true
else
Q := @
ECHO := @echo
endif

# Transports built (./configure --without-tcp, --without-rdma leave them out): their
# sources, and the registry's list (lib/nvme/transport.c).
CONFIG_TCP ?= y
CONFIG_RDMA ?= n
TRANSPORTS := pcie $(if $(filter y,$(CONFIG_TCP)),tcp) $(if $(filter y,$(CONFIG_RDMA)),rdma)
TRANSPORT_DEFS := -D'NVME_TRANSPORT_LIST=$(foreach t,$(TRANSPORTS),X($(t)))' \
	-DPNVME_CONFIG_TCP=$(if $(filter y,$(CONFIG_TCP)),1,0)

UTIL_SRCS := $(sort $(wildcard lib/util/*.c))
NVME_SRCS := $(filter-out $(if $(filter y,$(CONFIG_TCP)),,lib/nvme/tcp%.c) \
	$(if $(filter y,$(CONFIG_RDMA)),,lib/nvme/rdma%.c), $(sort $(wildcard lib/nvme/*.c)))
# The RDMA transport's verbs and connection manager libraries.
ifeq ($(CONFIG_RDMA),y)
SYS_LIBS += $(RDMA_LIBS)
endif
ENV_SRCS := $(sort $(wildcard lib/env_dpdk/*.c))
CORE_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(UTIL_SRCS) $(NVME_SRCS))
ENV_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(ENV_SRCS))
LIB_OBJS := $(CORE_OBJS) $(ENV_OBJS)

LIB_A := $(BUILD)/lib/libpnvme.a
LIB_SO_NAME := libpnvme.so.$(PNVME_VERSION_MAJOR)
LIB_SO := $(BUILD)/lib/libpnvme.so.$(PNVME_VERSION)
LIB_PC := $(BUILD)/lib/pkgconfig/pnvme.pc

APP_NAMES := identify hello_world perf manage
APPS := $(addprefix $(BUILD)/bin/pnvme_,$(APP_NAMES))
APP_LIBS := $(LIB_A) $(DPDK_LIBS) $(SYS_LIBS)
EXAMPLE_COMMON_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard examples/common/*.c)))

# System-test programs: built against the real library, run in the rig.
SYSTEST_BINS := $(BUILD)/test/system/pnvme_io_test $(BUILD)/test/system/pnvme_fabrics_fault_test \
	$(BUILD)/test/system/pnvme_reset_test $(BUILD)/test/system/pnvme_env_test \
	$(BUILD)/test/system/pnvme_aer_test $(BUILD)/test/system/pnvme_ns_mgmt_test \
	$(BUILD)/test/system/pnvme_hotplug_test $(BUILD)/test/system/pnvme_pi_test
# Benchmark helpers that need no device (scripts/bench.sh).
BENCH_BINS := $(BUILD)/test/bench/pnvme_pcie_path_cost

UT_COMMON_SRCS := $(filter-out $(if $(filter y,$(CONFIG_RDMA)),,test/unit/common/fake_verbs.c), \
	$(sort $(wildcard test/unit/common/*.c)))
UT_COMMON_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(UT_COMMON_SRCS))
UT_SRCS := $(filter-out $(if $(filter y,$(CONFIG_TCP)),,test/unit/tcp_ut.c) \
	$(if $(filter y,$(CONFIG_RDMA)),,test/unit/rdma%_ut.c), $(sort $(wildcard test/unit/*_ut.c)))
UT_BINS := $(patsubst test/unit/%.c,$(BUILD)/test/unit/%,$(UT_SRCS))

.SECONDARY:
.PHONY: all lib apps unittest-build systemtest-build bench-build unittest unittest-san unittest-pcie-only systemtest check run install uninstall clean distclean doc guide-check
all: lib apps unittest-build systemtest-build bench-build test-target-build

lib: $(LIB_A) $(LIB_SO) $(LIB_PC)
apps: $(APPS)
unittest-build: $(UT_BINS)

$(OBJ)/lib/env_dpdk/%.o: CFLAGS += $(DPDK_CFLAGS)
$(OBJ)/lib/nvme/transport.o $(OBJ)/test/unit/probe_ut.o: CFLAGS += $(TRANSPORT_DEFS)

$(OBJ)/examples/%.o: CFLAGS += -Iexamples/common
$(OBJ)/test/unit/%.o: CFLAGS += -Itest/unit/common
$(OBJ)/test/bench/%.o: CFLAGS += -Itest/unit/common

$(OBJ)/%.o: %.c mk/config.mk
	@mkdir -p $(dir $@)
	$(ECHO) "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(ECHO) "  AR      $@"
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS) lib/pnvme.map
	@mkdir -p $(dir $@)
	$(ECHO) "  LD      $@"
	$(Q)$(CC) -shared -Wl,-soname,$(LIB_SO_NAME) -Wl,--version-script=lib/pnvme.map \
		$(LDFLAGS) -o $@ $(LIB_OBJS) $(DPDK_LIBS) $(SYS_LIBS)
	$(Q)ln -sf $(notdir $@) $(BUILD)/lib/$(LIB_SO_NAME)
	$(Q)ln -sf $(LIB_SO_NAME) $(BUILD)/lib/libpnvme.so

$(LIB_PC): lib/pnvme.pc.in mk/config.mk
	@mkdir -p $(dir $@)
	$(Q)sed -e 's|@PREFIX@|$(CONFIG_PREFIX)|' -e 's|@VERSION@|$(PNVME_VERSION)|' \
		-e 's|@PRIVATE_LIBS@|$(DPDK_LIBS) $(SYS_LIBS)|' $< > $@

# Each examples/NAME/ folder builds $(BUILD)/bin/pnvme_NAME.
define app_rule
$(BUILD)/bin/pnvme_$(1): $(patsubst %.c,$(OBJ)/%.o,$(wildcard examples/$(1)/*.c)) $(EXAMPLE_COMMON_OBJS) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(ECHO) "  LINK    $$@"
	$$(Q)$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(APP_LIBS)
endef
$(foreach app,$(APP_NAMES),$(eval $(call app_rule,$(app))))

# Unit tests: the core's objects with the heap-backed test environment.
$(BUILD)/test/unit/%: $(OBJ)/test/unit/%.o $(UT_COMMON_OBJS) $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(ECHO) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(SYS_LIBS) $(CUNIT_LIBS)

systemtest-build: $(SYSTEST_BINS)
bench-build: $(BENCH_BINS)

$(BUILD)/test/bench/pnvme_pcie_path_cost: $(OBJ)/test/bench/pcie_path_cost.o $(UT_COMMON_OBJS) $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(ECHO) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(SYS_LIBS) $(CUNIT_LIBS)

$(OBJ)/test/system/%.o: CFLAGS += -Iexamples/common

$(BUILD)/test/system/pnvme_%_test: $(OBJ)/test/system/%_test.o $(EXAMPLE_COMMON_OBJS) $(LIB_A)
	@mkdir -p $(dir $@)
	$(ECHO) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(APP_LIBS)

unittest: $(UT_BINS)
	test/unit/run.sh $(UT_BINS)

# The library and unit tests built with PCIe only: no fabrics transport
# is needed by anything outside its own files.
unittest-pcie-only:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/pcie-only CONFIG_TCP=n CONFIG_RDMA=n lib unittest

# The unit tests again under AddressSanitizer and UBSan, in their own tree.
unittest-san:
	$(Q)$(MAKE) --no-print-directory BUILD=$(BUILD)/san CONFIG_ASAN=y CONFIG_UBSAN=y unittest

systemtest: lib apps systemtest-build
	test/system/run.sh

# API reference: doxygen over include/pnvme into build/doc/html (docs/Doxyfile).
# Every public symbol must be documented: any warning fails the target.
doc:
	@mkdir -p build/doc
	$(ECHO) "  DOXYGEN build/doc/html"
	$(Q)doxygen docs/Doxyfile

# The programmer's guide's C blocks, compiled against the public headers.
guide-check:
	$(ECHO) "  CHECK   docs/guide.md"
	$(Q)scripts/check_guide.sh $(CC) $(CFLAGS)

check: all doc guide-check fio-engine
	test/unit/run.sh $(UT_BINS)
	$(MAKE) unittest-san
	$(MAKE) unittest-pcie-only
	$(MAKE) fuzz-check
	test/system/run.sh

run: lib apps
	scripts/run.sh $(ARGS)

install: lib apps
	install -d $(DESTDIR)$(CONFIG_PREFIX)/include/pnvme $(DESTDIR)$(CONFIG_PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(CONFIG_PREFIX)/bin
	install -m 644 include/pnvme/*.h $(DESTDIR)$(CONFIG_PREFIX)/include/pnvme/
	install -m 644 $(LIB_A) $(DESTDIR)$(CONFIG_PREFIX)/lib/
	install -m 755 $(LIB_SO) $(DESTDIR)$(CONFIG_PREFIX)/lib/
	ln -sf $(notdir $(LIB_SO)) $(DESTDIR)$(CONFIG_PREFIX)/lib/$(LIB_SO_NAME)
	ln -sf $(LIB_SO_NAME) $(DESTDIR)$(CONFIG_PREFIX)/lib/libpnvme.so
	install -m 644 $(LIB_PC) $(DESTDIR)$(CONFIG_PREFIX)/lib/pkgconfig/
	install -m 755 $(APPS) $(DESTDIR)$(CONFIG_PREFIX)/bin/
	install -m 755 scripts/latency_plot.sh $(DESTDIR)$(CONFIG_PREFIX)/bin/pnvme_latency_plot

uninstall:
	rm -rf $(DESTDIR)$(CONFIG_PREFIX)/include/pnvme
	rm -f $(DESTDIR)$(CONFIG_PREFIX)/lib/libpnvme.* $(DESTDIR)$(CONFIG_PREFIX)/lib/pkgconfig/pnvme.pc
	rm -f $(addprefix $(DESTDIR)$(CONFIG_PREFIX)/bin/,$(notdir $(APPS)) pnvme_latency_plot)

clean:
	rm -rf $(BUILD)

distclean: clean
	rm -f mk/config.mk

# Fuzz harnesses and the fused-capable test target keep their rules apart.
-include mk/fuzz.mk
-include mk/test_target.mk
-include mk/fio.mk

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
