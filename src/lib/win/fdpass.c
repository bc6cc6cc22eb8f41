/*
 * fdpass.c - descriptors and credentials with a message, on Windows: it
 * has neither (an AF_UNIX socket there carries bytes only; a handle is
 * given to another process with DuplicateHandle, which needs its process
 * handle, not the socket).  Every call is SIPC_ENOTSUP, so
 * sipc_send_fds, sipc_recv_fds, sipc_send_cred and sipc_recv_cred say
 * "Not supported on this system" on a unix:// stream, and SIPC_EKIND on
 * the other kinds, as on Linux.
 */
#include "fdpass.h"

#include "sockipc.h"

int sipc__fdpass_self(struct ucred *out)
{
	(void)out;
	return SIPC_ENOTSUP;
}

ssize_t sipc__fdpass_send(int fd, const struct iovec *iov, int iovcnt, const int *fds, size_t nfds,
			  const struct ucred *cred, int flags)
{
	(void)fd, (void)iov, (void)iovcnt, (void)fds, (void)nfds, (void)cred, (void)flags;
	return SIPC_ENOTSUP;
}

ssize_t sipc__fdpass_recv(int fd, const struct iovec *iov, int iovcnt, int *fds, size_t max,
			  size_t *nfds, struct ucred *cred, bool *has_cred, int flags)
{
	(void)fd, (void)iov, (void)iovcnt, (void)fds, (void)max, (void)cred, (void)has_cred;
	(void)flags;
	*nfds = 0;
	return SIPC_ENOTSUP;
}

ssize_t sipc__fdpass_send_ep(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, const int *fds,
			     size_t nfds, const struct ucred *cred, int flags)
{
	(void)ep, (void)iov, (void)iovcnt, (void)fds, (void)nfds, (void)cred, (void)flags;
	return SIPC_ENOTSUP;
}

ssize_t sipc__fdpass_recv_ep(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int *fds,
			     size_t max, size_t *nfds, struct ucred *cred, bool *has_cred,
			     int flags)
{
	(void)ep, (void)iov, (void)iovcnt, (void)fds, (void)max, (void)cred, (void)has_cred;
	(void)flags;
	*nfds = 0;
	return SIPC_ENOTSUP;
}
