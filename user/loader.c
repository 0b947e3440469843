// SPDX-License-Identifier: GPL-2.0
/*
 * Load, pin, attach and detach (see loader.h).
 *
 * attach, in order, each step undone if a later one fails:
 *   checks -> mkdir + flock the pin directory -> read the state map
 *   -> tc:  load the skeleton (maps pinned by name, reused when pinned)
 *           -> fill the maps from the config (a diff)
 *           -> clsact (EEXIST is fine) -> our filter, BPF_TC_F_REPLACE when
 *              it is already there: the kernel swaps the program in place
 *   -> xdp: load the maps alone first (the program is loaded by libxdp as
 *           it attaches) -> fill the maps -> xdp_program__attach through
 *           the dispatcher -> remove the previous ppguard program from it
 *   -> pin the program, write the state map, unlock.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "daemon.h"
#include "loader.h"
#include "log.h"
#include "maps.h"
#include "ppguard.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

#define BPFFS "/sys/fs/bpf"
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"
#define LOCK_TIMEOUT_S 30
/* The verifier's log of a rejected program. 6.4+ kernels keep the tail
 * when it does not fit, which is the part that says why. */
#define VLOG_SIZE (16u << 20)

/* ---- checks ---- */

static int has_cap(const struct __user_cap_data_struct *d, int c)
{
	return !!(d[c / 32].effective & (1u << (c % 32)));
}

/*
 * What the kernel asks of us: bpf_capable() (CAP_BPF or CAP_SYS_ADMIN) to
 * load and pin; perfmon_capable() (CAP_PERFMON or CAP_SYS_ADMIN) or the
 * verifier refuses the data path's pointer arithmetic ("pointer -= pointer
 * prohibited"); CAP_NET_ADMIN for tc and XDP; and for xdp CAP_SYS_ADMIN,
 * since libxdp opens programs by id (BPF_PROG_GET_FD_BY_ID).
 */
int pp_check_privileges(int mode)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};
	int sys;

	if (syscall(SYS_capget, &h, d)) {
		pr_warn("cannot read this process's capabilities: %s\n",
			strerror(errno));
		return -errno;
	}
	sys = has_cap(d, CAP_SYS_ADMIN);
	if (!(has_cap(d, CAP_BPF) || sys) ||
	    !(has_cap(d, CAP_PERFMON) || sys) || !has_cap(d, CAP_NET_ADMIN) ||
	    (mode == PP_MODE_XDP && !sys)) {
		pr_warn("needs root (CAP_BPF, CAP_PERFMON and "
			"CAP_NET_ADMIN%s)\n",
			mode == PP_MODE_XDP ? ", and CAP_SYS_ADMIN for libxdp"
					    : "");
		return -EPERM;
	}
	return 0;
}

int pp_check_iface(const char *iface, __u32 *ifindex)
{
	unsigned int idx;

	if (!pp_iface_valid(iface)) {
		pr_warn("invalid interface name '%s'\n", iface ? iface : "");
		return -EINVAL;
	}
	idx = if_nametoindex(iface);
	if (!idx) {
		pr_warn("no interface '%s'\n", iface);
		return -ENODEV;
	}
	*ifindex = idx;
	return 0;
}

int pp_check_btf(void)
{
	if (access(BTF_VMLINUX, R_OK)) {
		pr_warn("this kernel has no BTF (%s: %s; needs "
			"CONFIG_DEBUG_INFO_BTF)\n",
			BTF_VMLINUX, strerror(errno));
		return -EOPNOTSUPP;
	}
	return 0;
}

int pp_bpffs_ensure(void)
{
	struct statfs fs;

	if (statfs(BPFFS, &fs) == 0 && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir(BPFFS, 0700) && errno != EEXIST) {
		pr_warn("bpffs is not mounted and %s cannot be made: %s\n",
			BPFFS, strerror(errno));
		return -errno;
	}
	if (mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		pr_warn("bpffs is not mounted at %s and mounting it failed: "
			"%s\n",
			BPFFS, strerror(errno));
		return -errno;
	}
	pr_info("mounted bpffs at %s\n", BPFFS);
	return 0;
}

/* ---- the state map ---- */

__u64 pp_netns_self(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u64)st.st_ino;
}

static int state_btf(struct btf **out, __u32 *key_id, __u32 *val_id)
{
	struct btf *btf = btf__new_empty();
	int u32, u64, chr, arr, st, r = 0;

#define FIELD(name, type)                                                      \
	do {                                                                   \
		if (!r)                                                        \
			r = btf__add_field(                                    \
				btf, #name, type,                              \
				offsetof(struct pp_attach_state, name) * 8,    \
				0);                                            \
	} while (0)

	if (!btf)
		return -errno;
	u32 = btf__add_int(btf, "__u32", 4, 0);
	u64 = btf__add_int(btf, "__u64", 8, 0);
	chr = btf__add_int(btf, "char", 1, BTF_INT_CHAR);
	arr = btf__add_array(btf, u32, chr,
			     sizeof(((struct pp_attach_state *)0)->config));
	st = btf__add_struct(btf, "pp_attach_state",
			     sizeof(struct pp_attach_state));
	if (u32 < 0 || u64 < 0 || chr < 0 || arr < 0 || st < 0) {
		btf__free(btf);
		return -EINVAL;
	}
	FIELD(magic, u32);
	FIELD(ifindex, u32);
	FIELD(mode, u32);
	FIELD(xdp_mode, u32);
	FIELD(created_clsact, u32);
	FIELD(prog_id, u32);
	FIELD(attached_at, u64);
	FIELD(first_attached_at, u64);
	FIELD(attach_count, u32);
	FIELD(dry_run, u32);
	FIELD(netns, u64);
	FIELD(config, arr);
#undef FIELD
	if (!r)
		r = btf__load_into_kernel(btf);
	if (r) {
		btf__free(btf);
		return r;
	}
	*out = btf;
	*key_id = (__u32)u32;
	*val_id = (__u32)st;
	return 0;
}

static int state_path(const char *dir, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, PP_PIN_STATE);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int state_read_dir(const char *dir, struct pp_attach_state *st)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, r = 0;

	memset(st, 0, sizeof(*st));
	if (state_path(dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/* a state map of another layout (another ppguard build) is no
	 * state: the next attach makes it again */
	if (pp_maps_value_size(fd) != sizeof(*st))
		r = -ESTALE;
	else if (bpf_map_lookup_elem(fd, &key, st))
		r = -errno;
	else if (st->magic != PP_STATE_MAGIC)
		r = -EINVAL;
	close(fd);
	if (r)
		memset(st, 0, sizeof(*st));
	return r;
}

int pp_state_read(const char *iface, struct pp_attach_state *st)
{
	char dir[PATH_MAX];
	int r = pp_pin_dir(iface, dir, sizeof(dir));

	if (r)
		return r;
	return state_read_dir(dir, st);
}

static int state_write(const char *dir, const struct pp_attach_state *st)
{
	struct bpf_map_create_opts opts = {.sz = sizeof(opts)};
	struct btf *btf = NULL;
	char path[PATH_MAX];
	__u32 key = 0, kid = 0, vid = 0;
	int fd, r;

	if (state_path(dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd >= 0 && pp_maps_value_size(fd) != sizeof(*st)) {
		close(fd);
		unlink(path);
		fd = -1;
	}
	if (fd < 0) {
		if (state_btf(&btf, &kid, &vid) == 0) {
			opts.btf_fd = (__u32)btf__fd(btf);
			opts.btf_key_type_id = kid;
			opts.btf_value_type_id = vid;
		}
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, PP_PIN_STATE,
				    sizeof(key), sizeof(*st), 1, &opts);
		btf__free(btf);
		if (fd < 0)
			return -errno;
		if (bpf_obj_pin(fd, path)) {
			r = -errno;
			close(fd);
			return r;
		}
	}
	r = bpf_map_update_elem(fd, &key, st, BPF_ANY) ? -errno : 0;
	close(fd);
	return r;
}

/* ---- programs ---- */

static __u32 prog_id_of(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	return info.id;
}

/* The name of the program with that id ("" when it cannot be read) */
static void prog_name_of_id(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd;

	buf[0] = '\0';
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(buf, len, "%s", info.name);
	close(fd);
}

static int pin_path(const char *dir, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Pin fd at dir/name, replacing what was there. */
static int pin_replace(const char *dir, const char *name, int fd)
{
	char path[PATH_MAX];

	if (pin_path(dir, name, path, sizeof(path)))
		return -ENAMETOOLONG;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return bpf_obj_pin(fd, path) ? -errno : 0;
}

static int pin_open(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (pin_path(dir, name, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* The last lines of the verifier's log; all of it with -v. */
static void show_verifier_log(const char *prog, const char *log, int err)
{
	const char *p, *start;
	int lines = 0;
	size_t n;

	if (!log || !log[0]) {
		pr_warn("cannot load %s: %s\n", prog, strerror(-err));
		return;
	}
	pr_warn("the kernel's verifier rejected %s (%s)%s\n", prog,
		strerror(-err),
		log_get_level() >= PP_LOG_DEBUG ? "; its log:"
						: "; last lines of its log "
						  "(all of it with -v):");
	if (log_get_level() >= PP_LOG_DEBUG) {
		fputs(log, stderr);
		return;
	}
	n = strlen(log);
	while (n > 0 && log[n - 1] == '\n')
		n--;
	start = log;
	for (p = log + n; p > log; p--) {
		if (p[-1] == '\n' && ++lines == 5) {
			start = p;
			break;
		}
	}
	/* each line indented under the one-line error */
	for (p = start; p < log + n;) {
		const char *e = memchr(p, '\n', (size_t)(log + n - p));
		int len = (int)((e ? e : log + n) - p);

		fprintf(stderr, "  %.*s\n", len, p);
		p += len + 1;
	}
}

/* Pinned maps that a build with other struct sizes would not reuse:
 * libbpf would fail with "parameter mismatch"; say which one and why. */
static int check_pinned_maps(struct bpf_object *obj, const char *iface)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		const char *path = bpf_map__pin_path(map);
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd, bad;

		if (!path)
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		bad = bpf_obj_get_info_by_fd(fd, &info, &len) ||
		      info.type != bpf_map__type(map) ||
		      info.key_size != bpf_map__key_size(map) ||
		      info.value_size != bpf_map__value_size(map) ||
		      info.map_flags != bpf_map__map_flags(map);
		/* flows keeps the size it was made with (flows = N) */
		if (!bad && strcmp(bpf_map__name(map), PP_MAP_FLOWS) &&
		    info.max_entries != bpf_map__max_entries(map))
			bad = 1;
		close(fd);
		if (bad) {
			pr_warn("%s: pinned map %s does not match this build "
				"of ppguard (key %u/%u, value %u/%u bytes); "
				"'ppguard detach -i %s' first\n",
				iface, path, info.key_size,
				bpf_map__key_size(map), info.value_size,
				bpf_map__value_size(map), iface);
			return -EINVAL;
		}
	}
	return 0;
}

/* Open the skeleton with maps pinned in dir; only `prog` (or none) is
 * loaded. flows takes the size of a pinned flows map, else flows_max. */
static struct ppguard_bpf *skel_open(const char *dir, const char *iface,
				     const char *prog, __u32 flows_max,
				     char *vlog)
{
	struct bpf_object_open_opts oo = {
		.sz = sizeof(oo),
		.pin_root_path = dir,
	};
	struct ppguard_bpf *skel;
	int fd, r;

	skel = ppguard_bpf__open_opts(&oo);
	if (!skel) {
		pr_warn("cannot open the BPF object: %s\n", strerror(errno));
		return NULL;
	}
	bpf_program__set_autoload(skel->progs.ppguard_tc,
				  prog && !strcmp(prog, PP_PROG_TC));
	bpf_program__set_autoload(skel->progs.ppguard_xdp,
				  prog && !strcmp(prog, PP_PROG_XDP));
	if (vlog) {
		bpf_program__set_log_buf(skel->progs.ppguard_tc, vlog,
					 VLOG_SIZE);
		bpf_program__set_log_buf(skel->progs.ppguard_xdp, vlog,
					 VLOG_SIZE);
	}
	fd = pin_open(dir, PP_MAP_FLOWS);
	if (fd >= 0) {
		__u32 have = pp_maps_max_entries(fd);

		close(fd);
		if (flows_max && have && flows_max != have)
			pr_warn("%s: flows = %u ignored: the pinned flow table "
				"has %u entries (detach to resize it)\n",
				iface, flows_max, have);
		flows_max = have;
	}
	if (flows_max)
		bpf_map__set_max_entries(skel->maps.flows, flows_max);
	r = check_pinned_maps(skel->obj, iface);
	if (r) {
		ppguard_bpf__destroy(skel);
		errno = -r;
		return NULL;
	}
	return skel;
}

/* ---- tc ---- */

static void tc_hook_init(struct bpf_tc_hook *h, __u32 ifindex)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = (int)ifindex;
	h->attach_point = BPF_TC_INGRESS;
}

static void tc_opts_init(struct bpf_tc_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->handle = PP_TC_HANDLE;
	o->priority = PP_TC_PRIO;
}

/* The program id of ppguard's filter slot (handle/prio), 0 when empty. */
static __u32 tc_query(__u32 ifindex)
{
	struct bpf_tc_hook h;
	struct bpf_tc_opts o;

	tc_hook_init(&h, ifindex);
	tc_opts_init(&o);
	if (bpf_tc_query(&h, &o))
		return 0;
	return o.prog_id;
}

/*
 * One rtnetlink dump of tc objects (RTM_GETTFILTER under a parent, or
 * RTM_GETQDISC), calling fn for each reply about ifindex. libbpf can only
 * query one filter by handle/prio, not list them.
 */
typedef void (*nl_fn)(const struct nlmsghdr *h, void *ctx);

static int tc_dump(__u16 type, __u32 ifindex, __u32 parent, nl_fn fn, void *ctx)
{
	struct {
		struct nlmsghdr n;
		struct tcmsg t;
	} req;
	char buf[32768];
	int fd, done = 0, r = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	memset(&req, 0, sizeof(req));
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	req.n.nlmsg_type = type;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.n.nlmsg_seq = 1;
	req.t.tcm_family = AF_UNSPEC;
	req.t.tcm_ifindex = (int)ifindex;
	req.t.tcm_parent = parent;
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0)
		r = -errno;
	while (!done && !r) {
		struct nlmsghdr *h;
		ssize_t len = recv(fd, buf, sizeof(buf), 0);

		if (len < 0) {
			r = -errno;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			const struct tcmsg *t = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				r = e->error;
				done = 1;
				break;
			}
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(*t)) &&
			    (__u32)t->tcm_ifindex == ifindex)
				fn(h, ctx);
		}
	}
	close(fd);
	return r;
}

static void count_fn(const struct nlmsghdr *h, void *ctx)
{
	/* a dump lists each prio (handle 0) and each filter under it */
	if (h->nlmsg_type == RTM_NEWTFILTER &&
	    ((const struct tcmsg *)NLMSG_DATA(h))->tcm_handle)
		(*(int *)ctx)++;
}

/* Filters on clsact ingress + egress of ifindex: -errno, or the count
 * (0 without a clsact). */
static int tc_filter_count(__u32 ifindex)
{
	int n = 0, r;

	r = tc_dump(RTM_GETTFILTER, ifindex,
		    TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), count_fn, &n);
	if (!r)
		r = tc_dump(RTM_GETTFILTER, ifindex,
			    TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS), count_fn,
			    &n);
	/* no clsact qdisc: the kernel says EINVAL */
	if (r == -EINVAL)
		return 0;
	return r ? r : n;
}

static void clsact_fn(const struct nlmsghdr *h, void *ctx)
{
	const struct tcmsg *t = NLMSG_DATA(h);
	const struct rtattr *a =
		(const struct rtattr *)((const char *)t +
					NLMSG_ALIGN(sizeof(*t)));
	int len = (int)h->nlmsg_len - NLMSG_LENGTH(sizeof(*t));

	if (h->nlmsg_type != RTM_NEWQDISC)
		return;
	for (; RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == TCA_KIND &&
		    !strncmp(RTA_DATA(a), "clsact", (size_t)RTA_PAYLOAD(a)))
			*(int *)ctx = 1;
}

/* Is there a clsact qdisc on ifindex? */
static int tc_has_clsact(__u32 ifindex)
{
	int found = 0;

	tc_dump(RTM_GETQDISC, ifindex, 0, clsact_fn, &found);
	return found;
}

/* ---- xdp (libxdp) ---- */

static enum xdp_attach_mode xdp_libmode(int mode)
{
	return mode == PP_XDP_SKB ? XDP_MODE_SKB : XDP_MODE_NATIVE;
}

static __u32 xdp_flags(int mode)
{
	return mode == PP_XDP_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

/*
 * Without BPF_PROG_TYPE_EXT (kernels built without BPF trampolines) libxdp
 * cannot build its dispatcher and attaches a lone program ("legacy"). Is
 * ppguard such a lone program on ifindex? Then *fd is a new fd of it.
 */
static int xdp_legacy_ppguard(__u32 ifindex, int *fd)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int r = 0;

	*fd = -1;
	mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	if (libxdp_get_error(mp))
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (p && !strcmp(xdp_program__name(p), PP_PROG_XDP)) {
			*fd = bpf_prog_get_fd_by_id(xdp_program__id(p));
			r = *fd >= 0;
		}
	}
	xdp_multiprog__close(mp);
	return r;
}

/* One line naming what holds the XDP hook when ppguard cannot join it */
static void xdp_explain_busy(const char *iface, __u32 ifindex)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;

	mp = xdp_multiprog__get_from_ifindex((int)ifindex);
	if (libxdp_get_error(mp))
		return;
	p = xdp_multiprog__main_prog(mp);
	if (xdp_multiprog__is_legacy(mp) && p)
		pr_warn("%s: XDP program %s (id %u) is attached without "
			"libxdp's dispatcher; ppguard cannot run next to it "
			"(unload it, or use --mode tc)\n",
			iface, xdp_program__name(p), xdp_program__id(p));
	xdp_multiprog__close(mp);
}

/*
 * Detach from ifindex the ppguard XDP program(s): the one with id `id`, or
 * (id 0) every program named ppguard_xdp except `keep_id`. Returns how
 * many were removed, or -errno.
 */
static int xdp_remove(__u32 ifindex, __u32 id, __u32 keep_id)
{
	int removed = 0, rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		struct xdp_multiprog *mp;
		struct xdp_program *p, *hit = NULL;
		enum xdp_attach_mode mode;
		int r;

		mp = xdp_multiprog__get_from_ifindex((int)ifindex);
		if (libxdp_get_error(mp))
			return removed; /* nothing attached */
		mode = xdp_multiprog__attach_mode(mp);
		if (xdp_multiprog__is_legacy(mp)) {
			p = xdp_multiprog__main_prog(mp);
			if (p &&
			    (id ? xdp_program__id(p) == id
				: !strcmp(xdp_program__name(p), PP_PROG_XDP) &&
					     xdp_program__id(p) != keep_id))
				hit = p;
		} else {
			for (p = xdp_multiprog__next_prog(NULL, mp); p && !hit;
			     p = xdp_multiprog__next_prog(p, mp)) {
				__u32 pid = xdp_program__id(p);

				if (id ? pid == id
				       : !strcmp(xdp_program__name(p),
						 PP_PROG_XDP) &&
						    pid != keep_id)
					hit = p;
			}
		}
		if (!hit) {
			xdp_multiprog__close(mp);
			return removed;
		}
		r = xdp_program__detach(hit, (int)ifindex, mode, 0);
		xdp_multiprog__close(mp);
		if (r)
			return r;
		removed++;
		if (id)
			return removed;
	}
	return removed;
}

int pp_probe(const char *iface, const struct pp_attach_state *st,
	     struct pp_probe *p)
{
	unsigned int ifindex;

	memset(p, 0, sizeof(*p));
	if (st->netns && st->netns != pp_netns_self()) {
		p->other_netns = 1;
		return 0;
	}
	ifindex = if_nametoindex(iface);
	if (!ifindex || ifindex != st->ifindex)
		return -ENODEV;
	if (st->mode == PP_MODE_TC) {
		int n;

		p->prog_id = tc_query(ifindex);
		p->clsact = tc_has_clsact(ifindex);
		n = tc_filter_count(ifindex);
		if (n >= 0)
			p->other_filters = n - (p->prog_id ? 1 : 0);
		if (p->other_filters < 0)
			p->other_filters = 0;
	} else {
		struct xdp_multiprog *mp;
		struct xdp_program *x;

		mp = xdp_multiprog__get_from_ifindex((int)ifindex);
		if (!libxdp_get_error(mp)) {
			p->xdp_attach_mode = xdp_multiprog__attach_mode(mp);
			if (xdp_multiprog__is_legacy(mp)) {
				x = xdp_multiprog__main_prog(mp);
				if (x &&
				    !strcmp(xdp_program__name(x), PP_PROG_XDP))
					p->prog_id = xdp_program__id(x);
				p->xdp_progs = x ? 1 : 0;
			} else {
				x = xdp_multiprog__main_prog(mp);
				p->dispatcher_id = x ? xdp_program__id(x) : 0;
				p->xdp_progs = xdp_multiprog__program_count(mp);
				for (x = xdp_multiprog__next_prog(NULL, mp); x;
				     x = xdp_multiprog__next_prog(x, mp))
					if (!strcmp(xdp_program__name(x),
						    PP_PROG_XDP))
						p->prog_id = xdp_program__id(x);
			}
			xdp_multiprog__close(mp);
		}
	}
	p->attached = p->prog_id != 0;
	if (p->prog_id)
		prog_name_of_id(p->prog_id, p->prog_name, sizeof(p->prog_name));
	/* without CAP_SYS_ADMIN a program cannot be opened by id: the one
	 * ppguard attached is known by its id */
	if (p->prog_id && !p->prog_name[0] && p->prog_id == st->prog_id)
		snprintf(p->prog_name, sizeof(p->prog_name), "%s",
			 st->mode == PP_MODE_XDP ? PP_PROG_XDP : PP_PROG_TC);
	return 0;
}

/* ---- attach ---- */

/* What one attach call did, to take back on failure */
struct attach_ctx {
	const struct pp_attach_opts *o;
	char dir[PATH_MAX];
	__u32 ifindex;
	int lock;
	int made_root, made_dir;
	unsigned int pins_before; /* bit per map_names[] pinned before */
	struct pp_attach_state old;
	int have_old; /* an attachment to replace */
	int old_prog_fd;
	struct pp_maps maps;
	int maps_open;
	struct pp_plan *plan;
	int plan_ran;
	int made_clsact;
	int tc_attached; /* filter slot written by this call */
	int tc_replaced; /* ... replacing the old program */
	struct xdp_program *xp;
	int xdp_attached; /* this call put a new program on the hook */
	__u32 xdp_new_id; /* ... through libxdp: its id */
	int xdp_legacy;	  /* ... replacing a lone (legacy) program */
	int xdp_old_fd, xdp_new_fd;
	int prog_pinned;
	char *vlog;
};

static const char *const map_names[] = {
	PP_MAP_PORTS,  PP_MAP_TRUST4,	PP_MAP_TRUST6,	 PP_MAP_DENY4,
	PP_MAP_DENY6,  PP_MAP_BLOCKED4, PP_MAP_BLOCKED6, PP_MAP_FLOWS,
	PP_MAP_EVENTS, PP_MAP_STATS,	PP_MAP_CONFIG,
};
#define N_MAP_NAMES (sizeof(map_names) / sizeof(map_names[0]))

static int pin_exists(const char *dir, const char *name)
{
	char path[PATH_MAX];

	if (pin_path(dir, name, path, sizeof(path)))
		return 0;
	return access(path, F_OK) == 0;
}

static void rollback(struct attach_ctx *c)
{
	const struct pp_attach_opts *o = c->o;
	struct bpf_tc_hook h;
	char path[PATH_MAX];
	size_t i;

	if (c->xdp_attached && c->xdp_legacy) {
		struct bpf_xdp_attach_opts xo = {
			.sz = sizeof(xo),
			.old_prog_fd = c->xdp_new_fd,
		};

		bpf_xdp_attach((int)c->ifindex, c->xdp_old_fd,
			       XDP_FLAGS_REPLACE | xdp_flags(o->xdp_mode), &xo);
	} else if (c->xdp_attached) {
		xdp_remove(c->ifindex, c->xdp_new_id, 0);
	}
	if (c->tc_attached) {
		tc_hook_init(&h, c->ifindex);
		if (c->tc_replaced && c->old_prog_fd >= 0) {
			struct bpf_tc_opts t;

			tc_opts_init(&t);
			t.prog_fd = c->old_prog_fd;
			t.flags = BPF_TC_F_REPLACE;
			bpf_tc_attach(&h, &t);
		} else {
			struct bpf_tc_opts t;

			tc_opts_init(&t);
			bpf_tc_detach(&h, &t);
		}
	}
	if (c->made_clsact) {
		tc_hook_init(&h, c->ifindex);
		h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&h);
	}
	if (c->prog_pinned) {
		const char *pn = o->mode == PP_MODE_TC ? PP_PIN_PROG_TC
						       : PP_PIN_PROG_XDP;

		if (c->have_old && c->old_prog_fd >= 0)
			pin_replace(c->dir, pn, c->old_prog_fd);
		else if (!pin_path(c->dir, pn, path, sizeof(path)))
			unlink(path);
	}
	if (c->plan_ran)
		pp_maps_plan_undo(c->plan);
	/* maps and the directory that did not exist before this call */
	for (i = 0; i < N_MAP_NAMES; i++)
		if (!(c->pins_before & (1u << i)) &&
		    !pin_path(c->dir, map_names[i], path, sizeof(path)))
			unlink(path);
	if (c->made_dir) {
		if (!pin_path(c->dir, PP_PIN_STATE, path, sizeof(path)))
			unlink(path);
		rmdir(c->dir);
	}
	if (c->made_root)
		rmdir(PP_PIN_ROOT);
}

/* mkdir + lock, again if a detach removed the directory meanwhile */
static int dir_lock(struct attach_ctx *c)
{
	int tries;

	for (tries = 0; tries < 5; tries++) {
		if (mkdir(PP_PIN_ROOT, 0700) == 0)
			c->made_root = 1;
		else if (errno != EEXIST)
			goto fail;
		if (mkdir(c->dir, 0700) == 0)
			c->made_dir = 1;
		else if (errno != EEXIST)
			goto fail;
		c->lock = pp_lock_dir(c->dir, LOCK_TIMEOUT_S);
		if (c->lock >= 0)
			return 0;
		if (c->lock != -ENOENT) {
			pr_warn("%s: cannot lock %s: %s\n", c->o->iface, c->dir,
				c->lock == -EBUSY ? "another ppguard holds it"
						  : strerror(-c->lock));
			return c->lock;
		}
		c->made_dir = 0;
	}
	pr_warn("%s: %s keeps disappearing\n", c->o->iface, c->dir);
	return -EAGAIN;
fail:
	pr_warn("%s: cannot create %s: %s\n", c->o->iface, c->dir,
		strerror(errno));
	return -errno;
}

/* Read what is there and decide whether this is a re-attach. */
static int attach_prepare(struct attach_ctx *c)
{
	const struct pp_attach_opts *o = c->o;
	size_t i;
	int r;

	for (i = 0; i < N_MAP_NAMES; i++)
		if (pin_exists(c->dir, map_names[i]))
			c->pins_before |= 1u << i;
	r = state_read_dir(c->dir, &c->old);
	if (r == 0 && c->old.netns && c->old.netns != pp_netns_self()) {
		pr_warn("%s: ppguard was attached to %s from another network "
			"namespace (net:[%llu]); detach it there first\n",
			o->iface, o->iface, (unsigned long long)c->old.netns);
		return -EBUSY;
	}
	if (r == 0 && c->old.ifindex != c->ifindex) {
		/* the interface was deleted and made again: its old
		 * attachment went with it; the maps stay */
		pr_info("%s: interface index changed (%u -> %u): attaching "
			"anew, keeping the maps\n",
			o->iface, c->old.ifindex, c->ifindex);
		c->old.created_clsact = 0;
		c->old.prog_id = 0;
	} else if (r == 0) {
		c->have_old = 1;
	}
	if (c->have_old && c->old.mode != (__u32)o->mode) {
		pr_warn("%s: ppguard is attached in %s mode; 'ppguard detach "
			"-i %s' first to switch to %s\n",
			o->iface, pp_mode_str((int)c->old.mode), o->iface,
			pp_mode_str(o->mode));
		return -EBUSY;
	}
	if (c->have_old && o->mode == PP_MODE_XDP &&
	    c->old.xdp_mode != (__u32)o->xdp_mode) {
		pr_warn("%s: ppguard is attached in xdp %s mode; 'ppguard "
			"detach -i %s' first to switch to %s\n",
			o->iface, pp_xdp_mode_str((int)c->old.xdp_mode),
			o->iface, pp_xdp_mode_str(o->xdp_mode));
		return -EBUSY;
	}
	c->old_prog_fd =
		pin_open(c->dir, o->mode == PP_MODE_TC ? PP_PIN_PROG_TC
						       : PP_PIN_PROG_XDP);
	return 0;
}

/* Fill the maps (already loaded and pinned) from the config: a diff. */
static int attach_fill(struct attach_ctx *c)
{
	const struct pp_attach_opts *o = c->o;
	struct pp_apply_report rep;
	struct pp_want w = {};
	unsigned int what = PP_APPLY_CONFIG;
	int r;

	r = pp_maps_open(o->iface, &c->maps);
	if (r)
		return r;
	c->maps_open = 1;
	if (o->conf) {
		r = pp_want_from_conf(o->conf, o->conf->dry_run || o->dry_run,
				      &w);
		if (r)
			return r;
		what = PP_APPLY_ALL;
	} else {
		/* no config: the maps keep what they hold, the dry-run flag
		 * too, unless --dry-run turns it on */
		struct pp_config cfg = {};
		__u32 zero = 0;

		w.dry_run = o->dry_run;
		if (!w.dry_run &&
		    !bpf_map_lookup_elem(c->maps.config, &zero, &cfg))
			w.dry_run = !!(cfg.flags & PP_CFG_DRY_RUN);
	}
	r = pp_maps_plan(&c->maps, &w, what, &c->plan, &rep);
	if (!r) {
		c->plan_ran = 1; /* undo is harmless on a partial run */
		r = pp_maps_plan_run(&c->maps, c->plan);
	}
	pp_want_free(&w);
	if (!r && o->conf)
		pp_apply_report_print(o->iface, &rep);
	return r;
}

static int attach_tc(struct attach_ctx *c)
{
	const struct pp_attach_opts *o = c->o;
	struct ppguard_bpf *skel;
	struct bpf_tc_hook h;
	struct bpf_tc_opts t;
	__u32 cur;
	int r, fd;

	skel = skel_open(c->dir, o->iface, PP_PROG_TC,
			 o->conf ? o->conf->flows_max : 0, c->vlog);
	if (!skel)
		return -errno ? -errno : -EINVAL;
	r = ppguard_bpf__load(skel);
	if (r) {
		show_verifier_log(PP_PROG_TC, c->vlog, r);
		goto out;
	}
	r = attach_fill(c);
	if (r)
		goto out;

	tc_hook_init(&h, c->ifindex);
	r = bpf_tc_hook_create(&h);
	if (r == 0) {
		c->made_clsact = 1;
	} else if (r != -EEXIST) {
		pr_warn("%s: cannot create the clsact qdisc: %s\n", o->iface,
			strerror(-r));
		goto out;
	}
	fd = bpf_program__fd(skel->progs.ppguard_tc);
	cur = tc_query(c->ifindex);
	tc_opts_init(&t);
	t.prog_fd = fd;
	if (cur) {
		char name[16];

		/* Our slot is taken: by ppguard (replace it, atomically), or
		 * by someone else's filter (leave it alone). */
		prog_name_of_id(cur, name, sizeof(name));
		if (strcmp(name, PP_PROG_TC) &&
		    !(c->have_old && cur == c->old.prog_id)) {
			pr_warn("%s: ingress already has a tc filter at pref "
				"%u handle 0x%x that is not ppguard's (%s)\n",
				o->iface, PP_TC_PRIO, PP_TC_HANDLE,
				name[0] ? name : "unknown program");
			r = -EEXIST;
			goto out;
		}
		t.flags = BPF_TC_F_REPLACE;
		c->tc_replaced = 1;
	}
	r = bpf_tc_attach(&h, &t);
	if (r) {
		c->tc_replaced = 0;
		pr_warn("%s: cannot attach the tc filter: %s\n", o->iface,
			strerror(-r));
		goto out;
	}
	c->tc_attached = 1;
	r = pin_replace(c->dir, PP_PIN_PROG_TC, fd);
	if (r) {
		pr_warn("%s: cannot pin %s/%s: %s\n", o->iface, c->dir,
			PP_PIN_PROG_TC, strerror(-r));
		goto out;
	}
	c->prog_pinned = 1;
out:
	ppguard_bpf__destroy(skel);
	return r;
}

/* Replace a lone ppguard XDP program in one netlink call
 * (XDP_FLAGS_REPLACE with the expected old fd): no moment without one. */
static int attach_xdp_legacy(struct attach_ctx *c, struct ppguard_bpf *skel)
{
	const struct pp_attach_opts *o = c->o;
	struct bpf_xdp_attach_opts xo = {
		.sz = sizeof(xo),
		.old_prog_fd = c->xdp_old_fd,
	};
	int r, fd;

	r = ppguard_bpf__load(skel);
	if (r) {
		show_verifier_log(PP_PROG_XDP, c->vlog, r);
		return r;
	}
	fd = bpf_program__fd(skel->progs.ppguard_xdp);
	r = bpf_xdp_attach((int)c->ifindex, fd,
			   XDP_FLAGS_REPLACE | xdp_flags(o->xdp_mode), &xo);
	if (r) {
		pr_warn("%s: cannot replace the XDP program: %s\n", o->iface,
			strerror(-r));
		return r;
	}
	c->xdp_attached = 1;
	c->xdp_legacy = 1;
	c->xdp_new_fd = dup(fd);
	return 0;
}

static int attach_xdp_libxdp(struct attach_ctx *c, struct ppguard_bpf *skel)
{
	const struct pp_attach_opts *o = c->o;
	struct xdp_program_opts xo = {
		.sz = sizeof(xo),
		.obj = skel->obj,
		.prog_name = PP_PROG_XDP,
	};
	char errbuf[128];
	int r;

	c->xp = xdp_program__create(&xo);
	r = (int)libxdp_get_error(c->xp);
	if (r) {
		c->xp = NULL;
		libxdp_strerror(r, errbuf, sizeof(errbuf));
		pr_warn("%s: cannot prepare the XDP program: %s\n", o->iface,
			errbuf);
		return r;
	}
	/* With an earlier ppguard on the dispatcher, both run in turn for
	 * the moment until the old one is removed (the same maps: the second
	 * sees a decided flow); no packet goes unguarded. */
	r = xdp_program__attach(c->xp, (int)c->ifindex,
				xdp_libmode(o->xdp_mode), 0);
	if (r) {
		if (c->vlog && c->vlog[0]) {
			show_verifier_log(PP_PROG_XDP, c->vlog, r);
		} else {
			libxdp_strerror(r, errbuf, sizeof(errbuf));
			pr_warn("%s: cannot attach the XDP program (%s mode): "
				"%s\n",
				o->iface, pp_xdp_mode_str(o->xdp_mode), errbuf);
			if (r == -EBUSY || r == -EEXIST)
				xdp_explain_busy(o->iface, c->ifindex);
		}
		return r;
	}
	c->xdp_attached = 1;
	c->xdp_new_id = xdp_program__id(c->xp);
	return 0;
}

static int attach_xdp(struct attach_ctx *c)
{
	const struct pp_attach_opts *o = c->o;
	struct ppguard_bpf *maps_skel, *skel;
	int r, fd;

	/* libxdp loads the program as it attaches it: create (or reuse)
	 * and fill the maps first, so it starts with the config. */
	maps_skel = skel_open(c->dir, o->iface, NULL,
			      o->conf ? o->conf->flows_max : 0, NULL);
	if (!maps_skel)
		return -errno ? -errno : -EINVAL;
	r = ppguard_bpf__load(maps_skel);
	ppguard_bpf__destroy(maps_skel);
	if (r) {
		pr_warn("%s: cannot create the maps: %s\n", o->iface,
			strerror(-r));
		return r;
	}
	r = attach_fill(c);
	if (r)
		return r;

	skel = skel_open(c->dir, o->iface, PP_PROG_XDP, 0, c->vlog);
	if (!skel)
		return -errno ? -errno : -EINVAL;
	if (xdp_legacy_ppguard(c->ifindex, &c->xdp_old_fd))
		r = attach_xdp_legacy(c, skel);
	else
		r = attach_xdp_libxdp(c, skel);
	if (r)
		goto out;
	fd = c->xdp_legacy ? c->xdp_new_fd : xdp_program__fd(c->xp);
	r = pin_replace(c->dir, PP_PIN_PROG_XDP, fd);
	if (r) {
		pr_warn("%s: cannot pin %s/%s: %s\n", o->iface, c->dir,
			PP_PIN_PROG_XDP, strerror(-r));
		goto out;
	}
	c->prog_pinned = 1;
out:
	/* the attachment lives on without these (libxdp pins its own
	 * links; a lone program is held by the interface) */
	xdp_program__close(c->xp);
	c->xp = NULL;
	ppguard_bpf__destroy(skel);
	return r;
}

int pp_attach(const struct pp_attach_opts *o, struct pp_attach_result *res)
{
	struct attach_ctx c = {
		.o = o,
		.lock = -1,
		.old_prog_fd = -1,
		.xdp_old_fd = -1,
		.xdp_new_fd = -1,
	};
	struct pp_attach_state st = {};
	struct pp_attach_result dummy;
	char path[PATH_MAX];
	__u32 prog_id;
	int r, fd;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	r = pp_check_privileges(o->mode);
	if (!r)
		r = pp_check_iface(o->iface, &c.ifindex);
	if (!r)
		r = pp_check_btf();
	if (!r)
		r = pp_bpffs_ensure();
	if (r)
		return r;
	pp_pin_dir(o->iface, c.dir, sizeof(c.dir));
	c.vlog = calloc(1, VLOG_SIZE);
	if (!c.vlog)
		return -ENOMEM;
	r = dir_lock(&c);
	if (r)
		goto fail;
	r = attach_prepare(&c);
	if (r)
		goto fail;
	r = o->mode == PP_MODE_TC ? attach_tc(&c) : attach_xdp(&c);
	if (r)
		goto fail;

	fd = pin_open(c.dir,
		      o->mode == PP_MODE_TC ? PP_PIN_PROG_TC : PP_PIN_PROG_XDP);
	prog_id = fd >= 0 ? prog_id_of(fd) : 0;
	if (fd >= 0)
		close(fd);
	st.magic = PP_STATE_MAGIC;
	st.ifindex = c.ifindex;
	st.mode = (__u32)o->mode;
	st.xdp_mode = o->mode == PP_MODE_XDP ? (__u32)o->xdp_mode : 0;
	st.created_clsact =
		c.made_clsact || (c.have_old && c.old.created_clsact);
	st.prog_id = prog_id;
	st.attached_at = (__u64)time(NULL);
	st.first_attached_at = c.have_old && c.old.first_attached_at
				       ? c.old.first_attached_at
				       : st.attached_at;
	st.attach_count = (c.have_old ? c.old.attach_count : 0) + 1;
	st.dry_run = (__u32)(o->dry_run || (o->conf && o->conf->dry_run));
	st.netns = pp_netns_self();
	if (o->conf && o->conf->path) {
		if (!realpath(o->conf->path, path))
			snprintf(path, sizeof(path), "%s", o->conf->path);
		size_t n = strlen(path);

		/* cut to fit, always NUL-terminated (st is zeroed) */
		if (n >= sizeof(st.config))
			n = sizeof(st.config) - 1;
		memcpy(st.config, path, n);
	}
	r = state_write(c.dir, &st);
	if (r) {
		pr_warn("%s: cannot write %s/%s: %s\n", o->iface, c.dir,
			PP_PIN_STATE, strerror(-r));
		goto fail;
	}
	/* xdp: the new program runs; take the old one(s) off the
	 * dispatcher. A failure here leaves both running: say so. */
	if (o->mode == PP_MODE_XDP) {
		r = xdp_remove(c.ifindex, 0, prog_id);
		if (r < 0)
			pr_warn("%s: the previous ppguard XDP program is still "
				"attached: %s\n",
				o->iface, strerror(-r));
	}
	if (o->mode == PP_MODE_XDP) {
		struct pp_probe pr;

		if (!pp_probe(o->iface, &st, &pr))
			res->xdp_dispatcher_id = pr.dispatcher_id;
	}
	res->reattached = c.have_old;
	res->created_clsact = c.made_clsact;
	res->prog_id = prog_id;
	res->ifindex = c.ifindex;
	r = 0;
	goto out;
fail:
	rollback(&c);
out:
	if (c.maps_open)
		pp_maps_close(&c.maps);
	pp_maps_plan_free(c.plan);
	if (c.old_prog_fd >= 0)
		close(c.old_prog_fd);
	if (c.xdp_old_fd >= 0)
		close(c.xdp_old_fd);
	if (c.xdp_new_fd >= 0)
		close(c.xdp_new_fd);
	if (c.lock >= 0)
		pp_unlock_dir(c.lock);
	free(c.vlog);
	return r;
}

/* ---- detach ---- */

static int remove_dir(const char *dir)
{
	struct dirent *de;
	char path[PATH_MAX + 256];
	DIR *d;
	int r = 0;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) && !r)
			r = -errno;
	}
	closedir(d);
	if (rmdir(dir) && !r)
		r = -errno;
	return r;
}

int pp_detach(const char *iface)
{
	struct pp_attach_state st;
	unsigned int ifindex;
	char dir[PATH_MAX];
	int lock, r, have_st;
	__u32 id;

	if (pp_pin_dir(iface, dir, sizeof(dir))) {
		pr_warn("invalid interface name '%s'\n", iface);
		return -EINVAL;
	}
	lock = pp_lock_dir(dir, LOCK_TIMEOUT_S);
	if (lock < 0) {
		if (lock == -ENOENT)
			pr_warn("%s: ppguard is not attached (no %s)\n", iface,
				dir);
		else
			pr_warn("%s: cannot lock %s: %s\n", iface, dir,
				lock == -EBUSY ? "another ppguard holds it"
					       : strerror(-lock));
		return lock;
	}
	have_st = state_read_dir(dir, &st) == 0;
	if (have_st && st.netns && st.netns != pp_netns_self()) {
		pr_warn("%s: ppguard was attached to %s from another network "
			"namespace (net:[%llu]); detach it there (nsenter "
			"--net=/run/netns/NAME ppguard detach -i %s)\n",
			iface, iface, (unsigned long long)st.netns, iface);
		r = -EBUSY;
		goto out;
	}
	ifindex = if_nametoindex(iface);
	if (have_st && ifindex && st.ifindex != ifindex)
		ifindex = 0; /* a new interface of the same name: not ours */
	if (ifindex) {
		struct bpf_tc_hook h;
		struct bpf_tc_opts t;
		char name[16];

		/* tc: our slot, if it holds ppguard */
		id = tc_query(ifindex);
		if (id) {
			prog_name_of_id(id, name, sizeof(name));
			if (!strcmp(name, PP_PROG_TC) ||
			    (have_st && id == st.prog_id)) {
				tc_hook_init(&h, ifindex);
				tc_opts_init(&t);
				r = bpf_tc_detach(&h, &t);
				if (r) {
					pr_warn("%s: cannot remove the tc "
						"filter: %s\n",
						iface, strerror(-r));
					goto out;
				}
			}
		}
		if (have_st && st.created_clsact && tc_has_clsact(ifindex)) {
			int n = tc_filter_count(ifindex);

			if (n == 0) {
				tc_hook_init(&h, ifindex);
				h.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
				r = bpf_tc_hook_destroy(&h);
				if (r)
					pr_warn("%s: cannot remove the clsact "
						"qdisc: %s\n",
						iface, strerror(-r));
			} else if (n > 0) {
				pr_info("%s: keeping the clsact qdisc ppguard "
					"made: other filters use it now\n",
					iface);
			}
		}
		/* xdp: every ppguard program on the interface */
		r = xdp_remove(ifindex, 0, 0);
		if (r < 0) {
			pr_warn("%s: cannot remove the XDP program: %s\n",
				iface, strerror(-r));
			goto out;
		}
	}
	r = remove_dir(dir);
	if (r)
		pr_warn("%s: cannot remove %s: %s\n", iface, dir, strerror(-r));
	else
		rmdir(PP_PIN_ROOT); /* fails while others are attached */
	/* the daemon's event bookkeeping for this interface goes too */
	pp_evstate_remove(iface);
out:
	pp_unlock_dir(lock);
	return r;
}
