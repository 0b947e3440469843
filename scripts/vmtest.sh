#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs a command under other kernels (Debian 12's 6.1 LTS, 6.12) in a
# throw-away qemu VM, through run-on-kernel.sh from ../shared/tools (next to
# the repository), or VMTEST_RUNNER. The VM sees the host's files, so build
# on the host first (make tests-build); only the tests run in the VM.
#
# Usage: scripts/vmtest.sh [--kernel K]... [-- COMMAND [ARG...]]
#   --kernel K   6.1, 6.12 or another run-on-kernel.sh label (repeatable;
#                default: 6.1 and 6.12)
#   COMMAND      default: tests/kernel/in-vm.sh (the BPF suites bpf-datapath
#                and bpf-parse, then a veth attach test of the CLI)
# Environment: VMTEST_RUNNER (path to run-on-kernel.sh), VMTEST_TIMEOUT
# (seconds per kernel, default 900), PPG_BPF_MUTATIONS (default 5000 here:
# the VM emulates the CPU and is slow).
# Exit status: 0 when the command passed on every kernel, or when no runner
# is available (it says so and skips); 1 when it failed on some kernel.
# At the end, one line per kernel with the verified_insns the tests printed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

kernels=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel)
		[ $# -ge 2 ] || {
			echo "vmtest: --kernel needs a value" >&2
			exit 64
		}
		kernels+=("$2")
		shift 2
		;;
	--)
		shift
		break
		;;
	-h | --help)
		sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "vmtest: unknown option $1 (see --help)" >&2
		exit 64
		;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)

if [ $# -gt 0 ]; then
	cmd=("$@")
else
	cmd=("$root/tests/kernel/in-vm.sh")
fi

runner=${VMTEST_RUNNER:-$root/../shared/tools/run-on-kernel.sh}
if [ ! -x "$runner" ]; then
	runner=$(command -v run-on-kernel.sh || true)
fi
if [ -z "$runner" ] || [ ! -x "$runner" ]; then
	echo "vmtest: run-on-kernel.sh not found (looked at ../shared/tools" \
		"and PATH; set VMTEST_RUNNER): skipping kernels ${kernels[*]}" >&2
	echo "ok 1 - tests under kernels ${kernels[*]} # SKIP run-on-kernel.sh absent"
	exit 0
fi

export PPG_BPF_MUTATIONS=${PPG_BPF_MUTATIONS:-5000}
export PPG_ROOT=$root
log=$(mktemp "${TMPDIR:-/tmp}/vmtest.XXXXXX")
trap 'rm -f "$log"' EXIT
failed=()
summary=()
for k in "${kernels[@]}"; do
	echo "# vmtest: kernel $k: ${cmd[*]}"
	set +e
	"$runner" --install-deps --kernel "$k" \
		--timeout "${VMTEST_TIMEOUT:-900}" -- "${cmd[@]}" 2>&1 |
		tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	if [ "$rc" -ne 0 ]; then
		echo "# vmtest: kernel $k: failed (exit status $rc)"
		failed+=("$k")
	else
		echo "# vmtest: kernel $k: passed"
	fi
	# "# verified_insns NAME=N" (test_datapath), "# NAME verified_insns=N"
	# (test_parse_bpf)
	kver=$(grep -m1 -o '^# kernel [^ ]*' "$log" | cut -d' ' -f3 || true)
	insns=$(grep -oE '^# (verified_insns [a-z_]+=[0-9]+|[a-z_]+ verified_insns=[0-9]+)' "$log" |
		sed -E 's/^# //; s/verified_insns ([a-z_]+)=/\1=/; s/ verified_insns=/=/' |
		awk '!seen[$0]++' | tr '\n' ' ' || true)
	summary+=("$k (${kver:-?}): ${insns:-none printed}")
done
for l in "${summary[@]}"; do
	echo "# vmtest: verified_insns on $l"
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "vmtest: failed on kernel(s) ${failed[*]}" >&2
	exit 1
fi
exit 0
