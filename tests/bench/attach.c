// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark loader for tests/bench/e2e.sh. Two uses:
 *
 * ppg_attach -i IFACE -m tc|xdp [-n] [-p PORT[,open][,reset]]... [-t CIDR]...
 *	Attaches ppguard (the programs of build/ppguard.skel.h, maps not
 *	pinned) or, with -n, the no-op of tests/bench/noop.bpf.c to IFACE's TC
 *	ingress (clsact, pref 1) or XDP hook (native, through libxdp's
 *	dispatcher as `ppguard attach` does), fills the port and trust maps,
 *	and detaches when it ends. The attachment lives as long as this
 *	process (a killed loader leaves a filter that goes with the
 *	namespace's interface).
 *	-p PORT: protected, header required from trusted peers, v1 and v2,
 *	action drop; ",open": no header required; ",reset": action reset.
 *	-t CIDR: a trusted IPv4 or IPv6 prefix.
 *
 * ppg_attach -i IFACE -m tc|xdp -d PINDIR
 *	Attaches nothing: follows what `ppguard attach` pinned in PINDIR
 *	(its events ring, counters and program).
 *
 * Either way, until SIGTERM or SIGINT: drains the event ring every 10 ms
 * (as the daemon does) and keeps the kernel's BPF run statistics on. It
 * prints "attached" when ready; on SIGUSR1 the program's run statistics so
 * far, "snap run_cnt=N run_ns=N events=N" (for XDP those of the dispatcher,
 * which includes the program); at exit
 *   run_cnt=N run_ns=N events=N lost=N fast=N inspected=N flow_hit=N
 *   dropped=N reset=N
 * Run it in the interface's network namespace with `nsenter --net` (libxdp
 * and -d need the host's bpffs, which `ip netns exec` hides).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "ppguard.h"
#include "ppguard.skel.h"
#include "noop.skel.h"

static volatile sig_atomic_t stop, snap;
static unsigned long events;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		snap = 1;
	else
		stop = 1;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "ppg_attach: %s: %s\n", what, strerror(err));
	return EXIT_FAILURE;
}

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	(void)data;
	(void)len;
	events++;
	return 0;
}

static int add_port(int fd, const char *spec, __u8 slot)
{
	struct pp_port_policy pol = {.inspect = 1,
				     .require = 1,
				     .versions = PP_VERS_V1 | PP_VERS_V2,
				     .action = PP_ACT_DROP,
				     .slot = slot};
	__u32 port = (__u32)atoi(spec);

	if (strstr(spec, ",open"))
		pol.require = 0;
	if (strstr(spec, ",reset"))
		pol.action = PP_ACT_RESET;
	if (!port || port > 65535)
		return -EINVAL;
	return bpf_map_update_elem(fd, &port, &pol, 0) ? -errno : 0;
}

static int add_trust(int fd4, int fd6, const char *cidr)
{
	struct pp_trust t = {.trusted = 1};
	char addr[64];
	const char *slash = strchr(cidr, '/');
	size_t n = slash ? (size_t)(slash - cidr) : strlen(cidr);

	if (n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, cidr, n);
	addr[n] = 0;
	if (strchr(addr, ':')) {
		struct pp_lpm6 k = {.prefixlen = slash ? atoi(slash + 1) : 128};

		if (inet_pton(AF_INET6, addr, k.addr) != 1 || k.prefixlen > 128)
			return -EINVAL;
		return bpf_map_update_elem(fd6, &k, &t, 0) ? -errno : 0;
	} else {
		struct pp_lpm4 k = {.prefixlen = slash ? atoi(slash + 1) : 32};

		if (inet_pton(AF_INET, addr, k.addr) != 1 || k.prefixlen > 32)
			return -EINVAL;
		return bpf_map_update_elem(fd4, &k, &t, 0) ? -errno : 0;
	}
}

static unsigned long long stat_sum(int fd, __u32 idx)
{
	int i, n = libbpf_num_possible_cpus();
	__u64 v[n > 0 ? n : 1];
	unsigned long long s = 0;

	if (fd < 0 || n <= 0 || bpf_map_lookup_elem(fd, &idx, v))
		return 0;
	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}

static void prog_stats(int fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (fd >= 0)
		bpf_obj_get_info_by_fd(fd, info, &len);
}

/* The program whose run statistics count: for XDP the one on the hook
 * (libxdp's dispatcher, which runs ours). */
static int stats_prog(int ifindex, int xdp, int own_fd)
{
	__u32 id = 0;

	if (!xdp)
		return own_fd;
	if (bpf_xdp_query_id(ifindex, XDP_FLAGS_DRV_MODE, &id) || !id)
		return -1;
	return bpf_prog_get_fd_by_id(id);
}

static int pinned(const char *dir, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return bpf_obj_get(path);
}

int main(int argc, char **argv)
{
	const char *iface = NULL, *mode = NULL, *pindir = NULL;
	const char *ports[16], *trust[16];
	int nports = 0, ntrust = 0, noop = 0, cpu = -1, opt, i, err;
	int ifindex, prog_fd = -1, sprog_fd, xdp, created_hook = 0;
	int events_fd = -1, stats_fd = -1, enable_fd;
	struct ppguard_bpf *pg = NULL;
	struct noop_bpf *nop = NULL;
	struct xdp_program *xp = NULL;
	struct bpf_object *obj = NULL;
	struct ring_buffer *rb = NULL;
	struct sigaction act = {.sa_handler = on_sig};
	struct bpf_prog_info info;
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tco, .handle = 1, .priority = 1);

	while ((opt = getopt(argc, argv, "i:m:np:t:c:d:")) != -1) {
		switch (opt) {
		case 'i':
			iface = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'n':
			noop = 1;
			break;
		case 'p':
			if (nports < 16)
				ports[nports++] = optarg;
			break;
		case 't':
			if (ntrust < 16)
				trust[ntrust++] = optarg;
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'd':
			pindir = optarg;
			break;
		default:
			return EXIT_FAILURE;
		}
	}
	if (!iface || !mode || (strcmp(mode, "tc") && strcmp(mode, "xdp"))) {
		fprintf(stderr, "usage: ppg_attach -i IFACE -m tc|xdp "
				"[-n | -d PINDIR] [-p PORT[,open][,reset]]... "
				"[-t CIDR]... [-c CPU]\n");
		return EXIT_FAILURE;
	}
	xdp = !strcmp(mode, "xdp");
	ifindex = (int)if_nametoindex(iface);
	if (!ifindex)
		return fail(iface, errno);
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}

	if (pindir) {
		events_fd = pinned(pindir, PP_MAP_EVENTS);
		stats_fd = pinned(pindir, PP_MAP_STATS);
		if (events_fd < 0 || stats_fd < 0)
			return fail(pindir, errno);
		if (!xdp) {
			prog_fd = pinned(pindir, "prog_tc");
			if (prog_fd < 0)
				return fail("prog_tc", errno);
		}
	} else if (noop) {
		nop = noop_bpf__open();
		if (!nop)
			return fail("open the no-op", errno);
		obj = nop->obj;
		if (!xdp) {
			err = noop_bpf__load(nop);
			if (err)
				return fail("load the no-op", -err);
			prog_fd = bpf_program__fd(nop->progs.noop_tc);
		}
	} else {
		struct bpf_map *m;

		pg = ppguard_bpf__open();
		if (!pg)
			return fail("open ppguard", errno);
		bpf_object__for_each_map(m, pg->obj)
		{
			bpf_map__set_pin_path(m, NULL);
		}
		obj = pg->obj;
		if (!xdp) {
			err = ppguard_bpf__load(pg);
			if (err)
				return fail("load ppguard", -err);
			prog_fd = bpf_program__fd(pg->progs.ppguard_tc);
		}
	}

	if (!pindir && xdp) {
		/* libxdp loads the object and puts it behind its dispatcher */
		DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .obj = obj,
				    .prog_name =
					    noop ? "noop_xdp" : "ppguard_xdp");

		xp = xdp_program__create(&xo);
		err = libxdp_get_error(xp);
		if (err)
			return fail("xdp program", -err);
		err = xdp_program__attach(xp, ifindex, XDP_MODE_NATIVE, 0);
		if (err)
			return fail("attach XDP (native)", -err);
		prog_fd = xdp_program__fd(xp);
	} else if (!pindir) {
		hook.ifindex = ifindex;
		err = bpf_tc_hook_create(&hook);
		if (err && err != -EEXIST)
			return fail("create clsact", -err);
		created_hook = !err;
		tco.prog_fd = prog_fd;
		err = bpf_tc_attach(&hook, &tco);
		if (err)
			return fail("attach TC", -err);
	}
	if (pg) {
		/* maps exist once loaded (by libxdp for XDP) */
		stats_fd = bpf_map__fd(pg->maps.stats);
		events_fd = bpf_map__fd(pg->maps.events);
		for (i = 0; i < nports; i++) {
			err = add_port(bpf_map__fd(pg->maps.ports), ports[i],
				       (__u8)(i + 1));
			if (err)
				return fail(ports[i], -err);
		}
		for (i = 0; i < ntrust; i++) {
			err = add_trust(bpf_map__fd(pg->maps.trust4),
					bpf_map__fd(pg->maps.trust6), trust[i]);
			if (err)
				return fail(trust[i], -err);
		}
	}
	if (events_fd >= 0) {
		rb = ring_buffer__new(events_fd, on_event, NULL, NULL);
		if (!rb)
			return fail("ring buffer", errno);
	}
	sprog_fd = stats_prog(ifindex, xdp, prog_fd);

	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGUSR1, &act, NULL);
	/* the kernel's per-program run time (about two clock reads per run
	 * on top of the program), kept while this fd is open */
	enable_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	printf("attached\n");
	fflush(stdout);

	while (!stop) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		nanosleep(&ts, NULL);
		if (rb)
			ring_buffer__consume(rb);
		if (snap) {
			snap = 0;
			prog_stats(sprog_fd, &info);
			printf("snap run_cnt=%llu run_ns=%llu events=%lu\n",
			       (unsigned long long)info.run_cnt,
			       (unsigned long long)info.run_time_ns, events);
			fflush(stdout);
		}
	}

	prog_stats(sprog_fd, &info);
	if (enable_fd >= 0)
		close(enable_fd);
	if (xp) {
		xdp_program__detach(xp, ifindex, XDP_MODE_NATIVE, 0);
		xdp_program__close(xp);
	} else if (!pindir) {
		tco.flags = tco.prog_fd = tco.prog_id = 0;
		bpf_tc_detach(&hook, &tco);
		if (created_hook) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
	}
	if (rb)
		ring_buffer__consume(rb);
	printf("run_cnt=%llu run_ns=%llu events=%lu lost=%llu fast=%llu "
	       "inspected=%llu flow_hit=%llu dropped=%llu reset=%llu\n",
	       (unsigned long long)info.run_cnt,
	       (unsigned long long)info.run_time_ns, events,
	       stat_sum(stats_fd, PP_STAT_MISC(PP_MISC_EVENTS_LOST)),
	       stat_sum(stats_fd, PP_STAT_PATH(PP_PATH_FAST)),
	       stat_sum(stats_fd, PP_STAT_PATH(PP_PATH_INSPECTED)),
	       stat_sum(stats_fd, PP_STAT_PATH(PP_PATH_FLOW_HIT)),
	       stat_sum(stats_fd, PP_STAT_PATH(PP_PATH_DROPPED)),
	       stat_sum(stats_fd, PP_STAT_PATH(PP_PATH_RESET)));
	ring_buffer__free(rb);
	ppguard_bpf__destroy(pg);
	noop_bpf__destroy(nop);
	return EXIT_SUCCESS;
}
