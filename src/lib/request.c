/*
 * request.c - request/response, the datagram client of seed 000: send the
 * request, wait for one reply, and when none comes send it again with a
 * doubled wait, because a datagram (or its answer) may simply be lost.
 * Streams lose nothing, so there the request goes once and the wait covers
 * the same total time.  A late reply to an earlier copy of the same request
 * is as good as any: the server answers the same request the same way.  A
 * late reply to an earlier request is not, and the two cannot be told apart
 * by their bytes, so what an earlier request left behind is cleared before
 * a new one goes out: on datagrams the queue is drained (through the
 * endpoint's transport, ep->tp), and a stream whose request timed out is
 * marked out of step (SIPC_EOUTOFSTEP) for good.
 */
#include <errno.h>
#include <limits.h>

#include "endpoint.h"
#include "sockipc.h"
#include "sys/sys.h"
#include "transport/transport.h"

/* No single wait grows beyond this, however many retries were asked for:
 * a client that backs off for minutes looks hung. */
#define WAIT_CAP_MS 30000

/* Most datagrams dropped before a request: a peer that floods the socket
 * faster than it drains must not hold the caller here forever. */
#define DRAIN_MAX 4096

/* The wait after a send that waited W: doubled, capped at WAIT_CAP_MS (a
 * longer first timeout is kept as given). */
static int next_wait(int w)
{
	if (w >= WAIT_CAP_MS)
		return w;
	return w > WAIT_CAP_MS / 2 ? WAIT_CAP_MS : w * 2;
}

static ssize_t request_stream(sipc_endpoint *ep, const void *req, size_t len, void *reply,
			      size_t cap, int timeout_ms, int retries)
{
	int64_t total = 0, deadline;
	ssize_t r;
	int i, w = timeout_ms;

	if (timeout_ms < 0) {
		deadline = SIPC__NEVER;
	} else {
		/* The sum of the waits a datagram client would make: linear in
		 * RETRIES and ended as soon as it passes INT_MAX, which is also
		 * where a timeout of 0 ends it (every wait is 0). */
		for (i = 0; total < INT_MAX; i++) {
			total += w;
			if (i >= retries || w == 0)
				break;
			w = next_wait(w);
		}
		deadline = sipc__deadline(total > INT_MAX ? INT_MAX : (int)total);
	}
	r = sipc_send(ep, req, len, sipc__deadline_left(deadline));
	if (r == SIPC_ETIMEDOUT && ep->tx.frame == NULL)
		return r; /* nothing went out: the stream is as it was */
	/* The reply gets what the send left of the same total, the time a
	 * datagram client would have spent on all its copies. */
	if (r >= 0)
		r = sipc_recv(ep, reply, cap, sipc__deadline_left(deadline));
	/* The request (or part of it) is out and its reply did not come: it
	 * may still, and would be read as the answer to the next request.
	 * Nothing in a reply says which request it answers, so the stream
	 * cannot be used for messages any more. */
	if (r == SIPC_ETIMEDOUT)
		ep->out_of_step = true;
	return r;
}

/*
 * Drops every datagram already queued on EP: replies to an earlier request
 * that came after it timed out.  A datagram endpoint does not know which
 * request a reply answers, so any left here would be taken for the answer
 * to the one about to go out.
 */
static void drain(sipc_endpoint *ep)
{
	char byte;
	int i;

	for (i = 0; i < DRAIN_MAX; i++) {
		ssize_t r = ep->tp->io->recv(ep, &byte, sizeof byte, MSG_DONTWAIT | MSG_TRUNC);
		/* -EAGAIN: empty.  Other errors (a queued ICMP error as
		 * -ECONNREFUSED) are consumed by the read and belong to the
		 * earlier request as well, so draining goes on. */
		if (r == -EAGAIN)
			return;
		/* A seqpacket peer that closed reads as 0 for ever. */
		if (r == 0 && sipc_scheme_socktype(ep->scheme) == SOCK_SEQPACKET)
			return;
	}
}

ssize_t sipc_request(sipc_endpoint *ep, const void *req, size_t len, void *reply, size_t cap,
		     int timeout_ms, int retries)
{
	ssize_t r;
	int i, w;

	if (sipc__ep_check(ep, timeout_ms) < 0 || retries < 0 || (req == NULL && len > 0) ||
	    (reply == NULL && cap > 0))
		return -EINVAL;
	if (sipc__ep_accepts(ep))
		return SIPC_EKIND;
	if (ep->out_of_step)
		return SIPC_EOUTOFSTEP;
	if (sipc_scheme_is_stream(ep->scheme))
		return request_stream(ep, req, len, reply, cap, timeout_ms, retries);
	/* Waiting forever leaves no moment to resend, and with no wait at all
	 * a resend would only come before the answer to the first copy could:
	 * one copy in both cases. */
	if (timeout_ms <= 0)
		retries = 0;
	drain(ep);
	w = timeout_ms;
	/* Counted so that retries == INT_MAX ends without an overflow. */
	for (i = 0;; i++) {
		r = sipc_send(ep, req, len, w);
		if (r < 0 && r != SIPC_ETIMEDOUT)
			return r;
		/* Any reply ends it, also one to an earlier copy.  A reply too
		 * large for REPLY is SIPC_ETRUNC: a resend would get the same. */
		r = sipc_recv(ep, reply, cap, w);
		if (r != SIPC_ETIMEDOUT || i >= retries)
			return r;
		w = next_wait(w);
	}
}
