#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything ppguard's build, tests, benchmarks and demo need.
# Idempotent and quiet when all is present. Debian/Ubuntu (apt-get) only.
set -euo pipefail

PKGS=(
	# build
	clang llvm lld libbpf-dev libxdp-dev bpftool pkg-config libelf-dev zlib1g-dev
	make gcc libjson-c-dev libinih-dev libmicrohttpd-dev libpcap-dev
	# tests and checks
	libcmocka-dev libclang-rt-14-dev cppcheck clang-format clang-tools
	haproxy nginx-light prometheus python3 python3-scapy
	# topology, traffic, inspection
	iproute2 ethtool tcpdump xdp-tools nftables iperf3 socat curl openssl
	procps psmisc util-linux
	# make test-kernels: other kernels in qemu (scripts/vmtest.sh)
	qemu-system-x86 busybox-static kmod
)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root (apt-get install)" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: this script supports Debian/Ubuntu (apt-get) only; install by hand: ${PKGS[*]}" >&2
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Package scripts must not start haproxy/nginx/prometheus system services:
	# the tests run their own instances in namespaces.
	made_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	trap '[ $made_policy -eq 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
	if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ppguard-apt.log 2>&1; then
		apt-get update -qq >/tmp/ppguard-apt.log 2>&1 || true
		if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/ppguard-apt.log 2>&1; then
			tail -20 /tmp/ppguard-apt.log >&2
			echo "install-deps: apt-get install failed (log: /tmp/ppguard-apt.log)" >&2
			exit 1
		fi
	fi
fi

# Kubernetes manifest validation (tests/suites.d/k8s.sh): the schema models
# from npm (tests/k8s/npm-packages.txt), project-local under build/k8s, never
# committed. Without npm the suite says SKIP.
k8s_root=$(cd "$(dirname "$0")/.." && pwd)
if command -v npm >/dev/null 2>&1 &&
	[ ! -d "$k8s_root/build/k8s/node_modules/kubernetes-models" ]; then
	mapfile -t k8s_pkgs < <(grep -v '^#' "$k8s_root/tests/k8s/npm-packages.txt")
	echo "install-deps: npm install --prefix build/k8s ${k8s_pkgs[*]}"
	npm install --prefix "$k8s_root/build/k8s" --no-audit --no-fund \
		--loglevel=error "${k8s_pkgs[@]}" >/tmp/ppguard-npm.log 2>&1 ||
		echo "install-deps: npm install failed (log: /tmp/ppguard-npm.log); the k8s suite will fail" >&2
fi

# bpffs is needed by attach/pin; mount it when absent.
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || true
fi
exit 0
