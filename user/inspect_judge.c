// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard inspect -c CONF: what the data path, with the maps CONF would
 * fill, decides for each captured connection.
 *
 * The maps' contents come from the attach code's own translation of a
 * config (pp_want_from_conf in maps.c: ports, trust coverage, deny list);
 * the longest-prefix look-ups below stand for the kernel's LPM tries. The
 * decisions are include/pp_verdict.h's, replayed over the same steps the
 * kernel sees in bpf/ppguard.bpf.c stream_segment(): the stream grows one
 * segment at a time, only its first PP_PREFIX_LEN bytes count, and a
 * trusted header whose next bytes are still too few is watched for a
 * stacked one. Flows without a SYN take the stateless() path.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "inspect.h"
#include "maps.h"
#include "pp_parse.h"

struct pp_insp_policy {
	struct pp_want w;
	int dry_run;
};

int pp_insp_policy_new(const struct pp_conf *conf, int dry_run,
		       struct pp_insp_policy **out)
{
	struct pp_insp_policy *p = calloc(1, sizeof(*p));
	int r;

	if (!p)
		return -ENOMEM;
	p->dry_run = dry_run || conf->dry_run;
	r = pp_want_from_conf(conf, p->dry_run, &p->w);
	if (r) {
		free(p);
		return r;
	}
	*out = p;
	return 0;
}

void pp_insp_policy_free(struct pp_insp_policy *p)
{
	if (!p)
		return;
	pp_want_free(&p->w);
	free(p);
}

int pp_insp_dry_run(const struct pp_insp_policy *p)
{
	return p->dry_run;
}

const struct pp_port_policy *pp_insp_port(const struct pp_insp_policy *p,
					  __u16 port)
{
	size_t i;

	for (i = 0; i < p->w.n_ports; i++)
		if (p->w.ports[i].port == port)
			return &p->w.ports[i].pol;
	return NULL;
}

static void host_cidr(int ipver, const __u8 *addr, struct pp_cidr *c)
{
	memset(c, 0, sizeof(*c));
	c->family = (__u8)ipver;
	c->prefixlen = ipver == 4 ? 32 : 128;
	memcpy(c->addr, addr, ipver == 4 ? 4 : 16);
}

/* trust4/6: the longest prefix covering the address decides */
__u8 pp_insp_peer_class(const struct pp_insp_policy *p, int ipver,
			const __u8 *addr)
{
	const struct pp_trust *best = NULL;
	struct pp_cidr host;
	int bestlen = -1;
	size_t i;

	host_cidr(ipver, addr, &host);
	for (i = 0; i < p->w.n_trust; i++) {
		const struct pp_trust_entry *e = &p->w.trust[i];

		if (pp_cidr_contains(&e->cidr, &host) &&
		    e->cidr.prefixlen > bestlen) {
			best = &e->val;
			bestlen = e->cidr.prefixlen;
		}
	}
	return pp_peer_class_of(best);
}

/* deny_client4/6, as is_denied() in the data path */
static int denied(const struct pp_insp_policy *p, const struct pp_hdr *h)
{
	struct pp_cidr host;
	size_t i;

	if (h->command != PP_CMD_PROXY)
		return 0;
	if (h->family == PP_FAM_INET)
		host_cidr(4, h->src_addr, &host);
	else if (h->family == PP_FAM_INET6)
		host_cidr(6, h->src_addr, &host);
	else
		return 0;
	for (i = 0; i < p->w.n_deny; i++)
		if (pp_cidr_contains(&p->w.deny[i], &host))
			return 1;
	return 0;
}

static void decided(struct pp_insp_verdict *v, const struct pp_judgement *j,
		    const struct pp_port_policy *pol, int dry_run, __u32 at)
{
	v->judged = 1;
	v->reason = j->reason;
	v->action = j->violate
			    ? pp_violation_action(pol->action,
						  dry_run ? PP_CFG_DRY_RUN : 0)
			    : PP_ACT_PASS;
	v->at = at;
}

/* bpf/ppguard.bpf.c stateless(): each segment's first bytes, alone */
static void judge_midstream(const struct pp_insp_policy *p,
			    struct pp_insp_conn *c,
			    const struct pp_port_policy *pol)
{
	struct pp_insp_verdict *v = &c->v;
	size_t i;

	if (v->peer_class & PP_PEER_TRUSTED) {
		v->note = "no SYN in the capture: a trusted peer's flow "
			  "without state passes undecided";
		return;
	}
	for (i = 0; i < c->nsegs; i++) {
		const struct pp_insp_seg *s = &c->segs[i];
		struct pp_judgement j = {0};
		__u32 n = s->kept < PP_V2_SIG_LEN ? s->kept : PP_V2_SIG_LEN;

		if (!n || (s->flags & 0x20))
			continue; /* URG: dropped, no decision (mismatch) */
		pp_judge_stateless(
			pp_detect((const struct pp_buf *)s->data, 0, n), &j);
		if (j.decided) {
			decided(v, &j, pol, p->dry_run, 0);
			v->note = "no SYN in the capture: judged segment by "
				  "segment, as the kernel does a flow it has "
				  "no state for";
			return;
		}
	}
	v->note = "no SYN in the capture: no segment starts like a PROXY "
		  "preamble; the kernel would pass it undecided";
}

void pp_insp_judge(const struct pp_insp_policy *p, struct pp_insp_conn *c)
{
	const struct pp_port_policy *pol = pp_insp_port(p, c->sport);
	const struct pp_buf *b = (const struct pp_buf *)c->stream;
	struct pp_insp_verdict *v = &c->v;
	__u32 prev = 0;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->peer_class = pp_insp_peer_class(p, c->ipver, c->cli);
	if (!pol) {
		v->note = "port not protected (no [port] section): passed "
			  "on the fast path";
		return;
	}
	v->protected = 1;
	if (!c->isn_known) {
		judge_midstream(p, c, pol);
		return;
	}
	for (i = 0; i < c->nbounds; i++) {
		__u32 len = c->bounds[i];
		struct pp_judgement j = {0};
		struct pp_hdr h;

		if (prev >= PP_PREFIX_LEN) {
			/* stream_segment(): window full and undecided */
			v->note = "no decision within the first 128 bytes: "
				  "passed";
			return;
		}
		if (len > PP_PREFIX_LEN)
			len = PP_PREFIX_LEN;
		prev = len;
		if (!(v->peer_class & PP_PEER_TRUSTED)) {
			pp_judge_untrusted(pp_detect(b, 0, len), &j);
		} else {
			int r = pp_parse(
				b, len,
				len >= PP_PREFIX_LEN ? PP_PF_TRUNC_OK : 0, &h);

			/* the kernel decides at the client's FIN what still
			 * waited for the bytes after a header */
			pp_judge_trusted(r, &h, v->peer_class, pol->require,
					 pol->versions,
					 r == PP_RES_HEADER && denied(p, &h),
					 c->cli_fin && i + 1 == c->nbounds, &j);
		}
		if (!j.decided)
			continue;
		decided(v, &j, pol, p->dry_run, len);
		return;
	}
	if (v->judged)
		return; /* a trusted header, nothing after it yet */
	if (c->urgent)
		v->note =
			"TCP urgent data in the first bytes: the kernel drops "
			"those segments (prefix_mismatch), undecided";
	else if (!c->have)
		v->note = c->nsegs ? "the stream's first bytes are not in the "
				     "capture: undecided"
				   : "the client sent no data: no decision";
	else if (c->snap_cut)
		v->note = "the capture's snaplen cut the stream before a "
			  "decision: undecided here";
	else if (c->gap)
		v->note = "bytes missing from the capture before a decision: "
			  "undecided here";
	else if (c->r == PP_RES_HEADER && (v->peer_class & PP_PEER_TRUSTED))
		v->note = "a header and nothing after it yet: the kernel "
			  "decides on the next bytes or the client's FIN";
	else
		v->note = "incomplete header when the capture or the "
			  "connection ended: undecided";
}
