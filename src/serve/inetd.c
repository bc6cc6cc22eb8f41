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
 */
#include "serve/inetd.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "serve/acl.h"
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

int sipc__inetd_config(struct sipc_serve_config *cfg, struct sipc__inherit **poolp,
		       char *const *words, int nwords, bool tls, char *why, size_t whylen)
{
	int type, family, listening = 0, fd, err;
	char url[SIPC_URL_MAX];
	char **argv;
	sipc_scheme scheme;

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
	if (listening) {
		snprintf(why, whylen,
			 "--inetd: descriptor 0 is a listening socket (inetd's `wait = yes` on a "
			 "stream); --inetd serves one connection: use `wait = no`, or pass "
			 "listeners with LISTEN_FDS (systemd Accept=no) to a plain serve");
		return -1;
	}
	scheme = scheme_of(type, family);
	if (scheme == SIPC_SCHEME_NONE) {
		snprintf(why, whylen,
			 "--inetd: descriptor 0 is a socket of a kind sockipc does "
			 "not serve (not IP or unix; not stream, datagram or "
			 "seqpacket)");
		return -1;
	}
	if (tls && scheme != SIPC_TCP) {
		snprintf(why, whylen,
			 "--inetd: the TLS options need a TCP connection on descriptor 0, and it "
			 "is a %s socket",
			 sipc_scheme_name(scheme));
		return -1;
	}
	/* The client speaks TLS on the connection inetd accepted: the core
	 * does the handshake, as for a connection accepted on tls://. */
	if (tls)
		scheme = SIPC_TLS;
	local_url(STDIN_FILENO, scheme, url, sizeof(url));
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
	fd = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	if (fd < 0 || sipc__inherit_new(poolp) < 0) {
		if (fd >= 0)
			close(fd);
		goto nomem;
	}
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
	struct signalfd_siginfo si;

	(void)loop;
	(void)revents;
	while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			sipc__server_print_stats(s->srv);
			continue;
		}
		if (si.ssi_signo == SIGHUP)
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
	err = sipc__io_start(w->loop, &srv->sig_io, EPOLLIN);
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
