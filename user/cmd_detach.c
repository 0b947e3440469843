// SPDX-License-Identifier: GPL-2.0
/* ppguard detach: remove the programs, the pins and the pin directory. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "loader.h"
#include "log.h"
#include "ppguard.h"

const char detach_help[] =
	"-i IFACE\n"
	"Remove ppguard from IFACE: program, pins, and the clsact qdisc if "
	"ppguard made it.\n"
	"\n"
	"  -i, --iface IFACE   the interface\n"
	"\n"
	"Removes ppguard's tc filter (pref 1, handle 0x5050) or its program "
	"on libxdp's\n"
	"dispatcher (other XDP programs stay), the clsact qdisc only when "
	"ppguard\n"
	"created it and no other filter uses it, then every pin in\n"
	"/sys/fs/bpf/ppguard/IFACE/ and the directory: flows, counters and "
	"trust\n"
	"entries are gone. A running 'ppguard run' should be stopped first.\n"
	"Exit status 1 when ppguard is not attached to IFACE.\n";

int do_detach(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{},
	};
	const char *iface = NULL;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "i:", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			iface = optarg;
			break;
		default:
			return PP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("detach", "unexpected argument '%s'",
				       argv[optind]);
	if (!iface)
		return cmd_usage_error("detach", "-i IFACE is required");
	r = pp_detach(iface);
	if (r)
		return EXIT_FAILURE;
	pr_info("%s: detached, pins removed\n", iface);
	return EXIT_SUCCESS;
}
