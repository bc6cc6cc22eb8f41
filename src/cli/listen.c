/*
 * listen.c - `sockipc listen URL`: binds URL, says `listening URL` (the real
 * address) on stderr, since stdout carries data, waits for one peer - one
 * connection, or on a datagram URL the sender of the first datagram, to
 * which the socket is then connected - and relays it with stdin and stdout
 * as connect does.  --keep-open takes the next peer after one ends.
 * SIGINT and SIGTERM end it through the normal close, so a unix socket
 * file it bound is removed, as serve removes its own.  On tls:// each
 * accepted connection's handshake is driven before the relay (bounded, and
 * a stop signal still ends it); without --cert a self-signed certificate is
 * made, and one stderr line says how the other side pins it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/connect.h"
#include "cli/fdcli.h"
#include "cli/opt.h"
#include "cli/plat.h"
#include "cli/program.h"
#include "cli/progpool.h"
#include "cli/tlscli.h"
#include "cli/tlsopt.h"
#include "sys/sys.h"
#include "trace.h"

static bool keep_open;
static long max_conns; /* 0: not given (1) */
/* --recv-fd[=DIR]: NULL not given, "" to stdout, else the directory. */
static const char *recv_fd;

/* How long an accepted TLS connection may take over its handshake when
 * --idle-timeout does not say: a peer that stops half-way must not hold
 * the listener. */
#define HANDSHAKE_MS 10000

static const struct sipc_opt opts_table[] = {
	{"framed", 0, SIPC__OPT_FLAG, &sipc_relay_opts.framed, 0, 0, NULL,
	 "each line of stdin is one message; each message received is one line"},
	{"crlf", 'C', SIPC__OPT_FLAG, &sipc_relay_opts.crlf, 0, 0, NULL,
	 "send CRLF for each newline of stdin"},
	{"idle-timeout", 'i', SIPC__OPT_SECONDS, &sipc_relay_opts.idle_ms, 0, 86400000, "S",
	 "end a peer after S seconds without traffic"},
	{"chunk", 0, SIPC__OPT_SIZE, &sipc_relay_opts.chunk, 1, 65507, "N",
	 "datagram URLs: each read of up to N bytes is one datagram (not each line)"},
	{"keep-open", 'k', SIPC__OPT_FLAG, &keep_open, 0, 0, NULL,
	 "after a peer ends, wait for the next one"},
	SIPC_CLI_PROGRAM_OPTS,
	{"max-conns", 'm', SIPC__OPT_INT, &max_conns, 1, 10000, "N",
	 "with --keep-open and -e: up to N peers at once, each with its own program"},
	SIPC_CLI_TLS_SERVER_OPTS,
	{"recv-fd", 0, SIPC__OPT_OPTSTRING, &recv_fd, 0, 0, "DIR",
	 "unix URLs: take descriptors sent with messages (send --fd); write what each reads "
	 "to stdout, or save it in a new file in DIR and print its path"},
	{NULL},
};

static const struct sipc_opt_spec spec = {
	"listen",
	"[OPTIONS] URL",
	"Listens on URL, prints `listening URL` (the real port) on stderr, waits\n"
	"for one peer (a connection, or the sender of the first datagram) and\n"
	"relays it with stdin and stdout as connect does.  On tls:// without\n"
	"--cert it makes a self-signed certificate in memory and prints, unless\n"
	"-q, its SHA-256 fingerprint and the connect --pin command for the other\n"
	"side; a failed handshake ends listen (with --keep-open: that peer only).\n"
	"-e or --sh-exec runs a program for the peer instead (ncat -e, -c); with\n"
	"--keep-open one peer after another, each with its own program, and with\n"
	"--max-conns N up to N at once (more wait in the backlog).  --recv-fd\n"
	"takes descriptors instead of relaying (unix URLs, from send --fd).",
	opts_table,
	1,
	1,
};

/* The read end of plat.h's stop pipe (sipc_cli_stop_catch): readable once
 * SIGINT or SIGTERM came. */
static int stop_fd = -1;

/* Waits until FD is ready for EVENTS (1), a stop signal came (0) or
 * DEADLINE passed (SIPC_ETIMEDOUT). */
static int wait_or_stop(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd pfd[2] = {{.fd = fd, .events = events},
					{.fd = stop_fd, .events = POLLIN}};
		int left = sipc__deadline_left(deadline);

		if (left == 0)
			return SIPC_ETIMEDOUT;
		int n = sipc__sys_poll(pfd, 2, left);

		if (n < 0 && n != -EINTR)
			return n;
		if (sipc_cli_stopped() || pfd[1].revents != 0)
			return 0;
		if (pfd[0].revents != 0)
			return 1;
	}
}

/*
 * A datagram listener's peer is the sender of the first datagram: peeked
 * (so the relay still reads it), then made the socket's fixed peer with
 * connect(2), so only its datagrams arrive and ours go to it.  A unixgram
 * sender with no bound name cannot be answered: *ANSWERABLE says so.
 */
static int take_datagram_peer(const char *url, sipc_endpoint *lep, bool *answerable)
{
	int fd = sipc_endpoint_fd(lep);
	struct sockaddr_storage ss;
	struct msghdr mh = {.msg_name = &ss, .msg_namelen = sizeof(ss)};
	char one, pb[SIPC_URL_MAX] = "?";
	struct iovec iov = {&one, 1};
	sipc_addr peer;
	ssize_t n;
	int rc;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	for (;;) {
		rc = wait_or_stop(fd, POLLIN, SIPC__NEVER);
		if (rc <= 0)
			goto fail;
		n = sipc__sys_recvmsg(fd, &mh, MSG_PEEK);
		if (n >= 0)
			break;
		if (n != -EAGAIN) {
			rc = (int)n;
			goto fail;
		}
	}
	*answerable = (size_t)mh.msg_namelen > sizeof(sa_family_t);
	if (!*answerable) {
		sipc_cli_notice("listen: datagrams from an unnamed socket: stdin is not sent");
		return 0;
	}
	rc = sipc_addr_from_sockaddr(&peer, sipc_endpoint_scheme(lep), (struct sockaddr *)&ss,
				     mh.msg_namelen);
	if (rc < 0)
		goto fail;
	sipc_addr_format(&peer, pb, sizeof(pb));
	rc = sipc_endpoint_connect(lep, &peer);
	if (rc < 0)
		goto fail;
	sipc_cli_notice("listen: datagrams from %s", pb);
	return 0;
fail:
	if (rc == 0)
		return SIPC_EXIT_OK; /* a stop signal */
	sipc_cli_error("listen %s: %s", url, sipc_strerror(rc));
	return SIPC_EXIT_FAIL;
}

/* Accepts the next connection on LEP into *CONNP; 0 with *CONNP NULL when
 * a stop signal came first, or a negative code. */
static int accept_or_stop(sipc_endpoint *lep, sipc_endpoint **connp)
{
	int rc;

	*connp = NULL;
	for (;;) {
		rc = wait_or_stop(sipc_endpoint_fd(lep), POLLIN, SIPC__NEVER);
		if (rc <= 0)
			return rc;
		/* Another process sharing the socket may have taken it. */
		rc = sipc_accept(lep, 0, connp);
		if (rc != SIPC_ETIMEDOUT && rc != -EAGAIN)
			return rc;
	}
}

/* Drives CONN's TLS handshake (at once done for other schemes) until it
 * is done (0), a stop signal comes (1), or it fails or takes longer than
 * MS (a negative code). */
static int handshake_or_stop(sipc_endpoint *conn, int ms)
{
	int64_t deadline = sipc__deadline(ms);

	for (;;) {
		int rc = sipc_handshake(conn, 0);

		if (rc != SIPC_ETIMEDOUT)
			return rc;
		rc = wait_or_stop(sipc_endpoint_fd(conn), sipc_endpoint_want(conn, POLLIN),
				  deadline);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return 1;
	}
}

/*
 * A listener with a self-signed certificate: the other side can only
 * check it by its fingerprint, so say it, with the whole command that
 * pins it (a wildcard listener has no one name: localhost, the name the
 * certificate was made for).  Unless -q, like the listening line.
 */
static void announce_self_signed(const sipc_tls_config *cfg, const sipc_url *url, const char *lb,
				 const sipc_addr *local)
{
	char fp[SIPC_TLS_FINGERPRINT_MAX], dial[SIPC_URL_MAX + 32];
	const char *host = sipc_url_host(url);

	if (sipc_cli_globals.quiet || sipc_tls_config_fingerprint(cfg, fp, sizeof(fp)) < 0)
		return;
	if (host == NULL || host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 ||
	    strcmp(host, "::") == 0) {
		const struct sockaddr *sa = (const struct sockaddr *)&local->ss;
		int port = sa->sa_family == AF_INET6
				   ? ntohs(((const struct sockaddr_in6 *)sa)->sin6_port)
				   : ntohs(((const struct sockaddr_in *)sa)->sin_port);

		snprintf(dial, sizeof(dial), "%s://localhost:%d",
			 sipc_scheme_name(sipc_url_scheme(url)), port);
	} else {
		snprintf(dial, sizeof(dial), "%s", lb);
	}
	sipc_cli_error("listen %s: self-signed certificate %s; on the other side: sockipc "
		       "connect --pin %s %s",
		       lb, fp, fp, dial);
}

/* -e / --sh-exec and --max-conns for a listener on SCHEME: *PROG the
 * program's argv or NULL; 0 or SIPC_EXIT_USAGE after saying why. */
static int program_opts(sipc_scheme scheme, char ***prog)
{
	int rc = sipc_program_argv("listen", sipc_relay_opts.exec, sipc_relay_opts.sh_exec, prog);

	if (rc != 0 || max_conns == 0)
		return rc;
	if (*prog == NULL)
		sipc_cli_error("listen: --max-conns: only with -e or --sh-exec (without a program "
			       "every peer would share one stdin and stdout)");
	else if (!keep_open)
		sipc_cli_error("listen: --max-conns: only with --keep-open (without it listen "
			       "serves one peer)");
	else if (sipc_scheme_is_connectionless(scheme) && max_conns > 1)
		sipc_cli_error("listen: --max-conns: a datagram listener has one peer at a time");
	else
		return 0;
	sipc_program_argv_free(*prog);
	*prog = NULL;
	return SIPC_EXIT_USAGE;
}

/* --recv-fd on SCHEME, with a program or not: 0 or SIPC_EXIT_USAGE after
 * saying why. */
static int recv_fd_opts(sipc_scheme scheme, bool program)
{
	int rc = sipc_cli_fd_check("listen", "--recv-fd", scheme);

	if (rc != 0)
		return rc;
	if (program || sipc_relay_opts.framed || sipc_relay_opts.chunk > 0 ||
	    sipc_relay_opts.crlf) {
		sipc_cli_error("listen: --recv-fd: writes what the descriptors read; not with %s",
			       program                  ? "-e or --sh-exec"
			       : sipc_relay_opts.framed ? "--framed"
			       : sipc_relay_opts.crlf   ? "--crlf"
							: "--chunk");
		return SIPC_EXIT_USAGE;
	}
	return 0;
}

/* Forgets the datagram peer, for --keep-open. */
static void drop_datagram_peer(sipc_endpoint *lep)
{
	(void)sipc_endpoint_connect(lep, NULL);
}

int sipc_cmd_listen(int argc, char **argv)
{
	sipc_options opts = {0};
	sipc_tls_config *tls = NULL;
	char why[SIPC_WHY_MAX] = "";
	struct sipc_relay_cfg cfg = {.cmd = "listen"};
	struct sipc_relay_io io = {.in_fd = 0, .out_fd = 1, .stop_fd = -1};
	sipc_endpoint *lep = NULL, *conn = NULL;
	sipc_url *url = NULL;
	sipc_addr local;
	char lb[SIPC_URL_MAX];
	int nargs, rc;
	sipc_scheme sc;
	char **prog = NULL;
	struct sipc_progpool pool = {.slots = NULL};

	rc = sipc_opt_parse(&spec, argc, argv, &nargs);
	if (rc != SIPC__OPT_OK)
		return rc == SIPC__OPT_HELP ? SIPC_EXIT_OK : SIPC_EXIT_USAGE;
	cfg.url = argv[1];
	if ((rc = sipc_cli_parse_url("listen", cfg.url, &url)) != 0)
		return rc;
	sc = sipc_url_scheme(url);
	if ((rc = sipc_relay_check_opts("listen", sc)) != 0)
		goto out;
	if ((rc = program_opts(sc, &prog)) != 0)
		goto out;
	if (recv_fd != NULL && (rc = recv_fd_opts(sc, prog != NULL)) != 0)
		goto out;
	if ((rc = sipc_cli_tls_setup("listen", url, SIPC_TLS_SERVER, &opts, &tls)) != 0)
		goto out;
	sipc_cli_lib_options(&opts);
	opts.why = why;
	opts.whylen = sizeof(why);
	if ((io.stop_fd = stop_fd = sipc_cli_stop_catch()) < 0) {
		sipc_cli_error("listen %s: %s", cfg.url, sipc_strerror(io.stop_fd));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	rc = sipc_listen_url(url, &opts, &lep);
	if (rc < 0) {
		rc = sipc_cli_open_error("listen", cfg.url, sc, rc, why);
		goto out;
	}
	if (sipc_endpoint_local(lep, &local) < 0 || sipc_addr_format(&local, lb, sizeof(lb)) < 0)
		snprintf(lb, sizeof(lb), "%s", cfg.url);
	if (tls != NULL && sipc_cli_tls.cert == NULL)
		announce_self_signed(tls, url, lb, &local);
	/* The readiness line scripts wait for; stderr, as stdout is data.
	 * After the fingerprint line, so a script that read this one has
	 * both. */
	if (!sipc_cli_globals.quiet)
		fprintf(stderr, "listening %s\n", lb);
	sipc_relay_cfg_from_opts(&cfg, sc);
	cfg.linger_ms = -1; /* a listener stays for its peer's datagrams */
	if (prog == NULL && recv_fd == NULL && !sipc_relay_opts.recv_only &&
	    (io.in_fd = sipc_cli_stdin_fd()) < 0) {
		sipc_cli_error("listen %s: stdin: %s", cfg.url, sipc_strerror(io.in_fd));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	if (prog != NULL && keep_open && !sipc_scheme_is_connectionless(sc) &&
	    (rc = sipc_progpool_init(&pool, max_conns > 0 ? max_conns : 1, prog, &cfg,
				     io.stop_fd)) < 0) {
		sipc_cli_error("listen %s: %s", cfg.url, sipc_strerror(rc));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}

	do {
		sipc_endpoint *peer_ep = lep;

		cfg.send_stdin = true;
		if (sipc_scheme_is_connectionless(sc) && recv_fd != NULL) {
			/* Every sender's messages, on the bound socket. */
			rc = sipc_cli_recv_fds(cfg.url, lep, recv_fd, io.stop_fd, cfg.idle_ms);
			continue;
		}
		if (sipc_scheme_is_connectionless(sc)) {
			rc = take_datagram_peer(cfg.url, lep, &cfg.send_stdin);
			if (rc != 0 || sipc_cli_stopped())
				break;
		} else {
			sipc_addr pa;
			char pb[SIPC_URL_MAX] = "?";

			/* -k -e: accept only with a slot free (progpool.c). */
			if (pool.slots != NULL && sipc_progpool_wait(&pool) != 0)
				break; /* a stop signal */
			rc = accept_or_stop(lep, &conn);
			if (conn == NULL && rc == 0)
				break; /* a stop signal */
			if (rc < 0) {
				sipc_cli_error("listen %s: accept: %s", cfg.url, sipc_strerror(rc));
				rc = SIPC_EXIT_FAIL;
				break;
			}
			if (!keep_open) {
				/* One peer only, as nc without -k: later
				 * clients are refused, not queued unseen. */
				sipc_endpoint_close(lep);
				lep = NULL;
			}
			if (sipc_endpoint_peer(conn, &pa) == 0)
				sipc_addr_format(&pa, pb, sizeof(pb));
			sipc_cli_notice("listen: connection from %s", pb);
			rc = handshake_or_stop(conn, cfg.idle_ms >= 0 ? cfg.idle_ms : HANDSHAKE_MS);
			if (rc == 1)
				break; /* a stop signal */
			if (rc < 0) {
				char what[SIPC_URL_MAX + 32];

				snprintf(what, sizeof(what), "handshake with %s", pb);
				sipc_cli_ep_error("listen", lb, what, conn, rc);
				rc = SIPC_EXIT_FAIL;
				sipc_endpoint_close(conn);
				conn = NULL;
				continue; /* --keep-open: the next peer */
			}
			sipc_cli_tls_notice("listen", conn);
			peer_ep = conn;
			if (pool.slots != NULL) {
				if ((rc = sipc_progpool_start(&pool, conn)) < 0) {
					sipc_cli_error("listen %s: %s", cfg.url, sipc_strerror(rc));
					rc = SIPC_EXIT_FAIL;
					break;
				}
				conn = NULL;
				rc = SIPC_EXIT_OK;
				continue;
			}
		}
		if (recv_fd != NULL)
			rc = sipc_cli_recv_fds(cfg.url, peer_ep, recv_fd, io.stop_fd, cfg.idle_ms);
		else if (prog != NULL)
			rc = sipc_program_run(prog, &cfg, peer_ep, io.stop_fd, false, &io.stopped);
		else
			rc = sipc_relay_run(&cfg, peer_ep, &io);
		sipc_endpoint_close(conn);
		conn = NULL;
		if (sipc_scheme_is_connectionless(sc) && keep_open)
			drop_datagram_peer(lep);
	} while (keep_open && !io.out_gone && !sipc_cli_stopped());
out:
	sipc_progpool_finish(&pool);
	sipc_program_argv_free(prog);
	sipc_endpoint_close(conn);
	sipc_endpoint_close(lep);
	sipc_tls_config_free(tls);
	sipc_url_free(url);
	sipc_cli_stop_end();
	return rc;
}
