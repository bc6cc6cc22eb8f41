/*
 * pair.c - what a poll(2) loop needs of WinSock (src/loop/backend_poll.c):
 * WSAPoll, and a connected stream socket pair for its wake.  Windows has
 * no socketpair(): the pair is a loopback TCP connection, made through a
 * listener on 127.0.0.1 with a port from the system that lives only as
 * long as the pair takes to make.  Another local process could connect to
 * that port in the meantime, so the accepted socket is kept only if its
 * peer is the connecting socket (getpeername of the one equals
 * getsockname of the other); anything else is closed and the next
 * connection accepted, a bounded number of times.
 */
#include "sys/win/win.h"

#include <limits.h>
#include <string.h>

/* How long the pair may take, and how many strangers it closes before it
 * gives up. */
#define PAIR_DEADLINE_MS 5000
#define PAIR_STRANGERS   8

int sipc__sys_poll(struct pollfd *fds, size_t n, int timeout_ms)
{
	int r;

	if (n > ULONG_MAX)
		return -EINVAL;
	/* WSAPoll fails the whole call (WSAEINVAL) when one entry asks for
	 * POLLPRI: urgent data is not ported, so nobody is told of it. */
	for (size_t i = 0; i < n; i++)
		fds[i].events &= (short)~POLLPRI;
	r = WSAPoll(fds, (ULONG)n, timeout_ms);
	return r < 0 ? sipc__win_error() : r;
}

/* Whether A and B are the same IPv4 address and port. */
static bool same_in(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == AF_INET && b->sin_family == AF_INET && a->sin_port == b->sin_port &&
	       a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* Accepts on L until the connection of C comes (its fd), or -errno. */
static int accept_own(int l, int c, int64_t deadline)
{
	struct sockaddr_in mine, peer;
	socklen_t len = sizeof(mine);
	int rc, s;

	rc = sipc__sys_getsockname(c, (struct sockaddr *)&mine, &len);
	if (rc < 0)
		return rc;
	for (int k = 0; k <= PAIR_STRANGERS; k++) {
		rc = sipc__sys_wait(l, POLLIN, deadline);
		if (rc < 0)
			return rc;
		len = sizeof(peer);
		s = sipc__sys_accept(l, (struct sockaddr *)&peer, &len);
		if (s == -EAGAIN)
			continue;
		if (s < 0)
			return s;
		if ((size_t)len >= sizeof(peer) && same_in(&peer, &mine))
			return s;
		/* Someone else's connection to the pair's port. */
		sipc__sys_close(s);
	}
	return -ECONNABORTED;
}

int sipc__sys_socketpair(int sv[2])
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int64_t deadline = sipc__deadline(PAIR_DEADLINE_MS);
	int l, c = -1, s, rc;

	l = sipc__sys_socket(AF_INET, SOCK_STREAM);
	if (l < 0)
		return l;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = sipc__sys_bind(l, (struct sockaddr *)&sin, sizeof(sin));
	if (rc == 0)
		rc = sipc__sys_listen(l, 1);
	if (rc == 0)
		rc = sipc__sys_getsockname(l, (struct sockaddr *)&sin, &len);
	if (rc < 0)
		goto out;
	c = sipc__sys_socket(AF_INET, SOCK_STREAM);
	if (c < 0) {
		rc = c;
		goto out;
	}
	rc = sipc__sys_connect(c, (struct sockaddr *)&sin, len, deadline);
	if (rc < 0)
		goto out;
	s = accept_own(l, c, deadline);
	if (s < 0) {
		rc = s;
		goto out;
	}
	/* One byte a wake: sent at once, not held back by Nagle. */
	(void)sipc__sys_setsockopt_int(c, IPPROTO_TCP, TCP_NODELAY, 1);
	(void)sipc__sys_setsockopt_int(s, IPPROTO_TCP, TCP_NODELAY, 1);
	sv[0] = s;
	sv[1] = c;
	c = -1;
out:
	if (c >= 0)
		sipc__sys_close(c);
	sipc__sys_close(l);
	return rc;
}
