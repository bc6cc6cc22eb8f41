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
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "serve/server.h"

static int sink = SIPC_SERVE_LOG_STDERR;

static int priority(int level)
{
	return level <= 0 ? LOG_WARNING : level == 1 ? LOG_INFO : LOG_DEBUG;
}

/* The stdio stream that replaces stderr under syslog: each line written
 * to it becomes one syslog message. */
static ssize_t cookie_write(void *cookie, const char *buf, size_t len)
{
	size_t i = 0;

	(void)cookie;
	while (i < len) {
		const char *nl = memchr(buf + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (buf + i)) : len - i;
		const char *p = buf + i;
		/* The shared code prefixes its lines as on a terminal. */
		if (n >= 9 && memcmp(p, "sockipc: ", 9) == 0) {
			p += 9;
			n -= 9;
		}
		if (n > 0)
			syslog(LOG_WARNING, "%.*s", (int)n, p);
		i += (size_t)(p - (buf + i)) + n + (nl ? 1 : 0);
	}
	return (ssize_t)len;
}

int sipc__serve_log_to(int where)
{
	if (where == sink)
		return 0;
	if (where == SIPC_SERVE_LOG_SYSLOG) {
		cookie_io_functions_t io = {.write = cookie_write};
		FILE *f = fopencookie(NULL, "w", io);
		if (f == NULL)
			return -1;
		/* LOG_NDELAY: the socket to /dev/log is opened now (glibc
		 * makes it close-on-exec), not in a child after a fork. */
		openlog("sockipc", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		setvbuf(f, NULL, _IOLBF, 0);
		fflush(stderr);
		stderr = f;
	}
	sink = where;
	return 0;
}

int sipc__serve_log_sink(void)
{
	return sink;
}

bool sipc__serve_fd_is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
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
		syslog(priority(level), "%s", buf);
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
