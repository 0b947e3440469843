#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unit tests of the shared PROXY parser (include/pp_parse.h), host build:
# one TAP line per vector and per property (tests/unit/test_parse.c).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export CMOCKA_MESSAGE_OUTPUT=TAP
export PPG_ROOT=$PWD
bin=build/tests/test_parse
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin missing (make tests-build)"
	exit 1
fi
exec "$bin"
