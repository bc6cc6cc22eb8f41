/*
 * plat.h - what the commands need from the system beyond the library's
 * sys layer (sys/sys.h): the stdin they relay, what a descriptor is, the
 * stop signals of listen, SIGPIPE, SIGQUIT's urgent byte, and the options
 * a system cannot have.  One file per system: plat_posix.c, plat_win.c
 * (console control events, a stdin thread), so the command files carry
 * no #ifdef.
 */
#ifndef SIPC_CLI_PLAT_H
#define SIPC_CLI_PLAT_H

#include <stdbool.h>

/* Once, first thing in main: Windows puts stdin and stdout in binary mode
 * (no CRLF translation, no ^Z end); nothing on POSIX. */
void sipc_cli_plat_init(void);

/* Whether long option NAME (without "--") of subcommand CMD cannot work
 * on this system: opt.c then refuses it with "not supported on this
 * system" and leaves it out of --help. */
bool sipc_cli_plat_absent_opt(const char *cmd, const char *name);

/* The words --help shows for option NAME of CMD where this system offers
 * less than the table says (Windows: no fork model, poll the only
 * backend): *ARG and *HELP replaced, or left as they are. */
void sipc_cli_plat_opt_words(const char *cmd, const char *name, const char **arg,
			     const char **help);

/* The descriptor the relay reads stdin from, pollable with the socket:
 * 0 on POSIX; on Windows (where a console or pipe cannot be polled) one
 * end of sipc__sys_socketpair that a thread feeds from stdin, ended
 * (shut down) at stdin's end.  -errno when it cannot be made. */
int sipc_cli_stdin_fd(void);

/* What a descriptor of the relay is, probed once before its loop. */
struct sipc_cli_fdkind {
	bool ok; /* fstat worked */
	bool sock, fifo, reg, devnull;
	bool nonblock; /* O_NONBLOCK on the open file description */
	bool append;   /* O_APPEND: the kernel refuses splice to it */
	bool tty;      /* a terminal */
};
struct sipc_cli_fdkind sipc_cli_fdkind(int fd);

/* A reader of stdout that goes away must give EPIPE, not kill us
 * (SIGPIPE ignored on POSIX; Windows has no such signal). */
void sipc_cli_no_sigpipe(void);

/*
 * listen's stop: SIGINT and SIGTERM (a console's Ctrl-C and Ctrl-Break or
 * close on Windows) only note the stop and make the returned descriptor
 * readable (-errno on failure); sipc_cli_stopped says whether one came;
 * sipc_cli_stop_end, after the endpoints are closed, ends the process the
 * way the stop asked (the signal's default action again) and returns when
 * none came.
 */
int sipc_cli_stop_catch(void);
bool sipc_cli_stopped(void);
void sipc_cli_stop_end(void);

/* connect --urgent-on-quit: SIGQUIT (^\) makes the returned descriptor
 * readable, one byte per signal; -errno (SIPC_ENOTSUP on Windows). */
int sipc_cli_urgent_catch_quit(void);

/* bench: many connections need many descriptors: the soft limit of open
 * files raised to the hard one (RLIMIT_NOFILE); nothing on Windows, which
 * has no such limit on sockets. */
void sipc_cli_raise_nofile(void);

#endif /* SIPC_CLI_PLAT_H */
