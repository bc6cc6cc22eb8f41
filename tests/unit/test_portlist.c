/*
 * test_portlist.c - the port lists of `sockipc scan` (src/cli/portlist.c):
 * numbers, ranges, service names (a name with a '-' in it is a name, not a
 * range), duplicates and overlaps merged, the whole range, a list far over
 * 65536 items; every error with its sentence and the output untouched;
 * and the program's JSON string escaper that scan --json writes with.
 */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/portlist.h"

/* Parses TEXT over tcp and returns the ports as "a b c" (static). */
static const char *ports_of(const char *text, const char *proto)
{
	static char out[4096];
	struct sipc_cli_portlist pl = {0};
	char why[SIPC_CLI_PORTLIST_WHY];
	size_t used = 0;

	assert_int_equal(sipc_cli_portlist_parse(text, proto, &pl, why, sizeof(why)), 0);
	out[0] = '\0';
	for (size_t i = 0; i < pl.n && used + 8 < sizeof(out); i++)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%u", i ? " " : "",
					 (unsigned)pl.ports[i]);
	sipc_cli_portlist_free(&pl);
	return out;
}

static void lists(void **state)
{
	(void)state;
	assert_string_equal(ports_of("80", "tcp"), "80");
	assert_string_equal(ports_of("20-25", "tcp"), "20 21 22 23 24 25");
	assert_string_equal(ports_of("443,80,22", "tcp"), "22 80 443");
	assert_string_equal(ports_of("ssh,http,8000-8002", "tcp"), "22 80 8000 8001 8002");
	assert_string_equal(ports_of("53,ntp", "udp"), "53 123");
	assert_string_equal(ports_of("80,80,79-81,80-80", "tcp"), "79 80 81");
	assert_string_equal(ports_of("0", "tcp"), "0");
	assert_string_equal(ports_of("65535,00065534", "tcp"), "65534 65535");
	/* A service name with a '-' is the name, not a range. */
	assert_string_equal(ports_of("netbios-ns", "udp"), "137");
}

static void whole_range(void **state)
{
	struct sipc_cli_portlist pl = {0};
	char why[SIPC_CLI_PORTLIST_WHY];
	size_t len = 70000 * 2 + 16;
	char *big = malloc(len), *p = big;

	(void)state;
	assert_int_equal(sipc_cli_portlist_parse("0-65535", "tcp", &pl, why, sizeof(why)), 0);
	assert_int_equal(pl.n, 65536);
	for (size_t i = 0; i < pl.n; i++)
		assert_int_equal(pl.ports[i], i);
	sipc_cli_portlist_free(&pl);
	/* 70000 items, far more than there are ports: merged to one. */
	assert_non_null(big);
	for (int i = 0; i < 70000; i++)
		p += sprintf(p, "%s7", i ? "," : "");
	assert_int_equal(sipc_cli_portlist_parse(big, "tcp", &pl, why, sizeof(why)), 0);
	assert_int_equal(pl.n, 1);
	sipc_cli_portlist_free(&pl);
	strcpy(big, "1-65535,1-65535,0-100");
	assert_int_equal(sipc_cli_portlist_parse(big, "tcp", &pl, why, sizeof(why)), 0);
	assert_int_equal(pl.n, 65536);
	sipc_cli_portlist_free(&pl);
	free(big);
	sipc_cli_portlist_free(NULL);
}

static void bad(const char *text, const char *want)
{
	uint16_t sentinel = 0;
	struct sipc_cli_portlist pl = {&sentinel, 42};
	char why[SIPC_CLI_PORTLIST_WHY] = "";

	assert_int_equal(sipc_cli_portlist_parse(text, "tcp", &pl, why, sizeof(why)), -1);
	assert_string_equal(why, want);
	/* Untouched on failure. */
	assert_ptr_equal(pl.ports, &sentinel);
	assert_int_equal(pl.n, 42);
}

static void errors(void **state)
{
	(void)state;
	bad("20-", "bad port list '20-': range '20-' without an end");
	bad("-20", "bad port list '-20': range '-20' without a start");
	bad("25-20", "bad port list '25-20': range '25-20' is backwards (did you mean 20-25?)");
	bad("", "bad port list '': empty item (two commas, or a comma at an end)");
	bad(",80", "bad port list ',80': empty item (two commas, or a comma at an end)");
	bad("80,,81", "bad port list '80,,81': empty item (two commas, or a comma at an end)");
	bad("65536", "bad port list '65536': port '65536' is out of range 0-65535");
	bad("99999999999999999999999", "bad port list '99999999999999999999999': port "
				       "'99999999999999999999999' is out of range 0-65535");
	bad("1-65536", "bad port list '1-65536': range '1-65536' goes beyond 0-65535");
	bad("nosuch", "bad port list 'nosuch': 'nosuch' is not a port number or a tcp service "
		      "name");
	bad("ssh-http", "bad port list 'ssh-http': 'ssh-http' is neither a tcp service name nor "
			"a range of two port numbers");
	bad("1-2-3", "bad port list '1-2-3': '1-2-3' is neither a tcp service name nor a range "
		     "of two port numbers");
	bad(" 80", "bad port list ' 80': ' 80' is not a port number or a tcp service name");
	bad("80,\x1b[2J", "bad port list '80,?[2J': '?[2J' is not a port number or a tcp "
			  "service name");
	/* A long list is cut in the message; the bad item is still named. */
	bad("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,x",
	    "bad port list '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,1...': 'x' is not a port "
	    "number or a tcp service name");
}

static void services(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(sipc_cli_port_service(22, "tcp", buf, sizeof(buf)), "ssh");
	assert_string_equal(sipc_cli_port_service(53, "udp", buf, sizeof(buf)), "domain");
	assert_string_equal(sipc_cli_port_service(0, "tcp", buf, sizeof(buf)), "");
}

static void json(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	sipc_cli_json_str(f, "a\"b\\c\n\x01\x7f\xc3\xa9/");
	fclose(f);
	assert_string_equal(text, "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00c3\\u00a9/\"");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lists),    cmocka_unit_test(whole_range), cmocka_unit_test(errors),
		cmocka_unit_test(services), cmocka_unit_test(json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
