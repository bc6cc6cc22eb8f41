/*
 * bench.c - `sockipc bench URL`: the load generator's command line.  It
 * reads and checks the options (the shared parser of opt.h), turns them
 * into a struct sipc_bench_config, runs src/bench and prints the report.
 * Exit status: 0 when every message came back whole and equal, 1 when any
 * was mismatched, lost or unanswered, or the run could not start, 2 for a
 * usage error.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "cli/plat.h"
#include "cli/proxyopt.h"
#include "cli/tlscli.h"
#include "cli/tlsopt.h"

/* Datagram messages carry an 8-byte tag (sequence and slot). */
#define DGRAM_MIN_SIZE 8
/* The largest datagram a udp socket can send (65535 - 8 - 20). */
#define UDP_MAX_SIZE 65507

/* --count at most: 10^12, or what a long holds where it has 32 bits
 * (Windows). */
#define COUNT_MAX ((long)(LONG_MAX < 1000000000000LL ? LONG_MAX : 1000000000000LL))

static long conns = 1;
static long depth = 1;
static size_t size = 64;
static int duration_ms = 0;
static long count;
static long threads = 1;
static bool new_conn;
static long rate;
static bool framed;
static bool json;
static bool blocking;
static bool one_way;
static int timeout_ms = 1000;
static long max_batch;
static const char *io;

static const struct sipc_opt opts_table[] = {
	{"conns", 'c', SIPC__OPT_INT, &conns, 1, 100000, "N", "N connections at once (default 1)"},
	{"depth", 'd', SIPC__OPT_INT, &depth, 1, 4096, "D",
	 "D messages in flight on each connection (default 1)"},
	{"size", 's', SIPC__OPT_SIZE, &size, 1, 16L * 1024 * 1024, "S",
	 "S bytes per message (default 64; K, M suffixes)"},
	{"duration", 'D', SIPC__OPT_SECONDS, &duration_ms, 1, 86400000, "SECONDS",
	 "run this long (default 3)"},
	{"count", 'n', SIPC__OPT_INT, &count, 1, COUNT_MAX, "M",
	 "send exactly M messages in all instead of running for a time"},
	{"threads", 'T', SIPC__OPT_INT, &threads, 1, 256, "T",
	 "T worker threads, each with its own event loop (default 1)"},
	{"new-conn", 0, SIPC__OPT_FLAG, &new_conn, 0, 0, NULL,
	 "a new connection for every request (measures connections/s)"},
	{"rate", 'r', SIPC__OPT_INT, &rate, 1, 100000000, "R",
	 "open loop: R requests/s in all, latency counted from each scheduled time"},
	{"framed", 0, SIPC__OPT_FLAG, &framed, 0, 0, NULL,
	 "streams: 4-byte length prefix per message (message mode)"},
	{"json", 0, SIPC__OPT_FLAG, &json, 0, 0, NULL, "print the result as one JSON object"},
	{"blocking", 0, SIPC__OPT_FLAG, &blocking, 0, 0, NULL,
	 "one connection through the library's blocking calls (shm:// spins there)"},
	{"one-way", 0, SIPC__OPT_FLAG, &one_way, 0, 0, NULL,
	 "blocking, send only, to a discard service: MB/s the consumer read"},
	{"timeout", 't', SIPC__OPT_MS, &timeout_ms, 1, 3600000, "MS",
	 "a datagram echo later than MS is lost; a stream silent for MS has failed (default 1000)"},
	{"max-batch", 0, SIPC__OPT_INT, &max_batch, 1, 64, "N",
	 "datagram URLs: up to N datagrams per sendmmsg and per recvmmsg (default 64, "
	 "at most --depth at once); 1: one send and one receive call per datagram"},
	{"io", 0, SIPC__OPT_STRING, &io, 0, 0, "epoll|uring|poll",
	 "the event loops' backend (default: $SOCKIPC_IO, else epoll); where io_uring is not "
	 "allowed bench says why on stderr and runs on epoll; poll: poll(2), the Windows build's "
	 "backend"},
	SIPC_CLI_TLS_OPTS,
	SIPC_CLI_PROXY_OPT,
	{NULL},
};

static const struct sipc_opt_spec spec = {
	"bench",
	"[OPTIONS] URL",
	"Sends messages to the echo service at URL and reads every echo back,\n"
	"comparing each byte: streams get S raw bytes per message (or a framed\n"
	"message with --framed), datagram URLs one datagram per message.  Reports\n"
	"messages/s, MB/s, connections/s with --new-conn, and latency p50, p90,\n"
	"p99, p99.9 and max (--json: one JSON object), with a progress line on\n"
	"stderr each second in runs of 5 s or more.  --duration and --count\n"
	"exclude each other.  Any mismatched, lost or unanswered message, reset or\n"
	"stall is counted, reported, and makes the exit status 1; 0 means every\n"
	"echo came back whole and equal.  Over tls:// --new-conn makes a full\n"
	"handshake per request (conn/s are handshakes/s), and a handshake that\n"
	"fails is a failed connect with its reason.  --blocking drives one\n"
	"connection at depth 1 with the library's blocking calls instead of the\n"
	"event loop (a transport's own wait: shm:// spins only there); --one-way\n"
	"does too, sending only, to a service that reads every byte and closes at\n"
	"the end (discard): the time runs until that close, and \"echoed\" counts\n"
	"the messages it read.",
	opts_table,
	1,
	1,
	/* Millions of messages: no dump of them, and no notices to print. */
	.refuse = SIPC__OPT_G_HEX | SIPC__OPT_G_VERBOSE,
};

int sipc_cmd_bench(int argc, char **argv)
{
	struct sipc_bench_config cfg;
	struct sipc_bench_result *res;
	sipc_options opts = {0};
	sipc_tls_config *tls = NULL;
	sipc_url *url;
	sipc_scheme scheme;
	char why[SIPC__BENCH_WHY] = "";
	int nargs, rc;

	rc = sipc_opt_parse(&spec, argc, argv, &nargs);
	if (rc != SIPC__OPT_OK)
		return rc == SIPC__OPT_HELP ? SIPC_EXIT_OK : SIPC_EXIT_USAGE;
	if ((rc = sipc_cli_parse_url("bench", argv[1], &url)) != 0)
		return rc;
	scheme = sipc_url_scheme(url);
	rc = sipc_cli_io_choose("bench", io, why, sizeof(why));
	if (rc < 0) {
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if (rc > 0)
		fprintf(stderr,
			"sockipc: bench: io: uring cannot run here (%s): running on epoll\n", why);
	why[0] = '\0';
	rc = 0;
	if (duration_ms > 0 && count > 0) {
		sipc_cli_error("bench: --duration and --count exclude each other");
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if (new_conn && depth > 1) {
		sipc_cli_error("bench: --depth: a --new-conn connection carries one request");
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if (sipc_scheme_is_datagram(scheme) && size < DGRAM_MIN_SIZE) {
		sipc_cli_error("bench: --size: %zu is too small for datagrams (at least %d: "
			       "each carries an 8-byte sequence tag)",
			       size, DGRAM_MIN_SIZE);
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if ((scheme == SIPC_UDP || scheme == SIPC_UDP4 || scheme == SIPC_UDP6) &&
	    size > UDP_MAX_SIZE) {
		sipc_cli_error("bench: --size: %zu is larger than a UDP datagram can be (%d)", size,
			       UDP_MAX_SIZE);
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if (one_way)
		blocking = true;
	if (blocking && sipc_scheme_is_connectionless(scheme)) {
		sipc_cli_error("bench: --%s: needs a connected URL, not %s://",
			       one_way ? "one-way" : "blocking", sipc_scheme_name(scheme));
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if (blocking && (conns != 1 || depth != 1 || threads != 1 || new_conn || rate || framed)) {
		sipc_cli_error("bench: --%s: one connection at depth 1 (not with --conns, --depth, "
			       "--threads, --new-conn, --rate or --framed)",
			       one_way ? "one-way" : "blocking");
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if (framed && !sipc_scheme_is_stream(scheme))
		framed = false; /* a datagram is a message already */

	if ((rc = sipc_cli_tls_setup("bench", url, SIPC_TLS_CLIENT, &opts, &tls)) != 0 ||
	    (rc = sipc_cli_proxy_setup("bench", url, &opts)) != 0)
		goto out;
	if (opts.proxy != NULL && new_conn) {
		/* --new-conn makes its own non-blocking connects, without a
		 * proxy handshake. */
		sipc_cli_error("bench: --new-conn and --proxy: not together (yet)");
		rc = SIPC_EXIT_USAGE;
		goto out;
	}
	if (tls != NULL && new_conn && sipc_cli_tls.sni == NULL && sipc_url_host(url)[0] != '\0' &&
	    (rc = sipc_tls_config_server_name(tls, sipc_url_host(url))) < 0) {
		/* --new-conn wraps sockets it connects itself: the endpoint
		 * knows no URL host, so the config carries the name to check. */
		sipc_cli_error("bench: %s: %s", argv[1], sipc_strerror(rc));
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	sipc_cli_raise_nofile();
	sipc_cli_lib_options(&opts);
	/* --new-conn wraps sockets it connects itself: shm's ring=, spin=
	 * and ring_max= reach their handshake through the URL (dials ignore
	 * it: they have it already). */
	if (new_conn && sipc_url_scheme(url) == SIPC_SHM)
		opts.url = url;
	memset(&cfg, 0, sizeof cfg);
	cfg.url_text = argv[1];
	cfg.url = url;
	cfg.conns = conns;
	cfg.depth = new_conn ? 1 : depth;
	cfg.size = size;
	cfg.count = count;
	cfg.duration_ms = count > 0 ? 0 : duration_ms > 0 ? duration_ms : 3000;
	cfg.threads = threads < conns ? threads : conns;
	cfg.new_conn = new_conn;
	cfg.rate = (double)rate;
	cfg.framed = framed;
	cfg.timeout_ms = timeout_ms;
	/* A progress line each second, for runs long enough to wonder. */
	cfg.progress_ms =
		!sipc_cli_globals.quiet && (count > 0 || cfg.duration_ms >= 5000) ? 1000 : 0;
	cfg.opts = &opts;
	cfg.blocking = blocking;
	cfg.one_way = one_way;
	cfg.max_batch = max_batch;
	if (count > 0 && cfg.progress_ms)
		cfg.progress_ms = 5000;

	res = malloc(sizeof *res);
	if (res == NULL) {
		sipc_cli_error("bench: out of memory");
		rc = SIPC_EXIT_FAIL;
		goto out;
	}
	rc = blocking ? sipc__bench_run_blocking(&cfg, res, why, sizeof why)
		      : sipc__bench_run(&cfg, res, why, sizeof why);
	if (rc < 0) {
		sipc_cli_error("bench: %s", why[0] ? why : sipc_strerror(rc));
		rc = SIPC_EXIT_FAIL;
	} else {
		sipc__bench_report(stdout, &cfg, res, json);
		fflush(stdout);
		rc = sipc__bench_clean(res) ? SIPC_EXIT_OK : SIPC_EXIT_FAIL;
	}
	free(res);
out:
	sipc_tls_config_free(tls);
	sipc_url_free(url);
	return rc;
}
