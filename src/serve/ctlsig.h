/*
 * ctlsig.h - how the server is told to stop, count or retire: signals on
 * POSIX (ctlsig_posix.c: a signalfd, read by the control loop, so no work
 * happens in a handler) and console control events on Windows
 * (ctlsig_win.c: Ctrl-C, Ctrl-Break and closing the console, each turned
 * into a byte on a socket pair by the handler).  Either way srv->sigfd is
 * a descriptor the control loop watches for SIPC_LOOP_IN, and
 * sipc__server_signal_next says what each event asks.
 */
#ifndef SIPC_SERVE_CTLSIG_H
#define SIPC_SERVE_CTLSIG_H

#include <stdbool.h>

struct sipc__server;

enum sipc__ctl {
	SIPC__CTL_STOP,   /* SIGINT, SIGTERM; Ctrl-C, Ctrl-Break: drain, then close */
	SIPC__CTL_STATS,  /* SIGUSR1: print the counters */
	SIPC__CTL_RETIRE, /* SIGHUP from the supervisor: stop accepting */
	SIPC__CTL_CHILD,  /* SIGCHLD (the fork model reaps) */
};

struct sipc__ctl_sig {
	enum sipc__ctl what;
	int signo;     /* the signal (STOP: forwarded to the fork model's children) */
	char name[40]; /* "Interrupt", "Terminated", "Ctrl-Break", for log lines */
};

/*
 * Opens srv->sigfd.  POSIX: blocks SIGINT, SIGTERM and SIGUSR1 (and
 * SIGCHLD when WITH_CHLD; and SIGHUP and the supervisor's order signal
 * under a supervisor, which retires this generation: without one, SIGHUP
 * still ends the server, as a hang-up of its terminal should) in the
 * calling thread, whose threads inherit the mask, and ignores SIGPIPE.
 * Windows: installs the console control handler.  0, or -1 after logging
 * why.
 */
int sipc__server_signalfd(struct sipc__server *srv, bool with_chld);
/* The next event that counts, read from srv->sigfd: 1 with *OUT filled,
 * 0 when none waits. */
int sipc__server_signal_next(struct sipc__server *srv, struct sipc__ctl_sig *out);
/* Asks this process to stop as SIGTERM does (the same path: the model
 * drains and ends). */
void sipc__server_signal_stop_self(void);
/* Closes srv->sigfd (the signals stay blocked: unblocking now would
 * deliver one that came during the drain and kill the process instead of
 * exiting 0). */
void sipc__server_signal_close(struct sipc__server *srv);

#endif /* SIPC_SERVE_CTLSIG_H */
