// SPDX-License-Identifier: GPL-2.0
/*
 * PROXY v2 TLV decoding (PROXY-SPEC.md, the TLV table) into json-c objects,
 * and a text printer over those objects. Independent of any command: the
 * daemon decodes the TLV bytes of its events with the same functions.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "pp_parse.h"
#include "tlv.h"

#define HEX_TEXT_MAX 32 /* bytes of hex the text printer shows by default */

const char *pp_crc_verdict_str(int v)
{
	switch (v) {
	case PP_CRC_ABSENT:
		return "absent";
	case PP_CRC_VALID:
		return "valid";
	case PP_CRC_INVALID:
		return "invalid";
	case PP_CRC_UNCHECKED:
		return "unchecked";
	}
	return "unknown";
}

const char *pp_tlv_name(__u8 type)
{
	switch (type) {
	case PP_TLV_ALPN:
		return "ALPN";
	case PP_TLV_AUTHORITY:
		return "AUTHORITY";
	case PP_TLV_CRC32C:
		return "CRC32C";
	case PP_TLV_NOOP:
		return "NOOP";
	case PP_TLV_UNIQUE_ID:
		return "UNIQUE_ID";
	case PP_TLV_SSL:
		return "SSL";
	case PP_TLV_NETNS:
		return "NETNS";
	case PP_TLV_GCP:
		return "GCP";
	case PP_TLV_AWS:
		return "AWS";
	case PP_TLV_AZURE:
		return "AZURE";
	}
	if (type >= 0xe0 && type <= 0xef)
		return "APP_SPECIFIC";
	if (type >= 0xf0 && type <= 0xf7)
		return "EXPERIMENTAL";
	if (type >= 0xf8)
		return "FUTURE";
	return "UNKNOWN";
}

const char *pp_ssl_sub_name(__u8 type)
{
	switch (type) {
	case PP_SUBTLV_SSL_VERSION:
		return "VERSION";
	case PP_SUBTLV_SSL_CN:
		return "CN";
	case PP_SUBTLV_SSL_CIPHER:
		return "CIPHER";
	case PP_SUBTLV_SSL_SIG_ALG:
		return "SIG_ALG";
	case PP_SUBTLV_SSL_KEY_ALG:
		return "KEY_ALG";
	case PP_SUBTLV_SSL_GROUP:
		return "GROUP";
	case PP_SUBTLV_SSL_SIG_SCHEME:
		return "SIG_SCHEME";
	case PP_SUBTLV_SSL_CLIENT_CERT:
		return "CLIENT_CERT";
	}
	return "UNKNOWN";
}

/* ---- json helpers: each returns 0 or -ENOMEM ---- */

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v)
		return -ENOMEM;
	if (json_object_object_add(o, key, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

static int add_int(struct json_object *o, const char *key, int64_t v)
{
	return add(o, key, json_object_new_int64(v));
}

static int add_str(struct json_object *o, const char *key, const char *s)
{
	return add(o, key, json_object_new_string(s));
}

/* Bytes from the wire as a JSON string: escaped so the output stays valid
 * UTF-8 whatever they are (pp_str_escape). */
static int add_text(struct json_object *o, const char *key, const __u8 *p,
		    size_t n)
{
	size_t need = pp_str_escape(p, n, NULL, 0) + 1;
	char *s = malloc(need);
	int err;

	if (!s)
		return -ENOMEM;
	pp_str_escape(p, n, s, need);
	err = add_str(o, key, s);
	free(s);
	return err;
}

static int add_hex(struct json_object *o, const char *key, const __u8 *p,
		   size_t n)
{
	char *s = malloc(2 * n + 1);
	int err;

	if (!s)
		return -ENOMEM;
	err = add_str(o, key, pp_hex(p, n, s));
	free(s);
	return err;
}

static int add_u32hex(struct json_object *o, const char *key, __u32 v)
{
	char s[11];

	snprintf(s, sizeof(s), "0x%08x", v);
	return add_str(o, key, s);
}

static __u32 be32(const __u8 *p)
{
	return ((__u32)p[0] << 24) | ((__u32)p[1] << 16) | ((__u32)p[2] << 8) |
	       p[3];
}

/* Decoding state of one area (the top level or the SSL sub-TLVs) */
struct walk {
	const __u8 *hdr;
	__u32 hdr_len;
	__u32 crc_off;	/* caller's crc_off */
	__u32 area_off; /* offset of the area in hdr, or UINT32_MAX */
	__u32 base;	/* offset of the area from the top-level area */
	struct pp_tlv_info *info;
};

/* Record the first problem; the TLV's object says what it was. */
static int tlv_error(struct walk *w, struct json_object *o, int err, __u32 off,
		     const char *detail)
{
	int r;

	if (w->info->error == PP_ERR_NONE) {
		w->info->error = err;
		w->info->err_off = w->base + off;
	}
	r = add_str(o, "error", pp_error_str(err));
	return r ? r : add_str(o, "detail", detail);
}

static int crc_rank(int verdict)
{
	static const int rank[] = {
		[PP_CRC_ABSENT] = 0,
		[PP_CRC_VALID] = 1,
		[PP_CRC_UNCHECKED] = 2,
		[PP_CRC_INVALID] = 3,
	};

	return rank[verdict];
}

static int decode_crc(struct walk *w, struct json_object *o, const __u8 *v,
		      __u32 l, __u32 off)
{
	__u32 pos, got, want;
	int verdict, r;
	static const __u8 zero[4];

	if (l != 4)
		return tlv_error(w, o, PP_ERR_V2_BAD_TLV, off,
				 "CRC32C value is not 4 bytes");
	got = be32(v);
	r = add_u32hex(o, "value", got);
	if (r)
		return r;
	/* where the value sits in the whole header */
	if (w->area_off != UINT32_MAX)
		pos = w->area_off + off + 3;
	else
		pos = w->crc_off;
	if (!w->hdr || !pos || pos > w->hdr_len || w->hdr_len - pos < 4) {
		verdict = PP_CRC_UNCHECKED;
	} else {
		want = pp_crc32c_update(0, w->hdr, pos);
		want = pp_crc32c_update(want, zero, 4);
		want = pp_crc32c_update(want, w->hdr + pos + 4,
					w->hdr_len - pos - 4);
		r = add_u32hex(o, "computed", want);
		if (r)
			return r;
		verdict = want == got ? PP_CRC_VALID : PP_CRC_INVALID;
		w->info->crc_value = got;
		w->info->crc_computed = want;
	}
	/* several CRC32C TLVs: the worst verdict wins */
	if (crc_rank(verdict) > crc_rank(w->info->crc))
		w->info->crc = verdict;
	r = add_str(o, "verdict", pp_crc_verdict_str(verdict));
	if (r)
		return r;
	if (verdict == PP_CRC_INVALID)
		return tlv_error(w, o, PP_ERR_V2_BAD_CRC, off,
				 "CRC32C does not match the header");
	return 0;
}

static int walk_area(struct walk *w, const __u8 *p, __u32 len, int ssl,
		     struct json_object *arr);

static int decode_ssl(struct walk *w, struct json_object *o, const __u8 *v,
		      __u32 l, __u32 off)
{
	struct json_object *flags, *sub;
	struct walk sw = *w;
	__u32 verify;
	int r;

	if (l < 5)
		return tlv_error(w, o, PP_ERR_V2_BAD_TLV, off,
				 "SSL value shorter than client + verify");
	verify = be32(v + 1);
	r = add_int(o, "client", v[0]);
	if (r)
		return r;
	flags = json_object_new_array();
	r = add(o, "client_flags", flags);
	if (r)
		return r;
	if ((v[0] & PP_CLIENT_SSL) &&
	    json_object_array_add(flags, json_object_new_string("ssl")))
		return -ENOMEM;
	if ((v[0] & PP_CLIENT_CERT_CONN) &&
	    json_object_array_add(flags, json_object_new_string("cert_conn")))
		return -ENOMEM;
	if ((v[0] & PP_CLIENT_CERT_SESS) &&
	    json_object_array_add(flags, json_object_new_string("cert_sess")))
		return -ENOMEM;
	r = add_int(o, "verify", verify);
	if (r)
		return r;
	r = add(o, "verified", json_object_new_boolean(verify == 0));
	if (r)
		return r;
	sub = json_object_new_array();
	r = add(o, "sub", sub);
	if (r)
		return r;
	sw.base = w->base + off + 3 + 5;
	sw.area_off = w->area_off == UINT32_MAX ? UINT32_MAX
						: w->area_off + off + 3 + 5;
	return walk_area(&sw, v + 5, l - 5, 1, sub);
}

static int decode_value(struct walk *w, struct json_object *o, __u8 t,
			const __u8 *v, __u32 l, __u32 off, int ssl)
{
	char d[64];

	if (ssl) {
		if (t >= PP_SUBTLV_SSL_VERSION && t < PP_SUBTLV_SSL_CLIENT_CERT)
			return add_text(o, "value", v, l);
		return 0; /* CLIENT_CERT (DER) and unknown: hex only */
	}
	switch (t) {
	case PP_TLV_ALPN:
	case PP_TLV_NETNS:
		return add_text(o, "value", v, l);
	case PP_TLV_AUTHORITY: {
		int r = add_text(o, "value", v, l);

		if (!r && l > PP_AUTHORITY_MAX)
			r = add_str(o, "note",
				    "longer than 255 bytes: "
				    "HAProxy rejects it");
		return r;
	}
	case PP_TLV_CRC32C:
		return decode_crc(w, o, v, l, off);
	case PP_TLV_UNIQUE_ID:
		if (l > PP_UNIQUE_ID_MAX) {
			snprintf(d, sizeof(d),
				 "UNIQUE_ID of %u bytes, at most %d allowed", l,
				 PP_UNIQUE_ID_MAX);
			return tlv_error(w, o, PP_ERR_V2_BAD_TLV, off, d);
		}
		return 0;
	case PP_TLV_SSL:
		return decode_ssl(w, o, v, l, off);
	case PP_TLV_GCP: {
		__u64 id;

		if (l != 8)
			return tlv_error(w, o, PP_ERR_V2_BAD_TLV, off,
					 "GCP connection id is not 8 bytes");
		id = ((__u64)be32(v) << 32) | be32(v + 4);
		return add(o, "connection_id", json_object_new_uint64(id));
	}
	case PP_TLV_AWS:
		if (l < 1)
			return tlv_error(w, o, PP_ERR_V2_BAD_TLV, off,
					 "AWS TLV without a sub-type");
		if (add_int(o, "subtype", v[0]))
			return -ENOMEM;
		if (v[0] == PP_AWS_VPCE_ID)
			return add_text(o, "vpce_id", v + 1, l - 1);
		return 0;
	case PP_TLV_AZURE:
		if (l < 1)
			return tlv_error(w, o, PP_ERR_V2_BAD_TLV, off,
					 "Azure TLV without a sub-type");
		if (add_int(o, "subtype", v[0]))
			return -ENOMEM;
		if (v[0] != PP_AZURE_LINKID)
			return 0;
		if (l != 5)
			return tlv_error(w, o, PP_ERR_V2_BAD_TLV, off,
					 "Azure link id is not 4 bytes");
		return add_int(o, "link_id",
			       (__u32)v[1] | ((__u32)v[2] << 8) |
				       ((__u32)v[3] << 16) |
				       ((__u32)v[4] << 24));
	}
	return 0; /* NOOP and unknown types: hex only */
}

/* Walk type-length-value triples in p[0..len) (top level or SSL sub-TLVs),
 * appending an object per TLV to arr. */
static int walk_area(struct walk *w, const __u8 *p, __u32 len, int ssl,
		     struct json_object *arr)
{
	__u32 off = 0;
	int r;

	while (off < len) {
		struct json_object *o = json_object_new_object();
		__u32 l;
		__u8 t;

		if (!o || json_object_array_add(arr, o)) {
			json_object_put(o);
			return -ENOMEM;
		}
		t = p[off];
		if ((r = add_int(o, "type", t)) ||
		    (r = add_str(o, "name",
				 ssl ? pp_ssl_sub_name(t) : pp_tlv_name(t))))
			return r;
		if (len - off < 3) {
			r = tlv_error(
				w, o,
				ssl ? PP_ERR_V2_BAD_TLV : PP_ERR_V2_TLV_OVERRUN,
				off, "TLV header cut by the end of the area");
			return r ? r : -EINVAL;
		}
		l = ((__u32)p[off + 1] << 8) | p[off + 2];
		if (l > len - off - 3) {
			r = tlv_error(w, o,
				      ssl ? PP_ERR_V2_BAD_TLV
					  : PP_ERR_V2_TLV_OVERRUN,
				      off,
				      ssl ? "sub-TLV runs past the SSL TLV"
					  : "TLV runs past the header");
			if (!r)
				r = add_int(o, "length", l);
			return r ? r : -EINVAL;
		}
		r = decode_value(w, o, t, p + off + 3, l, off, ssl);
		if (r && r != -EINVAL)
			return r;
		if ((r = add_int(o, "length", l)) ||
		    (r = add_hex(o, "hex", p + off + 3, l)))
			return r;
		if (!ssl)
			w->info->count++;
		off += 3 + l;
	}
	return 0;
}

int pp_tlv_decode(const __u8 *tlv, __u32 len, const __u8 *hdr, __u32 hdr_len,
		  __u32 crc_off, struct json_object *arr,
		  struct pp_tlv_info *info)
{
	struct pp_tlv_info dummy;
	struct walk w = {
		.hdr = hdr,
		.hdr_len = hdr_len,
		.crc_off = crc_off,
		.area_off = UINT32_MAX,
	};
	int r;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	w.info = info;
	if (!arr || (!tlv && len))
		return -EINVAL;
	/* is the area inside the header? then CRC positions follow */
	if (hdr && tlv) {
		uintptr_t h = (uintptr_t)hdr, t = (uintptr_t)tlv;

		if (t >= h && t - h <= hdr_len && len <= hdr_len - (t - h))
			w.area_off = t - h;
	}
	r = walk_area(&w, tlv, len, 0, arr);
	if (r == -ENOMEM)
		return r;
	return info->error != PP_ERR_NONE ? -EINVAL : 0;
}

int pp_tlv_to_json(const __u8 *tlv, __u32 len, const __u8 *hdr, __u32 hdr_len,
		   __u32 crc_off, struct json_object *arr, int *crc_verdict)
{
	struct pp_tlv_info info;
	int r = pp_tlv_decode(tlv, len, hdr, hdr_len, crc_off, arr, &info);

	if (crc_verdict)
		*crc_verdict = info.crc;
	return r;
}

/* ---- text ---- */

static int is_plain_key(const char *k)
{
	return !strcmp(k, "type") || !strcmp(k, "name") ||
	       !strcmp(k, "length") || !strcmp(k, "hex") || !strcmp(k, "sub");
}

static void print_one(FILE *f, struct json_object *o, const char *indent,
		      int depth, int full)
{
	struct json_object *v, *sub = NULL;
	const char *hex = NULL;
	int decoded = 0;

	fprintf(f, "%s%*s", indent, depth * 4, "");
	if (json_object_object_get_ex(o, "type", &v))
		fprintf(f, "0x%02x ", (unsigned int)json_object_get_int(v));
	if (json_object_object_get_ex(o, "name", &v))
		fprintf(f, "%-12s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "length", &v))
		fprintf(f, " length %d", json_object_get_int(v));
	json_object_object_foreach(o, key, val)
	{
		if (!strcmp(key, "hex"))
			hex = json_object_get_string(val);
		if (!strcmp(key, "sub"))
			sub = val;
		if (is_plain_key(key))
			continue;
		decoded = 1;
		switch (json_object_get_type(val)) {
		case json_type_string:
			fprintf(f, " %s \"%s\"", key,
				json_object_get_string(val));
			break;
		case json_type_array: {
			size_t i, n = json_object_array_length(val);

			fprintf(f, " %s [", key);
			for (i = 0; i < n; i++)
				fprintf(f, "%s%s", i ? "," : "",
					json_object_get_string(
						json_object_array_get_idx(val,
									  i)));
			fputc(']', f);
			break;
		}
		default:
			fprintf(f, " %s %s", key, json_object_get_string(val));
		}
	}
	/* raw bytes when nothing else says what the value is */
	if (hex && *hex && (!decoded || full)) {
		size_t n = strlen(hex);

		if (!full && n > 2 * HEX_TEXT_MAX)
			fprintf(f, " hex %.*s...", 2 * HEX_TEXT_MAX, hex);
		else
			fprintf(f, " hex %s", hex);
	}
	fputc('\n', f);
	if (sub) {
		size_t i, n = json_object_array_length(sub);

		for (i = 0; i < n; i++)
			print_one(f, json_object_array_get_idx(sub, i), indent,
				  depth + 1, full);
	}
}

void pp_tlv_print(FILE *f, struct json_object *arr, const char *indent,
		  int full)
{
	size_t i, n;

	if (!arr || !json_object_is_type(arr, json_type_array))
		return;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++)
		print_one(f, json_object_array_get_idx(arr, i),
			  indent ? indent : "", 0, full);
}
