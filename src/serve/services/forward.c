/*
 * forward.c - `forward [--timeout=S] [--idle=S] [--max-assoc=N] URL`: a
 * relay to URL.  Streams (tcp*, unix, any mix): each client gets its own
 * non-blocking connection to URL (resolved once at start-up; dialer.h
 * connects, and --timeout, default 5 s, bounds the connect and a tls
 * backend's handshake); once it is there, relay.c moves the
 * bytes both ways (splice between plain sockets, bounded buffers, the
 * half-close passed on, seqpacket messages whole, an empty one included).
 * A backend that refuses or does not answer closes that client alone,
 * with the reason on its close line.
 * --proxy=URL (tcp* and tls* backends): each connection goes through
 * that SOCKS or HTTP CONNECT proxy (src/lib/proxy), its handshake a step
 * of the dial under the same --timeout; a tls:// backend's handshake then
 * runs over the tunnel, checked against the backend's name.
 * --send-proxy=v1|v2 makes the first bytes each stream backend gets a
 * PROXY header (proxyhdr.h) naming the client, written by the dialer
 * before a tls backend's handshake, as haproxy's send-proxy does.
 * Datagrams (udp*, unixgram): one connected backend socket per client
 * address for the whole server (at most --max-assoc, default 1024: one
 * worker owns the endpoint, server.h), whose replies go back to that
 * client from the endpoint's socket; an association silent for --idle
 * seconds (default 60) is reaped.  Clients may send from any port (DNS,
 * NTP 123 -> 123): --guard-ports does not apply here.  A udp backend's
 * sockets ask for UDP GRO: its replies may come several in one buffer,
 * cut back into datagrams (dgbatch.h) before they go to the client.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxyhdr.h"
#include "serve/dgbatch.h"
#include "serve/dialer.h"
#include "serve/guard.h"
#include "serve/relay.h"
#include "serve/services/services.h"
#include "serve/tls.h"
#include "sys/net.h"
#include "sys/sys.h"
#include "url.h"

#define FWD_TIMEOUT_MS_DEFAULT 5000
#define FWD_IDLE_MS_DEFAULT    60000
#define FWD_MAX_ASSOC_DEFAULT  1024
/* Datagram associations: hash buckets, replies per wake-up. */
#define FWD_BUCKETS     256
#define FWD_DGRAM_BATCH 64
/* Backend replies per recvmmsg (fewer when --max-msg is large: the
 * receive buffers stay within FWD_RECV_BYTES); they go back to the client
 * in one sendmmsg. */
#define FWD_RECV_MAX   32
#define FWD_RECV_BYTES ((size_t)2 << 20)

struct fwd_shard;

struct fwd_ep {
	struct sipc_srv_endpoint *sep;
	char url[SIPC_URL_MAX]; /* the backend, as written (" via PROXY") */
	int socktype;
	/* Its addresses, the connect timeout, and for a tls:// backend how
	 * this side of it checks it (--ca, --pin...: tls owns it). */
	struct sipc__dial_target target;
	sipc_tls_config *tls;
	struct sipc__proxy_url proxy; /* --proxy: target.proxy points here */
	int idle_ms;
	long max_assoc;
	int send_proxy; /* --send-proxy: the PROXY header version sent first; 0: none */
	/* Datagram endpoints: the associations, made at the first datagram. */
	struct fwd_shard *shard;
};

/* ------------------------------------------------------------- streams */

struct fwd_conn {
	struct sipc_conn *c;
	struct fwd_ep *fe;
	struct sipc__relay relay;      /* once the backend is there */
	struct sipc__dialer dialer;    /* until then */
	char other[SIPC_URL_MAX + 16]; /* "backend URL" */
};

static void relay_end(struct sipc__relay *r, const char *why)
{
	sipc__conn_close(r->c, why);
}

static void backend_ready(struct sipc__dialer *d, int err, int bfd, sipc_endpoint *bep,
			  const char *why)
{
	struct fwd_conn *st = d->arg;
	char esc[SIPC_WHY_MAX];

	if (err < 0) {
		sipc__serve_tls_escape(why, esc, sizeof(esc));
		snprintf(st->relay.end, sizeof(st->relay.end), "%s: %s%s%s", st->other,
			 err == -ECONNRESET ? "reset by peer" : sipc_strerror(err),
			 esc[0] ? ": " : "", esc);
		sipc__conn_close(st->c, st->relay.end);
		return;
	}
	/* Last: the relay may end at once and the connection with it. */
	sipc__relay_start(&st->relay, bfd, bep);
}

/* --send-proxy: the backend's first bytes name the client and the
 * address it reached (after a header accepted by --accept-proxy, those the
 * header named: conn.c's peer and local are the real ones). */
static void send_proxy(struct fwd_conn *st)
{
	uint8_t h[SIPC__PROXYHDR_MAX];
	ssize_t n = sipc__proxyhdr_format(st->fe->send_proxy, sipc__conn_peer(st->c),
					  sipc__conn_local(st->c), h, sizeof(h));

	if (n > 0)
		(void)sipc__dialer_preamble(&st->dialer, h, (size_t)n);
}

static void fwd_open(struct sipc_conn *c)
{
	struct fwd_conn *st = sipc__conn_state(c);

	st->c = c;
	st->fe = sipc__svc_ep_state(sipc__conn_endpoint(c));
	snprintf(st->other, sizeof(st->other), "backend %s", st->fe->url);
	sipc__relay_init(&st->relay, c, st->other, relay_end);
	/* Nothing to read from the client until the backend answers; one
	 * shot, so that a client that resets meanwhile is reported once. */
	(void)sipc__conn_set_events(c, SIPC_LOOP_ONESHOT);
	if (st->fe->send_proxy > 0)
		send_proxy(st);
	sipc__dialer_start(&st->dialer, sipc__conn_loop(c), &st->fe->target, backend_ready, st);
}

static void fwd_io(struct sipc_conn *c, uint32_t revents)
{
	struct fwd_conn *st = sipc__conn_state(c);

	sipc__relay_client_io(&st->relay, revents);
}

static void fwd_close(struct sipc_conn *c)
{
	struct fwd_conn *st = sipc__conn_state(c);

	sipc__dialer_stop(&st->dialer);
	sipc__relay_free(&st->relay);
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
	uint8_t *buf;  /* replies are read here: nbuf buffers of bufcap */
	size_t bufcap; /* --max-msg, and SIPC__DGB_GRO_BYTES at least with gro */
	unsigned nbuf; /* buffers per recvmmsg */
	bool gro;      /* a udp backend: its sockets ask for UDP GRO */
	struct mmsghdr rmsg[FWD_RECV_MAX];
	struct iovec riov[FWD_RECV_MAX];
	union {
		char buf[SIPC__DGB_GRO_CMSG];
		struct cmsghdr align;
	} rctl[FWD_RECV_MAX];
	struct sipc__dgb_queue q; /* and sent back from there (dgbatch.h) */
	struct fwd_assoc *buckets[FWD_BUCKETS];
};

static unsigned addr_hash(const sipc_addr *a)
{
	return sipc__addr_hash(a) % FWD_BUCKETS;
}

/* Counts into the shard's worker's counters (service.h: only from that
 * worker's own loop). */
static void shard_count(struct fwd_shard *sh, enum sipc__svc_counter what, uint64_t n)
{
	sipc__svc_ep_count(sh->fe->sep, sh->worker, sh->loop, what, n);
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
	sipc__svc_log(a->sh->fe->sep, 1, "forward %s peer=%s -> %s: %s",
		      sipc__svc_ep_url(a->sh->fe->sep), peer, a->sh->fe->url, what);
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

/* A reply's fate after the flush: counted as sent, or dropped (as the
 * sendmsg of each reply was before batching). */
static void reply_done(void *ctx, const void *buf, size_t len, ssize_t result)
{
	struct fwd_shard *sh = ctx;

	(void)buf;
	(void)len;
	if (result < 0) {
		shard_count(sh, SIPC__COUNT_DROPPED, 1);
		return;
	}
	shard_count(sh, SIPC__COUNT_DGRAMS_OUT, 1);
	shard_count(sh, SIPC__COUNT_BYTES_OUT, (uint64_t)result);
}

/* Replies from the backend go back to the association's client: a batch
 * read with one recvmmsg, sent with sendmmsg, before the next is read. */
static void on_assoc_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct fwd_assoc *a = io->arg;
	struct fwd_shard *sh = a->sh;
	struct sipc_srv_endpoint *sep = sh->fe->sep;
	size_t cap = sipc__svc_ep_max_msg(sep);
	int budget = FWD_DGRAM_BATCH;

	(void)revents;
	sh->q.fd = sipc__svc_ep_fd(sep);
	while (budget > 0) {
		unsigned want = (unsigned)budget < sh->nbuf ? (unsigned)budget : sh->nbuf;
		int got;

		for (unsigned k = 0; k < want; k++) {
			sh->riov[k] = (struct iovec){.iov_base = sh->buf + (size_t)k * sh->bufcap,
						     .iov_len = sh->bufcap};
			sh->rmsg[k] = (struct mmsghdr){0};
			sh->rmsg[k].msg_hdr.msg_iov = &sh->riov[k];
			sh->rmsg[k].msg_hdr.msg_iovlen = 1;
			sh->rmsg[k].msg_hdr.msg_control = sh->rctl[k].buf;
			sh->rmsg[k].msg_hdr.msg_controllen = sizeof(sh->rctl[k].buf);
		}
		/* MSG_TRUNC: each one's real size, so an oversize one is dropped
		 * whole. */
		got = sipc__sys_recvmmsg(a->fd, sh->rmsg, want, MSG_TRUNC | MSG_DONTWAIT);
		if (got == -EAGAIN)
			break;
		if (got <= 0) {
			/* ICMP port unreachable from an earlier datagram, and the
			 * like: the backend may come back; note it and go on. */
			sipc__svc_log(sep, 2, "forward %s: backend %s: %s", sipc__svc_ep_url(sep),
				      sh->fe->url, sipc_strerror(got < 0 ? got : -EIO));
			budget--;
			continue;
		}
		a->last_ms = sipc__loop_now(loop);
		for (unsigned k = 0; k < (unsigned)got; k++) {
			size_t n = sh->rmsg[k].msg_len, len;
			struct sipc__dgb_cut cut;
			const uint8_t *p;

			/* With GRO, several replies in one buffer: cut back at
			 * the kernel's segment size, each forwarded alone.  One
			 * larger than the buffer was cut by the kernel: it is
			 * dropped whole. */
			sipc__dgb_cut_init(
				&cut, sh->riov[k].iov_base, n,
				n > sh->bufcap ? 0 : sipc__sys_udp_gro_size(&sh->rmsg[k].msg_hdr));
			while (sipc__dgb_cut_next(&cut, &p, &len)) {
				if (len > cap) {
					shard_count(sh, SIPC__COUNT_DROPPED, 1);
					continue;
				}
				sipc__dgb_add(&sh->q, &a->client.ss, a->client.len, p, len, sh);
			}
		}
		sipc__dgb_flush(&sh->q);
		budget -= got;
		if ((unsigned)got < want)
			break; /* nothing more now (or an error: it wakes us again) */
	}
}

static void shard_free(struct fwd_shard *sh)
{
	if (sh == NULL)
		return;
	sipc__dgb_free(&sh->q);
	free(sh->buf);
	free(sh);
}

static struct fwd_shard *shard_of(struct fwd_ep *fe, sipc_loop *loop, int worker)
{
	struct fwd_shard *sh = fe->shard;
	size_t cap = sipc__svc_ep_max_msg(fe->sep);

	/* One worker alone reads a datagram endpoint, in every model
	 * (server.h): only its thread gets here, so no lock, and one table
	 * makes --max-assoc a bound for the whole server. */
	if (sh != NULL)
		return sh;
	if (cap == 0)
		cap = 1;
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return NULL;
	/* A udp backend's replies may come coalesced (GRO): a buffer then
	 * holds up to 64 KiB, whatever --max-msg. */
	sh->gro = fe->target.naddrs > 0 && fe->target.addrs[0].ss.ss_family != AF_UNIX;
	sh->bufcap = sh->gro && cap < SIPC__DGB_GRO_BYTES ? SIPC__DGB_GRO_BYTES : cap;
	sh->nbuf = FWD_RECV_BYTES / sh->bufcap > FWD_RECV_MAX
			   ? FWD_RECV_MAX
			   : (unsigned)(FWD_RECV_BYTES / sh->bufcap);
	if (sh->nbuf == 0)
		sh->nbuf = 1;
	sh->buf = malloc(sh->nbuf * sh->bufcap);
	/* Replies are sent from the receive buffers: nothing to copy. */
	if (sh->buf == NULL || sipc__dgb_init(&sh->q, 0) < 0) {
		shard_free(sh);
		return NULL;
	}
	sh->q.send = sipc__sys_sendmmsg;
	sh->q.done = reply_done;
	sh->q.keep = sh->buf;
	sh->q.keep_len = sh->nbuf * sh->bufcap;
	sh->fe = fe;
	sh->loop = loop;
	sh->worker = worker;
	fe->shard = sh;
	return sh;
}

static struct fwd_assoc *assoc_new(struct fwd_shard *sh, const sipc_addr *from)
{
	struct fwd_ep *fe = sh->fe;
	const sipc_addr *to = &fe->target.addrs[0];
	struct fwd_assoc *a;
	int fd, rc;

	fd = sipc__sys_socket(to->ss.ss_family, SOCK_DGRAM);
	if (fd < 0)
		return NULL;
	if (sipc__sockopt_dial_fd(fd, &fe->target.opts, to, NULL, 0) < 0)
		goto fail;
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
	/* Before the first datagram goes: a backend's GSO reply that came
	 * before it would be cut by the kernel already.  Without it (an old
	 * kernel) the replies simply come one by one. */
	if (sh->gro)
		(void)sipc__sys_udp_gro_enable(fd);
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		goto fail;
	a->sh = sh;
	a->client = *from;
	a->fd = fd;
	a->last_ms = sipc__loop_now(sh->loop);
	sipc__io_init(&a->io, fd, on_assoc_io, a);
	sipc__timer_init(&a->idle, on_assoc_idle, a);
	if (sipc__io_start(sh->loop, &a->io, SIPC_LOOP_IN) < 0) {
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
	    (from->ss.ss_family == AF_UNIX &&
	     (size_t)from->len <= offsetof(struct sockaddr_un, sun_path)))
		return; /* an unbound sender could never get a reply */
	/* A datagram forged "from" the backend would have its replies sent
	 * back to the backend from the endpoint, whose answers come in again:
	 * a loop through an echo backend. */
	for (int i = 0; i < fe->target.naddrs; i++) {
		if (sipc__guard_same(&fe->target.addrs[i], from)) {
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
		shard_count(sh, SIPC__COUNT_DROPPED, 1);
		sipc__svc_log(sep, 2, "forward %s: to %s: %s", sipc__svc_ep_url(sep), fe->url,
			      sipc_strerror((int)n));
	}
}

/* --------------------------------------------------------------- setup */

/* --proxy=URL: the proxy's addresses become the target's, and the
 * backend what the proxy is asked for (its name, or its address resolved
 * here for socks5:// and socks4://, once at start as forward resolves).
 * Returns 0, or -1 after writing WHY. */
static int proxy_setup(struct fwd_ep *fe, const char *proxy, const sipc_url *url, char *why,
		       size_t whylen)
{
	char detail[SIPC_WHY_MAX] = "";
	sipc_url *pu = NULL;
	int n;

	if (sipc__proxy_url_parse(proxy, &fe->proxy, detail, sizeof(detail)) < 0 ||
	    sipc__proxy_dest_make(&fe->proxy, url, &fe->target.proxy_dest, detail, sizeof(detail)) <
		    0 ||
	    sipc_url_parse(fe->proxy.endpoint, &pu, detail, sizeof(detail)) < 0) {
		snprintf(why, whylen, "forward: --proxy: %s", detail);
		return -1;
	}
	n = sipc_url_resolve(pu, false, fe->target.addrs, SIPC__DIAL_MAX_ADDRS);
	sipc_url_free(pu);
	if (n < 0) {
		snprintf(why, whylen, "forward: --proxy: %s: %s", fe->proxy.shown,
			 sipc_strerror(n));
		return -1;
	}
	fe->target.naddrs = n;
	fe->target.proxy = &fe->proxy;
	return 0;
}

/* --send-proxy=v1|v2: a header is the head of a byte stream; a
 * seqpacket or datagram backend has no place for one. */
static int send_proxy_check(const char *v, sipc_scheme scheme, char *why, size_t whylen)
{
	int socktype = sipc_scheme_socktype(scheme);

	if (v == NULL)
		return 0;
	if (strcmp(v, "v1") != 0 && strcmp(v, "v2") != 0) {
		snprintf(why, whylen, "forward: --send-proxy: '%s' is not v1 or v2", v);
		return -1;
	}
	if (socktype != SOCK_STREAM) {
		snprintf(why, whylen,
			 "forward: --send-proxy: a PROXY header heads a byte stream; the backend "
			 "must be tcp://, tls:// or unix://, not a %s one",
			 socktype == SOCK_DGRAM ? "datagram" : "seqpacket");
		return -1;
	}
	if (!sipc_scheme_is_raw(scheme) && !sipc_scheme_is_tls(scheme)) {
		/* TLS sends it before its handshake, in the clear, as haproxy
		 * reads it; an shm:// socket carries the ring set-up and
		 * wake-ups, never the stream's bytes. */
		snprintf(why, whylen,
			 "forward: --send-proxy: a PROXY header heads the socket's byte stream; "
			 "an %s:// backend's socket carries no stream bytes (they go through its "
			 "shared-memory rings): give it for tcp://, tls:// or unix:// backends",
			 sipc_scheme_name(scheme));
		return -1;
	}
	return 0;
}

static int fwd_setup(struct sipc_srv_endpoint *sep, int argc, char **argv, char *why, size_t whylen)
{
	int timeout_ms = FWD_TIMEOUT_MS_DEFAULT, idle_ms = FWD_IDLE_MS_DEFAULT;
	long max_assoc = FWD_MAX_ASSOC_DEFAULT;
	struct sipc__serve_tls_client tc = {0};
	const char *proxy = NULL;
	const char *send_proxy = NULL;
	const struct sipc_svc_opt opts[] = {
		{"timeout", SIPC__SVC_OPT_MS, &timeout_ms, 1, 3600000},
		{"idle", SIPC__SVC_OPT_MS, &idle_ms, 1, 86400000},
		{"max-assoc", SIPC__SVC_OPT_INT, &max_assoc, 1, 1000000},
		{"ca", SIPC__SVC_OPT_STRING, &tc.ca, 0, 0},
		{"insecure", SIPC__SVC_OPT_FLAG, &tc.insecure, 0, 0},
		{"pin", SIPC__SVC_OPT_STRING, &tc.pin, 0, 0},
		{"sni", SIPC__SVC_OPT_STRING, &tc.sni, 0, 0},
		{"cert", SIPC__SVC_OPT_STRING, &tc.cert, 0, 0},
		{"key", SIPC__SVC_OPT_STRING, &tc.key, 0, 0},
		{"alpn", SIPC__SVC_OPT_STRING, &tc.alpn, 0, 0},
		{"tls-min", SIPC__SVC_OPT_STRING, &tc.tls_min, 0, 0},
		{"proxy", SIPC__SVC_OPT_STRING, &proxy, 0, 0},
		{"send-proxy", SIPC__SVC_OPT_STRING, &send_proxy, 0, 0},
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
	if (send_proxy_check(send_proxy, sipc_url_scheme(url), why, whylen) < 0) {
		sipc_url_free(url);
		return -1;
	}
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
	n = sipc_url_resolve(url, false, fe->target.addrs, SIPC__DIAL_MAX_ADDRS);
	if (n < 0) {
		snprintf(why, whylen, "forward: %s: %s", argv[used], sipc_strerror(n));
		sipc_url_free(url);
		free(fe);
		return -1;
	}
	if (sipc_scheme_is_tls(sipc_url_scheme(url))) {
		if (sipc__serve_tls_client_new(&tc, sipc_url_host(url), &fe->tls, detail,
					       sizeof(detail)) < 0) {
			snprintf(why, whylen, "forward: %s: %s", argv[used], detail);
			sipc_url_free(url);
			free(fe);
			return -1;
		}
	} else if (sipc__serve_tls_client_given(&tc)) {
		snprintf(why, whylen,
			 "forward: --ca, --insecure, --pin, --sni, --cert, --key, --alpn and "
			 "--tls-min are for a tls:// backend, not %s",
			 argv[used]);
		sipc_url_free(url);
		free(fe);
		return -1;
	}
	if (proxy != NULL && proxy_setup(fe, proxy, url, why, whylen) < 0) {
		sipc_tls_config_free(fe->tls);
		sipc_url_free(url);
		free(fe);
		return -1;
	}
	fe->sep = sep;
	if (proxy == NULL)
		fe->target.naddrs = n;
	fe->target.scheme = sipc_url_scheme(url);
	fe->target.timeout_ms = timeout_ms;
	fe->target.tls = fe->tls;
	fe->target.max_msg = sipc__svc_ep_max_msg(sep);
	fe->socktype = st;
	fe->idle_ms = idle_ms;
	fe->max_assoc = max_assoc;
	fe->target.opts = url->opts;
	if (proxy != NULL)
		snprintf(fe->url, sizeof(fe->url), "%.170s via %.170s", argv[used],
			 fe->proxy.shown);
	else
		snprintf(fe->url, sizeof(fe->url), "%s", argv[used]);
	fe->send_proxy = send_proxy == NULL ? 0 : send_proxy[1] - '0';
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
		shard_free(sh);
	}
	sipc_tls_config_free(fe->tls);
	free(fe);
	sipc__svc_ep_set_state(sep, NULL);
}

const struct sipc_service sipc__svc_forward = {
	.name = "forward",
	.usage = "forward [--timeout=S] [--idle=S] [--max-assoc=N] [--ca=FILE] [--insecure] "
		 "[--pin=SHA256] [--sni=NAME] [--cert=FILE] [--key=FILE] [--alpn=LIST] "
		 "[--tls-min=V] [--proxy=URL] [--send-proxy=v1|v2] URL",
	.min_args = 1,
	.max_args = 14,
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
