#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The PROXY parser compiled as BPF (XDP and TC, BPF_PROG_TEST_RUN) must give
# the same struct pp_hdr as the host build on every vector: built-in ones,
# tests/corpus, tests/fuzz/corpus, all their prefixes and seeded mutations.
# PPG_BPF_MUTATIONS (default 20000) and PPG_BPF_SEED tune the random part.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$root/build/tests/test_parse_bpf

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 - BPF parser agrees with the host # SKIP needs root (BPF_PROG_TEST_RUN)"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make tests-build"
	exit 1
fi
# The binary creates no pin, attachment or file: its BPF objects go away
# with its file descriptors when it exits.
PPG_ROOT=$root exec "$bin"
