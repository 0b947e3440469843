#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Replays the parser corpora through the libFuzzer harness (ASan + UBSan,
# every invariant of tests/fuzz/fuzz_parse.c), one TAP line per corpus
# directory. Builds nothing: build/tests/fuzz_parse is in TEST_BINS.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
bin=build/tests/fuzz_parse
log=$(mktemp /tmp/ppg-replay.XXXXXX)
trap 'rm -f "$log"' EXIT

n=0 fail=0
for dir in tests/fuzz/corpus tests/corpus; do
	n=$((n + 1))
	files=()
	for f in "$dir"/*; do
		case "$f" in *.py | *.md) continue ;; esac
		[ -f "$f" ] && files+=("$f")
	done
	if [ ! -x "$bin" ]; then
		echo "not ok $n - replay $dir: $bin missing (make tests-build)"
		fail=1
		continue
	fi
	if [ "${#files[@]}" -eq 0 ]; then
		echo "not ok $n - replay $dir: no input"
		fail=1
		continue
	fi
	# files given one by one: each runs once, nothing is written
	if "$bin" -runs=0 "${files[@]}" >"$log" 2>&1; then
		echo "ok $n - replay $dir (${#files[@]} inputs) under ASan/UBSan"
	else
		echo "not ok $n - replay $dir under ASan/UBSan"
		grep -E 'invariant broken|ERROR|SUMMARY|Running:' "$log" |
			tail -n 5 | sed 's/^/# /'
		fail=1
	fi
done
exit "$fail"
