/*
 * io.c - the data-moving system calls: send, recv, sendmsg, recvmsg, read,
 * write and the poll that waits for them.  Each wrapper makes exactly one
 * attempt (retrying only EINTR, which means no data moved), adds
 * MSG_NOSIGNAL to every send so a closed peer gives -EPIPE instead of
 * killing the process, and returns -errno, -EAGAIN included: the caller
 * decides whether to wait, with sipc__sys_wait and its deadline.
 */
#include "sys/sys.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockipc.h"

int sipc__sys_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int rc;

	/* Bounded by the deadline: each pass polls for what is left of it,
	 * recomputed after a signal interrupts the wait. */
	for (;;) {
		pfd.revents = 0;
		rc = poll(&pfd, 1, sipc__deadline_left(deadline));
		if (rc > 0)
			return pfd.revents;
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* rc == 0: poll's int timeout may be a slice of a longer
		 * deadline (sipc__deadline_left caps it at INT_MAX). */
		if (sipc__deadline_left(deadline) == 0)
			return SIPC_ETIMEDOUT;
	}
}

/* EWOULDBLOCK equals EAGAIN on Linux, but not on every system. */
static ssize_t result(ssize_t r)
{
	if (r >= 0)
		return r;
	if (errno == EWOULDBLOCK)
		return -EAGAIN;
	return -errno;
}

ssize_t sipc__sys_send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t r;

	do
		r = send(fd, buf, len, flags | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return result(r);
}

ssize_t sipc__sys_recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t r;

	do
		r = recv(fd, buf, len, flags);
	while (r < 0 && errno == EINTR);
	return result(r);
}

ssize_t sipc__sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	ssize_t r;

	do
		r = sendmsg(fd, msg, flags | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return result(r);
}

ssize_t sipc__sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r;

	do
		r = recvmsg(fd, msg, flags);
	while (r < 0 && errno == EINTR);
	return result(r);
}

int sipc__sys_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	int r;

	do
		r = sendmmsg(fd, v, n, flags | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? (int)result(r) : r;
}

int sipc__sys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	int r;

	/* No timeout: the callers' descriptors are non-blocking. */
	do
		r = recvmmsg(fd, v, n, flags, NULL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? (int)result(r) : r;
}

ssize_t sipc__sys_read(int fd, void *buf, size_t len)
{
	ssize_t r;

	do
		r = read(fd, buf, len);
	while (r < 0 && errno == EINTR);
	return result(r);
}

ssize_t sipc__sys_write(int fd, const void *buf, size_t len)
{
	ssize_t r;

	do
		r = write(fd, buf, len);
	while (r < 0 && errno == EINTR);
	return result(r);
}

int sipc__sys_atmark(int fd)
{
	int r = sockatmark(fd);

	return r < 0 ? -errno : r;
}
