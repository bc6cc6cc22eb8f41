/*
 * dgram.c - datagram endpoints (udp*, unixgram) under a worker loop: one
 * recvmsg per datagram into the worker's scratch buffer, the loop guard
 * and the allow-list, the service's on_datagram, and replies sent with
 * sendmsg that never wait.  Each endpoint is read by its owner worker
 * alone (server.h), so one sender's datagrams are served in order.  Every
 * drop is counted and logged, rate-limited per sender (guard.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "serve/acl.h"
#include "serve/guard.h"
#include "serve/limits.h"
#include "serve/server.h"
#include "sys/sys.h"

struct sipc_dgram {
	struct sipc_worker *w;
	struct sipc_srv_endpoint *sep;
	sipc_addr from;
	bool replyable; /* an unbound unix sender has no address to answer */
	size_t replied; /* bytes sent back, for the -v line */
};

/* Datagrams taken per wake-up before other descriptors get a turn. */
#define DGRAM_BATCH 64

static struct sipc_srv_stats *stats(struct sipc_dgram *d)
{
	return &d->w->stats[d->sep->index];
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

void sipc__dgram_on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc_worker_ep *we = io->arg;
	struct sipc_worker *w = we->w;
	struct sipc_srv_endpoint *sep = we->sep;
	const struct sipc_serve_config *cfg = w->srv->cfg;
	size_t cap = sep->line->conf->max_msg;
	char peer[SIPC_URL_MAX];

	(void)loop;
	(void)revents;
	for (int i = 0; i < DGRAM_BATCH; i++) {
		struct sockaddr_storage ss;
		struct iovec iov = {.iov_base = w->scratch, .iov_len = cap};
		struct msghdr msg = {.msg_name = &ss,
				     .msg_namelen = sizeof(ss),
				     .msg_iov = &iov,
				     .msg_iovlen = 1};
		struct sipc_dgram d = {.w = w, .sep = sep};
		ssize_t n;
		const char *drop;

		memset(&ss, 0, sizeof(ss));
		/* MSG_TRUNC makes the kernel return the datagram's real size, so
		 * one larger than --max-msg is dropped whole, never cut. */
		n = sipc__sys_recvmsg(sep->fd, &msg, MSG_TRUNC);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			/* ICMP errors queued on the socket (ECONNREFUSED from an
			 * earlier reply) come back here: note them and go on. */
			sipc__serve_log(w->srv, 2, "%s %s: receive: %s", sep->svc->name, sep->url,
					sipc_strerror((int)n));
			continue;
		}
		SIPC__STAT_ADD(stats(&d)->dgrams_in, 1);
		if (sipc_addr_from_sockaddr(&d.from, sep->scheme, (struct sockaddr *)&ss,
					    msg.msg_namelen) < 0)
			d.from.ss.ss_family = AF_UNSPEC;
		d.replyable = d.from.ss.ss_family != AF_UNSPEC &&
			      (ss.ss_family != AF_UNIX ||
			       msg.msg_namelen > offsetof(struct sockaddr_un, sun_path));
		if ((size_t)n > cap) {
			char why[64];
			snprintf(why, sizeof(why), "%zd bytes (--max-msg %zu)", n, cap);
			sipc__dgram_drop(&d, why);
			continue;
		}
		SIPC__STAT_ADD(stats(&d)->bytes_in, n);
		drop = check(w, sep, &d.from);
		if (drop != NULL) {
			sipc__dgram_drop(&d, drop);
			continue;
		}
		hex(&d, '<', w->scratch, (size_t)n);
		if (sep->svc->on_datagram != NULL)
			sep->svc->on_datagram(&d, w->scratch, (size_t)n);
		if (cfg->verbosity >= 2) {
			fmt_from(&d, peer, sizeof(peer));
			sipc__serve_log(w->srv, 2, "datagram %s local=%s peer=%s in=%zd out=%zu",
					sep->svc->name, sep->url, peer, n, d.replied);
		}
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
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_name = &d->from.ss,
			     .msg_namelen = d->from.len,
			     .msg_iov = &iov,
			     .msg_iovlen = 1};
	ssize_t n;

	if (!d->replyable) {
		sipc__dgram_drop(d, "the sender has no address to reply to");
		return -EDESTADDRREQ;
	}
	n = sipc__sys_sendmsg(d->sep->fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		char why[128];
		snprintf(why, sizeof(why), "reply not sent: %s", sipc_strerror((int)n));
		sipc__dgram_drop(d, why);
		return (int)n;
	}
	hex(d, '>', buf, (size_t)n);
	SIPC__STAT_ADD(stats(d)->dgrams_out, 1);
	SIPC__STAT_ADD(stats(d)->bytes_out, n);
	d->replied += (size_t)n;
	return 0;
}
