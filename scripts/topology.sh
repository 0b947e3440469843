#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test topology shared by `make demo`, the end-to-end tests and the
# benchmarks: four hosts in network namespaces on one bridge.
#
#      client ──┐                 ┌── server (ppguard on eth0)
#   198.18.0.10 │   ┌────────┐    │   198.18.0.100   nginx :80 (v1) :81 (v2)
#               ├───┤ bridge ├────┤                  nginx :443 ssl (v2)
#          lb ──┤   └────────┘    │                  haproxy :9000 accept-proxy
#   198.18.0.2  │                 │                  nginx :8000 (no PROXY)
#   HAProxy     │                 └── attacker 198.18.0.66
#
# The balancer forwards client connections to the server with a PROXY
# header: lb:8080 -> server:80 send-proxy (v1), lb:8081 -> server:81
# send-proxy-v2, lb:8443 -> server:443 send-proxy-v2 (TLS passed through),
# lb:9000 -> server:9000 send-proxy-v2 with check-send-proxy health checks
# (LOCAL). IPv6: the same on fd00:18::/64 (client ::10, lb ::2, server ::100,
# attacker ::66).
#
# Usage: scripts/topology.sh up|down [PREFIX]
#   PREFIX (default ppg$PPID) names the namespaces PREFIX-{br,cli,lb,srv,atk}
#   and the state directory /tmp/PREFIX.topo (pids, configs, logs).
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

ns_add_host() { # ns ifname-in-bridge addr4 addr6
	local ns=$1 brif=$2 a4=$3 a6=$4
	ip netns add "$ns"
	ip link add "$brif" type veth peer name eth0 netns "$ns"
	ip link set "$brif" netns "$NS_BR"
	ip -n "$NS_BR" link set "$brif" master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$a4/24" dev eth0
	ip -n "$ns" addr add "$a6/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	# checksums computed by the sender: ppguard's reset rewrite and the
	# receiver see real sums
	ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || true
}

write_configs() {
	mkdir -p "$STATE"/{nginx,haproxy-lb,haproxy-srv,www}
	echo "hello from the server" >"$STATE/www/index.html"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 \
		-subj "/CN=server.ppguard.test" \
		-keyout "$STATE/nginx/key.pem" -out "$STATE/nginx/cert.pem" \
		>/dev/null 2>&1 || die "openssl could not make a certificate"

	cat >"$STATE/nginx/nginx.conf" <<EOF
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
EOF
	mkdir -p "$STATE/nginx/tmp"

	cat >"$STATE/haproxy-srv/haproxy.cfg" <<EOF
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
EOF

	cat >"$STATE/haproxy-lb/haproxy.cfg" <<EOF
global
	log stdout format raw local0
	pidfile $STATE/haproxy-lb/pid
defaults
	mode tcp
	log global
	timeout connect 2s
	timeout client 5s
	timeout server 5s
	timeout check 1s
listen v1
	bind :8080
	bind :::8080 v6only
	server s4 $SRV4:80 send-proxy
listen v2
	bind :8081
	bind :::8081 v6only
	server s4 $SRV4:81 send-proxy-v2
listen v1_6
	bind :::8090 v6only
	server s6 [$SRV6]:80 send-proxy
listen v2_6
	bind :::8091 v6only
	server s6 [$SRV6]:81 send-proxy-v2
listen tls
	bind :8443
	server s4 $SRV4:443 send-proxy-v2
listen plain_to_v2
	bind :8082
	server s4 $SRV4:81
listen v1_to_v2only
	bind :8083
	server s4 $SRV4:81 send-proxy
listen tcpsvc
	bind :9000
	server s4 $SRV4:9000 send-proxy-v2 check check-send-proxy inter 1s
EOF
}

start() { # ns name logfile cmd...
	local ns=$1 name=$2 log=$3
	shift 3
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	echo $! >"$STATE/$name.pid"
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
	ns_add_host "$NS_CLI" vcli "$CLI4" "$CLI6"
	ns_add_host "$NS_LB" vlb "$LB4" "$LB6"
	ns_add_host "$NS_SRV" vsrv "$SRV4" "$SRV6"
	ns_add_host "$NS_ATK" vatk "$ATK4" "$ATK6"
	write_configs
	start "$NS_SRV" nginx "$STATE/nginx/stderr.log" \
		nginx -c "$STATE/nginx/nginx.conf"
	start "$NS_SRV" haproxy-srv "$STATE/haproxy-srv/log" \
		haproxy -db -f "$STATE/haproxy-srv/haproxy.cfg"
	start "$NS_LB" haproxy-lb "$STATE/haproxy-lb/log" \
		haproxy -db -f "$STATE/haproxy-lb/haproxy.cfg"
	# wait for the listeners
	local i
	for i in $(seq 1 50); do
		if ip netns exec "$NS_SRV" ss -Hltn 'sport = :81' | grep -q . &&
			ip netns exec "$NS_SRV" ss -Hltn 'sport = :9000' | grep -q . &&
			ip netns exec "$NS_LB" ss -Hltn 'sport = :8081' | grep -q .; then
			break
		fi
		sleep 0.1
	done
	ip netns exec "$NS_LB" ss -Hltn 'sport = :8081' | grep -q . ||
		die "services did not start (logs in $STATE)"
	env_vars
}

env_vars() {
	cat <<EOF
PREFIX=$PREFIX STATE=$STATE
NS_BR=$NS_BR NS_CLI=$NS_CLI NS_LB=$NS_LB NS_SRV=$NS_SRV NS_ATK=$NS_ATK
CLI4=$CLI4 LB4=$LB4 SRV4=$SRV4 ATK4=$ATK4
CLI6=$CLI6 LB6=$LB6 SRV6=$SRV6 ATK6=$ATK6
EOF
}

down() {
	local f pid
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
