// SPDX-License-Identifier: GPL-2.0
/*
 * Names of the shared enums as operators see them (CLI, JSON events, metric
 * labels), and address/byte formatting. One table per enum, indexed by the
 * value: a new enum value without a name fails the build (static_assert).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "ppguard.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NAME_OF(tbl, v) ((v) < ARRAY_SIZE(tbl) ? (tbl)[v] : "unknown")

static const char *const result_names[] = {
	[PP_RES_HEADER] = "header",
	[PP_RES_NEED_MORE] = "need_more",
	[PP_RES_NOT_PROXY] = "not_proxy",
	[PP_RES_INVALID] = "invalid",
};

static const char *const error_names[] = {
	[PP_ERR_NONE] = "none",
	[PP_ERR_V1_NO_CRLF] = "v1_no_crlf",
	[PP_ERR_V1_BAD_EOL] = "v1_bad_eol",
	[PP_ERR_V1_BAD_SIG] = "v1_bad_sig",
	[PP_ERR_V1_BAD_PROTO] = "v1_bad_proto",
	[PP_ERR_V1_BAD_SEP] = "v1_bad_sep",
	[PP_ERR_V1_BAD_ADDR4] = "v1_bad_addr4",
	[PP_ERR_V1_BAD_ADDR6] = "v1_bad_addr6",
	[PP_ERR_V1_BAD_PORT] = "v1_bad_port",
	[PP_ERR_V1_TRAILING] = "v1_trailing",
	[PP_ERR_V2_BAD_VERSION] = "v2_bad_version",
	[PP_ERR_V2_BAD_COMMAND] = "v2_bad_command",
	[PP_ERR_V2_BAD_FAMILY] = "v2_bad_family",
	[PP_ERR_V2_SHORT_ADDR] = "v2_short_addr",
	[PP_ERR_V2_TLV_OVERRUN] = "v2_tlv_overrun",
	[PP_ERR_V2_BAD_CRC] = "v2_bad_crc",
	[PP_ERR_V2_BAD_TLV] = "v2_bad_tlv",
};
_Static_assert(ARRAY_SIZE(error_names) == PP_ERR_MAX, "pp_error names");

/* DESIGN.md section 4: also the "reason" metric label */
static const char *const reason_names[] = {
	[PP_R_TRUSTED_HEADER] = "trusted_header",
	[PP_R_UNTRUSTED_HEADER] = "untrusted_header",
	[PP_R_MALFORMED_HEADER] = "malformed_header",
	[PP_R_VERSION_NOT_ALLOWED] = "version_not_allowed",
	[PP_R_STACKED_HEADER] = "stacked_header",
	[PP_R_MISSING_HEADER] = "missing_header",
	[PP_R_HEALTHCHECK] = "healthcheck",
	[PP_R_DENIED_CLIENT] = "denied_client",
	[PP_R_BLOCKED_SOURCE] = "blocked_source",
	[PP_R_FRAGMENT] = "fragment",
	[PP_R_PREFIX_MISMATCH] = "prefix_mismatch",
	[PP_R_NO_HEADER] = "no_header",
};
_Static_assert(ARRAY_SIZE(reason_names) == PP_R_MAX, "pp_reason names");

static const char *const action_names[] = {
	[PP_ACT_PASS] = "pass",
	[PP_ACT_DROP] = "drop",
	[PP_ACT_RESET] = "reset",
	[PP_ACT_LOG] = "log",
};
_Static_assert(ARRAY_SIZE(action_names) == PP_ACT_MAX, "pp_action names");

static const char *const family_names[] = {
	[PP_FAM_UNSPEC] = "UNSPEC",
	[PP_FAM_INET] = "INET",
	[PP_FAM_INET6] = "INET6",
	[PP_FAM_UNIX] = "UNIX",
};

static const char *const transport_names[] = {
	[PP_TRANS_UNSPEC] = "UNSPEC",
	[PP_TRANS_STREAM] = "STREAM",
	[PP_TRANS_DGRAM] = "DGRAM",
};

static const char *const command_names[] = {
	[PP_CMD_LOCAL] = "LOCAL",
	[PP_CMD_PROXY] = "PROXY",
};

static const char *const class_names[] = {
	[PP_CLASS_NONE] = "none",   [PP_CLASS_TLS] = "tls",
	[PP_CLASS_HTTP] = "http",   [PP_CLASS_OTHER] = "other",
	[PP_CLASS_PROXY] = "proxy",
};

static const char *const next_names[] = {
	[PP_NEXT_NONE] = "none",
	[PP_NEXT_PARTIAL] = "partial",
	[PP_NEXT_STACKED] = "stacked",
	[PP_NEXT_DATA] = "data",
};

static const char *const hook_names[] = {
	[PP_HOOK_TC] = "tc",
	[PP_HOOK_XDP] = "xdp",
};

const char *pp_result_str(unsigned int v)
{
	return NAME_OF(result_names, v);
}

const char *pp_error_str(unsigned int v)
{
	return NAME_OF(error_names, v);
}

const char *pp_reason_str(unsigned int v)
{
	return NAME_OF(reason_names, v);
}

const char *pp_action_str(unsigned int v)
{
	return NAME_OF(action_names, v);
}

const char *pp_family_str(unsigned int v)
{
	return NAME_OF(family_names, v);
}

const char *pp_transport_str(unsigned int v)
{
	return NAME_OF(transport_names, v);
}

const char *pp_command_str(unsigned int v)
{
	return NAME_OF(command_names, v);
}

const char *pp_class_str(unsigned int v)
{
	return NAME_OF(class_names, v);
}

const char *pp_next_str(unsigned int v)
{
	return NAME_OF(next_names, v);
}

const char *pp_hook_str(unsigned int v)
{
	return NAME_OF(hook_names, v);
}

static int lookup(const char *const *tbl, size_t n, const char *s)
{
	size_t i;

	if (!s)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (tbl[i] && !strcmp(tbl[i], s))
			return (int)i;
	return -EINVAL;
}

int pp_error_from_str(const char *s)
{
	return lookup(error_names, ARRAY_SIZE(error_names), s);
}

int pp_reason_from_str(const char *s)
{
	return lookup(reason_names, ARRAY_SIZE(reason_names), s);
}

int pp_action_from_str(const char *s)
{
	return lookup(action_names, ARRAY_SIZE(action_names), s);
}

static const char *ntop(int af, const __u8 *addr, char *buf, size_t len)
{
	if (!addr || !buf || len > (socklen_t)-1) {
		errno = EINVAL;
		return NULL;
	}
	return inet_ntop(af, addr, buf, (socklen_t)len);
}

const char *pp_addr_fmt(unsigned int family, const __u8 *addr, char *buf,
			size_t len)
{
	switch (family) {
	case PP_FAM_INET:
		return ntop(AF_INET, addr, buf, len);
	case PP_FAM_INET6:
		return ntop(AF_INET6, addr, buf, len);
	}
	errno = EAFNOSUPPORT;
	return NULL;
}

const char *pp_ipaddr_fmt(unsigned int ipver, const __u8 *addr, char *buf,
			  size_t len)
{
	switch (ipver) {
	case 4:
		return pp_addr_fmt(PP_FAM_INET, addr, buf, len);
	case 6:
		return pp_addr_fmt(PP_FAM_INET6, addr, buf, len);
	}
	errno = EAFNOSUPPORT;
	return NULL;
}

const char *pp_sockaddr_fmt(unsigned int family, const __u8 *addr, __u16 port,
			    char *buf, size_t len)
{
	char a[PP_ADDR_STRLEN];
	int n;

	if (!pp_addr_fmt(family, addr, a, sizeof(a)))
		return NULL;
	if (family == PP_FAM_INET6)
		n = snprintf(buf, len, "[%s]:%u", a, port);
	else
		n = snprintf(buf, len, "%s:%u", a, port);
	if (n < 0 || (size_t)n >= len) {
		errno = ENOSPC;
		return NULL;
	}
	return buf;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes) that encodes a
 * printable code point, or 0. Rejects overlong forms, surrogates, > U+10FFFF
 * and the C0/C1 controls and DEL. */
static size_t utf8_printable(const __u8 *p, size_t n)
{
	__u32 cp;
	size_t k, i;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		k = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		k = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		k = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
	    (cp >= 0x80 && cp < 0xa0))
		return 0;
	return k;
}

size_t pp_str_escape(const __u8 *p, size_t n, char *buf, size_t len)
{
	static const char hx[] = "0123456789abcdef";
	size_t i = 0, o = 0, w = 0, k, m;
	char u[4];

	while (i < n) {
		/* one unit: a printable character, "\\" or "\xHH" */
		k = utf8_printable(p + i, n - i);
		if (k == 1 && p[i] == '\\') {
			u[0] = u[1] = '\\';
			m = 2;
		} else if (k) {
			memcpy(u, p + i, k);
			m = k;
		} else {
			u[0] = '\\';
			u[1] = 'x';
			u[2] = hx[p[i] >> 4];
			u[3] = hx[p[i] & 15];
			m = 4;
			k = 1;
		}
		/* a unit is written whole or not at all (cut text stays valid
		 * UTF-8), with room left for the NUL */
		if (w == o && o + m < len) {
			memcpy(buf + o, u, m);
			w += m;
		}
		o += m;
		i += k;
	}
	if (len)
		buf[w] = '\0';
	return o;
}

char *pp_hex(const __u8 *p, size_t n, char *buf)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		buf[2 * i] = hx[p[i] >> 4];
		buf[2 * i + 1] = hx[p[i] & 15];
	}
	buf[2 * n] = '\0';
	return buf;
}
