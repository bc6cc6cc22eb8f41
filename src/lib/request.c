/*
 * request.c - request/response, the datagram client of seed 000: send the
 * request, wait for one reply, and when none comes send it again with a
 * doubled wait, because a datagram (or its answer) may simply be lost.
 * Streams lose nothing, so there the request goes once and the wait covers
 * the same total time.  A late reply to an earlier copy is as good as any:
 * the server answers the same request the same way.
 */
#include <errno.h>

#include "endpoint.h"
#include "sockipc.h"
#include "sys/sys.h"

/* No single wait grows beyond this, however many retries were asked for:
 * a client that backs off for minutes looks hung. */
#define WAIT_CAP_MS 30000

/* The wait after send number I (0 = the first): TIMEOUT_MS doubled I
 * times, capped at WAIT_CAP_MS (a longer first timeout is kept as given). */
static int wait_ms(int timeout_ms, int i)
{
	int64_t w = timeout_ms;

	while (i-- > 0 && w < WAIT_CAP_MS)
		w = w * 2 > WAIT_CAP_MS ? WAIT_CAP_MS : w * 2;
	return (int)w;
}

static ssize_t request_stream(sipc_endpoint *ep, const void *req, size_t len, void *reply,
			      size_t cap, int timeout_ms, int retries)
{
	int64_t total = 0, deadline;
	ssize_t r;
	int i;

	if (timeout_ms < 0) {
		deadline = SIPC__NEVER;
	} else {
		for (i = 0; i <= retries && total < INT32_MAX; i++)
			total += wait_ms(timeout_ms, i);
		deadline = sipc__deadline(total > INT32_MAX ? INT32_MAX : (int)total);
	}
	r = sipc_send(ep, req, len, sipc__deadline_left(deadline));
	if (r < 0)
		return r;
	/* The reply gets what the send left of the same total, the time a
	 * datagram client would have spent on all its copies. */
	return sipc_recv(ep, reply, cap, sipc__deadline_left(deadline));
}

ssize_t sipc_request(sipc_endpoint *ep, const void *req, size_t len, void *reply, size_t cap,
		     int timeout_ms, int retries)
{
	ssize_t r;
	int i, w;

	if (retries < 0)
		return -EINVAL;
	if (sipc_scheme_is_stream(ep->scheme))
		return request_stream(ep, req, len, reply, cap, timeout_ms, retries);
	/* Waiting forever leaves no moment to resend. */
	if (timeout_ms < 0)
		retries = 0;
	for (i = 0; i <= retries; i++) {
		w = timeout_ms < 0 ? -1 : wait_ms(timeout_ms, i);
		r = sipc_send(ep, req, len, w);
		if (r < 0 && r != SIPC_ETIMEDOUT)
			return r;
		/* Any reply ends it, also one to an earlier copy.  A reply too
		 * large for REPLY is SIPC_ETRUNC: a resend would get the same. */
		r = sipc_recv(ep, reply, cap, w);
		if (r != SIPC_ETIMEDOUT)
			return r;
	}
	return SIPC_ETIMEDOUT;
}
