/*
 * unix.c - the AF_UNIX transports: unix:// (SOCK_STREAM), unixgram://
 * (SOCK_DGRAM) and unixpacket:// (SOCK_SEQPACKET).  The three share one
 * file because they share every operation - the socket file on a path
 * (stale-file replacement, mode, unlink on close only while it is still
 * ours) and the abstract namespace - and differ only in socket type, which
 * each operation reads from the table.  Only unixgram needs more: a dialing
 * datagram socket autobinds so that the peer has an address to reply to.
 */
#include "transport/transport.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sys/net.h"
#include "sys/sys.h"

/* Copies the filesystem path of ADDR into PATH; false for the abstract
 * namespace and for an unnamed address. */
static bool fs_path(const sipc_addr *addr, char *path, size_t cap)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&addr->ss;
	size_t off = offsetof(struct sockaddr_un, sun_path);
	size_t n;

	if ((size_t)addr->len <= off || sun->sun_path[0] == '\0')
		return false;
	n = strnlen(sun->sun_path, addr->len - off);
	if (n >= cap || n > sizeof(sun->sun_path))
		return false;
	memcpy(path, sun->sun_path, n);
	path[n] = '\0';
	return true;
}

/*
 * bind() said EADDRINUSE on PATH.  A socket file stays behind when its
 * listener dies without unlinking it; it is stale when connecting to it is
 * refused (nobody has it open - for unixgram too).  Returns 0 once a stale
 * file is removed, -EADDRINUSE when anyone answers, the file is not a
 * socket, or the probe cannot tell: a file we are not sure about is never
 * deleted.
 */
static int replace_stale(sipc_endpoint *ep, const sipc_addr *addr, const char *path)
{
	int fd, rc;

	if (sipc__sys_sockfile(path, NULL) < 0)
		return -EADDRINUSE;
	fd = sipc__tp_socket(ep, AF_UNIX, ep->tp->socktype);
	if (fd < 0)
		return -EADDRINUSE;
	/* Deadline "now": a live stream listener with a full backlog says
	 * EAGAIN, which counts as alive. */
	rc = sipc__tp_connect(ep, fd, addr, sipc__deadline(0));
	sipc__tp_close(ep, fd);
	if (rc != -ECONNREFUSED)
		return -EADDRINUSE;
	rc = sipc__sys_unlink(path);
	if (rc < 0 && rc != -ENOENT)
		return -EADDRINUSE;
	return 0;
}

/* Applies MODE to the file just bound at PATH and remembers which file it
 * is, so that close unlinks it only while it is still this one. */
static int claim_path(sipc_endpoint *ep, const char *path, unsigned mode)
{
	int rc = 0;

	if (mode != 0)
		rc = sipc__sys_chmod(path, mode);
	if (rc == 0)
		rc = sipc__sys_sockfile(path, &ep->unlink_id);
	if (rc == 0 && (ep->unlink_path = strdup(path)) == NULL)
		rc = -ENOMEM;
	if (rc < 0)
		/* The file is the one this bind just made: nobody else can
		 * own it. */
		(void)sipc__sys_unlink(path);
	return rc;
}

int sipc__unix_bind(sipc_endpoint *ep, const sipc_addr *addr, unsigned mode)
{
	char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
	bool named = fs_path(addr, path, sizeof(path));
	int rc = sipc__tp_bind(ep, ep->fd, addr);

	/* One retry only: if another process binds the path between our
	 * unlink and our bind, it is live and wins. */
	if (rc == -EADDRINUSE && named) {
		rc = replace_stale(ep, addr, path);
		if (rc == 0)
			rc = sipc__tp_bind(ep, ep->fd, addr);
	}
	if (rc < 0 || !named)
		return rc;
	return claim_path(ep, path, mode);
}

static int unixgram_before_connect(sipc_endpoint *ep, const sipc_addr *addr)
{
	sipc_addr self;

	/* A datagram socket that never bound has no address, so the peer's
	 * sendto() of a reply would have nowhere to go.  Binding with only
	 * sun_family is Linux's autobind (unix(7)): the kernel picks a unique
	 * abstract name. */
	memset(&self, 0, sizeof(self));
	self.scheme = ep->scheme;
	self.ss.ss_family = AF_UNIX;
	self.len = sizeof(sa_family_t);
	(void)addr;
	return sipc__tp_bind(ep, ep->fd, &self);
}

const struct sipc__transport sipc__transport_unix = {
	.proto = "unix",
	.socktype = SOCK_STREAM,
	.listens = true,
	.before_bind = NULL,
	.bind = sipc__unix_bind,
	.before_connect = NULL,
	.after_connect = NULL,
	.io = &sipc__conn_ops_sock,
};

const struct sipc__transport sipc__transport_unixgram = {
	.proto = "unixgram",
	.socktype = SOCK_DGRAM,
	.listens = false,
	.before_bind = NULL,
	.bind = sipc__unix_bind,
	.before_connect = unixgram_before_connect,
	.after_connect = NULL,
	.io = &sipc__conn_ops_sock,
};

const struct sipc__transport sipc__transport_unixpacket = {
	.proto = "unixpacket",
	.socktype = SOCK_SEQPACKET,
	.listens = true,
	.before_bind = NULL,
	.bind = sipc__unix_bind,
	.before_connect = NULL,
	.after_connect = NULL,
	.io = &sipc__conn_ops_sock,
};
