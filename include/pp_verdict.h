/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * How a connection is judged from the first bytes of its client's stream:
 * the decision rules of the data path as pure functions, compiled into
 * bpf/ppguard.bpf.c and into `ppguard inspect` (user/inspect_judge.c), so
 * the offline report and the kernel cannot disagree on a reason.
 *
 * The callers do the parts that touch state: parsing (include/pp_parse.h),
 * map look-ups (peer class from trust4/6, deny_client4/6, the config map),
 * counters, events and the flow's state machine. These functions only map
 * what was found to a reason and say whether the port's action applies.
 *
 * Same constraints as pp_parse.h: no libc, fixed-width types only.
 */
#ifndef PP_VERDICT_H
#define PP_VERDICT_H

#include "ppguard.h"

#ifdef __bpf__
#define PP_JUDGE_FN static __attribute__((always_inline)) inline
#else
#define PP_JUDGE_FN static inline __attribute__((unused))
#endif

/* What a judge found: nothing yet (keep collecting) or a decision. */
struct pp_judgement {
	__u8 decided;
	__u8 reason;  /* enum pp_reason */
	__u8 violate; /* apply the port's action; else pass */
	__u8 _pad;
};

/*
 * A trusted peer's stream prefix, parsed: r and h are what pp_parse()
 * returned for it. denied: the declared client is in deny_client4/6 (only
 * looked at for a valid header; pass 0 otherwise). final: the stream ends
 * here (FIN, or the end of a capture).
 */
PP_JUDGE_FN void pp_judge_trusted(int r, const struct pp_hdr *h,
				  __u8 peer_class, __u8 require, __u8 versions,
				  int denied, int final, struct pp_judgement *j)
{
	if (r == PP_RES_NEED_MORE)
		return;
	j->decided = 1;
	if (r == PP_RES_NOT_PROXY) {
		if (peer_class & PP_PEER_HEALTHCHECK) {
			j->reason = PP_R_HEALTHCHECK;
		} else if (require) {
			j->reason = PP_R_MISSING_HEADER;
			j->violate = 1;
		} else {
			j->reason = PP_R_NO_HEADER;
		}
		return;
	}
	j->violate = 1;
	if (r != PP_RES_HEADER) {
		j->reason = PP_R_MALFORMED_HEADER;
		return;
	}
	if (!(versions & (h->version == PP_VER_1 ? PP_VERS_V1 : PP_VERS_V2))) {
		j->reason = PP_R_VERSION_NOT_ALLOWED;
		return;
	}
	if (h->next == PP_NEXT_STACKED) {
		j->reason = PP_R_STACKED_HEADER;
		return;
	}
	if (denied) {
		j->reason = PP_R_DENIED_CLIENT;
		return;
	}
	j->violate = 0;
	j->reason = h->command == PP_CMD_LOCAL ? PP_R_HEALTHCHECK
					       : PP_R_TRUSTED_HEADER;
	/* A balancer often sends the header in a segment of its own: the
	 * verdict waits for the bytes right after it, enough to tell a
	 * second preamble apart and to say what the application sends
	 * (next_class), unless the stream ends or they cannot fit. */
	if (!final && !h->truncated && h->next != PP_NEXT_DATA &&
	    h->hdr_len + PP_V2_SIG_LEN <= PP_PREFIX_LEN)
		j->decided = 0;
}

/*
 * An untrusted peer's stream prefix: det = pp_detect(buf, 0, len). Bytes
 * that are a PROXY preamble never reach the server; bytes that could
 * still become one ("PRO") wait for the byte that tells.
 */
PP_JUDGE_FN void pp_judge_untrusted(int det, struct pp_judgement *j)
{
	if (det == PP_NEXT_PARTIAL)
		return;
	j->decided = 1;
	if (det == PP_NEXT_STACKED) {
		j->reason = PP_R_UNTRUSTED_HEADER;
		j->violate = 1;
		return;
	}
	j->reason = PP_R_NO_HEADER;
}

/*
 * A segment of a flow without state (no SYN seen: it began before the
 * program was attached, or its entry was evicted), from an untrusted
 * peer: det = pp_detect() over its first (at most 12) payload bytes.
 * Without the ISN the start of the stream is unknown, so any segment that
 * starts with a signature or a prefix of one is judged a forged header;
 * anything else passes without a decision. Trusted peers' segments of
 * such flows always pass.
 */
PP_JUDGE_FN void pp_judge_stateless(int det, struct pp_judgement *j)
{
	if (det == PP_NEXT_DATA || det == PP_NEXT_NONE)
		return;
	j->decided = 1;
	j->reason = PP_R_UNTRUSTED_HEADER;
	j->violate = 1;
}

/* The action a violation gets on a port: its own, or "log" in a dry run
 * (PP_CFG_DRY_RUN in the config map). */
PP_JUDGE_FN __u8 pp_violation_action(__u8 port_action, __u32 cfg_flags)
{
	if (cfg_flags & PP_CFG_DRY_RUN)
		return PP_ACT_LOG;
	return port_action;
}

/* The peer class from the longest trust4/6 prefix that covers the peer
 * (NULL: none). */
PP_JUDGE_FN __u8 pp_peer_class_of(const struct pp_trust *t)
{
	__u8 c = PP_PEER_UNTRUSTED;

	if (!t)
		return c;
	if (t->trusted)
		c |= PP_PEER_TRUSTED;
	if (t->healthcheck)
		c |= PP_PEER_HEALTHCHECK;
	return c;
}

#endif /* PP_VERDICT_H */
