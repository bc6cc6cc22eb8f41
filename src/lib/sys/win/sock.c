/*
 * sock.c - the socket lifecycle on WinSock.  Sockets are made without
 * handle inheritance (WSA_FLAG_NO_HANDLE_INHERIT: close-on-exec's
 * equivalent) and non-blocking (FIONBIO); what POSIX says with errno,
 * WinSock says with WSAGetLastError(), mapped in netdb.c.  What Windows
 * does not have at all is SIPC_ENOTSUP: unix datagram and seqpacket
 * sockets, the abstract namespace, peer credentials.
 */
#include "sys/win/win.h"

#include <string.h>

#ifndef SIO_UDP_CONNRESET
#define SIO_UDP_CONNRESET _WSAIOW(IOC_VENDOR, 12)
#endif

/* A unix address naming the abstract namespace (sun_path[0] == 0), or
 * none at all (Linux's autobind): both Linux's alone. */
static bool unix_unnamed(const struct sockaddr *sa, socklen_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;

	return sa->sa_family == AF_UNIX &&
	       ((size_t)len <= offsetof(struct sockaddr_un, sun_path) || sun->sun_path[0] == '\0');
}

int sipc__sys_socket(int family, int type)
{
	SOCKET s;
	u_long on = 1;
	BOOL off = FALSE;
	DWORD got;
	int rc = sipc__win_start();

	if (rc < 0)
		return rc;
	if (family == AF_UNIX && type != SOCK_STREAM)
		return SIPC_ENOTSUP;
	s = WSASocketW(family, type, 0, NULL, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
	if (s == INVALID_SOCKET)
		return sipc__win_error();
	if (ioctlsocket(s, FIONBIO, &on) != 0) {
		rc = sipc__win_error();
		closesocket(s);
		return rc;
	}
	/* An ICMP port unreachable would otherwise fail the next receive of
	 * an unconnected UDP socket with WSAECONNRESET (a server would see
	 * one client's error); Linux reports it only on a connected one.
	 * Not every Windows (nor Wine) has the switch: best effort. */
	if (type == SOCK_DGRAM)
		(void)WSAIoctl(s, SIO_UDP_CONNRESET, &off, sizeof(off), NULL, 0, &got, NULL, NULL);
	return SIPC__FD(s);
}

int sipc__sys_accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	socklen_t cap = len ? *len : 0;
	u_long on = 1;
	SOCKET c;
	int err;

	/* WSAECONNRESET here is POSIX's ECONNABORTED: a queued connection
	 * reset before it was taken; the next one may be fine. */
	for (;;) {
		if (len)
			*len = cap;
		c = accept(SIPC__SOCK(fd), sa, len);
		if (c != INVALID_SOCKET)
			break;
		err = WSAGetLastError();
		if (err == WSAEINTR || err == WSAECONNRESET)
			continue;
		return -sipc__win_errno(err);
	}
	/* The accepted socket has the listener's properties, non-blocking
	 * included; say both again rather than rely on it. */
	if (ioctlsocket(c, FIONBIO, &on) != 0 ||
	    !SetHandleInformation((HANDLE)c, HANDLE_FLAG_INHERIT, 0)) {
		err = sipc__win_error();
		closesocket(c);
		return err;
	}
	return SIPC__FD(c);
}

int sipc__sys_so_error(int fd)
{
	int err = 0;
	int rc = sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_ERROR, &err);

	if (rc < 0)
		return rc;
	return err ? -sipc__win_errno(err) : 0;
}

int sipc__sys_connect_start(int fd, const struct sockaddr *sa, socklen_t len)
{
	int err;

	if (unix_unnamed(sa, len))
		return SIPC_ENOTSUP;
	if (connect(SIPC__SOCK(fd), sa, len) == 0)
		return 0;
	/* WinSock's "in progress" is WSAEWOULDBLOCK, which would read as
	 * EAGAIN (a full unix backlog on Linux). */
	err = WSAGetLastError();
	if (err == WSAEWOULDBLOCK || err == WSAEINPROGRESS)
		return -EINPROGRESS;
	return -sipc__win_errno(err);
}

int sipc__sys_connect(int fd, const struct sockaddr *sa, socklen_t len, int64_t deadline)
{
	fd_set wr, ex;
	struct timeval tv, *tvp;
	int err, left, rc;

	if (unix_unnamed(sa, len))
		return SIPC_ENOTSUP;
	if (connect(SIPC__SOCK(fd), sa, len) == 0)
		return 0;
	err = WSAGetLastError();
	if (err != WSAEWOULDBLOCK && err != WSAEINPROGRESS)
		return -sipc__win_errno(err);
	/* select(), not WSAPoll: before Windows 10 2004 WSAPoll did not
	 * report a refused non-blocking connect at all.  A failed connect
	 * shows in the exception set, a done one in the write set. */
	for (;;) {
		FD_ZERO(&wr);
		FD_ZERO(&ex);
		FD_SET(SIPC__SOCK(fd), &wr);
		FD_SET(SIPC__SOCK(fd), &ex);
		left = sipc__deadline_left(deadline);
		tvp = NULL;
		if (left >= 0) {
			tv.tv_sec = left / 1000;
			tv.tv_usec = (left % 1000) * 1000;
			tvp = &tv;
		}
		rc = select(0, NULL, &wr, &ex, tvp);
		if (rc < 0)
			return sipc__win_error();
		if (rc > 0)
			break;
		if (sipc__deadline_left(deadline) == 0)
			return SIPC_ETIMEDOUT;
	}
	return sipc__sys_so_error(fd);
}

int sipc__sys_close(int fd)
{
	return closesocket(SIPC__SOCK(fd)) == 0 ? 0 : sipc__win_error();
}

int sipc__sys_set_nonblock(int fd, bool on)
{
	u_long v = on ? 1 : 0;

	return ioctlsocket(SIPC__SOCK(fd), FIONBIO, &v) == 0 ? 0 : sipc__win_error();
}

int sipc__sys_set_cloexec(int fd)
{
	if (!SetHandleInformation((HANDLE)SIPC__SOCK(fd), HANDLE_FLAG_INHERIT, 0))
		return -sipc__win_errno((int)GetLastError());
	return 0;
}

/*
 * The options whose meaning differs.  SO_REUSEADDR on Windows lets a
 * socket bind a port another socket is listening on (so another program
 * could take over a listener's connections); what the library asks of it
 * on POSIX, rebinding over connections in TIME_WAIT, Windows does anyway.
 * The listener asks instead for SO_EXCLUSIVEADDRUSE, which keeps anyone
 * else off its port.  IP_MULTICAST_IF takes the interface index, in
 * network order, as an address in 0.0.0.0/8, not Linux's struct
 * ip_mreqn.
 */
int sipc__sys_setsockopt(int fd, int level, int name, const void *value, socklen_t len)
{
	DWORD ifindex;

	if (name == SIPC__WIN_NO_OPTION)
		return -ENOPROTOOPT;
	if (level == SOL_SOCKET && name == SO_REUSEADDR)
		name = SO_EXCLUSIVEADDRUSE;
	if (level == IPPROTO_IP && name == IP_MULTICAST_IF &&
	    (size_t)len == sizeof(struct ip_mreqn)) {
		ifindex = htonl((u_long)((const struct ip_mreqn *)value)->imr_ifindex);
		value = &ifindex;
		len = sizeof(ifindex);
	}
	if (setsockopt(SIPC__SOCK(fd), level, name, value, len) != 0)
		return sipc__win_error();
	return 0;
}

int sipc__sys_setsockopt_int(int fd, int level, int name, int value)
{
	return sipc__sys_setsockopt(fd, level, name, &value, sizeof(value));
}

int sipc__sys_getsockopt(int fd, int level, int name, void *value, socklen_t *len)
{
	if (name == SIPC__WIN_NO_OPTION)
		return -ENOPROTOOPT;
	if (getsockopt(SIPC__SOCK(fd), level, name, value, len) != 0)
		return sipc__win_error();
	return 0;
}

int sipc__sys_getsockopt_int(int fd, int level, int name, int *value)
{
	WSAPROTOCOL_INFOW info;
	socklen_t len;
	int v = 0, rc;

	/* SO_DOMAIN: Windows has the family in the protocol info. */
	if (level == SOL_SOCKET && name == SO_DOMAIN) {
		len = sizeof(info);
		rc = sipc__sys_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL_INFOW, &info, &len);
		if (rc == 0)
			*value = info.iAddressFamily;
		return rc;
	}
	len = sizeof(v);
	rc = sipc__sys_getsockopt(fd, level, name, &v, &len);
	if (rc == 0)
		*value = v;
	return rc;
}

int sipc__sys_peercred(int fd, sipc_cred *out)
{
	(void)fd;
	(void)out;
	return SIPC_ENOTSUP;
}

int sipc__sys_bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	if (unix_unnamed(sa, len))
		return SIPC_ENOTSUP;
	return bind(SIPC__SOCK(fd), sa, len) == 0 ? 0 : sipc__win_error();
}

int sipc__sys_listen(int fd, int backlog)
{
	return listen(SIPC__SOCK(fd), backlog) == 0 ? 0 : sipc__win_error();
}

int sipc__sys_shutdown(int fd, int how)
{
	return shutdown(SIPC__SOCK(fd), how) == 0 ? 0 : sipc__win_error();
}

int sipc__sys_getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	return getsockname(SIPC__SOCK(fd), sa, len) == 0 ? 0 : sipc__win_error();
}

int sipc__sys_getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	return getpeername(SIPC__SOCK(fd), sa, len) == 0 ? 0 : sipc__win_error();
}
