#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0
/*
 * Validate Kubernetes manifests offline: every document against the
 * Kubernetes OpenAPI schemas (the npm package kubernetes-models, and
 * @kubernetes-models/prometheus-operator for the monitoring.coreos.com
 * kinds), then what ppguard's DaemonSet must hold to work (host network,
 * capabilities, the bpffs mount, the config, the reloader, the metrics
 * wiring).
 *
 * usage: node tests/k8s/validate.js NODE_MODULES [--extract DIR] FILE...
 *   NODE_MODULES  where the npm packages are (build/k8s/node_modules)
 *   --extract DIR write the ConfigMap's ppguard.conf, the reloader's
 *                 script (reloader.sh) and the PrometheusRule's groups
 *                 (rules.yaml) there, for ppguard and promtool to check
 * Prints one line per check: "ok - what" or "not ok - what: why". Exit
 * status 1 when a check failed, 2 on bad usage or a missing package.
 */
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
if (args.length < 2) {
	console.error('usage: validate.js NODE_MODULES [--extract DIR] FILE...');
	process.exit(2);
}
const mods = path.resolve(args.shift());
let extract = null;
if (args[0] === '--extract') {
	args.shift();
	extract = args.shift();
}
function need(name) {
	try {
		return require(path.join(mods, name));
	} catch (e) {
		console.error(`validate.js: cannot load ${name} from ${mods}: ` +
			`${e.message.split('\n')[0]} (run scripts/install-deps.sh)`);
		process.exit(2);
	}
}
const YAML = need('yaml');

// apiVersion/kind -> model class
function model(apiVersion, kind) {
	const [group, version] = apiVersion.includes('/') ?
		apiVersion.split('/') : ['', apiVersion];
	const base = group === 'monitoring.coreos.com' ?
		'@kubernetes-models/prometheus-operator/monitoring.coreos.com' :
		group === '' ? 'kubernetes-models' :
		`kubernetes-models/${group}`;
	const m = need(`${base}/${version}/${kind}`);
	return m[kind];
}

let failed = 0;
function ok(what) {
	console.log(`ok - ${what}`);
}
function notOk(what, why) {
	failed = 1;
	console.log(`not ok - ${what}: ${why}`);
}
function check(what, cond, why) {
	if (cond)
		ok(what);
	else
		notOk(what, why || 'no');
}

const docs = [];
for (const file of args) {
	let parsed;
	try {
		parsed = YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		notOk(`${file}: readable YAML`, e.message);
		continue;
	}
	for (const d of parsed) {
		if (d.errors.length) {
			notOk(`${file}: YAML`, d.errors[0].message);
			continue;
		}
		const o = d.toJS();
		if (o === null || o === undefined)
			continue;
		docs.push({ file: path.basename(file), o });
	}
}

// 1. Schemas
for (const { file, o } of docs) {
	const name = `${file}: ${o.kind || '?'} ${(o.metadata || {}).name || '?'}`;
	if (!o.apiVersion || !o.kind) {
		notOk(name, 'apiVersion and kind are required');
		continue;
	}
	let M;
	try {
		M = model(o.apiVersion, o.kind);
	} catch (e) {
		notOk(name, `no schema for ${o.apiVersion} ${o.kind}`);
		continue;
	}
	if (!M) {
		notOk(name, `no schema for ${o.apiVersion} ${o.kind}`);
		continue;
	}
	try {
		new M(o).validate();
		ok(`${name} is valid against the ${o.apiVersion} ${o.kind} schema`);
	} catch (e) {
		notOk(`${name} is valid against its schema`,
			e.message.split('\n').slice(0, 3).join('; '));
	}
}

// 2. What ppguard needs
const find = (kind) => docs.filter((d) => d.o.kind === kind).map((d) => d.o);
const sub = (sel, labels) => Object.entries(sel || {}).every(
	([k, v]) => labels && labels[k] === v);
for (const ds of find('DaemonSet')) {
	const n = `DaemonSet ${ds.metadata.name}`;
	const spec = ds.spec || {};
	const tpl = spec.template || {};
	const pod = tpl.spec || {};
	const labels = (tpl.metadata || {}).labels || {};
	const ann = (tpl.metadata || {}).annotations || {};
	const cs = pod.containers || [];
	const pg = cs.find((c) => (c.command || []).join(' ')
		.match(/\bppguard run\b/));
	const msel = (spec.selector || {}).matchLabels;
	check(`${n}: its selector matches its pods`,
		msel && Object.keys(msel).length && sub(msel, labels));
	check(`${n}: host network (ppguard guards the host's interface)`,
		pod.hostNetwork === true);
	if (!pg) {
		notOk(`${n}: a container runs "ppguard run"`, 'none');
		continue;
	}
	const sc = pg.securityContext || {};
	const add = ((sc.capabilities || {}).add || []).map((c) =>
		c.replace(/^CAP_/, ''));
	check(`${n}: not privileged, no privilege escalation`,
		sc.privileged !== true && sc.allowPrivilegeEscalation === false);
	check(`${n}: capabilities BPF, NET_ADMIN, PERFMON added, the rest dropped`,
		['BPF', 'NET_ADMIN', 'PERFMON'].every((c) => add.includes(c)) &&
		((sc.capabilities || {}).drop || []).includes('ALL'),
		JSON.stringify(sc.capabilities));
	const conf = docs.map((d) => d.o).find((o) => o.kind === 'ConfigMap');
	const vol = (name) => (pod.volumes || []).find((v) => v.name === name);
	const mnt = (p) => (pg.volumeMounts || []).find((m) => m.mountPath === p);
	const bpf = mnt('/sys/fs/bpf');
	check(`${n}: /sys/fs/bpf is the host's (pins outlive the pod)`,
		bpf && vol(bpf.name) && (vol(bpf.name).hostPath || {}).path ===
			'/sys/fs/bpf');
	const cmd = (pg.command || []).concat(pg.args || []);
	const ci = cmd.indexOf('-c');
	const confPath = ci >= 0 ? cmd[ci + 1] : null;
	const cm = confPath && (pg.volumeMounts || []).find((m) =>
		confPath.startsWith(m.mountPath + '/'));
	const cv = cm && vol(cm.name);
	check(`${n}: -c names a file of the ConfigMap volume`,
		cv && cv.configMap && conf &&
		cv.configMap.name === conf.metadata.name &&
		(conf.data || {})[path.basename(confPath)] !== undefined &&
		(cv.configMap.items || [{ path: path.basename(confPath) }])
			.some((i) => i.path === path.basename(confPath)),
		`-c ${confPath}`);
	check(`${n}: --keep (enforcement survives a pod restart)`,
		cmd.includes('--keep') || cmd.includes('-k'));
	const env = (name) => (pg.env || []).find((e) => e.name === name);
	const ifv = cmd[cmd.indexOf('-i') + 1] || '';
	const m = ifv.match(/^\$\((\w+)\)$/);
	check(`${n}: -i comes from the ConfigMap or a literal`,
		!m || (env(m[1]) && ((env(m[1]).valueFrom || {}).configMapKeyRef ||
			env(m[1]).value)), ifv);
	const port = (pg.ports || []).find((p) => p.name === 'metrics');
	const mi = cmd.indexOf('--metrics');
	check(`${n}: --metrics listens on the "metrics" port`,
		port && mi >= 0 &&
		String(cmd[mi + 1]).endsWith(`:${port.containerPort}`),
		mi >= 0 ? String(cmd[mi + 1]) : 'no --metrics');
	check(`${n}: prometheus.io annotations point at that port`,
		ann['prometheus.io/scrape'] === 'true' && port &&
		ann['prometheus.io/port'] === String(port.containerPort));
	const rl = cs.find((c) => c !== pg &&
		/pkill -HUP|kill -HUP/.test((c.command || []).join(' ')));
	check(`${n}: a reloader sends SIGHUP, sharing the process namespace ` +
		`and the config mount`,
		rl && pod.shareProcessNamespace === true &&
		(rl.volumeMounts || []).some((v) => cm && v.name === cm.name));
	check(`${n}: the reloader has no capability`,
		rl && !(((rl.securityContext || {}).capabilities || {}).add || [])
			.length);
	for (const svc of find('Service'))
		check(`Service ${svc.metadata.name}: selects the DaemonSet's pods ` +
			'and targets "metrics"',
			sub(svc.spec.selector, labels) && (svc.spec.ports || [])
				.some((p) => p.targetPort === 'metrics'));
	for (const pm of find('PodMonitor'))
		check(`PodMonitor ${pm.metadata.name}: selects the DaemonSet's ` +
			'pods, port "metrics", in their namespace',
			sub(pm.spec.selector.matchLabels, labels) &&
			pm.spec.podMetricsEndpoints.some((e) => e.port === 'metrics') &&
			((pm.spec.namespaceSelector || {}).matchNames || [])
				.includes(ds.metadata.namespace));
	if (extract && conf) {
		fs.writeFileSync(path.join(extract, 'ppguard.conf'),
			conf.data[path.basename(confPath)]);
		if (rl && rl.command[rl.command.length - 2] === '-c')
			fs.writeFileSync(path.join(extract, 'reloader.sh'),
				rl.command[rl.command.length - 1]);
	}
}
if (extract) {
	const groups = [].concat(...find('PrometheusRule').map((r) =>
		r.spec.groups));
	if (groups.length)
		fs.writeFileSync(path.join(extract, 'rules.yaml'),
			YAML.stringify({ groups }));
}
if (!docs.length)
	notOk('manifests', 'no document');
process.exit(failed);
