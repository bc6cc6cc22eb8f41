/*
 * msg.c - whole messages on an endpoint (DESIGN.md, "Messages on the
 * wire").  On streams a message is a frame: a 4-byte big-endian length,
 * then the body, sent with one sendmsg of two iovecs and read back through
 * the endpoint's receive state (ep->rx), so a frame can arrive across many
 * calls and a timeout in the middle loses nothing.  Sending is the mirror
 * image: a send that times out part way through a frame leaves the rest in
 * the endpoint's send state (ep->tx) for the next call, so a non-blocking
 * sender does not break the stream.  The length is checked against the
 * endpoint maximum before a byte is allocated for it (nng does the same).
 * On datagram and seqpacket endpoints a message is one datagram, received
 * with MSG_TRUNC so that one larger than the buffer is reported and
 * dropped, never silently cut, and one larger than the maximum refused as
 * a frame would be.  Also sipc_sendto/recvfrom for connectionless
 * endpoints.  Every send, receive and wait goes through the endpoint's
 * transport (ep->tp, transport.h), directly or through bytes.c's loops,
 * never through sys/ on the connection; only the SO_PASSCRED option is
 * still set here.  Descriptors and credentials (msg.h, for fdmsg.c) ride
 * with the same frames: on a stream with the sendmsg that carries the
 * frame's header, and every recvmsg of a frame collects what comes into
 * ep->rx until the frame is whole.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "bytes.h"
#include "endpoint.h"
#include "fdpass.h"
#include "msg.h"
#include "sockipc.h"
#include "sys/sys.h"
#include "transport/transport.h"

#define NB MSG_DONTWAIT

/* The frame header holds 32 bits, whatever max_msg says. */
#define FRAME_MAX ((size_t)UINT32_MAX)

static size_t max_msg(const sipc_endpoint *ep)
{
	size_t m = ep->max_msg ? ep->max_msg : SIPC_MAX_MSG_DEFAULT;

	return m < FRAME_MAX ? m : FRAME_MAX;
}

static bool is_stream(const sipc_endpoint *ep)
{
	return sipc_scheme_is_stream(ep->scheme);
}

static bool is_seqpacket(const sipc_endpoint *ep)
{
	return sipc_scheme_socktype(ep->scheme) == SOCK_SEQPACKET;
}

/* The scheme an address received on EP is formatted with: udp4/udp6
 * addresses are written udp://, as sipc_addr promises. */
static sipc_scheme base_scheme(sipc_scheme s)
{
	if (sipc_scheme_is_unix(s))
		return s;
	return sipc_scheme_is_stream(s) ? SIPC_TCP : SIPC_UDP;
}

/* ------------------------------------------------------------ streams */

/*
 * Sends the rest of the frame kept in ep->tx by an earlier send that timed
 * out part way.  Returns 0 when it is all out (ep->tx is then empty again),
 * SIPC_ETIMEDOUT with what went out counted, or another code, after which
 * the stream is broken for good.
 */
static int tx_finish(sipc_endpoint *ep, int64_t deadline)
{
	struct sipc__frame_tx *tx = &ep->tx;
	struct iovec iov = {.iov_base = tx->frame + tx->sent, .iov_len = tx->len - tx->sent};
	size_t sent = 0;
	int rc;

	rc = sipc__send_iov(ep, &iov, 1, deadline, &sent);
	tx->sent += sent;
	if (rc == SIPC_ETIMEDOUT)
		return rc;
	if (rc < 0)
		ep->tx_broken = true;
	free(tx->frame);
	memset(tx, 0, sizeof *tx);
	return rc;
}

/*
 * Keeps a copy of the frame HDR+BUF, of which SENT bytes went out, so that
 * the stream stays framed after a send that timed out part way.  When there
 * is no memory for it, the stream is broken instead.
 */
static int tx_keep(sipc_endpoint *ep, const uint32_t *hdr, const void *buf, size_t len, size_t sent)
{
	uint8_t *frame = malloc(sizeof *hdr + len);

	if (frame == NULL) {
		ep->tx_broken = true;
		return -ENOMEM;
	}
	memcpy(frame, hdr, sizeof *hdr);
	if (len > 0)
		memcpy(frame + sizeof *hdr, buf, len);
	ep->tx = (struct sipc__frame_tx){.frame = frame, .len = sizeof *hdr + len, .sent = sent};
	return SIPC_ETIMEDOUT;
}

/* Whether BUF/LEN is the message of the frame kept in ep->tx. */
static bool tx_is(const sipc_endpoint *ep, const void *buf, size_t len)
{
	return ep->tx.len == sizeof(uint32_t) + len &&
	       (len == 0 || memcmp(ep->tx.frame + sizeof(uint32_t), buf, len) == 0);
}

/*
 * Sends IOV (the frame) with ANC's descriptors and credentials on the
 * first sendmsg, which waits for room until DEADLINE, then the rest as a
 * plain frame does.  *SENT as sipc__send_iov counts it.
 */
static int send_iov_anc(sipc_endpoint *ep, const struct iovec *iov, int64_t deadline,
			const struct sipc__anc *anc, size_t *sent)
{
	struct iovec rest[2];
	size_t more = 0, skip;
	int cnt = 0, rc;
	ssize_t n;

	for (;;) {
		n = sipc__fdpass_send_ep(ep, iov, 2, anc->fds, anc->nfds, anc->cred, NB);
		if (n != -EAGAIN)
			break;
		rc = ep->tp->io->wait(ep, POLLOUT, deadline);
		if (rc < 0)
			return rc;
	}
	if (n < 0)
		return (int)n;
	*sent = (size_t)n;
	skip = (size_t)n;
	for (int i = 0; i < 2; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		rest[cnt++] = (struct iovec){.iov_base = (char *)iov[i].iov_base + skip,
					     .iov_len = iov[i].iov_len - skip};
		skip = 0;
	}
	if (cnt == 0)
		return 0;
	rc = sipc__send_iov(ep, rest, cnt, deadline, &more);
	*sent += more;
	return rc;
}

static ssize_t stream_send(sipc_endpoint *ep, const void *buf, size_t len,
			   const struct sipc__anc *anc, int timeout_ms)
{
	int64_t deadline = sipc__deadline(timeout_ms);
	uint32_t hdr;
	struct iovec iov[2];
	size_t sent = 0;
	int rc;

	if (ep->tx_broken)
		return SIPC_EBROKEN;
	if (len > max_msg(ep))
		return SIPC_EMSGSIZE;
	if (ep->tx.frame != NULL) {
		/* The repeat of a call that timed out part way sends only
		 * what was left; another message waits for that rest, so the
		 * peer still reads whole frames. */
		bool same = tx_is(ep, buf, len);
		rc = tx_finish(ep, deadline);
		if (rc < 0)
			return rc;
		if (same)
			return (ssize_t)len;
	}
	hdr = htonl((uint32_t)len);
	iov[0] = (struct iovec){.iov_base = &hdr, .iov_len = sizeof hdr};
	iov[1] = (struct iovec){.iov_base = (void *)buf, .iov_len = len};
	if (anc != NULL)
		rc = send_iov_anc(ep, iov, deadline, anc, &sent);
	else
		rc = sipc__send_iov(ep, iov, 2, deadline, &sent);
	if (rc < 0 && sent > 0) {
		/* Part of a frame is on the wire: the peer would read the next
		 * frame's header as this one's body.  After a timeout the rest
		 * is kept for the next call; after any other error nothing can
		 * mend that. */
		if (rc == SIPC_ETIMEDOUT)
			return tx_keep(ep, &hdr, buf, len, sent);
		ep->tx_broken = true;
	}
	return rc < 0 ? rc : (ssize_t)len;
}

/* Closes the descriptors that came with the frame so far. */
static void rx_close_fds(struct sipc__frame_rx *rx)
{
	for (size_t i = 0; i < rx->nfds; i++)
		sipc__sys_close(rx->fds[i]);
	rx->nfds = 0;
}

static void rx_reset(struct sipc__frame_rx *rx)
{
	rx_close_fds(rx);
	free(rx->fds);
	free(rx->body);
	memset(rx, 0, sizeof *rx);
}

/*
 * sipc__recv_fill, or with ANC the same loop of recvmsg that keeps what
 * comes beside the bytes in ep->rx: descriptors (at most ANC->max for the
 * whole frame) and the first credentials.  More descriptors than that is
 * SIPC_EFDTRUNC: every one is closed, and as the bytes of that recvmsg
 * are gone with them, the stream is broken.
 */
static int fill(sipc_endpoint *ep, void *buf, size_t len, size_t *have, int64_t deadline,
		struct sipc__anc *anc)
{
	struct sipc__frame_rx *rx = &ep->rx;
	int got[SIPC__FDPASS_MAX];
	struct ucred uc;
	ssize_t r;
	int w;

	if (anc == NULL)
		return sipc__recv_fill(ep, buf, len, have, deadline);
	while (*have < len) {
		struct iovec iov = {.iov_base = (char *)buf + *have, .iov_len = len - *have};
		size_t room = anc->max > rx->nfds ? anc->max - rx->nfds : 0, k = 0;
		bool hc = false;

		r = sipc__fdpass_recv_ep(ep, &iov, 1, got, room, &k, anc->want_cred ? &uc : NULL,
					 &hc, NB);
		if (r == SIPC_EFDTRUNC) {
			rx_close_fds(rx);
			ep->rx_broken = true;
			return (int)r;
		}
		if (k > 0 && rx->fds == NULL &&
		    (rx->fds = malloc(sizeof(int) * SIPC__FDPASS_MAX)) == NULL) {
			for (size_t i = 0; i < k; i++)
				sipc__sys_close(got[i]);
			rx_close_fds(rx);
			ep->rx_broken = true;
			return -ENOMEM;
		}
		if (k > 0) {
			memcpy(rx->fds + rx->nfds, got, sizeof(int) * k);
			rx->nfds += k;
		}
		/* With SO_PASSCRED every read brings some; the frame's are
		 * those of its first bytes (Linux never glues writers). */
		if (hc && anc->want_cred && !rx->has_cred) {
			rx->cred = (sipc_cred){.pid = uc.pid, .uid = uc.uid, .gid = uc.gid};
			rx->has_cred = true;
		}
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

/*
 * Completes the frame header in ep->rx (it may come one byte at a time) and
 * checks its length.  Returns 0 with rx->body_len set, or a code.
 */
static int rx_header(sipc_endpoint *ep, int64_t deadline, struct sipc__anc *anc)
{
	struct sipc__frame_rx *rx = &ep->rx;
	uint32_t be;
	int rc;

	if (ep->rx_broken)
		return SIPC_EBROKEN;
	if (rx->hdr_have == sizeof rx->hdr)
		return 0;
	rc = fill(ep, rx->hdr, sizeof rx->hdr, &rx->hdr_have, deadline, anc);
	if (rc == SIPC_EPARTIAL && rx->hdr_have == 0)
		return SIPC_ECLOSED;
	if (rc < 0)
		return rc;
	memcpy(&be, rx->hdr, sizeof be);
	rx->body_len = ntohl(be);
	rx->body_have = 0;
	if (rx->body_len > max_msg(ep)) {
		/* The body is still on its way and could be gigabytes: the
		 * stream cannot be re-synchronised, so it is over. */
		ep->rx_broken = true;
		rx_close_fds(rx);
		return SIPC_EMSGSIZE;
	}
	return 0;
}

/*
 * Memory for a frame body grows with what has arrived, not with what the
 * header claims: a peer that sends a 16 MiB header and stops costs at most
 * BODY_STEP, so many such peers cannot exhaust memory.
 */
#define BODY_STEP ((size_t)64 * 1024)

/* Makes rx->body hold at least WANT bytes (WANT <= body_len). */
static int rx_reserve(struct sipc__frame_rx *rx, size_t want)
{
	uint8_t *p;

	if (want <= rx->body_cap && rx->body != NULL)
		return 0;
	if (want < rx->body_cap * 2)
		want = rx->body_cap * 2;
	if (want > rx->body_len)
		want = rx->body_len;
	/* At least one byte, so an empty message still has a pointer. */
	p = realloc(rx->body, want ? want : 1);
	if (p == NULL)
		return -ENOMEM;
	rx->body = p;
	rx->body_cap = want;
	return 0;
}

/*
 * Reads the rest of the body into rx->body, growing it step by step.
 * Returns 0 when the frame is complete; what arrived stays in rx->body
 * when the call ends part way (timeout), for the next call.
 */
static int rx_body_owned(sipc_endpoint *ep, int64_t deadline, struct sipc__anc *anc)
{
	struct sipc__frame_rx *rx = &ep->rx;
	size_t step;
	int rc;

	do {
		step = rx->body_len - rx->body_have;
		if (step > BODY_STEP)
			step = BODY_STEP;
		rc = rx_reserve(rx, rx->body_have + step);
		if (rc < 0) {
			ep->rx_broken = true;
			return rc;
		}
		rc = fill(ep, rx->body, rx->body_have + step, &rx->body_have, deadline, anc);
	} while (rc == 0 && rx->body_have < rx->body_len);
	return rc;
}

/*
 * Reads the body straight into the caller's DST (of rx->body_len bytes),
 * the common case with no copy.  When the call ends part way, what arrived
 * is copied to rx->body, since DST is the caller's again once we return.
 */
static int rx_body_into(sipc_endpoint *ep, uint8_t *dst, int64_t deadline, struct sipc__anc *anc)
{
	struct sipc__frame_rx *rx = &ep->rx;
	int rc;

	rc = fill(ep, dst, rx->body_len, &rx->body_have, deadline, anc);
	if (rc == 0 || rx->body_have == 0)
		return rc;
	if (rx_reserve(rx, rx->body_have) < 0) {
		ep->rx_broken = true;
		return -ENOMEM;
	}
	memcpy(rx->body, dst, rx->body_have);
	return rc;
}

static ssize_t stream_recv(sipc_endpoint *ep, void *buf, size_t cap, struct sipc__anc *anc,
			   int timeout_ms)
{
	int64_t deadline = sipc__deadline(timeout_ms);
	struct sipc__frame_rx *rx = &ep->rx;
	size_t len;
	int rc;

	rc = rx_header(ep, deadline, anc);
	if (rc < 0)
		return rc;
	len = rx->body_len;
	if (len > cap)
		return SIPC_EBUFSIZE; /* the frame stays queued, header and all */
	if (rx->body != NULL) {
		rc = rx_body_owned(ep, deadline, anc);
		if (rc < 0)
			return rc;
		memcpy(buf, rx->body, len);
	} else {
		rc = rx_body_into(ep, buf, deadline, anc);
		if (rc < 0)
			return rc;
	}
	if (anc != NULL) {
		/* The frame is whole: what came with it is the caller's. */
		if (rx->nfds > 0)
			memcpy(anc->rfds, rx->fds, sizeof(int) * rx->nfds);
		anc->got = rx->nfds;
		rx->nfds = 0;
		anc->has_cred = rx->has_cred;
		anc->rcred = rx->cred;
	}
	rx_reset(rx);
	return (ssize_t)len;
}

static ssize_t stream_recv_alloc(sipc_endpoint *ep, void **msgp, int timeout_ms)
{
	int64_t deadline = sipc__deadline(timeout_ms);
	struct sipc__frame_rx *rx = &ep->rx;
	size_t len;
	uint8_t *msg;
	int rc;

	rc = rx_header(ep, deadline, NULL);
	if (rc < 0)
		return rc;
	len = rx->body_len;
	rc = rx_body_owned(ep, deadline, NULL);
	if (rc < 0)
		return rc;
	/* Grown to exactly the frame's size: hand it over as it is. */
	rc = rx_reserve(rx, len);
	if (rc < 0)
		return rc;
	msg = rx->body;
	rx->body = NULL;
	rx_reset(rx);
	*msgp = msg;
	return (ssize_t)len;
}

/* ---------------------------------------------------------- datagrams */

static ssize_t dgram_send(sipc_endpoint *ep, const void *buf, size_t len, const sipc_addr *to,
			  const struct sipc__anc *anc, int timeout_ms)
{
	int64_t deadline = sipc__deadline(timeout_ms);
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t r;
	int w;

	if (len > max_msg(ep))
		return SIPC_EMSGSIZE;
	if (to != NULL) {
		msg.msg_name = (void *)&to->ss;
		msg.msg_namelen = to->len;
	}
	/* A datagram goes out whole or not at all: no short writes here. */
	for (;;) {
		if (anc != NULL)
			r = sipc__fdpass_send_ep(ep, &iov, 1, anc->fds, anc->nfds, anc->cred, NB);
		else
			r = ep->tp->io->sendmsg(ep, &msg, NB);
		if (r != -EAGAIN)
			return r < 0 ? r : (ssize_t)len;
		w = ep->tp->io->wait(ep, POLLOUT, deadline);
		if (w < 0)
			return w;
	}
}

/* Turns SO_PASSCRED on (once): every message read from now on brings the
 * sender's credentials. */
static int passcred_on(sipc_endpoint *ep)
{
	int rc;

	if (ep->rx_passcred)
		return 0;
	rc = sipc__sys_setsockopt_int(ep->fd, SOL_SOCKET, SO_PASSCRED, 1);
	if (rc < 0)
		return rc;
	ep->rx_passcred = true;
	return 0;
}

/*
 * On a seqpacket socket recv() returns 0 both for an empty record and at
 * end of stream (checked on Linux 6.x: a zero-length send queues a record
 * that reads as 0, and so does a closed peer).  With SO_PASSCRED on, every
 * record dequeued carries SCM_CREDENTIALS, even one queued before the
 * option was set, while end of stream carries none: that tells the two
 * apart.  UDP and unix datagram sockets have no end of stream, so 0 there
 * is always an empty datagram.
 */
static int seqpacket_prepare(sipc_endpoint *ep)
{
	return is_seqpacket(ep) ? passcred_on(ep) : 0;
}

/*
 * One recvmsg of the next datagram into BUF/CAP with FLAGS (MSG_TRUNC
 * always, MSG_PEEK to look), waiting until DEADLINE.  Returns the
 * datagram's real length (more than CAP when it did not fit: the caller
 * looks at *TRUNC), SIPC_ECLOSED at the end of a seqpacket stream, or a
 * code.
 */
static ssize_t dgram_recv1(sipc_endpoint *ep, void *buf, size_t cap, int flags, sipc_addr *from,
			   bool *trunc, int64_t deadline)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr msg;
	ssize_t r;
	int w;

	r = seqpacket_prepare(ep);
	if (r < 0)
		return r;
	for (;;) {
		memset(&msg, 0, sizeof msg);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (from != NULL) {
			msg.msg_name = &from->ss;
			msg.msg_namelen = sizeof from->ss;
		}
		if (ep->rx_passcred) {
			msg.msg_control = ctl.buf;
			msg.msg_controllen = sizeof ctl.buf;
		}
		r = ep->tp->io->recvmsg(ep, &msg, flags | MSG_TRUNC | NB);
		if (r >= 0)
			break;
		if (r != -EAGAIN)
			return r;
		w = ep->tp->io->wait(ep, POLLIN, deadline);
		if (w < 0)
			return w;
	}
	if (r == 0 && ep->rx_passcred && msg.msg_controllen == 0)
		return SIPC_ECLOSED;
	*trunc = (msg.msg_flags & MSG_TRUNC) != 0 || (size_t)r > cap;
	if (from != NULL) {
		from->scheme = base_scheme(ep->scheme);
		from->len = msg.msg_namelen;
		/* An unbound unix sender has no name: Linux gives a length
		 * shorter than the family field.  Make it an unnamed
		 * AF_UNIX address ("unix://"), not stack garbage. */
		if ((size_t)from->len < sizeof(sa_family_t)) {
			from->ss.ss_family = AF_UNIX;
			from->len = sizeof(sa_family_t);
		}
	}
	return r;
}

static ssize_t dgram_recv(sipc_endpoint *ep, void *buf, size_t cap, sipc_addr *from, int timeout_ms)
{
	sipc_addr tmp;
	bool trunc = false;
	ssize_t r;

	/* FROM is an output: untouched on failure, so fill a copy. */
	r = dgram_recv1(ep, buf, cap, 0, from ? &tmp : NULL, &trunc, sipc__deadline(timeout_ms));
	if (r < 0)
		return r;
	if (trunc)
		return SIPC_ETRUNC; /* the kernel dropped the rest: report it */
	/* The maximum holds for every kind, not only for frames: a buffer
	 * larger than it does not let a larger datagram through. */
	if ((size_t)r > max_msg(ep))
		return SIPC_EMSGSIZE;
	if (from != NULL)
		*from = tmp;
	return r;
}

static ssize_t dgram_recv_alloc(sipc_endpoint *ep, void **msgp, int timeout_ms)
{
	int64_t deadline = sipc__deadline(timeout_ms);
	bool trunc = false;
	ssize_t len, r;
	char byte;
	void *msg;

	/* MSG_PEEK|MSG_TRUNC gives the real length of the next datagram
	 * (Linux: UDP, unix datagram and seqpacket) without taking it. */
	len = dgram_recv1(ep, &byte, 0, MSG_PEEK, NULL, &trunc, deadline);
	if (len < 0)
		return len;
	if ((size_t)len > max_msg(ep)) {
		/* Take it off the queue so the next call sees the next one. */
		r = dgram_recv1(ep, &byte, 0, 0, NULL, &trunc, deadline);
		return r < 0 ? r : SIPC_EMSGSIZE;
	}
	msg = malloc(len ? (size_t)len : 1);
	if (msg == NULL)
		return -ENOMEM;
	r = dgram_recv1(ep, msg, (size_t)len, 0, NULL, &trunc, deadline);
	if (r >= 0 && trunc)
		r = SIPC_ETRUNC; /* another reader took the peeked one */
	if (r < 0) {
		free(msg);
		return r;
	}
	*msgp = msg;
	return r;
}

/*
 * One datagram or record with what came beside it: the descriptors into
 * ANC (at most ANC->max; more is SIPC_EFDTRUNC with the message dropped)
 * and its credentials.  A message too large for CAP or the maximum is
 * dropped as dgram_recv drops it, and its descriptors closed.
 */
static ssize_t dgram_recv_anc(sipc_endpoint *ep, void *buf, size_t cap, struct sipc__anc *anc,
			      int timeout_ms)
{
	int64_t deadline = sipc__deadline(timeout_ms);
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct ucred uc;
	bool hc = false;
	size_t k = 0;
	ssize_t r;
	int w;

	r = seqpacket_prepare(ep);
	if (r < 0)
		return r;
	for (;;) {
		hc = false;
		r = sipc__fdpass_recv_ep(ep, &iov, 1, anc->rfds, anc->max, &k,
					 anc->want_cred ? &uc : NULL, &hc, MSG_TRUNC | NB);
		if (r != -EAGAIN)
			break;
		w = ep->tp->io->wait(ep, POLLIN, deadline);
		if (w < 0)
			return w;
	}
	if (r < 0)
		return r;
	if (r == 0 && is_seqpacket(ep) && !hc)
		return SIPC_ECLOSED; /* see seqpacket_prepare */
	if ((size_t)r > cap || (size_t)r > max_msg(ep)) {
		for (size_t i = 0; i < k; i++)
			sipc__sys_close(anc->rfds[i]);
		return (size_t)r > cap ? SIPC_ETRUNC : SIPC_EMSGSIZE;
	}
	anc->got = k;
	anc->has_cred = hc && anc->want_cred;
	if (anc->has_cred)
		anc->rcred = (sipc_cred){.pid = uc.pid, .uid = uc.uid, .gid = uc.gid};
	return r;
}

/* ------------------------------------------------------------- public */

/* The checks of every message call: arguments, kind, and a stream that a
 * timed-out request left out of step. */
static int check(const sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms)
{
	int rc = sipc__ep_check_io(ep, timeout_ms);

	if (rc < 0)
		return rc;
	if (buf == NULL && len > 0)
		return -EINVAL;
	if (ep->out_of_step)
		return SIPC_EOUTOFSTEP;
	return 0;
}

ssize_t sipc_send(sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms)
{
	int rc = check(ep, buf, len, timeout_ms);

	if (rc < 0)
		return rc;
	if (is_stream(ep))
		return stream_send(ep, buf, len, NULL, timeout_ms);
	return dgram_send(ep, buf, len, NULL, NULL, timeout_ms);
}

ssize_t sipc_recv(sipc_endpoint *ep, void *buf, size_t cap, int timeout_ms)
{
	int rc = check(ep, buf, cap, timeout_ms);

	if (rc < 0)
		return rc;
	if (is_stream(ep))
		return stream_recv(ep, buf, cap, NULL, timeout_ms);
	return dgram_recv(ep, buf, cap, NULL, timeout_ms);
}

ssize_t sipc_recv_alloc(sipc_endpoint *ep, void **msgp, int timeout_ms)
{
	int rc = check(ep, NULL, 0, timeout_ms);

	if (rc < 0)
		return rc;
	if (msgp == NULL)
		return -EINVAL;
	if (is_stream(ep))
		return stream_recv_alloc(ep, msgp, timeout_ms);
	return dgram_recv_alloc(ep, msgp, timeout_ms);
}

ssize_t sipc_sendto(sipc_endpoint *ep, const void *buf, size_t len, const sipc_addr *to,
		    int timeout_ms)
{
	int rc = sipc__ep_check(ep, timeout_ms);

	if (rc < 0)
		return rc;
	if (!sipc_scheme_is_connectionless(ep->scheme))
		return SIPC_EKIND;
	if (to == NULL || to->len == 0 || (size_t)to->len > sizeof to->ss ||
	    (buf == NULL && len > 0))
		return -EINVAL;
	return dgram_send(ep, buf, len, to, NULL, timeout_ms);
}

ssize_t sipc_recvfrom(sipc_endpoint *ep, void *buf, size_t cap, sipc_addr *from, int timeout_ms)
{
	int rc = sipc__ep_check(ep, timeout_ms);

	if (rc < 0)
		return rc;
	if (!sipc_scheme_is_connectionless(ep->scheme))
		return SIPC_EKIND;
	if (buf == NULL && cap > 0)
		return -EINVAL;
	return dgram_recv(ep, buf, cap, from, timeout_ms);
}

ssize_t sipc__msg_send_anc(sipc_endpoint *ep, const void *buf, size_t len,
			   const struct sipc__anc *anc, int timeout_ms)
{
	if (is_stream(ep))
		return stream_send(ep, buf, len, anc, timeout_ms);
	return dgram_send(ep, buf, len, NULL, anc, timeout_ms);
}

ssize_t sipc__msg_recv_anc(sipc_endpoint *ep, void *buf, size_t cap, struct sipc__anc *anc,
			   int timeout_ms)
{
	int rc;

	anc->got = 0;
	anc->has_cred = false;
	if (anc->want_cred && (rc = passcred_on(ep)) < 0)
		return rc;
	if (is_stream(ep))
		return stream_recv(ep, buf, cap, anc, timeout_ms);
	return dgram_recv_anc(ep, buf, cap, anc, timeout_ms);
}
