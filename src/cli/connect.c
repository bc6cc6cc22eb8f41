/*
 * connect.c - `sockipc connect URL`: dials URL and relays stdin to the
 * socket and the socket to stdout, both at once (relay.c), with the
 * half-close of DESIGN.md: end of stdin shuts down the write side and the
 * command keeps reading until the peer closes.  Also holds what listen
 * shares with it: the relay options and the choice of relay mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/connect.h"
#include "cli/opt.h"
#include "cli/plat.h"
#include "cli/proxyopt.h"
#include "cli/program.h"
#include "cli/tlscli.h"
#include "cli/tlsopt.h"
#include "cli/urgentcli.h"

/* Datagram URLs have no end of stream: once stdin has ended, connect waits
 * this long after the last datagram for more replies (--idle-timeout
 * sets it too). */
#define DGRAM_LINGER_MS 1000

struct sipc_relay_opts sipc_relay_opts = {.idle_ms = -1, .connect_ms = -1};

/* --urgent-on-quit BYTE: -1 (not given), or the byte SIGQUIT sends. */
static int urgent_on_quit = -1;

static const struct sipc_opt opts_table[] = {
	{"framed", 0, SIPC__OPT_FLAG, &sipc_relay_opts.framed, 0, 0, NULL,
	 "each line of stdin is one message; each message received is one line"},
	{"crlf", 'C', SIPC__OPT_FLAG, &sipc_relay_opts.crlf, 0, 0, NULL,
	 "send CRLF for each newline of stdin"},
	{"idle-timeout", 'i', SIPC__OPT_SECONDS, &sipc_relay_opts.idle_ms, 0, 86400000, "S",
	 "end after S seconds without traffic"},
	{"chunk", 0, SIPC__OPT_SIZE, &sipc_relay_opts.chunk, 1, 65507, "N",
	 "datagram URLs: each read of up to N bytes is one datagram (not each line)"},
	{"connect-timeout", 'w', SIPC__OPT_SECONDS, &sipc_relay_opts.connect_ms, 0, 86400000, "S",
	 "give up connecting after S seconds"},
	{"source", 's', SIPC__OPT_STRING, &sipc_relay_opts.source, 0, 0, "ADDR",
	 "bind the local side to ADDR (a URL, HOST, HOST:PORT or PATH) first"},
	SIPC_CLI_PROGRAM_OPTS,
	{"urgent-on-quit", 0, SIPC__OPT_FUNC, &urgent_on_quit, 0, 0, "BYTE",
	 "tcp: SIGQUIT (^\\) sends BYTE as urgent data instead of quitting", sipc_cli_urgent_opt},
	SIPC_CLI_TLS_OPTS,
	SIPC_CLI_PROXY_OPT,
	{NULL},
};

/* --urgent-on-quit: SIGQUIT (^\ on a terminal) asks the relay for an
 * urgent byte.  0, or an exit status after saying why. */
static int urgent_setup(sipc_scheme sc, struct sipc_relay_urgent *urg)
{
	if (urgent_on_quit < 0)
		return 0;
	if (sipc_cli_urgent_check("connect", "--urgent-on-quit", sc) != 0)
		return SIPC_EXIT_USAGE;
	urg->byte = (uint8_t)urgent_on_quit;
	urg->fd = sipc_cli_urgent_catch_quit();
	if (urg->fd < 0) {
		sipc_cli_error("connect: --urgent-on-quit: %s", sipc_strerror(urg->fd));
		return SIPC_EXIT_FAIL;
	}
	return 0;
}

void sipc_relay_cfg_from_opts(struct sipc_relay_cfg *cfg, sipc_scheme scheme)
{
	cfg->crlf = sipc_relay_opts.crlf;
	cfg->chunk = sipc_relay_opts.chunk;
	cfg->idle_ms = sipc_relay_opts.idle_ms;
	cfg->send_stdin = !sipc_relay_opts.recv_only;
	cfg->no_recv = sipc_relay_opts.send_only;
	if (cfg->chunk == 0 && !sipc_relay_opts.lines && !sipc_relay_opts.framed &&
	    sipc_scheme_is_datagram(scheme) && isatty(STDIN_FILENO) != 1)
		cfg->chunk = SIPC_RELAY_DGRAM_READ;
	if (sipc_relay_opts.framed)
		cfg->mode = SIPC_RELAY_FRAMED;
	else if (sipc_scheme_is_datagram(scheme))
		cfg->mode = SIPC_RELAY_DGRAM;
	else
		cfg->mode = SIPC_RELAY_BYTES;
}

int sipc_program_check_opts(const char *cmd, sipc_scheme scheme)
{
	const struct sipc_relay_opts *o = &sipc_relay_opts;
	const char *prog = o->exec != NULL ? "-e" : o->sh_exec != NULL ? "--sh-exec" : NULL;

	if (o->recv_only && o->send_only) {
		sipc_cli_error("%s: --recv-only and --send-only: choose one", cmd);
		return SIPC_EXIT_USAGE;
	}
	if (prog != NULL && (o->recv_only || o->send_only)) {
		sipc_cli_error("%s: %s and %s: the program's stdin and stdout are the connection",
			       cmd, prog, o->recv_only ? "--recv-only" : "--send-only");
		return SIPC_EXIT_USAGE;
	}
	if (o->lines && !sipc_scheme_is_datagram(scheme)) {
		sipc_cli_error("%s: --lines: only for datagram URLs (udp, unixgram, unixpacket)",
			       cmd);
		return SIPC_EXIT_USAGE;
	}
	if (o->lines && (o->chunk > 0 || o->framed)) {
		sipc_cli_error("%s: --lines and %s: choose one", cmd,
			       o->chunk > 0 ? "--chunk" : "--framed");
		return SIPC_EXIT_USAGE;
	}
	return 0;
}

int sipc_relay_check_opts(const char *cmd, sipc_scheme scheme)
{
	int rc = sipc_program_check_opts(cmd, scheme);

	if (rc != 0)
		return rc;
	if (sipc_relay_opts.chunk > 0 && !sipc_scheme_is_datagram(scheme)) {
		sipc_cli_error("%s: --chunk: only for datagram URLs (udp, unixgram, unixpacket)",
			       cmd);
		return SIPC_EXIT_USAGE;
	}
	if (sipc_relay_opts.chunk > 0 && sipc_relay_opts.framed) {
		sipc_cli_error("%s: --chunk and --framed: choose one", cmd);
		return SIPC_EXIT_USAGE;
	}
	return 0;
}

/*
 * --source takes a whole URL, or what nc -s takes: an address (with an
 * optional port) for IP URLs, a path for unix ones; it gets URL's scheme.
 * Writes the URL to BUF; returns 0, or SIPC_EXIT_USAGE after saying why.
 */
static int source_url(const sipc_url *url, const char *src, char *buf, size_t len)
{
	sipc_scheme sc = sipc_url_scheme(url);
	const char *name = sipc_scheme_name(sc);
	char why[SIPC_WHY_MAX] = "";
	sipc_url *su = NULL;
	int rc;

	if (strstr(src, "://") != NULL)
		snprintf(buf, len, "%s", src);
	else if (sipc_scheme_is_unix(sc))
		snprintf(buf, len, "%s://%s", name, src);
	else if (src[0] == '[' && strstr(src, "]:") != NULL)
		snprintf(buf, len, "%s://%s", name, src);
	else if (src[0] == '[')
		snprintf(buf, len, "%s://%s:0", name, src);
	else if (strchr(src, ':') != NULL && strchr(src, ':') != strrchr(src, ':'))
		snprintf(buf, len, "%s://[%s]:0", name, src); /* a bare IPv6 address */
	else if (strchr(src, ':') != NULL)
		snprintf(buf, len, "%s://%s", name, src);
	else
		snprintf(buf, len, "%s://%s:0", name, src);
	rc = sipc_url_parse(buf, &su, why, sizeof(why));
	if (rc < 0) {
		sipc_cli_error("connect: --source: bad address '%s': %s", src,
			       why[0] ? why : sipc_strerror(rc));
		return SIPC_EXIT_USAGE;
	}
	sipc_url_free(su);
	return 0;
}

static const struct sipc_opt_spec spec = {
	"connect",
	"[OPTIONS] URL",
	"Connects to URL and relays stdin to it and it to stdout, both at once.\n"
	"On a stream, end of stdin shuts down the write side and the command\n"
	"keeps reading until the peer closes.  On a datagram URL each read of\n"
	"stdin is one datagram (each line from a terminal or with --lines; each\n"
	"read of up to N bytes with --chunk N), and once stdin has ended the\n"
	"command waits 1 s (or --idle-timeout) after the last reply.\n"
	"-e or --sh-exec runs a program on the connection instead (ncat -e, -c):\n"
	"its stdin and stdout are the connection, half-closes passed on both\n"
	"ways; connect's exit status is the program's (127: not found).\n"
	"tls:// verifies the server against the system's CAs (or --ca) and the\n"
	"URL host (or --sni), or accepts exactly the certificate of --pin;\n"
	"--connect-timeout bounds the handshake too.",
	opts_table,
	1,
	1,
};

int sipc_cmd_connect(int argc, char **argv)
{
	sipc_options opts = {0};
	sipc_tls_config *tls = NULL;
	char why[SIPC_WHY_MAX] = "";
	struct sipc_relay_cfg cfg = {.cmd = "connect"};
	struct sipc_relay_io io = {.in_fd = 0, .out_fd = 1, .stop_fd = -1};
	char src[SIPC_URL_MAX + 16], label[2 * SIPC_URL_MAX + 16];
	struct sipc_relay_urgent urg = {.fd = -1};
	sipc_endpoint *ep = NULL;
	sipc_url *url = NULL;
	char **prog = NULL;
	int nargs, rc;

	rc = sipc_opt_parse(&spec, argc, argv, &nargs);
	if (rc != SIPC__OPT_OK)
		return rc == SIPC__OPT_HELP ? SIPC_EXIT_OK : SIPC_EXIT_USAGE;
	cfg.url = argv[1];
	if ((rc = sipc_cli_parse_url("connect", cfg.url, &url)) != 0)
		return rc;
	if ((rc = sipc_relay_check_opts("connect", sipc_url_scheme(url))) != 0)
		goto out;
	rc = sipc_program_argv("connect", sipc_relay_opts.exec, sipc_relay_opts.sh_exec, &prog);
	if (rc != 0)
		goto out;
	if ((rc = urgent_setup(sipc_url_scheme(url), &urg)) != 0)
		goto out;
	if (sipc_relay_opts.source != NULL) {
		if ((rc = source_url(url, sipc_relay_opts.source, src, sizeof(src))) != 0)
			goto out;
		opts.source = src;
	}
	if ((rc = sipc_cli_tls_setup("connect", url, SIPC_TLS_CLIENT, &opts, &tls)) != 0 ||
	    (rc = sipc_cli_proxy_setup("connect", url, &opts)) != 0)
		goto out;
	sipc_cli_lib_options(&opts);
	opts.why = why;
	opts.whylen = sizeof(why);

	rc = sipc_dial_url(url, &opts, sipc_relay_opts.connect_ms, &ep);
	if (rc < 0) {
		rc = sipc_cli_open_error("connect",
					 sipc_cli_proxy_label(cfg.url, label, sizeof(label)),
					 sipc_url_scheme(url), rc, why);
		goto out;
	}
	sipc_cli_notice_association("connect", ep);
	sipc_cli_tls_notice("connect", ep);
	sipc_relay_cfg_from_opts(&cfg, sipc_url_scheme(url));
	cfg.urgent = urg.fd >= 0 ? &urg : NULL;
	cfg.linger_ms = -1;
	if (sipc_scheme_is_connectionless(sipc_url_scheme(url)))
		cfg.linger_ms = cfg.idle_ms >= 0 ? cfg.idle_ms : DGRAM_LINGER_MS;
	if (prog == NULL && !sipc_relay_opts.recv_only && (io.in_fd = sipc_cli_stdin_fd()) < 0) {
		sipc_cli_error("connect %s: stdin: %s", cfg.url, sipc_strerror(io.in_fd));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	if (prog != NULL) /* in our process group: a ^C reaches it too, as ncat -e's */
		rc = sipc_program_run(prog, &cfg, ep, -1, true, NULL);
	else
		rc = sipc_relay_run(&cfg, ep, &io);
out:
	sipc_program_argv_free(prog);
	sipc_endpoint_close(ep);
	sipc_tls_config_free(tls);
	sipc_url_free(url);
	return rc;
}
