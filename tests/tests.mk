# SPDX-License-Identifier: GPL-2.0
# Test binaries. Included by the top-level Makefile.
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# BPF test objects (not part of the product) and their skeletons
$(BUILD)/tests/%.bpf.o: tests/bpf/%.bpf.c $(HDRS) | $(BUILD)/tests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.skel.h: $(BUILD)/tests/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# CLI helpers (user/ objects, not main.c): CRC32C, TLV decoder, names
CLI_TEST_OBJS := $(BUILD)/user/tlv.o $(BUILD)/user/crc32c.o \
	$(BUILD)/user/names.o
$(BUILD)/tests/test_cli_tlv: tests/unit/test_cli_tlv.c $(CLI_TEST_OBJS) \
		$(HDRS) | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) $(USER_INC) -o $@ $< $(CLI_TEST_OBJS) \
		$(shell $(PKG_CONFIG) --libs json-c) $(CMOCKA_LIBS)
TEST_BINS += $(BUILD)/tests/test_cli_tlv
