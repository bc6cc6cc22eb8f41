/*
 * ifaddr.c - sys.h's interface addresses on Windows: the unicast
 * addresses of GetAdaptersAddresses, with their on-link prefix lengths.
 */
#include "sys/win/win.h"

#include <iphlpapi.h>
#include <stdlib.h>
#include <string.h>

int sipc__sys_if_addrs(struct sipc__if_addr **v, size_t *n)
{
	ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER;
	ULONG len = 16384;
	IP_ADAPTER_ADDRESSES *all = NULL;
	ULONG rc = ERROR_BUFFER_OVERFLOW;
	size_t cap = 0, used = 0;
	struct sipc__if_addr *out = NULL;

	/* The list may grow between the calls: a few tries. */
	for (int tries = 0; tries < 4 && rc == ERROR_BUFFER_OVERFLOW; tries++) {
		free(all);
		if ((all = malloc(len)) == NULL)
			return -ENOMEM;
		rc = GetAdaptersAddresses(AF_UNSPEC, flags, NULL, all, &len);
	}
	if (rc == ERROR_NO_DATA) {
		free(all);
		*v = NULL;
		*n = 0;
		return 0;
	}
	if (rc != NO_ERROR) {
		free(all);
		return -EIO;
	}
	for (IP_ADAPTER_ADDRESSES *ad = all; ad != NULL; ad = ad->Next)
		for (IP_ADAPTER_UNICAST_ADDRESS *u = ad->FirstUnicastAddress; u; u = u->Next)
			cap++;
	if (cap > 0 && (out = calloc(cap, sizeof(*out))) == NULL) {
		free(all);
		return -ENOMEM;
	}
	for (IP_ADAPTER_ADDRESSES *ad = all; ad != NULL; ad = ad->Next)
		for (IP_ADAPTER_UNICAST_ADDRESS *u = ad->FirstUnicastAddress; u; u = u->Next) {
			const struct sockaddr *sa = u->Address.lpSockaddr;
			struct sipc__if_addr *a = &out[used];

			if (sa == NULL)
				continue;
			if (sa->sa_family == AF_INET)
				memcpy(a->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
			else if (sa->sa_family == AF_INET6)
				memcpy(a->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
			else
				continue;
			a->family = sa->sa_family;
			a->prefix = u->OnLinkPrefixLength;
			used++;
		}
	free(all);
	*v = out;
	*n = used;
	return 0;
}
