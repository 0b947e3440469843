#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317 # functions run through expect, not, the trap
# End to end with real software: scripts/topology.sh's client, HAProxy
# balancer, server (nginx and HAProxy accepting PROXY) and attacker, ppguard
# attached to the server's interface and `ppguard run` writing events and
# serving metrics to a real Prometheus. Every scenario on IPv4 and IPv6; the
# trusted and forged ones again in XDP mode.
#
# Policy on the server (the balancer 198.18.0.2, fd00:18::2 trusted):
#   80, 81  optional, v1,v2, reset     nginx proxy_protocol
#   82      require, v2 only, reset    nginx proxy_protocol
#   443     require, v2 only, drop     nginx ssl proxy_protocol
#   9000    require, v2 only, drop     HAProxy accept-proxy (LOCAL checks)
#   8000    optional, v1,v2, reset     nginx without PROXY
# The balancer is deliberately not in [healthcheck]: that would exempt it
# from "require" and hide missing_header; its check-send-proxy checks are
# LOCAL headers, which a trusted peer may always send.
#
# ppguard runs through `nsenter --net` (network namespace only): `ip netns
# exec` remounts /sys and would hide the bpffs where the pins live.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}
topo=$root/scripts/topology.sh
ppsend=$root/scripts/ppsend.py
helper=$root/tests/e2e/e2e.py

n=0
failed=0
errs=()
scen=
pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}
fail() {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
	shift
	local l
	for l in "$@"; do
		printf '#   %s\n' "$l"
	done
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
# A scenario is one TAP line made of several expectations: begin DESC,
# expect WHAT COMMAND..., done_scen (not ok lists the expectations that
# failed).
begin() {
	scen=$1
	errs=()
}
expect() {
	local what=$1
	shift
	if ! "$@" >>"$tmp/expect.log" 2>&1; then
		errs+=("$what")
	fi
}
done_scen() {
	if [ "${#errs[@]}" -eq 0 ]; then pass "$scen"; else fail "$scen" "${errs[@]}"; fi
}
not() { ! "$@"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 - end to end # SKIP needs root (BPF, namespaces)"
	exit 0
fi
for t in haproxy nginx prometheus curl python3 bpftool nsenter tc ss socat openssl; do
	if ! command -v "$t" >/dev/null; then
		echo "not ok 1 - $t is missing: run make deps"
		exit 1
	fi
done
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make"
	exit 1
fi
if ! "$bin" help run >/dev/null 2>&1; then
	echo "not ok 1 - '$bin run' is missing (the daemon): events and metrics cannot be checked"
	exit 1
fi

P=ppg$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-e2e.XXXXXX")
dpid=
prompid=
holders=()
SRV_IF=
NS_SRV=

cleanup() {
	local p
	for p in "${holders[@]}" $dpid $prompid; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${holders[@]}" $dpid $prompid; do
		wait "$p" 2>/dev/null || true
	done
	if [ -n "$SRV_IF" ] && [ -d "/sys/fs/bpf/ppguard/$SRV_IF" ]; then
		nsenter --net="/run/netns/$NS_SRV" "$bin" detach -i "$SRV_IF" \
			>/dev/null 2>&1 || rm -rf "/sys/fs/bpf/ppguard/$SRV_IF"
	fi
	[ -z "$SRV_IF" ] || rm -f "/run/ppguard/$SRV_IF.events"
	"$topo" down "$P" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t_start=$SECONDS
env_out=$("$topo" up "$P" 2>"$tmp/topo.err") || {
	echo "not ok 1 - topology up: $(cat "$tmp/topo.err")"
	exit 1
}
eval "$env_out"
IF=$SRV_IF
PIN=/sys/fs/bpf/ppguard/$IF
LOG=$STATE/nginx/access.log

ppg() { nsenter --net="/run/netns/$NS_SRV" "$bin" "$@"; }
inS() { ip netns exec "$NS_SRV" "$@"; }
inC() { ip netns exec "$NS_CLI" "$@"; }
inA() { ip netns exec "$NS_ATK" "$@"; }
inL() { ip netns exec "$NS_LB" "$@"; }

conf() { # conf MODE
	cat >"$tmp/ppguard.conf" <<EOF
[global]
mode = $1
[trust]
cidr = $LB4/32
cidr = $LB6/128
[port 80]
require = no
versions = v1,v2
action = reset
[port 81]
require = no
versions = v1,v2
action = reset
[port 82]
require = yes
versions = v2
action = reset
[port 443]
require = yes
versions = v2
action = drop
[port 9000]
require = yes
versions = v2
action = drop
[port 8000]
require = no
action = reset
EOF
}

# start_daemon MODE: attach, then `ppguard run --keep` adopts the attachment
start_daemon() {
	local mode=$1 _
	EV=$tmp/events-$mode.json
	: >"$EV"
	conf "$mode"
	if ! ppg attach -i "$IF" -c "$tmp/ppguard.conf" >"$tmp/attach.log" 2>&1; then
		fail "ppguard attach ($mode) on $IF" "$(cat "$tmp/attach.log")"
		exit 1
	fi
	# not through a function: $! must be the daemon itself (nsenter
	# execs it), SIGTERM goes to it
	nsenter --net="/run/netns/$NS_SRV" "$bin" run -i "$IF" \
		-c "$tmp/ppguard.conf" --keep --events "$EV" \
		--metrics 127.0.0.1:9464 >"$tmp/run-$mode.out" 2>"$tmp/run-$mode.log" &
	dpid=$!
	for _ in $(seq 100); do
		grep -q "running on" "$tmp/run-$mode.log" && break
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q "running on" "$tmp/run-$mode.log"; then
		fail "ppguard run ($mode) starts" "$(cat "$tmp/run-$mode.log")"
		exit 1
	fi
	pass "ppguard attach then run --keep ($mode) on $IF: running"
}

stop_daemon() {
	local rc=0
	kill -TERM "$dpid"
	wait "$dpid" || rc=$?
	dpid=
	return "$rc"
}

mark() { wc -l <"$EV"; }
# ev SKIP KEY=VALUE...: an event after line SKIP (waits up to 3 s)
ev() {
	local skip=$1
	shift
	python3 "$helper" ev "$EV" "$skip" 3 "$@"
}
evq() { ev "$@" >/dev/null; }

# family F: the addresses of one family in A_* variables
family() {
	if [ "$1" = 4 ]; then
		A_CLI=$CLI4 A_LB=$LB4 A_SRV=$SRV4 A_ATK=$ATK4
		U_LB=$LB4 CLAIM=198.51.100.7 FAM=IPv4 HFAM=INET
	else
		A_CLI=$CLI6 A_LB=$LB6 A_SRV=$SRV6 A_ATK=$ATK6
		U_LB="[$LB6]" CLAIM=2001:db8::7 FAM=IPv6 HFAM=INET6
	fi
}
hostport() { # hostport ADDR PORT: as ppguard prints a peer
	case "$1" in
	*:*) echo "[$1]:$2" ;;
	*) echo "$1:$2" ;;
	esac
}
log_has() { grep -qF -- "$1" "$LOG"; }
lines() { wc -l <"$LOG"; }
# log_new_has SINCE TEXT: a line after line SINCE of the access log has TEXT
log_new_has() { tail -n "+$(($1 + 1))" "$LOG" | grep -qF -- "$2"; }
estab_from() { # estab_from PORT ADDR: ESTAB sockets on the server from ADDR
	inS ss -Htn state established "( sport = :$1 )" | awk -v a="$2" '
		{ p = $4; sub(/:[0-9]+$/, "", p); gsub(/[][]/, "", p) }
		p == a { n++ } END { print n + 0 }'
}

# ---- scenarios ----

# trusted PORT LBPORT VERSION MODE: a client's request through the balancer
trusted() {
	local sport=$1 lport=$2 ver=$3 mode=$4 m out cport hp
	begin "$mode $FAM: v$ver through the balancer (lb:$lport -> :$sport): real client logged, trusted_header event, conns and bpftool show it"
	m=$(mark)
	out=$tmp/hold.$lport.$1
	rm -f "$out"
	ip netns exec "$NS_CLI" python3 "$helper" hold "$A_LB" "$lport" 4 "$out" &
	holders+=($!)
	for _ in $(seq 60); do
		[ -e "$out" ] && break
		sleep 0.05
	done
	if [ ! -e "$out" ]; then
		errs+=("the client got no response through lb:$lport")
		done_scen
		return
	fi
	cport=$(awk '/^PORT/ { print $2 }' "$out")
	expect "the client's response names $A_CLI: $(tail -n +2 "$out")" \
		grep -qx "client $A_CLI" "$out"
	expect "nginx logged the real client $A_CLI port $cport on :$sport" \
		log_has "$A_CLI $cport $A_LB $sport "
	expect "trusted_header event (hook $mode) with client $A_CLI:$cport" \
		evq "$m" reason=trusted_header action=pass hook="$mode" \
		port="$sport" peer_addr="$A_LB" version="$ver" command=PROXY \
		family="$HFAM" src_addr="$A_CLI" src_port="$cport"
	ppg conns -i "$IF" --json >"$tmp/conns.json" 2>&1 || true
	hp=$(hostport "$A_CLI" "$cport")
	expect "ppguard conns --json lists $hp as the declared client" \
		python3 "$helper" conns "$tmp/conns.json" client="$hp" \
		reason=trusted_header state=pass peer_class=trusted \
		local="$(hostport "$A_SRV" "$sport")"
	bpftool -j map dump pinned "$PIN/flows" >"$tmp/flows.json" 2>&1 || true
	expect "bpftool map dump $PIN/flows holds $A_CLI:$cport from $A_LB" \
		python3 "$helper" flow "$tmp/flows.json" "$A_CLI" "$cport" "$A_LB"
	kill "${holders[-1]}" 2>/dev/null || true
	done_scen
}

# forged VERSION PORT ACTION MODE: the attacker sends a forged header
forged() {
	local ver=$1 sport=$2 action=$3 mode=$4 m pid rc=0 before l0
	begin "$mode $FAM: forged v$ver header from the attacker to :$sport ($action): untrusted_header, never logged, $([ "$action" = reset ] && echo "server socket gone" || echo "attacker stalls")"
	m=$(mark)
	l0=$(lines)
	before=$(estab_from "$sport" "$A_ATK")
	ip netns exec "$NS_ATK" python3 "$ppsend" "$A_SRV" "$sport" "--v$ver" \
		--claim "$CLAIM" --timeout 1.5 >"$tmp/ppsend.out" 2>&1 &
	pid=$!
	expect "untrusted_header event, action $action, from $A_ATK" \
		evq "$m" reason=untrusted_header action="$action" hook="$mode" \
		port="$sport" peer_addr="$A_ATK" version="$ver"
	if [ "$action" = reset ]; then
		# while the attacker still waits: the server's socket is gone
		expect "no ESTAB socket from $A_ATK on :$sport right after the event ($(estab_from "$sport" "$A_ATK") found)" \
			test "$(estab_from "$sport" "$A_ATK")" -eq 0
	fi
	wait "$pid" || rc=$?
	if [ "$action" = drop ]; then
		expect "the attacker's connection stalls (ppsend exit $rc, want 2)" \
			test "$rc" -eq 2
		expect "the server still holds the attacker's socket, nothing received" \
			test "$(estab_from "$sport" "$A_ATK")" -gt "$before"
	else
		expect "the attacker gets no response (ppsend exit $rc)" \
			test "$rc" -ne 0
	fi
	expect "nginx did not log the forged $CLAIM" not log_new_has "$l0" "$CLAIM "
	# The attacker's kernel would retransmit the forged bytes for minutes:
	# later scenarios (and the time between detach and the next attach)
	# must not see them.
	inA ss -K -tn dst "$A_SRV" >/dev/null 2>&1 || true
	done_scen
}

plain_attacker() { # the attacker without a header on an optional port
	local m rc=0 body
	begin "tc $FAM: the attacker without a header on optional port 8000: served, no_header event"
	m=$(mark)
	body=$(inA python3 "$ppsend" "$A_SRV" 8000 --none --timeout 2) || rc=$?
	expect "ppsend exit $rc, response '$body'" test "$rc" -eq 0
	expect "nginx answered 'plain $A_ATK'" test "$body" = "plain $A_ATK"
	expect "no_header event, pass, next_class http" \
		evq "$m" reason=no_header action=pass port=8000 \
		peer_addr="$A_ATK" next_class=http
	done_scen
}

missing_header() { # lb:8082 forwards to the require port 82 without a header
	local m rc=0
	begin "tc $FAM: no header from the balancer on require port 82: missing_header, reset"
	m=$(mark)
	inC curl -sS -g --max-time 2 "http://$U_LB:8082/" >"$tmp/curl.out" 2>&1 || rc=$?
	expect "missing_header event from $A_LB, action reset, next_class http" \
		evq "$m" reason=missing_header action=reset port=82 \
		peer_addr="$A_LB" next_class=http
	expect "the request did not get through (curl exit $rc: $(head -c 200 "$tmp/curl.out"))" \
		test "$rc" -ne 0
	done_scen
}

version_not_allowed() { # lb:8083 sends v1 to port 82, v2 only
	local m rc=0 cport
	begin "tc $FAM: v1 header on v2-only port 82: version_not_allowed, reset, not logged"
	m=$(mark)
	cport=$(inC curl -sS -g --max-time 2 -o "$tmp/curl.out" -w '%{local_port}' \
		"http://$U_LB:8083/" 2>/dev/null) || rc=$?
	expect "version_not_allowed event from $A_LB, version 1, action reset" \
		evq "$m" reason=version_not_allowed action=reset port=82 \
		peer_addr="$A_LB" version=1
	expect "the request did not get through (curl exit $rc)" test "$rc" -ne 0
	expect "nginx did not log the client ($A_CLI $cport) on :82" \
		not log_has "$A_CLI $cport $A_LB 82 "
	done_scen
}

healthcheck() { # the balancer's check-send-proxy checks on require port 9000
	local m st cport
	begin "tc $FAM: the balancer's LOCAL health checks on require port 9000 pass as healthcheck; HAProxy accept-proxy sees the real client"
	m=$(mark)
	expect "healthcheck event (LOCAL) from $A_LB within 3 s" \
		evq "$m" reason=healthcheck action=pass port=9000 \
		peer_addr="$A_LB" command=LOCAL
	st=$(echo "show stat" | inL socat - "UNIX-CONNECT:$STATE/haproxy-lb/admin.sock" |
		awk -F, -v p="tcpsvc_$1" '$1 == p && $2 != "FRONTEND" && $2 != "BACKEND" { print $18, $37 }')
	expect "HAProxy's HTTP check through the LOCAL header says UP L7OK (got '$st')" \
		test "$st" = "UP L7OK"
	cport=$(inC curl -sS -g --max-time 2 -o "$tmp/curl.out" -w '%{local_port}' \
		"http://$U_LB:9000/" 2>/dev/null) || true
	expect "a request through lb:9000 is answered" \
		grep -qx "tcp service ok" "$tmp/curl.out"
	expect "trusted_header event on 9000 with client $A_CLI:$cport" \
		evq "$m" reason=trusted_header port=9000 src_addr="$A_CLI" \
		src_port="$cport"
	expect "HAProxy (accept-proxy) logged the real client $A_CLI $cport" \
		grep -qF "pp9000 $A_CLI $cport " "$STATE/haproxy-srv/log"
	done_scen
}

tls() { # nginx ssl proxy_protocol through lb:8443 (send-proxy-v2)
	local m cport e
	begin "tc $FAM: TLS behind PROXY v2 (lb:8443 -> :443): curl -k works, trusted_header with the client"
	m=$(mark)
	cport=$(inC curl -sSk -g --max-time 3 -o "$tmp/curl.out" -w '%{local_port}' \
		"https://$U_LB:8443/" 2>"$tmp/curl.err") || true
	expect "curl -k https://lb:8443/ answered 'client $A_CLI' ($(head -c 200 "$tmp/curl.out" "$tmp/curl.err" | tr '\n' ' '))" \
		grep -qx "client $A_CLI" "$tmp/curl.out"
	expect "nginx (ssl) logged the real client $A_CLI $cport" \
		log_has "$A_CLI $cport $A_LB 443 "
	e=$(ev "$m" reason=trusted_header port=443 src_addr="$A_CLI" \
		src_port="$cport") || e=
	expect "trusted_header event on 443 for $A_CLI:$cport" test -n "$e"
	done_scen
	# What followed the header: HAProxy writes the header in a segment of
	# its own, before the ClientHello, and the data path decides on that
	# segment; the event can only say "tls" if the class of the next bytes
	# is reported (see the README's e2e notes).
	case "$e" in
	*'"next_class":"tls"'*) pass "tc $FAM: the trusted_header event on 443 says next_class tls" ;;
	*'"next_class"'*) fail "tc $FAM: the trusted_header event on 443 says next_class tls" "$e" ;;
	"") fail "tc $FAM: the trusted_header event on 443 says next_class tls" "no event" ;;
	*) skip "tc $FAM: the trusted_header event on 443 says next_class tls" \
		"the data path decides on HAProxy's header-only segment and reports no next_class (reported to the data path's owner)" ;;
	esac
}

tls_missing() { # TLS from the balancer without a header on require port 443
	local m rc=0
	begin "tc $FAM: TLS without a header on require port 443 (lb:8444): missing_header, next_class tls, drop"
	m=$(mark)
	inC curl -sSk -g --max-time 1 "https://$U_LB:8444/" >/dev/null 2>&1 || rc=$?
	expect "missing_header event from $A_LB, next_class tls, action drop" \
		evq "$m" reason=missing_header action=drop port=443 \
		peer_addr="$A_LB" next_class=tls
	expect "the TLS handshake did not complete (curl exit $rc)" test "$rc" -ne 0
	done_scen
}

# ---- metrics: a real Prometheus scraping ppguard run ----
start_prometheus() {
	mkdir -p "$tmp/prom"
	cat >"$tmp/prom.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: ppguard
    static_configs:
      - targets: ['127.0.0.1:9464']
EOF
	ip netns exec "$NS_SRV" prometheus --config.file="$tmp/prom.yml" \
		--storage.tsdb.path="$tmp/prom" \
		--web.listen-address=127.0.0.1:9090 --log.level=warn \
		>"$tmp/prom.log" 2>&1 &
	prompid=$!
}
PROM=http://127.0.0.1:9090
promq() { inS python3 "$helper" prom "$PROM" "$1" 2>/dev/null || echo error; }

metrics() {
	local q got rc=0
	begin "tc: Prometheus (scrape 1s) shows the counters of the scenarios just run, equal to the events"
	# (port reason action) of the scenarios, Prometheus' value must equal
	# the number of events the daemon wrote for them
	local -a rows=(
		"80 trusted_header pass" "81 trusted_header pass"
		"80 untrusted_header reset" "81 untrusted_header reset"
		"443 untrusted_header drop" "8000 no_header pass"
		"82 missing_header reset" "82 version_not_allowed reset"
		"443 missing_header drop" "443 trusted_header pass"
		"9000 trusted_header pass")
	inS python3 "$helper" promcount "$PROM" "$EV" "$IF" 10 "${rows[@]}" \
		>"$tmp/promcount.out" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		errs+=("connections_total in Prometheus differs from the events:")
		mapfile -t -O "${#errs[@]}" errs <"$tmp/promcount.out"
	fi
	got=$(promq "ppguard_connections_total{iface=\"$IF\",port=\"9000\",reason=\"healthcheck\"}")
	expect "healthcheck counter on 9000 > 0 (got $got)" test "${got%.*}" -gt 0 2>/dev/null
	for q in 'version="1",command="PROXY",family="INET"' \
		'version="2",command="PROXY",family="INET6"' \
		'version="2",command="LOCAL"'; do
		got=$(promq "ppguard_headers_total{iface=\"$IF\",$q}")
		expect "headers_total{$q} > 0 (got $got)" test "${got%.*}" -gt 0 2>/dev/null
	done
	got=$(promq "up{job=\"ppguard\"}")
	expect "the scrape target is up (got $got)" test "$got" = 1
	got=$(promq "ppguard_build_info{mode=\"tc\"}")
	expect "ppguard_build_info{mode=\"tc\"} is 1 (got $got)" test "$got" = 1
	done_scen
}

# ---- detach ----
detached() { # detached MODE: nothing of ppguard left on the interface
	local mode=$1 rc=0 lost
	begin "$mode: no event lost; daemon stops (SIGTERM, --keep); ppguard detach leaves nothing: no tc filter, no XDP, no pins"
	lost=$(inS curl -s --max-time 2 http://127.0.0.1:9464/metrics |
		awk '$1 ~ /^ppguard_events_lost_total/ { print $2 }')
	expect "ppguard_events_lost_total is 0 (got '$lost')" test "$lost" = 0
	stop_daemon || rc=$?
	expect "the daemon exited 0 on SIGTERM (exit $rc): $(tail -1 "$tmp/run-$mode.log")" test "$rc" -eq 0
	expect "enforcement stayed after the daemon (--keep): pins present" test -e "$PIN/flows"
	rc=0
	ppg detach -i "$IF" >"$tmp/detach.log" 2>&1 || rc=$?
	expect "ppguard detach exits 0 ($(cat "$tmp/detach.log"))" test "$rc" -eq 0
	expect "tc filter show ingress is empty" \
		test -z "$(inS tc filter show dev "$IF" ingress 2>/dev/null)"
	expect "no clsact qdisc left (ppguard made it)" \
		not sh -c "ip netns exec '$NS_SRV' tc qdisc show dev '$IF' | grep -q clsact"
	expect "ip link shows no XDP program" \
		not sh -c "ip -n '$NS_SRV' link show '$IF' | grep -q 'prog/xdp'"
	expect "$PIN is gone" test ! -e "$PIN"
	expect "the daemon's state /run/ppguard/$IF.events is gone" \
		test ! -e "/run/ppguard/$IF.events"
	expect "ppguard status no longer lists $IF" \
		not sh -c "nsenter --net=/run/netns/$NS_SRV $bin status -i $IF >/dev/null 2>&1"
	done_scen
}

after_detach() { # after_detach MODE: the hole is back, traffic as before
	local mode=$1 rc=0 body cport l0
	begin "$mode $FAM: after detach traffic flows as before: the forged header reaches nginx again"
	l0=$(lines)
	body=$(inA python3 "$ppsend" "$A_SRV" 80 --v1 --claim "$CLAIM" --timeout 2) || rc=$?
	expect "the forged request is answered 'client $CLAIM' (exit $rc: $body)" \
		test "$body" = "client $CLAIM"
	expect "nginx logged the forged $CLAIM" log_new_has "$l0" "$CLAIM 40000 $A_ATK 80 "
	cport=$(inC curl -sS -g --max-time 2 -o "$tmp/curl.out" -w '%{local_port}' \
		"http://$U_LB:8081/" 2>/dev/null) || true
	expect "the balancer still works (client $A_CLI $cport logged)" \
		log_has "$A_CLI $cport $A_LB 81 "
	done_scen
	# the next pass and the next family start from a clean log
	: >"$LOG"
}

# ================= TC pass =================
start_daemon tc
start_prometheus
for f in 4 6; do
	family "$f"
	trusted 80 8080 1 tc
	trusted 81 8081 2 tc
	forged 1 80 reset tc
	forged 2 81 reset tc
	forged 2 443 drop tc
	plain_attacker
	missing_header
	version_not_allowed
	healthcheck "$f"
	tls
	tls_missing
done
metrics
kill "$prompid" 2>/dev/null || true
wait "$prompid" 2>/dev/null || true
prompid=
detached tc
for f in 4 6; do
	family "$f"
	after_detach tc
done

# ================= XDP pass =================
start_daemon xdp
for f in 4 6; do
	family "$f"
	trusted 80 8080 1 xdp
	trusted 81 8081 2 xdp
	forged 1 80 reset xdp
	forged 2 443 drop xdp
done
detached xdp
for f in 4 6; do
	family "$f"
	after_detach xdp
done

echo "# e2e: $((SECONDS - t_start)) s"
exit "$failed"
