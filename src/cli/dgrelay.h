/*
 * dgrelay.h - the batched datagram side of connect and listen's relay on
 * connectionless endpoints (udp, unixgram): datagrams are read with
 * recvmmsg, several per call, and handed to the relay one by one, each
 * whole; records from stdin that wait together go with one sendmmsg.  On
 * udp the socket asks for UDP GRO, and a coalesced buffer is cut back at
 * the kernel's segment size (serve/dgbatch.h, the same cut serve uses),
 * so a boundary is never lost either way.
 */
#ifndef SIPC_CLI_DGRELAY_H
#define SIPC_CLI_DGRELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sys/net.h"

#include "serve/dgbatch.h"

/* Datagrams per recvmmsg and records per sendmmsg. */
#define SIPC__DGRELAY_N 16

struct sipc__dgrelay {
	int fd;
	size_t slot;   /* bytes per receive buffer */
	uint8_t *area; /* SIPC__DGRELAY_N buffers of slot bytes */
	struct mmsghdr msg[SIPC__DGRELAY_N];
	struct iovec iov[SIPC__DGRELAY_N];
	union {
		char buf[SIPC__DGB_GRO_CMSG];
		struct cmsghdr align;
	} ctl[SIPC__DGRELAY_N];
	unsigned got, next;       /* buffers filled by the last recvmmsg; the next to cut */
	struct sipc__dgb_cut cut; /* the buffer being handed out */
	bool cutting;
	bool trunc; /* that buffer's datagram was larger than its slot */
	size_t trunc_len;
};

/* Sets X up for FD: receive buffers of SLOT bytes each (a datagram larger
 * than that is reported, never cut), UDP GRO asked for when UDP.  0, or
 * -ENOMEM (X then owns nothing). */
int sipc__dgrelay_init(struct sipc__dgrelay *x, int fd, size_t slot, bool udp);
void sipc__dgrelay_free(struct sipc__dgrelay *x);
/* Whether datagrams already read wait to be handed out: the socket may
 * poll empty while they do. */
bool sipc__dgrelay_held(const struct sipc__dgrelay *x);
/* The next datagram without taking it: 1 with *P and *LEN set (*LEN its
 * real size; *TRUNC when it was larger than a buffer, and its bytes are
 * not all there), -EAGAIN when none has come, or another -errno from
 * recvmmsg.  Reads (one recvmmsg) only when nothing is held. */
int sipc__dgrelay_peek(struct sipc__dgrelay *x, const uint8_t **p, size_t *len, bool *trunc);
/* Takes the datagram the last peek gave. */
void sipc__dgrelay_take(struct sipc__dgrelay *x);
/* Sends the N records of REC (a connected socket), one datagram each,
 * with one sendmmsg that does not wait: how many went (the rest wait for
 * room), or -errno when the first could not. */
int sipc__dgrelay_send(struct sipc__dgrelay *x, const struct iovec *rec, unsigned n);

#endif /* SIPC_CLI_DGRELAY_H */
