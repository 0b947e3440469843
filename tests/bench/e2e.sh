#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end benchmark (make bench, part 2): two network namespaces joined
# by a veth pair, ppguard and the alternatives on the server side.
#
#   client ns  ppgNNNc 198.18.0.1 (trusted), 198.18.0.128-191 (untrusted)
#       |  veth
#   server ns  ppgNNNs 198.18.0.2: loadgen server :8443, HAProxy :8444
#              (accept-proxy) and :8445 (expect-proxy layer4 if src),
#              iperf3 :5201; TC/XDP programs or nftables on ppgNNNs ingress
#
# Every configuration is measured once per round, rounds interleaved (odd
# rounds in reverse order), ROUNDS rounds of SECS seconds (after a warm-up);
# each figure is the median over rounds with min and max, and every ratio
# is computed within a round against that round's baseline.
#   1. connection rate: 32 concurrent short connections, each a 60-byte
#      PROXY v2 header + a small HTTP/1.0 request, answered and closed:
#      nothing, TC no-op, ppguard TC, XDP no-op, ppguard XDP (native),
#      nftables netdev ingress (the nearest equivalent ruleset);
#   2. HAProxy 2.6 accept-proxy / expect-proxy, plain and behind ppguard TC;
#   3. bulk: iperf3, one stream, to a protected port (no header required);
#      XDP modes compare with the XDP no-op (XDP on a veth turns off
#      TSO/GRO for the traffic through it);
#   4. forged-header flood from untrusted addresses: connections the
#      application saw and the server side's softirq time, with RPS
#      steering each namespace's receive processing to its own CPU. The
#      attacker cycles over 64 source addresses: ppguard keeps an untrusted
#      peer's blocked 4-tuple blocked (a new SYN on it is dropped until
#      the flow table evicts it), so one address's ports would run out.
# Client pinned to CPU 0, server side (servers, loader) to CPU 1. ppguard
# is attached with `build/ppguard attach` (XDP through libxdp's dispatcher)
# when the CLI has that command, else by tests/bench/attach.c; the no-ops
# always by the latter, the same way. While ppguard is attached the loader
# drains its events as the daemon would, and keeps the kernel's BPF run
# statistics on (the program's time in place; all programs then pay about
# two clock reads per run).
#
# Environment: PPG_BENCH_ROUNDS (3), PPG_BENCH_SECS (5), PPG_BENCH_WARM
# (0.5), PPG_BENCH_OUT (tests/bench/results.md), PPG_BENCH_PARTS (a subset
# of "rate haproxy bulk flood"); for development: PPG_BENCH_CONFIGS (the
# configurations of parts 1-3), PPG_BENCH_RAW (keep the raw figures there).
# Needs root.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

ROUNDS=${PPG_BENCH_ROUNDS:-3}
SECS=${PPG_BENCH_SECS:-5}
WARM=${PPG_BENCH_WARM:-0.5}
OUT=${PPG_BENCH_OUT:-tests/bench/results.md}
PARTS=${PPG_BENCH_PARTS:-rate haproxy bulk flood}
CONC=32
CPU_C=0
CPU_S=1

LOADGEN=$root/build/bench/loadgen
ATTACH=$root/build/bench/ppg_attach
PPGUARD=$root/build/ppguard
# ppguard is attached with `ppguard attach` when the CLI has it (cli), else
# by the benchmark's own loader (own); PPG_BENCH_LOADER forces one.
LOADER=${PPG_BENCH_LOADER:-auto}
if [ "$LOADER" = auto ]; then
	LOADER=own
	if [ -x "$PPGUARD" ] && "$PPGUARD" help attach >/dev/null 2>&1; then
		LOADER=cli
	fi
fi

P=ppg$$
NS_S=$P-s
NS_C=$P-c
IF_S=${P}s
IF_C=${P}c
SRV=198.18.0.2
CLI=198.18.0.1
ATK=198.18.0.128 # .128 to .191: the flood's untrusted sources
ATK_N=64
PORT_APP=8443
PORT_HAP_ACCEPT=8444
PORT_HAP_EXPECT=8445
PORT_BULK=5201
# ppguard policy: the three header ports require a header from trusted
# peers (action drop); the bulk port is inspected but needs none.
PP_PORTS=(-p "$PORT_APP" -p "$PORT_HAP_ACCEPT" -p "$PORT_HAP_EXPECT"
	-p "$PORT_BULK,open" -t "$CLI/32")
PP_PORTS_RESET=(-p "$PORT_APP,reset" -p "$PORT_HAP_ACCEPT"
	-p "$PORT_HAP_EXPECT" -p "$PORT_BULK,open" -t "$CLI/32")

tmp=$(mktemp -d "/tmp/$P-bench.XXXXXX")
raw=$tmp/raw.tsv
: >"$raw"
pids=()
att_pid=""
srv_pid=""
hap_pid=""
cli_attached=0

log() { echo "# e2e: $*" >&2; }
# In the server namespace with the host's bpffs (`ip netns exec` would
# mount a /sys without it: libxdp and ppguard's pins need it).
inS() { nsenter --net="/run/netns/$NS_S" -- "$@"; }

cleanup() {
	set +e
	if [ -n "$att_pid" ]; then
		kill "$att_pid" 2>/dev/null
		wait "$att_pid" 2>/dev/null
	fi
	if [ "$cli_attached" = 1 ]; then
		inS "$PPGUARD" detach -i "$IF_S" >/dev/null 2>&1
	fi
	# pins of `ppguard attach` live in the host's bpffs, not the namespace
	[ -d "/sys/fs/bpf/ppguard/$IF_S" ] && rm -rf "/sys/fs/bpf/ppguard/$IF_S"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	# the interfaces, their TC/XDP programs and nftables tables go with
	# the namespaces
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$(id -u)" -ne 0 ]; then
	echo "e2e: needs root (namespaces, BPF)" >&2
	exit 1
fi
for b in "$LOADGEN" "$ATTACH"; do
	if [ ! -x "$b" ]; then
		echo "e2e: $b is missing: run make tests-build" >&2
		exit 1
	fi
done
have() { command -v "$1" >/dev/null 2>&1; }
HAVE_HAP=0 HAVE_IPERF=0 HAVE_NFT=0
have haproxy && HAVE_HAP=1
have iperf3 && HAVE_IPERF=1
have nft && HAVE_NFT=1

# ---- topology ----

ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$IF_C" type veth peer name "$IF_S"
ip link set "$IF_C" netns "$NS_C"
ip link set "$IF_S" netns "$NS_S"
ip -n "$NS_C" addr add "$CLI/24" dev "$IF_C"
for i in $(seq 0 $((ATK_N - 1))); do
	ip -n "$NS_C" addr add "198.18.0.$((128 + i))/24" dev "$IF_C"
done
ip -n "$NS_S" addr add "$SRV/24" dev "$IF_S"
for ns in "$NS_C" "$NS_S"; do ip -n "$ns" link set lo up; done
ip -n "$NS_C" link set "$IF_C" up
ip -n "$NS_S" link set "$IF_S" up
ip netns exec "$NS_C" sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_tw_reuse=1
ip netns exec "$NS_S" sysctl -qw net.core.somaxconn=8192
ip netns exec "$NS_S" sysctl -qw net.ipv4.tcp_max_syn_backlog=8192
ulimit -n "$(ulimit -Hn)" # the flood keeps many sockets open

# RPS: on, each namespace's receive processing runs on its own side's CPU
# (so the server's softirq time is CPU_S's); off, on the sending CPU.
rps() {
	local mc=0 ms=0
	if [ "$1" = on ]; then
		mc=$(printf '%x' $((1 << CPU_C)))
		ms=$(printf '%x' $((1 << CPU_S)))
	fi
	ip netns exec "$NS_C" sh -c "for q in /sys/class/net/$IF_C/queues/rx-*; do echo $mc > \$q/rps_cpus; done"
	ip netns exec "$NS_S" sh -c "for q in /sys/class/net/$IF_S/queues/rx-*; do echo $ms > \$q/rps_cpus; done"
}
rps off

# ---- servers ----

wait_for() { # FILE PATTERN WHAT
	local _
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "e2e: $3 did not start:" >&2
	cat "$1" >&2
	exit 1
}

ip netns exec "$NS_S" "$LOADGEN" server -l "$SRV:$PORT_APP" -c "$CPU_S" \
	>"$tmp/srv.out" 2>&1 &
srv_pid=$!
pids+=("$srv_pid")
wait_for "$tmp/srv.out" listening "loadgen server"

if [ "$HAVE_HAP" = 1 ]; then
	cat >"$tmp/haproxy.cfg" <<EOF
global
	nbthread 1
	maxconn 8000
defaults
	mode http
	timeout connect 5s
	timeout client 5s
	timeout server 5s
	timeout http-request 5s
frontend fe_accept
	bind $SRV:$PORT_HAP_ACCEPT accept-proxy
	http-request return status 200 content-type text/plain string ok
frontend fe_expect
	bind $SRV:$PORT_HAP_EXPECT
	tcp-request connection expect-proxy layer4 if { src $CLI }
	http-request return status 200 content-type text/plain string ok
EOF
	ip netns exec "$NS_S" taskset -c "$CPU_S" haproxy -db \
		-f "$tmp/haproxy.cfg" >"$tmp/haproxy.out" 2>&1 &
	hap_pid=$!
	pids+=("$hap_pid")
	sleep 0.5
	if ! kill -0 "${pids[-1]}" 2>/dev/null; then
		echo "e2e: haproxy did not start:" >&2
		cat "$tmp/haproxy.out" >&2
		exit 1
	fi
fi
if [ "$HAVE_IPERF" = 1 ]; then
	ip netns exec "$NS_S" taskset -c "$CPU_S" iperf3 -s -B "$SRV" \
		-p "$PORT_BULK" >"$tmp/iperf3.out" 2>&1 &
	pids+=("$!")
	sleep 0.5
fi

# nftables: the nearest equivalent of ppguard's policy in a netdev ingress
# chain: protected port set, trusted source set, and a raw match of the two
# signatures at the start of the TCP payload (@ih: the bytes after the TCP
# header and its options). Stateless: one segment at a time.
cat >"$tmp/nft.conf" <<EOF
table netdev ppgbench {
	set ports { type inet_service; elements = { $PORT_APP, $PORT_HAP_ACCEPT, $PORT_HAP_EXPECT } }
	set trust4 { type ipv4_addr; flags interval; elements = { $CLI/32 } }
	set trust6 { type ipv6_addr; flags interval; elements = { fd00::1/128 } }
	chain ingress {
		type filter hook ingress device "$IF_S" priority -500; policy accept;
		meta l4proto != tcp accept
		tcp dport != @ports accept
		ip saddr @trust4 accept
		ip6 saddr @trust6 accept
		@ih,0,96 0x0d0a0d0a000d0a515549540a drop
		@ih,0,40 0x50524f5859 drop
	}
}
EOF

# ---- configurations ----

# ppguard's configuration for `ppguard attach` (LOADER=cli): the same
# policy as PP_PORTS / PP_PORTS_RESET
pp_conf() { # ACTION_OF_PORT_APP
	cat <<EOF
[trust]
cidr = $CLI/32
[port $PORT_APP]
require = yes
versions = v1,v2
action = $1
[port $PORT_HAP_ACCEPT]
require = yes
versions = v1,v2
action = drop
[port $PORT_HAP_EXPECT]
require = yes
versions = v1,v2
action = drop
[port $PORT_BULK]
require = no
versions = v1,v2
action = drop
EOF
}
pp_conf drop >"$tmp/pp-drop.conf"
pp_conf reset >"$tmp/pp-reset.conf"

# the benchmark loader: attaches (own) or follows pins (-d), drains events
start_loader() {
	# not through inS: a function in the background is a subshell, and
	# att_pid must be the loader's own pid (signals)
	nsenter --net="/run/netns/$NS_S" -- "$ATTACH" -i "$IF_S" -c "$CPU_S" \
		"$@" >"$tmp/att.out" 2>&1 &
	att_pid=$!
	wait_for "$tmp/att.out" '^attached' "ppg_attach $*"
}

pp_attach() { # tc|xdp CONF OWN_ARGS...
	local mode=$1 conf=$2
	shift 2
	if [ "$LOADER" = cli ]; then
		inS "$PPGUARD" attach -i "$IF_S" -c "$conf" --mode "$mode" \
			>"$tmp/cli.out" 2>&1 || {
			echo "e2e: ppguard attach failed:" >&2
			cat "$tmp/cli.out" >&2
			exit 1
		}
		cli_attached=1
		start_loader -m "$mode" -d "/sys/fs/bpf/ppguard/$IF_S"
	else
		start_loader -m "$mode" "$@"
	fi
}

attach() { # CONFIG
	case $1 in
	none) ;;
	nft) ip netns exec "$NS_S" nft -f "$tmp/nft.conf" ;;
	tc_noop) start_loader -m tc -n ;;
	xdp_noop) start_loader -m xdp -n ;;
	tc_pp) pp_attach tc "$tmp/pp-drop.conf" "${PP_PORTS[@]}" ;;
	tc_pp_reset) pp_attach tc "$tmp/pp-reset.conf" "${PP_PORTS_RESET[@]}" ;;
	xdp_pp) pp_attach xdp "$tmp/pp-drop.conf" "${PP_PORTS[@]}" ;;
	*) echo "e2e: unknown configuration $1" >&2 && exit 1 ;;
	esac
	sleep 0.2
}

detach() { # CONFIG ROUND
	if [ "$1" = nft ]; then
		ip netns exec "$NS_S" nft delete table netdev ppgbench
	elif [ -n "$att_pid" ]; then
		kill "$att_pid"
		wait "$att_pid" || true
		att_pid=""
		printf 'loader\t%s\t%s\t%s\n' "$1" "$2" \
			"$(tail -n 1 "$tmp/att.out")" >>"$raw"
	fi
	if [ "$cli_attached" = 1 ]; then
		inS "$PPGUARD" detach -i "$IF_S" >"$tmp/cli.out" 2>&1 || {
			echo "e2e: ppguard detach failed:" >&2
			cat "$tmp/cli.out" >&2
			exit 1
		}
		cli_attached=0
	fi
}

# ---- measurements ----

# The attached program's run count and time so far (kernel BPF stats, kept
# by the loader): "run_cnt=N run_ns=N", or nothing without a loader.
bpf_snap() {
	local n
	[ -n "$att_pid" ] || return 0
	n=$(grep -c '^snap ' "$tmp/att.out" || true)
	kill -USR1 "$att_pid"
	for _ in $(seq 100); do
		[ "$(grep -c '^snap ' "$tmp/att.out" || true)" -gt "$n" ] && break
		sleep 0.02
	done
	grep '^snap ' "$tmp/att.out" | tail -n 1 | cut -d' ' -f2,3
}

# "bpf_cnt=N bpf_ns=N": what the program ran between two snapshots
bpf_delta() {
	[ -n "$1" ] || return 0
	local c0 n0 c1 n1
	c0=${1#run_cnt=} c0=${c0%% *} n0=${1##*run_ns=}
	c1=${2#run_cnt=} c1=${c1%% *} n1=${2##*run_ns=}
	echo "bpf_cnt=$((c1 - c0)) bpf_ns=$((n1 - n0))"
}

rate() { # PART CONFIG ROUND PORT SERVER_PID
	local out s0
	s0=$(bpf_snap)
	out=$(ip netns exec "$NS_C" "$LOADGEN" client -s "$CLI" \
		-d "$SRV:$4" -n "$CONC" -t "$SECS" -w "$WARM" -c "$CPU_C" \
		-P "$5")
	case $out in
	conns=0\ *)
		echo "e2e: $1 $2: no connection completed: $out" >&2
		exit 1
		;;
	esac
	printf '%s\t%s\t%s\t%s %s\n' "$1" "$2" "$3" "$out" \
		"$(bpf_delta "$s0" "$(bpf_snap)")" >>"$raw"
}

bulk() { # CONFIG ROUND
	local bps s0
	s0=$(bpf_snap)
	bps=$(ip netns exec "$NS_C" taskset -c "$CPU_C" iperf3 -c "$SRV" \
		-B "$CLI" -p "$PORT_BULK" -t "$SECS" -O 1 -J |
		python3 -c 'import json, sys
print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
	printf 'bulk\t%s\t%s\tbps=%s %s\n' "$1" "$2" "$bps" \
		"$(bpf_delta "$s0" "$(bpf_snap)")" >>"$raw"
}

srv_counts() { # prints the server's "accepted=N seen=N replied=N"
	local n
	n=$(grep -c '^accepted=' "$tmp/srv.out" || true)
	kill -USR1 "$srv_pid"
	for _ in $(seq 50); do
		[ "$(grep -c '^accepted=' "$tmp/srv.out" || true)" -gt "$n" ] &&
			break
		sleep 0.1
	done
	grep '^accepted=' "$tmp/srv.out" | tail -n 1
}

flood() { # CONFIG ROUND
	local before after out s0
	before=$(srv_counts)
	s0=$(bpf_snap)
	out=$(ip netns exec "$NS_C" "$LOADGEN" client -f -s "$ATK" -S "$ATK_N" \
		-d "$SRV:$PORT_APP" -n "$CONC" -t "$SECS" -w "$WARM" \
		-c "$CPU_C" -P "$srv_pid")
	sleep 0.5 # what is in flight reaches the server
	after=$(srv_counts)
	printf 'flood\t%s\t%s\t%s before_%s after_%s %s\n' "$1" "$2" \
		"$out" "${before// / before_}" "${after// / after_}" \
		"$(bpf_delta "$s0" "$(bpf_snap)")" >>"$raw"
}

order() { # ROUND CONFIG... : odd rounds reversed
	local r=$1
	shift
	if [ $((r % 2)) -eq 1 ]; then
		printf '%s\n' "$@" | tac
	else
		printf '%s\n' "$@"
	fi
}

want() { [[ " $PARTS " == *" $1 "* ]]; }

load0=$(cut -d' ' -f1 /proc/loadavg)
start=$SECONDS
CONFIGS=(none tc_noop tc_pp xdp_noop xdp_pp)
[ "$HAVE_NFT" = 1 ] && CONFIGS+=(nft)
[ -n "${PPG_BENCH_CONFIGS:-}" ] && read -ra CONFIGS <<<"$PPG_BENCH_CONFIGS"
want rate || want haproxy || want bulk || CONFIGS=()
for r in $(seq 0 $((ROUNDS - 1))); do
	for cfg in $(order "$r" "${CONFIGS[@]}"); do
		log "round $((r + 1))/$ROUNDS: $cfg"
		attach "$cfg"
		want rate && rate rate "$cfg" "$r" "$PORT_APP" "$srv_pid"
		if want haproxy && [ "$HAVE_HAP" = 1 ] &&
			{ [ "$cfg" = none ] || [ "$cfg" = tc_pp ]; }; then
			rate hap_accept "$cfg" "$r" "$PORT_HAP_ACCEPT" "$hap_pid"
			rate hap_expect "$cfg" "$r" "$PORT_HAP_EXPECT" "$hap_pid"
		fi
		if want bulk && [ "$HAVE_IPERF" = 1 ] && [ "$cfg" != nft ]; then
			bulk "$cfg" "$r"
		fi
		detach "$cfg" "$r"
	done
done

rps on
FLOOD=(none tc_pp tc_pp_reset)
[ "$HAVE_NFT" = 1 ] && FLOOD+=(nft)
want flood || FLOOD=()
for r in $(seq 0 $((ROUNDS - 1))); do
	for cfg in $(order "$r" "${FLOOD[@]}"); do
		log "flood round $((r + 1))/$ROUNDS: $cfg"
		attach "$cfg"
		flood "$cfg" "$r"
		detach "$cfg" "$r"
	done
done
rps off
log "measured in $((SECONDS - start)) s"
[ -n "${PPG_BENCH_RAW:-}" ] && cp "$raw" "$PPG_BENCH_RAW"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
python3 tests/bench/e2e_report.py "$raw" --loader "$LOADER" \
	--loadavg "$load0, $(cut -d' ' -f1 /proc/loadavg)" \
	--machine "$(date '+%Y-%m-%d %H:%M %Z'), kernel $(uname -r), $cpu, $(nproc) CPUs" \
	--rounds "$ROUNDS" --secs "$SECS" --conc "$CONC" \
	--cpu-server "$CPU_S" --haproxy "$(haproxy -v 2>/dev/null | head -n 1 | awk '{print $3}')" \
	--out "$OUT"
echo "# written: $OUT"
