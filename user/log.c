// SPDX-License-Identifier: GPL-2.0
/* Logging to stderr with a verbosity level; see log.h. */
#include <stdarg.h>
#include <stdio.h>

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum pp_log_level log_level = PP_LOG_INFO;
static const char *log_cmd;

static void log_vprint(enum pp_log_level level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	if (level == PP_LOG_WARN) {
		if (log_cmd)
			fprintf(stderr, "ppguard: %s: ", log_cmd);
		else
			fputs("ppguard: ", stderr);
	}
	vfprintf(stderr, fmt, ap);
}

void pp_log(enum pp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint(level, fmt, ap);
	va_end(ap);
}

enum pp_log_level log_set_level(enum pp_log_level level)
{
	enum pp_log_level old = log_level;

	log_level = level;
	return old;
}

enum pp_log_level log_get_level(void)
{
	return log_level;
}

void log_set_cmd(const char *cmd)
{
	log_cmd = cmd;
}

/* libbpf's own warnings are often expected (a probe that fails on purpose,
 * a tc hook that exists): demote them so they show only with -v, and their
 * debug output only with -vv. */
static enum pp_log_level lib_level(int lib_warn, int lib_info, int level)
{
	if (level == lib_warn || level == lib_info)
		return PP_LOG_DEBUG;
	return PP_LOG_VERBOSE;
}

static int libbpf_print_fn(enum libbpf_print_level level, const char *fmt,
			   va_list ap)
{
	enum pp_log_level l = lib_level(LIBBPF_WARN, LIBBPF_INFO, level);

	if (l > log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int libxdp_print_fn(enum libxdp_print_level level, const char *fmt,
			   va_list ap)
{
	enum pp_log_level l = lib_level(LIBXDP_WARN, LIBXDP_INFO, level);

	if (l > log_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void log_init_libbpf(void)
{
	libbpf_set_print(libbpf_print_fn);
	libxdp_set_print(libxdp_print_fn);
}
