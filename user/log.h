/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Logging for the CLI and daemon, after xdp-tools lib/util/logging.h.
 * Everything goes to stderr; stdout is for a command's output.
 *
 * pr_warn: errors and warnings, always shown, prefixed "ppguard: [CMD: ]".
 * pr_info: progress an operator wants by default.
 * pr_debug: shown with -v. libbpf/libxdp chatter: warnings and info with -v,
 * their debug output with -vv.
 */
#ifndef PPGUARD_LOG_H
#define PPGUARD_LOG_H

enum pp_log_level {
	PP_LOG_WARN = 0,
	PP_LOG_INFO = 1,
	PP_LOG_DEBUG = 2,   /* -v */
	PP_LOG_VERBOSE = 3, /* -vv: libbpf debug output too */
};

void pp_log(enum pp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_warn(fmt, ...) pp_log(PP_LOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...) pp_log(PP_LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) pp_log(PP_LOG_DEBUG, fmt, ##__VA_ARGS__)

/* Returns the previous level. */
enum pp_log_level log_set_level(enum pp_log_level level);
enum pp_log_level log_get_level(void);
/* Command name for the pr_warn prefix; NULL for none. Not copied. */
void log_set_cmd(const char *cmd);
/* Route libbpf and libxdp messages through the level above. */
void log_init_libbpf(void);

#endif /* PPGUARD_LOG_H */
