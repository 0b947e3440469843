// SPDX-License-Identifier: GPL-2.0
/*
 * Prometheus text exposition (format 0.0.4) of the pinned maps, served by
 * libmicrohttpd on GET /metrics. Names and labels: DESIGN.md section 5.
 * No label carries a client address.
 *
 * The HTTP server runs in libmicrohttpd's own thread: a scrape reads
 * kernel maps (the flow table can hold 64k entries) and must never delay
 * the ring buffer drain of the main loop. It only reads the maps and one
 * counter the main thread publishes atomically; gauges that cost a walk of
 * a map are cached for a second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <microhttpd.h>

#include "daemon.h"
#include "log.h"

#define GAUGE_CACHE_NS 1000000000ULL

struct gauges {
	__u64 at; /* CLOCK_MONOTONIC ns, 0: never */
	__u64 flows, trust4, trust6, blocked;
};

struct pp_metrics {
	struct MHD_Daemon *d;
	int fd;
	struct pp_metrics_src src;
	struct gauges cache; /* the HTTP thread's only */
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- reading the maps ---- */

static __u64 count_blocked(int fd, size_t key_size)
{
	__u8 key[sizeof(struct pp_lpm6)], next[sizeof(struct pp_lpm6)];
	__u64 now = mono_ns(), n = 0, seen = 0;
	struct pp_blocked v;
	void *prev = NULL;

	while (seen++ < PP_BLOCKED_MAX &&
	       !bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		if (!bpf_map_lookup_elem(fd, key, &v) && v.expires_ns > now)
			n++;
	}
	return n;
}

static __u64 count(int fd)
{
	size_t n = 0;

	pp_maps_count(fd, &n);
	return n;
}

static void gauges_read(struct pp_maps *m, struct gauges *g)
{
	g->flows = count(m->flows);
	g->trust4 = count(m->trust4);
	g->trust6 = count(m->trust6);
	g->blocked = count_blocked(m->blocked4, sizeof(struct pp_lpm4)) +
		     count_blocked(m->blocked6, sizeof(struct pp_lpm6));
	g->at = mono_ns();
}

/* slot -> the lowest protected port using it (0: none), and its action */
struct slots {
	__u32 port[PP_PORT_SLOTS];
	__u8 action[PP_PORT_SLOTS];
};

static int slots_read(struct pp_maps *m, struct slots *s)
{
	struct pp_port_entry *e;
	size_t n = 0, i;
	int r;

	memset(s, 0, sizeof(*s));
	e = calloc(65536, sizeof(*e));
	if (!e)
		return -ENOMEM;
	r = pp_maps_ports_read(m, e, 65536, &n);
	for (i = 0; !r && i < n; i++) { /* sorted by port */
		__u32 k = e[i].pol.slot & (PP_PORT_SLOTS - 1);

		if (s->port[k])
			continue;
		s->port[k] = e[i].port;
		s->action[k] = e[i].pol.action;
	}
	free(e);
	return r;
}

/* ---- text ---- */

static const char *const path_names[PP_PATH_MAX] = {
	[PP_PATH_FAST] = "fast",	 [PP_PATH_INSPECTED] = "inspected",
	[PP_PATH_FLOW_HIT] = "flow_hit", [PP_PATH_DROPPED] = "dropped",
	[PP_PATH_RESET] = "reset",
};

/* Label values: backslash, double quote and newline escaped. */
static void put_label(FILE *f, const char *name, const char *v)
{
	fprintf(f, "%s=\"", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The action a connection with this reason gets on a port: what a zero
 * series is shown for before anything happened. */
static __u8 usual_action(__u8 reason, __u8 port_action, int dry_run)
{
	switch (reason) {
	case PP_R_TRUSTED_HEADER:
	case PP_R_HEALTHCHECK:
	case PP_R_NO_HEADER:
		return PP_ACT_PASS;
	case PP_R_FRAGMENT:
	case PP_R_BLOCKED_SOURCE:
	case PP_R_PREFIX_MISMATCH:
		return PP_ACT_DROP;
	}
	return dry_run ? PP_ACT_LOG : port_action;
}

static void render_conns(FILE *f, const struct pp_metrics_src *src,
			 const __u64 *st, const struct slots *s, int dry_run)
{
	__u32 slot, r, a;
	char port[24];

	head(f, "ppguard_connections_total", "counter",
	     "Connection decisions of the data path by protected port, "
	     "reason and action.");
	for (slot = 0; slot < PP_PORT_SLOTS; slot++) {
		if (s->port[slot])
			snprintf(port, sizeof(port), "%u", s->port[slot]);
		else /* counts of a port no longer protected */
			snprintf(port, sizeof(port), "slot%u", slot);
		for (r = 0; r < PP_R_MAX; r++) {
			for (a = 0; a < PP_ACT_MAX; a++) {
				__u64 v = st[PP_STAT_CONN(slot, r, a)];

				if (!v && (!s->port[slot] ||
					   a != usual_action(r, s->action[slot],
							     dry_run)))
					continue;
				fputs("ppguard_connections_total{", f);
				put_label(f, "iface", src->iface);
				fputc(',', f);
				put_label(f, "port", port);
				fputc(',', f);
				put_label(f, "reason", pp_reason_str(r));
				fputc(',', f);
				put_label(f, "action", pp_action_str(a));
				fprintf(f, "} %llu\n", (unsigned long long)v);
			}
		}
	}
}

static void render_headers(FILE *f, const struct pp_metrics_src *src,
			   const __u64 *st)
{
	__u32 ver, cmd, fam;

	head(f, "ppguard_headers_total", "counter",
	     "Valid PROXY headers read from trusted peers by version, "
	     "command and declared family.");
	for (ver = 0; ver < 2; ver++)
		for (cmd = 0; cmd < 2; cmd++)
			for (fam = 0; fam < 4; fam++) {
				fputs("ppguard_headers_total{", f);
				put_label(f, "iface", src->iface);
				fprintf(f, ",version=\"%u\",", ver + 1);
				put_label(f, "command", pp_command_str(cmd));
				fputc(',', f);
				put_label(f, "family", pp_family_str(fam));
				fprintf(f, "} %llu\n",
					(unsigned long long)
						st[PP_STAT_HDR(ver, cmd, fam)]);
			}
}

/* name{iface="..."} v */
static void gauge(FILE *f, const struct pp_metrics_src *src, const char *name,
		  __u64 v)
{
	fprintf(f, "%s{", name);
	put_label(f, "iface", src->iface);
	fprintf(f, "} %llu\n", (unsigned long long)v);
}

/* name{iface="...",lname="lval"} v */
static void gauge2(FILE *f, const struct pp_metrics_src *src, const char *name,
		   const char *lname, const char *lval, __u64 v)
{
	fprintf(f, "%s{", name);
	put_label(f, "iface", src->iface);
	fputc(',', f);
	put_label(f, lname, lval);
	fprintf(f, "} %llu\n", (unsigned long long)v);
}

static int render(const struct pp_metrics_src *src, struct gauges *cache,
		  char **out, size_t *len)
{
	struct pp_maps *m = src->maps;
	struct pp_config cfg = {};
	struct gauges g = {};
	struct slots *s;
	__u64 *st, lost;
	__u32 zero = 0, p;
	FILE *f;
	int err;

	st = calloc(PP_STATS_MAX, sizeof(*st));
	s = calloc(1, sizeof(*s));
	if (!st || !s) {
		err = -ENOMEM;
		goto out;
	}
	err = pp_maps_stats_sum(m, st);
	if (!err)
		err = slots_read(m, s);
	if (err)
		goto out;
	bpf_map_lookup_elem(m->config, &zero, &cfg);
	if (cache && cache->at && mono_ns() - cache->at < GAUGE_CACHE_NS) {
		g = *cache;
	} else {
		gauges_read(m, &g);
		if (cache)
			*cache = g;
	}
	lost = st[PP_STAT_MISC(PP_MISC_EVENTS_LOST)];
	if (src->extra_lost)
		lost += __atomic_load_n(src->extra_lost, __ATOMIC_RELAXED);

	f = open_memstream(out, len);
	if (!f) {
		err = -errno;
		goto out;
	}
	render_conns(f, src, st, s, cfg.flags & PP_CFG_DRY_RUN);
	render_headers(f, src, st);
	head(f, "ppguard_packets_total", "counter",
	     "Packets seen by the data path by the path they took.");
	for (p = 0; p < PP_PATH_MAX; p++)
		gauge2(f, src, "ppguard_packets_total", "path", path_names[p],
		       st[PP_STAT_PATH(p)]);
	head(f, "ppguard_events_lost_total", "counter",
	     "Events never written: ring buffer full, unaccounted while no "
	     "daemon ran, or output errors.");
	gauge(f, src, "ppguard_events_lost_total", lost);
	head(f, "ppguard_flows", "gauge", "Entries in the flow table.");
	gauge(f, src, "ppguard_flows", g.flows);
	head(f, "ppguard_trust_entries", "gauge",
	     "Prefixes in the trust maps by address family.");
	gauge2(f, src, "ppguard_trust_entries", "family", "ipv4", g.trust4);
	gauge2(f, src, "ppguard_trust_entries", "family", "ipv6", g.trust6);
	head(f, "ppguard_autoblocked", "gauge",
	     "Sources blocked now (blocked4/6 entries not yet expired).");
	gauge(f, src, "ppguard_autoblocked", g.blocked);
	head(f, "ppguard_dry_run", "gauge",
	     "1 while a dry run is on: violations are logged, not enforced.");
	gauge(f, src, "ppguard_dry_run", !!(cfg.flags & PP_CFG_DRY_RUN));
	head(f, "ppguard_build_info", "gauge",
	     "Version of ppguard and the attach mode; always 1.");
	fputs("ppguard_build_info{", f);
	put_label(f, "version", PPGUARD_VERSION);
	fputc(',', f);
	put_label(f, "mode", src->mode ? src->mode : "unknown");
	fputs("} 1\n", f);
	if (fclose(f)) {
		err = -errno;
		free(*out);
		*out = NULL;
	}
out:
	free(st);
	free(s);
	return err;
}

int pp_metrics_render(const struct pp_metrics_src *src, char **out, size_t *len)
{
	return render(src, NULL, out, len);
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_size, void **con_cls)
{
	static char not_found[] = "not found: try /metrics\n";
	static char bad_method[] = "method not allowed\n";
	struct pp_metrics *m = cls;
	char *body = NULL;
	size_t len = 0;
	int err;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)con_cls;
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, not_found,
			     strlen(not_found), MHD_RESPMEM_PERSISTENT,
			     "text/plain");
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, bad_method,
			     strlen(bad_method), MHD_RESPMEM_PERSISTENT,
			     "text/plain");
	err = render(&m->src, &m->cache, &body, &len);
	if (err) {
		static char fail[] = "cannot read the pinned maps\n";

		pr_warn("metrics: cannot read the pinned maps: %s\n",
			strerror(-err));
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, fail,
			     strlen(fail), MHD_RESPMEM_PERSISTENT,
			     "text/plain");
	}
	return reply(c, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE,
		     "text/plain; version=0.0.4; charset=utf-8");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pr_warn("metrics: %s\n", msg);
}

/* "HOST:PORT" or "[V6]:PORT" -> a listening socket, or -errno */
static int listen_on(const char *addr)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE};
	struct addrinfo *res = NULL;
	char host[256], *port;
	const char *h;
	int fd = -1, one = 1, r;

	if (snprintf(host, sizeof(host), "%s", addr) >= (int)sizeof(host))
		return -ENAMETOOLONG;
	port = strrchr(host, ':');
	if (!port || !port[1]) {
		pr_warn("metrics: '%s' is not HOST:PORT\n", addr);
		return -EINVAL;
	}
	*port++ = '\0';
	h = host;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		h = host + 1;
	}
	r = getaddrinfo(*h ? h : NULL, port, &hints, &res);
	if (r) {
		pr_warn("metrics: cannot resolve '%s': %s\n", addr,
			gai_strerror(r));
		return -EINVAL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 64))
		goto fail;
	freeaddrinfo(res);
	return fd;
fail:
	r = -errno;
	pr_warn("metrics: cannot listen on %s: %s\n", addr, strerror(-r));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return r;
}

static void log_bound(int fd)
{
	struct sockaddr_storage ss = {0};
	socklen_t sl = sizeof(ss);
	char a[PP_ADDR_STRLEN] = "?";
	unsigned int port = 0;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
		pr_info("metrics: http://%s:%u/metrics\n", a, port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
		pr_info("metrics: http://[%s]:%u/metrics\n", a, port);
	}
}

int pp_metrics_start(const char *addr, const struct pp_metrics_src *src,
		     struct pp_metrics **out)
{
	struct pp_metrics *m = calloc(1, sizeof(*m));
	int fd;

	if (!m)
		return -ENOMEM;
	fd = listen_on(addr);
	if (fd < 0) {
		free(m);
		return fd;
	}
	m->src = *src;
	m->fd = fd;
	m->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
			MHD_USE_ERROR_LOG,
		0, NULL, NULL, handle, m,
		/* first, or MHD logs its own way until it sees it */
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned int)32, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)10, MHD_OPTION_END);
	if (!m->d) {
		pr_warn("metrics: cannot start the HTTP server on %s\n", addr);
		/* whether MHD closed the socket on its way out is not
		 * documented: close it if it is still open */
		if (fcntl(fd, F_GETFD) != -1)
			close(fd);
		free(m);
		return -EIO;
	}
	log_bound(fd);
	*out = m;
	return 0;
}

void pp_metrics_stop(struct pp_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->d); /* closes the listening socket too */
	free(m);
}
