#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Differential test: every vector (tests/corpus/*.bin and the list in
# tests/diff/haproxy_diff.py) goes to a real HAProxy with accept-proxy on
# loopback and to `ppguard parse --json`. Same addresses when both accept;
# any other disagreement must be listed in tests/diff/known-differences.tsv.
# The python script starts HAProxy itself and kills it by pid when it ends;
# this wrapper owns the scratch directory.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}
haproxy=${PPG_HAPROXY:-/usr/sbin/haproxy}

if [ ! -x "$haproxy" ]; then
	echo "ok 1 - differential test against HAProxy # SKIP $haproxy not installed"
	exit 0
fi
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make"
	exit 1
fi

work=$(mktemp -d /tmp/ppg-diff.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 "$root/tests/diff/haproxy_diff.py" --ppguard "$bin" \
	--haproxy "$haproxy" --corpus "$root/tests/corpus" --workdir "$work"
