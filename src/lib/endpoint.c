/*
 * endpoint.c - opening, accepting and closing endpoints: sipc_listen,
 * sipc_dial, sipc_accept, sipc_endpoint_from_fd, sipc_endpoint_close and
 * the accessors.  It owns the order of the socket calls (socket, options,
 * bind, listen / connect, the association trace line) and trying every
 * resolved address in turn; what differs between socket kinds is in the
 * transport table (transport/), which also closes a connection and shuts
 * its sending side (ep->tp->close, ->shutdown_write).  Moving messages and
 * bytes is msg.c's and bytes.c's, on the same table.
 */
#include "endpoint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>

#include "sys/net.h"
#include "proxy/proxy.h"
#include "sys/sys.h"
#include "trace.h"
#include "transport/transport.h"
#include "sockopt.h"
#include "url.h"

/* Most addresses a name is tried at: getaddrinfo rarely gives more than a
 * v6 and a v4 address per name, and a dial tries each with what is left of
 * one timeout. */
#define MAX_ADDRS 16

/* The WHY buffer of OPTS starts empty: a failure without a sentence
 * leaves it so. */
static void why_clear(const sipc_options *opts)
{
	if (opts != NULL && opts->why != NULL && opts->whylen > 0)
		opts->why[0] = '\0';
}

/* A dial that fails takes its endpoint's sentence with it. */
static void why_copy(const sipc_options *opts, const sipc_endpoint *ep)
{
	if (opts != NULL && opts->why != NULL && opts->whylen > 0 && ep->why != NULL)
		snprintf(opts->why, opts->whylen, "%s", ep->why);
}

static sipc_endpoint *ep_new(sipc_scheme scheme, const struct sipc__transport *tp,
			     const sipc_options *opts)
{
	sipc_endpoint *ep = calloc(1, sizeof(*ep));

	if (ep == NULL)
		return NULL;
	ep->fd = -1;
	ep->scheme = scheme;
	ep->tp = tp;
	ep->max_msg = opts && opts->max_msg ? opts->max_msg : SIPC_MAX_MSG_DEFAULT;
	ep->backlog = opts && opts->backlog > 0 ? opts->backlog : SOMAXCONN;
	ep->trace = opts ? opts->trace : NULL;
	ep->trace_arg = opts ? opts->trace_arg : NULL;
	return ep;
}

/* Unlinks the socket file this endpoint bound, but only while the file at
 * the path is still that one: a newer listener may have replaced it after
 * judging ours stale, and its file must survive our close. */
static void unlink_if_ours(sipc_endpoint *ep)
{
	struct sipc__file_id now;

	if (ep->unlink_path == NULL)
		return;
	if (sipc__sys_sockfile(ep->unlink_path, &now) == 0 && now.dev == ep->unlink_id.dev &&
	    now.ino == ep->unlink_id.ino)
		(void)sipc__sys_unlink(ep->unlink_path);
	free(ep->unlink_path);
	ep->unlink_path = NULL;
}

void sipc__ep_release_path(sipc_endpoint *ep)
{
	free(ep->unlink_path);
	ep->unlink_path = NULL;
}

int sipc__ep_claim_path(sipc_endpoint *ep)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	struct sipc__file_id id;
	size_t n;
	char *path;

	memset(&sun, 0, sizeof(sun));
	int rc = sipc__sys_getsockname(ep->fd, (struct sockaddr *)&sun, &len);

	if (rc < 0)
		return rc;
	if (sun.sun_family != AF_UNIX || (size_t)len <= offsetof(struct sockaddr_un, sun_path) ||
	    sun.sun_path[0] == '\0')
		return 0;
	n = strnlen(sun.sun_path, (size_t)len - offsetof(struct sockaddr_un, sun_path));
	path = malloc(n + 1);
	if (path == NULL)
		return -ENOMEM;
	memcpy(path, sun.sun_path, n);
	path[n] = '\0';
	if (sipc__sys_sockfile(path, &id) < 0) {
		free(path);
		return 0;
	}
	free(ep->unlink_path);
	ep->unlink_path = path;
	ep->unlink_id = id;
	return 0;
}

void sipc_endpoint_close(sipc_endpoint *ep)
{
	if (ep == NULL)
		return;
	/* Unlink before close, so no new client finds a path whose listener
	 * is already gone. */
	unlink_if_ours(ep);
	if (ep->fd >= 0)
		ep->tp->io->close(ep);
	free(ep->rx.body);
	/* Descriptors that came with a frame never finished (fdmsg.c). */
	for (size_t i = 0; i < ep->rx.nfds; i++)
		sipc__sys_close(ep->rx.fds[i]);
	free(ep->rx.fds);
	free(ep->tx.frame);
	free(ep->why);
	free(ep);
}

int sipc__ep_check(const sipc_endpoint *ep, int timeout_ms)
{
	return ep == NULL || timeout_ms < -1 ? -EINVAL : 0;
}

bool sipc__ep_accepts(const sipc_endpoint *ep)
{
	return ep->listener && ep->tp->listens;
}

int sipc__ep_check_io(const sipc_endpoint *ep, int timeout_ms)
{
	int rc = sipc__ep_check(ep, timeout_ms);

	if (rc == 0 && sipc__ep_accepts(ep))
		rc = SIPC_EKIND;
	return rc;
}

/* One of the endpoint's two addresses, read with GET (getsockname or
 * getpeername) and given the endpoint's scheme. */
static int addr_of(const sipc_endpoint *ep, int (*get)(int, struct sockaddr *, socklen_t *),
		   sipc_addr *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int rc;

	memset(&ss, 0, sizeof(ss));
	rc = get(ep->fd, (struct sockaddr *)&ss, &len);
	if (rc < 0)
		return rc;
	return sipc_addr_from_sockaddr(out, ep->scheme, (struct sockaddr *)&ss, len);
}

static int local_of(const sipc_endpoint *ep, sipc_addr *out)
{
	return addr_of(ep, sipc__sys_getsockname, out);
}

static int peer_of(const sipc_endpoint *ep, sipc_addr *out)
{
	return addr_of(ep, sipc__sys_getpeername, out);
}

/* "association (tcp, LOCAL, REMOTE)": the 5-tuple of a connection, as
 * the seeds name it, once one exists. */
static void trace_association(const sipc_endpoint *ep)
{
	sipc_addr a;
	char lb[SIPC_URL_MAX] = "?", rb[SIPC_URL_MAX] = "?";

	if (ep->trace == NULL)
		return;
	if (local_of(ep, &a) == 0)
		sipc__tp_addr_text(&a, lb, sizeof(lb));
	if (peer_of(ep, &a) == 0)
		sipc__tp_addr_text(&a, rb, sizeof(rb));
	sipc__tracef(ep->trace, ep->trace_arg, "association (%s, %s, %s)", ep->tp->proto, lb, rb);
}

/* ------------------------------------------------------------------ listen */

static int listen_one(sipc_scheme scheme, const struct sipc__transport *tp, const sipc_addr *addr,
		      const sipc_options *opts, const struct sipc__sockopts *so,
		      sipc_endpoint **epp)
{
	sipc_endpoint *ep = ep_new(scheme, tp, opts);
	char rb[128];
	int rc;

	if (ep == NULL)
		return -ENOMEM;
	ep->sockopts = *so;
	ep->fd = sipc__tp_socket(ep, addr->ss.ss_family, tp->socktype);
	if (ep->fd < 0) {
		rc = ep->fd;
		goto fail;
	}
	if (tp->attach) {
		struct sipc__attach how = {.kind = SIPC__ATTACH_LISTEN, .opts = opts};

		if ((rc = tp->attach(ep, &how)) < 0)
			goto fail;
	}
	if ((rc = sipc__sockopt_apply(ep, addr, SIPC__SO_LISTEN)) < 0)
		goto fail;
	if (tp->before_bind && (rc = tp->before_bind(ep, addr)) < 0)
		goto fail;
	rc = tp->bind(ep, addr, opts ? opts->unix_mode : 0);
	if (rc < 0)
		goto fail;
	if (tp->listens) {
		rc = sipc__sys_listen(ep->fd, ep->backlog);
		sipc__tracef(ep->trace, ep->trace_arg, "listen(%d, %d) = %s", ep->fd, ep->backlog,
			     sipc__result_text(rc, rb, sizeof(rb)));
		if (rc < 0)
			goto fail;
	}
	if ((rc = sipc__sockopt_apply(ep, addr, SIPC__SO_LISTENING)) < 0)
		goto fail;
	/* A bound datagram socket is the datagram kind's listener: it
	 * receives from anyone and has no fixed peer. */
	ep->listener = true;
	ep->connected = false;
	*epp = ep;
	return 0;

fail:
	why_copy(opts, ep);
	sipc_endpoint_close(ep);
	return rc;
}

int sipc_listen_url(const sipc_url *url, const sipc_options *opts, sipc_endpoint **epp)
{
	sipc_addr addrs[MAX_ADDRS];
	const struct sipc__transport *tp;
	sipc_scheme scheme;
	int n, rc = -EINVAL;

	if (url == NULL || epp == NULL)
		return -EINVAL;
	scheme = sipc_url_scheme(url);
	tp = sipc__transport_for(scheme);
	if (tp == NULL)
		return SIPC_EURL_SCHEME;
	why_clear(opts);
	if (tp->check_opts && (rc = tp->check_opts(opts, true)) < 0)
		return rc;
	n = sipc_url_resolve(url, true, addrs, MAX_ADDRS);
	if (n < 0)
		return n;
	/* The first address that binds wins; when none does, the error of
	 * the last one is the one to report. */
	for (int i = 0; i < n; i++) {
		rc = listen_one(scheme, tp, &addrs[i], opts, &url->opts, epp);
		if (rc == 0)
			return 0;
	}
	return rc;
}

int sipc_listen(const char *url, const sipc_options *opts, sipc_endpoint **epp)
{
	sipc_url *u;
	int rc;

	if (url == NULL || epp == NULL)
		return -EINVAL;
	rc = sipc_url_parse(url, &u, opts ? opts->why : NULL, opts ? opts->whylen : 0);
	if (rc < 0)
		return rc;
	rc = sipc_listen_url(u, opts, epp);
	sipc_url_free(u);
	return rc;
}

/* -------------------------------------------------------------------- dial */

/* The local addresses opts->source names, resolved once for all tries. */
struct source {
	int n;
	sipc_addr addrs[MAX_ADDRS];
};

static int resolve_source(const char *text, struct source *src)
{
	sipc_url *u;
	int rc;

	src->n = 0;
	if (text == NULL)
		return 0;
	rc = sipc_url_parse(text, &u, NULL, 0);
	if (rc < 0)
		return rc;
	/* Options belong to the endpoint's URL, which makes the socket. */
	if (u->opts.set != 0) {
		sipc_url_free(u);
		return SIPC_EURL_OPTION;
	}
	rc = sipc_url_resolve(u, true, src->addrs, MAX_ADDRS);
	sipc_url_free(u);
	if (rc < 0)
		return rc;
	src->n = rc;
	return 0;
}

static int bind_source(sipc_endpoint *ep, const sipc_addr *to, const struct source *src)
{
	/* Only an address of the destination's family can be the source of
	 * a connection to it. */
	for (int i = 0; i < src->n; i++)
		if (src->addrs[i].ss.ss_family == to->ss.ss_family)
			return ep->tp->bind(ep, &src->addrs[i], 0);
	return SIPC_EURL_FAMILY;
}

static int dial_one(sipc_scheme scheme, const struct sipc__transport *tp, const sipc_addr *addr,
		    const sipc_options *opts, const struct source *src, const sipc_url *url,
		    struct sipc__proxy_dial *pd, int64_t deadline, sipc_endpoint **epp)
{
	sipc_endpoint *ep = ep_new(scheme, tp, opts);
	const char *host = url->host ? url->host : "";
	int rc;

	if (ep == NULL)
		return -ENOMEM;
	ep->sockopts = url->opts;
	ep->fd = sipc__tp_socket(ep, addr->ss.ss_family, tp->socktype);
	if (ep->fd < 0) {
		rc = ep->fd;
		goto fail;
	}
	if ((rc = sipc__sockopt_apply(ep, addr, SIPC__SO_DIAL)) < 0)
		goto fail;
	if (src->n > 0)
		rc = bind_source(ep, addr, src);
	else
		rc = tp->before_connect ? tp->before_connect(ep, addr) : 0;
	if (rc < 0)
		goto fail;
	rc = sipc__tp_connect(ep, ep->fd, addr, deadline);
	if (rc < 0)
		goto fail;
	if (tp->after_connect && (rc = tp->after_connect(ep)) < 0)
		goto fail;
	ep->connected = true;
	ep->listener = false;
	trace_association(ep);
	/* Through a proxy: its handshake first, then TLS over the tunnel. */
	if (pd != NULL && (rc = sipc__proxy_dial_run(ep, pd, deadline)) < 0) {
		why_copy(opts, ep);
		goto fail;
	}
	if (tp->attach) {
		struct sipc__attach how = {.kind = SIPC__ATTACH_DIAL, .opts = opts, .host = host};

		if ((rc = tp->attach(ep, &how)) < 0)
			goto fail;
	}
	/* TLS: the handshake is part of the dial, within its deadline. */
	rc = tp->io->handshake(ep, deadline);
	if (rc < 0)
		goto fail;
	*epp = ep;
	return 0;

fail:
	why_copy(opts, ep);
	sipc_endpoint_close(ep);
	return rc;
}

int sipc_dial_url(const sipc_url *url, const sipc_options *opts, int timeout_ms,
		  sipc_endpoint **epp)
{
	sipc_addr addrs[MAX_ADDRS];
	struct source src;
	struct sipc__proxy_dial proxy, *pd = NULL;
	const struct sipc__transport *tp;
	sipc_scheme scheme;
	int64_t deadline;
	int n, rc = -EINVAL;

	if (url == NULL || epp == NULL || timeout_ms < -1)
		return -EINVAL;
	deadline = sipc__deadline(timeout_ms);
	scheme = sipc_url_scheme(url);
	tp = sipc__transport_for(scheme);
	if (tp == NULL)
		return SIPC_EURL_SCHEME;
	why_clear(opts);
	if (tp->check_opts && (rc = tp->check_opts(opts, false)) < 0)
		return rc;
	rc = resolve_source(opts ? opts->source : NULL, &src);
	if (rc < 0)
		return rc;
	if (opts != NULL && opts->proxy != NULL) {
		/* The addresses to connect to are the proxy's. */
		pd = &proxy;
		n = sipc__proxy_dial_prepare(url, opts, pd, addrs, MAX_ADDRS);
	} else {
		n = sipc_url_resolve(url, false, addrs, MAX_ADDRS);
	}
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		/* Each address gets what is left of the one timeout; once it
		 * has run out, later addresses are not tried. */
		if (i > 0 && sipc__deadline_left(deadline) == 0)
			break;
		rc = dial_one(scheme, tp, &addrs[i], opts, &src, url, pd, deadline, epp);
		if (rc == 0)
			return 0;
		/* A handshake that failed fails the same at every address of
		 * the name (same server, same certificate), and a proxy that
		 * answered answers the same at its other addresses. */
		if ((rc <= SIPC_ETLS_CONFIG && rc >= SIPC_ETLS_CERT) || (pd && pd->answered))
			break;
	}
	if (pd != NULL)
		sipc__proxy_dial_unreached(pd, opts, rc);
	return rc;
}

int sipc_dial(const char *url, const sipc_options *opts, int timeout_ms, sipc_endpoint **epp)
{
	sipc_url *u;
	int rc;

	if (url == NULL || epp == NULL)
		return -EINVAL;
	rc = sipc_url_parse(url, &u, opts ? opts->why : NULL, opts ? opts->whylen : 0);
	if (rc < 0)
		return rc;
	rc = sipc_dial_url(u, opts, timeout_ms, epp);
	sipc_url_free(u);
	return rc;
}

/* ------------------------------------------------------------------ accept */

int sipc_accept(sipc_endpoint *listener, int timeout_ms, sipc_endpoint **connp)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char rb[128];
	int64_t deadline = sipc__deadline(timeout_ms);
	int fd, rc;

	if (sipc__ep_check(listener, timeout_ms) < 0 || connp == NULL)
		return -EINVAL;
	if (!sipc__ep_accepts(listener))
		return SIPC_EKIND;
	/* Bounded by the deadline: each pass either takes a connection,
	 * fails, or waits for what is left of it.  A wake-up without a
	 * connection (another process took it) just waits again. */
	for (;;) {
		len = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		fd = sipc__sys_accept(listener->fd, (struct sockaddr *)&ss, &len);
		if (fd >= 0)
			break;
		if (fd != -EAGAIN) {
			/* EMFILE and friends: the connection stays queued and
			 * the caller chooses how to back off. */
			sipc__tracef(listener->trace, listener->trace_arg, "accept(%d) = %s",
				     listener->fd, sipc__result_text(fd, rb, sizeof(rb)));
			return fd;
		}
		rc = sipc__sys_wait(listener->fd, POLLIN, deadline);
		if (rc < 0)
			return rc;
	}
	return sipc__ep_accepted(listener, fd, (struct sockaddr *)&ss, len, connp);
}

bool sipc__ep_plain_accept(const sipc_endpoint *listener)
{
	return sipc__ep_accepts(listener) && listener->tp->attach == NULL &&
	       listener->tp->io == &sipc__conn_ops_sock;
}

int sipc__ep_accepted(sipc_endpoint *listener, int fd, const struct sockaddr *sa, socklen_t len,
		      sipc_endpoint **connp)
{
	struct sockaddr_storage ss;
	sipc_endpoint *ep;
	sipc_addr peer;
	char ab[SIPC_URL_MAX];
	int rc;

	if (listener->trace) {
		if (sa == NULL) {
			/* Accepted by someone else (the loop's ring): the peer
			 * is asked of the connection. */
			len = sizeof(ss);
			memset(&ss, 0, sizeof(ss));
			if (sipc__sys_getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
				len = 0;
			sa = (const struct sockaddr *)&ss;
		}
		if (len > 0 && sipc_addr_from_sockaddr(&peer, listener->scheme, sa, len) == 0)
			sipc__tp_addr_text(&peer, ab, sizeof(ab));
		else
			strcpy(ab, "?");
		sipc__tracef(listener->trace, listener->trace_arg, "accept(%d) = %d %s",
			     listener->fd, fd, ab);
	}

	ep = calloc(1, sizeof(*ep));
	if (ep == NULL) {
		sipc__tp_close(listener, fd);
		return -ENOMEM;
	}
	ep->fd = fd;
	ep->scheme = listener->scheme;
	ep->tp = listener->tp;
	ep->max_msg = listener->max_msg;
	ep->backlog = listener->backlog;
	ep->trace = listener->trace;
	ep->trace_arg = listener->trace_arg;
	ep->sockopts = listener->sockopts;
	ep->connected = true;
	if (ep->tp->after_connect && (rc = ep->tp->after_connect(ep)) < 0) {
		sipc_endpoint_close(ep);
		return rc;
	}
	trace_association(ep);
	if (ep->tp->attach) {
		/* TLS: a server SSL from the listener's config as it is now;
		 * the handshake waits for the first read or write (or
		 * sipc_handshake), so accepting never waits on a client. */
		struct sipc__attach how = {.kind = SIPC__ATTACH_ACCEPT, .listener = listener};

		if ((rc = ep->tp->attach(ep, &how)) < 0) {
			sipc_endpoint_close(ep);
			return rc;
		}
	}
	*connp = ep;
	return 0;
}

/* ----------------------------------------------------------------- from_fd */

/* Whether a socket of FAMILY can carry SCHEME: tcp/udp take either IP
 * family, the 4/6 schemes one, the unix schemes AF_UNIX. */
static bool family_fits(sipc_scheme scheme, int family)
{
	switch (scheme) {
	case SIPC_TCP:
	case SIPC_UDP:
	case SIPC_TLS:
		return family == AF_INET || family == AF_INET6;
	case SIPC_TCP4:
	case SIPC_UDP4:
	case SIPC_TLS4:
		return family == AF_INET;
	case SIPC_TCP6:
	case SIPC_UDP6:
	case SIPC_TLS6:
		return family == AF_INET6;
	case SIPC_UNIX:
	case SIPC_UNIXGRAM:
	case SIPC_UNIXPACKET:
	case SIPC_SHM:
		return family == AF_UNIX;
	case SIPC_SCHEME_NONE:
		break;
	}
	return false;
}

int sipc_endpoint_from_fd(sipc_socket sock, sipc_scheme scheme, const sipc_options *opts,
			  sipc_endpoint **epp)
{
	const struct sipc__transport *tp = sipc__transport_for(scheme);
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	sipc_endpoint *ep;
	int type, family, accepting = 0, rc;
	/* The library holds a socket as an int (see sys/sys.h): a SOCKET
	 * that does not fit is not one Windows made. */
	int fd = (int)sock;

	if (sock < 0 || (sipc_socket)fd != sock || epp == NULL || tp == NULL)
		return -EINVAL;
	/* Check everything before changing anything: on failure the caller
	 * keeps the descriptor as it gave it. */
	rc = sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_TYPE, &type);
	if (rc < 0)
		return rc;
	rc = sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_DOMAIN, &family);
	if (rc < 0)
		return rc;
	if (type != tp->socktype || !family_fits(scheme, family))
		return -EINVAL;
	if (tp->listens) {
		rc = sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting);
		if (rc < 0)
			return rc;
	}
	why_clear(opts);
	if (opts != NULL && opts->url != NULL) {
		if (opts->url->scheme != scheme)
			return -EINVAL;
		/* shm's options are read at its handshake; the others are
		 * setsockopt calls a dial makes on its own socket. */
		if (scheme != SIPC_SHM && opts->url->opts.set != 0) {
			if (opts->why != NULL && opts->whylen > 0)
				snprintf(opts->why, opts->whylen,
					 "the options of a %s:// URL are set on the socket a dial "
					 "makes: set them on the descriptor before wrapping it",
					 sipc_scheme_name(scheme));
			return SIPC_EURL_OPTION;
		}
	}
	ep = ep_new(scheme, tp, opts);
	if (ep == NULL)
		return -ENOMEM;
	rc = sipc__sys_set_cloexec(fd);
	if (rc == 0)
		rc = sipc__sys_set_nonblock(fd, true);
	if (rc < 0) {
		free(ep);
		return rc;
	}
	ep->fd = fd;
	if (opts != NULL && opts->url != NULL)
		ep->sockopts = opts->url->opts;
	ep->connected = sipc__sys_getpeername(fd, (struct sockaddr *)&ss, &len) == 0;
	/* A datagram socket without a fixed peer plays the listener's part. */
	ep->listener = tp->listens ? accepting != 0 : !ep->connected;
	if (tp->attach) {
		/* TLS: the role comes from opts->tls (a client config
		 * without one); the handshake from the first read or write.
		 * On failure the state is gone and the descriptor stays the
		 * caller's. */
		struct sipc__attach how = {.kind = SIPC__ATTACH_FROM_FD, .opts = opts};

		rc = tp->attach(ep, &how);
		if (rc < 0) {
			free(ep->why);
			free(ep);
			return rc;
		}
	}
	*epp = ep;
	return 0;
}

/* --------------------------------------------------------------- accessors */

sipc_socket sipc_endpoint_fd(const sipc_endpoint *ep)
{
	return ep ? (sipc_socket)ep->fd : -EINVAL;
}

sipc_scheme sipc_endpoint_scheme(const sipc_endpoint *ep)
{
	return ep ? ep->scheme : SIPC_SCHEME_NONE;
}

bool sipc_endpoint_is_listener(const sipc_endpoint *ep)
{
	return ep && ep->listener;
}

int sipc_endpoint_local(const sipc_endpoint *ep, sipc_addr *out)
{
	sipc_addr a;
	int rc;

	if (ep == NULL || out == NULL)
		return -EINVAL;
	rc = local_of(ep, &a);
	if (rc == 0)
		*out = a;
	return rc;
}

int sipc_endpoint_peer(const sipc_endpoint *ep, sipc_addr *out)
{
	sipc_addr a;
	int rc;

	if (ep == NULL || out == NULL)
		return -EINVAL;
	if (!ep->connected)
		return -ENOTCONN;
	rc = peer_of(ep, &a);
	if (rc == 0)
		*out = a;
	return rc;
}

int sipc_endpoint_peercred(const sipc_endpoint *ep, sipc_cred *out)
{
	sipc_cred cred;
	int rc;

	if (ep == NULL || out == NULL)
		return -EINVAL;
	if (!sipc_scheme_is_unix(ep->scheme))
		return SIPC_EKIND;
	if (!ep->connected)
		return -ENOTCONN;
	rc = sipc__sys_peercred(ep->fd, &cred);
	if (rc < 0)
		return rc;
	*out = cred;
	return 0;
}

size_t sipc_endpoint_max_msg(const sipc_endpoint *ep)
{
	return ep ? ep->max_msg : 0;
}

void sipc_endpoint_set_max_msg(sipc_endpoint *ep, size_t max_msg)
{
	if (ep)
		ep->max_msg = max_msg ? max_msg : SIPC_MAX_MSG_DEFAULT;
}

int sipc_shutdown_write(sipc_endpoint *ep)
{
	if (ep == NULL)
		return -EINVAL;
	/* shutdown(2) on a listening socket succeeds on Linux and does
	 * nothing useful: say that it makes no sense instead. */
	if (sipc__ep_accepts(ep))
		return SIPC_EKIND;
	return ep->tp->io->shutdown_write(ep);
}

int sipc_handshake(sipc_endpoint *ep, int timeout_ms)
{
	int rc = sipc__ep_check_io(ep, timeout_ms);

	if (rc < 0)
		return rc;
	return ep->tp->io->handshake(ep, sipc__deadline(timeout_ms));
}

short sipc_endpoint_want(const sipc_endpoint *ep, short events)
{
	if (ep == NULL || ep->fd < 0)
		return events;
	return ep->tp->io->want(ep, events);
}

size_t sipc_endpoint_pending(const sipc_endpoint *ep)
{
	if (ep == NULL || ep->fd < 0)
		return 0;
	return ep->tp->io->pending(ep);
}

long sipc_endpoint_spin(const sipc_endpoint *ep)
{
	if (ep == NULL || ep->fd < 0 || ep->tp->io->spin == NULL)
		return 0;
	return ep->tp->io->spin(ep);
}

short sipc_endpoint_ready(sipc_endpoint *ep, short events)
{
	if (ep == NULL || ep->fd < 0 || ep->tp->io->ready == NULL)
		return 0;
	return ep->tp->io->ready(ep, events);
}

const char *sipc_endpoint_why(const sipc_endpoint *ep)
{
	return ep != NULL && ep->why != NULL ? ep->why : "";
}

int sipc_endpoint_connect(sipc_endpoint *ep, const sipc_addr *peer)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	int rc;

	if (ep == NULL)
		return -EINVAL;
	if (!sipc_scheme_is_connectionless(ep->scheme))
		return SIPC_EKIND;
	if (peer == NULL) {
		sipc_addr before, after;

		/* connect(2) to AF_UNSPEC dissolves a datagram association, but
		 * Linux also gives up the local port when it was chosen by the
		 * kernel (bound as port 0: no SOCK_BINDPORT_LOCK), so a listener
		 * on port 0 would silently move.  Binding the same address again
		 * keeps the port its users were told. */
		rc = local_of(ep, &before);
		if (rc < 0)
			return rc;
		rc = sipc__sys_connect(ep->fd, &unspec, sizeof(unspec), SIPC__NEVER);
		if (rc < 0)
			return rc;
		ep->connected = false;
		if (local_of(ep, &after) == 0 && sipc_addr_equal(&before, &after))
			return 0;
		return sipc__tp_bind(ep, ep->fd, &before);
	}
	rc = sipc__tp_connect(ep, ep->fd, peer, SIPC__NEVER);
	if (rc < 0)
		return rc;
	ep->connected = true;
	trace_association(ep);
	return 0;
}

void sipc__ep_why(sipc_endpoint *ep, const char *fmt, ...)
{
	va_list ap;

	if (ep->why == NULL && (ep->why = malloc(SIPC_WHY_MAX)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(ep->why, SIPC_WHY_MAX, fmt, ap);
	va_end(ap);
}
