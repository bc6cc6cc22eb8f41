/*
 * test_url.c - the URL grammar as data: every row is an input, the code
 * sipc_url_parse must return, and either the canonical form (good URLs,
 * which must also survive format(parse(format(u)))) or a piece of text the
 * WHY sentence must contain (bad URLs, so a user is told which part is
 * wrong).  Rows that need long generated text follow the table.
 */
#include "support.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sockipc.h"

struct row {
	const char *in;
	int code;
	const char *want; /* canonical form when code == 0, else a substring of why */
};

static const struct row rows[] = {
	/* good: IP */
	{"tcp://127.0.0.1:7007", 0, "tcp://127.0.0.1:7007"},
	{"tcp://[::1]:7007", 0, "tcp://[::1]:7007"},
	{"tcp://[0:0::1]:80", 0, "tcp://[::1]:80"},
	{"tcp://[2001:DB8:0:0:0:0:0:1]:80", 0, "tcp://[2001:db8::1]:80"},
	{"tcp://localhost:80", 0, "tcp://localhost:80"},
	{"tcp://LocalHost:80", 0, "tcp://localhost:80"},
	{"TCP://Example.COM:443", 0, "tcp://example.com:443"},
	{"tcp://a-b.c_d.example.:80", 0, "tcp://a-b.c_d.example.:80"},
	{"tcp://:80", 0, "tcp://:80"},
	{"tcp://*:80", 0, "tcp://:80"},
	{"tcp://:0", 0, "tcp://:0"},
	{"tcp://h:65535", 0, "tcp://h:65535"},
	{"tcp://h:0080", 0, "tcp://h:80"},
	{"tcp://h:echo", 0, "tcp://h:7"},
	{"udp://h:daytime", 0, "udp://h:13"},
	{"tcp4://1.2.3.4:1", 0, "tcp4://1.2.3.4:1"},
	{"tcp4://host:1", 0, "tcp4://host:1"},
	{"tcp6://host:1", 0, "tcp6://host:1"},
	{"tcp6://[2001:db8::1]:1", 0, "tcp6://[2001:db8::1]:1"},
	{"udp4://*:53", 0, "udp4://:53"},
	{"udp6://[::]:53", 0, "udp6://[::]:53"},
	{"udp://[::1]:0", 0, "udp://[::1]:0"},
	{"tcp://[fe80::1%lo]:80", 0, "tcp://[fe80::1%lo]:80"},
	{"tcp://[FE80::1%01]:80", 0, "tcp://[fe80::1%1]:80"},
	{"tcp://[::ffff:127.0.0.1]:80", 0, "tcp://[::ffff:127.0.0.1]:80"},
	/* good: unix */
	{"unix:///tmp/a.sock", 0, "unix:///tmp/a.sock"},
	{"unix://rel/path", 0, "unix://rel/path"},
	{"unix://@name", 0, "unix://@name"},
	{"unixgram:///tmp/g", 0, "unixgram:///tmp/g"},
	{"unixpacket://@p", 0, "unixpacket://@p"},
	{"UNIX:///x", 0, "unix:///x"},
	/* Bytes outside "-._~/:+,=@" and the alphanumerics are escaped. */
	{"unix:///a b%3Fc#d", 0, "unix:///a%20b%3Fc%23d"},
	{"unix:///a%20b%3fc%23d", 0, "unix:///a%20b%3Fc%23d"},
	{"unix:///a%2Fb", 0, "unix:///a/b"},
	{"unix://@a%00b", 0, "unix://@a%00b"},
	/* The empty abstract name (the NUL byte alone; fuzz_addr found that
	 * a peer bound to it printed as a URL that did not parse). */
	{"unix://@", 0, "unix://@"},
	{"unix://%40rel", 0, "unix://%40rel"},
	{"unix://@@x", 0, "unix://@@x"},
	/* scheme and overall shape */
	{NULL, -EINVAL, "no URL"},
	{"", SIPC_EURL_SYNTAX, "expected SCHEME://ADDRESS"},
	{"localhost:80", SIPC_EURL_SYNTAX, "'localhost:80' is not a URL"},
	{"tcp:80", SIPC_EURL_SYNTAX, "missing '//' after 'tcp:'"},
	{"://h:80", SIPC_EURL_SYNTAX, "missing scheme"},
	{"htp://h:80", SIPC_EURL_SCHEME,
	 "unknown scheme 'htp' (expected tcp, tcp4, tcp6, udp, udp4, udp6, tls, tls4, tls6, unix, "
	 "unixgram, unixpacket or shm)"},
	{"tcp\001://h:80", SIPC_EURL_SCHEME, "unknown scheme 'tcp?'"},
	/* missing parts */
	{"tcp://", SIPC_EURL_NOPORT, "missing HOST:PORT"},
	{"tcp://host", SIPC_EURL_NOPORT, "missing ':PORT' after host 'host'"},
	{"tcp://:", SIPC_EURL_NOPORT, "missing port"},
	{"tcp://host:", SIPC_EURL_NOPORT, "missing port"},
	{"tcp://1.2.3.4", SIPC_EURL_NOPORT, "after host '1.2.3.4'"},
	{"tcp://[::1]", SIPC_EURL_NOPORT, "missing ':PORT' after '[::1]'"},
	{"unix://", SIPC_EURL_NOPATH, "missing path"},
	{"unix:///a%", SIPC_EURL_SYNTAX, "bad escape '%'"},
	{"unix:///a%4", SIPC_EURL_SYNTAX, "bad escape '%4'"},
	{"unix:///a%zz", SIPC_EURL_SYNTAX, "bad escape '%zz'"},
	{"unix://@a%g0", SIPC_EURL_SYNTAX, "%25 for a '%' itself"},
	{"unix:///a%00b", SIPC_EURL_SYNTAX, "cannot hold a NUL byte"},
	/* ports */
	{"tcp://h:65536", SIPC_EURL_PORT, "port '65536' is out of range 0-65535"},
	{"tcp://h:70000", SIPC_EURL_PORT, "port '70000' is out of range 0-65535"},
	{"tcp://h:99999999999999999999", SIPC_EURL_PORT, "out of range"},
	{"tcp://h:-1", SIPC_EURL_PORT, "port '-1' is not a number"},
	{"udp://h:+5", SIPC_EURL_PORT, "port '+5' is not a number"},
	{"tcp://h:80/x", SIPC_EURL_PORT, "unexpected '/x' after port '80'"},
	{"tcp://h:80 ", SIPC_EURL_PORT, "unexpected ' ' after port"},
	{"tcp://h:ec ho", SIPC_EURL_PORT, "not a number in 0-65535 or a service name"},
	{"tcp://h:nosuchservice", SIPC_EURL_SERVICE, "unknown service 'nosuchservice' for tcp"},
	{"udp://h:nosuchservice", SIPC_EURL_SERVICE, "for udp"},
	/* IPv6 */
	{"tcp://::1:80", SIPC_EURL_IPV6, "write tcp://[::1]:80"},
	{"udp://::1", SIPC_EURL_IPV6, "write udp://[::1]:PORT"},
	{"tcp://fe80::1%lo:80", SIPC_EURL_IPV6, "[fe80::1%lo]:80"},
	{"tcp://[::1", SIPC_EURL_IPV6, "no closing ']'"},
	{"tcp://[]:80", SIPC_EURL_IPV6, "empty IPv6 address"},
	{"tcp://[1.2.3.4]:80", SIPC_EURL_IPV6, "without brackets"},
	{"tcp://[::g]:80", SIPC_EURL_IPV6, "'::g' in brackets is not a valid IPv6 address"},
	{"tcp://[::1]80", SIPC_EURL_SYNTAX, "unexpected '80' after ']'"},
	{"tcp://[fe80::1%]:80", SIPC_EURL_ZONE, "zone after '%' is empty"},
	{"tcp://[fe80::1%nosuchif0]:80", SIPC_EURL_ZONE, "'nosuchif0' is not a known network"},
	{"tcp://[fe80::1%0]:80", SIPC_EURL_ZONE, "zone index '0'"},
	{"tcp://[fe80::1%99999999999]:80", SIPC_EURL_ZONE, "zone index"},
	{"tcp://[fe80::1%abcdefghijklmnopq]:80", SIPC_EURL_ZONE, "longer than an interface name"},
	/* family against scheme */
	{"tcp4://[::1]:80", SIPC_EURL_FAMILY, "IPv6 address '::1' cannot be used with tcp4://"},
	{"udp4://[::1]:80", SIPC_EURL_FAMILY, "with udp4://"},
	{"tcp6://127.0.0.1:80", SIPC_EURL_FAMILY,
	 "IPv4 address '127.0.0.1' cannot be used with tcp6"},
	{"udp6://1.2.3.4:80", SIPC_EURL_FAMILY, "udp6://"},
	/* host names */
	{"tcp://ho!st:80", SIPC_EURL_HOST, "invalid character '!'"},
	{"tcp://user@h:80", SIPC_EURL_HOST, "invalid character '@'"},
	{"tcp://h:80:90", SIPC_EURL_HOST, "invalid character ':'"},
	{"tcp://a..b:80", SIPC_EURL_HOST, "empty label"},
	{"tcp://.a:80", SIPC_EURL_HOST, "empty label"},
	{"tcp://-a.b:80", SIPC_EURL_HOST, "starts or ends with '-'"},
	{"tcp://a-.b:80", SIPC_EURL_HOST, "starts or ends with '-'"},
	{"tcp://1.2.3:80", SIPC_EURL_HOST, "'1.2.3' is not a valid IPv4 address"},
	{"tcp://256.1.1.1:80", SIPC_EURL_HOST, "not a valid IPv4"},
	{"tcp://h\tx:80", SIPC_EURL_HOST, "invalid character '?'"},
	/* socket options in the query: parsed, printed in the table's order
	 * and the way they parse back */
	{"tcp://h:80?keepalive=30", 0, "tcp://h:80?keepalive=30"},
	{"tcp://h:80?rcvbuf=1048576&nodelay=0&keepalive=30", 0,
	 "tcp://h:80?keepalive=30&rcvbuf=1M&nodelay=0"},
	{"tcp://h:80?sndbuf=256k&rcvbuf=1000", 0, "tcp://h:80?rcvbuf=1000&sndbuf=256K"},
	{"tcp://h:80?rcvbuf=2048K", 0, "tcp://h:80?rcvbuf=2M"},
	{"tcp://h:80?rcvbuf=1024M", 0, "tcp://h:80?rcvbuf=1024M"},
	{"tcp://h:80?keepintvl=5&keepcnt=3", 0, "tcp://h:80?keepintvl=5&keepcnt=3"},
	{"tcp://[::1]:80?v6only=1&reuseport=1", 0, "tcp://[::1]:80?reuseport=1&v6only=1"},
	{"tcp://h:80?ttl=64&tos=16", 0, "tcp://h:80?ttl=64&tos=0x10"},
	{"tcp://h:80?tos=0xB8", 0, "tcp://h:80?tos=0xb8"},
	{"tcp://h:80?mark=0xffffffff", 0, "tcp://h:80?mark=0xffffffff"},
	{"tcp://h:80?mark=7&device=lo", 0, "tcp://h:80?device=lo&mark=0x7"},
	{"tcp://h:80?user_timeout=30000&fastopen=16&linger=0", 0,
	 "tcp://h:80?user_timeout=30000&fastopen=16&linger=0"},
	{"tls://h:443?keepalive=10&nodelay=1", 0, "tls://h:443?keepalive=10&nodelay=1"},
	{"udp://239.1.2.3:5000?iface=lo&mcast_ttl=4&mcast_loop=0", 0,
	 "udp://239.1.2.3:5000?iface=lo&mcast_ttl=4&mcast_loop=0"},
	{"udp://232.1.1.1:5000?source=127.0.0.1", 0, "udp://232.1.1.1:5000?source=127.0.0.1"},
	{"udp://[ff35::1]:5000?source=[2001:DB8::1]", 0, "udp://[ff35::1]:5000?source=2001:db8::1"},
	{"udp://h:53?rcvbuf=64K&ttl=1&tos=0", 0, "udp://h:53?rcvbuf=64K&ttl=1&tos=0x0"},
	{"unix:///tmp/s?rcvbuf=64K", 0, "unix:///tmp/s?rcvbuf=64K"},
	{"unixgram://@g?sndbuf=8K", 0, "unixgram://@g?sndbuf=8K"},
	{"unixpacket:///p?rcvbuf=1&sndbuf=1", 0, "unixpacket:///p?rcvbuf=1&sndbuf=1"},
	/* option errors name the option (and the scheme, the value) */
	{"tcp://h:80?", SIPC_EURL_OPTION, "empty option"},
	{"tcp://h:80?keepalive=3&", SIPC_EURL_OPTION, "empty option"},
	{"tcp://h:80?keepalive=3&&ttl=4", SIPC_EURL_OPTION, "empty option"},
	{"tcp://h:80?nosuch=1", SIPC_EURL_OPTION, "unknown option 'nosuch' (known: keepalive,"},
	{"tcp://h:80?KEEPALIVE=1", SIPC_EURL_OPTION, "unknown option 'KEEPALIVE'"},
	{"tcp://h:80?nodelay", SIPC_EURL_OPTION,
	 "option nodelay has no value (write nodelay=VALUE)"},
	{"tcp://h:80?nodelay=", SIPC_EURL_OPTION, "option nodelay has an empty value"},
	{"tcp://h:80?nodelay=yes", SIPC_EURL_OPTION, "option nodelay: 'yes' is not 0 or 1"},
	{"tcp://h:80?rcvbuf=1&rcvbuf=2", SIPC_EURL_OPTION, "option rcvbuf is given twice"},
	{"tcp://h:80?rcvbuf=1G", SIPC_EURL_OPTION, "option rcvbuf: '1G' is not a size"},
	{"tcp://h:80?rcvbuf=0", SIPC_EURL_OPTION, "option rcvbuf: '0' is out of range 1-1024M"},
	{"tcp://h:80?rcvbuf=1025M", SIPC_EURL_OPTION, "'1025M' is out of range"},
	{"tcp://h:80?rcvbuf=99999999999999999999999K", SIPC_EURL_OPTION, "out of range"},
	{"tcp://h:80?rcvbuf=-1", SIPC_EURL_OPTION, "'-1' is not a size"},
	{"tcp://h:80?rcvbuf=K", SIPC_EURL_OPTION, "'K' is not a size"},
	{"tcp://h:80?keepalive=0", SIPC_EURL_OPTION,
	 "option keepalive: '0' is out of range 1-32767"},
	{"tcp://h:80?keepcnt=128", SIPC_EURL_OPTION, "out of range 1-127"},
	{"tcp://h:80?keepalive=+5", SIPC_EURL_OPTION, "'+5' is not a number"},
	{"tcp://h:80?keepalive= 5", SIPC_EURL_OPTION, "' 5' is not a number"},
	{"tcp://h:80?ttl=256", SIPC_EURL_OPTION, "option ttl: '256' is out of range 1-255"},
	{"tcp://h:80?tos=0x100", SIPC_EURL_OPTION, "option tos: '0x100' is out of range 0-255"},
	{"tcp://h:80?tos=0xzz", SIPC_EURL_OPTION, "not a number (decimal, or hexadecimal"},
	{"tcp://h:80?mark=0x100000000", SIPC_EURL_OPTION, "out of range 0-4294967295"},
	{"tcp://h:80?device=", SIPC_EURL_OPTION, "option device has an empty value"},
	{"tcp://h:80?device=abcdefghijklmnop", SIPC_EURL_OPTION, "1 to 15 characters"},
	{"tcp://h:80?device=a/b", SIPC_EURL_OPTION, "'a/b' is not an interface name"},
	{"tcp://h:80?device=a\001b", SIPC_EURL_OPTION, "'a?b' is not an interface name"},
	{"tcp://h:80?user_timeout=2147483648", SIPC_EURL_OPTION, "out of range 0-2147483647"},
	{"tcp://h:80?fastopen=65536", SIPC_EURL_OPTION, "out of range 0-65535"},
	{"tcp://h:80?linger=-1", SIPC_EURL_OPTION, "option linger: '-1' is not a number"},
	{"udp://h:80?mcast_ttl=256", SIPC_EURL_OPTION, "out of range 0-255"},
	{"udp://h:80?source=1.2.3", SIPC_EURL_OPTION, "'1.2.3' is not an IPv4 or IPv6 address"},
	{"udp4://239.1.1.1:80?source=::1", SIPC_EURL_OPTION, "'::1' is not an IPv4 address"},
	{"udp6://[ff15::1]:80?source=1.2.3.4", SIPC_EURL_OPTION, "not an IPv6 address, as udp6"},
	{"udp://127.0.0.1:5?source=127.0.0.2", SIPC_EURL_OPTION,
	 "source-specific join needs a multicast group address, not '127.0.0.1'"},
	{"udp://:5?source=127.0.0.2", SIPC_EURL_OPTION, "needs a multicast group address"},
	{"udp://[::1]:5?source=::2", SIPC_EURL_OPTION, "not '::1'"},
	{"udp://[ff02::1%lo]:5?source=::2", 0, "udp://[ff02::1%lo]:5?source=::2"},
	{"udp://group.example:5?source=10.0.0.1", 0, "udp://group.example:5?source=10.0.0.1"},
	/* an option the scheme has no use for */
	{"udp://h:80?nodelay=1", SIPC_EURL_OPTION,
	 "option nodelay does not apply to udp:// (only to tcp and tls)"},
	{"udp://h:80?keepalive=1", SIPC_EURL_OPTION, "option keepalive does not apply to udp://"},
	{"unix:///s?keepalive=1", SIPC_EURL_OPTION, "option keepalive does not apply to unix://"},
	{"unix:///s?fastopen=1", SIPC_EURL_OPTION, "option fastopen does not apply to unix://"},
	{"unixgram:///s?ttl=1", SIPC_EURL_OPTION,
	 "option ttl does not apply to unixgram:// (only to tcp, tls and udp)"},
	{"tcp://h:80?iface=lo", SIPC_EURL_OPTION,
	 "option iface does not apply to tcp:// (only to udp)"},
	{"tls://h:80?source=1.2.3.4", SIPC_EURL_OPTION, "option source does not apply to tls://"},
	{"udp://h:80?linger=0", SIPC_EURL_OPTION, "option linger does not apply to udp://"},
	/* a raw '?' in a unix path starts the query: the error says %3F */
	{"unix:///a b?c#d", SIPC_EURL_OPTION, "a '?' in a unix path is written %3F"},
	/* the query is checked before the address, and hostile bytes are
	 * quoted as '?' */
	{"tcp://h:80?\033[2J=1", SIPC_EURL_OPTION, "unknown option '?[2J'"},
};

static void check(const char *label, const char *in, int code, const char *want)
{
	char why[SIPC_WHY_MAX], buf[SIPC_URL_MAX], buf2[SIPC_URL_MAX];
	sipc_url *u = NULL, *u2 = NULL;
	int rc, n;

	memset(why, 0, sizeof(why));
	rc = sipc_url_parse(in, &u, why, sizeof(why));
	if (rc != code) {
		print_error("%s: got %d (%s), want %d\n", label, rc, why, code);
		fail();
	}
	if (code != 0) {
		assert_null(u);
		if (strstr(why, want) == NULL) {
			print_error("%s: why '%s' lacks '%s'\n", label, why, want);
			fail();
		}
		return;
	}
	assert_non_null(u);
	n = sipc_url_format(u, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(buf));
	if (strcmp(buf, want) != 0) {
		print_error("%s: formats as '%s', want '%s'\n", label, buf, want);
		fail();
	}
	/* Round trip: the canonical form parses to the same canonical form. */
	assert_int_equal(sipc_url_parse(buf, &u2, why, sizeof(why)), 0);
	assert_int_equal(sipc_url_format(u2, buf2, sizeof(buf2)), n);
	assert_string_equal(buf2, buf);
	assert_int_equal(sipc_url_scheme(u2), sipc_url_scheme(u));
	assert_int_equal(sipc_url_port(u2), sipc_url_port(u));
	sipc_url_free(u2);
	sipc_url_free(u);
}

static void table(void **state)
{
	char label[64];
	size_t i;

	(void)state;
	assert_true(sizeof(rows) / sizeof(rows[0]) >= 50);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(label, sizeof(label), "row %zu", i);
		check(label, rows[i].in, rows[i].code, rows[i].want);
	}
}

/* "PREFIX" + N copies of C + "SUFFIX", malloc'ed. */
static char *gen(const char *prefix, size_t n, char c, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);
	char *t = malloc(p + n + s + 1);

	assert_non_null(t);
	memcpy(t, prefix, p);
	memset(t + p, c, n);
	memcpy(t + p + n, suffix, s + 1);
	return t;
}

static void check_gen(const char *prefix, size_t n, char c, const char *suffix, int code,
		      const char *why_part)
{
	char label[64];
	char *t = gen(prefix, n, c, suffix);

	snprintf(label, sizeof(label), "%s<%zu x '%c'>%s", prefix, n, c, suffix);
	/* Good generated URLs must format back to exactly their input. */
	check(label, t, code, code == 0 ? t : why_part);
	free(t);
}

static void limits(void **state)
{
	(void)state;
	/* sun_path is 108 bytes: a path may fill it (Linux takes it without
	 * its NUL), an abstract name has 107 after its NUL byte. */
	check_gen("unix:///", 107, 'p', "", 0, NULL);
	check_gen("unix:///", 108, 'p', "", SIPC_EURL_PATHLEN, "109 bytes, longer than the 108");
	check_gen("unixgram://@", 107, 'a', "", 0, NULL);
	check_gen("unixgram://@", 108, 'a', "", SIPC_EURL_PATHLEN, "abstract name");
	/* DNS: labels up to 63, names up to 253. */
	check_gen("tcp://", 63, 'l', ".x:1", 0, NULL);
	check_gen("tcp://", 64, 'l', ".x:1", SIPC_EURL_HOST, "label longer than 63");
	{
		/* 4 labels of 62 + 3 dots = 251, then ".y" = 253. */
		char host[300], url[320];
		memset(host, 'a', 62);
		host[62] = '.';
		memcpy(host + 63, host, 63);
		memcpy(host + 126, host, 126);
		host[251] = '\0';
		snprintf(url, sizeof(url), "tcp://%s.y:1", host);
		check("253-char name", url, 0, url);
		snprintf(url, sizeof(url), "tcp://%s.yz:1", host);
		check("254-char name", url, SIPC_EURL_HOST, "longer than 253");
	}
	/* 10k characters in each part: refused, why cut and terminated. */
	check_gen("tcp://", 10000, 'h', ":80", SIPC_EURL_HOST, "longer than 253");
	check_gen("unix://", 10000, 'p', "", SIPC_EURL_PATHLEN, "10000 bytes");
	check_gen("tcp://h:", 10000, '9', "", SIPC_EURL_PORT, "out of range");
	check_gen("tcp://[", 10000, ':', "]:80", SIPC_EURL_IPV6, "not a valid IPv6");
	check_gen("tcp://h:", 10000, 'e', "", SIPC_EURL_PORT, "not a number");
	check_gen("", 10000, 'x', "", SIPC_EURL_SYNTAX, "is not a URL");
	check_gen("", 10000, 'x', "://h:1", SIPC_EURL_SCHEME, "unknown scheme");
}

/*
 * A unix address with any name formats to a URL of safe printable bytes,
 * and that URL parses and resolves back to the same address: the name
 * bytes a peer chose (NUL, newline, ESC, '%', space, high bytes, the
 * longest name) survive, and none reaches the text raw.
 */
static void unix_round_trip(sipc_scheme scheme, const char *name, size_t n, bool abstract)
{
	struct sockaddr_un sun;
	size_t off = offsetof(struct sockaddr_un, sun_path), i;
	char text[SIPC_URL_MAX], text2[SIPC_URL_MAX], why[SIPC_WHY_MAX] = "";
	sipc_addr a, back;
	sipc_url *u = NULL;
	int len;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path + (abstract ? 1 : 0), name, n);
	assert_int_equal(sipc_addr_from_sockaddr(&a, scheme, (struct sockaddr *)&sun,
						 (socklen_t)(off + n + 1)),
			 0);
	len = sipc_addr_format(&a, text, sizeof text);
	assert_true(len > 0);
	for (i = 0; i < (size_t)len; i++)
		if (text[i] <= 0x20 || text[i] >= 0x7f) {
			print_error("byte 0x%02x raw in '%s'\n", (unsigned char)text[i], text);
			fail();
		}
	if (sipc_url_parse(text, &u, why, sizeof why) != 0) {
		print_error("'%s' does not parse: %s\n", text, why);
		fail();
	}
	assert_int_equal(sipc_url_is_abstract(u), abstract);
	assert_int_equal(sipc_url_resolve(u, false, &back, 1), 1);
	assert_true(sipc_addr_equal(&a, &back));
	assert_int_equal(sipc_url_format(u, text2, sizeof text2), len);
	assert_string_equal(text2, text);
	sipc_url_free(u);
}

static void unix_names_round_trip(void **state)
{
	static const char forged[] = "\nsockipc: close forged\x1b[2J";
	char big[107];
	unsigned c;

	(void)state;
	unix_round_trip(SIPC_UNIX, forged, sizeof forged - 1, true);
	unix_round_trip(SIPC_UNIX, forged, sizeof forged - 1, false);
	unix_round_trip(SIPC_UNIXGRAM, "a\0b\0", 4, true);
	unix_round_trip(SIPC_UNIXPACKET, "/tmp/100% sure", 14, false);
	unix_round_trip(SIPC_UNIX, "\x80\xfe\xff%41", 6, true);
	unix_round_trip(SIPC_UNIX, "@not-abstract", 13, false);
	/* Every byte value alone, and the longest names of the worst bytes. */
	for (c = 1; c < 256; c++) {
		char one = (char)c;
		unix_round_trip(SIPC_UNIX, &one, 1, false);
		unix_round_trip(SIPC_UNIXGRAM, &one, 1, true);
	}
	memset(big, 0, sizeof big);
	unix_round_trip(SIPC_UNIXPACKET, big, sizeof big, true);
	memset(big, '\n', sizeof big);
	unix_round_trip(SIPC_UNIXPACKET, big, sizeof big, false);
	memset(big, '%', sizeof big);
	unix_round_trip(SIPC_UNIXGRAM, big, sizeof big, true);
}

static void accessors(void **state)
{
	sipc_url *u;

	(void)state;
	assert_int_equal(sipc_url_parse("tcp://[FE80::1%lo]:8080", &u, NULL, 0), 0);
	assert_int_equal(sipc_url_scheme(u), SIPC_TCP);
	assert_string_equal(sipc_url_host(u), "fe80::1%lo");
	assert_int_equal(sipc_url_port(u), 8080);
	assert_null(sipc_url_path(u));
	assert_false(sipc_url_is_abstract(u));
	sipc_url_free(u);

	assert_int_equal(sipc_url_parse("udp6://*:9", &u, NULL, 0), 0);
	assert_int_equal(sipc_url_scheme(u), SIPC_UDP6);
	assert_string_equal(sipc_url_host(u), "");
	sipc_url_free(u);

	assert_int_equal(sipc_url_parse("unixpacket://@sock/x", &u, NULL, 0), 0);
	assert_int_equal(sipc_url_scheme(u), SIPC_UNIXPACKET);
	assert_null(sipc_url_host(u));
	assert_int_equal(sipc_url_port(u), -1);
	assert_string_equal(sipc_url_path(u), "@sock/x");
	assert_true(sipc_url_is_abstract(u));
	sipc_url_free(u);

	sipc_url_free(NULL);
}

static void failure_leaves_outputs(void **state)
{
	sipc_url *u = (sipc_url *)&u; /* a sentinel that must survive */
	char why[8];

	(void)state;
	assert_int_equal(sipc_url_parse("tcp://h:70000", &u, why, sizeof(why)), SIPC_EURL_PORT);
	assert_ptr_equal(u, (sipc_url *)&u);
	/* WHY is cut to its length and still terminated. */
	assert_int_equal(strlen(why), sizeof(why) - 1);
	assert_int_equal(sipc_url_parse("tcp://h:1", NULL, why, sizeof(why)), -EINVAL);
	/* Zero-length and NULL why are fine. */
	assert_int_equal(sipc_url_parse("bad", &u, why, 0), SIPC_EURL_SYNTAX);
	assert_int_equal(sipc_url_parse("bad", &u, NULL, 100), SIPC_EURL_SYNTAX);
}

static void format_buffer(void **state)
{
	sipc_url *u;
	char buf[32];
	int n;

	(void)state;
	assert_int_equal(sipc_url_parse("tcp://[::1]:7007", &u, NULL, 0), 0);
	n = (int)strlen("tcp://[::1]:7007");
	memset(buf, 'Z', sizeof(buf));
	/* No room for the NUL: an error, and the buffer is not touched. */
	assert_int_equal(sipc_url_format(u, buf, (size_t)n), SIPC_EBUFSIZE);
	assert_int_equal(buf[0], 'Z');
	assert_int_equal(sipc_url_format(u, buf, (size_t)n + 1), n);
	assert_string_equal(buf, "tcp://[::1]:7007");
	sipc_url_free(u);
}

/* The longest URLs with options still fit SIPC_URL_MAX and parse back:
 * a 253-byte host name with every TCP option at its longest value, and
 * every UDP one, and a unix name that is all escapes with both buffers. */
static void options_longest(void **state)
{
	static const char tcp_opts[] =
		"?keepalive=32767&keepintvl=32767&keepcnt=127&rcvbuf=1073741823"
		"&sndbuf=1073741823&nodelay=1&reuseport=1&v6only=1&ttl=255&tos=0xff"
		"&device=abcdefghijklmno&mark=0xffffffff&user_timeout=2147483647"
		"&fastopen=65535&linger=65535";
	static const char udp_opts[] =
		"?rcvbuf=1073741823&sndbuf=1073741823&reuseport=1&v6only=1&ttl=255&tos=0xff"
		"&device=abcdefghijklmno&mark=0xffffffff&iface=abcdefghijklmno&mcast_ttl=255"
		"&mcast_loop=1&source=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
	char host[260], text[1200];
	const char *variants[][2] = {{"tcp4", tcp_opts}, {"udp", udp_opts}};

	(void)state;
	/* 63-byte labels: a.b.c.d of 63+1+63+1+63+1+61 = 253. */
	memset(host, 'a', 253);
	host[63] = host[127] = host[191] = '.';
	host[253] = '\0';
	for (size_t i = 0; i < 2; i++) {
		snprintf(text, sizeof(text), "%s://%s:65535%s", variants[i][0], host,
			 variants[i][1]);
		check(variants[i][0], text, 0, text);
		assert_true(strlen(text) < SIPC_URL_MAX);
	}
	char *u = gen("unixpacket://@", 107, '\n', "?rcvbuf=1073741823&sndbuf=1073741823");
	sipc_url *url;
	char buf[SIPC_URL_MAX];

	assert_int_equal(sipc_url_parse(u, &url, NULL, 0), 0);
	assert_true(sipc_url_format(url, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "%0A?rcvbuf=1073741823&sndbuf=1073741823"));
	sipc_url_free(url);
	free(u);
}

static void schemes(void **state)
{
	(void)state;
	assert_string_equal(sipc_scheme_name(SIPC_UNIXPACKET), "unixpacket");
	assert_string_equal(sipc_scheme_name(SIPC_UDP6), "udp6");
	assert_string_equal(sipc_scheme_name(SIPC_SCHEME_NONE), "");
	assert_string_equal(sipc_scheme_name((sipc_scheme)99), "");
	assert_int_equal(sipc_scheme_socktype(SIPC_TCP4), SOCK_STREAM);
	assert_int_equal(sipc_scheme_socktype(SIPC_UNIX), SOCK_STREAM);
	assert_int_equal(sipc_scheme_socktype(SIPC_UDP), SOCK_DGRAM);
	assert_int_equal(sipc_scheme_socktype(SIPC_UNIXGRAM), SOCK_DGRAM);
	assert_int_equal(sipc_scheme_socktype(SIPC_UNIXPACKET), SOCK_SEQPACKET);
	assert_int_equal(sipc_scheme_socktype(SIPC_SCHEME_NONE), 0);
	assert_true(sipc_scheme_is_stream(SIPC_TCP6));
	assert_true(sipc_scheme_is_stream(SIPC_UNIX));
	assert_false(sipc_scheme_is_stream(SIPC_UNIXPACKET));
	assert_true(sipc_scheme_is_datagram(SIPC_UDP4));
	assert_true(sipc_scheme_is_datagram(SIPC_UNIXPACKET));
	assert_false(sipc_scheme_is_datagram(SIPC_TCP));
	assert_true(sipc_scheme_is_unix(SIPC_UNIXGRAM));
	assert_false(sipc_scheme_is_unix(SIPC_UDP));
	assert_true(sipc_scheme_is_connectionless(SIPC_UNIXGRAM));
	assert_true(sipc_scheme_is_connectionless(SIPC_UDP));
	assert_false(sipc_scheme_is_connectionless(SIPC_UNIXPACKET));
	assert_false(sipc_scheme_is_connectionless(SIPC_SCHEME_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(limits),
		cmocka_unit_test(accessors),
		cmocka_unit_test(failure_leaves_outputs),
		cmocka_unit_test(format_buffer),
		cmocka_unit_test(schemes),
		cmocka_unit_test(unix_names_round_trip),
		cmocka_unit_test(options_longest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
