/*
 * log.c - the server's log lines, the one sink: on stderr, "sockipc: " and
 * one line written with a single write(2) so lines of different worker
 * threads never interleave, filtered by -q / -v; or, with --log syslog,
 * to syslog(3) (LOG_DAEMON, ident "sockipc"; the journal reads it too).
 * inetd and xinetd pass the client's connection as descriptors 0, 1 and
 * 2, so under --inetd a socket on descriptor 2 is the client: nothing may
 * be written there, and syslog is forced.  Then the stdio stream stderr
 * itself is pointed at syslog, so the lines written by the shared command
 * line code (usage errors, --trace) follow, while descriptor 2 stays open
 * for an exec child, whose stderr inetd's convention makes the client's.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "serve/plat.h"
#include "serve/server.h"

static int sink = SIPC_SERVE_LOG_STDERR;

int sipc__serve_log_to(int where)
{
	if (where == sink)
		return 0;
	if (where == SIPC_SERVE_LOG_SYSLOG && sipc__serve_syslog_open() < 0)
		return -1;
	sink = where;
	return 0;
}

int sipc__serve_log_sink(void)
{
	return sink;
}

void sipc__serve_log(const struct sipc__server *srv, int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > 0 && srv != NULL && srv->cfg->verbosity < level)
		return;
	if (sink == SIPC_SERVE_LOG_SYSLOG) {
		va_start(ap, fmt);
		vsnprintf(buf, sizeof(buf), fmt, ap);
		va_end(ap);
		sipc__serve_syslog(level, buf);
		return;
	}
	n = snprintf(buf, sizeof(buf), "sockipc: ");
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* A failed log write has nowhere to be reported. */
	ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
	(void)w;
}
