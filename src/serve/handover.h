/*
 * handover.h - `sockipc serve --handover PATH`: a running serve passes its
 * listening sockets to a new one over a unix seqpacket socket at PATH
 * (SCM_RIGHTS), so an upgrade refuses no connection.
 *
 * The new process connects to PATH; finding a live serve there (of its own
 * user or root: SO_PEERCRED both ways), it receives one message per socket,
 * then an end message:
 *
 *     "SIPCHO1\0"  kind (1 byte: SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET;
 *                  0 ends)  URL length (2 bytes, big-endian, <= 4096)
 *                  the URL as written (printable bytes), one descriptor
 *
 * It takes the sockets whose URL its configuration names (binding the
 * rest), starts its generation and, once that accepts, sends "SIPCHO1\0"
 * with kind 0xff: the old serve stops accepting, lets its connections end
 * and exits 0 without unlinking what it gave; the new one unlinks PATH and
 * listens there itself.  Nobody listening at PATH (no file, or a file left
 * by a dead serve): the new one binds everything and listens at PATH.
 * Anything else a peer sends is refused with a clear error.
 */
#ifndef SIPC_SERVE_HANDOVER_H
#define SIPC_SERVE_HANDOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "serve/config.h"
#include "sockipc.h"

struct sipc__handover;

/* Takes over from a live serve at PATH or prepares to listen there: 0, or
 * -1 with WHY (a hostile or broken peer, a socket error). */
int sipc__handover_open(struct sipc__handover **hop, const char *path, char *why, size_t whylen);
/* The handed-over socket for URL as written (removed from the pool), as
 * an endpoint of CFG: 0, or -ENOENT when none was handed over.  NULL HO:
 * -ENOENT. */
int sipc__handover_take(struct sipc__handover *ho, const char *url,
			const struct sipc_serve_config *cfg, sipc_endpoint **epp);
/* Closes the handed-over sockets nothing took. */
void sipc__handover_drop_rest(struct sipc__handover *ho);
/* The first generation accepts: tells the old serve, and listens at PATH. */
void sipc__handover_accepting(struct sipc__handover *ho);
/* The descriptor to poll for reading, or -1. */
int sipc__handover_fd(const struct sipc__handover *ho);
/* It is readable: a new serve asking for the sockets EPS[0..N) of CFG,
 * or its word that it accepts.  Returns true when the sockets have just
 * been taken over (the caller retires its generations). */
bool sipc__handover_serve(struct sipc__handover *ho, const struct sipc_serve_config *cfg,
			  sipc_endpoint *const *eps, size_t n);
/* Whether a new serve took the sockets over. */
bool sipc__handover_given(const struct sipc__handover *ho);
/* In a forked generation: closes every descriptor of HO (no unlink). */
void sipc__handover_close_fds(struct sipc__handover *ho);
/* Closes everything; unlinks PATH if it is still this process's socket. */
void sipc__handover_free(struct sipc__handover *ho);

#endif /* SIPC_SERVE_HANDOVER_H */
