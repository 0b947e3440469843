// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard inspect: read a pcap or pcapng capture with libpcap and sort its
 * TCP segments into connections. Link layers: Ethernet (with 802.1Q/802.1ad
 * tags), Linux cooked v1 and v2 (`tcpdump -i any`), raw IP, BSD loopback.
 * IPv4 and IPv6 (extension headers skipped). IP fragments are counted, not
 * reassembled.
 *
 * Only the client's segments are kept (with their bytes when they fall in
 * the first PP_INSP_STREAM_MAX bytes of its stream); the server's are
 * counted. The client is the sender of the SYN, or the receiver of the
 * SYN-ACK; with neither in the capture, it is a guess (the side with the
 * higher port), checked at the end against the listeners seen.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <pcap/pcap.h>

#include "inspect.h"
#include "log.h"

#define ETH_HLEN 14
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88A8
#define ETHERTYPE_QINQ_OLD 0x9100
#define MAX_VLAN 4
#define MAX_EXTHDR 8

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* One decoded TCP segment */
struct pkt {
	__u8 ipver;
	__u8 src[16], dst[16];
	__u16 sport, dport;
	__u32 seq, ack;
	__u8 flags;
	__u16 urg_ptr;
	__u16 vlan;
	const __u8 *pay;
	__u32 paylen; /* from the IP length */
	__u32 caplen; /* captured payload bytes */
	__u64 ts_us;
	__u32 no;
};

static __u16 rd16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static __u32 rd32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

/* ---- link layer: where the IP header starts, and its ethertype ---- */

static int skip_vlans(const __u8 **p, __u32 *n, __u16 *proto, __u16 *vlan,
		      struct pp_insp_capture *cap)
{
	int i, tagged = 0;

	for (i = 0; i < MAX_VLAN; i++) {
		if (*proto != ETHERTYPE_VLAN && *proto != ETHERTYPE_QINQ &&
		    *proto != ETHERTYPE_QINQ_OLD)
			break;
		if (*n < 4)
			return -1;
		if (!tagged)
			*vlan = rd16(*p) & 0x0fff;
		tagged = 1;
		*proto = rd16(*p + 2);
		*p += 4;
		*n -= 4;
	}
	if (tagged)
		cap->vlan++;
	return 0;
}

static int link_decode(int dlt, const __u8 **p, __u32 *n, __u16 *proto,
		       __u16 *vlan, struct pp_insp_capture *cap)
{
	__u32 fam;

	switch (dlt) {
	case DLT_EN10MB:
		if (*n < ETH_HLEN)
			return -1;
		*proto = rd16(*p + 12);
		*p += ETH_HLEN;
		*n -= ETH_HLEN;
		break;
	case DLT_LINUX_SLL: /* 16 bytes, protocol last */
		if (*n < 16)
			return -1;
		*proto = rd16(*p + 14);
		*p += 16;
		*n -= 16;
		break;
	case DLT_LINUX_SLL2: /* 20 bytes, protocol first */
		if (*n < 20)
			return -1;
		*proto = rd16(*p);
		*p += 20;
		*n -= 20;
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (*n < 1)
			return -1;
		*proto = (**p >> 4) == 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IP;
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		/* address family, host order (NULL) or network order (LOOP):
		 * 2 is AF_INET everywhere; IPv6 is 10, 24, 28 or 30 */
		if (*n < 4)
			return -1;
		fam = rd32(*p);
		if (fam > 0xffff)
			fam = __builtin_bswap32(fam);
		*p += 4;
		*n -= 4;
		if (fam == 2)
			*proto = ETHERTYPE_IP;
		else if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			*proto = ETHERTYPE_IPV6;
		else
			*proto = 0;
		return 0;
	default:
		return -1;
	}
	return skip_vlans(p, n, proto, vlan, cap);
}

static int link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_NULL:
	case DLT_LOOP:
		return 1;
	}
	return 0;
}

/* ---- IP and TCP ---- */

enum { DEC_OK = 0, DEC_NOT_IP, DEC_NOT_TCP, DEC_FRAG, DEC_BAD };

/* p, n: the IP header and the bytes captured from it; wire: bytes of the
 * frame on the wire from the same point (snaplen may have cut n). */
static int ip_decode(__u16 proto, const __u8 *p, __u32 n, struct pkt *k)
{
	__u32 l3len, hl, doff, i;
	__u8 nh;

	if (proto == ETHERTYPE_IP) {
		if (n < 20 || (p[0] >> 4) != 4)
			return DEC_BAD;
		hl = (p[0] & 0xf) * 4u;
		if (hl < 20 || n < hl)
			return DEC_BAD;
		l3len = rd16(p + 2);
		if (l3len < hl)
			return DEC_BAD;
		if (p[9] != 6)
			return DEC_NOT_TCP;
		if (rd16(p + 6) & 0x3fff) /* MF or an offset */
			return DEC_FRAG;
		k->ipver = 4;
		memcpy(k->src, p + 12, 4);
		memcpy(k->dst, p + 16, 4);
		l3len -= hl;
	} else if (proto == ETHERTYPE_IPV6) {
		if (n < 40 || (p[0] >> 4) != 6)
			return DEC_BAD;
		k->ipver = 6;
		memcpy(k->src, p + 8, 16);
		memcpy(k->dst, p + 24, 16);
		l3len = rd16(p + 4);
		nh = p[6];
		hl = 40;
		for (i = 0; i < MAX_EXTHDR && nh != 6; i++) {
			__u32 el;

			if (n < hl + 8)
				return DEC_BAD;
			switch (nh) {
			case 0:	 /* hop-by-hop */
			case 43: /* routing */
			case 60: /* destination options */
				el = (p[hl + 1] + 1u) * 8;
				break;
			case 51: /* AH */
				el = (p[hl + 1] + 2u) * 4;
				break;
			case 44: /* fragment */
				return DEC_FRAG;
			default:
				return DEC_NOT_TCP;
			}
			if (l3len < el)
				return DEC_BAD;
			nh = p[hl];
			hl += el;
			l3len -= el;
		}
		if (nh != 6)
			return DEC_NOT_TCP;
	} else {
		return DEC_NOT_IP;
	}
	/* TCP */
	if (n < hl + 20 || l3len < 20)
		return DEC_BAD;
	p += hl;
	n -= hl;
	doff = (p[12] >> 4) * 4u;
	if (doff < 20 || doff > l3len || n < doff)
		return DEC_BAD;
	k->sport = rd16(p);
	k->dport = rd16(p + 2);
	k->seq = rd32(p + 4);
	k->ack = rd32(p + 8);
	k->flags = p[13];
	k->urg_ptr = rd16(p + 18);
	k->pay = p + doff;
	k->paylen = l3len - doff;
	k->caplen = n - doff < k->paylen ? n - doff : k->paylen;
	return DEC_OK;
}

/* ---- connections ---- */

static size_t addr_len(int ipver)
{
	return ipver == 4 ? 4 : 16;
}

static __u32 hash_tuple(int ipver, const __u8 *a, __u16 ap, const __u8 *b,
			__u16 bp)
{
	/* symmetric: both directions land in the same bucket */
	__u32 h = 2166136261u, x = 2166136261u;
	size_t i, n = addr_len(ipver);

	for (i = 0; i < n; i++) {
		h = (h ^ a[i]) * 16777619u;
		x = (x ^ b[i]) * 16777619u;
	}
	h = (h ^ ap) * 16777619u;
	x = (x ^ bp) * 16777619u;
	return (h ^ x) + (__u32)ipver;
}

static int same_end(int ipver, const __u8 *a, __u16 ap, const __u8 *b, __u16 bp)
{
	return ap == bp && !memcmp(a, b, addr_len(ipver));
}

/* 1: k goes from client to server, 0: the other way, -1: not this conn */
static int conn_dir(const struct pp_insp_conn *c, const struct pkt *k)
{
	if (c->ipver != k->ipver)
		return -1;
	if (same_end(k->ipver, c->cli, c->cport, k->src, k->sport) &&
	    same_end(k->ipver, c->srv, c->sport, k->dst, k->dport))
		return 1;
	if (same_end(k->ipver, c->srv, c->sport, k->src, k->sport) &&
	    same_end(k->ipver, c->cli, c->cport, k->dst, k->dport))
		return 0;
	return -1;
}

static int hash_grow(struct pp_insp *in)
{
	size_t ns = in->hsize ? in->hsize * 2 : 1024, i;
	struct pp_insp_conn **nh = calloc(ns, sizeof(*nh));

	if (!nh)
		return -ENOMEM;
	for (i = 0; i < in->hsize; i++) {
		struct pp_insp_conn *c = in->hash[i], *next;

		for (; c; c = next) {
			__u32 b = hash_tuple(c->ipver, c->cli, c->cport, c->srv,
					     c->sport) &
				  (__u32)(ns - 1);

			next = c->hnext;
			c->hnext = nh[b];
			nh[b] = c;
		}
	}
	free(in->hash);
	in->hash = nh;
	in->hsize = ns;
	return 0;
}

static struct pp_insp_conn **bucket(struct pp_insp *in, const struct pkt *k)
{
	__u32 b = hash_tuple(k->ipver, k->src, k->sport, k->dst, k->dport);

	return &in->hash[b & (__u32)(in->hsize - 1)];
}

static struct pp_insp_conn *conn_find(struct pp_insp *in, const struct pkt *k,
				      int *dir)
{
	struct pp_insp_conn *c;

	for (c = *bucket(in, k); c; c = c->hnext) {
		*dir = conn_dir(c, k);
		if (*dir >= 0)
			return c;
	}
	return NULL;
}

static void conn_unhash(struct pp_insp *in, struct pp_insp_conn *c)
{
	struct pkt k = {
		.ipver = c->ipver, .sport = c->cport, .dport = c->sport};
	struct pp_insp_conn **pp;

	memcpy(k.src, c->cli, 16);
	memcpy(k.dst, c->srv, 16);
	for (pp = bucket(in, &k); *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			c->hnext = NULL;
			return;
		}
	}
}

/* A new connection; client_is_src: the packet's sender is the client. */
static struct pp_insp_conn *conn_new(struct pp_insp *in, const struct pkt *k,
				     int client_is_src)
{
	struct pp_insp_conn *c, **b;

	if (in->n * 2 >= in->hsize && hash_grow(in))
		return NULL;
	if (in->n == in->capn) {
		size_t nc = in->capn ? in->capn * 2 : 256;
		struct pp_insp_conn **v = realloc(in->conns, nc * sizeof(*v));

		if (!v)
			return NULL;
		in->conns = v;
		in->capn = nc;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = (__u32)in->n + 1;
	c->ipver = k->ipver;
	if (client_is_src) {
		memcpy(c->cli, k->src, 16);
		memcpy(c->srv, k->dst, 16);
		c->cport = k->sport;
		c->sport = k->dport;
	} else {
		memcpy(c->cli, k->dst, 16);
		memcpy(c->srv, k->src, 16);
		c->cport = k->dport;
		c->sport = k->sport;
	}
	c->vlan = k->vlan;
	c->first_us = k->ts_us;
	c->window = PP_INSP_WINDOW;
	in->conns[in->n++] = c;
	b = bucket(in, k);
	c->hnext = *b;
	*b = c;
	return c;
}

/* A v2 header longer than the window at the start of the stream: keep it
 * all, and PP_INSP_AFTER_HDR bytes after it. */
static void window_grow(struct pp_insp_conn *c, const __u8 *p, __u32 n)
{
	static const __u8 sig[PP_V2_SIG_LEN] = {0x0D, 0x0A, 0x0D, 0x0A,
						0x00, 0x0D, 0x0A, 0x51,
						0x55, 0x49, 0x54, 0x0A};
	__u32 want;

	if (n < PP_V2_HDR_LEN || memcmp(p, sig, sizeof(sig)))
		return;
	want = PP_V2_HDR_LEN + rd16(p + 14) + PP_INSP_AFTER_HDR;
	if (want > PP_INSP_STREAM_MAX)
		want = PP_INSP_STREAM_MAX;
	if (want > c->window)
		c->window = want;
}

/* Keep a client segment: its bytes when they can be part of the first
 * c->window bytes of the stream. */
static int seg_add(struct pp_insp_conn *c, const struct pkt *k, __u32 seq)
{
	struct pp_insp_seg *s;
	__u32 keep = k->caplen;

	if (c->isn_known) {
		__s32 off = (__s32)(seq - (c->isn + 1));

		if (off == 0)
			window_grow(c, k->pay, k->caplen);
		if (off >= (__s32)c->window)
			return 0; /* past the window */
		if ((__s64)keep > (__s64)c->window - off)
			keep = (__u32)((__s64)c->window - off);
	} else if (c->nsegs >= PP_INSP_MIDSTREAM_SEGS) {
		return 0;
	} else if (keep > c->window) {
		keep = c->window;
	}
	if (c->nsegs == c->capsegs) {
		size_t nc = c->capsegs ? c->capsegs * 2 : 8;
		struct pp_insp_seg *v = realloc(c->segs, nc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->segs = v;
		c->capsegs = nc;
	}
	s = &c->segs[c->nsegs];
	memset(s, 0, sizeof(*s));
	s->ts_us = k->ts_us;
	s->seq = seq;
	s->len = k->paylen;
	s->caplen = k->caplen;
	s->kept = keep;
	s->pkt = k->no;
	s->flags = k->flags;
	s->urg_ptr = k->urg_ptr;
	if (keep) {
		s->data = malloc(keep);
		if (!s->data)
			return -ENOMEM;
		memcpy(s->data, k->pay, keep);
	}
	c->nsegs++;
	return 0;
}

static void conn_free(struct pp_insp_conn *c)
{
	size_t i;

	for (i = 0; i < c->nsegs; i++)
		free(c->segs[i].data);
	free(c->segs);
	free(c->stream);
	free(c->bounds);
	if (c->tlvs)
		json_object_put(c->tlvs);
	free(c);
}

/* Swap client and server of a guessed connection. Its kept segments were
 * the guessed client's: drop them (they are the server's bytes). */
static void conn_swap(struct pp_insp_conn *c)
{
	__u8 a[16];
	__u16 p;
	__u64 b;
	size_t i;

	memcpy(a, c->cli, 16);
	memcpy(c->cli, c->srv, 16);
	memcpy(c->srv, a, 16);
	p = c->cport;
	c->cport = c->sport;
	c->sport = p;
	b = c->cli_bytes;
	c->cli_bytes = c->srv_bytes;
	c->srv_bytes = b;
	for (i = 0; i < c->nsegs; i++)
		free(c->segs[i].data);
	c->nsegs = 0;
}

static int on_tcp(struct pp_insp *in, const struct pkt *k)
{
	int syn = (k->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
	int synack = (k->flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
	struct pp_insp_conn *c;
	int dir = -1;

	if (!in->hsize && hash_grow(in))
		return -ENOMEM;
	c = conn_find(in, k, &dir);
	/* A SYN with another ISN on a known tuple: a new connection
	 * (port reuse), unless the one there is only the SYN so far */
	if (c && syn && (!c->isn_known || c->isn != k->seq || dir != 1)) {
		conn_unhash(in, c);
		c = NULL;
	}
	if (!c) {
		if (syn || synack) {
			c = conn_new(in, k, syn);
		} else {
			/* mid-stream: the higher port is the client's */
			c = conn_new(in, k, k->sport > k->dport);
			if (c)
				c->guessed = 1;
		}
		if (!c)
			return -ENOMEM;
		dir = conn_dir(c, k);
	}
	c->packets++;
	c->last_us = k->ts_us;
	if (dir == 1) {
		__u32 seq = k->seq;

		if (syn) {
			c->syn = 1;
			c->isn_known = 1;
			c->isn = k->seq;
			c->guessed = 0;
			seq = k->seq + 1; /* data in a SYN follows the SYN */
		}
		if (k->flags & TCP_FIN)
			c->cli_fin = 1;
		if (k->flags & TCP_RST)
			c->rst = 1;
		c->cli_bytes += k->paylen;
		if (k->paylen)
			return seg_add(c, k, seq);
	} else {
		if (synack) {
			c->synack = 1;
			c->guessed = 0;
			if (!c->isn_known) {
				c->isn_known = 1;
				c->isn = k->ack - 1;
			}
		}
		if (k->flags & TCP_FIN)
			c->srv_fin = 1;
		if (k->flags & TCP_RST)
			c->rst = 1;
		c->srv_bytes += k->paylen;
	}
	return 0;
}

/* Guessed directions: a side that is a listener elsewhere in the capture
 * (received a SYN) is the server. */
static void fix_guesses(struct pp_insp *in)
{
	size_t i, j;

	for (i = 0; i < in->n; i++) {
		struct pp_insp_conn *c = in->conns[i];
		int cli_listens = 0, srv_listens = 0;

		if (!c->guessed)
			continue;
		for (j = 0; j < in->n; j++) {
			const struct pp_insp_conn *o = in->conns[j];

			if (o->guessed || o->ipver != c->ipver)
				continue;
			if (same_end(c->ipver, o->srv, o->sport, c->cli,
				     c->cport))
				cli_listens = 1;
			if (same_end(c->ipver, o->srv, o->sport, c->srv,
				     c->sport))
				srv_listens = 1;
		}
		if (cli_listens && !srv_listens)
			conn_swap(c);
	}
}

static const char *capture_format(const char *path)
{
	__u8 m[4] = {0};
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return "pcap";
	n = fread(m, 1, sizeof(m), f);
	fclose(f);
	if (n == 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d &&
	    m[3] == 0x0a)
		return "pcapng";
	return "pcap";
}

int pp_insp_read(const char *path, struct pp_insp *in)
{
	struct pp_insp_capture *cap = &in->cap;
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_pkthdr *ph;
	const __u8 *data;
	pcap_t *p;
	FILE *f;
	int r, err = 0;

	memset(in, 0, sizeof(*in));
	cap->path = path;
	/* libpcap's message for a missing file is fine, but say which
	 * problem it is before it guesses at formats */
	f = fopen(path, "rb");
	if (!f) {
		err = -errno;
		pr_warn("cannot open %s: %s\n", path, strerror(errno));
		return err;
	}
	p = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (!p) {
		fclose(f);
		pr_warn("%s: not a readable pcap or pcapng capture: %s\n", path,
			errbuf[0] ? errbuf : "unknown error");
		return -EINVAL;
	}
	cap->format = capture_format(path);
	cap->dlt = pcap_datalink(p);
	cap->linktype = pcap_datalink_val_to_name(cap->dlt);
	if (!cap->linktype)
		cap->linktype = "unknown";
	cap->snaplen = (__u32)pcap_snapshot(p);
	if (!link_supported(cap->dlt)) {
		pr_warn("%s: link type %s (%d) is not supported (Ethernet, "
			"Linux cooked v1/v2, raw IP and loopback are)\n",
			path, cap->linktype, cap->dlt);
		pcap_close(p);
		return -EPROTONOSUPPORT;
	}

	while ((r = pcap_next_ex(p, &ph, &data)) == 1) {
		const __u8 *q = data;
		__u32 n = ph->caplen;
		struct pkt k = {0};
		__u16 proto = 0;
		int d;

		cap->packets++;
		k.no = (__u32)cap->packets;
		k.ts_us = (__u64)ph->ts.tv_sec * 1000000ULL +
			  (__u64)ph->ts.tv_usec;
		if (!cap->first_us)
			cap->first_us = k.ts_us;
		cap->last_us = k.ts_us;
		if (ph->caplen < ph->len)
			cap->short_pkts++;
		if (link_decode(cap->dlt, &q, &n, &proto, &k.vlan, cap)) {
			cap->bad++;
			continue;
		}
		d = ip_decode(proto, q, n, &k);
		switch (d) {
		case DEC_OK:
			cap->tcp++;
			err = on_tcp(in, &k);
			break;
		case DEC_NOT_IP:
			cap->not_ip++;
			break;
		case DEC_NOT_TCP:
			cap->not_tcp++;
			break;
		case DEC_FRAG:
			cap->fragments++;
			break;
		default:
			cap->bad++;
		}
		if (err) {
			pr_warn("%s: %s\n", path, strerror(-err));
			pcap_close(p);
			return err;
		}
	}
	if (r == PCAP_ERROR) {
		/* e.g. "truncated dump file; tried to read 66 captured bytes,
		 * only got 20": keep what was read, say so */
		cap->file_truncated = 1;
		snprintf(cap->file_error, sizeof(cap->file_error), "%s",
			 pcap_geterr(p));
	}
	pcap_close(p);
	fix_guesses(in);
	return 0;
}

void pp_insp_free(struct pp_insp *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		conn_free(in->conns[i]);
	free(in->conns);
	free(in->hash);
	memset(in, 0, sizeof(*in));
}
