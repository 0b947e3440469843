// SPDX-License-Identifier: GPL-2.0
/*
 * The ring buffer consumer: each struct pp_event becomes one JSON object on
 * one line (json-c), TLVs decoded by tlv.c.
 *
 * The data path submits events without a wakeup (BPF_RB_NO_WAKEUP) unless
 * the ring is more than a quarter full, so the daemon drains on a short
 * timer as well as on the ring's epoll fd; both end up in
 * pp_events_drain().
 *
 * Reading and writing are split. Copying an event out of the kernel ring
 * costs tens of nanoseconds, formatting it as JSON microseconds: the
 * drain first copies everything the ring holds into a queue of its own
 * (up to EVQ_MAX events, address space reserved once, pages given back
 * after a burst), then formats in chunks, emptying the kernel ring again
 * between chunks. A burst larger than the kernel ring is absorbed by the
 * queue and written out at the formatter's pace; only a burst larger than
 * both loses events (counted by the kernel). Lines go to a fully buffered
 * FILE, flushed once per drain: whole lines, few write(2)s.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "daemon.h"
#include "log.h"
#include "tlv.h"

#define OUT_BUF_SIZE (256 << 10)
#define OFFSET_REFRESH_NS 1000000000ULL /* follow clock steps each second */
#define EVQ_MAX (1u << 17) /* queued events: 131072 x 208 bytes = 26 MiB */
#define EVQ_KEEP 4096	   /* slots whose pages stay resident when idle */
#define FORMAT_CHUNK 1024  /* events formatted between two ring reads */
#define PULL_MAX 65536	   /* events copied per ring read, at most */

/* Events copied out of the kernel ring, not yet written. A circular
 * buffer that starts over at slot 0 whenever it empties, so that in
 * steady state only its first pages are ever touched. */
struct evq {
	struct pp_event *v; /* EVQ_MAX slots, mmap'ed */
	__u32 head, n;
	__u32 hiwater; /* slots touched since the last trim */
};

struct pp_events {
	struct ring_buffer *rb;
	char iface[IF_NAMESIZE];
	char *path; /* NULL: no output; "-": stdout */
	FILE *out;
	char *outbuf;
	struct evq q;
	__s64 offset;	  /* CLOCK_MONOTONIC -> CLOCK_REALTIME */
	__u64 offset_at;  /* when sampled (monotonic ns) */
	__u64 consumed;	  /* events taken from the queue (written or not) */
	__u64 write_errs; /* events not written */
	__u64 pending;	  /* lines written since the last flush */
	__u64 before_t, consumed_before;
	__u32 pulled; /* in this ring read */
	pp_event_hook_fn hook;
	void *hook_ctx;
};

/* ---- time ---- */

static __u64 clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__s64 pp_mono_to_real_offset(void)
{
	__u64 best = ~0ULL, r1, m, r2;
	__s64 off = 0;
	int i;

	/* the tightest of a few realtime/monotonic/realtime samples */
	for (i = 0; i < 3; i++) {
		r1 = clock_ns(CLOCK_REALTIME);
		m = clock_ns(CLOCK_MONOTONIC);
		r2 = clock_ns(CLOCK_REALTIME);
		if (r2 - r1 < best) {
			best = r2 - r1;
			off = (__s64)(r1 + (r2 - r1) / 2) - (__s64)m;
		}
	}
	return off;
}

int pp_rfc3339_ns(__s64 real_ns, char *buf, size_t len)
{
	/* events come in bursts within the same second: format it once */
	static __thread time_t last_sec = -1;
	static __thread char last[32];
	static __thread size_t last_n;
	time_t sec = real_ns / 1000000000LL;
	long ns = real_ns % 1000000000LL;
	struct tm tm;
	int i;

	if (ns < 0) {
		ns += 1000000000L;
		sec--;
	}
	if (sec != last_sec) {
		if (!gmtime_r(&sec, &tm))
			return -EINVAL;
		last_n = strftime(last, sizeof(last), "%Y-%m-%dT%H:%M:%S", &tm);
		if (!last_n)
			return -ENOSPC;
		last_sec = sec;
	}
	if (len < last_n + 12) /* ".123456789Z" and NUL */
		return -ENOSPC;
	memcpy(buf, last, last_n);
	buf[last_n] = '.';
	for (i = 9; i >= 1; i--) {
		buf[last_n + i] = '0' + ns % 10;
		ns /= 10;
	}
	buf[last_n + 10] = 'Z';
	buf[last_n + 11] = '\0';
	return 0;
}

/* ---- JSON ---- */

/* Keys are string literals and each is added once: json-c can skip the
 * strdup and the lookup (a third of the cost of an event). */
static int jadd(struct json_object *o, const char *k, struct json_object *v)
{
	if (!v ||
	    json_object_object_add_ex(o, k, v,
				      JSON_C_OBJECT_ADD_KEY_IS_NEW |
					      JSON_C_OBJECT_KEY_IS_CONSTANT)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

#define JSTR(o, k, s) jadd(o, k, json_object_new_string(s))
#define JINT(o, k, n) jadd(o, k, json_object_new_int64(n))
#define JBOOL(o, k, b) jadd(o, k, json_object_new_boolean(b))

static const char *const flag_names[] = {
	"syn_data",  /* PP_FF_SYN_DATA */
	"midstream", /* PP_FF_MIDSTREAM */
	"acked",     /* PP_FF_ACKED */
	"truncated", /* PP_FF_TRUNC */
	"mismatch",  /* PP_FF_MISMATCH */
};

static int add_flags(struct json_object *o, __u8 flags)
{
	struct json_object *a;
	size_t i;

	if (!flags)
		return 0;
	a = json_object_new_array();
	if (jadd(o, "flags", a))
		return -ENOMEM;
	for (i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
		if ((flags & (1u << i)) &&
		    json_object_array_add(
			    a, json_object_new_string(flag_names[i])))
			return -ENOMEM;
	return 0;
}

static int add_addr(struct json_object *o, const char *k, unsigned int ipver,
		    const __u8 *addr)
{
	char a[PP_ADDR_STRLEN];

	if (!pp_ipaddr_fmt(ipver, addr, a, sizeof(a)))
		return JSTR(o, k, "?");
	return JSTR(o, k, a);
}

static void put_be16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/*
 * The whole v2 header, rebuilt from the event so the CRC32C TLV can be
 * checked: possible for PROXY over INET/INET6 when every TLV byte was
 * exported (the address block is fixed, the signature constant). Returns
 * the length, 0 when it cannot be rebuilt.
 */
static __u32 v2_rebuild(const struct pp_event *ev, __u8 *h, size_t cap)
{
	static const __u8 sig[PP_V2_SIG_LEN] = {0x0d, 0x0a, 0x0d, 0x0a,
						0x00, 0x0d, 0x0a, 0x51,
						0x55, 0x49, 0x54, 0x0a};
	__u32 asz, off;

	if (ev->version != PP_VER_2 || ev->command != PP_CMD_PROXY ||
	    ev->tlv_len != ev->tlv_total)
		return 0;
	if (ev->family == PP_FAM_INET)
		asz = 4;
	else if (ev->family == PP_FAM_INET6)
		asz = 16;
	else
		return 0;
	off = PP_V2_HDR_LEN + 2 * asz + 4;
	if (ev->hdr_len != off + ev->tlv_total || ev->hdr_len > cap)
		return 0;
	memcpy(h, sig, sizeof(sig));
	h[12] = 0x20 | ev->command;
	h[13] = (ev->family << 4) | ev->transport;
	put_be16(h + 14, ev->hdr_len - PP_V2_HDR_LEN);
	memcpy(h + PP_V2_HDR_LEN, ev->src_addr, asz);
	memcpy(h + PP_V2_HDR_LEN + asz, ev->dst_addr, asz);
	put_be16(h + PP_V2_HDR_LEN + 2 * asz, ev->src_port);
	put_be16(h + PP_V2_HDR_LEN + 2 * asz + 2, ev->dst_port);
	memcpy(h + off, ev->tlv, ev->tlv_len);
	return ev->hdr_len;
}

/* Bytes of whole TLVs at the start of tlv[0..len): a cut TLV at the end
 * of the exported bytes is not an error of the header. */
static __u32 whole_tlvs(const __u8 *tlv, __u32 len)
{
	__u32 off = 0, l;

	while (off + 3 <= len) {
		l = ((__u32)tlv[off + 1] << 8) | tlv[off + 2];
		if (off + 3 + l > len)
			break;
		off += 3 + l;
	}
	return off;
}

static int add_tlvs(struct json_object *o, const struct pp_event *ev)
{
	__u8 hdr[PP_V2_HDR_LEN + 36 + PP_EV_TLV_MAX];
	struct json_object *arr;
	struct pp_tlv_info info;
	__u32 n = ev->tlv_len, hlen;
	int trunc = ev->tlv_total > ev->tlv_len, r;

	if (n > PP_EV_TLV_MAX)
		n = PP_EV_TLV_MAX;
	r = JINT(o, "tlv_length", ev->tlv_total);
	if (r || !ev->tlv_total)
		return r;
	if (trunc)
		n = whole_tlvs(ev->tlv, n);
	hlen = trunc ? 0 : v2_rebuild(ev, hdr, sizeof(hdr));
	arr = json_object_new_array();
	if (jadd(o, "tlvs", arr))
		return -ENOMEM;
	if (hlen)
		r = pp_tlv_decode(hdr + hlen - ev->tlv_total, n, hdr, hlen, 0,
				  arr, &info);
	else
		r = pp_tlv_decode(ev->tlv, n, NULL, 0, 0, arr, &info);
	if (r == -ENOMEM)
		return r;
	/* only the first PP_EV_TLV_MAX bytes (or what the data path's
	 * 128-byte window held) are exported */
	return JBOOL(o, "tlv_truncated", trunc)
		       ?: JSTR(o, "crc32c", pp_crc_verdict_str(info.crc));
}

static int add_header(struct json_object *o, const struct pp_event *ev)
{
	int r = 0;

	if (!ev->version)
		return 0;
	r = JINT(o, "version", ev->version);
	if (r)
		return r;
	if (ev->reason == PP_R_MALFORMED_HEADER)
		r = JSTR(o, "error", pp_error_str(ev->error));
	/* hdr_len is set once the fixed part was read: the header was
	 * parsed, the other fields mean something */
	if (r || !ev->hdr_len)
		return r;
	r = JSTR(o, "command", pp_command_str(ev->command)) ?:
		JSTR(o, "family", pp_family_str(ev->family)) ?:
		JSTR(o, "transport", pp_transport_str(ev->transport));
	if (!r && ev->command == PP_CMD_PROXY &&
	    (ev->family == PP_FAM_INET || ev->family == PP_FAM_INET6)) {
		unsigned int v = ev->family == PP_FAM_INET ? 4 : 6;

		r = add_addr(o, "src_addr", v, ev->src_addr) ?:
			JINT(o, "src_port", ev->src_port) ?:
			add_addr(o, "dst_addr", v, ev->dst_addr) ?:
			JINT(o, "dst_port", ev->dst_port);
	}
	if (!r)
		r = JINT(o, "header_length", ev->hdr_len);
	if (!r && ev->version == PP_VER_2)
		r = add_tlvs(o, ev);
	return r;
}

struct json_object *pp_event_to_json(const struct pp_event *ev,
				     const char *iface, __s64 mono_to_real)
{
	struct json_object *o = json_object_new_object();
	char t[40], name[IF_NAMESIZE];
	int r;

	if (!o)
		return NULL;
	if (pp_rfc3339_ns((__s64)ev->ts_ns + mono_to_real, t, sizeof(t)))
		snprintf(t, sizeof(t), "?");
	if (!iface)
		iface = if_indextoname(ev->ifindex, name) ?: "?";
	r = JSTR(o, "time", t) ?: JSTR(o, "iface", iface) ?:
		JSTR(o, "hook", pp_hook_str(ev->hook)) ?:
		JSTR(o, "reason", pp_reason_str(ev->reason)) ?:
		JSTR(o, "action", pp_action_str(ev->action)) ?:
		JINT(o, "port", ev->local_port) ?:
		add_addr(o, "peer_addr", ev->ip_family, ev->peer) ?:
		JINT(o, "peer_port", ev->peer_port) ?:
		add_addr(o, "local_addr", ev->ip_family, ev->local) ?:
		JINT(o, "local_port", ev->local_port) ?: add_header(o, ev);
	if (!r && ev->next_class != PP_CLASS_NONE)
		r = JSTR(o, "next_class", pp_class_str(ev->next_class));
	if (!r)
		r = add_flags(o, ev->flags);
	if (r) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- output ---- */

static int out_open(struct pp_events *e)
{
	FILE *f;
	int fd;

	if (!e->path)
		return 0;
	if (!strcmp(e->path, "-")) {
		f = stdout;
	} else {
		fd = open(e->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			  0640);
		if (fd < 0 || !(f = fdopen(fd, "a"))) {
			int err = -errno;

			if (fd >= 0)
				close(fd);
			pr_warn("events: cannot open %s: %s\n", e->path,
				strerror(-err));
			return err;
		}
	}
	/* whole lines, one write per drain (pp_events_drain flushes) */
	setvbuf(f, e->outbuf, _IOFBF, OUT_BUF_SIZE);
	e->out = f;
	return 0;
}

static int out_flush(struct pp_events *e)
{
	if (!e->out || !e->pending)
		return 0;
	if (fflush(e->out) == EOF) {
		int err = -errno;

		/* what was buffered is gone: count it as not written */
		e->write_errs += e->pending;
		e->pending = 0;
		clearerr(e->out);
		return err;
	}
	e->pending = 0;
	return 0;
}

static void out_close(struct pp_events *e)
{
	if (!e->out)
		return;
	out_flush(e);
	if (e->out != stdout)
		fclose(e->out);
	e->out = NULL;
}

static void write_event(struct pp_events *e, const struct pp_event *ev)
{
	struct json_object *o;
	const char *s;

	o = pp_event_to_json(ev, e->iface, e->offset);
	if (!o) {
		e->write_errs++;
		return;
	}
	s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (fputs(s, e->out) == EOF || putc('\n', e->out) == EOF) {
		e->write_errs++;
		clearerr(e->out);
	} else {
		e->pending++;
	}
	json_object_put(o);
}

static void emit_one(struct pp_events *e, const struct pp_event *ev)
{
	e->consumed++;
	if (e->out)
		write_event(e, ev);
	else if (e->path)
		e->write_errs++; /* the output could not be (re)opened */
}

/* Write up to n queued events; returns how many. */
static __u32 emit_queued(struct pp_events *e, __u32 n)
{
	struct evq *q = &e->q;
	__u32 i;

	if (n > q->n)
		n = q->n;
	for (i = 0; i < n; i++) {
		emit_one(e, &q->v[q->head]);
		q->head = (q->head + 1) % EVQ_MAX;
		q->n--;
	}
	if (!q->n) {
		q->head = 0;
		/* after a burst: give the pages back */
		if (q->hiwater > EVQ_KEEP) {
			madvise(q->v + EVQ_KEEP,
				(size_t)(q->hiwater - EVQ_KEEP) * sizeof(*q->v),
				MADV_DONTNEED);
			q->hiwater = EVQ_KEEP;
		}
	}
	return n;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct pp_events *e = ctx;
	const struct pp_event *ev = data;
	struct evq *q = &e->q;
	__u32 slot;

	if (size < sizeof(*ev))
		return 0; /* not ours: a newer or older data path */
	if (ev->ts_ns <= e->before_t)
		e->consumed_before++;
	/* autoblock acts at once, not when the line is written */
	if (e->hook)
		e->hook(e->hook_ctx, ev);
	if (q->n == EVQ_MAX)
		emit_queued(e, 1); /* full: write the oldest to make room */
	slot = (q->head + q->n) % EVQ_MAX;
	memcpy(&q->v[slot], ev, sizeof(*ev));
	q->n++;
	if (slot + 1 > q->hiwater)
		q->hiwater = slot + 1;
	/* give the loop back after many (signals, timers); the sample itself
	 * is consumed either way */
	if (++e->pulled >= PULL_MAX)
		return -EAGAIN;
	return 0;
}

/* Copy what the kernel ring holds into the queue. */
static int pull(struct pp_events *e)
{
	int r;

	e->pulled = 0;
	r = ring_buffer__consume(e->rb);
	if (r == -EAGAIN && e->pulled >= PULL_MAX)
		r = 0;
	return r < 0 ? r : 0;
}

int pp_events_new(int map_fd, const char *iface, const char *path,
		  struct pp_events **out)
{
	struct pp_events *e = calloc(1, sizeof(*e));
	int err;

	if (!e)
		return -ENOMEM;
	snprintf(e->iface, sizeof(e->iface), "%s", iface);
	e->outbuf = malloc(OUT_BUF_SIZE);
	e->path = path ? strdup(path) : NULL;
	if (!e->outbuf || (path && !e->path)) {
		err = -ENOMEM;
		goto fail;
	}
	/* address space only: pages become memory when a burst needs them */
	e->q.v = mmap(NULL, (size_t)EVQ_MAX * sizeof(*e->q.v),
		      PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (e->q.v == MAP_FAILED) {
		e->q.v = NULL;
		err = -errno;
		goto fail;
	}
	e->offset = pp_mono_to_real_offset();
	e->offset_at = clock_ns(CLOCK_MONOTONIC);
	err = out_open(e);
	if (err)
		goto fail;
	e->rb = ring_buffer__new(map_fd, on_sample, e, NULL);
	if (!e->rb) {
		err = -errno;
		pr_warn("events: cannot use the ring buffer: %s\n",
			strerror(-err));
		goto fail;
	}
	*out = e;
	return 0;
fail:
	pp_events_free(e);
	return err;
}

void pp_events_free(struct pp_events *e)
{
	if (!e)
		return;
	ring_buffer__free(e->rb);
	out_close(e);
	if (e->q.v)
		munmap(e->q.v, (size_t)EVQ_MAX * sizeof(*e->q.v));
	free(e->outbuf);
	free(e->path);
	free(e);
}

void pp_events_set_hook(struct pp_events *e, pp_event_hook_fn fn, void *ctx)
{
	e->hook = fn;
	e->hook_ctx = ctx;
}

int pp_events_epoll_fd(struct pp_events *e)
{
	return ring_buffer__epoll_fd(e->rb);
}

int pp_events_drain(struct pp_events *e, int max)
{
	__u64 now = clock_ns(CLOCK_MONOTONIC);
	__u32 done = 0, k;
	int r;

	if (now - e->offset_at > OFFSET_REFRESH_NS) {
		e->offset = pp_mono_to_real_offset();
		e->offset_at = now;
	}
	r = pull(e);
	while (!r && e->q.n && (!max || done < (__u32)max)) {
		k = FORMAT_CHUNK;
		if (max && k > (__u32)max - done)
			k = (__u32)max - done;
		done += emit_queued(e, k);
		r = pull(e); /* keep the kernel ring empty meanwhile */
	}
	if (out_flush(e))
		pr_debug("events: write to %s failed\n", e->path);
	return r < 0 ? r : (int)done;
}

__u32 pp_events_queued(const struct pp_events *e)
{
	return e->q.n;
}

int pp_events_reopen(struct pp_events *e, const char *path)
{
	char *old = e->path, *np = NULL;
	int err;

	if (path && !(np = strdup(path)))
		return -ENOMEM;
	out_close(e);
	e->path = np;
	err = out_open(e);
	if (err) {
		/* keep writing somewhere: the old path, if it still opens */
		free(e->path);
		e->path = old;
		if (out_open(e))
			pr_warn("events: no output until the next SIGHUP\n");
		return err;
	}
	free(old);
	return 0;
}

__u64 pp_events_consumed(const struct pp_events *e)
{
	return e->consumed;
}

__u64 pp_events_write_errors(const struct pp_events *e)
{
	return e->write_errs;
}

void pp_events_mark_before(struct pp_events *e, __u64 t)
{
	e->before_t = t;
	e->consumed_before = 0;
}

__u64 pp_events_consumed_before(const struct pp_events *e)
{
	return e->consumed_before;
}
