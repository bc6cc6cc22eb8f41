/*
 * forward.c - `forward [--timeout=S] [--idle=S] [--max-assoc=N] URL`: a
 * relay to URL.  Streams (tcp*, unix, any mix): each client gets its own
 * non-blocking connection to URL (resolved once at start-up; --timeout,
 * default 5 s, bounds the connect); bytes flow both ways through a pipe
 * with splice(2) (zero copy), or a bounded 64 KiB buffer where the kernel
 * refuses splice; a direction reads only while its pipe or buffer has
 * room, so a slow side slows the other instead of growing memory.  The
 * end of one side's data is passed on as a shutdown of the other side's
 * write half once everything before it is delivered; the pair closes when
 * both directions have ended (or at once on a reset or write error).  A
 * backend that refuses or does not answer closes that client alone, with
 * the reason on its close line.  Seqpacket (unixpacket to unixpacket):
 * the same, one whole message at a time, an empty one included (records
 * are read through the library, which tells an empty one from the end).
 * Datagrams (udp*, unixgram): one connected backend socket per client
 * address for the whole server (at most --max-assoc, default 1024: one
 * worker owns the endpoint, server.h), whose replies go back to that
 * client from the endpoint's socket; an association silent for --idle
 * seconds (default 60) is reaped.  Clients may send from any port (DNS,
 * NTP 123 -> 123): --guard-ports does not apply here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "flow.h"
#include "serve/guard.h"
#include "serve/server.h"
#include "serve/services/services.h"
#include "sys/sys.h"
#include "url.h"

#define FWD_MAX_ADDRS          8
#define FWD_TIMEOUT_MS_DEFAULT 5000
#define FWD_IDLE_MS_DEFAULT    60000
#define FWD_MAX_ASSOC_DEFAULT  1024
/* Buffer of a direction where splice cannot be used. */
#define FWD_BUF ((size_t)64 * 1024)
/* Rounds of moving bytes per wake-up before other descriptors get a turn. */
#define FWD_ROUNDS 8
/* A unix listener with a full backlog refuses a non-blocking connect with
 * EAGAIN and sends no event when room comes: retry this often. */
#define FWD_UNIX_RETRY_MS 10
/* Datagram associations: hash buckets, replies per wake-up. */
#define FWD_BUCKETS     256
#define FWD_DGRAM_BATCH 64

struct fwd_shard;

struct fwd_ep {
	struct sipc_srv_endpoint *sep;
	char url[SIPC_URL_MAX]; /* the backend, as written */
	sipc_scheme scheme;
	int socktype;
	sipc_addr addrs[FWD_MAX_ADDRS];
	int naddrs;
	int timeout_ms;
	int idle_ms;
	long max_assoc;
	/* Datagram endpoints: the associations, made at the first datagram. */
	struct fwd_shard *shard;
};

/* ------------------------------------------------------------- streams */

struct fwd_conn {
	struct sipc_conn *c;
	struct fwd_ep *fe;
	bool seqpacket;
	int bfd;
	sipc_endpoint *bep; /* seqpacket: the backend through the library (owns bfd) */
	sipc_loop_io bio;
	sipc_loop_timer timer; /* connect timeout */
	sipc_loop_timer kick;  /* unix connect retry; more to move next turn */
	bool connecting;
	int addr_i;
	bool client_hup, backend_hup;
	struct sipc__flow up;   /* client -> backend */
	struct sipc__flow down; /* backend -> client; a flow is done once ended,
				   drained, and OUT's write side shut down */
	/* Seqpacket: an empty record read and not yet passed on (a flow's
	 * buffer cannot show one). */
	bool up_empty, down_empty;
	char end[SIPC_URL_MAX + 96];
};

enum { MOVED = 1, AGAIN = 0 };

static const char *errtext(int err)
{
	if (err == -ECONNRESET)
		return "reset by peer";
	if (err == -EPIPE)
		return "peer gone";
	return sipc_strerror(err);
}

static void fail(struct fwd_conn *st, const char *side, int err)
{
	if (strcmp(side, "backend") == 0)
		snprintf(st->end, sizeof(st->end), "backend %s: %s", st->fe->url, errtext(err));
	else
		snprintf(st->end, sizeof(st->end), "%s: %s", side, errtext(err));
	sipc__conn_close(st->c, st->end);
}

static bool *empty_of(struct fwd_conn *st, const struct sipc__flow *f)
{
	return f == &st->up ? &st->up_empty : &st->down_empty;
}

/* What waits to be written to F's OUT, an empty record counting one. */
static size_t pending(struct fwd_conn *st, const struct sipc__flow *f)
{
	return sipc__flow_pending(f) + (*empty_of(st, f) ? 1 : 0);
}

/* Whether a fill of F could take anything now; a seqpacket flow takes a
 * message only when the last one has gone, so none is ever cut. */
static bool flow_can_fill(struct fwd_conn *st, const struct sipc__flow *f)
{
	if (!sipc__flow_can_fill(f))
		return false;
	return !st->seqpacket || pending(st, f) == 0;
}

static void count(struct fwd_conn *st, const struct sipc__flow *f, size_t n, bool fill)
{
	/* Bytes from the client count as in when read; bytes to the client
	 * count as out when written. */
	if (f == &st->up && fill)
		sipc__conn_count(st->c, n, 0);
	else if (f == &st->down && !fill)
		sipc__conn_count(st->c, 0, n);
}

/* Reads one message of a seqpacket flow into its empty buffer. */
static int message_fill(struct fwd_conn *st, struct sipc__flow *f)
{
	sipc_endpoint *in = f == &st->up ? sipc__conn_ep(st->c) : st->bep;
	ssize_t n;

	if (sipc__flow_buffer(f) < 0)
		return -ENOMEM;
	/* recv() gives 0 both for an empty record and at the end of the
	 * stream; the library tells them apart (SIPC_ECLOSED) and drops, never
	 * cuts, a message larger than the buffer (SIPC_ETRUNC). */
	n = sipc_recv(in, f->buf, f->cap, 0);
	if (n == -EAGAIN || n == SIPC_ETIMEDOUT)
		return AGAIN;
	if (n == SIPC_ECLOSED) {
		f->eof = true;
		return MOVED;
	}
	if (n == SIPC_ETRUNC) {
		sipc__serve_log(st->fe->sep->srv, 2,
				"forward %s: dropped a message over --max-msg %zu",
				st->fe->sep->url, f->cap);
		return MOVED;
	}
	if (n < 0)
		return (int)n;
	count(st, f, (size_t)n, true);
	if (n == 0)
		*empty_of(st, f) = true;
	f->head = 0;
	f->tail = (size_t)n;
	return MOVED;
}

/* Reads from IN into the pipe or buffer: MOVED, AGAIN or a code. */
static int flow_fill(struct fwd_conn *st, struct sipc__flow *f)
{
	ssize_t n;

	if (!flow_can_fill(st, f))
		return AGAIN;
	if (st->seqpacket)
		return message_fill(st, f);
	n = sipc__flow_fill(f);
	if (n == -EAGAIN)
		return AGAIN;
	if (n < 0)
		return (int)n;
	count(st, f, (size_t)n, true);
	return MOVED;
}

/* Writes what waits to OUT: MOVED, AGAIN or a code.  A seqpacket message
 * goes whole or not at all (unix(7)), so the buffer empties in one send. */
static int flow_drain(struct fwd_conn *st, struct sipc__flow *f)
{
	ssize_t n;

	if (*empty_of(st, f)) {
		n = sipc__sys_send(f->out, "", 0, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return AGAIN;
		if (n < 0)
			return (int)n;
		*empty_of(st, f) = false;
		return MOVED;
	}
	n = sipc__flow_drain(f);

	if (n == -EAGAIN)
		return AGAIN;
	if (n < 0)
		return (int)n;
	count(st, f, (size_t)n, false);
	return MOVED;
}

static void on_backend(sipc_loop *loop, sipc_loop_io *io, uint32_t revents);

/* What each descriptor waits for now.  A descriptor that has hung up is
 * reported hung up on every turn whatever we ask, so it is watched one
 * shot at a time; it is re-armed when what we ask changes. */
static void set_events(struct fwd_conn *st)
{
	uint32_t cev = 0, bev = 0;
	int err;

	if (flow_can_fill(st, &st->up))
		cev |= EPOLLIN;
	if (pending(st, &st->down) > 0)
		cev |= EPOLLOUT;
	if (flow_can_fill(st, &st->down))
		bev |= EPOLLIN;
	if (pending(st, &st->up) > 0)
		bev |= EPOLLOUT;
	if (st->client_hup)
		cev |= EPOLLONESHOT;
	if (st->backend_hup)
		bev |= EPOLLONESHOT;
	err = sipc__conn_set_events(st->c, cev);
	if (err == 0)
		err = sipc__io_start(sipc__conn_loop(st->c), &st->bio, bev);
	if (err < 0)
		fail(st, "client", err);
}

/* Moves bytes both ways until nothing moves (or FWD_ROUNDS), passes ends
 * on, and closes the pair when both directions are over. */
static void pump(struct fwd_conn *st)
{
	struct sipc__flow *flows[2] = {&st->up, &st->down};
	bool moved = true;
	int round;

	for (round = 0; round < FWD_ROUNDS && moved; round++) {
		moved = false;
		for (int i = 0; i < 2; i++) {
			struct sipc__flow *f = flows[i];
			bool up = f == &st->up;
			int r;

			if (f->done)
				continue;
			r = flow_drain(st, f);
			if (r == MOVED)
				moved = true;
			if (r < 0) {
				fail(st, up ? "backend" : "client", r);
				return;
			}
			r = flow_fill(st, f);
			if (r == MOVED)
				moved = true;
			if (r < 0) {
				fail(st, up ? "client" : "backend", r);
				return;
			}
			r = flow_drain(st, f);
			if (r < 0) {
				fail(st, up ? "backend" : "client", r);
				return;
			}
			if (f->eof && pending(st, f) == 0) {
				/* Half-close: the other side learns that this one
				 * has ended; ENOTCONN (it has gone already) is no
				 * news. */
				(void)sipc__sys_shutdown(f->out, SHUT_WR);
				f->done = true;
				moved = true;
			}
		}
	}
	if (st->up.done && st->down.done) {
		sipc__conn_close(st->c, NULL);
		return;
	}
	/* Still moving after the last round: go on next turn even if no
	 * event comes (a hung-up descriptor is watched one shot only). */
	if (moved)
		sipc__timer_start(sipc__conn_loop(st->c), &st->kick, 0);
	set_events(st);
}

static void start_relay(struct fwd_conn *st)
{
	int cfd = sipc__conn_fd(st->c);
	/* Streams splice through a pipe of the kernel's default size; a
	 * seqpacket flow keeps each message whole in a buffer of --max-msg. */
	unsigned flags =
		SIPC__FLOW_IN_SOCK | SIPC__FLOW_OUT_SOCK | (st->seqpacket ? 0 : SIPC__FLOW_PIPE);
	size_t cap = st->seqpacket ? sipc__svc_ep_max_msg(st->fe->sep) : FWD_BUF;

	st->connecting = false;
	sipc__timer_stop(sipc__conn_loop(st->c), &st->timer);
	if (st->seqpacket) {
		sipc_options o = {.max_msg = cap};
		int err = sipc_endpoint_from_fd(st->bfd, st->fe->scheme, &o, &st->bep);
		if (err < 0) {
			fail(st, "backend", err);
			return;
		}
	}
	sipc__flow_init(&st->up, cfd, st->bfd, flags, 0, cap);
	sipc__flow_init(&st->down, st->bfd, cfd, flags, 0, cap);
	pump(st);
}

/* Starts connecting to address I (or the next ones); false when none is
 * left (the pair is closed). */
static bool dial(struct fwd_conn *st, int err)
{
	const sipc_addr *a;
	int fd, rc;

	for (; st->addr_i < st->fe->naddrs; st->addr_i++) {
		a = &st->fe->addrs[st->addr_i];
		fd = sipc__sys_socket(a->ss.ss_family, st->fe->socktype);
		if (fd < 0) {
			err = fd;
			continue;
		}
		rc = sipc__sys_connect(fd, (const struct sockaddr *)&a->ss, a->len,
				       sipc__deadline(0));
		/* A unix connect completes or fails at once; "not yet" from it
		 * means EAGAIN, the listener's backlog is full. */
		if (rc == SIPC_ETIMEDOUT && a->ss.ss_family == AF_UNIX)
			rc = -EAGAIN;
		if (rc == 0 || rc == SIPC_ETIMEDOUT) {
			st->bfd = fd;
			sipc__io_init(&st->bio, fd, on_backend, st);
			if (rc == 0) {
				start_relay(st);
			} else if (sipc__io_start(sipc__conn_loop(st->c), &st->bio, EPOLLOUT) < 0) {
				fail(st, "backend", -ENOMEM);
			}
			return true;
		}
		sipc__sys_close(fd);
		if (rc == -EAGAIN && a->ss.ss_family == AF_UNIX) {
			/* The backlog is full: retry this address soon, within the
			 * connect timeout. */
			sipc__timer_start(sipc__conn_loop(st->c), &st->kick, FWD_UNIX_RETRY_MS);
			return true;
		}
		err = rc;
	}
	fail(st, "backend", err);
	return false;
}

static void connected(struct fwd_conn *st)
{
	int soerr = 0;
	int rc = sipc__sys_getsockopt_int(st->bfd, SOL_SOCKET, SO_ERROR, &soerr);

	if (rc == 0 && soerr == 0) {
		start_relay(st);
		return;
	}
	sipc__io_stop(sipc__conn_loop(st->c), &st->bio);
	sipc__sys_close(st->bfd);
	st->bfd = -1;
	st->addr_i++;
	dial(st, rc < 0 ? rc : -soerr);
}

static void on_backend(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct fwd_conn *st = io->arg;

	(void)loop;
	if (st->connecting) {
		connected(st);
		return;
	}
	if (revents & EPOLLERR) {
		int soerr = 0;
		sipc__sys_getsockopt_int(st->bfd, SOL_SOCKET, SO_ERROR, &soerr);
		if (soerr != 0) {
			fail(st, "backend", -soerr);
			return;
		}
	}
	if (revents & EPOLLHUP)
		st->backend_hup = true;
	pump(st);
}

static void on_kick(sipc_loop *loop, sipc_loop_timer *t)
{
	struct fwd_conn *st = t->arg;

	(void)loop;
	if (st->connecting && st->bfd < 0)
		dial(st, -EAGAIN);
	else if (!st->connecting)
		pump(st);
}

static void on_connect_timeout(sipc_loop *loop, sipc_loop_timer *t)
{
	struct fwd_conn *st = t->arg;

	(void)loop;
	if (st->connecting)
		fail(st, "backend", SIPC_ETIMEDOUT);
}

static void fwd_open(struct sipc_conn *c)
{
	struct fwd_conn *st = sipc__conn_state(c);

	st->c = c;
	st->fe = sipc__svc_ep_state(sipc__conn_endpoint(c));
	st->seqpacket = sipc__conn_is_seqpacket(c);
	st->bfd = -1;
	st->bep = NULL;
	st->up_empty = st->down_empty = false;
	/* Nothing for fwd_close to free until the relay starts. */
	sipc__flow_init(&st->up, -1, -1, 0, 0, 0);
	sipc__flow_init(&st->down, -1, -1, 0, 0, 0);
	st->connecting = true;
	sipc__io_init(&st->bio, -1, on_backend, st);
	sipc__timer_init(&st->timer, on_connect_timeout, st);
	sipc__timer_init(&st->kick, on_kick, st);
	/* Nothing to read from the client until the backend answers; one
	 * shot, so that a client that resets meanwhile is reported once. */
	(void)sipc__conn_set_events(c, EPOLLONESHOT);
	sipc__timer_start(sipc__conn_loop(c), &st->timer, st->fe->timeout_ms);
	dial(st, -ECONNREFUSED);
}

static void fwd_io(struct sipc_conn *c, uint32_t revents)
{
	struct fwd_conn *st = sipc__conn_state(c);

	if (revents & EPOLLERR) {
		int soerr = 0;
		sipc__sys_getsockopt_int(sipc__conn_fd(c), SOL_SOCKET, SO_ERROR, &soerr);
		if (soerr != 0 || st->connecting) {
			fail(st, "client", soerr ? -soerr : -ECONNRESET);
			return;
		}
	}
	if (revents & EPOLLHUP) {
		st->client_hup = true;
		if (st->connecting) {
			/* The client has gone before the backend answered. */
			fail(st, "client", -EPIPE);
			return;
		}
	}
	if (!st->connecting)
		pump(st);
}

static void fwd_close(struct sipc_conn *c)
{
	struct fwd_conn *st = sipc__conn_state(c);
	sipc_loop *loop = sipc__conn_loop(c);

	sipc__io_stop(loop, &st->bio);
	sipc__timer_stop(loop, &st->timer);
	sipc__timer_stop(loop, &st->kick);
	if (st->bep != NULL)
		sipc_endpoint_close(st->bep); /* and bfd with it */
	else if (st->bfd >= 0)
		sipc__sys_close(st->bfd);
	st->bep = NULL;
	st->bfd = -1;
	sipc__flow_free(&st->up);
	sipc__flow_free(&st->down);
}

/* ----------------------------------------------------------- datagrams */

struct fwd_assoc {
	struct fwd_assoc *next; /* hash chain */
	struct fwd_shard *sh;
	sipc_addr client;
	int fd; /* connected to the backend */
	sipc_loop_io io;
	sipc_loop_timer idle;
	int64_t last_ms;
};

/* The associations of a datagram endpoint, in its owner worker's loop. */
struct fwd_shard {
	struct fwd_ep *fe;
	sipc_loop *loop;
	int worker; /* whose counters the replies go to */
	size_t n;
	uint8_t *buf; /* replies are read here */
	struct fwd_assoc *buckets[FWD_BUCKETS];
};

static unsigned addr_hash(const sipc_addr *a)
{
	return sipc__addr_hash(a) % FWD_BUCKETS;
}

/* The counters of the shard's worker, where replies and drops are
 * counted (written by that worker's thread only). */
static struct sipc_srv_stats *shard_stats(struct fwd_shard *sh)
{
	static struct sipc_srv_stats nowhere;
	struct sipc_srv_endpoint *sep = sh->fe->sep;
	struct sipc__server *srv = sep->srv;

	if (sh->worker < 0 || sh->worker >= srv->nworkers ||
	    srv->workers[sh->worker].loop != sh->loop)
		return &nowhere;
	return &srv->workers[sh->worker].stats[sep->index];
}

static void assoc_free(struct fwd_assoc *a, bool loop_alive)
{
	struct fwd_shard *sh = a->sh;
	struct fwd_assoc **pp = &sh->buckets[addr_hash(&a->client)];

	while (*pp != NULL && *pp != a)
		pp = &(*pp)->next;
	if (*pp == a)
		*pp = a->next;
	sh->n--;
	if (loop_alive) {
		sipc__io_stop(sh->loop, &a->io);
		sipc__timer_stop(sh->loop, &a->idle);
	}
	sipc__sys_close(a->fd);
	free(a);
}

static void assoc_log(struct fwd_assoc *a, const char *what)
{
	char peer[SIPC_URL_MAX];

	if (sipc_addr_format(&a->client, peer, sizeof(peer)) < 0)
		snprintf(peer, sizeof(peer), "?");
	sipc__serve_log(a->sh->fe->sep->srv, 1, "forward %s peer=%s -> %s: %s", a->sh->fe->sep->url,
			peer, a->sh->fe->url, what);
}

static void on_assoc_idle(sipc_loop *loop, sipc_loop_timer *t)
{
	struct fwd_assoc *a = t->arg;
	int64_t due = a->last_ms + a->sh->fe->idle_ms;

	if (sipc__loop_now(loop) < due) {
		sipc__timer_start_at(loop, t, due);
		return;
	}
	assoc_log(a, "association reaped (idle)");
	assoc_free(a, true);
}

/* Replies from the backend go back to the association's client. */
static void on_assoc_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct fwd_assoc *a = io->arg;
	struct fwd_shard *sh = a->sh;
	struct sipc_srv_endpoint *sep = sh->fe->sep;
	size_t cap = sipc__svc_ep_max_msg(sep);

	(void)revents;
	for (int i = 0; i < FWD_DGRAM_BATCH; i++) {
		struct iovec iov;
		struct msghdr msg = {0};
		ssize_t n = sipc__sys_recv(a->fd, sh->buf, cap, MSG_TRUNC);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			/* ICMP port unreachable from an earlier datagram, and the
			 * like: the backend may come back; note it and go on. */
			sipc__serve_log(sep->srv, 2, "forward %s: backend %s: %s", sep->url,
					sh->fe->url, sipc_strerror((int)n));
			continue;
		}
		a->last_ms = sipc__loop_now(loop);
		if ((size_t)n > cap) {
			SIPC__STAT_ADD(shard_stats(sh)->dropped, 1);
			continue;
		}
		iov.iov_base = sh->buf;
		iov.iov_len = (size_t)n;
		msg.msg_name = &a->client.ss;
		msg.msg_namelen = a->client.len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = sipc__sys_sendmsg(sep->fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			SIPC__STAT_ADD(shard_stats(sh)->dropped, 1);
			continue;
		}
		SIPC__STAT_ADD(shard_stats(sh)->dgrams_out, 1);
		SIPC__STAT_ADD(shard_stats(sh)->bytes_out, n);
	}
}

static struct fwd_shard *shard_of(struct fwd_ep *fe, sipc_loop *loop, int worker)
{
	struct fwd_shard *sh = fe->shard;

	/* One worker alone reads a datagram endpoint, in every model
	 * (server.h): only its thread gets here, so no lock, and one table
	 * makes --max-assoc a bound for the whole server. */
	if (sh != NULL)
		return sh;
	sh = calloc(1, sizeof(*sh));
	if (sh != NULL)
		sh->buf = malloc(sipc__svc_ep_max_msg(fe->sep));
	if (sh != NULL && sh->buf == NULL) {
		free(sh);
		sh = NULL;
	}
	if (sh != NULL) {
		sh->fe = fe;
		sh->loop = loop;
		sh->worker = worker;
		fe->shard = sh;
	}
	return sh;
}

static struct fwd_assoc *assoc_new(struct fwd_shard *sh, const sipc_addr *from)
{
	struct fwd_ep *fe = sh->fe;
	const sipc_addr *to = &fe->addrs[0];
	struct fwd_assoc *a;
	int fd, rc;

	fd = sipc__sys_socket(to->ss.ss_family, SOCK_DGRAM);
	if (fd < 0)
		return NULL;
	if (to->ss.ss_family == AF_UNIX) {
		/* A unixgram backend can only answer a bound socket: a length of
		 * just the family asks the kernel for an abstract autobind
		 * name (unix(7)). */
		struct sockaddr_un un = {.sun_family = AF_UNIX};
		rc = sipc__sys_bind(fd, (struct sockaddr *)&un, sizeof(sa_family_t));
		if (rc < 0)
			goto fail;
	}
	rc = sipc__sys_connect(fd, (const struct sockaddr *)&to->ss, to->len, sipc__deadline(0));
	if (rc < 0)
		goto fail;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		goto fail;
	a->sh = sh;
	a->client = *from;
	a->fd = fd;
	a->last_ms = sipc__loop_now(sh->loop);
	sipc__io_init(&a->io, fd, on_assoc_io, a);
	sipc__timer_init(&a->idle, on_assoc_idle, a);
	if (sipc__io_start(sh->loop, &a->io, EPOLLIN) < 0) {
		free(a);
		goto fail;
	}
	sipc__timer_start(sh->loop, &a->idle, fe->idle_ms);
	unsigned b = addr_hash(from);
	a->next = sh->buckets[b];
	sh->buckets[b] = a;
	sh->n++;
	return a;
fail:
	sipc__sys_close(fd);
	return NULL;
}

static void fwd_datagram(struct sipc_dgram *d, const uint8_t *buf, size_t len)
{
	struct sipc_srv_endpoint *sep = sipc__dgram_endpoint(d);
	struct fwd_ep *fe = sipc__svc_ep_state(sep);
	const sipc_addr *from = sipc__dgram_from(d);
	int wid = sipc__dgram_worker_id(d);
	sipc_loop *loop = sipc__dgram_loop(d);
	struct fwd_shard *sh;
	struct fwd_assoc *a;
	ssize_t n;

	if (from->ss.ss_family == AF_UNSPEC ||
	    (from->ss.ss_family == AF_UNIX && from->len <= offsetof(struct sockaddr_un, sun_path)))
		return; /* an unbound sender could never get a reply */
	/* A datagram forged "from" the backend would have its replies sent
	 * back to the backend from the endpoint, whose answers come in again:
	 * a loop through an echo backend. */
	for (int i = 0; i < fe->naddrs; i++) {
		if (sipc__guard_same(&fe->addrs[i], from)) {
			sipc__dgram_drop(d, "source is the backend");
			return;
		}
	}
	sh = shard_of(fe, loop, wid);
	if (sh == NULL)
		return;
	for (a = sh->buckets[addr_hash(from)]; a != NULL; a = a->next)
		if (sipc_addr_equal(&a->client, from))
			break;
	if (a == NULL) {
		if ((long)sh->n >= fe->max_assoc) {
			char why[64];
			snprintf(why, sizeof(why), "%zu associations (--max-assoc=%ld)", sh->n,
				 fe->max_assoc);
			sipc__dgram_drop(d, why);
			return;
		}
		a = assoc_new(sh, from);
		if (a == NULL) {
			sipc__dgram_drop(d, "cannot open a socket to the backend");
			return;
		}
		assoc_log(a, "association opened");
	}
	a->last_ms = sipc__loop_now(loop);
	n = sipc__sys_send(a->fd, buf, len, MSG_DONTWAIT);
	if (n < 0) {
		SIPC__STAT_ADD(shard_stats(sh)->dropped, 1);
		sipc__serve_log(sep->srv, 2, "forward %s: to %s: %s", sep->url, fe->url,
				sipc_strerror((int)n));
	}
}

/* --------------------------------------------------------------- setup */

static int fwd_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, char *why, size_t whylen)
{
	int timeout_ms = FWD_TIMEOUT_MS_DEFAULT, idle_ms = FWD_IDLE_MS_DEFAULT;
	long max_assoc = FWD_MAX_ASSOC_DEFAULT;
	const struct sipc_svc_opt opts[] = {
		{"timeout", SIPC__SVC_OPT_MS, &timeout_ms, 1, 3600000},
		{"idle", SIPC__SVC_OPT_MS, &idle_ms, 1, 86400000},
		{"max-assoc", SIPC__SVC_OPT_INT, &max_assoc, 1, 1000000},
		{NULL, 0, NULL, 0, 0},
	};
	char detail[SIPC_WHY_MAX];
	struct fwd_ep *fe;
	sipc_url *url;
	int used, n, st;

	if (sipc__svc_opts_parse("forward", argc, argv, opts, &used, why, whylen) < 0)
		return -1;
	if (argc - used != 1) {
		snprintf(why, whylen, "forward: expected one URL (usage: %s)",
			 sipc__svc_forward.usage);
		return -1;
	}
	if (sipc_url_parse(argv[used], &url, detail, sizeof(detail)) < 0) {
		snprintf(why, whylen, "forward: %s: %s", argv[used], detail);
		return -1;
	}
	st = sipc_scheme_socktype(sipc_url_scheme(url));
	if (st != sipc_scheme_socktype(sipc__svc_ep_scheme(sep))) {
		snprintf(why, whylen,
			 "forward: %s:// endpoints forward to URLs of the same kind "
			 "(stream, seqpacket or datagram), not %s://",
			 sipc_scheme_name(sipc__svc_ep_scheme(sep)),
			 sipc_scheme_name(sipc_url_scheme(url)));
		sipc_url_free(url);
		return -1;
	}
	fe = calloc(1, sizeof(*fe));
	if (fe == NULL) {
		sipc_url_free(url);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	n = sipc_url_resolve(url, false, fe->addrs, FWD_MAX_ADDRS);
	if (n < 0) {
		snprintf(why, whylen, "forward: %s: %s", argv[used], sipc_strerror(n));
		sipc_url_free(url);
		free(fe);
		return -1;
	}
	fe->sep = sep;
	fe->naddrs = n;
	fe->scheme = sipc_url_scheme(url);
	fe->socktype = st;
	fe->timeout_ms = timeout_ms;
	fe->idle_ms = idle_ms;
	fe->max_assoc = max_assoc;
	snprintf(fe->url, sizeof(fe->url), "%s", argv[used]);
	sipc_url_free(url);
	sipc__svc_ep_set_state(sep, fe);
	return 0;
}

static void fwd_teardown(struct sipc_srv_endpoint *sep)
{
	struct fwd_ep *fe = sipc__svc_ep_state(sep);
	struct fwd_shard *sh;

	if (fe == NULL)
		return;
	/* Every worker has stopped and its loop is gone: free without
	 * touching the loops. */
	sh = fe->shard;
	if (sh != NULL) {
		for (int b = 0; b < FWD_BUCKETS; b++)
			while (sh->buckets[b] != NULL)
				assoc_free(sh->buckets[b], false);
		free(sh->buf);
		free(sh);
	}
	free(fe);
	sipc__svc_ep_set_state(sep, NULL);
}

const struct sipc_service sipc__svc_forward = {
	.name = "forward",
	.usage = "forward [--timeout=S] [--idle=S] [--max-assoc=N] URL",
	.min_args = 1,
	.max_args = 4,
	.kinds = SIPC__SVC_STREAM | SIPC__SVC_SEQPACKET | SIPC__SVC_DGRAM,
	.models = SIPC__MODEL_EVENT | SIPC__MODEL_THREAD | SIPC__MODEL_FORK,
	.setup = fwd_setup,
	.teardown = fwd_teardown,
	.conn_size = sizeof(struct fwd_conn),
	.on_open = fwd_open,
	.on_io = fwd_io,
	.on_close = fwd_close,
	.on_datagram = fwd_datagram,
	.guard_any_port = true,
};
