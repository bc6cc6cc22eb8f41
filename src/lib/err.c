/*
 * err.c - sipc_strerror(), the text for every code the library returns:
 * its own SIPC_E... codes (one switch with no default, so -Wswitch names a
 * code that has no text) and -errno values through the system layer
 * (strerrordesc_np() on glibc: static, unlocalised and thread-safe).
 * Also the one way a detail sentence goes into a caller's WHY buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sockipc.h"
#include "sys/sys.h"
#include "why.h"

static const char *own_error(enum sipc_error e)
{
	switch (e) {
	case SIPC_EURL_SYNTAX:
		return "Malformed URL (expected SCHEME://ADDRESS)";
	case SIPC_EURL_SCHEME:
		return "Unknown URL scheme";
	case SIPC_EURL_HOST:
		return "Invalid host in URL";
	case SIPC_EURL_IPV6:
		return "Invalid IPv6 address in URL (write it in [brackets])";
	case SIPC_EURL_ZONE:
		return "Invalid or unknown IPv6 zone in URL";
	case SIPC_EURL_NOPORT:
		return "Missing port in URL";
	case SIPC_EURL_PORT:
		return "Invalid port in URL (expected 0-65535)";
	case SIPC_EURL_SERVICE:
		return "Unknown service name in URL";
	case SIPC_EURL_NOPATH:
		return "Missing path in unix URL";
	case SIPC_EURL_PATHLEN:
		return "Unix socket path too long";
	case SIPC_EURL_FAMILY:
		return "Address family does not match the URL scheme";
	case SIPC_EURL_OPTION:
		return "Invalid socket option in URL";
	case SIPC_ERESOLVE_NOHOST:
		return "Name or service not known";
	case SIPC_ERESOLVE_AGAIN:
		return "Temporary failure in name resolution";
	case SIPC_ERESOLVE_FAIL:
		return "Non-recoverable failure in name resolution";
	case SIPC_ERESOLVE_FAMILY:
		return "Host has no address in the requested family";
	case SIPC_ERESOLVE_SERVICE:
		return "Service not supported for socket type";
	case SIPC_ERESOLVE_OTHER:
		return "Name resolution failed";
	case SIPC_EMSGSIZE:
		return "Message too large";
	case SIPC_ETRUNC:
		return "Datagram larger than the receive buffer (dropped)";
	case SIPC_ETIMEDOUT:
		return "Timed out";
	case SIPC_ECLOSED:
		return "Connection closed by peer";
	case SIPC_EPARTIAL:
		return "Connection closed by peer in the middle of a message";
	case SIPC_EKIND:
		return "Operation not supported on this kind of endpoint";
	case SIPC_ETLS_CONFIG:
		return "TLS configuration unusable (certificate, key, CA or option)";
	case SIPC_ETLS_HANDSHAKE:
		return "TLS handshake failed";
	case SIPC_ETLS_UNKNOWN_CA:
		return "TLS peer certificate not signed by a trusted CA";
	case SIPC_ETLS_HOSTNAME:
		return "TLS peer certificate is for another host name";
	case SIPC_ETLS_EXPIRED:
		return "TLS peer certificate has expired";
	case SIPC_ETLS_NOT_YET_VALID:
		return "TLS peer certificate is not valid yet";
	case SIPC_ETLS_PIN:
		return "TLS peer certificate does not match the pinned fingerprint";
	case SIPC_ETLS_NO_PEER_CERT:
		return "TLS peer sent no certificate, and one is required";
	case SIPC_ETLS_VERSION:
		return "No TLS protocol version in common with the peer";
	case SIPC_ETLS_NOT_TLS:
		return "The peer does not speak TLS";
	case SIPC_ETLS_TRUNCATED:
		return "TLS stream ended without close_notify (truncated)";
	case SIPC_ETLS_PEER_ALERT:
		return "TLS peer refused the handshake";
	case SIPC_ETLS_CERT:
		return "TLS peer certificate rejected";
	case SIPC_EPROXY:
		return "The proxy refused or failed";
	case SIPC_EFDTRUNC:
		return "More descriptors came than there was room for";
	case SIPC_ENOFDS:
		return "The message came without the expected descriptors";
	case SIPC_ESHM_CORRUPT:
		return "The peer corrupted the shared-memory ring";
	case SIPC_ESHM_HANDSHAKE:
		return "The peer's shared-memory set-up failed";
	case SIPC_ENOTSUP:
		return "Not supported on this system";
	case SIPC_EBUFSIZE:
		return "Buffer too small";
	case SIPC_EBROKEN:
		return "Stream no longer framed after an earlier error";
	case SIPC_EOUTOFSTEP:
		return "Endpoint out of step after a timeout (a late reply would pass for the "
		       "next)";
	}
	return NULL;
}

const char *sipc_strerror(int code)
{
	const char *s;

	if (code >= 0)
		return "Success";
	s = own_error((enum sipc_error)code);
	if (s != NULL)
		return s;
	/* Negate only inside int range: -INT_MIN would overflow. */
	if (code > -4096) {
		s = sipc__sys_errtext(-code);
		if (s != NULL)
			return s;
	}
	return "Unknown error";
}

void sipc__why_set(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}
