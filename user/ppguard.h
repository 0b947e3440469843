/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ppguard CLI: command table entries and the helpers every command and
 * the daemon share (names of enum values, address formatting).
 *
 * Adding a command: write do_xxx() and xxx_help[] in user/cmd_xxx.c, declare
 * both below, and add one line to the table in user/main.c.
 */
#ifndef PPGUARD_USER_H
#define PPGUARD_USER_H

#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>

/* This file shadows include/ppguard.h in user/ (same name, and quoted
 * includes search the including file's folder first): name the shared one
 * by path. Elsewhere (tests), include this one as "../../user/ppguard.h". */
#include "../include/ppguard.h"

#ifndef PPGUARD_VERSION
#define PPGUARD_VERSION "0.1.0"
#endif

/* Exit statuses shared by every command (values of <sysexits.h>) */
#define PP_EXIT_USAGE 64   /* bad command line */
#define PP_EXIT_NOINPUT 66 /* an input file cannot be opened */
#define PP_EXIT_IOERR 74   /* an input or output error */

/*
 * One command. fn gets argv[0] = "ppguard: NAME" (so getopt's messages
 * read like ours) and argv[1..] its arguments; it returns the process
 * exit status (0 on success, PP_EXIT_USAGE for usage errors; a negative
 * -errno becomes EXIT_FAILURE). getopt state is reset before fn runs.
 *
 * help: line 1 is the synopsis after the command name ("[FILE|-] [--json]"),
 * line 2 a one-line summary, then a blank line and the details. `ppguard
 * help` lists lines 1-2; `ppguard help CMD` and `ppguard CMD --help` print
 * it all.
 */
struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

/* main.c: print the full help of a command; returns 0, or -ENOENT. */
int cmd_help(FILE *f, const char *name);
/* main.c: one line "ppguard: CMD: MSG" on stderr, then returns
 * PP_EXIT_USAGE: `return cmd_usage_error("parse", "too many files");` */
int cmd_usage_error(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- Commands (one file each) ---- */
int do_parse(int argc, char **argv); /* cmd_parse.c */
extern const char parse_help[];
int do_attach(int argc, char **argv); /* cmd_attach.c */
extern const char attach_help[];
int do_detach(int argc, char **argv); /* cmd_detach.c */
extern const char detach_help[];
/* cmd_maps.c */
int do_status(int argc, char **argv);
extern const char status_help[];
int do_trust(int argc, char **argv);
extern const char trust_help[];
int do_port(int argc, char **argv);
extern const char port_help[];
int do_conns(int argc, char **argv);
extern const char conns_help[];
int do_run(int argc, char **argv); /* cmd_run.c */
extern const char run_help[];
int do_inspect(int argc, char **argv); /* cmd_inspect.c */
extern const char inspect_help[];

/* ---- names.c: enum values as the operator sees them ----
 * Every function returns a static string; out-of-range values give "unknown"
 * (never NULL), so they can go straight into JSON, text and metric labels. */
const char *pp_result_str(unsigned int v);    /* header, need_more, ... */
const char *pp_error_str(unsigned int v);     /* none, v1_no_crlf, ... */
const char *pp_reason_str(unsigned int v);    /* trusted_header, ... */
const char *pp_action_str(unsigned int v);    /* pass, drop, reset, log */
const char *pp_family_str(unsigned int v);    /* UNSPEC, INET, INET6, UNIX */
const char *pp_transport_str(unsigned int v); /* UNSPEC, STREAM, DGRAM */
const char *pp_command_str(unsigned int v);   /* LOCAL, PROXY */
const char *pp_class_str(unsigned int v);     /* none, tls, http, ... */
const char *pp_next_str(unsigned int v);      /* none, partial, ... */
const char *pp_hook_str(unsigned int v);      /* tc, xdp */

/* Reverse look-ups (config files, command lines): the value, or -EINVAL.
 * Case-sensitive, exact names as above. */
int pp_error_from_str(const char *s);
int pp_reason_from_str(const char *s);
int pp_action_from_str(const char *s);

/* Text buffer big enough for any address pp_addr_fmt() writes (IPv6 with
 * embedded IPv4, as inet_ntop's INET6_ADDRSTRLEN). */
#define PP_ADDR_STRLEN 46
/* ... and for pp_sockaddr_fmt(): "[" addr "]:" port */
#define PP_SOCKADDR_STRLEN (PP_ADDR_STRLEN + 8)

/*
 * Address to text: family is enum pp_family (INET: addr[0..3], INET6: all
 * 16 bytes, RFC 5952 form through inet_ntop). Returns buf, or NULL with
 * errno set for another family or a short buffer.
 */
const char *pp_addr_fmt(unsigned int family, const __u8 *addr, char *buf,
			size_t len);
/* Same, with the IP version (4 or 6) of struct pp_flow_key/pp_event. */
const char *pp_ipaddr_fmt(unsigned int ipver, const __u8 *addr, char *buf,
			  size_t len);
/* "192.0.2.1:443" or "[2001:db8::1]:443" (family as pp_addr_fmt). */
const char *pp_sockaddr_fmt(unsigned int family, const __u8 *addr, __u16 port,
			    char *buf, size_t len);

/*
 * Bytes from the wire as text that is always valid UTF-8 and printable:
 * valid UTF-8 without control characters is kept, a backslash is doubled,
 * any other byte becomes \xHH. Always NUL-terminates (when len > 0);
 * returns the length the full text needs (like snprintf), so a result >= len
 * means it was cut.
 */
size_t pp_str_escape(const __u8 *p, size_t n, char *buf, size_t len);

/* Lower-case hex of n bytes into buf (2n+1 bytes); returns buf. */
char *pp_hex(const __u8 *p, size_t n, char *buf);

#endif /* PPGUARD_USER_H */
