#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Evasion suite: an attacker with its own TCP stack (raw sockets, scapy)
# sends forged PROXY headers to real nginx (proxy_protocol) and HAProxy
# (accept-proxy) in scripts/topology.sh's server, without ppguard (control:
# the attacks work) and with ppguard attached in TC and in XDP mode (they
# must not). The cases and what each asserts: tests/adversarial/evasion.py.
#
# Added to the shared topology, in its namespaces only:
#   server: net.ipv4.tcp_fastopen=3, rx checksum offload off (a segment
#     with a bad checksum must be dropped by the receiver, as on a NIC),
#     routes to 198.18.1.0/24 and fd00:18:0:1::/64 on its interface,
#     a second nginx (:85 fastopen) and HAProxy (:9005 tfo, :9006);
#   attacker: addresses around the trusted 198.18.1.0/25 and
#     fd00:18:0:1::/65, and an nftables rule dropping the RSTs its kernel
#     would send for the raw connections it knows nothing about.
# ppguard's config: the balancer and those two prefixes trusted; ports 81,
# 9000, 84 (nothing listens: the SYN flood's target), 85, 9005 drop; 80,
# 9006 reset.
#
# The attacker runs under `nsenter --net` rather than `ip netns exec`,
# which would remount /sys and hide the bpffs `ppguard status` reads.
# EVASION_PHASES (default control,tc,xdp) and EVASION_ONLY (a case name
# substring) narrow a run; EVASION_REPORT=FILE keeps the Markdown table.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}
py=/usr/bin/python3 # Debian's, with python3-scapy

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
	[ -z "${2:-}" ] || while IFS= read -r l; do echo "#   $l"; done <<<"$2"
}
skip_all() {
	echo "ok 1 - evasion suite # SKIP $1"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root (namespaces, BPF, raw sockets)"
for t in nft nsenter bpftool ethtool nginx haproxy ss; do
	command -v "$t" >/dev/null || {
		echo "not ok 1 - $t is missing: run make deps"
		exit 1
	}
done
if ! "$py" -c 'import scapy.all' 2>/dev/null; then
	echo "not ok 1 - python3-scapy is missing: run make deps"
	exit 1
fi
if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin is missing: run make"
	exit 1
fi

P=ppg$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-evasion.XXXXXX")
# a private copy: a concurrent `make` replacing build/ppguard mid-run would
# otherwise fail the exec of a status call
cp "$bin" "$tmp/ppguard"
bin=$tmp/ppguard
pids=()
topo_up=0
SRV_IF=

cleanup() {
	set +e
	if [ -n "$SRV_IF" ] && [ -d "/sys/fs/bpf/ppguard/$SRV_IF" ]; then
		nsenter --net="/run/netns/$NS_SRV" -- "$bin" detach -i "$SRV_IF" \
			>/dev/null 2>&1
	fi
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	[ "$topo_up" = 1 ] && "$root/scripts/topology.sh" down "$P" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! out=$("$root/scripts/topology.sh" up "$P" 2>&1); then
	echo "not ok 1 - topology: $out"
	exit 1
fi
topo_up=1
eval "$out"
if [ -z "$SRV_IF" ]; then
	# an older topology.sh names every host's interface eth0: ppguard keys
	# its pins by interface name, so give the server's a name of its own
	SRV_IF=$P-srv
	ip -n "$NS_SRV" link set eth0 down
	ip -n "$NS_SRV" link set eth0 name "$SRV_IF"
	ip -n "$NS_SRV" addr add "$SRV6/64" dev "$SRV_IF" nodad 2>/dev/null || true
	ip -n "$NS_SRV" link set "$SRV_IF" up
fi
in_srv() { ip netns exec "$NS_SRV" "$@"; }
in_atk() { ip netns exec "$NS_ATK" "$@"; }

# ---- server side
EV_DIR=$tmp/srv
mkdir -p "$EV_DIR/tmp"
in_srv sysctl -qw net.ipv4.tcp_fastopen=3
in_srv ethtool -K "$SRV_IF" rx off >/dev/null 2>&1 || true
# the SYN flood's target port: ppguard sees the SYNs first (tc ingress and
# XDP run before netfilter), then they are dropped before TCP answers them
in_srv nft -f - <<'EOF'
table inet ppg_evasion {
	chain pre {
		type filter hook prerouting priority -300;
		tcp dport 84 drop
	}
}
EOF
ip -n "$NS_SRV" route add 198.18.1.0/24 dev "$SRV_IF"
ip -n "$NS_SRV" -6 route add fd00:18:0:1::/64 dev "$SRV_IF"

cat >"$EV_DIR/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $EV_DIR/nginx.pid;
error_log $EV_DIR/nginx-error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	log_format pp '\$proxy_protocol_addr \$proxy_protocol_port \$remote_addr \$server_port "\$request"';
	client_body_temp_path $EV_DIR/tmp;
	proxy_temp_path $EV_DIR/tmp;
	fastcgi_temp_path $EV_DIR/tmp;
	uwsgi_temp_path $EV_DIR/tmp;
	scgi_temp_path $EV_DIR/tmp;
	server {
		listen 85 proxy_protocol fastopen=64;
		listen [::]:85 proxy_protocol fastopen=64;
		access_log $EV_DIR/nginx-access.log pp;
		location / { return 200 "client \$proxy_protocol_addr\n"; }
	}
}
EOF
cat >"$EV_DIR/haproxy.cfg" <<EOF
global
	log stdout format raw local0
defaults
	mode tcp
	log global
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend svc
	bind :9005 accept-proxy tfo
	bind :::9005 v6only accept-proxy tfo
	bind :9006 accept-proxy
	bind :::9006 v6only accept-proxy
	log-format "pp%fp %ci %cp %fi %fp"
	tcp-request content accept
	use_backend echo
backend echo
	server self 127.0.0.1:9007
listen echo_srv
	bind 127.0.0.1:9007
	mode http
	http-request return status 200 content-type text/plain string "ok\n"
EOF
in_srv nginx -c "$EV_DIR/nginx.conf" >"$EV_DIR/nginx.stderr" 2>&1 &
pids+=($!)
in_srv haproxy -db -f "$EV_DIR/haproxy.cfg" >"$EV_DIR/haproxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do
	if in_srv ss -Hltn 'sport = :85' | grep -q . &&
		in_srv ss -Hltn 'sport = :9006' | grep -q .; then
		break
	fi
	sleep 0.1
done
if ! in_srv ss -Hltn 'sport = :9005' | grep -q .; then
	fail "extra nginx/HAProxy did not start" "$(cat "$EV_DIR"/*.stderr "$EV_DIR/haproxy.log" 2>/dev/null)"
	exit 1
fi
SRV_MAC=$(ip -n "$NS_SRV" -br link show "$SRV_IF" | awk '{print $3}')

# ---- attacker side
for a in 198.18.1.128/24 198.18.1.127/24 198.18.0.254/24; do
	ip -n "$NS_ATK" addr add "$a" dev eth0
done
for a in fd00:18:0:1:8000::1/64 fd00:18:0:1:7fff:ffff:ffff:ffff/64 \
	fd00:18::ffff:ffff:ffff:fffe/64; do
	ip -n "$NS_ATK" addr add "$a" dev eth0 nodad
done
in_atk nft -f - <<'EOF'
table inet ppg_evasion {
	chain out {
		type filter hook output priority 0;
		tcp flags rst drop
	}
}
EOF

# ---- ppguard's policy
EV_CONF=$tmp/ppguard.conf
cat >"$EV_CONF" <<EOF
[global]
mode = tc
; a small table: the SYN flood that evicts the attacker's flows scales with
; it (the default 65536 takes about 200k spoofed SYNs, too slow in Python)
flows = 8192
[trust]
cidr = $LB4/32
cidr = $LB6/128
cidr = 198.18.1.0/25
cidr = fd00:18:0:1::/65
[port 80]
action = reset
[port 81]
action = drop
[port 84]
action = drop
[port 85]
action = drop
[port 9000]
action = drop
[port 9005]
action = drop
[port 9006]
action = reset
EOF

export NS_SRV NS_LB SRV_IF SRV4 SRV6 LB4 LB6 ATK4 ATK6 STATE EV_DIR EV_CONF \
	SRV_MAC
export PPG_BIN=$bin ATK_IF=eth0 EV_REPORT=${EVASION_REPORT:-$tmp/report.md}
args=(--phases "${EVASION_PHASES:-control,tc,xdp}")
[ -z "${EVASION_ONLY:-}" ] || args+=(--only "$EVASION_ONLY")

# evasion.py numbers its own TAP lines: renumber after ours
set +e
nsenter --net="/run/netns/$NS_ATK" -- "$py" \
	"$root/tests/adversarial/evasion.py" "${args[@]}" >"$tmp/tap" 2>"$tmp/err"
rc=$?
set -e
while IFS= read -r line; do
	case "$line" in
	"ok "* | "not ok "*)
		n=$((n + 1))
		echo "$line" | sed -E "s/^(not ok|ok) [0-9]+/\1 $n/"
		;;
	1..*) ;;
	*) echo "$line" ;;
	esac
done <"$tmp/tap"
if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$tmp/tap"; then
	fail "evasion.py exited with status $rc" "$(tail -20 "$tmp/err")"
fi
[ -s "$tmp/err" ] && sed 's/^/# stderr: /' "$tmp/err" | tail -20

# ---- the regression corpus: what `ppguard parse` makes of each sequence
corpus=$root/tests/adversarial/corpus
while IFS=$'\t' read -r file want next why; do
	case "$file" in '#'* | '') continue ;; esac
	# exit status 1-3 says what parse found: the JSON says it too
	json=$("$bin" parse --json "$corpus/$file" 2>/dev/null) || true
	got=$("$py" -c 'import json,sys; j=json.load(sys.stdin); print(j["result"], j.get("next") or "-")' \
		<<<"$json" 2>/dev/null) || got="unreadable -"
	if [ "$got" = "$want $next" ]; then
		pass "corpus $file: ppguard parse says $got ($why)"
	else
		fail "corpus $file: ppguard parse says $got, want $want $next ($why)"
	fi
done <"$corpus/MANIFEST.tsv"
for f in "$corpus"/*.bin; do
	grep -q "^$(basename "$f")	" "$corpus/MANIFEST.tsv" ||
		fail "corpus $(basename "$f") is not in MANIFEST.tsv"
done

[ "$failed" = 0 ] && [ "$rc" -eq 0 ] && ! grep -q '^not ok' "$tmp/tap"
