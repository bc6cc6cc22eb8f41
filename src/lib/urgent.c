/*
 * urgent.c - urgent (out-of-band) data on TCP connections: one byte sent
 * with MSG_OOB, the POLLPRI that says one waits, its recv with MSG_OOB, and
 * sockatmark(3) for the mark in the normal stream.  It works on the
 * descriptor through sys/, beside the transport table rather than in it:
 * only the plain TCP transport has urgent data, and TLS must not (the byte
 * would bypass the record layer: neither encrypted nor authenticated), so
 * a table entry every other kind fills with "no" would say less than the
 * one scheme check here.  Each call is one --trace line in the strace-like
 * form of the other socket calls.
 */
#include "urgent.h"

#include <errno.h>
#include <stdio.h>

#include "sys/net.h"
#include "endpoint.h"
#include "sys/sys.h"
#include "trace.h"

const char *sipc__urgent_text(uint8_t byte, char *buf, size_t len)
{
	if (byte >= 0x20 && byte <= 0x7e)
		snprintf(buf, len, "0x%02x '%c'", byte, byte);
	else
		snprintf(buf, len, "0x%02x", byte);
	return buf;
}

bool sipc__urgent_scheme(sipc_scheme scheme)
{
	return scheme == SIPC_TCP || scheme == SIPC_TCP4 || scheme == SIPC_TCP6;
}

enum sipc__urgent_next sipc__urgent_next(int fd)
{
	uint8_t b;
	ssize_t peeked = sipc__sys_recv(fd, &b, 1, MSG_PEEK);

	/* At the mark, a peek moves past the urgent byte in its own count
	 * (and finds the next byte, or none): SIOCATMARK, after it, says so. */
	if (sipc__sys_atmark(fd) != 1)
		return peeked == -EAGAIN ? SIPC__URGENT_WAIT : SIPC__URGENT_READ;
	/* tcp_recv_urg(): 1 with the byte here, EAGAIN when the urgent
	 * pointer came without it, EINVAL once it was taken. */
	switch (sipc__sys_recv(fd, &b, 1, MSG_OOB | MSG_PEEK)) {
	case 1:
		return SIPC__URGENT_TAKE;
	case -EAGAIN:
		return SIPC__URGENT_WAIT;
	default: /* taken: a read goes on after it */
		return peeked == -EAGAIN ? SIPC__URGENT_WAIT : SIPC__URGENT_READ;
	}
}

/* -EINVAL for a NULL endpoint or a bad timeout, SIPC_EKIND for a listener
 * or any kind but TCP. */
static int check(const sipc_endpoint *ep, int timeout_ms)
{
	int rc = sipc__ep_check_io(ep, timeout_ms);

	if (rc == 0 && !sipc__urgent_scheme(ep->scheme))
		rc = SIPC_EKIND;
	return rc;
}

int sipc_urgent_send(sipc_endpoint *ep, uint8_t byte, int timeout_ms)
{
	int64_t deadline = sipc__deadline(timeout_ms);
	char tb[SIPC__URGENT_TEXT_MAX], rb[128];
	ssize_t n;
	int rc = check(ep, timeout_ms);

	if (rc < 0)
		return rc;
	/* Bounded by the deadline: each pass sends, fails, or waits for room
	 * in the send buffer for what is left of it. */
	for (;;) {
		n = sipc__sys_send(ep->fd, &byte, 1, MSG_OOB);
		if (n != -EAGAIN)
			break;
		rc = sipc__sys_wait(ep->fd, POLLOUT, deadline);
		if (rc < 0) {
			n = rc;
			break;
		}
	}
	sipc__tracef(ep->trace, ep->trace_arg, "send(%d, %s, MSG_OOB) = %s", ep->fd,
		     sipc__urgent_text(byte, tb, sizeof(tb)), sipc__result_text(n, rb, sizeof(rb)));
	return n < 0 ? (int)n : 0;
}

int sipc_urgent_pending(const sipc_endpoint *ep)
{
	char rb[128];
	int rc = check(ep, 0);

	if (rc < 0)
		return rc;
	/* tcp_poll() sets POLLPRI while a received urgent byte is unread. */
	rc = sipc__sys_wait(ep->fd, POLLPRI, sipc__deadline(0));
	if (rc == SIPC_ETIMEDOUT)
		rc = 0;
	else if (rc > 0)
		rc = (rc & POLLPRI) != 0;
	sipc__tracef(ep->trace, ep->trace_arg, "poll(%d, POLLPRI) = %s", ep->fd,
		     sipc__result_text(rc, rb, sizeof(rb)));
	return rc;
}

int sipc_urgent_recv(sipc_endpoint *ep, uint8_t *byte)
{
	char tb[SIPC__URGENT_TEXT_MAX] = "", rb[128];
	uint8_t b;
	ssize_t n;
	int rc = check(ep, 0);

	if (rc < 0)
		return rc;
	if (byte == NULL)
		return -EINVAL;
	n = sipc__sys_recv(ep->fd, &b, 1, MSG_OOB);
	if (n == 1)
		sipc__urgent_text(b, tb, sizeof(tb));
	sipc__tracef(ep->trace, ep->trace_arg, "recv(%d, MSG_OOB) = %s%s%s", ep->fd,
		     sipc__result_text(n, rb, sizeof(rb)), n == 1 ? " " : "", tb);
	/* tcp_recv_urg(): EINVAL when there is no urgent byte to give (none
	 * came, read already, passed, or SO_OOBINLINE), EAGAIN when the
	 * urgent pointer came but not its byte yet.  Either way: none now. */
	if (n == -EINVAL || n == -EAGAIN)
		return 0;
	if (n < 0)
		return (int)n;
	if (n == 0)
		return 0; /* the stream has ended: no urgent byte */
	*byte = b;
	return 1;
}

int sipc_urgent_at_mark(const sipc_endpoint *ep)
{
	char rb[128];
	int rc = check(ep, 0);

	if (rc < 0)
		return rc;
	rc = sipc__sys_atmark(ep->fd);
	sipc__tracef(ep->trace, ep->trace_arg, "sockatmark(%d) = %s", ep->fd,
		     sipc__result_text(rc, rb, sizeof(rb)));
	return rc;
}
