/*
 * test_serve_tls.c - serve's side of TLS that needs no connection: the
 * values --allow-cert takes (a fingerprint in any of its usual spellings
 * is kept in the one form the library prints, a subject as written, and
 * anything else is refused naming it), and the escaping of the words a
 * failed handshake puts in a log line.
 */
#include "support.h"

#include <string.h>

#include "serve/config.h"
#include "serve/tls.h"

#define FP_HEX "23ce43935b6da8adc631011d2f11b0c298791e91a3ac2a677b0a4ed258d789a9"
#define FP_CANON                                                                                   \
	"SHA256:23:CE:43:93:5B:6D:A8:AD:C6:31:01:1D:2F:11:B0:C2:98:79:1E:91:A3:AC:2A:67:7B:0A:4E:" \
	"D2:58:D7:89:A9"

static void test_allow_cert_values(void **state)
{
	struct sipc_serve_config cfg;
	char why[256];

	(void)state;
	sipc__serve_config_init(&cfg);
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, FP_HEX, why, sizeof(why)), 0);
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, FP_CANON, why, sizeof(why)), 0);
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, "sha256:" FP_HEX, why, sizeof(why)), 0);
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, "CN=alice,O=Example", why, sizeof(why)),
			 0);
	assert_int_equal(cfg.nallow_certs, 4);
	assert_string_equal(cfg.allow_certs[0], FP_CANON);
	assert_string_equal(cfg.allow_certs[1], FP_CANON);
	assert_string_equal(cfg.allow_certs[2], FP_CANON);
	assert_string_equal(cfg.allow_certs[3], "CN=alice,O=Example");
	sipc__serve_config_free(&cfg);
}

static void test_allow_cert_refused(void **state)
{
	struct sipc_serve_config cfg;
	char why[256];

	(void)state;
	sipc__serve_config_init(&cfg);
	/* 63 digits, 65 digits, a letter past f, a name without '='. */
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, FP_HEX + 1, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "neither a SHA-256 fingerprint"));
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, FP_HEX "0", why, sizeof(why)), -1);
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, "g" FP_HEX, why, sizeof(why)), -1);
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, "alice", why, sizeof(why)), -1);
	assert_non_null(strstr(why, "'alice'"));
	assert_int_equal(sipc__serve_tls_allow_add(&cfg, "", why, sizeof(why)), -1);
	assert_int_equal(cfg.nallow_certs, 0);
	sipc__serve_config_free(&cfg);
}

static void test_escape(void **state)
{
	char buf[64];

	(void)state;
	sipc__serve_tls_escape("it sent '\x1b[31m\r\n\xff'", buf, sizeof(buf));
	assert_string_equal(buf, "it sent '%1B[31m%0D%0A%FF'");
	/* Cut at the buffer, never in the middle of an escape. */
	sipc__serve_tls_escape("\x01\x02\x03", buf, 8);
	assert_string_equal(buf, "%01%02");
	sipc__serve_tls_escape("\x01\x02\x03", buf, 6);
	assert_string_equal(buf, "%01");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allow_cert_values),
		cmocka_unit_test(test_allow_cert_refused),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
