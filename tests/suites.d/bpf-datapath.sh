#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The data path (build/ppguard.bpf.o, both programs) under BPF_PROG_TEST_RUN:
# every row of tests/bpf/test_datapath.c through ppguard_tc and ppguard_xdp,
# IPv4 and IPv6, plus a full ring buffer and a SYN flood. Prints TAP.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$root/build/tests/test_datapath

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 - data path under BPF_PROG_TEST_RUN # SKIP needs root"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make tests-build"
	exit 1
fi
# The binary loads the skeleton with pinning off: no pin, attachment or
# file is created, and its maps go away with it.
exec "$bin"
