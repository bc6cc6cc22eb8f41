/*
 * endpoint.h - the inside of a sipc_endpoint, shared by the files that
 * open endpoints (endpoint.c, transport/), move messages (msg.c) and bytes
 * (bytes.c).  Nothing outside src/lib includes it.
 */
#ifndef SIPC_ENDPOINT_H
#define SIPC_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockipc.h"
#include "sockopt.h"
#include "sys/sys.h"
#include "why.h"

struct sipc__transport;

/*
 * Receive state of a framed stream.  A frame may arrive across many calls
 * (a timeout in the middle keeps what came), so the header and any body
 * received so far live here, not on the caller's stack.
 */
struct sipc__frame_rx {
	uint8_t hdr[4];
	size_t hdr_have;  /* 0..4 header bytes received */
	size_t body_len;  /* the frame's length, once hdr_have == 4 */
	size_t body_have; /* body bytes received into body */
	size_t body_cap;  /* bytes allocated at body */
	uint8_t *body;    /* endpoint-owned partial body, or NULL */
	/* What came with the frame so far on a receive that takes descriptors
	 * or credentials (sipc_recv_fds, sipc_recv_cred; fdmsg.c): owned here
	 * until the frame is whole, closed if it is never handed over. */
	int *fds;      /* SIPC__FDPASS_MAX slots once needed, or NULL */
	size_t nfds;   /* of them, open */
	bool has_cred; /* cred holds the frame's credentials */
	sipc_cred cred;
};

/*
 * Send state of a framed stream.  A send whose time runs out after part of
 * a frame went out keeps a copy of the whole frame here, so that the stream
 * stays framed: the next sipc_send finishes it first (and, when that call
 * repeats the same message, sends nothing more).
 */
struct sipc__frame_tx {
	uint8_t *frame; /* header and body of the unfinished frame, or NULL */
	size_t len;     /* bytes at frame */
	size_t sent;    /* of them, already on the wire */
};

struct sipc_endpoint {
	int fd;
	sipc_scheme scheme; /* as opened: tcp4 stays tcp4 */
	const struct sipc__transport *tp;
	bool listener;    /* stream/seqpacket: accepts; datagram: bound, unconnected */
	bool connected;   /* has one fixed peer */
	bool tx_broken;   /* a framed send failed part way */
	bool rx_broken;   /* a framed receive cannot go on (oversize, mid-frame) */
	bool out_of_step; /* stream: a sipc_request timed out with its request
			     out, so a late reply would pass for the next one */
	bool rx_passcred; /* msg.c turned SO_PASSCRED on: on seqpacket so an
			    empty record (it carries credentials) is told from
			    EOF, on any unix kind for sipc_recv_cred */
	size_t max_msg;
	int backlog;
	sipc_trace_fn *trace;
	void *trace_arg;
	/* A unix listener on a filesystem path unlinks it on close, but only
	 * while the file there is still the one it created (same dev/ino). */
	char *unlink_path;
	struct sipc__file_id unlink_id;
	struct sipc__frame_rx rx;
	struct sipc__frame_tx tx;
	/* A transport's own per-connection state (TLS: the SSL object and
	 * its config reference); NULL for the plain socket kinds. */
	void *tp_state;
	/* The socket options of the URL it was opened with (an accepted
	 * connection: its listener's), which sockopt.c applies. */
	struct sipc__sockopts sockopts;
	/* The sentence behind the last failed call (sipc_endpoint_why), or
	 * NULL; allocated when first needed. */
	char *why;
};

/*
 * The checks every public call on an endpoint makes before anything else:
 * -EINVAL for a NULL endpoint or a timeout below -1 (only -1 means
 * forever, so -5 is a caller's bug, not a long wait).  The _io form also
 * gives SIPC_EKIND for a stream or seqpacket listener, which moves no data.
 */
int sipc__ep_check(const sipc_endpoint *ep, int timeout_ms);
int sipc__ep_check_io(const sipc_endpoint *ep, int timeout_ms);

/* Whether EP is a listener that accepts (stream or seqpacket). */
bool sipc__ep_accepts(const sipc_endpoint *ep);

/* A connection someone else accepted from LISTENER (serve's loop, whose
 * io_uring backend accepts by itself: loop.h sipc__io_accept_start) as
 * an endpoint, exactly as sipc_accept makes one after its accept4 (which
 * calls this): the listener's options, TCP_NODELAY, the trace lines, the
 * transport's state.  FD is the accepted descriptor (non-blocking,
 * close-on-exec), owned from here on: closed on failure.  SA/LEN: the
 * peer's address as accept gave it, or SA NULL (asked of FD when traced).
 * 0 with *CONNP, or -errno. */
int sipc__ep_accepted(sipc_endpoint *listener, int fd, const struct sockaddr *sa, socklen_t len,
		      sipc_endpoint **connp);
/* Whether LISTENER's connections are plain sockets that
 * sipc__ep_accepted may make from a descriptor alone (tcp, unix,
 * unixpacket): not a transport with state of its own per connection
 * (tls, shm), which keep sipc_accept. */
bool sipc__ep_plain_accept(const sipc_endpoint *listener);

/* For a listener passed between processes (serve --handover): RELEASE
 * makes EP's close leave its socket file alone (the file is the other
 * process's now); CLAIM makes EP, wrapped from a descriptor, unlink the
 * file at its bound path on close while it is still that file (as a
 * listener bound here does).  CLAIM: 0, or -errno; nothing for a socket
 * without a file (abstract, IP). */
void sipc__ep_release_path(sipc_endpoint *ep);
int sipc__ep_claim_path(sipc_endpoint *ep);

/* For an endpoint wrapped from a descriptor whose URL is known (serve's
 * listeners passed in by its supervisor, forward's dialed backends): the
 * URL's options, kept as sipc_listen and sipc_dial keep them.  shm://
 * reads ring= and spin= from them when its handshake starts. */
static inline void sipc__ep_set_sockopts(sipc_endpoint *ep, const struct sipc__sockopts *o)
{
	ep->sockopts = *o;
}

/* Sets ep->why, the sentence behind the last failed call, to a formatted
 * one (allocated on first use; left as it was when that fails). */
void sipc__ep_why(sipc_endpoint *ep, const char *fmt, ...) SIPC__PRINTF(2, 3);

#endif /* SIPC_ENDPOINT_H */
