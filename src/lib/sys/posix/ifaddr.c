/*
 * ifaddr.c - sys.h's interface addresses on POSIX: getifaddrs(3), the
 * prefix counted from each address's netmask.
 */
#include "sys/sys.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>

/* The address bytes of SA and their count: 4 (AF_INET), 16 (AF_INET6), or
 * NULL for another family. */
static const uint8_t *bytes_of(const struct sockaddr *sa, size_t *len)
{
	if (sa->sa_family == AF_INET) {
		*len = 4;
		return (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	}
	if (sa->sa_family == AF_INET6) {
		*len = 16;
		return (const uint8_t *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
	}
	return NULL;
}

int sipc__sys_if_addrs(struct sipc__if_addr **v, size_t *n)
{
	struct ifaddrs *ifs;
	size_t cap = 0, used = 0;
	struct sipc__if_addr *out = NULL;

	if (getifaddrs(&ifs) < 0)
		return -errno;
	for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next)
		cap++;
	if (cap > 0 && (out = calloc(cap, sizeof(*out))) == NULL) {
		freeifaddrs(ifs);
		return -ENOMEM;
	}
	for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
		struct sipc__if_addr *a = &out[used];
		const uint8_t *addr, *mask = NULL;
		size_t len, mlen;

		if (i->ifa_addr == NULL || (addr = bytes_of(i->ifa_addr, &len)) == NULL)
			continue;
		if (i->ifa_netmask != NULL)
			mask = bytes_of(i->ifa_netmask, &mlen);
		a->family = i->ifa_addr->sa_family;
		memcpy(a->addr, addr, len);
		/* No netmask: the address alone. */
		a->prefix = (int)len * 8;
		if (mask != NULL && mlen == len) {
			a->prefix = 0;
			for (size_t k = 0; k < len; k++)
				a->prefix += __builtin_popcount(mask[k]);
		}
		used++;
	}
	freeifaddrs(ifs);
	*v = out;
	*n = used;
	return 0;
}
