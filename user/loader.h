/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load, attach and detach ppguard on one interface (`ppguard attach`,
 * `ppguard detach`, and `ppguard run` on top of them).
 *
 * Pins under /sys/fs/bpf/ppguard/IFACE/: every map of DESIGN.md section 3
 * (by name, reused by the next attach: flows and counters survive), the
 * program (prog_tc or prog_xdp) and "attach", a one-entry ARRAY holding
 * struct pp_attach_state (bpffs holds BPF objects only, so the state the
 * CLI keeps about an attachment is a map too; it has BTF, so bpftool dumps
 * it with field names).
 */
#ifndef PPGUARD_LOADER_H
#define PPGUARD_LOADER_H

#include <linux/types.h>

#include "config.h"

/* ppguard's own tc filter on clsact ingress: fixed, so re-attach replaces
 * exactly it and detach removes exactly it. */
#define PP_TC_HANDLE 0x5050U /* "PP" */
#define PP_TC_PRIO 1U

#define PP_PIN_PROG_TC "prog_tc"
#define PP_PIN_PROG_XDP "prog_xdp"
#define PP_PIN_STATE "attach"
#define PP_PROG_TC "ppguard_tc"
#define PP_PROG_XDP "ppguard_xdp"

#define PP_STATE_MAGIC 0x50504732 /* "PPG2": bump with the layout */

struct pp_attach_state {
	__u32 magic;
	__u32 ifindex;
	__u32 mode;	      /* enum pp_mode */
	__u32 xdp_mode;	      /* enum pp_xdp_mode (mode xdp) */
	__u32 created_clsact; /* ppguard created the clsact qdisc */
	__u32 prog_id;	      /* the attached program */
	__u64 attached_at;    /* CLOCK_REALTIME seconds, last attach */
	__u64 first_attached_at;
	__u32 attach_count;
	__u32 dry_run;	  /* as set by that attach */
	__u64 netns;	  /* inode of the network namespace of ifindex */
	char config[224]; /* the config file, absolute */
};

struct pp_attach_opts {
	const char *iface;
	int mode;		    /* enum pp_mode */
	int xdp_mode;		    /* enum pp_xdp_mode */
	const struct pp_conf *conf; /* NULL: keep what the maps hold */
	int dry_run;		    /* CLI --dry-run (OR the config's) */
};

struct pp_attach_result {
	int reattached;	    /* replaced an existing attachment */
	int created_clsact; /* this call created the clsact qdisc */
	__u32 prog_id;
	__u32 ifindex;
	__u32 xdp_dispatcher_id; /* xdp: libxdp's dispatcher, 0: alone */
};

/*
 * Checks (privileges, interface, BTF, bpffs: each failure one line),
 * load, pin, fill the maps from conf as a diff, attach; replaces an
 * existing ppguard attachment of the same mode atomically. On any error,
 * what this call did is undone and the interface is as before.
 */
int pp_attach(const struct pp_attach_opts *o, struct pp_attach_result *res);

/* Remove the program, the clsact if ppguard created it and nothing else
 * uses it, every pin and the directory. -ENOENT: nothing to detach. */
int pp_detach(const char *iface);

/* The state map of iface: 0, -ENOENT (no attachment), -errno. */
int pp_state_read(const char *iface, struct pp_attach_state *st);

/* Inode of this process's network namespace (0 if unknown). Pins are
 * global, interfaces are per namespace: an attachment made from another
 * namespace can be neither probed nor detached from this one. */
__u64 pp_netns_self(void);

/* What is really attached, as the kernel sees it. */
struct pp_probe {
	int other_netns; /* attached from another network namespace */
	int attached;	 /* ppguard's program is on the hook */
	__u32 prog_id;
	char prog_name[16];
	/* tc */
	int clsact;	   /* a clsact qdisc is there */
	int other_filters; /* filters other than ppguard's (ingress+egress) */
	/* xdp */
	__u32 dispatcher_id; /* libxdp dispatcher, 0: legacy or none */
	int xdp_attach_mode; /* enum xdp_attach_mode of libxdp */
	int xdp_progs;	     /* programs on the dispatcher, ppguard included */
};

int pp_probe(const char *iface, const struct pp_attach_state *st,
	     struct pp_probe *p);

/* Preconditions, each a one-line error (exit with it): */
int pp_check_privileges(int mode); /* CAP_BPF, CAP_NET_ADMIN (+SYS_ADMIN) */
int pp_check_iface(const char *iface, __u32 *ifindex);
int pp_check_btf(void);
int pp_bpffs_ensure(void); /* mount bpffs at /sys/fs/bpf if needed */

#endif /* PPGUARD_LOADER_H */
