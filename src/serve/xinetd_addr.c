/*
 * xinetd_addr.c - the address forms of xinetd's only_from and no_access
 * (xinetd.conf(5)) as the CIDR blocks `sockipc serve` takes: a dotted quad
 * whose rightmost zero parts are wildcards (10.1.0.0 is 10.1.0.0/16), the
 * factorized form 10.1.{2,3}, CIDR blocks of both families, 0 and 0.0.0.0
 * for everyone, and names: a network from /etc/networks or a host,
 * resolved when importing.  A `.domain` suffix, which xinetd matched
 * against the client's reverse DNS name, has no address form.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "serve/xinetd.h"

/* Appends " TEXT" (or TEXT at the start) to OUT; -1 when it does not fit. */
static int put(char *out, size_t outlen, const char *text)
{
	size_t n = strlen(out);
	int w = snprintf(out + n, outlen - n, "%s%s", n > 0 ? " " : "", text);

	return w < 0 || (size_t)w >= outlen - n ? -1 : 0;
}

/* True when the blank-separated list LIST holds WORD. */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/* A decimal byte 0..255 of exactly [P, P+LEN). */
static int byte_of(const char *p, size_t len)
{
	int v = 0;

	if (len == 0 || len > 3)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v > 255 ? -1 : v;
}

/* Parses up to 4 dotted bytes of [P, END) into B; returns how many. */
static int dotted(const char *p, const char *end, int b[4])
{
	int n = 0;

	while (p < end && n < 4) {
		const char *dot = memchr(p, '.', (size_t)(end - p));
		const char *stop = dot ? dot : end;

		if ((b[n] = byte_of(p, (size_t)(stop - p))) < 0)
			return -1;
		n++;
		p = dot ? dot + 1 : end;
		if (dot != NULL && p == end)
			return -1; /* a trailing dot */
	}
	return p == end ? n : -1;
}

static bool all_digits_dots(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s) && *s != '.')
			return false;
	return true;
}

/* 10.1.{2,3}: each value in the braces fills the next byte, and the
 * block covers what follows it. */
static int factorized(const char *w, char *out, size_t outlen, char *why, size_t whylen)
{
	const char *open = strchr(w, '{');
	const char *close = strchr(w, '}');
	int b[4] = {0}, n;
	const char *p;

	if (close == NULL || close[1] != '\0' || open == w || open[-1] != '.')
		goto bad;
	n = dotted(w, open - 1, b);
	if (n < 1 || n > 3)
		goto bad;
	for (p = open + 1; p < close;) {
		const char *comma = memchr(p, ',', (size_t)(close - p));
		const char *stop = comma ? comma : close;
		char text[64];

		b[n] = byte_of(p, (size_t)(stop - p));
		if (b[n] < 0)
			goto bad;
		for (int i = n + 1; i < 4; i++)
			b[i] = 0;
		if (n == 3)
			snprintf(text, sizeof(text), "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
		else
			snprintf(text, sizeof(text), "%d.%d.%d.%d/%d", b[0], b[1], b[2], b[3],
				 8 * (n + 1));
		if (put(out, outlen, text) < 0) {
			snprintf(why, whylen, "'%.60s' expands to too many blocks", w);
			return SIPC_XADDR_INVALID;
		}
		p = comma ? comma + 1 : close;
		if (comma != NULL && p == close)
			goto bad;
	}
	return SIPC_XADDR_LITERAL;
bad:
	snprintf(why, whylen, "'%.60s' is not an address of the form a.b.{c,d}", w);
	return SIPC_XADDR_INVALID;
}

int sipc__xinetd_addr(const char *w, sipc_xinetd_resolve_fn *resolve, void *arg, char *out,
		      size_t outlen, char *why, size_t whylen)
{
	const char *slash = strchr(w, '/');
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN + 8];
	int b[4], n;

	out[0] = '\0';
	if (strcmp(w, "0") == 0 || strcmp(w, "0.0.0.0") == 0 || strcmp(w, "0.0.0.0/0") == 0) {
		/* "matches all Internet addresses": both families. */
		snprintf(out, outlen, "0.0.0.0/0 ::/0");
		return SIPC_XADDR_LITERAL;
	}
	if (strchr(w, '{') != NULL)
		return factorized(w, out, outlen, why, whylen);
	if (strchr(w, ':') != NULL || slash != NULL) {
		/* A CIDR block or an IPv6 address: as written, once checked. */
		size_t alen = slash ? (size_t)(slash - w) : strlen(w);
		char addr[INET6_ADDRSTRLEN + 1];
		int family = memchr(w, ':', alen) ? AF_INET6 : AF_INET;
		char *end;
		long prefix = 0;

		if (alen >= sizeof(addr))
			goto bad;
		memcpy(addr, w, alen);
		addr[alen] = '\0';
		if (inet_pton(family, addr, bin) != 1)
			goto bad;
		if (slash != NULL) {
			prefix = strtol(slash + 1, &end, 10);
			if (slash[1] == '\0' || *end != '\0' || prefix < 0 ||
			    prefix > (family == AF_INET ? 32 : 128))
				goto bad;
		}
		if ((size_t)snprintf(out, outlen, "%s", w) >= outlen)
			goto bad;
		return SIPC_XADDR_LITERAL;
	}
	if (all_digits_dots(w)) {
		n = dotted(w, w + strlen(w), b);
		if (n != 4)
			goto bad;
		/* The rightmost zero parts are wildcards (xinetd.conf(5), a). */
		int zeros = 0;
		while (zeros < 4 && b[3 - zeros] == 0)
			zeros++;
		if (zeros == 0)
			snprintf(text, sizeof(text), "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
		else
			snprintf(text, sizeof(text), "%d.%d.%d.%d/%d", b[0], b[1], b[2], b[3],
				 32 - 8 * zeros);
		snprintf(out, outlen, "%s", text);
		return SIPC_XADDR_LITERAL;
	}
	if (w[0] == '.') {
		snprintf(why, whylen,
			 "'%.60s' matched the client's reverse DNS name; sockipc matches "
			 "addresses only: list the domain's networks instead",
			 w);
		return SIPC_XADDR_REFUSED;
	}
	for (const char *p = w; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '.' && *p != '_')
			goto bad;
	if (resolve == NULL)
		resolve = sipc__xinetd_resolve;
	if (resolve(arg, w, out, outlen, why, whylen) < 0)
		return SIPC_XADDR_REFUSED;
	return SIPC_XADDR_RESOLVED;
bad:
	snprintf(why, whylen, "'%.60s' is not an address, a CIDR block or a host name", w);
	return SIPC_XADDR_INVALID;
}

int sipc__xinetd_resolve(void *arg, const char *name, char *out, size_t outlen, char *why,
			 size_t whylen)
{
	struct addrinfo hints = {0}, *res = NULL, *ai;
	struct netent *net;
	char text[INET6_ADDRSTRLEN];
	int rc;

	(void)arg;
	out[0] = '\0';
	/* A network name (/etc/networks) first, as xinetd tries it. */
	net = getnetbyname(name);
	if (net != NULL && net->n_addrtype == AF_INET) {
		unsigned long v = (unsigned long)net->n_net;
		int b[4] = {(int)(v >> 24) & 255, (int)(v >> 16) & 255, (int)(v >> 8) & 255,
			    (int)v & 255};
		char quad[32], one[64];

		snprintf(quad, sizeof(quad), "%d.%d.%d.%d", b[0], b[1], b[2], b[3]);
		if (sipc__xinetd_addr(quad, NULL, NULL, one, sizeof(one), why, whylen) !=
		    SIPC_XADDR_LITERAL)
			return -1;
		snprintf(out, outlen, "%s", one);
		return 0;
	}
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(name, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(why, whylen, "host name '%.60s' does not resolve: %s", name,
			 gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		const void *a =
			ai->ai_family == AF_INET
				? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
				: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    inet_ntop(ai->ai_family, a, text, sizeof(text)) == NULL)
			continue;
		if (!has_word(out, text) && put(out, outlen, text) < 0)
			break;
	}
	freeaddrinfo(res);
	if (out[0] == '\0') {
		snprintf(why, whylen, "host name '%.60s' has no IPv4 or IPv6 address", name);
		return -1;
	}
	return 0;
}
