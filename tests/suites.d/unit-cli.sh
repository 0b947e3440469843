#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cmocka unit tests of the CLI's shared helpers (user/crc32c.c, tlv.c,
# names.c): CRC32C vectors, every TLV type, names, address formatting.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=$root/build/tests/test_cli_tlv

if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make tests-build"
	exit 1
fi
# The binary makes no file, process or kernel object: nothing to clean up.
CMOCKA_MESSAGE_OUTPUT=TAP exec "$bin"
