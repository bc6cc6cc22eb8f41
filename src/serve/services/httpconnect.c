/*
 * httpconnect.c - `http-connect [--to=CIDR[:PORTS]]... [--user=NAME:PASS]...
 * [--users=FILE] [--timeout=S]`: an HTTP proxy for the CONNECT method only
 * (RFC 9110 section 9.3.6), with Basic proxy authentication (RFC 7617,
 * Proxy-Authorization / 407 Proxy-Authenticate) when users are given.
 * Any other method is 405; everything but the wire format is proxy.c's.
 *
 * The request head is read whole (at most 8 KiB) before anything is
 * decided, and it is strict: every line ends in CR LF, a CR or LF
 * anywhere else, a control byte, a folded line or a field name with
 * blanks is 400.  A lenient parser is how a request that one side reads
 * one way and another side another way gets through (request smuggling,
 * header injection); a proxy client has no reason to send either.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "serve/services/proxy.h"
#include "serve/services/services.h"
#include "sys/net.h"

#define HC_IN_MAX 8192

/* RFC 9110 section 5.6.2: tchar. */
static bool tchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

/* Where the head ends (the byte after its empty line), 0 while it is not
 * whole, or -1 with the request failed when its line endings are wrong. */
static long head_end(struct sipc__px_conn *pc)
{
	const uint8_t *b = pc->in;

	for (size_t i = 0; i < pc->in_len; i++) {
		if (b[i] == '\r') {
			if (i + 1 == pc->in_len)
				return 0;
			if (b[i + 1] != '\n') {
				sipc__px_fail(pc, SIPC__PX_BADREQ, "a CR not followed by LF");
				return -1;
			}
			/* The empty line that ends the head. */
			if (i >= 2 && b[i - 2] == '\r' && b[i - 1] == '\n')
				return (long)i + 2;
			if (i == 0) {
				sipc__px_fail(pc, SIPC__PX_BADREQ, "an empty request line");
				return -1;
			}
			i++;
		} else if (b[i] == '\n') {
			sipc__px_fail(pc, SIPC__PX_BADREQ, "a LF without CR");
			return -1;
		} else if ((b[i] < 0x20 && b[i] != '\t') || b[i] == 0x7f) {
			sipc__px_fail(pc, SIPC__PX_BADREQ, "control byte 0x%02x in the request",
				      b[i]);
			return -1;
		}
	}
	return 0;
}

/* "host:port", "[v6]:port" of LINE[0, N): sets the destination. */
static int authority(struct sipc__px_conn *pc, const char *s, size_t n)
{
	const char *colon, *host;
	size_t hlen;
	long port = 0;

	if (n > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		if (close == NULL || close + 1 == s + n || close[1] != ':')
			return sipc__px_fail(pc, SIPC__PX_BADREQ, "a target not [IPv6]:PORT");
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = NULL;
		for (size_t i = 0; i < n; i++)
			if (s[i] == ':')
				colon = s + i;
		if (colon == NULL)
			return sipc__px_fail(pc, SIPC__PX_BADREQ, "a target without :PORT");
		host = s;
		hlen = (size_t)(colon - s);
	}
	size_t plen = (size_t)(s + n - colon - 1);
	if (plen == 0 || plen > 5)
		return sipc__px_fail(pc, SIPC__PX_BADREQ, "a port not in 1..65535");
	for (size_t i = 0; i < plen; i++) {
		if (colon[1 + i] < '0' || colon[1 + i] > '9')
			return sipc__px_fail(pc, SIPC__PX_BADREQ, "a port not in 1..65535");
		port = port * 10 + (colon[1 + i] - '0');
	}
	if (port < 1 || port > 65535)
		return sipc__px_fail(pc, SIPC__PX_BADREQ, "a port not in 1..65535");
	sipc__px_dest_name(pc, host, hlen, (int)port);
	if (!pc->have_addr && (s[0] == '[' || pc->name[0] == '\0'))
		return sipc__px_fail(pc, SIPC__PX_BADREQ, "not a host name");
	return SIPC__PX_GO;
}

/* Proxy-Authorization: Basic BASE64(user:password). */
static int credentials(struct sipc__px_conn *pc, const char *v, size_t n)
{
	uint8_t raw[2 * SIPC__PX_CRED_MAX + 2];
	const uint8_t *colon;
	int len;

	if (n < 6 || strncasecmp(v, "Basic ", 6) != 0)
		return sipc__px_fail(pc, SIPC__PX_AUTH, "Proxy-Authorization is not Basic");
	v += 6;
	n -= 6;
	while (n > 0 && *v == ' ') {
		v++;
		n--;
	}
	len = sipc__px_base64_decode(v, n, raw, sizeof(raw));
	if (len < 0)
		return sipc__px_fail(pc, SIPC__PX_AUTH, "Proxy-Authorization is not base64");
	colon = memchr(raw, ':', (size_t)len);
	if (colon == NULL)
		return sipc__px_fail(pc, SIPC__PX_AUTH, "Proxy-Authorization has no user:password");
	if (!sipc__px_auth(pc, raw, (size_t)(colon - raw), colon + 1,
			   (size_t)len - (size_t)(colon - raw) - 1))
		return sipc__px_fail(pc, SIPC__PX_AUTH, "wrong user name or password");
	return SIPC__PX_GO;
}

/* The request line: CONNECT SP authority SP HTTP/1.x. */
static int request_line(struct sipc__px_conn *pc, const char *s, size_t n)
{
	const char *sp1 = memchr(s, ' ', n), *sp2;
	size_t mlen, tlen, vlen;

	if (sp1 == NULL)
		return sipc__px_fail(pc, SIPC__PX_BADREQ, "a request line without a target");
	mlen = (size_t)(sp1 - s);
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (sp2 == NULL)
		return sipc__px_fail(pc, SIPC__PX_BADREQ, "a request line without a version");
	tlen = (size_t)(sp2 - sp1 - 1);
	vlen = n - mlen - tlen - 2;
	for (size_t i = 0; i < mlen; i++)
		if (!tchar((unsigned char)s[i]))
			return sipc__px_fail(pc, SIPC__PX_BADREQ, "a method that is not a token");
	if (mlen == 0 || tlen == 0 || memchr(sp2 + 1, ' ', vlen) != NULL ||
	    !(vlen == 8 &&
	      (memcmp(sp2 + 1, "HTTP/1.1", 8) == 0 || memcmp(sp2 + 1, "HTTP/1.0", 8) == 0)))
		return sipc__px_fail(pc, SIPC__PX_BADREQ,
				     "a request line not 'METHOD TARGET HTTP/1.x'");
	if (mlen != 7 || memcmp(s, "CONNECT", 7) != 0) {
		char m[64];
		sipc__px_escape(s, mlen, m, sizeof(m));
		return sipc__px_fail(pc, SIPC__PX_COMMAND, "method %s (CONNECT only)", m);
	}
	return authority(pc, sp1 + 1, tlen);
}

static int hc_parse(struct sipc__px_conn *pc)
{
	const char *b = (const char *)pc->in;
	const char *auth = NULL;
	size_t auth_len = 0, pos, eol;
	long end = head_end(pc);
	int rc;

	if (end <= 0)
		return end < 0 ? SIPC__PX_FAIL : SIPC__PX_MORE;
	eol = (size_t)((const char *)memchr(b, '\r', (size_t)end) - b);
	rc = request_line(pc, b, eol);
	if (rc != SIPC__PX_GO)
		return rc;
	/* The fields, up to the empty line. */
	for (pos = eol + 2; pos + 2 < (size_t)end; pos = eol + 2) {
		const char *line = b + pos, *colon;
		size_t len;

		eol = (size_t)((const char *)memchr(line, '\r', (size_t)end - pos) - b);
		len = eol - pos;
		if (line[0] == ' ' || line[0] == '\t')
			return sipc__px_fail(pc, SIPC__PX_BADREQ, "a folded header line");
		colon = memchr(line, ':', len);
		if (colon == NULL || colon == line)
			return sipc__px_fail(pc, SIPC__PX_BADREQ, "a header line without 'NAME:'");
		for (const char *p = line; p < colon; p++)
			if (!tchar((unsigned char)*p))
				return sipc__px_fail(pc, SIPC__PX_BADREQ,
						     "a header name that is not a token");
		if (colon - line == 19 && strncasecmp(line, "Proxy-Authorization", 19) == 0) {
			if (auth != NULL)
				return sipc__px_fail(pc, SIPC__PX_BADREQ,
						     "Proxy-Authorization given twice");
			auth = colon + 1;
			auth_len = (size_t)(line + len - auth);
			while (auth_len > 0 && (*auth == ' ' || *auth == '\t')) {
				auth++;
				auth_len--;
			}
			while (auth_len > 0 &&
			       (auth[auth_len - 1] == ' ' || auth[auth_len - 1] == '\t'))
				auth_len--;
		}
	}
	if (sipc__px_needs_auth(pc)) {
		if (auth == NULL)
			return sipc__px_fail(pc, SIPC__PX_AUTH, "no Proxy-Authorization");
		rc = credentials(pc, auth, auth_len);
		if (rc != SIPC__PX_GO)
			return rc;
	}
	/* What follows the head is the client's first bytes for the
	 * destination. */
	sipc__px_take(pc, (size_t)end);
	return SIPC__PX_GO;
}

static void hc_reply(struct sipc__px_conn *pc, enum sipc__px_result r)
{
	const char *status, *extra = "";
	char out[512];
	int n;

	switch (r) {
	case SIPC__PX_OK:
		sipc__px_send(pc, "HTTP/1.1 200 Connection established\r\n\r\n", 39);
		return;
	case SIPC__PX_DENIED:
		status = "403 Forbidden";
		break;
	case SIPC__PX_AUTH:
		status = "407 Proxy Authentication Required";
		extra = "Proxy-Authenticate: Basic realm=\"sockipc\"\r\n";
		break;
	case SIPC__PX_COMMAND:
		status = "405 Method Not Allowed";
		extra = "Allow: CONNECT\r\n";
		break;
	case SIPC__PX_BADREQ:
	case SIPC__PX_ADDRTYPE:
		status = "400 Bad Request";
		break;
	case SIPC__PX_SLOW:
		status = "408 Request Timeout";
		break;
	case SIPC__PX_TIMEOUT:
		status = "504 Gateway Timeout";
		break;
	case SIPC__PX_BUSY:
		status = "503 Service Unavailable";
		break;
	default:
		status = "502 Bad Gateway";
		break;
	}
	/* The body says the status again; nothing the client sent is in it. */
	n = snprintf(out, sizeof(out),
		     "HTTP/1.1 %s\r\n%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s\n",
		     status, extra, strlen(status) + 1, status);
	if (n > 0 && (size_t)n < sizeof(out))
		sipc__px_send(pc, out, (size_t)n);
}

static const struct sipc__px_proto hc_proto = {
	.name = "http-connect",
	.in_max = HC_IN_MAX,
	.parse = hc_parse,
	.reply = hc_reply,
};

static int hc_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, char *why, size_t whylen)
{
	return sipc__px_setup(sep, &hc_proto, argc, argv, why, whylen);
}

const struct sipc_service sipc__svc_http_connect = {
	.name = "http-connect",
	.usage = "http-connect [--to=CIDR[:PORTS]]... [--user=NAME:PASS]... [--users=FILE] "
		 "[--timeout=S]",
	.min_args = 0,
	.max_args = -1,
	.kinds = SIPC__SVC_STREAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.setup = hc_setup,
	.teardown = sipc__px_teardown,
	.conn_size = sizeof(struct sipc__px_conn),
	.on_open = sipc__px_open,
	.on_io = sipc__px_io,
	.on_close = sipc__px_close,
};
