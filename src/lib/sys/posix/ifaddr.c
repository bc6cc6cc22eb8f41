/*
 * ifaddr.c - sys.h's interface addresses on POSIX: getifaddrs(3), the
 * prefix counted from each address's netmask.
 */
#include "sys/sys.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>

static int prefix_of(const uint8_t *mask, size_t len)
{
	int bits = 0;

	for (size_t k = 0; k < len; k++)
		bits += __builtin_popcount(mask[k]);
	return bits;
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
		const uint8_t *mask = NULL;

		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;
			memcpy(a->addr, &sin->sin_addr, 4);
			if (i->ifa_netmask != NULL)
				mask = (const uint8_t *)&(
					       (const struct sockaddr_in *)i->ifa_netmask)
					       ->sin_addr;
			a->prefix = mask ? prefix_of(mask, 4) : 32;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)i->ifa_addr;
			memcpy(a->addr, &sin6->sin6_addr, 16);
			if (i->ifa_netmask != NULL)
				mask = (const uint8_t *)&(
					       (const struct sockaddr_in6 *)i->ifa_netmask)
					       ->sin6_addr;
			a->prefix = mask ? prefix_of(mask, 16) : 128;
		} else {
			continue;
		}
		a->family = i->ifa_addr->sa_family;
		used++;
	}
	freeifaddrs(ifs);
	*v = out;
	*n = used;
	return 0;
}
