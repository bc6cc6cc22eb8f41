/*
 * flow.c - one direction of a relay (flow.h): the choice between a pipe
 * moved with splice(2) and a bounded buffer, the transfers into and out of
 * either, the way from the pipe back to the buffer when the kernel turns
 * splice down for a pair of descriptors, and the growth of a pipe that
 * fills, within the process's share of the user's pipe pages.  Transfers
 * are single non-blocking attempts; when to try them, and what a mode of
 * the caller does with the bytes, is the caller's business.
 */
#include "flow.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "endpoint.h"
#include "sys/sys.h"
#include "transport/transport.h"

void sipc__flow_init(struct sipc__flow *f, int in, int out, unsigned flags, size_t pipe_size,
		     size_t buf_cap)
{
	int p[2];

	memset(f, 0, sizeof(*f));
	f->in = in;
	f->out = out;
	f->flags = flags;
	f->pipe_r = f->pipe_w = -1;
	f->cap = buf_cap;
	if (!(flags & SIPC__FLOW_PIPE) || !sipc__sys_have_splice() ||
	    sipc__sys_splice_pipe(p, pipe_size, buf_cap, &f->pipe_cap) < 0)
		return;
	f->pipe_r = p[0];
	f->pipe_w = p[1];
	f->use_pipe = true;
}

static bool plain(const sipc_endpoint *ep)
{
	return ep == NULL || sipc_scheme_is_raw(ep->scheme);
}

void sipc__flow_endpoints(struct sipc__flow *f, sipc_endpoint *in_ep, sipc_endpoint *out_ep)
{
	f->in_ep = in_ep;
	f->out_ep = out_ep;
	if (plain(in_ep) && plain(out_ep))
		return;
	if (f->pipe_r >= 0)
		sipc__sys_close(f->pipe_r);
	if (f->pipe_w >= 0)
		sipc__sys_close(f->pipe_w);
	f->pipe_r = f->pipe_w = -1;
	f->use_pipe = false;
}

/* Bytes the pipes of this process's flows have grown by, and the most
 * they may (grow_budget). */
static atomic_size_t grown_total;

static size_t grow_budget(void)
{
	static atomic_size_t budget; /* 0 until read */
	size_t b = atomic_load(&budget);

	if (b == 0) {
		size_t soft = sipc__sys_pipe_soft_bytes();

		b = soft > 0 ? soft / 4 : (size_t)16 << 20;
		atomic_store(&budget, b);
	}
	return b;
}

void sipc__flow_pipe_grows(struct sipc__flow *f, size_t size)
{
	f->pipe_grow = size;
}

/* Grows F's full pipe to pipe_grow, once, within the process's budget. */
static void pipe_grow(struct sipc__flow *f)
{
	size_t want = f->pipe_grow, cap = f->pipe_cap, more;

	f->pipe_grow = 0;
	if (want <= f->pipe_cap)
		return;
	more = want - f->pipe_cap;
	/* Taken before the kernel is asked, so two threads cannot both
	 * pass the check on the last of the budget. */
	if (atomic_fetch_add(&grown_total, more) + more > grow_budget() ||
	    sipc__sys_pipe_grow(f->pipe_w, want, &cap) < 0 || cap <= f->pipe_cap) {
		atomic_fetch_sub(&grown_total, more);
		return;
	}
	/* The kernel rounds to a power of two pages: count what it gave. */
	f->grown = cap - f->pipe_cap;
	if (f->grown > more)
		atomic_fetch_add(&grown_total, f->grown - more);
	else
		atomic_fetch_sub(&grown_total, more - f->grown);
	f->pipe_cap = cap;
	f->fill_blocked = false;
}

void sipc__flow_free(struct sipc__flow *f)
{
	if (f->grown > 0)
		atomic_fetch_sub(&grown_total, f->grown);
	f->grown = 0;
	if (f->pipe_r >= 0)
		sipc__sys_close(f->pipe_r);
	if (f->pipe_w >= 0)
		sipc__sys_close(f->pipe_w);
	f->pipe_r = f->pipe_w = -1;
	free(f->buf);
	f->buf = NULL;
}

int sipc__flow_buffer(struct sipc__flow *f)
{
	if (f->buf != NULL)
		return 0;
	f->buf = malloc(f->cap);
	return f->buf ? 0 : -ENOMEM;
}

void sipc__flow_compact(struct sipc__flow *f)
{
	if (f->head == f->tail) {
		f->head = f->tail = 0;
	} else if (f->head > 0 && f->tail == f->cap) {
		memmove(f->buf, f->buf + f->head, f->tail - f->head);
		f->tail -= f->head;
		f->head = 0;
	}
}

int sipc__flow_unpipe(struct sipc__flow *f)
{
	size_t have = 0;
	int err = sipc__flow_buffer(f);

	if (err < 0)
		return err;
	/* The pipe may hold more than the buffer (a 1 MiB pipe beside a
	 * 256 KiB buffer): grow it rather than lose or overrun bytes. */
	if (f->pending > f->cap) {
		uint8_t *bigger = realloc(f->buf, f->pending);

		if (bigger == NULL)
			return -ENOMEM;
		f->buf = bigger;
		f->cap = f->pending;
	}
	while (have < f->pending) {
		ssize_t n = sipc__sys_read(f->pipe_r, f->buf + have, f->pending - have);

		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		have += (size_t)n;
	}
	f->head = 0;
	f->tail = have;
	f->pending = 0;
	f->fill_blocked = false;
	f->use_pipe = false;
	return 0;
}

/* One splice from IN into the pipe; the caller counts what came. */
static ssize_t pipe_fill(struct sipc__flow *f)
{
	ssize_t n;

	if (f->pending >= f->pipe_cap) {
		/* Full: a splice of 0 bytes would return 0, which reads as
		 * the end of IN. */
		f->fill_blocked = true;
		return -EAGAIN;
	}
	n = sipc__sys_splice(f->in, f->pipe_w, f->pipe_cap - f->pending);
	if (n == -EAGAIN) {
		/* EAGAIN also means the pipe is full: its capacity counts
		 * pages, and spliced pages may be partly filled, so it can be
		 * full below pipe_cap bytes.  With data in it, wait for a
		 * drain rather than spin on the input. */
		f->fill_blocked = f->pending > 0;
	}
	return n;
}

/* One read from IN into the buffer's room; the caller counts what came. */
static ssize_t buffer_fill(struct sipc__flow *f)
{
	size_t room;

	if (sipc__flow_buffer(f) < 0)
		return -ENOMEM;
	sipc__flow_compact(f);
	room = f->cap - f->tail;
	if (room == 0)
		return -EAGAIN;
	if (f->in_ep != NULL)
		return f->in_ep->tp->io->recv(f->in_ep, f->buf + f->tail, room, MSG_DONTWAIT);
	if (f->flags & SIPC__FLOW_IN_SOCK)
		return sipc__sys_recv(f->in, f->buf + f->tail, room, 0);
	return sipc__sys_read(f->in, f->buf + f->tail, room);
}

ssize_t sipc__flow_fill(struct sipc__flow *f)
{
	ssize_t n = 0;
	int err;

	if (f->use_pipe) {
		n = pipe_fill(f);
		/* Full by its slots (pages partly filled) below pipe_cap,
		 * the way a pipe fills from tcp; half full by bytes, so that
		 * an input that merely had nothing is not taken for it. */
		if (n == -EAGAIN && f->fill_blocked && f->pipe_grow > 0 &&
		    f->pending >= f->pipe_cap / 2) {
			pipe_grow(f);
			if (!f->fill_blocked)
				n = pipe_fill(f);
		}
		/* EINVAL: no splice from IN (a file system without
		 * splice_read, say).  Only an empty pipe is left here; with
		 * data in it, the error goes up. */
		if (n == -EINVAL && f->pending == 0) {
			err = sipc__flow_unpipe(f);
			if (err < 0)
				return err;
		}
		/* A TCP peer's urgent byte leaves a mark in the stream that
		 * splice never moves past (tcp_read_sock() stops there, and
		 * splice says EAGAIN while the socket polls readable, or 0,
		 * an end, once the peer has shut down its side): the rest of
		 * the stream would never come.  recv() moves past it, so copy
		 * from here on.  With SIPC__FLOW_URGENT the caller takes the
		 * byte and its next fill copies (cli/relay.c: a recv now could
		 * start at a byte that came since it last looked); without, the
		 * byte is left behind (forward). */
		if ((n == -EAGAIN || n == 0) && (f->flags & SIPC__FLOW_IN_SOCK) &&
		    sipc__sys_atmark(f->in) == 1) {
			err = sipc__flow_unpipe(f);
			if (err < 0)
				return err;
			if (f->flags & SIPC__FLOW_URGENT)
				return -EAGAIN;
		}
	}
	if (!f->use_pipe)
		n = buffer_fill(f);
	if (n < 0)
		return n;
	if (n == 0)
		f->eof = true;
	if (f->use_pipe)
		f->pending += (size_t)n;
	else
		f->tail += (size_t)n;
	if (f->use_pipe && f->pipe_grow > 0 && f->pending >= f->pipe_cap)
		pipe_grow(f);
	return n;
}

ssize_t sipc__flow_drain(struct sipc__flow *f)
{
	ssize_t n;
	int err;

	if (sipc__flow_pending(f) == 0)
		return -EAGAIN;
	if (f->use_pipe) {
		n = sipc__sys_splice(f->pipe_r, f->out, f->pending);
		if (n != -EINVAL) {
			if (n < 0)
				return n;
			f->pending -= (size_t)n;
			f->fill_blocked = false;
			return n;
		}
		/* No splice to OUT (an O_APPEND file, a file system without
		 * splice_write): copy from here on. */
		err = sipc__flow_unpipe(f);
		if (err < 0)
			return err;
	}
	if (f->out_ep != NULL) {
		struct iovec iov = {f->buf + f->head, f->tail - f->head};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

		n = f->out_ep->tp->io->sendmsg(f->out_ep, &mh, MSG_DONTWAIT);
	} else if (f->flags & SIPC__FLOW_OUT_SOCK)
		n = sipc__sys_send(f->out, f->buf + f->head, f->tail - f->head, 0);
	else
		n = sipc__sys_write(f->out, f->buf + f->head, f->tail - f->head);
	if (n < 0)
		return n;
	f->head += (size_t)n;
	sipc__flow_compact(f);
	return n;
}
