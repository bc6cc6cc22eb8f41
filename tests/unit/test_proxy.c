/*
 * test_proxy.c - the proxy handshakes of src/lib/proxy driven against
 * scripted replies: the test plays the proxy on the other end of a
 * socketpair, with the reply written in advance (and the stream ended, or
 * not, to see a truncated reply or a wait).  Each case checks the request
 * bytes the state machine sent, its result and its sentence, and that the
 * bytes after the reply are still in the socket for the destination.
 * Also the proxy URL grammar, and what the destination may be.
 */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/proxy.h"
#include "sockipc.h"

#define B(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* One scripted exchange. */
struct run {
	int rc;
	char why[SIPC_WHY_MAX];
	uint8_t sent[4096]; /* what the state machine wrote to the proxy */
	size_t sent_len;
	uint8_t left[4096]; /* what was still in the socket after it */
	size_t left_len;
	char trace[2048];
};

static void on_trace(void *arg, const char *line)
{
	struct run *r = arg;
	size_t n = strlen(r->trace);

	snprintf(r->trace + n, sizeof(r->trace) - n, "%s\n", line);
}

static void dest_name(struct sipc__proxy_dest *d, const char *name, int port)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->port = port;
}

static void dest_v4(struct sipc__proxy_dest *d, const char *ip, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&d->addr.ss;

	memset(d, 0, sizeof(*d));
	sin->sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
	d->addr.len = sizeof(*sin);
	d->port = port;
}

static void dest_v6(struct sipc__proxy_dest *d, const char *ip, int port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d->addr.ss;

	memset(d, 0, sizeof(*d));
	sin6->sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
	d->addr.len = sizeof(*sin6);
	d->port = port;
}

/* Everything readable on FD now (non-blocking). */
static size_t drain(int fd, uint8_t *buf, size_t cap)
{
	size_t have = 0;
	ssize_t n;

	while (have < cap && (n = recv(fd, buf + have, cap - have, MSG_DONTWAIT)) > 0)
		have += (size_t)n;
	return have;
}

/*
 * Plays PROXY (a proxy URL) against the reply REPLY (LEN bytes), ended
 * when EOF: the handshake runs until it is done, fails, or waits for
 * bytes that will not come (WANT_READ is then the result).
 */
static void play(struct run *r, const char *proxy, const struct sipc__proxy_dest *dest,
		 const uint8_t *reply, size_t len, bool eof)
{
	static struct sipc__proxy_url px; /* must outlive the handshake */
	struct sipc__proxy_hs hs;
	int sv[2];

	memset(r, 0, sizeof(*r));
	assert_int_equal(sipc__proxy_url_parse(proxy, &px, r->why, sizeof(r->why)), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	if (len > 0)
		assert_int_equal(write(sv[1], reply, len), (ssize_t)len);
	if (eof)
		shutdown(sv[1], SHUT_WR);
	sipc__proxy_start(&hs, &px, dest, on_trace, r);
	/* Bounded: a wait for what will not come ends the run. */
	for (int i = 0; i < 64; i++) {
		r->rc = sipc__proxy_step(&hs, sv[0], r->why, sizeof(r->why));
		if (r->rc != SIPC__PROXY_WANT_WRITE)
			break;
	}
	r->sent_len = drain(sv[1], r->sent, sizeof(r->sent));
	r->left_len = drain(sv[0], r->left, sizeof(r->left));
	close(sv[0]);
	close(sv[1]);
}

static void assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
}

static void assert_why(const struct run *r, const char *part)
{
	if (strstr(r->why, part) == NULL)
		fail_msg("why [%s] lacks [%s] (rc %d: %s)", r->why, part, r->rc,
			 sipc_strerror(r->rc));
}

/* ------------------------------------------------------------- SOCKS5 */

static void socks5_granted_v4_keeps_destination_bytes(void **state)
{
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	dest_v4(&d, "127.0.0.1", 80);
	play(&r, "socks5://127.0.0.1:1080", &d,
	     B(0x05, 0x00, 0x05, 0x00, 0x00, 0x01, 10, 0, 0, 1, 0x1f, 0x90, 'S', 'S', 'H', '\n'),
	     true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_bytes(r.sent, r.sent_len,
		     B(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, 0x00, 80));
	/* The destination's first bytes were not taken. */
	assert_bytes(r.left, r.left_len, B('S', 'S', 'H', '\n'));
	assert_non_null(strstr(r.trace, "proxy socks5 CONNECT 127.0.0.1:80 = granted (bound "
					"10.0.0.1:8080)"));
}

static void socks5_v6_and_name_requests(void **state)
{
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	dest_v6(&d, "::1", 443);
	play(&r, "socks5://[::1]:1080", &d,
	     B(0x05, 0x00, 0x05, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	       0, 1),
	     true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_int_equal(r.sent_len, 3 + 4 + 16 + 2);
	assert_int_equal(r.sent[6], 0x04);
	assert_int_equal(r.sent[22], 1);
	assert_int_equal(r.left_len, 0);

	dest_name(&d, "db.internal", 5432);
	/* A bound address given as a name: its length byte, then it. */
	play(&r, "socks5h://p", &d,
	     B(0x05, 0x00, 0x05, 0x00, 0x00, 0x03, 3, 'a', 'b', 'c', 0x00, 0x50, 'X'), true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_bytes(r.sent, r.sent_len,
		     B(0x05, 0x01, 0x00, 0x05, 0x01, 0x00, 0x03, 11, 'd', 'b', '.', 'i', 'n', 't',
		       'e', 'r', 'n', 'a', 'l', 0x15, 0x38));
	assert_bytes(r.left, r.left_len, B('X'));
	assert_non_null(strstr(r.trace, "bound abc:80"));
}

static void socks5_username_password(void **state)
{
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	dest_v4(&d, "192.0.2.1", 22);
	play(&r, "socks5://alice:s%40cret@p:1", &d,
	     B(0x05, 0x02, 0x01, 0x00, 0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0), true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_bytes(r.sent, r.sent_len,
		     B(0x05, 0x02, 0x00, 0x02, 0x01, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', '@', 'c',
		       'r', 'e', 't', 0x05, 0x01, 0x00, 0x01, 192, 0, 2, 1, 0, 22));
	assert_non_null(strstr(r.trace, "auth user=alice = ok"));
	/* The password never reaches a trace. */
	assert_null(strstr(r.trace, "cret"));

	play(&r, "socks5://alice:wrong@p:1", &d, B(0x05, 0x02, 0x01, 0x01), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "refused user 'alice' and its password (status 0x01)");

	/* A proxy that wants credentials we do not have. */
	play(&r, "socks5://p:1", &d, B(0x05, 0xff), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "requires authentication");
	play(&r, "socks5://u:p@p:1", &d, B(0x05, 0xff), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "accepts neither");
	/* A method we did not offer. */
	play(&r, "socks5://p:1", &d, B(0x05, 0x02), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "method 0x02, which was not offered");
	/* The sub-negotiation answered with the wrong version. */
	play(&r, "socks5://u:p@p:1", &d, B(0x05, 0x02, 0x05, 0x00), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "username/password reply is not SOCKS5");
}

static void socks5_every_reply_code(void **state)
{
	static const struct {
		uint8_t rep;
		int code;
		const char *words;
	} rows[] = {
		{0x01, SIPC_EPROXY, "SOCKS5 reply 0x01: general SOCKS server failure"},
		{0x02, SIPC_EPROXY, "SOCKS5 reply 0x02: connection not allowed by ruleset"},
		{0x03, -ENETUNREACH, "SOCKS5 reply 0x03: network unreachable"},
		{0x04, -EHOSTUNREACH, "SOCKS5 reply 0x04: host unreachable"},
		{0x05, -ECONNREFUSED, "SOCKS5 reply 0x05: connection refused"},
		{0x06, SIPC_ETIMEDOUT, "SOCKS5 reply 0x06: TTL expired"},
		{0x07, SIPC_EPROXY, "SOCKS5 reply 0x07: command not supported"},
		{0x08, SIPC_EPROXY, "SOCKS5 reply 0x08: address type not supported"},
		{0x09, SIPC_EPROXY, "SOCKS5 reply 0x09: unassigned"},
		{0xff, SIPC_EPROXY, "SOCKS5 reply 0xff: unassigned"},
	};
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	dest_name(&d, "example.org", 80);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t reply[] = {0x05, 0x00, 0x05, rows[i].rep, 0x00, 0x01, 0, 0, 0, 0, 0, 0};

		play(&r, "socks5h://p", &d, reply, sizeof(reply), true);
		assert_int_equal(r.rc, rows[i].code);
		assert_why(&r, rows[i].words);
	}
	assert_string_not_equal(sipc_strerror(SIPC_EPROXY), sipc_strerror(-3999));
}

static void socks5_broken_replies(void **state)
{
	static const struct {
		const char *name;
		uint8_t bytes[16];
		size_t len;
		const char *why;
	} rows[] = {
		{"nothing", {0}, 0, "closed the connection without a reply"},
		{"half a method reply", {0x05}, 1, "in the middle of its reply (1 of 2 bytes)"},
		{"HTTP to a SOCKS client", {'H', 'T'}, 2, "greeting reply is not SOCKS5: \"HT\""},
		{"version 4 method reply", {0x04, 0x00}, 2, "not SOCKS5: \"\\x04\\x00\""},
		{"truncated head", {0x05, 0x00, 0x05, 0x00}, 4, "(2 of 4 bytes)"},
		{"truncated address",
		 {0x05, 0x00, 0x05, 0x00, 0x00, 0x01, 1, 2},
		 8,
		 "(6 of 10 bytes)"},
		{"reserved byte set",
		 {0x05, 0x00, 0x05, 0x00, 0x01, 0x01},
		 6,
		 "CONNECT reply is not"},
		{"wrong version in reply",
		 {0x05, 0x00, 0x04, 0x00, 0x00, 0x01},
		 6,
		 "CONNECT reply is not"},
		{"address type 2", {0x05, 0x00, 0x05, 0x00, 0x00, 0x02}, 6, "address type 0x02"},
		{"empty bound name",
		 {0x05, 0x00, 0x05, 0x00, 0x00, 0x03, 0},
		 7,
		 "empty bound name"},
		{"bound name cut",
		 {0x05, 0x00, 0x05, 0x00, 0x00, 0x03, 9, 'a'},
		 8,
		 "(6 of 16 bytes)"},
	};
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	dest_v4(&d, "127.0.0.1", 80);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		play(&r, "socks5://p", &d, rows[i].bytes, rows[i].len, true);
		if (r.rc != SIPC_EPROXY)
			fail_msg("%s: rc %d (%s)", rows[i].name, r.rc, sipc_strerror(r.rc));
		assert_why(&r, rows[i].why);
	}
}

static void socks5_longest_bound_name(void **state)
{
	uint8_t reply[2 + 5 + 255 + 2 + 3] = {0x05, 0x00, 0x05, 0x00, 0x00, 0x03, 255};
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	memset(reply + 7, 'n', 255);
	memcpy(reply + 7 + 255 + 2, "abc", 3);
	dest_v4(&d, "127.0.0.1", 80);
	play(&r, "socks5://p", &d, reply, sizeof(reply), true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_bytes(r.left, r.left_len, B('a', 'b', 'c'));
}

/* A reply that comes in pieces: the machine waits, then goes on. */
static void socks5_reply_in_pieces(void **state)
{
	static struct sipc__proxy_url px;
	struct sipc__proxy_dest d;
	struct sipc__proxy_hs hs;
	char why[SIPC_WHY_MAX] = "";
	const uint8_t reply[] = {0x05, 0x00, 0x05, 0x00, 0x00, 0x01, 1, 2, 3, 4, 0, 80, 'Z'};
	uint8_t z;
	int sv[2], rc;

	(void)state;
	dest_v4(&d, "127.0.0.1", 80);
	assert_int_equal(sipc__proxy_url_parse("socks5://p", &px, NULL, 0), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	sipc__proxy_start(&hs, &px, &d, NULL, NULL);
	assert_int_equal(sipc__proxy_step(&hs, sv[0], why, sizeof(why)), SIPC__PROXY_WANT_READ);
	for (size_t i = 0; i < sizeof(reply) - 1; i++) {
		assert_int_equal(write(sv[1], reply + i, 1), 1);
		rc = sipc__proxy_step(&hs, sv[0], why, sizeof(why));
		assert_int_equal(rc,
				 i == sizeof(reply) - 2 ? SIPC__PROXY_DONE : SIPC__PROXY_WANT_READ);
	}
	assert_int_equal(write(sv[1], "Z", 1), 1);
	assert_int_equal(read(sv[0], &z, 1), 1);
	assert_int_equal(z, 'Z');
	close(sv[0]);
	close(sv[1]);
}

/* ------------------------------------------------------------- SOCKS4 */

static void socks4_requests_and_replies(void **state)
{
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	dest_v4(&d, "127.0.0.1", 80);
	play(&r, "socks4://bob@p", &d, B(0x00, 0x5a, 0, 0, 0, 0, 0, 0, 'D'), true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_bytes(r.sent, r.sent_len, B(0x04, 0x01, 0x00, 80, 127, 0, 0, 1, 'b', 'o', 'b', 0));
	assert_bytes(r.left, r.left_len, B('D'));

	dest_name(&d, "host.lan", 7);
	play(&r, "socks4a://p", &d, B(0x00, 90, 0, 0, 0, 0, 0, 0), true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_bytes(
		r.sent, r.sent_len,
		B(0x04, 0x01, 0x00, 7, 0, 0, 0, 1, 0, 'h', 'o', 's', 't', '.', 'l', 'a', 'n', 0));

	play(&r, "socks4a://p", &d, B(0x00, 91, 0, 0, 0, 0, 0, 0), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "SOCKS4 reply 91: request rejected or failed");
	play(&r, "socks4a://p", &d, B(0x00, 92, 0, 0, 0, 0, 0, 0), true);
	assert_why(&r, "SOCKS4 reply 92: rejected: the proxy cannot reach our identd");
	play(&r, "socks4a://p", &d, B(0x00, 93, 0, 0, 0, 0, 0, 0), true);
	assert_why(&r, "SOCKS4 reply 93: rejected: identd reports a different user id");
	play(&r, "socks4a://p", &d, B(0x00, 0x42, 0, 0, 0, 0, 0, 0), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "reply code 66 is not SOCKS4");
	play(&r, "socks4a://p", &d, B(0x04, 90, 0, 0, 0, 0, 0, 0), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "reply is not SOCKS4");
	play(&r, "socks4a://p", &d, B(0x00, 90, 0, 0), true);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "(4 of 8 bytes)");
}

/* --------------------------------------------------------------- HTTP */

static void http_granted_keeps_destination_bytes(void **state)
{
	static const char reply[] = "HTTP/1.1 200 Connection established\r\n"
				    "Proxy-Agent: test\r\n"
				    "\r\n"
				    "SSH-2.0-OpenSSH\r\n";
	static const char want[] = "CONNECT example.org:443 HTTP/1.1\r\n"
				   "Host: example.org:443\r\n"
				   "Proxy-Authorization: Basic YWxpY2U6czpj\r\n"
				   "\r\n";
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	dest_name(&d, "example.org", 443);
	play(&r, "http://alice:s%3Ac@p", &d, (const uint8_t *)reply, strlen(reply), true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_bytes(r.sent, r.sent_len, (const uint8_t *)want, strlen(want));
	assert_bytes(r.left, r.left_len, (const uint8_t *)"SSH-2.0-OpenSSH\r\n", 17);
	assert_non_null(strstr(r.trace, "proxy http CONNECT example.org:443 = HTTP/1.1 200 "
					"Connection established"));
	/* Nor does the password reach a trace in base64. */
	assert_null(strstr(r.trace, "YWxpY2U6czpj"));

	/* Bare LFs, another 2xx, an IPv6 destination in brackets. */
	dest_v6(&d, "2001:db8::1", 80);
	play(&r, "http://p", &d, (const uint8_t *)"HTTP/1.0 204 ok\n\nrest", 21, true);
	assert_int_equal(r.rc, SIPC__PROXY_DONE);
	assert_non_null(strstr((const char *)r.sent, "CONNECT [2001:db8::1]:80 HTTP/1.1\r\n"));
	assert_bytes(r.left, r.left_len, (const uint8_t *)"rest", 4);
}

static void http_refusals(void **state)
{
	static const struct {
		const char *proxy;
		const char *reply;
		const char *why;
	} rows[] = {
		{"http://p", "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
		 "HTTP/1.1 407 Proxy Authentication Required (give a user and password"},
		{"http://u:x@p", "HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
		 "(user 'u' and its password refused)"},
		{"http://u:x@p", "HTTP/1.0 401 Unauthorized\r\n\r\n",
		 "HTTP/1.0 401 Unauthorized (user 'u' and its password refused)"},
		{"http://p", "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
		 "HTTP/1.1 403 Forbidden"},
		{"http://p", "HTTP/1.1 502 Bad Gateway\r\n\r\n", "HTTP/1.1 502 Bad Gateway"},
		{"http://p", "HTTP/1.1 504 Gateway Timeout\r\n\r\n",
		 "HTTP/1.1 504 Gateway Timeout"},
		{"http://p", "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 100 Continue"},
		{"http://p", "HTTP/1.1 500 \x1b[31mred\x7f\r\n\r\n", "500 \\x1b[31mred\\x7f"},
		{"http://p", "SSH-2.0-OpenSSH\r\n\r\n",
		 "not an HTTP/1 status line: \"SSH-2.0-OpenSSH\""},
		{"http://p", "HTTP/2 200\r\n\r\n", "not an HTTP/1 status line"},
		{"http://p", "HTTP/1.1 20x ok\r\n\r\n", "not an HTTP/1 status line"},
		{"http://p", "HTTP/1.1 200ok\r\n\r\n", "not an HTTP/1 status line"},
		{"http://p", "HTTP/1.1 200 ok\r\nX: y\r\n", "middle of its reply header"},
		{"http://p", "", "without a reply"},
	};
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	dest_name(&d, "example.org", 80);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		play(&r, rows[i].proxy, &d, (const uint8_t *)rows[i].reply, strlen(rows[i].reply),
		     true);
		if (r.rc != SIPC_EPROXY)
			fail_msg("row %zu: rc %d (%s)", i, r.rc, sipc_strerror(r.rc));
		assert_why(&r, rows[i].why);
	}
}

static void http_header_bounded(void **state)
{
	size_t len = SIPC__PROXY_HTTP_MAX + 100;
	uint8_t *big = malloc(len);
	struct sipc__proxy_dest d;
	struct run r;

	(void)state;
	assert_non_null(big);
	memcpy(big, "HTTP/1.1 200 ok\r\n", 17);
	for (size_t i = 17; i < len; i++)
		big[i] = (i % 64) == 63 ? '\n' : 'h';
	dest_name(&d, "example.org", 80);
	play(&r, "http://p", &d, big, len, false);
	assert_int_equal(r.rc, SIPC_EPROXY);
	assert_why(&r, "longer than 8192 bytes");
	free(big);
}

/* ----------------------------------------------------------- the URL */

static void proxy_urls(void **state)
{
	static const struct {
		const char *in;
		int code;
		const char *want; /* endpoint and shown form, or a piece of why */
	} rows[] = {
		{"socks5://127.0.0.1", 0, "tcp://127.0.0.1:1080 socks5://127.0.0.1:1080"},
		{"SOCKS5H://proxy.lan:9050", 0, "tcp://proxy.lan:9050 socks5h://proxy.lan:9050"},
		{"http://[::1]", 0, "tcp://[::1]:3128 http://[::1]:3128"},
		{"http://u%40x:p%3Aw@p:8080/", 0, "tcp://p:8080 http://u%40x@p:8080"},
		{"socks4a://bob@p", 0, "tcp://p:1080 socks4a://bob@p:1080"},
		{"socks4://p", 0, "tcp://p:1080 socks4://p:1080"},
		{"socks5://user:@p", 0, "tcp://p:1080 socks5://user@p:1080"},
		{"ftp://p", SIPC_EURL_SCHEME, "unknown scheme 'ftp'"},
		{"127.0.0.1:1080", SIPC_EURL_SYNTAX, "expected SCHEME://HOST:PORT"},
		{"socks5://", SIPC_EURL_HOST, "no host"},
		{"socks5://p:0", SIPC_EURL_PORT, "port 0"},
		{"socks5://p:99999", SIPC_EURL_PORT, "proxy URL:"},
		{"http://p/path", SIPC_EURL_SYNTAX, "no path or query"},
		{"socks5://u:%zz@p", SIPC_EURL_SYNTAX, "bad %XX escape in the password"},
		{"socks5://u%4@p", SIPC_EURL_SYNTAX, "bad %XX escape in the user"},
		{"socks5://:pw@p", SIPC_EURL_SYNTAX, "empty user"},
		{"socks5://a b@p", SIPC_EURL_SYNTAX, "space or control byte"},
		{"socks4://bob:pw@p", SIPC_EURL_SYNTAX, "no password"},
		{"socks4a://b%00b@p", SIPC_EURL_SYNTAX, "NUL byte"},
		{"socks5://p:1080:1", SIPC_EURL_HOST, "invalid character ':'"},
	};
	struct sipc__proxy_url px;
	char why[SIPC_WHY_MAX], both[2 * SIPC_URL_MAX + 2];
	char longuser[300];

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		why[0] = '\0';
		int rc = sipc__proxy_url_parse(rows[i].in, &px, why, sizeof(why));

		if (rc != rows[i].code)
			fail_msg("%s: rc %d (%s), want %d: %s", rows[i].in, rc, sipc_strerror(rc),
				 rows[i].code, why);
		if (rc == 0) {
			snprintf(both, sizeof(both), "%s %s", px.endpoint, px.shown);
			assert_string_equal(both, rows[i].want);
		} else if (strstr(why, rows[i].want) == NULL) {
			fail_msg("%s: why [%s] lacks [%s]", rows[i].in, why, rows[i].want);
		}
	}
	assert_int_equal(sipc__proxy_url_parse("http://u%40x:p%3Aw@p", &px, NULL, 0), 0);
	assert_string_equal(px.user, "u@x");
	assert_string_equal(px.pass, "p:w");
	memset(longuser, 'u', sizeof(longuser));
	memcpy(longuser, "socks5://", 9);
	snprintf(longuser + 9 + 256, sizeof(longuser) - 9 - 256, "@p");
	assert_int_equal(sipc__proxy_url_parse(longuser, &px, why, sizeof(why)), SIPC_EURL_SYNTAX);
	assert_non_null(strstr(why, "longer than 255"));
}

static void destinations(void **state)
{
	struct sipc__proxy_url px;
	struct sipc__proxy_dest d;
	char why[SIPC_WHY_MAX], text[300];
	sipc_url *u;

	(void)state;
	assert_int_equal(sipc__proxy_url_parse("socks5h://p", &px, NULL, 0), 0);
	assert_int_equal(sipc_url_parse("udp://127.0.0.1:53", &u, NULL, 0), 0);
	assert_int_equal(sipc__proxy_dest_make(&px, u, &d, why, sizeof(why)), SIPC_EKIND);
	assert_non_null(strstr(why, "not udp:// endpoints"));
	sipc_url_free(u);
	assert_int_equal(sipc_url_parse("unix:///tmp/x", &u, NULL, 0), 0);
	assert_int_equal(sipc__proxy_dest_make(&px, u, &d, why, sizeof(why)), SIPC_EKIND);
	sipc_url_free(u);
	assert_int_equal(sipc_url_parse("tcp://:80", &u, NULL, 0), 0);
	assert_int_equal(sipc__proxy_dest_make(&px, u, &d, why, sizeof(why)), SIPC_EURL_HOST);
	sipc_url_free(u);
	/* socks5h sends a name as it is, an address literal as an address. */
	assert_int_equal(sipc_url_parse("tls://Example.ORG:443", &u, NULL, 0), 0);
	assert_int_equal(sipc__proxy_dest_make(&px, u, &d, why, sizeof(why)), 0);
	assert_string_equal(sipc__proxy_dest_text(&d, text, sizeof(text)), "example.org:443");
	sipc_url_free(u);
	assert_int_equal(sipc_url_parse("tcp://[::1]:22", &u, NULL, 0), 0);
	assert_int_equal(sipc__proxy_dest_make(&px, u, &d, why, sizeof(why)), 0);
	assert_string_equal(d.name, "");
	assert_string_equal(sipc__proxy_dest_text(&d, text, sizeof(text)), "[::1]:22");
	/* SOCKS4 carries IPv4 only. */
	assert_int_equal(sipc__proxy_url_parse("socks4a://p", &px, NULL, 0), 0);
	assert_int_equal(sipc__proxy_dest_make(&px, u, &d, why, sizeof(why)), SIPC_ERESOLVE_FAMILY);
	assert_non_null(strstr(why, "IPv4 addresses only"));
	sipc_url_free(u);
	/* socks5 resolves here: localhost becomes an address. */
	assert_int_equal(sipc__proxy_url_parse("socks5://p", &px, NULL, 0), 0);
	assert_int_equal(sipc_url_parse("tcp4://localhost:7", &u, NULL, 0), 0);
	assert_int_equal(sipc__proxy_dest_make(&px, u, &d, why, sizeof(why)), 0);
	assert_string_equal(sipc__proxy_dest_text(&d, text, sizeof(text)), "127.0.0.1:7");
	sipc_url_free(u);
}

/* sipc_dial: what cannot go through a proxy fails before any socket. */
static void dial_refuses_kinds(void **state)
{
	char why[SIPC_WHY_MAX] = "";
	sipc_options o = {.proxy = "socks5://127.0.0.1:1", .why = why, .whylen = sizeof(why)};
	sipc_endpoint *ep = NULL;

	(void)state;
	assert_int_equal(sipc_dial("udp://127.0.0.1:53", &o, 1000, &ep), SIPC_EKIND);
	assert_null(ep);
	assert_non_null(strstr(why, "a proxy carries TCP streams"));
	o.proxy = "gopher://p";
	assert_int_equal(sipc_dial("tcp://127.0.0.1:53", &o, 1000, &ep), SIPC_EURL_SCHEME);
	assert_non_null(strstr(why, "unknown scheme"));
	/* proxy, then url (from_fd), took reserved slots: the size stays. */
	assert_int_equal(sizeof(sipc_options),
			 offsetof(sipc_options, reserved) + 4 * sizeof(void *));
	assert_int_equal(offsetof(sipc_options, reserved),
			 offsetof(sipc_options, url) + sizeof(void *));
	assert_int_equal(offsetof(sipc_options, url),
			 offsetof(sipc_options, proxy) + sizeof(void *));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(socks5_granted_v4_keeps_destination_bytes),
		cmocka_unit_test(socks5_v6_and_name_requests),
		cmocka_unit_test(socks5_username_password),
		cmocka_unit_test(socks5_every_reply_code),
		cmocka_unit_test(socks5_broken_replies),
		cmocka_unit_test(socks5_longest_bound_name),
		cmocka_unit_test(socks5_reply_in_pieces),
		cmocka_unit_test(socks4_requests_and_replies),
		cmocka_unit_test(http_granted_keeps_destination_bytes),
		cmocka_unit_test(http_refusals),
		cmocka_unit_test(http_header_bounded),
		cmocka_unit_test(proxy_urls),
		cmocka_unit_test(destinations),
		cmocka_unit_test(dial_refuses_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
