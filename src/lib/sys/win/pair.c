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
#include <stdlib.h>
#include <string.h>

/* How long the pair may take, and how many strangers it closes before it
 * gives up. */
#define PAIR_DEADLINE_MS 5000
#define PAIR_STRANGERS   8

int sipc__sys_poll(struct pollfd *fds, size_t n, int timeout_ms)
{
	struct pollfd some[16], *v = some;
	size_t m = 0;
	int r;

	if (n > ULONG_MAX)
		return -EINVAL;
	/* poll(2) skips an entry whose fd is negative (revents 0); WSAPoll
	 * reports POLLNVAL for INVALID_SOCKET, so only the others go in. */
	for (size_t i = 0; i < n; i++)
		m += SIPC__FD(fds[i].fd) >= 0;
	if (m > sizeof(some) / sizeof(some[0]) && (v = malloc(m * sizeof(*v))) == NULL)
		return -ENOMEM;
	m = 0;
	for (size_t i = 0; i < n; i++) {
		fds[i].revents = 0;
		if (SIPC__FD(fds[i].fd) < 0)
			continue;
		v[m] = fds[i];
		/* WSAPoll fails the whole call (WSAEINVAL) when one entry asks
		 * for POLLPRI: urgent data is not ported, so nobody is told
		 * of it. */
		v[m++].events &= (short)~POLLPRI;
	}
	if (m == 0) {
		/* WSAPoll refuses an empty set: a timeout alone is a sleep. */
		if (timeout_ms != 0)
			Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
		r = 0;
	} else {
		r = WSAPoll(v, (ULONG)m, timeout_ms);
		if (r < 0)
			r = sipc__win_error(); /* before free can change it */
	}
	if (r > 0) {
		m = 0;
		for (size_t i = 0; i < n; i++)
			if (SIPC__FD(fds[i].fd) >= 0)
				fds[i].revents = v[m++].revents;
	}
	if (v != some)
		free(v);
	return r;
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
