// SPDX-License-Identifier: GPL-2.0
/*
 * Commands on the pinned maps of one interface or of all of them, with or
 * without a running daemon: trust, port, conns, status.
 *
 * Edits take the pin directory's lock and go through the same diff as a
 * config (maps.c), so they cannot leave a trusted prefix absent in between
 * and fail as a whole. They last until the next `attach -c` or SIGHUP of
 * `ppguard run`, which make the maps match the config file again.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "config.h"
#include "daemon.h"
#include "loader.h"
#include "log.h"
#include "maps.h"
#include "ppguard.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- common ---- */

struct ifaces {
	char **v;
	size_t n;
};

/* -i IFACE, or every interface with a pin directory */
static int ifaces_get(const char *cmd, const char *iface, struct ifaces *l)
{
	int r;

	l->v = NULL;
	l->n = 0;
	if (iface) {
		if (!pp_iface_valid(iface)) {
			pr_warn("invalid interface name '%s'\n", iface);
			return -EINVAL;
		}
		l->v = calloc(1, sizeof(*l->v));
		if (!l->v || !(l->v[0] = strdup(iface))) {
			free(l->v);
			return -ENOMEM;
		}
		l->n = 1;
		return 0;
	}
	r = pp_ifaces_list(&l->v, &l->n);
	if (r) {
		pr_warn("cannot list %s: %s\n", PP_PIN_ROOT, strerror(-r));
		return r;
	}
	/* bpffs is shared by every network namespace: without -i, act only
	 * on the attachments made from this one (an interface of another
	 * namespace is reached with -i, or from that namespace). */
	{
		__u64 self = pp_netns_self();
		size_t i, n = 0;

		for (i = 0; i < l->n; i++) {
			struct pp_attach_state st;

			if (pp_state_read(l->v[i], &st) == 0 && st.netns &&
			    self && st.netns != self) {
				free(l->v[i]);
				continue;
			}
			l->v[n++] = l->v[i];
		}
		l->n = n;
	}
	if (!l->n) {
		pr_warn("ppguard is not attached to any interface of this "
			"network namespace (see %s/ and 'ppguard attach "
			"--help')\n",
			PP_PIN_ROOT);
		return -ENOENT;
	}
	(void)cmd;
	return 0;
}

static void ifaces_free(struct ifaces *l)
{
	pp_ifaces_free(l->v, l->n);
}

static int json_print(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_FLAGS);

	if (!s)
		return -ENOMEM;
	puts(s);
	return 0;
}

static const char *yesno(int v)
{
	return v ? "yes" : "no";
}

/* Lock + open the maps of an interface for an edit */
static int edit_begin(const char *iface, struct pp_maps *m, int *lock)
{
	char dir[PATH_MAX];
	int r;

	r = pp_pin_dir(iface, dir, sizeof(dir));
	if (r)
		return r;
	*lock = pp_lock_dir(dir, 30);
	if (*lock < 0) {
		if (*lock == -ENOENT)
			pr_warn("%s: ppguard is not attached (no %s)\n", iface,
				dir);
		else
			pr_warn("%s: cannot lock %s: %s\n", iface, dir,
				*lock == -EBUSY ? "another ppguard holds it"
						: strerror(-*lock));
		return *lock;
	}
	r = pp_maps_open(iface, m);
	if (r) {
		pp_unlock_dir(*lock);
		*lock = -1;
	}
	return r;
}

static void edit_end(struct pp_maps *m, int lock)
{
	pp_maps_close(m);
	pp_unlock_dir(lock);
}

/* ---- trust ---- */

const char trust_help[] =
	"add|del|list [CIDR...] [--healthcheck] [-i IFACE] [--json]\n"
	"Edit or show the peers trusted to send PROXY headers "
	"(trust4/trust6).\n"
	"\n"
	"  add CIDR...      list the prefixes in [trust] (with --healthcheck: "
	"in\n"
	"                   [healthcheck], exempt from 'require')\n"
	"  del CIDR...      take them off that list\n"
	"  list             every entry: prefix, trusted, healthcheck, listed "
	"in\n"
	"  -i, --iface IFACE  only this interface (default: every attached "
	"one)\n"
	"  -H, --healthcheck  the healthcheck list instead of the trust list\n"
	"  -j, --json       list as a JSON array\n"
	"\n"
	"A CIDR is 198.18.0.0/15, fd00::/8 or a bare address (/32, /128); "
	"host bits\n"
	"set under the prefix length are an error. An entry's flags are what "
	"covers\n"
	"it (the longest match decides): a healthcheck host inside a trusted "
	"prefix\n"
	"is trusted too. Every CIDR is checked before anything changes; "
	"additions go\n"
	"in before removals. The next 'attach -c' or config reload replaces "
	"these\n"
	"edits with the config file's lists.\n";

static int trust_list_one(const char *iface, struct json_object *arr,
			  int *header)
{
	struct pp_trust_entry *e;
	struct pp_maps m;
	char buf[PP_CIDR_STRLEN];
	size_t n, i;
	int r;

	r = pp_maps_open(iface, &m);
	if (r)
		return r;
	r = pp_maps_trust_read(&m, &e, &n);
	pp_maps_close(&m);
	if (r) {
		pr_warn("%s: cannot read the trust maps: %s\n", iface,
			strerror(-r));
		return r;
	}
	for (i = 0; i < n; i++) {
		const struct pp_trust *v = &e[i].val;
		const char *listed =
			(v->listed & PP_LISTED_TRUST) &&
					(v->listed & PP_LISTED_HEALTHCHECK)
				? "trust,healthcheck"
			: v->listed & PP_LISTED_TRUST ? "trust"
						      : "healthcheck";

		pp_cidr_fmt(&e[i].cidr, buf, sizeof(buf));
		if (arr) {
			struct json_object *o = json_object_new_object();
			struct json_object *l = json_object_new_array();

			json_object_object_add(o, "iface",
					       json_object_new_string(iface));
			json_object_object_add(o, "prefix",
					       json_object_new_string(buf));
			json_object_object_add(
				o, "family",
				json_object_new_int(e[i].cidr.family));
			json_object_object_add(
				o, "trusted",
				json_object_new_boolean(v->trusted));
			json_object_object_add(
				o, "healthcheck",
				json_object_new_boolean(v->healthcheck));
			if (v->listed & PP_LISTED_TRUST)
				json_object_array_add(
					l, json_object_new_string("trust"));
			if (v->listed & PP_LISTED_HEALTHCHECK)
				json_object_array_add(
					l,
					json_object_new_string("healthcheck"));
			json_object_object_add(o, "listed", l);
			json_object_array_add(arr, o);
			continue;
		}
		if (!*header) {
			printf("%-15s %-43s %-7s %-11s %s\n", "IFACE", "PREFIX",
			       "TRUSTED", "HEALTHCHECK", "LISTED IN");
			*header = 1;
		}
		printf("%-15s %-43s %-7s %-11s %s\n", iface, buf,
		       yesno(v->trusted), yesno(v->healthcheck), listed);
	}
	free(e);
	return 0;
}

/* Add (set) or remove the `bit` listing of every cidr on one interface */
static int trust_edit_one(const char *iface, const struct pp_cidr *c, size_t nc,
			  __u8 bit, int add)
{
	struct pp_apply_report rep;
	struct pp_trust_entry *cur, *e;
	struct pp_want w = {};
	struct pp_maps m;
	char buf[PP_CIDR_STRLEN];
	size_t n, i, j;
	int lock, r;

	r = edit_begin(iface, &m, &lock);
	if (r)
		return r;
	r = pp_maps_trust_read(&m, &cur, &n);
	if (r) {
		pr_warn("%s: cannot read the trust maps: %s\n", iface,
			strerror(-r));
		goto out;
	}
	e = realloc(cur, (n + nc + 1) * sizeof(*e));
	if (!e) {
		free(cur);
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nc; i++) {
		for (j = 0; j < n; j++)
			if (pp_cidr_equal(&e[j].cidr, &c[i]))
				break;
		if (add) {
			if (j == n) {
				memset(&e[n], 0, sizeof(e[n]));
				e[n++].cidr = c[i];
			}
			e[j].val.listed |= bit;
		} else if (j == n || !(e[j].val.listed & bit)) {
			pr_warn("%s: %s is not in the %s list; nothing "
				"changed\n",
				iface, pp_cidr_fmt(&c[i], buf, sizeof(buf)),
				bit == PP_LISTED_TRUST ? "trust"
						       : "healthcheck");
			free(e);
			r = -ENOENT;
			goto out;
		} else {
			e[j].val.listed &= (__u8)~bit;
		}
	}
	/* entries no list names any more go */
	for (i = j = 0; i < n; i++)
		if (e[i].val.listed)
			e[j++] = e[i];
	n = j;
	pp_trust_compute(e, n);
	w.trust = e;
	w.n_trust = n;
	r = pp_maps_apply(&m, &w, PP_APPLY_TRUST, &rep);
	free(e);
	if (!r)
		pr_info("%s: trust +%u ~%u -%u\n", iface, rep.trust.add,
			rep.trust.change, rep.trust.remove);
out:
	edit_end(&m, lock);
	return r;
}

int do_trust(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"healthcheck", no_argument, NULL, 'H'},
		{"json", no_argument, NULL, 'j'},
		{},
	};
	const char *iface = NULL, *verb, *why;
	struct json_object *arr = NULL;
	struct pp_cidr *c = NULL;
	struct ifaces l;
	int opt, hc = 0, json = 0, r = 0, header = 0, nc, i;
	size_t k;

	while ((opt = getopt_long(argc, argv, "i:Hj", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			iface = optarg;
			break;
		case 'H':
			hc = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return PP_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cmd_usage_error("trust", "add, del or list?");
	verb = argv[optind++];
	nc = argc - optind;
	if (!strcmp(verb, "list")) {
		if (nc)
			return cmd_usage_error("trust",
					       "list takes no argument");
	} else if (!strcmp(verb, "add") || !strcmp(verb, "del")) {
		if (!nc)
			return cmd_usage_error("trust", "%s needs a CIDR",
					       verb);
		c = calloc((size_t)nc, sizeof(*c));
		if (!c)
			return -ENOMEM;
		for (i = 0; i < nc; i++) {
			const char *s = argv[optind + i];

			if (pp_cidr_parse(s, &c[i], &why)) {
				char buf[PP_CIDR_STRLEN];

				if (c[i].family &&
				    !strcmp(why, "host bits set"))
					r = cmd_usage_error(
						"trust",
						"'%s': host bits set (did you "
						"mean %s?)",
						s,
						pp_cidr_fmt(&c[i], buf,
							    sizeof(buf)));
				else
					r = cmd_usage_error("trust", "'%s': %s",
							    s, why);
				free(c);
				return r;
			}
		}
	} else {
		return cmd_usage_error(
			"trust", "unknown action '%s' (add, del, list)", verb);
	}
	r = ifaces_get("trust", iface, &l);
	if (r) {
		free(c);
		return EXIT_FAILURE;
	}
	if (json && !c)
		arr = json_object_new_array();
	for (k = 0; k < l.n; k++) {
		int e;

		if (c)
			e = trust_edit_one(l.v[k], c, (size_t)nc,
					   hc ? PP_LISTED_HEALTHCHECK
					      : PP_LISTED_TRUST,
					   verb[0] == 'a');
		else
			e = trust_list_one(l.v[k], arr, &header);
		if (e)
			r = e;
	}
	if (arr) {
		json_print(arr);
		json_object_put(arr);
	}
	ifaces_free(&l);
	free(c);
	return r ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- port ---- */

const char port_help[] =
	"set|del|list [PORT...] [--require|--no-require] [--versions v1,v2] "
	"[--action drop|reset|log] [-i IFACE] [--json]\n"
	"Edit or show the protected ports (the ports map).\n"
	"\n"
	"  set PORT...           protect these ports, or change their "
	"policy\n"
	"  del PORT...           stop protecting them\n"
	"  list                  every protected port\n"
	"  -r, --require         trusted peers (not healthcheck ones) must "
	"send a header\n"
	"  -R, --no-require      a header is optional for them\n"
	"  -V, --versions LIST   v1, v2 or v1,v2: the header versions "
	"accepted\n"
	"  -a, --action ACTION   drop, reset or log: what a violation gets\n"
	"  -i, --iface IFACE     only this interface (default: every attached "
	"one)\n"
	"  -j, --json            list as a JSON array\n"
	"\n"
	"A new port takes what is not given from the defaults (no require, "
	"v1,v2,\n"
	"drop); an existing one keeps it. At most 64 ports (counter slots); a "
	"port\n"
	"keeps its slot while it stays, a new one gets its counters zeroed. "
	"The next\n"
	"'attach -c' or config reload replaces these edits with the config "
	"file's\n"
	"[port N] sections.\n";

struct port_args {
	int require; /* -1: not given */
	int versions;
	int action;
};

static int port_list_one(const char *iface, struct json_object *arr,
			 int *header)
{
	struct pp_port_entry e[PP_PORT_SLOTS * 2];
	struct pp_maps m;
	size_t n, i;
	int r;

	r = pp_maps_open(iface, &m);
	if (r)
		return r;
	r = pp_maps_ports_read(&m, e, PP_PORT_SLOTS * 2, &n);
	pp_maps_close(&m);
	if (r) {
		pr_warn("%s: cannot read the ports map: %s\n", iface,
			strerror(-r));
		return r;
	}
	for (i = 0; i < n; i++) {
		const struct pp_port_policy *p = &e[i].pol;

		if (arr) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "iface",
					       json_object_new_string(iface));
			json_object_object_add(o, "port",
					       json_object_new_int(e[i].port));
			json_object_object_add(
				o, "require",
				json_object_new_boolean(p->require));
			json_object_object_add(
				o, "versions",
				json_object_new_string(
					pp_versions_str(p->versions)));
			json_object_object_add(
				o, "action",
				json_object_new_string(
					pp_action_str(p->action)));
			json_object_object_add(o, "slot",
					       json_object_new_int(p->slot));
			json_object_array_add(arr, o);
			continue;
		}
		if (!*header) {
			printf("%-15s %5s %-7s %-8s %-6s %s\n", "IFACE", "PORT",
			       "REQUIRE", "VERSIONS", "ACTION", "SLOT");
			*header = 1;
		}
		printf("%-15s %5u %-7s %-8s %-6s %u\n", iface, e[i].port,
		       yesno(p->require), pp_versions_str(p->versions),
		       pp_action_str(p->action), p->slot);
	}
	return 0;
}

static int port_edit_one(const char *iface, const __u16 *ports, size_t np,
			 const struct port_args *a, int set)
{
	struct pp_port_entry cur[PP_PORT_SLOTS * 2];
	struct pp_apply_report rep;
	struct pp_want w = {};
	struct pp_maps m;
	size_t n, i, j;
	int lock, r;

	r = edit_begin(iface, &m, &lock);
	if (r)
		return r;
	r = pp_maps_ports_read(&m, cur, PP_PORT_SLOTS * 2, &n);
	if (r) {
		pr_warn("%s: cannot read the ports map: %s\n", iface,
			strerror(-r));
		goto out;
	}
	for (i = 0; i < np; i++) {
		for (j = 0; j < n; j++)
			if (cur[j].port == ports[i])
				break;
		if (!set) {
			if (j == n) {
				pr_warn("%s: port %u is not protected; nothing "
					"changed\n",
					iface, ports[i]);
				r = -ENOENT;
				goto out;
			}
			cur[j] = cur[--n];
			continue;
		}
		if (j == n) {
			if (n >= PP_PORT_SLOTS) {
				pr_warn("%s: at most %d ports can be "
					"protected; nothing changed\n",
					iface, PP_PORT_SLOTS);
				r = -E2BIG;
				goto out;
			}
			memset(&cur[n], 0, sizeof(cur[n]));
			cur[n].port = ports[i];
			cur[n].pol.inspect = 1;
			cur[n].pol.versions = PP_PORT_DEFAULT_VERSIONS;
			cur[n].pol.action = PP_PORT_DEFAULT_ACTION;
			n++;
		}
		if (a->require >= 0)
			cur[j].pol.require = (__u8)a->require;
		if (a->versions >= 0)
			cur[j].pol.versions = (__u8)a->versions;
		if (a->action >= 0)
			cur[j].pol.action = (__u8)a->action;
	}
	if (n > PP_PORT_SLOTS) {
		pr_warn("%s: at most %d ports can be protected; nothing "
			"changed\n",
			iface, PP_PORT_SLOTS);
		r = -E2BIG;
		goto out;
	}
	for (i = 0; i < n; i++)
		w.ports[i] = cur[i]; /* slots kept by the diff */
	w.n_ports = n;
	r = pp_maps_apply(&m, &w, PP_APPLY_PORTS, &rep);
	if (!r)
		pr_info("%s: ports +%u ~%u -%u\n", iface, rep.ports.add,
			rep.ports.change, rep.ports.remove);
out:
	edit_end(&m, lock);
	return r;
}

int do_port(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"require", no_argument, NULL, 'r'},
		{"no-require", no_argument, NULL, 'R'},
		{"versions", required_argument, NULL, 'V'},
		{"action", required_argument, NULL, 'a'},
		{"json", no_argument, NULL, 'j'},
		{},
	};
	struct port_args a = {.require = -1, .versions = -1, .action = -1};
	struct json_object *arr = NULL;
	const char *iface = NULL, *verb;
	__u16 *ports = NULL;
	struct ifaces l;
	int opt, json = 0, r = 0, header = 0, np, i, given = 0;
	__u8 v8;
	size_t k;

	while ((opt = getopt_long(argc, argv, "i:rRV:a:j", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			iface = optarg;
			break;
		case 'r':
		case 'R':
			a.require = opt == 'r';
			given = 1;
			break;
		case 'V':
			if (pp_versions_parse(optarg, &v8))
				return cmd_usage_error(
					"port",
					"--versions '%s': expected v1, v2 or "
					"v1,v2",
					optarg);
			a.versions = v8;
			given = 1;
			break;
		case 'a':
			if (pp_port_action_parse(optarg, &v8))
				return cmd_usage_error(
					"port",
					"--action '%s': expected drop, reset "
					"or log",
					optarg);
			a.action = v8;
			given = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return PP_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cmd_usage_error("port", "set, del or list?");
	verb = argv[optind++];
	np = argc - optind;
	if (!strcmp(verb, "list")) {
		if (np)
			return cmd_usage_error("port",
					       "list takes no argument");
	} else if (!strcmp(verb, "set") || !strcmp(verb, "del")) {
		if (!np)
			return cmd_usage_error("port", "%s needs a PORT", verb);
		if (verb[0] == 'd' && given)
			return cmd_usage_error("port",
					       "del takes no policy option");
		ports = calloc((size_t)np, sizeof(*ports));
		if (!ports)
			return -ENOMEM;
		for (i = 0; i < np; i++) {
			if (pp_port_parse(argv[optind + i], &ports[i])) {
				r = cmd_usage_error("port",
						    "'%s': a port is a number "
						    "1..65535",
						    argv[optind + i]);
				free(ports);
				return r;
			}
		}
	} else {
		return cmd_usage_error(
			"port", "unknown action '%s' (set, del, list)", verb);
	}
	r = ifaces_get("port", iface, &l);
	if (r) {
		free(ports);
		return EXIT_FAILURE;
	}
	if (json && !ports)
		arr = json_object_new_array();
	for (k = 0; k < l.n; k++) {
		int e;

		if (ports)
			e = port_edit_one(l.v[k], ports, (size_t)np, &a,
					  verb[0] == 's');
		else
			e = port_list_one(l.v[k], arr, &header);
		if (e)
			r = e;
	}
	if (arr) {
		json_print(arr);
		json_object_put(arr);
	}
	ifaces_free(&l);
	free(ports);
	return r ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- conns ---- */

const char conns_help[] =
	"[-i IFACE] [--json]\n"
	"List the connections in the flow table: peer -> verdict and declared "
	"client.\n"
	"\n"
	"  -i, --iface IFACE   only this interface (default: every attached "
	"one)\n"
	"  -j, --json          a JSON array\n"
	"\n"
	"One line per flow of a protected port: the peer (the balancer or "
	"client\n"
	"that connected), the local address, the flow's state (syn, open, "
	"watch,\n"
	"pass, blocked), the peer's class from the trust maps, the verdict's "
	"reason\n"
	"and action once decided, the client the PROXY header declared, and "
	"the age.\n"
	"Entries end with FIN/RST or when the LRU table needs room.\n";

static const char *flow_state_str(unsigned int s)
{
	static const char *const n[] = {"syn", "open", "watch", "pass",
					"blocked"};

	return s < sizeof(n) / sizeof(n[0]) ? n[s] : "unknown";
}

static const char *peer_class_str(unsigned int c)
{
	static const char *const n[] = {"untrusted", "trusted", "healthcheck",
					"trusted+healthcheck"};

	return c < 4 ? n[c] : "unknown";
}

struct flow_row {
	struct pp_flow_key k;
	struct pp_flow f;
};

struct flows_acc {
	struct flow_row *v;
	size_t n, cap;
};

static int flow_collect(const struct pp_flow_key *k, const struct pp_flow *f,
			void *ctx)
{
	struct flows_acc *a = ctx;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 256;
		struct flow_row *v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n].k = *k;
	a->v[a->n].f = *f;
	a->n++;
	return 0;
}

static int cmp_flow_age(const void *x, const void *y)
{
	const struct flow_row *a = x, *b = y;

	return a->f.created_ns < b->f.created_ns   ? -1
	       : a->f.created_ns > b->f.created_ns ? 1
						   : 0;
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* The declared client, "-" without a header, "LOCAL" for LOCAL */
static void declared_str(const struct pp_flow *f, char *buf, size_t len,
			 int dst)
{
	/* only a trusted peer's header is parsed (an untrusted one's is
	 * refused on its signature) */
	if (!f->version || !f->decided_ns ||
	    !(f->peer_class & PP_PEER_TRUSTED)) {
		snprintf(buf, len, "-");
		return;
	}
	if (f->command == PP_CMD_LOCAL) {
		snprintf(buf, len, "LOCAL");
		return;
	}
	if (!pp_sockaddr_fmt(f->family, dst ? f->dst_addr : f->src_addr,
			     dst ? f->dst_port : f->src_port, buf, len))
		snprintf(buf, len, "%s", pp_family_str(f->family));
}

static void flow_flags_json(struct json_object *o, __u8 fl)
{
	static const struct {
		__u8 bit;
		const char *name;
	} n[] = {
		{PP_FF_SYN_DATA, "syn_data"}, {PP_FF_MIDSTREAM, "midstream"},
		{PP_FF_ACKED, "acked"},	      {PP_FF_TRUNC, "truncated"},
		{PP_FF_MISMATCH, "mismatch"}, {PP_FF_ADOPTED, "adopted"},
		{PP_FF_SETTLED, "settled"},
	};
	struct json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < sizeof(n) / sizeof(n[0]); i++)
		if (fl & n[i].bit)
			json_object_array_add(
				a, json_object_new_string(n[i].name));
	json_object_object_add(o, "flags", a);
}

static int conns_one(const char *iface, struct json_object *arr, int *header)
{
	struct flows_acc acc = {};
	struct pp_maps m;
	__u64 now;
	size_t i;
	int r;

	r = pp_maps_open(iface, &m);
	if (r)
		return r;
	r = pp_maps_flows_foreach(&m, flow_collect, &acc);
	pp_maps_close(&m);
	if (r) {
		pr_warn("%s: cannot read the flow table: %s\n", iface,
			strerror(-r));
		free(acc.v);
		return r;
	}
	if (acc.n)
		qsort(acc.v, acc.n, sizeof(*acc.v), cmp_flow_age);
	now = mono_ns();
	for (i = 0; i < acc.n; i++) {
		const struct pp_flow_key *k = &acc.v[i].k;
		const struct pp_flow *f = &acc.v[i].f;
		char peer[PP_SOCKADDR_STRLEN], local[PP_SOCKADDR_STRLEN];
		char client[PP_SOCKADDR_STRLEN], dst[PP_SOCKADDR_STRLEN];
		unsigned int fam = k->family == 6 ? PP_FAM_INET6 : PP_FAM_INET;
		double age = now > f->created_ns
				     ? (double)(now - f->created_ns) / 1e9
				     : 0;
		int decided = f->decided_ns != 0;

		if (!pp_sockaddr_fmt(fam, k->peer, ntohs(k->peer_port), peer,
				     sizeof(peer)))
			snprintf(peer, sizeof(peer), "?");
		if (!pp_sockaddr_fmt(fam, k->local, ntohs(k->local_port), local,
				     sizeof(local)))
			snprintf(local, sizeof(local), "?");
		declared_str(f, client, sizeof(client), 0);
		declared_str(f, dst, sizeof(dst), 1);
		if (arr) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "iface",
					       json_object_new_string(iface));
			json_object_object_add(o, "peer",
					       json_object_new_string(peer));
			json_object_object_add(o, "local",
					       json_object_new_string(local));
			json_object_object_add(
				o, "state",
				json_object_new_string(
					flow_state_str(f->state)));
			json_object_object_add(
				o, "peer_class",
				json_object_new_string(
					peer_class_str(f->peer_class)));
			json_object_object_add(
				o, "reason",
				decided ? json_object_new_string(
						  pp_reason_str(f->reason))
					: NULL);
			json_object_object_add(
				o, "action",
				decided ? json_object_new_string(
						  pp_action_str(f->action))
					: NULL);
			json_object_object_add(
				o, "version",
				json_object_new_int(decided ? f->version : 0));
			if (decided && f->version &&
			    (f->peer_class & PP_PEER_TRUSTED)) {
				json_object_object_add(
					o, "command",
					json_object_new_string(
						pp_command_str(f->command)));
				json_object_object_add(
					o, "client",
					json_object_new_string(client));
				json_object_object_add(
					o, "destination",
					json_object_new_string(dst));
			}
			json_object_object_add(o, "stream_bytes",
					       json_object_new_int64(f->have));
			flow_flags_json(o, f->flags);
			snprintf(client, sizeof(client), "%.3f", age);
			json_object_object_add(
				o, "age_s",
				json_object_new_double_s(age, client));
			json_object_array_add(arr, o);
			continue;
		}
		if (!*header) {
			printf("%-12s %-22s %-22s %-7s %-11s %-19s %-6s "
			       "%-24s %s\n",
			       "IFACE", "PEER", "LOCAL", "STATE", "PEER CLASS",
			       "REASON", "ACTION", "DECLARED CLIENT", "AGE");
			*header = 1;
		}
		printf("%-12s %-22s %-22s %-7s %-11s %-19s %-6s %-24s "
		       "%.1fs\n",
		       iface, peer, local, flow_state_str(f->state),
		       peer_class_str(f->peer_class),
		       decided ? pp_reason_str(f->reason) : "-",
		       decided ? pp_action_str(f->action) : "-", client, age);
	}
	free(acc.v);
	return 0;
}

int do_conns(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"json", no_argument, NULL, 'j'},
		{},
	};
	struct json_object *arr = NULL;
	const char *iface = NULL;
	struct ifaces l;
	int opt, json = 0, r = 0, header = 0;
	size_t k;

	while ((opt = getopt_long(argc, argv, "i:j", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			iface = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return PP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("conns", "unexpected argument '%s'",
				       argv[optind]);
	if (ifaces_get("conns", iface, &l))
		return EXIT_FAILURE;
	if (json)
		arr = json_object_new_array();
	for (k = 0; k < l.n; k++)
		if (conns_one(l.v[k], arr, &header))
			r = -1;
	if (arr) {
		json_print(arr);
		json_object_put(arr);
	} else if (!header && !r) {
		printf("no connections in the flow table\n");
	}
	ifaces_free(&l);
	return r ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- status ---- */

const char status_help[] =
	"[-i IFACE] [--json]\n"
	"Show what is attached where, the policy in the maps, and the "
	"counters.\n"
	"\n"
	"  -i, --iface IFACE   only this interface (default: every attached "
	"one)\n"
	"  -j, --json          one JSON object per interface, in an array\n"
	"\n"
	"Per interface: mode, program id and attach point (checked against "
	"the\n"
	"kernel, not only the pins), dry run, config file, ports, trust/deny/"
	"blocked\n"
	"entries, flow table fill, ring buffer events lost, packets per path "
	"and\n"
	"connection decisions per reason and action (per-CPU counters "
	"summed).\n"
	"Exit status 0 when ppguard's program is on every listed interface's "
	"hook.\n";

static const char *const path_names[PP_PATH_MAX] = {
	[PP_PATH_FAST] = "fast",	 [PP_PATH_INSPECTED] = "inspected",
	[PP_PATH_FLOW_HIT] = "flow_hit", [PP_PATH_DROPPED] = "dropped",
	[PP_PATH_RESET] = "reset",
};

static const char *const misc_names[PP_MISC_MAX] = {
	[PP_MISC_EVENTS_LOST] = "events_lost",
	[PP_MISC_OOO_DROPPED] = "out_of_order_dropped",
	[PP_MISC_FLOW_CREATE_FAIL] = "flow_create_failed",
	[PP_MISC_MIDSTREAM] = "midstream_packets",
};

struct status {
	const char *iface;
	int have_state;
	struct pp_attach_state st;
	struct pp_probe probe;
	int dry_run;
	struct pp_port_entry ports[PP_PORT_SLOTS * 2];
	size_t n_ports;
	size_t trust4, trust6, deny4, deny6, blocked4, blocked6, flows;
	__u32 flows_max;
	int have_ev;	      /* a daemon's bookkeeping exists */
	struct pp_evstate ev; /* events lost while no daemon ran */
	__u64 stats[PP_STATS_MAX];
};

static int status_read(const char *iface, struct status *s)
{
	struct pp_config cfg = {};
	struct pp_maps m;
	__u32 zero = 0;
	int r;

	memset(s, 0, sizeof(*s));
	s->iface = iface;
	r = pp_maps_open(iface, &m);
	if (r)
		return r;
	s->have_state = pp_state_read(iface, &s->st) == 0;
	if (s->have_state)
		pp_probe(iface, &s->st, &s->probe);
	if (!bpf_map_lookup_elem(m.config, &zero, &cfg))
		s->dry_run = !!(cfg.flags & PP_CFG_DRY_RUN);
	r = pp_maps_ports_read(&m, s->ports, PP_PORT_SLOTS * 2, &s->n_ports);
	if (!r)
		r = pp_maps_count(m.trust4, &s->trust4);
	if (!r)
		r = pp_maps_count(m.trust6, &s->trust6);
	if (!r)
		r = pp_maps_count(m.deny4, &s->deny4);
	if (!r)
		r = pp_maps_count(m.deny6, &s->deny6);
	if (!r)
		r = pp_maps_count(m.blocked4, &s->blocked4);
	if (!r)
		r = pp_maps_count(m.blocked6, &s->blocked6);
	if (!r)
		r = pp_maps_count(m.flows, &s->flows);
	s->flows_max = pp_maps_max_entries(m.flows);
	if (!r)
		r = pp_maps_stats_sum(&m, s->stats);
	s->have_ev =
		pp_evstate_read(iface, pp_maps_obj_id(m.stats), &s->ev) == 0;
	pp_maps_close(&m);
	if (r)
		pr_warn("%s: cannot read the maps: %s\n", iface, strerror(-r));
	return r;
}

static void time_str(__u64 t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "-");
}

/* Connection decisions of a reason and action, summed over port slots */
static __u64 conn_total(const __u64 *st, int reason, int action)
{
	__u64 sum = 0;
	int slot;

	for (slot = 0; slot < PP_PORT_SLOTS; slot++)
		sum += st[PP_STAT_CONN(slot, reason, action)];
	return sum;
}

static void attach_point_str(const struct status *s, char *buf, size_t len)
{
	if (s->st.mode == PP_MODE_TC)
		snprintf(buf, len,
			 "tc clsact ingress pref %u handle 0x%x%s, %d other "
			 "filter%s",
			 PP_TC_PRIO, PP_TC_HANDLE,
			 s->st.created_clsact ? " (clsact made by ppguard)"
					      : "",
			 s->probe.other_filters,
			 s->probe.other_filters == 1 ? "" : "s");
	else if (s->probe.dispatcher_id)
		snprintf(buf, len,
			 "xdp %s, libxdp dispatcher id %u with %d program%s",
			 pp_xdp_mode_str((int)s->st.xdp_mode),
			 s->probe.dispatcher_id, s->probe.xdp_progs,
			 s->probe.xdp_progs == 1 ? "" : "s");
	else
		snprintf(buf, len, "xdp %s, alone (no libxdp dispatcher)",
			 pp_xdp_mode_str((int)s->st.xdp_mode));
}

static void status_text(const struct status *s)
{
	char ap[160], t1[32], t2[32];
	const __u64 *st = s->stats;
	size_t i;
	int r, a, any = 0;

	attach_point_str(s, ap, sizeof(ap));
	if (!s->have_state)
		printf("%s: pins without attach state (half-made?): run "
		       "'ppguard detach -i %s'\n",
		       s->iface, s->iface);
	else if (s->probe.other_netns)
		printf("%s: attached from another network namespace "
		       "(net:[%llu]): the hook cannot be checked from here\n",
		       s->iface, (unsigned long long)s->st.netns);
	else if (!s->probe.attached)
		printf("%s: NOT ATTACHED: pins exist but no ppguard program "
		       "is on the %s hook\n",
		       s->iface, pp_mode_str((int)s->st.mode));
	else
		printf("%s: attached, %s mode, %s id %u\n", s->iface,
		       pp_mode_str((int)s->st.mode), s->probe.prog_name,
		       s->probe.prog_id);
	if (s->dry_run)
		printf("  *** DRY RUN: violations are logged, not enforced; to "
		       "enforce: dry_run = no and a reload (SIGHUP to ppguard "
		       "run, or ppguard attach -c CONF without --dry-run) "
		       "***\n");
	if (s->have_state) {
		time_str(s->st.attached_at, t1, sizeof(t1));
		time_str(s->st.first_attached_at, t2, sizeof(t2));
		printf("  attach point: %s\n", ap);
		printf("  attached:     %s (%u time%s since %s)\n", t1,
		       s->st.attach_count, s->st.attach_count == 1 ? "" : "s",
		       t2);
		printf("  config:       %s\n",
		       s->st.config[0] ? s->st.config : "-");
	}
	printf("  ports:       ");
	for (i = 0; i < s->n_ports; i++)
		printf(" %u (%s%s, %s%s)", s->ports[i].port,
		       s->ports[i].pol.require ? "require, " : "",
		       pp_versions_str(s->ports[i].pol.versions),
		       pp_action_str(s->ports[i].pol.action),
		       s->dry_run ? " -> log: dry run" : "");
	printf("%s\n", s->n_ports ? "" : " none (nothing is protected)");
	printf("  trust:        %zu IPv4, %zu IPv6 prefixes; deny_client: "
	       "%zu IPv4, %zu IPv6; blocked: %zu IPv4, %zu IPv6\n",
	       s->trust4, s->trust6, s->deny4, s->deny6, s->blocked4,
	       s->blocked6);
	printf("  flows:        %zu of %u (%.1f%%)\n", s->flows, s->flows_max,
	       s->flows_max ? 100.0 * (double)s->flows / s->flows_max : 0.0);
	printf("  events lost:  %llu (ring buffer full)",
	       (unsigned long long)st[PP_STAT_MISC(PP_MISC_EVENTS_LOST)]);
	if (s->have_ev)
		printf(", %llu while no daemon ran, %llu not written; %llu "
		       "consumed by daemons",
		       (unsigned long long)s->ev.lost_down,
		       (unsigned long long)s->ev.write_error,
		       (unsigned long long)s->ev.consumed);
	printf("\n");
	printf("  packets:     ");
	for (i = 0; i < PP_PATH_MAX; i++)
		printf(" %s %llu%s", path_names[i],
		       (unsigned long long)st[PP_STAT_PATH(i)],
		       i + 1 < PP_PATH_MAX ? "," : "\n");
	printf("  connections:");
	for (r = 0; r < PP_R_MAX; r++)
		for (a = 0; a < PP_ACT_MAX; a++) {
			__u64 n = conn_total(st, r, a);

			if (!n)
				continue;
			printf("\n    %-20s %-6s %llu", pp_reason_str(r),
			       pp_action_str(a), (unsigned long long)n);
			any = 1;
		}
	printf("%s\n", any ? "" : " none yet");
	printf("  other:       ");
	for (i = 1; i < PP_MISC_MAX; i++)
		printf(" %s %llu%s", misc_names[i],
		       (unsigned long long)st[PP_STAT_MISC(i)],
		       i + 1 < PP_MISC_MAX ? "," : "\n");
}

static struct json_object *status_json(const struct status *s)
{
	struct json_object *o = json_object_new_object(), *x, *y;
	const __u64 *st = s->stats;
	char ap[160], t[32];
	size_t i;
	int r, a;

	attach_point_str(s, ap, sizeof(ap));
	json_object_object_add(o, "iface", json_object_new_string(s->iface));
	json_object_object_add(
		o, "attached",
		s->probe.other_netns
			? NULL
			: json_object_new_boolean(s->probe.attached));
	json_object_object_add(o, "other_netns",
			       json_object_new_boolean(s->probe.other_netns));
	json_object_object_add(o, "dry_run",
			       json_object_new_boolean(s->dry_run));
	if (s->have_state) {
		json_object_object_add(
			o, "mode",
			json_object_new_string(pp_mode_str((int)s->st.mode)));
		if (s->st.mode == PP_MODE_XDP) {
			json_object_object_add(
				o, "xdp_mode",
				json_object_new_string(
					pp_xdp_mode_str((int)s->st.xdp_mode)));
			json_object_object_add(
				o, "xdp_dispatcher_id",
				json_object_new_int64(s->probe.dispatcher_id));
		} else {
			json_object_object_add(
				o, "created_clsact",
				json_object_new_boolean(s->st.created_clsact));
			json_object_object_add(
				o, "other_filters",
				json_object_new_int(s->probe.other_filters));
		}
		json_object_object_add(o, "prog_id",
				       json_object_new_int64(s->probe.prog_id));
		json_object_object_add(o, "pinned_prog_id",
				       json_object_new_int64(s->st.prog_id));
		json_object_object_add(o, "attach_point",
				       json_object_new_string(ap));
		time_str(s->st.attached_at, t, sizeof(t));
		json_object_object_add(o, "attached_at",
				       json_object_new_string(t));
		time_str(s->st.first_attached_at, t, sizeof(t));
		json_object_object_add(o, "first_attached_at",
				       json_object_new_string(t));
		json_object_object_add(
			o, "attach_count",
			json_object_new_int64(s->st.attach_count));
		json_object_object_add(
			o, "config",
			s->st.config[0] ? json_object_new_string(s->st.config)
					: NULL);
	}
	x = json_object_new_array();
	for (i = 0; i < s->n_ports; i++) {
		y = json_object_new_object();
		json_object_object_add(y, "port",
				       json_object_new_int(s->ports[i].port));
		json_object_object_add(
			y, "require",
			json_object_new_boolean(s->ports[i].pol.require));
		json_object_object_add(y, "versions",
				       json_object_new_string(pp_versions_str(
					       s->ports[i].pol.versions)));
		json_object_object_add(y, "action",
				       json_object_new_string(pp_action_str(
					       s->ports[i].pol.action)));
		/* what violations get now: "log" while a dry run is on */
		json_object_object_add(
			y, "effective_action",
			json_object_new_string(
				s->dry_run ? pp_action_str(PP_ACT_LOG)
					   : pp_action_str(
						     s->ports[i].pol.action)));
		json_object_object_add(
			y, "slot", json_object_new_int(s->ports[i].pol.slot));
		json_object_array_add(x, y);
	}
	json_object_object_add(o, "ports", x);
	x = json_object_new_object();
	json_object_object_add(x, "trust4", json_object_new_int64(s->trust4));
	json_object_object_add(x, "trust6", json_object_new_int64(s->trust6));
	json_object_object_add(x, "deny_client4",
			       json_object_new_int64(s->deny4));
	json_object_object_add(x, "deny_client6",
			       json_object_new_int64(s->deny6));
	json_object_object_add(x, "blocked4",
			       json_object_new_int64(s->blocked4));
	json_object_object_add(x, "blocked6",
			       json_object_new_int64(s->blocked6));
	json_object_object_add(x, "flows", json_object_new_int64(s->flows));
	json_object_object_add(x, "flows_max",
			       json_object_new_int64(s->flows_max));
	json_object_object_add(o, "entries", x);
	json_object_object_add(
		o, "events_lost",
		json_object_new_int64(
			(int64_t)st[PP_STAT_MISC(PP_MISC_EVENTS_LOST)]));
	if (s->have_ev) {
		x = json_object_new_object();
		json_object_object_add(
			x, "lost_while_down",
			json_object_new_int64((int64_t)s->ev.lost_down));
		json_object_object_add(
			x, "write_errors",
			json_object_new_int64((int64_t)s->ev.write_error));
		json_object_object_add(
			x, "consumed",
			json_object_new_int64((int64_t)s->ev.consumed));
		json_object_object_add(o, "daemon_events", x);
	}
	x = json_object_new_object();
	for (i = 0; i < PP_PATH_MAX; i++)
		json_object_object_add(
			x, path_names[i],
			json_object_new_int64((int64_t)st[PP_STAT_PATH(i)]));
	json_object_object_add(o, "packets", x);
	x = json_object_new_object();
	for (r = 0; r < PP_R_MAX; r++) {
		y = json_object_new_object();
		for (a = 0; a < PP_ACT_MAX; a++)
			json_object_object_add(
				y, pp_action_str(a),
				json_object_new_int64(
					(int64_t)conn_total(st, r, a)));
		json_object_object_add(x, pp_reason_str(r), y);
	}
	json_object_object_add(o, "connections", x);
	x = json_object_new_object();
	for (i = 0; i < PP_MISC_MAX; i++)
		json_object_object_add(
			x, misc_names[i],
			json_object_new_int64((int64_t)st[PP_STAT_MISC(i)]));
	json_object_object_add(o, "other", x);
	return o;
}

int do_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"json", no_argument, NULL, 'j'},
		{},
	};
	struct json_object *arr = NULL;
	const char *iface = NULL;
	struct status *s;
	struct ifaces l;
	int opt, json = 0, bad = 0;
	size_t k;

	while ((opt = getopt_long(argc, argv, "i:j", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			iface = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return PP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cmd_usage_error("status", "unexpected argument '%s'",
				       argv[optind]);
	if (ifaces_get("status", iface, &l))
		return EXIT_FAILURE;
	s = malloc(sizeof(*s));
	if (!s) {
		ifaces_free(&l);
		return EXIT_FAILURE;
	}
	if (json)
		arr = json_object_new_array();
	for (k = 0; k < l.n; k++) {
		if (status_read(l.v[k], s)) {
			bad = 1;
			continue;
		}
		if (!s->probe.attached && !s->probe.other_netns)
			bad = 1;
		if (arr)
			json_object_array_add(arr, status_json(s));
		else
			status_text(s);
	}
	if (arr) {
		json_print(arr);
		json_object_put(arr);
	}
	free(s);
	ifaces_free(&l);
	return bad ? EXIT_FAILURE : EXIT_SUCCESS;
}
