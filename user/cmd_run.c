// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard run -i IFACE [-c CONF] [--keep] [--events PATH|-|off]
 *             [--metrics ADDR:PORT|off]
 *
 * The daemon: attach (or adopt an attachment), then one epoll loop over
 *   - a signalfd (SIGTERM/SIGINT: stop; SIGHUP: reload),
 *   - the ring buffer's epoll fd (the kernel wakes us only when the ring is
 *     more than a quarter full),
 *   - a timerfd every RUN_TICK_MS that drains the ring anyway (events are
 *     submitted without wakeups) and, once a second, sweeps expired
 *     autoblock entries.
 * Metrics are served from libmicrohttpd's own thread (metrics.c).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "config.h"
#include "daemon.h"
#include "loader.h"
#include "log.h"
#include "ppguard.h"

#define RUN_TICK_MS 10	/* drain period: the event latency bound */
#define RUN_BATCH 65536 /* events per drain before the loop looks up */
#define RUN_HOUSEKEEP_NS 1000000000ULL
#define RUN_STOP_DRAIN_NS 2000000000ULL
#define RUN_LOG_BATCH 1000 /* -v logs the time of drains this large */

const char run_help[] =
	"-i IFACE [-c CONF] [--keep] [--events PATH|-|off] "
	"[--metrics ADDR:PORT|off] [--mode tc|xdp] [--dry-run]\n"
	"Attach and serve: JSON events, Prometheus metrics, autoblock.\n"
	"\n"
	"Attaches ppguard to IFACE as `ppguard attach` does (or adopts the\n"
	"attachment already there, keeping its flows and counters), then runs\n"
	"until SIGTERM or SIGINT:\n"
	"  - every connection decision of the data path is written as one "
	"JSON\n"
	"    object per line (events = in [global], or --events),\n"
	"  - GET /metrics on the metrics address serves Prometheus text,\n"
	"  - [autoblock] puts sources that keep forging headers into "
	"blocked4/6.\n"
	"On exit the programs and pins are removed, unless --keep: then\n"
	"enforcement continues without the daemon, and the next `ppguard run`\n"
	"adopts it.\n"
	"\n"
	"Signals:\n"
	"  SIGHUP   re-read CONF and apply what changed (trust, ports, deny,\n"
	"           autoblock, metrics and events settings); a config with\n"
	"           errors is reported and the running one stays. Also "
	"reopens\n"
	"           the events file (logrotate).\n"
	"  SIGTERM, SIGINT   drain the last events and stop.\n"
	"\n"
	"Options:\n"
	"  -i, --iface IFACE       the interface (required)\n"
	"  -c, --config CONF       the config file (DESIGN: ppguard.conf)\n"
	"  -k, --keep              leave ppguard attached on exit\n"
	"  -e, --events PATH       events to PATH (appended), - for stdout,\n"
	"                          off for none; overrides the config\n"
	"  -m, --metrics ADDR:PORT serve metrics there (127.0.0.1:9464,\n"
	"                          [::1]:9464), off for none; overrides the\n"
	"                          config\n"
	"      --mode tc|xdp       attach mode (default: the config's, else\n"
	"                          the attachment's already there, else tc)\n"
	"      --xdp-mode native|skb  XDP attach mode (as ppguard attach)\n"
	"  -n, --dry-run           violations are logged, not enforced, "
	"whatever\n"
	"                          the config's dry_run says (also after "
	"SIGHUP);\n"
	"                          without it, [global] dry_run decides, and "
	"a\n"
	"                          reload with dry_run = no starts enforcing\n"
	"  -h, --help              this help\n"
	"\n"
	"Events lost while no daemon ran are counted at start from the\n"
	"kernel's decision counters (see README, \"Events\"); the count is in\n"
	"ppguard_events_lost_total and in " PP_RUN_DIR "/IFACE.events.\n";

struct run {
	const char *iface;
	const char *conf_path;
	const char *events_opt;	    /* --events, NULL: from the config */
	const char *metrics_opt;    /* --metrics, NULL: from the config */
	int mode_opt, xdp_mode_opt; /* --mode, --xdp-mode; -1: not given */
	int keep;
	int dry_run_opt; /* --dry-run */
	int dry_run;	 /* what the config map says now */
	int adopted;	 /* the attachment was there before this daemon */
	struct pp_conf conf;
	int have_conf;
	const char *mode; /* "tc" | "xdp" */

	struct pp_maps maps;
	struct pp_events *ev;
	struct pp_autoblock *ab;
	struct pp_metrics *met;
	char *met_addr; /* what met listens on */

	int st_fd;
	struct pp_evstate base; /* counts before this daemon */
	struct pp_evstate st;
	__u64 extra_lost; /* lost_down + write errors, for the HTTP thread */
	__u64 saved_consumed, saved_we;

	int epfd, sigfd, tfd;
	__u64 last_housekeep;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *events_path(const struct run *r)
{
	const char *p = r->events_opt;

	if (!p)
		p = r->have_conf ? r->conf.events : "-";
	if (p && !strcmp(p, "off"))
		return NULL;
	return p;
}

static const char *metrics_addr(const struct run *r)
{
	const char *a = r->metrics_opt;

	if (!a)
		a = r->have_conf ? r->conf.metrics : NULL;
	if (a && !strcmp(a, "off"))
		return NULL;
	return a;
}

static void ab_cfg(const struct pp_conf *c, struct pp_autoblock_cfg *out)
{
	memset(out, 0, sizeof(*out));
	if (!c || !c->autoblock.enabled)
		return;
	out->enabled = 1;
	out->threshold = c->autoblock.threshold;
	out->window_ns = c->autoblock.window_ns;
	out->ttl_ns = c->autoblock.ttl_ns;
}

/* ---- attach and detach: the attach command's code (loader.c) ---- */

/* PP_CFG_DRY_RUN in iface's pinned config map (0 when not attached) */
static int map_dry_run(const char *iface)
{
	struct pp_config cfg = {};
	struct pp_maps m;
	__u32 zero = 0;
	int dry = 0;

	if (pp_maps_open(iface, &m))
		return 0;
	if (!bpf_map_lookup_elem(m.config, &zero, &cfg))
		dry = !!(cfg.flags & PP_CFG_DRY_RUN);
	pp_maps_close(&m);
	return dry;
}

static void say_dry_run(const struct run *r, const char *when)
{
	if (r->dry_run)
		pr_warn("%sDRY RUN on %s: violations are logged (action "
			"log), nothing is enforced%s\n",
			when, r->iface,
			r->dry_run_opt ? " (--dry-run)" : " (dry_run = yes)");
	else
		pr_info("%senforcing on %s (dry run off)\n", when, r->iface);
}

/*
 * Mode: --mode, else the config's mode =, else the mode of the attachment
 * already there (adopting it), else tc. pp_attach loads this binary's
 * program and replaces an existing one atomically, keeping the pinned
 * maps: flows, counters and events still in the ring survive.
 */
static int run_attach(struct run *r)
{
	struct pp_attach_opts o = {
		.iface = r->iface,
		.conf = r->have_conf ? &r->conf : NULL,
	};
	struct pp_attach_result res;
	struct pp_attach_state st;
	int mode = r->mode_opt, xdp = r->xdp_mode_opt, had, err;

	if (mode < 0 && r->have_conf && r->conf.mode_set)
		mode = r->conf.mode;
	if (xdp < 0 && r->have_conf && r->conf.xdp_mode_set)
		xdp = r->conf.xdp_mode;
	had = !pp_state_read(r->iface, &st);
	if (had && mode < 0)
		mode = st.mode;
	if (had && xdp < 0)
		xdp = st.xdp_mode;
	o.mode = mode < 0 ? PP_MODE_TC : mode;
	o.xdp_mode = xdp < 0 ? PP_XDP_NATIVE : xdp;
	/* without a config the maps are kept as they are: the dry-run flag
	 * too (pp_attach sets it from o.dry_run alone then) */
	o.dry_run = r->dry_run_opt || (!r->have_conf && map_dry_run(r->iface));
	err = pp_attach(&o, &res);
	if (err)
		return err;
	r->dry_run = o.dry_run || (r->have_conf && r->conf.dry_run);
	r->mode = pp_mode_str(o.mode);
	r->adopted = res.reattached;
	pr_info("%s: %s ppguard_%s (prog id %u)%s\n", r->iface,
		res.reattached ? "adopted the attachment, now" : "attached",
		r->mode, res.prog_id,
		r->have_conf ? "" : " (no config: maps kept as they are)");
	return 0;
}

static int run_detach(struct run *r)
{
	int err = pp_detach(r->iface);

	if (err && err != -ENOENT) {
		pr_warn("%s: detach failed: %s\n", r->iface, strerror(-err));
		return err;
	}
	pr_info("%s: detached\n", r->iface);
	return 0;
}

/* SIGHUP: the maps.c diff (adds before removes, all or nothing) */
static int run_apply(struct run *r, const struct pp_conf *next)
{
	return pp_maps_apply_conf(r->iface, next,
				  next->dry_run || r->dry_run_opt, 0);
}

/* ---- lost-event accounting ---- */

static void publish(struct run *r)
{
	__u64 consumed = pp_events_consumed(r->ev);
	__u64 we = pp_events_write_errors(r->ev);

	if (consumed == r->saved_consumed && we == r->saved_we)
		return;
	r->st.consumed = r->base.consumed + consumed;
	r->st.write_error = r->base.write_error + we;
	__atomic_store_n(&r->extra_lost, r->st.lost_down + r->st.write_error,
			 __ATOMIC_RELAXED);
	if (r->st_fd >= 0 && pp_evstate_save(r->st_fd, &r->st))
		pr_debug("cannot save the event counts\n");
	r->saved_consumed = consumed;
	r->saved_we = we;
}

/*
 * Drain what the ring holds from before this daemon, and count what no
 * daemon ever consumed: decisions - ring full - consumed by daemons,
 * taken at one instant T0 (events stamped after T0 are this run's).
 */
static int account_start(struct run *r)
{
	__u64 *stats = calloc(PP_STATS_MAX, sizeof(*stats));
	__u64 decided, full, t0, before;
	__s64 gap;
	int err, n;

	if (!stats)
		return -ENOMEM;
	err = pp_maps_stats_sum(&r->maps, stats);
	if (err) {
		free(stats);
		pr_warn("cannot read the stats map: %s\n", strerror(-err));
		return err;
	}
	decided = pp_stats_decisions(stats);
	full = stats[PP_STAT_MISC(PP_MISC_EVENTS_LOST)];
	free(stats);
	t0 = mono_ns();

	r->st.stats_id = pp_maps_obj_id(r->maps.stats);
	if (pp_evstate_read(r->iface, r->st.stats_id, &r->base))
		memset(&r->base, 0, sizeof(r->base));
	r->base.stats_id = r->st.stats_id;

	pp_events_mark_before(r->ev, t0);
	do {
		n = pp_events_drain(r->ev, RUN_BATCH);
	} while (n > 0);
	if (n < 0)
		return n;
	before = pp_events_consumed_before(r->ev);
	gap = (__s64)(decided - full - r->base.consumed - before);
	r->st = r->base;
	if (gap > 0) {
		r->st.lost_down += gap;
		pr_warn("%lld events were never read (no daemon consumed "
			"them); "
			"counted in ppguard_events_lost_total\n",
			(long long)gap);
	}
	if (pp_events_consumed(r->ev))
		pr_info("%llu events from before the daemon started\n",
			(unsigned long long)pp_events_consumed(r->ev));
	r->saved_consumed = ~0ULL;
	publish(r);
	return 0;
}

/* ---- setup ---- */

static int epoll_add(int epfd, int fd)
{
	struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e))
		return -errno;
	return 0;
}

static int metrics_start(struct run *r)
{
	struct pp_metrics_src src = {
		.iface = r->iface,
		.mode = r->mode,
		.maps = &r->maps,
		.extra_lost = &r->extra_lost,
	};
	const char *addr = metrics_addr(r);
	int err;

	if (!addr)
		return 0;
	err = pp_metrics_start(addr, &src, &r->met);
	if (err)
		return err;
	r->met_addr = strdup(addr);
	return r->met_addr ? 0 : -ENOMEM;
}

static void metrics_stop(struct run *r)
{
	pp_metrics_stop(r->met);
	r->met = NULL;
	free(r->met_addr);
	r->met_addr = NULL;
}

static int loop_setup(struct run *r)
{
	struct itimerspec its = {
		.it_interval = {.tv_nsec = RUN_TICK_MS * 1000000L},
		.it_value = {.tv_nsec = RUN_TICK_MS * 1000000L},
	};
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->sigfd < 0 || r->tfd < 0 || r->epfd < 0 ||
	    timerfd_settime(r->tfd, 0, &its, NULL) ||
	    epoll_add(r->epfd, r->sigfd) || epoll_add(r->epfd, r->tfd) ||
	    epoll_add(r->epfd, pp_events_epoll_fd(r->ev))) {
		int err = -errno;

		pr_warn("cannot set up the event loop: %s\n", strerror(-err));
		return err;
	}
	return 0;
}

/* ---- SIGHUP ---- */

static void reload(struct run *r)
{
	struct pp_autoblock_cfg abc;
	struct pp_conf next;
	const char *addr;
	int err;

	if (!r->conf_path) {
		pp_events_reopen(r->ev, events_path(r));
		pr_info("SIGHUP: no config file; events output reopened\n");
		return;
	}
	err = pp_conf_load(r->conf_path, &next);
	if (err) {
		/* pp_conf_load printed FILE:LINE lines; say what happens */
		pr_warn("SIGHUP: %s not applied (%s); the running config "
			"stays\n",
			r->conf_path,
			err == -EINVAL ? "errors above" : strerror(-err));
		pp_conf_free(&next);
		pp_events_reopen(r->ev, events_path(r));
		return;
	}
	if (next.mode_set && strcmp(pp_mode_str(next.mode), r->mode))
		pr_warn("SIGHUP: mode %s needs a restart; staying in %s\n",
			pp_mode_str(next.mode), r->mode);
	err = run_apply(r, &next);
	if (err) {
		pr_warn("SIGHUP: applying %s failed: %s; the running config "
			"stays\n",
			r->conf_path, strerror(-err));
		pp_conf_free(&next);
		pp_events_reopen(r->ev, events_path(r));
		return;
	}
	pp_conf_free(&r->conf);
	r->conf = next;
	r->have_conf = 1;
	if (r->dry_run != (next.dry_run || r->dry_run_opt)) {
		r->dry_run = next.dry_run || r->dry_run_opt;
		say_dry_run(r, "SIGHUP: ");
	}

	ab_cfg(&r->conf, &abc);
	if (pp_autoblock_configure(r->ab, &abc))
		pr_warn("SIGHUP: autoblock settings rejected\n");
	pp_events_reopen(r->ev, events_path(r));
	addr = metrics_addr(r);
	if ((addr == NULL) != (r->met_addr == NULL) ||
	    (addr && strcmp(addr, r->met_addr))) {
		metrics_stop(r);
		if (metrics_start(r))
			pr_warn("SIGHUP: metrics endpoint is off until the "
				"next reload\n");
	}
	pr_info("SIGHUP: %s applied\n", r->conf_path);
}

/* ---- the loop ---- */

static void housekeep(struct run *r, __u64 now)
{
	if (now - r->last_housekeep < RUN_HOUSEKEEP_NS)
		return;
	r->last_housekeep = now;
	pp_autoblock_sweep(r->ab);
}

static int drain(struct run *r)
{
	__u64 t0 = mono_ns();
	int n = pp_events_drain(r->ev, RUN_BATCH);

	/* -v: the drain rate of large batches (tests/bench/daemon.sh) */
	if (n >= RUN_LOG_BATCH)
		pr_debug("events: %d written in %.3f ms\n", n,
			 (mono_ns() - t0) / 1e6);
	if (n < 0) {
		pr_warn("events: reading the ring buffer failed: %s\n",
			strerror(-n));
		return n;
	}
	publish(r);
	return n;
}

static int loop(struct run *r)
{
	struct epoll_event evs[8];
	struct signalfd_siginfo si;
	int more = 0, n, i, stop = 0;
	__u64 ticks, stop_at;

	while (!stop) {
		n = epoll_wait(r->epfd, evs, 8, more ? 0 : -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == r->tfd) {
				if (read(r->tfd, &ticks, sizeof(ticks)) < 0 &&
				    errno != EAGAIN)
					return -errno;
			} else if (fd == r->sigfd) {
				while (read(r->sigfd, &si, sizeof(si)) ==
				       sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						reload(r);
					} else {
						pr_info("%s: stopping\n",
							strsignal(
								si.ssi_signo));
						stop = 1;
					}
				}
			}
		}
		/* ring readable or timer: drain either way */
		drain(r);
		more = pp_events_queued(r->ev) > 0;
		housekeep(r, mono_ns());
	}
	/* what came in since the last drain (a while at most: traffic may
	 * not stop) */
	stop_at = mono_ns() + RUN_STOP_DRAIN_NS;
	while (drain(r) > 0 && mono_ns() < stop_at)
		;
	return 0;
}

/* ---- the command ---- */

static int parse_args(struct run *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{"iface", required_argument, NULL, 'i'},
		{"config", required_argument, NULL, 'c'},
		{"keep", no_argument, NULL, 'k'},
		{"events", required_argument, NULL, 'e'},
		{"metrics", required_argument, NULL, 'm'},
		{"mode", required_argument, NULL, 'M'},
		{"xdp-mode", required_argument, NULL, 'X'},
		{"dry-run", no_argument, NULL, 'n'},
		{},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "i:c:ke:m:n", opts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'i':
			r->iface = optarg;
			break;
		case 'c':
			r->conf_path = optarg;
			break;
		case 'k':
			r->keep = 1;
			break;
		case 'n':
			r->dry_run_opt = 1;
			break;
		case 'e':
			r->events_opt = optarg;
			break;
		case 'm':
			r->metrics_opt = optarg;
			break;
		case 'M':
			if (pp_mode_parse(optarg, &r->mode_opt))
				return cmd_usage_error(
					"run",
					"--mode '%s': expected tc or xdp",
					optarg);
			break;
		case 'X':
			if (pp_xdp_mode_parse(optarg, &r->xdp_mode_opt))
				return cmd_usage_error(
					"run",
					"--xdp-mode '%s': expected "
					"native or skb",
					optarg);
			break;
		default:
			return cmd_usage_error("run", "bad option");
		}
	}
	if (optind < argc)
		return cmd_usage_error("run", "unexpected argument '%s'",
				       argv[optind]);
	if (!r->iface)
		return cmd_usage_error("run", "-i IFACE is required");
	if (r->events_opt && strcmp(r->events_opt, "-") &&
	    strcmp(r->events_opt, "off") && r->events_opt[0] != '/')
		return cmd_usage_error(
			"run", "--events '%s': expected -, off or a path",
			r->events_opt);
	return 0;
}

int do_run(int argc, char **argv)
{
	struct run r = {
		.st_fd = -1,
		.epfd = -1,
		.sigfd = -1,
		.tfd = -1,
		.mode_opt = -1,
		.xdp_mode_opt = -1,
	};
	struct pp_autoblock_cfg abc;
	int attached = 0, created = 0, serving = 0, err;
	sigset_t set;

	err = parse_args(&r, argc, argv);
	if (err)
		return err;
	pp_maps_close(&r.maps); /* every fd -1 */

	/* Block the signals before any thread exists (libmicrohttpd's):
	 * they are read from the signalfd only. SIGPIPE: a closed stdout
	 * or HTTP peer is an error to report, not a reason to die. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (r.conf_path) {
		err = pp_conf_load(r.conf_path, &r.conf);
		if (err) {
			pp_conf_free(&r.conf);
			return err == -EINVAL ? PP_EXIT_USAGE : err;
		}
		r.have_conf = 1;
	} else {
		err = pp_conf_init(&r.conf);
		if (err)
			return err;
	}

	/* before attaching: a second daemon must not touch the attachment */
	r.st_fd = pp_evstate_open(r.iface, &created);
	if (r.st_fd == -EBUSY) {
		err = -EBUSY;
		goto out;
	}
	err = run_attach(&r);
	if (err) {
		if (created) /* nothing attached: leave nothing behind */
			pp_evstate_remove(r.iface);
		goto out;
	}
	attached = 1;
	err = pp_maps_open(r.iface, &r.maps);
	if (err)
		goto out;
	err = pp_events_new(r.maps.events, r.iface, events_path(&r), &r.ev);
	if (err)
		goto out;
	ab_cfg(&r.conf, &abc);
	err = pp_autoblock_new(r.maps.blocked4, r.maps.blocked6, &abc, &r.ab);
	if (err) {
		pr_warn("autoblock: %s\n", strerror(-err));
		goto out;
	}
	pp_events_set_hook(r.ev, pp_autoblock_event, r.ab);
	err = account_start(&r);
	if (err)
		goto out;
	err = metrics_start(&r);
	if (err)
		goto out;
	err = loop_setup(&r);
	if (err)
		goto out;
	pr_info("running on %s (%s)%s%s%s\n", r.iface, r.mode,
		abc.enabled ? ", autoblock on" : "",
		events_path(&r) ? ", events to " : "",
		events_path(&r)
			? (strcmp(events_path(&r), "-") ? events_path(&r)
							: "stdout")
			: "");
	if (r.dry_run)
		say_dry_run(&r, "");
	serving = 1;
	err = loop(&r);
out:
	metrics_stop(&r);
	if (r.ev)
		publish(&r);
	pp_events_free(r.ev);
	pp_autoblock_free(r.ab);
	if (r.epfd >= 0)
		close(r.epfd);
	if (r.sigfd >= 0)
		close(r.sigfd);
	if (r.tfd >= 0)
		close(r.tfd);
	pp_maps_close(&r.maps);
	if (r.st_fd >= 0)
		close(r.st_fd);
	if (attached && !r.keep && !serving && r.adopted) {
		/* failed to start after adopting an attachment someone else
		 * made: leave enforcement as it was */
		pr_info("%s: ppguard stays attached (it was before this "
			"daemon started)\n",
			r.iface);
	} else if (attached && !r.keep) {
		/* the counts belonged to the maps that detach removes */
		if (run_detach(&r) == 0)
			pp_evstate_remove(r.iface);
	} else if (attached) {
		pr_info("--keep: ppguard stays attached to %s\n", r.iface);
	}
	pp_conf_free(&r.conf);
	return err;
}
