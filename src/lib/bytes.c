/*
 * bytes.c - byte mode on an endpoint: what netcat does, no framing.  It
 * owns the loops that move a whole buffer (or a vector of them) across the
 * short transfers a socket is allowed to make: a write may take fewer bytes
 * than offered when the send buffer fills, a read returns what has arrived.
 * Every loop keeps one CLOCK_MONOTONIC deadline for the whole call, tries
 * the system call first and polls only on EAGAIN, so the common case costs
 * one system call.  Every attempt and every wait goes through the
 * endpoint's transport (ep->tp: send, recv, recvmsg, wait; see
 * transport.h), never sys/ directly, so a transport with a protocol of its
 * own under the bytes (TLS) runs under the same loops.  The message layer
 * (msg.c) sends and reads its frames with the same loops.  On datagram and
 * seqpacket endpoints a byte read is one datagram, and one that did not
 * fit is reported, never cut.
 */
#include "bytes.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "endpoint.h"
#include "sockipc.h"
#include "sys/sys.h"
#include "transport/transport.h"

/* MSG_DONTWAIT keeps the loops correct even on a descriptor whose owner
 * cleared O_NONBLOCK (the header allows handing one to another program). */
#define NB MSG_DONTWAIT

/* Drops N transferred bytes from the front of IOV[*IDX..CNT), skipping the
 * iovecs that are then empty. */
static void iov_advance(struct iovec *iov, int cnt, int *idx, size_t n)
{
	while (*idx < cnt && n >= iov[*idx].iov_len) {
		n -= iov[*idx].iov_len;
		(*idx)++;
	}
	if (*idx < cnt && n > 0) {
		iov[*idx].iov_base = (char *)iov[*idx].iov_base + n;
		iov[*idx].iov_len -= n;
	}
	while (*idx < cnt && iov[*idx].iov_len == 0)
		(*idx)++;
}

/* Copies IOV into LOCAL, checking the count and that the total fits the
 * ssize_t the public functions return.  Returns the total or -EINVAL. */
static ssize_t iov_copy(struct iovec *local, const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	int i;

	if (iovcnt < 0 || iovcnt > SIPC__IOV_MAX || (iovcnt > 0 && iov == NULL))
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - total)
			return -EINVAL;
		total += iov[i].iov_len;
		local[i] = iov[i];
	}
	return (ssize_t)total;
}

static int send_local(sipc_endpoint *ep, struct iovec *iov, int cnt, int64_t deadline, size_t *sent)
{
	int idx = 0;
	ssize_t r;
	int w;

	iov_advance(iov, cnt, &idx, 0);
	/* Bounded: each pass moves bytes, or waits and the deadline decides. */
	while (idx < cnt) {
		struct msghdr msg = {.msg_iov = iov + idx, .msg_iovlen = (size_t)(cnt - idx)};

		r = ep->tp->io->sendmsg(ep, &msg, NB);
		if (r >= 0) {
			*sent += (size_t)r;
			iov_advance(iov, cnt, &idx, (size_t)r);
			continue;
		}
		if (r != -EAGAIN)
			return (int)r;
		w = ep->tp->io->wait(ep, POLLOUT, deadline);
		if (w < 0)
			return w;
	}
	/* TLS may still hold the last record the socket did not take: the
	 * write is done when it has gone to the kernel, as for a socket. */
	if (ep->tp->io->drain != NULL)
		return ep->tp->io->drain(ep, deadline);
	return 0;
}

static int recv_local(sipc_endpoint *ep, struct iovec *iov, int cnt, int64_t deadline, size_t *have)
{
	int idx = 0;
	ssize_t r;
	int w;

	iov_advance(iov, cnt, &idx, 0);
	while (idx < cnt) {
		struct msghdr msg = {.msg_iov = iov + idx, .msg_iovlen = (size_t)(cnt - idx)};

		r = ep->tp->io->recvmsg(ep, &msg, NB);
		if (r > 0) {
			*have += (size_t)r;
			iov_advance(iov, cnt, &idx, (size_t)r);
			continue;
		}
		if (r == 0)
			return SIPC_EPARTIAL;
		if (r != -EAGAIN)
			return (int)r;
		w = ep->tp->io->wait(ep, POLLIN, deadline);
		if (w < 0)
			return w;
	}
	return 0;
}

int sipc__send_iov(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int64_t deadline,
		   size_t *sent)
{
	struct iovec local[SIPC__IOV_MAX];
	ssize_t total = iov_copy(local, iov, iovcnt);

	if (total < 0)
		return (int)total;
	return send_local(ep, local, iovcnt, deadline, sent);
}

int sipc__recv_iov(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int64_t deadline,
		   size_t *have)
{
	struct iovec local[SIPC__IOV_MAX];
	ssize_t total = iov_copy(local, iov, iovcnt);

	if (total < 0)
		return (int)total;
	return recv_local(ep, local, iovcnt, deadline, have);
}

int sipc__recv_fill(sipc_endpoint *ep, void *buf, size_t len, size_t *have, int64_t deadline)
{
	ssize_t r;
	int w;

	/* One buffer needs no iovec bookkeeping: plain recv, the hot path of
	 * every frame header and body. */
	while (*have < len) {
		r = ep->tp->io->recv(ep, (char *)buf + *have, len - *have, NB);
		if (r > 0) {
			*have += (size_t)r;
			continue;
		}
		if (r == 0)
			return SIPC_EPARTIAL;
		if (r != -EAGAIN)
			return (int)r;
		w = ep->tp->io->wait(ep, POLLIN, deadline);
		if (w < 0)
			return w;
	}
	return 0;
}

/* The checks of every byte call: arguments and kind. */
static int check(const sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms)
{
	int rc = sipc__ep_check_io(ep, timeout_ms);

	if (rc == 0 && buf == NULL && len > 0)
		rc = -EINVAL;
	return rc;
}

/* "Exactly N bytes" joins reads together, which only a stream can do: on
 * datagram and seqpacket endpoints it would cut records and glue the
 * pieces, so there it is the wrong kind (sipc_read takes one whole). */
static int check_stream(const sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms)
{
	int rc = check(ep, buf, len, timeout_ms);

	if (rc == 0 && !sipc_scheme_is_stream(ep->scheme))
		rc = SIPC_EKIND;
	return rc;
}

/*
 * One datagram (or seqpacket record) into BUF/CAP.  MSG_TRUNC in the
 * returned flags says the kernel cut it to fit and dropped the rest, which
 * a byte read must not pass off as the whole datagram.  (MSG_TRUNC is only
 * asked for in the flags out: on a TCP socket the same flag in would
 * discard data.)
 */
static ssize_t read_datagram(sipc_endpoint *ep, void *buf, size_t cap, int64_t deadline)
{
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg;
	ssize_t r;
	int w;

	for (;;) {
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		r = ep->tp->io->recvmsg(ep, &msg, NB);
		if (r >= 0)
			return (msg.msg_flags & MSG_TRUNC) != 0 ? SIPC_ETRUNC : r;
		if (r != -EAGAIN)
			return r;
		w = ep->tp->io->wait(ep, POLLIN, deadline);
		if (w < 0)
			return w;
	}
}

ssize_t sipc_read(sipc_endpoint *ep, void *buf, size_t cap, int timeout_ms)
{
	int64_t deadline;
	ssize_t r;
	int w;

	r = check(ep, buf, cap, timeout_ms);
	if (r < 0)
		return r;
	deadline = sipc__deadline(timeout_ms);
	if (!sipc_scheme_is_stream(ep->scheme))
		return read_datagram(ep, buf, cap, deadline);
	for (;;) {
		r = ep->tp->io->recv(ep, buf, cap, NB);
		if (r != -EAGAIN)
			return r;
		w = ep->tp->io->wait(ep, POLLIN, deadline);
		if (w < 0)
			return w;
	}
}

ssize_t sipc_write_all(sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return sipc_writev_all(ep, &iov, 1, timeout_ms);
}

ssize_t sipc_read_exact(sipc_endpoint *ep, void *buf, size_t n, int timeout_ms)
{
	size_t have = 0;
	int rc;

	rc = check_stream(ep, buf, n, timeout_ms);
	if (rc < 0)
		return rc;
	if (n > SSIZE_MAX)
		return -EINVAL;
	rc = sipc__recv_fill(ep, buf, n, &have, sipc__deadline(timeout_ms));
	if (rc == SIPC_EPARTIAL && have == 0)
		return SIPC_ECLOSED;
	return rc < 0 ? rc : (ssize_t)n;
}

ssize_t sipc_writev_all(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int timeout_ms)
{
	struct iovec local[SIPC__IOV_MAX];
	ssize_t total;
	size_t sent = 0;
	int rc;

	rc = check(ep, NULL, 0, timeout_ms);
	if (rc < 0)
		return rc;
	total = iov_copy(local, iov, iovcnt);
	if (total <= 0)
		return total;
	rc = send_local(ep, local, iovcnt, sipc__deadline(timeout_ms), &sent);
	return rc < 0 ? rc : total;
}

ssize_t sipc_readv_exact(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int timeout_ms)
{
	struct iovec local[SIPC__IOV_MAX];
	ssize_t total;
	size_t have = 0;
	int rc;

	rc = check_stream(ep, NULL, 0, timeout_ms);
	if (rc < 0)
		return rc;
	total = iov_copy(local, iov, iovcnt);
	if (total <= 0)
		return total;
	rc = recv_local(ep, local, iovcnt, sipc__deadline(timeout_ms), &have);
	if (rc == SIPC_EPARTIAL && have == 0)
		return SIPC_ECLOSED;
	return rc < 0 ? rc : total;
}
