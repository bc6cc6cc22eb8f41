/*
 * plat_posix.c - plat.h on POSIX: syslog(3), /dev/null as the spare
 * descriptor, wait statuses.
 */
#include "serve/plat.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

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

int sipc__serve_syslog_open(void)
{
	cookie_io_functions_t io = {.write = cookie_write};
	FILE *f = fopencookie(NULL, "w", io);

	if (f == NULL)
		return -1;
	/* LOG_NDELAY: the socket to /dev/log is opened now (glibc makes it
	 * close-on-exec), not in a child after a fork. */
	openlog("sockipc", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	setvbuf(f, NULL, _IOLBF, 0);
	fflush(stderr);
	stderr = f;
	return 0;
}

void sipc__serve_syslog(int level, const char *line)
{
	syslog(priority(level), "%s", line);
}

bool sipc__serve_fd_is_socket(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

int sipc__serve_spare_fd(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int sipc__serve_open_file(const char *path)
{
	return open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
}

int sipc__serve_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

void sipc__serve_exit_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, " exit=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, " exit=sig%d", WTERMSIG(status));
}
