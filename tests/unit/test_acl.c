/*
 * test_acl.c - the allow lists of `sockipc serve`: an IPv4-mapped block and
 * its IPv4 block are one rule for IPv4 peers and for IPv4-mapped peers (a
 * tcp4 listener and a dual-stack one), plain blocks keep their meaning,
 * and the uid/gid lists: numbers and names, the server's own uid always
 * admitted, "own only" endpoints closed to others unless listed.
 */
#include "support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <string.h>

#include "serve/acl.h"

static sipc_addr v4(const char *ip)
{
	sipc_addr a;
	struct sockaddr_in *sin = (struct sockaddr_in *)&a.ss;

	memset(&a, 0, sizeof(a));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	a.len = sizeof(*sin);
	return a;
}

static sipc_addr v6(const char *ip)
{
	sipc_addr a;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.ss;

	memset(&a, 0, sizeof(a));
	sin6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
	a.len = sizeof(*sin6);
	return a;
}

static bool allows(const char *rule, sipc_addr peer)
{
	struct sipc_acl acl = {0};
	char why[256];
	bool ok;

	assert_int_equal(sipc__acl_add(&acl, rule, why, sizeof(why)), 0);
	ok = sipc__acl_allows(&acl, &peer);
	sipc__acl_free(&acl);
	return ok;
}

static void test_mapped_rule_is_ipv4(void **state)
{
	(void)state;
	/* The case: admitted on a dual-stack listener, refused on
	 * tcp4 before.  One rule now, whatever the listener. */
	assert_true(allows("::ffff:127.0.0.1/128", v4("127.0.0.1")));
	assert_true(allows("::ffff:127.0.0.1/128", v6("::ffff:127.0.0.1")));
	assert_false(allows("::ffff:127.0.0.1/128", v4("127.0.0.2")));
	assert_true(allows("::ffff:127.0.0.0/104", v4("127.9.9.9")));
	assert_false(allows("::ffff:127.0.0.0/104", v4("128.0.0.1")));
	assert_true(allows("::ffff:0:0/96", v4("10.1.2.3")));
	assert_true(allows("::ffff:127.0.0.1", v4("127.0.0.1")));
}

static void test_plain_rules(void **state)
{
	(void)state;
	assert_true(allows("127.0.0.0/8", v4("127.0.0.1")));
	assert_true(allows("127.0.0.0/8", v6("::ffff:127.0.0.1")));
	assert_false(allows("127.0.0.0/8", v6("::1")));
	assert_true(allows("::1", v6("::1")));
	assert_false(allows("::1", v4("127.0.0.1")));
	assert_false(allows("10.0.0.0/8", v4("127.0.0.1")));
	assert_false(allows("fe80::/10", v4("127.0.0.1")));
}

static void test_ids(void **state)
{
	struct sipc_acl acl = {0};
	const struct passwd *nobody = getpwnam("nobody");
	char why[256], desc[256];

	(void)state;
	/* Without lists: everyone on an ordinary endpoint, only the server's
	 * own uid on an "own only" one. */
	assert_true(sipc__acl_cred_allows(&acl, false, 0, 1000, 1000));
	assert_false(sipc__acl_cred_allows(&acl, true, 0, 1000, 1000));
	assert_true(sipc__acl_cred_allows(&acl, true, 1000, 1000, 1000));
	assert_int_equal(sipc__acl_add_uids(&acl, "1001,1002", why, sizeof(why)), 0);
	assert_int_equal(sipc__acl_add_gids(&acl, "50", why, sizeof(why)), 0);
	assert_true(sipc__acl_has_creds(&acl));
	/* With lists: a listed uid or primary gid, or the server's own uid,
	 * on every endpoint. */
	assert_true(sipc__acl_cred_allows(&acl, true, 0, 1002, 7));
	assert_true(sipc__acl_cred_allows(&acl, false, 0, 7, 50));
	assert_false(sipc__acl_cred_allows(&acl, false, 0, 1000, 1000));
	assert_true(sipc__acl_cred_allows(&acl, false, 0, 0, 1000));
	sipc__acl_cred_describe(&acl, 0, desc, sizeof(desc));
	assert_string_equal(desc, "uid 0 (the server's own), uid 1001,1002, gid 50");
	if (nobody != NULL) {
		assert_int_equal(sipc__acl_add_uids(&acl, "nobody", why, sizeof(why)), 0);
		assert_true(sipc__acl_cred_allows(&acl, true, 0, nobody->pw_uid, 12345));
	}
	assert_int_equal(sipc__acl_add_uids(&acl, "no-such-user-xyz", why, sizeof(why)), -1);
	assert_string_equal(why, "no user named 'no-such-user-xyz'");
	assert_int_equal(sipc__acl_add_gids(&acl, "1,,2", why, sizeof(why)), -1);
	assert_int_equal(sipc__acl_add_uids(&acl, "12x", why, sizeof(why)), -1);
	assert_int_equal(sipc__acl_add_uids(&acl, "", why, sizeof(why)), -1);
	sipc__acl_free(&acl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapped_rule_is_ipv4),
		cmocka_unit_test(test_plain_rules),
		cmocka_unit_test(test_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
