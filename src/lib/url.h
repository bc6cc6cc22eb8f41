/*
 * url.h - the inside of a sipc_url, shared by url.c (parse, format),
 * resolve.c (URL to socket addresses) and anyone in src/lib that needs the
 * parsed parts without going through the accessors.  Nothing outside
 * src/lib includes it.
 */
#ifndef SIPC_URL_H
#define SIPC_URL_H

#include <stdbool.h>

#include "sys/net.h"
#include "sockipc.h"
#include "sockopt.h"

/* What the host of an IP URL is; decides how resolve.c asks getaddrinfo. */
enum sipc__host_kind {
	SIPC__HOST_NONE = 0, /* unix schemes: no host */
	SIPC__HOST_ANY,      /* empty or "*": the wildcard */
	SIPC__HOST_NAME,     /* a DNS name, lower-cased */
	SIPC__HOST_V4,       /* a dotted IPv4 literal */
	SIPC__HOST_V6,       /* an IPv6 literal (written in brackets), maybe with %zone */
};

/* Longest abstract name after the leading NUL byte (107 on Linux), and
 * longest filesystem path: the whole of sun_path (108), since Linux takes a
 * path that fills it without a NUL when the address length says where it
 * ends (unix(7)), and a peer bound so must print as a URL that parses back. */
#define SIPC__UNIX_PATH_MAX   (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define SIPC__UNIX_FSPATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))

struct sipc_url {
	sipc_scheme scheme;
	enum sipc__host_kind host_kind;
	int port;                   /* 0..65535; -1 for unix schemes */
	bool abstract;              /* unix: path is "@name" (Linux abstract namespace) */
	char *host;                 /* canonical host without brackets, zone kept; "" for the
				       wildcard; NULL for unix.  Points into text[]. */
	char *path;                 /* unix path, %XX escapes decoded ("@name" when abstract);
				       NULL for IP.  Points into text[]; an abstract name may
				       hold NUL bytes, so its length is path_len. */
	size_t path_len;            /* bytes at path, the '@' of an abstract name included */
	struct sipc__sockopts opts; /* the query's socket options (sockopt.h) */
	char text[];                /* storage for host or path: one allocation per URL */
};

/* AF_INET for tcp4/udp4, AF_INET6 for tcp6/udp6, AF_UNIX for the unix
 * schemes, AF_UNSPEC for tcp/udp (and for SIPC_SCHEME_NONE). */
int sipc__scheme_family(sipc_scheme s);

/*
 * Writes the unix name NAME (N bytes, the abstract namespace's leading NUL
 * not included) as it appears in a URL: "@" first when ABSTRACT, and every
 * byte that is not a letter, a digit or one of "-._~/:+,=@" as %XX (a
 * filesystem path's leading '@' too, which would read as abstract).  Peers
 * choose these bytes, and the text goes into logs and environments, so no
 * control byte, space or newline may pass raw; "%" itself is escaped so that
 * the URL parser can decode the text back to the same bytes (nng writes a
 * NUL in an abstract name as %00 for the same reason).  Returns the length
 * written (OUT is NUL-terminated) or SIPC_EBUFSIZE.
 */
int sipc__unix_name_escape(char *out, size_t cap, const char *name, size_t n, bool abstract);

/*
 * Copies N bytes of user text into OUT for quoting in a WHY sentence: at
 * most SIPC__QUOTE_MAX of them, "..." when cut, and '?' for bytes that are
 * not printable ASCII, so a hostile URL cannot put control characters into
 * a message that ends up on a terminal.  Returns OUT.
 */
#define SIPC__QUOTE_MAX 48
const char *sipc__url_quote(char out[SIPC__QUOTE_MAX + 4], const char *s, size_t n);

/* A hash of an address's bytes (FNV-1a), for tables keyed by peer: the
 * server's forward associations and its drop log. */
unsigned sipc__addr_hash(const sipc_addr *a);

#endif /* SIPC_URL_H */
