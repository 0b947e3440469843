/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The PROXY protocol v1/v2 parser, one implementation for the data path
 * (clang -target bpf) and for userspace (gcc/clang on the host).
 *
 * No libc, no function pointers, every loop has a constant bound, every read
 * is preceded by an explicit length check. In BPF the entry points are global
 * functions: the verifier checks each once, with unknown arguments, instead
 * of at every call site (inlining v1 blew past 1M instructions). Include this
 * header in exactly one compilation unit per BPF object.
 *
 * Input: a buffer and its length. Output: struct pp_hdr (include/ppguard.h).
 */
#ifndef PP_PARSE_H
#define PP_PARSE_H

#include "ppguard.h"

#ifdef __bpf__
/* Global (non-static) noinline: verified once, see above. */
#define PP_API __attribute__((noinline))
#define PP_INLINE static __attribute__((always_inline)) inline
#define PP_BUF_CAP PP_PREFIX_LEN
/* Every index is masked into the buffer: the verifier then knows each read
 * is in bounds whatever it knows about the index. The logic still checks
 * "i < len" before reading; the mask never changes a valid index. */
#define PP_IDX(i) ((i) & (PP_BUF_CAP - 1))
#define PP_MAX_TLVS 38 /* (128 - 16) / 3 + 1 */
/* Loop counters start from a zero the verifier cannot see through: a
 * counter that starts from a constant becomes "precise", its states never
 * merge, and v1 parsing exceeds 1M verified instructions. Started from an
 * unknown value, the loop's states are pruned after one or two rounds. */
volatile __u32 pp_zero_var;
#define PP_ZERO (pp_zero_var)
#else
#define PP_API static inline __attribute__((unused))
#define PP_INLINE static inline
/* Longest v2 header plus room for a stacked v1 line after it */
#define PP_BUF_CAP (PP_V2_HDR_LEN + 65535 + PP_V1_MAX_LINE + 1)
#define PP_IDX(i) (i)
#define PP_MAX_TLVS 21846 /* 65535 / 3 + 1 */
#define PP_ZERO 0U
#endif

/* A view of the input. Userspace casts its byte pointer to this; only
 * bytes below the length passed along are ever read. */
struct pp_buf {
	__u8 b[PP_BUF_CAP];
};

#define PP_B(buf, i) ((buf)->b[PP_IDX(i)])

#define PP_TLV_ALPN 0x01
#define PP_TLV_AUTHORITY 0x02
#define PP_TLV_CRC32C 0x03
#define PP_TLV_NOOP 0x04
#define PP_TLV_UNIQUE_ID 0x05
#define PP_TLV_SSL 0x20
#define PP_TLV_NETNS 0x30
#define PP_TLV_GCP 0xE0
#define PP_TLV_AWS 0xEA
#define PP_TLV_AZURE 0xEE

PP_INLINE __u8 pp_v2_sig(__u32 i)
{
	/* 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A, without a table in .rodata */
	switch (i) {
	case 0:
	case 2:
	case 5:
		return 0x0D;
	case 1:
	case 3:
	case 6:
	case 11:
		return 0x0A;
	case 4:
		return 0x00;
	case 7:
		return 0x51;
	case 8:
		return 0x55;
	case 9:
		return 0x49;
	default:
		return 0x54;
	}
}

PP_INLINE __u8 pp_v1_sig(__u32 i)
{
	switch (i) {
	case 0:
		return 'P';
	case 1:
		return 'R';
	case 2:
		return 'O';
	case 3:
		return 'X';
	default:
		return 'Y';
	}
}

PP_INLINE int pp_is_digit(__u8 c)
{
	return c >= '0' && c <= '9';
}

PP_INLINE int pp_hexval(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * What the bytes at [off, len) start with.
 * Returns PP_NEXT_NONE (no bytes), PP_NEXT_PARTIAL (a prefix of a
 * signature, too short to tell), PP_NEXT_STACKED (a PROXY preamble: the
 * 12-byte v2 signature or "PROXY"), PP_NEXT_DATA (anything else).
 */
PP_API int pp_detect(const struct pp_buf *buf, __u32 off, __u32 len)
{
	int v1 = 1, v2 = 1;
	__u32 i, n;

	if (!buf)
		return PP_NEXT_NONE;
	if (len > PP_BUF_CAP)
		len = PP_BUF_CAP;
	if (off >= len)
		return PP_NEXT_NONE;
	n = len - off;
	for (i = 0; i < PP_V2_SIG_LEN; i++) {
		__u8 c;

		if (i >= n)
			break;
		c = PP_B(buf, off + i);
		if (i < PP_V1_SIG_LEN && c != pp_v1_sig(i))
			v1 = 0;
		if (c != pp_v2_sig(i))
			v2 = 0;
	}
	if (v1 && n >= PP_V1_SIG_LEN)
		return PP_NEXT_STACKED;
	if (v2 && n >= PP_V2_SIG_LEN)
		return PP_NEXT_STACKED;
	if ((v1 && n < PP_V1_SIG_LEN) || v2)
		return PP_NEXT_PARTIAL;
	return PP_NEXT_DATA;
}

PP_INLINE int pp_is_method(const struct pp_buf *buf, __u32 off, __u32 n)
{
	/* Method token of an HTTP/1 request line, or "PRI " of the HTTP/2
	 * preface: 3 to 7 upper-case letters then a space. */
	__u32 i;

	for (i = 0; i < 8; i++) {
		__u8 c;

		if (i >= n)
			return 0;
		c = PP_B(buf, off + i);
		if (c == ' ')
			break;
		if (c < 'A' || c > 'Z')
			return 0;
	}
	if (i < 3 || i > 7)
		return 0;
	switch (PP_B(buf, off)) {
	case 'G': /* GET */
	case 'P': /* POST PUT PATCH PRI */
	case 'H': /* HEAD */
	case 'D': /* DELETE */
	case 'O': /* OPTIONS */
	case 'C': /* CONNECT */
	case 'T': /* TRACE */
		return 1;
	}
	return 0;
}

/* Classify application bytes at [off, len): TLS ClientHello, HTTP, other. */
PP_API int pp_classify(const struct pp_buf *buf, __u32 off, __u32 len)
{
	__u32 n;

	if (!buf)
		return PP_CLASS_NONE;
	if (len > PP_BUF_CAP)
		len = PP_BUF_CAP;
	if (off >= len)
		return PP_CLASS_NONE;
	n = len - off;
	/* TLS record: handshake (22), version 3.x, then handshake type 1 */
	if (PP_B(buf, off) == 0x16) {
		if (n < 3)
			return PP_CLASS_TLS;
		if (PP_B(buf, off + 1) == 0x03 && PP_B(buf, off + 2) <= 0x04 &&
		    (n < 6 || PP_B(buf, off + 5) == 0x01))
			return PP_CLASS_TLS;
		return PP_CLASS_OTHER;
	}
	if (pp_is_method(buf, off, n))
		return PP_CLASS_HTTP;
	return PP_CLASS_OTHER;
}

/* ---- v1 ---- */

/* Decimal port in [start, end): 0-65535, no leading zero. Returns the port
 * or -1. */
PP_API int pp_v1_port(const struct pp_buf *buf, __u32 start, __u32 end)
{
	__u32 v = 0, i, n;

	if (!buf || end <= start || end - start > 5)
		return -1;
	n = end - start;
	if (n > 1 && PP_B(buf, start) == '0')
		return -1;
	for (i = PP_ZERO; i < 5; i++) {
		__u8 c;

		if (i >= n)
			break;
		c = PP_B(buf, start + i);
		if (!pp_is_digit(c))
			return -1;
		v = v * 10 + (c - '0');
	}
	if (v > 65535)
		return -1;
	return (int)v;
}

/* Dotted quad in [start, end) into a0..a3 (wire order). No leading zeros,
 * each part 0-255. */
PP_INLINE int pp_parse4(const struct pp_buf *buf, __u32 start, __u32 end,
			__u8 *a0, __u8 *a1, __u8 *a2, __u8 *a3)
{
	__u32 i, part = 0, digits = 0, val = 0, n, q = 0;

	if (end <= start || end - start > 15 || end - start < 7)
		return -1;
	n = end - start;
	for (i = PP_ZERO; i < 15; i++) {
		__u8 c;

		if (i >= n)
			break;
		c = PP_B(buf, start + i);
		if (c == '.') {
			if (digits == 0 || part >= 3)
				return -1;
			q = (q << 8) | val;
			part++;
			digits = 0;
			val = 0;
			continue;
		}
		if (!pp_is_digit(c) || digits >= 3)
			return -1;
		if (digits == 1 && val == 0)
			return -1; /* leading zero */
		val = val * 10 + (c - '0');
		if (val > 255)
			return -1;
		digits++;
	}
	if (part != 3 || digits == 0)
		return -1;
	*a0 = q >> 16;
	*a1 = q >> 8;
	*a2 = q;
	*a3 = val;
	return 0;
}

PP_API int pp_v1_addr4(const struct pp_buf *buf, __u32 start, __u32 end,
		       struct pp_hdr *out, int dst)
{
	__u8 *a;

	if (!buf || !out)
		return -1;
	a = dst ? out->dst_addr : out->src_addr;
	return pp_parse4(buf, start, end, &a[0], &a[1], &a[2], &a[3]);
}

/* IPv6 parser state. It lives in memory the caller passes, not in
 * registers: in BPF each read of it is then an unknown value, so the
 * verifier prunes the loop after a round instead of exploring every
 * combination of group count, digit count and position. */
struct pp_v6_state {
	__u16 g[8];
	__u32 i, ng, dc, have_dc, v, gstart, dst;
};

/* RFC 4291 text form in [start, end): hex groups, at most one "::", an
 * optional embedded dotted quad in the last 32 bits. st->dst selects the
 * output address. */
PP_API int pp_v1_addr6(const struct pp_buf *buf, __u32 start, __u32 end,
		       struct pp_hdr *out, struct pp_v6_state *stp)
{
	/* volatile: the compiler must not cache the state in registers */
	volatile struct pp_v6_state *st = stp;
	__u32 k, d, n, zeros;
	__u8 *a;

	if (!buf || !out || !stp)
		return -1;
	if (end <= start || end - start > 45 || end - start < 2)
		return -1;
	a = st->dst ? out->dst_addr : out->src_addr;
	n = end - start;
	st->i = 0;
	st->ng = 0;
	st->dc = 8;
	st->have_dc = 0;
	if (PP_B(buf, start) == ':') {
		if (PP_B(buf, start + 1) != ':')
			return -1;
		st->have_dc = 1;
		st->dc = 0;
		st->i = 2;
	}
	for (k = PP_ZERO; k < 8; k++) {
		if (st->i >= n)
			break;
		st->v = 0;
		st->gstart = st->i;
		for (d = PP_ZERO; d < 4; d++) {
			int h;

			if (st->i >= n)
				break;
			h = pp_hexval(PP_B(buf, start + st->i));
			if (h < 0)
				break;
			st->v = (st->v << 4) | (__u32)h;
			st->i++;
		}
		if (st->i < n && PP_B(buf, start + st->i) == '.') {
			/* embedded IPv4: the rest of the text, two groups;
			 * parsed into the output, expanded below */
			if (st->ng > 6 || pp_v1_addr4(buf, start + st->gstart,
						      end, out, st->dst))
				return -1;
			st->g[st->ng & 7] = ((__u16)a[0] << 8) | a[1];
			st->g[(st->ng + 1) & 7] = ((__u16)a[2] << 8) | a[3];
			st->ng += 2;
			st->i = n;
			break;
		}
		if (st->i == st->gstart)
			return -1; /* empty group */
		st->g[st->ng & 7] = st->v;
		st->ng++;
		if (st->i >= n)
			break;
		if (PP_B(buf, start + st->i) != ':')
			return -1;
		st->i++;
		if (st->i < n && PP_B(buf, start + st->i) == ':') {
			if (st->have_dc)
				return -1;
			st->have_dc = 1;
			st->dc = st->ng;
			st->i++;
		} else if (st->i >= n) {
			return -1; /* trailing single colon */
		}
	}
	if (st->i != n)
		return -1;
	if (!st->have_dc && st->ng != 8)
		return -1;
	if (st->have_dc && st->ng > 7)
		return -1;
	zeros = 8 - st->ng;
	for (k = PP_ZERO; k < 8; k++) {
		__u16 v;

		if (!st->have_dc || k < st->dc)
			v = st->g[k & 7];
		else if (k < st->dc + zeros)
			v = 0;
		else
			v = st->g[(k - zeros) & 7];
		a[(k * 2) & 15] = v >> 8;
		a[(k * 2 + 1) & 15] = v & 0xff;
	}
	return 0;
}

enum { PP_V1P_TCP4 = 1, PP_V1P_TCP6 = 2, PP_V1P_UNKNOWN = 3 };

PP_INLINE __u8 pp_unknown_tok(__u32 i)
{
	switch (i) {
	case 0:
		return 'U';
	case 2:
		return 'K';
	case 4:
		return 'O';
	case 5:
		return 'W';
	default: /* 1, 3, 6 */
		return 'N';
	}
}

/* Which protocol token starts at offset 6 of [0, len): PP_V1P_*, 0 if the
 * bytes are still a prefix of one, -1 if none can match. */
PP_API int pp_v1_proto(const struct pp_buf *buf, __u32 len)
{
	__u32 n, i;
	int tcp = 1, unk = 1;

	if (!buf)
		return -1;
	n = len > 6 ? len - 6 : 0;
	for (i = 0; i < 7; i++) {
		__u8 c;

		if (i >= n)
			break;
		c = PP_B(buf, 6 + i);
		if ((i == 0 && c != 'T') || (i == 1 && c != 'C') ||
		    (i == 2 && c != 'P') || (i == 3 && c != '4' && c != '6') ||
		    (i == 4 && c != ' '))
			tcp = 0;
		if (c != pp_unknown_tok(i))
			unk = 0;
	}
	if (tcp && n >= 5)
		return PP_B(buf, 9) == '4' ? PP_V1P_TCP4 : PP_V1P_TCP6;
	if (unk && n >= 7)
		return PP_V1P_UNKNOWN;
	if (tcp || unk)
		return 0;
	return -1;
}

PP_INLINE int pp_fail(struct pp_hdr *out, int err, __u32 off)
{
	out->result = PP_RES_INVALID;
	out->error = err;
	out->err_off = off;
	return PP_RES_INVALID;
}

/* Where the spaces and the CRLF of a v1 line are. */
struct pp_v1_scan {
	__u32 sp[8]; /* offsets of the first spaces */
	__u32 nsp;   /* number of spaces before CRLF */
	__u32 eol;   /* offset of CR when found */
	__u32 found; /* CRLF found */
	__u32 err;   /* enum pp_error, 0 if none */
	__u32 err_off;
};

PP_API int pp_v1_scan(const struct pp_buf *buf, __u32 len,
		      struct pp_v1_scan *sc)
{
	__u32 i, lim, nsp = PP_ZERO;

	if (!buf || !sc)
		return -1;
	if (len > PP_BUF_CAP)
		len = PP_BUF_CAP;
	lim = len < PP_V1_MAX_LINE ? len : PP_V1_MAX_LINE;
	for (i = PP_ZERO; i < PP_V1_MAX_LINE; i++) {
		__u8 c;

		if (i >= lim)
			break;
		c = PP_B(buf, i);
		if (c == '\r') {
			/* a CR at 106: its LF would make the line 108 long */
			if (i + 1 >= PP_V1_MAX_LINE) {
				sc->err = PP_ERR_V1_NO_CRLF;
				sc->err_off = i;
				return -1;
			}
			if (i + 1 >= len)
				break; /* need the LF */
			if (PP_B(buf, i + 1) != '\n') {
				sc->err = PP_ERR_V1_BAD_EOL;
				sc->err_off = i;
				return -1;
			}
			sc->eol = i;
			sc->found = 1;
			break;
		}
		if (c == '\n') {
			sc->err = PP_ERR_V1_BAD_EOL;
			sc->err_off = i;
			return -1;
		}
		if (c == ' ') {
			if (nsp < 8)
				sc->sp[nsp & 7] = i;
			nsp++;
		}
	}
	sc->nsp = nsp;
	return 0;
}

/* No CRLF yet in a TCP4/TCP6 line: refuse early what can no longer become
 * valid. Returns 0, or the offending offset + 1. */
PP_API int pp_v1_partial(const struct pp_buf *buf, __u32 len, int proto)
{
	__u32 i, lim;

	if (!buf)
		return 0;
	lim = len < PP_V1_MAX_LINE ? len : PP_V1_MAX_LINE;
	for (i = PP_ZERO + 11; i < PP_V1_MAX_LINE; i++) {
		__u8 c;

		if (i >= lim)
			break;
		c = PP_B(buf, i);
		/* a CR here is the last byte: pp_v1_scan refused any other */
		if (c == ' ' || c == '\r' || pp_is_digit(c) || c == '.')
			continue;
		if (proto != PP_V1P_TCP4 && (c == ':' || pp_hexval(c) >= 0))
			continue;
		return i + 1;
	}
	return 0;
}

/*
 * v1: "PROXY" SP proto SP src SP dst SP sport SP dport CRLF, strictly.
 * Called once "PROXY" has matched.
 */
PP_API int pp_parse_v1(const struct pp_buf *buf, __u32 len, struct pp_hdr *out)
{
	struct pp_v1_scan sc = {};
	__u32 i, eol;
	int proto, r;

	if (!buf || !out)
		return PP_RES_INVALID;
	if (len > PP_BUF_CAP)
		len = PP_BUF_CAP;
	out->version = PP_VER_1;
	if (pp_v1_scan(buf, len, &sc))
		return pp_fail(out, sc.err, sc.err_off);
	eol = sc.eol;
	if (len >= PP_V1_SIG_LEN + 1 && PP_B(buf, 5) != ' ')
		return pp_fail(out, PP_ERR_V1_BAD_SIG, 5);

	proto = pp_v1_proto(buf, sc.found ? eol : len);
	if (proto < 0 || (sc.found && proto == 0))
		return pp_fail(out, PP_ERR_V1_BAD_PROTO, 6);
	if (proto == 0)
		goto more; /* still a prefix of "TCP4 ", "UNKNOWN" */

	if (proto == PP_V1P_UNKNOWN) {
		out->family = PP_FAM_UNSPEC;
		out->transport = PP_TRANS_UNSPEC;
		out->command = PP_CMD_PROXY;
		if (len > 13 && PP_B(buf, 13) != ' ' && PP_B(buf, 13) != '\r')
			return pp_fail(out, PP_ERR_V1_BAD_PROTO, 13);
		if (!sc.found)
			goto more;
		/* short form "PROXY UNKNOWN\r\n" or long form with any
		 * fields: the receiver ignores them */
		if (eol != 13)
			out->v1_unknown_long = 1;
		out->hdr_len = eol + 2;
		out->result = PP_RES_HEADER;
		return PP_RES_HEADER;
	}

	/* TCP4 / TCP6: exactly 5 spaces, no empty field */
	for (i = 1; i < 6; i++) {
		if (i >= sc.nsp)
			break;
		if (sc.sp[i & 7] == sc.sp[(i - 1) & 7] + 1)
			return pp_fail(out, PP_ERR_V1_BAD_SEP, sc.sp[i & 7]);
	}
	if (sc.nsp > 5)
		return pp_fail(out, PP_ERR_V1_TRAILING, sc.sp[5]);
	if (!sc.found) {
		r = pp_v1_partial(buf, len, proto);
		if (r)
			return pp_fail(out,
				       proto == PP_V1P_TCP4
					       ? PP_ERR_V1_BAD_ADDR4
					       : PP_ERR_V1_BAD_ADDR6,
				       r - 1);
		goto more;
	}
	if (sc.nsp < 5 || eol == sc.sp[4] + 1)
		return pp_fail(out, PP_ERR_V1_BAD_SEP, eol);

	out->command = PP_CMD_PROXY;
	out->transport = PP_TRANS_STREAM;
	if (proto == PP_V1P_TCP4) {
		out->family = PP_FAM_INET;
		if (pp_v1_addr4(buf, sc.sp[1] + 1, sc.sp[2], out, 0))
			return pp_fail(out, PP_ERR_V1_BAD_ADDR4, sc.sp[1] + 1);
		if (pp_v1_addr4(buf, sc.sp[2] + 1, sc.sp[3], out, 1))
			return pp_fail(out, PP_ERR_V1_BAD_ADDR4, sc.sp[2] + 1);
	} else {
		struct pp_v6_state st = {};

		out->family = PP_FAM_INET6;
		if (pp_v1_addr6(buf, sc.sp[1] + 1, sc.sp[2], out, &st))
			return pp_fail(out, PP_ERR_V1_BAD_ADDR6, sc.sp[1] + 1);
		st.dst = 1;
		if (pp_v1_addr6(buf, sc.sp[2] + 1, sc.sp[3], out, &st))
			return pp_fail(out, PP_ERR_V1_BAD_ADDR6, sc.sp[2] + 1);
	}
	r = pp_v1_port(buf, sc.sp[3] + 1, sc.sp[4]);
	if (r < 0)
		return pp_fail(out, PP_ERR_V1_BAD_PORT, sc.sp[3] + 1);
	out->src_port = r;
	r = pp_v1_port(buf, sc.sp[4] + 1, eol);
	if (r < 0)
		return pp_fail(out, PP_ERR_V1_BAD_PORT, sc.sp[4] + 1);
	out->dst_port = r;
	out->hdr_len = eol + 2;
	out->result = PP_RES_HEADER;
	return PP_RES_HEADER;

more:
	if (len >= PP_V1_MAX_LINE)
		return pp_fail(out, PP_ERR_V1_NO_CRLF, PP_V1_MAX_LINE);
	out->need = 1;
	out->result = PP_RES_NEED_MORE;
	return PP_RES_NEED_MORE;
}

/* ---- v2 ---- */

/* Walk the TLVs in [off, hlen), reading no further than len. Fills
 * crc_off; flags a truncated walk when len < hlen. */
PP_API int pp_v2_tlvs(const struct pp_buf *buf, __u32 off, __u32 hlen,
		      __u32 len, struct pp_hdr *out)
{
	__u32 k, lim = hlen < len ? hlen : len;

	if (!buf || !out)
		return PP_RES_INVALID;
	for (k = PP_ZERO; k < PP_MAX_TLVS; k++) {
		__u32 l;
		__u8 t;

		if (off >= hlen)
			return PP_RES_HEADER;
		if (off + 3 > lim) {
			if (lim < hlen)
				break; /* the rest is beyond the buffer */
			return pp_fail(out, PP_ERR_V2_TLV_OVERRUN, off);
		}
		t = PP_B(buf, off);
		l = ((__u32)PP_B(buf, off + 1) << 8) | PP_B(buf, off + 2);
		if (off + 3 + l > hlen)
			return pp_fail(out, PP_ERR_V2_TLV_OVERRUN, off);
		if (t == PP_TLV_CRC32C) {
			if (l != 4)
				return pp_fail(out, PP_ERR_V2_BAD_TLV, off);
			out->crc_off = off + 3;
		}
		off += 3 + l;
	}
	if (off < hlen)
		out->truncated = 1;
	return PP_RES_HEADER;
}

PP_INLINE __u32 pp_v2_addr_len(__u8 fam)
{
	switch (fam) {
	case PP_FAM_INET:
		return 12;
	case PP_FAM_INET6:
		return 36;
	case PP_FAM_UNIX:
		return 216;
	default:
		return 0;
	}
}

PP_API int pp_parse_v2(const struct pp_buf *buf, __u32 len, __u32 flags,
		       struct pp_hdr *out)
{
	__u32 hlen, alen, i, avail;
	__u8 vc, ft, fam, tr;

	if (!buf || !out)
		return PP_RES_INVALID;
	if (len > PP_BUF_CAP)
		len = PP_BUF_CAP;
	out->version = PP_VER_2;
	if (len < PP_V2_HDR_LEN) {
		if (len > PP_V2_SIG_LEN && (PP_B(buf, 12) >> 4) != 2)
			return pp_fail(out, PP_ERR_V2_BAD_VERSION, 12);
		out->need = PP_V2_HDR_LEN - len;
		out->result = PP_RES_NEED_MORE;
		return PP_RES_NEED_MORE;
	}
	vc = PP_B(buf, 12);
	ft = PP_B(buf, 13);
	hlen = PP_V2_HDR_LEN + (((__u32)PP_B(buf, 14) << 8) | PP_B(buf, 15));
	if ((vc >> 4) != 2)
		return pp_fail(out, PP_ERR_V2_BAD_VERSION, 12);
	if ((vc & 0xf) > PP_CMD_PROXY)
		return pp_fail(out, PP_ERR_V2_BAD_COMMAND, 12);
	fam = ft >> 4;
	tr = ft & 0xf;
	if (fam > PP_FAM_UNIX || tr > PP_TRANS_DGRAM)
		return pp_fail(out, PP_ERR_V2_BAD_FAMILY, 13);
	out->command = vc & 0xf;
	out->family = fam;
	out->transport = tr;
	out->hdr_len = hlen;
	out->addr_off = PP_V2_HDR_LEN;
	alen = pp_v2_addr_len(fam);
	if (out->command == PP_CMD_PROXY) {
		/* UNSPEC goes with UNSPEC only; the others need a transport */
		if ((fam == PP_FAM_UNSPEC) != (tr == PP_TRANS_UNSPEC))
			return pp_fail(out, PP_ERR_V2_BAD_FAMILY, 13);
		if (hlen - PP_V2_HDR_LEN < alen)
			return pp_fail(out, PP_ERR_V2_SHORT_ADDR, 14);
	} else if (hlen - PP_V2_HDR_LEN < alen) {
		alen = hlen - PP_V2_HDR_LEN; /* LOCAL: addresses ignored */
	}
	out->tlv_off = PP_V2_HDR_LEN + alen;
	out->tlv_len = hlen - out->tlv_off;

	if (len < hlen && !(flags & PP_PF_TRUNC_OK)) {
		out->need = hlen - len;
		out->result = PP_RES_NEED_MORE;
		return PP_RES_NEED_MORE;
	}
	avail = len < hlen ? len : hlen;
	if (out->command == PP_CMD_PROXY &&
	    (fam == PP_FAM_INET || fam == PP_FAM_INET6)) {
		__u32 asz = fam == PP_FAM_INET ? 4 : 16;
		__u32 poff = PP_V2_HDR_LEN + 2 * asz;

		if (avail < PP_V2_HDR_LEN + alen) {
			out->need = PP_V2_HDR_LEN + alen - len;
			out->result = PP_RES_NEED_MORE;
			return PP_RES_NEED_MORE;
		}
		for (i = 0; i < 16; i++) {
			if (i >= asz)
				break;
			out->src_addr[i] = PP_B(buf, PP_V2_HDR_LEN + i);
			out->dst_addr[i] = PP_B(buf, PP_V2_HDR_LEN + asz + i);
		}
		out->src_port =
			((__u16)PP_B(buf, poff) << 8) | PP_B(buf, poff + 1);
		out->dst_port =
			((__u16)PP_B(buf, poff + 2) << 8) | PP_B(buf, poff + 3);
	}
	if (pp_v2_tlvs(buf, out->tlv_off, hlen, len, out) != PP_RES_HEADER)
		return PP_RES_INVALID;
	if (len < hlen)
		out->truncated = 1;
	out->result = PP_RES_HEADER;
	return PP_RES_HEADER;
}

/*
 * Parse the preamble at the start of buf[0..len).
 * Returns enum pp_result and fills *out; on PP_RES_HEADER also says what
 * follows the header (out->next, out->next_class): a stacked preamble or
 * the application's first bytes.
 */
PP_API int pp_parse(const struct pp_buf *buf, __u32 len, __u32 flags,
		    struct pp_hdr *out)
{
	int det, r;

	if (!buf || !out)
		return PP_RES_INVALID;
	__builtin_memset(out, 0, sizeof(*out));
	if (len > PP_BUF_CAP)
		len = PP_BUF_CAP;
	det = pp_detect(buf, 0, len);
	if (det == PP_NEXT_NONE) {
		out->need = 1;
		out->result = PP_RES_NEED_MORE;
		return PP_RES_NEED_MORE;
	}
	if (det == PP_NEXT_DATA) {
		out->result = PP_RES_NOT_PROXY;
		out->next_class = pp_classify(buf, 0, len);
		return PP_RES_NOT_PROXY;
	}
	if (PP_B(buf, 0) == 'P') {
		if (det == PP_NEXT_PARTIAL) {
			out->version = PP_VER_1;
			out->need = PP_V1_SIG_LEN - len;
			out->result = PP_RES_NEED_MORE;
			return PP_RES_NEED_MORE;
		}
		r = pp_parse_v1(buf, len, out);
	} else {
		if (det == PP_NEXT_PARTIAL) {
			out->version = PP_VER_2;
			out->need = PP_V2_HDR_LEN - len;
			out->result = PP_RES_NEED_MORE;
			return PP_RES_NEED_MORE;
		}
		r = pp_parse_v2(buf, len, flags, out);
	}
	if (r != PP_RES_HEADER)
		return r;
	if (out->truncated)
		return r;
	out->next = pp_detect(buf, out->hdr_len, len);
	if (out->next == PP_NEXT_STACKED)
		out->next_class = PP_CLASS_PROXY;
	else if (out->next == PP_NEXT_DATA)
		out->next_class = pp_classify(buf, out->hdr_len, len);
	return r;
}

#endif /* PP_PARSE_H */
