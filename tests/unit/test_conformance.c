/*
 * test_conformance.c - one suite run over every URL scheme (nng's
 * per-transport suites): listen on a scratch address, dial it, accept (or,
 * connectionless, answer with sipc_sendto to the sipc_recvfrom address),
 * echo messages of 0, 1, 1000 and 60000 bytes both ways, make a request,
 * format the addresses of both ends, and see the close arrive.  Datagram
 * kinds also hold their maximum and never cut a datagram in a byte read.  A scheme
 * whose family the machine lacks (no ::1) is skipped, loudly.  The TLS
 * schemes run with certificates from tests/support/tls-certs.sh (the
 * server's names cover 127.0.0.1 and ::1, which the client checks), and
 * their dial, which includes the handshake, runs beside the accept, as
 * does shm://'s (its rings are handed over in a handshake of its own).
 * The same file runs on Windows under Wine (cmake/windows.cmake), where
 * the schemes the system lacks must fail with the library's error.
 */
#include "support.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port.h"
#include "sockipc.h"
#include "tlstest.h"

struct scheme_case {
	const char *name;
	sipc_scheme scheme;
	const char *listen; /* %s: the scratch directory, or a unique tag */
};

static const struct scheme_case cases[] = {
	{"tcp", SIPC_TCP, "tcp://127.0.0.1:0"},
	{"tcp4", SIPC_TCP4, "tcp4://127.0.0.1:0"},
	{"tcp6", SIPC_TCP6, "tcp6://[::1]:0"},
	{"udp", SIPC_UDP, "udp://127.0.0.1:0"},
	{"udp4", SIPC_UDP4, "udp4://127.0.0.1:0"},
	{"udp6", SIPC_UDP6, "udp6://[::1]:0"},
	{"unix", SIPC_UNIX, "unix://%s/stream.sock"},
	{"unixgram", SIPC_UNIXGRAM, "unixgram://@sipc-conformance-%s"},
	{"unixpacket", SIPC_UNIXPACKET, "unixpacket://%s/packet.sock"},
	{"tls", SIPC_TLS, "tls://127.0.0.1:0"},
	{"tls4", SIPC_TLS4, "tls4://127.0.0.1:0"},
	{"tls6", SIPC_TLS6, "tls6://[::1]:0"},
	{"shm", SIPC_SHM, "shm://%s/shm.sock"},
	/* The 60000-byte messages stream through rings of 4 KiB. */
	{"shm-small-ring", SIPC_SHM, "shm://@sipc-conformance-%s?ring=4K"},
};

static const size_t sizes[] = {0, 1, 1000, 60000};
#define BIG 60000

/* The echoing side, run in a thread: no cmocka asserts in here, it counts
 * what went wrong and the main thread checks. */
struct echo {
	sipc_endpoint *ep;
	bool connectionless;
	char want_from[SIPC_URL_MAX]; /* connectionless: the client's address */
	int echoed, errors, bad_from;
	ssize_t last; /* connected: the code that ended the loop */
	pthread_t th;
};

static void *echo_main(void *arg)
{
	struct echo *e = arg;
	char from_text[SIPC_URL_MAX];
	sipc_addr from;
	void *msg;
	ssize_t n;
	int i;

	/* Bounded: a few more messages than the test sends, each waited for
	 * at most a few seconds. */
	for (i = 0; i < 20; i++) {
		if (e->connectionless) {
			msg = malloc(65536);
			if (msg == NULL)
				break;
			n = sipc_recvfrom(e->ep, msg, 65536, &from, sipc_test_ms(5000));
			if (n >= 0 && (sipc_addr_format(&from, from_text, sizeof from_text) < 0 ||
				       strcmp(from_text, e->want_from) != 0))
				e->bad_from++;
		} else {
			msg = NULL;
			n = sipc_recv_alloc(e->ep, &msg, sipc_test_ms(5000));
		}
		if (n < 0) {
			free(msg);
			e->last = n;
			break;
		}
		if (n == 3 && memcmp(msg, "bye", 3) == 0) {
			free(msg);
			break;
		}
		if ((e->connectionless
			     ? sipc_sendto(e->ep, msg, (size_t)n, &from, sipc_test_ms(5000))
			     : sipc_send(e->ep, msg, (size_t)n, sipc_test_ms(5000))) != n)
			e->errors++;
		else
			e->echoed++;
		free(msg);
	}
	return NULL;
}

static void addr_text(int (*get)(const sipc_endpoint *, sipc_addr *), const sipc_endpoint *ep,
		      char *buf, size_t len)
{
	sipc_addr a;

	assert_int_equal(get(ep, &a), 0);
	assert_true(sipc_addr_format(&a, buf, len) > 0);
}

static const char *base_name(sipc_scheme s)
{
	if (sipc_scheme_is_unix(s))
		return sipc_scheme_name(s);
	if (sipc_scheme_is_tls(s))
		return "tls";
	return sipc_scheme_is_stream(s) ? "tcp" : "udp";
}

/* The TLS configs of both sides, made once from tls-certs.sh's files. */
static sipc_tls_config *tls_server, *tls_client;

static void tls_setup(void)
{
	if (tls_server != NULL)
		return;
	tls_server = sipc_tls_test_server("server.pem", "server.key");
	tls_client = sipc_tls_test_client("ca.pem");
}

static void run_case(void **state)
{
	const struct scheme_case *sc = *state;
	bool connectionless = sipc_scheme_is_connectionless(sc->scheme);
	char url[512], tag[64], lname[SIPC_URL_MAX], cname[SIPC_URL_MAX], text[SIPC_URL_MAX];
	char prefix[32];
	sipc_endpoint *l = NULL, *c = NULL, *s = NULL;
	uint8_t *out = malloc(BIG), *in = malloc(65536);
	struct echo e;
	struct sipc_tls_test_dial d;
	sipc_options lopts = {0};
	const sipc_tls_config *dtls = NULL;
	char *dir = sipc_test_tmpdir();
	size_t i;
	int rc;

	assert_non_null(out);
	assert_non_null(in);
	assert_non_null(dir);
	for (i = 0; i < BIG; i++)
		out[i] = (uint8_t)(i * 13 + i / 251);
	snprintf(tag, sizeof tag, "%d-%s", (int)getpid(), sc->name);
	snprintf(url, sizeof url, sc->listen, strstr(sc->listen, "@") ? tag : dir);
	snprintf(prefix, sizeof prefix, "%s://", base_name(sc->scheme));

	/* A scheme the system lacks (Windows: unixgram, unixpacket, shm,
	 * tls): listen and dial both fail with SIPC_ENOTSUP, and the case is
	 * skipped out loud rather than dropped. */
	if (!sipc_test_have_scheme(sc->scheme)) {
		int drc = sipc_dial(url, NULL, sipc_test_ms(2000), &c);

		rc = sipc_listen(url, &lopts, &l);
		print_message("skipped: %s is not on this system: listen: %s; dial: %s\n", sc->name,
			      sipc_strerror(rc), sipc_strerror(drc));
		assert_int_equal(rc, SIPC_ENOTSUP);
		assert_int_equal(drc, SIPC_ENOTSUP);
		assert_null(l);
		assert_null(c);
		free(out);
		free(in);
		sipc_test_rmtree(dir);
		free(dir);
		skip();
	}

	if (sipc_scheme_is_tls(sc->scheme)) {
		tls_setup();
		lopts.tls = tls_server;
		dtls = tls_client;
	}
	rc = sipc_listen(url, &lopts, &l);
	/* No IPv6 loopback here; no AF_UNIX (Wine 8 has none, Windows 10
	 * has it since 1803). */
	if (((rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT) && strstr(url, "[::1]")) ||
	    (rc == -EAFNOSUPPORT && sc->scheme == SIPC_UNIX)) {
		print_message("skipped: %s: listen %s: %s\n", sc->name, url, sipc_strerror(rc));
		free(out);
		free(in);
		sipc_test_rmtree(dir);
		free(dir);
		skip();
	}
	assert_int_equal(rc, 0);
	assert_int_equal(sipc_endpoint_scheme(l), sc->scheme);

	/* The listener's real address, port 0 replaced. */
	addr_text(sipc_endpoint_local, l, lname, sizeof lname);
	assert_memory_equal(lname, prefix, strlen(prefix));
	if (!sipc_scheme_is_unix(sc->scheme)) {
		const char *colon = strrchr(lname, ':');
		assert_non_null(colon);
		assert_true(atoi(colon + 1) > 0);
	}

	/* In a thread: a TLS dial completes its handshake, which needs the
	 * accept on the other side going on at the same time. */
	sipc_tls_test_dial_start(&d, lname, dtls, sipc_test_ms(5000));
	if (!connectionless) {
		assert_int_equal(sipc_accept(l, sipc_test_ms(2000), &s), 0);
		/* TLS: the accepted side shakes hands here (or on first use). */
		assert_int_equal(sipc_handshake(s, sipc_test_ms(5000)), 0);
	}
	assert_int_equal(sipc_tls_test_dial_join(&d), 0);
	c = d.ep;
	addr_text(sipc_endpoint_local, c, cname, sizeof cname);
	addr_text(sipc_endpoint_peer, c, text, sizeof text);
	assert_string_equal(text, lname);

	memset(&e, 0, sizeof e);
	e.connectionless = connectionless;
	if (connectionless) {
		s = l;
		snprintf(e.want_from, sizeof e.want_from, "%s", cname);
		/* Nothing fixed on the server side. */
		assert_int_equal(sipc_endpoint_peer(l, &(sipc_addr){0}), -ENOTCONN);
	} else {
		assert_int_equal(sipc_endpoint_scheme(s), sc->scheme);
		addr_text(sipc_endpoint_peer, s, text, sizeof text);
		assert_memory_equal(text, prefix, strlen(prefix));
		/* An IP client's address is known exactly; an unnamed unix
		 * client is just "unix://". */
		if (!sipc_scheme_is_unix(sc->scheme))
			assert_string_equal(text, cname);
		addr_text(sipc_endpoint_local, s, text, sizeof text);
		assert_string_equal(text, lname);
	}
	e.ep = s;
	assert_int_equal(pthread_create(&e.th, NULL, echo_main, &e), 0);

	/* Every size there and back, through both receive calls. */
	for (i = 0; i < 4; i++) {
		ssize_t n;

		assert_int_equal(sipc_send(c, out, sizes[i], sipc_test_ms(5000)), sizes[i]);
		if (i % 2 == 0) {
			n = sipc_recv(c, in, 65536, sipc_test_ms(5000));
			assert_int_equal(n, sizes[i]);
			assert_memory_equal(in, out, sizes[i]);
		} else {
			void *m = NULL;
			n = sipc_recv_alloc(c, &m, sipc_test_ms(5000));
			assert_int_equal(n, sizes[i]);
			assert_memory_equal(m, out, sizes[i]);
			free(m);
		}
	}
	/* A request gets its echo as the reply. */
	assert_int_equal(sipc_request(c, "ping", 4, in, 65536, sipc_test_ms(1000), 2), 4);
	assert_memory_equal(in, "ping", 4);

	/* Datagram kinds: the endpoint maximum holds whatever the buffer (the
	 * 1000-byte echo is refused at a maximum of 100), and a byte read
	 * with a buffer too small is SIPC_ETRUNC, never a cut datagram. */
	if (!sipc_scheme_is_stream(sc->scheme)) {
		char four[4];

		sipc_endpoint_set_max_msg(c, 100);
		assert_int_equal(sipc_send(c, out, 100, sipc_test_ms(2000)), 100);
		assert_int_equal(sipc_recv(c, in, 65536, sipc_test_ms(5000)), 100);
		sipc_endpoint_set_max_msg(c, 1000);
		assert_int_equal(sipc_send(c, out, 1000, sipc_test_ms(2000)), 1000);
		sipc_endpoint_set_max_msg(c, 100);
		assert_int_equal(sipc_recv(c, in, 65536, sipc_test_ms(5000)), SIPC_EMSGSIZE);
		sipc_endpoint_set_max_msg(c, 0);
		assert_int_equal(sipc_send(c, "hello world", 11, sipc_test_ms(2000)), 11);
		assert_int_equal(sipc_read(c, four, sizeof four, sipc_test_ms(5000)), SIPC_ETRUNC);
		assert_int_equal(sipc_send(c, "abc", 3, sipc_test_ms(2000)), 3);
		assert_int_equal(sipc_read(c, four, sizeof four, sipc_test_ms(5000)), 3);
	}

	/* Close: a connected server reads the clean end; a connectionless one
	 * is told "bye" (there is no end to read). */
	if (connectionless)
		assert_int_equal(sipc_send(c, "bye", 3, sipc_test_ms(2000)), 3);
	sipc_endpoint_close(c);
	pthread_join(e.th, NULL);
	assert_int_equal(e.errors, 0);
	assert_int_equal(e.bad_from, 0);
	assert_int_equal(e.echoed, sipc_scheme_is_stream(sc->scheme) ? 5 : 9);
	if (!connectionless) {
		assert_int_equal(e.last, SIPC_ECLOSED);
		sipc_endpoint_close(s);
	}
	sipc_endpoint_close(l);
	free(out);
	free(in);
	sipc_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	struct CMUnitTest tests[sizeof cases / sizeof cases[0]];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		tests[i] = (struct CMUnitTest){
			.name = cases[i].name,
			.test_func = run_case,
			.initial_state = (void *)&cases[i],
		};
	}
	i = (size_t)_cmocka_run_group_tests("conformance", tests, sizeof cases / sizeof cases[0],
					    NULL, NULL);
	sipc_tls_config_free(tls_server);
	sipc_tls_config_free(tls_client);
	return (int)i;
}
