/*
 * test_guard.c - the datagram loop guard of serve: the server's own udp
 * addresses (a specific bind, a wildcard bind matching loopback, IPv4 seen
 * as IPv4-mapped on a dual-stack socket), the guarded port set and the
 * forward exception, and the rate limit of the drop log lines.
 */
#include "support.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "serve/guard.h"

static sipc_addr v4(const char *ip, unsigned port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	sipc_addr a;

	inet_pton(AF_INET, ip, &sin.sin_addr);
	assert_int_equal(
		sipc_addr_from_sockaddr(&a, SIPC_UDP, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return a;
}

static sipc_addr v6(const char *ip, unsigned port)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	sipc_addr a;

	inet_pton(AF_INET6, ip, &s6.sin6_addr);
	assert_int_equal(sipc_addr_from_sockaddr(&a, SIPC_UDP, (struct sockaddr *)&s6, sizeof(s6)),
			 0);
	return a;
}

static void test_self(void **state)
{
	struct sipc_guard_self s = {0};
	sipc_addr a;

	(void)state;
	a = v4("127.0.0.1", 7019);
	assert_int_equal(sipc__guard_self_add(&s, &a), 0);
	a = v4("0.0.0.0", 5000);
	assert_int_equal(sipc__guard_self_add(&s, &a), 0);
	assert_int_equal(sipc__guard_self_locals(&s), 0);

	a = v4("127.0.0.1", 7019);
	assert_true(sipc__guard_is_self(&s, &a));
	a = v6("::ffff:127.0.0.1", 7019); /* a dual-stack socket's view */
	assert_true(sipc__guard_is_self(&s, &a));
	a = v4("127.0.0.2", 7019); /* bound to 127.0.0.1 only */
	assert_false(sipc__guard_is_self(&s, &a));
	a = v4("127.0.0.1", 7020);
	assert_false(sipc__guard_is_self(&s, &a));
	/* The wildcard one: every local address on its port. */
	a = v4("127.9.9.9", 5000);
	assert_true(sipc__guard_is_self(&s, &a));
	a = v6("::1", 5000);
	assert_true(sipc__guard_is_self(&s, &a));
	a = v4("192.0.2.1", 5000); /* TEST-NET: never a local address here */
	assert_false(sipc__guard_is_self(&s, &a));
	sipc__guard_self_free(&s);
	a = v4("127.0.0.1", 7019);
	assert_false(sipc__guard_is_self(&s, &a));
}

static void test_ports(void **state)
{
	struct sipc_guard g;
	sipc_addr a;
	char why[256];

	(void)state;
	sipc__guard_default(&g);
	a = v4("127.0.0.1", 123);
	assert_non_null(sipc__guard_check(&g, &a, false));
	assert_null(sipc__guard_check(&g, &a, true)); /* forward: NTP, DNS */
	a = v4("127.0.0.1", 7019);
	assert_non_null(sipc__guard_check(&g, &a, false));
	a = v4("127.0.0.1", 40000);
	assert_null(sipc__guard_check(&g, &a, false));
	a = v4("127.0.0.1", 0);
	assert_non_null(sipc__guard_check(&g, &a, true)); /* port 0: never */
	a = v4("255.255.255.255", 40000);
	assert_non_null(sipc__guard_check(&g, &a, true));
	assert_int_equal(sipc__guard_set_ports(&g, "none", why, sizeof(why)), 0);
	a = v4("127.0.0.1", 7019);
	assert_null(sipc__guard_check(&g, &a, false));
}

static void test_droplog(void **state)
{
	struct sipc_droplog *dl = calloc(1, sizeof(*dl));
	sipc_addr a = v4("127.0.0.1", 7019), b = v4("127.0.0.1", 7007);
	uint64_t sup = 99, others = 99;
	int lines = 0;

	(void)state;
	assert_non_null(dl);
	assert_true(sipc__droplog_take(dl, &a, 1000, &sup, &others));
	assert_int_equal(sup, 0);
	for (int i = 0; i < 10; i++)
		assert_false(sipc__droplog_take(dl, &a, 1500, &sup, &others));
	/* Another source has its own line. */
	assert_true(sipc__droplog_take(dl, &b, 1500, &sup, &others));
	/* A second later, A's next line counts the ten left out. */
	assert_true(sipc__droplog_take(dl, &a, 2000, &sup, &others));
	assert_int_equal(sup, 10);
	/* Many sources at once: at most SIPC_DROPLOG_LINES lines a second. */
	for (unsigned p = 20000; p < 20200; p++) {
		sipc_addr x = v4("127.0.0.1", p);
		lines += sipc__droplog_take(dl, &x, 5000, &sup, &others);
	}
	assert_int_equal(lines, SIPC_DROPLOG_LINES);
	assert_true(sipc__droplog_take(dl, &b, 6000, &sup, &others));
	assert_true(others >= 200 - SIPC_DROPLOG_LINES);
	free(dl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_droplog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
