#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck disable=SC2317 # functions run from the trap
# Faults: enforcement never opens, nothing is lost without being counted.
#
# On scripts/topology.sh's hosts (client -> HAProxy balancer lb:8081
# send-proxy-v2 -> nginx proxy_protocol on server:81; the attacker talks to
# the server directly), ppguard guards the server's interface, port 81
# (optional header, v1,v2, action reset), the balancer trusted. Traffic
# comes from tests/faults/loop.py (trusted clients through the balancer,
# attackers forging headers claiming 203.0.113.X) and from
# build/tests/synflood (raw-socket SYNs and SYN + first-segment pairs from
# spoofed sources in 198.18.128.0/17, whose SYN-ACKs the server routes to
# the attacker, where they die).
#
#  0. control: without ppguard a forged header does reach nginx's log (so
#     the log checks below can fail);
#  1. attach, re-attach (atomic replace) and detach while traffic flows, TC
#     then XDP: long-lived keep-alive connections through the balancer
#     (v4 and v6, a request every 100 ms) opened before the attach never
#     break, new trusted connections never fail; the flows that predate
#     the attach take the stateless path;
#  2. `ppguard run` killed with SIGKILL under load: enforcement goes on, a
#     new daemon adopts the pins and writes what the ring kept meanwhile;
#     the kernel's decision count equals the events written by both
#     daemons plus the lost counters of `ppguard status`;
#  3. SIGHUP with broken configs between good ones under load: the trusted
#     loop never fails, the balancer is covered by trust4 in every sample;
#  4. a full ring buffer (daemon stopped with SIGSTOP, 25,000 spoofed
#     connection decisions): verdicts unchanged, the losses counted in
#     status and, once the daemon runs again, in ppguard_events_lost_total;
#  5. a flow table filled by 1,000,000 spoofed SYNs: the success rate of
#     trusted connections through the balancer meanwhile (>= 99 %).
# Cases 2-5 run with the daemon in TC mode, then again in XDP mode
# (FAULTS_MODES="tc xdp"). Every number is printed as a TAP comment.
# Everything (loops and daemons by pid, topology, pins, state file, temp
# files) goes in the EXIT trap; FAULTS_KEEP=1 keeps the temp directory
# (records, events, daemon logs, nginx's log) for a post-mortem.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}
topo=$root/scripts/topology.sh
loop=$root/tests/faults/loop.py
flood=$root/build/tests/synflood
ppsend=$root/scripts/ppsend.py

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
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | sed 's/^/#   /'
	done
}
note() { echo "# $*"; }

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 - faults # SKIP needs root (BPF, namespaces, raw sockets)"
	exit 0
fi
for t in haproxy nginx python3 nsenter tc ss curl bpftool nstat; do
	if ! command -v "$t" >/dev/null; then
		echo "not ok 1 - $t is missing: run make deps"
		exit 1
	fi
done
for f in "$bin" "$flood"; do
	if [ ! -x "$f" ]; then
		echo "not ok 1 - $f is missing: run make all tests-build"
		exit 1
	fi
done

P=ppg$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-faults.XXXXXX")
declare -A lpid=() # loop name -> pid
dpid=
SRV_IF=
NS_SRV=

cleanup() {
	local p
	set +e
	for p in "${!lpid[@]}"; do
		touch "$tmp/$p.stop"
	done
	[ -z "$dpid" ] || kill -CONT "$dpid" 2>/dev/null
	for p in "${lpid[@]}" $dpid; do
		kill "$p" 2>/dev/null
	done
	for p in "${lpid[@]}" $dpid; do
		wait "$p" 2>/dev/null
	done
	if [ -n "$SRV_IF" ] && [ -d "/sys/fs/bpf/ppguard/$SRV_IF" ]; then
		nsenter --net="/run/netns/$NS_SRV" "$bin" detach -i "$SRV_IF" \
			>/dev/null 2>&1 || rm -rf "/sys/fs/bpf/ppguard/$SRV_IF"
	fi
	[ -z "$SRV_IF" ] || rm -f "/run/ppguard/$SRV_IF.events"
	rmdir /run/ppguard 2>/dev/null
	[ -z "${FAULTS_KEEP:-}" ] || cp "${LOG:-/dev/null}" "$tmp/access.log"
	"$topo" down "$P" >/dev/null 2>&1
	if [ -n "${FAULTS_KEEP:-}" ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

env_out=$("$topo" up "$P" 2>"$tmp/topo.err") || {
	echo "not ok 1 - topology up: $(cat "$tmp/topo.err")"
	exit 1
}
eval "$env_out"
IF=$SRV_IF
LOG=$STATE/nginx/access.log
MPORT=$((20000 + RANDOM % 20000))
CONF=$tmp/ppguard.conf

ppg() { nsenter --net="/run/netns/$NS_SRV" "$bin" "$@"; }
now() { date +%s.%N; }

# conf FILE TRUST4 TRUST6: port 81 guarded, the balancer trusted
conf() {
	cat >"$1" <<EOF
[global]
mode = tc
[trust]
cidr = $2
cidr = $3
[port 81]
require = no
versions = v1,v2
action = reset
EOF
}
conf "$CONF" "$LB4/32" "$LB6/128"

# ---- traffic loops (tests/faults/loop.py), by name ----
# start_loop NAME NS ARGS...: records in $tmp/NAME.rec, summary NAME.sum
start_loop() {
	local name=$1 ns=$2
	shift 2
	rm -f "$tmp/$name.stop" "$tmp/$name.rec"
	ip netns exec "$ns" python3 "$loop" "$@" --out "$tmp/$name.rec" \
		--stop "$tmp/$name.stop" >"$tmp/$name.sum" 2>"$tmp/$name.err" &
	lpid[$name]=$!
}
# stop_loop NAME: its exit status
stop_loop() {
	local rc=0
	touch "$tmp/$1.stop"
	wait "${lpid[$1]}" || rc=$?
	unset "lpid[$1]"
	return "$rc"
}
trusted_loop() { # NAME [WORKERS [ARGS]]: new connections through the balancer
	local name=$1 w=${2:-2}
	shift $(($# < 2 ? $# : 2))
	start_loop "$name" "$NS_CLI" short "$LB4" 8081 --workers "$w" \
		--expect "client $CLI4" "$@"
}
attack_loop() { # NAME [ARGS]: forged v1/v2 headers straight to the server
	local name=$1
	shift
	start_loop "$name" "$NS_ATK" short "$SRV4" 81 --header mix \
		--workers 4 --timeout 0.5 "$@"
}
# wait_records NAME COUNT: at least COUNT records (10 s at most)
wait_records() {
	for _ in $(seq 200); do
		[ -f "$tmp/$1.rec" ] &&
			[ "$(wc -l <"$tmp/$1.rec")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# counts NAME [FROM [TO]]: "outcome=count ..." of the records in a window
counts() {
	python3 - "$tmp/$1.rec" "${2:-0}" "${3:-1e12}" <<'EOF'
import sys
c = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 2 or not float(sys.argv[2]) <= float(f[0]) < float(sys.argv[3]):
        continue
    c[f[1]] = c.get(f[1], 0) + 1
print(" ".join("%s=%d" % kv for kv in sorted(c.items())) or "none=0")
EOF
}
cnt() { # cnt "COUNTS" OUTCOME: the number
	local w
	for w in $1; do
		[ "${w%%=*}" = "$2" ] && echo "${w#*=}" && return
	done
	echo 0
}
forged_logged() { grep -c '^203\.0\.113\.' "$LOG" || true; }

# ---- status and daemon ----
status() { ppg status -i "$IF" --json >"$tmp/status.json" 2>"$tmp/status.err"; }
# sj EXPR: a value of the last status (d: its object)
sj() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))[0]
dec = sum(sum(a.values()) for a in d["connections"].values())
de = d.get("daemon_events") or {}
print(eval(sys.argv[2]))' "$tmp/status.json" "$1"
}

# start_daemon NAME MODE: `ppguard run --keep --mode MODE`, events to
# $tmp/ev-NAME.json, messages in $tmp/run-NAME.log
start_daemon() {
	: >"$tmp/run-$1.log"
	nsenter --net="/run/netns/$NS_SRV" "$bin" run -i "$IF" -c "$CONF" \
		--mode "$2" --keep --events "$tmp/ev-$1.json" \
		--metrics "127.0.0.1:$MPORT" \
		>"$tmp/run-$1.out" 2>"$tmp/run-$1.log" &
	dpid=$!
	for _ in $(seq 200); do
		grep -q "running on" "$tmp/run-$1.log" && return 0
		kill -0 "$dpid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
# settle: the daemon wrote every decision the kernel made (1 s quiet)
settle() {
	local prev=-1 cur
	for _ in $(seq 100); do
		status
		cur=$(sj 'dec - d["events_lost"] - de.get("consumed", 0) - de.get("lost_while_down", 0)')
		[ "$cur" = 0 ] && [ "$prev" = 0 ] && return 0
		prev=$cur
		sleep 0.1
	done
	return 1
}
# snap FILE...: a status and the complete event lines of each FILE (in
# SNAP_W) taken while no decision happened in between
snap() {
	local a f
	for _ in $(seq 20); do
		settle || true
		a=$(sj dec)
		SNAP_W=()
		for f; do
			SNAP_W+=("$(json_lines "$f")")
		done
		status
		[ "$(sj dec)" = "$a" ] && return 0
	done
	return 1
}
metrics() { ip netns exec "$NS_SRV" curl -sf "http://127.0.0.1:$MPORT/metrics"; }
json_lines() { # FILE: complete JSON lines (a daemon killed mid-line
	# leaves a partial one)
	python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    try:
        json.loads(line)
        n += 1
    except ValueError:
        pass
print(n)' "$1"
}

# =====================================================================
# 0. control: without ppguard, a forged header reaches nginx
# =====================================================================
out=$(ip netns exec "$NS_ATK" python3 "$ppsend" "$SRV4" 81 --v2 \
	--claim 192.0.2.99 2>&1) || true
if [ "$out" = "client 192.0.2.99" ] && grep -q '^192\.0\.2\.99 ' "$LOG"; then
	pass "control: without ppguard a forged header reaches nginx's log (the log checks can fail)"
else
	fail "control: a forged header reaches nginx without ppguard" "$out"
fi

# SYN-ACKs to the spoofed range (cases 4, 5) go to the attacker, which
# drops them (not a router): the server answers as it would a real flood
ip -n "$NS_SRV" route add 198.18.128.0/17 via "$ATK4"

# =====================================================================
# 1. attach / re-attach / detach while traffic flows (tc, then xdp)
# =====================================================================
start_loop keep4 "$NS_CLI" keep "$LB4" 8081 --expect "client $CLI4"
start_loop keep6 "$NS_CLI" keep "$LB6" 8081 --expect "client $CLI6"
trusted_loop short1 1
for l in keep4 keep6 short1; do
	wait_records "$l" 5 || true
done
phases=() # "NAME FROM TO"
mids=()
t=$(now)
sleep 1
for mode in tc xdp; do
	ok=1
	ppg attach -i "$IF" -c "$CONF" --mode "$mode" >"$tmp/attach.log" 2>&1 || ok=0
	t1=$(now)
	phases+=("no-ppguard-before-$mode $t $t1")
	sleep 1.2
	status || true
	mids+=("$mode:$(sj 'd["other"]["midstream_packets"]' 2>/dev/null || echo '?')")
	ppg attach -i "$IF" -c "$CONF" --mode "$mode" >>"$tmp/attach.log" 2>&1 || ok=0
	t2=$(now)
	phases+=("attached-$mode $t1 $t2")
	sleep 1.2
	ppg detach -i "$IF" >>"$tmp/attach.log" 2>&1 || ok=0
	t=$(now)
	phases+=("re-attached-$mode $t2 $t")
	if [ "$ok" = 1 ]; then
		pass "[$mode] attach, re-attach (atomic replace) and detach succeed while traffic flows"
	else
		fail "[$mode] attach, re-attach, detach" "$(cat "$tmp/attach.log")"
	fi
	sleep 1
done
phases+=("detached $t $(now)")
rc4=0 rc6=0
stop_loop keep4 || rc4=$?
stop_loop keep6 || rc6=$?
stop_loop short1 || true
for ph in "${phases[@]}"; do
	read -r name from to <<<"$ph"
	c4=$(counts keep4 "$from" "$to")
	c6=$(counts keep6 "$from" "$to")
	cs=$(counts short1 "$from" "$to")
	d="$name: long-lived v4 [$c4] v6 [$c6], new connections [$cs]"
	if [ "$(cnt "$c4" fail)" = 0 ] && [ "$(cnt "$c6" fail)" = 0 ] &&
		[ "$(cnt "$cs" fail)" = 0 ] && [ "$(cnt "$c4" ok)" -ge 5 ] &&
		[ "$(cnt "$c6" ok)" -ge 5 ] && [ "$(cnt "$cs" ok)" -ge 5 ]; then
		pass "$d: no failure"
	else
		fail "$d" "$(grep -h ' fail ' "$tmp"/keep4.rec "$tmp"/keep6.rec "$tmp"/short1.rec | head -5)"
	fi
done
ports4=$(awk '{print $3}' "$tmp/keep4.rec" | sort -u | wc -l)
ports6=$(awk '{print $3}' "$tmp/keep6.rec" | sort -u | wc -l)
if [ "$rc4" = 0 ] && [ "$rc6" = 0 ] && [ "$ports4" = 1 ] && [ "$ports6" = 1 ]; then
	pass "the long-lived connections are the same ones throughout ($(cat "$tmp/keep4.sum") $(cat "$tmp/keep6.sum"))"
else
	fail "the long-lived connections stay up" "rc $rc4 $rc6, local ports $ports4 $ports6" \
		"$(cat "$tmp/keep4.sum" "$tmp/keep6.sum" "$tmp/keep4.err" "$tmp/keep6.err")"
fi
midok=1
for m in "${mids[@]}"; do
	case ${m#*:} in '' | *[!0-9]* | 0) midok=0 ;; esac
done
if [ "$midok" = 1 ]; then
	pass "flows opened before the attach took the stateless path and passed (midstream packets ${mids[*]})"
else
	fail "flows opened before the attach took the stateless path" "${mids[*]}"
fi
if [ ! -e "/sys/fs/bpf/ppguard/$IF" ] &&
	! tc -n "$NS_SRV" filter show dev "$IF" ingress | grep -q . &&
	! ip -n "$NS_SRV" link show "$IF" | grep -q 'prog/xdp'; then
	pass "after the detaches nothing is left (pins, tc filter, xdp)"
else
	fail "after the detaches nothing is left"
fi

# =====================================================================
# 2. the daemon killed with SIGKILL under load
# =====================================================================
kill_case() { # MODE
	local M=$1 tk tu D F L C WE W1 W2 S1 dup before adopted q ph name from to ct ca down_attached
	if ! start_daemon "1-$M" "$M"; then
		fail "[$M] ppguard run starts" "$(cat "$tmp/run-1-$M.log")"
		return 1
	fi
	trusted_loop "t2$M"
	attack_loop "a2$M"
	wait_records "t2$M" 20 || true
	sleep 2
	tk=$(now)
	kill -9 "$dpid"
	wait "$dpid" 2>/dev/null || true
	dpid=
	cp "/run/ppguard/$IF.events" "$tmp/evstate.killed" 2>/dev/null || true
	sleep 2
	down_attached=unknown
	if status; then
		down_attached=$(sj 'd["attached"]')
	fi
	tu=$(now)
	if ! start_daemon "2-$M" "$M"; then
		fail "[$M] a second ppguard run starts after kill -9" "$(cat "$tmp/run-2-$M.log")"
		return 1
	fi
	sleep 2
	stop_loop "t2$M" || true
	stop_loop "a2$M" || true
	snap "$tmp/ev-1-$M.json" "$tmp/ev-2-$M.json" || true
	read -r D F L C WE <<<"$(sj '"%d %d %d %d %d" % (dec, d["events_lost"], de.get("lost_while_down", -1), de.get("consumed", -1), de.get("write_errors", -1))')"
	W1=${SNAP_W[0]}
	W2=${SNAP_W[1]}
	S1=$(sed -n 's/.* consumed=0*\([0-9][0-9]*\) .*/\1/p' "$tmp/evstate.killed")
	S1=${S1:-0}
	dup=$((W1 - S1))
	before=$(grep -o '[0-9]* events from before the daemon started' "$tmp/run-2-$M.log" | cut -d' ' -f1)
	before=${before:-0}
	adopted=$(grep -c "adopted the attachment" "$tmp/run-2-$M.log" || true)
	q=$(python3 - "$tmp/ev-2-$M.json" "$tk" "$tu" <<'EOF'
import calendar, json, sys, time
n = 0
for line in open(sys.argv[1]):
    t = json.loads(line)["time"]
    s = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S"))
    s += float("0." + t[20:29])
    if float(sys.argv[2]) < s < float(sys.argv[3]):
        n += 1
print(n)
EOF
	)
	note "[$M] kill -9: decisions $D = written by the killed daemon $W1 + by the next one $W2 + ring full $F + lost while down $L - written after the killed daemon's last count save $dup"
	note "[$M] kill -9: the next daemon read $before events from the ring at its start, $q of them stamped while no daemon ran"
	for ph in "before $(head -1 "$tmp/t2$M.rec" | cut -d' ' -f1) $tk" "while-down $tk $tu" "after-restart $tu 1e12"; do
		read -r name from to <<<"$ph"
		ct=$(counts "t2$M" "$from" "$to")
		ca=$(counts "a2$M" "$from" "$to")
		if [ "$(cnt "$ct" fail)" = 0 ] && [ "$(cnt "$ct" ok)" -ge 5 ] &&
			[ "$(cnt "$ca" answered)" = 0 ] && [ "$(cnt "$ca" blocked)" -ge 3 ]; then
			pass "[$M] kill -9, $name: trusted [$ct] all pass, forged [$ca] none answered"
		else
			fail "[$M] kill -9, $name: trusted pass, forged blocked" "trusted [$ct] forged [$ca]"
		fi
	done
	if [ "$(forged_logged)" = 0 ]; then
		pass "[$M] kill -9: no forged address in nginx's access log, before, while or after"
	else
		fail "[$M] kill -9: forged addresses in nginx's log" "$(grep -m3 '^203\.0\.113\.' "$LOG")"
	fi
	if [ "$down_attached" = True ] && [ "$adopted" = 1 ]; then
		pass "[$M] kill -9: still attached while no daemon ran; the next daemon adopted the pins"
	else
		fail "[$M] kill -9: attached meanwhile, adopted" "attached=$down_attached adopted=$adopted" "$(cat "$tmp/run-2-$M.log")"
	fi
	if [ "$q" -gt 0 ] && [ "$before" -ge "$q" ]; then
		pass "[$M] kill -9: the $q events queued in the pinned ring while no daemon ran are written by the next daemon, not lost"
	else
		fail "[$M] kill -9: queued events written by the next daemon" "q=$q before=$before W2=$W2"
	fi
	if [ "$D" -gt 0 ] && [ "$dup" -ge 0 ] && [ "$WE" = 0 ] &&
		[ "$D" -eq $((W1 + W2 + F + L - dup)) ] && [ "$C" -eq $((S1 + W2)) ]; then
		pass "[$M] kill -9: accounting adds up: $D decisions = $W1 + $W2 written + $F ring full + $L lost while down - $dup written and counted lost"
	else
		fail "[$M] kill -9: accounting adds up" "D=$D W1=$W1 W2=$W2 F=$F L=$L dup=$dup S1=$S1 C=$C WE=$WE" \
			"$(cat "$tmp/evstate.killed" 2>/dev/null)"
	fi
}

# =====================================================================
# 3. SIGHUP: broken configs between good ones, under load
# =====================================================================
cp "$CONF" "$tmp/good-a.conf"
conf "$tmp/good-b.conf" 198.18.0.0/28 fd00:18::/124
# a good config's lines, then errors: all or nothing
{
	cat "$tmp/good-b.conf"
	printf '[port 70000]\naction = explode\n'
} >"$tmp/broken.conf"
cat >"$tmp/trust-sampler.py" <<'EOF'
import ipaddress, json, os, subprocess, sys
pin, stop, addr = sys.argv[1], sys.argv[2], ipaddress.ip_address(sys.argv[3])
samples = uncovered = 0
while not os.path.exists(stop):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", pin],
                         capture_output=True, text=True).stdout
    covered = False
    for e in json.loads(out or "[]"):
        k, v = e["formatted"]["key"], e["formatted"]["value"]
        net = ipaddress.ip_network("%s/%d" % (".".join(map(str, k["addr"])),
                                              k["prefixlen"]), strict=False)
        if addr in net and v["trusted"]:
            covered = True
    samples += 1
    uncovered += not covered
print("samples=%d uncovered=%d" % (samples, uncovered))
EOF
trust4() { # the trust4 prefixes, sorted
	bpftool -j map dump pinned "/sys/fs/bpf/ppguard/$IF/trust4" | python3 -c '
import json, sys
print(" ".join(sorted("%s/%d" % (".".join(map(str, e["formatted"]["key"]["addr"])),
      e["formatted"]["key"]["prefixlen"]) for e in json.load(sys.stdin))))'
}
# hup LOG FILE WHAT: FILE becomes the config, SIGHUP, wait for WHAT
hup() {
	local before
	before=$(grep -c "SIGHUP: .* $3" "$1" || true)
	cp "$2" "$CONF"
	kill -HUP "$dpid"
	for _ in $(seq 100); do
		[ "$(grep -c "SIGHUP: .* $3" "$1" || true)" -gt "$before" ] && return 0
		sleep 0.05
	done
	return 1
}
reload_case() { # MODE
	local M=$1 log=$tmp/run-2-$1.log cycle good want old ct ca samp errs=()
	rm -f "$tmp/sampler.stop"
	python3 "$tmp/trust-sampler.py" "/sys/fs/bpf/ppguard/$IF/trust4" \
		"$tmp/sampler.stop" "$LB4" >"$tmp/sampler.out" 2>&1 &
	lpid[sampler]=$!
	trusted_loop "t3$M"
	attack_loop "a3$M"
	wait_records "t3$M" 20 || true
	for cycle in 1 2; do
		for good in b a; do
			want=$LB4/32
			[ $good = a ] || want=198.18.0.0/28
			old=$(trust4)
			hup "$log" "$tmp/broken.conf" "not applied" ||
				errs+=("cycle $cycle: no 'not applied' for the broken config")
			[ "$(trust4)" = "$old" ] ||
				errs+=("cycle $cycle: a broken config changed trust4: $(trust4)")
			sleep 0.3
			hup "$log" "$tmp/good-$good.conf" "applied" ||
				errs+=("cycle $cycle: config $good not applied")
			[ "$(trust4)" = "$want" ] ||
				errs+=("cycle $cycle: trust4 is '$(trust4)', not $want")
			sleep 0.3
		done
	done
	sleep 0.5
	stop_loop "t3$M" || true
	stop_loop "a3$M" || true
	touch "$tmp/sampler.stop"
	wait "${lpid[sampler]}" || true
	unset "lpid[sampler]"
	ct=$(counts "t3$M")
	ca=$(counts "a3$M")
	samp=$(cat "$tmp/sampler.out")
	if [ ${#errs[@]} -eq 0 ]; then
		pass "[$M] SIGHUP x8: each broken config refused (trust4 unchanged), each good one applied (/32 <-> /28)"
	else
		fail "[$M] SIGHUP: broken refused, good applied" "${errs[@]}" "$(tail -5 "$log")"
	fi
	if [ "$(cnt "$ct" fail)" = 0 ] && [ "$(cnt "$ct" ok)" -ge 20 ] &&
		[ "$(cnt "$ca" answered)" = 0 ] && [ "$(cnt "$ca" blocked)" -ge 5 ]; then
		pass "[$M] SIGHUP under load: trusted [$ct] no failure, forged [$ca] none answered"
	else
		fail "[$M] SIGHUP under load: trusted no failure, forged blocked" \
			"trusted [$ct] forged [$ca]" "$(grep -m5 ' fail ' "$tmp/t3$M.rec")"
	fi
	case $samp in
	samples=0*) fail "[$M] SIGHUP: trust4 sampled" "$samp" ;;
	samples=*" uncovered=0")
		pass "[$M] SIGHUP: the balancer was covered by a trusted trust4 prefix in every sample ($samp)"
		;;
	*) fail "[$M] SIGHUP: the balancer covered by trust4 in every sample" "$samp" ;;
	esac
}

# =====================================================================
# 4. the ring buffer full: consumer stopped
# =====================================================================
ring_case() { # MODE
	local M=$1 D0 F0 U0 W0 D1 F1 U1 D2 F2 L2 WE2 W3 vt_ok vf_blocked m
	local ev=$tmp/ev-2-$1.json nspoof=25000
	snap "$ev" || true
	read -r D0 F0 U0 <<<"$(sj '"%d %d %d" % (dec, d["events_lost"], d["connections"]["untrusted_header"]["reset"])')"
	W0=${SNAP_W[0]}
	kill -STOP "$dpid"
	ip netns exec "$NS_ATK" "$flood" -d "$SRV4" -p 81 -m data -P v2 \
		-n "$nspoof" -r 11 >"$tmp/flood4.out" 2>&1 || true
	note "[$M] ring full: $(cat "$tmp/flood4.out")"
	# 5 trusted connections, then 5 forged ones
	trusted_loop "t4$M" 1 --count 5
	wait "${lpid[t4$M]}" || true
	attack_loop "a4$M" --count 5 --workers 1
	wait "${lpid[a4$M]}" || true
	unset "lpid[t4$M]" "lpid[a4$M]"
	vt_ok=$(cnt "$(counts "t4$M")" ok)
	vf_blocked=$(cnt "$(counts "a4$M")" blocked)
	status
	read -r D1 F1 U1 <<<"$(sj '"%d %d %d" % (dec, d["events_lost"], d["connections"]["untrusted_header"]["reset"])')"
	note "[$M] ring full: decisions +$((D1 - D0)), untrusted_header/reset +$((U1 - U0)), events_lost +$((F1 - F0))"
	if [ "$vt_ok" = 5 ] && [ "$vf_blocked" = 5 ] && [ "$(forged_logged)" = 0 ] &&
		[ $((U1 - U0)) -ge $((nspoof * 99 / 100 + 5)) ]; then
		pass "[$M] ring full: verdicts unchanged (trusted 5/5 answered, forged 5/5 reset, $((U1 - U0)) forged headers judged reset, none in nginx's log)"
	else
		fail "[$M] ring full: verdicts unchanged" "trusted $vt_ok/5 forged blocked $vf_blocked/5 judged $((U1 - U0)) logged $(forged_logged)"
	fi
	if [ $((F1 - F0)) -gt 0 ]; then
		pass "[$M] ring full: status --json events_lost counts the losses (+$((F1 - F0)))"
	else
		fail "[$M] ring full: status --json events_lost > 0" "$F0 -> $F1"
	fi
	kill -CONT "$dpid"
	snap "$ev" || true
	read -r D2 F2 L2 WE2 <<<"$(sj '"%d %d %d %d" % (dec, d["events_lost"], de.get("lost_while_down", -1), de.get("write_errors", -1))')"
	W3=${SNAP_W[0]}
	if [ $((D2 - D0)) -eq $((W3 - W0 + F2 - F0)) ] && [ $((F2 - F0)) -gt 0 ]; then
		pass "[$M] ring full: decisions (+$((D2 - D0))) = events written after SIGCONT (+$((W3 - W0))) + ring full (+$((F2 - F0)))"
	else
		fail "[$M] ring full: decisions = written + lost" "D $D0->$D2 W $W0->$W3 F $F0->$F2"
	fi
	m=$(metrics | grep "^ppguard_events_lost_total{iface=\"$IF\"}" || true)
	if [ "${m##* }" = $((F2 + L2 + WE2)) ] && [ "${m##* }" -gt 0 ]; then
		pass "[$M] ring full: $m (ring full $F2 + lost while down $L2)"
	else
		fail "[$M] ring full: ppguard_events_lost_total" "got '$m', want $((F2 + L2 + WE2))"
	fi
}

# =====================================================================
# 5. the flow table full: 1,000,000 spoofed SYNs
# =====================================================================
# nstat -s: the history file in /tmp is not this suite's to update
cookies() {
	ip netns exec "$NS_SRV" nstat -asz TcpExtSyncookiesSent 2>/dev/null |
		awk '/TcpExtSyncookiesSent/ {print $2}'
}
flood_case() { # MODE
	local M=$1 c0 tf0 tf1 frc=0 flows flows_max ck ct ca okc all rate p0 p1
	c0=$(cookies)
	status
	p0=$(sj 'd["packets"]["inspected"]')
	trusted_loop "t5$M"
	attack_loop "a5$M"
	wait_records "t5$M" 20 || true
	tf0=$(now)
	ip netns exec "$NS_ATK" "$flood" -d "$SRV4" -p 81 -m syn -n 1000000 \
		-r 13 >"$tmp/flood5.out" 2>&1 || frc=$?
	tf1=$(now)
	status || true
	p1=$(sj 'd["packets"]["inspected"]' 2>/dev/null || echo 0)
	flows=$(sj 'd["entries"]["flows"]' 2>/dev/null || echo 0)
	flows_max=$(sj 'd["entries"]["flows_max"]' 2>/dev/null || echo 0)
	stop_loop "t5$M" || true
	stop_loop "a5$M" || true
	ck=$(($(cookies) - ${c0:-0}))
	ct=$(counts "t5$M" "$tf0" "$tf1")
	ca=$(counts "a5$M" "$tf0" "$tf1")
	okc=$(cnt "$ct" ok)
	all=$((okc + $(cnt "$ct" fail)))
	rate=$(python3 -c 'import sys; o, a = map(int, sys.argv[1:]); print("%.2f" % (100.0 * o / a if a else 0))' "$okc" "$all")
	note "[$M] SYN flood: $(cat "$tmp/flood5.out")"
	note "[$M] SYN flood: ppguard inspected $((p1 - p0)) packets meanwhile, flows $flows of $flows_max; the server's TCP sent $ck SYN cookies"
	note "[$M] SYN flood: trusted success rate $rate % ($okc of $all connections during the flood); forged [$ca]"
	if [ "$frc" = 0 ] && [ "$flows" -ge $((flows_max * 95 / 100)) ]; then
		pass "[$M] SYN flood: 1,000,000 spoofed SYNs sent, the flow table is full ($flows of $flows_max)"
	else
		fail "[$M] SYN flood: sent, flow table full" "$(cat "$tmp/flood5.out") flows=$flows/$flows_max"
	fi
	if [ "$all" -ge 100 ] && python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 99)' "$rate"; then
		pass "[$M] SYN flood: trusted connections through the balancer succeed at $rate % of $all (>= 99 %)"
	else
		fail "[$M] SYN flood: trusted success rate >= 99 %" "$rate % of $all" "$(grep -m5 ' fail ' "$tmp/t5$M.rec")"
	fi
	if [ "$(cnt "$ca" answered)" = 0 ] && [ "$(cnt "$ca" blocked)" -ge 5 ] &&
		[ "$(forged_logged)" = 0 ]; then
		pass "[$M] SYN flood: forged headers still blocked ($(cnt "$ca" blocked)), none in nginx's log"
	else
		fail "[$M] SYN flood: forged headers blocked" "forged [$ca] logged $(forged_logged)"
	fi
}

# ---- cases 2-5 in each mode, one daemon lineage per mode ----
for M in ${FAULTS_MODES:-tc xdp}; do
	if kill_case "$M"; then
		reload_case "$M"
		ring_case "$M"
		flood_case "$M"
	fi
	# --keep leaves the attachment: stop, then detach
	rc=0
	if [ -n "$dpid" ]; then
		kill -TERM "$dpid"
		wait "$dpid" || rc=$?
		dpid=
	fi
	if [ "$rc" = 0 ] && ppg detach -i "$IF" >/dev/null 2>&1 &&
		[ ! -e "/sys/fs/bpf/ppguard/$IF" ] && [ ! -e "/run/ppguard/$IF.events" ]; then
		pass "[$M] the daemon stops on SIGTERM; detach leaves no pin or state file"
	else
		fail "[$M] daemon stop and detach" "rc=$rc"
	fi
done

echo "1..$n"
exit "$failed"
