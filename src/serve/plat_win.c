/*
 * plat_win.c - plat.h on Windows: no syslog (the options that ask for it
 * are refused by name: cli/plat_win.c), NUL as the spare descriptor, and
 * exit codes as they are (no exec child ends by a signal).
 */
#include "serve/plat.h"

#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <windows.h>

int sipc__serve_syslog_open(void)
{
	return -1;
}

void sipc__serve_syslog(int level, const char *line)
{
	(void)level;
	(void)line;
}

bool sipc__serve_fd_is_socket(int fd)
{
	(void)fd;
	return false;
}

int sipc__serve_spare_fd(void)
{
	return _open("NUL", _O_RDONLY | _O_NOINHERIT);
}

int sipc__serve_open_file(const char *path)
{
	return _open(path, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
}

int sipc__serve_ncpus(void)
{
	SYSTEM_INFO si;

	GetSystemInfo(&si);
	return si.dwNumberOfProcessors > 0 ? (int)si.dwNumberOfProcessors : 1;
}

void sipc__serve_exit_text(int status, char *buf, size_t len)
{
	snprintf(buf, len, " exit=%d", status);
}
