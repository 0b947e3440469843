#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Dry run, end to end in the shared topology (scripts/topology.sh): with
# `[global] dry_run = yes` (or `attach --dry-run`) the attacker's forged
# header reaches nginx and is recorded as untrusted_header with action log;
# `ppguard status` says DRY RUN (text and JSON); switching to enforcement
# with a config reload blocks the next forged header, through `ppguard
# attach -c` again and through SIGHUP to `ppguard run`, where the program is
# not attached again (same program id, same attach count) and the
# balancer's traffic never stops. Prints TAP.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}

. "$root/tests/lib/tap.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 - dry run end to end # SKIP needs root (BPF, namespaces)"
	exit 0
fi
for t in haproxy nginx curl nsenter python3 openssl; do
	if ! command -v "$t" >/dev/null; then
		echo "not ok 1 - $t is missing: run make deps"
		exit 1
	fi
done
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-dryrun.XXXXXX")
prefix=ppg$$d
runpid=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$runpid" ]; then
		kill "$runpid" 2>/dev/null || true
		wait "$runpid" 2>/dev/null || true
	fi
	if [ -n "${SRV_IF:-}" ] && [ -d "/sys/fs/bpf/ppguard/$SRV_IF" ]; then
		nsenter --net="/run/netns/$NS_SRV" "$bin" detach -i "$SRV_IF" \
			>/dev/null 2>&1 || true
	fi
	"$root/scripts/topology.sh" down "$prefix" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! "$root/scripts/topology.sh" up "$prefix" >"$tmp/topo.env" 2>"$tmp/topo.err"; then
	echo "not ok 1 - topology up: $(head -3 "$tmp/topo.err")"
	exit 1
fi
# shellcheck disable=SC1091
. "$tmp/topo.env"
SRV_IF=${SRV_IF:-eth0}

# ppguard on the server, with the host's bpffs (nsenter: network only)
pg() { nsenter --net="/run/netns/$NS_SRV" "$bin" "$@"; }
# jpy FILE EXPR: python over the JSON in FILE as d
jpy() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
status_json() { pg status -i "$SRV_IF" --json >"$tmp/st.json" 2>/dev/null || true; }
# conn_count REASON ACTION: decisions in the kernel's counters
conn_count() {
	status_json
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))[0]["connections"]
print(d.get(sys.argv[2], {}).get(sys.argv[3], 0))' "$tmp/st.json" "$1" "$2"
}
# forge PORT CLAIM: the attacker's v1 header straight to the server;
# prints ppsend's exit status (0 answered, 1 reset, 2 stalled)
forge() {
	local rc=0
	ip netns exec "$NS_ATK" python3 "$root/scripts/ppsend.py" "$SRV4" "$1" \
		--v1 --claim "$2" --timeout 1.5 >"$tmp/forge.out" 2>&1 || rc=$?
	echo "$rc"
}
balancer_ok() {
	ip netns exec "$NS_CLI" curl -s -m 5 "http://$LB4:8080/" 2>/dev/null |
		grep -q "client $CLI4"
}

conf() { # conf FILE yes|no
	cat >"$1" <<EOF
[global]
dry_run = $2
[trust]
cidr = $LB4/32
cidr = $LB6/128
[port 80]
require = yes
action = drop
EOF
}
conf "$tmp/dry.conf" yes
conf "$tmp/enforce.conf" no

# ---- attach: dry run from the config, then enforcement by attaching again
pg attach -i "$SRV_IF" -c "$tmp/dry.conf" >"$tmp/out" 2>&1 || true
pg status -i "$SRV_IF" >"$tmp/st.txt" 2>&1 || true
status_json
if grep -q "DRY RUN" "$tmp/out" && grep -q '\*\*\* DRY RUN' "$tmp/st.txt" &&
	grep -q '80 (require, v1,v2, drop -> log: dry run)' "$tmp/st.txt" &&
	jpy "$tmp/st.json" 'd[0]["dry_run"] is True and d[0]["ports"][0]["effective_action"] == "log" and d[0]["ports"][0]["action"] == "drop"'; then
	pass "dry_run = yes: attach and status say DRY RUN (text and JSON)"
else
	fail "dry_run = yes: attach and status say DRY RUN" "$(cat "$tmp/out" "$tmp/st.txt")"
fi
rc=$(forge 80 203.0.113.7)
if [ "$rc" = 0 ] && grep -q "client 203.0.113.7" "$tmp/forge.out"; then
	pass "dry run: the forged header reaches nginx (which believes it)"
else
	fail "dry run: the forged header reaches nginx" "rc=$rc $(cat "$tmp/forge.out")"
fi
c=$(conn_count untrusted_header log)
if [ "$c" -ge 1 ] && [ "$(conn_count untrusted_header drop)" -eq 0 ]; then
	pass "dry run: counted as untrusted_header with action log ($c)"
else
	fail "dry run: counted as untrusted_header with action log" "$(cat "$tmp/st.json")"
fi
if balancer_ok; then
	pass "dry run: the balancer's traffic passes"
else
	fail "dry run: the balancer's traffic passes"
fi

pg attach -i "$SRV_IF" -c "$tmp/enforce.conf" >"$tmp/out" 2>&1 || true
pg status -i "$SRV_IF" >"$tmp/st.txt" 2>&1 || true
status_json
if ! grep -q "DRY RUN" "$tmp/out" "$tmp/st.txt" &&
	jpy "$tmp/st.json" 'd[0]["dry_run"] is False and d[0]["ports"][0]["effective_action"] == "drop"'; then
	pass "attach with dry_run = no: status no longer says DRY RUN"
else
	fail "attach with dry_run = no: status still says DRY RUN" "$(cat "$tmp/out" "$tmp/st.txt")"
fi
rc=$(forge 80 203.0.113.8)
c=$(conn_count untrusted_header drop)
if [ "$rc" = 2 ] && [ "$c" -ge 1 ] && ! grep -q "client 203.0.113.8" "$tmp/forge.out"; then
	pass "enforcing: the next forged header is dropped (untrusted_header, drop)"
else
	fail "enforcing: the next forged header is dropped" "rc=$rc drop=$c $(cat "$tmp/forge.out")"
fi
if [ "$(conn_count untrusted_header log)" -ge 1 ]; then
	pass "the dry run's counters survived the re-attach"
else
	fail "the dry run's counters survived the re-attach"
fi
pg attach -i "$SRV_IF" -c "$tmp/enforce.conf" --dry-run >"$tmp/out" 2>&1 || true
rc=$(forge 80 203.0.113.9)
if grep -q "DRY RUN" "$tmp/out" && [ "$rc" = 0 ]; then
	pass "attach --dry-run overrides dry_run = no"
else
	fail "attach --dry-run overrides dry_run = no" "rc=$rc $(cat "$tmp/out")"
fi
# a daemon adopting the attachment without a config keeps the maps as
# they are: the dry-run flag too
nsenter --net="/run/netns/$NS_SRV" "$bin" run -i "$SRV_IF" --events off \
	--metrics off >/dev/null 2>"$tmp/adopt.log" &
runpid=$!
for _ in $(seq 1 100); do
	grep -q "running on" "$tmp/adopt.log" && break
	sleep 0.1
done
status_json
if grep -q "DRY RUN on $SRV_IF" "$tmp/adopt.log" &&
	jpy "$tmp/st.json" 'd[0]["dry_run"] is True'; then
	pass "ppguard run without -c adopts the attachment and keeps its dry run"
else
	fail "ppguard run without -c keeps the dry run" "$(cat "$tmp/adopt.log")"
fi
kill -TERM "$runpid" 2>/dev/null || true
wait "$runpid" 2>/dev/null || true
runpid=
pg detach -i "$SRV_IF" >/dev/null 2>&1 || true

# ---- ppguard run: dry run, then SIGHUP with dry_run = no ----
cp "$tmp/dry.conf" "$tmp/run.conf"
mport=$((20000 + RANDOM % 20000))
nsenter --net="/run/netns/$NS_SRV" "$bin" run -i "$SRV_IF" -c "$tmp/run.conf" \
	--events "$tmp/events.json" --metrics "127.0.0.1:$mport" \
	>"$tmp/run.out" 2>"$tmp/run.log" &
runpid=$!
for _ in $(seq 1 100); do
	grep -q "running on" "$tmp/run.log" && break
	sleep 0.1
done
if grep -q "DRY RUN on $SRV_IF" "$tmp/run.log"; then
	pass "ppguard run says DRY RUN when the config asks for it"
else
	fail "ppguard run says DRY RUN" "$(cat "$tmp/run.log")"
fi
# dry_run_metric: the ppguard_dry_run sample of the daemon's metrics
dry_run_metric() {
	ip netns exec "$NS_SRV" curl -s -m 3 "http://127.0.0.1:$mport/metrics" |
		sed -n 's/^ppguard_dry_run{iface="'"$SRV_IF"'"} //p'
}
m=$(dry_run_metric)
if [ "$m" = 1 ]; then
	pass "metrics: ppguard_dry_run is 1"
else
	fail "metrics: ppguard_dry_run is 1" "got '$m'"
fi
status_json
prog1=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))[0]; print(d["prog_id"], d.get("attach_count"))' "$tmp/st.json")

# ev_has REASON ACTION: an event of the attacker's with this reason and action
# (an untrusted peer's header is not parsed: the event has no declared
# client)
ev_has() {
	for _ in $(seq 1 30); do
		if python3 -c 'import json, sys
for line in open(sys.argv[1]):
    if not line.startswith("{"):
        continue
    e = json.loads(line)
    if e["reason"] == sys.argv[2] and e["action"] == sys.argv[3] and e.get("peer_addr") == sys.argv[4]:
        sys.exit(0)
sys.exit(1)' "$tmp/events.json" "$1" "$2" "$ATK4" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
rc=$(forge 80 203.0.113.10)
if [ "$rc" = 0 ] && ev_has untrusted_header log; then
	pass "run, dry run: the forged header passes; its event is untrusted_header, action log"
else
	fail "run, dry run: forged header passes, logged" "rc=$rc $(tail -3 "$tmp/events.json" 2>/dev/null)"
fi

cp "$tmp/enforce.conf" "$tmp/run.conf"
kill -HUP "$runpid"
for _ in $(seq 1 50); do
	grep -q "SIGHUP: .*applied" "$tmp/run.log" && break
	sleep 0.1
done
status_json
prog2=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))[0]; print(d["prog_id"], d.get("attach_count"))' "$tmp/st.json")
if grep -q "SIGHUP: enforcing on $SRV_IF" "$tmp/run.log" &&
	jpy "$tmp/st.json" 'd[0]["dry_run"] is False' && [ "$prog1" = "$prog2" ]; then
	pass "SIGHUP with dry_run = no: enforcing, same program and attach count ($prog2): not re-attached"
else
	fail "SIGHUP with dry_run = no: enforcing without a re-attach" "$prog1 / $prog2 $(tail -5 "$tmp/run.log")"
fi
m=$(dry_run_metric)
if [ "$m" = 0 ]; then
	pass "metrics: ppguard_dry_run is 0 after the reload"
else
	fail "metrics: ppguard_dry_run is 0 after the reload" "got '$m'"
fi
rc=$(forge 80 203.0.113.11)
if [ "$rc" = 2 ] && ev_has untrusted_header drop; then
	pass "after the reload the forged header is dropped: untrusted_header, action drop"
else
	fail "after the reload the forged header is dropped" "rc=$rc $(tail -3 "$tmp/events.json" 2>/dev/null)"
fi
if balancer_ok; then
	pass "the balancer's traffic still passes after the switch"
else
	fail "the balancer's traffic still passes after the switch"
fi

kill -TERM "$runpid" 2>/dev/null || true
wait "$runpid" 2>/dev/null || true
runpid=
# a daemon started with --dry-run keeps it across a reload
nsenter --net="/run/netns/$NS_SRV" "$bin" run -i "$SRV_IF" -c "$tmp/run.conf" \
	--dry-run --events off --metrics off >/dev/null 2>"$tmp/run2.log" &
runpid=$!
for _ in $(seq 1 100); do
	grep -q "running on" "$tmp/run2.log" && break
	sleep 0.1
done
kill -HUP "$runpid"
for _ in $(seq 1 50); do
	grep -q "SIGHUP: .*applied" "$tmp/run2.log" && break
	sleep 0.1
done
status_json
if grep -q "DRY RUN on $SRV_IF.*(--dry-run)" "$tmp/run2.log" &&
	jpy "$tmp/st.json" 'd[0]["dry_run"] is True' && [ "$(forge 80 203.0.113.12)" = 0 ]; then
	pass "run --dry-run wins over dry_run = no, also after SIGHUP"
else
	fail "run --dry-run wins over dry_run = no" "$(cat "$tmp/run2.log")"
fi
kill -TERM "$runpid" 2>/dev/null || true
wait "$runpid" 2>/dev/null || true
runpid=

exit $failed
