/*
 * conn.c - the connection I/O of TLS (struct sipc__conn_ops): the
 * handshake, driven without blocking until it is done or the deadline
 * passes; reads and writes through SSL_read/SSL_write; readiness (what
 * OpenSSL waits for, which need not be what the caller is after: a read
 * may first have to send, a write of TLS 1.2 in renegotiation may first
 * have to read); close_notify on shutdown and close.  An accepted endpoint
 * does its handshake in the first call that moves bytes (or in
 * sipc_handshake), so accepting never waits on a client.  OpenSSL never
 * sees a blocked write (bio.c): what the socket did not take waits in
 * c->out and goes first in every later call, which is why want() adds
 * POLLOUT while it is not empty.
 */
#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#include "sys/sys.h"
#include "trace.h"
#include "transport/tls/tls.h"
#include "transport/transport.h"

/* Most bytes handed to one SSL_write: sixteen full records, gathered in
 * the out buffer (c->cork) and sent in one send(2), so the out buffer never
 * holds much more than that when the socket is full. */
#define WRITE_MAX ((size_t)256 * 1024)
/* Small iovecs (a frame header and its body) are gathered into one record
 * of at most this much rather than sent as a record each. */
#define GATHER_MAX ((size_t)16 * 1024)

static struct sipc__tls_conn *conn_of(const sipc_endpoint *ep)
{
	return ep->tp_state;
}

/* Sends what waits in c->out; once it is all gone after a shutdown_write,
 * the TCP write side is shut too (close_notify went first). */
static int flush(sipc_endpoint *ep, struct sipc__tls_conn *c)
{
	char rb[128];
	int rc = sipc__tls_out_flush(c);

	if (rc == 0 && c->shut_pending && !c->shut_done) {
		c->shut_done = true;
		rc = sipc__sys_shutdown(c->fd, SHUT_WR);
		sipc__tracef(ep->trace, ep->trace_arg, "shutdown(%d, SHUT_WR) = %s", c->fd,
			     sipc__result_text(rc, rb, sizeof(rb)));
	}
	return rc;
}

/* A socket error while sending what waits: fatal, as for tcp. */
static int io_fail(sipc_endpoint *ep, struct sipc__tls_conn *c, int rc)
{
	c->fatal = rc;
	sipc__ep_why(ep, "%s", sipc_strerror(rc));
	return rc;
}

/* One step of the handshake that does not block: 0 once done, -EAGAIN
 * (c->want_hs says on what), or a code with a sentence. */
static int hs_step(sipc_endpoint *ep, struct sipc__tls_conn *c)
{
	int r;

	if (c->done)
		return 0;
	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1) {
		c->done = true;
		sipc__tls_trace_done(ep, c);
		return 0;
	}
	r = sipc__tls_error(ep, c, r, true);
	if (r == -EAGAIN)
		c->want_hs = SSL_want_write(c->ssl) ? POLLOUT : POLLIN;
	return r;
}

/* What the connection waits for now, given what the caller is after. */
static short want_now(const struct sipc__tls_conn *c, short events)
{
	short w = 0;

	if (!c->done) {
		w = c->want_hs;
	} else {
		if (events & POLLIN)
			w |= c->want_rd;
		if (events & POLLOUT)
			w |= c->want_wr;
	}
	if (c->out_len > 0)
		w |= POLLOUT;
	return w ? w : events;
}

/* Flushes, then drives the handshake one step when it is not done: 0 when
 * the connection can move data, -EAGAIN, or a code. */
static int ready(sipc_endpoint *ep, struct sipc__tls_conn *c)
{
	int rc;

	if (c->fatal)
		return c->fatal;
	rc = flush(ep, c);
	if (rc < 0 && rc != -EAGAIN)
		return io_fail(ep, c, rc);
	if (c->done)
		return 0;
	rc = hs_step(ep, c);
	if (rc < 0)
		return rc;
	rc = flush(ep, c);
	if (rc < 0 && rc != -EAGAIN)
		return io_fail(ep, c, rc);
	return 0;
}

static int tls_handshake(sipc_endpoint *ep, int64_t deadline)
{
	struct sipc__tls_conn *c = conn_of(ep);
	int rc, w;

	if (c == NULL || c->ssl == NULL)
		return 0;
	/* Bounded by the deadline: each pass makes progress or waits. */
	for (;;) {
		rc = ready(ep, c);
		if (rc < 0 && rc != -EAGAIN)
			return rc;
		/* Done only once our last flight has left: a peer waiting for
		 * our Finished would otherwise wait on a caller that reads. */
		if (rc == 0 && c->done && c->out_len == 0)
			return 0;
		/* Done but for our last bytes: only the socket taking them
		 * lets this go on (a readable one would spin the loop). */
		w = sipc__sys_wait(c->fd, c->done ? POLLOUT : want_now(c, POLLIN), deadline);
		if (w < 0)
			return w;
	}
}

/* The bytes of MSG for one SSL_write: the first iovec as it is when it is
 * large, else the small ones gathered into TMP. */
static size_t gather(const struct msghdr *msg, uint8_t *tmp, const void **data)
{
	const struct iovec *iov = msg->msg_iov;
	size_t n = 0;

	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		size_t k = iov[i].iov_len;

		if (k == 0)
			continue;
		if (n == 0 && k >= GATHER_MAX) {
			*data = iov[i].iov_base;
			return k < WRITE_MAX ? k : WRITE_MAX;
		}
		if (k > GATHER_MAX - n)
			k = GATHER_MAX - n;
		memcpy(tmp + n, iov[i].iov_base, k);
		n += k;
		if (n == GATHER_MAX)
			break;
	}
	*data = tmp;
	return n;
}

static ssize_t tls_sendmsg(sipc_endpoint *ep, const struct msghdr *msg, int flags)
{
	struct sipc__tls_conn *c = conn_of(ep);
	uint8_t tmp[GATHER_MAX];
	const void *data;
	size_t n, written = 0;
	int rc, r;

	(void)flags; /* the socket is non-blocking: every call is one try */
	if (c == NULL || c->ssl == NULL)
		return -ENOTCONN;
	rc = ready(ep, c);
	if (rc == 0 && c->out_len > 0)
		rc = -EAGAIN; /* write more only once the last has left */
	if (rc == -EAGAIN)
		c->want_wr = c->done ? POLLOUT : c->want_hs;
	if (rc < 0)
		return rc;
	if (c->shut_pending)
		return -EPIPE;
	n = gather(msg, tmp, &data);
	if (n == 0)
		return 0;
	ERR_clear_error();
	c->cork = true;
	r = SSL_write_ex(c->ssl, data, n, &written);
	c->cork = false;
	if (r == 1) {
		c->want_wr = POLLOUT;
		rc = flush(ep, c);
		if (rc < 0 && rc != -EAGAIN)
			io_fail(ep, c, rc); /* the bytes are ours now: next call says */
		return (ssize_t)written;
	}
	rc = sipc__tls_error(ep, c, 0, false);
	if (rc == -EAGAIN) /* TLS 1.2 renegotiation: the peer must speak first */
		c->want_wr = SSL_want_write(c->ssl) ? POLLOUT : POLLIN;
	return rc == 0 ? -EPIPE : rc;
}

/* SSL_read gives one record at a time: the records already here (whole in
 * c->in, or decrypted) are read on into BUF's room, so a caller gets up to
 * LEN bytes from one call rather than 16 KiB.  A failure ends it; what was
 * read counts, and the next call meets the failure (c->fatal, or for an
 * end OpenSSL's own state). */
static size_t read_more(sipc_endpoint *ep, struct sipc__tls_conn *c, uint8_t *buf, size_t len)
{
	size_t total = 0, got;

	while (total < len && (SSL_pending(c->ssl) > 0 || sipc__tls_in_record(c))) {
		ERR_clear_error();
		if (SSL_read_ex(c->ssl, buf + total, len - total, &got) != 1) {
			c->rd_held = sipc__tls_error(ep, c, 0, false) != -EAGAIN;
			break;
		}
		total += got;
	}
	return total;
}

static ssize_t tls_recv(sipc_endpoint *ep, void *buf, size_t len, int flags)
{
	struct sipc__tls_conn *c = conn_of(ep);
	size_t got = 0;
	int rc, r;

	if (c == NULL || c->ssl == NULL)
		return -ENOTCONN;
	c->rd_held = false; /* this call reports it */
	rc = ready(ep, c);
	if (rc == -EAGAIN)
		c->want_rd = c->want_hs;
	if (rc < 0)
		return rc;
	if (len == 0)
		return 0;
	ERR_clear_error();
	r = (flags & MSG_PEEK) ? SSL_peek_ex(c->ssl, buf, len, &got)
			       : SSL_read_ex(c->ssl, buf, len, &got);
	if (r == 1 && !(flags & MSG_PEEK))
		got += read_more(ep, c, (uint8_t *)buf + got, len - got);
	/* Reading may have made OpenSSL answer (a key update, an alert). */
	if (c->out_len > 0 && (rc = flush(ep, c)) < 0 && rc != -EAGAIN && r == 1)
		io_fail(ep, c, rc);
	if (r == 1) {
		c->want_rd = POLLIN;
		return (ssize_t)got;
	}
	rc = sipc__tls_error(ep, c, 0, false);
	if (rc == -EAGAIN)
		c->want_rd = SSL_want_write(c->ssl) ? POLLOUT : POLLIN;
	return rc;
}

/* A plain read into the iovecs: TLS has no names and no control data. */
static ssize_t tls_recvmsg(sipc_endpoint *ep, struct msghdr *msg, int flags)
{
	ssize_t total = 0, r = 0;

	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		struct iovec *v = &msg->msg_iov[i];

		if (v->iov_len == 0)
			continue;
		r = tls_recv(ep, v->iov_base, v->iov_len, flags);
		if (r <= 0)
			break;
		total += r;
		/* A peek looks at the same bytes again: one buffer only. */
		if ((size_t)r < v->iov_len || (flags & MSG_PEEK))
			break;
	}
	msg->msg_namelen = 0;
	msg->msg_controllen = 0;
	msg->msg_flags = 0;
	/* What was read counts; an error after it comes back next call. */
	return total > 0 ? total : r;
}

static size_t tls_pending(const sipc_endpoint *ep);

static int tls_wait(sipc_endpoint *ep, short events, int64_t deadline)
{
	struct sipc__tls_conn *c = conn_of(ep);

	if (c == NULL || c->ssl == NULL)
		return sipc__sys_wait(ep->fd, events, deadline);
	/* Decrypted bytes (or a whole record still encrypted) wait where
	 * poll cannot see them. */
	if ((events & POLLIN) && tls_pending(ep) > 0)
		return POLLIN;
	if (c->fatal)
		return events;
	return sipc__sys_wait(c->fd, want_now(c, events), deadline);
}

static short tls_want(const sipc_endpoint *ep, short events)
{
	const struct sipc__tls_conn *c = conn_of(ep);

	if (c == NULL || c->ssl == NULL || c->fatal)
		return events;
	return want_now(c, events);
}

static size_t tls_pending(const sipc_endpoint *ep)
{
	const struct sipc__tls_conn *c = conn_of(ep);
	int n;

	if (c == NULL || c->ssl == NULL || !c->done)
		return 0;
	if (c->rd_held)
		return 1; /* no bytes, but a read returns at once */
	n = SSL_pending(c->ssl);
	if (n > 0)
		return (size_t)n;
	/* A record read ahead: at most this much once decrypted. */
	return sipc__tls_in_record(c) ? c->in_len : 0;
}

static int tls_shutdown_write(sipc_endpoint *ep)
{
	struct sipc__tls_conn *c = conn_of(ep);
	char rb[128];
	int rc;

	if (c == NULL || c->ssl == NULL || !c->done || c->fatal) {
		/* No TLS session to close (yet): end the TCP stream. */
		rc = sipc__sys_shutdown(ep->fd, SHUT_WR);
		sipc__tracef(ep->trace, ep->trace_arg, "shutdown(%d, SHUT_WR) = %s", ep->fd,
			     sipc__result_text(rc, rb, sizeof(rb)));
		return rc;
	}
	if (c->shut_pending)
		return 0;
	/* close_notify goes behind what is still waiting in c->out; the TCP
	 * shutdown follows once all of it has left (flush), in this call or
	 * a later one, so this never blocks a caller's poll loop. */
	ERR_clear_error();
	SSL_shutdown(c->ssl);
	ERR_clear_error();
	c->shut_pending = true;
	sipc__tracef(ep->trace, ep->trace_arg, "tls_close_notify(%d) = 0", ep->fd);
	rc = flush(ep, c);
	if (rc == -EAGAIN)
		return 0;
	return rc < 0 ? io_fail(ep, c, rc) : 0;
}

static int tls_drain(sipc_endpoint *ep, int64_t deadline)
{
	struct sipc__tls_conn *c = conn_of(ep);
	int rc, w;

	if (c == NULL || c->ssl == NULL)
		return 0;
	/* Bounded by the deadline: each pass sends or waits. */
	for (;;) {
		if (c->fatal)
			return c->fatal;
		rc = flush(ep, c);
		if (rc == 0)
			return 0;
		if (rc != -EAGAIN)
			return io_fail(ep, c, rc);
		w = sipc__sys_wait(c->fd, POLLOUT, deadline);
		if (w < 0)
			return w;
	}
}

static void conn_free(struct sipc__tls_conn *c)
{
	SSL_free(c->ssl);
	sipc__tls_snap_put(c->snap);
	sipc_tls_config_free(c->cfg);
	free(c->in);
	free(c->out);
	free(c);
}

static int tls_close(sipc_endpoint *ep)
{
	struct sipc__tls_conn *c = conn_of(ep);

	if (c != NULL) {
		/* A close is a clean end for the peer only with close_notify;
		 * it is sent without waiting (what the socket does not take
		 * now is dropped: sipc_shutdown_write and reading to the end
		 * is the graceful way, as lingering is for TCP). */
		if (c->ssl != NULL && c->done && !c->fatal && !c->shut_pending) {
			ERR_clear_error();
			SSL_shutdown(c->ssl);
		}
		if (c->ssl != NULL)
			sipc__tls_out_flush(c);
		ERR_clear_error();
		conn_free(c);
		ep->tp_state = NULL;
	}
	return sipc__tp_close(ep, ep->fd);
}

const struct sipc__conn_ops sipc__conn_ops_tls = {
	.sendmsg = tls_sendmsg,
	.recv = tls_recv,
	.recvmsg = tls_recvmsg,
	.wait = tls_wait,
	.shutdown_write = tls_shutdown_write,
	.close = tls_close,
	.handshake = tls_handshake,
	.want = tls_want,
	.pending = tls_pending,
	.drain = tls_drain,
};
