/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PROXY v2 TLV decoding into json-c objects, shared by `ppguard parse` and
 * the daemon's events. The text printer works from the same objects, so
 * both outputs always agree.
 *
 * Each TLV becomes {"type":N,"name":"ALPN",<decoded fields>,"length":N,
 * "hex":"..."}; a TLV that breaks its type's rules also has "error" (an
 * enum pp_error name) and "detail" (one line of text).
 */
#ifndef PPGUARD_TLV_H
#define PPGUARD_TLV_H

#include <stdio.h>
#include <json-c/json.h>

#include "ppguard.h"

#define PP_UNIQUE_ID_MAX 128 /* UNIQUE_ID value, bytes */
#define PP_AUTHORITY_MAX 255 /* HAProxy's cap; longer is only noted */

/* SSL TLV sub-types and client flags */
#define PP_SUBTLV_SSL_VERSION 0x21
#define PP_SUBTLV_SSL_CN 0x22
#define PP_SUBTLV_SSL_CIPHER 0x23
#define PP_SUBTLV_SSL_SIG_ALG 0x24
#define PP_SUBTLV_SSL_KEY_ALG 0x25
#define PP_SUBTLV_SSL_GROUP 0x26
#define PP_SUBTLV_SSL_SIG_SCHEME 0x27
#define PP_SUBTLV_SSL_CLIENT_CERT 0x28
#define PP_CLIENT_SSL 0x01
#define PP_CLIENT_CERT_CONN 0x02
#define PP_CLIENT_CERT_SESS 0x04

/* Vendor sub-types */
#define PP_AWS_VPCE_ID 0x01
#define PP_AZURE_LINKID 0x01

enum pp_crc_verdict {
	PP_CRC_ABSENT = 0,    /* no CRC32C TLV */
	PP_CRC_VALID = 1,     /* every CRC32C TLV matches the header */
	PP_CRC_INVALID = 2,   /* one does not: the header is invalid */
	PP_CRC_UNCHECKED = 3, /* present, but the whole header was not given */
};

/* "absent", "valid", "invalid", "unchecked" */
const char *pp_crc_verdict_str(int v);
/* "ALPN", "AUTHORITY", ..., "UNKNOWN" (type outside the table) */
const char *pp_tlv_name(__u8 type);
/* "VERSION", "CN", ..., "CLIENT_CERT", "UNKNOWN" */
const char *pp_ssl_sub_name(__u8 type);

struct pp_tlv_info {
	int crc;       /* enum pp_crc_verdict */
	__u32 count;   /* top-level TLVs decoded */
	__u8 error;    /* enum pp_error of the first problem, PP_ERR_NONE */
	__u32 err_off; /* its offset from the start of the TLV area */
	__u32 crc_value, crc_computed; /* the last CRC32C TLV checked */
};

/*
 * Decode the TLV area tlv[0..len) and append one object per TLV to arr (a
 * json array). hdr[0..hdr_len) is the whole header, for the CRC32C check:
 * the CRC is computed over it with the TLV's value zeroed. When tlv points
 * into hdr, the CRC field's position follows from the pointers; otherwise
 * crc_off (struct pp_hdr's crc_off, an offset into hdr) names it. hdr may
 * be NULL: the CRC is then "unchecked".
 *
 * Returns 0; -EINVAL when a TLV is malformed or a CRC32C does not match
 * (info->error says which: v2_tlv_overrun, v2_bad_tlv or v2_bad_crc; the
 * objects decoded so far are in arr); -ENOMEM. info may be NULL.
 */
int pp_tlv_decode(const __u8 *tlv, __u32 len, const __u8 *hdr, __u32 hdr_len,
		  __u32 crc_off, struct json_object *arr,
		  struct pp_tlv_info *info);

/* The same, reporting only the CRC verdict (enum pp_crc_verdict). */
int pp_tlv_to_json(const __u8 *tlv, __u32 len, const __u8 *hdr, __u32 hdr_len,
		   __u32 crc_off, struct json_object *arr, int *crc_verdict);

/*
 * Print a decoded array as text, one TLV per line (SSL sub-TLVs indented
 * below), each line starting with indent. Long hex dumps are cut at 32
 * bytes unless full is set.
 */
void pp_tlv_print(FILE *f, struct json_object *arr, const char *indent,
		  int full);

#endif /* PPGUARD_TLV_H */
