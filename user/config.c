// SPDX-License-Identifier: GPL-2.0
/*
 * Config file parsing with inih (Debian's libinih, release 55).
 *
 * inih 55 as shipped gives the handler no line number (INI_HANDLER_LINENO is
 * a compile-time choice of the library, off in Debian's build), so the file
 * is fed through ini_parse_stream() with a reader of our own: it hands inih
 * one line at a time and so knows the number of the line whose key the
 * handler is called for. The reader also follows the [section] lines
 * itself, which lets it report unknown sections, bad or duplicate ports and
 * lines inih would reject (all of them, not only the first), even for a
 * section with no keys.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "config.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- value parsers ---- */

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	unsigned long long v = 0;
	const char *p = s;

	if (!s || !*s)
		return -EINVAL;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		if (v > (max - (unsigned int)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	*out = v;
	return 0;
}

int pp_cidr_parse(const char *s, struct pp_cidr *out, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	unsigned long long plen;
	unsigned int maxlen, i;
	size_t alen;
	int bad = 0;
	const char *dummy;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(out, 0, sizeof(*out));
	if (!s || !*s) {
		*why = "empty CIDR";
		return -EINVAL;
	}
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(addr)) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = 4;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = 6;
		maxlen = 128;
	} else {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	if (slash) {
		/* digits only, no sign, no spaces, at most 3 of them */
		if (strlen(slash + 1) > 3 ||
		    parse_uint(slash + 1, 255, &plen) || plen > maxlen) {
			*why = out->family == 4
				       ? "prefix length must be 0..32"
				       : "prefix length must be 0..128";
			return -EINVAL;
		}
	} else {
		plen = maxlen;
	}
	out->prefixlen = (__u8)plen;
	/* clear the host bits, remembering whether there were any */
	for (i = 0; i < maxlen / 8; i++) {
		unsigned int lo = i * 8;
		__u8 mask;

		if (lo >= plen)
			mask = 0;
		else if (lo + 8 <= plen)
			mask = 0xff;
		else
			mask = (__u8)(0xff << (8 - (plen - lo)));
		if (out->addr[i] & ~mask)
			bad = 1;
		out->addr[i] &= mask;
	}
	if (bad) {
		*why = "host bits set";
		return -EINVAL;
	}
	return 0;
}

char *pp_cidr_fmt(const struct pp_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a,
		       sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, c->prefixlen);
	return buf;
}

int pp_cidr_contains(const struct pp_cidr *outer, const struct pp_cidr *inner)
{
	unsigned int i, full, rest;

	if (outer->family != inner->family ||
	    outer->prefixlen > inner->prefixlen)
		return 0;
	full = outer->prefixlen / 8;
	rest = outer->prefixlen % 8;
	for (i = 0; i < full; i++)
		if (outer->addr[i] != inner->addr[i])
			return 0;
	if (rest) {
		__u8 mask = (__u8)(0xff << (8 - rest));

		if ((outer->addr[full] ^ inner->addr[full]) & mask)
			return 0;
	}
	return 1;
}

int pp_cidr_equal(const struct pp_cidr *a, const struct pp_cidr *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

int pp_port_parse(const char *s, __u16 *port)
{
	unsigned long long v;

	if (!s || strlen(s) > 5 || parse_uint(s, 99999, &v) || v < 1 ||
	    v > 65535)
		return -EINVAL;
	*port = (__u16)v;
	return 0;
}

int pp_versions_parse(const char *s, __u8 *mask)
{
	const char *p = s;
	__u8 m = 0;

	if (!s)
		return -EINVAL;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (p[0] != 'v' || (p[1] != '1' && p[1] != '2'))
			return -EINVAL;
		m |= p[1] == '1' ? PP_VERS_V1 : PP_VERS_V2;
		p += 2;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p++ != ',')
			return -EINVAL;
	}
	*mask = m;
	return 0;
}

const char *pp_versions_str(__u8 mask)
{
	switch (mask & (PP_VERS_V1 | PP_VERS_V2)) {
	case PP_VERS_V1:
		return "v1";
	case PP_VERS_V2:
		return "v2";
	case PP_VERS_V1 | PP_VERS_V2:
		return "v1,v2";
	}
	return "none";
}

int pp_port_action_parse(const char *s, __u8 *action)
{
	int a = pp_action_from_str(s);

	if (a < 0 || a == PP_ACT_PASS)
		return -EINVAL;
	*action = (__u8)a;
	return 0;
}

int pp_bool_parse(const char *s)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]))
			return 1;
		if (!strcmp(s, no[i]))
			return 0;
	}
	return -EINVAL;
}

int pp_duration_parse(const char *s, __u64 *ns)
{
	unsigned long long v, mult = 1;
	char num[16];
	size_t n;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	switch (s[n - 1]) {
	case 's':
		n--;
		break;
	case 'm':
		mult = 60;
		n--;
		break;
	case 'h':
		mult = 3600;
		n--;
		break;
	case 'd':
		mult = 86400;
		n--;
		break;
	}
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n);
	num[n] = '\0';
	if (parse_uint(num, 365ULL * 86400, &v) || v == 0 ||
	    v * mult > 365ULL * 86400)
		return -EINVAL;
	*ns = v * mult * 1000000000ULL;
	return 0;
}

int pp_mode_parse(const char *s, int *mode)
{
	if (s && !strcmp(s, "tc"))
		*mode = PP_MODE_TC;
	else if (s && !strcmp(s, "xdp"))
		*mode = PP_MODE_XDP;
	else
		return -EINVAL;
	return 0;
}

int pp_xdp_mode_parse(const char *s, int *mode)
{
	if (s && !strcmp(s, "native"))
		*mode = PP_XDP_NATIVE;
	else if (s && !strcmp(s, "skb"))
		*mode = PP_XDP_SKB;
	else
		return -EINVAL;
	return 0;
}

const char *pp_mode_str(int mode)
{
	return mode == PP_MODE_XDP ? "xdp" : "tc";
}

const char *pp_xdp_mode_str(int mode)
{
	return mode == PP_XDP_SKB ? "skb" : "native";
}

/* "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464" */
static int metrics_addr_valid(const char *s)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	__u8 buf[16];
	size_t n;
	__u16 port;

	if (!colon || pp_port_parse(colon + 1, &port))
		return 0;
	n = (size_t)(colon - s);
	if (n < 1 || n >= sizeof(host))
		return 0;
	memcpy(host, s, n);
	host[n] = '\0';
	if (host[0] == '[') {
		if (n < 3 || host[n - 1] != ']')
			return 0;
		host[n - 1] = '\0';
		return inet_pton(AF_INET6, host + 1, buf) == 1;
	}
	return inet_pton(AF_INET, host, buf) == 1;
}

/* ---- the file ---- */

int pp_conf_init(struct pp_conf *conf)
{
	memset(conf, 0, sizeof(*conf));
	conf->mode = PP_MODE_TC;
	conf->xdp_mode = PP_XDP_NATIVE;
	conf->events = strdup("-");
	if (!conf->events)
		return -ENOMEM;
	conf->autoblock.threshold = PP_AUTOBLOCK_DEFAULT_THRESHOLD;
	conf->autoblock.window_ns = PP_AUTOBLOCK_DEFAULT_WINDOW_NS;
	conf->autoblock.ttl_ns = PP_AUTOBLOCK_DEFAULT_TTL_NS;
	return 0;
}

void pp_conf_free(struct pp_conf *conf)
{
	free(conf->path);
	free(conf->metrics);
	free(conf->events);
	free(conf->trust.v);
	free(conf->healthcheck.v);
	free(conf->deny.v);
	memset(conf, 0, sizeof(*conf));
}

enum sect {
	S_NONE = 0, /* before the first section */
	S_GLOBAL,
	S_TRUST,
	S_HEALTHCHECK,
	S_DENY,
	S_PORT,
	S_AUTOBLOCK,
	S_BAD, /* unknown or broken: reported once, its keys ignored */
};

/* Keys that may appear once per section (cidr may repeat) */
enum key {
	K_MODE,
	K_XDP_MODE,
	K_METRICS,
	K_EVENTS,
	K_DRY_RUN,
	K_FLOWS,
	K_REQUIRE,
	K_VERSIONS,
	K_ACTION,
	K_THRESHOLD,
	K_WINDOW,
	K_TTL,
	K_MAX,
};

static const char *const key_names[K_MAX] = {
	[K_MODE] = "mode",	 [K_XDP_MODE] = "xdp_mode",
	[K_METRICS] = "metrics", [K_EVENTS] = "events",
	[K_DRY_RUN] = "dry_run", [K_FLOWS] = "flows",
	[K_REQUIRE] = "require", [K_VERSIONS] = "versions",
	[K_ACTION] = "action",	 [K_THRESHOLD] = "threshold",
	[K_WINDOW] = "window",	 [K_TTL] = "ttl",
};

struct parse {
	struct pp_conf *conf;
	const char *name;
	FILE *f;
	char *buf;
	size_t cap;
	int line; /* number of the line inih is working on */
	int errors;
	int too_long; /* the reader replaced this line: already reported */
	enum sect sect;
	int sect_line;
	struct pp_conf_port *port; /* S_PORT: its entry in conf->ports */
	int key_line[K_MAX];	   /* keys seen in this section */
	int global_line[K_MAX];	   /* [global] keys (it may come twice) */
	int autoblock_line[K_MAX];
};

static void __attribute__((format(printf, 3, 4)))
conf_err(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: ", p->name, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	p->errors++;
}

static void __attribute__((format(printf, 3, 4)))
conf_warn(struct parse *p, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: warning: ", p->name, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static void section_begin(struct parse *p, char *name)
{
	struct pp_conf *c = p->conf;
	size_t i;
	__u16 port;

	p->sect_line = p->line;
	p->port = NULL;
	p->sect = S_BAD;
	memset(p->key_line, 0, sizeof(p->key_line));
	name = trim(name);
	if (!strcmp(name, "global")) {
		p->sect = S_GLOBAL;
		memcpy(p->key_line, p->global_line, sizeof(p->key_line));
	} else if (!strcmp(name, "trust")) {
		p->sect = S_TRUST;
	} else if (!strcmp(name, "healthcheck")) {
		p->sect = S_HEALTHCHECK;
	} else if (!strcmp(name, "deny_client")) {
		p->sect = S_DENY;
	} else if (!strcmp(name, "autoblock")) {
		p->sect = S_AUTOBLOCK;
		c->autoblock.enabled = 1;
		memcpy(p->key_line, p->autoblock_line, sizeof(p->key_line));
	} else if (!strncmp(name, "port", 4) &&
		   (name[4] == '\0' || isspace((unsigned char)name[4]))) {
		char *num = trim(name + 4);

		if (!*num) {
			conf_err(p, p->line,
				 "[port] needs a port number, e.g. [port 443]");
			return;
		}
		if (pp_port_parse(num, &port)) {
			conf_err(p, p->line,
				 "[port %s]: port must be a number 1..65535",
				 num);
			return;
		}
		for (i = 0; i < c->n_ports; i++) {
			if (c->ports[i].port == port) {
				conf_err(p, p->line,
					 "duplicate [port %u] (first at line "
					 "%d)",
					 port, c->ports[i].line);
				return;
			}
		}
		if (c->n_ports >= PP_PORT_SLOTS) {
			conf_err(p, p->line,
				 "[port %u]: more than %d [port] sections "
				 "(the data path counts %d ports)",
				 port, PP_PORT_SLOTS, PP_PORT_SLOTS);
			return;
		}
		p->port = &c->ports[c->n_ports++];
		p->port->port = port;
		p->port->require = 0;
		p->port->versions = PP_PORT_DEFAULT_VERSIONS;
		p->port->action = PP_PORT_DEFAULT_ACTION;
		p->port->line = p->line;
		p->sect = S_PORT;
	} else {
		conf_err(p, p->line,
			 "unknown section [%s] (known: global, trust, "
			 "healthcheck, deny_client, port N, autoblock)",
			 name);
	}
}

static void section_end(struct parse *p)
{
	if (p->sect == S_GLOBAL)
		memcpy(p->global_line, p->key_line, sizeof(p->key_line));
	else if (p->sect == S_AUTOBLOCK)
		memcpy(p->autoblock_line, p->key_line, sizeof(p->key_line));
}

/*
 * Look at the line before inih does: section headers, and lines inih would
 * call a syntax error (reported here, each of them). Mirrors inih's rules:
 * ';' and '#' start a comment line, "name = value" or "name: value".
 */
static void line_inspect(struct parse *p, char *line)
{
	char *s = line, *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!*s || *s == ';' || *s == '#')
		return;
	if (*s == '[') {
		section_end(p);
		end = strchr(s + 1, ']');
		if (!end) {
			conf_err(p, p->line, "section header without ']'");
			p->sect = S_BAD;
			p->port = NULL;
			return;
		}
		*end = '\0';
		section_begin(p, s + 1);
		*end = ']';
		return;
	}
	end = s + strcspn(s, "=:");
	if (!*end || end == s)
		conf_err(p, p->line,
			 "expected [section] or key = value, got '%.40s'",
			 trim(s));
}

/* ini_reader: one line per call, whatever its length */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	ssize_t n;
	char *copy;

	n = getline(&p->buf, &p->cap, p->f);
	if (n < 0)
		return NULL;
	p->line++;
	p->too_long = 0;
	if ((size_t)n != strlen(p->buf)) {
		conf_err(p, p->line, "NUL byte in line");
		p->too_long = 1;
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	if (n >= num - 1) {
		conf_err(p, p->line, "line longer than %d characters", num - 3);
		p->too_long = 1;
		snprintf(str, (size_t)num, "\n");
		return str;
	}
	copy = strdup(p->buf);
	if (copy) {
		line_inspect(p, copy);
		free(copy);
	}
	memcpy(str, p->buf, (size_t)n + 1);
	return str;
}

/* A scalar key: 1 when it is the first in its section, else reported */
static int key_once(struct parse *p, enum key k)
{
	if (p->key_line[k]) {
		conf_err(p, p->line, "duplicate key '%s' (first at line %d)",
			 key_names[k], p->key_line[k]);
		return 0;
	}
	p->key_line[k] = p->line;
	return 1;
}

static void add_cidr(struct parse *p, struct pp_conf_cidrs *list,
		     const char *sect, const char *value)
{
	struct pp_conf_cidr *e;
	struct pp_cidr c;
	char buf[PP_CIDR_STRLEN];
	const char *why;
	size_t i;

	if (pp_cidr_parse(value, &c, &why)) {
		if (c.family && !strcmp(why, "host bits set"))
			conf_err(p, p->line,
				 "[%s] cidr '%s': host bits set (did you "
				 "mean %s?)",
				 sect, value,
				 pp_cidr_fmt(&c, buf, sizeof(buf)));
		else
			conf_err(p, p->line, "[%s] cidr '%s': %s", sect, value,
				 why);
		return;
	}
	for (i = 0; i < list->n; i++) {
		if (pp_cidr_equal(&list->v[i].cidr, &c)) {
			conf_warn(
				p, p->line,
				"[%s] cidr %s listed twice (first at line %d)",
				sect, pp_cidr_fmt(&c, buf, sizeof(buf)),
				list->v[i].line);
			return;
		}
	}
	if (c.prefixlen == 0 && strcmp(sect, "deny_client"))
		conf_warn(p, p->line, "[%s] cidr %s covers every %s address",
			  sect, pp_cidr_fmt(&c, buf, sizeof(buf)),
			  c.family == 4 ? "IPv4" : "IPv6");
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;

		e = realloc(list->v, cap * sizeof(*e));
		if (!e) {
			conf_err(p, p->line, "out of memory");
			return;
		}
		list->v = e;
		list->cap = cap;
	}
	list->v[list->n].cidr = c;
	list->v[list->n].line = p->line;
	list->n++;
}

static int set_str(struct parse *p, char **dst, const char *v)
{
	char *s = v ? strdup(v) : NULL;

	if (v && !s) {
		conf_err(p, p->line, "out of memory");
		return -ENOMEM;
	}
	free(*dst);
	*dst = s;
	return 0;
}

static void key_global(struct parse *p, const char *name, const char *value)
{
	struct pp_conf *c = p->conf;
	unsigned long long v;
	int b;

	if (!strcmp(name, "mode")) {
		if (!key_once(p, K_MODE))
			return;
		if (pp_mode_parse(value, &c->mode))
			conf_err(p, p->line, "mode '%s': expected tc or xdp",
				 value);
		else
			c->mode_set = 1;
	} else if (!strcmp(name, "xdp_mode")) {
		if (!key_once(p, K_XDP_MODE))
			return;
		if (pp_xdp_mode_parse(value, &c->xdp_mode))
			conf_err(p, p->line,
				 "xdp_mode '%s': expected native or skb",
				 value);
		else
			c->xdp_mode_set = 1;
	} else if (!strcmp(name, "metrics")) {
		if (!key_once(p, K_METRICS))
			return;
		if (!strcmp(value, "off"))
			set_str(p, &c->metrics, NULL);
		else if (!metrics_addr_valid(value))
			conf_err(
				p, p->line,
				"metrics '%s': expected IPV4:PORT, [IPV6]:PORT "
				"or off",
				value);
		else
			set_str(p, &c->metrics, value);
	} else if (!strcmp(name, "events")) {
		if (!key_once(p, K_EVENTS))
			return;
		if (!strcmp(value, "off"))
			set_str(p, &c->events, NULL);
		else if (strcmp(value, "-") && value[0] != '/')
			conf_err(p, p->line,
				 "events '%s': expected -, off or an absolute "
				 "path",
				 value);
		else
			set_str(p, &c->events, value);
	} else if (!strcmp(name, "dry_run")) {
		if (!key_once(p, K_DRY_RUN))
			return;
		b = pp_bool_parse(value);
		if (b < 0)
			conf_err(p, p->line, "dry_run '%s': expected yes or no",
				 value);
		else
			c->dry_run = b;
	} else if (!strcmp(name, "flows")) {
		if (!key_once(p, K_FLOWS))
			return;
		if (parse_uint(value, UINT_MAX, &v) || v < PP_FLOWS_MIN ||
		    v > PP_FLOWS_LIMIT)
			conf_err(p, p->line, "flows '%s': expected %u..%u",
				 value, PP_FLOWS_MIN, PP_FLOWS_LIMIT);
		else
			c->flows_max = (__u32)v;
	} else {
		conf_err(p, p->line,
			 "unknown key '%s' in [global] (known: mode, xdp_mode, "
			 "metrics, events, dry_run, flows)",
			 name);
	}
}

static void key_port(struct parse *p, const char *name, const char *value)
{
	struct pp_conf_port *pt = p->port;
	int b;

	if (!strcmp(name, "require")) {
		if (!key_once(p, K_REQUIRE))
			return;
		b = pp_bool_parse(value);
		if (b < 0)
			conf_err(p, p->line,
				 "[port %u] require '%s': expected yes or no",
				 pt->port, value);
		else
			pt->require = (__u8)b;
	} else if (!strcmp(name, "versions")) {
		if (!key_once(p, K_VERSIONS))
			return;
		if (pp_versions_parse(value, &pt->versions))
			conf_err(p, p->line,
				 "[port %u] versions '%s': expected v1, v2 or "
				 "v1,v2",
				 pt->port, value);
	} else if (!strcmp(name, "action")) {
		if (!key_once(p, K_ACTION))
			return;
		if (pp_port_action_parse(value, &pt->action))
			conf_err(p, p->line,
				 "[port %u] action '%s': expected drop, reset "
				 "or log",
				 pt->port, value);
	} else {
		conf_err(p, p->line,
			 "unknown key '%s' in [port %u] (known: require, "
			 "versions, action)",
			 name, pt->port);
	}
}

static void key_autoblock(struct parse *p, const char *name, const char *value)
{
	struct pp_conf_autoblock *a = &p->conf->autoblock;
	unsigned long long v;

	if (!strcmp(name, "threshold")) {
		if (!key_once(p, K_THRESHOLD))
			return;
		if (parse_uint(value, 1000000, &v) || v < 1)
			conf_err(p, p->line,
				 "[autoblock] threshold '%s': expected a count "
				 "1..1000000",
				 value);
		else
			a->threshold = (unsigned int)v;
	} else if (!strcmp(name, "window") || !strcmp(name, "ttl")) {
		int win = name[0] == 'w';

		if (!key_once(p, win ? K_WINDOW : K_TTL))
			return;
		if (pp_duration_parse(value, win ? &a->window_ns : &a->ttl_ns))
			conf_err(p, p->line,
				 "[autoblock] %s '%s': expected a duration "
				 "such as 90s, 10m, 2h or 1d (1s..365d)",
				 name, value);
	} else {
		conf_err(p, p->line,
			 "unknown key '%s' in [autoblock] (known: threshold, "
			 "window, ttl)",
			 name);
	}
}

static int handler(void *user, const char *section, const char *name,
		   const char *value)
{
	struct parse *p = user;
	static const char *const lists[] = {
		[S_TRUST] = "trust",
		[S_HEALTHCHECK] = "healthcheck",
		[S_DENY] = "deny_client",
	};
	struct pp_conf_cidrs *l;

	(void)section; /* the reader's own view, with line numbers */
	if (p->too_long)
		return 1;
	switch (p->sect) {
	case S_NONE:
		conf_err(p, p->line,
			 "key '%s' before any section (put it under [global])",
			 name);
		break;
	case S_BAD:
		break;
	case S_GLOBAL:
		key_global(p, name, value);
		break;
	case S_PORT:
		key_port(p, name, value);
		break;
	case S_AUTOBLOCK:
		key_autoblock(p, name, value);
		break;
	case S_TRUST:
	case S_HEALTHCHECK:
	case S_DENY:
		if (strcmp(name, "cidr")) {
			conf_err(p, p->line,
				 "unknown key '%s' in [%s] (known: cidr)", name,
				 lists[p->sect]);
			break;
		}
		l = p->sect == S_TRUST	       ? &p->conf->trust
		    : p->sect == S_HEALTHCHECK ? &p->conf->healthcheck
					       : &p->conf->deny;
		add_cidr(p, l, lists[p->sect], value);
		break;
	}
	return 1; /* keep going: every error is reported */
}

/* Whole-file checks: the maps' sizes */
static void conf_check(struct parse *p)
{
	struct pp_conf *c = p->conf;
	size_t n4 = 0, n6 = 0, d4 = 0, d6 = 0, i, j;

	/* trust4/6 hold the union of [trust] and [healthcheck] */
	for (i = 0; i < c->trust.n; i++) {
		if (c->trust.v[i].cidr.family == 4)
			n4++;
		else
			n6++;
	}
	for (i = 0; i < c->healthcheck.n; i++) {
		const struct pp_cidr *h = &c->healthcheck.v[i].cidr;
		int dup = 0;

		for (j = 0; j < c->trust.n && !dup; j++)
			dup = pp_cidr_equal(h, &c->trust.v[j].cidr);
		if (dup)
			continue;
		if (h->family == 4)
			n4++;
		else
			n6++;
	}
	for (i = 0; i < c->deny.n; i++) {
		if (c->deny.v[i].cidr.family == 4)
			d4++;
		else
			d6++;
	}
	if (n4 > PP_TRUST_MAX || n6 > PP_TRUST_MAX)
		conf_err(p, p->line,
			 "[trust] and [healthcheck] list %zu IPv4 and %zu IPv6 "
			 "prefixes; the maps hold %d each",
			 n4, n6, PP_TRUST_MAX);
	if (d4 > PP_DENY_MAX || d6 > PP_DENY_MAX)
		conf_err(p, p->line,
			 "[deny_client] lists %zu IPv4 and %zu IPv6 prefixes; "
			 "the maps hold %d each",
			 d4, d6, PP_DENY_MAX);
	if (!p->errors && c->n_ports == 0)
		conf_warn(p, p->line,
			  "no [port N] section: no port is protected");
	if (c->xdp_mode_set && c->mode == PP_MODE_TC)
		conf_warn(p,
			  p->key_line[K_XDP_MODE] ? p->key_line[K_XDP_MODE]
						  : p->line,
			  "xdp_mode is ignored in tc mode");
}

int pp_conf_load_file(FILE *f, const char *name, struct pp_conf *conf)
{
	struct parse p = {
		.conf = conf,
		.name = name,
		.f = f,
	};
	int r;

	r = pp_conf_init(conf);
	if (r)
		return r;
	conf->path = strdup(name);
	if (!conf->path)
		return -ENOMEM;
	/* Process-wide inih settings (Debian's build makes them variables):
	 * an indented line is a line of its own, not a continuation of the
	 * previous value. */
	ini_allow_multiline = false;
	ini_stop_on_first_error = false;
	r = ini_parse_stream(reader, &p, handler, &p);
	section_end(&p);
	if (r == -2) {
		free(p.buf);
		fprintf(stderr, "%s: out of memory\n", name);
		return -ENOMEM;
	}
	if (ferror(f)) {
		free(p.buf);
		fprintf(stderr, "%s: read error\n", name);
		return -EIO;
	}
	/* a syntax error that inih saw and the reader did not */
	if (r > 0 && !p.errors)
		conf_err(&p, r, "syntax error");
	free(p.buf);
	conf_check(&p);
	if (p.errors) {
		pr_warn("%s: %d error%s, nothing applied\n", name, p.errors,
			p.errors == 1 ? "" : "s");
		return -EINVAL;
	}
	return 0;
}

int pp_conf_load(const char *path, struct pp_conf *conf)
{
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		pp_conf_init(conf);
		pr_warn("cannot open config %s: %s\n", path, strerror(-r));
		return r;
	}
	r = pp_conf_load_file(f, path, conf);
	fclose(f);
	return r;
}
