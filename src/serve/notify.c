/*
 * notify.c - sd_notify(3) spoken directly: a datagram on the AF_UNIX
 * socket $NOTIFY_SOCKET names, a path or, with a leading '@', an abstract
 * name.  Not libsystemd: the protocol is one sendmsg of a few bytes, and
 * serve runs where systemd is absent (containers, other inits, the BSDs
 * later), so a library dependency would cost more than these lines; the
 * fd-passing and credential parts of libsystemd's sd_notify are not
 * needed here.
 */
#include "serve/notify.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/net.h"
#include "sys/sys.h"

static struct {
	bool done;
	int fd; /* -1: no socket */
	struct sockaddr_un sun;
	socklen_t len;
	int64_t watchdog_ms;
} st = {.fd = -1};

static void unset_all(void)
{
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

/* WATCHDOG_USEC (and WATCHDOG_PID, which must name this process when
 * set): the interval in ms, 0 when there is none, -1 when malformed. */
static int64_t watchdog(void)
{
	const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (us == NULL)
		return 0;
	if (pid != NULL) {
		errno = 0;
		long p = strtol(pid, &end, 10);
		if (errno != 0 || end == pid || *end != '\0' || p <= 0)
			return -1;
		if ((pid_t)p != getpid())
			return 0;
	}
	errno = 0;
	v = strtoull(us, &end, 10);
	if (errno != 0 || end == us || *end != '\0' || *us == '-' || v == 0)
		return -1;
	/* Notify at half the interval, as sd_watchdog_enabled(3) advises. */
	v /= 2000;
	return v == 0 ? 1 : v > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)v;
}

int sipc__notify_init(char *why, size_t whylen)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;
	int rc = 0;

	if (st.done)
		return 0;
	st.done = true;
	if (path == NULL)
		goto out;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || n < 2 || n >= sizeof(st.sun.sun_path)) {
		snprintf(why, whylen,
			 "NOTIFY_SOCKET: not a socket path or @abstract name of 2-%zu bytes",
			 sizeof(st.sun.sun_path) - 1);
		rc = -1;
		goto out;
	}
	st.watchdog_ms = watchdog();
	if (st.watchdog_ms < 0) {
		snprintf(why, whylen, "WATCHDOG_USEC / WATCHDOG_PID: not a number");
		st.watchdog_ms = 0;
		rc = -1;
		goto out;
	}
	st.sun.sun_family = AF_UNIX;
	memcpy(st.sun.sun_path, path, n);
	if (path[0] == '@')
		st.sun.sun_path[0] = '\0';
	/* An abstract name is exactly its bytes: no terminating NUL counted. */
	st.len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '/'));
	st.fd = sipc__sys_socket(AF_UNIX, SOCK_DGRAM);
	if (st.fd < 0) {
		snprintf(why, whylen, "NOTIFY_SOCKET: socket: %s", strerror(-st.fd));
		st.fd = -1;
		rc = -1;
	}
out:
	if (st.fd < 0)
		st.watchdog_ms = 0;
	unset_all();
	return rc;
}

bool sipc__notify_enabled(void)
{
	return st.fd >= 0;
}

void sipc__notify(const char *text)
{
	struct iovec iov = {(void *)text, strlen(text)};
	struct msghdr msg = {0};

	if (st.fd < 0)
		return;
	msg.msg_name = &st.sun;
	msg.msg_namelen = st.len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	(void)sipc__sys_sendmsg(st.fd, &msg, 0);
}

int64_t sipc__notify_watchdog_ms(void)
{
	return st.watchdog_ms;
}
