#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Interim `make demo`: shows what exists today, on loopback only.
#   1. Real PROXY headers: HAProxy 2.6 forwards curl requests to a capture
#      listener with send-proxy, send-proxy-v2 and send-proxy-v2 plus
#      proxy-v2-options; `ppguard parse` decodes the exact bytes captured.
#   2. A forged header and 3. a malformed one, with ppguard's verdict and
#      exit status, and what a backend that trusts any header makes of them.
# No prompts; a few seconds; safe to run twice (fresh temp dir, free ports).
# Every step is checked: the script exits non-zero if one did not behave as
# narrated. Processes are stopped by pid and files removed by the trap.
set -euo pipefail
cd "$(dirname "$0")/.."

PPG=${PPG_BIN:-$PWD/build/ppguard}
HAPROXY=${PPG_HAPROXY:-/usr/sbin/haproxy}
FORGED_IP=198.51.100.7 # documentation range (RFC 5737)

fail() {
	echo "demo: FAILED: $*" >&2
	exit 1
}
for t in "$PPG" "$HAPROXY"; do
	[ -x "$t" ] || fail "$t is missing (run make deps all)"
done
for t in python3 curl; do
	command -v "$t" >/dev/null || fail "$t is missing (run make deps)"
done

tmp=$(mktemp -d /tmp/ppg-demo.XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then
	bold=$'\033[1m' plain=$'\033[0m'
else
	bold='' plain=''
fi
heading() {
	printf '\n%s== %s ==%s\n' "$bold" "$*" "$plain"
}
say() {
	printf '%s\n' "$*"
}
# Show a command, run it, report its exit status; $rc holds it afterwards.
run() {
	printf '$ %s\n' "$*"
	set +e
	"$@"
	rc=$?
	set -e
	printf '(exit status %d)\n' "$rc"
}
# One field of `ppguard parse --json FILE`: jget FILE FIELD
jget() {
	"$PPG" parse --json "$1" | python3 -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
print("" if v is None else v)' "$2" || true
}
# TLV names present in a header: jtlvs FILE
jtlvs() {
	"$PPG" parse --json "$1" | python3 -c '
import json, sys
tlvs = json.load(sys.stdin).get("tlvs", [])
print(" ".join(t.get("name", "?") for t in tlvs))' || true
}
hexhead() {
	od -A d -t x1z -v -N "${2:-64}" "$1" | sed 's/^/    /'
}

# ---- the capture listener: a python socket server that stores the first
# bytes of each connection exactly as received, then answers like HTTP.
cat >"$tmp/capture.py" <<'EOF'
import os, socket, sys, threading
outdir, names = sys.argv[1], sys.argv[2:]
socks = []
for name in names:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    socks.append((name, s))
def serve(name, s):
    n = 0
    while True:
        c, _ = s.accept()
        c.settimeout(3)
        data = b""
        try:
            while True:
                x = c.recv(65536)
                if not x:
                    break
                data += x
                g = data.find(b"GET ")
                if g >= 0 and data.find(b"\r\n\r\n", g) >= 0:
                    break
        except OSError:
            pass
        n += 1
        path = os.path.join(outdir, "%s-%d.bin" % (name, n))
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.rename(path + ".tmp", path)
        body = b"captured %d bytes\n" % len(data)
        try:
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n%s" % (len(body), body))
        except OSError:
            pass
        c.close()
for name, s in socks:
    threading.Thread(target=serve, args=(name, s), daemon=True).start()
with open(os.path.join(outdir, "ports.tmp"), "w") as f:
    for name, s in socks:
        f.write("%s %d\n" % (name, s.getsockname()[1]))
os.rename(os.path.join(outdir, "ports.tmp"), os.path.join(outdir, "ports"))
threading.Event().wait()
EOF

free_port() { # free_port HOST
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}
wait_file() {
	local _
	for _ in $(seq 100); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

v6=0
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	2>/dev/null; then
	v6=1
fi

python3 "$tmp/capture.py" "$tmp" v1 v2 v2opt trusting &
pids+=($!)
wait_file "$tmp/ports" || fail "the capture listener did not start"
cport() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/ports"; }

p_v1=$(free_port 127.0.0.1)
if [ "$v6" = 1 ]; then
	p_v2=$(free_port ::1)
else
	p_v2=$(free_port 127.0.0.1)
fi
p_opt=$(free_port 127.0.0.1)
p_trust=$(free_port 127.0.0.1)
p_ready=$(free_port 127.0.0.1)

cat >"$tmp/haproxy.cfg" <<EOF
global
    nbthread 1
    log stdout format raw local0

defaults
    mode tcp
    timeout connect 3s
    timeout client 5s
    timeout server 5s

# a load balancer announcing its clients to the backend, three ways
frontend lb_v1
    bind 127.0.0.1:$p_v1
    default_backend capture_v1
backend capture_v1
    server capture 127.0.0.1:$(cport v1) send-proxy

frontend lb_v2
    bind $([ "$v6" = 1 ] && echo "[::1]" || echo 127.0.0.1):$p_v2
    default_backend capture_v2
backend capture_v2
    server capture 127.0.0.1:$(cport v2) send-proxy-v2

frontend lb_v2opt
    bind 127.0.0.1:$p_opt
    unique-id-format demo-%{+X}o%ci-%cp
    default_backend capture_v2opt
backend capture_v2opt
    server capture 127.0.0.1:$(cport v2opt) send-proxy-v2 \
        proxy-v2-options crc32c,unique-id

# only to tell that haproxy is up
frontend ready
    bind 127.0.0.1:$p_ready
    tcp-request connection reject

# a backend that believes whatever header it is sent
frontend trusting
    bind 127.0.0.1:$p_trust accept-proxy
    log global
    log-format "trusting backend: client %ci:%cp"
    error-log-format "trusting backend: refused: %[fc_err_str]"
    default_backend capture_trusting
backend capture_trusting
    server capture 127.0.0.1:$(cport trusting)
EOF
"$HAPROXY" -c -q -f "$tmp/haproxy.cfg" || fail "haproxy rejects the demo config"
"$HAPROXY" -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
pids+=($!)
ready=0
for _ in $(seq 100); do
	if python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' \
		"$p_ready" 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.05
done
[ "$ready" = 1 ] || fail "haproxy did not start: $(tail -3 "$tmp/haproxy.log")"

heading "ppguard demo (interim): the PROXY parser on real and forged headers"
say "ppguard's kernel data path is not part of this demo. What it shows is the"
say "parser that data path shares with the CLI: \`ppguard parse\` on headers"
say "captured from $("$HAPROXY" -v | head -1 | cut -d' ' -f1-3), and on a forged"
say "and a malformed one. Everything runs on loopback and is removed at the end."

# capture NAME URL CLIENT_ADDR: curl through haproxy, print and check the
# addresses curl used, leave the captured bytes in $tmp/NAME.bin
capture() {
	local name=$1 url=$2 addr=$3 out
	out=$(curl -sS --max-time 5 -g --interface "$addr" -o "$tmp/$name.body" \
		-w '%{local_ip} %{local_port}' "$url") ||
		fail "curl $url failed"
	read -r c_ip c_port <<<"$out"
	wait_file "$tmp/$name-1.bin" || fail "nothing captured for $name"
	mv "$tmp/$name-1.bin" "$tmp/$name.bin"
	say "curl $url from $c_ip port $c_port: $(cat "$tmp/$name.body")"
}

# check_real NAME VERSION WANT_SRC WANT_DST_ADDR WANT_DST_PORT
check_real() {
	local f=$tmp/$1.bin
	[ "$rc" -eq 0 ] || fail "$1: ppguard parse exited $rc, not 0"
	[ "$(jget "$f" version)" = "$2" ] || fail "$1: not a v$2 header"
	[ "$(jget "$f" src_addr)" = "$3" ] || fail "$1: source is not $3"
	[ "$(jget "$f" src_port)" = "$c_port" ] || fail "$1: source port is not $c_port"
	[ "$(jget "$f" dst_addr)" = "$4" ] || fail "$1: destination is not $4"
	[ "$(jget "$f" dst_port)" = "$5" ] || fail "$1: destination port is not $5"
	[ "$(jget "$f" next_class)" = http ] || fail "$1: no HTTP request after the header"
}

heading "1/4  HAProxy send-proxy (v1): what the backend really receives"
capture v1 "http://127.0.0.1:$p_v1/" 127.0.0.11
say "First bytes the capture listener received:"
hexhead "$tmp/v1.bin" 64
run "$PPG" parse "$tmp/v1.bin"
check_real v1 1 127.0.0.11 127.0.0.1 "$p_v1"
say "=> a v1 line naming curl's address and port, then curl's HTTP request."

if [ "$v6" = 1 ]; then
	heading "2/4  HAProxy send-proxy-v2 over IPv6, and with proxy-v2-options"
	capture v2 "http://[::1]:$p_v2/" ::1
	want_src=::1 want_dst=::1
else
	heading "2/4  HAProxy send-proxy-v2, and with proxy-v2-options"
	capture v2 "http://127.0.0.1:$p_v2/" 127.0.0.12
	want_src=127.0.0.12 want_dst=127.0.0.1
fi
hexhead "$tmp/v2.bin" 64
run "$PPG" parse "$tmp/v2.bin"
check_real v2 2 "$want_src" "$want_dst" "$p_v2"
[ "$(jget "$tmp/v2.bin" command)" = PROXY ] || fail "v2: command is not PROXY"

say ""
say "send-proxy-v2 proxy-v2-options crc32c,unique-id:"
capture v2opt "http://127.0.0.1:$p_opt/" 127.0.0.13
run "$PPG" parse "$tmp/v2opt.bin"
check_real v2opt 2 127.0.0.13 127.0.0.1 "$p_opt"
[ "$(jget "$tmp/v2opt.bin" crc32c)" = valid ] || fail "v2opt: CRC32C is not valid"
case " $(jtlvs "$tmp/v2opt.bin") " in
*" UNIQUE_ID "*) ;;
*) fail "v2opt: no UNIQUE_ID TLV" ;;
esac
say "=> binary headers decoded, TLVs listed, HAProxy's CRC32C verified."

# send_raw FILE PORT: send bytes to the trusting backend, print its log line
send_raw() {
	local before
	before=$(grep -c 'trusting backend' "$tmp/haproxy.log" || true)
	python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[2])), 3)
s.sendall(open(sys.argv[1], "rb").read())
s.shutdown(socket.SHUT_WR)
try:
    while s.recv(4096):
        pass
except OSError:
    pass' "$1" "$2"
	for _ in $(seq 60); do
		[ "$(grep -c 'trusting backend' "$tmp/haproxy.log" || true)" -gt "$before" ] && break
		sleep 0.05
	done
	trusting_line=$(grep 'trusting backend' "$tmp/haproxy.log" | tail -1)
	say "    $trusting_line"
}

heading "3/4  A forged header: any client can write one"
printf 'PROXY TCP4 %s 127.0.0.1 51234 %s\r\nGET / HTTP/1.1\r\nHost: demo\r\n\r\n' \
	"$FORGED_IP" "$p_trust" >"$tmp/forged.bin"
say "A client that reaches the backend directly sends:"
hexhead "$tmp/forged.bin" 48
run "$PPG" parse "$tmp/forged.bin"
[ "$rc" -eq 0 ] || fail "forged: ppguard parse exited $rc, not 0"
[ "$(jget "$tmp/forged.bin" src_addr)" = "$FORGED_IP" ] ||
	fail "forged: parsed source is not $FORGED_IP"
say "The header is well-formed, so the parser accepts it (exit 0): syntax"
say "cannot tell who wrote it. A backend that trusts every header believes it:"
send_raw "$tmp/forged.bin" "$p_trust"
case "$trusting_line" in
*"client $FORGED_IP:51234"*) ;;
*) fail "the trusting backend did not log $FORGED_IP" ;;
esac
say "=> Telling forged from real needs the peer's address: only a trusted"
say "   balancer may send a header. That is the data path's job, not shown here."

heading "4/4  A malformed header: leading zeros in the address"
printf 'PROXY TCP4 198.51.100.007 127.0.0.1 51234 %s\r\nGET / HTTP/1.1\r\n\r\n' \
	"$p_trust" >"$tmp/malformed.bin"
run "$PPG" parse "$tmp/malformed.bin"
[ "$rc" -eq 2 ] || fail "malformed: ppguard parse exited $rc, not 2"
[ "$(jget "$tmp/malformed.bin" error)" = v1_bad_addr4 ] ||
	fail "malformed: error is not v1_bad_addr4"
say "The spec forbids leading zeros (\"to avoid any possible confusion with"
say "octal numbers\"); ppguard says invalid, exit 2. HAProxy 2.6 is lenient:"
send_raw "$tmp/malformed.bin" "$p_trust"
case "$trusting_line" in
*"client 198.51.100.7:51234"*) ;;
*) fail "HAProxy no longer accepts the malformed line: update the demo" ;;
esac
say "=> Every such case is listed in tests/diff/known-differences.tsv and"
say "   checked against HAProxy by tests/suites.d/diff-haproxy.sh."

echo
echo "demo: all steps behaved as described"
