/*
 * test_svcopt.c - the leading `--name=VALUE` options of a service line
 * (exec, forward, broadcast): values parsed and range-checked, the words
 * taken counted, parsing stopped at the first other word or "--", and
 * errors that name the service and the option.
 */
#include "support.h"

#include <stdbool.h>
#include <string.h>

#include "serve/services/services.h"

static long n;
static int ms;
static size_t size;
static const char *str;
static bool flag;

static const struct sipc_svc_opt opts[] = {
	{"count", SIPC__SVC_OPT_INT, &n, 1, 100},
	{"wait", SIPC__SVC_OPT_MS, &ms, 1, 60000},
	{"queue", SIPC__SVC_OPT_SIZE, &size, 1024, 1 << 30},
	{"ca", SIPC__SVC_OPT_STRING, &str, 0, 0},
	{"insecure", SIPC__SVC_OPT_FLAG, &flag, 0, 0},
	{NULL, 0, NULL, 0, 0},
};

static int parse(char **argv, int *used, char *why)
{
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	n = 0;
	ms = 0;
	size = 0;
	str = NULL;
	flag = false;
	return sipc__svc_opts_parse("svc", argc, argv, opts, used, why, 256);
}

static void test_values(void **state)
{
	char why[256];
	char *argv[] = {"--count=7", "--wait=0.25", "--queue=64K", "prog", "--count=9", NULL};
	int used = -1;

	(void)state;
	assert_int_equal(parse(argv, &used, why), 0);
	assert_int_equal(used, 3); /* stops at "prog": --count=9 is prog's */
	assert_int_equal(n, 7);
	assert_int_equal(ms, 250);
	assert_int_equal(size, 65536);
}

static void test_double_dash(void **state)
{
	char why[256];
	char *argv[] = {"--count=2", "--", "--not-an-option", NULL};
	char *none[] = {"prog", "-l", NULL};
	int used = -1;

	(void)state;
	assert_int_equal(parse(argv, &used, why), 0);
	assert_int_equal(used, 2);
	assert_int_equal(n, 2);
	assert_int_equal(parse(none, &used, why), 0);
	assert_int_equal(used, 0);
}

static void test_errors(void **state)
{
	char why[256];
	char *unknown[] = {"--nope=1", NULL};
	char *novalue[] = {"--count", NULL};
	char *range[] = {"--count=101", NULL};
	char *notnum[] = {"--wait=soon", NULL};
	char *small[] = {"--queue=10", NULL};
	int used;

	(void)state;
	assert_int_equal(parse(unknown, &used, why), -1);
	assert_non_null(strstr(why, "svc: unknown option 'nope'"));
	assert_non_null(strstr(why, "--count, --wait, --queue"));
	assert_int_equal(parse(novalue, &used, why), -1);
	assert_non_null(strstr(why, "--count needs a value"));
	assert_int_equal(parse(range, &used, why), -1);
	assert_non_null(strstr(why, "svc: --count: '101'"));
	assert_int_equal(parse(notnum, &used, why), -1);
	assert_non_null(strstr(why, "--wait: 'soon'"));
	assert_int_equal(parse(small, &used, why), -1);
	assert_non_null(strstr(why, "--queue: '10'"));
}

/* forward's TLS options: a string taken as written, a flag with no value. */
static void test_string_and_flag(void **state)
{
	char why[256];
	char *argv[] = {"--ca=/etc/ca.pem", "--insecure", "tls://b:443", NULL};
	char *empty[] = {"--ca=", NULL};
	char *valued[] = {"--insecure=yes", NULL};
	char *bare[] = {"--ca", NULL};
	int used = -1;

	(void)state;
	assert_int_equal(parse(argv, &used, why), 0);
	assert_int_equal(used, 2);
	assert_string_equal(str, "/etc/ca.pem");
	assert_true(flag);
	assert_int_equal(parse(empty, &used, why), -1);
	assert_non_null(strstr(why, "svc: --ca: empty value"));
	assert_int_equal(parse(valued, &used, why), -1);
	assert_non_null(strstr(why, "svc: --insecure takes no value"));
	assert_int_equal(parse(bare, &used, why), -1);
	assert_non_null(strstr(why, "--ca needs a value"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_string_and_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
