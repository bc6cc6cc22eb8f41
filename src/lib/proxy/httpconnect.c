/*
 * httpconnect.c - HTTP CONNECT (RFC 9110 9.3.6) as steps of proxy.h's
 * state machine: one request, "CONNECT host:port HTTP/1.1" with Host and,
 * given a user, Proxy-Authorization: Basic (RFC 7617), and one reply
 * header read up to its empty line and not a byte further (the tunnel
 * starts right after it).  Any 2xx opens the tunnel (RFC 9110: "any 2xx
 * (Successful) response indicates that the sender will switch to tunnel
 * mode"); anything else is SIPC_EPROXY with the status line in words,
 * escaped, since the proxy chose those bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "proxy/proxy.h"
#include "trace.h"
#include "why.h"

/* Longest status line shown in a message. */
#define STATUS_SHOWN 160

/* RFC 4648 base64 of IN/LEN with padding into OUT (4 * ceil(LEN / 3) + 1
 * bytes), NUL-terminated: the Basic credential.  (The library needs no
 * crypto library for it; serve's proxy decodes with its own reader.) */
static void base64(unsigned char *out, const unsigned char *in, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		*out++ = (unsigned char)abc[v >> 18];
		*out++ = (unsigned char)abc[(v >> 12) & 63];
		*out++ = (unsigned char)abc[(v >> 6) & 63];
		*out++ = (unsigned char)abc[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);

		*out++ = (unsigned char)abc[v >> 18];
		*out++ = (unsigned char)abc[(v >> 12) & 63];
		*out++ = i + 1 < len ? (unsigned char)abc[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

void sipc__http_begin(struct sipc__proxy_hs *hs)
{
	char dest[SIPC__PROXY_NAME_MAX + 16];
	char cred[2 * SIPC__PROXY_CRED_MAX + 2];
	unsigned char b64[4 * ((sizeof(cred) + 2) / 3) + 1];
	int k;

	/* An IPv6 destination is written in brackets (RFC 9110 7.2). */
	sipc__proxy_dest_text(&hs->dest, dest, sizeof(dest));
	k = snprintf((char *)hs->out, sizeof(hs->out), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n", dest,
		     dest);
	if (hs->px->has_user) {
		size_t n = 0;

		memcpy(cred, hs->px->user, hs->px->user_len);
		n += hs->px->user_len;
		cred[n++] = ':';
		memcpy(cred + n, hs->px->pass, hs->px->pass_len);
		n += hs->px->pass_len;
		base64(b64, (const unsigned char *)cred, n);
		k += snprintf((char *)hs->out + k, sizeof(hs->out) - (size_t)k,
			      "Proxy-Authorization: Basic %s\r\n", b64);
		memset(cred, 0, sizeof(cred));
	}
	k += snprintf((char *)hs->out + k, sizeof(hs->out) - (size_t)k, "\r\n");
	hs->out_len = (size_t)k;
	hs->out_sent = 0;
	hs->in_have = 0;
	hs->in_need = 0; /* up to the empty line */
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

int sipc__http_reply(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	const uint8_t *s = hs->in;
	char dest[SIPC__PROXY_NAME_MAX + 16], line[4 * STATUS_SHOWN + 1];
	size_t n = 0;
	int status;

	sipc__proxy_dest_text(&hs->dest, dest, sizeof(dest));
	while (n < hs->in_have && s[n] != '\r' && s[n] != '\n')
		n++;
	sipc__proxy_escape(s, n < STATUS_SHOWN ? n : STATUS_SHOWN, line, sizeof(line));
	/* HTTP/1.x SP 3DIGIT [SP reason] (RFC 9112 4). */
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]) || s[8] != ' ' ||
	    !is_digit(s[9]) || !is_digit(s[10]) || !is_digit(s[11]) || (n > 12 && s[12] != ' ')) {
		sipc__why_set(why, whylen,
			      "the HTTP proxy's reply is not an HTTP/1 status line: \"%s\"", line);
		return SIPC_EPROXY;
	}
	status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	sipc__tracef(hs->trace, hs->trace_arg, "proxy http CONNECT %s = %s", dest, line);
	if (status >= 200 && status <= 299)
		return SIPC__PROXY_DONE;
	/* 407 is the proxy's "who are you" (RFC 9110 15.5.8); tinyproxy
	 * answers a wrong password with 401. */
	if ((status == 407 || status == 401) && !hs->px->has_user)
		sipc__why_set(why, whylen,
			      "%s (give a user and password in the proxy URL: "
			      "http://USER:PASS@HOST:PORT)",
			      line);
	else if (status == 407 || status == 401) {
		char user[64];

		sipc__why_set(why, whylen, "%s (user '%s' and its password refused)", line,
			      sipc__proxy_escape((const uint8_t *)hs->px->user, hs->px->user_len,
						 user, sizeof(user)));
	} else
		sipc__why_set(why, whylen, "%s", line);
	return SIPC_EPROXY;
}
