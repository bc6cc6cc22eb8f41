/*
 * test_chargen.c - the pure parts of the simple services: chargen's ring
 * and lines checked against RFC 864 character by character (including the
 * RFC's own example lines), daytime's xinetd format, and time's 1900
 * epoch.
 */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#include "serve/services/services.h"

/* The first lines of RFC 864's example, as printed in the RFC. */
static const char *const rfc_lines[] = {
	"!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh",
	"\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghi",
	"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghij",
};

static void test_ring(void **state)
{
	(void)state;
	assert_int_equal(sipc__chargen_ring(0), '!');
	assert_int_equal(sipc__chargen_ring(93), '~');
	assert_int_equal(sipc__chargen_ring(94), ' ');
	assert_int_equal(sipc__chargen_ring(95), '!');
	/* All 95 printing characters, each once per period. */
	int seen[128] = {0};
	for (unsigned k = 0; k < 95; k++)
		seen[(int)sipc__chargen_ring(k)]++;
	for (int ch = 32; ch < 127; ch++)
		assert_int_equal(seen[ch], 1);
}

static void test_rfc_example(void **state)
{
	uint8_t buf[3 * SIPC_CHARGEN_LINE];

	(void)state;
	sipc__chargen_fill(0, buf, sizeof(buf));
	for (int l = 0; l < 3; l++) {
		assert_memory_equal(buf + l * SIPC_CHARGEN_LINE, rfc_lines[l], 72);
		assert_memory_equal(buf + l * SIPC_CHARGEN_LINE + 72, "\r\n", 2);
	}
}

static void test_lines(void **state)
{
	/* 300 lines: more than three periods of 95 lines. */
	size_t n = 300 * SIPC_CHARGEN_LINE;
	uint8_t *buf = malloc(n);

	(void)state;
	assert_non_null(buf);
	sipc__chargen_fill(0, buf, n);
	for (unsigned line = 0; line < 300; line++) {
		const uint8_t *p = buf + (size_t)line * SIPC_CHARGEN_LINE;
		for (unsigned i = 0; i < 72; i++) {
			/* Line N starts one character further on than line N-1. */
			char want = (char)(32 + (line + i + 1) % 95);
			assert_int_equal(p[i], want);
		}
		assert_int_equal(p[72], '\r');
		assert_int_equal(p[73], '\n');
	}
	/* Filling from any offset continues the same stream. */
	uint8_t part[1000];
	for (size_t off = 0; off < n - sizeof(part); off += 997) {
		sipc__chargen_fill(off, part, sizeof(part));
		assert_memory_equal(part, buf + off, sizeof(part));
	}
	free(buf);
}

static void test_daytime_format(void **state)
{
	char buf[128];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	/* 2026-11-23 03:42:20 UTC, the example of the issue. */
	size_t n = sipc__daytime_format((time_t)1795405340, buf, sizeof(buf));
	assert_string_equal(buf, "23 NOV 2026 03:42:20 UTC\r\n");
	assert_int_equal(n, strlen(buf));
	assert_int_equal(sipc__daytime_format(0, buf, 5), 0);
}

static void test_time_epoch(void **state)
{
	(void)state;
	assert_int_equal(sipc__time_since_1900(0), 2208988800u);
	/* 2036-02-07 06:28:16 UTC is 2^32 seconds after 1900: it wraps. */
	assert_int_equal(sipc__time_since_1900((time_t)2085978496), 0u);
	assert_int_equal(sipc__time_since_1900((time_t)2085978497), 1u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),       cmocka_unit_test(test_rfc_example),
		cmocka_unit_test(test_lines),      cmocka_unit_test(test_daytime_format),
		cmocka_unit_test(test_time_epoch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
