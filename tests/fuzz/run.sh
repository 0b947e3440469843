#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fuzz include/pp_parse.h for N seconds (default 60) with
# build/tests/fuzz_parse, starting from the checked-in corpora.
# The fuzzer works on a scratch copy: the checked-in corpora are never
# written. A finding is saved under build/tests/fuzz-findings/ and the run
# fails; the summary line gives the number of executions.
# Usage: tests/fuzz/run.sh [SECONDS]   (make fuzz FUZZ_SECONDS=N)
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-60}
bin=build/tests/fuzz_parse
findings=build/tests/fuzz-findings
if [ ! -x "$bin" ]; then
	echo "fuzz: $bin missing: run make build/tests/fuzz_parse" >&2
	exit 1
fi
scratch=$(mktemp -d /tmp/ppg-fuzz.XXXXXX)
log=$(mktemp /tmp/ppg-fuzz-log.XXXXXX)
trap 'rm -rf "$scratch" "$log"' EXIT
mkdir -p "$findings"
# new inputs go to the first directory only; both are copies
mkdir "$scratch/work" "$scratch/seed"
cp tests/fuzz/corpus/* "$scratch/work/"
cp tests/corpus/*.bin "$scratch/seed/"

rc=0
"$bin" -max_total_time="$secs" -max_len="${FUZZ_MAX_LEN:-2048}" \
	-dict=tests/fuzz/proxy.dict -print_final_stats=1 \
	-artifact_prefix="$findings/" "$scratch/work" "$scratch/seed" \
	>"$log" 2>&1 || rc=$?
grep -E 'invariant broken|ERROR: |SUMMARY|Test unit written' "$log" || true
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "fuzz: ${execs:-?} executions in ${secs}s," \
	"corpus $(find "$scratch/work" -type f | wc -l) inputs at the end," \
	"$([ "$rc" -eq 0 ] && echo 'no finding' || echo "FINDING in $findings/")"
exit "$rc"
