/*
 * pair.c - what a poll(2) loop needs of the system (src/loop/backend_poll.c):
 * poll itself, and a connected stream socket pair for its wake.
 */
#include "sys/sys.h"

#include <errno.h>
#include <limits.h>

int sipc__sys_poll(struct pollfd *fds, size_t n, int timeout_ms)
{
	int r;

	if (n > (size_t)INT_MAX)
		return -EINVAL;
	r = poll(fds, (nfds_t)n, timeout_ms);
	return r < 0 ? -errno : r;
}

int sipc__sys_socketpair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return -errno;
	return 0;
}
