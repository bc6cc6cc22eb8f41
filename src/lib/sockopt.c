/*
 * sockopt.c - puts the socket options of an endpoint's URL (urlopt.c
 * parsed them) on its socket, each at the moment the kernel wants it:
 * before bind what decides which address may be bound or how it is
 * routed (SO_REUSEPORT, SO_BINDTODEVICE, buffers, whose window is
 * advertised in the SYN), before connect what a dial sends with (fast
 * open, buffers, TTL), after listen the fast-open queue, and after bind a
 * multicast join (mcast.c).  Each option is one traced setsockopt through
 * the transport layer, and the first that fails ends the open with
 * "option NAME=VALUE (setsockopt OPTION)" in ep->why, so the user learns
 * which one the kernel refused.  TCP_NODELAY and IPV6_V6ONLY are set by
 * the transports anyway (tcp.c, udp.c), which read the option through
 * sipc__sockopt_flag, so each is set once.  Values go to the kernel as
 * given: Linux doubles SO_RCVBUF and SO_SNDBUF and caps them at
 * net.core.rmem_max/wmem_max, and that is documented, not corrected.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "endpoint.h"
#include "sockopt.h"
#include "transport/transport.h"

/* Room for "option NAME=VALUE" and the sentence after it. */
#define WHY_CAP SIPC_WHY_MAX

void sipc__sockopt_why(sipc_endpoint *ep, enum sipc__opt id, const char *fmt, ...)
{
	char pair[128];
	va_list ap;
	int n;

	if (ep->why == NULL && (ep->why = malloc(WHY_CAP)) == NULL)
		return;
	sipc__urlopt_pair(&ep->sockopts, id, pair, sizeof(pair));
	n = snprintf(ep->why, WHY_CAP, "option %s", pair);
	if (n < 0 || n >= WHY_CAP)
		return;
	va_start(ap, fmt);
	vsnprintf(ep->why + n, WHY_CAP - (size_t)n, fmt, ap);
	va_end(ap);
}

int sipc__sockopt_flag(const sipc_endpoint *ep, enum sipc__opt id, int dflt)
{
	return sipc__opt_has(&ep->sockopts, id) ? (int)ep->sockopts.num[id] : dflt;
}

/* One integer option, traced; on failure the sentence names option ID. */
static int set_int(sipc_endpoint *ep, enum sipc__opt id, int level, int name, const char *optname,
		   int value)
{
	int rc = sipc__tp_setsockopt(ep, ep->fd, level, name, optname, value);

	if (rc < 0)
		sipc__sockopt_why(ep, id, " (setsockopt %s)", optname);
	return rc;
}

/* Option ID, when the URL gave it, with its own value. */
static int set_given(sipc_endpoint *ep, enum sipc__opt id, int level, int name, const char *optname)
{
	if (!sipc__opt_has(&ep->sockopts, id))
		return 0;
	return set_int(ep, id, level, name, optname, (int)ep->sockopts.num[id]);
}

static int keepalive(sipc_endpoint *ep)
{
	const struct sipc__sockopts *o = &ep->sockopts;
	enum sipc__opt first;
	int rc;

	/* Any of the three turns probing on: an interval or a count alone
	 * would change nothing on a socket that never probes. */
	if (sipc__opt_has(o, SIPC__OPT_KEEPALIVE))
		first = SIPC__OPT_KEEPALIVE;
	else if (sipc__opt_has(o, SIPC__OPT_KEEPINTVL))
		first = SIPC__OPT_KEEPINTVL;
	else if (sipc__opt_has(o, SIPC__OPT_KEEPCNT))
		first = SIPC__OPT_KEEPCNT;
	else
		return 0;
	rc = set_int(ep, first, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE", 1);
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_KEEPALIVE, IPPROTO_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE");
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_KEEPINTVL, IPPROTO_TCP, TCP_KEEPINTVL,
			       "TCP_KEEPINTVL");
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_KEEPCNT, IPPROTO_TCP, TCP_KEEPCNT, "TCP_KEEPCNT");
	return rc;
}

static int linger(sipc_endpoint *ep)
{
	struct linger l;
	char text[48];
	int rc;

	if (!sipc__opt_has(&ep->sockopts, SIPC__OPT_LINGER))
		return 0;
	l.l_onoff = 1;
	l.l_linger = (int)ep->sockopts.num[SIPC__OPT_LINGER];
	snprintf(text, sizeof(text), "{l_onoff=1, l_linger=%d}", l.l_linger);
	rc = sipc__tp_setsockopt_raw(ep, ep->fd, SOL_SOCKET, SO_LINGER, "SO_LINGER", &l, sizeof(l),
				     text);
	if (rc < 0)
		sipc__sockopt_why(ep, SIPC__OPT_LINGER, " (setsockopt SO_LINGER)");
	return rc;
}

static int device(sipc_endpoint *ep)
{
	const char *dev = ep->sockopts.device;
	char text[IF_NAMESIZE + 2];
	int rc;

	if (!sipc__opt_has(&ep->sockopts, SIPC__OPT_DEVICE))
		return 0;
	snprintf(text, sizeof(text), "\"%s\"", dev);
	rc = sipc__tp_setsockopt_raw(ep, ep->fd, SOL_SOCKET, SO_BINDTODEVICE, "SO_BINDTODEVICE",
				     dev, (socklen_t)strlen(dev), text);
	if (rc < 0)
		sipc__sockopt_why(ep, SIPC__OPT_DEVICE, " (setsockopt SO_BINDTODEVICE)");
	return rc;
}

/* The unicast TTL and traffic class, by the socket's family. */
static int ip_header(sipc_endpoint *ep, int family)
{
	int rc;

	if (family == AF_INET6) {
		rc = set_given(ep, SIPC__OPT_TTL, IPPROTO_IPV6, IPV6_UNICAST_HOPS,
			       "IPV6_UNICAST_HOPS");
		if (rc == 0)
			rc = set_given(ep, SIPC__OPT_TOS, IPPROTO_IPV6, IPV6_TCLASS, "IPV6_TCLASS");
		return rc;
	}
	rc = set_given(ep, SIPC__OPT_TTL, IPPROTO_IP, IP_TTL, "IP_TTL");
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_TOS, IPPROTO_IP, IP_TOS, "IP_TOS");
	return rc;
}

/* What every new socket takes before bind or connect, listener or dial:
 * accepted connections inherit these from their listener (the kernel
 * clones the listening socket). */
static int common(sipc_endpoint *ep, const sipc_addr *addr)
{
	int rc = 0;

	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_RCVBUF, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_SNDBUF, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_REUSEPORT, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT");
	if (rc == 0)
		rc = device(ep);
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_MARK, SOL_SOCKET, SO_MARK, "SO_MARK");
	if (rc == 0)
		rc = ip_header(ep, addr->ss.ss_family);
	if (rc == 0)
		rc = keepalive(ep);
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_USER_TIMEOUT, IPPROTO_TCP, TCP_USER_TIMEOUT,
			       "TCP_USER_TIMEOUT");
	if (rc == 0)
		rc = linger(ep);
	if (rc == 0)
		rc = set_given(ep, SIPC__OPT_BROADCAST, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST");
	if (rc == 0 && ep->tp->socktype == SOCK_DGRAM && addr->ss.ss_family != AF_UNIX)
		rc = sipc__mcast_sender(ep, addr);
	return rc;
}

static int role_error(sipc_endpoint *ep, enum sipc__opt id, const char *what)
{
	sipc__sockopt_why(ep, id, ": %s", what);
	return SIPC_EURL_OPTION;
}

int sipc__sockopt_apply(sipc_endpoint *ep, const sipc_addr *addr, enum sipc__sockopt_stage stage)
{
	const struct sipc__sockopts *o = &ep->sockopts;
	bool group = ep->tp->socktype == SOCK_DGRAM && sipc__mcast_is_group(addr);
	int rc;

	switch (stage) {
	case SIPC__SO_LISTEN:
		if (sipc__opt_has(o, SIPC__OPT_SOURCE) && !group)
			return role_error(ep, SIPC__OPT_SOURCE,
					  "a source-specific join needs a multicast group "
					  "address to listen on");
		rc = common(ep, addr);
		if (rc == 0 && group)
			rc = sipc__mcast_before_bind(ep, addr);
		return rc;
	case SIPC__SO_LISTENING:
		if (group)
			return sipc__mcast_join(ep, addr);
		if (ep->tp->listens && ep->tp->socktype == SOCK_STREAM)
			return set_given(ep, SIPC__OPT_FASTOPEN, IPPROTO_TCP, TCP_FASTOPEN,
					 "TCP_FASTOPEN");
		return 0;
	case SIPC__SO_DIAL:
		if (sipc__opt_has(o, SIPC__OPT_SOURCE))
			return role_error(ep, SIPC__OPT_SOURCE,
					  "a source-specific join is for listening on a group, "
					  "not for dialing");
		rc = common(ep, addr);
		/* A dialing socket is not bound by the transport, which sets
		 * IPV6_V6ONLY on listeners only: say it when asked. */
		if (rc == 0 && addr->ss.ss_family == AF_INET6)
			rc = set_given(ep, SIPC__OPT_V6ONLY, IPPROTO_IPV6, IPV6_V6ONLY,
				       "IPV6_V6ONLY");
		/* The SYN then leaves with the first write, carrying its
		 * bytes once the server has given this host a cookie (RFC
		 * 7413); until then connect() works as it always does. */
		if (rc == 0 && sipc__opt_has(o, SIPC__OPT_FASTOPEN))
			rc = set_int(ep, SIPC__OPT_FASTOPEN, IPPROTO_TCP, TCP_FASTOPEN_CONNECT,
				     "TCP_FASTOPEN_CONNECT", o->num[SIPC__OPT_FASTOPEN] != 0);
		return rc;
	}
	return -EINVAL;
}

int sipc__sockopt_dial_fd(int fd, const struct sipc__sockopts *o, const sipc_addr *addr, char *why,
			  size_t whylen)
{
	sipc_endpoint ep;
	int rc;

	/* An endpoint of the stack, for the one function that applies
	 * options: it owns nothing but the sentence of a failure. */
	memset(&ep, 0, sizeof(ep));
	ep.fd = fd;
	ep.scheme = addr->scheme;
	ep.tp = sipc__transport_for(addr->scheme);
	ep.sockopts = *o;
	if (ep.tp == NULL)
		return -EINVAL;
	rc = sipc__sockopt_apply(&ep, addr, SIPC__SO_DIAL);
	if (rc == 0 && ep.tp->socktype == SOCK_STREAM && addr->ss.ss_family != AF_UNIX)
		rc = set_given(&ep, SIPC__OPT_NODELAY, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
	if (rc < 0 && why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", ep.why != NULL ? ep.why : "");
	free(ep.why);
	return rc;
}

int sipc_endpoint_abort(sipc_endpoint *ep)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	int rc;

	if (ep == NULL)
		return -EINVAL;
	if (ep->fd < 0 || ep->listener || ep->tp->socktype != SOCK_STREAM ||
	    sipc_scheme_is_unix(ep->scheme)) {
		sipc_endpoint_close(ep);
		return SIPC_EKIND;
	}
	rc = sipc__tp_setsockopt_raw(ep, ep->fd, SOL_SOCKET, SO_LINGER, "SO_LINGER", &l, sizeof(l),
				     "{l_onoff=1, l_linger=0}");
	sipc_endpoint_close(ep);
	return rc;
}
