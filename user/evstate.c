// SPDX-License-Identifier: GPL-2.0
/*
 * Events lost while no daemon ran (daemon.h explains the arithmetic).
 *
 * One fixed-width text record per interface in PP_RUN_DIR, overwritten in
 * place with one pwrite() after each drain: a daemon killed with -9 loses
 * at most the count of the drain it was in, and the file is readable with
 * cat:
 *   ppguard-evstate 1 stats_id=42 consumed=123 lost_down=0 write_error=0
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

#define EVSTATE_FMT                                                            \
	"ppguard-evstate 1 stats_id=%010" PRIu32 " consumed=%020" PRIu64       \
	" lost_down=%020" PRIu64 " write_error=%020" PRIu64 "\n"

int pp_evstate_path(const char *iface, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s.events", PP_RUN_DIR, iface) >=
	    len)
		return -ENAMETOOLONG;
	return 0;
}

int pp_evstate_read(const char *iface, __u32 stats_id, struct pp_evstate *st)
{
	char path[256], line[256];
	uint64_t c, l, w;
	uint32_t id;
	FILE *f;
	int err;

	memset(st, 0, sizeof(*st));
	err = pp_evstate_path(iface, path, sizeof(path));
	if (err)
		return err;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line,
		   "ppguard-evstate 1 stats_id=%" SCNu32 " consumed=%" SCNu64
		   " lost_down=%" SCNu64 " write_error=%" SCNu64,
		   &id, &c, &l, &w) != 4) {
		fclose(f);
		return -EINVAL;
	}
	fclose(f);
	if (stats_id && id != stats_id)
		return -ENOENT; /* another attachment's counts */
	st->stats_id = id;
	st->consumed = c;
	st->lost_down = l;
	st->write_error = w;
	return 0;
}

int pp_evstate_remove(const char *iface)
{
	char path[256];
	int err = pp_evstate_path(iface, path, sizeof(path));

	if (err)
		return err;
	if (unlink(path) && errno != ENOENT)
		return -errno;
	rmdir(PP_RUN_DIR); /* when it was the last one */
	return 0;
}

int pp_evstate_open(const char *iface, int *created)
{
	char path[256];
	int fd, err;

	err = pp_evstate_path(iface, path, sizeof(path));
	if (err)
		return err;
	if (mkdir(PP_RUN_DIR, 0755) && errno != EEXIST) {
		err = -errno;
		pr_warn("cannot create %s: %s\n", PP_RUN_DIR, strerror(-err));
		return err;
	}
	*created = 0;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0)
		*created = 1;
	else if (errno == EEXIST)
		fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot open %s: %s\n", path, strerror(-err));
		return err;
	}
	/* one daemon per interface: two would split the ring's events */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			pr_warn("a ppguard daemon already runs on %s (it holds "
				"%s)\n",
				iface, path);
		else
			pr_warn("cannot lock %s: %s\n", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int pp_evstate_save(int fd, const struct pp_evstate *st)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), EVSTATE_FMT, st->stats_id,
		     (uint64_t)st->consumed, (uint64_t)st->lost_down,
		     (uint64_t)st->write_error);
	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	/* the record never changes length: no truncate, no rename */
	if (pwrite(fd, line, n, 0) != n)
		return errno ? -errno : -EIO;
	return 0;
}

__u64 pp_stats_decisions(const __u64 *stats)
{
	__u64 n = 0;
	__u32 i;

	for (i = 0; i < PP_STAT_CONN_N; i++)
		n += stats[i];
	return n;
}
