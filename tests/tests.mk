# SPDX-License-Identifier: GPL-2.0
# Test binaries. Included by the top-level Makefile.
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

# BPF test objects (not part of the product) and their skeletons
$(BUILD)/tests/%.bpf.o: tests/bpf/%.bpf.c $(HDRS) | $(BUILD)/tests
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.skel.h: $(BUILD)/tests/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp.$$$$ && mv $@.tmp.$$$$ $@

# The parser compiled as BPF against the host build (BPF_PROG_TEST_RUN)
$(BUILD)/tests/test_parse_bpf: tests/bpf/test_parse_bpf.c \
		$(BUILD)/tests/parse_test.skel.h $(HDRS) | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) -I$(BUILD)/tests \
		$(shell $(PKG_CONFIG) --cflags libbpf) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs libbpf) -lelf -lz
TEST_BINS += $(BUILD)/tests/test_parse_bpf

# The BPF suites under Debian 12's 6.1 LTS and 6.12 kernels (qemu VM via
# ../shared/tools/run-on-kernel.sh; skipped when that is absent).
TEST_KERNELS ?= 6.1 6.12
test-kernels: deps
	@$(MAKE) --no-print-directory tests-build
	@scripts/vmtest.sh $(foreach k,$(TEST_KERNELS),--kernel $(k))
.PHONY: test-kernels

# Benchmarks (make bench runs tests/bench/run.sh): built with the tests so
# that the bench target needs nothing more. Outputs under build/bench/.
$(BUILD)/bench:
	@mkdir -p $@

$(BUILD)/bench/%.bpf.o: tests/bench/%.bpf.c $(HDRS) | $(BUILD)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.skel.h: $(BUILD)/bench/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp.$$$$ && mv $@.tmp.$$$$ $@

$(BUILD)/bench/pktcost: tests/bench/pktcost.c $(BUILD)/bench/noop.skel.h \
		$(BUILD)/ppguard.skel.h $(HDRS) | $(BUILD)/bench
	$(CC) $(USER_CFLAGS) -I$(BUILD)/bench \
		$(shell $(PKG_CONFIG) --cflags libbpf) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs libbpf) -lelf -lz
TEST_BINS += $(BUILD)/bench/pktcost $(BUILD)/bench/noop.bpf.o

# The daemon's drain-rate benchmark (tests/bench/daemon.sh): event generator
$(BUILD)/bench/daemon_gen: tests/bench/daemon_gen.c $(HDRS) | $(BUILD)/bench
	$(CC) $(USER_CFLAGS) $(shell $(PKG_CONFIG) --cflags libbpf) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs libbpf) -lelf -lz
TEST_BINS += $(BUILD)/bench/daemon_gen

# End-to-end benchmark tools (tests/bench/e2e.sh): load generator, loader
$(BUILD)/bench/loadgen: tests/bench/loadgen.c $(HDRS) | $(BUILD)/bench
	$(CC) $(USER_CFLAGS) -o $@ $<

$(BUILD)/bench/ppg_attach: tests/bench/attach.c $(BUILD)/bench/noop.skel.h \
		$(BUILD)/ppguard.skel.h $(HDRS) | $(BUILD)/bench
	$(CC) $(USER_CFLAGS) -I$(BUILD)/bench \
		$(shell $(PKG_CONFIG) --cflags libbpf libxdp) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs libbpf libxdp) -lelf -lz
TEST_BINS += $(BUILD)/bench/loadgen $(BUILD)/bench/ppg_attach

# CLI helpers (user/ objects, not main.c): CRC32C, TLV decoder, names
CLI_TEST_OBJS := $(BUILD)/user/tlv.o $(BUILD)/user/crc32c.o \
	$(BUILD)/user/names.o
$(BUILD)/tests/test_cli_tlv: tests/unit/test_cli_tlv.c $(CLI_TEST_OBJS) \
		$(HDRS) | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) $(USER_INC) -o $@ $< $(CLI_TEST_OBJS) \
		$(shell $(PKG_CONFIG) --libs json-c) $(CMOCKA_LIBS)
TEST_BINS += $(BUILD)/tests/test_cli_tlv

# Parser unit tests (host gcc, cmocka) and libFuzzer harness (clang,
# ASan+UBSan). `make fuzz FUZZ_SECONDS=N` fuzzes a scratch copy of the
# corpora; findings go to build/tests/fuzz-findings/.
$(BUILD)/tests/test_parse: tests/unit/test_parse.c $(HDRS) | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) \
		-o $@ $< $(CMOCKA_LIBS)
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -std=gnu11 \
	-Iinclude
$(BUILD)/tests/fuzz_parse: tests/fuzz/fuzz_parse.c $(HDRS) | $(BUILD)/tests
	$(CLANG) $(FUZZ_CFLAGS) -o $@ $<
TEST_BINS += $(BUILD)/tests/test_parse $(BUILD)/tests/fuzz_parse

FUZZ_SECONDS ?= 60
fuzz: $(BUILD)/tests/fuzz_parse
	@tests/fuzz/run.sh $(FUZZ_SECONDS)
.PHONY: fuzz

# The data path (build/ppguard.bpf.o through its skeleton) under
# BPF_PROG_TEST_RUN: tests/bpf/test_datapath.c, suite bpf-datapath
$(BUILD)/tests/test_datapath: tests/bpf/test_datapath.c $(BUILD)/ppguard.skel.h \
		$(HDRS) | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) $(shell $(PKG_CONFIG) --cflags libbpf) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs libbpf) -lelf -lz
TEST_BINS += $(BUILD)/tests/test_datapath

# Config parser and trust coverage rule (user/config.c, user/maps.c), cmocka
CONFIG_TEST_OBJS := $(BUILD)/user/config.o $(BUILD)/user/maps.o \
	$(BUILD)/user/names.o $(BUILD)/user/log.o
$(BUILD)/tests/test_config: tests/unit/test_config.c $(CONFIG_TEST_OBJS) \
		$(HDRS) | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) $(USER_INC) -o $@ $< $(CONFIG_TEST_OBJS) \
		$(USER_LIBS) $(CMOCKA_LIBS)
TEST_BINS += $(BUILD)/tests/test_config

# veth suite helper: load + pin (private dir) + attach, until `ppguard attach`
$(BUILD)/tests/veth_attach: tests/bpf/veth_attach.c $(BUILD)/ppguard.skel.h \
		$(HDRS) | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) $(shell $(PKG_CONFIG) --cflags libbpf) -o $@ $< \
		$(shell $(PKG_CONFIG) --libs libbpf) -lelf -lz
TEST_BINS += $(BUILD)/tests/veth_attach

# Fault suite (tests/suites.d/faults.sh): raw-socket SYN / SYN+data sender
$(BUILD)/tests/synflood: tests/faults/synflood.c | $(BUILD)/tests
	$(CC) $(USER_CFLAGS) -o $@ $<
TEST_BINS += $(BUILD)/tests/synflood
