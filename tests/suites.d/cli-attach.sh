#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ppguard attach/detach and the map commands on a real veth, real BPF:
# pins and BTF-named map fields, trust/port edits seen by bpftool, a real
# TCP connection whose flow and counters survive a re-attach (and which
# keeps working across it), config errors as FILE:LINE that change nothing,
# one-line errors for bad input, detach leaving nothing behind (tc, XDP,
# pins), XDP through libxdp, a clsact that was there before kept, and
# concurrent attaches serialized by the lock.
#
# Topology: two namespaces joined by a veth; ppguard guards ppg<pid>s in
# namespace S (run through nsenter --net, which keeps the host's bpffs;
# `ip netns exec` would mount a fresh /sys without it), clients run in C.
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
	[ -z "${2:-}" ] || sed 's/^/#   /' <<<"$2"
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
check() { # check DESC CMD...: pass when CMD succeeds
	local d=$1
	shift
	if "$@" >/dev/null 2>&1; then pass "$d"; else fail "$d"; fi
}

if [ "$(id -u)" -ne 0 ]; then
	skip "cli-attach" "needs root"
	exit 0
fi
for t in nsenter bpftool tc xdp-loader python3 setpriv unshare; do
	if ! command -v "$t" >/dev/null; then
		skip "cli-attach" "$t is not installed"
		exit 0
	fi
done
if [ ! -x "$bin" ]; then
	fail "$bin is missing: run make"
	exit 1
fi

S="ppg$$-s"
C="ppg$$-c"
IF="ppg$$s"
PEER="ppg$$c"
pin=/sys/fs/bpf/ppguard/$IF
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-attach.XXXXXX")
pids=()

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ -d "$pin" ]; then
		nsenter --net="/run/netns/$S" -- "$bin" detach -i "$IF" \
			>/dev/null 2>&1
	fi
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	[ -d "$pin" ] && rm -rf "$pin"
	rmdir /sys/fs/bpf/ppguard 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$S"
ip netns add "$C"
ip link add "$IF" netns "$S" type veth peer name "$PEER" netns "$C"
ip -n "$S" link set lo up
ip -n "$C" link set lo up
ip -n "$S" addr add 198.18.0.2/24 dev "$IF"
ip -n "$C" addr add 198.18.0.1/24 dev "$PEER"
ip -n "$C" addr add 198.18.0.100/24 dev "$PEER" # not trusted
ip -n "$S" link set "$IF" up
ip -n "$C" link set "$PEER" up

# ppguard and tools that need the host's bpffs, in S's network namespace
pg() { nsenter --net="/run/netns/$S" -- "$bin" "$@"; }
inS() { nsenter --net="/run/netns/$S" -- "$@"; }
# run ARGS...: ppguard in S; stdout/stderr in $tmp/out, $tmp/err; $rc
run() {
	rc=0
	pg "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
}

# The state of every map an edit or a config may touch, and the program
maps_hash() {
	{
		for m in ports trust4 trust6 deny_client4 deny_client6 config \
			attach; do
			bpftool -j map dump pinned "$pin/$m" 2>&1
		done
		tc -n "$S" filter show dev "$IF" ingress
	} | sha256sum | cut -d' ' -f1
}

# jq-like checks in Python: jpy FILE EXPR (EXPR sees `d`, must be true)
jpy() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

# has PATTERN CMD...: CMD's output matches. Not `CMD | grep -q`: grep -q
# exits at the first match, CMD may then die of SIGPIPE, and pipefail
# turns that into a failure.
has() {
	local p=$1 out
	shift
	out=$("$@" 2>&1) || true
	grep -q -- "$p" <<<"$out"
}

# one line on stderr, and the expected words in it
one_line_err() { # one_line_err DESC PATTERN
	local lines
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -ne 0 ] && [ "$lines" -eq 1 ] &&
		grep -q -- "$2" "$tmp/err"; then
		pass "$1"
	else
		fail "$1" "rc=$rc lines=$lines: $(cat "$tmp/err")"
	fi
}

cat >"$tmp/ppguard.conf" <<'EOF'
[global]
mode = tc                 ; tc | xdp
[trust]                   ; the balancer: the client veth's first address
cidr = 198.18.0.1/32
cidr = fd00:1::/64
[healthcheck]
cidr = 198.18.0.10/32     ; not covered by [trust]: healthcheck only
[deny_client]
cidr = 192.0.2.0/24
[port 8080]
require = yes
versions = v1,v2
action = drop
[port 8443]
versions = v2
action = reset
EOF

# ---- attach (tc) ----
run attach -i "$IF" -c "$tmp/ppguard.conf"
if [ "$rc" -eq 0 ]; then pass "attach tc exits 0"; else
	fail "attach tc exits 0" "$(cat "$tmp/err")"
	exit 1
fi
tcout=$(tc -n "$S" filter show dev "$IF" ingress)
if grep -q "pref 1 bpf.*handle 0x5050 ppguard_tc.*direct-action" <<<"$tcout"; then
	pass "tc filter show: ppguard_tc at pref 1 handle 0x5050, direct-action"
else
	fail "tc filter show: ppguard_tc at pref 1 handle 0x5050" "$tcout"
fi
missing=
for p in ports trust4 trust6 deny_client4 deny_client6 blocked4 blocked6 \
	flows events stats config prog_tc attach; do
	[ -e "$pin/$p" ] || missing="$missing $p"
done
if [ -z "$missing" ]; then pass "every map, prog_tc and attach are pinned in $pin"; else
	fail "pins in $pin" "missing:$missing"
fi

bpftool map dump pinned "$pin/ports" >"$tmp/ports.txt"
if grep -q '"inspect": 1' "$tmp/ports.txt" &&
	grep -q '"require": 1' "$tmp/ports.txt" &&
	grep -q '"key": 8080' "$tmp/ports.txt"; then
	pass "bpftool map dump pinned ports shows named fields (BTF)"
else
	fail "bpftool map dump pinned ports shows named fields" \
		"$(grep -m3 key "$tmp/ports.txt")"
fi
bpftool -j map lookup pinned "$pin/ports" key 0x90 0x1f 0 0 >"$tmp/p8080.json"
bpftool -j map lookup pinned "$pin/ports" key 0xfb 0x20 0 0 >"$tmp/p8443.json"
if jpy "$tmp/p8080.json" 'd["formatted"]["value"] == dict(inspect=1, require=1, versions=3, action=1, slot=d["formatted"]["value"]["slot"], _pad=[0,0,0])' &&
	jpy "$tmp/p8443.json" 'd["formatted"]["value"]["versions"] == 2 and d["formatted"]["value"]["action"] == 2 and d["formatted"]["value"]["require"] == 0'; then
	pass "ports 8080 and 8443 hold the config's policy"
else
	fail "ports 8080 and 8443 hold the config's policy" "$(cat "$tmp/p8080.json" "$tmp/p8443.json")"
fi
bpftool -j map dump pinned "$pin/trust4" >"$tmp/t4.json"
if jpy "$tmp/t4.json" '{(tuple(e["formatted"]["key"]["addr"]), e["formatted"]["key"]["prefixlen"]): (e["formatted"]["value"]["trusted"], e["formatted"]["value"]["healthcheck"]) for e in d} == {((198,18,0,1),32): (1,0), ((198,18,0,10),32): (0,1)}'; then
	pass "trust4: the trusted host, and a healthcheck host not covered by [trust] (trusted=0)"
else
	fail "trust4 after attach" "$(cat "$tmp/t4.json")"
fi
bpftool -j map dump pinned "$pin/deny_client4" >"$tmp/d4.json"
check "deny_client4 holds 192.0.2.0/24" jpy "$tmp/d4.json" 'len(d) == 1 and d[0]["formatted"]["key"] == {"prefixlen": 24, "addr": [192,0,2,0]}'

# ---- trust / port edits ----
run trust add 198.18.0.0/24 198.18.0.10/32 --healthcheck -i "$IF"
bpftool -j map dump pinned "$pin/trust4" >"$tmp/t4.json"
if [ "$rc" -eq 0 ] && jpy "$tmp/t4.json" '{(tuple(e["formatted"]["key"]["addr"]), e["formatted"]["key"]["prefixlen"]): e["formatted"]["value"]["healthcheck"] for e in d}.get(((198,18,0,0),24)) == 1'; then
	pass "trust add --healthcheck: 198.18.0.0/24 appears in bpftool map dump"
else
	fail "trust add --healthcheck" "rc=$rc $(cat "$tmp/err" "$tmp/t4.json")"
fi
run trust add 198.18.0.0/23 -i "$IF"
bpftool -j map dump pinned "$pin/trust4" >"$tmp/t4.json"
# the healthcheck host 198.18.0.10 is now covered by a trusted prefix
if [ "$rc" -eq 0 ] && jpy "$tmp/t4.json" 'all(e["formatted"]["value"]["trusted"] == 1 for e in d) and len(d) == 4'; then
	pass "trust add 198.18.0.0/23: every covered entry becomes trusted=1"
else
	fail "trust add 198.18.0.0/23 recomputes coverage" "rc=$rc $(cat "$tmp/err" "$tmp/t4.json")"
fi
run trust del 198.18.0.0/23 -i "$IF"
run trust del 198.18.0.0/24 --healthcheck -i "$IF"
bpftool -j map dump pinned "$pin/trust4" >"$tmp/t4.json"
check "trust del: back to the config's two entries, 198.18.0.10 trusted=0 again" \
	jpy "$tmp/t4.json" '{(tuple(e["formatted"]["key"]["addr"]), e["formatted"]["key"]["prefixlen"]): e["formatted"]["value"]["trusted"] for e in d} == {((198,18,0,1),32): 1, ((198,18,0,10),32): 0}'
run trust list -i "$IF" --json
check "trust list --json" jpy "$tmp/out" 'sorted(e["prefix"] for e in d) == ["198.18.0.1/32", "198.18.0.10/32", "fd00:1::/64"] and [e["listed"] for e in d if e["prefix"] == "198.18.0.10/32"] == [["healthcheck"]]'

before=$(maps_hash)
run trust del 198.18.77.0/24 -i "$IF"
if [ "$rc" -ne 0 ] && grep -q "is not in the trust list" "$tmp/err" &&
	[ "$(maps_hash)" = "$before" ]; then
	pass "trust del of an absent prefix: error, maps unchanged"
else
	fail "trust del of an absent prefix" "rc=$rc $(cat "$tmp/err")"
fi

run port set 9090 --require --versions v1 --action log -i "$IF"
bpftool -j map lookup pinned "$pin/ports" key 0x82 0x23 0 0 >"$tmp/p.json"
if [ "$rc" -eq 0 ] && jpy "$tmp/p.json" 'd["formatted"]["value"]["inspect"] == 1 and d["formatted"]["value"]["require"] == 1 and d["formatted"]["value"]["versions"] == 1 and d["formatted"]["value"]["action"] == 3'; then
	pass "port set 9090 --require --versions v1 --action log is in the ports map"
else
	fail "port set 9090" "rc=$rc $(cat "$tmp/err" "$tmp/p.json")"
fi
run port set 9090 --no-require -i "$IF"
bpftool -j map lookup pinned "$pin/ports" key 0x82 0x23 0 0 >"$tmp/p.json"
check "port set 9090 --no-require changes require only" \
	jpy "$tmp/p.json" 'd["formatted"]["value"]["require"] == 0 and d["formatted"]["value"]["versions"] == 1 and d["formatted"]["value"]["action"] == 3'
run port list -i "$IF" --json
check "port list --json: 8080, 8443, 9090 with distinct slots" \
	jpy "$tmp/out" 'sorted(e["port"] for e in d) == [8080, 8443, 9090] and len(set(e["slot"] for e in d)) == 3'
run port del 9090 -i "$IF"
bpftool -j map lookup pinned "$pin/ports" key 0x82 0x23 0 0 >"$tmp/p.json"
check "port del 9090: inspect=0" jpy "$tmp/p.json" 'd["formatted"]["value"]["inspect"] == 0'

# ---- one-line errors, nothing changed ----
before=$(maps_hash)
run port set 0 -i "$IF"
one_line_err "port set 0: one-line error" "1..65535"
run port set 65536 -i "$IF"
one_line_err "port set 65536: one-line error" "1..65535"
run port set 80 --action pass -i "$IF"
one_line_err "port set --action pass: one-line error" "drop, reset or log"
run trust add 198.18.0.1/33 -i "$IF"
one_line_err "trust add 198.18.0.1/33: one-line error" "0..32"
run trust add 198.18.0.1/24 -i "$IF"
one_line_err "trust add with host bits: one-line error naming the network" "198.18.0.0/24"
run attach -i "$IF" --mode bpf
one_line_err "attach --mode bpf: one-line error" "expected tc or xdp"
[ "$rc" -eq 64 ] && pass "usage errors exit 64" || fail "usage errors exit 64" "rc=$rc"
run attach -i "$IF" --mode xdp --xdp-mode turbo
one_line_err "attach --xdp-mode turbo: one-line error" "native or skb"
run attach -i ppgnosuch0
one_line_err "attach to a missing interface: one-line error" "no interface 'ppgnosuch0'"
[ ! -e /sys/fs/bpf/ppguard/ppgnosuch0 ] && pass "... and no pin directory for it" ||
	fail "no pin directory for a missing interface"
run attach -i "../$IF"
one_line_err "attach -i ../IF: rejected as an interface name" "invalid interface name"
if [ "$(maps_hash)" = "$before" ]; then pass "the maps and the tc filter are unchanged by all of them"; else
	fail "bad input changed the maps"
fi
rc=0
inS setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$bin" attach -i "$IF" >"$tmp/out" 2>"$tmp/err" || rc=$?
one_line_err "attach without privileges: one-line error" "needs root"

# ---- config errors: FILE:LINE, nothing applied ----
# cfgerr DESC LINE PATTERN: $tmp/bad.conf must fail at LINE with PATTERN
cfgerr() {
	local b
	b=$(maps_hash)
	run attach -i "$IF" -c "$tmp/bad.conf"
	if [ "$rc" -ne 0 ] && grep -q "^$tmp/bad.conf:$2: .*$3" "$tmp/err" &&
		grep -q "nothing applied" "$tmp/err" && [ "$(maps_hash)" = "$b" ]; then
		pass "config: $1 -> bad.conf:$2, maps unchanged"
	else
		fail "config: $1 -> bad.conf:$2" "rc=$rc $(cat "$tmp/err")"
	fi
}
conf_with() { # conf_with LINES...: the good config plus these lines
	{
		cat "$tmp/ppguard.conf"
		printf '%s\n' "$@"
	} >"$tmp/bad.conf"
}
base=$(wc -l <"$tmp/ppguard.conf")
conf_with "[trust]" "cidr = 198.18.0.1/24"
cfgerr "CIDR with host bits" $((base + 2)) "host bits set (did you mean 198.18.0.0/24?)"
conf_with "[trust]" "cidr = 198.18.300.0/24"
cfgerr "bad CIDR" $((base + 2)) "not an IPv4 or IPv6 address"
conf_with "[port 0]"
cfgerr "port 0" $((base + 1)) "port must be a number 1..65535"
conf_with "[port 65536]"
cfgerr "port 65536" $((base + 1)) "port must be a number 1..65535"
conf_with "[port 8080]"
cfgerr "duplicate port" $((base + 1)) "duplicate \[port 8080\] (first at line"
conf_with "[global]" "colour = blue"
cfgerr "unknown key" $((base + 2)) "unknown key 'colour'"
conf_with "[firewall]"
cfgerr "unknown section" $((base + 1)) "unknown section \[firewall\]"
conf_with "[port 80]" "action = explode"
cfgerr "bad value" $((base + 2)) "action 'explode'"
{
	cat "$tmp/ppguard.conf"
	for p in $(seq 10001 10063); do printf '[port %d]\n' "$p"; done
} >"$tmp/bad.conf"
cfgerr "65 ports" $((base + 63)) "more than 64 \[port\] sections"
printf '[trust]\ncidr = 198.18.0.1/24\n[port 0]\nfoo = 1\n[autoblock]\nwindow = 5x\n' >"$tmp/bad.conf"
run attach -i "$IF" -c "$tmp/bad.conf"
if [ "$(grep -c "^$tmp/bad.conf:[0-9]*: " "$tmp/err")" -eq 3 ]; then
	pass "every error of a file is reported, one line each"
else
	fail "every error of a file is reported" "$(cat "$tmp/err")"
fi

# ---- a real connection: flows and counters survive a re-attach ----
cat >"$tmp/server.py" <<'EOF'
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.2", 8080))
s.listen(16)
open(sys.argv[1], "w").close()
def echo(c):
    while True:
        d = c.recv(4096)
        if not d:
            break
        c.sendall(d)
while True:
    c, _ = s.accept()
    threading.Thread(target=echo, args=(c,), daemon=True).start()
EOF
cat >"$tmp/client.py" <<'EOF'
# client.py OUT GO SRC [noheader]: a PROXY v1 header (unless noheader) and
# "ping1", echoed; then, once GO exists, "ping2" on the same connection.
# OUT.1/OUT.2 say how it went.
import os, socket, sys, time
out, go, src = sys.argv[1:4]
hdr = b"" if sys.argv[4:] == ["noheader"] else \
    b"PROXY TCP4 203.0.113.7 198.18.0.2 5555 8080\r\n"
s = socket.socket()
s.bind((src, 0))
s.settimeout(3)
s.connect(("198.18.0.2", 8080))
s.sendall(hdr + b"ping1\n")
buf = b""
try:
    while b"ping1" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
except OSError:
    pass
open(out + ".1", "w").write("ok" if b"ping1" in buf else "fail")
if b"ping1" not in buf:
    sys.exit(0)
while not os.path.exists(go):
    time.sleep(0.05)
s.sendall(b"ping2\n")
buf = b""
try:
    while b"ping2" not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
except OSError:
    pass
open(out + ".2", "w").write("ok" if b"ping2" in buf else "fail")
time.sleep(30)
EOF
ip netns exec "$S" python3 "$tmp/server.py" "$tmp/server.ready" &
pids+=($!)
for _ in $(seq 100); do [ -e "$tmp/server.ready" ] && break; sleep 0.05; done
ip netns exec "$C" python3 "$tmp/client.py" "$tmp/c1" "$tmp/c1.go" 198.18.0.1 &
pids+=($!)
for _ in $(seq 100); do [ -e "$tmp/c1.1" ] && break; sleep 0.05; done
if [ "$(cat "$tmp/c1.1" 2>/dev/null)" = ok ]; then
	pass "a trusted client's v1 header and data reach the server"
else
	fail "a trusted client's v1 header and data reach the server"
fi
run conns -i "$IF" --json
cp "$tmp/out" "$tmp/conns1.json"
check "conns --json: the flow, trusted_header, declared client 203.0.113.7:5555" \
	jpy "$tmp/conns1.json" '[(e["peer"].split(":")[0], e["state"], e["reason"], e["client"]) for e in d] == [("198.18.0.1", "pass", "trusted_header", "203.0.113.7:5555")]'
run status -i "$IF" --json
cp "$tmp/out" "$tmp/status1.json"
check "status --json counts the connection (trusted_header/pass)" \
	jpy "$tmp/status1.json" 'd[0]["connections"]["trusted_header"]["pass"] >= 1 and d[0]["attached"] is True and d[0]["entries"]["flows"] >= 1'
run conns -i "$IF"
check "conns (text) shows the declared client" grep -q "203.0.113.7:5555" "$tmp/out"

# an untrusted source: served without a header, dropped with one
touch "$tmp/n1.go"
timeout 10 ip netns exec "$C" python3 "$tmp/client.py" "$tmp/n1" "$tmp/n1.go" 198.18.0.100 noheader &
npid=$!
for _ in $(seq 100); do [ -e "$tmp/n1.2" ] && break; sleep 0.05; done
kill "$npid" 2>/dev/null || true
wait "$npid" 2>/dev/null || true
if [ "$(cat "$tmp/n1.2" 2>/dev/null)" = ok ]; then
	pass "an untrusted source without a header is served (tc)"
else
	fail "an untrusted source without a header is served (tc)"
fi
timeout 10 ip netns exec "$C" python3 "$tmp/client.py" "$tmp/u1" "$tmp/u1.go" 198.18.0.100 || true
if [ "$(cat "$tmp/u1.1" 2>/dev/null)" = fail ]; then
	pass "an untrusted source's header never reaches the server (tc)"
else
	fail "an untrusted source's header is dropped (tc)" "$(cat "$tmp/u1.1" 2>/dev/null)"
fi

old_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["prog_id"])' "$tmp/status1.json")
flows_id=$(bpftool -j map show pinned "$pin/flows" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
run attach -i "$IF" -c "$tmp/ppguard.conf"
[ "$rc" -eq 0 ] && pass "re-attach exits 0" || fail "re-attach exits 0" "$(cat "$tmp/err")"
run status -i "$IF" --json
cp "$tmp/out" "$tmp/status2.json"
new_id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["prog_id"])' "$tmp/status2.json")
flows_id2=$(bpftool -j map show pinned "$pin/flows" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
if [ "$new_id" != "$old_id" ] && [ "$new_id" != 0 ] &&
	[ "$(tc -n "$S" filter show dev "$IF" ingress | grep -c 'handle 0x5050')" -eq 1 ] &&
	has "id $new_id " tc -n "$S" filter show dev "$IF" ingress; then
	pass "re-attach replaced the program in the same filter (id $old_id -> $new_id)"
else
	fail "re-attach replaced the program" "old=$old_id new=$new_id $(tc -n "$S" filter show dev "$IF" ingress)"
fi
[ "$flows_id" = "$flows_id2" ] && pass "re-attach reused the pinned flows map (id $flows_id)" ||
	fail "re-attach reused the pinned flows map" "$flows_id -> $flows_id2"
run conns -i "$IF" --json
if python3 -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
key = lambda d: [(e["peer"], e["state"], e["client"]) for e in d if e["peer"].startswith("198.18.0.1:")]
sys.exit(0 if key(a) == key(b) and key(a) else 1)' "$tmp/conns1.json" "$tmp/out"; then
	pass "re-attach kept the flow entry of the open connection"
else
	fail "re-attach kept the flow entry" "$(cat "$tmp/conns1.json" "$tmp/out")"
fi
if python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))[0]; b = json.load(open(sys.argv[2]))[0]
ok = all(b["connections"][r][x] >= a["connections"][r][x] for r in a["connections"] for x in a["connections"][r])
ok = ok and b["connections"]["trusted_header"]["pass"] >= 1
sys.exit(0 if ok else 1)' "$tmp/status1.json" "$tmp/status2.json"; then
	pass "re-attach kept the counters"
else
	fail "re-attach kept the counters"
fi
touch "$tmp/c1.go"
for _ in $(seq 100); do [ -e "$tmp/c1.2" ] && break; sleep 0.05; done
if [ "$(cat "$tmp/c1.2" 2>/dev/null)" = ok ]; then
	pass "the connection opened before the re-attach still works after it"
else
	fail "the connection still works after the re-attach"
fi

# ---- dry run ----
run attach -i "$IF" -c "$tmp/ppguard.conf" --dry-run
bpftool -j map dump pinned "$pin/config" >"$tmp/cfg.json"
pg status -i "$IF" >"$tmp/st.txt" 2>&1 || true
if [ "$rc" -eq 0 ] && jpy "$tmp/cfg.json" 'd[0]["formatted"]["value"]["flags"] & 1 == 1' &&
	grep -q "DRY RUN" "$tmp/st.txt"; then
	pass "attach --dry-run sets the config flag; status says DRY RUN"
else
	fail "attach --dry-run" "$(cat "$tmp/err" "$tmp/cfg.json")"
fi
run attach -i "$IF" -c "$tmp/ppguard.conf"
bpftool -j map dump pinned "$pin/config" >"$tmp/cfg.json"
check "attach without --dry-run clears it" jpy "$tmp/cfg.json" 'd[0]["formatted"]["value"]["flags"] & 1 == 0'

run attach -i "$IF" -c "$tmp/ppguard.conf" --mode xdp
one_line_err "switching tc -> xdp without detach: one-line error" "detach -i $IF' first"

# ---- concurrent attaches serialize ----
count_before=$(bpftool -j map dump pinned "$pin/attach" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["attach_count"])')
cpids=()
for i in 1 2 3 4; do
	pg attach -i "$IF" -c "$tmp/ppguard.conf" >"$tmp/conc$i.out" 2>&1 &
	cpids+=($!)
done
crc=0
for p in "${cpids[@]}"; do wait "$p" || crc=1; done
count_after=$(bpftool -j map dump pinned "$pin/attach" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["attach_count"])')
nfilt=$(tc -n "$S" filter show dev "$IF" ingress | grep -c 'handle 0x5050')
if [ "$crc" -eq 0 ] && [ "$count_after" -eq $((count_before + 4)) ] && [ "$nfilt" -eq 1 ]; then
	pass "4 concurrent attaches all succeed, one after the other (attach_count +4, one filter)"
else
	fail "concurrent attaches serialize" "rc=$crc count $count_before -> $count_after filters=$nfilt $(cat "$tmp"/conc*.out)"
fi
tpids=()
for i in $(seq 1 8); do
	pg trust add "198.18.9.$i/32" -i "$IF" >/dev/null 2>&1 &
	tpids+=($!)
done
for p in "${tpids[@]}"; do wait "$p" || true; done
bpftool -j map dump pinned "$pin/trust4" >"$tmp/t4.json"
check "8 concurrent trust adds: all 8 entries are there" \
	jpy "$tmp/t4.json" 'sum(1 for e in d if e["formatted"]["key"]["addr"][:3] == [198,18,9]) == 8'

# ---- detach: nothing left ----
kill "${pids[1]}" 2>/dev/null || true
run detach -i "$IF"
[ "$rc" -eq 0 ] && pass "detach exits 0" || fail "detach exits 0" "$(cat "$tmp/err")"
left=$(tc -n "$S" filter show dev "$IF" ingress; tc -n "$S" qdisc show dev "$IF" | grep clsact || true)
[ -z "$left" ] && pass "detach: no tc filter and no clsact left (ppguard made it)" ||
	fail "detach: tc left behind" "$left"
[ ! -e "$pin" ] && pass "detach: $pin is gone" || fail "detach: pins left" "$(ls "$pin")"
run detach -i "$IF"
one_line_err "detach when not attached: one-line error" "not attached"

# ---- an existing clsact (and its filter) is kept ----
tc -n "$S" qdisc add dev "$IF" clsact
tc -n "$S" filter add dev "$IF" ingress prio 8 bpf bytecode '1,6 0 0 0,' classid 1:1
run attach -i "$IF" -c "$tmp/ppguard.conf"
run detach -i "$IF"
if [ "$rc" -eq 0 ] && has clsact tc -n "$S" qdisc show dev "$IF" &&
	has "pref 8 bpf" tc -n "$S" filter show dev "$IF" ingress &&
	! has ppguard tc -n "$S" filter show dev "$IF" ingress; then
	pass "a clsact that existed before attach is kept by detach, with its filter"
else
	fail "existing clsact kept" "$(tc -n "$S" qdisc show dev "$IF"; tc -n "$S" filter show dev "$IF" ingress)"
fi
# ... and one ppguard made is kept when another filter now uses it
tc -n "$S" qdisc del dev "$IF" clsact
run attach -i "$IF" -c "$tmp/ppguard.conf"
tc -n "$S" filter add dev "$IF" egress prio 8 bpf bytecode '1,6 0 0 0,' classid 1:1
run detach -i "$IF"
if [ "$rc" -eq 0 ] && has "pref 8 bpf" tc -n "$S" filter show dev "$IF" egress &&
	grep -q "keeping the clsact" "$tmp/err"; then
	pass "a clsact ppguard made is kept when another filter uses it"
else
	fail "clsact with a foreign filter kept" "$(cat "$tmp/err")"
fi
tc -n "$S" qdisc del dev "$IF" clsact

# ---- xdp through libxdp ----
run attach -i "$IF" -c "$tmp/ppguard.conf" --mode xdp
[ "$rc" -eq 0 ] && pass "attach --mode xdp exits 0" || fail "attach --mode xdp" "$(cat "$tmp/err")"
inS xdp-loader status "$IF" >"$tmp/xs.txt" 2>&1 || true
if grep -q "ppguard_xdp" "$tmp/xs.txt"; then pass "xdp-loader status lists ppguard_xdp"; else
	fail "xdp-loader status lists ppguard_xdp" "$(cat "$tmp/xs.txt")"
fi
if has "program_type ext is available" bpftool feature probe kernel; then
	if grep -q "xdp_dispatcher" "$tmp/xs.txt"; then
		pass "ppguard_xdp runs under libxdp's dispatcher"
	else
		fail "ppguard_xdp runs under libxdp's dispatcher" "$(cat "$tmp/xs.txt")"
	fi
else
	skip "ppguard_xdp runs under libxdp's dispatcher" \
		"this kernel has no BPF_PROG_TYPE_EXT: libxdp attaches the program alone"
fi
check "ip link shows an XDP program on $IF" has 'prog/xdp' ip -n "$S" link show "$IF"
rm -f "$tmp"/u2.*
timeout 10 ip netns exec "$C" python3 "$tmp/client.py" "$tmp/u2" "$tmp/u2.go" 198.18.0.100 || true
if [ "$(cat "$tmp/u2.1" 2>/dev/null)" = fail ]; then
	pass "an untrusted source's header never reaches the server (xdp)"
else
	fail "an untrusted source's header is dropped (xdp)" "$(cat "$tmp/u2.1" 2>/dev/null)"
fi
run attach -i "$IF" -c "$tmp/ppguard.conf" --mode xdp
inS xdp-loader status "$IF" >"$tmp/xs.txt" 2>&1 || true
if [ "$rc" -eq 0 ] && [ "$(grep -c ppguard_xdp "$tmp/xs.txt")" -eq 1 ]; then
	pass "xdp re-attach: one ppguard_xdp left"
else
	fail "xdp re-attach" "$(cat "$tmp/err" "$tmp/xs.txt")"
fi
run status -i "$IF" --json
check "status --json: xdp mode, attached" jpy "$tmp/out" 'd[0]["mode"] == "xdp" and d[0]["attached"] is True'
run detach -i "$IF"
inS xdp-loader status "$IF" >"$tmp/xs.txt" 2>&1 || true
if [ "$rc" -eq 0 ] && ! grep -q ppguard "$tmp/xs.txt" &&
	! has 'prog/xdp' ip -n "$S" link show "$IF" && [ ! -e "$pin" ]; then
	pass "xdp detach: no program (xdp-loader, ip link), no pins"
else
	fail "xdp detach leaves nothing" "$(cat "$tmp/xs.txt"; ip -n "$S" link show "$IF")"
fi
run attach -i "$IF" --mode xdp --xdp-mode skb
check "attach --mode xdp --xdp-mode skb: ip link shows xdpgeneric" \
	has xdpgeneric ip -n "$S" link show "$IF"
run detach -i "$IF"

# ---- the documented example config attaches as is ----
run attach -i "$IF" -c "$root/scripts/ppguard.conf"
run port list -i "$IF" --json
if jpy "$tmp/out" '[(e["port"], e["require"], e["versions"], e["action"]) for e in d] == [(443, True, "v2", "reset"), (8080, False, "v1,v2", "drop")]'; then
	pass "scripts/ppguard.conf attaches: ports 443 and 8080 as documented"
else
	fail "scripts/ppguard.conf attaches" "$(cat "$tmp/err" "$tmp/out")"
fi
run detach -i "$IF"

# ---- bpffs not mounted: attach mounts it ----
# In a private mount namespace without /sys/fs/bpf mounted; the pins die
# with that namespace, so detach runs there too.
rc=0
unshare -m --propagation private sh -c "umount /sys/fs/bpf &&
	nsenter --net=/run/netns/$S -- '$bin' attach -i '$IF' -c '$tmp/ppguard.conf' &&
	stat -f -c %T /sys/fs/bpf | grep -q bpf_fs &&
	nsenter --net=/run/netns/$S -- '$bin' detach -i '$IF'" \
	>"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" -eq 0 ] && grep -q "mounted bpffs" "$tmp/err"; then
	pass "attach mounts bpffs when it is not mounted"
else
	fail "attach mounts bpffs" "rc=$rc $(cat "$tmp/err")"
fi
left=$(tc -n "$S" filter show dev "$IF" ingress; tc -n "$S" qdisc show dev "$IF" | grep clsact || true)
[ -z "$left" ] && [ ! -e "$pin" ] && pass "... and its detach left nothing" ||
	fail "bpffs-mount attach/detach left something" "$left"

echo "1..$n"
exit "$failed"
