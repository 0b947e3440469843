#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What runs inside the VM of scripts/vmtest.sh (another kernel, the host's
# files): the BPF suites (bpf-datapath, bpf-parse: load, verifier,
# BPF_PROG_TEST_RUN) and a veth attach test of the real CLI
# (tests/kernel/veth-attach.sh). Everything is built on the host: only the
# tests run here. Each part prints its own TAP; a "# part NAME exit N" line
# follows each. Exit status: 0 when every part passed.
# PPG_BPF_MUTATIONS sets bpf-parse's random inputs (scripts/vmtest.sh: 5000;
# the kernel-6.1 suite: fewer, the CPU is emulated).
set -u
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
export PPG_ROOT=$root
export PPG_BIN=${PPG_BIN:-$root/build/ppguard}

echo "# kernel $(uname -r)"
rc=0
for part in "$root/tests/suites.d/bpf-datapath.sh" \
	"$root/tests/suites.d/bpf-parse.sh" \
	"$root/tests/kernel/veth-attach.sh"; do
	r=0
	t0=$SECONDS
	bash "$part" || r=$?
	echo "# part $(basename "$part" .sh) exit $r ($((SECONDS - t0)) s)"
	[ "$r" -eq 0 ] || rc=1
done
exit "$rc"
