/*
 * addr.c - socket addresses with their scheme: building one from a raw
 * sockaddr, comparing two, and writing the canonical URL of one
 * ("tcp://[::1]:7007", "unix://@name").  The URL uses the base scheme of the
 * socket kind (tcp, udp, unix, unixgram, unixpacket, and tls for the TLS
 * schemes, so a tls listener's address is one a client can dial): a tcp4
 * listener's peer is simply a tcp address.  Unix addresses follow unix(7): the name's length
 * comes from the address length, an abstract name starts with a NUL byte,
 * and an address no longer than sun_family is an unnamed socket.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"
#include "url.h"

#define SUN_PATH_OFF offsetof(struct sockaddr_un, sun_path)

/* The scheme a formatted address shows: decided by the address family
 * and the socket type of the scheme it was opened with. */
static const char *base_scheme(int family, sipc_scheme s)
{
	int type = sipc_scheme_socktype(s);

	if (s == SIPC_SHM)
		return "shm";
	if (family == AF_UNIX)
		return type == SOCK_DGRAM       ? "unixgram"
		       : type == SOCK_SEQPACKET ? "unixpacket"
						: "unix";
	if (sipc_scheme_is_tls(s))
		return "tls";
	return type == SOCK_DGRAM ? "udp" : "tcp";
}

/* The name bytes of a unix address and whether it is abstract; a length
 * of 0 is an unnamed socket. */
static size_t unix_name(const sipc_addr *a, const char **name, bool *abstract)
{
	const struct sockaddr_un *un = (const struct sockaddr_un *)&a->ss;
	size_t max;

	*name = un->sun_path;
	*abstract = false;
	if ((size_t)a->len <= SUN_PATH_OFF)
		return 0;
	max = a->len - SUN_PATH_OFF;
	if (max > sizeof(un->sun_path))
		max = sizeof(un->sun_path);
	if (un->sun_path[0] == '\0') {
		*abstract = true;
		*name = un->sun_path + 1;
		return max - 1;
	}
	/* The kernel may or may not count the path's NUL in the length. */
	return strnlen(un->sun_path, max);
}

static int format_unix(const sipc_addr *a, char *tmp, size_t cap)
{
	const char *scheme = base_scheme(AF_UNIX, a->scheme);
	const char *name;
	bool abstract;
	size_t n = unix_name(a, &name, &abstract);
	int off, m;

	off = snprintf(tmp, cap, "%s://", scheme);
	if (off < 0 || (size_t)off >= cap)
		return SIPC_EBUFSIZE;
	if (n == 0 && !abstract)
		return off; /* unnamed: "unix://" */
	/* The name is the peer's choice, bytes and all: escaped (NUL as %00,
	 * a newline as %0A), it can neither forge a log line nor lose a byte,
	 * and the URL parses back to this address. */
	m = sipc__unix_name_escape(tmp + off, cap - (size_t)off, name, n, abstract);
	return m < 0 ? m : off + m;
}

static int format_inet(const sipc_addr *a, char *tmp, size_t cap)
{
	const char *scheme = base_scheme(a->ss.ss_family, a->scheme);
	char host[INET6_ADDRSTRLEN], zone[IF_NAMESIZE + 12];

	if (a->ss.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&a->ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		return snprintf(tmp, cap, "%s://%s:%u", scheme, host, ntohs(sin->sin_port));
	}

	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		/* A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d; users
		 * know them as a.b.c.d. */
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof(host));
		return snprintf(tmp, cap, "%s://%s:%u", scheme, host, ntohs(s6->sin6_port));
	}
	inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
	zone[0] = '\0';
	if (s6->sin6_scope_id != 0) {
		char ifname[IF_NAMESIZE];
		if (if_indextoname(s6->sin6_scope_id, ifname) != NULL)
			snprintf(zone, sizeof(zone), "%%%s", ifname);
		else
			snprintf(zone, sizeof(zone), "%%%u", (unsigned)s6->sin6_scope_id);
	}
	return snprintf(tmp, cap, "%s://[%s%s]:%u", scheme, host, zone, ntohs(s6->sin6_port));
}

int sipc_addr_format(const sipc_addr *addr, char *buf, size_t len)
{
	char tmp[SIPC_URL_MAX];
	int n;

	if (addr == NULL || buf == NULL)
		return -EINVAL;
	switch (addr->ss.ss_family) {
	case AF_UNIX:
		n = format_unix(addr, tmp, sizeof(tmp));
		break;
	case AF_INET:
	case AF_INET6:
		n = format_inet(addr, tmp, sizeof(tmp));
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (n < 0 || (size_t)n >= sizeof(tmp) || (size_t)n >= len)
		return SIPC_EBUFSIZE;
	memcpy(buf, tmp, (size_t)n + 1);
	return n;
}

int sipc_addr_from_sockaddr(sipc_addr *addr, sipc_scheme scheme, const struct sockaddr *sa,
			    socklen_t len)
{
	socklen_t need;

	if (addr == NULL || sa == NULL || (size_t)len < sizeof(sa_family_t) ||
	    (size_t)len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	switch (sa->sa_family) {
	case AF_INET:
		need = sizeof(struct sockaddr_in);
		break;
	case AF_INET6:
		need = sizeof(struct sockaddr_in6);
		break;
	case AF_UNIX:
		/* Nothing beyond sun_path is part of a name.  Linux reports a
		 * path that fills sun_path with one byte more, for the NUL it
		 * keeps past the end (unix(7), BUGS): that byte is no part of
		 * the address, and a name with it would not survive a round
		 * trip. */
		if ((size_t)len > sizeof(struct sockaddr_un))
			len = sizeof(struct sockaddr_un);
		need = sizeof(sa_family_t);
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (len < need)
		return -EINVAL;
	/* A unix scheme with an IP address (or the reverse) is a caller's
	 * mix-up; SIPC_SCHEME_NONE takes any family. */
	if (scheme != SIPC_SCHEME_NONE && sipc_scheme_is_unix(scheme) != (sa->sa_family == AF_UNIX))
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	memcpy(&addr->ss, sa, len);
	addr->scheme = scheme;
	/* IP addresses keep their full size; a unix address's length is part
	 * of its name (abstract names are not NUL-terminated). */
	addr->len = sa->sa_family == AF_UNIX ? len : need;
	return 0;
}

bool sipc_addr_equal(const sipc_addr *a, const sipc_addr *b)
{
	if (a == NULL || b == NULL || a->ss.ss_family != b->ss.ss_family)
		return false;
	switch (a->ss.ss_family) {
	case AF_INET: {
		const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
		const struct sockaddr_in *y = (const struct sockaddr_in *)&b->ss;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	case AF_INET6: {
		/* The flow label is not part of who the peer is. */
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)&b->ss;
		return x->sin6_port == y->sin6_port && x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	case AF_UNIX: {
		const char *na, *nb;
		bool aa, ab;
		size_t la = unix_name(a, &na, &aa), lb = unix_name(b, &nb, &ab);
		return aa == ab && la == lb && memcmp(na, nb, la) == 0;
	}
	default:
		return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
	}
}

unsigned sipc__addr_hash(const sipc_addr *a)
{
	const unsigned char *p = (const unsigned char *)&a->ss;
	unsigned h = 2166136261u;

	for (size_t i = 0; i < (size_t)a->len && i < sizeof(a->ss); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}
