/*
 * test_tls_errors.c - TLS against peers that are wrong or hostile, each
 * with its own code and a sentence: a stream cut without close_notify
 * (SIPC_ETLS_TRUNCATED, never a clean end), a plain TCP client on a TLS
 * port and a TLS client to a plain TCP server (SIPC_ETLS_NOT_TLS, with
 * what the peer sent, escaped), garbage, a peer that stops in the middle
 * of the handshake (SIPC_ETIMEDOUT on time, no hang), mutual TLS without a
 * certificate or with one from the wrong CA, and a listener without a
 * usable config.
 */
#include "support.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockipc.h"
#include "tlstest.h"

static sipc_endpoint *tls_listen(sipc_tls_config *cfg, char *url, size_t len)
{
	sipc_options o = {.tls = cfg};
	sipc_endpoint *l = NULL;

	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), 0);
	sipc_test_local_url(l, url, len);
	return l;
}

/* A TLS pair over loopback: *C dialed with CCFG, the accepted side with
 * SCFG, both handshakes done. */
static sipc_endpoint *pair(sipc_tls_config *scfg, sipc_tls_config *ccfg, sipc_endpoint **c)
{
	int crc, src;
	sipc_endpoint *a = sipc_tls_test_pair(scfg, ccfg, "localhost", c, &crc, &src);

	assert_int_equal(crc, 0);
	assert_int_equal(src, 0);
	return a;
}

/* A plain TCP connection to URL (a tls:// one, dialed as tcp://). */
static sipc_endpoint *tcp_to(const char *tls_url)
{
	char url[SIPC_URL_MAX];
	sipc_endpoint *t = NULL;

	snprintf(url, sizeof(url), "tcp://%s", tls_url + strlen("tls://"));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(10000), &t), 0);
	return t;
}

/* ----------------------------------------------------------------- tests */

static void tls_truncation_is_an_error(void **state)
{
	sipc_tls_config *scfg = sipc_tls_test_server("server.pem", "server.key");
	sipc_tls_config *ccfg = sipc_tls_test_client("ca.pem");
	sipc_endpoint *c, *a;
	char buf[64];

	(void)state;
	/* Bytes: what arrived is read, then the cut is an error. */
	a = pair(scfg, ccfg, &c);
	assert_int_equal(sipc_write_all(a, "partial", 7, sipc_test_ms(10000)), 7);
	/* The TCP stream ends under TLS: no close_notify goes out. */
	assert_int_equal(shutdown(sipc_endpoint_fd(a), SHUT_WR), 0);
	assert_int_equal(sipc_read_exact(c, buf, 7, sipc_test_ms(10000)), 7);
	assert_int_equal(sipc_read(c, buf, sizeof(buf), sipc_test_ms(10000)), SIPC_ETLS_TRUNCATED);
	sipc_tls_test_contains(sipc_endpoint_why(c), "without TLS close_notify");
	sipc_tls_test_contains(sipc_endpoint_why(c), "OpenSSL: unexpected eof while reading");
	/* It stays an error: never turned into an end of stream later. */
	assert_int_equal(sipc_read(c, buf, sizeof(buf), sipc_test_ms(10000)), SIPC_ETLS_TRUNCATED);
	sipc_endpoint_close(c);
	sipc_endpoint_close(a);

	/* Messages: a cut between two frames is not SIPC_ECLOSED either. */
	a = pair(scfg, ccfg, &c);
	assert_int_equal(sipc_send(a, "one", 3, sipc_test_ms(10000)), 3);
	assert_int_equal(shutdown(sipc_endpoint_fd(a), SHUT_WR), 0);
	assert_int_equal(sipc_recv(c, buf, sizeof(buf), sipc_test_ms(10000)), 3);
	assert_int_equal(sipc_recv(c, buf, sizeof(buf), sipc_test_ms(10000)), SIPC_ETLS_TRUNCATED);
	sipc_endpoint_close(c);
	sipc_endpoint_close(a);

	/* And a close with close_notify is the clean end. */
	a = pair(scfg, ccfg, &c);
	assert_int_equal(sipc_send(a, "two", 3, sipc_test_ms(10000)), 3);
	sipc_endpoint_close(a);
	assert_int_equal(sipc_recv(c, buf, sizeof(buf), sipc_test_ms(10000)), 3);
	assert_int_equal(sipc_recv(c, buf, sizeof(buf), sipc_test_ms(10000)), SIPC_ECLOSED);
	sipc_endpoint_close(c);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(ccfg);
}

/* What a TLS listener's accepted side says when a plain TCP client sends
 * WHAT (LEN bytes). */
static void plain_client(const void *what, size_t len, int code, const char *part)
{
	sipc_tls_config *scfg = sipc_tls_test_server("server.pem", "server.key");
	sipc_endpoint *l, *t, *a = NULL;
	char url[SIPC_URL_MAX];

	l = tls_listen(scfg, url, sizeof(url));
	t = tcp_to(url);
	assert_int_equal(sipc_write_all(t, what, len, sipc_test_ms(10000)), (ssize_t)len);
	assert_int_equal(sipc_shutdown_write(t), 0); /* and nothing more */
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
	assert_int_equal(sipc_handshake(a, sipc_test_ms(10000)), code);
	print_message("  why: %s\n", sipc_endpoint_why(a));
	sipc_tls_test_contains(sipc_endpoint_why(a), part);
	/* Later calls give the same code, and nothing is sent. */
	assert_int_equal(sipc_send(a, "x", 1, sipc_test_ms(10000)), code);
	sipc_endpoint_close(a);
	sipc_endpoint_close(t);
	sipc_endpoint_close(l);
	sipc_tls_config_free(scfg);
}

static void tls_plain_tcp_client_and_garbage(void **state)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static const unsigned char bin[] = {0x00, 0xff, 0x01, 0x7f, 0x80, 0x22, 0x25, 0x0a};
	/* A record header that says handshake, then nonsense. */
	static const unsigned char rec[] = {0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};

	(void)state;
	plain_client(http, sizeof(http) - 1, SIPC_ETLS_NOT_TLS,
		     "the peer does not speak TLS: it sent 'GET / HTTP/1.1%0D%0A...'");
	plain_client(bin, sizeof(bin), SIPC_ETLS_NOT_TLS, "it sent '%00%FF%01%7F%80%22%25%0A'");
	plain_client(rec, sizeof(rec), SIPC_ETLS_HANDSHAKE, "OpenSSL: ");
	/* A client that connects and leaves. */
	plain_client("", 0, SIPC_ETLS_HANDSHAKE, "closed the connection during the handshake");
}

/* A plain TCP server: echoes (ECHO) or sends BANNER, in a thread. */
struct plain_server {
	sipc_endpoint *l;
	const char *banner;
	pthread_t th;
};

static void *plain_main(void *arg)
{
	struct plain_server *p = arg;
	sipc_endpoint *a = NULL;
	char buf[4096];
	ssize_t n;

	if (sipc_accept(p->l, sipc_test_ms(10000), &a) != 0)
		return NULL;
	if (p->banner != NULL) {
		sipc_write_all(a, p->banner, strlen(p->banner), sipc_test_ms(10000));
		sipc_read(a, buf, sizeof(buf), sipc_test_ms(10000));
	} else {
		while ((n = sipc_read(a, buf, sizeof(buf), sipc_test_ms(10000))) > 0)
			sipc_write_all(a, buf, (size_t)n, sipc_test_ms(10000));
	}
	sipc_endpoint_close(a);
	return NULL;
}

static void dial_plain(const char *banner, const char *part)
{
	struct plain_server p = {.banner = banner};
	char url[SIPC_URL_MAX], why[SIPC_WHY_MAX];
	sipc_options o = {.why = why, .whylen = sizeof(why)};
	sipc_endpoint *c = NULL;

	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &p.l), 0);
	snprintf(url, sizeof(url), "tls://127.0.0.1:%d", sipc_test_local_port(p.l));
	assert_int_equal(pthread_create(&p.th, NULL, plain_main, &p), 0);
	assert_int_equal(sipc_dial(url, &o, sipc_test_ms(10000), &c), SIPC_ETLS_NOT_TLS);
	assert_null(c);
	print_message("  why: %s\n", why);
	sipc_tls_test_contains(why, part);
	pthread_join(p.th, NULL);
	sipc_endpoint_close(p.l);
}

static void tls_client_to_plain_tcp_server(void **state)
{
	(void)state;
	dial_plain(NULL, "it sent our ClientHello back (an echo server?)");
	dial_plain("SSH-2.0-OpenSSH_9.2\r\n", "it sent 'SSH-2.0-OpenSSH_...'");
}

static void tls_stalled_handshake_times_out(void **state)
{
	sipc_tls_config *scfg = sipc_tls_test_server("server.pem", "server.key");
	sipc_endpoint *l, *t, *a = NULL, *c = NULL;
	char url[SIPC_URL_MAX];
	int64_t t0;

	(void)state;
	/* A server that accepts and never answers: the dial gives up on
	 * time (the accept queue takes the connection; nobody reads). */
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	snprintf(url, sizeof(url), "tls://127.0.0.1:%d", sipc_test_local_port(l));
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_dial(url, NULL, 300, &c), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(3000));
	sipc_endpoint_close(l);

	/* A client that sends half a ClientHello and stops. */
	l = tls_listen(scfg, url, sizeof(url));
	t = tcp_to(url);
	assert_int_equal(sipc_write_all(t, "\x16\x03\x01\x02\x00\x01", 6, sipc_test_ms(10000)), 6);
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
	t0 = sipc_test_now_ms();
	assert_int_equal(sipc_handshake(a, 300), SIPC_ETIMEDOUT);
	assert_true(sipc_test_now_ms() - t0 < sipc_test_ms(3000));
	/* Not done, not failed: a read with timeout 0 says so too. */
	assert_int_equal(sipc_read(a, url, 10, 0), SIPC_ETIMEDOUT);
	assert_int_equal(sipc_endpoint_want(a, POLLIN), POLLIN);
	sipc_endpoint_close(a);
	sipc_endpoint_close(t);
	sipc_endpoint_close(l);
	sipc_tls_config_free(scfg);
}

/* Mutual TLS: the server checks client certificates against ca.pem. */
static void tls_client_certificates(void **state)
{
	sipc_tls_config *scfg = sipc_tls_test_server("server.pem", "server.key");
	sipc_tls_config *alice = sipc_tls_test_client("ca.pem");
	sipc_tls_config *nobody = sipc_tls_test_client("ca.pem");
	sipc_tls_config *mallory = sipc_tls_test_client("ca.pem");
	char why[SIPC_WHY_MAX], buf[SIPC_TLS_INFO_MAX];
	sipc_endpoint *c, *a;

	(void)state;
	assert_int_equal(sipc_tls_config_ca(scfg, sipc_tls_test_cert("ca.pem"), why, sizeof(why)),
			 0);
	assert_int_equal(sipc_tls_config_cert(alice, sipc_tls_test_cert("alice.pem"),
					      sipc_tls_test_cert("alice.key"), why, sizeof(why)),
			 0);
	assert_int_equal(sipc_tls_config_cert(mallory, sipc_tls_test_cert("mallory.pem"),
					      sipc_tls_test_cert("mallory.key"), why, sizeof(why)),
			 0);

	/* Alice is let in, and the server sees who she is. */
	a = pair(scfg, alice, &c);
	assert_true(sipc_tls_info(a, SIPC_TLS_PEER_SUBJECT, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "CN=alice");
	assert_true(sipc_tls_info(a, SIPC_TLS_VERIFIED, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "yes");
	assert_true(sipc_tls_info(a, SIPC_TLS_PEER_ISSUER, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "CN=sockipc test CA");
	sipc_endpoint_close(c);
	sipc_endpoint_close(a);

	/* No certificate, and one from another CA: refused on the server.
	 * In TLS 1.3 the client's handshake ends before the server has
	 * judged it, so the client hears of it on its first read. */
	for (int i = 0; i < 2; i++) {
		struct sipc_tls_test_dial d;
		sipc_options o = {.tls = scfg};
		sipc_endpoint *l = NULL;
		char url[SIPC_URL_MAX];
		int code = i == 0 ? SIPC_ETLS_NO_PEER_CERT : SIPC_ETLS_UNKNOWN_CA;

		assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), 0);
		sipc_test_local_url(l, url, sizeof(url));
		sipc_tls_test_dial_start(&d, url, i == 0 ? nobody : mallory, sipc_test_ms(10000));
		assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
		assert_int_equal(sipc_handshake(a, sipc_test_ms(10000)), code);
		print_message("  server: %s\n", sipc_endpoint_why(a));
		sipc_tls_test_contains(sipc_endpoint_why(a),
				       i == 0 ? "the client sent no certificate"
					      : "'CN=mallory' is issued by 'CN=sockipc other CA'");
		sipc_endpoint_close(a);
		assert_int_equal(sipc_tls_test_dial_join(&d), 0);
		c = d.ep;
		assert_int_equal(sipc_read(c, buf, sizeof(buf), sipc_test_ms(10000)),
				 SIPC_ETLS_PEER_ALERT);
		print_message("  client: %s\n", sipc_endpoint_why(c));
		sipc_tls_test_contains(sipc_endpoint_why(c),
				       i == 0 ? "requires a client certificate"
					      : "refused our certificate (alert 'unknown CA')");
		sipc_endpoint_close(c);
		sipc_endpoint_close(l);
	}

	/* Optional: a client without a certificate is let in, unverified. */
	assert_int_equal(sipc_tls_config_verify(scfg, SIPC_TLS_VERIFY_OPTIONAL), 0);
	a = pair(scfg, nobody, &c);
	assert_int_equal(sipc_tls_info(a, SIPC_TLS_PEER_SUBJECT, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_true(sipc_tls_info(a, SIPC_TLS_VERIFIED, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "no");
	sipc_endpoint_close(c);
	sipc_endpoint_close(a);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(alice);
	sipc_tls_config_free(nobody);
	sipc_tls_config_free(mallory);
}

static void tls_listener_needs_server_config(void **state)
{
	sipc_tls_config *client = sipc_tls_test_client(NULL), *empty = NULL;
	char why[SIPC_WHY_MAX] = "x";
	sipc_options o = {.why = why, .whylen = sizeof(why)};
	sipc_endpoint *l = NULL;

	(void)state;
	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "a tls:// listener needs a server TLS config");
	o.tls = client;
	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "not a client one");
	assert_int_equal(sipc_tls_config_new(SIPC_TLS_SERVER, &empty), 0);
	o.tls = empty;
	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "has no certificate");
	/* A server config cannot dial. */
	assert_int_equal(sipc_dial("tls://127.0.0.1:9", &o, 1000, &l), SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "needs a client TLS config");
	assert_null(l);
	/* Bad files say which and why. */
	assert_int_equal(sipc_tls_config_cert(empty, "/nonexistent.pem", NULL, why, sizeof(why)),
			 SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "cannot read certificate file '/nonexistent.pem'");
	assert_int_equal(sipc_tls_config_cert(empty, sipc_tls_test_cert("server.pem"),
					      sipc_tls_test_cert("alice.key"), why, sizeof(why)),
			 SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "does not belong to the certificate");
	assert_int_equal(sipc_tls_config_cert(empty, sipc_tls_test_cert("server.key"), NULL, why,
					      sizeof(why)),
			 SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "no PEM certificate in");
	assert_int_equal(
		sipc_tls_config_ca(empty, sipc_tls_test_cert("server.key"), why, sizeof(why)),
		SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "no PEM CA certificate in");
	assert_int_equal(sipc_tls_config_min_version(empty, "1.1", why, sizeof(why)),
			 SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "expected 1.2 or 1.3");
	assert_int_equal(sipc_tls_config_alpn(empty, "h2,,x", why, sizeof(why)), SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "empty");
	/* What the caller gave is quoted back escaped: no control byte
	 * reaches a terminal or a log (found by fuzz_tls_config). */
	assert_int_equal(sipc_tls_config_pin(empty, "ab\ncd\001%", why, sizeof(why)),
			 SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "'ab%0Acd%01%25' is not a SHA-256 fingerprint");
	assert_int_equal(sipc_tls_config_cert(empty, "/no/such\nfile", NULL, why, sizeof(why)),
			 SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "'/no/such%0Afile'");
	assert_int_equal(sipc_tls_config_verify(client, SIPC_TLS_VERIFY_OPTIONAL), -EINVAL);
	assert_int_equal(sipc_tls_config_new(7, &l == NULL ? &empty : &empty), -EINVAL);
	sipc_tls_config_free(empty);
	sipc_tls_config_free(client);
	sipc_tls_config_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tls_truncation_is_an_error),
		cmocka_unit_test(tls_plain_tcp_client_and_garbage),
		cmocka_unit_test(tls_client_to_plain_tcp_server),
		cmocka_unit_test(tls_stalled_handshake_times_out),
		cmocka_unit_test(tls_client_certificates),
		cmocka_unit_test(tls_listener_needs_server_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
