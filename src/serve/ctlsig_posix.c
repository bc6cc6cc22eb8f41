/*
 * ctlsig_posix.c - ctlsig.h on POSIX: the server's signals through a
 * signalfd.
 */
#include "serve/ctlsig.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "serve/server.h"

int sipc__server_signalfd(struct sipc__server *srv, bool with_chld)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	if (with_chld)
		sigaddset(&set, SIGCHLD);
	if (srv->cfg->gen != NULL) {
		sigaddset(&set, SIGHUP);
		sigaddset(&set, SIPC__SERVE_ORDER_SIG);
	}
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	srv->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (srv->sigfd < 0) {
		sipc__serve_log(srv, 0, "serve: signalfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The signal SI asks to act on, or 0 to ignore it.  Under a supervisor
 * only its orders count: the signal it forwards comes as
 * SIPC__SERVE_ORDER_SIG with the signal in its value, and the plain ones
 * are dropped (a signal to the whole process group, a terminal's ^C,
 * reaches both processes, and two pending SIGTERMs would merge into one,
 * the forwarded one lost in the direct one).  SIGCHLD is the kernel's. */
static int order(const struct sipc__server *srv, const struct signalfd_siginfo *si)
{
	const struct sipc__serve_gen *gen = srv->cfg->gen;

	if (gen == NULL || si->ssi_signo == SIGCHLD)
		return (int)si->ssi_signo;
	if ((int)si->ssi_signo == SIPC__SERVE_ORDER_SIG && (pid_t)si->ssi_pid == gen->supervisor)
		return si->ssi_int;
	return 0;
}

int sipc__server_signal_next(struct sipc__server *srv, struct sipc__ctl_sig *out)
{
	struct signalfd_siginfo si;

	while (read(srv->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int sig = order(srv, &si);

		if (sig == 0)
			continue;
		out->signo = sig;
		out->what = sig == SIGCHLD   ? SIPC__CTL_CHILD
			    : sig == SIGUSR1 ? SIPC__CTL_STATS
			    : sig == SIGHUP  ? SIPC__CTL_RETIRE
					     : SIPC__CTL_STOP;
		snprintf(out->name, sizeof(out->name), "%s", strsignal(sig));
		return 1;
	}
	return 0;
}

void sipc__server_signal_stop_self(void)
{
	kill(getpid(), SIGTERM);
}

void sipc__server_signal_close(struct sipc__server *srv)
{
	if (srv->sigfd >= 0)
		close(srv->sigfd);
	srv->sigfd = -1;
}
