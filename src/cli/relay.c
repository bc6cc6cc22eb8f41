/*
 * relay.c - the relay loop of connect and listen: both directions (stdin
 * -> socket, socket -> stdout) at once, each with a bounded buffer of
 * SIPC_RELAY_BUF bytes, or a pipe of up to SIPC_RELAY_PIPE bytes moved
 * with splice(2) when both of its ends can be spliced and no byte needs to
 * be looked at (--hex, --crlf, lines).  Transfers are tried first and poll
 * is asked only about what would block, so a bulk transfer costs its
 * reads and writes and little else.  A read is tried only when there is
 * room and a write only when data waits, so a slow side slows the other
 * instead of growing memory.  The half-close rules, in the spirit of
 * OpenBSD nc's readwrite():
 *  - end of stdin, once everything read is sent, shuts down the socket's
 *    write side (streams, seqpacket) and the loop goes on reading;
 *  - end of stream from the socket, once it is all written to stdout, ends
 *    that direction; stdin is still sent until it ends (the peer may only
 *    have half-closed), except from a terminal, where nobody would type
 *    to a peer that has gone;
 *  - a send that fails because the peer went away ends the stdin side
 *    quietly; the socket side then tells a reset (exit 1) from an end;
 *  - stdout closed by its reader (`| head`) ends everything, status 0;
 *  - on connectionless datagram endpoints there is no end of stream: the
 *    loop ends linger_ms after the last datagram once stdin has ended;
 *  - a program's pipes (io->program, connect -e): the socket's end of
 *    stream closes the program's stdin, and a program that no longer
 *    reads it (POLLERR on the pipe, EPIPE) ends that direction only.
 * Every byte to and from the socket goes through the endpoint's own
 * operations (sipc__flow_endpoints), so TLS is relayed like any stream: the
 * descriptor is polled for what the endpoint wants (sipc_endpoint_want: TLS
 * may need to read before it can write), decrypted bytes it already holds
 * (sipc_endpoint_pending, which poll cannot see) are read before any
 * sleep, end of stdin sends close_notify, and a stream that ends without
 * one is an error (truncated), never a clean end.  Splice is kept for plain
 * sockets only: it would move TLS records, not the bytes in them.
 */
#include "cli/relay.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/dgrelay.h"
#include "cli/plat.h"
#include "cli/tlscli.h"
#include "cli/urgentcli.h"
#include "endpoint.h"
#include "flow.h"
#include "sys/sys.h"
#include "transport/transport.h"
#include "urgent.h"

struct relay {
	const struct sipc_relay_cfg *cfg;
	sipc_endpoint *ep;
	struct sipc_relay_io *io;
	int fd;        /* the endpoint's descriptor */
	bool stream;   /* tcp/unix: a byte stream */
	bool connless; /* udp/unixgram: no end of stream */
	bool stdin_tty;
	struct sipc__flow a;     /* stdin -> socket */
	struct sipc__flow b;     /* socket -> stdout */
	size_t frame_off;        /* framed stream send: bytes of the current
				    frame already sent */
	uint64_t sent, received; /* bytes through, for --hex offsets */
	/* What is believed ready: a transfer is tried while its flag is
	 * set; one that would block clears it, and poll sets it again. */
	bool in_rd, sock_wr, sock_rd, out_wr;
	bool in_try; /* stdin never blocks (a regular file, O_NONBLOCK, or a
			pipe spliced with SPLICE_F_NONBLOCK): it may be read
			before poll says so */
	int64_t last_traffic;
	int64_t linger_until;
	int a_err; /* why sending ended early, reported only if the
		      socket side did not end cleanly */
	/* Urgent data (urgent_*): looked for on tcp, until the socket hangs
	 * up (urgent_quiet: POLLPRI is asked no more). */
	bool urgent_ok;
	bool urgent_quiet;
	/* Connectionless endpoints in a message mode: datagrams read with
	 * recvmmsg and records sent with sendmmsg (dgrelay.h). */
	bool batch;
	struct sipc__dgrelay dg;
};

enum { MOVED = 1, AGAIN = 0 };

/* While transfers keep moving, poll is skipped; every SPIN_POLL rounds a
 * poll that does not wait looks at the sides that were waiting anyway,
 * so a busy direction cannot starve a quiet one. */
#define SPIN_POLL 64

/*
 * Where splice pays, chosen by measurement, which has moved with the host.
 *
 * The rule: splice wherever both ends take it (a socket, a pipe, a regular
 * file, /dev/null), through a 64 KiB pipe for tcp and 1 MiB for unix.  A
 * terminal or another character device cannot, and is copied through the
 * buffer.
 *
 * Measured 2026-12-04 15:31 UTC, 2-vCPU AMD EPYC VM (family 25 model 17),
 * Linux 6.18.44-fc-v1252, quiet; 2 GiB, receiver on CPU 0, sender on
 * CPU 1, medians of 5 interleaved runs, MB/s; the plain pair is
 * bench/peers/bulk.c splicing through 64 KiB pipes:
 *
 *                                        copied (before)  spliced  plain pair
 *     tcp  listen >/dev/null                  4982          5898      6078
 *     tcp  connect <file, into a splicer      2757          4533      5213
 *     tcp  connect <file, into a copier       2302          4691      4257
 *
 * and the pipe's size on tcp, same day (64 KiB against 1 MiB): a plain
 * receiver splicing to /dev/null 6987 against 5158, a plain sender of the
 * file 5935 against 3468, `listen | cat` 4680 against 3840.  A splice
 * holds the socket for up to a pipe's worth, and meanwhile the peer waits
 * for the window; a unix socket has no window, and there the larger pipe
 * won (a plain receiver, 7516 against 6150).
 *
 * The host decides which of splice and copy wins on tcp.  In 2025-11
 * (fc-v657) splice was ahead, 5000-5600 against 2900-3700.  On 2026-12-03
 * and 04 (fc-v1147) copies were: connect from a file 1592 copying 256 KiB
 * against 1144 splicing (TCP's sender spent 0.3 s per GiB more taking page
 * references than copying), listen >/dev/null 4151 reading 64 KiB against
 * 2253 splicing through 1 MiB, and in the bench's sweep 64 KiB splices
 * were 16 % behind reads receiving and 46 % behind copies sending; the
 * relay copied there.  Two hosts of three, today's by up to 2x, have
 * splice ahead.
 *
 * On unix the receiver decides, 2026-12-04 (fc-v1147), quiet, the same
 * placement, 5 interleaved runs, medians (MB/s):
 *
 *     receiver                         plain splice  plain copy  read+send  splice
 *     bulk recv -s -b 64K (splices)    3483          2124        2243       3733
 *     bulk recv -b 64K (copies)        2188          2318        2555       2140
 *     sockipc listen >/dev/null        4307          2262        2368       3659
 *
 * A receiver that copies takes the sender's page fragments 16 % slower
 * than linear data; one that splices (listen into /dev/null, a pipe or a
 * file) moves them on without a copy, and the spliced pair is the fastest
 * there is.  Receiving, same day: a plain receiver splicing to /dev/null
 * 3824 against 2981 reading, listen 3848 spliced against 3273 reading
 * (older runs: listen | dd bs=256K, 5400-7200 spliced against 2500-3000
 * copied).
 */

/* Whether stdin (kind IN) is spliced into the socket: a pipe, a socket or
 * a regular file (above). */
static bool splice_send(struct sipc_cli_fdkind in)
{
	return sipc__sys_have_splice() && in.ok && (in.sock || in.fifo || in.reg);
}

/* Whether the socket is spliced out to stdout (kind OUT): a pipe, a
 * socket, /dev/null, or a regular file but one in O_APPEND, which the
 * kernel refuses. */
static bool splice_recv(struct sipc_cli_fdkind out)
{
	return sipc__sys_have_splice() && out.ok &&
	       (out.sock || out.fifo || out.devnull || (out.reg && !out.append));
}

/* The pipe asked for a socket of scheme SC (above): SIPC_RELAY_PIPE for
 * unix, 64 KiB for the others, so a splice never holds a tcp socket for
 * long. */
static size_t pipe_size(sipc_scheme sc)
{
	return sipc_scheme_is_unix(sc) ? SIPC_RELAY_PIPE : SIPC_RELAY_PIPE_TCP;
}

/* Sets F up with a buffer, and a pipe of PIPE_BYTES when SPLICE: the
 * buffer is there from the start, for the modes that look at bytes and
 * for a pipe the kernel turns down. */
static int flow_open(struct sipc__flow *f, int in, int out, unsigned sock, bool splice,
		     size_t pipe_bytes)
{
	sipc__flow_init(f, in, out, sock | (splice ? SIPC__FLOW_PIPE : 0), pipe_bytes,
			SIPC_RELAY_BUF);
	return sipc__flow_buffer(f);
}

/* One send of MH through the endpoint's operations, without waiting:
 * frames, --crlf lines and datagrams, which the relay builds itself. */
static ssize_t sock_sendmsg(struct relay *r, const struct msghdr *mh)
{
	return r->ep->tp->io->sendmsg(r->ep, mh, MSG_DONTWAIT);
}

/* Sends on what the endpoint accepted but still holds itself (TLS records
 * the socket did not take), without waiting: 0 once nothing is left
 * (at once for plain sockets, whose kernel has it all), SIPC_ETIMEDOUT
 * while some is, or a code. */
static int sock_flush(struct relay *r)
{
	if (r->ep->tp->io->drain == NULL)
		return 0;
	return r->ep->tp->io->drain(r->ep, sipc__now_ms());
}

static bool is_peer_gone(long e)
{
	return e == -EPIPE || e == -ECONNRESET || e == -ENOTCONN;
}

static void hex(struct relay *r, char dir, const void *p, size_t n)
{
	uint64_t *total = dir == '>' ? &r->sent : &r->received;

	if (sipc_cli_globals.hex && n > 0)
		sipc_hexdump(stderr, dir, *total, p, n);
	*total += n;
}

/* Whether a fill of F could take anything: a read is tried (or asked of
 * poll) only then, or a ready input with nowhere to go would wake poll
 * again and again. */
static bool can_fill(const struct relay *r, const struct sipc__flow *f, bool from_stdin)
{
	size_t have = f->tail - f->head;

	if (!sipc__flow_can_fill(f))
		return false;
	if (f->use_pipe)
		return true;
	if (from_stdin) {
		if (r->cfg->mode == SIPC_RELAY_DGRAM && r->cfg->chunk > 0)
			return have == 0;
		if (r->cfg->crlf)
			return (f->cap - have) / 2 > 0;
		return have < f->cap;
	}
	if (r->cfg->mode != SIPC_RELAY_BYTES)
		return have == 0;
	return have < f->cap;
}

/* ---- stdin -> socket ---- */

/* Reads stdin into A.  Returns MOVED, AGAIN, or a negative code. */
static int a_fill(struct relay *r)
{
	struct sipc__flow *f = &r->a;
	bool chunked = r->cfg->mode == SIPC_RELAY_DGRAM && r->cfg->chunk > 0;
	uint8_t *p;
	ssize_t n;

	if (!r->cfg->crlf && !chunked) {
		n = sipc__flow_fill(f);
		/* A splice that fails ends stdin in round_once, without a
		 * message. */
		if (n < 0 && n != -EAGAIN && f->use_pipe)
			return (int)n;
		if (n <= 0)
			goto ended;
		if (f->use_pipe)
			return MOVED;
		p = f->buf + f->tail - n;
	} else {
		sipc__flow_compact(f);
		if (chunked && f->tail > f->head)
			return AGAIN; /* one read is one datagram: send it first */
		p = f->buf + f->tail;
		if (r->cfg->crlf) {
			/* Read at most half the room, so that every "\n" can
			 * grow to "\r\n" in place, expanding from the end
			 * backwards. */
			size_t room = (f->cap - f->tail) / 2, nl = 0;

			if (room == 0)
				return AGAIN;
			n = sipc__sys_read(f->in, p, room);
			if (n <= 0)
				goto ended;
			for (ssize_t i = 0; i < n; i++)
				nl += p[i] == '\n';
			for (ssize_t i = n - 1, j = n - 1 + (ssize_t)nl; i >= 0; i--) {
				p[j--] = p[i];
				if (p[i] == '\n')
					p[j--] = '\r';
			}
			n += (ssize_t)nl;
		} else {
			size_t room = f->cap - f->tail;

			if (room > r->cfg->chunk)
				room = r->cfg->chunk;
			if (room == 0)
				return AGAIN;
			n = sipc__sys_read(f->in, p, room);
			if (n <= 0)
				goto ended;
		}
		f->tail += (size_t)n;
	}
	/* Message modes dump each message as it is sent (a_drain). */
	if (r->cfg->mode == SIPC_RELAY_BYTES)
		hex(r, '>', p, (size_t)n);
	return MOVED;
ended:
	if (n == -EAGAIN)
		return AGAIN;
	if (n < 0 && n != -EBADF)
		sipc_cli_error("%s: stdin: %s", r->cfg->cmd, sipc_strerror((int)n));
	f->eof = true;
	return MOVED;
}

/* The next record (a line, or all there is) of A for a message mode that
 * starts at OFF: sets *LEN (what to send) and *USED (what it takes from
 * the buffer).  Returns false when no whole record is there yet. */
static bool next_record_at(const struct relay *r, size_t off, size_t *len, size_t *used)
{
	const struct sipc__flow *f = &r->a;
	const uint8_t *p = f->buf + off, *nl;
	size_t have = f->tail - off;

	if (have == 0)
		return false;
	if (r->cfg->mode == SIPC_RELAY_DGRAM && r->cfg->chunk > 0) {
		*len = *used = have;
		return true;
	}
	nl = memchr(p, '\n', have);
	if (nl != NULL) {
		*used = (size_t)(nl - p) + 1;
		/* --framed sends the line without its newline (nor the "\r"
		 * --crlf put before it); a datagram keeps it, as nc -u does. */
		*len = r->cfg->mode == SIPC_RELAY_FRAMED ? (size_t)(nl - p) : *used;
		if (r->cfg->mode == SIPC_RELAY_FRAMED && r->cfg->crlf && *len > 0 &&
		    p[*len - 1] == '\r')
			(*len)--;
		return true;
	}
	/* No newline: a last line without one, or a line longer than the
	 * buffer, goes as it is. */
	if (f->eof || (off == 0 && f->tail == f->cap)) {
		*len = *used = have;
		return true;
	}
	return false;
}

static bool next_record(const struct relay *r, size_t *len, size_t *used)
{
	return next_record_at(r, r->a.head, len, used);
}

/* Whether A has something a send could take: bytes, or in a message mode
 * a whole record (a partial line waits for stdin, not for the socket). */
static bool a_sendable(const struct relay *r)
{
	size_t len, used;

	if (sipc__flow_pending(&r->a) == 0)
		return false;
	if (r->a.use_pipe || r->cfg->mode == SIPC_RELAY_BYTES)
		return true;
	if (r->frame_off > 0)
		return true;
	return next_record(r, &len, &used);
}

/* Connectionless endpoints: the records that wait go together, one
 * datagram each, with one sendmmsg (up to SIPC__DGRELAY_N); one that the
 * socket did not take waits for room.  Returns MOVED, AGAIN, or a
 * negative code. */
static int a_drain_batch(struct relay *r)
{
	struct sipc__flow *f = &r->a;

	for (int moved = 0;; moved = 1) {
		struct iovec rec[SIPC__DGRELAY_N];
		size_t used[SIPC__DGRELAY_N], off = f->head, len, u;
		unsigned n = 0;
		int sent;

		while (n < SIPC__DGRELAY_N && next_record_at(r, off, &len, &u)) {
			rec[n] = (struct iovec){f->buf + off, len};
			used[n++] = u;
			off += u;
		}
		if (n == 0)
			return moved ? MOVED : AGAIN;
		sent = sipc__dgrelay_send(&r->dg, rec, n);
		if (sent < 0)
			return sent == -EAGAIN ? (moved ? MOVED : AGAIN) : sent;
		for (int k = 0; k < sent; k++) {
			hex(r, '>', rec[k].iov_base, rec[k].iov_len);
			f->head += used[k];
		}
		sipc__flow_compact(f);
		if ((unsigned)sent < n)
			return MOVED; /* the rest waits for room */
	}
}

/* Sends what A holds.  Returns MOVED, AGAIN, or a negative code. */
static int a_drain(struct relay *r)
{
	struct sipc__flow *f = &r->a;
	ssize_t n;

	if (r->cfg->mode == SIPC_RELAY_BYTES) {
		n = sipc__flow_drain(f);
		if (n < 0)
			return n == -EAGAIN ? AGAIN : (int)n;
		return MOVED;
	}
	if (r->batch)
		return a_drain_batch(r);
	/* Message modes: one record at a time. */
	for (int moved = 0;; moved = 1) {
		size_t len, used;

		if (!next_record(r, &len, &used))
			return moved ? MOVED : AGAIN;
		if (r->stream) {
			/* A frame of DESIGN.md: 4-byte big-endian length, then
			 * the bytes; built here so a partial send resumes. */
			uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
					  (uint8_t)(len >> 8), (uint8_t)len};
			struct iovec iov[2];
			struct msghdr mh = {.msg_iov = iov};
			size_t off = r->frame_off;

			if (off < 4) {
				iov[0] = (struct iovec){hdr + off, 4 - off};
				iov[1] = (struct iovec){f->buf + f->head, len};
				mh.msg_iovlen = 2;
			} else {
				iov[0] = (struct iovec){f->buf + f->head + (off - 4),
							len - (off - 4)};
				mh.msg_iovlen = 1;
			}
			n = sock_sendmsg(r, &mh);
			if (n < 0)
				return n == -EAGAIN ? (moved ? MOVED : AGAIN) : (int)n;
			r->frame_off += (size_t)n;
			if (r->frame_off < 4 + len)
				continue;
			r->frame_off = 0;
		} else {
			struct iovec iov = {f->buf + f->head, len};
			struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

			n = sock_sendmsg(r, &mh);
			if (n < 0)
				return n == -EAGAIN ? (moved ? MOVED : AGAIN) : (int)n;
		}
		hex(r, '>', f->buf + f->head, len);
		f->head += used;
		sipc__flow_compact(f);
	}
}

/* ---- urgent data (tcp) ---- */

/* Takes the urgent byte that waits (poll or sipc__urgent_next said so)
 * and reports it on stderr (the library's recv line says it in --trace
 * too). */
static void urgent_take(struct relay *r)
{
	uint8_t b;

	if (sipc_urgent_recv(r->ep, &b) == 1)
		sipc_cli_urgent_report(b);
	else
		r->urgent_quiet = true; /* POLLPRI that cannot be read would
					   wake poll for ever */
}

/* Before each read of the socket: false to wait (for POLLIN or POLLPRI).
 * A read that starts at the mark would move past an urgent byte not yet
 * taken, and it would be lost; sipc__urgent_next looks without that race.
 * A splice stops at the mark by itself, and the flow then leaves the pipe
 * for good (SIPC__FLOW_URGENT: tcp_read_sock() never moves past the mark),
 * so only copying reads ask. */
static bool urgent_before_read(struct relay *r)
{
	if (!r->urgent_ok || r->b.use_pipe)
		return true;
	switch (sipc__urgent_next(r->fd)) {
	case SIPC__URGENT_TAKE:
		urgent_take(r);
		return true;
	case SIPC__URGENT_WAIT:
		return false;
	default:
		return true;
	}
}

/* Adds POLLPRI to the socket's poll entry SOCK while urgent data can come,
 * and QUIT's descriptor (--urgent-on-quit) while the socket can send. */
static void urgent_poll(struct relay *r, struct pollfd *sock, struct pollfd *quit)
{
	*quit = (struct pollfd){.fd = -1};
	if (!r->urgent_ok)
		return;
	if (!r->b.eof && !r->urgent_quiet) {
		sock->fd = r->fd;
		sock->events |= POLLPRI;
	}
	if (r->cfg->urgent != NULL && !r->urgent_quiet)
		*quit = (struct pollfd){.fd = r->cfg->urgent->fd, .events = POLLIN};
}

/* After poll: an urgent byte came (POLLPRI), or a signal asked for one to
 * go (QUIT readable: one byte for each signal). */
static void urgent_after_poll(struct relay *r, short sock, short quit)
{
	char sigs[16];
	ssize_t n;

	if (sock & POLLPRI)
		urgent_take(r);
	/* A hung-up socket polls POLLHUP at once for ever: with nothing else
	 * asked of it, it would spin; no urgent byte can come any more. */
	if (sock & (POLLHUP | POLLERR))
		r->urgent_quiet = true;
	if (!(quit & POLLIN))
		return;
	n = sipc__sys_read(r->cfg->urgent->fd, sigs, sizeof(sigs));
	for (ssize_t i = 0; i < n; i++) {
		int rc = sipc_urgent_send(r->ep, r->cfg->urgent->byte, 0);

		if (rc == SIPC_ETIMEDOUT)
			sipc_cli_error("%s %s: urgent byte not sent: the socket's send buffer is "
				       "full",
				       r->cfg->cmd, r->cfg->url);
		else if (rc < 0)
			sipc_cli_error("%s %s: urgent byte not sent: %s", r->cfg->cmd, r->cfg->url,
				       sipc_strerror(rc));
	}
}

/* ---- socket -> stdout ---- */

/* Connectionless endpoints: the datagrams that came, read several at a
 * time (dgrelay.h), go into the empty buffer one after the other while
 * they fit, each whole (followed by a newline in --framed). */
static int b_fill_batch(struct relay *r)
{
	struct sipc__flow *f = &r->b;
	bool framed = r->cfg->mode == SIPC_RELAY_FRAMED;
	int moved = AGAIN;

	for (;;) {
		const uint8_t *p;
		size_t n;
		bool trunc;
		int rc;

		/* One recvmmsg per fill: an error it returns is the socket's
		 * pending one (ECONNREFUSED), which must not be read and lost
		 * after datagrams were handed out. */
		if (moved == MOVED && !sipc__dgrelay_held(&r->dg))
			break;
		rc = sipc__dgrelay_peek(&r->dg, &p, &n, &trunc);
		if (rc == -EAGAIN)
			break;
		if (rc < 0)
			return rc;
		if (trunc) {
			sipc_cli_error("%s %s: dropped a datagram of over %zu bytes", r->cfg->cmd,
				       r->cfg->url, r->dg.slot);
			sipc__dgrelay_take(&r->dg);
			moved = MOVED;
			continue;
		}
		if (n + (framed ? 1 : 0) > f->cap - f->tail)
			break; /* the next one waits for room */
		sipc__dgrelay_take(&r->dg);
		hex(r, '<', p, n);
		memcpy(f->buf + f->tail, p, n);
		f->tail += n;
		if (framed)
			f->buf[f->tail++] = '\n';
		moved = MOVED;
	}
	if (moved == MOVED && r->connless && r->linger_until != 0 && r->cfg->linger_ms >= 0)
		r->linger_until = sipc__now_ms() + r->cfg->linger_ms;
	return moved;
}

static int b_fill(struct relay *r)
{
	struct sipc__flow *f = &r->b;
	ssize_t n;

	if (!urgent_before_read(r))
		return AGAIN;

	if (r->cfg->mode == SIPC_RELAY_BYTES) {
		n = sipc__flow_fill(f);
		if (n < 0)
			return n == -EAGAIN ? AGAIN : (int)n;
		if (!f->use_pipe)
			hex(r, '<', f->buf + f->tail - n, (size_t)n);
		return MOVED;
	}
	sipc__flow_compact(f);
	/* Message modes take a message only into an empty buffer, so one
	 * never has to be cut or dropped for want of room. */
	if (f->tail != f->head)
		return AGAIN;
	if (r->batch)
		return b_fill_batch(r);
	if (r->stream) {
		void *msg = NULL;

		n = sipc_recv_alloc(r->ep, &msg, 0);
		if (n == SIPC_ETIMEDOUT || n == -EAGAIN)
			return AGAIN;
		if (n == SIPC_ECLOSED) {
			f->eof = true;
			return MOVED;
		}
		if (n < 0)
			return (int)n;
		if ((size_t)n + 1 > f->cap) {
			uint8_t *bigger = realloc(f->buf, (size_t)n + 1);

			if (bigger == NULL) {
				free(msg);
				return -ENOMEM;
			}
			f->buf = bigger;
			f->cap = (size_t)n + 1;
		}
		memcpy(f->buf, msg, (size_t)n);
		free(msg);
	} else {
		/* The library tells an empty seqpacket record from the peer's
		 * end of stream (recv() returns 0 for both) and reports a
		 * datagram larger than the buffer instead of cutting it. */
		n = sipc_recv(r->ep, f->buf, f->cap - 1, 0);
		if (n == SIPC_ETIMEDOUT || n == -EAGAIN)
			return AGAIN;
		if (n == SIPC_ECLOSED) {
			f->eof = true;
			return MOVED;
		}
		if (n == SIPC_ETRUNC) {
			sipc_cli_error("%s %s: dropped a datagram of over %zu bytes", r->cfg->cmd,
				       r->cfg->url, f->cap - 1);
			return MOVED;
		}
		if (n < 0)
			return (int)n;
	}
	hex(r, '<', f->buf, (size_t)n);
	f->head = 0;
	f->tail = (size_t)n;
	if (r->cfg->mode == SIPC_RELAY_FRAMED)
		f->buf[f->tail++] = '\n';
	if (r->connless && r->linger_until != 0 && r->cfg->linger_ms >= 0)
		r->linger_until = sipc__now_ms() + r->cfg->linger_ms;
	return MOVED;
}

static int b_drain(struct relay *r)
{
	ssize_t n = sipc__flow_drain(&r->b);

	if (n < 0)
		return n == -EAGAIN ? AGAIN : (int)n;
	return MOVED;
}

/* ---- the loop ---- */

static int fail(struct relay *r, int code)
{
	sipc_cli_ep_error(r->cfg->cmd, r->cfg->url, NULL, r->ep, code);
	return SIPC_EXIT_FAIL;
}

/* Ends the stdin side once it has ended and everything is sent. */
static void a_maybe_done(struct relay *r)
{
	struct sipc__flow *f = &r->a;

	if (f->done || !f->eof || sipc__flow_pending(f) > 0)
		return;
	f->done = true;
	r->io->in_eof = true;
	if (!r->connless) {
		/* Pass the end on: the peer reads end of stream and can
		 * answer; we keep reading (TCP half-close, RFC 793 3.5). */
		int rc = sipc_shutdown_write(r->ep);

		if (rc < 0 && !is_peer_gone(rc))
			sipc_cli_error("%s %s: shutdown: %s", r->cfg->cmd, r->cfg->url,
				       sipc_strerror(rc));
	} else if (r->cfg->linger_ms >= 0) {
		r->linger_until = sipc__now_ms() + r->cfg->linger_ms;
	}
}

static void a_stop(struct relay *r)
{
	r->a.eof = true;
	r->a.done = true;
	r->a.pending = 0;
	r->a.head = r->a.tail = 0;
}

/* A program (io->program) stopped reading its stdin: what the peer sends
 * has nowhere to go, and the socket is read no more; the program's output
 * is still sent until it ends. */
static void b_unread(struct relay *r)
{
	r->b.eof = true;
	r->b.done = true;
	r->b.pending = 0;
	r->b.head = r->b.tail = 0;
}

/* The peer's end of stream reached a program: closing its stdin pipe is
 * how it reads end of file. */
static void close_out(struct relay *r)
{
	if (r->io->program && r->io->out_fd >= 0) {
		sipc__sys_close(r->io->out_fd);
		r->io->out_fd = -1;
	}
}

/* The transfers of one round, each tried only while its side is believed
 * ready.  Sets *MOVED when any byte (or an end) went through.  Returns 0
 * to go on, or 1 with *RC set when the relay must end now. */
static int round_once(struct relay *r, bool *moved, int *rc)
{
	int m;

	if (r->in_rd && can_fill(r, &r->a, true)) {
		m = a_fill(r);
		if (m < 0) {
			r->a.eof = true;
		} else if (m == MOVED) {
			*moved = true;
			r->in_rd = r->in_try;
		} else if (can_fill(r, &r->a, true)) {
			r->in_rd = false; /* stdin has nothing now */
		}
	}
	if (r->sock_wr && a_sendable(r)) {
		m = a_drain(r);
		if (m < 0) {
			if (!is_peer_gone(m) && m != -ECONNREFUSED) {
				*rc = fail(r, m);
				return 1;
			}
			/* The peer stopped reading: what is left of stdin has
			 * nowhere to go.  The socket side says whether that
			 * was an end or an error. */
			r->a_err = m;
			a_stop(r);
			*moved = true; /* an end: the loop must look again */
			if (r->connless) {
				*rc = fail(r, m);
				return 1;
			}
		} else if (m == MOVED) {
			*moved = true;
		} else if (a_sendable(r)) {
			r->sock_wr = false;
		}
	}
	if (r->sock_rd && can_fill(r, &r->b, false)) {
		m = b_fill(r);
		if (m < 0) {
			*rc = fail(r, m);
			return 1;
		}
		if (m == MOVED)
			*moved = true;
		else if (can_fill(r, &r->b, false))
			r->sock_rd = false;
	}
	/* stdout is written as soon as data is there: it is nearly always
	 * ready, and a blocking stdout is simply back-pressure. */
	if (r->out_wr && sipc__flow_pending(&r->b) > 0) {
		m = b_drain(r);
		if (m == -EPIPE && r->io->program) {
			b_unread(r);
			*moved = true;
			return 0;
		}
		if (m == -EPIPE) {
			r->io->out_gone = true;
			*rc = SIPC_EXIT_OK;
			return 1;
		}
		if (m < 0) {
			sipc_cli_error("%s: stdout: %s", r->cfg->cmd, sipc_strerror(m));
			*rc = SIPC_EXIT_FAIL;
			return 1;
		}
		if (m == MOVED)
			*moved = true;
		else
			r->out_wr = false;
	}
	return 0;
}

int sipc_relay_run(const struct sipc_relay_cfg *cfg, sipc_endpoint *ep, struct sipc_relay_io *io)
{
	struct relay r = {.cfg = cfg, .ep = ep, .io = io};
	sipc_scheme sc = sipc_endpoint_scheme(ep);
	bool bytes = cfg->mode == SIPC_RELAY_BYTES;
	struct sipc_cli_fdkind kin, kout;
	bool traffic = false;
	int spins = 0, rc = SIPC_EXIT_OK;

	/* A reader of stdout that goes away must end us quietly with status
	 * 0 (EPIPE below), not kill us with SIGPIPE.  Set here rather than in
	 * main, so programs that serve execs never inherit an ignored SIGPIPE. */
	sipc_cli_no_sigpipe();
	r.fd = sipc_endpoint_fd(ep);
	r.stream = sipc_scheme_is_stream(sc);
	r.connless = sipc_scheme_is_connectionless(sc);
	/* sockatmark answers on a system that has urgent data (not Windows). */
	r.urgent_ok = sipc__urgent_scheme(sc) && sipc__sys_atmark(r.fd) >= 0;
	kin = sipc_cli_fdkind(io->in_fd);
	kout = sipc_cli_fdkind(io->out_fd);
	r.stdin_tty = kin.tty;
	if (flow_open(&r.a, io->in_fd, r.fd, SIPC__FLOW_OUT_SOCK,
		      bytes && !cfg->crlf && !sipc_cli_globals.hex && splice_send(kin),
		      pipe_size(sc)) < 0 ||
	    flow_open(&r.b, r.fd, io->out_fd, SIPC__FLOW_IN_SOCK | SIPC__FLOW_URGENT,
		      bytes && !sipc_cli_globals.hex && splice_recv(kout), pipe_size(sc)) < 0) {
		rc = fail(&r, -ENOMEM);
		goto out;
	}
	/* The socket side through the endpoint: no pipe where it is TLS. */
	sipc__flow_endpoints(&r.a, NULL, ep);
	sipc__flow_endpoints(&r.b, ep, NULL);
	/* udp and unixgram in a message mode: batches both ways.  A buffer
	 * holds what the single read took before (the flow buffer less the
	 * byte --framed adds). */
	if (r.connless && !bytes) {
		if (sipc__dgrelay_init(&r.dg, r.fd, SIPC_RELAY_BUF - 1,
				       sc == SIPC_UDP || sc == SIPC_UDP4 || sc == SIPC_UDP6) < 0) {
			rc = fail(&r, -ENOMEM);
			goto out;
		}
		r.batch = true;
	}
	/* A regular file never blocks, nor an O_NONBLOCK one, nor a pipe
	 * spliced from (SPLICE_F_NONBLOCK): those are read before any poll.
	 * Anything else (a terminal, a blocking pipe or socket) is read only
	 * when poll says so, or a read would stall the other direction. */
	r.in_try = (kin.reg || kin.nonblock || (r.a.use_pipe && kin.fifo));
	r.in_rd = r.in_try;
	r.sock_wr = r.sock_rd = r.out_wr = true; /* the socket is non-blocking */
	if (cfg->no_recv)
		b_unread(&r); /* --send-only */
	if (io->in_eof || !cfg->send_stdin) {
		r.a.eof = true;
		if (!cfg->send_stdin)
			a_stop(&r);
	}
	r.last_traffic = sipc__now_ms();

	for (;;) {
		struct pollfd pfd[5];
		short wr_ev = 0, rd_ev = 0;
		bool moved = false, held = false;
		int n, timeout = 0;

		a_maybe_done(&r);
		if (r.b.eof && sipc__flow_pending(&r.b) == 0 && !r.b.done) {
			r.b.done = true;
			if (r.stdin_tty && !r.a.done)
				a_stop(&r);
			close_out(&r);
		}
		if (r.a.done && r.b.done) {
			/* Both ends passed on; what TLS still holds (the last
			 * records, close_notify) must reach the socket first. */
			int d = sock_flush(&r);

			if (d == 0)
				break;
			if (d != SIPC_ETIMEDOUT) {
				/* A peer gone is an end, as for the sends before. */
				if (!is_peer_gone(d) && r.a_err == 0)
					rc = fail(&r, d);
				break;
			}
			wr_ev = POLLOUT;
		} else if (round_once(&r, &moved, &rc)) {
			break;
		}

		/* Ask poll about each side that is wanted but would block. */
		pfd[0] = (struct pollfd){.fd = -1};
		pfd[1] = (struct pollfd){.fd = -1};
		pfd[2] = (struct pollfd){.fd = -1};
		if (!r.in_rd && can_fill(&r, &r.a, true))
			pfd[0] = (struct pollfd){.fd = io->in_fd, .events = POLLIN};
		if (!r.sock_rd && can_fill(&r, &r.b, false)) {
			/* Bytes the endpoint has decrypted already: poll would
			 * never wake for them. */
			if (sipc_endpoint_pending(ep) > 0 || (r.batch && sipc__dgrelay_held(&r.dg)))
				r.sock_rd = held = true;
			else
				rd_ev = sipc_endpoint_want(ep, POLLIN);
		}
		if (!r.sock_wr && a_sendable(&r))
			wr_ev = sipc_endpoint_want(ep, POLLOUT);
		pfd[1].events = wr_ev | rd_ev;
		if (pfd[1].events != 0)
			pfd[1].fd = r.fd; /* else a reset socket's POLLHUP spins */
		if (!r.out_wr && sipc__flow_pending(&r.b) > 0)
			pfd[2] = (struct pollfd){.fd = io->out_fd, .events = POLLOUT};
		else if (io->program && !r.b.done)
			pfd[2].fd = io->out_fd; /* POLLERR: the program closed stdin */
		pfd[3] = (struct pollfd){.fd = io->stop_fd, .events = POLLIN};
		urgent_poll(&r, &pfd[1], &pfd[4]);

		if (moved) {
			/* Something went through: go round again at once,
			 * looking (without waiting) at the waiting sides only
			 * now and then. */
			traffic = true;
			if (++spins < SPIN_POLL || ((int)pfd[0].fd < 0 && (int)pfd[1].fd < 0 &&
						    (int)pfd[2].fd < 0 && (int)pfd[3].fd < 0))
				continue;
		} else {
			/* Everything would block: the clock is read only here,
			 * before a wait, not for every transfer. */
			int64_t now = sipc__now_ms(), deadline = SIPC__NEVER;

			if (traffic)
				r.last_traffic = now;
			traffic = false;
			if (cfg->idle_ms >= 0)
				deadline = r.last_traffic + cfg->idle_ms;
			if (r.linger_until != 0 && r.linger_until < deadline)
				deadline = r.linger_until;
			if (deadline != SIPC__NEVER && now >= deadline)
				break; /* idle or linger time is up: a normal end */
			timeout = held ? 0 : sipc__deadline_left(deadline);
		}
		spins = 0;

		n = sipc__sys_poll(pfd, 5, timeout);
		if (n < 0) {
			if (n == -EINTR)
				continue;
			rc = fail(&r, n);
			break;
		}
		if (pfd[0].revents & POLLNVAL)
			r.a.eof = true;
		else if (pfd[0].revents)
			r.in_rd = true;
		/* What each side waited for: on TLS a write may wait to read. */
		if (pfd[1].revents & (wr_ev | POLLERR | POLLHUP))
			r.sock_wr = true;
		if (pfd[1].revents & (rd_ev | POLLERR | POLLHUP))
			r.sock_rd = true;
		if (io->program && (pfd[2].revents & POLLERR) && sipc__flow_pending(&r.b) == 0)
			b_unread(&r);
		else if (pfd[2].revents)
			r.out_wr = true;
		urgent_after_poll(&r, pfd[1].revents, pfd[4].revents);
		if (pfd[3].revents) {
			io->stopped = true;
			break;
		}
	}
out:
	if (r.batch)
		sipc__dgrelay_free(&r.dg);
	sipc__flow_free(&r.a);
	sipc__flow_free(&r.b);
	return rc;
}
