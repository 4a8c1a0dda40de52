# SPDX-License-Identifier: BSD-3-Clause
# The fused-capable NVMe/TCP test target (test/target/): an independent
# peer for the system tests, so it links nothing of the library; it only
# shares the specification's structure definitions (headers).

TEST_TARGET_SRCS := $(sort $(wildcard test/target/*.c))
TEST_TARGET_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(TEST_TARGET_SRCS))
TEST_TARGET_BINS := $(BUILD)/test/target/pnvme_test_target

.PHONY: test-target-build
test-target-build: $(TEST_TARGET_BINS)

$(BUILD)/test/target/pnvme_test_target: $(TEST_TARGET_OBJS)
	@mkdir -p $(dir $@)
	$(ECHO) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lpthread

# Its own checks: a raw NVMe/TCP client for what the library never sends.
TEST_TARGET_CHECK_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(sort $(wildcard test/target/check/*.c)))
TEST_TARGET_BINS += $(BUILD)/test/target/pnvme_test_target_check
test-target-build: $(BUILD)/test/target/pnvme_test_target_check

$(BUILD)/test/target/pnvme_test_target_check: $(TEST_TARGET_CHECK_OBJS)
	@mkdir -p $(dir $@)
	$(ECHO) "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

# The system tests run the target.
systemtest: test-target-build
