# Compiler and linker flags shared by every target.
CC ?= cc
AR ?= ar

PNVME_VERSION_MAJOR := 0
PNVME_VERSION_MINOR := 1
PNVME_VERSION := $(PNVME_VERSION_MAJOR).$(PNVME_VERSION_MINOR).0

COMMON_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
	-Wshadow -Wformat=2 -fPIC -fno-strict-aliasing -D_GNU_SOURCE \
	-Iinclude -Ilib

ifeq ($(CONFIG_DEBUG),y)
COMMON_CFLAGS += -O0 -g3
else
COMMON_CFLAGS += -O2 -g -DNDEBUG
endif

SAN_FLAGS :=
ifeq ($(CONFIG_ASAN),y)
SAN_FLAGS += -fsanitize=address -fno-omit-frame-pointer
endif
ifeq ($(CONFIG_UBSAN),y)
SAN_FLAGS += -fsanitize=undefined -fno-sanitize-recover=undefined
endif
ifeq ($(CONFIG_COVERAGE),y)
SAN_FLAGS += --coverage
endif

CFLAGS += $(COMMON_CFLAGS) $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
