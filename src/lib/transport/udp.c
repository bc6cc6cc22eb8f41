/*
 * udp.c - the UDP transport (udp://, udp4://, udp6://): bound sockets
 * that receive from anyone, or connected ones that talk to one peer.  No
 * SO_REUSEADDR: on UDP it would let a second socket bind the same port and
 * steal datagrams (except on a multicast group, where every receiver gets
 * each datagram: mcast.c).
 */
#include "sys/net.h"
#include "transport/transport.h"

#include "sockopt.h"

static int udp_before_bind(sipc_endpoint *ep, const sipc_addr *addr)
{
	/* As for TCP: the default comes from a sysctl, so say it.  udp6://
	 * is v6-only, udp:// on "::" also receives IPv4 datagrams. */
	if (addr->ss.ss_family != AF_INET6)
		return 0;
	return sipc__tp_setsockopt(
		ep, ep->fd, IPPROTO_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY",
		sipc__sockopt_flag(ep, SIPC__OPT_V6ONLY, ep->scheme == SIPC_UDP6));
}

static int udp_bind(sipc_endpoint *ep, const sipc_addr *addr, unsigned mode)
{
	(void)mode;
	return sipc__tp_bind(ep, ep->fd, addr);
}

const struct sipc__transport sipc__transport_udp = {
	.proto = "udp",
	.socktype = SOCK_DGRAM,
	.listens = false,
	.before_bind = udp_before_bind,
	.bind = udp_bind,
	.before_connect = NULL,
	.after_connect = NULL,
	.io = &sipc__conn_ops_sock,
};
