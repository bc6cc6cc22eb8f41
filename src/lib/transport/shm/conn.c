/*
 * conn.c - the connection I/O of shm:// (struct sipc__conn_ops): bytes go
 * through the two rings (ring.c), and the rendezvous socket carries only
 * wake-ups and the end.  A side that finds its ring empty (or full) arms
 * it and sleeps in poll on the socket; the peer, after it published bytes
 * (or released room), sends one byte when the ring says a sleeper armed.
 * The reader is armed from the handshake on and again whenever a read
 * empties its ring, and want() arms what it is asked about, so ep->fd
 * becomes readable whenever a call may go on: a caller's own poll/epoll
 * loop waits on it as on any socket (read until the call would block, look
 * at sipc_endpoint_pending, then poll for what sipc_endpoint_want says:
 * POLLIN for both directions, POLLOUT when the call can go on at once).
 * It may also wake once for nothing (a wake-up left over): the call then
 * says EAGAIN, as after a spurious wake-up on a socket.
 *
 * Before sleeping, wait() spins a while on the ring (spin= microseconds;
 * by default adaptively, up to SIPC__SHM_SPIN_DEFAULT: a budget that
 * doubles when a spin caught the peer and halves when it did not, and at
 * its floor spins only one wait in SPIN_PROBE, so that two sides on one
 * CPU, where a spin can never catch the peer, do not burn the floor on
 * every wait), or busy-polls until its deadline (spin=always).
 *
 * Arming costs the peer a send (and this side a recv for the byte) on
 * every message it arms for.  A caller that waits in its own poll loop
 * needs the ring armed whenever a read returns EAGAIN; one that waits
 * through wait() (the library's blocking calls) does not: wait() arms
 * itself, after its spin, just before it sleeps.  So once a caller waits
 * in wait(), reads stop arming (and draining) until it calls want() again:
 * a message caught by spinning then costs no system call at all.  Such a
 * caller that goes on to poll the descriptor itself asks want() first, as
 * sockipc.h says every loop does.
 *
 * An event loop can spin too (sipc_endpoint_ready, src/loop's busy-poll):
 * it looks at the rings through ready(), which reads memory only, and asks
 * want() before every sleep.  From its first ready() on, reads and writes
 * stop arming (want() arms, after it took the wake-ups of the last sleep),
 * so that a message caught while the loop spins costs the peer no wake-up;
 * a read that finds the ring empty still takes the wake-ups and notes the
 * peer's end, so a loop kept busy by other connections sees a dead peer.
 *
 * The end: shutdown_write closes our ring's producer side (the peer reads
 * what was published, then 0); a peer that dies closes its socket (the
 * kernel does that for a killed process), so an empty ring with the socket
 * at EOF is the end of the stream, clean or not, and msg.c tells
 * SIPC_ECLOSED from SIPC_EPARTIAL as on a socket.  A ring whose positions
 * are impossible is SIPC_ESHM_CORRUPT for good; the socket is shut both
 * ways so the peer learns at once.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/sys.h"
#include "trace.h"
#include "transport/shm/shm.h"
#include "transport/transport.h"

/* Wake-up bytes read per call at most: a flood from a hostile peer costs
 * it more than it costs us, and the next call takes the rest. */
#define DRAIN_BUF   256
#define DRAIN_TIMES 4
/* Busy-polling (spin=always) looks at the socket (a dead peer) after this
 * many empty passes. */
#define BUSY_CHECK 4096

/* The ring said the peer wrote an impossible position (WHICH: the head
 * of the ring we read, or the tail of the ring we write): the connection
 * is over, and the peer hears so on the socket. */
static int corrupt(sipc_endpoint *ep, struct sipc__shm_conn *c, int rc, const char *which)
{
	char rb[128];
	int r;

	if (c->fatal)
		return c->fatal;
	c->fatal = rc;
	sipc__ep_why(ep, "the peer wrote an impossible %s", which);
	r = sipc__sys_shutdown(ep->fd, SHUT_RDWR);
	sipc__tracef(ep->trace, ep->trace_arg, "shutdown(%d, SHUT_RDWR) = %s (shm: %s)", ep->fd,
		     sipc__result_text(r, rb, sizeof(rb)), ep->why ? ep->why : "");
	return rc;
}

/* Reads the wake-up bytes waiting on socket FD, and notes its end. */
static void drain(int fd, struct sipc__shm_conn *c)
{
	char buf[DRAIN_BUF];

	for (int i = 0; i < DRAIN_TIMES && !c->peer_end; i++) {
		/* recv without a control buffer: a descriptor a hostile peer
		 * attached is closed by the kernel, never installed here. */
		ssize_t r = sipc__sys_recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r == -EAGAIN || (r > 0 && (size_t)r < sizeof(buf)))
			return;
		if (r <= 0)
			c->peer_end = true; /* EOF, or ECONNRESET: gone either way */
	}
}

/* One wake-up byte for the peer; a full socket already holds some. */
static void ring_peer(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	ssize_t r = sipc__sys_send(ep->fd, "w", 1, MSG_DONTWAIT);

	if (r < 0 && r != -EAGAIN)
		c->peer_end = true;
}

/* Arms our reader (ring.h), noting it for take(); true when armed with
 * the ring still empty. */
static bool arm_rx(struct sipc__shm_conn *c)
{
	c->rx_armed = sipc__ring_arm_reader(&c->rx);
	return c->rx_armed;
}

/* Our shutdown_write, once the ring exists to carry it. */
static void close_tx(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	if (!c->wr_closed || c->tx_closed || c->hs != SIPC__SHM_HS_DONE)
		return;
	c->tx_closed = true;
	sipc__ring_close_write(&c->tx);
	ring_peer(ep, c);
}

/* 0 when bytes can move, -EAGAIN while the handshake waits, or a code. */
static int ready(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	int rc;

	if (c == NULL)
		return -ENOTCONN; /* a listener wrapped from a descriptor */
	if (c->fatal)
		return c->fatal;
	if (c->hs == SIPC__SHM_HS_DONE)
		return 0;
	rc = sipc__shm_hs_step(ep, c);
	if (rc == 0) {
		close_tx(ep, c);
		/* The descriptor says "readable" when bytes come even to a
		 * loop that polls before its first read. */
		(void)arm_rx(c);
	}
	return rc;
}

static size_t iov_total(const struct iovec *iov, size_t cnt)
{
	size_t t = 0;

	for (size_t i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

static ssize_t put(sipc_endpoint *ep, struct sipc__shm_conn *c, const struct iovec *iov, int cnt)
{
	ssize_t n = sipc__ring_write(&c->tx, iov, cnt);

	if (n == -ENOMEM) {
		/* ring.c allocates our ring's pages as it first gets there. */
		sipc__ep_why(ep, "no memory for the pages of the ring we write");
		return n;
	}
	if (n < 0)
		return corrupt(ep, c, (int)n, "tail into the ring we write");
	if (n > 0 && sipc__ring_wake_reader(&c->tx))
		ring_peer(ep, c);
	return n;
}

static ssize_t shm_sendmsg(sipc_endpoint *ep, const struct msghdr *msg, int flags)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);
	size_t total;
	ssize_t n;
	int rc;

	(void)flags; /* never blocks: the callers' loops wait (wait()) */
	if ((rc = ready(ep, c)) < 0)
		return rc;
	if (c->wr_closed || c->peer_end)
		return -EPIPE;
	if (msg->msg_iovlen > INT32_MAX)
		return -EINVAL;
	total = iov_total(msg->msg_iov, msg->msg_iovlen);
	if (total == 0)
		return 0;
	n = put(ep, c, msg->msg_iov, (int)msg->msg_iovlen);
	if (n != 0)
		return n;
	/* Full: is the peer still there to empty it? */
	drain(ep->fd, c);
	if (c->peer_end)
		return -EPIPE;
	c->need = total < c->tx.size / 2 ? total : c->tx.size / 2;
	if (c->polled)
		return -EAGAIN; /* the loop spins on ready(); want() arms */
	if (sipc__ring_arm_writer(&c->tx, c->need))
		return -EAGAIN;
	/* Room came while arming. */
	n = put(ep, c, msg->msg_iov, (int)msg->msg_iovlen);
	return n != 0 ? n : -EAGAIN;
}

static ssize_t take(sipc_endpoint *ep, struct sipc__shm_conn *c, const struct iovec *iov, int cnt,
		    bool peek)
{
	ssize_t n = sipc__ring_read(&c->rx, iov, cnt, peek);

	if (n < 0)
		return corrupt(ep, c, (int)n, "head into the ring we read");
	if (n > 0 && !peek) {
		if (sipc__ring_wake_writer(&c->rx))
			ring_peer(ep, c);
		/* The peer took our flag to wake us: its byte is there (or on
		 * its way).  A loop that polls for itself takes it now, or the
		 * descriptor would wake that loop once more for nothing. */
		if (c->rx_armed && !c->blocking && !c->polled && !sipc__ring_reader_armed(&c->rx)) {
			c->rx_armed = false;
			drain(ep->fd, c);
		}
		/* Emptied: armed at once, so a loop that polls now (without
		 * reading until EAGAIN first) still hears of the next bytes,
		 * as on a socket.  Not for a caller that waits in wait(),
		 * which arms when it is about to sleep. */
		if (!c->blocking && !c->polled && sipc__ring_readable(&c->rx) == 0)
			(void)arm_rx(c);
	}
	return n;
}

static ssize_t read_iov(sipc_endpoint *ep, const struct iovec *iov, size_t cnt, int flags)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);
	bool peek = (flags & MSG_PEEK) != 0;
	ssize_t n;
	int rc;

	if ((rc = ready(ep, c)) < 0)
		return rc;
	if (cnt > INT32_MAX)
		return -EINVAL;
	if (iov_total(iov, cnt) == 0)
		return 0;
	n = take(ep, c, iov, (int)cnt, peek);
	if (n != 0)
		return n;
	/* A caller that waits in wait(): it drains and arms there, after
	 * its spin, only when it is about to sleep. */
	if (c->blocking && !c->peer_end && !sipc__ring_write_closed(&c->rx))
		return -EAGAIN;
	drain(ep->fd, c);
	/* Bytes published before the peer closed its side (or died) are
	 * visible once its end is: look again before calling it the end. */
	if (sipc__ring_write_closed(&c->rx) || c->peer_end)
		return take(ep, c, iov, (int)cnt, peek);
	if (c->polled)
		return -EAGAIN; /* the loop spins on ready(); want() arms */
	if (arm_rx(c))
		return -EAGAIN;
	n = take(ep, c, iov, (int)cnt, peek);
	return n != 0 ? n : -EAGAIN;
}

static ssize_t shm_recv(sipc_endpoint *ep, void *buf, size_t len, int flags)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};

	return read_iov(ep, &iov, 1, flags);
}

static ssize_t shm_recvmsg(sipc_endpoint *ep, struct msghdr *msg, int flags)
{
	ssize_t n = read_iov(ep, msg->msg_iov, msg->msg_iovlen, flags);

	if (n >= 0) {
		msg->msg_flags = 0;
		msg->msg_namelen = 0;
		msg->msg_controllen = 0;
	}
	return n;
}

/* Whether a call for EVENTS can go on now without the socket. */
static bool can_go(struct sipc__shm_conn *c, short events)
{
	ssize_t n;

	if (c->fatal || c->peer_end)
		return true;
	if (events & POLLIN) {
		n = sipc__ring_readable(&c->rx);
		if (n != 0 || sipc__ring_write_closed(&c->rx))
			return true;
	}
	if (events & POLLOUT) {
		n = sipc__ring_writable(&c->tx);
		if (n < 0 || (size_t)n >= (c->need ? c->need : 1) || c->wr_closed)
			return true;
	}
	return false;
}

/* spin=always: polls the ring until it can go on or DEADLINE passes,
 * looking at the socket now and then for a wake-up or the peer's end. */
static int busy_poll(sipc_endpoint *ep, struct sipc__shm_conn *c, short events, int64_t deadline)
{
	for (unsigned i = 1;; i++) {
		if (can_go(c, events))
			return events;
		sipc__spin_pass(i);
		if (i % BUSY_CHECK == 0) {
			struct pollfd pfd = {.fd = ep->fd, .events = POLLIN};

			/* Wake-ups (from an arm before the caller came
			 * here) or the peer's end: taken now, so that a
			 * read that no longer drains sees the end. */
			if (poll(&pfd, 1, 0) > 0) {
				drain(ep->fd, c);
				return events;
			}
			if (sipc__deadline_left(deadline) == 0)
				return SIPC_ETIMEDOUT;
		}
	}
}

/* Spins up to the budget (spin.h); true when the ring let the call go
 * on. */
static bool spin(struct sipc__shm_conn *c, short events)
{
	long budget = sipc__spin_budget(&c->spin);
	int64_t end;
	bool ok = false;

	if (budget == 0)
		return false;
	end = sipc__spin_now_us() + budget;
	for (unsigned i = 0;; i++) {
		if (can_go(c, events)) {
			ok = true;
			break;
		}
		if ((i & 63) == 63 && sipc__spin_now_us() >= end)
			break;
		sipc__spin_pass(i);
	}
	sipc__spin_result(&c->spin, ok);
	return ok;
}

static int shm_wait(sipc_endpoint *ep, short events, int64_t deadline)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);
	int rc;

	if (c == NULL)
		return sipc__sys_wait(ep->fd, events, deadline);
	if (c->fatal)
		return events;
	if (c->hs != SIPC__SHM_HS_DONE)
		return sipc__sys_wait(ep->fd, sipc__shm_hs_want(c), deadline);
	/* A spinning loop's call with timeout 0 (sipc_recv(ep, .., 0)): no
	 * arming, which its want() does before it sleeps. */
	if (c->polled && sipc__deadline_left(deadline) == 0) {
		drain(ep->fd, c);
		return can_go(c, events) ? events : SIPC_ETIMEDOUT;
	}
	c->blocking = true;
	if (can_go(c, events))
		return events;
	/* Spin unless the time is up: a wait without a deadline spins too
	 * (sipc__deadline_left says -1 for it). */
	if (sipc__deadline_left(deadline) != 0) {
		if (c->spin_max < 0)
			return busy_poll(ep, c, events, deadline);
		if (spin(c, events))
			return events;
	}
	/* About to sleep: the wake-ups of earlier sleeps are taken first
	 * (or poll would return at once), and the peer's end is seen. */
	drain(ep->fd, c);
	if (c->peer_end)
		return events;
	/* Arm, then look once more (ring.h: either this look sees the
	 * peer's move or the peer sees the flag and sends a byte). */
	if ((events & POLLIN) && !arm_rx(c))
		return events;
	if ((events & POLLOUT) && !sipc__ring_arm_writer(&c->tx, c->need ? c->need : 1))
		return events;
	rc = sipc__sys_wait(ep->fd, POLLIN, deadline);
	return rc < 0 ? rc : events;
}

/*
 * Bytes and room both come as a byte on the socket: POLLIN, with the ring
 * armed here so that the byte is sent whatever the caller did before it
 * polls.  When the call can go on now (bytes or room are there, or the
 * end), POLLOUT instead: the socket is writable at once, so the caller's
 * poll returns and its call finds them.
 */
static short shm_want(const sipc_endpoint *ep, short events)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);
	short w = 0;

	if (c == NULL || c->fatal)
		return events;
	if (c->hs != SIPC__SHM_HS_DONE)
		return sipc__shm_hs_want(c);
	/* The caller polls for itself now: reads arm again. */
	c->blocking = false;
	/* A loop that spins asks before every sleep: the wake-ups of its
	 * last sleep go first (or its poll would return at once), and the
	 * peer's end is seen. */
	if (c->polled)
		drain(ep->fd, c);
	if (c->peer_end)
		return events;
	if (events & POLLIN)
		w |= can_go(c, POLLIN) || !arm_rx(c) ? POLLOUT : POLLIN;
	if (events & POLLOUT)
		w |= can_go(c, POLLOUT) || !sipc__ring_arm_writer(&c->tx, c->need ? c->need : 1)
			     ? POLLOUT
			     : POLLIN;
	return w ? w : events;
}

/* What a spinning loop may call for now, from memory alone; from the
 * first call on, arming waits for want() (the comment at the top). */
static short shm_ready(sipc_endpoint *ep, short events)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);
	short r = 0;

	if (c == NULL || c->hs != SIPC__SHM_HS_DONE)
		return 0; /* a listener, or the handshake: the socket says */
	c->polled = true;
	if (c->fatal || c->peer_end)
		return events;
	if ((events & POLLIN) && can_go(c, POLLIN))
		r |= POLLIN;
	if ((events & POLLOUT) && can_go(c, POLLOUT))
		r |= POLLOUT;
	return r;
}

/* How long a loop should spin on this connection before it sleeps. */
static long shm_spin(const sipc_endpoint *ep)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);

	if (c == NULL || c->hs != SIPC__SHM_HS_DONE)
		return 0;
	return c->spin_max;
}

static size_t shm_pending(const sipc_endpoint *ep)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);
	ssize_t n;

	if (c == NULL || c->hs != SIPC__SHM_HS_DONE)
		return 0;
	if (c->fatal)
		return 1; /* no bytes, but a read returns at once */
	n = sipc__ring_readable(&c->rx);
	if (n < 0)
		return 1; /* the read says what is wrong */
	if (n == 0 && sipc__ring_write_closed(&c->rx))
		return 1; /* the end, which a read returns at once */
	return (size_t)n;
}

static int shm_shutdown_write(sipc_endpoint *ep)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);
	char rb[128];
	int rc;

	if (c == NULL) {
		rc = sipc__sys_shutdown(ep->fd, SHUT_WR);
		sipc__tracef(ep->trace, ep->trace_arg, "shutdown(%d, SHUT_WR) = %s", ep->fd,
			     sipc__result_text(rc, rb, sizeof(rb)));
		return rc;
	}
	/* The socket stays open both ways: it carries the wake-ups of the
	 * direction still open, and its end means the peer is gone. */
	c->wr_closed = true;
	close_tx(ep, c);
	sipc__tracef(ep->trace, ep->trace_arg, "shutdown(%d, SHUT_WR) = 0 (shm: tx ring %s)",
		     ep->fd, c->tx_closed ? "closed" : "closes when the handshake is done");
	return 0;
}

static int shm_close(sipc_endpoint *ep)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);

	if (c != NULL) {
		/* A clean end for a peer still reading: what we sent, then 0. */
		if (c->hs == SIPC__SHM_HS_DONE && !c->tx_closed && !c->fatal)
			sipc__ring_close_write(&c->tx);
		/* Unread wake-ups would make the kernel report the close to
		 * the peer as a reset (ECONNRESET, unix(7)): take them. */
		if (c->hs == SIPC__SHM_HS_DONE)
			drain(ep->fd, c);
		sipc__ring_unmap(&c->tx);
		sipc__ring_unmap(&c->rx);
		if (c->tx_fd >= 0)
			sipc__sys_close(c->tx_fd);
		if (c->rx_fd >= 0)
			sipc__sys_close(c->rx_fd);
		free(c);
		ep->tp_state = NULL;
	}
	return sipc__tp_close(ep, ep->fd);
}

static int shm_handshake(sipc_endpoint *ep, int64_t deadline)
{
	struct sipc__shm_conn *c = sipc__shm_of(ep);
	int rc, w;

	if (c == NULL)
		return 0;
	/* Bounded by the deadline: each pass makes progress or waits. */
	for (;;) {
		rc = ready(ep, c);
		if (rc != -EAGAIN)
			return rc;
		w = sipc__sys_wait(ep->fd, sipc__shm_hs_want(c), deadline);
		if (w < 0)
			return w;
	}
}

const struct sipc__conn_ops sipc__conn_ops_shm = {
	.sendmsg = shm_sendmsg,
	.recv = shm_recv,
	.recvmsg = shm_recvmsg,
	.wait = shm_wait,
	.shutdown_write = shm_shutdown_write,
	.close = shm_close,
	.handshake = shm_handshake,
	.want = shm_want,
	.pending = shm_pending,
	.ready = shm_ready,
	.spin = shm_spin,
};
