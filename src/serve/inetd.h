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
 */
int sipc__inetd_config(struct sipc_serve_config *cfg, struct sipc__inherit **poolp,
		       char *const *words, int nwords, bool tls, char *why, size_t whylen);

/* Serves the connection of a stream or seqpacket --inetd server until it
 * ends (or the drain after SIGTERM does).  Returns the exit status. */
int sipc__inetd_serve(struct sipc__server *srv);

#endif /* SIPC_SERVE_INETD_H */
