#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The BPF suites (bpf-datapath, bpf-parse) and a veth attach test of the real
# CLI under Debian 12's 6.1 LTS kernel, the oldest kernel ppguard claims: a
# qemu VM booted by scripts/vmtest.sh (run-on-kernel.sh) sees the host's
# files, so the tests built on the host run there as they are
# (tests/kernel/in-vm.sh). The CPU is emulated (no usable KVM here): fewer
# random parser inputs than on the host (PPG_BPF_MUTATIONS, default 2000).
# Each line of the VM's TAP is renumbered into this suite's and tagged
# [6.1]; scripts/vmtest.sh ends with the verified_insns of each program.
# Skipped, with a SKIP line, without root, run-on-kernel.sh or qemu. The
# 6.12 kernel runs in `make test-kernels` only.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
K=6.1

skip() {
	echo "ok 1 - BPF suites and veth attach on kernel $K # SKIP $1"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root (qemu shares / with the VM)"
runner=${VMTEST_RUNNER:-$root/../shared/tools/run-on-kernel.sh}
[ -x "$runner" ] || runner=$(command -v run-on-kernel.sh || true)
if [ -z "$runner" ] || [ ! -x "$runner" ]; then
	skip "run-on-kernel.sh not found (../shared/tools, PATH or VMTEST_RUNNER)"
fi
command -v qemu-system-x86_64 >/dev/null ||
	skip "qemu-system-x86_64 is not installed (make deps)"
for f in build/ppguard build/tests/test_datapath build/tests/test_parse_bpf; do
	if [ ! -x "$root/$f" ]; then
		echo "not ok 1 - $f is missing: run make all tests-build"
		exit 1
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-kernel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

export VMTEST_RUNNER=$runner
export VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-900}
export PPG_BPF_MUTATIONS=${PPG_BPF_MUTATIONS:-2000}
(cd "$root" && scripts/vmtest.sh --kernel "$K" -- tests/kernel/in-vm.sh) \
	2>&1 | tee "$tmp/raw" | awk -v tag="[$K] " '
/^(not )?ok [0-9]+/ {
	n++
	bad = ($1 == "not")
	sub(/^(not )?ok [0-9]+( - |-| )?/, "")
	printf "%sok %d - %s%s\n", bad ? "not " : "", n, tag, $0
	fflush()
	next
}
/^1\.\.[0-9]+/ { print "# (inner plan " $0 ")"; fflush(); next }
/^#/ { print; fflush(); next }
{ print "# " $0; fflush() }
' | tee "$tmp/tap" || true
rc=$(grep -o 'kernel [0-9.]*: failed (exit status [0-9]*)' "$tmp/raw" |
	sed 's/.*status \([0-9]*\))/\1/' | tail -1 || true)
rc=${rc:-0}
n=$(grep -cE '^(not )?ok [0-9]+' "$tmp/tap" || true)
bad=$(grep -cE '^not ok [0-9]+' "$tmp/tap" || true)
if [ "$rc" = 126 ] && [ "$n" -eq 0 ]; then
	# run-on-kernel.sh could not prepare the VM (no kernel package, no
	# initramfs tools): nothing ran, nothing failed
	echo "ok 1 - BPF suites and veth attach on kernel $K # SKIP the VM could not be prepared: $(grep -m1 'run-on-kernel:' "$tmp/raw" || echo 'exit 126')"
	exit 0
fi
if ! grep -q "vmtest: kernel $K: passed" "$tmp/raw" && [ "$bad" -eq 0 ]; then
	n=$((n + 1))
	bad=1
	echo "not ok $n - [$K] the VM run failed (exit status ${rc}, 124: timeout after ${VMTEST_TIMEOUT}s)"
	grep -m5 'run-on-kernel:' "$tmp/raw" | sed 's/^/#   /' || true
fi
if [ "$n" -eq 0 ]; then
	echo "not ok 1 - [$K] no test ran in the VM"
	exit 1
fi
echo "1..$n"
[ "$bad" -eq 0 ]
