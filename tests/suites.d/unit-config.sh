#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cmocka unit tests of the config file parser (user/config.c): CIDR, ports,
# versions, durations, every FILE:LINE error, warnings, and the trust
# coverage rule of user/maps.c (a healthcheck host inside a trusted prefix
# is trusted).
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$root/build/tests/test_config

if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make tests-build"
	exit 1
fi
# The binary parses in-memory text: nothing to clean up.
CMOCKA_MESSAGE_OUTPUT=TAP exec "$bin"
