// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard: command table and global options, as bpftool's main.c.
 *
 *   ppguard [-v|--verbose]... [-h|--help] [--version] COMMAND [ARGS...]
 *
 * A command is one line in cmds[] plus do_xxx() in user/cmd_xxx.c, declared
 * in user/ppguard.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "log.h"
#include "ppguard.h"

static int do_help(int argc, char **argv);

static const char help_help[] = "[COMMAND]\n"
				"Show the commands, or one command's help.\n";

static const struct cmd cmds[] = {
	{"help", do_help, help_help},
	{"parse", do_parse, parse_help},
	{"attach", do_attach, attach_help},
	{"detach", do_detach, detach_help},
	{"status", do_status, status_help},
	{"trust", do_trust, trust_help},
	{"port", do_port, port_help},
	{"conns", do_conns, conns_help},
	{"run", do_run, run_help},
	{"inspect", do_inspect, inspect_help},
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct cmd *cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* Line k (0-based) of a help text: pointer and length. */
static const char *help_line(const char *help, int k, int *len)
{
	const char *p = help, *e;

	while (k-- > 0 && p) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p) {
		*len = 0;
		return "";
	}
	e = strchr(p, '\n');
	*len = e ? (int)(e - p) : (int)strlen(p);
	return p;
}

int cmd_help(FILE *f, const char *name)
{
	const struct cmd *c = cmd_find(name);
	const char *body;
	int n;

	if (!c)
		return -ENOENT;
	body = help_line(c->help, 0, &n);
	fprintf(f, "Usage: ppguard %s %.*s\n", c->name, n, body);
	body = help_line(c->help, 1, &n);
	fputs(body, f);
	if (body[n] == '\0')
		fputc('\n', f);
	return 0;
}

int cmd_usage_error(const char *name, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ppguard: %s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'ppguard %s --help')\n", name);
	return PP_EXIT_USAGE;
}

static void usage(FILE *f)
{
	size_t i;
	int n1, n2;

	fprintf(f, "Usage: ppguard [OPTIONS] COMMAND [ARGS...]\n"
		   "Kernel-level PROXY protocol guard.\n"
		   "\n"
		   "Options (before the command):\n"
		   "  -v, --verbose   more messages on stderr; twice: libbpf "
		   "debug\n"
		   "  -h, --help      this help\n"
		   "      --version   print the version\n"
		   "\n"
		   "Commands:\n");
	for (i = 0; i < N_CMDS; i++) {
		const char *syn = help_line(cmds[i].help, 0, &n1);
		const char *sum = help_line(cmds[i].help, 1, &n2);

		fprintf(f, "  %s %.*s\n      %.*s\n", cmds[i].name, n1, syn, n2,
			sum);
	}
	fprintf(f, "\n'ppguard COMMAND --help' shows a command's options.\n");
}

static int do_help(int argc, char **argv)
{
	if (argc > 2)
		return cmd_usage_error("help", "one command at a time");
	if (argc == 2 && strcmp(argv[1], "-h") && strcmp(argv[1], "--help")) {
		if (cmd_help(stdout, argv[1])) {
			pr_warn("unknown command '%s' (try 'ppguard help')\n",
				argv[1]);
			return PP_EXIT_USAGE;
		}
		return 0;
	}
	usage(stdout);
	return 0;
}

static void version(void)
{
	printf("ppguard %s (libbpf %s)\n", PPGUARD_VERSION,
	       libbpf_version_string());
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	enum pp_log_level level = PP_LOG_INFO;
	const struct cmd *c;
	char prog[64];
	int opt, ret;

	/* "+": stop at the command; its options are its own */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			if (level < PP_LOG_VERBOSE)
				level++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			version();
			return EXIT_SUCCESS;
		default:
			pr_warn("unknown option '%s' (see 'ppguard --help')\n",
				argv[optind - 1]);
			return PP_EXIT_USAGE;
		}
	}
	log_set_level(level);
	log_init_libbpf();

	if (optind >= argc) {
		usage(stderr);
		return PP_EXIT_USAGE;
	}
	c = cmd_find(argv[optind]);
	if (!c) {
		pr_warn("unknown command '%s' (try 'ppguard help')\n",
			argv[optind]);
		return PP_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	/* "ppguard CMD --help" works for every command, whatever its own
	 * option parsing does */
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))
		return cmd_help(stdout, c->name) ? EXIT_FAILURE : EXIT_SUCCESS;

	/* getopt's own messages ("unrecognized option") start with argv[0]:
	 * make them read "ppguard: CMD: ..." like every other error */
	snprintf(prog, sizeof(prog), "ppguard: %s", c->name);
	argv[0] = prog;
	log_set_cmd(c->name);
	optind = 0; /* glibc: restart getopt from scratch for the command */
	opterr = 1;
	ret = c->fn(argc, argv);
	if (ret < 0)
		return EXIT_FAILURE;
	return ret;
}
