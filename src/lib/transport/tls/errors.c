/*
 * errors.c - turning a failed OpenSSL call into one SIPC_ETLS_* code (or
 * -errno, or 0 for a clean close_notify) and a sentence a user can act on,
 * kept in ep->why: the names, date or fingerprints the verify callback
 * wrote down, what a peer that does not speak TLS sent instead, the alert
 * a peer refused us with, and always OpenSSL's own reason at the end.  A
 * stream that ends without close_notify is a truncation (RFC 8446 6.1),
 * never a clean end.  The failure of a handshake is also traced.
 */
#include <errno.h>
#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/sys.h"
#include "trace.h"
#include "transport/tls/tls.h"

/* Room for the longest sentence plus OpenSSL's reason. */
#define WHY_CAP SIPC_WHY_MAX

const char *sipc__tls_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snprintf(buf, len, "%s", r);
	else if (e != 0)
		snprintf(buf, len, "error %d", ERR_GET_REASON(e));
	else
		snprintf(buf, len, "%s", "no further detail");
	return buf;
}

/* Whether the first bytes the peer sent can start a TLS record: a content
 * type of 20-24 and a major version of 3 (RFC 8446 5.1). */
static bool looks_tls(const struct sipc__tls_conn *c)
{
	if (c->first_len == 0)
		return true;
	if (c->first[0] < 20 || c->first[0] > 24)
		return false;
	return c->first_len < 2 || c->first[1] == 3;
}

/* The bytes that came first may be fewer than the sentence quotes; take
 * what else has come (the connection is over anyway). */
static void more_first(struct sipc__tls_conn *c)
{
	ssize_t n;

	if (c->first_len >= sizeof(c->first))
		return;
	n = sipc__sys_recv(c->fd, c->first + c->first_len, sizeof(c->first) - c->first_len,
			   MSG_DONTWAIT);
	if (n > 0)
		c->first_len += (size_t)n;
}

/* A client that gets its own ClientHello back talks to an echo server. */
static bool echoed_hello(const struct sipc__tls_conn *c)
{
	return !SSL_is_server(c->ssl) && c->first_len >= 6 && c->first[0] == 22 && c->first[5] == 1;
}

/* The alert number behind an SSL_R_*_ALERT_* reason, or -1.  OpenSSL
 * makes those reasons SSL_AD_REASON_OFFSET + the alert (ssl_local.h). */
static int alert_of(unsigned long e)
{
	int r = ERR_GET_REASON(e);

	if (ERR_GET_LIB(e) != ERR_LIB_SSL || r < 1000 || r > 1255)
		return -1;
	return r - 1000;
}

/* The code and sentence of an SSL_ERROR_SSL (WHY gets the sentence; the
 * caller adds OpenSSL's reason). */
static int ssl_failure(struct sipc__tls_conn *c, bool handshake, char *why, size_t len)
{
	unsigned long e = ERR_peek_last_error();
	int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
	int alert = alert_of(e);
	char sent[64];

	if (c->vcode != 0) {
		snprintf(why, len, "%s", c->vwhy);
		return c->vcode;
	}
	if (handshake && (echoed_hello(c) || !looks_tls(c))) {
		more_first(c);
		if (echoed_hello(c))
			snprintf(why, len,
				 "the peer does not speak TLS: it sent our ClientHello back (an "
				 "echo server?)");
		else {
			sipc__tls_escape(sent, sizeof(sent), c->first, c->first_len);
			snprintf(why, len, "the peer does not speak TLS: it sent '%s%s'", sent,
				 c->first_len == sizeof(c->first) ? "..." : "");
		}
		return SIPC_ETLS_NOT_TLS;
	}
	switch (reason) {
	case SSL_R_UNEXPECTED_EOF_WHILE_READING:
		if (handshake) {
			snprintf(why, len, "the peer closed the connection during the handshake%s",
				 c->first_len == 0 ? ", before it sent anything" : "");
			return SIPC_ETLS_HANDSHAKE;
		}
		snprintf(why, len,
			 "the connection ended without TLS close_notify: the data may have been "
			 "cut short (truncation attack, or the peer crashed)");
		return SIPC_ETLS_TRUNCATED;
	case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
		snprintf(why, len, "the client sent no certificate, and this server requires one");
		return SIPC_ETLS_NO_PEER_CERT;
	case SSL_R_UNSUPPORTED_PROTOCOL:
	case SSL_R_NO_PROTOCOLS_AVAILABLE:
	case SSL_R_WRONG_SSL_VERSION:
	case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
		if (SSL_is_server(c->ssl) && SSL_client_version(c->ssl) < TLS1_3_VERSION &&
		    SSL_client_version(c->ssl) > 0)
			snprintf(why, len, "the peer offers at most %s, we require %s or later",
				 SSL_client_version(c->ssl) == TLS1_2_VERSION   ? "TLS 1.2"
				 : SSL_client_version(c->ssl) == TLS1_1_VERSION ? "TLS 1.1"
										: "TLS 1.0",
				 c->snap->min_version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2");
		else
			snprintf(why, len,
				 "no protocol version in common with the peer (we allow %s and "
				 "later)",
				 c->snap->min_version == TLS1_3_VERSION ? "TLS 1.3" : "TLS 1.2");
		return SIPC_ETLS_VERSION;
	case SSL_R_NO_APPLICATION_PROTOCOL:
	case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
		snprintf(why, len, "no ALPN protocol in common with the peer");
		return SIPC_ETLS_HANDSHAKE;
	case SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED:
		snprintf(why, len,
			 "the peer requires a client certificate, and we sent none (alert "
			 "certificate required)");
		return SIPC_ETLS_PEER_ALERT;
	}
	if (alert >= 0) {
		const char *name = SSL_alert_desc_string_long(alert);

		if (alert == SSL_AD_UNKNOWN_CA || alert == SSL_AD_BAD_CERTIFICATE ||
		    alert == SSL_AD_CERTIFICATE_UNKNOWN || alert == SSL_AD_CERTIFICATE_EXPIRED)
			snprintf(why, len, "the peer refused our certificate (alert '%s')", name);
		else
			snprintf(why, len, "the peer refused the %s (alert '%s')",
				 handshake ? "handshake" : "connection", name);
		return SIPC_ETLS_PEER_ALERT;
	}
	snprintf(why, len, "the TLS %s failed", handshake ? "handshake" : "connection");
	/* After the handshake, a record that does not decrypt or parse is a
	 * protocol error on an established connection. */
	return handshake ? SIPC_ETLS_HANDSHAKE : -EPROTO;
}

int sipc__tls_error(sipc_endpoint *ep, struct sipc__tls_conn *c, int ret, bool handshake)
{
	int err = SSL_get_error(c->ssl, ret);
	char why[WHY_CAP], reason[160];
	int code;

	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		if (!handshake)
			return 0; /* close_notify: a clean end */
		snprintf(why, sizeof(why), "the peer closed the connection during the handshake");
		code = SIPC_ETLS_HANDSHAKE;
		break;
	case SSL_ERROR_SYSCALL:
		if (c->io_err < 0) {
			/* The socket failed (reset, broken pipe): as for tcp. */
			code = c->io_err;
			snprintf(why, sizeof(why), "%s", sipc_strerror(code));
			break;
		}
		/* OpenSSL 3 reports a bare end of stream as SSL_ERROR_SSL;
		 * keep this for an error queue that says nothing. */
		code = ssl_failure(c, handshake, why, sizeof(why));
		break;
	default:
		code = ssl_failure(c, handshake, why, sizeof(why));
		break;
	}
	if (code != c->io_err) /* a TLS failure, not the socket's: OpenSSL's word too */
		sipc__ep_why(ep, "%s (OpenSSL: %s)", why, sipc__tls_reason(reason, sizeof(reason)));
	else
		sipc__ep_why(ep, "%s", why);
	ERR_clear_error();
	c->fatal = code;
	/* The alert OpenSSL sent for it goes now, not at close: the peer
	 * learns why at once. */
	sipc__tls_out_flush(c);
	if (handshake && ep->trace)
		sipc__tracef(ep->trace, ep->trace_arg, "tls_handshake(%d) = -1 (%s): %s", ep->fd,
			     sipc_strerror(code), ep->why ? ep->why : "");
	return code;
}
