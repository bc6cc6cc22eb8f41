/*
 * serve.c - `sockipc serve`: reads the options and the service lines
 * (positional `URL SERVICE [ARGS...]`, -e LINE, -f FILE, or the default
 * run when there are none) into a sipc_serve_config and hands it to the
 * server (src/serve/).  Usage errors exit 2 naming the line; a failure to
 * bind exits 1; a drained stop exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "cli/tlsopt.h"
#include "serve/config.h"
#include "serve/inetd.h"
#include "serve/inherit.h"
#include "serve/model.h"
#include "serve/notify.h"
#include "serve/privdrop.h"
#include "serve/server.h"
#include "serve/service.h"
#include "serve/supervisor.h"
#include "serve/tls.h"

/* -e and -f are kept in the order given and read after option parsing, so
 * their errors can name the line rather than the option. */
struct source {
	bool is_file;
	const char *value;
};

struct serve_opts {
	struct source *sources;
	size_t nsources;
	const char *model;
	long workers;
	long max_conns;
	int idle_ms;
	int drain_ms;
	const char *unix_mode;
	size_t max_msg;
	long max_batch;
	const char *guard_ports;
	bool no_guard;
	struct sipc_acl acl;
	/* TLS, beside the shared values in sipc_cli_tls (tlsopt.h). */
	const char **allow_certs;
	size_t nallow_certs;
	int handshake_ms;
	long max_handshakes;
	const char *handover;
	/* Per-service attributes given as flags: the default of every
	 * service (svcconf.h). */
	struct sipc_svc_conf *svc;
	bool check;
	const char *inetd; /* --inetd[=SCHEME] SERVICE [ARGS...]; NULL: not given */
	const char *log;   /* --log stderr|syslog */
	const char *io;    /* --io epoll|uring|poll; NULL: SOCKIPC_IO, else epoll */
};

static struct serve_opts so;

static int add_source(bool is_file, const char *value, char *why, size_t whylen)
{
	struct source *v = realloc(so.sources, (so.nsources + 1) * sizeof(*v));

	if (v == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	so.sources = v;
	so.sources[so.nsources].is_file = is_file;
	so.sources[so.nsources].value = value;
	so.nsources++;
	return 0;
}

static int opt_line(void *dest, const char *value, char *why, size_t whylen)
{
	(void)dest;
	return add_source(false, value, why, whylen);
}

static int opt_file(void *dest, const char *value, char *why, size_t whylen)
{
	(void)dest;
	return add_source(true, value, why, whylen);
}

static int opt_allow(void *dest, const char *value, char *why, size_t whylen)
{
	return sipc__acl_add(dest, value, why, whylen);
}

static int opt_allow_uid(void *dest, const char *value, char *why, size_t whylen)
{
	return sipc__acl_add_uids(dest, value, why, whylen);
}

static int opt_allow_gid(void *dest, const char *value, char *why, size_t whylen)
{
	return sipc__acl_add_gids(dest, value, why, whylen);
}

/* --client-ca FILE: the CA of client certificates, which every client
 * must then show (mutual TLS): tlsopt's --ca with --client-cert-required. */
static int opt_client_ca(void *dest, const char *value, char *why, size_t whylen)
{
	(void)dest;
	(void)why;
	(void)whylen;
	sipc_cli_tls.ca = value;
	sipc_cli_tls.client_cert_required = true;
	return 0;
}

static int opt_allow_cert(void *dest, const char *value, char *why, size_t whylen)
{
	const char **v = realloc(so.allow_certs, (so.nallow_certs + 1) * sizeof(*v));

	(void)dest;
	if (v == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	so.allow_certs = v;
	so.allow_certs[so.nallow_certs++] = value;
	return 0;
}

/* --instances, --per-source, --user...: DEST names the attribute of a
 * configuration block that the flag sets for every service. */
static int opt_svc(void *dest, const char *value, char *why, size_t whylen)
{
	const char *key = dest;
	char **words;
	int n, rc;

	if (so.svc == NULL) {
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (sipc__serve_split(value, &words, &n, why, whylen) < 0)
		return -1;
	rc = sipc__svc_conf_set(so.svc, key, words, n, false, why, whylen);
	sipc__serve_words_free(words);
	return rc;
}

/* --accept-proxy=CIDR[,CIDR...], repeatable: adds to every service's
 * accept_proxy (a block's own list replaces it, as its only_from does). */
static int opt_accept_proxy(void *dest, const char *value, char *why, size_t whylen)
{
	char *list = strdup(value), *save = NULL;
	int rc = 0;

	(void)dest;
	if (list == NULL || so.svc == NULL) {
		free(list);
		snprintf(why, whylen, "out of memory");
		return -1;
	}
	for (char *w = strtok_r(list, ",", &save); w != NULL && rc == 0;
	     w = strtok_r(NULL, ",", &save)) {
		char *one[] = {w, NULL};
		rc = sipc__svc_conf_set(so.svc, "accept_proxy", one, 1, true, why, whylen);
	}
	free(list);
	return rc;
}

static int opt_check(void *dest, const char *value, char *why, size_t whylen)
{
	(void)dest;
	so.check = true;
	return add_source(true, value, why, whylen);
}

static const struct sipc_opt opts[] = {
	{"exec-line", 'e', SIPC__OPT_FUNC, NULL, 0, 0, "LINE",
	 "serve one service line 'URL SERVICE [ARGS...]' (repeatable)", opt_line},
	{"file", 'f', SIPC__OPT_FUNC, NULL, 0, 0, "FILE",
	 "serve the service lines of FILE, one per line, # comments", opt_file},
	{"check", 0, SIPC__OPT_FUNC, NULL, 0, 0, "FILE",
	 "check FILE (and any other lines given), print the effective configuration with every "
	 "default filled in, bind nothing; exit 0 when it is valid, 2 when not",
	 opt_check},
	{"instances", 0, SIPC__OPT_FUNC, "instances", 0, 0, "N",
	 "every service: at most N open connections (a file's `instances` per service)", opt_svc},
	{"per-source", 0, SIPC__OPT_FUNC, "per_source", 0, 0, "N",
	 "every service: at most N open connections from one address (IPv6: one /64)", opt_svc},
	{"cps", 0, SIPC__OPT_FUNC, "cps", 0, 0, "'N [S]'",
	 "every service: at most N new connections a second, then accept none for S seconds "
	 "(default 10)",
	 opt_svc},
	{"access-times", 0, SIPC__OPT_FUNC, "access_times", 0, 0, "'HH:MM-HH:MM ...'",
	 "every service: accept connections only in these daily windows (local time)", opt_svc},
	{"user", 0, SIPC__OPT_FUNC, "user", 0, 0, "USER",
	 "bind as root, then serve as USER (and its group): the whole server, or the exec "
	 "children of services that name other users",
	 opt_svc},
	{"group", 0, SIPC__OPT_FUNC, "group", 0, 0, "GROUP", "with --user: serve as GROUP",
	 opt_svc},
	{"log-on-success", 0, SIPC__OPT_FUNC, "log_on_success", 0, 0, "'FIELDS'",
	 "fields of the close line: PID HOST EXIT DURATION TRAFFIC (default HOST DURATION "
	 "TRAFFIC)",
	 opt_svc},
	{"log-on-failure", 0, SIPC__OPT_FUNC, "log_on_failure", 0, 0, "'FIELDS'",
	 "fields of the refused line: HOST ATTEMPT (default both; without ATTEMPT refusals are "
	 "only counted)",
	 opt_svc},
	{"accept-proxy", 0, SIPC__OPT_FUNC, NULL, 0, 0, "CIDR[,CIDR...]",
	 "tcp:// and tls:// endpoints: connections from these upstreams (haproxy...) must begin "
	 "with a PROXY header (v1 or v2), whose client address the logs, --allow, per_source "
	 "and exec see (repeatable; a header from anyone else closes the connection)",
	 opt_accept_proxy},
	{"model", 'm', SIPC__OPT_STRING, &so.model, 0, 0, "MODEL",
	 "concurrency model: event (default), thread (a thread per connection) or fork (a "
	 "process per connection)"},
	{"workers", 'w', SIPC__OPT_INT, &so.workers, 1, 1024, "N",
	 "event model: N worker threads, one event loop each (default: CPUs); thread "
	 "model: N accepting threads (default 1)"},
	{"max-conns", 0, SIPC__OPT_INT, &so.max_conns, 1, 100000000, "N",
	 "at most N open connections; beyond, new ones are closed at once"},
	{"idle-timeout", 0, SIPC__OPT_SECONDS, &so.idle_ms, 1, 86400000, "S",
	 "close connections silent for S seconds"},
	{"drain-timeout", 0, SIPC__OPT_SECONDS, &so.drain_ms, 0, 86400000, "S",
	 "SIGINT/SIGTERM: open connections get S seconds to finish (default 5)"},
	{"allow", 0, SIPC__OPT_FUNC, &so.acl, 0, 0, "CIDR",
	 "serve only IP peers in CIDR (repeatable; unix peers: --allow-uid/--allow-gid)",
	 opt_allow},
	{"allow-uid", 0, SIPC__OPT_FUNC, &so.acl, 0, 0, "LIST",
	 "serve only unix peers with these uids (names or numbers, comma-separated, "
	 "repeatable), the server's own uid always",
	 opt_allow_uid},
	{"allow-gid", 0, SIPC__OPT_FUNC, &so.acl, 0, 0, "LIST",
	 "serve only unix peers with these primary gids (names or numbers, comma-separated, "
	 "repeatable)",
	 opt_allow_gid},
	{"unix-mode", 0, SIPC__OPT_STRING, &so.unix_mode, 0, 0, "MODE",
	 "octal permissions of unix socket files (e.g. 660)"},
	{"max-msg", 0, SIPC__OPT_SIZE, &so.max_msg, 1, 16 * 1024 * 1024, "SIZE",
	 "largest datagram or seqpacket message served (default 64K)"},
	{"max-batch", 0, SIPC__OPT_INT, &so.max_batch, 1, 32, "N",
	 "datagram endpoints: up to N datagrams per recvmmsg and their replies per sendmmsg "
	 "(default 32, with UDP GSO and GRO); 1: one recvmsg and one sendmsg per datagram, "
	 "no GSO or GRO"},
	{"inetd", 0, SIPC__OPT_OPTSTRING, &so.inetd, 0, 0, "SCHEME",
	 "the arguments are SERVICE [ARGS...], served on the one connection (or datagram "
	 "socket) on descriptor 0, as inetd, xinetd (wait = no), systemd (Accept=yes), "
	 "tcpserver and socat EXEC pass it; =shm: a unix connection (or listener) that is an "
	 "shm:// rendezvous, served over the rings ('shm?ring=64K' for URL options)"},
	{"io", 0, SIPC__OPT_STRING, &so.io, 0, 0, "epoll|uring|poll",
	 "the event loops' backend (default: $SOCKIPC_IO, else epoll); where io_uring is not "
	 "allowed serve says why in one line and runs on epoll; poll: poll(2), the Windows build's "
	 "backend"},
	{"log", 0, SIPC__OPT_STRING, &so.log, 0, 0, "stderr|syslog",
	 "where log lines go (default stderr; syslog under --inetd when descriptor 2 is a "
	 "socket, since it is then the client's)"},
	{"guard-ports", 0, SIPC__OPT_STRING, &so.guard_ports, 0, 0, "LIST",
	 "source ports echo, chargen... drop (default 0-1023,7007,7009,7013,7019,7037)"},
	{"no-guard", 0, SIPC__OPT_FLAG, &so.no_guard, 0, 0, NULL,
	 "serve datagrams from any source but the server's own endpoints"},
	{"cert", 0, SIPC__OPT_STRING, &sipc_cli_tls.cert, 0, 0, "FILE",
	 "tls:// endpoints: the server's certificate chain (PEM); without it a fresh self-signed "
	 "one, whose fingerprint is logged at start"},
	{"key", 0, SIPC__OPT_STRING, &sipc_cli_tls.key, 0, 0, "FILE",
	 "tls:// endpoints: the private key of --cert (PEM; default: in the --cert file)"},
	{"client-ca", 0, SIPC__OPT_FUNC, NULL, 0, 0, "FILE",
	 "tls:// endpoints: mutual TLS, every client must show a certificate signed by a CA in "
	 "FILE",
	 opt_client_ca},
	{"allow-cert", 0, SIPC__OPT_FUNC, NULL, 0, 0, "SUBJECT|SHA256",
	 "with --client-ca: admit only these client certificates, by exact subject "
	 "('CN=a,O=b') or SHA-256 fingerprint (repeatable)",
	 opt_allow_cert},
	{"alpn", 0, SIPC__OPT_STRING, &sipc_cli_tls.alpn, 0, 0, "LIST",
	 "tls:// endpoints: ALPN protocols accepted, comma-separated, in order of preference"},
	{"tls-min", 0, SIPC__OPT_STRING, &sipc_cli_tls.tls_min, 0, 0, "1.2|1.3",
	 "tls:// endpoints: lowest protocol version (default 1.2)"},
	{"handshake-timeout", 0, SIPC__OPT_SECONDS, &so.handshake_ms, 1, 3600000, "S",
	 "tls:// endpoints: a client's handshake must be done within S seconds (default 5)"},
	{"max-handshakes", 0, SIPC__OPT_INT, &so.max_handshakes, 1, 1000000, "N",
	 "tls:// endpoints: at most N connections in their handshake per worker; beyond, new "
	 "ones are closed at once (default 256)"},
	{"handover", 0, SIPC__OPT_STRING, &so.handover, 0, 0, "PATH",
	 "zero-downtime upgrade: take the listening sockets of the serve at unix socket PATH "
	 "(started with the same option), which then drains; serve hands its own over there"},
	{NULL},
};

static const struct sipc_opt_spec spec = {
	"serve",
	"[OPTIONS] [URL SERVICE [ARGS...]]",
	"Serves service lines 'URL SERVICE [ARGS...]' given as the arguments, with -e LINE\n"
	"(repeatable) or in -f FILE (one per line, # comments).  A file may also hold\n"
	"xinetd-style blocks: `service NAME { listen = URL...; run = SERVICE [ARGS...];\n"
	"instances = N ... }` one attribute per line, and one `defaults { ... }` block\n"
	"(see sockipc(1)).  With none, the default run:\n"
	"echo, discard, daytime, chargen and time on TCP and UDP at 127.0.0.1 ports\n"
	"7007/7009/7013/7019/7037, and echo on unix://@sockipc/echo.  Once all are bound,\n"
	"one line per endpoint, `listening URL SERVICE`, goes to stdout; logs go to stderr.\n"
	"SIGINT/SIGTERM stop accepting, drain and exit 0; SIGUSR1 prints counters to stderr.\n"
	"SIGHUP re-reads the options and files: unchanged endpoints keep their sockets, new\n"
	"ones are bound, removed ones closed; open connections go on under the old settings.\n"
	"\n"
	"services (their own --name=VALUE options go before their other arguments):\n"
	"  echo       every byte, or each datagram, sent back (RFC 862)\n"
	"  discard    everything read and dropped (RFC 863)\n"
	"  chargen    RFC 864's rotating 72-character lines until the client closes\n"
	"  daytime    one line 'DD MON YYYY HH:MM:SS ZONE', then close (RFC 867)\n"
	"  time       4 bytes: seconds since 1900, big-endian, then close (RFC 868)\n"
	"  exec       [--max-children=N] PROGRAM [ARGS...]: run PROGRAM on each connection\n"
	"  forward    [--timeout=S] [--idle=S] [--max-assoc=N] URL: relay each client to URL\n"
	"  broadcast  [--queue=SIZE]: each line from a client goes to all the others\n"
	"  socks5     [--to=CIDR[:PORTS]]... [--user=NAME:PASS]... [--users=FILE] [--timeout=S]:\n"
	"             a SOCKS5 proxy (RFC 1928; RFC 1929 users), CONNECT to names or addresses\n"
	"  http-connect [--to=CIDR[:PORTS]]... [--user=NAME:PASS]... [--users=FILE] "
	"[--timeout=S]:\n"
	"             an HTTP CONNECT proxy (RFC 9110; Basic proxy authentication)\n"
	"\n"
	"exec runs PROGRAM for any peer that can reach its endpoint: bind it to loopback or\n"
	"a unix socket, or use --allow (serve warns at start-up when it is not).  exec on an\n"
	"abstract unix name, or on a socket file others may connect to, admits only the\n"
	"server's own uid unless --allow-uid/--allow-gid say otherwise.  On tls:// endpoints,\n"
	"--client-ca (and --allow-cert) admit only clients with a certificate; exec children\n"
	"then get SSL_CLIENT_S_DN, SSL_CLIENT_FINGERPRINT... in their environment.\n"
	"\n"
	"socks5 and http-connect reach only loopback (127.0.0.0/8, ::1) unless --to says more\n"
	"(--to=10.0.0.0/8:80,443, --to=[fd00::/8]:443); --to=any makes an open relay, and the\n"
	"start-up log says so.  Every address a name resolves to is checked; a request is one\n"
	"log line.  Example: sockipc serve tcp://127.0.0.1:1080 socks5 --to=10.0.0.0/8\n"
	"\n"
	"tls:// endpoints (every stream service): --cert/--key, or a self-signed certificate\n"
	"whose fingerprint is logged at start.  SIGHUP re-reads --cert, --key and --client-ca\n"
	"too, for new handshakes; open connections go on.  forward to tls://HOST:PORT takes\n"
	"--ca=, --insecure, --pin=, --sni=, --cert=, --key=, --alpn=, --tls-min= before URL.\n"
	"\n"
	"PROXY protocol (haproxy): with --accept-proxy CIDR, connections from those upstreams\n"
	"begin with a v1 or v2 header naming the real client, which the logs (peer=, via=),\n"
	"--allow, per_source and exec's environment then see; the header must come within\n"
	"--handshake-timeout.  forward --send-proxy=v1|v2 URL sends one to its backend.\n"
	"\n"
	"Socket activation: sockets passed with LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES (systemd,\n"
	"systemd-socket-activate) are adopted, never bound again: a socket serves the line\n"
	"whose URL as written or service name is its name, else the line of its address.\n"
	"With NOTIFY_SOCKET set: READY=1 once listening (again after a reload, which sends\n"
	"RELOADING=1), STATUS=, STOPPING=1, WATCHDOG=1.",
	opts,
	0,
	-1,
	true};

/*
 * Options that cannot apply to some unix endpoint are usage errors rather
 * than silently ignored: an abstract name has no file, so no mode; a
 * unixgram socket has no connection whose credentials the kernel keeps,
 * so --allow-uid/--allow-gid could not be checked there.  A line whose URL
 * does not parse is left for the server's check, which names it.
 */
static int check_unix_lines(const struct sipc_serve_config *cfg)
{
	bool any_file = false;

	for (size_t i = 0; i < cfg->nlines; i++) {
		const struct sipc_serve_line *line = &cfg->lines[i];
		char detail[SIPC_WHY_MAX];
		sipc_url *url;
		sipc_scheme scheme;
		bool abstract;

		if (line->argc < 1 ||
		    sipc_url_parse(line->argv[0], &url, detail, sizeof(detail)) < 0)
			continue;
		scheme = sipc_url_scheme(url);
		abstract = sipc_url_is_abstract(url);
		sipc_url_free(url);
		if (sipc_scheme_is_unix(scheme) && !abstract)
			any_file = true;
		if (cfg->unix_mode != 0 && abstract) {
			sipc_cli_error(
				"serve: --unix-mode: %s: %s is an abstract name, which has no "
				"file and no permissions (use --allow-uid/--allow-gid)",
				line->origin, line->argv[0]);
			return SIPC_EXIT_USAGE;
		}
		if (scheme == SIPC_UNIXGRAM && sipc__acl_has_creds(&cfg->acl)) {
			sipc_cli_error(
				"serve: --allow-uid/--allow-gid: %s: %s: a unixgram sender's "
				"credentials cannot be checked; guard it with a socket file "
				"and --unix-mode",
				line->origin, line->argv[0]);
			return SIPC_EXIT_USAGE;
		}
	}
	if (cfg->unix_mode != 0 && !any_file) {
		sipc_cli_error(
			"serve: --unix-mode: no unix endpoint with a socket file to apply it to");
		return SIPC_EXIT_USAGE;
	}
	return 0;
}

/* Whether any service line listens on a tls:// URL. */
static bool any_tls_line(const struct sipc_serve_config *cfg)
{
	for (size_t i = 0; i < cfg->nlines; i++) {
		char detail[SIPC_WHY_MAX];
		sipc_url *url;
		bool tls;

		if (cfg->lines[i].argc < 1 ||
		    sipc_url_parse(cfg->lines[i].argv[0], &url, detail, sizeof(detail)) < 0)
			continue;
		tls = sipc_scheme_is_tls(sipc_url_scheme(url));
		sipc_url_free(url);
		if (tls)
			return true;
	}
	return false;
}

/* True when a line reads PROXY headers (accept_proxy, --accept-proxy). */
static bool any_proxy_line(const struct sipc_serve_config *cfg)
{
	for (size_t i = 0; i < cfg->nlines; i++)
		if (cfg->lines[i].conf->accept_proxy.n > 0)
			return true;
	return false;
}

/*
 * The server's TLS side, when a line listens on tls://: the certificate
 * (or a self-signed one, whose fingerprint is logged so that clients can
 * pin it), the client CA of mutual TLS, --allow-cert, the handshake
 * bounds.  TLS options with no tls:// line to apply to are usage errors
 * rather than silently ignored.
 */
static int tls_config(struct sipc_serve_config *cfg)
{
	char why[512], fp[SIPC_TLS_FINGERPRINT_MAX] = "?";
	int rc;

	if (so.handshake_ms > 0)
		cfg->handshake_ms = so.handshake_ms;
	if (so.max_handshakes > 0)
		cfg->max_handshakes = so.max_handshakes;
	if (!any_tls_line(cfg)) {
		/* --handshake-timeout and --max-handshakes bound the wait for
		 * a PROXY header too (proxyin.c). */
		bool bounds =
			(so.handshake_ms > 0 || so.max_handshakes > 0) && !any_proxy_line(cfg);
		if (sipc_cli_tls_given() || so.nallow_certs > 0 || bounds) {
			sipc_cli_error("serve: the TLS options apply to tls:// endpoints, and no "
				       "service line listens on one");
			return SIPC_EXIT_USAGE;
		}
		return 0;
	}
	if (so.nallow_certs > 0 && !sipc_cli_tls.client_cert_required) {
		sipc_cli_error("serve: --allow-cert needs --client-ca: only a certificate verified "
			       "against it names anyone");
		return SIPC_EXIT_USAGE;
	}
	for (size_t i = 0; i < so.nallow_certs; i++) {
		if (sipc__serve_tls_allow_add(cfg, so.allow_certs[i], why, sizeof(why)) < 0) {
			sipc_cli_error("serve: --allow-cert: %s", why);
			return SIPC_EXIT_USAGE;
		}
	}
	rc = sipc_cli_tls_config("serve", SIPC_TLS_SERVER, "localhost", true, &cfg->tls);
	if (rc != 0)
		return rc;
	cfg->tls_mutual = sipc_cli_tls.client_cert_required;
	cfg->tls_client_ca = sipc_cli_tls.ca;
	(void)sipc_tls_config_fingerprint(cfg->tls, fp, sizeof(fp));
	if (sipc_cli_tls.cert == NULL)
		sipc__serve_log(
			NULL, 0,
			"serve: tls: no --cert: a fresh self-signed certificate, %s; clients "
			"pin it with --pin %s",
			fp, fp);
	else if (cfg->verbosity >= 1)
		sipc__serve_log(NULL, 0, "serve: tls: certificate %s, %s", sipc_cli_tls.cert, fp);
	return 0;
}

/* --inetd: the positional arguments are SERVICE [ARGS...] for the socket
 * on descriptor 0 (inetd.h); service lines and models do not apply. */
static int inetd_config(struct sipc_serve_config *cfg, int nargs, char **argv)
{
	struct sipc__inherit *pool = NULL;
	char why[512];

	if (so.nsources > 0 || so.model != NULL) {
		sipc_cli_error("serve: --inetd serves the one connection on descriptor 0: no -e, "
			       "-f or --model");
		return SIPC_EXIT_USAGE;
	}
	/* The server's TLS options make the connection a TLS one. */
	struct sipc__inetd_how how = {
		.as = so.inetd,
		.tls = sipc_cli_tls.cert != NULL || sipc_cli_tls.key != NULL ||
		       sipc_cli_tls.client_cert_required,
		.check = so.check,
	};
	int rc = sipc__inetd_config(cfg, &pool, argv + 1, nargs, &how, why, sizeof(why));
	if (rc < 0) {
		sipc__inherit_free(pool);
		sipc_cli_error("serve: %s", why);
		return rc == -2 ? SIPC_EXIT_FAIL : SIPC_EXIT_USAGE;
	}
	return 0;
}

static int fill_config(struct sipc_serve_config *cfg, int nargs, char **argv)
{
	char why[512];
	char origin[600];

	if (so.model != NULL) {
		const struct sipc__model_ops *model = sipc__model_find(so.model);
		char names[64];

		if (model == NULL) {
			sipc_cli_error("serve: --model: '%s' is not %s", so.model,
				       sipc__model_names(names, sizeof(names)));
			return SIPC_EXIT_USAGE;
		}
		cfg->model = model->bit;
	}
	if (so.unix_mode != NULL) {
		char *end;
		long m = strtol(so.unix_mode, &end, 8);
		if (*so.unix_mode == '\0' || *end != '\0' || m <= 0 || m > 07777) {
			sipc_cli_error("serve: --unix-mode: '%s' is not an octal mode 1-7777",
				       so.unix_mode);
			return SIPC_EXIT_USAGE;
		}
		cfg->unix_mode = (unsigned)m;
	}
	if (so.guard_ports != NULL && so.no_guard) {
		sipc_cli_error("serve: --guard-ports and --no-guard: the one undoes the other");
		return SIPC_EXIT_USAGE;
	}
	if (so.guard_ports != NULL &&
	    sipc__guard_set_ports(&cfg->guard, so.guard_ports, why, sizeof(why)) < 0) {
		sipc_cli_error("serve: --guard-ports: %s", why);
		return SIPC_EXIT_USAGE;
	}
	if (so.no_guard)
		cfg->guard.enabled = false;
	cfg->workers = (int)so.workers;
	cfg->max_conns = so.max_conns;
	cfg->idle_ms = so.idle_ms;
	if (so.drain_ms >= 0)
		cfg->drain_ms = so.drain_ms;
	if (so.max_msg > 0)
		cfg->max_msg = so.max_msg;
	if (so.max_batch > 0)
		cfg->max_batch = (unsigned)so.max_batch;
	cfg->acl = so.acl;
	memset(&so.acl, 0, sizeof(so.acl));
	cfg->verbosity = sipc_cli_globals.quiet ? 0 : sipc_cli_globals.verbose ? 2 : 1;
	if (sipc_cli_globals.trace) {
		cfg->trace = sipc_cli_trace;
		cfg->trace_arg = NULL;
	}
	if (sipc_cli_globals.hex)
		cfg->hex = sipc_cli_serve_hex;
	if (so.inetd != NULL) {
		int rc = inetd_config(cfg, nargs, argv);
		if (rc != 0)
			return rc;
	}

	if (nargs == 1 && so.inetd == NULL) {
		sipc_cli_error("serve: arguments: expected URL SERVICE [ARGS...] after '%s'",
			       argv[1]);
		return SIPC_EXIT_USAGE;
	}
	if (nargs >= 2 && so.inetd == NULL &&
	    sipc__serve_config_add_words(cfg, "arguments", argv + 1, nargs, why, sizeof(why)) < 0)
		goto bad;
	for (size_t i = 0; i < so.nsources; i++) {
		const struct source *s = &so.sources[i];
		int rc;
		if (s->is_file) {
			rc = sipc__serve_config_add_file(cfg, s->value, why, sizeof(why));
		} else {
			snprintf(origin, sizeof(origin), "-e '%s'", s->value);
			rc = sipc__serve_config_add_text(cfg, origin, s->value, why, sizeof(why));
		}
		if (rc < 0)
			goto bad;
	}
	if (nargs == 0 && so.nsources == 0 && so.inetd == NULL &&
	    sipc__serve_config_add_defaults(cfg, why, sizeof(why)) < 0)
		goto bad;
	if (cfg->nlines == 0) {
		sipc_cli_error("serve: no service lines (the files and -e lines given are empty%s)",
			       cfg->nconfs > 1 ? ", or every block is disabled" : "");
		return SIPC_EXIT_USAGE;
	}
	if (cfg->base == NULL || sipc__svc_conf_inherit(cfg->base, so.svc) < 0) {
		snprintf(why, sizeof(why), "out of memory");
		goto bad;
	}
	if (sipc__serve_config_finish(cfg, why, sizeof(why)) < 0)
		goto bad;
	int rc = check_unix_lines(cfg);
	return rc != 0 ? rc : tls_config(cfg);
bad:
	sipc_cli_error("serve: %s", why);
	return SIPC_EXIT_USAGE;
}

/*
 * inetd and xinetd pass the client's connection as descriptor 2 too: with
 * --inetd among the arguments and a socket there, every line, a usage
 * error included, goes to syslog from the start.  --log syslog otherwise.
 */
static void early_log(int argc, char **argv)
{
	if (!sipc__serve_fd_is_socket(STDERR_FILENO))
		return;
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--inetd") == 0 || strncmp(argv[i], "--inetd=", 8) == 0)
			(void)sipc__serve_log_to(SIPC_SERVE_LOG_SYSLOG);
}

static int log_config(void)
{
	if (so.log != NULL && strcmp(so.log, "stderr") != 0 && strcmp(so.log, "syslog") != 0) {
		sipc_cli_error("serve: --log: '%s' is not stderr or syslog", so.log);
		return SIPC_EXIT_USAGE;
	}
	if (so.log != NULL && strcmp(so.log, "syslog") == 0 &&
	    sipc__serve_log_to(SIPC_SERVE_LOG_SYSLOG) < 0) {
		sipc_cli_error("serve: --log syslog: cannot redirect stderr");
		return 1;
	}
	return 0;
}

/* --io (or SOCKIPC_IO): the loops' backend, before any loop is made; a
 * fallback to epoll is one line of the log. */
static int io_config(void)
{
	char why[256];
	int rc = sipc_cli_io_choose("serve", so.io, why, sizeof(why));

	if (rc < 0)
		return SIPC_EXIT_USAGE;
	if (rc > 0)
		sipc__serve_log(NULL, 0, "serve: io: uring cannot run here (%s): running on epoll",
				why);
	return 0;
}

/* The sockets passed in (LISTEN_FDS) and the manager to notify, read from
 * the environment once and unset (no exec child inherits them). */
static int activation(struct sipc_serve_config *cfg)
{
	struct sipc__inherit *pool = NULL;
	char why[512];

	if (sipc__notify_init(why, sizeof(why)) < 0)
		sipc__serve_log(NULL, 0, "serve: %s: not notifying", why);
	if (cfg->inetd)
		return 0;
	if (sipc__inherit_from_env(&pool, why, sizeof(why)) < 0) {
		sipc__serve_log(NULL, 0, "serve: socket activation: %s", why);
		return 1;
	}
	cfg->inherit = pool;
	return 0;
}

/* The command line, kept for SIGHUP: sipc_opt_parse reorders the array
 * it is given, so each parse gets a copy. */
struct cmdline {
	int argc;
	char **argv;
};

/*
 * Builds CFG from the command line and the files it names (the
 * supervisor's sipc__serve_load_fn): 0, SIPC_EXIT_USAGE with CFG freed,
 * or -1 for --help.  With WHY the first error goes there, not to stderr.
 */
static int load_config(struct sipc_serve_config *cfg, void *arg, char *why, size_t whylen)
{
	const struct cmdline *cl = arg;
	char **argv = malloc(((size_t)cl->argc + 1) * sizeof(*argv));
	int nargs, rc;

	sipc__serve_config_init(cfg);
	if (argv == NULL) {
		sipc_cli_error("serve: out of memory");
		return SIPC_EXIT_USAGE;
	}
	memcpy(argv, cl->argv, ((size_t)cl->argc + 1) * sizeof(*argv));
	if (why != NULL)
		sipc_cli_error_capture(why, whylen);
	memset(&so, 0, sizeof(so));
	memset(&sipc_cli_tls, 0, sizeof(sipc_cli_tls));
	so.drain_ms = -1;
	so.svc = sipc__svc_conf_new(NULL, "flags");
	rc = sipc_opt_parse(&spec, cl->argc, argv, &nargs);
	if (rc == SIPC__OPT_HELP) {
		rc = -1;
	} else if (rc != SIPC__OPT_OK) {
		rc = SIPC_EXIT_USAGE;
	} else {
		/* Where the log goes, and the loops' backend, are chosen
		 * once, at start. */
		rc = why == NULL ? log_config() : 0;
		if (rc == 0 && why == NULL)
			rc = io_config();
		if (rc == 0)
			rc = fill_config(cfg, nargs, argv);
	}
	free(so.sources);
	free(so.allow_certs);
	sipc__acl_free(&so.acl);
	sipc__svc_conf_free(so.svc);
	so.svc = NULL;
	free(argv);
	if (why != NULL) {
		sipc_cli_error_capture(NULL, 0);
		/* The reload's own line names the command already. */
		if (strncmp(why, "serve: ", 7) == 0)
			memmove(why, why + 7, strlen(why + 7) + 1);
	}
	if (rc != 0) {
		sipc__inherit_free(cfg->inherit);
		cfg->inherit = NULL;
		sipc__serve_config_free(cfg);
	}
	return rc;
}

/* serve --check: everything the start checks before binding, and the
 * effective configuration. */
static int check_only(struct sipc_serve_config *cfg)
{
	char why[1024];

	if (sipc__server_check(cfg, why, sizeof(why)) < 0 ||
	    sipc__privdrop_check(cfg, why, sizeof(why)) < 0 ||
	    sipc__banner_check(cfg, why, sizeof(why)) < 0) {
		sipc_cli_error("serve: %s", why);
		return SIPC_EXIT_USAGE;
	}
	sipc__serve_config_print(cfg, stdout);
	return fflush(stdout) == 0 ? SIPC_EXIT_OK : SIPC_EXIT_FAIL;
}

/* --inetd: one connection, no supervisor (nothing to reload or hand
 * over): the server binds nothing and serves descriptor 0 itself. */
static int serve_inetd(struct sipc_serve_config *cfg)
{
	struct sipc__server *srv = NULL;
	char why[1024];
	int rc;

	/* Who may run as whom is a usage error before anything is served. */
	if (sipc__privdrop_check(cfg, why, sizeof(why)) < 0) {
		sipc_cli_error("serve: %s", why);
		return SIPC_EXIT_USAGE;
	}
	rc = sipc__server_new(cfg, &srv, why, sizeof(why));
	if (rc != 0) {
		sipc_cli_error("serve: %s", why);
		return rc;
	}
	rc = sipc__privdrop_apply(cfg, why, sizeof(why));
	if (rc != 0)
		sipc_cli_error("serve: %s", why);
	else
		rc = sipc__server_run(srv);
	sipc__server_free(srv);
	return rc;
}

int sipc_cmd_serve(int argc, char **argv)
{
	struct cmdline cl = {argc, argv};
	struct sipc__supervisor_opts sup = {load_config, &cl, NULL, NULL};
	struct sipc_serve_config *cfg = malloc(sizeof(*cfg));
	int rc;

	if (cfg == NULL) {
		sipc_cli_error("serve: out of memory");
		return 1;
	}
	early_log(argc, argv);
	rc = load_config(cfg, &cl, NULL, 0);
	if (rc != 0) {
		free(cfg);
		return rc < 0 ? SIPC_EXIT_OK : rc;
	}
	if (so.check) {
		rc = check_only(cfg);
	} else {
		rc = activation(cfg);
		if (rc == 0 && so.inetd != NULL) {
			rc = serve_inetd(cfg);
		} else if (rc == 0) {
			/* The supervisor owns the sockets passed in: LISTEN_PID
			 * names it, and every generation is handed them again. */
			sup.handover = so.handover;
			sup.inherit = cfg->inherit;
			cfg->inherit = NULL;
			return sipc__supervise(cfg, &sup);
		}
	}
	sipc__inherit_free(cfg->inherit);
	sipc__serve_config_free(cfg);
	free(cfg);
	return rc;
}
