#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2016,SC2317 # bash -c scripts; cleanup runs from the trap
# The smallest end-to-end check of the real CLI on a kernel: `ppguard
# attach` (tc, then native XDP) on a veth, real TCP connections through it,
# `trust del`, re-attach, status, detach. Made for other kernels under qemu
# (tests/suites.d/kernel-6.1.sh, scripts/vmtest.sh), where every process
# start is slow: one Python server, clients are bash /dev/tcp. Runs on the
# host too. Prints TAP.
#
# Namespaces ppg$$-ks (ppguard on ppg$$ks, 198.18.0.2, a reply server on
# 8080 and 8081) and ppg$$-kc (198.18.0.1, trusted at first). Port 8080:
# action drop; 8081: reset; both optional headers, v1 and v2.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}

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
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
}

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 - veth attach # SKIP needs root"
	exit 0
fi
for t in nsenter python3 tc ip timeout; do
	if ! command -v "$t" >/dev/null; then
		echo "ok 1 - veth attach # SKIP $t is not installed"
		exit 0
	fi
done
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make"
	exit 1
fi

S=ppg$$-ks
C=ppg$$-kc
IF=ppg$$ks
pin=/sys/fs/bpf/ppguard/$IF
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-kveth.XXXXXX")
spid=

cleanup() {
	set +e
	[ -z "$spid" ] || kill "$spid" 2>/dev/null
	[ -z "$spid" ] || wait "$spid" 2>/dev/null
	if [ -d "$pin" ]; then
		nsenter --net="/run/netns/$S" "$bin" detach -i "$IF" \
			>/dev/null 2>&1 || rm -rf "$pin"
	fi
	rm -f "/run/ppguard/$IF.events"
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$S"
ip netns add "$C"
ip link add "$IF" netns "$S" type veth peer name "${IF%s}c" netns "$C"
ip -n "$S" link set lo up
ip -n "$C" link set lo up
ip -n "$S" addr add 198.18.0.2/24 dev "$IF"
ip -n "$C" addr add 198.18.0.1/24 dev "${IF%s}c"
ip -n "$S" link set "$IF" up
ip -n "$C" link set "${IF%s}c" up

cat >"$tmp/ppguard.conf" <<'EOF'
[trust]
cidr = 198.18.0.1/32
[port 8080]
versions = v1,v2
action = drop
[port 8081]
versions = v1,v2
action = reset
EOF

# The server answers "got " and the first 5 bytes it received, per
# connection ("got PROXY" when a header reached it), and logs what the
# connection did to server.log: "PORT got ...", "PORT reset" (its socket
# was reset), "PORT silent" (nothing within 3 s).
cat >"$tmp/server.py" <<'EOF'
import socket, sys, threading, time
log = open(sys.argv[2], "a", buffering=1)
def serve(c, port):
    # longer than the client's 3 s wait: closing first would look like a reset
    c.settimeout(10)
    what = "silent"
    try:
        d = c.recv(4096)
        if d:
            what = "got %r" % d[:5]
            c.sendall(b"got " + d[:5] + b"\n")
        else:
            what = "closed"
    except ConnectionResetError:
        what = "reset"
    except OSError:
        pass
    log.write("%d %s\n" % (port, what))
    c.close()
def listen(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("198.18.0.2", port))
    s.listen(16)
    return s
socks = [listen(8080), listen(8081)]
open(sys.argv[1], "w").close()
def loop(s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, s.getsockname()[1]),
                         daemon=True).start()
threading.Thread(target=loop, args=(socks[1],), daemon=True).start()
loop(socks[0])
EOF
ip netns exec "$S" python3 "$tmp/server.py" "$tmp/ready" "$tmp/server.log" &
spid=$!
for _ in $(seq 600); do
	[ -e "$tmp/ready" ] && break
	sleep 0.1
done

pg() { nsenter --net="/run/netns/$S" "$bin" "$@"; }
# talk PORT PAYLOAD: the server's answer line, "none" when nothing came
# back within 3 s (dropped), "reset"/"refused" when the connection failed
talk() {
	local out
	out=$(ip netns exec "$C" timeout 8 bash -c '
		exec 3<>"/dev/tcp/198.18.0.2/$0" || exit 3
		printf "%b" "$1" >&3
		IFS= read -r -t 3 line <&3; rc=$?
		[ -n "$line" ] && { echo "$line"; exit 0; }
		[ $rc -gt 128 ] && { echo none; exit 0; }
		echo reset' "$1" "$2" 2>/dev/null) || out=refused
	echo "${out:-none}"
}
# expect DESC WANT PORT PAYLOAD
expect() {
	local r
	r=$(talk "$3" "$4")
	if [ "$r" = "$2" ]; then pass "$1 ($r)"; else fail "$1" "answer: $r, want $2"; fi
}
HDR='PROXY TCP4 203.0.113.7 198.18.0.2 5555 8080\r\n'

for mode in tc xdp; do
	if pg attach -i "$IF" -c "$tmp/ppguard.conf" --mode "$mode" \
		>"$tmp/out" 2>&1; then
		pass "[$mode] ppguard attach on a veth"
	else
		fail "[$mode] ppguard attach on a veth" "$(cat "$tmp/out")"
		continue
	fi
	expect "[$mode] a trusted peer's header reaches the server" \
		"got PROXY" 8080 "${HDR}ping\n"
	pg trust del 198.18.0.1/32 -i "$IF" >"$tmp/out" 2>&1 ||
		fail "[$mode] ppguard trust del" "$(cat "$tmp/out")"
	expect "[$mode] untrusted: the header is dropped on a drop port" \
		none 8080 "${HDR}ping\n"
	: >"$tmp/server.log"
	r=$(talk 8081 "${HDR}ping\n")
	if [ "$r" = none ] && grep -qx "8081 reset" "$tmp/server.log"; then
		pass "[$mode] untrusted: the server's socket is reset on a reset port"
	else
		fail "[$mode] untrusted header reset" "answer: $r; server: $(cat "$tmp/server.log")"
	fi
	expect "[$mode] untrusted without a header: served" \
		"got GET /" 8080 "GET / HTTP/1.0\r\n\r\n"
	pg status -i "$IF" --json >"$tmp/status.json" 2>&1 || true
	if python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))[0]["connections"]
ok = c["trusted_header"]["pass"] >= 1 and c["untrusted_header"]["drop"] >= 1
ok = ok and c["untrusted_header"]["reset"] >= 1 and c["no_header"]["pass"] >= 1
sys.exit(0 if ok else 1)' "$tmp/status.json"; then
		pass "[$mode] status counts each decision"
	else
		fail "[$mode] status counts each decision" "$(head -c 600 "$tmp/status.json")"
	fi
	if pg attach -i "$IF" -c "$tmp/ppguard.conf" --mode "$mode" \
		>"$tmp/out" 2>&1; then
		expect "[$mode] re-attach (replace; the config trusts the peer again): its header passes" \
			"got PROXY" 8080 "${HDR}ping\n"
	else
		fail "[$mode] re-attach" "$(cat "$tmp/out")"
	fi
	if pg detach -i "$IF" >"$tmp/out" 2>&1 && [ ! -e "$pin" ] &&
		! tc -n "$S" filter show dev "$IF" ingress | grep -q . &&
		! ip -n "$S" link show "$IF" | grep -q prog/xdp; then
		pass "[$mode] detach leaves nothing"
	else
		fail "[$mode] detach leaves nothing" "$(cat "$tmp/out")"
	fi
done

echo "1..$n"
exit "$failed"
