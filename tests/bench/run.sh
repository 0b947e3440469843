#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: every benchmark, one after the other, each printing its table
# and writing it under tests/bench/ (results*.md, not committed).
#   1. pktcost: per-packet cost with BPF_PROG_TEST_RUN (tests/bench/pktcost.c)
# Benchmarks are not tests: a figure above its target is reported, not
# failed. Needs root (BPF).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (BPF programs, namespaces)" >&2
	exit 1
fi
bins=(build/bench/pktcost)
for b in "${bins[@]}"; do
	if [ ! -x "$b" ]; then
		echo "bench: $b is missing: run make tests-build" >&2
		exit 1
	fi
done

start=$SECONDS
echo "# bench 1/1: per-packet cost (BPF_PROG_TEST_RUN)"
build/bench/pktcost -o tests/bench/results-pktcost.md
echo "# written: tests/bench/results-pktcost.md"
echo "# bench: done in $((SECONDS - start)) s"
