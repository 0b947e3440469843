// SPDX-License-Identifier: GPL-2.0
/*
 * cmocka tests of user/config.c (the INI config, CIDR and value parsers)
 * and of the trust coverage rule in user/maps.c: every error reported with
 * its line, nothing accepted that the maps could not hold.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../user/config.h"
#include "../../user/maps.h"

/* ---- helpers ---- */

/* Parse text as file "t.conf"; stderr (the error lines) into errs. */
static int load(const char *text, struct pp_conf *c, char *errs, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	FILE *e = tmpfile();
	int saved, r;
	size_t n;

	assert_non_null(f);
	assert_non_null(e);
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(e), 2);
	r = pp_conf_load_file(f, "t.conf", c);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(e);
	n = fread(errs, 1, len - 1, e);
	errs[n] = '\0';
	fclose(e);
	fclose(f);
	return r;
}

/* The config fails, and its errors include "t.conf:LINE: ...want..." */
static void expect_error(const char *text, int line, const char *want)
{
	char errs[8192], prefix[32];
	struct pp_conf c;
	const char *p;
	int r;

	r = load(text, &c, errs, sizeof(errs));
	pp_conf_free(&c);
	snprintf(prefix, sizeof(prefix), "t.conf:%d: ", line);
	p = strstr(errs, prefix);
	if (r != -EINVAL || !p || !strstr(p, want))
		fail_msg("want -EINVAL and '%s%s', got %d:\n%s", prefix, want,
			 r, errs);
}

static struct pp_cidr cidr(const char *s)
{
	struct pp_cidr c;

	assert_int_equal(pp_cidr_parse(s, &c, NULL), 0);
	return c;
}

/* ---- CIDR ---- */

static void test_cidr_valid(void **state)
{
	char buf[PP_CIDR_STRLEN];
	struct pp_cidr c;

	(void)state;
	c = cidr("198.18.0.0/15");
	assert_int_equal(c.family, 4);
	assert_int_equal(c.prefixlen, 15);
	assert_string_equal(pp_cidr_fmt(&c, buf, sizeof(buf)), "198.18.0.0/15");
	c = cidr("203.0.113.7");
	assert_int_equal(c.prefixlen, 32);
	c = cidr("fd00::/8");
	assert_int_equal(c.family, 6);
	assert_int_equal(c.addr[0], 0xfd);
	c = cidr("2001:db8::1");
	assert_int_equal(c.prefixlen, 128);
	assert_string_equal(pp_cidr_fmt(&c, buf, sizeof(buf)),
			    "2001:db8::1/128");
	c = cidr("0.0.0.0/0");
	assert_int_equal(c.prefixlen, 0);
	c = cidr("::/0");
	assert_int_equal(c.family, 6);
	c = cidr("198.18.1.128/25");
	assert_int_equal(c.addr[3], 128);
}

static void test_cidr_invalid(void **state)
{
	static const struct {
		const char *s, *why;
	} bad[] = {
		{"", "empty CIDR"},
		{"198.18.1.5/24", "host bits set"},
		{"fd00::1/64", "host bits set"},
		{"198.18.1.129/25", "host bits set"},
		{"198.18.0.0/33", "prefix length must be 0..32"},
		{"fd00::/129", "prefix length must be 0..128"},
		{"198.18.0.0/", "prefix length must be 0..32"},
		{"198.18.0.0/-1", "prefix length must be 0..32"},
		{"198.18.0.0/+8", "prefix length must be 0..32"},
		{"198.18.0.0/ 8", "prefix length must be 0..32"},
		{"198.18.0.0/0008", "prefix length must be 0..32"},
		{"/24", "not an IPv4 or IPv6 address"},
		{"300.1.1.1", "not an IPv4 or IPv6 address"},
		{"198.18.1", "not an IPv4 or IPv6 address"},
		{"0x7f.0.0.1", "not an IPv4 or IPv6 address"},
		{"fe80::1%eth0", "not an IPv4 or IPv6 address"},
		{"example.com", "not an IPv4 or IPv6 address"},
		{" 198.18.0.0/15", "not an IPv4 or IPv6 address"},
	};
	struct pp_cidr c;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pp_cidr_parse(bad[i].s, &c, &why) != -EINVAL ||
		    strcmp(why, bad[i].why))
			fail_msg("'%s': want '%s', got '%s'", bad[i].s,
				 bad[i].why, why ? why : "(accepted)");
	}
	/* the suggested network comes with the host-bits error */
	assert_int_equal(pp_cidr_parse("198.18.1.5/24", &c, &why), -EINVAL);
	assert_int_equal(c.addr[3], 0);
	assert_int_equal(c.prefixlen, 24);
}

static void test_cidr_contains(void **state)
{
	struct pp_cidr a = cidr("198.18.0.0/24"), b = cidr("198.18.0.10");
	struct pp_cidr n = cidr("198.18.1.0/25"), v6 = cidr("::/0");

	(void)state;
	assert_true(pp_cidr_contains(&a, &b));
	assert_false(pp_cidr_contains(&b, &a));
	assert_true(pp_cidr_contains(&a, &a));
	assert_false(pp_cidr_contains(&a, &n));
	assert_false(pp_cidr_contains(&v6, &a)); /* not across families */
	n = cidr("198.18.0.128/25");
	assert_true(pp_cidr_contains(&a, &n));
	a = cidr("198.18.0.0/23");
	n = cidr("198.18.1.0/24");
	assert_true(pp_cidr_contains(&a, &n));
	a = cidr("198.18.2.0/23");
	assert_false(pp_cidr_contains(&a, &n));
}

/* ---- scalar values ---- */

static void test_values(void **state)
{
	__u16 port;
	__u8 m;
	__u64 ns;

	(void)state;
	assert_int_equal(pp_port_parse("1", &port), 0);
	assert_int_equal(port, 1);
	assert_int_equal(pp_port_parse("65535", &port), 0);
	assert_int_equal(port, 65535);
	assert_int_equal(pp_port_parse("0", &port), -EINVAL);
	assert_int_equal(pp_port_parse("65536", &port), -EINVAL);
	assert_int_equal(pp_port_parse("+80", &port), -EINVAL);
	assert_int_equal(pp_port_parse("80a", &port), -EINVAL);
	assert_int_equal(pp_port_parse("", &port), -EINVAL);
	assert_int_equal(pp_port_parse("000080", &port), -EINVAL);

	assert_int_equal(pp_versions_parse("v1", &m), 0);
	assert_int_equal(m, PP_VERS_V1);
	assert_int_equal(pp_versions_parse("v2, v1", &m), 0);
	assert_int_equal(m, PP_VERS_V1 | PP_VERS_V2);
	assert_int_equal(pp_versions_parse("v3", &m), -EINVAL);
	assert_int_equal(pp_versions_parse("v1,", &m), -EINVAL);
	assert_int_equal(pp_versions_parse("", &m), -EINVAL);
	assert_int_equal(pp_versions_parse("v1 v2", &m), -EINVAL);
	assert_string_equal(pp_versions_str(PP_VERS_V1 | PP_VERS_V2), "v1,v2");

	assert_int_equal(pp_port_action_parse("reset", &m), 0);
	assert_int_equal(m, PP_ACT_RESET);
	assert_int_equal(pp_port_action_parse("pass", &m), -EINVAL);
	assert_int_equal(pp_port_action_parse("DROP", &m), -EINVAL);

	assert_int_equal(pp_bool_parse("yes"), 1);
	assert_int_equal(pp_bool_parse("off"), 0);
	assert_int_equal(pp_bool_parse("maybe"), -EINVAL);

	assert_int_equal(pp_duration_parse("90", &ns), 0);
	assert_true(ns == 90ULL * 1000000000ULL);
	assert_int_equal(pp_duration_parse("10m", &ns), 0);
	assert_true(ns == 600ULL * 1000000000ULL);
	assert_int_equal(pp_duration_parse("2h", &ns), 0);
	assert_true(ns == 7200ULL * 1000000000ULL);
	assert_int_equal(pp_duration_parse("365d", &ns), 0);
	assert_int_equal(pp_duration_parse("366d", &ns), -EINVAL);
	assert_int_equal(pp_duration_parse("0s", &ns), -EINVAL);
	assert_int_equal(pp_duration_parse("5x", &ns), -EINVAL);
	assert_int_equal(pp_duration_parse("m", &ns), -EINVAL);
	assert_int_equal(pp_duration_parse("1.5h", &ns), -EINVAL);
}

/* ---- the file ---- */

static const char design_example[] =
	"[global]\n"
	"mode = xdp                ; tc | xdp\n"
	"xdp_mode = skb\n"
	"metrics = 127.0.0.1:9464\n"
	"events = -                ; JSON lines: - (stdout) or a path\n"
	"dry_run = yes\n"
	"flows = 131072\n"
	"[trust]                   ; peers allowed to assert client identity\n"
	"cidr = 198.18.1.0/24\n"
	"cidr = fd00:1::/64\n"
	"[healthcheck]             ; peers exempt from \"require\"\n"
	"cidr = 198.18.1.10/32\n"
	"cidr = 198.19.0.1\n"
	"[deny_client]\n"
	"cidr = 192.0.2.0/24\n"
	"[port 443]\n"
	"require = yes             ; trusted peers must send a header\n"
	"versions = v2             ; v1 | v2 | v1,v2\n"
	"action = reset            ; drop | reset | log\n"
	"[port 8080]\n"
	"# defaults\n"
	"[autoblock]\n"
	"threshold = 5\n"
	"window = 60s\n"
	"ttl = 10m\n";

static void test_conf_full(void **state)
{
	char errs[4096];
	struct pp_conf c;

	(void)state;
	assert_int_equal(load(design_example, &c, errs, sizeof(errs)), 0);
	assert_int_equal(c.mode, PP_MODE_XDP);
	assert_int_equal(c.xdp_mode, PP_XDP_SKB);
	assert_string_equal(c.metrics, "127.0.0.1:9464");
	assert_string_equal(c.events, "-");
	assert_int_equal(c.dry_run, 1);
	assert_int_equal(c.flows_max, 131072);
	assert_int_equal(c.trust.n, 2);
	assert_int_equal(c.trust.v[1].cidr.family, 6);
	assert_int_equal(c.trust.v[1].line, 10);
	assert_int_equal(c.healthcheck.n, 2);
	assert_int_equal(c.deny.n, 1);
	assert_int_equal(c.n_ports, 2);
	assert_int_equal(c.ports[0].port, 443);
	assert_int_equal(c.ports[0].require, 1);
	assert_int_equal(c.ports[0].versions, PP_VERS_V2);
	assert_int_equal(c.ports[0].action, PP_ACT_RESET);
	assert_int_equal(c.ports[0].line, 16);
	assert_int_equal(c.ports[1].port, 8080);
	assert_int_equal(c.ports[1].require, 0);
	assert_int_equal(c.ports[1].versions, PP_VERS_V1 | PP_VERS_V2);
	assert_int_equal(c.ports[1].action, PP_ACT_DROP);
	assert_int_equal(c.autoblock.enabled, 1);
	assert_int_equal(c.autoblock.threshold, 5);
	assert_true(c.autoblock.window_ns == 60ULL * 1000000000ULL);
	assert_true(c.autoblock.ttl_ns == 600ULL * 1000000000ULL);
	pp_conf_free(&c);
}

static void test_conf_defaults(void **state)
{
	char errs[4096];
	struct pp_conf c;

	(void)state;
	assert_int_equal(load("[port 443]\n", &c, errs, sizeof(errs)), 0);
	assert_int_equal(c.mode, PP_MODE_TC);
	assert_int_equal(c.mode_set, 0);
	assert_null(c.metrics);
	assert_string_equal(c.events, "-");
	assert_int_equal(c.autoblock.enabled, 0);
	assert_int_equal(c.flows_max, 0);
	pp_conf_free(&c);
	/* an empty file is valid, with a warning */
	assert_int_equal(load("", &c, errs, sizeof(errs)), 0);
	assert_non_null(strstr(errs, "warning: no [port N] section"));
	pp_conf_free(&c);
	assert_int_equal(
		load("[global]\nmetrics = off\nevents = off\n[autoblock]\n", &c,
		     errs, sizeof(errs)),
		0);
	assert_null(c.metrics);
	assert_null(c.events);
	assert_int_equal(c.autoblock.enabled, 1);
	pp_conf_free(&c);
}

static void test_conf_errors(void **state)
{
	char many[8192];
	size_t o = 0;
	int i;

	(void)state;
	expect_error("[trust]\ncidr = 198.18.1.5/24\n", 2,
		     "host bits set (did you mean 198.18.1.0/24?)");
	expect_error("[trust]\n\n; c\ncidr = 300.0.0.0/8\n", 4,
		     "not an IPv4 or IPv6 address");
	expect_error("[deny_client]\ncidr =\n", 2, "empty CIDR");
	expect_error("[port 0]\n", 1, "port must be a number 1..65535");
	expect_error("[port 65536]\n", 1, "port must be a number 1..65535");
	expect_error("[port -1]\n", 1, "port must be a number 1..65535");
	expect_error("[port]\n", 1, "needs a port number");
	expect_error("[port 80]\n[port 443]\n[port 80]\n", 3,
		     "duplicate [port 80] (first at line 1)");
	expect_error("[global]\ncolour = blue\n", 2, "unknown key 'colour'");
	expect_error("[port 80]\ntimeout = 5\n", 2, "unknown key 'timeout'");
	expect_error("[trust]\nhost = 1.2.3.4\n", 2, "unknown key 'host'");
	expect_error("[autoblock]\nlimit = 1\n", 2, "unknown key 'limit'");
	expect_error("[global]\n[firewall]\nx = 1\n", 2,
		     "unknown section [firewall]");
	expect_error("mode = tc\n", 1, "before any section");
	expect_error("[global]\nmode = bpf\n", 2, "mode 'bpf'");
	expect_error("[global]\nxdp_mode = hw\n", 2, "xdp_mode 'hw'");
	expect_error("[global]\nmetrics = localhost:9464\n", 2, "metrics");
	expect_error("[global]\nmetrics = 127.0.0.1:0\n", 2, "metrics");
	expect_error("[global]\nmetrics = [::1]9464\n", 2, "metrics");
	expect_error("[global]\nevents = log.json\n", 2, "absolute path");
	expect_error("[global]\ndry_run = maybe\n", 2, "dry_run 'maybe'");
	expect_error("[global]\nflows = 100\n", 2, "flows '100'");
	expect_error("[global]\nmode = tc\nmode = xdp\n", 3,
		     "duplicate key 'mode' (first at line 2)");
	expect_error("[global]\nmode = tc\n[port 1]\n[global]\nmode = xdp\n", 5,
		     "duplicate key 'mode' (first at line 2)");
	expect_error("[port 80]\nrequire = perhaps\n", 2, "require 'perhaps'");
	expect_error("[port 80]\nversions = v1,v3\n", 2, "versions 'v1,v3'");
	expect_error("[port 80]\naction = pass\n", 2, "action 'pass'");
	expect_error("[autoblock]\nthreshold = 0\n", 2, "threshold '0'");
	expect_error("[autoblock]\nwindow = 1w\n", 2, "window '1w'");
	expect_error("[autoblock]\nttl = -5m\n", 2, "ttl '-5m'");
	expect_error("[global]\nthis is not a pair\n", 2,
		     "expected [section] or key = value");
	expect_error("[trust\ncidr = 1.2.3.4\n", 1, "without ']'");
	/* more than PP_PORT_SLOTS ports: the 65th is the error */
	for (i = 1; i <= PP_PORT_SLOTS + 1; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, "[port %d]\n",
				      1000 + i);
	expect_error(many, PP_PORT_SLOTS + 1, "more than 64 [port] sections");
	/* a line longer than inih's buffer is an error, not two lines */
	o = (size_t)snprintf(many, sizeof(many), "[trust]\ncidr = 1.2.3.4 ;");
	memset(many + o, 'x', 400);
	strcpy(many + o + 400, "\n[port 80]\n");
	expect_error(many, 2, "line longer than");
}

static void test_conf_all_errors(void **state)
{
	char errs[8192];
	struct pp_conf c;
	const char *p;
	int n = 0;

	(void)state;
	assert_int_equal(load("[trust]\ncidr = 1.2.3.4/8\n[port 0]\n"
			      "[global]\nmode = x\n[port 80]\naction = y\n",
			      &c, errs, sizeof(errs)),
			 -EINVAL);
	pp_conf_free(&c);
	for (p = errs; (p = strstr(p, "t.conf:")); p++)
		if (p[7] >= '0' && p[7] <= '9')
			n++;
	assert_int_equal(n, 4);
	assert_non_null(strstr(errs, "t.conf:2: "));
	assert_non_null(strstr(errs, "t.conf:3: "));
	assert_non_null(strstr(errs, "t.conf:5: "));
	assert_non_null(strstr(errs, "t.conf:7: "));
	assert_non_null(strstr(errs, "4 errors, nothing applied"));
}

static void test_conf_warnings(void **state)
{
	char errs[4096];
	struct pp_conf c;

	(void)state;
	assert_int_equal(load("[trust]\ncidr = 10.0.0.0/8\ncidr = 10.0.0.0/8\n"
			      "[port 80]\n",
			      &c, errs, sizeof(errs)),
			 0);
	assert_int_equal(c.trust.n, 1);
	assert_non_null(strstr(errs, "t.conf:3: warning: [trust] cidr "
				     "10.0.0.0/8 listed twice"));
	pp_conf_free(&c);
	assert_int_equal(load("[trust]\ncidr = 0.0.0.0/0\n[port 80]\n", &c,
			      errs, sizeof(errs)),
			 0);
	assert_non_null(strstr(errs, "covers every IPv4 address"));
	pp_conf_free(&c);
}

/* ---- trust coverage (maps.c) ---- */

static const struct pp_trust_entry *find(const struct pp_want *w, const char *s)
{
	struct pp_cidr c = cidr(s);
	size_t i;

	for (i = 0; i < w->n_trust; i++)
		if (pp_cidr_equal(&w->trust[i].cidr, &c))
			return &w->trust[i];
	fail_msg("%s not in the wanted trust entries", s);
	return NULL;
}

static void test_trust_coverage(void **state)
{
	const struct pp_trust_entry *e;
	char errs[4096];
	struct pp_conf c;
	struct pp_want w;

	(void)state;
	assert_int_equal(load("[trust]\n"
			      "cidr = 198.18.1.0/24\n"
			      "cidr = 10.1.0.0/16\n"
			      "cidr = 192.0.2.7\n"
			      "[healthcheck]\n"
			      "cidr = 198.18.1.10/32\n" /* inside trust */
			      "cidr = 198.19.0.1\n"	/* alone */
			      "cidr = 10.0.0.0/8\n"	/* around a trust */
			      "cidr = 192.0.2.7\n"	/* the same prefix */
			      "[port 80]\n",
			      &c, errs, sizeof(errs)),
			 0);
	assert_int_equal(pp_want_from_conf(&c, 0, &w), 0);
	assert_int_equal(w.n_trust, 6);
	e = find(&w, "198.18.1.10/32");
	assert_int_equal(e->val.trusted, 1);
	assert_int_equal(e->val.healthcheck, 1);
	assert_int_equal(e->val.listed, PP_LISTED_HEALTHCHECK);
	e = find(&w, "198.18.1.0/24");
	assert_int_equal(e->val.trusted, 1);
	assert_int_equal(e->val.healthcheck, 0);
	e = find(&w, "198.19.0.1/32");
	assert_int_equal(e->val.trusted, 0);
	assert_int_equal(e->val.healthcheck, 1);
	/* a trust prefix inside a healthcheck one is both: its addresses
	 * are in both lists */
	e = find(&w, "10.1.0.0/16");
	assert_int_equal(e->val.trusted, 1);
	assert_int_equal(e->val.healthcheck, 1);
	e = find(&w, "10.0.0.0/8");
	assert_int_equal(e->val.trusted, 0);
	assert_int_equal(e->val.healthcheck, 1);
	e = find(&w, "192.0.2.7/32");
	assert_int_equal(e->val.listed,
			 PP_LISTED_TRUST | PP_LISTED_HEALTHCHECK);
	assert_int_equal(e->val.trusted, 1);
	assert_int_equal(e->val.healthcheck, 1);
	pp_want_free(&w);
	pp_conf_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_valid),
		cmocka_unit_test(test_cidr_invalid),
		cmocka_unit_test(test_cidr_contains),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_conf_full),
		cmocka_unit_test(test_conf_defaults),
		cmocka_unit_test(test_conf_errors),
		cmocka_unit_test(test_conf_all_errors),
		cmocka_unit_test(test_conf_warnings),
		cmocka_unit_test(test_trust_coverage),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
