/*
 * test_proxyacl.c - what the proxy services decide before they connect:
 * --to rules (blocks, ports, brackets, any; an IPv4-mapped destination
 * matched as IPv4, an unspecified or port-0 one never), the user list
 * (NAME:PASS, colons in passwords, files with their line numbers, the
 * check that compares every user), Basic's base64, the names a lookup
 * takes, the log escaping of peer bytes, and the repeatable service
 * option the rules come from.
 */
#include "support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve/services/proxyacl.h"
#include "serve/services/proxyname.h"
#include "serve/services/services.h"

static sipc_addr addr(const char *ip, int port)
{
	sipc_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(ip, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a.ss;
		s6->sin6_family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
		s6->sin6_port = htons((uint16_t)port);
		a.len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&a.ss;
		s4->sin_family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
		s4->sin_port = htons((uint16_t)port);
		a.len = sizeof(*s4);
	}
	a.scheme = SIPC_TCP;
	return a;
}

static bool allow(const struct sipc__px_rules *r, const char *ip, int port)
{
	sipc_addr a = addr(ip, port);
	return sipc__px_rules_allow(r, &a);
}

static void test_default_is_loopback(void **state)
{
	struct sipc__px_rules r = {0};
	char why[256], desc[256];

	(void)state;
	assert_int_equal(sipc__px_rules_default(&r, why, sizeof(why)), 0);
	assert_true(allow(&r, "127.0.0.1", 80));
	assert_true(allow(&r, "127.255.0.9", 65535));
	assert_true(allow(&r, "::1", 22));
	/* A mapped loopback address is loopback; a mapped other one is not. */
	assert_true(allow(&r, "::ffff:127.0.0.1", 80));
	assert_false(allow(&r, "::ffff:10.0.0.1", 80));
	assert_false(allow(&r, "10.0.0.1", 80));
	assert_false(allow(&r, "0.0.0.0", 80)); /* "this host" on Linux */
	assert_false(allow(&r, "::", 80));
	assert_false(allow(&r, "127.0.0.1", 0));
	assert_false(r.any);
	sipc__px_rules_describe(&r, desc, sizeof(desc));
	assert_string_equal(desc, "127.0.0.0/8 any port, ::1/128 any port");
	sipc__px_rules_free(&r);
}

static void test_rules_with_ports(void **state)
{
	struct sipc__px_rules r = {0};
	char why[256], desc[256];

	(void)state;
	assert_int_equal(sipc__px_rules_add(&r, "10.0.0.0/8:80,443,8000-8010", why, sizeof(why)),
			 0);
	assert_int_equal(sipc__px_rules_add(&r, "[::1]:1-65535", why, sizeof(why)), 0);
	assert_int_equal(sipc__px_rules_add(&r, "[fd00::/8]:443", why, sizeof(why)), 0);
	assert_int_equal(sipc__px_rules_add(&r, "[2001:db8::]/32:25", why, sizeof(why)), 0);
	assert_int_equal(sipc__px_rules_add(&r, "fe80::/10", why, sizeof(why)), 0);
	assert_true(allow(&r, "10.1.2.3", 80));
	assert_true(allow(&r, "10.1.2.3", 8005));
	assert_true(allow(&r, "::ffff:10.1.2.3", 443));
	assert_false(allow(&r, "10.1.2.3", 22));
	assert_false(allow(&r, "10.1.2.3", 8011));
	assert_false(allow(&r, "11.0.0.1", 80));
	assert_true(allow(&r, "::1", 1));
	assert_true(allow(&r, "fd12::1", 443));
	assert_false(allow(&r, "fd12::1", 80));
	assert_true(allow(&r, "2001:db8:1::1", 25));
	assert_false(allow(&r, "2001:db9::1", 25));
	assert_true(allow(&r, "fe80::1", 9));
	assert_false(allow(&r, "127.0.0.1", 80)); /* not in this list */
	sipc__px_rules_describe(&r, desc, sizeof(desc));
	assert_string_equal(desc, "10.0.0.0/8 port 80,443,8000-8010, ::1/128 port 1-65535, "
				  "fd00::/8 port 443, 2001:db8::/32 port 25, fe80::/10 any port");
	sipc__px_rules_free(&r);

	assert_int_equal(sipc__px_rules_add(&r, "any:443", why, sizeof(why)), 0);
	assert_true(r.any);
	assert_true(allow(&r, "192.0.2.1", 443));
	assert_false(allow(&r, "192.0.2.1", 80));
	sipc__px_rules_free(&r);
}

static void test_rules_refused(void **state)
{
	static const char *const bad[] = {
		"10.0.0.0/33",
		"10.0.0.0/8:0",
		"10.0.0.0/8:80,",
		"10.0.0.0/8:",
		"10.0.0.0/8:5-1",
		"10.0.0.0/8:x",
		"[::1",
		"[::1]x",
		"example.com",
		"10.0.0.0/8:65536",
		"",
	};
	struct sipc__px_rules r = {0};
	char why[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sipc__px_rules_add(&r, bad[i], why, sizeof(why)), -1);
		assert_true(strlen(why) > 0);
	}
	assert_int_equal(r.n, 0);
	sipc__px_rules_add(&r, "10.0.0.0/8:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", why,
			   sizeof(why));
	assert_string_equal(why, "'10.0.0.0/8:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17': more "
				 "than 16 port ranges");
	sipc__px_rules_free(&r);
}

static bool check(const struct sipc__px_users *u, const char *name, const char *pass)
{
	return sipc__px_users_check(u, (const uint8_t *)name, strlen(name), (const uint8_t *)pass,
				    strlen(pass));
}

static void test_users(void **state)
{
	struct sipc__px_users u = {0};
	char why[256], path[] = "/tmp/sipc-proxyacl-XXXXXX";
	FILE *f;
	int fd;

	(void)state;
	assert_int_equal(sipc__px_users_add(&u, "alice:secret", why, sizeof(why)), 0);
	assert_int_equal(sipc__px_users_add(&u, "bob:pa:ss", why, sizeof(why)), 0);
	assert_true(check(&u, "alice", "secret"));
	assert_true(check(&u, "bob", "pa:ss"));
	assert_false(check(&u, "alice", "secreT"));
	assert_false(check(&u, "alice", "secret "));
	assert_false(check(&u, "alice", "secre"));
	assert_false(check(&u, "alice", ""));
	assert_false(check(&u, "bob", "secret"));
	assert_false(check(&u, "alic", "secret"));
	assert_false(check(&u, "", ""));
	/* A NUL is a byte like any other: "secret\0" is not "secret". */
	assert_false(sipc__px_users_check(&u, (const uint8_t *)"alice", 5,
					  (const uint8_t *)"secret\0", 7));
	assert_int_equal(sipc__px_users_add(&u, "alice:other", why, sizeof(why)), -1);
	assert_string_equal(why, "user 'alice' given twice");
	assert_int_equal(sipc__px_users_add(&u, "nocolon", why, sizeof(why)), -1);
	assert_int_equal(sipc__px_users_add(&u, ":pw", why, sizeof(why)), -1);
	assert_int_equal(sipc__px_users_add(&u, "carol:", why, sizeof(why)), -1);
	assert_int_equal(sipc__px_users_add(&u, "eve:a\nb", why, sizeof(why)), -1);
	sipc__px_users_free(&u);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("# users\n\nalice:secret\r\ndave:x y z\nbroken line\n", f);
	fclose(f);
	assert_int_equal(sipc__px_users_load(&u, path, why, sizeof(why)), -1);
	char want[300];
	snprintf(want, sizeof(want), "--users=%s: line 5: expected NAME:PASSWORD", path);
	assert_string_equal(why, want);
	sipc__px_users_free(&u);
	f = fopen(path, "w");
	fputs("# users\n\nalice:secret\r\ndave:x y z\n", f);
	fclose(f);
	assert_int_equal(sipc__px_users_load(&u, path, why, sizeof(why)), 0);
	assert_int_equal(u.n, 2);
	assert_true(check(&u, "alice", "secret")); /* the CR is not the password's */
	assert_true(check(&u, "dave", "x y z"));
	sipc__px_users_free(&u);
	f = fopen(path, "w");
	fputs("# nobody\n", f);
	fclose(f);
	assert_int_equal(sipc__px_users_load(&u, path, why, sizeof(why)), -1);
	unlink(path);
	assert_int_equal(sipc__px_users_load(&u, path, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), "--users=%s: No such file or directory", path);
	assert_string_equal(why, want);
}

static void test_base64(void **state)
{
	uint8_t out[64];

	(void)state;
	assert_int_equal(sipc__px_base64_decode("YWxpY2U6c2VjcmV0", 16, out, sizeof(out)), 12);
	assert_memory_equal(out, "alice:secret", 12);
	assert_int_equal(sipc__px_base64_decode("YTpi", 4, out, sizeof(out)), 3);
	assert_int_equal(sipc__px_base64_decode("YTpiYw==", 8, out, sizeof(out)), 4);
	assert_memory_equal(out, "a:bc", 4);
	assert_int_equal(sipc__px_base64_decode("YTpiYzE=", 8, out, sizeof(out)), 5);
	assert_int_equal(sipc__px_base64_decode("YTpiYw=", 7, out, sizeof(out)), -1);
	assert_int_equal(sipc__px_base64_decode("YT=iYw==", 8, out, sizeof(out)), -1);
	assert_int_equal(sipc__px_base64_decode("YTpi\nYw==", 9, out, sizeof(out)), -1);
	assert_int_equal(sipc__px_base64_decode("", 0, out, sizeof(out)), -1);
	assert_int_equal(sipc__px_base64_decode("YWxpY2U6c2VjcmV0", 16, out, 11), -1);
}

static void test_names_and_escape(void **state)
{
	char out[64];

	(void)state;
	assert_true(sipc__px_name_ok("localhost", 9));
	assert_true(sipc__px_name_ok("a-b.example_1.com.", 18));
	assert_false(sipc__px_name_ok("", 0));
	assert_false(sipc__px_name_ok("-x", 2));
	assert_false(sipc__px_name_ok(".x", 2));
	assert_false(sipc__px_name_ok("a\0b", 3));
	assert_false(sipc__px_name_ok("a\nb", 3));
	assert_false(sipc__px_name_ok("a b", 3));
	assert_false(sipc__px_name_ok("a%41", 4));
	assert_false(sipc__px_name_ok("fe80::1%eth0", 12));
	assert_false(sipc__px_name_ok("a/b", 3));
	char long_name[300];
	memset(long_name, 'a', sizeof(long_name));
	assert_true(sipc__px_name_ok(long_name, 253));
	assert_false(sipc__px_name_ok(long_name, 254));

	sipc__px_escape("x\n y\0%", 6, out, sizeof(out));
	assert_string_equal(out, "x%0A%20y%00%25");
	/* Cut to fit, never past the buffer. */
	sipc__px_escape("\n\n\n\n\n", 5, out, 8);
	assert_string_equal(out, "%0A%0A");
}

static void test_repeatable_option(void **state)
{
	const char *v[3];
	struct sipc_svc_list to = {v, 0};
	const struct sipc_svc_opt opts[] = {
		{"to", SIPC__SVC_OPT_LIST, &to, 0, 3},
		{NULL, 0, NULL, 0, 0},
	};
	char *argv[] = {"--to=a", "--to=b", "--to=c", "--to=d"};
	char why[256];
	int used;

	(void)state;
	assert_int_equal(sipc__svc_opts_parse("socks5", 3, argv, opts, &used, why, sizeof(why)), 0);
	assert_int_equal(used, 3);
	assert_int_equal(to.n, 3);
	assert_string_equal(to.v[0], "a");
	assert_string_equal(to.v[2], "c");
	to.n = 0;
	assert_int_equal(sipc__svc_opts_parse("socks5", 4, argv, opts, &used, why, sizeof(why)),
			 -1);
	assert_string_equal(why, "socks5: --to: more than 3 given");
	char *empty[] = {"--to="};
	to.n = 0;
	assert_int_equal(sipc__svc_opts_parse("socks5", 1, empty, opts, &used, why, sizeof(why)),
			 -1);
	assert_string_equal(why, "socks5: --to: empty value");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_loopback),
		cmocka_unit_test(test_rules_with_ports),
		cmocka_unit_test(test_rules_refused),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_names_and_escape),
		cmocka_unit_test(test_repeatable_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
