/*
 * sock.c - the socket lifecycle system calls: socket, accept4, connect,
 * close, descriptor flags, socket options and SO_PEERCRED.  Every
 * descriptor made here is born close-on-exec and non-blocking (no window
 * in which a fork+exec elsewhere in the process could inherit it), EINTR is
 * retried where retrying is right, and errors come back as -errno captured
 * right after the call that failed.
 */
#include "sys/sys.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "sockipc.h"

/* How long to sleep between retries of a unix connect that found the
 * listener's backlog full (see sipc__sys_connect). */
#define UNIX_FULL_RETRY_MS 10

int sipc__sys_socket(int family, int type)
{
	int fd = socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	return fd < 0 ? -errno : fd;
}

int sipc__sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	socklen_t cap = len ? *len : 0;
	int c;

	/* ECONNABORTED (and EPROTO, which accept(2) lists for the same case)
	 * means a queued connection was reset before we took it: the next
	 * one may be fine.  Each retry consumes one queued connection, so the
	 * loop ends when the queue does (with EAGAIN). */
	for (;;) {
		if (len)
			*len = cap;
		c = accept4(fd, sa, len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (c >= 0)
			return c;
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EWOULDBLOCK)
			return -EAGAIN;
		return -errno;
	}
}

int sipc__sys_so_error(int fd)
{
	int err = 0;
	int rc = sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_ERROR, &err);

	if (rc < 0)
		return rc;
	return err ? -err : 0;
}

int sipc__sys_connect_start(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (connect(fd, sa, len) == 0)
		return 0;
	/* EINTR does not cancel a connect: it goes on as after EINPROGRESS. */
	if (errno == EINPROGRESS || errno == EINTR)
		return -EINPROGRESS;
	return -errno;
}

int sipc__sys_connect(int fd, const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
	int rc;

	for (;;) {
		if (connect(fd, sa, len) == 0)
			return 0;
		/* EINTR on connect(2) does not cancel it: the connection goes on
		 * asynchronously, exactly as after EINPROGRESS, and calling
		 * connect again would only say EALREADY. */
		if (errno == EINPROGRESS || errno == EINTR)
			break;
		/* A non-blocking connect to a unix stream listener whose backlog
		 * is full fails with EAGAIN instead of waiting, and there is no
		 * event to poll for: retry a few times a second until the
		 * deadline, as a blocking connect would wait. */
		if (errno == EAGAIN && sa->sa_family == AF_UNIX) {
			int left = sipc__deadline_left(deadline);
			if (left == 0)
				return SIPC_ETIMEDOUT;
			if (left < 0 || left > UNIX_FULL_RETRY_MS)
				left = UNIX_FULL_RETRY_MS;
			rc = poll(NULL, 0, left);
			(void)rc;
			continue;
		}
		return -errno;
	}

	rc = sipc__sys_wait(fd, POLLOUT, deadline);
	if (rc < 0)
		return rc;
	/* Whatever poll said (POLLOUT, POLLERR, POLLHUP), SO_ERROR holds the
	 * outcome of the connect. */
	return sipc__sys_so_error(fd);
}

int sipc__sys_close(int fd)
{
	/* Linux releases the descriptor even when close is interrupted, so a
	 * retry could close a descriptor another thread just opened. */
	if (close(fd) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

int sipc__sys_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if (on == ((fl & O_NONBLOCK) != 0))
		return 0;
	if (fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int sipc__sys_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0)
		return -errno;
	if ((fl & FD_CLOEXEC) == 0 && fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int sipc__sys_setsockopt_int(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) < 0)
		return -errno;
	return 0;
}

int sipc__sys_setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	return setsockopt(fd, level, name, value, len) < 0 ? -errno : 0;
}

int sipc__sys_getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	return getsockopt(fd, level, name, value, len) < 0 ? -errno : 0;
}

int sipc__sys_getsockopt_int(int fd, int level, int name, int *value)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, level, name, &v, &len) < 0)
		return -errno;
	*value = v;
	return 0;
}

int sipc__sys_peercred(int fd, sipc_cred *out)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	/* SO_PEERCRED is Linux's; the BSDs and macOS have getpeereid() and
	 * LOCAL_PEERCRED, which a port would put in its own file. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -errno;
	out->pid = cr.pid;
	out->uid = cr.uid;
	out->gid = cr.gid;
	return 0;
}

int sipc__sys_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	return bind(fd, sa, len) < 0 ? -errno : 0;
}

int sipc__sys_listen(int fd, int backlog)
{
	return listen(fd, backlog) < 0 ? -errno : 0;
}

int sipc__sys_shutdown(int fd, int how)
{
	return shutdown(fd, how) < 0 ? -errno : 0;
}

int sipc__sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	return getsockname(fd, sa, len) < 0 ? -errno : 0;
}

int sipc__sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	return getpeername(fd, sa, len) < 0 ? -errno : 0;
}
