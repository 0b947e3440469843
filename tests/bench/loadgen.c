// SPDX-License-Identifier: GPL-2.0
/*
 * Load generator for tests/bench/e2e.sh: short TCP connections, each
 * carrying a 60-byte PROXY v2 header and a small HTTP/1.0 request.
 *
 * loadgen server -l ADDR:PORT [-c CPU]
 *	Accepts, reads the header and the request (up to the blank line after
 *	the header), answers "HTTP/1.0 200 OK" and closes. One thread, epoll.
 *	On SIGTERM or SIGUSR1 prints "accepted=N seen=N replied=N" (seen:
 *	connections that delivered at least one byte to the application).
 *	Connections silent for 2 s are closed.
 *
 * loadgen client -s SRC [-S N] -d ADDR:PORT [-n CONC] [-t SECS] [-w SECS]
 *		  [-f] [-c CPU] [-P PID]
 *	CONC (default 32) connections at a time, each: connect, send header
 *	and request, read the answer to EOF, close; a new one at once. Counts
 *	the connections completed with a 200 during SECS after a warm-up of
 *	-w SECS and prints "conns=N secs=S rate=R errors=N timeouts=N
 *	total=N" (total: completed over the whole run, warm-up included), then
 *	the CPU time spent in that window, from /proc/stat, in clock ticks:
 *	"hz=HZ busy=CPU0,CPU1,... softirq=CPU0,... irq=CPU0,... pid_ticks=N
 *	self_ticks=N" (busy: user+nice+system+irq+softirq of each CPU, other
 *	processes included; pid_ticks and self_ticks: utime+stime of -P PID
 *	and of this client).
 *	-f (flood): send the header and request and reset the connection at
 *	once (SO_LINGER 0) without waiting for anything: the rate is that of
 *	handshakes; prints the same line, conns = connections made.
 *	-S N: take the source address in turn from N consecutive addresses
 *	starting at SRC (more 4-tuples than one address's ports).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pp_parse.h"

#define MAX_FDS 65536
#define BUF 512
#define IDLE_NS (2ULL * 1000000000ULL)

static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n"
			    "Connection: close\r\n\r\nok\n";
static const char request[] = "GET / HTTP/1.0\r\nHost: bench\r\n\r\n";

static void die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(EXIT_FAILURE);
}

static __uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

static void raise_nofile(void)
{
	struct rlimit r = {MAX_FDS, MAX_FDS};

	setrlimit(RLIMIT_NOFILE, &r);
}

static int parse_addr(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(s, ':');

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (colon) {
		if ((size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, colon - s);
		host[colon - s] = 0;
		sa->sin_port = htons((uint16_t)atoi(colon + 1));
	} else {
		snprintf(host, sizeof(host), "%s", s);
	}
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* The 60-byte v2 header of tests/bench/pktcost.c: PROXY TCP4 with ALPN,
 * AUTHORITY and UNIQUE_ID TLVs. */
static size_t v2_header(uint8_t *p)
{
	static const uint8_t hdr[60] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a, 0x21, 0x11, 0x00, 0x2c, 0xc6, 0x33, 0x64, 0x16,
		0xcb, 0x00, 0x71, 0x07, 0x8b, 0x3e, 0x01, 0xbb, 0x01, 0x00,
		0x02, 'h',  '2',  0x02, 0x00, 0x0b, 'e',  'x',	'a',  'm',
		'p',  'l',  'e',  '.',	'c',  'o',  'm',  0x05, 0x00, 0x0a,
		'0',  '1',  '2',  '3',	'4',  '5',  '6',  '7',	'8',  '9'};

	memcpy(p, hdr, sizeof(hdr));
	return sizeof(hdr);
}

/* ---- server ---- */

struct sconn {
	__uint64_t last;
	unsigned short len;
	unsigned char open;
	unsigned char seen;
	char buf[BUF];
};

static struct sconn *sc;
static volatile sig_atomic_t s_report, s_stop;
static unsigned long s_accepted, s_seen, s_replied;

static void on_sig(int sig)
{
	if (sig == SIGUSR1)
		s_report = 1;
	else
		s_stop = 1;
}

/* Bytes of the PROXY header at the start of b, 0 if none or incomplete */
static size_t proxy_len(const char *b, size_t n)
{
	if (n >= 16 && !memcmp(b, "\r\n\r\n\0\r\nQUIT\n", 12))
		return 16 + (((uint8_t)b[14] << 8) | (uint8_t)b[15]);
	if (n >= 6 && !memcmp(b, "PROXY ", 6)) {
		const char *e = memmem(b, n, "\r\n", 2);

		return e ? (size_t)(e - b) + 2 : 0;
	}
	return 0;
}

static void s_close(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	sc[fd].open = 0;
}

static void s_read(int ep, int fd)
{
	struct sconn *c = &sc[fd];
	size_t h;
	ssize_t n;

	for (;;) {
		size_t room = BUF - 1 - c->len;

		if (!room) {
			s_close(ep, fd);
			return;
		}
		n = read(fd, c->buf + c->len, room);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			s_close(ep, fd);
			return;
		}
		if (!c->seen) {
			c->seen = 1;
			s_seen++;
		}
		c->len += (unsigned short)n;
		c->last = now_ns();
		h = proxy_len(c->buf, c->len);
		if (h < c->len &&
		    memmem(c->buf + h, c->len - h, "\r\n\r\n", 4)) {
			if (write(fd, reply, sizeof(reply) - 1) > 0)
				s_replied++;
			s_close(ep, fd);
			return;
		}
	}
}

static void s_report_now(void)
{
	printf("accepted=%lu seen=%lu replied=%lu\n", s_accepted, s_seen,
	       s_replied);
	fflush(stdout);
}

static int server(const char *listen_at, int cpu)
{
	struct epoll_event evs[256], ev = {.events = EPOLLIN};
	struct sockaddr_in sa;
	struct sigaction act = {.sa_handler = on_sig};
	__uint64_t last_sweep = now_ns();
	int lfd, ep, one = 1, i, n;

	pin(cpu);
	raise_nofile();
	if (parse_addr(listen_at, &sa)) {
		fprintf(stderr, "loadgen: bad address %s\n", listen_at);
		return EXIT_FAILURE;
	}
	sc = calloc(MAX_FDS, sizeof(*sc));
	if (!sc)
		die("calloc");
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGUSR1, &act, NULL);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)))
		die("bind");
	if (listen(lfd, 4096))
		die("listen");
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("listening\n");
	fflush(stdout);

	while (!s_stop) {
		if (s_report) {
			s_report = 0;
			s_report_now();
		}
		n = epoll_wait(ep, evs, 256, 200);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd != lfd) {
				s_read(ep, fd);
				continue;
			}
			for (;;) {
				int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

				if (c < 0)
					break;
				if (c >= MAX_FDS) {
					close(c);
					continue;
				}
				s_accepted++;
				memset(&sc[c], 0, offsetof(struct sconn, buf));
				sc[c].open = 1;
				sc[c].last = now_ns();
				ev.events = EPOLLIN;
				ev.data.fd = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				s_read(ep, c);
			}
		}
		if (now_ns() - last_sweep > IDLE_NS / 4) {
			__uint64_t t = now_ns();

			last_sweep = t;
			for (i = 0; i < MAX_FDS; i++)
				if (sc[i].open && t - sc[i].last > IDLE_NS)
					s_close(ep, i);
		}
	}
	s_report_now();
	return EXIT_SUCCESS;
}

/* ---- CPU accounting (the client samples it at the window's edges) ---- */

#define MAX_CPUS 64

struct cpu_sample {
	int n;
	unsigned long long busy[MAX_CPUS], softirq[MAX_CPUS], irq[MAX_CPUS];
	unsigned long long pid_ticks;  /* utime + stime of -P PID */
	unsigned long long self_ticks; /* and of this process */
};

static unsigned long long proc_ticks(const char *path)
{
	char buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f = fopen(path, "r");

	if (f && fgets(buf, sizeof(buf), f)) {
		/* fields after the command's closing parenthesis: state is
		 * field 3, utime 14, stime 15 */
		p = strrchr(buf, ')');
		if (!p || sscanf(p + 2,
				 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
				 "%*u %llu %llu",
				 &ut, &st) != 2)
			ut = st = 0;
	}
	if (f)
		fclose(f);
	return ut + st;
}

static void sample_cpu(struct cpu_sample *cs, int pid)
{
	char line[512];
	FILE *f = fopen("/proc/stat", "r");

	memset(cs, 0, sizeof(*cs));
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long u, ni, sy, id, io, irq, si;
		int cpu;

		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &u, &ni, &sy, &id, &io, &irq, &si) != 8 ||
		    cpu < 0 || cpu >= MAX_CPUS)
			continue;
		cs->busy[cpu] = u + ni + sy + irq + si;
		cs->softirq[cpu] = si;
		cs->irq[cpu] = irq;
		if (cpu + 1 > cs->n)
			cs->n = cpu + 1;
	}
	if (f)
		fclose(f);
	if (pid > 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		cs->pid_ticks = proc_ticks(path);
	}
	cs->self_ticks = proc_ticks("/proc/self/stat");
}

static void print_cpu(const struct cpu_sample *a, const struct cpu_sample *b)
{
	int i;

	printf(" hz=%ld busy=", sysconf(_SC_CLK_TCK));
	for (i = 0; i < b->n; i++)
		printf("%s%llu", i ? "," : "", b->busy[i] - a->busy[i]);
	printf(" softirq=");
	for (i = 0; i < b->n; i++)
		printf("%s%llu", i ? "," : "", b->softirq[i] - a->softirq[i]);
	printf(" irq=");
	for (i = 0; i < b->n; i++)
		printf("%s%llu", i ? "," : "", b->irq[i] - a->irq[i]);
	printf(" pid_ticks=%llu self_ticks=%llu", b->pid_ticks - a->pid_ticks,
	       b->self_ticks - a->self_ticks);
}

/* ---- client ---- */

enum { C_CONNECTING, C_READING };

struct cconn {
	__uint64_t start;
	unsigned char state;
	unsigned char ok;
	unsigned short got;
};

static struct cconn *cc;
static struct sockaddr_in c_src, c_dst;
static unsigned int c_nsrc = 1, c_next_src;
static uint8_t c_msg[256];
static size_t c_msglen;
static int c_flood;
static unsigned long c_done, c_err, c_timeout, c_all;
static __uint64_t c_t0, c_t1;

static void c_count(int ok)
{
	__uint64_t t = now_ns();

	c_all += ok;
	if (t < c_t0 || t >= c_t1)
		return;
	if (ok)
		c_done++;
	else
		c_err++;
}

static int c_open(int ep)
{
	struct epoll_event ev = {.events = EPOLLOUT};
	int one = 1, fd;

	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd < 0)
			die("socket");
		if (fd >= MAX_FDS)
			die("too many descriptors");
		/* the port is chosen by connect(), from the whole 4-tuple */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
			   sizeof(one));
		{
			/* -S N: the next of N consecutive source addresses */
			struct sockaddr_in src = c_src;

			src.sin_addr.s_addr =
				htonl(ntohl(c_src.sin_addr.s_addr) +
				      c_next_src++ % c_nsrc);
			if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
				die("bind");
		}
		if (!connect(fd, (struct sockaddr *)&c_dst, sizeof(c_dst)) ||
		    errno == EINPROGRESS)
			break;
		/* e.g. EADDRNOTAVAIL while ports are recycled */
		close(fd);
		c_count(0);
	}
	cc[fd].start = now_ns();
	cc[fd].state = C_CONNECTING;
	cc[fd].ok = 0;
	cc[fd].got = 0;
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return fd;
}

static void c_reset(int fd)
{
	struct linger lg = {1, 0};

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

static void c_finish(int ep, int fd, int ok, int rst)
{
	cc[fd].start = 0;
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	if (rst)
		c_reset(fd);
	close(fd);
	c_count(ok);
	c_open(ep);
}

static void c_event(int ep, int fd)
{
	struct cconn *c = &cc[fd];
	char buf[512];
	ssize_t n;

	if (c->state == C_CONNECTING) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err || write(fd, c_msg, c_msglen) != (ssize_t)c_msglen) {
			c_finish(ep, fd, 0, 1);
			return;
		}
		if (c_flood) {
			c_finish(ep, fd, 1, 1);
			return;
		}
		c->state = C_READING;
		epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
		return;
	}
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			break;
		if (!c->got && n >= 12 && !memcmp(buf, "HTTP/1.", 7) &&
		    !memcmp(buf + 8, " 200", 4))
			c->ok = 1;
		c->got = 1;
	}
	c_finish(ep, fd, n == 0 && c->ok, n != 0);
}

static int client(int argc, char **argv)
{
	struct epoll_event evs[256];
	const char *src = NULL, *dst = NULL;
	double secs = 5, warm = 0.5;
	int conc = 32, cpu = -1, pid = 0, sampled = 0, ep, i, n, opt;
	struct cpu_sample cs0, cs1;
	__uint64_t last_sweep;

	while ((opt = getopt(argc, argv, "s:S:d:n:t:w:fc:P:")) != -1) {
		switch (opt) {
		case 's':
			src = optarg;
			break;
		case 'd':
			dst = optarg;
			break;
		case 'S':
			c_nsrc = (unsigned int)atoi(optarg);
			if (!c_nsrc)
				c_nsrc = 1;
			break;
		case 'n':
			conc = atoi(optarg);
			break;
		case 't':
			secs = atof(optarg);
			break;
		case 'w':
			warm = atof(optarg);
			break;
		case 'f':
			c_flood = 1;
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'P':
			pid = atoi(optarg);
			break;
		default:
			return EXIT_FAILURE;
		}
	}
	if (!src || !dst || parse_addr(src, &c_src) ||
	    parse_addr(dst, &c_dst) || conc < 1 || conc > 4096) {
		fprintf(stderr, "loadgen: client needs -s SRC -d ADDR:PORT\n");
		return EXIT_FAILURE;
	}
	pin(cpu);
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	cc = calloc(MAX_FDS, sizeof(*cc));
	if (!cc)
		die("calloc");
	c_msglen = v2_header(c_msg);
	{
		/* the header is what the benchmark claims it is */
		struct pp_buf *b = calloc(1, sizeof(*b));
		struct pp_hdr h;

		if (!b)
			die("calloc");
		memcpy(b->b, c_msg, c_msglen);
		if (pp_parse(b, c_msglen, 0, &h) != PP_RES_HEADER ||
		    h.hdr_len != 60 || h.version != PP_VER_2) {
			fprintf(stderr, "loadgen: bad built-in v2 header\n");
			return EXIT_FAILURE;
		}
		free(b);
	}
	memcpy(c_msg + c_msglen, request, sizeof(request) - 1);
	c_msglen += sizeof(request) - 1;
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	c_t0 = now_ns() + (__uint64_t)(warm * 1e9);
	c_t1 = c_t0 + (__uint64_t)(secs * 1e9);
	last_sweep = now_ns();
	for (i = 0; i < conc; i++)
		c_open(ep);
	while (now_ns() < c_t1) {
		if (!sampled && now_ns() >= c_t0) {
			sample_cpu(&cs0, pid);
			sampled = 1;
		}
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++)
			c_event(ep, evs[i].data.fd);
		if (now_ns() - last_sweep > IDLE_NS / 4) {
			__uint64_t t = now_ns();

			last_sweep = t;
			for (i = 0; i < MAX_FDS; i++) {
				if (cc[i].start && t - cc[i].start > IDLE_NS) {
					cc[i].start = 0;
					if (t >= c_t0 && t < c_t1)
						c_timeout++;
					epoll_ctl(ep, EPOLL_CTL_DEL, i, NULL);
					c_reset(i);
					close(i);
					c_open(ep);
				}
			}
		}
	}
	sample_cpu(&cs1, pid);
	if (!sampled)
		cs0 = cs1;
	printf("conns=%lu secs=%.3f rate=%.1f errors=%lu timeouts=%lu "
	       "total=%lu",
	       c_done, secs, c_done / secs, c_err, c_timeout, c_all);
	print_cpu(&cs0, &cs1);
	printf("\n");
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "client"))
		return client(argc - 1, argv + 1);
	if (argc >= 4 && !strcmp(argv[1], "server") && !strcmp(argv[2], "-l")) {
		int cpu = argc >= 6 && !strcmp(argv[4], "-c") ? atoi(argv[5])
							      : -1;

		return server(argv[3], cpu);
	}
	fprintf(stderr,
		"usage: loadgen server -l ADDR:PORT [-c CPU]\n"
		"       loadgen client -s SRC [-S N] -d ADDR:PORT [-n CONC] "
		"[-t SECS] [-w SECS] [-f] [-c CPU] [-P PID]\n");
	return EXIT_FAILURE;
}
