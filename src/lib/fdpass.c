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
#include <unistd.h>

#include <stdio.h>

#include "sys/net.h"
#include "endpoint.h"
#include "sockipc.h"
#include "sys/sys.h"
#include "trace.h"
#include "transport/transport.h"

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

/* Where a message goes: a bare descriptor (sys/) or an endpoint's
 * transport. */
struct via {
	int fd;
	sipc_endpoint *ep;
};

static ssize_t via_sendmsg(const struct via *v, const struct msghdr *msg, int flags)
{
	if (v->ep)
		return v->ep->tp->io->sendmsg(v->ep, msg, flags);
	return sipc__sys_sendmsg(v->fd, msg, flags);
}

static ssize_t via_recvmsg(const struct via *v, struct msghdr *msg, int flags)
{
	if (v->ep)
		return v->ep->tp->io->recvmsg(v->ep, msg, flags);
	return sipc__sys_recvmsg(v->fd, msg, flags);
}

static ssize_t send_core(const struct via *v, const struct iovec *iov, int iovcnt, const int *fds,
			 size_t nfds, const struct ucred *cred, int flags)
{
	int fd = v->fd;

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
	return via_sendmsg(v, &msg, flags);
}

/* Closes the N descriptors in FDS. */
static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sipc__sys_close(fds[i]);
}

/*
 * The receive; *DROPPED counts the descriptors it closed because the call
 * failed, *CTRUNC whether the kernel cut the control data, for the trace.
 */
static ssize_t recv_core(const struct via *v, const struct iovec *iov, int iovcnt, int *fds,
			 size_t max, size_t *nfds, struct ucred *cred, bool *has_cred, int flags,
			 size_t *dropped, bool *ctrunc)
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
	n = via_recvmsg(v, &msg, flags | MSG_CMSG_CLOEXEC);
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
		*dropped = ngot;
		*ctrunc = (msg.msg_flags & MSG_CTRUNC) != 0;
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

int sipc__fdpass_self(struct ucred *out)
{
	out->pid = getpid();
	out->uid = geteuid();
	out->gid = getegid();
	return 0;
}

ssize_t sipc__fdpass_send(int fd, const struct iovec *iov, int iovcnt, const int *fds, size_t nfds,
			  const struct ucred *cred, int flags)
{
	struct via v = {.fd = fd, .ep = NULL};

	return send_core(&v, iov, iovcnt, fds, nfds, cred, flags);
}

ssize_t sipc__fdpass_recv(int fd, const struct iovec *iov, int iovcnt, int *fds, size_t max,
			  size_t *nfds, struct ucred *cred, bool *has_cred, int flags)
{
	struct via v = {.fd = fd, .ep = NULL};
	size_t dropped = 0;
	bool ctrunc = false;

	return recv_core(&v, iov, iovcnt, fds, max, nfds, cred, has_cred, flags, &dropped, &ctrunc);
}

/* " SCM_RIGHTS [7, 8]" into BUF (at most 16 shown, then "..."). */
static void fds_text(char *buf, size_t len, const int *fds, size_t n)
{
	size_t k = (size_t)snprintf(buf, len, " SCM_RIGHTS [");

	for (size_t i = 0; i < n && k < len; i++) {
		if (i == 16) {
			k += (size_t)snprintf(buf + k, len - k, ", ...%zu", n);
			break;
		}
		k += (size_t)snprintf(buf + k, len - k, "%s%d", i ? ", " : "", fds[i]);
	}
	if (k < len)
		snprintf(buf + k, len - k, "]");
}

/* " SCM_CREDENTIALS {pid=1, uid=0, gid=0}" into BUF. */
static void cred_text(char *buf, size_t len, const struct ucred *c)
{
	snprintf(buf, len, " SCM_CREDENTIALS {pid=%ld, uid=%lu, gid=%lu}", (long)c->pid,
		 (unsigned long)c->uid, (unsigned long)c->gid);
}

ssize_t sipc__fdpass_send_ep(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, const int *fds,
			     size_t nfds, const struct ucred *cred, int flags)
{
	struct via v = {.fd = ep->fd, .ep = ep};
	char fb[256] = "", cb[96] = "", rb[128];
	ssize_t n = send_core(&v, iov, iovcnt, fds, nfds, cred, flags);

	if (ep->trace == NULL || n == -EAGAIN || (nfds == 0 && cred == NULL))
		return n;
	if (nfds > 0 && fds)
		fds_text(fb, sizeof(fb), fds, nfds);
	if (cred)
		cred_text(cb, sizeof(cb), cred);
	/* The bytes asked; the control data in strace's order, comma-led. */
	sipc__tracef(ep->trace, ep->trace_arg, "sendmsg(%d, %zu bytes,%s%s%s) = %s", ep->fd,
		     iov_total(iov, iovcnt), fb, fb[0] && cb[0] ? "," : "", cb,
		     sipc__result_text(n, rb, sizeof(rb)));
	return n;
}

ssize_t sipc__fdpass_recv_ep(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int *fds,
			     size_t max, size_t *nfds, struct ucred *cred, bool *has_cred,
			     int flags)
{
	struct via v = {.fd = ep->fd, .ep = ep};
	char fb[256] = "", cb[96] = "", rb[128];
	size_t dropped = 0, k = 0;
	bool ctrunc = false, hc = false;
	struct ucred uc;
	ssize_t n;

	n = recv_core(&v, iov, iovcnt, fds, max, nfds, &uc, &hc, flags, &dropped, &ctrunc);
	if (nfds)
		k = *nfds;
	if (n >= 0 && hc) {
		if (cred)
			*cred = uc;
		if (has_cred)
			*has_cred = true;
	} else if (has_cred) {
		*has_cred = false;
	}
	if (ep->trace == NULL || n == -EAGAIN)
		return n;
	if (n == SIPC_EFDTRUNC)
		snprintf(fb, sizeof(fb), " SCM_RIGHTS%s: %zu closed", ctrunc ? " MSG_CTRUNC" : "",
			 dropped);
	else if (n >= 0 && k > 0)
		fds_text(fb, sizeof(fb), fds, k);
	if (n >= 0 && hc && cred)
		cred_text(cb, sizeof(cb), &uc);
	if (fb[0] || cb[0])
		sipc__tracef(ep->trace, ep->trace_arg, "recvmsg(%d, %zu bytes) = %s%s%s", ep->fd,
			     iov_total(iov, iovcnt), sipc__result_text(n, rb, sizeof(rb)), fb, cb);
	return n;
}
