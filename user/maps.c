// SPDX-License-Identifier: GPL-2.0
/*
 * Pinned maps of one interface: open, lock, read, and apply a wanted state
 * as a diff (see maps.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "maps.h"

/* bpf(2) says ENOTSUPP (kernel-internal 524) for map types without batch
 * operations */
#ifndef ENOTSUPP
#define ENOTSUPP 524
#endif

int pp_iface_valid(const char *iface)
{
	size_t n;

	if (!iface)
		return 0;
	n = strlen(iface);
	if (n == 0 || n >= IF_NAMESIZE || strchr(iface, '/') ||
	    !strcmp(iface, ".") || !strcmp(iface, ".."))
		return 0;
	return 1;
}

int pp_pin_dir(const char *iface, char *buf, size_t len)
{
	int n;

	if (!pp_iface_valid(iface))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s", PP_PIN_ROOT, iface);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pp_ifaces_list(char ***names, size_t *n)
{
	char **v = NULL, **nv;
	struct dirent *de;
	size_t cnt = 0;
	DIR *d;
	int r = 0;

	*names = NULL;
	*n = 0;
	d = opendir(PP_PIN_ROOT);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (!pp_iface_valid(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", PP_PIN_ROOT, de->d_name);
		if (stat(path, &st) || !S_ISDIR(st.st_mode))
			continue;
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			r = -ENOMEM;
			break;
		}
		v = nv;
		v[cnt] = strdup(de->d_name);
		if (!v[cnt]) {
			r = -ENOMEM;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (r) {
		pp_ifaces_free(v, cnt);
		return r;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*names = v;
	*n = cnt;
	return 0;
}

void pp_ifaces_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---- lock ---- */

int pp_lock_dir(const char *dir, int timeout_s)
{
	struct timespec start, now;
	struct stat a, b;
	int fd, said = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		while (flock(fd, LOCK_EX | LOCK_NB)) {
			int e = errno;

			if (e != EWOULDBLOCK && e != EINTR) {
				close(fd);
				return -e;
			}
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec >= timeout_s) {
				close(fd);
				return -EBUSY;
			}
			if (!said && now.tv_sec - start.tv_sec >= 1) {
				pr_info("waiting for another ppguard holding "
					"%s\n",
					dir);
				said = 1;
			}
			usleep(10000);
		}
		/* The holder may have been a detach that removed the
		 * directory: then this lock guards nothing. */
		if (stat(dir, &b)) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (fstat(fd, &a) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
}

void pp_unlock_dir(int fd)
{
	if (fd >= 0) {
		flock(fd, LOCK_UN);
		close(fd);
	}
}

/* ---- open ---- */

struct map_slot {
	const char *name;
	size_t off;
};

#define SLOT(n, f)                                                             \
	{                                                                      \
		n, offsetof(struct pp_maps, f)                                 \
	}
static const struct map_slot map_slots[] = {
	SLOT(PP_MAP_PORTS, ports),	 SLOT(PP_MAP_TRUST4, trust4),
	SLOT(PP_MAP_TRUST6, trust6),	 SLOT(PP_MAP_DENY4, deny4),
	SLOT(PP_MAP_DENY6, deny6),	 SLOT(PP_MAP_BLOCKED4, blocked4),
	SLOT(PP_MAP_BLOCKED6, blocked6), SLOT(PP_MAP_FLOWS, flows),
	SLOT(PP_MAP_STATS, stats),	 SLOT(PP_MAP_CONFIG, config),
	SLOT(PP_MAP_EVENTS, events),
};
#define N_SLOTS (sizeof(map_slots) / sizeof(map_slots[0]))

static int *slot_fd(struct pp_maps *m, size_t i)
{
	return (int *)((char *)m + map_slots[i].off);
}

int pp_maps_open(const char *iface, struct pp_maps *m)
{
	char path[PATH_MAX + 32];
	struct stat st;
	size_t i;
	int r;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < N_SLOTS; i++)
		*slot_fd(m, i) = -1;
	r = pp_pin_dir(iface, m->dir, sizeof(m->dir));
	if (r) {
		pr_warn("invalid interface name '%s'\n", iface);
		return r;
	}
	snprintf(m->iface, sizeof(m->iface), "%s", iface);
	if (stat(m->dir, &st)) {
		r = -errno;
		if (r == -ENOENT)
			pr_warn("%s: ppguard is not attached (no %s)\n", iface,
				m->dir);
		else
			pr_warn("%s: cannot read %s: %s\n", iface, m->dir,
				strerror(-r));
		return r;
	}
	for (i = 0; i < N_SLOTS; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/%s", m->dir,
			 map_slots[i].name);
		fd = bpf_obj_get(path);
		if (fd < 0) {
			r = -errno;
			if (r == -ENOENT)
				pr_warn("%s: ppguard is not attached (no %s)\n",
					iface, path);
			else
				pr_warn("%s: cannot open %s: %s\n", iface, path,
					strerror(-r));
			pp_maps_close(m);
			return r;
		}
		*slot_fd(m, i) = fd;
	}
	return 0;
}

void pp_maps_close(struct pp_maps *m)
{
	size_t i;

	for (i = 0; i < N_SLOTS; i++) {
		int *fd = slot_fd(m, i);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

/* ---- reading ---- */

typedef int (*dump_fn)(const void *key, const void *val, void *ctx);

static int dump_next_key(int fd, __u32 ksz, __u32 vsz, dump_fn fn, void *ctx)
{
	void *cur = NULL, *next, *a, *b, *val;
	int r = 0;

	a = calloc(1, ksz);
	b = calloc(1, ksz);
	val = calloc(1, vsz);
	if (!a || !b || !val) {
		r = -ENOMEM;
		goto out;
	}
	next = a;
	while (bpf_map_get_next_key(fd, cur, next) == 0) {
		if (bpf_map_lookup_elem(fd, next, val) == 0) {
			r = fn(next, val, ctx);
			if (r)
				goto out;
		}
		cur = next;
		next = next == a ? b : a;
	}
	if (errno != ENOENT)
		r = -errno;
out:
	free(a);
	free(b);
	free(val);
	return r;
}

/* Every entry of a map: batch look-ups where the map type has them (hash,
 * array: one syscall per chunk), else get_next_key (LPM tries). vsz is the
 * size of one value as the syscall returns it (per-CPU: all CPUs). */
static int map_dump(int fd, __u32 ksz, __u32 vsz, dump_fn fn, void *ctx)
{
	struct bpf_map_batch_opts opts = {.sz = sizeof(opts)};
	__u8 in[64], out[64];
	void *keys, *vals, *inp = NULL;
	__u32 chunk = 256, count, i;
	int r, first = 1;

	keys = malloc((size_t)ksz * chunk);
	vals = malloc((size_t)vsz * chunk);
	if (!keys || !vals) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = chunk;
		r = bpf_map_lookup_batch(fd, inp, out, keys, vals, &count,
					 &opts);
		if (r < 0)
			r = -errno;
		if (r < 0 && r != -ENOENT) {
			if (first && (r == -EINVAL || r == -ENOTSUPP ||
				      r == -EOPNOTSUPP)) {
				r = dump_next_key(fd, ksz, vsz, fn, ctx);
				goto out;
			}
			if (r == -ENOSPC && chunk < 65536) {
				void *nk, *nv;

				/* a hash bucket larger than the chunk */
				chunk *= 2;
				nk = realloc(keys, (size_t)ksz * chunk);
				if (nk)
					keys = nk;
				nv = realloc(vals, (size_t)vsz * chunk);
				if (nv)
					vals = nv;
				if (!nk || !nv) {
					r = -ENOMEM;
					goto out;
				}
				continue;
			}
			goto out;
		}
		first = 0;
		for (i = 0; i < count; i++) {
			int s = fn((__u8 *)keys + (size_t)i * ksz,
				   (__u8 *)vals + (size_t)i * vsz, ctx);

			if (s) {
				r = s;
				goto out;
			}
		}
		if (r == -ENOENT) {
			r = 0;
			break;
		}
		memcpy(in, out, sizeof(in));
		inp = in;
	}
out:
	free(keys);
	free(vals);
	return r;
}

static int count_fn(const void *k, const void *v, void *ctx)
{
	(void)k;
	(void)v;
	(*(size_t *)ctx)++;
	return 0;
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return -errno;
	return 0;
}

int pp_maps_count(int fd, size_t *n)
{
	struct bpf_map_info info;
	int r;

	*n = 0;
	r = map_info(fd, &info);
	if (r)
		return r;
	return map_dump(fd, info.key_size, info.value_size, count_fn, n);
}

__u32 pp_maps_max_entries(int fd)
{
	struct bpf_map_info info;

	return map_info(fd, &info) ? 0 : info.max_entries;
}

__u32 pp_maps_value_size(int fd)
{
	struct bpf_map_info info;

	return map_info(fd, &info) ? 0 : info.value_size;
}

__u32 pp_maps_obj_id(int fd)
{
	struct bpf_map_info info;

	return map_info(fd, &info) ? 0 : info.id;
}

struct ports_ctx {
	struct pp_port_entry *out;
	size_t max, n;
};

static int ports_fn(const void *k, const void *v, void *ctx)
{
	const struct pp_port_policy *pol = v;
	struct ports_ctx *c = ctx;
	__u32 port = *(const __u32 *)k;

	if (!pol->inspect || port == 0 || port > 65535)
		return 0;
	if (c->n >= c->max)
		return -E2BIG;
	c->out[c->n].port = (__u16)port;
	c->out[c->n].pol = *pol;
	c->n++;
	return 0;
}

static int cmp_port(const void *a, const void *b)
{
	const struct pp_port_entry *x = a, *y = b;

	return (int)x->port - (int)y->port;
}

int pp_maps_ports_read(struct pp_maps *m, struct pp_port_entry *out, size_t max,
		       size_t *n)
{
	struct ports_ctx c = {.out = out, .max = max};
	int r;

	r = map_dump(m->ports, sizeof(__u32), sizeof(struct pp_port_policy),
		     ports_fn, &c);
	*n = c.n;
	if (r == -E2BIG)
		pr_warn("%s: more than %zu ports in %s/ports\n", m->iface, max,
			m->dir);
	if (c.n)
		qsort(out, c.n, sizeof(*out), cmp_port);
	return r;
}

struct trust_ctx {
	struct pp_trust_entry *v;
	size_t n, cap;
	int family;
};

static void lpm_to_cidr(int family, const void *key, struct pp_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = (__u8)family;
	if (family == 4) {
		const struct pp_lpm4 *k = key;

		c->prefixlen = (__u8)k->prefixlen;
		memcpy(c->addr, k->addr, 4);
	} else {
		const struct pp_lpm6 *k = key;

		c->prefixlen = (__u8)k->prefixlen;
		memcpy(c->addr, k->addr, 16);
	}
}

static __u32 cidr_to_lpm(const struct pp_cidr *c, void *key)
{
	if (c->family == 4) {
		struct pp_lpm4 *k = key;

		memset(k, 0, sizeof(*k));
		k->prefixlen = c->prefixlen;
		memcpy(k->addr, c->addr, 4);
		return sizeof(*k);
	} else {
		struct pp_lpm6 *k = key;

		memset(k, 0, sizeof(*k));
		k->prefixlen = c->prefixlen;
		memcpy(k->addr, c->addr, 16);
		return sizeof(*k);
	}
}

static int trust_fn(const void *k, const void *v, void *ctx)
{
	struct trust_ctx *c = ctx;
	struct pp_trust_entry *e;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;

		e = realloc(c->v, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		c->v = e;
		c->cap = cap;
	}
	e = &c->v[c->n++];
	lpm_to_cidr(c->family, k, &e->cidr);
	memcpy(&e->val, v, sizeof(e->val));
	if (!e->val.listed)
		e->val.listed =
			(e->val.trusted ? PP_LISTED_TRUST : 0) |
			(e->val.healthcheck ? PP_LISTED_HEALTHCHECK : 0);
	return 0;
}

static int cmp_cidr(const void *a, const void *b)
{
	const struct pp_cidr *x = a, *y = b;
	int r;

	if (x->family != y->family)
		return (int)x->family - (int)y->family;
	r = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (r)
		return r;
	return (int)x->prefixlen - (int)y->prefixlen;
}

static int cmp_trust(const void *a, const void *b)
{
	const struct pp_trust_entry *x = a, *y = b;

	return cmp_cidr(&x->cidr, &y->cidr);
}

int pp_maps_trust_read(struct pp_maps *m, struct pp_trust_entry **out,
		       size_t *n)
{
	struct trust_ctx c = {.family = 4};
	int r;

	r = map_dump(m->trust4, sizeof(struct pp_lpm4), sizeof(struct pp_trust),
		     trust_fn, &c);
	if (!r) {
		c.family = 6;
		r = map_dump(m->trust6, sizeof(struct pp_lpm6),
			     sizeof(struct pp_trust), trust_fn, &c);
	}
	if (r) {
		free(c.v);
		*out = NULL;
		*n = 0;
		return r;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp_trust);
	*out = c.v;
	*n = c.n;
	return 0;
}

struct stats_ctx {
	__u64 *out;
	int ncpu;
};

static int stats_fn(const void *k, const void *v, void *ctx)
{
	struct stats_ctx *c = ctx;
	const __u64 *vals = v;
	__u32 idx = *(const __u32 *)k;
	__u64 sum = 0;
	int i;

	if (idx >= PP_STATS_MAX)
		return 0;
	for (i = 0; i < c->ncpu; i++)
		sum += vals[i];
	c->out[idx] = sum;
	return 0;
}

int pp_maps_stats_sum(struct pp_maps *m, __u64 *out)
{
	struct stats_ctx c = {.out = out};

	memset(out, 0, sizeof(__u64) * PP_STATS_MAX);
	c.ncpu = libbpf_num_possible_cpus();
	if (c.ncpu <= 0)
		return c.ncpu ? c.ncpu : -EINVAL;
	return map_dump(m->stats, sizeof(__u32), sizeof(__u64) * (__u32)c.ncpu,
			stats_fn, &c);
}

struct flows_ctx {
	pp_flow_fn fn;
	void *ctx;
};

static int flows_fn(const void *k, const void *v, void *ctx)
{
	struct flows_ctx *c = ctx;

	return c->fn(k, v, c->ctx);
}

int pp_maps_flows_foreach(struct pp_maps *m, pp_flow_fn fn, void *ctx)
{
	struct flows_ctx c = {.fn = fn, .ctx = ctx};

	return map_dump(m->flows, sizeof(struct pp_flow_key),
			sizeof(struct pp_flow), flows_fn, &c);
}

/* ---- wanted state ---- */

void pp_trust_compute(struct pp_trust_entry *e, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		__u8 t = 0, h = 0;

		for (j = 0; j < n; j++) {
			if (!pp_cidr_contains(&e[j].cidr, &e[i].cidr))
				continue;
			if (e[j].val.listed & PP_LISTED_TRUST)
				t = 1;
			if (e[j].val.listed & PP_LISTED_HEALTHCHECK)
				h = 1;
		}
		e[i].val.trusted = t;
		e[i].val.healthcheck = h;
		e[i].val._pad = 0;
	}
}

static int want_trust_add(struct pp_want *w, const struct pp_cidr *c, __u8 bit)
{
	size_t i;

	for (i = 0; i < w->n_trust; i++) {
		if (pp_cidr_equal(&w->trust[i].cidr, c)) {
			w->trust[i].val.listed |= bit;
			return 0;
		}
	}
	w->trust[w->n_trust].cidr = *c;
	memset(&w->trust[w->n_trust].val, 0, sizeof(struct pp_trust));
	w->trust[w->n_trust].val.listed = bit;
	w->n_trust++;
	return 0;
}

int pp_want_from_conf(const struct pp_conf *conf, int dry_run,
		      struct pp_want *w)
{
	size_t i;

	memset(w, 0, sizeof(*w));
	w->dry_run = dry_run;
	for (i = 0; i < conf->n_ports && i < PP_PORT_SLOTS; i++) {
		const struct pp_conf_port *p = &conf->ports[i];
		struct pp_port_entry *e = &w->ports[w->n_ports++];

		e->port = p->port;
		e->pol.inspect = 1;
		e->pol.require = p->require;
		e->pol.versions = p->versions;
		e->pol.action = p->action;
	}
	w->trust = calloc(conf->trust.n + conf->healthcheck.n + 1,
			  sizeof(*w->trust));
	w->deny = calloc(conf->deny.n + 1, sizeof(*w->deny));
	if (!w->trust || !w->deny) {
		pp_want_free(w);
		return -ENOMEM;
	}
	for (i = 0; i < conf->trust.n; i++)
		want_trust_add(w, &conf->trust.v[i].cidr, PP_LISTED_TRUST);
	for (i = 0; i < conf->healthcheck.n; i++)
		want_trust_add(w, &conf->healthcheck.v[i].cidr,
			       PP_LISTED_HEALTHCHECK);
	pp_trust_compute(w->trust, w->n_trust);
	for (i = 0; i < conf->deny.n; i++)
		w->deny[w->n_deny++] = conf->deny.v[i].cidr;
	return 0;
}

void pp_want_free(struct pp_want *w)
{
	free(w->trust);
	free(w->deny);
	w->trust = NULL;
	w->deny = NULL;
	w->n_trust = w->n_deny = 0;
}

/* ---- the diff ---- */

struct op {
	int fd;
	const char *map;
	__u32 ksz, vsz;
	__u8 key[sizeof(struct pp_lpm6)];
	__u8 newv[8], oldv[8];
	__u8 has_new; /* else: delete */
	__u8 has_old; /* else: absent before */
	__u8 phase;   /* 0: add or change, 1: remove */
	__u8 done;
};

struct ops {
	struct op *v;
	size_t n, cap;
	__u32 zero_slots[PP_PORT_SLOTS]; /* counter slots to clear first */
	size_t n_zero;
};

static struct op *op_new(struct ops *o, int fd, const char *map,
			 const void *key, __u32 ksz, __u32 vsz)
{
	struct op *e;

	if (o->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 64;

		e = realloc(o->v, cap * sizeof(*e));
		if (!e)
			return NULL;
		o->v = e;
		o->cap = cap;
	}
	e = &o->v[o->n++];
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->map = map;
	e->ksz = ksz;
	e->vsz = vsz;
	memcpy(e->key, key, ksz);
	return e;
}

static int plan_ports(struct pp_maps *m, const struct pp_want *w, struct ops *o,
		      struct pp_apply_stats *st)
{
	struct pp_port_entry cur[PP_PORT_SLOTS * 2];
	__u8 used[PP_PORT_SLOTS] = {}, gone[PP_PORT_SLOTS] = {};
	int slot_of[PP_PORT_SLOTS];
	size_t ncur, i, j;
	int r;

	if (w->n_ports > PP_PORT_SLOTS) {
		pr_warn("at most %d ports can be protected\n", PP_PORT_SLOTS);
		return -E2BIG;
	}
	r = pp_maps_ports_read(m, cur, PP_PORT_SLOTS * 2, &ncur);
	if (r)
		return r;
	/* ports that stay keep their slot (unless it is bad or taken) */
	for (i = 0; i < w->n_ports; i++) {
		slot_of[i] = -1;
		for (j = 0; j < ncur; j++) {
			__u8 s = cur[j].pol.slot;

			if (cur[j].port != w->ports[i].port)
				continue;
			if (s < PP_PORT_SLOTS && !used[s]) {
				used[s] = 1;
				slot_of[i] = s;
			}
			break;
		}
	}
	for (j = 0; j < ncur; j++) {
		int keep = 0;

		for (i = 0; i < w->n_ports && !keep; i++)
			keep = cur[j].port == w->ports[i].port;
		if (!keep && cur[j].pol.slot < PP_PORT_SLOTS)
			gone[cur[j].pol.slot] = 1;
	}
	/* new ports: a slot no current port uses, else a removed port's */
	for (i = 0; i < w->n_ports; i++) {
		int s, pass;

		if (slot_of[i] >= 0)
			continue;
		for (pass = 0; pass < 2 && slot_of[i] < 0; pass++)
			for (s = 0; s < PP_PORT_SLOTS; s++)
				if (!used[s] && (pass || !gone[s])) {
					used[s] = 1;
					slot_of[i] = s;
					o->zero_slots[o->n_zero++] = (__u32)s;
					break;
				}
	}
	for (i = 0; i < w->n_ports; i++) {
		struct pp_port_policy pol = w->ports[i].pol, old = {};
		__u32 key = w->ports[i].port;
		struct op *e;
		int found = 0;

		pol.slot = (__u8)slot_of[i];
		for (j = 0; j < ncur && !found; j++)
			if (cur[j].port == w->ports[i].port) {
				old = cur[j].pol;
				found = 1;
			}
		if (found && !memcmp(&old, &pol, sizeof(pol)))
			continue;
		e = op_new(o, m->ports, PP_MAP_PORTS, &key, sizeof(key),
			   sizeof(pol));
		if (!e)
			return -ENOMEM;
		memcpy(e->newv, &pol, sizeof(pol));
		memcpy(e->oldv, &old, sizeof(old));
		e->has_new = 1;
		e->has_old = 1; /* an ARRAY: there is always a value */
		if (found)
			st->change++;
		else
			st->add++;
	}
	for (j = 0; j < ncur; j++) {
		struct pp_port_policy zero = {};
		__u32 key = cur[j].port;
		struct op *e;
		int keep = 0;

		for (i = 0; i < w->n_ports && !keep; i++)
			keep = cur[j].port == w->ports[i].port;
		if (keep)
			continue;
		e = op_new(o, m->ports, PP_MAP_PORTS, &key, sizeof(key),
			   sizeof(zero));
		if (!e)
			return -ENOMEM;
		memcpy(e->newv, &zero, sizeof(zero));
		memcpy(e->oldv, &cur[j].pol, sizeof(cur[j].pol));
		e->has_new = 1;
		e->has_old = 1;
		e->phase = 1;
		st->remove++;
	}
	return 0;
}

static int plan_trust(struct pp_maps *m, const struct pp_want *w, struct ops *o,
		      struct pp_apply_stats *st)
{
	struct pp_trust_entry *cur;
	size_t ncur, i, j;
	__u8 key[sizeof(struct pp_lpm6)];
	int r;

	r = pp_maps_trust_read(m, &cur, &ncur);
	if (r)
		return r;
	for (i = 0; i < w->n_trust; i++) {
		const struct pp_trust_entry *e = &w->trust[i];
		const struct pp_trust *old = NULL;
		int fd = e->cidr.family == 4 ? m->trust4 : m->trust6;
		struct op *op;
		__u32 ksz;

		for (j = 0; j < ncur && !old; j++)
			if (pp_cidr_equal(&cur[j].cidr, &e->cidr))
				old = &cur[j].val;
		if (old && !memcmp(old, &e->val, sizeof(*old)))
			continue;
		ksz = cidr_to_lpm(&e->cidr, key);
		op = op_new(o, fd,
			    e->cidr.family == 4 ? PP_MAP_TRUST4 : PP_MAP_TRUST6,
			    key, ksz, sizeof(e->val));
		if (!op) {
			free(cur);
			return -ENOMEM;
		}
		memcpy(op->newv, &e->val, sizeof(e->val));
		op->has_new = 1;
		if (old) {
			memcpy(op->oldv, old, sizeof(*old));
			op->has_old = 1;
			st->change++;
		} else {
			st->add++;
		}
	}
	for (j = 0; j < ncur; j++) {
		int keep = 0,
		    fd = cur[j].cidr.family == 4 ? m->trust4 : m->trust6;
		struct op *op;
		__u32 ksz;

		for (i = 0; i < w->n_trust && !keep; i++)
			keep = pp_cidr_equal(&cur[j].cidr, &w->trust[i].cidr);
		if (keep)
			continue;
		ksz = cidr_to_lpm(&cur[j].cidr, key);
		op = op_new(o, fd,
			    cur[j].cidr.family == 4 ? PP_MAP_TRUST4
						    : PP_MAP_TRUST6,
			    key, ksz, sizeof(struct pp_trust));
		if (!op) {
			free(cur);
			return -ENOMEM;
		}
		memcpy(op->oldv, &cur[j].val, sizeof(cur[j].val));
		op->has_old = 1;
		op->phase = 1;
		st->remove++;
	}
	free(cur);
	return 0;
}

struct deny_ctx {
	struct pp_cidr *v;
	__u32 *reason;
	size_t n, cap;
	int family;
};

static int deny_fn(const void *k, const void *v, void *ctx)
{
	struct deny_ctx *c = ctx;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct pp_cidr *nv = realloc(c->v, cap * sizeof(*nv));
		__u32 *nr;

		if (!nv)
			return -ENOMEM;
		c->v = nv;
		nr = realloc(c->reason, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		c->reason = nr;
		c->cap = cap;
	}
	lpm_to_cidr(c->family, k, &c->v[c->n]);
	c->reason[c->n] = ((const struct pp_deny *)v)->reason;
	c->n++;
	return 0;
}

static int plan_deny(struct pp_maps *m, const struct pp_want *w, struct ops *o,
		     struct pp_apply_stats *st)
{
	struct deny_ctx c = {.family = 4};
	struct pp_deny val = {.reason = PP_DENY_CONFIG};
	__u8 key[sizeof(struct pp_lpm6)];
	size_t i, j;
	int r;

	r = map_dump(m->deny4, sizeof(struct pp_lpm4), sizeof(struct pp_deny),
		     deny_fn, &c);
	if (!r) {
		c.family = 6;
		r = map_dump(m->deny6, sizeof(struct pp_lpm6),
			     sizeof(struct pp_deny), deny_fn, &c);
	}
	if (r)
		goto out;
	for (i = 0; i < w->n_deny; i++) {
		const struct pp_cidr *d = &w->deny[i];
		int found = 0;
		struct op *op;
		__u32 ksz;

		for (j = 0; j < c.n && !found; j++)
			found = pp_cidr_equal(&c.v[j], d);
		if (found)
			continue;
		ksz = cidr_to_lpm(d, key);
		op = op_new(o, d->family == 4 ? m->deny4 : m->deny6,
			    d->family == 4 ? PP_MAP_DENY4 : PP_MAP_DENY6, key,
			    ksz, sizeof(val));
		if (!op) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(op->newv, &val, sizeof(val));
		op->has_new = 1;
		st->add++;
	}
	for (j = 0; j < c.n; j++) {
		struct pp_deny old = {.reason = c.reason[j]};
		int keep = c.reason[j] != PP_DENY_CONFIG;
		struct op *op;
		__u32 ksz;

		for (i = 0; i < w->n_deny && !keep; i++)
			keep = pp_cidr_equal(&c.v[j], &w->deny[i]);
		if (keep)
			continue;
		ksz = cidr_to_lpm(&c.v[j], key);
		op = op_new(o, c.v[j].family == 4 ? m->deny4 : m->deny6,
			    c.v[j].family == 4 ? PP_MAP_DENY4 : PP_MAP_DENY6,
			    key, ksz, sizeof(old));
		if (!op) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(op->oldv, &old, sizeof(old));
		op->has_old = 1;
		op->phase = 1;
		st->remove++;
	}
out:
	free(c.v);
	free(c.reason);
	return r;
}

static int plan_config(struct pp_maps *m, const struct pp_want *w,
		       struct ops *o, struct pp_apply_stats *st)
{
	struct pp_config cur = {}, want;
	__u32 key = 0;
	struct op *op;

	if (bpf_map_lookup_elem(m->config, &key, &cur))
		return -errno;
	want = cur;
	want.flags &= ~PP_CFG_DRY_RUN;
	if (w->dry_run)
		want.flags |= PP_CFG_DRY_RUN;
	if (!memcmp(&want, &cur, sizeof(cur)))
		return 0;
	op = op_new(o, m->config, PP_MAP_CONFIG, &key, sizeof(key),
		    sizeof(want));
	if (!op)
		return -ENOMEM;
	memcpy(op->newv, &want, sizeof(want));
	memcpy(op->oldv, &cur, sizeof(cur));
	op->has_new = op->has_old = 1;
	st->change++;
	return 0;
}

static int zero_slot(struct pp_maps *m, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus(), r = 0;
	__u64 *zeros;
	__u32 rs, a;

	if (ncpu <= 0)
		return -EINVAL;
	zeros = calloc((size_t)ncpu, sizeof(__u64));
	if (!zeros)
		return -ENOMEM;
	for (rs = 0; rs < PP_R_MAX && !r; rs++)
		for (a = 0; a < PP_ACT_MAX && !r; a++) {
			__u32 key = PP_STAT_CONN(slot, rs, a);

			if (bpf_map_update_elem(m->stats, &key, zeros, BPF_ANY))
				r = -errno;
		}
	free(zeros);
	return r;
}

static void undo(struct ops *o)
{
	size_t i = o->n;

	while (i-- > 0) {
		struct op *e = &o->v[i];

		if (!e->done)
			continue;
		if (e->has_old)
			bpf_map_update_elem(e->fd, e->key, e->oldv, BPF_ANY);
		else
			bpf_map_delete_elem(e->fd, e->key);
		e->done = 0;
	}
}

static int run_ops(struct pp_maps *m, struct ops *o)
{
	size_t i;
	int phase, r;

	for (i = 0; i < o->n_zero; i++) {
		r = zero_slot(m, o->zero_slots[i]);
		if (r) {
			pr_warn("%s: cannot clear counters in %s/stats: %s\n",
				m->iface, m->dir, strerror(-r));
			return r;
		}
	}
	for (phase = 0; phase < 2; phase++) {
		for (i = 0; i < o->n; i++) {
			struct op *e = &o->v[i];

			if (e->phase != phase)
				continue;
			if (e->has_new)
				r = bpf_map_update_elem(e->fd, e->key, e->newv,
							BPF_ANY);
			else
				r = bpf_map_delete_elem(e->fd, e->key);
			if (r && !e->has_new && errno == ENOENT)
				r = 0; /* gone already: fine */
			if (r) {
				r = -errno;
				pr_warn("%s: cannot update %s/%s: %s%s; "
					"nothing changed\n",
					m->iface, m->dir, e->map, strerror(-r),
					r == -ENOSPC || r == -E2BIG
						? " (map full)"
						: "");
				undo(o);
				return r;
			}
			e->done = 1;
		}
	}
	return 0;
}

struct pp_plan {
	struct ops o;
};

int pp_maps_plan(struct pp_maps *m, const struct pp_want *w, unsigned int what,
		 struct pp_plan **plan, struct pp_apply_report *rep)
{
	struct pp_apply_report dummy;
	struct pp_plan *p;
	int r = 0;

	*plan = NULL;
	if (!rep)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	if (what & PP_APPLY_PORTS)
		r = plan_ports(m, w, &p->o, &rep->ports);
	if (!r && (what & PP_APPLY_TRUST))
		r = plan_trust(m, w, &p->o, &rep->trust);
	if (!r && (what & PP_APPLY_DENY))
		r = plan_deny(m, w, &p->o, &rep->deny);
	if (!r && (what & PP_APPLY_CONFIG))
		r = plan_config(m, w, &p->o, &rep->config);
	if (r) {
		if (r != -E2BIG)
			pr_warn("%s: cannot read the maps in %s: %s; nothing "
				"changed\n",
				m->iface, m->dir, strerror(-r));
		pp_maps_plan_free(p);
		return r;
	}
	*plan = p;
	return 0;
}

int pp_maps_plan_run(struct pp_maps *m, struct pp_plan *plan)
{
	return run_ops(m, &plan->o);
}

void pp_maps_plan_undo(struct pp_plan *plan)
{
	if (plan)
		undo(&plan->o);
}

void pp_maps_plan_free(struct pp_plan *plan)
{
	if (!plan)
		return;
	free(plan->o.v);
	free(plan);
}

int pp_maps_apply(struct pp_maps *m, const struct pp_want *w, unsigned int what,
		  struct pp_apply_report *rep)
{
	struct pp_plan *plan;
	int r;

	r = pp_maps_plan(m, w, what, &plan, rep);
	if (r)
		return r;
	r = pp_maps_plan_run(m, plan);
	pp_maps_plan_free(plan);
	return r;
}

void pp_apply_report_print(const char *iface, const struct pp_apply_report *r)
{
	pr_info("%s: ports +%u ~%u -%u, trust +%u ~%u -%u, deny_client +%u "
		"-%u%s\n",
		iface, r->ports.add, r->ports.change, r->ports.remove,
		r->trust.add, r->trust.change, r->trust.remove, r->deny.add,
		r->deny.remove,
		r->config.change ? ", dry run flag changed" : "");
}

int pp_maps_apply_conf(const char *iface, const struct pp_conf *conf,
		       int dry_run, int quiet)
{
	struct pp_apply_report rep;
	struct pp_want w;
	struct pp_maps m;
	char dir[PATH_MAX];
	int lock, r;

	r = pp_pin_dir(iface, dir, sizeof(dir));
	if (r) {
		pr_warn("invalid interface name '%s'\n", iface);
		return r;
	}
	r = pp_want_from_conf(conf, dry_run, &w);
	if (r)
		return r;
	lock = pp_lock_dir(dir, 30);
	if (lock < 0) {
		pp_want_free(&w);
		if (lock == -ENOENT)
			pr_warn("%s: ppguard is not attached (no %s)\n", iface,
				dir);
		else
			pr_warn("%s: cannot lock %s: %s\n", iface, dir,
				strerror(-lock));
		return lock;
	}
	r = pp_maps_open(iface, &m);
	if (!r) {
		r = pp_maps_apply(&m, &w, PP_APPLY_ALL, &rep);
		if (!r && !quiet)
			pp_apply_report_print(iface, &rep);
		pp_maps_close(&m);
	}
	pp_unlock_dir(lock);
	pp_want_free(&w);
	return r;
}
