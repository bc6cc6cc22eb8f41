/*
 * socks5.c - the SOCKS5 client handshake (RFC 1928, and RFC 1929 for the
 * user name and password), as steps of proxy.h's state machine: the
 * greeting with the methods we can do, the method the proxy picked (and
 * the sub-negotiation if that is username/password), the CONNECT request
 * with the destination as a name (socks5h) or an address (socks5), and
 * the reply, whose length depends on its address type: read in two parts
 * (the fixed head, then the bound address) so that not one byte of the
 * destination's is taken.  A reply code the caller already has a code for
 * (refused, host or network unreachable, TTL expired) comes back as that
 * code, so a caller tells a closed port from a refusing proxy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"
#include "proxy/proxy.h"
#include "trace.h"
#include "why.h"

enum { S5_METHOD = 1, S5_AUTH, S5_HEAD, S5_BOUND, S5_BOUND_NAME };

#define VER         0x05
#define AUTH_VER    0x01 /* RFC 1929's sub-negotiation version */
#define M_NONE      0x00
#define M_USERPASS  0x02
#define M_NOTHING   0xff
#define CMD_CONNECT 0x01
#define ATYP_V4     0x01
#define ATYP_NAME   0x03
#define ATYP_V6     0x04

static const char *kind(const struct sipc__proxy_hs *hs)
{
	return sipc__proxy_kind_name(hs->px->kind);
}

/* RFC 1928 section 6, in words, and the code a caller already knows for
 * the replies that are about the destination rather than the proxy. */
static int reply_code(uint8_t rep, const char **words)
{
	switch (rep) {
	case 0x01:
		*words = "general SOCKS server failure";
		return SIPC_EPROXY;
	case 0x02:
		*words = "connection not allowed by ruleset";
		return SIPC_EPROXY;
	case 0x03:
		*words = "network unreachable";
		return -ENETUNREACH;
	case 0x04:
		*words = "host unreachable";
		return -EHOSTUNREACH;
	case 0x05:
		*words = "connection refused (by the destination)";
		return -ECONNREFUSED;
	case 0x06:
		*words = "TTL expired";
		return SIPC_ETIMEDOUT;
	case 0x07:
		*words = "command not supported";
		return SIPC_EPROXY;
	case 0x08:
		*words = "address type not supported";
		return SIPC_EPROXY;
	default:
		*words = "unassigned reply code";
		return SIPC_EPROXY;
	}
}

static void expect(struct sipc__proxy_hs *hs, int state, size_t need)
{
	hs->state = state;
	hs->in_have = 0;
	hs->in_need = need;
}

static void queue(struct sipc__proxy_hs *hs, size_t len)
{
	hs->out_len = len;
	hs->out_sent = 0;
}

void sipc__socks5_begin(struct sipc__proxy_hs *hs)
{
	size_t k = 0;

	/* Offer username/password only with credentials to give; a proxy
	 * that needs them then says so by refusing "no authentication". */
	hs->out[k++] = VER;
	hs->out[k++] = hs->px->has_user ? 2 : 1;
	hs->out[k++] = M_NONE;
	if (hs->px->has_user)
		hs->out[k++] = M_USERPASS;
	queue(hs, k);
	expect(hs, S5_METHOD, 2);
}

static void connect_request(struct sipc__proxy_hs *hs)
{
	const struct sipc__proxy_dest *d = &hs->dest;
	size_t k = 0, n;

	hs->out[k++] = VER;
	hs->out[k++] = CMD_CONNECT;
	hs->out[k++] = 0x00;
	if (d->name[0] != '\0') {
		n = strlen(d->name); /* at most 255: proxy_dest_make */
		hs->out[k++] = ATYP_NAME;
		hs->out[k++] = (uint8_t)n;
		memcpy(hs->out + k, d->name, n);
		k += n;
	} else if (d->addr.ss.ss_family == AF_INET6) {
		hs->out[k++] = ATYP_V6;
		memcpy(hs->out + k, &((const struct sockaddr_in6 *)&d->addr.ss)->sin6_addr, 16);
		k += 16;
	} else {
		hs->out[k++] = ATYP_V4;
		memcpy(hs->out + k, &((const struct sockaddr_in *)&d->addr.ss)->sin_addr, 4);
		k += 4;
	}
	hs->out[k++] = (uint8_t)(d->port >> 8);
	hs->out[k++] = (uint8_t)(d->port & 0xff);
	queue(hs, k);
	expect(hs, S5_HEAD, 4);
}

static void auth_request(struct sipc__proxy_hs *hs)
{
	size_t k = 0;

	hs->out[k++] = AUTH_VER;
	hs->out[k++] = (uint8_t)hs->px->user_len;
	memcpy(hs->out + k, hs->px->user, hs->px->user_len);
	k += hs->px->user_len;
	hs->out[k++] = (uint8_t)hs->px->pass_len;
	memcpy(hs->out + k, hs->px->pass, hs->px->pass_len);
	k += hs->px->pass_len;
	queue(hs, k);
	expect(hs, S5_AUTH, 2);
}

static int not_socks5(struct sipc__proxy_hs *hs, const char *where, char *why, size_t whylen)
{
	char shown[64];

	sipc__why_set(why, whylen, "the %s proxy's %s is not SOCKS5: \"%s\"", kind(hs), where,
		      sipc__proxy_escape(hs->in, hs->in_have, shown, sizeof(shown)));
	return SIPC_EPROXY;
}

static int on_method(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	uint8_t m = hs->in[1];

	if (hs->in[0] != VER)
		return not_socks5(hs, "greeting reply", why, whylen);
	if (m == M_NONE) {
		sipc__tracef(hs->trace, hs->trace_arg, "proxy %s method = no authentication",
			     kind(hs));
		connect_request(hs);
		return 1;
	}
	if (m == M_USERPASS && hs->px->has_user) {
		sipc__tracef(hs->trace, hs->trace_arg, "proxy %s method = username/password",
			     kind(hs));
		auth_request(hs);
		return 1;
	}
	sipc__tracef(hs->trace, hs->trace_arg, "proxy %s method = 0x%02x refused", kind(hs), m);
	if (m == M_NOTHING && !hs->px->has_user)
		sipc__why_set(why, whylen,
			      "the SOCKS5 proxy requires authentication: give a user and "
			      "password in the proxy URL (%s://USER:PASS@HOST:PORT)",
			      kind(hs));
	else if (m == M_NOTHING)
		sipc__why_set(why, whylen,
			      "the SOCKS5 proxy accepts neither no authentication nor "
			      "username/password (method 0xff)");
	else
		sipc__why_set(why, whylen,
			      "the SOCKS5 proxy chose method 0x%02x, which was not offered", m);
	return SIPC_EPROXY;
}

static int on_auth(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	char user[64];

	sipc__proxy_escape((const uint8_t *)hs->px->user, hs->px->user_len, user, sizeof(user));
	if (hs->in[0] != AUTH_VER)
		return not_socks5(hs, "username/password reply", why, whylen);
	if (hs->in[1] != 0x00) {
		sipc__tracef(hs->trace, hs->trace_arg, "proxy %s auth user=%s = refused (0x%02x)",
			     kind(hs), user, hs->in[1]);
		sipc__why_set(why, whylen,
			      "the SOCKS5 proxy refused user '%s' and its password (status 0x%02x)",
			      user, hs->in[1]);
		return SIPC_EPROXY;
	}
	sipc__tracef(hs->trace, hs->trace_arg, "proxy %s auth user=%s = ok", kind(hs), user);
	connect_request(hs);
	return 1;
}

static int on_head(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	char dest[SIPC__PROXY_NAME_MAX + 16];
	const char *words;
	int rc;

	sipc__proxy_dest_text(&hs->dest, dest, sizeof(dest));
	if (hs->in[0] != VER || hs->in[2] != 0x00)
		return not_socks5(hs, "CONNECT reply", why, whylen);
	if (hs->in[1] != 0x00) {
		rc = reply_code(hs->in[1], &words);
		sipc__tracef(hs->trace, hs->trace_arg, "proxy %s CONNECT %s = 0x%02x %s", kind(hs),
			     dest, hs->in[1], words);
		sipc__why_set(why, whylen, "SOCKS5 reply 0x%02x: %s", hs->in[1], words);
		return rc;
	}
	switch (hs->in[3]) {
	case ATYP_V4:
		expect(hs, S5_BOUND, 4 + 4 + 2);
		break;
	case ATYP_V6:
		expect(hs, S5_BOUND, 4 + 16 + 2);
		break;
	case ATYP_NAME:
		expect(hs, S5_BOUND_NAME, 4 + 1);
		break;
	default:
		sipc__why_set(why, whylen,
			      "the SOCKS5 proxy's CONNECT reply has address type 0x%02x (not 1, "
			      "3 or 4)",
			      hs->in[3]);
		return SIPC_EPROXY;
	}
	/* The head stays: the bound address is read after it. */
	hs->in_have = 4;
	return 1;
}

static int on_bound(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	char dest[SIPC__PROXY_NAME_MAX + 16], bound[SIPC__PROXY_NAME_MAX * 4 + 16] = "?";
	char a[INET6_ADDRSTRLEN];
	size_t n = hs->in_have;
	int port = (hs->in[n - 2] << 8) | hs->in[n - 1];

	if (hs->state == S5_BOUND_NAME && hs->in_need == 5) {
		/* The name's length byte: a name of none is no address. */
		if (hs->in[4] == 0) {
			sipc__why_set(why, whylen,
				      "the SOCKS5 proxy's CONNECT reply has an empty bound name");
			return SIPC_EPROXY;
		}
		hs->in_need = 5 + hs->in[4] + 2;
		return 1;
	}
	if (hs->in[3] == ATYP_V4)
		snprintf(bound, sizeof(bound), "%s:%d",
			 inet_ntop(AF_INET, hs->in + 4, a, sizeof(a)), port);
	else if (hs->in[3] == ATYP_V6)
		snprintf(bound, sizeof(bound), "[%s]:%d",
			 inet_ntop(AF_INET6, hs->in + 4, a, sizeof(a)), port);
	else {
		sipc__proxy_escape(hs->in + 5, hs->in[4], bound, sizeof(bound) - 8);
		snprintf(bound + strlen(bound), 8, ":%d", port);
	}
	sipc__tracef(hs->trace, hs->trace_arg, "proxy %s CONNECT %s = granted (bound %s)", kind(hs),
		     sipc__proxy_dest_text(&hs->dest, dest, sizeof(dest)), bound);
	return SIPC__PROXY_DONE;
}

int sipc__socks5_reply(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	switch (hs->state) {
	case S5_METHOD:
		return on_method(hs, why, whylen);
	case S5_AUTH:
		return on_auth(hs, why, whylen);
	case S5_HEAD:
		return on_head(hs, why, whylen);
	case S5_BOUND:
	case S5_BOUND_NAME:
		return on_bound(hs, why, whylen);
	}
	return -EINVAL;
}
