// SPDX-License-Identifier: GPL-2.0
/*
 * Differential test: the PROXY parser (include/pp_parse.h) compiled as BPF
 * (tests/bpf/parse_test.bpf.c, programs parse_xdp and parse_tc, run with
 * BPF_PROG_TEST_RUN) must give byte-for-byte the same struct pp_hdr as the
 * host build, on every vector: built-in ones, the files of tests/corpus and
 * tests/fuzz/corpus, every prefix of those, and seeded random mutations.
 *
 * Prints TAP: one line per program load (with the verifier's count of
 * processed instructions as a comment), one line per (program, vector set),
 * one line per class of mismatch with a hex dump of its first input.
 *
 * Usage: test_parse_bpf [-n MUTATIONS] [-s SEED] [-r ROOT] [-v]
 * Environment: PPG_BPF_MUTATIONS, PPG_BPF_SEED, PPG_ROOT (repository root,
 * where tests/corpus is looked up; default "."), PPG_BPF_VERBOSE=1.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "pp_parse.h"
#include "parse_test.skel.h"

#define MAX_VEC_LEN 1024 /* bytes kept per vector; only 128 are parsed */
#define ETH_LEN 14
#define MAX_CLASSES 64
#define LOG_TAIL_LINES 40

/* ---- vectors ---- */

struct vec {
	char *name;
	__u8 *data;
	size_t len;
};

struct vset {
	const char *name;
	struct vec *v;
	size_t n, cap;
	int absent; /* a directory that does not exist (yet) */
};

enum { SET_BUILTIN, SET_CORPUS, SET_FUZZ, SET_PREFIX, SET_MUT, SET_MAX };

static struct vset sets[SET_MAX] = {
	[SET_BUILTIN] = {.name = "built-in vectors"},
	[SET_CORPUS] = {.name = "tests/corpus"},
	[SET_FUZZ] = {.name = "tests/fuzz/corpus"},
	[SET_PREFIX] = {.name = "every prefix of those"},
	[SET_MUT] = {.name = "random mutations"},
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "test_parse_bpf: out of memory\n");
		exit(EXIT_FAILURE);
	}
	return p;
}

static void vset_add(struct vset *s, const char *name, const void *data,
		     size_t len)
{
	struct vec *v;

	if (len > MAX_VEC_LEN)
		len = MAX_VEC_LEN;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v) {
			fprintf(stderr, "test_parse_bpf: out of memory\n");
			exit(EXIT_FAILURE);
		}
	}
	v = &s->v[s->n++];
	v->name = strdup(name);
	v->data = xmalloc(len);
	memcpy(v->data, data, len);
	v->len = len;
}

static void add_str(const char *name, const char *s)
{
	vset_add(&sets[SET_BUILTIN], name, s, strlen(s));
}

/* v2 header builder: signature, ver/cmd, fam/trans, length, body */
static size_t v2_build(__u8 *out, __u8 vc, __u8 ft, const __u8 *body,
		       size_t blen, __u32 len_field)
{
	static const __u8 sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				     0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

	memcpy(out, sig, 12);
	out[12] = vc;
	out[13] = ft;
	out[14] = len_field >> 8;
	out[15] = len_field & 0xff;
	if (blen)
		memcpy(out + 16, body, blen);
	return 16 + blen;
}

static void add_v2(const char *name, __u8 vc, __u8 ft, const __u8 *body,
		   size_t blen, const void *after, size_t alen)
{
	__u8 b[MAX_VEC_LEN];
	size_t n = v2_build(b, vc, ft, body, blen, blen);

	if (after && n + alen <= sizeof(b)) {
		memcpy(b + n, after, alen);
		n += alen;
	}
	vset_add(&sets[SET_BUILTIN], name, b, n);
}

/* A v2 header whose length field says len_field, whatever the body is */
static void add_v2_len(const char *name, __u8 vc, __u8 ft, const __u8 *body,
		       size_t blen, __u32 len_field)
{
	__u8 b[MAX_VEC_LEN];
	size_t n = v2_build(b, vc, ft, body, blen, len_field);

	vset_add(&sets[SET_BUILTIN], name, b, n);
}

static const __u8 tls_hello[] = {0x16, 0x03, 0x01, 0x00, 0xa5, 0x01,
				 0x00, 0x00, 0xa1, 0x03, 0x03};
static const char http_get[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
static const char v1_ok4[] =
	"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";

static void builtin_v1(void)
{
	char b[MAX_VEC_LEN];
	int i;

	add_str("v1 tcp4", v1_ok4);
	add_str("v1 tcp6", "PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n");
	add_str("v1 tcp6 longest",
		"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n");
	add_str("v1 tcp6 :: and v4", "PROXY TCP6 ::1 ::ffff:192.0.2.1 0 0\r\n");
	add_str("v1 tcp6 full/::", "PROXY TCP6 1:2:3:4:5:6:7:8 :: 1 2\r\n");
	add_str("v1 tcp6 6+v4", "PROXY TCP6 1:2:3:4:5:6:1.2.3.4 1:: 1 2\r\n");
	add_str("v1 tcp6 ::v4", "PROXY TCP6 ::1.2.3.4 1::8 1 2\r\n");
	add_str("v1 tcp6 upper hex",
		"PROXY TCP6 FE80::ABCD:0:0:1 fe80::1:2 443 8443\r\n");
	add_str("v1 tcp6 45 chars",
		"PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
		"::1 1 2\r\n");
	add_str("v1 unknown short", "PROXY UNKNOWN\r\n");
	add_str("v1 unknown long",
		"PROXY UNKNOWN ffff:f::1 ffff:f::2 65535 65535\r\n");
	add_str("v1 unknown junk", "PROXY UNKNOWN x\r\n");
	add_str("v1 unknown bad", "PROXY UNKNOWNX\r\n");
	add_str("v1 tcp4 + http", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"
				  "GET / HTTP/1.1\r\n");
	add_str("v1 tcp4 + h2", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"
				"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	add_str("v1 tcp4 + stacked v1", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"
					"PROXY TCP4 9.9.9.9 8.8.8.8 3 4\r\n");
	add_str("v1 tcp4 + partial", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nPRO");
	add_str("v1 tcp4 + other", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nSSH-2");
	snprintf(b, sizeof(b), "%s", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	i = strlen(b);
	memcpy(b + i, tls_hello, sizeof(tls_hello));
	vset_add(&sets[SET_BUILTIN], "v1 tcp4 + tls", b, i + sizeof(tls_hello));
	add_str("v1 0.0.0.0 port 0", "PROXY TCP4 0.0.0.0 255.255.255.255 0 "
				     "65535\r\n");
	/* errors */
	add_str("v1 lf only", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n");
	add_str("v1 cr only", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX");
	add_str("v1 cr at end", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r");
	add_str("v1 bad sig", "PROXYX TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	add_str("v1 double space", "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n");
	add_str("v1 tcp5", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n");
	add_str("v1 tcp", "PROXY TCP\r\n");
	add_str("v1 leading zero quad", "PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n");
	add_str("v1 256", "PROXY TCP4 256.1.1.1 5.6.7.8 1 2\r\n");
	add_str("v1 3 parts", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n");
	add_str("v1 5 parts", "PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n");
	add_str("v1 port 65536", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n");
	add_str("v1 port 01", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n");
	add_str("v1 port 6 digits", "PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n");
	add_str("v1 trailing", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n");
	add_str("v1 trailing space", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n");
	add_str("v1 missing port", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n");
	add_str("v1 tcp4 with v6", "PROXY TCP4 ::1 ::1 1 2\r\n");
	add_str("v1 tcp6 with v4", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n");
	add_str("v1 v6 :::", "PROXY TCP6 1:::2 ::1 1 2\r\n");
	add_str("v1 v6 two ::", "PROXY TCP6 1::2::3 ::1 1 2\r\n");
	add_str("v1 v6 5 hex", "PROXY TCP6 12345:: ::1 1 2\r\n");
	add_str("v1 v6 :1::", "PROXY TCP6 :1:: ::1 1 2\r\n");
	add_str("v1 v6 9 groups", "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n");
	add_str("v1 v6 8 groups + ::",
		"PROXY TCP6 1:2:3:4::5:6:7:8 ::1 1 2\r\n");
	add_str("v1 v6 7 groups", "PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n");
	add_str("v1 v6 trailing :", "PROXY TCP6 1:2:3:4:5:6:7: ::1 1 2\r\n");
	add_str("v1 v6 v4 too late",
		"PROXY TCP6 1:2:3:4:5:6:7:1.2.3.4 ::1 1 2\r\n");
	add_str("v1 v6 g", "PROXY TCP6 ::g ::1 1 2\r\n");
	add_str("v1 partial tcp4", "PROXY TCP4 1.2.3.4 5.6");
	add_str("v1 partial bad", "PROXY TCP4 1.2.3.4 x");
	add_str("v1 partial tcp6 bad", "PROXY TCP6 ::1 g");
	/* line length boundaries: CRLF ending at 106, 107, 108 bytes */
	for (i = 105; i <= 109; i++) {
		char name[32];
		int n;

		n = snprintf(b, sizeof(b), "PROXY UNKNOWN ");
		while (n < i - 2)
			b[n++] = 'a';
		b[n++] = '\r';
		b[n++] = '\n';
		snprintf(name, sizeof(name), "v1 unknown len %d", i);
		vset_add(&sets[SET_BUILTIN], name, b, n);
		/* the same without the CRLF, and longer than the buffer */
		memset(b + n - 2, 'a', 200);
		snprintf(name, sizeof(name), "v1 no crlf %d", i + 198);
		vset_add(&sets[SET_BUILTIN], name, b, n + 198);
	}
	memcpy(b, "PROXY TCP4 ", 11);
	memset(b + 11, '1', 150);
	vset_add(&sets[SET_BUILTIN], "v1 161 digits", b, 161);
}

static void builtin_v2(void)
{
	__u8 body[MAX_VEC_LEN], sb[MAX_VEC_LEN];
	size_t n = 0, m;
	int i;

	/* INET: src 192.0.2.1, dst 198.51.100.2, ports 1234 443 */
	static const __u8 a4[12] = {192, 0, 2,	  1,	198,  51,
				    100, 2, 0x04, 0xd2, 0x01, 0xbb};
	__u8 a6[36];

	for (i = 0; i < 32; i++)
		a6[i] = i * 7 + 1;
	a6[32] = 0xff;
	a6[33] = 0xff;
	a6[34] = 0;
	a6[35] = 0;

	add_v2("v2 tcp4", 0x21, 0x11, a4, 12, NULL, 0);
	add_v2("v2 udp4", 0x21, 0x12, a4, 12, NULL, 0);
	add_v2("v2 tcp6", 0x21, 0x21, a6, 36, NULL, 0);
	add_v2("v2 udp6", 0x21, 0x22, a6, 36, NULL, 0);
	memset(body, 'u', 216);
	add_v2("v2 unix stream", 0x21, 0x31, body, 216, NULL, 0);
	add_v2("v2 unix dgram", 0x21, 0x32, body, 216, NULL, 0);
	add_v2("v2 local empty", 0x20, 0x00, NULL, 0, NULL, 0);
	add_v2("v2 local tcp4", 0x20, 0x11, a4, 12, NULL, 0);
	add_v2("v2 local short", 0x20, 0x11, a4, 4, NULL, 0);
	add_v2("v2 local unspec stream", 0x20, 0x01, NULL, 0, NULL, 0);
	add_v2("v2 proxy unspec", 0x21, 0x00, NULL, 0, NULL, 0);
	add_v2("v2 proxy unspec + body", 0x21, 0x00, a4, 12, NULL, 0);
	add_v2("v2 tcp4 + http", 0x21, 0x11, a4, 12, http_get,
	       strlen(http_get));
	add_v2("v2 tcp4 + tls", 0x21, 0x11, a4, 12, tls_hello,
	       sizeof(tls_hello));
	add_v2("v2 tcp4 + v1", 0x21, 0x11, a4, 12, v1_ok4, strlen(v1_ok4));
	m = v2_build(sb, 0x21, 0x11, a4, 12, 12);
	add_v2("v2 tcp4 + v2", 0x21, 0x11, a4, 12, sb, m);
	add_v2("v2 tcp4 + sig part", 0x21, 0x11, a4, 12, sb, 7);
	/* errors */
	add_v2("v2 version 1", 0x11, 0x11, a4, 12, NULL, 0);
	add_v2("v2 version 3", 0x31, 0x11, a4, 12, NULL, 0);
	add_v2("v2 command 2", 0x22, 0x11, a4, 12, NULL, 0);
	add_v2("v2 command f", 0x2f, 0x11, a4, 12, NULL, 0);
	add_v2("v2 family 4", 0x21, 0x41, a4, 12, NULL, 0);
	add_v2("v2 transport 3", 0x21, 0x13, a4, 12, NULL, 0);
	add_v2("v2 inet unspec", 0x21, 0x10, a4, 12, NULL, 0);
	add_v2("v2 unspec stream", 0x21, 0x01, a4, 12, NULL, 0);
	add_v2("v2 inet short", 0x21, 0x11, a4, 8, NULL, 0);
	add_v2("v2 inet6 short", 0x21, 0x21, a6, 20, NULL, 0);
	add_v2("v2 unix short", 0x21, 0x31, body, 100, NULL, 0);
	/* TLVs after the INET block */
	memcpy(body, a4, 12);
	n = 12;
	body[n++] = PP_TLV_ALPN, body[n++] = 0, body[n++] = 2;
	body[n++] = 'h', body[n++] = '2';
	body[n++] = PP_TLV_AUTHORITY, body[n++] = 0, body[n++] = 3;
	body[n++] = 'a', body[n++] = '.', body[n++] = 'b';
	body[n++] = PP_TLV_NOOP, body[n++] = 0, body[n++] = 0;
	body[n++] = PP_TLV_UNIQUE_ID, body[n++] = 0, body[n++] = 4;
	body[n++] = 1, body[n++] = 2, body[n++] = 3, body[n++] = 4;
	body[n++] = PP_TLV_SSL, body[n++] = 0, body[n++] = 8;
	body[n++] = 1, body[n++] = 0, body[n++] = 0, body[n++] = 0,
	body[n++] = 0;
	body[n++] = 0x21, body[n++] = 0, body[n++] = 0; /* SSL_VERSION, 0 */
	body[n++] = PP_TLV_CRC32C, body[n++] = 0, body[n++] = 4;
	body[n++] = 0xde, body[n++] = 0xad, body[n++] = 0xbe, body[n++] = 0xef;
	add_v2("v2 tlvs", 0x21, 0x11, body, n, NULL, 0);
	add_v2("v2 tlvs + http", 0x21, 0x11, body, n, http_get,
	       strlen(http_get));
	/* CRC32C with a wrong length */
	body[n - 5] = 3;
	add_v2("v2 crc len 3", 0x21, 0x11, body, n - 1, NULL, 0);
	/* TLV overrun: length says 10, 2 bytes follow */
	memcpy(body, a4, 12);
	body[12] = PP_TLV_NOOP, body[13] = 0, body[14] = 10;
	body[15] = 0, body[16] = 0;
	add_v2("v2 tlv overrun", 0x21, 0x11, body, 17, NULL, 0);
	/* TLV area of 2 bytes: not even a TLV header */
	add_v2("v2 tlv 2 bytes", 0x21, 0x11, body, 14, NULL, 0);
	/* 37 empty NOOP TLVs fill 16 + 12 + 111 */
	for (i = 0, n = 12; i < 37; i++) {
		body[n++] = PP_TLV_NOOP;
		body[n++] = 0;
		body[n++] = 0;
	}
	add_v2("v2 37 tlvs", 0x21, 0x11, body, n, NULL, 0);
	add_v2("v2 37 tlvs + more", 0x21, 0x11, body, n, http_get, 5);
	for (; i < 90; i++) {
		body[n++] = PP_TLV_NOOP;
		body[n++] = 0;
		body[n++] = 0;
	}
	add_v2("v2 90 tlvs", 0x21, 0x11, body, n, NULL, 0);
	/* one big NOOP: header longer than the 128-byte prefix */
	memcpy(body, a4, 12);
	body[12] = PP_TLV_NOOP, body[13] = 0, body[14] = 200;
	memset(body + 15, 0xaa, 200);
	add_v2("v2 big noop", 0x21, 0x11, body, 215, NULL, 0);
	/* CRC32C TLV beyond the prefix */
	body[14] = 110;
	body[15 + 110] = PP_TLV_CRC32C, body[16 + 110] = 0;
	body[17 + 110] = 4;
	add_v2("v2 crc beyond prefix", 0x21, 0x11, body, 15 + 110 + 7, NULL, 0);
	/* a TLV header straddling byte 128, and one starting there */
	for (i = 95; i <= 97; i++) {
		char name[32];

		body[14] = i;
		body[15 + i] = PP_TLV_CRC32C;
		body[16 + i] = 0;
		body[17 + i] = 4;
		snprintf(name, sizeof(name), "v2 tlv at %d", 16 + 15 + i);
		add_v2(name, 0x21, 0x11, body, 15 + i + 7, NULL, 0);
	}
	/* length field larger than the data */
	add_v2_len("v2 len 65535", 0x21, 0x11, a4, 12, 65535);
	add_v2_len("v2 len 100 data 12", 0x21, 0x11, a4, 12, 100);
	add_v2_len("v2 local len 65535", 0x20, 0x00, NULL, 0, 65535);
	add_v2_len("v2 tcp6 len 200", 0x21, 0x21, a6, 36, 200);
	/* signature alone, and with a bad 13th byte */
	m = v2_build(sb, 0x21, 0x11, NULL, 0, 0);
	vset_add(&sets[SET_BUILTIN], "v2 tcp4 len 0", sb, m);
	vset_add(&sets[SET_BUILTIN], "v2 signature", sb, 12);
	vset_add(&sets[SET_BUILTIN], "v2 sig + ver", sb, 13);
	sb[12] = 0x31;
	vset_add(&sets[SET_BUILTIN], "v2 sig + bad ver", sb, 14);
}

static void builtin_other(void)
{
	__u8 b[256];
	int i;

	vset_add(&sets[SET_BUILTIN], "empty", "", 0);
	add_str("P", "P");
	add_str("PROXY", "PROXY");
	add_str("http get", http_get);
	add_str("http post", "POST /x HTTP/1.1\r\n");
	add_str("http options", "OPTIONS * HTTP/1.1\r\n");
	add_str("h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
	add_str("lowercase get", "get / HTTP/1.1\r\n");
	add_str("long method", "ABCDEFGH / HTTP/1.1\r\n");
	add_str("ssh", "SSH-2.0-OpenSSH_9.2\r\n");
	add_str("crlf", "\r\n\r\n");
	vset_add(&sets[SET_BUILTIN], "tls hello", tls_hello, sizeof(tls_hello));
	vset_add(&sets[SET_BUILTIN], "tls 2 bytes", tls_hello, 2);
	b[0] = 0x16, b[1] = 0x03, b[2] = 0x05;
	vset_add(&sets[SET_BUILTIN], "tls version 5", b, 3);
	b[0] = 0x16, b[1] = 0x03, b[2] = 0x03, b[3] = 0, b[4] = 5, b[5] = 2;
	vset_add(&sets[SET_BUILTIN], "tls not hello", b, 6);
	for (i = 0; i < 256; i++)
		b[i] = i;
	vset_add(&sets[SET_BUILTIN], "bytes 0..255", b, 256);
	memset(b, 0, sizeof(b));
	vset_add(&sets[SET_BUILTIN], "128 zeros", b, 128);
	memset(b, 0xff, sizeof(b));
	vset_add(&sets[SET_BUILTIN], "200 x ff", b, 200);
}

/* Reads every regular file below dir, sorted by name so that the seeded
 * mutations are the same from run to run. Returns -errno. */
static int load_dir(struct vset *s, const char *dir)
{
	struct dirent **ents;
	int n, i, err = 0;

	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;
		__u8 buf[MAX_VEC_LEN];
		size_t got;
		FILE *f;

		if (ents[i]->d_name[0] == '.')
			goto next;
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (stat(path, &st))
			goto next;
		if (S_ISDIR(st.st_mode)) {
			load_dir(s, path);
			goto next;
		}
		if (!S_ISREG(st.st_mode))
			goto next;
		f = fopen(path, "rb");
		if (!f) {
			fprintf(stderr, "test_parse_bpf: cannot open %s: %s\n",
				path, strerror(errno));
			err = -errno;
			goto next;
		}
		got = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		vset_add(s, path, buf, got);
	next:
		free(ents[i]);
	}
	free(ents);
	return err;
}

/* ---- seeded randomness (splitmix64: same sequence everywhere) ---- */

static __u64 rng_state;

static __u64 rnd(void)
{
	__u64 z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t rnd_below(size_t n)
{
	return n ? rnd() % n : 0;
}

static const __u8 interesting[] = {' ',	 '\r', '\n', ':',  '.',	 '0',  '1',
				   '9',	 'f',  'P',  0x00, 0x0D, 0x0A, 0x20,
				   0x21, 0x11, 0xff, 0x7f, 0x80, 0x03};

static struct vec *pick_base(void)
{
	size_t total = 0, k;
	int i;

	for (i = SET_BUILTIN; i <= SET_FUZZ; i++)
		total += sets[i].n;
	k = rnd_below(total);
	for (i = SET_BUILTIN; i <= SET_FUZZ; i++) {
		if (k < sets[i].n)
			return &sets[i].v[k];
		k -= sets[i].n;
	}
	return &sets[SET_BUILTIN].v[0];
}

/* One mutation of buf[0..*len), at most MAX_VEC_LEN bytes */
static void mutate_once(__u8 *buf, size_t *len)
{
	size_t n = *len, p, q, i;
	struct vec *o;

	switch (rnd_below(9)) {
	case 0: /* flip 1-4 bits */
		for (i = 0, q = 1 + rnd_below(4); i < q && n; i++) {
			p = rnd_below(n);
			buf[p] ^= 1 << rnd_below(8);
		}
		break;
	case 1: /* an interesting byte */
		if (n)
			buf[rnd_below(n)] =
				interesting[rnd_below(sizeof(interesting))];
		break;
	case 2: /* truncate */
		n = rnd_below(n + 1);
		break;
	case 3: /* splice: our prefix, another vector's suffix */
		o = pick_base();
		p = rnd_below(n + 1);
		q = rnd_below(o->len + 1);
		if (p + o->len - q > MAX_VEC_LEN)
			q = o->len - (MAX_VEC_LEN - p);
		memcpy(buf + p, o->data + q, o->len - q);
		n = p + o->len - q;
		break;
	case 4: /* insert a byte */
		if (n < MAX_VEC_LEN) {
			p = rnd_below(n + 1);
			memmove(buf + p + 1, buf + p, n - p);
			buf[p] = rnd_below(2) ? interesting[rnd_below(
							sizeof(interesting))]
					      : (__u8)rnd();
			n++;
		}
		break;
	case 5: /* delete a byte */
		if (n) {
			p = rnd_below(n);
			memmove(buf + p, buf + p + 1, n - p - 1);
			n--;
		}
		break;
	case 6: /* random length 0..128, random fill when growing */
		q = rnd_below(PP_PREFIX_LEN + 1);
		for (i = n; i < q; i++)
			buf[i] = rnd();
		n = q;
		break;
	case 7: /* a random 16-bit value (v2 length field, ports...) */
		if (n >= 2) {
			p = rnd_below(2) && n > 15 ? 14 : rnd_below(n - 1);
			q = rnd_below(2) ? rnd_below(PP_PREFIX_LEN) : rnd();
			buf[p] = q >> 8;
			buf[p + 1] = q;
		}
		break;
	default: /* append another vector: stacked headers */
		o = pick_base();
		q = o->len;
		if (n + q > MAX_VEC_LEN)
			q = MAX_VEC_LEN - n;
		memcpy(buf + n, o->data, q);
		n += q;
		break;
	}
	*len = n;
}

static void make_mutations(size_t count)
{
	size_t k;

	for (k = 0; k < count; k++) {
		__u8 buf[MAX_VEC_LEN];
		struct vec *b = pick_base();
		size_t len = b->len, ops, j;
		char name[96];

		memcpy(buf, b->data, len);
		ops = 1 + rnd_below(3);
		for (j = 0; j < ops; j++)
			mutate_once(buf, &len);
		snprintf(name, sizeof(name), "mutation %zu of %.60s", k,
			 b->name);
		vset_add(&sets[SET_MUT], name, buf, len);
	}
}

/* Every proper prefix (up to 128 bytes) of the built-in and corpus
 * vectors, without duplicates. */
static void make_prefixes(void)
{
	size_t cap = 1 << 18, used = 0;
	__u64 *seen = calloc(cap, sizeof(*seen));
	int i;

	if (!seen) {
		fprintf(stderr, "test_parse_bpf: out of memory\n");
		exit(EXIT_FAILURE);
	}
	for (i = SET_BUILTIN; i <= SET_FUZZ; i++) {
		size_t k;

		for (k = 0; k < sets[i].n; k++) {
			struct vec *v = &sets[i].v[k];
			size_t l, max = v->len < PP_PREFIX_LEN ? v->len
							       : PP_PREFIX_LEN;
			__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a */

			for (l = 0; l <= max; l++) {
				size_t slot;
				char name[96];

				if (l) {
					h ^= v->data[l - 1];
					h *= 0x100000001b3ULL;
				}
				if (l == v->len || used * 2 > cap)
					continue;
				/* hash of (bytes, length), never 0 */
				slot = (h ^ l) | 1;
				{
					size_t s = slot & (cap - 1);

					while (seen[s] && seen[s] != slot)
						s = (s + 1) & (cap - 1);
					if (seen[s])
						continue;
					seen[s] = slot;
					used++;
				}
				snprintf(name, sizeof(name), "%.70s [0..%zu)",
					 v->name, l);
				vset_add(&sets[SET_PREFIX], name, v->data, l);
			}
		}
	}
	free(seen);
}

/* ---- libbpf log capture: the verifier's words when a load fails ---- */

static char *log_buf;
static size_t log_len, log_cap;

static int log_cb(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	if (lvl == LIBBPF_DEBUG)
		return 0;
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		return 0;
	if (log_len + n + 1 > log_cap) {
		size_t nc = (log_len + n + 1) * 2;
		char *p = realloc(log_buf, nc);

		if (!p)
			return 0;
		log_buf = p;
		log_cap = nc;
	}
	vsnprintf(log_buf + log_len, log_cap - log_len, fmt, ap);
	log_len += n;
	return 0;
}

/* The last lines of the captured log as TAP comments, and the last
 * "Validating <func>" line: the global function being verified. */
static void print_log_tail(void)
{
	const char *p, *val = NULL;
	int lines = 0;

	if (!log_len) {
		printf("#   (no verifier log)\n");
		return;
	}
	for (p = log_buf; (p = strstr(p, "Validating ")); p++)
		val = p;
	if (val)
		printf("#   last function verified: %.*s\n",
		       (int)strcspn(val, "\n"), val);
	p = log_buf + log_len;
	while (p > log_buf && lines <= LOG_TAIL_LINES) {
		p--;
		if (*p == '\n')
			lines++;
	}
	if (*p == '\n')
		p++;
	while (*p) {
		size_t l = strcspn(p, "\n");

		printf("#   | %.*s\n", (int)l, p);
		p += l;
		if (*p)
			p++;
	}
}

/* ---- the BPF side ---- */

enum { PROG_XDP, PROG_TC, PROG_MAX };

struct bprog {
	const char *name;
	struct parse_test_bpf *skel;
	int fd, result_fd, scratch_fd;
	__u32 ok_retval;
	int loaded;
};

static struct bprog progs[PROG_MAX] = {
	[PROG_XDP] = {.name = "parse_xdp", .ok_retval = 2 /* XDP_PASS */},
	[PROG_TC] = {.name = "parse_tc", .ok_retval = 0},
};

static int tap_n, tap_failed;

static void tap(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		tap_failed++;
	fflush(stdout);
}

/* Loads one program alone (its own object, maps and globals), so that a
 * verifier failure of one does not hide the result of the other. */
static int load_prog(int which)
{
	struct bprog *bp = &progs[which];
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	struct bpf_program *keep, *skip;
	int err;

	log_len = 0;
	bp->skel = parse_test_bpf__open();
	if (!bp->skel) {
		tap(0, "open parse_test.bpf.o: %s", strerror(errno));
		return -errno;
	}
	keep = which == PROG_XDP ? bp->skel->progs.parse_xdp
				 : bp->skel->progs.parse_tc;
	skip = which == PROG_XDP ? bp->skel->progs.parse_tc
				 : bp->skel->progs.parse_xdp;
	bpf_program__set_autoload(skip, false);
	err = parse_test_bpf__load(bp->skel);
	if (err) {
		tap(0, "%s loads (the verifier accepts the parser): %s",
		    bp->name, strerror(-err));
		print_log_tail();
		return err;
	}
	bp->fd = bpf_program__fd(keep);
	bp->result_fd = bpf_map__fd(bp->skel->maps.result);
	bp->scratch_fd = bpf_map__fd(bp->skel->maps.scratch);
	err = bpf_obj_get_info_by_fd(bp->fd, &info, &ilen);
	if (err) {
		tap(0, "%s: bpf_obj_get_info_by_fd: %s", bp->name,
		    strerror(errno));
		return -errno;
	}
	printf("# %s verified_insns=%u\n", bp->name, info.verified_insns);
	tap(1, "%s loads (the verifier accepts the parser)", bp->name);
	bp->loaded = 1;
	return 0;
}

/* Fills the per-CPU scratch buffer with bytes the host never sees, so a
 * read past the length in BPF shows up as a mismatch. */
static __u8 *scratch_fill;

static int bpf_run(struct bprog *bp, const __u8 *data, size_t len, __u32 flags,
		   struct pp_hdr *out, __u32 *retval)
{
	__u8 pkt[ETH_LEN + PP_PREFIX_LEN];
	struct pp_hdr zero = {};
	__u32 key = 0;
	int err;
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	memset(pkt, 0, ETH_LEN);
	memcpy(pkt + ETH_LEN, data, len);
	opts.data_in = pkt;
	opts.data_size_in = ETH_LEN + len;
	opts.repeat = 1;
	bp->skel->bss->parse_flags = flags;
	if (bpf_map_update_elem(bp->result_fd, &key, &zero, BPF_ANY) ||
	    bpf_map_update_elem(bp->scratch_fd, &key, scratch_fill, BPF_ANY))
		return -errno;
	err = bpf_prog_test_run_opts(bp->fd, &opts);
	if (err)
		return -errno;
	*retval = opts.retval;
	if (bpf_map_lookup_elem(bp->result_fd, &key, out))
		return -errno;
	return 0;
}

/* ---- host side ---- */

/* What the host answered, to show the vectors reach every outcome */
static size_t seen_result[4], seen_error[PP_ERR_MAX], seen_next[4];

static void host_run(const __u8 *data, size_t len, __u32 flags, __u8 pad,
		     struct pp_hdr *out)
{
	/* The bytes after len are padding: a parser that reads them gives
	 * different answers for different padding. */
	static struct pp_buf buf;

	memset(buf.b, pad, 2 * PP_PREFIX_LEN);
	memcpy(buf.b, data, len);
	pp_parse(&buf, len, flags, out);
	if (pad)
		return;
	if (out->result < 4)
		seen_result[out->result]++;
	if (out->result == PP_RES_INVALID && out->error < PP_ERR_MAX)
		seen_error[out->error]++;
	if (out->result == PP_RES_HEADER && out->next < 4)
		seen_next[out->next]++;
}

/* ---- comparing and reporting ---- */

#define F(f)                                                                   \
	{                                                                      \
		.name = #f, .off = offsetof(struct pp_hdr, f),                 \
		.size = sizeof(((struct pp_hdr *)0)->f)                        \
	}
static const struct {
	const char *name;
	size_t off, size;
} fields[] = {
	F(result),    F(error),		  F(version),  F(command),
	F(family),    F(transport),	  F(next),     F(next_class),
	F(truncated), F(v1_unknown_long), F(src_port), F(dst_port),
	F(_pad0),     F(hdr_len),	  F(need),     F(addr_off),
	F(tlv_off),   F(tlv_len),	  F(crc_off),  F(err_off),
	F(src_addr),  F(dst_addr),
};
#undef F
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const char *result_name(__u8 r)
{
	static const char *const n[] = {"header", "need_more", "not_proxy",
					"invalid"};

	return r < 4 ? n[r] : "?";
}

static void dump_bytes(const char *title, const __u8 *d, size_t len)
{
	size_t i, j;

	printf("#   %s (%zu bytes)\n", title, len);
	for (i = 0; i < len; i += 16) {
		printf("#     %04zx:", i);
		for (j = i; j < i + 16; j++) {
			if (j < len)
				printf(" %02x", d[j]);
			else
				printf("   ");
		}
		printf("  |");
		for (j = i; j < i + 16 && j < len; j++)
			putchar(d[j] >= 0x20 && d[j] < 0x7f ? d[j] : '.');
		printf("|\n");
	}
}

static void field_str(const struct pp_hdr *h, size_t f, char *s, size_t sz)
{
	const __u8 *p = (const __u8 *)h + fields[f].off;
	size_t i, o = 0;

	switch (fields[f].size) {
	case 1:
		snprintf(s, sz, "%u", *p);
		break;
	case 2:
		snprintf(s, sz, "%u", *(const __u16 *)p);
		break;
	case 4:
		snprintf(s, sz, "%u", *(const __u32 *)p);
		break;
	default:
		for (i = 0; i < fields[f].size && o + 3 < sz; i++)
			o += snprintf(s + o, sz - o, "%02x", p[i]);
	}
}

static void dump_hdrs(const struct pp_hdr *h, const struct pp_hdr *b)
{
	size_t f;

	printf("#   %-16s %-34s %s\n", "field", "host", "bpf");
	for (f = 0; f < NFIELDS; f++) {
		char hs[40], bs[40];
		int diff =
			memcmp((const __u8 *)h + fields[f].off,
			       (const __u8 *)b + fields[f].off, fields[f].size);

		field_str(h, f, hs, sizeof(hs));
		field_str(b, f, bs, sizeof(bs));
		printf("#   %-16s %-34s %s%s\n", fields[f].name, hs, bs,
		       diff ? "   <--" : "");
	}
}

struct mclass {
	char key[160];
	size_t count;
	/* first example */
	char vname[128];
	__u8 data[PP_PREFIX_LEN];
	size_t len, full_len;
	__u32 flags, retval;
	int err;
	struct pp_hdr host, bpf;
};

static struct mclass classes[MAX_CLASSES];
static int nclasses, verbose;
static size_t class_overflow;

static void report(const char *what, const char *pname, const struct vec *v,
		   size_t len, __u32 flags, const struct pp_hdr *host,
		   const struct pp_hdr *bpf, __u32 retval, int err)
{
	struct mclass *c = NULL;
	char key[160];
	int i;

	snprintf(key, sizeof(key), "%s: %s (host result=%s%s)", pname, what,
		 result_name(host->result),
		 flags & PP_PF_TRUNC_OK ? ", TRUNC_OK" : "");
	for (i = 0; i < nclasses; i++)
		if (!strcmp(classes[i].key, key))
			c = &classes[i];
	if (!c) {
		if (nclasses == MAX_CLASSES) {
			class_overflow++;
			return;
		}
		c = &classes[nclasses++];
		snprintf(c->key, sizeof(c->key), "%s", key);
		snprintf(c->vname, sizeof(c->vname), "%s", v->name);
		memcpy(c->data, v->data, len);
		c->len = len;
		c->full_len = v->len;
		c->flags = flags;
		c->host = *host;
		c->bpf = *bpf;
		c->retval = retval;
		c->err = err;
	}
	c->count++;
	if (verbose) {
		printf("# mismatch %s: %s, flags %u\n", key, v->name, flags);
		dump_bytes("input", v->data, len);
		if (!err)
			dump_hdrs(host, bpf);
	}
}

/* Runs one vector through one program with one flag set. Returns 1 when
 * the BPF and host results are identical, 0 otherwise. */
static int check_one(struct bprog *bp, const struct vec *v, __u32 flags)
{
	size_t len = v->len < PP_PREFIX_LEN ? v->len : PP_PREFIX_LEN;
	struct pp_hdr host, host2, bpf;
	__u32 retval = 0;
	size_t f;
	int err;

	host_run(v->data, len, flags, 0x00, &host);
	memset(&bpf, 0, sizeof(bpf));
	err = bpf_run(bp, v->data, len, flags, &bpf, &retval);
	if (err) {
		char what[64];

		snprintf(what, sizeof(what), "BPF_PROG_TEST_RUN failed (%s)",
			 strerror(-err));
		report(what, bp->name, v, len, flags, &host, &bpf, 0, err);
		return 0;
	}
	if (retval != bp->ok_retval) {
		report("program returned an error code", bp->name, v, len,
		       flags, &host, &bpf, retval, 0);
		return 0;
	}
	if (!memcmp(&host, &bpf, sizeof(host))) {
		/* the host must not read past len either */
		host_run(v->data, len, flags, 0xa5, &host2);
		if (memcmp(&host, &host2, sizeof(host))) {
			report("host parser reads past the length", "host", v,
			       len, flags, &host, &host2, retval, 0);
			return 0;
		}
		return 1;
	}
	for (f = 0; f < NFIELDS; f++)
		if (memcmp((__u8 *)&host + fields[f].off,
			   (__u8 *)&bpf + fields[f].off, fields[f].size))
			break;
	{
		char what[64];

		snprintf(what, sizeof(what), "%s differs",
			 f < NFIELDS ? fields[f].name : "padding");
		report(what, bp->name, v, len, flags, &host, &bpf, retval, 0);
	}
	return 0;
}

static void run_set(struct bprog *bp, struct vset *s)
{
	size_t k, runs = 0, bad = 0;

	if (s->absent) {
		tap(1, "%s agrees with the host on %s # SKIP %s absent",
		    bp->name, s->name, s->name);
		return;
	}
	for (k = 0; k < s->n; k++) {
		const struct vec *v = &s->v[k];

		runs++;
		bad += !check_one(bp, v, 0);
		/* the data path parses a full 128-byte prefix with TRUNC_OK */
		if (v->len > PP_PREFIX_LEN) {
			runs++;
			bad += !check_one(bp, v, PP_PF_TRUNC_OK);
		}
	}
	tap(bad == 0,
	    "%s agrees with the host on %s (%zu vectors, %zu runs, "
	    "%zu mismatches)",
	    bp->name, s->name, s->n, runs, bad);
}

static size_t env_num(const char *name, size_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

int main(int argc, char **argv)
{
	const char *root = getenv("PPG_ROOT");
	size_t mutations = env_num("PPG_BPF_MUTATIONS", 20000);
	__u64 seed = env_num("PPG_BPF_SEED", 0x5eed);
	int ncpu, i, c, s;
	struct utsname uts;
	char path[4096];

	verbose = env_num("PPG_BPF_VERBOSE", 0) != 0;
	while ((c = getopt(argc, argv, "n:s:r:vh")) != -1) {
		switch (c) {
		case 'n':
			mutations = strtoull(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			root = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n MUTATIONS] [-s SEED] "
				"[-r ROOT] [-v]\n",
				argv[0]);
			return c == 'h' ? EXIT_SUCCESS : 64;
		}
	}
	if (!root || !*root)
		root = ".";
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(log_cb);

	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0) {
		fprintf(stderr, "test_parse_bpf: cannot count CPUs: %s\n",
			strerror(-ncpu));
		return EXIT_FAILURE;
	}
	scratch_fill = xmalloc((size_t)ncpu * PP_PREFIX_LEN);
	for (i = 0; i < ncpu * PP_PREFIX_LEN; i++)
		scratch_fill[i] = "PROXY TCP6 ::1:\r\n"[i % 17];

	builtin_v1();
	builtin_v2();
	builtin_other();
	snprintf(path, sizeof(path), "%s/tests/corpus", root);
	if (load_dir(&sets[SET_CORPUS], path) == -ENOENT)
		sets[SET_CORPUS].absent = 1;
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus", root);
	if (load_dir(&sets[SET_FUZZ], path) == -ENOENT)
		sets[SET_FUZZ].absent = 1;
	make_prefixes();
	rng_state = seed;
	make_mutations(mutations);
	if (!uname(&uts))
		printf("# kernel %s\n", uts.release);
	printf("# vectors: %zu built-in, %zu tests/corpus, %zu "
	       "tests/fuzz/corpus, %zu prefixes, %zu mutations (seed %#llx)\n",
	       sets[SET_BUILTIN].n, sets[SET_CORPUS].n, sets[SET_FUZZ].n,
	       sets[SET_PREFIX].n, sets[SET_MUT].n, (unsigned long long)seed);

	for (i = 0; i < PROG_MAX; i++)
		load_prog(i);
	for (i = 0; i < PROG_MAX; i++) {
		if (!progs[i].loaded)
			continue;
		for (s = 0; s < SET_MAX; s++)
			run_set(&progs[i], &sets[s]);
	}
	printf("# host outcomes: header %zu (next none %zu, partial %zu, "
	       "stacked %zu, data %zu), need_more %zu, not_proxy %zu, "
	       "invalid %zu\n",
	       seen_result[0], seen_next[0], seen_next[1], seen_next[2],
	       seen_next[3], seen_result[1], seen_result[2], seen_result[3]);
	printf("# host errors:");
	for (i = 1; i < PP_ERR_MAX; i++)
		printf(" %d:%zu", i, seen_error[i]);
	printf("\n");
	for (i = 0; i < nclasses; i++) {
		struct mclass *m = &classes[i];

		tap(0, "mismatch %s: %zu runs", m->key, m->count);
		printf("#   first: %s, flags %u, vector length %zu\n", m->vname,
		       m->flags, m->full_len);
		dump_bytes("input (parsed bytes)", m->data, m->len);
		if (m->err)
			continue;
		if (strstr(m->key, "return code"))
			printf("#   program returned %u\n", m->retval);
		dump_hdrs(&m->host, &m->bpf);
	}
	if (class_overflow)
		tap(0, "%zu more mismatches in classes not shown",
		    class_overflow);
	printf("1..%d\n", tap_n);

	for (i = 0; i < PROG_MAX; i++)
		parse_test_bpf__destroy(progs[i].skel);
	return tap_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
