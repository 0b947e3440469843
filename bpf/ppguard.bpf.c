// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard data path: who may send a PROXY protocol header.
 *
 * One core (pp_core) over a parsed packet, two thin entry points:
 * SEC("tc") ppguard_tc (clsact ingress, direct action) and SEC("xdp")
 * ppguard_xdp. Only the payload read, the RST rewrite and the verdict codes
 * differ between them.
 *
 * Per packet (DESIGN.md section 2): not TCP to a protected port -> pass at
 * once; first IP fragment from an untrusted source -> drop; SYN -> flow entry
 * (ISN, peer class); data -> the client's stream bytes 0..N are put together
 * in the flow entry whatever the segmentation and judged once; decided flows
 * cost one lookup.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pp_parse.h"
#include "pp_verdict.h"

/* ---- maps (DESIGN.md section 3), pinned by name ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct pp_port_policy);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_TRUST_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_lpm4);
	__type(value, struct pp_trust);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} trust4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_TRUST_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_lpm6);
	__type(value, struct pp_trust);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} trust6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_DENY_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_lpm4);
	__type(value, struct pp_deny);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} deny_client4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_DENY_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_lpm6);
	__type(value, struct pp_deny);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} deny_client6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_BLOCKED_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_lpm4);
	__type(value, struct pp_blocked);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} blocked4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, PP_BLOCKED_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pp_lpm6);
	__type(value, struct pp_blocked);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} blocked6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PP_FLOWS_MAX);
	__type(key, struct pp_flow_key);
	__type(value, struct pp_flow);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PP_RINGBUF_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PP_STATS_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pp_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

/* Per-CPU work area: the stream prefix put together with the new segment
 * (twice PP_PREFIX_LEN so that "offset < 128" plus "length <= 128" is in
 * bounds for the verifier), and the parser's output. Not pinned. */
struct pp_scratch {
	struct pp_buf buf;
	struct pp_buf spill;
	struct pp_hdr hdr;
	struct pp_flow flow;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pp_scratch);
} scratch SEC(".maps");

/* ---- packet parsing ---- */

#define PP_MAX_VLAN 2
#define PP_MAX_EXTHDR 6
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF

enum pp_frag {
	PP_FRAG_NONE = 0,
	PP_FRAG_FIRST =
		1, /* offset 0, more fragments: carries the TCP header */
	PP_FRAG_LATER = 2, /* no TCP header */
};

struct pp_pkt {
	struct pp_flow_key key;
	__u32 l4_off;	/* TCP header offset from the start of the frame */
	__u32 pay_off;	/* payload offset */
	__u32 pay_len;	/* payload length from the IP lengths */
	__u32 seq;	/* host order */
	__u16 dport;	/* host order */
	__u16 sport;	/* host order */
	__u8 flags;	/* TCP flags byte */
	__u8 frag;	/* enum pp_frag */
	__u8 tiny_frag; /* first fragment too short for a TCP header */
	__u8 opaque;	/* TCP, maybe, but its header cannot be read */
	__u16 urg_ptr;	/* urgent pointer, host order (URG set) */
	__u16 _pad;
};

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20

struct cursor {
	void *pos;
	void *end;
};

static __always_inline int skip_vlans(struct cursor *c, __u16 *proto)
{
	int i;

#pragma unroll
	for (i = 0; i < PP_MAX_VLAN; i++) {
		struct {
			__be16 tci;
			__be16 proto;
		} *vh = c->pos;

		if (*proto != bpf_htons(ETH_P_8021Q) &&
		    *proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > c->end)
			return -1;
		*proto = vh->proto;
		c->pos = vh + 1;
	}
	return 0;
}

/* Returns IPPROTO_TCP when the packet is TCP (its header at c->pos unless
 * a later fragment), 0 otherwise. */
static __always_inline int parse_ipv4(struct cursor *c, struct pp_pkt *p,
				      __u32 *l3_len)
{
	struct iphdr *iph = c->pos;
	__u32 ihl;
	__u16 frag;

	if ((void *)(iph + 1) > c->end)
		return 0;
	if (iph->version != 4 || iph->ihl < 5)
		return 0;
	ihl = iph->ihl * 4;
	if (c->pos + ihl > c->end)
		return 0;
	if (iph->protocol != IPPROTO_TCP)
		return 0;
	__builtin_memcpy(p->key.peer, &iph->saddr, 4);
	__builtin_memcpy(p->key.local, &iph->daddr, 4);
	p->key.family = 4;
	frag = bpf_ntohs(iph->frag_off);
	if (frag & IP_OFFSET)
		p->frag = PP_FRAG_LATER;
	else if (frag & IP_MF)
		p->frag = PP_FRAG_FIRST;
	*l3_len = bpf_ntohs(iph->tot_len);
	if (*l3_len < ihl)
		return 0;
	*l3_len -= ihl;
	c->pos += ihl;
	return IPPROTO_TCP;
}

static __always_inline int parse_ipv6(struct cursor *c, struct pp_pkt *p,
				      __u32 *l3_len)
{
	struct ipv6hdr *ip6h = c->pos;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > c->end)
		return 0;
	if (ip6h->version != 6)
		return 0;
	__builtin_memcpy(p->key.peer, &ip6h->saddr, 16);
	__builtin_memcpy(p->key.local, &ip6h->daddr, 16);
	p->key.family = 6;
	*l3_len = bpf_ntohs(ip6h->payload_len);
	nexthdr = ip6h->nexthdr;
	c->pos = ip6h + 1;

#pragma unroll
	for (i = 0; i < PP_MAX_EXTHDR; i++) {
		struct ipv6_opt_hdr *oh = c->pos;
		__u32 hlen;

		switch (nexthdr) {
		case IPPROTO_TCP:
			return IPPROTO_TCP;
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if ((void *)(oh + 1) > c->end)
				goto opaque;
			hlen = (oh->hdrlen + 1) * 8;
			break;
		case IPPROTO_AH:
			if ((void *)(oh + 1) > c->end)
				goto opaque;
			hlen = (oh->hdrlen + 2) * 4;
			break;
		case IPPROTO_FRAGMENT: {
			struct frag_hdr {
				__u8 nexthdr;
				__u8 reserved;
				__be16 frag_off;
				__be32 id;
			} *fh = c->pos;
			__u16 off;

			if ((void *)(fh + 1) > c->end)
				goto opaque;
			off = bpf_ntohs(fh->frag_off);
			if (off & 0xFFF8)
				p->frag = PP_FRAG_LATER;
			else if (off & 1)
				p->frag = PP_FRAG_FIRST;
			hlen = sizeof(*fh);
			break;
		}
		default:
			return 0;
		}
		if (*l3_len < hlen)
			return 0;
		*l3_len -= hlen;
		nexthdr = oh->nexthdr;
		c->pos += hlen;
		if (c->pos > c->end)
			goto opaque;
	}
	switch (nexthdr) {
	case IPPROTO_TCP:
		return IPPROTO_TCP;
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_FRAGMENT:
		break; /* a longer chain than parsed */
	default:
		return 0;
	}
opaque:
	/* Linux walks any number of extension headers of any length to the
	 * TCP header: a chain this walk gives up on (more than PP_MAX_EXTHDR
	 * headers, or past the bytes that can be read) may still carry a
	 * forged header (seven destination options headers in front of one
	 * reached nginx). The caller drops it unless the source is trusted. A
	 * later fragment's chain is not a chain: it passes as before. */
	if (p->frag != PP_FRAG_LATER)
		p->opaque = 1;
	return 0;
}

/* 0: TCP packet parsed into *p; -1: not for us. */
static __always_inline int parse_packet(void *data, void *data_end,
					struct pp_pkt *p)
{
	struct cursor c = {.pos = data, .end = data_end};
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u32 l3_len = 0, doff;
	__u16 proto;
	int r;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;
	c.pos = eth + 1;
	if (skip_vlans(&c, &proto))
		return -1;
	if (proto == bpf_htons(ETH_P_IP))
		r = parse_ipv4(&c, p, &l3_len);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = parse_ipv6(&c, p, &l3_len);
	else
		return -1;
	if (r != IPPROTO_TCP)
		return p->opaque ? 0 : -1;
	if (p->frag == PP_FRAG_LATER)
		return 0; /* no TCP header in this one */
	th = c.pos;
	if ((void *)th + 4 > data_end || l3_len < 4) {
		if (p->frag == PP_FRAG_FIRST) {
			/* RFC 1858 tiny fragment: not even the ports */
			p->tiny_frag = 1;
			return 0;
		}
		/* past the bytes that can be read (TC: beyond the pull) */
		p->opaque = 1;
		return 0;
	}
	p->sport = bpf_ntohs(th->source);
	p->dport = bpf_ntohs(th->dest);
	p->key.peer_port = th->source;
	p->key.local_port = th->dest;
	if ((void *)(th + 1) > data_end || l3_len < sizeof(*th)) {
		/* a first fragment with the ports but not the whole TCP
		 * header: its port decides, as for any first fragment */
		if (p->frag == PP_FRAG_FIRST)
			return 0;
		p->opaque = 1;
		return 0;
	}
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > l3_len)
		return -1;
	p->l4_off = (void *)th - data;
	p->pay_off = p->l4_off + doff;
	p->pay_len = l3_len - doff;
	p->seq = bpf_ntohl(th->seq);
	p->flags = ((__u8 *)th)[13];
	if (p->flags & TCPF_URG)
		p->urg_ptr = bpf_ntohs(th->urg_ptr);
	return 0;
}

/* Global functions: the verifier checks each once with unknown arguments,
 * so the many shapes a header walk can take (VLANs, IPv6 extension headers,
 * fragments) do not multiply the states of everything after it. */
__attribute__((noinline)) int pp_pkt_tc(struct __sk_buff *skb, struct pp_pkt *p)
{
	if (!skb || !p)
		return -1;
	return parse_packet((void *)(long)skb->data,
			    (void *)(long)skb->data_end, p);
}

__attribute__((noinline)) int pp_pkt_xdp(struct xdp_md *ctx, struct pp_pkt *p)
{
	if (!ctx || !p)
		return -1;
	return parse_packet((void *)(long)ctx->data,
			    (void *)(long)ctx->data_end, p);
}

/* Do the n bytes of seg differ from prefix[start, start + n)? A global
 * function: the loop is verified once with an unknown n (inlined, the
 * compiler dropped the constant bound and 6.1 walked past the buffer). */
__attribute__((noinline)) int pp_prefix_differs(const struct pp_buf *seg,
						const struct pp_buf *prefix,
						__u32 start, __u32 n)
{
	__u32 i;

	if (!seg || !prefix)
		return 1;
	for (i = 0; i < PP_PREFIX_LEN; i++) {
		if (i >= n)
			break;
		if (seg->b[i & (PP_PREFIX_LEN - 1)] !=
		    prefix->b[(start + i) & (PP_PREFIX_LEN - 1)])
			return 1;
	}
	return 0;
}

/*
 * The fast path, inline and before anything else: a plain IPv4/IPv6 frame
 * (no VLAN, no IPv4 options or fragments, no IPv6 extension headers) that
 * is not TCP, or TCP to a port that is not protected, is passed after one
 * array look-up. 1: pass it; 0: take the full walk (which also handles
 * everything this does not). Most traffic of a host ends here.
 */
static __always_inline int fast_pass(void *data, void *data_end,
				     struct pp_port_policy **polp)
{
	struct ethhdr *eth = data;
	struct pp_port_policy *pol;
	__u32 port;
	__u16 *dp;

	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return 0;
		if (iph->protocol != IPPROTO_TCP)
			return iph->version == 4;
		if (iph->ihl != 5 ||
		    (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
			return 0;
		dp = (void *)(iph + 1) + 2;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return 0;
		if (ip6h->nexthdr == IPPROTO_UDP ||
		    ip6h->nexthdr == IPPROTO_ICMPV6)
			return 1;
		if (ip6h->nexthdr != IPPROTO_TCP)
			return 0;
		dp = (void *)(ip6h + 1) + 2;
	} else {
		return eth->h_proto != bpf_htons(ETH_P_8021Q) &&
		       eth->h_proto != bpf_htons(ETH_P_8021AD);
	}
	if ((void *)(dp + 1) > data_end)
		return 0;
	port = bpf_ntohs(*dp);
	pol = bpf_map_lookup_elem(&ports, &port);
	if (pol && pol->inspect)
		*polp = pol; /* pp_core() need not look it up again */
	return pol && !pol->inspect;
}

/* ---- helpers ---- */

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct pp_trust *lookup_trust(struct pp_flow_key *k)
{
	if (k->family == 4) {
		struct pp_lpm4 key = {.prefixlen = 32};

		__builtin_memcpy(key.addr, k->peer, 4);
		return bpf_map_lookup_elem(&trust4, &key);
	} else {
		struct pp_lpm6 key = {.prefixlen = 128};

		__builtin_memcpy(key.addr, k->peer, 16);
		return bpf_map_lookup_elem(&trust6, &key);
	}
}

static __always_inline __u8 peer_class(struct pp_flow_key *k)
{
	return pp_peer_class_of(lookup_trust(k));
}

static __always_inline int is_blocked(struct pp_flow_key *k)
{
	struct pp_blocked *b;

	if (k->family == 4) {
		struct pp_lpm4 key = {.prefixlen = 32};

		__builtin_memcpy(key.addr, k->peer, 4);
		b = bpf_map_lookup_elem(&blocked4, &key);
	} else {
		struct pp_lpm6 key = {.prefixlen = 128};

		__builtin_memcpy(key.addr, k->peer, 16);
		b = bpf_map_lookup_elem(&blocked6, &key);
	}
	return b && b->expires_ns > bpf_ktime_get_ns();
}

static __always_inline int is_denied(struct pp_hdr *h)
{
	if (h->command != PP_CMD_PROXY)
		return 0;
	if (h->family == PP_FAM_INET) {
		struct pp_lpm4 key = {.prefixlen = 32};

		__builtin_memcpy(key.addr, h->src_addr, 4);
		return bpf_map_lookup_elem(&deny_client4, &key) != NULL;
	}
	if (h->family == PP_FAM_INET6) {
		struct pp_lpm6 key = {.prefixlen = 128};

		__builtin_memcpy(key.addr, h->src_addr, 16);
		return bpf_map_lookup_elem(&deny_client6, &key) != NULL;
	}
	return 0;
}

static __always_inline __u8 port_action(struct pp_port_policy *pol)
{
	__u32 zero = 0;
	struct pp_config *cfg = bpf_map_lookup_elem(&config, &zero);

	return pp_violation_action(pol->action, cfg ? cfg->flags : 0);
}

/* One event per connection decision. A full ring buffer is counted and
 * never changes the verdict. Submitted without a wakeup (about 500 ns per
 * connection in place) unless the ring is filling up: the daemon polls on
 * a short timer. */
static __always_inline void emit(struct pp_pkt *p, int hook, __u32 ifindex,
				 __u8 reason, __u8 action, struct pp_flow *f,
				 struct pp_hdr *h, struct pp_buf *buf)
{
	struct pp_event *ev;
	__u64 flags = BPF_RB_NO_WAKEUP;

	ev = bpf_ringbuf_reserve(&events, sizeof(*ev), 0);
	if (!ev) {
		count(PP_STAT_MISC(PP_MISC_EVENTS_LOST));
		return;
	}
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_ns();
	ev->ifindex = ifindex;
	ev->hook = hook;
	ev->ip_family = p->key.family;
	ev->reason = reason;
	ev->action = action;
	__builtin_memcpy(ev->peer, p->key.peer, 16);
	__builtin_memcpy(ev->local, p->key.local, 16);
	ev->peer_port = p->sport;
	ev->local_port = p->dport;
	if (f)
		ev->flags = f->flags;
	if (h) {
		ev->version = h->version;
		ev->command = h->command;
		ev->family = h->family;
		ev->transport = h->transport;
		ev->next_class = h->next_class;
		ev->error = h->error;
		ev->src_port = h->src_port;
		ev->dst_port = h->dst_port;
		__builtin_memcpy(ev->src_addr, h->src_addr, 16);
		__builtin_memcpy(ev->dst_addr, h->dst_addr, 16);
		ev->hdr_len = h->hdr_len;
		ev->tlv_total = h->tlv_len;
		if (buf && h->version == PP_VER_2 && h->tlv_len &&
		    h->tlv_off < PP_PREFIX_LEN) {
			__u32 off = h->tlv_off, n;

			barrier_var(off);
			off &= PP_PREFIX_LEN - 1;
			n = PP_PREFIX_LEN - off;

			if (n > h->tlv_len)
				n = h->tlv_len;
			if (n > PP_EV_TLV_MAX)
				n = PP_EV_TLV_MAX;
			ev->tlv_len = n;
			/* constant size: buf is followed by spill[] */
			__builtin_memcpy(ev->tlv, &buf->b[off], PP_EV_TLV_MAX);
		}
	}
	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >
	    PP_RINGBUF_BYTES / 4)
		flags = 0;
	bpf_ringbuf_submit(ev, flags);
}

/* ---- verdicts ---- */

enum pp_verdict {
	PP_V_PASS = 0,
	PP_V_DROP = 1,
	PP_V_RESET = 2,
};

struct pp_ctx {
	void *ctx;
	int hook;
	__u32 ifindex;
	struct pp_pkt *p;
	struct pp_port_policy *pol;
};

static __always_inline int decide(struct pp_ctx *c, struct pp_flow *f,
				  __u8 reason, __u8 action, struct pp_hdr *h,
				  struct pp_buf *buf)
{
	int v = PP_V_PASS;

	if (f) {
		f->reason = reason;
		f->action = action;
		f->decided_ns = bpf_ktime_get_ns();
		if (h)
			f->version = h->version; /* also of a forged one */
		if (h && h->result == PP_RES_HEADER) {
			f->command = h->command;
			f->family = h->family;
			f->src_port = h->src_port;
			f->dst_port = h->dst_port;
			f->hdr_len = h->hdr_len;
			__builtin_memcpy(f->src_addr, h->src_addr, 16);
			__builtin_memcpy(f->dst_addr, h->dst_addr, 16);
		}
	}
	switch (action) {
	case PP_ACT_DROP:
		v = PP_V_DROP;
		break;
	case PP_ACT_RESET:
		v = PP_V_RESET;
		break;
	}
	if (f)
		f->state = v == PP_V_PASS ? PP_FS_PASS : PP_FS_BLOCKED;
	count(PP_STAT_CONN(c->pol->slot & (PP_PORT_SLOTS - 1), reason, action));
	emit(c->p, c->hook, c->ifindex, reason, action, f, h, buf);
	return v;
}

static __always_inline int violation(struct pp_ctx *c, struct pp_flow *f,
				     __u8 reason, struct pp_hdr *h,
				     struct pp_buf *buf)
{
	return decide(c, f, reason, port_action(c->pol), h, buf);
}

/* Read payload bytes [off, off + n) of the packet into dst (n in 1..128). */
static __always_inline int load_payload(struct pp_ctx *c, __u32 off, void *dst,
					__u32 n)
{
	if (c->hook == PP_HOOK_TC)
		return bpf_skb_load_bytes(c->ctx, off, dst, n);
	return bpf_xdp_load_bytes(c->ctx, off, dst, n);
}

/*
 * Judge the trusted peer's stream prefix buf[0..len): a header, a header
 * still arriving, no header, a bad one.
 */
static __always_inline void judge_trusted(struct pp_ctx *c, struct pp_flow *f,
					  struct pp_buf *buf, __u32 len,
					  struct pp_hdr *h, int final,
					  struct pp_judgement *j)
{
	__u32 pflags = len >= PP_PREFIX_LEN ? PP_PF_TRUNC_OK : 0;
	int r;

	r = pp_parse(buf, len, pflags, h);
	/* the rules: include/pp_verdict.h, shared with ppguard inspect */
	pp_judge_trusted(r, h, f->peer_class, c->pol->require, c->pol->versions,
			 r == PP_RES_HEADER && is_denied(h), final, j);
	if (j->decided && r == PP_RES_HEADER)
		count(PP_STAT_HDR(h->version == PP_VER_2, h->command & 1,
				  h->family & 3));
	if (j->decided && !j->violate && h->truncated)
		f->flags |= PP_FF_TRUNC;
}

/*
 * An untrusted peer: bytes that are, or could still become, a PROXY
 * preamble never reach the server.
 */
static __always_inline void judge_untrusted(struct pp_buf *buf, __u32 len,
					    struct pp_hdr *h,
					    struct pp_judgement *j)
{
	int r = pp_detect(buf, 0, len);

	__builtin_memset(h, 0, sizeof(*h));
	h->result = PP_RES_NOT_PROXY; /* no declared client to keep */
	pp_judge_untrusted(r, j);     /* "PRO": wait for the byte that tells */
	if (!j->decided)
		return;
	if (r == PP_NEXT_STACKED) {
		h->version = PP_B(buf, 0) == 'P' ? PP_VER_1 : PP_VER_2;
		h->next_class = PP_CLASS_PROXY;
		return;
	}
	h->next_class = pp_classify(buf, 0, len);
}

/*
 * A segment that would make the receiver's stream differ from the bytes
 * judged: dropped, and reported once per flow (prefix_mismatch); the flow
 * stays as it was.
 */
static __always_inline int mismatch(struct pp_ctx *c, struct pp_flow *f)
{
	count(PP_STAT_MISC(PP_MISC_OOO_DROPPED));
	if (f->flags & PP_FF_MISMATCH)
		return PP_V_DROP;
	f->flags |= PP_FF_MISMATCH;
	count(PP_STAT_CONN(c->pol->slot & (PP_PORT_SLOTS - 1),
			   PP_R_PREFIX_MISMATCH, PP_ACT_DROP));
	emit(c->p, c->hook, c->ifindex, PP_R_PREFIX_MISMATCH, PP_ACT_DROP, f,
	     NULL, NULL);
	return PP_V_DROP;
}

/*
 * TCP urgent data. Unless the socket sets SO_OOBINLINE (nginx and HAProxy
 * do not), the receiver takes the urgent byte out of the stream: Linux's is
 * at seq + urg_ptr - 1 (seq + urg_ptr with tcp_stdurg), and a pointer may
 * aim at a byte still to come (even from a pure ACK) or, before the socket
 * acknowledged them, at bytes received but not read. One urgent "X" before
 * "PROXY ..." and the application reads a header where the data path
 * judged "X...": no header. Does the urgent byte of this segment possibly
 * fall in stream offsets [0, win)? isn: the flow's.
 */
static __always_inline int urgent_in(struct pp_pkt *p, __u32 isn, __u32 win)
{
	__u32 u;

	if (!(p->flags & TCPF_URG))
		return 0;
	/* unsigned: a pointer before ISN+1 aims at nothing the socket
	 * keeps, and a flow 2 GiB on is not "before its start" */
	u = p->seq - (isn + 1) + p->urg_ptr;
	if (p->urg_ptr)
		u--;
	return u < win;
}

/* Does a segment [seq, seq + len) touch stream offsets [0, win)? Unsigned
 * offsets, so that a flow past 2 GiB is not taken for one before its
 * start; a segment that starts before ISN+1 and reaches past it does. */
static __always_inline int touches_prefix(__u32 seq, __u32 len, __u32 isn,
					  __u32 win)
{
	__u32 off = seq - (isn + 1), end = off + len;

	if (off < win)
		return 1;
	return off >= 0x80000000U && end > 0 && end < 0x80000000U;
}

/*
 * A trusted peer ends its stream (FIN) while its verdict waited for the
 * bytes after a header (a LOCAL health check that sends nothing else, a
 * client that closes at once): judge the prefix as it is.
 */
static __always_inline void finish_trusted(struct pp_ctx *c, struct pp_flow *f)
{
	struct pp_judgement j = {};
	struct pp_scratch *s;
	__u32 zero = 0, have = f->have;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return;
	__builtin_memcpy(s->buf.b, f->prefix, PP_PREFIX_LEN);
	judge_trusted(c, f, &s->buf,
		      have > PP_PREFIX_LEN ? PP_PREFIX_LEN : have, &s->hdr, 1,
		      &j);
	if (j.decided)
		decide(c, f, j.reason,
		       j.violate ? port_action(c->pol) : PP_ACT_PASS, &s->hdr,
		       &s->buf);
}

/*
 * New payload of an undecided flow. The stream offset of the segment is
 * seq - (ISN + 1). Bytes already seen must match what was seen before (a
 * retransmission that disagrees is dropped); a segment that leaves a gap
 * before it is dropped (the sender retransmits it once the gap is
 * filled); the bytes are appended to the prefix and the whole prefix is
 * judged again.
 */
static __always_inline int stream_segment(struct pp_ctx *c, struct pp_flow *f,
					  __u32 seq)
{
	struct pp_pkt *p = c->p;
	struct pp_judgement j = {};
	struct pp_scratch *s;
	__u32 zero = 0, skip, n, have, newlen;
	__s32 off, end;
	int v;

	if (!p->pay_len) {
		if ((p->flags & TCPF_FIN) && f->state == PP_FS_OPEN &&
		    (f->peer_class & PP_PEER_TRUSTED) && f->have)
			finish_trusted(c, f);
		return PP_V_PASS;
	}
	off = (__s32)(seq - (f->isn + 1));
	end = off + (__s32)p->pay_len;
	have = f->have;
	if (end <= 0 || off > (__s32)have) {
		/* A gap before the segment: dropped, the sender sends it
		 * again once the gap is filled. Entirely before the stream's
		 * first byte: no sender does that, and a receiver in
		 * SYN-cookie mode might take it as the start of the stream. */
		count(PP_STAT_MISC(PP_MISC_OOO_DROPPED));
		return PP_V_DROP;
	}
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return PP_V_PASS;
	__builtin_memcpy(s->buf.b, f->prefix, PP_PREFIX_LEN);

	/* skip = bytes of this segment before offset "have" */
	skip = off < 0 ? (__u32)(-off) + have : have - (__u32)off;
	/* Compare the overlap [max(off,0), have) with the prefix. */
	if ((__s32)have > (off < 0 ? 0 : off)) {
		__u32 ostart = off < 0 ? 0 : (__u32)off;
		__u32 olen = have - ostart;
		__u32 pstart = off < 0 ? (__u32)(-off) : 0;

		if (olen > p->pay_len - pstart)
			olen = p->pay_len - pstart;
		olen = olen > PP_PREFIX_LEN ? PP_PREFIX_LEN : olen;
		olen = ((olen - 1) & (PP_PREFIX_LEN - 1)) + 1;
		if (load_payload(c, p->pay_off + pstart, s->spill.b, olen))
			return PP_V_PASS;
		if (pp_prefix_differs(&s->spill, &s->buf, ostart, olen))
			return mismatch(c, f);
	}
	if (skip >= p->pay_len)
		return PP_V_PASS; /* nothing new: a plain retransmission */
	if (f->state == PP_FS_PASS)
		return PP_V_PASS; /* decided: only the overlap mattered */
	if (have >= PP_PREFIX_LEN) {
		/* window full and still undecided: cannot happen for an
		 * untrusted peer (decided at 12 bytes); a trusted one's
		 * header is judged truncated at 128 bytes */
		f->state = PP_FS_PASS;
		return PP_V_PASS;
	}

	n = p->pay_len - skip;
	if (n > PP_PREFIX_LEN - have)
		n = PP_PREFIX_LEN - have;
	n = n > PP_PREFIX_LEN ? PP_PREFIX_LEN : n;
	n = ((n - 1) & (PP_PREFIX_LEN - 1)) + 1;
	/* The compiler knows have < 128 from the check above and would drop
	 * the mask; older verifiers (6.1) lose that bound across a stack
	 * spill. The barrier keeps the mask in the code. */
	barrier_var(have);
	have &= PP_PREFIX_LEN - 1;
	if (load_payload(c, p->pay_off + skip, &s->buf.b[have], n))
		return PP_V_PASS;
	newlen = have + n;

	if (f->peer_class & PP_PEER_TRUSTED)
		judge_trusted(c, f, &s->buf, newlen, &s->hdr,
			      p->flags & TCPF_FIN, &j);
	else
		judge_untrusted(&s->buf, newlen, &s->hdr, &j);
	v = PP_V_PASS;
	if (j.decided)
		v = decide(c, f, j.reason,
			   j.violate ? port_action(c->pol) : PP_ACT_PASS,
			   &s->hdr, &s->buf);
	/* Only bytes that go on to the server become part of the prefix. */
	if (v == PP_V_PASS) {
		__builtin_memcpy(f->prefix, s->buf.b, PP_PREFIX_LEN);
		f->have = newlen;
	}
	return v;
}

/* ---- the receiving socket's own view of a flow without state ---- */

/* CO-RE: libbpf relocates these fields against the kernel's BTF. */
struct tcp_sock {
	__u32 rcv_nxt;
	__u32 copied_seq;
	__u64 bytes_received;
} __attribute__((preserve_access_index));

struct tcp_request_sock {
	__u32 rcv_isn;
} __attribute__((preserve_access_index));

/*
 * Where the local socket's stream starts (ISN+1) and how many bytes it has
 * received: an established socket (rcv_nxt - bytes_received), one still in
 * the handshake (rcv_isn + 1, nothing received), or only a listener (this
 * segment would start the stream, as a SYN-cookie ACK does). 0 when the
 * socket cannot tell (not a local socket, TIME-WAIT).
 */
static __always_inline int sock_stream(struct pp_ctx *c, __u32 *start,
				       __u64 *received, __u64 *read)
{
	struct pp_pkt *p = c->p;
	struct bpf_sock_tuple t = {};
	struct tcp_request_sock *rq;
	struct tcp_sock *tp;
	struct bpf_sock *sk;
	__u32 sz;
	int r = 0;

	if (p->key.family == 4) {
		__builtin_memcpy(&t.ipv4.saddr, p->key.peer, 4);
		__builtin_memcpy(&t.ipv4.daddr, p->key.local, 4);
		t.ipv4.sport = p->key.peer_port;
		t.ipv4.dport = p->key.local_port;
		sz = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, p->key.peer, 16);
		__builtin_memcpy(t.ipv6.daddr, p->key.local, 16);
		t.ipv6.sport = p->key.peer_port;
		t.ipv6.dport = p->key.local_port;
		sz = sizeof(t.ipv6);
	}
	sk = bpf_skc_lookup_tcp(c->ctx, &t, sz, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	tp = bpf_skc_to_tcp_sock(sk);
	*read = 0;
	if (tp) {
		*received = tp->bytes_received;
		*start = tp->rcv_nxt - (__u32)*received;
		/* what the application read: received minus what waits in the
		 * queue (64-bit: a flow may be 4 GiB on) */
		*read = *received - (__u32)(tp->rcv_nxt - tp->copied_seq);
		r = 1;
	} else {
		rq = bpf_skc_to_tcp_request_sock(sk);
		if (rq) {
			*start = rq->rcv_isn + 1;
			*received = 0;
			r = 1;
		} else if (sk->state == BPF_TCP_LISTEN) {
			*start = p->seq;
			*received = 0;
			r = 1;
		}
	}
	bpf_sk_release(sk);
	return r;
}

/*
 * Has the application read the bytes a decided flow was judged on? Then a
 * segment that touches them again (a late retransmission, a flow that
 * wrapped past 4 GiB of sequence space) cannot change what it read: the
 * flow is settled and never checked again. Asked of the local socket
 * only when such a segment comes.
 */
static __always_inline int flow_settled(struct pp_ctx *c, struct pp_flow *f)
{
	__u64 received = 0, read = 0;
	__u32 start = 0;

	if (f->flags & PP_FF_SETTLED)
		return 1;
	if (!sock_stream(c, &start, &received, &read) || start != f->isn + 1 ||
	    read < f->have)
		return 0;
	f->flags |= PP_FF_SETTLED;
	return 1;
}

/*
 * A flow without state whose socket has received nothing yet: take the
 * stream's start from the socket and judge the segment as if the flow had
 * been followed from its SYN (a segment that begins before the start, junk
 * then a preamble, is trimmed as the socket will trim it).
 */
static __always_inline int adopt_flow(struct pp_ctx *c, __u32 start)
{
	struct pp_pkt *p = c->p;
	struct pp_scratch *s;
	struct pp_flow *f;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return PP_V_PASS;
	__builtin_memset(&s->flow, 0, sizeof(s->flow));
	s->flow.created_ns = bpf_ktime_get_ns();
	s->flow.isn = start - 1;
	s->flow.state = PP_FS_OPEN;
	s->flow.peer_class = peer_class(&p->key);
	s->flow.flags = PP_FF_ADOPTED;
	if (bpf_map_update_elem(&flows, &p->key, &s->flow, BPF_ANY)) {
		count(PP_STAT_MISC(PP_MISC_FLOW_CREATE_FAIL));
		return PP_V_DROP; /* cannot follow it: do not guess */
	}
	f = bpf_map_lookup_elem(&flows, &p->key);
	if (!f)
		return PP_V_DROP;
	return stream_segment(c, f, p->seq);
}

/*
 * No flow state (began before attach, or evicted by a flood), an
 * untrusted peer. First ask the local socket where its stream starts:
 * - it has received nothing: the flow is adopted and judged exactly;
 * - it has received fewer than 12 bytes that were never judged here (a
 *   signature prefix could be among them): new bytes are dropped
 *   (prefix_mismatch), retransmissions of old ones pass;
 * - it has received 12 bytes or more: its stream's start is settled (after
 *   the attach, a preamble never gets 5 (v1) or 12 (v2) bytes through), the
 *   segment passes.
 * Without a local socket to ask (ppguard in front of other hosts,
 * TIME-WAIT), a payload that starts with bytes that are or could become a
 * PROXY signature is a violation. That fallback catches a forged header at
 * the start of a segment, split at any point, one byte per segment; it
 * cannot catch a segment that begins before the stream's first byte (junk
 * the receiver trims, then the preamble), and it judges application data
 * that happens to start a segment with "P", "PR", "\r\n" as a preamble.
 */
static __always_inline int stateless(struct pp_ctx *c)
{
	struct pp_pkt *p = c->p;
	struct pp_judgement j = {};
	struct pp_scratch *s;
	__u32 zero = 0, n, start = 0;
	__u64 received = 0, read = 0;
	int r;

	count(PP_STAT_MISC(PP_MISC_MIDSTREAM));
	if (!p->pay_len && !(p->flags & TCPF_URG))
		return PP_V_PASS;
	if (peer_class(&p->key) & PP_PEER_TRUSTED)
		return PP_V_PASS;
	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return PP_V_PASS;
	if (p->flags & TCPF_URG) {
		/* Where the stream starts is unknown, so is where its urgent
		 * byte falls ("X" urgent, then "PROXY ..."): an untrusted
		 * peer's urgent pointer never reaches the socket. No entry:
		 * the flow stays stateless. */
		__builtin_memset(&s->flow, 0, sizeof(s->flow));
		s->flow.flags = PP_FF_MIDSTREAM;
		return mismatch(c, &s->flow);
	}
	if (!p->pay_len)
		return PP_V_PASS;
	if (sock_stream(c, &start, &received, &read)) {
		__s32 off = (__s32)(p->seq - start);

		if (!received)
			return adopt_flow(c, start);
		if (received >= PP_V2_SIG_LEN ||
		    off + (__s32)p->pay_len <= (__s32)received)
			return PP_V_PASS;
		__builtin_memset(&s->flow, 0, sizeof(s->flow));
		s->flow.flags = PP_FF_MIDSTREAM;
		return mismatch(c, &s->flow);
	}
	n = p->pay_len > PP_V2_SIG_LEN ? PP_V2_SIG_LEN : p->pay_len;
	n = ((n - 1) & (PP_PREFIX_LEN - 1)) + 1;
	if (load_payload(c, p->pay_off, s->buf.b, n))
		return PP_V_PASS;
	pp_judge_stateless(pp_detect(&s->buf, 0, n), &j);
	if (!j.decided)
		return PP_V_PASS;
	__builtin_memset(&s->hdr, 0, sizeof(s->hdr));
	s->hdr.version = s->buf.b[0] == 'P' ? PP_VER_1 : PP_VER_2;
	s->hdr.next_class = PP_CLASS_PROXY;
	__builtin_memset(&s->flow, 0, sizeof(s->flow));
	s->flow.flags = PP_FF_MIDSTREAM;
	s->flow.peer_class = PP_PEER_UNTRUSTED;
	r = violation(c, &s->flow, j.reason, &s->hdr, NULL);
	if (r != PP_V_PASS) {
		/* remember the verdict: its retransmissions are dropped with
		 * one lookup */
		s->flow.created_ns = bpf_ktime_get_ns();
		bpf_map_update_elem(&flows, &p->key, &s->flow, BPF_ANY);
	}
	return r;
}

static __always_inline int new_flow(struct pp_ctx *c)
{
	struct pp_pkt *p = c->p;
	struct pp_scratch *s;
	struct pp_flow *f;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&scratch, &zero);
	if (!s)
		return PP_V_PASS;
	__builtin_memset(&s->flow, 0, sizeof(s->flow));
	s->flow.created_ns = bpf_ktime_get_ns();
	s->flow.isn = p->seq;
	s->flow.state = PP_FS_SYN;
	s->flow.peer_class = peer_class(&p->key);
	if (p->pay_len)
		s->flow.flags |= PP_FF_SYN_DATA;
	if (bpf_map_update_elem(&flows, &p->key, &s->flow, BPF_ANY)) {
		count(PP_STAT_MISC(PP_MISC_FLOW_CREATE_FAIL));
		return PP_V_PASS;
	}
	if (!p->pay_len)
		return PP_V_PASS;
	/* TCP Fast Open: the SYN's data is the stream's first bytes */
	f = bpf_map_lookup_elem(&flows, &p->key);
	if (!f)
		return PP_V_PASS;
	return stream_segment(c, f, p->seq + 1);
}

static __always_inline int pp_core(struct pp_ctx *c)
{
	struct pp_pkt *p = c->p;
	struct pp_port_policy *pol;
	struct pp_flow *f;
	__u32 port = p->dport;
	int v;

	pol = c->pol; /* found by fast_pass() for a plain frame */
	if (!pol)
		pol = bpf_map_lookup_elem(&ports, &port);
	if (!pol || !pol->inspect) {
		count(PP_STAT_PATH(PP_PATH_FAST));
		return PP_V_PASS;
	}
	c->pol = pol;

	if (p->frag != PP_FRAG_NONE) {
		/* The first fragment carries the TCP header; dropping it
		 * makes reassembly fail. Later ones have no ports: they wait
		 * in the reassembly queue and expire. */
		if (p->frag == PP_FRAG_LATER ||
		    (peer_class(&p->key) & PP_PEER_TRUSTED))
			return PP_V_PASS;
		count(PP_STAT_PATH(PP_PATH_INSPECTED));
		decide(c, NULL, PP_R_FRAGMENT, PP_ACT_DROP, NULL, NULL);
		return PP_V_DROP;
	}

	f = bpf_map_lookup_elem(&flows, &p->key);
	/* An urgent byte among the bytes a verdict rests on (the judged
	 * prefix of a decided flow, the window of an undecided one) would
	 * make the application read other bytes than the ones judged. */
	if (f && (p->flags & TCPF_URG) && f->state != PP_FS_BLOCKED &&
	    !(p->flags & (TCPF_SYN | TCPF_RST)) &&
	    urgent_in(p, f->isn,
		      f->state == PP_FS_PASS ? f->have : PP_PREFIX_LEN) &&
	    !(f->state == PP_FS_PASS && flow_settled(c, f)))
		return mismatch(c, f);
	if (f && f->state == PP_FS_PASS &&
	    !(p->flags & (TCPF_SYN | TCPF_RST))) {
		count(PP_STAT_PATH(PP_PATH_FLOW_HIT));
		/* A decided flow still checks a segment that overlaps the
		 * bytes it was judged on: the segment judged may never have
		 * reached the socket (bad checksum, PAWS), and a second one
		 * at the same offset must not carry other bytes. One
		 * subtraction for everything past the prefix. */
		if (p->pay_len && !(f->flags & PP_FF_SETTLED) &&
		    touches_prefix(p->seq, p->pay_len, f->isn, f->have) &&
		    !flow_settled(c, f))
			return stream_segment(c, f, p->seq);
		if (p->flags & TCPF_FIN)
			bpf_map_delete_elem(&flows, &p->key);
		return PP_V_PASS;
	}
	if (f && f->state == PP_FS_BLOCKED &&
	    !(p->flags & (TCPF_SYN | TCPF_RST))) {
		count(PP_STAT_PATH(PP_PATH_FLOW_HIT));
		return PP_V_DROP;
	}

	if (p->flags & TCPF_RST) {
		/* Ends a passed flow, or a trusted peer's. An untrusted
		 * peer's undecided or blocked flow stays: nothing here says
		 * the server accepts this RST (any sequence number gets
		 * here), and without the entry what follows would be judged
		 * mid-stream, where "P", RST, "ROXY ..." passes. */
		if (f && (f->state == PP_FS_PASS ||
			  (f->peer_class & PP_PEER_TRUSTED)))
			bpf_map_delete_elem(&flows, &p->key);
		return PP_V_PASS;
	}

	count(PP_STAT_PATH(PP_PATH_INSPECTED));
	if ((p->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
		if (is_blocked(&p->key)) {
			decide(c, NULL, PP_R_BLOCKED_SOURCE, PP_ACT_DROP, NULL,
			       NULL);
			return PP_V_DROP;
		}
		if (f && f->state != PP_FS_PASS) {
			/* a retransmitted SYN keeps the flow (and its TFO
			 * bytes); a blocked one stays blocked */
			if (f->isn == p->seq) {
				if (f->state == PP_FS_BLOCKED)
					return PP_V_DROP;
				return stream_segment(c, f, p->seq + 1);
			}
			/* Another ISN over an untrusted peer's flow not
			 * decided pass: the server keeps its own ISN (a SYN
			 * on a live connection only draws a challenge ACK),
			 * so judging again from an ISN the peer picks would
			 * let it put a preamble at the stream's real start
			 * (SYN at ISN-100 with 5 junk bytes: no_header, pass;
			 * then "PROXY ..." at ISN+1). Not a new connection. */
			if (!(f->peer_class & PP_PEER_TRUSTED)) {
				count(PP_STAT_MISC(PP_MISC_OOO_DROPPED));
				return PP_V_DROP;
			}
		} else if (f && f->isn != p->seq &&
			   !(f->peer_class & PP_PEER_TRUSTED) &&
			   (__s32)(p->seq - (f->isn + 1 + f->have)) <= 0) {
			/* A decided flow is replaced only by a SYN whose ISN
			 * lies after the old stream, as a receiver in
			 * TIME-WAIT requires: the bytes the flow was judged
			 * on may never have reached the socket (bad
			 * checksum), and a SYN at ISN-5 would otherwise let
			 * "xxxxxPROXY ..." at ISN-4 be judged from offset 0
			 * while the socket trims it to "PROXY ...". A client
			 * that closed cleanly (FIN, RST) left no entry. */
			count(PP_STAT_MISC(PP_MISC_OOO_DROPPED));
			return PP_V_DROP;
		}
		return new_flow(c);
	}
	if (!f) {
		if (is_blocked(&p->key))
			return PP_V_DROP;
		return stateless(c);
	}

	if (f->state == PP_FS_SYN) {
		/* The first segment after the SYN must continue it: at ISN+1,
		 * or after the SYN's own data. Anything else is not a TCP
		 * stack talking to this flow (a receiver in SYN-cookie mode
		 * would take its sequence number as the stream's start). */
		__s32 d = (__s32)(p->seq - (f->isn + 1));

		if (d < 0 || d > (__s32)f->have) {
			count(PP_STAT_MISC(PP_MISC_OOO_DROPPED));
			return PP_V_DROP;
		}
		f->state = PP_FS_OPEN;
	}
	v = stream_segment(c, f, p->seq);
	/* FIN: a passed flow ends; so does an untrusted peer's undecided one
	 * (no byte can follow to complete a preamble; a bogus FIN only sends
	 * what comes next to the socket-assisted stateless path) */
	if ((p->flags & TCPF_FIN) && v == PP_V_PASS &&
	    (f->state == PP_FS_PASS ||
	     (!(f->peer_class & PP_PEER_TRUSTED) &&
	      (f->state == PP_FS_OPEN || f->state == PP_FS_SYN))))
		bpf_map_delete_elem(&flows, &p->key);
	return v;
}

/* ---- TC ---- */

/* Pass = TC_ACT_UNSPEC, not TC_ACT_OK: in direct-action mode TC_ACT_OK ends
 * the clsact chain, and filters after ppguard's would never see what it
 * passes. UNSPEC hands the packet on to them (and to the stack if none). */
#define PP_TC_PASS TC_ACT_UNSPEC

/* Turn the segment into a RST to the local socket: flags byte to RST|ACK,
 * TCP checksum fixed incrementally. The payload stays: a receiver ignores
 * the data of a RST, and leaving it avoids recomputing the checksum over
 * bytes that may not be linear. The sequence number is the segment's own:
 * the first data segment matches the receiver's rcv_nxt (RFC 5961). */
static __always_inline int tc_reset(struct __sk_buff *skb, struct pp_pkt *p)
{
	__u32 off = p->l4_off + 12; /* doff/reserved + flags: one 16-bit word */
	__u16 oldw, neww;

	if (bpf_skb_load_bytes(skb, off, &oldw, 2))
		return TC_ACT_SHOT;
	neww = oldw;
	((__u8 *)&neww)[1] = TCPF_RST | TCPF_ACK;
	if (bpf_l4_csum_replace(skb, p->l4_off + 16, oldw, neww, 2))
		return TC_ACT_SHOT;
	if (bpf_skb_store_bytes(skb, off, &neww, 2, 0))
		return TC_ACT_SHOT;
	count(PP_STAT_PATH(PP_PATH_RESET));
	return PP_TC_PASS;
}

SEC("tc")
int ppguard_tc(struct __sk_buff *skb)
{
	struct pp_pkt p = {};
	struct pp_ctx c = {.ctx = skb, .hook = PP_HOOK_TC};
	__u32 linear = skb->data_end - skb->data;
	int v;

	if (fast_pass((void *)(long)skb->data, (void *)(long)skb->data_end,
		      &c.pol))
		goto fast;
	if (pp_pkt_tc(skb, &p) || p.opaque) {
		/* Headers not in the linear area (rare): pull and retry. */
		if (skb->len > linear &&
		    !bpf_skb_pull_data(skb, skb->len < 256 ? skb->len : 256)) {
			__builtin_memset(&p, 0, sizeof(p));
			if (pp_pkt_tc(skb, &p))
				goto fast;
		} else if (!p.opaque) {
			goto fast;
		}
	}
	/* A TCP header that cannot be read (a tiny first fragment, an IPv6
	 * header chain longer than the walk): its port is unknown, so it is
	 * dropped unless the source is trusted. */
	if (p.tiny_frag || p.opaque) {
		if (peer_class(&p.key) & PP_PEER_TRUSTED)
			return PP_TC_PASS;
		count(PP_STAT_PATH(PP_PATH_DROPPED));
		return TC_ACT_SHOT;
	}
	c.p = &p;
	c.ifindex = skb->ifindex;
	v = pp_core(&c);
	if (v == PP_V_PASS)
		return PP_TC_PASS;
	if (v == PP_V_RESET)
		return tc_reset(skb, &p);
	count(PP_STAT_PATH(PP_PATH_DROPPED));
	return TC_ACT_SHOT;
fast:
	count(PP_STAT_PATH(PP_PATH_FAST));
	return PP_TC_PASS;
}

/* ---- XDP ---- */

static __always_inline __u16 csum_fold_add(__u16 csum, __u16 old, __u16 new)
{
	/* RFC 1624: HC' = ~(~HC + ~m + m') */
	__u32 s = (__u16)~csum + (__u16)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s;
}

static __always_inline int xdp_reset(struct xdp_md *ctx, struct pp_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 off = p->l4_off & 0x3ff;
	struct tcphdr *th = data + off;
	__u16 *w, oldw, neww;

	if ((void *)(th + 1) > data_end)
		return XDP_DROP;
	w = (__u16 *)((__u8 *)th + 12);
	oldw = *w;
	neww = oldw;
	((__u8 *)&neww)[1] = TCPF_RST | TCPF_ACK;
	*w = neww;
	th->check = csum_fold_add(th->check, oldw, neww);
	count(PP_STAT_PATH(PP_PATH_RESET));
	return XDP_PASS;
}

SEC("xdp")
int ppguard_xdp(struct xdp_md *ctx)
{
	struct pp_pkt p = {};
	struct pp_ctx c = {.ctx = ctx, .hook = PP_HOOK_XDP};
	int v;

	if (fast_pass((void *)(long)ctx->data, (void *)(long)ctx->data_end,
		      &c.pol) ||
	    pp_pkt_xdp(ctx, &p)) {
		count(PP_STAT_PATH(PP_PATH_FAST));
		return XDP_PASS;
	}
	if (p.tiny_frag || p.opaque) {
		if (peer_class(&p.key) & PP_PEER_TRUSTED)
			return XDP_PASS;
		count(PP_STAT_PATH(PP_PATH_DROPPED));
		return XDP_DROP;
	}
	c.p = &p;
	c.ifindex = ctx->ingress_ifindex;
	v = pp_core(&c);
	if (v == PP_V_PASS)
		return XDP_PASS;
	if (v == PP_V_RESET)
		return xdp_reset(ctx, &p);
	count(PP_STAT_PATH(PP_PATH_DROPPED));
	return XDP_DROP;
}

char _license[] SEC("license") = "GPL";
