/*
 * inetd.c - --inetd: descriptor 0 is the client's connection (inetd's
 * `nowait`), or a datagram socket with the first datagram waiting in it
 * (inetd's `wait`).  Nothing here serves bytes: the socket goes into the
 * pool of sockets passed in (inherit.h) under the name of the one service
 * line made for it, the server core adopts it as that line's endpoint,
 * and a connection is then served by a solo worker (server.h), as a
 * connection thread or process of the other models is; a datagram socket
 * is served as any datagram endpoint, until it has been idle for the idle
 * timeout (ready.c).  Pipes on 0 and 1 (a tcpserver-style wrapper that
 * is not a socket) are refused: the services need a socket to shut down
 * one direction of and to read the peer's address from.
 *
 * --inetd=shm: the unix stream socket is an shm:// rendezvous.  Its line
 * is shm://, so the endpoint the core wraps around the descriptor runs
 * the shm handshake on first use (handshake.c), as an accepted shm
 * connection does; a listening rendezvous (inetd's `wait`) gives the one
 * client in its queue, accepted here.
 */
#include "serve/inetd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/acl.h"
#include "serve/ctlsig.h"
#include "serve/limits.h"
#include "serve/server.h"
#include "sys/sys.h"

static sipc_scheme scheme_of(int type, int family)
{
	bool ip = family == AF_INET || family == AF_INET6;

	if (type == SOCK_STREAM)
		return ip ? SIPC_TCP : family == AF_UNIX ? SIPC_UNIX : SIPC_SCHEME_NONE;
	if (type == SOCK_DGRAM)
		return ip ? SIPC_UDP : family == AF_UNIX ? SIPC_UNIXGRAM : SIPC_SCHEME_NONE;
	if (type == SOCK_SEQPACKET && family == AF_UNIX)
		return SIPC_UNIXPACKET;
	return SIPC_SCHEME_NONE;
}

/* The URL of FD's own address into URL; an unnamed unix socket (a
 * socketpair from socat's EXEC) has none, and is called SCHEME:///dev/stdin. */
static void local_url(int fd, sipc_scheme scheme, char *url, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	sipc_addr a;
	sipc_url *u;

	if (sipc__sys_getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    sipc_addr_from_sockaddr(&a, scheme, (struct sockaddr *)&ss, sl) == 0 &&
	    sipc_addr_format(&a, url, len) >= 0 && sipc_url_parse(url, &u, NULL, 0) == 0) {
		sipc_url_free(u);
		return;
	}
	snprintf(url, len, "%s:///dev/stdin", sipc_scheme_name(scheme));
}

/* Descriptors 0 and 1 become /dev/null: the client is reached through
 * the endpoint alone (an exec child gets it on 0 and 1 again). */
static int quiet_stdio(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return -errno;
	if (dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0) {
		int err = -errno;
		close(null);
		return err;
	}
	if (null > STDERR_FILENO)
		close(null);
	return 0;
}

/* The scheme named by --inetd=NAME (the part before '?'), or
 * SIPC_SCHEME_NONE. */
static sipc_scheme scheme_named(const char *name, size_t len)
{
	for (int s = SIPC_TCP; s <= SIPC_SHM; s++)
		if (strlen(sipc_scheme_name((sipc_scheme)s)) == len &&
		    strncmp(sipc_scheme_name((sipc_scheme)s), name, len) == 0)
			return (sipc_scheme)s;
	return SIPC_SCHEME_NONE;
}

/* "a unix stream socket" for the sentences about descriptor 0. */
static const char *kind_words(int type, int family, int listening)
{
	static char buf[64];

	snprintf(buf, sizeof(buf), "%s %s%s",
		 family == AF_INET    ? "an IPv4"
		 : family == AF_INET6 ? "an IPv6"
		 : family == AF_UNIX  ? "a unix"
				      : "a",
		 type == SOCK_STREAM      ? "stream socket"
		 : type == SOCK_DGRAM     ? "datagram socket"
		 : type == SOCK_SEQPACKET ? "seqpacket socket"
					  : "socket",
		 listening ? ", listening" : "");
	return buf;
}

/*
 * --inetd=SCHEME[?OPTIONS] (HOW->as) against the socket's own scheme
 * *SCHEMEP: the socket's kind must be SCHEME's (tls on TCP, shm on a
 * unix stream socket, the others only themselves), and URL options go
 * with shm alone (ring=, spin=: the rings are set up here; the socket
 * itself was set up by whoever passed it).  *QUERYP: the options, or "".
 */
static int named_scheme(const char *as, int type, int family, int listening, sipc_scheme *schemep,
			const char **queryp, char *why, size_t whylen)
{
	const char *q = strchr(as, '?');
	size_t len = q != NULL ? (size_t)(q - as) : strlen(as);
	sipc_scheme want, have = *schemep;

	*queryp = "";
	/* "shm://" as in a URL is "shm". */
	if (len >= 3 && strncmp(as + len - 3, "://", 3) == 0)
		len -= 3;
	want = scheme_named(as, len);
	if (want == SIPC_SCHEME_NONE || want == SIPC_TCP4 || want == SIPC_TCP6 ||
	    want == SIPC_UDP4 || want == SIPC_UDP6 || want == SIPC_TLS4 || want == SIPC_TLS6) {
		snprintf(why, whylen,
			 "--inetd=%.*s: not a scheme --inetd serves (tcp, udp, tls, unix, "
			 "unixgram, unixpacket or shm; the family is the socket's)",
			 (int)(len > 40 ? 40 : len), as);
		return -1;
	}
	if (want != have && !(want == SIPC_TLS && have == SIPC_TCP) &&
	    !(want == SIPC_SHM && have == SIPC_UNIX)) {
		snprintf(why, whylen, "--inetd=%s: descriptor 0 is %s, which %s%s%s",
			 sipc_scheme_name(want), kind_words(type, family, listening),
			 want == SIPC_SHM ? "is no shm rendezvous (a unix stream socket)"
					  : "serves ",
			 want == SIPC_SHM ? "" : sipc_scheme_name(have),
			 want == SIPC_SHM || have != SIPC_TCP ? "" : " or tls");
		return -1;
	}
	if (q != NULL && want != SIPC_SHM) {
		snprintf(why, whylen,
			 "--inetd=%s?...: URL options go with shm alone (ring=, spin=); the "
			 "socket on descriptor 0 was set up by whoever passed it",
			 sipc_scheme_name(want));
		return -1;
	}
	*schemep = want;
	*queryp = q != NULL ? q : "";
	return 0;
}

/* Accepts on the non-blocking LISTENER until DEADLINE: the connection,
 * or -1 with WHY (WAIT_MS: the time given, for the sentence). */
static int wait_accept(int listener, int64_t deadline, int wait_ms, char *why, size_t whylen)
{
	for (;;) {
		int fd = sipc__sys_accept(listener, NULL, NULL);
		int64_t left = deadline - sipc__loop_clock_ms();
		struct pollfd p = {listener, POLLIN, 0};

		if (fd >= 0)
			return fd;
		if (fd != -EAGAIN) {
			snprintf(why, whylen, "--inetd: accept on descriptor 0: %s",
				 sipc_strerror(fd));
			return -1;
		}
		if (left <= 0) {
			snprintf(why, whylen,
				 "--inetd: descriptor 0 listens, and no client came within "
				 "%d.%03d s (--idle-timeout)",
				 wait_ms / 1000, wait_ms % 1000);
			return -1;
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			snprintf(why, whylen, "--inetd: poll on descriptor 0: %s", strerror(errno));
			return -1;
		}
	}
}

/*
 * inetd's `wait` on an shm rendezvous: descriptor 0 listens, and the
 * client that woke the super-server waits in its queue.  One connection
 * is taken within WAIT_MS (the super-server starts serve again for the
 * next one); none within it is an answer too, so that serve exits rather
 * than hang on a queue another process emptied.  The connection's
 * descriptor, or -1 with WHY.
 */
static int accept_one(int listener, int wait_ms, char *why, size_t whylen)
{
	int64_t deadline = sipc__loop_clock_ms() + wait_ms;
	int flags = fcntl(listener, F_GETFL);
	int fd;

	/* Never blocked in accept by a client another process took: the
	 * super-server's flags are put back once one is accepted. */
	if (flags < 0 ||
	    (!(flags & O_NONBLOCK) && fcntl(listener, F_SETFL, flags | O_NONBLOCK) < 0)) {
		snprintf(why, whylen, "--inetd: descriptor 0: %s", strerror(errno));
		return -1;
	}
	fd = wait_accept(listener, deadline, wait_ms, why, whylen);
	if (!(flags & O_NONBLOCK))
		(void)fcntl(listener, F_SETFL, flags);
	return fd;
}

int sipc__inetd_config(struct sipc_serve_config *cfg, struct sipc__inherit **poolp,
		       char *const *words, int nwords, const struct sipc__inetd_how *how, char *why,
		       size_t whylen)
{
	int type, family, listening = 0, fd, err;
	char url[SIPC_URL_MAX];
	const char *query = "";
	char **argv;
	sipc_scheme scheme;
	bool tls = how->tls;

	if (nwords < 1) {
		snprintf(why, whylen, "--inetd: expected SERVICE [ARGS...]");
		return -1;
	}
	if (strcmp(words[0], "broadcast") == 0) {
		snprintf(why, whylen,
			 "--inetd: broadcast passes lines between the clients of one endpoint, "
			 "and --inetd serves one client");
		return -1;
	}
	if (!sipc__serve_fd_is_socket(STDIN_FILENO) ||
	    sipc__sys_getsockopt_int(STDIN_FILENO, SOL_SOCKET, SO_TYPE, &type) < 0 ||
	    sipc__sys_getsockopt_int(STDIN_FILENO, SOL_SOCKET, SO_DOMAIN, &family) < 0) {
		snprintf(why, whylen,
			 "--inetd: descriptor 0 is not a socket (a pipe, a file or a terminal); "
			 "--inetd serves the connection that inetd, xinetd, systemd (Accept=yes), "
			 "tcpserver or socat's EXEC pass on descriptor 0");
		return -1;
	}
	(void)sipc__sys_getsockopt_int(STDIN_FILENO, SOL_SOCKET, SO_ACCEPTCONN, &listening);
	scheme = scheme_of(type, family);
	if (how->as != NULL && how->as[0] != '\0' &&
	    named_scheme(how->as, type, family, listening, &scheme, &query, why, whylen) < 0)
		return -1;
	/* A listener is inetd's `wait = yes` on a stream: only an shm
	 * rendezvous is served that way (one connection accepted, below). */
	if (listening && scheme != SIPC_SHM) {
		snprintf(why, whylen,
			 "--inetd: descriptor 0 is a listening socket (inetd's `wait = yes` on a "
			 "stream); --inetd serves one connection: use `wait = no`, or pass "
			 "listeners with LISTEN_FDS (systemd Accept=no) to a plain serve%s",
			 family == AF_UNIX && type == SOCK_STREAM
				 ? " (an shm:// rendezvous is taken listening: --inetd=shm)"
				 : "");
		return -1;
	}
	if (scheme == SIPC_SCHEME_NONE) {
		snprintf(why, whylen,
			 "--inetd: descriptor 0 is a socket of a kind sockipc does "
			 "not serve (not IP or unix; not stream, datagram or "
			 "seqpacket)");
		return -1;
	}
	if (scheme == SIPC_TLS)
		tls = true;
	if (tls && scheme != SIPC_TCP && scheme != SIPC_TLS) {
		snprintf(why, whylen,
			 "--inetd: the TLS options need a TCP connection on descriptor 0, and it "
			 "is %s for %s://",
			 kind_words(type, family, listening), sipc_scheme_name(scheme));
		return -1;
	}
	/* The client speaks TLS on the connection inetd accepted: the core
	 * does the handshake, as for a connection accepted on tls://. */
	if (tls)
		scheme = SIPC_TLS;
	local_url(STDIN_FILENO, scheme, url, sizeof(url));
	/* shm: ring= and spin= of the connection go on the line's URL,
	 * which the core gives the endpoint it wraps (server.c). */
	if (strlen(url) + strlen(query) >= sizeof(url)) {
		snprintf(why, whylen, "--inetd=%s: too long", how->as);
		return -1;
	}
	strcat(url, query);
	argv = calloc((size_t)nwords + 2, sizeof(*argv));
	if (argv == NULL)
		goto nomem;
	argv[0] = url;
	for (int i = 0; i < nwords; i++)
		argv[i + 1] = words[i];
	err = sipc__serve_config_add_words(cfg, "--inetd", argv, nwords + 1, why, whylen);
	free(argv);
	if (err < 0)
		return -1;
	if (listening && how->check) {
		fd = -1; /* --check takes no client from the queue */
	} else if (listening) {
		fd = accept_one(STDIN_FILENO,
				cfg->idle_ms > 0 ? cfg->idle_ms : SIPC__INETD_WAIT_MS_DEFAULT, why,
				whylen);
		if (fd < 0)
			return -2;
	} else {
		fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		if (fd < 0)
			goto nomem;
	}
	if (sipc__inherit_new(poolp) < 0) {
		if (fd >= 0)
			close(fd);
		goto nomem;
	}
	err = 0;
	if (fd >= 0)
		err = type == SOCK_DGRAM ? sipc__inherit_add(*poolp, fd, url)
					 : sipc__inherit_add_connection(*poolp, fd, url);
	if (err == 0)
		err = quiet_stdio();
	if (err < 0) {
		snprintf(why, whylen, "--inetd: %s", sipc_strerror(err));
		return -1;
	}
	cfg->inherit = *poolp;
	cfg->inetd = true;
	cfg->workers = 1;
	return 0;
nomem:
	snprintf(why, whylen, "out of memory");
	return -1;
}

struct signals {
	struct sipc__server *srv;
	struct sipc_worker *w;
	int seen;
};

static void on_signal(sipc_loop *loop, sipc_loop_io *io, uint32_t revents)
{
	struct signals *s = io->arg;
	struct sipc__ctl_sig si;

	(void)loop;
	(void)io;
	(void)revents;
	while (sipc__server_signal_next(s->srv, &si) == 1) {
		if (si.what == SIPC__CTL_STATS) {
			sipc__server_print_stats(s->srv);
			continue;
		}
		if (si.what != SIPC__CTL_STOP)
			continue;
		sipc__server_stopping(s->srv);
		sipc__worker_request_drain(s->w, ++s->seen >= 2 ? 2 : 1);
	}
}

int sipc__inetd_serve(struct sipc__server *srv)
{
	struct sipc_srv_endpoint *sep = &srv->eps[0];
	struct sipc_worker *w = &srv->workers[0];
	struct signals s = {srv, w, 0};
	struct sipc__ticket t = {0};
	sipc_endpoint *ep = sep->ep;
	const char *refused = NULL;
	char why[160];
	char pstr[SIPC_URL_MAX];
	sipc_addr peer;
	int err;

	if (sipc__server_signalfd(srv, false) < 0)
		return 1;
	sipc__io_init(&srv->sig_io, srv->sigfd, on_signal, &s);
	err = sipc__io_start(w->loop, &srv->sig_io, SIPC_LOOP_IN);
	if (err < 0) {
		sipc__serve_log(srv, 0, "serve: event loop: %s", sipc_strerror(err));
		return 1;
	}
	srv->start_ms = sipc__loop_clock_ms();
	if (sipc_endpoint_peer(ep, &peer) < 0) {
		peer.scheme = sep->scheme;
		peer.len = 0;
		peer.ss.ss_family = AF_UNSPEC;
	}
	/* The connection is the worker's from here on, not the endpoint's. */
	sep->ep = NULL;
	sep->fd = -1;
	/* Who may connect: --allow, and the service's only_from, no_access
	 * and access_times (limits.h; the counting limits see this one
	 * connection: inetd bounds the processes). */
	if (!sipc__acl_allows(&srv->cfg->acl, &peer)) {
		refused = "not in --allow";
	} else if (sep->limits != NULL) {
		struct sipc__peer who = {&peer, NULL};
		sipc_cred cr;
		if (sipc_scheme_is_unix(sep->scheme) && sipc_endpoint_peercred(ep, &cr) == 0)
			who.cred = &cr;
		if (sipc__limits_admit(sep->limits, &who, sipc__loop_clock_ms(), -1, &t, why,
				       sizeof(why)) != SIPC_LIMITS_ADMITTED)
			refused = why;
	}
	if (refused != NULL) {
		if (sipc_addr_format(&peer, pstr, sizeof(pstr)) < 0)
			snprintf(pstr, sizeof(pstr), "?");
		sipc__serve_log(srv, 1, "refused %s local=%s peer=%s: %s", sep->svc->name, sep->url,
				pstr, refused);
		sipc_endpoint_close(ep);
		sipc__io_stop(w->loop, &srv->sig_io);
		return 1;
	}
	w->solo = true;
	__atomic_add_fetch(&srv->open_conns, 1, __ATOMIC_RELAXED);
	struct sipc__conn_who cw = {.peer = peer}; /* local: the socket's own */
	sipc__conn_new(w, sep, ep, &cw, &t);
	if (w->nconns > 0) {
		err = sipc__loop_run(w->loop);
		if (err < 0) {
			sipc__serve_log(srv, 0, "serve: event loop: %s", sipc_strerror(err));
			w->draining = true;
			sipc__conn_close_all(w, "stopped");
		}
	}
	sipc__io_stop(w->loop, &srv->sig_io);
	return err < 0 ? 1 : 0;
}
