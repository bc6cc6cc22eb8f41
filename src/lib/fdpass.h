/*
 * fdpass.h - descriptors and credentials carried with a message on a unix
 * socket (SCM_RIGHTS, SCM_CREDENTIALS): the one place that builds and
 * reads those control messages, for the public calls (sipc_send_fds and
 * its kin in sockipc.h) and for the shm:// handshake, which hands its
 * rings over this way.
 */
#ifndef SIPC_FDPASS_H
#define SIPC_FDPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sys/net.h"
#include "sockipc.h"

/* The most descriptors one message carries (the kernel's SCM_MAX_FD is
 * 253; a caller asking for more gets -EINVAL before anything is sent). */
#define SIPC__FDPASS_MAX 64

/* This process's credentials as SCM_CREDENTIALS carries them: 0, or
 * SIPC_ENOTSUP where the system passes none (Windows). */
int sipc__fdpass_self(struct ucred *out);

/*
 * One sendmsg(2) on the unix socket FD of the bytes in IOV/IOVCNT with
 * NFDS descriptors FDS (none when NFDS is 0) and, when CRED is not NULL,
 * SCM_CREDENTIALS.  FLAGS as for sys/ (MSG_DONTWAIT); MSG_NOSIGNAL is
 * always added, EINTR retried.  Returns the bytes sent (the descriptors
 * go with the first byte: a stream socket that took fewer bytes than
 * asked has still passed them all) or -errno.  On a stream socket at
 * least one byte must be sent with descriptors: -EINVAL otherwise.
 */
ssize_t sipc__fdpass_send(int fd, const struct iovec *iov, int iovcnt, const int *fds, size_t nfds,
			  const struct ucred *cred, int flags);

/*
 * One recvmsg(2) on FD into IOV/IOVCNT, with MSG_CMSG_CLOEXEC: the
 * descriptors that came (at most MAX) are stored in FDS and counted in
 * *NFDS; the sender's credentials, when the message carried them, in
 * *CRED with *HAS_CRED set (either may be NULL when not wanted).
 * Returns the bytes received (0: the peer's end) or a negative code:
 * SIPC_EFDTRUNC when the control data was cut (MSG_CTRUNC) or more than
 * MAX descriptors came, -errno otherwise.  On any failure every
 * descriptor that came with the message is closed and *NFDS is 0: no
 * path leaks one.
 */
ssize_t sipc__fdpass_recv(int fd, const struct iovec *iov, int iovcnt, int *fds, size_t max,
			  size_t *nfds, struct ucred *cred, bool *has_cred, int flags);

/*
 * The same two calls on a connected unix endpoint, through its transport
 * (ep->tp->io->sendmsg/recvmsg) instead of sys/ on a bare descriptor, and
 * traced in the --trace form: a send that carries control data as
 * "sendmsg(5, 12 bytes, SCM_RIGHTS [7]) = 12", a receive that brought
 * descriptors or credentials, or failed for them, as
 * "recvmsg(5, 4 bytes) = 4 SCM_RIGHTS [9]".  -EAGAIN is not traced (the
 * callers' loops wait and call again).
 */
ssize_t sipc__fdpass_send_ep(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, const int *fds,
			     size_t nfds, const struct ucred *cred, int flags);
ssize_t sipc__fdpass_recv_ep(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int *fds,
			     size_t max, size_t *nfds, struct ucred *cred, bool *has_cred,
			     int flags);

#endif /* SIPC_FDPASS_H */
