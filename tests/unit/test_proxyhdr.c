/*
 * test_proxyhdr.c - the PROXY protocol header (proxyhdr.h): every form of
 * the spec (v1 TCP4, TCP6, UNKNOWN; v2 PROXY over IPv4, IPv6 and unix,
 * LOCAL, AF_UNSPEC, with TLVs), each fed whole and byte by byte (every
 * proper prefix must ask for more, never fail or succeed), the bytes after
 * a header left alone, hostile headers each refused with the sentence that
 * names what is wrong (peer bytes escaped), and formatting that parses
 * back to the same addresses.
 */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "proxyhdr.h"

static const uint8_t sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
				0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static char why[256];

/* Parses B[0..N) whole and checks that every shorter prefix asks for more;
 * returns the whole parse's result. */
static ssize_t parse_all(const void *b, size_t n, struct sipc__proxyhdr *h)
{
	for (size_t k = 0; k < n; k++) {
		struct sipc__proxyhdr tmp;
		ssize_t r = sipc__proxyhdr_parse(b, k, &tmp, why, sizeof(why));
		if (r != 0)
			fail_msg("prefix of %zu of %zu bytes gave %zd (%s)", k, n, r, why);
	}
	why[0] = '\0';
	return sipc__proxyhdr_parse(b, n, h, why, sizeof(why));
}

static void fmt(const sipc_addr *a, char *out, size_t len)
{
	assert_true(sipc_addr_format(a, out, len) > 0);
}

static void expect_addrs(const struct sipc__proxyhdr *h, const char *src, const char *dst)
{
	char s[SIPC_URL_MAX], d[SIPC_URL_MAX];

	assert_false(h->local);
	fmt(&h->src, s, sizeof(s));
	fmt(&h->dst, d, sizeof(d));
	assert_string_equal(s, src);
	assert_string_equal(d, dst);
}

/* A v1 line (CRLF added) must give SRC and DST. */
static void v1_ok(const char *line, const char *src, const char *dst)
{
	char buf[256];
	struct sipc__proxyhdr h;
	int n = snprintf(buf, sizeof(buf), "%s\r\nDATA", line);

	assert_int_equal(parse_all(buf, (size_t)n - 4, &h), n - 4);
	/* The client's first bytes after it are not part of it. */
	assert_int_equal(sipc__proxyhdr_parse(buf, (size_t)n, &h, why, sizeof(why)), n - 4);
	assert_int_equal(h.version, 1);
	if (src == NULL)
		assert_true(h.local);
	else
		expect_addrs(&h, src, dst);
}

/* BYTES must be refused (at the latest when whole) with WHY holding
 * WANT. */
static void refused(const void *b, size_t n, const char *want)
{
	struct sipc__proxyhdr h;
	ssize_t r = 0;
	size_t k;

	memset(&h, 0x5a, sizeof(h));
	for (k = 1; k <= n && r == 0; k++)
		r = sipc__proxyhdr_parse(b, k, &h, why, sizeof(why));
	if (r != -EPROTO)
		fail_msg("expected a refusal containing \"%s\", got %zd", want, r);
	if (strstr(why, want) == NULL)
		fail_msg("why \"%s\" does not contain \"%s\"", why, want);
	/* Nothing a peer sent reaches the message raw. */
	for (const char *p = why; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	/* *H untouched. */
	assert_int_equal(((unsigned char *)&h)[0], 0x5a);
}

static void refused_text(const char *text, const char *want)
{
	refused(text, strlen(text), want);
}

static void test_v1_forms(void **state)
{
	(void)state;
	v1_ok("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443", "tcp://192.0.2.1:56324",
	      "tcp://198.51.100.2:443");
	v1_ok("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535",
	      "tcp://255.255.255.255:65535", "tcp://255.255.255.255:65535");
	v1_ok("PROXY TCP4 0.0.0.0 0.0.0.0 0 0", "tcp://0.0.0.0:0", "tcp://0.0.0.0:0");
	v1_ok("PROXY TCP6 2001:db8::1 ::1 5555 80", "tcp://[2001:db8::1]:5555", "tcp://[::1]:80");
	v1_ok("PROXY TCP6 ::ffff:10.0.0.1 ::ffff:10.0.0.2 1 2", "tcp://10.0.0.1:1",
	      "tcp://10.0.0.2:2");
	/* The longest TCP6 line (104 bytes with its CRLF). */
	v1_ok("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535",
	      "tcp://[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
	      "tcp://[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	/* UNKNOWN: the rest of the line is ignored (the spec). */
	v1_ok("PROXY UNKNOWN", NULL, NULL);
	v1_ok("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535", NULL, NULL);
}

static void test_v1_hostile(void **state)
{
	char longline[200];

	(void)state;
	refused_text("PROXY TCP4 300.1.1.1 1.1.1.1 1 2\r\n",
		     "v1: 'TCP4' source address '300.1.1.1' is not IPv4");
	refused_text("PROXY TCP4 1.1.1.1 ::1 1 2\r\n",
		     "v1: 'TCP4' destination address '::1' is not IPv4");
	refused_text("PROXY TCP6 1.1.1.1 ::1 1 2\r\n",
		     "v1: 'TCP6' source address '1.1.1.1' is not IPv6");
	refused_text("PROXY TCP4 01.1.1.1 1.1.1.1 1 2\r\n", "is not IPv4");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 65536 2\r\n",
		     "v1: source port '65536' is not a number in 0..65535");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 1 -2\r\n", "destination port '-2'");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 080 2\r\n", "source port '080'");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 1 2 3\r\n", "v1: more than 4 fields after 'TCP4'");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 1 2 \r\n", "more than 4 fields");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 1\r\n", "v1: 'TCP4' has 3 fields, not 4");
	refused_text("PROXY TCP4\r\n", "has 0 fields");
	refused_text("PROXY TCP4  1.1.1.1 2.2.2.2 1 2\r\n", "an empty field");
	refused_text("PROXY UDP4 1.1.1.1 2.2.2.2 1 2\r\n",
		     "v1: protocol 'UDP4' is not TCP4, TCP6 or UNKNOWN");
	refused_text("PROXY tcp4 1.1.1.1 2.2.2.2 1 2\r\n", "protocol 'tcp4'");
	refused_text("PROXY \r\n", "v1: no protocol");
	refused_text("PROXY\r\n", "v1: the line does not begin with 'PROXY '");
	refused_text("PROXX TCP4", "does not begin with 'PROXY ': 'PROXX'");
	refused_text("proxy TCP4", "no PROXY header: the first byte is 0x70");
	refused_text("GET / HTTP/1.0\r\n", "no PROXY header: the first byte is 0x47");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 1 2\n", "v1: LF without CR at byte 30");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 1 2\rX", "v1: CR not followed by LF");
	refused("PROXY TCP4 1.1.1.1\0 2.2.2.2 1 2\r\n", 34, "v1: byte 0x00 at 18");
	refused_text("PROXY TCP4 \x1b[31m 2.2.2.2 1 2\r\n", "v1: byte 0x1B at 11");
	refused_text("PROXY TCP4 1.1.1.1 2.2.2.2 \xff 2\r\n", "v1: byte 0xFF");
	/* 107 bytes without a CR, and a CRLF one byte too late. */
	memset(longline, 'A', sizeof(longline));
	memcpy(longline, "PROXY UNKNOWN ", 14);
	refused(longline, 107, "v1: line longer than 107 bytes");
	memcpy(longline + 106, "\r\n", 2);
	refused(longline, 108, "v1: line longer than 107 bytes");
	memcpy(longline + 105, "\r\n", 2);
	struct sipc__proxyhdr h;
	assert_int_equal(parse_all(longline, 107, &h), 107);
	assert_true(h.local);
	/* A field with '%' and spaces quoted, escaped. */
	refused_text("PROXY TCP4 %41%0a 2.2.2.2 1 2\r\n", "'%2541%250a'");
}

/* A v2 header: SIG, VER_CMD, FAM, then BODY (its length from BLEN). */
static size_t v2(uint8_t *out, uint8_t vc, uint8_t fam, const void *body, size_t blen)
{
	memcpy(out, sig, 12);
	out[12] = vc;
	out[13] = fam;
	out[14] = (uint8_t)(blen >> 8);
	out[15] = (uint8_t)blen;
	if (blen > 0)
		memcpy(out + 16, body, blen);
	return 16 + blen;
}

static void test_v2_forms(void **state)
{
	uint8_t b[2048], body[1024];
	struct sipc__proxyhdr h;
	size_t n;

	(void)state;
	/* IPv4: 203.0.113.7:5555 -> 127.0.0.1:40000. */
	const uint8_t v4[12] = {203, 0, 113, 7, 127, 0, 0, 1, 0x15, 0xb3, 0x9c, 0x40};
	n = v2(b, 0x21, 0x11, v4, 12);
	memcpy(b + n, "HELLO", 5);
	assert_int_equal(parse_all(b, n, &h), 28);
	assert_int_equal(sipc__proxyhdr_parse(b, n + 5, &h, why, sizeof(why)), 28);
	assert_int_equal(h.version, 2);
	expect_addrs(&h, "tcp://203.0.113.7:5555", "tcp://127.0.0.1:40000");

	/* IPv6, with TLVs after the addresses (ALPN, authority, NOOP). */
	memset(body, 0, sizeof(body));
	inet_pton(AF_INET6, "2001:db8::7", body);
	inet_pton(AF_INET6, "::1", body + 16);
	body[32] = 0x01;
	body[33] = 0x02;
	body[34] = 0x00;
	body[35] = 0x50;
	memcpy(body + 36, "\x01\x00\x02h2", 5);
	memcpy(body + 41,
	       "\x02\x00\x0b"
	       "example.com",
	       14);
	memcpy(body + 55, "\x04\x00\x00", 3);
	n = v2(b, 0x21, 0x21, body, 58);
	assert_int_equal(parse_all(b, n, &h), 16 + 58);
	expect_addrs(&h, "tcp://[2001:db8::7]:258", "tcp://[::1]:80");

	/* TLVs up to the limit are skipped. */
	memset(body + 36, 0, sizeof(body) - 36);
	body[36] = 0x04; /* NOOP of the rest */
	body[37] = (uint8_t)((SIPC__PROXYHDR_V2_LEN_MAX - 36 - 3) >> 8);
	body[38] = (uint8_t)(SIPC__PROXYHDR_V2_LEN_MAX - 36 - 3);
	n = v2(b, 0x21, 0x21, body, SIPC__PROXYHDR_V2_LEN_MAX);
	assert_int_equal(n, SIPC__PROXYHDR_MAX);
	assert_int_equal(parse_all(b, n, &h), SIPC__PROXYHDR_MAX);

	/* Unix: a path and an abstract name, zero-padded. */
	memset(body, 0, sizeof(body));
	strcpy((char *)body, "/run/client.sock");
	memcpy(body + 109, "srv", 3); /* "\0srv" */
	n = v2(b, 0x21, 0x31, body, 216);
	assert_int_equal(parse_all(b, n, &h), 232);
	expect_addrs(&h, "unix:///run/client.sock", "unix://@srv");

	/* LOCAL (a health check): keep the real addresses; its block,
	 * whatever it holds, is skipped. */
	n = v2(b, 0x20, 0x00, NULL, 0);
	assert_int_equal(parse_all(b, n, &h), 16);
	assert_true(h.local);
	n = v2(b, 0x20, 0x11, "\xff\xff\xff", 3);
	assert_int_equal(parse_all(b, n, &h), 19);
	assert_true(h.local);
	/* PROXY over AF_UNSPEC: the same. */
	n = v2(b, 0x21, 0x00, "junk", 4);
	assert_int_equal(parse_all(b, n, &h), 20);
	assert_true(h.local);
}

static void test_v2_hostile(void **state)
{
	uint8_t b[2048], body[1024] = {0};
	size_t n;

	(void)state;
	memcpy(b, sig, 12);
	b[4] = 0x01;
	refused(b, 12, "v2: bad signature '%0D%0A%0D%0A%01'");
	refused("\r\nX", 3, "v2: bad signature");
	n = v2(b, 0x31, 0x11, body, 12);
	refused(b, n, "v2: version 3, not 2");
	n = v2(b, 0x11, 0x11, body, 12);
	refused(b, n, "v2: version 1, not 2");
	n = v2(b, 0x25, 0x11, body, 12);
	refused(b, n, "v2: command 0x5 is neither LOCAL (0) nor PROXY (1)");
	n = v2(b, 0x21, 0x41, body, 12);
	refused(b, n, "v2: address family 0x4 unknown");
	n = v2(b, 0x21, 0x13, body, 12);
	refused(b, n, "v2: transport 0x3 unknown");
	n = v2(b, 0x21, 0x12, body, 12);
	refused(b, n, "v2: transport DGRAM on a stream connection");
	n = v2(b, 0x21, 0x10, body, 12);
	refused(b, n, "v2: transport UNSPEC");
	n = v2(b, 0x21, 0x11, body, 11);
	refused(b, n, "v2: length 11 too short for the IPv4 addresses (12 bytes)");
	n = v2(b, 0x21, 0x21, body, 12);
	refused(b, n, "v2: length 12 too short for the IPv6 addresses (36 bytes)");
	n = v2(b, 0x21, 0x31, body, 108);
	refused(b, n, "v2: length 108 too short for the unix addresses (216 bytes)");
	/* A length beyond the limit is refused from the 16 fixed bytes,
	 * before any of its body is waited for. */
	n = v2(b, 0x21, 0x11, body, 0);
	b[14] = (SIPC__PROXYHDR_V2_LEN_MAX + 1) >> 8;
	b[15] = (SIPC__PROXYHDR_V2_LEN_MAX + 1) & 0xff;
	refused(b, 16, "v2: length 729 beyond the limit of 728");
	b[14] = b[15] = 0xff;
	refused(b, 16, "v2: length 65535 beyond");
	/* TLVs that do not frame the rest exactly. */
	body[12] = 0x04;
	body[13] = 0x00;
	body[14] = 0x05;
	n = v2(b, 0x21, 0x11, body, 12 + 3 + 4);
	refused(b, n, "v2: TLV 0x04 of 5 bytes runs past the header's end");
	n = v2(b, 0x21, 0x11, body, 12 + 2);
	refused(b, n, "v2: 2 stray byte(s) after the last TLV");
}

static sipc_addr ip(const char *text, int port)
{
	sipc_addr a;
	memset(&a, 0, sizeof(a));
	a.scheme = SIPC_TCP;
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a.ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET6, text, &s->sin6_addr), 1);
		a.len = sizeof(*s);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&a.ss;
		s->sin_family = AF_INET;
		s->sin_port = htons((uint16_t)port);
		assert_int_equal(inet_pton(AF_INET, text, &s->sin_addr), 1);
		a.len = sizeof(*s);
	}
	return a;
}

/* Formats SRC, DST as VERSION and parses it back. */
static void round_trip(int version, const sipc_addr *src, const sipc_addr *dst, const char *want_s,
		       const char *want_d, const char *want_text)
{
	uint8_t b[SIPC__PROXYHDR_MAX];
	struct sipc__proxyhdr h;
	ssize_t n = sipc__proxyhdr_format(version, src, dst, b, sizeof(b));

	assert_true(n > 0);
	if (want_text != NULL) {
		assert_int_equal((size_t)n, strlen(want_text));
		assert_memory_equal(b, want_text, (size_t)n);
	}
	assert_int_equal(parse_all(b, (size_t)n, &h), n);
	assert_int_equal(h.version, version);
	if (want_s == NULL) {
		assert_true(h.local);
		return;
	}
	expect_addrs(&h, want_s, want_d);
	/* Too small a buffer: an error, nothing cut. */
	assert_int_equal(sipc__proxyhdr_format(version, src, dst, b, (size_t)n - 1), SIPC_EBUFSIZE);
}

static void test_format(void **state)
{
	sipc_addr c4 = ip("203.0.113.7", 5555), l4 = ip("127.0.0.1", 40000);
	sipc_addr c6 = ip("2001:db8::7", 1), l6 = ip("::1", 2);
	sipc_addr m4 = ip("::ffff:203.0.113.7", 5555), un;
	struct sockaddr_un *s = (struct sockaddr_un *)&un.ss;

	(void)state;
	round_trip(1, &c4, &l4, "tcp://203.0.113.7:5555", "tcp://127.0.0.1:40000",
		   "PROXY TCP4 203.0.113.7 127.0.0.1 5555 40000\r\n");
	round_trip(2, &c4, &l4, "tcp://203.0.113.7:5555", "tcp://127.0.0.1:40000", NULL);
	round_trip(1, &c6, &l6, "tcp://[2001:db8::7]:1", "tcp://[::1]:2",
		   "PROXY TCP6 2001:db8::7 ::1 1 2\r\n");
	round_trip(2, &c6, &l6, "tcp://[2001:db8::7]:1", "tcp://[::1]:2", NULL);
	/* A dual-stack listener's mapped peer is IPv4 to the backend. */
	round_trip(1, &m4, &l4, "tcp://203.0.113.7:5555", "tcp://127.0.0.1:40000", NULL);
	/* Mixed families: both as IPv6 (the mapped one formats as IPv4). */
	round_trip(2, &c4, &l6, "tcp://203.0.113.7:5555", "tcp://[::1]:2", NULL);
	/* Unix peers: v1 knows none (UNKNOWN), v2 has a family for them. */
	memset(&un, 0, sizeof(un));
	un.scheme = SIPC_UNIX;
	s->sun_family = AF_UNIX;
	strcpy(s->sun_path, "/tmp/x.sock");
	un.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(s->sun_path) + 1);
	round_trip(1, &un, &un, NULL, NULL, "PROXY UNKNOWN\r\n");
	round_trip(2, &un, &un, "unix:///tmp/x.sock", "unix:///tmp/x.sock", NULL);
	/* A unix client to a TCP backend: v2 AF_UNSPEC. */
	round_trip(2, &un, &l4, NULL, NULL, NULL);
	round_trip(2, NULL, NULL, NULL, NULL, NULL);
	assert_int_equal(sipc__proxyhdr_format(3, &c4, &l4, (uint8_t[64]){0}, 64), SIPC_EKIND);
}

static void test_looks(void **state)
{
	(void)state;
	assert_true(sipc__proxyhdr_looks("PROXY TCP4", 10));
	assert_true(sipc__proxyhdr_looks("PROXY", 5));
	assert_false(sipc__proxyhdr_looks("PROX", 4));
	assert_true(sipc__proxyhdr_looks(sig, 12));
	assert_true(sipc__proxyhdr_looks(sig, 5));
	assert_false(sipc__proxyhdr_looks("hello world", 11));
	assert_false(sipc__proxyhdr_looks("\r\n\r\nhello", 9));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_forms), cmocka_unit_test(test_v1_hostile),
		cmocka_unit_test(test_v2_forms), cmocka_unit_test(test_v2_hostile),
		cmocka_unit_test(test_format),   cmocka_unit_test(test_looks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
