/*
 * handshake.c - the exchange that turns a connected rendezvous socket into
 * an shm:// connection.  Each side makes its own TX ring (a sealed memfd,
 * ring.c), maps it as producer and sends a hello with the memfd attached
 * (SCM_RIGHTS, fdpass.c); then it takes the peer's hello and memfd, checks
 * them and maps that ring as its consumer.  The two hellos cross: a side
 * sends without waiting for the other's, so the same code serves the
 * dialer (sipc_dial runs it within its deadline), the accepted side (on
 * first use, so accepting never waits on a client) and a descriptor
 * wrapped with sipc_endpoint_from_fd.  Both memfds are closed once mapped:
 * a connection then holds only its socket.
 *
 * Once a side has mapped the peer's ring it sends one byte, and it writes
 * into its own ring only after the peer's byte came: a ring is always
 * mapped fresh (ring.c checks), and a dial returns only once the other
 * side holds both rings.  The accepted side takes the dialer's hello
 * before it sends its own (the dialer always sends first, so nothing
 * waits on the other): then its hello and its byte go in one call, the
 * dialer wakes once for both, and the server's poll loop waits for
 * readable from the start.  Every other side (dialer, wrapped
 * descriptor) sends first, so two of them never wait on each other.
 *
 * The hello (32 bytes, little-endian): "SIPCSHM1", version (u32), spin
 * mode (u32, for the peer's --trace only), ring size (u64), spin
 * microseconds (u32), zero (u32).  Everything in the peer's hello and its
 * memfd is hostile until checked: exactly one descriptor, with the first
 * byte; a memfd (it has seals) sealed against shrinking and growing, so
 * the peer cannot make this side fault by truncating it; a size that is a
 * power of two in range, at most this side's ring_max= (the peer picks its
 * ring, this side bounds what it maps), the memfd's own size and the size
 * the ring's own header says.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdpass.h"
#include "sys/sys.h"
#include "trace.h"
#include "transport/shm/shm.h"
#include "transport/transport.h"

#ifndef F_GET_SEALS
#define F_ADD_SEALS   1033
#define F_GET_SEALS   1034
#define F_SEAL_SEAL   0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW   0x0004
#define F_SEAL_WRITE  0x0008
#endif

enum { SPIN_ADAPTIVE, SPIN_FIXED, SPIN_NEVER, SPIN_ALWAYS };

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static unsigned spin_mode(const struct sipc__shm_conn *c)
{
	if (c->spin_max < 0)
		return SPIN_ALWAYS;
	if (c->spin_max == 0)
		return SPIN_NEVER;
	return c->adaptive ? SPIN_ADAPTIVE : SPIN_FIXED;
}

/* "SHRINK|GROW|SEAL" for the seals SEALS. */
static const char *seals_text(int seals, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", seals & F_SEAL_SHRINK ? "SHRINK|" : "",
		 seals & F_SEAL_GROW ? "GROW|" : "", seals & F_SEAL_WRITE ? "WRITE|" : "",
		 seals & F_SEAL_SEAL ? "SEAL|" : "", seals == 0 ? "none|" : "");
	buf[strlen(buf) - 1] = '\0';
	return buf;
}

/* The wake-up mode as --trace says it. */
static const char *wake_text(const struct sipc__shm_conn *c, char *buf, size_t len)
{
	switch (spin_mode(c)) {
	case SPIN_ADAPTIVE:
		snprintf(buf, len, "adaptive spin up to %ldus, then a byte on the socket",
			 c->spin_max);
		break;
	case SPIN_FIXED:
		snprintf(buf, len, "spin %ldus, then a byte on the socket", c->spin_max);
		break;
	case SPIN_NEVER:
		snprintf(buf, len, "no spin, a byte on the socket");
		break;
	default:
		snprintf(buf, len, "busy-poll (spin=always)");
		break;
	}
	return buf;
}

/* Ends the handshake with CODE and the sentence of FMT; both memfds that
 * are still open are closed, and the socket is shut both ways. */
static int fail(sipc_endpoint *ep, struct sipc__shm_conn *c, int code, const char *fmt, ...)
	SIPC__PRINTF(4, 5);

static int fail(sipc_endpoint *ep, struct sipc__shm_conn *c, int code, const char *fmt, ...)
{
	char why[SIPC_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	sipc__ep_why(ep, "%s", why);
	if (c->tx_fd >= 0)
		sipc__sys_close(c->tx_fd);
	if (c->rx_fd >= 0)
		sipc__sys_close(c->rx_fd);
	c->tx_fd = c->rx_fd = -1;
	c->fatal = code;
	sipc__tracef(ep->trace, ep->trace_arg, "shm_handshake(%d) = -1 (%s): %s", ep->fd,
		     sipc_strerror(code), why);
	/* The peer waits for our hello or our last byte: it hears now that
	 * none will come, not when our caller gets round to closing. */
	(void)sipc__sys_shutdown(ep->fd, SHUT_RDWR);
	return code;
}

/* Our ring and hello, made once. */
static int make_tx(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	char rb[128], sb[64];
	int fd, seals;
	uint8_t *h = c->hello_out;

	sipc__shm_options(ep, c);
	/* Made and mapped in one go: a ring made here needs none of the
	 * checks of the peer's (take_hello). */
	fd = sipc__ring_create_map(&c->tx, c->ring_size, "sipc-shm-tx");
	sipc__tracef(ep->trace, ep->trace_arg, "shm_ring_create(%zu) = %s", c->ring_size,
		     sipc__result_text(fd, rb, sizeof(rb)));
	if (fd < 0)
		return fail(ep, c, fd, "cannot make the ring's memfd: %s", sipc_strerror(fd));
	c->tx_fd = fd;
	if (ep->trace) {
		seals = fcntl(fd, F_GET_SEALS);
		sipc__tracef(ep->trace, ep->trace_arg,
			     "shm: tx ring memfd %d: %zu data bytes, %zu mapped, sealed %s", fd,
			     c->tx.size, c->tx.map_len,
			     seals_text(seals < 0 ? 0 : seals, sb, sizeof(sb)));
	}
	memcpy(h, SIPC__SHM_MAGIC, 8);
	put32(h + 8, SIPC__SHM_VERSION);
	put32(h + 12, spin_mode(c));
	put64(h + 16, c->tx.size);
	put32(h + 24, c->spin_max > 0 ? (uint32_t)c->spin_max : 0);
	put32(h + 28, 0);
	return 0;
}

/* Our hello; in state ACK (the accepted side, which took the peer's hello
 * first) our "mapped" byte goes with it, in the same call. */
static int send_hello(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	static const char ack = SIPC__SHM_ACK;
	size_t len = SIPC__SHM_HELLO + (c->hs == SIPC__SHM_HS_ACK);
	struct iovec iov[2] = {{NULL, 0}, {NULL, 0}};
	int n = 0, rc;
	char rb[128];
	ssize_t r;

	if (c->out_sent == 0 && c->tx_fd < 0 && (rc = make_tx(ep, c)) < 0)
		return rc;
	if (c->out_sent < SIPC__SHM_HELLO)
		iov[n++] =
			(struct iovec){c->hello_out + c->out_sent, SIPC__SHM_HELLO - c->out_sent};
	if (len > SIPC__SHM_HELLO)
		iov[n++] = (struct iovec){(void *)&ack, 1};
	/* The descriptor goes with the first byte (fdpass.h); the rest, if
	 * the socket took only part, goes plain. */
	if (c->out_sent == 0)
		r = sipc__fdpass_send(ep->fd, iov, n, &c->tx_fd, 1, NULL, MSG_DONTWAIT);
	else
		r = sipc__sys_send(ep->fd, iov[0].iov_base, iov[0].iov_len, MSG_DONTWAIT);
	if (r == -EAGAIN)
		return -EAGAIN;
	if ((r == -EPIPE || r == -ECONNRESET) && c->hs == SIPC__SHM_HS_SEND) {
		/* The peer is gone, but what it sent before says more (a
		 * client that closed at once, garbage): read that first. */
		c->send_err = (int)r;
		c->hs = SIPC__SHM_HS_RECV;
		return 0;
	}
	if (c->out_sent == 0)
		sipc__tracef(ep->trace, ep->trace_arg,
			     "sendmsg(%d, shm hello v%u ring=%zu, SCM_RIGHTS [%d]) = %s", ep->fd,
			     SIPC__SHM_VERSION, c->tx.size, c->tx_fd,
			     sipc__result_text(r, rb, sizeof(rb)));
	if (r < 0)
		return fail(ep, c, (int)r, "sending the shm hello: %s", sipc_strerror((int)r));
	if (c->out_sent == 0) {
		/* The peer has its own reference now; our mapping is ours. */
		sipc__sys_close(c->tx_fd);
		c->tx_fd = -1;
	}
	c->out_sent += (size_t)r;
	if (c->out_sent == len)
		c->hs = len > SIPC__SHM_HELLO ? SIPC__SHM_HS_WAIT : SIPC__SHM_HS_RECV;
	return 0;
}

/* The sentence of FMT into WHY; SIPC_ESHM_HANDSHAKE. */
static int refuse(char *why, size_t whylen, const char *fmt, ...) SIPC__PRINTF(3, 4);

static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return SIPC_ESHM_HANDSHAKE;
}

int sipc__shm_hello_check(const uint8_t *h, int fd, size_t ring_max, size_t *sizep, int *sealsp,
			  char *why, size_t whylen)
{
	uint32_t version = get32(h + 8);
	uint64_t size = get64(h + 16);
	struct stat st;
	char sb[64];
	int seals;

	if (memcmp(h, SIPC__SHM_MAGIC, 8) != 0)
		return refuse(why, whylen,
			      "the peer's first bytes are not an shm hello (is it an shm:// "
			      "endpoint?)");
	if (version != SIPC__SHM_VERSION)
		return refuse(why, whylen,
			      "the peer speaks shm hello version %u, this side version %u", version,
			      SIPC__SHM_VERSION);
	if (fd < 0)
		return refuse(why, whylen,
			      "the peer's shm hello came without its ring's descriptor");
	/* The cap before anything else about the size: a peer's ring is
	 * mapped whole, so its size is the peer's to propose and ours to
	 * bound. */
	if (size > ring_max)
		return refuse(why, whylen, "the peer's ring of %llu bytes is over ring_max=%zu",
			      (unsigned long long)size, ring_max);
	if (size < SIPC__RING_MIN || size > SIPC__RING_MAX || (size & (size - 1)) != 0)
		return refuse(why, whylen,
			      "the peer's ring size %llu is not a power of two from %zu to %zu",
			      (unsigned long long)size, SIPC__RING_MIN, SIPC__RING_MAX);
	/* The memfd: a regular file that has seals (only memfds have),
	 * sealed against shrinking and growing, so the peer cannot make this
	 * side fault by truncating it, and of the size the hello says, so
	 * that what we map is what the cap allowed. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(why, whylen,
			      "the descriptor with the peer's shm hello is not a memfd (not a "
			      "regular file)");
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return refuse(why, whylen,
			      "the descriptor with the peer's shm hello is not a memfd (it has no "
			      "seals)");
	if ((seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW))
		return refuse(why, whylen,
			      "the peer's ring memfd is not sealed against shrinking and growing "
			      "(seals: %s), so it could truncate it under us",
			      seals_text(seals, sb, sizeof(sb)));
	if (st.st_size < 0 || (uint64_t)st.st_size != sipc__ring_file_len((size_t)size))
		return refuse(why, whylen,
			      "the peer's hello says a ring of %llu bytes (a memfd of %zu), its "
			      "memfd holds %lld",
			      (unsigned long long)size, sipc__ring_file_len((size_t)size),
			      (long long)st.st_size);
	*sizep = (size_t)size;
	*sealsp = seals;
	return 0;
}

static int take_hello(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	char why[SIPC_WHY_MAX] = "";
	size_t size = 0;
	int rc, seals = 0;

	rc = sipc__shm_hello_check(c->hello_in, c->rx_fd, sipc__shm_ring_max(ep), &size, &seals,
				   why, sizeof(why));
	if (rc < 0)
		return fail(ep, c, rc, "%s", why);
	rc = sipc__ring_map(&c->rx, c->rx_fd, false, why, sizeof(why));
	if (rc < 0)
		return fail(ep, c, SIPC_ESHM_HANDSHAKE, "the peer's ring: %s",
			    why[0] ? why : sipc_strerror(rc));
	if (c->rx.size != size) {
		size_t real = c->rx.size;

		sipc__ring_unmap(&c->rx);
		return fail(ep, c, SIPC_ESHM_HANDSHAKE,
			    "the peer's hello says a ring of %zu bytes, its memfd holds %zu", size,
			    real);
	}
	if (c->send_err < 0)
		return fail(ep, c, c->send_err, "sending the shm hello: %s",
			    sipc_strerror(c->send_err));
	sipc__sys_close(c->rx_fd);
	c->rx_fd = -1;
	c->rx_seals = seals;
	c->hs = SIPC__SHM_HS_ACK;
	return 0;
}

/* Our "mapped" byte: the peer may write into its ring from now on. */
static int send_ack(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	char ack = SIPC__SHM_ACK;
	ssize_t r;

	if (c->out_sent < SIPC__SHM_HELLO)
		return send_hello(ep, c); /* the accepted side: hello and byte at once */
	r = sipc__sys_send(ep->fd, &ack, 1, MSG_DONTWAIT);
	if (r == -EAGAIN)
		return -EAGAIN;
	if (r < 0)
		return fail(ep, c, (int)r, "sending the shm handshake's last byte: %s",
			    sipc_strerror((int)r));
	c->hs = SIPC__SHM_HS_WAIT;
	return 0;
}

/* The peer's "mapped" byte; then the connection is up. */
static int recv_ack(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	char ack, sb[64], wb[96];
	/* Plain recv: a descriptor attached to it is dropped by the kernel. */
	ssize_t r = sipc__sys_recv(ep->fd, &ack, 1, MSG_DONTWAIT);

	if (r == -EAGAIN)
		return -EAGAIN;
	if (r < 0)
		return fail(ep, c, (int)r, "receiving the shm handshake's last byte: %s",
			    sipc_strerror((int)r));
	if (r == 0)
		return fail(ep, c, SIPC_ESHM_HANDSHAKE,
			    "the peer closed the connection instead of taking our ring (it "
			    "refused our hello: its log says why)");
	if (ack != SIPC__SHM_ACK)
		return fail(ep, c, SIPC_ESHM_HANDSHAKE,
			    "the peer's handshake ended with byte 0x%02x, not 0x%02x",
			    (unsigned char)ack, SIPC__SHM_ACK);
	c->hs = SIPC__SHM_HS_DONE;
	sipc__tracef(ep->trace, ep->trace_arg,
		     "shm: rx ring %zu data bytes from the peer, %zu mapped, sealed %s; this "
		     "connection maps %zu bytes (tx %zu + rx %zu); wake-up: %s",
		     c->rx.size, c->rx.map_len, seals_text(c->rx_seals, sb, sizeof(sb)),
		     c->tx.map_len + c->rx.map_len, c->tx.map_len, c->rx.map_len,
		     wake_text(c, wb, sizeof(wb)));
	return 0;
}

/* One recvmsg of the hello's next bytes; descriptors only with the first. */
static int recv_hello(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	struct iovec iov = {c->hello_in + c->in_have, SIPC__SHM_HELLO - c->in_have};
	int fds[2];
	size_t nfds = 0, cmp;
	char rb[128];
	ssize_t r;

	r = sipc__fdpass_recv(ep->fd, &iov, 1, fds, 2, &nfds, NULL, NULL, MSG_DONTWAIT);
	if (r == -EAGAIN)
		return -EAGAIN;
	sipc__tracef(ep->trace, ep->trace_arg, "recvmsg(%d, shm hello, %zu descriptor%s) = %s",
		     ep->fd, nfds, nfds == 1 ? "" : "s", sipc__result_text(r, rb, sizeof(rb)));
	if (r == SIPC_EFDTRUNC)
		return fail(ep, c, SIPC_ESHM_HANDSHAKE,
			    "the peer sent more descriptors with its shm hello than its one ring");
	if (r < 0)
		return fail(ep, c, (int)r, "receiving the shm hello: %s", sipc_strerror((int)r));
	if (nfds > 0 && (nfds > 1 || c->in_have > 0 || c->rx_fd >= 0)) {
		for (size_t i = 0; i < nfds; i++)
			sipc__sys_close(fds[i]);
		return fail(ep, c, SIPC_ESHM_HANDSHAKE,
			    "the peer sent %zu descriptors with its shm hello, not its one ring "
			    "with the first byte",
			    nfds);
	}
	if (nfds == 1)
		c->rx_fd = fds[0];
	if (r == 0) {
		if (c->in_have == 0)
			return fail(ep, c, SIPC_ECLOSED,
				    "the peer closed before its shm hello (is it an shm:// "
				    "endpoint?)");
		return fail(ep, c, SIPC_ESHM_HANDSHAKE,
			    "the peer closed in the middle of its shm hello (%zu of %d bytes)",
			    c->in_have, SIPC__SHM_HELLO);
	}
	c->in_have += (size_t)r;
	/* Garbage is told at once, not after 32 bytes that may never come. */
	cmp = c->in_have < 8 ? c->in_have : 8;
	if (memcmp(c->hello_in, SIPC__SHM_MAGIC, cmp) != 0)
		return fail(ep, c, SIPC_ESHM_HANDSHAKE,
			    "the peer's first bytes are not an shm hello (is it an shm:// "
			    "endpoint?)");
	if (c->in_have == SIPC__SHM_HELLO)
		return take_hello(ep, c);
	return 0;
}

int sipc__shm_hs_step(sipc_endpoint *ep, struct sipc__shm_conn *c)
{
	int rc;

	/* Bounded: each pass sends or takes bytes of a 32-byte hello, or
	 * returns. */
	for (;;) {
		if (c->fatal)
			return c->fatal;
		switch (c->hs) {
		case SIPC__SHM_HS_DONE:
			return 0;
		case SIPC__SHM_HS_SEND:
			rc = send_hello(ep, c);
			break;
		case SIPC__SHM_HS_RECV:
			rc = recv_hello(ep, c);
			break;
		case SIPC__SHM_HS_ACK:
			rc = send_ack(ep, c);
			break;
		case SIPC__SHM_HS_WAIT:
			rc = recv_ack(ep, c);
			break;
		default:
			rc = -EINVAL;
			break;
		}
		if (rc < 0)
			return rc;
	}
}

short sipc__shm_hs_want(const struct sipc__shm_conn *c)
{
	return c->hs == SIPC__SHM_HS_SEND || c->hs == SIPC__SHM_HS_ACK ? POLLOUT : POLLIN;
}
