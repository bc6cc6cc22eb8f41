/*
 * fdmsg.c - the public calls that hand descriptors and credentials over
 * with a message (sipc_send_fds, sipc_recv_fds, sipc_send_cred,
 * sipc_recv_cred) and the peer's pidfd.  The checks live here; the framing
 * is msg.c's (msg.h), the control messages fdpass.c's.
 */
#include <errno.h>

#include "endpoint.h"
#include "fdpass.h"
#include "msg.h"
#include "sockipc.h"
#include "sys/sys.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

_Static_assert(SIPC_FDS_MAX == SIPC__FDPASS_MAX, "one limit for descriptors per message");

/* Only the plain unix kinds pass descriptors (a transport of its own
 * under the bytes, TLS, is never unix). */
static bool passes_fds(sipc_scheme s)
{
	return s == SIPC_UNIX || s == SIPC_UNIXGRAM || s == SIPC_UNIXPACKET;
}

/* The checks of every call here: those of the message calls, and the
 * kind. */
static int check(const sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms)
{
	int rc = sipc__ep_check_io(ep, timeout_ms);

	if (rc < 0)
		return rc;
	if (buf == NULL && len > 0)
		return -EINVAL;
	if (!passes_fds(ep->scheme))
		return SIPC_EKIND;
	if (ep->out_of_step)
		return SIPC_EOUTOFSTEP;
	return 0;
}

ssize_t sipc_send_fds(sipc_endpoint *ep, const void *buf, size_t len, const int *fds, size_t nfds,
		      int timeout_ms)
{
	struct sipc__anc anc = {.fds = fds, .nfds = nfds};
	int rc = check(ep, buf, len, timeout_ms);

	if (rc < 0)
		return rc;
	if (fds == NULL || nfds == 0 || nfds > SIPC_FDS_MAX)
		return -EINVAL;
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] < 0)
			return -EBADF;
	return sipc__msg_send_anc(ep, buf, len, &anc, timeout_ms);
}

ssize_t sipc_recv_fds(sipc_endpoint *ep, void *buf, size_t cap, int *fds, size_t max, size_t *nfds,
		      int timeout_ms)
{
	struct sipc__anc anc = {.rfds = fds, .max = max};
	ssize_t n;
	int rc = check(ep, buf, cap, timeout_ms);

	if (rc < 0)
		return rc;
	if (fds == NULL || nfds == NULL || max == 0 || max > SIPC_FDS_MAX)
		return -EINVAL;
	*nfds = 0;
	n = sipc__msg_recv_anc(ep, buf, cap, &anc, timeout_ms);
	if (n < 0)
		return n;
	if (anc.got == 0)
		return SIPC_ENOFDS;
	*nfds = anc.got;
	return n;
}

ssize_t sipc_send_cred(sipc_endpoint *ep, const void *buf, size_t len, int timeout_ms)
{
	struct ucred me;
	struct sipc__anc anc = {.cred = &me};
	int rc = check(ep, buf, len, timeout_ms);

	if (rc < 0)
		return rc;
	rc = sipc__fdpass_self(&me);
	if (rc < 0)
		return rc;
	return sipc__msg_send_anc(ep, buf, len, &anc, timeout_ms);
}

ssize_t sipc_recv_cred(sipc_endpoint *ep, void *buf, size_t cap, sipc_cred *cred, int timeout_ms)
{
	struct sipc__anc anc = {.want_cred = true};
	ssize_t n;
	int rc = check(ep, buf, cap, timeout_ms);

	if (rc < 0)
		return rc;
	if (cred == NULL)
		return -EINVAL;
	n = sipc__msg_recv_anc(ep, buf, cap, &anc, timeout_ms);
	if (n < 0)
		return n;
	/* SO_PASSCRED is on: Linux gives every message credentials, those
	 * of "nobody" (pid 0) for one that was sent with none. */
	if (anc.has_cred)
		*cred = anc.rcred;
	else
		*cred = (sipc_cred){.pid = 0, .uid = 65534, .gid = 65534};
	return n;
}

int sipc_endpoint_peerpidfd(const sipc_endpoint *ep)
{
	int pidfd = -1;
	socklen_t len = sizeof(pidfd);
	int rc;

	if (ep == NULL)
		return -EINVAL;
	/* shm:// keeps its unix socket under the rings: its peer is that
	 * socket's, as for sipc_endpoint_peercred. */
	if (!sipc_scheme_is_unix(ep->scheme))
		return SIPC_EKIND;
	if (!ep->connected)
		return -ENOTCONN;
	/* The kernel makes it close-on-exec (pidfds always are). */
	rc = sipc__sys_getsockopt(ep->fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len);
	if (rc < 0)
		return rc;
	if (len != sizeof(pidfd) || pidfd < 0)
		return -EIO;
	return pidfd;
}
