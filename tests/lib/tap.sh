# SPDX-License-Identifier: GPL-2.0
# TAP output for the bash suites (sourced): pass DESC, fail DESC [DETAIL].
# $n counts the checks, $failed is 1 once one failed.
n=0
failed=0
pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}
fail() {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
	[ -z "${2:-}" ] || printf '#   %s\n' "$2" | head -20
}
