/*
 * sockopt.h - socket options written in an endpoint URL's query
 * ("tcp://h:80?keepalive=30&rcvbuf=1M"): the one table of their names
 * (urlopt.c parses and prints them, so every place that takes a URL - the
 * library, the command line, serve lines and configuration files - takes
 * them the same way), and the setsockopt calls that apply them to a socket
 * at the right moment of its life (sockopt.c; multicast in mcast.c).
 * Nothing outside src/lib includes it.
 */
#ifndef SIPC_SOCKOPT_H
#define SIPC_SOCKOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/net.h"
#include "sockipc.h"
#include "why.h"

/* Every option, in the order sipc_url_format prints them. */
enum sipc__opt {
	SIPC__OPT_KEEPALIVE,    /* seconds idle before probes; SO_KEEPALIVE on */
	SIPC__OPT_KEEPINTVL,    /* seconds between probes */
	SIPC__OPT_KEEPCNT,      /* probes before the connection is dropped */
	SIPC__OPT_RCVBUF,       /* SO_RCVBUF bytes (the kernel doubles it) */
	SIPC__OPT_SNDBUF,       /* SO_SNDBUF bytes (the kernel doubles it) */
	SIPC__OPT_NODELAY,      /* TCP_NODELAY 0/1 (1 is the default) */
	SIPC__OPT_REUSEPORT,    /* SO_REUSEPORT 0/1 */
	SIPC__OPT_V6ONLY,       /* IPV6_V6ONLY 0/1 on IPv6 sockets */
	SIPC__OPT_TTL,          /* IP_TTL / IPV6_UNICAST_HOPS */
	SIPC__OPT_TOS,          /* IP_TOS / IPV6_TCLASS */
	SIPC__OPT_DEVICE,       /* SO_BINDTODEVICE interface name */
	SIPC__OPT_MARK,         /* SO_MARK */
	SIPC__OPT_USER_TIMEOUT, /* TCP_USER_TIMEOUT milliseconds */
	SIPC__OPT_FASTOPEN,     /* listen: TCP_FASTOPEN queue; dial: _CONNECT */
	SIPC__OPT_LINGER,       /* SO_LINGER seconds (0: reset on close) */
	SIPC__OPT_IFACE,        /* multicast interface name */
	SIPC__OPT_MCAST_TTL,    /* IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS */
	SIPC__OPT_MCAST_LOOP,   /* IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP */
	SIPC__OPT_SOURCE,       /* source-specific join: the one source */
	SIPC__OPT_BROADCAST,    /* SO_BROADCAST 0/1: udp to a broadcast address */
	SIPC__OPT_RING,         /* shm: bytes of each ring (a power of two) */
	SIPC__OPT_SPIN,         /* shm: microseconds to spin before sleeping;
				   -1 (written "always"): busy-poll */
	SIPC__OPT_RING_MAX,     /* shm: the largest ring a peer may hand us */
	SIPC__OPT_COUNT
};

/* What a URL's query asked for: a bit per option given, its number, and
 * the text of the three options whose value is a name or an address.  A
 * plain struct (no pointers), so an endpoint keeps a copy and an accepted
 * connection takes its listener's. */
struct sipc__sockopts {
	uint32_t set;                   /* 1u << enum sipc__opt for each given */
	long long num[SIPC__OPT_COUNT]; /* the value of each numeric option */
	char device[IF_NAMESIZE];
	char iface[IF_NAMESIZE];
	char source[INET6_ADDRSTRLEN]; /* canonical IPv4 or IPv6 literal */
};

static inline bool sipc__opt_has(const struct sipc__sockopts *o, enum sipc__opt id)
{
	return (o->set & (1u << id)) != 0;
}

/* ---- urlopt.c: the query grammar ---- */

/*
 * Parses QUERY (the text after '?', N bytes) of a URL of SCHEME into OUT:
 * NAME=VALUE pairs joined by '&'.  An unknown name, one given twice, a bad
 * value, or an option SCHEME has no use for is SIPC_EURL_OPTION with a
 * sentence in WHY that names it.  OUT is written only on success.
 */
int sipc__urlopt_parse(sipc_scheme scheme, const char *query, size_t n, struct sipc__sockopts *out,
		       char *why, size_t whylen);
/* Writes "?name=value&..." for the options of O (nothing when none), in
 * the table's order, values as they parse back; the length, or
 * SIPC_EBUFSIZE when CAP is short. */
int sipc__urlopt_format(const struct sipc__sockopts *o, char *buf, size_t cap);
/* "name=value" of option ID of O, as the URL prints it. */
void sipc__urlopt_pair(const struct sipc__sockopts *o, enum sipc__opt id, char *buf, size_t cap);
/* The option's name in a URL ("rcvbuf"). */
const char *sipc__urlopt_name(enum sipc__opt id);

/* ---- sockopt.c: applying them ---- */

/* The moments of a socket's life at which options go on. */
enum sipc__sockopt_stage {
	SIPC__SO_LISTEN,    /* a listener, between socket() and bind() */
	SIPC__SO_LISTENING, /* a listener, after bind() and listen() */
	SIPC__SO_DIAL,      /* a dialing socket, before bind() and connect() */
};

/*
 * Sets, on EP's fresh socket for ADDR, the options of ep->sockopts that
 * belong to STAGE, each with one traced setsockopt.  The first that fails
 * ends the open: its code returns, with "NAME=VALUE: ..." in ep->why.  An
 * option that makes no sense for the role (a source-specific join on a
 * dial, or on a listener that is not on a group) is SIPC_EURL_OPTION.
 */
int sipc__sockopt_apply(sipc_endpoint *ep, const sipc_addr *addr, enum sipc__sockopt_stage stage);

/*
 * For a program that makes its own non-blocking socket FD for ADDR and
 * connects it from its event loop (serve's forward): puts the dial options
 * O on it as sipc_dial would (TCP_NODELAY too, when O gives it), untraced.
 * 0, or the code of the first that failed with its sentence in WHY.
 */
int sipc__sockopt_dial_fd(int fd, const struct sipc__sockopts *o, const sipc_addr *addr, char *why,
			  size_t whylen);

/* The value of a 0/1 option the transport sets anyway (nodelay, v6only),
 * or DFLT when the URL did not give it. */
int sipc__sockopt_flag(const sipc_endpoint *ep, enum sipc__opt id, int dflt);

/* Writes "NAME=VALUE: " + the sentence of FMT into ep->why (allocated
 * once), for a failure of option ID. */
void sipc__sockopt_why(sipc_endpoint *ep, enum sipc__opt id, const char *fmt, ...)
	SIPC__PRINTF(3, 4);

/* ---- mcast.c: multicast UDP ---- */

/* Whether ADDR is an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) group. */
bool sipc__mcast_is_group(const sipc_addr *addr);
/* A listener on group ADDR, before bind: SO_REUSEADDR, so that several
 * receivers on this machine can bind the group's port. */
int sipc__mcast_before_bind(sipc_endpoint *ep, const sipc_addr *addr);
/* A listener on group ADDR, once bound: joins it on iface (the system's
 * choice without one), or only for `source` (a source-specific join). */
int sipc__mcast_join(sipc_endpoint *ep, const sipc_addr *addr);
/* Any UDP socket of ADDR's family: the sending options iface, mcast_ttl
 * and mcast_loop, those given. */
int sipc__mcast_sender(sipc_endpoint *ep, const sipc_addr *addr);

#endif /* SIPC_SOCKOPT_H */
