/*
 * dgram.c - datagram endpoints (udp*, unixgram) under a worker loop: one
 * recvmsg per datagram into the worker's scratch buffer, the loop guard
 * and the allow-list, the service's on_datagram, and replies sent with
 * sendmsg that never wait.  Every worker watches the same socket
 * (EPOLLEXCLUSIVE); each datagram is read by exactly one of them.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "serve/acl.h"
#include "serve/guard.h"
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
	if (sipc_addr_format(&d->from, buf, len) < 0)
		snprintf(buf, len, "?");
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
	size_t cap = cfg->max_msg;
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
			SIPC__STAT_ADD(stats(&d)->dropped, 1);
			fmt_from(&d, peer, sizeof(peer));
			sipc__serve_log(
				w->srv, 2,
				"%s %s: dropped a %zd-byte datagram from %s (--max-msg %zu)",
				sep->svc->name, sep->url, n, peer, cap);
			continue;
		}
		SIPC__STAT_ADD(stats(&d)->bytes_in, n);
		drop = sipc__guard_check(&cfg->guard, &d.from);
		if (drop == NULL && !sipc__acl_allows(&cfg->acl, &d.from))
			drop = "not in --allow";
		if (drop != NULL) {
			SIPC__STAT_ADD(stats(&d)->dropped, 1);
			fmt_from(&d, peer, sizeof(peer));
			sipc__serve_log(w->srv, 2, "%s %s: dropped a datagram from %s: %s",
					sep->svc->name, sep->url, peer, drop);
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

int sipc__dgram_reply(struct sipc_dgram *d, const void *buf, size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_name = &d->from.ss,
			     .msg_namelen = d->from.len,
			     .msg_iov = &iov,
			     .msg_iovlen = 1};
	ssize_t n;

	if (!d->replyable) {
		SIPC__STAT_ADD(stats(d)->dropped, 1);
		return -EDESTADDRREQ;
	}
	n = sipc__sys_sendmsg(d->sep->fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		char peer[SIPC_URL_MAX];
		SIPC__STAT_ADD(stats(d)->dropped, 1);
		fmt_from(d, peer, sizeof(peer));
		sipc__serve_log(d->w->srv, 2, "%s %s: reply to %s: %s", d->sep->svc->name,
				d->sep->url, peer, sipc_strerror((int)n));
		return (int)n;
	}
	hex(d, '>', buf, (size_t)n);
	SIPC__STAT_ADD(stats(d)->dgrams_out, 1);
	SIPC__STAT_ADD(stats(d)->bytes_out, n);
	d->replied += (size_t)n;
	return 0;
}
