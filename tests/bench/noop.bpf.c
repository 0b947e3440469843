// SPDX-License-Identifier: GPL-2.0
/*
 * Baselines for the benchmarks: programs that return "pass" without looking
 * at the packet. tests/bench/pktcost.c divides every figure by the cost of
 * these, measured in the same run; tests/bench/e2e.sh attaches them to
 * measure what merely having a TC or XDP program costs.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int noop_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int noop_tc(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
