/*
 * relay.c - the two directions between a served connection and a second
 * stream (relay.h): reading and writing through the flows, passing each
 * end on, the events each descriptor waits for, and the end of the pair.
 */
#include "serve/relay.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "loop/epspin.h"
#include "serve/server.h"
#include "serve/tls.h"
#include "sys/net.h"
#include "sys/sys.h"

/*
 * A direction's buffer where splice cannot be used (TLS, shm, seqpacket).
 * Two plain stream sockets splice through a pipe of the kernel's default
 * size (64 KiB), which grows to RELAY_PIPE once it fills (flow.h: within a
 * quarter of the user's pipe-user-pages-soft), so only a bulk direction
 * holds a large one.  Measured 2026-12-04 15:39 UTC, 2-vCPU AMD EPYC VM
 * (family 25 model 17), Linux 6.18.44-fc-v1252, quiet: 2 GiB from
 * `bulk send -s -b 64K` (CPU 1) through `serve -w 1 forward` or
 * `bulk relay -s` (unpinned) into `bulk recv -s -b 64K` (CPU 0), medians
 * of 5 interleaved runs, MB/s:
 *
 *              forward, 64 KiB pipe   grown   plain relay, 64 KiB   1 MiB
 *     tcp          1269                1775         1316             1797
 *     unix         3853                6261         4090             7437
 *
 * Copying through a 256 KiB buffer instead was measured faster on the VM
 * build before (2026-12-03, fc-v1147, with two other jobs on the machine:
 * tcp 697 against 576 spliced through 64 KiB, unix 1013 against 965, the
 * direct pair 727 and 1021).  It was taken back after
 * interop/serve_forward_peers hung once with it; that hang was socat's
 * (its PIPE echo blocks writing to a pipe only it reads: the test's
 * comment), which any relay fast enough fills, and it came back with the
 * grown pipe until the test's echoes moved 4 KiB at a time.
 */
#define RELAY_BUF ((size_t)64 * 1024)
/* The most a direction's pipe grows to (Linux's default pipe-max-size). */
#define RELAY_PIPE ((size_t)1024 * 1024)
/* Rounds of moving bytes per wake-up before other descriptors get a turn. */
#define RELAY_ROUNDS 8

enum { MOVED = 1, AGAIN = 0 };

static const char *errtext(int err)
{
	if (err == -ECONNRESET)
		return "reset by peer";
	if (err == -EPIPE)
		return "peer gone";
	return sipc_strerror(err);
}

static void end(struct sipc__relay *r, const char *why)
{
	if (r->ended)
		return;
	r->ended = true;
	r->on_end(r, why);
}

/* A side failed with ERR; a TLS side says why in its own words. */
static void fail(struct sipc__relay *r, bool other, int err)
{
	sipc_endpoint *ep = other ? r->bep : sipc__conn_ep(r->c);
	char esc[SIPC_WHY_MAX];

	/* The detail may quote the peer: only printable ASCII goes out. */
	sipc__serve_tls_escape(ep != NULL ? sipc_endpoint_why(ep) : "", esc, sizeof(esc));
	snprintf(r->end, sizeof(r->end), "%s: %s%s%s", other ? r->other : "client", errtext(err),
		 esc[0] ? ": " : "", esc);
	end(r, r->end);
}

static bool *empty_of(struct sipc__relay *r, const struct sipc__flow *f)
{
	return f == &r->up ? &r->up_empty : &r->down_empty;
}

/* What waits to be written to F's OUT, an empty record counting one. */
static size_t pending(struct sipc__relay *r, const struct sipc__flow *f)
{
	return sipc__flow_pending(f) + (*empty_of(r, f) ? 1 : 0);
}

/* Whether a fill of F could take anything now; a seqpacket flow takes a
 * message only when the last one has gone, so none is ever cut. */
static bool can_fill(struct sipc__relay *r, const struct sipc__flow *f)
{
	if (!sipc__flow_can_fill(f))
		return false;
	return !r->seqpacket || pending(r, f) == 0;
}

static void count(struct sipc__relay *r, const struct sipc__flow *f, size_t n, bool fill)
{
	/* Bytes from the client count as in when read; bytes to the client
	 * count as out when written. */
	if (f == &r->up && fill)
		sipc__conn_count(r->c, n, 0);
	else if (f == &r->down && !fill)
		sipc__conn_count(r->c, 0, n);
}

/* Reads one message of a seqpacket flow into its empty buffer. */
static int message_fill(struct sipc__relay *r, struct sipc__flow *f)
{
	sipc_endpoint *in = f == &r->up ? sipc__conn_ep(r->c) : r->bep;
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
		struct sipc_srv_endpoint *sep = sipc__conn_endpoint(r->c);
		sipc__serve_log(sep->srv, 2, "%s %s: dropped a message over --max-msg %zu",
				sep->svc->name, sep->url, f->cap);
		return MOVED;
	}
	if (n < 0)
		return (int)n;
	count(r, f, (size_t)n, true);
	if (n == 0)
		*empty_of(r, f) = true;
	f->head = 0;
	f->tail = (size_t)n;
	return MOVED;
}

/* Reads from IN into the pipe or buffer: MOVED, AGAIN or a code. */
static int flow_fill(struct sipc__relay *r, struct sipc__flow *f)
{
	ssize_t n;

	if (!can_fill(r, f))
		return AGAIN;
	if (r->seqpacket)
		return message_fill(r, f);
	n = sipc__flow_fill(f);
	if (n == -EAGAIN)
		return AGAIN;
	if (n < 0)
		return (int)n;
	count(r, f, (size_t)n, true);
	return MOVED;
}

/* Writes what waits to OUT: MOVED, AGAIN or a code.  A seqpacket message
 * goes whole or not at all (unix(7)), so the buffer empties in one send. */
static int flow_drain(struct sipc__relay *r, struct sipc__flow *f)
{
	ssize_t n;

	if (*empty_of(r, f)) {
		n = sipc__sys_send(f->out, "", 0, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return AGAIN;
		if (n < 0)
			return (int)n;
		*empty_of(r, f) = false;
		return MOVED;
	}
	n = sipc__flow_drain(f);
	if (n == -EAGAIN)
		return AGAIN;
	if (n < 0)
		return (int)n;
	count(r, f, (size_t)n, false);
	return MOVED;
}

/* The loop's events for the poll(2) events EP wants for EVENTS: a plain
 * socket wants what it is asked, TLS may want the other direction. */
static uint32_t want(const sipc_endpoint *ep, short events)
{
	return sipc__loop_events(ep != NULL ? sipc_endpoint_want(ep, events) : events);
}

/* The loop's events for a side that waits for EV (poll(2) events).  An
 * shm:// side spins with the loop instead (loop.h): its descriptor carries
 * only wake-ups and the end, as POLLIN, and it is armed (want) only when
 * the loop is about to sleep; *SPIN keeps what it waits for. */
static uint32_t side_events(sipc_endpoint *ep, short ev, short *spin)
{
	uint32_t e = 0;

	if (ep != NULL && sipc_endpoint_spin(ep) != 0) {
		*spin = ev;
		return ev ? SIPC_LOOP_IN : 0;
	}
	*spin = 0;
	if (ev & POLLIN)
		e |= want(ep, POLLIN);
	if (ev & POLLOUT)
		e |= want(ep, POLLOUT);
	return e;
}

/* Busy-polling (epspin.h): either side that spins can go on; LOOK is
 * sipc__ep_spin_ready, or sipc__ep_spin_sleep when the loop is about to
 * sleep. */
static uint32_t spin_sides(sipc_loop_io *io, uint32_t (*look)(sipc_endpoint *, short))
{
	struct sipc__relay *r = io->arg;
	uint32_t e = 0;

	if (r->cspin)
		e |= look(sipc__conn_ep(r->c), r->cspin);
	if (r->bspin)
		e |= look(r->bep, r->bspin);
	return e ? SIPC_LOOP_IN : 0; /* on_other: pump */
}

static uint32_t spin_ready(sipc_loop_io *io)
{
	return spin_sides(io, sipc__ep_spin_ready);
}

static uint32_t spin_sleep(sipc_loop_io *io)
{
	return spin_sides(io, sipc__ep_spin_sleep);
}

/* The longest spin the sides ask for (SIPC_SPIN_ALWAYS the longest). */
static long spin_us(struct sipc__relay *r)
{
	long c = r->cspin ? sipc_endpoint_spin(sipc__conn_ep(r->c)) : 0;
	long b = r->bspin ? sipc_endpoint_spin(r->bep) : 0;

	if (c == SIPC_SPIN_ALWAYS || b == SIPC_SPIN_ALWAYS)
		return SIPC_SPIN_ALWAYS;
	return c > b ? c : b;
}

/* What each descriptor waits for now.  A descriptor that has hung up is
 * reported hung up on every turn whatever we ask, so it is watched one
 * shot at a time; it is re-armed when what we ask changes. */
static void set_events(struct sipc__relay *r)
{
	sipc_endpoint *cep = sipc__conn_ep(r->c);
	uint32_t cev, bev;
	int err;

	cev = side_events(cep,
			  (short)((can_fill(r, &r->up) ? POLLIN : 0) |
				  (pending(r, &r->down) > 0 ? POLLOUT : 0)),
			  &r->cspin);
	bev = side_events(r->bep,
			  (short)((can_fill(r, &r->down) ? POLLIN : 0) |
				  (pending(r, &r->up) > 0 ? POLLOUT : 0)),
			  &r->bspin);
	/* Records a transport still holds go out before anything ends. */
	if (sipc__serve_ep_holds(cep))
		cev |= SIPC_LOOP_OUT;
	if (sipc__serve_ep_holds(r->bep))
		bev |= SIPC_LOOP_OUT;
	if (r->client_hup)
		cev |= SIPC_LOOP_ONESHOT;
	if (r->other_hup)
		bev |= SIPC_LOOP_ONESHOT;
	err = sipc__conn_set_events(r->c, cev);
	if (err == 0)
		err = sipc__io_start(sipc__conn_loop(r->c), &r->bio, bev);
	if (err < 0) {
		fail(r, false, err);
		return;
	}
	sipc__io_spin(sipc__conn_loop(r->c), &r->bio, spin_ready, spin_sleep, spin_us(r));
}

/* Passes the end of F's input on to its output: the peer there reads
 * the end of the stream (close_notify and FIN on TLS).  ENOTCONN (it has
 * gone already) is no news. */
static void pass_end(struct sipc__flow *f)
{
	if (f->out_ep != NULL)
		(void)sipc_shutdown_write(f->out_ep);
	else
		(void)sipc__sys_shutdown(f->out, SHUT_WR);
}

/* Whether a direction can read more without its descriptor becoming
 * readable: the transport holds bytes (decrypted TLS records). */
static bool held(struct sipc__relay *r, struct sipc__flow *f)
{
	return can_fill(r, f) && f->in_ep != NULL && sipc_endpoint_pending(f->in_ep) > 0;
}

/* Moves bytes both ways until nothing moves (or RELAY_ROUNDS), passes
 * ends on, and ends the relay when both directions are over. */
static void pump(struct sipc__relay *r)
{
	struct sipc__flow *flows[2] = {&r->up, &r->down};
	sipc_endpoint *eps[2] = {sipc__conn_ep(r->c), r->bep};
	bool moved = true;
	int round;

	for (int i = 0; i < 2; i++) {
		int n = sipc__serve_ep_push(eps[i]);
		if (n < 0 && n != SIPC_ETIMEDOUT) {
			fail(r, i == 1, n);
			return;
		}
	}

	for (round = 0; round < RELAY_ROUNDS && moved && !r->ended; round++) {
		moved = false;
		for (int i = 0; i < 2; i++) {
			struct sipc__flow *f = flows[i];
			bool up = f == &r->up;
			int n;

			if (f->done)
				continue;
			n = flow_drain(r, f);
			if (n == MOVED)
				moved = true;
			if (n < 0) {
				fail(r, up, n);
				return;
			}
			n = flow_fill(r, f);
			if (n == MOVED)
				moved = true;
			if (n < 0) {
				fail(r, !up, n);
				return;
			}
			n = flow_drain(r, f);
			if (n < 0) {
				fail(r, up, n);
				return;
			}
			if (f->eof && pending(r, f) == 0) {
				pass_end(f);
				f->done = true;
				moved = true;
			}
		}
	}
	if (r->ended)
		return;
	if (r->up.done && r->down.done && !sipc__serve_ep_holds(eps[0]) &&
	    !sipc__serve_ep_holds(eps[1])) {
		end(r, NULL);
		return;
	}
	/* Still moving after the last round, or bytes wait in a transport
	 * where epoll cannot see them: go on next turn even if no event
	 * comes (a hung-up descriptor is watched one shot only). */
	if (moved || held(r, &r->up) || held(r, &r->down))
		sipc__timer_start(sipc__conn_loop(r->c), &r->kick, 0);
	set_events(r);
}

static void on_other(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc__relay *r = io->arg;

	(void)loop;
	if (revents & SIPC_LOOP_ERR) {
		int soerr = 0;
		sipc__sys_getsockopt_int(r->bfd, SOL_SOCKET, SO_ERROR, &soerr);
		if (soerr != 0) {
			fail(r, true, -soerr);
			return;
		}
	}
	if (revents & SIPC_LOOP_HUP)
		r->other_hup = true;
	pump(r);
}

static void on_kick(sipc_loop *loop, sipc_loop_timer *t)
{
	(void)loop;
	pump(t->arg);
}

void sipc__relay_init(struct sipc__relay *r, struct sipc_conn *c, const char *other,
		      sipc__relay_end_fn *on_end)
{
	memset(r, 0, sizeof(*r));
	r->c = c;
	r->other = other;
	r->on_end = on_end;
	r->seqpacket = sipc__conn_is_seqpacket(c);
	r->bfd = -1;
	/* Nothing for sipc__relay_free to free until the relay starts. */
	sipc__flow_init(&r->up, -1, -1, 0, 0, 0);
	sipc__flow_init(&r->down, -1, -1, 0, 0, 0);
	sipc__io_init(&r->bio, -1, on_other, r);
	sipc__timer_init(&r->kick, on_kick, r);
}

void sipc__relay_start(struct sipc__relay *r, int bfd, sipc_endpoint *bep)
{
	sipc_endpoint *cep = sipc__conn_ep(r->c);
	int cfd = sipc__conn_fd(r->c);
	/* Streams splice through a pipe of the kernel's default size, grown
	 * when it fills; a seqpacket flow keeps each message whole in a
	 * buffer of --max-msg. */
	unsigned flags =
		SIPC__FLOW_IN_SOCK | SIPC__FLOW_OUT_SOCK | (r->seqpacket ? 0 : SIPC__FLOW_PIPE);
	size_t cap = r->seqpacket ? sipc__svc_ep_max_msg(sipc__conn_endpoint(r->c)) : RELAY_BUF;

	r->bep = bep;
	r->bfd = bep != NULL ? sipc_endpoint_fd(bep) : bfd;
	r->started = true;
	sipc__io_init(&r->bio, r->bfd, on_other, r);
	sipc__flow_init(&r->up, cfd, r->bfd, flags, 0, cap);
	sipc__flow_init(&r->down, r->bfd, cfd, flags, 0, cap);
	sipc__flow_pipe_grows(&r->up, RELAY_PIPE);
	sipc__flow_pipe_grows(&r->down, RELAY_PIPE);
	/* Endpoint sides go through their transport (no splice for TLS);
	 * two plain sockets keep the pipe. */
	sipc__flow_endpoints(&r->up, cep, bep);
	sipc__flow_endpoints(&r->down, bep, cep);
	pump(r);
}

void sipc__relay_client_io(struct sipc__relay *r, uint32_t revents)
{
	if (revents & SIPC_LOOP_ERR) {
		int soerr = 0;
		sipc__sys_getsockopt_int(sipc__conn_fd(r->c), SOL_SOCKET, SO_ERROR, &soerr);
		if (soerr != 0 || !r->started) {
			fail(r, false, soerr ? -soerr : -ECONNRESET);
			return;
		}
	}
	if (revents & SIPC_LOOP_HUP) {
		r->client_hup = true;
		if (!r->started) {
			/* The client has gone before the other side was there. */
			fail(r, false, -EPIPE);
			return;
		}
	}
	if (r->started && !r->ended)
		pump(r);
}

void sipc__relay_free(struct sipc__relay *r)
{
	sipc_loop *loop = sipc__conn_loop(r->c);

	sipc__io_stop(loop, &r->bio);
	sipc__timer_stop(loop, &r->kick);
	if (r->bep != NULL)
		sipc_endpoint_close(r->bep); /* and bfd with it */
	else if (r->bfd >= 0)
		sipc__sys_close(r->bfd);
	r->bep = NULL;
	r->bfd = -1;
	sipc__flow_free(&r->up);
	sipc__flow_free(&r->down);
}
