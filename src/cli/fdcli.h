/*
 * fdcli.h - descriptors passed on unix URLs from the command line: send's
 * --fd FILE (open files handed over with the message) and listen's
 * --recv-fd[=DIR] (what each received descriptor reads, written to stdout
 * or saved in DIR).
 */
#ifndef SIPC_CLI_FDCLI_H
#define SIPC_CLI_FDCLI_H

#include <stdbool.h>
#include <stddef.h>

#include "sockipc.h"

/* The --fd FILEs of send, in order ("-": stdin's descriptor). */
struct sipc_cli_fds {
	const char *names[SIPC_FDS_MAX];
	int fds[SIPC_FDS_MAX];
	size_t n;
};

/* SIPC__OPT_FUNC of --fd: adds VALUE to the struct sipc_cli_fds DEST. */
int sipc_cli_fd_opt(void *dest, const char *value, char *why, size_t whylen);

/* CMD's OPTION on a URL of scheme SC: 0 for the unix kinds, otherwise
 * SIPC_EXIT_USAGE after saying why. */
int sipc_cli_fd_check(const char *cmd, const char *option, sipc_scheme sc);

/* Opens each --fd FILE read-only: 0, or SIPC_EXIT_FAIL after saying which
 * one failed (none stays open). */
int sipc_cli_fds_open(const char *cmd, struct sipc_cli_fds *f);
void sipc_cli_fds_close(struct sipc_cli_fds *f);

/*
 * listen --recv-fd: receives messages with descriptors on EP (a connection,
 * or a bound unixgram socket) until the peer ends, a stop signal comes
 * (STOP_FD readable) or IDLE_MS (-1: never) pass without one.  For each
 * descriptor it writes what the descriptor reads to stdout, or with DIR
 * (not NULL, not "") saves it to a new file there and prints its path; a
 * line on stderr says what came.  A message that is no good (too many
 * descriptors, none, too large) is reported and the next one taken; on a
 * stream whose framing it broke the connection ends.  Returns
 * SIPC_EXIT_OK when the peer ended or a signal came, SIPC_EXIT_FAIL when
 * the connection failed.
 */
int sipc_cli_recv_fds(const char *url, sipc_endpoint *ep, const char *dir, int stop_fd,
		      int idle_ms);

#endif /* SIPC_CLI_FDCLI_H */
