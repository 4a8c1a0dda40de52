# SPDX-License-Identifier: BSD-3-Clause
# The fio ioengine: a shared object fio loads with ioengine=external:PATH,
# compiled against fio's own source (scripts/fio_src.sh fetches and
# configures it under .cache/fio-src the first time). Not part of `all`:
# the first build needs the network; `make check` builds it.

FIO_ENGINE := $(BUILD)/fio/pnvme_fio_engine.so
FIO_PLUGIN_OBJS := $(OBJ)/plugins/fio/filename.o $(OBJ)/plugins/fio/ctrlr_table.o
FIO_ENGINE_OBJ := $(OBJ)/plugins/fio/engine.o

# fio's headers, with the definitions fio itself compiles them with. Its
# inline functions leave parameters unused, which -Wextra rejects: the
# source tree is searched as a system directory, so warnings are relaxed
# for fio's headers only, never for the engine's own code.
FIO_ENGINE_CFLAGS := -D_LARGEFILE_SOURCE -D_FILE_OFFSET_BITS=64 -DBITS_PER_LONG=64

.PHONY: fio-engine
fio-engine: $(FIO_ENGINE)

# The source is found (or fetched) when the engine is built, not whenever
# make reads this file.
$(FIO_ENGINE_OBJ): plugins/fio/engine.c plugins/fio/ctrlr_table.h plugins/fio/filename.h \
		scripts/fio_src.sh mk/config.mk mk/fio.mk
	@mkdir -p $(dir $@)
	$(ECHO) "  CC      $< (against fio's source)"
	$(Q)src=$$(scripts/fio_src.sh) && \
		$(CC) $(CFLAGS) -isystem "$$src" $(FIO_ENGINE_CFLAGS) -include "$$src/config-host.h" \
			-c $< -o $@

$(FIO_ENGINE): $(FIO_ENGINE_OBJ) $(FIO_PLUGIN_OBJS) $(LIB_A) plugins/fio/engine.map
	@mkdir -p $(dir $@)
	$(ECHO) "  LD      $@"
	$(Q)$(CC) -shared -Wl,-z,nodelete -Wl,--version-script=plugins/fio/engine.map $(LDFLAGS) \
		-o $@ $(FIO_ENGINE_OBJ) $(FIO_PLUGIN_OBJS) $(LIB_A) $(DPDK_LIBS) $(SYS_LIBS)

# The filename parser's unit test links the parser.
$(BUILD)/test/unit/fio_filename_ut: $(OBJ)/plugins/fio/filename.o
systemtest: fio-engine
