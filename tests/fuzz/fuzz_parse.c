// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the shared PROXY parser (include/pp_parse.h), host
 * build, under ASan and UBSan.
 *
 * Every input is parsed with both flag values from an exact-size heap copy
 * (ASan then catches any read past the length), and the result must obey
 * the contract of struct pp_hdr:
 *   - every field within its enum, error set iff the result is invalid;
 *   - a header fits in the bytes given (unless PP_PF_TRUNC_OK truncated it),
 *     parses the same from exactly its own bytes, and every shorter prefix
 *     of it is "need more" with a need that does not overshoot;
 *   - "invalid" and "not a PROXY preamble" never turn back into something
 *     else when more bytes arrive;
 *   - v1 addresses agree with glibc's inet_pton(), ports with their text.
 * A broken invariant prints one line naming it and aborts, so libFuzzer
 * saves the input.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pp_parse.h"

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
				"fuzz_parse: invariant broken at line %d: "    \
				"%s\n",                                        \
				__LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/* Prefixes checked one by one: a whole v1 line and the BPF prefix window. */
#define PREFIX_SCAN 128

static int parse(const uint8_t *data, size_t len, __u32 flags, struct pp_hdr *h)
{
	uint8_t *p = malloc(len ? len : 1);
	int r;

	CHECK(p);
	if (len)
		memcpy(p, data, len);
	/* poison the output: pp_parse must set every field itself */
	memset(h, 0xa5, sizeof(*h));
	r = pp_parse((const struct pp_buf *)p, (__u32)len, flags, h);
	free(p);
	return r;
}

/* Fields that describe the header itself, not what follows it. */
static int same_header(const struct pp_hdr *a, const struct pp_hdr *b)
{
	return a->result == b->result && a->error == b->error &&
	       a->version == b->version && a->command == b->command &&
	       a->family == b->family && a->transport == b->transport &&
	       a->truncated == b->truncated &&
	       a->v1_unknown_long == b->v1_unknown_long &&
	       a->src_port == b->src_port && a->dst_port == b->dst_port &&
	       a->hdr_len == b->hdr_len && a->addr_off == b->addr_off &&
	       a->tlv_off == b->tlv_off && a->tlv_len == b->tlv_len &&
	       a->crc_off == b->crc_off &&
	       !memcmp(a->src_addr, b->src_addr, 16) &&
	       !memcmp(a->dst_addr, b->dst_addr, 16);
}

static int all_zero(const __u8 *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Token [s, e) of a v1 line as a C string. Returns 0 if it is longer than
 * 63 bytes or holds a NUL byte: no valid field does. */
static int token(const uint8_t *d, size_t s, size_t e, char *out)
{
	size_t n = e > s ? e - s : 0;

	out[0] = 0;
	if (n > 63 || memchr(d + s, 0, n))
		return 0;
	memcpy(out, d + s, n);
	out[n] = 0;
	return 1;
}

static size_t tok_end(const uint8_t *d, size_t s, size_t eol)
{
	while (s < eol && d[s] != ' ')
		s++;
	return s;
}

/* Canonical decimal 0-65535 without leading zero, as the spec wants */
static int canonical_port(const char *s, unsigned int *v)
{
	char buf[16];
	unsigned long n;
	char *end;

	if (!*s || strlen(s) > 5)
		return 0;
	n = strtoul(s, &end, 10);
	if (*end || n > 65535)
		return 0;
	snprintf(buf, sizeof(buf), "%lu", n);
	if (strcmp(buf, s))
		return 0;
	*v = (unsigned int)n;
	return 1;
}

/* Offset of the CR of a CRLF that ends a complete v1 line of at most 107
 * bytes, with no CR or LF before it; 0 if there is none. */
static size_t v1_eol(const uint8_t *d, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < PP_V1_MAX_LINE; i++) {
		if (d[i] == '\n')
			return 0;
		if (d[i] == '\r')
			return i + 1 < len && d[i + 1] == '\n' &&
					       i + 2 <= PP_V1_MAX_LINE
				       ? i
				       : 0;
	}
	return 0;
}

/* An independent reading of the v1 grammar, glibc for the addresses:
 * 1 if the complete line at the start of d is a valid header. */
static int v1_reference(const uint8_t *d, size_t len)
{
	size_t eol = v1_eol(d, len), s = 6, e;
	char t[5][64];
	int nt = 0, af;
	__u8 a[16];
	unsigned int port;

	if (!eol || eol < 6 || memcmp(d, "PROXY ", 6))
		return 0;
	if (eol >= 13 && !memcmp(d + 6, "UNKNOWN", 7) &&
	    (eol == 13 || d[13] == ' '))
		return 1; /* the rest of the line is ignored */
	while (s <= eol) {
		e = tok_end(d, s, eol);
		if (e == s || nt == 5 || !token(d, s, e, t[nt]))
			return 0; /* empty field, extra field, junk */
		nt++;
		s = e + 1;
	}
	if (nt != 5)
		return 0;
	if (!strcmp(t[0], "TCP4"))
		af = AF_INET;
	else if (!strcmp(t[0], "TCP6"))
		af = AF_INET6;
	else
		return 0;
	return inet_pton(af, t[1], a) == 1 && inet_pton(af, t[2], a) == 1 &&
	       canonical_port(t[3], &port) && canonical_port(t[4], &port);
}

static void check_v1_header(const uint8_t *d, const struct pp_hdr *h)
{
	size_t eol = h->hdr_len - 2, s, e;
	char t[64];
	unsigned int port;
	__u8 a[16];
	int i;

	CHECK(h->hdr_len <= PP_V1_MAX_LINE && h->hdr_len >= 15);
	CHECK(d[eol] == '\r' && d[eol + 1] == '\n');
	CHECK(!memcmp(d, "PROXY ", 6));
	CHECK(h->command == PP_CMD_PROXY);
	for (i = 0; i < (int)eol; i++)
		CHECK(d[i] != '\r' && d[i] != '\n');
	if (h->family == PP_FAM_UNSPEC) {
		CHECK(!memcmp(d + 6, "UNKNOWN", 7));
		CHECK(h->transport == PP_TRANS_UNSPEC);
		CHECK(h->v1_unknown_long == (h->hdr_len != 15));
		CHECK(all_zero(h->src_addr, 16) && all_zero(h->dst_addr, 16));
		CHECK(!h->src_port && !h->dst_port);
		return;
	}
	CHECK(h->family == PP_FAM_INET || h->family == PP_FAM_INET6);
	CHECK(h->transport == PP_TRANS_STREAM && !h->v1_unknown_long);
	CHECK(!memcmp(d + 6, h->family == PP_FAM_INET ? "TCP4 " : "TCP6 ", 5));
	/* src, dst: what glibc makes of the same text */
	s = 11;
	for (i = 0; i < 2; i++) {
		const __u8 *got = i ? h->dst_addr : h->src_addr;

		e = tok_end(d, s, eol);
		CHECK(token(d, s, e, t));
		memset(a, 0, sizeof(a));
		if (h->family == PP_FAM_INET) {
			CHECK(inet_pton(AF_INET, t, a) == 1);
			CHECK(all_zero(got + 4, 12));
		} else {
			CHECK(inet_pton(AF_INET6, t, a) == 1);
		}
		CHECK(!memcmp(a, got, 16));
		s = e + 1;
	}
	for (i = 0; i < 2; i++) {
		e = tok_end(d, s, eol);
		CHECK(token(d, s, e, t));
		CHECK(canonical_port(t, &port));
		CHECK(port == (i ? h->dst_port : h->src_port));
		s = e + 1;
	}
	CHECK(s == eol + 1);
}

static void check_v2_header(const uint8_t *d, size_t len,
			    const struct pp_hdr *h)
{
	__u32 asz;

	CHECK(h->hdr_len >= PP_V2_HDR_LEN);
	CHECK(h->hdr_len == PP_V2_HDR_LEN + ((__u32)d[14] << 8 | d[15]));
	CHECK(h->command == (d[12] & 0xf) && (d[12] >> 4) == 2);
	CHECK(h->family == d[13] >> 4 && h->transport == (d[13] & 0xf));
	CHECK(h->addr_off == PP_V2_HDR_LEN);
	CHECK(h->tlv_off >= PP_V2_HDR_LEN);
	CHECK(h->tlv_off + h->tlv_len == h->hdr_len);
	CHECK(!h->v1_unknown_long);
	if (h->crc_off) {
		CHECK(h->crc_off >= h->tlv_off + 3);
		CHECK(h->crc_off + 4 <= h->hdr_len);
		CHECK(d[h->crc_off - 3] == PP_TLV_CRC32C);
		CHECK(d[h->crc_off - 2] == 0 && d[h->crc_off - 1] == 4);
	}
	if (h->command == PP_CMD_PROXY &&
	    (h->family == PP_FAM_INET || h->family == PP_FAM_INET6)) {
		asz = h->family == PP_FAM_INET ? 4 : 16;
		CHECK(len >= PP_V2_HDR_LEN + 2 * asz + 4);
		CHECK(!memcmp(h->src_addr, d + 16, asz));
		CHECK(!memcmp(h->dst_addr, d + 16 + asz, asz));
		CHECK(all_zero(h->src_addr + asz, 16 - asz));
		CHECK(all_zero(h->dst_addr + asz, 16 - asz));
		CHECK(h->src_port == (d[16 + 2 * asz] << 8 | d[17 + 2 * asz]));
		CHECK(h->dst_port == (d[18 + 2 * asz] << 8 | d[19 + 2 * asz]));
	} else {
		CHECK(all_zero(h->src_addr, 16) && all_zero(h->dst_addr, 16));
		CHECK(!h->src_port && !h->dst_port);
	}
}

/* An invalid complete v1 line: the field the parser refused must be one
 * glibc refuses too. */
static void check_v1_invalid(const uint8_t *d, size_t len,
			     const struct pp_hdr *h)
{
	size_t eol = v1_eol(d, len), e;
	unsigned int port;
	char t[64];
	__u8 a[16];

	if (!eol || h->err_off >= eol)
		return;
	e = tok_end(d, h->err_off, eol);
	if (!token(d, h->err_off, e, t))
		return;
	switch (h->error) {
	case PP_ERR_V1_BAD_ADDR4:
		CHECK(inet_pton(AF_INET, t, a) != 1);
		break;
	case PP_ERR_V1_BAD_ADDR6:
		CHECK(inet_pton(AF_INET6, t, a) != 1);
		break;
	case PP_ERR_V1_BAD_PORT:
		CHECK(!canonical_port(t, &port));
		break;
	}
}

static void check_one(const uint8_t *d, size_t len, __u32 flags,
		      const struct pp_hdr *h, int r)
{
	CHECK(r == h->result);
	CHECK(r >= PP_RES_HEADER && r <= PP_RES_INVALID);
	CHECK(h->error < PP_ERR_MAX && h->error != PP_ERR_V2_BAD_CRC);
	CHECK((h->error != PP_ERR_NONE) == (r == PP_RES_INVALID));
	CHECK(h->version <= PP_VER_2 && h->command <= PP_CMD_PROXY);
	CHECK(h->family <= PP_FAM_UNIX && h->transport <= PP_TRANS_DGRAM);
	CHECK(h->next <= PP_NEXT_DATA && h->next_class <= PP_CLASS_PROXY);
	CHECK(h->truncated <= 1 && h->v1_unknown_long <= 1 && !h->_pad0);
	CHECK(r == PP_RES_NEED_MORE ? h->need > 0 : h->need == 0);
	CHECK(r == PP_RES_INVALID || h->err_off == 0);

	switch (r) {
	case PP_RES_HEADER:
		CHECK(h->version == PP_VER_1 || h->version == PP_VER_2);
		if (h->truncated) {
			CHECK((flags & PP_PF_TRUNC_OK) &&
			      h->version == PP_VER_2);
			CHECK(h->hdr_len > len);
			CHECK(h->next == PP_NEXT_NONE && !h->next_class);
		} else {
			CHECK(h->hdr_len <= len);
			CHECK((h->next == PP_NEXT_NONE) == (h->hdr_len == len));
			CHECK((h->next == PP_NEXT_STACKED) ==
			      (h->next_class == PP_CLASS_PROXY));
			CHECK((h->next == PP_NEXT_DATA) ==
			      (h->next_class >= PP_CLASS_TLS &&
			       h->next_class <= PP_CLASS_OTHER));
		}
		if (h->version == PP_VER_1)
			check_v1_header(d, h);
		else
			check_v2_header(d, len, h);
		break;
	case PP_RES_NEED_MORE:
		if (h->version == PP_VER_1 || !len)
			CHECK(len + h->need <= PP_V1_MAX_LINE);
		else
			CHECK(len + h->need <= PP_V2_HDR_LEN + 65535);
		CHECK(!h->next && !h->next_class);
		break;
	case PP_RES_NOT_PROXY:
		CHECK(len > 0 && h->version == PP_VER_NONE);
		CHECK(h->next_class >= PP_CLASS_TLS &&
		      h->next_class <= PP_CLASS_OTHER);
		break;
	case PP_RES_INVALID:
		CHECK(h->error != PP_ERR_NONE);
		CHECK(h->version == PP_VER_1 || h->version == PP_VER_2);
		CHECK(h->err_off <= len);
		if (h->version == PP_VER_1)
			check_v1_invalid(d, len, h);
		break;
	}
}

/* Feed the input as a receiver would, a prefix at a time. */
static void check_prefixes(const uint8_t *d, size_t len,
			   const struct pp_hdr *full)
{
	struct pp_hdr h;
	int final = -1;
	size_t p, lim = len < PREFIX_SCAN ? len : PREFIX_SCAN;

	for (p = 0; p <= lim + 2; p++) {
		size_t n = p;
		int r;

		if (p == lim + 1)
			n = full->hdr_len > 1 ? full->hdr_len - 1 : 0;
		else if (p == lim + 2)
			n = full->hdr_len > 2 ? full->hdr_len - 2 : 0;
		if (n > len || (p > lim && n <= lim))
			continue;
		r = parse(d, n, 0, &h);
		check_one(d, n, 0, &h, r);
		/* once refused, refused for good */
		if (final >= 0)
			CHECK(r == final);
		if (p <= lim && (r == PP_RES_INVALID || r == PP_RES_NOT_PROXY))
			final = r;
		if (full->result != PP_RES_HEADER || full->truncated)
			continue;
		if (n < full->hdr_len) {
			CHECK(r == PP_RES_NEED_MORE);
			CHECK(n + h.need <= full->hdr_len);
			if (full->version == PP_VER_2 && n)
				CHECK(h.need == (n < PP_V2_HDR_LEN
							 ? PP_V2_HDR_LEN - n
							 : full->hdr_len - n));
			if (!n)
				CHECK(h.need == 1);
		} else {
			CHECK(same_header(&h, full));
		}
	}
	if (final >= 0)
		CHECK(full->result == final);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pp_hdr h0, ht, hx;
	int r0, rt, rx;

	if (size > PP_BUF_CAP)
		size = PP_BUF_CAP;
	r0 = parse(data, size, 0, &h0);
	check_one(data, size, 0, &h0, r0);
	rt = parse(data, size, PP_PF_TRUNC_OK, &ht);
	check_one(data, size, PP_PF_TRUNC_OK, &ht, rt);

	/* the flag only matters for a v2 header longer than the input */
	if (r0 != PP_RES_NEED_MORE || h0.version != PP_VER_2)
		CHECK(!memcmp(&h0, &ht, sizeof(h0)));
	else if (rt == PP_RES_HEADER)
		CHECK(ht.truncated && ht.hdr_len > size &&
		      ht.hdr_len == h0.hdr_len);

	/* v1: the parser and the reference accept the same complete lines */
	if (size >= 6 && !memcmp(data, "PROXY ", 6) && v1_eol(data, size))
		CHECK(v1_reference(data, size) == (r0 == PP_RES_HEADER));

	/* a header parses the same from exactly its own bytes */
	if (r0 == PP_RES_HEADER) {
		rx = parse(data, h0.hdr_len, 0, &hx);
		CHECK(rx == PP_RES_HEADER && same_header(&hx, &h0));
		CHECK(hx.next == PP_NEXT_NONE && !hx.next_class);
	}
	check_prefixes(data, size, &h0);
	return 0;
}
