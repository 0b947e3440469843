// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard inspect: put a client's stream together from its captured
 * segments and classify its first bytes with the data path's parser and
 * classifier (include/pp_parse.h: pp_parse, pp_detect, pp_classify). On top
 * of what the data path needs, userspace reads the TLS ClientHello's SNI
 * and ALPN, the HTTP request line, and decodes the v2 TLVs (user/tlv.c).
 *
 * The stream is put together as the data path does: bytes are taken in
 * capture order, a segment that leaves a gap waits until the gap is filled
 * (the kernel drops it and TCP sends it again), and bytes seen twice must
 * agree (the first copy wins). Each step that makes the stream longer is
 * recorded: the judge replays those steps (inspect_judge.c), and a header
 * that spans several of them came split over segments.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "pp_parse.h"
#include "ppguard.h"
#include "tlv.h"

_Static_assert(PP_INSP_STREAM_MAX == PP_BUF_CAP,
	       "the stream buffer is what pp_parse reads at most");

static const char *const kind_names[] = {
	[PP_INSP_NOTHING] = "nothing", [PP_INSP_PROXY] = "proxy",
	[PP_INSP_TLS] = "tls",	       [PP_INSP_HTTP] = "http",
	[PP_INSP_OTHER] = "other",     [PP_INSP_UNKNOWN] = "unknown",
};

const char *pp_insp_kind_str(int kind)
{
	if (kind < 0 || kind > PP_INSP_UNKNOWN)
		return "unknown";
	return kind_names[kind];
}

/* ---- putting the stream together ---- */

static int bound_add(struct pp_insp_conn *c, __u32 have)
{
	if (!c->bounds) {
		c->bounds = calloc(c->nsegs + 1, sizeof(*c->bounds));
		if (!c->bounds)
			return -ENOMEM;
	}
	c->bounds[c->nbounds++] = have;
	return 0;
}

/* One segment at stream offset off (may be negative: starts before the
 * stream). Returns 1 when it was used, 0 when it must wait for a gap. */
static int seg_merge(struct pp_insp_conn *c, const struct pp_insp_seg *s,
		     __s64 off)
{
	__s64 cend = off + s->kept, start, end, i;

	if (off > (__s64)c->have)
		return 0;
	/* the overlap with what is there must agree */
	start = off < 0 ? 0 : off;
	end = cend < (__s64)c->have ? cend : (__s64)c->have;
	for (i = start; i < end; i++) {
		if (c->stream[i] != s->data[i - off]) {
			c->conflict = 1;
			return 1; /* the kernel drops it: prefix_mismatch */
		}
	}
	if (cend > (__s64)c->window)
		cend = c->window;
	if (cend > (__s64)c->have) {
		memcpy(c->stream + c->have, s->data + ((__s64)c->have - off),
		       (size_t)(cend - (__s64)c->have));
		c->have = (__u32)cend;
		if (bound_add(c, c->have))
			return -ENOMEM;
	}
	return 1;
}

/* bpf/ppguard.bpf.c urgent_in(): may this segment's urgent byte (Linux:
 * seq + urg_ptr - 1) fall in the first PP_PREFIX_LEN bytes? */
static int urgent_in(const struct pp_insp_seg *s, __s64 off)
{
	__s64 u;

	if (!(s->flags & 0x20)) /* URG */
		return 0;
	u = off + s->urg_ptr - (s->urg_ptr ? 1 : 0);
	return u < PP_PREFIX_LEN;
}

static int reassemble(struct pp_insp_conn *c)
{
	char *used;
	size_t i;
	int progress = 1, r;

	c->stream = calloc(1, c->window);
	used = calloc(c->nsegs + 1, 1);
	if (!c->stream || !used) {
		free(used);
		return -ENOMEM;
	}
	while (progress) {
		progress = 0;
		for (i = 0; i < c->nsegs; i++) {
			const struct pp_insp_seg *s = &c->segs[i];
			__s64 off = (__s32)(s->seq - (c->isn + 1));

			if (used[i])
				continue;
			if (off + (__s64)s->len <= 0) {
				used[i] = 1; /* all before the stream */
				continue;
			}
			if (urgent_in(s, off)) {
				/* the kernel drops it (prefix_mismatch): the
				 * receiver would take the urgent byte out of
				 * the bytes judged */
				used[i] = 1;
				c->urgent = 1;
				continue;
			}
			r = seg_merge(c, s, off);
			if (r < 0) {
				free(used);
				return r;
			}
			if (r) {
				used[i] = 1;
				progress = 1;
			}
		}
	}
	for (i = 0; i < c->nsegs; i++) {
		const struct pp_insp_seg *s = &c->segs[i];
		__s64 off = (__s32)(s->seq - (c->isn + 1));

		if (!used[i])
			c->gap = 1;
		/* snaplen cut this one where the stream now stops */
		if (used[i] && s->caplen < s->len && s->kept == s->caplen &&
		    off + (__s64)s->kept == (__s64)c->have &&
		    c->have < c->window)
			c->snap_cut = 1;
	}
	free(used);
	return 0;
}

/* ---- application bytes ---- */

static void esc(const __u8 *p, size_t n, char *out, size_t len)
{
	if (pp_str_escape(p, n, out, len) >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

/* The ClientHello's server_name and ALPN, as far as the bytes go. */
static void tls_hello(const __u8 *p, __u32 n, struct pp_insp_app *a)
{
	__u32 i, end, elen;

	/* record header (5), handshake type 1 + length (4), version (2),
	 * random (32), then session id, ciphers, compression */
	if (n < 5 + 4 + 2 + 32 + 1 || p[5] != 0x01)
		return;
	end = 5 + ((__u32)p[3] << 8 | p[4]);
	if (end > n)
		end = n;
	i = 5 + 4 + 2 + 32;
	i += 1 + p[i]; /* session id */
	if (i + 2 > end)
		return;
	i += 2 + ((__u32)p[i] << 8 | p[i + 1]); /* cipher suites */
	if (i + 1 > end)
		return;
	i += 1 + p[i]; /* compression methods */
	if (i + 2 > end)
		return;
	elen = (__u32)p[i] << 8 | p[i + 1];
	i += 2;
	if (i + elen < end)
		end = i + elen;
	while (i + 4 <= end) {
		__u32 t = (__u32)p[i] << 8 | p[i + 1];
		__u32 l = (__u32)p[i + 2] << 8 | p[i + 3];
		__u32 v = i + 4, ve = v + l > end ? end : v + l;

		if (t == 0 && v + 5 <= ve && p[v + 2] == 0) {
			/* server_name list: type 0 (host_name), length */
			__u32 hl = (__u32)p[v + 3] << 8 | p[v + 4];

			if (v + 5 + hl > ve)
				hl = ve - (v + 5);
			esc(p + v + 5, hl, a->sni, sizeof(a->sni));
		} else if (t == 16 && v + 2 <= ve) {
			/* ALPN: list length, then length-prefixed names */
			__u32 k = v + 2;
			size_t o = 0;

			while (k < ve && k + 1 + p[k] <= ve) {
				char one[64];

				esc(p + k + 1, p[k], one, sizeof(one));
				o += (size_t)snprintf(
					a->alpn + o,
					o < sizeof(a->alpn)
						? sizeof(a->alpn) - o
						: 0,
					"%s%s", o ? "," : "", one);
				if (o >= sizeof(a->alpn))
					break;
				k += 1 + p[k];
			}
		}
		i = v + l;
	}
}

static void app_fill(const __u8 *p, __u32 off, __u32 len, struct pp_insp_app *a)
{
	const struct pp_buf *b = (const struct pp_buf *)p;
	__u32 n, i;

	memset(a, 0, sizeof(*a));
	a->cls = (__u8)pp_classify(b, off, len);
	if (a->cls == PP_CLASS_NONE)
		return;
	p += off;
	n = len - off;
	if (a->cls == PP_CLASS_TLS) {
		tls_hello(p, n, a);
	} else if (a->cls == PP_CLASS_HTTP) {
		for (i = 0; i < n && i < 150 && p[i] != '\r' && p[i] != '\n';
		     i++)
			;
		esc(p, i, a->line, sizeof(a->line));
	} else {
		pp_hex(p, n < 16 ? n : 16, a->hex);
	}
}

/* ---- the header ---- */

static void header_details(struct pp_insp_conn *c)
{
	const struct pp_hdr *h = &c->h;
	struct pp_tlv_info info = {0};
	size_t i;

	c->hdr_result = c->r;
	c->hdr_error = h->error;
	c->hdr_err_off = h->err_off;
	if (h->hdr_len) {
		__u32 end = h->hdr_len < c->have ? h->hdr_len : c->have;

		for (i = 0, c->hdr_segments = 1; i < c->nbounds; i++)
			if (c->bounds[i] > 0 && c->bounds[i] < end)
				c->hdr_segments++;
	}
	if (c->r != PP_RES_HEADER)
		return;
	c->addr_known = 1;
	if (h->version == PP_VER_2 && h->tlv_len) {
		__u32 tl = h->tlv_len;

		if (h->tlv_off + tl > c->have)
			tl = c->have > h->tlv_off ? c->have - h->tlv_off : 0;
		c->tlvs = json_object_new_array();
		if (c->tlvs &&
		    pp_tlv_decode(c->stream + h->tlv_off, tl,
				  h->truncated ? NULL : c->stream, h->hdr_len,
				  h->crc_off, c->tlvs, &info) == -EINVAL) {
			c->hdr_result = PP_RES_INVALID;
			c->hdr_error = info.error;
			c->hdr_err_off = h->tlv_off + info.err_off;
		}
		c->crc = info.crc;
	}
	if (h->next == PP_NEXT_STACKED) {
		c->stacked = 1;
		c->stacked_version =
			c->stream[h->hdr_len] == 'P' ? PP_VER_1 : PP_VER_2;
	} else if (h->next == PP_NEXT_DATA) {
		app_fill(c->stream, h->hdr_len, c->have, &c->app);
	}
}

int pp_insp_analyze(struct pp_insp_conn *c)
{
	const struct pp_buf *b;
	int r;

	if (!c->isn_known) {
		/* where the stream starts is unknown: show what the first
		 * captured segment starts with, claim nothing */
		c->kind = PP_INSP_UNKNOWN;
		if (c->nsegs && c->segs[0].kept) {
			const struct pp_insp_seg *s = &c->segs[0];

			if (pp_detect((const struct pp_buf *)s->data, 0,
				      s->kept) == PP_NEXT_STACKED)
				c->app.cls = PP_CLASS_PROXY;
			else
				app_fill(s->data, 0, s->kept, &c->app);
		}
		return 0;
	}
	r = reassemble(c);
	if (r)
		return r;
	if (!c->have) {
		c->kind = c->nsegs ? PP_INSP_UNKNOWN : PP_INSP_NOTHING;
		return 0;
	}
	b = (const struct pp_buf *)c->stream;
	/* the whole of what was captured: a v2 header longer than that is
	 * reported as far as it goes (h.truncated) */
	c->r = pp_parse(b, c->have, 0, &c->h);
	if (c->r == PP_RES_NEED_MORE && c->h.version == PP_VER_2 &&
	    c->have >= PP_V2_HDR_LEN) {
		struct pp_hdr t;

		if (pp_parse(b, c->have, PP_PF_TRUNC_OK, &t) == PP_RES_HEADER) {
			c->h = t; /* fields known; result stays need_more */
			c->addr_known = 1;
		}
	}
	if (c->r == PP_RES_NOT_PROXY) {
		app_fill(c->stream, 0, c->have, &c->app);
		switch (c->app.cls) {
		case PP_CLASS_TLS:
			c->kind = PP_INSP_TLS;
			break;
		case PP_CLASS_HTTP:
			c->kind = PP_INSP_HTTP;
			break;
		default:
			c->kind = PP_INSP_OTHER;
		}
		return 0;
	}
	c->kind = PP_INSP_PROXY;
	header_details(c);
	return 0;
}

void pp_insp_release(struct pp_insp_conn *c)
{
	size_t i;

	for (i = 0; i < c->nsegs; i++) {
		free(c->segs[i].data);
		c->segs[i].data = NULL;
	}
	free(c->stream);
	c->stream = NULL;
	free(c->bounds);
	c->bounds = NULL;
}
