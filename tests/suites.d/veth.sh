#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ppguard on a real veth, with a real PROXY-protocol server behind it.
#
# Namespaces ppg$$-srv and ppg$$-cli joined by a veth pair (198.18.0.1/2,
# fd00::1/2). In the server namespace: HAProxy 2.6 with accept-proxy on
# 8443 (ppguard: require, drop) and 8444 (require, v2 only, reset), and a
# plain bind on 8080 (ppguard: optional, drop); it logs the client address
# it derived (%ci:%cp). ppguard's TC program, then its XDP program (native
# veth XDP, else generic), is attached to the server-side veth by
# build/tests/veth_attach, which pins the maps in a private bpffs directory
# that bpftool then fills. Checksum offloads are off (client tx, server rx)
# so that a RST with a wrong checksum would be dropped, not accepted.
#
# For each hook and family, from the client namespace:
#  (a) client trusted: a v2 header claiming 198.51.100.7:40000 is served
#      and HAProxy logs 198.51.100.7:40000;
#  (b) trust removed, drop port: the same header never reaches the server:
#      no response, the server's socket is established with 0 bytes
#      received, the log never shows the forged address;
#  (c) trust removed, reset port: the server's socket is reset at once (no
#      established socket remains), nothing logged with the forged address;
#  (d) untrusted plain request on the optional port: served, logged with
#      the client's real address.
# Each also checks the data path's flow entry of that very connection
# (state, reason, action, declared client) through the pinned map.
# Everything (processes by pid, namespaces, attachments, pins, files) is
# removed by the EXIT trap.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
attach=$root/build/tests/veth_attach

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	echo "not ok $n - $*"
	failed=1
}
skip_all() {
	echo "ok 1 - veth suite # SKIP $*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "needs root"
for t in haproxy python3 bpftool ip tc ss ethtool; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done
if [ ! -x "$attach" ]; then
	echo "not ok 1 - $attach is missing: run make tests-build"
	exit 1
fi
mountpoint -q /sys/fs/bpf || skip_all "no bpffs at /sys/fs/bpf"

p=ppg$$
ns_s=$p-srv
ns_c=$p-cli
if_s=${p}s
if_c=${p}c
pin=/sys/fs/bpf/$p-veth
tmp=$(mktemp -d "/tmp/$p-veth.XXXXXX")
haproxy_pid=
client_pid=
trusted_runs=0

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
	set +e
	[ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null
	[ -n "$haproxy_pid" ] && kill "$haproxy_pid" 2>/dev/null
	[ -n "$client_pid" ] && wait "$client_pid" 2>/dev/null
	[ -n "$haproxy_pid" ] && wait "$haproxy_pid" 2>/dev/null
	# deleting the namespaces deletes the veth pair and its TC/XDP
	# attachments with it
	ip netns del "$ns_c" 2>/dev/null
	ip netns del "$ns_s" 2>/dev/null
	rm -rf "$pin" "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

ns_s() { ip netns exec "$ns_s" "$@"; }
ns_c() { ip netns exec "$ns_c" "$@"; }

# ---- topology ----
ip netns add "$ns_s"
ip netns add "$ns_c"
ip link add "$if_s" netns "$ns_s" type veth peer name "$if_c" netns "$ns_c"
ns_s ip link set lo up
ns_c ip link set lo up
ns_s ip addr add 198.18.0.1/24 dev "$if_s"
ns_s ip addr add fd00::1/64 dev "$if_s" nodad
ns_c ip addr add 198.18.0.2/24 dev "$if_c"
ns_c ip addr add fd00::2/64 dev "$if_c" nodad
ns_s ip link set "$if_s" up
ns_c ip link set "$if_c" up
ns_c ethtool -K "$if_c" tx off >/dev/null
ns_s ethtool -K "$if_s" rx off >/dev/null

# ---- the server ----
cat >"$tmp/haproxy.cfg" <<EOF
global
	log stdout format raw local0
	maxconn 200
defaults
	mode http
	log global
	timeout connect 1s
	timeout client 4s
	timeout server 1s
	log-format "client=%ci:%cp frontend=%ft status=%ST"
frontend proxied
	bind 198.18.0.1:8443 accept-proxy
	bind [fd00::1]:8443 accept-proxy
	bind 198.18.0.1:8444 accept-proxy
	bind [fd00::1]:8444 accept-proxy
	http-request return status 200 content-type text/plain string ok
frontend plain
	bind 198.18.0.1:8080
	bind [fd00::1]:8080
	http-request return status 200 content-type text/plain string ok
EOF
log=$tmp/haproxy.log
ns_s haproxy -f "$tmp/haproxy.cfg" -db >"$log" 2>&1 &
haproxy_pid=$!
for _ in $(seq 50); do
	ns_s ss -Hltn 'sport = :8080' | grep -q . && break
	sleep 0.1
done
if ! ns_s ss -Hltn 'sport = :8080' | grep -q .; then
	not_ok "HAProxy listens in $ns_s"
	sed 's/^/# /' "$log"
	exit 1
fi
ok "HAProxy 2.6 listens in $ns_s (accept-proxy on 8443/8444, plain 8080)"

# ---- the client ----
cat >"$tmp/client.py" <<'EOF'
# client.py HOST PORT v2|plain CLAIM RELEASE_FILE
# Connects, sends [a v2 header claiming CLAIM:40000 +] a GET, waits 1.5 s
# for the answer, prints "port=P result=response|timeout|reset|eof
# status=S", then keeps the socket open until RELEASE_FILE exists (10 s at
# most) so that the server side can be looked at first; a socket that got
# no answer is then aborted (RST), not left to retransmit.
import os, socket, struct, sys, time
host, port, kind, claim, release = sys.argv[1:6]
port = int(port)
fam = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(2)
s.connect((host, port))
lport = s.getsockname()[1]
req = b"GET / HTTP/1.1\r\nHost: ppguard.test\r\nConnection: close\r\n\r\n"
if kind == "v2":
    sig = b"\r\n\r\n\x00\r\nQUIT\n"
    hdr = sig + b"\x21\x11\x00\x0c" + socket.inet_aton(claim)
    hdr += socket.inet_aton("198.18.0.1") + struct.pack("!HH", 40000, port)
    req = hdr + req
s.sendall(req)
s.settimeout(1.5)
data, result = b"", "eof"
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
except socket.timeout:
    result = "timeout"
except ConnectionResetError:
    result = "reset"
if data and result == "eof":
    result = "response"
status = data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "-"
print(f"port={lport} result={result} status={status}", flush=True)
end = time.time() + 10
while not os.path.exists(release) and time.time() < end:
    time.sleep(0.05)
if result != "response":
    # abort: an orphan would go on retransmitting the header, and the
    # next program attached would judge those statelessly
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
EOF

# Start a client in the background; sets c_port, c_result, c_status once
# it has printed its line. release_client lets it close its socket.
start_client() { # HOST PORT KIND
	rm -f "$tmp/release" "$tmp/client.out"
	ns_c python3 "$tmp/client.py" "$1" "$2" "$3" 198.51.100.7 \
		"$tmp/release" >"$tmp/client.out" 2>&1 &
	client_pid=$!
	c_port='' c_result=error c_status=-
	for _ in $(seq 100); do
		grep -q '^port=' "$tmp/client.out" 2>/dev/null && break
		kill -0 "$client_pid" 2>/dev/null || break
		sleep 0.05
	done
	local line
	line=$(grep '^port=' "$tmp/client.out" || true)
	if [ -z "$line" ]; then
		sed 's/^/#   client: /' "$tmp/client.out"
		return 0
	fi
	c_port=$(sed -E 's/.*port=([0-9]+).*/\1/' <<<"$line")
	c_result=$(sed -E 's/.*result=([a-z]+).*/\1/' <<<"$line")
	c_status=$(sed -E 's/.*status=(.*)$/\1/' <<<"$line")
}
release_client() {
	touch "$tmp/release"
	wait "$client_pid" 2>/dev/null || true
	client_pid=
}

# ---- maps (bpftool on the pins) ----
bytes_le32() { # N -> 4 bytes, little endian
	printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) \
		$(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}
addr_bytes() { # IPv4 or IPv6 text -> its bytes in decimal
	python3 -c 'import ipaddress, sys
print(" ".join(str(b) for b in ipaddress.ip_address(sys.argv[1]).packed))' "$1"
}
set_port() { # PORT INSPECT REQUIRE VERSIONS ACTION SLOT
	# shellcheck disable=SC2046
	bpftool map update pinned "$pin/ports" key $(bytes_le32 "$1") \
		value "$2" "$3" "$4" "$5" "$6" 0 0 0
}
trust_map() { case $1 in *:*) echo trust6 ;; *) echo trust4 ;; esac }
trust_key() { # ADDR -> LPM key of a host prefix
	case $1 in
	*:*) echo "$(bytes_le32 128) $(addr_bytes "$1")" ;;
	*) echo "$(bytes_le32 32) $(addr_bytes "$1")" ;;
	esac
}
trust_add() { # ADDR: trusted, not a healthcheck
	# shellcheck disable=SC2046
	bpftool map update pinned "$pin/$(trust_map "$1")" \
		key $(trust_key "$1") value 1 0 1 0
}
trust_del() {
	# shellcheck disable=SC2046
	bpftool map delete pinned "$pin/$(trust_map "$1")" key $(trust_key "$1")
}
# The data path's entry for the client's connection (key: peer port),
# read through BTF: "state reason action declared-src declared-sport" or
# "none". States and reasons are enum pp_flow_state and enum pp_reason.
FS_PASS=3 FS_BLOCKED=4 R_TRUSTED=0 R_UNTRUSTED=1 R_NO_HEADER=11
A_PASS=0 A_DROP=1 A_RESET=2
flow_of() { # CLIENT_PORT
	bpftool -j map dump pinned "$pin/flows" | python3 -c 'import json, sys
port = int(sys.argv[1]) if sys.argv[1] else -1
wire = int.from_bytes(port.to_bytes(2, "big"), "little") if port >= 0 else -1
for e in json.load(sys.stdin):
    k, v = e["formatted"]["key"], e["formatted"]["value"]
    if k["peer_port"] == wire:
        src = ".".join(str(b) for b in v["src_addr"][:4])
        print(v["state"], v["reason"], v["action"], src, v["src_port"])
        break
else:
    print("none")' "$1"
}

log_has() { # STRING [TRIES]: wait for HAProxy to log it
	for _ in $(seq "${2:-20}"); do
		grep -qF -- "$1" "$log" && return 0
		sleep 0.05
	done
	return 1
}

# ---- one hook ----
run_mode() { # tc | xdpdrv | xdpgeneric
	local mode=$1 out fam srv cli fl est forged
	rm -rf "$pin"
	mkdir -p "$pin"
	if ! out=$("$attach" "$pin" "$ns_s" "$if_s" "$mode" 2>&1); then
		if [ "$mode" = xdpdrv ]; then
			ok "[$mode] native XDP on veth # SKIP not available: $out"
			return 0
		fi
		not_ok "[$mode] attach ppguard to $if_s: $out"
		return 1
	fi
	ok "[$mode] ppguard attached to $if_s, maps pinned in $pin ($out)"
	set_port 8443 1 1 3 1 1 # require, v1+v2, drop
	set_port 8444 1 1 2 2 2 # require, v2, reset
	set_port 8080 1 0 3 1 3 # optional, v1+v2, drop

	for fam in 4 6; do
		if [ "$fam" = 4 ]; then
			srv=198.18.0.1 cli=198.18.0.2
		else
			srv=fd00::1 cli=fd00::2
		fi
		local tag="[$mode IPv$fam]"

		# (a) trusted: served, the server logs the declared client
		trust_add "$cli"
		trusted_runs=$((trusted_runs + 1))
		start_client "$srv" 8443 v2
		fl=$(flow_of "$c_port")
		release_client
		if [ "$c_result" = response ] && [ "$c_status" = 200 ] &&
			log_has "client=198.51.100.7:40000 frontend=proxied" &&
			[ "$fl" = "$FS_PASS $R_TRUSTED $A_PASS 198.51.100.7 40000" ]; then
			ok "$tag trusted client's v2 header is served; HAProxy logs 198.51.100.7:40000"
		else
			not_ok "$tag trusted client's v2 header is served; HAProxy logs 198.51.100.7:40000"
			echo "#   client: $c_result $c_status; flow: $fl"
		fi

		# (b) trust removed, drop port: stalls, never reaches HAProxy
		trust_del "$cli"
		forged=$(grep -cF "client=198.51.100.7:" "$log" || true)
		start_client "$srv" 8443 v2
		est=$(ns_s ss -Htni state established \
			"( sport = :8443 and dport = :${c_port:-0} )")
		fl=$(flow_of "$c_port")
		release_client
		sleep 0.2
		if [ "$c_result" != response ] && [ -n "$est" ] &&
			! grep -q 'bytes_received:[1-9]' <<<"$est" &&
			[ "$(grep -cF "client=198.51.100.7:" "$log" || true)" = "$forged" ] &&
			[ "$fl" = "$FS_BLOCKED $R_UNTRUSTED $A_DROP 0.0.0.0 0" ]; then
			ok "$tag untrusted v2 header on a drop port never reaches HAProxy (stalled, 0 bytes received)"
		else
			not_ok "$tag untrusted v2 header on a drop port never reaches HAProxy (stalled, 0 bytes received)"
			echo "#   client: $c_result $c_status; flow: $fl"
			echo "#   server socket: ${est:-none}"
		fi

		# (c) trust removed, reset port: the server's socket is gone
		start_client "$srv" 8444 v2
		est=$(ns_s ss -Htn state established \
			"( sport = :8444 and dport = :${c_port:-0} )")
		fl=$(flow_of "$c_port")
		release_client
		sleep 0.2
		if [ "$c_result" != response ] && [ -n "$c_port" ] &&
			[ -z "$est" ] &&
			[ "$(grep -cF "client=198.51.100.7:" "$log" || true)" = "$forged" ] &&
			[ "$fl" = "$FS_BLOCKED $R_UNTRUSTED $A_RESET 0.0.0.0 0" ]; then
			ok "$tag untrusted v2 header on a reset port: server socket reset at once, nothing logged"
		else
			not_ok "$tag untrusted v2 header on a reset port: server socket reset at once, nothing logged"
			echo "#   client: $c_result $c_status; flow: $fl"
			echo "#   server socket: ${est:-none}"
		fi

		# (d) untrusted plain request on the optional port: served
		start_client "$srv" 8080 plain
		fl=$(flow_of "$c_port")
		release_client
		if [ "$c_result" = response ] && [ "$c_status" = 200 ] &&
			log_has "client=$cli:$c_port frontend=plain" &&
			[ "$fl" = "$FS_PASS $R_NO_HEADER $A_PASS 0.0.0.0 0" ]; then
			ok "$tag untrusted plain request on the optional port is served"
		else
			not_ok "$tag untrusted plain request on the optional port is served"
			echo "#   client: $c_result $c_status port ${c_port:-?}; flow: $fl"
		fi
	done
	return 0
}

detach_tc() {
	ns_s tc qdisc del dev "$if_s" clsact
}
detach_xdp() {
	ns_s ip link set dev "$if_s" xdpdrv off 2>/dev/null
	ns_s ip link set dev "$if_s" xdpgeneric off 2>/dev/null
	return 0
}

run_mode tc || true
detach_tc
if ns_s tc filter show dev "$if_s" ingress | grep -q bpf; then
	not_ok "[tc] detached"
else
	ok "[tc] detached: no filter left on $if_s"
fi
for xmode in xdpdrv xdpgeneric; do
	run_mode "$xmode" || true
	detach_xdp
	if ns_s ip -j link show dev "$if_s" | grep -q '"xdp"'; then
		not_ok "[$xmode] detached"
	else
		ok "[$xmode] detached: no XDP program left on $if_s"
	fi
done

# The forged address must never have been logged other than by (a).
if [ "$(grep -cF 'client=198.51.100.7:' "$log" || true)" -eq "$trusted_runs" ]; then
	ok "HAProxy logged 198.51.100.7 exactly for the $trusted_runs trusted connections"
else
	not_ok "HAProxy logged 198.51.100.7 exactly for the $trusted_runs trusted connections"
	sed 's/^/#   /' "$log"
fi
echo "1..$n"
exit "$failed"
