/*
 * url.h - the inside of a sipc_url, shared by url.c (parse, format),
 * resolve.c (URL to socket addresses) and anyone in src/lib that needs the
 * parsed parts without going through the accessors.  Nothing outside
 * src/lib includes it.
 */
#ifndef SIPC_URL_H
#define SIPC_URL_H

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sockipc.h"

/* What the host of an IP URL is; decides how resolve.c asks getaddrinfo. */
enum sipc__host_kind {
	SIPC__HOST_NONE = 0, /* unix schemes: no host */
	SIPC__HOST_ANY,      /* empty or "*": the wildcard */
	SIPC__HOST_NAME,     /* a DNS name, lower-cased */
	SIPC__HOST_V4,       /* a dotted IPv4 literal */
	SIPC__HOST_V6,       /* an IPv6 literal (written in brackets), maybe with %zone */
};

/* Longest filesystem path that fits sun_path with its NUL (107 on Linux),
 * and longest abstract name after the leading NUL byte (also 107). */
#define SIPC__UNIX_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

struct sipc_url {
	sipc_scheme scheme;
	enum sipc__host_kind host_kind;
	int port;      /* 0..65535; -1 for unix schemes */
	bool abstract; /* unix: path is "@name" (Linux abstract namespace) */
	char *host;    /* canonical host without brackets, zone kept; "" for the
			  wildcard; NULL for unix.  Points into text[]. */
	char *path;    /* unix path as written ("@name" when abstract); NULL for
			  IP.  Points into text[]. */
	char text[];   /* storage for host or path: one allocation per URL */
};

/* AF_INET for tcp4/udp4, AF_INET6 for tcp6/udp6, AF_UNIX for the unix
 * schemes, AF_UNSPEC for tcp/udp (and for SIPC_SCHEME_NONE). */
int sipc__scheme_family(sipc_scheme s);

#endif /* SIPC_URL_H */
