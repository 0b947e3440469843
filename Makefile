# SPDX-License-Identifier: GPL-2.0
# ppguard build: BPF objects -> skeletons -> ppguard binary; tests; checks.

CLANG ?= clang
CC ?= gcc
BPFTOOL ?= bpftool
PKG_CONFIG ?= pkg-config
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

BUILD := build
# -mcpu pinned: one parser variant passed with v1 and failed with v3 on
# newer kernels (../shared/NOTES-datapath.md).
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Werror -fno-stack-protector \
	-Iinclude -Ibpf -I/usr/include/$(MULTIARCH)
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	-Iinclude -Iuser -I$(BUILD)
PKGS := libbpf libxdp json-c inih libmicrohttpd libpcap
USER_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null) -lelf -lz
USER_INC = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
USER_SRCS := $(wildcard user/*.c)
USER_OBJS := $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
HDRS := $(wildcard include/*.h) $(wildcard user/*.h) $(wildcard bpf/*.h)

all: $(BUILD)/ppguard

$(BUILD) $(BUILD)/user $(BUILD)/tests:
	@mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@.tmp.$$$$ && mv $@.tmp.$$$$ $@

$(BUILD)/user/%.o: user/%.c $(HDRS) $(SKELS) | $(BUILD)/user
	$(CC) $(USER_CFLAGS) $(USER_INC) -c $< -o $@

$(BUILD)/ppguard: $(USER_OBJS)
	$(CC) $(USER_CFLAGS) -o $@ $^ $(USER_LIBS)
	@ln -sf $(BUILD)/ppguard ppguard 2>/dev/null || true

deps:
	@scripts/install-deps.sh

# Every suite prints TAP; tests/run.sh sums them into one line.
test: deps
	@$(MAKE) --no-print-directory all tests-build
	@tests/run.sh

# Test binaries (suites add themselves below)
TEST_BINS :=
include tests/tests.mk

tests-build: $(TEST_BINS)

check: all
	clang-format --dry-run -Werror $(shell git ls-files '*.c' '*.h')
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --suppress=missingIncludeSystem \
		-Iinclude -Iuser -I$(BUILD) user/ include/
	$(foreach f,$(USER_SRCS),$(CLANG) --analyze -Xanalyzer -analyzer-output=text \
		$(USER_CFLAGS) $(USER_INC) -D__x86_64__ $(f) -o /dev/null &&) true

demo: deps
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all tests-build
	@tests/bench/run.sh

clean:
	rm -rf $(BUILD) ppguard

.PHONY: all deps test tests-build check demo bench clean
.SECONDARY:
