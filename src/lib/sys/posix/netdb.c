/*
 * netdb.c - the name databases and error texts as glibc has them:
 * getaddrinfo, the services database (getservbyname_r, the thread-safe
 * form) and strerrordesc_np()/strerrorname_np(), which unlike strerror()
 * return static, unlocalised strings and are thread-safe.
 */
#include "sys/sys.h"

#include <string.h>

int sipc__sys_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
			  struct addrinfo **res)
{
	return getaddrinfo(host, service, hints, res);
}

int sipc__sys_service_port(const char *name, const char *proto)
{
	struct servent se, *res = NULL;
	char buf[4096];

	if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) != 0 || res == NULL)
		return -1;
	return ntohs((uint16_t)res->s_port);
}

const char *sipc__sys_errtext(int err)
{
	return strerrordesc_np(err);
}

const char *sipc__sys_errname(int err)
{
	return strerrorname_np(err);
}
