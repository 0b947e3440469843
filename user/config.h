/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ppguard config file (DESIGN.md section 1), parsed with inih, and the
 * value parsers the CLI shares with it (CIDR, port, versions, action,
 * durations).
 *
 * Loading is all or nothing: every problem is printed as one line
 * "FILE:LINE: what is wrong" on stderr and the load fails with -EINVAL, so a
 * caller never applies half a config. Warnings ("FILE:LINE: warning: ...")
 * do not fail the load.
 */
#ifndef PPGUARD_CONFIG_H
#define PPGUARD_CONFIG_H

#include <stdio.h>
#include <linux/types.h>

#include "ppguard.h"

enum pp_mode {
	PP_MODE_TC = 0,
	PP_MODE_XDP = 1,
};

enum pp_xdp_mode {
	PP_XDP_NATIVE = 0,
	PP_XDP_SKB = 1,
};

/* Bits of struct pp_trust.listed (userspace bookkeeping, see maps.h) */
#define PP_LISTED_TRUST (1 << 0)       /* named by [trust] / trust add */
#define PP_LISTED_HEALTHCHECK (1 << 1) /* named by [healthcheck] */

/* An IP prefix. Host bits are always zero (the parser rejects others). */
struct pp_cidr {
	__u8 family;	/* 4 or 6 */
	__u8 prefixlen; /* 0..32 or 0..128 */
	__u8 addr[16];	/* wire order; IPv4 in addr[0..3], rest zero */
};

/* "fd00:1:2:3:4:5:6:7/128" plus NUL fits */
#define PP_CIDR_STRLEN 48

struct pp_conf_cidr {
	struct pp_cidr cidr;
	int line;
};

struct pp_conf_cidrs {
	struct pp_conf_cidr *v;
	size_t n, cap;
};

/* One [port N] section. Defaults: require no, versions v1,v2, action drop */
struct pp_conf_port {
	__u16 port;
	__u8 require;
	__u8 versions; /* PP_VERS_* */
	__u8 action;   /* enum pp_action: drop, reset or log */
	int line;      /* of the section header */
};

#define PP_PORT_DEFAULT_VERSIONS (PP_VERS_V1 | PP_VERS_V2)
#define PP_PORT_DEFAULT_ACTION PP_ACT_DROP

/* [autoblock]: off when the section is absent */
struct pp_conf_autoblock {
	int enabled;
	unsigned int threshold; /* untrusted_header events from one source */
	__u64 window_ns;	/* ... within this long ... */
	__u64 ttl_ns;		/* ... block it this long */
};

#define PP_AUTOBLOCK_DEFAULT_THRESHOLD 5
#define PP_AUTOBLOCK_DEFAULT_WINDOW_NS (60ULL * 1000000000ULL)
#define PP_AUTOBLOCK_DEFAULT_TTL_NS (600ULL * 1000000000ULL)

/* flows = N bounds */
#define PP_FLOWS_MIN 1024
#define PP_FLOWS_LIMIT (4U << 20)

struct pp_conf {
	char *path;	  /* as given to pp_conf_load */
	int mode;	  /* enum pp_mode (default tc) */
	int mode_set;	  /* "mode" was in the file */
	int xdp_mode;	  /* enum pp_xdp_mode (default native) */
	int xdp_mode_set; /* "xdp_mode" was in the file */
	char *metrics;	  /* "ADDR:PORT", NULL: no metrics endpoint */
	char *events;	  /* "-" (stdout), an absolute path, NULL: off */
	int dry_run;	  /* force action "log" everywhere */
	__u32 flows_max;  /* flow table size, 0: PP_FLOWS_MAX */
	struct pp_conf_cidrs trust;
	struct pp_conf_cidrs healthcheck;
	struct pp_conf_cidrs deny;
	struct pp_conf_port ports[PP_PORT_SLOTS];
	size_t n_ports;
	struct pp_conf_autoblock autoblock;
};

/* An empty config: tc, native, events "-", no metrics, nothing listed. */
int pp_conf_init(struct pp_conf *conf);
void pp_conf_free(struct pp_conf *conf);

/*
 * Parse the file at path into conf (initialised here; free it with
 * pp_conf_free whatever the result). Returns 0, -EINVAL after printing
 * every error as "FILE:LINE: ...", or -errno when the file cannot be read
 * (one line printed).
 */
int pp_conf_load(const char *path, struct pp_conf *conf);
/* The same from an open stream; name is used in messages. */
int pp_conf_load_file(FILE *f, const char *name, struct pp_conf *conf);

/* ---- value parsers (0 or -EINVAL; *why says what is wrong) ---- */

/*
 * "198.18.0.0/15", "fd00::/8", or an address alone (a /32 or /128).
 * An address with host bits set under its prefix length is an error
 * (why: "host bits set") rather than silently normalised: a typo in a
 * trust list must not widen or move it. The suggested network is written
 * to *out anyway, so callers can say "did you mean ...".
 */
int pp_cidr_parse(const char *s, struct pp_cidr *out, const char **why);
/* "198.18.0.0/15"; returns buf */
char *pp_cidr_fmt(const struct pp_cidr *c, char *buf, size_t len);
/* 1 when outer contains inner (same family, outer no longer) */
int pp_cidr_contains(const struct pp_cidr *outer, const struct pp_cidr *inner);
int pp_cidr_equal(const struct pp_cidr *a, const struct pp_cidr *b);

/* 1..65535, decimal digits only */
int pp_port_parse(const char *s, __u16 *port);
/* "v1", "v2", "v1,v2" (any order, spaces allowed) into PP_VERS_* */
int pp_versions_parse(const char *s, __u8 *mask);
/* "v1", "v2", "v1,v2" or "none" */
const char *pp_versions_str(__u8 mask);
/* drop | reset | log (not "pass": a port's action is for violations) */
int pp_port_action_parse(const char *s, __u8 *action);
/* yes/no, true/false, on/off, 1/0: 1 or 0, or -EINVAL */
int pp_bool_parse(const char *s);
/* "90", "90s", "10m", "2h", "1d" (whole numbers) into ns, 1 s .. 365 d */
int pp_duration_parse(const char *s, __u64 *ns);
/* tc | xdp, native | skb */
int pp_mode_parse(const char *s, int *mode);
int pp_xdp_mode_parse(const char *s, int *mode);
const char *pp_mode_str(int mode);
const char *pp_xdp_mode_str(int mode);

#endif /* PPGUARD_CONFIG_H */
