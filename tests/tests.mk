# SPDX-License-Identifier: GPL-2.0
# Test binaries. Included by the top-level Makefile.
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# BPF test objects (not part of the product) and their skeletons
$(BUILD)/tests/%.bpf.o: tests/bpf/%.bpf.c $(HDRS) | $(BUILD)/tests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.skel.h: $(BUILD)/tests/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@
