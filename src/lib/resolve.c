/*
 * resolve.c - sipc_url_resolve(): a parsed URL to the socket addresses to
 * bind or connect, in order.  IP URLs go through getaddrinfo(3) with the
 * socket type and family the scheme implies, and every EAI_ code is
 * translated into SIPC_ERESOLVE_* (glibc's EAI_NONAME is -2, the same number
 * as -ENOENT, so a raw value would lie).  The passive wildcard is built here
 * rather than asked of getaddrinfo, whose order for a NULL node depends on
 * gai.conf: "::" comes first so that the listener can be dual-stack.  Unix
 * URLs become one sockaddr_un without any lookup.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sys/net.h"
#include "sys/sys.h"
#include "url.h"

static int eai_error(int eai, int saved_errno)
{
	switch (eai) {
	case EAI_NONAME:
	case EAI_NODATA:
		return SIPC_ERESOLVE_NOHOST;
	case EAI_AGAIN:
		return SIPC_ERESOLVE_AGAIN;
	case EAI_FAIL:
		return SIPC_ERESOLVE_FAIL;
	case EAI_ADDRFAMILY:
	case EAI_FAMILY:
		return SIPC_ERESOLVE_FAMILY;
	case EAI_SERVICE:
		return SIPC_ERESOLVE_SERVICE;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return saved_errno > 0 ? -saved_errno : SIPC_ERESOLVE_OTHER;
	default:
		/* EAI_BADFLAGS, EAI_SOCKTYPE, EAI_OVERFLOW and the
		 * getaddrinfo_a codes: none names a cause a user can act on. */
		return SIPC_ERESOLVE_OTHER;
	}
}

static int resolve_unix(const sipc_url *url, sipc_addr *out)
{
	struct sockaddr_un un;
	size_t n = url->path_len; /* decoded: may hold NUL bytes when abstract */
	socklen_t len;

	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	if (url->abstract) {
		/* unix(7): an abstract name is a NUL byte then the name, and
		 * the address length says where it ends; padding it to the
		 * whole struct would name a different socket. */
		n--; /* without the '@' */
		if (n + 1 > sizeof(un.sun_path))
			return SIPC_EURL_PATHLEN;
		memcpy(un.sun_path + 1, url->path + 1, n);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	} else {
		/* A path that fills sun_path goes without its NUL (unix(7)). */
		if (n > sizeof(un.sun_path))
			return SIPC_EURL_PATHLEN;
		memcpy(un.sun_path, url->path, n);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
				  (n < sizeof(un.sun_path) ? 1 : 0));
	}
	memset(out, 0, sizeof(*out));
	out->scheme = url->scheme;
	out->len = len;
	memcpy(&out->ss, &un, sizeof(un));
	return 1;
}

/* Whether this machine can make IPv6 sockets at all (a kernel booted with
 * ipv6.disable=1 cannot), so a dual-stack wildcard is worth offering. */
static bool have_ipv6(void)
{
	int fd = sipc__sys_socket(AF_INET6, SOCK_DGRAM);

	if (fd < 0)
		return false;
	sipc__sys_close(fd);
	return true;
}

static void wildcard(sipc_addr *out, sipc_scheme scheme, int family, int port)
{
	memset(out, 0, sizeof(*out));
	out->scheme = scheme;
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)port);
		out->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		s4->sin_port = htons((uint16_t)port);
		out->len = sizeof(*s4);
	}
}

static int resolve_wildcard(const sipc_url *url, sipc_addr *out, size_t max)
{
	int family = sipc__scheme_family(url->scheme);
	size_t n = 0;

	if (family == AF_INET6 || (family == AF_UNSPEC && have_ipv6()))
		wildcard(&out[n++], url->scheme, AF_INET6, url->port);
	if (family != AF_INET6 && n < max)
		wildcard(&out[n++], url->scheme, AF_INET, url->port);
	return (int)n;
}

int sipc_url_resolve(const sipc_url *url, bool passive, sipc_addr *out, size_t max)
{
	struct addrinfo hints, *res = NULL, *ai;
	char port[8];
	const char *node;
	size_t n = 0, i;
	int rc;

	if (url == NULL || out == NULL || max == 0)
		return -EINVAL;
	if (sipc_scheme_is_unix(url->scheme))
		return resolve_unix(url, out);
	if (url->host_kind == SIPC__HOST_ANY && passive)
		return resolve_wildcard(url, out, max);

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = sipc__scheme_family(url->scheme);
	hints.ai_socktype = sipc_scheme_socktype(url->scheme);
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	/* A literal never needs DNS; saying so keeps getaddrinfo from asking. */
	if (url->host_kind == SIPC__HOST_V4 || url->host_kind == SIPC__HOST_V6)
		hints.ai_flags |= AI_NUMERICHOST;
	/* An empty host when dialing means this machine, as getaddrinfo gives
	 * for a NULL node without AI_PASSIVE (the loopback addresses). */
	node = url->host_kind == SIPC__HOST_ANY ? NULL : url->host;
	snprintf(port, sizeof(port), "%d", url->port);

	errno = 0;
	rc = sipc__sys_getaddrinfo(node, port, &hints, &res);
	if (rc != 0)
		return eai_error(rc, errno);

	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		sipc_addr a;
		bool dup = false;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (sipc_addr_from_sockaddr(&a, url->scheme, ai->ai_addr, ai->ai_addrlen) < 0)
			continue;
		/* /etc/hosts may list one address twice under the same name. */
		for (i = 0; i < n && !dup; i++)
			dup = sipc_addr_equal(&out[i], &a);
		if (!dup)
			out[n++] = a;
	}
	freeaddrinfo(res);
	if (n == 0)
		return SIPC_ERESOLVE_FAMILY;
	return (int)n;
}
