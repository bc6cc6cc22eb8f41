/*
 * io.c - the data-moving calls on WinSock: send, recv, sendmsg, recvmsg
 * (as WSASendTo/WSARecvFrom over WSABUFs), read and write of CRT file
 * descriptors, and WSAPoll for waiting.  One attempt each, -EAGAIN passed
 * up, as sys/posix does.  There is no SIGPIPE to suppress; the flags the
 * library adds for POSIX (MSG_DONTWAIT, MSG_NOSIGNAL) are stripped.  A
 * datagram larger than the buffers is WSAEMSGSIZE with the buffers full:
 * recvmsg reports it as POSIX does without MSG_TRUNC's real length, the
 * count received and MSG_TRUNC in msg_flags.
 */
#include "sys/win/win.h"

#include <io.h>
#include <limits.h>
#include <stdlib.h>

/* WSABUFs on the stack for this many pieces; more are allocated. */
#define IOV_STACK 16

int sipc__sys_wait(int fd, short events, int64_t deadline)
{
	WSAPOLLFD pfd;
	int rc;

	/* WSAPoll refuses POLLPRI (urgent data is not ported). */
	events &= (short)~POLLPRI;
	for (;;) {
		pfd.fd = SIPC__SOCK(fd);
		pfd.events = events;
		pfd.revents = 0;
		rc = WSAPoll(&pfd, 1, sipc__deadline_left(deadline));
		if (rc > 0)
			return pfd.revents;
		if (rc < 0)
			return sipc__win_error();
		if (sipc__deadline_left(deadline) == 0)
			return SIPC_ETIMEDOUT;
	}
}

static int clamp(size_t len)
{
	return len > INT_MAX ? INT_MAX : (int)len;
}

ssize_t sipc__sys_send(int fd, const void *buf, size_t len, int flags)
{
	int r = send(SIPC__SOCK(fd), buf, clamp(len), flags & ~SIPC__WIN_LOCAL_FLAGS);

	return r >= 0 ? r : sipc__win_error();
}

ssize_t sipc__sys_recv(int fd, void *buf, size_t len, int flags)
{
	int r = recv(SIPC__SOCK(fd), buf, clamp(len), flags & ~(SIPC__WIN_LOCAL_FLAGS | MSG_TRUNC));

	if (r >= 0)
		return r;
	if (WSAGetLastError() == WSAEMSGSIZE)
		return clamp(len); /* a datagram cut to fit, as POSIX's recv */
	return sipc__win_error();
}

/* MSG's pieces as WSABUFs in BUFS (IOV_STACK of them) or in an array
 * allocated into *HEAP; NULL when out of memory. */
static WSABUF *wsabufs(const struct msghdr *msg, WSABUF *bufs, WSABUF **heap)
{
	WSABUF *b = bufs;

	*heap = NULL;
	if (msg->msg_iovlen > IOV_STACK) {
		b = *heap = malloc(msg->msg_iovlen * sizeof(*b));
		if (b == NULL)
			return NULL;
	}
	for (size_t i = 0; i < msg->msg_iovlen; i++) {
		b[i].buf = msg->msg_iov[i].iov_base;
		b[i].len = (ULONG)(msg->msg_iov[i].iov_len > ULONG_MAX ? ULONG_MAX
								       : msg->msg_iov[i].iov_len);
	}
	return b;
}

ssize_t sipc__sys_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	WSABUF stack[IOV_STACK], *heap, *b;
	DWORD sent = 0;
	int r, err;

	/* Control data (descriptors, credentials) is Linux's alone. */
	if (msg->msg_controllen > 0)
		return SIPC_ENOTSUP;
	if (msg->msg_iovlen > ULONG_MAX)
		return -EINVAL;
	b = wsabufs(msg, stack, &heap);
	if (b == NULL)
		return -ENOMEM;
	r = WSASendTo(SIPC__SOCK(fd), b, (DWORD)msg->msg_iovlen, &sent,
		      (DWORD)(flags & ~SIPC__WIN_LOCAL_FLAGS), msg->msg_name,
		      msg->msg_name ? msg->msg_namelen : 0, NULL, NULL);
	err = r == 0 ? 0 : sipc__win_error();
	free(heap);
	return err < 0 ? err : (ssize_t)sent;
}

ssize_t sipc__sys_recvmsg(int fd, struct msghdr *msg, int flags)
{
	WSABUF stack[IOV_STACK], *heap, *b;
	DWORD got = 0, wflags = (DWORD)(flags & ~(SIPC__WIN_LOCAL_FLAGS | MSG_TRUNC));
	INT namelen = msg->msg_name ? msg->msg_namelen : 0;
	size_t total = 0;
	int r, err = 0;

	if (msg->msg_iovlen > ULONG_MAX)
		return -EINVAL;
	b = wsabufs(msg, stack, &heap);
	if (b == NULL)
		return -ENOMEM;
	r = WSARecvFrom(SIPC__SOCK(fd), b, (DWORD)msg->msg_iovlen, &got, &wflags, msg->msg_name,
			msg->msg_name ? &namelen : NULL, NULL, NULL);
	msg->msg_flags = 0;
	msg->msg_controllen = 0;
	if (r != 0) {
		if (WSAGetLastError() == WSAEMSGSIZE) {
			for (size_t i = 0; i < msg->msg_iovlen; i++)
				total += b[i].len;
			got = (DWORD)(total > INT_MAX ? INT_MAX : total);
			msg->msg_flags = MSG_TRUNC;
		} else {
			err = sipc__win_error();
		}
	}
	free(heap);
	if (err < 0)
		return err;
	if (msg->msg_name)
		msg->msg_namelen = namelen;
	return (ssize_t)got;
}

/* Linux's sendmmsg and recvmmsg, a message at a time: the count moved, or
 * the first message's error. */
int sipc__sys_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	unsigned i;
	ssize_t r;

	for (i = 0; i < n; i++) {
		r = sipc__sys_sendmsg(fd, &v[i].msg_hdr, flags);
		if (r < 0)
			return i > 0 ? (int)i : (int)r;
		v[i].msg_len = (unsigned)r;
	}
	return (int)n;
}

int sipc__sys_recvmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	unsigned i;
	ssize_t r;

	for (i = 0; i < n; i++) {
		r = sipc__sys_recvmsg(fd, &v[i].msg_hdr, flags);
		if (r < 0)
			return i > 0 ? (int)i : (int)r;
		v[i].msg_len = (unsigned)r;
	}
	return (int)n;
}

/* Read and write take a socket too (the CLI's stdin arrives on one, from
 * a thread, since a console cannot be polled): a CRT descriptor is no
 * socket, so WSAENOTSOCK (or WSANOTINITIALISED before any socket) sends
 * it to _read and _write. */
ssize_t sipc__sys_read(int fd, void *buf, size_t len)
{
	int n = (int)(len > INT_MAX ? INT_MAX : len);
	int r = recv(SIPC__SOCK(fd), buf, n, 0);

	if (r >= 0)
		return r;
	if (WSAGetLastError() != WSAENOTSOCK && WSAGetLastError() != WSANOTINITIALISED)
		return sipc__win_error();
	r = _read(fd, buf, (unsigned)n);
	return r < 0 ? -errno : r;
}

ssize_t sipc__sys_write(int fd, const void *buf, size_t len)
{
	int n = (int)(len > INT_MAX ? INT_MAX : len);
	int r = send(SIPC__SOCK(fd), buf, n, 0);

	if (r >= 0)
		return r;
	if (WSAGetLastError() != WSAENOTSOCK && WSAGetLastError() != WSANOTINITIALISED)
		return sipc__win_error();
	r = _write(fd, buf, (unsigned)n);
	return r < 0 ? -errno : r;
}

int sipc__sys_atmark(int fd)
{
	/* Windows' SIOCATMARK answers another question (whether urgent data
	 * is waiting, without SO_OOBINLINE), and the urgent-data calls are
	 * not ported. */
	(void)fd;
	return SIPC_ENOTSUP;
}
