/*
 * test_limits.c - the per-service limits of serve at run time (limits.c)
 * with made-up peers and clocks: per_source for IPv4, for IPv6 grouped by
 * /64 (and by another prefix) and for unix peers by uid, instances, the
 * cps window and its pause, only_from / no_access for addresses and
 * credentials, access_times across midnight, a release making room again
 * (and a second release doing nothing), the source table when full, and
 * the refusal-line limiter.
 */
#include "support.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/limits.h"

static sipc_addr v4(const char *ip, unsigned port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sipc_addr a;

	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	assert_int_equal(
		sipc_addr_from_sockaddr(&a, SIPC_TCP, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return a;
}

static sipc_addr v6(const char *ip, unsigned port)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	sipc_addr a;

	assert_int_equal(inet_pton(AF_INET6, ip, &s6.sin6_addr), 1);
	assert_int_equal(sipc_addr_from_sockaddr(&a, SIPC_TCP, (struct sockaddr *)&s6, sizeof(s6)),
			 0);
	return a;
}

static sipc_addr unix_peer(void)
{
	sipc_addr a;

	memset(&a, 0, sizeof(a));
	a.scheme = SIPC_UNIX;
	a.ss.ss_family = AF_UNIX;
	a.len = sizeof(sa_family_t);
	return a;
}

/* A conf with no limit at all, as sipc__svc_conf_complete leaves it. */
static struct sipc_svc_conf *conf_new(void)
{
	struct sipc_svc_conf *c = sipc__svc_conf_new("t", "test");

	assert_non_null(c);
	sipc__svc_conf_complete(c);
	assert_int_equal(c->instances, SIPC_SVC_UNLIMITED);
	assert_int_equal(c->per_source, SIPC_SVC_UNLIMITED);
	assert_int_equal(c->cps, SIPC_SVC_UNLIMITED);
	assert_int_equal(c->per_source_prefix6, 64);
	return c;
}

static int admit(struct sipc__limits *l, const sipc_addr *a, const sipc_cred *cr, int64_t now,
		 struct sipc__ticket *t)
{
	struct sipc__peer p = {a, cr};
	char why[160];

	return sipc__limits_admit(l, &p, now, 600, t, why, sizeof(why));
}

static void test_per_source_v4(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	struct sipc__limits *l;
	struct sipc__ticket t[4], x;
	sipc_addr a = v4("192.0.2.1", 1000), b = v4("192.0.2.1", 1001), o = v4("192.0.2.2", 1);
	struct sipc__peer p = {&b, NULL};
	char why[160];

	(void)state;
	c->per_source = 2;
	l = sipc__limits_new(c);
	assert_non_null(l);
	assert_int_equal(admit(l, &a, NULL, 1, &t[0]), SIPC_LIMITS_ADMITTED);
	/* Another port of the same host is the same source. */
	assert_int_equal(admit(l, &b, NULL, 1, &t[1]), SIPC_LIMITS_ADMITTED);
	assert_int_equal(sipc__limits_admit(l, &p, 1, 600, &x, why, sizeof(why)),
			 SIPC_LIMITS_REFUSED);
	assert_non_null(strstr(why, "per_source 2"));
	assert_null(x.l);
	/* Another source is not counted against it. */
	assert_int_equal(admit(l, &o, NULL, 1, &t[2]), SIPC_LIMITS_ADMITTED);
	assert_int_equal(sipc__limits_instances(l), 3);
	/* A release makes room; a second one does nothing. */
	sipc__limits_release(&t[0]);
	sipc__limits_release(&t[0]);
	assert_int_equal(sipc__limits_instances(l), 2);
	assert_int_equal(admit(l, &a, NULL, 1, &t[3]), SIPC_LIMITS_ADMITTED);
	assert_int_equal(admit(l, &a, NULL, 1, &x), SIPC_LIMITS_REFUSED);
	sipc__limits_release(&t[1]);
	sipc__limits_release(&t[2]);
	sipc__limits_release(&t[3]);
	assert_int_equal(sipc__limits_instances(l), 0);
	/* An IPv4-mapped peer of a dual-stack listener is that IPv4 host. */
	sipc_addr m = v6("::ffff:192.0.2.1", 5);
	struct sipc__source s1, s2;
	struct sipc__peer pm = {&m, NULL}, pa = {&a, NULL};
	sipc__limits_source_of(c, &pm, &s1);
	sipc__limits_source_of(c, &pa, &s2);
	assert_memory_equal(&s1, &s2, sizeof(s1));
	/* Entries are freed at zero. */
	assert_int_equal(sipc__limits_source_count(l, &s1), 0);
	sipc__limits_free(l);
	sipc__svc_conf_free(c);
}

static void test_per_source_v6(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	struct sipc__limits *l;
	struct sipc__ticket t1, t2, t3, x;
	sipc_addr a = v6("2001:db8:1:2::1", 1), b = v6("2001:db8:1:2:ffff::9", 2),
		  o = v6("2001:db8:1:3::1", 3);

	(void)state;
	c->per_source = 1;
	l = sipc__limits_new(c);
	assert_int_equal(admit(l, &a, NULL, 1, &t1), SIPC_LIMITS_ADMITTED);
	/* Same /64: the same source. */
	assert_int_equal(admit(l, &b, NULL, 1, &x), SIPC_LIMITS_REFUSED);
	/* Next /64: another source. */
	assert_int_equal(admit(l, &o, NULL, 1, &t2), SIPC_LIMITS_ADMITTED);
	sipc__limits_release(&t1);
	assert_int_equal(admit(l, &b, NULL, 1, &t3), SIPC_LIMITS_ADMITTED);
	sipc__limits_release(&t2);
	sipc__limits_release(&t3);
	sipc__limits_free(l);

	/* /128: every address apart; /48: both /64s together. */
	c->per_source_prefix6 = 128;
	l = sipc__limits_new(c);
	assert_int_equal(admit(l, &a, NULL, 1, &t1), SIPC_LIMITS_ADMITTED);
	assert_int_equal(admit(l, &b, NULL, 1, &t2), SIPC_LIMITS_ADMITTED);
	sipc__limits_release(&t1);
	sipc__limits_release(&t2);
	sipc__limits_free(l);
	c->per_source_prefix6 = 48;
	l = sipc__limits_new(c);
	assert_int_equal(admit(l, &a, NULL, 1, &t1), SIPC_LIMITS_ADMITTED);
	assert_int_equal(admit(l, &o, NULL, 1, &x), SIPC_LIMITS_REFUSED);
	sipc__limits_release(&t1);
	sipc__limits_free(l);
	sipc__svc_conf_free(c);
}

static void test_per_source_unix(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	struct sipc__limits *l;
	struct sipc__ticket t1, t2, x;
	sipc_addr u = unix_peer();
	sipc_cred a = {.pid = 10, .uid = 1000, .gid = 1000}, b = {.pid = 11, .uid = 1001};

	(void)state;
	c->per_source = 1;
	l = sipc__limits_new(c);
	assert_int_equal(admit(l, &u, &a, 1, &t1), SIPC_LIMITS_ADMITTED);
	a.pid = 12; /* another process of the same uid */
	assert_int_equal(admit(l, &u, &a, 1, &x), SIPC_LIMITS_REFUSED);
	assert_int_equal(admit(l, &u, &b, 1, &t2), SIPC_LIMITS_ADMITTED);
	sipc__limits_release(&t1);
	sipc__limits_release(&t2);
	sipc__limits_free(l);
	sipc__svc_conf_free(c);
}

static void test_instances(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	struct sipc__limits *l;
	struct sipc__ticket t[3], x;
	sipc_addr a = v4("192.0.2.1", 1);
	struct sipc__peer p = {&a, NULL};
	char why[160];

	(void)state;
	c->instances = 3;
	l = sipc__limits_new(c);
	for (int i = 0; i < 3; i++)
		assert_int_equal(admit(l, &a, NULL, 1, &t[i]), SIPC_LIMITS_ADMITTED);
	assert_int_equal(sipc__limits_admit(l, &p, 1, 600, &x, why, sizeof(why)),
			 SIPC_LIMITS_REFUSED);
	assert_non_null(strstr(why, "instances 3"));
	assert_int_equal(sipc__limits_instances(l), 3);
	sipc__limits_release(&t[1]);
	assert_int_equal(admit(l, &a, NULL, 1, &t[1]), SIPC_LIMITS_ADMITTED);
	for (int i = 0; i < 3; i++)
		sipc__limits_release(&t[i]);
	assert_int_equal(sipc__limits_instances(l), 0);
	sipc__limits_free(l);
	sipc__svc_conf_free(c);
}

static void test_cps(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	struct sipc__limits *l;
	struct sipc__ticket t;
	sipc_addr a = v4("192.0.2.1", 1);
	int64_t now = 5000;

	(void)state;
	c->cps = 3;
	c->cps_pause_ms = 2000;
	l = sipc__limits_new(c);
	/* Three per second, window after window. */
	for (int s = 0; s < 3; s++) {
		for (int i = 0; i < 3; i++) {
			assert_int_equal(admit(l, &a, NULL, now + i, &t), SIPC_LIMITS_ADMITTED);
			sipc__limits_release(&t);
		}
		now += 1000;
	}
	assert_int_equal(sipc__limits_paused(l, now), 0);
	assert_false(sipc__limits_pause_over(l, now));
	/* The fourth in one second begins the pause. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(admit(l, &a, NULL, now, &t), SIPC_LIMITS_ADMITTED);
		sipc__limits_release(&t);
	}
	assert_int_equal(admit(l, &a, NULL, now + 10, &t), SIPC_LIMITS_PAUSED);
	assert_null(t.l);
	assert_int_equal(sipc__limits_paused(l, now + 10), 2000);
	assert_int_equal(sipc__limits_paused(l, now + 1010), 1000);
	/* During it, refused (a worker that had not stopped yet). */
	assert_int_equal(admit(l, &a, NULL, now + 1500, &t), SIPC_LIMITS_REFUSED);
	assert_false(sipc__limits_pause_over(l, now + 2009));
	/* At its end: over, told once; accepting again. */
	assert_int_equal(sipc__limits_paused(l, now + 2010), 0);
	assert_true(sipc__limits_pause_over(l, now + 2010));
	assert_false(sipc__limits_pause_over(l, now + 2011));
	assert_int_equal(admit(l, &a, NULL, now + 2011, &t), SIPC_LIMITS_ADMITTED);
	sipc__limits_release(&t);
	assert_int_equal(sipc__limits_instances(l), 0);
	sipc__limits_free(l);
	sipc__svc_conf_free(c);
}

static void test_acl(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	sipc_addr in = v4("127.0.0.1", 1), out = v4("127.0.0.2", 1), bad = v4("127.0.0.9", 1),
		  six = v6("::1", 1), u = unix_peer();
	sipc_cred me = {.uid = geteuid(), .gid = 5}, other = {.uid = 65534, .gid = 65534},
		  staff = {.uid = 4242, .gid = 50};
	struct sipc__peer p_in = {&in, NULL}, p_out = {&out, NULL}, p_bad = {&bad, NULL},
			  p_six = {&six, NULL}, p_me = {&u, &me}, p_other = {&u, &other},
			  p_staff = {&u, &staff};
	char why[128];

	(void)state;
	/* Nothing set: everyone. */
	assert_null(sipc__limits_access(c, &p_out, 0));
	assert_null(sipc__limits_access(c, &p_other, 0));
	assert_int_equal(sipc__acl_add(&c->only_from, "127.0.0.0/30", why, sizeof(why)), 0);
	assert_int_equal(sipc__acl_add(&c->no_access, "127.0.0.2", why, sizeof(why)), 0);
	assert_null(sipc__limits_access(c, &p_in, 0));
	assert_string_equal(sipc__limits_access(c, &p_out, 0), "in no_access");
	assert_string_equal(sipc__limits_access(c, &p_bad, 0), "not in only_from");
	assert_string_equal(sipc__limits_access(c, &p_six, 0), "not in only_from");
	/* CIDR rules say nothing of unix peers. */
	assert_null(sipc__limits_access(c, &p_other, 0));
	/* uid:/gid: rules: the server's own uid passes only_from. */
	assert_int_equal(sipc__acl_add_uids(&c->only_from, "4242", why, sizeof(why)), 0);
	assert_null(sipc__limits_access(c, &p_me, 0));
	assert_null(sipc__limits_access(c, &p_staff, 0));
	assert_string_equal(sipc__limits_access(c, &p_other, 0), "uid/gid not in only_from");
	assert_int_equal(sipc__acl_add_gids(&c->no_access, "50", why, sizeof(why)), 0);
	assert_string_equal(sipc__limits_access(c, &p_staff, 0), "uid/gid in no_access");
	/* ... and uid rules say nothing of IP peers. */
	assert_null(sipc__limits_access(c, &p_in, 0));
	/* admit refuses what access refuses, and holds nothing. */
	struct sipc__limits *l = sipc__limits_new(c);
	struct sipc__ticket t;
	assert_int_equal(admit(l, &bad, NULL, 1, &t), SIPC_LIMITS_REFUSED);
	assert_null(t.l);
	assert_int_equal(sipc__limits_instances(l), 0);
	sipc__limits_free(l);
	sipc__svc_conf_free(c);
}

static void test_times(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	char *words[] = {"22:00-02:00", "12:00-12:30", NULL};
	char why[128];
	sipc_addr a = v4("192.0.2.1", 1);
	struct sipc__peer p = {&a, NULL};

	(void)state;
	assert_int_equal(sipc__svc_conf_set(c, "access_times", words, 2, false, why, sizeof(why)),
			 0);
	assert_null(sipc__limits_access(c, &p, 22 * 60));
	assert_null(sipc__limits_access(c, &p, 23 * 60 + 59));
	assert_null(sipc__limits_access(c, &p, 0));
	assert_null(sipc__limits_access(c, &p, 1 * 60 + 59));
	assert_string_equal(sipc__limits_access(c, &p, 2 * 60), "outside access_times");
	assert_string_equal(sipc__limits_access(c, &p, 21 * 60 + 59), "outside access_times");
	assert_null(sipc__limits_access(c, &p, 12 * 60 + 15));
	assert_string_equal(sipc__limits_access(c, &p, 12 * 60 + 30), "outside access_times");
	sipc__svc_conf_free(c);
}

static void test_table_full(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	struct sipc__limits *l;
	struct sipc__ticket *t = calloc(SIPC_LIMITS_SOURCES_MAX, sizeof(*t)), x;
	sipc_addr a;
	struct sipc__peer p = {&a, NULL};
	char ip[32], why[160];

	(void)state;
	assert_non_null(t);
	c->per_source = 1;
	l = sipc__limits_new(c);
	for (int i = 0; i < SIPC_LIMITS_SOURCES_MAX; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
		a = v4(ip, 1);
		assert_int_equal(admit(l, &a, NULL, 1, &t[i]), SIPC_LIMITS_ADMITTED);
	}
	a = v4("192.0.2.77", 1);
	assert_int_equal(sipc__limits_admit(l, &p, 1, 600, &x, why, sizeof(why)),
			 SIPC_LIMITS_REFUSED);
	assert_non_null(strstr(why, "table is full"));
	assert_int_equal(sipc__limits_instances(l), SIPC_LIMITS_SOURCES_MAX);
	/* One source gone: a new one fits. */
	sipc__limits_release(&t[7]);
	assert_int_equal(admit(l, &a, NULL, 1, &t[7]), SIPC_LIMITS_ADMITTED);
	for (int i = 0; i < SIPC_LIMITS_SOURCES_MAX; i++)
		sipc__limits_release(&t[i]);
	assert_int_equal(sipc__limits_instances(l), 0);
	free(t);
	sipc__limits_free(l);
	sipc__svc_conf_free(c);
}

static void test_log_take(void **state)
{
	struct sipc_svc_conf *c = conf_new();
	struct sipc__limits *l = sipc__limits_new(c);
	uint64_t more = 99;
	int lines = 0;

	(void)state;
	/* A flood from one host, every connection from a port of its own:
	 * one line for the host per interval. */
	for (unsigned i = 0; i < 1000; i++) {
		sipc_addr a = v4("192.0.2.1", 1000 + i);
		if (sipc__limits_log_take(l, &a, 10000 + i / 10, &more))
			lines++;
	}
	assert_int_equal(lines, 1);
	sipc_addr a = v4("192.0.2.1", 1);
	assert_true(sipc__limits_log_take(l, &a, 20000, &more));
	assert_int_equal(more, 999);
	sipc__limits_free(l);
	sipc__svc_conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_source_v4),
		cmocka_unit_test(test_per_source_v6),
		cmocka_unit_test(test_per_source_unix),
		cmocka_unit_test(test_instances),
		cmocka_unit_test(test_cps),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_log_take),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
