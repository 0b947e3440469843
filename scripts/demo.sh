#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make demo`: ppguard in front of real servers, in a few narrated screens.
#   1. scripts/topology.sh brings up a client, an HAProxy balancer, a server
#      (nginx with `listen 80 proxy_protocol`) and an attacker in network
#      namespaces; a request through the balancer: nginx logs the client.
#   2. The hole: the attacker reaches the server directly with a forged
#      PROXY header and nginx logs the address it claimed.
#   3. ppguard attach + ppguard run on the server's interface.
#   4. The same forged request: reset in the kernel, nginx logs nothing,
#      and the JSON event says why; the balancer's request still works.
#   5. ppguard status, and a few lines of the Prometheus metrics.
#   6. The parser alone: syntax cannot tell a forged header from a real one.
# Everything is torn down at the end. No prompts, well under a minute, safe
# to run twice (namespaces named after a per-run prefix). Every step is
# checked: the script exits non-zero if one did not behave as narrated.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

PPG=${PPG_BIN:-$root/build/ppguard}
TOPO=$root/scripts/topology.sh
PPSEND=$root/scripts/ppsend.py
HELPER=$root/tests/e2e/e2e.py
FORGED_IP=198.51.100.7 # documentation range (RFC 5737)
MPORT=9464

fail() {
	echo "demo: FAILED: $*" >&2
	exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, BPF)"
[ -x "$PPG" ] || fail "$PPG is missing (run make)"
for t in haproxy nginx python3 curl nsenter ss openssl; do
	command -v "$t" >/dev/null || fail "$t is missing (run make deps)"
done
"$PPG" help run >/dev/null 2>&1 ||
	fail "$PPG has no 'run' command (the daemon): rebuild with make"

P=ppgd$$
tmp=$(mktemp -d "/tmp/$P-demo.XXXXXX")
dpid=
SRV_IF=
cleanup() {
	if [ -n "$dpid" ]; then
		kill "$dpid" 2>/dev/null || true
		wait "$dpid" 2>/dev/null || true
	fi
	if [ -n "$SRV_IF" ] && [ -d "/sys/fs/bpf/ppguard/$SRV_IF" ]; then
		nsenter --net="/run/netns/$NS_SRV" "$PPG" detach -i "$SRV_IF" \
			>/dev/null 2>&1 || true
	fi
	PPG_BIN=$PPG "$TOPO" down "$P" >/dev/null 2>&1 || true
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
# on HOST CMD...: show "HOST$ CMD" and run it in HOST's namespace; output
# to stdout and $out; $rc holds the exit status. ppguard runs through
# nsenter --net (ip netns exec would hide the bpffs that holds its pins).
on() {
	local host=$1 ns
	shift
	case "$host" in
	client) ns=$NS_CLI ;;
	attacker) ns=$NS_ATK ;;
	server) ns=$NS_SRV ;;
	esac
	printf '%s$ %s\n' "$host" "$(show "$@")"
	set +e
	if [ "$1" = ppguard ]; then
		shift
		out=$(nsenter --net="/run/netns/$ns" "$PPG" "$@" 2>&1)
	else
		out=$(ip netns exec "$ns" "$@" 2>&1)
	fi
	rc=$?
	set -e
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  /'
}
show() { # the command as an operator would type it
	local a s=
	for a in "$@"; do
		case "$a" in
		"$PPSEND") a=ppsend.py ;;
		"$tmp"/*) a=${a#"$tmp"/} ;;
		esac
		s+="$a "
	done
	printf '%s' "${s% }"
}
last_log() { tail -1 "$STATE/nginx/access.log" 2>/dev/null || true; }
nlog() { wc -l <"$STATE/nginx/access.log" 2>/dev/null || echo 0; }

heading "ppguard demo: who may send a PROXY header"
env_out=$(PPG_BIN=$PPG "$TOPO" up "$P" 2>"$tmp/topo.err") ||
	fail "topology: $(cat "$tmp/topo.err")"
eval "$env_out"
say "Four hosts in network namespaces ($P-*), on one bridge:"
say ""
printf '  %-8s %-13s──┐ curl\n' client "$CLI4"
printf '  %-8s %-13s──┤ HAProxy :8080 -> server:80 with send-proxy (PROXY v1)\n' \
	balancer "$LB4"
printf '  %-8s %-13s──┤ nginx: listen 80 proxy_protocol (interface %s)\n' \
	server "$SRV4" "$SRV_IF"
printf '  %-8s %-13s──┘ reaches the server directly\n' attacker "$ATK4"
say ""
say "nginx trusts the PROXY header: it is how the balancer tells who the"
say "client is. Its access log shows: the header's client and port, the TCP"
say "peer, the local port, the request."

heading "1/5  A real request through the balancer"
on client curl -s "http://$LB4:8080/"
if [ "$rc" -ne 0 ] || [ "$out" != "client $CLI4" ]; then
	fail "the request through the balancer did not come back as client $CLI4"
fi
say "nginx's access log:"
say "  $(last_log)"
case "$(last_log)" in
"$CLI4 "*" $LB4 80 "*) ;;
*) fail "nginx did not log the real client $CLI4 behind $LB4" ;;
esac
say "=> the TCP peer is the balancer; the PROXY header names the real client."

heading "2/5  The hole: the attacker talks to the server directly"
say "Nothing stops the attacker from writing the header itself:"
on attacker python3 "$PPSEND" "$SRV4" 80 --v1 --claim "$FORGED_IP"
if [ "$rc" -ne 0 ] || [ "$out" != "client $FORGED_IP" ]; then
	fail "without ppguard the forged request should be answered as $FORGED_IP"
fi
say "nginx's access log:"
say "  $(last_log)"
case "$(last_log)" in
"$FORGED_IP 40000 $ATK4 80 "*) ;;
*) fail "nginx did not log the forged $FORGED_IP" ;;
esac
say "=> nginx believed it: rate limits, allow-lists and logs now see $FORGED_IP."
say "   (nginx's set_real_ip_from only decides what \$remote_addr says; the"
say "   header itself is read from anyone.)"

heading "3/5  ppguard on the server: only the balancer may send a header"
cat >"$tmp/ppguard.conf" <<EOF
[trust]
cidr = $LB4/32
cidr = $LB6/128
[port 80]
versions = v1,v2
action = reset
EOF
say "ppguard.conf:"
sed 's/^/  /' "$tmp/ppguard.conf"
on server ppguard attach -i "$SRV_IF" -c "$tmp/ppguard.conf"
[ "$rc" -eq 0 ] || fail "ppguard attach failed"
printf 'server$ ppguard run -i %s -c ppguard.conf --keep --events events.json &\n' "$SRV_IF"
nsenter --net="/run/netns/$NS_SRV" "$PPG" run -i "$SRV_IF" \
	-c "$tmp/ppguard.conf" --keep --events "$tmp/events.json" \
	--metrics "127.0.0.1:$MPORT" >"$tmp/run.out" 2>"$tmp/run.log" &
dpid=$!
for _ in $(seq 100); do
	grep -q "running on" "$tmp/run.log" && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.05
done
grep -q "running on" "$tmp/run.log" ||
	fail "ppguard run did not start: $(cat "$tmp/run.log")"
sed 's/^/  /' "$tmp/run.log"

heading "4/5  The same forged request, with ppguard"
before=$(nlog)
ev0=$(wc -l <"$tmp/events.json")
printf 'attacker$ %s\n' "$(show python3 "$PPSEND" "$SRV4" 80 --v1 --claim "$FORGED_IP" --timeout 1.5)"
ip netns exec "$NS_ATK" python3 "$PPSEND" "$SRV4" 80 --v1 \
	--claim "$FORGED_IP" --timeout 1.5 >"$tmp/ppsend.out" 2>&1 &
apid=$!
python3 "$HELPER" ev "$tmp/events.json" "$ev0" 3 reason=untrusted_header \
	peer_addr="$ATK4" port=80 >"$tmp/ev.json" ||
	fail "no untrusted_header event for the attacker"
# right away, while the attacker still waits for an answer
estab=$(ip netns exec "$NS_SRV" ss -Htn state established "( sport = :80 )" |
	grep -cF "$ATK4:" || true)
arc=0
wait "$apid" || arc=$?
apid=
sed 's/^/  /' "$tmp/ppsend.out"
[ "$arc" -ne 0 ] || fail "the forged request was answered"
printf "server\$ ss -Htn state established '( sport = :80 )' | grep -c %s\n  %s\n" \
	"$ATK4:" "$estab"
[ "$estab" -eq 0 ] || fail "the server still holds the attacker's connection"
say "nginx's access log: $(($(nlog) - before)) new lines."
[ "$(nlog)" -eq "$before" ] || fail "nginx logged something for the forged request"
say "ppguard's event (events.json):"
python3 -m json.tool "$tmp/ev.json" | sed 's/^/  /'
grep -q '"action":"reset"' "$tmp/ev.json" || fail "the event's action is not reset"
say "=> The segment carrying the header was turned into a RST in the kernel:"
say "   nginx's socket was torn down before it read a byte; the attacker hears"
say "   nothing back."
say ""
say "The balancer is still trusted:"
ev0=$(wc -l <"$tmp/events.json")
on client curl -s "http://$LB4:8080/"
[ "$out" = "client $CLI4" ] || fail "the balancer's request no longer works"
python3 "$HELPER" ev "$tmp/events.json" "$ev0" 3 reason=trusted_header \
	peer_addr="$LB4" src_addr="$CLI4" >"$tmp/ev2.json" ||
	fail "no trusted_header event for the balancer's request"
say "ppguard's event: $(python3 -c 'import json, sys
e = json.load(open(sys.argv[1]))
print("%s from %s:%s, PROXY v%s, client %s:%s" % (e["reason"], e["peer_addr"],
      e["peer_port"], e["version"], e["src_addr"], e["src_port"]))' "$tmp/ev2.json")"

heading "5/5  What an operator sees"
on server ppguard status -i "$SRV_IF"
[ "$rc" -eq 0 ] || fail "ppguard status says ppguard is not attached"
grep -q "untrusted_header" <<<"$out" || fail "status shows no untrusted_header"
say ""
printf 'server$ curl -s 127.0.0.1:%s/metrics | grep -v " 0$" | grep ...\n' "$MPORT"
metrics=""
for _ in $(seq 20); do
	metrics=$(ip netns exec "$NS_SRV" curl -s --max-time 2 \
		"http://127.0.0.1:$MPORT/metrics" | grep -v ' 0$' |
		grep -E '^ppguard_(connections_total|headers_total|build_info)' || true)
	grep -q 'reason="untrusted_header",action="reset"} [1-9]' <<<"$metrics" && break
	sleep 0.1
done
printf '%s\n' "$metrics" | sed 's/^/  /'
grep -q 'port="80",reason="untrusted_header",action="reset"} 1$' <<<"$metrics" ||
	fail "the metrics do not count the forged request"
grep -q 'port="80",reason="trusted_header",action="pass"} 1$' <<<"$metrics" ||
	fail "the metrics do not count the balancer's request"

heading "The parser alone cannot tell"
printf 'PROXY TCP4 %s %s 40000 80\r\nGET / HTTP/1.0\r\n\r\n' "$FORGED_IP" "$SRV4" \
	>"$tmp/forged.bin"
printf '$ ppguard parse forged.bin   # the bytes the attacker sent\n'
set +e
out=$("$PPG" parse "$tmp/forged.bin" 2>&1)
rc=$?
set -e
printf '%s\n' "$out" | sed 's/^/  /'
[ "$rc" -eq 0 ] || fail "ppguard parse rejected a well-formed header"
say "=> Well-formed, so only who sent it matters: that is what ppguard checks."

heading "Teardown"
kill -TERM "$dpid"
drc=0
wait "$dpid" || drc=$?
dpid=
[ "$drc" -eq 0 ] || fail "ppguard run exited $drc on SIGTERM"
on server ppguard detach -i "$SRV_IF"
[ "$rc" -eq 0 ] || fail "ppguard detach failed"
[ ! -e "/sys/fs/bpf/ppguard/$SRV_IF" ] || fail "pins left in /sys/fs/bpf/ppguard/$SRV_IF"
PPG_BIN=$PPG "$TOPO" down "$P"
ip netns list | grep -q "^$P-" && fail "namespaces $P-* left behind"
say "namespaces, processes and pins removed."

echo
echo "demo: all steps behaved as described"
