#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The daemon's drain rate: how fast `ppguard run` turns ring buffer events
# into JSON lines (written to /dev/null), whether a burst of 100,000
# connection events loses any at the default ring size, and its memory.
#
# Setup: a veth interface in a namespace of its own, ppguard run attached
# to it in TC mode; tests/bench/daemon_gen runs the attached program with
# BPF_PROG_TEST_RUN on a SYN and a first data segment per connection (one
# decision, one event each; see daemon_gen.c).
#
# 1. Drain rate: the daemon is stopped (SIGSTOP), a batch that fits in the
#    ring is generated, the daemon continued (SIGCONT): it drains the batch
#    in one go and, with -v, logs how long that took (copying out of the
#    ring, JSON, writing, flushing). Three batches: forged v1 headers
#    (short events), trusted v2 headers with ALPN, AUTHORITY and CRC32C
#    TLVs (the longest JSON), and half of each.
# 2. Burst: 100,000 connections (half trusted) as fast as the generator
#    goes, with the daemon running on the other core: events lost (the
#    kernel's ring-full counter, through ppguard_events_lost_total), time
#    until all are written.
# 3. RSS of the daemon: idle, and the peak (VmHWM) after the burst.
#
# Usage: tests/bench/daemon.sh [-o FILE.md] [-n BURST]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${PPG_BIN:-$root/build/ppguard}
gen=${PPG_DAEMON_GEN:-$root/build/bench/daemon_gen}
out_md=
burst=100000
while getopts "o:n:" o; do
	case $o in
	o) out_md=$OPTARG ;;
	n) burst=$OPTARG ;;
	*)
		echo "usage: $0 [-o FILE.md] [-n BURST]" >&2
		exit 64
		;;
	esac
done

if [ "$(id -u)" -ne 0 ]; then
	echo "bench daemon: needs root" >&2
	exit 1
fi
for f in "$bin" "$gen"; do
	if [ ! -x "$f" ]; then
		echo "bench daemon: $f is missing: run make all tests-build" >&2
		exit 1
	fi
done

NS=ppg$$-bench
IF=ppg$$b
PORT=8080
MPORT=9464
PIN=/sys/fs/bpf/ppguard/$IF
STATE=/run/ppguard/$IF.events
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-bench.XXXXXX")
dpid=

cleanup() {
	if [ -n "$dpid" ]; then
		kill -CONT "$dpid" 2>/dev/null || true
		kill "$dpid" 2>/dev/null || true
		wait "$dpid" 2>/dev/null || true
	fi
	if [ -d "$PIN" ]; then
		nsenter --net="/run/netns/$NS" "$bin" detach -i "$IF" \
			>/dev/null 2>&1 || rm -rf "$PIN"
	fi
	rm -f "$STATE"
	rmdir /run/ppguard 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$NS"
# a veth pair inside the namespace (no dummy module on every kernel)
ip -n "$NS" link add "$IF" type veth peer name "${IF}p"
ip -n "$NS" link set lo up
ip -n "$NS" link set "$IF" up
ip -n "$NS" link set "${IF}p" up
cat >"$tmp/bench.conf" <<EOF
[global]
mode = tc
[trust]
cidr = 198.18.128.0/18
[port $PORT]
action = drop
EOF
nsenter --net="/run/netns/$NS" "$bin" -v run -i "$IF" -c "$tmp/bench.conf" \
	--events /dev/null --metrics "127.0.0.1:$MPORT" 2>"$tmp/run.log" &
dpid=$!
for i in $(seq 1 100); do
	grep -q "^running on" "$tmp/run.log" && break
	kill -0 "$dpid" 2>/dev/null || break
	sleep 0.05
done
if ! grep -q "^running on" "$tmp/run.log"; then
	echo "bench daemon: ppguard run did not start:" >&2
	cat "$tmp/run.log" >&2
	exit 1
fi
prog=$(ip netns exec "$NS" tc filter show dev "$IF" ingress |
	grep -o ' id [0-9]*' | awk '{print $2; exit}')

consumed() { # events the daemon has written so far
	sed -n 's/.* consumed=0*\([0-9][0-9]*\) .*/\1/p' "$STATE"
}
metric() { # metric NAME: its value for the interface
	ip netns exec "$NS" curl -sf "http://127.0.0.1:$MPORT/metrics" |
		awk -v m="$1{iface=\"$IF\"}" '$1 == m {print $2}'
}
decisions() { # sum of ppguard_connections_total: events the kernel made
	ip netns exec "$NS" curl -sf "http://127.0.0.1:$MPORT/metrics" |
		awk '/^ppguard_connections_total\{/ {n += $2} END {print n + 0}'
}
# misc_stat INDEX: a per-CPU "stats" counter summed (bpftool)
misc_stat() {
	bpftool -j map lookup pinned "$PIN/stats" key $(printf '%d %d %d %d' \
		$(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) 0) |
		python3 -c '
import json, sys
d = json.load(sys.stdin)
d = d.get("formatted", d)
print(sum(v["value"] for v in d["values"]))'
}
# PP_STAT_MISC(PP_MISC_FLOW_CREATE_FAIL) of include/ppguard.h
FLOW_CREATE_FAIL=$((64 * 12 * 4 + 5 + 16 + 2))
rss_kb() { # rss_kb VmRSS|VmHWM
	awk -v k="$1:" '$1 == k {print $2}' "/proc/$dpid/status"
}
# wait_consumed TARGET: seconds until consumed() >= TARGET (polls 0.2 ms),
# measured from now
wait_consumed() {
	python3 - "$STATE" "$1" <<'PY'
import re, sys, time
path, target = sys.argv[1], int(sys.argv[2])
t0 = time.monotonic()
while time.monotonic() - t0 < 60:
    m = re.search(r"consumed=(\d+)", open(path).read())
    if m and int(m.group(1)) >= target:
        print("%.6f" % (time.monotonic() - t0))
        sys.exit(0)
    time.sleep(0.0002)
print("timeout")
sys.exit(1)
PY
}

seed=1
rss_idle=$(rss_kb VmRSS)
# drain_rate TRUSTED_PERCENT BATCH: sets $rate, the events/s of the daemon
# writing BATCH events queued while it was stopped (its own -v timing).
# Not in a subshell: $seed must move on (a connection that repeats an
# earlier one's addresses, ports and ISN is, rightly, not a new decision).
drain_rate() {
	local base lines
	base=$(consumed)
	lines=$(grep -c "^events: .* written in" "$tmp/run.log" || true)
	kill -STOP "$dpid"
	nsenter --net="/run/netns/$NS" \
		"$gen" -p "$prog" -n "$2" -t "$1" -s "$seed" -P "$PORT" >/dev/null
	seed=$((seed + 1))
	kill -CONT "$dpid"
	if ! wait_consumed $((base + $2)) >/dev/null; then
		echo "bench daemon: the daemon did not write $2 events" >&2
		exit 1
	fi
	rate=$(grep "^events: .* written in" "$tmp/run.log" |
		tail -n +$((lines + 1)) |
		awk '{n += $2; ms += $5} END {printf "%.0f\n", n / ms * 1000}')
}
# The ring holds 4 MiB / 208 B = 20164 events: a batch of 16000 fits.
batch=16000
drain_rate 0 $batch
r_untrusted=$rate
drain_rate 100 $batch
r_trusted=$rate
drain_rate 50 $batch
r_mixed=$rate

lost0=$(metric ppguard_events_lost_total)
dec0=$(decisions)
fcf0=$(misc_stat $FLOW_CREATE_FAIL)
base=$(consumed)
t0=$(date +%s.%N)
genout=$(nsenter --net="/run/netns/$NS" "$gen" -p "$prog" -n "$burst" -t 50 \
	-s "$seed" -P "$PORT")
gen_rate=$(echo "$genout" | awk '{print $6}')
# A connection whose flow entry could not be created (the LRU flow table
# full and busy) passes without a decision, hence without an event: wait
# for as many events as the kernel made decisions.
made=$(($(decisions) - dec0))
lost_now=$(($(metric ppguard_events_lost_total) - lost0))
left=$(wait_consumed $((base + made - lost_now)) || true)
t1=$(date +%s.%N)
nofl=$(($(misc_stat $FLOW_CREATE_FAIL) - fcf0))
sleep 1.2 # metrics gauges are cached for a second; counters are not
lost=$(($(metric ppguard_events_lost_total) - lost0))
written=$(($(consumed) - base))
total=$(python3 -c "import sys; print('%.3f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$t1")
rss_peak=$(rss_kb VmHWM)
rss_after=$(rss_kb VmRSS)

{
	echo "## ppguard run: drain rate ($(nproc) CPUs, $(uname -r))"
	echo
	echo "| measure | value |"
	echo "|---|---|"
	echo "| drain rate, forged v1 headers (short events) | $r_untrusted events/s |"
	echo "| drain rate, trusted v2 + ALPN, AUTHORITY, CRC32C | $r_trusted events/s |"
	echo "| drain rate, half and half | $r_mixed events/s |"
	echo "| burst: connections generated | $burst at $gen_rate events/s |"
	echo "| burst: decisions (events submitted) | $made (flow entries not created: $nofl) |"
	echo "| burst: events written | $written |"
	echo "| burst: events lost (ring 4 MiB) | $lost |"
	echo "| burst: first to last written | $total s |"
	echo "| daemon RSS idle / peak / after | $((rss_idle / 1024)) / $((rss_peak / 1024)) / $((rss_after / 1024)) MiB |"
	echo
	echo "Drain rates: $batch events queued in the ring while the daemon was"
	echo "stopped, drained at once after SIGCONT and timed by the daemon (-v):"
	echo "copy out of the ring, JSON (json-c), lines to /dev/null, flush."
	echo "Burst: the generator (BPF_PROG_TEST_RUN, SYN + first segment per"
	echo "connection) on one CPU, the daemon on the other."
} | tee "$tmp/table.md"
if [ -n "$out_md" ]; then
	cp "$tmp/table.md" "$out_md"
fi
[ "$left" != timeout ] || {
	echo "bench daemon: not every event was written" >&2
	exit 1
}
