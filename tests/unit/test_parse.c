// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the shared PROXY parser (include/pp_parse.h), host build.
 *
 * Table-driven: every vector is a name, bytes, flags and the struct pp_hdr
 * the spec (../shared/PROXY-SPEC.md) makes us expect. Each vector is one
 * TAP line; properties over all of them (every prefix of a header needs
 * more bytes, exactly; a header parses the same from its own bytes; the
 * TRUNC_OK flag changes nothing for complete input; every error code is
 * reached; tests/corpus/ holds exactly these bytes) are more TAP lines.
 *
 * The vectors marked "corpus" are the files tests/corpus/NAME.bin, written
 * once by tests/corpus/make-corpus.py; test "corpus" proves the two agree
 * byte for byte, so the expectations here are the corpus's expectations.
 * `test_parse --manifest` prints them (TSV) for other replays.
 *
 * Addresses used: 198.18.0.0/15 and fd00::/8 (test ranges), and the
 * spec's own examples.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_parse.h"

/* ---- vectors ---- */

struct vec {
	char name[64];
	__u8 *data;
	__u32 len;
	__u32 flags;
	int corpus; /* also tests/corpus/NAME.bin */
	struct pp_hdr want;
};

static struct vec *vecs;
static size_t nvecs, capvecs;

static struct vec *vec_add(const char *name, const void *data, __u32 len,
			   int corpus)
{
	struct vec *v;

	if (nvecs == capvecs) {
		capvecs = capvecs ? capvecs * 2 : 512;
		vecs = realloc(vecs, capvecs * sizeof(*vecs));
		if (!vecs) {
			fprintf(stderr, "test_parse: out of memory\n");
			exit(1);
		}
	}
	v = &vecs[nvecs++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->data = malloc(len ? len : 1);
	if (!v->data) {
		fprintf(stderr, "test_parse: out of memory\n");
		exit(1);
	}
	if (len)
		memcpy(v->data, data, len);
	v->len = len;
	v->corpus = corpus;
	return v;
}

/* Parse from an exact-size heap copy: a read past len is then a real
 * out-of-bounds read (ASan builds see it). */
static int parse(const __u8 *data, __u32 len, __u32 flags, struct pp_hdr *h)
{
	__u8 *p = malloc(len ? len : 1);
	int r;

	assert_non_null(p);
	if (len)
		memcpy(p, data, len);
	memset(h, 0xa5, sizeof(*h)); /* pp_parse must set every field */
	r = pp_parse((const struct pp_buf *)p, len, flags, h);
	free(p);
	return r;
}

static const char *res_name(unsigned int r)
{
	static const char *n[] = {"header", "need_more", "not_proxy",
				  "invalid"};

	return r < 4 ? n[r] : "?";
}

static const char *err_name(unsigned int e)
{
	static const char *n[] = {
		"none",		 "v1_no_crlf",	   "v1_bad_eol",
		"v1_bad_sig",	 "v1_bad_proto",   "v1_bad_sep",
		"v1_bad_addr4",	 "v1_bad_addr6",   "v1_bad_port",
		"v1_trailing",	 "v2_bad_version", "v2_bad_command",
		"v2_bad_family", "v2_short_addr",  "v2_tlv_overrun",
		"v2_bad_crc",	 "v2_bad_tlv",
	};

	return e < PP_ERR_MAX ? n[e] : "?";
}

#define FIELD(f)                                                               \
	do {                                                                   \
		if (got->f != want->f)                                         \
			fail_msg("%s: " #f " is %u, want %u", name,            \
				 (unsigned int)got->f, (unsigned int)want->f); \
	} while (0)

static void addr_eq(const char *name, const char *what, const __u8 *got,
		    const __u8 *want)
{
	int i;

	for (i = 0; i < 16; i++)
		if (got[i] != want[i])
			fail_msg("%s: %s byte %d is 0x%02x, want 0x%02x", name,
				 what, i, got[i], want[i]);
}

/* Compare a parse with what the vector expects. A header is compared
 * field by field, address bytes one by one; "need more" on result, version,
 * need (and hdr_len when the vector gives it); "not a preamble" on the
 * class of the bytes; "invalid" on error, version and offset. */
static void check_hdr(const char *name, const struct pp_hdr *got,
		      const struct pp_hdr *want)
{
	if (got->result != want->result)
		fail_msg("%s: result is %s (error %s at %u, need %u), want %s",
			 name, res_name(got->result), err_name(got->error),
			 got->err_off, got->need, res_name(want->result));
	switch (want->result) {
	case PP_RES_HEADER:
		FIELD(error);
		FIELD(version);
		FIELD(command);
		FIELD(family);
		FIELD(transport);
		FIELD(hdr_len);
		FIELD(next);
		FIELD(next_class);
		FIELD(truncated);
		FIELD(v1_unknown_long);
		FIELD(src_port);
		FIELD(dst_port);
		FIELD(_pad0);
		FIELD(need);
		FIELD(addr_off);
		FIELD(tlv_off);
		FIELD(tlv_len);
		FIELD(crc_off);
		FIELD(err_off);
		addr_eq(name, "src_addr", got->src_addr, want->src_addr);
		addr_eq(name, "dst_addr", got->dst_addr, want->dst_addr);
		break;
	case PP_RES_NEED_MORE:
		FIELD(version);
		FIELD(need);
		FIELD(next);
		FIELD(next_class);
		if (want->hdr_len)
			FIELD(hdr_len);
		break;
	case PP_RES_NOT_PROXY:
		FIELD(version);
		FIELD(next_class);
		FIELD(need);
		FIELD(hdr_len);
		break;
	case PP_RES_INVALID:
		if (got->error != want->error)
			fail_msg("%s: error is %s, want %s", name,
				 err_name(got->error), err_name(want->error));
		FIELD(version);
		FIELD(err_off);
		break;
	}
}

static void test_vec(void **state)
{
	const struct vec *v = *state;
	struct pp_hdr got;
	int r;

	r = parse(v->data, v->len, v->flags, &got);
	if (r != got.result)
		fail_msg("%s: returned %d, result field %u", v->name, r,
			 got.result);
	check_hdr(v->name, &got, &v->want);
}

/* ---- expectations ---- */

#define A4(a, b, c, d)                                                         \
	{                                                                      \
		a, b, c, d                                                     \
	}
#define A6(...)                                                                \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define W_V1_4(src, dst, sp, dp)                                               \
	.result = PP_RES_HEADER, .version = PP_VER_1, .command = PP_CMD_PROXY, \
	.family = PP_FAM_INET, .transport = PP_TRANS_STREAM, .src_addr = src,  \
	.dst_addr = dst, .src_port = sp, .dst_port = dp
#define W_V1_6(src, dst, sp, dp)                                               \
	.result = PP_RES_HEADER, .version = PP_VER_1, .command = PP_CMD_PROXY, \
	.family = PP_FAM_INET6, .transport = PP_TRANS_STREAM, .src_addr = src, \
	.dst_addr = dst, .src_port = sp, .dst_port = dp
#define W_UNK(lng)                                                             \
	.result = PP_RES_HEADER, .version = PP_VER_1, .command = PP_CMD_PROXY, \
	.v1_unknown_long = lng
#define W_BAD1(err, off)                                                       \
	.result = PP_RES_INVALID, .error = err, .version = PP_VER_1,           \
	.err_off = off
#define W_MORE(ver, n) .result = PP_RES_NEED_MORE, .version = ver, .need = n
#define W_NOTP(cls) .result = PP_RES_NOT_PROXY, .next_class = cls
#define W_NEXT(nx, cls) .next = nx, .next_class = cls

/* The test tuple: 198.18.0.1:40000 -> 198.18.0.2:443, fd00::1 -> fd00::2 */
#define T4_SRC A4(198, 18, 0, 1)
#define T4_DST A4(198, 18, 0, 2)
#define T6_SRC A6(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)
#define T6_DST A6(0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2)
#define FF16                                                                   \
	A6(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,   \
	   0xff, 0xff, 0xff, 0xff, 0xff)

/* Bytes that may follow a header (also sent instead of one) */
#define HTTP_GET "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define SSH_BANNER "SSH-2.0-OpenSSH_9.2p1\r\n"
/* TLS 1.2 record, ClientHello: random 00..1f, one suite, no extensions */
#define TLS_CH                                                                 \
	"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03"                         \
	"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"     \
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f"     \
	"\x00\x00\x02\x13\x01\x01\x00\x00\x00"
/* Same record header, handshake type 2 (ServerHello): not a client */
#define TLS_SH "\x16\x03\x03\x00\x2f\x02\x00\x00\x2b\x03\x03"
#define V2_SIG "\r\n\r\n\x00\r\nQUIT\n"
/* v2 PROXY TCP4 198.18.0.1:40000 -> 198.18.0.2:443, no TLV (28 bytes) */
#define V2_TCP4                                                                \
	V2_SIG "\x21\x11\x00\x0c\xc6\x12\x00\x01\xc6\x12\x00\x02\x9c\x40"      \
	       "\x01\xbb"
#define V1_TCP4 "PROXY TCP4 198.18.0.1 198.18.0.2 40000 443\r\n"

/* Spec examples */
#define SPEC_TCP4 "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"
#define SPEC_TCP4_MAX                                                          \
	"PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n"
#define FFFF8 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
#define SPEC_TCP6_MAX "PROXY TCP6 " FFFF8 " " FFFF8 " 65535 65535\r\n"
#define SPEC_UNK_MAX "PROXY UNKNOWN " FFFF8 " " FFFF8 " 65535 65535\r\n"

struct strvec {
	const char *name;
	const char *pre; /* the preamble (a header when want is one) */
	__u32 pre_len;
	const char *tail; /* bytes after it */
	__u32 tail_len;
	struct pp_hdr want; /* hdr_len of a header: pre_len */
};

#define PRE(s) .pre = s, .pre_len = sizeof(s) - 1
#define TAIL(s) .tail = s, .tail_len = sizeof(s) - 1

static const struct strvec strvecs[] = {
	/* the spec's own examples */
	{"v1-spec-tcp4",
	 PRE(SPEC_TCP4),
	 TAIL(HTTP_GET),
	 {W_V1_4(A4(192, 168, 0, 1), A4(192, 168, 0, 11), 56324, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_HTTP)}},
	{"v1-spec-tcp4-max-56", PRE(SPEC_TCP4_MAX),
	 .want = {W_V1_4(A4(255, 255, 255, 255), A4(255, 255, 255, 255), 65535,
			 65535)}},
	{"v1-spec-tcp6-max-104", PRE(SPEC_TCP6_MAX),
	 .want = {W_V1_6(FF16, FF16, 65535, 65535)}},
	{"v1-spec-unknown", PRE("PROXY UNKNOWN\r\n"), .want = {W_UNK(0)}},
	{"v1-spec-unknown-max-107", PRE(SPEC_UNK_MAX), .want = {W_UNK(1)}},

	/* valid v1 */
	{"v1-tcp4-basic", PRE(V1_TCP4),
	 .want = {W_V1_4(T4_SRC, T4_DST, 40000, 443)}},
	{"v1-tcp4-zero", PRE("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n"),
	 .want = {W_V1_4(A4(0, 0, 0, 0), A4(0, 0, 0, 0), 0, 0)}},
	{"v1-tcp6-basic", PRE("PROXY TCP6 fd00::1 fd00::2 40000 443\r\n"),
	 .want = {W_V1_6(T6_SRC, T6_DST, 40000, 443)}},
	{"v1-tcp6-doc",
	 PRE("PROXY TCP6 2001:db8::1 2001:db8::ff00:42:8329 1234 443\r\n"),
	 .want = {W_V1_6(
		 A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
		 A6(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42,
		    0x83, 0x29),
		 1234, 443)}},
	{"v1-unknown-long",
	 PRE("PROXY UNKNOWN 198.18.0.1 198.18.0.2 40000 443\r\n"),
	 .want = {W_UNK(1)}},
	{"v1-unknown-space", PRE("PROXY UNKNOWN \r\n"), .want = {W_UNK(1)}},
	{"v1-unknown-text", PRE("PROXY UNKNOWN any\ttext at all\r\n"),
	 .want = {W_UNK(1)}},
	{"v1-unknown-then-http",
	 PRE("PROXY UNKNOWN\r\n"),
	 TAIL(HTTP_GET),
	 {W_UNK(0), W_NEXT(PP_NEXT_DATA, PP_CLASS_HTTP)}},

	/* what follows a v1 header */
	{"v1-then-http",
	 PRE(V1_TCP4),
	 TAIL(HTTP_GET),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_HTTP)}},
	{"v1-then-tls",
	 PRE(V1_TCP4),
	 TAIL(TLS_CH),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_TLS)}},
	{"v1-then-tls-1byte",
	 PRE(V1_TCP4),
	 TAIL("\x16"),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_TLS)}},
	{"v1-then-tls-serverhello",
	 PRE(V1_TCP4),
	 TAIL(TLS_SH),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_OTHER)}},
	{"v1-then-h2-preface",
	 PRE(V1_TCP4),
	 TAIL(H2_PREFACE),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_HTTP)}},
	{"v1-then-post",
	 PRE(V1_TCP4),
	 TAIL("POST /api HTTP/1.1\r\n"),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_HTTP)}},
	{"v1-then-options",
	 PRE(V1_TCP4),
	 TAIL("OPTIONS * HTTP/1.1\r\n"),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_HTTP)}},
	{"v1-then-ssh",
	 PRE(V1_TCP4),
	 TAIL(SSH_BANNER),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_OTHER)}},
	{"v1-then-lowercase-get",
	 PRE(V1_TCP4),
	 TAIL("get / HTTP/1.1\r\n"),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_OTHER)}},
	{"v1-then-v1",
	 PRE(V1_TCP4),
	 TAIL(V1_TCP4),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_STACKED, PP_CLASS_PROXY)}},
	{"v1-then-v2",
	 PRE(V1_TCP4),
	 TAIL(V2_TCP4),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_STACKED, PP_CLASS_PROXY)}},
	{"v1-then-proxy-word",
	 PRE(V1_TCP4),
	 TAIL("PROXY"),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_STACKED, PP_CLASS_PROXY)}},
	{"v1-then-partial-pro",
	 PRE(V1_TCP4),
	 TAIL("PRO"),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_PARTIAL, PP_CLASS_NONE)}},
	{"v1-then-partial-p",
	 PRE(V1_TCP4),
	 TAIL("P"),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_PARTIAL, PP_CLASS_NONE)}},
	{"v1-then-partial-sig",
	 PRE(V1_TCP4),
	 TAIL("\r\n\r\n\x00\r\nQUI"),
	 {W_V1_4(T4_SRC, T4_DST, 40000, 443),
	  W_NEXT(PP_NEXT_PARTIAL, PP_CLASS_NONE)}},

	/* v1 line endings */
	{"v1-bad-eol-lf", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_EOL, 30)}},
	{"v1-bad-eol-cr-x", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_EOL, 30)}},
	{"v1-bad-eol-lfcr", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n\r"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_EOL, 30)}},
	{"v1-bad-eol-lf-inside", PRE("PROXY TCP4 1.2.3.4\n5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_EOL, 18)}},
	{"v1-bad-eol-unknown-cr-cr", PRE("PROXY UNKNOWN\r\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_EOL, 13)}},

	/* signature and protocol token */
	{"v1-bad-sig-nospace", PRE("PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SIG, 5)}},
	{"v1-bad-sig-tab", PRE("PROXY\tTCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SIG, 5)}},
	{"v1-bad-sig-crlf", PRE("PROXY\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SIG, 5)}},
	/* "PROXY" then a space, then a space where the protocol should be */
	{"v1-double-space-after-proxy",
	 PRE("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},
	{"v1-bad-proto-tcp5", PRE("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},
	{"v1-bad-proto-lowercase", PRE("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},
	{"v1-bad-proto-udp4", PRE("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},
	{"v1-bad-proto-tcp4-tab", PRE("PROXY TCP4\t1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},
	{"v1-bad-proto-tcp-eol", PRE("PROXY TCP\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},
	{"v1-bad-proto-tcp4-eol", PRE("PROXY TCP4\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},
	{"v1-bad-proto-unknow-eol", PRE("PROXY UNKNOW\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},
	{"v1-bad-proto-unknownx", PRE("PROXY UNKNOWNX\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 13)}},
	{"v1-bad-proto-empty", PRE("PROXY \r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PROTO, 6)}},

	/* separators */
	{"v1-bad-sep-double", PRE("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SEP, 19)}},
	{"v1-bad-sep-after-proto", PRE("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SEP, 11)}},
	{"v1-bad-sep-double-ports", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SEP, 29)}},
	{"v1-bad-sep-missing-port", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SEP, 28)}},
	{"v1-bad-sep-empty-dport", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SEP, 29)}},
	{"v1-bad-sep-tab", PRE("PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_SEP, 30)}},
	{"v1-trailing-space", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"),
	 .want = {W_BAD1(PP_ERR_V1_TRAILING, 30)}},
	{"v1-trailing-field", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_TRAILING, 30)}},

	/* families that do not match the addresses */
	{"v1-tcp4-with-ipv6", PRE("PROXY TCP4 fd00::1 fd00::2 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_ADDR4, 11)}},
	{"v1-tcp4-with-ipv6-dst", PRE("PROXY TCP4 198.18.0.1 fd00::2 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_ADDR4, 22)}},
	{"v1-tcp6-with-ipv4", PRE("PROXY TCP6 198.18.0.1 198.18.0.2 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_ADDR6, 11)}},
	{"v1-tcp6-with-ipv4-dst", PRE("PROXY TCP6 fd00::1 198.18.0.2 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_ADDR6, 19)}},
	{"v1-tcp4-dst-lead-zero", PRE("PROXY TCP4 1.2.3.4 5.6.7.08 1 2\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_ADDR4, 19)}},
	{"v1-port-dst-65536", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n"),
	 .want = {W_BAD1(PP_ERR_V1_BAD_PORT, 29)}},

	/* not a PROXY preamble at all, or not yet */
	{"np-lowercase-proxy", PRE("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-proxz", PRE("PROXZ"), .want = {W_NOTP(PP_CLASS_OTHER)}},
	/* 3-7 capitals and a space look like an HTTP method */
	{"np-proxz-line", PRE("PROXZ TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_NOTP(PP_CLASS_HTTP)}},
	{"np-space-proxy", PRE(" PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"),
	 .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-http-get", PRE(HTTP_GET), .want = {W_NOTP(PP_CLASS_HTTP)}},
	{"np-http-post", PRE("POST /login HTTP/1.1\r\n"),
	 .want = {W_NOTP(PP_CLASS_HTTP)}},
	{"np-h2-preface", PRE(H2_PREFACE), .want = {W_NOTP(PP_CLASS_HTTP)}},
	{"np-tls-clienthello", PRE(TLS_CH), .want = {W_NOTP(PP_CLASS_TLS)}},
	{"np-tls-2bytes", PRE("\x16\x03"), .want = {W_NOTP(PP_CLASS_TLS)}},
	{"np-tls-serverhello", PRE(TLS_SH), .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-tls-bad-version", PRE("\x16\x02\x00\x00\x10\x01"),
	 .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-ssh", PRE(SSH_BANNER), .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-nul", PRE("\x00"), .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-lf", PRE("\n"), .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-space", PRE(" "), .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-crlf-get", PRE("\r\nGET / HTTP/1.1\r\n"),
	 .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-almost-v2-sig", PRE("\r\n\r\n\x00\r\nQUIX\n\x21\x11\x00\x00"),
	 .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"np-get-no-space", PRE("GET"), .want = {W_NOTP(PP_CLASS_OTHER)}},
	{"more-empty", PRE(""), .want = {W_MORE(PP_VER_NONE, 1)}},
	{"more-p", PRE("P"), .want = {W_MORE(PP_VER_1, 4)}},
	{"more-prox", PRE("PROX"), .want = {W_MORE(PP_VER_1, 1)}},
	{"more-proxy", PRE("PROXY"), .want = {W_MORE(PP_VER_1, 1)}},
	{"more-proxy-space", PRE("PROXY "), .want = {W_MORE(PP_VER_1, 1)}},
	{"more-proxy-tcp4", PRE("PROXY TCP4"), .want = {W_MORE(PP_VER_1, 1)}},
	{"more-v1-tcp6-partial", PRE("PROXY TCP6 fd00::1 fd00:"),
	 .want = {W_MORE(PP_VER_1, 1)}},
	{"more-v1-unknown-long", PRE("PROXY UNKNOWN 1.2.3.4"),
	 .want = {W_MORE(PP_VER_1, 1)}},
	{"more-cr", PRE("\r"), .want = {W_MORE(PP_VER_2, 15)}},
	{"more-sig-5", PRE("\r\n\r\n\x00"), .want = {W_MORE(PP_VER_2, 11)}},
	{"more-sig-11", PRE("\r\n\r\n\x00\r\nQUIT"),
	 .want = {W_MORE(PP_VER_2, 5)}},
	{"more-sig-12", PRE(V2_SIG), .want = {W_MORE(PP_VER_2, 4)}},
	{"more-sig-13", PRE(V2_SIG "\x21"), .want = {W_MORE(PP_VER_2, 3)}},
	{"more-sig-15", PRE(V2_SIG "\x21\x11\x00"),
	 .want = {W_MORE(PP_VER_2, 1)}},
	{"more-v2-addr", PRE(V2_SIG "\x21\x11\x00\x0c"),
	 .want = {W_MORE(PP_VER_2, 12), .hdr_len = 28}},
	{"more-v2-addr-half", PRE(V2_SIG "\x21\x11\x00\x0c\xc6\x12\x00\x01"),
	 .want = {W_MORE(PP_VER_2, 8), .hdr_len = 28}},

	/* partial v1 lines that must wait, not be refused: the last two
	 * were refused before the fix in pp_parse.h (found by fuzz_parse) */
	{"more-v1-before-lf", PRE("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"),
	 .want = {W_MORE(PP_VER_1, 1)}},
	{"more-v1-tcp6-before-lf", PRE("PROXY TCP6 fd00::1 fd00::2 1 2\r"),
	 .want = {W_MORE(PP_VER_1, 1)}},
	{"more-v1-unknown-before-lf", PRE("PROXY UNKNOWN\r"),
	 .want = {W_MORE(PP_VER_1, 1)}},
	{"more-v1-unknow-12", PRE("PROXY UNKNOW"),
	 .want = {W_MORE(PP_VER_1, 1)}},

	/* v2, a real capture: HAProxy send-proxy-v2 then an HTTP request */
	{"v2-haproxy-capture",
	 PRE(V2_SIG "\x21\x11\x00\x0c\xac\x13\x00\x01\xac\x13\x00\x03\xa6\x52"
		    "\x00\x50"),
	 TAIL("GET / HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: "
	      "curl/7.68.0\r\nAccept: */*\r\n\r\n"),
	 {.result = PP_RES_HEADER,
	  .version = PP_VER_2,
	  .command = PP_CMD_PROXY,
	  .family = PP_FAM_INET,
	  .transport = PP_TRANS_STREAM,
	  .src_addr = A4(172, 19, 0, 1),
	  .dst_addr = A4(172, 19, 0, 3),
	  .src_port = 42578,
	  .dst_port = 80,
	  .addr_off = 16,
	  .tlv_off = 28,
	  .tlv_len = 0,
	  W_NEXT(PP_NEXT_DATA, PP_CLASS_HTTP)}},
	/* v2: the fixed part decides first */
	{"v2-bad-version-short", PRE(V2_SIG "\x11"),
	 .want = {.result = PP_RES_INVALID,
		  .version = PP_VER_2,
		  .error = PP_ERR_V2_BAD_VERSION,
		  .err_off = 12}},
};

/* ---- builders ---- */

struct bld {
	__u8 *p;
	__u32 n, cap;
};

static void put(struct bld *b, const void *d, __u32 n)
{
	if (!n || !d)
		return;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			fprintf(stderr, "test_parse: out of memory\n");
			exit(1);
		}
	}
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void put8(struct bld *b, __u8 v)
{
	put(b, &v, 1);
}

static void put16(struct bld *b, __u16 v)
{
	put8(b, v >> 8);
	put8(b, v & 0xff);
}

static void puts_(struct bld *b, const char *s)
{
	put(b, s, strlen(s));
}

static void pad(struct bld *b, __u8 c, __u32 n)
{
	while (n--)
		put8(b, c);
}

static void tlv(struct bld *b, __u8 type, const void *v, __u16 len)
{
	put8(b, type);
	put16(b, len);
	if (len)
		put(b, v, len);
}

static const __u8 sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
			     0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* Signature, ver/cmd, fam/transport, length placeholder */
static void v2_start(struct bld *b, __u8 vc, __u8 ft)
{
	b->n = 0;
	put(b, sig, 12);
	put8(b, vc);
	put8(b, ft);
	put16(b, 0);
}

/* Patch the length field: everything after the fixed part so far */
static void v2_close(struct bld *b)
{
	__u32 l = b->n - PP_V2_HDR_LEN;

	b->p[14] = l >> 8;
	b->p[15] = l & 0xff;
}

static const __u8 t4_src[4] = {198, 18, 0, 1}, t4_dst[4] = {198, 18, 0, 2};
static const __u8 t6_src[16] = {0xfd, [15] = 1}, t6_dst[16] = {0xfd, [15] = 2};

/* The address block of a family with the test tuple (UNIX: two paths) */
static void addr_block(struct bld *b, __u8 fam)
{
	char path[108];

	switch (fam) {
	case PP_FAM_INET:
		put(b, t4_src, 4);
		put(b, t4_dst, 4);
		put16(b, 40000);
		put16(b, 443);
		break;
	case PP_FAM_INET6:
		put(b, t6_src, 16);
		put(b, t6_dst, 16);
		put16(b, 40000);
		put16(b, 443);
		break;
	case PP_FAM_UNIX:
		memset(path, 0, sizeof(path));
		strcpy(path, "/run/ppguard-test/src.sock");
		put(b, path, sizeof(path));
		memset(path, 0, sizeof(path));
		strcpy(path, "/run/ppguard-test/dst.sock");
		put(b, path, sizeof(path));
		break;
	}
}

static __u32 addr_len(__u8 fam)
{
	return fam == PP_FAM_INET    ? 12
	       : fam == PP_FAM_INET6 ? 36
	       : fam == PP_FAM_UNIX  ? 216
				     : 0;
}

/* CRC32C (Castagnoli, reflected 0x82F63B78), as the spec's TLV 0x03 */
static __u32 crc32c(const __u8 *p, __u32 n)
{
	__u32 c = ~0U;
	int k;

	while (n--) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78 : c >> 1;
	}
	return ~c;
}

/* Fill the CRC32C value at off (big-endian) over [0, hlen), field zero */
static void crc_fill(struct bld *b, __u32 off, __u32 hlen, __u32 xor)
{
	__u32 c;

	memset(b->p + off, 0, 4);
	c = crc32c(b->p, hlen) ^ xor;
	b->p[off] = c >> 24;
	b->p[off + 1] = c >> 16;
	b->p[off + 2] = c >> 8;
	b->p[off + 3] = c;
}

/* Expect a complete v2 header of hlen bytes with the test tuple */
static void want_v2(struct vec *v, __u8 vc, __u8 ft, __u32 hlen)
{
	struct pp_hdr *w = &v->want;
	__u8 fam = ft >> 4;
	__u32 alen = addr_len(fam);

	memset(w, 0, sizeof(*w));
	w->result = PP_RES_HEADER;
	w->version = PP_VER_2;
	w->command = vc & 0xf;
	w->family = fam;
	w->transport = ft & 0xf;
	w->hdr_len = hlen;
	w->addr_off = PP_V2_HDR_LEN;
	if (alen > hlen - PP_V2_HDR_LEN)
		alen = hlen - PP_V2_HDR_LEN; /* LOCAL: what is there */
	w->tlv_off = PP_V2_HDR_LEN + alen;
	w->tlv_len = hlen - w->tlv_off;
	if (w->command == PP_CMD_PROXY && fam == PP_FAM_INET) {
		memcpy(w->src_addr, t4_src, 4);
		memcpy(w->dst_addr, t4_dst, 4);
	} else if (w->command == PP_CMD_PROXY && fam == PP_FAM_INET6) {
		memcpy(w->src_addr, t6_src, 16);
		memcpy(w->dst_addr, t6_dst, 16);
	}
	if (w->command == PP_CMD_PROXY &&
	    (fam == PP_FAM_INET || fam == PP_FAM_INET6)) {
		w->src_port = 40000;
		w->dst_port = 443;
	}
}

static void want_bad2(struct vec *v, __u8 err, __u32 off)
{
	memset(&v->want, 0, sizeof(v->want));
	v->want.result = PP_RES_INVALID;
	v->want.version = PP_VER_2;
	v->want.error = err;
	v->want.err_off = off;
}

static struct vec *add_bld(const char *name, struct bld *b, int corpus)
{
	return vec_add(name, b->p, b->n, corpus);
}

/* ---- generated v1 vectors ---- */

static void add_str(const char *name, const char *s, int corpus)
{
	vec_add(name, s, strlen(s), corpus);
}

/* "PROXY UNKNOWN " padded with 'x' to a total of n bytes, CRLF last */
static void unknown_padded(struct bld *b, __u32 n, int crlf)
{
	b->n = 0;
	puts_(b, "PROXY UNKNOWN ");
	pad(b, 'x', n - b->n - (crlf ? 2 : 0));
	if (crlf)
		puts_(b, "\r\n");
}

static void gen_v1_bounds(void)
{
	struct bld b = {0};
	struct vec *v;
	__u32 n;

	/* 106 and 107 bytes with CRLF: valid; 108: no CRLF within 107 */
	for (n = 106; n <= 108; n++) {
		char name[64];

		unknown_padded(&b, n, 1);
		snprintf(name, sizeof(name), "v1-unknown-pad-%u", n);
		v = add_bld(name, &b, 1);
		if (n <= PP_V1_MAX_LINE) {
			v->want = (struct pp_hdr){W_UNK(1), .hdr_len = n};
		} else {
			v->want =
				(struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 106)};
		}
		/* the same with data after it */
		puts_(&b, HTTP_GET);
		snprintf(name, sizeof(name), "v1-unknown-pad-%u-then-http", n);
		v = add_bld(name, &b, 1);
		if (n <= PP_V1_MAX_LINE) {
			v->want = (struct pp_hdr){
				W_UNK(1), .hdr_len = n,
				W_NEXT(PP_NEXT_DATA, PP_CLASS_HTTP)};
		} else {
			v->want =
				(struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 106)};
		}
	}
	/* no CRLF at all: 106 bytes wait, 107 are refused */
	unknown_padded(&b, 106, 0);
	v = add_bld("v1-nocrlf-106", &b, 1);
	v->want = (struct pp_hdr){W_MORE(PP_VER_1, 1)};
	unknown_padded(&b, 107, 0);
	v = add_bld("v1-nocrlf-107", &b, 1);
	v->want = (struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 107)};
	unknown_padded(&b, 200, 0);
	v = add_bld("v1-nocrlf-200", &b, 1);
	v->want = (struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 107)};
	/* a CR as byte 107: its LF would be the 108th */
	unknown_padded(&b, 106, 0);
	put8(&b, '\r');
	v = add_bld("v1-cr-at-107th-byte", &b, 1);
	v->want = (struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 106)};
	/* a TCP4 line of digits that never ends */
	b.n = 0;
	puts_(&b, "PROXY TCP4 ");
	pad(&b, '1', 96);
	v = add_bld("v1-tcp4-digits-107", &b, 1);
	v->want = (struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 107)};

	/* TCP6 at 107 (valid) and 108 bytes, with embedded IPv4 forms */
	add_str("v1-tcp6-107",
		"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
		"fff:ffff:ffff:ffff:ffff:ffff:1.2.3.4 65535 65535\r\n",
		1);
	v = &vecs[nvecs - 1];
	v->want = (struct pp_hdr){
		W_V1_6(FF16,
		       A6(0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			  0xff, 0xff, 0xff, 1, 2, 3, 4),
		       65535, 65535),
		.hdr_len = 107};
	add_str("v1-tcp6-108",
		"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
		"ffff:ffff:ffff:ffff:ffff:ffff:1.2.3.4 65535 65535\r\n",
		1);
	vecs[nvecs - 1].want = (struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 106)};
	/* the longest text forms, valid each, make a 116-byte line */
	add_str("v1-tcp6-116",
		"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
		"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 65535 65535\r\n",
		1);
	vecs[nvecs - 1].want = (struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 107)};
	free(b.p);
}

/* ---- v1 address and port forms ---- */

struct addr_case {
	const char *label;
	const char *text;
	int valid;
	__u8 bytes[16];
};

/* Every RFC 4291 section 2.2 text form, and the ways to get one wrong */
static const struct addr_case ip6_cases[] = {
	{"full-lead-zeros",
	 "2001:0db8:0000:0000:0000:ff00:0042:8329",
	 1,
	 {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83,
	  0x29}},
	{"compressed",
	 "2001:db8::ff00:42:8329",
	 1,
	 {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42, 0x83,
	  0x29}},
	{"unspecified", "::", 1, {0}},
	{"loopback", "::1", 1, {[15] = 1}},
	{"leading-dc", "::2:3", 1, {[13] = 2, [15] = 3}},
	{"trailing-dc", "1::", 1, {0, 1}},
	{"v4-mapped",
	 "::ffff:198.18.0.1",
	 1,
	 {[10] = 0xff, [11] = 0xff, [12] = 198, [13] = 18, [14] = 0, [15] = 1}},
	{"v4-six-groups",
	 "1:2:3:4:5:6:198.18.0.1",
	 1,
	 {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 198, 18, 0, 1}},
	{"v4-compat", "::198.18.0.1", 1, {[12] = 198, 18, 0, 1}},
	{"v4-after-dc",
	 "1:2:3:4:5::255.255.255.255",
	 1,
	 {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 0, 255, 255, 255, 255}},
	{"uppercase",
	 "FD00::ABCD:EF01",
	 1,
	 {0xfd, 0, [12] = 0xab, 0xcd, 0xef, 0x01}},
	{"mixed-case", "fD00::aBcD", 1, {0xfd, 0, [14] = 0xab, 0xcd}},
	{"eight-groups",
	 "1:2:3:4:5:6:7:8",
	 1,
	 {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
	{"dc-last-group",
	 "1:2:3:4:5:6:7::",
	 1,
	 {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 0}},
	{"dc-first-group",
	 "::2:3:4:5:6:7:8",
	 1,
	 {0, 0, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8}},
	{"dc-middle", "1::8", 1, {0, 1, [15] = 8}},
	{"dc-middle-two", "1:2::7:8", 1, {0, 1, 0, 2, [13] = 7, 0, 8}},
	{"zeros-eight", "0:0:0:0:0:0:0:0", 1, {0}},
	{"all-ones", FFFF8, 1, FF16},
	{"group-0db8", "0db8::1", 1, {0x0d, 0xb8, [15] = 1}},
	{"groups-zero-padded",
	 "0000:0000:0000:0000:0000:0000:0000:0001",
	 1,
	 {[15] = 1}},
	{"longest-45", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 1,
	 FF16},
	{"triple-colon", ":::", 0, {0}},
	{"triple-colon-mid", "1:::2", 0, {0}},
	{"two-dc", "1::2::3", 0, {0}},
	{"two-dc-edges", "::1::", 0, {0}},
	{"nine-groups", "1:2:3:4:5:6:7:8:9", 0, {0}},
	{"five-hex-digits", "12345::1", 0, {0}},
	{"trailing-colon", "1:2:3:4:5:6:7:", 0, {0}},
	{"leading-colon", ":1:2:3:4:5:6:7", 0, {0}},
	{"seven-groups", "1:2:3:4:5:6:7", 0, {0}},
	{"dc-and-eight-groups", "1:2:3:4::5:6:7:8", 0, {0}},
	{"dc-after-eight", "1:2:3:4:5:6:7:8::", 0, {0}},
	{"dc-before-eight", "::1:2:3:4:5:6:7:8", 0, {0}},
	{"v4-not-last", "::198.18.0.1:1", 0, {0}},
	{"v4-first", "198.18.0.1::1", 0, {0}},
	{"v4-seven-groups", "1:2:3:4:5:6:7:198.18.0.1", 0, {0}},
	{"v4-lead-zero", "::ffff:198.018.0.1", 0, {0}},
	{"v4-three-parts", "::ffff:198.18.1", 0, {0}},
	{"v4-five-parts", "::ffff:1.2.3.4.5", 0, {0}},
	{"v4-octet-256", "::ffff:256.18.0.1", 0, {0}},
	{"bad-hex", "g::1", 0, {0}},
	{"single-colon", ":", 0, {0}},
	{"single-group", "1", 0, {0}},
	{"zone-id", "fe80::1%eth0", 0, {0}},
	{"brackets", "[::1]", 0, {0}},
	{"v4-only", "198.18.0.1", 0, {0}},
};

static const struct addr_case ip4_cases[] = {
	{"zero", "0.0.0.0", 1, {0}},
	{"max", "255.255.255.255", 1, {255, 255, 255, 255}},
	{"test-net", "198.18.0.1", 1, {198, 18, 0, 1}},
	{"inner-zero", "10.0.0.10", 1, {10, 0, 0, 10}},
	{"lead-zero-first", "01.2.3.4", 0, {0}},
	{"lead-zero-last", "1.2.3.04", 0, {0}},
	{"double-zero", "1.2.3.00", 0, {0}},
	{"octal-like", "010.0.0.1", 0, {0}},
	{"octet-256", "256.1.1.1", 0, {0}},
	{"octet-last-256", "1.2.3.256", 0, {0}},
	{"four-digits", "1234.1.1.1", 0, {0}},
	{"three-parts", "1.2.3", 0, {0}},
	{"five-parts", "1.2.3.4.5", 0, {0}},
	{"empty-part", "1..2.3", 0, {0}},
	{"leading-dot", ".1.2.3", 0, {0}},
	{"trailing-dot", "1.2.3.", 0, {0}},
	{"letter", "1.2.3.4a", 0, {0}},
	{"hex", "0x1.2.3.4", 0, {0}},
	{"negative", "1.2.3.-4", 0, {0}},
	{"prefix-len", "1.2.3.4/32", 0, {0}},
};

static const struct {
	const char *label;
	const char *text;
	int valid;
	__u16 v;
} port_cases[] = {
	{"0", "0", 1, 0},	    {"1", "1", 1, 1},
	{"443", "443", 1, 443},	    {"65535", "65535", 1, 65535},
	{"65536", "65536", 0, 0},   {"99999", "99999", 0, 0},
	{"100000", "100000", 0, 0}, {"00", "00", 0, 0},
	{"01", "01", 0, 0},	    {"080", "080", 0, 0},
	{"plus", "+1", 0, 0},	    {"minus", "-1", 0, 0},
	{"letter", "1a", 0, 0},	    {"hex", "0x1F", 0, 0},
};

static void gen_v1_forms(void)
{
	char line[160], name[64];
	struct vec *v;
	size_t i;

	for (i = 0; i < sizeof(ip6_cases) / sizeof(ip6_cases[0]); i++) {
		const struct addr_case *c = &ip6_cases[i];

		/* as the source (in the corpus) and as the destination */
		snprintf(line, sizeof(line),
			 "PROXY TCP6 %s fd00::2 40000 443\r\n", c->text);
		snprintf(name, sizeof(name), "v1-ip6-%s", c->label);
		v = vec_add(name, line, strlen(line), 1);
		if (c->valid) {
			v->want = (struct pp_hdr){
				W_V1_6(A6(0), T6_DST, 40000, 443),
				.hdr_len = strlen(line)};
			memcpy(v->want.src_addr, c->bytes, 16);
		} else {
			v->want = (struct pp_hdr){
				W_BAD1(PP_ERR_V1_BAD_ADDR6, 11)};
		}
		snprintf(line, sizeof(line),
			 "PROXY TCP6 fd00::1 %s 40000 443\r\n", c->text);
		snprintf(name, sizeof(name), "v1-ip6-%s-dst", c->label);
		v = vec_add(name, line, strlen(line), 0);
		if (c->valid) {
			v->want = (struct pp_hdr){
				W_V1_6(T6_SRC, A6(0), 40000, 443),
				.hdr_len = strlen(line)};
			memcpy(v->want.dst_addr, c->bytes, 16);
		} else {
			v->want = (struct pp_hdr){
				W_BAD1(PP_ERR_V1_BAD_ADDR6, 19)};
		}
	}
	for (i = 0; i < sizeof(ip4_cases) / sizeof(ip4_cases[0]); i++) {
		const struct addr_case *c = &ip4_cases[i];

		snprintf(line, sizeof(line),
			 "PROXY TCP4 %s 198.18.0.2 40000 443\r\n", c->text);
		snprintf(name, sizeof(name), "v1-ip4-%s", c->label);
		v = vec_add(name, line, strlen(line), 1);
		if (c->valid) {
			v->want = (struct pp_hdr){
				W_V1_4(A4(0, 0, 0, 0), T4_DST, 40000, 443),
				.hdr_len = strlen(line)};
			memcpy(v->want.src_addr, c->bytes, 4);
		} else {
			v->want = (struct pp_hdr){
				W_BAD1(PP_ERR_V1_BAD_ADDR4, 11)};
		}
		snprintf(line, sizeof(line),
			 "PROXY TCP4 198.18.0.1 %s 40000 443\r\n", c->text);
		snprintf(name, sizeof(name), "v1-ip4-%s-dst", c->label);
		v = vec_add(name, line, strlen(line), 0);
		if (c->valid) {
			v->want = (struct pp_hdr){
				W_V1_4(T4_SRC, A4(0, 0, 0, 0), 40000, 443),
				.hdr_len = strlen(line)};
			memcpy(v->want.dst_addr, c->bytes, 4);
		} else {
			v->want = (struct pp_hdr){
				W_BAD1(PP_ERR_V1_BAD_ADDR4, 22)};
		}
	}
	for (i = 0; i < sizeof(port_cases) / sizeof(port_cases[0]); i++) {
		snprintf(line, sizeof(line),
			 "PROXY TCP4 198.18.0.1 198.18.0.2 %s 443\r\n",
			 port_cases[i].text);
		snprintf(name, sizeof(name), "v1-port-%s", port_cases[i].label);
		v = vec_add(name, line, strlen(line), 1);
		if (port_cases[i].valid)
			v->want = (struct pp_hdr){
				W_V1_4(T4_SRC, T4_DST, port_cases[i].v, 443),
				.hdr_len = strlen(line)};
		else
			v->want =
				(struct pp_hdr){W_BAD1(PP_ERR_V1_BAD_PORT, 33)};
		snprintf(line, sizeof(line),
			 "PROXY TCP4 198.18.0.1 198.18.0.2 443 %s\r\n",
			 port_cases[i].text);
		snprintf(name, sizeof(name), "v1-port-%s-dst",
			 port_cases[i].label);
		v = vec_add(name, line, strlen(line), 0);
		if (port_cases[i].valid)
			v->want = (struct pp_hdr){
				W_V1_4(T4_SRC, T4_DST, 443, port_cases[i].v),
				.hdr_len = strlen(line)};
		else
			v->want =
				(struct pp_hdr){W_BAD1(PP_ERR_V1_BAD_PORT, 37)};
	}
}

/* ---- generated v2 vectors ---- */

/* What the spec allows in the fixed part, as a table, not as code:
 * version 2; command LOCAL or PROXY; family 0-3, transport 0-2; PROXY
 * takes UNSPEC with UNSPEC only (0x00, 0x11, 0x12, 0x21, 0x22, 0x31,
 * 0x32); LOCAL ignores the family, so any known one is fine. */
static int spec_v2_error(__u8 vc, __u8 ft)
{
	static const __u8 proxy_ok[] = {0x00, 0x11, 0x12, 0x21,
					0x22, 0x31, 0x32};
	size_t i;

	if (vc >> 4 != 2)
		return PP_ERR_V2_BAD_VERSION;
	if ((vc & 0xf) > 1)
		return PP_ERR_V2_BAD_COMMAND;
	if (ft >> 4 > 3 || (ft & 0xf) > 2)
		return PP_ERR_V2_BAD_FAMILY;
	if ((vc & 0xf) == PP_CMD_LOCAL)
		return 0;
	for (i = 0; i < sizeof(proxy_ok); i++)
		if (ft == proxy_ok[i])
			return 0;
	return PP_ERR_V2_BAD_FAMILY;
}

/* One header per (version/command, family/transport) byte pair, with the
 * address block of its family */
static void v2_combo(struct vec *v, __u8 vc, __u8 ft)
{
	int err = spec_v2_error(vc, ft);

	if (err)
		want_bad2(v, err, err == PP_ERR_V2_BAD_FAMILY ? 13 : 12);
	else
		want_v2(v, vc, ft, v->len);
}

static void build_combo(struct bld *b, __u8 vc, __u8 ft)
{
	v2_start(b, vc, ft);
	addr_block(b, ft >> 4);
	v2_close(b);
}

static void gen_v2_combos(void)
{
	struct bld b = {0};
	char name[64];
	struct vec *v;
	unsigned int cmd, fam, tr;

	/* named vectors for commands 0-2, families 0-4, transports 0-3;
	 * the corpus keeps LOCAL and PROXY */
	for (cmd = 0; cmd <= 2; cmd++)
		for (fam = 0; fam <= 4; fam++)
			for (tr = 0; tr <= 3; tr++) {
				__u8 vc = 0x20 | cmd, ft = fam << 4 | tr;

				if (cmd == 2 && (fam > 1 || tr > 1))
					continue;
				build_combo(&b, vc, ft);
				snprintf(name, sizeof(name),
					 "v2-combo-%s-fam%u-trans%u",
					 cmd == 0   ? "local"
					 : cmd == 1 ? "proxy"
						    : "cmd2",
					 fam, tr);
				v = add_bld(name, &b, cmd < 2);
				v2_combo(v, vc, ft);
			}
	/* other version nibbles (the corpus keeps 0, 1, 3 and f) */
	for (cmd = 0; cmd <= 15; cmd++) {
		if (cmd == 2)
			continue;
		build_combo(&b, cmd << 4 | 1, 0x11);
		snprintf(name, sizeof(name), "v2-bad-version-%x", cmd);
		v = add_bld(name, &b, cmd < 4 || cmd == 15);
		want_bad2(v, PP_ERR_V2_BAD_VERSION, 12);
	}
	for (cmd = 3; cmd <= 15; cmd += 4) {
		build_combo(&b, 0x20 | cmd, 0x11);
		snprintf(name, sizeof(name), "v2-bad-command-%x", cmd);
		v = add_bld(name, &b, cmd == 3 || cmd == 15);
		want_bad2(v, PP_ERR_V2_BAD_COMMAND, 12);
	}
	build_combo(&b, 0x21, 0xff);
	v = add_bld("v2-bad-family-ff", &b, 1);
	want_bad2(v, PP_ERR_V2_BAD_FAMILY, 13);
	free(b.p);
}

/* Every version/command byte with every family/transport byte */
static void test_v2_all_bytes(void **state)
{
	unsigned int vc, ft;
	struct bld b = {0};
	char name[64];

	(void)state;
	for (vc = 0; vc < 256; vc++)
		for (ft = 0; ft < 256; ft++) {
			struct vec v = {0};
			struct pp_hdr got;

			build_combo(&b, vc, ft);
			v.data = b.p;
			v.len = b.n;
			v2_combo(&v, vc, ft);
			snprintf(name, sizeof(name), "vc 0x%02x ft 0x%02x", vc,
				 ft);
			parse(b.p, b.n, 0, &got);
			check_hdr(name, &got, &v.want);
		}
	free(b.p);
}

/* PROXY TCP4 with the test tuple then TLV bytes (built by the caller) */
static void tcp4_start(struct bld *b)
{
	v2_start(b, 0x21, 0x11);
	addr_block(b, PP_FAM_INET);
}

static const __u8 ssl_tlv[] = {
	0x07,			/* client: SSL, cert on conn, cert in session */
	0x00, 0x00, 0x00, 0x00, /* verify: 0 = verified */
	0x21, 0x00, 0x07, 'T',	'L',  'S',  'v',  '1',	'.',  '3',  0x22, 0x00,
	0x0b, 'c',  'l',  'i',	'e',  'n',  't',  '.',	't',  'e',  's',  't',
	0x23, 0x00, 0x16, 'T',	'L',  'S',  '_',  'A',	'E',  'S',  '_',  '1',
	'2',  '8',  '_',  'G',	'C',  'M',  '_',  'S',	'H',  'A',  '2',  '5',
	'6',  0x24, 0x00, 0x0f, 'R',  'S',  'A',  '-',	'P',  'S',  'S',  '-',
	'S',  'H',  'A',  '2',	'5',  '6',  'x',  0x25, 0x00, 0x07, 'R',  'S',
	'A',  '2',  '0',  '4',	'8',  0x26, 0x00, 0x06, 'X',  '2',  '5',  '5',
	'1',  '9',  0x27, 0x00, 0x0e, 'r',  's',  'a',	'_',  'p',  's',  's',
	'_',  'r',  's',  'a',	'e',  '_',  's',  0x28, 0x00, 0x04, 0x30, 0x82,
	0x01, 0x0a, /* a DER prefix */
};

/* One TLV of each kind the spec names, and unknown kinds */
static void tlv_of(struct bld *b, int kind)
{
	static const __u8 gcp[8] = {0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
	static const __u8 azure[5] = {0x01, 0x78, 0x56, 0x34, 0x12};
	__u8 id[128];
	int i;

	switch (kind) {
	case 0:
		tlv(b, PP_TLV_ALPN, "h2", 2);
		break;
	case 1:
		tlv(b, PP_TLV_AUTHORITY, "example.com", 11);
		break;
	case 2:
		tlv(b, PP_TLV_CRC32C, "\0\0\0\0", 4);
		break;
	case 3:
		tlv(b, PP_TLV_NOOP, "\0\0\0\0", 4);
		break;
	case 4:
		for (i = 0; i < 128; i++)
			id[i] = i;
		tlv(b, PP_TLV_UNIQUE_ID, id, 128);
		break;
	case 5:
		tlv(b, PP_TLV_SSL, ssl_tlv, sizeof(ssl_tlv));
		break;
	case 6:
		tlv(b, PP_TLV_NETNS, "blue", 4);
		break;
	case 7:
		tlv(b, PP_TLV_GCP, gcp, 8);
		break;
	case 8:
		tlv(b, PP_TLV_AWS, "\x01vpce-0123456789abcdef0", 23);
		break;
	case 9:
		tlv(b, PP_TLV_AZURE, azure, 5);
		break;
	case 10:
		tlv(b, 0xF0, "exp", 3); /* experimental */
		break;
	case 11:
		tlv(b, 0xFF, "\x00", 1); /* reserved */
		break;
	case 12:
		tlv(b, 0x00, NULL, 0); /* type 0, unassigned */
		break;
	}
}

static const char *const tlv_names[] = {
	"alpn",		"authority", "crc32c", "noop", "unique-id",
	"ssl",		"netns",     "gcp",    "aws",  "azure",
	"experimental", "reserved",  "type0",
};
#define N_TLV_KINDS 13

static void gen_v2_tlvs(void)
{
	struct bld b = {0};
	char name[64];
	struct vec *v;
	__u32 crc_at;
	int k;

	for (k = 0; k < N_TLV_KINDS; k++) {
		tcp4_start(&b);
		tlv_of(&b, k);
		v2_close(&b);
		if (k == 2)
			crc_fill(&b, 31, b.n, 0);
		snprintf(name, sizeof(name), "v2-tlv-%s", tlv_names[k]);
		v = add_bld(name, &b, 1);
		want_v2(v, 0x21, 0x11, b.n);
		if (k == 2)
			v->want.crc_off = 31;
	}
	/* every kind in one header, CRC32C right, then wrong */
	tcp4_start(&b);
	crc_at = 0;
	for (k = 0; k < N_TLV_KINDS; k++) {
		if (k == 2)
			crc_at = b.n + 3;
		tlv_of(&b, k);
	}
	v2_close(&b);
	crc_fill(&b, crc_at, b.n, 0);
	v = add_bld("v2-tlv-all", &b, 1);
	want_v2(v, 0x21, 0x11, b.n);
	v->want.crc_off = crc_at;
	crc_fill(&b, crc_at, b.n, 0xffffffff);
	v = add_bld("v2-tlv-all-crc-wrong", &b, 1);
	want_v2(v, 0x21, 0x11, b.n);
	v->want.crc_off = crc_at; /* the parser only finds it */

	/* zero-length TLVs, the smallest TLV area */
	tcp4_start(&b);
	tlv(&b, PP_TLV_ALPN, NULL, 0);
	tlv(&b, PP_TLV_NOOP, NULL, 0);
	tlv(&b, PP_TLV_AUTHORITY, NULL, 0);
	tlv(&b, PP_TLV_UNIQUE_ID, NULL, 0);
	v2_close(&b);
	v = add_bld("v2-tlv-zero-length", &b, 1);
	want_v2(v, 0x21, 0x11, b.n);
	tcp4_start(&b);
	tlv(&b, PP_TLV_NOOP, NULL, 0);
	v2_close(&b);
	v = add_bld("v2-tlv-area-3", &b, 1);
	want_v2(v, 0x21, 0x11, b.n);

	/* overruns: the value, the TLV header, stray bytes */
	tcp4_start(&b);
	tlv(&b, PP_TLV_ALPN, "h2", 2);
	b.p[b.n - 3] = 3; /* claims 3, 2 are there */
	v2_close(&b);
	v = add_bld("v2-tlv-overrun-1", &b, 1);
	want_bad2(v, PP_ERR_V2_TLV_OVERRUN, 28);
	tcp4_start(&b);
	tlv(&b, PP_TLV_ALPN, "h2", 2);
	tlv(&b, PP_TLV_NOOP, "\0\0\0\0", 4);
	b.p[b.n - 5] = 5;
	v2_close(&b);
	v = add_bld("v2-tlv-overrun-second", &b, 1);
	want_bad2(v, PP_ERR_V2_TLV_OVERRUN, 33);
	tcp4_start(&b);
	tlv(&b, PP_TLV_NOOP, NULL, 0);
	tlv(&b, PP_TLV_NOOP, "\0\0\0\0", 4);
	b.p[b.n - 5] = 0xff;
	b.p[b.n - 6] = 0xff; /* 65535 */
	v2_close(&b);
	v = add_bld("v2-tlv-overrun-65535", &b, 1);
	want_bad2(v, PP_ERR_V2_TLV_OVERRUN, 31);
	tcp4_start(&b);
	tlv(&b, PP_TLV_ALPN, "h2", 2);
	put8(&b, PP_TLV_NOOP);
	v2_close(&b);
	v = add_bld("v2-tlv-stray-1", &b, 1);
	want_bad2(v, PP_ERR_V2_TLV_OVERRUN, 33);
	tcp4_start(&b);
	tlv(&b, PP_TLV_ALPN, "h2", 2);
	put16(&b, 0x0400);
	v2_close(&b);
	v = add_bld("v2-tlv-stray-2", &b, 1);
	want_bad2(v, PP_ERR_V2_TLV_OVERRUN, 33);

	/* CRC32C with a length other than 4 */
	for (k = 0; k <= 5; k += 1) {
		if (k == 4 || k == 1 || k == 2)
			continue;
		tcp4_start(&b);
		tlv(&b, PP_TLV_CRC32C, "\0\0\0\0\0", k);
		v2_close(&b);
		snprintf(name, sizeof(name), "v2-tlv-crc32c-len%d", k);
		v = add_bld(name, &b, 1);
		want_bad2(v, PP_ERR_V2_BAD_TLV, 28);
	}
	/* a bad CRC32C TLV after good ones */
	tcp4_start(&b);
	tlv(&b, PP_TLV_ALPN, "h2", 2);
	tlv(&b, PP_TLV_CRC32C, "\0\0\0", 3);
	v2_close(&b);
	v = add_bld("v2-tlv-crc32c-len3-second", &b, 1);
	want_bad2(v, PP_ERR_V2_BAD_TLV, 33);
	free(b.p);
}

static void gen_v2_families(void)
{
	struct bld b = {0};
	struct vec *v;

	/* PROXY over each family (the combos have them too, by number) */
	build_combo(&b, 0x21, 0x11);
	v = add_bld("v2-proxy-tcp4", &b, 1);
	want_v2(v, 0x21, 0x11, b.n);
	build_combo(&b, 0x21, 0x12);
	v = add_bld("v2-proxy-udp4", &b, 1);
	want_v2(v, 0x21, 0x12, b.n);
	build_combo(&b, 0x21, 0x21);
	v = add_bld("v2-proxy-tcp6", &b, 1);
	want_v2(v, 0x21, 0x21, b.n);
	build_combo(&b, 0x21, 0x22);
	v = add_bld("v2-proxy-udp6", &b, 1);
	want_v2(v, 0x21, 0x22, b.n);
	build_combo(&b, 0x21, 0x31);
	v = add_bld("v2-proxy-unix-stream", &b, 1);
	want_v2(v, 0x21, 0x31, b.n);
	build_combo(&b, 0x21, 0x32);
	v = add_bld("v2-proxy-unix-dgram", &b, 1);
	want_v2(v, 0x21, 0x32, b.n);
	build_combo(&b, 0x21, 0x00);
	v = add_bld("v2-proxy-unspec", &b, 1);
	want_v2(v, 0x21, 0x00, b.n);
	v2_start(&b, 0x21, 0x00);
	tlv(&b, PP_TLV_NOOP, "\0\0", 2);
	v2_close(&b);
	v = add_bld("v2-proxy-unspec-tlv", &b, 1);
	want_v2(v, 0x21, 0x00, b.n);

	/* LOCAL with and without addresses */
	build_combo(&b, 0x20, 0x00);
	v = add_bld("v2-local-unspec", &b, 1);
	want_v2(v, 0x20, 0x00, b.n);
	build_combo(&b, 0x20, 0x11);
	v = add_bld("v2-local-tcp4-addr", &b, 1);
	want_v2(v, 0x20, 0x11, b.n);
	v2_start(&b, 0x20, 0x11);
	v2_close(&b);
	v = add_bld("v2-local-tcp4-noaddr", &b, 1);
	want_v2(v, 0x20, 0x11, b.n);
	v2_start(&b, 0x20, 0x11);
	put(&b, t4_src, 4);
	put8(&b, 0);
	v2_close(&b);
	v = add_bld("v2-local-tcp4-short-addr", &b, 1);
	want_v2(v, 0x20, 0x11, b.n);
	build_combo(&b, 0x20, 0x21);
	v = add_bld("v2-local-tcp6-addr", &b, 1);
	want_v2(v, 0x20, 0x21, b.n);
	build_combo(&b, 0x20, 0x31);
	v = add_bld("v2-local-unix-addr", &b, 1);
	want_v2(v, 0x20, 0x31, b.n);
	v2_start(&b, 0x20, 0x00);
	tlv(&b, PP_TLV_CRC32C, "\0\0\0\0", 4);
	tlv(&b, PP_TLV_UNIQUE_ID, "hc-1", 4);
	v2_close(&b);
	crc_fill(&b, 19, b.n, 0);
	v = add_bld("v2-local-unspec-tlvs", &b, 1);
	want_v2(v, 0x20, 0x00, b.n);
	v->want.crc_off = 19;
	/* LOCAL: TLVs are still walked, an overrun is still invalid */
	v2_start(&b, 0x20, 0x00);
	tlv(&b, PP_TLV_NOOP, "\0", 1);
	b.p[b.n - 2] = 5;
	v2_close(&b);
	v = add_bld("v2-local-tlv-overrun", &b, 1);
	want_bad2(v, PP_ERR_V2_TLV_OVERRUN, 16);
	v2_start(&b, 0x20, 0x00);
	put16(&b, 0xabcd);
	v2_close(&b);
	v = add_bld("v2-local-2-stray-bytes", &b, 1);
	want_bad2(v, PP_ERR_V2_TLV_OVERRUN, 16);

	/* AWS NLB health check, as captured (kubernetes issue 57250):
	 * LOCAL, family 0x11, len 84 = CRC32C TLV + 74-byte NOOP TLV right
	 * after the fixed part. The parser reads LOCAL's bytes 16..27 as an
	 * (ignored) address block, so the TLV walk starts at 28 and meets 24
	 * zero-length type-0 TLVs: still a valid header. */
	v2_start(&b, 0x20, 0x11);
	tlv(&b, PP_TLV_CRC32C, "\0\0\0\0", 4);
	put8(&b, PP_TLV_NOOP);
	put16(&b, 74);
	pad(&b, 0, 74);
	v2_close(&b);
	crc_fill(&b, 19, b.n, 0);
	v = add_bld("v2-local-aws-nlb", &b, 1);
	want_v2(v, 0x20, 0x11, b.n);
	/* The same length with a (zero) address block, then the TLVs */
	v2_start(&b, 0x20, 0x11);
	pad(&b, 0, 12);
	tlv(&b, PP_TLV_CRC32C, "\0\0\0\0", 4);
	put8(&b, PP_TLV_NOOP);
	put16(&b, 62);
	pad(&b, 0, 62);
	v2_close(&b);
	crc_fill(&b, 31, b.n, 0);
	v = add_bld("v2-local-nlb-addr-tlvs", &b, 1);
	want_v2(v, 0x20, 0x11, b.n);
	v->want.crc_off = 31;

	/* length smaller than the address block */
	v2_start(&b, 0x21, 0x11);
	pad(&b, 0, 11);
	v2_close(&b);
	v = add_bld("v2-short-addr-tcp4", &b, 1);
	want_bad2(v, PP_ERR_V2_SHORT_ADDR, 14);
	v2_start(&b, 0x21, 0x11);
	v2_close(&b);
	v = add_bld("v2-short-addr-tcp4-len0", &b, 1);
	want_bad2(v, PP_ERR_V2_SHORT_ADDR, 14);
	v2_start(&b, 0x21, 0x21);
	pad(&b, 0, 35);
	v2_close(&b);
	v = add_bld("v2-short-addr-tcp6", &b, 1);
	want_bad2(v, PP_ERR_V2_SHORT_ADDR, 14);
	v2_start(&b, 0x21, 0x31);
	pad(&b, 0, 215);
	v2_close(&b);
	v = add_bld("v2-short-addr-unix", &b, 1);
	want_bad2(v, PP_ERR_V2_SHORT_ADDR, 14);
	free(b.p);
}

/* What follows a v2 header: stacked preambles and application bytes */
static void gen_v2_next(void)
{
	static const struct {
		const char *name;
		const char *tail;
		__u32 len;
		__u8 next, cls;
	} tails[] = {
		{"v2-then-v1", V1_TCP4, sizeof(V1_TCP4) - 1, PP_NEXT_STACKED,
		 PP_CLASS_PROXY},
		{"v2-then-v2", V2_TCP4, sizeof(V2_TCP4) - 1, PP_NEXT_STACKED,
		 PP_CLASS_PROXY},
		{"v2-then-v2-sig-only", V2_SIG, 12, PP_NEXT_STACKED,
		 PP_CLASS_PROXY},
		{"v2-then-partial-sig", "\r\n\r\n\x00", 5, PP_NEXT_PARTIAL,
		 PP_CLASS_NONE},
		{"v2-then-partial-sig-11", "\r\n\r\n\x00\r\nQUIT", 11,
		 PP_NEXT_PARTIAL, PP_CLASS_NONE},
		{"v2-then-partial-proxy", "PROX", 4, PP_NEXT_PARTIAL,
		 PP_CLASS_NONE},
		{"v2-then-tls", TLS_CH, sizeof(TLS_CH) - 1, PP_NEXT_DATA,
		 PP_CLASS_TLS},
		{"v2-then-http", HTTP_GET, sizeof(HTTP_GET) - 1, PP_NEXT_DATA,
		 PP_CLASS_HTTP},
		{"v2-then-h2-preface", H2_PREFACE, sizeof(H2_PREFACE) - 1,
		 PP_NEXT_DATA, PP_CLASS_HTTP},
		{"v2-then-ssh", SSH_BANNER, sizeof(SSH_BANNER) - 1,
		 PP_NEXT_DATA, PP_CLASS_OTHER},
		{"v2-then-nul", "\x00", 1, PP_NEXT_DATA, PP_CLASS_OTHER},
	};
	struct bld b = {0};
	struct vec *v;
	size_t i;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		build_combo(&b, 0x21, 0x11);
		put(&b, tails[i].tail, tails[i].len);
		v = add_bld(tails[i].name, &b, 1);
		want_v2(v, 0x21, 0x11, 28);
		v->want.next = tails[i].next;
		v->want.next_class = tails[i].cls;
	}
	/* a LOCAL health check with a stacked header behind it */
	build_combo(&b, 0x20, 0x00);
	put(&b, V2_TCP4, sizeof(V2_TCP4) - 1);
	v = add_bld("v2-local-then-v2", &b, 1);
	want_v2(v, 0x20, 0x00, 16);
	v->want.next = PP_NEXT_STACKED;
	v->want.next_class = PP_CLASS_PROXY;
	free(b.p);
}

/* Big and truncated TLV areas: the length field at its maximum */
static void gen_v2_big(void)
{
	struct bld b = {0};
	struct vec *v;
	__u32 crc_at = 0, rest;
	int k;

	/* PROXY TCP4, len 65535: every TLV kind, then NOOP to the end */
	tcp4_start(&b);
	for (k = 0; k < N_TLV_KINDS; k++) {
		if (k == 2)
			crc_at = b.n + 3;
		tlv_of(&b, k);
	}
	rest = PP_V2_HDR_LEN + 65535 - b.n;
	put8(&b, PP_TLV_NOOP);
	put16(&b, rest - 3);
	pad(&b, 0, rest - 3);
	v2_close(&b);
	crc_fill(&b, crc_at, b.n, 0);
	v = add_bld("v2-big-65535-tlvs", &b, 1);
	want_v2(v, 0x21, 0x11, 65551);
	v->want.crc_off = crc_at;

	/* the same, and a v1 header right after it: stacked */
	puts_(&b, SPEC_UNK_MAX);
	v = add_bld("v2-big-65535-then-v1-107", &b, 1);
	want_v2(v, 0x21, 0x11, 65551);
	v->want.crc_off = crc_at;
	v->want.next = PP_NEXT_STACKED;
	v->want.next_class = PP_CLASS_PROXY;

	/* the first 128 bytes (the BPF window): more needed, or with
	 * PP_PF_TRUNC_OK a truncated header with what could be walked */
	b.n = 128;
	v = add_bld("v2-big-first-128", &b, 1);
	v->want = (struct pp_hdr){W_MORE(PP_VER_2, 65551 - 128),
				  .hdr_len = 65551};
	v = add_bld("v2-big-first-128-truncok", &b, 0);
	v->flags = PP_PF_TRUNC_OK;
	want_v2(v, 0x21, 0x11, 65551);
	v->want.truncated = 1;
	v->want.crc_off = crc_at;
	b.n = 16;
	v = add_bld("v2-big-first-16-truncok", &b, 0);
	v->flags = PP_PF_TRUNC_OK;
	v->want = (struct pp_hdr){W_MORE(PP_VER_2, 12), .hdr_len = 65551};
	b.n = 28;
	v = add_bld("v2-big-first-28-truncok", &b, 0);
	v->flags = PP_PF_TRUNC_OK;
	want_v2(v, 0x21, 0x11, 65551);
	v->want.truncated = 1;

	/* LOCAL UNSPEC, len 65535: 21845 empty TLVs, the most there can be */
	v2_start(&b, 0x20, 0x00);
	for (k = 0; k < 21845; k++)
		tlv(&b, PP_TLV_NOOP, NULL, 0);
	v2_close(&b);
	v = add_bld("v2-big-21845-empty-tlvs", &b, 1);
	want_v2(v, 0x20, 0x00, 65551);
	b.n = 100;
	v = add_bld("v2-big-empty-tlvs-first-100-truncok", &b, 0);
	v->flags = PP_PF_TRUNC_OK;
	want_v2(v, 0x20, 0x00, 65551);
	v->want.truncated = 1;

	/* len 65535 whose last TLV runs one byte past the end */
	tcp4_start(&b);
	put8(&b, PP_TLV_NOOP);
	put16(&b, 65535 - 12 - 3 + 1);
	pad(&b, 0, 65535 - 12 - 3);
	v2_close(&b);
	v = add_bld("v2-big-overrun-1", &b, 1);
	want_bad2(v, PP_ERR_V2_TLV_OVERRUN, 28);

	/* a 1 KiB one: a client certificate's worth of SSL sub-TLV */
	tcp4_start(&b);
	put8(&b, PP_TLV_SSL);
	put16(&b, 5 + 3 + 1000);
	put8(&b, 0x03);
	put(&b, "\0\0\0\0", 4);
	put8(&b, 0x28);
	put16(&b, 1000);
	pad(&b, 0x5a, 1000);
	v2_close(&b);
	v = add_bld("v2-ssl-client-cert-1k", &b, 1);
	want_v2(v, 0x21, 0x11, b.n);
	free(b.p);
}

/* Inputs the fuzzer found (tests/fuzz/fuzz_parse.c), minimised. The
 * three v1 ones failed before the fix in pp_parse.h. */
static void gen_regressions(void)
{
	struct bld b = {0};
	struct vec *v;

	/* a 108-byte UNKNOWN line with more bytes after it was accepted */
	unknown_padded(&b, 108, 1);
	puts_(&b, "x");
	v = add_bld("regress-v1-unknown-108-plus-1", &b, 1);
	v->want = (struct pp_hdr){W_BAD1(PP_ERR_V1_NO_CRLF, 106)};
	/* a line split between CR and LF was refused */
	add_str("regress-v1-split-cr-lf", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r",
		1);
	vecs[nvecs - 1].want = (struct pp_hdr){W_MORE(PP_VER_1, 1)};
	/* "PROXY UNKNOW", 12 bytes, was refused as a bad TCP6 address */
	add_str("regress-v1-unknow-12", "PROXY UNKNOW", 1);
	vecs[nvecs - 1].want = (struct pp_hdr){W_MORE(PP_VER_1, 1)};
	free(b.p);
}

static void gen_all(void)
{
	size_t i;

	for (i = 0; i < sizeof(strvecs) / sizeof(strvecs[0]); i++) {
		const struct strvec *s = &strvecs[i];
		struct vec *v;
		__u8 *buf = malloc(s->pre_len + s->tail_len + 1);

		if (!buf) {
			fprintf(stderr, "test_parse: out of memory\n");
			exit(1);
		}
		memcpy(buf, s->pre, s->pre_len);
		if (s->tail_len)
			memcpy(buf + s->pre_len, s->tail, s->tail_len);
		v = vec_add(s->name, buf, s->pre_len + s->tail_len, 1);
		v->want = s->want;
		if (v->want.result == PP_RES_HEADER)
			v->want.hdr_len = s->pre_len;
		free(buf);
	}
	gen_v1_bounds();
	gen_v1_forms();
	gen_v2_combos();
	gen_v2_families();
	gen_v2_tlvs();
	gen_v2_next();
	gen_v2_big();
	gen_regressions();
}

/* ---- properties over all vectors ---- */

/* Every strict prefix of a complete header needs more bytes: 1 with none,
 * up to "PROXY" for v1 then 1, 16 - n for the v2 fixed part, then exactly
 * hdr_len - n. Big headers: the first and last 300 prefixes and a sample. */
static void test_prefixes(void **state)
{
	size_t i;
	char name[96];

	(void)state;
	for (i = 0; i < nvecs; i++) {
		const struct vec *v = &vecs[i];
		__u32 n, h = v->want.hdr_len;

		if (v->want.result != PP_RES_HEADER || v->want.truncated ||
		    v->flags)
			continue;
		for (n = 0; n < h; n++) {
			struct pp_hdr got;
			__u32 need;

			if (n > 300 && n + 300 < h && n % 997)
				continue;
			parse(v->data, n, 0, &got);
			snprintf(name, sizeof(name), "%s[0..%u)", v->name, n);
			if (got.result != PP_RES_NEED_MORE)
				fail_msg("%s: result %s (error %s at %u), "
					 "want need_more",
					 name, res_name(got.result),
					 err_name(got.error), got.err_off);
			if (!n)
				need = 1;
			else if (v->want.version == PP_VER_1)
				need = n < PP_V1_SIG_LEN ? PP_V1_SIG_LEN - n
							 : 1;
			else
				need = n < PP_V2_HDR_LEN ? PP_V2_HDR_LEN - n
							 : h - n;
			if (got.need != need)
				fail_msg("%s: need %u, want %u", name, got.need,
					 need);
		}
	}
}

/* A header parses the same from exactly its own bytes (nothing follows),
 * and the same with application bytes after it. */
static void test_reparse(void **state)
{
	size_t i;
	char name[96];

	(void)state;
	for (i = 0; i < nvecs; i++) {
		const struct vec *v = &vecs[i];
		struct pp_hdr want = v->want, got;
		__u8 *buf;

		if (v->want.result != PP_RES_HEADER || v->want.truncated)
			continue;
		want.next = PP_NEXT_NONE;
		want.next_class = PP_CLASS_NONE;
		snprintf(name, sizeof(name), "%s[0..hdr_len)", v->name);
		parse(v->data, want.hdr_len, v->flags, &got);
		check_hdr(name, &got, &want);

		buf = malloc(want.hdr_len + sizeof(HTTP_GET));
		assert_non_null(buf);
		memcpy(buf, v->data, want.hdr_len);
		memcpy(buf + want.hdr_len, HTTP_GET, sizeof(HTTP_GET) - 1);
		want.next = PP_NEXT_DATA;
		want.next_class = PP_CLASS_HTTP;
		snprintf(name, sizeof(name), "%s+http", v->name);
		parse(buf, want.hdr_len + sizeof(HTTP_GET) - 1, v->flags, &got);
		check_hdr(name, &got, &want);
		free(buf);
	}
}

/* PP_PF_TRUNC_OK changes nothing unless a v2 header is cut short */
static void test_trunc_flag(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < nvecs; i++) {
		const struct vec *v = &vecs[i];
		struct pp_hdr a, b;

		if (v->flags)
			continue;
		parse(v->data, v->len, 0, &a);
		parse(v->data, v->len, PP_PF_TRUNC_OK, &b);
		if (a.result == PP_RES_NEED_MORE && a.version == PP_VER_2)
			continue;
		if (memcmp(&a, &b, sizeof(a)))
			fail_msg("%s: PP_PF_TRUNC_OK changed the result",
				 v->name);
	}
}

/* Each enum pp_error value comes out of some vector (BAD_CRC is the
 * userspace CRC check's, not the parser's) */
static void test_error_coverage(void **state)
{
	int seen[PP_ERR_MAX] = {0}, e;
	size_t i;

	(void)state;
	for (i = 0; i < nvecs; i++) {
		struct pp_hdr got;

		if (parse(vecs[i].data, vecs[i].len, vecs[i].flags, &got) ==
		    PP_RES_INVALID)
			seen[got.error]++;
	}
	for (e = 1; e < PP_ERR_MAX; e++) {
		if (e == PP_ERR_V2_BAD_CRC)
			continue;
		if (!seen[e])
			fail_msg("no vector gives error %s", err_name(e));
	}
}

/* The parser and glibc agree on every address form in the tables */
static void test_addr_oracle(void **state)
{
	__u8 a[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ip6_cases) / sizeof(ip6_cases[0]); i++) {
		int ok = inet_pton(AF_INET6, ip6_cases[i].text, a) == 1;

		if (ok != ip6_cases[i].valid)
			fail_msg("ip6 %s: inet_pton says %s", ip6_cases[i].text,
				 ok ? "valid" : "invalid");
		if (ok && memcmp(a, ip6_cases[i].bytes, 16))
			fail_msg("ip6 %s: table bytes differ from inet_pton",
				 ip6_cases[i].text);
	}
	for (i = 0; i < sizeof(ip4_cases) / sizeof(ip4_cases[0]); i++) {
		int ok = inet_pton(AF_INET, ip4_cases[i].text, a) == 1;

		if (ok != ip4_cases[i].valid)
			fail_msg("ip4 %s: inet_pton says %s", ip4_cases[i].text,
				 ok ? "valid" : "invalid");
		if (ok && memcmp(a, ip4_cases[i].bytes, 4))
			fail_msg("ip4 %s: table bytes differ from inet_pton",
				 ip4_cases[i].text);
	}
}

/* Buffers longer than the parser's view are cut, never over-read */
static void test_len_above_cap(void **state)
{
	__u32 n = PP_BUF_CAP + 4096;
	__u8 *buf = calloc(1, n);
	struct pp_hdr got;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, V1_TCP4, sizeof(V1_TCP4) - 1);
	assert_int_equal(parse(buf, n, 0, &got), PP_RES_HEADER);
	assert_int_equal(got.hdr_len, sizeof(V1_TCP4) - 1);
	assert_int_equal(got.next_class, PP_CLASS_OTHER);
	free(buf);
}

/* tests/corpus/NAME.bin holds exactly the bytes of vector NAME, and every
 * corpus vector has its file */
static const char *corpus_dir(void)
{
	static char dir[4096];
	const char *root = getenv("PPG_ROOT");

	snprintf(dir, sizeof(dir), "%s/tests/corpus", root ? root : ".");
	return dir;
}

static void test_corpus(void **state)
{
	const char *dir = corpus_dir();
	DIR *d = opendir(dir);
	struct dirent *de;
	int *found = calloc(nvecs + 1, sizeof(int));
	size_t i, files = 0;

	(void)state;
	for (i = 0; i < nvecs; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			if (!strcmp(vecs[i].name, vecs[j].name))
				fail_msg("two vectors named %s", vecs[i].name);
	}
	if (!d)
		fail_msg("cannot open %s: %s", dir, strerror(errno));
	assert_non_null(found);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char path[4400], name[256];
		__u8 *buf;
		FILE *f;
		long n;

		if (l < 5 || strcmp(de->d_name + l - 4, ".bin"))
			continue;
		files++;
		snprintf(name, sizeof(name), "%.*s", (int)(l - 4), de->d_name);
		for (i = 0; i < nvecs; i++)
			if (vecs[i].corpus && !strcmp(vecs[i].name, name))
				break;
		if (i == nvecs)
			fail_msg("%s/%s: no such vector in test_parse.c", dir,
				 de->d_name);
		found[i] = 1;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f) {
			fail_msg("cannot open %s: %s", path, strerror(errno));
			break;
		}
		fseek(f, 0, SEEK_END);
		n = ftell(f);
		rewind(f);
		buf = malloc(n ? n : 1);
		assert_non_null(buf);
		if (n && fread(buf, 1, n, f) != (size_t)n)
			fail_msg("cannot read %s", path);
		fclose(f);
		if ((__u32)n != vecs[i].len ||
		    memcmp(buf, vecs[i].data, vecs[i].len))
			fail_msg("%s: bytes differ from vector %s (%ld vs %u "
				 "bytes)",
				 path, name, n, vecs[i].len);
		free(buf);
	}
	closedir(d);
	for (i = 0; i < nvecs; i++)
		if (vecs[i].corpus && !found[i])
			fail_msg("vector %s has no %s/%s.bin", vecs[i].name,
				 dir, vecs[i].name);
	free(found);
	if (!files)
		fail_msg("%s: no .bin file", dir);
}

/* TSV of the corpus vectors' expectations, for other replays */
static void manifest(void)
{
	size_t i;
	int k;

	printf("# name\tresult\terror\tversion\tcommand\tfamily\ttransport\t"
	       "hdr_len\tneed\tnext\tnext_class\tsrc\tdst\tsrc_port\t"
	       "dst_port\n");
	for (i = 0; i < nvecs; i++) {
		const struct pp_hdr *w = &vecs[i].want;
		char src[64], dst[64];

		if (!vecs[i].corpus)
			continue;
		if (w->result == PP_RES_HEADER && w->family == PP_FAM_INET) {
			inet_ntop(AF_INET, w->src_addr, src, sizeof(src));
			inet_ntop(AF_INET, w->dst_addr, dst, sizeof(dst));
		} else if (w->result == PP_RES_HEADER &&
			   w->family == PP_FAM_INET6) {
			inet_ntop(AF_INET6, w->src_addr, src, sizeof(src));
			inet_ntop(AF_INET6, w->dst_addr, dst, sizeof(dst));
		} else {
			strcpy(src, "-");
			strcpy(dst, "-");
		}
		printf("%s\t%s\t%s\t", vecs[i].name, res_name(w->result),
		       err_name(w->error));
		for (k = 0; k < 4; k++)
			printf("%u\t", k == 0	? w->version
				       : k == 1 ? w->command
				       : k == 2 ? w->family
						: w->transport);
		printf("%u\t%u\t%u\t%u\t%s\t%s\t%u\t%u\n", w->hdr_len, w->need,
		       w->next, w->next_class, src, dst, w->src_port,
		       w->dst_port);
	}
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		CMUnitTestFunction f;
	} props[] = {
		{"every prefix of a header needs more, exactly", test_prefixes},
		{"a header parses the same alone and with data after it",
		 test_reparse},
		{"PP_PF_TRUNC_OK changes nothing for complete input",
		 test_trunc_flag},
		{"every enum pp_error value is reached", test_error_coverage},
		{"address tables agree with inet_pton", test_addr_oracle},
		{"every version/command x family/transport byte",
		 test_v2_all_bytes},
		{"input longer than PP_BUF_CAP", test_len_above_cap},
		{"tests/corpus matches the vectors byte for byte", test_corpus},
	};
	struct CMUnitTest *tests;
	size_t i, n = 0, np = sizeof(props) / sizeof(props[0]);
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	gen_all();
	if (argc > 1 && !strcmp(argv[1], "--manifest")) {
		manifest();
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: %s [--manifest]\n", argv[0]);
		return 64;
	}
	tests = calloc(nvecs + np, sizeof(*tests));
	if (!tests) {
		fprintf(stderr, "test_parse: out of memory\n");
		return 1;
	}
	for (i = 0; i < nvecs; i++) {
		tests[n].name = vecs[i].name;
		tests[n].test_func = test_vec;
		tests[n].initial_state = &vecs[i];
		n++;
	}
	for (i = 0; i < np; i++) {
		tests[n].name = props[i].name;
		tests[n].test_func = props[i].f;
		n++;
	}
	r = _cmocka_run_group_tests("pp_parse", tests, n, NULL, NULL);
	free(tests);
	return r ? 1 : 0;
}
