// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the CLI's shared helpers: CRC32C, the v2 TLV decoder (every
 * type, built byte by byte), the text printer, enum names and address and
 * string formatting. cmocka; prints TAP with CMOCKA_MESSAGE_OUTPUT=TAP.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "../../user/ppguard.h"
#include "../../user/crc32c.h"
#include "../../user/tlv.h"

/* ---- helpers ---- */

static const __u8 v2_sig[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
				0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

/* Append a TLV (type, BE length, value) at buf + *n. */
static void put_tlv(__u8 *buf, size_t *n, __u8 type, const void *v, size_t l)
{
	buf[(*n)++] = type;
	buf[(*n)++] = l >> 8;
	buf[(*n)++] = l & 0xff;
	if (l)
		memcpy(buf + *n, v, l);
	*n += l;
}

struct decoded {
	struct json_object *arr;
	struct pp_tlv_info info;
	int ret;
};

static void decode(struct decoded *d, const __u8 *tlv, size_t len)
{
	d->arr = json_object_new_array();
	assert_non_null(d->arr);
	d->ret = pp_tlv_decode(tlv, len, NULL, 0, 0, d->arr, &d->info);
}

static struct json_object *item(struct json_object *arr, size_t i)
{
	assert_true(i < json_object_array_length(arr));
	return json_object_array_get_idx(arr, i);
}

static struct json_object *field(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, k, &v))
		fail_msg("field \"%s\" missing in %s", k,
			 json_object_to_json_string(o));
	return v;
}

static int has(struct json_object *o, const char *k)
{
	return json_object_object_get_ex(o, k, NULL);
}

static const char *fstr(struct json_object *o, const char *k)
{
	return json_object_get_string(field(o, k));
}

static int64_t fint(struct json_object *o, const char *k)
{
	return json_object_get_int64(field(o, k));
}

/* A v2 PROXY TCP4 header whose TLV area is tlv[0..tlv_len), into hdr;
 * returns its length. */
static size_t v2_header(__u8 *hdr, const __u8 *tlv, size_t tlv_len)
{
	static const __u8 addr[12] = {198, 18, 0,    1,	   198,	 18,
				      0,   2,  0x9c, 0x40, 0x01, 0xbb};
	size_t len = sizeof(addr) + tlv_len;

	memcpy(hdr, v2_sig, 12);
	hdr[12] = 0x21;
	hdr[13] = 0x11;
	hdr[14] = len >> 8;
	hdr[15] = len & 0xff;
	memcpy(hdr + 16, addr, sizeof(addr));
	memcpy(hdr + 28, tlv, tlv_len);
	return 16 + len;
}

/* Fill the CRC32C field at hdr[pos..pos+4) as a sender would. */
static void seal_crc(__u8 *hdr, size_t len, size_t pos)
{
	__u32 c;

	memset(hdr + pos, 0, 4);
	c = pp_crc32c(hdr, len);
	hdr[pos] = c >> 24;
	hdr[pos + 1] = c >> 16;
	hdr[pos + 2] = c >> 8;
	hdr[pos + 3] = c;
}

/* ---- CRC32C ---- */

static void test_crc32c_check_value(void **state)
{
	(void)state;
	assert_int_equal(pp_crc32c("123456789", 9), 0xE3069283);
	assert_int_equal(pp_crc32c("", 0), 0);
}

/* RFC 3720 appendix B.4 (iSCSI) vectors */
static void test_crc32c_rfc3720(void **state)
{
	__u8 b[32];
	int i;

	(void)state;
	memset(b, 0, sizeof(b));
	assert_int_equal(pp_crc32c(b, 32), 0x8A9136AA);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(pp_crc32c(b, 32), 0x62A8AB43);
	for (i = 0; i < 32; i++)
		b[i] = i;
	assert_int_equal(pp_crc32c(b, 32), 0x46DD794E);
	for (i = 0; i < 32; i++)
		b[i] = 31 - i;
	assert_int_equal(pp_crc32c(b, 32), 0x113FDB5C);
}

static void test_crc32c_update(void **state)
{
	const char *s = "123456789";
	size_t k;

	(void)state;
	for (k = 0; k <= 9; k++)
		assert_int_equal(
			pp_crc32c_update(pp_crc32c(s, k), s + k, 9 - k),
			0xE3069283);
}

/* ---- TLVs, one type at a time ---- */

static void test_tlv_empty(void **state)
{
	struct decoded d;

	(void)state;
	decode(&d, (const __u8 *)"", 0);
	assert_int_equal(d.ret, 0);
	assert_int_equal(json_object_array_length(d.arr), 0);
	assert_int_equal(d.info.crc, PP_CRC_ABSENT);
	assert_int_equal(d.info.count, 0);
	json_object_put(d.arr);
}

static void test_tlv_alpn(void **state)
{
	__u8 b[] = {0x01, 0x00, 0x02, 'h', '2'};
	struct decoded d;
	struct json_object *o;

	(void)state;
	decode(&d, b, sizeof(b));
	assert_int_equal(d.ret, 0);
	assert_int_equal(d.info.count, 1);
	o = item(d.arr, 0);
	assert_int_equal(fint(o, "type"), 1);
	assert_string_equal(fstr(o, "name"), "ALPN");
	assert_string_equal(fstr(o, "value"), "h2");
	assert_int_equal(fint(o, "length"), 2);
	assert_string_equal(fstr(o, "hex"), "6832");
	assert_false(has(o, "error"));
	json_object_put(d.arr);
}

static void test_tlv_authority(void **state)
{
	__u8 b[3 + 300];
	size_t n = 0;
	struct decoded d;
	char host[300];

	(void)state;
	put_tlv(b, &n, 0x02, "www.example.com", 15);
	decode(&d, b, n);
	assert_int_equal(d.ret, 0);
	assert_string_equal(fstr(item(d.arr, 0), "name"), "AUTHORITY");
	assert_string_equal(fstr(item(d.arr, 0), "value"), "www.example.com");
	assert_false(has(item(d.arr, 0), "note"));
	json_object_put(d.arr);

	/* longer than HAProxy's 255: noted, not an error */
	memset(host, 'a', sizeof(host));
	n = 0;
	put_tlv(b, &n, 0x02, host, 256);
	decode(&d, b, n);
	assert_int_equal(d.ret, 0);
	assert_true(has(item(d.arr, 0), "note"));
	assert_int_equal(strlen(fstr(item(d.arr, 0), "value")), 256);
	json_object_put(d.arr);
}

static void test_tlv_noop(void **state)
{
	__u8 b[] = {0x04, 0x00, 0x03, 0, 0, 0, 0x04, 0x00, 0x00};
	struct decoded d;

	(void)state;
	decode(&d, b, sizeof(b));
	assert_int_equal(d.ret, 0);
	assert_int_equal(d.info.count, 2);
	assert_string_equal(fstr(item(d.arr, 0), "name"), "NOOP");
	assert_string_equal(fstr(item(d.arr, 0), "hex"), "000000");
	assert_false(has(item(d.arr, 0), "value"));
	assert_int_equal(fint(item(d.arr, 1), "length"), 0);
	assert_string_equal(fstr(item(d.arr, 1), "hex"), "");
	json_object_put(d.arr);
}

static void test_tlv_unique_id(void **state)
{
	__u8 b[3 + 129], id[129];
	size_t n = 0;
	struct decoded d;

	(void)state;
	memset(id, 0xab, sizeof(id));
	put_tlv(b, &n, 0x05, id, 128);
	decode(&d, b, n);
	assert_int_equal(d.ret, 0);
	assert_string_equal(fstr(item(d.arr, 0), "name"), "UNIQUE_ID");
	assert_int_equal(fint(item(d.arr, 0), "length"), 128);
	assert_int_equal(strlen(fstr(item(d.arr, 0), "hex")), 256);
	json_object_put(d.arr);

	n = 0;
	put_tlv(b, &n, 0x05, id, 129);
	decode(&d, b, n);
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_BAD_TLV);
	assert_int_equal(d.info.err_off, 0);
	assert_string_equal(fstr(item(d.arr, 0), "error"), "v2_bad_tlv");
	json_object_put(d.arr);
}

static void test_tlv_crc_valid_invalid(void **state)
{
	__u8 tlv[64], hdr[128];
	size_t n = 0, hl;
	struct decoded d;
	struct json_object *arr;
	int verdict = -1;

	(void)state;
	put_tlv(tlv, &n, 0x01, "h2", 2);
	put_tlv(tlv, &n, 0x03, "\0\0\0\0", 4);
	hl = v2_header(hdr, tlv, n);
	seal_crc(hdr, hl, 28 + 5 + 3);

	arr = json_object_new_array();
	assert_int_equal(pp_tlv_decode(hdr + 28, n, hdr, hl, 0, arr, &d.info),
			 0);
	assert_int_equal(d.info.crc, PP_CRC_VALID);
	assert_string_equal(fstr(item(arr, 1), "name"), "CRC32C");
	assert_string_equal(fstr(item(arr, 1), "verdict"), "valid");
	assert_string_equal(fstr(item(arr, 1), "value"),
			    fstr(item(arr, 1), "computed"));
	assert_int_equal(d.info.crc_value, d.info.crc_computed);
	json_object_put(arr);

	/* the wrapper reports the same verdict */
	arr = json_object_new_array();
	assert_int_equal(pp_tlv_to_json(hdr + 28, n, hdr, hl, 0, arr, &verdict),
			 0);
	assert_int_equal(verdict, PP_CRC_VALID);
	json_object_put(arr);

	/* any other byte of the header changed: mismatch */
	hdr[17] ^= 1;
	arr = json_object_new_array();
	assert_int_equal(pp_tlv_decode(hdr + 28, n, hdr, hl, 0, arr, &d.info),
			 -EINVAL);
	assert_int_equal(d.info.crc, PP_CRC_INVALID);
	assert_int_equal(d.info.error, PP_ERR_V2_BAD_CRC);
	assert_int_equal(d.info.err_off, 5);
	assert_string_equal(fstr(item(arr, 1), "verdict"), "invalid");
	assert_string_equal(fstr(item(arr, 1), "error"), "v2_bad_crc");
	json_object_put(arr);
	hdr[17] ^= 1;

	/* the CRC field itself changed */
	hdr[28 + 8] ^= 0x80;
	arr = json_object_new_array();
	assert_int_equal(pp_tlv_to_json(hdr + 28, n, hdr, hl, 0, arr, &verdict),
			 -EINVAL);
	assert_int_equal(verdict, PP_CRC_INVALID);
	json_object_put(arr);
}

static void test_tlv_crc_off_and_unchecked(void **state)
{
	__u8 tlv[16], copy[16], hdr[64];
	size_t n = 0, hl;
	struct decoded d;
	struct json_object *arr;

	(void)state;
	put_tlv(tlv, &n, 0x03, "\0\0\0\0", 4);
	hl = v2_header(hdr, tlv, n);
	seal_crc(hdr, hl, 31);
	memcpy(copy, hdr + 28, n);

	/* the TLV bytes are not inside hdr: crc_off says where the field is */
	arr = json_object_new_array();
	assert_int_equal(pp_tlv_decode(copy, n, hdr, hl, 31, arr, &d.info), 0);
	assert_int_equal(d.info.crc, PP_CRC_VALID);
	json_object_put(arr);

	/* no header at all: the CRC cannot be checked */
	decode(&d, copy, n);
	assert_int_equal(d.ret, 0);
	assert_int_equal(d.info.crc, PP_CRC_UNCHECKED);
	assert_string_equal(fstr(item(d.arr, 0), "verdict"), "unchecked");
	assert_false(has(item(d.arr, 0), "computed"));
	json_object_put(d.arr);
}

static void test_tlv_crc_bad_length(void **state)
{
	__u8 b[] = {0x03, 0x00, 0x03, 1, 2, 3};
	struct decoded d;

	(void)state;
	decode(&d, b, sizeof(b));
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_BAD_TLV);
	json_object_put(d.arr);
}

/* SSL with every sub-TLV 0x21..0x28 and an unknown one */
static void test_tlv_ssl(void **state)
{
	static const struct {
		__u8 type;
		const char *name, *value;
	} subs[] = {
		{0x21, "VERSION", "TLSv1.3"},
		{0x22, "CN", "client.example"},
		{0x23, "CIPHER", "TLS_AES_128_GCM_SHA256"},
		{0x24, "SIG_ALG", "RSA-SHA256"},
		{0x25, "KEY_ALG", "RSA2048"},
		{0x26, "GROUP", "X25519"},
		{0x27, "SIG_SCHEME", "rsa_pss_rsae_sha256"},
	};
	static const __u8 der[] = {0x30, 0x82, 0x01, 0x0a, 0x02, 0x01};
	__u8 val[512], b[600];
	size_t vn = 5, n = 0, i;
	struct json_object *o, *sub, *flags;
	struct decoded d;

	(void)state;
	val[0] = PP_CLIENT_SSL | PP_CLIENT_CERT_CONN; /* client */
	memset(val + 1, 0, 4);			      /* verify: 0 */
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		put_tlv(val, &vn, subs[i].type, subs[i].value,
			strlen(subs[i].value));
	put_tlv(val, &vn, 0x28, der, sizeof(der));
	put_tlv(val, &vn, 0x2f, "\x01\x02", 2);
	put_tlv(b, &n, 0x20, val, vn);

	decode(&d, b, n);
	assert_int_equal(d.ret, 0);
	assert_int_equal(d.info.count, 1);
	o = item(d.arr, 0);
	assert_string_equal(fstr(o, "name"), "SSL");
	assert_int_equal(fint(o, "client"), 3);
	flags = field(o, "client_flags");
	assert_int_equal(json_object_array_length(flags), 2);
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(flags, 0)),
		"ssl");
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(flags, 1)),
		"cert_conn");
	assert_int_equal(fint(o, "verify"), 0);
	assert_true(json_object_get_boolean(field(o, "verified")));
	sub = field(o, "sub");
	assert_int_equal(json_object_array_length(sub), 9);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		assert_int_equal(fint(item(sub, i), "type"), subs[i].type);
		assert_string_equal(fstr(item(sub, i), "name"), subs[i].name);
		assert_string_equal(fstr(item(sub, i), "value"), subs[i].value);
	}
	assert_string_equal(fstr(item(sub, 7), "name"), "CLIENT_CERT");
	assert_false(has(item(sub, 7), "value"));
	assert_int_equal(fint(item(sub, 7), "length"), sizeof(der));
	assert_string_equal(fstr(item(sub, 7), "hex"), "3082010a0201");
	assert_string_equal(fstr(item(sub, 8), "name"), "UNKNOWN");
	assert_string_equal(fstr(item(sub, 8), "hex"), "0102");
	json_object_put(d.arr);
}

static void test_tlv_ssl_not_verified(void **state)
{
	__u8 b[] = {0x20, 0x00, 0x05, 0x07, 0x00, 0x00, 0x00, 0x13};
	struct decoded d;
	struct json_object *o;

	(void)state;
	decode(&d, b, sizeof(b));
	assert_int_equal(d.ret, 0);
	o = item(d.arr, 0);
	assert_int_equal(fint(o, "verify"), 19);
	assert_false(json_object_get_boolean(field(o, "verified")));
	assert_int_equal(json_object_array_length(field(o, "client_flags")), 3);
	assert_int_equal(json_object_array_length(field(o, "sub")), 0);
	json_object_put(d.arr);
}

static void test_tlv_ssl_malformed(void **state)
{
	/* shorter than client + verify */
	__u8 s1[] = {0x20, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00};
	/* a sub-TLV longer than the SSL value, after a NOOP */
	__u8 s2[] = {0x04, 0x00, 0x00, 0x20, 0x00, 0x0a, 0x01, 0x00,
		     0x00, 0x00, 0x00, 0x21, 0x00, 0x09, 'T',  'L'};
	struct decoded d;

	(void)state;
	decode(&d, s1, sizeof(s1));
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_BAD_TLV);
	assert_int_equal(d.info.err_off, 0);
	json_object_put(d.arr);

	decode(&d, s2, sizeof(s2));
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_BAD_TLV);
	/* NOOP (3) + SSL header (3) + client/verify (5) */
	assert_int_equal(d.info.err_off, 11);
	assert_string_equal(
		fstr(item(field(item(d.arr, 1), "sub"), 0), "error"),
		"v2_bad_tlv");
	json_object_put(d.arr);
}

static void test_tlv_netns(void **state)
{
	__u8 b[] = {0x30, 0x00, 0x04, 'b', 'l', 'u', 'e'};
	struct decoded d;

	(void)state;
	decode(&d, b, sizeof(b));
	assert_int_equal(d.ret, 0);
	assert_string_equal(fstr(item(d.arr, 0), "name"), "NETNS");
	assert_string_equal(fstr(item(d.arr, 0), "value"), "blue");
	json_object_put(d.arr);
}

static void test_tlv_aws(void **state)
{
	const char *id = "vpce-08d2bf15fac5001c9";
	__u8 v[32], b[64];
	size_t n = 0;
	struct decoded d;

	(void)state;
	v[0] = 0x01;
	memcpy(v + 1, id, strlen(id));
	put_tlv(b, &n, 0xea, v, 1 + strlen(id));
	v[0] = 0x02;
	put_tlv(b, &n, 0xea, v, 3);
	decode(&d, b, n);
	assert_int_equal(d.ret, 0);
	assert_string_equal(fstr(item(d.arr, 0), "name"), "AWS");
	assert_int_equal(fint(item(d.arr, 0), "subtype"), 1);
	assert_string_equal(fstr(item(d.arr, 0), "vpce_id"), id);
	/* another sub-type: hex only */
	assert_int_equal(fint(item(d.arr, 1), "subtype"), 2);
	assert_false(has(item(d.arr, 1), "vpce_id"));
	json_object_put(d.arr);

	n = 0;
	put_tlv(b, &n, 0xea, NULL, 0);
	decode(&d, b, n);
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_BAD_TLV);
	json_object_put(d.arr);
}

static void test_tlv_azure(void **state)
{
	__u8 b[] = {0xee, 0x00, 0x05, 0x01, 0x78, 0x56, 0x34, 0xf2};
	__u8 bad[] = {0xee, 0x00, 0x04, 0x01, 0x78, 0x56, 0x34};
	struct decoded d;

	(void)state;
	decode(&d, b, sizeof(b));
	assert_int_equal(d.ret, 0);
	assert_string_equal(fstr(item(d.arr, 0), "name"), "AZURE");
	assert_int_equal(fint(item(d.arr, 0), "subtype"), 1);
	/* little-endian u32, above INT32_MAX */
	assert_int_equal(fint(item(d.arr, 0), "link_id"), 0xf2345678);
	json_object_put(d.arr);

	decode(&d, bad, sizeof(bad));
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_BAD_TLV);
	json_object_put(d.arr);
}

static void test_tlv_gcp(void **state)
{
	__u8 b[] = {0xe0, 0x00, 0x08, 0xfe, 0xdc, 0xba,
		    0x98, 0x76, 0x54, 0x32, 0x10};
	__u8 bad[] = {0xe0, 0x00, 0x04, 1, 2, 3, 4};
	struct decoded d;

	(void)state;
	decode(&d, b, sizeof(b));
	assert_int_equal(d.ret, 0);
	assert_string_equal(fstr(item(d.arr, 0), "name"), "GCP");
	/* big-endian u64, above INT64_MAX */
	assert_true(json_object_get_uint64(
			    field(item(d.arr, 0), "connection_id")) ==
		    0xfedcba9876543210ULL);
	assert_non_null(strstr(json_object_to_json_string(d.arr),
			       "18364758544493064720"));
	json_object_put(d.arr);

	decode(&d, bad, sizeof(bad));
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_BAD_TLV);
	json_object_put(d.arr);
}

static void test_tlv_unknown_types(void **state)
{
	__u8 b[32];
	size_t n = 0;
	struct decoded d;

	(void)state;
	put_tlv(b, &n, 0x99, "\xde\xad", 2);
	put_tlv(b, &n, 0xe5, "\x01", 1);
	put_tlv(b, &n, 0xf1, "", 0);
	put_tlv(b, &n, 0xf9, "\xff", 1);
	decode(&d, b, n);
	assert_int_equal(d.ret, 0);
	assert_int_equal(d.info.count, 4);
	assert_string_equal(fstr(item(d.arr, 0), "name"), "UNKNOWN");
	assert_int_equal(fint(item(d.arr, 0), "type"), 0x99);
	assert_string_equal(fstr(item(d.arr, 0), "hex"), "dead");
	assert_string_equal(fstr(item(d.arr, 1), "name"), "APP_SPECIFIC");
	assert_string_equal(fstr(item(d.arr, 2), "name"), "EXPERIMENTAL");
	assert_string_equal(fstr(item(d.arr, 3), "name"), "FUTURE");
	json_object_put(d.arr);
}

static void test_tlv_overrun(void **state)
{
	/* ALPN, then a TLV claiming 5 bytes with 2 left */
	__u8 b1[] = {0x01, 0x00, 0x01, 'x', 0x02, 0x00, 0x05, 'a', 'b'};
	/* a TLV header cut after 2 bytes */
	__u8 b2[] = {0x04, 0x00, 0x00, 0x04, 0x00};
	struct decoded d;

	(void)state;
	decode(&d, b1, sizeof(b1));
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_TLV_OVERRUN);
	assert_int_equal(d.info.err_off, 4);
	assert_int_equal(json_object_array_length(d.arr), 2);
	assert_string_equal(fstr(item(d.arr, 1), "error"), "v2_tlv_overrun");
	json_object_put(d.arr);

	decode(&d, b2, sizeof(b2));
	assert_int_equal(d.ret, -EINVAL);
	assert_int_equal(d.info.error, PP_ERR_V2_TLV_OVERRUN);
	assert_int_equal(d.info.err_off, 3);
	json_object_put(d.arr);
}

/* Bytes that are not UTF-8 still give valid JSON */
static void test_tlv_binary_text_is_valid_json(void **state)
{
	__u8 b[] = {0x01, 0x00, 0x06, 'a', 0xff, '"', '\\', 0x00, 0xc3};
	struct json_object *back;
	struct decoded d;

	(void)state;
	decode(&d, b, sizeof(b));
	assert_int_equal(d.ret, 0);
	assert_string_equal(fstr(item(d.arr, 0), "value"),
			    "a\\xff\"\\\\\\x00\\xc3");
	back = json_tokener_parse(json_object_to_json_string(d.arr));
	assert_non_null(back);
	json_object_put(back);
	json_object_put(d.arr);
}

static void test_tlv_bad_args(void **state)
{
	struct json_object *arr = json_object_new_array();
	struct pp_tlv_info info;

	(void)state;
	assert_int_equal(pp_tlv_decode(NULL, 3, NULL, 0, 0, arr, &info),
			 -EINVAL);
	assert_int_equal(json_object_array_length(arr), 0);
	json_object_put(arr);
	assert_int_equal(
		pp_tlv_decode((const __u8 *)"", 0, NULL, 0, 0, NULL, &info),
		-EINVAL);
}

static void test_tlv_text_printer(void **state)
{
	__u8 b[64], ssl[32];
	size_t n = 0, sn = 5;
	struct decoded d;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;

	(void)state;
	memset(ssl, 0, 5);
	ssl[0] = 1;
	put_tlv(ssl, &sn, 0x21, "TLSv1.2", 7);
	put_tlv(b, &n, 0x01, "h2", 2);
	put_tlv(b, &n, 0x20, ssl, sn);
	put_tlv(b, &n, 0x04, "\0\0", 2);
	decode(&d, b, n);
	f = open_memstream(&text, &tlen);
	assert_non_null(f);
	pp_tlv_print(f, d.arr, "> ", 0);
	fclose(f);
	assert_non_null(strstr(text, "> 0x01 ALPN"));
	assert_non_null(strstr(text, "value \"h2\""));
	assert_non_null(strstr(text, "> 0x20 SSL"));
	assert_non_null(strstr(text, "client_flags [ssl]"));
	/* sub-TLVs one level deeper */
	assert_non_null(strstr(text, ">     0x21 VERSION"));
	assert_non_null(strstr(text, "value \"TLSv1.2\""));
	/* nothing decoded: the hex is shown */
	assert_non_null(strstr(text, "0x04 NOOP         length 2 hex 0000"));
	free(text);
	json_object_put(d.arr);
}

/* ---- names ---- */

static void test_names_errors(void **state)
{
	static const char *const want[] = {
		"none",		 "v1_no_crlf",	   "v1_bad_eol",
		"v1_bad_sig",	 "v1_bad_proto",   "v1_bad_sep",
		"v1_bad_addr4",	 "v1_bad_addr6",   "v1_bad_port",
		"v1_trailing",	 "v2_bad_version", "v2_bad_command",
		"v2_bad_family", "v2_short_addr",  "v2_tlv_overrun",
		"v2_bad_crc",	 "v2_bad_tlv",
	};
	unsigned int i;

	(void)state;
	assert_int_equal(sizeof(want) / sizeof(want[0]), PP_ERR_MAX);
	for (i = 0; i < PP_ERR_MAX; i++) {
		assert_string_equal(pp_error_str(i), want[i]);
		assert_int_equal(pp_error_from_str(want[i]), i);
	}
	assert_string_equal(pp_error_str(PP_ERR_MAX), "unknown");
	assert_int_equal(pp_error_from_str("nope"), -EINVAL);
	assert_int_equal(pp_error_from_str(NULL), -EINVAL);
}

static void test_names_reasons_actions(void **state)
{
	/* DESIGN.md section 4, in enum pp_reason order */
	static const char *const reasons[] = {
		"trusted_header",   "untrusted_header",
		"malformed_header", "version_not_allowed",
		"stacked_header",   "missing_header",
		"healthcheck",	    "denied_client",
		"blocked_source",   "fragment",
		"prefix_mismatch",  "no_header",
	};
	static const char *const actions[] = {"pass", "drop", "reset", "log"};
	unsigned int i;

	(void)state;
	assert_int_equal(sizeof(reasons) / sizeof(reasons[0]), PP_R_MAX);
	for (i = 0; i < PP_R_MAX; i++) {
		assert_string_equal(pp_reason_str(i), reasons[i]);
		assert_int_equal(pp_reason_from_str(reasons[i]), i);
	}
	assert_string_equal(pp_reason_str(PP_R_MAX), "unknown");
	for (i = 0; i < PP_ACT_MAX; i++) {
		assert_string_equal(pp_action_str(i), actions[i]);
		assert_int_equal(pp_action_from_str(actions[i]), i);
	}
	assert_string_equal(pp_action_str(PP_ACT_MAX), "unknown");
	assert_int_equal(pp_action_from_str("DROP"), -EINVAL);
}

static void test_names_small_enums(void **state)
{
	(void)state;
	assert_string_equal(pp_result_str(PP_RES_HEADER), "header");
	assert_string_equal(pp_result_str(PP_RES_NEED_MORE), "need_more");
	assert_string_equal(pp_result_str(PP_RES_NOT_PROXY), "not_proxy");
	assert_string_equal(pp_result_str(PP_RES_INVALID), "invalid");
	assert_string_equal(pp_family_str(PP_FAM_UNSPEC), "UNSPEC");
	assert_string_equal(pp_family_str(PP_FAM_INET), "INET");
	assert_string_equal(pp_family_str(PP_FAM_INET6), "INET6");
	assert_string_equal(pp_family_str(PP_FAM_UNIX), "UNIX");
	assert_string_equal(pp_family_str(4), "unknown");
	assert_string_equal(pp_transport_str(PP_TRANS_UNSPEC), "UNSPEC");
	assert_string_equal(pp_transport_str(PP_TRANS_STREAM), "STREAM");
	assert_string_equal(pp_transport_str(PP_TRANS_DGRAM), "DGRAM");
	assert_string_equal(pp_transport_str(3), "unknown");
	assert_string_equal(pp_command_str(PP_CMD_LOCAL), "LOCAL");
	assert_string_equal(pp_command_str(PP_CMD_PROXY), "PROXY");
	assert_string_equal(pp_command_str(2), "unknown");
	assert_string_equal(pp_class_str(PP_CLASS_NONE), "none");
	assert_string_equal(pp_class_str(PP_CLASS_TLS), "tls");
	assert_string_equal(pp_class_str(PP_CLASS_HTTP), "http");
	assert_string_equal(pp_class_str(PP_CLASS_OTHER), "other");
	assert_string_equal(pp_class_str(PP_CLASS_PROXY), "proxy");
	assert_string_equal(pp_next_str(PP_NEXT_NONE), "none");
	assert_string_equal(pp_next_str(PP_NEXT_PARTIAL), "partial");
	assert_string_equal(pp_next_str(PP_NEXT_STACKED), "stacked");
	assert_string_equal(pp_next_str(PP_NEXT_DATA), "data");
	assert_string_equal(pp_hook_str(PP_HOOK_XDP), "xdp");
	assert_string_equal(pp_crc_verdict_str(PP_CRC_ABSENT), "absent");
	assert_string_equal(pp_crc_verdict_str(PP_CRC_INVALID), "invalid");
}

/* ---- formatting ---- */

static void test_addr_fmt(void **state)
{
	__u8 a4[16] = {198, 18, 0, 1};
	__u8 a6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		       0,    0,	   0,	 0,    0, 0, 0, 1};
	__u8 m6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
	__u8 z6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		       0,    1,	   0,	 0,    0, 0, 0, 1};
	char buf[PP_SOCKADDR_STRLEN];

	(void)state;
	assert_string_equal(pp_addr_fmt(PP_FAM_INET, a4, buf, sizeof(buf)),
			    "198.18.0.1");
	/* RFC 5952: lower case, longest zero run compressed, first one on a
	 * tie, embedded IPv4 for mapped addresses */
	assert_string_equal(pp_addr_fmt(PP_FAM_INET6, a6, buf, sizeof(buf)),
			    "2001:db8::1");
	assert_string_equal(pp_addr_fmt(PP_FAM_INET6, m6, buf, sizeof(buf)),
			    "::ffff:1.2.3.4");
	assert_string_equal(pp_addr_fmt(PP_FAM_INET6, z6, buf, sizeof(buf)),
			    "2001:db8::1:0:0:1");
	assert_string_equal(pp_ipaddr_fmt(4, a4, buf, sizeof(buf)),
			    "198.18.0.1");
	assert_string_equal(pp_ipaddr_fmt(6, a6, buf, sizeof(buf)),
			    "2001:db8::1");
	assert_string_equal(
		pp_sockaddr_fmt(PP_FAM_INET6, a6, 443, buf, sizeof(buf)),
		"[2001:db8::1]:443");
	assert_string_equal(
		pp_sockaddr_fmt(PP_FAM_INET, a4, 65535, buf, sizeof(buf)),
		"198.18.0.1:65535");

	errno = 0;
	assert_null(pp_addr_fmt(PP_FAM_UNIX, a4, buf, sizeof(buf)));
	assert_int_equal(errno, EAFNOSUPPORT);
	assert_null(pp_ipaddr_fmt(5, a4, buf, sizeof(buf)));
	assert_null(pp_addr_fmt(PP_FAM_INET6, a6, buf, 5));
	assert_null(pp_sockaddr_fmt(PP_FAM_INET, a4, 443, buf, 12));
}

static void test_str_escape(void **state)
{
	const __u8 utf8[] = "caf\xc3\xa9";
	char buf[64];

	(void)state;
	assert_int_equal(pp_str_escape((const __u8 *)"abc", 3, buf, 64), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(pp_str_escape(utf8, 5, buf, 64), 5);
	assert_string_equal(buf, "caf\xc3\xa9");
	pp_str_escape((const __u8 *)"a\\b\n\x7f", 5, buf, 64);
	assert_string_equal(buf, "a\\\\b\\x0a\\x7f");
	/* overlong "/", a surrogate, a C1 control, a cut sequence */
	pp_str_escape((const __u8 *)"\xc0\xaf\xed\xa0\x80\xc2\x85\xe2\x82", 9,
		      buf, 64);
	assert_string_equal(buf, "\\xc0\\xaf\\xed\\xa0\\x80\\xc2\\x85"
				 "\\xe2\\x82");
	/* too small: units are never split, the needed length is returned */
	assert_int_equal(pp_str_escape((const __u8 *)"ab\x01", 3, buf, 5), 6);
	assert_string_equal(buf, "ab");
	assert_int_equal(pp_str_escape(utf8, 5, buf, 5), 5);
	assert_string_equal(buf, "caf");
	assert_int_equal(pp_str_escape(utf8, 5, NULL, 0), 5);
}

static void test_hex(void **state)
{
	char buf[9];

	(void)state;
	assert_string_equal(pp_hex((const __u8 *)"\x00\x1f\xa0\xff", 4, buf),
			    "001fa0ff");
	assert_string_equal(pp_hex((const __u8 *)"", 0, buf), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_check_value),
		cmocka_unit_test(test_crc32c_rfc3720),
		cmocka_unit_test(test_crc32c_update),
		cmocka_unit_test(test_tlv_empty),
		cmocka_unit_test(test_tlv_alpn),
		cmocka_unit_test(test_tlv_authority),
		cmocka_unit_test(test_tlv_noop),
		cmocka_unit_test(test_tlv_unique_id),
		cmocka_unit_test(test_tlv_crc_valid_invalid),
		cmocka_unit_test(test_tlv_crc_off_and_unchecked),
		cmocka_unit_test(test_tlv_crc_bad_length),
		cmocka_unit_test(test_tlv_ssl),
		cmocka_unit_test(test_tlv_ssl_not_verified),
		cmocka_unit_test(test_tlv_ssl_malformed),
		cmocka_unit_test(test_tlv_netns),
		cmocka_unit_test(test_tlv_aws),
		cmocka_unit_test(test_tlv_azure),
		cmocka_unit_test(test_tlv_gcp),
		cmocka_unit_test(test_tlv_unknown_types),
		cmocka_unit_test(test_tlv_overrun),
		cmocka_unit_test(test_tlv_binary_text_is_valid_json),
		cmocka_unit_test(test_tlv_bad_args),
		cmocka_unit_test(test_tlv_text_printer),
		cmocka_unit_test(test_names_errors),
		cmocka_unit_test(test_names_reasons_actions),
		cmocka_unit_test(test_names_small_enums),
		cmocka_unit_test(test_addr_fmt),
		cmocka_unit_test(test_str_escape),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests_name("cli_tlv", tests, NULL, NULL);
}
