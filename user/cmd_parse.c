// SPDX-License-Identifier: GPL-2.0
/*
 * ppguard parse [FILE|-] [--json]: run the data path's PROXY parser
 * (include/pp_parse.h, host build) over bytes from a file or stdin and say
 * what it found, with the TLVs decoded and the CRC32C checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "pp_parse.h"
#include "ppguard.h"
#include "tlv.h"

/* Exit statuses of this command */
#define PARSE_EXIT_HEADER 0
#define PARSE_EXIT_NOT_PROXY 1
#define PARSE_EXIT_INVALID 2
#define PARSE_EXIT_NEED_MORE 3

#define UNIX_PATH_LEN 108 /* each path of a v2 UNIX address block */

const char parse_help[] =
	"[FILE|-] [--json]\n"
	"Parse a PROXY protocol preamble offline, with the data path's "
	"parser.\n"
	"\n"
	"Reads the first bytes of a connection from FILE, or from standard "
	"input\n"
	"when FILE is - or missing, and prints what the parser found: "
	"version,\n"
	"command, family, transport, addresses, ports, header length, decoded\n"
	"TLVs, the CRC32C verdict, whether a second (stacked) preamble "
	"follows,\n"
	"and what the bytes after the header look like (tls, http, other).\n"
	"At most 65659 bytes are read (the longest v2 header and a v1 line\n"
	"after it); the rest is ignored, with a note on stderr.\n"
	"\n"
	"Options:\n"
	"  -j, --json   print one JSON object instead of text\n"
	"  -h, --help   this help\n"
	"  (ppguard -v parse ...: text output shows whole hex dumps)\n"
	"\n"
	"Exit status:\n"
	"  0   a valid header\n"
	"  1   no header (the bytes are not a PROXY preamble)\n"
	"  2   an invalid header (the reason and its byte offset are printed)\n"
	"  3   an incomplete header (at least how many more bytes it needs)\n"
	"  64  bad usage\n"
	"  66  the input cannot be opened or read\n";

/* the help text says how much is read */
_Static_assert(PP_BUF_CAP == 65659, "update parse_help");

struct parse_in {
	const char *name; /* for messages: the path or "stdin" */
	struct pp_buf *buf;
	__u32 len;
	int truncated; /* more bytes than the buffer holds: ignored */
};

struct parse_res {
	struct pp_hdr h;
	__u8 result; /* enum pp_result, after the TLV checks */
	__u8 error;
	__u32 err_off;
	int full;		  /* header fields known: addresses, TLVs */
	int fixed;		  /* v2 fixed part known: command, family */
	int crc;		  /* enum pp_crc_verdict (v2) */
	struct json_object *tlvs; /* decoded TLVs (v2), or NULL */
};

/* Read all of fd into in->buf, up to PP_BUF_CAP bytes. Returns 0 or
 * -errno. */
static int read_all(int fd, struct parse_in *in)
{
	__u8 extra;
	ssize_t r;

	while (in->len < PP_BUF_CAP) {
		r = read(fd, in->buf->b + in->len, PP_BUF_CAP - in->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		in->len += r;
	}
	do
		r = read(fd, &extra, 1);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	in->truncated = r > 0;
	return 0;
}

static int read_input(const char *path, struct parse_in *in)
{
	struct stat st;
	int fd, err;

	if (!path || !strcmp(path, "-")) {
		in->name = "stdin";
		fd = STDIN_FILENO;
	} else {
		in->name = path;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			pr_warn("cannot open %s: %s\n", path, strerror(err));
			return -err;
		}
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		pr_warn("cannot read %s: %s\n", in->name, strerror(EISDIR));
		err = -EISDIR;
	} else {
		err = read_all(fd, in);
		if (err)
			pr_warn("cannot read %s: %s\n", in->name,
				strerror(-err));
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return err;
}

static void parse_bytes(const struct parse_in *in, struct parse_res *res)
{
	struct pp_hdr *h = &res->h;
	struct pp_tlv_info info;
	int r;

	r = pp_parse(in->buf, in->len, 0, h);
	res->result = r;
	res->error = h->error;
	res->err_off = h->err_off;
	res->fixed = h->version == PP_VER_2 && in->len >= PP_V2_HDR_LEN &&
		     h->hdr_len;
	res->full = r == PP_RES_HEADER ||
		    (r == PP_RES_INVALID && h->version == PP_VER_2 &&
		     (h->error == PP_ERR_V2_TLV_OVERRUN ||
		      h->error == PP_ERR_V2_BAD_TLV));
	if (!res->full || h->version != PP_VER_2)
		return;

	/* the whole header is in the buffer: without PP_PF_TRUNC_OK the
	 * parser says need_more otherwise */
	res->tlvs = json_object_new_array();
	if (!res->tlvs)
		return;
	r = pp_tlv_decode(in->buf->b + h->tlv_off, h->tlv_len, in->buf->b,
			  h->hdr_len, h->crc_off, res->tlvs, &info);
	res->crc = info.crc;
	/* the parser's own verdict comes first; then what only userspace
	 * checks (CRC32C, lengths of known types) */
	if (r == -EINVAL && res->result == PP_RES_HEADER) {
		res->result = PP_RES_INVALID;
		res->error = info.error;
		res->err_off = h->tlv_off + info.err_off;
	}
}

/* A v2 UNIX path (108 bytes, NUL-padded) as text: "@name" for Linux's
 * abstract namespace (a leading NUL), escaped as pp_str_escape. */
static char *unix_path(const __u8 *p)
{
	size_t n = 0, need;
	int abstract = p[0] == 0;
	char *s;

	if (abstract) {
		n = UNIX_PATH_LEN;
		while (n > 1 && p[n - 1] == 0)
			n--;
		p++, n--;
	} else {
		while (n < UNIX_PATH_LEN && p[n])
			n++;
	}
	abstract = abstract && n;
	need = pp_str_escape(p, n, NULL, 0) + 1 + abstract;
	s = malloc(need);
	if (!s)
		return NULL;
	s[0] = '@';
	pp_str_escape(p, n, s + abstract, need - abstract);
	return s;
}

/* Source or destination address as text (malloc'd), NULL if none. */
static char *addr_text(const struct parse_in *in, const struct parse_res *res,
		       int dst)
{
	const struct pp_hdr *h = &res->h;
	char a[PP_ADDR_STRLEN];

	if (!res->full || h->command != PP_CMD_PROXY)
		return NULL;
	switch (h->family) {
	case PP_FAM_INET:
	case PP_FAM_INET6:
		if (!pp_addr_fmt(h->family, dst ? h->dst_addr : h->src_addr, a,
				 sizeof(a)))
			return NULL;
		return strdup(a);
	case PP_FAM_UNIX:
		if (h->version != PP_VER_2 ||
		    h->addr_off + 2 * UNIX_PATH_LEN > in->len)
			return NULL;
		return unix_path(in->buf->b + h->addr_off +
				 (dst ? UNIX_PATH_LEN : 0));
	}
	return NULL;
}

static int has_ports(const struct parse_res *res)
{
	return res->full && res->h.command == PP_CMD_PROXY &&
	       (res->h.family == PP_FAM_INET || res->h.family == PP_FAM_INET6);
}

/* ---- JSON ---- */

static int jadd(struct json_object *o, const char *k, struct json_object *v)
{
	if (!v || json_object_object_add(o, k, v)) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

#define JSTR(o, k, s) jadd(o, k, json_object_new_string(s))
#define JINT(o, k, n) jadd(o, k, json_object_new_int64(n))
#define JBOOL(o, k, b) jadd(o, k, json_object_new_boolean(b))

static int json_addrs(struct json_object *o, const struct parse_in *in,
		      const struct parse_res *res)
{
	char *src = addr_text(in, res, 0), *dst = addr_text(in, res, 1);
	int err = 0;

	if (src && dst)
		err = JSTR(o, "src_addr", src) ?: JSTR(o, "dst_addr", dst);
	free(src);
	free(dst);
	if (!err && has_ports(res))
		err = JINT(o, "src_port", res->h.src_port)
			      ?: JINT(o, "dst_port", res->h.dst_port);
	return err;
}

/* The one object of --json; field names are documented in README. */
static struct json_object *to_json(const struct parse_in *in,
				   struct parse_res *res)
{
	struct json_object *o = json_object_new_object();
	const struct pp_hdr *h = &res->h;
	int err;

	if (!o)
		return NULL;
	err = JSTR(o, "result", pp_result_str(res->result));
	if (!err && res->result == PP_RES_INVALID)
		err = JSTR(o, "error", pp_error_str(res->error))
			      ?: JINT(o, "error_offset", res->err_off);
	if (!err && res->result == PP_RES_NEED_MORE)
		err = JINT(o, "need", h->need);
	if (!err && h->version)
		err = JINT(o, "version", h->version);
	if (!err && (res->full || res->fixed))
		err = JSTR(o, "command", pp_command_str(h->command)) ?:
			JSTR(o, "family", pp_family_str(h->family)) ?:
			JSTR(o, "transport", pp_transport_str(h->transport));
	if (!err)
		err = json_addrs(o, in, res);
	if (!err && (res->full || res->fixed))
		err = JINT(o, "header_length", h->hdr_len);
	if (!err && res->full && h->version == PP_VER_2)
		err = JINT(o, "tlv_offset", h->tlv_off)
			      ?: JINT(o, "tlv_length", h->tlv_len);
	if (!err && res->full && h->version == PP_VER_1)
		err = JBOOL(o, "v1_unknown_long", h->v1_unknown_long);
	if (!err && res->tlvs) {
		err = jadd(o, "tlvs", json_object_get(res->tlvs))
			      ?: JSTR(o, "crc32c",
				      pp_crc_verdict_str(res->crc));
	}
	if (!err && res->result == PP_RES_HEADER)
		err = JSTR(o, "next", pp_next_str(h->next)) ?:
			JSTR(o, "next_class", pp_class_str(h->next_class)) ?:
			JBOOL(o, "stacked", h->next == PP_NEXT_STACKED);
	if (!err && res->result == PP_RES_NOT_PROXY)
		err = JSTR(o, "next", pp_next_str(PP_NEXT_DATA))
			      ?: JSTR(o, "next_class",
				      pp_class_str(h->next_class));
	if (!err)
		err = JBOOL(o, "truncated_input", in->truncated);
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- text ---- */

#define LABEL "%-15s "

static void print_v1_line(const struct parse_in *in, const struct pp_hdr *h)
{
	char line[4 * PP_V1_MAX_LINE + 1];

	if (h->hdr_len < 2 || h->hdr_len > PP_V1_MAX_LINE)
		return;
	pp_str_escape(in->buf->b, h->hdr_len - 2, line, sizeof(line));
	printf(LABEL "%s\n", "line:", line);
}

static void print_error(const struct parse_in *in, const struct parse_res *res)
{
	printf(LABEL "%s at offset %u", "error:", pp_error_str(res->error),
	       res->err_off);
	if (res->err_off < in->len) {
		__u8 c = in->buf->b[res->err_off];

		if (c > 0x20 && c < 0x7f)
			printf(" (byte 0x%02x '%c')", c, c);
		else
			printf(" (byte 0x%02x)", c);
	}
	putchar('\n');
}

static void print_next(const struct pp_hdr *h)
{
	switch (h->next) {
	case PP_NEXT_NONE:
		printf(LABEL "none (no bytes after the header)\n", "next:");
		break;
	case PP_NEXT_PARTIAL:
		printf(LABEL "partial (too few bytes to tell a second "
			     "preamble apart)\n",
		       "next:");
		break;
	case PP_NEXT_STACKED:
		printf(LABEL "stacked (a second PROXY preamble follows)\n",
		       "next:");
		break;
	default:
		printf(LABEL "data (%s)\n",
		       "next:", pp_class_str(h->next_class));
	}
}

static void print_text(const struct parse_in *in, const struct parse_res *res)
{
	const struct pp_hdr *h = &res->h;
	char *src, *dst;

	printf(LABEL "%u bytes from %s%s\n", "input:", in->len, in->name,
	       in->truncated ? " (the rest ignored)" : "");
	printf(LABEL "%s\n", "result:", pp_result_str(res->result));
	if (res->result == PP_RES_INVALID)
		print_error(in, res);
	if (res->result == PP_RES_NEED_MORE)
		printf(LABEL "at least %u more byte%s\n", "need:", h->need,
		       h->need == 1 ? "" : "s");
	if (res->result == PP_RES_NOT_PROXY)
		printf(LABEL "%s (no PROXY preamble)\n",
		       "bytes:", pp_class_str(h->next_class));
	if (h->version)
		printf(LABEL "%u\n", "version:", h->version);
	if (res->full && h->version == PP_VER_1)
		print_v1_line(in, h);
	if (res->full || res->fixed) {
		printf(LABEL "%s\n", "command:", pp_command_str(h->command));
		printf(LABEL "%s\n", "family:", pp_family_str(h->family));
		printf(LABEL "%s\n",
		       "transport:", pp_transport_str(h->transport));
	}
	src = addr_text(in, res, 0);
	dst = addr_text(in, res, 1);
	if (src && dst && has_ports(res)) {
		int v6 = h->family == PP_FAM_INET6;

		printf(LABEL "%s%s%s:%u\n", "source:", v6 ? "[" : "", src,
		       v6 ? "]" : "", h->src_port);
		printf(LABEL "%s%s%s:%u\n", "destination:", v6 ? "[" : "", dst,
		       v6 ? "]" : "", h->dst_port);
	} else if (src && dst) {
		printf(LABEL "%s\n", "source:", src);
		printf(LABEL "%s\n", "destination:", dst);
	}
	free(src);
	free(dst);
	if (res->full && h->version == PP_VER_1 && h->v1_unknown_long)
		printf(LABEL "UNKNOWN with fields (ignored; HAProxy rejects "
			     "this form)\n",
		       "note:");
	if (res->full || res->fixed)
		printf(LABEL "%u bytes\n", "header length:", h->hdr_len);
	if (res->tlvs) {
		printf(LABEL "%zu (%u bytes at offset %u)\n",
		       "tlvs:", json_object_array_length(res->tlvs), h->tlv_len,
		       h->tlv_off);
		pp_tlv_print(stdout, res->tlvs, "    ",
			     log_get_level() >= PP_LOG_DEBUG);
		printf(LABEL "%s\n", "crc32c:", pp_crc_verdict_str(res->crc));
	}
	if (res->result == PP_RES_HEADER)
		print_next(h);
}

int do_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct parse_in in = {};
	struct parse_res res = {};
	const char *path = NULL;
	struct json_object *o;
	int opt, json = 0, ret;

	while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'h':
			cmd_help(stdout, "parse");
			return 0;
		default: /* getopt printed the problem */
			return PP_EXIT_USAGE;
		}
	}
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		return cmd_usage_error("parse", "one input at a time, got '%s'",
				       argv[optind]);

	in.buf = calloc(1, sizeof(*in.buf));
	if (!in.buf) {
		pr_warn("out of memory\n");
		return EXIT_FAILURE;
	}
	ret = read_input(path, &in);
	if (ret) {
		free(in.buf);
		return ret == -EIO ? PP_EXIT_IOERR : PP_EXIT_NOINPUT;
	}
	if (in.truncated)
		pr_warn("input longer than %u bytes: the rest is ignored\n",
			(unsigned int)PP_BUF_CAP);

	parse_bytes(&in, &res);
	if (res.full && res.h.version == PP_VER_2 && !res.tlvs) {
		pr_warn("out of memory\n");
		free(in.buf);
		return EXIT_FAILURE;
	}
	if (json) {
		o = to_json(&in, &res);
		if (!o) {
			pr_warn("out of memory\n");
			ret = EXIT_FAILURE;
			goto out;
		}
		puts(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN |
				   JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	} else {
		print_text(&in, &res);
	}
	if (fflush(stdout) || ferror(stdout)) {
		pr_warn("cannot write the output: %s\n", strerror(errno));
		ret = PP_EXIT_IOERR;
		goto out;
	}
	switch (res.result) {
	case PP_RES_HEADER:
		ret = PARSE_EXIT_HEADER;
		break;
	case PP_RES_NOT_PROXY:
		ret = PARSE_EXIT_NOT_PROXY;
		break;
	case PP_RES_NEED_MORE:
		ret = PARSE_EXIT_NEED_MORE;
		break;
	default:
		ret = PARSE_EXIT_INVALID;
	}
out:
	json_object_put(res.tlvs);
	free(in.buf);
	return ret;
}
