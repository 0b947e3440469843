// SPDX-License-Identifier: GPL-2.0
/*
 * Connection events for the daemon benchmark (tests/bench/daemon.sh): runs
 * the attached ppguard TC program (by id) with BPF_PROG_TEST_RUN on a SYN
 * and a first data segment per connection, each connection from its own
 * source address and port, so every pair is one decision and one event in
 * the pinned ring buffer that a running `ppguard run` drains.
 *
 * Connection i comes from 198.18.128.0/17: with -t T, the first T percent
 * of every hundred from 198.18.128.0/18 (the trusted prefix of the
 * benchmark's config) with a v2 header carrying ALPN, AUTHORITY and CRC32C
 * TLVs, the others from 198.18.192.0/18 with a forged v1 header.
 *
 * Usage: daemon_gen -p PROG_ID -n EVENTS [-P PORT] [-t TRUSTED%] [-s SEED]
 *                   [-i IFINDEX]
 * Prints "events N seconds S rate R" (events submitted per second).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define PKT_MAX 256

struct pkt {
	__u8 b[PKT_MAX];
	__u32 len;
};

static const __u8 v2_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* CRC32C (Castagnoli), bitwise: a few thousand headers, speed irrelevant */
static __u32 crc32c(const __u8 *p, size_t n)
{
	__u32 c = ~0u;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & -(c & 1));
	}
	return ~c;
}

static __u16 csum(const void *p, size_t n)
{
	const __u8 *b = p;
	__u32 s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (n & 1)
		s += b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons(~s);
}

static void build(struct pkt *k, __u32 saddr, __u32 daddr, __u16 sport,
		  __u16 dport, __u32 seq, __u8 flags, const __u8 *pay,
		  __u32 plen)
{
	struct ethhdr *eth = (void *)k->b;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);

	memset(k->b, 0, sizeof(k->b));
	eth->h_proto = htons(ETH_P_IP);
	memcpy(eth->h_dest, "\x02\0\0\0\0\x02", 6);
	memcpy(eth->h_source, "\x02\0\0\0\0\x01", 6);
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->tot_len = htons(sizeof(*ip) + sizeof(*th) + plen);
	ip->check = csum(ip, sizeof(*ip));
	th->source = htons(sport);
	th->dest = htons(dport);
	th->seq = htonl(seq);
	th->doff = 5;
	((__u8 *)th)[13] = flags;
	th->window = htons(64240);
	memcpy(th + 1, pay, plen);
	k->len = sizeof(*eth) + sizeof(*ip) + sizeof(*th) + plen;
}

static __u32 tlv(__u8 *p, __u8 type, const void *v, __u16 len)
{
	p[0] = type;
	p[1] = len >> 8;
	p[2] = len;
	memcpy(p + 3, v, len);
	return 3 + len;
}

/* A v2 PROXY header (ALPN, AUTHORITY, CRC32C) and a request after it. */
static __u32 v2_payload(__u8 *p, __u32 client, __u32 server, __u16 cport,
			__u16 sport)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	__u32 off = 16, crc_at, n;
	__u8 zero[4] = {0};

	memcpy(p, v2_sig, 12);
	p[12] = 0x21; /* v2, PROXY */
	p[13] = 0x11; /* INET, STREAM */
	memcpy(p + off, &client, 4);
	memcpy(p + off + 4, &server, 4);
	p[off + 8] = cport >> 8;
	p[off + 9] = cport;
	p[off + 10] = sport >> 8;
	p[off + 11] = sport;
	off += 12;
	off += tlv(p + off, 0x01, "h2", 2);
	off += tlv(p + off, 0x02, "bench.ppguard.test", 18);
	crc_at = off + 3;
	off += tlv(p + off, 0x03, zero, 4);
	p[14] = (off - 16) >> 8;
	p[15] = off - 16;
	n = htonl(crc32c(p, off));
	memcpy(p + crc_at, &n, 4);
	memcpy(p + off, req, sizeof(req) - 1);
	return off + sizeof(req) - 1;
}

static __u32 v1_payload(__u8 *p)
{
	static const char s[] = "PROXY TCP4 203.0.113.9 198.18.0.1 4000 80\r\n"
				"GET / HTTP/1.0\r\n\r\n";

	memcpy(p, s, sizeof(s) - 1);
	return sizeof(s) - 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(int fd, const struct pkt *k, int ifindex)
{
	struct __sk_buff ctx = {.ifindex = ifindex};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = k->b,
		    .data_size_in = k->len, .repeat = 1);

	if (ifindex) {
		o.ctx_in = &ctx;
		o.ctx_size_in = sizeof(ctx);
	}
	return bpf_prog_test_run_opts(fd, &o);
}

int main(int argc, char **argv)
{
	__u32 prog_id = 0, n = 100000, trusted_pct = 50, seed = 1, i;
	__u32 server = htonl(0xc6120001); /* 198.18.0.1 */
	__u8 pay[PKT_MAX];
	int opt, fd, ifindex = 0, port = 8080;
	struct pkt syn, data;
	double t0, t;

	while ((opt = getopt(argc, argv, "p:n:P:t:s:i:")) != -1) {
		switch (opt) {
		case 'p':
			prog_id = strtoul(optarg, NULL, 0);
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			port = atoi(optarg);
			break;
		case 't':
			trusted_pct = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			ifindex = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s -p PROG_ID [-n N] [-P PORT] "
				"[-t TRUSTED%%] [-s SEED] [-i IFINDEX]\n",
				argv[0]);
			return 64;
		}
	}
	fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0) {
		fprintf(stderr, "daemon_gen: program id %u: %s\n", prog_id,
			strerror(errno));
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		/* seed moves the sources so that runs do not meet old flows */
		__u32 c = i + seed * 7919u * 1024u;
		int tr = (i % 100) < trusted_pct;
		__u32 host = c % 16384, sport = 1024 + (c / 16384) % 64000;
		__u32 src = htonl((tr ? 0xc6128000 : 0xc612c000) | host);
		__u32 isn = c * 2654435761u, plen;

		build(&syn, src, server, sport, port, isn, 0x02, NULL, 0);
		plen = tr ? v2_payload(pay, htonl(0xcb007100 | (c & 0xff)),
				       server, 40000 + (c & 0x3ff), port)
			  : v1_payload(pay);
		build(&data, src, server, sport, port, isn + 1, 0x18, pay,
		      plen);
		if (run(fd, &syn, ifindex) || run(fd, &data, ifindex)) {
			fprintf(stderr, "daemon_gen: test run: %s\n",
				strerror(errno));
			return 1;
		}
	}
	t = now_s() - t0;
	printf("events %u seconds %.4f rate %.0f\n", n, t, n / t);
	return 0;
}
