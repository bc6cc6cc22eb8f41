/*
 * dialer.h - the one way serve connects out from a worker's loop without
 * blocking it: forward's backend, and the destination of the proxy
 * services.  A dial tries the target's addresses in order (each with what
 * is left of one timeout), retries a unix listener whose backlog is full
 * (it refuses with EAGAIN and sends no event when room comes), then takes
 * the connection through the steps a target asks for before the caller
 * gets it: a TLS handshake for a tls:// target, the rings of an shm://
 * one (its handshake, on the loop too), and a library endpoint
 * for a seqpacket one (whose records the library reads whole).  Every
 * step runs on the loop's events and the one timeout bounds them all, so
 * a destination that stops answering half-way costs its client, never
 * the worker.
 */
#ifndef SIPC_SERVE_DIALER_H
#define SIPC_SERVE_DIALER_H

#include <stdbool.h>
#include <stddef.h>

#include "loop/loop.h"
#include "proxy/proxy.h"
#include "sockipc.h"
#include "sockopt.h"

#define SIPC__DIAL_MAX_ADDRS 8
/* The longest preamble a dial writes (a v2 PROXY header of two unix
 * addresses is 232 bytes). */
#define SIPC__DIAL_PREAMBLE_MAX 256

/* Where to dial and how: read-only while dials use it (a service keeps
 * one per endpoint for a fixed backend, or one per request). */
struct sipc__dial_target {
	sipc_scheme scheme;
	sipc_addr addrs[SIPC__DIAL_MAX_ADDRS];
	int naddrs;
	int timeout_ms;
	const sipc_tls_config *tls; /* tls:// targets: how the peer is checked */
	size_t max_msg;             /* seqpacket targets: the endpoint's limit */
	/* The socket options of the target's URL, on every socket made for
	 * it (and forward's datagram sockets). */
	struct sipc__sockopts opts;
	/* Through a proxy (forward --proxy): ADDRS are the proxy's, and once
	 * connected its handshake (proxy.h) asks it for PROXY_DEST, before
	 * the TLS handshake (which checks the destination's name) and before
	 * the hand-over.  NULL: direct. */
	const struct sipc__proxy_url *proxy;
	struct sipc__proxy_dest proxy_dest;
};

struct sipc__dialer;

/*
 * The dial is over.  ERR 0: the connection is the caller's, as BEP when it
 * goes through the library (tls, shm, seqpacket), else as the descriptor BFD
 * (BEP NULL).  ERR < 0: nothing is left open, and WHY holds what the
 * error code does not say ("" when nothing): the TLS detail, the proxy's reply.  Called from
 * the loop, or from sipc__dialer_start itself when the first address
 * answers at once; the dialer may be freed inside.
 */
typedef void sipc__dialer_done_fn(struct sipc__dialer *d, int err, int bfd, sipc_endpoint *bep,
				  const char *why);

struct sipc__dialer {
	sipc_loop *loop;
	const struct sipc__dial_target *t;
	sipc__dialer_done_fn *done;
	void *arg; /* the caller's */
	bool active;
	int fd;            /* connecting */
	sipc_endpoint *ep; /* in its TLS handshake */
	int addr_i;
	sipc_loop_io io;
	sipc_loop_timer timer;           /* the one timeout */
	sipc_loop_timer retry;           /* unix backlog full */
	struct sipc__proxy_hs *proxy_hs; /* in the proxy handshake */
	bool tunneled;                   /* the proxy handshake is done */
	/* sipc__dialer_preamble: bytes written once connected, before the
	 * TLS handshake (a PROXY header); [pre_off, pre_len) still to go. */
	unsigned char pre[SIPC__DIAL_PREAMBLE_MAX];
	size_t pre_len, pre_off;
};

/* Starts dialing T from LOOP; DONE gets the result (with D, whose arg is
 * ARG).  T must outlive the dial. */
void sipc__dialer_start(struct sipc__dialer *d, sipc_loop *loop, const struct sipc__dial_target *t,
			sipc__dialer_done_fn *done, void *arg);
/* Makes the next sipc__dialer_start of D write the N bytes at P (copied;
 * N <= SIPC__DIAL_PREAMBLE_MAX) first, once connected and before a TLS
 * handshake, under the dial's one timeout: `forward --send-proxy`'s
 * header.  A dial that ends forgets them: set them before each start.
 * 0, or SIPC_EMSGSIZE when N is too long. */
int sipc__dialer_preamble(struct sipc__dialer *d, const void *p, size_t n);
/* Cancels a dial under way and closes what it holds; nothing when none
 * is (safe to repeat, and after DONE). */
void sipc__dialer_stop(struct sipc__dialer *d);

#endif /* SIPC_SERVE_DIALER_H */
