/*
 * worker.c - one worker thread of the event model: its loop watches every
 * listening descriptor (shared with the other workers through
 * SIPC_LOOP_EXCLUSIVE) and the datagram descriptors it owns, accepts
 * connections and applies --allow, --max-conns and the service's own
 * limits (limits.h, with the cps pause) in one admission
 * (sipc__worker_admit: at accept, or after the PROXY header of a trusted
 * upstream's connection, proxyin.c), survives EMFILE/ENFILE
 * with a spare descriptor and a pause, and drains on request from the main
 * thread.  It hands each accepted connection to the model (model.h:
 * event serves it in this worker, thread and fork give it a thread or a
 * process), and the same struct, marked solo, serves one connection in a
 * thread or child of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "serve/acl.h"
#include "serve/limits.h"
#include "serve/model.h"
#include "serve/plat.h"
#include "serve/server.h"
#include "sys/sys.h"

/* Connections taken per wake-up before other descriptors get a turn. */
#define ACCEPT_BATCH 32

/*
 * Stops watching the listeners.  On the ring path the kernel may have
 * accepted connections for this worker that the loop has not handed over
 * yet: closing them would reset peers that on epoll wait in the backlog
 * for a newer generation (--handover; serve_reload saw 1 to 3 resets in
 * 300-800 clients).  Unless NOW (the loop has stopped), the ring's accept
 * ends instead (sipc__io_accept_end): what it took is served, then its
 * end stops the io (on_accepted), and the worker's loop runs until then
 * (sipc__worker_conn_gone).
 */
static void stop_listening(struct sipc_worker *w, bool now)
{
	for (size_t i = 0; i < w->srv->neps; i++) {
		struct sipc_worker_ep *we = &w->weps[i];

		if (!now && we->ring && we->io.active && !we->ending &&
		    !sipc__io_accept_end(w->loop, &we->io)) {
			we->ending = true;
			w->nending++;
		} else if (now || !we->ending) {
			sipc__io_stop(w->loop, &we->io);
			if (we->ending)
				w->nending--;
			we->ending = false;
		}
		sipc__timer_stop(w->loop, &we->backoff);
		if (we->held_fd >= 0) {
			close(we->held_fd);
			we->held_fd = -1;
		}
	}
}

/*
 * A retiring worker's last turn on each readiness listener.  The kernel
 * wakes one of the loops waiting on a listener (SIPC_LOOP_EXCLUSIVE): when
 * it woke this one for a connection or datagram in the same turn as the
 * retire, and the retire came first, what woke it would wait in the
 * backlog, the next generation never told, until someone else came.  The
 * ring path does the same once its accept has ended (backend_uring.c
 * accept_leftovers).  What is taken here is served here, as the
 * connections this worker has already.
 */
static void take_leftovers(struct sipc_worker *w)
{
	for (size_t i = 0; i < w->srv->neps; i++) {
		struct sipc_worker_ep *we = &w->weps[i];

		if (!we->ring && we->io.active)
			we->io.cb(w->loop, &we->io, SIPC_LOOP_IN);
	}
}

static uint32_t listen_events(void)
{
	/* One wake-up per new connection or datagram instead of one per
	 * worker: the kernel wakes one of the loops that hold the fd. */
	return SIPC_LOOP_IN | SIPC_LOOP_EXCLUSIVE;
}

void sipc__worker_conn_gone(struct sipc_worker *w)
{
	/* A solo worker (thread and fork models) exists for one connection. */
	if ((w->draining || w->retiring || w->solo) && w->nconns == 0 && w->nproxyin == 0 &&
	    w->nending == 0)
		sipc__loop_stop(w->loop);
}

static void on_drain_timer(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc_worker *w = t->arg;

	(void)loop;
	sipc__conn_close_all(w, "drain timeout");
	sipc__worker_conn_gone(w);
}

static void on_wake(sipc_loop *loop, void *arg)
{
	struct sipc_worker *w = arg;
	int req = __atomic_load_n(&w->drain_req, __ATOMIC_ACQUIRE);

	if (__atomic_load_n(&w->retire_req, __ATOMIC_ACQUIRE) && !w->retiring && !w->draining) {
		w->retiring = true;
		take_leftovers(w);
		stop_listening(w, false);
		/* The last one closes the listeners: not while a ring's
		 * accept still hands over what it took (on_accepted tells). */
		if (w->nending == 0)
			sipc__server_worker_retired(w->srv);
	}
	if (req >= 1 && !w->draining) {
		w->draining = true;
		stop_listening(w, false);
		sipc__proxyin_close_all(w, "PROXY header: the server is draining");
		sipc__conn_drain_all(w);
		if (w->nconns > 0)
			sipc__timer_start(loop, &w->drain_timer, w->srv->cfg->drain_ms);
	}
	if (req >= 2)
		sipc__conn_close_all(w, "stopped");
	sipc__worker_conn_gone(w);
}

void sipc__worker_request_drain(struct sipc_worker *w, int level)
{
	__atomic_store_n(&w->drain_req, level, __ATOMIC_RELEASE);
	sipc__loop_wake(w->loop);
}

void sipc__worker_request_retire(struct sipc_worker *w)
{
	__atomic_store_n(&w->retire_req, 1, __ATOMIC_RELEASE);
	sipc__loop_wake(w->loop);
}

/* Closes a connection at once, counted; the `refused` line carries the
 * service's log_on_failure fields (none without ATTEMPT: only counted)
 * and is rate-limited per service under a flood (limits.h).  VIA: the
 * upstream whose PROXY header named PEER, or NULL. */
static void refuse_via(struct sipc_worker_ep *we, sipc_endpoint *conn, const sipc_addr *peer,
		       const sipc_addr *via, const char *why)
{
	const struct sipc_srv_endpoint *sep = we->sep;
	unsigned fields = sep->line->conf->log_on_failure;
	char pstr[2 * SIPC_URL_MAX + 16] = "", more[64] = "";
	uint64_t n = 0;

	SIPC__STAT_ADD(we->w->stats[sep->index].refused, 1);
	sipc_endpoint_close(conn);
	if (we->w->srv->cfg->verbosity < 1 || !(fields & SIPC_LOGF_ATTEMPT) ||
	    !sipc__limits_log_take(sep->limits, peer, sipc__loop_clock_ms(), &n))
		return;
	if (fields & SIPC_LOGF_HOST) {
		char a[SIPC_URL_MAX];
		char v[SIPC_URL_MAX] = "";
		if (sipc_addr_format(peer, a, sizeof(a)) < 0)
			snprintf(a, sizeof(a), "?");
		if (via != NULL && sipc_addr_format(via, v, sizeof(v)) < 0)
			snprintf(v, sizeof(v), "?");
		snprintf(pstr, sizeof(pstr), " peer=%s%s%s", a, v[0] ? " via=" : "", v);
	}
	if (n > 0)
		snprintf(more, sizeof(more), " (%llu more refused)", (unsigned long long)n);
	sipc__serve_log(we->w->srv, 1, "refused %s local=%s%s: %s%s", sep->svc->name, sep->url,
			pstr, why, more);
}

void sipc__worker_refuse(struct sipc_worker_ep *we, sipc_endpoint *conn, const sipc_addr *peer,
			 const char *why)
{
	refuse_via(we, conn, peer, NULL, why);
}

/* Rests from accepting on WE for MS (EMFILE, a cps pause).  The ring
 * path only stops accepting: what the kernel had accepted already is kept
 * by the loop and handed over first when it starts again. */
static void rest(struct sipc_worker_ep *we, int64_t ms)
{
	if (we->ending)
		return; /* no more accepting anyway */
	if (we->ring)
		sipc__io_accept_stop(we->w->loop, &we->io);
	else
		sipc__io_stop(we->w->loop, &we->io);
	sipc__timer_start(we->w->loop, &we->backoff, ms);
}

static int start_listening(struct sipc_worker_ep *we);
static void serve_accepted(struct sipc_worker_ep *we, sipc_endpoint *conn);

static void on_backoff(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc_worker_ep *we = t->arg;
	struct sipc__limits *l = we->sep->limits;
	int64_t now = sipc__loop_clock_ms(), left = sipc__limits_paused(l, now);

	if (left > 0) {
		rest(we, left);
		return;
	}
	if (sipc__limits_pause_over(l, now))
		sipc__serve_log(we->w->srv, 1, "cps %s: the pause is over, accepting again",
				we->sep->svc->name);
	(void)loop;
	if (we->w->draining || we->w->retiring)
		return;
	if (we->held_fd >= 0) {
		/* The connection the ring had taken as the pause began: the
		 * first after it, as it would be from the backlog. */
		int fd = we->held_fd;
		sipc_endpoint *conn;

		we->held_fd = -1;
		if (sipc__ep_accepted(we->sep->ep, fd, NULL, 0, &conn) == 0)
			serve_accepted(we, conn);
	}
	(void)start_listening(we);
}

/*
 * Out of descriptors (or kernel memory): the pending connection would make
 * the listener readable forever and the loop spin.  As libuv does, give up
 * the spare descriptor, accept the connection and close it at once (the
 * client sees a clean close instead of hanging), take the spare back, and
 * stop watching this listener for a moment.
 */
static void shed(struct sipc_worker_ep *we, int err)
{
	struct sipc_worker *w = we->w;
	sipc_endpoint *conn;

	if ((err == -EMFILE || err == -ENFILE) && w->spare_fd >= 0) {
		close(w->spare_fd);
		w->spare_fd = -1;
		if (sipc_accept(we->sep->ep, 0, &conn) == 0) {
			SIPC__STAT_ADD(w->stats[we->sep->index].refused, 1);
			sipc_endpoint_close(conn);
		}
		w->spare_fd = sipc__serve_spare_fd();
	}
	if (!w->emfile_noted) {
		w->emfile_noted = true;
		sipc__serve_log(w->srv, 0,
				"accept %s: %s; closing new connections until resources come back",
				we->sep->url, sipc_strerror(err));
	}
	rest(we, SIPC_SERVE_ACCEPT_BACKOFF_MS);
}

/* A unix peer's credentials, taken by the kernel at connect(2), against
 * --allow-uid/--allow-gid and an own-only endpoint (acl.h).  True when it
 * may stay; WHY says otherwise. */
static bool cred_allowed(struct sipc_worker_ep *we, sipc_endpoint *conn, char *why, size_t len)
{
	const struct sipc_acl *acl = &we->w->srv->cfg->acl;
	const struct sipc_srv_endpoint *sep = we->sep;
	sipc_cred cr;

	if (!sipc_scheme_is_unix(sep->scheme) || sep->kind == SIPC__SVC_DGRAM ||
	    (!sep->own_only && !sipc__acl_has_creds(acl)))
		return true;
	if (sipc_endpoint_peercred(conn, &cr) < 0) {
		snprintf(why, len, "peer credentials unknown");
		return false;
	}
	if (sipc__acl_cred_allows(acl, sep->own_only, sipc__sys_euid(), cr.uid, cr.gid))
		return true;
	snprintf(why, len, "uid %lu gid %lu pid %ld not admitted (%s)", (unsigned long)cr.uid,
		 (unsigned long)cr.gid, (long)cr.pid,
		 sipc__acl_has_creds(acl) ? "--allow-uid/--allow-gid"
					  : "only the server's own uid");
	return false;
}

/*
 * A bound on TLS connections still in their handshake, so that clients
 * that connect and stall (slowloris) cannot pile up memory and
 * descriptors faster than --handshake-timeout clears them: beyond it a new
 * connection is closed at once, with a log line, rather than left in the
 * backlog, where it would hold the clients behind it (plain ones of other
 * endpoints too) until its own timeout.  What is counted is the model's
 * (model.h: per worker, over the connection threads, or nothing).
 */
static bool handshakes_full(struct sipc_worker *w, char *why, size_t len)
{
	const struct sipc_serve_config *cfg = w->srv->cfg;
	long now, max = cfg->max_handshakes;

	if (w->srv->ops->handshakes == NULL)
		return false;
	now = w->srv->ops->handshakes(w, &max);
	if (now < max)
		return false;
	snprintf(why, len, "%ld connections in their TLS handshake (--max-handshakes=%ld)", now,
		 cfg->max_handshakes);
	return true;
}

/*
 * The service's own limits (limits.h), on top of the global ones: true
 * with *T holding the connection's place, or refused (closed, counted,
 * logged).  A refusal that begins a cps pause stops this listener at
 * once; the other workers stop theirs when the listener next wakes them
 * (on_listen looks before each accept).  So while paused, nobody accepts
 * on the service and new connections wait in the backlog, as under
 * xinetd, rather than being refused; the one that crossed the limit was
 * accepted already and is refused with the reason.
 */
static bool admit(struct sipc_worker_ep *we, sipc_endpoint *conn, const sipc_addr *peer,
		  const sipc_addr *via, struct sipc__ticket *t)
{
	struct sipc__peer who = {peer, NULL};
	struct sipc__limits *l = we->sep->limits;
	const struct sipc_svc_conf *conf = sipc__limits_conf(l);
	int64_t now = sipc__loop_clock_ms();
	char why[160];
	sipc_cred cr;
	int rc;

	if (sipc_scheme_is_unix(we->sep->scheme) && sipc_endpoint_peercred(conn, &cr) == 0)
		who.cred = &cr;
	rc = sipc__limits_admit(l, &who, now, -1, t, why, sizeof(why));
	if (rc == SIPC_LIMITS_ADMITTED)
		return true;
	if (rc == SIPC_LIMITS_PAUSED) {
		sipc__serve_log(we->w->srv, 1, "cps %s: %s: not accepting for %d.%03d s",
				we->sep->svc->name, why, conf->cps_pause_ms / 1000,
				conf->cps_pause_ms % 1000);
		rest(we, conf->cps_pause_ms);
	}
	refuse_via(we, conn, peer, via, why);
	return false;
}

/*
 * The admission of a peer: the one place --allow, the unix credentials,
 * the TLS handshake bound, the service's limits and --max-conns are
 * applied, in that order, to WHO's peer: at accept for most connections,
 * after the PROXY header for a trusted upstream's (then the peer is the
 * client the header names, and the refused line says via= the upstream).
 */
void sipc__worker_admit(struct sipc_worker_ep *we, sipc_endpoint *conn,
			const struct sipc__conn_who *who)
{
	struct sipc_worker *w = we->w;
	const struct sipc_serve_config *cfg = w->srv->cfg;
	const sipc_addr *peer = &who->peer, *via = who->via.len > 0 ? &who->via : NULL;
	struct sipc__ticket t;
	char why[128];

	if (!sipc__acl_allows(&cfg->acl, peer)) {
		refuse_via(we, conn, peer, via, "not in --allow");
		return;
	}
	if (!cred_allowed(we, conn, why, sizeof(why))) {
		refuse_via(we, conn, peer, via, why);
		return;
	}
	if (sipc_scheme_is_tls(we->sep->scheme) && handshakes_full(w, why, sizeof(why))) {
		refuse_via(we, conn, peer, via, why);
		return;
	}
	if (!admit(we, conn, peer, via, &t))
		return;
	long open = __atomic_add_fetch(&w->srv->open_conns, 1, __ATOMIC_RELAXED);
	if (cfg->max_conns > 0 && open > cfg->max_conns) {
		__atomic_fetch_sub(&w->srv->open_conns, 1, __ATOMIC_RELAXED);
		sipc__limits_release(&t);
		refuse_via(we, conn, peer, via, "--max-conns reached");
		return;
	}
	w->srv->ops->conn(w, we->sep, conn, who, &t);
}

/* The one body for every accepted connection, whoever accepted it
 * (on_listen's sipc_accept, on_accepted's ring): its peer, the PROXY
 * header of a trusted upstream, the admission. */
static void serve_accepted(struct sipc_worker_ep *we, sipc_endpoint *conn)
{
	sipc_addr peer;

	we->w->emfile_noted = false;
	if (sipc_endpoint_peer(conn, &peer) < 0) {
		peer.scheme = we->sep->scheme;
		peer.len = 0;
		peer.ss.ss_family = AF_UNSPEC;
	}
	/* A trusted upstream's connection is admitted once its PROXY header
	 * has named the real client (proxyin.c). */
	if (sipc__proxyin_trusted(we->sep, &peer)) {
		sipc__proxyin_start(we, conn, &peer);
		return;
	}
	struct sipc__conn_who who = {.peer = peer};
	sipc__worker_admit(we, conn, &who);
}

static void on_listen(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc_worker_ep *we = io->arg;
	struct sipc_worker *w = we->w;

	(void)loop;
	(void)revents;
	for (int i = 0; i < ACCEPT_BATCH && io->active; i++) {
		sipc_endpoint *conn;
		int64_t paused = sipc__limits_paused(we->sep->limits, sipc__loop_clock_ms());
		if (paused > 0) {
			/* cps: new connections wait in the backlog (limits.h). */
			rest(we, paused);
			break;
		}
		int r = sipc_accept(we->sep->ep, 0, &conn);

		/* Another worker may have taken it: nothing is pending. */
		if (r == -EAGAIN || r == SIPC_ETIMEDOUT)
			break;
		if (r == -EMFILE || r == -ENFILE || r == -ENOBUFS || r == -ENOMEM) {
			shed(we, r);
			break;
		}
		if (r < 0) {
			sipc__serve_log(w->srv, 2, "accept %s: %s", we->sep->url, sipc_strerror(r));
			continue;
		}
		serve_accepted(we, conn);
	}
}

/*
 * The ring path (io_uring, loop.h sipc__io_accept_start): the loop's
 * multishot accept hands over each connection's descriptor, with no
 * accept(2) and no readiness turn per connection; the endpoint is made
 * from it as sipc_accept makes one (sipc__ep_accepted), then the same
 * body as on_listen's.  A cps pause that begins keeps the descriptor for
 * when it ends (the ring took it off the backlog already); EMFILE and
 * its kin stopped the loop's accepting: shed() as on_listen does.
 */
static void on_accepted(sipc_loop *loop, sipc_loop_io *io, int fd)
{
	struct sipc_worker_ep *we = io->arg;
	struct sipc_worker *w = we->w;
	sipc_endpoint *conn;
	int64_t paused;
	int r;

	(void)loop;
	if (we->ending && fd < 0 && !sipc__io_accepting(io)) {
		/* The end of accept_end (or an error that ended it first). */
		sipc__io_stop(loop, io);
		we->ending = false;
		if (--w->nending == 0 && w->retiring)
			sipc__server_worker_retired(w->srv);
		sipc__worker_conn_gone(w);
		return;
	}
	if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM) {
		shed(we, fd);
		return;
	}
	if (fd < 0) {
		sipc__serve_log(w->srv, 2, "accept %s: %s", we->sep->url, sipc_strerror(fd));
		if (!sipc__io_accepting(io))
			rest(we, SIPC_SERVE_ACCEPT_BACKOFF_MS);
		return;
	}
	paused = sipc__limits_paused(we->sep->limits, sipc__loop_clock_ms());
	if (paused > 0 && !we->ending) {
		/* cps: the others wait in the backlog, or in the loop. */
		we->held_fd = fd;
		rest(we, paused);
		return;
	}
	r = sipc__ep_accepted(we->sep->ep, fd, NULL, 0, &conn);
	if (r < 0) {
		sipc__serve_log(w->srv, 2, "accept %s: %s", we->sep->url, sipc_strerror(r));
		return;
	}
	serve_accepted(we, conn);
}

/*
 * Whether the loop accepts for WE (the ring path) rather than telling its
 * readiness: on a loop that completes (io_uring) and a plain stream
 * listener (tcp, unix, unixpacket: tls and shm keep sipc_accept).
 *
 * One worker takes a multishot accept.  Several workers share every
 * listener, and a multishot accept has no exclusive mode of ours, but the
 * kernel polls for an accept exclusively and the first request on the
 * listener's wait queue stays first: one worker took every connection and
 * the other never woke.  Measured 2026-12-03 (kernel 6.18, 2 vCPUs, serve
 * -w 2 --io uring, bench --new-conn -c 4 -D 3, a counter per worker and
 * the threads' voluntary context switches): multishot, unix echo 149834
 * connections to one worker and 0 to the other (0 switches: no extra
 * wake-ups, no spread either), tcp 42837 and 0.  So with several workers
 * each takes one connection per request (sipc__io_accept_start_shared),
 * armed again by its next turn's submit, at the tail of the queue: the
 * workers take turns.  unix 49397 / 48366 (0.75 switches a connection),
 * tcp 21384 / 21198 (0.94); readiness with SIPC_LOOP_EXCLUSIVE, as on
 * epoll, spread them less evenly (unix 48478 / 42067, 0.95 switches; tcp
 * 24556 / 17960, 1.07).  serve has no listener per worker (SO_REUSEPORT:
 * server.h says why), which a multishot accept per worker would need.
 *
 * What it saves (strace -f -c of serve, bench --new-conn -c 4 -n 3000,
 * one echo each, 2026-12-03): -w 1, unix 24250 system calls before (8.1 a
 * connection: accept4 3750, 750 of them EAGAIN; io_uring_enter 1573),
 * 19868 with the ring (6.6: no accept4; io_uring_enter 1691); tcp 31807
 * (10.6) and 27445 (9.1).  -w 2: unix 28237 (9.4: accept4 4994, 1994
 * EAGAIN) and 21269 (7.1), tcp 35892 (12.0) and 30770 (10.3).
 * Connections/s, bench --new-conn -c 8 -D 3, runs interleaved, before and
 * after, on a 2-vCPU VM that other jobs shared: -w 1 (serve taskset to
 * CPU 0, bench to CPU 1) unix 52117 56008 69062 / 57828 68850 71319; -c 1
 * unix 12467 10947 9247 / 11951 10530 9147 (latency-bound: equal within
 * the noise); tcp -c 8 jumps between about 14200 and 35000-41000 on both
 * builds from one run to the next (14263 14240 14261 14265 35808 39341
 * 41052 / 14339 33186 27914 20128 35491 25507 40002): no difference
 * shows.  -w 2 (no taskset) unix 43600 39063 41602 / 41510 44380 46220,
 * tcp 14166 14215 14160 / 14136 14234 14167.
 *
 * Every model: under --model thread and fork (one accepting worker, so a
 * multishot accept) uring/serve_reload lost 1 to 4 clients in 260-470
 * across six reloads in 3 of 10 runs (the event model with -w 1 as well),
 * which af91c6a worked around by keeping the ring to the event model.
 * The cause was the kernel's exclusive wake-up: a request that takes it
 * and is cancelled (sipc__io_accept_end, as this generation retires)
 * before its task runs it accepts nothing, and the next generation's
 * request is not woken for those connections; they waited in the backlog
 * until another client came (10 s: the clients' timeout).  The loop now
 * empties the backlog once an ended accept is gone and hands over what
 * it finds (backend_uring.c accept_leftovers; test_loop_accept
 * test_end_wakeups).  And under fork the parent stopped on its last
 * child's exit while its ring's accept was still ending, closing (a
 * reset) what the ring had taken: it waits for nending now
 * (model_fork.c finished).
 */
static bool ring_path(const struct sipc_worker_ep *we)
{
	const struct sipc_srv_endpoint *sep = we->sep;

	return sep->kind != SIPC__SVC_DGRAM && sep->ep != NULL &&
	       sipc__loop_completes(we->w->loop) && sipc__ep_plain_accept(sep->ep);
}

/* Watches WE's listener: the ring path, or readiness. */
static int start_listening(struct sipc_worker_ep *we)
{
	int err;

	if (!we->ring)
		return sipc__io_start(we->w->loop, &we->io, listen_events());
	err = sipc__io_start(we->w->loop, &we->io, 0);
	if (err == 0 && we->w->srv->nworkers > 1)
		err = sipc__io_accept_start_shared(we->w->loop, &we->io, on_accepted);
	else if (err == 0)
		err = sipc__io_accept_start(we->w->loop, &we->io, on_accepted);
	return err;
}

uint32_t sipc__worker_random(struct sipc_worker *w, uint32_t n)
{
	/* xorshift64*: plenty for chargen's datagram lengths. */
	uint64_t x = w->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	w->rng = x;
	return n ? (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32) % n : 0;
}

int sipc__worker_init(struct sipc_worker *w, struct sipc__server *srv, int id)
{
	size_t n = srv->neps;
	struct timespec ts;
	int err;

	w->srv = srv;
	w->id = id;
	w->spare_fd = -1;
	w->scratch_cap = SIPC_SERVE_READ_CHUNK;
	if (srv->cfg->max_msg > w->scratch_cap)
		w->scratch_cap = srv->cfg->max_msg;
	w->scratch = malloc(w->scratch_cap);
	w->stats = calloc(n ? n : 1, sizeof(*w->stats));
	w->weps = calloc(n ? n : 1, sizeof(*w->weps));
	if (w->scratch == NULL || w->stats == NULL || w->weps == NULL) {
		err = -ENOMEM;
		goto fail;
	}
	err = sipc__loop_new(&w->loop, on_wake, w);
	if (err < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		struct sipc_worker_ep *we = &w->weps[i];
		we->w = w;
		we->sep = &srv->eps[i];
		we->held_fd = -1;
		sipc__io_init(&we->io, we->sep->fd,
			      we->sep->kind == SIPC__SVC_DGRAM ? sipc__dgram_on_io : on_listen, we);
		sipc__timer_init(&we->backoff, on_backoff, we);
	}
	sipc__timer_init(&w->drain_timer, on_drain_timer, w);
	w->spare_fd = sipc__serve_spare_fd();
	clock_gettime(CLOCK_REALTIME, &ts);
	w->rng = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		 ((uint64_t)(id + 1) * 0x9E3779B97F4A7C15ULL);
	if (w->rng == 0)
		w->rng = 1;
	return 0;
fail:
	free(w->scratch);
	free(w->stats);
	free(w->weps);
	w->scratch = NULL;
	w->stats = NULL;
	w->weps = NULL;
	return err;
}

static void *worker_main(void *arg)
{
	struct sipc_worker *w = arg;
	int err = sipc__loop_run(w->loop);

	if (err < 0)
		sipc__serve_log(w->srv, 0, "worker %d: event loop: %s", w->id, sipc_strerror(err));
	stop_listening(w, true);
	sipc__timer_stop(w->loop, &w->drain_timer);
	w->draining = true;
	sipc__proxyin_close_all(w, "PROXY header: stopped");
	sipc__conn_close_all(w, "stopped");
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	sipc__loop_wake(w->srv->ctl);
	return NULL;
}

int sipc__worker_listen(struct sipc_worker *w)
{
	for (size_t i = 0; i < w->srv->neps; i++) {
		const struct sipc_srv_endpoint *sep = &w->srv->eps[i];
		/* A datagram endpoint is read by its owner alone (server.h). */
		if (sep->kind == SIPC__SVC_DGRAM && sep->owner != w->id)
			continue;
		int err = sep->kind == SIPC__SVC_DGRAM ? sipc__dgram_prepare(w, sep) : 0;
		if (err < 0)
			return err;
		w->weps[i].ring = ring_path(&w->weps[i]);
		err = start_listening(&w->weps[i]);
		if (err < 0)
			return err;
	}
	return 0;
}

int sipc__worker_start(struct sipc_worker *w)
{
	int err = sipc__worker_listen(w);

	if (err < 0)
		return err;
	err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err != 0)
		return -err;
	w->started = true;
	return 0;
}

void sipc__worker_fini(struct sipc_worker *w)
{
	if (w->loop != NULL) {
		stop_listening(w, true);
		sipc__proxyin_close_all(w, "PROXY header: stopped");
		sipc__timer_stop(w->loop, &w->drain_timer);
		sipc__loop_free(w->loop);
		w->loop = NULL;
	}
	if (w->spare_fd >= 0)
		close(w->spare_fd);
	w->spare_fd = -1;
	free(w->scratch);
	free(w->stats);
	free(w->weps);
	free(w->droplog);
	sipc__dgram_batch_free(w->dgbatch);
	w->dgbatch = NULL;
	w->scratch = NULL;
	w->stats = NULL;
	w->weps = NULL;
	w->droplog = NULL;
}
