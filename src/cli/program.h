/*
 * program.h - a program on one connection for connect -e / --sh-exec and
 * listen -e: the connection becomes its stdin and stdout.
 */
#ifndef SIPC_CLI_PROGRAM_H
#define SIPC_CLI_PROGRAM_H

#include <stdbool.h>

#include "cli/relay.h"
#include "sockipc.h"

/* A datagram of a read of a stdin that is not a terminal: the largest
 * UDP payload (IPv4). */
#define SIPC_RELAY_DGRAM_READ 65507

/* The options of connect and listen for a program and the one-way modes
 * (they set sipc_relay_opts, connect.h). */
/* clang-format off */
#define SIPC_CLI_PROGRAM_OPT(name, sn, type, field, arg, help) \
	{name, sn, type, &sipc_relay_opts.field, 0, 0, arg, help}
#define SIPC_CLI_PROGRAM_OPTS \
	SIPC_CLI_PROGRAM_OPT("exec", 'e', SIPC__OPT_STRING, exec, "'PROG ARGS'", \
		"run PROG with the connection as its stdin and stdout (split on blanks, no shell)"), \
	SIPC_CLI_PROGRAM_OPT("sh-exec", 'c', SIPC__OPT_STRING, sh_exec, "'CMD'", \
		"the same with /bin/sh -c CMD"), \
	SIPC_CLI_PROGRAM_OPT("recv-only", 'd', SIPC__OPT_FLAG, recv_only, NULL, \
		"only receive: never read stdin, never shut the socket down for it"), \
	SIPC_CLI_PROGRAM_OPT("send-only", 0, SIPC__OPT_FLAG, send_only, NULL, \
		"only send: never read the socket; end when stdin ends"), \
	SIPC_CLI_PROGRAM_OPT("lines", 0, SIPC__OPT_FLAG, lines, NULL, \
		"datagram URLs: one datagram per line of stdin, not per read (so already " \
		"from a terminal)")
/* clang-format on */

/* The checks of those options for SCHEME: SIPC_EXIT_USAGE after saying
 * why, or 0.  In connect.c, which builds everywhere (program.c does not
 * build for Windows: absent_win.c). */
int sipc_program_check_opts(const char *cmd, sipc_scheme scheme);

/*
 * The argv of -e TEXT (TEXT split on blanks, no shell, as ncat -e) or of
 * --sh-exec TEXT (/bin/sh -c TEXT, as ncat -c): *ARGVP is malloc'd (one
 * block; sipc_program_argv_free), or NULL when neither option was given.
 * Returns 0, or SIPC_EXIT_USAGE after saying why (both given, empty).
 */
int sipc_program_argv(const char *cmd, const char *exec, const char *sh, char ***argvp);
void sipc_program_argv_free(char **argv);

/*
 * Runs ARGV with the connection EP on its stdin and stdout (stderr ours),
 * in the environment serve's exec gives (execenv.h), started as serve
 * starts its children (forkexec.h; in our process group when SAME_PGRP),
 * and relays with CFG (relay.c) between EP and the program's two pipes
 * until both directions have ended or STOP_FD (-1: none) is readable, when
 * the program's process group gets SIGTERM (SIGKILL after a grace time).
 * Waits for the program.  Returns its exit status (128 + N for signal N),
 * 126 or 127 when it could not run (not executable, not found; said on
 * stderr, as sh says), or SIPC_EXIT_FAIL when the relay failed.  *STOPPED
 * (may be NULL) says whether STOP_FD ended it.  Thread-safe: listen -k -m
 * runs one per connection at once.
 */
int sipc_program_run(char **argv, const struct sipc_relay_cfg *cfg, sipc_endpoint *ep, int stop_fd,
		     bool same_pgrp, bool *stopped);

#endif /* SIPC_CLI_PROGRAM_H */
