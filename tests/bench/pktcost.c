// SPDX-License-Identifier: GPL-2.0
/*
 * Per-packet cost of the ppguard data path (build/ppguard.bpf.o, TC and XDP)
 * with BPF_PROG_TEST_RUN, as a ratio to a no-op program of the same type
 * (tests/bench/noop.bpf.c) measured in the same run.
 *
 * Method
 * - Every figure is measured in each of R interleaved rounds (default 7):
 *   one round measures the no-op, then every path, for each hook and
 *   family. A ratio is computed per round against that round's no-op; the
 *   table shows the median over rounds, with min and max.
 * - Packets that see the same state every time (non-TCP, unprotected port,
 *   a decided flow, a blocked flow) run with repeat >= 1e6: the kernel's
 *   duration is already the mean per run.
 * - A connection's first segment changes its flow (undecided -> decided):
 *   repeating it would measure the decided-flow path. So each sample is a
 *   fresh flow: a SYN with its own source port (repeat 1, which creates the
 *   flow), then the first data segment (repeat 1, timed by the kernel),
 *   then the flow is deleted from userspace. K such flows per round (default
 *   20000); the round's figure is the mean of the K samples between their
 *   10th and 90th percentiles. A single run
 *   also times the test harness (two clock reads, the bh toggle): the same
 *   number of single runs of the no-op on the same packet measures that, so
 *   the figure shown is  first1 - noop1 + noop_loop  (the cost the segment
 *   would show in a repeat loop), and its ratio is to noop_loop. The raw
 *   single-run figures and their ratio are printed in a second table.
 *   The SYN's own cost (flow creation) is reported the same way.
 * - Every run's verdict is checked; each case's path counter, flow state and
 *   reason are checked, the ring buffer is drained every 256 connections
 *   (one event per decision must arrive) and no event may be lost: a
 *   benchmark of a path that did not run would be meaningless.
 *
 * Maps are created without pinning (nothing under /sys/fs/bpf is touched);
 * they and the programs go away when this process exits.
 *
 * Usage: pktcost [-r ROUNDS] [-n REPEAT] [-k FLOWS] [-c CPU] [-o FILE]
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ppguard.h"
#include "ppguard.skel.h"
#include "noop.skel.h"

#define PROT_PORT 8443 /* protected: inspect, require, v1+v2, drop */
#define OPEN_PORT 8080 /* not protected */
#define PROT_SLOT 1
#define ISN 1000000u
#define MAX_PKT 512
#define MAX_ROUNDS 64
#define DRAIN_EVERY 256

/* ---- packets ---- */

enum { FAM4, FAM6, NFAM };
enum { HOOK_XDP, HOOK_TC, NHOOK };
static const char *fam_name[NFAM] = {"IPv4", "IPv6"};
static const char *hook_name[NHOOK] = {"XDP", "TC"};

struct pkt {
	__u8 b[MAX_PKT];
	__u32 len;
	__u32 sport_off; /* where the L4 source port is */
	__u32 l4_off;
	int fam;
	int tcp;
};

/* 198.18.0.1 / fd00::1 trusted, .66 / ::66 untrusted, .2 / ::2 local */
static const __u8 a4_trusted[4] = {198, 18, 0, 1};
static const __u8 a4_untrusted[4] = {198, 18, 0, 66};
static const __u8 a4_local[4] = {198, 18, 0, 2};
static const __u8 a6_trusted[16] = {0xfd, [15] = 1};
static const __u8 a6_untrusted[16] = {0xfd, [15] = 0x66};
static const __u8 a6_local[16] = {0xfd, [15] = 2};

static __u32 csum_add(__u32 sum, const void *data, size_t len)
{
	const __u8 *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (__u32)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (__u32)p[len - 1] << 8;
	return sum;
}

static __u16 csum_fold(__u32 sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((__u16)~sum);
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

/*
 * Ethernet + IPv4/IPv6 + TCP (with the options a Linux client sends: MSS,
 * SACK, timestamps, window scale on a SYN; timestamps on data) or UDP.
 */
static void build(struct pkt *k, int fam, int tcp, int trusted, __u16 sport,
		  __u16 dport, __u32 seq, __u8 flags, const void *pay,
		  __u32 plen)
{
	static const __u8 syn_opts[20] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0,
					  0, 1, 0, 0,	 0, 0, 1, 3,  3, 7};
	static const __u8 ack_opts[12] = {1, 1, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1};
	const __u8 *opts = flags & TH_SYN ? syn_opts : ack_opts;
	__u32 olen = tcp ? (flags & TH_SYN ? 20 : 12) : 0;
	__u32 l4len = (tcp ? 20 + olen : 8) + plen;
	__u8 *b = k->b, *l4;
	__u32 sum = 0, l3;

	memset(k, 0, sizeof(*k));
	memcpy(b, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	put16(b + 12, fam == FAM4 ? ETH_P_IP : ETH_P_IPV6);
	l3 = ETH_HLEN;
	if (fam == FAM4) {
		__u8 *ip = b + l3;

		ip[0] = 0x45;
		put16(ip + 2, 20 + l4len);
		put16(ip + 4, 0x1234);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		memcpy(ip + 12, trusted ? a4_trusted : a4_untrusted, 4);
		memcpy(ip + 16, a4_local, 4);
		put16(ip + 10, ntohs(csum_fold(csum_add(0, ip, 20))));
		sum = csum_add(0, ip + 12, 8);
		l4 = ip + 20;
	} else {
		__u8 *ip = b + l3;

		ip[0] = 0x60;
		put16(ip + 4, l4len);
		ip[6] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, trusted ? a6_trusted : a6_untrusted, 16);
		memcpy(ip + 24, a6_local, 16);
		sum = csum_add(0, ip + 8, 32);
		l4 = ip + 40;
	}
	sum += (tcp ? IPPROTO_TCP : IPPROTO_UDP) + l4len;
	put16(l4, sport);
	put16(l4 + 2, dport);
	if (tcp) {
		put32(l4 + 4, seq);
		put32(l4 + 8, flags & TH_ACK ? 7777 : 0);
		l4[12] = (__u8)(((20 + olen) / 4) << 4);
		l4[13] = flags;
		put16(l4 + 14, 64240);
		memcpy(l4 + 20, opts, olen);
		memcpy(l4 + 20 + olen, pay, plen);
	} else {
		put16(l4 + 4, l4len);
		memcpy(l4 + 8, pay, plen);
	}
	sum = csum_add(sum, l4, l4len);
	put16(l4 + (tcp ? 16 : 6), ntohs(csum_fold(sum)));
	k->len = (__u32)(l4 - b) + l4len;
	k->l4_off = (__u32)(l4 - b);
	k->sport_off = k->l4_off;
	k->fam = fam;
	k->tcp = tcp;
}

/* Same packet, another source port (checksum kept right). */
static void set_sport(struct pkt *k, __u16 sport)
{
	__u8 *p = k->b + k->sport_off;
	__u8 *ck = k->b + k->l4_off + (k->tcp ? 16 : 6);
	__u32 sum = (__u16) ~((ck[0] << 8) | ck[1]);

	sum += (__u16) ~((p[0] << 8) | p[1]);
	sum += sport;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(p, sport);
	put16(ck, (__u16)~sum);
}

static void flow_key(const struct pkt *k, struct pp_flow_key *key)
{
	const __u8 *ip = k->b + ETH_HLEN;

	memset(key, 0, sizeof(*key));
	if (k->fam == FAM4) {
		memcpy(key->peer, ip + 12, 4);
		memcpy(key->local, ip + 16, 4);
		key->family = 4;
	} else {
		memcpy(key->peer, ip + 8, 16);
		memcpy(key->local, ip + 24, 16);
		key->family = 6;
	}
	memcpy(&key->peer_port, k->b + k->l4_off, 2);
	memcpy(&key->local_port, k->b + k->l4_off + 2, 2);
}

/* ---- payloads ---- */

static const char request[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

/* PROXY v2, PROXY TCP4, with ALPN, AUTHORITY and UNIQUE_ID TLVs: 60 bytes,
 * the size the end-to-end benchmark sends. */
static __u32 v2_header(__u8 *b)
{
	static const __u8 sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				     0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
	__u8 *p = b;

	memcpy(p, sig, 12);
	p[12] = 0x21; /* v2, PROXY */
	p[13] = 0x11; /* TCP over IPv4 */
	put16(p + 14, 44);
	p += 16;
	memcpy(p, "\xc6\x33\x64\x16", 4); /* 198.51.100.22 */
	memcpy(p + 4, "\xcb\x00\x71\x07", 4);
	put16(p + 8, 35646);
	put16(p + 10, 443);
	p += 12;
	*p++ = 0x01; /* ALPN "h2" */
	put16(p, 2);
	memcpy(p + 2, "h2", 2);
	p += 4;
	*p++ = 0x02; /* AUTHORITY */
	put16(p, 11);
	memcpy(p + 2, "example.com", 11);
	p += 13;
	*p++ = 0x05; /* UNIQUE_ID */
	put16(p, 10);
	memcpy(p + 2, "0123456789", 10);
	p += 12;
	return (__u32)(p - b);
}

/* v1 lines of the two sizes the issue names: TCP4 at its longest (56) and
 * TCP6 with full-length addresses (104). */
static const char v1_tcp4[] =
	"PROXY TCP4 198.151.100.122 203.100.113.107 35646 65535\r\n";
static const char v1_tcp6[] = "PROXY TCP6 2001:0db8:85a3:0000:0000:8a2e:0370:"
			      "7334 2001:0db8:85a3:0000:0000:8a2e:0370:7335 "
			      "35646 65535\r\n";

/* ---- cases ---- */

enum kind {
	K_LOOP, /* same state every run: repeat >= 1e6 */
	K_CONN, /* first segment of a fresh flow: repeat 1, K flows */
};

enum caseid {
	C_UDP,
	C_OPEN,
	C_EST,
	C_SYN,
	C_V2,
	C_V1_4,
	C_V1_6,
	C_UNTR,
	C_BLK,
	NCASE,
};

struct bcase {
	const char *name;
	enum kind kind;
	int trusted;
	double target; /* ratio, 0: none */
	int drop;      /* expected verdict: drop */
	int path;      /* pp_path counter a K_LOOP run must bump */
	int reason;    /* K_CONN: reason of the decision */
	int state;     /* K_CONN: flow state after it */
};

static const struct bcase cases[NCASE] = {
	[C_UDP] = {"non-TCP (UDP to the protected port)", K_LOOP, 1, 1.15, 0,
		   PP_PATH_FAST},
	[C_OPEN] = {"TCP to an unprotected port", K_LOOP, 1, 1.15, 0,
		    PP_PATH_FAST},
	[C_EST] = {"protected port, established flow (decided: pass)", K_LOOP,
		   1, 3.0, 0, PP_PATH_FLOW_HIT},
	[C_SYN] = {"protected port, SYN (flow created)", K_CONN, 1, 0, 0},
	[C_V2] = {"first segment, v2 header (60 B), trusted: parse + event",
		  K_CONN, 1, 6.0, 0, 0, PP_R_TRUSTED_HEADER, PP_FS_PASS},
	[C_V1_4] = {"first segment, v1 TCP4 (56 B), trusted", K_CONN, 1, 0, 0,
		    0, PP_R_TRUSTED_HEADER, PP_FS_PASS},
	[C_V1_6] = {"first segment, v1 TCP6 (104 B), trusted", K_CONN, 1, 0, 0,
		    0, PP_R_TRUSTED_HEADER, PP_FS_PASS},
	[C_UNTR] = {"untrusted v2 header: first decision (drop + event)",
		    K_CONN, 0, 0, 1, 0, PP_R_UNTRUSTED_HEADER, PP_FS_BLOCKED},
	[C_BLK] = {"untrusted v2 header: blocked flow hit (drop)", K_LOOP, 0, 0,
		   1, PP_PATH_FLOW_HIT},
};

/* per (round, hook, family, case): ns; index NCASE is the no-op (loop),
 * NCASE + 1 the no-op run once per sample (K_CONN harness baseline) */
#define NOOP_LOOP NCASE
#define NOOP_ONE (NCASE + 1)
#define EST_ONE (NCASE + 2) /* control: the established flow, run once */
static double res[MAX_ROUNDS][NHOOK][NFAM][NCASE + 3];

/* ---- state ---- */

static struct ppguard_bpf *pg;
static struct noop_bpf *nop;
static struct ring_buffer *rb;
static long events_seen[PP_R_MAX];
static int ncpus;
static unsigned int opt_rounds = 7, opt_repeat = 1000000, opt_flows = 20000;
static int opt_cpu = -1;
static const char *opt_out;

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("pktcost: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_FAILURE);
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct pp_event *ev = data;

	(void)ctx;
	if (len >= sizeof(*ev) && ev->reason < PP_R_MAX)
		events_seen[ev->reason]++;
	return 0;
}

static __u64 stat_sum(__u32 idx)
{
	__u64 v[ncpus], s = 0;
	int i;

	if (bpf_map_lookup_elem(bpf_map__fd(pg->maps.stats), &idx, v))
		die("cannot read stats[%u]: %s", idx, strerror(errno));
	for (i = 0; i < ncpus; i++)
		s += v[i];
	return s;
}

static __u32 test_run(int fd, const struct pkt *k, __u32 repeat, __u32 *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = k->b,
		    .data_size_in = k->len, .repeat = repeat);
	int err = bpf_prog_test_run_opts(fd, &o);

	if (err)
		die("BPF_PROG_TEST_RUN: %s", strerror(-err));
	*retval = o.retval;
	return o.duration;
}

static int prog_fd(int hook)
{
	return bpf_program__fd(hook == HOOK_XDP ? pg->progs.ppguard_xdp
						: pg->progs.ppguard_tc);
}

static int noop_fd(int hook)
{
	return bpf_program__fd(hook == HOOK_XDP ? nop->progs.noop_xdp
						: nop->progs.noop_tc);
}

static __u32 want_ret(int hook, int drop)
{
	if (hook == HOOK_XDP)
		return drop ? XDP_DROP : XDP_PASS;
	return drop ? TC_ACT_SHOT : TC_ACT_OK;
}

/* The verdict expected: for TC, "pass" is TC_ACT_OK or TC_ACT_UNSPEC (the
 * latter hands the packet on to later filters, then to the stack). */
static int verdict_ok(int hook, int drop, __u32 ret)
{
	if (hook == HOOK_TC && !drop && ret == (__u32)TC_ACT_UNSPEC)
		return 1;
	return ret == want_ret(hook, drop);
}

static void run_expect(int fd, int hook, const struct pkt *k, int drop,
		       const char *what)
{
	__u32 ret;

	test_run(fd, k, 1, &ret);
	if (!verdict_ok(hook, drop, ret))
		die("%s %s: verdict %d, expected %u", hook_name[hook], what,
		    (int)ret, want_ret(hook, drop));
}

static void flow_del(const struct pkt *k)
{
	struct pp_flow_key key;

	flow_key(k, &key);
	bpf_map_delete_elem(bpf_map__fd(pg->maps.flows), &key);
}

static void flow_get(const struct pkt *k, struct pp_flow *f)
{
	struct pp_flow_key key;

	flow_key(k, &key);
	if (bpf_map_lookup_elem(bpf_map__fd(pg->maps.flows), &key, f))
		die("no flow entry after the first segment");
}

/* The first data segment of case c (a SYN for C_SYN). */
static void conn_pkts(int c, int fam, struct pkt *syn, struct pkt *data)
{
	__u8 pay[256];
	__u32 n = 0;

	switch (c) {
	case C_SYN:
	case C_V2:
	case C_UNTR:
		n = v2_header(pay);
		break;
	case C_V1_4:
		n = sizeof(v1_tcp4) - 1;
		memcpy(pay, v1_tcp4, n);
		break;
	case C_V1_6:
		n = sizeof(v1_tcp6) - 1;
		memcpy(pay, v1_tcp6, n);
		break;
	}
	memcpy(pay + n, request, sizeof(request) - 1);
	n += sizeof(request) - 1;
	build(syn, fam, 1, cases[c].trusted, 10000, PROT_PORT, ISN, TH_SYN,
	      NULL, 0);
	build(data, fam, 1, cases[c].trusted, 10000, PROT_PORT, ISN + 1,
	      TH_ACK | TH_PSH, pay, n);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Mean of the samples between the 10th and 90th percentile: robust to
 * interrupts like a median, and finer than the clock's steps (the
 * kernel's single-run durations come in steps of about 10 ns here). */
static double central_mean(__u32 *v, unsigned int n)
{
	unsigned int i, lo = n / 10, hi = n - n / 10;
	double s = 0;

	qsort(v, n, sizeof(*v), cmp_u32);
	for (i = lo; i < hi; i++)
		s += v[i];
	return s / (hi - lo);
}

/*
 * K fresh flows: SYN, then the first segment timed alone (or the SYN timed,
 * for C_SYN), then the flow deleted. With fd of the no-op, the same packets
 * are run through it instead (harness baseline).
 */
static double measure_conn(int c, int hook, int fam, int noop, __u32 *samp)
{
	struct pkt syn, data;
	int fd = noop ? noop_fd(hook) : prog_fd(hook);
	long ev0 = 0, ev1 = 0;
	__u32 i, ret, d;
	int r;

	conn_pkts(c, fam, &syn, &data);
	for (r = 0; r < PP_R_MAX; r++)
		ev0 += events_seen[r];
	for (i = 0; i < opt_flows; i++) {
		__u16 sport = (__u16)(10000 + i % 50000);

		set_sport(&syn, sport);
		set_sport(&data, sport);
		if (noop) {
			samp[i] = test_run(fd, c == C_SYN ? &syn : &data, 1,
					   &ret);
			continue;
		}
		d = test_run(fd, &syn, 1, &ret);
		if (!verdict_ok(hook, 0, ret))
			die("%s SYN: verdict %d", hook_name[hook], (int)ret);
		if (c == C_SYN) {
			samp[i] = d;
			flow_del(&syn);
			continue;
		}
		samp[i] = test_run(fd, &data, 1, &ret);
		if (!verdict_ok(hook, cases[c].drop, ret))
			die("%s %s %s: verdict %d", hook_name[hook],
			    fam_name[fam], cases[c].name, (int)ret);
		if (i == 0) {
			struct pp_flow f;

			flow_get(&data, &f);
			if (f.state != cases[c].state ||
			    f.reason != cases[c].reason)
				die("%s %s %s: flow state %u reason %u, "
				    "expected %u %u",
				    hook_name[hook], fam_name[fam],
				    cases[c].name, f.state, f.reason,
				    cases[c].state, cases[c].reason);
		}
		flow_del(&data);
		if (i % DRAIN_EVERY == DRAIN_EVERY - 1)
			ring_buffer__consume(rb);
	}
	ring_buffer__consume(rb);
	if (!noop && c != C_SYN) {
		for (r = 0; r < PP_R_MAX; r++)
			ev1 += events_seen[r];
		if (ev1 - ev0 != (long)opt_flows)
			die("%s %s %s: %ld events for %u decisions",
			    hook_name[hook], fam_name[fam], cases[c].name,
			    ev1 - ev0, opt_flows);
	}
	return central_mean(samp, opt_flows);
}

/* The packet a K_LOOP case repeats, after setting up its flow. */
static void loop_pkt(int c, int hook, int fam, struct pkt *k)
{
	struct pkt syn, data;
	__u8 body[100];

	memset(body, 'x', sizeof(body));
	switch (c) {
	case C_UDP:
		build(k, fam, 0, 1, 5353, PROT_PORT, 0, 0, body, sizeof(body));
		return;
	case C_OPEN:
		build(k, fam, 1, 1, 40000, OPEN_PORT, ISN + 5000,
		      TH_ACK | TH_PSH, body, sizeof(body));
		return;
	case NOOP_LOOP: /* the no-op sees the established flow's packet */
	case C_EST:
		conn_pkts(C_V2, fam, &syn, &data);
		set_sport(&syn, 40001);
		set_sport(&data, 40001);
		flow_del(&syn);
		run_expect(prog_fd(hook), hook, &syn, 0, "setup SYN");
		run_expect(prog_fd(hook), hook, &data, 0, "setup segment");
		/* a later segment, past the judged prefix */
		build(k, fam, 1, 1, 40001, PROT_PORT, ISN + 1 + 5000,
		      TH_ACK | TH_PSH, body, sizeof(body));
		return;
	case C_BLK:
		conn_pkts(C_UNTR, fam, &syn, &data);
		set_sport(&syn, 40002);
		set_sport(&data, 40002);
		flow_del(&syn);
		run_expect(prog_fd(hook), hook, &syn, 0, "setup SYN");
		run_expect(prog_fd(hook), hook, &data, 1, "setup segment");
		*k = data; /* its retransmission */
		return;
	}
}

static double measure_loop(int c, int hook, int fam)
{
	int noop = c == NOOP_LOOP;
	int fd = noop ? noop_fd(hook) : prog_fd(hook);
	const struct bcase *bc = noop ? NULL : &cases[c];
	struct pkt k;
	__u64 before = 0, after;
	__u32 ret, d;

	loop_pkt(c, hook, fam, &k);
	ring_buffer__consume(rb);
	if (bc)
		before = stat_sum(PP_STAT_PATH(bc->path));
	d = test_run(fd, &k, opt_repeat, &ret);
	if (!verdict_ok(hook, bc ? bc->drop : 0, ret))
		die("%s %s %s: verdict %d", hook_name[hook], fam_name[fam],
		    bc ? bc->name : "no-op", (int)ret);
	if (bc) {
		after = stat_sum(PP_STAT_PATH(bc->path));
		if (after - before != opt_repeat)
			die("%s %s %s: path counter moved by %llu, not %u",
			    hook_name[hook], fam_name[fam], bc->name,
			    (unsigned long long)(after - before), opt_repeat);
	}
	/* duration is the integer mean; the test run's own total is finer
	 * grained but not exported: fine at repeat >= 1e6 */
	return d;
}

/*
 * Control for the single-run method: the established flow's packet run
 * once per sample, K times. Corrected like a first segment, it should come
 * out near its looped figure; the gap is what single runs add (cold caches
 * after the syscall), and it inflates the first-segment figures as much.
 */
static double measure_est_once(int hook, int fam, __u32 *samp)
{
	struct pkt k;
	__u32 i, ret;

	loop_pkt(C_EST, hook, fam, &k);
	for (i = 0; i < opt_flows; i++) {
		samp[i] = test_run(prog_fd(hook), &k, 1, &ret);
		if (!verdict_ok(hook, 0, ret))
			die("%s established flow: verdict %d", hook_name[hook],
			    (int)ret);
	}
	return central_mean(samp, opt_flows);
}

/* ---- setup ---- */

static void fill_maps(void)
{
	struct pp_port_policy pol = {.inspect = 1,
				     .require = 1,
				     .versions = PP_VERS_V1 | PP_VERS_V2,
				     .action = PP_ACT_DROP,
				     .slot = PROT_SLOT};
	struct pp_lpm4 k4 = {.prefixlen = 32};
	struct pp_lpm6 k6 = {.prefixlen = 128};
	struct pp_trust t = {.trusted = 1};
	__u32 port = PROT_PORT;

	if (bpf_map_update_elem(bpf_map__fd(pg->maps.ports), &port, &pol, 0))
		die("cannot set the port policy: %s", strerror(errno));
	memcpy(k4.addr, a4_trusted, 4);
	memcpy(k6.addr, a6_trusted, 16);
	if (bpf_map_update_elem(bpf_map__fd(pg->maps.trust4), &k4, &t, 0) ||
	    bpf_map_update_elem(bpf_map__fd(pg->maps.trust6), &k6, &t, 0))
		die("cannot fill the trust maps: %s", strerror(errno));
}

static __u32 verified_insns(struct bpf_program *p)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
		return 0;
	return info.verified_insns;
}

static void load(void)
{
	struct bpf_map *m;
	int err;

	pg = ppguard_bpf__open();
	if (!pg)
		die("cannot open the ppguard object: %s", strerror(errno));
	/* no pins: this run must not meet or leave the real pin directory */
	bpf_object__for_each_map(m, pg->obj)
	{
		err = bpf_map__set_pin_path(m, NULL);
		if (err)
			die("cannot unpin map %s: %s", bpf_map__name(m),
			    strerror(-err));
	}
	err = ppguard_bpf__load(pg);
	if (err)
		die("cannot load the ppguard programs: %s", strerror(-err));
	nop = noop_bpf__open_and_load();
	if (!nop)
		die("cannot load the no-op programs: %s", strerror(errno));
	rb = ring_buffer__new(bpf_map__fd(pg->maps.events), on_event, NULL,
			      NULL);
	if (!rb)
		die("cannot open the event ring: %s", strerror(errno));
	fill_maps();
}

/* ---- report ---- */

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

struct stat3 {
	double med, min, max;
};

static struct stat3 stat3(double *v, unsigned int n)
{
	struct stat3 s;

	qsort(v, n, sizeof(*v), cmp_d);
	s.min = v[0];
	s.max = v[n - 1];
	s.med = n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

/* figure of case c in round r: loop cases as measured, first segments
 * with the harness corrected (see the top of this file) */
static double figure(unsigned int r, int h, int f, int c)
{
	if (c < NCASE && cases[c].kind == K_CONN)
		return res[r][h][f][c] - res[r][h][f][NOOP_ONE] +
		       res[r][h][f][NOOP_LOOP];
	return res[r][h][f][c];
}

/* Median over rounds of res[idx] (op 0), res[idx] / res[base] (op 1), or
 * res[idx] - res[base] + the looped no-op (op 2). */
static double med_over(int h, int f, int idx, int base, int op)
{
	double v[MAX_ROUNDS];
	unsigned int r;

	for (r = 0; r < opt_rounds; r++) {
		const double *x = res[r][h][f];

		v[r] = op == 0	 ? x[idx]
		       : op == 1 ? x[idx] / x[base]
				 : x[idx] - x[base] + x[NOOP_LOOP];
	}
	return stat3(v, opt_rounds).med;
}

static void out(FILE *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (o) {
		va_start(ap, fmt);
		vfprintf(o, fmt, ap);
		va_end(ap);
	}
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!strncmp(line, "model name", 10) && p) {
			snprintf(buf, len, "%s", p + 2);
			buf[strcspn(buf, "\n")] = 0;
			break;
		}
	}
	fclose(f);
}

static int report(void)
{
	static const int order[] = {C_UDP,  C_OPEN, C_EST,  C_SYN, C_V2,
				    C_V1_4, C_V1_6, C_UNTR, C_BLK};
	FILE *o = NULL;
	struct utsname u;
	char cpu[128], date[64];
	time_t now = time(NULL);
	double v[MAX_ROUNDS];
	unsigned int r, i;
	int h, f, missed = 0;

	if (opt_out) {
		o = fopen(opt_out, "w");
		if (!o)
			die("cannot write %s: %s", opt_out, strerror(errno));
	}
	uname(&u);
	cpu_model(cpu, sizeof(cpu));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M %Z", localtime(&now));
	out(o, "## Per-packet cost (BPF_PROG_TEST_RUN)\n\n");
	out(o,
	    "%s, kernel %s, %s, %d CPUs; %u interleaved rounds; "
	    "repeat %u for steady paths, %u fresh flows per round for first "
	    "segments. ns: median over rounds; ratio: to the no-op of the "
	    "same hook in the same round (median, min, max).\n\n",
	    date, u.release, cpu, ncpus, opt_rounds, opt_repeat, opt_flows);
	out(o, "| path | hook | family | ns | ratio to no-op | min | max | "
	       "target |\n");
	out(o, "|---|---|---|---:|---:|---:|---:|---|\n");
	for (h = 0; h < NHOOK; h++) {
		for (f = 0; f < NFAM; f++) {
			struct stat3 s;

			for (r = 0; r < opt_rounds; r++)
				v[r] = res[r][h][f][NOOP_LOOP];
			s = stat3(v, opt_rounds);
			out(o,
			    "| no-op (baseline) | %s | %s | %.0f | 1.00 | | "
			    "| |\n",
			    hook_name[h], fam_name[f], s.med);
		}
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int c = order[i];

		for (h = 0; h < NHOOK; h++) {
			for (f = 0; f < NFAM; f++) {
				struct stat3 ns, ra;
				char tgt[48] = "—";

				for (r = 0; r < opt_rounds; r++)
					v[r] = figure(r, h, f, c);
				ns = stat3(v, opt_rounds);
				for (r = 0; r < opt_rounds; r++)
					v[r] = figure(r, h, f, c) /
					       res[r][h][f][NOOP_LOOP];
				ra = stat3(v, opt_rounds);
				if (cases[c].target > 0) {
					int ok = ra.med <= cases[c].target;

					snprintf(tgt, sizeof(tgt), "≤ %.2f× %s",
						 cases[c].target,
						 ok ? "met" : "**MISSED**");
					missed += !ok;
				}
				out(o,
				    "| %s | %s | %s | %.0f | %.2f | %.2f | "
				    "%.2f | %s |\n",
				    cases[c].name, hook_name[h], fam_name[f],
				    ns.med, ra.med, ra.min, ra.max, tgt);
			}
		}
	}
	out(o, "\nFirst segments and SYNs: a fresh flow per sample, run once "
	       "(repeat 1) and timed by the kernel; a round's figure is the "
	       "mean of its samples between the 10th and 90th percentile. "
	       "ns above = once - no-op once + looped no-op. The single runs "
	       "(medians over rounds), and a control: the established flow "
	       "run once and corrected the same way should match its looped "
	       "figure:\n\n");
	out(o, "| path | hook | family | ns once | no-op once | ratio once | "
	       "corrected ns | looped ns |\n");
	out(o, "|---|---|---|---:|---:|---:|---:|---:|\n");
	for (i = 0; i <= sizeof(order) / sizeof(order[0]); i++) {
		int ctl = i == sizeof(order) / sizeof(order[0]);
		int c = ctl ? C_EST : order[i];
		int once = ctl ? EST_ONE : c;

		if (!ctl && cases[c].kind != K_CONN)
			continue;
		for (h = 0; h < NHOOK; h++) {
			for (f = 0; f < NFAM; f++) {
				double a, b, ra, co, lo = 0;

				a = med_over(h, f, once, -1, 0);
				b = med_over(h, f, NOOP_ONE, -1, 0);
				ra = med_over(h, f, once, NOOP_ONE, 1);
				co = med_over(h, f, once, NOOP_ONE, 2);
				if (ctl)
					lo = med_over(h, f, C_EST, -1, 0);
				out(o,
				    "| %s%s | %s | %s | %.0f | %.0f | %.2f | "
				    "%.0f | ",
				    ctl ? "control: " : "", cases[c].name,
				    hook_name[h], fam_name[f], a, b, ra, co);
				if (ctl)
					out(o, "%.0f |\n", lo);
				else
					out(o, "|\n");
			}
		}
	}
	out(o,
	    "\nVerifier: verified_insns ppguard_tc %u, ppguard_xdp %u, "
	    "noop_tc %u, noop_xdp %u.\n",
	    verified_insns(pg->progs.ppguard_tc),
	    verified_insns(pg->progs.ppguard_xdp),
	    verified_insns(nop->progs.noop_tc),
	    verified_insns(nop->progs.noop_xdp));
	if (stat_sum(PP_STAT_MISC(PP_MISC_EVENTS_LOST)))
		die("events were lost during the run: figures are invalid");
	if (o)
		fclose(o);
	fflush(stdout);
	if (missed)
		fprintf(stderr, "pktcost: %d figure(s) above target\n", missed);
	return 0;
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: pktcost [-r ROUNDS] [-n REPEAT] [-k FLOWS] [-c CPU] "
		"[-o FILE]\n");
	exit(EXIT_FAILURE);
}

int main(int argc, char **argv)
{
	static const int loop_cases[] = {NOOP_LOOP, C_UDP, C_OPEN, C_EST,
					 C_BLK};
	static const int conn_cases[] = {C_SYN, C_V2, C_V1_4, C_V1_6, C_UNTR};
	__u32 *samp;
	unsigned int r, i;
	int h, f, opt;

	while ((opt = getopt(argc, argv, "r:n:k:c:o:h")) != -1) {
		switch (opt) {
		case 'r':
			opt_rounds = (unsigned int)atoi(optarg);
			break;
		case 'n':
			opt_repeat = (unsigned int)atoi(optarg);
			break;
		case 'k':
			opt_flows = (unsigned int)atoi(optarg);
			break;
		case 'c':
			opt_cpu = atoi(optarg);
			break;
		case 'o':
			opt_out = optarg;
			break;
		default:
			usage();
		}
	}
	if (!opt_rounds || opt_rounds > MAX_ROUNDS || !opt_repeat ||
	    !opt_flows || opt_flows > 50000)
		die("rounds 1..%d, repeat >= 1, flows 1..50000", MAX_ROUNDS);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		die("cannot count CPUs");
	if (opt_cpu < 0)
		opt_cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	{
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(opt_cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("cannot pin to CPU %d: %s", opt_cpu,
			    strerror(errno));
	}
	samp = calloc(opt_flows, sizeof(*samp));
	if (!samp)
		die("out of memory");
	load();

	for (r = 0; r < opt_rounds; r++) {
		fprintf(stderr, "pktcost: round %u/%u\n", r + 1, opt_rounds);
		for (h = 0; h < NHOOK; h++) {
			for (f = 0; f < NFAM; f++) {
				double *x = res[r][h][f];

				for (i = 0; i < 5; i++)
					x[loop_cases[i]] = measure_loop(
						loop_cases[i], h, f);
				x[NOOP_ONE] = measure_conn(C_V2, h, f, 1, samp);
				x[EST_ONE] = measure_est_once(h, f, samp);
				for (i = 0; i < 5; i++)
					x[conn_cases[i]] = measure_conn(
						conn_cases[i], h, f, 0, samp);
			}
		}
	}
	free(samp);
	report();
	ring_buffer__free(rb);
	noop_bpf__destroy(nop);
	ppguard_bpf__destroy(pg);
	return 0;
}
