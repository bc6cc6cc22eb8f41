/*
 * scheme.c - the table of URL schemes: each scheme's name and the socket
 * type and properties that follow from it.  Every other module asks these
 * functions instead of switching on sipc_scheme itself, so a new scheme is
 * added here and in the URL parser only.
 */

#include "sys/net.h"
#include "sockipc.h"
#include "transport/transport.h"

const char *sipc_scheme_name(sipc_scheme s)
{
	switch (s) {
	case SIPC_SCHEME_NONE:
		return "";
	case SIPC_TCP:
		return "tcp";
	case SIPC_TCP4:
		return "tcp4";
	case SIPC_TCP6:
		return "tcp6";
	case SIPC_UDP:
		return "udp";
	case SIPC_UDP4:
		return "udp4";
	case SIPC_UDP6:
		return "udp6";
	case SIPC_UNIX:
		return "unix";
	case SIPC_UNIXGRAM:
		return "unixgram";
	case SIPC_UNIXPACKET:
		return "unixpacket";
	case SIPC_TLS:
		return "tls";
	case SIPC_TLS4:
		return "tls4";
	case SIPC_TLS6:
		return "tls6";
	case SIPC_SHM:
		return "shm";
	}
	/* A value outside the enum (a caller's cast): say nothing rather than lie. */
	return "";
}

int sipc_scheme_socktype(sipc_scheme s)
{
	switch (s) {
	case SIPC_TCP:
	case SIPC_TCP4:
	case SIPC_TCP6:
	case SIPC_TLS:
	case SIPC_TLS4:
	case SIPC_TLS6:
	case SIPC_UNIX:
	case SIPC_SHM:
		return SOCK_STREAM;
	case SIPC_UDP:
	case SIPC_UDP4:
	case SIPC_UDP6:
	case SIPC_UNIXGRAM:
		return SOCK_DGRAM;
	case SIPC_UNIXPACKET:
		return SOCK_SEQPACKET;
	case SIPC_SCHEME_NONE:
		return 0;
	}
	return 0;
}

bool sipc_scheme_is_stream(sipc_scheme s)
{
	return sipc_scheme_socktype(s) == SOCK_STREAM;
}

bool sipc_scheme_is_datagram(sipc_scheme s)
{
	/* Seqpacket keeps message boundaries, so for framing it is a datagram
	 * socket even though it is connected. */
	int t = sipc_scheme_socktype(s);
	return t == SOCK_DGRAM || t == SOCK_SEQPACKET;
}

bool sipc_scheme_is_tls(sipc_scheme s)
{
	return s == SIPC_TLS || s == SIPC_TLS4 || s == SIPC_TLS6;
}

/* The transport's own word: its connections' I/O is the plain socket's
 * (transport.c), so a scheme added with I/O of its own is not raw without
 * a line here. */
bool sipc_scheme_is_raw(sipc_scheme s)
{
	const struct sipc__transport *tp = sipc__transport_for(s);

	return tp != NULL && tp->io == &sipc__conn_ops_sock;
}

bool sipc_scheme_is_unix(sipc_scheme s)
{
	return s == SIPC_UNIX || s == SIPC_UNIXGRAM || s == SIPC_UNIXPACKET || s == SIPC_SHM;
}

bool sipc_scheme_is_connectionless(sipc_scheme s)
{
	return sipc_scheme_socktype(s) == SOCK_DGRAM;
}
