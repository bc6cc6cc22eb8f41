/*
 * url.c - proxy URLs: SCHEME://[USER[:PASS]@]HOST[:PORT][/] for the
 * schemes of proxy.h.  A grammar of its own, not the endpoint URL's (a
 * proxy is not an endpoint: it has credentials and a default port, and no
 * unix form), but the HOST[:PORT] part is handed to sipc_url_parse as
 * tcp://HOST:PORT, so a proxy's host is checked exactly as an endpoint's
 * (names, IPv4, bracketed IPv6, service names).  User and password take
 * %XX escapes, as in RFC 3986's userinfo, so that any byte (':', '@')
 * can be said.  The password is kept for the handshake only: the text
 * shown in messages and traces is rebuilt without it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proxy/proxy.h"
#include "why.h"

static const struct {
	const char *name;
	enum sipc__proxy_kind kind;
} schemes[] = {
	{"socks5", SIPC__PROXY_SOCKS5}, {"socks5h", SIPC__PROXY_SOCKS5H},
	{"socks4", SIPC__PROXY_SOCKS4}, {"socks4a", SIPC__PROXY_SOCKS4A},
	{"http", SIPC__PROXY_HTTP},
};

const char *sipc__proxy_kind_name(enum sipc__proxy_kind kind)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].kind == kind)
			return schemes[i].name;
	return "?";
}

bool sipc__proxy_sends_name(enum sipc__proxy_kind kind)
{
	return kind == SIPC__PROXY_SOCKS5H || kind == SIPC__PROXY_SOCKS4A ||
	       kind == SIPC__PROXY_HTTP;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes N bytes of userinfo at S into OUT (at most SIPC__PROXY_CRED_MAX
 * bytes, NUL added).  WHAT names the part for messages. */
static int decode_cred(const char *s, size_t n, char *out, size_t *outlen, const char *what,
		       char *why, size_t whylen)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < n ? hex_value((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;

			if (hi < 0 || lo < 0) {
				sipc__why_set(
					why, whylen,
					"proxy URL: bad %%XX escape in the %s (write %%25 for "
					"'%%')",
					what);
				return SIPC_EURL_SYNTAX;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (c < 0x21 || c > 0x7e) {
			sipc__why_set(why, whylen,
				      "proxy URL: the %s holds a space or control byte (write it "
				      "as %%XX)",
				      what);
			return SIPC_EURL_SYNTAX;
		}
		if (k == SIPC__PROXY_CRED_MAX) {
			sipc__why_set(why, whylen, "proxy URL: the %s is longer than %d bytes",
				      what, SIPC__PROXY_CRED_MAX);
			return SIPC_EURL_SYNTAX;
		}
		out[k++] = (char)c;
	}
	out[k] = '\0';
	*outlen = k;
	return 0;
}

/* Writes the userinfo bytes of S (N) escaped again, for the shown URL. */
static void append_escaped(char *out, size_t cap, const char *s, size_t n)
{
	size_t k = strlen(out);

	for (size_t i = 0; i < n && k + 4 < cap; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c) != NULL)
			out[k++] = (char)c;
		else
			k += (size_t)snprintf(out + k, cap - k, "%%%02X", c);
	}
	out[k] = '\0';
}

/* The scheme before "://"; REST gets what follows. */
static int parse_scheme(const char *text, struct sipc__proxy_url *px, const char **rest, char *why,
			size_t whylen)
{
	const char *sep = strstr(text, "://");
	size_t n;

	if (sep == NULL) {
		sipc__why_set(why, whylen,
			      "proxy URL: expected SCHEME://HOST:PORT (socks5, socks5h, socks4, "
			      "socks4a or http)");
		return SIPC_EURL_SYNTAX;
	}
	n = (size_t)(sep - text);
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].name) == n && strncasecmp(text, schemes[i].name, n) == 0) {
			px->kind = schemes[i].kind;
			*rest = sep + 3;
			return 0;
		}
	}
	sipc__why_set(why, whylen,
		      "proxy URL: unknown scheme '%.*s' (socks5, socks5h, socks4, socks4a or "
		      "http)",
		      n > 16 ? 16 : (int)n, text);
	return SIPC_EURL_SCHEME;
}

/* USER[:PASS]@ before the host, if any; REST moves past it. */
static int parse_userinfo(const char **rest, struct sipc__proxy_url *px, char *why, size_t whylen)
{
	const char *s = *rest, *at = strrchr(s, '@'), *colon;
	int rc;

	if (at == NULL)
		return 0;
	colon = memchr(s, ':', (size_t)(at - s));
	rc = decode_cred(s, (size_t)((colon ? colon : at) - s), px->user, &px->user_len, "user",
			 why, whylen);
	if (rc == 0 && colon != NULL)
		rc = decode_cred(colon + 1, (size_t)(at - colon - 1), px->pass, &px->pass_len,
				 "password", why, whylen);
	if (rc < 0)
		return rc;
	if (px->user_len == 0) {
		sipc__why_set(why, whylen, "proxy URL: empty user before '@'");
		return SIPC_EURL_SYNTAX;
	}
	if (px->kind == SIPC__PROXY_SOCKS4 || px->kind == SIPC__PROXY_SOCKS4A) {
		if (colon != NULL) {
			sipc__why_set(
				why, whylen,
				"proxy URL: SOCKS4 has a user id but no password (%s://USER@HOST)",
				sipc__proxy_kind_name(px->kind));
			return SIPC_EURL_SYNTAX;
		}
		if (memchr(px->user, '\0', px->user_len) != NULL) {
			sipc__why_set(why, whylen,
				      "proxy URL: a SOCKS4 user id cannot hold a NUL byte");
			return SIPC_EURL_SYNTAX;
		}
	}
	px->has_user = true;
	*rest = at + 1;
	return 0;
}

int sipc__proxy_url_parse(const char *text, struct sipc__proxy_url *px, char *why, size_t whylen)
{
	struct sipc__proxy_url p;
	const char *rest, *host_end;
	char hostport[SIPC_URL_MAX], detail[SIPC_WHY_MAX] = "";
	sipc_url *u = NULL;
	size_t n;
	int rc;

	if (text == NULL || px == NULL)
		return -EINVAL;
	memset(&p, 0, sizeof(p));
	if ((rc = parse_scheme(text, &p, &rest, why, whylen)) < 0)
		return rc;
	if ((rc = parse_userinfo(&rest, &p, why, whylen)) < 0)
		return rc;
	n = strlen(rest);
	if (n > 0 && rest[n - 1] == '/')
		n--; /* "http://proxy:3128/" as browsers write it */
	if (n == 0 || memchr(rest, '/', n) != NULL || memchr(rest, '?', n) != NULL ||
	    memchr(rest, '#', n) != NULL) {
		sipc__why_set(why, whylen,
			      n == 0 ? "proxy URL: no host"
				     : "proxy URL: only HOST[:PORT] may follow the scheme (no "
				       "path or query)");
		return n == 0 ? SIPC_EURL_HOST : SIPC_EURL_SYNTAX;
	}
	/* A port is there when the last ':' comes after any ']'. */
	host_end = rest[0] == '[' ? memchr(rest, ']', n) : rest;
	if (host_end == NULL)
		host_end = rest;
	if (memchr(host_end, ':', n - (size_t)(host_end - rest)) != NULL)
		snprintf(hostport, sizeof(hostport), "tcp://%.*s", (int)n, rest);
	else
		snprintf(hostport, sizeof(hostport), "tcp://%.*s:%d", (int)n, rest,
			 p.kind == SIPC__PROXY_HTTP ? SIPC__PROXY_HTTP_PORT
						    : SIPC__PROXY_SOCKS_PORT);
	rc = sipc_url_parse(hostport, &u, detail, sizeof(detail));
	if (rc == 0 && (sipc_url_host(u)[0] == '\0' || sipc_url_port(u) == 0)) {
		snprintf(detail, sizeof(detail), "%s",
			 sipc_url_host(u)[0] == '\0' ? "no host" : "port 0 is no proxy's port");
		rc = sipc_url_host(u)[0] == '\0' ? SIPC_EURL_HOST : SIPC_EURL_PORT;
	}
	if (rc < 0) {
		sipc__why_set(why, whylen, "proxy URL: %s", detail[0] ? detail : sipc_strerror(rc));
		sipc_url_free(u);
		return rc;
	}
	sipc_url_format(u, p.endpoint, sizeof(p.endpoint));
	snprintf(p.shown, sizeof(p.shown), "%s://", sipc__proxy_kind_name(p.kind));
	if (p.has_user) {
		append_escaped(p.shown, sizeof(p.shown), p.user, p.user_len);
		snprintf(p.shown + strlen(p.shown), sizeof(p.shown) - strlen(p.shown), "@");
	}
	/* The endpoint text less its "tcp://". */
	snprintf(p.shown + strlen(p.shown), sizeof(p.shown) - strlen(p.shown), "%s",
		 p.endpoint + 6);
	sipc_url_free(u);
	*px = p;
	return 0;
}
