/*
 * ctlsig_win.c - ctlsig.h on Windows, which has no signals to block: a
 * console control handler (it runs on a thread of its own) sends one byte
 * per event on a socket pair whose other end is srv->sigfd.  Ctrl-C and
 * Ctrl-Break drain as SIGINT does, a second one closes everything; closing
 * the console, logging off or shutting down drain too, and since Windows
 * ends the process when the handler returns from those, the handler waits
 * (at most the few seconds Windows allows) for the server to end first.
 * There is no event to ask for the counters or a retire.
 */
#include "serve/ctlsig.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "serve/server.h"
#include "sys/win/win.h"

/* How long the handler of a closing console holds the process open for
 * the drain (Windows kills it after about five seconds anyway). */
#define CLOSE_WAIT_MS 4500

/* The handler has no argument: the pair's sending end and the event the
 * end of the server sets are the process's. */
static int ctl_wr = -1;
static HANDLE ended;

/* The byte for a stop asked by the server itself (ctlsig.h). */
#define STOP_SELF 0x7f

static bool post(DWORD ev)
{
	char b = (char)ev;

	return ctl_wr >= 0 && send(SIPC__SOCK(ctl_wr), &b, 1, 0) == 1;
}

static BOOL WINAPI on_ctrl(DWORD ev)
{
	if (!post(ev))
		return FALSE; /* not serving (yet): the default, which ends the process */
	if (ev != CTRL_C_EVENT && ev != CTRL_BREAK_EVENT && ended != NULL)
		WaitForSingleObject(ended, CLOSE_WAIT_MS);
	return TRUE;
}

int sipc__server_signalfd(struct sipc__server *srv, bool with_chld)
{
	int sv[2];
	int err;

	(void)with_chld;
	err = sipc__sys_socketpair(sv);
	if (err < 0) {
		sipc__serve_log(srv, 0, "serve: console events: %s", sipc_strerror(err));
		return -1;
	}
	srv->sigfd = sv[0];
	ctl_wr = sv[1];
	ended = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (!SetConsoleCtrlHandler(on_ctrl, TRUE))
		sipc__serve_log(srv, 0, "serve: console events: %s",
				sipc_strerror(-sipc__win_errno((int)GetLastError())));
	return 0;
}

int sipc__server_signal_next(struct sipc__server *srv, struct sipc__ctl_sig *out)
{
	char b;

	if (srv->sigfd < 0 || recv(SIPC__SOCK(srv->sigfd), &b, 1, 0) != 1)
		return 0;
	out->what = SIPC__CTL_STOP;
	switch ((DWORD)(unsigned char)b) {
	case CTRL_C_EVENT:
		out->signo = SIGINT;
		snprintf(out->name, sizeof(out->name), "Ctrl-C");
		break;
	case CTRL_BREAK_EVENT:
		out->signo = SIGBREAK;
		snprintf(out->name, sizeof(out->name), "Ctrl-Break");
		break;
	case STOP_SELF:
		out->signo = SIGTERM;
		snprintf(out->name, sizeof(out->name), "Terminated");
		break;
	default:
		out->signo = SIGTERM;
		snprintf(out->name, sizeof(out->name), "console closed");
		break;
	}
	return 1;
}

void sipc__server_signal_stop_self(void)
{
	post(STOP_SELF);
}

void sipc__server_signal_close(struct sipc__server *srv)
{
	if (srv->sigfd < 0)
		return;
	SetConsoleCtrlHandler(on_ctrl, FALSE);
	closesocket(SIPC__SOCK(srv->sigfd));
	closesocket(SIPC__SOCK(ctl_wr));
	srv->sigfd = ctl_wr = -1;
	if (ended != NULL)
		SetEvent(ended);
}
