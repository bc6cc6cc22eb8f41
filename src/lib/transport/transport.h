/*
 * transport.h - the small table of operations behind each socket kind
 * (tcp.c, udp.c, unix.c), used by endpoint.c to open, bind, connect and
 * accept, plus the traced socket calls every transport shares
 * (transport.c).  What differs between kinds lives in the table; the order
 * of the calls (socket, options, bind, listen / connect) lives in
 * endpoint.c.
 */
#ifndef SIPC_TRANSPORT_H
#define SIPC_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "endpoint.h"
#include "sockipc.h"

struct sipc__transport {
	/* The protocol word of the "association (...)" trace line. */
	const char *proto;
	int socktype; /* SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
	/* listen() and accept() apply: stream and seqpacket kinds. */
	bool listens;
	/* Options a listening (or bound datagram) socket needs before bind:
	 * SO_REUSEADDR, IPV6_V6ONLY.  NULL when there are none. */
	int (*before_bind)(sipc_endpoint *ep, const sipc_addr *addr);
	/* Binds ep->fd to ADDR.  The unix kinds replace a stale socket file,
	 * apply MODE (0: leave it) and remember the file for close. */
	int (*bind)(sipc_endpoint *ep, const sipc_addr *addr, unsigned mode);
	/* Before connect() on a dialing socket that no source address bound:
	 * unixgram autobinds so that replies can reach it.  May be NULL. */
	int (*before_connect)(sipc_endpoint *ep, const sipc_addr *addr);
	/* Once a connection exists, dialed or accepted: TCP_NODELAY.  May be
	 * NULL. */
	int (*after_connect)(sipc_endpoint *ep);
};

/* The table for SCHEME; NULL for SIPC_SCHEME_NONE or an unknown value. */
const struct sipc__transport *sipc__transport_for(sipc_scheme scheme);

extern const struct sipc__transport sipc__transport_tcp;
extern const struct sipc__transport sipc__transport_udp;
extern const struct sipc__transport sipc__transport_unix;
extern const struct sipc__transport sipc__transport_unixgram;
extern const struct sipc__transport sipc__transport_unixpacket;

/*
 * The socket calls, each traced through EP's trace function in the fixed
 * --trace format ("bind(3, tcp://127.0.0.1:0) = 0").  FD is passed apart
 * from EP so a transport can trace calls on a helper socket (the stale
 * unix path probe).  Each returns what the sys layer returned.
 */
int sipc__tp_socket(const sipc_endpoint *ep, int family, int type);
int sipc__tp_setsockopt(const sipc_endpoint *ep, int fd, int level, int name, const char *optname,
			int value);
int sipc__tp_bind(const sipc_endpoint *ep, int fd, const sipc_addr *addr);
int sipc__tp_connect(const sipc_endpoint *ep, int fd, const sipc_addr *addr, int64_t deadline);
int sipc__tp_close(const sipc_endpoint *ep, int fd);

/* ADDR as canonical URL text for a trace line; "?" when it cannot be
 * formatted. */
const char *sipc__tp_addr_text(const sipc_addr *addr, char *buf, size_t len);

#endif /* SIPC_TRANSPORT_H */
