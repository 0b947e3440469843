// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the shared PROXY parser (include/pp_parse.h) inside the kernel over
 * the packet's bytes after a 14-byte Ethernet header, and stores struct
 * pp_hdr in a map. tests/bpf/test_parse_bpf.c compares it with the host
 * build of the same parser on every vector.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "pp_parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pp_buf);
} scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pp_hdr);
} result SEC(".maps");

/* flags passed to pp_parse, set by the test before each run */
__u32 parse_flags = 0;

static __always_inline int run_parse(struct pp_buf *buf, __u32 n)
{
	__u32 zero = 0;
	struct pp_hdr *out = bpf_map_lookup_elem(&result, &zero);

	if (!out)
		return 0;
	pp_parse(buf, n, parse_flags, out);
	return 0;
}

/* The only length shape that passes the verifier on 6.1, 6.12 and 6.18 for
 * a variable copy of up to 128 bytes (NOTES-datapath.md). */
#define CLAMP_LEN(plen, n)                                                     \
	do {                                                                   \
		n = (plen) > PP_PREFIX_LEN ? PP_PREFIX_LEN : (plen);           \
		n = ((n - 1) & (PP_PREFIX_LEN - 1)) + 1;                       \
	} while (0)

SEC("xdp")
int parse_xdp(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct pp_buf *buf = bpf_map_lookup_elem(&scratch, &zero);
	int plen = (int)(ctx->data_end - ctx->data) - 14;
	__u32 n;

	if (!buf)
		return XDP_ABORTED;
	if (plen <= 0)
		return run_parse(buf, 0) ? XDP_ABORTED : XDP_PASS;
	CLAMP_LEN(plen, n);
	if (bpf_xdp_load_bytes(ctx, 14, buf->b, n))
		return XDP_ABORTED;
	run_parse(buf, n);
	return XDP_PASS;
}

SEC("tc")
int parse_tc(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct pp_buf *buf = bpf_map_lookup_elem(&scratch, &zero);
	int plen = (int)skb->len - 14;
	__u32 n;

	if (!buf)
		return 2;
	if (plen <= 0) {
		run_parse(buf, 0);
		return 0;
	}
	CLAMP_LEN(plen, n);
	if (bpf_skb_load_bytes(skb, 14, buf->b, n))
		return 2;
	run_parse(buf, n);
	return 0;
}

char _license[] SEC("license") = "GPL";
