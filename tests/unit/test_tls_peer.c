/*
 * test_tls_peer.c - the TLS transport against a peer built on OpenSSL
 * directly (blocking, in a thread), to reach what the library itself never
 * does: TLS 1.2 only, a peer that sends key updates (TLS 1.3) or
 * renegotiates (TLS 1.2) in the middle of the data, and a client that asks
 * our server to renegotiate, which it refuses.
 */
#include "support.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockipc.h"
#include "tlstest.h"

/* The raw peer: one connection, an SSL on a blocking descriptor. */
struct raw {
	bool server;
	int max_version; /* 0: OpenSSL's default (1.3) */
	enum { ECHO, KEY_UPDATE, RENEGOTIATE, ASK_RENEGOTIATION } mode;
	sipc_endpoint *l;       /* server: a tcp:// listener */
	char url[SIPC_URL_MAX]; /* client: where to connect */
	int echoed, renegotiations, handshake, ask_rc;
	char version[32];
	pthread_t th;
};

static SSL_CTX *raw_ctx(const struct raw *r)
{
	SSL_CTX *ctx = SSL_CTX_new(r->server ? TLS_server_method() : TLS_client_method());

	assert_non_null(ctx);
	if (r->max_version)
		SSL_CTX_set_max_proto_version(ctx, r->max_version);
	if (r->server) {
		assert_int_equal(
			SSL_CTX_use_certificate_chain_file(ctx, sipc_tls_test_cert("server.pem")),
			1);
		assert_int_equal(SSL_CTX_use_PrivateKey_file(ctx, sipc_tls_test_cert("server.key"),
							     SSL_FILETYPE_PEM),
				 1);
	}
	return ctx;
}

/* Echoes what comes, doing the mode's extra on the way; bounded. */
static void raw_echo(struct raw *r, SSL *ssl)
{
	char buf[65536];
	int n;

	for (int i = 0; i < 1000; i++) {
		n = SSL_read(ssl, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (r->mode == KEY_UPDATE && i % 3 == 0)
			SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED);
		if (r->mode == RENEGOTIATE && i == 2 && SSL_renegotiate(ssl) == 1)
			SSL_do_handshake(ssl);
		if (SSL_write(ssl, buf, n) != n)
			break;
		r->echoed++;
	}
	r->renegotiations = (int)SSL_total_renegotiations(ssl);
}

static void *raw_main(void *arg)
{
	struct raw *r = arg;
	SSL_CTX *ctx = raw_ctx(r);
	sipc_endpoint *ep = NULL;
	SSL *ssl;
	int fd;

	if (r->server) {
		if (sipc_accept(r->l, sipc_test_ms(10000), &ep) != 0)
			goto out;
	} else if (sipc_dial(r->url, NULL, sipc_test_ms(10000), &ep) != 0) {
		goto out;
	}
	fd = sipc_endpoint_fd(ep);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	r->handshake = r->server ? SSL_accept(ssl) : SSL_connect(ssl);
	if (r->handshake == 1) {
		snprintf(r->version, sizeof(r->version), "%s", SSL_get_version(ssl));
		if (r->mode == ASK_RENEGOTIATION) {
			/* Ask, then see the answer on the next read. */
			char b[16];

			SSL_renegotiate(ssl);
			SSL_do_handshake(ssl);
			r->ask_rc = SSL_read(ssl, b, sizeof(b));
		} else {
			raw_echo(r, ssl);
		}
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	ERR_clear_error();
out:
	sipc_endpoint_close(ep);
	SSL_CTX_free(ctx);
	return NULL;
}

static void raw_server(struct raw *r, int max_version, int mode)
{
	memset(r, 0, sizeof(*r));
	r->server = true;
	r->max_version = max_version;
	r->mode = mode;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &r->l), 0);
	snprintf(r->url, sizeof(r->url), "tls://localhost:%d", sipc_test_local_port(r->l));
	assert_int_equal(pthread_create(&r->th, NULL, raw_main, r), 0);
}

static void raw_join(struct raw *r)
{
	pthread_join(r->th, NULL);
	sipc_endpoint_close(r->l);
}

/* Sends N messages of growing size over C and checks each echo. */
static void exchange(sipc_endpoint *c, int n)
{
	static uint8_t out[40000], in[40000];

	for (int i = 0; i < n; i++) {
		size_t len = (size_t)(i * 997) % sizeof(out);

		for (size_t k = 0; k < len; k++)
			out[k] = (uint8_t)(k + i);
		assert_int_equal(sipc_write_all(c, out, len, sipc_test_ms(10000)), (ssize_t)len);
		assert_int_equal(sipc_read_exact(c, in, len, sipc_test_ms(10000)), (ssize_t)len);
		assert_memory_equal(in, out, len);
	}
}

static sipc_endpoint *dial_ok(const char *url, sipc_tls_config *cfg)
{
	char why[SIPC_WHY_MAX] = "";
	sipc_options o = {.tls = cfg, .why = why, .whylen = sizeof(why)};
	sipc_endpoint *c = NULL;
	int rc = sipc_dial(url, &o, sipc_test_ms(10000), &c);

	if (rc != 0)
		fail_msg("dial %s: %s: %s", url, sipc_strerror(rc), why);
	return c;
}

/* ----------------------------------------------------------------- tests */

static void tls12_peer(void **state)
{
	sipc_tls_config *ccfg = sipc_tls_test_client("ca.pem");
	char why[SIPC_WHY_MAX], buf[SIPC_TLS_INFO_MAX];
	sipc_options o = {.tls = ccfg, .why = why, .whylen = sizeof(why)};
	sipc_endpoint *c = NULL;
	struct raw r;

	(void)state;
	raw_server(&r, TLS1_2_VERSION, ECHO);
	c = dial_ok(r.url, ccfg);
	assert_true(sipc_tls_info(c, SIPC_TLS_VERSION, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "TLSv1.2");
	exchange(c, 10);
	sipc_endpoint_close(c);
	raw_join(&r);
	assert_int_equal(r.echoed, 9); /* the empty message is no record */

	/* We require 1.3 from a 1.2-only server. */
	assert_int_equal(sipc_tls_config_min_version(ccfg, "1.3", why, sizeof(why)), 0);
	raw_server(&r, TLS1_2_VERSION, ECHO);
	assert_int_equal(sipc_dial(r.url, &o, sipc_test_ms(10000), &c), SIPC_ETLS_VERSION);
	print_message("  why: %s\n", why);
	sipc_tls_test_contains(why, "no protocol version in common");
	raw_join(&r);
	sipc_tls_config_free(ccfg);
}

static void tls12_client_to_tls13_server(void **state)
{
	sipc_tls_config *scfg = sipc_tls_test_server("server.pem", "server.key");
	char why[SIPC_WHY_MAX];
	sipc_options o = {.tls = scfg};
	sipc_endpoint *l = NULL, *a = NULL;
	struct raw r = {.max_version = TLS1_2_VERSION, .mode = ECHO};

	(void)state;
	assert_int_equal(sipc_tls_config_min_version(scfg, "1.3", why, sizeof(why)), 0);
	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), 0);
	sipc_test_local_url(l, r.url, sizeof(r.url));
	memcpy(r.url, "tcp", 3);
	assert_int_equal(pthread_create(&r.th, NULL, raw_main, &r), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
	assert_int_equal(sipc_handshake(a, sipc_test_ms(10000)), SIPC_ETLS_VERSION);
	print_message("  why: %s\n", sipc_endpoint_why(a));
	sipc_tls_test_contains(sipc_endpoint_why(a), "offers at most TLS 1.2, we require TLS 1.3");
	sipc_endpoint_close(a);
	pthread_join(r.th, NULL);
	assert_true(r.handshake != 1);
	sipc_endpoint_close(l);
	sipc_tls_config_free(scfg);
}

static void tls13_key_updates(void **state)
{
	sipc_tls_config *ccfg = sipc_tls_test_client("ca.pem");
	sipc_endpoint *c;
	struct raw r;

	(void)state;
	raw_server(&r, 0, KEY_UPDATE);
	c = dial_ok(r.url, ccfg);
	exchange(c, 30);
	sipc_endpoint_close(c);
	raw_join(&r);
	assert_true(r.echoed >= 29);
	assert_string_equal(r.version, "TLSv1.3");
	sipc_tls_config_free(ccfg);
}

static void tls12_server_renegotiates(void **state)
{
	sipc_tls_config *ccfg = sipc_tls_test_client("ca.pem");
	sipc_endpoint *c;
	struct raw r;

	(void)state;
	raw_server(&r, TLS1_2_VERSION, RENEGOTIATE);
	c = dial_ok(r.url, ccfg);
	exchange(c, 10);
	sipc_endpoint_close(c);
	raw_join(&r);
	assert_int_equal(r.echoed, 9);
	/* The client went through a second handshake in the middle. */
	assert_int_equal(r.renegotiations, 1);
	sipc_tls_config_free(ccfg);
}

static void tls12_client_renegotiation_refused(void **state)
{
	sipc_tls_config *scfg = sipc_tls_test_server("server.pem", "server.key");
	sipc_options o = {.tls = scfg};
	sipc_endpoint *l = NULL, *a = NULL;
	struct raw r = {.max_version = TLS1_2_VERSION, .mode = ASK_RENEGOTIATION};
	char buf[16];
	ssize_t n;

	(void)state;
	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), 0);
	sipc_test_local_url(l, r.url, sizeof(r.url));
	memcpy(r.url, "tcp", 3);
	assert_int_equal(pthread_create(&r.th, NULL, raw_main, &r), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
	/* The server answers the request with a no_renegotiation alert; the
	 * client gives up, and the server sees the connection end. */
	n = sipc_read(a, buf, sizeof(buf), sipc_test_ms(10000));
	assert_true(n <= 0 && n != SIPC_ETIMEDOUT);
	pthread_join(r.th, NULL);
	assert_int_equal(r.handshake, 1);
	assert_true(r.ask_rc <= 0);
	sipc_endpoint_close(a);
	sipc_endpoint_close(l);
	sipc_tls_config_free(scfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tls12_peer),
		cmocka_unit_test(tls12_client_to_tls13_server),
		cmocka_unit_test(tls13_key_updates),
		cmocka_unit_test(tls12_server_renegotiates),
		cmocka_unit_test(tls12_client_renegotiation_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
