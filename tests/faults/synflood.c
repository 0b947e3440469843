// SPDX-License-Identifier: GPL-2.0
/*
 * Raw-socket TCP sender for the fault suite (tests/suites.d/faults.sh):
 * SYNs, or SYN + first data segment pairs, from spoofed IPv4 sources.
 *
 * synflood -d DST -p PORT [-s NET/LEN] [-n COUNT] [-m syn|data]
 *	    [-P http|v1|v2] [-b BATCH] [-r SEED]
 *
 *   -d DST      destination address (IPv4)
 *   -p PORT     destination port
 *   -s NET/LEN  spoofed sources: every host address of this prefix in turn,
 *               the source port advancing once per round (default
 *               198.18.128.0/17): COUNT distinct 4-tuples up to about
 *               hosts x 60000
 *   -n COUNT    how many SYNs (syn) or SYN + data pairs (data); default 1e6
 *   -m MODE     syn: SYNs only (fills a flow table);
 *               data: each SYN followed by the stream's first segment
 *               (sequence ISN+1, ACK|PSH) carrying -P's payload: one
 *               connection decision per pair in a data path that judges
 *               the first bytes, with no handshake and no socket
 *   -P PAYLOAD  http: "GET / HTTP/1.0\r\n\r\n" (no header);
 *               v1, v2: a forged PROXY header claiming 203.0.113.1 then the
 *               request (default v2)
 *   -b BATCH    packets per sendmmsg() (default 64)
 *   -r SEED     seed of the ISNs (default 1)
 *
 * Packets leave through an AF_INET raw socket with IP_HDRINCL (implied by
 * IPPROTO_RAW): the kernel routes by destination and fills in the IP
 * checksum, total length and ID; the TCP checksum is ours, so that the
 * receiver's TCP stack really processes the SYNs.
 * Prints "sent=N packets=N secs=S pps=R errors=N" and exits 0 when every
 * packet was sent, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define PKT_MAX 256
#define SPORT_BASE 1024
#define SPORT_SPAN 60000

enum mode { MODE_SYN, MODE_DATA };

struct opts {
	struct in_addr dst;
	uint16_t port;
	uint32_t net;	/* host order, first address of the prefix */
	uint32_t hosts; /* usable host addresses in it */
	unsigned long count;
	enum mode mode;
	const char *payload;
	size_t payload_len;
	unsigned int batch;
	uint32_t seed;
};

static const char http_req[] = "GET / HTTP/1.0\r\nHost: flood\r\n\r\n";
static const char v1_req[] = "PROXY TCP4 203.0.113.1 198.18.0.100 40000 81\r\n"
			     "GET / HTTP/1.0\r\nHost: flood\r\n\r\n";
/* v2 PROXY TCP4 203.0.113.1:40000 -> 198.18.0.100:81, then the request */
static const uint8_t v2_req[] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
	0x21, 0x11, 0x00, 0x0c, 203,  0,    113,  1,	198,  18,   0,	  100,
	0x9c, 0x40, 0x00, 0x51, 'G',  'E',  'T',  ' ',	'/',  ' ',  'H',  'T',
	'T',  'P',  '/',  '1',	'.',  '0',  '\r', '\n', '\r', '\n'};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint32_t xorshift(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	while (len > 1) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One IPv4 + TCP packet into buf; returns its length. */
static size_t build(uint8_t *buf, const struct opts *o, uint32_t src,
		    uint16_t sport, uint32_t seq, uint32_t ack, uint8_t flags,
		    const void *data, size_t dlen)
{
	struct iphdr *ip = (struct iphdr *)buf;
	struct tcphdr *th = (struct tcphdr *)(ip + 1);
	size_t tlen = sizeof(*th) + dlen;
	uint32_t sum;

	memset(buf, 0, sizeof(*ip) + sizeof(*th));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = htonl(src);
	ip->daddr = o->dst.s_addr;
	ip->tot_len = htons(sizeof(*ip) + tlen);
	th->source = htons(sport);
	th->dest = htons(o->port);
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = 5;
	th->syn = !!(flags & 0x02);
	th->ack = !!(flags & 0x10);
	th->psh = !!(flags & 0x08);
	th->window = htons(64240);
	if (dlen)
		memcpy(th + 1, data, dlen);
	/* pseudo-header, then the segment */
	sum = csum_add(0, &ip->saddr, 8);
	sum += IPPROTO_TCP + tlen;
	sum = csum_add(sum, th, tlen);
	th->check = htons(csum_fold(sum));
	return sizeof(*ip) + tlen;
}

static int parse_prefix(const char *s, struct opts *o)
{
	char addr[32];
	const char *slash = strchr(s, '/');
	struct in_addr a;
	int len;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		return -1;
	memcpy(addr, s, slash - s);
	addr[slash - s] = 0;
	len = atoi(slash + 1);
	if (inet_pton(AF_INET, addr, &a) != 1 || len < 8 || len > 30)
		return -1;
	o->net = ntohl(a.s_addr) & ~((1u << (32 - len)) - 1);
	o->hosts = (1u << (32 - len)) - 2;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: synflood -d DST -p PORT [-s NET/LEN] "
			"[-n COUNT] [-m syn|data] [-P http|v1|v2] [-b BATCH] "
			"[-r SEED]\n");
	return 64;
}

int main(int argc, char **argv)
{
	static uint8_t pkts[MAX_BATCH][PKT_MAX];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct opts o = {
		.count = 1000000,
		.mode = MODE_SYN,
		.payload = (const char *)v2_req,
		.payload_len = sizeof(v2_req),
		.batch = 64,
		.seed = 1,
	};
	unsigned long i = 0, sent = 0, errors = 0, pkts_total;
	unsigned int per, n, k;
	double t0, secs;
	int c, fd;

	parse_prefix("198.18.128.0/17", &o);
	while ((c = getopt(argc, argv, "d:p:s:n:m:P:b:r:h")) != -1) {
		switch (c) {
		case 'd':
			if (inet_pton(AF_INET, optarg, &o.dst) != 1)
				return usage();
			break;
		case 'p':
			o.port = (uint16_t)atoi(optarg);
			break;
		case 's':
			if (parse_prefix(optarg, &o))
				return usage();
			break;
		case 'n':
			o.count = strtoul(optarg, NULL, 0);
			break;
		case 'm':
			if (!strcmp(optarg, "syn"))
				o.mode = MODE_SYN;
			else if (!strcmp(optarg, "data"))
				o.mode = MODE_DATA;
			else
				return usage();
			break;
		case 'P':
			if (!strcmp(optarg, "http")) {
				o.payload = http_req;
				o.payload_len = sizeof(http_req) - 1;
			} else if (!strcmp(optarg, "v1")) {
				o.payload = v1_req;
				o.payload_len = sizeof(v1_req) - 1;
			} else if (!strcmp(optarg, "v2")) {
				o.payload = (const char *)v2_req;
				o.payload_len = sizeof(v2_req);
			} else {
				return usage();
			}
			break;
		case 'b':
			o.batch = (unsigned int)atoi(optarg);
			if (o.batch < 2 || o.batch > MAX_BATCH)
				return usage();
			o.batch &= ~1u; /* SYN + data pairs never split */
			break;
		case 'r':
			o.seed = (uint32_t)strtoul(optarg, NULL, 0) | 1;
			break;
		default:
			return usage();
		}
	}
	if (!o.dst.s_addr || !o.port || !o.count)
		return usage();
	if (o.count > (unsigned long)o.hosts * SPORT_SPAN) {
		fprintf(stderr,
			"synflood: -n %lu: more than the prefix's "
			"distinct sources\n",
			o.count);
		return 64;
	}

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "synflood: raw socket: %s\n", strerror(errno));
		return 1;
	}
	sa.sin_addr = o.dst;
	memset(msgs, 0, sizeof(msgs));
	for (k = 0; k < MAX_BATCH; k++) {
		iov[k].iov_base = pkts[k];
		msgs[k].msg_hdr.msg_iov = &iov[k];
		msgs[k].msg_hdr.msg_iovlen = 1;
		msgs[k].msg_hdr.msg_name = &sa;
		msgs[k].msg_hdr.msg_namelen = sizeof(sa);
	}
	per = o.mode == MODE_DATA ? 2 : 1;
	t0 = now_s();
	while (i < o.count) {
		for (n = 0; n + per <= o.batch && i < o.count; i++) {
			uint32_t src = o.net + 1 + (uint32_t)(i % o.hosts);
			uint16_t sport =
				SPORT_BASE + (i / o.hosts) % SPORT_SPAN;
			uint32_t isn = xorshift(&o.seed);

			iov[n].iov_len = build(pkts[n], &o, src, sport, isn, 0,
					       0x02, NULL, 0);
			n++;
			if (o.mode == MODE_DATA) {
				iov[n].iov_len =
					build(pkts[n], &o, src, sport, isn + 1,
					      xorshift(&o.seed), 0x18,
					      o.payload, o.payload_len);
				n++;
			}
		}
		for (k = 0; k < n;) {
			int r = sendmmsg(fd, msgs + k, n - k, 0);

			if (r < 0) {
				if (errno == EINTR)
					continue;
				if (errno == ENOBUFS || errno == EAGAIN) {
					usleep(100);
					continue;
				}
				errors++;
				k++; /* skip the packet the kernel refused */
				continue;
			}
			k += r;
			sent += r;
		}
	}
	secs = now_s() - t0;
	pkts_total = o.count * per;
	printf("sent=%lu packets=%lu secs=%.3f pps=%.0f errors=%lu\n", sent,
	       pkts_total, secs, secs > 0 ? sent / secs : 0.0, errors);
	close(fd);
	return sent == pkts_total ? 0 : 1;
}
