/*
 * url.c - endpoint URLs: parsing and validating the grammar of DESIGN.md
 * (tcp/udp/tls with HOST:PORT, the unix schemes with a PATH), the accessors,
 * and the canonical text form.  Every check names the part of the URL that
 * is wrong in the caller's WHY buffer, because "bad URL" alone does not tell
 * a user which of scheme, host, port or path to fix.  Host names are kept as
 * names; resolution happens in resolve.c.  Service names are looked up here
 * (getservbyname_r, thread-safe) so that a URL always carries a number.
 * Unix names are percent-escaped both ways (sipc__unix_name_escape, also
 * used by addr.c): a peer chooses its name's bytes, NUL and newline
 * included, and the text must be safe to log and parse back to them.
 * A query after '?' holds socket options (urlopt.c); a '?' in a unix name
 * is therefore written %3F, as the escaping already does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "sys/sys.h"
#include "url.h"
#include "why.h"

/* RFC 1035 section 2.3.4 limits: 63 bytes a label, 253 the presentation
 * form of a whole name (255 on the wire). */
#define DNS_LABEL_MAX 63
#define DNS_NAME_MAX  253

static const struct {
	const char *name;
	sipc_scheme scheme;
} schemes[] = {
	{"tcp", SIPC_TCP},   {"tcp4", SIPC_TCP4},         {"tcp6", SIPC_TCP6},
	{"udp", SIPC_UDP},   {"udp4", SIPC_UDP4},         {"udp6", SIPC_UDP6},
	{"unix", SIPC_UNIX}, {"unixgram", SIPC_UNIXGRAM}, {"unixpacket", SIPC_UNIXPACKET},
	{"tls", SIPC_TLS},   {"tls4", SIPC_TLS4},         {"tls6", SIPC_TLS6},
	{"shm", SIPC_SHM},
};

#define SCHEME_LIST                                                                                \
	"tcp, tcp4, tcp6, udp, udp4, udp6, tls, tls4, tls6, unix, unixgram, unixpacket or shm"

int sipc__scheme_family(sipc_scheme s)
{
	switch (s) {
	case SIPC_TCP4:
	case SIPC_UDP4:
	case SIPC_TLS4:
		return AF_INET;
	case SIPC_TCP6:
	case SIPC_UDP6:
	case SIPC_TLS6:
		return AF_INET6;
	case SIPC_UNIX:
	case SIPC_UNIXGRAM:
	case SIPC_UNIXPACKET:
	case SIPC_SHM:
		return AF_UNIX;
	case SIPC_TCP:
	case SIPC_UDP:
	case SIPC_TLS:
	case SIPC_SCHEME_NONE:
		return AF_UNSPEC;
	}
	return AF_UNSPEC;
}

const char *sipc__url_quote(char out[SIPC__QUOTE_MAX + 4], const char *s, size_t n)
{
	size_t i, m = n > SIPC__QUOTE_MAX ? SIPC__QUOTE_MAX : n;

	for (i = 0; i < m; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (m < n) {
		memcpy(out + m, "...", 3);
		m += 3;
	}
	out[m] = '\0';
	return out;
}

/* ASCII classes by hand: <ctype.h> follows the locale, and a URL's
 * grammar must not change because a program called setlocale(). */
static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_alnum(unsigned char c)
{
	return is_digit(c) || is_alpha(c);
}

/* The parts found so far, before they are copied into one allocation. */
struct parts {
	sipc_scheme scheme;
	enum sipc__host_kind host_kind;
	int port;
	bool abstract;
	char host[DNS_NAME_MAX + 2];        /* a name, with an optional trailing dot */
	bool has_path;                      /* a unix URL: path[] holds the name */
	char path[SIPC__UNIX_PATH_MAX + 2]; /* decoded: "@" + 107 bytes or a 108-byte path, + NUL */
	size_t path_len;
};

static int parse_scheme(const char *text, struct parts *p, const char **rest, char *why,
			size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4];
	const char *sep = strstr(text, "://");
	size_t n, i;

	if (sep == NULL) {
		const char *colon = strchr(text, ':');
		/* "tcp:80" or "unix:/tmp/s": a known scheme without "//". */
		if (colon != NULL) {
			for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
				size_t len = strlen(schemes[i].name);
				if ((size_t)(colon - text) == len &&
				    strncasecmp(text, schemes[i].name, len) == 0) {
					sipc__why_set(why, whylen,
						      "missing '//' after '%s:' (write %s://...)",
						      schemes[i].name, schemes[i].name);
					return SIPC_EURL_SYNTAX;
				}
			}
		}
		sipc__why_set(
			why, whylen,
			"'%s' is not a URL: expected SCHEME://ADDRESS, e.g. tcp://127.0.0.1:7007",
			sipc__url_quote(q, text, strlen(text)));
		return SIPC_EURL_SYNTAX;
	}
	n = (size_t)(sep - text);
	if (n == 0) {
		sipc__why_set(why, whylen,
			      "missing scheme before '://' (expected " SCHEME_LIST ")");
		return SIPC_EURL_SYNTAX;
	}
	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == n && strncasecmp(text, schemes[i].name, n) == 0) {
			p->scheme = schemes[i].scheme;
			*rest = sep + 3;
			return 0;
		}
	}
	sipc__why_set(why, whylen, "unknown scheme '%s' (expected " SCHEME_LIST ")",
		      sipc__url_quote(q, text, n));
	return SIPC_EURL_SCHEME;
}

static int hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Decodes the %XX escapes of a unix name (N bytes of S) into OUT, which
 * holds SIPC__UNIX_FSPATH_MAX bytes; bytes that need no escape may also come
 * raw.  Returns the decoded length, which may exceed what OUT holds (only
 * that much is stored: the caller reports the length), or SIPC_EURL_SYNTAX
 * for a '%' without two hex digits after it.
 */
static ssize_t unix_name_decode(const char *s, size_t n, char *out, char *why, size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4];
	size_t i, len = 0;
	int hi, lo;

	for (i = 0; i < n; i++, len++) {
		char c = s[i];
		if (c == '%') {
			hi = i + 1 < n ? hex_value((unsigned char)s[i + 1]) : -1;
			lo = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				sipc__why_set(
					why, whylen,
					"bad escape '%s' in unix name (write %%XX with two hex "
					"digits, %%25 for a '%%' itself)",
					sipc__url_quote(q, s + i, n - i < 3 ? n - i : 3));
				return SIPC_EURL_SYNTAX;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (len < SIPC__UNIX_FSPATH_MAX)
			out[len] = c;
	}
	return (ssize_t)len;
}

static int parse_unix(const char *rest, struct parts *p, char *why, size_t whylen)
{
	size_t n = strlen(rest);
	const char *name = rest;
	size_t name_len = n;
	char *out = p->path;
	ssize_t len;

	p->host_kind = SIPC__HOST_NONE;
	p->port = -1;
	if (n == 0) {
		sipc__why_set(why, whylen,
			      "missing path after '%s://' (e.g. %s:///run/app.sock or %s://@name)",
			      sipc_scheme_name(p->scheme), sipc_scheme_name(p->scheme),
			      sipc_scheme_name(p->scheme));
		return SIPC_EURL_NOPATH;
	}
	if (rest[0] == '@') {
		p->abstract = true;
		*out++ = '@';
		/* An empty name is a name too (the NUL byte alone): a peer
		 * bound to it formats as "@", which must parse back. */
		name++;
		name_len--;
	}
	len = unix_name_decode(name, name_len, out, why, whylen);
	if (len < 0)
		return (int)len;
	/* sun_path is 108 bytes on Linux: an abstract name follows a NUL
	 * byte, so 107 of it fit; a filesystem path may fill all 108 (its
	 * NUL is then left out, which Linux accepts: unix(7)). */
	size_t max = p->abstract ? SIPC__UNIX_PATH_MAX : SIPC__UNIX_FSPATH_MAX;
	if ((size_t)len > max) {
		char q[SIPC__QUOTE_MAX + 4];
		sipc__why_set(why, whylen,
			      "%s '%s' is %zu bytes, longer than the %zu that fit in sun_path",
			      p->abstract ? "abstract name" : "path",
			      sipc__url_quote(q, name, name_len), (size_t)len, max);
		return SIPC_EURL_PATHLEN;
	}
	/* The kernel ends a filesystem path at its first NUL (unix(7)), so a
	 * %00 there would name another file than the one written. */
	if (!p->abstract && memchr(out, '\0', (size_t)len) != NULL) {
		sipc__why_set(why, whylen,
			      "a filesystem path cannot hold a NUL byte (%%00); an abstract name "
			      "(@name) can");
		return SIPC_EURL_SYNTAX;
	}
	p->has_path = true;
	p->path_len = (size_t)len + (p->abstract ? 1 : 0);
	p->path[p->path_len] = '\0';
	return 0;
}

static bool unix_name_safe(unsigned char c)
{
	return is_alnum(c) || (c != '\0' && strchr("-._~/:+,=@", c) != NULL);
}

int sipc__unix_name_escape(char *out, size_t cap, const char *name, size_t n, bool abstract)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	if (cap == 0)
		return SIPC_EBUFSIZE;
	if (abstract) {
		if (cap < 2)
			return SIPC_EBUFSIZE;
		out[o++] = '@';
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		/* A filesystem path's leading '@' would read back as the
		 * abstract namespace. */
		bool raw = unix_name_safe(c) && !(c == '@' && i == 0 && !abstract);
		if (o + (raw ? 1 : 3) >= cap)
			return SIPC_EBUFSIZE;
		if (raw) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}

/* Checks a DNS name (RFC 1123 host name syntax, plus '_', which real
 * /etc/hosts and container names use) and copies it lower-cased. */
static int parse_name(const char *h, size_t n, struct parts *p, char *why, size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4];
	size_t i, label = 0, body = n;
	bool all_numeric = true;

	if (n > 0 && h[n - 1] == '.')
		body = n - 1; /* a fully qualified "example.com." */
	if (body > DNS_NAME_MAX) {
		sipc__why_set(why, whylen, "host name '%s' is %zu characters, longer than %d",
			      sipc__url_quote(q, h, n), body, DNS_NAME_MAX);
		return SIPC_EURL_HOST;
	}
	for (i = 0; i <= body; i++) {
		unsigned char c = i < body ? (unsigned char)h[i] : '.';
		if (c == '.') {
			if (label == 0) {
				sipc__why_set(why, whylen, "host name '%s' has an empty label",
					      sipc__url_quote(q, h, n));
				return SIPC_EURL_HOST;
			}
			if (h[i - 1] == '-' || h[i - label] == '-') {
				sipc__why_set(
					why, whylen,
					"host name '%s' has a label that starts or ends with '-'",
					sipc__url_quote(q, h, n));
				return SIPC_EURL_HOST;
			}
			label = 0;
			continue;
		}
		if (!is_alnum(c) && c != '-' && c != '_') {
			char qc[SIPC__QUOTE_MAX + 4];
			sipc__why_set(why, whylen, "host '%s' has an invalid character '%s'",
				      sipc__url_quote(q, h, n),
				      sipc__url_quote(qc, (const char *)&h[i], 1));
			return SIPC_EURL_HOST;
		}
		if (!is_digit(c))
			all_numeric = false;
		if (++label > DNS_LABEL_MAX) {
			sipc__why_set(why, whylen,
				      "host name '%s' has a label longer than %d characters",
				      sipc__url_quote(q, h, n), DNS_LABEL_MAX);
			return SIPC_EURL_HOST;
		}
	}
	/* Digits and dots that inet_pton refused ("1.2.3", "256.1.1.1"): a
	 * name with an all-numeric top label is not a host name either. */
	if (all_numeric) {
		sipc__why_set(why, whylen, "host '%s' is not a valid IPv4 address",
			      sipc__url_quote(q, h, n));
		return SIPC_EURL_HOST;
	}
	for (i = 0; i < n; i++)
		p->host[i] = (char)(is_alpha((unsigned char)h[i]) ? h[i] | 0x20 : h[i]);
	p->host[n] = '\0';
	p->host_kind = SIPC__HOST_NAME;
	return 0;
}

/* Validates a zone (interface name or numeric index) and appends it to
 * p->host as "%zone". */
static int parse_zone(const char *z, size_t n, struct parts *p, char *why, size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4], name[IF_NAMESIZE];
	size_t i, used = strlen(p->host);
	bool numeric = n > 0;

	if (n == 0) {
		sipc__why_set(why, whylen,
			      "IPv6 zone after '%%' is empty (write e.g. [fe80::1%%eth0])");
		return SIPC_EURL_ZONE;
	}
	for (i = 0; i < n; i++)
		if (!is_digit((unsigned char)z[i]))
			numeric = false;
	if (numeric) {
		unsigned long idx = 0;
		for (i = 0; i < n; i++) {
			idx = idx * 10 + (unsigned long)(z[i] - '0');
			if (idx > 0xffffffffUL)
				break;
		}
		if (idx == 0 || idx > 0xffffffffUL) {
			sipc__why_set(why, whylen, "IPv6 zone index '%s' is not in 1-4294967295",
				      sipc__url_quote(q, z, n));
			return SIPC_EURL_ZONE;
		}
		snprintf(p->host + used, sizeof(p->host) - used, "%%%lu", idx);
		return 0;
	}
	if (n >= IF_NAMESIZE) {
		sipc__why_set(why, whylen, "IPv6 zone '%s' is longer than an interface name can be",
			      sipc__url_quote(q, z, n));
		return SIPC_EURL_ZONE;
	}
	memcpy(name, z, n);
	name[n] = '\0';
	if (if_nametoindex(name) == 0) {
		sipc__why_set(why, whylen, "IPv6 zone '%s' is not a known network interface",
			      sipc__url_quote(q, z, n));
		return SIPC_EURL_ZONE;
	}
	snprintf(p->host + used, sizeof(p->host) - used, "%%%s", name);
	return 0;
}

/* "[v6addr%zone]"; *END is set past the ']'. */
static int parse_bracketed(const char *h, struct parts *p, const char **end, char *why,
			   size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4], lit[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	const char *close = strchr(h, ']');
	const char *pct;
	size_t n;
	int rc;

	if (close == NULL) {
		sipc__why_set(why, whylen, "IPv6 address '%s' has no closing ']'",
			      sipc__url_quote(q, h, strlen(h)));
		return SIPC_EURL_IPV6;
	}
	pct = memchr(h + 1, '%', (size_t)(close - h - 1));
	n = (size_t)((pct != NULL ? pct : close) - (h + 1));
	if (n == 0) {
		sipc__why_set(why, whylen, "empty IPv6 address in '[]'");
		return SIPC_EURL_IPV6;
	}
	if (n < sizeof(lit)) {
		memcpy(lit, h + 1, n);
		lit[n] = '\0';
	}
	if (n >= sizeof(lit) || inet_pton(AF_INET6, lit, &a6) != 1) {
		struct in_addr a4;
		bool v4 = n < sizeof(lit) && inet_pton(AF_INET, lit, &a4) == 1;
		sipc__why_set(why, whylen, "'%s' in brackets is not a valid IPv6 address%s",
			      sipc__url_quote(q, h + 1, n),
			      v4 ? " (write IPv4 addresses without brackets)" : "");
		return SIPC_EURL_IPV6;
	}
	/* Canonical text (RFC 5952 as inet_ntop writes it): "[0:0::1]" and
	 * "[::1]" must format the same. */
	inet_ntop(AF_INET6, &a6, p->host, sizeof(p->host));
	p->host_kind = SIPC__HOST_V6;
	if (pct != NULL) {
		rc = parse_zone(pct + 1, (size_t)(close - pct - 1), p, why, whylen);
		if (rc < 0)
			return rc;
	}
	*end = close + 1;
	return 0;
}

/* A service name: letters, digits, '-', '_', '+', '.' (what
 * /etc/services holds), starting with a letter. */
static bool looks_like_service(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !is_alpha((unsigned char)s[0]))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!is_alnum(c) && c != '-' && c != '_' && c != '+' && c != '.')
			return false;
	}
	return true;
}

static int parse_port(const char *s, struct parts *p, char *why, size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4];
	size_t n = strlen(s), i;

	if (n == 0) {
		sipc__why_set(why, whylen,
			      "missing port after ':' (a number 0-65535 or a service name)");
		return SIPC_EURL_NOPORT;
	}
	if (is_digit((unsigned char)s[0])) {
		unsigned long v = 0;
		/* Leading zeros are accepted ("0080" is 80); the value saturates
		 * so a 20-digit port is "out of range", never wrapped. */
		for (i = 0; i < n && is_digit((unsigned char)s[i]); i++)
			if (v <= 65535)
				v = v * 10 + (unsigned long)(s[i] - '0');
		if (i < n) {
			char qt[SIPC__QUOTE_MAX + 4];
			sipc__why_set(
				why, whylen,
				"unexpected '%s' after port '%s' (nothing may follow the port)",
				sipc__url_quote(qt, s + i, n - i), sipc__url_quote(q, s, i));
			return SIPC_EURL_PORT;
		}
		if (v > 65535) {
			sipc__why_set(why, whylen, "port '%s' is out of range 0-65535",
				      sipc__url_quote(q, s, n));
			return SIPC_EURL_PORT;
		}
		p->port = (int)v;
		return 0;
	}
	if (looks_like_service(s, n) && n <= 64) {
		const char *proto = sipc_scheme_socktype(p->scheme) == SOCK_DGRAM ? "udp" : "tcp";
		char name[65];
		int port;

		memcpy(name, s, n);
		name[n] = '\0';
		port = sipc__sys_service_port(name, proto);
		if (port >= 0) {
			p->port = port;
			return 0;
		}
		sipc__why_set(why, whylen,
			      "unknown service '%s' for %s (not in the services database)",
			      sipc__url_quote(q, s, n), proto);
		return SIPC_EURL_SERVICE;
	}
	sipc__why_set(why, whylen, "port '%s' is not a number in 0-65535 or a service name",
		      sipc__url_quote(q, s, n));
	return SIPC_EURL_PORT;
}

/* An unbracketed IPv6 address: say so and show the bracketed form. */
static int unbracketed_v6(const char *rest, struct parts *p, char *why, size_t whylen)
{
	char lit[INET6_ADDRSTRLEN], q[SIPC__QUOTE_MAX + 4], qp[SIPC__QUOTE_MAX + 4];
	struct in6_addr a6;
	const char *last = strrchr(rest, ':');
	const char *scheme = sipc_scheme_name(p->scheme);
	size_t hn = (size_t)(last - rest), n;
	const char *pct;

	/* "::1:80" is itself a valid IPv6 address, so first try the reading
	 * with a port, then the whole text as an address without one. */
	pct = memchr(rest, '%', hn);
	n = pct != NULL ? (size_t)(pct - rest) : hn;
	if (n < sizeof(lit)) {
		memcpy(lit, rest, n);
		lit[n] = '\0';
		if (inet_pton(AF_INET6, lit, &a6) == 1 && last[1] != '\0') {
			sipc__why_set(why, whylen,
				      "IPv6 address '%s' must be in brackets: write %s://[%s]:%s",
				      sipc__url_quote(q, rest, hn), scheme, q,
				      sipc__url_quote(qp, last + 1, strlen(last + 1)));
			return SIPC_EURL_IPV6;
		}
	}
	sipc__why_set(why, whylen, "IPv6 address '%s' must be in brackets: write %s://[%s]:PORT",
		      sipc__url_quote(q, rest, strlen(rest)), scheme, q);
	return SIPC_EURL_IPV6;
}

static bool looks_like_v6(const char *rest)
{
	char lit[INET6_ADDRSTRLEN];
	struct in6_addr a6;
	const char *last = strrchr(rest, ':');
	size_t n = strcspn(rest, "%");

	/* Either everything, or everything before the last ':', is IPv6. */
	if (n < sizeof(lit)) {
		memcpy(lit, rest, n);
		lit[n] = '\0';
		if (inet_pton(AF_INET6, lit, &a6) == 1)
			return true;
	}
	n = (size_t)(last - rest);
	if (memchr(rest, '%', n) != NULL)
		n = strcspn(rest, "%");
	if (n < sizeof(lit)) {
		memcpy(lit, rest, n);
		lit[n] = '\0';
		if (inet_pton(AF_INET6, lit, &a6) == 1)
			return true;
	}
	return false;
}

/* N bytes of H as a dotted-quad IPv4 address (inet_pton: exactly four
 * decimal parts, no leading zeros, no "0x"). */
static bool ipv4_literal(const char *h, size_t n, struct in_addr *a4)
{
	char lit[INET_ADDRSTRLEN];

	if (n >= sizeof(lit))
		return false;
	memcpy(lit, h, n);
	lit[n] = '\0';
	return inet_pton(AF_INET, lit, a4) == 1;
}

/* The scheme word whose 4/6 forms a family error suggests. */
static const char *family_word(sipc_scheme s)
{
	if (sipc_scheme_is_tls(s))
		return "tls";
	return sipc_scheme_socktype(s) == SOCK_DGRAM ? "udp" : "tcp";
}

static int parse_inet(const char *rest, struct parts *p, char *why, size_t whylen)
{
	char q[SIPC__QUOTE_MAX + 4];
	const char *after, *colon;
	int rc;

	if (rest[0] == '[') {
		rc = parse_bracketed(rest, p, &after, why, whylen);
		if (rc < 0)
			return rc;
		if (*after == '\0') {
			sipc__why_set(why, whylen, "missing ':PORT' after '%s'",
				      sipc__url_quote(q, rest, (size_t)(after - rest)));
			return SIPC_EURL_NOPORT;
		}
		if (*after != ':') {
			sipc__why_set(why, whylen, "unexpected '%s' after ']' (expected ':PORT')",
				      sipc__url_quote(q, after, strlen(after)));
			return SIPC_EURL_SYNTAX;
		}
		colon = after;
	} else {
		struct in_addr a4;
		const char *first = strchr(rest, ':');
		size_t n;

		colon = strrchr(rest, ':');
		if (first != NULL && first != colon && looks_like_v6(rest))
			return unbracketed_v6(rest, p, why, whylen);
		n = colon != NULL ? (size_t)(colon - rest) : strlen(rest);
		if (n == 0 || (n == 1 && rest[0] == '*')) {
			p->host[0] = '\0';
			p->host_kind = SIPC__HOST_ANY;
		} else if (ipv4_literal(rest, n, &a4)) {
			inet_ntop(AF_INET, &a4, p->host, sizeof(p->host));
			p->host_kind = SIPC__HOST_V4;
		} else {
			rc = parse_name(rest, n, p, why, whylen);
			if (rc < 0)
				return rc;
		}
		if (colon == NULL) {
			if (n == 0)
				sipc__why_set(why, whylen,
					      "missing HOST:PORT after '%s://' (e.g. "
					      "%s://127.0.0.1:7007)",
					      sipc_scheme_name(p->scheme),
					      sipc_scheme_name(p->scheme));
			else
				sipc__why_set(why, whylen, "missing ':PORT' after host '%s'",
					      sipc__url_quote(q, rest, n));
			return SIPC_EURL_NOPORT;
		}
	}
	if (p->host_kind == SIPC__HOST_V6 && sipc__scheme_family(p->scheme) == AF_INET) {
		sipc__why_set(why, whylen,
			      "IPv6 address '%s' cannot be used with %s:// (use %s:// or %s6://)",
			      p->host, sipc_scheme_name(p->scheme), family_word(p->scheme),
			      family_word(p->scheme));
		return SIPC_EURL_FAMILY;
	}
	if (p->host_kind == SIPC__HOST_V4 && sipc__scheme_family(p->scheme) == AF_INET6) {
		sipc__why_set(why, whylen,
			      "IPv4 address '%s' cannot be used with %s:// (use %s:// or %s4://)",
			      p->host, sipc_scheme_name(p->scheme), family_word(p->scheme),
			      family_word(p->scheme));
		return SIPC_EURL_FAMILY;
	}
	return parse_port(colon + 1, p, why, whylen);
}

/* Whether the host is a multicast group, or a name that may resolve to
 * one (checked again once it has: sockopt.c). */
static bool group_literal(const struct parts *p)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (p->host_kind == SIPC__HOST_V4)
		return inet_pton(AF_INET, p->host, &a4) == 1 && IN_MULTICAST(ntohl(a4.s_addr));
	if (p->host_kind == SIPC__HOST_V6) {
		char lit[INET6_ADDRSTRLEN];
		size_t n = strcspn(p->host, "%"); /* without the zone */

		if (n >= sizeof(lit))
			return false;
		memcpy(lit, p->host, n);
		lit[n] = '\0';
		return inet_pton(AF_INET6, lit, &a6) == 1 && IN6_IS_ADDR_MULTICAST(&a6);
	}
	return p->host_kind == SIPC__HOST_NAME;
}

int sipc_url_parse(const char *text, sipc_url **urlp, char *why, size_t whylen)
{
	struct parts p;
	struct sipc__sockopts opts;
	const char *rest = NULL, *query;
	char *addr = NULL;
	const char *src;
	size_t n;
	sipc_url *u;
	int rc;

	if (text == NULL || urlp == NULL) {
		sipc__why_set(why, whylen, "no URL given");
		return -EINVAL;
	}
	memset(&p, 0, sizeof(p));
	memset(&opts, 0, sizeof(opts));
	rc = parse_scheme(text, &p, &rest, why, whylen);
	if (rc < 0)
		return rc;
	/* The address ends at the first '?': neither a host nor a port holds
	 * one, and a unix name writes it %3F. */
	query = strchr(rest, '?');
	if (query != NULL) {
		rc = sipc__urlopt_parse(p.scheme, query + 1, strlen(query + 1), &opts, why, whylen);
		if (rc < 0)
			return rc;
		addr = malloc((size_t)(query - rest) + 1);
		if (addr == NULL) {
			sipc__why_set(why, whylen, "out of memory");
			return -ENOMEM;
		}
		memcpy(addr, rest, (size_t)(query - rest));
		addr[query - rest] = '\0';
		rest = addr;
	}
	if (sipc_scheme_is_unix(p.scheme))
		rc = parse_unix(rest, &p, why, whylen);
	else
		rc = parse_inet(rest, &p, why, whylen);
	free(addr);
	if (rc < 0)
		return rc;
	if (sipc__opt_has(&opts, SIPC__OPT_SOURCE) && !group_literal(&p)) {
		sipc__why_set(why, whylen,
			      "option source: a source-specific join needs a multicast group "
			      "address, not '%s'",
			      p.host);
		return SIPC_EURL_OPTION;
	}

	src = p.has_path ? p.path : p.host;
	n = p.has_path ? p.path_len : strlen(p.host);
	u = malloc(sizeof(*u) + n + 1);
	if (u == NULL) {
		sipc__why_set(why, whylen, "out of memory");
		return -ENOMEM;
	}
	u->scheme = p.scheme;
	u->host_kind = p.host_kind;
	u->port = p.port;
	u->abstract = p.abstract;
	memcpy(u->text, src, n);
	u->text[n] = '\0';
	u->host = p.has_path ? NULL : u->text;
	u->path = p.has_path ? u->text : NULL;
	u->path_len = p.has_path ? n : 0;
	u->opts = opts;
	*urlp = u;
	return 0;
}

void sipc_url_free(sipc_url *url)
{
	free(url);
}

sipc_scheme sipc_url_scheme(const sipc_url *url)
{
	return url != NULL ? url->scheme : SIPC_SCHEME_NONE;
}

const char *sipc_url_host(const sipc_url *url)
{
	return url != NULL ? url->host : NULL;
}

int sipc_url_port(const sipc_url *url)
{
	return url != NULL ? url->port : -1;
}

const char *sipc_url_path(const sipc_url *url)
{
	return url != NULL ? url->path : NULL;
}

bool sipc_url_is_abstract(const sipc_url *url)
{
	return url != NULL && url->abstract;
}

int sipc_url_format(const sipc_url *url, char *buf, size_t len)
{
	char tmp[SIPC_URL_MAX];
	int n;

	if (url == NULL || buf == NULL)
		return -EINVAL;
	if (url->path != NULL) {
		n = snprintf(tmp, sizeof(tmp), "%s://", sipc_scheme_name(url->scheme));
		int m = url->abstract
				? sipc__unix_name_escape(tmp + n, sizeof(tmp) - (size_t)n,
							 url->path + 1, url->path_len - 1, true)
				: sipc__unix_name_escape(tmp + n, sizeof(tmp) - (size_t)n,
							 url->path, url->path_len, false);
		if (m < 0)
			return SIPC_EBUFSIZE;
		n += m;
	} else if (url->host_kind == SIPC__HOST_V6)
		n = snprintf(tmp, sizeof(tmp), "%s://[%s]:%d", sipc_scheme_name(url->scheme),
			     url->host, url->port);
	else
		n = snprintf(tmp, sizeof(tmp), "%s://%s:%d", sipc_scheme_name(url->scheme),
			     url->host, url->port);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return SIPC_EBUFSIZE;
	int q = sipc__urlopt_format(&url->opts, tmp + n, sizeof(tmp) - (size_t)n);
	if (q < 0)
		return SIPC_EBUFSIZE;
	n += q;
	/* The parser's limits keep every URL under SIPC_URL_MAX, escapes and
	 * options included; the check is for the caller's LEN.  Nothing is
	 * written on failure. */
	if ((size_t)n >= len)
		return SIPC_EBUFSIZE;
	memcpy(buf, tmp, (size_t)n + 1);
	return n;
}
