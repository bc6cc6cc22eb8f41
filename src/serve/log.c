/*
 * log.c - the server's log lines on stderr: "sockipc: " and one line,
 * written with a single write(2) so lines of different worker threads
 * never interleave, and filtered by -q / -v.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "serve/server.h"

void sipc__serve_log(const struct sipc__server *srv, int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > 0 && srv != NULL && srv->cfg->verbosity < level)
		return;
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
