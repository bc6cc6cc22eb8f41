/*
 * fdpass.c - SCM_RIGHTS and SCM_CREDENTIALS with a message on a unix
 * socket: the one place that builds and reads those control messages (see
 * fdpass.h for the contract).
 *
 * The receive side is written so that no descriptor a peer sends can stay
 * open in this process unless it is handed to the caller: the control
 * buffer always has room for SIPC__FDPASS_MAX descriptors and credentials;
 * every descriptor found in it is collected first, and closed again when
 * the message was cut (MSG_CTRUNC: the kernel has already dropped those
 * that did not fit), when more came than the caller takes, or when the
 * message carried descriptors in a control message we do not hand out
 * (SCM_PIDFD on a socket with SO_PASSPIDFD).
 */
#include "fdpass.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockipc.h"
#include "sys/sys.h"

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* Room for the most descriptors we take, the credentials, and a pidfd or
 * security label a socket option of the caller's may add. */
#define CTL_SPACE                                                                                  \
	(CMSG_SPACE(sizeof(int) * SIPC__FDPASS_MAX) + CMSG_SPACE(sizeof(struct ucred)) +           \
	 CMSG_SPACE(sizeof(int)) + CMSG_SPACE(256))

/* The most descriptors one recvmsg can install: the kernel's SCM_MAX_FD. */
#define KERNEL_MAX_FD 253

static size_t iov_total(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;

	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

ssize_t sipc__fdpass_send(int fd, const struct iovec *iov, int iovcnt, const int *fds, size_t nfds,
			  const struct ucred *cred, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * SIPC__FDPASS_MAX) +
			 CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = {0};
	struct cmsghdr *c;
	size_t ctllen = 0;

	if (nfds > SIPC__FDPASS_MAX || (nfds > 0 && !fds) || iovcnt < 0 || (iovcnt > 0 && !iov))
		return -EINVAL;
	for (size_t i = 0; i < nfds; i++)
		if (fds[i] < 0)
			return -EBADF;
	if ((nfds > 0 || cred) && iov_total(iov, iovcnt) == 0) {
		int type = 0;
		int r = sipc__sys_getsockopt_int(fd, SOL_SOCKET, SO_TYPE, &type);

		if (r < 0)
			return r;
		/* A stream carries control data only with a byte: a send of
		 * none would drop the descriptors without a word. */
		if (type == SOCK_STREAM)
			return -EINVAL;
	}

	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = (struct iovec *)iov;
	msg.msg_iovlen = (size_t)iovcnt;
	if (nfds > 0 || cred) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&msg);
		if (nfds > 0) {
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
			ctllen += CMSG_SPACE(sizeof(int) * nfds);
			c = (struct cmsghdr *)(ctl.buf + ctllen);
		}
		if (cred) {
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_CREDENTIALS;
			c->cmsg_len = CMSG_LEN(sizeof(*cred));
			memcpy(CMSG_DATA(c), cred, sizeof(*cred));
			ctllen += CMSG_SPACE(sizeof(*cred));
		}
		msg.msg_controllen = ctllen;
	}
	return sipc__sys_sendmsg(fd, &msg, flags);
}

/* Closes the N descriptors in FDS. */
static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sipc__sys_close(fds[i]);
}

ssize_t sipc__fdpass_recv(int fd, const struct iovec *iov, int iovcnt, int *fds, size_t max,
			  size_t *nfds, struct ucred *cred, bool *has_cred, int flags)
{
	union {
		char buf[CTL_SPACE];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = {0};
	/* Everything that came, kept here until we know the call succeeds. */
	int got[KERNEL_MAX_FD + 1];
	size_t ngot = 0;
	struct ucred uc;
	bool have_uc = false;
	ssize_t n;

	if (nfds)
		*nfds = 0;
	if (has_cred)
		*has_cred = false;
	if (iovcnt < 0 || (iovcnt > 0 && !iov) || (max > 0 && !fds))
		return -EINVAL;

	memset(&ctl, 0, sizeof(ctl));
	msg.msg_iov = (struct iovec *)iov;
	msg.msg_iovlen = (size_t)iovcnt;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = sipc__sys_recvmsg(fd, &msg, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return n;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		size_t len;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_len < CMSG_LEN(0))
			continue;
		len = c->cmsg_len - CMSG_LEN(0);
		if (c->cmsg_type == SCM_RIGHTS || c->cmsg_type == SCM_PIDFD) {
			size_t k = len / sizeof(int);

			for (size_t i = 0; i < k; i++) {
				int one;

				memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				/* A pidfd goes at once: only SCM_RIGHTS are
				 * the caller's. */
				if (c->cmsg_type == SCM_RIGHTS &&
				    ngot < sizeof(got) / sizeof(got[0]))
					got[ngot++] = one;
				else
					sipc__sys_close(one);
			}
		} else if (c->cmsg_type == SCM_CREDENTIALS && len >= sizeof(uc)) {
			memcpy(&uc, CMSG_DATA(c), sizeof(uc));
			have_uc = true;
		}
	}

	if (max > SIPC__FDPASS_MAX)
		max = SIPC__FDPASS_MAX;
	if (!nfds)
		max = 0; /* nowhere to count them: the caller takes none */
	if ((msg.msg_flags & MSG_CTRUNC) || ngot > max) {
		close_all(got, ngot);
		return SIPC_EFDTRUNC;
	}
	if (ngot > 0) {
		memcpy(fds, got, sizeof(int) * ngot);
		*nfds = ngot;
	}
	if (have_uc) {
		if (cred)
			*cred = uc;
		if (has_cred)
			*has_cred = true;
	}
	return n;
}
