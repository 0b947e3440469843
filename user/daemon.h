/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon (`ppguard run`): ring buffer consumer and JSON events
 * (events.c), lost-event accounting (evstate.c), autoblock (autoblock.c),
 * Prometheus metrics (metrics.c). cmd_run.c ties them to one epoll loop.
 */
#ifndef PPGUARD_DAEMON_H
#define PPGUARD_DAEMON_H

#include <stdio.h>
#include <json-c/json.h>

#include "maps.h"
#include "ppguard.h"

/* Where the daemon keeps the little state that must outlive it (the pin
 * directory is bpffs, which holds BPF objects only). */
#define PP_RUN_DIR "/run/ppguard"

/* Sum of every connection-decision counter (PP_STAT_CONN) of a stats
 * snapshot (pp_maps_stats_sum): the events the data path tried to submit. */
__u64 pp_stats_decisions(const __u64 *stats);

/* ---- events.c ---- */

/* CLOCK_MONOTONIC (bpf_ktime_get_ns) to CLOCK_REALTIME, in ns: the offset
 * is sampled now; call again to follow clock steps. */
__s64 pp_mono_to_real_offset(void);
/* RFC 3339 UTC with nanoseconds: "2025-01-31T12:34:56.123456789Z" */
int pp_rfc3339_ns(__s64 real_ns, char *buf, size_t len);

/* One event as a JSON object (field names documented in README). iface
 * may be NULL (then the ifindex's name). Returns NULL on -ENOMEM. */
struct json_object *pp_event_to_json(const struct pp_event *ev,
				     const char *iface, __s64 mono_to_real);

struct pp_events;
typedef void (*pp_event_hook_fn)(void *ctx, const struct pp_event *ev);

/* Consumer of the ring buffer map_fd writing JSON lines to path ("-":
 * stdout; NULL: write nothing, only count and call the hook). */
int pp_events_new(int map_fd, const char *iface, const char *path,
		  struct pp_events **out);
void pp_events_free(struct pp_events *e);
/* Called for every event before it is written (autoblock). */
void pp_events_set_hook(struct pp_events *e, pp_event_hook_fn fn, void *ctx);
/* For the caller's epoll set: readable when the kernel woke us up. */
int pp_events_epoll_fd(struct pp_events *e);
/* Copy what is in the ring now, write at most max events (0: no limit)
 * of what was read, flush once. Returns the number written, or -errno. */
int pp_events_drain(struct pp_events *e, int max);
/* Events read from the ring but not written yet: call drain again. */
__u32 pp_events_queued(const struct pp_events *e);
/* Reopen the output (logrotate), possibly at a new path. */
int pp_events_reopen(struct pp_events *e, const char *path);
/* Events handled (written, or failed to) since pp_events_new, and of those
 * the ones not written (I/O errors). */
__u64 pp_events_consumed(const struct pp_events *e);
__u64 pp_events_write_errors(const struct pp_events *e);
/* Consumed events with ts_ns <= t (to split the first drain at start). */
__u64 pp_events_consumed_before(const struct pp_events *e);
void pp_events_mark_before(struct pp_events *e, __u64 t);

/* ---- evstate.c: events lost while no daemon ran ----
 * The kernel counts every decision (PP_STAT_CONN) and every event the ring
 * had no room for (PP_MISC_EVENTS_LOST). Every event a daemon consumed is
 * counted in PP_RUN_DIR/IFACE.events (with the id of the stats map, so a
 * fresh attachment starts over). At start, after the first drain:
 *   lost_down = decisions - ring_full - consumed_by_daemons
 * is what nobody can account for: consumed by a daemon killed before it
 * saved its count, read by another consumer, or counters reset. */
struct pp_evstate {
	__u32 stats_id;	   /* id of the stats map these counts belong to */
	__u64 consumed;	   /* events consumed by all daemons */
	__u64 lost_down;   /* decisions no daemon ever saw (not ring-full) */
	__u64 write_error; /* consumed, but the output write failed */
};

int pp_evstate_path(const char *iface, char *buf, size_t len);
/* Read IFACE's state; -ENOENT without one, or when it belongs to another
 * stats map (stats_id != 0 and differs). For `ppguard status` too. */
int pp_evstate_read(const char *iface, __u32 stats_id, struct pp_evstate *st);
/* Remove IFACE's state (and PP_RUN_DIR when empty): its counts belong to
 * maps that are gone. For detach. 0 or -errno (absent is fine). */
int pp_evstate_remove(const char *iface);
/* Open (create: *created = 1) IFACE's state file for pp_evstate_save and
 * lock it: an fd, -EBUSY when another daemon holds it (one line printed),
 * or -errno. */
int pp_evstate_open(const char *iface, int *created);
/* Overwrite the record in place: one pwrite, cheap enough for every
 * drain, and never a half-written file for the next daemon. */
int pp_evstate_save(int fd, const struct pp_evstate *st);

/* ---- autoblock.c ---- */
struct pp_autoblock_cfg {
	int enabled;
	unsigned int threshold; /* untrusted_header events ... */
	__u64 window_ns;	/* ... within this long ... */
	__u64 ttl_ns;		/* ... block the source this long */
};

struct pp_autoblock;
int pp_autoblock_new(int blocked4_fd, int blocked6_fd,
		     const struct pp_autoblock_cfg *cfg,
		     struct pp_autoblock **out);
void pp_autoblock_free(struct pp_autoblock *ab);
/* New settings (SIGHUP); history is kept when the threshold is unchanged. */
int pp_autoblock_configure(struct pp_autoblock *ab,
			   const struct pp_autoblock_cfg *cfg);
/* pp_event_hook_fn */
void pp_autoblock_event(void *ab, const struct pp_event *ev);
/* Remove expired entries from blocked4/6; returns how many, or -errno. */
int pp_autoblock_sweep(struct pp_autoblock *ab);
/* Sources tracked / blocked by this daemon since start. */
unsigned int pp_autoblock_tracked(const struct pp_autoblock *ab);
__u64 pp_autoblock_blocks(const struct pp_autoblock *ab);

/* ---- metrics.c ---- */
struct pp_metrics_src {
	const char *iface;
	const char *mode; /* "tc" | "xdp" */
	struct pp_maps *maps;
	/* events lost beyond the kernel's ring-full counter (evstate); read
	 * atomically by the HTTP thread */
	__u64 *extra_lost;
};

/* The whole text exposition into a malloc'ed string (*out, *len). */
int pp_metrics_render(const struct pp_metrics_src *src, char **out,
		      size_t *len);

struct pp_metrics;
/* Serve GET /metrics on addr ("HOST:PORT", "[V6]:PORT") from a thread of
 * its own, so a slow scrape never delays the ring buffer drain. */
int pp_metrics_start(const char *addr, const struct pp_metrics_src *src,
		     struct pp_metrics **out);
void pp_metrics_stop(struct pp_metrics *m);

#endif /* PPGUARD_DAEMON_H */
