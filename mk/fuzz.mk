# Fuzz harnesses (libFuzzer, clang): test/fuzz/fuzz_NAME.c builds
# $(BUILD)/fuzz/fuzz_NAME against the core objects recompiled with coverage
# instrumentation and sanitizers in their own tree, plus the heap-backed
# test environment. Included by the top-level Makefile.
#
#   make fuzz-build                      build every harness
#   make fuzz [FUZZ_SECONDS=60]          run each one, seed corpus copied to a scratch dir
#   make fuzz-check [FUZZ_CHECK_SECONDS=10]   short run of each (part of `make check`)
#   make fuzz FUZZ_ONLY="tcp_qpair"      only the named harnesses

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CHECK_SECONDS ?= 10
FUZZ_ONLY ?=

FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_OBJ := $(FUZZ_BUILD)/obj

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# The project's warning set, with optimisation suited to fuzzing and asserts
# kept. clang's -Wformat=2 also flags vsnprintf() with a va_list format in
# the logger, which gcc (the project's compiler) accepts: that one is off.
FUZZ_CFLAGS := $(filter-out -O0 -O2 -g3 -DNDEBUG,$(COMMON_CFLAGS)) -Wno-format-nonliteral \
	-O1 -g $(FUZZ_SAN) -Itest/unit/common -Itest/fuzz/common
# Coverage instrumentation (what guides the fuzzer): everything but the
# test environment, whose linear allocation-table scans (translation of
# every buffer) cost more than the code under test, and the input reader;
# both only add noise. The invariant checks opt out per function
# (FUZZ_NO_COVERAGE in fuzz_check.h).
FUZZ_COV := -fsanitize=fuzzer-no-link
FUZZ_LDFLAGS := $(FUZZ_SAN) -fsanitize=fuzzer
# Per harness: ctrlr_init fails calloc() above 1 MiB (see __wrap_calloc there).
FUZZ_LDFLAGS_ctrlr_init := -Wl,--wrap=calloc

FUZZ_SRCS := $(filter-out $(if $(filter y,$(CONFIG_RDMA)),,test/fuzz/fuzz_rdma%.c), \
	$(sort $(wildcard test/fuzz/fuzz_*.c)))
FUZZ_NAMES := $(patsubst test/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
FUZZ_BINS := $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_NAMES))
# The unit-test environment without the CUnit driver.
FUZZ_ENV_SRCS := test/unit/common/test_env.c test/unit/common/fake_ctrlr.c \
	test/unit/common/pcie_fixture.c $(if $(filter y,$(CONFIG_RDMA)),test/unit/common/fake_verbs.c)
FUZZ_SUPPORT_OBJS := $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(sort $(wildcard test/fuzz/common/*.c)) \
	$(FUZZ_ENV_SRCS))
FUZZ_CORE_OBJS := $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(UTIL_SRCS) $(NVME_SRCS))

.PHONY: fuzz-build fuzz fuzz-check

fuzz-build: $(FUZZ_BINS)

$(FUZZ_OBJ)/%.o: %.c mk/config.mk mk/fuzz.mk
	@mkdir -p $(dir $@)
	$(ECHO) "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_COV) -MMD -MP -c $< -o $@

$(FUZZ_OBJ)/test/unit/common/test_env.o $(FUZZ_OBJ)/test/fuzz/common/fuzz_input.o: FUZZ_COV :=
$(FUZZ_OBJ)/lib/nvme/transport.o: FUZZ_CFLAGS += $(TRANSPORT_DEFS)

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_OBJ)/test/fuzz/fuzz_%.o $(FUZZ_SUPPORT_OBJS) $(FUZZ_CORE_OBJS)
	@mkdir -p $(dir $@)
	$(ECHO) "  LINK    $@"
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) $(FUZZ_LDFLAGS_$*) -o $@ $^ $(SYS_LIBS)

# Only the harnesses asked for (all by default).
FUZZ_RUN_BINS := $(if $(FUZZ_ONLY),$(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_ONLY)),$(FUZZ_BINS))

fuzz: fuzz-build
	test/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_RUN_BINS)

fuzz-check: fuzz-build
	test/fuzz/run.sh $(FUZZ_CHECK_SECONDS) $(FUZZ_RUN_BINS)

-include $(shell find $(FUZZ_OBJ) -name '*.d' 2>/dev/null)
