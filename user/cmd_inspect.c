// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard inspect CAPTURE [-c CONF] [--json] [--connections]: classify
 * each TCP connection of a capture by its client's first bytes, report per
 * listener, and with a config say what ppguard would decide.
 *
 * The report is built once as a JSON document (the --json output, fields
 * documented in README "ppguard inspect"); the text output is printed from
 * that document, so the two always agree.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "inspect.h"
#include "log.h"
#include "ppguard.h"
#include "tlv.h"

/* Exit statuses of this command (besides PP_EXIT_USAGE, PP_EXIT_NOINPUT) */
#define INSPECT_EXIT_BREAKS 1	/* -c: some connection would be stopped */
#define INSPECT_EXIT_DATAERR 65 /* not a capture, or unsupported */

#define TOP_N 10 /* addresses listed per group in the text output */

const char inspect_help[] =
	"CAPTURE [-c CONF [--dry-run]] [--json] [--connections]\n"
	"Classify each connection's first bytes in a pcap/pcapng capture.\n"
	"\n"
	"Reads a capture (tcpdump -w, any link type tcpdump writes on Linux:\n"
	"Ethernet with VLAN tags, `-i any` cooked v1/v2, raw IP), follows "
	"each TCP\n"
	"connection's client stream from its SYN, puts its first bytes "
	"together\n"
	"whatever the segmentation, and classifies them with the data path's\n"
	"parser: PROXY v1/v2 (tuple, TLVs), TLS ClientHello (SNI), HTTP "
	"request,\n"
	"other, or nothing. Prints per listener (server address:port): who "
	"sent\n"
	"headers, versions, commands (LOCAL = health checks), what followed "
	"the\n"
	"header, connections without one and from whom, stacked and split\n"
	"headers.\n"
	"\n"
	"With -c, also what ppguard with that config would decide for each\n"
	"connection (the kernel's reasons: trusted_header, untrusted_header,\n"
	"missing_header, version_not_allowed, healthcheck, stacked_header,\n"
	"malformed_header, denied_client, no_header) and a summary of what "
	"would\n"
	"be stopped.\n"
	"\n"
	"Options:\n"
	"  -c, --config CONF   judge every connection as ppguard with CONF "
	"would\n"
	"  -n, --dry-run       judge as with [global] dry_run = yes\n"
	"  -j, --json          one JSON document (fields: README, \"ppguard "
	"inspect\")\n"
	"  -l, --connections   text: list every connection too\n"
	"  -h, --help          this help\n"
	"\n"
	"Capture on the server, before ppguard enforces, e.g.:\n"
	"  tcpdump -i eth0 -s 512 -w cap.pcap 'tcp port 443 or tcp port 80'\n"
	"Keep -s at 256 or more: a shorter snaplen cuts the first bytes "
	"(reported).\n"
	"\n"
	"Exit status: 0 report printed (with -c: nothing would be stopped "
	"that\n"
	"is not a forged header from an untrusted peer); 1 with -c: "
	"connections\n"
	"from trusted or healthcheck peers would be stopped, or CONF has\n"
	"errors (each printed as FILE:LINE); 64 bad usage;\n"
	"65 not a capture, or a link type not supported; 66 cannot open.\n";

const char *pp_peer_class_str(unsigned int c)
{
	switch (c) {
	case PP_PEER_UNTRUSTED:
		return "untrusted";
	case PP_PEER_TRUSTED:
		return "trusted";
	case PP_PEER_HEALTHCHECK:
		return "healthcheck";
	case PP_PEER_TRUSTED_HEALTHCHECK:
		return "trusted,healthcheck";
	}
	return "unknown";
}

/* ---- small JSON helpers ---- */

static void add(struct json_object *o, const char *k, struct json_object *v)
{
	json_object_object_add(o, k, v);
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	add(o, k, json_object_new_int64(v));
}

static void add_str(struct json_object *o, const char *k, const char *s)
{
	add(o, k, s ? json_object_new_string(s) : NULL);
}

static void add_bool(struct json_object *o, const char *k, int b)
{
	add(o, k, json_object_new_boolean(b));
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, k, &v);
	return v;
}

static int64_t get_int(struct json_object *o, const char *k)
{
	return json_object_get_int64(get(o, k));
}

static const char *get_str(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);

	return v ? json_object_get_string(v) : NULL;
}

/* counter map: o[k] += 1 */
static void bump(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);

	if (v)
		json_object_set_int64(v, json_object_get_int64(v) + 1);
	else
		add_int(o, k, 1);
}

static struct json_object *child(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);

	if (!v) {
		v = json_object_new_object();
		add(o, k, v);
	}
	return v;
}

static int cmp_count(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	int64_t cx = get_int(x, "connections"), cy = get_int(y, "connections");

	if (cx != cy)
		return cx > cy ? -1 : 1;
	return strcmp(get_str(x, "address"), get_str(y, "address"));
}

/* {"a": 3, "b": 1} -> [{"address": "a", "connections": 3}, ...] */
static struct json_object *to_list(struct json_object *map)
{
	struct json_object *arr = json_object_new_array();

	if (!map)
		return arr;
	json_object_object_foreach(map, k, v)
	{
		struct json_object *e = json_object_new_object();

		add_str(e, "address", k);
		add_int(e, "connections", json_object_get_int64(v));
		json_object_array_add(arr, e);
	}
	json_object_array_sort(arr, cmp_count);
	return arr;
}

static double secs(__u64 us)
{
	return (double)us / 1e6;
}

static void addr_str(int ipver, const __u8 *a, char *buf, size_t len)
{
	if (!pp_ipaddr_fmt((unsigned int)ipver, a, buf, len))
		snprintf(buf, len, "?");
}

static void sock_str(int ipver, const __u8 *a, __u16 port, char *buf,
		     size_t len)
{
	if (!pp_sockaddr_fmt(ipver == 4 ? PP_FAM_INET : PP_FAM_INET6, a, port,
			     buf, len))
		snprintf(buf, len, "?");
}

/* ---- one connection ---- */

static struct json_object *app_json(const struct pp_insp_app *a)
{
	struct json_object *o;

	if (a->cls == PP_CLASS_NONE)
		return NULL;
	o = json_object_new_object();
	add_str(o, "class", pp_class_str(a->cls));
	add_str(o, "sni", a->cls == PP_CLASS_TLS && a->sni[0] ? a->sni : NULL);
	add_str(o, "alpn",
		a->cls == PP_CLASS_TLS && a->alpn[0] ? a->alpn : NULL);
	add_str(o, "request", a->cls == PP_CLASS_HTTP ? a->line : NULL);
	add_str(o, "hex", a->cls == PP_CLASS_OTHER ? a->hex : NULL);
	return o;
}

static struct json_object *header_json(const struct pp_insp_conn *c)
{
	const struct pp_hdr *h = &c->h;
	struct json_object *o = json_object_new_object();
	char s[PP_SOCKADDR_STRLEN];
	int known = c->r == PP_RES_HEADER ||
		    (c->r == PP_RES_NEED_MORE && h->hdr_len);
	int tuple = c->addr_known && h->command == PP_CMD_PROXY &&
		    (h->family == PP_FAM_INET || h->family == PP_FAM_INET6);

	add_int(o, "version", h->version);
	add_str(o, "result", pp_result_str((unsigned int)c->hdr_result));
	add_str(o, "error",
		c->hdr_result == PP_RES_INVALID ? pp_error_str(c->hdr_error)
						: NULL);
	add(o, "error_offset",
	    c->hdr_result == PP_RES_INVALID
		    ? json_object_new_int64(c->hdr_err_off)
		    : NULL);
	add_str(o, "command", known ? pp_command_str(h->command) : NULL);
	add_str(o, "family", known ? pp_family_str(h->family) : NULL);
	add_str(o, "transport", known ? pp_transport_str(h->transport) : NULL);
	add_str(o, "source",
		tuple ? pp_sockaddr_fmt(h->family, h->src_addr, h->src_port, s,
					sizeof(s))
		      : NULL);
	add_str(o, "destination",
		tuple ? pp_sockaddr_fmt(h->family, h->dst_addr, h->dst_port, s,
					sizeof(s))
		      : NULL);
	add(o, "length", known ? json_object_new_int64(h->hdr_len) : NULL);
	add_int(o, "segments", c->hdr_segments);
	add_bool(o, "split", c->hdr_segments > 1);
	add_bool(o, "v1_unknown_long", h->v1_unknown_long);
	add_bool(o, "truncated", c->r == PP_RES_NEED_MORE || h->truncated);
	add(o, "tlvs", c->tlvs ? json_object_get(c->tlvs) : NULL);
	add_str(o, "crc32c",
		h->version == PP_VER_2 && known ? pp_crc_verdict_str(c->crc)
						: NULL);
	add_bool(o, "stacked", c->stacked);
	add(o, "stacked_version",
	    c->stacked ? json_object_new_int64(c->stacked_version) : NULL);
	return o;
}

static struct json_object *verdict_json(const struct pp_insp_conn *c)
{
	const struct pp_insp_verdict *v = &c->v;
	struct json_object *o = json_object_new_object();

	add_str(o, "peer", pp_peer_class_str(v->peer_class));
	add_bool(o, "protected", v->protected);
	add_str(o, "reason", v->judged ? pp_reason_str(v->reason) : NULL);
	add_str(o, "action", v->judged ? pp_action_str(v->action) : NULL);
	add(o, "decided_at", v->judged ? json_object_new_int64(v->at) : NULL);
	add_str(o, "note", v->note);
	return o;
}

static struct json_object *conn_json(const struct pp_insp_conn *c, int judged)
{
	struct json_object *o = json_object_new_object(), *st;
	char s[PP_SOCKADDR_STRLEN];

	add_int(o, "id", c->id);
	sock_str(c->ipver, c->cli, c->cport, s, sizeof(s));
	add_str(o, "client", s);
	sock_str(c->ipver, c->srv, c->sport, s, sizeof(s));
	add_str(o, "server", s);
	add_int(o, "ip", c->ipver);
	add(o, "vlan", c->vlan ? json_object_new_int64(c->vlan) : NULL);
	add(o, "start", json_object_new_double(secs(c->first_us)));
	add_int(o, "packets", c->packets);
	add_int(o, "client_bytes", (int64_t)c->cli_bytes);
	add_int(o, "server_bytes", (int64_t)c->srv_bytes);
	add_bool(o, "syn", c->syn);
	add_bool(o, "midstream", !c->isn_known);
	add_bool(o, "direction_guessed", c->guessed);
	add_str(o, "closed", c->rst ? "rst" : c->cli_fin ? "fin" : NULL);
	st = json_object_new_object();
	add_int(st, "bytes", c->have);
	add_int(st, "segments", (int64_t)c->nsegs);
	add_bool(st, "snaplen_cut", c->snap_cut);
	add_bool(st, "gap", c->gap);
	add_bool(st, "conflict", c->conflict);
	add_bool(st, "urgent", c->urgent);
	add(o, "stream", st);
	add_str(o, "first", pp_insp_kind_str(c->kind));
	add(o, "header", c->kind == PP_INSP_PROXY ? header_json(c) : NULL);
	add(o, "application", app_json(&c->app));
	add(o, "verdict", judged ? verdict_json(c) : NULL);
	return o;
}

/* ---- per listener ---- */

static void listener_add(struct json_object *l, const struct pp_insp_conn *c,
			 int judged)
{
	char a[PP_ADDR_STRLEN], s[PP_SOCKADDR_STRLEN];
	struct json_object *x;

	bump(l, "connections");
	addr_str(c->ipver, c->cli, a, sizeof(a));
	if (!c->isn_known) {
		bump(l, "midstream");
		bump(child(l, "midstream_sources"), a);
	}
	if (c->snap_cut)
		bump(l, "snaplen_cut");
	if (c->gap)
		bump(l, "gaps");
	if (c->kind == PP_INSP_PROXY) {
		const struct pp_hdr *h = &c->h;

		x = child(l, "headers");
		bump(x, "connections");
		bump(child(x, "sources"), a);
		bump(x, h->version == PP_VER_1 ? "v1" : "v2");
		if (c->hdr_result == PP_RES_HEADER) {
			bump(x, "valid");
			bump(x, h->command == PP_CMD_LOCAL ? "local" : "proxy");
			if (h->command == PP_CMD_PROXY &&
			    (h->family == PP_FAM_INET ||
			     h->family == PP_FAM_INET6) &&
			    pp_addr_fmt(h->family, h->src_addr, s, sizeof(s)))
				bump(child(x, "declared_clients"), s);
			if (c->stacked)
				bump(x, "stacked");
			else
				bump(child(x, "after"),
				     c->app.cls == PP_CLASS_NONE
					     ? "none"
					     : pp_class_str(c->app.cls));
			if (c->app.cls == PP_CLASS_TLS && c->app.sni[0])
				bump(child(x, "sni"), c->app.sni);
			if (c->tlvs) {
				size_t i, n = json_object_array_length(c->tlvs);

				for (i = 0; i < n; i++)
					bump(child(x, "tlvs"),
					     get_str(json_object_array_get_idx(
							     c->tlvs, i),
						     "name"));
			}
		} else if (c->hdr_result == PP_RES_INVALID) {
			bump(x, "malformed");
			bump(child(x, "errors"), pp_error_str(c->hdr_error));
		} else {
			bump(x, "incomplete");
		}
		if (c->hdr_segments > 1)
			bump(x, "split");
	} else if (c->kind != PP_INSP_UNKNOWN) {
		x = child(l, "without_header");
		bump(x, "connections");
		bump(child(x, "sources"), a);
		bump(x, pp_insp_kind_str(c->kind));
		if (c->kind == PP_INSP_TLS && c->app.sni[0])
			bump(child(x, "sni"), c->app.sni);
	}
	if (judged && c->v.protected) {
		if (c->v.judged) {
			char k[64];

			snprintf(k, sizeof(k), "%s/%s",
				 pp_reason_str(c->v.reason),
				 pp_action_str(c->v.action));
			bump(child(l, "verdicts"), k);
		} else {
			bump(l, "undecided");
		}
	}
}

/* Turn the counter maps into the documented shape */
static void listener_finish(struct json_object *l)
{
	static const char *const hkeys[] = {
		"connections", "valid", "malformed", "incomplete", "v1",
		"v2",	       "proxy", "local",     "stacked",	   "split"};
	static const char *const wkeys[] = {"connections", "tls", "http",
					    "other", "nothing"};
	struct json_object *h = get(l, "headers"),
			   *w = get(l, "without_header");
	struct json_object *nh = json_object_new_object(), *nw, *v, *arr;
	size_t i;

	for (i = 0; i < sizeof(hkeys) / sizeof(hkeys[0]); i++)
		add_int(nh, hkeys[i], h ? get_int(h, hkeys[i]) : 0);
	add(nh, "sources", to_list(h ? get(h, "sources") : NULL));
	add(nh, "declared_clients",
	    to_list(h ? get(h, "declared_clients") : NULL));
	v = json_object_new_object();
	add_int(v, "tls", h ? get_int(get(h, "after"), "tls") : 0);
	add_int(v, "http", h ? get_int(get(h, "after"), "http") : 0);
	add_int(v, "other", h ? get_int(get(h, "after"), "other") : 0);
	add_int(v, "none", h ? get_int(get(h, "after"), "none") : 0);
	add(nh, "after", v);
	add(nh, "sni",
	    h && get(h, "sni") ? json_object_get(get(h, "sni"))
			       : json_object_new_object());
	add(nh, "tlvs",
	    h && get(h, "tlvs") ? json_object_get(get(h, "tlvs"))
				: json_object_new_object());
	add(nh, "errors",
	    h && get(h, "errors") ? json_object_get(get(h, "errors"))
				  : json_object_new_object());
	add(l, "headers", nh);

	nw = json_object_new_object();
	for (i = 0; i < sizeof(wkeys) / sizeof(wkeys[0]); i++)
		add_int(nw, wkeys[i], w ? get_int(w, wkeys[i]) : 0);
	add(nw, "sources", to_list(w ? get(w, "sources") : NULL));
	add(nw, "sni",
	    w && get(w, "sni") ? json_object_get(get(w, "sni"))
			       : json_object_new_object());
	add(l, "without_header", nw);

	add(l, "midstream_sources", to_list(get(l, "midstream_sources")));
	for (i = 0; i < 4; i++) {
		static const char *const z[] = {"midstream", "snaplen_cut",
						"gaps", "undecided"};

		if (!get(l, z[i]))
			add_int(l, z[i], 0);
	}
	arr = json_object_new_array();
	v = get(l, "verdicts");
	if (v) {
		json_object_object_foreach(v, k, n)
		{
			struct json_object *e = json_object_new_object();
			char r[64], *slash;

			snprintf(r, sizeof(r), "%s", k);
			slash = strchr(r, '/');
			if (slash)
				*slash++ = 0;
			add_str(e, "reason", r);
			add_str(e, "action", slash);
			add_int(e, "connections", json_object_get_int64(n));
			json_object_array_add(arr, e);
		}
	}
	add(l, "verdicts", arr);
}

static int cmp_listener(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	int64_t px = get_int(x, "port"), py = get_int(y, "port");

	if (px != py)
		return px < py ? -1 : 1;
	return strcmp(get_str(x, "server"), get_str(y, "server"));
}

static struct json_object *policy_json(const struct pp_insp_policy *pol,
				       __u16 port)
{
	const struct pp_port_policy *pp = pp_insp_port(pol, port);
	struct json_object *o = json_object_new_object();

	add_bool(o, "protected", pp != NULL);
	if (pp) {
		add_bool(o, "require", pp->require);
		add_str(o, "versions", pp_versions_str(pp->versions));
		add_str(o, "action", pp_action_str(pp->action));
	}
	return o;
}

/* ---- what would be stopped ---- */

static const char *what_str(int reason)
{
	switch (reason) {
	case PP_R_MISSING_HEADER:
		return "without a header";
	case PP_R_UNTRUSTED_HEADER:
		return "with a PROXY header from a peer not in [trust]";
	case PP_R_MALFORMED_HEADER:
		return "with a malformed header";
	case PP_R_VERSION_NOT_ALLOWED:
		return "with a header version the port does not allow";
	case PP_R_STACKED_HEADER:
		return "with stacked headers";
	case PP_R_DENIED_CLIENT:
		return "declaring a client in [deny_client]";
	}
	return "";
}

static void why_str(int reason, const struct pp_port_policy *pp,
		    const struct pp_insp_conn *c, char *buf, size_t len)
{
	switch (reason) {
	case PP_R_MISSING_HEADER:
		snprintf(buf, len, " (require = yes)");
		break;
	case PP_R_VERSION_NOT_ALLOWED:
		snprintf(buf, len, " (v%u, versions = %s)", c->h.version,
			 pp_versions_str(pp->versions));
		break;
	case PP_R_MALFORMED_HEADER:
		snprintf(buf, len, " (%s)", pp_error_str(c->h.error));
		break;
	case PP_R_UNTRUSTED_HEADER:
		snprintf(buf, len,
			 " (a forged header, or a balancer "
			 "missing from [trust])");
		break;
	default:
		buf[0] = 0;
	}
}

struct breaks {
	struct json_object *map; /* key -> entry */
	int trusted_hit;	 /* a trusted/healthcheck peer is stopped */
};

static void break_add(struct breaks *b, const struct pp_insp_policy *pol,
		      const struct pp_insp_conn *c, int dry_run)
{
	const struct pp_insp_verdict *v = &c->v;
	char a[PP_ADDR_STRLEN], key[128], why[80];
	struct json_object *e;

	if (!v->judged || v->action == PP_ACT_PASS)
		return;
	if (v->reason == PP_R_HEALTHCHECK || v->reason == PP_R_NO_HEADER ||
	    v->reason == PP_R_TRUSTED_HEADER)
		return;
	addr_str(c->ipver, c->cli, a, sizeof(a));
	snprintf(key, sizeof(key), "%05u %d %d %s", c->sport, v->reason,
		 v->action, a);
	e = get(b->map, key);
	if (e) {
		json_object_set_int64(get(e, "connections"),
				      get_int(e, "connections") + 1);
		return;
	}
	e = json_object_new_object();
	add_int(e, "port", c->sport);
	add_str(e, "reason", pp_reason_str(v->reason));
	add_str(e, "action", pp_action_str(v->action));
	add_str(e, "source", a);
	add_str(e, "peer", pp_peer_class_str(v->peer_class));
	add_int(e, "connections", 1);
	why_str(v->reason, pp_insp_port(pol, c->sport), c, why, sizeof(why));
	add_str(e, "why", why);
	add_bool(e, "dry_run", dry_run);
	add(b->map, key, e);
	if (v->peer_class != PP_PEER_UNTRUSTED && v->action != PP_ACT_LOG)
		b->trusted_hit = 1;
}

static struct json_object *breaks_finish(struct breaks *b)
{
	struct json_object *arr = json_object_new_array();

	/* keys sort by port, reason, action, source */
	json_object_object_foreach(b->map, k, e)
	{
		char msg[512];
		int64_t n = get_int(e, "connections");
		int dry = json_object_get_boolean(get(e, "dry_run"));
		int reason = pp_reason_from_str(get_str(e, "reason"));

		(void)k;
		snprintf(msg, sizeof(msg),
			 "port %lld: %lld connection%s from %s %s would be "
			 "%s%s, action %s%s",
			 (long long)get_int(e, "port"), (long long)n,
			 n == 1 ? "" : "s", get_str(e, "source"),
			 what_str(reason), get_str(e, "reason"),
			 get_str(e, "why"), get_str(e, "action"),
			 dry ? " (dry run: logged, not stopped)" : "");
		add_str(e, "message", msg);
		json_object_object_del(e, "why");
		json_object_object_del(e, "dry_run");
		json_object_array_add(arr, json_object_get(e));
	}
	return arr;
}

static int cmp_break(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	int64_t px = get_int(x, "port"), py = get_int(y, "port");
	int r;

	if (px != py)
		return px < py ? -1 : 1;
	r = strcmp(get_str(x, "reason"), get_str(y, "reason"));
	if (r)
		return r;
	r = (int)(get_int(y, "connections") - get_int(x, "connections"));
	if (r)
		return r;
	return strcmp(get_str(x, "source"), get_str(y, "source"));
}

/* ---- the document ---- */

static struct json_object *capture_json(const struct pp_insp *in)
{
	const struct pp_insp_capture *c = &in->cap;
	struct json_object *o = json_object_new_object(), *sk;

	add_str(o, "file", c->path);
	add_str(o, "format", c->format);
	add_str(o, "linktype", c->linktype);
	add_int(o, "snaplen", c->snaplen);
	add_int(o, "packets", (int64_t)c->packets);
	add_int(o, "tcp_segments", (int64_t)c->tcp);
	add_int(o, "connections", (int64_t)in->n);
	add_int(o, "cut_by_snaplen", (int64_t)c->short_pkts);
	add_int(o, "vlan_tagged", (int64_t)c->vlan);
	sk = json_object_new_object();
	add_int(sk, "not_ip", (int64_t)c->not_ip);
	add_int(sk, "not_tcp", (int64_t)c->not_tcp);
	add_int(sk, "ip_fragments", (int64_t)c->fragments);
	add_int(sk, "undecodable", (int64_t)c->bad);
	add(o, "skipped", sk);
	add_bool(o, "file_truncated", c->file_truncated);
	add_str(o, "file_error", c->file_truncated ? c->file_error : NULL);
	add(o, "start", json_object_new_double(secs(c->first_us)));
	add(o, "end", json_object_new_double(secs(c->last_us)));
	return o;
}

static void notes_add(struct json_object *notes, const struct pp_insp *in,
		      const struct pp_insp_policy *pol)
{
	size_t i, mid = 0, cut = 0, gap = 0, guess = 0, conf = 0, urg = 0;
	char buf[512];

	for (i = 0; i < in->n; i++) {
		const struct pp_insp_conn *c = in->conns[i];

		mid += !c->isn_known;
		cut += c->snap_cut;
		gap += c->gap && !c->snap_cut;
		guess += c->guessed;
		conf += c->conflict;
		urg += c->urgent;
	}
	if (in->cap.file_truncated) {
		snprintf(buf, sizeof(buf),
			 "the capture file ends inside a packet record (%s): "
			 "the report covers the %llu packets before it",
			 in->cap.file_error,
			 (unsigned long long)in->cap.packets);
		json_object_array_add(notes, json_object_new_string(buf));
	}
	if (mid) {
		snprintf(buf, sizeof(buf),
			 "%zu connection%s began before the capture (no SYN "
			 "or SYN-ACK): first bytes unknown%s",
			 mid, mid == 1 ? "" : "s",
			 guess ? "; client and server were guessed from the "
				 "ports"
			       : "");
		json_object_array_add(notes, json_object_new_string(buf));
	}
	if (cut) {
		snprintf(buf, sizeof(buf),
			 "%zu connection%s: the snaplen (%u) cut the first "
			 "bytes; capture again with -s 512 or more",
			 cut, cut == 1 ? "" : "s", in->cap.snaplen);
		json_object_array_add(notes, json_object_new_string(buf));
	}
	if (gap) {
		snprintf(buf, sizeof(buf),
			 "%zu connection%s miss bytes of their start in the "
			 "capture (packets the capture dropped)",
			 gap, gap == 1 ? "" : "s");
		json_object_array_add(notes, json_object_new_string(buf));
	}
	if (conf) {
		snprintf(buf, sizeof(buf),
			 "%zu connection%s retransmitted first bytes with "
			 "different content (the kernel drops such a segment: "
			 "prefix_mismatch)",
			 conf, conf == 1 ? "" : "s");
		json_object_array_add(notes, json_object_new_string(buf));
	}
	if (urg) {
		snprintf(buf, sizeof(buf),
			 "%zu connection%s sent TCP urgent data among the "
			 "first bytes: the kernel drops such a segment "
			 "(prefix_mismatch), as the receiver would take the "
			 "urgent byte out of the bytes judged; left out here",
			 urg, urg == 1 ? "" : "s");
		json_object_array_add(notes, json_object_new_string(buf));
	}
	if (in->cap.fragments) {
		snprintf(buf, sizeof(buf),
			 "%llu IP fragments were not reassembled (the kernel "
			 "drops a first fragment from an untrusted peer to a "
			 "protected port: fragment)",
			 (unsigned long long)in->cap.fragments);
		json_object_array_add(notes, json_object_new_string(buf));
	}
	if (pol && pp_insp_dry_run(pol))
		json_object_array_add(
			notes, json_object_new_string(
				       "dry run: every violation is logged "
				       "(action log), nothing is stopped"));
}

static struct json_object *build(struct pp_insp *in,
				 const struct pp_insp_policy *pol,
				 const char *conf_path, int *trusted_hit)
{
	struct json_object *doc = json_object_new_object();
	struct json_object *lmap = json_object_new_object();
	struct json_object *conns = json_object_new_array();
	struct json_object *larr = json_object_new_array(), *o, *notes;
	struct breaks br = {.map = json_object_new_object()};
	size_t i;

	add(doc, "capture", capture_json(in));
	if (pol) {
		o = json_object_new_object();
		add_str(o, "file", conf_path);
		add_bool(o, "dry_run", pp_insp_dry_run(pol));
		add(doc, "config", o);
	} else {
		add(doc, "config", NULL);
	}
	for (i = 0; i < in->n; i++) {
		struct pp_insp_conn *c = in->conns[i];
		char s[PP_SOCKADDR_STRLEN], a[PP_ADDR_STRLEN];
		struct json_object *l;

		sock_str(c->ipver, c->srv, c->sport, s, sizeof(s));
		l = get(lmap, s);
		if (!l) {
			l = json_object_new_object();
			add_str(l, "server", s);
			addr_str(c->ipver, c->srv, a, sizeof(a));
			add_str(l, "address", a);
			add_int(l, "port", c->sport);
			add(l, "policy",
			    pol ? policy_json(pol, c->sport) : NULL);
			add(lmap, s, l);
		}
		listener_add(l, c, pol != NULL);
		json_object_array_add(conns, conn_json(c, pol != NULL));
		if (pol)
			break_add(&br, pol, c, pp_insp_dry_run(pol));
	}
	json_object_object_foreach(lmap, k, l)
	{
		(void)k;
		listener_finish(l);
		json_object_array_add(larr, json_object_get(l));
	}
	json_object_put(lmap);
	json_object_array_sort(larr, cmp_listener);
	add(doc, "listeners", larr);
	add(doc, "connections", conns);
	if (pol) {
		o = breaks_finish(&br);
		json_object_array_sort(o, cmp_break);
		add(doc, "would_stop", o);
	} else {
		add(doc, "would_stop", NULL);
	}
	json_object_put(br.map);
	*trusted_hit = br.trusted_hit;
	notes = json_object_new_array();
	notes_add(notes, in, pol);
	add(doc, "notes", notes);
	return doc;
}

/* ---- text ---- */

static void print_list(const char *label, struct json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	printf("%s", label);
	for (i = 0; i < n && i < TOP_N; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);

		printf("%s%s (%lld)", i ? ", " : " ", get_str(e, "address"),
		       (long long)get_int(e, "connections"));
	}
	if (n > TOP_N)
		printf(", and %zu more", n - TOP_N);
	printf("\n");
}

/* "tls 3, http 2" from the keys of o that are non-zero */
static void print_counts(struct json_object *o, const char *const *keys,
			 size_t nk)
{
	size_t i;
	int any = 0;

	for (i = 0; i < nk; i++) {
		int64_t n = get_int(o, keys[i]);

		if (!n)
			continue;
		printf("%s%s %lld", any ? ", " : "", keys[i], (long long)n);
		any = 1;
	}
	if (!any)
		printf("-");
}

static void print_map(struct json_object *o)
{
	int any = 0;

	json_object_object_foreach(o, k, v)
	{
		printf("%s%s (%lld)", any ? ", " : "", k,
		       (long long)json_object_get_int64(v));
		any = 1;
	}
}

static void print_listener(struct json_object *l)
{
	static const char *const vers[] = {"v1", "v2"};
	static const char *const cmds[] = {"proxy", "local"};
	static const char *const after[] = {"http", "tls", "other", "none"};
	static const char *const kinds[] = {"http", "tls", "other", "nothing"};
	struct json_object *h = get(l, "headers"),
			   *w = get(l, "without_header");
	struct json_object *pol = get(l, "policy"), *v;
	size_t i, n;

	printf("\n%s: %lld connection%s", get_str(l, "server"),
	       (long long)get_int(l, "connections"),
	       get_int(l, "connections") == 1 ? "" : "s");
	if (pol && json_object_get_boolean(get(pol, "protected")))
		printf("  [port %lld: require %s, versions %s, action %s]\n",
		       (long long)get_int(l, "port"),
		       json_object_get_boolean(get(pol, "require")) ? "yes"
								    : "no",
		       get_str(pol, "versions"), get_str(pol, "action"));
	else if (pol)
		printf("  [port %lld not protected by the config]\n",
		       (long long)get_int(l, "port"));
	else
		printf("\n");

	if (get_int(h, "connections")) {
		printf("  PROXY headers:   %lld (",
		       (long long)get_int(h, "connections"));
		print_counts(h, vers, 2);
		printf("; ");
		print_counts(h, cmds, 2);
		printf(")%s\n",
		       get_int(h, "local") ? "  LOCAL = health checks" : "");
		print_list("    from:         ", get(h, "sources"));
		if (json_object_array_length(get(h, "declared_clients")))
			print_list("    clients:      ",
				   get(h, "declared_clients"));
		printf("    then:          ");
		print_counts(get(h, "after"), after, 4);
		printf("\n");
		if (json_object_object_length(get(h, "sni"))) {
			printf("    TLS SNI:       ");
			print_map(get(h, "sni"));
			printf("\n");
		}
		if (json_object_object_length(get(h, "tlvs"))) {
			printf("    TLVs:          ");
			print_map(get(h, "tlvs"));
			printf("\n");
		}
		printf("    split over segments %lld, stacked %lld, malformed "
		       "%lld, incomplete %lld\n",
		       (long long)get_int(h, "split"),
		       (long long)get_int(h, "stacked"),
		       (long long)get_int(h, "malformed"),
		       (long long)get_int(h, "incomplete"));
		if (json_object_object_length(get(h, "errors"))) {
			printf("    errors:        ");
			print_map(get(h, "errors"));
			printf("\n");
		}
	}
	if (get_int(w, "connections")) {
		printf("  without header:  %lld (",
		       (long long)get_int(w, "connections"));
		print_counts(w, kinds, 4);
		printf(")\n");
		print_list("    from:         ", get(w, "sources"));
		if (json_object_object_length(get(w, "sni"))) {
			printf("    TLS SNI:       ");
			print_map(get(w, "sni"));
			printf("\n");
		}
	}
	if (get_int(l, "midstream")) {
		printf("  began before the capture: %lld\n",
		       (long long)get_int(l, "midstream"));
		print_list("    from:         ", get(l, "midstream_sources"));
	}
	if (get_int(l, "snaplen_cut") || get_int(l, "gaps"))
		printf("  incomplete in the capture: %lld cut by snaplen, %lld "
		       "with missing bytes\n",
		       (long long)get_int(l, "snaplen_cut"),
		       (long long)get_int(l, "gaps"));
	v = get(l, "verdicts");
	n = json_object_array_length(v);
	if (pol && (n || get_int(l, "undecided"))) {
		printf("  ppguard would:   ");
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);

			printf("%s%s/%s %lld", i ? ", " : "",
			       get_str(e, "reason"), get_str(e, "action"),
			       (long long)get_int(e, "connections"));
		}
		if (get_int(l, "undecided"))
			printf("%sundecided %lld", n ? ", " : "",
			       (long long)get_int(l, "undecided"));
		printf("\n");
	}
}

static void print_conn(struct json_object *c)
{
	struct json_object *h = get(c, "header"), *a = get(c, "application");
	struct json_object *v = get(c, "verdict");

	printf("  #%lld %s -> %s ", (long long)get_int(c, "id"),
	       get_str(c, "client"), get_str(c, "server"));
	if (json_object_get_boolean(get(c, "midstream")))
		printf("[no SYN] ");
	if (h) {
		printf("v%lld", (long long)get_int(h, "version"));
		if (strcmp(get_str(h, "result"), "header"))
			printf(" %s", get_str(h, "result"));
		if (get_str(h, "error"))
			printf(" (%s at byte %lld)", get_str(h, "error"),
			       (long long)get_int(h, "error_offset"));
		if (get_str(h, "command"))
			printf(" %s", get_str(h, "command"));
		if (get_str(h, "source"))
			printf(" %s -> %s", get_str(h, "source"),
			       get_str(h, "destination"));
		if (get(h, "length"))
			printf(" (%lld B, %lld segment%s)",
			       (long long)get_int(h, "length"),
			       (long long)get_int(h, "segments"),
			       get_int(h, "segments") == 1 ? "" : "s");
		if (json_object_get_boolean(get(h, "stacked")))
			printf(", then a stacked v%lld header",
			       (long long)get_int(h, "stacked_version"));
		else if (a)
			printf(", then");
	} else if (!a) {
		printf("%s", get_str(c, "first"));
	} else if (json_object_get_boolean(get(c, "midstream"))) {
		printf("first captured bytes:");
	}
	if (a) {
		/* after "then" or "first captured bytes:", a space */
		const char *sp =
			h || json_object_get_boolean(get(c, "midstream")) ? " "
									  : "";

		if (get_str(a, "sni"))
			printf("%stls sni=%s", sp, get_str(a, "sni"));
		else if (get_str(a, "request"))
			printf("%shttp \"%s\"", sp, get_str(a, "request"));
		else if (get_str(a, "hex"))
			printf("%s%s %s", sp, get_str(a, "class"),
			       get_str(a, "hex"));
		else
			printf("%s%s", sp, get_str(a, "class"));
	}
	if (v) {
		if (get_str(v, "reason"))
			printf("  => %s, %s", get_str(v, "reason"),
			       get_str(v, "action"));
		else
			printf("  => no decision");
	}
	printf("\n");
	if (v && get_str(v, "note") && !get_str(v, "reason") &&
	    json_object_get_boolean(get(v, "protected")))
		printf("      %s\n", get_str(v, "note"));
}

static void print_text(struct json_object *doc, int list)
{
	struct json_object *cap = get(doc, "capture"),
			   *cfg = get(doc, "config");
	struct json_object *arr;
	size_t i, n;

	printf("capture %s: %s, %s, snaplen %lld; %lld packets, %lld TCP "
	       "segments, %lld connection%s",
	       get_str(cap, "file"), get_str(cap, "format"),
	       get_str(cap, "linktype"), (long long)get_int(cap, "snaplen"),
	       (long long)get_int(cap, "packets"),
	       (long long)get_int(cap, "tcp_segments"),
	       (long long)get_int(cap, "connections"),
	       get_int(cap, "connections") == 1 ? "" : "s");
	if (get_int(cap, "vlan_tagged"))
		printf(", %lld VLAN-tagged frames",
		       (long long)get_int(cap, "vlan_tagged"));
	if (get_int(cap, "cut_by_snaplen"))
		printf(", %lld packets cut by the snaplen",
		       (long long)get_int(cap, "cut_by_snaplen"));
	printf("\n");
	if (cfg)
		printf("config %s%s\n", get_str(cfg, "file"),
		       json_object_get_boolean(get(cfg, "dry_run"))
			       ? " (DRY RUN: violations logged, not enforced)"
			       : "");
	arr = get(doc, "listeners");
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++)
		print_listener(json_object_array_get_idx(arr, i));
	if (list) {
		arr = get(doc, "connections");
		n = json_object_array_length(arr);
		printf("\nconnections:\n");
		for (i = 0; i < n; i++)
			print_conn(json_object_array_get_idx(arr, i));
	}
	arr = get(doc, "would_stop");
	if (arr && cfg) {
		const char *f = get_str(cfg, "file");

		n = json_object_array_length(arr);
		printf("\nwith %s, ppguard would stop:%s\n", f ? f : "-",
		       n ? "" : " nothing");
		for (i = 0; i < n; i++)
			printf("  %s\n",
			       get_str(json_object_array_get_idx(arr, i),
				       "message"));
	}
	arr = get(doc, "notes");
	n = json_object_array_length(arr);
	if (n)
		printf("\nnotes:\n");
	for (i = 0; i < n; i++)
		printf("  - %s\n", json_object_get_string(
					   json_object_array_get_idx(arr, i)));
}

int do_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"dry-run", no_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"connections", no_argument, NULL, 'l'},
		{},
	};
	struct pp_insp_policy *pol = NULL;
	const char *conf_path = NULL;
	struct json_object *doc;
	struct pp_conf conf;
	struct pp_insp in;
	int opt, json = 0, list = 0, dry = 0, r, hit = 0;
	size_t i;

	while ((opt = getopt_long(argc, argv, "c:njl", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			conf_path = optarg;
			break;
		case 'n':
			dry = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			list = 1;
			break;
		default:
			return PP_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cmd_usage_error("inspect", "a capture file is required");
	if (optind + 1 < argc)
		return cmd_usage_error("inspect", "one capture at a time");
	if (dry && !conf_path)
		return cmd_usage_error("inspect", "--dry-run needs -c CONF");
	if (conf_path) {
		r = pp_conf_load(conf_path, &conf);
		if (!r)
			r = pp_insp_policy_new(&conf, dry, &pol);
		pp_conf_free(&conf);
		if (r)
			return r == -EINVAL ? EXIT_FAILURE : PP_EXIT_NOINPUT;
	}
	r = pp_insp_read(argv[optind], &in);
	if (r) {
		pp_insp_policy_free(pol);
		if (r == -ENOMEM)
			return EXIT_FAILURE;
		return r == -EINVAL || r == -EPROTONOSUPPORT
			       ? INSPECT_EXIT_DATAERR
			       : PP_EXIT_NOINPUT;
	}
	if (in.cap.file_truncated)
		pr_warn("%s: the file ends inside a packet record (%s); "
			"reporting the %llu packets before it\n",
			argv[optind], in.cap.file_error,
			(unsigned long long)in.cap.packets);
	for (i = 0; i < in.n; i++) {
		r = pp_insp_analyze(in.conns[i]);
		if (r) {
			pr_warn("%s: %s\n", argv[optind], strerror(-r));
			pp_insp_free(&in);
			pp_insp_policy_free(pol);
			return EXIT_FAILURE;
		}
		if (pol)
			pp_insp_judge(pol, in.conns[i]);
		pp_insp_release(in.conns[i]);
	}
	doc = build(&in, pol, conf_path, &hit);
	if (json)
		puts(json_object_to_json_string_ext(
			doc, JSON_C_TO_STRING_PRETTY |
				     JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		print_text(doc, list);
	json_object_put(doc);
	pp_insp_free(&in);
	pp_insp_policy_free(pol);
	if (fflush(stdout)) {
		pr_warn("writing the report failed: %s\n", strerror(errno));
		return PP_EXIT_IOERR;
	}
	return hit ? INSPECT_EXIT_BREAKS : EXIT_SUCCESS;
}
