/*
 * proxyin.c - `--accept-proxy` / `accept_proxy`: a connection from a
 * trusted upstream (haproxy, a load balancer) begins with a PROXY header
 * (proxyhdr.h) naming the real client, and it is read here, in the loop
 * of the worker that accepted it, before anything else sees the
 * connection: before the admission (worker.c: --allow, per_source... then
 * apply to the real client), before the model hands it to a thread or a
 * process (so under fork the limits stay the parent's), and before a TLS
 * handshake (haproxy sends the header first).
 *
 * The header is read without ever taking a byte of the client's: the
 * bytes are peeked, parsed, and only the header's own are consumed (every
 * byte of an incomplete header is a header byte, so those may be taken
 * as they come, which also keeps a level-triggered loop from waking on
 * them again).  The wait is bounded in bytes (SIPC__PROXYHDR_MAX), in time
 * (--handshake-timeout) and in number per worker (--max-handshakes), so
 * an upstream that stalls costs its connection, never the worker.  A bad,
 * truncated or missing header closes that connection alone, with one
 * `refused` line naming the upstream and what was wrong (the parser
 * escapes every peer byte it quotes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxyhdr.h"
#include "serve/acl.h"
#include "serve/server.h"
#include "sys/net.h"
#include "sys/sys.h"

struct sipc__proxyin {
	struct sipc__proxyin *prev, *next;
	struct sipc_worker_ep *we;
	sipc_endpoint *ep;
	int fd;
	sipc_addr via; /* the upstream */
	sipc_loop_io io;
	sipc_loop_timer timer;
	size_t len; /* header bytes taken so far, in buf */
	uint8_t buf[SIPC__PROXYHDR_MAX];
};

bool sipc__proxyin_trusted(const struct sipc_srv_endpoint *sep, const sipc_addr *peer)
{
	const struct sipc_acl *a = &sep->line->conf->accept_proxy;

	/* sipc__acl_allows admits everyone on an empty list, and unix
	 * peers always: neither is a trusted upstream. */
	return a->n > 0 && sep->kind == SIPC__SVC_STREAM &&
	       (peer->ss.ss_family == AF_INET || peer->ss.ss_family == AF_INET6) &&
	       sipc__acl_allows(a, peer);
}

/* Takes P off its worker's list and out of the loop; the caller owns
 * P->ep and frees P. */
static void detach(struct sipc__proxyin *p)
{
	struct sipc_worker *w = p->we->w;

	if (w->loop != NULL) {
		sipc__io_stop(w->loop, &p->io);
		sipc__timer_stop(w->loop, &p->timer);
	}
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		w->proxyin = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	w->nproxyin--;
}

/* Closes P's connection with its refused line. */
static void fail(struct sipc__proxyin *p, const char *why)
{
	struct sipc_worker_ep *we = p->we;

	detach(p);
	sipc__worker_refuse(we, p->ep, &p->via, why);
	free(p);
	sipc__worker_conn_gone(we->w);
}

/* The header H is complete: the connection goes to the admission with
 * the addresses it names. */
static void done(struct sipc__proxyin *p, const struct sipc__proxyhdr *h)
{
	struct sipc_worker_ep *we = p->we;
	struct sipc__conn_who who;
	sipc_endpoint *ep = p->ep;

	memset(&who, 0, sizeof(who));
	if (h->local || h->src.ss.ss_family == AF_UNIX) {
		/* LOCAL (the upstream's own health check), UNKNOWN, or a unix
		 * client, which no IP rule could name: the connection is the
		 * upstream's own. */
		who.peer = p->via;
	} else {
		who.peer = h->src;
		who.local = h->dst;
		who.via = p->via;
		/* tls listeners name their peers tls://. */
		who.peer.scheme = who.local.scheme = p->via.scheme;
	}
	detach(p);
	free(p);
	sipc__worker_admit(we, ep, &who);
	sipc__worker_conn_gone(we->w);
}

static void on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc__proxyin *p = io->arg;
	char why[SIPC_WHY_MAX], msg[SIPC_WHY_MAX + 32];
	struct sipc__proxyhdr h;
	size_t room = sizeof(p->buf) - p->len, take;
	ssize_t n, r;

	(void)loop;
	(void)revents;
	n = sipc__sys_recv(p->fd, p->buf + p->len, room, MSG_PEEK | MSG_DONTWAIT);
	if (n == -EAGAIN)
		return;
	if (n == 0) {
		snprintf(msg, sizeof(msg),
			 "PROXY header: the connection ended after %zu byte(s), before the header "
			 "was complete",
			 p->len);
		fail(p, msg);
		return;
	}
	if (n < 0) {
		snprintf(msg, sizeof(msg), "PROXY header: %s", sipc_strerror((int)n));
		fail(p, msg);
		return;
	}
	r = sipc__proxyhdr_parse(p->buf, p->len + (size_t)n, &h, why, sizeof(why));
	if (r < 0) {
		snprintf(msg, sizeof(msg), "PROXY header: %s", why);
		fail(p, msg);
		return;
	}
	/* Complete: only the header's bytes; not yet: all of them are. */
	take = r > 0 ? (size_t)r - p->len : (size_t)n;
	if (sipc__sys_recv(p->fd, p->buf + p->len, take, MSG_DONTWAIT) != (ssize_t)take) {
		fail(p, "PROXY header: the bytes peeked could not be read");
		return;
	}
	p->len += take;
	if (r > 0)
		done(p, &h);
}

static void on_timer(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc__proxyin *p = t->arg;
	int ms = p->we->w->srv->cfg->handshake_ms;
	char msg[160];

	(void)loop;
	snprintf(msg, sizeof(msg),
		 "PROXY header: not complete within --handshake-timeout %d.%03d s (%zu byte(s) "
		 "came)",
		 ms / 1000, ms % 1000, p->len);
	fail(p, msg);
}

void sipc__proxyin_start(struct sipc_worker_ep *we, sipc_endpoint *conn, const sipc_addr *via)
{
	struct sipc_worker *w = we->w;
	const struct sipc_serve_config *cfg = w->srv->cfg;
	struct sipc__proxyin *p;
	char why[128];

	if ((long)w->nproxyin >= cfg->max_handshakes) {
		snprintf(why, sizeof(why),
			 "%zu connections waiting for their PROXY header (--max-handshakes=%ld)",
			 w->nproxyin, cfg->max_handshakes);
		sipc__worker_refuse(we, conn, via, why);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		sipc__worker_refuse(we, conn, via, "PROXY header: out of memory");
		return;
	}
	p->we = we;
	p->ep = conn;
	p->fd = sipc_endpoint_fd(conn);
	p->via = *via;
	p->next = w->proxyin;
	if (w->proxyin != NULL)
		w->proxyin->prev = p;
	w->proxyin = p;
	w->nproxyin++;
	sipc__io_init(&p->io, p->fd, on_io, p);
	sipc__timer_init(&p->timer, on_timer, p);
	sipc__timer_start(w->loop, &p->timer, cfg->handshake_ms);
	int err = sipc__io_start(w->loop, &p->io, SIPC_LOOP_IN);
	if (err < 0) {
		snprintf(why, sizeof(why), "PROXY header: %s", sipc_strerror(err));
		fail(p, why);
	}
}

void sipc__proxyin_close_all(struct sipc_worker *w, const char *why)
{
	while (w->proxyin != NULL)
		fail(w->proxyin, why);
}

void sipc__proxyin_forget(struct sipc_worker *w)
{
	/* A forked connection process got copies of the descriptors of
	 * the parent's waiting connections: its copies go, so that the
	 * parent's close ends them.  Nothing else is touched: the memory
	 * and the loop are the parent's. */
	for (struct sipc__proxyin *p = w->proxyin; p != NULL; p = p->next)
		close(p->fd);
}
