/*
 * plat_win.c - plat.h on Windows.  A console or pipe cannot be polled
 * (WSAPoll takes sockets only), so a thread copies stdin into one end of
 * a loopback socket pair and the relay polls the other end.  Ctrl-C,
 * Ctrl-Break and closing the console stop listen as SIGINT and SIGTERM do
 * on POSIX.  No SIGPIPE, no SIGQUIT: the options that rely on what
 * Windows lacks are refused by name.
 */
#include "cli/plat.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/sys.h"
#include "sys/win/win.h"

void sipc_cli_plat_init(void)
{
	/* Bytes as they are: no CRLF translation, no ^Z as end of file. */
	_setmode(0, _O_BINARY);
	_setmode(1, _O_BINARY);
	/* stderr too: its lines end in "\n" as on Linux, so a script reading
	 * "listening URL" reads the same bytes from either. */
	_setmode(2, _O_BINARY);
}

bool sipc_cli_plat_absent_opt(const char *cmd, const char *name)
{
	/* CMD NULL: every subcommand's.  Programs on the connection (fork,
	 * exec, dup2 onto stdio; connect and listen's --max-conns bounds
	 * those), urgent data (SIOCATMARK differs, no SIGQUIT), descriptor
	 * passing (no SCM_RIGHTS); serve's users and groups (no uid on a
	 * socket, none to run as), --inetd (a socket as descriptor 0),
	 * syslog and --handover (a unix socket passing descriptors). */
	static const struct {
		const char *cmd, *name;
	} absent[] = {
		{NULL, "exec"},
		{NULL, "sh-exec"},
		{"connect", "max-conns"},
		{"listen", "max-conns"},
		{NULL, "urgent"},
		{NULL, "urgent-on-quit"},
		{NULL, "fd"},
		{NULL, "recv-fd"},
		{"serve", "user"},
		{"serve", "group"},
		{"serve", "allow-uid"},
		{"serve", "allow-gid"},
		{"serve", "inetd"},
		{"serve", "log"},
		{"serve", "handover"},
	};

	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
		if (strcmp(name, absent[i].name) == 0 &&
		    (absent[i].cmd == NULL || (cmd != NULL && strcmp(cmd, absent[i].cmd) == 0)))
			return true;
	return false;
}

void sipc_cli_plat_opt_words(const char *cmd, const char *name, const char **arg, const char **help)
{
	static const struct {
		const char *cmd, *name, *arg, *help;
	} words[] = {
		{"serve", "model", "MODEL",
		 "concurrency model: event (default) or thread (a thread per connection); no "
		 "fork on Windows"},
		{"serve", "io", "poll",
		 "the event loops' backend: poll (WSAPoll), the only one on Windows"},
		{"bench", "io", "poll",
		 "the event loop's backend: poll (WSAPoll), the only one on Windows"},
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (cmd != NULL && strcmp(cmd, words[i].cmd) == 0 &&
		    strcmp(name, words[i].name) == 0) {
			*arg = words[i].arg;
			*help = words[i].help;
		}
}

/* ---- stdin through a thread ---- */

static int stdin_pair[2] = {-1, -1};

/* Sends all of P on the (blocking) write end; false when the relay's end
 * is gone. */
static bool feed(const char *p, size_t n)
{
	while (n > 0) {
		int r = send(SIPC__SOCK(stdin_pair[1]), p, n > 65536 ? 65536 : (int)n, 0);

		if (r <= 0)
			return false;
		p += r;
		n -= (size_t)r;
	}
	return true;
}

static DWORD WINAPI stdin_thread(LPVOID arg)
{
	static char buf[65536];
	int n;

	(void)arg;
	while ((n = _read(0, buf, sizeof(buf))) > 0)
		if (!feed(buf, (size_t)n))
			break;
	/* End of stdin (or an error reading it): the relay reads end of
	 * stream. */
	shutdown(SIPC__SOCK(stdin_pair[1]), SD_SEND);
	return 0;
}

int sipc_cli_stdin_fd(void)
{
	HANDLE t;
	int rc;

	if (stdin_pair[0] >= 0)
		return stdin_pair[0];
	if ((rc = sipc__sys_socketpair(stdin_pair)) < 0)
		return rc;
	/* The thread's end blocks: it has nothing else to do. */
	if ((rc = sipc__sys_set_nonblock(stdin_pair[1], false)) < 0)
		return rc;
	t = CreateThread(NULL, 0, stdin_thread, NULL, 0, NULL);
	if (t == NULL)
		return -ENOMEM;
	CloseHandle(t);
	return stdin_pair[0];
}

struct sipc_cli_fdkind sipc_cli_fdkind(int fd)
{
	struct sipc_cli_fdkind k = {0};

	if (fd >= 0 && fd == stdin_pair[0]) {
		/* The pair: a non-blocking socket, read before any poll. */
		k.ok = k.sock = k.nonblock = true;
		k.tty = _isatty(0) != 0;
		return k;
	}
	k.tty = _isatty(fd) != 0;
	k.ok = true;
	return k;
}

void sipc_cli_no_sigpipe(void)
{
}

/* ---- listen's stop ---- */

static volatile LONG stopped;
static int stop_pair[2] = {-1, -1};

static BOOL WINAPI on_ctrl(DWORD type)
{
	char b = 0;

	(void)type;
	if (InterlockedExchange(&stopped, 1) != 0)
		return FALSE; /* a second one: the default action, at once */
	send(SIPC__SOCK(stop_pair[1]), &b, 1, 0);
	return TRUE;
}

int sipc_cli_stop_catch(void)
{
	int rc = sipc__sys_socketpair(stop_pair);

	if (rc < 0)
		return rc;
	if (!SetConsoleCtrlHandler(on_ctrl, TRUE))
		return -sipc__win_errno((int)GetLastError());
	return stop_pair[0];
}

bool sipc_cli_stopped(void)
{
	return stopped != 0;
}

void sipc_cli_stop_end(void)
{
	if (stopped)
		ExitProcess(STATUS_CONTROL_C_EXIT); /* as Ctrl-C's default */
}

int sipc_cli_urgent_catch_quit(void)
{
	return SIPC_ENOTSUP;
}

void sipc_cli_raise_nofile(void)
{
}
