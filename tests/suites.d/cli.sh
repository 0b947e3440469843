#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The ppguard binary as an operator runs it: global options, help for every
# command, usage errors, and `ppguard parse` on v1/v2 inputs built with
# printf (stdin and files), checking the text, the --json fields and the
# exit codes. CRC32C values are computed here in Python, independently of
# the C implementation.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

. "$root/tests/lib/tap.sh"

if [ ! -x "$bin" ]; then
	fail "$bin is missing: run make"
	exit 1
fi

# run ARGS...: run ppguard; stdout in $tmp/out, stderr in $tmp/err, exit
# status in $rc. Standard input is inherited from the caller.
run() {
	rc=0
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# jcheck FILE ASSERTION...: FILE must hold exactly one line, one JSON
# object. ASSERTION: path=JSON (path like tlvs.0.name) or !path (absent).
# Prints the problems, returns non-zero if any.
jcheck() {
	python3 - "$@" <<'PY'
import json, sys

raw = open(sys.argv[1], encoding="utf-8").read()
errs = []
if raw.count("\n") != 1 or not raw.endswith("\n"):
    errs.append("output is not exactly one line")
try:
    obj = json.loads(raw)
except ValueError as e:
    print("not JSON: %s" % e)
    sys.exit(1)
if not isinstance(obj, dict):
    errs.append("not a JSON object")


def get(o, path):
    for part in path.split("."):
        o = o[int(part)] if isinstance(o, list) else o[part]
    return o


for a in sys.argv[2:]:
    if a.startswith("!"):
        try:
            get(obj, a[1:])
            errs.append("%s present" % a[1:])
        except (KeyError, IndexError):
            pass
        continue
    key, want = a.split("=", 1)
    want = json.loads(want)
    try:
        got = get(obj, key)
    except (KeyError, IndexError, TypeError):
        errs.append("%s missing" % key)
        continue
    if got != want or type(got) is not type(want):
        errs.append("%s=%s, want %s" % (key, json.dumps(got), json.dumps(want)))
if errs:
    print("; ".join(errs))
sys.exit(1 if errs else 0)
PY
}

# pj DESC WANT_RC INPUT ASSERTION...: `ppguard parse --json < INPUT`
pj() {
	local desc=$1 want=$2 in=$3 why
	shift 3
	run parse --json <"$in"
	if [ "$rc" -ne "$want" ]; then
		fail "$desc" "exit $rc, want $want; $(head -c 300 "$tmp/out" "$tmp/err" | tr '\n' ' ')"
		return
	fi
	if ! why=$(jcheck "$tmp/out" "$@"); then
		fail "$desc" "$why"
		return
	fi
	pass "$desc"
}

# text_has DESC LINE-REGEX...: every regex matches a line of $tmp/out
text_has() {
	local desc=$1 re
	shift
	for re in "$@"; do
		if ! grep -Eq -- "$re" "$tmp/out"; then
			fail "$desc" "no line matches '$re': $(tr '\n' '|' <"$tmp/out")"
			return
		fi
	done
	pass "$desc"
}

# crc_seal FILE OFFSET: write the CRC32C of FILE (with the 4 bytes at
# OFFSET zeroed) at OFFSET, big-endian, as a sender does.
crc_seal() {
	python3 - "$1" "$2" <<'PY'
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


path, off = sys.argv[1], int(sys.argv[2])
b = bytearray(open(path, "rb").read())
b[off:off + 4] = b"\0\0\0\0"
b[off:off + 4] = crc32c(bytes(b)).to_bytes(4, "big")
open(path, "wb").write(b)
PY
}

# v2 OUT VC FT: OUT gets a v2 header (version/command byte VC, family/
# transport byte FT, in hex) whose body is standard input, the length
# filled in.
v2() {
	local out=$1 vc=$2 ft=$3 len hi lo
	cat >"$tmp/body"
	len=$(wc -c <"$tmp/body")
	hi=$(printf %02x $((len >> 8)))
	lo=$(printf %02x $((len & 255)))
	{
		bytes "$SIG"
		bytes "\\x$vc\\x$ft\\x$hi\\x$lo"
		cat "$tmp/body"
	} >"$out"
}

# bytes ARG...: the arguments with their \xHH escapes, as bytes
bytes() {
	printf '%b' "$@"
}

SIG='\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a'
# 198.18.0.1:40000 -> 198.18.0.2:443
A4='\xc6\x12\x00\x01\xc6\x12\x00\x02\x9c\x40\x01\xbb'
# [fd00::1]:40000 -> [fd00:0:0:1::2]:8443
A6='\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01'
A6+='\xfd\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x02'
A6+='\x9c\x40\x20\xfb'
TLS='\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03'
f=$tmp

# ---- global options, help, usage errors ----

run --version
if [ "$rc" -eq 0 ] && grep -q '^ppguard [0-9]' "$tmp/out"; then
	pass "--version prints the version"
else
	fail "--version prints the version" "exit $rc: $(cat "$tmp/out")"
fi

run help
cmds=$(awk '/^Commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 }' "$tmp/out")
if [ "$rc" -eq 0 ] && grep -qx 'parse' <<<"$cmds" && grep -qx 'help' <<<"$cmds"; then
	pass "help lists the commands"
else
	fail "help lists the commands" "exit $rc: $(tr '\n' '|' <"$tmp/out")"
fi

run --help
if [ "$rc" -eq 0 ] && grep -q '^Usage: ppguard' "$tmp/out"; then
	pass "--help prints the usage on stdout"
else
	fail "--help prints the usage on stdout" "exit $rc"
fi

# Every command listed has --help, -h and `help CMD`, all the same text.
for c in $cmds; do
	run "$c" --help
	cp "$tmp/out" "$tmp/help1"
	r1=$rc
	run "$c" -h
	cp "$tmp/out" "$tmp/help2"
	r2=$rc
	run help "$c"
	if [ "$r1$r2$rc" = 000 ] && grep -q "^Usage: ppguard $c" "$tmp/help1" &&
		cmp -s "$tmp/help1" "$tmp/help2" && cmp -s "$tmp/help1" "$tmp/out"; then
		pass "$c --help, $c -h and help $c print its usage"
	else
		fail "$c --help, $c -h and help $c print its usage" "exits $r1 $r2 $rc"
	fi
done

# usage_err DESC WANT_RC STDERR-REGEX ARGS...: one line on stderr, nothing
# on stdout
usage_err() {
	local desc=$1 want=$2 re=$3
	shift 3
	run "$@" </dev/null
	if [ "$rc" -eq "$want" ] && [ ! -s "$tmp/out" ] &&
		[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -Eq -- "$re" "$tmp/err"; then
		pass "$desc"
	else
		fail "$desc" "exit $rc (want $want), stderr: $(tr '\n' '|' <"$tmp/err")"
	fi
}

usage_err "unknown command: one line, exit 64" 64 \
	"^ppguard: unknown command 'frobnicate'" frobnicate
usage_err "unknown global option: exit 64" 64 "^ppguard: .*'-x'" -x parse
usage_err "parse: two inputs: exit 64" 64 "^ppguard: parse: .*'b'" parse a b
usage_err "parse: unknown option: exit 64" 64 \
	"^ppguard: parse: .*'--bogus'" parse --bogus
usage_err "parse: missing file: exit 66 naming it" 66 \
	"^ppguard: parse: cannot open $tmp/nope: No such file or directory$" \
	parse "$tmp/nope"
usage_err "parse: a directory: exit 66" 66 \
	"^ppguard: parse: cannot read $tmp: Is a directory$" parse "$tmp"
usage_err "help of an unknown command: exit 64" 64 "unknown command 'nope'" \
	help nope

run </dev/null
if [ "$rc" -eq 64 ] && grep -q '^Usage: ppguard' "$tmp/err" && [ ! -s "$tmp/out" ]; then
	pass "no command: usage on stderr, exit 64"
else
	fail "no command: usage on stderr, exit 64" "exit $rc"
fi

# ---- v1 ----

printf 'PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\nGET / HTTP/1.1\r\n' >"$f/v1-tcp4"
pj "v1 TCP4 then HTTP: fields" 0 "$f/v1-tcp4" \
	result='"header"' version=1 command='"PROXY"' family='"INET"' \
	transport='"STREAM"' src_addr='"192.0.2.1"' dst_addr='"198.51.100.7"' \
	src_port=56324 dst_port=443 header_length=45 v1_unknown_long=false \
	next='"data"' next_class='"http"' stacked=false truncated_input=false \
	'!error' '!need' '!tlvs' '!crc32c' '!tlv_offset'

run parse "$f/v1-tcp4"
cp "$tmp/out" "$tmp/text-file"
text_has "v1 TCP4 from a file: text output" '^result: +header$' \
	'^version: +1$' '^source: +192\.0\.2\.1:56324$' \
	'^destination: +198\.51\.100\.7:443$' '^header length: +45 bytes$' \
	'^next: +data \(http\)$' "^input: +61 bytes from $f/v1-tcp4\$"

run parse - <"$f/v1-tcp4"
if [ "$rc" -eq 0 ] && diff <(sed 1d "$tmp/out") <(sed 1d "$tmp/text-file") >/dev/null &&
	grep -q '^input: *61 bytes from stdin$' "$tmp/out"; then
	pass "v1 TCP4 from stdin (-): same report as from the file"
else
	fail "v1 TCP4 from stdin (-): same report as from the file" "exit $rc"
fi

run parse "$f/v1-tcp4" --json
if [ "$rc" -eq 0 ] && jcheck "$tmp/out" src_port=56324 >/dev/null; then
	pass "options after the file name"
else
	fail "options after the file name" "exit $rc"
fi

printf 'PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::ffff:198.51.100.7 1 65535\r\n' >"$f/v1-tcp6"
pj "v1 TCP6: addresses in RFC 5952 form" 0 "$f/v1-tcp6" \
	family='"INET6"' src_addr='"2001:db8::1"' \
	dst_addr='"::ffff:198.51.100.7"' src_port=1 dst_port=65535 \
	header_length="$(wc -c <"$f/v1-tcp6")" next='"none"' stacked=false

printf 'PROXY UNKNOWN\r\n' >"$f/v1-unknown"
pj "v1 UNKNOWN short form: no addresses" 0 "$f/v1-unknown" \
	result='"header"' family='"UNSPEC"' transport='"UNSPEC"' \
	header_length=15 v1_unknown_long=false '!src_addr' '!src_port'

printf 'PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n' >"$f/v1-unknown-long"
pj "v1 UNKNOWN long form: flagged" 0 "$f/v1-unknown-long" \
	result='"header"' v1_unknown_long=true '!dst_addr'

printf 'PROXY TCP4 192.0.2.1 198.51.100.7 56324 4a3\r\n' >"$f/v1-badport"
pj "v1 bad port: invalid, error and offset" 2 "$f/v1-badport" \
	result='"invalid"' error='"v1_bad_port"' error_offset=40 version=1 \
	'!src_addr' '!next'
run parse "$f/v1-badport"
text_has "v1 bad port: text names the reason and the offset" \
	'^result: +invalid$' '^error: +v1_bad_port at offset 40'

printf 'PROXY TCP4 %0100d\r\n' 0 >"$f/v1-long"
pj "v1 without CRLF in 107 bytes: v1_no_crlf" 2 "$f/v1-long" \
	error='"v1_no_crlf"'

printf 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n' >"$f/v1-lf"
pj "v1 lone LF: v1_bad_eol" 2 "$f/v1-lf" error='"v1_bad_eol"' \
	error_offset=30

printf 'PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n' >"$f/v1-sep"
pj "v1 double space: invalid" 2 "$f/v1-sep" result='"invalid"'

printf 'PROXY TCP4 192.0.2.1 198.51' >"$f/v1-part"
pj "v1 incomplete: need_more" 3 "$f/v1-part" result='"need_more"' need=1 \
	version=1 '!error'
run parse "$f/v1-part"
text_has "v1 incomplete: text says how many more bytes" \
	'^need: +at least 1 more byte$'

printf 'PROX' >"$f/v1-sig"
pj "4 bytes of the v1 signature: need 1 more" 3 "$f/v1-sig" need=1

{
	printf 'PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n'
	bytes "$TLS"
} >"$f/v1-tls"
pj "v1 then a TLS ClientHello: next_class tls" 0 "$f/v1-tls" \
	next='"data"' next_class='"tls"'

printf 'PROXY TCP4 10.0.0.1 10.0.0.2 1 2\r\nPROXY TCP4 198.18.0.9 198.18.0.1 3 4\r\n' >"$f/v1-stacked"
pj "v1 then a second v1: stacked" 0 "$f/v1-stacked" stacked=true \
	next='"stacked"' next_class='"proxy"' src_addr='"10.0.0.1"'
run parse "$f/v1-stacked"
text_has "stacked: text says a second preamble follows" \
	'^next: +stacked \(a second PROXY preamble follows\)$'

printf 'PROXY UNKNOWN\r\nPRO' >"$f/v1-partial-next"
pj "v1 then 3 bytes of PROXY: next partial" 0 "$f/v1-partial-next" \
	next='"partial"' stacked=false

# ---- v2 ----

bytes "$SIG" '\x21\x11\x00\x0c' "$A4" >"$f/v2-inet"
pj "v2 PROXY INET, no TLV" 0 "$f/v2-inet" \
	result='"header"' version=2 command='"PROXY"' family='"INET"' \
	transport='"STREAM"' src_addr='"198.18.0.1"' dst_addr='"198.18.0.2"' \
	src_port=40000 dst_port=443 header_length=28 tlv_offset=28 \
	tlv_length=0 tlvs=[] crc32c='"absent"' next='"none"' \
	'!v1_unknown_long'

bytes "$SIG" '\x21\x22\x00\x24' "$A6" >"$f/v2-inet6"
pj "v2 PROXY INET6 DGRAM" 0 "$f/v2-inet6" family='"INET6"' \
	transport='"DGRAM"' src_addr='"fd00::1"' dst_addr='"fd00:0:0:1::2"' \
	src_port=40000 dst_port=8443 header_length=52

bytes "$SIG" '\x20\x00\x00\x00' >"$f/v2-local"
pj "v2 LOCAL: no addresses" 0 "$f/v2-local" command='"LOCAL"' \
	family='"UNSPEC"' header_length=16 '!src_addr' '!src_port'

bytes "$SIG" '\x21\x00\x00\x00' >"$f/v2-unspec"
pj "v2 PROXY UNSPEC: no addresses" 0 "$f/v2-unspec" command='"PROXY"' \
	family='"UNSPEC"' '!src_addr'

{
	bytes "$SIG" '\x21\x31\x00\xd8'
	printf '/run/haproxy/client.sock'
	head -c 84 /dev/zero
	printf '\x00abstract'
	head -c 99 /dev/zero
} >"$f/v2-unix"
pj "v2 UNIX: paths as addresses, no ports" 0 "$f/v2-unix" \
	family='"UNIX"' src_addr='"/run/haproxy/client.sock"' \
	dst_addr='"@abstract"' header_length=232 '!src_port'

# ALPN h2, AUTHORITY, CRC32C (sealed below), then a ClientHello
{
	bytes "$A4"
	printf '\x01\x00\x02h2'
	printf '\x02\x00\x0fwww.example.com'
	printf '\x03\x00\x04\x00\x00\x00\x00'
} | v2 "$f/v2-crc" 21 11
crc_seal "$f/v2-crc" 54
cp "$f/v2-crc" "$f/v2-crc-tls"
bytes "$TLS" >>"$f/v2-crc-tls"
pj "v2 TLVs with a valid CRC32C, then TLS" 0 "$f/v2-crc-tls" \
	header_length=58 tlv_offset=28 tlv_length=30 crc32c='"valid"' \
	tlvs.0.name='"ALPN"' tlvs.0.type=1 tlvs.0.value='"h2"' \
	tlvs.0.length=2 tlvs.0.hex='"6832"' \
	tlvs.1.name='"AUTHORITY"' tlvs.1.value='"www.example.com"' \
	tlvs.2.name='"CRC32C"' tlvs.2.verdict='"valid"' \
	next='"data"' next_class='"tls"'
run parse "$f/v2-crc-tls"
text_has "v2 TLVs: text lists them and the CRC verdict" \
	'^tlvs: +3 \(30 bytes at offset 28\)$' '^ +0x01 ALPN +length 2 value "h2"$' \
	'^ +0x03 CRC32C .*verdict "valid"' '^crc32c: +valid$'

cp "$f/v2-crc" "$f/v2-badcrc"
printf '\x01' | dd of="$f/v2-badcrc" bs=1 seek=20 conv=notrunc status=none
pj "v2 CRC32C mismatch: invalid v2_bad_crc" 2 "$f/v2-badcrc" \
	result='"invalid"' error='"v2_bad_crc"' error_offset=51 \
	crc32c='"invalid"' tlvs.2.verdict='"invalid"' '!next'

# AWS NLB health check: LOCAL, INET, len 84 of CRC32C and NOOP
{
	bytes "$SIG" '\x20\x11\x00\x54' "$A4"
	printf '\x03\x00\x04\x00\x00\x00\x00'
	printf '\x04\x00\x3e'
	head -c 62 /dev/zero
} >"$f/v2-nlb"
crc_seal "$f/v2-nlb" 31
pj "v2 LOCAL health check with CRC32C and NOOP (AWS NLB)" 0 "$f/v2-nlb" \
	command='"LOCAL"' header_length=100 crc32c='"valid"' \
	tlvs.1.name='"NOOP"' tlvs.1.length=62 '!src_addr'

# SSL with VERSION and CN, NETNS, AWS, Azure, GCP and an unknown type
{
	bytes "$A4"
	printf '\x20\x00\x1a\x07\x00\x00\x00\x00'
	printf '\x21\x00\x07TLSv1.3\x22\x00\x08client-1'
	printf '\x30\x00\x04blue'
	printf '\xea\x00\x17\x01vpce-08d2bf15fac5001c9'
	printf '\xee\x00\x05\x01\x78\x56\x34\x12'
	printf '\xe0\x00\x08\x11\x22\x33\x44\x55\x66\x77\x88'
	printf '\x99\x00\x02\xde\xad'
} | v2 "$f/v2-tlvs" 21 11
pj "v2 SSL, NETNS, AWS, Azure, GCP, unknown TLVs decoded" 0 "$f/v2-tlvs" \
	tlvs.0.name='"SSL"' tlvs.0.client=7 tlvs.0.verified=true \
	tlvs.0.client_flags='["ssl","cert_conn","cert_sess"]' \
	tlvs.0.sub.0.name='"VERSION"' tlvs.0.sub.0.value='"TLSv1.3"' \
	tlvs.0.sub.1.name='"CN"' tlvs.0.sub.1.value='"client-1"' \
	tlvs.1.name='"NETNS"' tlvs.1.value='"blue"' \
	tlvs.2.name='"AWS"' tlvs.2.vpce_id='"vpce-08d2bf15fac5001c9"' \
	tlvs.3.name='"AZURE"' tlvs.3.link_id=305419896 \
	tlvs.4.name='"GCP"' tlvs.4.connection_id=1234605616436508552 \
	tlvs.5.name='"UNKNOWN"' tlvs.5.type=153 tlvs.5.hex='"dead"' \
	crc32c='"absent"'

{
	bytes "$A4"
	printf '\x05\x00\x81'
	head -c 129 /dev/zero
} | v2 "$f/v2-uid" 21 11
pj "v2 UNIQUE_ID of 129 bytes: invalid v2_bad_tlv" 2 "$f/v2-uid" \
	error='"v2_bad_tlv"' error_offset=28 tlvs.0.error='"v2_bad_tlv"'

bytes "$SIG" '\x21\x11\x00\x10' "$A4" '\x01\x00\x05h2' >"$f/v2-overrun"
pj "v2 TLV past the header: v2_tlv_overrun" 2 "$f/v2-overrun" \
	error='"v2_tlv_overrun"' error_offset=28

bytes "$SIG" '\x21\x11\x00\x0c\xc6\x12' >"$f/v2-part"
pj "v2 cut in the address block: need_more with the count" 3 "$f/v2-part" \
	result='"need_more"' need=10 version=2 header_length=28 \
	family='"INET"' '!src_addr'
run parse "$f/v2-part"
text_has "v2 incomplete: text says how many more bytes" \
	'^need: +at least 10 more bytes$'

bytes "$SIG" | head -c 10 >"$f/v2-sig"
pj "10 bytes of the v2 signature: need 6 more" 3 "$f/v2-sig" need=6 \
	version=2

bytes "$SIG" '\x31\x11\x00\x0c' "$A4" >"$f/v2-ver"
pj "v2 version nibble 3: v2_bad_version" 2 "$f/v2-ver" \
	error='"v2_bad_version"' error_offset=12

bytes "$SIG" '\x22\x11\x00\x0c' "$A4" >"$f/v2-cmd"
pj "v2 command 2: v2_bad_command" 2 "$f/v2-cmd" error='"v2_bad_command"'

bytes "$SIG" '\x21\x41\x00\x0c' "$A4" >"$f/v2-fam"
pj "v2 family 4: v2_bad_family" 2 "$f/v2-fam" error='"v2_bad_family"' \
	error_offset=13

bytes "$SIG" '\x21\x21\x00\x0c' "$A4" >"$f/v2-short"
pj "v2 INET6 with 12 address bytes: v2_short_addr" 2 "$f/v2-short" \
	error='"v2_short_addr"'

{
	bytes "$SIG" '\x21\x11\x00\x0c' "$A4"
	bytes "$SIG" '\x20\x00\x00\x00'
} >"$f/v2-stacked"
pj "v2 then a second v2: stacked" 0 "$f/v2-stacked" stacked=true \
	next='"stacked"' next_class='"proxy"'

# ---- no header, empty and oversized input ----

printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >"$f/http"
pj "HTTP request, no header: not_proxy, exit 1" 1 "$f/http" \
	result='"not_proxy"' next_class='"http"' '!version' '!stacked'
bytes "$TLS" >"$f/tls"
pj "TLS ClientHello, no header: not_proxy tls" 1 "$f/tls" \
	result='"not_proxy"' next_class='"tls"'
run parse "$f/tls"
text_has "no header: text says what came instead" '^result: +not_proxy$' \
	'^bytes: +tls \(no PROXY preamble\)$'

: >"$f/empty"
pj "empty input: need_more, exit 3" 3 "$f/empty" result='"need_more"' need=1

{
	bytes "$SIG" '\x21\x11\x00\x0c' "$A4"
	head -c 70000 /dev/zero
} >"$f/big"
pj "input over 65659 bytes: parsed, truncated_input" 0 "$f/big" \
	result='"header"' truncated_input=true next_class='"other"'
if grep -q '^ppguard: parse: input longer than 65659 bytes' "$tmp/err"; then
	pass "input over 65659 bytes: a note on stderr"
else
	fail "input over 65659 bytes: a note on stderr" "$(cat "$tmp/err")"
fi

# -v before the command: whole hex dumps in text
{
	bytes "$SIG" '\x21\x11\x00\x3f' "$A4"
	printf '\x04\x00\x30'
	head -c 48 /dev/zero
} >"$f/v2-noop"
run parse "$f/v2-noop"
short=$(grep -c '0\{64\}\.\.\.$' "$tmp/out" || true)
run -v parse "$f/v2-noop"
if [ "$rc" -eq 0 ] && [ "$short" = 1 ] && grep -q ' hex 0\{96\}$' "$tmp/out"; then
	pass "-v before the command: whole hex dumps"
else
	fail "-v before the command: whole hex dumps" "exit $rc, short=$short"
fi

echo "1..$n"
exit "$failed"
