// SPDX-License-Identifier: GPL-2.0
/*
 * Autoblock: a source that sends `untrusted_header` threshold times within
 * window goes into blocked4/6 until now + ttl (CLOCK_MONOTONIC, the clock
 * of bpf_ktime_get_ns that the data path compares with).
 *
 * Per source the daemon keeps the times of its last `threshold` forgeries
 * (a ring): the source is blocked when the oldest of them is at most window
 * before the newest, a true sliding window. Memory is bounded: at most
 * AB_MAX_SOURCES sources and AB_MAX_BYTES of timestamps, the least recently
 * seen source evicted first (a flood of spoofed sources only evicts
 * history, it never grows the daemon).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>

#include "daemon.h"
#include "log.h"

#define AB_MAX_SOURCES 65536
#define AB_MAX_BYTES (16u << 20)

struct ab_node {
	struct ab_node *hnext;	     /* hash chain */
	struct ab_node *prev, *next; /* LRU list, most recent first */
	__u8 family;		     /* 4 or 6 */
	__u8 addr[16];
	unsigned int n, head; /* timestamps held, index of the oldest */
	__u64 ts[];	      /* threshold of them */
};

struct pp_autoblock {
	int fd4, fd6;
	struct pp_autoblock_cfg cfg;
	struct ab_node **buckets;
	unsigned int nbuckets; /* power of two */
	unsigned int count, max;
	struct ab_node *lru_head, *lru_tail;
	__u64 blocks;
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static unsigned int hash(__u8 family, const __u8 *addr)
{
	unsigned int h = 2166136261u, i, n = family == 4 ? 4 : 16;

	h = (h ^ family) * 16777619u;
	for (i = 0; i < n; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

static void lru_unlink(struct pp_autoblock *ab, struct ab_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else
		ab->lru_head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		ab->lru_tail = n->prev;
	n->prev = n->next = NULL;
}

static void lru_push(struct pp_autoblock *ab, struct ab_node *n)
{
	n->next = ab->lru_head;
	n->prev = NULL;
	if (ab->lru_head)
		ab->lru_head->prev = n;
	ab->lru_head = n;
	if (!ab->lru_tail)
		ab->lru_tail = n;
}

static struct ab_node **find_slot(struct pp_autoblock *ab, __u8 family,
				  const __u8 *addr)
{
	struct ab_node **p =
		&ab->buckets[hash(family, addr) & (ab->nbuckets - 1)];
	size_t n = family == 4 ? 4 : 16;

	while (*p && ((*p)->family != family || memcmp((*p)->addr, addr, n)))
		p = &(*p)->hnext;
	return p;
}

static void node_remove(struct pp_autoblock *ab, struct ab_node *n)
{
	struct ab_node **p = find_slot(ab, n->family, n->addr);

	if (*p == n)
		*p = n->hnext;
	lru_unlink(ab, n);
	free(n);
	ab->count--;
}

static void table_free(struct pp_autoblock *ab)
{
	struct ab_node *n, *next;

	for (n = ab->lru_head; n; n = next) {
		next = n->next;
		free(n);
	}
	free(ab->buckets);
	ab->buckets = NULL;
	ab->lru_head = ab->lru_tail = NULL;
	ab->count = 0;
}

static int table_init(struct pp_autoblock *ab)
{
	size_t per = sizeof(struct ab_node) +
		     (size_t)ab->cfg.threshold * sizeof(__u64);

	ab->max = AB_MAX_BYTES / per;
	if (ab->max > AB_MAX_SOURCES)
		ab->max = AB_MAX_SOURCES;
	if (ab->max < 1)
		ab->max = 1;
	for (ab->nbuckets = 1; ab->nbuckets < ab->max; ab->nbuckets <<= 1)
		;
	ab->buckets = calloc(ab->nbuckets, sizeof(*ab->buckets));
	return ab->buckets ? 0 : -ENOMEM;
}

int pp_autoblock_configure(struct pp_autoblock *ab,
			   const struct pp_autoblock_cfg *cfg)
{
	struct pp_autoblock_cfg old = ab->cfg;

	if (cfg->enabled &&
	    (!cfg->threshold || !cfg->window_ns || !cfg->ttl_ns))
		return -EINVAL;
	ab->cfg = *cfg;
	if (!cfg->enabled) {
		table_free(ab);
		return 0;
	}
	/* the history's shape depends on the threshold only */
	if (ab->buckets && old.enabled && old.threshold == cfg->threshold)
		return 0;
	table_free(ab);
	return table_init(ab);
}

int pp_autoblock_new(int blocked4_fd, int blocked6_fd,
		     const struct pp_autoblock_cfg *cfg,
		     struct pp_autoblock **out)
{
	struct pp_autoblock *ab = calloc(1, sizeof(*ab));
	int err;

	if (!ab)
		return -ENOMEM;
	ab->fd4 = blocked4_fd;
	ab->fd6 = blocked6_fd;
	err = pp_autoblock_configure(ab, cfg);
	if (err) {
		free(ab);
		return err;
	}
	*out = ab;
	return 0;
}

void pp_autoblock_free(struct pp_autoblock *ab)
{
	if (!ab)
		return;
	table_free(ab);
	free(ab);
}

static int block(struct pp_autoblock *ab, const struct ab_node *n,
		 __u64 span_ns)
{
	struct pp_blocked v = {.expires_ns = mono_ns() + ab->cfg.ttl_ns};
	char a[PP_ADDR_STRLEN];
	int err;

	if (n->family == 4) {
		struct pp_lpm4 k = {.prefixlen = 32};

		memcpy(k.addr, n->addr, 4);
		err = bpf_map_update_elem(ab->fd4, &k, &v, BPF_ANY);
	} else {
		struct pp_lpm6 k = {.prefixlen = 128};

		memcpy(k.addr, n->addr, 16);
		err = bpf_map_update_elem(ab->fd6, &k, &v, BPF_ANY);
	}
	if (!pp_ipaddr_fmt(n->family, n->addr, a, sizeof(a)))
		strcpy(a, "?");
	if (err) {
		err = -errno;
		pr_warn("autoblock: cannot block %s: %s\n", a, strerror(-err));
		return err;
	}
	ab->blocks++;
	pr_info("autoblock: blocked %s for %llus (%u untrusted headers in "
		"%.3fs)\n",
		a, (unsigned long long)(ab->cfg.ttl_ns / 1000000000ULL),
		ab->cfg.threshold, span_ns / 1e9);
	return 0;
}

void pp_autoblock_event(void *ctx, const struct pp_event *ev)
{
	struct pp_autoblock *ab = ctx;
	unsigned int thr = ab->cfg.threshold;
	struct ab_node **slot, *n;
	__u64 oldest;

	/* Only enforced verdicts count: a port with action "log", or a dry
	 * run (which forces "log"), observes and must not start blocking. */
	if (!ab->cfg.enabled || !thr || ev->reason != PP_R_UNTRUSTED_HEADER ||
	    ev->action == PP_ACT_LOG ||
	    (ev->ip_family != 4 && ev->ip_family != 6))
		return;
	slot = find_slot(ab, ev->ip_family, ev->peer);
	n = *slot;
	if (n) {
		lru_unlink(ab, n);
	} else {
		if (ab->count >= ab->max) {
			node_remove(ab, ab->lru_tail);
			/* the chain may have changed under slot */
			slot = find_slot(ab, ev->ip_family, ev->peer);
		}
		n = calloc(1, sizeof(*n) + (size_t)thr * sizeof(__u64));
		if (!n)
			return;
		n->family = ev->ip_family;
		memcpy(n->addr, ev->peer, 16);
		*slot = n;
		ab->count++;
	}
	lru_push(ab, n);

	if (n->n < thr) {
		n->ts[(n->head + n->n) % thr] = ev->ts_ns;
		n->n++;
	} else {
		n->ts[n->head] = ev->ts_ns;
		n->head = (n->head + 1) % thr;
	}
	if (n->n < thr)
		return;
	oldest = n->ts[n->head];
	if (ev->ts_ns >= oldest && ev->ts_ns - oldest <= ab->cfg.window_ns) {
		block(ab, n, ev->ts_ns - oldest);
		n->n = 0; /* a new round of evidence for the next block */
		n->head = 0;
	}
}

#define SWEEP_BATCH 256

/* Delete the expired entries of one blocked map (keys of key_size). Keys
 * are collected first (deleting while walking an LPM trie restarts the
 * walk), SWEEP_BATCH at a time, until a walk finds no more. */
static int sweep_map(int fd, size_t key_size, __u64 now)
{
	__u8 key[sizeof(struct pp_lpm6)], next[sizeof(struct pp_lpm6)];
	__u8 expired[SWEEP_BATCH][sizeof(struct pp_lpm6)];
	int n, i, total = 0, walks = 0;
	struct pp_blocked v;
	void *prev;

	do {
		n = 0;
		prev = NULL;
		while (n < SWEEP_BATCH &&
		       !bpf_map_get_next_key(fd, prev, next)) {
			memcpy(key, next, key_size);
			prev = key;
			if (!bpf_map_lookup_elem(fd, key, &v) &&
			    v.expires_ns <= now)
				memcpy(expired[n++], key, key_size);
		}
		for (i = 0; i < n; i++)
			if (!bpf_map_delete_elem(fd, expired[i]))
				total++;
		/* bounded: at most PP_BLOCKED_MAX / SWEEP_BATCH + 1 walks */
	} while (n == SWEEP_BATCH && ++walks <= PP_BLOCKED_MAX / SWEEP_BATCH);
	return total;
}

int pp_autoblock_sweep(struct pp_autoblock *ab)
{
	__u64 now = mono_ns();
	int a, b;

	a = sweep_map(ab->fd4, sizeof(struct pp_lpm4), now);
	b = sweep_map(ab->fd6, sizeof(struct pp_lpm6), now);
	if (a < 0)
		return a;
	if (b < 0)
		return b;
	if (a + b)
		pr_debug("autoblock: %d expired entries removed\n", a + b);
	return a + b;
}

unsigned int pp_autoblock_tracked(const struct pp_autoblock *ab)
{
	return ab->count;
}

__u64 pp_autoblock_blocks(const struct pp_autoblock *ab)
{
	return ab->blocks;
}
