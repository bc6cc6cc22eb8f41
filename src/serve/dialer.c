/*
 * dialer.c - a non-blocking dial from a serve worker's loop (dialer.h):
 * connect to each address in turn, then a proxy's handshake, then the
 * TLS handshake or the seqpacket endpoint, all under one timeout.
 */
#include "serve/dialer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "sys/net.h"
#include "sys/sys.h"

/* A unix listener with a full backlog refuses a non-blocking connect with
 * EAGAIN and sends no event when room comes: retry this often. */
#define UNIX_RETRY_MS 10

static void on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents);
static void connected(struct sipc__dialer *d);

/* The proxy handshake's state goes once it is over, either way. */
static void proxy_free(struct sipc__dialer *d)
{
	if (d->proxy_hs != NULL) {
		memset(d->proxy_hs->out, 0, sizeof(d->proxy_hs->out)); /* the password */
		free(d->proxy_hs);
		d->proxy_hs = NULL;
	}
}

/* Ends the dial: everything the loop watches for it stops first, since
 * DONE may free D. */
static void finish(struct sipc__dialer *d, int err, int bfd, sipc_endpoint *bep, const char *why)
{
	sipc__io_stop(d->loop, &d->io);
	sipc__timer_stop(d->loop, &d->timer);
	sipc__timer_stop(d->loop, &d->retry);
	proxy_free(d);
	d->active = false;
	d->fd = -1;
	d->ep = NULL;
	d->pre_len = d->pre_off = 0;
	d->done(d, err, bfd, bep, why != NULL ? why : "");
}

static void fail(struct sipc__dialer *d, int err)
{
	char why[SIPC_WHY_MAX] = "";

	if (d->ep != NULL) {
		snprintf(why, sizeof(why), "%s", sipc_endpoint_why(d->ep));
		sipc_endpoint_close(d->ep);
	} else if (d->fd >= 0) {
		sipc__sys_close(d->fd);
	}
	d->ep = NULL;
	d->fd = -1;
	finish(d, err, -1, NULL, why);
}

/* One step of a tls or shm target's handshake; once done the caller gets the
 * endpoint. */
static void handshake(struct sipc__dialer *d)
{
	int rc = sipc_handshake(d->ep, 0);
	short w;

	if (rc == SIPC_ETIMEDOUT || rc == -EAGAIN) {
		w = sipc_endpoint_want(d->ep, POLLIN);
		if (sipc__io_start(d->loop, &d->io,
				   (w & POLLOUT ? SIPC_LOOP_OUT : 0) | SIPC_LOOP_IN) < 0)
			fail(d, -ENOMEM);
		return;
	}
	if (rc < 0) {
		fail(d, rc);
		return;
	}
	finish(d, 0, -1, d->ep, NULL);
}

/* One step of the proxy handshake on the loop's events; once the tunnel
 * is up the dial goes on as if connected to the destination. */
static void proxy_step(struct sipc__dialer *d)
{
	char why[SIPC_WHY_MAX] = "";
	int rc = sipc__proxy_step(d->proxy_hs, d->fd, why, sizeof(why));

	if (rc == SIPC__PROXY_WANT_READ || rc == SIPC__PROXY_WANT_WRITE) {
		if (sipc__io_start(d->loop, &d->io,
				   rc == SIPC__PROXY_WANT_READ ? SIPC_LOOP_IN : SIPC_LOOP_OUT) < 0)
			fail(d, -ENOMEM);
		return;
	}
	proxy_free(d);
	if (rc < 0) {
		sipc__sys_close(d->fd);
		d->fd = -1;
		finish(d, rc, -1, NULL, why);
		return;
	}
	d->tunneled = true;
	connected(d);
}

/* Connected to a proxy: its handshake comes first.  True when it has
 * begun (and connected() is called again once it is done). */
static bool proxy_begin(struct sipc__dialer *d)
{
	if (d->t->proxy == NULL || d->tunneled)
		return false;
	d->proxy_hs = malloc(sizeof(*d->proxy_hs));
	if (d->proxy_hs == NULL) {
		fail(d, -ENOMEM);
		return true;
	}
	sipc__proxy_start(d->proxy_hs, d->t->proxy, &d->t->proxy_dest, NULL, NULL);
	proxy_step(d);
	return true;
}

/*
 * The caller's preamble goes first, before any byte of TLS or of the
 * client, as a PROXY header must (haproxy reads it before its
 * handshake).  Non-blocking: a short write waits for room (on_io comes
 * back through connected()), within the dial's timeout.  True once it
 * is all out; false while waiting, or when the dial failed.
 */
static bool preamble(struct sipc__dialer *d)
{
	while (d->pre_off < d->pre_len) {
		ssize_t n = sipc__sys_send(d->fd, d->pre + d->pre_off, d->pre_len - d->pre_off,
					   MSG_DONTWAIT);
		if (n == -EAGAIN) {
			if (sipc__io_start(d->loop, &d->io, SIPC_LOOP_OUT) < 0)
				fail(d, -ENOMEM);
			return false;
		}
		if (n < 0) {
			fail(d, (int)n);
			return false;
		}
		d->pre_off += (size_t)n;
	}
	return true;
}

int sipc__dialer_preamble(struct sipc__dialer *d, const void *p, size_t n)
{
	if (n > sizeof(d->pre))
		return SIPC_EMSGSIZE;
	memcpy(d->pre, p, n);
	d->pre_len = n;
	d->pre_off = 0;
	return 0;
}

/* The connection is there: hand it over as the target's kind needs. */
static void connected(struct sipc__dialer *d)
{
	const struct sipc__dial_target *t = d->t;
	char detail[SIPC_WHY_MAX] = "";
	sipc_options o = {.why = detail, .whylen = sizeof(detail)};
	int fd = d->fd, rc;

	if (proxy_begin(d))
		return;
	sipc__io_stop(d->loop, &d->io);
	if (!preamble(d))
		return;
	if (sipc_scheme_is_raw(t->scheme) && sipc_scheme_socktype(t->scheme) != SOCK_SEQPACKET) {
		finish(d, 0, fd, NULL, NULL);
		return;
	}
	/* TLS goes over the TCP connection, verified as the target's config
	 * says; shm's bytes go through the rings its handshake sets up (with
	 * the URL's ring= and spin=); seqpacket records are read through the
	 * library, which tells an empty one from the end of the stream. */
	o.tls = t->tls;
	o.max_msg = t->max_msg;
	rc = sipc_endpoint_from_fd(fd, t->scheme, &o, &d->ep);
	if (rc < 0) {
		sipc__sys_close(fd);
		d->fd = -1;
		finish(d, rc, -1, NULL, detail);
		return;
	}
	d->fd = -1; /* the endpoint's now */
	if (t->scheme == SIPC_SHM)
		sipc__ep_set_sockopts(d->ep, &t->opts); /* ring=, spin= */
	/* TLS and shm:// have a handshake of their own (shm hands its rings
	 * over in it). */
	if (sipc_scheme_is_raw(t->scheme)) {
		finish(d, 0, -1, d->ep, NULL);
		return;
	}
	sipc__io_init(&d->io, sipc_endpoint_fd(d->ep), on_io, d);
	handshake(d);
}

/* Starts connecting to the current address (or the next ones); when none
 * is left the dial fails with ERR, the last address's error. */
static void next_addr(struct sipc__dialer *d, int err)
{
	const sipc_addr *a;
	int fd, rc;

	for (; d->addr_i < d->t->naddrs; d->addr_i++) {
		a = &d->t->addrs[d->addr_i];
		fd = sipc__sys_socket(a->ss.ss_family, sipc_scheme_socktype(d->t->scheme));
		if (fd < 0) {
			err = fd;
			continue;
		}
		if ((rc = sipc__sockopt_dial_fd(fd, &d->t->opts, a, NULL, 0)) < 0) {
			sipc__sys_close(fd);
			err = rc;
			continue;
		}
		rc = sipc__sys_connect(fd, (const struct sockaddr *)&a->ss, a->len,
				       sipc__deadline(0));
		/* A unix connect completes or fails at once; "not yet" from it
		 * means EAGAIN, the listener's backlog is full. */
		if (rc == SIPC_ETIMEDOUT && a->ss.ss_family == AF_UNIX)
			rc = -EAGAIN;
		if (rc == 0 || rc == SIPC_ETIMEDOUT) {
			d->fd = fd;
			sipc__io_init(&d->io, fd, on_io, d);
			if (rc == 0)
				connected(d);
			else if (sipc__io_start(d->loop, &d->io, SIPC_LOOP_OUT) < 0)
				fail(d, -ENOMEM);
			return;
		}
		sipc__sys_close(fd);
		if (rc == -EAGAIN && a->ss.ss_family == AF_UNIX) {
			/* Retry this address soon, within the timeout. */
			sipc__timer_start(d->loop, &d->retry, UNIX_RETRY_MS);
			return;
		}
		err = rc;
	}
	finish(d, err, -1, NULL, NULL);
}

static void on_io(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct sipc__dialer *d = io->arg;
	int soerr = 0, rc;

	(void)loop;
	(void)revents;
	if (d->ep != NULL) {
		handshake(d);
		return;
	}
	if (d->proxy_hs != NULL) {
		proxy_step(d);
		return;
	}
	rc = sipc__sys_getsockopt_int(d->fd, SOL_SOCKET, SO_ERROR, &soerr);
	if (rc == 0 && soerr == 0) {
		connected(d);
		return;
	}
	sipc__io_stop(d->loop, &d->io);
	sipc__sys_close(d->fd);
	d->fd = -1;
	d->addr_i++;
	next_addr(d, rc < 0 ? rc : -soerr);
}

static void on_retry(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc__dialer *d = t->arg;

	(void)loop;
	if (d->active && d->fd < 0 && d->ep == NULL)
		next_addr(d, -EAGAIN);
}

static void on_timeout(sipc_loop *loop, sipc_loop_timer *t)
{
	struct sipc__dialer *d = t->arg;

	(void)loop;
	if (d->active)
		fail(d, SIPC_ETIMEDOUT);
}

void sipc__dialer_start(struct sipc__dialer *d, sipc_loop *loop, const struct sipc__dial_target *t,
			sipc__dialer_done_fn *done, void *arg)
{
	d->loop = loop;
	d->t = t;
	d->done = done;
	d->arg = arg;
	d->active = true;
	d->fd = -1;
	d->ep = NULL;
	d->addr_i = 0;
	d->proxy_hs = NULL;
	d->tunneled = false;
	sipc__io_init(&d->io, -1, on_io, d);
	sipc__timer_init(&d->timer, on_timeout, d);
	sipc__timer_init(&d->retry, on_retry, d);
	sipc__timer_start(loop, &d->timer, t->timeout_ms);
	next_addr(d, -ECONNREFUSED);
}

void sipc__dialer_stop(struct sipc__dialer *d)
{
	if (!d->active)
		return;
	sipc__io_stop(d->loop, &d->io);
	sipc__timer_stop(d->loop, &d->timer);
	sipc__timer_stop(d->loop, &d->retry);
	proxy_free(d);
	if (d->ep != NULL)
		sipc_endpoint_close(d->ep);
	else if (d->fd >= 0)
		sipc__sys_close(d->fd);
	d->ep = NULL;
	d->fd = -1;
	d->active = false;
}
