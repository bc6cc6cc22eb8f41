/*
 * conn.c - the life of one accepted connection under a worker loop: the
 * non-blocking reads into the worker's scratch buffer limited by the
 * service's budget (backpressure), the bounded output buffer behind
 * sipc__conn_write, the graceful end (flush, shut down our side, linger
 * for the peer's end), idle timeouts, the counters and the open/close log
 * lines.  Bytes move through the endpoint's transport operations
 * (ep->tp->io), never raw descriptor calls, so a TLS connection is served
 * by the same code: what the loop waits for follows sipc_endpoint_want
 * (TLS may need to write to read, or read to write), and bytes the
 * transport already holds (decrypted records, which epoll cannot see) are
 * read on a zero-delay timer instead of waiting for the descriptor.  An
 * shm:// connection whose URL spins (the default) spins with the worker's
 * loop instead (loop.h, busy-polling): the loop looks at its rings before
 * it sleeps, and only then is it asked what it wants, so a message that
 * comes while the loop spins costs neither side a system call.  A TLS
 * connection first goes through its handshake here (tls.c checks the
 * client certificate), bounded in time and in number per worker, before
 * the service sees it.  Services see it only through service.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoint.h"
#include "loop/epspin.h"
#include "proxyhdr.h"
#include "serve/limits.h"
#include "serve/model.h"
#include "serve/plat.h"
#include "serve/server.h"
#include "serve/tls.h"
#include "sys/net.h"
#include "sys/sys.h"
#include "transport/transport.h"
#include "urgent.h"

struct sipc_conn {
	struct sipc_conn *prev, *next;
	struct sipc_worker *w;
	struct sipc_srv_endpoint *sep;
	const struct sipc_service *svc;
	sipc_endpoint *ep;
	int fd;
	bool seqpacket;
	sipc_loop_io io;
	sipc_loop_timer timer; /* idle timeout, linger or handshake deadline */
	sipc_loop_timer kick;  /* the transport holds bytes epoll cannot see */
	uint32_t rd_ev, wr_ev; /* what a read, a write waits for (sipc_endpoint_want) */
	long spin_us;          /* shm://: the loop spins on it (sipc_endpoint_spin) */
	short spin_ev;         /* ... for these poll(2) events */
	sipc_addr local, peer;
	sipc_addr via; /* the upstream a PROXY header came from (len 0: none) */
	int64_t start_ms, last_ms, linger_at;
	int64_t hs_deadline; /* handshaking: when it has taken too long */
	long *hs_count;      /* handshaking: the counter that bounds them */
	char *tls_note;      /* " tls=TLSv1.3 ..." for the open and close lines */
	uint64_t bytes_in, bytes_out;
	/* Output: bytes [head, tail) of out wait to be sent.  On seqpacket the
	 * buffer holds records: a 4-byte host-order length, then the message. */
	uint8_t *out;
	size_t head, tail, cap, max;
	bool rd_eof;        /* the peer's data has ended */
	bool ending;        /* sipc__conn_end: flush, shut down, linger */
	bool wr_shut;       /* our write side is shut down */
	bool want_writable; /* on_writable each time the output empties */
	bool dead;          /* closing: freed when the outermost callback returns */
	bool opened;        /* on_open was called: on_close is owed */
	bool bytes_unknown; /* the close line leaves in= and out= out */
	bool handshaking;   /* TLS: the service has not seen it yet */
	bool banner_wait;   /* a raw service starts once its banner is out */
	bool sniff;         /* --accept-proxy: an untrusted peer's first bytes are looked at */
	int in_cb;
	const char *why;
	char whybuf[SIPC_WHY_MAX + 64]; /* a why made for this connection */
	uint64_t id;                    /* --hex: tells connections apart */
	struct sipc__ticket ticket;     /* the service's limits it holds (limits.h) */
	pid_t child;                    /* exec: the child serving it (0: none) */
	int status;                     /* exec: the child's wait status, when ... */
	bool status_known;              /* ... it was reaped */
	/* Urgent data (on_urgent services on tcp; see urgent_take). */
	bool urg_on;       /* SIPC_LOOP_PRI is asked for */
	bool urg_seen;     /* SIPC_LOOP_PRI came: the byte is taken at its mark */
	bool urg_queued;   /* an urgent byte waits in out ... */
	size_t urg_before; /* ... after this many bytes of it */
	/* Completion receive (crecv_ok): the loop receives for it and hands
	 * the bytes to on_bytes; those the service's budget could not take
	 * yet are held here, and receiving waits until they are taken. */
	bool crecv;
	uint8_t *held;
	size_t held_off, held_len;
	/* Its output goes through the loop's completion send too: the bytes
	 * of out are handed over whole (sbuf, slen: the loop's until on_sent),
	 * and out starts again in the spare (sbuf, scap). */
	uint8_t *sbuf;
	size_t slen, scap;
	_Alignas(max_align_t) unsigned char state[];
};

static void settle(struct sipc_conn *c);
static void handshake(struct sipc_conn *c);
static void open_service(struct sipc_conn *c);
static void on_bytes(sipc_loop *loop, sipc_loop_io *io, const void *buf, ssize_t n);

static struct sipc_srv_stats *stats(struct sipc_conn *c)
{
	return &c->w->stats[c->sep->index];
}

static int64_t now(struct sipc_conn *c)
{
	return sipc__loop_now(c->w->loop);
}

static void enter(struct sipc_conn *c)
{
	c->in_cb++;
}

static void leave(struct sipc_conn *c)
{
	if (--c->in_cb == 0)
		settle(c);
}

/* The output not sent yet: queued in out, and in the loop's send. */
static size_t pending(const struct sipc_conn *c)
{
	return c->tail - c->head + c->slen;
}

/* The output in out. */
static size_t queued(const struct sipc_conn *c)
{
	return c->tail - c->head;
}

/* --hex: this connection's bytes, labelled with its service, id and peer.
 * A forked child counts its own connections, so under fork the id is the
 * child's pid. */
static void hex(struct sipc_conn *c, char dir, uint64_t offset, const void *p, size_t n)
{
	sipc__serve_hex_fn *fn = c->sep->srv->cfg->hex;
	char peer[SIPC_URL_MAX], who[SIPC_URL_MAX + 64];
	bool by_pid = c->sep->srv->ops->conn_is_process;

	if (fn == NULL || p == NULL || n == 0)
		return;
	if (sipc_addr_format(&c->peer, peer, sizeof(peer)) < 0)
		snprintf(peer, sizeof(peer), "?");
	snprintf(who, sizeof(who), "%s conn=%llu peer=%s", c->svc->name,
		 by_pid ? (unsigned long long)getpid() : (unsigned long long)c->id, peer);
	fn(who, dir, offset, p, n);
}

/* " via=URL" after a PROXY header (the upstream it came through), "" else:
 * the open and close lines name both the real client and the proxy. */
static const char *via(const struct sipc_conn *c, char *buf, size_t len)
{
	char a[SIPC_URL_MAX];

	buf[0] = '\0';
	if (c->via.len > 0 && sipc_addr_format(&c->via, a, sizeof(a)) >= 0)
		snprintf(buf, len, " via=%s", a);
	return buf;
}

static void count_in(struct sipc_conn *c, const void *p, size_t n)
{
	hex(c, '<', c->bytes_in, p, n);
	c->bytes_in += n;
	c->last_ms = now(c);
	SIPC__STAT_ADD(stats(c)->bytes_in, n);
}

static void count_out(struct sipc_conn *c, const void *p, size_t n)
{
	hex(c, '>', c->bytes_out, p, n);
	c->bytes_out += n;
	c->last_ms = now(c);
	SIPC__STAT_ADD(stats(c)->bytes_out, n);
}

/* The words for ERR on C's close line; a transport with a sentence of its
 * own (TLS: "the stream ended without close_notify") adds it, escaped. */
static const char *reason(struct sipc_conn *c, int err)
{
	const char *why = sipc_endpoint_why(c->ep);
	const char *text = err == -ECONNRESET ? "reset by peer"
			   : err == -EPIPE    ? "peer gone"
					      : sipc_strerror(err);
	char esc[SIPC_WHY_MAX];

	if (why[0] == '\0' || strcmp(why, sipc_strerror(err)) == 0)
		return text;
	sipc__serve_tls_escape(why, esc, sizeof(esc));
	snprintf(c->whybuf, sizeof(c->whybuf), "%s: %s", text, esc);
	return c->whybuf;
}

/* One attempt to send LEN bytes (a whole record on seqpacket) through the
 * transport: a count, -EAGAIN or -errno. */
static ssize_t ep_send(struct sipc_conn *c, const void *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	return c->ep->tp->io->sendmsg(c->ep, &mh, MSG_DONTWAIT);
}

/* The handshake is over, one way or the other: its place is free. */
static void hs_release(struct sipc_conn *c)
{
	if (c->hs_count != NULL)
		__atomic_fetch_sub(c->hs_count, 1, __ATOMIC_RELAXED);
	c->hs_count = NULL;
}

/*
 * The last line of a connection: `close SVC local=L [peer=P] [pid=N]
 * [in=I out=O] [time=Ts] [exit=X] end=WHY[ tls=...]` with the fields of
 * the service's log_on_success (HOST, PID, TRAFFIC, DURATION, EXIT), in
 * that fixed order; end= comes last as its words may hold blanks.  A
 * handshake that failed gives `refused SVC local=L [peer=P]: WHY` under
 * log_on_failure.  The peer's address is formatted as every line does
 * (sipc_addr_format escapes a unix name); WHY is the core's or escaped.
 */
static void log_line(struct sipc_conn *c, bool refused, const char *why)
{
	const struct sipc_svc_conf *conf = c->sep->line->conf;
	unsigned f = refused ? conf->log_on_failure : conf->log_on_success;
	char local[SIPC_URL_MAX], peer[2 * SIPC_URL_MAX + 16] = "", pid[32] = "", bytes[64] = "";
	char dur[48] = "", ex[48] = "";

	if (c->w->srv->cfg->verbosity < 1)
		return;
	if (sipc_addr_format(&c->local, local, sizeof(local)) < 0)
		snprintf(local, sizeof(local), "%s", c->sep->url);
	if (f & SIPC_LOGF_HOST) {
		char a[SIPC_URL_MAX];
		char v[SIPC_URL_MAX + 8];
		if (sipc_addr_format(&c->peer, a, sizeof(a)) < 0)
			snprintf(a, sizeof(a), "?");
		snprintf(peer, sizeof(peer), " peer=%s%s", a, via(c, v, sizeof(v)));
	}
	if (refused) {
		sipc__serve_log(c->w->srv, 1, "refused %s local=%s%s: %s", c->svc->name, local,
				peer, why);
		return;
	}
	/* The process serving it: exec's child, else this process (the
	 * server, or the connection's own under --model fork). */
	if (f & SIPC_LOGF_PID)
		snprintf(pid, sizeof(pid), " pid=%ld", (long)(c->child > 0 ? c->child : getpid()));
	if ((f & SIPC_LOGF_TRAFFIC) && !c->bytes_unknown)
		snprintf(bytes, sizeof(bytes), " in=%llu out=%llu", (unsigned long long)c->bytes_in,
			 (unsigned long long)c->bytes_out);
	if (f & SIPC_LOGF_DURATION) {
		int64_t ms = sipc__loop_clock_ms() - c->start_ms;
		snprintf(dur, sizeof(dur), " time=%lld.%03llds", (long long)(ms / 1000),
			 (long long)(ms % 1000));
	}
	if ((f & SIPC_LOGF_EXIT) && c->status_known)
		sipc__serve_exit_text(c->status, ex, sizeof(ex));
	sipc__serve_log(c->w->srv, 1, "close %s local=%s%s%s%s%s%s end=%s%s", c->svc->name, local,
			peer, pid, bytes, dur, ex, why, c->tls_note ? c->tls_note : "");
}

static void destroy(struct sipc_conn *c)
{
	struct sipc_worker *w = c->w;

	if (c->opened && c->svc->on_close != NULL) {
		c->in_cb++;
		c->svc->on_close(c);
	}
	hs_release(c);
	sipc__io_stop(w->loop, &c->io);
	sipc__timer_stop(w->loop, &c->timer);
	sipc__timer_stop(w->loop, &c->kick);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	w->nconns--;
	SIPC__STAT_ADD(stats(c)->open, -1);
	__atomic_fetch_sub(&w->srv->open_conns, 1, __ATOMIC_RELAXED);
	sipc__limits_release(&c->ticket);
	if (c->handshaking) {
		/* The one line of a connection that never got past its
		 * handshake: no open line was written for it. */
		SIPC__STAT_ADD(stats(c)->refused, 1);
		if (c->sep->line->conf->log_on_failure & SIPC_LOGF_ATTEMPT)
			log_line(c, true, c->why ? c->why : "tls handshake: stopped");
	} else {
		log_line(c, false, c->why ? c->why : "done");
	}
	sipc_endpoint_close(c->ep);
	free(c->tls_note);
	free(c->out);
	free(c->held);
	if (c->slen == 0)
		free(c->sbuf); /* else the loop frees it: sipc__io_stop above */
	free(c);
	sipc__worker_conn_gone(w);
}

void sipc__conn_close(struct sipc_conn *c, const char *why)
{
	if (c->dead)
		return;
	c->dead = true;
	c->why = why;
	if (c->in_cb == 0)
		destroy(c);
}

/* The urgent byte at the head of the output, once all before it is out:
 * 0 when sent, -EAGAIN or -errno. */
static ssize_t urgent_flush(struct sipc_conn *c)
{
	int rc = sipc_urgent_send(c->ep, c->out[c->head], 0);

	if (rc < 0)
		return rc == SIPC_ETIMEDOUT ? -EAGAIN : rc;
	count_out(c, NULL, 1);
	c->head++;
	c->urg_queued = false;
	return 0;
}

/* Sends what the output buffer holds; closes the connection on error. */
static void flush(struct sipc_conn *c)
{
	while (c->head < c->tail) {
		ssize_t n;
		if (c->seqpacket) {
			uint32_t len;
			memcpy(&len, c->out + c->head, 4);
			n = ep_send(c, c->out + c->head + 4, len);
			if (n >= 0) {
				count_out(c, c->out + c->head + 4, (size_t)n);
				c->head += 4 + (size_t)len;
				continue;
			}
		} else if (c->urg_queued && c->urg_before == 0) {
			n = urgent_flush(c);
			if (n >= 0)
				continue;
		} else {
			n = ep_send(c, c->out + c->head, c->urg_queued ? c->urg_before : queued(c));
			if (n >= 0) {
				count_out(c, c->out + c->head, (size_t)n);
				c->head += (size_t)n;
				if (c->urg_queued)
					c->urg_before -= (size_t)n;
				continue;
			}
		}
		if (n != -EAGAIN)
			sipc__conn_close(c, reason(c, (int)n));
		break;
	}
	if (c->head == c->tail) {
		c->head = c->tail = 0;
		/* An idle connection should not keep a large buffer. */
		if (c->cap > 64 * 1024) {
			free(c->out);
			c->out = NULL;
			c->cap = 0;
		}
	}
}

/* Appends LEN bytes (and a record header on seqpacket); the caller has
 * checked that they fit in max. */
static bool append(struct sipc_conn *c, const void *buf, size_t len)
{
	size_t need = len + (c->seqpacket ? 4 : 0);

	if (c->tail + need > c->cap && c->head > 0) {
		memmove(c->out, c->out + c->head, queued(c));
		c->tail -= c->head;
		c->head = 0;
	}
	if (c->tail + need > c->cap) {
		size_t cap = c->cap ? c->cap : 16 * 1024;
		while (cap < c->tail + need)
			cap *= 2;
		if (cap > c->max)
			cap = c->max;
		uint8_t *p = realloc(c->out, cap);
		if (p == NULL)
			return false;
		c->out = p;
		c->cap = cap;
	}
	if (c->seqpacket) {
		uint32_t l = (uint32_t)len;
		memcpy(c->out + c->tail, &l, 4);
		c->tail += 4;
	}
	memcpy(c->out + c->tail, buf, len);
	c->tail += len;
	return true;
}

size_t sipc__conn_out_room(const struct sipc_conn *c)
{
	size_t used = pending(c) + (c->seqpacket ? 4 : 0);
	return used >= c->max ? 0 : c->max - used;
}

size_t sipc__conn_out_pending(const struct sipc_conn *c)
{
	return pending(c);
}

size_t sipc__conn_write(struct sipc_conn *c, const void *buf, size_t len)
{
	size_t sent = 0;
	ssize_t n;

	if (c->dead || c->wr_shut)
		return len; /* nobody will read it: take it and drop it */
	if (c->seqpacket) {
		if (pending(c) == 0) {
			n = ep_send(c, buf, len);
			if (n >= 0) {
				count_out(c, buf, (size_t)n);
				return len;
			}
			if (n != -EAGAIN) {
				sipc__conn_close(c, reason(c, (int)n));
				return len;
			}
		}
		if (sipc__conn_out_room(c) < len)
			return 0;
	} else {
		/* Fast path: nothing queued, so the bytes may go straight out
		 * (but through the loop's send on a crecv connection: queued,
		 * and sent with the turn's other requests by settle). */
		while (!c->crecv && pending(c) == 0 && sent < len) {
			n = ep_send(c, (const uint8_t *)buf + sent, len - sent);
			if (n < 0) {
				if (n == -EAGAIN)
					break;
				sipc__conn_close(c, reason(c, (int)n));
				return len;
			}
			count_out(c, (const uint8_t *)buf + sent, (size_t)n);
			sent += (size_t)n;
		}
		size_t room = sipc__conn_out_room(c);
		if (len - sent < room)
			room = len - sent;
		len = sent + room;
	}
	if (len > sent && !append(c, (const uint8_t *)buf + sent, len - sent)) {
		sipc__conn_close(c, "out of memory");
		return len;
	}
	if (c->in_cb == 0)
		settle(c);
	return len;
}

int sipc__conn_write_urgent(struct sipc_conn *c, uint8_t byte)
{
	int rc;

	if (c->seqpacket || !sipc__urgent_scheme(c->sep->scheme))
		return SIPC_EKIND;
	if (c->dead || c->wr_shut)
		return 0; /* nobody will read it, as sipc__conn_write */
	if (pending(c) == 0) {
		rc = sipc_urgent_send(c->ep, byte, 0);
		if (rc == 0) {
			count_out(c, NULL, 1);
			return 0;
		}
		if (rc != SIPC_ETIMEDOUT) {
			sipc__conn_close(c, reason(c, rc));
			return 0;
		}
	}
	if (sipc__conn_out_room(c) == 0)
		return -ENOBUFS;
	if (!append(c, &byte, 1)) {
		sipc__conn_close(c, "out of memory");
		return 0;
	}
	/* An urgent byte queued before is a normal byte now: TCP keeps one
	 * urgent pointer, and so does this buffer. */
	c->urg_queued = true;
	c->urg_before = pending(c) - 1;
	if (c->in_cb == 0)
		settle(c);
	return 0;
}

void sipc__conn_want_writable(struct sipc_conn *c, bool on)
{
	c->want_writable = on;
}

void sipc__conn_end(struct sipc_conn *c)
{
	c->ending = true;
	c->want_writable = false;
	if (c->in_cb == 0)
		settle(c);
}

static size_t budget(struct sipc_conn *c)
{
	return c->svc->rx_budget ? c->svc->rx_budget(c) : SIZE_MAX;
}

static bool may_read(struct sipc_conn *c)
{
	size_t max_msg = c->sep->line->conf->max_msg;

	if (c->rd_eof || c->banner_wait)
		return false;
	if (c->ending)
		return true; /* read and drop until the peer's end */
	return c->seqpacket ? budget(c) >= max_msg : budget(c) > 0;
}

static void arm_timer(struct sipc_conn *c)
{
	int idle = c->sep->line->conf->idle_ms;
	int64_t next = INT64_MAX;

	if (c->handshaking)
		next = c->hs_deadline;
	else if (idle > 0)
		next = c->last_ms + idle;
	if (c->linger_at != 0 && c->linger_at < next)
		next = c->linger_at;
	if (next == INT64_MAX) {
		sipc__timer_stop(c->w->loop, &c->timer);
		return;
	}
	/* The idle deadline moves with every byte; rather than moving the
	 * timer each time, an earlier armed timer fires and re-arms. */
	if (!sipc__timer_armed(&c->timer) || c->timer.when > next)
		sipc__timer_start_at(c->w->loop, &c->timer, next);
}

/* Busy-polling (loop.h, epspin.h). */
static uint32_t spin_ready(sipc_loop_io *io)
{
	struct sipc_conn *c = io->arg;
	return sipc__ep_spin_ready(c->ep, c->spin_ev);
}

static uint32_t spin_sleep(sipc_loop_io *io)
{
	struct sipc_conn *c = io->arg;
	return sipc__ep_spin_sleep(c->ep, c->spin_ev);
}

/* What settle waits for on a connection that spins: the socket carries
 * wake-ups for both directions and the peer's end, as POLLIN. */
static uint32_t spin_events(struct sipc_conn *c, bool rd, bool wr)
{
	c->spin_ev = (short)((rd ? POLLIN : 0) | (wr ? POLLOUT : 0));
	c->rd_ev = rd ? SIPC_LOOP_IN : 0;
	c->wr_ev = wr ? SIPC_LOOP_IN : 0;
	return c->spin_ev ? SIPC_LOOP_IN : 0;
}

static void on_sent(sipc_loop *loop, sipc_loop_io *io, void *buf, ssize_t n);
static void take_held(struct sipc_conn *c);

/* Hands the output in out to the loop's send, out starting again in the
 * spare; false when it closed C (destroyed). */
static bool ring_send(struct sipc_conn *c)
{
	uint8_t *p = c->out;
	size_t cap = c->cap;
	int err;

	if (c->head > 0) {
		memmove(c->out, c->out + c->head, queued(c));
		c->tail -= c->head;
		c->head = 0;
	}
	err = sipc__io_send(c->w->loop, &c->io, p, c->tail, on_sent);
	if (err < 0) {
		c->dead = true;
		c->why = sipc_strerror(err);
		destroy(c);
		return false;
	}
	c->slen = c->tail;
	c->out = c->sbuf;
	c->cap = c->scap;
	c->head = c->tail = 0;
	c->sbuf = p;
	c->scap = cap;
	return true;
}

/* The loop's send of sbuf is over: the spare is free again, and the
 * service may write more (echo's held bytes, chargen's on_writable). */
static void on_sent(sipc_loop *loop, sipc_loop_io *io, void *buf, ssize_t n)
{
	struct sipc_conn *c = io->arg;

	(void)loop;
	enter(c);
	c->slen = 0;
	if (n < 0) {
		sipc__conn_close(c, reason(c, (int)n));
	} else {
		count_out(c, buf, (size_t)n);
		/* An idle connection should not keep a large buffer. */
		if (c->scap > 64 * 1024 && queued(c) == 0) {
			free(c->sbuf);
			c->sbuf = NULL;
			c->scap = 0;
		}
		if (!c->dead && c->want_writable && !c->ending && pending(c) == 0 &&
		    c->svc->on_writable != NULL)
			c->svc->on_writable(c);
		take_held(c);
	}
	leave(c);
}

/* After every callback: close, shut down, or adjust what we wait for. */
static void settle(struct sipc_conn *c)
{
	uint32_t ev = 0;

	if (c->dead) {
		destroy(c);
		return;
	}
	if (c->handshaking) {
		/* sipc_handshake with timeout 0: what it waits for is what
		 * want(POLLIN) says (sockipc.h). */
		ev = sipc__loop_events(sipc_endpoint_want(c->ep, POLLIN));
		int err = sipc__io_start(c->w->loop, &c->io, ev ? ev : SIPC_LOOP_IN);
		if (err < 0) {
			c->dead = true;
			c->why = sipc_strerror(err);
			destroy(c);
			return;
		}
		arm_timer(c);
		return;
	}
	if (c->svc->on_io == NULL || c->banner_wait) {
		if (c->ending && pending(c) == 0 && !c->wr_shut) {
			/* Our last byte is out: tell the peer, then wait for its
			 * end, so a close with unread data does not reset what we
			 * sent before the peer reads it. */
			(void)sipc_shutdown_write(c->ep);
			c->wr_shut = true;
			c->linger_at = now(c) + SIPC_SERVE_LINGER_MS;
		}
		if (c->wr_shut && c->rd_eof && !sipc__serve_ep_holds(c->ep)) {
			destroy(c);
			return;
		}
		bool rd = may_read(c);
		bool wr = pending(c) > 0 || (c->want_writable && !c->ending);

		if (c->crecv) {
			/* Output goes through the loop's send: writability is
			 * never waited for (on_sent, or the kick, tells). */
			if (queued(c) > 0 && c->slen == 0 && !ring_send(c))
				return;
			if (wr && pending(c) == 0 && !sipc__timer_armed(&c->kick))
				sipc__timer_start(c->w->loop, &c->kick, 0);
			wr = false;
		}
		/* shm:// says how long to spin once its handshake is done,
		 * which it does in the first reads and writes (raw services,
		 * on_io, wait on the descriptor themselves). */
		if (c->spin_us == 0 && c->svc->on_io == NULL)
			c->spin_us = sipc_endpoint_spin(c->ep);
		if (c->spin_us != 0) {
			ev = spin_events(c, rd, wr);
		} else {
			if (rd && !c->crecv) {
				c->rd_ev = sipc__loop_events(sipc_endpoint_want(c->ep, POLLIN));
				ev |= c->rd_ev;
			}
			if (wr) {
				c->wr_ev = sipc__loop_events(sipc_endpoint_want(c->ep, POLLOUT));
				ev |= c->wr_ev;
			}
		}
		/* Records the transport still holds go before any end. */
		if (sipc__serve_ep_holds(c->ep))
			ev |= SIPC_LOOP_OUT;
		/* Level-triggered: while a byte seen waits for its mark, asking
		 * again would wake the loop for nothing. */
		if (c->urg_on && !c->urg_seen && !c->rd_eof)
			ev |= SIPC_LOOP_PRI;
		int err = sipc__io_start(c->w->loop, &c->io, ev);
		if (err < 0) {
			c->dead = true;
			c->why = sipc_strerror(err);
			destroy(c);
			return;
		}
		if (c->spin_us != 0)
			sipc__io_spin(c->w->loop, &c->io, spin_ready, spin_sleep,
				      ev != 0 ? c->spin_us : 0);
		if (c->crecv) {
			/* Bytes held go first: receiving waits for them. */
			if (rd && c->held_len == 0)
				err = sipc__io_recv_start(c->w->loop, &c->io, on_bytes,
							  SIPC_SERVE_READ_CHUNK);
			else if (sipc__io_receiving(&c->io))
				sipc__io_recv_stop(c->w->loop, &c->io);
			if (err < 0) {
				c->dead = true;
				c->why = sipc_strerror(err);
				destroy(c);
				return;
			}
			if (rd && c->held_len > 0 && !sipc__timer_armed(&c->kick))
				sipc__timer_start(c->w->loop, &c->kick, 0);
		}
		/* Bytes the transport has already taken off the socket
		 * (decrypted TLS records) never make the descriptor readable:
		 * read them on the next turn without waiting for it. */
		if (rd && !sipc__timer_armed(&c->kick) && sipc_endpoint_pending(c->ep) > 0)
			sipc__timer_start(c->w->loop, &c->kick, 0);
	}
	arm_timer(c);
}

/*
 * Urgent data, in its place in the stream: a read stops at the mark, and a
 * read AT the mark would move past an urgent byte not taken yet and lose
 * it (Linux), so the byte is taken right there, before the next read, and
 * given to on_urgent between the data sent before it and the data sent
 * after.  Looked at when SIPC_LOOP_PRI said one waits (urg_seen), or when CHECK
 * (a read just filled all it asked: it may have ended at a mark that
 * SIPC_LOOP_PRI has not told of yet; a shorter read ends this turn's reading,
 * and the next turn's SIPC_LOOP_PRI tells).  The first read of a turn needs
 * no look: the loop's IN without PRI is a fresh look (epoll; io_uring polls
 * again what its wake-up key says), and the bytes it saw queued, still
 * unread, cannot turn out to be urgent (sipc__urgent_next).  Under
 * backpressure it waits, as the data does; while ending it is read and
 * dropped.  False when reading must wait: nothing is there, or the mark
 * came without its byte (PRI comes with it).
 */
static bool urgent_take(struct sipc_conn *c, bool check)
{
	enum sipc__urgent_next next;
	uint8_t b;
	int rc;

	if (!c->urg_on || c->dead || !(c->urg_seen || check))
		return true;
	if (!c->ending && !may_read(c))
		return true;
	next = sipc__urgent_next(c->fd);
	if (next != SIPC__URGENT_TAKE)
		return next == SIPC__URGENT_READ; /* bytes before the mark first */
	c->urg_seen = false;
	rc = sipc_urgent_recv(c->ep, &b);
	if (rc < 0) /* the connection is broken: its SIPC_LOOP_PRI would not end */
		sipc__conn_close(c, reason(c, rc));
	if (rc != 1)
		return true;
	count_in(c, NULL, 1);
	if (!c->ending)
		c->svc->on_urgent(c, b);
	return true;
}

/*
 * --accept-proxy names who may send a PROXY header; a peer not named there
 * that sends one anyway (a client that forges its address, a proxy set up
 * wrong) is never believed, and rather than have the service take the
 * header for data its connection is closed, with the reason on the close
 * line.  What is looked at is the first read: a header comes whole in it
 * (one send of at most a few hundred bytes).  True when it closed C.
 */
static bool untrusted_header(struct sipc_conn *c, const void *p, size_t n)
{
	c->sniff = false;
	if (!sipc__proxyhdr_looks(p, n))
		return false;
	sipc__conn_close(c, "a PROXY header from a peer not in --accept-proxy: not believed");
	return true;
}

static void do_read(struct sipc_conn *c)
{
	struct sipc_worker *w = c->w;
	size_t max_msg = c->sep->line->conf->max_msg;

	/* A bounded number of reads per turn keeps one fast peer from
	 * starving the others of this worker. */
	for (int i = 0; i < 16 && !c->dead && may_read(c); i++) {
		size_t want;
		ssize_t n;
		bool eof;

		if (!urgent_take(c, i > 0) || c->dead || !may_read(c))
			break;
		if (c->seqpacket) {
			want = max_msg;
		} else {
			want = c->ending ? w->scratch_cap : budget(c);
			if (want > SIPC_SERVE_READ_CHUNK)
				want = SIPC_SERVE_READ_CHUNK;
		}
		if (c->seqpacket) {
			/* recv() gives 0 both for an empty record and at the end
			 * of the stream; the library tells them apart (SIPC_ECLOSED)
			 * and drops, never cuts, a message larger than WANT. */
			n = sipc_recv(c->ep, w->scratch, want, 0);
			if (n == SIPC_ETIMEDOUT)
				break;
			if (n == SIPC_ETRUNC) {
				SIPC__STAT_ADD(stats(c)->dropped, 1);
				sipc__serve_log(w->srv, 2,
						"%s %s: dropped a message over --max-msg %zu",
						c->svc->name, c->sep->url, max_msg);
				continue;
			}
			eof = n == SIPC_ECLOSED;
		} else {
			n = c->ep->tp->io->recv(c->ep, w->scratch, want, MSG_DONTWAIT);
			eof = n == 0;
		}
		if (n == -EAGAIN)
			break;
		if (n < 0 && !eof) {
			sipc__conn_close(c, reason(c, (int)n));
			break;
		}
		if (eof) {
			c->rd_eof = true;
			if (c->ending)
				break;
			if (c->svc->on_eof != NULL)
				c->svc->on_eof(c);
			else
				sipc__conn_end(c);
			break;
		}
		count_in(c, w->scratch, (size_t)n);
		if (c->sniff && untrusted_header(c, w->scratch, (size_t)n))
			break;
		if (!c->ending && c->svc->on_data != NULL)
			c->svc->on_data(c, w->scratch, (size_t)n);
		if (!c->seqpacket && (size_t)n < want)
			break; /* the socket is most likely empty now */
	}
}

/*
 * Completion receive (io_uring: loop.h, sipc__io_recv_start): the loop
 * receives for a connection and hands over what came, so a turn costs no
 * recv(2) per connection.  Taken for a plain stream (the descriptor's
 * bytes are the stream's: not TLS, not shm://) read by the core (not a
 * raw service), with nothing in the endpoint's buffers, and without
 * urgent data: a receive made at the urgent mark moves past the byte and
 * Linux drops it, and only a read that stops there (do_read) keeps it in
 * its place.  On epoll, readiness and do_read cost the same calls.
 */
static bool crecv_ok(struct sipc_conn *c)
{
	return sipc__loop_completes(c->w->loop) && !c->seqpacket && c->svc->on_io == NULL &&
	       !c->urg_on && sipc_scheme_is_raw(c->sep->scheme) &&
	       sipc_endpoint_pending(c->ep) == 0;
}

/* Gives the service bytes the loop received, as its budget allows (as
 * do_read reads no more than it); returns how many it took.  Bytes after
 * sipc__conn_end are dropped (read until the peer's end). */
static size_t give(struct sipc_conn *c, const uint8_t *p, size_t n)
{
	size_t took = 0;

	while (took < n && !c->dead) {
		size_t b = c->ending ? n - took : budget(c);

		if (b == 0)
			break;
		if (b > n - took)
			b = n - took;
		if (!c->ending && c->svc->on_data != NULL)
			c->svc->on_data(c, p + took, b);
		took += b;
	}
	return took;
}

/* The held bytes, once the budget lets them go (write progress, kick). */
static void take_held(struct sipc_conn *c)
{
	size_t took;

	if (c->held_len == 0 || c->dead)
		return;
	took = give(c, c->held + c->held_off, c->held_len);
	c->held_off += took;
	c->held_len -= took;
	if (c->held_len == 0) {
		free(c->held);
		c->held = NULL;
		c->held_off = 0;
	}
}

/* Holds bytes the budget could not take, after any held before; settle
 * stops receiving meanwhile (the loop keeps what comes after them). */
static bool hold(struct sipc_conn *c, const uint8_t *p, size_t n)
{
	uint8_t *h = malloc(c->held_len + n);

	if (h == NULL)
		return false;
	if (c->held_len > 0)
		memcpy(h, c->held + c->held_off, c->held_len);
	memcpy(h + c->held_len, p, n);
	free(c->held);
	c->held = h;
	c->held_off = 0;
	c->held_len += n;
	return true;
}

static void on_bytes(sipc_loop *loop, sipc_loop_io *io, const void *buf, ssize_t n)
{
	struct sipc_conn *c = io->arg;
	size_t took;

	(void)loop;
	enter(c);
	if (c->dead) {
		leave(c);
		return;
	}
	if (n < 0) {
		sipc__conn_close(c, reason(c, (int)n));
	} else if (n == 0) {
		c->rd_eof = true;
		if (!c->ending) {
			if (c->svc->on_eof != NULL)
				c->svc->on_eof(c);
			else
				sipc__conn_end(c);
		}
	} else {
		count_in(c, buf, (size_t)n);
		if (c->sniff && untrusted_header(c, buf, (size_t)n)) {
			leave(c);
			return;
		}
		took = c->held_len == 0 ? give(c, buf, (size_t)n) : 0;
		if (took < (size_t)n && !c->dead &&
		    !hold(c, (const uint8_t *)buf + took, (size_t)n - took))
			sipc__conn_close(c, "out of memory");
	}
	leave(c);
}

static void on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc_conn *c = io->arg;

	(void)loop;
	enter(c);
	if (c->handshaking) {
		handshake(c);
		leave(c);
		return;
	}
	if (c->svc->on_io != NULL && !c->banner_wait) {
		c->svc->on_io(c, revents);
		leave(c);
		return;
	}
	if (revents & SIPC_LOOP_PRI)
		c->urg_seen = true;
	if (revents & SIPC_LOOP_ERR) {
		int soerr = 0;
		sipc__sys_getsockopt_int(c->fd, SOL_SOCKET, SO_ERROR, &soerr);
		sipc__conn_close(c, soerr ? reason(c, -soerr) : "socket error");
	}
	/* A transport may need the other direction first (TLS): a write
	 * goes on when what it waits for has come, a read likewise. */
	if (!c->dead && !c->crecv && (revents & (SIPC_LOOP_OUT | c->wr_ev)) && pending(c) > 0)
		flush(c);
	if (c->banner_wait) {
		/* Its banner is out: the raw service takes the descriptor,
		 * waiting for what it started with. */
		if (!c->dead && pending(c) == 0) {
			int err = sipc__io_start(c->w->loop, &c->io, SIPC_LOOP_IN | SIPC_LOOP_OUT);
			if (err < 0)
				sipc__conn_close(c, sipc_strerror(err));
			else
				open_service(c);
		}
		leave(c);
		return;
	}
	if (!c->dead && (revents & SIPC_LOOP_OUT) && pending(c) == 0) {
		int err = sipc__serve_ep_push(c->ep);
		if (err < 0 && err != SIPC_ETIMEDOUT)
			sipc__conn_close(c, reason(c, err));
	}
	if (!c->dead && c->want_writable && !c->ending && pending(c) == 0 &&
	    c->svc->on_writable != NULL)
		c->svc->on_writable(c);
	if (c->crecv)
		take_held(c);
	else if (!c->dead && (revents & (SIPC_LOOP_IN | SIPC_LOOP_HUP | c->rd_ev)))
		do_read(c);
	/* At the mark with nothing after it: no SIPC_LOOP_IN, only SIPC_LOOP_PRI. */
	(void)urgent_take(c, false);
	/* A hang-up we cannot act on (not reading, nothing to send) would
	 * be reported again at once: the connection is over. */
	if (!c->dead && (revents & SIPC_LOOP_HUP) && !may_read(c) && pending(c) == 0)
		sipc__conn_close(c, c->ending ? NULL : "hang-up");
	leave(c);
}

static void on_timer(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc_conn *c = t->arg;
	int idle = c->sep->line->conf->idle_ms;
	int64_t t_now = sipc__loop_now(loop);

	enter(c);
	if (c->handshaking && t_now >= c->hs_deadline) {
		int ms = c->sep->srv->cfg->handshake_ms;
		snprintf(c->whybuf, sizeof(c->whybuf),
			 "tls handshake: not done within --handshake-timeout %d.%03d s", ms / 1000,
			 ms % 1000);
		sipc__conn_close(c, c->whybuf);
	} else if (c->linger_at != 0 && t_now >= c->linger_at)
		sipc__conn_close(c, NULL);
	else if (idle > 0 && t_now - c->last_ms >= idle)
		sipc__conn_close(c, "idle timeout");
	leave(c);
}

static void open_service(struct sipc_conn *c)
{
	c->banner_wait = false;
	c->opened = true;
	if (c->svc->on_open != NULL)
		c->svc->on_open(c);
}

/*
 * `banner = FILE` (svcconf.h, read at start: sep->banner): its bytes go to
 * a stream client before the service starts, queued like any output.  A
 * raw service (exec, forward) owns the descriptor once it starts, so it
 * starts only when they are all out: until then the core writes, reads
 * nothing (the client's first bytes are the service's), and on_io opens
 * the service.  True when the service must not start now.
 */
static bool banner(struct sipc_conn *c)
{
	if (c->sep->banner_len == 0 || c->seqpacket)
		return false;
	sipc__conn_write(c, c->sep->banner, c->sep->banner_len);
	if (c->dead)
		return true;
	c->banner_wait = c->svc->on_io != NULL && pending(c) > 0;
	return c->banner_wait;
}

/* The connection is the service's from now on: the open line, the events
 * it starts with, the banner, on_open. */
static void start(struct sipc_conn *c)
{
	const struct sipc_service *svc = c->svc;
	char local[SIPC_URL_MAX], pstr[SIPC_URL_MAX], v[SIPC_URL_MAX + 8];
	int err;

	if (c->w->srv->cfg->verbosity >= 1) {
		if (sipc_addr_format(&c->local, local, sizeof(local)) < 0)
			snprintf(local, sizeof(local), "%s", c->sep->url);
		if (sipc_addr_format(&c->peer, pstr, sizeof(pstr)) < 0)
			snprintf(pstr, sizeof(pstr), "?");
		/* Without HOST in log_on_success the peer is named nowhere. */
		if (c->sep->line->conf->log_on_success & SIPC_LOGF_HOST)
			sipc__serve_log(c->w->srv, 1, "open %s local=%s peer=%s%s%s", svc->name,
					local, pstr, via(c, v, sizeof(v)),
					c->tls_note ? c->tls_note : "");
		else
			sipc__serve_log(c->w->srv, 1, "open %s local=%s%s", svc->name, local,
					c->tls_note ? c->tls_note : "");
	}
	c->last_ms = now(c);
	c->crecv = crecv_ok(c);
	err = sipc__io_start(c->w->loop, &c->io,
			     svc->on_io ? SIPC_LOOP_IN | SIPC_LOOP_OUT
			     : c->crecv ? 0
					: SIPC_LOOP_IN);
	if (err < 0)
		sipc__conn_close(c, sipc_strerror(err));
	else if (!banner(c))
		open_service(c);
}

/*
 * One step of a TLS handshake (sipc_handshake with timeout 0): not done
 * yet (settle waits for what it wants), failed (the connection closes
 * with one line that says why, escaped: the detail may quote the peer),
 * or done: the client certificate is checked against --allow-cert and
 * the service gets the connection.
 */
static void handshake(struct sipc_conn *c)
{
	int rc = sipc_handshake(c->ep, 0);

	if (rc == SIPC_ETIMEDOUT || rc == -EAGAIN)
		return;
	hs_release(c);
	if (rc < 0) {
		sipc__serve_tls_failure(c->ep, rc, c->whybuf, sizeof(c->whybuf));
		sipc__conn_close(c, c->whybuf);
		return;
	}
	if (!sipc__serve_tls_admit(c->w->srv, c->ep, c->whybuf, sizeof(c->whybuf))) {
		sipc__conn_close(c, c->whybuf);
		return;
	}
	c->tls_note = sipc__serve_tls_note(c->ep);
	c->handshaking = false;
	start(c);
}

/* Bytes wait in the transport: serve them as if the socket were readable. */
static void on_kick(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc_conn *c = t->arg;

	on_io(loop, &c->io, SIPC_LOOP_IN);
}

/* The last connection id given (--hex labels). */
static uint64_t conn_ids;

void sipc__conn_new(struct sipc_worker *w, struct sipc_srv_endpoint *sep, sipc_endpoint *ep,
		    const struct sipc__conn_who *who, struct sipc__ticket *t)
{
	const struct sipc_service *svc = sep->svc;
	struct sipc_conn *c;

	c = calloc(1, sizeof(*c) + svc->conn_size);
	if (c == NULL) {
		sipc_endpoint_close(ep);
		__atomic_fetch_sub(&w->srv->open_conns, 1, __ATOMIC_RELAXED);
		if (t != NULL)
			sipc__limits_release(t);
		return;
	}
	/* The connection holds the ticket now: released in destroy. */
	if (t != NULL) {
		c->ticket = *t;
		memset(t, 0, sizeof(*t));
	}
	c->w = w;
	c->sep = sep;
	c->svc = svc;
	c->ep = ep;
	c->fd = sipc_endpoint_fd(ep);
	c->seqpacket = sep->kind == SIPC__SVC_SEQPACKET;
	c->urg_on = svc->on_urgent != NULL && !c->seqpacket && sipc__urgent_scheme(sep->scheme);
	c->peer = who->peer;
	c->via = who->via;
	c->local = who->local;
	if (c->local.ss.ss_family == AF_UNSPEC && sipc_endpoint_local(ep, &c->local) < 0)
		c->local.ss.ss_family = AF_UNSPEC;
	/* Services the core reads for; a raw one (exec, forward) reads its
	 * descriptor itself and gets the bytes as they are. */
	c->sniff = sep->line->conf->accept_proxy.n > 0 && c->via.len == 0 && !c->seqpacket &&
		   svc->on_io == NULL;
	c->start_ms = sipc__loop_clock_ms();
	c->last_ms = now(c);
	c->id = __atomic_add_fetch(&conn_ids, 1, __ATOMIC_RELAXED);
	c->max = SIPC_SERVE_OUT_MAX;
	if (c->seqpacket && c->max < 2 * (sep->line->conf->max_msg + 4))
		c->max = 2 * (sep->line->conf->max_msg + 4);
	sipc__io_init(&c->io, c->fd, on_io, c);
	sipc__timer_init(&c->timer, on_timer, c);
	sipc__timer_init(&c->kick, on_kick, c);
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	SIPC__STAT_ADD(stats(c)->open, 1);
	SIPC__STAT_ADD(stats(c)->total, 1);
	enter(c);
	if (sipc_scheme_is_tls(sep->scheme)) {
		/* The service sees the connection once its handshake is done;
		 * until then it holds a place among the worker's handshakes
		 * (worker.c refuses beyond --max-handshakes). */
		c->handshaking = true;
		c->hs_count = w->solo ? &w->srv->handshakes : &w->handshakes;
		__atomic_fetch_add(c->hs_count, 1, __ATOMIC_RELAXED);
		c->hs_deadline = now(c) + w->srv->cfg->handshake_ms;
		handshake(c); /* the ClientHello may be here already */
	} else {
		start(c);
	}
	leave(c);
}

/* ---- accessors of service.h ---- */

void *sipc__conn_state(struct sipc_conn *c)
{
	return c->state;
}

struct sipc_srv_endpoint *sipc__conn_endpoint(struct sipc_conn *c)
{
	return c->sep;
}

sipc_loop *sipc__conn_loop(struct sipc_conn *c)
{
	return c->w->loop;
}

int sipc__conn_worker_id(const struct sipc_conn *c)
{
	return c->w->id;
}

int sipc__conn_fd(const struct sipc_conn *c)
{
	return c->fd;
}

sipc_endpoint *sipc__conn_ep(struct sipc_conn *c)
{
	return c->ep;
}

bool sipc__conn_is_seqpacket(const struct sipc_conn *c)
{
	return c->seqpacket;
}

const sipc_addr *sipc__conn_peer(const struct sipc_conn *c)
{
	return &c->peer;
}

const sipc_addr *sipc__conn_local(const struct sipc_conn *c)
{
	return &c->local;
}

int sipc__conn_set_events(struct sipc_conn *c, uint32_t events)
{
	return sipc__io_start(c->w->loop, &c->io, events);
}

void sipc__conn_count(struct sipc_conn *c, uint64_t in, uint64_t out)
{
	/* The service moved these bytes itself (forward): nothing to show. */
	if (in)
		count_in(c, NULL, in);
	if (out)
		count_out(c, NULL, out);
}

void sipc__conn_bytes_unknown(struct sipc_conn *c)
{
	c->bytes_unknown = true;
}

void sipc__conn_child(struct sipc_conn *c, pid_t pid)
{
	c->child = pid;
}

void sipc__conn_child_status(struct sipc_conn *c, int status)
{
	c->status = status;
	c->status_known = true;
}

void sipc__conn_drain_all(struct sipc_worker *w)
{
	struct sipc_conn *c = w->conns, *next;

	while (c != NULL) {
		next = c->next;
		if (c->handshaking) {
			/* Not served yet: nothing to finish. */
			sipc__conn_close(c, "tls handshake: the server is draining");
		} else if (c->opened && !c->dead && c->svc->on_drain != NULL) {
			enter(c);
			c->svc->on_drain(c);
			leave(c);
		}
		c = next;
	}
}

void sipc__conn_close_all(struct sipc_worker *w, const char *why)
{
	struct sipc_conn *c = w->conns, *next;

	while (c != NULL) {
		next = c->next;
		sipc__conn_close(c, why);
		c = next;
	}
}
