#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `ppguard run` end to end: a client and a server namespace joined by a veth;
# on the server side ppguard runs in TC mode (trusting the client's /32 on
# port $SPORT) in front of HAProxy with accept-proxy. Checks the JSON events
# of real connections, the metrics endpoint with promtool and a real
# Prometheus server scraping it, SIGHUP (a broken config keeps the old one, a
# new trusted prefix is applied, the events file is reopened), autoblock
# (blocked4 entry, new SYNs dropped), SIGTERM (detached, nothing left),
# --keep (enforcement continues) and adoption by the next daemon (events of
# the time in between delivered, none counted lost), kill -9, one daemon per
# interface.
#
# The daemon is started with `nsenter --net` (network namespace only): `ip
# netns exec` would remount /sys and so hide the bpffs at /sys/fs/bpf, where
# the pins must be for bpftool and the next daemon to find them.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}

. "$root/tests/lib/tap.sh"
check() { # description command...: pass if the command succeeds
	local d=$1
	shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}
not() { ! "$@"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 - ppguard run end to end # SKIP needs root (BPF, namespaces)"
	exit 0
fi
for t in haproxy prometheus promtool curl python3 bpftool nsenter tc; do
	if ! command -v "$t" >/dev/null; then
		echo "not ok 1 - $t is missing: run make deps"
		exit 1
	fi
done
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make"
	exit 1
fi

P=ppg$$
NS_C=$P-c
NS_S=$P-s
IF_C=${P}c
IF=${P}s # the server side: ppguard's interface (and pin directory name)
CLI=198.18.7.1   # trusted balancer
ATK=198.18.7.3   # untrusted: forges headers
NEW=198.18.7.4   # trusted after the SIGHUP
SRV=198.18.7.2
CLI6=fd00:7::1 # trusted too
SRV6=fd00:7::2
SPORT=9000
MPORT=$((20000 + RANDOM % 20000))
PPORT=$((MPORT + 1))
PIN=/sys/fs/bpf/ppguard/$IF
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-daemon.XXXXXX")
EV=$tmp/events.json
pids=()
dpid=

cleanup() {
	local p
	for p in "${pids[@]}" $dpid; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}" $dpid; do
		wait "$p" 2>/dev/null || true
	done
	if [ -d "$PIN" ]; then
		nsenter --net="/run/netns/$NS_S" "$bin" detach -i "$IF" \
			>/dev/null 2>&1 || rm -rf "$PIN"
	fi
	rm -f "/run/ppguard/$IF.events"
	rmdir /run/ppguard 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	ip netns del "$NS_S" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- topology ----
ip netns add "$NS_C"
ip netns add "$NS_S"
ip link add "$IF_C" type veth peer name "$IF"
ip link set "$IF_C" netns "$NS_C"
ip link set "$IF" netns "$NS_S"
ip -n "$NS_C" addr add "$CLI/24" dev "$IF_C"
ip -n "$NS_C" addr add "$ATK/24" dev "$IF_C"
ip -n "$NS_C" addr add "$NEW/24" dev "$IF_C"
ip -n "$NS_S" addr add "$SRV/24" dev "$IF"
ip -n "$NS_C" addr add "$CLI6/64" dev "$IF_C" nodad
ip -n "$NS_S" addr add "$SRV6/64" dev "$IF" nodad
for ns in "$NS_C" "$NS_S"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_C" link set "$IF_C" up
ip -n "$NS_S" link set "$IF" up

cat >"$tmp/haproxy.cfg" <<EOF
global
	log stdout format raw local0
defaults
	mode http
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend fe
	bind :$SPORT accept-proxy
	bind :::$SPORT v6only accept-proxy
	http-request return status 200 content-type text/plain lf-string "client %[src]\n"
EOF
ip netns exec "$NS_S" haproxy -db -f "$tmp/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
pids+=($!)

conf() { # conf FILE [extra trusted cidr]
	cat >"$1" <<EOF
[global]
mode = tc
events = $EV
[trust]
cidr = $CLI/32
cidr = $CLI6/128
${2:+cidr = $2}
[port $SPORT]
require = yes
versions = v1,v2
action = drop
[autoblock]
threshold = 3
window = 60s
ttl = 10m
EOF
}
conf "$tmp/ppguard.conf"

# start_daemon ARGS...: ppguard run in the server's network namespace
start_daemon() {
	: >"$tmp/run.log"
	nsenter --net="/run/netns/$NS_S" "$bin" run -i "$IF" \
		-c "$tmp/ppguard.conf" --metrics "127.0.0.1:$MPORT" "$@" \
		>"$tmp/run.out" 2>"$tmp/run.log" &
	dpid=$!
	local i
	for i in $(seq 1 100); do
		grep -q "^running on" "$tmp/run.log" && return 0
		kill -0 "$dpid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
stop_daemon() { # stop_daemon SIGNAL: 0 if it exited with status 0
	local rc=0
	kill -"$1" "$dpid" 2>/dev/null || true
	wait "$dpid" || rc=$?
	dpid=
	return $rc
}

# pconn SRC VERSION [CLAIM]: one connection from SRC (0: no header, 1, 2),
# prints the server's answer or what went wrong; 0 when answered.
cat >"$tmp/pconn.py" <<'EOF'
import socket, struct, sys, ipaddress
src, ver, dst, port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
claim = sys.argv[5] if len(sys.argv) > 5 else "203.0.113.9"
req = b"GET / HTTP/1.0\r\n\r\n"
v6 = ":" in claim
if ver == 1:
    hdr = f"PROXY TCP{6 if v6 else 4} {claim} {dst} 40000 {port}\r\n".encode()
elif ver == 2:
    body = ipaddress.ip_address(claim).packed + ipaddress.ip_address(dst).packed
    body += struct.pack("!HH", 40000, port)
    body += b"\x01\x00\x02h2"  # ALPN TLV
    hdr = b"\r\n\r\n\x00\r\nQUIT\n\x21" + (b"\x21" if v6 else b"\x11") + \
        struct.pack("!H", len(body)) + body
else:
    hdr = b""
s = socket.socket(socket.AF_INET6 if ":" in src else socket.AF_INET)
s.bind((src, 0))
s.settimeout(1.5)
try:
    s.connect((dst, port))
    s.sendall(hdr + req)
    r = s.recv(4096)
except OSError as e:
    print("failed: %s" % e)
    sys.exit(1)
body = r.split(b"\r\n\r\n", 1)[-1].decode(errors="replace").strip()
print(body if body else "closed")
sys.exit(0 if body else 1)
EOF
pconn() {
	local dst=$SRV
	case $1 in *:*) dst=$SRV6 ;; esac
	ip netns exec "$NS_C" python3 "$tmp/pconn.py" "$1" "$2" "$dst" \
		"$SPORT" "${3:-203.0.113.9}" 2>&1 || return 1
}

# ev_has KEY=VALUE...: some line of $EV (all of which must be JSON) has
# every given field; waits up to 2 s (the daemon drains every 10 ms).
cat >"$tmp/evhas.py" <<'EOF'
import json, sys
want = {}
for a in sys.argv[2:]:
    k, v = a.split("=", 1)
    try:
        want[k] = json.loads(v)  # numbers
    except ValueError:
        want[k] = v  # names and addresses
found = 0
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    try:
        o = json.loads(line)
    except ValueError:
        print("line %d is not JSON: %r" % (i + 1, line[:80]))
        sys.exit(2)
    if all(o.get(k) == v for k, v in want.items()):
        found += 1
sys.exit(0 if found else 1)
EOF
ev_has() {
	local i
	for i in $(seq 1 40); do
		[ -f "$EV" ] && python3 "$tmp/evhas.py" "$EV" "$@" && return 0
		sleep 0.05
	done
	return 1
}
metrics() {
	ip netns exec "$NS_S" curl -sf "http://127.0.0.1:$MPORT/metrics"
}
blocked_has() { # blocked_has ADDR: ADDR/32 in blocked4
	bpftool -j map dump pinned "$PIN/blocked4" | python3 -c '
import json, sys
want = [int(x) for x in sys.argv[1].split(".")]
keys = [e["formatted"]["key"] for e in json.load(sys.stdin)]
sys.exit(0 if any(k["addr"] == want and k["prefixlen"] == 32
                  for k in keys) else 1)' "$1"
}
trust_has() {
	bpftool -j map dump pinned "$PIN/trust4" | python3 -c '
import json, sys
want = [int(x) for x in sys.argv[1].split(".")]
keys = [e["formatted"]["key"] for e in json.load(sys.stdin)]
sys.exit(0 if any(k["addr"] == want for k in keys) else 1)' "$1"
}
attached() {
	[ -d "$PIN" ] && ip netns exec "$NS_S" tc filter show dev "$IF" ingress |
		grep -q ppguard_tc
}
nothing_left() {
	[ ! -e "$PIN" ] && [ ! -e "/run/ppguard/$IF.events" ] &&
		! ip netns exec "$NS_S" tc filter show dev "$IF" ingress |
			grep -q . &&
		! ip netns exec "$NS_S" tc qdisc show dev "$IF" | grep -q clsact
}

# wait for HAProxy
for i in $(seq 1 50); do
	ip netns exec "$NS_S" ss -Hltn "sport = :$SPORT" | grep -q . && break
	sleep 0.1
done

# ---- 1. start, events ----
if start_daemon && attached; then
	pass "ppguard run attaches in TC mode and serves"
else
	fail "ppguard run attaches in TC mode and serves" "$(cat "$tmp/run.log")"
	exit 1
fi

out=$(pconn "$CLI" 2) || true
check "a trusted v2 header reaches HAProxy (answer: $out)" \
	test "$out" = "client 203.0.113.9"
check "event: trusted_header with the declared client and the ALPN TLV" \
	ev_has reason=trusted_header action=pass peer_addr=$CLI \
	src_addr=203.0.113.9 src_port=40000 port=$SPORT version=2 \
	command=PROXY family=INET hook=tc iface="$IF"
check "event: TLVs decoded (ALPN h2, crc32c absent, not truncated)" \
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["reason"] == "trusted_header":
        t = o["tlvs"][0]
        ok = (t["name"], t["value"], o["crc32c"], o["tlv_truncated"]) == \
            ("ALPN", "h2", "absent", False)
        sys.exit(0 if ok else 1)
sys.exit(1)' "$EV"
check "event: time is RFC 3339 UTC with nanoseconds, within a minute" \
	python3 -c '
import json, sys, datetime, re
o = json.loads(open(sys.argv[1]).readline())
t = o["time"]
if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", t):
    sys.exit(1)
d = datetime.datetime.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")
now = datetime.datetime.utcnow()
sys.exit(0 if abs((now - d).total_seconds()) < 60 else 1)' "$EV"

out=$(pconn "$CLI6" 2 2001:db8::9) || true
check "IPv6: a trusted v2 header (INET6) reaches HAProxy (answer: $out)" \
	test "$out" = "client 2001:db8::9"
check "IPv6 event: peer and declared client as RFC 5952 text" \
	ev_has reason=trusted_header peer_addr=$CLI6 local_addr=$SRV6 \
	src_addr=2001:db8::9 dst_addr=$SRV6 family=INET6

out=$(pconn "$ATK" 1 198.51.100.1) && rc=0 || rc=1
check "an untrusted v1 header is dropped (no answer: $out)" test "$rc" -ne 0
check "event: untrusted_header, action drop, from the attacker" \
	ev_has reason=untrusted_header action=drop peer_addr=$ATK version=1 \
	next_class=proxy

# ---- 2. metrics ----
metrics >"$tmp/m1.txt" || true
check "metrics: ppguard_connections_total counts both trusted headers" \
	grep -q "^ppguard_connections_total{iface=\"$IF\",port=\"$SPORT\",reason=\"trusted_header\",action=\"pass\"} 2\$" "$tmp/m1.txt"
check "metrics: every DESIGN.md section 5 name, HELP and TYPE" \
	bash -c 'for m in ppguard_connections_total ppguard_headers_total \
		ppguard_packets_total ppguard_events_lost_total ppguard_flows \
		ppguard_trust_entries ppguard_autoblocked ppguard_build_info; do
		grep -q "^# HELP $m " "$1" && grep -q "^# TYPE $m " "$1" &&
			grep -q "^$m{" "$1" || exit 1; done' _ "$tmp/m1.txt"
check "metrics: no client address in any label" \
	bash -c '! grep -v "^#" "$1" | grep -qE "198\.18\.|203\.0\.113|fd00:|2001:db8"' _ "$tmp/m1.txt"
if promtool check metrics <"$tmp/m1.txt" >"$tmp/promtool.log" 2>&1; then
	pass "promtool check metrics passes"
else
	fail "promtool check metrics passes" "$(head -5 "$tmp/promtool.log")"
fi
code=$(ip netns exec "$NS_S" curl -s -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$MPORT/other" || true)
check "metrics: another path is 404 (got $code)" test "$code" = 404

# ---- 3. a real Prometheus scraping the daemon ----
mkdir -p "$tmp/tsdb"
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ppguard
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
ip netns exec "$NS_S" prometheus --config.file="$tmp/prometheus.yml" \
	--storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)
prom() { # prom PATH: GET the Prometheus API
	ip netns exec "$NS_S" curl -sf "http://127.0.0.1:$PPORT$1"
}
target_up() {
	prom /api/v1/targets | python3 -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
sys.exit(0 if t and t[0]["health"] == "up" else 1)'
}
# trusted_value: the trusted_header counter as Prometheus has it, or -1
trusted_value() {
	prom "/api/v1/query?query=ppguard_connections_total%7Breason%3D%22trusted_header%22%7D" |
		python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(int(float(r[0]["value"][1])) if r else -1)' 2>/dev/null || echo -1
}
up=0
for i in $(seq 1 150); do
	if target_up 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.1
done
check "Prometheus: the ppguard target is up" test "$up" = 1
v0=-1
for i in $(seq 1 50); do
	v0=$(trusted_value)
	[ "$v0" -ge 1 ] && break
	sleep 0.1
done
pconn "$CLI" 2 >/dev/null || true
v1=$v0
for i in $(seq 1 60); do
	v1=$(trusted_value)
	[ "$v1" -gt "$v0" ] && break
	sleep 0.1
done
check "Prometheus: ppguard_connections_total moved ($v0 -> $v1)" \
	test "$v0" -ge 1 -a "$v1" -eq $((v0 + 1))

# ---- 4. SIGHUP ----
cp "$tmp/ppguard.conf" "$tmp/good.conf"
printf '[global]\nmode = tc\nbogus = 1\n[port 70000]\n' >"$tmp/ppguard.conf"
kill -HUP "$dpid"
for i in $(seq 1 40); do
	grep -q "SIGHUP: .* not applied" "$tmp/run.log" && break
	sleep 0.05
done
check "SIGHUP with a broken config: reported, not applied" \
	grep -q "SIGHUP: .* not applied.*the running config stays" "$tmp/run.log"
out=$(pconn "$CLI" 2) || true
check "... the old config still works (trusted answer: $out)" \
	test "$out" = "client 203.0.113.9"
trust_n=$(bpftool -j map dump pinned "$PIN/trust4" |
	python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
check "... the daemon still runs, trust4 as before ($trust_n entry)" \
	bash -c 'kill -0 "$1" && [ "$2" = 1 ]' _ "$dpid" "$trust_n"

conf "$tmp/ppguard.conf" "$NEW/32"
mv "$EV" "$EV.1" # logrotate
kill -HUP "$dpid"
for i in $(seq 1 40); do
	grep -q "SIGHUP: .* applied" "$tmp/run.log" && trust_has "$NEW" && break
	sleep 0.05
done
check "SIGHUP with a new trusted prefix: trust4 holds it" trust_has "$NEW"
out=$(pconn "$NEW" 2 203.0.113.44) || true
check "... a header from the new prefix is trusted (answer: $out)" \
	test "$out" = "client 203.0.113.44"
check "SIGHUP reopened the events file (logrotate): the new event is there" \
	ev_has reason=trusted_header peer_addr=$NEW src_addr=203.0.113.44

# ---- 5. autoblock: threshold 3 ----
pconn "$ATK" 2 >/dev/null || true
pconn "$ATK" 1 >/dev/null || true # the third, with the one above
for i in $(seq 1 40); do
	blocked_has "$ATK" && break
	sleep 0.05
done
check "autoblock: 3 untrusted headers put the source in blocked4" \
	blocked_has "$ATK"
check "autoblock: logged once" grep -q "autoblock: blocked $ATK" "$tmp/run.log"
check "autoblock: a trusted source is not blocked" not blocked_has "$CLI"
out=$(pconn "$ATK" 0) && rc=0 || rc=1
check "autoblock: a new connection from it, even without a header, fails ($out)" \
	test "$rc" -ne 0
check "event: blocked_source for its SYN" \
	ev_has reason=blocked_source action=drop peer_addr=$ATK
rc=1
for i in $(seq 1 30); do # gauges that walk a map are cached for 1 s
	metrics | grep -q "^ppguard_autoblocked{iface=\"$IF\"} 1\$" && rc=0 && break
	sleep 0.1
done
check "metrics: ppguard_autoblocked is 1" test "$rc" -eq 0

# an entry that expired long ago (expires_ns 1): the sweep removes it
bpftool map update pinned "$PIN/blocked4" key 32 0 0 0 192 0 2 200 \
	value 1 0 0 0 0 0 0 0
for i in $(seq 1 40); do
	blocked_has 192.0.2.200 || break
	sleep 0.1
done
check "autoblock: an expired entry is swept within a second or two" \
	not blocked_has 192.0.2.200
check "autoblock: ... and the live one stays" blocked_has "$ATK"

# ---- 6. one daemon per interface ----
nsenter --net="/run/netns/$NS_S" "$bin" run -i "$IF" -c "$tmp/ppguard.conf" \
	--metrics off >/dev/null 2>"$tmp/second.log" && rc=0 || rc=$?
check "a second daemon on the interface is refused" \
	bash -c '[ "$1" -ne 0 ] && grep -q "already runs on" "$2"' _ "$rc" "$tmp/second.log"

# ---- 7. SIGTERM detaches ----
stop_daemon TERM && rc=0 || rc=$?
check "SIGTERM: the daemon exits with status 0 (got $rc)" test "$rc" -eq 0
check "SIGTERM: detached, nothing left (pins, filter, clsact, state file)" \
	nothing_left

# ---- 8. --keep, kill -9, adoption ----
lost_zero() {
	local m
	m=$(metrics | grep "^ppguard_events_lost_total{" || true)
	if [ "$m" = "ppguard_events_lost_total{iface=\"$IF\"} 0" ]; then
		pass "$1"
	else
		fail "$1" "$m; $(tr '\n' ' ' <"$tmp/run.log")"
	fi
}
conf "$tmp/ppguard.conf"
rm -f "$EV"
start_daemon --keep || fail "ppguard run --keep starts" "$(cat "$tmp/run.log")"
pconn "$CLI" 2 >/dev/null || true
stop_daemon TERM || true
check "--keep: still attached after SIGTERM" attached
out=$(pconn "$ATK" 1) && rc=0 || rc=1
check "--keep: enforcement continues without the daemon ($out)" test "$rc" -ne 0
out=$(pconn "$CLI" 2 203.0.113.77) || true
check "--keep: trusted traffic still passes ($out)" \
	test "$out" = "client 203.0.113.77"

start_daemon --keep || true
check "the next daemon adopts the attachment" \
	grep -q "adopted the attachment" "$tmp/run.log"
check "... and writes the events of the time without a daemon" \
	ev_has reason=trusted_header src_addr=203.0.113.77
lost_zero "... with none counted lost"

{
	kill -9 "$dpid"
	wait "$dpid"
} 2>/dev/null || true # no "Killed" job notice
dpid=
check "kill -9: enforcement stays" attached
pconn "$CLI" 2 203.0.113.78 >/dev/null || true
start_daemon || true
check "a daemon after kill -9 adopts and writes what it missed" \
	ev_has reason=trusted_header src_addr=203.0.113.78
lost_zero "... with none counted lost after kill -9"
stop_daemon INT && rc=0 || rc=$?
check "SIGINT: exits with status 0 (got $rc)" test "$rc" -eq 0
check "SIGINT: detached, nothing left" nothing_left

exit $failed
