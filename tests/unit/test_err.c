/*
 * test_err.c - sipc_strerror covers every code: each SIPC_E... has its own
 * non-empty text, -errno values read as the C library words them, and
 * anything else still gets a string, never NULL.
 */
#include "support.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "sockipc.h"

static const int codes[] = {
	SIPC_EURL_SYNTAX,    SIPC_EURL_SCHEME,   SIPC_EURL_HOST,       SIPC_EURL_IPV6,
	SIPC_EURL_ZONE,      SIPC_EURL_NOPORT,   SIPC_EURL_PORT,       SIPC_EURL_SERVICE,
	SIPC_EURL_NOPATH,    SIPC_EURL_PATHLEN,  SIPC_EURL_FAMILY,     SIPC_ERESOLVE_NOHOST,
	SIPC_ERESOLVE_AGAIN, SIPC_ERESOLVE_FAIL, SIPC_ERESOLVE_FAMILY, SIPC_ERESOLVE_SERVICE,
	SIPC_ERESOLVE_OTHER, SIPC_EMSGSIZE,      SIPC_ETRUNC,          SIPC_ETIMEDOUT,
	SIPC_ECLOSED,        SIPC_EPARTIAL,      SIPC_EKIND,           SIPC_EBUFSIZE,
	SIPC_EBROKEN,        SIPC_EOUTOFSTEP,    SIPC_EURL_OPTION,
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

static void own_codes_distinct(void **state)
{
	const char *unknown = sipc_strerror(-3999);
	size_t i, j;

	(void)state;
	for (i = 0; i < NCODES; i++) {
		const char *s = sipc_strerror(codes[i]);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
		/* Not the fallback, and not what errno text would say. */
		assert_string_not_equal(s, unknown);
		for (j = 0; j < i; j++)
			assert_string_not_equal(s, sipc_strerror(codes[j]));
	}
}

static void errno_text(void **state)
{
	(void)state;
	assert_string_equal(sipc_strerror(-ECONNREFUSED), "Connection refused");
	assert_string_equal(sipc_strerror(-ETIMEDOUT), "Connection timed out");
	assert_string_equal(sipc_strerror(-ENOENT), "No such file or directory");
	/* The resolver's "no such host" is not ENOENT's text. */
	assert_string_not_equal(sipc_strerror(SIPC_ERESOLVE_NOHOST), sipc_strerror(-ENOENT));
}

static void unknown_codes(void **state)
{
	const int odd[] = {-3999, -2999, -3030, -4095, -4096, -100000, INT_MIN, 1, 0, INT_MAX};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		const char *s = sipc_strerror(odd[i]);
		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
	assert_string_equal(sipc_strerror(-3999), "Unknown error");
	assert_string_equal(sipc_strerror(INT_MIN), "Unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(own_codes_distinct),
		cmocka_unit_test(errno_text),
		cmocka_unit_test(unknown_codes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
