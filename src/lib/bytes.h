/*
 * bytes.h - the deadline-bound transfer loops that bytes.c exports to the
 * message layer (msg.c): a frame is sent and its pieces are read with the
 * same loops as sipc_writev_all and sipc_read_exact, on the endpoint's
 * transport operations (ep->tp).
 */
#ifndef SIPC_BYTES_H
#define SIPC_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "sys/net.h"
#include "sockipc.h"

/* Most iovecs one vectored call takes (the kernel's UIO_MAXIOV). */
#define SIPC__IOV_MAX 1024

/*
 * Sends every byte of IOV[0..IOVCNT) on EP through its transport,
 * waiting for room until DEADLINE.  IOV is copied, not modified.  *SENT
 * counts the bytes that went out, also on failure, so a framed sender
 * knows whether the stream is still at a message boundary.  Returns 0,
 * SIPC_ETIMEDOUT or -errno.
 */
int sipc__send_iov(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int64_t deadline,
		   size_t *sent);

/*
 * Receives into IOV until it is full, waiting for data until DEADLINE.
 * *HAVE counts the bytes stored, also on failure.  Returns 0, SIPC_EPARTIAL
 * when the stream ended first (the caller turns it into SIPC_ECLOSED when
 * *HAVE is still 0 and that is what it means), SIPC_ETIMEDOUT or -errno.
 */
int sipc__recv_iov(sipc_endpoint *ep, const struct iovec *iov, int iovcnt, int64_t deadline,
		   size_t *have);

/* The one-buffer form of sipc__recv_iov: fills BUF[*HAVE..LEN). */
int sipc__recv_fill(sipc_endpoint *ep, void *buf, size_t len, size_t *have, int64_t deadline);

#endif /* SIPC_BYTES_H */
