/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ppguard inspect: TCP connections read from a capture (inspect_pcap.c),
 * each client stream's first bytes put together and classified with the
 * data path's parser and classifier (inspect_conn.c), judged with the data
 * path's rules against a config (inspect_judge.c, include/pp_verdict.h),
 * and reported per listener (cmd_inspect.c).
 */
#ifndef PPGUARD_INSPECT_H
#define PPGUARD_INSPECT_H

#include <stddef.h>
#include <linux/types.h>
#include <json-c/json.h>

#include "../include/ppguard.h"
#include "pp_verdict.h"

struct pp_conf;

/* Bytes of each client stream kept and put together: PP_INSP_WINDOW (a
 * header, and a TLS ClientHello or a request line after it), more when a v2
 * header says it is longer, up to the longest v2 header plus a v1 line
 * after it (as pp_parse.h's host PP_BUF_CAP). The verdict only ever looks
 * at the first PP_PREFIX_LEN, as the kernel. */
#define PP_INSP_STREAM_MAX (PP_V2_HDR_LEN + 65535 + PP_V1_MAX_LINE + 1)
#define PP_INSP_WINDOW 4096
#define PP_INSP_AFTER_HDR 2048 /* kept after a long v2 header */
/* Segments kept per connection of a flow without a SYN (nothing says
 * where its stream starts) */
#define PP_INSP_MIDSTREAM_SEGS 16

/* One TCP segment of the client, as captured */
struct pp_insp_seg {
	__u64 ts_us;
	__u32 seq;
	__u32 len;     /* payload length (from the IP header) */
	__u32 caplen;  /* payload bytes in the capture (snaplen) */
	__u32 kept;    /* of which stored in data (the window) */
	__u32 pkt;     /* packet number in the capture, from 1 */
	__u8 flags;    /* TCP flags byte */
	__u16 urg_ptr; /* urgent pointer (URG set) */
	__u8 *data;    /* kept bytes, or NULL */
};

/* What the client's first bytes are */
enum pp_insp_kind {
	PP_INSP_NOTHING = 0, /* the client sent no byte */
	PP_INSP_PROXY = 1,   /* a PROXY preamble (valid or not) */
	PP_INSP_TLS = 2,     /* TLS ClientHello */
	PP_INSP_HTTP = 3,    /* HTTP/1 request line or HTTP/2 preface */
	PP_INSP_OTHER = 4,   /* anything else */
	PP_INSP_UNKNOWN = 5, /* stream start not in the capture */
};

/* Application bytes (after a header, or instead of one) */
struct pp_insp_app {
	__u8 cls;	/* enum pp_class: none, tls, http, other */
	char sni[256];	/* TLS server_name, escaped; "" if none */
	char alpn[128]; /* TLS ALPN protocols, comma-separated */
	char line[160]; /* HTTP request line, escaped */
	char hex[40];	/* other: first 16 bytes in hex */
};

/* The kernel's decision, as include/pp_verdict.h rules it */
struct pp_insp_verdict {
	int judged;	  /* 1: a decision (reason, action) */
	int protected;	  /* the port has a [port N] section */
	__u8 peer_class;  /* enum pp_peer_class */
	__u8 reason;	  /* enum pp_reason */
	__u8 action;	  /* enum pp_action */
	__u32 at;	  /* stream bytes seen when decided */
	const char *note; /* why there is no decision, or a caveat */
};

struct pp_insp_conn {
	__u32 id;   /* from 1, in order of the first packet */
	__u8 ipver; /* 4 or 6 */
	__u8 cli[16], srv[16];
	__u16 cport, sport;
	__u16 vlan; /* outer VLAN id, 0: none */
	int syn;    /* the client's SYN is in the capture */
	int synack; /* the server's SYN-ACK is */
	int isn_known;
	__u32 isn;   /* client's initial sequence number */
	int guessed; /* no SYN nor SYN-ACK: who is the client is a guess */
	int cli_fin, srv_fin, rst;
	__u64 first_us, last_us;
	__u32 packets;
	__u64 cli_bytes, srv_bytes; /* payload, both directions */
	__u32 fragments;	    /* IP fragments (not reassembled) */
	__u32 window;		    /* stream bytes kept (PP_INSP_WINDOW..) */
	struct pp_insp_seg *segs;   /* client segments with payload */
	size_t nsegs, capsegs;

	/* ---- analysis (inspect_conn.c) ---- */
	__u8 *stream; /* client bytes 0..have, contiguous */
	__u32 have;
	__u32 *bounds; /* 'have' after each step of the stream */
	size_t nbounds;
	int snap_cut; /* the stream stops where snaplen cut a packet */
	int gap;      /* ... or where bytes are missing from the capture */
	int conflict; /* a retransmission carried other bytes */
	int urgent;   /* urgent data among the first bytes (dropped) */
	int kind;     /* enum pp_insp_kind */
	int r;	      /* pp_parse result over stream[0..have) */
	struct pp_hdr h;
	int hdr_result; /* after userspace checks (CRC32C) */
	__u8 hdr_error; /* enum pp_error */
	__u32 hdr_err_off;
	struct json_object *tlvs; /* decoded TLVs (v2), or NULL */
	int crc;		  /* enum pp_crc_verdict */
	int addr_known;		  /* h's addresses and ports are filled */
	int hdr_segments;	  /* segments the header came in */
	int stacked;		  /* a second preamble follows */
	__u8 stacked_version;
	struct pp_insp_app app; /* after the header, or instead of one */

	struct pp_insp_verdict v;

	struct pp_insp_conn *hnext; /* hash chain */
};

/* What the capture held */
struct pp_insp_capture {
	const char *path;
	const char *format;   /* "pcap" or "pcapng" */
	const char *linktype; /* "EN10MB", "LINUX_SLL2", ... */
	int dlt;
	__u32 snaplen;
	__u64 packets;	  /* records read */
	__u64 tcp;	  /* TCP segments used */
	__u64 short_pkts; /* records cut by snaplen (caplen < len) */
	__u64 not_ip, not_tcp, fragments, bad; /* skipped */
	__u64 vlan;			       /* frames with a VLAN tag */
	int file_truncated; /* the file ends inside a record */
	char file_error[256];
	__u64 first_us, last_us;
};

struct pp_insp {
	struct pp_insp_capture cap;
	struct pp_insp_conn **conns; /* in order of id */
	size_t n, capn;
	struct pp_insp_conn **hash; /* open connections by 4-tuple */
	size_t hsize;
};

/* inspect_pcap.c: read the capture at path into in. Returns 0, or -errno
 * after one line on stderr (cannot open, not a capture, link type not
 * supported). A file that ends inside a record is not an error: what was
 * read is kept and cap.file_truncated says so. */
int pp_insp_read(const char *path, struct pp_insp *in);
void pp_insp_free(struct pp_insp *in);

/* inspect_conn.c: put each client stream together and classify it. */
int pp_insp_analyze(struct pp_insp_conn *c);
/* Free the bytes (segments, stream) once analysed and judged: what the
 * report needs stays. Keeps memory bounded by one connection's bytes. */
void pp_insp_release(struct pp_insp_conn *c);

/* inspect_judge.c: what the data path with conf would decide. */
struct pp_insp_policy;
int pp_insp_policy_new(const struct pp_conf *conf, int dry_run,
		       struct pp_insp_policy **out);
void pp_insp_policy_free(struct pp_insp_policy *p);
/* The port's policy (NULL: not protected) */
const struct pp_port_policy *pp_insp_port(const struct pp_insp_policy *p,
					  __u16 port);
int pp_insp_dry_run(const struct pp_insp_policy *p);
__u8 pp_insp_peer_class(const struct pp_insp_policy *p, int ipver,
			const __u8 *addr);
void pp_insp_judge(const struct pp_insp_policy *p, struct pp_insp_conn *c);

const char *pp_insp_kind_str(int kind);
const char *pp_peer_class_str(unsigned int c);

#endif /* PPGUARD_INSPECT_H */
