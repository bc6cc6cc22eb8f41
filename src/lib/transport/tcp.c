/*
 * tcp.c - the TCP transport (tcp://, tcp4://, tcp6://): SO_REUSEADDR on
 * listeners, IPV6_V6ONLY chosen by scheme (or the URL's v6only), and
 * TCP_NODELAY on every connection (unless the URL says nodelay=0); the
 * other options of the URL are sockopt.c's.  TLS (transport/tls/) sets its sockets up with the same
 * functions.
 */
#include "sys/net.h"
#include "transport/transport.h"

#include "sockopt.h"

int sipc__tcp_before_bind(sipc_endpoint *ep, const sipc_addr *addr)
{
	int rc;

	/* A restarted server must be able to bind its port while connections
	 * of the previous one sit in TIME_WAIT (RFC 793's 2*MSL). */
	rc = sipc__tp_setsockopt(ep, ep->fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1);
	if (rc < 0)
		return rc;
	/* Linux's default for IPV6_V6ONLY is a sysctl
	 * (net.ipv6.bindv6only), so set it either way: tcp6:// (and tls6://)
	 * is v6-only, tcp:// on "::" takes IPv4 clients too as mapped
	 * addresses. */
	if (addr->ss.ss_family == AF_INET6)
		rc = sipc__tp_setsockopt(
			ep, ep->fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY",
			sipc__sockopt_flag(ep, SIPC__OPT_V6ONLY,
					   ep->scheme == SIPC_TCP6 || ep->scheme == SIPC_TLS6));
	return rc;
}

int sipc__tcp_bind(sipc_endpoint *ep, const sipc_addr *addr, unsigned mode)
{
	(void)mode;
	return sipc__tp_bind(ep, ep->fd, addr);
}

int sipc__tcp_after_connect(sipc_endpoint *ep)
{
	/* Messages are small requests and replies; a frame's header and body
	 * leave in one sendmsg, so Nagle's algorithm would only hold back
	 * the last segment of a message waiting for an ACK that the peer
	 * delays (RFC 1122 4.2.3.2).  Bulk byte-mode writes come in large
	 * chunks and lose nothing by it.  nodelay=0 in the URL turns Nagle
	 * back on. */
	return sipc__tp_setsockopt(ep, ep->fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY",
				   sipc__sockopt_flag(ep, SIPC__OPT_NODELAY, 1));
}

const struct sipc__transport sipc__transport_tcp = {
	.proto = "tcp",
	.socktype = SOCK_STREAM,
	.listens = true,
	.before_bind = sipc__tcp_before_bind,
	.bind = sipc__tcp_bind,
	.before_connect = NULL,
	.after_connect = sipc__tcp_after_connect,
	.io = &sipc__conn_ops_sock,
};
