#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every suite (tests/suites.d/*), each printing TAP, and ends with one
# line "N passed, N failed[, N skipped]" summing all of them.
# Usage: tests/run.sh [SUITE...]   (names as in tests/suites.d, no extension)
set -u
cd "$(dirname "$0")/.."
export PPG_ROOT=$PWD
export PPG_BIN=$PWD/build/ppguard
export CMOCKA_MESSAGE_OUTPUT=TAP

pass=0 fail=0 skip=0
suites=()
if [ $# -gt 0 ]; then
	for s in "$@"; do suites+=("tests/suites.d/$s.sh"); done
else
	for s in tests/suites.d/*.sh; do suites+=("$s"); done
fi

for s in "${suites[@]}"; do
	name=$(basename "$s" .sh)
	echo "# suite $name"
	out=$(mktemp)
	bash "$s" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -cE '^ok [0-9]+' "$out" | tr -d ' ')
	k=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$out" | tr -d ' ')
	f=$(grep -cE '^not ok [0-9]+' "$out" | tr -d ' ')
	p=$((p - k))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# a suite that died without reporting a failure still failed
		echo "not ok 0 - suite $name exited with status $rc"
		f=1
	fi
	if [ $((p + f + k)) -eq 0 ]; then
		echo "not ok 0 - suite $name ran no test"
		f=1
	fi
	echo "# suite $name: $p passed, $f failed, $k skipped"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + k))
	rm -f "$out"
done

if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
