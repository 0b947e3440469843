// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard attach: load, pin and attach the data path, fill its maps from a
 * config, exit. The programs stay attached.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "loader.h"
#include "log.h"
#include "ppguard.h"

const char attach_help[] =
	"-i IFACE [-c CONF] [--mode tc|xdp] [--xdp-mode native|skb] "
	"[--dry-run]\n"
	"Load the data path, pin its maps and attach it to IFACE; it stays "
	"after exit.\n"
	"\n"
	"  -i, --iface IFACE      interface to guard (ingress)\n"
	"  -c, --config CONF      fill ports, trust, healthcheck, deny_client "
	"and\n"
	"                         dry_run from this file (a diff against the "
	"maps);\n"
	"                         without it the maps keep what they hold\n"
	"  -m, --mode tc|xdp      hook (default: the config's mode, else tc)\n"
	"      --xdp-mode native|skb\n"
	"                         XDP attach mode (default native)\n"
	"  -n, --dry-run          violations are logged, not enforced\n"
	"\n"
	"Pins go to /sys/fs/bpf/ppguard/IFACE/. Attaching again reuses the "
	"pinned maps\n"
	"(flows and counters survive) and replaces the program with no gap: "
	"tc swaps\n"
	"the filter's program in place; xdp adds the new program to libxdp's\n"
	"dispatcher, then removes the old one (on kernels without "
	"BPF_PROG_TYPE_EXT,\n"
	"where libxdp attaches a lone program, it is swapped in one call, "
	"XDP_FLAGS_REPLACE).\n"
	"tc uses ppguard's own filter (pref 1, handle 0x5050) on a clsact "
	"qdisc, made if\n"
	"missing. Any error undoes what this call did.\n"
	"Needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN; CAP_SYS_ADMIN for "
	"xdp).\n"
	"For an interface in another network namespace, run it there with\n"
	"nsenter --net=/run/netns/NAME: 'ip netns exec' mounts a fresh /sys "
	"without\n"
	"the host's bpffs.\n";

int do_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"config", required_argument, NULL, 'c'},
		{"mode", required_argument, NULL, 'm'},
		{"xdp-mode", required_argument, NULL, 'x'},
		{"dry-run", no_argument, NULL, 'n'},
		{},
	};
	struct pp_attach_opts ao = {};
	struct pp_attach_result res;
	struct pp_conf conf;
	const char *conf_path = NULL;
	int mode = -1, xdp_mode = -1, cli_xdp, opt, r;

	while ((opt = getopt_long(argc, argv, "i:c:m:n", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			ao.iface = optarg;
			break;
		case 'c':
			conf_path = optarg;
			break;
		case 'm':
			if (pp_mode_parse(optarg, &mode))
				return cmd_usage_error(
					"attach",
					"--mode '%s': expected tc or xdp",
					optarg);
			break;
		case 'x':
			if (pp_xdp_mode_parse(optarg, &xdp_mode))
				return cmd_usage_error(
					"attach",
					"--xdp-mode '%s': expected "
					"native or skb",
					optarg);
			break;
		case 'n':
			ao.dry_run = 1;
			break;
		default:
			return PP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("attach", "unexpected argument '%s'",
				       argv[optind]);
	if (!ao.iface)
		return cmd_usage_error("attach", "-i IFACE is required");
	cli_xdp = xdp_mode;
	if (conf_path) {
		r = pp_conf_load(conf_path, &conf);
		if (r) {
			pp_conf_free(&conf);
			return r == -EINVAL ? EXIT_FAILURE : PP_EXIT_NOINPUT;
		}
		ao.conf = &conf;
		if (mode < 0 && conf.mode_set)
			mode = conf.mode;
		if (xdp_mode < 0 && conf.xdp_mode_set)
			xdp_mode = conf.xdp_mode;
	}
	ao.mode = mode < 0 ? PP_MODE_TC : mode;
	ao.xdp_mode = xdp_mode < 0 ? PP_XDP_NATIVE : xdp_mode;
	if (ao.mode == PP_MODE_TC && cli_xdp >= 0) {
		if (conf_path)
			pp_conf_free(&conf);
		return cmd_usage_error("attach", "--xdp-mode needs --mode xdp");
	}
	r = pp_attach(&ao, &res);
	if (!r) {
		if (ao.mode == PP_MODE_TC)
			pr_info("%s: %s ppguard_tc (prog id %u) on tc ingress "
				"pref %u handle 0x%x%s%s\n",
				ao.iface,
				res.reattached ? "replaced with" : "attached",
				res.prog_id, PP_TC_PRIO, PP_TC_HANDLE,
				res.created_clsact ? ", clsact created" : "",
				ao.dry_run || (ao.conf && ao.conf->dry_run)
					? " [DRY RUN]"
					: "");
		else
			pr_info("%s: %s ppguard_xdp (prog id %u), %s mode, "
				"%s%s\n",
				ao.iface,
				res.reattached ? "replaced with" : "attached",
				res.prog_id, pp_xdp_mode_str(ao.xdp_mode),
				res.xdp_dispatcher_id
					? "on libxdp's dispatcher"
					: "alone (no libxdp dispatcher: this "
					  "kernel lacks BPF_PROG_TYPE_EXT)",
				ao.dry_run || (ao.conf && ao.conf->dry_run)
					? " [DRY RUN]"
					: "");
	}
	if (conf_path)
		pp_conf_free(&conf);
	return r ? EXIT_FAILURE : EXIT_SUCCESS;
}
