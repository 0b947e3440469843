/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pinned maps of one interface (/sys/fs/bpf/ppguard/IFACE/), the lock
 * that serializes every ppguard process touching them, and applying a
 * config to them as a diff.
 *
 * A diff is computed in full and checked before anything is written; then
 * adds and changes go in before removals, so a prefix that stays trusted is
 * never absent in between, and if a write fails the writes already done
 * are undone in reverse order.
 */
#ifndef PPGUARD_MAPS_H
#define PPGUARD_MAPS_H

#include <limits.h>
#include <net/if.h>
#include <linux/types.h>

#include "config.h"
#include "ppguard.h"

struct pp_maps {
	char iface[IF_NAMESIZE];
	char dir[PATH_MAX];
	int ports, trust4, trust6, deny4, deny6, blocked4, blocked6;
	int flows, stats, config, events;
};

/* A name that can be an interface and a directory name: 1..15 characters,
 * no '/', not "." or "..". */
int pp_iface_valid(const char *iface);
/* PP_PIN_ROOT "/" IFACE; -EINVAL for an invalid name */
int pp_pin_dir(const char *iface, char *buf, size_t len);
/* Interfaces with a pin directory, sorted; free with pp_ifaces_free. An
 * absent PP_PIN_ROOT is an empty list. */
int pp_ifaces_list(char ***names, size_t *n);
void pp_ifaces_free(char **names, size_t n);

/*
 * flock() on the pin directory, as xdp-tools' prog_lock_acquire: every
 * attach, detach and map edit holds it. Waits up to timeout_s for another
 * holder (then -EBUSY). Returns the lock fd, or -ENOENT when the directory
 * does not exist (or was removed while we waited: detach).
 */
int pp_lock_dir(const char *dir, int timeout_s);
void pp_unlock_dir(int fd);

/* Open every pinned map of iface (fds -1 on failure). -ENOENT (and one
 * line "IFACE: ppguard is not attached") when the pins are missing. */
int pp_maps_open(const char *iface, struct pp_maps *m);
void pp_maps_close(struct pp_maps *m);

/* ---- the state the config governs ---- */

struct pp_trust_entry {
	struct pp_cidr cidr;
	struct pp_trust val; /* trusted/healthcheck computed, listed given */
};

struct pp_port_entry {
	__u16 port;
	struct pp_port_policy pol; /* slot assigned when applied */
};

/* What ports, trust4/6, deny_client4/6 and config should hold. */
struct pp_want {
	struct pp_port_entry ports[PP_PORT_SLOTS];
	size_t n_ports;
	struct pp_trust_entry *trust;
	size_t n_trust;
	struct pp_cidr *deny;
	size_t n_deny;
	int dry_run;
};

/* From a config (dry_run: the config's or the caller's override). */
int pp_want_from_conf(const struct pp_conf *conf, int dry_run,
		      struct pp_want *w);
void pp_want_free(struct pp_want *w);

/*
 * Fill trusted/healthcheck of every entry from the listed bits of all of
 * them: an entry is trusted when a [trust] prefix covers it (itself
 * included), healthcheck when a [healthcheck] prefix does. With LPM's
 * longest match this gives every address exactly the flags of the lists
 * that contain it.
 */
void pp_trust_compute(struct pp_trust_entry *e, size_t n);

/* Counts of what an apply did (or would do), per kind of map. */
struct pp_apply_stats {
	unsigned int add, change, remove;
};

struct pp_apply_report {
	struct pp_apply_stats ports, trust, deny, config;
};

/* Which parts of struct pp_want an apply covers */
#define PP_APPLY_PORTS (1 << 0)
#define PP_APPLY_TRUST (1 << 1)
#define PP_APPLY_DENY (1 << 2)
#define PP_APPLY_CONFIG (1 << 3)
#define PP_APPLY_ALL 0xf

/*
 * Make the maps hold w (only the parts in `what`), as a diff against what
 * they hold now. Ports keep their counter slot; a new port gets a free one
 * (its counters are zeroed). deny entries not made by a config (reason other
 * than PP_DENY_CONFIG) are left alone. Returns 0 or -errno (one line
 * printed; the maps are as before). The caller holds the lock.
 */
int pp_maps_apply(struct pp_maps *m, const struct pp_want *w, unsigned int what,
		  struct pp_apply_report *rep);

/* The same in steps, for a caller that may have to take it back after a
 * later failure (attach): plan (reads only), run, and undo a run. */
struct pp_plan;
int pp_maps_plan(struct pp_maps *m, const struct pp_want *w, unsigned int what,
		 struct pp_plan **plan, struct pp_apply_report *rep);
int pp_maps_plan_run(struct pp_maps *m, struct pp_plan *plan);
void pp_maps_plan_undo(struct pp_plan *plan);
void pp_maps_plan_free(struct pp_plan *plan);

/* ---- reading ---- */

/* Every listed (inspect) port, sorted by port. */
int pp_maps_ports_read(struct pp_maps *m, struct pp_port_entry *out, size_t max,
		       size_t *n);
/* Every trust4/trust6 entry (IPv4 first), malloc'ed into *out. Entries
 * written by something else than ppguard (listed == 0) get their listed
 * bits from their flags. */
int pp_maps_trust_read(struct pp_maps *m, struct pp_trust_entry **out,
		       size_t *n);
/* Entries in an LPM trie or hash map (counts them). */
int pp_maps_count(int fd, size_t *n);
/* The map's max_entries / value size, 0 on error */
__u32 pp_maps_max_entries(int fd);
__u32 pp_maps_value_size(int fd);
/* The map's or program's kernel id, 0 on error */
__u32 pp_maps_obj_id(int fd);

/* "stats" summed over the possible CPUs into out[PP_STATS_MAX] */
int pp_maps_stats_sum(struct pp_maps *m, __u64 *out);

/* Calls fn for every flow (stops when fn returns non-zero, and returns
 * that). The map may change while this runs: an entry may be missed or
 * seen twice. */
typedef int (*pp_flow_fn)(const struct pp_flow_key *k, const struct pp_flow *f,
			  void *ctx);
int pp_maps_flows_foreach(struct pp_maps *m, pp_flow_fn fn, void *ctx);

/* ---- for the attach/run paths ---- */

/*
 * Lock iface's pin directory, open its maps, apply the whole of conf (with
 * dry_run as the dry-run flag), unlock. For `ppguard run` on SIGHUP and
 * for adopting an attachment. Prints a one-line summary with pr_info
 * unless quiet.
 */
int pp_maps_apply_conf(const char *iface, const struct pp_conf *conf,
		       int dry_run, int quiet);
void pp_apply_report_print(const char *iface, const struct pp_apply_report *r);

#endif /* PPGUARD_MAPS_H */
