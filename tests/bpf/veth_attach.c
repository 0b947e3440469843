// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper for tests/suites.d/veth.sh until `ppguard attach` exists:
 * load build/ppguard.bpf.o (through its skeleton), pin its maps under a
 * directory of the caller's choosing instead of the shared default
 * (iproute2's loader would use /sys/fs/bpf/tc/globals, bpftool's
 * /sys/fs/bpf), and attach one program to an interface of a network
 * namespace. Then exit: the attachment keeps the program, the pins keep
 * the maps, so bpftool can fill them. The caller removes both.
 *
 * Usage: veth_attach PINDIR NETNS IFNAME tc|xdpdrv|xdpgeneric
 * Prints "prog_id=N verified_insns=N".
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ppguard.skel.h"

static int quiet(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int enter_netns(const char *name)
{
	char path[256];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET))
		err = -errno;
	close(fd);
	return err;
}

static int attach(struct ppguard_bpf *skel, int ifindex, const char *mode)
{
	if (!strcmp(mode, "tc")) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point = BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1,
				    .priority = 1);
		int err = bpf_tc_hook_create(&hook);

		if (err && err != -EEXIST)
			return err;
		opts.prog_fd = bpf_program__fd(skel->progs.ppguard_tc);
		return bpf_tc_attach(&hook, &opts);
	}
	if (!strcmp(mode, "xdpdrv") || !strcmp(mode, "xdpgeneric")) {
		__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST;

		flags |= strcmp(mode, "xdpdrv") ? XDP_FLAGS_SKB_MODE
						: XDP_FLAGS_DRV_MODE;
		return bpf_xdp_attach(ifindex,
				      bpf_program__fd(skel->progs.ppguard_xdp),
				      flags, NULL);
	}
	return -EINVAL;
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct ppguard_bpf *skel;
	int ifindex, err;

	if (argc != 5) {
		fprintf(stderr, "usage: veth_attach PINDIR NETNS IFNAME "
				"tc|xdpdrv|xdpgeneric\n");
		return EXIT_FAILURE;
	}
	libbpf_set_print(quiet);
	{
		DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo,
				    .pin_root_path = argv[1]);

		skel = ppguard_bpf__open_opts(&oo);
	}
	if (!skel) {
		fprintf(stderr, "veth_attach: open: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	err = ppguard_bpf__load(skel);
	if (err) {
		fprintf(stderr, "veth_attach: load: %s\n", strerror(-err));
		goto out;
	}
	err = enter_netns(argv[2]);
	if (err) {
		fprintf(stderr, "veth_attach: netns %s: %s\n", argv[2],
			strerror(-err));
		goto out;
	}
	ifindex = if_nametoindex(argv[3]);
	if (!ifindex) {
		err = -errno;
		fprintf(stderr, "veth_attach: %s: %s\n", argv[3],
			strerror(errno));
		goto out;
	}
	err = attach(skel, ifindex, argv[4]);
	if (err) {
		fprintf(stderr, "veth_attach: attach %s to %s: %s\n", argv[4],
			argv[3], strerror(-err));
		goto out;
	}
	bpf_obj_get_info_by_fd(
		bpf_program__fd(strcmp(argv[4], "tc") ? skel->progs.ppguard_xdp
						      : skel->progs.ppguard_tc),
		&info, &len);
	printf("prog_id=%u verified_insns=%u\n", info.id, info.verified_insns);
out:
	ppguard_bpf__destroy(skel);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
