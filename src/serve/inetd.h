/*
 * inetd.h - `sockipc serve --inetd SERVICE [ARGS...]`: the one connection
 * (or datagram socket) that inetd, xinetd (`wait = no`), systemd
 * (`Accept=yes`), tcpserver or socat's EXEC gave on descriptor 0, served
 * by the server core as a one-endpoint server.
 */
#ifndef SIPC_SERVE_INETD_H
#define SIPC_SERVE_INETD_H

#include <stdbool.h>
#include <stddef.h>

#include "serve/config.h"
#include "serve/inherit.h"

struct sipc__server;

/* inetd's `wait` on an shm rendezvous without --idle-timeout: how long
 * serve waits for the client in the listener's queue. */
#define SIPC__INETD_WAIT_MS_DEFAULT 10000

/* How --inetd was asked for. */
struct sipc__inetd_how {
	const char *as; /* --inetd=SCHEME[?OPTIONS]; NULL or "": the socket's kind */
	bool tls;       /* the TLS options were given: the client speaks TLS */
	bool check;     /* --check: a listener's queue is left alone */
};

/*
 * Looks at descriptor 0 and makes CFG's one service line of it: the
 * socket's own address as URL, then WORDS (SERVICE [ARGS...], NWORDS of
 * them).  The socket moves to a descriptor of its own in *POOLP (a new
 * pool, which CFG->inherit points at), and /dev/null takes descriptors 0
 * and 1, so nothing written to stdout can reach the client.  0, or -1
 * with WHY: descriptor 0 is not a socket (a pipe, a terminal) or is a
 * listening one, or the service cannot serve one connection (broadcast).
 * TLS: the client speaks TLS on the TCP connection (--cert, --key...):
 * its line is tls://, so the core does the handshake.
 * HOW->as names the scheme: the socket's own (tcp, udp, unix...), tls
 * on a TCP connection, or shm on a unix stream socket: the rendezvous of
 * an shm:// client, whose handshake (the rings, over SCM_RIGHTS) then
 * runs on it; with shm, the URL options ring= and spin= may follow
 * ("shm?ring=64K").  An shm rendezvous that listens (inetd's `wait`,
 * systemd's Accept=no with StandardInput=socket) gives one connection,
 * accepted here within --idle-timeout (default
 * SIPC__INETD_WAIT_MS_DEFAULT), then closed: the super-server starts
 * serve again for the next client.  No client within that time, or an
 * accept that fails: -2 with WHY (a runtime failure, not a usage error).
 */
int sipc__inetd_config(struct sipc_serve_config *cfg, struct sipc__inherit **poolp,
		       char *const *words, int nwords, const struct sipc__inetd_how *how, char *why,
		       size_t whylen);

/* Serves the connection of a stream or seqpacket --inetd server until it
 * ends (or the drain after SIGTERM does).  Returns the exit status. */
int sipc__inetd_serve(struct sipc__server *srv);

#endif /* SIPC_SERVE_INETD_H */
