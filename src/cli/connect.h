/*
 * connect.h - the relay options connect and listen share (one set of
 * values, so both take the same --framed, --crlf, --idle-timeout, ... the
 * same way).
 */
#ifndef SIPC_CLI_CONNECT_H
#define SIPC_CLI_CONNECT_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/opt.h"
#include "cli/relay.h"
#include "sockipc.h"

struct sipc_relay_opts {
	bool framed;
	bool crlf;
	int idle_ms;    /* -1: none */
	int connect_ms; /* -1: wait as long as the system does */
	size_t chunk;   /* 0: one datagram per line */
	const char *source;
	/* Section 2 and 7 of issue 11 (program.c): */
	const char *exec;    /* -e 'PROGRAM ARGS' */
	const char *sh_exec; /* --sh-exec 'CMD' */
	bool recv_only;      /* -d: stdin is never read */
	bool send_only;      /* the socket is never read */
	bool lines;          /* datagram URLs: one datagram per line */
};
/* Set by the option tables of connect and listen. */
extern struct sipc_relay_opts sipc_relay_opts;

/* Fills mode, crlf, chunk, idle_ms, send_stdin and no_recv of CFG for
 * SCHEME.  On a datagram URL without --chunk or --lines, each read of a
 * stdin that is not a terminal is one datagram (as nc): a binary request
 * stays whole; from a terminal each line is one. */
void sipc_relay_cfg_from_opts(struct sipc_relay_cfg *cfg, sipc_scheme scheme);
/* Checks the option combination for SCHEME; SIPC_EXIT_USAGE after saying
 * why, or 0. */
int sipc_relay_check_opts(const char *cmd, sipc_scheme scheme);

#endif /* SIPC_CLI_CONNECT_H */
