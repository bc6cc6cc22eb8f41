/*
 * guard.c - the datagram loop guard (see guard.h): the set of refused
 * source ports as a 64 Kibit bitmap, so the check per datagram is one bit
 * test; the address classes a reply must never go to; the server's own
 * udp addresses; and the rate limit of the drop log lines.
 */
#include "serve/guard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "sys/sys.h"
#include "url.h"

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
	/* The built-in configuration's ports: where another sockipc server is
	 * most likely to answer from. */
	static const unsigned builtin[] = {7007, 7009, 7013, 7019, 7037};
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		set_range(g, builtin[i], builtin[i]);
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

const char *sipc__guard_check(const struct sipc_guard *g, const sipc_addr *from, bool any_port)
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
	if (port == 0)
		return "source port 0";
	if (!any_port && (g->ports[port / 8] & (1u << (port % 8))))
		return "guarded source port";
	return NULL;
}

/* ---------------------------------------------------- the server's own */

/* FAMILY's address ADDR (4 or 16 bytes, network order) as IPv6 or
 * IPv4-mapped, port 0; ANY when it is the wildcard. */
static void ip_of(int family, const uint8_t *addr, struct sipc_guard_ip *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	size_t len = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	if (family == AF_INET)
		memcpy(out->a, mapped, sizeof(mapped));
	memcpy(out->a + 16 - len, addr, len);
	out->any = true;
	for (size_t k = 0; k < len; k++)
		out->any &= addr[k] == 0;
}

/* FROM as an IPv6 (or IPv4-mapped) address and port; false for unix. */
static bool to_ip(const struct sockaddr_storage *ss, struct sipc_guard_ip *out)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		ip_of(AF_INET, (const uint8_t *)&sin->sin_addr, out);
		out->port = ntohs(sin->sin_port);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		ip_of(AF_INET6, (const uint8_t *)&s6->sin6_addr, out);
		out->port = ntohs(s6->sin6_port);
		return true;
	}
	return false;
}

static int push(struct sipc_guard_ip **v, size_t *n, const struct sipc_guard_ip *ip)
{
	struct sipc_guard_ip *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (nv == NULL)
		return -ENOMEM;
	nv[*n] = *ip;
	*v = nv;
	(*n)++;
	return 0;
}

int sipc__guard_self_add(struct sipc_guard_self *s, const sipc_addr *bound)
{
	struct sipc_guard_ip ip;

	if (!to_ip(&bound->ss, &ip))
		return 0;
	return push(&s->own, &s->nown, &ip);
}

int sipc__guard_self_locals(struct sipc_guard_self *s)
{
	struct sipc__if_addr *ifs;
	size_t nifs;
	bool wanted = false;
	int rc = 0, err;

	for (size_t k = 0; k < s->nown; k++)
		wanted |= s->own[k].any;
	if (!wanted)
		return 0;
	/* A snapshot at start: an address added to the machine later is not
	 * known (loopback always is). */
	err = sipc__sys_if_addrs(&ifs, &nifs);
	if (err < 0)
		return err;
	for (size_t i = 0; i < nifs && rc == 0; i++) {
		struct sipc_guard_ip ip;

		ip_of(ifs[i].family, ifs[i].addr, &ip);
		rc = push(&s->local, &s->nlocal, &ip);
	}
	free(ifs);
	return rc;
}

static bool is_local(const struct sipc_guard_self *s, const struct sipc_guard_ip *ip)
{
	static const uint8_t loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	/* 127.0.0.0/8 (IPv4-mapped) and ::1 are local whatever the interfaces. */
	if (ip->a[10] == 0xff && ip->a[11] == 0xff && ip->a[12] == 127 &&
	    memcmp(ip->a, loop6, 10) == 0)
		return true;
	if (memcmp(ip->a, loop6, 16) == 0)
		return true;
	for (size_t k = 0; k < s->nlocal; k++)
		if (memcmp(s->local[k].a, ip->a, 16) == 0)
			return true;
	return false;
}

bool sipc__guard_is_self(const struct sipc_guard_self *s, const sipc_addr *from)
{
	struct sipc_guard_ip ip;
	bool local_known = false, local = false;

	if (s->nown == 0 || !to_ip(&from->ss, &ip))
		return false;
	for (size_t k = 0; k < s->nown; k++) {
		const struct sipc_guard_ip *o = &s->own[k];
		if (o->port != ip.port)
			continue;
		if (!o->any) {
			if (memcmp(o->a, ip.a, 16) == 0)
				return true;
			continue;
		}
		if (!local_known) {
			local = is_local(s, &ip);
			local_known = true;
		}
		if (local)
			return true;
	}
	return false;
}

bool sipc__guard_same(const sipc_addr *a, const sipc_addr *b)
{
	struct sipc_guard_ip x, y;

	if (to_ip(&a->ss, &x) && to_ip(&b->ss, &y))
		return x.port == y.port && memcmp(x.a, y.a, 16) == 0;
	return sipc_addr_equal(a, b);
}

void sipc__guard_self_free(struct sipc_guard_self *s)
{
	free(s->own);
	free(s->local);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------- the drop log */

bool sipc__droplog_take(struct sipc_droplog *dl, const sipc_addr *from, int64_t now_ms,
			uint64_t *suppressed, uint64_t *others)
{
	unsigned k = sipc__addr_hash(from) % SIPC_DROPLOG_SLOTS;
	bool same = dl->slot[k].since_ms != 0 && sipc_addr_equal(&dl->slot[k].from, from);

	if (same && now_ms - dl->slot[k].since_ms < SIPC_DROPLOG_INTERVAL_MS) {
		dl->slot[k].suppressed++;
		return false;
	}
	if (now_ms - dl->window_ms >= SIPC_DROPLOG_INTERVAL_MS) {
		dl->window_ms = now_ms;
		dl->lines = 0;
	}
	if (dl->lines >= SIPC_DROPLOG_LINES) {
		dl->unlogged++;
		return false;
	}
	dl->lines++;
	*suppressed = same ? dl->slot[k].suppressed : 0;
	/* A source whose slot is taken over leaves its count to the others. */
	*others = dl->unlogged + (same ? 0 : dl->slot[k].suppressed);
	dl->unlogged = 0;
	dl->slot[k].from = *from;
	dl->slot[k].since_ms = now_ms != 0 ? now_ms : 1;
	dl->slot[k].suppressed = 0;
	return true;
}
