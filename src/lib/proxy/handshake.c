/*
 * handshake.c - the part of the proxy handshake that every protocol
 * shares (proxy.h): what the proxy is asked to reach (the destination,
 * resolved here or not), and the one step function that moves bytes.  A
 * step sends what the protocol file queued, then reads exactly the bytes
 * the protocol says its reply part has (byte-exact for SOCKS; for HTTP a
 * peek, then only up to the end of the header), and hands a complete
 * part to the protocol file to judge.  Never a byte beyond the reply:
 * what follows is the destination's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"
#include "proxy/proxy.h"
#include "sys/sys.h"
#include "url.h"
#include "why.h"

/* Steps taken in one call before it returns anyway: each protocol has at
 * most a handful of request/reply parts, so this is only a backstop. */
#define STEP_MAX 32

static bool ip_stream(sipc_scheme s)
{
	return s == SIPC_TCP || s == SIPC_TCP4 || s == SIPC_TCP6 || s == SIPC_TLS ||
	       s == SIPC_TLS4 || s == SIPC_TLS6;
}

int sipc__proxy_dest_make(const struct sipc__proxy_url *px, const sipc_url *dest,
			  struct sipc__proxy_dest *out, char *why, size_t whylen)
{
	sipc_addr addrs[16];
	struct sipc__proxy_dest d;
	int n;

	if (!ip_stream(dest->scheme)) {
		sipc__why_set(why, whylen,
			      "a proxy carries TCP streams (tcp://, tls://), not %s:// endpoints",
			      sipc_scheme_name(dest->scheme));
		return SIPC_EKIND;
	}
	if (dest->host_kind == SIPC__HOST_ANY) {
		sipc__why_set(why, whylen, "through a proxy, the URL needs a host to connect to");
		return SIPC_EURL_HOST;
	}
	memset(&d, 0, sizeof(d));
	d.port = dest->port;
	if (dest->host_kind == SIPC__HOST_NAME && sipc__proxy_sends_name(px->kind)) {
		/* The URL parser let only letters, digits, '-', '_' and '.'
		 * through: nothing that could end a request line. */
		if (strlen(dest->host) > SIPC__PROXY_NAME_MAX) {
			sipc__why_set(why, whylen,
				      "host name longer than %d bytes cannot be sent "
				      "to a proxy",
				      SIPC__PROXY_NAME_MAX);
			return SIPC_EURL_HOST;
		}
		snprintf(d.name, sizeof(d.name), "%s", dest->host);
		*out = d;
		return 0;
	}
	/* An address literal, or a name resolved here (socks5, socks4):
	 * no DNS query for a literal. */
	n = sipc_url_resolve(dest, false, addrs, sizeof(addrs) / sizeof(addrs[0]));
	if (n < 0) {
		sipc__why_set(why, whylen, "resolving %s here, for the %s proxy", dest->host,
			      sipc__proxy_kind_name(px->kind));
		return n;
	}
	for (int i = 0; i < n; i++) {
		if (px->kind == SIPC__PROXY_SOCKS4 || px->kind == SIPC__PROXY_SOCKS4A) {
			if (addrs[i].ss.ss_family != AF_INET)
				continue;
		}
		d.addr = addrs[i];
		*out = d;
		return 0;
	}
	sipc__why_set(why, whylen,
		      "SOCKS4 carries IPv4 addresses only, and %s has none (use socks5://)",
		      dest->host);
	return SIPC_ERESOLVE_FAMILY;
}

const char *sipc__proxy_dest_text(const struct sipc__proxy_dest *d, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (d->name[0] != '\0') {
		snprintf(buf, len, "%s:%d", d->name, d->port);
	} else if (d->addr.ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)&d->addr.ss)->sin6_addr, a,
			  sizeof(a));
		snprintf(buf, len, "[%s]:%d", a, d->port);
	} else {
		inet_ntop(AF_INET, &((const struct sockaddr_in *)&d->addr.ss)->sin_addr, a,
			  sizeof(a));
		snprintf(buf, len, "%s:%d", a, d->port);
	}
	return buf;
}

const char *sipc__proxy_escape(const uint8_t *buf, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	if (cap == 0)
		return out;
	for (size_t i = 0; i < n && k + 5 < cap; i++) {
		if (buf[i] >= 0x20 && buf[i] <= 0x7e && buf[i] != '"' && buf[i] != '\\')
			out[k++] = (char)buf[i];
		else
			k += (size_t)snprintf(out + k, cap - k, "\\x%02x", buf[i]);
	}
	out[k] = '\0';
	return out;
}

size_t sipc__http_header_end(const uint8_t *buf, size_t n)
{
	/* RFC 9112 2.2: a recipient may take a bare LF as a line end, so
	 * the header ends at the first line that is empty either way. */
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n')
			continue;
		if (i + 1 < n && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

void sipc__proxy_start(struct sipc__proxy_hs *hs, const struct sipc__proxy_url *px,
		       const struct sipc__proxy_dest *dest, sipc_trace_fn *trace, void *trace_arg)
{
	memset(hs, 0, sizeof(*hs));
	hs->px = px;
	hs->dest = *dest;
	hs->trace = trace;
	hs->trace_arg = trace_arg;
	switch (px->kind) {
	case SIPC__PROXY_SOCKS5:
	case SIPC__PROXY_SOCKS5H:
		sipc__socks5_begin(hs);
		break;
	case SIPC__PROXY_SOCKS4:
	case SIPC__PROXY_SOCKS4A:
		sipc__socks4_begin(hs);
		break;
	case SIPC__PROXY_HTTP:
		sipc__http_begin(hs);
		break;
	}
}

static int judge(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	switch (hs->px->kind) {
	case SIPC__PROXY_SOCKS5:
	case SIPC__PROXY_SOCKS5H:
		return sipc__socks5_reply(hs, why, whylen);
	case SIPC__PROXY_SOCKS4:
	case SIPC__PROXY_SOCKS4A:
		return sipc__socks4_reply(hs, why, whylen);
	case SIPC__PROXY_HTTP:
		return sipc__http_reply(hs, why, whylen);
	}
	return -EINVAL;
}

static int closed_early(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	if (hs->in_have == 0 && !hs->replied)
		sipc__why_set(why, whylen, "the %s proxy closed the connection without a reply",
			      sipc__proxy_kind_name(hs->px->kind));
	else if (hs->in_need > 0)
		sipc__why_set(why, whylen,
			      "the %s proxy closed the connection in the middle of its reply "
			      "(%zu of %zu bytes)",
			      sipc__proxy_kind_name(hs->px->kind), hs->in_have, hs->in_need);
	else
		sipc__why_set(why, whylen,
			      "the %s proxy closed the connection in the middle of its reply "
			      "header (%zu bytes, no empty line)",
			      sipc__proxy_kind_name(hs->px->kind), hs->in_have);
	return SIPC_EPROXY;
}

/* HTTP: peek at what came, take only up to the end of the header. */
static ssize_t read_header(struct sipc__proxy_hs *hs, int fd, bool *complete)
{
	size_t room = sizeof(hs->in) - hs->in_have, end, take;
	ssize_t n = sipc__sys_recv(fd, hs->in + hs->in_have, room, MSG_PEEK | MSG_DONTWAIT);

	*complete = false;
	if (n <= 0)
		return n;
	end = sipc__http_header_end(hs->in, hs->in_have + (size_t)n);
	take = end > 0 ? end - hs->in_have : (size_t)n;
	n = sipc__sys_recv(fd, hs->in + hs->in_have, take, MSG_DONTWAIT);
	if (n > 0) {
		hs->in_have += (size_t)n;
		*complete = end > 0 && hs->in_have == end;
	}
	return n;
}

int sipc__proxy_step(struct sipc__proxy_hs *hs, int fd, char *why, size_t whylen)
{
	ssize_t n;
	int rc;

	for (int i = 0; i < STEP_MAX; i++) {
		bool complete = false;

		if (hs->out_sent < hs->out_len) {
			n = sipc__sys_send(fd, hs->out + hs->out_sent, hs->out_len - hs->out_sent,
					   MSG_DONTWAIT);
			if (n == -EAGAIN)
				return SIPC__PROXY_WANT_WRITE;
			if (n < 0) {
				sipc__why_set(why, whylen, "sending to the %s proxy",
					      sipc__proxy_kind_name(hs->px->kind));
				return (int)n;
			}
			hs->out_sent += (size_t)n;
			continue;
		}
		if (hs->in_need == 0) {
			n = read_header(hs, fd, &complete);
		} else if (hs->in_have < hs->in_need) {
			n = sipc__sys_recv(fd, hs->in + hs->in_have, hs->in_need - hs->in_have,
					   MSG_DONTWAIT);
			if (n > 0)
				hs->in_have += (size_t)n;
			complete = hs->in_have == hs->in_need;
		} else {
			n = 1;
			complete = true;
		}
		if (n == -EAGAIN)
			return SIPC__PROXY_WANT_READ;
		if (n == 0)
			return closed_early(hs, why, whylen);
		if (n < 0) {
			sipc__why_set(why, whylen, "reading the %s proxy's reply",
				      sipc__proxy_kind_name(hs->px->kind));
			return (int)n;
		}
		hs->replied = true;
		if (!complete) {
			if (hs->in_need == 0 && hs->in_have == sizeof(hs->in)) {
				sipc__why_set(why, whylen,
					      "the HTTP proxy's reply header is longer than %d "
					      "bytes",
					      SIPC__PROXY_HTTP_MAX);
				return SIPC_EPROXY;
			}
			continue;
		}
		rc = judge(hs, why, whylen);
		if (rc <= 0)
			return rc;
		/* rc > 0: the protocol queued its next request or read. */
	}
	return hs->out_sent < hs->out_len ? SIPC__PROXY_WANT_WRITE : SIPC__PROXY_WANT_READ;
}
