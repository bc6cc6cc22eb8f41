/*
 * dgram.c - datagram endpoints (udp*, unixgram) under a worker loop: a
 * batch of datagrams taken with one recvmmsg into the worker's receive
 * buffers, then each one alone through the loop guard and the allow-list
 * and the service's on_datagram, exactly as if it had come by itself;
 * the replies are queued (dgbatch.h) and sent with sendmmsg that never
 * waits, before the next batch is read.  Each endpoint is read by its owner
 * worker alone (server.h), so one sender's datagrams are served, and
 * answered, in order.  Every drop is counted and logged, rate-limited per
 * sender (guard.h).  Udp endpoints ask for UDP GRO (udp(7)): a buffer may
 * then hold several datagrams of one sender, which are cut back at the
 * segment size the kernel gives and served one by one, so GRO never
 * merges two datagrams into one.  --max-batch 1 turns all of it off: one
 * datagram per receive call, one reply per send call.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/acl.h"
#include "serve/dgbatch.h"
#include "serve/guard.h"
#include "serve/limits.h"
#include "serve/server.h"
#include "sys/net.h"
#include "sys/sys.h"

struct sipc_dgram {
	struct sipc_worker *w;
	struct sipc_srv_endpoint *sep;
	sipc_addr from;
	bool replyable; /* an unbound unix sender has no address to answer */
	size_t replied; /* bytes sent back, for the -v line */
};

/* Receive calls per wake-up before other descriptors get a turn. */
#define DGRAM_BUDGET 64
/* Buffers per recvmmsg: at most DGRAM_RECV_MAX (and --max-batch), and
 * fewer when --max-msg is large, so the receive buffers stay within
 * DGRAM_RECV_BYTES (the pages of a buffer are touched only as far as its
 * datagrams fill them).  A udp buffer is 64 KiB at least, the most one
 * UDP GRO receive can hold: 32 of them are the 2 MiB a worker had before
 * GRO, with the default --max-msg. */
#define DGRAM_RECV_MAX   32
#define DGRAM_RECV_BYTES ((size_t)2 << 20)
/* Datagrams served between two flushes of the reply queue: a GRO buffer
 * holds up to 64, so one batch may hold more than its buffers. */
#define DGRAM_SERVED SIPC__DGB_MAX
/* Copies of replies that are not the received bytes themselves (chargen,
 * daytime): beyond this, the queue is sent first. */
#define DGRAM_ARENA ((size_t)64 << 10)

/* A worker's receive batch and reply queue, for all the datagram
 * endpoints it owns (one is served at a time). */
struct sipc__dgram_batch {
	size_t cap;    /* bytes per receive buffer: the largest --max-msg,
			  and SIPC__DGB_GRO_BYTES at least */
	unsigned nbuf; /* buffers per recvmmsg */
	uint8_t *rbuf; /* nbuf * cap */
	struct mmsghdr rmsg[DGRAM_RECV_MAX];
	struct iovec riov[DGRAM_RECV_MAX];
	struct sockaddr_storage rname[DGRAM_RECV_MAX];
	union {
		char buf[SIPC__DGB_GRO_CMSG];
		struct cmsghdr align;
	} rctl[DGRAM_RECV_MAX];
	/* The datagrams served since the last flush: the replies point at
	 * them until it is done. */
	struct sipc_dgram d[DGRAM_SERVED];
	ssize_t len[DGRAM_SERVED]; /* each datagram's size, -1 if not served */
	unsigned nd;
	struct sipc__dgb_queue q;
	/* Per endpoint index: 1 on, -1 off, 0 not probed yet. */
	signed char *gso; /* UDP GSO on send */
	signed char *gro; /* UDP GRO on receive */
	size_t ngso;
};

static struct sipc_srv_stats *stats(struct sipc_dgram *d)
{
	return &d->w->stats[d->sep->index];
}

/* --max-batch. */
static unsigned max_batch(const struct sipc_worker *w)
{
	unsigned n = w->srv->cfg->max_batch;

	return n == 0 ? SIPC_SERVE_MAX_BATCH_DEFAULT : n;
}

static void fmt_from(struct sipc_dgram *d, char *buf, size_t len)
{
	if (d->from.ss.ss_family == AF_UNSPEC)
		snprintf(buf, len, "an unnamed socket");
	else if (sipc_addr_format(&d->from, buf, len) < 0)
		snprintf(buf, len, "?");
	/* A unix sender chose its own name, and drop lines are written at the
	 * default verbosity: whatever the formatter leaves of it, no control
	 * byte reaches the log (a no-op on a percent-escaped name). */
	for (char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* Why a datagram from FROM is not served, or NULL. */
static const char *check(struct sipc_worker *w, const struct sipc_srv_endpoint *sep,
			 const sipc_addr *from)
{
	const struct sipc_serve_config *cfg = w->srv->cfg;
	const char *drop;

	/* Never answered, even with --no-guard: only a loop sends from there. */
	if (sipc__guard_is_self(&w->srv->self, from))
		return "source is an endpoint of this server";
	drop = sipc__guard_check(&cfg->guard, from, sep->svc->guard_any_port);
	if (drop == NULL && !sipc__acl_allows(&cfg->acl, from))
		drop = "not in --allow";
	/* The service's only_from, no_access and access_times hold per
	 * datagram; instances, per_source and cps count connections, which a
	 * datagram endpoint has not (limits.h).  A unixgram sender shows no
	 * credentials: only the CIDR rules and the times apply. */
	if (drop == NULL) {
		struct sipc__peer who = {from, NULL};
		drop = sipc__limits_access(sep->line->conf, &who, -1);
	}
	return drop;
}

void sipc__dgram_drop(struct sipc_dgram *d, const char *why)
{
	struct sipc_worker *w = d->w;
	uint64_t suppressed = 0, others = 0;
	char peer[SIPC_URL_MAX], more[96] = "";

	SIPC__STAT_ADD(stats(d)->dropped, 1);
	if (w->droplog == NULL) {
		w->droplog = calloc(1, sizeof(*w->droplog));
		if (w->droplog == NULL)
			return;
	}
	if (!sipc__droplog_take(w->droplog, &d->from, sipc__loop_now(w->loop), &suppressed,
				&others))
		return;
	fmt_from(d, peer, sizeof(peer));
	if (suppressed > 0 || others > 0)
		snprintf(more, sizeof(more),
			 " (and %llu more from it, %llu from others, not logged)",
			 (unsigned long long)suppressed, (unsigned long long)others);
	sipc__serve_log(w->srv, 1, "%s %s: dropped a datagram from %s: %s%s", d->sep->svc->name,
			d->sep->url, peer, why, more);
}

/* --hex: a datagram served or a reply, labelled with the service and peer. */
static void hex(struct sipc_dgram *d, char dir, const void *p, size_t n)
{
	sipc__serve_hex_fn *fn = d->w->srv->cfg->hex;
	char peer[SIPC_URL_MAX], who[SIPC_URL_MAX + 32];

	if (fn == NULL || n == 0)
		return;
	fmt_from(d, peer, sizeof(peer));
	snprintf(who, sizeof(who), "%s peer=%s", d->sep->svc->name, peer);
	fn(who, dir, 0, p, n);
}

/* One reply's fate after the flush (dgbatch.h): counted and shown as
 * sent, or dropped as a reply that could not go, as before batching. */
static void reply_done(void *ctx, const void *buf, size_t len, ssize_t result)
{
	struct sipc_dgram *d = ctx;

	(void)len;
	if (result < 0) {
		char why[128];
		snprintf(why, sizeof(why), "reply not sent: %s", sipc_strerror((int)result));
		sipc__dgram_drop(d, why);
		return;
	}
	hex(d, '>', buf, (size_t)result);
	SIPC__STAT_ADD(stats(d)->dgrams_out, 1);
	SIPC__STAT_ADD(stats(d)->bytes_out, result);
	d->replied += (size_t)result;
}

void sipc__dgram_batch_free(struct sipc__dgram_batch *b)
{
	if (b == NULL)
		return;
	sipc__dgb_free(&b->q);
	free(b->rbuf);
	free(b->gso);
	free(b->gro);
	free(b);
}

/* Asks for UDP GRO on SEP once (udp endpoints, batched): the kernel then
 * may hand several datagrams of one sender over in one buffer, which
 * serve_buffer cuts back.  Asked before the endpoint is watched: a GSO
 * message queued before it is set has been cut by the kernel already. */
static void gro_probe(struct sipc__dgram_batch *b, struct sipc_worker *w,
		      const struct sipc_srv_endpoint *sep)
{
	signed char *g = sep->index < b->ngso ? &b->gro[sep->index] : NULL;

	if (g == NULL || *g != 0)
		return;
	*g = -1;
	if (max_batch(w) > 1 && sep->scheme != SIPC_UNIXGRAM && b->cap >= SIPC__DGB_GRO_BYTES &&
	    sipc__sys_udp_gro_enable(sep->fd))
		*g = 1;
	sipc__serve_log(w->srv, 2, "%s %s: receives %s UDP GRO", sep->svc->name, sep->url,
			*g > 0 ? "use" : "do not use");
}

int sipc__dgram_prepare(struct sipc_worker *w, const struct sipc_srv_endpoint *sep)
{
	struct sipc__dgram_batch *b = w->dgbatch;
	size_t cap = sep->line->conf->max_msg;
	unsigned nbuf, most = max_batch(w);
	uint8_t *rbuf;

	if (cap == 0)
		cap = 1;
	/* A GRO receive can fill SIPC__DGB_GRO_BYTES, whatever --max-msg;
	 * unbatched (--max-batch 1), GRO is not asked for. */
	if (most > 1 && sep->scheme != SIPC_UNIXGRAM && cap < SIPC__DGB_GRO_BYTES)
		cap = SIPC__DGB_GRO_BYTES;
	if (b != NULL && b->cap >= cap) {
		gro_probe(b, w, sep);
		return 0;
	}
	if (b == NULL) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return -ENOMEM;
		b->ngso = w->srv->neps;
		b->gso = calloc(b->ngso ? b->ngso : 1, 1);
		b->gro = calloc(b->ngso ? b->ngso : 1, 1);
		if (b->gso == NULL || b->gro == NULL || sipc__dgb_init(&b->q, DGRAM_ARENA) < 0) {
			free(b->gso);
			free(b->gro);
			free(b);
			return -ENOMEM;
		}
		b->q.send = sipc__sys_sendmmsg;
		b->q.done = reply_done;
		w->dgbatch = b;
	}
	nbuf = DGRAM_RECV_BYTES / cap > DGRAM_RECV_MAX ? DGRAM_RECV_MAX
						       : (unsigned)(DGRAM_RECV_BYTES / cap);
	if (nbuf > most)
		nbuf = most;
	if (nbuf == 0)
		nbuf = 1;
	rbuf = malloc(nbuf * cap);
	if (rbuf == NULL)
		return -ENOMEM;
	free(b->rbuf);
	b->rbuf = rbuf;
	b->cap = cap;
	b->nbuf = nbuf;
	b->q.keep = rbuf;
	b->q.keep_len = nbuf * cap;
	gro_probe(b, w, sep);
	return 0;
}

/* Serves one datagram of the batch: N bytes at BUF (N its real size,
 * MSG_TRUNC) from FROM, whose sockaddr was SS.  Its state goes into the
 * next free entry of b->d, which lives until the flush. */
static void serve_one(struct sipc__dgram_batch *b, struct sipc_worker *w,
		      struct sipc_srv_endpoint *sep, const sipc_addr *from, bool replyable,
		      uint8_t *buf, size_t n, size_t max_msg)
{
	unsigned k = b->nd++;
	struct sipc_dgram *d = &b->d[k];
	const char *drop;

	*d = (struct sipc_dgram){.w = w, .sep = sep, .from = *from, .replyable = replyable};
	b->len[k] = -1;
	SIPC__STAT_ADD(stats(d)->dgrams_in, 1);
	/* MSG_TRUNC makes the kernel return the datagram's real size, so one
	 * larger than --max-msg is dropped whole, never cut. */
	if (n > max_msg) {
		char why[64];
		snprintf(why, sizeof(why), "%zu bytes (--max-msg %zu)", n, max_msg);
		sipc__dgram_drop(d, why);
		return;
	}
	SIPC__STAT_ADD(stats(d)->bytes_in, n);
	drop = check(w, sep, &d->from);
	if (drop != NULL) {
		sipc__dgram_drop(d, drop);
		return;
	}
	hex(d, '<', buf, n);
	b->len[k] = (ssize_t)n;
	if (sep->svc->on_datagram != NULL)
		sep->svc->on_datagram(d, buf, n);
}

/* Sends the replies of the datagrams served since the last flush, then
 * writes their -v lines (which say what each reply sent). */
static void flush_served(struct sipc__dgram_batch *b, struct sipc_worker *w,
			 const struct sipc_srv_endpoint *sep)
{
	char peer[SIPC_URL_MAX];

	sipc__dgb_flush(&b->q);
	if (w->srv->cfg->verbosity >= 2) {
		for (unsigned k = 0; k < b->nd; k++) {
			if (b->len[k] < 0)
				continue;
			fmt_from(&b->d[k], peer, sizeof(peer));
			sipc__serve_log(w->srv, 2, "datagram %s local=%s peer=%s in=%zd out=%zu",
					sep->svc->name, sep->url, peer, b->len[k], b->d[k].replied);
		}
	}
	b->nd = 0;
}

/* Serves receive buffer K of the batch: one datagram, or with UDP GRO
 * several of one sender, cut back at the segment size the kernel gave. */
static void serve_buffer(struct sipc__dgram_batch *b, unsigned k, struct sipc_worker *w,
			 struct sipc_srv_endpoint *sep, size_t max_msg)
{
	struct sockaddr_storage *ss = &b->rname[k];
	socklen_t namelen = b->rmsg[k].msg_hdr.msg_namelen;
	size_t n = b->rmsg[k].msg_len;
	struct sipc__dgb_cut cut;
	const uint8_t *p;
	size_t len;
	sipc_addr from;
	bool replyable;

	if (sipc_addr_from_sockaddr(&from, sep->scheme, (struct sockaddr *)ss, namelen) < 0)
		from.ss.ss_family = AF_UNSPEC;
	replyable = from.ss.ss_family != AF_UNSPEC &&
		    (ss->ss_family != AF_UNIX ||
		     (size_t)namelen > offsetof(struct sockaddr_un, sun_path));
	/* Larger than the buffer: the kernel cut it (MSG_TRUNC gave the real
	 * size), so it is dropped whole, GRO or not. */
	if (n > b->riov[k].iov_len) {
		sipc__dgb_cut_init(&cut, b->riov[k].iov_base, n, 0);
	} else {
		sipc__dgb_cut_init(&cut, b->riov[k].iov_base, n,
				   sipc__sys_udp_gro_size(&b->rmsg[k].msg_hdr));
	}
	while (sipc__dgb_cut_next(&cut, &p, &len)) {
		if (b->nd == DGRAM_SERVED)
			flush_served(b, w, sep);
		serve_one(b, w, sep, &from, replyable, (uint8_t *)p, len, max_msg);
	}
}

/* Whether replies on SEP may use UDP GSO (UDP_SEGMENT): probed once per
 * endpoint, and off for good once the kernel refused it (dgbatch.h). */
static bool gso_usable(struct sipc__dgram_batch *b, struct sipc_worker *w,
		       const struct sipc_srv_endpoint *sep)
{
	signed char *g = sep->index < b->ngso ? &b->gso[sep->index] : NULL;

	if (g == NULL)
		return false;
	if (*g == 0) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		*g = -1;
		if (max_batch(w) > 1 && getsockname(sep->fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    (ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
		    sipc__sys_udp_gso_ok(sep->fd))
			*g = 1;
		sipc__serve_log(w->srv, 2, "%s %s: replies %s UDP GSO", sep->svc->name, sep->url,
				*g > 0 ? "use" : "do not use");
	}
	return *g > 0;
}

void sipc__dgram_on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc_worker_ep *we = io->arg;
	struct sipc_worker *w = we->w;
	struct sipc_srv_endpoint *sep = we->sep;
	struct sipc__dgram_batch *b = w->dgbatch;
	size_t max_msg = sep->line->conf->max_msg;
	int budget = DGRAM_BUDGET;
	bool gso;

	(void)loop;
	(void)revents;
	if (b == NULL || b->cap < max_msg)
		return; /* not reached: sipc__dgram_prepare ran before the watch */
	b->q.fd = sep->fd;
	gso = gso_usable(b, w, sep);
	b->q.gso = gso;
	while (budget > 0) {
		unsigned want = (unsigned)budget < b->nbuf ? (unsigned)budget : b->nbuf;
		int got;

		for (unsigned k = 0; k < want; k++) {
			b->riov[k] = (struct iovec){.iov_base = b->rbuf + (size_t)k * b->cap,
						    .iov_len = b->cap};
			memset(&b->rname[k], 0, sizeof(b->rname[k]));
			b->rmsg[k] = (struct mmsghdr){0};
			b->rmsg[k].msg_hdr.msg_name = &b->rname[k];
			b->rmsg[k].msg_hdr.msg_namelen = sizeof(b->rname[k]);
			b->rmsg[k].msg_hdr.msg_iov = &b->riov[k];
			b->rmsg[k].msg_hdr.msg_iovlen = 1;
			b->rmsg[k].msg_hdr.msg_control = b->rctl[k].buf;
			b->rmsg[k].msg_hdr.msg_controllen = sizeof(b->rctl[k].buf);
		}
		got = sipc__sys_recvmmsg(sep->fd, b->rmsg, want, MSG_TRUNC | MSG_DONTWAIT);
		if (got == -EAGAIN)
			break;
		if (got <= 0) {
			/* ICMP errors queued on the socket (ECONNREFUSED from an
			 * earlier reply) come back here: note them and go on. */
			sipc__serve_log(w->srv, 2, "%s %s: receive: %s", sep->svc->name, sep->url,
					sipc_strerror(got < 0 ? got : -EIO));
			budget--;
			continue;
		}
		for (unsigned k = 0; k < (unsigned)got; k++)
			serve_buffer(b, k, w, sep, max_msg);
		/* The replies go before the receive buffers they may point into
		 * are reused. */
		flush_served(b, w, sep);
		budget -= got;
		if ((unsigned)got < want)
			break; /* the queue is empty (or an error waits: it wakes us) */
	}
	if (gso && !b->q.gso) {
		b->gso[sep->index] = -1;
		sipc__serve_log(w->srv, 2,
				"%s %s: UDP GSO refused by the kernel: replies go one by one",
				sep->svc->name, sep->url);
	}
}

const sipc_addr *sipc__dgram_from(const struct sipc_dgram *d)
{
	return &d->from;
}

struct sipc_srv_endpoint *sipc__dgram_endpoint(struct sipc_dgram *d)
{
	return d->sep;
}

int sipc__dgram_worker_id(const struct sipc_dgram *d)
{
	return d->w->id;
}

sipc_loop *sipc__dgram_loop(const struct sipc_dgram *d)
{
	return d->w->loop;
}

uint32_t sipc__dgram_random(struct sipc_dgram *d, uint32_t n)
{
	return sipc__worker_random(d->w, n);
}

int sipc__dgram_reply(struct sipc_dgram *d, const void *buf, size_t len)
{
	if (!d->replyable) {
		sipc__dgram_drop(d, "the sender has no address to reply to");
		return -EDESTADDRREQ;
	}
	sipc__dgb_add(&d->w->dgbatch->q, &d->from.ss, d->from.len, buf, len, d);
	return 0;
}
