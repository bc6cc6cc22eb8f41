/*
 * cli.h - what the subcommand files share: their entry points (the table in
 * main.c names them), the program-wide settings of the global options, and
 * the few helpers every subcommand uses to report errors and trace.
 */
#ifndef SIPC_CLI_H
#define SIPC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sockipc.h"
#include "why.h"

/* Exit statuses of DESIGN.md. */
enum { SIPC_EXIT_OK = 0, SIPC_EXIT_FAIL = 1, SIPC_EXIT_USAGE = 2 };

/* Each subcommand gets argv with argv[0] its own name. */
int sipc_cmd_serve(int argc, char **argv);
int sipc_cmd_connect(int argc, char **argv);
int sipc_cmd_listen(int argc, char **argv);
int sipc_cmd_send(int argc, char **argv);
int sipc_cmd_resolve(int argc, char **argv);
int sipc_cmd_bench(int argc, char **argv);
int sipc_cmd_xinetd_import(int argc, char **argv);
int sipc_cmd_scan(int argc, char **argv);

/* The global options, set by sipc_opt_parse (opt.h) for every subcommand. */
struct sipc_cli_globals {
	bool trace;   /* --trace: one stderr line per socket call */
	bool hex;     /* --hex: hex and ASCII dump of each direction */
	bool verbose; /* -v: notices (connected to, accepted from) */
	bool quiet;   /* -q: no notices, only errors */
};
extern struct sipc_cli_globals sipc_cli_globals;

/* "sockipc: " + the formatted text + newline on stderr. */
void sipc_cli_error(const char *fmt, ...) SIPC__PRINTF(1, 2);
/* From now on sipc_cli_error keeps its first line in BUF (without the
 * "sockipc: ") instead of writing it; NULL writes again.  For a program
 * that re-reads its options while it runs (serve's SIGHUP), whose error
 * belongs in one line of its own. */
void sipc_cli_error_capture(char *buf, size_t len);
/* The same, only with -v (and never with -q). */
void sipc_cli_notice(const char *fmt, ...) SIPC__PRINTF(1, 2);

/* -v: "CMD: connected to PEER from LOCAL" for a connected EP. */
void sipc_cli_notice_association(const char *cmd, const sipc_endpoint *ep);

/* --io NAME of serve and bench: the event loop's backend for CMD, GIVEN or,
 * when NULL, the environment's SOCKIPC_IO (epoll when neither).  0 when
 * it runs; 1 when io_uring cannot run here and epoll does, WHY saying
 * why (the caller says so in one line); -1 for an unknown name (the
 * error is printed). */
int sipc_cli_io_choose(const char *cmd, const char *given, char *why, size_t n);

/* The sipc_trace_fn of --trace: "sockipc: trace: LINE" on stderr. */
void sipc_cli_trace(void *arg, const char *line);

/* The --hex of serve (its sipc__serve_hex_fn): WHO is the connection. */
void sipc_cli_serve_hex(const char *who, char dir, uint64_t offset, const void *p, size_t n);

/* Fills OPTS for the library from the globals (trace). */
void sipc_cli_lib_options(sipc_options *opts);

/*
 * A hint to follow the reason when dialing a URL of SCHEME failed with RC,
 * or "": a unix path whose socket is of another type gives EPROTOTYPE,
 * which names the symptom, not the scheme to use instead.  Static text.
 */
const char *sipc_cli_dial_hint(sipc_scheme scheme, int rc);

/*
 * Parses TEXT as an endpoint URL for subcommand CMD.  On failure prints
 * "sockipc: CMD: bad URL 'TEXT': WHY" and returns SIPC_EXIT_USAGE; on
 * success *URLP owns the URL and 0 returns.
 */
int sipc_cli_parse_url(const char *cmd, const char *text, sipc_url **urlp);

/*
 * S as a JSON string on OUT, quotes included: '"' and '\\' escaped, and
 * every byte below 0x20, 0x7f and every byte above it as \u00XX, so text
 * that came from outside (a service name, a host, an error) can neither
 * end the string nor make the document invalid UTF-8.  The one JSON
 * escaper of the program (bench --json, scan --json).
 */
void sipc_cli_json_str(FILE *out, const char *s);

#endif /* SIPC_CLI_H */
