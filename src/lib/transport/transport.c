/*
 * transport.c - picks the table of operations for a scheme, makes the
 * socket calls every transport shares, each traced in the one --trace
 * format: "NAME(ARGS) = RESULT", RESULT in strace's form (see trace.c),
 * and holds the one set of connection I/O operations the plain socket
 * kinds put in their tables: each a single sys/ call on ep->fd.
 */
#include "transport/transport.h"

#include <stdio.h>

#include "sys/sys.h"
#include "trace.h"

const struct sipc__transport *sipc__transport_for(sipc_scheme scheme)
{
	switch (scheme) {
	case SIPC_TCP:
	case SIPC_TCP4:
	case SIPC_TCP6:
		return &sipc__transport_tcp;
	case SIPC_UDP:
	case SIPC_UDP4:
	case SIPC_UDP6:
		return &sipc__transport_udp;
	case SIPC_UNIX:
		return &sipc__transport_unix;
	case SIPC_UNIXGRAM:
		return &sipc__transport_unixgram;
	case SIPC_UNIXPACKET:
		return &sipc__transport_unixpacket;
	case SIPC_TLS:
	case SIPC_TLS4:
	case SIPC_TLS6:
		return &sipc__transport_tls;
	case SIPC_SHM:
		return &sipc__transport_shm;
	case SIPC_SCHEME_NONE:
		break;
	}
	return NULL;
}

const char *sipc__tp_addr_text(const sipc_addr *addr, char *buf, size_t len)
{
	if (sipc_addr_format(addr, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

int sipc__tp_socket(const sipc_endpoint *ep, int family, int type)
{
	int fd = sipc__sys_socket(family, type);
	char fb[16], tb[16], rb[128];

	sipc__tracef(ep->trace, ep->trace_arg, "socket(%s, %s) = %s",
		     sipc__family_name(family, fb, sizeof(fb)),
		     sipc__socktype_name(type, tb, sizeof(tb)),
		     sipc__result_text(fd, rb, sizeof(rb)));
	return fd;
}

int sipc__tp_setsockopt(const sipc_endpoint *ep, int fd, int level, int name, const char *optname,
			int value)
{
	char vb[16];

	snprintf(vb, sizeof(vb), "%d", value);
	return sipc__tp_setsockopt_raw(ep, fd, level, name, optname, &value, sizeof(value), vb);
}

int sipc__tp_setsockopt_raw(const sipc_endpoint *ep, int fd, int level, int name,
			    const char *optname, const void *value, socklen_t len,
			    const char *value_text)
{
	int rc = sipc__sys_setsockopt(fd, level, name, value, len);
	char lb[16], rb[128];

	/* strace's form: descriptor, level, option, value. */
	sipc__tracef(ep->trace, ep->trace_arg, "setsockopt(%d, %s, %s, %s) = %s", fd,
		     sipc__level_name(level, lb, sizeof(lb)), optname, value_text,
		     sipc__result_text(rc, rb, sizeof(rb)));
	return rc;
}

int sipc__tp_bind(const sipc_endpoint *ep, int fd, const sipc_addr *addr)
{
	int rc = sipc__sys_bind(fd, (const struct sockaddr *)&addr->ss, addr->len);
	char ab[SIPC_URL_MAX], rb[128];

	if (ep->trace)
		sipc__tracef(ep->trace, ep->trace_arg, "bind(%d, %s) = %s", fd,
			     sipc__tp_addr_text(addr, ab, sizeof(ab)),
			     sipc__result_text(rc, rb, sizeof(rb)));
	return rc;
}

int sipc__tp_connect(const sipc_endpoint *ep, int fd, const sipc_addr *addr, int64_t deadline)
{
	int rc = sipc__sys_connect(fd, (const struct sockaddr *)&addr->ss, addr->len, deadline);
	char ab[SIPC_URL_MAX], rb[128];

	if (ep->trace)
		sipc__tracef(ep->trace, ep->trace_arg, "connect(%d, %s) = %s", fd,
			     sipc__tp_addr_text(addr, ab, sizeof(ab)),
			     sipc__result_text(rc, rb, sizeof(rb)));
	return rc;
}

int sipc__tp_close(const sipc_endpoint *ep, int fd)
{
	int rc = sipc__sys_close(fd);
	char rb[128];

	sipc__tracef(ep->trace, ep->trace_arg, "close(%d) = %s", fd,
		     sipc__result_text(rc, rb, sizeof(rb)));
	return rc;
}

/* ------------------------------------------ plain socket connection I/O */

static ssize_t sock_sendmsg(sipc_endpoint *ep, const struct msghdr *msg, int flags)
{
	return sipc__sys_sendmsg(ep->fd, msg, flags);
}

static ssize_t sock_recv(sipc_endpoint *ep, void *buf, size_t len, int flags)
{
	return sipc__sys_recv(ep->fd, buf, len, flags);
}

static ssize_t sock_recvmsg(sipc_endpoint *ep, struct msghdr *msg, int flags)
{
	return sipc__sys_recvmsg(ep->fd, msg, flags);
}

static int sock_wait(sipc_endpoint *ep, short events, int64_t deadline)
{
	return sipc__sys_wait(ep->fd, events, deadline);
}

static int sock_shutdown_write(sipc_endpoint *ep)
{
	int rc = sipc__sys_shutdown(ep->fd, SHUT_WR);
	char rb[128];

	sipc__tracef(ep->trace, ep->trace_arg, "shutdown(%d, SHUT_WR) = %s", ep->fd,
		     sipc__result_text(rc, rb, sizeof(rb)));
	return rc;
}

static int sock_close(sipc_endpoint *ep)
{
	return sipc__tp_close(ep, ep->fd);
}

static int sock_handshake(sipc_endpoint *ep, int64_t deadline)
{
	(void)ep;
	(void)deadline;
	return 0;
}

static short sock_want(const sipc_endpoint *ep, short events)
{
	(void)ep;
	return events;
}

static size_t sock_pending(const sipc_endpoint *ep)
{
	(void)ep;
	return 0;
}

const struct sipc__conn_ops sipc__conn_ops_sock = {
	.sendmsg = sock_sendmsg,
	.recv = sock_recv,
	.recvmsg = sock_recvmsg,
	.wait = sock_wait,
	.shutdown_write = sock_shutdown_write,
	.close = sock_close,
	.handshake = sock_handshake,
	.want = sock_want,
	.pending = sock_pending,
};
