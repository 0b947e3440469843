#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Kubernetes manifests (scripts/k8s/): every document validated offline
# against the Kubernetes OpenAPI schemas (npm: kubernetes-models,
# @kubernetes-models/prometheus-operator; installed by
# scripts/install-deps.sh under build/k8s, never committed), plus what the
# DaemonSet must hold for ppguard to work (tests/k8s/validate.js); a broken
# DaemonSet must be refused; the ConfigMap's ppguard.conf must load with
# ppguard's own parser; the alert rules must pass promtool; and the
# reloader sidecar's script, run against a real `ppguard run` and a config
# directory laid out as the kubelet does (..data symlink swapped), must
# turn a dry run into enforcement by SIGHUP. Skipped when npm is absent.
# Prints TAP.
set -euo pipefail
root=${PPG_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PPG_BIN:-$root/build/ppguard}
mods=$root/build/k8s/node_modules
manifests=("$root/scripts/k8s/ppguard.yaml" "$root/scripts/k8s/podmonitor.yaml")

. "$root/tests/lib/tap.sh"
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	skip "Kubernetes manifests validated against the OpenAPI schemas" \
		"npm is absent (Node.js and npm are needed for the schema models)"
	exit 0
fi
if [ ! -d "$mods/kubernetes-models" ] || [ ! -d "$mods/yaml" ]; then
	# scripts/install-deps.sh does this; a tree built without it gets it here
	mapfile -t pkgs < <(grep -v '^#' "$root/tests/k8s/npm-packages.txt")
	if ! npm install --prefix "$root/build/k8s" --no-audit --no-fund \
		--loglevel=error "${pkgs[@]}" >/dev/null 2>&1; then
		fail "npm install of the schema models (${pkgs[*]})" \
			"run: npm install --prefix build/k8s ${pkgs[*]}"
		exit 1
	fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ppg$$-k8s.XXXXXX")
NS=ppg$$k
IF=ppg$$k0
inner=
# unshare ignores SIGTERM while it waits: signal its child, PID 1 of the
# namespace, whose trap stops ppguard and the reloader
# shellcheck disable=SC2317 # called by the trap
stop_inner() {
	local c
	c=$(pgrep -P "$inner" || true)
	[ -z "$c" ] || kill -TERM "$c" 2>/dev/null || true
	wait "$inner" 2>/dev/null || true
	inner=
}
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	[ -z "$inner" ] || stop_inner
	if [ -d "/sys/fs/bpf/ppguard/$IF" ]; then
		nsenter --net="/run/netns/$NS" "$bin" detach -i "$IF" \
			>/dev/null 2>&1 || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- schemas and ppguard's needs ----
out=$(node "$root/tests/k8s/validate.js" "$mods" --extract "$tmp" \
	"${manifests[@]}" 2>&1) || true
while IFS= read -r line; do
	case "$line" in
	"ok - "*) pass "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	*) fail "validate.js: $line" ;;
	esac
done <<<"$out"

# ---- the validator refuses a broken DaemonSet ----
bad=$(node "$root/tests/k8s/validate.js" "$mods" "$root/tests/k8s/bad.yaml" 2>&1) &&
	brc=0 || brc=$?
if [ "$brc" -eq 1 ] &&
	grep -q "not ok - bad.yaml: DaemonSet bad is valid against its schema: .*required property selector.*containerPort must be integer" <<<"$bad" &&
	grep -q "not ok - DaemonSet bad: host network" <<<"$bad" &&
	grep -q "not ok - DaemonSet bad: not privileged" <<<"$bad" &&
	grep -q "not ok - DaemonSet bad: /sys/fs/bpf" <<<"$bad"; then
	pass "a broken DaemonSet is refused (schema: no selector, string port; privileged, no host network, no bpffs)"
else
	fail "a broken DaemonSet is refused" "$bad"
fi

# ---- the ConfigMap's config, with ppguard's own parser ----
if [ -s "$tmp/ppguard.conf" ] &&
	"$bin" inspect -c "$tmp/ppguard.conf" --json "$root/tests/inspect/sll.pcap" \
		>"$tmp/inspect.json" 2>"$tmp/inspect.err" &&
	[ ! -s "$tmp/inspect.err" ] &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["config"]["dry_run"] else 1)' "$tmp/inspect.json"; then
	pass "the ConfigMap's ppguard.conf loads with ppguard's parser (and starts in dry run)"
else
	fail "the ConfigMap's ppguard.conf loads with ppguard's parser" \
		"$(cat "$tmp/inspect.err" 2>/dev/null)"
fi

# ---- alert rules ----
if command -v promtool >/dev/null; then
	if promtool check rules "$tmp/rules.yaml" >"$tmp/promtool.out" 2>&1; then
		pass "the PrometheusRule's alerts pass promtool check rules"
	else
		fail "the PrometheusRule's alerts pass promtool check rules" "$(cat "$tmp/promtool.out")"
	fi
else
	skip "the PrometheusRule's alerts pass promtool check rules" "promtool is absent"
fi

# ---- the reloader sidecar against a real ppguard run ----
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	skip "the reloader turns a ConfigMap change into SIGHUP" "needs root and unshare"
	exit $failed
fi
if [ ! -s "$tmp/reloader.sh" ]; then
	fail "the reloader's script was extracted from the DaemonSet"
	exit 1
fi
ip netns add "$NS"
ip -n "$NS" link add "$IF" type veth peer name "${IF}p"
ip -n "$NS" link set "$IF" up
ip -n "$NS" link set "${IF}p" up

# The kubelet's layout of a ConfigMap volume: files are links through
# ..data, which is swapped atomically to a new timestamped directory.
cm=$tmp/cm
mkdir -p "$cm/..v1"
sed "s/^mode = .*/mode = tc/" "$tmp/ppguard.conf" >"$cm/..v1/ppguard.conf"
ln -s ..v1 "$cm/..data"
ln -s ..data/ppguard.conf "$cm/ppguard.conf"
# the sidecar's script as shipped, on this directory, polling faster
sed -e "s|/etc/ppguard|$cm|g" -e "s/sleep 10/sleep 0.2/" "$tmp/reloader.sh" \
	>"$tmp/reloader.run"

# A PID namespace of its own, as the pod's shared one: pkill sees only the
# ppguard started here.
# shellcheck disable=SC2016 # expanded by the inner bash
unshare --pid --fork --mount-proc bash -c '
	trap "kill -TERM \$p1 \$p2 2>/dev/null; wait" TERM
	nsenter --net="/run/netns/$1" "$2" run -i "$3" -c "$4/ppguard.conf" \
		--metrics off --events off 2>"$5/run.log" &
	p1=$!
	sh "$5/reloader.run" >"$5/reloader.log" 2>&1 &
	p2=$!
	wait' _ "$NS" "$bin" "$IF" "$cm" "$tmp" &
inner=$!
for _ in $(seq 1 100); do
	grep -q "running on" "$tmp/run.log" 2>/dev/null && break
	sleep 0.1
done
dry() {
	nsenter --net="/run/netns/$NS" "$bin" status -i "$IF" --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["dry_run"])'
}
d1=$(dry || true)
# kubectl edit: dry_run = no
mkdir "$cm/..v2"
sed "s/^dry_run = yes/dry_run = no/" "$cm/..v1/ppguard.conf" >"$cm/..v2/ppguard.conf"
ln -s ..v2 "$cm/..data_tmp"
mv -T "$cm/..data_tmp" "$cm/..data"
for _ in $(seq 1 50); do
	grep -q "SIGHUP: .*applied" "$tmp/run.log" && break
	sleep 0.1
done
d2=$(dry || true)
if [ "$d1" = True ] && [ "$d2" = False ] &&
	grep -q "reloader: ..v2: SIGHUP to ppguard" "$tmp/reloader.log" &&
	grep -q "SIGHUP: enforcing on $IF" "$tmp/run.log"; then
	pass "the reloader turns a ConfigMap change (..data swap) into SIGHUP: dry run -> enforcing"
else
	fail "the reloader turns a ConfigMap change into SIGHUP" \
		"dry before=$d1 after=$d2; $(cat "$tmp/reloader.log" "$tmp/run.log" 2>/dev/null | tail -8)"
fi
stop_inner
if [ ! -d "/sys/fs/bpf/ppguard/$IF" ]; then
	pass "SIGTERM: the pod's ppguard run (without --keep here) detached"
else
	fail "SIGTERM: ppguard run detached" "$(cat "$tmp/run.log")"
fi

exit $failed
