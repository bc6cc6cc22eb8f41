/*
 * socks4.c - the SOCKS4 and SOCKS4A client handshake, as steps of
 * proxy.h's state machine: one request (version 4, CONNECT, port, IPv4
 * address, user id and a NUL; for 4A with a name, the address 0.0.0.1
 * and the name after the user id, as the SOCKS4A note of Ying-Da Lee
 * says) and one reply of exactly 8 bytes, whose version byte must be 0
 * and whose code is 90 (granted) or one of 91-93.  SOCKS4 has no
 * password and no code that tells a refused destination from a refusing
 * proxy: 91 is "rejected or failed", so it is SIPC_EPROXY.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"
#include "proxy/proxy.h"
#include "trace.h"
#include "why.h"

#define VER4        0x04
#define CMD_CONNECT 0x01
#define REPLY_LEN   8

void sipc__socks4_begin(struct sipc__proxy_hs *hs)
{
	const struct sipc__proxy_dest *d = &hs->dest;
	size_t k = 0;

	hs->out[k++] = VER4;
	hs->out[k++] = CMD_CONNECT;
	hs->out[k++] = (uint8_t)(d->port >> 8);
	hs->out[k++] = (uint8_t)(d->port & 0xff);
	if (d->name[0] != '\0') {
		static const uint8_t socks4a_marker[4] = {0, 0, 0, 1};

		memcpy(hs->out + k, socks4a_marker, 4);
	} else {
		memcpy(hs->out + k, &((const struct sockaddr_in *)&d->addr.ss)->sin_addr, 4);
	}
	k += 4;
	/* The user id: no NUL inside (proxy URL parser), at most 255. */
	memcpy(hs->out + k, hs->px->user, hs->px->user_len);
	k += hs->px->user_len;
	hs->out[k++] = 0x00;
	if (d->name[0] != '\0') {
		size_t n = strlen(d->name);

		memcpy(hs->out + k, d->name, n);
		k += n;
		hs->out[k++] = 0x00;
	}
	hs->out_len = k;
	hs->out_sent = 0;
	hs->in_have = 0;
	hs->in_need = REPLY_LEN;
}

int sipc__socks4_reply(struct sipc__proxy_hs *hs, char *why, size_t whylen)
{
	char dest[SIPC__PROXY_NAME_MAX + 16], shown[64];
	const char *kind = sipc__proxy_kind_name(hs->px->kind), *words;

	sipc__proxy_dest_text(&hs->dest, dest, sizeof(dest));
	if (hs->in[0] != 0x00) {
		sipc__why_set(why, whylen, "the %s proxy's reply is not SOCKS4: \"%s\"", kind,
			      sipc__proxy_escape(hs->in, hs->in_have, shown, sizeof(shown)));
		return SIPC_EPROXY;
	}
	switch (hs->in[1]) {
	case 90:
		sipc__tracef(hs->trace, hs->trace_arg, "proxy %s CONNECT %s = granted", kind, dest);
		return SIPC__PROXY_DONE;
	case 91:
		words = "request rejected or failed";
		break;
	case 92:
		words = "rejected: the proxy cannot reach our identd";
		break;
	case 93:
		words = "rejected: identd reports a different user id";
		break;
	default:
		sipc__why_set(why, whylen, "the %s proxy's reply code %d is not SOCKS4 (90-93)",
			      kind, hs->in[1]);
		return SIPC_EPROXY;
	}
	sipc__tracef(hs->trace, hs->trace_arg, "proxy %s CONNECT %s = %d %s", kind, dest, hs->in[1],
		     words);
	sipc__why_set(why, whylen, "SOCKS4 reply %d: %s", hs->in[1], words);
	return SIPC_EPROXY;
}
