/*
 * msg.h - the message layer's send and receive with control data beside
 * the bytes (descriptors, credentials), for the public calls of fdmsg.c.
 * A message is framed exactly as sipc_send frames it on each kind; the
 * control data rides with the first byte of the frame (its length header)
 * on a stream, with the datagram or record otherwise.
 */
#ifndef SIPC_MSG_H
#define SIPC_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sys/net.h"
#include "sockipc.h"

/* What goes with a message, and what came with one. */
struct sipc__anc {
	/* send: descriptors and credentials to attach (none: 0, NULL) */
	const int *fds;
	size_t nfds;
	const struct ucred *cred;
	/* receive: room for MAX descriptors at RFDS; the count that came in
	 * GOT; WANT_CRED turns SO_PASSCRED on first, and the message's
	 * credentials land in CRED with HAS_CRED set */
	int *rfds;
	size_t max;
	size_t got;
	bool want_cred;
	bool has_cred;
	sipc_cred rcred;
};

/* sipc_send / sipc_recv with ANC, after the caller's checks (a unix kind,
 * arguments).  On a failed receive nothing that came is left open. */
ssize_t sipc__msg_send_anc(sipc_endpoint *ep, const void *buf, size_t len,
			   const struct sipc__anc *anc, int timeout_ms);
ssize_t sipc__msg_recv_anc(sipc_endpoint *ep, void *buf, size_t cap, struct sipc__anc *anc,
			   int timeout_ms);

#endif /* SIPC_MSG_H */
