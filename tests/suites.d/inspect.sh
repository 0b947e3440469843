#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ppguard inspect: the checked-in fixtures (tests/inspect/, made by
# make-fixtures.py: every header shape, VLAN + IPv6 + pcapng, Linux cooked
# v1/v2, a snaplen cut, TCP urgent data, a 6 KB v2 header), broken
# captures (one-line error, exit status), and captures this suite makes
# itself with tcpdump in the e2e topology (scripts/topology.sh): the client
# through HAProxy v1 (lb:8080), v2 (lb:8081), TLS (lb:8443), without a
# header (lb:8082), the balancer's LOCAL health checks (lb:9000), the
# attacker's forged headers and a plain request to :8000, on the server's
# interface and with `tcpdump -i any`. While the capture runs, `ppguard run`
# (dry run) judges the same connections in the kernel: inspect -c must give
# every connection the kernel's reason and action. Assertions read
# `inspect --json` with python3. Prints TAP.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}
fx=$root/tests/inspect

. "$root/tests/lib/tap.sh"
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-inspect.XXXXXX")
topo_prefix=
pids=()
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$topo_prefix" ]; then
		if [ -n "${SRV_IF:-}" ] && [ -d "/sys/fs/bpf/ppguard/$SRV_IF" ]; then
			nsenter --net="/run/netns/$NS_SRV" "$bin" detach \
				-i "$SRV_IF" >/dev/null 2>&1 || true
		fi
		"$root/scripts/topology.sh" down "$topo_prefix" >/dev/null 2>&1 ||
			true
	fi
	if [ -n "${PPG_KEEP:-}" ]; then
		echo "# kept $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# jcheck DESCRIPTION FILE EXPR: EXPR is a python expression over d (the
# document) with helpers L(server), C(client), V(client) -> verdict
jcheck() {
	local d=$1 f=$2 e=$3 out
	if out=$(python3 - "$f" "$e" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
def L(server):
    for l in d["listeners"]:
        if l["server"] == server:
            return l
    raise KeyError("no listener " + server)
def C(client):
    for c in d["connections"]:
        if c["client"] == client:
            return c
    raise KeyError("no connection from " + client)
def V(client):
    v = C(client)["verdict"]
    return (v["reason"], v["action"])
r = eval(sys.argv[2])
if not r:
    print("false:", sys.argv[2])
    sys.exit(1)
EOF
	); then
		pass "$d"
	else
		fail "$d" "$out"
	fi
}

# inspect ARGS... > $tmp/out.json, status in $rc, stderr in $tmp/err
rc=0
inspect() {
	rc=0
	"$bin" inspect "$@" >"$tmp/out.json" 2>"$tmp/err" || rc=$?
}

# ---- fixtures ----
LB=198.18.0.2
cat >"$tmp/t1.conf" <<EOF
[trust]
cidr = $LB/32
[port 80]
require = yes
[port 443]
require = yes
versions = v2
action = reset
[port 9000]
require = yes
EOF

inspect --json "$fx/mixed.pcap"
J=$tmp/mixed.json
cp "$tmp/out.json" "$J"
jcheck "mixed.pcap: 13 connections over 4 listeners, Ethernet" "$J" \
	'd["capture"]["linktype"] == "EN10MB" and d["capture"]["connections"] == 13 and [l["server"] for l in d["listeners"]] == ["198.18.0.100:80", "198.18.0.100:443", "198.18.0.100:8000", "198.18.0.100:9000"] and d["config"] is None and d["would_stop"] is None'
jcheck "port 80: v1 x5, v2 x1 (stacked), malformed 1, split 1, senders lb and attacker" "$J" \
	'(lambda h: (h["v1"], h["v2"], h["stacked"], h["malformed"], h["split"], [s["address"] for s in h["sources"]]) == (5, 1, 1, 1, 1, ["198.18.0.2", "198.18.0.66"]))(L("198.18.0.100:80")["headers"])'
jcheck "v1 header: parsed tuple, then an HTTP request" "$J" \
	'C("198.18.0.2:40001")["header"]["source"] == "198.18.0.10:51001" and C("198.18.0.2:40001")["header"]["destination"] == "198.18.0.100:8080" and C("198.18.0.2:40001")["application"]["request"] == "GET /index.html HTTP/1.1"'
jcheck "v2 header: TLVs decoded (ALPN, AUTHORITY, UNIQUE_ID, valid CRC32C), then TLS with SNI and ALPN" "$J" \
	'(lambda c: [t["name"] for t in c["header"]["tlvs"]] == ["ALPN", "AUTHORITY", "UNIQUE_ID", "CRC32C"] and c["header"]["crc32c"] == "valid" and c["application"]["class"] == "tls" and c["application"]["sni"] == "www.example.test" and c["application"]["alpn"] == "h2,http/1.1")(C("198.18.0.2:40002"))'
jcheck "LOCAL health check counted on :9000" "$J" \
	'L("198.18.0.100:9000")["headers"]["local"] == 1 and C("198.18.0.2:40003")["header"]["command"] == "LOCAL"'
jcheck "a v2 header split over 3 segments is reassembled and reported split" "$J" \
	'C("198.18.0.2:40006")["header"]["segments"] == 3 and C("198.18.0.2:40006")["header"]["split"] and C("198.18.0.2:40006")["application"]["sni"] == "split.example.test"'
jcheck "stacked header: a v1 line after the v2 header" "$J" \
	'C("198.18.0.2:40007")["header"]["stacked"] and C("198.18.0.2:40007")["header"]["stacked_version"] == 1'
jcheck "malformed v1: error and offset" "$J" \
	'C("198.18.0.2:40008")["header"]["result"] == "invalid" and C("198.18.0.2:40008")["header"]["error"] == "v1_bad_addr4" and C("198.18.0.2:40008")["header"]["error_offset"] == 11'
jcheck "a client that sends nothing; plain HTTP; TLS without a header" "$J" \
	'C("198.18.0.2:40009")["first"] == "nothing" and C("198.18.0.66:40005")["first"] == "http" and C("198.18.0.2:40011")["first"] == "tls" and C("198.18.0.2:40011")["application"]["sni"] == "nohdr.example.test" and L("198.18.0.100:443")["without_header"]["tls"] == 1'
jcheck "no SYN: flagged mid-stream, direction guessed from the ports, first bytes not claimed" "$J" \
	'C("198.18.0.66:40010")["midstream"] and C("198.18.0.66:40010")["direction_guessed"] and C("198.18.0.66:40010")["first"] == "unknown" and C("198.18.0.66:40010")["header"] is None and L("198.18.0.100:80")["midstream"] == 1 and any("began before the capture" in x for x in d["notes"])'
jcheck "segments out of order are put back in order (2 segments)" "$J" \
	'C("198.18.0.2:40012")["header"]["result"] == "header" and C("198.18.0.2:40012")["header"]["segments"] == 2'
jcheck "a retransmission with other bytes: flagged, the first copy wins" "$J" \
	'C("198.18.0.2:40013")["stream"]["conflict"] and C("198.18.0.2:40013")["header"]["source"] == "198.18.0.10:51013"'

inspect --json -c "$tmp/t1.conf" "$fx/mixed.pcap"
cp "$tmp/out.json" "$tmp/mixed-c.json"
J=$tmp/mixed-c.json
jcheck "-c: trusted headers pass, LOCAL is healthcheck, unprotected port undecided" "$J" \
	'V("198.18.0.2:40001") == ("trusted_header", "pass") and V("198.18.0.2:40002") == ("trusted_header", "pass") and V("198.18.0.2:40006") == ("trusted_header", "pass") and V("198.18.0.2:40012") == ("trusted_header", "pass") and V("198.18.0.2:40003") == ("healthcheck", "pass") and V("198.18.0.66:40005") == (None, None) and not C("198.18.0.66:40005")["verdict"]["protected"]'
jcheck "-c: forged (also mid-stream), stacked, malformed, missing: the port's action" "$J" \
	'V("198.18.0.66:40004") == ("untrusted_header", "drop") and V("198.18.0.66:40010") == ("untrusted_header", "drop") and V("198.18.0.2:40007") == ("stacked_header", "drop") and V("198.18.0.2:40008") == ("malformed_header", "drop") and V("198.18.0.2:40011") == ("missing_header", "reset")'
jcheck "-c: a client that sent nothing gets no decision, with the reason why" "$J" \
	'V("198.18.0.2:40009") == (None, None) and "no data" in C("198.18.0.2:40009")["verdict"]["note"]'
jcheck "-c: summary says what would break" "$J" \
	'"port 443: 1 connection from 198.18.0.2 without a header would be missing_header (require = yes), action reset" in [w["message"] for w in d["would_stop"]] and ("untrusted_header", "198.18.0.66", 2) in [(w["reason"], w["source"], w["connections"]) for w in d["would_stop"]]'
jcheck "-c: per-listener verdict counts" "$J" \
	'{(v["reason"], v["action"]): v["connections"] for v in L("198.18.0.100:80")["verdicts"]} == {("trusted_header", "pass"): 3, ("untrusted_header", "drop"): 2, ("stacked_header", "drop"): 1, ("malformed_header", "drop"): 1} and L("198.18.0.100:80")["undecided"] == 1'
if [ "$rc" -eq 1 ]; then
	pass "-c: exit status 1 when a trusted peer's connections would be stopped"
else
	fail "-c: exit status 1 when a trusted peer's connections would be stopped" "rc=$rc"
fi

inspect --json -c "$tmp/t1.conf" --dry-run "$fx/mixed.pcap"
jcheck "--dry-run: every violation is logged, exit 0" "$tmp/out.json" \
	'd["config"]["dry_run"] and V("198.18.0.2:40011") == ("missing_header", "log") and V("198.18.0.66:40004") == ("untrusted_header", "log") and all("dry run" in w["message"] for w in d["would_stop"])'
if [ "$rc" -eq 0 ]; then
	pass "--dry-run: exit status 0"
else
	fail "--dry-run: exit status 0" "rc=$rc"
fi

sed 's/^\[port 80\]$/[port 80]\nversions = v2/' "$tmp/t1.conf" >"$tmp/v2only.conf"
inspect --json -c "$tmp/v2only.conf" "$fx/mixed.pcap"
jcheck "versions = v2: a trusted v1 header is version_not_allowed" "$tmp/out.json" \
	'V("198.18.0.2:40001") == ("version_not_allowed", "drop") and V("198.18.0.2:40007") == ("stacked_header", "drop")'

printf '[healthcheck]\ncidr = %s/32\n[port 80]\nrequire = yes\n[port 443]\nrequire = yes\n[port 9000]\n' "$LB" >"$tmp/hc.conf"
inspect --json -c "$tmp/hc.conf" "$fx/mixed.pcap"
jcheck "a healthcheck-only peer may not send headers; its headerless connections pass" "$tmp/out.json" \
	'V("198.18.0.2:40003") == ("untrusted_header", "drop") and V("198.18.0.2:40011") == ("no_header", "pass") and C("198.18.0.2:40011")["verdict"]["peer"] == "healthcheck"'

printf '[trust]\ncidr = 198.18.0.0/24\n[deny_client]\ncidr = 198.18.0.10/32\n[port 80]\n' >"$tmp/deny.conf"
inspect --json -c "$tmp/deny.conf" "$fx/mixed.pcap"
jcheck "[deny_client]: the declared client is denied_client; a /24 trusts the attacker too" "$tmp/out.json" \
	'V("198.18.0.2:40001") == ("denied_client", "drop") and V("198.18.0.66:40004") == ("trusted_header", "pass") and V("198.18.0.2:40009") == (None, None)'

inspect --json -c "$tmp/t1.conf" "$fx/vlan6.pcapng"
jcheck "pcapng, 802.1Q VLAN, IPv6 with a hop-by-hop header: v2 INET6 and v1 TCP6" "$tmp/out.json" \
	'd["capture"]["format"] == "pcapng" and d["capture"]["vlan_tagged"] == 10 and C("[fd00:18::2]:41001")["vlan"] == 42 and C("[fd00:18::2]:41001")["ip"] == 6 and C("[fd00:18::2]:41001")["header"]["family"] == "INET6" and C("[fd00:18::2]:41001")["header"]["source"] == "[fd00:18::10]:52001" and C("[fd00:18::2]:41002")["header"]["source"] == "[fd00:18::10]:52002" and V("[fd00:18::2]:41002") == ("untrusted_header", "drop")'

inspect --json "$fx/sll.pcap"
jcheck "Linux cooked v1 (LINUX_SLL): v1 header then HTTP" "$tmp/out.json" \
	'd["capture"]["linktype"] == "LINUX_SLL" and C("198.18.0.2:42001")["header"]["version"] == 1 and C("198.18.0.2:42001")["application"]["class"] == "http"'
inspect --json "$fx/sll2.pcap"
jcheck "Linux cooked v2 (LINUX_SLL2): v2 header then TLS" "$tmp/out.json" \
	'd["capture"]["linktype"] == "LINUX_SLL2" and C("198.18.0.2:42001")["header"]["version"] == 2 and C("198.18.0.2:42001")["application"]["sni"] == "sll2.test"'

inspect --json -c "$tmp/t1.conf" "$fx/snaplen.pcap"
jcheck "snaplen 80: the cut header is reported incomplete, no verdict is claimed" "$tmp/out.json" \
	'd["capture"]["snaplen"] == 80 and d["capture"]["cut_by_snaplen"] >= 1 and C("198.18.0.2:43001")["stream"]["snaplen_cut"] and C("198.18.0.2:43001")["header"]["truncated"] and V("198.18.0.2:43001") == (None, None) and "snaplen" in C("198.18.0.2:43001")["verdict"]["note"] and any("snaplen" in x for x in d["notes"])'

inspect --json -c "$tmp/t1.conf" "$fx/urgent.pcap"
jcheck "TCP urgent data before a forged header: left out as the kernel drops it (prefix_mismatch), no verdict claimed" "$tmp/out.json" \
	'C("198.18.0.66:44001")["stream"]["urgent"] and V("198.18.0.66:44001") == (None, None) and "urgent" in C("198.18.0.66:44001")["verdict"]["note"] and V("198.18.0.66:44002") == ("no_header", "pass") and any("urgent" in x for x in d["notes"])'

inspect --json -c "$tmp/t1.conf" "$fx/longv2.pcap"
jcheck "a 6 KB v2 header over 5 segments: whole (TLVs, then TLS), judged on its first 128 bytes as the kernel does" "$tmp/out.json" \
	'C("198.18.0.2:45001")["header"]["length"] == 6051 and C("198.18.0.2:45001")["header"]["segments"] == 5 and [t["name"] for t in C("198.18.0.2:45001")["header"]["tlvs"]] == ["NOOP", "AUTHORITY"] and C("198.18.0.2:45001")["application"]["sni"] == "long.test" and V("198.18.0.2:45001") == ("trusted_header", "pass") and C("198.18.0.2:45001")["verdict"]["decided_at"] == 128'

"$bin" inspect -l -c "$tmp/t1.conf" "$fx/mixed.pcap" >"$tmp/text" 2>&1 || true
if grep -q '^198.18.0.100:443: 3 connections  \[port 443: require yes, versions v2, action reset\]' "$tmp/text" &&
	grep -q 'port 443: 1 connection from 198.18.0.2 without a header would be missing_header' "$tmp/text" &&
	grep -q '#11 198.18.0.2:40011 -> 198.18.0.100:443 tls sni=nohdr.example.test  => missing_header, reset' "$tmp/text"; then
	pass "text report: listeners, connections, what would break"
else
	fail "text report: listeners, connections, what would break" "$(head -c 1500 "$tmp/text")"
fi

# ---- broken captures ----
printf 'this is not a capture\n' >"$tmp/garbage.pcap"
inspect "$tmp/garbage.pcap"
if [ "$rc" -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] &&
	grep -q "ppguard: inspect: $tmp/garbage.pcap: not a readable pcap or pcapng capture" "$tmp/err"; then
	pass "not a capture: one line on stderr, exit 65"
else
	fail "not a capture: one line on stderr, exit 65" "rc=$rc $(cat "$tmp/err")"
fi
: >"$tmp/empty.pcap"
inspect "$tmp/empty.pcap"
if [ "$rc" -eq 65 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
	pass "empty file: one line, exit 65"
else
	fail "empty file: one line, exit 65" "rc=$rc $(cat "$tmp/err")"
fi
inspect "$tmp/missing.pcap"
if [ "$rc" -eq 66 ] && grep -q "cannot open .*missing.pcap: No such file" "$tmp/err"; then
	pass "missing file: exit 66"
else
	fail "missing file: exit 66" "rc=$rc $(cat "$tmp/err")"
fi
head -c 3000 "$fx/mixed.pcap" >"$tmp/cut.pcap"
inspect --json "$tmp/cut.pcap"
if [ "$rc" -eq 0 ] && grep -q "ends inside a packet record" "$tmp/err"; then
	jcheck "a file cut inside a record: what came before is reported, and flagged" "$tmp/out.json" \
		'd["capture"]["file_truncated"] and 0 < d["capture"]["packets"] < 68 and "truncated dump file" in d["capture"]["file_error"]'
else
	fail "a file cut inside a record: what came before is reported, and flagged" "rc=$rc $(cat "$tmp/err")"
fi

# ---- captures made here, in the e2e topology ----
e2e_skip() {
	skip "e2e captures (tcpdump in the topology)" "$1"
	exit $failed
}
[ "$(id -u)" -eq 0 ] || e2e_skip "needs root (namespaces)"
for t in tcpdump haproxy nginx curl nsenter openssl; do
	command -v "$t" >/dev/null || {
		fail "$t is missing: run make deps"
		exit 1
	}
done

topo_prefix=ppg$$i
if ! "$root/scripts/topology.sh" up "$topo_prefix" >"$tmp/topo.env" 2>"$tmp/topo.err"; then
	fail "topology up" "$(cat "$tmp/topo.err")"
	exit 1
fi
# shellcheck disable=SC1091
. "$tmp/topo.env"
SRV_IF=${SRV_IF:-eth0}

# The kernel's view of the same traffic: dry run, events to a file
cat >"$tmp/e2e.conf" <<EOF
[global]
dry_run = yes
[trust]
cidr = $LB4/32
cidr = $LB6/128
[port 80]
require = yes
[port 81]
require = yes
[port 82]
require = yes
[port 443]
require = yes
versions = v2
action = reset
[port 9000]
require = yes
EOF
nsenter --net="/run/netns/$NS_SRV" "$bin" run -i "$SRV_IF" -c "$tmp/e2e.conf" \
	--events "$tmp/events.json" --metrics off >"$tmp/run.log" 2>&1 &
runpid=$!
pids+=("$runpid")
for _ in $(seq 1 100); do
	grep -q "running on" "$tmp/run.log" && break
	sleep 0.1
done
grep -q "running on" "$tmp/run.log" || fail "ppguard run started" "$(cat "$tmp/run.log")"

# not through a shell function: $! must be tcpdump's pid (ip netns exec
# execs it), for the SIGINT that makes it finish the file
ip netns exec "$NS_SRV" tcpdump -i "$SRV_IF" -U -s 0 -w "$tmp/eth.pcap" tcp \
	>/dev/null 2>"$tmp/td1.err" &
td1=$!
pids+=("$td1")
ip netns exec "$NS_SRV" tcpdump -i any -U -s 0 -w "$tmp/any.pcap" tcp \
	>/dev/null 2>"$tmp/td2.err" &
td2=$!
pids+=("$td2")
for _ in $(seq 1 100); do
	grep -q "listening on" "$tmp/td1.err" && grep -q "listening on" "$tmp/td2.err" && break
	sleep 0.1
done

cx() { ip netns exec "$NS_CLI" "$@"; }
ax() { ip netns exec "$NS_ATK" "$@"; }
for i in 1 2 3; do
	cx curl -s -m 5 -o /dev/null "http://$LB4:8080/v1/$i" || true
	cx curl -s -m 5 -o /dev/null "http://$LB4:8081/v2/$i" || true
done
cx curl -s -m 5 -o /dev/null "http://[$LB6]:8080/v1six" || true
cx curl -sk -m 5 -o /dev/null --resolve "server.ppguard.test:8443:$LB4" \
	"https://server.ppguard.test:8443/tls" || true
cx curl -s -m 5 -o /dev/null "http://$LB4:8082/noheader" || true
ax python3 "$root/scripts/ppsend.py" "$SRV4" 80 --v1 --claim 203.0.113.7 >/dev/null 2>&1 || true
ax python3 "$root/scripts/ppsend.py" "$SRV4" 81 --v2 --split 7 --claim 203.0.113.8 >/dev/null 2>&1 || true
ax python3 "$root/scripts/ppsend.py" "$SRV4" 8000 --none >/dev/null 2>&1 || true
sleep 2.5 # two LOCAL health checks from the balancer at least
kill -INT "$td1" "$td2" 2>/dev/null || true
wait "$td1" 2>/dev/null || true
wait "$td2" 2>/dev/null || true
sleep 0.3
kill -TERM "$runpid" 2>/dev/null || true
wait "$runpid" 2>/dev/null || true

inspect --json -c "$tmp/e2e.conf" "$tmp/eth.pcap"
cp "$tmp/out.json" "$tmp/eth.json"
J=$tmp/eth.json
jcheck "capture on the server's interface: the listeners of the topology" "$J" \
	"{'$SRV4:80', '$SRV4:81', '$SRV4:443', '$SRV4:8000', '$SRV4:9000'} <= {l['server'] for l in d['listeners']}"
jcheck "HAProxy send-proxy: v1 headers from the balancer for the client, then HTTP" "$J" \
	"(lambda h: h['v1'] >= 3 and '$LB4' in [s['address'] for s in h['sources']] and '$CLI4' in [s['address'] for s in h['declared_clients']] and h['after']['http'] >= 3)(L('$SRV4:80')['headers'])"
jcheck "HAProxy send-proxy-v2: v2 headers from the balancer" "$J" \
	"(lambda h: h['v2'] >= 3 and h['proxy'] >= 3 and '$LB4' in [s['address'] for s in h['sources']])(L('$SRV4:81')['headers'])"
jcheck "an IPv6 client behind the balancer: a TCP6 header declaring it" "$J" \
	"any(c['header'] and c['header']['family'] == 'INET6' and c['header']['source'].startswith('[$CLI6]:') for c in d['connections'])"
jcheck "TLS through the balancer: v2 header, then a ClientHello with the SNI" "$J" \
	"(lambda h: h['v2'] >= 1 and h['after']['tls'] >= 1 and h['sni'].get('server.ppguard.test', 0) >= 1)(L('$SRV4:443')['headers'])"
jcheck "the balancer's health checks: LOCAL v2 headers on :9000 (LOCAL = health checks)" "$J" \
	"L('$SRV4:9000')['headers']['local'] >= 2 and all(c['verdict']['reason'] == 'healthcheck' for c in d['connections'] if c['server'] == '$SRV4:9000' and c['header'] and c['header']['command'] == 'LOCAL')"
jcheck "the attacker: a forged v1 header on :80, a forged v2 split over 2 segments on :81" "$J" \
	"'$ATK4' in [s['address'] for s in L('$SRV4:80')['headers']['sources']] and any(c['client'].startswith('$ATK4:') and c['header'] and c['header']['split'] for c in d['connections'] if c['server'] == '$SRV4:81')"
jcheck "the attacker's plain request to :8000 has no header" "$J" \
	"L('$SRV4:8000')['without_header']['http'] >= 1 and L('$SRV4:8000')['headers']['connections'] == 0"
jcheck "the balancer without a header on a require port: missing_header (logged: dry run)" "$J" \
	"any(c['client'].startswith('$LB4:') and c['first'] == 'http' and c['verdict']['reason'] == 'missing_header' and c['verdict']['action'] == 'log' for c in d['connections'])"

# inspect -c against the kernel's own decisions on the same connections
if out=$(python3 - "$J" "$tmp/events.json" <<'EOF' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
ev = {}
for line in open(sys.argv[2]):
    line = line.strip()
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    if e.get("reason") == "prefix_mismatch":
        continue
    ev[(e["peer_addr"], e["peer_port"], e["port"])] = (e["reason"], e["action"])
def key(c):
    a, p = c["client"].rsplit(":", 1)
    return (a.strip("[]"), int(p), int(c["server"].rsplit(":", 1)[1]))
checked, bad = 0, []
for c in d["connections"]:
    # whole in the capture: from the SYN to the client's FIN or a RST (a
    # health check caught at the capture's edge is not)
    if not c["syn"] or not c["closed"]:
        continue
    k = key(c)
    v = c["verdict"]
    mine = (v["reason"], v["action"]) if v["reason"] else None
    kern = ev.pop(k, None)
    if mine != kern:
        bad.append(f"{c['client']} -> {c['server']}: inspect {mine}, kernel {kern}")
    checked += mine is not None
reasons = {r for r, a in [ (c["verdict"]["reason"], 0) for c in d["connections"]] if r}
if bad or checked < 10 or not {"trusted_header", "untrusted_header", "healthcheck", "missing_header"} <= reasons:
    print(f"checked {checked}, {len(bad)} differ, reasons {sorted(reasons)}")
    print("\n".join(bad[:10]))
    sys.exit(1)
print(f"{checked} decisions match")
EOF
); then
	pass "inspect -c gives every captured connection the kernel's reason and action ($out)"
else
	fail "inspect -c gives every captured connection the kernel's reason and action" "$out $(head -5 "$tmp/run.log")"
fi

inspect --json "$tmp/any.pcap"
cp "$tmp/out.json" "$tmp/any.json"
jcheck "tcpdump -i any: Linux cooked capture, same headers, and the server's loopback traffic" "$tmp/any.json" \
	"d['capture']['linktype'] in ('LINUX_SLL', 'LINUX_SLL2') and L('$SRV4:80')['headers']['v1'] >= 3 and L('$SRV4:9000')['headers']['local'] >= 2 and L('127.0.0.1:9001')['without_header']['connections'] >= 1"

exit $failed
