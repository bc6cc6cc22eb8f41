/*
 * test_tls.c - the TLS transport end to end over loopback: messages, bytes
 * and requests over tls://, certificates from tests/support/tls-certs.sh
 * (made into a scratch directory for the run), self-signed certificates
 * with a pin, and every verification failure with its own code and a
 * sentence that names what a user needs (both host names, the date, both
 * fingerprints, the issuer).  The server side runs in a thread that accepts
 * one connection at a time and echoes messages.
 */
#include "support.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sockipc.h"

static char certs[512];

static const char *cert(const char *name)
{
	static char buf[8][600];
	static int next;
	char *b = buf[next++ % 8];

	snprintf(b, sizeof(buf[0]), "%s/%s", certs, name);
	return b;
}

static int group_setup(void **state)
{
	char cmd[1200];
	const char *src = getenv("SIPC_SOURCE_DIR");

	if (sipc_test_dir_setup(state) != 0)
		return -1;
	snprintf(certs, sizeof(certs), "%s/certs", sipc_test_dir);
	snprintf(cmd, sizeof(cmd), "bash %s/tests/support/tls-certs.sh %s", src ? src : ".", certs);
	return system(cmd) == 0 ? 0 : -1;
}

/* A server config from CERT/KEY in the certificate directory. */
static sipc_tls_config *server_cfg(const char *crt, const char *key)
{
	sipc_tls_config *cfg = NULL;
	char why[SIPC_WHY_MAX] = "";

	assert_int_equal(sipc_tls_config_new(SIPC_TLS_SERVER, &cfg), 0);
	if (sipc_tls_config_cert(cfg, cert(crt), cert(key), why, sizeof(why)) != 0)
		fail_msg("server cert %s: %s", crt, why);
	return cfg;
}

/* A client config trusting CA (NULL: the system store). */
static sipc_tls_config *client_cfg(const char *ca)
{
	sipc_tls_config *cfg = NULL;
	char why[SIPC_WHY_MAX] = "";

	assert_int_equal(sipc_tls_config_new(SIPC_TLS_CLIENT, &cfg), 0);
	if (ca != NULL && sipc_tls_config_ca(cfg, cert(ca), why, sizeof(why)) != 0)
		fail_msg("ca %s: %s", ca, why);
	return cfg;
}

/* ------------------------------------------------------------ the server */

struct server {
	sipc_endpoint *l;
	pthread_t th;
	int conns;        /* connections to serve, one after the other */
	int handshake_rc; /* sipc_handshake of the last one */
	char why[SIPC_WHY_MAX];
	char subject[SIPC_TLS_INFO_MAX];
	int echoed;
	int port;
};

static void *server_main(void *arg)
{
	struct server *s = arg;

	for (int i = 0; i < s->conns; i++) {
		sipc_endpoint *c = NULL;
		void *msg;
		ssize_t n;

		if (sipc_accept(s->l, sipc_test_ms(10000), &c) != 0)
			break;
		s->handshake_rc = sipc_handshake(c, sipc_test_ms(10000));
		snprintf(s->why, sizeof(s->why), "%s", sipc_endpoint_why(c));
		if (s->handshake_rc == 0) {
			sipc_tls_info(c, SIPC_TLS_PEER_SUBJECT, s->subject, sizeof(s->subject));
			/* Bounded: the clients send a few messages each. */
			for (int k = 0; k < 50; k++) {
				msg = NULL;
				n = sipc_recv_alloc(c, &msg, sipc_test_ms(10000));
				if (n < 0)
					break;
				if (sipc_send(c, msg, (size_t)n, sipc_test_ms(10000)) == n)
					s->echoed++;
				free(msg);
			}
		}
		sipc_endpoint_close(c);
	}
	return NULL;
}

static void server_start(struct server *s, const char *url, sipc_tls_config *cfg, int conns)
{
	sipc_options o = {.tls = cfg};
	char why[SIPC_WHY_MAX] = "";
	int rc;

	memset(s, 0, sizeof(*s));
	o.why = why;
	o.whylen = sizeof(why);
	rc = sipc_listen(url, &o, &s->l);
	if (rc != 0)
		fail_msg("listen %s: %s: %s", url, sipc_strerror(rc), why);
	s->port = sipc_test_local_port(s->l);
	s->conns = conns;
	assert_int_equal(pthread_create(&s->th, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	pthread_join(s->th, NULL);
	sipc_endpoint_close(s->l);
}

/* Accepts one connection on L and completes its handshake in a thread,
 * for tests that then drive both ends from the main thread. */
struct acceptor {
	sipc_endpoint *l, *a;
	int rc;
	pthread_t th;
};

static void *acceptor_main(void *arg)
{
	struct acceptor *x = arg;

	x->rc = sipc_accept(x->l, sipc_test_ms(10000), &x->a);
	if (x->rc == 0)
		x->rc = sipc_handshake(x->a, sipc_test_ms(10000));
	return NULL;
}

static void accept_start(struct acceptor *x, sipc_endpoint *l)
{
	memset(x, 0, sizeof(*x));
	x->l = l;
	assert_int_equal(pthread_create(&x->th, NULL, acceptor_main, x), 0);
}

/* The accepted endpoint, its handshake done (asserts). */
static sipc_endpoint *accept_join(struct acceptor *x)
{
	pthread_join(x->th, NULL);
	if (x->rc != 0)
		fail_msg("accept: %s", sipc_strerror(x->rc));
	return x->a;
}

/* Dials tls://HOST:port of S with CFG; returns the code, WHY filled. */
static int dial(const struct server *s, const char *host, const sipc_tls_config *cfg,
		sipc_endpoint **ep, char *why, size_t whylen)
{
	sipc_options o = {.tls = cfg, .why = why, .whylen = whylen};
	char url[300];

	snprintf(url, sizeof(url), "tls://%s:%d", host, s->port);
	*ep = NULL;
	return sipc_dial(url, &o, sipc_test_ms(10000), ep);
}

static void expect_contains(const char *text, const char *part)
{
	if (strstr(text, part) == NULL)
		fail_msg("'%s' does not contain '%s'", text, part);
}

/* ------------------------------------------------------------------ tests */

static void tls_messages_round_trip(void **state)
{
	sipc_tls_config *scfg = server_cfg("server.pem", "server.key");
	sipc_tls_config *ccfg = client_cfg("ca.pem");
	static const size_t sizes[] = {0, 1, 1000, 60000, 1 << 20};
	struct server s;
	sipc_endpoint *c;
	char why[SIPC_WHY_MAX], buf[SIPC_TLS_INFO_MAX];
	uint8_t *out = malloc(1 << 20), *in = malloc(1 << 20);
	int rc;

	(void)state;
	server_start(&s, "tls://127.0.0.1:0", scfg, 1);
	/* Both may be freed at once: the endpoints hold references. */
	sipc_tls_config_free(scfg);
	rc = dial(&s, "localhost", ccfg, &c, why, sizeof(why));
	sipc_tls_config_free(ccfg);
	if (rc != 0)
		fail_msg("dial: %s: %s", sipc_strerror(rc), why);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t k = 0; k < sizes[i]; k++)
			out[k] = (uint8_t)(k * 7 + i);
		assert_int_equal(sipc_send(c, out, sizes[i], sipc_test_ms(10000)),
				 (ssize_t)sizes[i]);
		assert_int_equal(sipc_recv(c, in, 1 << 20, sipc_test_ms(10000)), (ssize_t)sizes[i]);
		assert_memory_equal(in, out, sizes[i]);
	}
	assert_true(sipc_tls_info(c, SIPC_TLS_PEER_SUBJECT, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "CN=localhost");
	assert_true(sipc_tls_info(c, SIPC_TLS_VERIFIED, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "yes");
	assert_true(sipc_tls_info(c, SIPC_TLS_VERSION, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "TLSv1.3");
	sipc_endpoint_close(c);
	server_stop(&s);
	assert_int_equal(s.handshake_rc, 0);
	assert_int_equal(s.echoed, 5);
	free(out);
	free(in);
}

/* One failing dial: CODE on the client, and WHY containing each PART. */
static void expect_dial_fails(const char *scert, const char *skey, const char *host,
			      sipc_tls_config *ccfg, int code, const char *const *parts)
{
	sipc_tls_config *scfg = server_cfg(scert, skey);
	struct server s;
	sipc_endpoint *c;
	char why[SIPC_WHY_MAX] = "";
	int rc;

	server_start(&s, "tls://127.0.0.1:0", scfg, 1);
	sipc_tls_config_free(scfg);
	rc = dial(&s, host, ccfg, &c, why, sizeof(why));
	if (rc != code)
		fail_msg("dial %s: got %s (%s), want %s", host, sipc_strerror(rc), why,
			 sipc_strerror(code));
	assert_null(c);
	print_message("  why: %s\n", why);
	for (; *parts; parts++)
		expect_contains(why, *parts);
	expect_contains(why, "OpenSSL: ");
	server_stop(&s);
	/* The server saw the client refuse it with an alert. */
	assert_int_equal(s.handshake_rc, SIPC_ETLS_PEER_ALERT);
	sipc_tls_config_free(ccfg);
}

static void tls_unknown_ca(void **state)
{
	(void)state;
	expect_dial_fails("server.pem", "server.key", "localhost", client_cfg("ca2.pem"),
			  SIPC_ETLS_UNKNOWN_CA,
			  (const char *const[]){"CN=localhost", "CN=sockipc test CA", NULL});
}

static void tls_hostname_mismatch(void **state)
{
	(void)state;
	expect_dial_fails("other.pem", "other.key", "localhost", client_cfg("ca.pem"),
			  SIPC_ETLS_HOSTNAME,
			  (const char *const[]){"DNS:other.example", "'localhost'", NULL});
	expect_dial_fails("other.pem", "other.key", "127.0.0.1", client_cfg("ca.pem"),
			  SIPC_ETLS_HOSTNAME,
			  (const char *const[]){"DNS:other.example", "'127.0.0.1'", NULL});
}

static void tls_expired_and_not_yet_valid(void **state)
{
	(void)state;
	expect_dial_fails("expired.pem", "expired.key", "localhost", client_cfg("ca.pem"),
			  SIPC_ETLS_EXPIRED,
			  (const char *const[]){"expired on 2021-01-01 00:00:00 UTC", NULL});
	expect_dial_fails("notyet.pem", "notyet.key", "localhost", client_cfg("ca.pem"),
			  SIPC_ETLS_NOT_YET_VALID,
			  (const char *const[]){"not valid before 2099-01-01 00:00:00 UTC", NULL});
}

/* A trace function that keeps the lines that start with "tls_". */
struct lines {
	char text[8][SIPC_WHY_MAX];
	int n;
};

static void keep_tls_line(void *arg, const char *line)
{
	struct lines *l = arg;

	if (strncmp(line, "tls_", 4) == 0 && l->n < 8)
		snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

static void tls_self_signed_and_pin(void **state)
{
	sipc_tls_config *scfg = NULL, *ccfg = client_cfg(NULL), *bad = client_cfg(NULL);
	char fp[SIPC_TLS_FINGERPRINT_MAX], why[SIPC_WHY_MAX], buf[SIPC_TLS_INFO_MAX];
	const char *wrong = "SHA256:"
			    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
			    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";
	struct lines tl = {.n = 0};
	sipc_options o = {.why = why, .whylen = sizeof(why)};
	struct server s;
	sipc_endpoint *c = NULL;
	char url[64];
	int rc;

	(void)state;
	assert_int_equal(sipc_tls_config_new(SIPC_TLS_SERVER, &scfg), 0);
	assert_int_equal(sipc_tls_config_self_signed(scfg, "localhost", why, sizeof(why)), 0);
	assert_int_equal(sipc_tls_config_fingerprint(scfg, fp, sizeof(fp)), 102);
	assert_int_equal(sipc_tls_config_fingerprint(scfg, buf, 50), SIPC_EBUFSIZE);
	assert_int_equal(sipc_tls_config_pin(ccfg, fp, why, sizeof(why)), 0);
	assert_int_equal(sipc_tls_config_pin(bad, wrong, why, sizeof(why)), 0);
	assert_int_equal(sipc_tls_config_pin(bad, "SHA256:12:34", why, sizeof(why)),
			 SIPC_ETLS_CONFIG);
	expect_contains(why, "not a SHA-256 fingerprint");

	server_start(&s, "tls://127.0.0.1:0", scfg, 3);
	snprintf(url, sizeof(url), "tls://127.0.0.1:%d", s.port);
	/* The pin replaces the CA and the name: a self-signed certificate
	 * for "localhost" reached at 127.0.0.1 is accepted. */
	o.tls = ccfg;
	o.trace = keep_tls_line;
	o.trace_arg = &tl;
	rc = sipc_dial(url, &o, sipc_test_ms(10000), &c);
	if (rc != 0)
		fail_msg("dial: %s: %s", sipc_strerror(rc), why);
	assert_int_equal(sipc_tls_info(c, SIPC_TLS_VERIFIED, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "pinned");
	assert_true(sipc_tls_info(c, SIPC_TLS_PEER_FINGERPRINT, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, fp);
	assert_int_equal(sipc_tls_info(c, SIPC_TLS_PEER_FINGERPRINT, buf, 10), SIPC_EBUFSIZE);
	assert_int_equal(sipc_tls_info(c, 999, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sipc_send(c, "pin", 3, sipc_test_ms(10000)), 3);
	assert_int_equal(sipc_recv(c, buf, sizeof(buf), sipc_test_ms(10000)), 3);
	sipc_endpoint_close(c);
	/* The trace line of the handshake: version, cipher, peer, its
	 * fingerprint, how it was verified, ALPN, kTLS. */
	assert_int_equal(tl.n, 1);
	print_message("  trace: %s\n", tl.text[0]);
	expect_contains(tl.text[0], "tls_handshake(");
	expect_contains(tl.text[0], ") = TLSv1.3 TLS_");
	expect_contains(tl.text[0], " peer=\"CN=localhost\" SHA256:");
	expect_contains(tl.text[0], fp);
	expect_contains(tl.text[0], " verify=pinned alpn=- ktls=no");

	/* Another pin: refused, with both fingerprints. */
	o.tls = bad;
	tl.n = 0;
	rc = sipc_dial(url, &o, sipc_test_ms(10000), &c);
	assert_int_equal(rc, SIPC_ETLS_PIN);
	print_message("  why: %s\n", why);
	expect_contains(why, fp);
	expect_contains(why, wrong);
	assert_int_equal(tl.n, 1);
	expect_contains(tl.text[0], "tls_handshake(");
	expect_contains(tl.text[0], ") = -1 (TLS peer certificate does not match the pinned "
				    "fingerprint): the certificate's fingerprint is ");
	expect_contains(tl.text[0], wrong);

	/* Without a pin or a CA: the self-signed certificate is unknown. */
	o.tls = NULL;
	o.trace = NULL;
	rc = sipc_dial(url, &o, sipc_test_ms(10000), &c);
	assert_int_equal(rc, SIPC_ETLS_UNKNOWN_CA);
	expect_contains(why, "self-signed");
	server_stop(&s);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(ccfg);
	sipc_tls_config_free(bad);
}

static void tls_verify_none_and_bytes(void **state)
{
	sipc_tls_config *scfg = server_cfg("ca2-server.pem", "ca2-server.key");
	sipc_tls_config *ccfg = client_cfg(NULL);
	struct server s;
	sipc_endpoint *c, *l, *a;
	char why[SIPC_WHY_MAX], buf[SIPC_TLS_INFO_MAX], url[64];
	sipc_options so = {.tls = scfg}, co;
	static uint8_t big[200000], back[200000];
	struct acceptor x;

	(void)state;
	assert_int_equal(sipc_tls_config_verify(ccfg, SIPC_TLS_VERIFY_NONE), 0);
	server_start(&s, "tls://127.0.0.1:0", scfg, 1);
	assert_int_equal(dial(&s, "127.0.0.1", ccfg, &c, why, sizeof(why)), 0);
	assert_true(sipc_tls_info(c, SIPC_TLS_VERIFIED, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "no");
	/* A request is a message and its reply. */
	assert_int_equal(sipc_request(c, "ping", 4, buf, sizeof(buf), sipc_test_ms(10000), 0), 4);
	assert_memory_equal(buf, "ping", 4);
	sipc_endpoint_close(c);
	server_stop(&s);

	/* Bytes: write_all then shutdown_write (close_notify), the other side
	 * reads them all and then a clean end of stream (0). */
	assert_int_equal(sipc_listen("tls6://[::1]:0", &so, &l) == 0 ||
				 sipc_listen("tls4://127.0.0.1:0", &so, &l) == 0,
			 1);
	snprintf(url, sizeof(url), "%s", sipc_test_local_url(l, buf, sizeof(buf)));
	assert_true(strncmp(url, "tls://", 6) == 0);
	co = (sipc_options){.tls = ccfg};
	accept_start(&x, l);
	assert_int_equal(sipc_dial(url, &co, sipc_test_ms(10000), &c), 0);
	a = accept_join(&x);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 31);
	/* The socket buffers hold less than this; the writer is done only
	 * when the reader has taken enough, so read in between. */
	{
		size_t got = 0;
		ssize_t n;

		assert_int_equal(sipc_write_all(c, big, sizeof(big), sipc_test_ms(10000)),
				 (ssize_t)sizeof(big));
		assert_int_equal(sipc_shutdown_write(c), 0);
		while ((n = sipc_read(a, back + got, sizeof(back) - got, sipc_test_ms(10000))) > 0)
			got += (size_t)n;
		assert_int_equal(n, 0);
		assert_int_equal(got, sizeof(big));
		assert_memory_equal(back, big, sizeof(big));
	}
	/* The other direction still works after the half-close. */
	assert_int_equal(sipc_write_all(a, "late", 4, sipc_test_ms(10000)), 4);
	assert_int_equal(sipc_read_exact(c, buf, 4, sipc_test_ms(10000)), 4);
	sipc_endpoint_close(a);
	/* Closed with close_notify: a clean end, not a truncation. */
	assert_int_equal(sipc_read(c, buf, sizeof(buf), sipc_test_ms(10000)), 0);
	sipc_endpoint_close(c);
	sipc_endpoint_close(l);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(ccfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tls_messages_round_trip),
		cmocka_unit_test(tls_unknown_ca),
		cmocka_unit_test(tls_hostname_mismatch),
		cmocka_unit_test(tls_expired_and_not_yet_valid),
		cmocka_unit_test(tls_self_signed_and_pin),
		cmocka_unit_test(tls_verify_none_and_bytes),
	};

	return cmocka_run_group_tests(tests, group_setup, sipc_test_dir_teardown);
}
