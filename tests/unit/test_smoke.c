/* test_smoke.c - the library links and says its version. */
#include "support.h"

#include <string.h>

#include "sockipc.h"

static void version_matches_header(void **state)
{
	(void)state;
	assert_string_equal(sipc_version(), SIPC_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_matches_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
