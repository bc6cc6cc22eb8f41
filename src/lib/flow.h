/*
 * flow.h - one direction of a relay: bytes go from descriptor IN to
 * descriptor OUT through a pipe moved with splice(2), where both ends take
 * it, or through a bounded buffer.  A side that is an endpoint whose
 * transport has a protocol of its own under the bytes (TLS) is read and
 * written through the endpoint's operations, and through the buffer only:
 * splice moves the descriptor's raw bytes, which there are records.  Shared by the relay of
 * connect/listen (src/cli/relay.c) and the forward service (src/serve/services/forward.c); what
 * only one of them does (--hex, --crlf, frames, messages, counters, poll or event-loop interest)
 * stays with the caller, which may read and write the buffer fields directly.
 */
#ifndef SIPC_FLOW_H
#define SIPC_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sockipc.h"

/* Flags of sipc__flow_init. */
enum {
	SIPC__FLOW_PIPE = 1 << 0,     /* try a pipe and splice(2) */
	SIPC__FLOW_IN_SOCK = 1 << 1,  /* IN is a socket: recv(2), not read(2) */
	SIPC__FLOW_OUT_SOCK = 1 << 2, /* OUT is a socket: send(2) with
					 MSG_NOSIGNAL, not write(2) */
	SIPC__FLOW_URGENT = 1 << 3,   /* IN's urgent bytes are the caller's:
					 a splice stopped at the mark says
					 -EAGAIN (sipc__flow_fill) */
};

struct sipc__flow {
	int in, out;
	sipc_endpoint *in_ep, *out_ep; /* set: I/O through the endpoint */
	unsigned flags;
	bool use_pipe;          /* bytes go through the pipe, else the buffer */
	int pipe_r, pipe_w;     /* -1 without a pipe */
	size_t pipe_cap;        /* bytes the pipe holds when its pages are full */
	size_t pending;         /* bytes sitting in the pipe */
	bool fill_blocked;      /* the pipe took no more: wait for a drain */
	size_t pipe_grow;       /* grow the pipe to this once it fills (0: never) */
	size_t grown;           /* bytes the pipe grew by (counted process-wide) */
	uint8_t *buf;           /* NULL until first needed */
	size_t cap, head, tail; /* data waits in buf[head, tail) */
	bool eof;               /* IN has ended */
	bool done;              /* for the caller: ended, drained, end passed on */
};

/*
 * Sets F up to move bytes from IN to OUT.  With SIPC__FLOW_PIPE (and splice
 * in this build) a pipe is made: PIPE_SIZE bytes are asked of the kernel
 * (BUF_CAP if it refuses, 0 keeps its default); without one, bytes go
 * through a buffer of BUF_CAP bytes, allocated at its first use.  Never
 * fails: a pipe that cannot be had means the buffer.  F owns what it made
 * until sipc__flow_free.
 */
void sipc__flow_init(struct sipc__flow *f, int in, int out, unsigned flags, size_t pipe_size,
		     size_t buf_cap);

/*
 * Moves bytes through endpoint IN_EP and/or OUT_EP (either may be NULL: the
 * descriptor side stays as it is) instead of raw descriptor calls, and
 * drops the pipe when either endpoint is not a plain socket.  Call right
 * after sipc__flow_init, before any transfer.  The callers then wait on
 * sipc_endpoint_want and look at sipc_endpoint_pending before they sleep.
 */
void sipc__flow_endpoints(struct sipc__flow *f, sipc_endpoint *in_ep, sipc_endpoint *out_ep);

/*
 * Lets F's pipe grow to SIZE bytes the first time a fill finds it full:
 * a bulk direction gets a large pipe, an idle or interactive one keeps the
 * kernel's default.  The pipes of all flows of the process grow by at most
 * a quarter of the user's pipe-user-pages-soft (16 MiB where it is not
 * known), so that pipes made later, ours or another program's, are not
 * cut to two pages; past that, or where the kernel refuses, a pipe stays
 * as it is.
 */
void sipc__flow_pipe_grows(struct sipc__flow *f, size_t size);

/* Closes F's pipe and frees its buffer; F may be freed again. */
void sipc__flow_free(struct sipc__flow *f);

/* Allocates F's buffer if it has none: 0 or -ENOMEM. */
int sipc__flow_buffer(struct sipc__flow *f);

/* Moves waiting data to the start of the buffer when it reaches the end,
 * and resets an empty buffer, so room is found at the tail. */
void sipc__flow_compact(struct sipc__flow *f);

/*
 * Leaves splice for good (the kernel refused it for these descriptors,
 * EINVAL), moving what sits in the pipe into the buffer, which grows to
 * hold it.  0 or a negative code.
 */
int sipc__flow_unpipe(struct sipc__flow *f);

/*
 * One transfer from IN: a splice into the pipe, or a read into the buffer's
 * room.  Returns the bytes moved (> 0), 0 at the end of IN (eof is set),
 * -EAGAIN when IN has nothing or there is no room (fill_blocked is set when
 * the pipe may be full), or -errno.  A pipe refused by the kernel while
 * empty is left for the buffer on the spot, and so is a pipe stopped at a
 * TCP urgent mark, which splice never passes: the buffer's read goes on
 * past it, at once, or with SIPC__FLOW_URGENT at the next fill, after the
 * caller took the byte (a copying read moves past an untaken one).
 */
ssize_t sipc__flow_fill(struct sipc__flow *f);

/*
 * One transfer to OUT: a splice out of the pipe, or a write of the
 * buffer's data.  Returns the bytes moved, -EAGAIN when OUT takes nothing
 * now or nothing waits, or -errno.  A pipe refused by the kernel is left
 * for the buffer (sipc__flow_unpipe) and the write tried from there.
 */
ssize_t sipc__flow_drain(struct sipc__flow *f);

/* Bytes waiting to be drained. */
static inline size_t sipc__flow_pending(const struct sipc__flow *f)
{
	return f->use_pipe ? f->pending : f->tail - f->head;
}

/* Whether a fill could take anything: IN has not ended and there is room
 * (a message or line mode of the caller may ask more). */
static inline bool sipc__flow_can_fill(const struct sipc__flow *f)
{
	if (f->eof)
		return false;
	if (f->use_pipe)
		return !f->fill_blocked && f->pending < f->pipe_cap;
	return f->tail - f->head < f->cap;
}

#endif /* SIPC_FLOW_H */
