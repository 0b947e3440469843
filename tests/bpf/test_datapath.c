// SPDX-License-Identifier: GPL-2.0
/*
 * The data path (bpf/ppguard.bpf.c) under BPF_PROG_TEST_RUN, table-driven.
 *
 * The product skeleton (build/ppguard.skel.h) is loaded with pinning turned
 * off: its maps live as long as this process and nothing appears under
 * /sys/fs/bpf. The policy maps (ports, trust4/6, deny_client4/6, blocked4/6)
 * are filled once; before each case the flows, the counters, the config and
 * the ring buffer are emptied.
 *
 * A case is a row of cases[]: crafted frames (Ethernet [+ 802.1Q / 802.1ad]
 * + IPv4 [+ options, fragments] or IPv6 [+ hop-by-hop, destination options,
 * fragment header] + TCP with options and correct checksums), each with its
 * expected verdict and counter path; then the events the ring buffer must
 * hold, extra counters, and the flow entry left behind. Every row runs
 * through ppguard_tc and ppguard_xdp, over IPv4 and IPv6 unless it is
 * specific to one family. Checked per frame: the return code; the output
 * frame (unchanged, or for "reset" the flags RST|ACK with a valid TCP
 * checksum recomputed here). Per case: every event (reason, action, peer
 * tuple, hook, declared tuple, TLV bytes, next class, error, flags), EVERY
 * counter of the stats map summed over CPUs (expected values derived from
 * the rows: paths, drops, resets, one connection counter per event, plus
 * the row's extra header and misc counters), and the flow entry (state,
 * ISN, have, prefix bytes, peer class, verdict, declared client, flags).
 *
 * Two cases are code rather than rows: a full ring buffer and a SYN flood
 * that fills the flow table.
 *
 * Prints TAP. Usage: test_datapath [-v] [SUBSTRING]  (runs matching rows)
 *        test_datapath -l  (prints the table as Markdown, runs nothing)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ppguard.h"
#include "ppguard.skel.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define L(s) (sizeof(s) - 1)

/* ---- stream parts: headers and application bytes ---- */

#define SIG "\x0d\x0a\x0d\x0a\x00\x0d\x0a\x51\x55\x49\x54\x0a"
#define A4_SRC "\xc6\x33\x64\x07" /* 198.51.100.7 */
#define A4_DST "\xc6\x12\x00\x01" /* 198.18.0.1 */
#define A6_SRC                                                                 \
	"\x20\x01\x0d\xb8\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00\x07"
#define A6_DST                                                                 \
	"\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
#define V2_PORTS "\x9c\x41\x20\xfb" /* 40001, 8443 */
#define TLVS                                                                   \
	"\x01\x00\x02"                                                         \
	"h2"                                                                   \
	"\x02\x00\x0b"                                                         \
	"example.com"                                                          \
	"\x04\x00\x00"
#define N10 "nnnnnnnnnn"
#define B10 "bbbbbbbbbb"

#define S_V1_4 "PROXY TCP4 198.51.100.7 198.18.0.1 40001 8443\r\n"
#define S_V1_DENY4 "PROXY TCP4 203.0.113.99 198.18.0.1 40001 8443\r\n"
#define S_V1_6 "PROXY TCP6 2001:db8:7::7 fd00::1 40001 8443\r\n"
#define FF39 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
#define S_V1_6MAX "PROXY TCP6 " FF39 " " FF39 " 65535 65535\r\n"
#define S_V1_UNK "PROXY UNKNOWN\r\n"
#define S_V1_DENY6 "PROXY TCP6 2001:db8:bad::1 fd00::1 40001 8443\r\n"
/* The same line with another first byte: what the receiver appends after
 * a "P" it already holds */
#define S_V1_4Q "QROXY TCP4 198.51.100.7 198.18.0.1 40001 8443\r\n"
#define S_V1_BAD "PROXY TCP4 198.51.100 198.18.0.1 40001 8443\r\n"
#define S_V2_4 SIG "\x21\x11\x00\x0c" A4_SRC A4_DST V2_PORTS
#define S_V2_6 SIG "\x21\x21\x00\x24" A6_SRC A6_DST V2_PORTS
#define S_V2_LOCAL SIG "\x20\x00\x00\x00"
#define S_V2_TLV SIG "\x21\x11\x00\x22" A4_SRC A4_DST V2_PORTS TLVS
#define S_V2_DENY4 SIG "\x21\x11\x00\x0c\xcb\x00\x71\x09" A4_DST V2_PORTS
/* 181 bytes: a NOOP TLV of 150 bytes, longer than the 128-byte window */
#define S_V2_BIG                                                               \
	SIG "\x21\x11\x00\xa5" A4_SRC A4_DST V2_PORTS "\x04\x00\x96" N10 N10   \
		N10 N10 N10 N10 N10 N10 N10 N10 N10 N10 N10 N10 N10
#define S_V2_BADVER SIG "\x31\x11\x00\x0c" A4_SRC A4_DST V2_PORTS
#define S_HTTP "GET / HTTP/1.1\r\nHost: ppguard.test\r\n\r\n"
#define S_TLS                                                                  \
	"\x16\x03\x01\x00\x40\x01\x00\x00\x3c\x03\x03"                         \
	"0123456789abcdef0123456789abcdef"
#define S_OTHER "SSH-2.0-OpenSSH_9.2p1\r\n"
#define S_BULK                                                                 \
	B10 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10 B10    \
		B10 B10 B10

enum part_id {
	X_END = 0,
	X_V1_4,
	X_V1_DENY4,
	X_V1_6,
	X_V1_6MAX,
	X_V1_UNK,
	X_V1_DENY6,
	X_V1_BAD,
	X_V1_4Q,
	X_V2_4,
	X_V2_6,
	X_V2_LOCAL,
	X_V2_TLV,
	X_V2_DENY4,
	X_V2_BIG,
	X_V2_BADVER,
	X_HTTP,
	X_TLS,
	X_OTHER,
	X_BULK,
	X_MAX,
};

/* What a header declares (what the flow and the event must carry) */
struct decl {
	__u8 ver, cmd, fam, trans;
	const char *src, *dst; /* text, NULL: all zero */
	__u16 sport, dport;
	__u16 tlv_off; /* v2: start of the TLVs */
};

struct part {
	const char *name;
	const char *b;
	__u32 len;
	struct decl d;
	__u8 src[16], dst[16]; /* d.src, d.dst parsed */
};

#define PART(s) .b = s, .len = L(s)
#define D4(v, s, sp)                                                           \
	{                                                                      \
		v, PP_CMD_PROXY, PP_FAM_INET, PP_TRANS_STREAM, s,              \
			"198.18.0.1", sp, 8443, v == 2 ? 28 : 0                \
	}

static struct part parts[X_MAX] = {
	[X_V1_4] = {"v1 TCP4", PART(S_V1_4), D4(1, "198.51.100.7", 40001)},
	[X_V1_DENY4] = {"v1 TCP4 denied", PART(S_V1_DENY4),
			D4(1, "203.0.113.99", 40001)},
	[X_V1_6] = {"v1 TCP6",
		    PART(S_V1_6),
		    {1, PP_CMD_PROXY, PP_FAM_INET6, PP_TRANS_STREAM,
		     "2001:db8:7::7", "fd00::1", 40001, 8443, 0}},
	[X_V1_6MAX] = {"v1 TCP6 104 bytes",
		       PART(S_V1_6MAX),
		       {1, PP_CMD_PROXY, PP_FAM_INET6, PP_TRANS_STREAM, FF39,
			FF39, 65535, 65535, 0}},
	[X_V1_UNK] = {"v1 UNKNOWN",
		      PART(S_V1_UNK),
		      {1, PP_CMD_PROXY, PP_FAM_UNSPEC, PP_TRANS_UNSPEC, NULL,
		       NULL, 0, 0, 0}},
	[X_V1_DENY6] = {"v1 TCP6 denied",
			PART(S_V1_DENY6),
			{1, PP_CMD_PROXY, PP_FAM_INET6, PP_TRANS_STREAM,
			 "2001:db8:bad::1", "fd00::1", 40001, 8443, 0}},
	[X_V1_BAD] = {"v1 bad address", PART(S_V1_BAD), {1}},
	[X_V1_4Q] = {"v1 TCP4 with Q for P", PART(S_V1_4Q)},
	[X_V2_4] = {"v2 INET", PART(S_V2_4), D4(2, "198.51.100.7", 40001)},
	[X_V2_6] = {"v2 INET6",
		    PART(S_V2_6),
		    {2, PP_CMD_PROXY, PP_FAM_INET6, PP_TRANS_STREAM,
		     "2001:db8:7::7", "fd00::1", 40001, 8443, 52}},
	[X_V2_LOCAL] = {"v2 LOCAL",
			PART(S_V2_LOCAL),
			{2, PP_CMD_LOCAL, PP_FAM_UNSPEC, PP_TRANS_UNSPEC, NULL,
			 NULL, 0, 0, 16}},
	[X_V2_TLV] = {"v2 INET with TLVs", PART(S_V2_TLV),
		      D4(2, "198.51.100.7", 40001)},
	[X_V2_DENY4] = {"v2 INET denied", PART(S_V2_DENY4),
			D4(2, "203.0.113.9", 40001)},
	[X_V2_BIG] = {"v2 INET 181 bytes", PART(S_V2_BIG),
		      D4(2, "198.51.100.7", 40001)},
	[X_V2_BADVER] = {"v2 version 3", PART(S_V2_BADVER), {2}},
	[X_HTTP] = {"HTTP", PART(S_HTTP)},
	[X_TLS] = {"TLS", PART(S_TLS)},
	[X_OTHER] = {"SSH", PART(S_OTHER)},
	[X_BULK] = {"bulk", PART(S_BULK)},
};

/* ---- peers, ports, policy ---- */

enum peer_id {
	PEER_UNTRUSTED = 0,
	PEER_TRUSTED,
	PEER_HC_TRUSTED,
	PEER_HC_ONLY,
	PEER_BELOW,    /* just below the trusted /24, /64 */
	PEER_NEXT,     /* the /25 after the trusted /24, the /65 after /64 */
	PEER_LAST,     /* last address of the trusted /24, /64 */
	PEER_HALF_OUT, /* the other half of a trusted /25, /65 */
	PEER_HALF_IN,  /* last address of that trusted /25, /65 */
	PEER_BLOCKED,
	PEER_EXPIRED, /* blocked, but the entry has expired */
	PEER_MAX,
};

static const struct peer {
	const char *a4, *a6;
	__u8 cls; /* enum pp_peer_class the flow must record */
} peers[PEER_MAX] = {
	[PEER_UNTRUSTED] = {"198.18.2.7", "fd00:2::7", PP_PEER_UNTRUSTED},
	[PEER_TRUSTED] = {"198.18.1.5", "fd00:1::5", PP_PEER_TRUSTED},
	[PEER_HC_TRUSTED] = {"198.18.1.10", "fd00:1::10",
			     PP_PEER_TRUSTED_HEALTHCHECK},
	[PEER_HC_ONLY] = {"198.18.3.5", "fd00:3::5", PP_PEER_HEALTHCHECK},
	[PEER_BELOW] = {"198.18.0.255", "fd00:0:ffff:ffff:ffff:ffff:ffff:ffff",
			PP_PEER_UNTRUSTED},
	[PEER_NEXT] = {"198.18.2.1", "fd00:1:0:1::1", PP_PEER_UNTRUSTED},
	[PEER_LAST] = {"198.18.1.255", "fd00:1::ffff:ffff:ffff:ffff",
		       PP_PEER_TRUSTED},
	[PEER_HALF_OUT] = {"198.18.4.128", "fd00:4::8000:0:0:0",
			   PP_PEER_UNTRUSTED},
	[PEER_HALF_IN] = {"198.18.4.127", "fd00:4::7fff:ffff:ffff:ffff",
			  PP_PEER_TRUSTED},
	[PEER_BLOCKED] = {"198.18.6.6", "fd00:6::6", PP_PEER_UNTRUSTED},
	[PEER_EXPIRED] = {"198.18.6.7", "fd00:6::7", PP_PEER_UNTRUSTED},
};

static const struct trust_ent {
	const char *cidr;
	struct pp_trust t;
} trust_ents[] = {
	{"198.18.1.0/24", {1, 0, 0, 0}}, {"198.18.1.10/32", {1, 1, 0, 0}},
	{"198.18.3.5/32", {0, 1, 0, 0}}, {"198.18.4.0/25", {1, 0, 0, 0}},
	{"fd00:1::/64", {1, 0, 0, 0}},	 {"fd00:1::10/128", {1, 1, 0, 0}},
	{"fd00:3::5/128", {0, 1, 0, 0}}, {"fd00:4::/65", {1, 0, 0, 0}},
};

static const char *const deny_cidrs[] = {"203.0.113.0/24", "2001:db8:bad::/48"};

#define LOCAL4 "198.18.0.1"
#define LOCAL6 "fd00::1"

enum port_id {
	PT_REQ_DROP = 0, /* require, v1+v2, drop */
	PT_REQ_RESET,	 /* require, v2 only, reset */
	PT_OPT_LOG,	 /* optional, v1+v2, log */
	PT_OPT_DROP,	 /* optional, v1+v2, drop */
	PT_V1_DROP,	 /* require, v1 only, drop */
	PT_OPT_RESET,	 /* optional, v1+v2, reset */
	PT_OPEN,	 /* not inspected (other fields set on purpose) */
	PT_MAX,
};

#define VV (PP_VERS_V1 | PP_VERS_V2)
static const struct tport {
	__u16 port;
	struct pp_port_policy pol;
} tports[PT_MAX] = {
	[PT_REQ_DROP] = {8443, {1, 1, VV, PP_ACT_DROP, 1, {0}}},
	[PT_REQ_RESET] = {8444, {1, 1, PP_VERS_V2, PP_ACT_RESET, 2, {0}}},
	[PT_OPT_LOG] = {8445, {1, 0, VV, PP_ACT_LOG, 3, {0}}},
	[PT_OPT_DROP] = {8446, {1, 0, VV, PP_ACT_DROP, 4, {0}}},
	[PT_V1_DROP] = {8447, {1, 1, PP_VERS_V1, PP_ACT_DROP, 5, {0}}},
	[PT_OPT_RESET] = {8448, {1, 0, VV, PP_ACT_RESET, 6, {0}}},
	[PT_OPEN] = {80, {0, 1, VV, PP_ACT_DROP, 7, {0}}},
};

/* ---- the table ---- */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10

enum { V_PASS = 0, V_DROP, V_RESET };
enum { P_INSP = 0, P_FAST, P_HIT, P_NONE }; /* which path counter moves */
enum { FR_NONE = 0, FR_FIRST, FR_LATER, FR_TINY, FR_UDP };
enum { FAM_BOTH = 0, FAM_4 = 4, FAM_6 = 6 };
#define EXT_HBH 1
#define EXT_DST 2

#define ISN_DEF 0x6a09e667u
#define MAX_PK 16
#define MAX_EV 4
#define MAX_CTR 4

struct xpkt {
	__u8 fl;   /* TCP flags; 0 ends the list */
	__u8 frag; /* FR_* */
	__u8 v;	   /* expected verdict V_* */
	__u8 path; /* expected path counter P_* */
	__u8 alt;  /* payload from the row's alt stream */
	int off;   /* stream offset of the first payload byte (seq - ISN - 1);
		    * negative offsets are junk bytes before the stream */
	int len;   /* payload bytes */
	int rep;   /* sent rep times (at least once), off advancing by len */
};

struct xev {
	__u8 r, a, ver;
	__u8 decl;	   /* part whose declared tuple the event carries */
	__u8 decl_partial; /* only the tuple kept in the flow (no TLVs) */
	int nc;		   /* NC(class) to check next_class */
	int err;	   /* ERR(e) to check error */
	int flags;	   /* EVF(f) to check flags */
};
#define NC(x) (0x100 | (x))
#define ERR(x) (0x100 | (x))
#define EVF(x) (0x100 | (x))

struct xctr {
	__u32 idx;
	__u64 n;
};

enum { FL_UNSET = 0, FL_NONE, FL_YES };
struct xflow {
	__u8 chk; /* FL_NONE: no entry; FL_YES: one as below */
	__u8 state, reason, action;
	__u8 decl;  /* part whose declared tuple the flow holds */
	__u8 fver;  /* else: the version it records */
	__u8 flags; /* PP_FF_*, exactly */
	int have;
	int isn_off; /* flow ISN = row ISN + isn_off (0 for mid-stream) */
};

struct tcase {
	const char *desc;
	__u8 fam; /* FAM_BOTH, FAM_4, FAM_6 */
	__u8 peer, port, dry_run;
	__u8 vlan;  /* 0, 1 (802.1Q), 2 (802.1ad + 802.1Q) */
	__u8 ext6;  /* EXT_* before the TCP header */
	__u8 ipopt; /* IPv4 options */
	__u32 isn;
	__u8 stream[6], alt[6];
	struct xpkt pk[MAX_PK];
	struct xev ev[MAX_EV];
	struct xctr ctr[MAX_CTR];
	struct xflow flow;
};

#define SYN0                                                                   \
	{                                                                      \
		.fl = TH_SYN                                                   \
	}
#define ACK0                                                                   \
	{                                                                      \
		.fl = TH_ACK                                                   \
	}
#define SEG(o, n, ...)                                                         \
	{                                                                      \
		.fl = TH_ACK | TH_PSH, .off = (o), .len = (n), __VA_ARGS__     \
	}
#define SYND(o, n, ...)                                                        \
	{                                                                      \
		.fl = TH_SYN, .off = (o), .len = (n), __VA_ARGS__              \
	}
#define FIN(o, n, ...)                                                         \
	{                                                                      \
		.fl = TH_FIN | TH_ACK | TH_PSH, .off = (o), .len = (n),        \
		__VA_ARGS__                                                    \
	}
#define RST(o)                                                                 \
	{                                                                      \
		.fl = TH_RST | TH_ACK, .off = (o), .path = P_NONE              \
	}
#define EV(r_, a_, v_, ...)                                                    \
	{                                                                      \
		.r = (r_), .a = (a_), .ver = (v_), __VA_ARGS__                 \
	}
#define FLOW(st, hv, ...)                                                      \
	{                                                                      \
		.chk = FL_YES, .state = (st), .have = (hv), __VA_ARGS__        \
	}
#define NOFLOW                                                                 \
	{                                                                      \
		.chk = FL_NONE                                                 \
	}
#define HDR(v, c, f) PP_STAT_HDR(v, c, f)
#define MISC(m) PP_STAT_MISC(m)
#define OOO MISC(PP_MISC_OOO_DROPPED)
#define MIDSTREAM MISC(PP_MISC_MIDSTREAM)

#define R_TH PP_R_TRUSTED_HEADER
#define R_UH PP_R_UNTRUSTED_HEADER
#define A_PASS PP_ACT_PASS
#define A_DROP PP_ACT_DROP
#define A_RESET PP_ACT_RESET
#define A_LOG PP_ACT_LOG
#define BLOCKED PP_FS_BLOCKED
#define PASSED PP_FS_PASS

/* Lengths used in the rows */
#define LH L(S_HTTP)
#define L24 L(S_V2_4)
#define L14 L(S_V1_4)
#define L2H (L24 + LH)
#define L1H (L14 + LH)

static const struct tcase cases[] = {
	/* ---- trusted peers with a header ---- */
	{
		.desc = "trusted v2 header and HTTP in one segment, then data "
			"on the decided flow",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP, X_BULK},
		.pk = {SYN0, ACK0, SEG(0, L2H), SEG(L2H, 100, .path = P_HIT)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "trusted v1 TCP4 header and a TLS ClientHello",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_4, X_TLS},
		.pk = {SYN0, ACK0, SEG(0, L14 + L(S_TLS))},
		.ev = {EV(R_TH, A_PASS, 1, .decl = X_V1_4,
			  .nc = NC(PP_CLASS_TLS))},
		.ctr = {{HDR(0, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L14 + L(S_TLS), .reason = R_TH,
			     .decl = X_V1_4),
	},
	{
		.desc = "trusted v1 TCP6 header of 104 bytes and HTTP (fills "
			"the 128-byte window)",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_6MAX, X_HTTP, X_BULK},
		.pk = {SYN0, ACK0, SEG(0, L(S_V1_6MAX) + LH),
		       SEG(L(S_V1_6MAX) + LH, 60, .path = P_HIT)},
		.ev = {EV(R_TH, A_PASS, 1, .decl = X_V1_6MAX,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(0, 1, PP_FAM_INET6), 1}},
		.flow = FLOW(PASSED, 128, .reason = R_TH, .decl = X_V1_6MAX),
	},
	{
		.desc = "trusted v1 TCP6 header (short form)",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_6, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L(S_V1_6) + LH)},
		.ev = {EV(R_TH, A_PASS, 1, .decl = X_V1_6,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(0, 1, PP_FAM_INET6), 1}},
		.flow = FLOW(PASSED, L(S_V1_6) + LH, .reason = R_TH,
			     .decl = X_V1_6),
	},
	{
		.desc = "trusted v2 INET6 header",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_6, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L(S_V2_6) + LH)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_6,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET6), 1}},
		.flow = FLOW(PASSED, L(S_V2_6) + LH, .reason = R_TH,
			     .decl = X_V2_6),
	},
	{
		.desc = "trusted v2 header with ALPN/AUTHORITY/NOOP TLVs: raw "
			"TLV bytes in the event",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_TLV, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L(S_V2_TLV) + LH)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_TLV,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L(S_V2_TLV) + LH, .reason = R_TH,
			     .decl = X_V2_TLV),
	},
	{
		.desc = "trusted v2 LOCAL: healthcheck",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_LOCAL, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L(S_V2_LOCAL) + LH)},
		.ev = {EV(PP_R_HEALTHCHECK, A_PASS, 2, .decl = X_V2_LOCAL,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 0, PP_FAM_UNSPEC), 1}},
		.flow = FLOW(PASSED, L(S_V2_LOCAL) + LH,
			     .reason = PP_R_HEALTHCHECK, .decl = X_V2_LOCAL),
	},
	{
		.desc = "trusted v1 UNKNOWN: trusted_header, family UNSPEC",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_UNK, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L(S_V1_UNK) + LH)},
		.ev = {EV(R_TH, A_PASS, 1, .decl = X_V1_UNK,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(0, 1, PP_FAM_UNSPEC), 1}},
		.flow = FLOW(PASSED, L(S_V1_UNK) + LH, .reason = R_TH,
			     .decl = X_V1_UNK),
	},
	{
		.desc = "trusted v2 header of 181 bytes (past the 128-byte "
			"window): accepted truncated",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_BIG, X_HTTP, X_BULK},
		.pk = {SYN0, ACK0, SEG(0, L(S_V2_BIG) + LH),
		       SEG(L(S_V2_BIG) + LH, 50, .path = P_HIT)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_BIG,
			  .nc = NC(PP_CLASS_NONE), .flags = EVF(PP_FF_TRUNC))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, 128, .reason = R_TH, .decl = X_V2_BIG,
			     .flags = PP_FF_TRUNC),
	},

	/* ---- untrusted peers: the port's action ---- */
	{
		.desc = "untrusted v2 header on a drop port: dropped, and its "
			"retransmission",
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H, .v = V_DROP),
		       SEG(0, L2H, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_DROP, 2, .nc = NC(PP_CLASS_PROXY))},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "untrusted v1 header on a reset port: the segment "
			"becomes a RST, its retransmission is dropped",
		.port = PT_REQ_RESET,
		.stream = {X_V1_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L1H, .v = V_RESET),
		       SEG(0, L1H, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_RESET, 1, .nc = NC(PP_CLASS_PROXY))},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_RESET,
			     .fver = 1),
	},
	{
		.desc = "untrusted v1 header on an optional reset port",
		.port = PT_OPT_RESET,
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, L14, .v = V_RESET)},
		.ev = {EV(R_UH, A_RESET, 1)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_RESET,
			     .fver = 1),
	},
	{
		.desc = "untrusted v2 header on a log port: passed and logged",
		.port = PT_OPT_LOG,
		.stream = {X_V2_4, X_HTTP, X_BULK},
		.pk = {SYN0, ACK0, SEG(0, L2H), SEG(L2H, 40, .path = P_HIT)},
		.ev = {EV(R_UH, A_LOG, 2)},
		.flow = FLOW(PASSED, L2H, .reason = R_UH, .action = A_LOG,
			     .fver = 2),
	},
	{
		.desc = "dry-run: untrusted v2 header on a drop port is "
			"logged and passed",
		.dry_run = 1,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H)},
		.ev = {EV(R_UH, A_LOG, 2)},
		.flow = FLOW(PASSED, L2H, .reason = R_UH, .action = A_LOG,
			     .fver = 2),
	},
	{
		.desc = "dry-run: missing header on a reset port is logged",
		.dry_run = 1,
		.peer = PEER_TRUSTED,
		.port = PT_REQ_RESET,
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH)},
		.ev = {EV(PP_R_MISSING_HEADER, A_LOG, 0,
			  .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(PASSED, LH, .reason = PP_R_MISSING_HEADER,
			     .action = A_LOG),
	},
	{
		.desc = "untrusted v1 header on an optional drop port",
		.port = PT_OPT_DROP,
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, L14, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "untrusted malformed v1 line: untrusted_header",
		.stream = {X_V1_BAD},
		.pk = {SYN0, ACK0, SEG(0, L(S_V1_BAD), .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "untrusted HTTP on a require port: no_header, passed",
		.stream = {X_HTTP, X_BULK},
		.pk = {SYN0, ACK0, SEG(0, LH), SEG(LH, 30, .path = P_HIT)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER),
	},
	{
		.desc = "a decided flow 2 GiB and 3 GiB into its stream still "
			"passes (offsets are not taken for ones before ISN+1)",
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH),
		       SEG((int)0x80000010, 10, .path = P_HIT),
		       SEG((int)0xC0000000, 10, .path = P_HIT)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER),
	},
	{
		.desc = "an untrusted peer that closes without sending a byte "
			"leaves no entry: the next SYN on the tuple starts "
			"anew",
		.stream = {X_HTTP},
		.pk = {SYN0,
		       ACK0,
		       FIN(0, 0, .path = P_INSP),
		       {.fl = TH_SYN, .off = 50000000}},
		.flow = FLOW(PP_FS_SYN, 0, .isn_off = 50000000),
	},
	{
		.desc = "untrusted TLS on an optional port: no_header, passed",
		.port = PT_OPT_DROP,
		.stream = {X_TLS},
		.pk = {SYN0, ACK0, SEG(0, L(S_TLS))},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_TLS))},
		.flow = FLOW(PASSED, L(S_TLS), .reason = PP_R_NO_HEADER),
	},

	/* ---- split headers ---- */
	{
		.desc = "untrusted v2 header split inside the signature (5 | "
			"rest)",
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 5), SEG(5, L2H - 5, .v = V_DROP),
		       SEG(5, L2H - 5, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 5, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "untrusted v2 header split one byte short of the "
			"signature (11 | rest)",
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, 11), SEG(11, L24 - 11, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 11, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "untrusted v2 signature alone (12 bytes) is decided",
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, 12, .v = V_DROP),
		       SEG(12, L24 - 12, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "untrusted v1 header split inside \"PROXY\" (PR | "
			"OXY...)",
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, 2), SEG(2, L14 - 2, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 2, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "untrusted v1 header split PROX | Y...",
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, 4), SEG(4, L14 - 4, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 4, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "untrusted v1 header one byte per segment",
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, 1, .rep = 4), SEG(4, 1, .v = V_DROP),
		       SEG(5, 1, .v = V_DROP, .path = P_HIT, .rep = 3)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 4, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "untrusted v2 header one byte per segment",
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, 1, .rep = 11),
		       SEG(11, 1, .v = V_DROP),
		       SEG(12, 1, .v = V_DROP, .path = P_HIT, .rep = 2)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 11, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "trusted v2 header one byte per segment, then data",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 1, .rep = L24), SEG(L24, 1),
		       SEG(L24 + 1, 1, .path = P_HIT)},
		/* decided on the first byte after the header: one byte
		 * ("G") is too little to call it HTTP */
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_OTHER))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L24 + 1, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "trusted v1 TCP6 line of 104 bytes one byte per "
			"segment, then data",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_6MAX, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 1, .rep = L(S_V1_6MAX)),
		       SEG(L(S_V1_6MAX), 1),
		       SEG(L(S_V1_6MAX) + 1, 1, .path = P_HIT)},
		.ev = {EV(R_TH, A_PASS, 1, .decl = X_V1_6MAX,
			  .nc = NC(PP_CLASS_OTHER))},
		.ctr = {{HDR(0, 1, PP_FAM_INET6), 1}},
		.flow = FLOW(PASSED, L(S_V1_6MAX) + 1, .reason = R_TH,
			     .decl = X_V1_6MAX),
	},
	{
		.desc = "trusted v1 header split between CR and LF",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L14 - 1), SEG(L14 - 1, 1 + LH)},
		.ev = {EV(R_TH, A_PASS, 1, .decl = X_V1_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(0, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L1H, .reason = R_TH, .decl = X_V1_4),
	},
	{
		.desc = "trusted v2 header split inside the signature (6 | "
			"rest)",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 6), SEG(6, L2H - 6)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "trusted v2 header split in the address block (20 | "
			"rest)",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 20), SEG(20, L2H - 20)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},

	/* ---- out of order, overlaps, retransmissions ---- */
	{
		.desc = "trusted v2 header out of order: tail dropped, head "
			"passes, retransmitted tail accepted",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(14, L2H - 14, .v = V_DROP), SEG(0, 14),
		       SEG(14, L2H - 14)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}, {OOO, 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "untrusted HTTP out of order: tail dropped, then "
			"accepted after the head",
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(5, LH - 5, .v = V_DROP), SEG(0, 5),
		       SEG(5, LH - 5, .path = P_HIT)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{OOO, 1}},
		.flow = FLOW(PASSED, 5, .reason = PP_R_NO_HEADER),
	},
	{
		.desc = "untrusted v2 header out of order: tail dropped, head "
			"passes, retransmitted tail dropped",
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(10, L24 - 10, .v = V_DROP), SEG(0, 10),
		       SEG(10, L24 - 10, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.ctr = {{OOO, 1}},
		.flow = FLOW(BLOCKED, 10, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "overlap with other bytes, allowed header first then a "
			"denied one (trusted): prefix_mismatch",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_4, X_HTTP},
		.alt = {X_V1_DENY4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 20),
		       SEG(0, L14, .alt = 1, .v = V_DROP),
		       SEG(0, L14, .alt = 1, .v = V_DROP), SEG(20, L1H - 20)},
		.ev = {EV(PP_R_PREFIX_MISMATCH, A_DROP, 0,
			  .flags = EVF(PP_FF_MISMATCH)),
		       EV(R_TH, A_PASS, 1, .decl = X_V1_4,
			  .flags = EVF(PP_FF_MISMATCH))},
		.ctr = {{HDR(0, 1, PP_FAM_INET), 1}, {OOO, 2}},
		.flow = FLOW(PASSED, L1H, .reason = R_TH, .decl = X_V1_4,
			     .flags = PP_FF_MISMATCH),
	},
	{
		.desc = "overlap with other bytes, denied header first then an "
			"allowed one (trusted): prefix_mismatch, denied_client",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_DENY4, X_HTTP},
		.alt = {X_V1_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 20),
		       SEG(0, L14, .alt = 1, .v = V_DROP),
		       SEG(20, L1H - 20, .v = V_DROP)},
		.ev = {EV(PP_R_PREFIX_MISMATCH, A_DROP, 0,
			  .flags = EVF(PP_FF_MISMATCH)),
		       EV(PP_R_DENIED_CLIENT, A_DROP, 1, .decl = X_V1_DENY4,
			  .flags = EVF(PP_FF_MISMATCH))},
		.ctr = {{HDR(0, 1, PP_FAM_INET), 1}, {OOO, 1}},
		.flow = FLOW(BLOCKED, 20, .reason = PP_R_DENIED_CLIENT,
			     .action = A_DROP, .decl = X_V1_DENY4,
			     .flags = PP_FF_MISMATCH),
	},
	{
		.desc = "overlap with other bytes after a partial v2 signature "
			"(untrusted), then the header",
		.stream = {X_V2_4},
		.alt = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 4), SEG(0, 10, .alt = 1, .v = V_DROP),
		       SEG(4, L24 - 4, .v = V_DROP)},
		.ev = {EV(PP_R_PREFIX_MISMATCH, A_DROP, 0,
			  .flags = EVF(PP_FF_MISMATCH)),
		       EV(R_UH, A_DROP, 2, .flags = EVF(PP_FF_MISMATCH))},
		.ctr = {{OOO, 1}},
		.flow = FLOW(BLOCKED, 4, .reason = R_UH, .action = A_DROP,
			     .fver = 2, .flags = PP_FF_MISMATCH),
	},
	{
		.desc = "overlap, benign first then a header at the same "
			"offset "
			"(untrusted): prefix_mismatch on the decided flow",
		.stream = {X_HTTP, X_BULK},
		.alt = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, LH),
		       SEG(0, L14, .alt = 1, .v = V_DROP, .path = P_HIT),
		       SEG(0, L14, .alt = 1, .v = V_DROP, .path = P_HIT),
		       SEG(0, LH, .path = P_HIT), SEG(LH, 20, .path = P_HIT)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP)),
		       EV(PP_R_PREFIX_MISMATCH, A_DROP, 0,
			  .flags = EVF(PP_FF_MISMATCH))},
		.ctr = {{OOO, 2}},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER,
			     .flags = PP_FF_MISMATCH),
	},
	{
		.desc = "overlap, header first then benign bytes (untrusted): "
			"the flow stays blocked",
		.stream = {X_V2_4},
		.alt = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L24, .v = V_DROP),
		       SEG(0, LH, .alt = 1, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "overlap, accepted header then other bytes (trusted): "
			"prefix_mismatch on the decided flow",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.alt = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H),
		       SEG(0, LH, .alt = 1, .v = V_DROP, .path = P_HIT),
		       SEG(10, 30, .path = P_HIT)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP)),
		       EV(PP_R_PREFIX_MISMATCH, A_DROP, 0,
			  .flags = EVF(PP_FF_MISMATCH))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}, {OOO, 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4,
			     .flags = PP_FF_MISMATCH),
	},
	{
		.desc = "identical retransmission and a partial overlap pass "
			"(trusted)",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 20), SEG(0, 20), SEG(10, L2H - 10)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "segment starting before ISN+1 covering the start "
			"(untrusted v1): judged from the first byte",
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(-3, 3 + L14, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "segment starting before ISN+1 covering the start "
			"(trusted v2)",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(-5, 5 + L2H)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "segment entirely before ISN+1 is dropped",
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(-10, 5, .v = V_DROP), SEG(0, LH)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{OOO, 1}},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER),
	},
	{
		.desc = "first segment after the SYN starting before ISN+1 is "
			"dropped, then judged at ISN+1",
		.stream = {X_V1_4},
		.pk = {SYN0, SEG(-3, 3 + L14, .v = V_DROP),
		       SEG(0, L14, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.ctr = {{OOO, 1}},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "first segment after the SYN far past ISN+1 is "
			"dropped, the one at ISN+1 is judged",
		.stream = {X_HTTP, X_BULK},
		.pk = {SYN0, SEG(100, 10, .v = V_DROP), SEG(0, LH)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{OOO, 1}},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER),
	},

	/* ---- TCP Fast Open ---- */
	{
		.desc = "untrusted v2 header in the SYN (TFO): dropped, and "
			"the retransmitted SYN",
		.stream = {X_V2_4},
		.pk = {SYND(0, L24, .v = V_DROP), SYND(0, L24, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2, .flags = EVF(PP_FF_SYN_DATA))},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2, .flags = PP_FF_SYN_DATA),
	},
	{
		.desc = "trusted v2 header in the SYN (TFO): passed, the next "
			"segment hits the decided flow",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP, X_BULK},
		.pk = {SYND(0, L2H), SEG(L2H, 10, .path = P_HIT)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP),
			  .flags = EVF(PP_FF_SYN_DATA))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4,
			     .flags = PP_FF_SYN_DATA),
	},
	{
		.desc = "TFO: first 10 bytes of a trusted header in the SYN, "
			"the rest in the next segment",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYND(0, 10), SEG(10, L2H - 10)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP),
			  .flags = EVF(PP_FF_SYN_DATA))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4,
			     .flags = PP_FF_SYN_DATA),
	},
	{
		.desc = "TFO: partial v2 signature in the SYN (untrusted), "
			"the rest dropped",
		.stream = {X_V2_4},
		.pk = {SYND(0, 4), SEG(4, L24 - 4, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2, .flags = EVF(PP_FF_SYN_DATA))},
		.flow = FLOW(BLOCKED, 4, .reason = R_UH, .action = A_DROP,
			     .fver = 2, .flags = PP_FF_SYN_DATA),
	},
	{
		.desc = "TFO: retransmitted SYN with other data: "
			"prefix_mismatch",
		.stream = {X_V2_4},
		.alt = {X_HTTP},
		.pk = {SYND(0, 4), SYND(0, 4, .alt = 1, .v = V_DROP)},
		.ev = {EV(PP_R_PREFIX_MISMATCH, A_DROP, 0,
			  .flags = EVF(PP_FF_SYN_DATA | PP_FF_MISMATCH))},
		.ctr = {{OOO, 1}},
		.flow = FLOW(PP_FS_SYN, 4,
			     .flags = PP_FF_SYN_DATA | PP_FF_MISMATCH),
	},

	/* ---- IP fragments ---- */
	{
		.desc = "IPv4 first fragment from an untrusted peer: fragment "
			"drop; the later fragment passes",
		.fam = FAM_4,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H, .frag = FR_FIRST, .v = V_DROP),
		       SEG(0, L2H, .frag = FR_LATER, .path = P_FAST)},
		.ev = {EV(PP_R_FRAGMENT, A_DROP, 0)},
		.flow = FLOW(PP_FS_OPEN, 0),
	},
	{
		.desc = "IPv4 first fragment from a trusted peer passes",
		.fam = FAM_4,
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0,
		       SEG(0, L2H, .frag = FR_FIRST, .path = P_NONE),
		       SEG(0, L2H, .frag = FR_LATER, .path = P_FAST)},
		.flow = FLOW(PP_FS_OPEN, 0),
	},
	{
		.desc = "IPv6 fragment header, first fragment from an "
			"untrusted peer: fragment drop",
		.fam = FAM_6,
		.port = PT_OPT_LOG,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H, .frag = FR_FIRST, .v = V_DROP),
		       SEG(0, L2H, .frag = FR_LATER, .path = P_FAST)},
		.ev = {EV(PP_R_FRAGMENT, A_DROP, 0)},
		.flow = FLOW(PP_FS_OPEN, 0),
	},
	{
		.desc = "IPv6 fragment header, first fragment from a trusted "
			"peer passes",
		.fam = FAM_6,
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0,
		       SEG(0, L2H, .frag = FR_FIRST, .path = P_NONE),
		       SEG(0, L2H, .frag = FR_LATER, .path = P_FAST)},
		.flow = FLOW(PP_FS_OPEN, 0),
	},
	{
		.desc = "tiny first fragment (8 bytes of TCP: the ports) from "
			"an untrusted peer to a protected port: fragment drop",
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, L24, .frag = FR_TINY, .v = V_DROP)},
		.ev = {EV(PP_R_FRAGMENT, A_DROP, 0)},
		.flow = FLOW(PP_FS_OPEN, 0),
	},
	{
		.desc = "tiny first fragment (8 bytes of TCP) to an "
			"unprotected "
			"port passes",
		.port = PT_OPEN,
		.stream = {X_V2_4},
		.pk = {SEG(0, L24, .frag = FR_TINY, .path = P_FAST)},
		.flow = NOFLOW,
	},
	{
		.desc = "tiny first fragment from a trusted peer passes",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0,
		       SEG(0, L24, .frag = FR_TINY, .path = P_NONE)},
		.flow = FLOW(PP_FS_OPEN, 0),
	},
	{
		.desc = "first fragment to an unprotected port passes",
		.port = PT_OPEN,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SEG(0, L2H, .frag = FR_FIRST, .path = P_FAST),
		       SEG(0, L2H, .frag = FR_LATER, .path = P_FAST)},
		.flow = NOFLOW,
	},
	{
		.desc = "later fragment without any flow passes",
		.stream = {X_V2_4, X_HTTP},
		.pk = {SEG(0, L2H, .frag = FR_LATER, .path = P_FAST)},
		.flow = NOFLOW,
	},

	/* ---- encapsulations ---- */
	{
		.desc = "IPv6 hop-by-hop + destination options before TCP: "
			"untrusted header dropped",
		.fam = FAM_6,
		.ext6 = EXT_HBH | EXT_DST,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, L24, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "IPv6 hop-by-hop + destination options before TCP: "
			"trusted header passes",
		.fam = FAM_6,
		.ext6 = EXT_HBH | EXT_DST,
		.peer = PEER_TRUSTED,
		.stream = {X_V2_6, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L(S_V2_6) + LH)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_6,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET6), 1}},
		.flow = FLOW(PASSED, L(S_V2_6) + LH, .reason = R_TH,
			     .decl = X_V2_6),
	},
	{
		.desc = "IPv6 hop-by-hop + destination options + fragment "
			"header: untrusted first fragment dropped",
		.fam = FAM_6,
		.ext6 = EXT_HBH | EXT_DST,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H, .frag = FR_FIRST, .v = V_DROP),
		       SEG(0, L2H, .frag = FR_LATER, .path = P_FAST)},
		.ev = {EV(PP_R_FRAGMENT, A_DROP, 0)},
		.flow = FLOW(PP_FS_OPEN, 0),
	},
	{
		.desc = "802.1Q VLAN: untrusted header dropped",
		.vlan = 1,
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, L14, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "QinQ (802.1ad + 802.1Q): untrusted header reset",
		.vlan = 2,
		.port = PT_REQ_RESET,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, L24, .v = V_RESET)},
		.ev = {EV(R_UH, A_RESET, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_RESET,
			     .fver = 2),
	},
	{
		.desc = "QinQ (802.1ad + 802.1Q): trusted header passes",
		.vlan = 2,
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "IPv4 options before TCP: untrusted header dropped",
		.fam = FAM_4,
		.ipopt = 1,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, L24, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},

	/* ---- ports ---- */
	{
		.desc = "unprotected port: fast path, no flow, no event",
		.port = PT_OPEN,
		.stream = {X_V2_4},
		.pk = {{.fl = TH_SYN, .path = P_FAST},
		       {.fl = TH_ACK, .path = P_FAST},
		       SEG(0, L24, .path = P_FAST)},
		.flow = NOFLOW,
	},
	{
		.desc = "UDP to a protected port: fast path",
		.stream = {X_V2_4},
		.pk = {SEG(0, L24, .frag = FR_UDP, .path = P_FAST)},
		.flow = NOFLOW,
	},

	/* ---- sources and declared clients ---- */
	{
		.desc = "blocked source: SYN dropped (blocked_source), data "
			"without a flow dropped",
		.peer = PEER_BLOCKED,
		.stream = {X_HTTP},
		.pk = {{.fl = TH_SYN, .v = V_DROP}, SEG(0, LH, .v = V_DROP)},
		.ev = {EV(PP_R_BLOCKED_SOURCE, A_DROP, 0)},
		.flow = NOFLOW,
	},
	{
		.desc = "expired block: a normal flow",
		.peer = PEER_EXPIRED,
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER),
	},
	{
		.desc = "denied declared client (v2 203.0.113.9): dropped",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_DENY4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L(S_V2_DENY4) + LH, .v = V_DROP),
		       SEG(0, 10, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(PP_R_DENIED_CLIENT, A_DROP, 2, .decl = X_V2_DENY4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_DENIED_CLIENT,
			     .action = A_DROP, .decl = X_V2_DENY4),
	},
	{
		.desc = "denied declared client (v1 TCP6 2001:db8:bad::1) on "
			"an optional reset port",
		.peer = PEER_TRUSTED,
		.port = PT_OPT_RESET,
		.stream = {X_V1_DENY6, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L(S_V1_DENY6) + LH, .v = V_RESET),
		       SEG(0, L(S_V1_DENY6) + LH, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(PP_R_DENIED_CLIENT, A_RESET, 1, .decl = X_V1_DENY6,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(0, 1, PP_FAM_INET6), 1}},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_DENIED_CLIENT,
			     .action = A_RESET, .decl = X_V1_DENY6),
	},
	{
		.desc = "version_not_allowed: v1 header to a v2-only reset "
			"port",
		.peer = PEER_TRUSTED,
		.port = PT_REQ_RESET,
		.stream = {X_V1_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L1H, .v = V_RESET)},
		.ev = {EV(PP_R_VERSION_NOT_ALLOWED, A_RESET, 1, .decl = X_V1_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(0, 1, PP_FAM_INET), 1}},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_VERSION_NOT_ALLOWED,
			     .action = A_RESET, .decl = X_V1_4),
	},
	{
		.desc = "version_not_allowed: v2 header to a v1-only port",
		.peer = PEER_TRUSTED,
		.port = PT_V1_DROP,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H, .v = V_DROP)},
		.ev = {EV(PP_R_VERSION_NOT_ALLOWED, A_DROP, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_VERSION_NOT_ALLOWED,
			     .action = A_DROP, .decl = X_V2_4),
	},
	{
		.desc = "malformed v1 header (bad IPv4 address) from a trusted "
			"peer",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_BAD},
		.pk = {SYN0, ACK0, SEG(0, L(S_V1_BAD), .v = V_DROP)},
		.ev = {EV(PP_R_MALFORMED_HEADER, A_DROP, 1,
			  .err = ERR(PP_ERR_V1_BAD_ADDR4))},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_MALFORMED_HEADER,
			     .action = A_DROP, .fver = 1),
	},
	{
		.desc = "malformed v2 header (version 3) from a trusted peer",
		.peer = PEER_TRUSTED,
		.port = PT_REQ_RESET,
		.stream = {X_V2_BADVER},
		.pk = {SYN0, ACK0, SEG(0, L(S_V2_BADVER), .v = V_RESET)},
		.ev = {EV(PP_R_MALFORMED_HEADER, A_RESET, 2,
			  .err = ERR(PP_ERR_V2_BAD_VERSION))},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_MALFORMED_HEADER,
			     .action = A_RESET, .fver = 2),
	},
	{
		.desc = "stacked header in one segment (v2 then v1)",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, L24 + L14, .v = V_DROP)},
		.ev = {EV(PP_R_STACKED_HEADER, A_DROP, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_PROXY))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_STACKED_HEADER,
			     .action = A_DROP, .decl = X_V2_4),
	},
	{
		.desc = "stacked header in the segment after the header (v1, "
			"then v2)",
		.peer = PEER_TRUSTED,
		.stream = {X_V1_4, X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, L14), SEG(L14, L24, .v = V_DROP),
		       SEG(L14, L24, .v = V_DROP, .path = P_HIT)},
		/* one decision: the header alone waits for what follows */
		.ev = {EV(PP_R_STACKED_HEADER, A_DROP, 1, .decl = X_V1_4,
			  .nc = NC(PP_CLASS_PROXY))},
		.ctr = {{HDR(0, 1, PP_FAM_INET), 1}},
		.flow = FLOW(BLOCKED, L14, .reason = PP_R_STACKED_HEADER,
			     .action = A_DROP, .decl = X_V1_4),
	},
	{
		.desc = "stacked header split after the header (v2, \"PR\", "
			"\"OXY ...\")",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, L24), SEG(L24, 2),
		       SEG(L24 + 2, L14 - 2, .v = V_DROP)},
		/* one decision: the header alone waits for what follows */
		.ev = {EV(PP_R_STACKED_HEADER, A_DROP, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_PROXY))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(BLOCKED, L24 + 2, .reason = PP_R_STACKED_HEADER,
			     .action = A_DROP, .decl = X_V2_4),
	},
	{
		.desc = "missing_header from a trusted peer: HTTP",
		.peer = PEER_TRUSTED,
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH, .v = V_DROP)},
		.ev = {EV(PP_R_MISSING_HEADER, A_DROP, 0,
			  .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_MISSING_HEADER,
			     .action = A_DROP),
	},
	{
		.desc = "missing_header from a trusted peer: TLS ClientHello "
			"on a reset port",
		.peer = PEER_TRUSTED,
		.port = PT_REQ_RESET,
		.stream = {X_TLS},
		.pk = {SYN0, ACK0, SEG(0, L(S_TLS), .v = V_RESET)},
		.ev = {EV(PP_R_MISSING_HEADER, A_RESET, 0,
			  .nc = NC(PP_CLASS_TLS))},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_MISSING_HEADER,
			     .action = A_RESET),
	},
	{
		.desc = "missing_header from a trusted peer: other bytes (SSH "
			"banner)",
		.peer = PEER_TRUSTED,
		.stream = {X_OTHER},
		.pk = {SYN0, ACK0, SEG(0, L(S_OTHER), .v = V_DROP)},
		.ev = {EV(PP_R_MISSING_HEADER, A_DROP, 0,
			  .nc = NC(PP_CLASS_OTHER))},
		.flow = FLOW(BLOCKED, 0, .reason = PP_R_MISSING_HEADER,
			     .action = A_DROP),
	},
	{
		.desc = "trusted healthcheck peer without a header on a "
			"require port: healthcheck",
		.peer = PEER_HC_TRUSTED,
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH)},
		.ev = {EV(PP_R_HEALTHCHECK, A_PASS, 0,
			  .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(PASSED, LH, .reason = PP_R_HEALTHCHECK),
	},
	{
		.desc = "healthcheck-only peer (not trusted) without a header "
			"on a require port: no_header",
		.peer = PEER_HC_ONLY,
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER),
	},
	{
		.desc = "healthcheck-only peer (not trusted) sending a header: "
			"untrusted_header",
		.peer = PEER_HC_ONLY,
		.stream = {X_V2_LOCAL},
		.pk = {SYN0, ACK0, SEG(0, L(S_V2_LOCAL), .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "trusted peer without a header on an optional port: "
			"no_header",
		.peer = PEER_TRUSTED,
		.port = PT_OPT_DROP,
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER),
	},

	/* ---- flows without state (no SYN seen) ---- */
	{
		.desc = "no SYN seen: untrusted \"PROXY ...\" dropped "
			"statelessly, retransmission dropped",
		.stream = {X_V1_4},
		.pk = {SEG(0, L14, .v = V_DROP),
		       SEG(0, L14, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_DROP, 1, .nc = NC(PP_CLASS_PROXY),
			  .flags = EVF(PP_FF_MIDSTREAM))},
		.ctr = {{MIDSTREAM, 1}},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 1, .flags = PP_FF_MIDSTREAM),
	},
	{
		.desc = "no SYN seen: untrusted v2 signature prefix (4 bytes) "
			"dropped",
		.stream = {X_V2_4},
		.pk = {SEG(0, 4, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2, .flags = EVF(PP_FF_MIDSTREAM))},
		.ctr = {{MIDSTREAM, 1}},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2, .flags = PP_FF_MIDSTREAM),
	},
	{
		.desc = "no SYN seen: untrusted \"GET\" passes, no flow",
		.stream = {X_HTTP},
		.pk = {SEG(0, LH), SEG(LH - 10, 10)},
		.ctr = {{MIDSTREAM, 2}},
		.flow = NOFLOW,
	},
	{
		.desc = "no SYN seen: trusted header passes, no flow",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SEG(0, L2H)},
		.ctr = {{MIDSTREAM, 1}},
		.flow = NOFLOW,
	},
	{
		.desc = "no SYN seen: untrusted header on a reset port",
		.port = PT_REQ_RESET,
		.stream = {X_V2_4},
		.pk = {SEG(0, L24, .v = V_RESET),
		       SEG(0, L24, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_RESET, 2, .flags = EVF(PP_FF_MIDSTREAM))},
		.ctr = {{MIDSTREAM, 1}},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_RESET,
			     .fver = 2, .flags = PP_FF_MIDSTREAM),
	},
	{
		.desc = "no SYN seen: untrusted header on a log port, logged "
			"each time, no flow",
		.port = PT_OPT_LOG,
		.stream = {X_V1_4},
		.pk = {SEG(0, L14), SEG(0, L14)},
		.ev = {EV(R_UH, A_LOG, 1, .flags = EVF(PP_FF_MIDSTREAM)),
		       EV(R_UH, A_LOG, 1, .flags = EVF(PP_FF_MIDSTREAM))},
		.ctr = {{MIDSTREAM, 2}},
		.flow = NOFLOW,
	},
	{
		.desc = "no SYN seen: a pure ACK passes",
		.stream = {X_HTTP},
		.pk = {ACK0},
		.ctr = {{MIDSTREAM, 1}},
		.flow = NOFLOW,
	},

	/* ---- neighbours of trusted prefixes ---- */
	{
		.desc = "just below a trusted /24 (/64): untrusted",
		.peer = PEER_BELOW,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, L24, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "the /25 next to a trusted /24 (the /65 next to a "
			"/64): untrusted",
		.peer = PEER_NEXT,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, L24, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "last address of a trusted /24 (/64): trusted",
		.peer = PEER_LAST,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "the other half of a trusted /25 (/65): untrusted",
		.peer = PEER_HALF_OUT,
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, L14, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "last address of a trusted /25 (/65): trusted",
		.peer = PEER_HALF_IN,
		.stream = {X_V1_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L1H)},
		.ev = {EV(R_TH, A_PASS, 1, .decl = X_V1_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(0, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L1H, .reason = R_TH, .decl = X_V1_4),
	},

	/* ---- FIN, RST, SYN on an existing flow ---- */
	{
		.desc = "FIN in the deciding segment ends the flow",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, FIN(0, L2H)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = NOFLOW,
	},
	{
		.desc = "FIN after the decision ends the flow",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, L2H), FIN(L2H, 0, .path = P_HIT)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = NOFLOW,
	},
	{
		.desc = "RST on a passed flow ends it",
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH), RST(LH)},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.flow = NOFLOW,
	},
	{
		.desc = "RST on a blocked flow passes, the flow stays blocked",
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, L24, .v = V_DROP), RST(0),
		       SEG(0, L24, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "RST cannot reset an undecided untrusted flow: "
			"\"P\", RST, \"ROXY ...\"",
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, 1), RST(1),
		       SEG(1, L14 - 1, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 1, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "RST ends an undecided trusted flow",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, 10), RST(10)},
		.flow = NOFLOW,
	},
	{
		.desc = "retransmitted SYN (same ISN) keeps the undecided flow",
		.stream = {X_V1_4},
		.pk = {SYN0, ACK0, SEG(0, 2), SYN0,
		       SEG(2, L14 - 2, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 2, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "SYN with another ISN and junk data cannot restart an "
			"established untrusted flow",
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SYND(-100, 5, .v = V_DROP),
		       SEG(0, L24, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.ctr = {{OOO, 1}},
		.flow = FLOW(BLOCKED, 0, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
	{
		.desc = "SYN with another ISN cannot reopen a blocked "
			"untrusted flow (\"P\" passed, \"ROXY\" blocked)",
		.stream = {X_V1_4},
		.pk = {SYN0,
		       ACK0,
		       SEG(0, 1),
		       SEG(1, L14 - 1, .v = V_DROP),
		       {.fl = TH_SYN, .off = 1, .v = V_DROP},
		       SEG(1, L14 - 1, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.ctr = {{OOO, 1}},
		.flow = FLOW(BLOCKED, 1, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "retransmitted SYN (same ISN) of a blocked flow is "
			"dropped, the verdict and prefix kept (\"P\", "
			"\"ROXY\", SYN, \"QROXY ...\")",
		.stream = {X_V1_4},
		.alt = {X_V1_4Q},
		.pk = {SYN0,
		       ACK0,
		       SEG(0, 1),
		       SEG(1, L14 - 1, .v = V_DROP),
		       {.fl = TH_SYN, .v = V_DROP},
		       SEG(0, L14, .alt = 1, .v = V_DROP, .path = P_HIT)},
		.ev = {EV(R_UH, A_DROP, 1)},
		.flow = FLOW(BLOCKED, 1, .reason = R_UH, .action = A_DROP,
			     .fver = 1),
	},
	{
		.desc = "SYN with another ISN on a passed flow starts a new "
			"flow (port reuse)",
		.stream = {X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, LH), {.fl = TH_SYN, .off = 1000}},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.flow = FLOW(PP_FS_SYN, 0, .isn_off = 1000),
	},
	{
		.desc = "SYN with an ISN before or inside the old stream of a "
			"decided untrusted flow is dropped, the flow kept",
		.stream = {X_HTTP},
		.pk = {SYN0,
		       ACK0,
		       SEG(0, LH),
		       {.fl = TH_SYN, .off = -5, .v = V_DROP},
		       {.fl = TH_SYN, .off = LH, .v = V_DROP}},
		.ev = {EV(PP_R_NO_HEADER, A_PASS, 0, .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{OOO, 2}},
		.flow = FLOW(PASSED, LH, .reason = PP_R_NO_HEADER),
	},
	{
		.desc = "SYN with another ISN on an undecided trusted flow "
			"starts a new flow",
		.peer = PEER_TRUSTED,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, 10), {.fl = TH_SYN, .off = 500}},
		.flow = FLOW(PP_FS_SYN, 0, .isn_off = 500),
	},

	/* ---- sequence numbers that wrap ---- */
	{
		.desc = "ISN near 2^32: trusted header split across the wrap",
		.peer = PEER_TRUSTED,
		.isn = 0xfffffff0u,
		.stream = {X_V2_4, X_HTTP},
		.pk = {SYN0, ACK0, SEG(0, 20), SEG(20, L2H - 20)},
		.ev = {EV(R_TH, A_PASS, 2, .decl = X_V2_4,
			  .nc = NC(PP_CLASS_HTTP))},
		.ctr = {{HDR(1, 1, PP_FAM_INET), 1}},
		.flow = FLOW(PASSED, L2H, .reason = R_TH, .decl = X_V2_4),
	},
	{
		.desc = "ISN near 2^32: untrusted header split across the wrap",
		.isn = 0xfffffffau,
		.stream = {X_V2_4},
		.pk = {SYN0, ACK0, SEG(0, 8), SEG(8, L24 - 8, .v = V_DROP)},
		.ev = {EV(R_UH, A_DROP, 2)},
		.flow = FLOW(BLOCKED, 8, .reason = R_UH, .action = A_DROP,
			     .fver = 2),
	},
};

/* ---- TAP, diagnostics ---- */

static int tapno, tap_failed, verbose;
static char diag[32768];
static size_t diag_len;
static int nfail;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;
	int n;

	nfail++;
	if (diag_len >= sizeof(diag) - 512)
		return;
	n = snprintf(diag + diag_len, sizeof(diag) - diag_len, "#   ");
	diag_len += n;
	va_start(ap, fmt);
	n = vsnprintf(diag + diag_len, sizeof(diag) - diag_len - 2, fmt, ap);
	va_end(ap);
	if (n > 0)
		diag_len += (size_t)n < sizeof(diag) - diag_len - 2
				    ? (size_t)n
				    : sizeof(diag) - diag_len - 2;
	diag[diag_len++] = '\n';
	diag[diag_len] = 0;
}

static void tap_begin(void)
{
	nfail = 0;
	diag_len = 0;
	diag[0] = 0;
}

static int tap_end(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int tap_end(const char *fmt, ...)
{
	va_list ap;
	int ok = nfail == 0;

	printf("%sok %d - ", ok ? "" : "not ", ++tapno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok) {
		fputs(diag, stdout);
		tap_failed++;
	}
	fflush(stdout);
	return ok;
}

static void tap(int ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tapno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		tap_failed++;
	fflush(stdout);
}

/* ---- names, for messages ---- */

static const char *const reason_names[PP_R_MAX] = {
	"trusted_header",   "untrusted_header",
	"malformed_header", "version_not_allowed",
	"stacked_header",   "missing_header",
	"healthcheck",	    "denied_client",
	"blocked_source",   "fragment",
	"prefix_mismatch",  "no_header",
};
static const char *const action_names[PP_ACT_MAX] = {"pass", "drop", "reset",
						     "log"};
static const char *const state_names[] = {"syn", "open", "watch", "pass",
					  "blocked"};
static const char *const path_names[PP_PATH_MAX] = {
	"fast", "inspected", "flow_hit", "dropped", "reset"};
static const char *const misc_names[PP_MISC_MAX] = {
	"events_lost", "ooo_dropped", "flow_create_fail", "midstream"};

static const char *rname(unsigned r)
{
	return r < PP_R_MAX ? reason_names[r] : "?";
}

static const char *aname(unsigned a)
{
	return a < PP_ACT_MAX ? action_names[a] : "?";
}

static const char *sname(unsigned s)
{
	return s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

static void stat_name(__u32 idx, char *buf, size_t n)
{
	if (idx < PP_STAT_CONN_N) {
		__u32 a = idx % PP_ACT_MAX, r = idx / PP_ACT_MAX % PP_R_MAX;

		snprintf(buf, n, "conn[slot %u, %s, %s]",
			 idx / PP_ACT_MAX / PP_R_MAX, rname(r), aname(a));
	} else if (idx < PP_STAT_PATH(PP_PATH_MAX)) {
		snprintf(buf, n, "path[%s]", path_names[idx - PP_STAT_CONN_N]);
	} else if (idx < PP_STAT_MISC(0)) {
		__u32 h = idx - PP_STAT_HDR(0, 0, 0);

		snprintf(buf, n, "hdr[v%u, cmd %u, fam %u]", h / 8 + 1,
			 h / 4 % 2, h % 4);
	} else {
		snprintf(buf, n, "misc[%s]", misc_names[idx - PP_STAT_MISC(0)]);
	}
}

/* ---- the loaded programs and maps ---- */

static struct ppguard_bpf *skel;
static int prog_fd[2];
static struct ring_buffer *rb;
static int ncpu;
static __u64 *stat_buf;

enum { HOOK_TC = 0, HOOK_XDP = 1 };
static const char *const hook_names[] = {"tc", "xdp"};

#define MAX_EVENTS 64
static struct pp_event evs[MAX_EVENTS];
static int nevs;
static long evs_total, evs_short;

static int on_event(void *ctx, void *data, size_t len)
{
	(void)ctx;
	evs_total++;
	if (len != sizeof(struct pp_event)) {
		evs_short++;
		return 0;
	}
	if (nevs < MAX_EVENTS)
		memcpy(&evs[nevs], data, sizeof(evs[0]));
	nevs++;
	return 0;
}

static void events_drain(void)
{
	ring_buffer__consume(rb);
	nevs = 0;
	evs_total = 0;
	evs_short = 0;
}

static int parse_cidr(const char *cidr, int *fam, __u8 *addr, __u32 *plen)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", cidr);
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	*plen = atoi(slash + 1);
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1)
		*fam = 4;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*fam = 6;
	else
		return -EINVAL;
	return 0;
}

static int lpm_add(struct bpf_map *m4, struct bpf_map *m6, const char *cidr,
		   const void *val)
{
	struct pp_lpm6 k6 = {};
	struct pp_lpm4 k4 = {};
	__u8 a[16];
	__u32 plen;
	int fam;

	if (parse_cidr(cidr, &fam, a, &plen))
		return -EINVAL;
	if (fam == 4) {
		k4.prefixlen = plen;
		memcpy(k4.addr, a, 4);
		return bpf_map_update_elem(bpf_map__fd(m4), &k4, val, 0);
	}
	k6.prefixlen = plen;
	memcpy(k6.addr, a, 16);
	return bpf_map_update_elem(bpf_map__fd(m6), &k6, val, 0);
}

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int fill_policy(void)
{
	struct pp_deny deny = {PP_DENY_CONFIG};
	struct pp_blocked live = {mono_ns() + 3600ull * 1000000000ull};
	struct pp_blocked dead = {1};
	unsigned i;
	int err = 0;

	for (i = 0; i < PT_MAX; i++) {
		__u32 k = tports[i].port;

		err |= bpf_map_update_elem(bpf_map__fd(skel->maps.ports), &k,
					   &tports[i].pol, 0);
	}
	for (i = 0; i < ARRAY_SIZE(trust_ents); i++)
		err |= lpm_add(skel->maps.trust4, skel->maps.trust6,
			       trust_ents[i].cidr, &trust_ents[i].t);
	for (i = 0; i < ARRAY_SIZE(deny_cidrs); i++)
		err |= lpm_add(skel->maps.deny_client4, skel->maps.deny_client6,
			       deny_cidrs[i], &deny);
	err |= lpm_add(skel->maps.blocked4, skel->maps.blocked6,
		       "198.18.6.6/32", &live);
	err |= lpm_add(skel->maps.blocked4, skel->maps.blocked6,
		       "fd00:6::6/128", &live);
	err |= lpm_add(skel->maps.blocked4, skel->maps.blocked6,
		       "198.18.6.7/32", &dead);
	err |= lpm_add(skel->maps.blocked4, skel->maps.blocked6,
		       "fd00:6::7/128", &dead);
	return err ? -EIO : 0;
}

static int set_config(__u32 flags)
{
	struct pp_config cfg = {.flags = flags};
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg,
				   0);
}

static int flows_clear(void)
{
	int fd = bpf_map__fd(skel->maps.flows);
	struct pp_flow_key *keys, k;
	size_t n = 0, i;
	int err;

	keys = calloc(PP_FLOWS_MAX + 1024, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	err = bpf_map_get_next_key(fd, NULL, &k);
	while (!err && n < PP_FLOWS_MAX + 1024) {
		keys[n++] = k;
		err = bpf_map_get_next_key(fd, &keys[n - 1], &k);
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
	return 0;
}

static size_t flows_count(void)
{
	int fd = bpf_map__fd(skel->maps.flows);
	struct pp_flow_key k, prev;
	size_t n = 0;
	int err;

	err = bpf_map_get_next_key(fd, NULL, &k);
	while (!err) {
		n++;
		prev = k;
		err = bpf_map_get_next_key(fd, &prev, &k);
	}
	return n;
}

/* Counters summed over CPUs into sum[PP_STATS_MAX] */
static int stats_read(__u64 *sum)
{
	int fd = bpf_map__fd(skel->maps.stats);
	__u32 i;
	int c;

	for (i = 0; i < PP_STATS_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, stat_buf))
			return -errno;
		sum[i] = 0;
		for (c = 0; c < ncpu; c++)
			sum[i] += stat_buf[c];
	}
	return 0;
}

static int stats_zero(void)
{
	int fd = bpf_map__fd(skel->maps.stats);
	__u32 i;

	memset(stat_buf, 0, sizeof(__u64) * ncpu);
	for (i = 0; i < PP_STATS_MAX; i++)
		if (bpf_map_update_elem(fd, &i, stat_buf, 0))
			return -errno;
	return 0;
}

static int reset_state(__u32 cfg_flags)
{
	if (flows_clear() || stats_zero() || set_config(cfg_flags))
		return -1;
	events_drain();
	return 0;
}

/* ---- frames ---- */

struct enc {
	int fam, vlan, ext6, ipopt;
	__u8 peer[16], local[16];
	__u16 sport, dport;
};

struct frame {
	__u8 b[2600];
	size_t len;
	size_t l4;	/* offset of the TCP header, 0: none in this frame */
	size_t seg_len; /* length of the whole TCP segment */
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static __u32 csum_add(__u32 s, const __u8 *b, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (b[i] << 8) | b[i + 1];
	if (n & 1)
		s += b[n - 1] << 8;
	return s;
}

static __u16 csum_fold(__u32 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

static __u32 pseudo_sum(const struct enc *e, __u8 proto, size_t len)
{
	__u8 ph[40];

	if (e->fam == 4) {
		memcpy(ph, e->peer, 4);
		memcpy(ph + 4, e->local, 4);
		ph[8] = 0;
		ph[9] = proto;
		put16(ph + 10, len);
		return csum_add(0, ph, 12);
	}
	memcpy(ph, e->peer, 16);
	memcpy(ph + 16, e->local, 16);
	put32(ph + 32, len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return csum_add(0, ph, 40);
}

/* TCP (or UDP) header + payload with its checksum. Returns the length. */
static size_t build_l4(__u8 *s, const struct enc *e, int udp, __u8 fl,
		       __u32 seq, const __u8 *pay, size_t plen, size_t *hlen)
{
	static const __u8 syn_opt[8] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2};
	static const __u8 ts_opt[12] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
	size_t h, len;

	put16(s, e->sport);
	put16(s + 2, e->dport);
	if (udp) {
		h = 8;
		put16(s + 4, h + plen);
		put16(s + 6, 0);
	} else {
		size_t ol = (fl & TH_SYN) ? sizeof(syn_opt) : sizeof(ts_opt);

		h = 20 + ol;
		put32(s + 4, seq);
		put32(s + 8, (fl & TH_ACK) ? 0x0badcafe : 0);
		s[12] = (h / 4) << 4;
		s[13] = fl;
		put16(s + 14, 64240);
		put16(s + 16, 0);
		put16(s + 18, 0);
		memcpy(s + 20, (fl & TH_SYN) ? syn_opt : ts_opt, ol);
	}
	memcpy(s + h, pay, plen);
	len = h + plen;
	put16(s + (udp ? 6 : 16),
	      csum_fold(csum_add(pseudo_sum(e, udp ? 17 : 6, len), s, len)));
	*hlen = h;
	return len;
}

static int build_frame(struct frame *f, const struct enc *e, int frag, __u8 fl,
		       __u32 seq, const __u8 *pay, size_t plen)
{
	static const __u8 mac[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
	__u8 seg[2100], *ip;
	size_t hlen, slen, from = 0, to, o, first;
	int udp = frag == FR_UDP, mf = 0, fragmented;
	__u8 proto = udp ? 17 : 6;

	if (plen > 2000)
		return -1;
	slen = build_l4(seg, e, udp, fl, seq, pay, plen, &hlen);
	to = slen;
	first = (hlen + 8) / 8 * 8; /* TCP header + at least one byte */
	fragmented = frag == FR_FIRST || frag == FR_LATER || frag == FR_TINY;
	if (frag == FR_FIRST) {
		if (first >= slen)
			return -1;
		to = first;
		mf = 1;
	} else if (frag == FR_TINY) {
		to = 8;
		mf = 1;
	} else if (frag == FR_LATER) {
		if (first >= slen)
			return -1;
		from = first;
	}

	memcpy(f->b, mac, 12);
	o = 12;
	if (e->vlan == 2) {
		put16(f->b + o, ETH_P_8021AD);
		put16(f->b + o + 2, 200);
		o += 4;
	}
	if (e->vlan >= 1) {
		put16(f->b + o, ETH_P_8021Q);
		put16(f->b + o + 2, 100);
		o += 4;
	}
	put16(f->b + o, e->fam == 4 ? ETH_P_IP : ETH_P_IPV6);
	o += 2;
	ip = f->b + o;
	if (e->fam == 4) {
		size_t ihl = e->ipopt ? 24 : 20;
		__u16 fo = 0x4000; /* DF */

		if (fragmented)
			fo = (mf ? 0x2000 : 0) | (from / 8);
		ip[0] = 0x40 | ihl / 4;
		ip[1] = 0;
		put16(ip + 2, ihl + to - from);
		put16(ip + 4, 0x1234);
		put16(ip + 6, fo);
		ip[8] = 64;
		ip[9] = proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, e->peer, 4);
		memcpy(ip + 16, e->local, 4);
		if (e->ipopt) {
			ip[20] = 1; /* NOP NOP NOP EOL */
			ip[21] = 1;
			ip[22] = 1;
			ip[23] = 0;
		}
		put16(ip + 10, csum_fold(csum_add(0, ip, ihl)));
		o += ihl;
	} else {
		__u8 chain[3], *x;
		int n = 0, i;
		size_t ext = 0;

		if (e->ext6 & EXT_HBH)
			chain[n++] = 0; /* IPPROTO_HOPOPTS */
		if (e->ext6 & EXT_DST)
			chain[n++] = 60; /* IPPROTO_DSTOPTS */
		if (fragmented)
			chain[n++] = 44; /* IPPROTO_FRAGMENT */
		ext = 8 * n;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, ext + to - from);
		ip[6] = n ? chain[0] : proto;
		ip[7] = 64;
		memcpy(ip + 8, e->peer, 16);
		memcpy(ip + 24, e->local, 16);
		x = ip + 40;
		for (i = 0; i < n; i++, x += 8) {
			memset(x, 0, 8);
			x[0] = i + 1 < n ? chain[i + 1] : proto;
			if (chain[i] == 44) {
				put16(x + 2, (from / 8) << 3 | mf);
				put32(x + 4, 0x5eed);
			} else {
				x[2] = 1; /* PadN, 4 bytes */
				x[3] = 4;
			}
		}
		o += 40 + ext;
	}
	f->l4 = from == 0 && !udp ? o : 0;
	memcpy(f->b + o, seg + from, to - from);
	f->len = o + to - from;
	f->seg_len = slen;
	return 0;
}

static int tcp_csum_ok(const struct enc *e, const __u8 *seg, size_t len)
{
	return csum_fold(csum_add(pseudo_sum(e, 6, len), seg, len)) == 0;
}

/* ---- running frames ---- */

static const __u32 pass_code[2] = {(__u32)TC_ACT_UNSPEC, XDP_PASS};
static const __u32 drop_code[2] = {TC_ACT_SHOT, XDP_DROP};

static int run_frame(int hook, const struct frame *f, __u8 *out, __u32 *out_len,
		     __u32 *retval, int repeat)
{
	struct xdp_md xctx = {.data_end = f->len, .ingress_ifindex = 1};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b,
		    .data_size_in = f->len, .data_out = out,
		    .data_size_out = sizeof(((struct frame *)0)->b) + 256,
		    .repeat = repeat);
	int err;

	if (hook == HOOK_XDP) {
		o.ctx_in = &xctx;
		o.ctx_size_in = sizeof(xctx);
	}
	err = bpf_prog_test_run_opts(prog_fd[hook], &o);
	if (err)
		return -errno;
	*retval = o.retval;
	*out_len = o.data_size_out;
	return 0;
}

/* Send one frame, check the verdict and the output. */
static void send_check(int hook, const struct enc *e, const struct frame *f,
		       int want, const char *what)
{
	__u8 out[sizeof(f->b) + 256];
	__u32 rv, olen;
	int err;

	err = run_frame(hook, f, out, &olen, &rv, 1);
	if (err) {
		fail("%s: BPF_PROG_TEST_RUN: %s", what, strerror(-err));
		return;
	}
	if (want == V_DROP) {
		if (rv != drop_code[hook])
			fail("%s: verdict %u, want drop (%u)", what, rv,
			     drop_code[hook]);
		return;
	}
	if (rv != pass_code[hook]) {
		fail("%s: verdict %u, want %s (%u)", what, rv,
		     want == V_RESET ? "pass as RST" : "pass", pass_code[hook]);
		return;
	}
	if (olen != f->len) {
		fail("%s: output frame %u bytes, input %zu", what, olen,
		     f->len);
		return;
	}
	if (want == V_PASS) {
		if (memcmp(out, f->b, f->len))
			fail("%s: passed frame was modified", what);
		return;
	}
	/* reset: flags RST|ACK, checksum valid, nothing else changed */
	if (!f->l4) {
		fail("%s: row error: reset of a frame without TCP header",
		     what);
		return;
	}
	if (out[f->l4 + 13] != (TH_RST | TH_ACK))
		fail("%s: reset frame has TCP flags 0x%02x, want RST|ACK", what,
		     out[f->l4 + 13]);
	for (size_t i = 0; i < f->len; i++) {
		if (i == f->l4 + 13 || i == f->l4 + 16 || i == f->l4 + 17)
			continue;
		if (out[i] != f->b[i]) {
			fail("%s: reset frame differs at byte %zu", what, i);
			break;
		}
	}
	if (!tcp_csum_ok(e, out + f->l4, f->seg_len))
		fail("%s: reset frame has a bad TCP checksum (0x%02x%02x)",
		     what, out[f->l4 + 16], out[f->l4 + 17]);
}

/* ---- one case ---- */

struct streams {
	__u8 b[2][2048];
	size_t len[2];
};

static int build_stream(const __u8 *ids, __u8 *b, size_t *len)
{
	size_t n = 0;
	int i;

	for (i = 0; i < 6 && ids[i]; i++) {
		const struct part *p = &parts[ids[i]];

		if (n + p->len > 2048)
			return -1;
		memcpy(b + n, p->b, p->len);
		n += p->len;
	}
	*len = n;
	return 0;
}

static void check_decl(const char *what, const struct part *pt, __u8 ver,
		       __u8 cmd, __u8 fam, __u16 sport, __u16 dport,
		       const __u8 *src, const __u8 *dst, __u32 hdr_len)
{
	const struct decl *d = &pt->d;

	if (ver != d->ver || cmd != d->cmd || fam != d->fam)
		fail("%s: declared version/command/family %u/%u/%u, want "
		     "%u/%u/%u (%s)",
		     what, ver, cmd, fam, d->ver, d->cmd, d->fam, pt->name);
	if (sport != d->sport || dport != d->dport)
		fail("%s: declared ports %u -> %u, want %u -> %u", what, sport,
		     dport, d->sport, d->dport);
	if (memcmp(src, pt->src, 16) || memcmp(dst, pt->dst, 16))
		fail("%s: declared addresses differ from %s -> %s", what,
		     d->src ? d->src : "0", d->dst ? d->dst : "0");
	if (hdr_len != pt->len)
		fail("%s: hdr_len %u, want %u", what, hdr_len, pt->len);
}

static int all_zero(const void *p, size_t n)
{
	const __u8 *b = p;

	while (n--)
		if (*b++)
			return 0;
	return 1;
}

static void check_event(int i, const struct pp_event *ev, const struct xev *x,
			int hook, const struct enc *e)
{
	char what[32];

	snprintf(what, sizeof(what), "event %d", i + 1);
	if (ev->reason != x->r || ev->action != x->a)
		fail("%s: %s/%s, want %s/%s", what, rname(ev->reason),
		     aname(ev->action), rname(x->r), aname(x->a));
	if (ev->version != x->ver)
		fail("%s: version %u, want %u", what, ev->version, x->ver);
	if (ev->hook != (hook == HOOK_TC ? PP_HOOK_TC : PP_HOOK_XDP))
		fail("%s: hook %u", what, ev->hook);
	if (ev->ifindex != 1)
		fail("%s: ifindex %u, want 1", what, ev->ifindex);
	if (ev->ip_family != e->fam || memcmp(ev->peer, e->peer, 16) ||
	    memcmp(ev->local, e->local, 16) || ev->peer_port != e->sport ||
	    ev->local_port != e->dport)
		fail("%s: peer tuple (family %u, ports %u -> %u) is not the "
		     "packet's",
		     what, ev->ip_family, ev->peer_port, ev->local_port);
	if (x->nc && ev->next_class != (x->nc & 0xff))
		fail("%s: next_class %u, want %u", what, ev->next_class,
		     x->nc & 0xff);
	if (x->err && ev->error != (x->err & 0xff))
		fail("%s: error %u, want %u", what, ev->error, x->err & 0xff);
	if (x->flags && ev->flags != (x->flags & 0xff))
		fail("%s: flags 0x%x, want 0x%x", what, ev->flags,
		     x->flags & 0xff);
	if (x->decl) {
		const struct part *pt = &parts[x->decl];
		__u32 tot, n;

		check_decl(what, pt, ev->version, ev->command, ev->family,
			   ev->src_port, ev->dst_port, ev->src_addr,
			   ev->dst_addr, ev->hdr_len);
		if (x->decl_partial)
			return;
		if (ev->transport != pt->d.trans)
			fail("%s: transport %u, want %u", what, ev->transport,
			     pt->d.trans);
		tot = pt->d.ver == 2 ? pt->len - pt->d.tlv_off : 0;
		n = tot;
		if (n > PP_PREFIX_LEN - (__u32)pt->d.tlv_off)
			n = PP_PREFIX_LEN - (__u32)pt->d.tlv_off;
		if (n > PP_EV_TLV_MAX)
			n = PP_EV_TLV_MAX;
		if (ev->tlv_total != tot || ev->tlv_len != n)
			fail("%s: tlv_total/tlv_len %u/%u, want %u/%u", what,
			     ev->tlv_total, ev->tlv_len, tot, n);
		else if (n && memcmp(ev->tlv, pt->b + pt->d.tlv_off, n))
			fail("%s: TLV bytes differ from the header's", what);
	} else if (x->r != PP_R_MALFORMED_HEADER) {
		if (ev->command || ev->family || ev->src_port || ev->dst_port ||
		    !all_zero(ev->src_addr, 16) ||
		    !all_zero(ev->dst_addr, 16) || ev->hdr_len || ev->tlv_len)
			fail("%s: carries a declared tuple, want none", what);
	}
}

static void check_flow(const struct tcase *t, const struct enc *e,
		       const __u8 *stream, size_t slen, __u32 isn)
{
	const struct xflow *x = &t->flow;
	struct pp_flow_key k = {};
	struct pp_flow f;
	int err;

	memcpy(k.peer, e->peer, 16);
	memcpy(k.local, e->local, 16);
	k.peer_port = htons(e->sport);
	k.local_port = htons(e->dport);
	k.family = e->fam;
	err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows), &k, &f);
	if (x->chk == FL_NONE) {
		if (!err)
			fail("flow: an entry remains (state %s, have %u), "
			     "want none",
			     sname(f.state), f.have);
		return;
	}
	if (x->chk != FL_YES) {
		fail("row error: no flow expectation");
		return;
	}
	if (err) {
		fail("flow: no entry, want state %s", sname(x->state));
		return;
	}
	if (f.state != x->state)
		fail("flow: state %s, want %s", sname(f.state),
		     sname(x->state));
	if (f.have != (__u32)x->have)
		fail("flow: have %u, want %d", f.have, x->have);
	if (f.flags != x->flags)
		fail("flow: flags 0x%x, want 0x%x", f.flags, x->flags);
	if (f.reason != x->reason || f.action != x->action)
		fail("flow: verdict %s/%s, want %s/%s", rname(f.reason),
		     aname(f.action), rname(x->reason), aname(x->action));
	if (x->flags & PP_FF_MIDSTREAM) {
		if (f.isn || f.peer_class != PP_PEER_UNTRUSTED)
			fail("flow: mid-stream entry with isn %u class %u",
			     f.isn, f.peer_class);
	} else {
		if (f.isn != isn + x->isn_off)
			fail("flow: isn %u, want %u", f.isn, isn + x->isn_off);
		if (f.peer_class != peers[t->peer].cls)
			fail("flow: peer class %u, want %u", f.peer_class,
			     peers[t->peer].cls);
	}
	if (f.have <= PP_PREFIX_LEN) {
		if ((size_t)f.have > slen || memcmp(f.prefix, stream, f.have))
			fail("flow: prefix bytes differ from the stream's "
			     "first %u",
			     f.have);
		if (!all_zero(f.prefix + f.have, PP_PREFIX_LEN - f.have))
			fail("flow: bytes after the prefix are not zero");
	}
	if (x->decl) {
		check_decl("flow", &parts[x->decl], f.version, f.command,
			   f.family, f.src_port, f.dst_port, f.src_addr,
			   f.dst_addr, f.hdr_len);
	} else if (f.version != x->fver || f.command || f.family ||
		   f.src_port || f.dst_port || f.hdr_len ||
		   !all_zero(f.src_addr, 16) || !all_zero(f.dst_addr, 16)) {
		fail("flow: declared tuple version %u cmd %u family %u ports "
		     "%u/%u hdr_len %u, want version %u and nothing else",
		     f.version, f.command, f.family, f.src_port, f.dst_port,
		     f.hdr_len, x->fver);
	}
}

static void check_stats(const __u64 *want)
{
	static __u64 got[PP_STATS_MAX];
	char name[64];
	int err, shown = 0;
	__u32 i;

	err = stats_read(got);
	if (err) {
		fail("stats: read: %s", strerror(-err));
		return;
	}
	for (i = 0; i < PP_STATS_MAX; i++) {
		if (got[i] == want[i])
			continue;
		stat_name(i, name, sizeof(name));
		if (shown++ < 12)
			fail("stats: %s = %llu, want %llu", name,
			     (unsigned long long)got[i],
			     (unsigned long long)want[i]);
	}
}

static void enc_init(struct enc *e, int fam, const struct tcase *t, __u16 sport)
{
	memset(e, 0, sizeof(*e));
	e->fam = fam;
	e->vlan = t->vlan;
	e->ext6 = t->ext6;
	e->ipopt = t->ipopt;
	inet_pton(fam == 4 ? AF_INET : AF_INET6,
		  fam == 4 ? peers[t->peer].a4 : peers[t->peer].a6, e->peer);
	inet_pton(fam == 4 ? AF_INET : AF_INET6, fam == 4 ? LOCAL4 : LOCAL6,
		  e->local);
	e->sport = sport;
	e->dport = tports[t->port].port;
}

static void run_case(int hook, int fam, const struct tcase *t, int idx)
{
	static __u64 want[PP_STATS_MAX];
	static struct streams st;
	static __u8 pay[2100];
	struct frame f;
	struct enc e;
	__u32 isn = t->isn ? t->isn : ISN_DEF;
	int i, n, r, nsent = 0, nev_want = 0;

	tap_begin();
	memset(want, 0, sizeof(want));
	enc_init(&e, fam, t, 40000 + idx);
	if (build_stream(t->stream, st.b[0], &st.len[0]) ||
	    build_stream(t->alt, st.b[1], &st.len[1])) {
		fail("row error: stream too long");
		goto out;
	}
	if (reset_state(t->dry_run ? PP_CFG_DRY_RUN : 0)) {
		fail("cannot reset the maps: %s", strerror(errno));
		goto out;
	}

	for (i = 0; i < MAX_PK && t->pk[i].fl; i++) {
		const struct xpkt *x = &t->pk[i];
		const __u8 *src = st.b[x->alt];
		size_t srclen = st.len[x->alt];

		for (r = 0; r < (x->rep ? x->rep : 1); r++) {
			int off = x->off + r * x->len;
			__u32 seq = isn + 1 + off - ((x->fl & TH_SYN) ? 1 : 0);
			char what[48];

			for (n = 0; n < x->len; n++) {
				long pos = (long)off + n;

				if (pos >= (long)srclen) {
					fail("row error: packet %d reads past "
					     "the stream",
					     i + 1);
					goto out;
				}
				pay[n] = pos < 0 ? 'j' : src[pos];
			}
			if (build_frame(&f, &e, x->frag, x->fl, seq, pay,
					x->len)) {
				fail("row error: packet %d cannot be built",
				     i + 1);
				goto out;
			}
			nsent++;
			snprintf(what, sizeof(what), "packet %d (off %d)",
				 nsent, off);
			send_check(hook, &e, &f, x->v, what);
			switch (x->path) {
			case P_INSP:
				want[PP_STAT_PATH(PP_PATH_INSPECTED)]++;
				break;
			case P_FAST:
				want[PP_STAT_PATH(PP_PATH_FAST)]++;
				break;
			case P_HIT:
				want[PP_STAT_PATH(PP_PATH_FLOW_HIT)]++;
				break;
			}
			if (x->v == V_DROP)
				want[PP_STAT_PATH(PP_PATH_DROPPED)]++;
			if (x->v == V_RESET)
				want[PP_STAT_PATH(PP_PATH_RESET)]++;
		}
	}

	/* events */
	nevs = 0;
	ring_buffer__consume(rb);
	for (i = 0; i < MAX_EV && t->ev[i].r | t->ev[i].a | t->ev[i].ver |
					  t->ev[i].decl | t->ev[i].nc;
	     i++)
		nev_want++;
	if (nevs != nev_want || evs_short)
		fail("events: %d (%ld of a wrong size), want %d", nevs,
		     evs_short, nev_want);
	for (i = 0; i < nevs && i < MAX_EVENTS; i++) {
		if (verbose)
			printf("#   event %d: %s/%s version %u flags 0x%x\n",
			       i + 1, rname(evs[i].reason),
			       aname(evs[i].action), evs[i].version,
			       evs[i].flags);
		if (nevs != nev_want)
			fail("event %d is %s/%s", i + 1, rname(evs[i].reason),
			     aname(evs[i].action));
		if (i < nev_want)
			check_event(i, &evs[i], &t->ev[i], hook, &e);
	}

	/* counters: one connection counter per expected event */
	for (i = 0; i < nev_want; i++)
		want[PP_STAT_CONN(tports[t->port].pol.slot, t->ev[i].r,
				  t->ev[i].a)]++;
	for (i = 0; i < MAX_CTR && t->ctr[i].n; i++)
		want[t->ctr[i].idx] += t->ctr[i].n;
	check_stats(want);
	check_flow(t, &e, st.b[0], st.len[0], isn);
out:
	tap_end("[%s v%d] %s", hook_names[hook], fam, t->desc);
}

/* ---- cases written as code ---- */

/* Send a frame built from (flags, seq, bytes); return the verdict code. */
static int send_raw(int hook, const struct enc *e, __u8 fl, __u32 seq,
		    const void *pay, size_t plen, int repeat, __u32 *rv)
{
	__u8 out[sizeof(((struct frame *)0)->b) + 256];
	struct frame f;
	__u32 olen;

	if (build_frame(&f, e, FR_NONE, fl, seq, pay, plen))
		return -EINVAL;
	return run_frame(hook, &f, out, &olen, rv, repeat);
}

static void expect_verdict(int hook, const struct enc *e, __u8 fl, __u32 seq,
			   const void *pay, size_t plen, int want,
			   const char *what)
{
	__u32 rv = 0;
	int err = send_raw(hook, e, fl, seq, pay, plen, 1, &rv);

	if (err)
		fail("%s: BPF_PROG_TEST_RUN: %s", what, strerror(-err));
	else if (rv != (want == V_DROP ? drop_code[hook] : pass_code[hook]))
		fail("%s: verdict %u, want %s", what, rv,
		     want == V_DROP ? "drop" : "pass");
}

/*
 * A full ring buffer: blocked-source SYNs run with "repeat" fill it, then
 * an untrusted and a trusted connection are decided while it is full.
 * Their verdicts and flow entries must be unaffected, every event that did
 * not fit counted in events_lost, and exactly a ring's worth delivered.
 */
static void case_ring_full(int hook, int fam)
{
	static __u64 want[PP_STATS_MAX];
	const struct tcase blk = {.peer = PEER_BLOCKED};
	const struct tcase utr = {.peer = PEER_UNTRUSTED};
	const struct tcase trs = {.peer = PEER_TRUSTED};
	__u32 rec = (sizeof(struct pp_event) + 8 + 7) / 8 * 8;
	__u32 cap = PP_RINGBUF_BYTES / rec, rv = 0;
	__u32 fill = cap + 7, slot = tports[PT_REQ_DROP].pol.slot;
	struct pp_flow_key k = {};
	struct pp_flow fl;
	struct enc e;
	int err;

	tap_begin();
	memset(want, 0, sizeof(want));
	if (reset_state(0)) {
		fail("cannot reset the maps");
		goto out;
	}
	enc_init(&e, fam, &blk, 41000);
	err = send_raw(hook, &e, TH_SYN, ISN_DEF, NULL, 0, fill, &rv);
	if (err || rv != drop_code[hook])
		fail("blocked SYN x%u: err %d verdict %u, want drop", fill, err,
		     rv);
	want[PP_STAT_CONN(slot, PP_R_BLOCKED_SOURCE, A_DROP)] += fill;
	want[PP_STAT_PATH(PP_PATH_INSPECTED)] += fill;
	want[PP_STAT_PATH(PP_PATH_DROPPED)] += fill;
	want[MISC(PP_MISC_EVENTS_LOST)] += fill - cap;

	/* untrusted header while the ring is full: still dropped */
	enc_init(&e, fam, &utr, 41001);
	expect_verdict(hook, &e, TH_SYN, ISN_DEF, NULL, 0, V_PASS,
		       "untrusted SYN");
	expect_verdict(hook, &e, TH_ACK | TH_PSH, ISN_DEF + 1, S_V2_4, L24,
		       V_DROP, "untrusted header with the ring full");
	expect_verdict(hook, &e, TH_ACK | TH_PSH, ISN_DEF + 1, S_V2_4, L24,
		       V_DROP, "its retransmission");
	want[PP_STAT_PATH(PP_PATH_INSPECTED)] += 2;
	want[PP_STAT_PATH(PP_PATH_FLOW_HIT)] += 1;
	want[PP_STAT_PATH(PP_PATH_DROPPED)] += 2;
	want[PP_STAT_CONN(slot, R_UH, A_DROP)]++;
	want[MISC(PP_MISC_EVENTS_LOST)]++;
	memcpy(k.peer, e.peer, 16);
	memcpy(k.local, e.local, 16);
	k.peer_port = htons(e.sport);
	k.local_port = htons(e.dport);
	k.family = fam;
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows), &k, &fl) ||
	    fl.state != PP_FS_BLOCKED || fl.reason != R_UH)
		fail("untrusted flow is not blocked for untrusted_header");

	/* trusted header while the ring is full: still passed, recorded */
	enc_init(&e, fam, &trs, 41002);
	expect_verdict(hook, &e, TH_SYN, ISN_DEF, NULL, 0, V_PASS,
		       "trusted SYN");
	expect_verdict(hook, &e, TH_ACK | TH_PSH, ISN_DEF + 1, S_V2_4 S_HTTP,
		       L2H, V_PASS, "trusted header with the ring full");
	want[PP_STAT_PATH(PP_PATH_INSPECTED)] += 2;
	want[PP_STAT_CONN(slot, R_TH, A_PASS)]++;
	want[HDR(1, 1, PP_FAM_INET)]++;
	want[MISC(PP_MISC_EVENTS_LOST)]++;
	memcpy(k.peer, e.peer, 16);
	k.peer_port = htons(e.sport);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows), &k, &fl) ||
	    fl.state != PP_FS_PASS || fl.src_port != 40001 ||
	    memcmp(fl.src_addr, parts[X_V2_4].src, 16))
		fail("trusted flow is not passed with its declared client");
	check_stats(want);

	/* a ring's worth of events, all of the blocked source */
	nevs = 0;
	evs_total = 0;
	ring_buffer__consume(rb);
	if (evs_total != cap)
		fail("consumed %ld events, want the ring's capacity %u",
		     evs_total, cap);
	if (nevs && evs[0].reason != PP_R_BLOCKED_SOURCE)
		fail("first event is %s", rname(evs[0].reason));

	/* with room again, the next decision is delivered */
	nevs = 0;
	enc_init(&e, fam, &utr, 41003);
	expect_verdict(hook, &e, TH_SYN, ISN_DEF, NULL, 0, V_PASS,
		       "untrusted SYN after draining");
	expect_verdict(hook, &e, TH_ACK | TH_PSH, ISN_DEF + 1, S_V1_4, L14,
		       V_DROP, "untrusted header after draining");
	ring_buffer__consume(rb);
	if (nevs != 1 || evs[0].reason != R_UH)
		fail("after draining: %d events, want one untrusted_header",
		     nevs);
out:
	tap_end("[%s v%d] full ring buffer: %u events fit, verdicts "
		"unchanged, the rest counted in events_lost",
		hook_names[hook], fam, cap);
}

/*
 * A SYN flood from untrusted sources fills the flow table (LRU) after a
 * trusted and an untrusted connection were opened. Trusted traffic must
 * still pass (its flow, or the stateless path, lets it through), the
 * untrusted peer's forged header must still be dropped, and a new trusted
 * connection must be judged normally.
 */
static void case_syn_flood(int hook, int fam)
{
	const struct tcase utr = {.peer = PEER_UNTRUSTED};
	const struct tcase trs = {.peer = PEER_TRUSTED};
	struct enc et, eu, ef;
	__u64 got[PP_STATS_MAX];
	int i, n = PP_FLOWS_MAX + PP_FLOWS_MAX / 4, bad = 0;
	__u32 rv;
	size_t nflows;

	tap_begin();
	if (reset_state(0)) {
		fail("cannot reset the maps");
		goto out;
	}
	enc_init(&et, fam, &trs, 42000);
	enc_init(&eu, fam, &utr, 42001);
	expect_verdict(hook, &et, TH_SYN, ISN_DEF, NULL, 0, V_PASS,
		       "trusted SYN");
	expect_verdict(hook, &et, TH_ACK, ISN_DEF + 1, NULL, 0, V_PASS,
		       "trusted ACK");
	expect_verdict(hook, &eu, TH_SYN, ISN_DEF, NULL, 0, V_PASS,
		       "untrusted SYN");
	expect_verdict(hook, &eu, TH_ACK, ISN_DEF + 1, NULL, 0, V_PASS,
		       "untrusted ACK");
	enc_init(&ef, fam, &utr, 0);
	for (i = 0; i < n; i++) {
		/* sources 198.18.16.0/20 (fd00:16::/64), any port */
		ef.sport = 1024 + i % 60000;
		if (fam == 4) {
			ef.peer[2] = 16 + (i / 60000) % 16;
			ef.peer[3] = i / 60000 / 16 + 1;
		} else {
			ef.peer[3] = 0x16;
			ef.peer[15] = i / 60000 + 1;
		}
		if (send_raw(hook, &ef, TH_SYN, i * 7919u, NULL, 0, 1, &rv) ||
		    rv != pass_code[hook])
			bad++;
	}
	if (bad)
		fail("%d flood SYNs not passed", bad);
	nflows = flows_count();
	if (nflows > PP_FLOWS_MAX)
		fail("%zu flows, more than the table's %d", nflows,
		     PP_FLOWS_MAX);
	events_drain();
	expect_verdict(hook, &et, TH_ACK | TH_PSH, ISN_DEF + 1, S_V2_4 S_HTTP,
		       L2H, V_PASS, "trusted header after the flood");
	expect_verdict(hook, &eu, TH_ACK | TH_PSH, ISN_DEF + 1, S_V2_4, L24,
		       V_DROP, "untrusted header after the flood");
	enc_init(&et, fam, &trs, 42002);
	expect_verdict(hook, &et, TH_SYN, ISN_DEF, NULL, 0, V_PASS,
		       "new trusted SYN");
	expect_verdict(hook, &et, TH_ACK | TH_PSH, ISN_DEF + 1, S_V2_4 S_HTTP,
		       L2H, V_PASS, "new trusted header");
	nevs = 0;
	ring_buffer__consume(rb);
	/* the old trusted flow may have been evicted (then it passes
	 * statelessly, without an event); the others must be reported */
	for (i = 0, bad = 0; i < nevs && i < MAX_EVENTS; i++)
		if (evs[i].reason != R_UH && evs[i].reason != R_TH)
			bad++;
	if (bad || nevs < 2 || evs[nevs - 1].reason != R_TH)
		fail("after the flood: %d events, want untrusted_header and "
		     "trusted_header",
		     nevs);
	if (!stats_read(got) && got[MISC(PP_MISC_FLOW_CREATE_FAIL)])
		fail("flow_create_fail = %llu",
		     (unsigned long long)got[MISC(PP_MISC_FLOW_CREATE_FAIL)]);
	printf("# [%s v%d] flood of %d SYNs: %zu flows in the table\n",
	       hook_names[hook], fam, n, nflows);
out:
	tap_end("[%s v%d] SYN flood filling the flow table: trusted traffic "
		"passes, forged headers are still dropped",
		hook_names[hook], fam);
}

/* ---- -l: the table as Markdown, for humans ---- */

static const char *const peer_names[PEER_MAX] = {
	"untrusted",   "trusted",  "trusted+hc",    "hc only",
	"below /24",   "next /25", "last of /24",   "other /25 half",
	"last of /25", "blocked",  "block expired",
};
static const char *const port_names[PT_MAX] = {
	"require drop",	   "require v2 reset", "optional log", "optional drop",
	"require v1 drop", "optional reset",   "unprotected",
};

static void list_cases(void)
{
	static const char *const vn[] = {"pass", "DROP", "RST"};
	unsigned i;
	int j, k;

	printf("| case | fam | peer | port | packets -> verdict | events |\n");
	printf("|---|---|---|---|---|---|\n");
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct tcase *t = &cases[i];
		const char *d;

		printf("| ");
		for (d = t->desc; *d; d++)
			printf(*d == '|' ? "\\|" : "%c", *d);
		printf("%s%s%s | %s | %s | %s%s | ",
		       t->vlan ? (t->vlan == 2 ? " [QinQ]" : " [VLAN]") : "",
		       t->ext6 ? " [HBH+DST]" : "",
		       t->ipopt ? " [IP opts]" : "",
		       t->fam ? (t->fam == 4 ? "4" : "6") : "4+6",
		       peer_names[t->peer], port_names[t->port],
		       t->dry_run ? ", dry-run" : "");
		for (j = 0; j < MAX_PK && t->pk[j].fl; j++) {
			const struct xpkt *x = &t->pk[j];
			char fl[8] = "";

			if (x->fl & TH_SYN)
				strcat(fl, "S");
			if (x->fl & TH_FIN)
				strcat(fl, "F");
			if (x->fl & TH_RST)
				strcat(fl, "R");
			if (!(x->fl & (TH_SYN | TH_FIN | TH_RST)))
				strcat(fl, x->len ? "D" : "A");
			printf("%s%s", j ? ", " : "", fl);
			if (x->len)
				printf("[%d+%d%s]", x->off, x->len,
				       x->alt ? " other bytes" : "");
			else if (x->off)
				printf("[%+d]", x->off);
			if (x->frag)
				printf("{%s}",
				       x->frag == FR_FIRST   ? "frag 1st"
				       : x->frag == FR_LATER ? "frag later"
				       : x->frag == FR_TINY  ? "tiny frag"
							     : "UDP");
			if (x->rep > 1)
				printf("x%d", x->rep);
			printf(" %s", vn[x->v]);
		}
		printf(" | ");
		for (k = 0;
		     k < MAX_EV && (t->ev[k].r | t->ev[k].a | t->ev[k].ver |
				    t->ev[k].decl | t->ev[k].nc);
		     k++)
			printf("%s%s/%s", k ? ", " : "", rname(t->ev[k].r),
			       aname(t->ev[k].a));
		printf("%s |\n", k ? "" : "none");
	}
}

/* ---- setup ---- */

static int libbpf_log(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int setup(void)
{
	struct bpf_map *m;
	int err, i, pinned = 0;

	libbpf_set_print(libbpf_log);
	skel = ppguard_bpf__open();
	if (!skel) {
		tap(0, "open build/ppguard.bpf.o: %s", strerror(errno));
		return -1;
	}
	/* No pinning: the maps are this process's alone and vanish with
	 * it; nothing touches /sys/fs/bpf/ppguard. */
	bpf_object__for_each_map(m, skel->obj)
	{
		err = bpf_map__set_pin_path(m, NULL);
		if (err) {
			tap(0, "unpin %s: %s", bpf_map__name(m),
			    strerror(-err));
			return -1;
		}
	}
	err = ppguard_bpf__load(skel);
	tap(!err, "ppguard.bpf.o loads (both programs verified)%s%s",
	    err ? ": " : "", err ? strerror(-err) : "");
	if (err)
		return -1;
	bpf_object__for_each_map(m, skel->obj) pinned |= bpf_map__is_pinned(m);
	tap(!pinned, "no map is pinned");
	prog_fd[HOOK_TC] = bpf_program__fd(skel->progs.ppguard_tc);
	prog_fd[HOOK_XDP] = bpf_program__fd(skel->progs.ppguard_xdp);
	for (i = 0; i < 2; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(prog_fd[i], &info, &len) == 0)
			printf("# verified_insns ppguard_%s=%u\n",
			       hook_names[i], info.verified_insns);
	}
	ncpu = libbpf_num_possible_cpus();
	stat_buf = calloc(ncpu, sizeof(__u64));
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL,
			      NULL);
	if (ncpu <= 0 || !stat_buf || !rb) {
		tap(0, "ring buffer / counters setup");
		return -1;
	}
	err = fill_policy();
	tap(!err, "policy maps filled (ports, trust, deny, blocked)");
	for (i = 1; i < X_MAX; i++) {
		const char *s = parts[i].d.src, *d = parts[i].d.dst;
		int af = parts[i].d.fam == PP_FAM_INET ? AF_INET : AF_INET6;

		if (s)
			inet_pton(af, s, parts[i].src);
		if (d)
			inet_pton(af, d, parts[i].dst);
	}
	return err ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *filter = NULL;
	unsigned i;
	int a, h, fi;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "-v")) {
			verbose = 1;
		} else if (!strcmp(argv[a], "-l")) {
			list_cases();
			return EXIT_SUCCESS;
		} else
			filter = argv[a];
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup()) {
		printf("1..%d\n", tapno);
		return EXIT_FAILURE;
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct tcase *t = &cases[i];

		if (filter && !strstr(t->desc, filter))
			continue;
		for (fi = 0; fi < 2; fi++) {
			int fam = fi ? 6 : 4;

			if (t->fam && t->fam != fam)
				continue;
			for (h = 0; h < 2; h++)
				run_case(h, fam, t, i);
		}
	}
	if (!filter || strstr("full ring buffer", filter))
		for (fi = 0; fi < 2; fi++)
			for (h = 0; h < 2; h++)
				case_ring_full(h, fi ? 6 : 4);
	if (!filter || strstr("SYN flood", filter))
		for (fi = 0; fi < 2; fi++)
			for (h = 0; h < 2; h++)
				case_syn_flood(h, fi ? 6 : 4);
	printf("1..%d\n", tapno);
	ring_buffer__free(rb);
	ppguard_bpf__destroy(skel);
	free(stat_buf);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
