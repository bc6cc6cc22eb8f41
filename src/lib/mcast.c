/*
 * mcast.c - multicast UDP: a listener on a group address joins the group,
 * a socket that sends to one says on which interface, with which TTL and
 * whether its own host hears it.  Joins use RFC 3678's protocol-independent
 * calls (MCAST_JOIN_GROUP, MCAST_JOIN_SOURCE_GROUP with a struct
 * group_req / group_source_req), so IPv4 and IPv6, any-source and
 * source-specific, are one code path that differs only in the level
 * (IPPROTO_IP or IPPROTO_IPV6).  The listener binds the group address
 * itself, not the wildcard, so it receives that group's datagrams and no
 * unicast ones to the same port, and sets SO_REUSEADDR first so that
 * several receivers on one host can bind the same group and port (every
 * one of them gets each datagram).  The options come from the URL
 * (iface, mcast_ttl, mcast_loop, source: urlopt.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"

#include "endpoint.h"
#include "sockopt.h"
#include "transport/transport.h"

bool sipc__mcast_is_group(const sipc_addr *addr)
{
	if (addr->ss.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&addr->ss;
		return IN_MULTICAST(ntohl(a->sin_addr.s_addr));
	}
	if (addr->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&addr->ss;
		return IN6_IS_ADDR_MULTICAST(&a->sin6_addr);
	}
	return false;
}

static int level_of(int family)
{
	return family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
}

/* The index of the iface option's interface, 0 (the routing table's
 * choice) without one; -ENODEV with a sentence when there is none so. */
static int iface_index(sipc_endpoint *ep, unsigned *index)
{
	*index = 0;
	if (!sipc__opt_has(&ep->sockopts, SIPC__OPT_IFACE))
		return 0;
	*index = if_nametoindex(ep->sockopts.iface);
	if (*index == 0) {
		sipc__sockopt_why(ep, SIPC__OPT_IFACE, ": no such network interface");
		return -ENODEV;
	}
	return 0;
}

int sipc__mcast_before_bind(sipc_endpoint *ep, const sipc_addr *addr)
{
	(void)addr;
	return sipc__tp_setsockopt(ep, ep->fd, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", 1);
}

/* ADDR's host as text, for a trace line. */
static const char *host_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (inet_ntop(ss->ss_family, a, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* The source option as a socket address of the group's FAMILY. */
static int source_addr(sipc_endpoint *ep, int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, ep->sockopts.source, &s4->sin_addr) == 1)
			return 0;
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, ep->sockopts.source, &s6->sin6_addr) == 1)
			return 0;
	}
	sipc__sockopt_why(ep, SIPC__OPT_SOURCE, ": an IPv%c source cannot send to an IPv%c group",
			  family == AF_INET ? '6' : '4', family == AF_INET ? '4' : '6');
	return SIPC_EURL_OPTION;
}

int sipc__mcast_join(sipc_endpoint *ep, const sipc_addr *addr)
{
	int family = addr->ss.ss_family, rc;
	char gb[INET6_ADDRSTRLEN], sb[INET6_ADDRSTRLEN], text[160];
	unsigned index;

	if ((rc = iface_index(ep, &index)) < 0)
		return rc;
	if (sipc__opt_has(&ep->sockopts, SIPC__OPT_SOURCE)) {
		struct group_source_req gsr;

		memset(&gsr, 0, sizeof(gsr));
		gsr.gsr_interface = index;
		memcpy(&gsr.gsr_group, &addr->ss, addr->len);
		if ((rc = source_addr(ep, family, &gsr.gsr_source)) < 0)
			return rc;
		snprintf(text, sizeof(text), "{gsr_interface=%u, gsr_group=%s, gsr_source=%s}",
			 index, host_text(&gsr.gsr_group, gb, sizeof(gb)),
			 host_text(&gsr.gsr_source, sb, sizeof(sb)));
		rc = sipc__tp_setsockopt_raw(ep, ep->fd, level_of(family), MCAST_JOIN_SOURCE_GROUP,
					     "MCAST_JOIN_SOURCE_GROUP", &gsr, sizeof(gsr), text);
		if (rc < 0)
			sipc__sockopt_why(ep, SIPC__OPT_SOURCE,
					  " (setsockopt MCAST_JOIN_SOURCE_GROUP)");
		return rc;
	}
	struct group_req gr;

	memset(&gr, 0, sizeof(gr));
	gr.gr_interface = index;
	memcpy(&gr.gr_group, &addr->ss, addr->len);
	snprintf(text, sizeof(text), "{gr_interface=%u, gr_group=%s}", index,
		 host_text(&gr.gr_group, gb, sizeof(gb)));
	rc = sipc__tp_setsockopt_raw(ep, ep->fd, level_of(family), MCAST_JOIN_GROUP,
				     "MCAST_JOIN_GROUP", &gr, sizeof(gr), text);
	if (rc < 0 && sipc__opt_has(&ep->sockopts, SIPC__OPT_IFACE))
		sipc__sockopt_why(ep, SIPC__OPT_IFACE, " (setsockopt MCAST_JOIN_GROUP)");
	return rc;
}

/* IP_MULTICAST_IF takes a struct ip_mreqn (whose interface index wins
 * over its address), IPV6_MULTICAST_IF the index itself. */
static int sender_iface(sipc_endpoint *ep, int family)
{
	unsigned index;
	char text[64];
	int rc;

	if (!sipc__opt_has(&ep->sockopts, SIPC__OPT_IFACE))
		return 0;
	if ((rc = iface_index(ep, &index)) < 0)
		return rc;
	if (family == AF_INET6) {
		rc = sipc__tp_setsockopt(ep, ep->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
					 "IPV6_MULTICAST_IF", (int)index);
	} else {
		struct ip_mreqn m;

		memset(&m, 0, sizeof(m));
		m.imr_ifindex = (int)index;
		snprintf(text, sizeof(text), "{imr_ifindex=%u}", index);
		rc = sipc__tp_setsockopt_raw(ep, ep->fd, IPPROTO_IP, IP_MULTICAST_IF,
					     "IP_MULTICAST_IF", &m, sizeof(m), text);
	}
	if (rc < 0)
		sipc__sockopt_why(ep, SIPC__OPT_IFACE, " (setsockopt %s)",
				  family == AF_INET6 ? "IPV6_MULTICAST_IF" : "IP_MULTICAST_IF");
	return rc;
}

static int sender_int(sipc_endpoint *ep, enum sipc__opt id, int family, int name4,
		      const char *text4, int name6, const char *text6)
{
	bool v6 = family == AF_INET6;
	int rc;

	if (!sipc__opt_has(&ep->sockopts, id))
		return 0;
	rc = sipc__tp_setsockopt(ep, ep->fd, level_of(family), v6 ? name6 : name4,
				 v6 ? text6 : text4, (int)ep->sockopts.num[id]);
	if (rc < 0)
		sipc__sockopt_why(ep, id, " (setsockopt %s)", v6 ? text6 : text4);
	return rc;
}

int sipc__mcast_sender(sipc_endpoint *ep, const sipc_addr *addr)
{
	int family = addr->ss.ss_family;
	int rc = sender_iface(ep, family);

	if (rc == 0)
		rc = sender_int(ep, SIPC__OPT_MCAST_TTL, family, IP_MULTICAST_TTL,
				"IP_MULTICAST_TTL", IPV6_MULTICAST_HOPS, "IPV6_MULTICAST_HOPS");
	if (rc == 0)
		rc = sender_int(ep, SIPC__OPT_MCAST_LOOP, family, IP_MULTICAST_LOOP,
				"IP_MULTICAST_LOOP", IPV6_MULTICAST_LOOP, "IPV6_MULTICAST_LOOP");
	return rc;
}
