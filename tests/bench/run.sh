#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: every benchmark, one after the other, each printing its tables
# and writing them under tests/bench/ (results*.md, not committed):
#   1. pktcost.c   per-packet cost, BPF_PROG_TEST_RUN  -> results-pktcost.md
#   2. e2e.sh      veth, connection rate, HAProxy, bulk, flood -> results.md
#   3. daemon.sh   the daemon's event drain (when present) -> results-daemon.md
# Benchmarks are not tests: a figure that misses its target is reported, not
# failed; a benchmark that cannot run fails the run (after the others ran).
# Needs root (BPF programs, namespaces). Budget: under 15 minutes on 2 CPUs.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF programs, namespaces)" >&2
	exit 1
fi
bins=(build/bench/pktcost build/bench/loadgen build/bench/ppg_attach)
for b in "${bins[@]}"; do
	if [ ! -x "$b" ]; then
		echo "bench: $b is missing: run make tests-build" >&2
		exit 1
	fi
done

start=$SECONDS
failed=()
n=2
[ -f tests/bench/daemon.sh ] && n=3

echo "# bench 1/$n: per-packet cost (BPF_PROG_TEST_RUN)"
if build/bench/pktcost -o tests/bench/results-pktcost.md; then
	echo "# written: tests/bench/results-pktcost.md"
else
	failed+=(pktcost)
fi

echo "# bench 2/$n: end to end on veth ($((SECONDS - start)) s so far)"
if ! bash tests/bench/e2e.sh; then
	failed+=(e2e)
fi

if [ "$n" = 3 ]; then
	echo "# bench 3/$n: daemon drain ($((SECONDS - start)) s so far)"
	if bash tests/bench/daemon.sh -o tests/bench/results-daemon.md; then
		echo "# written: tests/bench/results-daemon.md"
	else
		failed+=(daemon)
	fi
fi

echo "# bench: done in $((SECONDS - start)) s"
if [ "${#failed[@]}" -gt 0 ]; then
	echo "# bench: failed to run: ${failed[*]}" >&2
	exit 1
fi
