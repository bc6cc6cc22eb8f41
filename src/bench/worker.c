/*
 * worker.c - the engine of `sockipc bench`: worker threads, each with its
 * own sipc_loop (src/loop) and its share of the connections, and the
 * per-connection state machines that send messages, read the echoes back,
 * compare every byte and time every round trip.
 *
 * A stream connection is a pipeline: up to DEPTH messages are written
 * (several in one sendmsg, so the generator makes fewer system calls than
 * the server it measures) and the echo is matched byte for byte against
 * the same slice of the pattern, in order, since an echo keeps order.  A
 * datagram connection keeps DEPTH slots; each datagram carries an 8-byte
 * tag (sequence << 16 | slot) so a reply finds its slot, and a slot that
 * waits longer than the timeout is a lost datagram.  Nothing is allocated
 * per message: payloads are slices of one pattern buffer, send times sit
 * in per-connection rings, latencies go to a per-worker histogram.
 *
 * Open loop (--rate): a ticker (ticker.h: a timerfd on Linux, nanosecond
 * resolution, unlike the loop's millisecond timers) releases requests on
 * a fixed schedule and latency is counted from each request's scheduled
 * time, so a server that stalls makes requests queue here and shows up in
 * the percentiles (the "coordinated omission" correction of wrk2 and
 * HdrHistogram).
 *
 * --new-conn opens one connection per request with a non-blocking
 * connect(2) of its own: the library's connect waits for completion, and
 * here hundreds of connects must be in flight on one thread.
 *
 * tls:// goes through the endpoint's operations instead of the raw
 * descriptor (the plain path keeps its direct system calls): epoll waits
 * for what the endpoint wants (a TLS read may need to write, and the
 * reverse), a read goes on while decrypted bytes wait in the endpoint
 * (epoll cannot see them), and a --new-conn connection wraps its socket
 * once connect(2) is done and drives a full handshake, so connections/s
 * are handshakes/s; a handshake that fails is a failed connect, with its
 * reason.
 */
#include "bench/bench.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/ticker.h"
#include "endpoint.h"
#include "loop/epspin.h"
#include "loop/loop.h"
#include "serve/dgbatch.h"
#include "sys/sys.h"
#include "transport/transport.h"

/* Iovecs per sendmsg: below IOV_MAX (1024), two per framed message. */
#define TX_IOV 256
/* Bytes per sendmsg at most, so one connection does not starve others. */
#define TX_BATCH ((size_t)256 * 1024)
/* The receive scratch buffer of a worker. */
#define RX_SCRATCH ((size_t)256 * 1024)
/* Reads per readiness event before giving the others a turn. */
#define RX_ROUNDS 8
/* Offsets into the pattern: a message starts at one of these. */
#define PAT_SPAN 256
/* Datagram tag: sequence in the high 48 bits, slot in the low 16. */
#define TAG_LEN 8
/* Datagrams per sendmmsg and recvmmsg at most (--max-batch). */
#define DG_BATCH 64
/* UDP GRO receive buffers of a worker, SIPC__DGB_GRO_BYTES each. */
#define DG_GRO_BUFS 16
/* Retry delay after a unix listener's full backlog (EAGAIN on connect). */
#define RETRY_MS 1

struct worker;

struct slot {
	uint64_t seq;
	int64_t t_sent; /* ns: for the timeout */
	int64_t t_base; /* ns: latency counts from here */
	bool busy;
};

struct bconn {
	struct worker *w;
	uint32_t id;       /* index within the worker */
	sipc_endpoint *ep; /* persistent connections (sipc_dial), and
			      --new-conn ones over TLS */
	int fd;            /* -1 when closed */
	sipc_loop_io io;
	sipc_loop_timer retry;
	bool open;
	bool connecting;
	bool finished;
	bool want_out;
	long spin_us;           /* shm://: the loop spins on it (sipc_endpoint_spin) */
	short spin_ev;          /* ... for these poll(2) events */
	uint64_t quota;         /* messages this connection sends in all */
	uint64_t due;           /* open loop: requests released so far */
	uint64_t session_first; /* --new-conn: first message of this connection */
	/* streams */
	uint64_t tx_seq; /* message being written (or next) */
	size_t tx_off;   /* bytes of it written */
	uint64_t rx_seq; /* message being read back */
	size_t rx_off;
	bool rx_bad;
	int64_t *times; /* ring of DEPTH start times (ns) */
	/* datagrams */
	struct slot *slots;
	uint32_t *free_slots;
	uint32_t nfree;
	uint64_t dg_sent;
	int64_t last_progress; /* ns */
	/* udp with --max-batch over 1: 0 not tried yet, 1 on, -1 off */
	signed char gso;    /* a run of datagrams as one UDP GSO send */
	signed char gro;    /* echoes taken as UDP GRO buffers */
	int64_t session_t0; /* --new-conn: when connect began */
};

struct shared {
	const struct sipc_bench_config *cfg;
	const uint8_t *pattern;
	uint8_t hdr[4];
	size_t wire;   /* bytes of one message on the wire */
	bool dgram;    /* one datagram per message */
	bool connless; /* udp, unixgram: recv 0 is not an end */
	bool tls;      /* I/O through the endpoint's operations */
	sipc_scheme scheme;
	sipc_addr addr; /* --new-conn: where to connect */
	int socktype;
	atomic_int ready; /* workers set up (well or not) */
	atomic_bool go;   /* t0 is set: start */
	atomic_bool abort;
	atomic_bool stop;
	int64_t t0; /* ns, written before the second barrier */
};

struct worker {
	struct shared *sh;
	const struct sipc_bench_config *cfg;
	int index;
	pthread_t thread;
	sipc_loop *loop;
	struct bconn *conns;
	size_t nconns;
	size_t active;
	uint8_t *scratch;
	struct iovec iov[TX_IOV];
	/* Datagrams with --max-batch over 1: up to DG_BATCH per sendmmsg
	 * and per recvmmsg (receive buffers are slices of scratch). */
	struct mmsghdr dg_tx[DG_BATCH];
	struct iovec dg_txiov[DG_BATCH][2];
	uint8_t dg_tag[DG_BATCH][TAG_LEN];
	uint32_t dg_idx[DG_BATCH];
	struct mmsghdr dg_rx[DG_BATCH];
	struct iovec dg_rxiov[DG_BATCH];
	uint8_t *gro_area; /* DG_GRO_BUFS buffers, allocated at first use */
	union {
		char buf[SIPC__DGB_GRO_CMSG];
		struct cmsghdr align;
	} dg_ctl[DG_BATCH];
	struct sipc_bench_result *res;
	int setup_err;
	char setup_why[SIPC__BENCH_WHY];
	/* housekeeping */
	sipc_loop_timer tick;
	int tick_ms;
	bool stopping;
	int64_t last_done;
	/* open loop */
	struct sipc__ticker *ticker;
	sipc_loop_io ticker_io;
	int64_t interval; /* ns between requests of this worker */
	uint64_t next_k;
	uint64_t k_limit;
	/* for the progress line, read by the main thread */
	uint64_t live_echoed;
	uint64_t live_bad;
	atomic_bool done;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The first error of the run, with the sentence of a TLS code from EP. */
static void note_error_ep(struct worker *w, const char *what, int code, const sipc_endpoint *ep)
{
	/* The SIPC_ETLS_* band: codes that come with a sentence. */
	bool tls_code = code <= SIPC_ETLS_CONFIG && code > SIPC_ETLS_CONFIG - 40;
	const char *why = ep != NULL && tls_code ? sipc_endpoint_why(ep) : "";

	if (w->res->first_error[0] == '\0')
		snprintf(w->res->first_error, sizeof w->res->first_error, "%s: %s%s%s", what,
			 sipc_strerror(code), why[0] ? ": " : "", why);
}

static void note_error(struct worker *w, const char *what, int code)
{
	note_error_ep(w, what, code, NULL);
}

/* ---------------------------------------------------------------- content */

/* Where message SEQ's payload starts in the pattern. */
static size_t pat_off(uint64_t seq)
{
	return (size_t)((seq * 97u) % PAT_SPAN);
}

/* Compares LEN received bytes with stream message SEQ from wire offset OFF. */
static bool stream_match(const struct shared *sh, uint64_t seq, size_t off, const uint8_t *buf,
			 size_t len)
{
	size_t hl = sh->cfg->framed ? 4 : 0;

	while (len > 0 && off < hl) {
		if (*buf != sh->hdr[off])
			return false;
		buf++, off++, len--;
	}
	return len == 0 || memcmp(buf, sh->pattern + pat_off(seq) + (off - hl), len) == 0;
}

/* The latency base of message M of C: its start time, or in open loop its
 * scheduled time (request k = id + m * nconns of the worker's schedule). */
static int64_t sched_time(const struct bconn *c, uint64_t m)
{
	const struct worker *w = c->w;

	return w->sh->t0 + (int64_t)((c->id + m * w->nconns) * (uint64_t)w->interval);
}

/* ---------------------------------------------------------------- helpers */

static uint64_t inflight(const struct bconn *c)
{
	if (c->w->sh->dgram)
		return c->w->cfg->depth - c->nfree;
	return c->tx_seq + (c->tx_off > 0) - c->rx_seq;
}

static uint64_t started(const struct bconn *c)
{
	return c->w->sh->dgram ? c->dg_sent : c->tx_seq + (c->tx_off > 0);
}

/* How many messages C may have started by now. */
static uint64_t start_limit(const struct bconn *c)
{
	const struct worker *w = c->w;
	uint64_t lim = c->quota;

	if (w->stopping)
		return started(c);
	if (w->cfg->rate > 0 && c->due < lim)
		lim = c->due;
	if (w->cfg->new_conn && c->session_first + 1 < lim)
		lim = c->session_first + 1;
	return lim;
}

/* Busy-polling (loop.h, epspin.h). */
static uint32_t spin_ready(sipc_loop_io *io)
{
	struct bconn *c = io->arg;
	return sipc__ep_spin_ready(c->ep, c->spin_ev);
}

static uint32_t spin_sleep(sipc_loop_io *io)
{
	struct bconn *c = io->arg;
	return sipc__ep_spin_sleep(c->ep, c->spin_ev);
}

static void set_events(struct bconn *c)
{
	uint32_t ev = SIPC_LOOP_IN | (c->want_out || c->connecting ? SIPC_LOOP_OUT : 0);

	if (c->spin_us != 0) {
		/* shm:// spinning with the loop, which asks want() only
		 * before it sleeps: wake-ups and the end come as POLLIN. */
		c->spin_ev = (short)(POLLIN | (c->want_out ? POLLOUT : 0));
		ev = SIPC_LOOP_IN;
	} else if (c->w->sh->tls && c->ep != NULL) {
		/* A handshake is an operation for POLLOUT (sockipc.h). */
		short want = c->connecting ? sipc_endpoint_want(c->ep, POLLOUT)
					   : sipc_endpoint_want(c->ep, POLLIN);

		if (c->want_out && !c->connecting)
			want |= sipc_endpoint_want(c->ep, POLLOUT);
		ev = sipc__loop_events(want);
	}

	if (c->fd >= 0 && (!c->io.active || c->io.events != ev))
		sipc__io_start(c->w->loop, &c->io, ev);
	if (c->spin_us != 0)
		sipc__io_spin(c->w->loop, &c->io, spin_ready, spin_sleep, c->spin_us);
}

static void close_fd(struct bconn *c)
{
	if (c->fd < 0)
		return;
	sipc__io_stop(c->w->loop, &c->io);
	if (c->ep != NULL) {
		sipc_endpoint_close(c->ep);
		c->ep = NULL;
	} else {
		sipc__sys_close(c->fd);
	}
	c->fd = -1;
	c->open = false;
	c->connecting = false;
	c->want_out = false;
	c->gso = c->gro = 0;
	c->spin_us = 0;
}

static void finish(struct bconn *c)
{
	struct worker *w = c->w;

	if (c->finished)
		return;
	c->finished = true;
	sipc__timer_stop(w->loop, &c->retry);
	close_fd(c);
	if (--w->active == 0)
		sipc__loop_stop(w->loop);
}

/* A connection that cannot go on: its in-flight messages are unanswered
 * (streams) or lost (datagrams), and it takes no more work. */
static void fail_conn(struct bconn *c, const char *what, int code)
{
	struct worker *w = c->w;

	w->res->errors++;
	note_error_ep(w, what, code, c->ep);
	if (w->sh->dgram) {
		w->res->lost += inflight(c);
	} else {
		w->res->unanswered += inflight(c);
	}
	finish(c);
}

static void open_session(struct bconn *c);
static void try_send(struct bconn *c);

/* Called whenever C may have nothing more to do. */
static void check_done(struct bconn *c)
{
	struct worker *w = c->w;

	if (c->finished || inflight(c) > 0)
		return;
	if (w->stopping || started(c) >= c->quota) {
		finish(c);
		return;
	}
	if (w->cfg->new_conn && c->open && started(c) > c->session_first) {
		/* The request of this connection is answered: the next one
		 * gets a fresh connection. */
		close_fd(c);
		open_session(c);
	}
}

/* Completion of one message, good or not. */
static void complete(struct bconn *c, int64_t base, int64_t now, bool good)
{
	struct worker *w = c->w;

	if (good) {
		w->res->echoed++;
		w->res->bytes += w->cfg->size;
		sipc__hist_record(&w->res->hist, now > base ? (uint64_t)(now - base) : 0);
	} else {
		w->res->mismatched++;
	}
	w->last_done = now;
	c->last_progress = now;
}

/* ---------------------------------------------------------------- streams */

static void stream_send(struct bconn *c)
{
	struct worker *w = c->w;
	struct shared *sh = w->sh;
	size_t hl = w->cfg->framed ? 4 : 0;
	uint64_t depth = (uint64_t)w->cfg->depth;

	for (int round = 0; round < 8; round++) {
		uint64_t lim = start_limit(c), seq = c->tx_seq;
		size_t off = c->tx_off, bytes = 0;
		int n_iov = 0;
		int64_t now;
		ssize_t n;

		if (c->rx_seq + depth < lim)
			lim = c->rx_seq + depth;
		while ((seq < lim || (seq == c->tx_seq && off > 0)) && n_iov < TX_IOV - 2 &&
		       bytes < TX_BATCH) {
			if (off < hl) {
				w->iov[n_iov].iov_base = sh->hdr + off;
				w->iov[n_iov++].iov_len = hl - off;
				bytes += hl - off;
				off = hl;
			}
			w->iov[n_iov].iov_base = (void *)(sh->pattern + pat_off(seq) + (off - hl));
			w->iov[n_iov++].iov_len = sh->wire - off;
			bytes += sh->wire - off;
			seq++;
			off = 0;
		}
		if (n_iov == 0)
			break;
		struct msghdr msg = {.msg_iov = w->iov, .msg_iovlen = (size_t)n_iov};
		now = now_ns();
		if (sh->tls)
			n = c->ep->tp->io->sendmsg(c->ep, &msg, MSG_DONTWAIT);
		else
			n = sipc__sys_sendmsg(c->fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (n == -EAGAIN) {
				c->want_out = true;
				break;
			}
			fail_conn(c, "send", (int)n);
			return;
		}
		/* Walk the messages the bytes covered; a message is timed from
		 * its first byte written. */
		size_t left = (size_t)n;
		while (left > 0) {
			size_t rest = sh->wire - c->tx_off;

			if (c->tx_off == 0)
				c->times[c->tx_seq % depth] = now;
			if (left >= rest) {
				left -= rest;
				c->tx_seq++;
				c->tx_off = 0;
				w->res->sent++;
			} else {
				c->tx_off += left;
				left = 0;
			}
		}
		c->want_out = (size_t)n < bytes;
		if (c->want_out)
			break;
	}
	set_events(c);
}

static void stream_recv(struct bconn *c)
{
	struct worker *w = c->w;
	struct shared *sh = w->sh;
	uint64_t depth = (uint64_t)w->cfg->depth;

	for (int round = 0;; round++) {
		ssize_t n;
		int64_t now;

		/* A TLS read returns one record at most: go on while the
		 * endpoint holds decrypted bytes, which wake no epoll. */
		if (round >= RX_ROUNDS && !(sh->tls && sipc_endpoint_pending(c->ep) > 0))
			break;
		if (sh->tls)
			n = c->ep->tp->io->recv(c->ep, w->scratch, RX_SCRATCH, MSG_DONTWAIT);
		else
			n = sipc__sys_recv(c->fd, w->scratch, RX_SCRATCH, 0);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			fail_conn(c, "recv", (int)n);
			return;
		}
		if (n == 0) {
			if (inflight(c) > 0 || (!w->stopping && started(c) < c->quota))
				fail_conn(c, "recv", SIPC_ECLOSED);
			else
				finish(c);
			return;
		}
		now = now_ns();
		c->last_progress = now;
		for (size_t p = 0; p < (size_t)n;) {
			/* Bytes of message rx_seq the peer may return: all of a
			 * written message, what was written of a partial one. */
			size_t avail = c->rx_seq < c->tx_seq    ? sh->wire
				       : c->rx_seq == c->tx_seq ? c->tx_off
								: 0;
			size_t m = (size_t)n - p;

			if (m > sh->wire - c->rx_off)
				m = sh->wire - c->rx_off;
			if (c->rx_off + m > avail) {
				w->res->mismatched++;
				if (w->res->first_error[0] == '\0')
					snprintf(w->res->first_error, sizeof w->res->first_error,
						 "recv: the peer sent more bytes than were sent to "
						 "it");
				fail_conn(c, "recv", -EPROTO);
				return;
			}
			if (!c->rx_bad &&
			    !stream_match(sh, c->rx_seq, c->rx_off, w->scratch + p, m))
				c->rx_bad = true;
			c->rx_off += m;
			p += m;
			if (c->rx_off == sh->wire) {
				int64_t base = w->cfg->rate > 0 ? sched_time(c, c->rx_seq)
								: c->times[c->rx_seq % depth];

				if (w->cfg->new_conn && w->cfg->rate <= 0)
					base = c->session_t0;
				complete(c, base, now, !c->rx_bad);
				c->rx_seq++;
				c->rx_off = 0;
				c->rx_bad = false;
			}
		}
		/* A short read emptied the socket, or an shm:// ring (whose
		 * reads take all there is); TLS may hold more. */
		if ((size_t)n < RX_SCRATCH && (!sh->tls || sh->scheme == SIPC_SHM))
			break;
	}
	try_send(c);
	check_done(c);
}

/* -------------------------------------------------------------- datagrams */

/* How many datagrams go per send call and are read per receive call. */
static unsigned dg_batch(const struct worker *w)
{
	long b = w->cfg->max_batch;

	if (b <= 0)
		b = SIPC__BENCH_MAX_BATCH_DEFAULT;
	return b > DG_BATCH ? DG_BATCH : (unsigned)b;
}

/* Slot IDX of C is in flight from now on. */
static void dgram_sent(struct bconn *c, uint32_t idx, int64_t now)
{
	struct worker *w = c->w;

	c->nfree--;
	c->slots[idx].busy = true;
	c->slots[idx].seq = c->dg_sent;
	c->slots[idx].t_sent = now;
	c->slots[idx].t_base = w->cfg->rate > 0   ? sched_time(c, c->dg_sent)
			       : w->cfg->new_conn ? c->session_t0
						  : now;
	c->dg_sent++;
	w->res->sent++;
	c->want_out = false;
}

/* What a send's error means: 1 the datagram counts as sent (a
 * port-unreachable from an earlier datagram, udp(7): this one may not
 * have gone out, and will time out as lost like any datagram that got no
 * echo), 0 wait for room (EAGAIN, ENOBUFS), -1 the connection failed. */
static int dgram_send_error(struct bconn *c, int n)
{
	if (n == -EAGAIN || n == -ENOBUFS) {
		c->want_out = true;
		return 0;
	}
	if (n != -ECONNREFUSED) {
		fail_conn(c, "send", n);
		return -1;
	}
	c->w->res->errors++;
	note_error(c->w, "send", n);
	return 1;
}

/* The datagrams a connection may start now, at most MOST. */
static unsigned dgram_room(const struct bconn *c, unsigned most)
{
	uint64_t left = start_limit(c) - c->dg_sent;
	unsigned n = c->nfree < most ? c->nfree : most;

	if (c->dg_sent >= start_limit(c))
		return 0;
	return left < n ? (unsigned)left : n;
}

/* On udp, once per socket before its first datagram (no echo can come
 * before it): UDP GRO for the echoes, so that a server's GSO replies come
 * in one buffer instead of being cut by the kernel one by one on the way
 * in, and UDP GSO for the sends. */
static void dgram_offload(struct bconn *c)
{
	struct worker *w = c->w;
	bool udp = w->sh->scheme == SIPC_UDP || w->sh->scheme == SIPC_UDP4 ||
		   w->sh->scheme == SIPC_UDP6;

	if (c->gso != 0)
		return;
	c->gso = udp && sipc__sys_udp_gso_ok(c->fd) ? 1 : -1;
	c->gro = -1;
	if (udp && sipc__sys_udp_gro_enable(c->fd)) {
		if (w->gro_area == NULL)
			w->gro_area = malloc((size_t)DG_GRO_BUFS * SIPC__DGB_GRO_BYTES);
		if (w->gro_area != NULL)
			c->gro = 1;
	}
}

/* N datagrams (built in w->dg_txiov, 2 iovecs each) as one UDP GSO send:
 * the kernel cuts it at the message size, so the server still gets one
 * datagram each.  Returns N, or -errno; a kernel that refuses GSO
 * (EINVAL, EIO, EOPNOTSUPP) or a system without it turns it off for the
 * socket, returns -EOPNOTSUPP, and the caller sends them one by one. */
static int dgram_send_gso(struct bconn *c, unsigned n)
{
	struct worker *w = c->w;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	uint16_t seg = (uint16_t)w->cfg->size;
	struct msghdr mh = {.msg_iov = &w->dg_txiov[0][0],
			    .msg_iovlen = 2 * n,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	ssize_t r;

	sipc__sys_udp_gso_cmsg(&mh, seg);
	r = sipc__sys_sendmsg(c->fd, &mh, MSG_DONTWAIT);
	if (r == -EINVAL || r == -EIO || r == -EOPNOTSUPP || r == SIPC_ENOTSUP) {
		/* SIPC_ENOTSUP: no control data at all (Windows). */
		c->gso = -1;
		return -EOPNOTSUPP;
	}
	return r < 0 ? (int)r : (int)n;
}

/* Up to --max-batch datagrams in one sendmmsg, as long as slots are free:
 * the generator makes fewer system calls than the server it measures.
 * Each datagram still has its own tag and slot. */
static void dgram_send_batch(struct bconn *c, unsigned most)
{
	struct worker *w = c->w;
	struct shared *sh = w->sh;
	unsigned n;

	dgram_offload(c);
	while ((n = dgram_room(c, most)) > 0) {
		int64_t now = now_ns();
		int r = -EINVAL;
		/* A GSO send holds at most 64 datagrams and 65,000 bytes. */
		unsigned gso_most = (unsigned)(SIPC__DGB_GSO_BYTES / w->cfg->size);

		if (c->gso > 0 && gso_most > 1 && n > gso_most)
			n = gso_most;

		for (unsigned k = 0; k < n; k++) {
			uint32_t idx = c->free_slots[c->nfree - 1 - k];
			uint64_t seq = c->dg_sent + k, tag = (seq << 16) | idx;

			memcpy(w->dg_tag[k], &tag, TAG_LEN);
			w->dg_txiov[k][0] = (struct iovec){w->dg_tag[k], TAG_LEN};
			w->dg_txiov[k][1] =
				(struct iovec){(void *)(sh->pattern + pat_off(seq) + TAG_LEN),
					       w->cfg->size - TAG_LEN};
			w->dg_tx[k] = (struct mmsghdr){
				.msg_hdr = {.msg_iov = w->dg_txiov[k], .msg_iovlen = 2}};
			w->dg_idx[k] = idx;
		}
		if (c->gso > 0 && n > 1 && gso_most > 1)
			r = dgram_send_gso(c, n);
		if (r == -EINVAL || r == -EIO || r == -EOPNOTSUPP)
			r = sipc__sys_sendmmsg(c->fd, w->dg_tx, n, MSG_DONTWAIT);
		if (r <= 0) {
			int e = dgram_send_error(c, r < 0 ? r : -EAGAIN);

			if (e < 0)
				return;
			if (e == 0)
				break;
			r = 1; /* the first one counts as sent, lost if no echo */
		}
		for (int k = 0; k < r; k++)
			dgram_sent(c, w->dg_idx[k], now);
		if ((unsigned)r < n) {
			c->want_out = true; /* the socket took no more: wait for room */
			break;
		}
	}
	set_events(c);
}

static void dgram_send(struct bconn *c)
{
	struct worker *w = c->w;
	struct shared *sh = w->sh;
	unsigned most = dg_batch(w);

	if (most > 1 && !sh->tls) {
		dgram_send_batch(c, most);
		return;
	}
	while (c->nfree > 0 && c->dg_sent < start_limit(c)) {
		uint32_t idx = c->free_slots[c->nfree - 1];
		uint64_t tag = (c->dg_sent << 16) | idx;
		uint8_t tagb[TAG_LEN];
		struct iovec iov[2];
		int64_t now = now_ns();
		ssize_t n;

		memcpy(tagb, &tag, TAG_LEN);
		iov[0].iov_base = tagb;
		iov[0].iov_len = TAG_LEN;
		iov[1].iov_base = (void *)(sh->pattern + pat_off(c->dg_sent) + TAG_LEN);
		iov[1].iov_len = w->cfg->size - TAG_LEN;
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
		n = sipc__sys_sendmsg(c->fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			int e = dgram_send_error(c, (int)n);

			if (e < 0)
				return;
			if (e == 0)
				break;
		}
		dgram_sent(c, idx, now);
	}
	set_events(c);
}

/* One echo of N bytes (its real size) at P, received at NOW: matched to
 * its slot by its tag, compared, timed. */
static void dgram_echo(struct bconn *c, const uint8_t *p, size_t n, int64_t now)
{
	struct worker *w = c->w;
	size_t size = w->cfg->size;
	uint64_t tag;
	uint32_t idx;

	if (n < TAG_LEN) {
		w->res->late++;
		return;
	}
	memcpy(&tag, p, TAG_LEN);
	idx = (uint32_t)(tag & 0xffff);
	if (idx >= (uint32_t)w->cfg->depth || !c->slots[idx].busy ||
	    c->slots[idx].seq != tag >> 16) {
		/* An echo after its timeout, a duplicate, or a tag that was
		 * never sent (a corrupted one). */
		w->res->late++;
		return;
	}
	struct slot *s = &c->slots[idx];
	bool good = n == size && memcmp(p + TAG_LEN, w->sh->pattern + pat_off(s->seq) + TAG_LEN,
					size - TAG_LEN) == 0;
	s->busy = false;
	c->free_slots[c->nfree++] = idx;
	complete(c, s->t_base, now, good);
}

/* A receive error: false when the connection is done with. */
static bool dgram_recv_error(struct bconn *c, ssize_t n)
{
	struct worker *w = c->w;

	if (n == -ECONNREFUSED) {
		w->res->errors++;
		note_error(w, "recv", (int)n);
		return true;
	}
	if (n < 0) {
		fail_conn(c, "recv", (int)n);
		return false;
	}
	/* 0 on a connection-mode socket: its end. */
	if (inflight(c) > 0 || (!w->stopping && started(c) < c->quota))
		fail_conn(c, "recv", SIPC_ECLOSED);
	else
		finish(c);
	return false;
}

/* Echoes read with recvmmsg, up to --max-batch at a time, each into its
 * own slice of the scratch buffer (one byte more than a message, so a
 * larger echo shows as one). */
static void dgram_recv_batch(struct bconn *c, unsigned most)
{
	struct worker *w = c->w;
	size_t stride = w->cfg->size + 1;
	unsigned nbuf = RX_SCRATCH / stride < most ? (unsigned)(RX_SCRATCH / stride) : most;

	if (nbuf == 0)
		nbuf = 1;
	if (c->gro > 0) {
		nbuf = most < DG_GRO_BUFS ? most : DG_GRO_BUFS;
		stride = SIPC__DGB_GRO_BYTES;
	}
	for (int round = 0; round < 64; round += (int)nbuf) {
		int got;
		int64_t now;

		for (unsigned k = 0; k < nbuf; k++) {
			if (c->gro > 0)
				w->dg_rxiov[k] = (struct iovec){w->gro_area + k * stride, stride};
			else
				w->dg_rxiov[k] =
					(struct iovec){w->scratch + k * stride,
						       stride <= RX_SCRATCH ? stride : RX_SCRATCH};
			w->dg_rx[k] = (struct mmsghdr){
				.msg_hdr = {.msg_iov = &w->dg_rxiov[k], .msg_iovlen = 1}};
			if (c->gro > 0) {
				w->dg_rx[k].msg_hdr.msg_control = w->dg_ctl[k].buf;
				w->dg_rx[k].msg_hdr.msg_controllen = sizeof(w->dg_ctl[k].buf);
			}
		}
		got = sipc__sys_recvmmsg(c->fd, w->dg_rx, nbuf, MSG_TRUNC | MSG_DONTWAIT);
		if (got == -EAGAIN)
			break;
		if (got < 0) {
			if (!dgram_recv_error(c, got))
				return;
			continue;
		}
		now = now_ns();
		for (int k = 0; k < got; k++) {
			size_t n = w->dg_rx[k].msg_len;

			if (n == 0 && !w->sh->connless) {
				if (!dgram_recv_error(c, 0))
					return;
				continue;
			}
			if (c->gro > 0 && n <= stride) {
				/* Several echoes in one buffer: cut back at the
				 * segment size the kernel gives. */
				struct sipc__dgb_cut cut;
				const uint8_t *p;
				size_t len;

				sipc__dgb_cut_init(&cut, w->dg_rxiov[k].iov_base, n,
						   sipc__sys_udp_gro_size(&w->dg_rx[k].msg_hdr));
				while (sipc__dgb_cut_next(&cut, &p, &len))
					dgram_echo(c, p, len, now);
				continue;
			}
			dgram_echo(c, w->dg_rxiov[k].iov_base, n, now);
		}
		if ((unsigned)got < nbuf)
			break;
	}
	try_send(c);
	check_done(c);
}

static void dgram_recv(struct bconn *c)
{
	struct worker *w = c->w;
	struct shared *sh = w->sh;
	unsigned most = dg_batch(w);

	if (most > 1 && !sh->tls) {
		dgram_recv_batch(c, most);
		return;
	}
	for (int round = 0; round < 64; round++) {
		ssize_t n = sipc__sys_recv(c->fd, w->scratch, RX_SCRATCH, MSG_TRUNC);

		if (n == -EAGAIN)
			break;
		if (n < 0 || (n == 0 && !sh->connless)) {
			if (!dgram_recv_error(c, n))
				return;
			continue;
		}
		dgram_echo(c, w->scratch, (size_t)n, now_ns());
	}
	try_send(c);
	check_done(c);
}

/* Datagrams that waited longer than the timeout are lost; their slots are
 * free again. */
static void dgram_expire(struct bconn *c, int64_t now, int64_t timeout)
{
	for (long i = 0; i < c->w->cfg->depth; i++) {
		struct slot *s = &c->slots[i];

		if (s->busy && now - s->t_sent > timeout) {
			s->busy = false;
			c->free_slots[c->nfree++] = (uint32_t)i;
			c->w->res->lost++;
			c->last_progress = now;
		}
	}
}

/* ------------------------------------------------------------ connections */

static void try_send(struct bconn *c)
{
	if (c->finished || !c->open || c->connecting)
		return;
	if (c->w->sh->dgram)
		dgram_send(c);
	else
		stream_send(c);
}

/* A --new-conn connection that could not be made (connect or TLS
 * handshake): counted with its reason, its request is not made, and the
 * next one gets a fresh connection. */
static void session_failed(struct bconn *c, const char *what, int code)
{
	c->w->res->connect_errors++;
	note_error_ep(c->w, what, code, c->ep);
	c->session_first++;
	if (c->w->sh->dgram)
		c->dg_sent++;
	else
		c->tx_seq = c->rx_seq = c->tx_seq + 1;
	close_fd(c);
	check_done(c);
	if (!c->finished && !c->open)
		open_session(c);
}

/* The connection is up: count it and start its request. */
static void session_ready(struct bconn *c)
{
	c->connecting = false;
	c->w->res->connects++;
	c->spin_us = sipc_endpoint_spin(c->ep);
	set_events(c);
	try_send(c);
}

/* One step of a --new-conn TLS handshake; the first wraps the connected
 * socket in an endpoint. */
static void handshake_step(struct bconn *c)
{
	struct shared *sh = c->w->sh;
	int rc;

	if (c->ep == NULL) {
		/* The handshake's last flight and the request are two small
		 * writes: with Nagle the second waits for a delayed ACK (40 ms
		 * on Linux), which would be all the rate measured. */
		(void)sipc__sys_setsockopt_int(c->fd, IPPROTO_TCP, TCP_NODELAY, 1);
		rc = sipc_endpoint_from_fd(c->fd, sh->scheme, sh->cfg->opts, &c->ep);
		if (rc < 0) {
			session_failed(c, "handshake", rc);
			return;
		}
	}
	rc = sipc_handshake(c->ep, 0);
	if (rc == SIPC_ETIMEDOUT) {
		set_events(c);
		return;
	}
	if (rc < 0) {
		session_failed(c, "handshake", rc);
		return;
	}
	session_ready(c);
}

static void on_conn_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct bconn *c = io->arg;

	(void)loop;
	if (c->connecting && c->ep != NULL) {
		handshake_step(c);
		return;
	}
	if (c->connecting) {
		int rc;

		if (!(revents & (SIPC_LOOP_OUT | SIPC_LOOP_ERR | SIPC_LOOP_HUP)))
			return;
		rc = sipc__sys_so_error(c->fd);
		if (rc < 0) {
			session_failed(c, "connect", rc);
			return;
		}
		if (c->w->sh->tls)
			handshake_step(c);
		else
			session_ready(c);
		return;
	}
	/* On TLS any readiness may be what a read waits for (a write it
	 * must make first); a read with nothing there costs one call. */
	if ((revents & (SIPC_LOOP_IN | SIPC_LOOP_HUP | SIPC_LOOP_ERR)) || c->w->sh->tls) {
		if (c->w->sh->dgram)
			dgram_recv(c);
		else
			stream_recv(c);
		if (c->finished || c->fd < 0)
			return;
	}
	if ((revents & SIPC_LOOP_OUT) && c->open)
		try_send(c);
}

static void on_retry(sipc_loop *loop, sipc_loop_timer *t)
{
	(void)loop;
	open_session(t->arg);
}

/* --new-conn: a fresh non-blocking connection for the next request. */
static void open_session(struct bconn *c)
{
	struct worker *w = c->w;
	struct shared *sh = w->sh;
	int fd, rc;

	if (c->finished || c->open)
		return;
	if (w->stopping || started(c) >= c->quota) {
		check_done(c);
		return;
	}
	if (w->cfg->rate > 0 && started(c) >= c->due)
		return; /* the schedule calls again when it is due */
	c->session_first = started(c);
	c->session_t0 = now_ns();
	c->last_progress = c->session_t0;
	fd = sipc__sys_socket(sh->addr.ss.ss_family, sh->socktype);
	if (fd < 0) {
		fail_conn(c, "socket", fd);
		return;
	}
	if (sh->addr.ss.ss_family == AF_UNIX && sh->socktype == SOCK_DGRAM) {
		/* A unixgram client needs an address to be answered at:
		 * binding only sun_family asks for an autobind name (unix(7)). */
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		rc = sipc__sys_bind(fd, (const struct sockaddr *)&sa, sizeof(sa_family_t));
		if (rc < 0) {
			sipc__sys_close(fd);
			fail_conn(c, "bind", rc);
			return;
		}
	}
	c->fd = fd;
	c->open = true;
	c->want_out = false;
	sipc__io_init(&c->io, fd, on_conn_io, c);
	rc = sipc__sys_connect_start(fd, (const struct sockaddr *)&sh->addr.ss, sh->addr.len);
	if (rc == 0) {
		c->connecting = true;
		if (sh->tls)
			handshake_step(c);
		else
			session_ready(c);
		return;
	}
	if (rc == -EINPROGRESS) {
		c->connecting = true;
		set_events(c);
		return;
	}
	close_fd(c);
	if (rc == -EAGAIN) {
		/* A unix listener's backlog is full: connect(2) says so at
		 * once instead of waiting, and there is nothing to poll. */
		sipc__timer_start(w->loop, &c->retry, RETRY_MS);
		return;
	}
	w->res->connect_errors++;
	note_error(w, "connect", rc);
	c->session_first++;
	if (sh->dgram)
		c->dg_sent++;
	else
		c->tx_seq = c->rx_seq = c->tx_seq + 1;
	check_done(c);
	if (!c->finished)
		sipc__timer_start(w->loop, &c->retry, RETRY_MS);
}

/* ------------------------------------------------------------ housekeeping */

/* Every few ms: datagram timeouts, stream stalls, stalled connects, the
 * live counters for the progress line. */
static void on_tick(sipc_loop *loop, sipc_loop_timer *t)
{
	struct worker *w = t->arg;
	int64_t now = now_ns(), timeout = (int64_t)w->cfg->timeout_ms * 1000000;

	for (size_t i = 0; i < w->nconns; i++) {
		struct bconn *c = &w->conns[i];

		if (c->finished)
			continue;
		if (c->connecting && now - c->session_t0 > timeout) {
			const char *what = c->ep != NULL ? "handshake" : "connect";

			w->res->connect_errors++;
			note_error(w, what, SIPC_ETIMEDOUT);
			fail_conn(c, what, SIPC_ETIMEDOUT);
			continue;
		}
		if (w->sh->dgram) {
			dgram_expire(c, now, timeout);
			try_send(c);
			check_done(c);
		} else if (inflight(c) > 0 && now - c->last_progress > timeout) {
			fail_conn(c, "no echo", SIPC_ETIMEDOUT);
		}
	}
	__atomic_store_n(&w->live_echoed, w->res->echoed, __ATOMIC_RELAXED);
	__atomic_store_n(&w->live_bad,
			 w->res->mismatched + w->res->lost + w->res->errors + w->res->unanswered,
			 __ATOMIC_RELAXED);
	if (w->active > 0)
		sipc__timer_start(loop, t, w->tick_ms);
}

static void arm_schedule(struct worker *w)
{
	sipc__ticker_arm(w->ticker, w->sh->t0 + (int64_t)w->next_k * w->interval);
}

/* Open loop: release every request whose time has come. */
static void on_schedule(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct worker *w = io->arg;
	uint64_t first = w->next_k;
	int64_t now = now_ns();

	(void)revents;
	sipc__ticker_drain(w->ticker);
	while (w->next_k < w->k_limit && w->sh->t0 + (int64_t)w->next_k * w->interval <= now) {
		w->conns[w->next_k % w->nconns].due++;
		w->next_k++;
	}
	uint64_t touched = w->next_k - first;
	if (touched > w->nconns)
		touched = w->nconns;
	for (uint64_t j = 0; j < touched; j++) {
		struct bconn *c = &w->conns[(first + j) % w->nconns];

		if (w->cfg->new_conn && !c->open)
			open_session(c);
		else
			try_send(c);
	}
	if (w->next_k < w->k_limit && !w->stopping)
		arm_schedule(w);
	else
		sipc__io_stop(loop, io);
}

static void on_wake(sipc_loop *loop, void *arg)
{
	struct worker *w = arg;

	if (!atomic_load(&w->sh->stop) || w->stopping)
		return;
	w->stopping = true;
	if (w->ticker != NULL)
		sipc__io_stop(loop, &w->ticker_io);
	for (size_t i = 0; i < w->nconns; i++) {
		struct bconn *c = &w->conns[i];

		if (c->finished)
			continue;
		if (c->connecting) {
			/* A connect in flight has sent nothing: drop it. */
			finish(c);
			continue;
		}
		if (!c->open && w->cfg->new_conn) {
			finish(c);
			continue;
		}
		check_done(c);
	}
}

/* ------------------------------------------------------------------ setup */

static int conn_init(struct worker *w, struct bconn *c)
{
	long depth = w->cfg->depth;

	c->w = w;
	c->fd = -1;
	sipc__timer_init(&c->retry, on_retry, c);
	if (w->sh->dgram) {
		c->slots = calloc((size_t)depth, sizeof *c->slots);
		c->free_slots = calloc((size_t)depth, sizeof *c->free_slots);
		if (c->slots == NULL || c->free_slots == NULL)
			return -ENOMEM;
		for (long i = 0; i < depth; i++)
			c->free_slots[i] = (uint32_t)(depth - 1 - i);
		c->nfree = (uint32_t)depth;
	} else {
		c->times = calloc((size_t)depth, sizeof *c->times);
		if (c->times == NULL)
			return -ENOMEM;
	}
	return 0;
}

static int conn_dial(struct worker *w, struct bconn *c)
{
	sipc_options opts = *w->cfg->opts;
	char why[SIPC_WHY_MAX] = "";
	int rc;

	/* The sentence of a failed TLS dial, in this thread's own buffer. */
	opts.why = why;
	opts.whylen = sizeof why;
	rc = sipc_dial_url(w->cfg->url, &opts,
			   w->cfg->timeout_ms > 5000 ? w->cfg->timeout_ms : 5000, &c->ep);
	if (rc < 0) {
		snprintf(w->setup_why, sizeof w->setup_why, "connect %s: %s%s%s", w->cfg->url_text,
			 sipc_strerror(rc), why[0] ? ": " : "", why);
		return rc;
	}
	c->fd = sipc_endpoint_fd(c->ep);
	c->open = true;
	c->spin_us = sipc_endpoint_spin(c->ep);
	sipc__io_init(&c->io, c->fd, on_conn_io, c);
	return 0;
}

static void worker_cleanup(struct worker *w)
{
	for (size_t i = 0; i < w->nconns; i++) {
		struct bconn *c = &w->conns[i];

		if (w->loop != NULL && c->w != NULL) {
			sipc__timer_stop(w->loop, &c->retry);
			close_fd(c);
		}
		free(c->times);
		free(c->slots);
		free(c->free_slots);
	}
	if (w->loop != NULL) {
		sipc__timer_stop(w->loop, &w->tick);
		if (w->ticker != NULL)
			sipc__io_stop(w->loop, &w->ticker_io);
	}
	sipc__ticker_free(w->ticker);
	w->ticker = NULL;
	sipc__loop_free(w->loop);
	w->loop = NULL;
	free(w->scratch);
	free(w->gro_area);
	free(w->conns);
}

static int worker_setup(struct worker *w)
{
	int rc;

	w->scratch = malloc(RX_SCRATCH);
	if (w->scratch == NULL)
		return -ENOMEM;
	rc = sipc__loop_new(&w->loop, on_wake, w);
	if (rc < 0)
		return rc;
	sipc__timer_init(&w->tick, on_tick, w);
	for (size_t i = 0; i < w->nconns; i++) {
		rc = conn_init(w, &w->conns[i]);
		if (rc < 0)
			return rc;
	}
	if (w->cfg->rate > 0) {
		rc = sipc__ticker_new(&w->ticker);
		if (rc < 0)
			return rc;
		sipc__io_init(&w->ticker_io, sipc__ticker_fd(w->ticker), on_schedule, w);
	}
	if (w->cfg->new_conn)
		return 0;
	for (size_t i = 0; i < w->nconns; i++) {
		if (w->conns[i].quota == 0)
			continue;
		rc = conn_dial(w, &w->conns[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int rc = worker_setup(w);

	if (rc < 0) {
		w->setup_err = rc;
		if (w->setup_why[0] == '\0')
			snprintf(w->setup_why, sizeof w->setup_why, "setup: %s", sipc_strerror(rc));
	}
	atomic_fetch_add(&w->sh->ready, 1);
	/* The main thread sets t0 once every worker is ready; a millisecond
	 * of polling here is nothing next to a run. */
	while (!atomic_load(&w->sh->go))
		sleep_ms(1);
	if (rc < 0 || atomic_load(&w->sh->abort))
		goto out;
	int64_t now = w->sh->t0;
	w->last_done = now;
	w->active = w->nconns;
	w->tick_ms = w->cfg->timeout_ms / 4;
	if (w->tick_ms > 50)
		w->tick_ms = 50;
	if (w->tick_ms < 1)
		w->tick_ms = 1;
	sipc__timer_start(w->loop, &w->tick, w->tick_ms);
	if (w->cfg->rate > 0) {
		sipc__io_start(w->loop, &w->ticker_io, SIPC_LOOP_IN);
		arm_schedule(w);
	}
	for (size_t i = 0; i < w->nconns; i++) {
		struct bconn *c = &w->conns[i];

		c->last_progress = now;
		if (c->quota == 0) {
			finish(c);
			continue;
		}
		if (w->cfg->new_conn) {
			open_session(c);
		} else {
			set_events(c);
			try_send(c);
		}
	}
	if (w->active > 0)
		sipc__loop_run(w->loop);
out:
	atomic_store(&w->done, true);
	return NULL;
}

/* ------------------------------------------------------------------- run */

bool sipc__bench_clean(const struct sipc_bench_result *res)
{
	return res->mismatched == 0 && res->lost == 0 && res->unanswered == 0 && res->errors == 0 &&
	       res->connect_errors == 0 && res->echoed > 0;
}

static void progress(const struct sipc_bench_config *cfg, struct worker *ws, long nw, int64_t t0,
		     uint64_t *last, int64_t *last_t)
{
	uint64_t echoed = 0, bad = 0;
	int64_t now = now_ns();

	for (long i = 0; i < nw; i++) {
		echoed += __atomic_load_n(&ws[i].live_echoed, __ATOMIC_RELAXED);
		bad += __atomic_load_n(&ws[i].live_bad, __ATOMIC_RELAXED);
	}
	double dt = (double)(now - *last_t) / 1e9;
	fprintf(stderr, "sockipc: bench %s: %.0f s: %llu echoed, %.0f msg/s, %llu bad\n",
		cfg->url_text, (double)(now - t0) / 1e9, (unsigned long long)echoed,
		dt > 0 ? (double)(echoed - *last) / dt : 0.0, (unsigned long long)bad);
	*last = echoed;
	*last_t = now;
}

int sipc__bench_run(const struct sipc_bench_config *cfg, struct sipc_bench_result *res, char *why,
		    size_t whylen)
{
	struct shared sh;
	struct worker *ws;
	long nw = cfg->threads < cfg->conns ? cfg->threads : cfg->conns;
	sipc_scheme scheme = sipc_url_scheme(cfg->url);
	uint8_t *pattern;
	uint32_t x = 2463534242u;
	int rc = 0;

	memset(res, 0, sizeof *res);
	sipc__hist_reset(&res->hist);
	memset(&sh, 0, sizeof sh);
	sh.cfg = cfg;
	sh.dgram = sipc_scheme_is_datagram(scheme);
	sh.connless = sipc_scheme_is_connectionless(scheme);
	/* shm:// too: its bytes are in rings, the socket carries wake-ups. */
	sh.tls = sipc_scheme_is_tls(scheme) || scheme == SIPC_SHM;
	sh.scheme = scheme;
	sh.socktype = sipc_scheme_socktype(scheme);
	sh.wire = cfg->size + (cfg->framed && !sh.dgram ? 4 : 0);
	sh.hdr[0] = (uint8_t)(cfg->size >> 24);
	sh.hdr[1] = (uint8_t)(cfg->size >> 16);
	sh.hdr[2] = (uint8_t)(cfg->size >> 8);
	sh.hdr[3] = (uint8_t)cfg->size;
	if (cfg->new_conn) {
		rc = sipc_url_resolve(cfg->url, false, &sh.addr, 1);
		if (rc < 0) {
			snprintf(why, whylen, "resolve %s: %s", cfg->url_text, sipc_strerror(rc));
			return rc;
		}
	}
	/* Pseudo-random bytes (xorshift32): an echo that is shifted,
	 * truncated or rewritten is caught at its first wrong byte. */
	pattern = malloc(cfg->size + PAT_SPAN + TAG_LEN);
	if (pattern == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->size + PAT_SPAN + TAG_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern[i] = (uint8_t)(x >> 11);
	}
	sh.pattern = pattern;
	ws = calloc((size_t)nw, sizeof *ws);
	if (ws == NULL) {
		free(pattern);
		return -ENOMEM;
	}
	for (long i = 0; i < nw; i++) {
		struct worker *w = &ws[i];

		w->sh = &sh;
		w->cfg = cfg;
		w->index = (int)i;
		w->nconns = (size_t)(cfg->conns / nw + (i < cfg->conns % nw));
		w->conns = calloc(w->nconns, sizeof *w->conns);
		w->res = calloc(1, sizeof *w->res);
		if (w->conns == NULL || w->res == NULL) {
			rc = -ENOMEM;
			snprintf(why, whylen, "out of memory");
			goto free_workers;
		}
		sipc__hist_reset(&w->res->hist);
		uint64_t maxq = 0;
		for (size_t j = 0; j < w->nconns; j++) {
			long g = i + (long)j * nw; /* the global connection number */
			struct bconn *c = &w->conns[j];

			c->id = (uint32_t)j;
			c->quota = cfg->count ? (uint64_t)(cfg->count / cfg->conns +
							   (g < cfg->count % cfg->conns))
					      : UINT64_MAX;
			if (c->quota > maxq)
				maxq = c->quota;
		}
		if (cfg->rate > 0) {
			double rate_w = cfg->rate * (double)w->nconns / (double)cfg->conns;

			w->interval = (int64_t)(1e9 / rate_w);
			if (w->interval < 1)
				w->interval = 1;
			w->k_limit = cfg->count ? maxq * w->nconns : UINT64_MAX;
		}
	}
	long made = 0;
	for (; made < nw; made++) {
		rc = -pthread_create(&ws[made].thread, NULL, worker_main, &ws[made]);
		if (rc < 0) {
			snprintf(why, whylen, "thread: %s", sipc_strerror(rc));
			break;
		}
	}
	while (atomic_load(&sh.ready) < made)
		sleep_ms(1);
	for (long i = 0; i < made && rc == 0; i++) {
		if (ws[i].setup_err < 0) {
			rc = ws[i].setup_err;
			snprintf(why, whylen, "%s", ws[i].setup_why);
		}
	}
	if (rc < 0) {
		atomic_store(&sh.abort, true);
		atomic_store(&sh.go, true);
		for (long i = 0; i < made; i++)
			pthread_join(ws[i].thread, NULL);
		goto free_workers;
	}
	sh.t0 = now_ns();
	atomic_store(&sh.go, true);

	int64_t t_end = sh.t0 + (int64_t)cfg->duration_ms * 1000000;
	int64_t next_progress = sh.t0 + (int64_t)cfg->progress_ms * 1000000;
	int64_t last_t = sh.t0;
	uint64_t last = 0;
	bool stop_sent = false;
	for (;;) {
		bool all_done = true;
		int64_t now = now_ns();

		for (long i = 0; i < nw; i++)
			all_done = all_done && atomic_load(&ws[i].done);
		if (all_done)
			break;
		if (!stop_sent && cfg->count == 0 && now >= t_end) {
			atomic_store(&sh.stop, true);
			for (long i = 0; i < nw; i++)
				sipc__loop_wake(ws[i].loop);
			stop_sent = true;
		}
		if (cfg->progress_ms > 0 && now >= next_progress && !stop_sent) {
			progress(cfg, ws, nw, sh.t0, &last, &last_t);
			next_progress += (int64_t)cfg->progress_ms * 1000000;
		}
		int64_t wait = cfg->count == 0 && !stop_sent ? (t_end - now) / 1000000 : 20;
		sleep_ms(wait > 20 ? 20 : wait < 1 ? 1 : (int)wait);
	}
	int64_t last_done = sh.t0, wall = now_ns() - sh.t0;
	for (long i = 0; i < nw; i++) {
		struct sipc_bench_result *r = ws[i].res;

		pthread_join(ws[i].thread, NULL);
		res->sent += r->sent;
		res->echoed += r->echoed;
		res->mismatched += r->mismatched;
		res->lost += r->lost;
		res->late += r->late;
		res->unanswered += r->unanswered;
		res->errors += r->errors;
		res->connects += r->connects;
		res->connect_errors += r->connect_errors;
		res->bytes += r->bytes;
		if (res->first_error[0] == '\0' && r->first_error[0] != '\0')
			memcpy(res->first_error, r->first_error, sizeof res->first_error);
		sipc__hist_merge(&res->hist, &r->hist);
		if (ws[i].last_done > last_done)
			last_done = ws[i].last_done;
	}
	res->elapsed_s = (double)(res->echoed > 0 ? last_done - sh.t0 : wall) / 1e9;
free_workers:
	for (long i = 0; i < nw; i++) {
		if (ws[i].conns != NULL)
			worker_cleanup(&ws[i]);
		free(ws[i].res);
	}
	free(ws);
	free(pattern);
	return rc;
}
