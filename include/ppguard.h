/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * ppguard: the one header both sides compile (BPF and userspace).
 *
 * Only fixed-width types, explicit padding, #defines and enums: no libc,
 * no vmlinux.h. Keys are in wire byte order unless a field says otherwise.
 */
#ifndef PPGUARD_H
#define PPGUARD_H

#include <linux/types.h>

/* Map names: the BPF declarations and the userspace pin lookups use these. */
#define PP_MAP_PORTS "ports"
#define PP_MAP_TRUST4 "trust4"
#define PP_MAP_TRUST6 "trust6"
#define PP_MAP_DENY4 "deny_client4"
#define PP_MAP_DENY6 "deny_client6"
#define PP_MAP_BLOCKED4 "blocked4"
#define PP_MAP_BLOCKED6 "blocked6"
#define PP_MAP_FLOWS "flows"
#define PP_MAP_EVENTS "events"
#define PP_MAP_STATS "stats"
#define PP_MAP_CONFIG "config"

#define PP_PIN_ROOT "/sys/fs/bpf/ppguard"

#define PP_FLOWS_MAX 65536
#define PP_TRUST_MAX 4096
#define PP_DENY_MAX 16384
#define PP_BLOCKED_MAX 16384
#define PP_RINGBUF_BYTES (4 << 20)

/* Bytes of the client's stream kept per flow: a whole v1 line (107) and the
 * start of a stacked preamble after it fit. Power of two: the data path masks
 * offsets with it. */
#define PP_PREFIX_LEN 128
/* Raw TLV bytes exported with an event. */
#define PP_EV_TLV_MAX 96

/* PROXY protocol constants */
#define PP_V1_MAX_LINE 107
#define PP_V2_SIG_LEN 12
#define PP_V2_HDR_LEN 16
#define PP_V1_SIG_LEN 5 /* "PROXY" */

enum pp_version {
	PP_VER_NONE = 0,
	PP_VER_1 = 1,
	PP_VER_2 = 2,
};

/* Bit mask of allowed versions in a port policy */
#define PP_VERS_V1 (1 << 0)
#define PP_VERS_V2 (1 << 1)

enum pp_command {
	PP_CMD_LOCAL = 0,
	PP_CMD_PROXY = 1,
};

/* Address family of the declared tuple, v2 high nibble (v1 maps onto it). */
enum pp_family {
	PP_FAM_UNSPEC = 0,
	PP_FAM_INET = 1,
	PP_FAM_INET6 = 2,
	PP_FAM_UNIX = 3,
};

enum pp_transport {
	PP_TRANS_UNSPEC = 0,
	PP_TRANS_STREAM = 1,
	PP_TRANS_DGRAM = 2,
};

/* Result of pp_parse() */
enum pp_result {
	PP_RES_HEADER = 0,    /* a complete, valid header */
	PP_RES_NEED_MORE = 1, /* consistent so far, needs more bytes */
	PP_RES_NOT_PROXY = 2, /* the bytes are not a PROXY preamble */
	PP_RES_INVALID = 3,   /* a preamble, but malformed: see enum pp_error */
};

/* Why a header is invalid. Names (pp_error_str) are shown by the CLI. */
enum pp_error {
	PP_ERR_NONE = 0,
	PP_ERR_V1_NO_CRLF,     /* no CRLF within 107 bytes */
	PP_ERR_V1_BAD_EOL,     /* a CR without LF, or an LF without CR */
	PP_ERR_V1_BAD_SIG,     /* "PROXY" not followed by a single space */
	PP_ERR_V1_BAD_PROTO,   /* not TCP4, TCP6 or UNKNOWN */
	PP_ERR_V1_BAD_SEP,     /* missing, doubled or misplaced space */
	PP_ERR_V1_BAD_ADDR4,   /* malformed IPv4 dotted quad */
	PP_ERR_V1_BAD_ADDR6,   /* malformed IPv6 text address */
	PP_ERR_V1_BAD_PORT,    /* malformed port or > 65535 */
	PP_ERR_V1_TRAILING,    /* bytes after the last port, before CRLF */
	PP_ERR_V2_BAD_VERSION, /* signature, but version nibble is not 2 */
	PP_ERR_V2_BAD_COMMAND, /* command nibble not LOCAL or PROXY */
	PP_ERR_V2_BAD_FAMILY,  /* family/transport byte not allowed */
	PP_ERR_V2_SHORT_ADDR,  /* length smaller than the address block */
	PP_ERR_V2_TLV_OVERRUN, /* a TLV runs past the end of the header */
	PP_ERR_V2_BAD_CRC,     /* CRC32C TLV does not match (userspace check) */
	PP_ERR_V2_BAD_TLV, /* a TLV with an impossible length for its type */
	PP_ERR_MAX,
};

/* What follows the header (or what came instead of one). */
enum pp_next {
	PP_NEXT_NONE = 0,    /* no bytes yet */
	PP_NEXT_PARTIAL = 1, /* too few bytes to tell a second preamble apart */
	PP_NEXT_STACKED = 2, /* a second preamble follows: stacked header */
	PP_NEXT_DATA = 3,    /* application bytes (see enum pp_class) */
};

enum pp_class {
	PP_CLASS_NONE = 0,
	PP_CLASS_TLS = 1,   /* TLS handshake record, ClientHello */
	PP_CLASS_HTTP = 2,  /* HTTP/1 request line or HTTP/2 preface */
	PP_CLASS_OTHER = 3, /* anything else */
	PP_CLASS_PROXY = 4, /* a PROXY preamble */
};

/* Flags for pp_parse() */
#define PP_PF_TRUNC_OK                                                         \
	(1 << 0) /* buffer is all we will get: a v2 header                     \
		  * longer than it is parsed as far as it goes */

/* Output of pp_parse(). Addresses: IPv4 in addr[0..3], rest zero. Ports in
 * host byte order. Offsets count from the start of the buffer. */
struct pp_hdr {
	__u8 result;	      /* enum pp_result */
	__u8 error;	      /* enum pp_error when result == PP_RES_INVALID */
	__u8 version;	      /* enum pp_version */
	__u8 command;	      /* enum pp_command */
	__u8 family;	      /* enum pp_family */
	__u8 transport;	      /* enum pp_transport */
	__u8 next;	      /* enum pp_next */
	__u8 next_class;      /* enum pp_class of the bytes after the header */
	__u8 truncated;	      /* PP_PF_TRUNC_OK: TLVs not all in the buffer */
	__u8 v1_unknown_long; /* v1 UNKNOWN with trailing fields */
	__u16 src_port;
	__u16 dst_port;
	__u16 _pad0;
	__u32 hdr_len;	/* whole header, signature to last TLV or CRLF */
	__u32 need;	/* PP_RES_NEED_MORE: at least this many more bytes */
	__u32 addr_off; /* v2: start of the address block */
	__u32 tlv_off;	/* v2: start of the TLV area */
	__u32 tlv_len;	/* v2: its length (0: none) */
	__u32 crc_off;	/* v2: offset of the CRC32C TLV's value, 0: none */
	__u32 err_off;	/* PP_RES_INVALID: offset of the offending byte */
	__u8 src_addr[16];
	__u8 dst_addr[16];
};

/* ---- Policy maps ---- */

enum pp_action {
	PP_ACT_PASS = 0,  /* decision that needs no action */
	PP_ACT_DROP = 1,  /* drop the segment and keep the flow blocked */
	PP_ACT_RESET = 2, /* turn the segment into a RST to the local socket */
	PP_ACT_LOG = 3,	  /* pass, but record */
	PP_ACT_MAX,
};

/* Value of the "ports" ARRAY, indexed by destination port (host order). */
struct pp_port_policy {
	__u8 inspect;  /* 0: port not protected (fast path) */
	__u8 require;  /* trusted non-healthcheck peers must send a header */
	__u8 versions; /* PP_VERS_* mask */
	__u8 action;   /* enum pp_action for violations */
	__u8 slot;     /* counter slot of this port, < PP_PORT_SLOTS */
	__u8 _pad[3];
};

/* LPM key: prefixlen in bits, then the address in wire order. */
struct pp_lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct pp_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

/* Value of trust4/trust6 */
struct pp_trust {
	__u8 trusted;	  /* may assert client identity (send a header) */
	__u8 healthcheck; /* exempt from "require" */
	/* Userspace bookkeeping, not read by the data path: which lists name
	 * this very prefix (1: [trust], 2: [healthcheck]). trusted and
	 * healthcheck are what covers it (the longest match decides), so a
	 * healthcheck host inside a trusted /24 is trusted=1, listed=2. */
	__u8 listed;
	__u8 _pad;
};

/* Value of deny_client4/6 */
enum pp_deny_reason {
	PP_DENY_CONFIG = 1, /* listed by the operator */
};

struct pp_deny {
	__u32 reason; /* enum pp_deny_reason */
};

/* Value of blocked4/6: until when (CLOCK_MONOTONIC ns, bpf_ktime_get_ns) */
struct pp_blocked {
	__u64 expires_ns;
};

/* Value of "config" ARRAY[1] */
#define PP_CFG_DRY_RUN (1 << 0) /* force action "log" on every port */
struct pp_config {
	__u32 flags;
	__u32 _pad;
};

/* ---- Flows ---- */

/* Peer = the remote client of the local server, local = this host. */
struct pp_flow_key {
	__u8 peer[16]; /* IPv4 in [0..3] */
	__u8 local[16];
	__u16 peer_port;  /* wire order */
	__u16 local_port; /* wire order */
	__u8 family;	  /* 4 or 6 */
	__u8 _pad[3];
};

enum pp_flow_state {
	PP_FS_SYN = 0,	   /* SYN seen; waiting for the first byte */
	PP_FS_OPEN = 1,	   /* collecting the first bytes of the stream */
	PP_FS_WATCH = 2,   /* not used since 0.1: undecided flows stay OPEN */
	PP_FS_PASS = 3,	   /* decided: pass everything */
	PP_FS_BLOCKED = 4, /* decided: drop everything (action drop) */
};

enum pp_peer_class {
	PP_PEER_UNTRUSTED = 0,
	PP_PEER_TRUSTED = 1,
	PP_PEER_HEALTHCHECK = 2, /* healthcheck, not trusted for headers */
	PP_PEER_TRUSTED_HEALTHCHECK = 3, /* both */
};

struct pp_flow {
	__u64 created_ns;
	__u64 decided_ns;
	__u32 isn;	 /* client's initial sequence number */
	__u32 have;	 /* contiguous stream bytes seen from offset 0 */
	__u8 state;	 /* enum pp_flow_state */
	__u8 peer_class; /* enum pp_peer_class */
	__u8 reason;	 /* enum pp_reason once decided */
	__u8 action;	 /* enum pp_action taken */
	__u8 version;	 /* of the accepted header */
	__u8 command;
	__u8 family;	/* declared family (enum pp_family) */
	__u8 flags;	/* PP_FF_* */
	__u16 src_port; /* declared client port, host order */
	__u16 dst_port; /* declared destination port, host order */
	__u32 hdr_len;
	__u8 src_addr[16]; /* declared client address */
	__u8 dst_addr[16];
	__u8 prefix[PP_PREFIX_LEN]; /* stream bytes 0..have */
};

#define PP_FF_SYN_DATA (1 << 0)	 /* data came in the SYN (TFO) */
#define PP_FF_MIDSTREAM (1 << 1) /* no SYN seen: created mid-stream */
#define PP_FF_ACKED (1 << 2)	 /* first non-SYN segment seen */
#define PP_FF_TRUNC (1 << 3)	 /* header longer than the prefix buffer */
#define PP_FF_MISMATCH (1 << 4)	 /* a retransmission disagreed (reported) */
#define PP_FF_ADOPTED (1 << 5)	 /* no SYN seen: start taken from the socket */
#define PP_FF_SETTLED (1 << 6)	 /* the application read the judged bytes */

/* ---- Events (ring buffer) ---- */

enum pp_reason {
	PP_R_TRUSTED_HEADER = 0,
	PP_R_UNTRUSTED_HEADER,
	PP_R_MALFORMED_HEADER,
	PP_R_VERSION_NOT_ALLOWED,
	PP_R_STACKED_HEADER,
	PP_R_MISSING_HEADER,
	PP_R_HEALTHCHECK,
	PP_R_DENIED_CLIENT,
	PP_R_BLOCKED_SOURCE,
	PP_R_FRAGMENT,
	PP_R_PREFIX_MISMATCH,
	PP_R_NO_HEADER,
	PP_R_MAX,
};

enum pp_hook {
	PP_HOOK_TC = 0,
	PP_HOOK_XDP = 1,
};

struct pp_event {
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u32 ifindex;
	__u8 hook;	/* enum pp_hook */
	__u8 ip_family; /* 4 or 6 */
	__u8 reason;	/* enum pp_reason */
	__u8 action;	/* enum pp_action */
	__u8 peer[16];
	__u8 local[16];
	__u16 peer_port;  /* host order */
	__u16 local_port; /* host order */
	__u8 version;	  /* 0: no header */
	__u8 command;
	__u8 family; /* declared family */
	__u8 transport;
	__u8 next_class; /* enum pp_class: what followed/came instead */
	__u8 error;	 /* enum pp_error for malformed_header */
	__u8 flags;	 /* PP_FF_* of the flow */
	__u8 _pad;
	__u16 src_port; /* declared client, host order */
	__u16 dst_port;
	__u8 src_addr[16];
	__u8 dst_addr[16];
	__u32 hdr_len;
	__u16 tlv_len;	 /* bytes in tlv[], at most PP_EV_TLV_MAX */
	__u16 tlv_total; /* TLV area length in the header */
	__u8 tlv[PP_EV_TLV_MAX];
};

/* ---- Counters (PERCPU_ARRAY "stats") ----
 * [0, PP_STAT_CONN_N): connection decisions per (port slot, reason, action)
 * then per-path packet counters, then header counters, then misc. */
#define PP_PORT_SLOTS 64
#define PP_STAT_CONN(slot, reason, action)                                     \
	((((slot)*PP_R_MAX) + (reason)) * PP_ACT_MAX + (action))
#define PP_STAT_CONN_N (PP_PORT_SLOTS * PP_R_MAX * PP_ACT_MAX)

enum pp_path {
	PP_PATH_FAST = 0,  /* not TCP to a protected port */
	PP_PATH_INSPECTED, /* payload looked at */
	PP_PATH_FLOW_HIT,  /* decided flow, one lookup */
	PP_PATH_DROPPED,   /* packets dropped (any reason) */
	PP_PATH_RESET,	   /* segments rewritten into RSTs */
	PP_PATH_MAX,
};
#define PP_STAT_PATH(p) (PP_STAT_CONN_N + (p))

/* headers by version (0: v1, 1: v2), command (0/1), family (0..3) */
#define PP_STAT_HDR(ver, cmd, fam)                                             \
	(PP_STAT_CONN_N + PP_PATH_MAX + (((ver)*2 + (cmd)) * 4 + (fam)))
#define PP_STAT_HDR_N 16

enum pp_misc_stat {
	PP_MISC_EVENTS_LOST = 0, /* ring buffer full */
	PP_MISC_OOO_DROPPED,	 /* out-of-order segment in the window */
	PP_MISC_FLOW_CREATE_FAIL,
	PP_MISC_MIDSTREAM, /* packets of flows without state */
	PP_MISC_MAX,
};
#define PP_STAT_MISC(m) (PP_STAT_CONN_N + PP_PATH_MAX + PP_STAT_HDR_N + (m))
#define PP_STATS_MAX                                                           \
	(PP_STAT_CONN_N + PP_PATH_MAX + PP_STAT_HDR_N + PP_MISC_MAX)

#endif /* PPGUARD_H */
