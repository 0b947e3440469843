#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test topology shared by `make demo`, the end-to-end tests and the
# benchmarks: four hosts in network namespaces on one bridge.
#
#      client ──┐                 ┌── server (ppguard on $SRV_IF)
#   198.18.0.10 │   ┌────────┐    │   198.18.0.100  nginx :80 :81 :82 (PROXY)
#               ├───┤ bridge ├────┤                 nginx :443 ssl (PROXY)
#          lb ──┤   └────────┘    │                 haproxy :9000 accept-proxy
#   198.18.0.2  │                 │                 nginx :8000 (no PROXY)
#   HAProxy     │                 └── attacker 198.18.0.66
#
# The balancer forwards client connections to the server, each frontend on
# IPv4 and IPv6 (a v4 client reaches the server over v4, a v6 one over v6):
#   lb:8080 -> server:80   send-proxy (v1)
#   lb:8081 -> server:81   send-proxy-v2
#   lb:8082 -> server:82   no header (for a "require" port: missing_header)
#   lb:8083 -> server:82   send-proxy (v1 where only v2 is allowed)
#   lb:8443 -> server:443  send-proxy-v2, TLS passed through
#   lb:8444 -> server:443  no header, TLS passed through
#   lb:9000 -> server:9000 send-proxy-v2, HTTP health checks every second
#                          with check-send-proxy (a v2 LOCAL header first)
# nginx logs "$proxy_protocol_addr $proxy_protocol_port $remote_addr
# $server_port $request" to $STATE/nginx/access.log and answers
# "client <proxy_protocol_addr>" (":8000": "plain <remote_addr>").
# IPv6: fd00:18::/64 (client ::10, lb ::2, server ::100, attacker ::66).
# The balancer's stats socket: $STATE/haproxy-lb/admin.sock.
#
# The server's interface is named after the prefix ($PREFIX-srv), not eth0:
# ppguard keys its pins (/sys/fs/bpf/ppguard/IFACE) and daemon state
# (/run/ppguard/IFACE.events) by interface name, so two topologies up at
# once (a demo next to `make test`) must not both call it eth0. The other
# hosts' interface is eth0. Nothing is created in the caller's namespace.
#
# Usage: scripts/topology.sh up|down|env [PREFIX]
#   PREFIX (default ppg$PPID, at most 11 characters) names the namespaces
#   PREFIX-{br,cli,lb,srv,atk} and the state directory /tmp/PREFIX.topo
#   (pids, configs, logs).
# `up` prints shell assignments (eval them) for the names and addresses.
set -euo pipefail

cmd=${1:-}
PREFIX=${2:-${PPG_PREFIX:-ppg$PPID}}
STATE=/tmp/$PREFIX.topo

NS_BR=$PREFIX-br
NS_CLI=$PREFIX-cli
NS_LB=$PREFIX-lb
NS_SRV=$PREFIX-srv
NS_ATK=$PREFIX-atk
SRV_IF=$PREFIX-srv # IFNAMSIZ: at most 15 characters

CLI4=198.18.0.10
LB4=198.18.0.2
SRV4=198.18.0.100
ATK4=198.18.0.66
CLI6=fd00:18::10
LB6=fd00:18::2
SRV6=fd00:18::100
ATK6=fd00:18::66

die() {
	echo "topology: $*" >&2
	exit 1
}

case "$PREFIX" in
*[!A-Za-z0-9_]* | "") die "prefix '$PREFIX': letters, digits and _ only" ;;
esac
[ "${#SRV_IF}" -le 15 ] || die "prefix '$PREFIX' is too long (at most 11 characters)"

# ns_add_host NS IFNAME-IN-BRIDGE IFNAME-IN-NS ADDR4 ADDR6: both ends of the
# veth are made inside namespaces, so concurrent topologies never meet on a
# name in the caller's namespace.
ns_add_host() {
	local ns=$1 brif=$2 ifn=$3 a4=$4 a6=$5
	ip netns add "$ns"
	ip -n "$NS_BR" link add "$brif" type veth peer name "$ifn" netns "$ns"
	ip -n "$NS_BR" link set "$brif" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$a4/24" dev "$ifn"
	ip -n "$ns" addr add "$a6/64" dev "$ifn" nodad
	ip -n "$ns" link set "$ifn" up
	# checksums computed by the sender: ppguard's reset rewrite and the
	# receiver see real sums
	ip netns exec "$ns" ethtool -K "$ifn" tx off >/dev/null 2>&1 || true
}

# lb_listen NAME PORT SERVER-PORT [SERVER OPTIONS...]: one frontend per
# family, each forwarding to the server over its own family; $LB_EXTRA is
# one more line of the section
lb_listen() {
	local name=$1 port=$2 sport=$3 f bind srv
	shift 3
	for f in 4 6; do
		if [ "$f" = 4 ]; then
			bind=0.0.0.0:$port srv=$SRV4:$sport
		else
			bind=":::$port v6only" srv=[$SRV6]:$sport
		fi
		printf 'listen %s_%s\n\tbind %s\n' "$name" "$f" "$bind"
		[ -z "${LB_EXTRA:-}" ] || printf '\t%s\n' "$LB_EXTRA"
		printf '\tserver s%s %s%s\n' "$f" "$srv" "${*:+ $*}"
	done
}

write_configs() {
	mkdir -p "$STATE"/{nginx,haproxy-lb,haproxy-srv,www}
	echo "hello from the server" >"$STATE/www/index.html"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj "/CN=server.ppguard.test" \
		-keyout "$STATE/nginx/key.pem" -out "$STATE/nginx/cert.pem" \
		>/dev/null 2>&1 || die "openssl could not make a certificate"

	cat >"$STATE/nginx/nginx.conf" <<EOT
worker_processes 1;
daemon off;
pid $STATE/nginx/nginx.pid;
error_log $STATE/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	log_format pp '\$proxy_protocol_addr \$proxy_protocol_port \$remote_addr \$server_port "\$request"';
	log_format plain '- - \$remote_addr \$server_port "\$request"';
	client_body_temp_path $STATE/nginx/tmp;
	proxy_temp_path $STATE/nginx/tmp;
	fastcgi_temp_path $STATE/nginx/tmp;
	uwsgi_temp_path $STATE/nginx/tmp;
	scgi_temp_path $STATE/nginx/tmp;
	server {
		listen 80 proxy_protocol;
		listen [::]:80 proxy_protocol;
		listen 81 proxy_protocol;
		listen [::]:81 proxy_protocol;
		listen 82 proxy_protocol;
		listen [::]:82 proxy_protocol;
		listen 443 ssl proxy_protocol;
		listen [::]:443 ssl proxy_protocol;
		ssl_certificate $STATE/nginx/cert.pem;
		ssl_certificate_key $STATE/nginx/key.pem;
		access_log $STATE/nginx/access.log pp;
		root $STATE/www;
		location / { return 200 "client \$proxy_protocol_addr\n"; }
	}
	server {
		listen 8000;
		listen [::]:8000;
		access_log $STATE/nginx/access.log plain;
		location / { return 200 "plain \$remote_addr\n"; }
	}
}
EOT
	mkdir -p "$STATE/nginx/tmp"

	cat >"$STATE/haproxy-srv/haproxy.cfg" <<EOT
global
	log stdout format raw local0
	pidfile $STATE/haproxy-srv/pid
defaults
	mode tcp
	log global
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend svc
	bind :9000 accept-proxy
	bind :::9000 v6only accept-proxy
	log-format "pp9000 %ci %cp %fi %fp"
	tcp-request content accept
	use_backend echo
backend echo
	server self 127.0.0.1:9001
listen echo_srv
	bind 127.0.0.1:9001
	mode http
	http-request return status 200 content-type text/plain string "tcp service ok\n"
EOT

	{
		cat <<EOT
global
	log stdout format raw local0
	pidfile $STATE/haproxy-lb/pid
	stats socket $STATE/haproxy-lb/admin.sock mode 600 level admin
defaults
	mode tcp
	log global
	timeout connect 2s
	timeout client 5s
	timeout server 5s
	timeout check 1s
EOT
		lb_listen v1 8080 80 send-proxy
		lb_listen v2 8081 81 send-proxy-v2
		lb_listen plain_to_require 8082 82
		lb_listen v1_to_v2only 8083 82 send-proxy
		lb_listen tls 8443 443 send-proxy-v2
		lb_listen tls_plain 8444 443
		# HTTP checks: L7OK only if the LOCAL header and the request
		# both reach HAProxy's accept-proxy listener
		LB_EXTRA="option httpchk GET /" lb_listen tcpsvc 9000 9000 \
			send-proxy-v2 check check-send-proxy inter 1s
	} >"$STATE/haproxy-lb/haproxy.cfg"
}

start() { # ns name logfile cmd...
	local ns=$1 name=$2 log=$3
	shift 3
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	echo $! >"$STATE/$name.pid"
}

listening() { # ns port...: every port has a listener
	local ns=$1 p
	shift
	for p in "$@"; do
		ip netns exec "$ns" ss -Hltn "sport = :$p" | grep -q . || return 1
	done
}

up() {
	[ "$(id -u)" -eq 0 ] || die "must run as root"
	if ip netns list | grep -q "^$NS_BR\b"; then
		die "namespaces $PREFIX-* already exist (run: $0 down $PREFIX)"
	fi
	mkdir -p "$STATE"
	ip netns add "$NS_BR"
	ip -n "$NS_BR" link add br0 type bridge
	ip -n "$NS_BR" link set br0 up
	ip -n "$NS_BR" link set lo up
	ns_add_host "$NS_CLI" vcli eth0 "$CLI4" "$CLI6"
	ns_add_host "$NS_LB" vlb eth0 "$LB4" "$LB6"
	ns_add_host "$NS_SRV" vsrv "$SRV_IF" "$SRV4" "$SRV6"
	ns_add_host "$NS_ATK" vatk eth0 "$ATK4" "$ATK6"
	write_configs
	start "$NS_SRV" nginx "$STATE/nginx/stderr.log" \
		nginx -c "$STATE/nginx/nginx.conf"
	start "$NS_SRV" haproxy-srv "$STATE/haproxy-srv/log" \
		haproxy -db -f "$STATE/haproxy-srv/haproxy.cfg"
	start "$NS_LB" haproxy-lb "$STATE/haproxy-lb/log" \
		haproxy -db -f "$STATE/haproxy-lb/haproxy.cfg"
	# wait for the listeners
	local _ ok=0
	for _ in $(seq 1 50); do
		if listening "$NS_SRV" 80 81 82 443 8000 9000 &&
			listening "$NS_LB" 8080 8081 8082 8083 8443 8444 9000; then
			ok=1
			break
		fi
		sleep 0.1
	done
	[ "$ok" = 1 ] || die "services did not start (logs in $STATE)"
	env_vars
}

env_vars() {
	cat <<EOT
PREFIX=$PREFIX STATE=$STATE
NS_BR=$NS_BR NS_CLI=$NS_CLI NS_LB=$NS_LB NS_SRV=$NS_SRV NS_ATK=$NS_ATK
SRV_IF=$SRV_IF
CLI4=$CLI4 LB4=$LB4 SRV4=$SRV4 ATK4=$ATK4
CLI6=$CLI6 LB6=$LB6 SRV6=$SRV6 ATK6=$ATK6
EOT
}

# A ppguard left on the server's interface (a run that died) goes with it:
# detached while the namespace exists, then whatever pins remain.
ppguard_off() {
	local bin=${PPG_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/ppguard}
	if [ -d "/sys/fs/bpf/ppguard/$SRV_IF" ]; then
		if [ -e "/run/netns/$NS_SRV" ] && [ -x "$bin" ]; then
			nsenter --net="/run/netns/$NS_SRV" "$bin" detach \
				-i "$SRV_IF" >/dev/null 2>&1 || true
		fi
		rm -rf "/sys/fs/bpf/ppguard/$SRV_IF"
	fi
	rm -f "/run/ppguard/$SRV_IF.events"
}

down() {
	local f pid
	ppguard_off
	for f in "$STATE"/*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || true
	done
	sleep 0.2
	for f in "$STATE"/*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f")
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$f"
	done
	for ns in "$NS_CLI" "$NS_LB" "$NS_SRV" "$NS_ATK" "$NS_BR"; do
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$STATE"
}

case "$cmd" in
up) up ;;
down) down ;;
env) env_vars ;;
*)
	echo "usage: $0 up|down|env [PREFIX]" >&2
	exit 64
	;;
esac
