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
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "sockipc.h"
#include "tlstest.h"

#define server_cfg      sipc_tls_test_server
#define client_cfg      sipc_tls_test_client
#define expect_contains sipc_tls_test_contains
#define pair            sipc_tls_test_pair

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
	sipc_options so = {.tls = scfg};
	static uint8_t big[200000], back[200000];
	struct sipc_tls_test_dial d;

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
	sipc_tls_test_dial_start(&d, url, ccfg, sipc_test_ms(10000));
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
	assert_int_equal(sipc_handshake(a, sipc_test_ms(10000)), 0);
	assert_int_equal(sipc_tls_test_dial_join(&d), 0);
	c = d.ep;
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

static void info_is(const sipc_endpoint *ep, sipc_tls_field f, const char *want)
{
	char buf[SIPC_TLS_INFO_MAX];

	assert_true(sipc_tls_info(ep, f, buf, sizeof(buf)) >= 0);
	assert_string_equal(buf, want);
}

static void tls_alpn_and_sni(void **state)
{
	sipc_tls_config *scfg = server_cfg("server.pem", "server.key");
	sipc_tls_config *ccfg = client_cfg("ca.pem");
	char why[SIPC_WHY_MAX];
	sipc_endpoint *a, *c;
	int crc, src;

	(void)state;
	assert_int_equal(sipc_tls_config_alpn(scfg, "h2,http/1.1", why, sizeof(why)), 0);
	/* Neither side offers ALPN from the client: accepted, none chosen
	 * (RFC 7301: the server only answers an offer). */
	a = pair(scfg, ccfg, "localhost", &c, &crc, &src);
	assert_int_equal(crc, 0);
	assert_int_equal(src, 0);
	info_is(c, SIPC_TLS_ALPN, "");
	info_is(a, SIPC_TLS_SNI, "localhost");
	sipc_endpoint_close(a);
	sipc_endpoint_close(c);

	/* The client's order decides among the protocols both know. */
	assert_int_equal(sipc_tls_config_alpn(ccfg, "http/1.1,h2", why, sizeof(why)), 0);
	a = pair(scfg, ccfg, "127.0.0.1", &c, &crc, &src);
	assert_int_equal(crc, 0);
	info_is(c, SIPC_TLS_ALPN, "http/1.1");
	info_is(a, SIPC_TLS_ALPN, "http/1.1");
	/* An address is not sent as SNI (RFC 6066 3). */
	info_is(a, SIPC_TLS_SNI, "");
	sipc_endpoint_close(a);
	sipc_endpoint_close(c);

	/* server_name: sent, and checked in place of the URL host. */
	assert_int_equal(sipc_tls_config_server_name(ccfg, "localhost"), 0);
	a = pair(scfg, ccfg, "127.0.0.1", &c, &crc, &src);
	assert_int_equal(crc, 0);
	info_is(a, SIPC_TLS_SNI, "localhost");
	sipc_endpoint_close(a);
	sipc_endpoint_close(c);
	assert_int_equal(sipc_tls_config_server_name(ccfg, "other.example"), 0);
	a = pair(scfg, ccfg, "127.0.0.1", &c, &crc, &src);
	assert_int_equal(crc, SIPC_ETLS_HOSTNAME);
	sipc_endpoint_close(a);

	/* Nothing in common: the server refuses. */
	assert_int_equal(sipc_tls_config_server_name(ccfg, "localhost"), 0);
	assert_int_equal(sipc_tls_config_alpn(ccfg, "spdy/3", why, sizeof(why)), 0);
	a = pair(scfg, ccfg, "localhost", &c, &crc, &src);
	assert_int_equal(src, SIPC_ETLS_HANDSHAKE);
	sipc_tls_test_contains(sipc_endpoint_why(a), "no ALPN protocol in common");
	assert_true(crc == SIPC_ETLS_HANDSHAKE || crc == SIPC_ETLS_PEER_ALERT);
	assert_null(c);
	sipc_endpoint_close(a);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(ccfg);
}

static void tls_info_fields(void **state)
{
	sipc_tls_config *scfg = server_cfg("server.pem", "server.key");
	sipc_tls_config *ccfg = client_cfg("ca.pem");
	char buf[SIPC_TLS_INFO_MAX], fp[SIPC_TLS_FINGERPRINT_MAX];
	sipc_endpoint *a, *c, *t = NULL, *l = NULL;
	sipc_options o = {.tls = scfg};
	int crc, src;

	(void)state;
	assert_int_equal(sipc_tls_config_fingerprint(ccfg, fp, sizeof(fp)), -ENOENT);
	assert_int_equal(sipc_tls_config_fingerprint(scfg, fp, sizeof(fp)), 102);
	a = pair(scfg, ccfg, "localhost", &c, &crc, &src);
	assert_int_equal(crc, 0);
	info_is(c, SIPC_TLS_PEER_SUBJECT, "CN=localhost");
	info_is(c, SIPC_TLS_PEER_ISSUER, "CN=sockipc test CA");
	info_is(c, SIPC_TLS_PEER_SAN, "DNS:localhost,IP:127.0.0.1,IP:::1");
	info_is(c, SIPC_TLS_PEER_FINGERPRINT, fp);
	info_is(c, SIPC_TLS_KTLS, "no");
	assert_true(sipc_tls_info(c, SIPC_TLS_PEER_NOT_AFTER, buf, sizeof(buf)) ==
		    (int)strlen("2027-12-02 06:55:00 UTC"));
	sipc_tls_test_contains(buf, " UTC");
	assert_true(sipc_tls_info(c, SIPC_TLS_CIPHER, buf, sizeof(buf)) > 0);
	sipc_tls_test_contains(buf, "TLS_");
	/* The server side of a client without a certificate. */
	info_is(a, SIPC_TLS_PEER_SUBJECT, "");
	info_is(a, SIPC_TLS_PEER_FINGERPRINT, "");
	info_is(a, SIPC_TLS_VERIFIED, "no");
	sipc_endpoint_close(a);
	sipc_endpoint_close(c);
	/* Not TLS, a listener, a handshake not done yet. */
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &t), 0);
	assert_int_equal(sipc_tls_info(t, SIPC_TLS_VERSION, buf, sizeof(buf)), SIPC_EKIND);
	sipc_endpoint_close(t);
	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), 0);
	assert_int_equal(sipc_tls_info(l, SIPC_TLS_VERSION, buf, sizeof(buf)), SIPC_EKIND);
	{
		char url[SIPC_URL_MAX];

		snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
		assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(10000), &t), 0);
		assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
		assert_int_equal(sipc_tls_info(a, SIPC_TLS_VERSION, buf, sizeof(buf)), -EAGAIN);
		assert_int_equal(sipc_endpoint_pending(a), 0);
		sipc_endpoint_close(a);
		sipc_endpoint_close(t);
	}
	sipc_endpoint_close(l);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(ccfg);
}

/* The client side of tls_nonblocking: N messages of SIZE, each echoed. */
struct nb_client {
	char url[SIPC_URL_MAX];
	sipc_tls_config *cfg;
	sem_t go; /* posted once the server has found nothing to read */
	int n, ok, rc;
	size_t size;
	pthread_t th;
};

static void *nb_client_main(void *arg)
{
	struct nb_client *k = arg;
	sipc_options o = {.tls = k->cfg};
	uint8_t *out = malloc(k->size), *in = malloc(k->size);
	sipc_endpoint *c = NULL;

	struct timespec ts;

	k->rc = sipc_dial(k->url, &o, sipc_test_ms(10000), &c);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += sipc_test_ms(10000) / 1000;
	if (k->rc == 0 && sem_timedwait(&k->go, &ts) != 0)
		k->rc = -errno;
	for (int i = 0; k->rc == 0 && i < k->n; i++) {
		memset(out, i, k->size);
		if (sipc_send(c, out, k->size, sipc_test_ms(10000)) != (ssize_t)k->size ||
		    sipc_recv(c, in, k->size, sipc_test_ms(10000)) != (ssize_t)k->size ||
		    memcmp(in, out, k->size) != 0)
			break;
		k->ok++;
	}
	sipc_endpoint_close(c);
	free(out);
	free(in);
	return NULL;
}

/* Waits with poll on what EP wants for EVENTS, after pending data. */
static void nb_wait(sipc_endpoint *ep, short events, int *polls)
{
	struct pollfd p = {.fd = sipc_endpoint_fd(ep)};

	if ((events & POLLIN) && sipc_endpoint_pending(ep) > 0)
		return;
	p.events = sipc_endpoint_want(ep, events);
	assert_true(p.events != 0);
	assert_int_equal(poll(&p, 1, sipc_test_ms(10000)), 1);
	(*polls)++;
}

/* A server driven as a caller's own poll loop does it: every call with
 * timeout 0, a poll on sipc_endpoint_want after SIPC_ETIMEDOUT, and a look
 * at sipc_endpoint_pending before sleeping. */
static void tls_nonblocking(void **state)
{
	sipc_tls_config *scfg = server_cfg("server.pem", "server.key");
	struct nb_client k = {.n = 20, .size = 300000};
	sipc_options o = {.tls = scfg};
	sipc_endpoint *l = NULL, *a = NULL;
	void *msg;
	ssize_t n;
	int rc, polls = 0;

	(void)state;
	k.cfg = client_cfg("ca.pem");
	assert_int_equal(sem_init(&k.go, 0, 0), 0);
	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), 0);
	snprintf(k.url, sizeof(k.url), "tls://localhost:%d", sipc_test_local_port(l));
	assert_int_equal(pthread_create(&k.th, NULL, nb_client_main, &k), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
	/* Bounded: a handshake takes a few round trips. */
	for (int i = 0; (rc = sipc_handshake(a, 0)) == SIPC_ETIMEDOUT && i < 100; i++)
		nb_wait(a, POLLIN, &polls);
	assert_int_equal(rc, 0);
	/* The client waits for this: nothing to read yet, so the call
	 * times out at once and says what to wait for. */
	assert_int_equal(sipc_recv_alloc(a, &msg, 0), SIPC_ETIMEDOUT);
	assert_int_equal(sipc_endpoint_want(a, POLLIN), POLLIN);
	assert_int_equal(sipc_endpoint_pending(a), 0);
	assert_int_equal(sem_post(&k.go), 0);
	for (int m = 0; m < k.n; m++) {
		for (int i = 0; (n = sipc_recv_alloc(a, &msg, 0)) == SIPC_ETIMEDOUT && i < 10000;
		     i++)
			nb_wait(a, POLLIN, &polls);
		assert_int_equal(n, (ssize_t)k.size);
		/* The socket takes less than a message: sends time out part
		 * way and are repeated with the same message. */
		for (int i = 0;
		     (rc = (int)sipc_send(a, msg, (size_t)n, 0)) == SIPC_ETIMEDOUT && i < 10000;
		     i++)
			nb_wait(a, POLLOUT, &polls);
		assert_int_equal(rc, (int)n);
		free(msg);
	}
	pthread_join(k.th, NULL);
	assert_int_equal(k.rc, 0);
	assert_int_equal(k.ok, k.n);
	assert_true(polls > 0);
	sem_destroy(&k.go);
	sipc_endpoint_close(a);
	sipc_endpoint_close(l);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(k.cfg);
}

/* Copies certificate NAME to DIR/live.pem (or .key for KEY). */
static void put_live(const char *dir, const char *name, const char *ext)
{
	char cmd[1600];

	snprintf(cmd, sizeof(cmd), "cp %s %s/live.%s", sipc_tls_test_cert(name), dir, ext);
	assert_int_equal(system(cmd), 0);
}

/* Reload switches the certificate for new connections; an open one goes
 * on with what it started with; a reload that fails keeps the old one. */
static void tls_reload(void **state)
{
	sipc_tls_config *scfg = NULL, *ca1 = client_cfg("ca.pem"), *ca2 = client_cfg("ca2.pem");
	char *dir = sipc_test_tmpdir(), crt[600], key[600], why[SIPC_WHY_MAX];
	sipc_endpoint *a, *c, *a2, *c2;
	char buf[16];
	int crc, src;

	(void)state;
	put_live(dir, "server.pem", "pem");
	put_live(dir, "server.key", "key");
	assert_int_equal(sipc_tls_config_new(SIPC_TLS_SERVER, &scfg), 0);
	assert_int_equal(sipc_tls_config_cert(scfg,
					      sipc_test_path(crt, sizeof(crt), dir, "live.pem"),
					      sipc_test_path(key, sizeof(key), dir, "live.key"),
					      why, sizeof(why)),
			 0);
	a = pair(scfg, ca1, "localhost", &c, &crc, &src);
	assert_int_equal(crc, 0);

	put_live(dir, "ca2-server.pem", "pem");
	put_live(dir, "ca2-server.key", "key");
	assert_int_equal(sipc_tls_config_reload(scfg, why, sizeof(why)), 0);
	a2 = pair(scfg, ca2, "localhost", &c2, &crc, &src);
	assert_int_equal(crc, 0);
	info_is(c2, SIPC_TLS_PEER_ISSUER, "CN=sockipc other CA");
	sipc_endpoint_close(a2);
	sipc_endpoint_close(c2);
	/* The old connection still works, with the old certificate. */
	assert_int_equal(sipc_write_all(c, "old", 3, sipc_test_ms(10000)), 3);
	assert_int_equal(sipc_read_exact(a, buf, 3, sipc_test_ms(10000)), 3);
	info_is(c, SIPC_TLS_PEER_ISSUER, "CN=sockipc test CA");
	sipc_endpoint_close(a);
	sipc_endpoint_close(c);

	/* A broken file: the reload fails, and says which file. */
	put_live(dir, "ca.key", "key");
	assert_int_equal(sipc_tls_config_reload(scfg, why, sizeof(why)), SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "does not belong to the certificate");
	sipc_tls_test_contains(why, "live.key");
	a2 = pair(scfg, ca2, "localhost", &c2, &crc, &src);
	assert_int_equal(crc, 0);
	sipc_endpoint_close(a2);
	sipc_endpoint_close(c2);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(ca1);
	sipc_tls_config_free(ca2);
	sipc_test_rmtree(dir);
	free(dir);
}

/* Two records that arrived together: after the first is read, the second
 * waits inside the endpoint where poll cannot see it, and pending says so
 * (the contract every poll loop over TLS relies on). */
static void tls_pending_hides_from_poll(void **state)
{
	sipc_tls_config *scfg = server_cfg("server.pem", "server.key");
	sipc_tls_config *ccfg = client_cfg("ca.pem");
	sipc_endpoint *a, *c;
	struct pollfd p;
	char buf[16];
	int crc, src;

	(void)state;
	a = pair(scfg, ccfg, "localhost", &c, &crc, &src);
	assert_int_equal(crc, 0);
	assert_int_equal(sipc_send(c, "first", 5, sipc_test_ms(10000)), 5);
	assert_int_equal(sipc_send(c, "second", 6, sipc_test_ms(10000)), 6);
	/* Both records are on the server's socket once it reads as much as
	 * they make (5 + 6 bytes of frames, 22 bytes of TLS each). */
	for (int i = 0; i < 1000; i++) {
		int n = 0;

		assert_int_equal(ioctl(sipc_endpoint_fd(a), FIONREAD, &n), 0);
		if (n >= 2 * (9 + 22) - 4)
			break;
		p = (struct pollfd){.fd = sipc_endpoint_fd(a), .events = POLLIN};
		poll(&p, 1, 10);
	}
	assert_int_equal(sipc_recv(a, buf, sizeof(buf), 0), 5);
	assert_true(sipc_endpoint_pending(a) > 0);
	p = (struct pollfd){.fd = sipc_endpoint_fd(a), .events = POLLIN};
	assert_int_equal(poll(&p, 1, 0), 0);
	assert_int_equal(sipc_recv(a, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "second", 6);
	assert_int_equal(sipc_endpoint_pending(a), 0);
	sipc_endpoint_close(a);
	sipc_endpoint_close(c);
	sipc_tls_config_free(scfg);
	sipc_tls_config_free(ccfg);
}

/* Dials L (tls, 127.0.0.1) with CCFG, accepts, and moves one message. */
static void a_dial_accept(sipc_endpoint *l, const sipc_tls_config *ccfg)
{
	struct sipc_tls_test_dial d;
	sipc_endpoint *a = NULL;
	char url[SIPC_URL_MAX], buf[8];

	snprintf(url, sizeof(url), "tls://127.0.0.1:%d", sipc_test_local_port(l));
	sipc_tls_test_dial_start(&d, url, ccfg, sipc_test_ms(10000));
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &a), 0);
	assert_int_equal(sipc_handshake(a, sipc_test_ms(10000)), 0);
	assert_int_equal(sipc_tls_test_dial_join(&d), 0);
	assert_int_equal(sipc_send(d.ep, "hi", 2, sipc_test_ms(10000)), 2);
	assert_int_equal(sipc_recv(a, buf, sizeof(buf), sipc_test_ms(10000)), 2);
	sipc_endpoint_close(d.ep);
	sipc_endpoint_close(a);
}

/* A thread that changes a server config while handshakes use it. */
struct churn {
	sipc_tls_config *cfg;
	atomic_bool stop;
	int changes;
	pthread_t th;
};

static void *churn_main(void *arg)
{
	struct churn *k = arg;
	char why[SIPC_WHY_MAX];

	/* Bounded: stops when told, or after many rounds. */
	for (int i = 0; i < 100000 && !atomic_load(&k->stop); i++) {
		if (sipc_tls_config_reload(k->cfg, why, sizeof(why)) != 0 ||
		    sipc_tls_config_alpn(k->cfg, i % 2 ? "a,b" : "b", why, sizeof(why)) != 0 ||
		    sipc_tls_config_min_version(k->cfg, "1.2", why, sizeof(why)) != 0)
			break;
		k->changes++;
	}
	return NULL;
}

/* Setters and reload on one thread, handshakes on others: every handshake
 * works with a whole config (ASan/UBSan watch for the rest). */
static void tls_config_changes_under_handshakes(void **state)
{
	struct churn k = {.cfg = server_cfg("server.pem", "server.key")};
	sipc_tls_config *ccfg = client_cfg("ca.pem");
	sipc_options o = {.tls = k.cfg};
	sipc_endpoint *l = NULL;

	(void)state;
	atomic_init(&k.stop, false);
	assert_int_equal(sipc_listen("tls://127.0.0.1:0", &o, &l), 0);
	assert_int_equal(pthread_create(&k.th, NULL, churn_main, &k), 0);
	for (int i = 0; i < 30; i++)
		a_dial_accept(l, ccfg);
	atomic_store(&k.stop, true);
	pthread_join(k.th, NULL);
	assert_true(k.changes > 0);
	/* The listener holds the config: the caller's reference goes first. */
	sipc_tls_config_free(k.cfg);
	a_dial_accept(l, ccfg);
	sipc_endpoint_close(l);
	sipc_tls_config_free(ccfg);
}

/* Both sides of a plain TCP connection, each wrapped as tls by
 * sipc_endpoint_from_fd (role from the config), shake hands in one thread
 * with timeout 0. */
static void tls_from_fd(void **state)
{
	sipc_tls_config *scfg = server_cfg("server.pem", "server.key");
	sipc_tls_config *ccfg = client_cfg("ca.pem");
	sipc_endpoint *l = NULL, *t = NULL, *u = NULL, *cs = NULL, *ss = NULL, *tl = NULL;
	char url[SIPC_URL_MAX], why[SIPC_WHY_MAX], buf[16];
	sipc_options so = {.tls = scfg}, co = {.tls = ccfg, .why = why, .whylen = sizeof(why)};
	int fd, crc = 1, src = 1;

	(void)state;
	assert_int_equal(sipc_listen("tcp://127.0.0.1:0", NULL, &l), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", sipc_test_local_port(l));
	assert_int_equal(sipc_dial(url, NULL, sipc_test_ms(10000), &t), 0);
	assert_int_equal(sipc_accept(l, sipc_test_ms(10000), &u), 0);

	/* A client without a name to check: refused, the descriptor stays
	 * the caller's. */
	fd = dup(sipc_endpoint_fd(t));
	assert_int_equal(sipc_endpoint_from_fd(fd, SIPC_TLS, &co, &cs), SIPC_ETLS_CONFIG);
	sipc_tls_test_contains(why, "no host name to check");
	assert_int_equal(sipc_tls_config_server_name(ccfg, "localhost"), 0);
	assert_int_equal(sipc_endpoint_from_fd(fd, SIPC_TLS, &co, &cs), 0);
	assert_int_equal(sipc_endpoint_from_fd(dup(sipc_endpoint_fd(u)), SIPC_TLS, &so, &ss), 0);
	sipc_endpoint_close(t);
	sipc_endpoint_close(u);
	/* Bounded: a handshake is a few flights each way. */
	for (int i = 0; i < 1000 && (crc != 0 || src != 0); i++) {
		struct pollfd p[2] = {
			{.fd = sipc_endpoint_fd(cs), .events = sipc_endpoint_want(cs, POLLIN)},
			{.fd = sipc_endpoint_fd(ss), .events = sipc_endpoint_want(ss, POLLIN)},
		};

		crc = sipc_handshake(cs, 0);
		src = sipc_handshake(ss, 0);
		assert_true(crc == 0 || crc == SIPC_ETIMEDOUT);
		assert_true(src == 0 || src == SIPC_ETIMEDOUT);
		if (crc != 0 || src != 0)
			poll(p, 2, sipc_test_ms(100));
	}
	assert_int_equal(crc, 0);
	assert_int_equal(src, 0);
	info_is(ss, SIPC_TLS_SNI, "localhost");
	info_is(cs, SIPC_TLS_VERIFIED, "yes");
	assert_int_equal(sipc_send(cs, "fd", 2, sipc_test_ms(10000)), 2);
	assert_int_equal(sipc_recv(ss, buf, sizeof(buf), sipc_test_ms(10000)), 2);
	sipc_endpoint_close(cs);
	sipc_endpoint_close(ss);

	/* A listening descriptor with a server config is a tls listener. */
	assert_int_equal(sipc_endpoint_from_fd(dup(sipc_endpoint_fd(l)), SIPC_TLS, &so, &tl), 0);
	assert_true(sipc_endpoint_is_listener(tl));
	sipc_endpoint_close(l);
	a_dial_accept(tl, ccfg);
	sipc_endpoint_close(tl);
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
		cmocka_unit_test(tls_alpn_and_sni),
		cmocka_unit_test(tls_info_fields),
		cmocka_unit_test(tls_nonblocking),
		cmocka_unit_test(tls_reload),
		cmocka_unit_test(tls_from_fd),
		cmocka_unit_test(tls_pending_hides_from_poll),
		cmocka_unit_test(tls_config_changes_under_handshakes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
