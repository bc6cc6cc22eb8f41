/*
 * guard.c - the datagram loop guard (see guard.h): the set of refused
 * source ports as a 64 Kibit bitmap, so the check per datagram is one bit
 * test, and the address classes a reply must never go to.
 */
#include "serve/guard.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void set_range(struct sipc_guard *g, unsigned lo, unsigned hi)
{
	for (unsigned p = lo; p <= hi; p++)
		g->ports[p / 8] |= (uint8_t)(1u << (p % 8));
}

void sipc__guard_default(struct sipc_guard *g)
{
	memset(g->ports, 0, sizeof(g->ports));
	g->enabled = true;
	set_range(g, 0, 1023);
}

static int parse_port(const char *s, const char **end, unsigned *out)
{
	char *e;
	long v = strtol(s, &e, 10);

	if (e == s || v < 0 || v > 65535)
		return -1;
	*end = e;
	*out = (unsigned)v;
	return 0;
}

int sipc__guard_set_ports(struct sipc_guard *g, const char *list, char *why, size_t whylen)
{
	struct sipc_guard next;
	const char *p = list;

	memset(&next, 0, sizeof(next));
	next.enabled = true;
	/* Port 0 is never a real sender: a reply to it cannot be delivered. */
	set_range(&next, 0, 0);
	if (strcmp(list, "none") != 0) {
		while (*p != '\0') {
			unsigned lo, hi;
			if (parse_port(p, &p, &lo) < 0)
				goto bad;
			hi = lo;
			if (*p == '-' && parse_port(p + 1, &p, &hi) < 0)
				goto bad;
			if (hi < lo)
				goto bad;
			set_range(&next, lo, hi);
			if (*p == ',')
				p++;
			else if (*p != '\0')
				goto bad;
		}
	}
	memcpy(g, &next, sizeof(next));
	return 0;
bad:
	snprintf(why, whylen,
		 "'%s': expected ports or ranges 0-65535 separated by "
		 "commas (e.g. 0-1023,2049) or 'none'",
		 list);
	return -1;
}

const char *sipc__guard_check(const struct sipc_guard *g, const sipc_addr *from)
{
	unsigned port;

	if (!g->enabled)
		return NULL;
	if (from->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&from->ss;
		uint32_t a = ntohl(sin->sin_addr.s_addr);
		if (a == INADDR_ANY)
			return "unspecified source address";
		if (a == INADDR_BROADCAST)
			return "broadcast source address";
		if (IN_MULTICAST(a))
			return "multicast source address";
		port = ntohs(sin->sin_port);
	} else if (from->ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&from->ss;
		const struct in6_addr *a = &s6->sin6_addr;
		if (IN6_IS_ADDR_UNSPECIFIED(a))
			return "unspecified source address";
		if (IN6_IS_ADDR_MULTICAST(a))
			return "multicast source address";
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			uint32_t v4;
			memcpy(&v4, &a->s6_addr[12], 4);
			v4 = ntohl(v4);
			if (v4 == INADDR_ANY)
				return "unspecified source address";
			if (v4 == INADDR_BROADCAST)
				return "broadcast source address";
			if (IN_MULTICAST(v4))
				return "multicast source address";
		}
		port = ntohs(s6->sin6_port);
	} else {
		return NULL;
	}
	if (g->ports[port / 8] & (1u << (port % 8)))
		return port == 0 ? "source port 0" : "guarded source port";
	return NULL;
}
